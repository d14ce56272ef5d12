/*
 * jit.c - the whole way from an IR model to callable kernels.
 *
 * A compile (jit_compile_start/finish) splits the model into its parts (cg_part_count: a population's
 * kernel, its accumulating kernel, a plastic projection's events) and takes them on up to `threads` threads
 * (helpers started at jit_compile_start, and the caller in jit_compile_finish).  Per part: with the cache on,
 * its key from balnet's IR (jit_key.h: no LLVM) and the object looked up (jit_cache.h); on a miss LLVM
 * compiles it (jit_llvm.h: each part in a module of its own, each thread with a target machine of its own)
 * and the object is stored.  Then the caller loads every part's object with balnet's own loader
 * (jit_load.h), or, when that refuses them, links them in a new LLJIT, and looks the kernels up.  So hit,
 * miss and cache off all run one kind of machine code, and the code of a part does not depend on the thread
 * count or on which thread compiled it.  LLVM is reached only through the table of jit_llvm.h, so a hit
 * never loads it.
 *
 * Ownership: a struct jit owns its image or its LLJIT; jit_free disposes it.  Kernel pointers die with it.
 * Must not: include llvm-c/, print or exit; errors go to diags.
 */
#include "jit/jit.h"

#include "jit/jit_cache.h"
#include "jit/jit_key.h"
#include "jit/jit_load.h"
#include "jit/jit_libm.h"
#include "jit/jit_llvm.h"
#include "jit/jit_plain.h"

#include "support/util.h"

#include <llvm/Config/llvm-config.h>   /* LLVM_VERSION_STRING, for the cache key: a header, no LLVM code */

#include <pthread.h>
#include <setjmp.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The kernels' code: in balnet's own image (jit_load.h), or, when that loader refuses the objects, in an
 * LLJIT (exactly one of the two is set). */
struct jit {
    struct jit_image *image;
    void *lljit;                         /* from llvm->lljit_link */
    const struct jit_llvm *llvm;         /* the table that made lljit */
    struct jit_plain *plain;   /* per population: the plain kernel's context when cg_plain_from_acc */
};

static ir_kernel_fn lookup(struct jit *j, const char *name, struct diags *d)
{
    if (j->image) {
        void *p = jit_image_lookup(j->image, name);
        if (!p)
            diag_error(d, SPAN_NONE, "JIT compilation failed: no kernel '%s' in the loaded objects", name);
        return (ir_kernel_fn)(uintptr_t)p;
    }
    return (ir_kernel_fn)(uintptr_t)j->llvm->lljit_lookup(j->lljit, name, d);
}

void jit_free(struct jit *j)
{
    if (!j)
        return;
    jit_image_free(j->image);
    if (j->lljit)
        j->llvm->lljit_free(j->lljit);
    free(j->plain);
    free(j);
}

const char *jit_cache_state_name(enum jit_cache_state s)
{
    return s == JIT_CACHE_HIT ? "hit" : s == JIT_CACHE_MISS ? "miss" : "off";
}

/* What the kernels' machine code depends on besides the IR (jit_key.h), read once per process without LLVM:
 * the triple LLVM is configured for (the one cg_host_machine asks for) and the host CPU's fingerprint
 * (jit_host_cpu), which determines LLVM's CPU name and features. */
static struct jit_key_env key_env;
static pthread_once_t key_env_once = PTHREAD_ONCE_INIT;

static void key_env_init(void)
{
    key_env = (struct jit_key_env){.code_id = jit_code_id(), .version = BN_VERSION,
                                   .llvm_version = LLVM_VERSION_STRING, .pipeline = cg_pipeline_id(),
                                   .triple = LLVM_DEFAULT_TARGET_TRIPLE, .cpu = jit_host_cpu(), .features = ""};
}

/* Every population's kernel (and accumulating kernel, when it has accums) and every plastic projection's
 * event pair looked up in j into kernels_out.  code_of[2 i] (plain) and [2 i + 1] (accumulating): the
 * population whose compiled kernel population i runs (its twin's, or its own).  A plain kernel that was not
 * compiled (cg_plain_from_acc) is jit_plain_kernel on the accumulating one, with j->plain[i] as context. */
