/*
 * net.c - building one projection's CSR connectivity from its rule (net.h).
 *
 * Rules and their algorithms (none is O(Npre * Npost) unless the result is):
 *   bernoulli(p)   per source row and block of targets, geometric skipping over the block's targets
 *                  (skip ~ Geom(p)): O(synapses + rows x blocks).
 *   in_degree(K)   per target, K distinct sources by Floyd's algorithm (Bentley & Floyd, CACM 30(9), 1987)
 *                  with a bitmap for membership, then a counting-sort transpose into rows by source.
 *   out_degree(K)  per source, K distinct targets by Floyd's algorithm, row sorted.
 *   one_to_one     i -> i;  all_to_all: every pair.
 * Autapses (i -> i when source and target are the same population) are excluded unless allowed: the
 * bernoulli and all-to-all rows skip i, the degree rules draw from the N - 1 other neurons.
 *
 * Owns: rt_conn construction and the per-projection memory figures.  Must not: print or exit.
 */
#include "runtime/net.h"
#include "runtime/pool.h"

#include "runtime/rng.h"
#include "compiler/support/util.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

int64_t rt_ref_size(const struct ir_model *m, struct ir_ref r)
{
    return r.is_input ? m->inputs[r.index].size : m->pops[r.index].size;
}

static const char *ref_name(const struct ir_model *m, struct ir_ref r)
{
    return r.is_input ? m->inputs[r.index].name : m->pops[r.index].name;
}

int rt_delay_steps(double delay_ms, double dt)
{
    double s = nearbyint(delay_ms / dt);
    if (!(s >= 1.0))       /* also catches NaN; the caller checks finiteness for messages */
        return 1;
    return s > 2147483647.0 ? 2147483647 : (int)s;
}

static bool excludes_autapses(const struct ir_proj *p)
{
    return !p->autapses && !p->pre.is_input && p->pre.index == p->post.index;
}

static void fail(char *err, size_t errlen, const struct ir_model *m, const struct ir_proj *p, const char *fmt, ...)
{
    int n = snprintf(err, errlen, "projection %s -> %s: ", ref_name(m, p->pre), ref_name(m, p->post));
    if (n < 0 || (size_t)n >= errlen)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
    va_end(ap);
}

double rt_conn_expected(const struct ir_model *m, int j)
{
    const struct ir_proj *p = &m->projs[j];
    double npre = (double)rt_ref_size(m, p->pre), npost = (double)rt_ref_size(m, p->post);
    double ex = excludes_autapses(p) ? 1.0 : 0.0;
    switch (p->rule) {
    case IR_RULE_BERNOULLI: {
        double q = p->p < 0 ? 0 : p->p > 1 ? 1 : p->p;
        return npre * (npost - ex) * q;
    }
    case IR_RULE_IN_DEGREE: return npost * (double)p->k;
    case IR_RULE_OUT_DEGREE: return npre * (double)p->k;
    case IR_RULE_ONE_TO_ONE: return ex ? 0.0 : npre;
    case IR_RULE_ALL_TO_ALL: return npre * (npost - ex);
    }
    return 0.0;
}

size_t rt_conn_bytes(const struct ir_model *m, int j, int parts)
{
    const struct ir_proj *p = &m->projs[j];
    parts = parts > 1 ? parts : 1;
    /* a part's targets are about 1/parts of the population (its chunks are rounded up to 64 neurons);
     * their index width follows the part's range (rt_conn_build_range) */
    int64_t npost = (rt_ref_size(m, p->post) + parts - 1) / parts + 64;
    if (rt_conn_bits_pay(m, j, parts > 1 ? npost : rt_ref_size(m, p->post)))   /* dense rows: bits and offsets */
        return (size_t)rt_ref_size(m, p->pre) * (size_t)(((parts > 1 ? npost : rt_ref_size(m, p->post)) + 63) / 64 * 8 + 8) + 8;
    double per = (parts > 1 ? npost : rt_ref_size(m, p->post)) < 65536 && !p->plastic ? 2 : 4;
    if (!p->weight_const || p->plastic)
        per += sizeof(float);
    for (int s = 1; p->plastic && s < p->plastic->nstates; s++)   /* index entry + other per-synapse states */
        per += p->plastic->states[s].where == IR_PL_SYN ? 4 : 0;
    if (p->plastic)
        per += p->plastic->syn_last ? 4 + 8 : 4;   /* index entry; per-synapse delays: last pre event (double) */
    if (!p->delay_const)
        per += sizeof(uint16_t);
    /* the synapses onto the part's targets; every part holds every source's row offsets */
    return (size_t)(rt_conn_expected(m, j) / parts * per) + sizeof(int64_t) * (size_t)(rt_ref_size(m, p->pre) + 1);
}

