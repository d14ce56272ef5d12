/*
 * test_runtime_stats.c - the statistics of runtime/stats.c against spike trains and signals with known
 * answers, generated here with a seeded xorshift RNG (no runtime, no kernels).
 *
 * Each tolerance is derived from the estimator's sampling error at the sample size used (noted at the
 * assertion); the seeds are fixed, so the tests are deterministic, but the tolerances are honest: they
 * would hold for other seeds with overwhelming probability.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "runtime/stats.h"
#include "stats_step.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "test_rng.h"

/* ---- hand-built models -------------------------------------------------------------------------- */

static struct ir_observable obs_xy[2] = {{.name = "x"}, {.name = "y"}};

static struct ir_stat mkstat(const char *name, enum ir_stat_kind kind)
{
    return (struct ir_stat){.name = name, .kind = kind, .obs = 0, .obs2 = 1, .unit = "1", .unit_scale = 1};
}

struct fixture {
    struct ir_pop pops[2];
    int popidx[2];
    struct ir_record rec;
    struct ir_model m;
};

static void setup_model(struct fixture *fx, int npops, int64_t n0, int64_t n1, struct ir_stat *stats, int nstats,
                        bool pooled, double dt, double duration, double burn)
{
    memset(fx, 0, sizeof *fx);
    fx->pops[0] = (struct ir_pop){.name = "E", .size = n0, .obs = obs_xy, .nobs = 2};
    fx->pops[1] = (struct ir_pop){.name = "I", .size = n1, .obs = obs_xy, .nobs = 2};
    fx->popidx[0] = 0;
    fx->popidx[1] = 1;
    fx->rec = (struct ir_record){.pops = fx->popidx, .npops = npops, .pooled = pooled, .stats = stats,
                                 .nstats = nstats};
    fx->m = (struct ir_model){.name = "t", .dt = dt, .duration = duration, .burn_in = burn, .pops = fx->pops,
                              .npops = npops, .records = &fx->rec, .nrecords = 1};
}

static const struct stat_row *find_row(const struct stat_row *rows, int n, const char *pop, const char *stat)
{
    for (int i = 0; i < n; i++)
        if (strcmp(rows[i].population, pop) == 0 && strcmp(rows[i].statistic, stat) == 0)
            return &rows[i];
    fail_msg("row %s/%s missing", pop, stat);
    return NULL;
}

/* ---- Poisson trains: rate, CV, Fano --------------------------------------------------------------- */

static void test_poisson(void **state)
{
    (void)state;
    /* 200 Bernoulli(p = r dt) trains, r = 10 Hz, dt = 0.1 ms, 20 s after 1 s burn-in. */
    const int N = 200;
    const double dt = 0.1, r = 0.01, T = 20000, burn = 1000;
    struct ir_stat st[3] = {mkstat("rate", IR_STAT_RATE), mkstat("cv_isi", IR_STAT_CV_ISI),
                            mkstat("fano", IR_STAT_FANO)};
    st[0].unit = "Hz";
    st[0].unit_scale = 1000;
    st[2].window = 100;
    struct fixture fx;
    setup_model(&fx, 1, N, 0, st, 3, false, dt, T + burn, burn);
    int64_t nsteps = (int64_t)llround((T + burn) / dt), bsteps = (int64_t)llround(burn / dt);
    struct stats *s = stats_create(&fx.m, nsteps, bsteps, NULL);
    assert_non_null(s);
    uint8_t *sp = calloc(N, 1);
    struct rng g = {88172645463325252ull};
    const double p = r * dt;
    /* geometric skipping: next spike step per neuron */
    int64_t *next = malloc(sizeof(int64_t) * N);
    for (int i = 0; i < N; i++)
        next[i] = (int64_t)floor(log(rng_unif(&g)) / log1p(-p));
    for (int64_t t = 0; t < nsteps; t++) {
        for (int i = 0; i < N; i++) {
            sp[i] = next[i] == t;
            if (sp[i])
                next[i] = t + 1 + (int64_t)floor(log(rng_unif(&g)) / log1p(-p));
        }
        stats_step_flags(s, 0, t, sp, NULL, 0, N);
    }
    const struct stat_row *rows;
    int n = stats_finish(s, &rows);
    assert_int_equal(n, 3);
    assert_string_equal(rows[0].population, "E");
    assert_string_equal(rows[0].statistic, "rate");
    assert_string_equal(rows[0].unit, "Hz");
    /* 40000 expected spikes: relative sd 0.5 %; 5 sd = 2.5 % of 10 Hz */
    assert_true(fabs(rows[0].value - 10.0) < 0.25);
    /* Geometric ISIs: CV = sqrt(1 - p) = 0.99950.  Per neuron ~200 ISIs give sd ~0.07, mean of 200
     * neurons sd ~0.005, divisor-n bias -0.25 %: tolerance 0.03. */
    assert_true(fabs(rows[1].value - sqrt(1 - p)) < 0.03);
    /* Binomial(1000, p) window counts: Fano = 1 - p.  W = 200 windows: per-neuron sd ~sqrt(2/W) = 0.1,
     * mean of 200 neurons sd ~0.007, divisor-n bias -0.5 %: tolerance 0.04. */
    assert_true(fabs(rows[2].value - (1 - p)) < 0.04);
    stats_free(s);
    free(sp);
    free(next);
}

