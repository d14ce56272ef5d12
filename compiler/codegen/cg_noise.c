/*
 * cg_noise.c - the white-noise draw of kernel step 1 (ir.h), inline: Philox4x32-10 and the Box-Muller
 * transform of ir/ir_noise.c, operation for operation, so the JIT's numbers equal the interpreter's bit for
 * bit.  Everything is 32-bit integer multiplies, shifts, xors, conversions from 32-bit integers and IEEE
 * double arithmetic with selects: no call and no branch, so the kernel loop still vectorises (Philox is
 * counter-based: neuron i's block needs nothing from neuron i-1's).
 *
 * Owns: that correspondence.  Must not: reorder the floating-point operations of ir_noise.c.
 */
#include "codegen/cg_internal.h"

#include <Random123/philox.h>

#define I32(v) LLVMConstInt(i32, (unsigned long long)(uint32_t)(v), false)
#define F(v) LLVMConstReal(em->f64, (v))

/* (hi, lo) of the 64-bit product of two 32-bit words. */
static void mulhilo(struct cg_emitter *em, uint32_t m, LLVMValueRef x, LLVMValueRef *hi, LLVMValueRef *lo)
{
    LLVMBuilderRef B = em->b;
    LLVMTypeRef i32 = LLVMInt32TypeInContext(em->ctx);
    LLVMValueRef p = LLVMBuildMul(B, LLVMBuildZExt(B, x, em->i64, ""), LLVMConstInt(em->i64, m, false), "");
    *hi = LLVMBuildTrunc(B, LLVMBuildLShr(B, p, LLVMConstInt(em->i64, 32, false), ""), i32, "");
    *lo = LLVMBuildTrunc(B, p, i32, "");
}

/* ((w0 >> 5) 2^26 + (w1 >> 6) + 0.5) 2^-53 */
static LLVMValueRef res53(struct cg_emitter *em, LLVMValueRef w0, LLVMValueRef w1)
{
    LLVMBuilderRef B = em->b;
    LLVMTypeRef i32 = LLVMInt32TypeInContext(em->ctx);
    LLVMValueRef a = LLVMBuildSIToFP(B, LLVMBuildLShr(B, w0, I32(5), ""), em->f64, "");
    LLVMValueRef b = LLVMBuildSIToFP(B, LLVMBuildLShr(B, w1, I32(6), ""), em->f64, "");
    LLVMValueRef t = LLVMBuildFAdd(B, LLVMBuildFMul(B, a, F(67108864.0), ""), b, "");
    return LLVMBuildFMul(B, LLVMBuildFAdd(B, t, F(0.5), ""), F(0x1p-53), "");
}

static LLVMValueRef horner(struct cg_emitter *em, const double *c, int n, LLVMValueRef z)
{
    LLVMValueRef q = F(c[0]);
    for (int i = 1; i < n; i++)
        q = LLVMBuildFAdd(em->b, F(c[i]), LLVMBuildFMul(em->b, z, q, ""), "");
    return q;
}

/* ir_noise.c noise_log */
static LLVMValueRef emit_log(struct cg_emitter *em, LLVMValueRef u)
{
    LLVMBuilderRef B = em->b;
    LLVMTypeRef i32 = LLVMInt32TypeInContext(em->ctx);
    LLVMValueRef bits = LLVMBuildBitCast(B, u, em->i64, "");
    LLVMValueRef ex = LLVMBuildTrunc(B, LLVMBuildLShr(B, bits, LLVMConstInt(em->i64, 52, false), ""), i32, "");
    LLVMValueRef e = LLVMBuildSIToFP(B, LLVMBuildSub(B, ex, I32(1023), ""), em->f64, "");
    LLVMValueRef mb = LLVMBuildOr(B, LLVMBuildAnd(B, bits, LLVMConstInt(em->i64, 0x000fffffffffffffull, false), ""),
                                  LLVMConstInt(em->i64, 0x3ff0000000000000ull, false), "");
    LLVMValueRef m = LLVMBuildBitCast(B, mb, em->f64, "");
    LLVMValueRef big = LLVMBuildFCmp(B, LLVMRealOGT, m, F(IR_NOISE_SQRT2), "");
    m = LLVMBuildSelect(B, big, LLVMBuildFMul(B, m, F(0.5), ""), m, "");
    e = LLVMBuildSelect(B, big, LLVMBuildFAdd(B, e, F(1.0), ""), e, "");
    LLVMValueRef s = LLVMBuildFDiv(B, LLVMBuildFSub(B, m, F(1.0), ""), LLVMBuildFAdd(B, m, F(1.0), ""), "");
    LLVMValueRef q = horner(em, ir_noise_log_poly, IR_NOISE_NLOG, LLVMBuildFMul(B, s, s, ""));
    return LLVMBuildFAdd(B, LLVMBuildFMul(B, e, F(IR_NOISE_LN2), ""),
                         LLVMBuildFMul(B, LLVMBuildFAdd(B, s, s, ""), q, ""), "");
}

