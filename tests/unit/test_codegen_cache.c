/*
 * test_codegen_cache.c - the persistent kernel cache (compiler/jit/jit_cache.h): a first compile is a miss
 * that stores one object, a second is a hit whose kernels are bit-identical (memcmp, tolerance 0: the same
 * machine code) to the miss's and to the interpreter's; a model differing in one constant gets another key;
 * damaged entries (truncated, one flipped payload byte, garbage, empty, another key's file) are rejected,
 * recompiled and repaired; BALNET_CACHE_DIR="" disables the cache and an impossible directory only loses
 * the store; a model's parts (populations) are compiled on several threads and cached apart.  Also:
 * SipHash-2-4-128 against the reference vectors, the directory rules, the size bound.  A target machine
 * kept between compiles (jit_machines.h) emits a byte-identical object to a new one's.  The keys come from
 * balnet's IR (jit_key.h): they change with every field of the environment, the precision, a constant, the
 * part's kind and population, agree with the generated LLVM IR (equal shapes exactly when the parts' texts
 * are equal but for the kernels' names), and do not depend on where the IR lives in memory.  Balnet's own
 * object loader (jit_load.h) links misses and hits (a libm call through the GOT included) and refuses what
 * it does not know (another machine, an unknown relocation, an unresolved symbol, a truncated file).
 *
 * Every test uses its own mkdtemp directory through BALNET_CACHE_DIR, never the user's ~/.cache.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "codegen/cg_llvm.h"
#include "interp/interp.h"
#include "jit/jit.h"
#include "jit/jit_cache.h"
#include "jit/jit_key.h"
#include "jit/jit_load.h"

#include <elf.h>

#define STEP 0.1
#define NCELLS 257     /* odd: the vector loops' remainders run too */
#define NSTEPS 400

static struct arena A;
static char tmpdir[64];

/* ---- a population: leaky integrate-and-fire with an exponentially decaying conductance --------------- */

/*   V(t+dt) = V_inf + (V + k g - V_inf) exp(-dt/tau) exp(-g/50),  g(t+dt) = 0.97 g + 0.3,  V_inf = E_L + drive
 * spike at V >= -50, reset to -65, 2 ms refractory.  `drive` is the constant that differs between keys. */
static struct ir_pop leaky_pop(double drive)
{
    static const char *const names[] = {"V", "g", "refr"};
    static const enum ir_var_kind kinds[] = {IR_VAR_STATE, IR_VAR_RECEPTOR, IR_VAR_REFRACTORY};
    struct ir_var *vars = arena_alloc(&A, 3 * sizeof *vars);
    for (int k = 0; k < 3; k++)
        vars[k] = (struct ir_var){.name = names[k], .kind = kinds[k], .init = ir_const(&A, 0)};
    double vinf = -65 + drive;
    struct ir_expr *v = ir_var(&A, 0), *g = ir_var(&A, 1);
    struct ir_expr *shifted = ir_node(&A, IR_SUB, ir_node(&A, IR_ADD, v, ir_node(&A, IR_MUL, g, ir_const(&A, 0.25), NULL),
                                                          NULL), ir_const(&A, vinf), NULL);
    struct ir_expr *decay = ir_node(&A, IR_MUL, ir_const(&A, exp(-STEP / 20)),
                                    ir_node(&A, IR_EXP, ir_node(&A, IR_DIV, g, ir_const(&A, -50), NULL), NULL, NULL),
                                    NULL);
    struct ir_update *up = arena_alloc(&A, 2 * sizeof *up);
    up[0] = (struct ir_update){.var = 0, .solver = IR_SOLVER_EXACT, .frozen = true,
                               .next = ir_node(&A, IR_ADD, ir_const(&A, vinf), ir_node(&A, IR_MUL, shifted, decay, NULL),
                                               NULL)};
    up[1] = (struct ir_update){.var = 1, .solver = IR_SOLVER_EXACT,
                               .next = ir_node(&A, IR_ADD, ir_node(&A, IR_MUL, g, ir_const(&A, 0.97), NULL),
                                               ir_const(&A, 0.3), NULL)};
    struct ir_reset *reset = arena_alloc(&A, sizeof *reset);
    *reset = (struct ir_reset){.var = 0, .value = ir_const(&A, -65)};
    struct ir_observable *obs = arena_alloc(&A, sizeof *obs);
    *obs = (struct ir_observable){.name = "V", .expr = v};
    return (struct ir_pop){.name = "leaky", .neuron = "leaky", .size = NCELLS, .vars = vars, .nvars = 3,
                           .updates = up, .nupdates = 2, .spike_cond = ir_node(&A, IR_GE, v, ir_const(&A, -50), NULL),
                           .spike_var = 0, .resets = reset, .nresets = 1, .refr_var = 2, .refr_steps = 20,
                           .obs = obs, .nobs = 1, .v_var = 0, .span = SPAN_NONE};
}

static struct ir_model model_with(struct ir_pop *pop)
{
    return (struct ir_model){.name = "cache", .dt = STEP, .duration = NSTEPS * STEP, .seed = 7, .pops = pop, .npops = 1};
}

/* ---- running kernels ------------------------------------------------------------------------------- */

struct state {
    double *col[3], *obs[1];
    uint8_t spiked[NCELLS];
};

