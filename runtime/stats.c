/*
 * stats.c - online statistics of one run (runtime/stats.h): accumulators per (record, population),
 * updated every step from the spike flags and observable columns the kernels wrote, reduced to one value
 * per (record, population or "all", statistic) at the end.
 *
 * Owns: per-neuron accumulators and the rows.  Must not: print, exit, or touch anything outside the
 * neuron range it was given in stats_pop_step() (threads run disjoint ranges at once, stats.h).
 *
 * Definitions (SCIENCE.md §3; "after burn-in" means steps burn_steps <= step < nsteps; T = (nsteps -
 * burn_steps) dt; every value is kept in internal units - 1/ms, mV, nS, ms - and multiplied by the
 * statistic's unit_scale only when the row is written):
 *
 *   rate      per neuron: spikes after burn-in / T.  Population: mean over its neurons (1/ms; x1000 -> Hz).
 *   cv_isi    per neuron with >= 3 spikes after burn-in: sd / mean of its ISIs (both spikes of an ISI after
 *             burn-in; sd with divisor n, as numpy.std).  Population: mean over those neurons; NaN if none.
 *   fano(w)   windows of w = round(window/dt) steps tile [burn_steps, nsteps); the W = (nsteps -
 *             burn_steps) / w complete windows are used (a partial last window is ignored).  Per neuron
 *             var / mean of its window counts (divisor W); population: mean over neurons with mean > 0;
 *             NaN when W < 2 or no neuron fired.
 *   count_corr(w, min_rate)  same windows, the first and the last dropped (windows 1 .. W-2); neurons with
 *             rate > min_rate (rate as defined above) and non-constant counts; mean Pearson correlation
 *             over every pair, computed as (|sum z|^2 - sum |z|^2) / (n (n-1)) (stats_corr.c).  NaN when
 *             fewer than 2 kept windows or 2 neurons.  With `from = f`, the windows tile [f, nsteps) and the
 *             rate is spikes in [f, nsteps) / ((nsteps - f) dt), whatever the burn-in (f = 0: the windows of
 *             the authors' utils.GetSpikeCountCorrelation; docs/statistics.md).
 *   mean(x)   per neuron time average of the samples; population: mean over neurons.
 *   var(x)    per neuron temporal variance of the samples (divisor n: the population variance of the
 *             time series); population: mean over neurons.
 *   std(x)    sqrt of the population's var(x) (the root of the mean variance, not the mean of the roots).
 *   cov(x,y)  per neuron time average of (x - <x>)(y - <y>) (divisor n); population: mean over neurons.
 *   samples   x after each step, clipped to min(x, clip) when has_clip (NaN is kept, not clipped), then,
 *             when bin > 0, averaged in consecutive bins of b = round(bin/dt) steps starting at burn_steps;
 *             each complete bin's mean is one sample (a partial last bin is ignored).  For cov, the clip
 *             applies to x only (it exists for V at V_th), the binning to both.
 *   derived   stat.derived evaluated by ir_eval with IR_VAR k = the internal value of stat k of the same
 *             record and population ("all": the pooled values).  Evaluated after every other statistic,
 *             in index order, repeated once per derived statistic so a derived statistic may use another
 *             declared after it.
 *   "all"     pooled over every population listed in the record: per-neuron quantities are averaged over
 *             all their neurons (so larger populations weigh more), count_corr is over every pair of the
 *             union, std is the root of the pooled var.
 *
 * Numerics: sums of observables are shifted by each neuron's first sample K (sum (x-K), sum (x-K)^2 in
 * double), so var(V) of V ~ -60 mV with sd ~ 3 mV keeps ~14 digits (Chan, Golub & LeVeque 1983, "shifted
 * data").  Window counts are uint16 and saturate at 65535 (65 kHz in a 1 s window: the rate guard stops a
 * run long before).
 */
#include "runtime/stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Per-neuron double fields of each kind. */
enum { RATE_COUNT, RATE_NF };
enum { ISI_LAST, ISI_N, ISI_K, ISI_S1, ISI_S2, ISI_NF };
enum { WIN_TOTAL, WIN_NF };
enum { OBS_BIN, OBS_K, OBS_S1, OBS_S2, OBS_NF };
enum { COV_BINX, COV_BINY, COV_KX, COV_KY, COV_SX, COV_SY, COV_SXY, COV_NF };

