/*
 * stats.h - online statistics of one simulation (one sweep point, one trial), SCIENCE.md §3, DESIGN.md §4.
 *
 * Owns: the accumulators of every struct ir_record of the model, and the final values.  Memory does not
 * grow with the number of steps, except the per-window spike counts needed by fano and count_corr
 * (N neurons x W windows, 16-bit), which is the minimum the definitions allow.
 * Must not: print, exit, or know how spikes are produced (it only sees the spike lists and observables
 * the kernels wrote).  Accumulation is in double precision with a per-neuron shift (the first post-burn-in
 * sample) so the variance of V ~ -60 mV +- 3 mV loses no digits.
 *
 * Contract with the simulation loop (runtime/sim.c):
 *   stats_pop_step() is called once per step per population, after that population's kernel ran, for
 *   every step 0 <= step < nsteps (the stats ignore the steps before their start themselves: the burn-in,
 *   or count_corr's `from`).  The call for one (pop, step) may be split into disjoint [begin, end) neuron
 *   ranges executed by different threads at the same time; the stats must then touch only per-neuron state
 *   of that range.  Anything pooled over neurons is computed in stats_finish(), in neuron order, so results
 *   do not depend on thread count.
 */
#ifndef BN_RT_STATS_H
#define BN_RT_STATS_H

#include "compiler/ir/ir.h"
#include "runtime/layout.h"

#include <stdbool.h>
#include <stdint.h>

struct stats;

/* One value of points.csv: population (or "all"), statistic name, value in display units, unit. */
struct stat_row {
    const char *population;
    const char *statistic;
    double value;          /* NaN when undefined (e.g. cv_isi of a silent population) */
    const char *unit;      /* "Hz", "mV^2", "1", ... */
};

/* NULL when out of memory. dt in ms.  lays: per model population, where its neurons sit in the columns
 * (layout.h), the observables' and the statistics' own field-major accumulators alike; read in place (the
 * runtime moves the bounds with stats_move_slots); NULL: one thread. */
struct stats *stats_create(const struct ir_model *m, int64_t nsteps, int64_t burn_steps,
                           const struct rt_layout *lays);
/* spikes[0..nspikes): the neurons of [begin, end) that spiked this step, in increasing order (the
 * runtime's compacted list, so spike-driven statistics cost nothing for silent neurons). */
/* kernel_summed: the kernel was called with stats_kernel_acc's columns for this step (so the samples of the
 * fused statistics are already added).  obs: the population's columns (not shifted); tid: the thread whose
 * chunk [begin, end) is (its slots, layout.h). */
void stats_pop_step(struct stats *s, int pop, int64_t step, const uint32_t *spikes, int64_t nspikes,
                    double *const *obs, bool kernel_summed, int64_t begin, int64_t end, int tid);
/* The accumulator columns of population pop's ir_pop.accums when its kernel is to add step `step`'s samples
 * itself (kernel step 8, ir.h; call the kernel's fn_acc with them), or NULL: then stats_pop_step does.
 * Either way the sums are the same, bit for bit.  Thread tid's columns are shifted to its slots (layout.h),
 * so the kernel indexes them by neuron. */
double *const *stats_kernel_acc(const struct stats *s, int pop, int64_t step, int tid);
/* The runtime moved population pop's thread bounds from old to new (layout.h): the field-major columns'
 * values of the neurons that changed threads go to their new slots (scratch: rt_layout_moved doubles). */
void stats_move_slots(struct stats *s, int pop, const struct rt_layout *old, const struct rt_layout *new,
                      void *scratch);
/* Computes every statistic; returns the number of rows, *rows owned by s.  Rows come in the order
 * records, then populations as listed in the record (then "all" when pooled), then statistics. */
int stats_finish(struct stats *s, const struct stat_row **rows);
void stats_free(struct stats *s);

/* One network split over parts (rt.h): a part fills the accumulators of its own neurons only, [lo[p],
 * hi[p]) of every model population p.  stats_part_pack writes those as bytes (stats_part_bytes of them);
 * part 0 copies every other part's into its own with stats_part_unpack (the same lo, hi), and then
 * stats_finish pools the whole population in neuron order, as one process does. */
size_t stats_part_bytes(const struct stats *s, const int64_t *lo, const int64_t *hi);
void stats_part_pack(const struct stats *s, const int64_t *lo, const int64_t *hi, unsigned char *buf);
void stats_part_unpack(struct stats *s, const int64_t *lo, const int64_t *hi, const unsigned char *buf);


/* ---- spike-count correlation (SCIENCE.md §3), exposed for tests and for pooling --------------------
 * The count vector of neuron i is counts[i*stride + first .. i*stride + last).  Neurons with keep[i] == 0
 * (keep may be NULL: all kept) and neurons whose counts have zero variance are excluded.
 * stat_corr_accumulate adds each kept neuron's z-scored vector (zero mean, unit norm) to zsum[0..last-first),
 * its squared norm to *zz and 1 to *used; stat_corr_finish turns those sums into the mean off-diagonal
 * Pearson correlation (|sum z|^2 - sum |z|^2) / (n (n - 1)), NaN when fewer than 2 neurons were used. */
void stat_corr_accumulate(const uint16_t *counts, int64_t n, int64_t stride, int64_t first, int64_t last,
                          const uint8_t *keep, double *zsum, double *zz, int64_t *used);
double stat_corr_finish(const double *zsum, int64_t nwin, double zz, int64_t used);
/* Both in one call: the O(N W) estimator, and the O(N^2 W) pairwise definition it must equal (tests). */
double stat_count_corr(const uint16_t *counts, int64_t n, int64_t stride, int64_t first, int64_t last,
                       const uint8_t *keep);
double stat_count_corr_bruteforce(const uint16_t *counts, int64_t n, int64_t stride, int64_t first, int64_t last,
                                  const uint8_t *keep);

#endif
