/*
 * test_codegen_plastic.c - plastic synapses: the standard library's rules (models/lib/stdp.bn,
 * models/lib/tsodyks_markram.bn) lowered from model text, their event functions run directly on one synapse
 * by both engines (which must agree bit for bit after every event), checked against the rules' closed forms;
 * then whole plastic networks through the runtime on 1, 2 and 3 threads and both engines (identical final
 * weights and spikes); and the located errors of bad plastic models.
 *
 * Tolerances (why):
 *   - weights are stored as float (runtime/plastic.h): each event rounds w once, by at most half an ulp,
 *     2^-25 for w in [0.5, 1) (our tests keep w there); the exponentials are ir_exp's (<= 0.53 ulp of
 *     double, negligible).  So a weight after n events is within n * 2^-25 of the exact rule's value.
 *   - Tsodyks-Markram states are double (per source): the engines' recursion and the test's differ only by
 *     double roundings, 1e-12 relative over 200 spikes is generous (each step contracts errors).
 *   - steady states: the recursion converges geometrically (factor (1 - U) exp(-T/tau_fac) < 0.9 per spike),
 *     so after 300 spikes the residual is below 1e-13; 1e-9 relative.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sema_helpers.h"
#include "interp/interp.h"
#include "jit/jit.h"
#include "runtime/rt.h"

#define DT 0.1
#define WTOL(n) ((n) * 0x1p-25 + 1e-15)

/* ---- a model lowered from text, with both engines' event functions ------------------------------- */

struct lowered {
    struct sema_fixture *f;
    struct ir_model *m;
    struct ir_kernel *jk;      /* ir_kernel_count(m) */
    struct ir_kernel *ik;
    struct jit *jit;
};

static struct lowered lower_text(const char *text)
{
    struct lowered L = {0};
    L.f = fixture_analyse(text, NULL, 0);
    if (!L.f->model)
        fail_msg("model does not analyse:\n%s", L.f->errors);
    L.m = sema_lower(L.f->model, NULL, &L.f->diags);
    if (!L.m) {
        fixture_render(L.f);
        fail_msg("model does not lower:\n%s", L.f->errors);
    }
    int nk = ir_kernel_count(L.m);
    L.jk = calloc((size_t)nk + 1, sizeof *L.jk);
    L.ik = calloc((size_t)nk + 1, sizeof *L.ik);
    if (!jit_compile_model(L.m, L.jk, &L.jit, NULL, &L.f->diags))
        fail_msg("jit_compile_model failed: %s", L.f->diags.head ? L.f->diags.head->msg : "?");
    for (int i = 0; i < L.m->npops; i++)
        L.ik[i] = interp_kernel(&L.f->arena, &L.m->pops[i], L.m->dt);
    for (int j = 0; j < L.m->nprojs; j++)
        if (L.m->projs[j].plastic)
            L.ik[L.m->npops + j] = interp_events(L.m->projs[j].plastic);
    return L;
}

static void lowered_free(struct lowered *L)
{
    jit_free(L->jit);
    free(L->jk);
    free(L->ik);
    fixture_free(L->f);
}

/* ---- one synapse (source 0 -> target 0), stepped by hand --------------------------------------- */

enum { MAXC = 16 };
struct syn1 {
    const struct ir_plastic *pl;
    double vals[MAXC];         /* the target's variables */
    double *pv[MAXC];
    float sv[MAXC];
    float *syn[MAXC];
    double prev[MAXC], postv[MAXC];
    double *pre[MAXC], *post[MAXC];
    double pre_last, post_last;
};

static void syn1_init(struct syn1 *h, const struct ir_plastic *pl, double w0)
{
    memset(h, 0, sizeof *h);
    h->pl = pl;
    assert_true(pl->base < MAXC && pl->nstates < MAXC);
    for (int v = 0; v < pl->base; v++)
        h->pv[v] = &h->vals[v];
    for (int s = 0; s < pl->nstates; s++) {
        h->sv[s] = (float)(s == 0 ? w0 : pl->states[s].init);
        h->prev[s] = h->postv[s] = pl->states[s].init;
        h->syn[s] = pl->states[s].where == IR_PL_SYN ? &h->sv[s] : NULL;
        h->pre[s] = pl->states[s].where == IR_PL_PRE ? &h->prev[s] : NULL;
        h->post[s] = pl->states[s].where == IR_PL_POST ? &h->postv[s] : NULL;
    }
}

