/*
 * cg_llvm.h - the LLVM-facing side of the code generator, shared by compiler/codegen and compiler/jit only.
 *
 * Owns: process-wide LLVM initialisation, the host target machine recipe, the table of libm functions the
 * kernels call under private names, and the hand-over of a module to the JIT.
 * Must not: be included outside compiler/codegen and compiler/jit (STYLE.md: only they see llvm-c/).
 */
#ifndef BN_CG_LLVM_H
#define BN_CG_LLVM_H

#include "codegen/codegen.h"

#include <llvm-c/Core.h>
#include <llvm-c/Orc.h>
#include <llvm-c/TargetMachine.h>


/* LLVMInitializeNativeTarget/AsmPrinter/AsmParser, once per process (pthread_once). */
void cg_llvm_init(void);

/* A new target machine for the host CPU and its features, LLVMCodeGenLevelAggressive.  NULL with an error
 * in `d` (which may be NULL) when the host is not supported.  The caller owns it (LLVMDisposeTargetMachine, or hand it to
 * LLVMOrcJITTargetMachineBuilderCreateFromTargetMachine, which takes ownership). */
LLVMTargetMachineRef cg_host_machine(struct diags *d);

/* Part `part` (0 <= part < cg_part_count(m), codegen.h) built and verified, unoptimised, for the host target
 * machine tm, which is only read (its triple and data layout), so threads may share one.  Its module is
 * named after the part, not the model, so equal parts of different models have equal text (and cache
 * keys). */
struct cg_module *cg_build_part(const struct ir_model *m, int part, LLVMTargetMachineRef tm, struct diags *d);

/* cg_optimise with the caller's host target machine instead of a new one. */
bool cg_optimise_on(struct cg_module *cm, LLVMTargetMachineRef tm);

/* Hands the module and its context over (to the JIT's object emission): after this, cm holds neither and cg_free only frees
 * the bookkeeping.  The caller owns one reference to the returned ThreadSafeContext and the module. */
LLVMModuleRef cg_take_module(struct cg_module *cm, LLVMOrcThreadSafeContextRef *tsc);

/* Reports an LLVMErrorRef (consuming it) as a diagnostic "<what>: <message>"; d NULL: only consumes it. */
void cg_report_error(struct diags *d, LLVMErrorRef err, const char *what);

#endif