struct acc {
    const struct ir_stat *st;
    int obs, obs2;          /* observable columns of this population (-1: missing, value NaN) */
    int64_t start;          /* first step counted: burn_steps, or count_corr's `from` */
    int64_t wsteps, nwin;   /* fano, count_corr */
    uint16_t *counts;       /* n x nwin */
    int64_t bsteps, nsamp;  /* mean, var, std, cov: steps per sample, complete samples */
    int nf;
    const struct acc *same; /* an earlier accumulator doing identical work (of the recpop, or of an earlier
                             * record's recpop of the same population: ir_stat_twin), or NULL */
    bool mean_only;         /* a mean nobody's variance shares: a plain sum of the samples suffices */
    bool fused;             /* the kernel adds this step's samples on the steps stats_kernel_acc allows */
    int64_t n;              /* neurons */
    int64_t ld;             /* field-major columns: n rounded up to a whole number of cache lines */
    double *f;              /* n x nf, neuron-major; mean/var/std/cov: field-major (f[field * ld + i]) so
                             * the per-step loops run over contiguous columns and vectorise */
};

struct recpop {
    const struct ir_record *rec;
    int pop;
    int64_t n;
    struct acc *accs;       /* rec->nstats */
};

struct stats {
    const struct ir_model *m;
    int64_t nsteps, burn;
    int64_t first;              /* the earliest start of any accumulator (<= burn) */
    struct recpop *rps;
    int nrps;
    int *first_rp, *next_rp;    /* per model pop: linked list of its recpops */
    double ***kcols;            /* per model pop: the columns of its ir_pop.accums, thread t's shifted to its
                                 * slots at [t * nacc_cols] (layout.h); NULL when not fused */
    const struct rt_layout *lay;   /* per model pop: where its neurons sit in the field-major columns (the
                                    * runtime's, whose bounds may move; lay_own: one thread's) */
    struct rt_layout *lay_own;
    int64_t *kend;              /* per model pop: fused steps are 1 <= q < kend */
    struct stat_row *rows;
    int nrows;
    double *vals;               /* scratch for stats_finish: max nstats */
    struct recpop **list;       /* scratch for stats_finish: max npops of a record */
};

void stats_free(struct stats *s)
{
    if (!s)
        return;
    for (int i = 0; i < s->nrps; i++) {
        struct recpop *rp = &s->rps[i];
        if (rp->accs)
            for (int k = 0; k < rp->rec->nstats; k++) {
                free(rp->accs[k].counts);
                free(rp->accs[k].f);
            }
        free(rp->accs);
    }
    free(s->rps);
    for (int p = 0; s->kcols && p < s->m->npops; p++)
        free(s->kcols[p]);
    free(s->kcols);
    free(s->kend);
    free(s->lay_own);
    free(s->first_rp);
    free(s->next_rp);
    free(s->rows);
    free(s->vals);
    free(s->list);
    free(s);
}

/* Zeroed, 64-byte aligned: with neuron counts that are multiples of 64 per thread (runtime/sim.c), every
 * thread then owns whole cache lines of every column.  A line shared by two threads' ranges costs a
 * transfer between cores at every step (on this VM the paper network at N = 4000 ran slower on 2 threads
 * than on 1 before the columns were aligned). */
static void *alloc_zeroed(size_t bytes)
{
    bytes = (bytes + 63) / 64 * 64;
    void *p = aligned_alloc(64, bytes ? bytes : 64);
    if (p)
        memset(p, 0, bytes ? bytes : 64);
    return p;
}

/* mean, var, std, cov: per-neuron columns field by field, written by every thread per step (laid out like
 * the state columns, layout.h); the others: neuron-major, written only for neurons that spiked. */
static bool field_major(enum ir_stat_kind k)
{
    return k == IR_STAT_MEAN || k == IR_STAT_VAR || k == IR_STAT_STD || k == IR_STAT_COV;
}

static bool acc_init(struct stats *s, struct acc *a, const struct ir_stat *st, const struct ir_record *r, int p,
                     int64_t n)
{
    const double dt = s->m->dt;
    a->start = s->burn;
    if (st->kind == IR_STAT_COUNT_CORR && st->has_from) {
        int64_t f = (int64_t)nearbyint(st->from / dt);
        a->start = f < s->nsteps ? f : s->nsteps;
        s->first = a->start < s->first ? a->start : s->first;
    }
    const int64_t span = s->nsteps - a->start > 0 ? s->nsteps - a->start : 0;
    a->st = st;
    a->obs = a->obs2 = -1;
    switch (st->kind) {
    case IR_STAT_RATE:
        a->nf = RATE_NF;
        break;
    case IR_STAT_CV_ISI:
        a->nf = ISI_NF;
        break;
    case IR_STAT_FANO:
    case IR_STAT_COUNT_CORR:
        a->nf = WIN_NF;
        a->wsteps = ir_steps_of(st->window, dt);
        a->nwin = span / a->wsteps;
        if (a->nwin > 0 && n > 0) {
            a->counts = alloc_zeroed((size_t)(n * a->nwin) * sizeof *a->counts);
            if (!a->counts)
                return false;
        }
        break;
    case IR_STAT_MEAN:
    case IR_STAT_VAR:
    case IR_STAT_STD:
    case IR_STAT_COV:
        a->nf = st->kind == IR_STAT_COV ? COV_NF : OBS_NF;
        a->bsteps = st->bin > 0 ? ir_steps_of(st->bin, dt) : 1;
        a->nsamp = span / a->bsteps;
        a->obs = ir_resolve_obs(s->m, r, p, st->obs);
        if (st->kind == IR_STAT_COV)
            a->obs2 = ir_resolve_obs(s->m, r, p, st->obs2);
        break;
    case IR_STAT_DERIVED:
    case IR_STAT_RATE_TRACE:   /* recordings: runtime/trace.c keeps them, no accumulator here */
    case IR_STAT_TRACE:
    case IR_STAT_RASTER:
    default:
        a->nf = 0;
        break;
    }
    a->n = n;
    if (a->nf && n > 0) {
        /* field-major columns are written per step in every thread's range: laid out like the state columns */
        a->ld = ((field_major(st->kind) ? rt_layout_len(&s->lay[p], n) : n) + 7) / 8 * 8;
        a->f = alloc_zeroed((size_t)(a->ld * a->nf) * sizeof *a->f);
        if (!a->f)
            return false;
        if (st->kind == IR_STAT_CV_ISI)
            for (int64_t i = 0; i < n; i++)
                a->f[i * ISI_NF + ISI_LAST] = -1;
    }
    return true;
}

