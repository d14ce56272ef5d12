/*
 * item.c - one item of a sweep (balnet.h): its kernels (compiled once per distinct kernel code and shared),
 * its measured params (lowered from the recorded rows of the points it depends on), its run, and the
 * result handle with rows, spikes and timing.
 *
 * Seed: an item's seed is mix64(mix64(simulate seed ^ point key) ^ trial) (sweep.c: the key hashes the
 * point's axis values as text); the runtime keys every random stream by it.
 */
#include "api/internal.h"
#include "sema/sema.h"
#include "ir/ir.h"
#include "interp/interp.h"
#include "runtime/errf.h"
#include "runtime/rt.h"
#include "support/util.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

uint64_t api_mix64(uint64_t x);
int api_find_point(const bn_model *m, const int *idx);

/* ---- recorded rows and dependencies -------------------------------------------------------------- */

static bool add_row(struct api_item *it, const struct bn_row *row)
{
    struct bn_row *r = realloc(it->rows, sizeof *r * (size_t)(it->nrows + 1));
    if (!r)
        return false;
    it->rows = r;
    char *pop = strdup(row->population), *stat = strdup(row->statistic), *unit = strdup(row->unit ? row->unit : "");
    if (!pop || !stat || !unit) {
        free(pop);
        free(stat);
        free(unit);
        return false;
    }
    it->rows[it->nrows++] = (struct bn_row){pop, stat, row->value, unit};
    return true;
}

bool bn_record_rows(bn_model *m, int item, const struct bn_row *rows, int nrows)
{
    if (item < 0 || item >= m->nitems)
        return false;
    pthread_mutex_lock(&m->lock);
    struct api_item *it = &m->items[item];
    bool ok = true;
    for (int i = 0; i < nrows && ok; i++)
        ok = add_row(it, &rows[i]);
    it->recorded = true;
    pthread_mutex_unlock(&m->lock);
    return ok;
}

int bn_item_rows(bn_model *m, int item, const struct bn_row **rows)
{
    if (item < 0 || item >= m->nitems)
        return 0;
    pthread_mutex_lock(&m->lock);
    *rows = m->items[item].rows;
    int n = m->items[item].nrows;
    pthread_mutex_unlock(&m->lock);
    return n;
}

/* Caller holds m->lock. */
static bool ready_locked(const bn_model *m, int item)
{
    const struct api_point *p = &m->points[bn_item_point(m, item)];
    int trial = bn_item_trial(m, item);
    for (int d = 0; d < p->ndeps; d++)
        if (!m->items[p->deps[d] * m->ntrials + trial - 1].recorded)
            return false;
    return true;
}

bool bn_item_ready(const bn_model *m, int item)
{
    pthread_mutex_lock((pthread_mutex_t *)&m->lock);
    bool ok = ready_locked(m, item);
    pthread_mutex_unlock((pthread_mutex_t *)&m->lock);
    return ok;
}

/* sema_stat_fn: a statistic of the dependency point, same trial, from its recorded rows. */
struct lookup {
    bn_model *m;
    int trial;
};
static bool lookup_stat(void *ctx, const int *dep_index, const char *pop, const char *stat, double *value)
{
    struct lookup *l = ctx;
    bn_model *m = l->m;
    int pi = api_find_point(m, dep_index);
    if (pi < 0)
        return false;
    pthread_mutex_lock(&m->lock);
    const struct api_item *it = &m->items[pi * m->ntrials + l->trial - 1];
    bool found = false;
    for (int r = 0; it->recorded && r < it->nrows && !found; r++)
        if (strcmp(it->rows[r].population, pop) == 0 && strcmp(it->rows[r].statistic, stat) == 0) {
            *value = it->rows[r].value;
            found = true;
        }
    pthread_mutex_unlock(&m->lock);
    return found;
}

/* The IR of an item: its point's, or, for params measured in other arms, lowered now from their rows (in
 * the model's arena, under sema_lock). */
