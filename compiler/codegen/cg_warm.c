/*
 * cg_warm.c - a target machine made ready for code generation before the first kernel needs it.
 *
 * Why: the first module a target machine compiles costs ~10-20 ms more CPU than the next ones
 * (docs/performance.md, "Warm target machines"): the machine's subtarget (X86TargetLowering's operation
 * tables, the legaliser, the scheduling model) is built at its first function, the code generator's passes
 * and lazily created tables are set up, and the code and heap pages they touch are faulted in.  A compile
 * of a model pays that once per compiling thread.  Compiling a small kernel-like loop first, while the
 * model is still being parsed and lowered, moves that cost out of the compile.
 *
 * The machine code of later modules does not depend on it: the target machine keeps nothing from a module
 * but caches keyed by the function's target attributes (the subtarget), and the kernels' objects are
 * byte-identical with and without a warm-up (checked as described in docs/performance.md).
 * Owns: nothing beyond the call (its own LLVMContext, module and object, all disposed).
 * Must not: print or exit.
 */
#include "codegen/cg_internal.h"

#include <llvm-c/Core.h>
#include <llvm-c/TargetMachine.h>

/* A loop shaped like a kernel body (cg_kernel.c): per-element loads, IEEE multiply, add and divide, a
 * threshold compare and selects, the i64 shift and bit cast of the inline exp (cg_expr.c, emit_exp), a spike
 * flag stored as i8, and a per-element sum (an accumulating kernel's).  So the pass pipeline vectorises it
 * and instruction selection meets the vector operations the kernels have:
 *
 *   void bn_warm(double *noalias v, double *noalias x, double *noalias sum, i8 *noalias spiked, i64 n)
 *   for i in [0, n): u = v[i] * a + x[i] / b; s = u >= th; e = bitcast((i64)u << 52);
 *                    v[i] = s ? reset : u * e; sum[i] += u * u; spiked[i] = s
 */
static void build_loop(LLVMContextRef ctx, LLVMModuleRef mod)
{
    LLVMTypeRef f64 = LLVMDoubleTypeInContext(ctx), i64 = LLVMInt64TypeInContext(ctx),
                i8 = LLVMInt8TypeInContext(ctx), ptr = LLVMPointerTypeInContext(ctx, 0),
                void_t = LLVMVoidTypeInContext(ctx);
    LLVMTypeRef params[] = {ptr, ptr, ptr, ptr, i64};
    LLVMValueRef fn = LLVMAddFunction(mod, "bn_warm", LLVMFunctionType(void_t, params, 5, 0));
    unsigned noalias = LLVMGetEnumAttributeKindForName("noalias", 7);
    for (unsigned p = 1; p <= 4; p++)
        LLVMAddAttributeAtIndex(fn, p, LLVMCreateEnumAttribute(ctx, noalias, 0));
    unsigned nounwind = LLVMGetEnumAttributeKindForName("nounwind", 8);
    LLVMAddAttributeAtIndex(fn, LLVMAttributeFunctionIndex, LLVMCreateEnumAttribute(ctx, nounwind, 0));
    LLVMValueRef v = LLVMGetParam(fn, 0), x = LLVMGetParam(fn, 1), sum = LLVMGetParam(fn, 2),
                 spiked = LLVMGetParam(fn, 3), n = LLVMGetParam(fn, 4);

    LLVMBasicBlockRef entry = LLVMAppendBasicBlockInContext(ctx, fn, "entry"),
                      loop = LLVMAppendBasicBlockInContext(ctx, fn, "loop"),
                      exit = LLVMAppendBasicBlockInContext(ctx, fn, "exit");
    LLVMBuilderRef b = LLVMCreateBuilderInContext(ctx);
    LLVMPositionBuilderAtEnd(b, entry);
    LLVMValueRef zero = LLVMConstInt(i64, 0, 0);
    LLVMBuildCondBr(b, LLVMBuildICmp(b, LLVMIntSLT, zero, n, ""), loop, exit);

    LLVMPositionBuilderAtEnd(b, loop);
    LLVMValueRef i = LLVMBuildPhi(b, i64, "i");
    LLVMValueRef pv = LLVMBuildInBoundsGEP2(b, f64, v, &i, 1, ""), px = LLVMBuildInBoundsGEP2(b, f64, x, &i, 1, ""),
                 ps = LLVMBuildInBoundsGEP2(b, f64, sum, &i, 1, ""),
                 pk = LLVMBuildInBoundsGEP2(b, i8, spiked, &i, 1, "");
    LLVMValueRef vi = LLVMBuildLoad2(b, f64, pv, ""), xi = LLVMBuildLoad2(b, f64, px, "");
    LLVMValueRef u = LLVMBuildFAdd(b, LLVMBuildFMul(b, vi, LLVMConstReal(f64, 0.99), ""),
                                   LLVMBuildFDiv(b, xi, LLVMConstReal(f64, 200.0), ""), "");
    LLVMValueRef s = LLVMBuildFCmp(b, LLVMRealOGE, u, LLVMConstReal(f64, -50.0), "");
    LLVMValueRef bits = LLVMBuildShl(b, LLVMBuildFPToSI(b, u, i64, ""), LLVMConstInt(i64, 52, 0), "");
    LLVMValueRef e = LLVMBuildBitCast(b, bits, f64, "");
    LLVMBuildStore(b, LLVMBuildSelect(b, s, LLVMConstReal(f64, -60.0), LLVMBuildFMul(b, u, e, ""), ""), pv);
    LLVMValueRef si = LLVMBuildLoad2(b, f64, ps, "");
    LLVMBuildStore(b, LLVMBuildFAdd(b, si, LLVMBuildFMul(b, u, u, ""), ""), ps);
    LLVMBuildStore(b, LLVMBuildZExt(b, s, i8, ""), pk);
    LLVMValueRef next = LLVMBuildNSWAdd(b, i, LLVMConstInt(i64, 1, 0), "");
    LLVMBuildCondBr(b, LLVMBuildICmp(b, LLVMIntSLT, next, n, ""), loop, exit);
    LLVMValueRef in_vals[] = {zero, next};
    LLVMBasicBlockRef in_blocks[] = {entry, loop};
    LLVMAddIncoming(i, in_vals, in_blocks, 2);

    LLVMPositionBuilderAtEnd(b, exit);
    LLVMBuildRetVoid(b);
    LLVMDisposeBuilder(b);
}

bool cg_warm_machine(LLVMTargetMachineRef tm)
{
    struct cg_module cm = {0};
    cm.ctx = LLVMContextCreate();
    cm.mod = LLVMModuleCreateWithNameInContext("bn_warm", cm.ctx);
    char *triple = LLVMGetTargetMachineTriple(tm);
    LLVMSetTarget(cm.mod, triple);
    LLVMDisposeMessage(triple);
    LLVMTargetDataRef layout = LLVMCreateTargetDataLayout(tm);
    LLVMSetModuleDataLayout(cm.mod, layout);
    LLVMDisposeTargetData(layout);
    build_loop(cm.ctx, cm.mod);
    bool ok = cg_optimise_on(&cm, tm);   /* the kernels' pass pipeline, CG_PIPELINE */
    LLVMMemoryBufferRef obj = NULL;
    char *msg = NULL;
    if (ok && LLVMTargetMachineEmitToMemoryBuffer(tm, cm.mod, LLVMObjectFile, &msg, &obj))
        ok = false;
    LLVMDisposeMessage(msg);
    if (obj)
        LLVMDisposeMemoryBuffer(obj);
    LLVMDisposeModule(cm.mod);   /* the module before its context */
    LLVMContextDispose(cm.ctx);
    return ok;
}