int rt_conn_dmax_estimate(const struct ir_model *m, int j)
{
    const struct ir_proj *p = &m->projs[j];
    double d;
    if (!p->delay)
        return 1;
    if (ir_eval_const(p->delay, &d))
        return rt_delay_steps(d, m->dt);
    struct rt_rng r;
    rt_rng_init(&r, m->seed, RT_STREAM(RT_STREAM_ESTIMATE, 0), (uint64_t)j);
    int dmax = 1;
    for (int i = 0; i < 1000; i++) {
        double v = ir_eval(p->delay, NULL, rt_rng_draw, &r);
        if (isfinite(v)) {
            int s = rt_delay_steps(v, m->dt);
            dmax = s > dmax ? s : dmax;
        }
    }
    return dmax;
}

/* ---- growable target list ------------------------------------------------------------------------ */

/* Targets are written straight in their final width (2 or 4 bytes): no 4-byte temporary, no copy, and
 * half the first-touch page faults for populations below 65536 neurons. */
struct tvec {
    void *v;
    int64_t n, cap;
    bool wide;
};

/* The target lists are written once, front to back, right after their allocation: with 4 KiB pages every
 * 4 KiB is a page fault (paper network N = 15000: 29 000 faults, ~7 % of a 1 s run's CPU on this VM, whose
 * faults are slow).  Transparent huge pages cut that 512-fold; advice only, ignored where unsupported. */
static void advise_huge(void *v, size_t bytes)
{
#ifdef MADV_HUGEPAGE
    enum { HUGE = 2 << 20 };
    uintptr_t b = ((uintptr_t)v + HUGE - 1) & ~(uintptr_t)(HUGE - 1), e = ((uintptr_t)v + bytes) & ~(uintptr_t)(HUGE - 1);
    if (e > b)
        madvise((void *)b, e - b, MADV_HUGEPAGE);
#else
    (void)v;
    (void)bytes;
#endif
}

static bool tvec_reserve(struct tvec *a, int64_t need)
{
    if (need <= a->cap)
        return true;
    int64_t cap = a->cap ? a->cap : 1024;
    while (cap < need)
        cap += cap / 2 + 1024;
    size_t bytes = (size_t)cap * (a->wide ? 4 : 2);
    void *v = realloc(a->v, bytes);
    if (!v)
        return false;
    a->v = v;
    a->cap = cap;
    advise_huge(v, bytes);
    return true;
}

static inline void tvec_set(struct tvec *a, int64_t k, uint32_t x)
{
    if (a->wide)
        ((uint32_t *)a->v)[k] = x;
    else
        ((uint16_t *)a->v)[k] = (uint16_t)x;
}

/* ---- the rules ------------------------------------------------------------------------------------ */

/* Targets per Bernoulli block: a power of two >= 4096 holding >= 64 expected synapses, so the Philox
 * start of a block (~15 ns) stays small against its draws.  It depends on the projection only (p and the
 * target population's size), never on how the targets are split, so every split draws the same network. */
int64_t rt_conn_block(const struct ir_model *m, int j)
{
    const struct ir_proj *p = &m->projs[j];
    int64_t n = rt_ref_size(m, p->post), b = 4096;
    while (b < n && (double)b * p->p < 64.0)
        b *= 2;
    return b;
}

/* The geometric skip floor(log U / lq) without the log for almost every U.  U in [2^-GEOM_EXP, 1) falls
 * in one of (GEOM_EXP << GEOM_BITS) buckets given by its exponent and top GEOM_BITS mantissa bits; a
 * bucket [lo, hi) stores the skip when it is the same for every U in it, else -1 (the log is taken).
 * Exactness: the true log U / lq decreases in U, and the computed one differs from it by a few ulps
 * (glibc's log < 1 ulp, one rounded division), far less than the margin of 1e-12 relative kept from the
 * bucket's end values, so a bucket stores a skip only where the computed floor cannot change: the network
 * drawn is bit for bit the one of the plain formula.  At p = 0.2, 98.6 % of the draws hit a stored skip
 * (a bucket spans 2^-8 of U relative, a skip 0.22 in log U); the miss rate is ~2^-8 / |lq| and, for
 * U below 2^-16, 1.5e-5. */