static const uint32_t ZERO[1] = {0};

static void syn1_pre(struct syn1 *h, const struct ir_kernel *k, double now)
{
    k->pre(k->ctx, h->pv, h->syn, h->pre, h->post, &h->pre_last, &h->post_last, ZERO, NULL, 0, 0, 1, now);
}

static void syn1_post(struct syn1 *h, const struct ir_kernel *k, double now)
{
    k->post(k->ctx, h->pv, h->syn, h->pre, h->post, &h->pre_last, &h->post_last, ZERO, ZERO, 0, 0, 1, now);
}

/* Both engines' copies of one synapse, driven by the same events and compared bit for bit after each. */
struct pair {
    struct syn1 j, i;
    const struct ir_kernel *jk, *ik;
};

static void pair_init(struct pair *p, struct lowered *L, int proj, double w0)
{
    syn1_init(&p->j, L->m->projs[proj].plastic, w0);
    syn1_init(&p->i, L->m->projs[proj].plastic, w0);
    p->jk = &L->jk[L->m->npops + proj];
    p->ik = &L->ik[L->m->npops + proj];
}

static void pair_same(const struct pair *p)
{
    assert_memory_equal(p->j.vals, p->i.vals, sizeof p->j.vals);
    assert_memory_equal(p->j.sv, p->i.sv, sizeof p->j.sv);
    assert_memory_equal(p->j.prev, p->i.prev, sizeof p->j.prev);
    assert_memory_equal(p->j.postv, p->i.postv, sizeof p->j.postv);
}

static void pair_pre(struct pair *p, double now)
{
    syn1_pre(&p->j, p->jk, now);
    syn1_pre(&p->i, p->ik, now);
    pair_same(p);
}

static void pair_post(struct pair *p, double now)
{
    syn1_post(&p->j, p->jk, now);
    syn1_post(&p->i, p->ik, now);
    pair_same(p);
}

static double pair_w(const struct pair *p) { return p->j.sv[0]; }

/* ---- STDP --------------------------------------------------------------------------------------- */

static const char *stdp_model(const char *syn)
{
    static char buf[1024];
    snprintf(buf, sizeof buf,
             "import lif, stdp\n"
             "population E = lif[1]\n"
             "input X = poisson[1](rate = 1 Hz)\n"
             "connect X -> E via %s(tau_plus = 16.8 ms, tau_minus = 33.7 ms, A_plus = 0.01, A_minus = 0.012, "
             "w_max = 1 nS) all_to_all weight 0.75 nS\n",
             syn);
    return buf;
}

/* One pre-post pair at offset d steps: dw = A+ w_max exp(-d dt/tau+) (d > 0), -A- w_max exp(d dt/tau-)
 * (d < 0), over a sweep of d (Song, Miller & Abbott 2000, Fig. 1). */
static void test_stdp_window(void **state)
{
    (void)state;
    for (int nearest = 0; nearest < 2; nearest++) {
        struct lowered L = lower_text(stdp_model(nearest ? "stdp_add_nearest" : "stdp_add"));
        for (int d = -400; d <= 400; d += 7) {
            if (d == 0)
                continue;
            struct pair p;
            pair_init(&p, &L, 0, 0.75);
            double t0 = 1000;
            if (d > 0) {
                pair_pre(&p, t0);
                pair_post(&p, t0 + d);
            } else {
                pair_post(&p, t0);
                pair_pre(&p, t0 - d);
            }
            double want = d > 0 ? 0.01 * exp(-d * DT / 16.8) : -0.012 * exp(d * DT / 33.7);
            double got = pair_w(&p) - 0.75;
            if (fabs(got - want) > WTOL(1))
                fail_msg("d = %d steps: dw %.9g, want %.9g", d, got, want);
        }
        lowered_free(&L);
    }
}

/* A burst of 3 pre spikes 10 ms apart, then a post spike 5 ms after the last: all-to-all pairs the post
 * spike with all three (A+ sum exp(-d_k/tau+)), nearest-spike with the last only. */