static bool lookup_all(struct jit *j, const struct ir_model *m, const int *code_of, struct ir_kernel *kernels_out,
                       struct diags *d)
{
    if (!(j->plain = calloc((size_t)m->npops + 1, sizeof *j->plain))) {
        diag_error(d, SPAN_NONE, "out of memory linking the kernels");
        return false;
    }
    for (int i = 0; i < m->npops; i++) {
        char name[40];
        const struct ir_pop *p = &m->pops[i];
        kernels_out[i].fn_acc = NULL;
        kernels_out[i].ctx = NULL;
        if (cg_plain_from_acc(p)) {
            snprintf(name, sizeof name, "bn_pop_%d.acc", code_of[2 * i + 1]);
            j->plain[i] = (struct jit_plain){.acc = (ir_kernel_acc_fn)(uintptr_t)lookup(j, name, d), .nvars = p->nvars,
                                             .nobs = p->nobs, .nacc_cols = p->nacc_cols, .single = p->single};
            kernels_out[i].fn_acc = j->plain[i].acc;
            kernels_out[i].fn = j->plain[i].acc ? jit_plain_kernel : NULL;
            kernels_out[i].ctx = &j->plain[i];   /* the compiled kernels ignore their ctx */
            if (!kernels_out[i].fn)
                return false;
            continue;
        }
        snprintf(name, sizeof name, "bn_pop_%d", code_of[2 * i]);
        kernels_out[i].fn = lookup(j, name, d);
        if (kernels_out[i].fn && m->pops[i].naccums > 0) {
            snprintf(name, sizeof name, "bn_pop_%d.acc", code_of[2 * i + 1]);
            kernels_out[i].fn_acc = (ir_kernel_acc_fn)(uintptr_t)lookup(j, name, d);
        }
        if (!kernels_out[i].fn || (m->pops[i].naccums > 0 && !kernels_out[i].fn_acc))
            return false;
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
        if (!k->pre || !k->post)
            return false;
    }
    return true;
}

/* ---- a compile: parts on threads, then one LLJIT -------------------------------------------------------- */

/* One part of the model's code (cg_part_count): its object file, whether it came from the cache, and the
 * phases it took (in the thread that compiled it). */
struct part {
    unsigned char *obj;    /* the ELF object (malloc'd), from the cache or from LLVM */
    size_t obj_len;
    int twin;              /* >= 0: the earlier part whose code this one is (no object of its own) */
    struct jit_hash shape; /* jit_part_shape: equal for twins */
    bool kernel;           /* a population's kernel part (only those can be twins) */
    bool shaped;           /* its shape is known: parts after it may look */
    bool hit, stored;
    struct jit_stats st;   /* phase_ms, phase_cpu_ms */
    char err[512];         /* why it failed; "" when obj is set */
};

#define JIT_MAX_HELPERS 63   /* a compile uses at most 64 threads, like one network (runtime/sim.c) */

struct jit_compile {
    const struct ir_model *m;
    int nparts;
    struct part *parts;
    atomic_int next;                   /* the next part a thread takes */
    pthread_mutex_t shapes;            /* guards the parts' shape, shaped and twin */
    pthread_cond_t shaped;             /* a part became shaped */
    bool use_cache;
    char dir[4096];
    pthread_t helpers[JIT_MAX_HELPERS];
    /* What each thread did, read after pthread_join: [0, nhelpers) the helpers, [nhelpers] the caller. */
    struct worker {
        struct jit_compile *c;
        double cpu_ms;                 /* its thread CPU time */
        int64_t from_ns, to_ns;        /* wall clock around its parts (equal: it compiled none) */
    } worker[JIT_MAX_HELPERS + 1];
    int nhelpers;
    bool preloading;                   /* jit_llvm_preload started: finish waits for the load */
};

/* Whether kernel part p is the twin of an earlier part (another population with the same neuron and
 * constants: COBA's and the paper model's E and I, whose parts have equal shapes, jit_key.h, and so compile
 * to the same machine code but for the kernels' names): then p->twin is set and p needs no code of its own.
 * Waits until every earlier part is shaped (threads take parts in order, and a part waits only for earlier
 * ones, so this ends; each waits at most a structural hash), so the outcome does not depend on the threads'
 * timing: the same parts are twins on a miss and on a hit, and a twin never lacks its cache entry. */