enum { GEOM_EXP = 16, GEOM_BITS = 8, GEOM_N = GEOM_EXP << GEOM_BITS };
#define GEOM_BASE ((uint64_t)(1023 - GEOM_EXP) << GEOM_BITS)   /* bucket 0: exponent of 2^-GEOM_EXP */
struct geom_tab {
    int32_t g[GEOM_N];
};

static double geom_bucket_lo(uint64_t b)   /* smallest U of bucket b, b <= GEOM_N */
{
    uint64_t bits = (b + GEOM_BASE) << (52 - GEOM_BITS);
    double u;
    memcpy(&u, &bits, sizeof u);
    return u;
}

static void geom_tab_init(struct geom_tab *t, double lq)
{
    for (uint64_t b = 0; b < GEOM_N; b++) {
        double a = log(geom_bucket_lo(b)) / lq, z = log(geom_bucket_lo(b + 1)) / lq;   /* a > z */
        double m = 1e-12 * (1.0 + fabs(a));
        double ga = floor(a + m), gz = floor(z - m);
        t->g[b] = ga == gz && ga >= 0 && ga < 0x1p30 ? (int32_t)ga : -1;
    }
}

/* floor(log u / lq) as bernoulli_rows always computed it: from the table when u's bucket has one value. */
static inline int64_t geom_skip(const struct geom_tab *t, double u, double lq)
{
    uint64_t bits;
    memcpy(&bits, &u, sizeof bits);
    uint64_t b = (bits >> (52 - GEOM_BITS)) - GEOM_BASE;   /* wraps above GEOM_N for U < 2^-GEOM_EXP */
    if (b < GEOM_N && t->g[b] >= 0)
        return t->g[b];
    double g = floor(log(u) / lq);
    return g < 0x1p62 ? (int64_t)g : INT64_MAX / 2;
}

/* Draws rows [r0, r1) of a Bernoulli projection into tg->v from position `at`, at most `room` targets;
 * sets c->row[i] for those rows and returns the number written, or -1 when they did not fit.  With dense
 * rows (c->bits) the targets set their bits instead, and row[i] counts from `at` all the same.
 * Partition independence: the synapses of source i onto target block b (targets [b B, (b + 1) B)) draw
 * from their own key (RT_STREAM_CONN of j, entity b << 32 | i), so a range of targets [post0, post0 +
 * npost) is drawn by the blocks that meet it alone, with the same synapses as a whole build (issue 15:
 * a rank builds only the synapses onto its own neurons).  Only blocks cut by the range's ends are drawn
 * in part for nothing. */
static int64_t bernoulli_rows(struct rt_conn *c, const struct ir_proj *p, int j, uint64_t seed, struct tvec *tg,
                              int64_t r0, int64_t r1, int64_t at, int64_t room)
{
    const bool ex = excludes_autapses(p);
    const double q = p->p, lq = q < 1.0 ? log1p(-q) : 0.0;
    const int64_t B = c->block, lo = c->post0, hi = c->post0 + c->npost;
    struct geom_tab *tab = q > 0.0 && q < 1.0 ? malloc(sizeof *tab) : NULL;
    if (tab)
        geom_tab_init(tab, lq);
    int64_t n = at;
    for (int64_t i = r0; i < r1; i++) {
        c->row[i] = n;
        if (!(q > 0.0))
            continue;
        for (int64_t b = lo / B; b * B < hi; b++) {
            struct rt_rng r;
            rt_rng_init(&r, seed, RT_STREAM(RT_STREAM_CONN, j), (uint64_t)b << 32 | (uint64_t)i);
            struct rt_fast f;
            rt_fast_init(&f, &r);
            const int64_t end = (b + 1) * B < hi ? (b + 1) * B : hi;
            for (int64_t t = b * B - 1;;) {
                /* Geometric skip by inversion: floor(log U / log(1 - p)) failures before the next synapse. */
                if (tab) {
                    t += 1 + geom_skip(tab, rt_fast_uniform(&f), lq);
                } else if (q < 1.0) {
                    double g = floor(log(rt_fast_uniform(&f)) / lq);
                    t += 1 + (g < 0x1p62 ? (int64_t)g : INT64_MAX / 2);
                } else {
                    t += 1;
                }
                if (t >= end)
                    break;
                if ((ex && t == i) || t < lo)
                    continue;
                if (n - at == room) {
                    free(tab);
                    return -1;
                }
                if (c->bits) {   /* dense rows (rt_conn_bits_pay): the same draws, stored as a bit */
                    c->bits[i * c->words + (t - lo) / 64] |= 1ull << ((t - lo) % 64);
                    n++;
                } else {
                    tvec_set(tg, n++, (uint32_t)(t - lo));
                }
            }
        }
    }
    free(tab);
    return n - at;
}

