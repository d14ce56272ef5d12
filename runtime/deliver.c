/*
 * deliver.c - spike compaction, sender queues, ring buffers and the specialised delivery loops
 * (deliver.h).
 *
 * Owns: moving spikes to receptor variables.  Must not: allocate per step or print.
 *
 * Why delivery is not JIT-compiled (DESIGN.md §2 suggests one delivery kernel per projection): the only
 * things a per-projection kernel could specialise are the weight kind (one constant, or one float per
 * synapse), the index width (16 or 32 bit) and the increment scale.  The first two give the four loops
 * below, compiled ahead of time for the host CPU and chosen once per projection; the scale and the
 * constant weight sit in a register for the whole loop.  The loop is bound by its scattered loads and
 * stores into the target column (docs/performance.md: 1-2 ns per event, at the hand-written floor's
 * speed), so generated code would save one indirect call per projection and step and nothing else.
 * Dense rows (net.h) have loops of their own: masked vector additions over the thread's targets, 0.35
 * instead of 0.85 ns per event at the paper network's p = 0.2 (docs/performance.md).
 */
#include "runtime/deliver.h"

#include <stdlib.h>
#include <stdbool.h>
#include <string.h>

bool rt_spikeq_init(struct rt_spikeq *q, int len, int64_t size, int nseg, const int64_t *seg_begin)
{
    q->len = len < 1 ? 1 : len;
    q->nseg = nseg < 1 ? 1 : nseg;
    q->size = size;
    q->off = calloc((size_t)q->nseg, sizeof *q->off);
    q->lists = calloc((size_t)q->len, sizeof *q->lists);
    q->cap = calloc((size_t)q->len, sizeof *q->cap);
    q->n = aligned_alloc(64, (size_t)q->len * (size_t)q->nseg * RT_SPIKEQ_STRIDE * sizeof *q->n);
    if (q->n)
        memset(q->n, 0, (size_t)q->len * (size_t)q->nseg * RT_SPIKEQ_STRIDE * sizeof *q->n);
    if (!q->off || !q->lists || !q->cap || !q->n)
        return false;
    for (int g = 0; seg_begin && g < q->nseg; g++)
        q->off[g] = seg_begin[g];
    for (int i = 0; i < q->len; i++) {
        q->cap[i] = size ? size : 1;
        if (!(q->lists[i] = malloc((size_t)q->cap[i] * sizeof **q->lists)))
            return false;
    }
    return true;
}

void rt_spikeq_free(struct rt_spikeq *q)
{
    if (q->lists)
        for (int i = 0; i < q->len; i++)
            free(q->lists[i]);
    free(q->lists);
    free(q->cap);
    free(q->n);
    free(q->off);
    q->lists = NULL;
    q->cap = q->n = q->off = NULL;
}

uint32_t *rt_spikeq_slot(struct rt_spikeq *q, int64_t step, int g)
{
    q->n[((step % q->len) * q->nseg + g) * RT_SPIKEQ_STRIDE + 1] = q->off[g];   /* for the readers */
    return q->lists[step % q->len] + q->off[g];
}

void rt_spikeq_rebase(struct rt_spikeq *q, const int64_t *seg_begin)
{
    for (int g = 0; g < q->nseg; g++)
        q->off[g] = seg_begin[g];
}

void rt_spikeq_set_count(struct rt_spikeq *q, int64_t step, int g, int64_t n)
{
    q->n[((step % q->len) * q->nseg + g) * RT_SPIKEQ_STRIDE] = n;
}

const uint32_t *rt_spikeq_merge(struct rt_spikeq *q, int64_t step, int64_t *n)
{
    int s = (int)(step % q->len);
    int64_t *cnt = &q->n[(int64_t)s * q->nseg * RT_SPIKEQ_STRIDE];
    uint32_t *list = q->lists[s];
    int64_t total = cnt[0];
    for (int g = 1; g < q->nseg; g++) {
        /* Segments only move left (their offset c[1] >= total), so memmove keeps the order. */
        int64_t *c = &cnt[g * RT_SPIKEQ_STRIDE];
        memmove(list + total, list + c[1], (size_t)*c * sizeof *list);
        total += *c;
        *c = 0;
    }
    cnt[0] = total;
    *n = total;
    return list;
}

bool rt_spikeq_put(struct rt_spikeq *q, int64_t step, const uint32_t *idx, int64_t n)
{
    int s = (int)(step % q->len);
    if (n > q->cap[s]) {
        uint32_t *v = realloc(q->lists[s], (size_t)n * sizeof *v);
        if (!v)
            return false;
        q->lists[s] = v;
        q->cap[s] = n;
    }
    memcpy(q->lists[s], idx, (size_t)n * sizeof *idx);
    q->n[(int64_t)s * q->nseg * RT_SPIKEQ_STRIDE] = n;   /* segment 0: input queues have one */
    return true;
}