static void state_init(struct state *s)
{
    uint64_t x = 0x243f6a8885a308d3ull;   /* a fixed LCG: the same start for every engine */
    for (int k = 0; k < 3; k++)
        s->col[k] = calloc(NCELLS, sizeof(double));
    s->obs[0] = calloc(NCELLS, sizeof(double));
    for (int i = 0; i < NCELLS; i++) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        s->col[0][i] = -65 + 15 * (double)(x >> 11) * 0x1p-53;
        s->col[1][i] = (double)(i % 13);
        s->col[2][i] = (double)(i % 7 == 0 ? 5 : 0);
    }
}

static void state_free(struct state *s)
{
    for (int k = 0; k < 3; k++)
        free(s->col[k]);
    free(s->obs[0]);
}

/* Steps the engines in lockstep; every state column, observable and spike flag must be memcmp-equal at
 * every step.  Returns the number of spikes (so equality is not vacuous). */
static long run_engines(const struct ir_kernel *k, int nk)
{
    struct state s[3];
    long spikes = 0;
    for (int e = 0; e < nk; e++)
        state_init(&s[e]);
    for (int t = 0; t < NSTEPS; t++) {
        for (int e = 0; e < nk; e++)
            k[e].fn(k[e].ctx, s[e].col, s[e].obs, s[e].spiked, 0, NCELLS, NULL);
        for (int e = 1; e < nk; e++) {
            for (int c = 0; c < 3; c++)
                if (memcmp(s[0].col[c], s[e].col[c], NCELLS * sizeof(double)))
                    fail_msg("engine %d: column %d differs from engine 0 at step %d", e, c, t);
            if (memcmp(s[0].obs[0], s[e].obs[0], NCELLS * sizeof(double)) || memcmp(s[0].spiked, s[e].spiked, NCELLS))
                fail_msg("engine %d: observable or spikes differ from engine 0 at step %d", e, t);
        }
        for (int i = 0; i < NCELLS; i++)
            spikes += s[0].spiked[i];
    }
    for (int e = 0; e < nk; e++)
        state_free(&s[e]);
    return spikes;
}

/* ---- cache directory helpers ----------------------------------------------------------------------- */

/* Number of entries in dir ending in `suffix` (".bnobj", or ".tmp" parts for leftovers); -1: no dir. */
static int count_files(const char *dir, const char *suffix)
{
    DIR *dp = opendir(dir);
    if (!dp)
        return -1;
    int n = 0;
    for (struct dirent *e; (e = readdir(dp));)
        if (strstr(e->d_name, suffix))
            n++;
    closedir(dp);
    return n;
}

/* The path of the only .bnobj in dir. */
static void only_entry(const char *dir, char *path, size_t n)
{
    DIR *dp = opendir(dir);
    assert_non_null(dp);
    path[0] = 0;
    for (struct dirent *e; (e = readdir(dp));)
        if (strstr(e->d_name, ".bnobj"))
            snprintf(path, n, "%s/%s", dir, e->d_name);
    closedir(dp);
    assert_true(path[0] != 0);
}

static struct jit *compile_on(struct ir_model *m, int threads, struct ir_kernel *k, struct jit_stats *st)
{
    struct diags d;
    diags_init(&d, &A);
    struct jit *j = NULL;
    if (!jit_compile_model_stats(m, threads, k, &j, st, &d))
        fail_msg("jit_compile_model_stats failed: %s", d.head ? d.head->msg : "?");
    assert_int_equal(d.errors, 0);
    return j;
}

static struct jit *compile(struct ir_model *m, struct ir_kernel *k, struct jit_stats *st)
{
    return compile_on(m, 1, k, st);
}

static void rm_tree(const char *dir)
{
    DIR *dp = opendir(dir);
    if (!dp)
        return;
    char p[512];
    for (struct dirent *e; (e = readdir(dp));) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        if (unlink(p) != 0)
            rm_tree(p);
    }
    closedir(dp);
    rmdir(dir);
}

static int setup(void **st)
{
    arena_init(&A);
    strcpy(tmpdir, "/tmp/balnet-cache-test.XXXXXX");
    if (!mkdtemp(tmpdir))
        return -1;
    setenv("BALNET_CACHE_DIR", tmpdir, 1);
    return 0;
}

static int teardown(void **st)
{
    rm_tree(tmpdir);
    arena_free(&A);
    return 0;
}

/* ---- tests ------------------------------------------------------------------------------------------ */

/* SipHash-2-4-128 reference vectors (github.com/veorq/SipHash, vectors.h: key 00..0f, message 00..len-1,
 * tag bytes in order) for lengths 0, 15 (tail only after one word) and 63; each also fed in pieces. */
