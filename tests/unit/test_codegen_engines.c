/*
 * test_codegen_engines.c - the bit-identity contract of ir/ir.h: the JIT (compiler/codegen + compiler/jit)
 * and the reference interpreter (compiler/interp) run the same hand-built IR models from the same random
 * state and must agree bit for bit (memcmp, tolerance 0) on every column, observable and spike flag at every
 * step.  Plus closed-form checks of the dynamics both engines implement (LIF inter-spike interval), the
 * overflow-is-a-spike rule, the refractory hold, vectorisation of a simple kernel, and concurrent compiles.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "interp/interp.h"
#include "codegen/codegen.h"
#include "jit/jit.h"

static struct arena A;

static struct ir_expr *C(double v) { return ir_const(&A, v); }
static struct ir_expr *V(int k) { return ir_var(&A, k); }
static struct ir_expr *N1(enum ir_op op, struct ir_expr *a) { return ir_node(&A, op, a, NULL, NULL); }
static struct ir_expr *N2(enum ir_op op, struct ir_expr *a, struct ir_expr *b) { return ir_node(&A, op, a, b, NULL); }
static struct ir_expr *ADD(struct ir_expr *a, struct ir_expr *b) { return N2(IR_ADD, a, b); }
static struct ir_expr *SUB(struct ir_expr *a, struct ir_expr *b) { return N2(IR_SUB, a, b); }
static struct ir_expr *MUL(struct ir_expr *a, struct ir_expr *b) { return N2(IR_MUL, a, b); }
static struct ir_expr *DIV(struct ir_expr *a, struct ir_expr *b) { return N2(IR_DIV, a, b); }

#define DT 0.1
#define NNEUR 1000
#define NSTEPS 1000

/* ---- deterministic random numbers for initial states (splitmix64) ------------------------------- */

static uint64_t rng_state;
static double urand(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    z ^= z >> 31;
    return (double)(z >> 11) * 0x1p-53;
}
static double uniform(double lo, double hi) { return lo + (hi - lo) * urand(); }

/* ---- hand-built populations ------------------------------------------------------------------ */

static struct ir_var *vars_new(int n, const char *const *names, const enum ir_var_kind *kinds)
{
    struct ir_var *v = arena_alloc(&A, sizeof *v * (size_t)n);
    for (int k = 0; k < n; k++) {
        v[k].name = names[k];
        v[k].kind = kinds ? kinds[k] : IR_VAR_STATE;
        v[k].init = C(0);
    }
    return v;
}

static struct ir_pop pop_base(const char *name, int64_t size)
{
    return (struct ir_pop){.name = name, .neuron = name, .size = size, .spike_var = -1, .refr_var = -1, .v_var = -1,
                           .span = SPAN_NONE};
}

/* LIF, exact propagator, refractory, constant input:
 *   tau dV/dt = E_L - V + R I,  V(t+dt) = V_inf + (V - V_inf) exp(-dt/tau),  V_inf = E_L + R I. */
enum { LIF_TAU = 20, LIF_REFR_STEPS = 20 };
static const double LIF_EL = -60, LIF_RI = 15, LIF_VTH = -50, LIF_VRE = -60;

static struct ir_pop make_lif(int64_t size)
{
    static const char *const names[] = {"V", "refr"};
    static const enum ir_var_kind kinds[] = {IR_VAR_STATE, IR_VAR_REFRACTORY};
    struct ir_pop p = pop_base("lif", size);
    p.vars = vars_new(2, names, kinds);
    p.nvars = 2;
    double vinf = LIF_EL + LIF_RI, prop = exp(-DT / LIF_TAU);
    p.updates = arena_alloc(&A, sizeof *p.updates);
    p.updates[0] = (struct ir_update){.var = 0, .solver = IR_SOLVER_EXACT, .frozen = true,
                                      .next = ADD(C(vinf), MUL(SUB(V(0), C(vinf)), C(prop))),
                                      .rhs = DIV(SUB(C(vinf), V(0)), C(LIF_TAU))};
    p.nupdates = 1;
    p.spike_cond = N2(IR_GE, V(0), C(LIF_VTH));
    p.spike_var = 0;
    p.resets = arena_alloc(&A, sizeof *p.resets);
    p.resets[0] = (struct ir_reset){.var = 0, .value = C(LIF_VRE)};
    p.nresets = 1;
    p.refr_var = 1;
    p.refr_steps = LIF_REFR_STEPS;
    p.obs = arena_alloc(&A, sizeof *p.obs);
    p.obs[0] = (struct ir_observable){.name = "V", .expr = V(0)};
    p.nobs = 1;
    p.v_var = 0;
    return p;
}

/* Adaptive EIF with the paper's spike current (no g_L factor, SCIENCE.md §2), forward Euler:
 *   C dV/dt = g_L (E_L - V) + Delta_T exp((V - V_T)/Delta_T) - w + I,  tau_w dw/dt = a (V - E_L) - w.
 * The spike condition tests V >= V_th on the new V, so a V that overflows to inf also satisfies it; the
 * overflow-only path is tested by make_overflow. */
