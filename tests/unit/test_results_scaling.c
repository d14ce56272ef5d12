/*
 * test_results_scaling.c - the scaling-exponent fit (results/scaling.c): Student-t quantiles against
 * tabulated values, the incomplete beta function against closed forms, recovery of known exponents from
 * noisy synthetic power laws, and the coverage of the 95 % interval over many replicates.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "results/scaling.h"

#include <math.h>
#include <stdlib.h>

#include "test_rng.h"

static void test_betai(void **state)
{
    (void)state;
    /* closed forms: I_x(1,1) = x, I_x(a,1) = x^a, I_x(1,b) = 1-(1-x)^b, I_1/2(a,a) = 1/2 */
    for (double x = 0.05; x < 1; x += 0.1) {
        assert_float_equal(fit_betai(1, 1, x), x, 1e-14);
        assert_float_equal(fit_betai(3.5, 1, x), pow(x, 3.5), 1e-13);
        assert_float_equal(fit_betai(1, 2.5, x), 1 - pow(1 - x, 2.5), 1e-13);
    }
    assert_float_equal(fit_betai(7.3, 7.3, 0.5), 0.5, 1e-13);
    assert_float_equal(fit_betai(2, 3, 0), 0, 0);
    assert_float_equal(fit_betai(2, 3, 1), 1, 0);
}

static void test_t_quantile(void **state)
{
    (void)state;
    /* two-sided 95 % critical values (R: qt(0.975, df); df 18 and 1000 checked by Simpson integration of the
     * t density), to 1e-9 */
    const struct {
        double dof, q;
    } tab[] = {{1, 12.706204736174707}, {2, 4.302652729749464}, {3, 3.182446305284263},
               {5, 2.570581835636314},  {10, 2.228138851986274}, {18, 2.10092204024096},
               {30, 2.042272456301238}, {1000, 1.9623390808264}};
    for (size_t i = 0; i < sizeof tab / sizeof *tab; i++) {
        assert_float_equal(fit_t_quantile(0.975, tab[i].dof), tab[i].q, 1e-9);
        assert_float_equal(fit_t_quantile(0.025, tab[i].dof), -tab[i].q, 1e-9);
        assert_float_equal(fit_t_cdf(tab[i].q, tab[i].dof), 0.975, 1e-12);
    }
    /* t with 1 dof is Cauchy: F(t) = 1/2 + atan(t)/pi */
    assert_float_equal(fit_t_cdf(0.7, 1), 0.5 + atan(0.7) / M_PI, 1e-13);
    assert_float_equal(fit_t_quantile(0.9, 1), tan(M_PI * 0.4), 1e-9);
}

/* The paper's N axis with 4 trials: y = A N^b exp(sigma e). */
static void synth(struct rng *g, double b, double sigma, double *x, double *y)
{
    const double N[5] = {1000, 2000, 4000, 8000, 15000};
    int k = 0;
    for (int i = 0; i < 5; i++)
        for (int t = 0; t < 4; t++, k++) {
            x[k] = N[i];
            y[k] = 3.7 * pow(N[i], b) * exp(sigma * rng_normal(g));
        }
}

static void test_recovers_exponents(void **state)
{
    (void)state;
    double x[20], y[20];
    struct fit_line f;
    /* noise-free: exact to rounding, r2 = 1 */
    struct rng g = {42};
    synth(&g, 0.5, 0, x, y);
    assert_true(fit_loglog(x, y, 20, &f));
    assert_float_equal(f.slope, 0.5, 1e-12);
    assert_float_equal(f.intercept, log(3.7), 1e-10);
    assert_float_equal(f.r2, 1, 1e-12);
    assert_int_equal(f.n, 20);
    /* 5 % log-noise: the CI covers the truth and is narrow (sd of the slope = 0.05 / sqrt(Sxx) ~ 0.014) */
    const double truth[2] = {0.5, -1};
    for (int k = 0; k < 2; k++) {
        synth(&g, truth[k], 0.05, x, y);
        assert_true(fit_loglog(x, y, 20, &f));
        assert_true(f.ci_low < truth[k] && truth[k] < f.ci_high);
        assert_true(f.ci_high - f.ci_low < 0.1);
        assert_true(fabs(f.slope - truth[k]) < 0.06);   /* 4 sd */
    }
    /* coverage: over 1000 replicates the 95 % interval must hold the truth 950 +- 6.9 (binomial sd) times;
     * accept 925..975 (3.6 sd).  Using the normal 1.96 instead of t_{18} = 2.10 would give ~935, using a
     * wrong se (e.g. without the n-2) would move it further. */
    int covered = 0;
    for (int r = 0; r < 1000; r++) {
        synth(&g, -1, 0.2, x, y);
        assert_true(fit_loglog(x, y, 20, &f));
        covered += f.ci_low <= -1 && -1 <= f.ci_high;
    }
    assert_in_range(covered, 925, 975);
}

static void test_refuses(void **state)
{
    (void)state;
    struct fit_line f = {.slope = 99};
    double x2[4] = {1, 1, 2, 2}, y2[4] = {1, 2, 3, 4};
    assert_false(fit_loglog(x2, y2, 4, &f));              /* 2 distinct x */
    double x3[3] = {1, 2, 4}, yneg[3] = {1, 0, 3}, ynan[3] = {1, NAN, 2};
    assert_false(fit_loglog(x3, yneg, 3, &f));            /* log(0) */
    assert_false(fit_loglog(x3, ynan, 3, &f));
    double xneg[3] = {-1, 2, 4}, y3[3] = {1, 2, 3};
    assert_false(fit_loglog(xneg, y3, 3, &f));
    assert_float_equal(f.slope, 99, 0);                   /* untouched */
    assert_true(fit_loglog(x3, y3, 3, &f));               /* 3 points, 1 dof: fine */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_betai),
        cmocka_unit_test(test_t_quantile),
        cmocka_unit_test(test_recovers_exponents),
        cmocka_unit_test(test_refuses),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
