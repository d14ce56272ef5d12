/*
 * cg_expr.c - IR expression -> LLVM instructions, node by node, mirroring ir_eval (ir/ir.c).
 *
 * Owns: the correspondence between IR operations and IEEE instructions that the bit-identity contract
 * rests on.  Must not: add fast-math flags, reassociate, or emit branches (kernels must stay branch-free
 * so LLVM can vectorise them; SELECT evaluates both arms, as ir_eval does).
 */
#include "codegen/cg_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

LLVMValueRef cg_intrinsic(struct cg_emitter *em, const char *name, LLVMValueRef *args, unsigned n)
{
    unsigned id = LLVMLookupIntrinsicID(name, strlen(name));
    LLVMTypeRef over[1] = {LLVMTypeOf(args[0])};
    LLVMValueRef fn = LLVMGetIntrinsicDeclaration(em->mod, id, over, 1);
    LLVMTypeRef ty = LLVMIntrinsicGetType(em->ctx, id, over, 1);
    return LLVMBuildCall2(em->b, ty, fn, args, n, "");
}

/* Declares "balnet.<name>" (see CG_LIBM in cg_llvm.h) as a pure function: memory(none), nounwind,
 * willreturn, so LLVM may hoist or merge identical calls (which cannot change a value) but knows nothing
 * else about it. */
static LLVMValueRef libm_call(struct cg_emitter *em, enum cg_libm_fn f, LLVMValueRef *args, unsigned n)
{
    static const char *const names[CG_LIBM_COUNT] = {
#define X(name, arity) CG_LIBM_PREFIX #name,
        CG_LIBM(X)
#undef X
    };
    if (!em->libm[f]) {
        LLVMTypeRef params[2] = {em->f64, em->f64};
        em->libm_ty[f] = LLVMFunctionType(em->f64, params, n, false);
        em->libm[f] = LLVMAddFunction(em->mod, names[f], em->libm_ty[f]);
        static const char *const attrs[] = {"nounwind", "willreturn", "nosync", "nofree"};
        for (size_t i = 0; i < sizeof attrs / sizeof attrs[0]; i++) {
            unsigned kind = LLVMGetEnumAttributeKindForName(attrs[i], strlen(attrs[i]));
            LLVMAddAttributeAtIndex(em->libm[f], LLVMAttributeFunctionIndex, LLVMCreateEnumAttribute(em->ctx, kind, 0));
        }
        /* memory(none): the MemoryEffects encoding of "no memory access" is 0. */
        unsigned mem = LLVMGetEnumAttributeKindForName("memory", 6);
        LLVMAddAttributeAtIndex(em->libm[f], LLVMAttributeFunctionIndex, LLVMCreateEnumAttribute(em->ctx, mem, 0));
    }
    return LLVMBuildCall2(em->b, em->libm_ty[f], em->libm[f], args, n, "");
}

/* C's (double)(bool) (or (float)(bool) in a single-precision kernel): 1.0 or 0.0. */
static LLVMValueRef truth(struct cg_emitter *em, LLVMValueRef bit)
{
    return LLVMBuildUIToFP(em->b, bit, em->fp, "");
}

/* C's `x != 0`: unordered-or-not-equal, so NaN counts as true, as in ir_eval. */
static LLVMValueRef nonzero(struct cg_emitter *em, LLVMValueRef x)
{
    return LLVMBuildFCmp(em->b, LLVMRealUNE, x, LLVMConstReal(em->fp, 0.0), "");
}

LLVMValueRef cg_const(struct cg_emitter *em, double v)
{
    /* (double)(float)v first: LLVMConstReal's own conversion is not documented to round to nearest. */
    return LLVMConstReal(em->fp, em->fp == em->f32 ? (double)(float)v : v);
}

/*
 * ir_fmin/ir_fmax (ir.c): (a < b || b != b) ? a : b.  Not llvm.minnum: it has fmin's NaN rule but may
 * return either zero on +0 vs -0, and the interpreter's result must be matched bit for bit (the engines
 * test compares every pair of special values).  Compares and a select vectorise just as well.
 */
LLVMValueRef cg_fminmax(struct cg_emitter *em, LLVMValueRef a, LLVMValueRef b, bool max)
{
    LLVMValueRef pick_a = LLVMBuildFCmp(em->b, max ? LLVMRealOGT : LLVMRealOLT, a, b, "");
    LLVMValueRef b_nan = LLVMBuildFCmp(em->b, LLVMRealUNO, b, b, "");
    return LLVMBuildSelect(em->b, LLVMBuildOr(em->b, pick_a, b_nan, ""), a, b, "");
}

