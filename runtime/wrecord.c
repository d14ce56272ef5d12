/*
 * wrecord.c - recordings of plastic projections (wrecord.h).
 */
#include "runtime/wrecord.h"

#include "runtime/trace.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct witem {
    const struct ir_wrec *r;
    int64_t esteps;        /* steps between samples */
    int64_t cap, n;        /* samples kept, taken */
    int width;             /* doubles per sample */
    double *buf;           /* cap * width */
    int64_t *at;           /* cap: steps done at each sample */
    bool truncated;
};

struct wrecs {
    const struct ir_model *m;
    int nitems;
    struct witem *items;
    /* wrec_write's current item and conns, for the file body callback */
    const struct witem *cur;
    const struct rt_conn *conns;
};

struct wrecs *wrec_create(const struct ir_model *m, int64_t nsteps)
{
    struct wrecs *w = calloc(1, sizeof *w);
    if (!w || !(w->items = calloc((size_t)m->nwrecs + 1, sizeof *w->items))) {
        free(w);
        return NULL;
    }
    w->m = m;
    w->nitems = m->nwrecs;
    for (int i = 0; i < m->nwrecs; i++) {
        struct witem *it = &w->items[i];
        it->r = &m->wrecs[i];
        if (it->r->kind == IR_WREC_WEIGHTS)
            continue;
        it->esteps = ir_steps_of(it->r->every, m->dt);
        it->width = it->r->kind == IR_WREC_STATS  ? 2
                    : it->r->kind == IR_WREC_HIST ? it->r->bins
                    : it->r->kind == IR_WREC_SYN  ? it->r->nsample
                                                  : 1;
        int64_t want = nsteps / it->esteps + 1;
        int64_t rows_per = it->r->kind == IR_WREC_HIST || it->r->kind == IR_WREC_SYN ? it->width : 1;
        it->cap = want * rows_per <= TRACE_MAX_ROWS ? want : TRACE_MAX_ROWS / rows_per;
        it->cap = it->cap < 1 ? 1 : it->cap;
        it->buf = calloc((size_t)(it->cap * it->width), sizeof *it->buf);
        it->at = calloc((size_t)it->cap, sizeof *it->at);
        if (!it->buf || !it->at) {
            wrec_free(w);
            return NULL;
        }
    }
    return w;
}

void wrec_free(struct wrecs *w)
{
    if (!w)
        return;
    for (int i = 0; i < w->nitems; i++) {
        free(w->items[i].buf);
        free(w->items[i].at);
    }
    free(w->items);
    free(w);
}

/* State s of value x last updated at step `last`, brought forward to step `now` (ir/ir.h's closed form). */
static double brought(const struct ir_pl_state *st, double x, double last, double now, double dt)
{
    if (!st->decays)
        return x;
    double D = (now - last) * dt;
    return st->a == 0 ? x + st->b * D : x * exp(st->a * D) + st->b / st->a * expm1(st->a * D);
}

/* The synapses a weight_trace / state_trace(synapses = K) follows: min(K, nsyn) of them, evenly spaced in
 * CSR order (k_m = floor(m nsyn / K)), so the choice depends only on the built network, not on threads. */
static int64_t nfollowed(const struct ir_wrec *r, const struct rt_conn *c)
{
    return c->nsyn < r->nsample ? c->nsyn : r->nsample;
}

static int64_t followed(const struct ir_wrec *r, const struct rt_conn *c, int64_t m)
{
    return (int64_t)((double)m * (double)c->nsyn / (double)nfollowed(r, c));
}

/* The source of synapse k: the row whose range holds k. */
static int64_t source_of(const struct rt_conn *c, int64_t k)
{
    int64_t b = 0, e = c->npre;   /* row[b] <= k < row[e] */
    while (e - b > 1) {
        int64_t mid = b + (e - b) / 2;
        if (c->row[mid] <= k)
            b = mid;
        else
            e = mid;
    }
    return b;
}

/* Event state s as synapse k (source i, target j) sees it at step `now`, brought forward from its last event. */
static double seen_by(const struct rt_plastic *pl, int s, int64_t k, int64_t i, int64_t j, double now, double dt)
{
    const struct ir_pl_state *st = &pl->ir->states[s];
    if (st->where == IR_PL_PRE)
        return brought(st, pl->pre[0][s][i], pl->pre_last[0][i], now, dt);
    if (st->where == IR_PL_POST)
        return brought(st, pl->post[s][j], pl->post_last[j], now, dt);
    double pre_last = pl->syn_last ? pl->syn_last[k] : pl->pre_last[0][i];   /* per-synapse delays: per synapse */
    return brought(st, pl->syn[s][k], fmax(pre_last, pl->post_last[j]), now, dt);
}

