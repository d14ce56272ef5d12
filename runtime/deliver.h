/*
 * deliver.h - spike collection and delivery (DESIGN.md §3).
 *
 * Linear synapses: a spike of source j through projection p adds inc.scale * w to receptor variable
 * inc.var of every target, for each increment of p; synapses of the same kinetics sum into one state.
 *   constant delay d (>= 1 step): the sender keeps the spike lists of its last D steps (struct rt_spikeq,
 *     a ring of D lists); at step t the list of step t - d goes through the projection (targets stay in
 *     cache, no per-synapse queue).
 *   per-synapse delays: per-target ring buffers of L = dmax + 1 slots per receptor variable
 *     (struct rt_ring); a spike of step t adds into slot (t + d) mod L, and at the start of step t the
 *     slot t mod L is added into the receptor variable and cleared.
 * The inner loops are specialised for constant / per-synapse weight and 16 / 32-bit targets so no loop
 * branches per synapse.  Each thread delivers to the targets it owns, in a fixed order (projections in
 * model order, spikes in increasing index), so the sums do not depend on the thread count.
 *
 * Owns: the spike queues, the ring buffers and the delivery loops.  Must not: know about kernels or stats.
 */
#ifndef BN_RT_DELIVER_H
#define BN_RT_DELIVER_H

#include "compiler/ir/ir.h"
#include "runtime/net.h"

#include <stdbool.h>
#include <stdint.h>

/* Sender-side queue: the spike index lists of the last `len` steps of one source.  A neuron population
 * spikes at most once per neuron and step, so `size` entries per list suffice; an input may repeat a
 * neuron within a step (Poisson at rate*dt ~ 1, coincident jittered mother spikes), so its lists grow.
 * A population's list is written by several threads at once: thread g compacts the neurons
 * [off[g], off[g+1]) it owns into list + off[g], so each step's list is nseg segments (in increasing index
 * order) with a count each; readers go through them in order, which is the single-thread order. */
struct rt_spikeq {
    int len;
    int nseg;              /* segments per list (1 for inputs and single-threaded runs) */
    int64_t size;          /* initial capacity of each list (neurons of the source) */
    int64_t *off;          /* nseg: where each segment starts in the lists filled from now on (a list's own
                            * offsets are kept next to its counts: the threads' bounds may move, sim.c) */
    uint32_t **lists;      /* len lists */
    int64_t *cap;          /* len */
    int64_t *n;            /* len x nseg counts, RT_SPIKEQ_STRIDE apart: each segment's count in its own cache
                            * line, since the threads write them every step; its offset right after it */
};
#define RT_SPIKEQ_STRIDE 8
/* seg_begin: nseg increasing offsets starting at 0 (NULL when nseg == 1). */
bool rt_spikeq_init(struct rt_spikeq *q, int len, int64_t size, int nseg, const int64_t *seg_begin);
void rt_spikeq_free(struct rt_spikeq *q);
/* Segment g of the list of `step` (valid for len steps after it was stored); count 0 for step < 0. */
static inline const uint32_t *rt_spikeq_seg(const struct rt_spikeq *q, int64_t step, int g, int64_t *n)
{
    if (step < 0) {
        *n = 0;
        return q->lists[0];
    }
    int s = (int)(step % q->len);
    const int64_t *c = &q->n[((int64_t)s * q->nseg + g) * RT_SPIKEQ_STRIDE];
    *n = c[0];
    return q->lists[s] + c[1];
}
/* Stores the list of `step` as segment 0 of a one-segment queue, growing its storage when n > size; false
 * when out of memory. */
bool rt_spikeq_put(struct rt_spikeq *q, int64_t step, const uint32_t *idx, int64_t n);
/* Where segment g of `step` is to be filled directly (e.g. by rt_compact), then rt_spikeq_set_count(). */
uint32_t *rt_spikeq_slot(struct rt_spikeq *q, int64_t step, int g);
/* The segments' starts of the lists filled from now on (nseg increasing offsets starting at 0); the lists
 * already filled keep theirs. */
void rt_spikeq_rebase(struct rt_spikeq *q, const int64_t *seg_begin);
void rt_spikeq_set_count(struct rt_spikeq *q, int64_t step, int g, int64_t n);
/* Moves the segments of `step` together into one list (segment 0) and returns it with its length. */
const uint32_t *rt_spikeq_merge(struct rt_spikeq *q, int64_t step, int64_t *n);

/* Per-target ring of future input to one receptor variable. */
struct rt_ring {
    int len;               /* dmax + 1 */
    int64_t size;          /* target neurons */
    double *buf;           /* len * size, slot-major so draining is one contiguous pass */
};
bool rt_ring_init(struct rt_ring *r, int len, int64_t size);
void rt_ring_free(struct rt_ring *r);
/* var[i] += slot(step)[i]; slot(step)[i] = 0. */
/* Adds slot `step` of targets [lo, hi) into var and clears it.  `single`: var is a float column
 * (precision single, compiler/ir/ir.h), which receives each addition rounded to float. */
void rt_ring_drain(struct rt_ring *r, int64_t step, double *var, int64_t lo, int64_t hi, bool single);

/* Indices i of the set flags[i], begin <= i < end, in increasing order; returns their number.  begin is a
 * multiple of 8 and flags readable up to a multiple of 8 bytes past end (padding zero): all-zero 8-byte
 * words are skipped. */
int64_t rt_compact(const uint8_t *flags, int64_t begin, int64_t end, uint32_t *out);

/* Delivery is split by target: a thread delivers every spike, but only to the targets [lo, hi) it owns
 * (one run of each sorted row, precomputed by rt_conn_split; else a test per synapse).  Each target then
 * receives its additions in the same order whatever the number of threads, so sums are bit-identical. */

/* Precomputes, for sorted rows, where each of nt threads' target ranges starts in every row; the ranges
 * are given by bounds[0..nt] (thread t owns [bounds[t], bounds[t+1])).  False when out of memory (the
 * delivery then falls back to bisection).  Called again (new bounds, the same nt), it refills its table. */
bool rt_conn_split(struct rt_conn *c, int nt, const int64_t *bounds);

/* Constant-delay delivery of n spikes (source indices) through c: post_vars are the target population's
 * variable columns. */
void rt_deliver_now(const struct rt_conn *c, const struct ir_proj *p, double *const *post_vars,
                    const uint32_t *idx, int64_t n, int64_t lo, int64_t hi, int tid, bool single);
/* Dense rows (c->bits): what rt_deliver_now does with them, on any CPU (it takes AVX-512 where compiled for
 * it), for the tests: adds sw (rounded to float when single) to var[t] for every spike's bit t in [lo, hi),
 * spike by spike. */
void rt_deliver_bits_portable(const struct rt_conn *c, double *var, bool single, double sw, const uint32_t *idx,
                              int64_t n, int64_t lo, int64_t hi);
/* Per-synapse-delay delivery of the spikes of step `step`: rings[i] is the ring of p->incs[i].var. */
void rt_deliver_ring(const struct rt_conn *c, const struct ir_proj *p, struct rt_ring *const *rings,
                     int64_t step, const uint32_t *idx, int64_t n, int64_t lo, int64_t hi, int tid);

#endif
