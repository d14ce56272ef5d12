/*
 * input.c - Poisson, correlated (mother process) and file spike inputs (input.h).
 *
 * Correlated input after SCIENCE.md: mother rate R = r/c; each daughter keeps a mother spike with
 * probability c (so each daughter is Poisson at c R = r) and jitters it by N(0, jitter^2).  Two daughters
 * share c^2 R T mother spikes in a window T >> jitter, so their count covariance is c r T against a
 * variance r T: the count correlation is c.  The generator streams: before popping step s it has drawn
 * every mother spike earlier than (s + H) dt, H = ceil(8 jitter/dt) + 2, and pushed the kept daughter
 * spikes into a ring of L = 2H + 2 per-step buckets.  Jitters are clamped to +-8 sd (probability 1e-15
 * of mattering) so no spike can land in a bucket already popped or beyond the ring.  The mother starts
 * at t = -8 jitter so the daughter rate is stationary from t = 0; daughters before step 0 are dropped.
 * Thinning draws come from a key per mother spike (RT_STREAM_THIN, spike number), so they do not
 * depend on how the other mother spikes were thinned.
 *
 * A rate that varies in time (ir_input.rate_t, issue 13 item 4) is integrated by time rescaling (Brown et
 * al., Neural Comput 14:325, 2002): a process of rate r(t) is a unit-rate process in Lambda(t) = int r.
 * Each neuron (or the mother) keeps its next event as a unit-rate exponential sum in Lambda; step k adds
 * r(k dt) dt to Lambda (the midpoint rule over the step's rounding interval [(k - 1/2) dt, (k + 1/2) dt)),
 * and every event that Lambda passes is a spike of step k.  So the count in a step is Poisson with mean
 * r(k dt) dt, whatever r dt is (no Bernoulli saturation); the only approximation is the midpoint rule,
 * relative error dt^2 r''/(24 r) per step.  Mother spikes get continuous times by inverting the piecewise-
 * linear Lambda inside their step, and are then jittered and thinned as above, so c is kept: two
 * daughters share c^2 int R = c int r mother spikes against a variance int r.  Negative rates count as 0.
 *
 * Owns: the generators and the CSV spike reader.  Must not: print or exit.
 */
#include "runtime/input.h"
#include "runtime/spike_file.h"

#include "runtime/rng.h"
#include "compiler/support/util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { GEN_POISSON, GEN_CORR, GEN_FILE };

struct bucket {
    uint32_t *v;
    int64_t n, cap;
};

struct rt_input {
    int kind;
    int64_t size, nsteps;
    double dt;
    uint32_t *out;         /* this step's spikes */
    int64_t outcap;
    /* independent Poisson */
    struct rt_rng *rng;    /* one per neuron */
    double *tnext;         /* next spike time per neuron (ms), continuous */
    double mean_isi_x;     /* 1/rate (ms) */
    /* a rate that varies in time: Lambda, and for the mother its step, Lambda at that step's left edge,
     * the step's increment R dt, and the next mother event's Lambda */
    const struct ir_expr *rate_t;
    double lam;
    int64_t ms;
    double lam_lo, inc, um;
    /* correlated */
    struct rt_rng mother;
    double tm, mean_isi, c, lqc, jitter;
    uint64_t km;           /* mother spikes drawn so far */
    uint64_t seed;
    int index;
    int64_t H, L;
    struct bucket *buckets;
    /* file */
    int64_t *fsteps;
    uint32_t *fneur;
    int64_t fn, fpos;
};

static bool bucket_push(struct bucket *b, uint32_t x)
{
    if (b->n == b->cap) {
        int64_t cap = b->cap ? 2 * b->cap : 64;
        uint32_t *v = realloc(b->v, (size_t)cap * sizeof *v);
        if (!v)
            return false;
        b->v = v;
        b->cap = cap;
    }
    b->v[b->n++] = x;
    return true;
}

size_t rt_input_bytes(const struct ir_input *in, double dt)
{
    size_t n = (size_t)in->size;
    if (in->kind == IR_INPUT_FILE)
        return n * sizeof(uint32_t) + (1u << 20);
    if (in->corr > 0) {
        double H = ceil(8 * in->jitter / dt) + 2, L = 2 * H + 2;
        return n * sizeof(uint32_t) + (size_t)(L * (64 + 2 * (double)n * in->rate * dt) * sizeof(uint32_t));
    }
    return n * (sizeof(struct rt_rng) + sizeof(int64_t) + sizeof(uint32_t));
}

/* ---- CSV --------------------------------------------------------------------------------------------- */

struct fspike {
    int64_t step;
    uint32_t neuron;
};

static int cmp_fspike(const void *a, const void *b)
{
    const struct fspike *x = a, *y = b;
    if (x->step != y->step)
        return (x->step > y->step) - (x->step < y->step);
    return (x->neuron > y->neuron) - (x->neuron < y->neuron);
}

