/*
 * jit_llvm.c - the LLVM side of the JIT (jit_llvm.h): a part compiled to an object by the code generator
 * (codegen/) and a target machine, the LLJIT that links objects balnet's own loader refuses, and the LLVM IR
 * dumps.  Built into balnet-llvm.so (BN_LLVM_MODULE), or linked directly (jit_llvm_link.c).
 *
 * Ownership: an LLJIT owns its execution session, JITDylib, object layer and the machine code in it; objects
 * are copied into LLVM memory buffers, which LLVMOrcLLJITAddObjectFile takes in every case.  The target
 * machine builder made from a target machine takes that machine; LLVMOrcCreateLLJIT consumes the builder.
 * Must not: print (but dump's output) or exit.
 */
#include "jit/jit_llvm.h"

#include "jit/jit_libm.h"
#include "jit/jit_machines.h"

#include "codegen/cg_llvm.h"

#include <llvm-c/Error.h>
#include <llvm-c/LLJIT.h>

#include <stdlib.h>
#include <string.h>

/* Binds every "balnet.<fn>" to the address of the libm function ir_eval calls (see CG_LIBM). */
static bool define_libm(LLVMOrcLLJITRef lljit, struct diags *d)
{
    enum { MAX = 16 };
    int n = jit_libm_count();
    LLVMOrcCSymbolMapPair pairs[MAX];
    if (n > MAX) {
        diag_error(d, SPAN_NONE, "internal: %d math symbols for the JIT, at most %d", n, MAX);
        return false;
    }
    for (int i = 0; i < n; i++) {
        pairs[i].Name = LLVMOrcLLJITMangleAndIntern(lljit, jit_libm_name(i));
        pairs[i].Sym.Address = (LLVMOrcJITTargetAddress)jit_libm_addr(i);
        pairs[i].Sym.Flags.GenericFlags = LLVMJITSymbolGenericFlagsExported | LLVMJITSymbolGenericFlagsCallable;
        pairs[i].Sym.Flags.TargetFlags = 0;
    }
    LLVMOrcMaterializationUnitRef mu = LLVMOrcAbsoluteSymbols(pairs, (size_t)n);
    LLVMErrorRef err = LLVMOrcJITDylibDefine(LLVMOrcLLJITGetMainJITDylib(lljit), mu);
    if (err) {
        LLVMOrcDisposeMaterializationUnit(mu);
        cg_report_error(d, err, "cannot define the JIT's math symbols");
        return false;
    }
    return true;
}

static void lljit_free(void *p)
{
    if (!p)
        return;
    LLVMErrorRef err = LLVMOrcDisposeLLJIT(p);
    if (err)
        LLVMConsumeError(err);   /* nothing useful to do with a teardown error */
}

/* An LLJIT for the host (CodeGenLevelAggressive) that resolves the "balnet.*" math symbols (cg_llvm.h),
 * libm and the rest of the process. */
static LLVMOrcLLJITRef lljit_create(struct diags *d)
{
    LLVMTargetMachineRef tm = cg_host_machine(d);
    if (!tm)
        return NULL;
    LLVMOrcLLJITBuilderRef builder = LLVMOrcCreateLLJITBuilder();
    LLVMOrcLLJITBuilderSetJITTargetMachineBuilder(builder, LLVMOrcJITTargetMachineBuilderCreateFromTargetMachine(tm));
    LLVMOrcLLJITRef lljit = NULL;
    LLVMErrorRef err = LLVMOrcCreateLLJIT(&lljit, builder);
    if (err) {
        cg_report_error(d, err, "cannot create the LLVM JIT");
        return NULL;
    }
    /* libm (exp, log from the llvm.exp/llvm.log lowering) and anything else the process exports. */
    LLVMOrcDefinitionGeneratorRef gen = NULL;
    err = LLVMOrcCreateDynamicLibrarySearchGeneratorForProcess(&gen, LLVMOrcLLJITGetGlobalPrefix(lljit), NULL, NULL);
    if (err) {
        cg_report_error(d, err, "cannot make process symbols visible to the JIT");
        lljit_free(lljit);
        return NULL;
    }
    LLVMOrcJITDylibAddGenerator(LLVMOrcLLJITGetMainJITDylib(lljit), gen);
    if (!define_libm(lljit, d)) {
        lljit_free(lljit);
        return NULL;
    }
    return lljit;
}