static struct ir_model *item_ir(bn_model *m, int item, char *err, size_t errlen)
{
    int point = bn_item_point(m, item), trial = bn_item_trial(m, item);
    struct api_point *p = &m->points[point];
    if (p->ir)
        return p->ir;
    struct lookup l = {m, trial};
    struct arena a;
    struct diags d;
    arena_init(&a);
    diags_init(&d, &a);
    pthread_mutex_lock(&m->sema_lock);
    /* Out of memory in the model's arena (lowering) or in a (the messages) comes back here, in this thread;
     * the arenas are only touched under sema_lock. */
    jmp_buf oom;
    struct ir_model *volatile ir = NULL;
    if (setjmp(oom)) {
        m->arena.on_oom = a.on_oom = NULL;
        pthread_mutex_unlock(&m->sema_lock);
        arena_free(&a);
        rt_errf(err, errlen, "point %d, trial %d: out of memory", point, trial);
        return NULL;
    }
    m->arena.on_oom = a.on_oom = &oom;
    ir = sema_lower_measured(m->sema, p->idx, lookup_stat, &l, &d);
    m->arena.on_oom = a.on_oom = NULL;
    pthread_mutex_unlock(&m->sema_lock);
    if (!ir)
        rt_errf(err, errlen, "point %d, trial %d: %s", point, trial, d.head ? d.head->msg : "lowering failed");
    else if (m->opt.has_seed)
        ir->seed = m->opt.seed;
    arena_free(&a);
    return ir;
}

/* ---- kernels ------------------------------------------------------------------------------------------ */

static struct api_kernels *kernel_entry(bn_model *m, uint64_t h)
{
    pthread_mutex_lock(&m->lock);
    struct api_kernels *e = m->kernels;
    while (e && e->hash != h)
        e = e->next;
    if (!e && (e = calloc(1, sizeof *e))) {
        e->hash = h;
        pthread_mutex_init(&e->lock, NULL);
        e->next = m->kernels;
        m->kernels = e;
    }
    pthread_mutex_unlock(&m->lock);
    return e;
}