static void test_stdp_nearest_vs_all(void **state)
{
    (void)state;
    for (int nearest = 0; nearest < 2; nearest++) {
        struct lowered L = lower_text(stdp_model(nearest ? "stdp_add_nearest" : "stdp_add"));
        struct pair p;
        pair_init(&p, &L, 0, 0.75);
        for (int k = 0; k < 3; k++)
            pair_pre(&p, 100 + 100 * k);
        pair_post(&p, 350);
        double want = 0;
        for (int k = nearest ? 2 : 0; k < 3; k++)
            want += 0.01 * exp(-(350 - (100 + 100 * k)) * DT / 16.8);
        double got = pair_w(&p) - 0.75;
        if (fabs(got - want) > WTOL(1))
            fail_msg("%s: dw %.9g, want %.9g", nearest ? "nearest" : "all-to-all", got, want);
        lowered_free(&L);
    }
}

/* Long potentiation (pre 1 ms before post, 3000 times): w reaches w_max and stays there, never above. */
static void test_stdp_bounds(void **state)
{
    (void)state;
    struct lowered L = lower_text(stdp_model("stdp_add"));
    struct pair p;
    pair_init(&p, &L, 0, 0.75);
    for (int n = 0; n < 3000; n++) {
        pair_pre(&p, 1000.0 * n);
        pair_post(&p, 1000.0 * n + 10);
        assert_true(pair_w(&p) <= 1.0f && pair_w(&p) >= 0.0f);
    }
    assert_true(pair_w(&p) == 1.0f);
    /* and long depression (post 1 ms before pre) takes it to 0 and not below */
    for (int n = 3000; n < 9000; n++) {
        pair_post(&p, 1000.0 * n);
        pair_pre(&p, 1000.0 * n + 10);
        assert_true(pair_w(&p) <= 1.0f && pair_w(&p) >= 0.0f);
    }
    assert_true(pair_w(&p) == 0.0f);
    lowered_free(&L);
}

/* Triplet rule, pairing protocol (Pfister & Gerstner 2006, Fig. 4): pairs at frequency rho with offset
 * +-10 ms.  In the periodic steady state the traces just before each event are geometric sums, e.g. for
 * pre-then-post at offset D and period T:
 *   r1(post-) = e^{-D/tau+} / (1 - e^{-T/tau+}),   o2(post-) = e^{-T/tau_y} / (1 - e^{-T/tau_y}),
 *   o1(pre-)  = e^{-(T-D)/tau-} / (1 - e^{-T/tau-}), r2(pre-) = e^{-T/tau_x} / (1 - e^{-T/tau_x}),
 * and each pair changes w by  r1 (A2+ + A3+ o2) - o1 (A2- + A3- r2)  (in units of w_max). */