/* The columns of accum ac in acc a, checked against what a would accumulate itself: NULL on any mismatch
 * (the statistic then stays in the runtime's own loop). */
static bool accum_cols(const struct acc *a, const struct ir_accum *ac, double **cols)
{
    const struct ir_stat *st = a->st;
    const int64_t ld = a->ld;
    double *f = a->f;
    bool cov = st->kind == IR_STAT_COV;
    if (!f || a->same || (ac->role == 0 ? a->obs : a->obs2) != ac->obs ||
        (ac->kind == IR_ACC_COMOMENTS && a->obs2 != ac->obs2) ||
        (ac->role == 0 && (ac->has_clip != st->has_clip || (st->has_clip && ac->clip != st->clip))))
        return false;
    switch (ac->kind) {
    case IR_ACC_SUM:
        if (a->mean_only && ac->role == 0)
            cols[0] = f + OBS_S1 * ld;
        else if (a->bsteps > 1 && !cov && ac->role == 0)
            cols[0] = f + OBS_BIN * ld;
        else if (a->bsteps > 1 && cov)
            cols[0] = f + (ac->role ? COV_BINY : COV_BINX) * ld;
        else
            return false;
        return true;
    case IR_ACC_MOMENTS:
        if (cov || a->mean_only || a->bsteps != 1)
            return false;
        cols[0] = f + OBS_K * ld;
        cols[1] = f + OBS_S1 * ld;
        cols[2] = f + OBS_S2 * ld;
        return true;
    case IR_ACC_COMOMENTS:
        if (!cov || a->bsteps != 1)
            return false;
        for (int c = 0; c < 5; c++)
            cols[c] = f + (COV_KX + c) * ld;   /* KX, KY, SX, SY, SXY: the order of ir.h step 8 */
        return true;
    }
    return false;
}

/* Binds every population's ir_pop.accums to its accumulators' columns, or leaves it unfused. */
static bool plan_kernel_sums(struct stats *s)
{
    const struct ir_model *m = s->m;
    s->kcols = calloc((size_t)m->npops + 1, sizeof *s->kcols);
    s->kend = calloc((size_t)m->npops + 1, sizeof *s->kend);
    if (!s->kcols || !s->kend)
        return false;
    for (int p = 0; p < m->npops; p++) {
        const struct ir_pop *pop = &m->pops[p];
        if (pop->naccums == 0 || pop->size == 0)
            continue;
        const struct rt_layout *l = &s->lay[p];
        double **cols = calloc((size_t)(pop->nacc_cols * l->nt), sizeof *cols);
        if (!cols)
            return false;
        int64_t end = INT64_MAX;
        bool ok = true;
        for (int k = 0; ok && k < pop->naccums; k++) {
            const struct ir_accum *ac = &pop->accums[k];
            struct acc *a = NULL;
            for (int idx = s->first_rp[p]; idx >= 0 && !a; idx = s->next_rp[idx])
                if (s->rps[idx].rec == &m->records[ac->rec] && ac->stat < s->rps[idx].rec->nstats)
                    a = &s->rps[idx].accs[ac->stat];
            ok = a && accum_cols(a, ac, cols + ac->col);
            if (ok)
                end = a->nsamp * a->bsteps < end ? a->nsamp * a->bsteps : end;
        }
        if (!ok) {
            free(cols);
            continue;
        }
        for (int t = 1; t < l->nt; t++)   /* thread t's: its neurons' slots */
            for (int c = 0; c < pop->nacc_cols; c++)
                cols[t * pop->nacc_cols + c] = cols[c] + rt_layout_off(l, t);
        for (int k = 0; k < pop->naccums; k++)
            for (int idx = s->first_rp[p]; idx >= 0; idx = s->next_rp[idx])
                if (s->rps[idx].rec == &m->records[pop->accums[k].rec])
                    s->rps[idx].accs[pop->accums[k].stat].fused = true;
        s->kcols[p] = cols;
        s->kend[p] = end;
    }
    return true;
}