static struct ir_pop make_eif(int64_t size, struct ir_expr *spike_cond)
{
    static const char *const names[] = {"V", "w"};
    struct ir_pop p = pop_base("eif", size);
    p.vars = vars_new(2, names, NULL);
    p.nvars = 2;
    const double gl = 1.0 / 15, el = -72, vt = -55, dT = 1, cm = 1, I = 1.5, tw = 100, a = 0.01;
    struct ir_expr *spk = MUL(C(dT), N1(IR_EXP, DIV(SUB(V(0), C(vt)), C(dT))));
    struct ir_expr *rhs = DIV(ADD(SUB(ADD(MUL(C(gl), SUB(C(el), V(0))), spk), V(1)), C(I)), C(cm));
    struct ir_expr *rhs_w = DIV(SUB(MUL(C(a), SUB(V(0), C(el))), V(1)), C(tw));
    p.updates = arena_alloc(&A, 2 * sizeof *p.updates);
    p.updates[0] = (struct ir_update){.var = 0, .solver = IR_SOLVER_EULER, .frozen = true,
                                      .next = ADD(V(0), MUL(C(DT), rhs)), .rhs = rhs};
    p.updates[1] = (struct ir_update){.var = 1, .solver = IR_SOLVER_EULER, .next = ADD(V(1), MUL(C(DT), rhs_w)),
                                      .rhs = rhs_w};
    p.nupdates = 2;
    p.spike_cond = spike_cond ? spike_cond : N2(IR_GE, V(0), C(-30));
    p.spike_var = 0;
    p.resets = arena_alloc(&A, 2 * sizeof *p.resets);
    p.resets[0] = (struct ir_reset){.var = 0, .value = C(-58)};
    p.resets[1] = (struct ir_reset){.var = 1, .value = ADD(V(1), C(0.5))};
    p.nresets = 2;
    p.v_var = 0;
    return p;
}

/* Conductance-based LIF, exponential Euler for V (linear in V, coefficients depend on g_e, g_i), exact
 * decay for the receptors (which keep decaying while refractory), 5 ms refractory:
 *   C dV/dt = g_L (E_L - V) + g_e (E_e - V) + g_i (E_i - V) + I
 *   V(t+dt) = V_inf + (V - V_inf) exp(-dt g_tot / C),  g_tot = g_L + g_e + g_i,
 *   V_inf = (g_L E_L + g_e E_e + g_i E_i + I) / g_tot. */
static struct ir_pop make_cond(int64_t size)
{
    static const char *const names[] = {"V", "exp_cond#1.g", "exp_cond#2.g", "refr"};
    static const enum ir_var_kind kinds[] = {IR_VAR_STATE, IR_VAR_RECEPTOR, IR_VAR_RECEPTOR, IR_VAR_REFRACTORY};
    struct ir_pop p = pop_base("coba", size);
    p.vars = vars_new(4, names, kinds);
    p.nvars = 4;
    const double gl = 10, el = -60, ee = 0, ei = -80, cm = 200, I = 200, te = 5, ti = 10;
    struct ir_expr *gtot = ADD(ADD(C(gl), V(1)), V(2));
    struct ir_expr *vinf = DIV(ADD(ADD(ADD(C(gl * el), MUL(V(1), C(ee))), MUL(V(2), C(ei))), C(I)),
                               ADD(ADD(C(gl), V(1)), V(2)));
    struct ir_expr *next = ADD(vinf, MUL(SUB(V(0), vinf), N1(IR_EXP, DIV(MUL(C(-DT), gtot), C(cm)))));
    p.updates = arena_alloc(&A, 3 * sizeof *p.updates);
    p.updates[0] = (struct ir_update){.var = 0, .solver = IR_SOLVER_EXP_EULER, .frozen = true, .next = next};
    p.updates[1] = (struct ir_update){.var = 1, .solver = IR_SOLVER_EXACT, .next = MUL(V(1), C(exp(-DT / te)))};
    p.updates[2] = (struct ir_update){.var = 2, .solver = IR_SOLVER_EXACT, .next = MUL(V(2), C(exp(-DT / ti)))};
    p.nupdates = 3;
    p.spike_cond = N2(IR_GE, V(0), C(-50));
    p.spike_var = 0;
    p.resets = arena_alloc(&A, sizeof *p.resets);
    p.resets[0] = (struct ir_reset){.var = 0, .value = C(-60)};
    p.nresets = 1;
    p.refr_var = 3;
    p.refr_steps = 50;
    /* observables: V, V clipped at threshold, total synaptic conductance, synaptic current */
    p.obs = arena_alloc(&A, 4 * sizeof *p.obs);
    p.obs[0] = (struct ir_observable){.name = "V", .expr = V(0)};
    p.obs[1] = (struct ir_observable){.name = "V_clip", .expr = N2(IR_MIN, V(0), C(-50))};
    p.obs[2] = (struct ir_observable){.name = "g_syn", .expr = ADD(V(1), V(2))};
    p.obs[3] = (struct ir_observable){.name = "I_syn", .expr = ADD(MUL(V(1), SUB(C(ee), V(0))), MUL(V(2), SUB(C(ei), V(0))))};
    p.nobs = 4;
    p.v_var = 0;
    return p;
}