static void test_siphash_vectors(void **st)
{
    static const struct {
        int len;
        unsigned char tag[16];
    } vec[] = {
        {0, {0xa3, 0x81, 0x7f, 0x04, 0xba, 0x25, 0xa8, 0xe6, 0x6d, 0xf6, 0x72, 0x14, 0xc7, 0x55, 0x02, 0x93}},
        {15, {0x54, 0x93, 0xe9, 0x99, 0x33, 0xb0, 0xa8, 0x11, 0x7e, 0x08, 0xec, 0x0f, 0x97, 0xcf, 0xc3, 0xd9}},
        {63, {0x51, 0x50, 0xd1, 0x77, 0x2f, 0x50, 0x83, 0x4a, 0x50, 0x3e, 0x06, 0x9a, 0x97, 0x3f, 0xbd, 0x7c}},
    };
    unsigned char msg[64];
    for (int i = 0; i < 64; i++)
        msg[i] = (unsigned char)i;
    const uint64_t k0 = 0x0706050403020100ull, k1 = 0x0f0e0d0c0b0a0908ull;
    for (size_t v = 0; v < sizeof vec / sizeof vec[0]; v++) {
        for (int piece = 1; piece <= 64; piece *= 3) {   /* 1, 3, 9, 27, 81 bytes per update call */
            struct jit_sip s;
            jit_sip_init(&s, k0, k1);
            for (int at = 0; at < vec[v].len; at += piece)
                jit_sip_update(&s, msg + at, (size_t)(vec[v].len - at < piece ? vec[v].len - at : piece));
            struct jit_hash h = jit_sip_final(&s);
            unsigned char got[16];
            for (int i = 0; i < 8; i++) {
                got[i] = (unsigned char)(h.lo >> (8 * i));
                got[8 + i] = (unsigned char)(h.hi >> (8 * i));
            }
            if (memcmp(got, vec[v].tag, 16))
                fail_msg("SipHash-2-4-128 of %d bytes (pieces of %d) differs from the reference", vec[v].len, piece);
        }
    }
    /* Fields are length-prefixed: ("ab", "c") and ("a", "bc") must not collide. */
    struct jit_sip a, b;
    jit_sip_init(&a, 1, 2);
    jit_sip_init(&b, 1, 2);
    jit_sip_field(&a, "ab");
    jit_sip_field(&a, "c");
    jit_sip_field(&b, "a");
    jit_sip_field(&b, "bc");
    struct jit_hash ha = jit_sip_final(&a), hb = jit_sip_final(&b);
    assert_false(ha.lo == hb.lo && ha.hi == hb.hi);
}

/* Miss (one file, O3 and code generation ran), then hit (no new file, neither ran); the miss's kernels, the
 * hit's kernels and the interpreter agree bit for bit over 400 steps of 257 neurons that spike. */
static void test_miss_then_hit_identical(void **st)
{
    struct ir_pop pop = leaky_pop(22);
    struct ir_model m = model_with(&pop);
    struct ir_kernel k[3];
    struct jit_stats s1, s2;
    struct jit *j1 = compile(&m, &k[0], &s1);
    assert_int_equal(s1.cache, JIT_CACHE_MISS);
    assert_true(s1.stored);
    assert_true(s1.phase_ms[JIT_PHASE_OPT] > 0 && s1.phase_ms[JIT_PHASE_CODEGEN] > 0);
    assert_int_equal(count_files(tmpdir, ".bnobj"), 1);
    struct jit *j2 = compile(&m, &k[1], &s2);
    assert_int_equal(s2.cache, JIT_CACHE_HIT);
    assert_false(s2.stored);
    assert_true(s2.phase_ms[JIT_PHASE_OPT] == 0 && s2.phase_ms[JIT_PHASE_CODEGEN] == 0);
    assert_int_equal(count_files(tmpdir, ".bnobj"), 1);
    assert_int_equal(count_files(tmpdir, ".tmp"), 0);
    assert_string_equal(jit_cache_state_name(s1.cache), "miss");
    assert_string_equal(jit_cache_state_name(s2.cache), "hit");
    assert_true(s1.own_loader && s2.own_loader);
    printf("# compile: miss %.1f ms (O3 %.1f, machine code %.1f), hit %.1f ms\n", s1.compile_ms,
           s1.phase_ms[JIT_PHASE_OPT], s1.phase_ms[JIT_PHASE_CODEGEN], s2.compile_ms);
    k[2] = interp_kernel(&A, &pop, STEP);
    long spikes = run_engines(k, 3);
    printf("# %ld spikes, miss = hit = interpreter bit for bit\n", spikes);
    assert_true(spikes >= NCELLS);
    jit_free(j1);
    jit_free(j2);
}

/* One constant differs: another key, a second file, and not the first model's kernels. */
static void test_constant_changes_key(void **st)
{
    struct ir_pop p1 = leaky_pop(22), p2 = leaky_pop(22.5);
    struct ir_model m1 = model_with(&p1), m2 = model_with(&p2);
    struct ir_kernel k[2];
    struct jit_stats s;
    jit_free(compile(&m1, &k[0], &s));
    struct jit *j2 = compile(&m2, &k[0], &s);
    assert_int_equal(s.cache, JIT_CACHE_MISS);
    assert_int_equal(count_files(tmpdir, ".bnobj"), 2);
    k[1] = interp_kernel(&A, &p2, STEP);
    assert_true(run_engines(k, 2) > 0);   /* the kernels are m2's, not a stale m1 */
    jit_free(j2);
}

/* A model's parts (here three populations) compile on several threads and are cached apart: three entries;
 * a change in one population compiles and stores only that part, the others hit; a compile on 1, 2 or 3
 * threads gives every population kernels bit-identical to the interpreter's (the same object per part,
 * whichever thread built it). */