/* A regular train has CV 0 and Fano 0 exactly (a check the Poisson test cannot make). */
static void test_regular_train(void **state)
{
    (void)state;
    struct ir_stat st[3] = {mkstat("rate", IR_STAT_RATE), mkstat("cv_isi", IR_STAT_CV_ISI),
                            mkstat("fano", IR_STAT_FANO)};
    st[2].window = 10;   /* 10 steps of 1 ms: exactly 2 spikes per window */
    struct fixture fx;
    setup_model(&fx, 1, 3, 0, st, 3, false, 1.0, 1000, 100);
    struct stats *s = stats_create(&fx.m, 1000, 100, NULL);
    uint8_t sp[3];
    for (int64_t t = 0; t < 1000; t++) {
        sp[0] = t % 5 == 0;     /* 200 Hz */
        sp[1] = t == 500 || t == 600;   /* 2 spikes: no CV, counts in Fano */
        sp[2] = 0;              /* silent: excluded from Fano and CV */
        stats_step_flags(s, 0, t, sp, NULL, 0, 3);
    }
    const struct stat_row *rows;
    stats_finish(s, &rows);
    /* rates 180/900, 2/900, 0 per ms -> mean (182/900)/3 per ms */
    assert_float_equal(rows[0].value, 182.0 / 900 / 3, 1e-15);
    assert_float_equal(rows[1].value, 0.0, 1e-15);
    /* neuron 0: fano 0; neuron 1: 90 windows, two with count 1: mean 2/90, var 2/90 - (2/90)^2 */
    double m1 = 2.0 / 90, f1 = (m1 - m1 * m1) / m1;
    assert_float_equal(rows[2].value, (0 + f1) / 2, 1e-14);
    stats_free(s);
}

/* ---- count correlation ---------------------------------------------------------------------------- */

static void test_count_corr_mother(void **state)
{
    (void)state;
    /* 100 daughters of a Bernoulli mother (q = 0.05 per 1 ms step, i.e. 50 Hz), each keeping a mother spike
     * with probability c = 0.2 (10 Hz each), plus 20 independent 0.5 Hz neurons that the 1 Hz threshold
     * must exclude.  For window counts M ~ Bin(w, q) of the mother, Cov(n_i, n_j) = c^2 Var M and
     * Var n_i = c (1-c) E M + c^2 Var M, so rho = c Var M / ((1-c) E M + c Var M) = 0.19192 (= c for a
     * Poisson mother). */
    const int ND = 100, NL = 20, N = ND + NL;
    const double dt = 1, q = 0.05, c = 0.2, w = 250;
    const double EM = w * q, VM = w * q * (1 - q), rho = c * VM / ((1 - c) * EM + c * VM);
    struct ir_stat st[1] = {mkstat("count_corr", IR_STAT_COUNT_CORR)};
    st[0].window = w;
    st[0].min_rate = 0.001;   /* 1 Hz */
    struct fixture fx;
    const int64_t nsteps = 100000;   /* 100 s: 400 windows, 398 kept */
    setup_model(&fx, 1, N, 0, st, 1, false, dt, nsteps * dt, 0);
    struct stats *s = stats_create(&fx.m, nsteps, 0, NULL);
    struct rng g = {0x9e3779b97f4a7c15ull};
    uint8_t *sp = calloc(N, 1);
    for (int64_t t = 0; t < nsteps; t++) {
        memset(sp, 0, N);
        if (rng_unif(&g) < q)
            for (int i = 0; i < ND; i++)
                sp[i] = rng_unif(&g) < c;
        for (int i = ND; i < N; i++)
            sp[i] = rng_unif(&g) < 0.0005;
        stats_step_flags(s, 0, t, sp, NULL, 0, N);
    }
    const struct stat_row *rows;
    stats_finish(s, &rows);
    /* The mean over 4950 pairs of 398-window correlations: its error is dominated by the shared mother
     * (sd about (1 - rho) sqrt(2/W) / sqrt(ND) + rho-fluctuation terms ~ 0.01).  Tolerance 0.04; had the
     * 0.5 Hz neurons been included (rho ~ 0), the mean would drop to ~0.13. */
    assert_true(fabs(rows[0].value - rho) < 0.04);
    stats_free(s);
    free(sp);
}

