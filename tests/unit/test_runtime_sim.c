/*
 * test_runtime_sim.c - the simulation loop (runtime/sim.c) with hand-written kernels: exact delivery
 * delays on both paths (sender queue and per-target rings), reproducibility from the seed, identical
 * spikes for 1, 2 and 3 threads, statistics rows fed by the loop, and the guards' messages (NaN, runaway
 * rate, memory, cancel, missing spike file).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runtime/mem.h"
#include "runtime/rt.h"

static struct arena A;

/* ---- model construction helpers ---------------------------------------------------------------------- */

static void add_var(struct ir_pop *p, const char *name, enum ir_var_kind kind, struct ir_expr *init)
{
    struct ir_var *v = arena_alloc(&A, (size_t)(p->nvars + 1) * sizeof *v);
    if (p->nvars)
        memcpy(v, p->vars, (size_t)p->nvars * sizeof *v);
    v[p->nvars] = (struct ir_var){.name = name, .kind = kind, .init = init};
    p->vars = v;
    p->nvars++;
}

static struct ir_pop pop(const char *name, int64_t size)
{
    struct ir_pop p = {.name = name, .size = size, .refr_var = -1, .spike_var = -1, .v_var = 0};
    add_var(&p, "V", IR_VAR_STATE, ir_const(&A, 0));
    add_var(&p, "ge", IR_VAR_RECEPTOR, ir_const(&A, 0));
    add_var(&p, "gi", IR_VAR_RECEPTOR, ir_const(&A, 0));
    return p;
}

static struct ir_proj proj(struct ir_ref pre, int post, enum ir_rule rule, struct ir_expr *w, struct ir_expr *d,
                           int var, double scale)
{
    struct ir_proj p = {.pre = pre, .post = {false, post}, .rule = rule, .weight = w, .delay = d};
    p.weight_const = ir_expr_is_const(w);
    p.delay_const = ir_expr_is_const(d);
    p.incs = arena_alloc(&A, sizeof *p.incs);
    p.incs[0] = (struct ir_increment){var, scale};
    p.nincs = 1;
    return p;
}
#define POP(i) ((struct ir_ref){false, (i)})
#define INPUT(i) ((struct ir_ref){true, (i)})
#define C(v) ir_const(&A, (v))
#define RAND(op, a, b) ir_node(&A, IR_RAND_##op, C(a), C(b), NULL)

static struct ir_model *model(double dt, double duration)
{
    struct ir_model *m = arena_alloc(&A, sizeof *m);
    m->name = "test";
    m->dt = dt;
    m->duration = duration;
    return m;
}

/* ---- spike recording --------------------------------------------------------------------------------- */

struct rec {
    uint64_t hash;
    int64_t count[8];
    int64_t after_burn[8];
    int64_t burn;
    int64_t first[8][4];   /* steps of the first spikes per pop */
    int nfirst[8];
};

static void on_spikes(void *ctx, int pop, int64_t step, const uint32_t *idx, int64_t n)
{
    struct rec *r = ctx;
    for (int64_t k = 0; k < n; k++) {
        if (k)
            assert_true(idx[k] > idx[k - 1]);
        /* FNV-1a over (pop, step, neuron) */
        uint64_t words[3] = {(uint64_t)pop, (uint64_t)step, idx[k]};
        for (int w = 0; w < 3; w++) {
            r->hash ^= words[w];
            r->hash *= 1099511628211ull;
        }
        if (r->nfirst[pop] < 4)
            r->first[pop][r->nfirst[pop]++] = step;
    }
    r->count[pop] += n;
    if (step >= r->burn)
        r->after_burn[pop] += n;
}

/* ---- kernels ----------------------------------------------------------------------------------------- */

/* Relay: spikes when its receptor ge equals *(double *)ctx exactly, then clears it. */
static void relay(void *ctx, double *const *vars, double *const *obs, uint8_t *spiked, int64_t b, int64_t e,
                  const struct ir_kenv *env)
{
    double want = *(const double *)ctx;
    for (int64_t i = b; i < e; i++) {
        spiked[i] = vars[1][i] == want;
        vars[1][i] = 0;
    }
}