double *const *stats_kernel_acc(const struct stats *s, int pop, int64_t step, int tid)
{
    if (!s || !s->kcols || !s->kcols[pop])
        return NULL;
    int64_t q = step - s->burn;
    return q >= 1 && q < s->kend[pop] ? s->kcols[pop] + tid * s->m->pops[pop].nacc_cols : NULL;
}

struct stats *stats_create(const struct ir_model *m, int64_t nsteps, int64_t burn_steps,
                           const struct rt_layout *lays)
{
    struct stats *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->m = m;
    if (!lays) {
        if (!(s->lay_own = calloc((size_t)m->npops + 1, sizeof *s->lay_own)))
            goto oom;
        for (int p = 0; p < m->npops; p++)
            s->lay_own[p] = rt_layout_make(m->pops[p].size, 0, 1, 1);
    }
    s->lay = lays ? lays : s->lay_own;
    s->nsteps = nsteps;
    s->burn = burn_steps < 0 ? 0 : burn_steps;
    s->first = s->burn;
    int nrps = 0, nrows = 0, maxstats = 1, maxpops = 1;
    for (int r = 0; r < m->nrecords; r++) {
        nrps += m->records[r].npops;
        maxstats = m->records[r].nstats > maxstats ? m->records[r].nstats : maxstats;
        maxpops = m->records[r].npops > maxpops ? m->records[r].npops : maxpops;
        nrows += (m->records[r].npops + (m->records[r].pooled ? 1 : 0)) * m->records[r].nstats;
    }
    s->rps = calloc((size_t)(nrps ? nrps : 1), sizeof *s->rps);
    s->rows = calloc((size_t)(nrows ? nrows : 1), sizeof *s->rows);
    s->first_rp = malloc(sizeof(int) * (size_t)(m->npops ? m->npops : 1));
    s->next_rp = malloc(sizeof(int) * (size_t)(nrps ? nrps : 1));
    s->vals = malloc(sizeof *s->vals * (size_t)maxstats);
    s->list = malloc(sizeof *s->list * (size_t)maxpops);
    if (!s->rps || !s->rows || !s->first_rp || !s->next_rp || !s->vals || !s->list)
        goto oom;
    for (int p = 0; p < m->npops; p++)
        s->first_rp[p] = -1;
    s->nrows = nrows;
    for (int r = 0; r < m->nrecords; r++) {
        const struct ir_record *rec = &m->records[r];
        for (int j = 0; j < rec->npops; j++) {
            int idx = s->nrps++;
            struct recpop *rp = &s->rps[idx];
            rp->rec = rec;
            rp->pop = rec->pops[j];
            rp->n = m->pops[rp->pop].size;
            rp->accs = calloc((size_t)(rec->nstats ? rec->nstats : 1), sizeof *rp->accs);
            if (!rp->accs)
                goto oom;
            for (int k = 0; k < rec->nstats; k++) {
                struct acc *a = &rp->accs[k];
                for (int k2 = 0; k2 < k && !a->same; k2++)
                    if (ir_stats_share_sums(&rec->stats[k], &rec->stats[k2]))
                        a->same = rp->accs[k2].same ? rp->accs[k2].same : &rp->accs[k2];
                /* A duplicate shares its twin's sums: in this record, or in an earlier one over the same
                 * population (ir_stat_twin: the paper's mean(g_syn) and the one inside tau_eff). */
                int k2, r2 = a->same ? -1 : ir_stat_twin(m, r, k, rp->pop, &k2);
                for (int i2 = 0; r2 >= 0 && i2 < idx && !a->same; i2++)
                    if (s->rps[i2].rec == &m->records[r2] && s->rps[i2].pop == rp->pop)
                        a->same = &s->rps[i2].accs[k2];
                if (!a->same && !acc_init(s, a, &rec->stats[k], rec, rp->pop, rp->n))
                    goto oom;
            }
            /* A mean needs neither the shift nor the squares unless a variance reads the same sums. */
            for (int k = 0; k < rec->nstats; k++)
                rp->accs[k].mean_only = !rp->accs[k].same && ir_stat_mean_only(rec, k);
        }
    }
    /* per population, the list of its recpops in record order (built back to front) */
    for (int idx = s->nrps - 1; idx >= 0; idx--) {
        int p = s->rps[idx].pop;
        s->next_rp[idx] = s->first_rp[p];
        s->first_rp[p] = idx;
    }
    if (!plan_kernel_sums(s))
        goto oom;
    return s;
oom:
    stats_free(s);
    return NULL;
}