/*
 * IR_EXP: ir_exp (ir/ir_exp.c) instruction for instruction, from the same constants, so the bits agree
 * with the interpreter.  No call and no branch (the clamps and the NaN case are selects), so the kernel
 * loop vectorises around it; the integer steps are i64 add/sub/sdiv/shl and bit casts.
 */
static LLVMValueRef emit_exp(struct cg_emitter *em, LLVMValueRef x)
{
    LLVMBuilderRef B = em->b;
#define F(v) LLVMConstReal(em->f64, (v))
#define I(v) LLVMConstInt(em->i64, (unsigned long long)(v), true)
    /* 1. clamp: x > MAX ? MAX : x, then xc >= MIN ? xc : MIN (NaN -> MIN) */
    LLVMValueRef xc = LLVMBuildSelect(B, LLVMBuildFCmp(B, LLVMRealOGT, x, F(IR_EXP_X_MAX), ""), F(IR_EXP_X_MAX), x, "");
    xc = LLVMBuildSelect(B, LLVMBuildFCmp(B, LLVMRealOGE, xc, F(IR_EXP_X_MIN), ""), xc, F(IR_EXP_X_MIN), "");
    /* 2. k = round(x / ln2) by the shifter */
    LLVMValueRef t = LLVMBuildFAdd(B, LLVMBuildFMul(B, xc, F(IR_EXP_INV_LN2), ""), F(IR_EXP_SHIFTER), "");
    LLVMValueRef kd = LLVMBuildFSub(B, t, F(IR_EXP_SHIFTER), "");
    double shifter = IR_EXP_SHIFTER;
    uint64_t shifter_bits;
    memcpy(&shifter_bits, &shifter, sizeof shifter_bits);
    LLVMValueRef k = LLVMBuildSub(B, LLVMBuildBitCast(B, t, em->i64, ""), I(shifter_bits), "");
    /* 3. Cody-Waite reduction */
    LLVMValueRef hi = LLVMBuildFSub(B, xc, LLVMBuildFMul(B, kd, F(IR_EXP_LN2_HI), ""), "");
    LLVMValueRef lo = LLVMBuildFMul(B, kd, F(IR_EXP_LN2_LO), "");
    LLVMValueRef r = LLVMBuildFSub(B, hi, lo, "");
    /* 4. exp(r) = v + ((e1 + e2) + small), v + e1 + e2 = 1 + hi + hh*hh/2 exactly (Veltkamp, Fast2Sum) */
    LLVMValueRef c = LLVMBuildFMul(B, hi, F(IR_EXP_SPLIT), "");
    LLVMValueRef hh = LLVMBuildFSub(B, c, LLVMBuildFSub(B, c, hi, ""), "");
    LLVMValueRef hl = LLVMBuildFSub(B, hi, hh, "");
    LLVMValueRef q = F(ir_exp_poly[0]);
    for (int i = 1; i < IR_EXP_NPOLY; i++)
        q = LLVMBuildFAdd(B, F(ir_exp_poly[i]), LLVMBuildFMul(B, r, q, ""), "");
    /* small = ((hh*hl + (hl*hl)*0.5) - lo*(1 + (hi + r)*0.5)) + ((r*r)*r)*q */
    LLVMValueRef sq = LLVMBuildFAdd(B, LLVMBuildFMul(B, hh, hl, ""),
                                    LLVMBuildFMul(B, LLVMBuildFMul(B, hl, hl, ""), F(0.5), ""), "");
    LLVMValueRef half_sum = LLVMBuildFMul(B, LLVMBuildFAdd(B, hi, r, ""), F(0.5), "");
    LLVMValueRef lt = LLVMBuildFMul(B, lo, LLVMBuildFAdd(B, F(1.0), half_sum, ""), "");
    LLVMValueRef r3 = LLVMBuildFMul(B, LLVMBuildFMul(B, r, r, ""), r, "");
    LLVMValueRef small = LLVMBuildFAdd(B, LLVMBuildFSub(B, sq, lt, ""), LLVMBuildFMul(B, r3, q, ""), "");
    LLVMValueRef h2 = LLVMBuildFMul(B, LLVMBuildFMul(B, hh, hh, ""), F(0.5), "");
    LLVMValueRef u = LLVMBuildFAdd(B, F(1.0), hi, "");
    LLVMValueRef e1 = LLVMBuildFAdd(B, LLVMBuildFSub(B, F(1.0), u, ""), hi, "");
    LLVMValueRef v = LLVMBuildFAdd(B, u, h2, "");
    LLVMValueRef e2 = LLVMBuildFAdd(B, LLVMBuildFSub(B, u, v, ""), h2, "");
    LLVMValueRef p = LLVMBuildFAdd(B, v, LLVMBuildFAdd(B, LLVMBuildFAdd(B, e1, e2, ""), small, ""), "");
    /* 5. (p * 2^k1) * 2^k2 */
    LLVMValueRef k1 = LLVMBuildSDiv(B, k, I(2), "");
    LLVMValueRef k2 = LLVMBuildSub(B, k, k1, "");
    LLVMValueRef s1 = LLVMBuildBitCast(B, LLVMBuildShl(B, LLVMBuildAdd(B, k1, I(1023), ""), I(52), ""), em->f64, "");
    LLVMValueRef s2 = LLVMBuildBitCast(B, LLVMBuildShl(B, LLVMBuildAdd(B, k2, I(1023), ""), I(52), ""), em->f64, "");
    LLVMValueRef y = LLVMBuildFMul(B, LLVMBuildFMul(B, p, s1, ""), s2, "");
    /* 6. NaN: x + x */
    LLVMValueRef nan = LLVMBuildFCmp(B, LLVMRealUNO, x, x, "");
    return LLVMBuildSelect(B, nan, LLVMBuildFAdd(B, x, x, ""), y, "");
#undef F
#undef I
}

