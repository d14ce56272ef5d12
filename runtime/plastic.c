/*
 * plastic.c - storage, target-major index and event calls of plastic projections (plastic.h).
 *
 * Owns: the per-synapse, per-source and per-target event state.  Must not: allocate per step or print.
 */
#include "runtime/plastic.h"

#include "runtime/errf.h"
#include "runtime/rng.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static double *dcolumn(int64_t n, double v)
{
    double *c = malloc(sizeof *c * (size_t)(n > 0 ? n : 1));
    for (int64_t i = 0; c && i < n; i++)
        c[i] = v;
    return c;
}

/* The initial value of per-synapse state s of synapse i -> t: the constant, or a draw keyed by (seed,
 * projection, source * Npost + target) from counter block s << 20 on (rng.h), so it does not depend on
 * where the synapse is stored, i.e. on how the targets are split (issue 15; sema stores every state with
 * a random initial value per synapse). */
static double initial(const struct ir_pl_state *st, int s, int j, const struct rt_conn *c, int64_t i, int64_t k,
                      uint64_t seed)
{
    if (!st->init_draw)
        return st->init;
    struct rt_rng r;
    rt_rng_init(&r, seed, RT_STREAM(RT_STREAM_PLINIT, j),
                (uint64_t)i * (uint64_t)c->npost_all + (uint64_t)(c->post0 + c->t32[k]));
    r.c.v[0] = (uint32_t)s << 20;
    return ir_eval(st->init_draw, NULL, rt_rng_draw, &r);
}

void rt_plastic_free(struct rt_plastic *pl)
{
    const struct ir_plastic *ir = pl->ir;
    if (!ir)
        return;
    for (int s = 0; s < ir->nstates; s++) {
        if (s > 0 && pl->syn)
            free(pl->syn[s]);   /* syn[0] belongs to the conn */
        if (pl->post)
            free(pl->post[s]);
    }
    free(pl->syn);
    free(pl->post);
    free(pl->post_last);
    for (int g = 0; g < pl->nt; g++) {
        for (int s = 0; pl->pre && pl->pre[g] && s < ir->nstates; s++)
            free(pl->pre[g][s]);
        if (pl->pre)
            free(pl->pre[g]);
        if (pl->pre_last)
            free(pl->pre_last[g]);
        if (pl->scratch)
            free(pl->scratch[g]);
    }
    free(pl->pre);
    free(pl->pre_last);
    free(pl->scratch);
    free(pl->in_row);
    free(pl->in_syn);
    free(pl->syn_last);
    memset(pl, 0, sizeof *pl);
}

bool rt_plastic_init(struct rt_plastic *pl, const struct ir_proj *p, int j, struct rt_conn *c, int nt, uint64_t seed,
                     char *err, size_t errlen)
{
    bool bad = false;   /* a random initial value that is not finite */
    const struct ir_plastic *ir = p->plastic;
    memset(pl, 0, sizeof *pl);
    pl->ir = ir;
    pl->nt = nt;
    pl->npre = c->npre;
    pl->npost = c->npost;
    pl->nsyn = c->nsyn;
    if (!c->t32 || !c->w || !c->sorted) {
        rt_plastic_free(pl);
        return rt_errf(err, errlen, "internal: plastic projection %s without 32-bit sorted targets and weights",
                       p->synapse ? p->synapse : "?");
    }
    if (c->nsyn > (int64_t)UINT32_MAX) {
        rt_plastic_free(pl);
        return rt_errf(err, errlen, "plastic projection %s has %lld synapses; at most 2^32 are supported",
                       p->synapse ? p->synapse : "?", (long long)c->nsyn);
    }
    const int ns = ir->nstates;
    bool ok = (pl->syn = calloc((size_t)ns, sizeof *pl->syn)) && (pl->post = calloc((size_t)ns, sizeof *pl->post)) &&
              (pl->post_last = dcolumn(c->npost, 0.0)) && (pl->pre = calloc((size_t)nt, sizeof *pl->pre)) &&
              (pl->pre_last = calloc((size_t)nt, sizeof *pl->pre_last)) &&
              (pl->scratch = calloc((size_t)nt, sizeof *pl->scratch)) &&
              (pl->in_row = calloc((size_t)c->npost + 1, sizeof *pl->in_row)) &&
              (pl->in_syn = malloc(sizeof *pl->in_syn * (size_t)(c->nsyn ? c->nsyn : 1)));
    for (int s = 0; ok && s < ns; s++) {
        const struct ir_pl_state *st = &ir->states[s];
        if (s == 0)
            pl->syn[0] = c->w;
        else if (st->where == IR_PL_SYN) {
            ok = (pl->syn[s] = malloc(sizeof(float) * (size_t)(c->nsyn ? c->nsyn : 1))) != NULL;
            for (int64_t i = 0; ok && i < c->npre; i++)
                for (int64_t k = c->row[i]; k < c->row[i + 1]; k++) {
                    pl->syn[s][k] = (float)initial(st, s, j, c, i, k, seed);
                    bad |= !isfinite(pl->syn[s][k]);
                }
        } else if (st->where == IR_PL_POST)
            ok = (pl->post[s] = dcolumn(c->npost, st->init)) != NULL;
    }
    if (ok && ir->syn_last)
        ok = (pl->syn_last = dcolumn(c->nsyn, 0.0)) != NULL;
    /* the target-major index: counts, offsets, then the synapses in row (= source) order */
    int64_t maxin = 0;
    for (int64_t k = 0; ok && k < c->nsyn; k++)
        pl->in_row[c->t32[k] + 1]++;
    for (int64_t j = 0; ok && j < c->npost; j++) {
        maxin = pl->in_row[j + 1] > maxin ? pl->in_row[j + 1] : maxin;
        pl->in_row[j + 1] += pl->in_row[j];
    }
    int64_t *fill = ok ? malloc(sizeof *fill * (size_t)(c->npost ? c->npost : 1)) : NULL;
    ok = ok && fill;
    if (ok) {
        memcpy(fill, pl->in_row, sizeof *fill * (size_t)c->npost);
        for (int64_t k = 0; k < c->nsyn; k++)
            pl->in_syn[fill[c->t32[k]]++] = (uint32_t)k;
    }
    free(fill);
    for (int g = 0; ok && g < nt; g++) {
        ok = (pl->pre[g] = calloc((size_t)ns, sizeof **pl->pre)) && (pl->pre_last[g] = dcolumn(c->npre, 0.0)) &&
             (pl->scratch[g] = malloc(sizeof **pl->scratch * (size_t)(maxin ? maxin : 1)));
        for (int s = 0; ok && s < ns; s++)
            if (ir->states[s].where == IR_PL_PRE)
                ok = (pl->pre[g][s] = dcolumn(c->npre, ir->states[s].init)) != NULL;
    }
    if (ok && bad) {
        rt_plastic_free(pl);
        return rt_errf(err, errlen, "plastic projection %s: a random initial event state is not finite",
                       p->synapse ? p->synapse : "?");
    }
    if (!ok) {
        rt_plastic_free(pl);
        return rt_errf(err, errlen, "out of memory for the plastic state of %s", p->synapse ? p->synapse : "?");
    }
    return true;
}