static void test_parts_cached_apart_on_threads(void **st)
{
    struct ir_pop pops[3] = {leaky_pop(22), leaky_pop(23), leaky_pop(24)};
    struct ir_model m = model_with(pops);
    m.npops = 3;
    struct ir_kernel k[3], pair[2];
    struct jit_stats s;
    struct jit *j = compile_on(&m, 3, k, &s);
    assert_int_equal(s.cache, JIT_CACHE_MISS);
    assert_true(s.stored);
    assert_int_equal(s.parts, 3);
    assert_int_equal(s.threads, 3);
    assert_int_equal(count_files(tmpdir, ".bnobj"), 3);
    for (int i = 0; i < 3; i++) {
        pair[0] = k[i];
        pair[1] = interp_kernel(&A, &pops[i], STEP);
        assert_true(run_engines(pair, 2) > 0);
    }
    jit_free(j);

    pops[1] = leaky_pop(23.5);
    for (int threads = 1; threads <= 2; threads++) {
        j = compile_on(&m, threads, k, &s);
        /* first pass: pop 1 is new (a miss that stores one entry); second: all three hit */
        assert_int_equal(s.cache, threads == 1 ? JIT_CACHE_MISS : JIT_CACHE_HIT);
        assert_true((s.phase_ms[JIT_PHASE_CODEGEN] > 0) == (threads == 1));
        assert_int_equal(s.threads, s.cache == JIT_CACHE_HIT ? 1 : threads);   /* a hit starts no helper */
        assert_int_equal(count_files(tmpdir, ".bnobj"), 4);
        for (int i = 0; i < 3; i++) {
            pair[0] = k[i];
            pair[1] = interp_kernel(&A, &pops[i], STEP);
            assert_true(run_engines(pair, 2) > 0);   /* pop 1's kernel is the new one, not a stale entry */
        }
        jit_free(j);
    }
}

/* The whole of file `path` (malloc'd) and its size in *n. */
static unsigned char *slurp(const char *path, long *n)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    *n = ftell(f);
    rewind(f);
    unsigned char *buf = malloc((size_t)*n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)*n, f), (size_t)*n);
    fclose(f);
    return buf;
}

/* A target machine kept between compiles (jit_machines.h) has compiled other modules before: the kernel's
 * object must not change by a single byte (the machine code the cache and the docs promise, whichever
 * machine a compile thread takes).  Runs first, so that the first compile takes a new machine (none is
 * idle yet); the later ones take it back from the idle list after it compiled another model. */
static void test_reused_machine_same_code(void **st)
{
    (void)st;
    struct ir_pop pop = leaky_pop(25), other = leaky_pop(26);
    struct ir_model m = model_with(&pop), mo = model_with(&other);
    struct ir_kernel k[1];
    struct jit_stats s;
    char path[512];
    long na, nb;
    jit_free(compile(&m, k, &s));
    assert_int_equal(s.cache, JIT_CACHE_MISS);
    only_entry(tmpdir, path, sizeof path);
    unsigned char *a = slurp(path, &na);
    assert_int_equal(unlink(path), 0);

    jit_free(compile(&mo, k, &s));   /* the same machine compiles another model */
    only_entry(tmpdir, path, sizeof path);
    assert_int_equal(unlink(path), 0);
    jit_free(compile(&m, k, &s));
    assert_int_equal(s.cache, JIT_CACHE_MISS);   /* compiled again, not read back */
    only_entry(tmpdir, path, sizeof path);
    unsigned char *b = slurp(path, &nb);
    assert_int_equal(na, nb);
    assert_memory_equal(a, b, (size_t)na);
    free(a);
    free(b);
}

/* Two populations with the same neuron and constants are one kernel: the second's parts are twins of the
 * first's (not compiled, no cache entry) and both run the first's code, which matches the interpreter for
 * each.  A third, different one is compiled. */
static void test_twin_populations_share_code(void **st)
{
    (void)st;
    struct ir_pop pops[3] = {leaky_pop(22), leaky_pop(22), leaky_pop(23)};
    struct ir_model m = model_with(pops);
    m.npops = 3;
    struct ir_kernel k[3], pair[2];
    struct jit_stats s;
    struct jit *j = compile_on(&m, 1, k, &s);
    assert_int_equal(s.parts, 3);
    assert_int_equal(s.shared, 1);
    assert_int_equal(count_files(tmpdir, ".bnobj"), 2);
    assert_true(k[0].fn == k[1].fn);
    assert_true(k[2].fn != k[0].fn);
    for (int i = 0; i < 3; i++) {
        pair[0] = k[i];
        pair[1] = interp_kernel(&A, &pops[i], STEP);
        assert_true(run_engines(pair, 2) > 0);
    }
    jit_free(j);
    j = compile_on(&m, 3, k, &s);   /* from the cache, 3 threads at once: the same twin, so every part hits */
    assert_int_equal(s.cache, JIT_CACHE_HIT);
    assert_int_equal(s.shared, 1);
    assert_true(k[0].fn == k[1].fn);
    jit_free(j);
}


/* ---- keys from balnet's IR (jit_key.h) ------------------------------------------------------------- */

static bool hash_eq(struct jit_hash a, struct jit_hash b)
{
    return a.lo == b.lo && a.hi == b.hi;
}

