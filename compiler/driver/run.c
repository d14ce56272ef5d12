/*
 * run.c - `balnet run`: expand the sweep, lower every point, compile (JIT or interpreter), run the
 * (point, trial) items on a pool of threads, and write the results folder as items complete.
 *
 * Reproducibility: an item's seed is derived from the master seed, the point's axis values (as text, so
 * it does not depend on which other points the sweep has) and the trial number; the runtime keys every
 * random stream by that seed.  Rows are appended in completion order (so an interrupted run keeps what it
 * finished) and points.csv is rewritten in (point, trial) order at the end, so the files are identical
 * whatever the thread count.
 */
#include "driver/driver.h"
#include "sema/sema.h"
#include "ir/ir.h"
#include "interp/interp.h"
#include "jit/jit.h"
#include "runtime/rt.h"
#include "results/plot.h"
#include "results/results.h"
#include "results/scaling.h"
#include "results/verdict.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static volatile int cancelled;
static void on_sigint(int sig)
{
    (void)sig;
    cancelled = 1;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* SplitMix64 (Steele et al., OOPSLA 2014): a bijective mixer, used to derive item seeds. */
static uint64_t mix64(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

static uint64_t hash_str(uint64_t h, const char *s)
{
    for (; *s; s++)
        h = mix64(h ^ (unsigned char)*s);
    return h;
}

/* Compiled kernels, shared by every item whose model has the same ir_kernels_hash (the paper's kernels
 * do not depend on N or c, so a whole sweep usually compiles once per synapse model). */
struct kentry {
    uint64_t hash;
    pthread_mutex_t lock;  /* held while compiling */
    bool ready, failed;
    struct ir_kernel *kernels;
    struct jit *jit;
    struct arena arena;    /* interpreter contexts */
    bool has_arena;
    struct kentry *next;
};

struct point {
    int *idx;              /* one value index per axis (trial axis: 0) */
    const char **values;   /* axis values as text, for points.csv */
    struct ir_model *ir;   /* NULL when the point needs measured statistics: lowered per item */
    uint64_t key;          /* hash of the axis values */
    int *deps, ndeps;      /* points whose statistics (same trial) this point's params use */
};

/* One measured value, kept for the points that depend on it. */
struct mrow {
    char *pop, *stat;
    double value;
};

enum item_state { ITEM_TODO, ITEM_RUNNING, ITEM_DONE };

struct item {
    int point, trial;
    enum item_state state;
    double wall_s;
    struct mrow *rows;
    int nrows;
};

/* --spikes: one CSV line per spike, in step order then population order then neuron order. */
struct spike_sink {
    FILE *f;
};
struct spike_ctx {
    struct spike_sink *sink;
    const struct ir_model *m;
};
static void write_spikes(void *ctx, int pop, int64_t step, const uint32_t *idx, int64_t n)
{
    struct spike_ctx *k = ctx;
    const char *name = pop < k->m->npops ? k->m->pops[pop].name : k->m->inputs[pop - k->m->npops].name;
    for (int64_t i = 0; i < n; i++)
        fprintf(k->sink->f, "%s,%lld,%u\n", name, (long long)step, idx[i]);
}

struct sweep {
    const struct drv_options *o;
    struct sema_model *model;
    int naxes;
    struct point *points;
    int npoints;
    struct item *items;
    int nitems, ntrials;
    int rt_threads;
    int64_t neurons_per_thread;   /* BALNET_NEURONS_PER_THREAD (tests, tuning); 0: the runtime's default */
    struct spike_sink *spikes;
    const char *out;       /* the results folder */
    struct res *res;
    pthread_mutex_t lock;  /* items, kernel list, counters */
    pthread_cond_t cv;     /* an item finished */
    pthread_mutex_t sema_lock; /* lowering allocates in the compilation arena */
    struct kentry *kernels;
    int done, failed;
    double compile_ms;
    int kernel_cache[3];   /* JIT compiles per enum jit_cache_state (off, miss, hit) */
    char error[1024];
    double t0;
};

static struct item *item_of(struct sweep *s, int point, int trial)
{
    return &s->items[point * s->ntrials + (trial - 1)];
}

/* Kernels for m from the cache, compiling them on first use.  NULL with a message on failure. */
static struct kentry *kernels_for(struct sweep *s, const struct ir_model *m, double *compile_ms, char *err,
                                  size_t errlen)
{
    uint64_t h = ir_kernels_hash(m);
    pthread_mutex_lock(&s->lock);
    struct kentry *e = s->kernels;
    while (e && e->hash != h)
        e = e->next;
    if (!e) {
        e = calloc(1, sizeof *e);
        e->hash = h;
        pthread_mutex_init(&e->lock, NULL);
        e->next = s->kernels;
        s->kernels = e;
    }
    pthread_mutex_unlock(&s->lock);

    pthread_mutex_lock(&e->lock);
    if (!e->ready && !e->failed) {
        e->kernels = calloc((size_t)m->npops + 1, sizeof *e->kernels);
        if (s->o->engine == ENGINE_INTERP) {
            /* The interpreter's context is the struct ir_pop; models with the same hash have the same
             * kernel content, so the first one's pops serve every later one. */
            arena_init(&e->arena);
            e->has_arena = true;
            for (int i = 0; i < m->npops; i++)
                e->kernels[i] = interp_kernel(&e->arena, &m->pops[i], m->dt);
            e->ready = true;
        } else {
            struct arena a;
            struct diags d;
            arena_init(&a);
            diags_init(&d, &a);
            struct jit_stats js;
            e->ready = jit_compile_model_stats(m, e->kernels, &e->jit, &js, &d);
            *compile_ms = js.compile_ms;
            if (s->o->verbose && e->ready)
                fprintf(stderr, "balnet: kernels: %s (%.0f ms)\n",
                        js.cache == JIT_CACHE_HIT ? "from cache" : "compiled", js.compile_ms);
            pthread_mutex_lock(&s->lock);
            s->kernel_cache[js.cache]++;
            pthread_mutex_unlock(&s->lock);
            if (!e->ready)
                snprintf(err, errlen, "JIT compilation failed: %s", d.head ? d.head->msg : "unknown error");
            arena_free(&a);
        }
        e->failed = !e->ready;
        pthread_mutex_lock(&s->lock);
        s->compile_ms += *compile_ms;
        pthread_mutex_unlock(&s->lock);
    } else if (e->failed) {
        snprintf(err, errlen, "JIT compilation failed (see the first error)");
    }
    pthread_mutex_unlock(&e->lock);
    return e->ready ? e : NULL;
}

/* sema_stat_fn: a statistic of the dependency point, same trial, from its finished item. */
struct lookup {
    struct sweep *s;
    int trial;
};
static bool lookup_stat(void *ctx, const int *dep_index, const char *pop, const char *stat, double *value)
{
    struct lookup *l = ctx;
    struct sweep *s = l->s;
    for (int pi = 0; pi < s->npoints; pi++) {
        const struct point *p = &s->points[pi];
        bool same = true;
        for (int a = 0; a < s->naxes && same; a++)
            same = sema_axis(s->model, a)->kind == SEMA_AXIS_TRIAL || p->idx[a] == dep_index[a];
        if (!same)
            continue;
        const struct item *it = item_of(s, pi, l->trial);
        if (it->state != ITEM_DONE)
            return false;
        for (int r = 0; r < it->nrows; r++)
            if (strcmp(it->rows[r].pop, pop) == 0 && strcmp(it->rows[r].stat, stat) == 0) {
                *value = it->rows[r].value;
                return true;
            }
        return false;
    }
    return false;
}

static void item_add_row(struct item *it, const char *pop, const char *stat, double value)
{
    struct mrow *r = realloc(it->rows, sizeof *r * (size_t)(it->nrows + 1));
    if (!r)
        return;
    it->rows = r;
    it->rows[it->nrows++] = (struct mrow){strdup(pop), strdup(stat), value};
}

static bool deps_done(struct sweep *s, const struct item *it)
{
    const struct point *p = &s->points[it->point];
    for (int d = 0; d < p->ndeps; d++)
        if (item_of(s, p->deps[d], it->trial)->state != ITEM_DONE)
            return false;
    return true;
}

static void fail(struct sweep *s, const char *msg)
{
    if (!s->failed++ && !cancelled)
        snprintf(s->error, sizeof s->error, "%s", msg);
    pthread_cond_broadcast(&s->cv);
}

/* Takes the next item whose dependencies are done, waiting while dependencies still run. */
static struct item *next_item(struct sweep *s)
{
    for (;;) {
        if (s->failed || cancelled)
            return NULL;
        bool todo = false, running = false;
        for (int i = 0; i < s->nitems; i++) {
            struct item *it = &s->items[i];
            running |= it->state == ITEM_RUNNING;
            if (it->state != ITEM_TODO)
                continue;
            todo = true;
            if (deps_done(s, it)) {
                it->state = ITEM_RUNNING;
                return it;
            }
        }
        if (!todo || !running)
            return NULL;   /* all taken, or waiting on nothing (cannot happen with acyclic deps) */
        pthread_cond_wait(&s->cv, &s->lock);
    }
}

static void progress(struct sweep *s)
{
    if (s->o->quiet || !isatty(2))
        return;
    int total = s->nitems;
    double el = now_s() - s->t0;
    double eta = s->done ? el / s->done * (total - s->done) : 0;
    int w = 30, fill = total ? w * s->done / total : w;
    fprintf(stderr, "\r[%.*s%*s] %d/%d points  %.0fs elapsed  ETA %.0fs   ", fill,
            "##############################", w - fill, "", s->done, total, el, eta);
    if (s->done == total)
        fputc('\n', stderr);
}

static void *worker(void *arg)
{
    struct sweep *s = arg;
    pthread_mutex_lock(&s->lock);
    for (;;) {
        struct item *it = next_item(s);
        if (!it)
            break;
        pthread_mutex_unlock(&s->lock);

        struct point *p = &s->points[it->point];
        char err[1024] = "";
        double t0 = now_s(), compile_ms = 0;
        struct ir_model *m = p->ir;
        if (!m) {
            /* Params measured in other arms: lower now that their items are done. */
            struct lookup l = {s, it->trial};
            struct arena a;
            struct diags d;
            arena_init(&a);
            diags_init(&d, &a);
            pthread_mutex_lock(&s->sema_lock);
            m = sema_lower_measured(s->model, p->idx, lookup_stat, &l, &d);
            pthread_mutex_unlock(&s->sema_lock);
            if (!m)
                snprintf(err, sizeof err, "point %d, trial %d: %s", it->point, it->trial,
                         d.head ? d.head->msg : "lowering failed");
            else if (s->o->has_seed)
                m->seed = s->o->seed;
            arena_free(&a);
        }
        struct kentry *k = m ? kernels_for(s, m, &compile_ms, err, sizeof err) : NULL;
        struct rt_run *r = NULL;
        if (k) {
            uint64_t seed = mix64(mix64(m->seed ^ p->key) ^ (uint64_t)it->trial);
            struct rt_options ro = {.threads = s->rt_threads, .cancel = &cancelled, .verbose = s->o->verbose,
                                    .neurons_per_thread = s->neurons_per_thread};
            /* Recordings (runtime/trace.h) go to the results folder. */
            ro.trace_dir = s->out;
            ro.trace_point = it->point;
            ro.trace_trial = it->trial;
            struct spike_ctx sc = {s->spikes, m};
            if (s->spikes) {
                ro.on_spikes = write_spikes;
                ro.on_spikes_ctx = &sc;
            }
            r = rt_run(m, k->kernels, seed, &ro, err, sizeof err);
            if (!r) {
                char msg[sizeof err];
                snprintf(msg, sizeof msg, "point %d, trial %d: %.990s", it->point, it->trial, err);
                memcpy(err, msg, sizeof err);
            }
        }
        pthread_mutex_lock(&s->lock);
        if (!r) {
            it->state = ITEM_TODO;
            fail(s, err);
            break;
        }
        it->wall_s = now_s() - t0;
        const struct stat_row *rows;
        int nrows = rt_run_rows(r, &rows);
        for (int i = 0; i < nrows; i++)
            item_add_row(it, rows[i].population, rows[i].statistic, rows[i].value);
        const struct rt_timing *tm = rt_run_timing(r);
        struct res_timing rtm = {it->wall_s, compile_ms, tm->build_ms, tm->sim_ms, tm->synapses, tm->threads};
        if (!res_append_point(s->res, it->point, p->values, it->trial, rows, nrows, &rtm, err, sizeof err))
            fail(s, err);
        it->state = ITEM_DONE;
        s->done++;
        progress(s);
        pthread_cond_broadcast(&s->cv);
        rt_run_free(r);
    }
    pthread_mutex_unlock(&s->lock);
    return NULL;
}

static int ncores(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : (int)n;
}

static char *default_out(const char *model)
{
    time_t t = time(NULL);
    struct tm tm;
    localtime_r(&t, &tm);
    char stamp[32];
    strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
    char *out = malloc(PATH_MAX);
    snprintf(out, PATH_MAX, "results/%s-%s", model, stamp);
    return out;
}

int drv_run(const struct drv_options *in)
{
    struct drv_options o = *in;
    char deffile[PATH_MAX];
    struct drv_set sets[260];
    if (!o.file) {
        /* The default experiment (issue 5): the paper's 2x2 (current and conductance synapses, c = 0 and
         * 0.2) at N = 1000, 2000, 4000, 4 trials of 5 s (about 15 s on 2 cores): enough for the slopes of
         * the verdict to have useful confidence intervals. */
        snprintf(deffile, sizeof deffile, "%s/models/paper/cancellation.bn", drv_source_dir());
        o.file = deffile;
        static const struct drv_set defaults[] = {
            {"N", "[1000, 2000, 4000]"}, {"syn", "[current, conductance]"}, {"trial", "1..4"},
            {"duration", "5 s"}};
        int n = 0;
        for (size_t d = 0; d < sizeof defaults / sizeof *defaults; d++) {
            bool user = false;
            for (int i = 0; i < in->nsets; i++)
                user |= strcmp(in->sets[i].name, defaults[d].name) == 0;
            if (!user)
                sets[n++] = defaults[d];
        }
        for (int i = 0; i < in->nsets; i++)
            sets[n++] = in->sets[i];
        o.sets = sets;
        o.nsets = n;
        if (!o.quiet)
            fprintf(stderr, "balnet: running the default experiment: %s with syn in [current, conductance], "
                            "N in [1000, 2000, 4000], 4 trials of 5 s\n", deffile);
    }
    struct drv_front f;
    jmp_buf oom;
    if (setjmp(oom)) {
        fprintf(stderr, "balnet: error: out of memory\n");
        return EXIT_MODEL;
    }
    if (!drv_front(&f, &o, false)) {
        diag_render(stderr, &f.diags, &f.sm);
        drv_front_free(&f);
        return EXIT_MODEL;
    }
    f.arena.on_oom = &oom;

    /* Expand the sweep: every combination of the non-trial axes is a point. */
    int nax = sema_naxes(f.model);
    int trial_axis = -1, ntrials = 1;
    int npoints = 1;
    const char **axis_names = arena_alloc(&f.arena, sizeof(char *) * (size_t)(nax + 1));
    int naxis_cols = 0;
    for (int a = 0; a < nax; a++) {
        const struct sema_axis *ax = sema_axis(f.model, a);
        if (ax->kind == SEMA_AXIS_TRIAL) {
            trial_axis = a;
            ntrials = ax->nvalues;
        } else {
            npoints *= ax->nvalues;
            axis_names[naxis_cols++] = ax->name;
        }
    }
    (void)trial_axis;
    struct sweep s = {.o = &o, .model = f.model, .naxes = nax, .npoints = npoints, .ntrials = ntrials};
    s.points = calloc((size_t)npoints, sizeof *s.points);
    s.nitems = npoints * ntrials;
    s.items = calloc((size_t)s.nitems, sizeof *s.items);
    pthread_mutex_init(&s.lock, NULL);
    pthread_mutex_init(&s.sema_lock, NULL);
    pthread_cond_init(&s.cv, NULL);
    for (int pi = 0; pi < npoints; pi++) {
        struct point *p = &s.points[pi];
        p->idx = arena_alloc(&f.arena, sizeof(int) * (size_t)(nax + 1));
        p->values = arena_alloc(&f.arena, sizeof(char *) * (size_t)(nax + 1));
        /* Mixed radix, last axis fastest, so points run in the order the sweep lists them. */
        int rest = pi, col = naxis_cols;
        for (int a = nax - 1; a >= 0; a--) {
            const struct sema_axis *ax = sema_axis(f.model, a);
            if (ax->kind == SEMA_AXIS_TRIAL)
                continue;
            p->idx[a] = rest % ax->nvalues;
            rest /= ax->nvalues;
            const struct sema_value *v = &ax->values[p->idx[a]];
            p->values[--col] = v->alt ? v->alt : arena_printf(&f.arena, "%.15g", v->num * ax->unit_scale);
        }
        p->key = 0x62616c6e6574ull;
        for (int c = 0; c < naxis_cols; c++)
            p->key = hash_str(hash_str(p->key, axis_names[c]), p->values[c]);
        for (int t = 0; t < ntrials; t++)
            s.items[pi * ntrials + t] = (struct item){.point = pi, .trial = t + 1};
    }
    /* Dependencies between points (params measured in another arm), then lowering of the others. */
    for (int pi = 0; pi < npoints; pi++) {
        struct point *p = &s.points[pi];
        int *deps = NULL;
        int nd = sema_point_deps(f.model, p->idx, &deps, &f.arena);
        p->deps = arena_alloc(&f.arena, sizeof(int) * (size_t)(nd + 1));
        for (int d = 0; d < nd; d++) {
            const int *want = deps + (size_t)d * (size_t)nax;
            int found = -1;
            for (int q = 0; q < npoints && found < 0; q++) {
                bool same = true;
                for (int a = 0; a < nax && same; a++)
                    same = sema_axis(f.model, a)->kind == SEMA_AXIS_TRIAL || s.points[q].idx[a] == want[a];
                if (same)
                    found = q;
            }
            if (found < 0) {
                char what[512] = "";
                for (int a = 0, len = 0; a < nax; a++) {
                    const struct sema_axis *ax = sema_axis(f.model, a);
                    if (ax->kind == SEMA_AXIS_TRIAL || want[a] == p->idx[a])
                        continue;
                    const struct sema_value *v = &ax->values[want[a]];
                    len += snprintf(what + len, sizeof what - (size_t)len, "%s%s = %s", len ? ", " : "",
                                    ax->name, v->alt ? v->alt : arena_printf(&f.arena, "%g", v->num * ax->unit_scale));
                }
                fprintf(stderr, "balnet: error: point %d (%s) uses statistics measured at %s, which this "
                                "sweep does not run; add it to the sweep\n", pi, p->values[0], what);
                drv_front_free(&f);
                return EXIT_MODEL;
            }
            p->deps[p->ndeps++] = found;
        }
        if (p->ndeps)
            continue;
        p->ir = sema_lower(f.model, p->idx, &f.diags);
        if (!p->ir) {
            diag_render(stderr, &f.diags, &f.sm);
            drv_front_free(&f);
            return EXIT_MODEL;
        }
        if (o.has_seed)
            p->ir->seed = o.seed;
    }

    struct spike_sink sink = {0};
    if (o.spikes) {
        if (s.nitems != 1) {
            fprintf(stderr, "balnet: error: --spikes needs a run of one point and one trial (this one has %d); "
                            "fix the sweep with --set\n", s.nitems);
            drv_front_free(&f);
            return EXIT_USAGE;
        }
        if (!(sink.f = fopen(o.spikes, "w"))) {
            fprintf(stderr, "balnet: error: cannot write %s: %s\n", o.spikes, strerror(errno));
            drv_front_free(&f);
            return EXIT_USAGE;
        }
        fputs("population,step,neuron\n", sink.f);
        s.spikes = &sink;
    }
    /* Results folder. */
    char *out = o.out ? strdup(o.out) : default_out(sema_model_name(f.model));
    char err[1024];
    /* The folder's identity: the model's sources and overrides, and a --seed, which changes every value. */
    const char *identity = sema_model_hash(f.model);
    if (o.has_seed)
        identity = arena_printf(&f.arena, "%s-seed%llu", identity, (unsigned long long)o.seed);
    s.out = out;
    s.res = res_open(out, identity, axis_names, naxis_cols, o.resume, err, sizeof err);
    if (!s.res) {
        fprintf(stderr, "balnet: error: %s\n", err);
        drv_front_free(&f);
        return EXIT_MODEL;
    }
    int skipped = 0;
    for (int i = 0; i < s.nitems; i++)
        if (res_is_done(s.res, s.items[i].point, s.items[i].trial)) {
            s.items[i].state = ITEM_DONE;
            skipped++;
        }
    if (skipped) {
        /* Points measured in a previous run may be needed by the ones still to run. */
        char path[PATH_MAX + 16];
        snprintf(path, sizeof path, "%s/points.csv", out);
        struct res_table t;
        if (res_table_read(path, &t, err, sizeof err)) {
            for (int64_t r = 0; r < t.nrows; r++) {
                const struct res_trow *row = &t.rows[r];
                if (row->point >= 0 && row->point < npoints && row->trial >= 1 && row->trial <= ntrials)
                    item_add_row(item_of(&s, row->point, row->trial), row->population, row->statistic,
                                 row->value);
            }
            res_table_free(&t);
        }
    }
    if (skipped && !o.quiet)
        fprintf(stderr, "balnet: resuming %s: %d of %d items already done\n", out, skipped, s.nitems);

    int threads = o.threads ? o.threads : ncores();
    int todo = s.nitems - skipped;
    int workers = threads < todo ? threads : todo;
    if (workers < 1)
        workers = 1;
    /* A single large point splits its neurons over the threads instead. */
    s.rt_threads = todo <= 1 ? threads : 1;
    const char *npt = getenv("BALNET_NEURONS_PER_THREAD");
    s.neurons_per_thread = npt ? strtoll(npt, NULL, 10) : 0;
    struct sigaction sa = {.sa_handler = on_sigint};
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    s.t0 = now_s();
    pthread_t *tids = calloc((size_t)workers, sizeof *tids);
    for (int w = 0; w < workers; w++)
        pthread_create(&tids[w], NULL, worker, &s);
    for (int w = 0; w < workers; w++)
        pthread_join(tids[w], NULL);
    double wall = now_s() - s.t0;
    if (sink.f && fclose(sink.f) != 0) {
        fprintf(stderr, "balnet: error: writing %s failed\n", o.spikes);
        s.failed++;
    }

    int rc = 0;
    if (cancelled) {
        fprintf(stderr, "balnet: interrupted after %d of %d items; finish with:\n  balnet", s.done + skipped,
                s.nitems);
        /* The same command line (every --set included, or the folder would refuse), plus --out and --resume. */
        for (int i = 1; i < in->argc; i++) {
            const char *a = in->argv[i];
            bool plain = *a && strspn(a, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,") == strlen(a);
            if (plain) {
                fprintf(stderr, " %s", a);
                continue;
            }
            fputs(" '", stderr);
            for (; *a; a++)
                fputs(*a == '\'' ? "'\\''" : (char[]){*a, 0}, stderr);
            fputc('\'', stderr);
        }
        if (!in->out)
            fprintf(stderr, " --out %s", out);
        if (!in->resume)
            fputs(" --resume", stderr);
        fputc('\n', stderr);
        rc = 130;
    } else if (s.failed) {
        fprintf(stderr, "balnet: error: %s\n", s.error);
        rc = EXIT_MODEL;
    }
    double compile_ms = s.compile_ms;
    /* "hit" when every compile came from the kernel cache, "miss" when any was compiled with it on. */
    const char *kernel_cache = jit_cache_state_name(s.kernel_cache[JIT_CACHE_MISS] ? JIT_CACHE_MISS
                                                    : s.kernel_cache[JIT_CACHE_HIT] ? JIT_CACHE_HIT
                                                                                     : JIT_CACHE_OFF);
    if (o.verbose && o.engine == ENGINE_JIT)
        fprintf(stderr, "balnet: kernel cache: %s\n", kernel_cache);
    uint64_t seed = 0;
    for (int pi = 0; pi < npoints && !seed; pi++)
        if (s.points[pi].ir)
            seed = s.points[pi].ir->seed;
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    struct res_run_info info = {
        .peak_rss_mb = (double)ru.ru_maxrss / 1024.0,
        .model = sema_model_name(f.model), .model_file = o.file, .seed = seed,
        .wall_s = wall, .compile_ms = compile_ms,
        .kernel_cache = o.engine == ENGINE_JIT ? kernel_cache : NULL, .engine = o.engine == ENGINE_JIT ? "jit" : "interp",
        .threads = threads, .complete = rc == 0};
    sema_params_json(f.model, &info.params_json, &f.arena);
    /* The writer closes the folder, then the fitter and the plotter read it, in that order. */
    bool closed = res_close(s.res, &info, err, sizeof err);
    if (closed && rc == 0) {
        closed = fit_scaling_csv(out, err, sizeof err);
        char perr[256];
        plot_results(out, perr, sizeof perr);   /* plots are a convenience; `balnet plot DIR` redraws them */
    }
    if (!closed) {
        fprintf(stderr, "balnet: error: %s\n", err);
        rc = rc ? rc : EXIT_MODEL;
    }
    if (rc == 0) {
        if (!o.quiet)
            res_summary(stdout, out);
        if (!o.quiet && !in->file)
            res_verdict(stdout, out, "N", "v_var");
        fflush(stdout);   /* the closing line below goes to stderr: keep the two in order on a terminal */
        fprintf(stderr, "balnet: %d items in %.1f s (compile %.0f ms, peak memory %.0f MB); results in %s\n",
                s.nitems - skipped, wall, compile_ms, info.peak_rss_mb, out);
    }
    for (struct kentry *e = s.kernels, *next; e; e = next) {
        next = e->next;
        if (e->jit)
            jit_free(e->jit);
        if (e->has_arena)
            arena_free(&e->arena);
        free(e->kernels);
        free(e);
    }
    for (int i = 0; i < s.nitems; i++) {
        for (int r = 0; r < s.items[i].nrows; r++) {
            free(s.items[i].rows[r].pop);
            free(s.items[i].rows[r].stat);
        }
        free(s.items[i].rows);
    }
    free(s.points);
    free(s.items);
    free(tids);
    free(out);
    drv_front_free(&f);
    return rc;
}

int drv_plot(const char *dir)
{
    char err[1024] = "";
    /* scaling.csv too: a sweep stopped by an error has its completed points, but no fits yet. */
    if (!fit_scaling_csv(dir, err, sizeof err)) {
        fprintf(stderr, "balnet: error: %s\n", err);
        return EXIT_MODEL;
    }
    if (!plot_results(dir, err, sizeof err)) {
        fprintf(stderr, "balnet: error: %s\n", err);
        return EXIT_MODEL;
    }
    if (err[0])   /* e.g. gnuplot missing: the scripts and data are written, the images are not */
        fprintf(stderr, "balnet: note: %s\n", err);
    else
        fprintf(stderr, "balnet: plots in %s/plots\n", dir);
    return 0;
}