/* IR_EXP in a single-precision kernel: ir_expf (ir/ir_exp.c) instruction for instruction, in float and i32. */
static LLVMValueRef emit_expf(struct cg_emitter *em, LLVMValueRef x)
{
    LLVMBuilderRef B = em->b;
    LLVMTypeRef i32 = LLVMInt32TypeInContext(em->ctx);
#define F(v) LLVMConstReal(em->f32, (double)(v))
#define I(v) LLVMConstInt(i32, (unsigned long long)(v), true)
    LLVMValueRef xc = LLVMBuildSelect(B, LLVMBuildFCmp(B, LLVMRealOGT, x, F(IR_EXPF_X_MAX), ""), F(IR_EXPF_X_MAX), x, "");
    xc = LLVMBuildSelect(B, LLVMBuildFCmp(B, LLVMRealOGE, xc, F(IR_EXPF_X_MIN), ""), xc, F(IR_EXPF_X_MIN), "");
    LLVMValueRef t = LLVMBuildFAdd(B, LLVMBuildFMul(B, xc, F(IR_EXPF_INV_LN2), ""), F(IR_EXPF_SHIFTER), "");
    LLVMValueRef kd = LLVMBuildFSub(B, t, F(IR_EXPF_SHIFTER), "");
    float shifter = IR_EXPF_SHIFTER;
    uint32_t shifter_bits;
    memcpy(&shifter_bits, &shifter, sizeof shifter_bits);
    LLVMValueRef k = LLVMBuildSub(B, LLVMBuildBitCast(B, t, i32, ""), I(shifter_bits), "");
    LLVMValueRef hi = LLVMBuildFSub(B, xc, LLVMBuildFMul(B, kd, F(IR_EXPF_LN2_HI), ""), "");
    LLVMValueRef lo = LLVMBuildFMul(B, kd, F(IR_EXPF_LN2_LO), "");
    LLVMValueRef r = LLVMBuildFSub(B, hi, lo, "");
    LLVMValueRef q = F(ir_expf_poly[0]);
    for (int i = 1; i < IR_EXPF_NPOLY; i++)
        q = LLVMBuildFAdd(B, F(ir_expf_poly[i]), LLVMBuildFMul(B, r, q, ""), "");
    LLVMValueRef r2q = LLVMBuildFMul(B, LLVMBuildFMul(B, r, r, ""), q, "");
    LLVMValueRef p = LLVMBuildFAdd(B, F(1.0f), LLVMBuildFAdd(B, r, r2q, ""), "");
    LLVMValueRef k1 = LLVMBuildSDiv(B, k, I(2), "");
    LLVMValueRef k2 = LLVMBuildSub(B, k, k1, "");
    LLVMValueRef s1 = LLVMBuildBitCast(B, LLVMBuildShl(B, LLVMBuildAdd(B, k1, I(127), ""), I(23), ""), em->f32, "");
    LLVMValueRef s2 = LLVMBuildBitCast(B, LLVMBuildShl(B, LLVMBuildAdd(B, k2, I(127), ""), I(23), ""), em->f32, "");
    LLVMValueRef y = LLVMBuildFMul(B, LLVMBuildFMul(B, p, s1, ""), s2, "");
    LLVMValueRef nan = LLVMBuildFCmp(B, LLVMRealUNO, x, x, "");
    return LLVMBuildSelect(B, nan, LLVMBuildFAdd(B, x, x, ""), y, "");
#undef F
#undef I
}