/* leaky_pop with one accumulated sum of its observable (an accumulating kernel part). */
static struct ir_pop leaky_acc_pop(double drive)
{
    struct ir_pop p = leaky_pop(drive);
    struct ir_accum *acc = arena_alloc(&A, sizeof *acc);
    *acc = (struct ir_accum){.kind = IR_ACC_SUM, .obs = 0, .col = 0};
    p.accums = acc;
    p.naccums = 1;
    p.nacc_cols = 1;
    return p;
}

/* Part `part`'s unoptimised LLVM IR with every "bn_pop_<digits>" as "bn_pop_#" (malloc'd). */
static char *part_text(const struct ir_model *m, int part)
{
    struct diags d;
    diags_init(&d, &A);
    LLVMTargetMachineRef host = cg_host_machine(NULL);
    assert_non_null(host);
    struct cg_module *cm = cg_build_part(m, part, host, &d);
    assert_non_null(cm);
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    cg_print(f, cm);
    fclose(f);
    cg_free(cm);
    LLVMDisposeTargetMachine(host);
    char *out = malloc(len + 1), *o = out;
    assert_non_null(out);
    for (const char *s = text; *s;) {
        if (!strncmp(s, "bn_pop_", 7) && s[7] >= '0' && s[7] <= '9') {
            memcpy(o, "bn_pop_#", 8);
            o += 8;
            for (s += 7; *s >= '0' && *s <= '9'; s++)
                ;
        } else {
            *o++ = *s++;
        }
    }
    *o = 0;
    free(text);
    return out;
}

/* jit_part_of enumerates the parts as the code generator does (cg_part_count, cg_part_population): the
 * populations' kernels, then one part per plastic projection (here projections 1 and 3 of 4). */
static void test_key_parts_as_codegen(void **st)
{
    (void)st;
    struct ir_pop pops[3] = {leaky_pop(22), leaky_acc_pop(23), leaky_acc_pop(24)};
    struct ir_plastic pl = {0};
    struct ir_proj projs[4] = {{.plastic = NULL}, {.plastic = &pl}, {.plastic = NULL}, {.plastic = &pl}};
    struct ir_model m = model_with(pops);
    m.npops = 3;
    m.projs = projs;
    m.nprojs = 4;
    int n = cg_part_count(&m), kernels = 0;
    assert_true(n >= 5);   /* the accumulating kernels of pops 1 and 2, pop 0's plain kernel, 2 projections */
    for (int p = 0; p <= n; p++) {
        enum jit_part_kind kind;
        int index;
        bool acc = false;
        int pop = cg_part_population(&m, p, &acc);
        bool has = jit_part_of(&m, p, &kind, &index);
        assert_int_equal(has, p < n);
        if (!has)
            break;
        if (pop >= 0) {
            assert_int_equal(index, pop);
            assert_int_equal(kind, acc ? JIT_PART_ACC : JIT_PART_KERNEL);
            kernels++;
        } else {
            assert_int_equal(kind, JIT_PART_EVENTS);
            assert_int_equal(index, p == kernels ? 1 : 3);
        }
    }
    assert_int_equal(n, kernels + 2);
}

/* Equal shapes exactly when the parts' LLVM IR is equal but for the kernels' names, over variants that
 * touch each kind of field (a constant, the refractory period, a reset, an update's freezing, precision,
 * an accumulator's clip, the plain and accumulating parts); the same population at another index and
 * built a second time (other addresses) has the same shape. */
static void test_key_shape_matches_llvm_ir(void **st)
{
    (void)st;
    enum { NV = 9 };
    struct ir_pop v[NV] = {leaky_acc_pop(22), leaky_acc_pop(22), leaky_acc_pop(22.5), leaky_acc_pop(22),
                           leaky_acc_pop(22), leaky_acc_pop(22), leaky_acc_pop(22), leaky_acc_pop(22),
                           leaky_acc_pop(22)};
    v[3].refr_steps = 21;
    v[4].resets[0].value = ir_const(&A, -66);
    v[5].updates[0].frozen = false;
    v[6].single = true;
    v[7].accums[0].has_clip = true;
    v[7].accums[0].clip = -50;
    v[8].updates[1].next->b = ir_const(&A, 0.31);   /* g's constant input */
    struct ir_model m = model_with(v);
    m.npops = NV;
    int n = cg_part_count(&m);
    assert_true(n >= NV && n <= 2 * NV);
    struct jit_hash shape[2 * NV] = {{0, 0}};
    char *text[2 * NV] = {NULL};
    for (int p = 0; p < n; p++) {
        shape[p] = jit_part_shape(&m, p);
        text[p] = part_text(&m, p);
    }
    int equal = 0;
    for (int p = 0; p < n; p++)
        for (int q = p + 1; q < n; q++) {
            bool same_text = !strcmp(text[p], text[q]);
            if (same_text != hash_eq(shape[p], shape[q]))
                fail_msg("parts %d and %d: texts %s but shapes %s", p, q, same_text ? "equal" : "differ",
                         same_text ? "differ" : "equal");
            equal += same_text;
        }
    /* parts 0 and 1 are v[0]'s and v[1]'s accumulating kernels (they come first), equal; with plain parts,
     * v[0]'s, v[1]'s and v[7]'s are equal too (a clip is only in the accumulating kernel): 1 or 1 + 3 pairs */
    assert_true(!strcmp(text[0], text[1]) && hash_eq(shape[0], shape[1]));
    assert_int_equal(equal, n == 2 * NV ? 4 : 1);
    for (int p = 0; p < n; p++)
        free(text[p]);
}

