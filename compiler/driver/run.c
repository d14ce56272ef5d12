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
#include "runtime/results.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

struct point {
    int *idx;              /* one value index per axis (trial axis: 0) */
    const char **values;   /* axis values as text, for points.csv */
    struct ir_model *ir;
    uint64_t key;          /* hash of the axis values */
    pthread_mutex_t lock;  /* guards the kernels below */
    bool compiled;
    uint64_t khash;        /* ir_kernels_hash: points with equal hashes share one compilation */
    struct point *owner;   /* the point whose compilation this one reuses (itself when it compiled) */
    struct ir_kernel *kernels;
    struct jit *jit;
    double compile_ms;
    struct arena arena;    /* interpreter contexts */
};

struct item {
    int point, trial;
    bool done;
    double wall_s;
};

/* --spikes: one CSV line per spike, in step order then population order then neuron order. */
struct spike_sink {
    FILE *f;
    const struct ir_model *m;
};
static void write_spikes(void *ctx, int pop, int64_t step, const uint32_t *idx, int64_t n)
{
    struct spike_sink *k = ctx;
    const char *name = pop < k->m->npops ? k->m->pops[pop].name : k->m->inputs[pop - k->m->npops].name;
    for (int64_t i = 0; i < n; i++)
        fprintf(k->f, "%s,%lld,%u\n", name, (long long)step, idx[i]);
}

struct sweep {
    const struct drv_options *o;
    struct point *points;
    int npoints;
    struct item *items;
    int nitems, next;
    int trial_axis;        /* -1: none */
    int rt_threads;
    struct spike_sink *spikes;
    struct res *res;
    pthread_mutex_t lock;
    int done, failed;
    char error[1024];
    double t0;
};

static bool compile_point(struct sweep *s, struct point *q, char *err, size_t errlen)
{
    struct point *p = q->owner;
    pthread_mutex_lock(&p->lock);
    bool ok = true;
    if (!p->compiled) {
        struct ir_model *m = p->ir;
        p->kernels = calloc((size_t)m->npops + 1, sizeof *p->kernels);
        if (s->o->engine == ENGINE_INTERP) {
            arena_init(&p->arena);
            for (int i = 0; i < m->npops; i++)
                p->kernels[i] = interp_kernel(&p->arena, &m->pops[i], m->dt);
        } else {
            struct arena a;
            struct diags d;
            arena_init(&a);
            diags_init(&d, &a);
            ok = jit_compile_model(m, p->kernels, &p->jit, &p->compile_ms, &d);
            if (!ok)
                snprintf(err, errlen, "JIT compilation failed: %s", d.head ? d.head->msg : "unknown error");
            arena_free(&a);
        }
        p->compiled = ok;
    }
    q->kernels = p->kernels;
    pthread_mutex_unlock(&p->lock);
    return ok;
}

