/*
 * cg_internal.h - state shared by the code generator's files (cg_module.c, cg_kernel.c, cg_expr.c).
 *
 * Owns: struct cg_module and the per-module emitter context (cached LLVM types, the builder, declared
 * intrinsics and libm functions).  Must not: be included outside compiler/codegen.
 */
#ifndef BN_CG_INTERNAL_H
#define BN_CG_INTERNAL_H

#include "codegen/cg_llvm.h"

/* Dispose order (cg_free): module, then the ThreadSafeContext that owns the LLVMContext. */
struct cg_module {
    LLVMOrcThreadSafeContextRef tsc;   /* owns ctx; NULL after cg_take_module */
    LLVMContextRef ctx;
    LLVMModuleRef mod;                 /* NULL after cg_take_module */
    int nkernels;
    char **names;                      /* malloc'd "bn_pop_<i>" */
    double build_ms, opt_ms;
    bool optimised;
};

enum cg_libm_fn {
#define X(name, arity) CG_LIBM_##name,
    CG_LIBM(X)
#undef X
    CG_LIBM_COUNT
};

struct cg_emitter {
    LLVMContextRef ctx;
    LLVMModuleRef mod;
    LLVMBuilderRef b;
    LLVMTypeRef f64, f32, i1, i8, i64, ptr;
    LLVMTypeRef fp;                    /* the arithmetic type of the expressions being emitted: f64, or f32
                                        * in a `precision = single` population's kernel (ir_evalf) */
    LLVMValueRef libm[CG_LIBM_COUNT];  /* declared lazily */
    LLVMTypeRef libm_ty[CG_LIBM_COUNT];
    struct diags *d;
    const struct ir_pop *pop;          /* for messages */
};

/* Emits e (semantics of ir_eval) with IR_VAR k read from vals[k]; NULL (with an error) on an op that cannot
 * appear in a kernel (RAND_*). */
LLVMValueRef cg_emit_expr(struct cg_emitter *em, const struct ir_expr *e, LLVMValueRef *vals);
/* The IR constant v in em->fp (rounded to float in a single-precision kernel, as ir_evalf does). */
LLVMValueRef cg_const(struct cg_emitter *em, double v);
/* Calls an LLVM intrinsic overloaded on its first argument's type ("llvm.fabs", "llvm.sqrt", ...). */
LLVMValueRef cg_intrinsic(struct cg_emitter *em, const char *name, LLVMValueRef *args, unsigned n);
/* ir_fmin (max false) or ir_fmax (max true), bit for bit. */
LLVMValueRef cg_fminmax(struct cg_emitter *em, LLVMValueRef a, LLVMValueRef b, bool max);
/* The loop-invariant words of the white-noise key (ir_noise_normal): seed halves, step mod 2^32 and
 * (step >> 32) << 16, all i32, computed once per kernel call from its struct ir_kenv. */
struct cg_noise_key {
    LLVMValueRef k0, k1, step_lo, step_hi16;
    LLVMValueRef clock;    /* (double)(env.step + 1): a single-precision t (ir.h, kernel step 2); NULL: unused */
};
/* ir_noise_normal(seed, pop, neuron, step, term) inline (cg_noise.c); neuron is the i64 loop index. */
LLVMValueRef cg_emit_noise(struct cg_emitter *em, const struct cg_noise_key *key, LLVMValueRef neuron, int pop,
                           int term);
/* Defines population `index`'s kernel function `name` in em->mod. */
bool cg_emit_kernel(struct cg_emitter *em, const struct ir_pop *p, int index, const char *name);
/* Defines plastic projection `proj`'s event functions "bn_proj_<proj>_pre" and "_post" (cg_event.c). */
bool cg_emit_events(struct cg_emitter *em, const struct ir_plastic *pl, int proj);

#endif
