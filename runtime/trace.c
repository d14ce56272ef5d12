/*
 * trace.c - recordings for plots (runtime/trace.h): rate time series, observable traces, spike rasters,
 * buffered in memory bounded by the per-file caps and written as CSV files at the end of a run.
 *
 * Owns: one `struct titem` per (recording, population) and its buffer.  Must not: print, exit, or know
 * how spikes are produced (it only sees the compacted spike lists and the observable columns).
 *
 * At the end of the run the buffers become tables (runtime/table.h: trace_tables), which are written as the
 * CSV files, kept in memory for a library client, or both.
 *
 * Memory: rate_trace and trace buffers have a size known at creation (complete bins or samples, capped
 * at max_rows), so they are allocated once; a raster grows by doubling up to max_spikes.  Nothing grows
 * with the duration beyond the caps, so a long run cannot fill the memory or the disk with recordings.
 */
#define _POSIX_C_SOURCE 200809L
#include "runtime/errf.h"
#include "runtime/trace.h"
#include "runtime/stats.h"
#include "compiler/support/util.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct titem {
    const struct ir_record *rec;
    const struct ir_stat *st;
    int pop;                /* model population, -1: pooled over rec->pops ("all") */
    const char *popname;
    int64_t n;              /* neurons of the population (pooled: of every listed one) */
    /* rate_trace */
    int64_t bsteps, nbins, nkept;   /* steps per bin, complete bins in the run, bins stored (<= cap) */
    int64_t *counts;
    /* trace */
    int obs;                /* observable column of this population, -1: missing (values NaN) */
    const char *obsname;
    int64_t esteps, k, rows, rkept; /* steps per sample, neurons recorded, rows in the run, rows stored */
    double *values;
    /* raster */
    int64_t *sstep;
    uint32_t *sidx;
    int64_t nspk, capspk, maxspk;
    int64_t trunc_step;     /* raster: step of the first spike dropped, -1: none */
};

struct traces {
    const struct ir_model *m;
    int64_t nsteps, burn;
    struct trace_limits lim;
    struct titem *items;
    int nitems;
    const struct rt_layout *lay;   /* per model population: where its neurons sit in the observables (layout.h;
                                    * the runtime's, or lay_own: one thread's) */
    struct rt_layout *lay_own;
};

bool trace_any(const struct ir_model *m)
{
    for (int r = 0; r < m->nrecords; r++)
        for (int k = 0; k < m->records[r].nstats; k++)
            if (ir_stat_is_recording(m->records[r].stats[k].kind))
                return true;
    return false;
}

static bool item_init(struct traces *t, struct titem *it)
{
    const struct ir_model *m = t->m;
    const struct ir_stat *st = it->st;
    const int64_t span = t->nsteps - t->burn > 0 ? t->nsteps - t->burn : 0;
    it->obs = -1;
    it->trunc_step = -1;
    switch (st->kind) {
    case IR_STAT_RATE_TRACE:
        it->bsteps = ir_steps_of(st->bin, m->dt);
        it->nbins = span / it->bsteps;
        it->nkept = it->nbins < t->lim.max_rows ? it->nbins : t->lim.max_rows;
        it->counts = calloc((size_t)(it->nkept ? it->nkept : 1), sizeof *it->counts);
        return it->counts != NULL;
    case IR_STAT_TRACE:
        it->esteps = ir_steps_of(st->every, m->dt);
        it->k = st->neurons < it->n ? st->neurons : it->n;
        it->k = it->k < 0 ? 0 : it->k;
        it->rows = (span + it->esteps - 1) / it->esteps * it->k;
        /* at the cap, whole samples only (all k neurons of a time or none), unless one sample alone is
         * longer than the cap */
        it->rkept = it->rows <= t->lim.max_rows ? it->rows
                    : it->k <= t->lim.max_rows  ? t->lim.max_rows / it->k * it->k
                                                : t->lim.max_rows;
        it->obs = ir_resolve_obs(m, it->rec, it->pop, st->obs);
        it->obsname = it->obs >= 0 ? m->pops[it->pop].obs[it->obs].name : "value";
        it->values = malloc(sizeof *it->values * (size_t)(it->rkept ? it->rkept : 1));
        return it->values != NULL;
    case IR_STAT_RASTER:
        it->k = st->neurons < it->n ? st->neurons : it->n;
        it->maxspk = t->lim.max_spikes;
        return true;
    default:
        return true;
    }
}

void trace_free(struct traces *t)
{
    if (!t)
        return;
    for (int i = 0; i < t->nitems; i++) {
        free(t->items[i].counts);
        free(t->items[i].values);
        free(t->items[i].sstep);
        free(t->items[i].sidx);
    }
    free(t->items);
    free(t->lay_own);
    free(t);
}

