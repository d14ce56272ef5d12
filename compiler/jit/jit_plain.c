/*
 * jit_plain.c - the plain kernel as the accumulating kernel with throw-away accumulators (jit_plain.h).
 *
 * The neurons [begin, end) go through the accumulating kernel in chunks of at most JIT_PLAIN_CHUNK: for each
 * chunk every variable and observable column and the spike flags are passed from the chunk's first neuron
 * on, with the range [0, n), and the accumulator columns are one per-thread buffer, summed into by every
 * chunk and never read.  Shifting the columns keeps every pointer inside its array (the kernel indexes all columns
 * with the same i); only a noise key would see the shift, and populations with noise are not served here.
 * Cost against a compiled plain kernel: step 8's loads, adds and stores into the buffer (the paper model's
 * E kernel: ~20 % more time per call), on the steps without statistics only (docs/performance.md, issue 18).
 * Must not: print or allocate (it runs in the simulation loop).
 */
#include "jit/jit_plain.h"

#include "codegen/codegen.h"

#include <stddef.h>

/* Neurons per chunk (a multiple of every vector width) and the buffer: 32 KB, so that the chunk stays at
 * JIT_PLAIN_CHUNK up to 16 accumulator columns (the paper model has 9) and a chunk's columns stay in the
 * L1/L2 cache between the kernel's loads and stores. */
enum { JIT_PLAIN_CHUNK = 256, JIT_PLAIN_BUFFER = 4096 };

/* The throw-away sums, one buffer per thread (threads run the same kernel on different neurons at once).
 * Zero at the thread's start, then only ever summed into: a sum of observables over the steps and chunks
 * stays far from overflow, and the moments' shifts (never written by a kernel) stay 0.  Not on the stack:
 * uninitialised stack memory can hold subnormal doubles, and arithmetic on them made the paper model's
 * current-based kernel 3x slower. */
static _Thread_local double buffer[JIT_PLAIN_BUFFER];

void jit_plain_kernel(void *ctx, double *const *vars, double *const *obs, uint8_t *spiked, int64_t begin,
                      int64_t end, const struct ir_kenv *env)
{
    const struct jit_plain *pl = ctx;
    double *acc[CG_PLAIN_MAXCOLS], *v[CG_PLAIN_MAXCOLS], *o[CG_PLAIN_MAXCOLS];
    int64_t chunk = pl->nacc_cols > 0 ? JIT_PLAIN_BUFFER / pl->nacc_cols : JIT_PLAIN_CHUNK;
    chunk = chunk > JIT_PLAIN_CHUNK ? JIT_PLAIN_CHUNK : chunk < 1 ? 1 : chunk;
    for (int k = 0; k < pl->nacc_cols; k++)
        acc[k] = buffer + (ptrdiff_t)k * chunk;
    const size_t vsize = pl->single ? sizeof(float) : sizeof(double);
    for (int64_t from = begin; from < end; from += chunk) {
        int64_t n = end - from < chunk ? end - from : chunk;
        for (int k = 0; k < pl->nvars; k++)
            v[k] = (double *)(void *)((char *)vars[k] + (size_t)from * vsize);
        for (int k = 0; k < pl->nobs; k++)
            o[k] = obs[k] + from;
        pl->acc(NULL, v, o, acc, spiked + from, 0, n, env);
    }
}
