/*
 * wrecord.c - recordings of plastic projections (wrecord.h).
 */
#include "runtime/wrecord.h"

#include "runtime/trace.h"
#include "runtime/table.h"

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
            out[m] = seen_by(pl, it->r->state, k, rt_conn_source(c, k), c->t32[k], (double)done, dt);
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

bool wrec_due(const struct wrecs *w, int proj, int64_t done)
{
    for (int i = 0; i < w->nitems; i++) {
        const struct witem *it = &w->items[i];
        if (it->r->proj == proj && it->r->kind != IR_WREC_WEIGHTS && done % it->esteps == 0 &&
            done / it->esteps < it->cap)   /* sample number done / esteps: the same count on every part */
            return true;
    }
    return false;
}

bool wrec_at_end(const struct wrecs *w, int proj)
{
    for (int i = 0; i < w->nitems; i++)
        if (w->items[i].r->proj == proj && w->items[i].r->kind == IR_WREC_WEIGHTS)
            return true;
    return false;
}

bool wrec_recorded(const struct wrecs *w, int proj)
{
    for (int i = 0; i < w->nitems; i++)
        if (w->items[i].r->proj == proj)
            return true;
    return false;
}

/* One recording as a table (runtime/table.h): the rows its CSV file has always had, in display units. */
static bool item_table(const struct wrecs *w, const struct witem *it, const struct rt_conn *conns,
                       struct rt_tables *out)
{
    static const char *const f_weights[] = {"%.0f", "%.0f", "%.9g"}, *const f_stats[] = {"%.12g", "%.17g", "%.17g"},
                             *const f_hist[] = {"%.12g", "%.9g", "%.9g", "%.0f"}, *const f_state[] = {"%.12g", "%.17g"},
                             *const f_syn[] = {"%.12g", "%.0f", "%.0f", "%.17g"},
                             *const f_syn_w[] = {"%.12g", "%.0f", "%.0f", "%.9g"};   /* state 0: float32 w */
    static const char *const kinds[] = {[IR_WREC_WEIGHTS] = "weights", [IR_WREC_STATS] = "weight_stats",
                                        [IR_WREC_HIST] = "weight_hist", [IR_WREC_STATE] = "state_trace",
                                        [IR_WREC_SYN] = "synapse_trace"};
    const struct ir_wrec *r = it->r;
    const double dt = w->m->dt, sc = r->unit_scale != 0 ? r->unit_scale : 1.0;
    const char *u = r->unit ? r->unit : "1";
    char c1[96], c2[96], u2[64];
    struct rt_table *tb;
    const struct rt_conn *c = &conns[r->proj];
    if (r->kind == IR_WREC_WEIGHTS) {
        snprintf(c1, sizeof c1, "w_%s", u);
        const char *cols[] = {"pre", "post", c1}, *units[] = {"1", "1", u};
        if (!(tb = table_add(out, r->who, r->name, kinds[r->kind], c->nsyn, 3, cols, units, f_weights)))
            return false;
        int64_t k = 0;
        for (int64_t i = 0; i < c->npre; i++)
            for (int64_t q = c->row[i]; q < c->row[i + 1]; q++, k++) {
                tb->v[0][k] = (double)i;
                tb->v[1][k] = c->t32[q];
                tb->v[2][k] = (double)c->w[q] * sc;
            }
        return true;
    }
    if (r->kind == IR_WREC_STATS) {
        snprintf(c1, sizeof c1, "mean_%s", u);
        snprintf(c2, sizeof c2, "var_%s^2", u);
        snprintf(u2, sizeof u2, "%s^2", u);
        const char *cols[] = {"time_ms", c1, c2}, *units[] = {"ms", u, u2};
        tb = table_add(out, r->who, r->name, kinds[r->kind], it->n, 3, cols, units, f_stats);
    } else if (r->kind == IR_WREC_HIST) {
        snprintf(c1, sizeof c1, "bin_lo_%s", u);
        snprintf(c2, sizeof c2, "bin_hi_%s", u);
        const char *cols[] = {"time_ms", c1, c2, "count"}, *units[] = {"ms", u, u, "1"};
        tb = table_add(out, r->who, r->name, kinds[r->kind], it->n * r->bins, 4, cols, units, f_hist);
    } else if (r->kind == IR_WREC_SYN) {
        snprintf(c1, sizeof c1, "%s_%s", w->m->projs[r->proj].plastic->states[r->state].name, u);
        const char *cols[] = {"time_ms", "pre", "post", c1}, *units[] = {"ms", "1", "1", u};
        tb = table_add(out, r->who, r->name, kinds[r->kind], it->n * nfollowed(r, c), 4, cols, units,
                       r->state == 0 ? f_syn_w : f_syn);
    } else {
        snprintf(c1, sizeof c1, "mean_%s", u);
        const char *cols[] = {"time_ms", c1}, *units[] = {"ms", u};
        tb = table_add(out, r->who, r->name, kinds[r->kind], it->n, 2, cols, units, f_state);
    }
    if (!tb)
        return false;
    for (int64_t s = 0, row = 0; s < it->n; s++) {
        const double *v = it->buf + s * it->width;
        double t = (double)it->at[s] * dt;
        if (r->kind == IR_WREC_SYN) {
            for (int64_t m = 0; m < nfollowed(r, c); m++, row++) {
                int64_t k = followed(r, c, m);
                tb->v[0][row] = t;
                tb->v[1][row] = (double)rt_conn_source(c, k);
                tb->v[2][row] = c->t32[k];
                tb->v[3][row] = v[m] * sc;
            }
            continue;
        }
        if (r->kind == IR_WREC_HIST) {
            for (int b = 0; b < r->bins; b++, row++) {
                tb->v[0][row] = t;
                tb->v[1][row] = (r->lo + (r->hi - r->lo) * b / r->bins) * sc;
                tb->v[2][row] = (r->lo + (r->hi - r->lo) * (b + 1) / r->bins) * sc;
                tb->v[3][row] = v[b];
            }
            continue;
        }
        tb->v[0][row] = t;
        tb->v[1][row] = v[0] * sc;
        if (r->kind == IR_WREC_STATS)
            tb->v[2][row] = v[1] * sc * sc;
        row++;
    }
    if (it->truncated)
        return table_note(tb, "truncated: at most %lld samples; later samples are not recorded", (long long)it->cap);
    return true;
}

bool wrec_tables(const struct wrecs *w, const struct rt_conn *conns, struct rt_tables *out)
{
    for (int i = 0; i < w->nitems; i++)
        if (!item_table(w, &w->items[i], conns, out))
            return false;
    return true;
}