static LLVMValueRef emit_op(struct cg_emitter *em, const struct ir_expr *e, LLVMValueRef a, LLVMValueRef b,
                            LLVMValueRef c);

LLVMValueRef cg_emit_expr(struct cg_emitter *em, const struct ir_expr *e, LLVMValueRef *vals)
{
    switch (e->op) {
    case IR_CONST:
        return cg_const(em, e->value);
    case IR_VAR:
        /* Lowering guarantees the index; checked anyway because a bad one would be a wild load in the
         * generated code rather than a message. */
        if (em->pop && (e->index < 0 || e->index >= em->pop->nvars)) {
            diag_error(em->d, em->pop->span, "internal: population '%s' reads variable %d of %d",
                       em->pop->name ? em->pop->name : "?", e->index, em->pop->nvars);
            return NULL;
        }
        return vals[e->index];
    case IR_RAND_UNIFORM:
    case IR_RAND_NORMAL:
    case IR_RAND_LOGNORMAL:
    case IR_RAND_EXPONENTIAL:
        diag_error(em->d, em->pop ? em->pop->span : SPAN_NONE,
                   "random draw '%s' inside the update kernel of population '%s' (draws are allowed only in "
                   "initial values, weights and delays)", ir_op_name[e->op], em->pop && em->pop->name ? em->pop->name : "?");
        return NULL;
    default:
        break;
    }
    /* Operands in the order a, b, c, as ir_eval evaluates them. */
    int arity = ir_op_arity[e->op];
    LLVMValueRef a = NULL, b = NULL, c = NULL;
    if (arity >= 1 && !(a = cg_emit_expr(em, e->a, vals)))
        return NULL;
    if (arity >= 2 && !(b = cg_emit_expr(em, e->b, vals)))
        return NULL;
    if (arity >= 3 && !(c = cg_emit_expr(em, e->c, vals)))
        return NULL;
    if (em->fp == em->f64 || !ir_op_single_in_double(e->op))
        return emit_op(em, e, a, b, c);
    /* a single-precision kernel's pow, expm1, log, tanh, sin, cos, timed(): in double, rounded (ir_evalf) */
    a = LLVMBuildFPExt(em->b, a, em->f64, "");
    if (b)
        b = LLVMBuildFPExt(em->b, b, em->f64, "");
    em->fp = em->f64;
    LLVMValueRef r = emit_op(em, e, a, b, NULL);
    em->fp = em->f32;
    return r ? LLVMBuildFPTrunc(em->b, r, em->f32, "") : NULL;
}