static void test_triplet_pairing(void **state)
{
    (void)state;
    /* the library's amplitudes / 16, so that 120 pairs keep w inside (0.5, 1): no clipping */
    const double tp = 16.8, tm = 33.7, tx = 101, ty = 125, a2p = 5e-10 / 16, a3p = 6.2e-3 / 16, a2m = 7e-3 / 16,
                 a3m = 2.3e-4 / 16;
    char text[512];
    snprintf(text, sizeof text,
             "import lif, stdp\n"
             "population E = lif[1]\n"
             "input X = poisson[1](rate = 1 Hz)\n"
             "connect X -> E via stdp_triplet(A2_plus = %.17g, A3_plus = %.17g, A2_minus = %.17g, A3_minus = %.17g) "
             "all_to_all weight 0.75 nS\n",
             a2p, a3p, a2m, a3m);
    struct lowered L = lower_text(text);
    const double rhos[] = {1, 10, 20, 40, 50};
    for (int r = 0; r < 5; r++)
        for (int sign = -1; sign <= 1; sign += 2) {
            const double T = 1000.0 / rhos[r], D = 10.0;
            const int Ts = (int)lround(T / DT), Ds = (int)lround(D / DT);
            struct pair p;
            pair_init(&p, &L, 0, 0.75);
            float w_before = 0;
            /* the traces' transient decays by e^{-T/tau_y} per pair: after 100 pairs (50 Hz: 0.85^100 ~ 1e-7) the
             * last 20 are periodic to far below the tolerance */
            const int npairs = 120, nmeasure = 20;
            for (int n = 0; n < npairs; n++) {
                if (n == npairs - nmeasure)
                    w_before = (float)pair_w(&p);
                double t = 1000.0 + (double)n * Ts;
                if (sign > 0) {
                    pair_pre(&p, t);
                    pair_post(&p, t + Ds);
                } else {
                    pair_post(&p, t);
                    pair_pre(&p, t + Ds);
                }
            }
            double eT = exp(-T / tp), eTm = exp(-T / tm), eTx = exp(-T / tx), eTy = exp(-T / ty);
            double o2 = eTy / (1 - eTy), r2 = eTx / (1 - eTx);
            double r1, o1;
            if (sign > 0) {   /* pre at 0, post at D */
                r1 = exp(-D / tp) / (1 - eT);
                o1 = exp(-(T - D) / tm) / (1 - eTm);
            } else {          /* post at 0, pre at D */
                r1 = exp(-(T - D) / tp) / (1 - eT);
                o1 = exp(-D / tm) / (1 - eTm);
            }
            double per_pair = r1 * (a2p + a3p * o2) - o1 * (a2m + a3m * r2);
            double got = (pair_w(&p) - w_before) / nmeasure, want = per_pair;
            /* 2 events per pair, each one float rounding of w (< 1): see the header */
            if (fabs(got - want) > WTOL(2 * nmeasure) / nmeasure + 1e-9 * fabs(want))
                fail_msg("rho %g Hz, %s: dw per pair %.9g, want %.9g", rhos[r], sign > 0 ? "pre-post" : "post-pre",
                         got, want);
        }
    lowered_free(&L);
}

/* ---- Tsodyks-Markram -------------------------------------------------------------------------------- */

/* Regular train with period T: each arrival's increment of the receptor is w u_n x_n with
 *   u_n = U + u_{n-1} (1 - U) e^{-T/tau_fac}  (u_0 = U; facilitating only, else u = U),
 *   x_n = 1 - (1 - x_{n-1} (1 - u_{n-1})) e^{-T/tau_rec}  (x_0 = 1),
 * converging to u* = U / (1 - (1 - U) e^{-T/tau_fac}), x* = (1 - e^{-T/tau_rec}) / (1 - (1 - u*) e^{-T/tau_rec}). */
static void tm_check(const char *syn, bool fac, double U, double trec, double tfac, double rate_hz)
{
    char text[512], facarg[64] = "";
    if (fac)
        snprintf(facarg, sizeof facarg, ", tau_fac = %g ms", tfac);
    snprintf(text, sizeof text,
             "import lif, tsodyks_markram\n"
             "population E = lif[1]\n"
             "input X = poisson[1](rate = 1 Hz)\n"
             "connect X -> E via %s(U = %g, tau_rec = %g ms%s) all_to_all weight 20 %s\n",
             syn, U, trec, facarg, strstr(syn, "conductance") ? "nS" : "pA");
    struct lowered L = lower_text(text);
    const struct ir_pop *E = &L.m->pops[0];
    int rv = -1;
    for (int v = 0; v < E->nvars; v++)
        if (E->vars[v].kind == IR_VAR_RECEPTOR)
            rv = v;
    assert_true(rv >= 0);
    struct pair p;
    pair_init(&p, &L, 0, 20);
    const double T = 1000.0 / rate_hz;
    const int Ts = (int)lround(T / DT);
    double u = U, x = 1, uprev = U, xprev = 1;
    for (int n = 0; n < 300; n++) {
        p.j.vals[rv] = p.i.vals[rv] = 0;
        pair_pre(&p, 10.0 + (double)n * Ts);
        if (n > 0) {
            u = fac ? U + uprev * (1 - U) * exp(-T / tfac) : U;
            x = 1 - (1 - xprev * (1 - uprev)) * exp(-T / trec);
        }
        double want = 20 * u * x, got = p.j.vals[rv];
        if (n < 200 && fabs(got - want) > 1e-12 * want)
            fail_msg("%s spike %d: amplitude %.17g, want %.17g", syn, n, got, want);
        uprev = u;
        xprev = x;
        if (n == 299) {
            double us = fac ? U / (1 - (1 - U) * exp(-T / tfac)) : U;
            double xs = (1 - exp(-T / trec)) / (1 - (1 - us) * exp(-T / trec));
            if (fabs(got - 20 * us * xs) > 1e-9 * 20 * us * xs)
                fail_msg("%s steady state: amplitude %.17g, want %.17g", syn, got, 20 * us * xs);
        }
    }
    lowered_free(&L);
}