static void sample_item(struct witem *it, int64_t done, const struct rt_conn *c, const struct rt_plastic *pl, double dt)
{
    double *out = it->buf + it->n * it->width;
    const float *w = c->w;
    const int64_t n = c->nsyn;
    if (it->r->kind == IR_WREC_STATS) {
        /* shifted sums (by the first weight) for a stable variance, as the statistics do */
        double K = n ? w[0] : 0, s1 = 0, s2 = 0;
        for (int64_t k = 0; k < n; k++) {
            double d = w[k] - K;
            s1 += d;
            s2 += d * d;
        }
        out[0] = n ? K + s1 / (double)n : NAN;
        out[1] = n ? s2 / (double)n - (s1 / (double)n) * (s1 / (double)n) : NAN;
    } else if (it->r->kind == IR_WREC_HIST) {
        const double lo = it->r->lo, hi = it->r->hi;
        const int nb = it->r->bins;
        for (int64_t k = 0; k < n; k++) {
            double x = w[k];
            int b = (int)floor((x - lo) / (hi - lo) * nb);
            b = b < 0 ? 0 : b >= nb ? nb - 1 : b;   /* the bounds (w = max) fall in the outer bins */
            out[b] += 1;
        }
    } else if (it->r->kind == IR_WREC_SYN) {
        for (int64_t m = 0; m < nfollowed(it->r, c); m++) {
            int64_t k = followed(it->r, c, m);
            out[m] = seen_by(pl, it->r->state, k, source_of(c, k), c->t32[k], (double)done, dt);
        }
    } else {
        /* the mean over the state's storage: sources, targets or synapses */
        const int s = it->r->state;
        const enum ir_pl_where where = pl->ir->states[s].where;
        double sum = 0, now = (double)done;
        int64_t cnt = 0;
        if (where == IR_PL_PRE)
            for (int64_t i = 0; i < pl->npre; i++, cnt++)
                sum += seen_by(pl, s, 0, i, 0, now, dt);
        else if (where == IR_PL_POST)
            for (int64_t j = 0; j < pl->npost; j++, cnt++)
                sum += seen_by(pl, s, 0, 0, j, now, dt);
        else
            for (int64_t i = 0; i < pl->npre; i++)
                for (int64_t k = c->row[i]; k < c->row[i + 1]; k++, cnt++)
                    sum += seen_by(pl, s, k, i, c->t32[k], now, dt);
        out[0] = cnt ? sum / (double)cnt : NAN;
    }
    it->at[it->n++] = done;
}

void wrec_sample(struct wrecs *w, int64_t done, const struct rt_conn *conns, const struct rt_plastic *pl)
{
    for (int i = 0; i < w->nitems; i++) {
        struct witem *it = &w->items[i];
        if (it->r->kind == IR_WREC_WEIGHTS || done % it->esteps != 0)
            continue;
        if (it->n >= it->cap) {
            it->truncated = true;
            continue;
        }
        sample_item(it, done, &conns[it->r->proj], &pl[it->r->proj], w->m->dt);
    }
}

static void body(FILE *f, const void *ctx)
{
    const struct wrecs *w = ctx;
    const struct witem *it = w->cur;
    const struct ir_wrec *r = it->r;
    const double dt = w->m->dt, sc = r->unit_scale != 0 ? r->unit_scale : 1.0;
    const char *u = r->unit ? r->unit : "1";
    if (r->kind == IR_WREC_WEIGHTS) {
        const struct rt_conn *c = &w->conns[r->proj];
        fprintf(f, "pre,post,w_%s\n", u);
        for (int64_t i = 0; i < c->npre; i++)
            for (int64_t k = c->row[i]; k < c->row[i + 1]; k++)
                fprintf(f, "%lld,%u,%.9g\n", (long long)i, c->t32[k], (double)c->w[k] * sc);
        return;
    }
    const struct rt_conn *c = &w->conns[r->proj];
    if (r->kind == IR_WREC_STATS)
        fprintf(f, "time_ms,mean_%s,var_%s^2\n", u, u);
    else if (r->kind == IR_WREC_SYN)
        fprintf(f, "time_ms,pre,post,%s_%s\n", w->m->projs[r->proj].plastic->states[r->state].name, u);
    else if (r->kind == IR_WREC_HIST)
        fprintf(f, "time_ms,bin_lo_%s,bin_hi_%s,count\n", u, u);
    else
        fprintf(f, "time_ms,mean_%s\n", u);
    for (int64_t s = 0; s < it->n; s++) {
        const double *v = it->buf + s * it->width;
        double t = (double)it->at[s] * dt;
        if (r->kind == IR_WREC_STATS)
            fprintf(f, "%.12g,%.17g,%.17g\n", t, v[0] * sc, v[1] * sc * sc);
        else if (r->kind == IR_WREC_HIST)
            for (int b = 0; b < r->bins; b++)
                fprintf(f, "%.12g,%.9g,%.9g,%.0f\n", t, (r->lo + (r->hi - r->lo) * b / r->bins) * sc,
                        (r->lo + (r->hi - r->lo) * (b + 1) / r->bins) * sc, v[b]);
        else if (r->kind == IR_WREC_SYN)
            for (int64_t m = 0; m < nfollowed(r, c); m++) {
                int64_t k = followed(r, c, m);
                fprintf(f, "%.12g,%lld,%u,%.9g\n", t, (long long)source_of(c, k), c->t32[k], v[m] * sc);
            }
        else
            fprintf(f, "%.12g,%.17g\n", t, v[0] * sc);
    }
    if (it->truncated)
        fprintf(f, "# truncated: at most %lld samples; later samples are not recorded\n", (long long)it->cap);
}

bool wrec_write(struct wrecs *w, const struct rt_conn *conns, const char *dir, int point, int trial, char *err,
                size_t errlen)
{
    w->conns = conns;
    for (int i = 0; i < w->nitems; i++) {
        w->cur = &w->items[i];
        if (!trace_file_write(dir, point, trial, w->items[i].r->who, w->items[i].r->name, body, w, err, errlen))
            return false;
    }
    return true;
}
