/*
 * jit.h - turns an IR model into callable machine code for the host CPU: objects compiled by LLVM (through
 * the table of jit_llvm.h, loaded on the first miss) or read from the kernel cache, loaded by balnet's own
 * loader (jit_load.h), or by LLVM's ORC LLJIT when that loader refuses them.
 *
 * Owns: the kernels' machine code: one loaded image, or one LLJIT instance (its execution session,
 * JITDylib, object layer and the machine code in it).
 * Kernels looked up from a jit stay valid until jit_free.
 * Must not: include llvm-c/ (a hit needs no LLVM), or share state between jit instances.  Several may
 * exist at once (sweep points compiled in parallel threads): each has its own image or LLJIT, and each
 * compiled part its own LLVMContext.
 */
#ifndef BN_JIT_H
#define BN_JIT_H

#include "codegen/codegen.h"
#include "ir/ir.h"

#include <stdio.h>

struct jit;

/* Disposes the kernels' machine code (the image or the LLJIT).  NULL is allowed. */
void jit_free(struct jit *j);

/* Whether a jit_compile_model found its kernels in the persistent cache (jit_cache.h). */
enum jit_cache_state {
    JIT_CACHE_OFF,    /* cache disabled (BALNET_CACHE_DIR="", --no-cache) or no location: compiled */
    JIT_CACHE_MISS,   /* not in the cache (or a damaged entry): compiled, and stored if possible */
    JIT_CACHE_HIT,    /* machine code read from the cache: no pass pipeline, no code generation */
};
/* "off", "miss", "hit" (the values of run.json's kernel_cache). */
const char *jit_cache_state_name(enum jit_cache_state s);

/* The phases of a compile, per part, in order (docs/performance.md, "Where a cold compile goes"); balnet run -v
 * prints them as build, key, opt, codegen, link. */
enum jit_phase {
    JIT_PHASE_BUILD,     /* LLVM IR construction and verification (cg_build_with), target machine included
                          * (0 on a hit) */
    JIT_PHASE_KEY,       /* the part's shape and cache key from balnet's IR (jit_key.h), the entry's read or
                          * write */
    JIT_PHASE_OPT,       /* the pass pipeline (0 on a hit) */
    JIT_PHASE_CODEGEN,   /* instruction selection, register allocation, object emission (0 on a hit) */
    JIT_PHASE_LINK,      /* the objects loaded and linked (jit_load.h, or a new LLJIT when that loader refuses
                          * them) and every kernel looked up */
    JIT_NPHASES
};

struct jit_stats {
    double compile_ms;           /* wall time during which any thread compiled a part, plus the link */
    double compile_cpu_ms;       /* CPU time of every thread that compiled (CLOCK_THREAD_CPUTIME_ID) */
    double wait_ms;              /* the caller's time in jit_compile_finish before the link: its parts, the wait */
    /* Each phase's wall time and thread CPU time, summed over the parts (so with several threads the
     * wall times add up to more than compile_ms): on a loaded machine the wall times grow with the load,
     * the CPU times do not. */
    double phase_ms[JIT_NPHASES], phase_cpu_ms[JIT_NPHASES];
    int parts, threads;          /* parts compiled (cg_part_count), threads that compiled them */
    int shared;                  /* parts that are another population's kernel (same code): not compiled */
    enum jit_cache_state cache;  /* hit: every part from the cache; miss: any part compiled */
    bool stored;                 /* a miss whose every compiled part was written to the cache */
    bool own_loader;             /* linked by balnet's own loader (jit_load.h: no LLVM), not by an LLJIT */
};

/* A compile under way. */
struct jit_compile;

/* Starts compiling m's kernels: min(threads, parts) - 1 helper threads start on the model's parts now, and
 * the caller's thread takes the parts left in jit_compile_finish, so the caller may do other work (build
 * the network) in between.  m must stay unchanged until jit_compile_finish.  NULL when out of memory
 * (jit_compile_finish then reports it). */
struct jit_compile *jit_compile_start(const struct ir_model *m, int threads);

/* Compiles the parts no helper has taken, waits for the helpers, then: one new LLJIT with every part's
 * object, and every population's kernel looked up: kernels_out[i] (ir_kernel_count(m) entries, ctx NULL;
 * plastic projection j's events at npops + j).  *out receives the jit that owns the code (jit_free it after
 * the run).  *st (may be NULL) receives timings and the cache outcome.  Frees c.  The cache never makes
 * this fail (jit_cache.h). */
bool jit_compile_finish(struct jit_compile *c, struct ir_kernel *kernels_out, struct jit **out, struct jit_stats *st,
                        struct diags *d);

/* jit_compile_finish(jit_compile_start(m, threads), ...).  Thread-safe. */
bool jit_compile_model_stats(const struct ir_model *m, int threads, struct ir_kernel *kernels_out, struct jit **out,
                             struct jit_stats *st, struct diags *d);

/* jit_compile_model_stats on one thread with only the total wall time in *compile_ms (may be NULL). */
bool jit_compile_model(const struct ir_model *m, struct ir_kernel *kernels_out, struct jit **out, double *compile_ms,
                       struct diags *d);

/* Starts loading LLVM in the background (jit_llvm.h) when no compile can be served by the kernel cache (it
 * is off, or its folder does not exist), so that the load overlaps parsing and lowering: true if it did.
 * For the pipeline's entry (api/model.c) when the engine is the JIT.  After a true, the caller must call
 * jit_llvm_settle before the process can exit. */
bool jit_llvm_preload_if_cold(void);

/* Waits until a load started by jit_llvm_preload_if_cold has finished (exit() while the module's static
 * constructors run would run the destructors they registered under them). */
void jit_llvm_settle(void);

/* The whole model's textual LLVM IR, after the kernel pass pipeline or (optimise false) before it, for
 * `balnet dump --emit=llvm|llvm-unopt`.  Loads LLVM (jit_llvm.h); false with errors in d. */
bool jit_dump_llvm(FILE *out, const struct ir_model *m, bool optimise, struct diags *d);

#endif