/* Every kernel operation applied to two constant variables x, y that take special values (NaN, +-inf,
 * +-0, subnormals), as observables; plus a variable u whose update uses the libm calls. */
static struct ir_pop make_ops(int64_t size)
{
    static const char *const names[] = {"x", "y", "u"};
    struct ir_pop p = pop_base("ops", size);
    p.vars = vars_new(3, names, NULL);
    p.nvars = 3;
    struct ir_expr *u = V(2);
    struct ir_expr *du = ADD(SUB(N1(IR_SIN, u), MUL(N1(IR_COS, u), N1(IR_TANH, u))), N1(IR_EXPM1, N1(IR_NEG, N1(IR_ABS, u))));
    p.updates = arena_alloc(&A, sizeof *p.updates);
    p.updates[0] = (struct ir_update){.var = 2, .solver = IR_SOLVER_EULER,
                                      .next = ADD(u, MUL(C(0.01), ADD(du, N2(IR_POW, N1(IR_ABS, u), C(0.25)))))};
    p.nupdates = 1;
    struct ir_expr *x = V(0), *y = V(1);
    struct ir_expr *exprs[] = {
        N1(IR_NEG, x), ADD(x, y), SUB(x, y), MUL(x, y), DIV(x, y),
        N2(IR_POW, x, y), N2(IR_POW, x, C(2)), N2(IR_POW, x, C(0.5)), N2(IR_POW, C(2), x), N2(IR_POW, x, C(-1)),
        N2(IR_MIN, x, y), N2(IR_MAX, x, y), N2(IR_MIN, x, C(0)), N2(IR_MAX, C(-0.0), y),
        N2(IR_LT, x, y), N2(IR_LE, x, y), N2(IR_GT, x, y), N2(IR_GE, x, y), N2(IR_EQ, x, y), N2(IR_NE, x, y),
        N2(IR_AND, x, y), N2(IR_OR, x, y), N1(IR_NOT, x), ir_node(&A, IR_SELECT, x, y, N1(IR_NEG, y)),
        N1(IR_EXP, x), N1(IR_EXPM1, x), N1(IR_LOG, x), N1(IR_SQRT, x), N1(IR_ABS, x), N1(IR_TANH, x),
        N1(IR_SIN, x), N1(IR_COS, x), N1(IR_ISFINITE, x), N1(IR_SIN, MUL(x, C(1e6))), N1(IR_COS, ADD(x, y)),
    };
    int n = (int)(sizeof exprs / sizeof exprs[0]);
    p.obs = arena_alloc(&A, sizeof *p.obs * (size_t)n);
    for (int j = 0; j < n; j++)
        p.obs[j] = (struct ir_observable){.name = ir_op_name[exprs[j]->op], .expr = exprs[j]};
    p.nobs = n;
    return p;
}

/* A neuron whose spike condition can never hold for a finite V, so only the overflow rule can fire it. */
static struct ir_pop make_overflow(int64_t size)
{
    return make_eif(size, N2(IR_EQ, V(0), C(12345.678)));
}

/* ---- columns --------------------------------------------------------------------------------- */

struct cols {
    int64_t n;
    int nvars, nobs;
    double **vars, **obs;
    uint8_t *spiked;
};

static void cols_alloc(struct cols *c, const struct ir_pop *p)
{
    c->n = p->size;
    c->nvars = p->nvars;
    c->nobs = p->nobs;
    c->vars = calloc((size_t)p->nvars + 1, sizeof *c->vars);
    c->obs = calloc((size_t)p->nobs + 1, sizeof *c->obs);
    for (int k = 0; k < p->nvars; k++)
        c->vars[k] = calloc((size_t)p->size, sizeof(double));
    for (int j = 0; j < p->nobs; j++)
        c->obs[j] = calloc((size_t)p->size, sizeof(double));
    c->spiked = calloc((size_t)p->size, 1);
}

static void cols_copy(struct cols *dst, const struct cols *src)
{
    for (int k = 0; k < src->nvars; k++)
        memcpy(dst->vars[k], src->vars[k], sizeof(double) * (size_t)src->n);
}

/* precision single: each variable column becomes a float array in its own first half (as runtime/sim.c
 * converts it; front to back in place, since float i overlaps only doubles <= i). */
static void cols_narrow(struct cols *c)
{
    for (int k = 0; k < c->nvars; k++) {
        float *f = (float *)c->vars[k];
        for (int64_t i = 0; i < c->n; i++)
            f[i] = (float)c->vars[k][i];
    }
}

static void cols_free(struct cols *c)
{
    for (int k = 0; k < c->nvars; k++)
        free(c->vars[k]);
    for (int j = 0; j < c->nobs; j++)
        free(c->obs[j]);
    free(c->vars);
    free(c->obs);
    free(c->spiked);
}