/* The key changes with each field of the environment, the precision, the part (kind and population) and a
 * constant, and is a function of the IR's values only. */
static void test_key_changes_with_everything(void **st)
{
    (void)st;
    struct ir_pop pops[2] = {leaky_acc_pop(22), leaky_acc_pop(22)};
    struct ir_model m = model_with(pops);
    m.npops = 2;
    const struct jit_key_env env = {.code_id = "c", .version = "v", .llvm_version = "l", .pipeline = "p",
                                    .triple = "t", .cpu = "u", .features = "f"};
    struct jit_hash shape0 = jit_part_shape(&m, 0), base = jit_part_key(&m, 0, shape0, &env);
    enum { N = 12 };
    struct jit_hash k[N];
    int n = 0;
    struct jit_key_env e[7] = {env, env, env, env, env, env, env};
    e[0].code_id = e[1].version = e[2].llvm_version = e[3].pipeline = e[4].triple = e[5].cpu = e[6].features = "x";
    for (int f = 0; f < 7; f++)
        k[n++] = jit_part_key(&m, 0, shape0, &e[f]);
    m.precision = IR_SINGLE;
    k[n++] = jit_part_key(&m, 0, shape0, &env);
    m.precision = IR_DOUBLE;
    k[n++] = jit_part_key(&m, 1, jit_part_shape(&m, 1), &env);   /* pop 1's acc part: same shape, own name */
    assert_true(hash_eq(jit_part_shape(&m, 1), shape0));
    k[n++] = jit_part_key(&m, 2, jit_part_shape(&m, 2), &env);   /* pop 0's plain part */
    struct ir_pop other = leaky_acc_pop(22.001);
    struct ir_model mo = model_with(&other);
    k[n++] = jit_part_key(&mo, 0, jit_part_shape(&mo, 0), &env);
    struct ir_pop again = leaky_acc_pop(22);   /* the same values at other addresses */
    struct ir_model ma = model_with(&again);
    k[n++] = jit_part_key(&ma, 0, jit_part_shape(&ma, 0), &env);
    assert_int_equal(n, N);
    assert_true(hash_eq(k[N - 1], base));
    for (int i = 0; i < N - 1; i++) {
        if (hash_eq(k[i], base))
            fail_msg("change %d left the key unchanged", i);
        for (int q = i + 1; q < N - 1; q++)
            assert_false(hash_eq(k[i], k[q]));
    }
    /* The build's code identity: a SHA-256 in hex. */
    assert_int_equal(strlen(jit_code_id()), 64);
    assert_int_equal(strspn(jit_code_id(), "0123456789abcdef"), 64);
}


/* ---- balnet's own object loader (jit_load.h) ------------------------------------------------------- */

static void *resolve_none(const char *name)
{
    (void)name;
    return NULL;
}

static void *resolve_libm(const char *name)
{
    return !strcmp(name, "balnet.expm1") ? (void *)(uintptr_t)expm1 : NULL;
}

/* The only cache entry's object (after the 40-byte header), malloc'd, its size in *n. */
static unsigned char *entry_object(long *n)
{
    char path[512];
    only_entry(tmpdir, path, sizeof path);
    long size;
    unsigned char *file = slurp(path, &size);
    *n = size - JIT_CACHE_HEADER;
    unsigned char *obj = malloc((size_t)*n);
    assert_non_null(obj);
    memcpy(obj, file + JIT_CACHE_HEADER, (size_t)*n);
    free(file);
    return obj;
}

/* A kernel calling libm (expm1: a GOT slot, R_X86_64_GOT64, besides the constants' GOTOFF64) is linked by the
 * own loader and matches the interpreter bit for bit; the loader refuses the same object when a symbol does
 * not resolve, when its machine is not x86-64, when a relocation's type is unknown, and when it is cut
 * short; the intact object loads again and defines bn_pop_0. */
