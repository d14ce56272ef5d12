/*
 * stats_step.h - feeds stats_pop_step from per-neuron spike flags, as the runtime does after compacting
 * them (tests of runtime/stats.c and runtime/trace.c build their spike trains as flags).
 */
#ifndef BN_TEST_STATS_STEP_H
#define BN_TEST_STATS_STEP_H

#include "runtime/stats.h"

#include <stdint.h>
#include <stdlib.h>

static inline void stats_step_flags(struct stats *s, int pop, int64_t step, const uint8_t *spiked,
                                    double *const *obs, int64_t begin, int64_t end)
{
    uint32_t *idx = malloc(((size_t)(end > begin ? end - begin : 0) + 1) * sizeof *idx);
    int64_t n = 0;
    for (int64_t i = begin; i < end; i++)
        if (spiked[i])
            idx[n++] = (uint32_t)i;
    stats_pop_step(s, pop, step, idx, n, obs, false, begin, end, 0);
    free(idx);
}

#endif
