/*
 * part.h - one network split over parts (rt.h's part, parts and exchange; docs/cluster.md, "One network
 * over ranks"): which neurons a part owns, and what the parts exchange.
 *
 * Ownership: a population of n neurons is cut into parts x T chunks by rt_chunk_of (layout.h; T = threads
 * per part); part r owns the global chunks r T .. r T + T - 1, one per thread, so its neurons are one
 * contiguous range and a single process (parts = 1) is the T chunks of today.  The spike queues (deliver.h)
 * have one segment per global chunk: a part's threads fill their own, and the exchange writes each other
 * part's list into its first segment, so a list read in segment order is the single-process list and every
 * sum is the same.
 *
 * Exchange, every dmin steps (the interval's spikes are first delivered dmin or more steps later): each part
 * sends one message, its first error and cancel step, then for every step of the interval and every
 * population the count and the indices of its own neurons that spiked.  Every part then has every list
 * and the same stop records, so all parts take the same stop decision at the same step.
 *
 * Weight recordings (wrecord.h) read a plastic projection in one process's synapse order (CSR: by source,
 * then target), which interleaves the parts' synapses, and sum over it in that order; so part 0 keeps a copy
 * of each recorded projection as one process has it: the rows (lengths and targets) are gathered once
 * before the run, the event states (weights, per-synapse and per-target states, last events) at every
 * sample and at the end.  Per-source states and last pre events are the same on every part (every part
 * sees every spike) and are part 0's own.  Part r's synapses of source i are, in one process's row i, after
 * those of parts 0 .. r-1 (the parts' targets are consecutive ranges and rows are sorted by target).
 *
 * Owns: the message format and buffers, the statistics', traces' and recorded projections' gathering to
 * part 0.  Must not: know how the exchange travels (MPI lives in cli/), print, or run kernels.
 */
#ifndef BN_RT_PART_H
#define BN_RT_PART_H

#include "compiler/ir/ir.h"
#include "runtime/deliver.h"
#include "runtime/layout.h"
#include "runtime/net.h"
#include "runtime/plastic.h"
#include "runtime/rt.h"
#include "runtime/stats.h"
#include "runtime/trace.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The neurons [b, e) part r of `parts` owns (nt threads each). */
void rt_part_range(int64_t size, int r, int parts, int nt, int64_t *b, int64_t *e);

/* The first error a part saw (step INT64_MAX: none); kinds are sim.c's. */
struct rt_part_err {
    int64_t step, kind, pop, var, input, neuron, isnan;   /* input: -1 unless an input failed */
};
/* a is reported before b: the earlier step; then an input's error; then population, variable (the order
 * of a single process's message; part order, i.e. neuron order, breaks the remaining ties). */
static inline bool rt_part_err_before(const struct rt_part_err *a, const struct rt_part_err *b)
{
    if (a->step != b->step)
        return a->step < b->step;
    if ((a->input >= 0) != (b->input >= 0))
        return a->input >= 0;
    return a->pop < b->pop || (a->pop == b->pop && a->var < b->var);
}

struct rt_part;
/* For model m split as opt->part of opt->parts, nt threads each, exchanging every dmin steps. */
struct rt_part *rt_part_create(const struct ir_model *m, const struct rt_options *opt, int nt, int64_t dmin);
void rt_part_free(struct rt_part *x);

/* Thread 0 of each part, at the end of the interval of steps [t0, t1]: sends its own segments of every
 * qpop list of those steps, its first error `mine` and cancel step; writes the other parts' lists into
 * their segments of qpop; returns the first error of all parts (min step; then inputs, population,
 * variable, part order) in *first, the earliest cancel step in *cancel, and in *counts (valid until the
 * next call) the total spikes of step t0 + k of population i at counts[k * npops + i].  False when the
 * exchange failed. */
bool rt_part_exchange(struct rt_part *x, struct rt_spikeq *qpop, int64_t t0, int64_t t1, const struct rt_part_err *mine,
                      int64_t cancel, struct rt_part_err *first, int64_t *cancel_all, const int64_t **counts);
/* Every part's per-neuron statistics to part 0 (stats_part_pack), which then holds the whole population's. */
bool rt_part_gather_stats(struct rt_part *x, struct stats *st);
/* Every part's trace values (trace.h: its own neurons') to part 0, which then holds every recorded neuron's;
 * rate_trace and raster need nothing (every part saw every spike). */
bool rt_part_gather_traces(struct rt_part *x, struct traces *t);
/* Plastic projection j (built as c, pl on this part) for the weight recordings: every part sends its row
 * lengths and targets (nothing when !ready, i.e. it failed to build: part 0 then fails too), and part 0
 * makes its copy (part.h), read by rt_part_copy_conns / rt_part_copy_plastic.  Called by every part for
 * the same projections. */
bool rt_part_copy_rows(struct rt_part *x, int j, const struct rt_conn *c, const struct rt_plastic *pl, bool ready);
/* Every part's event states of projection j to part 0's copy (after rt_part_copy_rows). */
bool rt_part_copy_states(struct rt_part *x, int j, const struct rt_conn *c, const struct rt_plastic *pl);
/* Part 0: the copies, indexed by projection (only the copied ones filled); NULL on the other parts. */
const struct rt_conn *rt_part_copy_conns(const struct rt_part *x);
const struct rt_plastic *rt_part_copy_plastic(const struct rt_part *x);
/* Every part says whether it is ready to run (ok, else its message in err): false on every part, with
 * "part r: message" of the first part that is not, when any is not.  opt alone: usable before anything
 * else is built. */
bool rt_part_agree(const struct rt_options *opt, bool ok, char *err, size_t errlen, double *ms);
/* Time in exchange calls and bytes sent so far. */
double rt_part_ms(const struct rt_part *x);
double rt_part_bytes(const struct rt_part *x);

#endif