bool rt_input_read_csv(const char *path, int64_t size, double dt, int64_t nsteps, int64_t **steps,
                       uint32_t **neurons, int64_t *n, char *err, size_t errlen)
{
    *steps = NULL;
    *neurons = NULL;
    *n = 0;
    struct rt_spike_rows rows;
    if (!rt_spikes_read(path, &rows, err, errlen))
        return false;
    if (rows.max_neuron >= size) {   /* the model's size came from the same file: it changed since */
        snprintf(err, errlen, "%s: neuron %lld out of range (the input has %lld neurons)", path,
                 (long long)rows.max_neuron, (long long)size);
        rt_spikes_free(&rows);
        return false;
    }
    struct fspike *sp = malloc((size_t)rows.n * sizeof *sp);
    int64_t ns = 0;
    for (int64_t i = 0; sp && i < rows.n; i++) {
        int64_t st = (int64_t)floor(rows.time_ms[i] / dt + 0.5);
        if (st < nsteps)
            sp[ns++] = (struct fspike){st, (uint32_t)rows.neuron[i]};
    }
    rt_spikes_free(&rows);
    *steps = malloc((size_t)(ns ? ns : 1) * sizeof **steps);
    *neurons = malloc((size_t)(ns ? ns : 1) * sizeof **neurons);
    if (!sp || !*steps || !*neurons) {
        snprintf(err, errlen, "%s: out of memory", path);
        free(sp);
        free(*steps);
        free(*neurons);
        *steps = NULL;
        *neurons = NULL;
        return false;
    }
    qsort(sp, (size_t)ns, sizeof *sp, cmp_fspike);
    for (int64_t i = 0; i < ns; i++) {
        (*steps)[i] = sp[i].step;
        (*neurons)[i] = sp[i].neuron;
    }
    *n = ns;
    free(sp);
    return true;
}

/* ---- generators -------------------------------------------------------------------------------------- */

/* r(k dt) dt / scale (scale: c for the mother), clamped at 0 (a NaN counts as 0 too) */
static double rate_inc(const struct rt_input *g, int64_t k, double scale)
{
    double t = (double)k * g->dt, r = ir_eval(g->rate_t, &t, NULL, NULL);
    return r > 0 ? r * g->dt / scale : 0;
}

/* The time of the mother event at Lambda = um: the step whose Lambda interval holds it, then linear inside
 * the step.  INFINITY once the mother has passed the last step any daughter can reach. */
static double mother_time(struct rt_input *g)
{
    while (g->um >= g->lam_lo + g->inc) {
        g->lam_lo += g->inc;
        if (++g->ms > g->nsteps + g->H + 1)
            return INFINITY;
        g->inc = rate_inc(g, g->ms, g->c);
    }
    return ((double)g->ms - 0.5 + (g->um - g->lam_lo) / g->inc) * g->dt;
}

struct rt_input *rt_input_create(const struct ir_input *in, int index, double dt, int64_t nsteps,
                                 uint64_t seed, char *err, size_t errlen)
{
    struct rt_input *g = calloc(1, sizeof *g);
    if (!g)
        goto oom;
    g->size = in->size;
    g->nsteps = nsteps;
    g->dt = dt;
    g->seed = seed;
    g->index = index;
    g->outcap = in->size > 0 ? in->size : 1;
    g->out = malloc((size_t)g->outcap * sizeof *g->out);
    if (!g->out)
        goto oom;
    if (in->kind == IR_INPUT_FILE) {
        g->kind = GEN_FILE;
        if (!rt_input_read_csv(in->path, in->size, dt, nsteps, &g->fsteps, &g->fneur, &g->fn, err, errlen)) {
            rt_input_free(g);
            return NULL;
        }
        return g;
    }
    if (!(in->rate >= 0) || !(in->corr >= 0 && in->corr <= 1) || !(in->jitter >= 0)) {
        snprintf(err, errlen, "input %s: rate %g/ms, correlation %g, jitter %g ms out of range", in->name,
                 in->rate, in->corr, in->jitter);
        rt_input_free(g);
        return NULL;
    }
    if (in->corr > 0) {
        g->kind = GEN_CORR;
        g->c = in->corr;
        g->lqc = g->c < 1 ? log1p(-g->c) : 0;
        g->jitter = in->jitter;
        g->mean_isi = in->rate > 0 ? g->c / in->rate : INFINITY;
        g->H = (int64_t)ceil(8 * g->jitter / dt) + 2;
        g->L = 2 * g->H + 2;
        g->buckets = calloc((size_t)g->L, sizeof *g->buckets);
        if (!g->buckets)
            goto oom;
        rt_rng_init(&g->mother, seed, RT_STREAM(RT_STREAM_MOTHER, index), 0);
        if ((g->rate_t = in->rate_t)) {   /* from the step holding t = -8 jitter, as the constant rate */
            g->ms = (int64_t)floor(-8 * g->jitter / dt + 0.5);
            g->inc = rate_inc(g, g->ms, g->c);
            g->um = rt_rng_exponential(&g->mother);
            g->tm = mother_time(g);
            return g;
        }
        g->tm = -8 * g->jitter + g->mean_isi * rt_rng_exponential(&g->mother);
        return g;
    }
    g->kind = GEN_POISSON;
    /* A true Poisson process in continuous time (exponential intervals), each spike rounded to the
     * nearest step like the correlated input's.  Several spikes of one neuron may fall into one step when
     * rate*dt is not small (Brunel's lumped external drive has rate*dt = 2); each is delivered. */
    g->mean_isi_x = in->rate > 0 ? 1 / in->rate : INFINITY;
    g->rng = malloc((size_t)(in->size ? in->size : 1) * sizeof *g->rng);
    g->tnext = malloc((size_t)(in->size ? in->size : 1) * sizeof *g->tnext);
    if (!g->rng || !g->tnext)
        goto oom;
    g->rate_t = in->rate_t;   /* then tnext is in Lambda, from 0 at the left edge of step 0 */
    for (int64_t i = 0; i < in->size; i++) {
        rt_rng_init(&g->rng[i], seed, RT_STREAM(RT_STREAM_POISSON, index), (uint64_t)i);
        if (g->rate_t) {
            g->tnext[i] = rt_rng_exponential(&g->rng[i]);
            continue;
        }
        /* Stationary from t = -dt/2, the left edge of step 0's rounding interval. */
        g->tnext[i] = -0.5 * dt + g->mean_isi_x * rt_rng_exponential(&g->rng[i]);
    }
    return g;
oom:
    snprintf(err, errlen, "input %s: out of memory", in->name);
    rt_input_free(g);
    return NULL;
}

