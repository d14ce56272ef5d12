/*
 * cg_module.c - one LLVM module per IR model, or per part of one (cg_part_count): context, host target,
 * kernels, verification, the kernel pass pipeline (CG_PIPELINE), printing, and hand-over to the JIT.
 *
 * Owns: LLVM process initialisation (once, pthread_once) and the cg_module lifecycle.
 * Ownership and dispose order: a cg_module owns a ThreadSafeContext (which owns the LLVMContext) and the
 * module built in it.  cg_free disposes the module, then the context.  cg_take_module moves both out (to
 * the JIT's compile_object, jit/jit_llvm.c, which emits the object and disposes them).
 * Must not: print (except cg_print), or share an LLVMContext between calls: every cg_build creates its own,
 * so sweep points can compile in parallel threads.
 */
#include "codegen/cg_internal.h"
#include "support/util.h"

#include <llvm-c/Analysis.h>
#include <llvm-c/Error.h>
#include <llvm-c/Target.h>
#include <llvm-c/Transforms/PassBuilder.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static pthread_once_t llvm_once = PTHREAD_ONCE_INIT;

static void llvm_init_once(void)
{
    LLVMInitializeNativeTarget();
    LLVMInitializeNativeAsmPrinter();
    LLVMInitializeNativeAsmParser();
}

void cg_llvm_init(void)
{
    pthread_once(&llvm_once, llvm_init_once);
}

void cg_report_error(struct diags *d, LLVMErrorRef err, const char *what)
{
    if (!d) {
        LLVMConsumeError(err);
        return;
    }
    char *msg = LLVMGetErrorMessage(err);   /* consumes err */
    diag_error(d, SPAN_NONE, "%s: %s", what, msg);
    LLVMDisposeErrorMessage(msg);
}

LLVMTargetMachineRef cg_host_machine(struct diags *d)
{
    cg_llvm_init();
    char *triple = LLVMGetDefaultTargetTriple();
    char *err = NULL;
    LLVMTargetRef target;
    LLVMTargetMachineRef tm = NULL;
    if (LLVMGetTargetFromTriple(triple, &target, &err)) {
        if (d)
            diag_error(d, SPAN_NONE, "no LLVM target for host '%s': %s", triple, err ? err : "?");
        LLVMDisposeMessage(err);
    } else {
        char *cpu = LLVMGetHostCPUName(), *features = LLVMGetHostCPUFeatures();
        tm = LLVMCreateTargetMachine(target, triple, cpu, features, LLVMCodeGenLevelAggressive, LLVMRelocPIC,
                                     LLVMCodeModelJITDefault);
        if (!tm && d)
            diag_error(d, SPAN_NONE, "cannot create a target machine for '%s' (cpu %s)", triple, cpu);
        LLVMDisposeMessage(cpu);
        LLVMDisposeMessage(features);
    }
    LLVMDisposeMessage(triple);
    return tm;
}

void cg_free(struct cg_module *cm)
{
    if (!cm)
        return;
    if (cm->mod)
        LLVMDisposeModule(cm->mod);
    if (cm->tsc)
        LLVMOrcDisposeThreadSafeContext(cm->tsc);
    for (int i = 0; i < cm->nkernels; i++)
        free(cm->names[i]);
    free(cm->names);
    free(cm);
}

LLVMModuleRef cg_take_module(struct cg_module *cm, LLVMOrcThreadSafeContextRef *tsc)
{
    LLVMModuleRef m = cm->mod;
    *tsc = cm->tsc;
    cm->mod = NULL;
    cm->tsc = NULL;
    cm->ctx = NULL;
    return m;
}