/* Mean plus 6 binomial sd of the synapses of `rows` rows (so the reserve practically always suffices). */
static int64_t bernoulli_reserve(const struct rt_conn *c, const struct ir_proj *p, int64_t rows)
{
    double q = p->p > 1 ? 1 : p->p < 0 ? 0 : p->p;
    double expect = (double)rows * (double)c->npost * q;
    return (int64_t)(expect + 6.0 * sqrt(expect) + 1024.0);
}

/* The parallel build: thread k draws its contiguous range of rows into its own slot of one buffer (each
 * slot its range's reserve), then the slots are moved together in order. */
struct bern_job {
    struct rt_conn *c;
    const struct ir_proj *p;
    int j;
    uint64_t seed;
    struct tvec *tg;
    int64_t *first, *slot, *room, *got;   /* per thread: first row (nt + 1), slot start, size, drawn */
};

static void bern_thread(void *arg, int tid, int nt)
{
    struct bern_job *b = arg;
    b->got[tid] = bernoulli_rows(b->c, b->p, b->j, b->seed, b->tg, b->first[tid], b->first[tid + 1], b->slot[tid],
                                 b->room[tid]);
}

static bool build_bernoulli(struct rt_conn *c, const struct ir_proj *p, int j, uint64_t seed, struct tvec *tg,
                            struct rt_pool *pool)
{
    int nt = pool ? rt_pool_threads(pool) : 1;
    if ((double)c->npre * (double)c->npost * p->p < 1e6 || c->npre < nt)
        nt = 1;   /* small: one thread (nothing to gain) */
    if (nt > 1) {
        int64_t buf[5 * 65];
        struct bern_job b = {c, p, j, seed, tg, buf, buf + 65, buf + 130, buf + 195};
        if (nt > 64)
            nt = 64;
        int64_t total = 0;
        for (int k = 0; k <= nt; k++)
            b.first[k] = c->npre * k / nt;
        for (int k = 0; k < nt; k++) {
            b.slot[k] = c->bits ? 0 : total;   /* dense rows: every range counts from 0, nothing to fit */
            b.room[k] = c->bits ? INT64_MAX : bernoulli_reserve(c, p, b.first[k + 1] - b.first[k]);
            total += c->bits ? 0 : b.room[k];
        }
        if (!c->bits && !tvec_reserve(tg, total))
            return false;
        rt_pool_run(pool, bern_thread, &b);
        if (c->bits) {   /* each range's row offsets follow the ranges before it */
            int64_t n = 0;
            for (int k = 0; k < nt; k++) {
                for (int64_t i = b.first[k]; i < b.first[k + 1]; i++)
                    c->row[i] += n;
                n += b.got[k];
            }
            c->row[c->npre] = n;
            return true;
        }
        bool fit = true;
        for (int k = 0; k < nt; k++)
            fit = fit && b.got[k] >= 0;
        if (fit) {
            /* Slots move left only (slot[k] >= what precedes it), so memmove in order keeps everything. */
            int64_t n = 0, w = tg->wide ? 4 : 2;
            for (int k = 0; k < nt; k++) {
                int64_t shift = b.slot[k] - n;
                if (shift)
                    memmove((char *)tg->v + n * w, (char *)tg->v + b.slot[k] * w, (size_t)(b.got[k] * w));
                for (int64_t i = b.first[k]; i < b.first[k + 1]; i++)
                    c->row[i] -= shift;
                n += b.got[k];
            }
            tg->n = n;
            c->row[c->npre] = n;
            return true;
        }
        /* A range beyond its 6 sd (practically never): draw everything again on one thread. */
    }
    if (c->bits) {
        c->row[c->npre] = bernoulli_rows(c, p, j, seed, tg, 0, c->npre, 0, INT64_MAX);
        return true;
    }
    int64_t room = bernoulli_reserve(c, p, c->npre);
    for (;;) {
        if (!tvec_reserve(tg, room))
            return false;
        int64_t got = bernoulli_rows(c, p, j, seed, tg, 0, c->npre, 0, tg->cap);
        if (got >= 0) {
            tg->n = got;
            c->row[c->npre] = got;
            return true;
        }
        room = tg->cap + tg->cap / 2 + 1024;
    }
}