static const double specials[] = {NAN, INFINITY, -INFINITY, 0.0, -0.0, 1.0, -1.0, 2.0, 0.5, 1e308, -4.9e-324, 710.0};
enum { NSPECIAL = sizeof specials / sizeof specials[0] };

/* Random initial state, per population kind (by name). */
static void init_state(const struct ir_pop *p, struct cols *c)
{
    for (int64_t i = 0; i < c->n; i++) {
        if (!strcmp(p->name, "lif")) {
            c->vars[0][i] = uniform(-65, -50);
            c->vars[1][i] = floor(uniform(0, 25));          /* some start refractory */
        } else if (!strcmp(p->name, "eif")) {
            c->vars[0][i] = uniform(-75, -50);
            c->vars[1][i] = uniform(0, 1);
            if (i % 97 == 0)
                c->vars[0][i] = 700;                        /* overflows to inf in the first step */
        } else if (!strcmp(p->name, "coba")) {
            c->vars[0][i] = uniform(-65, -50);
            c->vars[1][i] = uniform(0, 30);
            c->vars[2][i] = uniform(0, 150);
            c->vars[3][i] = floor(uniform(0, 60));
        } else if (!strcmp(p->name, "ops")) {
            /* the first NSPECIAL^2 neurons cover every pair of special values (NaN vs +-0 for min/max...) */
            if (i < NSPECIAL * NSPECIAL) {
                c->vars[0][i] = specials[i / NSPECIAL];
                c->vars[1][i] = specials[i % NSPECIAL];
            } else {
                c->vars[0][i] = uniform(-5, 5);
                c->vars[1][i] = uniform(-5, 5);
            }
            c->vars[2][i] = uniform(-3, 3);
        }
    }
}

/* Runs both engines in lockstep over `steps` steps, neurons split into three uneven ranges (kernels must
 * honour begin/end); fails at the first differing bit.  Returns the total spike count. */
static long lockstep(const struct ir_pop *p, struct ir_kernel jit_k, int steps, struct cols *ci, struct cols *cj)
{
    struct ir_kernel ik = interp_kernel(&A, p, DT);
    int64_t cut[4] = {0, p->size / 3, p->size / 3 + 1, p->size};
    long spikes = 0;
    for (int t = 0; t < steps; t++) {
        for (int r = 0; r < 3; r++) {
            ik.fn(ik.ctx, ci->vars, ci->obs, ci->spiked, cut[r], cut[r + 1], NULL);
            jit_k.fn(jit_k.ctx, cj->vars, cj->obs, cj->spiked, cut[r], cut[r + 1], NULL);
        }
        if (memcmp(ci->spiked, cj->spiked, (size_t)p->size))
            fail_msg("%s: spike flags differ at step %d", p->name, t);
        for (int k = 0; k < p->nvars; k++)
            if (memcmp(ci->vars[k], cj->vars[k], sizeof(double) * (size_t)p->size)) {
                for (int64_t i = 0; i < p->size; i++)
                    if (memcmp(&ci->vars[k][i], &cj->vars[k][i], sizeof(double)))
                        fail_msg("%s: %s[%ld] differs at step %d: interp %.17g, jit %.17g", p->name, p->vars[k].name,
                                 (long)i, t, ci->vars[k][i], cj->vars[k][i]);
            }
        for (int j = 0; j < p->nobs; j++)
            if (memcmp(ci->obs[j], cj->obs[j], sizeof(double) * (size_t)p->size)) {
                for (int64_t i = 0; i < p->size; i++)
                    if (memcmp(&ci->obs[j][i], &cj->obs[j][i], sizeof(double)))
                        fail_msg("%s: observable %d (%s) [%ld] differs at step %d: interp %.17g, jit %.17g "
                                 "(x = %g, y = %g)", p->name, j, p->obs[j].name, (long)i, t, ci->obs[j][i],
                                 cj->obs[j][i], ci->vars[0][i], ci->vars[1][i]);
            }
        for (int64_t i = 0; i < p->size; i++)
            spikes += ci->spiked[i];
    }
    return spikes;
}

static struct ir_model model_of(struct ir_pop *pops, int n)
{
    return (struct ir_model){.name = "engines", .dt = DT, .duration = NSTEPS * DT, .seed = 1, .pops = pops, .npops = n};
}

/* JIT-compiles every population of m into k[]; fails the test with LLVM's message otherwise. */
static struct jit *compile(const struct ir_model *m, struct ir_kernel *k, double *ms)
{
    struct diags d;
    diags_init(&d, &A);
    struct jit *j = NULL;
    if (!jit_compile_model(m, k, &j, ms, &d))
        fail_msg("jit_compile_model failed: %s", d.head ? d.head->msg : "?");
    return j;
}

static int setup(void **st)
{
    arena_init(&A);
    rng_state = 12345;
    return 0;
}
static int teardown(void **st)
{
    arena_free(&A);
    return 0;
}

/* ---- tests ----------------------------------------------------------------------------------- */