void stats_move_slots(struct stats *s, int pop, const struct rt_layout *old, const struct rt_layout *new,
                      void *scratch)
{
    for (int idx = s ? s->first_rp[pop] : -1; idx >= 0; idx = s->next_rp[idx])
        for (int k = 0; k < s->rps[idx].rec->nstats; k++) {
            struct acc *a = &s->rps[idx].accs[k];
            if (a->same || !a->f || !field_major(a->st->kind))
                continue;   /* neuron-major accumulators are indexed by neuron */
            for (int fld = 0; fld < a->nf; fld++)
                rt_layout_move(a->f + fld * a->ld, sizeof *a->f, old, new, scratch);
        }
}

/* ---- per step ---------------------------------------------------------------------------------- */

/* `fused`: the kernel has already added this step's samples (stats_kernel_acc); only bins close here. */
/* off: the offset of [begin, end)'s slots in the observables and the field-major columns (layout.h). */
static void step_acc(struct acc *a, int64_t q, int64_t step, const uint32_t *spikes, int64_t nspikes,
                     double *const *obs, int64_t begin, int64_t end, int64_t off, bool fused)
{
    const struct ir_stat *st = a->st;
    double *f = a->f;
    switch (st->kind) {
    case IR_STAT_RATE:
        for (int64_t k = 0; k < nspikes; k++)
            f[spikes[k]] += 1;
        break;
    case IR_STAT_CV_ISI:
        for (int64_t k = 0; k < nspikes; k++) {
            double *g = f + (int64_t)spikes[k] * ISI_NF;
            if (g[ISI_LAST] >= 0) {
                double isi = (double)step - g[ISI_LAST];   /* in steps: exact integers in a double */
                if (g[ISI_N] == 0)
                    g[ISI_K] = isi;
                double d = isi - g[ISI_K];
                g[ISI_S1] += d;
                g[ISI_S2] += d * d;
                g[ISI_N] += 1;
            }
            g[ISI_LAST] = (double)step;
        }
        break;
    case IR_STAT_FANO:
    case IR_STAT_COUNT_CORR: {
        int64_t w = q / a->wsteps;
        bool in = w < a->nwin;
        for (int64_t k = 0; k < nspikes; k++) {
            int64_t i = spikes[k];
            f[i] += 1;
            if (in) {
                uint16_t *c = &a->counts[i * a->nwin + w];
                if (*c < UINT16_MAX)
                    (*c)++;
            }
        }
        break;
    }
    case IR_STAT_MEAN:
    case IR_STAT_VAR:
    case IR_STAT_STD: {
        if (a->obs < 0 || !obs || q >= a->nsamp * a->bsteps)
            break;
        const double *x = obs[a->obs] + off;
        const int64_t ld = a->ld;
        f += off;
        double *bin = f + OBS_BIN * ld, *kk = f + OBS_K * ld, *s1 = f + OBS_S1 * ld, *s2 = f + OBS_S2 * ld;
        const bool clip = st->has_clip;
        const double c = st->clip;
        if (a->mean_only) {
            /* The mean of complete bins' means is the mean of their samples: one sum per neuron (the
             * samples of one neuron stay within a few orders of magnitude, so no shift is needed). */
            if (!fused)
                for (int64_t i = begin; i < end; i++)
                    s1[i] += clip && x[i] > c ? c : x[i];
            break;
        }
        if (a->bsteps == 1) {
            /* No binning: each step is a sample; the first one is the shift. */
            if (fused)
                break;
            if (q == 0)
                for (int64_t i = begin; i < end; i++)
                    kk[i] = clip && x[i] > c ? c : x[i];
            for (int64_t i = begin; i < end; i++) {
                double d = (clip && x[i] > c ? c : x[i]) - kk[i];
                s1[i] += d;
                s2[i] += d * d;
            }
            break;
        }
        if (!fused)
            for (int64_t i = begin; i < end; i++)
                bin[i] += clip && x[i] > c ? c : x[i];
        if ((q + 1) % a->bsteps != 0)
            break;
        /* A bin closes: its mean is one sample. */
        double inv = 1.0 / (double)a->bsteps;
        if (q + 1 == a->bsteps)
            for (int64_t i = begin; i < end; i++)
                kk[i] = bin[i] * inv;
        for (int64_t i = begin; i < end; i++) {
            double d = bin[i] * inv - kk[i];
            bin[i] = 0;
            s1[i] += d;
            s2[i] += d * d;
        }
        break;
    }
    case IR_STAT_COV: {
        if (a->obs < 0 || a->obs2 < 0 || !obs || q >= a->nsamp * a->bsteps)
            break;
        const double *x = obs[a->obs] + off, *y = obs[a->obs2] + off;
        const int64_t ld = a->ld;
        f += off;
        double *bx = f + COV_BINX * ld, *by = f + COV_BINY * ld, *kx = f + COV_KX * ld, *ky = f + COV_KY * ld;
        double *sx = f + COV_SX * ld, *sy = f + COV_SY * ld, *sxy = f + COV_SXY * ld;
        const bool clip = st->has_clip;
        const double c = st->clip;
        if (a->bsteps == 1) {
            /* No binning: each step is a sample, the first one the shift. */
            if (fused)
                break;
            if (q == 0)
                for (int64_t i = begin; i < end; i++) {
                    kx[i] = clip && x[i] > c ? c : x[i];
                    ky[i] = y[i];
                }
            for (int64_t i = begin; i < end; i++) {
                double dx = (clip && x[i] > c ? c : x[i]) - kx[i], dy = y[i] - ky[i];
                sx[i] += dx;
                sy[i] += dy;
                sxy[i] += dx * dy;
            }
            break;
        }
        if (!fused)
            for (int64_t i = begin; i < end; i++) {
                bx[i] += clip && x[i] > c ? c : x[i];
                by[i] += y[i];
            }
        if ((q + 1) % a->bsteps != 0)
            break;
        double inv = a->bsteps == 1 ? 1.0 : 1.0 / (double)a->bsteps;
        if (q + 1 == a->bsteps)
            for (int64_t i = begin; i < end; i++) {
                kx[i] = bx[i] * inv;
                ky[i] = by[i] * inv;
            }
        for (int64_t i = begin; i < end; i++) {
            double dx = bx[i] * inv - kx[i], dy = by[i] * inv - ky[i];
            bx[i] = by[i] = 0;
            sx[i] += dx;
            sy[i] += dy;
            sxy[i] += dx * dy;
        }
        break;
    }
    default:
        break;
    }
}