static void test_loader_links_and_refuses(void **st)
{
    (void)st;
    struct ir_pop pop = leaky_pop(22);
    /* g(t+dt) = 0.97 g + 0.3 + 0.01 expm1(-g/40): a libm call in the kernel */
    struct ir_expr *g = ir_var(&A, 1);
    pop.updates[1].next = ir_node(&A, IR_ADD, pop.updates[1].next,
                                  ir_node(&A, IR_MUL, ir_const(&A, 0.01),
                                          ir_node(&A, IR_EXPM1, ir_node(&A, IR_DIV, g, ir_const(&A, -40), NULL),
                                                  NULL, NULL),
                                          NULL),
                                  NULL);
    struct ir_model m = model_with(&pop);
    struct ir_kernel k[2];
    struct jit_stats s;
    struct jit *j = compile(&m, &k[0], &s);
    assert_true(s.own_loader);
    k[1] = interp_kernel(&A, &pop, STEP);
    assert_true(run_engines(k, 2) > 0);
    jit_free(j);

    long n;
    unsigned char *obj = entry_object(&n);
    const unsigned char *objs[1] = {obj};
    size_t lens[1] = {(size_t)n};
    struct jit_image *im = jit_image_load(objs, lens, 1, resolve_libm);
    assert_non_null(im);
    assert_non_null(jit_image_lookup(im, "bn_pop_0"));
    assert_null(jit_image_lookup(im, "bn_pop_1"));
    jit_image_free(im);
    assert_null(jit_image_load(objs, lens, 1, resolve_none));   /* balnet.expm1 unresolved */

    Elf64_Ehdr eh;
    memcpy(&eh, obj, sizeof eh);
    unsigned char *bad = malloc((size_t)n);
    assert_non_null(bad);
    objs[0] = bad;
    memcpy(bad, obj, (size_t)n);   /* another machine */
    ((Elf64_Ehdr *)bad)->e_machine = EM_AARCH64;
    assert_null(jit_image_load(objs, lens, 1, resolve_libm));
    memcpy(bad, obj, (size_t)n);   /* every relocation of an unknown type (R_X86_64_TPOFF64) */
    int nrela = 0;
    for (int i = 0; i < eh.e_shnum; i++) {
        Elf64_Shdr sh;
        memcpy(&sh, obj + eh.e_shoff + (size_t)i * sizeof sh, sizeof sh);
        for (uint64_t r = 0; sh.sh_type == SHT_RELA && r < sh.sh_size / sizeof(Elf64_Rela); r++, nrela++) {
            Elf64_Rela rel;
            memcpy(&rel, obj + sh.sh_offset + r * sizeof rel, sizeof rel);
            rel.r_info = ELF64_R_INFO(ELF64_R_SYM(rel.r_info), R_X86_64_TPOFF64);
            memcpy(bad + sh.sh_offset + r * sizeof rel, &rel, sizeof rel);
        }
    }
    assert_true(nrela > 0);
    assert_null(jit_image_load(objs, lens, 1, resolve_libm));
    memcpy(bad, obj, (size_t)n);   /* cut short: the section table is past the end */
    lens[0] = (size_t)eh.e_shoff;
    assert_null(jit_image_load(objs, lens, 1, resolve_libm));
    free(bad);
    free(obj);
}

enum damage { TRUNCATE_PAYLOAD, TRUNCATE_HEADER, FLIP_PAYLOAD_BYTE, FLIP_KEY_BYTE, GARBAGE, EMPTY };

static void damage_file(const char *path, enum damage how)
{
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    long size = (long)sb.st_size;
    FILE *f = fopen(path, how == GARBAGE || how == EMPTY ? "wb" : "r+b");
    assert_non_null(f);
    switch (how) {
    case TRUNCATE_PAYLOAD:
        assert_int_equal(ftruncate(fileno(f), size - 1), 0);
        break;
    case TRUNCATE_HEADER:
        assert_int_equal(ftruncate(fileno(f), 20), 0);
        break;
    case FLIP_PAYLOAD_BYTE:
    case FLIP_KEY_BYTE: {
        long at = how == FLIP_KEY_BYTE ? 30 : JIT_CACHE_HEADER + (size - JIT_CACHE_HEADER) / 2;
        fseek(f, at, SEEK_SET);
        int c = fgetc(f);
        fseek(f, at, SEEK_SET);
        fputc(c ^ 0x10, f);
        break;
    }
    case GARBAGE:
        for (long i = 0; i < size; i++)
            fputc("BNOBJ1 garbage "[i % 15], f);
        break;
    case EMPTY:
        break;
    }
    assert_int_equal(fclose(f), 0);
}

/* Each damaged entry is a miss (compiled, correct kernels), is overwritten, and then hits again. */
static void test_damaged_entries_rejected_and_repaired(void **st)
{
    struct ir_pop pop = leaky_pop(21);
    struct ir_model m = model_with(&pop);
    struct ir_kernel k[2];
    struct jit_stats s;
    jit_free(compile(&m, &k[0], &s));
    assert_int_equal(s.cache, JIT_CACHE_MISS);
    char path[512];
    only_entry(tmpdir, path, sizeof path);
    k[1] = interp_kernel(&A, &pop, STEP);
    static const char *const what[] = {"truncated payload", "truncated header", "flipped payload byte",
                                       "flipped key byte", "garbage", "empty"};
    for (int how = TRUNCATE_PAYLOAD; how <= EMPTY; how++) {
        damage_file(path, how);
        struct jit *j = compile(&m, &k[0], &s);
        if (s.cache != JIT_CACHE_MISS || !s.stored)
            fail_msg("%s: expected a miss that repairs the entry, got %s", what[how], jit_cache_state_name(s.cache));
        assert_true(run_engines(k, 2) > 0);
        jit_free(j);
        j = compile(&m, &k[0], &s);
        if (s.cache != JIT_CACHE_HIT)
            fail_msg("%s: the repaired entry is not a hit", what[how]);
        jit_free(j);
        assert_int_equal(count_files(tmpdir, ".bnobj"), 1);
    }
}