static void test_tm(void **state)
{
    (void)state;
    tm_check("tm_depressing_current", false, 0.5, 800, 0, 20);
    tm_check("tm_depressing_conductance", false, 0.3, 500, 0, 40);
    tm_check("tm_facilitating_current", true, 0.1, 100, 1000, 20);
    tm_check("tm_facilitating_conductance", true, 0.15, 200, 600, 10);
}

/* ---- whole networks: engines and threads ------------------------------------------------------------ */

struct capture {
    uint64_t spikes;           /* FNV-1a over (pop, step, index) of every spike */
    uint64_t weights;          /* FNV-1a over every plastic weight's bits */
    int64_t nspikes, nweights;
    double wsum;
};

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 0x100000001b3ull;
    return h;
}

static void on_spikes(void *ctx, int pop, int64_t step, const uint32_t *idx, int64_t n)
{
    struct capture *c = ctx;
    c->spikes = fnv(c->spikes, &pop, sizeof pop);
    c->spikes = fnv(c->spikes, &step, sizeof step);
    c->spikes = fnv(c->spikes, idx, sizeof *idx * (size_t)n);
    c->nspikes += n;
}

static void on_weights(void *ctx, int proj, int64_t npre, const int64_t *row, const uint32_t *tg, const float *w)
{
    struct capture *c = ctx;
    c->weights = fnv(c->weights, &proj, sizeof proj);
    c->weights = fnv(c->weights, tg, sizeof *tg * (size_t)row[npre]);
    c->weights = fnv(c->weights, w, sizeof *w * (size_t)row[npre]);
    c->nweights += row[npre];
    for (int64_t k = 0; k < row[npre]; k++)
        c->wsum += w[k];
}

static struct capture run_net(struct lowered *L, const struct ir_kernel *k, int threads)
{
    struct capture c = {0xcbf29ce484222325ull, 0xcbf29ce484222325ull, 0, 0, 0};
    struct rt_options opt = {.threads = threads, .neurons_per_thread = 1, .on_spikes = on_spikes,
                             .on_spikes_ctx = &c, .on_weights = on_weights, .on_weights_ctx = &c};
    char err[256];
    struct rt_run *r = rt_run(L->m, k, 3, &opt, err, sizeof err);
    if (!r)
        fail_msg("run failed: %s", err);
    assert_int_equal(rt_run_timing(r)->threads, threads);
    rt_run_free(r);
    return c;
}

/* A recurrent network with additive STDP on E->E, Vogels iSTDP on I->E and TM depression on E->I: the
 * final weights and every spike agree bit for bit between the engines and over 1, 2 and 3 threads. */
static void test_network_identical(void **state)
{
    (void)state;
    struct lowered L = lower_text(
        "import lif, stdp, tsodyks_markram\n"
        "population E = lif[240](E_L = -60 mV, I_e = 150 pA)\n"
        "population I = lif[60](E_L = -60 mV, I_e = 150 pA)\n"
        "input X = poisson[100](rate = 20 Hz)\n"
        "connect X -> E via stdp_add(5 ms, 0 mV, A_plus = 0.05, A_minus = 0.06) bernoulli(0.2) weight 2 nS\n"
        "connect E -> E via stdp_triplet(5 ms, 0 mV, A3_plus = 0.05) bernoulli(0.1) weight uniform(0.2 nS, 0.8 nS) "
        "delay 1 ms\n"
        "connect E -> I via tm_facilitating_conductance(5 ms, 0 mV) bernoulli(0.2) weight 3 nS\n"
        "connect I -> E via vogels_istdp() bernoulli(0.2) weight 5 nS\n"
        "simulate { duration = 25 ms }\n");
    struct capture ref = run_net(&L, L.jk, 1);
    assert_true(ref.nspikes > 100);   /* the rules are exercised: many pre and post events */
    assert_true(ref.nweights > 5000);
    struct capture in = run_net(&L, L.ik, 1);
    assert_int_equal(in.spikes, ref.spikes);
    assert_int_equal(in.weights, ref.weights);
    for (int t = 2; t <= 3; t++) {
        struct capture c = run_net(&L, L.jk, t);
        assert_int_equal(c.nspikes, ref.nspikes);
        assert_int_equal(c.spikes, ref.spikes);
        assert_int_equal(c.weights, ref.weights);
    }
    lowered_free(&L);
}

