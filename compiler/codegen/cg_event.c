/*
 * cg_event.c - a plastic projection's event functions: `on pre` and `on post` as LLVM
 * functions over one projection's synapses, with the model's constants folded, in the ir_event_fn ABI:
 *     void bn_proj_<j>_{pre,post}(i8* ctx, double** post_vars, float** syn, double** pre, double** post,
 *                                 double* pre_last, double* post_last, i32* ka, i32* kb, i64 who, i64 b,
 *                                 i64 e, double now)
 * Semantics: ir/ir.h (struct ir_plastic); compiler/interp/interp_event.c is the literal reading this must
 * match bit for bit: the same IR expressions through cg_emit_expr, in the same order, with the same float
 * roundings of the per-synapse states.
 * Must not: reorder statements or evaluate anything interp_event.c does not.
 */
#include "codegen/cg_internal.h"

#include <stdlib.h>
#include <string.h>

/* Pointer k of the array of pointers `arr`. */
static LLVMValueRef column(struct cg_emitter *em, LLVMValueRef arr, int k)
{
    LLVMValueRef idx = LLVMConstInt(em->i64, (unsigned long long)k, false);
    return LLVMBuildLoad2(em->b, em->ptr, LLVMBuildInBoundsGEP2(em->b, em->ptr, arr, &idx, 1, ""), "");
}

static LLVMValueRef at(struct cg_emitter *em, LLVMTypeRef t, LLVMValueRef base, LLVMValueRef i)
{
    return LLVMBuildInBoundsGEP2(em->b, t, base, &i, 1, "");
}

static LLVMValueRef load_index(struct cg_emitter *em, LLVMValueRef arr, LLVMValueRef m)
{
    LLVMTypeRef i32 = LLVMInt32TypeInContext(em->ctx);
    return LLVMBuildZExt(em->b, LLVMBuildLoad2(em->b, i32, at(em, i32, arr, m), ""), em->i64, "");
}

static bool bring(struct cg_emitter *em, const struct ir_plastic *pl, LLVMValueRef *f, bool all, enum ir_pl_where w)
{
    for (int s = 0; s < pl->nstates; s++)
        if (pl->bring[s] && (all || pl->states[s].where == w)) {
            LLVMValueRef v = cg_emit_expr(em, pl->bring[s], f);
            if (!v)
                return false;
            f[pl->base + s] = v;
        }
    return true;
}

/* Every state but those of class `except` (brought forward before the loop). */
static bool bring_except(struct cg_emitter *em, const struct ir_plastic *pl, LLVMValueRef *f, enum ir_pl_where except)
{
    for (int s = 0; s < pl->nstates; s++)
        if (pl->bring[s] && pl->states[s].where != except) {
            LLVMValueRef v = cg_emit_expr(em, pl->bring[s], f);
            if (!v)
                return false;
            f[pl->base + s] = v;
        }
    return true;
}

/* The statements in order; post_inc ones also store into the target's column (pvcols[dst], row j): a
 * single-precision column gets the sum rounded to float, and the frame keeps that rounded value. */
static bool exec(struct cg_emitter *em, const struct ir_plastic *pl, const struct ir_pl_stmt *st, int n,
                 LLVMValueRef *f, LLVMValueRef *pvcols, LLVMValueRef j)
{
    for (int i = 0; i < n; i++) {
        LLVMValueRef v = cg_emit_expr(em, st[i].value, f);
        if (!v)
            return false;
        if (st[i].post_inc && pl->single) {
            LLVMValueRef r = LLVMBuildFPTrunc(em->b, LLVMBuildFAdd(em->b, f[st[i].dst], v, ""), em->f32, "");
            LLVMBuildStore(em->b, r, at(em, em->f32, pvcols[st[i].dst], j));
            f[st[i].dst] = LLVMBuildFPExt(em->b, r, em->f64, "");
        } else if (st[i].post_inc) {
            f[st[i].dst] = LLVMBuildFAdd(em->b, f[st[i].dst], v, "");
            LLVMBuildStore(em->b, f[st[i].dst], at(em, em->f64, pvcols[st[i].dst], j));
        } else {
            f[st[i].dst] = v;
        }
    }
    return true;
}