void stats_pop_step(struct stats *s, int pop, int64_t step, const uint32_t *spikes, int64_t nspikes,
                    double *const *obs, bool kernel_summed, int64_t begin, int64_t end, int tid)
{
    if (!s || pop < 0 || pop >= s->m->npops || step < s->first || step >= s->nsteps)
        return;
    const bool fused = kernel_summed && stats_kernel_acc(s, pop, step, tid) != NULL;
    const int64_t off = rt_layout_off(&s->lay[pop], tid);
    for (int idx = s->first_rp[pop]; idx >= 0; idx = s->next_rp[idx]) {
        struct recpop *rp = &s->rps[idx];
        int64_t b = begin < 0 ? 0 : begin, e = end > rp->n ? rp->n : end;
        if (b >= e)
            continue;
        for (int k = 0; k < rp->rec->nstats; k++) {
            struct acc *a = &rp->accs[k];
            if (!a->same && step >= a->start)
                step_acc(a, step - a->start, step, spikes, nspikes, obs, b, e, off, fused && a->fused);
        }
    }
}

static const struct acc *acc_of(const struct recpop *rp, int k)
{
    return rp->accs[k].same ? rp->accs[k].same : &rp->accs[k];
}

/* ---- reduction --------------------------------------------------------------------------------- */

