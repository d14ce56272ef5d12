/*
 * sim.c - rt_run(): builds the network of one IR model and runs the time-step loop (rt.h).
 *
 * One step t = 0 .. nsteps-1 (nsteps = round(duration/dt)):
 *   (a) delivery: constant-delay projections deliver the spikes their source emitted at step t - d;
 *       per-synapse-delay projections push the spikes of step t - 1 into the target rings, then every
 *       ring adds its slot t into its receptor variable.  A spike of step t-1 with d = 1 thus changes the
 *       receptor before step t's update: the paper's "delivered on the next time step".
 *   (b) inputs generate the spikes of step t (delivered at t + d like any other spike);
 *   (c) every population's kernel, its spike flags compacted into the sender queue, (d) stats_pop_step;
 *   (e) on_spikes and the recordings for plots (trace.h) are fed the step's spike lists;
 *   (f) guards: non-finite state every 10 steps, runaway rate per 100 ms window, cancel flag every
 *       1000 steps.
 *
 * Threads (DESIGN.md §3): the whole loop is one parallel region.  Each thread owns a contiguous,
 * 64-neuron-aligned chunk of every population and does (a), (c), (d) and the non-finite scan for it: it
 * delivers every spike but only to its own targets, in the same order, and compacts its own chunk into its
 * own segment of the queue (deliver.h), so every sum and list is the same whatever the thread count.  Thread
 * 0 also does (b) and the cancel check.  One barrier ends each step, since step t + 1 delivers spikes of
 * step t; (e) needs the complete step, so when it is wanted thread 0 does it between two barriers.
 * Stopping is decided by every thread from the same data after the barrier: a thread records an error
 * with the step it happened in, and a stop at step t looks only at records of steps <= t, which were all
 * written before that barrier (records of step t + 1 may be being written at the same moment).
 *
 * Split over parts (rt.h, part.h): the same loop on the part's own chunks, without the per-step stop
 * check; after every dmin-th step thread 0 exchanges the interval's spike lists between two barriers
 * (part_sync), feeds on_spikes and the spike recordings (rate_trace, raster), and takes the stop decision
 * from every part's records; a model with recordings also samples trace's observables after every step
 * (between two barriers, as (e)), gathered to part 0 at the end.  A part's state columns are the whole
 * population's (the kernels index them by neuron) but it initialises and updates only its own neurons,
 * so only their pages take memory (state_column).  parts = 1 keeps
 * the loop above unchanged (own_chunk is chunk_of of the nt chunks, the segment index is tid).
 */
#include "runtime/errf.h"
#include "runtime/rt.h"
#include "runtime/deliver.h"
#include "runtime/input.h"
#include "runtime/mem.h"
#include "runtime/net.h"
#include "runtime/part.h"
#include "runtime/plastic.h"
#include "runtime/pool.h"
#include "runtime/rng.h"
#include "runtime/trace.h"
#include "runtime/wrecord.h"
#include "compiler/support/util.h"

#include <math.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct rt_run {
    struct stats *stats;
    const struct stat_row *rows;
    int nrows;
    struct rt_timing timing;
    struct rt_tables tables;       /* the recordings, with opt->keep_traces */
};

/* A population's columns hold neuron n at slot rt_layout_slot(lay, n) (layout.h): each thread's chunk
 * RT_GAP elements after the previous thread's.  The t* arrays give thread t its columns shifted to its
 * slots, [t * (nvars + 1) ..] (nobs + 1 for tobs), so its kernels and deliveries index them by neuron. */
struct popstate {
    double **vars;         /* nvars columns of rt_layout_len elements */
    double **obs;          /* nobs columns */
    double **tvars, **tobs;
    double **tpvars;       /* thread t's columns from this part's first neuron post0 on: what the synapses'
                            * targets index (net.h) */
    int64_t post0;
    uint8_t *spiked;       /* a byte per neuron; thread t's flags at spiked + t * sstride (SPIKED_GAP bytes
                            * after each region, layout.h's reason), each region size + 64 rounded up to 64,
                            * padding zero */
    size_t sstride;
};

enum { SPIKED_GAP = 8192 };

/* What one thread found wrong at step err_step (INT64_MAX: nothing), and its spike counts for the rate
 * guard by window parity (written only by the thread, read by all after the window's last barrier). */
enum { ERR_NONE, ERR_FINITE, ERR_INPUT };
struct thread_state {
    _Alignas(64) _Atomic int64_t err_step;
    int err_kind, err_pop, err_var, err_input;
    int64_t err_neuron;
    int64_t *wspikes;      /* 2 x npops */
    uint32_t *joined;      /* a population's spike list of one step, its segments joined (step_work) */
    int64_t busy_ns;       /* time in its steps' work since the last balance check (balance) */
};

struct sim {
    const struct ir_model *m;
    const struct ir_kernel *kernels;
    const struct rt_options *opt;
    uint64_t seed;
    int64_t nsteps, burn;
    int64_t window;                /* rate guard window in steps */
    double max_rate;
    struct popstate *ps;
    struct rt_layout *lays;        /* npops: where each population's neurons sit in its columns (layout.h) */
    struct rt_input **in;
    struct rt_conn *conn;
    struct rt_plastic *plastic;    /* nprojs; .ir NULL for static projections */
    struct rt_spikeq *qpop, *qin;
    struct rt_ring **ring_of;      /* [pop][var]: ring of that receptor variable, NULL when none */
    struct rt_ring ***proj_rings;  /* [proj][inc] */
    struct stats *stats;
    struct traces *traces;         /* recordings for plots; NULL when none or no opt->trace_dir */
    struct wrecs *wrecs;           /* recordings of plastic projections; NULL when none or no opt->trace_dir */
    struct rt_pool *pool;
    int nt;                        /* threads of the pool */
    int64_t balance;               /* steps between the threads' balance checks; 0: none (layout.c) */
    int balances;                  /* checks that moved the bounds */
    struct thread_state *th;       /* nt */
    _Atomic int64_t cancel_step;   /* step at which thread 0 saw the cancel flag, INT64_MAX: never */
    int64_t stop_step;             /* the step the run stopped after (set by thread 0), -1: ran to the end */
    int stop_pop;                  /* rate guard: the population, -1: another reason */
    /* One network split over parts (rt.h, part.h); part 0 of 1 and xp NULL otherwise. */
    int part, parts;
    int64_t dmin;                  /* steps between exchanges */
    struct rt_part *xp;
    int64_t *xwin;                 /* npops: every part's spikes of the current rate-guard window */
    int64_t xrate;                 /* the spikes of the window that stopped the run */
    struct rt_part_err xerr;       /* every part's first error */
    bool xfail;                    /* the exchange failed */
    bool xstop;                    /* thread 0's stop decision after an exchange */
};

static size_t column_bytes(int64_t n) { return ((size_t)(n > 0 ? n : 1) * sizeof(double) + 63) / 64 * 64; }

static void *alloc_column(int64_t n)
{
    void *p = aligned_alloc(64, column_bytes(n));
    if (p)
        memset(p, 0, column_bytes(n));
    return p;
}