bool rt_ring_init(struct rt_ring *r, int len, int64_t size)
{
    r->len = len;
    r->size = size;
    r->buf = calloc((size_t)(len * (size ? size : 1)), sizeof *r->buf);
    return r->buf != NULL;
}

void rt_ring_free(struct rt_ring *r)
{
    free(r->buf);
    r->buf = NULL;
}

void rt_ring_drain(struct rt_ring *r, int64_t step, double *var, int64_t lo, int64_t hi, bool single)
{
    double *slot = r->buf + (step % r->len) * r->size;
    if (single) {
        float *fv = (float *)var;
        for (int64_t i = lo; i < hi; i++) {
            fv[i] += (float)slot[i];
            slot[i] = 0.0;
        }
        return;
    }
    for (int64_t i = lo; i < hi; i++) {
        var[i] += slot[i];
        slot[i] = 0.0;
    }
}

int64_t rt_compact(const uint8_t *flags, int64_t begin, int64_t end, uint32_t *out)
{
    int64_t k = 0;
    for (int64_t base = begin; base < end; base += 8) {
        uint64_t word;
        memcpy(&word, flags + base, sizeof word);
        if (!word)
            continue;
        int64_t stop = base + 8 < end ? base + 8 : end;
        for (int64_t i = base; i < stop; i++)
            if (flags[i])
                out[k++] = (uint32_t)i;
    }
    return k;
}

/* ---- constant delay: straight into the receptor variable ------------------------------------------ */

/* First position in tg[b, e) (increasing) whose target is >= x. */
#define DEFINE_LOWER(NAME, TGT)                                                                           \
    static inline int64_t NAME(const TGT *tg, int64_t b, int64_t e, int64_t x)                            \
    {                                                                                                     \
        while (b < e) {                                                                                   \
            int64_t mid = b + (e - b) / 2;                                                                \
            if ((int64_t)tg[mid] < x)                                                                     \
                b = mid + 1;                                                                              \
            else                                                                                          \
                e = mid;                                                                                  \
        }                                                                                                 \
        return b;                                                                                         \
    }
DEFINE_LOWER(lower16, uint16_t)
DEFINE_LOWER(lower32, uint32_t)

bool rt_conn_split(struct rt_conn *c, int nt, const int64_t *bounds)
{
    if (c->bits || !c->sorted || nt < 2 || c->npre == 0)   /* dense rows: a thread reads its own words */
        return true;
    int64_t *cut = c->cut && c->cut_nt == nt ? c->cut : malloc(sizeof *cut * (size_t)c->npre * (size_t)(nt + 1));
    if (!cut)
        return false;
    for (int64_t i = 0; i < c->npre; i++) {
        int64_t *ci = cut + i * (nt + 1);
        int64_t b = c->row[i], e = c->row[i + 1];
        ci[0] = b;
        for (int t = 1; t < nt; t++)
            ci[t] = c->t16 ? lower16(c->t16, ci[t - 1], e, bounds[t]) : lower32(c->t32, ci[t - 1], e, bounds[t]);
        ci[nt] = e;
    }
    c->cut = cut;
    c->cut_nt = nt;
    return true;
}


/* The synapses k of row `src` whose targets lie in [lo, hi): a sub-range when rows are sorted (whole =
 * the range covers every target; the cut table, else bisection), else the whole row with a test per
 * synapse (FILTER). */
#define ROW_RANGE(LOWER, c, tg, src, lo, hi, whole, b, e)                                                 \
    int64_t b = (c)->row[src], e = (c)->row[(src) + 1];                                                   \
    if (!(whole) && (c)->sorted) {                                                                        \
        if ((c)->cut) {                                                                                   \
            const int64_t *cut_ = (c)->cut + (int64_t)(src) * ((c)->cut_nt + 1) + tid;                    \
            b = cut_[0];                                                                                  \
            e = cut_[1];                                                                                  \
        } else {                                                                                          \
            b = LOWER(tg, b, e, lo);                                                                      \
            e = LOWER(tg, b, e, hi);                                                                      \
        }                                                                                                 \
    }
#define FILTER(c, whole, t, lo, hi) (!(whole) && !(c)->sorted && ((int64_t)(t) < (lo) || (int64_t)(t) >= (hi)))

/* The first lines of a row about to be read: the hardware's stream prefetcher only follows a row after
 * some misses of its own, and rows are short (the paper network: 600-2400 targets, 1-5 KiB). */
