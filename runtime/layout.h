/*
 * layout.h - which thread owns a neuron, and where its values sit in a population's per-neuron columns.
 *
 * Chunks: a population of n neurons is cut into ng chunks (rt_chunk_of): contiguous, aligned to 64
 * neurons, one per thread of every part (part.h).
 *
 * Slots: with more than one thread, thread t's chunk of every column written per step (state variables,
 * observables, the statistics' field-major accumulators) is stored RT_GAP elements after thread t - 1's:
 * neuron n sits at slot n + t(n) RT_GAP, and RT_GAP more follow the last chunk.  Two threads writing
 * the two halves of the same columns ran one of them up to 4x slower on this project's machine
 * (bench/threadprobe.c, "shared" against "gap"; the paper network at N = 15000 on 2 threads: one thread's
 * kernels 15-50 % slower on equal work), and 8 KiB between the ranges removes it, while 0.4 KiB or a
 * page-aligned boundary do not (docs/performance.md, "Gaps between the threads' columns").  RT_GAP
 * elements are 16 KiB of doubles, 8 KiB of floats.  One thread has no gap: every slot is its neuron.
 *
 * A thread's hot loops take column pointers shifted by t RT_GAP (sim.c) and index them by neuron as
 * always; whoever reads a whole column (initial values, recordings, statistics' reductions, the parts'
 * gathering) maps each neuron with rt_layout_slot or walks rt_layout_run_end's runs.
 */
#ifndef BN_RT_LAYOUT_H
#define BN_RT_LAYOUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum { RT_GAP = 2048, RT_LAYOUT_MAXT = 64 };

/* Chunk length of a population of `size` neurons cut into ng chunks. */
static inline int64_t rt_chunk_len(int64_t size, int ng)
{
    return ((size + ng - 1) / ng + 63) / 64 * 64;
}

/* Chunk g of ng of a population of `size` neurons: [b, e), contiguous, aligned to 64 neurons (whole cache
 * lines of every column, whole 8-byte words of the spike flags); empty (b = e = size) past the end. */
static inline void rt_chunk_of(int64_t size, int g, int ng, int64_t *b, int64_t *e)
{
    int64_t chunk = rt_chunk_len(size, ng);
    *b = g * chunk < size ? g * chunk : size;
    *e = *b + chunk < size ? *b + chunk : size;
}

/* One population's columns in one process: thread t owns neurons [lo[t], lo[t + 1]) (rt_chunk_of's chunks
 * at first; the load balance may move the bounds, sim.c), neurons of other parts (never written here) take
 * the offset of the nearest own chunk. */
struct rt_layout {
    int nt;
    int64_t gap;                     /* RT_GAP with more than one thread, else 0 */
    int64_t lo[RT_LAYOUT_MAXT + 1];
};

static inline struct rt_layout rt_layout_make(int64_t size, int part, int parts, int nt)
{
    struct rt_layout l = {.nt = nt, .gap = nt > 1 ? RT_GAP : 0};
    for (int t = 0; t < nt; t++)
        rt_chunk_of(size, part * nt + t, parts * nt, &l.lo[t], &l.lo[t + 1]);
    return l;
}

/* Elements a column of `size` neurons takes: a gap after the last chunk too, since the next column (or
 * field) of the same allocation, or the next allocation, starts with thread 0's chunk. */
static inline int64_t rt_layout_len(const struct rt_layout *l, int64_t size)
{
    return size + (l ? l->nt * l->gap : 0);
}

/* Thread t's offset: its neuron n sits at column index n + rt_layout_off(l, t). */
static inline int64_t rt_layout_off(const struct rt_layout *l, int t)
{
    return l ? t * l->gap : 0;
}

/* The thread whose chunk holds n: the last t with lo[t] <= n (empty chunks skipped), 0 below lo[0]. */
static inline int rt_layout_thread(const struct rt_layout *l, int64_t n)
{
    int a = 0, b = l->nt - 1;   /* the answer is in [a, b] */
    while (a < b) {
        const int m = (a + b + 1) / 2;
        if (l->lo[m] <= n)
            a = m;
        else
            b = m - 1;
    }
    return a;
}

static inline int64_t rt_layout_slot(const struct rt_layout *l, int64_t n)
{
    return !l || l->gap == 0 ? n : n + rt_layout_thread(l, n) * l->gap;
}

/* The end of the run of neurons n .. that share n's offset: n's chunk's end, at most e. */
static inline int64_t rt_layout_run_end(const struct rt_layout *l, int64_t n, int64_t e)
{
    if (!l || l->gap == 0)
        return e;
    const int t = rt_layout_thread(l, n);
    return t == l->nt - 1 || l->lo[t + 1] > e ? e : l->lo[t + 1];
}

/* Moving the bounds (layout.c): the neurons whose thread differs between old and new (same nt and range),
 * then one column's values of those neurons moved from their old slots to their new ones (elem bytes per
 * value; scratch: rt_layout_moved x elem bytes). */
int64_t rt_layout_moved(const struct rt_layout *old, const struct rt_layout *new);
void rt_layout_move(void *col, size_t elem, const struct rt_layout *old, const struct rt_layout *new, void *scratch);
/* After a balance check: thread t has own[t] neurons and was busy busy[t] (any unit) since the last one.
 * False (keep the bounds) unless shares proportional to the threads' speeds would shorten the step by more
 * than the fraction gain; else share[t] is halfway between t's share now and that one. */
bool rt_layout_shares(int nt, const double *own, const double *busy, double gain, double *share);
/* New inner bounds for l's range [lo[0], lo[nt]): thread t gets the fraction share[t] (summing to 1),
 * bounds multiples of align from lo[0].  True when a bound moved. */
bool rt_layout_balance(struct rt_layout *l, const double *share, int64_t align);

#endif