/* ---- located errors ------------------------------------------------------------------------------------ */

static const char *const STDP_HEAD = "import lif\n"
                                     "population E = lif[10]\n"
                                     "input X = poisson[10](rate = 1 Hz)\n";

static void expect_plastic_error(const char *body, const char *connect, const char *want)
{
    char text[2048];
    snprintf(text, sizeof text, "%s%s\n%s\n", STDP_HEAD, body, connect);
    expect_error(text, want);
}

static void test_errors(void **state)
{
    (void)state;
    const char *con = "connect X -> E via s() bernoulli(0.5) weight 1 nS";
    /* an event writes a state of the wrong dimension */
    expect_plastic_error("synapse s() { state g = 0 nS\n dg/dt = -g/(5 ms)\n current g*(0 mV - V)\n"
                         "  on pre(w) { g += w\n w = 0.1 } }",
                         con, "cannot assign dimensionless to 'w', which is conductance");
    expect_plastic_error("synapse s() { state g = 0 nS, a = 0\n dg/dt = -g/(5 ms)\n current g*(0 mV - V)\n"
                         "  on pre(w) { g += w\n a += 1 mV } }",
                         con, "cannot add voltage (mV) to 'a', which is dimensionless");
    /* on post reads an undefined trace */
    expect_plastic_error("synapse s() { state g = 0 nS, a = 0\n dg/dt = -g/(5 ms)\n current g*(0 mV - V)\n"
                         "  on pre(w) { g += w\n a += 1 }\n on post(w) { w += 1 nS*a_pre } }",
                         con, "undefined name 'a_pre'");
    /* a state that cannot be integrated event-driven */
    expect_plastic_error("synapse s() { state g = 0 nS, a = 0\n dg/dt = -g/(5 ms)\n da/dt = -a*a/(20 ms)\n"
                         "  current g*(0 mV - V)\n on pre(w) { g += w\n a += 1 } }",
                         con, "must be linear with constant coefficients");
    /* a per-synapse state read in a neuron */
    expect_error("import stdp\n"
                 "neuron n { state V = 0 mV\n dV/dt = -V/(10 ms) + x_pre*1 mV/ms }\n"
                 "population E = n[10]\ninput X = poisson[10](rate = 1 Hz)\n"
                 "connect X -> E via stdp_add() bernoulli(0.5) weight 0.5 nS\n",
                 "undefined name 'x_pre'");
    /* on post cannot change the target neuron; an event state's initial value cannot read a variable */
    expect_plastic_error("synapse s() { state g = 0 nS\n dg/dt = -g/(5 ms)\n current g*(0 mV - V)\n"
                         "  on pre(w) { g += w }\n on post(w) { g += w } }",
                         con, "'on post' updates the synapse; it cannot change 'g'");
    expect_plastic_error("synapse s() { state g = 0 nS, a = V/(1 mV)\n dg/dt = -g/(5 ms)\n current g*(0 mV - V)\n"
                         "  on pre(w) { g += w*a } }",
                         con, "must be a constant or a random draw of constants");
    expect_plastic_error("synapse s() { state g = 0 nS\n dg/dt = -g/(5 ms)\n current g*(0 mV - V)\n"
                         "  on spike(w) { g += w }\n on pre(w) { g += w } }",
                         con, "not 'on spike'");
    expect_plastic_error("synapse s() { state g = 0 nS\n dg/dt = -g/(5 ms)\n current g*(0 mV - V)\n"
                         "  on later(w) { g += w } }",
                         con, "unknown event 'later'");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stdp_window),
        cmocka_unit_test(test_stdp_nearest_vs_all),
        cmocka_unit_test(test_stdp_bounds),
        cmocka_unit_test(test_triplet_pairing),
        cmocka_unit_test(test_tm),
        cmocka_unit_test(test_network_identical),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