static void test_count_corr_bruteforce(void **state)
{
    (void)state;
    /* 50 neurons x 40 windows: a shared component of random strength, one constant neuron, some dropped. */
    enum { N = 50, W = 40 };
    uint16_t counts[N * W];
    uint8_t keep[N];
    struct rng g = {12345};
    uint16_t common[W];
    for (int t = 0; t < W; t++)
        common[t] = (uint16_t)(rng_u64(&g) % 20);
    for (int i = 0; i < N; i++) {
        int a = (int)(rng_u64(&g) % 4);
        keep[i] = i % 7 != 3;
        for (int t = 0; t < W; t++)
            counts[i * W + t] = (uint16_t)(a * common[t] + rng_u64(&g) % 15);
    }
    for (int t = 0; t < W; t++)
        counts[5 * W + t] = 7;   /* zero variance: excluded by both */
    double fast = stat_count_corr(counts, N, W, 1, W - 1, keep);
    double slow = stat_count_corr_bruteforce(counts, N, W, 1, W - 1, keep);
    assert_false(isnan(fast));
    assert_true(fast > 0.1);   /* the shared component is there */
    /* same quantity, different summation order: agreement to rounding (1e-12) */
    assert_true(fabs(fast - slow) < 1e-12);
    double fast_all = stat_count_corr(counts, N, W, 0, W, NULL);
    double slow_all = stat_count_corr_bruteforce(counts, N, W, 0, W, NULL);
    assert_true(fabs(fast_all - slow_all) < 1e-12);
    /* fewer than 2 usable neurons: undefined */
    assert_true(isnan(stat_count_corr(counts + 5 * W, 1, W, 0, W, NULL)));
}

static void test_count_corr_from(void **state)
{
    (void)state;
    /* Two neurons, dt = 1 ms, 10 ms windows, 60 ms with a 20 ms burn-in; counts per 10 ms window
     * A = 1 1 2 3 1 1 and B = 1 3 2 1 2 1.  Default: windows from the burn-in ([20, 60): 4 windows), the
     * inner two keep A = 3 1, B = 1 2, so rho = -1.  from = 0 ms (the authors' utils.py): windows from 0
     * (6 windows), the inner four keep A = 1 2 3 1, B = 3 2 1 2: rho = -2 / sqrt(2.75 * 2) = -0.852803. */
    static const int ca[6] = {1, 1, 2, 3, 1, 1}, cb[6] = {1, 3, 2, 1, 2, 1};
    const double want[2] = {-1.0, -2.0 / sqrt(5.5)};
    for (int variant = 0; variant < 2; variant++) {
        struct ir_stat st[1] = {mkstat("count_corr", IR_STAT_COUNT_CORR)};
        st[0].window = 10;
        st[0].min_rate = 0.001;
        st[0].has_from = variant == 1;   /* from = 0 */
        struct fixture fx;
        setup_model(&fx, 1, 2, 0, st, 1, false, 1, 60, 20);
        struct stats *s = stats_create(&fx.m, 60, 20, NULL);
        for (int64_t t = 0; t < 60; t++) {
            uint8_t sp[2] = {t % 10 < ca[t / 10], t % 10 < cb[t / 10]};
            stats_step_flags(s, 0, t, sp, NULL, 0, 2);
        }
        const struct stat_row *rows;
        stats_finish(s, &rows);
        /* exact small-integer sums: agreement to rounding */
        assert_true(fabs(rows[0].value - want[variant]) < 1e-12);
        stats_free(s);
    }
}

/* ---- observables: AR(1) variance, clip, bin, cov, derived, pooling ------------------------------------ */

