/*
 * wrecord.h - recordings of plastic projections (`record PRE -> POST: ...`, ir_wrec in ir/ir.h): the final
 * weights (one row per synapse), the mean and variance of the weights over time, their histogram over
 * time, the mean of an event state over time, and the weight or an event state of K followed synapses over
 * time (min(K, nsyn) synapses evenly spaced in CSR order: synapse floor(m nsyn / K) for m < K, a choice that
 * depends only on the network, so not on the thread count), written as CSV files next to the other recordings
 * (DIR/traces/p<point>-t<trial>-<PRE>-<POST>-<name>.csv, runtime/trace.h's writer).
 *
 * Sampling: at t = 0 and after every `every` (rounded to whole steps, at least one) of the run, burn-in
 * included (plasticity acts from the first step); a sample after step t is stamped (t + 1) dt.  At most
 * TRACE_MAX_ROWS samples (or rows of a histogram) per file; past that the file ends with "# truncated".
 * An event state is shown brought forward to the sample time in closed form (as an event would see it);
 * per-source states are read from thread 0's copy (every thread's copy is the same).
 * Owns: the sample buffers.  Must not: print, or run while the threads are in a step (sim.c samples
 * between two barriers).
 */
#ifndef BN_RT_WRECORD_H
#define BN_RT_WRECORD_H

#include "compiler/ir/ir.h"
#include "runtime/net.h"
#include "runtime/plastic.h"
#include "runtime/table.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct wrecs;

/* NULL when out of memory (m->nwrecs must be > 0). */
struct wrecs *wrec_create(const struct ir_model *m, int64_t nsteps);
/* Samples after `done` steps (0: the initial state) for every recording due then. */
void wrec_sample(struct wrecs *w, int64_t done, const struct rt_conn *conns, const struct rt_plastic *pl);
/* Whether a recording of projection proj samples after `done` steps (wrec_sample would read it then), and
 * whether one reads its final weights (wrec_tables): when a split network gathers it (part.h). */
bool wrec_due(const struct wrecs *w, int proj, int64_t done);
bool wrec_at_end(const struct wrecs *w, int proj);
/* Whether projection proj has a recording at all. */
bool wrec_recorded(const struct wrecs *w, int proj);
/* Every recording as a table (runtime/table.h) appended to out; the final weights are read now.  False when
 * out of memory.  The tables are written as files by trace_write_tables. */
bool wrec_tables(const struct wrecs *w, const struct rt_conn *conns, struct rt_tables *out);
void wrec_free(struct wrecs *w);

#endif
