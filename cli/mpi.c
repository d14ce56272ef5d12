/*
 * mpi.c - `balnet run` over MPI ranks (mpi.h): start-up and agreement, rank 0's loop that hands items to
 * the other ranks' slots and writes what they send back, and a worker rank's loop.
 *
 * Protocol (point-to-point on MPI_COMM_WORLD, every message a packed byte string, see `struct msg`):
 *   worker -> 0   ASK                  one slot of the worker wants an item (sent once per slot at start)
 *   0 -> worker   ITEM item deps       an item, with the recorded rows of every item it depends on
 *   0 -> worker   STOP                 no more items for one slot: it ends
 *   worker -> 0   DONE item timing rows traces
 *                                      the item's results; the slot wants another item (an implicit ASK)
 *   worker -> 0   FAIL item interrupted message
 *                                      the item failed (or was stopped by a signal); the slot ends
 *   0 -> worker   CANCEL               rank 0 was interrupted: bn_cancel the running items
 * Rank 0 sends with MPI_Isend and never blocks; workers send with MPI_Send (rank 0 always polls), so two
 * large messages crossing cannot deadlock.
 *
 * Faults: Open MPI's mpirun (and Slurm's srun) answer a rank that dies with SIGTERM to every other rank
 * and SIGKILL soon after (mpirun: 1 s, odls_base_sigkill_timeout; Slurm: KillWait, 30 s by default).
 * SIGTERM is bn_cancel here as in one process; rank 0 then waits CANCEL_GRACE_S for the items still out,
 * names the ranks that did not answer, and closes the folder, which keeps every item it received.
 */
#include "cli/cli.h"
#include "cli/mpi.h"

#include <mpi.h>

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum tag { TAG_ASK = 1, TAG_ITEM, TAG_STOP, TAG_DONE, TAG_FAIL, TAG_CANCEL };

/* After bn_cancel, how long rank 0 waits for the items other ranks hold: they stop at their next cancel
 * check (every 1000 steps, runtime/sim.c), well within mpirun's 1 s before SIGKILL. */
#define CANCEL_GRACE_S 0.5

const char *cli_mpi_version(void)
{
    static char v[MPI_MAX_LIBRARY_VERSION_STRING];
    int n = 0;
    MPI_Get_library_version(v, &n);   /* callable before MPI_Init */
    v[strcspn(v, ",\n")] = 0;         /* "Open MPI v4.1.4, package: ..." -> "Open MPI v4.1.4" */
    return v;
}

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static void nap(void)
{
    struct timespec t = {0, 1000000};   /* 1 ms: an idle poll costs nothing, an answer waits at most this */
    nanosleep(&t, NULL);
}

/* ---- start-up ---------------------------------------------------------------------------------------- */

/* A process manager's environment: Open MPI's mpirun, PMIx (Open MPI 4 and 5, srun --mpi=pmix), PMI-1/2
 * (MPICH's Hydra, srun --mpi=pmi2).  Without one, MPI_Init would start a singleton, slowly, for nothing. */
