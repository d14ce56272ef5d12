/*
 * cg_kernel.c - one population's fused update kernel: the steps of ir/ir.h's kernel semantics as a
 * branch-free loop body over structure-of-arrays columns.
 *
 * Owns: the kernel's shape.  Two functions per population, and two more when it has accumulators:
 *   bn_pop_<i>       the exported ir_kernel_fn (steps 1-7): loads the column pointers once and calls
 *   bn_pop_<i>.body  (internal, alwaysinline) which takes every column as a `noalias` parameter and runs the
 *                    loop;
 *   bn_pop_<i>.acc / bn_pop_<i>.acc.body  the same with step 8 (ir_kernel_acc_fn, statistics' sums).
 *                      When the inliner folds it into bn_pop_<i> it turns the noalias parameters into
 *                    alias-scope metadata, which the C API cannot build directly; that is what lets the
 *                    loop vectoriser drop its runtime overlap checks.
 * Must not: branch inside the loop body (refractoriness, spikes and resets are selects), or evaluate
 * anything in a different order from compiler/interp/interp.c.
 */
#include "codegen/cg_internal.h"

#include <llvm-c/DebugInfo.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

static void add_fn_attr(struct cg_emitter *em, LLVMValueRef fn, const char *name)
{
    unsigned kind = LLVMGetEnumAttributeKindForName(name, strlen(name));
    LLVMAddAttributeAtIndex(fn, LLVMAttributeFunctionIndex, LLVMCreateEnumAttribute(em->ctx, kind, 0));
}

static void add_param_attr(struct cg_emitter *em, LLVMValueRef fn, unsigned param, const char *name)
{
    unsigned kind = LLVMGetEnumAttributeKindForName(name, strlen(name));
    LLVMAddAttributeAtIndex(fn, param + 1, LLVMCreateEnumAttribute(em->ctx, kind, 0));
}

/* c[i] = c[i] + v */
static void emit_add_to(struct cg_emitter *em, LLVMValueRef col, LLVMValueRef i, LLVMValueRef v)
{
    LLVMValueRef at = LLVMBuildInBoundsGEP2(em->b, em->f64, col, &i, 1, "");
    LLVMBuildStore(em->b, LLVMBuildFAdd(em->b, LLVMBuildLoad2(em->b, em->f64, at, ""), v, ""), at);
}

/* Step 8 of ir/ir.h for neuron i: the statistics' sums, from the observables' values ov. */
static void emit_accums(struct cg_emitter *em, const struct ir_pop *p, LLVMValueRef *ov, LLVMValueRef *acols,
                        LLVMValueRef i)
{
    LLVMBuilderRef B = em->b;
    for (int k = 0; k < p->naccums; k++) {
        const struct ir_accum *a = &p->accums[k];
        LLVMValueRef x = ov[a->obs], *c = acols + a->col;
        if (a->has_clip) {   /* x > clip ? clip : x, as stats.c (NaN is kept) */
            LLVMValueRef cl = LLVMConstReal(em->f64, a->clip);
            x = LLVMBuildSelect(B, LLVMBuildFCmp(B, LLVMRealOGT, x, cl, ""), cl, x, "");
        }
        if (a->kind == IR_ACC_SUM) {
            emit_add_to(em, c[0], i, x);
        } else if (a->kind == IR_ACC_MOMENTS) {
            LLVMValueRef k0 = LLVMBuildLoad2(B, em->f64, LLVMBuildInBoundsGEP2(B, em->f64, c[0], &i, 1, ""), "");
            LLVMValueRef d = LLVMBuildFSub(B, x, k0, "");
            emit_add_to(em, c[1], i, d);
            emit_add_to(em, c[2], i, LLVMBuildFMul(B, d, d, ""));
        } else {
            LLVMValueRef kx = LLVMBuildLoad2(B, em->f64, LLVMBuildInBoundsGEP2(B, em->f64, c[0], &i, 1, ""), "");
            LLVMValueRef ky = LLVMBuildLoad2(B, em->f64, LLVMBuildInBoundsGEP2(B, em->f64, c[1], &i, 1, ""), "");
            LLVMValueRef dx = LLVMBuildFSub(B, x, kx, ""), dy = LLVMBuildFSub(B, ov[a->obs2], ky, "");
            emit_add_to(em, c[2], i, dx);
            emit_add_to(em, c[3], i, dy);
            emit_add_to(em, c[4], i, LLVMBuildFMul(B, dx, dy, ""));
        }
    }
}