/* ir_noise.c noise_cos2pi */
static LLVMValueRef emit_cos2pi(struct cg_emitter *em, LLVMValueRef u)
{
    LLVMBuilderRef B = em->b;
    LLVMValueRef v = LLVMBuildFSub(B, u, F(0.5), "");
    v = LLVMBuildSelect(B, LLVMBuildFCmp(B, LLVMRealOLT, v, F(0.0), ""), LLVMBuildFNeg(B, v, ""), v, "");
    LLVMValueRef flip = LLVMBuildFCmp(B, LLVMRealOGT, v, F(0.25), "");
    LLVMValueRef w = LLVMBuildSelect(B, flip, LLVMBuildFSub(B, F(0.5), v, ""), v, "");
    LLVMValueRef x = LLVMBuildFMul(B, w, F(IR_NOISE_TWO_PI), "");
    LLVMValueRef c = horner(em, ir_noise_cos_poly, IR_NOISE_NCOS, LLVMBuildFMul(B, x, x, ""));
    return LLVMBuildSelect(B, flip, c, LLVMBuildFNeg(B, c, ""), "");
}

LLVMValueRef cg_emit_noise(struct cg_emitter *em, const struct cg_noise_key *key, LLVMValueRef neuron, int pop,
                           int term)
{
    LLVMBuilderRef B = em->b;
    LLVMTypeRef i32 = LLVMInt32TypeInContext(em->ctx);
    /* counter (step lo, neuron, step hi << 16 | term, stream << 24 | pop), key (seed lo, seed hi) */
    LLVMValueRef c[4] = {key->step_lo, LLVMBuildTrunc(B, neuron, i32, ""),
                         LLVMBuildOr(B, key->step_hi16, I32((uint32_t)term & 0xffffu), ""),
                         I32(((uint32_t)IR_NOISE_STREAM << 24) | ((uint32_t)pop & 0xffffffu))};
    LLVMValueRef k0 = key->k0, k1 = key->k1;
    for (int r = 0; r < 10; r++) {
        if (r > 0) {   /* bump the key: the Weyl constants of philox.h */
            k0 = LLVMBuildAdd(B, k0, I32(PHILOX_W32_0), "");
            k1 = LLVMBuildAdd(B, k1, I32(PHILOX_W32_1), "");
        }
        LLVMValueRef hi0, lo0, hi1, lo1;
        mulhilo(em, PHILOX_M4x32_0, c[0], &hi0, &lo0);
        mulhilo(em, PHILOX_M4x32_1, c[2], &hi1, &lo1);
        LLVMValueRef n0 = LLVMBuildXor(B, LLVMBuildXor(B, hi1, c[1], ""), k0, "");
        LLVMValueRef n2 = LLVMBuildXor(B, LLVMBuildXor(B, hi0, c[3], ""), k1, "");
        c[0] = n0;
        c[1] = lo1;
        c[2] = n2;
        c[3] = lo0;
    }
    LLVMValueRef u1 = res53(em, c[0], c[1]), u2 = res53(em, c[2], c[3]);
    LLVMValueRef l = emit_log(em, u1);
    LLVMValueRef rad = LLVMBuildFMul(B, F(-2.0), l, "");
    rad = cg_intrinsic(em, "llvm.sqrt", &rad, 1);
    return LLVMBuildFMul(B, rad, emit_cos2pi(em, u2), "");
}