/* Emits the whole model (part < 0) or one part of it. */
static bool emit_all(struct cg_module *cm, const struct ir_model *m, int part, struct diags *d)
{
    struct cg_emitter em = {.ctx = cm->ctx, .mod = cm->mod, .d = d};
    em.b = LLVMCreateBuilderInContext(cm->ctx);
    em.f64 = LLVMDoubleTypeInContext(cm->ctx);
    em.f32 = LLVMFloatTypeInContext(cm->ctx);
    em.i1 = LLVMInt1TypeInContext(cm->ctx);
    em.i8 = LLVMInt8TypeInContext(cm->ctx);
    em.i64 = LLVMInt64TypeInContext(cm->ctx);
    em.ptr = LLVMPointerTypeInContext(cm->ctx, 0);
    em.fp = em.f64;
    bool ok = true;
    enum cg_part_kind kind;
    int i;
    if (part < 0) {
        /* `precision = single` is per population (ir_pop.single): float columns and float arithmetic in its
         * kernels (cg_kernel.c sets em.fp); plastic projections' event functions compute in double. */
        for (i = 0; i < m->npops && ok; i++)
            ok = cg_emit_kernel(&em, &m->pops[i], i, cm->names[i]);
        for (int j = 0; j < m->nprojs && ok; j++)
            if (m->projs[j].plastic)
                ok = cg_emit_events(&em, m->projs[j].plastic, j);
    } else if (!cg_part_of(m, part, &kind, &i)) {
        diag_error(d, SPAN_NONE, "internal: model has no code part %d", part);
        ok = false;
    } else if (kind == CG_PART_KERNEL) {
        struct ir_pop plain = m->pops[i];   /* without accums cg_emit_kernel emits only bn_pop_<i> */
        plain.naccums = 0;
        ok = cg_emit_kernel(&em, &plain, i, cm->names[i]);
    } else if (kind == CG_PART_ACC) {
        /* both entry points, then the plain one and its body deleted: bn_pop_<i>.acc alone is left */
        ok = cg_emit_kernel(&em, &m->pops[i], i, cm->names[i]);
        char body[48];
        snprintf(body, sizeof body, "%s.body", cm->names[i]);
        LLVMValueRef fn = LLVMGetNamedFunction(cm->mod, cm->names[i]), fb = LLVMGetNamedFunction(cm->mod, body);
        if (fn)
            LLVMDeleteFunction(fn);
        if (fb)
            LLVMDeleteFunction(fb);
    } else {
        ok = cg_emit_events(&em, m->projs[i].plastic, i);
    }
    LLVMDisposeBuilder(em.b);
    return ok;
}

/*
 * The pass pipeline of every kernel module, chosen by measurement (docs/performance.md, "Choosing the
 * pipeline"): default<O3> ran ~80 passes, most of which find nothing in a branch-free loop over columns,
 * and took 40 % of a cold compile.  What the kernels need, in order:
 *   always-inline   the exported bn_pop_<i> wrapper calls its alwaysinline body, whose noalias column
 *                   arguments become alias scopes on inlining (so the vectoriser needs no runtime
 *                   overlap checks); the inliner also deletes the body;
 *   early-cse       the builder emits a subexpression once per use (a conductance's decay in two
 *                   equations); these copies go before vectorisation;
 *   instcombine, simplifycfg   the canonical form the loop vectoriser expects (i1 round trips through
 *                   double, `or x, false`, selects folded);
 *   loop(indvars)   one canonical induction variable: without it the accumulating kernels' vector loops
 *                   kept three more values in general registers and reloaded them from the stack in
 *                   every iteration (COBA: 52 instructions with 4 stack loads instead of 49 with none);
 *   loop-vectorize  the loop over neurons, at the host's vector width (8 doubles on AVX-512);
 *   instcombine, simplifycfg   the vector loop's clean-up (splats, the remainder loop's guard).
 * On COBA, CUBA, the paper model and COBA + STDP this gives the same instructions as default<O3>, up to
 * exact sign-symmetric rewrites (x / -5 for -(x / 5)) and register names: every vector loop has the same
 * instructions and stack accesses (llc -O3 of both); the SLP vectoriser, loop unrolling, LICM and GVN
 * changed nothing there.  No fast-math: every pass only makes exact rewrites, so the kernels stay
 * bit-identical to the interpreter (tests/unit/test_codegen_engines.c).
 */
/* The new pass manager on the host target.  No fast-math anywhere: the passes only see the flags we set,
 * and we set none. */
static bool run_pipeline(struct cg_module *cm, const char *pipeline, LLVMTargetMachineRef host, struct diags *d)
{
    double t0 = 1e-6 * (double)util_now_ns();
    LLVMTargetMachineRef tm = host ? host : cg_host_machine(d);
    if (!tm)
        return false;
    LLVMPassBuilderOptionsRef opts = LLVMCreatePassBuilderOptions();
    LLVMPassBuilderOptionsSetLoopVectorization(opts, 1);
    LLVMPassBuilderOptionsSetSLPVectorization(opts, 1);
    LLVMPassBuilderOptionsSetLoopUnrolling(opts, 1);
    LLVMPassBuilderOptionsSetLoopInterleaving(opts, 1);
    LLVMErrorRef err = LLVMRunPasses(cm->mod, pipeline, tm, opts);
    LLVMDisposePassBuilderOptions(opts);
    if (!host)
        LLVMDisposeTargetMachine(tm);
    cm->opt_ms += 1e-6 * (double)util_now_ns() - t0;
    if (err) {
        cg_report_error(d, err, "LLVM optimisation failed");
        return false;
    }
    cm->optimised = true;
    return true;
}

