/*
 * sim.c - rt_run(): builds the network of one IR model and runs the time-step loop (rt.h).
 *
 * One step t = 0 .. nsteps-1 (nsteps = round(duration/dt)):
 *   (a) delivery: constant-delay projections deliver the spikes their source emitted at step t - d;
 *       per-synapse-delay projections push the spikes of step t - 1 into the target rings, then every
 *       ring adds its slot t into its receptor variable.  A spike of step t-1 with d = 1 thus changes the
 *       receptor before step t's update: the paper's "delivered on the next time step".
 *   (b) inputs generate the spikes of step t (delivered at t + d like any other spike);
 *   (c) every population's kernel, (d) stats_pop_step: one parallel region, each thread owning a
 *       contiguous, 64-neuron-aligned chunk of every population (kernels are per-neuron and the stats
 *       touch only their range, so results do not depend on the thread count);
 *   (e) spike flags compacted into index lists, stored in the sender queues, on_spikes called, the
 *       recordings for plots (trace.h) fed;
 *   (f) guards: non-finite state every 10 steps, runaway rate per 100 ms window, cancel flag every
 *       1000 steps.
 * Delivery, inputs, compaction and guards run on the calling thread, in model order, so sums into the
 * receptor variables happen in the same order whatever the thread count.
 *
 * Initial state: each variable's initialiser per neuron, constant initialisers once; random ones draw
 * from the key (seed, RT_STREAM_INIT of the population, (var, neuron)).  Refractory counters start at 0.
 *
 * Owns: the run's memory and the loop.  Must not: print, exit, or include compiler headers beyond ir.h.
 */
#include "runtime/rt.h"

#include "runtime/deliver.h"
#include "runtime/input.h"
#include "runtime/mem.h"
#include "runtime/net.h"
#include "runtime/pool.h"
#include "runtime/rng.h"
#include "runtime/trace.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct rt_run {
    struct stats *stats;
    const struct stat_row *rows;
    int nrows;
    struct rt_timing timing;
};

struct popstate {
    double **vars;         /* nvars columns */
    double **obs;          /* nobs columns */
    uint8_t *spiked;       /* size rounded up to 64, padding zero */
    int64_t window_spikes; /* for the rate guard */
};

struct sim {
    const struct ir_model *m;
    const struct ir_kernel *kernels;
    uint64_t seed;
    int64_t nsteps, burn;
    struct popstate *ps;
    struct rt_input **in;
    struct rt_conn *conn;
    struct rt_spikeq *qpop, *qin;
    struct rt_ring **ring_of;      /* [pop][var]: ring of that receptor variable, NULL when none */
    struct rt_ring ***proj_rings;  /* [proj][inc] */
    struct stats *stats;
    struct traces *traces;         /* recordings for plots; NULL when none or no opt->trace_dir */
    struct rt_pool *pool;
    int64_t step;                  /* the step the parallel region works on */
};

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void *alloc_column(int64_t n)
{
    size_t bytes = ((size_t)(n > 0 ? n : 1) * sizeof(double) + 63) / 64 * 64;
    void *p = aligned_alloc(64, bytes);
    if (p)
        memset(p, 0, bytes);
    return p;
}

