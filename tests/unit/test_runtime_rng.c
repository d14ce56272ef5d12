/*
 * test_runtime_rng.c - Philox keyed generator (runtime/rng.h): reproducibility, independence of keys,
 * and the moments of every distribution.  Tolerances are 5 standard errors of the estimator (computed
 * from the distribution's own higher moments, stated beside each check), so a correct generator fails
 * with probability < 1e-6 per check and a biased one (e.g. a wrong Box-Muller constant) fails surely.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <math.h>
#include <string.h>

#include "runtime/rng.h"

enum { N = 1000000 };

static void test_reproducible_and_keyed(void **state)
{
    (void)state;
    struct rt_rng a, b, c, d, e;
    rt_rng_init(&a, 42, RT_STREAM(RT_STREAM_CONN, 3), 17);
    rt_rng_init(&b, 42, RT_STREAM(RT_STREAM_CONN, 3), 17);
    rt_rng_init(&c, 43, RT_STREAM(RT_STREAM_CONN, 3), 17);
    rt_rng_init(&d, 42, RT_STREAM(RT_STREAM_WEIGHT, 3), 17);
    rt_rng_init(&e, 42, RT_STREAM(RT_STREAM_CONN, 3), 18);
    int same_c = 0, same_d = 0, same_e = 0;
    for (int i = 0; i < 1000; i++) {
        uint32_t x = rt_rng_u32(&a);
        assert_int_equal(x, rt_rng_u32(&b));
        same_c += x == rt_rng_u32(&c);
        same_d += x == rt_rng_u32(&d);
        same_e += x == rt_rng_u32(&e);
    }
    /* Independent 32-bit words agree with probability 2^-32: any agreement means shared keys. */
    assert_int_equal(same_c, 0);
    assert_int_equal(same_d, 0);
    assert_int_equal(same_e, 0);
    /* Entities above 2^32 are distinct keys too (init entities pack var << 40). */
    rt_rng_init(&a, 1, RT_STREAM(RT_STREAM_INIT, 0), RT_ENTITY_INIT(0, 5));
    rt_rng_init(&b, 1, RT_STREAM(RT_STREAM_INIT, 0), RT_ENTITY_INIT(1, 5));
    assert_true(rt_rng_u32(&a) != rt_rng_u32(&b) || rt_rng_u32(&a) != rt_rng_u32(&b));
}

static void test_uniform(void **state)
{
    (void)state;
    struct rt_rng r;
    rt_rng_init(&r, 7, RT_STREAM(RT_STREAM_POISSON, 0), 0);
    double s = 0, s2 = 0, lo = 1, hi = 0;
    for (int i = 0; i < N; i++) {
        double u = rt_rng_uniform(&r);
        s += u;
        s2 += (u - 0.5) * (u - 0.5);
        lo = u < lo ? u : lo;
        hi = u > hi ? u : hi;
    }
    assert_true(lo > 0 && hi < 1);
    /* mean 1/2, sd of the mean sqrt(1/12/N) */
    assert_true(fabs(s / N - 0.5) < 5 * sqrt(1.0 / 12 / N));
    /* variance 1/12; Var[(U-1/2)^2] = 1/80 - 1/144 */
    assert_true(fabs(s2 / N - 1.0 / 12) < 5 * sqrt((1.0 / 80 - 1.0 / 144) / N));
}

static void test_below(void **state)
{
    (void)state;
    struct rt_rng r;
    rt_rng_init(&r, 7, RT_STREAM(RT_STREAM_CONN, 1), 0);
    int count[7] = {0};
    for (int i = 0; i < 700000; i++) {
        uint32_t v = rt_rng_below(&r, 7);
        assert_true(v < 7);
        count[v]++;
    }
    /* each bin Binomial(700000, 1/7): mean 100000, sd sqrt(700000 * 1/7 * 6/7) = 292.8 */
    for (int k = 0; k < 7; k++)
        assert_true(fabs(count[k] - 100000.0) < 5 * 292.8);
    assert_int_equal(rt_rng_below(&r, 1), 0);
}

