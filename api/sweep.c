/*
 * sweep.c - a model's sweep as items (balnet.h): every combination of the non-trial axes is a point,
 * every (point, trial) an item; points whose params are measured in another point depend on it (same
 * trial); the others are lowered to IR once, here.
 *
 * Reproducibility: a point's key hashes its axis names and values as text, so an item's seed (item.c)
 * does not depend on which other points the sweep has.
 */
#include "api/internal.h"
#include "sema/sema.h"
#include "ir/ir.h"
#include "runtime/errf.h"
#include "runtime/mem.h"
#include "runtime/rt.h"

#include <stdlib.h>
#include <string.h>

/* SplitMix64 (Steele et al., OOPSLA 2014): a bijective mixer, used to derive keys and item seeds. */
uint64_t api_mix64(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

static uint64_t hash_str(uint64_t h, const char *s)
{
    for (; *s; s++)
        h = api_mix64(h ^ (unsigned char)*s);
    return h;
}

static bool is_trial(const bn_model *m, int a) { return sema_axis(m->sema, a)->kind == SEMA_AXIS_TRIAL; }

/* The axes: trials, and the non-trial axes' names (the columns of points.csv). */
static void count_axes(bn_model *m)
{
    m->nax = sema_naxes(m->sema);
    m->ntrials = 1;
    m->npoints = 1;
    m->axis_names = arena_alloc(&m->arena, sizeof(char *) * (size_t)(m->nax + 1));
    for (int a = 0; a < m->nax; a++) {
        const struct sema_axis *ax = sema_axis(m->sema, a);
        if (ax->kind == SEMA_AXIS_TRIAL) {
            m->ntrials = ax->nvalues;
        } else {
            m->npoints *= ax->nvalues;
            m->axis_names[m->ncols++] = ax->name;
        }
    }
    m->nitems = m->npoints * m->ntrials;
}

/* Point pi's value indices (mixed radix, last axis fastest, so points run in the order the sweep lists
 * them), its values as text and its key. */
static void make_point(bn_model *m, int pi)
{
    struct api_point *p = &m->points[pi];
    p->idx = arena_alloc(&m->arena, sizeof(int) * (size_t)(m->nax + 1));
    p->values = arena_alloc(&m->arena, sizeof(char *) * (size_t)(m->nax + 1));
    int rest = pi, col = m->ncols;
    for (int a = m->nax - 1; a >= 0; a--) {
        const struct sema_axis *ax = sema_axis(m->sema, a);
        if (ax->kind == SEMA_AXIS_TRIAL)
            continue;
        p->idx[a] = rest % ax->nvalues;
        rest /= ax->nvalues;
        const struct sema_value *v = &ax->values[p->idx[a]];
        p->values[--col] = v->alt ? v->alt : arena_printf(&m->arena, "%.15g", v->num * ax->unit_scale);
    }
    p->key = 0x62616c6e6574ull;
    for (int c = 0; c < m->ncols; c++)
        p->key = hash_str(hash_str(p->key, m->axis_names[c]), p->values[c]);
}

/* The point with these value indices (trial axis ignored); -1 when the sweep does not run it. */
int api_find_point(const bn_model *m, const int *idx)
{
    for (int q = 0; q < m->npoints; q++) {
        bool same = true;
        for (int a = 0; a < m->nax && same; a++)
            same = is_trial(m, a) || m->points[q].idx[a] == idx[a];
        if (same)
            return q;
    }
    return -1;
}

/* "syn = conductance, c = 0": the axes where `want` differs from point p. */
static void describe_missing(bn_model *m, const struct api_point *p, const int *want, char *what, size_t len)
{
    what[0] = 0;
    for (int a = 0, n = 0; a < m->nax; a++) {
        const struct sema_axis *ax = sema_axis(m->sema, a);
        if (ax->kind == SEMA_AXIS_TRIAL || want[a] == p->idx[a])
            continue;
        const struct sema_value *v = &ax->values[want[a]];
        n += snprintf(what + n, len - (size_t)n, "%s%s = %s", n ? ", " : "", ax->name,
                      v->alt ? v->alt : arena_printf(&m->arena, "%g", v->num * ax->unit_scale));
    }
}

/* Point pi's dependencies (params measured in another arm); lowers it when it has none. */
static bool link_point(bn_model *m, int pi, char *err, size_t errlen)
{
    struct api_point *p = &m->points[pi];
    int *deps = NULL;
    int nd = sema_point_deps(m->sema, p->idx, &deps, &m->arena);
    p->deps = arena_alloc(&m->arena, sizeof(int) * (size_t)(nd + 1));
    for (int d = 0; d < nd; d++) {
        const int *want = deps + (size_t)d * (size_t)m->nax;
        int found = api_find_point(m, want);
        if (found < 0) {
            char what[512];
            describe_missing(m, p, want, what, sizeof what);
            return rt_errf(err, errlen, "point %d (%s) uses statistics measured at %s, which this sweep does not "
                                        "run; add it to the sweep", pi, p->values[0], what);
        }
        p->deps[p->ndeps++] = found;
    }
    if (p->ndeps)
        return true;
    p->ir = sema_lower(m->sema, p->idx, &m->diags);
    if (!p->ir)
        return false;
    if (m->opt.has_seed)
        p->ir->seed = m->opt.seed;
    return true;
}

bool bn_expand(bn_model *m, char *err, size_t errlen)
{
    if (err && errlen)
        err[0] = 0;
    if (!bn_ok(m) || m->expanded)
        return rt_errf(err, errlen, m->expanded ? "the sweep is already expanded" : "the model has errors");
    jmp_buf oom;
    if (setjmp(oom)) {
        m->arena.on_oom = NULL;
        m->failed = true;
        return rt_errf(err, errlen, "out of memory");
    }
    m->arena.on_oom = &oom;
    count_axes(m);
    m->points = calloc((size_t)m->npoints, sizeof *m->points);
    m->items = calloc((size_t)m->nitems, sizeof *m->items);
    bool ok = m->points && m->items;
    if (!ok)
        rt_errf(err, errlen, "out of memory");
    for (int pi = 0; ok && pi < m->npoints; pi++)
        make_point(m, pi);
    for (int pi = 0; ok && pi < m->npoints; pi++)
        ok = link_point(m, pi, err, errlen);
    m->arena.on_oom = NULL;
    m->expanded = true;
    m->failed |= !ok;
    api_export_diags(m);
    return ok;
}

void api_sweep_free(bn_model *m)
{
    for (int i = 0; m->items && i < m->nitems; i++) {
        for (int r = 0; r < m->items[i].nrows; r++) {
            free((char *)m->items[i].rows[r].population);
            free((char *)m->items[i].rows[r].statistic);
            free((char *)m->items[i].rows[r].unit);
        }
        free(m->items[i].rows);
    }
    free(m->items);
    free(m->points);
}

int bn_npoints(const bn_model *m) { return m->npoints; }
int bn_ntrials(const bn_model *m) { return m->ntrials; }
int bn_nitems(const bn_model *m) { return m->nitems; }
int bn_item_point(const bn_model *m, int item) { return item / m->ntrials; }

size_t bn_point_mem_bytes(const bn_model *m, int point, int parts)
{
    return point >= 0 && point < m->npoints && m->points[point].ir ? rt_estimate_bytes(m->points[point].ir, parts) : 0;
}

size_t bn_mem_available(void) { return rt_mem_available(); }
int bn_item_trial(const bn_model *m, int item) { return item % m->ntrials + 1; }
int bn_naxes(const bn_model *m) { return m->ncols; }
const char *bn_axis_name(const bn_model *m, int axis) { return m->axis_names[axis]; }
const char *bn_point_value(const bn_model *m, int point, int axis) { return m->points[point].values[axis]; }
int bn_point_ndeps(const bn_model *m, int point) { return m->points[point].ndeps; }
int bn_point_dep(const bn_model *m, int point, int i) { return m->points[point].deps[i]; }

uint64_t bn_seed(const bn_model *m)
{
    uint64_t seed = 0;
    for (int pi = 0; pi < m->npoints && !seed; pi++)
        if (m->points[pi].ir)
            seed = m->points[pi].ir->seed;
    return seed;
}
