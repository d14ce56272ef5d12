/*
 * jit.h - turns cg_modules into callable machine code with LLVM's ORC LLJIT, for the host CPU.
 *
 * Owns: one LLJIT instance (its execution session, JITDylib, object layer and the machine code in it).
 * Kernels looked up from a jit stay valid until jit_free.
 * Must not: share state between jit instances.  Several may exist at once (sweep points compiled in
 * parallel threads): each has its own LLJIT, and each cg_module its own LLVMContext.  LLVM's process-wide
 * initialisation happens once (cg_llvm_init, pthread_once).
 */
#ifndef BN_JIT_H
#define BN_JIT_H

#include "codegen/codegen.h"
#include "ir/ir.h"

struct jit;

/* An LLJIT for the host (CodeGenLevelAggressive) that resolves libm and the rest of the process, plus the
 * private "balnet.*" math symbols (cg_llvm.h).  NULL with an error in `d` on failure. */
struct jit *jit_create(struct diags *d);

/* Adds a module.  Consumes `cm` whether it succeeds or not (do not cg_free it afterwards).  Machine code is
 * generated lazily, at the first jit_lookup of a symbol of the module. */
bool jit_add(struct jit *j, struct cg_module *cm, struct diags *d);

/* The address of a kernel added earlier ("bn_pop_<i>"), compiling its module if needed; NULL if absent. */
ir_kernel_fn jit_lookup(struct jit *j, const char *name);

/* Disposes the LLJIT and all machine code in it.  NULL is allowed. */
void jit_free(struct jit *j);

/* Build + optimise + add + look up every population's kernel: kernels_out[i] (m->npops entries, ctx NULL)
 * for population i.  *out receives the jit that owns the code (jit_free it after the run).  *compile_ms
 * (may be NULL) receives the wall time of all of it: code generation, O3 and machine code.  Thread-safe. */
bool jit_compile_model(const struct ir_model *m, struct ir_kernel *kernels_out, struct jit **out, double *compile_ms,
                       struct diags *d);

#endif