static void test_normal(void **state)
{
    (void)state;
    struct rt_rng r;
    rt_rng_init(&r, 9, RT_STREAM(RT_STREAM_THIN, 2), 5);
    double s = 0, s2 = 0, s4 = 0;
    for (int i = 0; i < N; i++) {
        double z = rt_rng_normal(&r);
        s += z;
        s2 += z * z;
        s4 += z * z * z * z;
    }
    assert_true(fabs(s / N) < 5 / sqrt(N));                       /* sd of mean 1/sqrt(N) */
    assert_true(fabs(s2 / N - 1) < 5 * sqrt(2.0 / N));            /* Var z^2 = 2 */
    assert_true(fabs(s4 / N - 3) < 5 * sqrt(96.0 / N));           /* Var z^4 = 105 - 9 */
}

static void test_exponential_geometric(void **state)
{
    (void)state;
    struct rt_rng r;
    rt_rng_init(&r, 11, RT_STREAM(RT_STREAM_MOTHER, 0), 0);
    double s = 0;
    for (int i = 0; i < N; i++)
        s += rt_rng_exponential(&r);
    assert_true(fabs(s / N - 1) < 5 / sqrt(N));                   /* Exp(1): sd 1 */

    /* Geom(p) failures: mean (1-p)/p = 9, variance (1-p)/p^2 = 90 */
    double g = 0, g2 = 0;
    for (int i = 0; i < N; i++) {
        double x = (double)rt_rng_geometric(&r, 0.1);
        g += x;
        g2 += (x - 9) * (x - 9);
    }
    assert_true(fabs(g / N - 9) < 5 * sqrt(90.0 / N));
    /* sd of the sample variance ~ sqrt((mu4 - sigma^4)/N), mu4 = kurtosis sigma^4 with the geometric
     * kurtosis 9 + p^2/(1-p); sqrt(mu4/N) bounds it */
    double mu4 = (9 + 0.01 / 0.9) * 90 * 90;
    assert_true(fabs(g2 / N - 90) < 5 * sqrt(mu4 / N));
    assert_int_equal(rt_rng_geometric(&r, 1.0), 0);
    assert_true(rt_rng_geometric(&r, 0.0) > ((int64_t)1 << 61));
}

static void test_draw_callback(void **state)
{
    (void)state;
    struct rt_rng r;
    rt_rng_init(&r, 3, RT_STREAM(RT_STREAM_WEIGHT, 0), 0);
    enum { M = 200000 };
    double s = 0, s2 = 0;
    for (int i = 0; i < M; i++) {
        double x = rt_rng_draw(&r, IR_RAND_LOGNORMAL, 2.0, 0.5);
        assert_true(x > 0);
        s += x;
        s2 += x * x;
    }
    double mean = s / M, sd = sqrt(s2 / M - mean * mean);
    assert_true(fabs(mean - 2.0) < 5 * 0.5 / sqrt(M));
    /* relative sd of the sample sd ~ sqrt((kurtosis - 1)/M)/2 = 0.002 for this lognormal (kurtosis 4.06):
     * 5 of those is 1 % */
    assert_true(fabs(sd - 0.5) < 0.01 * 0.5);

    s = 0;
    for (int i = 0; i < M; i++) {
        double x = rt_rng_draw(&r, IR_RAND_UNIFORM, -70, -50);
        assert_true(x > -70 && x < -50);
        s += x;
    }
    assert_true(fabs(s / M + 60) < 5 * 20 / sqrt(12.0 * M));
    s = 0;
    for (int i = 0; i < M; i++)
        s += rt_rng_draw(&r, IR_RAND_EXPONENTIAL, 3.0, 0);
    assert_true(fabs(s / M - 3) < 5 * 3 / sqrt(M));
    s = 0;
    for (int i = 0; i < M; i++)
        s += rt_rng_draw(&r, IR_RAND_NORMAL, 10, 2);
    assert_true(fabs(s / M - 10) < 5 * 2 / sqrt(M));
    assert_true(isnan(rt_rng_draw(&r, IR_ADD, 1, 2)));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reproducible_and_keyed), cmocka_unit_test(test_uniform),
        cmocka_unit_test(test_below),                  cmocka_unit_test(test_normal),
        cmocka_unit_test(test_exponential_geometric),  cmocka_unit_test(test_draw_callback),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