/* The contract: 4 populations x 1000 neurons x 1000 steps, memcmp equal at every step; in double, or with
 * `precision = single` (float columns and float arithmetic: ir_evalf against the JIT's float kernel). */
static void bit_identity(bool single)
{
    struct ir_pop pops[4] = {make_lif(NNEUR), make_eif(NNEUR, NULL), make_cond(NNEUR), make_ops(NNEUR)};
    for (int i = 0; i < 4; i++)
        pops[i].single = single;
    struct ir_model m = model_of(pops, 4);
    struct ir_kernel kernels[4];
    double ms = 0;
    struct jit *j = compile(&m, kernels, &ms);
    printf("# compile time (codegen + O3 + machine code), 4 populations: %.1f ms\n", ms);
    long expected_min[4] = {1, 1, 1, 0};
    for (int i = 0; i < 4; i++) {
        struct cols ci, cj;
        cols_alloc(&ci, &pops[i]);
        cols_alloc(&cj, &pops[i]);
        init_state(&pops[i], &ci);
        if (single)
            cols_narrow(&ci);
        cols_copy(&cj, &ci);
        long spikes = lockstep(&pops[i], kernels[i], NSTEPS, &ci, &cj);
        printf("# %s%s: %ld spikes in %d steps x %d neurons, identical\n", pops[i].name, single ? " (single)" : "",
               spikes, NSTEPS, NNEUR);
        /* The test must be able to fail: the spiking models really spike (otherwise equality is vacuous). */
        assert_true(spikes >= expected_min[i] * NNEUR);
        cols_free(&ci);
        cols_free(&cj);
    }
    jit_free(j);
}

static void test_bit_identity(void **st)
{
    bit_identity(false);
}

static void test_bit_identity_single(void **st)
{
    bit_identity(true);
}

/* Single precision divides by a constant as a multiply by its float reciprocal (ir_single_recip, ir.h), in
 * both engines (bit_identity above runs Euler steps' `/ tau`).  Here the interpreter's rule itself: x / 3
 * is x * (float)(1/3) for every x tried, and that differs from the correctly rounded x / 3.0f for some x
 * (else the rule would be untestable), by at most 1.5 ulp; a zero, infinite, subnormal-reciprocal or
 * variable divisor keeps the division. */
static void test_single_recip(void **st)
{
    struct ir_expr *e = DIV(V(0), C(3));
    const float r = (float)(1.0 / 3.0);
    long differ = 0;
    for (float x = 1.0f; x < 4.0f; x = nextafterf(x, INFINITY) + 1e-5f) {
        float y = ir_evalf(e, &x);
        assert_true(y == x * r);
        float q = x / 3.0f;
        if (y != q) {
            differ++;
            assert_true(fabsf(y - q) <= 1.5f * (nextafterf(q, INFINITY) - q));
        }
    }
    print_message("x / 3 in single precision: %ld of the tried x differ from the rounded quotient\n", differ);
    assert_true(differ > 0);
    float rr;
    assert_false(ir_single_recip(C(0), &rr));
    assert_false(ir_single_recip(C(INFINITY), &rr));
    assert_false(ir_single_recip(C(1e-300), &rr));
    assert_false(ir_single_recip(V(0), &rr));
    assert_true(ir_single_recip(C(200), &rr) && rr == (float)(1.0 / 200));
}

/* Kernel step 8 (ir.h): the statistics' sums.  The conductance population with one accumulator of each
 * kind (a clipped SUM, clipped MOMENTS, COMOMENTS of clipped V with g_syn, an unclipped SUM of g_syn) runs
 * 500 steps in both engines' accumulating kernels; the 10 accumulator columns must be memcmp-equal between
 * the engines and equal to the formulas of ir.h evaluated here in C from the observables (a third,
 * independent implementation), and the state must still match the plain kernels'.  In single precision the
 * observables are computed in float and widened, the sums still in double. */