enum { PREFETCH_LINES = 4 };
static inline void prefetch_row(const void *row, size_t width)
{
    (void)width;
    for (int l = 0; l < PREFETCH_LINES; l++)
        __builtin_prefetch((const char *)row + 64 * l);
}

/* The row offsets (and cut-table entries) of every spike of the list, asked for at once: the neuron kernels
 * between two deliveries have pushed them out of the caches, and each one is needed before its row's
 * prefetch can even start (a dependent miss per spike otherwise). */
static inline void prefetch_offsets(const struct rt_conn *c, const uint32_t *idx, int64_t n, int tid)
{
    for (int64_t s = 0; s < n; s++) {
        __builtin_prefetch(&c->row[idx[s]]);
        if (c->cut)
            __builtin_prefetch(&c->cut[(int64_t)idx[s] * (c->cut_nt + 1) + tid]);
    }
}

#define DEFINE_NOW(NAME, TGT, LOWER, VT, WEXPR)                                                           \
    static void NAME(const struct rt_conn *c, const TGT *tg, VT *var, double scale, const uint32_t *idx,  \
                     int64_t n, int64_t lo, int64_t hi, int tid)                                          \
    {                                                                                                     \
        double sw = scale * c->wconst;                                                                    \
        (void)sw;                                                                                         \
        bool whole = lo <= 0 && hi >= c->npost;                                                           \
        prefetch_offsets(c, idx, n, tid);                                                                 \
        for (int64_t s = 0; s < n; s++) {                                                                 \
            /* the next spike's row is cold (a large array): ask for its first lines while this one runs */ \
            if (s + 1 < n)                                                                                \
                prefetch_row(&tg[c->row[idx[s + 1]]], sizeof(TGT));                                       \
            ROW_RANGE(LOWER, c, tg, idx[s], lo, hi, whole, b, e)                                          \
            if (whole || c->sorted) {                                                                     \
                _Pragma("GCC unroll 4")                                                                   \
                for (int64_t k = b; k < e; k++)                                                           \
                    var[tg[k]] += (VT)(WEXPR);                                                            \
            } else {                                                                                      \
                for (int64_t k = b; k < e; k++)                                                           \
                    if (!FILTER(c, whole, tg[k], lo, hi))                                                 \
                        var[tg[k]] += (VT)(WEXPR);                                                        \
            }                                                                                             \
        }                                                                                                 \
    }
DEFINE_NOW(now_const16, uint16_t, lower16, double, sw)
DEFINE_NOW(now_const32, uint32_t, lower32, double, sw)
DEFINE_NOW(now_w16, uint16_t, lower16, double, scale * (double)c->w[k])
DEFINE_NOW(now_w32, uint32_t, lower32, double, scale * (double)c->w[k])
/* precision single: float target columns, each addition rounded to float */
DEFINE_NOW(nowf_const16, uint16_t, lower16, float, sw)
DEFINE_NOW(nowf_const32, uint32_t, lower32, float, sw)
DEFINE_NOW(nowf_w16, uint16_t, lower16, float, scale * (double)c->w[k])
DEFINE_NOW(nowf_w32, uint32_t, lower32, float, scale * (double)c->w[k])

/* ---- dense rows (rt_conn_bits_pay): a bit per (source, target) ----------------------------------- */

/* Bits of word q of a row that lie in [lo, hi). */
static inline uint64_t edge_mask(int64_t q, int64_t lo, int64_t hi)
{
    uint64_t m = ~0ull;
    if (q * 64 < lo)
        m &= ~0ull << (lo - q * 64);
    if (q * 64 + 64 > hi)
        m &= hi - q * 64 >= 64 ? ~0ull : (1ull << (hi - q * 64)) - 1;
    return m;
}

/* Any CPU: every set bit in turn, spike by spike, so each target gets its additions in spike order. */
#define DEFINE_BITS_PORTABLE(NAME, VT)                                                                    \
    static void NAME(const struct rt_conn *c, VT *var, VT w, const uint32_t *idx, int64_t n, int64_t lo,    \
                     int64_t hi)                                                                          \
    {                                                                                                     \
        for (int64_t s = 0; s < n; s++) {                                                                 \
            const uint64_t *row = c->bits + (int64_t)idx[s] * c->words;                                   \
            for (int64_t q = lo / 64; q * 64 < hi; q++)                                                   \
                for (uint64_t m = row[q] & edge_mask(q, lo, hi); m; m &= m - 1)                           \
                    var[q * 64 + __builtin_ctzll(m)] += w;                                                \
        }                                                                                                 \
    }
