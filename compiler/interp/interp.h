/*
 * interp.h - the reference interpreter: runs a population's kernel (semantics in ir/ir.h) by walking the
 * IR expression trees with ir_eval (ir_evalf for a `precision = single` population), one neuron at a time.
 *
 * Owns: nothing but a small context in the caller's arena.  It is the oracle the JIT is tested against
 * (bit for bit) and the baseline its speed-up is measured against, so it stays simple and obviously
 * correct rather than fast.
 * Must not: include LLVM headers, allocate per step, or keep state between calls (disjoint neuron ranges
 * may run concurrently on the same kernel).
 */
#ifndef BN_INTERP_H
#define BN_INTERP_H

#include "ir/ir.h"

/* A kernel for `pop`: fn is the interpreter loop, ctx points into `a` (it borrows `pop`, which must
 * outlive the kernel).  `dt` (ms) is kept for diagnostics only: the IR's updates are already discrete. */
struct ir_kernel interp_kernel(struct arena *a, const struct ir_pop *pop, double dt);

/* One step of one neuron, given its old state s[] (length pop->nvars): writes the new state to n[],
 * returns the spike flag and writes observables to o[] (length pop->nobs; may be NULL when nobs == 0).
 * The kernel is a loop around this; tests call it directly. */
bool interp_step(const struct ir_pop *pop, const double *s, double *n, double *o);

/* The event functions of a plastic projection (ir_kernel.pre/.post, ctx = pl, which must outlive them;
 * semantics in ir/ir.h, struct ir_plastic).  interp_event.c. */
struct ir_kernel interp_events(const struct ir_plastic *pl);

#endif