static void accumulators(bool single)
{
    struct ir_pop p = make_cond(NNEUR);
    p.single = single;
    const double clip = -52;
    struct ir_accum acc[4] = {
        {.kind = IR_ACC_SUM, .obs = 0, .obs2 = -1, .has_clip = true, .clip = clip, .col = 0},
        {.kind = IR_ACC_MOMENTS, .obs = 0, .obs2 = -1, .has_clip = true, .clip = clip, .col = 1},
        {.kind = IR_ACC_COMOMENTS, .obs = 0, .obs2 = 2, .has_clip = true, .clip = clip, .col = 4},
        {.kind = IR_ACC_SUM, .obs = 2, .obs2 = -1, .col = 9},
    };
    p.accums = acc;
    p.naccums = 4;
    p.nacc_cols = 10;
    struct ir_model m = model_of(&p, 1);
    struct ir_kernel k;
    struct jit *j = compile(&m, &k, NULL);
    assert_non_null(k.fn_acc);
    struct ir_kernel ik = interp_kernel(&A, &p, DT);
    assert_non_null(ik.fn_acc);
    struct cols ci, cj;
    cols_alloc(&ci, &p);
    cols_alloc(&cj, &p);
    init_state(&p, &ci);
    if (single)
        cols_narrow(&ci);
    cols_copy(&cj, &ci);
    double *ai[10], *aj[10], *ref[10];
    for (int c = 0; c < 10; c++) {
        ai[c] = calloc(NNEUR, sizeof(double));
        aj[c] = calloc(NNEUR, sizeof(double));
        ref[c] = calloc(NNEUR, sizeof(double));
    }
    /* The shifts K (columns 1, 4, 5) start at the first sample, as runtime/stats.c sets them. */
    ik.fn(ik.ctx, ci.vars, ci.obs, ci.spiked, 0, NNEUR, NULL);
    k.fn(k.ctx, cj.vars, cj.obs, cj.spiked, 0, NNEUR, NULL);
    for (int64_t i = 0; i < NNEUR; i++) {
        double x = ci.obs[0][i] > clip ? clip : ci.obs[0][i];
        ai[1][i] = aj[1][i] = ref[1][i] = x;
        ai[4][i] = aj[4][i] = ref[4][i] = x;
        ai[5][i] = aj[5][i] = ref[5][i] = ci.obs[2][i];
    }
    long spikes = 0, clipped = 0;
    int64_t cut[3] = {0, NNEUR / 3 + 1, NNEUR};
    for (int t = 0; t < 500; t++) {
        for (int r = 0; r < 2; r++) {
            ik.fn_acc(ik.ctx, ci.vars, ci.obs, ai, ci.spiked, cut[r], cut[r + 1], NULL);
            k.fn_acc(k.ctx, cj.vars, cj.obs, aj, cj.spiked, cut[r], cut[r + 1], NULL);
        }
        for (int64_t i = 0; i < NNEUR; i++) {
            double x = ci.obs[0][i] > clip ? clip : ci.obs[0][i], y = ci.obs[2][i];
            ref[0][i] += x;
            double dm = x - ref[1][i];
            ref[2][i] += dm;
            ref[3][i] += dm * dm;
            double dx = x - ref[4][i], dy = y - ref[5][i];
            ref[6][i] += dx;
            ref[7][i] += dy;
            ref[8][i] += dx * dy;
            ref[9][i] += y;
            spikes += ci.spiked[i];
            clipped += ci.obs[0][i] > clip;
        }
        for (int kv = 0; kv < p.nvars; kv++)
            if (memcmp(ci.vars[kv], cj.vars[kv], sizeof(double) * NNEUR))
                fail_msg("variable %s differs at step %d", p.vars[kv].name, t);
        for (int c = 0; c < 10; c++) {
            if (memcmp(ai[c], aj[c], sizeof(double) * NNEUR))
                fail_msg("accumulator column %d differs between the engines at step %d", c, t);
            if (memcmp(ai[c], ref[c], sizeof(double) * NNEUR))
                fail_msg("accumulator column %d differs from ir.h's formula at step %d", c, t);
        }
    }
    printf("# %ld spikes, %ld clipped samples\n", spikes, clipped);
    assert_true(spikes > 0 && clipped > 1000);   /* V really crosses the clip, so the clip is exercised */
    assert_true(ai[3][0] > 0 && ai[8][0] != 0);  /* and the sums are not trivially zero */
    printf("# step 8: 10 accumulator columns x %d neurons x 500 steps identical in both engines and to ir.h\n", NNEUR);
    /* The JIT's plain kernel of a population with accums is its accumulating kernel with throw-away sums, in
     * chunks of the columns (cg_plain_from_acc, jit/jit_plain.c): the same state as the interpreter's plain
     * kernel, over uneven ranges (a one-neuron range, ranges of several chunks) and the accumulator columns
     * untouched. */
    assert_true(cg_plain_from_acc(&p));
    for (int c = 0; c < 10; c++)
        memcpy(ref[c], aj[c], sizeof(double) * NNEUR);
    spikes = lockstep(&p, k, 300, &ci, &cj);
    for (int c = 0; c < 10; c++)
        if (memcmp(ref[c], aj[c], sizeof(double) * NNEUR))
            fail_msg("the plain kernel wrote accumulator column %d", c);
    printf("# plain kernel through the accumulating one: 300 steps identical to the interpreter's, %ld spikes\n",
           spikes);
    assert_true(spikes > 0);
    for (int c = 0; c < 10; c++) {
        free(ai[c]);
        free(aj[c]);
        free(ref[c]);
    }
    cols_free(&ci);
    cols_free(&cj);
    jit_free(j);
}

static void test_accumulators(void **st)
{
    accumulators(false);
}

static void test_accumulators_single(void **st)
{
    accumulators(true);
}

/* LIF under constant suprathreshold input, from V_re: free time to threshold T = tau ln((V_inf - V_re) /
 * (V_inf - V_th)) (SCIENCE.md §4), sampled on the step grid, plus the refractory hold.  Expected: first spike
 * at step ceil(T/dt), then every R + ceil(T/dt) steps; the ISI in ms is within one step of tau_ref + T. */