DEFINE_BITS_PORTABLE(bits_portable, double)
DEFINE_BITS_PORTABLE(bitsf_portable, float)

void rt_deliver_bits_portable(const struct rt_conn *c, double *var, bool single, double sw, const uint32_t *idx,
                              int64_t n, int64_t lo, int64_t hi)
{
    if (single)
        bitsf_portable(c, (float *)var, (float)sw, idx, n, lo, hi);
    else
        bits_portable(c, var, sw, idx, n, lo, hi);
}

#ifdef __AVX512F__
#include <immintrin.h>
/* Up to SPIKE_CHUNK spikes at a time, word by word (64 targets) over the thread's targets: the 64 values
 * stay in 8 registers (16 floats: 4) while each spike's byte (two bytes) of the row masks one addition of w
 * per register, then are stored once.  A target gets its additions in spike order, the same rounded sums
 * as one scattered addition per synapse; the registers are 8 independent chains, so the adds overlap.
 * The rows are read as SPIKE_CHUNK sequential streams.  Words cut by [lo, hi) go 8 targets at a time
 * with masked loads and stores, so no value outside the range is touched (another thread owns it). */
enum { SPIKE_CHUNK = 16, PF_LINES = 4 };

#define DEFINE_BITS_AVX512(NAME, VT, VEC, MT, RT, LANES, SET1, LOADU, MASKZ_LOADU, MASK_ADD, STOREU,       \
                           MASK_STOREU)                                                                   \
    static void NAME(const struct rt_conn *c, VT *var, VT w, const uint32_t *idx, int64_t n, int64_t lo,    \
                     int64_t hi)                                                                          \
    {                                                                                                     \
        enum { NV = 64 / LANES };   /* vectors per 64-bit word of a row; RT: a vector's bits */           \
        const VEC wv = SET1(w);                                                                           \
        for (int64_t s0 = 0; s0 < n; s0 += SPIKE_CHUNK) {                                                 \
            const int64_t ns = n - s0 < SPIKE_CHUNK ? n - s0 : SPIKE_CHUNK;                               \
            const RT *rows[SPIKE_CHUNK];                                                                  \
            for (int64_t s = 0; s < ns; s++) {                                                            \
                rows[s] = (const RT *)(c->bits + (int64_t)idx[s0 + s] * c->words);                        \
                for (int l = 0; l < PF_LINES; l++)                                                        \
                    __builtin_prefetch((const char *)(rows[s] + NV * (lo / 64)) + 64 * l);                \
            }                                                                                             \
            for (int64_t q = lo / 64; q * 64 < hi; q++) {                                                 \
                VT *vp = var + q * 64;                                                                    \
                if (q % 8 == 0)                                                                           \
                    for (int64_t s = 0; s < ns; s++)                                                      \
                        __builtin_prefetch((const char *)(rows[s] + NV * q) + 64 * PF_LINES);             \
                const uint64_t edge = edge_mask(q, lo, hi);                                               \
                if (edge != ~0ull) {                                                                      \
                    for (int b = 0; b < NV; b++) {                                                        \
                        const MT em = (MT)(edge >> (LANES * b));                                          \
                        if (!em)                                                                          \
                            continue;                                                                     \
                        VEC v = MASKZ_LOADU(em, vp + LANES * b);                                          \
                        for (int64_t s = 0; s < ns; s++)                                                  \
                            v = MASK_ADD(v, (MT)(rows[s][NV * q + b] & em), v, wv);                       \
                        MASK_STOREU(vp + LANES * b, em, v);                                               \
                    }                                                                                     \
                    continue;                                                                             \
                }                                                                                         \
                VEC v[NV];                                                                                \
                _Pragma("GCC unroll 8") for (int k = 0; k < NV; k++) v[k] = LOADU(vp + LANES * k);        \
                for (int64_t s = 0; s < ns; s++) {                                                        \
                    const RT *r = rows[s] + NV * q;                                                       \
                    _Pragma("GCC unroll 8") for (int k = 0; k < NV; k++)                                  \
                        v[k] = MASK_ADD(v[k], r[k], v[k], wv);                                            \
                }                                                                                         \
                _Pragma("GCC unroll 8") for (int k = 0; k < NV; k++) STOREU(vp + LANES * k, v[k]);        \
            }                                                                                             \
        }                                                                                                 \
    }
DEFINE_BITS_AVX512(bits_avx512, double, __m512d, __mmask8, uint8_t, 8, _mm512_set1_pd, _mm512_loadu_pd,
                   _mm512_maskz_loadu_pd, _mm512_mask_add_pd, _mm512_storeu_pd, _mm512_mask_storeu_pd)