/* A conductance-free LIF in arbitrary units: V' = (-70 - V)/20 + ge - gi, exponential receptors. */
static void lif(void *ctx, double *const *vars, double *const *obs, uint8_t *spiked, int64_t b, int64_t e,
                  const struct ir_kenv *env)
{
    const double dt = 0.1, de = exp(-dt / 5), di = exp(-dt / 10);
    for (int64_t i = b; i < e; i++) {
        double V = vars[0][i], ge = vars[1][i], gi = vars[2][i];
        double n = V + dt * ((-70 - V) / 20 + ge - gi);
        int s = n >= -50;
        vars[0][i] = s ? -60 : n;
        vars[1][i] = ge * de;
        vars[2][i] = gi * di;
        spiked[i] = (uint8_t)s;
        if (obs)
            obs[0][i] = vars[0][i];
    }
}

/* Counts steps in gi; neuron 17 turns V into NaN at step 123. */
static void poison(void *ctx, double *const *vars, double *const *obs, uint8_t *spiked, int64_t b, int64_t e,
                  const struct ir_kenv *env)
{
    for (int64_t i = b; i < e; i++) {
        if (i == 17 && vars[2][i] == 123)
            vars[0][i] = NAN;
        vars[2][i] += 1;
        spiked[i] = 0;
    }
}

static void always(void *ctx, double *const *vars, double *const *obs, uint8_t *spiked, int64_t b, int64_t e,
                  const struct ir_kenv *env)
{
    for (int64_t i = b; i < e; i++)
        spiked[i] = 1;
}

/* Spikes at its first step when V > -60 (V drawn from the initialiser), never after. */
static void init_probe(void *ctx, double *const *vars, double *const *obs, uint8_t *spiked, int64_t b, int64_t e,
                  const struct ir_kenv *env)
{
    for (int64_t i = b; i < e; i++) {
        spiked[i] = vars[0][i] > -60;
        vars[0][i] = -100;
    }
}

/* ---- tests ------------------------------------------------------------------------------------------- */

static void test_delays_exact(void **state)
{
    (void)state;
    char path[256], err[512];
    snprintf(path, sizeof path, "/tmp/bn_rt_sim_%d.csv", (int)getpid());
    FILE *f = fopen(path, "w");
    fputs("neuron,time_ms\n0,0.5\n0,2.0\n", f);   /* input spikes at steps 5 and 20 */
    fclose(f);

    struct ir_model *m = model(0.1, 5.0);
    m->npops = 3;
    m->pops = arena_alloc(&A, 3 * sizeof *m->pops);
    m->pops[0] = pop("A", 1);
    m->pops[1] = pop("B", 1);
    m->pops[2] = pop("C", 1);
    m->ninputs = 1;
    m->inputs = arena_alloc(&A, sizeof *m->inputs);
    m->inputs[0] = (struct ir_input){.name = "S", .kind = IR_INPUT_FILE, .size = 1, .path = path};
    m->nprojs = 3;
    m->projs = arena_alloc(&A, 3 * sizeof *m->projs);
    /* weight 0.5 x scale 2 = exactly 1.0, the value the relays wait for */
    m->projs[0] = proj(INPUT(0), 0, IR_RULE_ONE_TO_ONE, C(0.5), C(0.3), 1, 2.0);       /* sender queue, d = 3 */
    m->projs[1] = proj(POP(0), 1, IR_RULE_ONE_TO_ONE, C(0.5), RAND(UNIFORM, 0.7, 0.7), 1, 2.0); /* ring, d = 7 */
    /* per-synapse (float) weight path: uniform(0.5, 0.5) is not constant but draws exactly 0.5 */
    m->projs[2] = proj(POP(0), 2, IR_RULE_ALL_TO_ALL, RAND(UNIFORM, 0.5, 0.5), C(0.1), 1, 2.0); /* d = 1 */
    assert_false(m->projs[2].weight_const);
    assert_false(m->projs[1].delay_const);
    double want = 1.0;
    struct ir_kernel k[3] = {{.fn = relay, .ctx = &want}, {.fn = relay, .ctx = &want}, {.fn = relay, .ctx = &want}};
    struct rec r = {0};
    struct rt_options opt = {.on_spikes = on_spikes, .on_spikes_ctx = &r, .on_spikes_inputs = true};
    struct rt_run *run = rt_run(m, k, 1, &opt, err, sizeof err);
    assert_non_null(run);
    assert_int_equal(r.nfirst[3], 2);      /* the input, reported as pop npops + 0 */
    assert_int_equal(r.first[3][0], 5);
    assert_int_equal(r.first[3][1], 20);
    assert_int_equal(r.nfirst[0], 2);
    assert_int_equal(r.first[0][0], 8);    /* 5 + 3 */
    assert_int_equal(r.first[0][1], 23);
    assert_int_equal(r.nfirst[1], 2);
    assert_int_equal(r.first[1][0], 15);   /* 8 + 7 through the ring */
    assert_int_equal(r.first[1][1], 30);
    assert_int_equal(r.nfirst[2], 2);
    assert_int_equal(r.first[2][0], 9);    /* 8 + 1 */
    assert_int_equal(r.first[2][1], 24);
    assert_int_equal(rt_run_timing(run)->synapses, 3);
    rt_run_free(run);
    unlink(path);

    m->inputs[0].path = "/nonexistent/in.csv";
    assert_null(rt_run(m, k, 1, &opt, err, sizeof err));
    assert_string_equal(err, "cannot open /nonexistent/in.csv: No such file or directory");
}