/* A state column of n neurons.  Split over parts (lazy): the whole population's, since the kernels index
 * it by neuron, but a part writes only its own neurons' values, so only their pages take memory
 * (rt_lazy_zeroed; the others read as zeros, e.g. by trace's sampling, and are never used). */
static void *state_column(int64_t n, bool lazy) { return lazy ? rt_lazy_zeroed(column_bytes(n)) : alloc_column(n); }

static void free_state_column(void *p, int64_t n, bool lazy)
{
    if (lazy)
        rt_lazy_free(p, column_bytes(n));
    else
        free(p);
}

static void sim_free(struct sim *s)
{
    const struct ir_model *m = s->m;
    if (s->ps)
        for (int i = 0; i < m->npops; i++) {
            const int64_t len = s->lays ? rt_layout_len(&s->lays[i], m->pops[i].size) : 0;   /* else none made */
            for (int k = 0; s->ps[i].vars && k < m->pops[i].nvars; k++)
                free_state_column(s->ps[i].vars[k], len, s->parts > 1);
            for (int k = 0; s->ps[i].obs && k < m->pops[i].nobs; k++)
                free_state_column(s->ps[i].obs[k], len, s->parts > 1);
            free(s->ps[i].vars);
            free(s->ps[i].obs);
            free(s->ps[i].tvars);
            free(s->ps[i].tobs);
            free(s->ps[i].tpvars);
            free(s->ps[i].spiked);
        }
    free(s->ps);
    free(s->lays);
    if (s->in)
        for (int i = 0; i < m->ninputs; i++)
            rt_input_free(s->in[i]);
    free(s->in);
    if (s->conn)
        for (int j = 0; j < m->nprojs; j++)
            rt_conn_free(&s->conn[j]);
    free(s->conn);
    for (int j = 0; s->plastic && j < m->nprojs; j++)
        rt_plastic_free(&s->plastic[j]);
    free(s->plastic);
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
    for (int g = 0; s->th && g < s->nt; g++) {
        free(s->th[g].wspikes);
        free(s->th[g].joined);
    }
    free(s->th);
    rt_part_free(s->xp);
    free(s->xwin);
}

/* ---- checks of the IR the runtime relies on ------------------------------------------------------ */

static bool check_model(const struct ir_model *m, const struct ir_kernel *kernels, char *err, size_t errlen)
{
    if (!(m->dt > 0) || !(m->duration >= 0) || !isfinite(m->duration))
        return rt_errf(err, errlen, "dt = %g ms and duration = %g ms must be positive", m->dt, m->duration);
    for (int i = 0; kernels && i < m->npops; i++)   /* NULL: checked when rt_options.kernels_ready gives them */
        if (m->pops[i].size > 0 && !kernels[i].fn)
            return rt_errf(err, errlen, "population %s has no kernel", m->pops[i].name);
    for (int j = 0; j < m->nprojs; j++) {
        const struct ir_proj *p = &m->projs[j];
        int npre = p->pre.is_input ? m->ninputs : m->npops;
        if (p->pre.index < 0 || p->pre.index >= npre || p->post.is_input || p->post.index < 0 ||
            p->post.index >= m->npops)
            return rt_errf(err, errlen, "projection %d: bad source or target", j);
        for (int i = 0; i < p->nincs; i++)
            if (p->incs[i].var < 0 || p->incs[i].var >= m->pops[p->post.index].nvars)
                return rt_errf(err, errlen, "projection %d: increment of variable %d out of range", j, p->incs[i].var);
        if (kernels && p->plastic && (!kernels[m->npops + j].pre || !kernels[m->npops + j].post))
            return rt_errf(err, errlen, "plastic projection %d has no event functions", j);
        if (p->plastic && p->plastic->base != m->pops[p->post.index].nvars)
            return rt_errf(err, errlen, "plastic projection %d: event frame does not match its target", j);
    }
    return true;
}

/* A network split over parts (rt.h) needs the exchange: the same answer on every part, so all refuse. */
static bool check_split(const struct rt_options *opt, char *err, size_t errlen)
{
    if (!opt->exchange || opt->part < 0 || opt->part >= opt->parts)
        return rt_errf(err, errlen, "part %d of %d: no exchange between the parts", opt->part, opt->parts);
    return true;
}

/* Steps between two exchanges of a split network: the smallest delay of a projection from a population
 * (per-synapse delays reach the rings from step t - 1: one), so a spike is first delivered after the
 * exchange of its interval; at most the rate guard's window (it is checked after exchanges); 1 when no
 * population projects (the lists then serve on_spikes and the rate guard only). */
static int64_t split_interval(const struct ir_model *m, int64_t window)
{
    int64_t d = INT64_MAX;
    for (int j = 0; j < m->nprojs; j++) {
        const struct ir_proj *p = &m->projs[j];
        if (p->pre.is_input)
            continue;
        int64_t dj = p->delay_const ? rt_conn_dmax_estimate(m, j) : 1;   /* exact when constant (net.h) */
        d = dj < d ? dj : d;
    }
    d = d == INT64_MAX || d < 1 ? 1 : d;
    return d < window ? d : window;
}

/* Thread tid's share [b, e) of a population of `size` neurons: global chunk part * nt + tid of parts * nt
 * (part.h; the nt chunks of today when the network is not split). */
static inline void own_chunk(const struct sim *s, int pop, int tid, int64_t *b, int64_t *e)
{
    *b = s->lays[pop].lo[tid];
    *e = s->lays[pop].lo[tid + 1];
}

/* A column from neuron off on (float columns of precision single hold floats: off counts floats). */
static double *col_from(double *col, bool single, int64_t off)
{
    return single ? (double *)(void *)((float *)col + off) : col + off;
}

/* ---- building ------------------------------------------------------------------------------------ */