/* Value (internal units) of stat k pooled over the recpops rps[0..nrp), in neuron order. */
static double reduce(const struct stats *s, struct recpop *const *rps, int nrp, int k)
{
    const struct ir_stat *st = &rps[0]->rec->stats[k];
    const double T = (double)(s->nsteps - s->burn) * s->m->dt;
    double sum = 0;
    int64_t cnt = 0;
    switch (st->kind) {
    case IR_STAT_RATE:
        if (!(T > 0))
            return NAN;
        for (int r = 0; r < nrp; r++) {
            const struct acc *a = acc_of(rps[r], k);
            for (int64_t i = 0; i < rps[r]->n; i++)
                sum += a->f[i] / T;
            cnt += rps[r]->n;
        }
        break;
    case IR_STAT_CV_ISI:
        for (int r = 0; r < nrp; r++) {
            const struct acc *a = acc_of(rps[r], k);
            for (int64_t i = 0; i < rps[r]->n; i++) {
                const double *g = a->f + i * ISI_NF;
                double n = g[ISI_N];
                if (n < 2)
                    continue;   /* fewer than 3 spikes */
                double m1 = g[ISI_S1] / n;
                double var = g[ISI_S2] / n - m1 * m1;
                double mean = g[ISI_K] + m1;
                sum += sqrt(var > 0 ? var : 0) / mean;
                cnt++;
            }
        }
        break;
    case IR_STAT_FANO:
        for (int r = 0; r < nrp; r++) {
            const struct acc *a = acc_of(rps[r], k);
            if (a->nwin < 2)
                return NAN;
            for (int64_t i = 0; i < rps[r]->n; i++) {
                const uint16_t *c = a->counts + i * a->nwin;
                int64_t tot = 0;
                for (int64_t t = 0; t < a->nwin; t++)
                    tot += c[t];
                if (tot == 0)
                    continue;
                double mean = (double)tot / (double)a->nwin, ss = 0;
                for (int64_t t = 0; t < a->nwin; t++) {
                    double d = (double)c[t] - mean;
                    ss += d * d;
                }
                sum += ss / (double)a->nwin / mean;
                cnt++;
            }
        }
        break;
    case IR_STAT_COUNT_CORR: {
        int64_t nwin = acc_of(rps[0], k)->nwin;
        const double Tw = (double)(s->nsteps - acc_of(rps[0], k)->start) * s->m->dt;   /* `from` on */
        if (nwin - 2 < 2 || !(Tw > 0))
            return NAN;
        /* out of memory here yields NaN (an undefined value), never a wrong number */
        double *zsum = calloc((size_t)(nwin - 2), sizeof *zsum);
        if (!zsum)
            return NAN;
        double zz = 0;
        int64_t used = 0;
        for (int r = 0; r < nrp; r++) {
            const struct acc *a = acc_of(rps[r], k);
            int64_t n = rps[r]->n;
            uint8_t *keep = malloc((size_t)(n ? n : 1));
            if (!keep) {
                free(zsum);
                return NAN;
            }
            for (int64_t i = 0; i < n; i++)
                keep[i] = a->f[i] / Tw > st->min_rate;
            stat_corr_accumulate(a->counts, n, a->nwin, 1, a->nwin - 1, keep, zsum, &zz, &used);
            free(keep);
        }
        double v = stat_corr_finish(zsum, nwin - 2, zz, used);
        free(zsum);
        return v;
    }
    case IR_STAT_MEAN:
    case IR_STAT_VAR:
    case IR_STAT_STD:
        for (int r = 0; r < nrp; r++) {
            const struct acc *a = acc_of(rps[r], k);
            if (a->obs < 0 || a->nsamp < 1)
                return NAN;
            double n = (double)a->nsamp;
            const int64_t nn = rps[r]->n;
            const struct rt_layout *l = &s->lay[rps[r]->pop];
            for (int64_t i = 0; i < nn; i++) {
                const int64_t j = rt_layout_slot(l, i);
                double m1 = a->f[OBS_S1 * a->ld + j] / n;
                if (a->mean_only) {
                    sum += a->f[OBS_S1 * a->ld + j] / (n * (double)a->bsteps);
                } else if (st->kind == IR_STAT_MEAN) {
                    sum += a->f[OBS_K * a->ld + j] + m1;
                } else {
                    double var = a->f[OBS_S2 * a->ld + j] / n - m1 * m1;
                    sum += var > 0 ? var : 0;   /* rounding can make a constant series a hair negative */
                }
            }
            cnt += rps[r]->n;
        }
        if (st->kind == IR_STAT_STD)
            return cnt ? sqrt(sum / (double)cnt) : NAN;
        break;
    case IR_STAT_COV:
        for (int r = 0; r < nrp; r++) {
            const struct acc *a = acc_of(rps[r], k);
            if (a->obs < 0 || a->obs2 < 0 || a->nsamp < 1)
                return NAN;
            double n = (double)a->nsamp;
            const int64_t nn = rps[r]->n;
            const double *sx = a->f + COV_SX * a->ld, *sy = a->f + COV_SY * a->ld, *sxy = a->f + COV_SXY * a->ld;
            const struct rt_layout *l = &s->lay[rps[r]->pop];
            for (int64_t i = 0; i < nn; i++) {
                const int64_t j = rt_layout_slot(l, i);
                sum += sxy[j] / n - (sx[j] / n) * (sy[j] / n);
            }
            cnt += rps[r]->n;
        }
        break;
    default:
        return NAN;
    }
    return cnt ? sum / (double)cnt : NAN;
}

/* Fills vals[0..nstats) for one population (or the pool), derived statistics last. */
static void reduce_all(const struct stats *s, struct recpop *const *rps, int nrp, double *vals)
{
    const struct ir_record *rec = rps[0]->rec;
    int nderived = 0;
    for (int k = 0; k < rec->nstats; k++) {
        if (rec->stats[k].kind == IR_STAT_DERIVED) {
            vals[k] = NAN;
            nderived++;
        } else {
            vals[k] = reduce(s, rps, nrp, k);
        }
    }
    for (int pass = 0; pass < nderived; pass++)
        for (int k = 0; k < rec->nstats; k++)
            if (rec->stats[k].kind == IR_STAT_DERIVED)
                vals[k] = rec->stats[k].derived ? ir_eval(rec->stats[k].derived, vals, NULL, NULL) : NAN;
}