/* Floyd's sampling of k distinct values of [0, n) into out, with `bits` (n bits, all clear) for
 * membership; the bits are cleared again before returning. */
static void floyd(struct rt_rng *r, uint32_t n, uint32_t k, uint64_t *bits, uint32_t *out)
{
    for (uint32_t jj = n - k, i = 0; jj < n; jj++, i++) {
        uint32_t v = rt_rng_below(r, jj + 1);
        if (bits[v >> 6] >> (v & 63) & 1)
            v = jj;
        bits[v >> 6] |= 1ull << (v & 63);
        out[i] = v;
    }
    for (uint32_t i = 0; i < k; i++)
        bits[out[i] >> 6] = 0;
}

static bool build_in_degree(struct rt_conn *c, const struct ir_proj *p, int j, uint64_t seed, struct tvec *tg)
{
    bool ex = excludes_autapses(p);
    uint32_t k = (uint32_t)p->k, n = (uint32_t)(c->npre - (ex ? 1 : 0));
    int64_t total = c->npost * (int64_t)k;   /* targets [post0, post0 + npost), each drawn from its own key */
    uint32_t *src = malloc((size_t)(total ? total : 1) * sizeof *src);
    uint64_t *bits = calloc((size_t)(c->npre / 64 + 1), sizeof *bits);
    int64_t *pos = calloc((size_t)c->npre + 1, sizeof *pos);
    bool ok = src && bits && pos && tvec_reserve(tg, total);
    if (ok) {
        for (int64_t t = 0; t < c->npost; t++) {
            struct rt_rng r;
            rt_rng_init(&r, seed, RT_STREAM(RT_STREAM_CONN, j), (uint64_t)(c->post0 + t));
            uint32_t *s = src + t * (int64_t)k;
            floyd(&r, n, k, bits, s);
            for (uint32_t i = 0; ex && i < k; i++)
                s[i] += s[i] >= (uint32_t)(c->post0 + t);   /* skip the target itself */
        }
        /* Transpose: count per source, prefix sums, then fill in target order (rows come out sorted). */
        for (int64_t i = 0; i < total; i++)
            c->row[src[i] + 1]++;
        for (int64_t i = 0; i < c->npre; i++)
            c->row[i + 1] += c->row[i];
        memcpy(pos, c->row, (size_t)c->npre * sizeof *pos);
        for (int64_t t = 0; t < c->npost; t++)
            for (uint32_t i = 0; i < k; i++)
                tvec_set(tg, pos[src[t * (int64_t)k + i]]++, (uint32_t)t);
        tg->n = total;
    }
    free(src);
    free(bits);
    free(pos);
    return ok;
}

/* Each source draws its K targets among the whole population (the key is the source), so a range of
 * targets keeps the ones inside it: a split build draws every row in full (out_degree's build work does
 * not fall with the number of ranks; its memory does). */