static bool launched_by_mpi(void)
{
    static const char *const vars[] = {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE"};
    for (size_t i = 0; i < sizeof vars / sizeof *vars; i++)
        if (getenv(vars[i]))
            return true;
    return false;
}

bool cli_mpi_start(struct cli_mpi *mp, char *err, size_t errlen)
{
    *mp = (struct cli_mpi){0, 1, 1};
    if (!launched_by_mpi())
        return true;
    int provided = 0;
    if (MPI_Init_thread(NULL, NULL, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS) {
        snprintf(err, errlen, "MPI_Init failed");
        return false;
    }
    MPI_Comm_rank(MPI_COMM_WORLD, &mp->rank);
    MPI_Comm_size(MPI_COMM_WORLD, &mp->size);
    MPI_Comm node;
    MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node);
    MPI_Comm_size(node, &mp->local_size);
    MPI_Comm_free(&node);
    if (provided < MPI_THREAD_FUNNELED) {
        snprintf(err, errlen, "the MPI library gives no thread support (MPI_THREAD_FUNNELED is needed)");
        MPI_Finalize();
        return false;
    }
    return true;
}

/* FNV-1a: the model identities compared across ranks. */
static uint64_t hash_text(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

int cli_mpi_agree(const struct cli_mpi *mp, int rc, const char *identity, int *rc0, bool *same)
{
    int worst = rc;
    *rc0 = rc;
    MPI_Allreduce(&rc, &worst, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    MPI_Bcast(rc0, 1, MPI_INT, 0, MPI_COMM_WORLD);
    uint64_t h = identity ? hash_text(identity) : 0, lo = h, hi = h;
    MPI_Allreduce(&h, &lo, 1, MPI_UINT64_T, MPI_MIN, MPI_COMM_WORLD);
    MPI_Allreduce(&h, &hi, 1, MPI_UINT64_T, MPI_MAX, MPI_COMM_WORLD);
    *same = lo == hi;
    return worst;
}

int cli_mpi_go(const struct cli_mpi *mp, int rc)
{
    MPI_Bcast(&rc, 1, MPI_INT, 0, MPI_COMM_WORLD);
    return rc;
}

void cli_mpi_end(const struct cli_mpi *mp, int rc, bool abort)
{
    if (mp->size <= 1 && !launched_by_mpi())
        return;
    if (abort)
        MPI_Abort(MPI_COMM_WORLD, rc ? rc : EXIT_MODEL);
    MPI_Finalize();
}

/* ---- messages ------------------------------------------------------------------------------------------ */

/* A message being packed: native byte order and sizes (the ranks of a job run one build of balnet). */
struct msg {
    char *p;
    size_t n, cap;
    bool oom;
};

static void put(struct msg *b, const void *x, size_t n)
{
    if (b->oom)
        return;
    if (b->n + n > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->n + n)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->oom = true;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->n, x, n);
    b->n += n;
}

static void put_i64(struct msg *b, int64_t x) { put(b, &x, sizeof x); }
static void put_f64(struct msg *b, double x) { put(b, &x, sizeof x); }

/* Length, then the bytes and a NUL (so the reader can point into the message). */
static void put_bytes(struct msg *b, const void *x, size_t n)
{
    put_i64(b, (int64_t)n);
    put(b, x, n);
    put(b, "", 1);
}

static void put_str(struct msg *b, const char *s) { put_bytes(b, s ? s : "", s ? strlen(s) : 0); }

static void put_rows(struct msg *b, const struct bn_row *rows, int n)
{
    put_i64(b, n);
    for (int i = 0; i < n; i++) {
        put_str(b, rows[i].population);
        put_str(b, rows[i].statistic);
        put_f64(b, rows[i].value);
        put_str(b, rows[i].unit);
    }
}

/* A received message being read; `bad` once anything was missing. */
struct rd {
    const char *p;
    size_t n, at;
    bool bad;
};

static void get(struct rd *r, void *x, size_t n)
{
    if (r->bad || r->n - r->at < n) {
        r->bad = true;
        memset(x, 0, n);
        return;
    }
    memcpy(x, r->p + r->at, n);
    r->at += n;
}

static int64_t get_i64(struct rd *r)
{
    int64_t x;
    get(r, &x, sizeof x);
    return x;
}

static double get_f64(struct rd *r)
{
    double x;
    get(r, &x, sizeof x);
    return x;
}

/* Points into the message (NUL-terminated); *len its length. */
static const char *get_bytes(struct rd *r, size_t *len)
{
    int64_t n = get_i64(r);
    if (r->bad || n < 0 || (uint64_t)n >= r->n - r->at || r->p[r->at + (size_t)n] != 0) {
        r->bad = true;
        *len = 0;
        return "";
    }
    const char *s = r->p + r->at;
    r->at += (size_t)n + 1;
    *len = (size_t)n;
    return s;
}

static const char *get_str(struct rd *r)
{
    size_t n;
    return get_bytes(r, &n);
}

/* Rows read into a malloc'ed array whose strings point into the message; NULL and *n = -1 when bad. */
static struct bn_row *get_rows(struct rd *r, int *n)
{
    int64_t k = get_i64(r);
    if (r->bad || k < 0 || k > (int64_t)(r->n / 4)) {
        *n = -1;
        return NULL;
    }
    struct bn_row *rows = calloc((size_t)k + 1, sizeof *rows);
    for (int64_t i = 0; rows && i < k; i++) {
        rows[i].population = get_str(r);
        rows[i].statistic = get_str(r);
        rows[i].value = get_f64(r);
        rows[i].unit = get_str(r);
    }
    if (!rows || r->bad) {
        free(rows);
        *n = -1;
        return NULL;
    }
    *n = (int)k;
    return rows;
}

/* The next message from `from` (MPI_ANY_SOURCE: anyone), if one has arrived: its bytes (malloc'ed, freed
 * by the caller), tag and source.  False when none is waiting. */
static bool poll_msg(int from, struct rd *r, int *tag, int *source)
{
    int flag = 0;
    MPI_Status st;
    MPI_Iprobe(from, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, &st);
    if (!flag)
        return false;
    int n = 0;
    MPI_Get_count(&st, MPI_BYTE, &n);
    char *p = malloc((size_t)n + 1);
    /* Out of memory: the message must still leave the queue; it is received into a byte and read as bad. */
    char one;
    MPI_Recv(p ? p : &one, p ? n : 0, MPI_BYTE, st.MPI_SOURCE, st.MPI_TAG, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    *r = (struct rd){p, p ? (size_t)n : 0, 0, !p};
    *tag = st.MPI_TAG;
    *source = st.MPI_SOURCE;
    return true;
}

/* ---- rank 0 ------------------------------------------------------------------------------------------ */

struct send {                 /* an MPI_Isend in flight, and the buffer it reads */
    MPI_Request req;
    char *buf;
};

struct cli_mpi_workers {
    struct bn_workers w;      /* first: run0() gets &w back and casts it to this struct */
    const struct cli_mpi *mp;
    bn_model *m;
    bn_folder *folder;
    int threads;              /* slots of rank 0 */
    bool remote;              /* hand items to the other ranks */
    bool verbose;             /* say which rank ran each item */
    bn_sched *s;
    int *asks, nasks;         /* ranks with a slot waiting for an answer, oldest first */
    int live;                 /* slots of the other ranks not ended yet */
    int *holder;              /* per item: the rank running it (-1: none) */
    struct send *sends;
    int nsends, capsends;
    bool abandoned;           /* rank 0 stopped waiting for slots that did not answer */
};

struct cli_mpi_workers *cli_mpi_workers(const struct cli_mpi *mp, bn_model *m, bn_folder *f, int threads,
                                        bool remote, bool verbose)
{
    struct cli_mpi_workers *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    *w = (struct cli_mpi_workers){.mp = mp, .m = m, .folder = f, .threads = threads, .remote = remote,
                                  .verbose = verbose};
    w->holder = malloc(sizeof *w->holder * ((size_t)bn_nitems(m) + 1));
    if (!w->holder) {
        free(w);
        return NULL;
    }
    for (int i = 0; i < bn_nitems(m); i++)
        w->holder[i] = -1;
    return w;
}

bool cli_mpi_abandoned(const struct cli_mpi_workers *w) { return w->abandoned; }

void cli_mpi_workers_free(struct cli_mpi_workers *w)
{
    if (!w)
        return;
    free(w->asks);
    free(w->holder);
    free(w->sends);
    free(w);
}

/* Sends b to `to` without waiting (b's buffer is taken over); completed sends are freed as they finish. */
static void post(struct cli_mpi_workers *w, int to, int tag, struct msg *b)
{
    if (w->nsends == w->capsends) {
        int cap = w->capsends ? 2 * w->capsends : 16;
        struct send *s = realloc(w->sends, sizeof *s * (size_t)cap);
        if (!s) {   /* no memory to keep a request: send it the blocking way (the worker is polling) */
            MPI_Send(b->p, (int)b->n, MPI_BYTE, to, tag, MPI_COMM_WORLD);
            free(b->p);
            return;
        }
        w->sends = s;
        w->capsends = cap;
    }
    struct send *s = &w->sends[w->nsends++];
    s->buf = b->p;
    MPI_Isend(b->p ? b->p : "", (int)b->n, MPI_BYTE, to, tag, MPI_COMM_WORLD, &s->req);
}

static void reap_sends(struct cli_mpi_workers *w)
{
    for (int i = 0; i < w->nsends;) {
        int done = 0;
        MPI_Test(&w->sends[i].req, &done, MPI_STATUS_IGNORE);
        if (!done) {
            i++;
            continue;
        }
        free(w->sends[i].buf);
        w->sends[i] = w->sends[--w->nsends];
    }
}

static void push_ask(struct cli_mpi_workers *w, int rank)
{
    int *a = realloc(w->asks, sizeof *a * (size_t)(w->nasks + 1));
    if (!a) {   /* cannot queue the ask: end that slot */
        struct msg b = {0};
        post(w, rank, TAG_STOP, &b);
        w->live--;
        return;
    }
    w->asks = a;
    w->asks[w->nasks++] = rank;
}

/* ITEM: the item, then every item it depends on (same trial) with its recorded rows. */
static void send_item(struct cli_mpi_workers *w, int rank, int item)
{
    struct msg b = {0};
    int point = bn_item_point(w->m, item), trial = bn_item_trial(w->m, item), nd = bn_point_ndeps(w->m, point);
    put_i64(&b, item);
    put_i64(&b, nd);
    for (int d = 0; d < nd; d++) {
        int dep = bn_point_dep(w->m, point, d) * bn_ntrials(w->m) + trial - 1;
        const struct bn_row *rows = NULL;
        int n = bn_item_rows(w->m, dep, &rows);
        put_i64(&b, dep);
        put_rows(&b, rows, n);
    }
    if (b.oom) {
        free(b.p);
        bn_sched_fail(w->s, item, "out of memory");
        b = (struct msg){0};
        post(w, rank, TAG_STOP, &b);
        w->live--;
        return;
    }
    w->holder[item] = rank;
    post(w, rank, TAG_ITEM, &b);
}

/* The asks waiting, answered in order while the scheduler has an answer. */
static void answer_asks(struct cli_mpi_workers *w)
{
    int k = 0;
    for (; k < w->nasks; k++) {
        int item = w->remote ? bn_sched_try_next(w->s) : -1;
        if (item == BN_SCHED_WAIT)
            break;
        if (item >= 0) {
            send_item(w, w->asks[k], item);
        } else {
            struct msg b = {0};
            post(w, w->asks[k], TAG_STOP, &b);
            w->live--;
        }
    }
    memmove(w->asks, w->asks + k, sizeof *w->asks * (size_t)(w->nasks - k));
    w->nasks -= k;
}

/* "rank 2: point 1, trial 2: ..." into the scheduler's first error. */
static void fail_item(struct cli_mpi_workers *w, int rank, int item, const char *why)
{
    char msg[1200];
    snprintf(msg, sizeof msg, "rank %d: %s", rank, why);
    bn_sched_fail(w->s, item, msg);
}

/* DONE: append the rows and the recordings to the folder, then record the rows (dependent points read
 * them) and mark the item done.  The slot asks again. */
static void on_done(struct cli_mpi_workers *w, int rank, struct rd *r)
{
    int item = (int)get_i64(r);
    struct bn_timing t;
    t.wall_s = get_f64(r);
    t.compile_ms = get_f64(r);
    t.build_ms = get_f64(r);
    t.sim_ms = get_f64(r);
    t.synapses = get_i64(r);
    t.threads = (int)get_i64(r);
    t.kernel_wait_ms = get_f64(r);
    int n;
    struct bn_row *rows = get_rows(r, &n);
    if (item < 0 || item >= bn_nitems(w->m) || w->holder[item] != rank || n < 0) {
        free(rows);
        if (item >= 0 && item < bn_nitems(w->m) && w->holder[item] == rank) {
            w->holder[item] = -1;
            fail_item(w, rank, item, "a damaged or incomplete result message");
        }
        push_ask(w, rank);
        return;
    }
    w->holder[item] = -1;
    /* Recordings first, then the rows, as an item run here does (bn_run_item writes its recordings before
     * the rows are appended): a folder that lists an item has its recordings. */
    char err[1024] = "";
    bool ok = true;
    int64_t ntraces = get_i64(r);
    for (int64_t i = 0; ok && i < ntraces && !r->bad; i++) {
        const char *name = get_str(r);
        size_t len;
        const char *data = get_bytes(r, &len);
        ok = r->bad || bn_folder_add_trace(w->folder, name, data, len, err, sizeof err);
    }
    if (ok && r->bad) {
        snprintf(err, sizeof err, "point %d, trial %d: a damaged result message", bn_item_point(w->m, item),
                 bn_item_trial(w->m, item));
        ok = false;
    }
    ok = ok && bn_folder_append_rows(w->folder, item, rows, n, &t, err, sizeof err);
    if (ok && !bn_record_rows(w->m, item, rows, n)) {
        snprintf(err, sizeof err, "out of memory");
        ok = false;
    }
    if (ok && w->verbose)
        fprintf(stderr, "balnet: point %d, trial %d: ran on rank %d (%.2f s)\n", bn_item_point(w->m, item),
                bn_item_trial(w->m, item), rank, t.wall_s);
    if (ok)
        bn_sched_done(w->s, item);
    else
        fail_item(w, rank, item, err);
    free(rows);
    push_ask(w, rank);
}

/* FAIL: the item goes back to waiting and nothing more is handed out; a worker's interruption (SIGTERM
 * to that rank alone) interrupts the whole run.  The slot ends. */
static void on_fail(struct cli_mpi_workers *w, int rank, struct rd *r)
{
    int item = (int)get_i64(r);
    bool interrupted = get_i64(r) != 0;
    const char *why = get_str(r);
    w->live--;
    if (item < 0 || item >= bn_nitems(w->m) || w->holder[item] != rank)
        return;
    w->holder[item] = -1;
    if (interrupted)
        bn_cancel(w->m);
    fail_item(w, rank, item, r->bad ? "failed (a damaged message)" : why);
}

static void on_message(struct cli_mpi_workers *w, int tag, int rank, struct rd *r)
{
    if (tag == TAG_ASK)
        push_ask(w, rank);
    else if (tag == TAG_DONE)
        on_done(w, rank, r);
    else if (tag == TAG_FAIL)
        on_fail(w, rank, r);
}

/* The items other ranks still held when rank 0 gave up waiting: named, with the rank, on stderr. */
static void name_lost(struct cli_mpi_workers *w)
{
    w->abandoned = true;
    for (int i = 0; i < bn_nitems(w->m); i++)
        if (w->holder[i] >= 0)
            fprintf(stderr, "balnet: error: rank %d did not answer (it died or was killed; mpirun names the "
                            "cause) while it ran point %d, trial %d: that item is not in the folder; --resume "
                            "runs it\n", w->holder[i], bn_item_point(w->m, i), bn_item_trial(w->m, i));
}

struct local_args {
    bn_sched *s;
    bn_item_fn fn;
    void *ctx;
    int threads;
};

/* Rank 0's own slots: the thread workers of one process. */
static void *local_slots(void *arg)
{
    struct local_args *a = arg;
    struct bn_workers tw = bn_threads(a->threads);
    tw.run(&tw, a->s, a->fn, a->ctx);
    return NULL;
}

/* bn_workers.run on rank 0: local slots on a thread, the other ranks served from this one. */
static void run0(const struct bn_workers *bw, bn_sched *s, bn_item_fn fn, void *ctx)
{
    struct cli_mpi_workers *w = (struct cli_mpi_workers *)bw;
    w->s = s;
    int zero = 0, *slots = calloc((size_t)w->mp->size, sizeof *slots);
    if (!slots) {   /* the other ranks wait in MPI_Gather: nothing can go on */
        fprintf(stderr, "balnet: error: out of memory\n");
        MPI_Abort(MPI_COMM_WORLD, EXIT_MODEL);
    }
    MPI_Gather(&zero, 1, MPI_INT, slots, 1, MPI_INT, 0, MPI_COMM_WORLD);
    for (int k = 1; k < w->mp->size; k++)
        w->live += slots[k];
    free(slots);
    struct local_args la = {s, fn, ctx, w->threads};
    pthread_t local;
    bool have_local = w->threads > 0 && pthread_create(&local, NULL, local_slots, &la) == 0;
    double cancelled_at = 0;
    while (w->live > 0) {
        bool busy = false;
        struct rd r;
        int tag, rank;
        while (poll_msg(MPI_ANY_SOURCE, &r, &tag, &rank)) {
            on_message(w, tag, rank, &r);
            free((void *)r.p);
            busy = true;
        }
        if (!cancelled_at && bn_cancelled(w->m)) {
            cancelled_at = now_s();
            for (int k = 1; k < w->mp->size; k++) {
                struct msg b = {0};
                post(w, k, TAG_CANCEL, &b);
            }
        }
        answer_asks(w);
        reap_sends(w);
        if (cancelled_at && now_s() - cancelled_at > CANCEL_GRACE_S) {
            name_lost(w);
            break;
        }
        if (!busy)
            nap();
    }
    if (have_local)
        pthread_join(local, NULL);
    /* Every send to a rank that answered has been received by now, save the STOPs and CANCELs a worker
     * may still be reading: wait for those, unless a rank was lost (cli_mpi_end aborts then). */
    while (!w->abandoned && w->nsends) {
        reap_sends(w);
        if (w->nsends)
            nap();
    }
}

const struct bn_workers *cli_mpi_as_workers(struct cli_mpi_workers *w)
{
    w->w = (struct bn_workers){run0, w->threads};
    return &w->w;
}

/* ---- a worker rank ------------------------------------------------------------------------------------- */

struct worker;

/* One slot: a thread that runs one item at a time; its result waits in `full` for the main thread. */
struct slot {
    struct worker *k;
    pthread_t tid;
    int item;
    bn_result *res;           /* NULL: failed */
    bool full, interrupted;
    char err[1024];
};

struct worker {
    bn_model *m;
    struct bn_run_options ro;
    char tmp[PATH_MAX];       /* this rank's trace_dir */
    pthread_mutex_t lock;
    pthread_cond_t cv;        /* the queue grew, or a slot's result was taken */
    /* Items (or -1: stop) for the slots, oldest first.  At most one per slot is ever waiting (rank 0
     * answers each slot's ask once), so the queue has room for nslots and never grows. */
    int *queue, nqueue;
    struct slot *slots;
    int nslots;
    bool *recorded;           /* items whose rows this rank holds (ran here, or sent as a dependency) */
};

static void *slot_main(void *arg)
{
    struct slot *sl = arg;
    struct worker *k = sl->k;
    for (;;) {
        pthread_mutex_lock(&k->lock);
        while (!k->nqueue || sl->full)
            pthread_cond_wait(&k->cv, &k->lock);
        int item = k->queue[0];
        memmove(k->queue, k->queue + 1, sizeof *k->queue * (size_t)--k->nqueue);
        pthread_mutex_unlock(&k->lock);
        if (item < 0)
            return NULL;
        char err[sizeof sl->err] = "";
        bn_result *res = bn_run_item(k->m, item, &k->ro, err, sizeof err);
        pthread_mutex_lock(&k->lock);
        sl->item = item;
        sl->res = res;
        sl->interrupted = !res && bn_cancelled(k->m);
        memcpy(sl->err, err, sizeof err);
        sl->full = true;
        pthread_mutex_unlock(&k->lock);
        if (!res)
            return NULL;   /* like bn_threads: a slot stops at its first failed item */
    }
}

static void enqueue(struct worker *k, int item)
{
    pthread_mutex_lock(&k->lock);
    if (k->nqueue < k->nslots)   /* always (see struct worker) */
        k->queue[k->nqueue++] = item;
    pthread_cond_broadcast(&k->cv);
    pthread_mutex_unlock(&k->lock);
}

/* ITEM: record the rows of its dependencies that this rank lacks, and return the item (-1: damaged). */
static int on_item(struct worker *k, struct rd *r)
{
    int item = (int)get_i64(r);
    int64_t nd = get_i64(r);
    for (int64_t d = 0; d < nd && !r->bad; d++) {
        int dep = (int)get_i64(r), n;
        struct bn_row *rows = get_rows(r, &n);
        if (rows && dep >= 0 && dep < bn_nitems(k->m) && !k->recorded[dep]) {
            bn_record_rows(k->m, dep, rows, n);
            k->recorded[dep] = true;
        }
        free(rows);
    }
    return !r->bad && item >= 0 && item < bn_nitems(k->m) ? item : -1;
}

/* The recordings the item wrote to this rank's trace_dir, moved into the message (p<point>-t<trial>-*). */
static void put_traces(struct worker *k, struct msg *b, int item)
{
    char dir[PATH_MAX + 8], prefix[64];
    snprintf(dir, sizeof dir, "%s/traces", k->tmp);
    snprintf(prefix, sizeof prefix, "p%d-t%d-", bn_item_point(k->m, item), bn_item_trial(k->m, item));
    size_t np = strlen(prefix);
    int64_t count = 0;
    struct msg files = {0};
    DIR *d = opendir(dir);
    for (struct dirent *e; d && (e = readdir(d));) {
        if (strncmp(e->d_name, prefix, np) != 0)
            continue;
        char path[PATH_MAX + 300];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        FILE *f = fopen(path, "rb");
        char *data = NULL;
        long len = -1;
        if (f && fseek(f, 0, SEEK_END) == 0 && (len = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
            (data = malloc((size_t)len + 1)) && fread(data, 1, (size_t)len, f) == (size_t)len) {
            put_str(&files, e->d_name);
            put_bytes(&files, data, (size_t)len);
            count++;
        } else {
            files.oom = true;   /* a recording that cannot be read: the item fails rather than lose it */
        }
        if (f)
            fclose(f);
        free(data);
        unlink(path);
    }
    if (d)
        closedir(d);
    put_i64(b, count);
    put(b, files.p, files.n);
    b->oom |= files.oom;
    free(files.p);
}

/* DONE or FAIL for a slot's finished item, sent to rank 0; the slot's result is freed. */
static void send_finished(struct worker *k, struct slot *sl)
{
    struct msg b = {0};
    put_i64(&b, sl->item);
    if (sl->res) {
        const struct bn_timing *t = bn_timing(sl->res);
        put_f64(&b, t->wall_s);
        put_f64(&b, t->compile_ms);
        put_f64(&b, t->build_ms);
        put_f64(&b, t->sim_ms);
        put_i64(&b, t->synapses);
        put_i64(&b, t->threads);
        put_f64(&b, t->kernel_wait_ms);
        put_rows(&b, bn_row(sl->res, 0), bn_nrows(sl->res));
        put_traces(k, &b, sl->item);
        k->recorded[sl->item] = true;
        bn_result_free(sl->res);
        sl->res = NULL;
        if (!b.oom) {
            MPI_Send(b.p, (int)b.n, MPI_BYTE, 0, TAG_DONE, MPI_COMM_WORLD);
            free(b.p);
            return;
        }
        /* cannot pack the result: the item fails (and this slot ends) */
        free(b.p);
        b = (struct msg){0};
        put_i64(&b, sl->item);
        snprintf(sl->err, sizeof sl->err, "point %d, trial %d: out of memory sending its result",
                 bn_item_point(k->m, sl->item), bn_item_trial(k->m, sl->item));
        enqueue(k, -1);
    }
    put_i64(&b, sl->interrupted);
    put_str(&b, sl->err);
    MPI_Send(b.p ? b.p : "", b.oom ? 0 : (int)b.n, MPI_BYTE, 0, TAG_FAIL, MPI_COMM_WORLD);
    free(b.p);
}

/* The slots' threads, as many as can be started (0 when the temporary folder cannot be made). */
static int start_slots(const struct cli_mpi *mp, struct worker *k, int threads)
{
    const char *tmpdir = getenv("TMPDIR");
    snprintf(k->tmp, sizeof k->tmp, "%s/balnet-rank%d-XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp", mp->rank);
    if (!mkdtemp(k->tmp)) {
        fprintf(stderr, "balnet: warning: rank %d runs no items: cannot create %s: %s\n", mp->rank, k->tmp,
                strerror(errno));
        k->tmp[0] = 0;
        return 0;
    }
    k->recorded = calloc((size_t)bn_nitems(k->m) + 1, sizeof *k->recorded);
    k->queue = calloc((size_t)threads + 1, sizeof *k->queue);
    k->slots = calloc((size_t)threads + 1, sizeof *k->slots);
    if (!k->recorded || !k->queue || !k->slots) {
        fprintf(stderr, "balnet: warning: rank %d runs no items: out of memory\n", mp->rank);
        return 0;
    }
    int n = 0;
    for (; n < threads; n++) {
        k->slots[n].k = k;
        if (pthread_create(&k->slots[n].tid, NULL, slot_main, &k->slots[n]) != 0)
            break;
    }
    return n;
}

int cli_mpi_serve(const struct cli_mpi *mp, bn_model *m, int threads, const struct bn_run_options *ro)
{
    struct worker k = {.m = m, .ro = *ro, .nslots = threads};
    pthread_mutex_init(&k.lock, NULL);
    pthread_cond_init(&k.cv, NULL);
    int nslots = start_slots(mp, &k, threads);
    k.ro.trace_dir = k.tmp;
    k.ro.keep_spikes = false;
    k.ro.on_spikes = NULL;
    MPI_Gather(&nslots, 1, MPI_INT, NULL, 0, MPI_INT, 0, MPI_COMM_WORLD);
    for (int i = 0; i < nslots; i++)
        MPI_Send("", 0, MPI_BYTE, 0, TAG_ASK, MPI_COMM_WORLD);
    int live = nslots, rc = 0;
    while (live > 0) {
        bool busy = false;
        struct rd r;
        int tag, from;
        while (poll_msg(0, &r, &tag, &from)) {
            busy = true;
            if (tag == TAG_CANCEL) {
                bn_cancel(m);
            } else if (tag == TAG_STOP) {
                enqueue(&k, -1);
                live--;
            } else if (tag == TAG_ITEM) {
                int item = on_item(&k, &r);
                if (item >= 0) {
                    enqueue(&k, item);
                } else {   /* cannot happen between two ranks of one build; end that slot, say why */
                    struct msg b = {0};
                    put_i64(&b, item);
                    put_i64(&b, 0);
                    put_str(&b, "a damaged item message");
                    MPI_Send(b.p ? b.p : "", b.oom ? 0 : (int)b.n, MPI_BYTE, 0, TAG_FAIL, MPI_COMM_WORLD);
                    free(b.p);
                    enqueue(&k, -1);
                    live--;
                }
            }
            free((void *)r.p);
        }
        for (int i = 0; i < nslots; i++) {
            pthread_mutex_lock(&k.lock);
            bool full = k.slots[i].full;
            pthread_mutex_unlock(&k.lock);
            if (!full)
                continue;
            busy = true;
            struct slot *sl = &k.slots[i];
            bool ok = sl->res != NULL;
            send_finished(&k, sl);
            if (!ok || sl->err[0]) {   /* failed, or its result could not be sent */
                live--;
                rc = rc ? rc : sl->interrupted ? EXIT_INTERRUPTED : EXIT_MODEL;
            }
            pthread_mutex_lock(&k.lock);
            sl->full = false;
            sl->err[0] = 0;
            pthread_cond_broadcast(&k.cv);
            pthread_mutex_unlock(&k.lock);
        }
        if (!busy)
            nap();
    }
    for (int i = 0; i < nslots; i++)
        pthread_join(k.slots[i].tid, NULL);
    free(k.slots);
    free(k.queue);
    free(k.recorded);
    if (k.tmp[0]) {
        char traces[PATH_MAX + 8];
        snprintf(traces, sizeof traces, "%s/traces", k.tmp);
        rmdir(traces);
        rmdir(k.tmp);
    }
    pthread_mutex_destroy(&k.lock);
    pthread_cond_destroy(&k.cv);
    return rc;
}

/* ---- one network over every rank (--ranks-per-point = ranks) -------------------------------------------
 * Rank 0 takes the items one at a time from the scheduler and broadcasts each (with the rows of the items
 * it depends on, which only rank 0 may hold after --resume); every rank runs it as its part (part = rank),
 * in the main thread, whose runtime thread 0 calls the exchange below (MPI_THREAD_FUNNELED).  After each
 * item every rank's verdict goes to rank 0 (MPI_Gather): an item fails when any part failed. */

struct cli_mpi_split {
    struct bn_workers w;      /* first: run_split() gets &w back and casts it to this struct */
    const struct cli_mpi *mp;
    bn_model *m;
    int *counts, *displs;     /* size */
    char *buf;                /* the last exchange's result */
    size_t cap;
};

struct cli_mpi_split *cli_mpi_split_new(const struct cli_mpi *mp, bn_model *m, int *threads)
{
    /* every part must run the same threads (part.h): the fewest any rank would take */
    int mine = *threads;
    MPI_Allreduce(&mine, threads, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
    struct cli_mpi_split *x = calloc(1, sizeof *x);
    if (!x)
        return NULL;
    x->mp = mp;
    x->m = m;
    x->counts = calloc((size_t)mp->size, sizeof *x->counts);
    x->displs = calloc((size_t)mp->size, sizeof *x->displs);
    if (!x->counts || !x->displs) {
        cli_mpi_split_free(x);
        return NULL;
    }
    return x;
}

void cli_mpi_split_free(struct cli_mpi_split *x)
{
    if (!x)
        return;
    free(x->counts);
    free(x->displs);
    free(x->buf);
    free(x);
}

/* bn_run_options.exchange: MPI_Allgatherv (to_first: MPI_Gatherv to rank 0) of every part's bytes, after
 * an MPI_Allgather (MPI_Gather) of their sizes.  A message is at most INT_MAX bytes (MPI's count). */
static const void *split_exchange(void *ctx, const void *send, size_t bytes, bool to_first, size_t *sizes)
{
    struct cli_mpi_split *x = ctx;
    const int size = x->mp->size, root = x->mp->rank == 0;
    int n = bytes > INT_MAX ? -1 : (int)bytes;
    if (to_first)
        MPI_Gather(&n, 1, MPI_INT, x->counts, 1, MPI_INT, 0, MPI_COMM_WORLD);
    else
        MPI_Allgather(&n, 1, MPI_INT, x->counts, 1, MPI_INT, MPI_COMM_WORLD);
    size_t total = 0;
    bool bad = n < 0;
    for (int r = 0; (root || !to_first) && r < size; r++) {
        bad |= x->counts[r] < 0 || total + (size_t)(x->counts[r] > 0 ? x->counts[r] : 0) > INT_MAX;
        x->displs[r] = (int)total;
        total += x->counts[r] > 0 ? (size_t)x->counts[r] : 0;
    }
    /* every rank decides `bad` from the same counts (all of them but with to_first, where only rank 0
     * receives): the collective below runs on all or none */
    if (bad && !to_first)
        return NULL;
    if (to_first) {
        int b = bad;
        MPI_Bcast(&b, 1, MPI_INT, 0, MPI_COMM_WORLD);
        if (b)
            return NULL;
    }
    if ((root || !to_first) && total + 1 > x->cap) {
        char *p = realloc(x->buf, total + 1);
        if (!p)   /* cannot receive: the MPI library cannot be told; end the job (rank 0 names it) */
            MPI_Abort(MPI_COMM_WORLD, EXIT_MODEL);
        x->buf = p;
        x->cap = total + 1;
    }
    if (to_first)
        MPI_Gatherv(send, n, MPI_BYTE, x->buf, x->counts, x->displs, MPI_BYTE, 0, MPI_COMM_WORLD);
    else
        MPI_Allgatherv(send, n, MPI_BYTE, x->buf, x->counts, x->displs, MPI_BYTE, MPI_COMM_WORLD);
    if (to_first && !root)
        return send ? send : (const void *)"";
    for (int r = 0; r < size; r++)
        sizes[r] = (size_t)x->counts[r];
    return x->buf;
}

void cli_mpi_split_options(struct cli_mpi_split *x, struct bn_run_options *ro)
{
    ro->part = x->mp->rank;
    ro->parts = x->mp->size;
    ro->exchange = split_exchange;
    ro->exchange_ctx = x;
}

/* Every rank's verdict on the item (its message when it failed) to rank 0: the first failing rank's
 * message in err (with rank 0's own first), *interrupted when any rank was cancelled. */
static bool split_verdict(struct cli_mpi_split *x, bool ok, bool cancelled, char *err, size_t errlen, bool *interrupted)
{
    enum { LEN = 1024 };
    char mine[LEN + 2];
    mine[0] = ok;
    mine[1] = cancelled;
    snprintf(mine + 2, LEN, "%s", ok ? "" : err);
    char *all = x->mp->rank == 0 ? malloc((size_t)x->mp->size * (LEN + 2)) : NULL;
    if (x->mp->rank == 0 && !all)
        MPI_Abort(MPI_COMM_WORLD, EXIT_MODEL);
    MPI_Gather(mine, LEN + 2, MPI_CHAR, all, LEN + 2, MPI_CHAR, 0, MPI_COMM_WORLD);
    bool all_ok = ok;
    *interrupted = cancelled;
    for (int r = 0; all && r < x->mp->size; r++) {
        const char *v = all + (size_t)r * (LEN + 2);
        *interrupted |= v[1] != 0;
        if (!v[0] && all_ok) {
            all_ok = false;
            snprintf(err, errlen, "rank %d: %s", r, v + 2);
        }
    }
    free(all);
    return all_ok;
}

/* ITEM for every rank: the item (-1: no more), then its dependencies' rows (send_item's layout). */
static int split_broadcast(struct cli_mpi_split *x, int item)
{
    struct msg b = {0};
    int64_t size = 0;
    if (x->mp->rank == 0) {
        int point = item >= 0 ? bn_item_point(x->m, item) : 0, trial = item >= 0 ? bn_item_trial(x->m, item) : 1;
        int nd = item >= 0 ? bn_point_ndeps(x->m, point) : 0;
        put_i64(&b, item);
        put_i64(&b, nd);
        for (int d = 0; d < nd; d++) {
            int dep = bn_point_dep(x->m, point, d) * bn_ntrials(x->m) + trial - 1;
            const struct bn_row *rows = NULL;
            int n = bn_item_rows(x->m, dep, &rows);
            put_i64(&b, dep);
            put_rows(&b, rows, n);
        }
        size = b.oom || b.n > INT_MAX ? -1 : (int64_t)b.n;
    }
    MPI_Bcast(&size, 1, MPI_INT64_T, 0, MPI_COMM_WORLD);
    if (size < 0) {
        free(b.p);
        return -2;   /* rank 0 ran out of memory packing it: every rank stops */
    }
    if (x->mp->rank != 0 && !(b.p = malloc((size_t)size + 1)))
        MPI_Abort(MPI_COMM_WORLD, EXIT_MODEL);
    MPI_Bcast(b.p, (int)size, MPI_BYTE, 0, MPI_COMM_WORLD);
    struct rd r = {b.p, (size_t)size, 0, false};
    int it = (int)get_i64(&r);
    int64_t nd = get_i64(&r);
    for (int64_t d = 0; x->mp->rank != 0 && d < nd && !r.bad; d++) {
        int dep = (int)get_i64(&r), n;
        struct bn_row *rows = get_rows(&r, &n);
        if (rows && dep >= 0 && dep < bn_nitems(x->m))
            bn_record_rows(x->m, dep, rows, n);
        free(rows);
    }
    free(b.p);
    return r.bad ? -2 : it;
}

/* bn_workers.run on rank 0: every item in turn, on every rank. */
static void run_split(const struct bn_workers *bw, bn_sched *s, bn_item_fn fn, void *ctx)
{
    struct cli_mpi_split *x = (struct cli_mpi_split *)bw;
    for (;;) {
        int item = bn_sched_next(s);
        if (split_broadcast(x, item) < 0 || item < 0)
            return;
        char err[1024] = "";
        bool interrupted;
        bool ok = fn(ctx, item, err, sizeof err);
        ok = split_verdict(x, ok, bn_cancelled(x->m), err, sizeof err, &interrupted);
        if (interrupted)
            bn_cancel(x->m);
        if (ok)
            bn_sched_done(s, item);
        else
            bn_sched_fail(s, item, err);
    }
}

const struct bn_workers *cli_mpi_split_workers(struct cli_mpi_split *x)
{
    x->w = (struct bn_workers){run_split, 1};
    return &x->w;
}

int cli_mpi_split_serve(struct cli_mpi_split *x, const struct bn_run_options *ro)
{
    int rc = 0;
    for (;;) {
        int item = split_broadcast(x, -1);
        if (item < 0)
            return rc;
        char err[1024] = "";
        bn_result *res = bn_run_item(x->m, item, ro, err, sizeof err);
        bool interrupted;
        if (!split_verdict(x, res != NULL, bn_cancelled(x->m), err, sizeof err, &interrupted) && !rc)
            rc = interrupted ? EXIT_INTERRUPTED : EXIT_MODEL;
        bn_result_free(res);
    }
}
