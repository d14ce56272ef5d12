/*
 * codegen.h - LLVM code generation: one IR model (one sweep point) -> one optimised LLVM module with one
 * fused, branch-free kernel per population (semantics in ir/ir.h).
 *
 * Owns: the cg_module (its LLVM context and module) until the JIT takes it (cg_take_module, jit/jit_llvm.c).
 * Must not: be included for its LLVM types (this header is LLVM-free; the LLVM-facing part is cg_llvm.h,
 * for compiler/jit only), print except through cg_print, or exit.  Everything but cg_parts.c's functions
 * (the parts, cg_plain_from_acc, cg_pipeline_id) lives in balnet-llvm.so when balnet is built with
 * BN_LLVM_MODULE (jit/jit_llvm.h): the rest of balnet reaches it only through the JIT's table.
 *
 * Generated kernel, one per population i (the ir_kernel_fn ABI of ir/ir.h):
 *     void bn_pop_<i>(i8* ctx, double** vars, double** obs, i8* spiked, i64 begin, i64 end)
 * ctx is ignored.  Contract with the runtime: the columns vars[0..nvars), obs[0..nobs) and spiked are
 * distinct, non-overlapping arrays (the kernel treats them as noalias so that LLVM can vectorise).
 *
 * Bit-identity with the interpreter: every IR node becomes exactly one IEEE instruction, one call to the
 * same libm function ir_eval calls, or (IR_EXP) the same sequence of IEEE operations as ir_exp(); no
 * fast-math flags; no vector math library.  See cg_expr.c for the two
 * places where LLVM's own knowledge of libm had to be kept out (pow and the trigonometric functions).
 */
#ifndef BN_CODEGEN_H
#define BN_CODEGEN_H

#include "ir/ir.h"

#include <stdio.h>

struct cg_module;

/* Builds, verifies (LLVMVerifyModule) and optimises (new pass manager, the kernel pipeline CG_PIPELINE of
 * cg_module.c, host CPU) the module for `m`.  Returns NULL with errors in `d` on failure.  Thread-safe:
 * each call has its own LLVMContext. */
struct cg_module *cg_build(const struct ir_model *m, struct diags *d);

/* Like cg_build but with a pass pipeline of the caller's choice ("default<O0>", "default<O2>", ...);
 * NULL or "" skips optimisation (for dumps of the unoptimised code and for tests). */
struct cg_module *cg_build_with(const struct ir_model *m, const char *pipeline, struct diags *d);

/* The parts of m's code that compile independently, each in a module (and LLVMContext) of its own, so that
 * threads can compile them at once and the kernel cache can keep each on its own (jit/jit.h): a population's
 * accumulating kernel bn_pop_<i>.acc, its plain kernel bn_pop_<i> unless cg_plain_from_acc, a plastic
 * projection's bn_proj_<j>_pre and _post.  Accumulating kernels come first: they are the largest. */
int cg_part_count(const struct ir_model *m);

/* Part `part` of m: a population's accumulating kernel, its plain kernel, or a plastic projection's events,
 * with the population's or projection's number in *index.  False past the last part. */
enum cg_part_kind { CG_PART_ACC, CG_PART_KERNEL, CG_PART_EVENTS };
bool cg_part_of(const struct ir_model *m, int part, enum cg_part_kind *kind, int *index);

/* Whether population p's plain kernel is not compiled, because its accumulating kernel serves for it: the
 * plain kernel is the accumulating one without step 8 (ir/ir.h), so running the accumulating kernel with
 * throw-away accumulator columns gives the same variables, observables and spike flags bit for bit, and
 * compiling it cost ~10 ms of a cold compile (docs/performance.md, issue 18).  The JIT then hands the
 * runtime such a wrapper as the plain kernel (jit_plain.h).  Not for a population with white noise (the
 * wrapper shifts the columns to the start of each chunk, and the noise key is the neuron's index) or with
 * more than CG_PLAIN_MAXCOLS columns of a kind. */
bool cg_plain_from_acc(const struct ir_pop *p);
/* The most variable, observable or accumulator columns such a population has (the wrapper's arrays). */
#define CG_PLAIN_MAXCOLS 512

/* Runs the kernel pipeline on a module built unoptimised (cg_build_with(m, NULL, d)); a no-op on a module
 * that is already optimised (cg_build's), so callers may always call it before cg_print.  False if the pipeline
 * failed (cannot happen for the fixed pipeline short of an LLVM bug; the module is then unoptimised). */
bool cg_optimise(struct cg_module *cm);

/* Everything after the LLVM IR that decides the machine code: the pass pipeline with its options and the
 * host target machine's settings (not the CPU, which the caller reads from the machine).  Part of the key
 * of the kernel cache (jit/jit_cache.h), so a change here must change this string. */
const char *cg_pipeline_id(void);
/* The kernel pass pipeline (new pass manager syntax), run by cg_build and cg_optimise. */
#define CG_PIPELINE                                                                                         \
    "always-inline,function(early-cse,instcombine,simplifycfg,loop(indvars),loop-vectorize,instcombine,"   \
    "simplifycfg)"

/* The population whose kernel part `part` is (*acc: its accumulating kernel bn_pop_<i>.acc, else bn_pop_<i>);
 * -1 for a plastic projection's events or past the last part.  LLVM-free, like cg_part_count: the kernel
 * cache's keys (jit/jit_key.h) follow this partition. */
int cg_part_population(const struct ir_model *m, int part, bool *acc);

/* The module's textual LLVM IR (after optimisation), for `balnet dump --emit=llvm`. */
void cg_print(FILE *out, const struct cg_module *cm);

/* Name of population `pop`'s kernel in the module: "bn_pop_<pop>". */
const char *cg_kernel_name(const struct cg_module *cm, int pop);
int cg_kernel_count(const struct cg_module *cm);

/* Milliseconds spent building the IR and optimising it, for -v and run.json. */
double cg_build_ms(const struct cg_module *cm);
double cg_opt_ms(const struct cg_module *cm);

/* Frees a module (one taken by cg_take_module: only the bookkeeping). */
void cg_free(struct cg_module *cm);

/*
 * libm functions called under a private symbol name "balnet.<name>" that the JIT binds to the address of
 * the very function ir_eval calls (jit.c, LLVMOrcAbsoluteSymbols).  Why private names: LLVM recognises
 * `pow`, `sin`, `cos` (and the llvm.pow intrinsic) and rewrites them without fast-math, e.g. pow(x, 2.0) ->
 * x*x, pow(x, 0.5) -> sqrt(x), pow(2.0, x) -> exp2(x), sin(x) + cos(x) -> sincos(x).  Each rewrite is
 * accurate, but glibc's pow is not correctly rounded (< 0.52 ulp), so a rewrite could change the last bit
 * and break the bit-identity contract with the interpreter.  Under a name LLVM does not know, the call is
 * left alone.  log, sqrt and fabs stay LLVM intrinsics (llvm.log lowers to a call of libm `log` and has no
 * value-changing rewrites without fast-math; sqrt and fabs are exact IEEE operations).  exp is not a call
 * at all: cg_expr.c emits ir_exp's branch-free operations inline, so EIF kernels vectorise.  MIN/MAX are
 * compares and a select (cg_fminmax), not llvm.minnum, whose +0/-0 result is unspecified.
 *     X(c function, arity)
 */
#define CG_LIBM(X) \
    X(pow, 2)      \
    X(expm1, 1)    \
    X(tanh, 1)     \
    X(sin, 1)      \
    X(cos, 1)
#define CG_LIBM_PREFIX "balnet."

#endif