static bool build_out_degree(struct rt_conn *c, const struct ir_proj *p, int j, uint64_t seed, struct tvec *tg)
{
    bool ex = excludes_autapses(p);
    uint32_t k = (uint32_t)p->k, n = (uint32_t)(c->npost_all - (ex ? 1 : 0));
    const int64_t lo = c->post0, hi = c->post0 + c->npost;
    uint64_t *bits = calloc((size_t)(c->npost_all / 64 + 1), sizeof *bits);
    uint32_t *s = malloc((size_t)(k ? k : 1) * sizeof *s);
    bool ok = bits && s && tvec_reserve(tg, c->npost == c->npost_all ? c->npre * (int64_t)k + 1 : 1024);
    for (int64_t i = 0; ok && i < c->npre; i++) {
        struct rt_rng r;
        rt_rng_init(&r, seed, RT_STREAM(RT_STREAM_CONN, j), (uint64_t)i);
        c->row[i] = tg->n;
        floyd(&r, n, k, bits, s);
        for (uint32_t q = 0; ex && q < k; q++)
            s[q] += s[q] >= (uint32_t)i;
        qsort(s, k, sizeof *s, util_cmp_u32);
        ok = tvec_reserve(tg, tg->n + k);
        for (uint32_t q = 0; ok && q < k; q++)
            if (s[q] >= lo && s[q] < hi)
                tvec_set(tg, tg->n++, (uint32_t)(s[q] - lo));
    }
    c->row[c->npre] = tg->n;
    free(bits);
    free(s);
    return ok;
}

static bool build_dense(struct rt_conn *c, const struct ir_proj *p, struct tvec *tg)
{
    bool ex = excludes_autapses(p);
    bool one = p->rule == IR_RULE_ONE_TO_ONE;
    const int64_t lo = c->post0, hi = c->post0 + c->npost;
    if (!tvec_reserve(tg, one ? c->npost + 1 : c->npre * c->npost + 1))
        return false;
    for (int64_t i = 0; i < c->npre; i++) {
        c->row[i] = tg->n;
        if (one) {
            if (!ex && i >= lo && i < hi)
                tvec_set(tg, tg->n++, (uint32_t)(i - lo));
            continue;
        }
        for (int64_t t = lo; t < hi; t++)
            if (!(ex && t == i))
                tvec_set(tg, tg->n++, (uint32_t)(t - lo));
    }
    c->row[c->npre] = tg->n;
    return true;
}

/* ---- weights and delays ---------------------------------------------------------------------------- */

/* Target (in the whole population) of synapse k. */
static int64_t target_of(const struct rt_conn *c, int64_t k)
{
    return c->post0 + (c->t16 ? c->t16[k] : c->t32[k]);
}

/* Every synapse i -> t draws its weight and delay from its own key (entity i * Npost + t), so they do not
 * depend on the rule's draw order, on which other synapses exist, or on the split of the targets. */
static void syn_rng(struct rt_rng *r, const struct rt_conn *c, uint64_t seed, enum rt_stream_kind kind, int j,
                    int64_t i, int64_t k)
{
    rt_rng_init(r, seed, RT_STREAM(kind, j), (uint64_t)i * (uint64_t)c->npost_all + (uint64_t)target_of(c, k));
}

static bool draw_weights(struct rt_conn *c, const struct ir_model *m, int j, uint64_t seed, char *err, size_t errlen)
{
    const struct ir_proj *p = &m->projs[j];
    c->w = malloc((size_t)(c->nsyn ? c->nsyn : 1) * sizeof *c->w);
    if (!c->w) {
        fail(err, errlen, m, p, "out of memory for %lld weights", (long long)c->nsyn);
        return false;
    }
    for (int64_t i = 0; i < c->npre; i++) {
        for (int64_t k = c->row[i]; k < c->row[i + 1]; k++) {
            struct rt_rng r;
            syn_rng(&r, c, seed, RT_STREAM_WEIGHT, j, i, k);
            double w = ir_eval(p->weight, NULL, rt_rng_draw, &r);
            if (!isfinite(w)) {
                fail(err, errlen, m, p, "weight of synapse %lld -> %lld is %g", (long long)i,
                     (long long)target_of(c, k), w);
                return false;
            }
            c->w[k] = (float)w;
        }
    }
    return true;
}

static bool draw_delays(struct rt_conn *c, const struct ir_model *m, int j, uint64_t seed, char *err, size_t errlen)
{
    const struct ir_proj *p = &m->projs[j];
    c->d = malloc((size_t)(c->nsyn ? c->nsyn : 1) * sizeof *c->d);
    if (!c->d) {
        fail(err, errlen, m, p, "out of memory for %lld delays", (long long)c->nsyn);
        return false;
    }
    c->dmax = 1;
    for (int64_t i = 0; i < c->npre; i++) {
        for (int64_t k = c->row[i]; k < c->row[i + 1]; k++) {
            struct rt_rng r;
            syn_rng(&r, c, seed, RT_STREAM_DELAY, j, i, k);
            double d = ir_eval(p->delay, NULL, rt_rng_draw, &r);
            int s = rt_delay_steps(d, m->dt);
            if (!isfinite(d) || s > 65535) {
                fail(err, errlen, m, p, "delay %g ms of synapse %lld -> %lld is %s", d, (long long)i,
                     (long long)target_of(c, k),
                     isfinite(d) ? "longer than 65535 steps" : "not a number");
                return false;
            }
            c->d[k] = (uint16_t)s;
            c->dmax = s > c->dmax ? s : c->dmax;
        }
    }
    return true;
}