/* Steps 1-7 of ir/ir.h for neuron i, and 8 when acols is non-NULL; cols[k] are the variable columns,
 * ocols[j] the observable columns, acols the accumulator columns. */
static bool emit_body(struct cg_emitter *em, const struct ir_pop *p, LLVMValueRef *cols, LLVMValueRef *ocols,
                      LLVMValueRef *acols, LLVMValueRef spiked, LLVMValueRef i, const struct cg_noise_key *noise)
{
    LLVMBuilderRef B = em->b;
    int nv = p->nvars;
    LLVMValueRef *s = calloc((size_t)nv + 1, sizeof *s), *n = calloc((size_t)nv + 1, sizeof *n);
    LLVMValueRef *addr = calloc((size_t)nv + 1, sizeof *addr), *ov = calloc((size_t)p->nobs + 1, sizeof *ov);
    bool ok = false;
    if (!s || !n || !addr || !ov) {
        diag_error(em->d, SPAN_NONE, "out of memory in code generation");
        goto out;
    }
    LLVMValueRef zero = LLVMConstReal(em->fp, 0.0);

    /* 1. load (precision single: float columns, computed in float; em->fp is the element type) */
    LLVMTypeRef elt = em->fp;
    for (int k = 0; k < nv; k++) {
        if (p->vars[k].kind == IR_VAR_NOISE) {   /* a fresh normal (double), never loaded or stored */
            s[k] = n[k] = cg_emit_noise(em, noise, i, p->index, p->vars[k].noise_term);
            if (p->single)
                s[k] = n[k] = LLVMBuildFPTrunc(B, s[k], em->f32, "");
            continue;
        }
        addr[k] = LLVMBuildInBoundsGEP2(B, elt, cols[k], &i, 1, "");
        s[k] = n[k] = LLVMBuildLoad2(B, elt, addr[k], p->vars[k].name ? p->vars[k].name : "");
    }

    /* 2. updates from the old values; frozen ones hold while s[refr] > 0 */
    LLVMValueRef refractory = NULL;
    if (p->refr_var >= 0)
        refractory = LLVMBuildFCmp(B, LLVMRealOGT, s[p->refr_var], zero, "refractory");
    for (int u = 0; u < p->nupdates; u++) {
        const struct ir_update *up = &p->updates[u];
        LLVMValueRef next = cg_emit_expr(em, up->next, s);
        if (!next)
            goto out;
        if (p->single && up->clock_dt > 0 && noise->clock)   /* t from the step count, in double (ir.h) */
            next = LLVMBuildFPTrunc(B, LLVMBuildFMul(B, noise->clock, LLVMConstReal(em->f64, up->clock_dt), ""),
                                    em->f32, "t");
        LLVMValueRef held = s[up->var];
        if (refractory && up->frozen && up->held && !(held = cg_emit_expr(em, up->held, s)))
            goto out;
        n[up->var] = refractory && up->frozen ? LLVMBuildSelect(B, refractory, held, next, "") : next;
    }

    /* 3. spike = free to fire && (cond(n) != 0 || !isfinite(n[spike_var])) */
    LLVMValueRef spike = LLVMConstInt(em->i1, 0, false);
    if (p->spike_cond) {
        LLVMValueRef cond = cg_emit_expr(em, p->spike_cond, n);
        if (!cond)
            goto out;
        LLVMValueRef fire = LLVMBuildFCmp(B, LLVMRealUNE, cond, zero, "");
        if (p->spike_var >= 0) {
            /* !isfinite(x) == !(|x| < inf) == (|x| >= inf or unordered) */
            LLVMValueRef mag = cg_intrinsic(em, "llvm.fabs", &n[p->spike_var], 1);
            LLVMValueRef ovf = LLVMBuildFCmp(B, LLVMRealUGE, mag, LLVMConstReal(em->fp, INFINITY), "overflow");
            fire = LLVMBuildOr(B, fire, ovf, "");
        }
        if (p->refr_var >= 0) {
            LLVMValueRef free_to_fire = LLVMBuildFCmp(B, LLVMRealOLE, s[p->refr_var], zero, "");
            fire = LLVMBuildAnd(B, free_to_fire, fire, "");
        }
        spike = fire;
    }

    /* 4. resets, in order, each seeing the earlier ones */
    for (int r = 0; r < p->nresets; r++) {
        LLVMValueRef v = cg_emit_expr(em, p->resets[r].value, n);
        if (!v)
            goto out;
        int k = p->resets[r].var;
        n[k] = LLVMBuildSelect(B, spike, v, n[k], "");
    }

    /* 5. refractory counter: spike ? refr_steps : ir_fmax(s - 1, 0), as interp.c */
    if (p->refr_var >= 0) {
        LLVMValueRef dec = LLVMBuildFSub(B, s[p->refr_var], LLVMConstReal(em->fp, 1.0), "");
        LLVMValueRef down = cg_fminmax(em, dec, zero, true);
        n[p->refr_var] = LLVMBuildSelect(B, spike, cg_const(em, p->refr_steps), down, "");
    }

    /* 6. store what may have changed, and the spike flag */
    for (int k = 0; k < nv; k++)
        if (n[k] != s[k] && addr[k])   /* noise variables have no column access */
            LLVMBuildStore(B, n[k], addr[k]);
    LLVMValueRef flag = LLVMBuildInBoundsGEP2(B, em->i8, spiked, &i, 1, "");
    LLVMBuildStore(B, LLVMBuildZExt(B, spike, em->i8, ""), flag);

    /* 7. observables from the final values (double columns: a single kernel's are widened, exactly) */
    for (int j = 0; j < p->nobs; j++) {
        LLVMValueRef v = cg_emit_expr(em, p->obs[j].expr, n);
        if (!v)
            goto out;
        if (p->single)
            v = LLVMBuildFPExt(B, v, em->f64, "");
        ov[j] = v;
        LLVMBuildStore(B, v, LLVMBuildInBoundsGEP2(B, em->f64, ocols[j], &i, 1, ""));
    }

    /* 8. the statistics' sums, while the observables are in registers */
    if (acols)
        emit_accums(em, p, ov, acols, i);
    ok = true;
out:
    free(s);
    free(n);
    free(addr);
    free(ov);
    return ok;
}