/* E (300) and I (150) LIF neurons driven by 200 Poisson inputs at 50 Hz, every rule and both delay paths. */
static struct ir_model *network(void)
{
    struct ir_model *m = model(0.1, 300);
    m->burn_in = 50;
    m->npops = 2;
    m->pops = arena_alloc(&A, 2 * sizeof *m->pops);
    m->pops[0] = pop("E", 300);
    m->pops[1] = pop("I", 150);
    for (int i = 0; i < 2; i++) {
        m->pops[i].vars[0].init = RAND(UNIFORM, -70, -50);
        m->pops[i].obs = arena_alloc(&A, sizeof(struct ir_observable));
        m->pops[i].obs[0] = (struct ir_observable){.name = "V", .expr = ir_var(&A, 0)};
        m->pops[i].nobs = 1;
    }
    m->ninputs = 1;
    m->inputs = arena_alloc(&A, sizeof *m->inputs);
    m->inputs[0] = (struct ir_input){.name = "X", .kind = IR_INPUT_POISSON, .size = 200, .rate = 0.05};
    m->nprojs = 6;
    m->projs = arena_alloc(&A, 6 * sizeof *m->projs);
    m->projs[0] = proj(INPUT(0), 0, IR_RULE_BERNOULLI, RAND(NORMAL, 0.09, 0.02), C(0.1), 1, 1.0);
    m->projs[0].p = 0.2;
    m->projs[1] = proj(INPUT(0), 1, IR_RULE_BERNOULLI, C(0.09), C(0.1), 1, 1.0);
    m->projs[1].p = 0.2;
    m->projs[2] = proj(POP(0), 0, IR_RULE_BERNOULLI, C(0.02), RAND(UNIFORM, 0.5, 2.0), 1, 1.0);
    m->projs[2].p = 0.1;
    m->projs[3] = proj(POP(0), 1, IR_RULE_IN_DEGREE, RAND(LOGNORMAL, 0.04, 0.01), C(1.0), 1, 1.0);
    m->projs[3].k = 20;
    m->projs[4] = proj(POP(1), 0, IR_RULE_BERNOULLI, C(0.05), C(0.5), 2, 1.0);
    m->projs[4].p = 0.2;
    m->projs[5] = proj(POP(1), 1, IR_RULE_OUT_DEGREE, C(0.05), RAND(EXPONENTIAL, 1.0, 0), 2, 1.0);
    m->projs[5].k = 10;
    m->nrecords = 1;
    m->records = arena_alloc(&A, sizeof *m->records);
    struct ir_record *rc = m->records;
    rc->npops = 2;
    rc->pops = arena_alloc(&A, 2 * sizeof(int));
    rc->pops[0] = 0;
    rc->pops[1] = 1;
    rc->nstats = 1;
    rc->stats = arena_alloc(&A, sizeof *rc->stats);
    rc->stats[0] = (struct ir_stat){.name = "rate", .kind = IR_STAT_RATE, .unit = "Hz", .unit_scale = 1000};
    return m;
}