static bool find_twin(struct jit_compile *c, int p)
{
    pthread_mutex_lock(&c->shapes);
    for (int q = 0; q < p; q++)
        while (!c->parts[q].shaped)
            pthread_cond_wait(&c->shaped, &c->shapes);
    int twin = -1;
    const struct part *pt = &c->parts[p];
    for (int q = 0; pt->kernel && q < p && twin < 0; q++)
        if (c->parts[q].kernel && c->parts[q].shape.lo == pt->shape.lo && c->parts[q].shape.hi == pt->shape.hi)
            twin = q;
    c->parts[p].twin = twin;
    c->parts[p].shaped = true;
    pthread_cond_broadcast(&c->shaped);
    pthread_mutex_unlock(&c->shapes);
    return twin >= 0;
}

/* Marks part p shaped (a failed part too), so later parts do not wait for it. */
static void mark_shaped(struct jit_compile *c, int p)
{
    pthread_mutex_lock(&c->shapes);
    c->parts[p].shaped = true;
    pthread_cond_broadcast(&c->shaped);
    pthread_mutex_unlock(&c->shapes);
}

/* Part p's object: from the cache, or compiled (and stored).  The key needs no LLVM (jit_key.h); on a miss
 * LLVM compiles it (jit_llvm.h) with *tm, the thread's target machine, taken at its first miss.
 * force: ignore the cache (a cached object that could not be loaded).  Errors go to pt->err. */
static void compile_part_in(struct jit_compile *c, int p, void **tm, bool force, struct diags *d)
{
    struct part *pt = &c->parts[p];
    free(pt->obj);   /* recompiling (force): an object that was not loaded */
    pt->obj = NULL;
    pt->obj_len = 0;
    pt->hit = pt->stored = false;
    struct jit_clocks t = jit_clocks_now();
    bool acc;
    pt->kernel = cg_part_population(c->m, p, &acc) >= 0;
    pt->shape = jit_part_shape(c->m, p);
    bool twin = force ? pt->twin >= 0 : find_twin(c, p);
    jit_phase_end(&pt->st, JIT_PHASE_KEY, &t);
    if (twin)
        return;
    struct jit_hash key = {0, 0};
    if (c->use_cache) {
        pthread_once(&key_env_once, key_env_init);
        key = jit_part_key(c->m, p, pt->shape, &key_env);
        if (!force && (pt->obj = jit_cache_load(c->dir, key, &pt->obj_len)))
            pt->hit = true;
        jit_phase_end(&pt->st, JIT_PHASE_KEY, &t);
        if (pt->hit)
            return;
    }
    const struct jit_llvm *llvm = jit_llvm(d);   /* the first miss loads LLVM (jit_llvm.h) */
    if (!llvm || !llvm->compile_part(c->m, p, tm, &pt->obj, &pt->obj_len, &pt->st, d))
        return;
    t = jit_clocks_now();
    if (pt->obj && c->use_cache)
        pt->stored = jit_cache_store(c->dir, key, pt->obj, pt->obj_len);
    jit_phase_end(&pt->st, JIT_PHASE_KEY, &t);   /* the store: the cache's other cost */
}

/* compile_part_in with the part's own diagnostics, in the calling thread; out of memory in them fails the
 * part (the LLVM objects it held leak, as anywhere LLVM itself runs out). */
/* Gives a thread's target machine back (NULL: it compiled nothing, and LLVM may not be loaded). */
static void give_machine(void *tm)
{
    if (tm)
        jit_llvm(NULL)->machine_give(tm);
}

static void compile_part(struct jit_compile *c, int p, void **tm, bool force)
{
    struct part *pt = &c->parts[p];
    struct arena a;
    struct diags d;
    arena_init(&a);
    diags_init(&d, &a);
    jmp_buf oom;
    if (setjmp(oom)) {
        snprintf(pt->err, sizeof pt->err, "out of memory in code generation");
    } else {
        a.on_oom = &oom;
        compile_part_in(c, p, tm, force, &d);
        if (!pt->obj && pt->twin < 0)
            snprintf(pt->err, sizeof pt->err, "%s", d.head ? d.head->msg : "code generation failed");
    }
    a.on_oom = NULL;
    arena_free(&a);
    mark_shaped(c, p);   /* a failed part too: later parts must not wait for it */
}