static bool corr_fill(struct rt_input *g, int64_t step)
{
    double horizon = (double)(step + g->H) * g->dt;
    while (g->tm < horizon) {
        struct rt_rng r;
        rt_rng_init(&r, g->seed, RT_STREAM(RT_STREAM_THIN, g->index), g->km);
        for (int64_t d = -1;;) {
            d += 1 + (g->c < 1 ? rt_rng_geometric_lq(&r, g->lqc) : 0);
            if (d >= g->size)
                break;
            double z = rt_rng_normal(&r);
            z = z > 8 ? 8 : z < -8 ? -8 : z;
            int64_t s = (int64_t)floor((g->tm + g->jitter * z) / g->dt + 0.5);
            if (s < step || s >= g->nsteps || s >= step + g->L)
                continue;
            if (!bucket_push(&g->buckets[s % g->L], (uint32_t)d))
                return false;
        }
        g->km++;
        if (g->rate_t) {
            g->um += rt_rng_exponential(&g->mother);
            g->tm = mother_time(g);
        } else {
            g->tm += g->mean_isi * rt_rng_exponential(&g->mother);
        }
    }
    return true;
}

/* Doubles the step's output list (several spikes of one neuron per step are possible); *idx follows it. */
static bool grow_out(struct rt_input *g, const uint32_t **idx)
{
    uint32_t *v = realloc(g->out, (size_t)(2 * g->outcap) * sizeof *v);
    if (!v)
        return false;
    g->out = v;
    g->outcap *= 2;
    *idx = g->out;
    return true;
}

int64_t rt_input_step(struct rt_input *g, int64_t step, const uint32_t **idx)
{
    int64_t n = 0;
    *idx = g->out;
    switch (g->kind) {
    case GEN_POISSON: {
        double edge = ((double)step + 0.5) * g->dt;   /* spikes before it round to this step or earlier */
        double isi = g->mean_isi_x;
        if (g->rate_t) {   /* the same loop in Lambda: unit-rate intervals up to Lambda at the step's edge */
            g->lam += rate_inc(g, step, 1);
            edge = g->lam;
            isi = 1;
        }
        for (int64_t i = 0; i < g->size; i++) {
            while (g->tnext[i] < edge) {
                if (n == g->outcap && !grow_out(g, idx))
                    return -1;
                g->out[n++] = (uint32_t)i;
                g->tnext[i] += isi * rt_rng_exponential(&g->rng[i]);
            }
        }
        return n;
    }
    case GEN_CORR: {
        if (!corr_fill(g, step))
            return -1;
        struct bucket *b = &g->buckets[step % g->L];
        if (b->n == 0)
            return 0;
        qsort(b->v, (size_t)b->n, sizeof *b->v, util_cmp_u32);
        if (b->n > g->outcap) {
            uint32_t *v = realloc(g->out, (size_t)b->n * sizeof *v);
            if (!v)
                return -1;
            g->out = v;
            g->outcap = b->n;
            *idx = g->out;
        }
        memcpy(g->out, b->v, (size_t)b->n * sizeof *b->v);
        n = b->n;
        b->n = 0;
        return n;
    }
    case GEN_FILE:
        while (g->fpos < g->fn && g->fsteps[g->fpos] < step)
            g->fpos++;
        while (g->fpos < g->fn && g->fsteps[g->fpos] == step) {
            if (n == g->outcap && !grow_out(g, idx))
                return -1;
            g->out[n++] = g->fneur[g->fpos++];
        }
        return n;
    }
    return 0;
}

void rt_input_free(struct rt_input *g)
{
    if (!g)
        return;
    free(g->out);
    free(g->rng);
    free(g->tnext);
    if (g->buckets)
        for (int64_t i = 0; i < g->L; i++)
            free(g->buckets[i].v);
    free(g->buckets);
    free(g->fsteps);
    free(g->fneur);
    free(g);
}
