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
 * large messages crossing cannot deadlock.  With --ranks-per-point K < ranks, the leader of each group of K
 * ranks but rank 0's speaks this protocol as a worker of one slot ("one network over K ranks" below).
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
#include <stdatomic.h>
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

/* Without a process manager's environment (cli_mpi_launched: Open MPI's mpirun, PMIx for Open MPI 4 and 5 and
 * srun --mpi=pmix, PMI-1/2 for MPICH's Hydra and srun --mpi=pmi2), MPI_Init would start a singleton, slowly,
 * for nothing. */
bool cli_mpi_start(struct cli_mpi *mp, char *err, size_t errlen)
{
    *mp = (struct cli_mpi){0, 1, 1};
    if (!cli_mpi_launched())
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

size_t cli_mpi_min_size(const struct cli_mpi *mp, size_t x)
{
    (void)mp;
    unsigned long long mine = x, least = x;
    MPI_Allreduce(&mine, &least, 1, MPI_UNSIGNED_LONG_LONG, MPI_MIN, MPI_COMM_WORLD);
    return (size_t)least;
}

int cli_mpi_go(const struct cli_mpi *mp, int rc)
{
    MPI_Bcast(&rc, 1, MPI_INT, 0, MPI_COMM_WORLD);
    return rc;
}

void cli_mpi_end(const struct cli_mpi *mp, int rc, bool abort)
{
    if (mp->size <= 1 && !cli_mpi_launched())
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

/* An item's timing as DONE carries it (a slot's send_finished and a group leader's lead_done alike): the
 * fields timings.csv and run.json write; a split part's exchange figures stay on its rank (-v). */
static void put_timing(struct msg *b, const struct bn_timing *t)
{
    put_f64(b, t->wall_s);
    put_f64(b, t->compile_ms);
    put_f64(b, t->build_ms);
    put_f64(b, t->sim_ms);
    put_i64(b, t->synapses);
    put_i64(b, t->threads);
    put_f64(b, t->kernel_wait_ms);
}

static struct bn_timing get_timing(struct rd *r)
{
    struct bn_timing t = {0};
    t.wall_s = get_f64(r);
    t.compile_ms = get_f64(r);
    t.build_ms = get_f64(r);
    t.sim_ms = get_f64(r);
    t.synapses = get_i64(r);
    t.threads = (int)get_i64(r);
    t.kernel_wait_ms = get_f64(r);
    return t;
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
    int lead;                 /* ranks between two that take items: 1, or K (groups' leaders, split) */
    bool remote;              /* hand items to the other ranks */
    bool verbose;             /* say which rank ran each item */
    bn_sched *s;
    int *asks, nasks;         /* ranks with a slot waiting for an answer, oldest first */
    int live;                 /* slots of the other ranks not ended yet */
    int *holder;              /* per item: the rank running it (-1: none) */
    struct send *sends;
    int nsends, capsends;
    bool abandoned;           /* rank 0 stopped waiting for slots that did not answer */
    double cancelled_at;      /* when rank 0 saw bn_cancel (0: not yet) */
};

struct cli_mpi_workers *cli_mpi_workers(const struct cli_mpi *mp, bn_model *m, bn_folder *f, int threads,
                                        bool remote, bool verbose)
{
    struct cli_mpi_workers *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    *w = (struct cli_mpi_workers){.mp = mp, .m = m, .folder = f, .threads = threads, .lead = 1, .remote = remote,
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
    struct bn_timing t = get_timing(r);
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
    if (ok && w->verbose && w->lead > 1)
        fprintf(stderr, "balnet: point %d, trial %d: ran on ranks %d-%d (%.2f s)\n", bn_item_point(w->m, item),
                bn_item_trial(w->m, item), rank, rank + w->lead - 1, t.wall_s);
    else if (ok && w->verbose)
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
        if (w->holder[i] >= 0 && w->lead > 1)   /* a group: its leader waits for the dead one, or is it */
            fprintf(stderr, "balnet: error: ranks %d-%d did not answer (one of them died or was killed; mpirun "
                            "names it) while they ran point %d, trial %d: that item is not in the folder; --resume "
                            "runs it\n", w->holder[i], w->holder[i] + w->lead - 1, bn_item_point(w->m, i),
                    bn_item_trial(w->m, i));
        else if (w->holder[i] >= 0)
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

/* One round of rank 0's service to the ranks that take items: their messages, a cancel passed on to them,
 * the asks answered, the finished sends freed.  True when a message arrived. */
static bool serve_round(struct cli_mpi_workers *w)
{
    bool busy = false;
    struct rd r;
    int tag, rank;
    while (poll_msg(MPI_ANY_SOURCE, &r, &tag, &rank)) {
        on_message(w, tag, rank, &r);
        free((void *)r.p);
        busy = true;
    }
    if (!w->cancelled_at && bn_cancelled(w->m)) {
        w->cancelled_at = now_s();
        for (int k = w->lead; k < w->mp->size; k += w->lead) {
            struct msg b = {0};
            post(w, k, TAG_CANCEL, &b);
        }
    }
    answer_asks(w);
    reap_sends(w);
    return busy;
}

/* After bn_cancel: true (the lost items named) once the ranks that still hold items had their grace. */
static bool give_up(struct cli_mpi_workers *w)
{
    if (!w->cancelled_at || now_s() - w->cancelled_at <= CANCEL_GRACE_S)
        return false;
    name_lost(w);
    return true;
}

/* Every send to a rank that answered has been received by now, save the STOPs and CANCELs a worker may
 * still be reading: wait for those, unless a rank was lost (cli_mpi_end aborts then). */
static void drain_sends(struct cli_mpi_workers *w)
{
    while (!w->abandoned && w->nsends) {
        reap_sends(w);
        if (w->nsends)
            nap();
    }
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
    while (w->live > 0) {
        bool busy = serve_round(w);
        if (give_up(w))
            break;
        if (!busy)
            nap();
    }
    if (have_local)
        pthread_join(local, NULL);
    drain_sends(w);
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

/* ITEM: record the rows of its dependencies that this rank lacks (recorded: per item, or NULL: all), and
 * return the item (-1: damaged). */
static int get_item(bn_model *m, struct rd *r, bool *recorded)
{
    int item = (int)get_i64(r);
    int64_t nd = get_i64(r);
    for (int64_t d = 0; d < nd && !r->bad; d++) {
        int dep = (int)get_i64(r), n;
        struct bn_row *rows = get_rows(r, &n);
        if (rows && dep >= 0 && dep < bn_nitems(m) && !(recorded && recorded[dep])) {
            bn_record_rows(m, dep, rows, n);
            if (recorded)
                recorded[dep] = true;
        }
        free(rows);
    }
    return !r->bad && item >= 0 && item < bn_nitems(m) ? item : -1;
}

static int on_item(struct worker *k, struct rd *r) { return get_item(k->m, r, k->recorded); }

/* The recordings the item wrote to this rank's trace_dir tmp, moved into the message (p<point>-t<trial>-*). */
static void put_traces(const char *tmp, bn_model *m, struct msg *b, int item)
{
    char dir[PATH_MAX + 8], prefix[64];
    snprintf(dir, sizeof dir, "%s/traces", tmp);
    snprintf(prefix, sizeof prefix, "p%d-t%d-", bn_item_point(m, item), bn_item_trial(m, item));
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
        put_timing(&b, bn_timing(sl->res));
        put_rows(&b, bn_row(sl->res, 0), bn_nrows(sl->res));
        put_traces(k->tmp, k->m, &b, sl->item);
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

/* This rank's private temporary folder for its items' recordings ($TMPDIR/balnet-rank<k>-XXXXXX), into
 * tmp; false (with a warning) when it cannot be made. */
static bool make_tmp(const struct cli_mpi *mp, char *tmp, size_t len)
{
    const char *tmpdir = getenv("TMPDIR");
    snprintf(tmp, len, "%s/balnet-rank%d-XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp", mp->rank);
    if (mkdtemp(tmp))
        return true;
    fprintf(stderr, "balnet: warning: rank %d runs no items: cannot create %s: %s\n", mp->rank, tmp, strerror(errno));
    tmp[0] = 0;
    return false;
}

/* The temporary folder, empty by now, removed. */
static void remove_tmp(const char *tmp)
{
    if (!tmp[0])
        return;
    char traces[PATH_MAX + 8];
    snprintf(traces, sizeof traces, "%s/traces", tmp);
    rmdir(traces);
    rmdir(tmp);
}

/* The slots' threads, as many as can be started (0 when the temporary folder cannot be made). */
static int start_slots(const struct cli_mpi *mp, struct worker *k, int threads)
{
    if (!make_tmp(mp, k->tmp, sizeof k->tmp))
        return 0;
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
    remove_tmp(k.tmp);
    pthread_mutex_destroy(&k.lock);
    pthread_cond_destroy(&k.cv);
    return rc;
}

/* ---- one network over K ranks (--ranks-per-point K) ---------------------------------------------------
 * The R ranks form R / K groups of K consecutive ranks (MPI_Comm_split); group g's ranks g K .. g K + K - 1
 * run parts 0 .. K - 1 of one item at a time, rank g K (the group's leader, part 0) in the main thread,
 * whose runtime thread 0 calls the exchange below on the group's communicator (MPI_THREAD_FUNNELED).
 * The leader broadcasts each item to its group (with the rows of the items it depends on: split_broadcast)
 * and gathers every part's verdict after it (split_verdict: an item fails when any part failed).
 *
 * Rank 0 leads group 0: it takes that group's items from the scheduler itself and appends them as one
 * process does.  With more than one group, the other leaders take items from rank 0 with the sweep's
 * protocol above (ASK, ITEM, DONE, FAIL, STOP, CANCEL: each leader is one slot), so items are handed out
 * dynamically and rank 0 alone writes the folder.  Rank 0 is busy in its own group's items, so it serves
 * the other leaders from inside its exchanges (at most every SERVICE_S, `service`); a leader likewise
 * looks for rank 0's CANCEL there.  A sweep's other groups thus wait at most one interval of rank 0's
 * item (dmin steps) plus SERVICE_S for an answer. */

/* The least time between two services from inside the exchange: an MPI_Iprobe costs about a microsecond,
 * an exchange tens, so 1 ms keeps the cost to the exchange negligible and the latency to the others low. */
#define SERVICE_S 0.001

struct cli_mpi_split {
    struct bn_workers w;      /* first: run_split() gets &w back and casts it to this struct */
    const struct cli_mpi *mp;
    bn_model *m;
    MPI_Comm comm;            /* this rank's group */
    int grank, gsize;         /* in the group: part and parts */
    int first, groups;        /* the group's rank 0 in MPI_COMM_WORLD; the number of groups */
    struct cli_mpi_workers *mw;   /* rank 0, more than one group: its service to the other leaders */
    void (*service)(struct cli_mpi_split *x);   /* called from the exchange (NULL: none) */
    double served;            /* when it was last called */
    /* Rank 0's watchdog (see watchdog()): odd while the main thread is in a collective of the group, and
     * the item it runs; the thread and its stop flag. */
    atomic_long xseq;
    atomic_int item_now;
    atomic_bool wd_stop;
    pthread_t wd;
    bool have_wd;
    int *counts, *displs;     /* gsize */
    char *buf;                /* the last exchange's result */
    size_t cap;
    /* The spike exchange's fixed blocks (allgather_blocks): `block` bytes per part, the same on every part;
     * this part's block, every part's, and the rest of the messages that did not fit. */
    size_t block;
    char *mine, *blocks, *over;
    size_t over_cap;
};

struct cli_mpi_split *cli_mpi_split_new(const struct cli_mpi *mp, bn_model *m, int k, int *threads)
{
    /* every part must run the same threads (part.h): the fewest any rank would take (over every group:
     * points.csv does not depend on them, and one number keeps timings.csv's threads column uniform) */
    int mine = *threads;
    MPI_Allreduce(&mine, threads, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
    struct cli_mpi_split *x = calloc(1, sizeof *x);
    MPI_Comm comm;
    MPI_Comm_split(MPI_COMM_WORLD, mp->rank / k, mp->rank, &comm);   /* collective: before any return */
    if (!x) {
        MPI_Comm_free(&comm);
        return NULL;
    }
    x->mp = mp;
    x->m = m;
    x->comm = comm;
    MPI_Comm_rank(comm, &x->grank);
    MPI_Comm_size(comm, &x->gsize);
    x->first = mp->rank - x->grank;
    x->groups = mp->size / k;
    x->counts = calloc((size_t)x->gsize, sizeof *x->counts);
    x->displs = calloc((size_t)x->gsize, sizeof *x->displs);
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
    if (x->have_wd) {
        atomic_store(&x->wd_stop, true);
        pthread_join(x->wd, NULL);
    }
    if (x->comm != MPI_COMM_NULL)
        MPI_Comm_free(&x->comm);
    cli_mpi_workers_free(x->mw);
    free(x->counts);
    free(x->displs);
    free(x->buf);
    free(x->mine);
    free(x->blocks);
    free(x->over);
    free(x);
}

/* bn_run_options.exchange's gathers to part 0 (to_first: statistics, recordings; the spike lists go
 * through allgather_blocks below): MPI_Gatherv (without to_first: MPI_Allgatherv) of every part's bytes,
 * after an MPI_Gather (MPI_Allgather) of their sizes.  A message is at most INT_MAX bytes (MPI's
 * count).  First, at most every SERVICE_S, this rank's service to the other groups. */
static const void *exchange_group(struct cli_mpi_split *x, const void *send, size_t bytes, bool to_first,
                                  size_t *sizes)
{
    const int size = x->gsize, root = x->grank == 0;
    int n = bytes > INT_MAX ? -1 : (int)bytes;
    if (to_first)
        MPI_Gather(&n, 1, MPI_INT, x->counts, 1, MPI_INT, 0, x->comm);
    else
        MPI_Allgather(&n, 1, MPI_INT, x->counts, 1, MPI_INT, x->comm);
    size_t total = 0;
    bool bad = n < 0;
    for (int r = 0; (root || !to_first) && r < size; r++) {
        bad |= x->counts[r] < 0 || total + (size_t)(x->counts[r] > 0 ? x->counts[r] : 0) > INT_MAX;
        x->displs[r] = (int)total;
        total += x->counts[r] > 0 ? (size_t)x->counts[r] : 0;
    }
    /* every rank decides `bad` from the same counts (all of them but with to_first, where only part 0
     * receives): the collective below runs on all or none */
    if (bad && !to_first)
        return NULL;
    if (to_first) {
        int b = bad;
        MPI_Bcast(&b, 1, MPI_INT, 0, x->comm);
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
        MPI_Gatherv(send, n, MPI_BYTE, x->buf, x->counts, x->displs, MPI_BYTE, 0, x->comm);
    else
        MPI_Allgatherv(send, n, MPI_BYTE, x->buf, x->counts, x->displs, MPI_BYTE, x->comm);
    if (to_first && !root)
        return send ? send : (const void *)"";
    for (int r = 0; r < size; r++)
        sizes[r] = (size_t)x->counts[r];
    return x->buf;
}

/* The smallest block, and the block after an interval whose largest message was `most` bytes: room for
 * a quarter more, shrinking by at most 1/16 per interval (so a burst does not cost every interval after
 * it, and a message that grows slowly rarely overflows).  Every part computes it from the same sizes. */
#define BLOCK_MIN 256
static size_t next_block(size_t block, size_t most)
{
    size_t grow = most + most / 4 + 8, shrink = block - block / 16;
    size_t b = grow > shrink ? grow : shrink;
    return b < BLOCK_MIN ? BLOCK_MIN : b > INT_MAX ? INT_MAX : (b + 7) / 8 * 8;
}

/* The spike exchange in one collective (issue 15): every part sends a block of x->block bytes, its
 * message's size (int64) then as much of the message as fits, with MPI_Allgather; only when a message did
 * not fit, an MPI_Allgatherv of the rest follows (every part sees every size, so all take it or none).
 * exchange_group's two collectives (the sizes, then the bytes) cost two latencies per interval; with the
 * size inside the block, an interval whose spikes fit costs one. */
static const void *allgather_blocks(struct cli_mpi_split *x, const void *send, size_t bytes, size_t *sizes)
{
    const int size = x->gsize;
    if (!x->mine) {
        x->block = BLOCK_MIN;
        x->mine = malloc(x->block);
        x->blocks = malloc(x->block * (size_t)size);
        if (!x->mine || !x->blocks)
            MPI_Abort(MPI_COMM_WORLD, EXIT_MODEL);
    }
    const size_t room = x->block - sizeof(int64_t);
    int64_t n = bytes > INT_MAX ? -1 : (int64_t)bytes;
    memcpy(x->mine, &n, sizeof n);
    if (bytes > 0)
        memcpy(x->mine + sizeof n, send, bytes < room ? bytes : room);
    MPI_Allgather(x->mine, (int)x->block, MPI_BYTE, x->blocks, (int)x->block, MPI_BYTE, x->comm);
    /* the sizes, the total and the overflow of every part, alike on every part */
    size_t total = 0, over = 0, most = 0;
    bool bad = false;
    for (int r = 0; r < size; r++) {
        int64_t m;
        memcpy(&m, x->blocks + (size_t)r * x->block, sizeof m);
        bad |= m < 0 || total + (size_t)(m > 0 ? m : 0) > INT_MAX;
        size_t mr = m > 0 ? (size_t)m : 0;
        sizes[r] = mr;
        x->counts[r] = (int)(mr > room ? mr - room : 0);
        x->displs[r] = (int)over;
        over += (size_t)x->counts[r];
        total += mr;
        most = mr > most ? mr : most;
    }
    if (bad)
        return NULL;
    if (total + 1 > x->cap) {
        char *p = realloc(x->buf, total + 1);
        if (!p)   /* cannot receive: the MPI library cannot be told; end the job (rank 0 names it) */
            MPI_Abort(MPI_COMM_WORLD, EXIT_MODEL);
        x->buf = p;
        x->cap = total + 1;
    }
    if (over > 0) {
        if (over > x->over_cap) {
            char *p = realloc(x->over, over);
            if (!p)
                MPI_Abort(MPI_COMM_WORLD, EXIT_MODEL);
            x->over = p;
            x->over_cap = over;
        }
        const int n_over = bytes > room ? (int)(bytes - room) : 0;
        MPI_Allgatherv(bytes > room ? (const char *)send + room : NULL, n_over, MPI_BYTE, x->over, x->counts,
                       x->displs, MPI_BYTE, x->comm);
    }
    /* every part's message, contiguous in part order: its block's part, then its overflow */
    size_t at = 0;
    for (int r = 0; r < size; r++) {
        size_t head = sizes[r] < room ? sizes[r] : room;
        memcpy(x->buf + at, x->blocks + (size_t)r * x->block + sizeof(int64_t), head);
        if (x->counts[r] > 0)
            memcpy(x->buf + at + head, x->over + x->displs[r], (size_t)x->counts[r]);
        at += sizes[r];
    }
    size_t next = next_block(x->block, most + sizeof(int64_t));
    if (next != x->block) {
        char *a = realloc(x->mine, next), *b = realloc(x->blocks, next * (size_t)size);
        if (a)
            x->mine = a;
        if (b)
            x->blocks = b;
        if (!a || !b)   /* the parts must agree on the block: no fallback */
            MPI_Abort(MPI_COMM_WORLD, EXIT_MODEL);
        x->block = next;
    }
    return x->buf;
}

static const void *split_exchange(void *ctx, const void *send, size_t bytes, bool to_first, size_t *sizes)
{
    struct cli_mpi_split *x = ctx;
    if (x->service) {
        double t = now_s();
        if (t - x->served >= SERVICE_S) {
            x->served = t;
            x->service(x);
        }
    }
    atomic_fetch_add(&x->xseq, 1);
    const void *all = to_first ? exchange_group(x, send, bytes, true, sizes) : allgather_blocks(x, send, bytes, sizes);
    atomic_fetch_add(&x->xseq, 1);
    return all;
}

void cli_mpi_split_options(struct cli_mpi_split *x, struct bn_run_options *ro)
{
    ro->part = x->grank;
    ro->parts = x->gsize;
    ro->exchange = split_exchange;
    ro->exchange_ctx = x;
}

/* Every part's verdict on the item (its message when it failed) to the group's part 0: the first failing
 * rank's message in err (with part 0's own first), *interrupted when any part was cancelled. */
static bool split_verdict(struct cli_mpi_split *x, bool ok, bool cancelled, char *err, size_t errlen, bool *interrupted)
{
    enum { LEN = 1024 };
    char mine[LEN + 2];
    mine[0] = ok;
    mine[1] = cancelled;
    snprintf(mine + 2, LEN, "%s", ok ? "" : err);
    char *all = x->grank == 0 ? malloc((size_t)x->gsize * (LEN + 2)) : NULL;
    if (x->grank == 0 && !all)
        MPI_Abort(MPI_COMM_WORLD, EXIT_MODEL);
    atomic_fetch_add(&x->xseq, 1);
    MPI_Gather(mine, LEN + 2, MPI_CHAR, all, LEN + 2, MPI_CHAR, 0, x->comm);
    atomic_fetch_add(&x->xseq, 1);
    bool all_ok = ok;
    *interrupted = cancelled;
    for (int r = 0; all && r < x->gsize; r++) {
        const char *v = all + (size_t)r * (LEN + 2);
        *interrupted |= v[1] != 0;
        if (!v[0] && all_ok) {
            all_ok = false;
            snprintf(err, errlen, "rank %d: %s", x->first + r, v + 2);
        }
    }
    free(all);
    return all_ok;
}

/* ITEM for every part of the group: the item (-1: no more), then its dependencies' rows (send_item's
 * layout), from part 0, which holds them (rank 0: recorded; a leader: sent with the item by rank 0). */
static int split_broadcast(struct cli_mpi_split *x, int item)
{
    struct msg b = {0};
    int64_t size = 0;
    if (x->grank == 0) {
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
    atomic_fetch_add(&x->xseq, 1);
    MPI_Bcast(&size, 1, MPI_INT64_T, 0, x->comm);
    atomic_fetch_add(&x->xseq, 1);
    if (size < 0) {
        free(b.p);
        return -2;   /* part 0 ran out of memory packing it: every part stops */
    }
    if (x->grank != 0 && !(b.p = malloc((size_t)size + 1)))
        MPI_Abort(MPI_COMM_WORLD, EXIT_MODEL);
    atomic_fetch_add(&x->xseq, 1);
    MPI_Bcast(b.p, (int)size, MPI_BYTE, 0, x->comm);
    atomic_fetch_add(&x->xseq, 1);
    struct rd r = {b.p, (size_t)size, 0, false};
    int it = x->grank != 0 ? get_item(x->m, &r, NULL) : (int)get_i64(&r);
    free(b.p);
    return r.bad ? -2 : it;
}

/* Rank 0's service from inside its exchanges: one round for the other groups' leaders. */
static void serve_leaders(struct cli_mpi_split *x) { serve_round(x->mw); }

/* A leader's service from inside its exchanges: rank 0's CANCEL (the only message it sends a leader
 * while the leader runs an item: ITEM and STOP answer an ask, which follows the item). */
static void watch_cancel(struct cli_mpi_split *x)
{
    int flag = 0;
    MPI_Iprobe(0, TAG_CANCEL, MPI_COMM_WORLD, &flag, MPI_STATUS_IGNORE);
    if (flag) {
        MPI_Recv(NULL, 0, MPI_BYTE, 0, TAG_CANCEL, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        bn_cancel(x->m);
    }
}

/* bn_workers.run on rank 0: group 0's items in turn, over its ranks; with more groups, the other leaders
 * served between and during them. */
static void run_split(const struct bn_workers *bw, bn_sched *s, bn_item_fn fn, void *ctx)
{
    struct cli_mpi_split *x = (struct cli_mpi_split *)bw;
    struct cli_mpi_workers *w = x->mw;
    if (w) {
        w->s = s;
        w->live = x->groups - 1;   /* one slot per other group: its leader's ASK is on its way */
        x->service = serve_leaders;
    }
    bool own = true;   /* group 0 takes items */
    for (;;) {
        bool busy = w && serve_round(w);
        if (own) {
            int item = w ? bn_sched_try_next(s) : bn_sched_next(s);
            if (item == BN_SCHED_WAIT) {
                nap();
                continue;
            }
            atomic_store(&x->item_now, item);
            if (split_broadcast(x, item) < 0 || item < 0) {
                if (item >= 0)
                    bn_sched_fail(s, item, "out of memory");
                own = false;
                continue;
            }
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
            continue;
        }
        if (!w || w->live <= 0 || give_up(w))
            break;
        if (!busy)
            nap();
    }
    x->service = NULL;
    if (w)
        drain_sends(w);
}

/* Rank 0's watchdog.  A rank of group 0 that dies leaves rank 0 waiting in a collective that never ends
 * (MPI has no timeout); mpirun or srun then stops the job (SIGTERM, which is bn_cancel here, then SIGKILL:
 * mpirun 1 s later, Slurm after KillWait), and rank 0 cannot say anything from its main thread.  This
 * thread does: when the main thread has been in one collective for CANCEL_GRACE_S after the stop, it names
 * the item and the ranks it waits for (a partner still building its network, which has no exchange,
 * makes it speak too: the message says so).  It touches nothing else: the folder keeps every item appended
 * before (results/results.c's crash model), and --resume repairs it and takes over its lock. */
static void *watchdog(void *arg)
{
    struct cli_mpi_split *x = arg;
    double since = 0;
    long seq = 0;
    while (!atomic_load(&x->wd_stop)) {
        struct timespec t = {0, 50000000};   /* 50 ms: a tenth of the grace */
        nanosleep(&t, NULL);
        if (!bn_cancelled(x->m))
            continue;
        long now = atomic_load(&x->xseq);
        if (!since || now != seq) {   /* the stop, or the main thread moved on: watch this collective */
            since = now_s();
            seq = now;
            continue;
        }
        if ((seq & 1) && now_s() - since > CANCEL_GRACE_S) {
            int item = atomic_load(&x->item_now);
            char who[64], what[96] = "";
            snprintf(who, sizeof who, x->gsize > 2 ? "ranks 1-%d, its partners" : "rank %d, its partner", x->gsize - 1);
            if (item >= 0)
                snprintf(what, sizeof what, " in point %d, trial %d", bn_item_point(x->m, item), bn_item_trial(x->m, item));
            fprintf(stderr, "balnet: error: rank 0 waited %.1f s after the stop for %s%s, in vain (a rank that "
                            "died or was killed, which mpirun names, or one still building its part): %s; the same "
                            "command with --resume runs the rest\n",
                    CANCEL_GRACE_S, who, what,
                    item >= 0 ? "that item is not in the folder, every finished one is" : "every finished item is in the folder");
            return NULL;
        }
    }
    return NULL;
}

const struct bn_workers *cli_mpi_split_workers(struct cli_mpi_split *x, bn_folder *f, bool remote, bool verbose)
{
    if (!x->have_wd)
        x->have_wd = pthread_create(&x->wd, NULL, watchdog, x) == 0;   /* without it: mpirun's word only */
    if (x->groups > 1 && !x->mw) {
        x->mw = cli_mpi_workers(x->mp, x->m, f, 0, remote, verbose);
        if (!x->mw)
            return NULL;
        x->mw->lead = x->gsize;
    }
    x->w = (struct bn_workers){run_split, 1};
    return &x->w;
}

bool cli_mpi_split_abandoned(const struct cli_mpi_split *x) { return x && x->mw && x->mw->abandoned; }

/* A leader's FAIL for its item (the slot, its group, then ends). */
static void lead_fail(int item, bool interrupted, const char *why)
{
    struct msg b = {0};
    put_i64(&b, item);
    put_i64(&b, interrupted);
    put_str(&b, why);
    MPI_Send(b.p ? b.p : "", b.oom ? 0 : (int)b.n, MPI_BYTE, 0, TAG_FAIL, MPI_COMM_WORLD);
    free(b.p);
}

/* A leader's DONE: send_finished's layout, with the recordings the item wrote to tmp.  False when it
 * cannot be packed. */
static bool lead_done(bn_model *m, const char *tmp, int item, const bn_result *res)
{
    struct msg b = {0};
    put_i64(&b, item);
    put_timing(&b, bn_timing(res));
    put_rows(&b, bn_row(res, 0), bn_nrows(res));
    put_traces(tmp, m, &b, item);
    if (!b.oom)
        MPI_Send(b.p, (int)b.n, MPI_BYTE, 0, TAG_DONE, MPI_COMM_WORLD);
    free(b.p);
    return !b.oom;
}

/* The leader of a group other than rank 0's: one slot of the sweep's protocol whose items run over the
 * group.  Returns the exit code (0, EXIT_INTERRUPTED, EXIT_MODEL). */
static int split_lead(struct cli_mpi_split *x, const struct bn_run_options *ro_in)
{
    x->service = watch_cancel;
    /* the recordings go to a private folder first, then to rank 0 with the rows (as a sweep's slot) */
    char tmp[PATH_MAX];
    struct bn_run_options ro = *ro_in;
    if (!make_tmp(x->mp, tmp, sizeof tmp)) {   /* this group runs nothing (FAIL of no item: its slot ends) */
        lead_fail(-1, false, "");
        split_broadcast(x, -1);
        return 0;
    }
    ro.trace_dir = tmp;
    MPI_Send("", 0, MPI_BYTE, 0, TAG_ASK, MPI_COMM_WORLD);
    int rc = -1;
    while (rc < 0) {
        struct rd r;
        int tag, from;
        if (!poll_msg(0, &r, &tag, &from)) {
            nap();
            continue;
        }
        int item = tag == TAG_ITEM ? get_item(x->m, &r, NULL) : -1;
        free((void *)r.p);
        if (tag == TAG_CANCEL) {
            bn_cancel(x->m);
            continue;
        }
        if (tag == TAG_ITEM && item < 0)   /* cannot happen between two ranks of one build: say so */
            lead_fail(item, false, "a damaged item message");
        if (item < 0) {
            split_broadcast(x, -1);
            rc = tag == TAG_STOP ? 0 : EXIT_MODEL;
            break;
        }
        if (split_broadcast(x, item) < 0) {
            lead_fail(item, false, "out of memory");
            rc = EXIT_MODEL;
            break;
        }
        char err[1024] = "";
        bn_result *res = bn_run_item(x->m, item, &ro, err, sizeof err);
        bool interrupted;
        bool ok = split_verdict(x, res != NULL, bn_cancelled(x->m), err, sizeof err, &interrupted);
        if (ok && !lead_done(x->m, tmp, item, res)) {
            snprintf(err, sizeof err, "point %d, trial %d: out of memory sending its result", bn_item_point(x->m, item),
                     bn_item_trial(x->m, item));
            ok = false;
        }
        bn_result_free(res);
        if (!ok) {
            lead_fail(item, interrupted, err);
            split_broadcast(x, -1);
            rc = interrupted ? EXIT_INTERRUPTED : EXIT_MODEL;
        }
    }
    remove_tmp(tmp);
    return rc;
}

int cli_mpi_split_serve(struct cli_mpi_split *x, const struct bn_run_options *ro)
{
    if (x->grank == 0)
        return split_lead(x, ro);
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

#ifdef BN_MPI_MODULE
#include "cli/mpi_table.h"
/* The module's one export (cli/mpi_table.h). */
const struct cli_mpi_table cli_mpi_module_table = {
    cli_mpi_version,        cli_mpi_start,        cli_mpi_agree,         cli_mpi_min_size,
    cli_mpi_go,             cli_mpi_workers,      cli_mpi_as_workers,    cli_mpi_abandoned,
    cli_mpi_workers_free,   cli_mpi_serve,        cli_mpi_split_new,     cli_mpi_split_options,
    cli_mpi_split_workers,  cli_mpi_split_serve,  cli_mpi_split_abandoned, cli_mpi_split_free,
    cli_mpi_end,
};
#endif
