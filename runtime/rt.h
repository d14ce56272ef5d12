/*
 * rt.h - the simulation runtime: builds the network of one IR model, runs it with the kernels of either
 * engine, and hands back the statistics.  Plain C: no LLVM, no compiler headers beyond the IR data.
 *
 * Reproducibility: every random number is drawn from Philox keyed by (seed, stream, entity, counter), see
 * runtime/rng.h, so the same seed gives the same network, inputs and spikes whatever the thread count.
 */
#ifndef BN_RT_H
#define BN_RT_H

#include "compiler/ir/ir.h"
#include "runtime/stats.h"
#include "runtime/table.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct rt_options {
    int threads;              /* threads for one network (neurons split over them); <= 1: single */
    int64_t neurons_per_thread; /* a network gets at most neurons / this threads (0: RT_NEURONS_PER_THREAD) */
    double max_rate_hz;       /* guard: population rate above this over 100 ms stops the run (0: 1000 Hz) */
    size_t mem_limit;         /* bytes; 0: 90 % of MemAvailable */
    bool verbose;
    /* Optional spike sink for tests and rasters: called after each step with the population index and the
     * indices of the neurons that spiked (in increasing order). */
    void (*on_spikes)(void *ctx, int pop, int64_t step, const uint32_t *idx, int64_t n);
    void *on_spikes_ctx;
    bool on_spikes_inputs;    /* also report input spikes, as pop = npops + input index (before the pops) */
    volatile int *cancel;     /* when non-NULL and set, the run stops early (Ctrl-C) and fails */
    /* Recordings for plots (runtime/trace.h): written at the end of the run to
     * trace_dir/traces/p<trace_point>-t<trace_trial>-<population>-<name>.csv.  NULL: not recorded. */
    const char *trace_dir;
    int trace_point, trace_trial;
    /* Keep the recordings in memory as tables (rt_run_take_tables), with or without trace_dir. */
    bool keep_traces;
    /* Called after a successful run for every plastic projection j with its final weights: synapse k of
     * source i (row[i] <= k < row[i + 1]) reaches target tg[k] with weight w[k] (internal units).  Not
     * called when the network is split over parts (each has only its targets' synapses; a `weights`
     * recording gathers them to part 0). */
    void (*on_weights)(void *ctx, int proj, int64_t npre, const int64_t *row, const uint32_t *tg, const float *w);
    void *on_weights_ctx;
    /* Kernels that are still being compiled (api/item.c: the JIT compiles while the network is built): when
     * set, rt_run's kernels may be NULL, and this is called once the network is built, before the first
     * step; it returns the kernels, or NULL with a message in err to fail the run.  The wait counts in
     * neither build_ms nor sim_ms. */
    const struct ir_kernel *(*kernels_ready)(void *ctx, char *err, size_t errlen);
    void *kernels_ctx;
    /* One network split over `parts` processes (docs/cluster.md, "One network over ranks"); this one is
     * part `part` (0-based) and owns the neurons of the global chunks part*T .. part*T + T - 1 of every
     * population (T = its threads; every part must get the same threads) and the synapses onto them.
     * parts <= 1: the whole network here, and exchange is not called.
     * exchange: every part calls it at the same points with its own bytes; it returns the parts' buffers
     * concatenated in part order, sizes[r] bytes each (sizes has `parts` entries), valid until the next
     * call; with to_first only part 0 needs the result (the others may get any non-NULL pointer).  NULL:
     * the exchange failed (the run fails).  Called by one thread of the part at a time.  Spike lists go
     * through it every dmin steps (the smallest delay, in steps, of a projection from a population), the
     * stop decisions with them; the per-neuron statistics once at the end (to_first): only part 0 has the
     * run's rows.  on_spikes is called on every part with the complete lists, after each exchange. */
    int part, parts;
    const void *(*exchange)(void *ctx, const void *send, size_t bytes, bool to_first, size_t *sizes);
    void *exchange_ctx;
    /* The threads' load balance (bn_run_options.balance_every, runtime/layout.c): steps between checks,
     * 0: RT_BALANCE_EVERY, < 0: never; shuffle: move the bounds at every check (tests). */
    int64_t balance_every;
    bool balance_shuffle;
};

/* Below this many neurons per thread a second thread costs more than it saves (docs/performance.md, "Two
 * threads": the paper network at N = 4000 and COBA (4000 neurons) run slower on 2 threads, N = 8000
 * gains 1.17x, N = 15000 1.4-1.7x). */
#define RT_NEURONS_PER_THREAD 3000
#define RT_BALANCE_EVERY 1000

struct rt_timing {
    double build_ms;          /* network construction */
    double sim_ms;            /* simulation loop */
    int64_t synapses;         /* stored synapses */
    int threads;              /* threads the network's neurons were split over */
    size_t bytes_synapses;    /* memory of connectivity */
    size_t bytes_total;       /* estimate of all runtime memory */
    double exchange_ms;       /* parts > 1: time in exchange calls (waiting for the other parts included) */
    double exchange_bytes;    /* parts > 1: bytes this part sent, spike lists and statistics */
};

struct rt_run;               /* results of one run; owns the stats */

/* Runs the model.  kernels[i] updates model->pops[i]; kernels[npops + j] holds plastic projection j's event
 * functions (ir_kernel_count(m) entries); NULL with opt->kernels_ready.  Returns NULL on failure with a message in err
 * (guards: "population E: V of neuron 17 is NaN at t = 12.3 ms"; memory: "network needs 30.1 GB, 21.0 GB
 * available"; missing spike file...). */
struct rt_run *rt_run(const struct ir_model *m, const struct ir_kernel *kernels, uint64_t seed,
                      const struct rt_options *opt, char *err, size_t errlen);
int rt_run_rows(struct rt_run *r, const struct stat_row **rows);
const struct rt_timing *rt_run_timing(const struct rt_run *r);
/* Moves the run's recordings (kept with keep_traces; none otherwise) to out, which then owns them. */
void rt_run_take_tables(struct rt_run *r, struct rt_tables *out);
void rt_run_free(struct rt_run *r);

/* Memory estimate of the network (connectivity, state, queues, statistics) without building it, for one
 * part of `parts` (<= 1: the whole network): the synapses and delay rings fall as 1/parts, the rest
 * (state columns, queues, statistics: whole-population sized on every part) does not. */
size_t rt_estimate_bytes(const struct ir_model *m, int parts);

#endif
