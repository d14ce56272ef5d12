/*
 * ir_exp.c - the one exp of both engines: ir_eval calls ir_exp, and the code generator emits the same
 * algorithm as LLVM instructions (cg_expr.c, emit_exp), operation for operation.
 *
 * Owns: the algorithm and its constants (ir_exp_poly and the IR_EXP_* macros of ir.h, which the code
 * generator reads so the two copies cannot drift apart).  Must not: call libm, use fma (the build has
 * -ffp-contract=off and this file must stay a sequence of single IEEE +, -, *, so that the JIT, which
 * performs the same sequence, gets the same bits), or branch in a way the emitted copy does not mirror.
 *
 * Why not libm's exp: a call is opaque to LLVM, so the EIF kernel loop, whose spike current is
 * exp((V - V_T)/Delta_T), could not vectorise around it.  This version is straight-line code:
 * compares + selects, float and 64-bit integer arithmetic, bit casts.
 *
 * Method (Cody & Waite, "Software Manual for the Elementary Functions", 1980, ch. 6; the same reduction as
 * fdlibm's e_exp.c, whose split of ln 2 is used):
 *   1. Clamp x to [-746, 710] (NaN goes to -746 and is restored at the end).  Beyond these bounds exp
 *      overflows to +inf or underflows to +0 anyway, and the clamp keeps k inside the range of step 4.
 *   2. k = round(x / ln2) with the shifter trick: t = x * (1/ln2) + 1.5*2^52 rounds to an integer in its
 *      last bits (no call, no conversion instruction); k = t - 1.5*2^52, and the integer k is
 *      bits(t) - bits(1.5*2^52).  k can be off by one from the nearest integer when x/ln2 is within
 *      an ulp of a half-integer; then |r| exceeds ln2/2 by ~1e-16, which the polynomial still covers.
 *   3. x = k ln2 + r with ln2 = LN2_HI + LN2_LO: LN2_HI has 32 significant bits, so k * LN2_HI is exact for
 *      |k| <= 1076 and hi = x - k * LN2_HI is exact (Sterbenz); lo = k * LN2_LO; r = hi - lo, |r| <= 0.3466.
 *   4. exp(r) = 1 + r + r^2/2 + r^3 C(r), C the Taylor series sum_{n=3..14} r^(n-3)/n! by Horner's scheme
 *      (truncation r^15/15! < 1e-19, 0.001 ulp, on |r| <= ln2/2; degree 13 left 0.04 ulp at r = -ln2/2).
 *      Summed naively, the roundings of the r^2/2 ~ 0.06 term and of r itself cost up to 0.25 ulp
 *      (measured max 0.75 ulp).  So the leading terms are kept exact: hi is split (Veltkamp 1968,
 *      Dekker 1971) into hh + hl with 26 bits each, so hh^2/2 is exact; 1 + hi and then + hh^2/2 are
 *      summed by Fast2Sum (Dekker 1971; exact since each addend is smaller than the running sum) into
 *      v + e1 + e2; everything else is small (<= 0.008) and
 *      its roundings are worth < 0.05 ulp:  exp(r) = v + ((e1 + e2) + small), with
 *      small = hh hl + hl^2/2 - lo (1 + (hi + r)/2) + r^3 C(r)   (r^2/2 = hi^2/2 - hi lo + lo^2/2).
 *      The final addition is the one sizeable rounding (0.5 ulp).  Measured: max 0.53 ulp against expl for
 *      normal results, 0.75 ulp for subnormal ones (x < -708.40: step 5 rounds p a second time; see
 *      tests/unit/test_ir_exp.c and docs/performance.md "Vectorised exp").
 *   5. Scale by 2^k as (p * 2^k1) * 2^k2, k1 = k / 2 (truncating), k2 = k - k1, each factor built from its
 *      exponent bits.  For k in [-1076, 1024] both factors are normal and p * 2^k1 is exact, so the
 *      product rounds once: gradual underflow to subnormals and overflow to +inf for x > 709.78 come out
 *      of the final multiplication (no separate threshold selects).  For a subnormal result that rounding
 *      follows p's own (a double rounding), hence the 0.75 ulp there; not worth more instructions in a
 *      kernel that never sees exp(x) < 2^-1022.
 *   6. NaN: x + x (a quiet NaN with x's payload, as glibc returns).
 */
#include "ir/ir.h"

#include <stdint.h>
#include <string.h>

/* 1/n! for n = 14 down to 3, Horner order.  n! is exact in a double for n <= 22, so each quotient is the
 * correctly rounded 1/n!. */
const double ir_exp_poly[IR_EXP_NPOLY] = {
    1.0 / 87178291200.0, 1.0 / 6227020800.0, 1.0 / 479001600.0, 1.0 / 39916800.0,
    1.0 / 3628800.0,     1.0 / 362880.0,     1.0 / 40320.0,     1.0 / 5040.0,
    1.0 / 720.0,         1.0 / 120.0,        1.0 / 24.0,        1.0 / 6.0,
};

static uint64_t bits_of(double x)
{
    uint64_t u;
    memcpy(&u, &x, sizeof u);
    return u;
}

static double double_of(uint64_t u)
{
    double x;
    memcpy(&x, &u, sizeof x);
    return x;
}

