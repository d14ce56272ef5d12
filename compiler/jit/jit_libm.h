/*
 * jit_libm.h - the symbols the kernels' objects import, resolved the same way by balnet's own loader
 * (jit_load.h) and by the LLJIT (jit_llvm.c): every "balnet.<fn>" of CG_LIBM (codegen.h) to the libm function
 * ir_eval calls, anything else to what the process exports (libm's log and the like).
 *
 * Must not: include llvm-c/ (a cache hit needs no LLVM).  Thread-safe (a constant table).
 */
#ifndef BN_JIT_LIBM_H
#define BN_JIT_LIBM_H

#include <stdint.h>

/* The number of "balnet.<fn>" symbols, and the i-th one's name and address. */
int jit_libm_count(void);
const char *jit_libm_name(int i);
uintptr_t jit_libm_addr(int i);

/* A "balnet.<fn>" symbol's address, else the process's global symbol `name` (dlsym); NULL if neither. */
void *jit_resolve_symbol(const char *name);

#endif