static bool init_state(struct sim *s, char *err, size_t errlen)
{
    const struct ir_model *m = s->m;
    for (int i = 0; i < m->npops; i++) {
        const struct ir_pop *p = &m->pops[i];
        struct popstate *ps = &s->ps[i];
        const struct rt_layout *lay = &s->lays[i];
        const int64_t len = rt_layout_len(lay, p->size), nt = s->nt, nv = p->nvars + 1, no = p->nobs + 1;
        ps->vars = calloc((size_t)nv, sizeof *ps->vars);
        ps->obs = calloc((size_t)no, sizeof *ps->obs);
        ps->tvars = calloc((size_t)(nt * nv), sizeof *ps->tvars);
        ps->tpvars = calloc((size_t)(nt * nv), sizeof *ps->tpvars);
        ps->tobs = calloc((size_t)(nt * no), sizeof *ps->tobs);
        ps->sstride = ((size_t)p->size + 64 + 63) / 64 * 64 + (nt > 1 ? SPIKED_GAP : 0);   /* a byte per neuron */
        ps->spiked = alloc_column((int64_t)(ps->sstride * (size_t)nt + 7) / 8);   /* 64-byte aligned, bytes */
        if (!ps->vars || !ps->obs || !ps->tvars || !ps->tpvars || !ps->tobs || !ps->spiked)
            return rt_errf(err, errlen, "out of memory for population %s", p->name);
        for (int k = 0; k < p->nobs; k++)
            if (!(ps->obs[k] = state_column(len, s->parts > 1)))
                return rt_errf(err, errlen, "out of memory for population %s", p->name);
        for (int k = 0; k < p->nvars; k++)
            if (!(ps->vars[k] = state_column(len, s->parts > 1)))
                return rt_errf(err, errlen, "out of memory for population %s", p->name);
        /* this part's neurons [lo, hi) (all when not split): the only ones initialised here */
        int64_t lo, hi;
        rt_part_range(p->size, s->part, s->parts, s->nt, &lo, &hi);
        ps->post0 = lo;
        /* post0 and every offset are multiples of 64: the shifted columns stay aligned */
        for (int t = 0; t < nt; t++) {
            const int64_t off = rt_layout_off(lay, t);
            for (int k = 0; k < p->nvars; k++) {
                ps->tvars[t * nv + k] = col_from(ps->vars[k], p->single, off);
                ps->tpvars[t * nv + k] = col_from(ps->vars[k], p->single, ps->post0 + off);
            }
            for (int k = 0; k < p->nobs; k++)
                ps->tobs[t * no + k] = ps->obs[k] + off;
        }
        /* An initial value may read per-neuron constants (IR_VAR_PARAM: a parameter drawn per neuron, a
         * propagator computed from one; ir.h), so variables are initialised after the ones they read: each
         * pass takes those whose inputs are done (the reads form no cycle, so nvars passes suffice). */
        bool done[p->nvars + 1];
        for (int k = 0; k < p->nvars; k++)
            done[k] = false;
        for (int pass = 0; pass < p->nvars; pass++)
        for (int k = 0; k < p->nvars; k++) {
            double *col = ps->vars[k];
            const struct ir_expr *init = p->vars[k].init;
            double v;
            if (done[k])
                continue;
            bool ready = true;
            for (int j = 0; j < p->nvars && init; j++)
                ready = ready && (done[j] || j == k || !ir_expr_uses_var(init, j));
            if (!ready)
                continue;
            done[k] = true;
            if (k == p->refr_var || p->vars[k].kind == IR_VAR_REFRACTORY || (!init && !p->vars[k].table))
                continue;      /* columns start zeroed */
            if (p->vars[k].table) {   /* per_neuron("file.csv", ...): read by the compiler, one per neuron */
                for (int64_t n = lo; n < hi; n++)
                    col[rt_layout_slot(lay, n)] = p->vars[k].table[n];
            } else if (ir_eval_const(init, &v)) {
                for (int64_t n = lo; n < hi; n++)
                    col[rt_layout_slot(lay, n)] = v;
            } else {
                double row[p->nvars + 1];   /* the neuron's values read by init (columns already set) */
                for (int j = 0; j < p->nvars; j++)
                    row[j] = 0;
                for (int64_t n = lo; n < hi; n++) {
                    struct rt_rng r;
                    const int64_t q = rt_layout_slot(lay, n);
                    for (int j = 0; j < p->nvars; j++)
                        if (done[j] && j != k)
                            row[j] = p->single ? (double)((const float *)ps->vars[j])[q] : ps->vars[j][q];
                    rt_rng_init(&r, s->seed, RT_STREAM(RT_STREAM_INIT, i), RT_ENTITY_INIT(k, n));
                    col[q] = ir_eval(init, row, rt_rng_draw, &r);
                }
            }
            for (int64_t n = lo; n < hi; n++)
                if (!isfinite(col[rt_layout_slot(lay, n)]))
                    return rt_errf(err, errlen, "population %s: initial value of %s of neuron %lld is %g", p->name,
                                   p->vars[k].name, (long long)n, col[rt_layout_slot(lay, n)]);
            /* precision single: the column becomes a float array in its own first half.  Converting front
             * to back is safe: float slot q overwrites bytes of double q/2, an earlier neuron's slot (slots
             * grow with n) that has been read already, a gap, or below lo no neuron of this part. */
            if (p->single)
                for (int64_t n = lo; n < hi; n++) {
                    const int64_t q = rt_layout_slot(lay, n);
                    ((float *)col)[q] = (float)col[q];
                }
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
        rt_errf(err, errlen, "out of memory");
    for (int j = 0; ok && j < m->nprojs; j++) {
        const struct ir_proj *p = &m->projs[j];
        struct rt_conn *c = &s->conn[j];
        int64_t post0, post1;   /* the synapses onto this part's neurons (all when not split) */
        rt_part_range(m->pops[p->post.index].size, s->part, s->parts, s->nt, &post0, &post1);
        if (!rt_conn_build_run(c, m, j, s->seed, s->pool, post0, post1, err, errlen)) {
            ok = false;
            break;
        }
        /* the source's spike lists kept: a constant delay reads step t - dconst; per-synapse delays read
         * step t - 1 into the rings, or, for a plastic projection, every step t - d, d <= dmax (its events
         * run at each synapse's arrival: rt_plastic_pre_delayed) */
        int len = (c->d ? (p->plastic ? c->dmax : 1) : c->dconst) + 1;
        int *q = p->pre.is_input ? &qlen_in[p->pre.index] : &qlen_pop[p->pre.index];
        *q = len > *q ? len : *q;
        if (!c->d || p->plastic)
            continue;
        /* Per-synapse delays: one ring per receptor variable of the target, long enough for every
         * projection into it (rings of a variable are made once, sized by the first projection; a later
         * projection with a longer dmax grows it here before the run starts). */
        int post = p->post.index;
        const struct ir_pop *pp = &m->pops[post];
        if (!s->ring_of[post] && !(s->ring_of[post] = calloc((size_t)pp->nvars + 1, sizeof **s->ring_of))) {
            ok = rt_errf(err, errlen, "out of memory");
            break;
        }
        s->proj_rings[j] = calloc((size_t)p->nincs + 1, sizeof **s->proj_rings);
        if (!s->proj_rings[j]) {
            ok = rt_errf(err, errlen, "out of memory");
            break;
        }
        for (int i = 0; i < p->nincs; i++) {
            struct rt_ring *r = &s->ring_of[post][p->incs[i].var];
            if (r->len < c->dmax + 1) {
                rt_ring_free(r);
                if (!rt_ring_init(r, c->dmax + 1, post1 - post0)) {   /* indexed like the targets */
                    ok = rt_errf(err, errlen, "out of memory for the delay rings of population %s", pp->name);
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
        /* one segment per global chunk (part.h); split: every list kept until its interval's exchange */
        const int nseg = s->parts * s->nt, keep = s->parts > 1 ? (int)s->dmin : 1;
        int64_t *seg = calloc((size_t)nseg + 1, sizeof *seg);
        ok = ok && seg;
        for (int i = 0; ok && i < m->npops; i++) {
            for (int g = 0; g < nseg; g++) {
                int64_t e;
                rt_chunk_of(m->pops[i].size, g, nseg, &seg[g], &e);
            }
            ok = rt_spikeq_init(&s->qpop[i], qlen_pop[i] > keep ? qlen_pop[i] : keep, m->pops[i].size, nseg, seg);
        }
        free(seg);
        for (int i = 0; ok && i < m->ninputs; i++)
            ok = rt_spikeq_init(&s->qin[i], qlen_in[i] > keep ? qlen_in[i] : keep, m->inputs[i].size, 1, NULL);
        if (!ok)
            rt_errf(err, errlen, "out of memory for the spike queues");
    }
    free(qlen_pop);
    free(qlen_in);
    return ok;
}

/* Projection j's rows cut at its target population's thread bounds (relative to the part's first neuron,
 * like the targets); out of memory: bisection instead. */
static void split_rows(struct sim *s, int j)
{
    const int post = s->m->projs[j].post.index;
    int64_t bounds[RT_LAYOUT_MAXT + 1];
    for (int t = 0; t <= s->nt; t++)
        bounds[t] = s->lays[post].lo[t] - s->ps[post].post0;
    rt_conn_split(&s->conn[j], s->nt, bounds);
}

/* ---- the loop ------------------------------------------------------------------------------------- */

/* (b) Thread 0: the inputs' spikes of step t.  Their first delivery is at t + 1, after the barrier. */
static void inputs_step(struct sim *s, int64_t t)
{
    const struct ir_model *m = s->m;
    for (int i = 0; i < m->ninputs; i++) {
        const uint32_t *idx;
        int64_t n = rt_input_step(s->in[i], t, &idx);
        if (n < 0 || !rt_spikeq_put(&s->qin[i], t, idx, n)) {
            struct thread_state *th = &s->th[0];
            th->err_kind = ERR_INPUT;
            th->err_input = i;
            atomic_store(&th->err_step, t);
            return;
        }
        if (s->opt->on_spikes && s->opt->on_spikes_inputs && s->parts == 1)   /* split: after the exchange */
            s->opt->on_spikes(s->opt->on_spikes_ctx, m->npops + i, t, idx, n);
    }
}

/* True when some x[b..e) is NaN or infinite: its exponent bits are all ones.  An OR over integer tests,
 * which vectorises, where isfinite() per element is a scalar compare and branch. */
static bool any_nonfinite(const void *col, bool single, int64_t b, int64_t e)
{
    uint64_t bad = 0;
    if (single) {
        const uint32_t *x = col;
        for (int64_t n = b; n < e; n++)
            bad |= (x[n] & 0x7f800000u) == 0x7f800000u;
    } else {
        const uint64_t *x = col;
        for (int64_t n = b; n < e; n++)
            bad |= (x[n] & 0x7ff0000000000000ull) == 0x7ff0000000000000ull;
    }
    return bad != 0;
}

/* Records the first non-finite variable (population, variable, neuron order) of this thread's chunks. */
static void check_finite(struct sim *s, int tid, int64_t t)
{
    const struct ir_model *m = s->m;
    for (int i = 0; i < m->npops; i++) {
        const struct ir_pop *p = &m->pops[i];
        int64_t b, e;
        own_chunk(s, i, tid, &b, &e);
        for (int k = 0; k < p->nvars; k++) {
            const double *col = s->ps[i].tvars[tid * (p->nvars + 1) + k];   /* indexed by neuron */
            const float *fcol = (const float *)col;
            if (!any_nonfinite(col, p->single, b, e))
                continue;
            for (int64_t n = b; n < e; n++)
                if (p->single ? !isfinite(fcol[n]) : !isfinite(col[n])) {
                    struct thread_state *th = &s->th[tid];
                    th->err_kind = ERR_FINITE;
                    th->err_pop = i;
                    th->err_var = k;
                    th->err_neuron = n;
                    atomic_store(&th->err_step, t);
                    return;
                }
        }
    }
}

/* (a), (c), (d) of step t for the neurons thread tid owns.  Every write lands in its own neurons or its
 * own queue segment, so no locks, and each neuron sees the same operations in the same order whatever the
 * number of threads. */
static void step_work(struct sim *s, int tid, int64_t t)
{
    const struct ir_model *m = s->m;
    const int nt = s->nt;
    for (int j = 0; j < m->nprojs; j++) {
        const struct ir_proj *p = &m->projs[j];
        const struct rt_conn *c = &s->conn[j];
        const struct rt_spikeq *q = p->pre.is_input ? &s->qin[p->pre.index] : &s->qpop[p->pre.index];
        int64_t lo, hi;
        own_chunk(s, p->post.index, tid, &lo, &hi);
        /* A plastic projection's per-source states have a copy per thread (plastic.h), kept equal by every
         * thread seeing every spike, with no targets too: the load balance may give it some later. */
        if (lo >= hi && !p->plastic)
            continue;
        const struct popstate *post = &s->ps[p->post.index];
        double *const *pv = post->tpvars + tid * (m->pops[p->post.index].nvars + 1);   /* by target */
        if (p->plastic && c->d) {   /* per-synapse delays: the spikes of every step t - d arrive now */
            for (int d = 1; d <= c->dmax; d++)
                for (int g = 0; g < q->nseg; g++) {
                    int64_t n;
                    const uint32_t *idx = rt_spikeq_seg(q, t - d, g, &n);
                    if (n > 0)
                        rt_plastic_pre_delayed(&s->plastic[j], &s->kernels[m->npops + j], c, pv, idx, n,
                                               lo - post->post0, hi - post->post0, tid, t, d);
                }
            continue;
        }
        /* The source's list, segment by segment (deliver.h): the order of a single thread's list. */
        int64_t from = c->d ? t - 1 : t - c->dconst;
        if (c->bits && q->nseg > 1) {
            /* Dense rows go over the thread's targets once per call: the segments' spikes joined first
             * (in order), so the targets are loaded and stored once, not once per segment. */
            int64_t n = 0;
            for (int g = 0; g < q->nseg; g++) {
                int64_t k;
                const uint32_t *idx = rt_spikeq_seg(q, from, g, &k);
                memcpy(s->th[tid].joined + n, idx, (size_t)k * sizeof *idx);
                n += k;
            }
            rt_deliver_now(c, p, pv, s->th[tid].joined, n, lo - post->post0, hi - post->post0, tid,
                           m->pops[p->post.index].single);
            continue;
        }
        for (int g = 0; g < q->nseg; g++) {
            int64_t n;
            const uint32_t *idx = rt_spikeq_seg(q, from, g, &n);
            if (n == 0)
                continue;
            if (p->plastic)
                rt_plastic_pre(&s->plastic[j], &s->kernels[m->npops + j], c, pv, idx, n, lo - post->post0,
                               hi - post->post0, tid, t);
            else if (!c->d)
                rt_deliver_now(c, p, pv, idx, n, lo - post->post0, hi - post->post0, tid,
                               m->pops[p->post.index].single);
            else
                rt_deliver_ring(c, p, s->proj_rings[j], from, idx, n, lo - post->post0, hi - post->post0, tid);
        }
    }
    int64_t *wsp = s->th[tid].wspikes + (t / s->window & 1) * m->npops;
    for (int i = 0; i < m->npops; i++) {
        int64_t b, e;
        const int g = s->part * nt + tid;   /* this thread's queue segment */
        own_chunk(s, i, tid, &b, &e);
        if (b >= e) {
            rt_spikeq_set_count(&s->qpop[i], t, g, 0);
            continue;
        }
        struct popstate *ps = &s->ps[i];
        /* this thread's columns, indexed by neuron (layout.h) */
        double **vars = ps->tvars + tid * (m->pops[i].nvars + 1), **pv = ps->tpvars + tid * (m->pops[i].nvars + 1);
        double **obs = ps->tobs + tid * (m->pops[i].nobs + 1);
        uint8_t *spiked = ps->spiked + (size_t)tid * ps->sstride;
        for (int k = 0; s->ring_of[i] && k < m->pops[i].nvars; k++)
            if (s->ring_of[i][k].buf)
                rt_ring_drain(&s->ring_of[i][k], t, pv[k], b - ps->post0, e - ps->post0, m->pops[i].single);
        double *const *acc = s->kernels[i].fn_acc ? stats_kernel_acc(s->stats, i, t, tid) : NULL;
        const struct ir_kenv env = {s->seed, t};   /* the white-noise key of this step (ir.h) */
        if (acc)
            s->kernels[i].fn_acc(s->kernels[i].ctx, vars, obs, acc, spiked, b, e, &env);
        else
            s->kernels[i].fn(s->kernels[i].ctx, vars, obs, spiked, b, e, &env);
        uint32_t *slot = rt_spikeq_slot(&s->qpop[i], t, g);
        int64_t n = rt_compact(spiked, b, e, slot);
        rt_spikeq_set_count(&s->qpop[i], t, g, n);
        wsp[i] += n;
        /* post events of the plastic projections into i: this thread's spikes reach its own synapses */
        for (int j = 0; n > 0 && j < m->nprojs; j++)
            if (m->projs[j].plastic && m->projs[j].post.index == i)
                rt_plastic_post(&s->plastic[j], &s->kernels[m->npops + j], &s->conn[j], pv, slot, n, tid, t);
        if (s->stats)
            stats_pop_step(s->stats, i, t, slot, n, ps->obs, acc != NULL, b, e, tid);
    }
    if (t % 10 == 9 || t == s->nsteps - 1)
        check_finite(s, tid, t);
}

/* (e) Thread 0, between two barriers: the complete spike lists of step t. */
static void step_serial(struct sim *s, int64_t t)
{
    const struct ir_model *m = s->m;
    for (int i = 0; i < m->npops; i++) {
        int64_t n;
        const uint32_t *idx = rt_spikeq_merge(&s->qpop[i], t, &n);
        if (s->opt->on_spikes)
            s->opt->on_spikes(s->opt->on_spikes_ctx, i, t, idx, n);
        if (s->traces)
            trace_step(s->traces, i, t, idx, n, s->ps[i].obs);
    }
    if (s->wrecs)
        wrec_sample(s->wrecs, t + 1, s->conn, s->plastic);
}

/* After the barrier of step t: every thread reads the same records and so takes the same decision.
 * Thread 0 also notes why (stop_step, stop_pop) for the message. */
static bool must_stop(struct sim *s, int tid, int64_t t)
{
    const struct ir_model *m = s->m;
    bool stop = false;
    for (int g = 0; g < s->nt; g++)
        stop = stop || atomic_load(&s->th[g].err_step) <= t;
    if (t % s->window == s->window - 1) {
        int par = (int)(t / s->window & 1);
        for (int i = 0; !stop && i < m->npops; i++) {
            int64_t spikes = 0;
            for (int g = 0; g < s->nt; g++)
                spikes += s->th[g].wspikes[par * m->npops + i];
            double hz = m->pops[i].size > 0 ? (double)spikes / ((double)m->pops[i].size * s->window * m->dt) * 1e3 : 0;
            if (hz > s->max_rate) {
                stop = true;
                if (tid == 0)
                    s->stop_pop = i;
            }
        }
        /* The other parity's counts were last read after the previous window's barrier, which every
         * thread has passed since: its owner can clear them for the next window. */
        memset(s->th[tid].wspikes + (par ^ 1) * m->npops, 0, (size_t)m->npops * sizeof(int64_t));
    }
    stop = stop || atomic_load(&s->cancel_step) <= t;
    if (stop && tid == 0)
        s->stop_step = t;
    return stop;
}

/* The first error this part's threads recorded at a step <= t (sim.c's order: the earliest step; inputs,
 * then population and variable), or step INT64_MAX. */
static struct rt_part_err first_error(const struct sim *s, int64_t t)
{
    struct rt_part_err f = {.step = INT64_MAX, .input = -1};
    for (int g = 0; g < s->nt; g++) {
        const struct thread_state *th = &s->th[g];
        int64_t step = atomic_load(&th->err_step);
        if (step > t)
            continue;
        struct rt_part_err e = {step, th->err_kind, th->err_pop, th->err_var, -1, th->err_neuron, 0};
        if (th->err_kind == ERR_INPUT)
            e.input = th->err_input;
        else {
            const double *col = s->ps[th->err_pop].vars[th->err_var];
            const int64_t q = rt_layout_slot(&s->lays[th->err_pop], th->err_neuron);
            e.isnan = s->m->pops[th->err_pop].single ? isnan(((const float *)col)[q]) : isnan(col[q]);
        }
        if (rt_part_err_before(&e, &f))
            f = e;
    }
    return f;
}

/* Split network, thread 0 between two barriers after step t1, the last of an interval (or of the run):
 * the exchange (part.h), then, step by step as a single process does after each step, on_spikes with the
 * complete lists and the stop decision from every part's records (the same on every part). */
static void part_sync(struct sim *s, int64_t t1)
{
    const struct ir_model *m = s->m;
    const int64_t t0 = t1 / s->dmin * s->dmin;
    struct rt_part_err mine = first_error(s, t1), all;
    int64_t cancel;
    const int64_t *counts;
    s->xstop = false;
    if (!rt_part_exchange(s->xp, s->qpop, t0, t1, &mine, atomic_load(&s->cancel_step), &all, &cancel, &counts)) {
        s->xfail = s->xstop = true;
        s->stop_step = t1;
        return;
    }
    for (int64_t t = t0; t <= t1; t++) {
        for (int i = 0; s->opt->on_spikes && s->opt->on_spikes_inputs && i < m->ninputs; i++) {
            int64_t n;
            const uint32_t *idx = rt_spikeq_seg(&s->qin[i], t, 0, &n);
            s->opt->on_spikes(s->opt->on_spikes_ctx, m->npops + i, t, idx, n);
        }
        for (int i = 0; (s->opt->on_spikes || s->traces) && i < m->npops; i++) {
            int64_t n;
            const uint32_t *idx = rt_spikeq_merge(&s->qpop[i], t, &n);
            if (s->opt->on_spikes)
                s->opt->on_spikes(s->opt->on_spikes_ctx, i, t, idx, n);
            trace_step_spikes(s->traces, i, t, idx, n);   /* rate_trace, raster: every part's spikes */
        }
        bool stop = all.step <= t || cancel <= t;
        for (int i = 0; i < m->npops; i++)
            s->xwin[i] += counts[(t - t0) * m->npops + i];
        if (t % s->window == s->window - 1) {   /* must_stop's rate guard, on every part's spikes */
            for (int i = 0; !stop && i < m->npops; i++) {
                double hz = m->pops[i].size > 0 ? (double)s->xwin[i] / ((double)m->pops[i].size * s->window * m->dt) * 1e3 : 0;
                if (hz > s->max_rate) {
                    stop = true;
                    s->stop_pop = i;
                    s->xrate = s->xwin[i];
                }
            }
            memset(s->xwin, 0, (size_t)m->npops * sizeof *s->xwin);
        }
        if (stop) {
            s->xstop = true;
            s->stop_step = t;
            s->xerr = all;
            return;
        }
    }
}

/* Split network with weight recordings (wrecord.h): whether one samples after `done` steps. */
static bool wsample_due(const struct sim *s, int64_t done)
{
    for (int j = 0; s->wrecs && j < s->m->nprojs; j++)
        if (wrec_due(s->wrecs, j, done))
            return true;
    return false;
}

/* Split network, thread 0 between two barriers (or before or after the loop): every part's event states of
 * the plastic projections recorded after `done` steps (at_end: those whose final weights are recorded) to
 * part 0's copies (part.h), which part 0 then samples as one process does.  Every part makes the same
 * calls, even after a failure, so that none waits for ever.  False when the exchange failed. */
static bool part_wsample(struct sim *s, int64_t done, bool at_end)
{
    bool ok = true;
    for (int j = 0; j < s->m->nprojs; j++)
        if (at_end ? wrec_at_end(s->wrecs, j) : wrec_due(s->wrecs, j, done))
            ok = rt_part_copy_states(s->xp, j, &s->conn[j], &s->plastic[j]) && ok;
    if (ok && !at_end && s->part == 0)
        wrec_sample(s->wrecs, done, rt_part_copy_conns(s->xp), rt_part_copy_plastic(s->xp));
    return ok;
}

/* Thread 0 between two barriers after step t: when the threads' busy times since the last check say that
 * moving neurons from the slower to the faster saves more than BALANCE_GAIN of the step, every population's
 * bounds move halfway to shares proportional to the threads' speeds (neurons per busy second), and the
 * values of the neurons that change threads move to their new slots (layout.c).  Shuffle (tests): random
 * shares at every check.  Kept out of loop(): inlined there (it is called once), it made COBA's one-thread
 * loop 3-4 % slower (10 s, rate only, 8 interleaved rounds: median 318 against 306 ms). */
enum { BALANCE_ALIGN = 64 };
#define BALANCE_GAIN 0.04
__attribute__((noinline, cold)) static void balance(struct sim *s, int64_t t)
{
    const struct ir_model *m = s->m;
    const int nt = s->nt;
    double share[RT_LAYOUT_MAXT], own[RT_LAYOUT_MAXT] = {0}, busy[RT_LAYOUT_MAXT];
    for (int i = 0; i < m->npops; i++)
        for (int g = 0; g < nt; g++)
            own[g] += (double)(s->lays[i].lo[g + 1] - s->lays[i].lo[g]);
    for (int g = 0; g < nt; g++) {
        busy[g] = (double)s->th[g].busy_ns;
        s->th[g].busy_ns = 0;
    }
    if (s->opt->balance_shuffle) {
        struct rt_rng r;
        rt_rng_init(&r, s->seed, RT_STREAM(RT_STREAM_INIT, 0), (uint64_t)t);
        double sum = 0;
        for (int g = 0; g < nt; g++)
            sum += share[g] = 0.05 + rt_rng_uniform(&r);
        for (int g = 0; g < nt; g++)
            share[g] /= sum;
    } else if (!rt_layout_shares(nt, own, busy, BALANCE_GAIN, share)) {
        return;
    }
    for (int i = 0; i < m->npops; i++) {
        const struct ir_pop *p = &m->pops[i];
        struct rt_layout next = s->lays[i];
        if (!rt_layout_balance(&next, share, BALANCE_ALIGN))
            continue;
        const int64_t moved = rt_layout_moved(&s->lays[i], &next);
        void *scratch = malloc((size_t)(moved > 0 ? moved : 1) * sizeof(double));
        if (!scratch)
            continue;   /* out of memory: the bounds stay */
        for (int k = 0; k < p->nvars; k++)
            rt_layout_move(s->ps[i].vars[k], p->single ? sizeof(float) : sizeof(double), &s->lays[i], &next, scratch);
        for (int k = 0; k < p->nobs; k++)
            rt_layout_move(s->ps[i].obs[k], sizeof(double), &s->lays[i], &next, scratch);
        stats_move_slots(s->stats, i, &s->lays[i], &next, scratch);
        free(scratch);
        s->lays[i] = next;
        rt_spikeq_rebase(&s->qpop[i], next.lo);
        for (int j = 0; j < m->nprojs; j++)
            if (m->projs[j].post.index == i)
                split_rows(s, j);
        s->balances++;
    }
}

/* Every step's start, split or not: thread 0 draws the inputs' spikes and polls the cancel flag (every 1000
 * steps), every thread updates and delivers its chunks, then the barrier that ends the step. */
static inline void step_begin(struct sim *s, int tid, int64_t t)
{
    const int64_t t0 = s->balance ? util_now_ns() : 0;
    if (tid == 0) {
        inputs_step(s, t);
        volatile int *cancel = s->opt->cancel;
        if (cancel && t % 1000 == 999 && *cancel)
            atomic_store(&s->cancel_step, t);
    }
    step_work(s, tid, t);
    if (s->balance)
        s->th[tid].busy_ns += util_now_ns() - t0;
    rt_pool_barrier(s->pool);
}

static void loop(void *arg, int tid, int nt)
{
    struct sim *s = arg;
    if (s->parts > 1) {   /* split over parts: no per-step stop check, an exchange every dmin steps */
        for (int64_t t = 0; t < s->nsteps; t++) {
            step_begin(s, tid, t);
            /* trace's observables after every step (each part has its own neurons' values: gathered to
             * part 0 at the end), the weight recordings' samples (gathered now), then the exchange */
            const bool sync = t % s->dmin == s->dmin - 1 || t == s->nsteps - 1, wdue = wsample_due(s, t + 1);
            if (sync || s->traces || wdue) {
                if (tid == 0) {
                    for (int i = 0; s->traces && i < s->m->npops; i++)
                        trace_step_obs(s->traces, i, t, s->ps[i].obs);
                    const bool wfail = wdue && !part_wsample(s, t + 1, false);
                    if (sync)
                        part_sync(s, t);
                    if (wfail) {
                        s->xfail = s->xstop = true;
                        s->stop_step = t;
                    }
                }
                rt_pool_barrier(s->pool);
                if (s->xstop)
                    return;
            }
        }
        return;
    }
    const bool serial = s->opt->on_spikes || s->traces || s->wrecs;
    for (int64_t t = 0; t < s->nsteps; t++) {
        step_begin(s, tid, t);
        if (serial) {
            if (tid == 0)
                step_serial(s, t);
            rt_pool_barrier(s->pool);
        }
        if (must_stop(s, tid, t))
            return;
        if (s->balance && t % s->balance == s->balance - 1 && t + 1 < s->nsteps) {
            if (tid == 0)
                balance(s, t);
            rt_pool_barrier(s->pool);
        }
    }
}

/* The message of the stop at s->stop_step: the first error by kind (inputs, state, rate, cancel), and for
 * non-finite state the first (population, variable, neuron), as a single thread would find it (split:
 * from every part's records, part.h). */
static bool stop_message(struct sim *s, char *err, size_t errlen)
{
    const struct ir_model *m = s->m;
    const int64_t t = s->stop_step;
    if (s->xfail)
        return rt_errf(err, errlen, "part %d of %d: the exchange with the other parts failed at t = %.1f ms", s->part,
                       s->parts, (double)t * m->dt);
    const struct rt_part_err f = s->parts > 1 ? s->xerr : first_error(s, t);
    if (f.step <= t && f.kind == ERR_INPUT)
        return rt_errf(err, errlen, "input %s: out of memory", m->inputs[f.input].name);
    if (f.step <= t) {
        const struct ir_pop *p = &m->pops[f.pop];
        return rt_errf(err, errlen, "population %s: variable %s of neuron %lld is %s at t = %.1f ms (step %lld)", p->name,
                    p->vars[f.var].name, (long long)f.neuron, f.isnan ? "NaN" : "infinite",
                    (double)f.step * m->dt, (long long)f.step);
    }
    if (s->stop_pop >= 0) {
        const int i = s->stop_pop;
        int64_t spikes = s->xrate;
        for (int g = 0; s->parts == 1 && g < s->nt; g++)
            spikes += s->th[g].wspikes[(t / s->window & 1) * m->npops + i];
        double hz = (double)spikes / ((double)m->pops[i].size * s->window * m->dt) * 1e3;
        return rt_errf(err, errlen, "population %s: rate %.1f Hz over the %.0f ms up to t = %.1f ms exceeds the limit of %.0f Hz",
                    m->pops[i].name, hz, s->window * m->dt, (double)(t + 1) * m->dt, s->max_rate);
    }
    return rt_errf(err, errlen, "cancelled at t = %.1f ms", (double)(t + 1) * m->dt);
}

static bool simulate(struct sim *s, char *err, size_t errlen)
{
    s->stop_step = -1;
    s->stop_pop = -1;
    rt_pool_run(s->pool, loop, s);
    return s->stop_step < 0 || stop_message(s, err, errlen);
}

struct rt_run *rt_run(const struct ir_model *m, const struct ir_kernel *kernels, uint64_t seed,
                      const struct rt_options *opt, char *err, size_t errlen)
{
    static const struct rt_options defaults = {0};
    if (!opt)
        opt = &defaults;
    if (errlen)
        err[0] = 0;
    const int parts = opt->parts > 1 ? opt->parts : 1;
    if (!check_model(m, kernels, err, errlen) || (parts > 1 && !check_split(opt, err, errlen)))
        return NULL;

    /* Split: a part that cannot run still takes part in rt_part_agree below, so that no part waits. */
    size_t need = rt_estimate_bytes(m, parts);
    size_t limit = opt->mem_limit ? opt->mem_limit : (size_t)(0.9 * (double)rt_mem_available());
    if (limit > 0 && need > limit) {
        char a[32], b[32];
        rt_format_bytes(a, sizeof a, (double)need);
        rt_format_bytes(b, sizeof b, (double)limit);
        if (parts > 1)
            rt_errf(err, errlen, "network needs %s per part of %d, %s available", a, parts, b);
        else
            rt_errf(err, errlen, "network needs %s, %s available", a, b);
        if (parts == 1 || !rt_part_agree(opt, false, err, errlen, &(double){0}))
            return NULL;
    }

    struct rt_run *run = calloc(1, sizeof *run);
    struct sim s = {.m = m, .kernels = kernels, .opt = opt, .seed = seed, .part = parts > 1 ? opt->part : 0, .parts = parts};
    if (!run) {
        rt_errf(err, errlen, "out of memory");
        return NULL;
    }
    s.nsteps = (int64_t)nearbyint(m->duration / m->dt);
    s.burn = (int64_t)nearbyint(m->burn_in / m->dt);
    s.window = (int64_t)nearbyint(100.0 / m->dt);
    s.window = s.window < 1 ? 1 : s.window;
    s.max_rate = opt->max_rate_hz > 0 ? opt->max_rate_hz : 1000.0;
    atomic_init(&s.cancel_step, INT64_MAX);
    double t0 = 1e-6 * (double)util_now_ns();
    bool ok = true;

    /* A thread costs a barrier and a few µs of cache traffic per step; below RT_NEURONS_PER_THREAD neurons
     * per thread that costs more than the work it shares.  Results do not depend on the thread count. */
    int64_t neurons = 0;
    for (int i = 0; i < m->npops; i++)
        neurons += m->pops[i].size;
    int64_t useful = neurons / parts / (opt->neurons_per_thread > 0 ? opt->neurons_per_thread : RT_NEURONS_PER_THREAD);
    int nt = opt->threads > 1 ? opt->threads : 1;
    if (nt > useful)
        nt = useful > 1 ? (int)useful : 1;
    if (nt > RT_LAYOUT_MAXT)
        nt = RT_LAYOUT_MAXT;
    s.pool = rt_pool_create(nt);
    if (!s.pool)
        s.pool = rt_pool_create(1);
    if (!s.pool)
        ok = rt_errf(err, errlen, "cannot create threads");
    s.nt = s.pool ? rt_pool_threads(s.pool) : 1;
    /* the load balance moves bounds within one process only (a split network's parts own fixed ranges) */
    if (s.nt > 1 && parts == 1 && opt->balance_every >= 0)
        s.balance = opt->balance_every > 0 ? opt->balance_every : RT_BALANCE_EVERY;
    run->timing.threads = s.nt;
    s.th = aligned_alloc(64, ((size_t)s.nt * sizeof *s.th + 63) / 64 * 64);
    if (ok && !s.th)
        ok = rt_errf(err, errlen, "out of memory");
    for (int g = 0; s.th && g < s.nt; g++) {
        memset(&s.th[g], 0, sizeof s.th[g]);
        atomic_init(&s.th[g].err_step, INT64_MAX);
        s.th[g].wspikes = alloc_column(2 * (int64_t)m->npops + 8);   /* a line of its own */
        int64_t most = 1;   /* a population's list holds each neuron at most once (deliver.h) */
        for (int i = 0; i < m->npops; i++)
            most = m->pops[i].size > most ? m->pops[i].size : most;
        const bool segs = s.nt * parts > 1;   /* lists of more than one segment */
        s.th[g].joined = segs ? malloc((size_t)most * sizeof *s.th[g].joined) : NULL;
        if (ok && (!s.th[g].wspikes || (segs && !s.th[g].joined)))
            ok = rt_errf(err, errlen, "out of memory");
    }

    s.ps = calloc((size_t)m->npops + 1, sizeof *s.ps);
    s.lays = calloc((size_t)m->npops + 1, sizeof *s.lays);
    s.in = calloc((size_t)m->ninputs + 1, sizeof *s.in);
    if (ok && (!s.ps || !s.lays || !s.in))
        ok = rt_errf(err, errlen, "out of memory");
    for (int i = 0; ok && i < m->npops; i++)
        s.lays[i] = rt_layout_make(m->pops[i].size, s.part, parts, s.nt);
    s.dmin = split_interval(m, s.window);
    if (ok && parts > 1 && (!(s.xp = rt_part_create(m, opt, s.nt, s.dmin)) ||
                            !(s.xwin = calloc((size_t)m->npops + 1, sizeof *s.xwin))))
        ok = rt_errf(err, errlen, "out of memory");
    ok = ok && init_state(&s, err, errlen) && build_network(&s, err, errlen);
    for (int i = 0; ok && i < m->ninputs; i++)
        ok = (s.in[i] = rt_input_create(&m->inputs[i], i, m->dt, s.nsteps, seed, err, errlen)) != NULL;
    if (ok && !(s.stats = stats_create(m, s.nsteps, s.burn, s.lays)))
        ok = rt_errf(err, errlen, "out of memory for the statistics");
    /* split: every part records (part 0 takes the others' trace values), only part 0 writes */
    const bool record = opt->trace_dir || opt->keep_traces || parts > 1;
    if (ok && record && trace_any(m) && !(s.traces = trace_create(m, s.nsteps, s.burn, NULL, s.lays)))
        ok = rt_errf(err, errlen, "out of memory for the recordings");
    /* Where each thread's targets start in every row, once (and after each move of the bounds), instead of a
     * bisection per spike. */
    for (int j = 0; ok && s.nt > 1 && j < m->nprojs; j++)
        split_rows(&s, j);
    if (ok && !(s.plastic = calloc((size_t)m->nprojs + 1, sizeof *s.plastic)))
        ok = rt_errf(err, errlen, "out of memory");
    for (int j = 0; ok && j < m->nprojs; j++)
        if (m->projs[j].plastic)
            ok = rt_plastic_init(&s.plastic[j], &m->projs[j], j, &s.conn[j], s.nt, s.seed, err, errlen);
    for (int j = 0; ok && j < m->nprojs; j++) {
        const struct rt_conn *c = &s.conn[j];
        run->timing.synapses += c->nsyn;
        run->timing.bytes_synapses += (c->bits ? (size_t)c->npre * (size_t)c->words * sizeof *c->bits
                                               : (size_t)c->nsyn * ((c->t16 ? 2 : 4) + (c->w ? 4 : 0) + (c->d ? 2 : 0))) +
                                      (size_t)(c->npre + 1) * sizeof(int64_t);
        if (m->projs[j].plastic)   /* the index and the other per-synapse states (the weight is counted above) */
            run->timing.bytes_synapses += (size_t)((double)c->nsyn * (rt_plastic_bytes_per_synapse(m->projs[j].plastic) - 8));
    }
    run->timing.bytes_total = need;
    if (ok && record && m->nwrecs > 0 && !(s.wrecs = wrec_create(m, s.nsteps)))
        ok = rt_errf(err, errlen, "out of memory for the recordings");
    if (s.wrecs && parts == 1)   /* split: part 0's copies, once every part is built (below) */
        wrec_sample(s.wrecs, 0, s.conn, s.plastic);
    double t1 = 1e-6 * (double)util_now_ns();
    run->timing.build_ms = t1 - t0;
    if (ok && opt->kernels_ready) {   /* compiled while the network was built */
        ok = (s.kernels = opt->kernels_ready(opt->kernels_ctx, err, errlen)) && check_model(m, s.kernels, err, errlen);
        t1 = 1e-6 * (double)util_now_ns();
    }

    double agree_ms = 0;
    if (parts > 1)   /* every part built, or none runs */
        ok = rt_part_agree(opt, ok, err, errlen, &agree_ms);
    if (ok && parts > 1 && s.wrecs) {
        /* part 0's copies of the recorded plastic projections and their first sample; a part that fails says
         * so in a second agreement (every part makes the same calls, part.h) */
        bool cok = true;
        for (int j = 0; j < m->nprojs; j++)
            if (wrec_recorded(s.wrecs, j))
                cok = rt_part_copy_rows(s.xp, j, &s.conn[j], &s.plastic[j], cok) && cok;
        cok = part_wsample(&s, 0, false) && cok;
        if (!cok)
            rt_errf(err, errlen, "part %d of %d: out of memory for the weight recordings", s.part, parts);
        ok = rt_part_agree(opt, cok, err, errlen, &agree_ms);
    }
    ok = ok && simulate(&s, err, errlen);
    if (ok && parts > 1 && s.wrecs && !part_wsample(&s, s.nsteps, true))   /* the final weights */
        ok = rt_errf(err, errlen, "part %d of %d: gathering the weight recordings failed", s.part, parts);
    run->timing.sim_ms = 1e-6 * (double)util_now_ns() - t1;
    for (int j = 0; ok && opt->on_weights && parts == 1 && j < m->nprojs; j++)
        if (m->projs[j].plastic)
            opt->on_weights(opt->on_weights_ctx, j, s.conn[j].npre, s.conn[j].row, s.conn[j].t32, s.conn[j].w);
    /* The recordings as tables: written as files (trace_dir), kept for the client (keep_traces), or both. */
    if (ok && parts > 1 && s.traces && !rt_part_gather_traces(s.xp, s.traces))
        ok = rt_errf(err, errlen, "part %d of %d: gathering the recordings failed", s.part, parts);
    if (ok && (s.traces || s.wrecs) && s.part == 0) {
        const struct rt_conn *wconn = parts > 1 ? rt_part_copy_conns(s.xp) : s.conn;
        ok = (trace_tables(s.traces, &run->tables) && (!s.wrecs || wrec_tables(s.wrecs, wconn, &run->tables))) ||
             rt_errf(err, errlen, "out of memory for the recordings");
        if (ok && opt->trace_dir)
            ok = trace_write_tables(&run->tables, opt->trace_dir, opt->trace_point, opt->trace_trial, err, errlen);
        if (!opt->keep_traces)
            table_free_all(&run->tables);
    }
    trace_free(s.traces);
    wrec_free(s.wrecs);
    /* Split: part 0 pools every part's per-neuron accumulators; the others have no rows. */
    if (ok && parts > 1 && !rt_part_gather_stats(s.xp, s.stats))
        ok = rt_errf(err, errlen, "part %d of %d: gathering the statistics failed", s.part, parts);
    run->timing.exchange_ms = rt_part_ms(s.xp) + agree_ms;
    run->timing.exchange_bytes = rt_part_bytes(s.xp);
    if (ok) {
        run->stats = s.stats;
        s.stats = NULL;
        if (s.part == 0)
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

void rt_run_take_tables(struct rt_run *r, struct rt_tables *out)
{
    *out = r->tables;
    memset(&r->tables, 0, sizeof r->tables);
}

void rt_run_free(struct rt_run *r)
{
    if (!r)
        return;
    if (r->stats)
        stats_free(r->stats);
    table_free_all(&r->tables);
    free(r);
}