double ir_exp(double x)
{
    /* 1. clamp; the comparisons are the ones cg_expr.c emits (ogt, then oge so that NaN -> low bound) */
    double xc = x > IR_EXP_X_MAX ? IR_EXP_X_MAX : x;
    xc = xc >= IR_EXP_X_MIN ? xc : IR_EXP_X_MIN;
    /* 2. k = round(x / ln2) */
    double t = xc * IR_EXP_INV_LN2 + IR_EXP_SHIFTER;
    double kd = t - IR_EXP_SHIFTER;
    int64_t k = (int64_t)(bits_of(t) - bits_of(IR_EXP_SHIFTER));
    /* 3. Cody-Waite reduction */
    double hi = xc - kd * IR_EXP_LN2_HI;
    double lo = kd * IR_EXP_LN2_LO;
    double r = hi - lo;
    /* 4. exp(r) = [1 + hi + hh^2/2] + [hh hl + hl^2/2 - lo (1 + (hi + r)/2) + r^3 C(r)]
     * (r^2/2 = hi^2/2 - hi lo + lo^2/2 and hi = hh + hl), C(r) = sum_{n>=3} r^(n-3)/n! */
    double c = hi * IR_EXP_SPLIT;
    double hh = c - (c - hi);
    double hl = hi - hh;
    double q = ir_exp_poly[0];
    for (int i = 1; i < IR_EXP_NPOLY; i++)
        q = ir_exp_poly[i] + r * q;
    double small = (hh * hl + (hl * hl) * 0.5) - lo * (1.0 + (hi + r) * 0.5) + r * r * r * q;
    double h2 = (hh * hh) * 0.5;
    double u = 1.0 + hi;
    double e1 = (1.0 - u) + hi;
    double v = u + h2;
    double e2 = (u - v) + h2;
    double p = v + ((e1 + e2) + small);
    /* 5. scale by 2^k = 2^k1 * 2^k2 */
    int64_t k1 = k / 2;
    int64_t k2 = k - k1;
    double s1 = double_of((uint64_t)(k1 + 1023) << 52);
    double s2 = double_of((uint64_t)(k2 + 1023) << 52);
    double y = p * s1 * s2;
    /* 6. NaN */
    return x != x ? x + x : y;
}

/*
 * ir_expf: the exp of single-precision kernels (`precision = single`, ir.h), the same method in float
 * arithmetic so that a vector of floats holds twice the lanes of doubles.  cg_expr.c emits it operation
 * for operation (emit_expf).
 *   1. Clamp x to [-104, 89]: expf overflows to +inf above 88.73 and underflows to +0 below -103.98.
 *   2. k = round(x / ln2) by the shifter 1.5 * 2^23 (|x / ln2| <= 151, so t stays in [2^23, 2^24), where
 *      the float spacing is 1).
 *   3. Cody-Waite with IR_EXPF_LN2_HI = 0x1.62e4p-1, 15 significant bits (fdlibm's e_expf.c ln2HI):
 *      k * LN2_HI is exact for |k| <= 151 (8 bits), so hi = x - k LN2_HI is exact; r = hi - k LN2_LO.
 *   4. exp(r) = 1 + (r + r^2 P(r)), P the Taylor series 1/2! + r/3! + ... + r^6/8! by Horner's scheme
 *      (truncation r^9/9! < 3e-10 on |r| <= 0.35, 0.005 ulp).  The rounding of r + r^2 P costs at most
 *      1/4 ulp of the result and the final addition 1/2 ulp.
 *   5. Scale by 2^k as (p * 2^k1) * 2^k2, k1 = k / 2: both factors normal floats for k in [-151, 129].
 *   6. NaN: x + x.
 * Measured against exp in double rounded to float: max 0.94 ulp for normal results (tests/unit/test_ir_exp.c).
 */
const float ir_expf_poly[IR_EXPF_NPOLY] = {
    1.0f / 40320.0f, 1.0f / 5040.0f, 1.0f / 720.0f, 1.0f / 120.0f, 1.0f / 24.0f, 1.0f / 6.0f, 1.0f / 2.0f,
};

static uint32_t bits_of_float(float x)
{
    uint32_t u;
    memcpy(&u, &x, sizeof u);
    return u;
}

static float float_of(uint32_t u)
{
    float x;
    memcpy(&x, &u, sizeof x);
    return x;
}

float ir_expf(float x)
{
    float xc = x > IR_EXPF_X_MAX ? IR_EXPF_X_MAX : x;
    xc = xc >= IR_EXPF_X_MIN ? xc : IR_EXPF_X_MIN;
    float t = xc * IR_EXPF_INV_LN2 + IR_EXPF_SHIFTER;
    float kd = t - IR_EXPF_SHIFTER;
    int32_t k = (int32_t)(bits_of_float(t) - bits_of_float(IR_EXPF_SHIFTER));
    float hi = xc - kd * IR_EXPF_LN2_HI;
    float lo = kd * IR_EXPF_LN2_LO;
    float r = hi - lo;
    float q = ir_expf_poly[0];
    for (int i = 1; i < IR_EXPF_NPOLY; i++)
        q = ir_expf_poly[i] + r * q;
    float p = 1.0f + (r + (r * r) * q);
    int32_t k1 = k / 2;
    int32_t k2 = k - k1;
    float s1 = float_of((uint32_t)(k1 + 127) << 23);
    float s2 = float_of((uint32_t)(k2 + 127) << 23);
    float y = p * s1 * s2;
    return x != x ? x + x : y;
}