static void log_line(const bn_model *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void log_line(const bn_model *m, const char *fmt, ...)
{
    if (!m->opt.on_log)
        return;
    char line[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    m->opt.on_log(m->opt.log_ctx, line);
}

/* Starts e's kernels for ir with the engine of m: the interpreter's at once, the JIT's parts on up to
 * `threads` threads, finished by compile_finish; caller holds e->lock. */
static void compile_start(bn_model *m, struct api_kernels *e, const struct ir_model *ir, int threads, char *err,
                          size_t errlen)
{
    e->kernels = calloc((size_t)ir_kernel_count(ir) + 1, sizeof *e->kernels);
    if (!e->kernels) {
        rt_errf(err, errlen, "out of memory");
        e->failed = true;
        return;
    }
    if (m->opt.engine != BN_ENGINE_INTERP) {
        e->compile = jit_compile_start(ir, threads);   /* NULL (out of memory): compile_finish reports it */
        e->compiling = true;
        return;
    }
    /* The interpreter's context is the struct ir_pop; models with the same hash have the same kernel
     * content, so the first one's pops serve every later one. */
    jmp_buf oom;   /* out of memory in the arena: a failed compile, in this thread */
    arena_init(&e->arena);
    e->has_arena = true;
    if (setjmp(oom)) {
        e->arena.on_oom = NULL;
        rt_errf(err, errlen, "out of memory");
        e->failed = true;
        return;
    }
    e->arena.on_oom = &oom;
    for (int i = 0; i < ir->npops; i++)
        e->kernels[i] = interp_kernel(&e->arena, &ir->pops[i], ir->dt);
    for (int j = 0; j < ir->nprojs; j++)   /* plastic projections' events (ir.h: entry npops + j) */
        if (ir->projs[j].plastic)
            e->kernels[ir->npops + j] = interp_events(ir->projs[j].plastic);
    e->arena.on_oom = NULL;
    e->ready = true;
}

/* Finishes the JIT compile compile_start began (the calling thread compiles the parts left, then links);
 * caller holds e->lock. */
static void compile_finish(bn_model *m, struct api_kernels *e, double *compile_ms, char *err, size_t errlen)
{
    struct arena a;
    struct diags d;
    arena_init(&a);
    diags_init(&d, &a);
    struct jit_stats js = {0};
    struct jit_compile *c = e->compile;
    e->compile = NULL;
    e->compiling = false;
    jmp_buf oom;   /* out of memory in the messages' arena: a failed compile, in this thread */
    if (setjmp(oom)) {
        a.on_oom = NULL;
        arena_free(&a);
        rt_errf(err, errlen, "out of memory");
        e->failed = true;
        return;
    }
    a.on_oom = &oom;
    int64_t t0 = util_now_ns();
    e->ready = jit_compile_finish(c, e->kernels, &e->jit, &js, &d);
    double waited = 1e-6 * (double)(util_now_ns() - t0);
    a.on_oom = NULL;
    e->failed = !e->ready;
    *compile_ms = js.compile_ms;
    if (e->ready)
        log_line(m, "kernels: %s in %.1f ms (%d parts on %d threads, %d shared; thread CPU %.1f ms: build %.1f, "
                 "key %.1f, opt %.1f, codegen %.1f, link %.1f); waited %.1f ms for them",
                 js.cache == JIT_CACHE_HIT ? (js.own_loader ? "from cache, loaded by balnet" : "from cache, linked by LLVM")
                                           : "compiled", js.compile_ms, js.parts, js.threads, js.shared,
                 js.compile_cpu_ms, js.phase_cpu_ms[JIT_PHASE_BUILD], js.phase_cpu_ms[JIT_PHASE_KEY],
                 js.phase_cpu_ms[JIT_PHASE_OPT], js.phase_cpu_ms[JIT_PHASE_CODEGEN], js.phase_cpu_ms[JIT_PHASE_LINK],
                 waited);
    pthread_mutex_lock(&m->lock);
    m->kernel_cache[js.cache]++;
    m->compile_ms += js.compile_ms;
    pthread_mutex_unlock(&m->lock);
    if (!e->ready)
        rt_errf(err, errlen, "JIT compilation failed: %s", d.head ? d.head->msg : "unknown error");
    arena_free(&a);
}

/* The kernel entry for ir, its compile started if it is the first use (on up to `threads` threads): the
 * caller may build the network meanwhile, and must call kernels_finish.  NULL with a message when out of
 * memory. */
static struct api_kernels *kernels_start(bn_model *m, const struct ir_model *ir, int threads, char *err,
                                         size_t errlen)
{
    struct api_kernels *e = kernel_entry(m, ir_kernels_hash(ir));
    if (!e) {
        rt_errf(err, errlen, "out of memory");
        return NULL;
    }
    pthread_mutex_lock(&e->lock);
    bool failed = e->failed;
    if (failed)
        rt_errf(err, errlen, "JIT compilation failed (see the first error)");
    else if (!e->ready && !e->compiling)
        compile_start(m, e, ir, threads, err, errlen);   /* its failure has a message of its own */
    failed = failed || e->failed;
    pthread_mutex_unlock(&e->lock);
    return failed ? NULL : e;
}

/* e's kernels, once compiled: the first caller after kernels_start finishes the compile (and gets its wall
 * time in *compile_ms), later ones wait on e->lock.  NULL with a message on failure. */
static const struct ir_kernel *kernels_finish(bn_model *m, struct api_kernels *e, double *compile_ms, char *err,
                                              size_t errlen)
{
    pthread_mutex_lock(&e->lock);
    if (e->compiling)
        compile_finish(m, e, compile_ms, err, errlen);
    else if (e->failed)   /* another item's compile of the same kernels failed */
        rt_errf(err, errlen, "JIT compilation failed (see the first error)");
    const struct ir_kernel *k = e->ready ? e->kernels : NULL;
    pthread_mutex_unlock(&e->lock);
    return k;
}

bool bn_compile_item(bn_model *m, int item, double *compile_ms, char *err, size_t errlen)
{
    double ms = 0;
    struct ir_model *ir = item_ir(m, item, err, errlen);
    struct api_kernels *e = ir ? kernels_start(m, ir, 1, err, errlen) : NULL;
    bool ok = e && kernels_finish(m, e, &ms, err, errlen);
    if (compile_ms)
        *compile_ms = ms;
    return ok;
}

double bn_compile_ms(const bn_model *m) { return m->compile_ms; }
double bn_kernel_wait_ms(const bn_model *m) { return m->kernel_wait_ms; }

const char *bn_kernel_cache(const bn_model *m)
{
    /* "hit" when every compile came from the kernel cache, "miss" when any was compiled with it on. */
    return jit_cache_state_name(m->kernel_cache[JIT_CACHE_MISS]  ? JIT_CACHE_MISS
                                : m->kernel_cache[JIT_CACHE_HIT] ? JIT_CACHE_HIT
                                                                 : JIT_CACHE_OFF);
}

void api_kernels_free(bn_model *m)
{
    for (struct api_kernels *e = m->kernels, *next; e; e = next) {
        next = e->next;
        if (e->compiling) {   /* started and never finished (cannot happen: bn_run_item always finishes) */
            char err[256];
            double ms;
            compile_finish(m, e, &ms, err, sizeof err);
        }
        if (e->jit)
            jit_free(e->jit);
        if (e->has_arena)
            arena_free(&e->arena);
        pthread_mutex_destroy(&e->lock);
        free(e->kernels);
        free(e);
    }
    m->kernels = NULL;
}

void bn_cancel(bn_model *m) { m->cancel = 1; }
bool bn_cancelled(const bn_model *m) { return m->cancel != 0; }

/* ---- running one item ---------------------------------------------------------------------------------- */

/* Self-contained: the rows are copied out of the run's statistics, which are freed with the network when
 * bn_run_item returns, so a client may keep every item's result of a sweep (the Python package does). */
struct bn_result {
    struct bn_row *rows;         /* strings malloc'ed */
    int nrows;
    struct bn_timing timing;
    double dt_ms;            /* the item's time step */
    int npops;               /* spike population names: the model's populations, then its inputs */
    char **pop_names;
    int32_t *spop;
    int64_t *sstep;
    uint32_t *sneuron;
    int64_t nspikes, cap;
    const struct bn_run_options *opt;
    bool oom;
    int item;                /* which item of its model */
    struct rt_tables tables; /* recordings, with keep_traces */
    struct bn_trace *traces; /* views of the tables */
};

/* The run's recordings moved into the result, with their balnet.h views. */
static bool take_traces(bn_result *res, struct rt_run *run)
{
    rt_run_take_tables(run, &res->tables);
    res->traces = calloc((size_t)res->tables.n + 1, sizeof *res->traces);
    if (!res->traces)
        return false;
    for (int i = 0; i < res->tables.n; i++) {
        const struct rt_table *t = &res->tables.t[i];
        res->traces[i] = (struct bn_trace){t->who, t->name, t->kind, t->ncols, (const char *const *)t->col,
                                           (const char *const *)t->unit, (const double *const *)t->v, t->nrows,
                                           t->note};
    }
    return true;
}

/* rt_options.on_spikes: keep them, and/or hand them on with the population's name. */
static void on_spikes(void *ctx, int pop, int64_t step, const uint32_t *idx, int64_t n)
{
    bn_result *r = ctx;
    if (r->opt->on_spikes)
        r->opt->on_spikes(r->opt->spikes_ctx, r->pop_names[pop], step, idx, n);
    if (!r->opt->keep_spikes || r->oom)
        return;
    if (r->nspikes + n > r->cap) {
        int64_t cap = r->cap ? r->cap : 4096;
        while (cap < r->nspikes + n)
            cap *= 2;
        int32_t *p = realloc(r->spop, sizeof *p * (size_t)cap);
        r->spop = p ? p : r->spop;
        int64_t *s = realloc(r->sstep, sizeof *s * (size_t)cap);
        r->sstep = s ? s : r->sstep;
        uint32_t *u = realloc(r->sneuron, sizeof *u * (size_t)cap);
        r->sneuron = u ? u : r->sneuron;
        if (!p || !s || !u) {
            r->oom = true;
            return;
        }
        r->cap = cap;
    }
    for (int64_t i = 0; i < n; i++) {
        r->spop[r->nspikes] = pop;
        r->sstep[r->nspikes] = step;
        r->sneuron[r->nspikes++] = idx[i];
    }
}

static bn_result *result_new(const struct ir_model *ir, const struct bn_run_options *opt)
{
    bn_result *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->opt = opt;
    r->dt_ms = ir->dt;
    r->npops = ir->npops + ir->ninputs;
    r->pop_names = calloc((size_t)r->npops + 1, sizeof *r->pop_names);
    bool ok = r->pop_names != NULL;
    for (int i = 0; ok && i < r->npops; i++)
        ok = (r->pop_names[i] = strdup(i < ir->npops ? ir->pops[i].name : ir->inputs[i - ir->npops].name)) != NULL;
    if (!ok) {
        bn_result_free(r);
        return NULL;
    }
    return r;
}

/* The run's rows copied into the result, and recorded in m. */
static bool take_rows(bn_model *m, int item, bn_result *res, struct rt_run *run)
{
    const struct stat_row *rows;
    int n = rt_run_rows(run, &rows);
    res->rows = calloc((size_t)n + 1, sizeof *res->rows);
    if (!res->rows)
        return false;
    for (; res->nrows < n; res->nrows++) {
        const struct stat_row *r = &rows[res->nrows];
        struct bn_row *o = &res->rows[res->nrows];
        *o = (struct bn_row){strdup(r->population), strdup(r->statistic), r->value, strdup(r->unit ? r->unit : "")};
        if (!o->population || !o->statistic || !o->unit) {
            res->nrows++;   /* freed with the result */
            return false;
        }
    }
    /* a split network's rows are part 0's (the other parts have none to record) */
    return (res->opt->parts > 1 && res->opt->part != 0) || bn_record_rows(m, item, res->rows, n);
}

/* rt_options.kernels_ready: the item's kernels, compiled while its network was built. */
struct kernel_wait {
    bn_model *m;
    struct api_kernels *k;
    double *compile_ms;
    bool asked;
    double waited_ms;   /* in kernels_ready: the caller's parts, the helpers, another item's compile, the link */
};

static const struct ir_kernel *kernels_ready(void *ctx, char *err, size_t errlen)
{
    struct kernel_wait *w = ctx;
    w->asked = true;
    int64_t t0 = util_now_ns();
    const struct ir_kernel *k = kernels_finish(w->m, w->k, w->compile_ms, err, errlen);
    w->waited_ms = 1e-6 * (double)(util_now_ns() - t0);
    return k;
}

bn_result *bn_run_item(bn_model *m, int item, const struct bn_run_options *opt, char *err, size_t errlen)
{
    static const struct bn_run_options none;
    opt = opt ? opt : &none;
    int point = bn_item_point(m, item), trial = bn_item_trial(m, item);
    double t0 = 1e-9 * (double)util_now_ns(), compile_ms = 0;
    struct ir_model *ir = item_ir(m, item, err, errlen);
    struct api_kernels *k = ir ? kernels_start(m, ir, opt->threads, err, errlen) : NULL;
    bn_result *res = k ? result_new(ir, opt) : NULL;
    char rerr[1024] = "";
    if (k && !res) {
        rt_errf(err, errlen, "out of memory");
        kernels_finish(m, k, &compile_ms, rerr, sizeof rerr);   /* a compile under way still ends */
    }
    if (!res)
        return NULL;
    uint64_t seed = api_mix64(api_mix64(ir->seed ^ m->points[point].key) ^ (uint64_t)trial);
    /* The network is built while the kernels compile; the run asks for them before its first step. */
    struct kernel_wait w = {m, k, &compile_ms, false, 0};
    struct rt_options ro = {.threads = opt->threads, .cancel = &m->cancel, .neurons_per_thread = opt->neurons_per_thread,
                            .balance_every = opt->balance_every, .balance_shuffle = opt->balance_shuffle,
                            .trace_dir = opt->trace_dir, .trace_point = point, .trace_trial = trial,
                            .keep_traces = opt->keep_traces, .kernels_ready = kernels_ready, .kernels_ctx = &w,
                            .part = opt->part, .parts = opt->parts,
                            .exchange = opt->exchange, .exchange_ctx = opt->exchange_ctx, .mem_limit = opt->mem_limit};
    if (opt->on_spikes || opt->keep_spikes) {
        ro.on_spikes = on_spikes;
        ro.on_spikes_ctx = res;
    }
    struct rt_run *run = rt_run(ir, NULL, seed, &ro, rerr, sizeof rerr);
    if (!w.asked) {   /* the run failed before its first step: the compile still ends here */
        char cerr[512] = "";
        kernels_finish(m, k, &compile_ms, cerr, sizeof cerr);
    }
    if (!run || res->oom || !take_rows(m, item, res, run) || !take_traces(res, run)) {
        rt_errf(err, errlen, "point %d, trial %d: %.990s", point, trial, run ? "out of memory" : rerr);
        rt_run_free(run);
        bn_result_free(res);
        return NULL;
    }
    const struct rt_timing *tm = rt_run_timing(run);
    res->timing = (struct bn_timing){1e-9 * (double)util_now_ns() - t0, compile_ms, tm->build_ms, tm->sim_ms,
                                     tm->synapses, tm->threads, tm->exchange_ms, tm->exchange_bytes,
                                     w.waited_ms};
    pthread_mutex_lock(&m->lock);
    m->kernel_wait_ms += w.waited_ms;
    pthread_mutex_unlock(&m->lock);
    rt_run_free(run);
    res->item = item;
    res->opt = NULL;   /* the options were the call's */
    return res;
}

int bn_nrows(const bn_result *r) { return r->nrows; }
const struct bn_row *bn_row(const bn_result *r, int i) { return i >= 0 && i < r->nrows ? &r->rows[i] : NULL; }
const struct bn_timing *bn_timing(const bn_result *r) { return &r->timing; }
int64_t bn_nspikes(const bn_result *r) { return r->nspikes; }

void bn_spikes(const bn_result *r, const int32_t **population, const int64_t **step, const uint32_t **neuron)
{
    *population = r->spop;
    *step = r->sstep;
    *neuron = r->sneuron;
}

const char *bn_spike_population(const bn_result *r, int i)
{
    return i >= 0 && i < r->npops ? r->pop_names[i] : NULL;
}

void bn_result_drop_spikes(bn_result *r)
{
    free(r->spop);
    free(r->sstep);
    free(r->sneuron);
    r->spop = NULL;
    r->sstep = NULL;
    r->sneuron = NULL;
    r->nspikes = r->cap = 0;
}

double bn_result_dt(const bn_result *r) { return r->dt_ms; }
int bn_result_item(const bn_result *r) { return r->item; }
int bn_ntraces(const bn_result *r) { return r->tables.n; }
const struct rt_tables *api_result_tables(const bn_result *r) { return &r->tables; }
const struct bn_trace *bn_trace(const bn_result *r, int i) { return i >= 0 && i < r->tables.n ? &r->traces[i] : NULL; }

void bn_result_free(bn_result *r)
{
    if (!r)
        return;
    for (int i = 0; i < r->nrows; i++) {
        free((char *)r->rows[i].population);
        free((char *)r->rows[i].statistic);
        free((char *)r->rows[i].unit);
    }
    for (int i = 0; r->pop_names && i < r->npops; i++)
        free(r->pop_names[i]);
    free(r->pop_names);
    free(r->rows);
    free(r->spop);
    free(r->sstep);
    free(r->sneuron);
    table_free_all(&r->tables);
    free(r->traces);
    free(r);
}