/* lif with a second observable ge, and its accumulating twin (kernel step 8 of ir.h). */
static void lif2(void *ctx, double *const *vars, double *const *obs, uint8_t *spiked, int64_t b, int64_t e,
                  const struct ir_kenv *env)
{
    lif(ctx, vars, obs, spiked, b, e, env);
    for (int64_t i = b; i < e; i++)
        obs[1][i] = vars[1][i];
}

static _Atomic long acc_calls;
static void lif2_acc(void *ctx, double *const *vars, double *const *obs, double *const *acc, uint8_t *spiked,
                     int64_t b, int64_t e, const struct ir_kenv *env)
{
    const struct ir_pop *p = ctx;
    lif2(NULL, vars, obs, spiked, b, e, env);
    acc_calls++;
    ir_accum_apply(p, obs, acc, b, e);
}

static int run_rows(const struct ir_model *m, bool fused, int threads, double *vals, int max)
{
    char err[512];
    struct ir_kernel k[2];
    for (int i = 0; i < 2; i++)
        k[i] = (struct ir_kernel){.fn = lif2, .ctx = (void *)&m->pops[i], .fn_acc = fused ? lif2_acc : NULL};
    struct rt_options opt = {.threads = threads, .neurons_per_thread = 64};   /* really split 450 neurons */
    struct rt_run *run = rt_run(m, k, 7, &opt, err, sizeof err);
    if (!run)
        fail_msg("%s", err);
    const struct stat_row *rows;
    int n = rt_run_rows(run, &rows);
    assert_true(n <= max);
    for (int i = 0; i < n; i++)
        vals[i] = rows[i].value;
    rt_run_free(run);
    return n;
}

static struct rec run_network(const struct ir_model *m, uint64_t seed, int threads)
{
    char err[512];
    struct ir_kernel k[2] = {{.fn = lif, .ctx = NULL}, {.fn = lif, .ctx = NULL}};
    struct rec r = {.burn = 500};
    struct rt_options opt = {.threads = threads, .neurons_per_thread = 64, .on_spikes = on_spikes, .on_spikes_ctx = &r};
    struct rt_run *run = rt_run(m, k, seed, &opt, err, sizeof err);
    if (!run)
        fail_msg("%s", err);
    /* the statistics saw the same spikes: rate = spikes after burn-in / (n T) */
    const struct stat_row *rows;
    int n = rt_run_rows(run, &rows);
    assert_int_equal(n, 2);
    for (int i = 0; i < 2; i++) {
        double hz = (double)r.after_burn[i] / ((double)m->pops[i].size * 250.0) * 1000.0;
        assert_string_equal(rows[i].statistic, "rate");
        assert_true(fabs(rows[i].value - hz) <= 1e-9 * hz);
    }
    /* synapse count and bytes: E->E and I->E bernoulli; degrees exact */
    const struct rt_timing *t = rt_run_timing(run);
    assert_int_equal(t->threads, threads);   /* the network really was split */
    assert_true(t->synapses > 0);
    assert_true(t->bytes_synapses > 0 && t->bytes_total >= t->bytes_synapses);
    rt_run_free(run);
    return r;
}

static void test_reproducible_and_threads(void **state)
{
    (void)state;
    struct ir_model *m = network();
    struct rec a = run_network(m, 1, 1);
    /* a network that does something: between 1 and 100 Hz in both populations */
    for (int i = 0; i < 2; i++) {
        double hz = (double)a.count[i] / ((double)m->pops[i].size * 0.3);
        print_message("population %d: %.1f Hz\n", i, hz);
        assert_true(hz > 1 && hz < 100);
    }
    struct rec b = run_network(m, 1, 1);
    struct rec c = run_network(m, 1, 2);
    struct rec d = run_network(m, 1, 3);
    struct rec e = run_network(m, 2, 2);
    assert_true(a.hash == b.hash);
    assert_true(a.hash == c.hash);   /* bit-identical whatever the thread count */
    assert_true(a.hash == d.hash);
    assert_memory_equal(a.count, d.count, sizeof a.count);
    assert_true(a.hash != e.hash);   /* another seed, another network and input */
}