/* First k in tg[b, e) with tg[k] >= x (rows are sorted by target). */
static int64_t lower(const uint32_t *tg, int64_t b, int64_t e, int64_t x)
{
    while (b < e) {
        int64_t mid = b + (e - b) / 2;
        if ((int64_t)tg[mid] < x)
            b = mid + 1;
        else
            e = mid;
    }
    return b;
}

/* The thread's part [*b, *e) of row src (targets [lo, hi)). */
static void row_part(const struct rt_conn *c, int64_t src, int64_t lo, int64_t hi, int tid, int64_t *b, int64_t *e)
{
    *b = c->row[src];
    *e = c->row[src + 1];
    if (lo <= 0 && hi >= c->npost)
        return;
    if (c->cut) {
        const int64_t *cut = c->cut + src * (c->cut_nt + 1) + tid;
        *b = cut[0];
        *e = cut[1];
    } else {
        *b = lower(c->t32, *b, *e, lo);
        *e = lower(c->t32, *b, *e, hi);
    }
}

void rt_plastic_pre(struct rt_plastic *pl, const struct ir_kernel *ev, const struct rt_conn *c,
                    double *const *post_vars, const uint32_t *idx, int64_t n, int64_t lo, int64_t hi, int tid,
                    int64_t t)
{
    for (int64_t s = 0; s < n; s++) {
        int64_t src = idx[s], b, e;
        row_part(c, src, lo, hi, tid, &b, &e);
        ev->pre(ev->ctx, post_vars, pl->syn, pl->pre[tid], pl->post, pl->pre_last[tid], pl->post_last, c->t32, NULL,
                src, b, e, (double)t);
    }
}

/* Per-synapse delays: a scan of the thread's part of each row for the synapses of delay d, for every d of
 * 1..dmax (sim.c): O(dmax x row) comparisons of 2-byte delays per spike, but no lists to fill or allocate,
 * and each target meets its arrivals in one order (by delay, then spike list, then row) whatever the
 * number of threads. */
void rt_plastic_pre_delayed(struct rt_plastic *pl, const struct ir_kernel *ev, const struct rt_conn *c,
                            double *const *post_vars, const uint32_t *idx, int64_t n, int64_t lo, int64_t hi, int tid,
                            int64_t t, int d)
{
    for (int64_t s = 0; s < n; s++) {
        int64_t src = idx[s], b, e;
        row_part(c, src, lo, hi, tid, &b, &e);
        for (int64_t k = b; k < e; k++)
            if (c->d[k] == d)
                ev->pre(ev->ctx, post_vars, pl->syn, pl->pre[tid], pl->post, pl->syn_last, pl->post_last, c->t32,
                        NULL, src, k, k + 1, (double)t);
    }
}

void rt_plastic_post(struct rt_plastic *pl, const struct ir_kernel *ev, const struct rt_conn *c,
                     double *const *post_vars, const uint32_t *idx, int64_t n, int tid, int64_t t)
{
    uint32_t *src = pl->scratch[tid];
    for (int64_t s = 0; s < n; s++) {
        int64_t j = idx[s] - c->post0, b = pl->in_row[j], e = pl->in_row[j + 1];
        for (int64_t m = b; m < e; m++)
            src[m - b] = (uint32_t)rt_conn_source(c, pl->in_syn[m]);
        ev->post(ev->ctx, post_vars, pl->syn, pl->pre[tid], pl->post, pl->syn_last ? pl->syn_last : pl->pre_last[tid],
                 pl->post_last,
                 pl->in_syn + b, src, j, 0, e - b, (double)(t + 1));
    }
}

double rt_plastic_bytes_per_synapse(const struct ir_plastic *p)
{
    double b = 4 + 4 + 4;   /* 32-bit target, float weight, index entry */
    b += p->syn_last ? 8 : 0;   /* per-synapse delays: the last pre event per synapse */
    for (int s = 1; s < p->nstates; s++)
        b += p->states[s].where == IR_PL_SYN ? 4 : 0;
    return b;
}