static void test_lif_isi_closed_form(void **st)
{
    struct ir_pop p = make_lif(1);
    struct ir_model m = model_of(&p, 1);
    struct ir_kernel k[1];
    struct jit *j = compile(&m, k, NULL);
    double vinf = LIF_EL + LIF_RI;
    double T = LIF_TAU * log((vinf - LIF_VRE) / (vinf - LIF_VTH));
    long free_steps = (long)ceil(T / DT);
    long period = LIF_REFR_STEPS + free_steps;

    struct cols ci, cj;
    cols_alloc(&ci, &p);
    cols_alloc(&cj, &p);
    for (int engine = 0; engine < 2; engine++) {
        struct cols *c = engine ? &cj : &ci;
        struct ir_kernel ker = engine ? k[0] : interp_kernel(&A, &p, DT);
        c->vars[0][0] = LIF_VRE;
        c->vars[1][0] = 0;
        long last = -1, nspikes = 0, since = -1;
        for (long t = 1; t <= 3000; t++) {
            ker.fn(ker.ctx, c->vars, c->obs, c->spiked, 0, 1, NULL);
            if (since >= 0)
                since++;
            if (c->spiked[0]) {
                if (last < 0)
                    assert_int_equal(t, free_steps);
                else {
                    assert_int_equal(t - last, period);
                    assert_true(fabs((double)(t - last) * DT - (LIF_REFR_STEPS * DT + T)) <= DT);
                }
                assert_true(c->vars[0][0] == LIF_VRE);
                assert_true(c->vars[1][0] == LIF_REFR_STEPS);
                last = t;
                since = 0;
                nspikes++;
            } else if (since >= 1 && since <= LIF_REFR_STEPS) {
                /* refractory hold: V exactly at reset, counter counting down to 0 */
                assert_true(c->vars[0][0] == LIF_VRE);
                assert_true(c->vars[1][0] == LIF_REFR_STEPS - since);
            }
        }
        /* 3000 steps: first spike at free_steps, then one per period */
        assert_int_equal(nspikes, 1 + (3000 - free_steps) / period);
    }
    cols_free(&ci);
    cols_free(&cj);
    jit_free(j);
}

/* A V that becomes +inf or NaN within a step is a spike (SCIENCE.md §2), even when the spike condition
 * cannot hold, and the reset brings it back. */
static void test_overflow_is_spike(void **st)
{
    struct ir_pop p = make_overflow(4);
    struct ir_model m = model_of(&p, 1);
    struct ir_kernel k[1];
    struct jit *j = compile(&m, k, NULL);
    struct cols c[2];
    for (int e = 0; e < 2; e++) {
        cols_alloc(&c[e], &p);
        double v0[4] = {700, NAN, -INFINITY, -65};     /* exp(755) = inf; NaN; -inf + inf = NaN; normal */
        for (int i = 0; i < 4; i++) {
            c[e].vars[0][i] = v0[i];
            c[e].vars[1][i] = 0.25;
        }
        struct ir_kernel ker = e ? k[0] : interp_kernel(&A, &p, DT);
        ker.fn(ker.ctx, c[e].vars, c[e].obs, c[e].spiked, 0, 4, NULL);
        for (int i = 0; i < 3; i++) {
            assert_int_equal(c[e].spiked[i], 1);
            assert_true(c[e].vars[0][i] == -58);
            /* w: its own Euler update (V enters linearly: finite for V = 700, not for NaN/-inf), then += 0.5 */
            assert_true((c[e].vars[1][i] > 0.75 && c[e].vars[1][i] < 0.8) || (i > 0 && !isfinite(c[e].vars[1][i])));
        }
        assert_int_equal(c[e].spiked[3], 0);
        assert_true(isfinite(c[e].vars[0][3]) && c[e].vars[0][3] != -58);
    }
    for (int k = 0; k < 2; k++)
        assert_memory_equal(c[0].vars[k], c[1].vars[k], 4 * sizeof(double));
    cols_free(&c[0]);
    cols_free(&c[1]);
    jit_free(j);
}

