/*
 * jit_machines.h - the process's target machines for compiling kernel parts, made ready ahead of time.
 *
 * A target machine's first module costs ~10-20 ms more CPU than the next ones (cg_warm.c).  A compile
 * thread takes a machine here, compiles its parts with it and gives it back, so the cost is paid once per
 * machine in the process instead of once per compile thread; jit_warm_start pays it for the first
 * machines on a thread of its own while the model is parsed and lowered.
 * Owns: the idle machines (kept until the process exits; at most JIT_MACHINES_MAX) and the warm-up thread.
 * Thread-safe.  A target machine is used by one thread at a time (LLVM's TargetMachine is not thread-safe),
 * so a machine is either idle here or held by exactly one taker.
 */
#ifndef BN_JIT_MACHINES_H
#define BN_JIT_MACHINES_H

#include "support/support.h"

#include <llvm-c/TargetMachine.h>

/* Idle machines kept: a compile uses at most 64 threads (jit.c), like one network. */
#define JIT_MACHINES_MAX 64

/* An idle host target machine (cg_host_machine settings): a warmed or used one when there is one, else
 * one the warm-up thread is finishing (waited for: it is further along than a new one), else a new one.
 * NULL with an error in d (may be NULL) when the host has no target. */
LLVMTargetMachineRef jit_machine_take(struct diags *d);

/* The process's host target machine for reading only (triple, data layout, CPU and features: what a part's
 * IR and cache key need), made once and shared by every thread, never used for code generation.  NULL
 * with an error in d (may be NULL) when the host has no target. */
LLVMTargetMachineRef jit_host_machine(struct diags *d);

/* Gives a machine from jit_machine_take back for the next compile (disposed when JIT_MACHINES_MAX are
 * idle).  NULL is allowed. */
void jit_machine_give(LLVMTargetMachineRef tm);

#endif