/* Takes parts until none is left, recording its CPU time and when it compiled in *w. */
static void work(struct jit_compile *c, struct worker *w)
{
    int64_t cpu0 = util_thread_cpu_ns();
    void *tm = NULL;
    w->from_ns = w->to_ns = util_now_ns();
    for (int p; (p = atomic_fetch_add(&c->next, 1)) < c->nparts;) {
        compile_part(c, p, &tm, false);
        w->to_ns = util_now_ns();
    }
    give_machine(tm);
    w->cpu_ms = 1e-6 * (double)(util_thread_cpu_ns() - cpu0);
}

static void *helper_main(void *arg)
{
    struct worker *w = arg;
    work(w->c, w);
    return NULL;
}

/* The wall time during which at least one thread was compiling: the union of the workers' intervals (a
 * caller that builds the network before it takes its share leaves a gap that is not compile time). */
static double busy_ms(struct worker *w, int n)
{
    for (int i = 1; i < n; i++)   /* insertion sort by start: n is the thread count */
        for (int k = i; k > 0 && w[k].from_ns < w[k - 1].from_ns; k--) {
            struct worker t = w[k];
            w[k] = w[k - 1];
            w[k - 1] = t;
        }
    int64_t total = 0, from = 0, to = INT64_MIN;
    for (int i = 0; i < n; i++) {
        if (w[i].to_ns <= w[i].from_ns)
            continue;
        if (w[i].from_ns > to) {   /* a gap: close the interval so far */
            total += to > from ? to - from : 0;
            from = w[i].from_ns;
            to = w[i].to_ns;
        } else if (w[i].to_ns > to) {
            to = w[i].to_ns;
        }
    }
    total += to > from ? to - from : 0;
    return 1e-6 * (double)total;
}

/* Whether every part that is not a twin has an entry in the cache (not yet verified: jit_cache_load does
 * that when the part is taken).  Twins as find_twin decides them: equal shapes of population kernels. */
static bool all_cached(struct jit_compile *c)
{
    if (!c->use_cache)
        return false;
    pthread_once(&key_env_once, key_env_init);
    bool all = true;
    for (int p = 0; p < c->nparts && all; p++) {
        bool acc;
        c->parts[p].kernel = cg_part_population(c->m, p, &acc) >= 0;
        c->parts[p].shape = jit_part_shape(c->m, p);
        bool twin = false;
        for (int q = 0; q < p && !twin; q++)
            twin = c->parts[p].kernel && c->parts[q].kernel && c->parts[q].shape.lo == c->parts[p].shape.lo &&
                   c->parts[q].shape.hi == c->parts[p].shape.hi;
        char path[4200];
        all = twin || (jit_cache_path(path, sizeof path, c->dir, jit_part_key(c->m, p, c->parts[p].shape, &key_env)) &&
                       access(path, R_OK) == 0);
    }
    return all;
}

struct jit_compile *jit_compile_start(const struct ir_model *m, int threads)
{
    struct jit_compile *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->m = m;
    c->nparts = cg_part_count(m);
    if (!(c->parts = calloc((size_t)c->nparts + 1, sizeof *c->parts))) {
        free(c);
        return NULL;
    }
    atomic_init(&c->next, 0);
    pthread_mutex_init(&c->shapes, NULL);
    pthread_cond_init(&c->shaped, NULL);
    for (int p = 0; p < c->nparts; p++)
        c->parts[p].twin = -1;
    c->use_cache = jit_cache_dir(c->dir, sizeof c->dir);
    /* The caller takes parts too (in jit_compile_finish), so threads - 1 helpers, and no more than parts;
     * none when every part is in the cache (a hit is ~1 ms of work: starting and waking a thread would cost
     * as much, and more on a loaded machine). */
    int want = threads - 1 < c->nparts - 1 ? threads - 1 : c->nparts - 1;
    if (!all_cached(c)) {
        /* A part will be compiled: LLVM loads while the helpers start, or while the caller builds the
         * network (jit_llvm.h); jit_compile_finish waits for it. */
        jit_llvm_preload();
        c->preloading = true;
    } else {
        want = 0;
    }
    want = want > JIT_MAX_HELPERS ? JIT_MAX_HELPERS : want;
    for (int h = 0; h < want; h++) {
        c->worker[h].c = c;
        if (pthread_create(&c->helpers[h], NULL, helper_main, &c->worker[h]) != 0)
            break;   /* a thread that cannot start leaves its parts to the others */
        c->nhelpers = h + 1;
    }
    return c;
}

