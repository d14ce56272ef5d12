/*
 * ir_accum.c - which statistics' sums the kernels accumulate themselves (kernel step 8, ir.h), and the
 * rules about statistics that the plan shares with the runtime's own accumulators (runtime/stats.c).
 *
 * Why in the kernel (DESIGN.md §2, "fused kernels ... and statistics accumulation"): var(V) as a second
 * pass reloads V, the shift K and the two sums for every neuron and step after the kernel stored V; in the
 * kernel V is still in a register and the pass disappears.  The runtime calls the accumulating kernel on
 * the steps where every accumulator of the population is in its steady state (after the first sample,
 * before the end of the last complete bin) and does the other steps, and the closing of bins, itself with
 * the same operations (runtime/stats.c), so the result does not depend on who accumulated.
 *
 * Owns: the plan.  Must not: know about the runtime's memory layout beyond the column order of ir.h.
 */
#include "ir/ir.h"

#include <math.h>
#include <string.h>

int64_t ir_steps_of(double ms, double dt)
{
    int64_t k = (int64_t)llround(ms / dt);
    return k < 1 ? 1 : k;
}

int ir_resolve_obs(const struct ir_model *m, const struct ir_record *r, int p, int idx)
{
    if (idx < 0 || r->npops == 0)
        return -1;
    const struct ir_pop *p0 = &m->pops[r->pops[0]];
    if (idx >= p0->nobs)
        return -1;
    const char *name = p0->obs[idx].name;
    const struct ir_pop *pp = &m->pops[p];
    if (idx < pp->nobs && name && pp->obs[idx].name && strcmp(pp->obs[idx].name, name) == 0)
        return idx;
    for (int j = 0; j < pp->nobs; j++)
        if (name && pp->obs[j].name && strcmp(pp->obs[j].name, name) == 0)
            return j;
    return -1;
}

static bool is_moment(enum ir_stat_kind k)
{
    return k == IR_STAT_MEAN || k == IR_STAT_VAR || k == IR_STAT_STD;
}

bool ir_stats_share_sums(const struct ir_stat *a, const struct ir_stat *b)
{
    if (!(is_moment(a->kind) && is_moment(b->kind)) && !(a->kind == IR_STAT_COV && b->kind == IR_STAT_COV))
        return false;
    return a->obs == b->obs && (a->kind != IR_STAT_COV || a->obs2 == b->obs2) && a->has_clip == b->has_clip &&
           (!a->has_clip || a->clip == b->clip) && a->bin == b->bin;
}

/* The earlier statistic of r whose sums stat k shares, or -1. */
static int shared_with(const struct ir_record *r, int k)
{
    for (int k2 = 0; k2 < k; k2++)
        if (ir_stats_share_sums(&r->stats[k], &r->stats[k2]))
            return k2;
    return -1;
}

bool ir_stat_mean_only(const struct ir_record *r, int k)
{
    if (r->stats[k].kind != IR_STAT_MEAN || shared_with(r, k) >= 0)
        return false;
    for (int k2 = k + 1; k2 < r->nstats; k2++)
        if (r->stats[k2].kind != IR_STAT_MEAN && ir_stats_share_sums(&r->stats[k2], &r->stats[k]) &&
            shared_with(r, k2) == k)
            return false;
    return true;
}

int ir_stat_twin(const struct ir_model *m, int ri, int k, int p, int *k2)
{
    const struct ir_record *r = &m->records[ri];
    const struct ir_stat *a = &r->stats[k];
    if (!(is_moment(a->kind) || a->kind == IR_STAT_COV) || shared_with(r, k) >= 0)
        return -1;
    const int obs = ir_resolve_obs(m, r, p, a->obs), obs2 = a->kind == IR_STAT_COV ? ir_resolve_obs(m, r, p, a->obs2) : -1;
    const bool mean_only = ir_stat_mean_only(r, k);
    for (int ri2 = 0; ri2 < ri && obs >= 0; ri2++) {
        const struct ir_record *r2 = &m->records[ri2];
        bool has = false;
        for (int j = 0; j < r2->npops; j++)
            has = has || r2->pops[j] == p;
        for (int j = 0; has && j < r2->nstats; j++) {
            const struct ir_stat *b = &r2->stats[j];
            if (((is_moment(a->kind) && is_moment(b->kind)) || (a->kind == IR_STAT_COV && b->kind == IR_STAT_COV)) &&
                shared_with(r2, j) < 0 && ir_resolve_obs(m, r2, p, b->obs) == obs &&
                (a->kind != IR_STAT_COV || ir_resolve_obs(m, r2, p, b->obs2) == obs2) && a->has_clip == b->has_clip &&
                (!a->has_clip || a->clip == b->clip) && a->bin == b->bin && ir_stat_mean_only(r2, j) == mean_only) {
                *k2 = j;
                return ri2;
            }
        }
    }
    return -1;
}