/* One operation of ir_eval (em->fp double) or ir_evalf (em->fp float) on its evaluated operands. */
static LLVMValueRef emit_op(struct cg_emitter *em, const struct ir_expr *e, LLVMValueRef a, LLVMValueRef b,
                            LLVMValueRef c)
{
    LLVMBuilderRef B = em->b;
    LLVMValueRef args[2] = {a, b};
    switch (e->op) {
    case IR_NEG: return LLVMBuildFNeg(B, a, "");
    case IR_ADD: return LLVMBuildFAdd(B, a, b, "");
    case IR_SUB: return LLVMBuildFSub(B, a, b, "");
    case IR_MUL: return LLVMBuildFMul(B, a, b, "");
    case IR_DIV: {
        float r;   /* single precision: x * (1/c) for a constant c, as ir_evalf (ir.h) */
        if (em->fp == em->f32 && ir_single_recip(e->b, &r))
            return LLVMBuildFMul(B, a, LLVMConstReal(em->f32, (double)r), "");
        return LLVMBuildFDiv(B, a, b, "");
    }
    case IR_POW: return libm_call(em, CG_LIBM_pow, args, 2);
    case IR_MIN: return cg_fminmax(em, a, b, false);
    case IR_MAX: return cg_fminmax(em, a, b, true);
    /* Ordered predicates for < <= > >= ==, unordered for != : exactly C's comparison semantics on NaN. */
    case IR_LT: return truth(em, LLVMBuildFCmp(B, LLVMRealOLT, a, b, ""));
    case IR_LE: return truth(em, LLVMBuildFCmp(B, LLVMRealOLE, a, b, ""));
    case IR_GT: return truth(em, LLVMBuildFCmp(B, LLVMRealOGT, a, b, ""));
    case IR_GE: return truth(em, LLVMBuildFCmp(B, LLVMRealOGE, a, b, ""));
    case IR_EQ: return truth(em, LLVMBuildFCmp(B, LLVMRealOEQ, a, b, ""));
    case IR_NE: return truth(em, LLVMBuildFCmp(B, LLVMRealUNE, a, b, ""));
    case IR_AND: return truth(em, LLVMBuildAnd(B, nonzero(em, a), nonzero(em, b), ""));
    case IR_OR: return truth(em, LLVMBuildOr(B, nonzero(em, a), nonzero(em, b), ""));
    case IR_NOT: return truth(em, LLVMBuildFCmp(B, LLVMRealOEQ, a, LLVMConstReal(em->fp, 0.0), ""));
    case IR_SELECT: return LLVMBuildSelect(B, nonzero(em, a), b, c, "");
    case IR_EXP: return em->fp == em->f32 ? emit_expf(em, a) : emit_exp(em, a);
    case IR_LOG: return cg_intrinsic(em, "llvm.log", args, 1);
    case IR_SQRT: return cg_intrinsic(em, "llvm.sqrt", args, 1);
    case IR_ABS: return cg_intrinsic(em, "llvm.fabs", args, 1);
    case IR_EXPM1: return libm_call(em, CG_LIBM_expm1, args, 1);
    case IR_TANH: return libm_call(em, CG_LIBM_tanh, args, 1);
    case IR_SIN: return libm_call(em, CG_LIBM_sin, args, 1);
    case IR_COS: return libm_call(em, CG_LIBM_cos, args, 1);
    case IR_TABLE: {
        /* ir_table_at: k = min(max(floor((t - t0)/h + 1e-6), 0), n - 1), the samples a constant global */
        const struct ir_table *t = e->table;
        LLVMTypeRef at = LLVMArrayType(em->f64, (unsigned)t->n);
        char name[300];
        snprintf(name, sizeof name, "timed:%s", t->name);
        LLVMValueRef g = LLVMGetNamedGlobal(em->mod, name);
        if (!g) {
            LLVMValueRef *vals = malloc(sizeof *vals * (size_t)t->n);
            if (!vals) {
                diag_error(em->d, SPAN_NONE, "out of memory in code generation");
                return NULL;
            }
            for (int64_t i = 0; i < t->n; i++)
                vals[i] = LLVMConstReal(em->f64, t->v[i]);
            g = LLVMAddGlobal(em->mod, at, name);
            LLVMSetInitializer(g, LLVMConstArray(em->f64, vals, (unsigned)t->n));
            LLVMSetGlobalConstant(g, 1);
            LLVMSetLinkage(g, LLVMPrivateLinkage);
            free(vals);
        }
        LLVMValueRef x = LLVMBuildFAdd(B, LLVMBuildFDiv(B, LLVMBuildFSub(B, a, LLVMConstReal(em->f64, t->t0), ""),
                                                        LLVMConstReal(em->f64, t->h), ""),
                                       LLVMConstReal(em->f64, 1e-6), "");
        LLVMValueRef k = cg_intrinsic(em, "llvm.floor", &x, 1);
        k = cg_fminmax(em, cg_fminmax(em, k, LLVMConstReal(em->f64, 0), true),
                       LLVMConstReal(em->f64, (double)(t->n - 1)), false);
        LLVMValueRef idx[2] = {LLVMConstInt(em->i64, 0, false), LLVMBuildFPToSI(B, k, em->i64, "")};
        return LLVMBuildLoad2(B, em->f64, LLVMBuildInBoundsGEP2(B, at, g, idx, 2, ""), "");
    }
    case IR_ISFINITE: {
        /* isfinite(x) == |x| < inf (ordered: false for NaN). */
        LLVMValueRef mag = cg_intrinsic(em, "llvm.fabs", args, 1);
        return truth(em, LLVMBuildFCmp(B, LLVMRealOLT, mag, LLVMConstReal(em->fp, INFINITY), ""));
    }
    default:
        break;
    }
    diag_error(em->d, SPAN_NONE, "internal: no code generation for IR operation '%s'", ir_op_name[e->op]);
    return NULL;
}