static void test_ar1_variance(void **state)
{
    (void)state;
    /* V = -60 mV + OU noise sampled every dt: x' = a x + s e, a = exp(-dt/tau), stationary var
     * s^2 / (1 - a^2) = 9 mV^2, started in the stationary law. */
    enum { N = 20 };
    const double dt = 0.1, tau = 10, var = 9, mean = -60;
    const int64_t nsteps = 110000, burn = 10000;   /* 10 s after 1 s burn-in */
    const double a = exp(-dt / tau), sd = sqrt(var * (1 - a * a));
    struct ir_stat st[3] = {mkstat("v_mean", IR_STAT_MEAN), mkstat("v_var", IR_STAT_VAR),
                            mkstat("v_std", IR_STAT_STD)};
    struct fixture fx;
    setup_model(&fx, 1, N, 0, st, 3, false, dt, nsteps * dt, burn * dt);
    struct stats *s = stats_create(&fx.m, nsteps, burn, NULL);
    double x[N], y[N];
    double *cols[2] = {x, y};
    uint8_t sp[N] = {0};
    struct rng g = {777};
    for (int i = 0; i < N; i++)
        x[i] = mean + sqrt(var) * rng_normal(&g);
    for (int64_t t = 0; t < nsteps; t++) {
        for (int i = 0; i < N; i++)
            x[i] = mean + a * (x[i] - mean) + sd * rng_normal(&g);
        stats_step_flags(s, 0, t, sp, cols, 0, N);
    }
    const struct stat_row *rows;
    stats_finish(s, &rows);
    /* ~T/(2 tau) = 500 independent samples per neuron: var rel. sd sqrt(2/500) = 6.3 %, mean over 20
     * neurons 1.4 %: tolerance 7 % (5 sd).  Mean: se sqrt(var 2 tau / T) / sqrt(20) = 0.03 mV: tol 0.15. */
    assert_true(fabs(rows[0].value - mean) < 0.15);
    assert_true(fabs(rows[1].value - var) < 0.07 * var);
    assert_float_equal(rows[2].value, sqrt(rows[1].value), 1e-12);
    stats_free(s);
}

/* Population variance (divisor n) of a short sequence, as the definition says. */
static double pvar(const double *v, int n)
{
    double m = 0, s = 0;
    for (int i = 0; i < n; i++)
        m += v[i];
    m /= n;
    for (int i = 0; i < n; i++)
        s += (v[i] - m) * (v[i] - m);
    return s / n;
}

static void test_clip_bin_cov(void **state)
{
    (void)state;
    /* dt = 1 ms, 9 steps, burn-in 2 steps (the 100s must be ignored). */
    const double xs[9] = {100, 100, 1, 2, 3, 10, 5, 6, 7};
    const double ys[9] = {-5, -5, 2, 1, 0, 4, 3, 3, 9};
    struct ir_stat st[6] = {mkstat("mean_raw", IR_STAT_MEAN), mkstat("var_raw", IR_STAT_VAR),
                            mkstat("var_clip_bin", IR_STAT_VAR), mkstat("mean_clip_bin", IR_STAT_MEAN),
                            mkstat("cov", IR_STAT_COV), mkstat("cov_clip_bin", IR_STAT_COV)};
    st[2].has_clip = st[3].has_clip = st[5].has_clip = true;
    st[2].clip = st[3].clip = st[5].clip = 4;
    st[2].bin = st[3].bin = st[5].bin = 2;
    struct fixture fx;
    setup_model(&fx, 1, 1, 0, st, 6, false, 1.0, 9, 2);
    struct stats *s = stats_create(&fx.m, 9, 2, NULL);
    double x[1], y[1];
    double *cols[2] = {x, y};
    uint8_t sp[1] = {0};
    for (int t = 0; t < 9; t++) {
        x[0] = xs[t];
        y[0] = ys[t];
        stats_step_flags(s, 0, t, sp, cols, 0, 1);
    }
    const struct stat_row *rows;
    int n = stats_finish(s, &rows);
    assert_int_equal(n, 6);
    const double raw[7] = {1, 2, 3, 10, 5, 6, 7};
    assert_float_equal(rows[0].value, 34.0 / 7, 1e-14);
    assert_float_equal(rows[1].value, pvar(raw, 7), 1e-13);
    /* clipped 1 2 3 4 4 4 4 -> bins (1,2) (3,4) (4,4), the partial (4) dropped -> 1.5 3.5 4 */
    const double binned[3] = {1.5, 3.5, 4};
    assert_float_equal(rows[2].value, pvar(binned, 3), 1e-14);
    assert_float_equal(rows[3].value, 3.0, 1e-14);
    /* cov of raw x and y: mean x 34/7, mean y 22/7 */
    const double ry[7] = {2, 1, 0, 4, 3, 3, 9};
    double c = 0;
    for (int i = 0; i < 7; i++)
        c += (raw[i] - 34.0 / 7) * (ry[i] - 22.0 / 7);
    assert_float_equal(rows[4].value, c / 7, 1e-13);
    /* clip on x only, bin both: x 1.5 3.5 4, y 1.5 2 3 */
    const double bx[3] = {1.5, 3.5, 4}, by[3] = {1.5, 2, 3};
    double mx = 3, my = 6.5 / 3, cb = 0;
    for (int i = 0; i < 3; i++)
        cb += (bx[i] - mx) * (by[i] - my);
    assert_float_equal(rows[5].value, cb / 3, 1e-14);
    stats_free(s);
}