/* An entry renamed to another key's file name is refused (the key is in the header too). */
static void test_entry_under_wrong_key(void **st)
{
    const char payload[] = "\x7f" "ELF not really";
    struct jit_hash a = {1, 2}, b = {1, 3};
    assert_true(jit_cache_store(tmpdir, a, payload, sizeof payload));
    size_t n = 0;
    void *got = jit_cache_load(tmpdir, a, &n);
    assert_non_null(got);
    assert_int_equal(n, sizeof payload);
    assert_memory_equal(got, payload, sizeof payload);
    free(got);
    char pa[512], pb[512];
    assert_true(jit_cache_path(pa, sizeof pa, tmpdir, a) && jit_cache_path(pb, sizeof pb, tmpdir, b));
    assert_int_equal(rename(pa, pb), 0);
    assert_null(jit_cache_load(tmpdir, b, &n));
    assert_int_equal(n, 0);
    /* Size bound: an object over 16 MB is not stored (and not read: the data pointer is never touched). */
    assert_false(jit_cache_store(tmpdir, a, payload, JIT_CACHE_MAX_OBJECT + 1));
    assert_int_equal(count_files(tmpdir, ".bnobj"), 1);
}

/* BALNET_CACHE_DIR="" is "off": no file anywhere.  A directory below a regular file cannot be created: the
 * compile still succeeds, as a miss that stored nothing, twice in a row. */
static void test_disabled_and_unwritable(void **st)
{
    struct ir_pop pop = leaky_pop(23);
    struct ir_model m = model_with(&pop);
    struct ir_kernel k[2];
    struct jit_stats s;
    setenv("BALNET_CACHE_DIR", "", 1);
    jit_free(compile(&m, &k[0], &s));
    assert_int_equal(s.cache, JIT_CACHE_OFF);
    assert_false(s.stored);
    assert_string_equal(jit_cache_state_name(s.cache), "off");
    assert_int_equal(count_files(tmpdir, ".bnobj"), 0);

    char file[256], below[320];
    snprintf(file, sizeof file, "%s/file", tmpdir);
    FILE *f = fopen(file, "w");
    assert_non_null(f);
    fclose(f);
    snprintf(below, sizeof below, "%s/sub", file);
    setenv("BALNET_CACHE_DIR", below, 1);
    for (int i = 0; i < 2; i++) {
        struct jit *j = compile(&m, &k[0], &s);
        assert_int_equal(s.cache, JIT_CACHE_MISS);
        assert_false(s.stored);
        k[1] = interp_kernel(&A, &pop, STEP);
        assert_true(run_engines(k, 2) > 0);
        jit_free(j);
    }
    assert_int_equal(count_files(tmpdir, ".bnobj"), 0);
    setenv("BALNET_CACHE_DIR", tmpdir, 1);
}

/* Where the cache lives: BALNET_CACHE_DIR, else an absolute XDG_CACHE_HOME/balnet, else ~/.cache/balnet. */
static void test_directory_rules(void **st)
{
    char *home = getenv("HOME") ? strdup(getenv("HOME")) : NULL;
    char *xdg = getenv("XDG_CACHE_HOME") ? strdup(getenv("XDG_CACHE_HOME")) : NULL;
    char buf[256];
    setenv("BALNET_CACHE_DIR", "/some/where/", 1);
    assert_true(jit_cache_dir(buf, sizeof buf));
    assert_string_equal(buf, "/some/where");
    assert_false(jit_cache_dir(buf, 8));   /* does not fit: off, not truncated */
    unsetenv("BALNET_CACHE_DIR");
    setenv("XDG_CACHE_HOME", "/xdg", 1);
    setenv("HOME", "/home/u", 1);
    assert_true(jit_cache_dir(buf, sizeof buf));
    assert_string_equal(buf, "/xdg/balnet");
    setenv("XDG_CACHE_HOME", "relative", 1);
    assert_true(jit_cache_dir(buf, sizeof buf));
    assert_string_equal(buf, "/home/u/.cache/balnet");
    unsetenv("XDG_CACHE_HOME");
    unsetenv("HOME");
    assert_false(jit_cache_dir(buf, sizeof buf));
    if (home)
        setenv("HOME", home, 1);
    if (xdg)
        setenv("XDG_CACHE_HOME", xdg, 1);
    free(home);
    free(xdg);
    setenv("BALNET_CACHE_DIR", tmpdir, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_reused_machine_same_code, setup, teardown),
        cmocka_unit_test(test_siphash_vectors),
        cmocka_unit_test_setup_teardown(test_key_parts_as_codegen, setup, teardown),
        cmocka_unit_test_setup_teardown(test_key_shape_matches_llvm_ir, setup, teardown),
        cmocka_unit_test_setup_teardown(test_key_changes_with_everything, setup, teardown),
        cmocka_unit_test_setup_teardown(test_loader_links_and_refuses, setup, teardown),
        cmocka_unit_test_setup_teardown(test_miss_then_hit_identical, setup, teardown),
        cmocka_unit_test_setup_teardown(test_constant_changes_key, setup, teardown),
        cmocka_unit_test_setup_teardown(test_parts_cached_apart_on_threads, setup, teardown),
        cmocka_unit_test_setup_teardown(test_twin_populations_share_code, setup, teardown),
        cmocka_unit_test_setup_teardown(test_damaged_entries_rejected_and_repaired, setup, teardown),
        cmocka_unit_test_setup_teardown(test_entry_under_wrong_key, setup, teardown),
        cmocka_unit_test_setup_teardown(test_disabled_and_unwritable, setup, teardown),
        cmocka_unit_test_setup_teardown(test_directory_rules, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
