/*
 * jit_machines.h - the process's target machines for compiling kernel parts, kept between compiles.
 *
 * A target machine's first module costs ~10 ms more CPU than the next ones (its subtarget, the code
 * generator's tables; docs/performance.md, "Target machines kept between compiles").  A compile thread
 * takes a machine here at its first miss, compiles its parts with it and gives it back, so a process that
 * compiles several times (a sweep whose points have distinct kernels, a Python session) pays that once per
 * machine instead of once per compile thread.  A machine's code does not depend on what it compiled before
 * (the kernels' objects are byte-identical: tests/unit/test_codegen_cache.c, test_reused_machine_same_code).
 * Owns: the idle machines (kept until the process exits; at most JIT_MACHINES_MAX) and the host description.
 * Thread-safe.  A target machine is used by one thread at a time (LLVM's TargetMachine is not thread-safe
 * while it generates code), so a machine is either idle here or held by exactly one taker.
 */
#ifndef BN_JIT_MACHINES_H
#define BN_JIT_MACHINES_H

#include "support/support.h"

#include <llvm-c/TargetMachine.h>

/* Idle machines kept: a compile uses at most 64 threads (jit.c), like one network. */
#define JIT_MACHINES_MAX 64

/* The process's host target machine for reading only (triple, data layout, CPU and features: what a part's
 * IR and cache key need), made once and shared by every thread, never used for code generation.  NULL
 * with an error in d (may be NULL) when the host has no target. */
LLVMTargetMachineRef jit_host_machine(struct diags *d);

/* An idle host target machine (cg_host_machine settings) that compiled before, else a new one.  NULL with
 * an error in d (may be NULL) when the host has no target. */
LLVMTargetMachineRef jit_machine_take(struct diags *d);

/* Gives a machine from jit_machine_take back for the next compile (disposed when JIT_MACHINES_MAX are
 * idle).  NULL is allowed. */
void jit_machine_give(LLVMTargetMachineRef tm);

#endif
