/*
 * jit.c - ORC LLJIT wrapper, and the whole way from an IR model to callable kernels.
 *
 * jit_compile_model: build the unoptimised module; with the cache on, hash its text and look the object up
 * (jit_cache.h); on a hit add that object to a new LLJIT, on a miss run the pass pipeline, emit an object
 * file with the host target machine (cg_host_machine, the same settings the LLJIT's own compiler would
 * use), store it, and add that same object.  So hit, miss and cache off all run one kind of machine code.
 *
 * Ownership and dispose order:
 *   - cg_build creates a ThreadSafeContext (owning an LLVMContext) and a module in it (cg_module.c).
 *   - jit_add moves both out of the cg_module, wraps the module in a ThreadSafeModule (which takes the
 *     module and shares the context), drops our context reference, and hands the ThreadSafeModule to
 *     LLVMOrcLLJITAddLLVMIRModule, which takes it in every case.  From then on the LLJIT owns module,
 *     context and the machine code compiled from them.
 *   - jit_free disposes the LLJIT, which frees all of it.  Kernel pointers die with it.
 *   - Object path: compile_object takes module and context out of the cg_module, emits, and disposes the
 *     module, then the context.  LLVMOrcLLJITAddObjectFile takes the object's memory buffer in every case.
 * A target machine created for the builder is owned by the JITTargetMachineBuilder, which the LLJIT
 * builder owns, which LLVMOrcCreateLLJIT consumes.
 * Must not: print or exit; errors go to diags.
 */
#include "jit/jit.h"

#include "jit/jit_cache.h"

#include "codegen/cg_llvm.h"
#include "support/util.h"

#include <llvm-c/Error.h>
#include <llvm-c/LLJIT.h>
#include <llvm/Config/llvm-config.h>   /* LLVM_VERSION_STRING, for the cache key */

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct jit {
    LLVMOrcLLJITRef lljit;
};

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
        cg_report_error(d, err, "JIT compilation failed");
        return NULL;
    }
    return (ir_kernel_fn)(uintptr_t)addr;
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

const char *jit_cache_state_name(enum jit_cache_state s)
{
    return s == JIT_CACHE_HIT ? "hit" : s == JIT_CACHE_MISS ? "miss" : "off";
}

/* The cache key: everything the machine code depends on.  The unoptimised module text carries the kernels,
 * the target triple and the data layout; the rest is what turns that text into machine code: the pass
 * pipeline and target machine settings (cg_pipeline_id), the CPU and its features, the LLVM release, and
 * balnet's version and cache format.  Any change of code generation shows up in the module text. */
static struct jit_hash module_key(const char *text, LLVMTargetMachineRef tm)
{
    char *triple = LLVMGetTargetMachineTriple(tm), *cpu = LLVMGetTargetMachineCPU(tm),
         *features = LLVMGetTargetMachineFeatureString(tm);
    struct jit_sip s;
    jit_sip_init(&s, 0x62616c6e65742d6bull, 0x65726e656c733031ull);   /* "balnet-k" "ernels01" */
    jit_sip_field(&s, JIT_CACHE_MAGIC);
    jit_sip_field(&s, BN_VERSION);
    jit_sip_field(&s, LLVM_VERSION_STRING);
    jit_sip_field(&s, cg_pipeline_id());
    jit_sip_field(&s, triple);
    jit_sip_field(&s, cpu);
    jit_sip_field(&s, features);
    jit_sip_field(&s, text);
    LLVMDisposeMessage(triple);
    LLVMDisposeMessage(cpu);
    LLVMDisposeMessage(features);
    return jit_sip_final(&s);
}

/* The module's text (cg_print into memory); NULL when out of memory. */
static char *module_text(const struct cg_module *cm)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f)
        return NULL;
    cg_print(f, cm);
    if (fclose(f) != 0) {
        free(text);
        return NULL;
    }
    return text;
}

/* Wall and thread-CPU clocks read together, for the phase timings of jit_stats. */
struct clocks {
    int64_t wall, cpu;
};

static struct clocks clocks_now(void)
{
    return (struct clocks){util_now_ns(), util_thread_cpu_ns()};
}

/* Adds the time since *since to phase p and restarts *since. */
static void phase_end(struct jit_stats *st, enum jit_phase p, struct clocks *since)
{
    struct clocks t = clocks_now();
    st->phase_ms[p] += 1e-6 * (double)(t.wall - since->wall);
    st->phase_cpu_ms[p] += 1e-6 * (double)(t.cpu - since->cpu);
    *since = t;
}

/* The pass pipeline and machine code for the host: an object file in memory.  Consumes cm.  Times the
 * optimiser and the code generator into st. */
static LLVMMemoryBufferRef compile_object(struct cg_module *cm, LLVMTargetMachineRef tm, struct jit_stats *st,
                                          struct diags *d)
{
    struct clocks t = clocks_now();
    bool ok = cg_optimise(cm);
    phase_end(st, JIT_PHASE_OPT, &t);
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
    phase_end(st, JIT_PHASE_CODEGEN, &t);
    return obj;
}

/* A new LLJIT holding `obj` (consumed), with every population's kernel (and accumulating kernel, when it
 * has accums) looked up into kernels_out. */
