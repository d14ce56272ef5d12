/*
 * jit.c - ORC LLJIT wrapper.
 *
 * Ownership and dispose order:
 *   - cg_build creates a ThreadSafeContext (owning an LLVMContext) and a module in it (cg_module.c).
 *   - jit_add moves both out of the cg_module, wraps the module in a ThreadSafeModule (which takes the
 *     module and shares the context), drops our context reference, and hands the ThreadSafeModule to
 *     LLVMOrcLLJITAddLLVMIRModule, which takes it in every case.  From then on the LLJIT owns module,
 *     context and the machine code compiled from them.
 *   - jit_free disposes the LLJIT, which frees all of it.  Kernel pointers die with it.
 * A target machine created for the builder is owned by the JITTargetMachineBuilder, which the LLJIT
 * builder owns, which LLVMOrcCreateLLJIT consumes.
 * Must not: print or exit; errors go to diags.
 */
#include "jit/jit.h"

#include "codegen/cg_llvm.h"

#include <llvm-c/Error.h>
#include <llvm-c/LLJIT.h>

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

struct jit {
    LLVMOrcLLJITRef lljit;
};

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec * 1e-6;
}

/* Binds every "balnet.<fn>" to the address of the libm function ir_eval calls (see CG_LIBM). */
static bool define_libm(struct jit *j, struct diags *d)
{
    static const struct {
        const char *name;
        double (*fn1)(double);
        double (*fn2)(double, double);
    } table[] = {
#define ARITY_1(name) {CG_LIBM_PREFIX #name, name, NULL},
#define ARITY_2(name) {CG_LIBM_PREFIX #name, NULL, name},
#define X(name, arity) ARITY_##arity(name)
        CG_LIBM(X)
#undef X
#undef ARITY_1
#undef ARITY_2
    };
    enum { N = sizeof table / sizeof table[0] };
    LLVMOrcCSymbolMapPair pairs[N];
    for (int i = 0; i < N; i++) {
        uintptr_t addr = table[i].fn1 ? (uintptr_t)table[i].fn1 : (uintptr_t)table[i].fn2;
        pairs[i].Name = LLVMOrcLLJITMangleAndIntern(j->lljit, table[i].name);
        pairs[i].Sym.Address = (LLVMOrcJITTargetAddress)addr;
        pairs[i].Sym.Flags.GenericFlags = LLVMJITSymbolGenericFlagsExported | LLVMJITSymbolGenericFlagsCallable;
        pairs[i].Sym.Flags.TargetFlags = 0;
    }
    LLVMOrcMaterializationUnitRef mu = LLVMOrcAbsoluteSymbols(pairs, N);
    LLVMErrorRef err = LLVMOrcJITDylibDefine(LLVMOrcLLJITGetMainJITDylib(j->lljit), mu);
    if (err) {
        LLVMOrcDisposeMaterializationUnit(mu);
        cg_report_error(d, err, "cannot define the JIT's math symbols");
        return false;
    }
    return true;
}

struct jit *jit_create(struct diags *d)
{
    struct jit *j = calloc(1, sizeof *j);
    if (!j) {
        diag_error(d, SPAN_NONE, "out of memory creating the JIT");
        return NULL;
    }
    LLVMTargetMachineRef tm = cg_host_machine(d);
    if (!tm) {
        free(j);
        return NULL;
    }
    LLVMOrcLLJITBuilderRef builder = LLVMOrcCreateLLJITBuilder();
    LLVMOrcLLJITBuilderSetJITTargetMachineBuilder(builder, LLVMOrcJITTargetMachineBuilderCreateFromTargetMachine(tm));
    LLVMErrorRef err = LLVMOrcCreateLLJIT(&j->lljit, builder);
    if (err) {
        cg_report_error(d, err, "cannot create the LLVM JIT");
        free(j);
        return NULL;
    }
    /* libm (exp, log from the llvm.exp/llvm.log lowering) and anything else the process exports. */
    LLVMOrcDefinitionGeneratorRef gen = NULL;
    err = LLVMOrcCreateDynamicLibrarySearchGeneratorForProcess(&gen, LLVMOrcLLJITGetGlobalPrefix(j->lljit), NULL, NULL);
    if (err) {
        cg_report_error(d, err, "cannot make process symbols visible to the JIT");
        jit_free(j);
        return NULL;
    }
    LLVMOrcJITDylibAddGenerator(LLVMOrcLLJITGetMainJITDylib(j->lljit), gen);
    if (!define_libm(j, d)) {
        jit_free(j);
        return NULL;
    }
    return j;
}

bool jit_add(struct jit *j, struct cg_module *cm, struct diags *d)
{
    LLVMOrcThreadSafeContextRef tsc;
    LLVMModuleRef mod = cg_take_module(cm, &tsc);
    cg_free(cm);
    if (!mod) {
        if (tsc)
            LLVMOrcDisposeThreadSafeContext(tsc);
        diag_error(d, SPAN_NONE, "internal: jit_add of a module that was already handed over");
        return false;
    }
    LLVMOrcThreadSafeModuleRef tsm = LLVMOrcCreateNewThreadSafeModule(mod, tsc);
    LLVMOrcDisposeThreadSafeContext(tsc);   /* the ThreadSafeModule keeps the context alive */
    LLVMErrorRef err = LLVMOrcLLJITAddLLVMIRModule(j->lljit, LLVMOrcLLJITGetMainJITDylib(j->lljit), tsm);
    if (err) {
        cg_report_error(d, err, "cannot add the kernels to the JIT");
        return false;
    }
    return true;
}

static ir_kernel_fn lookup(struct jit *j, const char *name, struct diags *d)
{
    LLVMOrcJITTargetAddress addr = 0;
    LLVMErrorRef err = LLVMOrcLLJITLookup(j->lljit, &addr, name);
    if (err) {
        if (d)
            cg_report_error(d, err, "JIT compilation failed");
        else
            LLVMConsumeError(err);
        return NULL;
    }
    return (ir_kernel_fn)(uintptr_t)addr;
}

ir_kernel_fn jit_lookup(struct jit *j, const char *name)
{
    return lookup(j, name, NULL);
}

void jit_free(struct jit *j)
{
    if (!j)
        return;
    if (j->lljit) {
        LLVMErrorRef err = LLVMOrcDisposeLLJIT(j->lljit);
        if (err)
            LLVMConsumeError(err);   /* nothing useful to do with a teardown error */
    }
    free(j);
}

bool jit_compile_model(const struct ir_model *m, struct ir_kernel *kernels_out, struct jit **out, double *compile_ms,
                       struct diags *d)
{
    double t0 = now_ms();
    *out = NULL;
    struct cg_module *cm = cg_build(m, d);
    if (!cm)
        return false;
    struct jit *j = jit_create(d);
    if (!j) {
        cg_free(cm);
        return false;
    }
    if (!jit_add(j, cm, d)) {
        jit_free(j);
        return false;
    }
    for (int i = 0; i < m->npops; i++) {
        char name[32];
        snprintf(name, sizeof name, "bn_pop_%d", i);
        kernels_out[i].fn = lookup(j, name, d);
        kernels_out[i].ctx = NULL;
        if (!kernels_out[i].fn) {
            jit_free(j);
            return false;
        }
    }
    if (compile_ms)
        *compile_ms = now_ms() - t0;
    *out = j;
    return true;
}