/* Every part's object in balnet's own image (jit_load.h); NULL when the loader refuses them, or when
 * BALNET_LOADER=llvm asks for the LLJIT (to compare the two, or should the own loader be suspected). */
static struct jit *load_own(struct jit_compile *c)
{
    const char *which = getenv("BALNET_LOADER");
    if (which && !strcmp(which, "llvm"))
        return NULL;
    const unsigned char **objs = malloc(sizeof *objs * ((size_t)c->nparts + 1));
    size_t *lens = malloc(sizeof *lens * ((size_t)c->nparts + 1));
    struct jit *j = objs && lens ? calloc(1, sizeof *j) : NULL;
    int n = 0;
    for (int p = 0; j && p < c->nparts; p++)
        if (c->parts[p].obj) {   /* a twin has none: its kernels are another part's */
            objs[n] = c->parts[p].obj;
            lens[n++] = c->parts[p].obj_len;
        }
    if (j && !(j->image = jit_image_load(objs, lens, n, jit_resolve_symbol))) {
        free(j);
        j = NULL;
    }
    free(objs);
    free(lens);
    return j;
}

/* A new LLJIT holding a copy of every part's object (loads LLVM, jit_llvm.h). */
static struct jit *load_lljit(struct jit_compile *c, struct diags *d)
{
    const struct jit_llvm *llvm = jit_llvm(d);
    struct jit *j = llvm ? calloc(1, sizeof *j) : NULL;
    const unsigned char **objs = j ? malloc(sizeof *objs * ((size_t)c->nparts + 1)) : NULL;
    size_t *lens = objs ? malloc(sizeof *lens * ((size_t)c->nparts + 1)) : NULL;
    if (llvm && !lens)
        diag_error(d, SPAN_NONE, "out of memory linking the kernels");
    int n = 0;
    for (int p = 0; lens && p < c->nparts; p++)
        if (c->parts[p].obj) {   /* a twin has none */
            objs[n] = c->parts[p].obj;
            lens[n++] = c->parts[p].obj_len;
        }
    if (lens && (j->lljit = llvm->lljit_link(objs, lens, n, d)))
        j->llvm = llvm;
    free(objs);
    free(lens);
    if (j && !j->lljit) {
        free(j);
        j = NULL;
    }
    return j;
}

/* Every part's object linked, by balnet's own loader when it takes them (*own), else by a new LLJIT, and
 * every kernel looked up. */
static struct jit *link_parts(struct jit_compile *c, struct ir_kernel *kernels_out, bool *own, struct diags *d)
{
    struct jit *j = load_own(c);
    *own = j != NULL;
    if (!j)
        j = load_lljit(c, d);
    int *code_of = j ? malloc(sizeof *code_of * (2 * (size_t)c->m->npops + 1)) : NULL;
    if (j && !code_of) {
        diag_error(d, SPAN_NONE, "out of memory linking the kernels");
        jit_free(j);
        j = NULL;
    }
    for (int i = 0; j && i < 2 * c->m->npops; i++)
        code_of[i] = i / 2;
    for (int p = 0; j && p < c->nparts; p++) {
        bool acc, twin_acc;
        int pop = cg_part_population(c->m, p, &acc);
        if (c->parts[p].twin >= 0 && pop >= 0)
            code_of[2 * pop + acc] = cg_part_population(c->m, c->parts[p].twin, &twin_acc);
    }
    if (j && !lookup_all(j, c->m, code_of, kernels_out, d)) {
        jit_free(j);
        j = NULL;
    }
    free(code_of);
    return j;
}

static void compile_free(struct jit_compile *c)
{
    for (int p = 0; p < c->nparts; p++)
        free(c->parts[p].obj);
    pthread_mutex_destroy(&c->shapes);
    pthread_cond_destroy(&c->shaped);
    free(c->parts);
    free(c);
}

