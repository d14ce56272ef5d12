/*
 * test_ir_noise.c - the white-noise normal of ir/ir_noise.c: its straight-line ln and cos agree with libm's
 * Box-Muller from the same Philox words, its moments are those of N(0, 1), and it is a pure function of
 * (seed, population, neuron, step, term) with every key word mattering.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <Random123/philox.h>
#include <math.h>

#include "ir/ir.h"

/* Box-Muller with libm from the same counter layout as ir_noise_normal (ir.h). */
static double libm_normal(uint64_t seed, int pop, int64_t neuron, int64_t step, int term)
{
    philox4x32_key_t k = {{(uint32_t)seed, (uint32_t)(seed >> 32)}};
    philox4x32_ctr_t c = {{(uint32_t)step, (uint32_t)neuron, ((uint32_t)((uint64_t)step >> 32) << 16) | (uint32_t)term,
                           ((uint32_t)IR_NOISE_STREAM << 24) | (uint32_t)pop}};
    philox4x32_ctr_t w = philox4x32(c, k);
    double u1 = ((double)(w.v[0] >> 5) * 67108864.0 + (double)(w.v[1] >> 6) + 0.5) * 0x1p-53;
    double u2 = ((double)(w.v[2] >> 5) * 67108864.0 + (double)(w.v[3] >> 6) + 0.5) * 0x1p-53;
    return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}

/* The polynomial ln and cos are accurate to a few ulp (ir_noise.c), so over 200000 draws the normal differs
 * from libm's Box-Muller by less than 1e-13 relative (|z| >= 1) or absolute (|z| < 1): a wrong coefficient
 * or a wrong octant fold gives errors of 1e-3 and more. */
static void test_matches_libm(void **st)
{
    double worst = 0;
    for (int64_t i = 0; i < 200000; i++) {
        double a = ir_noise_normal(12345, 3, i, 77 + i / 1000, (int)(i % 5));
        double b = libm_normal(12345, 3, i, 77 + i / 1000, (int)(i % 5));
        double d = fabs(a - b) / fmax(1.0, fabs(b));
        worst = d > worst ? d : worst;
    }
    assert_true(worst < 1e-13);
}

/* Moments over n = 10^6 draws (neurons x steps): sd of the sample mean 1/sqrt(n) = 0.001, of the sample
 * variance sqrt(2/n) = 0.0014, of the fourth moment sqrt(96/n) = 0.0098, of the third sqrt(15/n) = 0.0039.
 * Checks at 5 sd. */
static void test_moments(void **st)
{
    double s1 = 0, s2 = 0, s3 = 0, s4 = 0;
    const int n = 1000000;
    for (int i = 0; i < n; i++) {
        double z = ir_noise_normal(1, 0, i % 1000, i / 1000, 0);
        s1 += z;
        s2 += z * z;
        s3 += z * z * z;
        s4 += z * z * z * z;
    }
    assert_true(fabs(s1 / n) < 0.005);
    assert_true(fabs(s2 / n - 1) < 0.007);
    assert_true(fabs(s3 / n) < 0.02);
    assert_true(fabs(s4 / n - 3) < 0.05);
}

/* Every key word changes the draw; the same key gives the same draw. */
static void test_keyed(void **st)
{
    double z = ir_noise_normal(7, 1, 2, 3, 4);
    assert_true(z == ir_noise_normal(7, 1, 2, 3, 4));
    assert_true(z != ir_noise_normal(8, 1, 2, 3, 4));
    assert_true(z != ir_noise_normal(7, 2, 2, 3, 4));
    assert_true(z != ir_noise_normal(7, 1, 3, 3, 4));
    assert_true(z != ir_noise_normal(7, 1, 2, 4, 4));
    assert_true(z != ir_noise_normal(7, 1, 2, 3, 5));
    assert_true(z != ir_noise_normal(7, 1, 2, 3 + (1ll << 32), 4));   /* the step's high word */
    assert_true(ir_noise_normal(7ull << 32, 1, 2, 3, 4) != ir_noise_normal(7, 1, 2, 3, 4));   /* the seed's high word */
    /* neighbouring steps of one neuron are uncorrelated: lag-one correlation over 10^5 steps, sd 0.0032 */
    double s = 0;
    for (int t = 0; t < 100000; t++)
        s += ir_noise_normal(5, 0, 9, t, 0) * ir_noise_normal(5, 0, 9, t + 1, 0);
    assert_true(fabs(s / 100000) < 0.016);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_matches_libm),
        cmocka_unit_test(test_moments),
        cmocka_unit_test(test_keyed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