/* Statistics summed by the kernels (ir_plan_accums, kernel step 8) equal, bit for bit, the ones the
 * runtime sums itself: every accumulator kind, clipped and not, binned with a partial last bin (7-step bins
 * in 2500 steps after burn-in) and not, a mean sharing its sums with a variance and a mean alone. */
static void test_kernel_sums(void **state)
{
    (void)state;
    struct ir_model *m = network();
    for (int i = 0; i < 2; i++) {
        m->pops[i].obs = arena_alloc(&A, 2 * sizeof(struct ir_observable));
        m->pops[i].obs[0] = (struct ir_observable){.name = "V", .expr = ir_var(&A, 0)};
        m->pops[i].obs[1] = (struct ir_observable){.name = "ge", .expr = ir_var(&A, 1)};
        m->pops[i].nobs = 2;
    }
    struct ir_record *rc = m->records;
    rc->nstats = 8;
    rc->stats = arena_alloc(&A, 8 * sizeof *rc->stats);
    struct ir_stat *st = rc->stats;
    st[0] = (struct ir_stat){.name = "rate", .kind = IR_STAT_RATE, .unit_scale = 1000};
    st[1] = (struct ir_stat){.name = "v_mean", .kind = IR_STAT_MEAN, .obs = 0, .unit_scale = 1};
    st[2] = (struct ir_stat){.name = "v_var", .kind = IR_STAT_VAR, .obs = 0, .has_clip = true, .clip = -52, .bin = 0.7, .unit_scale = 1};
    st[3] = (struct ir_stat){.name = "v_std", .kind = IR_STAT_STD, .obs = 0, .has_clip = true, .clip = -52, .bin = 0.7, .unit_scale = 1};
    st[4] = (struct ir_stat){.name = "v_var2", .kind = IR_STAT_VAR, .obs = 0, .has_clip = true, .clip = -55, .unit_scale = 1};
    st[5] = (struct ir_stat){.name = "v_mean2", .kind = IR_STAT_MEAN, .obs = 0, .has_clip = true, .clip = -55, .unit_scale = 1};
    st[6] = (struct ir_stat){.name = "cov", .kind = IR_STAT_COV, .obs = 0, .obs2 = 1, .unit_scale = 1};
    st[7] = (struct ir_stat){.name = "cov_b", .kind = IR_STAT_COV, .obs = 0, .obs2 = 1, .has_clip = true, .clip = -52, .bin = 0.7, .unit_scale = 1};
    assert_true(ir_plan_accums(m, &A));
    /* E: v_mean alone (SUM), v_var binned (SUM), v_var2 + v_mean2 (MOMENTS), cov (COMOMENTS), cov_b (2 SUMs) */
    assert_int_equal(m->pops[0].naccums, 6);
    assert_int_equal(m->pops[0].nacc_cols, 1 + 1 + 3 + 5 + 2);
    double own[64], fused[64], fused2[64];
    int n = run_rows(m, false, 1, own, 64);
    acc_calls = 0;
    assert_int_equal(run_rows(m, true, 1, fused, 64), n);
    print_message("accumulating kernel calls: %ld\n", (long)acc_calls);
    assert_true(acc_calls >= 2 * 2490);    /* the kernels did sum, on (almost) every step after burn-in */
    assert_int_equal(run_rows(m, true, 2, fused2, 64), n);
    for (int i = 0; i < n; i++) {
        assert_true(isfinite(own[i]));
        if (memcmp(&own[i], &fused[i], sizeof(double)) || memcmp(&own[i], &fused2[i], sizeof(double)))
            fail_msg("row %d: runtime %.17g, kernel %.17g, kernel on 2 threads %.17g", i, own[i], fused[i], fused2[i]);
    }
    print_message("%d statistics identical whether the runtime or the kernels sum\n", n);

    /* A second record over E alone repeats three of them (a mean alone, a clipped variance sharing its sums
     * with a mean, a covariance) and adds a mean of ge: the kernel sums only the new one (ir_stat_twin),
     * and the repeats read the first record's sums, bit for bit, whoever sums. */
    struct ir_record *recs = arena_alloc(&A, 2 * sizeof *recs);
    recs[0] = *rc;
    recs[1] = (struct ir_record){.npops = 1, .pops = rc->pops, .nstats = 4};
    struct ir_stat *st2 = arena_alloc(&A, 4 * sizeof *st2);
    st2[0] = (struct ir_stat){.name = "v_mean_again", .kind = IR_STAT_MEAN, .obs = 0, .unit_scale = 1};
    st2[1] = (struct ir_stat){.name = "v_var2_again", .kind = IR_STAT_VAR, .obs = 0, .has_clip = true, .clip = -55, .unit_scale = 1};
    st2[2] = (struct ir_stat){.name = "cov_again", .kind = IR_STAT_COV, .obs = 0, .obs2 = 1, .unit_scale = 1};
    st2[3] = (struct ir_stat){.name = "ge_mean", .kind = IR_STAT_MEAN, .obs = 1, .unit_scale = 1};
    recs[1].stats = st2;
    m->records = recs;
    m->nrecords = 2;
    assert_true(ir_plan_accums(m, &A));
    assert_int_equal(m->pops[0].naccums, 7);   /* the six above and ge_mean's sum */
    assert_int_equal(m->pops[0].nacc_cols, 1 + 1 + 3 + 5 + 2 + 1);
    assert_int_equal(m->pops[1].naccums, 6);
    int k2 = -1;
    assert_int_equal(ir_stat_twin(m, 1, 1, 0, &k2), 0);
    assert_int_equal(k2, 4);
    assert_int_equal(ir_stat_twin(m, 1, 3, 0, &k2), -1);
    n = run_rows(m, false, 1, own, 64);
    assert_int_equal(n, 16 + 4);
    assert_int_equal(run_rows(m, true, 1, fused, 64), n);
    assert_int_equal(run_rows(m, true, 2, fused2, 64), n);
    const int again[3][2] = {{16, 1}, {17, 4}, {18, 6}};   /* record 2's row, record 1's row for E */
    for (int i = 0; i < 3; i++) {
        assert_memory_equal(&own[again[i][0]], &own[again[i][1]], sizeof(double));
        assert_memory_equal(&fused[again[i][0]], &own[again[i][1]], sizeof(double));
        assert_memory_equal(&fused2[again[i][0]], &own[again[i][1]], sizeof(double));
    }
    assert_memory_equal(&own[19], &fused[19], sizeof(double));
    assert_memory_equal(&own[19], &fused2[19], sizeof(double));
    assert_true(isfinite(own[19]) && own[19] != own[16]);
}

