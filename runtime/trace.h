/*
 * trace.h - optional recordings for plots: population rate time series, traces of an observable
 * of a few neurons, spike rasters of a subset, written to CSV files that do not grow without bound.
 *
 * Owns: the buffers of every IR_STAT_RATE_TRACE / IR_STAT_TRACE / IR_STAT_RASTER entry of the model's
 * records, and the files DIR/traces/p<point>-t<trial>-<population>-<name>.csv.
 * Must not: print, exit, or touch points.csv (stats.c skips these kinds; they produce no rows).
 *
 * What is recorded (after burn-in, i.e. steps burn_steps <= step < nsteps, like every statistic):
 *   rate_trace(bin)   bins of b = round(bin/dt) steps starting at burn_steps; only complete bins (a partial
 *                     last bin is dropped, as in stats.c, so the mean of the column equals the `rate`
 *                     statistic when the bins tile the run).  Row: bin start time, spikes of the population
 *                     in the bin / (N b dt), in Hz.  A pooled record ("all") also gets the rate pooled over
 *                     its listed populations.
 *   trace(x, neurons = k, every = e)  observable x of neurons 0 .. k-1 after the steps with
 *                     (step - burn_steps) % round(e/dt) == 0.  Row: time, neuron, value in display units.
 *   raster(neurons = k)  every spike of neurons 0 .. k-1.  Row: time, neuron.
 * Time convention: the state after step t and a spike emitted in step t are stamped (t + 1) dt, the end of
 * the step (so a V trace shows V_re at the time of the spike that reset it; `--spikes` prints step t).
 *
 * Bounds: each file holds at most limits.max_rows rows (rate_trace, trace; default TRACE_MAX_ROWS) or
 * limits.max_spikes spikes (raster; default TRACE_MAX_SPIKES).  Past the cap the recording stops and the
 * file ends with a comment line "# truncated: ...".  Buffers are sized by the cap, never by the duration.
 *
 * Files are written at the end of the run to DIR/traces/NAME.tmp, flushed to disk and renamed, so a file
 * that exists is complete.
 */
#ifndef BN_RT_TRACE_H
#define BN_RT_TRACE_H

#include "compiler/ir/ir.h"
#include "runtime/layout.h"
#include "runtime/table.h"

#include <stdbool.h>
#include <stdio.h>
#include <stddef.h>
#include <stdint.h>

#define TRACE_MAX_ROWS 100000
#define TRACE_MAX_SPIKES 1000000

struct trace_limits {
    int64_t max_rows;      /* rate_trace and trace rows per file; <= 0: TRACE_MAX_ROWS */
    int64_t max_spikes;    /* raster spikes per file; <= 0: TRACE_MAX_SPIKES */
};

struct traces;

/* True when some record of m has a recording (otherwise the runtime need not create anything). */
bool trace_any(const struct ir_model *m);
/* NULL when out of memory.  lim may be NULL (defaults).  lays: per model population, where its neurons sit
 * in the observable columns given to trace_step (layout.h), read in place; NULL: one thread. */
struct traces *trace_create(const struct ir_model *m, int64_t nsteps, int64_t burn_steps,
                            const struct trace_limits *lim, const struct rt_layout *lays);
/* Called once per population per step, after the population's kernel, with the indices of the neurons that
 * spiked in increasing order and the observable columns.  Single-threaded. */
void trace_step(struct traces *t, int pop, int64_t step, const uint32_t *spikes, int64_t nspikes,
                double *const *obs);
/* A network split over parts (part.h) takes trace_step in two halves: every part samples the observables
 * after each step (trace: each holds its own neurons' values), and the spike lists after the exchange
 * (rate_trace, raster: complete on every part).  Single-threaded. */
void trace_step_obs(struct traces *t, int pop, int64_t step, double *const *obs);
void trace_step_spikes(struct traces *t, int pop, int64_t step, const uint32_t *spikes, int64_t nspikes);
/* Then every part's trace values go to part 0 (rt_part_gather_traces): the bytes of one part's message,
 * the message, and, on part 0, a sender's message unpacked: the values of the neurons [lo[i], hi[i]) of
 * each population i, which that sender owns. */
size_t trace_part_bytes(const struct traces *t);
void trace_part_pack(const struct traces *t, void *buf);
void trace_part_unpack(struct traces *t, const int64_t *lo, const int64_t *hi, const void *buf);
/* Every recording of the run as a table (runtime/table.h), appended to out.  False when out of memory. */
bool trace_tables(const struct traces *t, struct rt_tables *out);
/* trace_tables, then trace_write_tables: every recording of the run as its CSV file. */
bool trace_write(const struct traces *t, const char *dir, int point, int trial, char *err, size_t errlen);
/* Writes each table as DIR/traces/p<point>-t<trial>-<who>-<name>.csv.  False with a message in err. */
bool trace_write_tables(const struct rt_tables *ts, const char *dir, int point, int trial, char *err,
                        size_t errlen);
/* Writes DIR/traces/p<point>-t<trial>-<who>-<name>.csv (names made file-safe) with body(f, ctx), under a
 * temporary name renamed when complete; creates the folders.  False with a message in err.  The one writer
 * of recording files (trace_write_tables uses it). */
bool trace_file_write(const char *dir, int point, int trial, const char *who, const char *name,
                      void (*body)(FILE *f, const void *ctx), const void *ctx, char *err, size_t errlen);
/* Number of recording tables trace_tables makes (for tests and messages). */
int trace_count(const struct traces *t);
void trace_free(struct traces *t);

#endif