struct traces *trace_create(const struct ir_model *m, int64_t nsteps, int64_t burn_steps,
                            const struct trace_limits *lim, const struct rt_layout *lays)
{
    struct traces *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->m = m;
    if (!lays) {
        if (!(t->lay_own = calloc((size_t)m->npops + 1, sizeof *t->lay_own))) {
            free(t);
            return NULL;
        }
        for (int p = 0; p < m->npops; p++)
            t->lay_own[p] = rt_layout_make(m->pops[p].size, 0, 1, 1);
    }
    t->lay = lays ? lays : t->lay_own;
    t->nsteps = nsteps;
    t->burn = burn_steps < 0 ? 0 : burn_steps;
    t->lim.max_rows = lim && lim->max_rows > 0 ? lim->max_rows : TRACE_MAX_ROWS;
    t->lim.max_spikes = lim && lim->max_spikes > 0 ? lim->max_spikes : TRACE_MAX_SPIKES;
    int n = 0;
    for (int r = 0; r < m->nrecords; r++)
        for (int k = 0; k < m->records[r].nstats; k++) {
            const struct ir_record *rec = &m->records[r];
            if (ir_stat_is_recording(rec->stats[k].kind))
                n += rec->npops + (rec->stats[k].kind == IR_STAT_RATE_TRACE && rec->pooled && rec->npops > 0);
        }
    t->items = calloc((size_t)(n ? n : 1), sizeof *t->items);
    if (!t->items)
        goto oom;
    for (int r = 0; r < m->nrecords; r++) {
        const struct ir_record *rec = &m->records[r];
        for (int k = 0; k < rec->nstats; k++) {
            const struct ir_stat *st = &rec->stats[k];
            if (!ir_stat_is_recording(st->kind))
                continue;
            int64_t pooled_n = 0;
            for (int j = 0; j < rec->npops; j++) {
                struct titem *it = &t->items[t->nitems++];
                it->rec = rec;
                it->st = st;
                it->pop = rec->pops[j];
                it->popname = m->pops[it->pop].name;
                it->n = m->pops[it->pop].size;
                pooled_n += it->n;
                if (!item_init(t, it))
                    goto oom;
            }
            if (st->kind == IR_STAT_RATE_TRACE && rec->pooled && rec->npops > 0) {
                struct titem *it = &t->items[t->nitems++];
                it->rec = rec;
                it->st = st;
                it->pop = -1;
                it->popname = "all";
                it->n = pooled_n;
                if (!item_init(t, it))
                    goto oom;
            }
        }
    }
    return t;
oom:
    trace_free(t);
    return NULL;
}

int trace_count(const struct traces *t)
{
    return t ? t->nitems : 0;
}

static bool in_record(const struct ir_record *rec, int pop)
{
    for (int j = 0; j < rec->npops; j++)
        if (rec->pops[j] == pop)
            return true;
    return false;
}

static void raster_add(struct titem *it, int64_t step, const uint32_t *spikes, int64_t nspikes)
{
    for (int64_t s = 0; s < nspikes && spikes[s] < (uint64_t)it->k; s++) {
        if (it->nspk == it->maxspk) {
            if (it->trunc_step < 0)
                it->trunc_step = step;
            return;
        }
        if (it->nspk == it->capspk) {
            int64_t cap = it->capspk ? it->capspk * 2 : 1024;
            cap = cap < it->maxspk ? cap : it->maxspk;
            int64_t *ns = realloc(it->sstep, sizeof *ns * (size_t)cap);
            if (ns)
                it->sstep = ns;
            uint32_t *ni = ns ? realloc(it->sidx, sizeof *ni * (size_t)cap) : NULL;
            if (ni)
                it->sidx = ni;
            if (!ns || !ni) {
                /* Out of memory: stop here, like the cap (the file says where it stopped). */
                it->maxspk = it->nspk;
                if (it->trunc_step < 0)
                    it->trunc_step = step;
                return;
            }
            it->capspk = cap;
        }
        it->sstep[it->nspk] = step;
        it->sidx[it->nspk] = spikes[s];
        it->nspk++;
    }
}