static void test_init_random(void **state)
{
    (void)state;
    char err[512];
    struct ir_model *m = model(0.1, 1.0);
    m->npops = 1;
    m->pops = arena_alloc(&A, sizeof *m->pops);
    m->pops[0] = pop("E", 1000);
    m->pops[0].vars[0].init = RAND(UNIFORM, -70, -50);
    struct ir_kernel k = {.fn = init_probe, .ctx = NULL};
    struct rec r = {0};
    struct rt_options opt = {.on_spikes = on_spikes, .on_spikes_ctx = &r};
    struct rt_run *run = rt_run(m, &k, 4, &opt, err, sizeof err);
    assert_non_null(run);
    rt_run_free(run);
    /* V0 ~ U(-70, -50): P(V0 > -60) = 1/2; Binomial(1000, 1/2) has sd 15.8 */
    assert_true(fabs((double)r.count[0] - 500) < 5 * 15.8);
    struct rec r2 = {0};
    opt.on_spikes_ctx = &r2;
    run = rt_run(m, &k, 4, &opt, err, sizeof err);
    rt_run_free(run);
    assert_true(r.hash == r2.hash);
}

static void test_nan_guard(void **state)
{
    (void)state;
    char err[512];
    struct ir_model *m = model(0.1, 100);
    m->npops = 1;
    m->pops = arena_alloc(&A, sizeof *m->pops);
    m->pops[0] = pop("E", 40);
    struct ir_kernel k = {.fn = poison, .ctx = NULL};
    for (int threads = 1; threads <= 2; threads++) {
        /* chunks are whole multiples of 64 neurons: with 2 threads the first owns all 40 */
        struct rt_options opt = {.threads = threads, .neurons_per_thread = 1};
        assert_null(rt_run(m, &k, 1, &opt, err, sizeof err));
        /* NaN written at step 123; the state is checked every 10 steps, so it is seen after step 129 */
        assert_string_equal(err, "population E: variable V of neuron 17 is NaN at t = 12.9 ms (step 129)");
    }
}