static void sim_free(struct sim *s)
{
    const struct ir_model *m = s->m;
    if (s->ps)
        for (int i = 0; i < m->npops; i++) {
            for (int k = 0; s->ps[i].vars && k < m->pops[i].nvars; k++)
                free(s->ps[i].vars[k]);
            for (int k = 0; s->ps[i].obs && k < m->pops[i].nobs; k++)
                free(s->ps[i].obs[k]);
            free(s->ps[i].vars);
            free(s->ps[i].obs);
            free(s->ps[i].spiked);
        }
    free(s->ps);
    if (s->in)
        for (int i = 0; i < m->ninputs; i++)
            rt_input_free(s->in[i]);
    free(s->in);
    if (s->conn)
        for (int j = 0; j < m->nprojs; j++)
            rt_conn_free(&s->conn[j]);
    free(s->conn);
    if (s->qpop)
        for (int i = 0; i < m->npops; i++)
            rt_spikeq_free(&s->qpop[i]);
    free(s->qpop);
    if (s->qin)
        for (int i = 0; i < m->ninputs; i++)
            rt_spikeq_free(&s->qin[i]);
    free(s->qin);
    if (s->ring_of)
        for (int i = 0; i < m->npops; i++) {
            for (int k = 0; s->ring_of[i] && k < m->pops[i].nvars; k++)
                rt_ring_free(&s->ring_of[i][k]);
            free(s->ring_of[i]);
        }
    free(s->ring_of);
    if (s->proj_rings)
        for (int j = 0; j < m->nprojs; j++)
            free(s->proj_rings[j]);
    free(s->proj_rings);
    if (s->pool)
        rt_pool_free(s->pool);
}

