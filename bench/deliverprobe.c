/*
 * deliverprobe.c - the constant-delay delivery loop alone (runtime/deliver.c), in ns per synaptic event
 * (docs/performance.md, "Paper network at N = 15000, issue 19").
 *
 * One projection shaped like the paper network's E -> E at N = 15000: 12000 sources, NPOST targets
 * (argument, default 12000), each pair present with p = 0.2 (sorted rows, 16-bit targets, constant weight),
 * so the rows (~55 MiB) do not fit in any cache, as in the run.  3000 steps of 8 spikes of random sources
 * each; between steps a sweep over 3.4 MiB stands for the neuron kernels (28 columns of 15000 doubles,
 * loaded and stored), which push the row offsets and the target column out of the caches, as in a run.
 * Prints the least thread CPU time of 7 passes per event, the sweeps not counted.  Measurements only,
 * nothing asserted.
 * Build: cc -O3 -march=native -std=gnu11 -ffp-contract=off -I. -Icompiler bench/deliverprobe.c
 *   runtime/deliver.c
 */
#include "runtime/deliver.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

enum { NPRE = 12000, STEPS = 3000, SPIKES = 8, PASSES = 7, SWEEP = 28 * 15000 };

static uint64_t rng_state = 88172645463325252ull;
static uint64_t xorshift(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static double thread_cpu(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    int64_t npost = argc > 1 ? atoll(argv[1]) : 12000;
    if (npost < 1 || npost >= 65536) {
        fprintf(stderr, "deliverprobe: NPOST must be in [1, 65535]\n");
        return 1;
    }
    struct rt_conn c = {.npre = NPRE, .npost = npost, .npost_all = npost, .sorted = true, .wconst = 0.3};
    c.row = malloc((NPRE + 1) * sizeof *c.row);
    c.t16 = malloc((size_t)((double)NPRE * (double)npost * 0.22 + 1024) * sizeof *c.t16);
    double *var = calloc((size_t)npost, sizeof *var);
    uint32_t *idx = malloc(sizeof *idx * STEPS * SPIKES);
    double *sweep = calloc(SWEEP, sizeof *sweep);
    if (!c.row || !c.t16 || !var || !idx || !sweep)
        return 1;
    int64_t k = 0;
    for (int64_t i = 0; i < NPRE; i++) {
        c.row[i] = k;
        for (int64_t t = 0; t < npost; t++)
            if ((double)(xorshift() >> 11) * 0x1p-53 < 0.2)
                c.t16[k++] = (uint16_t)t;
    }
    c.row[NPRE] = c.nsyn = k;
    for (int s = 0; s < STEPS; s++) {
        for (int q = 0; q < SPIKES; q++)
            idx[s * SPIKES + q] = (uint32_t)(xorshift() % NPRE);
        qsort(idx + s * SPIKES, SPIKES, sizeof *idx, cmp_u32);
    }
    struct ir_increment inc = {.var = 0, .scale = 1.0};
    struct ir_proj p = {.incs = &inc, .nincs = 1};
    double *const vars[1] = {var};
    double events = 0, best = 1e30;
    for (int s = 0; s < STEPS * SPIKES; s++)
        events += (double)(c.row[idx[s] + 1] - c.row[idx[s]]);
    for (int pass = 0; pass < PASSES; pass++) {
        double t = 0;
        for (int s = 0; s < STEPS; s++) {
            for (int64_t i = 0; i < SWEEP; i++)
                sweep[i] = 0.999 * sweep[i] + 1e-3;
            double t0 = thread_cpu();
            rt_deliver_now(&c, &p, vars, idx + s * SPIKES, SPIKES, 0, npost, 0, false);
            t += thread_cpu() - t0;
        }
        best = t < best ? t : best;
    }
    printf("deliverprobe (%g): %lld targets, %.0f events per pass: %.3f ns per event (least of %d passes)\n",
           sweep[SWEEP - 1], (long long)npost, events, 1e9 * best / events, PASSES);
    return 0;
}
