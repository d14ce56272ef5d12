/*
 * plastic.h - the runtime side of plastic projections: event-state storage, the target-major
 * index that lets a postsynaptic spike reach its neuron's incoming synapses, and the calls of the compiled
 * (or interpreted) event functions (ir/ir.h, struct ir_plastic and ir_event_fn).
 *
 * Storage of one plastic projection (DESIGN.md §6):
 *   per synapse   float columns in CSR order, next to the targets; the weight is the CSR's own w column
 *                 (net.c always stores it, with 32-bit targets, for a plastic projection);
 *   per target    double columns, one value per target neuron, and the step of its last post event;
 *   per source    double columns and the step of the last pre event, one copy per thread: every thread
 *                 sees every spike of the source (it delivers to its own targets), so each keeps its own
 *                 copy up to date and none writes another's (results do not depend on the thread count);
 *   per-synapse delays (ir_plastic.syn_last): no per-source states; the step of the last pre event is a
 *                 double per synapse (syn_last, shared by the threads: each writes only its targets'
 *                 synapses), 8 more bytes per synapse with the 2-byte delay;
 *   the index     for target j, the ids of its incoming synapses in increasing source order (uint32 per
 *                 synapse, built once with the CSR); a post event finds their sources by bisection of the
 *                 CSR row offsets, so the index costs 4 bytes per synapse: 12 bytes per synapse with the
 *                 target and the weight.
 * Owns: that storage.  Must not: print, or know how the event functions were made.
 */
#ifndef BN_RT_PLASTIC_H
#define BN_RT_PLASTIC_H

#include "compiler/ir/ir.h"
#include "runtime/net.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct rt_plastic {
    const struct ir_plastic *ir;
    int nt;
    int64_t npre, npost, nsyn;
    float **syn;           /* nstates: per-synapse columns (syn[0] is the conn's w), NULL elsewhere */
    double **post;         /* nstates: per-target columns, NULL elsewhere */
    double *post_last;     /* npost */
    double ***pre;         /* [nt][nstates]: per-source columns, NULL elsewhere */
    double **pre_last;     /* [nt][npre] */
    double *syn_last;      /* nsyn: last pre event per synapse (ir->syn_last), else NULL */
    int64_t *in_row;       /* npost + 1 */
    uint32_t *in_syn;      /* nsyn */
    uint32_t **scratch;    /* [nt]: sources of one target's incoming synapses (largest in-degree) */
};

/* Builds the storage of plastic projection p (projection j of the model) over its built CSR c for nt
 * threads.  A random initial value (always of a per-synapse state) is drawn per synapse i -> t from (seed,
 * RT_STREAM_PLINIT j, i * Npost + t; rng.h), so it depends neither on nt nor on a split of the targets.  False with a message (and pl freed) when out of
 * memory, a drawn value is not finite, or the projection is too large for 32-bit synapse ids. */
bool rt_plastic_init(struct rt_plastic *pl, const struct ir_proj *p, int j, struct rt_conn *c, int nt, uint64_t seed,
                     char *err, size_t errlen);
void rt_plastic_free(struct rt_plastic *pl);

/* Pre events of step t: spikes idx[0..n) of the source arrive at the synapses of targets [lo, hi) that
 * thread tid owns.  post_vars: the target population's columns; ev: the projection's event functions.
 * Targets, lo, hi and post_vars count from c->post0 (net.h: a part of a split network stores the synapses
 * onto its own targets only). */
void rt_plastic_pre(struct rt_plastic *pl, const struct ir_kernel *ev, const struct rt_conn *c,
                    double *const *post_vars, const uint32_t *idx, int64_t n, int64_t lo, int64_t hi, int tid,
                    int64_t t);
/* Pre events of step t on a projection with per-synapse delays (c->d): spikes idx[0..n) of the source,
 * emitted in step t - d, arrive now at their synapses whose delay is d steps, among the targets [lo, hi)
 * that thread tid owns (one event call per synapse, in row order). */
void rt_plastic_pre_delayed(struct rt_plastic *pl, const struct ir_kernel *ev, const struct rt_conn *c,
                            double *const *post_vars, const uint32_t *idx, int64_t n, int64_t lo, int64_t hi, int tid,
                            int64_t t, int d);
/* Post events: the targets idx[0..n) (owned by thread tid; indices in the whole population) spiked in step t;
 * post_vars counts from c->post0, as above. */
void rt_plastic_post(struct rt_plastic *pl, const struct ir_kernel *ev, const struct rt_conn *c,
                     double *const *post_vars, const uint32_t *idx, int64_t n, int tid, int64_t t);

/* Bytes per synapse and per neuron of plastic projection p's event state and index (estimates). */
double rt_plastic_bytes_per_synapse(const struct ir_plastic *p);

#endif
