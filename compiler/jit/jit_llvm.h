/*
 * jit_llvm.h - everything the JIT asks of LLVM, as one table of functions: compiling a part to an object,
 * linking objects in an LLJIT when balnet's own loader refuses them, and `balnet dump --emit=llvm`.
 *
 * Why a table: a kernel-cache hit needs no LLVM (keys from balnet's IR, jit_key.h; objects loaded by
 * jit_load.h), yet LLVM linked into `balnet` costs every process ~18-20 ms of CPU at start-up (its static
 * constructors and the page faults of its 48 MB; docs/performance.md, "Loading LLVM only on a miss").  With
 * BN_LLVM_MODULE (CMakeLists.txt) the balnet executable has no LLVM in it: jit_llvm_dl.c loads the table
 * from the module balnet-llvm.so (codegen/ and jit_llvm.c, LLVM linked in statically) on the first miss.
 * libbalnet, the Python package, the sanitizer builds and the unit tests link the table directly
 * (jit_llvm_link.c).
 *
 * Owns: the table's layout (the module's ABI: the module is built with the executable, never mixed).
 * Must not: include llvm-c/.  The table's functions are thread-safe.
 */
#ifndef BN_JIT_LLVM_H
#define BN_JIT_LLVM_H

#include "jit/jit.h"
#include "support/util.h"

#include <stddef.h>
#include <stdio.h>

struct jit_llvm {
    /* Part `part` of m built, optimised and compiled for the host: a malloc'd ELF object in *obj, *len
     * bytes.  *tm: the calling thread's target machine (opaque; NULL until its first compile, then kept;
     * give it back with machine_give).  Adds the build, opt and codegen phases' times to st.  False with an
     * error in d. */
    bool (*compile_part)(const struct ir_model *m, int part, void **tm, unsigned char **obj, size_t *len,
                         struct jit_stats *st, struct diags *d);
    void (*machine_give)(void *tm);
    /* A new LLJIT (opaque) with the n objects linked, their imports resolved as jit_libm.h says.  NULL with
     * an error in d. */
    void *(*lljit_link)(const unsigned char *const *objs, const size_t *lens, int n, struct diags *d);
    void *(*lljit_lookup)(void *lljit, const char *name, struct diags *d);
    void (*lljit_free)(void *lljit);
    /* The whole model's textual LLVM IR, optimised by CG_PIPELINE or not (balnet dump --emit=llvm,
     * llvm-unopt). */
    bool (*dump)(FILE *out, const struct ir_model *m, bool optimise, struct diags *d);
    /* LLVM's host CPU name and features, "name features" (malloc'd): the cache key's CPU on hosts where
     * jit_host_cpu (jit_key.h) has no fingerprint of its own. */
    char *(*host_cpu)(void);
};

/* The table defined by jit_llvm.c: the only symbol balnet-llvm.so exports. */
extern const struct jit_llvm jit_llvm_table;

/* The table: linked in, or loaded from balnet-llvm.so on the first call (then kept until exit).  NULL with a
 * diagnostic in d (may be NULL) naming the module and why it did not load. */
const struct jit_llvm *jit_llvm(struct diags *d);

/* Starts loading the table in a background thread, once, so that loading LLVM (~20 ms of CPU) overlaps
 * other work (jit_compile_start after a key missed: the helpers' start, the caller's network build);
 * jit_llvm then waits for it.  The caller must call jit_llvm before the process can exit: exit() while the
 * module's static constructors run would run the destructors they registered under them (seen: a spin in
 * LLVM's DebugCounter).  A no-op when the table is linked in, and when the thread cannot start (jit_llvm
 * loads it then). */
void jit_llvm_preload(void);

/* Wall and thread-CPU clocks read together, for the phase timings of jit_stats. */
struct jit_clocks {
    int64_t wall, cpu;
};

static inline struct jit_clocks jit_clocks_now(void)
{
    return (struct jit_clocks){util_now_ns(), util_thread_cpu_ns()};
}

/* Adds the time since *since to phase p of st and restarts *since. */
static inline void jit_phase_end(struct jit_stats *st, enum jit_phase p, struct jit_clocks *since)
{
    struct jit_clocks t = jit_clocks_now();
    st->phase_ms[p] += 1e-6 * (double)(t.wall - since->wall);
    st->phase_cpu_ms[p] += 1e-6 * (double)(t.cpu - since->cpu);
    *since = t;
}

#endif