static bool errf(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static bool errf(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return false;
}

/* ---- checks of the IR the runtime relies on ------------------------------------------------------ */

static bool check_model(const struct ir_model *m, const struct ir_kernel *kernels, char *err, size_t errlen)
{
    if (!(m->dt > 0) || !(m->duration >= 0) || !isfinite(m->duration))
        return errf(err, errlen, "dt = %g ms and duration = %g ms must be positive", m->dt, m->duration);
    for (int i = 0; i < m->npops; i++)
        if (m->pops[i].size > 0 && !kernels[i].fn)
            return errf(err, errlen, "population %s has no kernel", m->pops[i].name);
    for (int j = 0; j < m->nprojs; j++) {
        const struct ir_proj *p = &m->projs[j];
        int npre = p->pre.is_input ? m->ninputs : m->npops;
        if (p->pre.index < 0 || p->pre.index >= npre || p->post.is_input || p->post.index < 0 ||
            p->post.index >= m->npops)
            return errf(err, errlen, "projection %d: bad source or target", j);
        for (int i = 0; i < p->nincs; i++)
            if (p->incs[i].var < 0 || p->incs[i].var >= m->pops[p->post.index].nvars)
                return errf(err, errlen, "projection %d: increment of variable %d out of range", j, p->incs[i].var);
    }
    return true;
}

/* ---- building ------------------------------------------------------------------------------------ */

static bool init_state(struct sim *s, char *err, size_t errlen)
{
    const struct ir_model *m = s->m;
    for (int i = 0; i < m->npops; i++) {
        const struct ir_pop *p = &m->pops[i];
        struct popstate *ps = &s->ps[i];
        ps->vars = calloc((size_t)p->nvars + 1, sizeof *ps->vars);
        ps->obs = calloc((size_t)p->nobs + 1, sizeof *ps->obs);
        ps->spiked = calloc((size_t)((p->size + 63) / 64 * 64 + 64), 1);
        if (!ps->vars || !ps->obs || !ps->spiked)
            return errf(err, errlen, "out of memory for population %s", p->name);
        for (int k = 0; k < p->nobs; k++)
            if (!(ps->obs[k] = alloc_column(p->size)))
                return errf(err, errlen, "out of memory for population %s", p->name);
        for (int k = 0; k < p->nvars; k++) {
            double *col = ps->vars[k] = alloc_column(p->size);
            if (!col)
                return errf(err, errlen, "out of memory for population %s", p->name);
            const struct ir_expr *init = p->vars[k].init;
            double v;
            if (k == p->refr_var || p->vars[k].kind == IR_VAR_REFRACTORY || !init)
                continue;      /* columns start zeroed */
            if (ir_eval_const(init, &v)) {
                for (int64_t n = 0; n < p->size; n++)
                    col[n] = v;
            } else {
                for (int64_t n = 0; n < p->size; n++) {
                    struct rt_rng r;
                    rt_rng_init(&r, s->seed, RT_STREAM(RT_STREAM_INIT, i), RT_ENTITY_INIT(k, n));
                    col[n] = ir_eval(init, NULL, rt_rng_draw, &r);
                }
            }
            for (int64_t n = 0; n < p->size; n++)
                if (!isfinite(col[n]))
                    return errf(err, errlen, "population %s: initial value of %s of neuron %lld is %g", p->name,
                                p->vars[k].name, (long long)n, col[n]);
            /* precision single: the column becomes a float array in its own first half.  Converting front
             * to back is safe: float n overwrites bytes of double n/2, which has been read already. */
            if (p->single)
                for (int64_t n = 0; n < p->size; n++)
                    ((float *)col)[n] = (float)col[n];
        }
    }
    return true;
}

static bool build_network(struct sim *s, char *err, size_t errlen)
{
    const struct ir_model *m = s->m;
    s->conn = calloc((size_t)m->nprojs + 1, sizeof *s->conn);
    s->proj_rings = calloc((size_t)m->nprojs + 1, sizeof *s->proj_rings);
    s->ring_of = calloc((size_t)m->npops + 1, sizeof *s->ring_of);
    int *qlen_pop = calloc((size_t)m->npops + 1, sizeof(int));
    int *qlen_in = calloc((size_t)m->ninputs + 1, sizeof(int));
    bool ok = s->conn && s->proj_rings && s->ring_of && qlen_pop && qlen_in;
    if (!ok)
        errf(err, errlen, "out of memory");
    for (int j = 0; ok && j < m->nprojs; j++) {
        const struct ir_proj *p = &m->projs[j];
        struct rt_conn *c = &s->conn[j];
        if (!rt_conn_build(c, m, j, s->seed, err, errlen)) {
            ok = false;
            break;
        }
        int len = (c->d ? 1 : c->dconst) + 1;
        int *q = p->pre.is_input ? &qlen_in[p->pre.index] : &qlen_pop[p->pre.index];
        *q = len > *q ? len : *q;
        if (!c->d)
            continue;
        /* Per-synapse delays: one ring per receptor variable of the target, long enough for every
         * projection into it (rings of a variable are made once, sized by the first projection; a later
         * projection with a longer dmax grows it here before the run starts). */
        int post = p->post.index;
        const struct ir_pop *pp = &m->pops[post];
        if (!s->ring_of[post] && !(s->ring_of[post] = calloc((size_t)pp->nvars + 1, sizeof **s->ring_of))) {
            ok = errf(err, errlen, "out of memory");
            break;
        }
        s->proj_rings[j] = calloc((size_t)p->nincs + 1, sizeof **s->proj_rings);
        if (!s->proj_rings[j]) {
            ok = errf(err, errlen, "out of memory");
            break;
        }
        for (int i = 0; i < p->nincs; i++) {
            struct rt_ring *r = &s->ring_of[post][p->incs[i].var];
            if (r->len < c->dmax + 1) {
                rt_ring_free(r);
                if (!rt_ring_init(r, c->dmax + 1, pp->size)) {
                    ok = errf(err, errlen, "out of memory for the delay rings of population %s", pp->name);
                    break;
                }
            }
            s->proj_rings[j][i] = r;
        }
    }
    if (ok) {
        s->qpop = calloc((size_t)m->npops + 1, sizeof *s->qpop);
        s->qin = calloc((size_t)m->ninputs + 1, sizeof *s->qin);
        ok = s->qpop && s->qin;
        for (int i = 0; ok && i < m->npops; i++)
            ok = rt_spikeq_init(&s->qpop[i], qlen_pop[i] > 1 ? qlen_pop[i] : 1, m->pops[i].size);
        for (int i = 0; ok && i < m->ninputs; i++)
            ok = rt_spikeq_init(&s->qin[i], qlen_in[i] > 1 ? qlen_in[i] : 1, m->inputs[i].size);
        if (!ok)
            errf(err, errlen, "out of memory for the spike queues");
    }
    free(qlen_pop);
    free(qlen_in);
    return ok;
}

/* ---- the loop ------------------------------------------------------------------------------------- */

/* Thread tid's share [b, e) of a population of `size` neurons: contiguous chunks aligned to 64 neurons
 * (whole cache lines of every column, and whole 8-byte words of the spike flags). */
static void chunk_of(int64_t size, int tid, int nt, int64_t *b, int64_t *e)
{
    int64_t chunk = ((size + nt - 1) / nt + 63) / 64 * 64;
    *b = tid * chunk < size ? tid * chunk : size;
    *e = *b + chunk < size ? *b + chunk : size;
}

/* Step s->step for the neurons this thread owns: (a) delivery of the spikes due now to its targets,
 * (b) the ring buffers of per-synapse delays, (c) the kernels, (d) the statistics.  Every write of a
 * thread lands in its own neurons, so no locks, and each neuron sees the same operations in the same
 * order whatever the number of threads. */
static void region(void *arg, int tid, int nt)
{
    struct sim *s = arg;
    const struct ir_model *m = s->m;
    int64_t t = s->step;
    for (int j = 0; j < m->nprojs; j++) {
        const struct ir_proj *p = &m->projs[j];
        const struct rt_conn *c = &s->conn[j];
        const struct rt_spikeq *q = p->pre.is_input ? &s->qin[p->pre.index] : &s->qpop[p->pre.index];
        int64_t lo, hi, n;
        chunk_of(m->pops[p->post.index].size, tid, nt, &lo, &hi);
        if (lo >= hi)
            continue;
        if (!c->d) {
            const uint32_t *idx = rt_spikeq_get(q, t - c->dconst, &n);
            rt_deliver_now(c, p, s->ps[p->post.index].vars, idx, n, lo, hi, tid, m->pops[p->post.index].single);
        } else {
            const uint32_t *idx = rt_spikeq_get(q, t - 1, &n);
            if (n > 0)
                rt_deliver_ring(c, p, s->proj_rings[j], t - 1, idx, n, lo, hi, tid);
        }
    }
    for (int i = 0; i < m->npops; i++) {
        int64_t b, e;
        chunk_of(m->pops[i].size, tid, nt, &b, &e);
        if (b >= e)
            continue;
        struct popstate *ps = &s->ps[i];
        for (int k = 0; s->ring_of[i] && k < m->pops[i].nvars; k++)
            if (s->ring_of[i][k].buf)
                rt_ring_drain(&s->ring_of[i][k], t, ps->vars[k], b, e, m->pops[i].single);
    }
    for (int i = 0; i < m->npops; i++) {
        int64_t b, e;
        chunk_of(m->pops[i].size, tid, nt, &b, &e);
        if (b >= e)
            continue;
        struct popstate *ps = &s->ps[i];
        s->kernels[i].fn(s->kernels[i].ctx, ps->vars, ps->obs, ps->spiked, b, e);
        if (s->stats)
            stats_pop_step(s->stats, i, t, ps->spiked, ps->obs, b, e);
    }
}

static bool check_finite(struct sim *s, int64_t t, char *err, size_t errlen)
{
    const struct ir_model *m = s->m;
    for (int i = 0; i < m->npops; i++) {
        const struct ir_pop *p = &m->pops[i];
        for (int k = 0; k < p->nvars; k++) {
            const double *col = s->ps[i].vars[k];
            const float *fcol = (const float *)col;
            for (int64_t n = 0; n < p->size; n++)
                if (p->single ? !isfinite(fcol[n]) : !isfinite(col[n]))
                    return errf(err, errlen, "population %s: variable %s of neuron %lld is %s at t = %.1f ms (step %lld)",
                                p->name, p->vars[k].name, (long long)n, (p->single ? isnan(fcol[n]) : isnan(col[n])) ? "NaN" : "infinite",
                                (double)t * m->dt, (long long)t);
        }
    }
    return true;
}

static bool simulate(struct sim *s, const struct rt_options *opt, char *err, size_t errlen)
{
    const struct ir_model *m = s->m;
    double max_rate = opt->max_rate_hz > 0 ? opt->max_rate_hz : 1000.0;
    int64_t window = (int64_t)nearbyint(100.0 / m->dt);
    window = window < 1 ? 1 : window;
    for (int64_t t = 0; t < s->nsteps; t++) {
        /* Inputs first: their spikes of step t go out at t + d >= t + 1, so generating them before the
         * delivery of step t (inside the parallel region) changes nothing. */
        for (int i = 0; i < m->ninputs; i++) {
            const uint32_t *idx;
            int64_t n = rt_input_step(s->in[i], t, &idx);
            if (n < 0 || !rt_spikeq_put(&s->qin[i], t, idx, n))
                return errf(err, errlen, "input %s: out of memory", m->inputs[i].name);
            if (opt->on_spikes && opt->on_spikes_inputs)
                opt->on_spikes(opt->on_spikes_ctx, m->npops + i, t, idx, n);
        }
        s->step = t;
        rt_pool_run(s->pool, region, s);
        for (int i = 0; i < m->npops; i++) {
            uint32_t *slot = rt_spikeq_slot(&s->qpop[i], t);
            int64_t n = rt_compact(s->ps[i].spiked, m->pops[i].size, slot);
            rt_spikeq_set_count(&s->qpop[i], t, n);
            s->ps[i].window_spikes += n;
            if (opt->on_spikes)
                opt->on_spikes(opt->on_spikes_ctx, i, t, slot, n);
            if (s->traces)
                trace_step(s->traces, i, t, slot, n, s->ps[i].obs);
        }
        if ((t % 10 == 9 || t == s->nsteps - 1) && !check_finite(s, t, err, errlen))
            return false;
        if (t % window == window - 1)
            for (int i = 0; i < m->npops; i++) {
                double hz = m->pops[i].size > 0
                                ? (double)s->ps[i].window_spikes / ((double)m->pops[i].size * window * m->dt) * 1e3
                                : 0;
                s->ps[i].window_spikes = 0;
                if (hz > max_rate)
                    return errf(err, errlen,
                                "population %s: rate %.1f Hz over the %.0f ms up to t = %.1f ms exceeds the limit of %.0f Hz",
                                m->pops[i].name, hz, window * m->dt, (double)(t + 1) * m->dt, max_rate);
            }
        if (opt->cancel && t % 1000 == 999 && *opt->cancel)
            return errf(err, errlen, "cancelled at t = %.1f ms", (double)(t + 1) * m->dt);
    }
    return true;
}

struct rt_run *rt_run(const struct ir_model *m, const struct ir_kernel *kernels, uint64_t seed,
                      const struct rt_options *opt, char *err, size_t errlen)
{
    static const struct rt_options defaults = {0};
    if (!opt)
        opt = &defaults;
    if (errlen)
        err[0] = 0;
    if (!check_model(m, kernels, err, errlen))
        return NULL;

    size_t need = rt_estimate_bytes(m);
    size_t limit = opt->mem_limit ? opt->mem_limit : (size_t)(0.9 * (double)rt_mem_available());
    if (limit > 0 && need > limit) {
        char a[32], b[32];
        errf(err, errlen, "network needs %s, %s available", rt_format_bytes(a, sizeof a, (double)need),
             rt_format_bytes(b, sizeof b, (double)limit));
        return NULL;
    }

    struct rt_run *run = calloc(1, sizeof *run);
    struct sim s = {.m = m, .kernels = kernels, .seed = seed};
    if (!run) {
        errf(err, errlen, "out of memory");
        return NULL;
    }
    s.nsteps = (int64_t)nearbyint(m->duration / m->dt);
    s.burn = (int64_t)nearbyint(m->burn_in / m->dt);
    double t0 = now_ms();
    bool ok = true;
    s.ps = calloc((size_t)m->npops + 1, sizeof *s.ps);
    s.in = calloc((size_t)m->ninputs + 1, sizeof *s.in);
    if (!s.ps || !s.in)
        ok = errf(err, errlen, "out of memory");
    ok = ok && init_state(&s, err, errlen) && build_network(&s, err, errlen);
    for (int i = 0; ok && i < m->ninputs; i++)
        ok = (s.in[i] = rt_input_create(&m->inputs[i], i, m->dt, s.nsteps, seed, err, errlen)) != NULL;
    if (ok && !(s.stats = stats_create(m, s.nsteps, s.burn)))
        ok = errf(err, errlen, "out of memory for the statistics");
    if (ok && opt->trace_dir && trace_any(m) && !(s.traces = trace_create(m, s.nsteps, s.burn, NULL)))
        ok = errf(err, errlen, "out of memory for the recordings");
    if (ok) {
        /* A thread costs a barrier per step (~1-5 us); below a few thousand neurons per thread the barrier
         * costs more than the work it shares.  Results do not depend on the thread count either way. */
        int64_t neurons = 0;
        for (int i = 0; i < m->npops; i++)
            neurons += m->pops[i].size;
        int64_t useful = neurons / 1024;
        int nt = opt->threads > 1 ? opt->threads : 1;
        if (nt > useful)
            nt = useful > 1 ? (int)useful : 1;
        s.pool = rt_pool_create(nt);
        if (!s.pool)
            s.pool = rt_pool_create(1);
        if (!s.pool)
            ok = errf(err, errlen, "cannot create threads");
        /* Where each thread's targets start in every row, once, instead of a bisection per spike. */
        int pt = s.pool ? rt_pool_threads(s.pool) : 1;
        for (int j = 0; ok && pt > 1 && j < m->nprojs; j++) {
            int64_t bounds[65], size = m->pops[m->projs[j].post.index].size;
            if (pt > 64)
                break;
            for (int t = 0; t < pt; t++)
                chunk_of(size, t, pt, &bounds[t], &bounds[t + 1]);
            rt_conn_split(&s.conn[j], pt, bounds);   /* out of memory: bisection instead */
        }
    }
    for (int j = 0; ok && j < m->nprojs; j++) {
        const struct rt_conn *c = &s.conn[j];
        run->timing.synapses += c->nsyn;
        run->timing.bytes_synapses += (size_t)c->nsyn * ((c->t16 ? 2 : 4) + (c->w ? 4 : 0) + (c->d ? 2 : 0)) +
                                      (size_t)(c->npre + 1) * sizeof(int64_t);
    }
    run->timing.bytes_total = need;
    double t1 = now_ms();
    run->timing.build_ms = t1 - t0;

    ok = ok && simulate(&s, opt, err, errlen);
    run->timing.sim_ms = now_ms() - t1;
    if (ok && s.traces)
        ok = trace_write(s.traces, opt->trace_dir, opt->trace_point, opt->trace_trial, err, errlen);
    trace_free(s.traces);
    if (ok) {
        run->stats = s.stats;
        s.stats = NULL;
        run->nrows = stats_finish(run->stats, &run->rows);
    }
    if (s.stats)
        stats_free(s.stats);
    sim_free(&s);
    if (!ok) {
        rt_run_free(run);
        return NULL;
    }
    return run;
}

int rt_run_rows(struct rt_run *r, const struct stat_row **rows)
{
    *rows = r->rows;
    return r->nrows;
}

const struct rt_timing *rt_run_timing(const struct rt_run *r)
{
    return &r->timing;
}

void rt_run_free(struct rt_run *r)
{
    if (!r)
        return;
    if (r->stats)
        stats_free(r->stats);
    free(r);
}
