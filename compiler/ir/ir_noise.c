/*
 * ir_noise.c - the standard normal of a white-noise term (ir.h ir_noise_normal), the reference the JIT's
 * inline copy (codegen/cg_noise.c) matches operation for operation.
 *
 * Owns: the Philox counter layout of the noise stream and the uniform -> normal transform.  Must not: call
 * libm (the JIT emits no calls here, so both must compute ln and cos from the same IEEE +, -, *, / and bit
 * operations), branch on data, or keep state.
 *
 * Transform (Box & Muller, Ann. Math. Stat. 29:610, 1958): with u1, u2 independent uniforms on (0, 1),
 * sqrt(-2 ln u1) cos(2 pi u2) is standard normal.  u = ((w0 >> 5) 2^26 + (w1 >> 6) + 0.5) 2^-53 takes 53
 * bits from two 32-bit words (the res53 construction of Matsumoto & Nishimura's MT19937 reference code, with
 * a half-ulp offset so u is never 0 or 1); every step is exact and converts from 32-bit integers, which
 * vectorise.
 *   ln u:  u = 2^e m, m in [1, 2), folded to [sqrt(2)/2, sqrt(2)) (m/2, e+1 when m > sqrt 2);
 *          ln m = 2 atanh(s) = 2 s (1 + s^2/3 + s^4/5 + ... + s^20/21), s = (m - 1)/(m + 1), |s| <= 0.172,
 *          truncation error < 0.172^22/23 < 1e-18 relative; ln u = e ln 2 + ln m.
 *   cos(2 pi u2): v = |u2 - 1/2| in [0, 1/2], cos(2 pi u2) = -cos(2 pi v); for v > 1/4 use
 *          cos(2 pi v) = -cos(2 pi (1/2 - v)), so the argument x = 2 pi w lies in [0, pi/2], where the Taylor
 *          series to x^22/22! has truncation error < (pi/2)^24/24! < 1e-19.
 * Both are accurate to a few ulp, far below what a statistic of the noise can resolve; what matters for the
 * engines is that they are the same operations in the same order.
 */
#include "ir/ir.h"

#include <Random123/philox.h>
#include <math.h>
#include <string.h>

const double ir_noise_log_poly[IR_NOISE_NLOG] = {
    1.0 / 21, 1.0 / 19, 1.0 / 17, 1.0 / 15, 1.0 / 13, 1.0 / 11, 1.0 / 9, 1.0 / 7, 1.0 / 5, 1.0 / 3, 1.0,
};

/* (-1)^j / (2j)! for j = 11 down to 0 */
const double ir_noise_cos_poly[IR_NOISE_NCOS] = {
    -1.0 / 1124000727777607680000.0, /* 22! */
    1.0 / 2432902008176640000.0,     /* 20! */
    -1.0 / 6402373705728000.0,       /* 18! */
    1.0 / 20922789888000.0,          /* 16! */
    -1.0 / 87178291200.0,            /* 14! */
    1.0 / 479001600.0,               /* 12! */
    -1.0 / 3628800.0,                /* 10! */
    1.0 / 40320.0,                   /* 8! */
    -1.0 / 720.0,                    /* 6! */
    1.0 / 24.0,                      /* 4! */
    -1.0 / 2.0,                      /* 2! */
    1.0,
};

static double res53(uint32_t w0, uint32_t w1)
{
    return ((double)(int32_t)(w0 >> 5) * 67108864.0 + (double)(int32_t)(w1 >> 6) + 0.5) * 0x1p-53;
}

/* ln u for u in (0, 1), a normal double (u >= 2^-54 here). */
static double noise_log(double u)
{
    uint64_t bits;
    memcpy(&bits, &u, sizeof bits);
    double e = (double)((int32_t)(uint32_t)(bits >> 52) - 1023);
    bits = (bits & 0x000fffffffffffffull) | 0x3ff0000000000000ull;
    double m;
    memcpy(&m, &bits, sizeof m);
    int big = m > IR_NOISE_SQRT2;
    m = big ? m * 0.5 : m;
    e = big ? e + 1.0 : e;
    double s = (m - 1.0) / (m + 1.0);
    double z = s * s;
    double q = ir_noise_log_poly[0];
    for (int i = 1; i < IR_NOISE_NLOG; i++)
        q = ir_noise_log_poly[i] + z * q;
    return e * IR_NOISE_LN2 + (s + s) * q;
}

/* cos(2 pi u) for u in (0, 1). */
static double noise_cos2pi(double u)
{
    double v = u - 0.5;
    v = v < 0.0 ? -v : v;
    int flip = v > 0.25;
    double w = flip ? 0.5 - v : v;
    double x = w * IR_NOISE_TWO_PI;
    double z = x * x;
    double c = ir_noise_cos_poly[0];
    for (int i = 1; i < IR_NOISE_NCOS; i++)
        c = ir_noise_cos_poly[i] + z * c;
    return flip ? c : -c;
}

double ir_noise_normal(uint64_t seed, int pop, int64_t neuron, int64_t step, int term)
{
    philox4x32_key_t k = {{(uint32_t)seed, (uint32_t)(seed >> 32)}};
    philox4x32_ctr_t c = {{(uint32_t)step, (uint32_t)neuron,
                           ((uint32_t)((uint64_t)step >> 32) << 16) | ((uint32_t)term & 0xffffu),
                           ((uint32_t)IR_NOISE_STREAM << 24) | ((uint32_t)pop & 0xffffffu)}};
    philox4x32_ctr_t w = philox4x32(c, k);
    double u1 = res53(w.v[0], w.v[1]), u2 = res53(w.v[2], w.v[3]);
    double l = noise_log(u1);
    return sqrt(-2.0 * l) * noise_cos2pi(u2);
}