static struct jit *load_object(LLVMMemoryBufferRef obj, const struct ir_model *m, struct ir_kernel *kernels_out,
                               struct diags *d)
{
    struct jit *j = jit_create(d);
    if (!j) {
        LLVMDisposeMemoryBuffer(obj);
        return NULL;
    }
    LLVMErrorRef err = LLVMOrcLLJITAddObjectFile(j->lljit, LLVMOrcLLJITGetMainJITDylib(j->lljit), obj);
    if (err) {
        cg_report_error(d, err, "cannot add the kernels to the JIT");
        jit_free(j);
        return NULL;
    }
    for (int i = 0; i < m->npops; i++) {
        char name[40];
        snprintf(name, sizeof name, "bn_pop_%d", i);
        kernels_out[i].fn = lookup(j, name, d);
        kernels_out[i].fn_acc = NULL;
        kernels_out[i].ctx = NULL;
        if (kernels_out[i].fn && m->pops[i].naccums > 0) {
            snprintf(name, sizeof name, "bn_pop_%d.acc", i);
            kernels_out[i].fn_acc = (ir_kernel_acc_fn)(uintptr_t)lookup(j, name, d);
        }
        if (!kernels_out[i].fn || (m->pops[i].naccums > 0 && !kernels_out[i].fn_acc)) {
            jit_free(j);
            return NULL;
        }
    }
    /* plastic projections' events: entry npops + p (ir.h) */
    for (int p = 0; p < m->nprojs; p++) {
        if (!m->projs[p].plastic)
            continue;
        struct ir_kernel *k = &kernels_out[m->npops + p];
        char name[48];
        *k = (struct ir_kernel){0};
        snprintf(name, sizeof name, "bn_proj_%d_pre", p);
        k->pre = (ir_event_fn)(uintptr_t)lookup(j, name, d);
        snprintf(name, sizeof name, "bn_proj_%d_post", p);
        k->post = (ir_event_fn)(uintptr_t)lookup(j, name, d);
        if (!k->pre || !k->post) {
            jit_free(j);
            return NULL;
        }
    }
    return j;
}

bool jit_compile_model_stats(const struct ir_model *m, struct ir_kernel *kernels_out, struct jit **out,
                             struct jit_stats *st, struct diags *d)
{
    struct clocks t0 = clocks_now(), t = t0;
    struct jit_stats local;
    st = st ? st : &local;
    memset(st, 0, sizeof *st);
    *out = NULL;
    struct cg_module *cm = cg_build_with(m, NULL, d);   /* unoptimised: its text is the key */
    if (!cm)
        return false;
    LLVMTargetMachineRef tm = cg_host_machine(d);
    if (!tm) {
        cg_free(cm);
        return false;
    }
    phase_end(st, JIT_PHASE_BUILD, &t);
    char dir[4096];
    bool use_cache = jit_cache_dir(dir, sizeof dir);
    struct jit_hash key = {0, 0};
    char *text = use_cache ? module_text(cm) : NULL;
    use_cache = text != NULL;
    if (use_cache) {
        key = module_key(text, tm);
        free(text);
        size_t len;
        void *payload = jit_cache_load(dir, key, &len);
        phase_end(st, JIT_PHASE_KEY, &t);
        st->cache = JIT_CACHE_MISS;
        if (payload) {
            /* A verified entry; should LLVM still refuse it (it cannot, short of a key collision), the
             * kernels are compiled below as on a miss and the entry is overwritten. */
            struct arena a;
            struct diags quiet;   /* such a failure is not the user's error */
            arena_init(&a);
            diags_init(&quiet, &a);
            LLVMMemoryBufferRef obj = LLVMCreateMemoryBufferWithMemoryRangeCopy(payload, len, "balnet-kernels");
            free(payload);
            *out = load_object(obj, m, kernels_out, &quiet);
            arena_free(&a);
            if (*out) {
                st->cache = JIT_CACHE_HIT;
                cg_free(cm);
            }
            phase_end(st, JIT_PHASE_LINK, &t);
        }
    }
    if (!*out) {
        LLVMMemoryBufferRef obj = compile_object(cm, tm, st, d);
        t = clocks_now();
        if (obj && use_cache)
            st->stored = jit_cache_store(dir, key, LLVMGetBufferStart(obj), LLVMGetBufferSize(obj));
        phase_end(st, JIT_PHASE_KEY, &t);   /* the store: the cache's other cost */
        if (obj)
            *out = load_object(obj, m, kernels_out, d);
        phase_end(st, JIT_PHASE_LINK, &t);
    }
    LLVMDisposeTargetMachine(tm);
    struct clocks t1 = clocks_now();
    st->compile_ms = 1e-6 * (double)(t1.wall - t0.wall);
    st->compile_cpu_ms = 1e-6 * (double)(t1.cpu - t0.cpu);
    return *out != NULL;
}

bool jit_compile_model(const struct ir_model *m, struct ir_kernel *kernels_out, struct jit **out, double *compile_ms,
                       struct diags *d)
{
    struct jit_stats st;
    bool ok = jit_compile_model_stats(m, kernels_out, out, &st, d);
    if (compile_ms)
        *compile_ms = st.compile_ms;
    return ok;
}