DEFINE_BITS_AVX512(bitsf_avx512, float, __m512, __mmask16, uint16_t, 16, _mm512_set1_ps, _mm512_loadu_ps,
                   _mm512_maskz_loadu_ps, _mm512_mask_add_ps, _mm512_storeu_ps, _mm512_mask_storeu_ps)
#endif

static void deliver_bits(const struct rt_conn *c, double *var, bool single, double sw, const uint32_t *idx,
                         int64_t n, int64_t lo, int64_t hi)
{
    lo = lo < 0 ? 0 : lo;
    hi = hi > c->npost ? c->npost : hi;
    if (lo >= hi)
        return;
#ifdef __AVX512F__
    if (single)
        bitsf_avx512(c, (float *)var, (float)sw, idx, n, lo, hi);
    else
        bits_avx512(c, var, sw, idx, n, lo, hi);
#else
    rt_deliver_bits_portable(c, var, single, sw, idx, n, lo, hi);
#endif
}

void rt_deliver_now(const struct rt_conn *c, const struct ir_proj *p, double *const *post_vars,
                    const uint32_t *idx, int64_t n, int64_t lo, int64_t hi, int tid, bool single)
{
    if (n == 0 || c->nsyn == 0)
        return;
    for (int i = 0; i < p->nincs; i++) {
        double *var = post_vars[p->incs[i].var];
        float *fvar = (float *)var;
        double scale = p->incs[i].scale;
        if (c->bits)
            deliver_bits(c, var, single, scale * c->wconst, idx, n, lo, hi);
        else if (single && c->t16)
            (c->w ? nowf_w16 : nowf_const16)(c, c->t16, fvar, scale, idx, n, lo, hi, tid);
        else if (single)
            (c->w ? nowf_w32 : nowf_const32)(c, c->t32, fvar, scale, idx, n, lo, hi, tid);
        else if (c->t16)
            (c->w ? now_w16 : now_const16)(c, c->t16, var, scale, idx, n, lo, hi, tid);
        else
            (c->w ? now_w32 : now_const32)(c, c->t32, var, scale, idx, n, lo, hi, tid);
    }
}

/* ---- per-synapse delays: into the target's ring ------------------------------------------------- */

#define DEFINE_RING(NAME, TGT, LOWER, WEXPR)                                                              \
    static void NAME(const struct rt_conn *c, const TGT *tg, struct rt_ring *r, double scale, int64_t step, \
                     const uint32_t *idx, int64_t n, int64_t lo, int64_t hi, int tid)                     \
    {                                                                                                     \
        double sw = scale * c->wconst;                                                                    \
        (void)sw;                                                                                         \
        int len = r->len;                                                                                 \
        int base = (int)(step % len);                                                                     \
        bool whole = lo <= 0 && hi >= c->npost;                                                           \
        for (int64_t s = 0; s < n; s++) {                                                                 \
            if (s + 1 < n)                                                                                \
                __builtin_prefetch(&tg[c->row[idx[s + 1]]]);                                              \
            ROW_RANGE(LOWER, c, tg, idx[s], lo, hi, whole, b, e)                                          \
            for (int64_t k = b; k < e; k++) {                                                             \
                if (FILTER(c, whole, tg[k], lo, hi))                                                      \
                    continue;                                                                             \
                int slot = base + c->d[k];      /* d <= dmax < len: one subtraction wraps it */           \
                slot -= slot >= len ? len : 0;                                                            \
                r->buf[(int64_t)slot * r->size + tg[k]] += WEXPR;                                         \
            }                                                                                             \
        }                                                                                                 \
    }
DEFINE_RING(ring_const16, uint16_t, lower16, sw)
DEFINE_RING(ring_const32, uint32_t, lower32, sw)
DEFINE_RING(ring_w16, uint16_t, lower16, scale * (double)c->w[k])
DEFINE_RING(ring_w32, uint32_t, lower32, scale * (double)c->w[k])

void rt_deliver_ring(const struct rt_conn *c, const struct ir_proj *p, struct rt_ring *const *rings,
                     int64_t step, const uint32_t *idx, int64_t n, int64_t lo, int64_t hi, int tid)
{
    if (n == 0 || c->nsyn == 0)
        return;
    for (int i = 0; i < p->nincs; i++) {
        double scale = p->incs[i].scale;
        if (c->t16)
            (c->w ? ring_w16 : ring_const16)(c, c->t16, rings[i], scale, step, idx, n, lo, hi, tid);
        else
            (c->w ? ring_w32 : ring_const32)(c, c->t32, rings[i], scale, step, idx, n, lo, hi, tid);
    }
}