static bool emit_event(struct cg_emitter *em, const struct ir_plastic *pl, const char *name, bool pre_ev)
{
    LLVMBuilderRef B = em->b;
    LLVMTypeRef params[13] = {em->ptr, em->ptr, em->ptr, em->ptr, em->ptr, em->ptr, em->ptr,
                              em->ptr, em->ptr, em->i64, em->i64, em->i64, em->f64};
    LLVMValueRef fn = LLVMAddFunction(em->mod, name, LLVMFunctionType(LLVMVoidTypeInContext(em->ctx), params, 13, false));
    LLVMValueRef pv = LLVMGetParam(fn, 1), synp = LLVMGetParam(fn, 2), prep = LLVMGetParam(fn, 3),
                 postp = LLVMGetParam(fn, 4), pre_last = LLVMGetParam(fn, 5), post_last = LLVMGetParam(fn, 6),
                 ka = LLVMGetParam(fn, 7), kb = LLVMGetParam(fn, 8), who = LLVMGetParam(fn, 9),
                 b = LLVMGetParam(fn, 10), e = LLVMGetParam(fn, 11), now = LLVMGetParam(fn, 12);
    const int base = pl->base, ns = pl->nstates, t0 = base + ns, nf = t0 + IR_PL_NTIMES;
    LLVMValueRef *f = calloc((size_t)nf, sizeof *f), *pvcols = calloc((size_t)base + 1, sizeof *pvcols);
    LLVMValueRef *scols = calloc((size_t)ns, sizeof *scols);
    if (!f || !pvcols || !scols) {
        free(f);
        free(pvcols);
        free(scols);
        diag_error(em->d, SPAN_NONE, "out of memory in code generation");
        return false;
    }
    bool ok = false;
    LLVMBasicBlockRef entry = LLVMAppendBasicBlockInContext(em->ctx, fn, "entry");
    LLVMBasicBlockRef loop = LLVMAppendBasicBlockInContext(em->ctx, fn, "loop");
    LLVMBasicBlockRef own = LLVMAppendBasicBlockInContext(em->ctx, fn, "own");
    LLVMPositionBuilderAtEnd(B, entry);
    /* column pointers once (unused ones are dead code to LLVM) */
    for (int v = 0; v < base; v++)
        pvcols[v] = column(em, pv, v);
    for (int s = 0; s < ns; s++) {
        enum ir_pl_where w = pl->states[s].where;
        scols[s] = column(em, w == IR_PL_SYN ? synp : w == IR_PL_PRE ? prep : postp, s);
    }
    /* The event's own side (per-source states and t_pre of a pre event; per-target and t_post of a post
     * event) is the same for every synapse of the call and nothing in the loop stores to it: load it and
     * bring it forward once, here, rather than per synapse (interp_event.c recomputes it per synapse;
     * the values are the same IEEE operations on the same operands, so the engines still agree bit for
     * bit). */
    enum ir_pl_where side = pre_ev ? IR_PL_PRE : IR_PL_POST;
    LLVMValueRef *hoisted = calloc((size_t)nf, sizeof *hoisted);
    if (!hoisted) {
        diag_error(em->d, SPAN_NONE, "out of memory in code generation");
        goto out;
    }
    for (int v = 0; v < nf; v++)
        hoisted[v] = LLVMConstReal(em->f64, 0.0);
    for (int s = 0; s < ns; s++)
        if (pl->states[s].where == side)
            hoisted[base + s] = LLVMBuildLoad2(B, em->f64, at(em, em->f64, scols[s], who), "");
    hoisted[t0 + IR_PL_NOW] = now;
    if (!(pre_ev && pl->syn_last))   /* syn_last: pre_last is per synapse and there are no per-source states */
        hoisted[t0 + IR_PL_TPRE] = hoisted[t0 + IR_PL_TPOST] =
            LLVMBuildLoad2(B, em->f64, at(em, em->f64, pre_ev ? pre_last : post_last, who), "");
    bool hoist_ok = bring(em, pl, hoisted, false, side);
    if (!hoist_ok) {
        free(hoisted);
        goto out;
    }
    LLVMBuildCondBr(B, LLVMBuildICmp(B, LLVMIntSLT, b, e, ""), loop, own);

    /* per synapse */
    LLVMPositionBuilderAtEnd(B, loop);
    LLVMValueRef m = LLVMBuildPhi(B, em->i64, "m");
    LLVMValueRef k = pre_ev ? m : load_index(em, ka, m);
    LLVMValueRef i = pre_ev ? who : load_index(em, kb, m);
    LLVMValueRef j = pre_ev ? load_index(em, ka, m) : who;
    for (int v = 0; v < base; v++)
        f[v] = pl->single ? LLVMBuildFPExt(B, LLVMBuildLoad2(B, em->f32, at(em, em->f32, pvcols[v], j), ""), em->f64, "")
                          : LLVMBuildLoad2(B, em->f64, at(em, em->f64, pvcols[v], j), "");
    for (int s = 0; s < ns; s++) {
        enum ir_pl_where w = pl->states[s].where;
        if (w == side)
            f[base + s] = hoisted[base + s];   /* already brought forward */
        else if (w == IR_PL_SYN)
            f[base + s] = LLVMBuildFPExt(B, LLVMBuildLoad2(B, em->f32, at(em, em->f32, scols[s], k), ""), em->f64, "");
        else
            f[base + s] = LLVMBuildLoad2(B, em->f64, at(em, em->f64, scols[s], w == IR_PL_PRE ? i : j), "");
    }
    free(hoisted);
    f[t0 + IR_PL_NOW] = now;
    f[t0 + IR_PL_TPRE] = LLVMBuildLoad2(B, em->f64, at(em, em->f64, pre_last, pl->syn_last ? k : i), "");
    f[t0 + IR_PL_TPOST] = LLVMBuildLoad2(B, em->f64, at(em, em->f64, post_last, j), "");
    if (!bring_except(em, pl, f, side) ||
        !exec(em, pl, pre_ev ? pl->pre : pl->post, pre_ev ? pl->npre : pl->npost, f, pvcols, j))
        goto out;
    for (int s = 0; s < ns; s++)
        if (pl->states[s].where == IR_PL_SYN)
            LLVMBuildStore(B, LLVMBuildFPTrunc(B, f[base + s], em->f32, ""), at(em, em->f32, scols[s], k));
    if (pre_ev && pl->syn_last)
        LLVMBuildStore(B, now, at(em, em->f64, pre_last, k));
    LLVMValueRef mnext = LLVMBuildNSWAdd(B, m, LLVMConstInt(em->i64, 1, false), "");
    LLVMBasicBlockRef latch = LLVMGetInsertBlock(B);
    LLVMBuildCondBr(B, LLVMBuildICmp(B, LLVMIntSLT, mnext, e, ""), loop, own);
    LLVMValueRef in_vals[2] = {b, mnext};
    LLVMBasicBlockRef in_blocks[2] = {entry, latch};
    LLVMAddIncoming(m, in_vals, in_blocks, 2);

    /* once per call: the event's own side */
    LLVMPositionBuilderAtEnd(B, own);
    enum ir_pl_where ow = pre_ev ? IR_PL_PRE : IR_PL_POST;
    LLVMValueRef last = pre_ev ? pre_last : post_last;
    LLVMValueRef zero = LLVMConstReal(em->f64, 0.0);
    for (int v = 0; v < nf; v++)
        f[v] = zero;
    for (int s = 0; s < ns; s++)
        if (pl->states[s].where == ow)
            f[base + s] = LLVMBuildLoad2(B, em->f64, at(em, em->f64, scols[s], who), "");
    f[t0 + IR_PL_NOW] = now;
    if (!(pre_ev && pl->syn_last))
        f[t0 + IR_PL_TPRE] = f[t0 + IR_PL_TPOST] = LLVMBuildLoad2(B, em->f64, at(em, em->f64, last, who), "");
    if (!bring(em, pl, f, false, ow) ||
        !exec(em, pl, pre_ev ? pl->pre_own : pl->post_own, pre_ev ? pl->npre_own : pl->npost_own, f, pvcols, zero))
        goto out;
    for (int s = 0; s < ns; s++)
        if (pl->states[s].where == ow)
            LLVMBuildStore(B, f[base + s], at(em, em->f64, scols[s], who));
    if (!(pre_ev && pl->syn_last))
        LLVMBuildStore(B, now, at(em, em->f64, last, who));
    LLVMBuildRetVoid(B);
    ok = true;
out:
    free(f);
    free(pvcols);
    free(scols);
    return ok;
}

bool cg_emit_events(struct cg_emitter *em, const struct ir_plastic *pl, int proj)
{
    char name[48];
    em->pop = NULL;   /* event frames reach past the target's variables (cg_emit_expr checks pops only) */
    snprintf(name, sizeof name, "bn_proj_%d_pre", proj);
    if (!emit_event(em, pl, name, true))
        return false;
    snprintf(name, sizeof name, "bn_proj_%d_post", proj);
    return emit_event(em, pl, name, false);
}