/* The neuron loop's metadata: vectorised, interleaved by 2 (two vectors of neurons per iteration).  A
 * neuron's update is one long dependent chain (the paper's EIF: exp's ~40 operations, then V, the spike
 * test and the statistics), which keeps the FP pipes half idle with one vector in flight; LLVM's cost
 * model picks 1.  Each lane computes what it did, so the results stay bit-identical.  Measured (kernel
 * time, paper model N = 4000, 2 s, one thread, 3 alternating runs): 195-206 -> 166-168 ms; COBA and CUBA
 * (memory-bound, simpler kernels) unchanged within the scatter; compile thread CPU +4-6 ms. */
static void interleave_two(struct cg_emitter *em, LLVMValueRef backedge)
{
    LLVMMetadataRef self = LLVMTemporaryMDNode(em->ctx, NULL, 0);
    LLVMMetadataRef count[2] = {LLVMMDStringInContext2(em->ctx, "llvm.loop.interleave.count", 26),
                                LLVMValueAsMetadata(LLVMConstInt(LLVMInt32TypeInContext(em->ctx), 2, false))};
    LLVMMetadataRef ops[2] = {self, LLVMMDNodeInContext2(em->ctx, count, 2)};
    LLVMMetadataRef id = LLVMMDNodeInContext2(em->ctx, ops, 2);
    LLVMMetadataReplaceAllUsesWith(self, id);   /* a loop ID refers to itself (LLVM LangRef, "llvm.loop") */
    LLVMSetMetadata(backedge, LLVMGetMDKindIDInContext(em->ctx, "llvm.loop", 9), LLVMMetadataAsValue(em->ctx, id));
}

/* bn_pop_<i>[.acc].body(double* noalias col..., double* noalias obs..., [double* noalias acc...,]
 *                       i8* noalias spiked, i64 begin, i64 end, ir_kenv* env) */