/* trace_step's work: the observables (trace) when do_obs, the spikes (rate_trace, raster) when do_spikes. */
static inline void step_kinds(struct traces *t, int pop, int64_t step, const uint32_t *spikes, int64_t nspikes,
                              double *const *obs, bool do_obs, bool do_spikes)
{
    if (!t || step < t->burn || step >= t->nsteps)
        return;
    const int64_t q = step - t->burn;
    for (int i = 0; i < t->nitems; i++) {
        struct titem *it = &t->items[i];
        if (it->pop != pop && !(it->pop < 0 && in_record(it->rec, pop)))
            continue;
        if (it->st->kind == IR_STAT_TRACE ? !do_obs : !do_spikes)
            continue;
        switch (it->st->kind) {
        case IR_STAT_RATE_TRACE: {
            int64_t b = q / it->bsteps;
            if (b < it->nkept)
                it->counts[b] += nspikes;
            break;
        }
        case IR_STAT_TRACE: {
            if (q % it->esteps != 0)
                break;
            int64_t row = q / it->esteps * it->k;
            const double *x = it->obs >= 0 && obs ? obs[it->obs] : NULL;
            for (int64_t j = 0; j < it->k && row < it->rkept; j++, row++)
                it->values[row] = x ? x[rt_layout_slot(&t->lay[pop], j)] : NAN;
            break;
        }
        case IR_STAT_RASTER:
            raster_add(it, step, spikes, nspikes);
            break;
        default:
            break;
        }
    }
}

void trace_step(struct traces *t, int pop, int64_t step, const uint32_t *spikes, int64_t nspikes,
                double *const *obs)
{
    step_kinds(t, pop, step, spikes, nspikes, obs, true, true);
}

void trace_step_obs(struct traces *t, int pop, int64_t step, double *const *obs)
{
    step_kinds(t, pop, step, NULL, 0, obs, true, false);
}

void trace_step_spikes(struct traces *t, int pop, int64_t step, const uint32_t *spikes, int64_t nspikes)
{
    step_kinds(t, pop, step, spikes, nspikes, NULL, false, true);
}

/* ---- a split network's traces (part.h) ----------------------------------------------------------------- */

size_t trace_part_bytes(const struct traces *t)
{
    size_t n = 0;
    for (int i = 0; t && i < t->nitems; i++)
        if (t->items[i].st->kind == IR_STAT_TRACE)
            n += sizeof(double) * (size_t)t->items[i].rkept;
    return n;
}

void trace_part_pack(const struct traces *t, void *buf)
{
    char *p = buf;
    for (int i = 0; t && i < t->nitems; i++)
        if (t->items[i].st->kind == IR_STAT_TRACE) {
            memcpy(p, t->items[i].values, sizeof(double) * (size_t)t->items[i].rkept);
            p += sizeof(double) * (size_t)t->items[i].rkept;
        }
}

void trace_part_unpack(struct traces *t, const int64_t *lo, const int64_t *hi, const void *buf)
{
    const char *p = buf;
    for (int i = 0; t && i < t->nitems; i++) {
        struct titem *it = &t->items[i];
        if (it->st->kind != IR_STAT_TRACE)
            continue;
        /* row r of the values is neuron r % k of sample r / k (trace_step): take the sender's neurons */
        for (int64_t r = 0; r < it->rkept; r++) {
            int64_t j = r % it->k;
            if (j >= lo[it->pop] && j < hi[it->pop])
                memcpy(&it->values[r], p + sizeof(double) * (size_t)r, sizeof(double));
        }
        p += sizeof(double) * (size_t)it->rkept;
    }
}

/* ---- writing -------------------------------------------------------------------------------------- */

static double scale_of(const struct ir_stat *st)
{
    return st->unit_scale != 0 ? st->unit_scale : 1.0;
}

