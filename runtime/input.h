/*
 * input.h - external input populations: spike generators stepped once per time step (DESIGN.md §3).
 *
 *   independent Poisson (corr = 0): each neuron spikes in each step with probability rate*dt, drawn as
 *     geometric skips between spike steps (the exact discrete-time analogue of exponential ISIs), from a
 *     Philox key per (input, neuron), so no neuron's train depends on another's or on the thread count.
 *   correlated (corr = c > 0, SCIENCE.md "Correlated input"): a mother Poisson train at rate r/c; each
 *     neuron keeps each mother spike with probability c and shifts it by N(0, jitter^2).  Streamed with a
 *     look-ahead of 8 jitter sds into a ring of per-step buckets.
 *   file: rows "neuron,time_ms" of a CSV file.
 * Spike times are rounded to the nearest step; spikes before step 0 or from step nsteps on are dropped.
 *
 * Owns: generating each step's input spikes.  Must not: deliver them or print.
 */
#ifndef BN_RT_INPUT_H
#define BN_RT_INPUT_H

#include "compiler/ir/ir.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct rt_input;

/* Input number `index` of a model (for its RNG streams).  NULL with a message in err on failure
 * ("spikes.csv:12: time is not a number", "cannot open spikes.csv: No such file or directory"). */
struct rt_input *rt_input_create(const struct ir_input *in, int index, double dt, int64_t nsteps,
                                 uint64_t seed, char *err, size_t errlen);
/* The spikes of `step`; steps must be asked for in order 0, 1, 2, ...  Indices come in non-decreasing
 * order (an input neuron may appear twice when two of its spikes round to the same step; delivery then
 * counts both).  *idx stays valid until the next call.  Returns -1 when out of memory. */
int64_t rt_input_step(struct rt_input *g, int64_t step, const uint32_t **idx);
/* Bytes the generator will hold (for the memory estimate). */
size_t rt_input_bytes(const struct ir_input *in, double dt);
void rt_input_free(struct rt_input *g);

/* Reads a spike CSV into (step, neuron) pairs sorted by step then neuron: exposed for tests. */
bool rt_input_read_csv(const char *path, int64_t size, double dt, int64_t nsteps, int64_t **steps,
                       uint32_t **neurons, int64_t *n, char *err, size_t errlen);

#endif