static LLVMValueRef emit_body_fn(struct cg_emitter *em, const struct ir_pop *p, const char *name, bool with_acc)
{
    int nv = p->nvars, no = p->nobs, na = with_acc ? p->nacc_cols : 0, ncols = nv + no + na, np = ncols + 4;
    LLVMTypeRef *params = calloc((size_t)np, sizeof *params);
    LLVMValueRef *cols = calloc((size_t)ncols + 1, sizeof *cols);
    LLVMValueRef fn = NULL;
    char *body_name = malloc(strlen(name) + 6);
    if (!params || !cols || !body_name) {
        diag_error(em->d, SPAN_NONE, "out of memory in code generation");
        goto out;
    }
    for (int k = 0; k < ncols + 1; k++)
        params[k] = em->ptr;
    params[ncols + 1] = params[ncols + 2] = em->i64;
    params[ncols + 3] = em->ptr;
    strcpy(body_name, name);
    strcat(body_name, ".body");
    fn = LLVMAddFunction(em->mod, body_name, LLVMFunctionType(LLVMVoidTypeInContext(em->ctx), params, (unsigned)np, false));
    LLVMSetLinkage(fn, LLVMInternalLinkage);
    add_fn_attr(em, fn, "alwaysinline");
    add_fn_attr(em, fn, "nounwind");
    for (int k = 0; k < ncols + 1; k++) {
        add_param_attr(em, fn, (unsigned)k, "noalias");
        add_param_attr(em, fn, (unsigned)k, "nocapture");
    }
    for (int k = 0; k < ncols; k++)
        cols[k] = LLVMGetParam(fn, (unsigned)k);
    LLVMValueRef spiked = LLVMGetParam(fn, (unsigned)ncols);
    LLVMValueRef begin = LLVMGetParam(fn, (unsigned)(ncols + 1)), end = LLVMGetParam(fn, (unsigned)(ncols + 2));

    /* entry: if (begin < end) loop; loop: body; i++; if (i < end) loop; exit */
    LLVMBasicBlockRef entry = LLVMAppendBasicBlockInContext(em->ctx, fn, "entry");
    LLVMBasicBlockRef loop = LLVMAppendBasicBlockInContext(em->ctx, fn, "loop");
    LLVMBasicBlockRef exit = LLVMAppendBasicBlockInContext(em->ctx, fn, "exit");
    LLVMPositionBuilderAtEnd(em->b, entry);
    struct cg_noise_key noise = {0};
    if (p->nnoise > 0) {   /* the key words of ir_noise_normal, once per call: {seed, step} of struct ir_kenv */
        LLVMTypeRef i32 = LLVMInt32TypeInContext(em->ctx);
        LLVMValueRef env = LLVMGetParam(fn, (unsigned)(ncols + 3));
        LLVMValueRef one = LLVMConstInt(em->i64, 1, false), c32 = LLVMConstInt(em->i64, 32, false);
        LLVMValueRef seed = LLVMBuildLoad2(em->b, em->i64, env, "seed");
        LLVMValueRef step = LLVMBuildLoad2(em->b, em->i64, LLVMBuildInBoundsGEP2(em->b, em->i64, env, &one, 1, ""), "step");
        noise.k0 = LLVMBuildTrunc(em->b, seed, i32, "");
        noise.k1 = LLVMBuildTrunc(em->b, LLVMBuildLShr(em->b, seed, c32, ""), i32, "");
        noise.step_lo = LLVMBuildTrunc(em->b, step, i32, "");
        noise.step_hi16 = LLVMBuildShl(em->b, LLVMBuildTrunc(em->b, LLVMBuildLShr(em->b, step, c32, ""), i32, ""),
                                       LLVMConstInt(i32, 16, false), "");
    }
    bool clock = false;
    for (int u = 0; p->single && u < p->nupdates; u++)
        clock = clock || p->updates[u].clock_dt > 0;
    if (clock) {   /* (double)(env->step + 1), once per call; a NULL env counts as step 0, as in interp.c */
        LLVMValueRef env = LLVMGetParam(fn, (unsigned)(ncols + 3)), one = LLVMConstInt(em->i64, 1, false);
        LLVMBasicBlockRef has = LLVMAppendBasicBlockInContext(em->ctx, fn, "env"), join = LLVMAppendBasicBlockInContext(em->ctx, fn, "clock");
        LLVMBuildCondBr(em->b, LLVMBuildIsNull(em->b, env, ""), join, has);
        LLVMPositionBuilderAtEnd(em->b, has);
        LLVMValueRef step = LLVMBuildLoad2(em->b, em->i64, LLVMBuildInBoundsGEP2(em->b, em->i64, env, &one, 1, ""), "step");
        LLVMBuildBr(em->b, join);
        LLVMPositionBuilderAtEnd(em->b, join);
        LLVMValueRef st = LLVMBuildPhi(em->b, em->i64, "step");
        LLVMValueRef vals[2] = {LLVMConstInt(em->i64, 0, false), step};
        LLVMBasicBlockRef from[2] = {entry, has};
        LLVMAddIncoming(st, vals, from, 2);
        noise.clock = LLVMBuildSIToFP(em->b, LLVMBuildNSWAdd(em->b, st, one, ""), em->f64, "clock");
    }
    LLVMBasicBlockRef head = LLVMGetInsertBlock(em->b);
    LLVMBuildCondBr(em->b, LLVMBuildICmp(em->b, LLVMIntSLT, begin, end, ""), loop, exit);
    LLVMPositionBuilderAtEnd(em->b, loop);
    LLVMValueRef i = LLVMBuildPhi(em->b, em->i64, "i");
    if (!emit_body(em, p, cols, cols + nv, with_acc ? cols + nv + no : NULL, spiked, i, &noise)) {
        fn = NULL;
        goto out;
    }
    LLVMValueRef inext = LLVMBuildNSWAdd(em->b, i, LLVMConstInt(em->i64, 1, false), "i.next");
    LLVMBasicBlockRef latch = LLVMGetInsertBlock(em->b);
    LLVMValueRef back = LLVMBuildCondBr(em->b, LLVMBuildICmp(em->b, LLVMIntSLT, inext, end, ""), loop, exit);
    interleave_two(em, back);
    LLVMValueRef in_vals[2] = {begin, inext};
    LLVMBasicBlockRef in_blocks[2] = {head, latch};
    LLVMAddIncoming(i, in_vals, in_blocks, 2);
    LLVMPositionBuilderAtEnd(em->b, exit);
    LLVMBuildRetVoid(em->b);
out:
    free(params);
    free(cols);
    free(body_name);
    return fn;
}