/* ---- the whole projection -------------------------------------------------------------------------- */

static bool build(struct rt_conn *c, const struct ir_model *m, int j, uint64_t seed, struct rt_pool *pool,
                  int64_t post0, int64_t post1, bool dense, char *err, size_t errlen);

bool rt_conn_bits_pay(const struct ir_model *m, int j, int64_t npost)
{
    const struct ir_proj *p = &m->projs[j];
    double v;
    if (p->rule != IR_RULE_BERNOULLI || p->plastic || (p->weight && !ir_eval_const(p->weight, &v)) ||
        (p->delay && !ir_eval_const(p->delay, &v)) || npost <= 0)
        return false;
    double q = p->p < 0 ? 0 : p->p > 1 ? 1 : p->p, width = npost < 65536 ? 2 : 4;
    return (double)((npost + 63) / 64 * 8) < q * (double)npost * width;   /* bytes per row: bits < list */
}

bool rt_conn_build(struct rt_conn *c, const struct ir_model *m, int j, uint64_t seed, char *err, size_t errlen)
{
    return rt_conn_build_par(c, m, j, seed, NULL, err, errlen);
}

bool rt_conn_build_par(struct rt_conn *c, const struct ir_model *m, int j, uint64_t seed, struct rt_pool *pool,
                       char *err, size_t errlen)
{
    return rt_conn_build_range(c, m, j, seed, pool, 0, rt_ref_size(m, m->projs[j].post), err, errlen);
}

bool rt_conn_build_range(struct rt_conn *c, const struct ir_model *m, int j, uint64_t seed, struct rt_pool *pool,
                         int64_t post0, int64_t post1, char *err, size_t errlen)
{
    return build(c, m, j, seed, pool, post0, post1, false, err, errlen);
}

bool rt_conn_build_run(struct rt_conn *c, const struct ir_model *m, int j, uint64_t seed, struct rt_pool *pool,
                       int64_t post0, int64_t post1, char *err, size_t errlen)
{
    int64_t all = rt_ref_size(m, m->projs[j].post);
    int64_t n = (post1 < all ? post1 : all) - (post0 > 0 ? post0 : 0);
    return build(c, m, j, seed, pool, post0, post1, rt_conn_bits_pay(m, j, n), err, errlen);
}

