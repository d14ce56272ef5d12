/*
 * jit_plain.h - a population's plain kernel (ir_kernel_fn) run by its compiled accumulating kernel, for the
 * populations whose plain kernel is not compiled (cg_plain_from_acc, codegen.h).
 *
 * The runtime calls the plain kernel on the steps whose statistics are not summed (burn-in, the first step
 * after it).  The accumulating kernel computes the same variables, observables and spike flags (ir/ir.h:
 * step 8 only adds to the accumulator columns), so running it with throw-away accumulator columns on the
 * stack gives the plain kernel's results bit for bit, chunk by chunk.  Owns: nothing (a jit_plain is part of
 * the struct jit that holds the kernel).  Must not: be used for a population with noise variables (their key
 * is the neuron index, which the chunks shift).
 */
#ifndef BN_JIT_PLAIN_H
#define BN_JIT_PLAIN_H

#include "ir/ir.h"

/* What the wrapper needs of one population: its compiled accumulating kernel and the columns' shapes. */
struct jit_plain {
    ir_kernel_acc_fn acc;
    int nvars, nobs, nacc_cols;
    bool single;                 /* variable columns hold floats (precision single) */
};

/* An ir_kernel_fn whose ctx is a struct jit_plain. */
void jit_plain_kernel(void *ctx, double *const *vars, double *const *obs, uint8_t *spiked, int64_t begin,
                      int64_t end, const struct ir_kenv *env);

#endif
