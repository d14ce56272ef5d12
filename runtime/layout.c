/*
 * layout.c - moving the threads' bounds (layout.h): the values of the neurons that change threads, and
 * where the bounds go when the threads ran at different speeds.
 *
 * Why move them: one network's threads do equal work per step only if their cores run at equal speed.  On
 * a shared machine they do not: on this project's 2-vCPU VM one vCPU often runs 1.3-1.6x slower than the
 * other for seconds at a time (the same one-thread run pinned to each: 480-800 ms), and with fixed halves
 * every step waits for the slow one.  The runtime measures each thread's busy time over RT_BALANCE_EVERY
 * steps and gives the faster thread more neurons (sim.c).  Results do not change: every neuron does the
 * same operations in the same order whichever thread runs it (the thread-count invariance, DESIGN.md §3).
 */
#include "runtime/layout.h"

#include <string.h>

/* Neurons that change threads between old and new: [min, max) of each inner bound's two places. */
#define CHANGED(old, new, k, b, e)                                                                        \
    int64_t b = (old)->lo[k] < (new)->lo[k] ? (old)->lo[k] : (new)->lo[k];                                \
    int64_t e = (old)->lo[k] < (new)->lo[k] ? (new)->lo[k] : (old)->lo[k]

int64_t rt_layout_moved(const struct rt_layout *old, const struct rt_layout *new)
{
    int64_t n = 0;
    for (int k = 1; k < old->nt; k++) {
        CHANGED(old, new, k, b, e);
        n += e - b;
    }
    return n;
}

void rt_layout_move(void *col, size_t elem, const struct rt_layout *old, const struct rt_layout *new, void *scratch)
{
    unsigned char *c = col, *x = scratch;
    /* Gather every moving neuron's value first: a new slot may hold another moving neuron's old value. */
    for (int k = 1; k < old->nt; k++) {
        CHANGED(old, new, k, b, e);
        for (int64_t n = b; n < e; n++, x += elem)
            memcpy(x, c + (size_t)rt_layout_slot(old, n) * elem, elem);
    }
    x = scratch;
    for (int k = 1; k < old->nt; k++) {
        CHANGED(old, new, k, b, e);
        for (int64_t n = b; n < e; n++, x += elem)
            memcpy(c + (size_t)rt_layout_slot(new, n) * elem, x, elem);
    }
}

bool rt_layout_shares(int nt, const double *own, const double *busy, double gain, double *share)
{
    double total = 0, busy_max = 0, speed_sum = 0;
    for (int t = 0; t < nt; t++) {
        if (!(busy[t] > 0))
            return false;
        total += own[t];
        busy_max = busy[t] > busy_max ? busy[t] : busy_max;
        speed_sum += own[t] / busy[t];   /* neurons per unit of busy time */
    }
    /* every thread at its measured speed with a share proportional to it: total / speed_sum per check,
     * against the slowest thread's busy_max now */
    if (!(total > 0) || total / speed_sum > (1 - gain) * busy_max)
        return false;
    for (int t = 0; t < nt; t++)   /* halfway: a speed measured over one interval may not last */
        share[t] = 0.5 * (own[t] / total + own[t] / busy[t] / speed_sum);
    return true;
}

bool rt_layout_balance(struct rt_layout *l, const double *share, int64_t align)
{
    const int nt = l->nt;
    const int64_t b = l->lo[0], e = l->lo[nt];
    int64_t lo[RT_LAYOUT_MAXT + 1];
    double acc = 0;
    lo[0] = b;
    for (int t = 1; t < nt; t++) {
        acc += share[t - 1];
        int64_t x = b + (int64_t)(acc * (double)(e - b) / (double)align + 0.5) * align;
        x = x < lo[t - 1] ? lo[t - 1] : x > e ? e : x;
        lo[t] = x;
    }
    lo[nt] = e;
    bool moved = false;
    for (int t = 1; t < nt; t++)
        moved = moved || lo[t] != l->lo[t];
    memcpy(l->lo, lo, sizeof lo[0] * (size_t)(nt + 1));
    return moved;
}