static void emit_rows(struct stats *s, int *row, const struct ir_record *rec, const char *pop, const double *vals)
{
    for (int k = 0; k < rec->nstats; k++) {
        const struct ir_stat *st = &rec->stats[k];
        /* Statistics named with a leading '_' are the front end's helpers (the mean(g_syn) inside a derived
         * tau_eff): computed, never reported. */
        if (st->name && st->name[0] == '_')
            continue;
        /* Recordings (rate_trace, trace, raster) are files written by runtime/trace.c, not rows. */
        if (ir_stat_is_recording(st->kind))
            continue;
        /* unit_scale 0 would be a front-end omission; treat it as "already in display units" */
        double scale = st->unit_scale != 0 ? st->unit_scale : 1.0;
        s->rows[*row] = (struct stat_row){pop, st->name, vals[k] * scale, st->unit ? st->unit : "1"};
        (*row)++;
    }
}

/* ---- one network split over parts --------------------------------------------------------------- */

/* Every per-neuron block of neurons [lo, hi) of every accumulator, in one fixed order: copied into buf
 * (pack), out of it (unpack), or only counted (buf NULL).  Returns the bytes. */
static size_t part_walk(struct stats *s, const int64_t *lo, const int64_t *hi, unsigned char *buf, bool pack)
{
    size_t at = 0;
#define PART_COPY(ptr, bytes)                                                                             \
    do {                                                                                                  \
        size_t b_ = (bytes);                                                                              \
        if (buf && b_ && pack)                                                                            \
            memcpy(buf + at, (ptr), b_);                                                                  \
        else if (buf && b_)                                                                               \
            memcpy((ptr), buf + at, b_);                                                                  \
        at += b_;                                                                                         \
    } while (0)
    for (int r = 0; r < s->nrps; r++) {
        const struct recpop *rp = &s->rps[r];
        const int64_t b = lo[rp->pop], e = hi[rp->pop], n = e - b;
        if (n <= 0)
            continue;
        for (int k = 0; k < rp->rec->nstats; k++) {
            struct acc *a = &rp->accs[k];
            if (a->counts)   /* neuron-major, nwin per neuron */
                PART_COPY(a->counts + b * a->nwin, (size_t)(n * a->nwin) * sizeof *a->counts);
            if (!a->f)
                continue;
            switch (a->st->kind) {
            case IR_STAT_MEAN:
            case IR_STAT_VAR:
            case IR_STAT_STD:
            case IR_STAT_COV:   /* field-major columns, in runs of neurons at one offset (layout.h): the bytes
                                 * are in neuron order whatever the sender's and receiver's threads */
                for (int fld = 0; fld < a->nf; fld++)
                    for (int64_t u = b, v; u < e; u = v) {
                        const struct rt_layout *l = &s->lay[rp->pop];
                        v = rt_layout_run_end(l, u, e);
                        PART_COPY(a->f + fld * a->ld + rt_layout_slot(l, u), (size_t)(v - u) * sizeof *a->f);
                    }
                break;
            default:            /* neuron-major, nf per neuron */
                PART_COPY(a->f + b * a->nf, (size_t)(n * a->nf) * sizeof *a->f);
                break;
            }
        }
    }
#undef PART_COPY
    return at;
}

size_t stats_part_bytes(const struct stats *s, const int64_t *lo, const int64_t *hi)
{
    return part_walk((struct stats *)s, lo, hi, NULL, true);
}

void stats_part_pack(const struct stats *s, const int64_t *lo, const int64_t *hi, unsigned char *buf)
{
    part_walk((struct stats *)s, lo, hi, buf, true);   /* pack only reads s */
}

void stats_part_unpack(struct stats *s, const int64_t *lo, const int64_t *hi, const unsigned char *buf)
{
    part_walk(s, lo, hi, (unsigned char *)buf, false);   /* unpack only reads buf */
}

int stats_finish(struct stats *s, const struct stat_row **rows)
{
    int row = 0, base = 0;
    const struct ir_model *m = s->m;
    for (int r = 0; r < m->nrecords; r++) {
        const struct ir_record *rec = &m->records[r];
        int np = rec->npops;
        if (np == 0 || rec->nstats == 0) {
            base += np;
            continue;
        }
        double *vals = s->vals;
        struct recpop **list = s->list;
        for (int j = 0; j < np; j++) {
            list[j] = &s->rps[base + j];
            reduce_all(s, &list[j], 1, vals);
            emit_rows(s, &row, rec, m->pops[rec->pops[j]].name, vals);
        }
        if (rec->pooled) {
            reduce_all(s, list, np, vals);
            emit_rows(s, &row, rec, "all", vals);
        }
        base += np;
    }
    *rows = s->rows;
    return row;
}