/* Loads n column pointers from the array `arr` into args[0..n). */
static void load_columns(struct cg_emitter *em, LLVMValueRef arr, int n, LLVMValueRef *args)
{
    for (int k = 0; k < n; k++) {
        LLVMValueRef idx = LLVMConstInt(em->i64, (unsigned long long)k, false);
        args[k] = LLVMBuildLoad2(em->b, em->ptr, LLVMBuildInBoundsGEP2(em->b, em->ptr, arr, &idx, 1, ""), "");
    }
}

/* The exported entry point: ir_kernel_fn (ctx, vars, obs, spiked, begin, end, env), or with with_acc
 * ir_kernel_acc_fn (ctx, vars, obs, acc, spiked, begin, end, env). */
static bool emit_entry(struct cg_emitter *em, const struct ir_pop *p, const char *name, bool with_acc)
{
    LLVMValueRef body = emit_body_fn(em, p, name, with_acc);
    if (!body)
        return false;
    LLVMTypeRef params[8] = {em->ptr, em->ptr, em->ptr, em->ptr, em->ptr, em->i64, em->i64, em->ptr};
    unsigned nparams = with_acc ? 8 : 7;
    if (!with_acc) {
        params[4] = em->i64;
        params[6] = em->ptr;
    }
    LLVMValueRef fn = LLVMAddFunction(em->mod, name, LLVMFunctionType(LLVMVoidTypeInContext(em->ctx), params, nparams, false));
    add_fn_attr(em, fn, "nounwind");
    LLVMBasicBlockRef entry = LLVMAppendBasicBlockInContext(em->ctx, fn, "entry");
    LLVMPositionBuilderAtEnd(em->b, entry);
    int nv = p->nvars, no = p->nobs, na = with_acc ? p->nacc_cols : 0, np = nv + no + na + 4;
    LLVMValueRef *args = calloc((size_t)np, sizeof *args);
    if (!args) {
        diag_error(em->d, SPAN_NONE, "out of memory in code generation");
        return false;
    }
    /* Column pointers are loaded once, before the loop (they are invariant). */
    load_columns(em, LLVMGetParam(fn, 1), nv, args);
    load_columns(em, LLVMGetParam(fn, 2), no, args + nv);
    if (with_acc)
        load_columns(em, LLVMGetParam(fn, 3), na, args + nv + no);
    unsigned first = with_acc ? 4 : 3;   /* spiked, begin, end, env */
    for (unsigned k = 0; k < 4; k++)
        args[nv + no + na + (int)k] = LLVMGetParam(fn, first + k);
    LLVMBuildCall2(em->b, LLVMGlobalGetValueType(body), body, args, (unsigned)np, "");
    LLVMBuildRetVoid(em->b);
    free(args);
    return true;
}

bool cg_emit_kernel(struct cg_emitter *em, const struct ir_pop *p, int index, const char *name)
{
    em->pop = p;
    (void)index;
    em->fp = p->single ? em->f32 : em->f64;
    bool ok = emit_entry(em, p, name, false);
    if (ok && p->naccums > 0) {
        char *acc_name = malloc(strlen(name) + 5);
        if (!acc_name) {
            diag_error(em->d, SPAN_NONE, "out of memory in code generation");
            ok = false;
        } else {
            strcpy(acc_name, name);
            strcat(acc_name, ".acc");
            ok = emit_entry(em, p, acc_name, true);
            free(acc_name);
        }
    }
    em->fp = em->f64;
    return ok;
}