static void test_derived_pooled_threads(void **state)
{
    (void)state;
    /* E: 30 neurons with constant x = 2 + i%3 (mean 3), spiking every 10 steps (100 Hz);
     * I: 10 neurons with x = 10, spiking every 4 steps (250 Hz).  dt = 1 ms, 1000 steps, no burn-in.
     * Stats: rate (Hz), mean(x), derived d = mean(x) / rate  (internal rate in 1/ms: E 3/0.1 = 30). */
    struct ir_stat st[3] = {mkstat("rate", IR_STAT_RATE), mkstat("mean_x", IR_STAT_MEAN),
                            mkstat("d", IR_STAT_DERIVED)};
    st[0].unit = "Hz";
    st[0].unit_scale = 1000;
    struct ir_expr v0 = {.op = IR_VAR, .index = 0}, v1 = {.op = IR_VAR, .index = 1};
    struct ir_expr div = {.op = IR_DIV, .a = &v1, .b = &v0};
    st[2].derived = &div;
    struct fixture fx;
    setup_model(&fx, 2, 30, 10, st, 3, true, 1.0, 1000, 0);
    /* run twice: whole ranges, and split in two ranges per population (as two threads would) */
    double vals[2][9];
    for (int split = 0; split < 2; split++) {
        struct stats *s = stats_create(&fx.m, 1000, 0, NULL);
        double xe[30], xi[10];
        double *ce[2] = {xe, xe}, *ci[2] = {xi, xi};
        uint8_t se[30], si[10];
        for (int i = 0; i < 30; i++)
            xe[i] = 2 + i % 3;
        for (int i = 0; i < 10; i++)
            xi[i] = 10;
        for (int64_t t = 0; t < 1000; t++) {
            memset(se, t % 10 == 0, sizeof se);
            memset(si, t % 4 == 0, sizeof si);
            if (split) {
                stats_step_flags(s, 0, t, se, ce, 17, 30);
                stats_step_flags(s, 0, t, se, ce, 0, 17);
                stats_step_flags(s, 1, t, si, ci, 0, 4);
                stats_step_flags(s, 1, t, si, ci, 4, 10);
            } else {
                stats_step_flags(s, 0, t, se, ce, 0, 30);
                stats_step_flags(s, 1, t, si, ci, 0, 10);
            }
        }
        const struct stat_row *rows;
        int n = stats_finish(s, &rows);
        assert_int_equal(n, 9);
        assert_string_equal(rows[0].population, "E");
        assert_string_equal(rows[3].population, "I");
        assert_string_equal(rows[6].population, "all");
        assert_string_equal(rows[8].statistic, "d");
        for (int k = 0; k < 9; k++)
            vals[split][k] = rows[k].value;
        assert_float_equal(find_row(rows, n, "E", "rate")->value, 100, 1e-12);
        assert_float_equal(find_row(rows, n, "I", "rate")->value, 250, 1e-12);
        assert_float_equal(find_row(rows, n, "all", "rate")->value, (30 * 100 + 10 * 250) / 40.0, 1e-12);
        assert_float_equal(find_row(rows, n, "E", "mean_x")->value, 3, 1e-14);
        assert_float_equal(find_row(rows, n, "all", "mean_x")->value, (30 * 3 + 10 * 10) / 40.0, 1e-14);
        /* derived sees internal units (1/ms), not Hz */
        assert_float_equal(find_row(rows, n, "E", "d")->value, 3 / 0.1, 1e-12);
        assert_float_equal(find_row(rows, n, "I", "d")->value, 10 / 0.25, 1e-12);
        assert_float_equal(find_row(rows, n, "all", "d")->value, 4.75 / 0.1375, 1e-12);
        stats_free(s);
    }
    /* thread split does not change a single bit */
    assert_memory_equal(vals[0], vals[1], sizeof vals[0]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_poisson),
        cmocka_unit_test(test_regular_train),
        cmocka_unit_test(test_count_corr_mother),
        cmocka_unit_test(test_count_corr_bruteforce),
        cmocka_unit_test(test_count_corr_from),
        cmocka_unit_test(test_ar1_variance),
        cmocka_unit_test(test_clip_bin_cov),
        cmocka_unit_test(test_derived_pooled_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