/* The optimised LIF kernel is vectorised (branch-free body, noalias columns) and the module prints. */
static void test_llvm_dump_and_vectorised(void **st)
{
    struct ir_pop p = make_lif(10);
    struct ir_model m = model_of(&p, 1);
    struct diags d;
    diags_init(&d, &A);
    struct cg_module *cm = cg_build(&m, &d);
    assert_non_null(cm);
    assert_string_equal(cg_kernel_name(cm, 0), "bn_pop_0");
    assert_int_equal(cg_kernel_count(cm), 1);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    cg_print(f, cm);
    fclose(f);
    printf("# LIF module: build %.2f ms, O3 %.2f ms, %zu bytes of IR\n", cg_build_ms(cm), cg_opt_ms(cm), len);
    assert_non_null(strstr(buf, "define void @bn_pop_0("));
    if (strstr(buf, "@bn_pop_0.body"))                 /* inlined away */
        fail_msg("body not inlined:\n%s", buf);
    if (!strstr(buf, "x double>"))
        fail_msg("LIF kernel not vectorised:\n%s", buf);
    assert_null(strstr(buf, " fast "));               /* no fast-math flags */
    free(buf);
    cg_free(cm);

    /* the EIF kernel's exp is inline (ir_exp's operations, no call); the ops kernel calls pow under its
     * private name */
    struct ir_pop q[2] = {make_eif(10, NULL), make_ops(10)};
    m = model_of(q, 2);
    cm = cg_build_with(&m, NULL, &d);
    assert_non_null(cm);
    f = open_memstream(&buf, &len);
    cg_print(f, cm);
    fclose(f);
    assert_null(strstr(buf, "@llvm.exp"));
    assert_null(strstr(buf, "@exp("));
    assert_non_null(strstr(buf, "@balnet.pow("));
    assert_null(strstr(buf, "@llvm.pow"));
    assert_non_null(strstr(buf, "@bn_pop_1.body"));  /* unoptimised: not inlined yet */
    free(buf);
    /* cg_optimise on the unoptimised module: O3 inlines the bodies; a second call is a no-op */
    assert_true(cg_optimise(cm));
    double t = cg_opt_ms(cm);
    assert_true(cg_optimise(cm));
    assert_true(cg_opt_ms(cm) == t);
    f = open_memstream(&buf, &len);
    cg_print(f, cm);
    fclose(f);
    assert_null(strstr(buf, "@bn_pop_1.body"));
    assert_non_null(strstr(buf, "@balnet.pow("));     /* pow(x, 2) etc. were not rewritten */
    free(buf);
    cg_free(cm);
}

/* A random draw cannot appear in a kernel: an error, not a crash. */
static void test_rand_in_kernel_is_error(void **st)
{
    struct ir_pop p = make_lif(10);
    p.updates[0].next = N2(IR_RAND_NORMAL, C(0), C(1));
    struct ir_model m = model_of(&p, 1);
    struct diags d;
    diags_init(&d, &A);
    struct ir_kernel k[1];
    struct jit *j = NULL;
    assert_false(jit_compile_model(&m, k, &j, NULL, &d));
    assert_null(j);
    assert_int_equal(d.errors, 1);
    assert_non_null(strstr(d.head->msg, "random draw 'normal'"));

    /* an out-of-range variable index (a lowering bug) is an internal error, not a wild load */
    struct ir_pop q = make_lif(10);
    q.obs[0].expr = V(7);
    m = model_of(&q, 1);
    assert_false(jit_compile_model(&m, k, &j, NULL, &d));
    assert_int_equal(d.errors, 2);
    assert_non_null(strstr(d.tail->msg, "reads variable 7 of 2"));
}

/* Sweep points compile in parallel threads: each jit_compile_model has its own context and LLJIT. */
struct thread_job {
    struct ir_model *m;
    double v_after;
    uint8_t spikes;
    bool ok;
};
static void *compile_and_run(void *arg)
{
    struct thread_job *job = arg;
    struct arena a;
    arena_init(&a);
    struct diags d;
    diags_init(&d, &a);
    struct ir_kernel k[1];
    struct jit *j = NULL;
    job->ok = jit_compile_model(job->m, k, &j, NULL, &d);
    if (job->ok) {
        double v = -55, r = 0, *vars[2] = {&v, &r};
        uint8_t spk = 0, any = 0;
        double o;
        double *obs[1] = {&o};
        for (int t = 0; t < 500; t++) {
            k[0].fn(k[0].ctx, vars, obs, &spk, 0, 1, NULL);
            any += spk;
        }
        job->v_after = v;
        job->spikes = any;
    }
    jit_free(j);
    arena_free(&a);
    return NULL;
}

static void test_parallel_compiles(void **st)
{
    struct ir_pop p = make_lif(1);
    struct ir_model m = model_of(&p, 1);
    enum { NT = 4 };
    pthread_t th[NT];
    struct thread_job jobs[NT];
    for (int i = 0; i < NT; i++) {
        jobs[i] = (struct thread_job){.m = &m};
        assert_int_equal(pthread_create(&th[i], NULL, compile_and_run, &jobs[i]), 0);
    }
    for (int i = 0; i < NT; i++)
        pthread_join(th[i], NULL);
    for (int i = 0; i < NT; i++) {
        assert_true(jobs[i].ok);
        assert_memory_equal(&jobs[i].v_after, &jobs[0].v_after, sizeof(double));
        assert_int_equal(jobs[i].spikes, jobs[0].spikes);
    }
    assert_true(jobs[0].spikes >= 2);                /* 500 steps, period 240 */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_bit_identity, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bit_identity_single, setup, teardown),
        cmocka_unit_test_setup_teardown(test_single_recip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_accumulators, setup, teardown),
        cmocka_unit_test_setup_teardown(test_accumulators_single, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lif_isi_closed_form, setup, teardown),
        cmocka_unit_test_setup_teardown(test_overflow_is_spike, setup, teardown),
        cmocka_unit_test_setup_teardown(test_llvm_dump_and_vectorised, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rand_in_kernel_is_error, setup, teardown),
        cmocka_unit_test_setup_teardown(test_parallel_compiles, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