static void *worker(void *arg)
{
    struct sweep *s = arg;
    for (;;) {
        pthread_mutex_lock(&s->lock);
        while (s->next < s->nitems && s->items[s->next].done)
            s->next++;
        if (s->next >= s->nitems || s->failed || cancelled) {
            pthread_mutex_unlock(&s->lock);
            return NULL;
        }
        struct item *it = &s->items[s->next++];
        pthread_mutex_unlock(&s->lock);

        struct point *p = &s->points[it->point];
        char err[1024] = "";
        double t0 = now_s();
        if (!compile_point(s, p, err, sizeof err)) {
            pthread_mutex_lock(&s->lock);
            if (!s->failed++)
                snprintf(s->error, sizeof s->error, "%s", err);
            pthread_mutex_unlock(&s->lock);
            return NULL;
        }
        uint64_t seed = mix64(mix64(p->ir->seed ^ p->key) ^ (uint64_t)it->trial);
        struct rt_options ro = {.threads = s->rt_threads, .cancel = &cancelled, .verbose = s->o->verbose};
        if (s->spikes) {
            s->spikes->m = p->ir;
            ro.on_spikes = write_spikes;
            ro.on_spikes_ctx = s->spikes;
        }
        struct rt_run *r = rt_run(p->ir, p->kernels, seed, &ro, err, sizeof err);
        pthread_mutex_lock(&s->lock);
        if (!r) {
            if (!s->failed++ && !cancelled)
                snprintf(s->error, sizeof s->error, "point %d, trial %d: %s", it->point, it->trial, err);
            pthread_mutex_unlock(&s->lock);
            return NULL;
        }
        it->wall_s = now_s() - t0;
        const struct stat_row *rows;
        int nrows = rt_run_rows(r, &rows);
        const struct rt_timing *tm = rt_run_timing(r);
        struct res_timing rtm = {it->wall_s, p->compile_ms, tm->build_ms, tm->sim_ms, tm->synapses};
        if (!res_append_point(s->res, it->point, p->values, it->trial, rows, nrows, &rtm, err, sizeof err)) {
            if (!s->failed++)
                snprintf(s->error, sizeof s->error, "%s", err);
        }
        it->done = true;
        s->done++;
        if (!s->o->quiet && isatty(2)) {
            int total = s->nitems;
            double el = now_s() - s->t0;
            double eta = s->done ? el / s->done * (total - s->done) : 0;
            int w = 30, fill = total ? w * s->done / total : w;
            fprintf(stderr, "\r[%.*s%*s] %d/%d points  %.0fs elapsed  ETA %.0fs   ", fill,
                    "##############################", w - fill, "", s->done, total, el, eta);
            if (s->done == total)
                fputc('\n', stderr);
        }
        pthread_mutex_unlock(&s->lock);
        rt_run_free(r);
    }
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
        /* The default experiment (issue 5): the paper's 2x2 at N = 1000, 2000, 4000, one trial, 2 s. */
        snprintf(deffile, sizeof deffile, "%s/models/paper/cancellation.bn", drv_source_dir());
        o.file = deffile;
        static const struct drv_set defaults[] = {
            {"N", "[1000, 2000, 4000]"}, {"trial", "1..1"}, {"duration", "2 s"}};
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
            fprintf(stderr, "balnet: running the default experiment: %s with N in [1000, 2000, 4000], "
                            "1 trial, 2 s\n", deffile);
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
    struct sweep s = {.o = &o, .npoints = npoints, .trial_axis = trial_axis};
    s.points = calloc((size_t)npoints, sizeof *s.points);
    s.nitems = npoints * ntrials;
    s.items = calloc((size_t)s.nitems, sizeof *s.items);
    pthread_mutex_init(&s.lock, NULL);
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
        p->ir = sema_lower(f.model, p->idx, &f.diags);
        if (!p->ir) {
            diag_render(stderr, &f.diags, &f.sm);
            drv_front_free(&f);
            return EXIT_MODEL;
        }
        if (o.has_seed)
            p->ir->seed = o.seed;
        p->khash = ir_kernels_hash(p->ir);
        p->owner = p;
        for (int q = 0; q < pi; q++)
            if (s.points[q].owner == &s.points[q] && s.points[q].khash == p->khash)
                p->owner = &s.points[q];
        pthread_mutex_init(&p->lock, NULL);
        for (int t = 0; t < ntrials; t++)
            s.items[pi * ntrials + t] = (struct item){pi, t + 1, false, 0};
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
    s.res = res_open(out, sema_model_hash(f.model), axis_names, naxis_cols, o.resume, err, sizeof err);
    if (!s.res) {
        fprintf(stderr, "balnet: error: %s\n", err);
        drv_front_free(&f);
        return EXIT_MODEL;
    }
    int skipped = 0;
    for (int i = 0; i < s.nitems; i++)
        if (res_is_done(s.res, s.items[i].point, s.items[i].trial)) {
            s.items[i].done = true;
            skipped++;
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
        fprintf(stderr, "balnet: interrupted after %d of %d items; finish with: balnet run %s --out %s --resume\n",
                s.done + skipped, s.nitems, in->file ? in->file : "", out);
        rc = 130;
    } else if (s.failed) {
        fprintf(stderr, "balnet: error: %s\n", s.error);
        rc = EXIT_MODEL;
    }
    double compile_ms = 0;
    for (int pi = 0; pi < npoints; pi++)
        compile_ms += s.points[pi].compile_ms;
    struct res_run_info info = {
        .model = sema_model_name(f.model), .model_file = o.file, .seed = s.points[0].ir->seed,
        .wall_s = wall, .compile_ms = compile_ms, .engine = o.engine == ENGINE_JIT ? "jit" : "interp",
        .threads = threads, .complete = rc == 0};
    sema_params_json(f.model, &info.params_json, &f.arena);
    if (!res_close(s.res, &info, rc == 0, err, sizeof err)) {
        fprintf(stderr, "balnet: error: %s\n", err);
        rc = rc ? rc : EXIT_MODEL;
    }
    if (rc == 0) {
        if (!o.quiet)
            res_summary(stdout, out);
        if (!o.quiet && !in->file)
            drv_verdict(stdout, out, "N", "v_var");
        fprintf(stderr, "balnet: %d items in %.1f s (compile %.0f ms); results in %s\n", s.nitems - skipped,
                wall, compile_ms, out);
    }
    for (int pi = 0; pi < npoints; pi++) {
        if (s.points[pi].jit)
            jit_free(s.points[pi].jit);
        if (o.engine == ENGINE_INTERP && s.points[pi].compiled)
            arena_free(&s.points[pi].arena);
        if (s.points[pi].owner == &s.points[pi])
            free(s.points[pi].kernels);
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
    char err[1024];
    if (!res_plot(dir, err, sizeof err)) {
        fprintf(stderr, "balnet: error: %s\n", err);
        return EXIT_MODEL;
    }
    return 0;
}