/* One recording as a table: the rows its CSV file has always had, values in display units. */
static bool item_table(const struct traces *t, const struct titem *it, struct rt_tables *out)
{
    static const char *const fmt_rate[] = {"%.12g", "%.17g"}, *const fmt_trace[] = {"%.12g", "%.0f", "%.17g"},
                             *const fmt_raster[] = {"%.12g", "%.0f"};
    const double dt = t->m->dt;
    const double sc = scale_of(it->st);
    const char *kind = ir_stat_names[it->st->kind];
    struct rt_table *tb;
    switch (it->st->kind) {
    case IR_STAT_RATE_TRACE: {
        const char *cols[] = {"time_ms", "rate_hz"}, *units[] = {"ms", "Hz"};
        if (!(tb = table_add(out, it->popname, it->st->name, kind, it->nkept, 2, cols, units, fmt_rate)))
            return false;
        /* rate in 1/ms = spikes / (N b dt); the display scale turns it into Hz */
        double denom = (double)it->n * (double)it->bsteps * dt;
        for (int64_t b = 0; b < it->nkept; b++) {
            tb->v[0][b] = (double)(t->burn + b * it->bsteps) * dt;
            tb->v[1][b] = it->n > 0 ? (double)it->counts[b] / denom * sc : NAN;
        }
        if (it->nkept < it->nbins)
            return table_note(tb, "truncated: at most %lld rows per file; bins from t = %.12g ms on are not recorded",
                              (long long)t->lim.max_rows, (double)(t->burn + it->nkept * it->bsteps) * dt);
        return true;
    }
    case IR_STAT_TRACE: {
        /* the value column says its unit, as the weight tables do (runtime/wrecord.c: w_nS): V_mV */
        const char *u = it->st->unit ? it->st->unit : "1";
        char c2[320];
        snprintf(c2, sizeof c2, "%s_%s", it->obsname, u);
        const char *cols[] = {"time_ms", "neuron", c2}, *units[] = {"ms", "1", u};
        if (!(tb = table_add(out, it->popname, it->st->name, kind, it->rkept, 3, cols, units, fmt_trace)))
            return false;
        for (int64_t r = 0; r < it->rkept; r++) {
            int64_t s = r / it->k, j = r % it->k;
            tb->v[0][r] = (double)(t->burn + s * it->esteps + 1) * dt;
            tb->v[1][r] = (double)j;
            tb->v[2][r] = it->values[r] * sc;
        }
        if (it->rkept < it->rows)
            return table_note(tb, "truncated: at most %lld rows per file; samples from t = %.12g ms on are not recorded",
                              (long long)t->lim.max_rows, (double)(t->burn + it->rkept / it->k * it->esteps + 1) * dt);
        return true;
    }
    case IR_STAT_RASTER: {
        const char *cols[] = {"time_ms", "neuron"}, *units[] = {"ms", "1"};
        if (!(tb = table_add(out, it->popname, it->st->name, kind, it->nspk, 2, cols, units, fmt_raster)))
            return false;
        for (int64_t s = 0; s < it->nspk; s++) {
            tb->v[0][s] = (double)(it->sstep[s] + 1) * dt;
            tb->v[1][s] = it->sidx[s];
        }
        if (it->trunc_step >= 0)
            return table_note(tb, "truncated: at most %lld spikes per file; spikes from t = %.12g ms on are not recorded",
                              (long long)it->maxspk, (double)(it->trunc_step + 1) * dt);
        return true;
    }
    default:
        return true;
    }
}

bool trace_tables(const struct traces *t, struct rt_tables *out)
{
    for (int i = 0; t && i < t->nitems; i++)
        if (!item_table(t, &t->items[i], out))
            return false;
    return true;
}

bool trace_file_write(const char *dir, int point, int trial, const char *who, const char *name,
                      void (*body)(FILE *f, const void *ctx), const void *ctx, char *err, size_t errlen)
{
    char pn[128], sn[128], file[300];
    util_safe_name(pn, sizeof pn, who);
    util_safe_name(sn, sizeof sn, name);
    snprintf(file, sizeof file, "p%d-t%d-%s-%s.csv", point, trial, pn, sn);
    char *tdir = util_path_join(dir, "traces"), *path = tdir ? util_path_join(tdir, file) : NULL;
    struct util_atomic w;
    bool ok = false;
    if (!path)
        rt_errf(err, errlen, "out of memory writing the traces");
    else if (!util_mkdirs(tdir, 0777) || !util_atomic_open(&w, path))
        rt_errf(err, errlen, "cannot write %s: %s", path, strerror(errno));
    else {
        /* complete on disk before it gets its real name: a crash leaves a .tmp, never a torn .csv */
        body(w.f, ctx);
        ok = util_atomic_commit(&w, true) || rt_errf(err, errlen, "cannot write %s: %s", path, strerror(errno));
    }
    free(tdir);
    free(path);
    return ok;
}

static void table_body(FILE *f, const void *ctx)
{
    table_write_csv(f, ctx);
}

bool trace_write_tables(const struct rt_tables *ts, const char *dir, int point, int trial, char *err, size_t errlen)
{
    bool ok = true;
    for (int i = 0; ok && i < ts->n; i++)
        ok = trace_file_write(dir, point, trial, ts->t[i].who, ts->t[i].name, table_body, &ts->t[i], err, errlen);
    return ok;
}

bool trace_write(const struct traces *t, const char *dir, int point, int trial, char *err, size_t errlen)
{
    struct rt_tables ts = {0};
    bool ok = trace_tables(t, &ts) || rt_errf(err, errlen, "out of memory writing the traces");
    ok = ok && trace_write_tables(&ts, dir, point, trial, err, errlen);
    table_free_all(&ts);
    return ok;
}