bool jit_compile_finish(struct jit_compile *c, struct ir_kernel *kernels_out, struct jit **out, struct jit_stats *st,
                        struct diags *d)
{
    struct jit_stats local;
    st = st ? st : &local;
    memset(st, 0, sizeof *st);
    *out = NULL;
    if (!c) {
        diag_error(d, SPAN_NONE, "out of memory starting the JIT compile");
        return false;
    }
    struct jit_clocks arrive = jit_clocks_now();
    work(c, &c->worker[c->nhelpers]);   /* the parts no helper has taken yet */
    double cpu_ms = c->worker[c->nhelpers].cpu_ms;
    for (int h = 0; h < c->nhelpers; h++) {
        pthread_join(c->helpers[h], NULL);
        cpu_ms += c->worker[h].cpu_ms;
    }
    if (c->preloading)
        (void)jit_llvm(NULL);   /* never return (and let the process exit) while the module's constructors run */
    struct jit_clocks t = jit_clocks_now();
    st->wait_ms = 1e-6 * (double)(t.wall - arrive.wall);
    bool ok = true;
    int misses = 0, hits = 0, stored = 0;
    for (int p = 0; p < c->nparts; p++) {
        const struct part *pt = &c->parts[p];
        for (int k = 0; k < JIT_NPHASES; k++) {
            st->phase_ms[k] += pt->st.phase_ms[k];
            st->phase_cpu_ms[k] += pt->st.phase_cpu_ms[k];
        }
        if (!pt->obj && pt->twin < 0 && ok) {
            diag_error(d, SPAN_NONE, "%s", pt->err);
            ok = false;
        }
        misses += !pt->hit && pt->twin < 0;
        hits += pt->hit;
        stored += pt->stored;
        st->shared += pt->twin >= 0;
    }
    st->parts = c->nparts;
    st->threads = 1 + c->nhelpers;
    if (ok && hits > 0) {
        /* Should neither loader take a verified cache entry (they cannot, short of a key collision), every
         * part is compiled here as on a miss, and the entries are overwritten. */
        struct arena a;
        struct diags quiet;   /* such a failure is not the user's error */
        arena_init(&a);
        diags_init(&quiet, &a);
        *out = link_parts(c, kernels_out, &st->own_loader, &quiet);
        arena_free(&a);
        if (!*out) {
            void *tm = NULL;
            misses = stored = 0;
            for (int p = 0; p < c->nparts && ok; p++) {
                compile_part(c, p, &tm, true);
                misses += c->parts[p].twin < 0;
                stored += c->parts[p].stored;
                if (!c->parts[p].obj && c->parts[p].twin < 0) {
                    diag_error(d, SPAN_NONE, "%s", c->parts[p].err);
                    ok = false;
                }
            }
            give_machine(tm);
        }
    }
    if (ok && !*out)
        *out = link_parts(c, kernels_out, &st->own_loader, d);
    struct jit_clocks t1 = t;
    jit_phase_end(st, JIT_PHASE_LINK, &t1);
    st->cache = !c->use_cache ? JIT_CACHE_OFF : misses == 0 ? JIT_CACHE_HIT : JIT_CACHE_MISS;
    st->stored = c->use_cache && misses > 0 && stored == misses;
    /* While any thread compiled, plus the link: what the compile itself took, not the caller's network
     * build before it took its share (jit.h). */
    st->compile_ms = busy_ms(c->worker, c->nhelpers + 1) + 1e-6 * (double)(t1.wall - t.wall);
    st->compile_cpu_ms = cpu_ms + 1e-6 * (double)(t1.cpu - t.cpu);
    compile_free(c);
    return *out != NULL;
}

bool jit_llvm_preload_if_cold(void)
{
    char dir[4096];
    if (jit_cache_dir(dir, sizeof dir) && access(dir, F_OK) == 0)
        return false;
    jit_llvm_preload();
    return true;
}

void jit_llvm_settle(void)
{
    (void)jit_llvm(NULL);
}

bool jit_dump_llvm(FILE *out, const struct ir_model *m, bool optimise, struct diags *d)
{
    const struct jit_llvm *llvm = jit_llvm(d);
    return llvm && llvm->dump(out, m, optimise, d);
}

bool jit_compile_model_stats(const struct ir_model *m, int threads, struct ir_kernel *kernels_out, struct jit **out,
                             struct jit_stats *st, struct diags *d)
{
    return jit_compile_finish(jit_compile_start(m, threads), kernels_out, out, st, d);
}

bool jit_compile_model(const struct ir_model *m, struct ir_kernel *kernels_out, struct jit **out, double *compile_ms,
                       struct diags *d)
{
    struct jit_stats st;
    bool ok = jit_compile_model_stats(m, 1, kernels_out, out, &st, d);
    if (compile_ms)
        *compile_ms = st.compile_ms;
    return ok;
}