static bool build(struct rt_conn *c, const struct ir_model *m, int j, uint64_t seed, struct rt_pool *pool,
                  int64_t post0, int64_t post1, bool dense, char *err, size_t errlen)
{
    const struct ir_proj *p = &m->projs[j];
    memset(c, 0, sizeof *c);
    c->npre = rt_ref_size(m, p->pre);
    c->npost_all = rt_ref_size(m, p->post);
    post0 = post0 < 0 ? 0 : post0 > c->npost_all ? c->npost_all : post0;
    post1 = post1 < post0 ? post0 : post1 > c->npost_all ? c->npost_all : post1;
    c->post0 = post0;
    c->npost = post1 - post0;
    c->block = rt_conn_block(m, j);
    c->dconst = c->dmax = 1;
    if (p->post.is_input) {
        fail(err, errlen, m, p, "the target must be a neuron population");
        return false;
    }
    if (c->npost_all > (int64_t)UINT32_MAX || c->npre > (int64_t)UINT32_MAX) {
        fail(err, errlen, m, p, "populations above 2^32 neurons are not supported");
        return false;
    }
    bool ex = excludes_autapses(p);
    if (p->rule == IR_RULE_IN_DEGREE || p->rule == IR_RULE_OUT_DEGREE) {
        int64_t avail = (p->rule == IR_RULE_IN_DEGREE ? c->npre : c->npost_all) - (ex ? 1 : 0);
        if (p->k < 0 || p->k > avail) {
            fail(err, errlen, m, p, "%s(%lld) needs %lld distinct %s but only %lld are available",
                 ir_rule_name[p->rule], (long long)p->k, (long long)p->k,
                 p->rule == IR_RULE_IN_DEGREE ? "sources" : "targets", (long long)(avail < 0 ? 0 : avail));
            return false;
        }
    }
    if (p->rule == IR_RULE_ONE_TO_ONE && c->npre != c->npost_all) {
        fail(err, errlen, m, p, "one_to_one needs equal sizes, not %lld and %lld", (long long)c->npre,
             (long long)c->npost_all);
        return false;
    }

    c->row = calloc((size_t)c->npre + 1, sizeof *c->row);
    /* plastic projections: 32-bit targets, the event functions' index type (runtime/plastic.h) */
    struct tvec tg = {.wide = c->npost >= 65536 || p->plastic};
    bool ok = c->row != NULL;
    if (ok && dense) {
        c->words = (c->npost + 63) / 64;
        size_t bytes = (size_t)c->npre * (size_t)c->words * sizeof *c->bits;
        ok = (c->bits = calloc(bytes ? bytes : 1, 1)) != NULL;
        if (ok)
            advise_huge(c->bits, bytes);
    }
    if (ok) {
        switch (p->rule) {
        case IR_RULE_BERNOULLI: ok = build_bernoulli(c, p, j, seed, &tg, pool); break;
        case IR_RULE_IN_DEGREE: ok = build_in_degree(c, p, j, seed, &tg); break;
        case IR_RULE_OUT_DEGREE: ok = build_out_degree(c, p, j, seed, &tg); break;
        case IR_RULE_ONE_TO_ONE:
        case IR_RULE_ALL_TO_ALL: ok = build_dense(c, p, &tg); break;
        }
    }
    if (!ok) {
        free(tg.v);
        rt_conn_free(c);
        fail(err, errlen, m, p, "out of memory building %.0f synapses", rt_conn_expected(m, j));
        return false;
    }
    c->nsyn = c->bits ? c->row[c->npre] : tg.n;
    c->sorted = true;
    for (int64_t i = 0; !c->bits && i < c->npre && c->sorted; i++)
        for (int64_t k = c->row[i] + 1; k < c->row[i + 1]; k++) {
            uint32_t a = tg.wide ? ((uint32_t *)tg.v)[k - 1] : ((uint16_t *)tg.v)[k - 1];
            uint32_t b = tg.wide ? ((uint32_t *)tg.v)[k] : ((uint16_t *)tg.v)[k];
            if (b < a) {
                c->sorted = false;
                break;
            }
        }

    /* Give back the bernoulli reserve (mean + 6 sd) beyond the drawn count. */
    void *v0 = c->bits ? NULL : realloc(tg.v, (size_t)(c->nsyn ? c->nsyn : 1) * (tg.wide ? 4 : 2));
    if (v0)
        tg.v = v0;
    if (c->bits)
        free(tg.v);
    else if (tg.wide)
        c->t32 = tg.v;
    else
        c->t16 = tg.v;

    double v;
    if (!p->weight)
        c->wconst = 1.0;
    else if (ir_eval_const(p->weight, &v) && !p->plastic)
        c->wconst = v;
    else if (!draw_weights(c, m, j, seed, err, errlen)) {   /* plasticity changes them: one per synapse */
        rt_conn_free(c);
        return false;
    }
    if (!p->delay)
        c->dconst = 1;
    else if (ir_eval_const(p->delay, &v)) {
        if (!isfinite(v)) {
            fail(err, errlen, m, p, "delay is %g", v);
            rt_conn_free(c);
            return false;
        }
        c->dconst = c->dmax = rt_delay_steps(v, m->dt);
    } else if (!draw_delays(c, m, j, seed, err, errlen)) {
        rt_conn_free(c);
        return false;
    }
    return true;
}

int64_t rt_conn_source(const struct rt_conn *c, int64_t k)
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

void rt_conn_free(struct rt_conn *c)
{
    free(c->row);
    free(c->t16);
    free(c->t32);
    free(c->w);
    free(c->d);
    free(c->cut);
    free(c->bits);
    c->bits = NULL;
    c->cut = NULL;
    c->row = NULL;
    c->t16 = NULL;
    c->t32 = NULL;
    c->w = NULL;
    c->d = NULL;
}