static void test_rate_guard_and_cancel(void **state)
{
    (void)state;
    char err[512];
    struct ir_model *m = model(0.1, 1000);
    m->npops = 1;
    m->pops = arena_alloc(&A, sizeof *m->pops);
    m->pops[0] = pop("E", 200);
    struct ir_kernel k = {.fn = always, .ctx = NULL};
    /* On 2 threads ([0, 128) and [128, 200)) the guard sums both threads' counts and both stop together. */
    for (int threads = 1; threads <= 2; threads++) {
        struct rt_options opt = {.threads = threads, .neurons_per_thread = 1};
        assert_null(rt_run(m, &k, 1, &opt, err, sizeof err));
        assert_string_equal(err, "population E: rate 10000.0 Hz over the 100 ms up to t = 100.0 ms exceeds the "
                                 "limit of 1000 Hz");
        opt.max_rate_hz = 20000;
        volatile int cancel = 1;
        opt.cancel = &cancel;
        assert_null(rt_run(m, &k, 1, &opt, err, sizeof err));
        assert_string_equal(err, "cancelled at t = 100.0 ms");
    }
}

static void test_memory_refusal(void **state)
{
    (void)state;
    char err[512], want[512], a[32];
    struct ir_model *m = network();
    size_t need = rt_estimate_bytes(m, 1);
    /* dominated by 4e4 expected synapses (~3 bytes each) and the statistics; sanity range */
    assert_true(need > 100000 && need < 10000000);
    struct ir_kernel k[2] = {{.fn = lif, .ctx = NULL}, {.fn = lif, .ctx = NULL}};
    struct rt_options opt = {.mem_limit = 1000};
    assert_null(rt_run(m, k, 1, &opt, err, sizeof err));
    snprintf(want, sizeof want, "network needs %s, 1.0 kB available", rt_format_bytes(a, sizeof a, (double)need));
    assert_string_equal(err, want);

    /* 5000x the neurons: 2e11 expected synapses (~700 GB) are refused under the default limit (90 % of
     * MemAvailable) before anything is allocated */
    for (int i = 0; i < 2; i++)
        m->pops[i].size *= 5000;
    m->inputs[0].size *= 5000;
    size_t big = rt_estimate_bytes(m, 1);
    assert_true(big > (size_t)1000 * need);
    assert_true(rt_mem_available() > 0 && big > rt_mem_available());
    opt.mem_limit = 0;
    assert_null(rt_run(m, k, 1, &opt, err, sizeof err));
    assert_true(strncmp(err, "network needs ", 14) == 0);
    assert_non_null(strstr(err, " GB, "));
    assert_non_null(strstr(err, " available"));
}

int main(void)
{
    arena_init(&A);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_delays_exact),          cmocka_unit_test(test_reproducible_and_threads),
        cmocka_unit_test(test_kernel_sums),
        cmocka_unit_test(test_init_random),           cmocka_unit_test(test_nan_guard),
        cmocka_unit_test(test_rate_guard_and_cancel), cmocka_unit_test(test_memory_refusal),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    arena_free(&A);
    return rc;
}