/* Appends the accums of stat k of record r for population p to out (when non-NULL); returns how many. */
static int plan_stat(const struct ir_model *m, int ri, int k, int p, struct ir_accum *out, int *col)
{
    const struct ir_record *r = &m->records[ri];
    const struct ir_stat *st = &r->stats[k];
    int twin;
    if (!(is_moment(st->kind) || st->kind == IR_STAT_COV) || shared_with(r, k) >= 0 ||
        ir_stat_twin(m, ri, k, p, &twin) >= 0)
        return 0;
    int obs = ir_resolve_obs(m, r, p, st->obs), obs2 = st->kind == IR_STAT_COV ? ir_resolve_obs(m, r, p, st->obs2) : -1;
    if (obs < 0 || (st->kind == IR_STAT_COV && obs2 < 0))
        return 0;   /* a missing observable: the statistic is NaN, nothing to sum */
    bool binned = st->bin > 0 && ir_steps_of(st->bin, m->dt) > 1;
    struct ir_accum a = {.rec = ri, .stat = k, .obs = obs, .obs2 = -1, .has_clip = st->has_clip, .clip = st->clip};
    struct ir_accum list[2];
    int n = 0;
    if (st->kind == IR_STAT_MEAN && ir_stat_mean_only(r, k)) {
        a.kind = IR_ACC_SUM;                   /* the mean of the samples (complete bins: their mean too) */
        list[n++] = a;
    } else if (!binned) {
        a.kind = st->kind == IR_STAT_COV ? IR_ACC_COMOMENTS : IR_ACC_MOMENTS;
        a.obs2 = obs2;
        list[n++] = a;
    } else {
        a.kind = IR_ACC_SUM;                   /* the bin's sum; the runtime closes bins */
        list[n++] = a;
        if (st->kind == IR_STAT_COV)
            list[n++] = (struct ir_accum){.kind = IR_ACC_SUM, .rec = ri, .stat = k, .role = 1, .obs = obs2, .obs2 = -1};
    }
    for (int j = 0; j < n; j++) {
        list[j].col = *col;
        *col += list[j].kind == IR_ACC_SUM ? 1 : list[j].kind == IR_ACC_MOMENTS ? 3 : 5;
        if (out)
            out[j] = list[j];
    }
    return n;
}

bool ir_plan_accums(struct ir_model *m, struct arena *a)
{
    for (int p = 0; p < m->npops; p++) {
        struct ir_pop *pop = &m->pops[p];
        int count = 0, col = 0;
        for (int pass = 0; pass < 2; pass++) {
            int n = 0;
            col = 0;
            for (int ri = 0; ri < m->nrecords; ri++)
                for (int j = 0; j < m->records[ri].npops; j++)
                    if (m->records[ri].pops[j] == p)
                        for (int k = 0; k < m->records[ri].nstats; k++)
                            n += plan_stat(m, ri, k, p, pass ? pop->accums + n : NULL, &col);
            if (pass == 0) {
                count = n;
                pop->accums = count ? arena_alloc(a, sizeof *pop->accums * (size_t)count) : NULL;
                if (count && !pop->accums)
                    return false;
            }
        }
        pop->naccums = count;
        pop->nacc_cols = col;
    }
    return true;
}

void ir_accum_apply(const struct ir_pop *p, double *const *obs, double *const *acc, int64_t begin, int64_t end)
{
    for (int k = 0; k < p->naccums; k++) {
        const struct ir_accum *a = &p->accums[k];
        double *const *c = acc + a->col;
        const double *xo = obs[a->obs], *yo = a->obs2 >= 0 ? obs[a->obs2] : NULL;
        for (int64_t i = begin; i < end; i++) {
            double x = a->has_clip && xo[i] > a->clip ? a->clip : xo[i];
            if (a->kind == IR_ACC_SUM) {
                c[0][i] += x;
            } else if (a->kind == IR_ACC_MOMENTS) {
                double d = x - c[0][i];
                c[1][i] += d;
                c[2][i] += d * d;
            } else {
                double dx = x - c[0][i], dy = yo[i] - c[1][i];
                c[2][i] += dx;
                c[3][i] += dy;
                c[4][i] += dx * dy;
            }
        }
    }
}