bool cg_optimise(struct cg_module *cm)
{
    if (!cm || !cm->mod)
        return false;
    return cm->optimised || run_pipeline(cm, CG_PIPELINE, NULL, NULL);
}

bool cg_optimise_on(struct cg_module *cm, LLVMTargetMachineRef tm)
{
    return cm && cm->mod && (cm->optimised || run_pipeline(cm, CG_PIPELINE, tm, NULL));
}

/* The module of the whole model (part < 0) or of one part, named after it (a part's module text, and so its
 * cache key, does not depend on the model's name or other parts). */
static struct cg_module *build(const struct ir_model *m, int part, const char *pipeline, LLVMTargetMachineRef host,
                               struct diags *d)
{
    double t0 = 1e-6 * (double)util_now_ns();
    cg_llvm_init();
    struct cg_module *cm = calloc(1, sizeof *cm);
    if (!cm || !(cm->names = calloc((size_t)m->npops + 1, sizeof *cm->names))) {
        free(cm);
        diag_error(d, SPAN_NONE, "out of memory in code generation");
        return NULL;
    }
    for (int i = 0; i < m->npops; i++) {
        char buf[32];
        snprintf(buf, sizeof buf, "bn_pop_%d", i);
        if (!(cm->names[i] = strdup(buf))) {
            diag_error(d, SPAN_NONE, "out of memory in code generation");
            cg_free(cm);
            return NULL;
        }
        cm->nkernels = i + 1;
    }
    cm->tsc = LLVMOrcCreateNewThreadSafeContext();
    cm->ctx = LLVMOrcThreadSafeContextGetContext(cm->tsc);
    char part_name[48];
    const char *mod_name = m->name ? m->name : "balnet";
    enum cg_part_kind kind;
    int index;
    if (part >= 0 && cg_part_of(m, part, &kind, &index)) {
        if (kind == CG_PART_EVENTS)
            snprintf(part_name, sizeof part_name, "bn_proj_%d", index);
        else
            snprintf(part_name, sizeof part_name, "bn_pop_%d%s", index, kind == CG_PART_ACC ? ".acc" : "");
        mod_name = part_name;
    }
    cm->mod = LLVMModuleCreateWithNameInContext(mod_name, cm->ctx);

    LLVMTargetMachineRef tm = host ? host : cg_host_machine(d);
    if (!tm) {
        cg_free(cm);
        return NULL;
    }
    char *triple = LLVMGetTargetMachineTriple(tm);
    LLVMSetTarget(cm->mod, triple);
    LLVMDisposeMessage(triple);
    LLVMTargetDataRef layout = LLVMCreateTargetDataLayout(tm);
    LLVMSetModuleDataLayout(cm->mod, layout);
    LLVMDisposeTargetData(layout);

    bool ok = emit_all(cm, m, part, d);
    if (ok) {
        char *msg = NULL;
        if (LLVMVerifyModule(cm->mod, LLVMReturnStatusAction, &msg)) {
            diag_error(d, SPAN_NONE, "internal: generated LLVM module does not verify: %s", msg ? msg : "?");
            ok = false;
        }
        LLVMDisposeMessage(msg);
    }
    cm->build_ms = 1e-6 * (double)util_now_ns() - t0;
    if (ok && pipeline && *pipeline)
        ok = run_pipeline(cm, pipeline, tm, d);
    if (!host)
        LLVMDisposeTargetMachine(tm);
    if (!ok) {
        cg_free(cm);
        return NULL;
    }
    return cm;
}

struct cg_module *cg_build_with(const struct ir_model *m, const char *pipeline, struct diags *d)
{
    return build(m, -1, pipeline, NULL, d);
}

struct cg_module *cg_build_part(const struct ir_model *m, int part, LLVMTargetMachineRef tm, struct diags *d)
{
    return build(m, part, NULL, tm, d);
}

struct cg_module *cg_build(const struct ir_model *m, struct diags *d)
{
    return cg_build_with(m, CG_PIPELINE, d);
}

void cg_print(FILE *out, const struct cg_module *cm)
{
    if (!cm || !cm->mod)
        return;
    char *text = LLVMPrintModuleToString(cm->mod);
    fputs(text, out);
    LLVMDisposeMessage(text);
}

const char *cg_kernel_name(const struct cg_module *cm, int pop)
{
    return pop >= 0 && pop < cm->nkernels ? cm->names[pop] : NULL;
}

int cg_kernel_count(const struct cg_module *cm)
{
    return cm->nkernels;
}

double cg_build_ms(const struct cg_module *cm)
{
    return cm->build_ms;
}

double cg_opt_ms(const struct cg_module *cm)
{
    return cm->opt_ms;
}