static void *lljit_link(const unsigned char *const *objs, const size_t *lens, int n, struct diags *d)
{
    LLVMOrcLLJITRef lljit = lljit_create(d);
    for (int i = 0; i < n && lljit; i++) {
        LLVMMemoryBufferRef obj = LLVMCreateMemoryBufferWithMemoryRangeCopy((const char *)objs[i], lens[i], "balnet-kernels");
        LLVMErrorRef err = LLVMOrcLLJITAddObjectFile(lljit, LLVMOrcLLJITGetMainJITDylib(lljit), obj);
        if (err) {
            cg_report_error(d, err, "cannot add the kernels to the JIT");
            lljit_free(lljit);
            lljit = NULL;
        }
    }
    return lljit;
}

static void *lljit_lookup(void *lljit, const char *name, struct diags *d)
{
    LLVMOrcJITTargetAddress addr = 0;
    LLVMErrorRef err = LLVMOrcLLJITLookup(lljit, &addr, name);
    if (err) {
        cg_report_error(d, err, "JIT compilation failed");
        return NULL;
    }
    return (void *)(uintptr_t)addr;
}

/* The pass pipeline and machine code for the host: an object file in memory.  Consumes cm.  Times the
 * optimiser and the code generator into st. */
static LLVMMemoryBufferRef compile_object(struct cg_module *cm, LLVMTargetMachineRef tm, struct jit_stats *st,
                                          struct diags *d)
{
    struct jit_clocks t = jit_clocks_now();
    bool ok = cg_optimise_on(cm, tm);
    jit_phase_end(st, JIT_PHASE_OPT, &t);
    LLVMOrcThreadSafeContextRef tsc;
    LLVMModuleRef mod = cg_take_module(cm, &tsc);
    cg_free(cm);
    LLVMMemoryBufferRef obj = NULL;
    char *msg = NULL;
    if (!ok)
        diag_error(d, SPAN_NONE, "LLVM optimisation failed");
    else if (LLVMTargetMachineEmitToMemoryBuffer(tm, mod, LLVMObjectFile, &msg, &obj)) {
        diag_error(d, SPAN_NONE, "LLVM code generation failed: %s", msg ? msg : "?");
        obj = NULL;
    }
    LLVMDisposeMessage(msg);
    LLVMDisposeModule(mod);               /* the module before the context that owns its types */
    LLVMOrcDisposeThreadSafeContext(tsc);
    jit_phase_end(st, JIT_PHASE_CODEGEN, &t);
    return obj;
}

/* The part is built for the host's description (jit_host_machine, shared) and compiled with *tm, the
 * thread's target machine, taken at its first miss (jit_machine_take; counted in the build phase). */
static bool compile_part(const struct ir_model *m, int part, void **tm, unsigned char **obj_out, size_t *len,
                         struct jit_stats *st, struct diags *d)
{
    struct jit_clocks t = jit_clocks_now();
    LLVMTargetMachineRef host = jit_host_machine(d);
    struct cg_module *cm = host ? cg_build_part(m, part, host, d) : NULL;
    if (cm && !*tm)
        *tm = jit_machine_take(d);
    jit_phase_end(st, JIT_PHASE_BUILD, &t);
    if (!cm || !*tm) {
        cg_free(cm);
        return false;
    }
    LLVMMemoryBufferRef obj = compile_object(cm, *tm, st, d);
    if (!obj)
        return false;
    *len = LLVMGetBufferSize(obj);
    if ((*obj_out = malloc(*len ? *len : 1)))
        memcpy(*obj_out, LLVMGetBufferStart(obj), *len);
    else
        diag_error(d, SPAN_NONE, "out of memory in code generation");
    LLVMDisposeMemoryBuffer(obj);
    return *obj_out != NULL;
}

static void machine_give(void *tm)
{
    jit_machine_give(tm);
}

static bool dump(FILE *out, const struct ir_model *m, bool optimise, struct diags *d)
{
    struct cg_module *cm = optimise ? cg_build(m, d) : cg_build_with(m, NULL, d);
    if (!cm)
        return false;
    cg_print(out, cm);
    cg_free(cm);
    return true;
}

static char *host_cpu(void)
{
    char *cpu = LLVMGetHostCPUName(), *features = LLVMGetHostCPUFeatures();
    size_t n = strlen(cpu) + strlen(features) + 2;
    char *s = malloc(n);
    if (s)
        snprintf(s, n, "%s %s", cpu, features);
    LLVMDisposeMessage(cpu);
    LLVMDisposeMessage(features);
    return s;
}

const struct jit_llvm jit_llvm_table = {
    .compile_part = compile_part,
    .machine_give = machine_give,
    .lljit_link = lljit_link,
    .lljit_lookup = lljit_lookup,
    .lljit_free = lljit_free,
    .dump = dump,
    .host_cpu = host_cpu,
};
