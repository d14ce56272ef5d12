/*
 * cg_kernel.c - one population's fused update kernel: the steps of ir/ir.h's kernel semantics as a
 * branch-free loop body over structure-of-arrays columns.
 *
 * Owns: the kernel's shape.  Two functions per population:
 *   bn_pop_<i>       the exported ir_kernel_fn: loads the column pointers once and calls
 *   bn_pop_<i>.body  (internal, alwaysinline) which takes every column as a `noalias` parameter and runs the
 *                    loop.  When the inliner folds it into bn_pop_<i> it turns the noalias parameters into
 *                    alias-scope metadata, which the C API cannot build directly; that is what lets the
 *                    loop vectoriser drop its runtime overlap checks.
 * Must not: branch inside the loop body (refractoriness, spikes and resets are selects), or evaluate
 * anything in a different order from compiler/interp/interp.c.
 */
#include "codegen/cg_internal.h"

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

/* Steps 1-7 of ir/ir.h for neuron i; cols[k] are the variable columns, ocols[j] the observable columns. */
static bool emit_body(struct cg_emitter *em, const struct ir_pop *p, LLVMValueRef *cols, LLVMValueRef *ocols,
                      LLVMValueRef spiked, LLVMValueRef i)
{
    LLVMBuilderRef B = em->b;
    int nv = p->nvars;
    LLVMValueRef *s = calloc((size_t)nv + 1, sizeof *s), *n = calloc((size_t)nv + 1, sizeof *n);
    LLVMValueRef *addr = calloc((size_t)nv + 1, sizeof *addr);
    bool ok = false;
    if (!s || !n || !addr) {
        diag_error(em->d, SPAN_NONE, "out of memory in code generation");
        goto out;
    }
    LLVMValueRef zero = LLVMConstReal(em->f64, 0.0);

    /* 1. load (precision single: float columns, widened exactly to double) */
    LLVMTypeRef elt = p->single ? em->f32 : em->f64;
    for (int k = 0; k < nv; k++) {
        addr[k] = LLVMBuildInBoundsGEP2(B, elt, cols[k], &i, 1, "");
        s[k] = n[k] = LLVMBuildLoad2(B, elt, addr[k], p->vars[k].name ? p->vars[k].name : "");
        if (p->single)
            s[k] = n[k] = LLVMBuildFPExt(B, s[k], em->f64, "");
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
            LLVMValueRef ovf = LLVMBuildFCmp(B, LLVMRealUGE, mag, LLVMConstReal(em->f64, INFINITY), "overflow");
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
        LLVMValueRef dec = LLVMBuildFSub(B, s[p->refr_var], LLVMConstReal(em->f64, 1.0), "");
        LLVMValueRef down = cg_fminmax(em, dec, zero, true);
        n[p->refr_var] = LLVMBuildSelect(B, spike, LLVMConstReal(em->f64, p->refr_steps), down, "");
    }

    /* 6. store what may have changed, and the spike flag */
    for (int k = 0; k < nv; k++)
        if (n[k] != s[k])
            LLVMBuildStore(B, p->single ? LLVMBuildFPTrunc(B, n[k], em->f32, "") : n[k], addr[k]);
    LLVMValueRef flag = LLVMBuildInBoundsGEP2(B, em->i8, spiked, &i, 1, "");
    LLVMBuildStore(B, LLVMBuildZExt(B, spike, em->i8, ""), flag);

    /* 7. observables from the final values */
    for (int j = 0; j < p->nobs; j++) {
        LLVMValueRef v = cg_emit_expr(em, p->obs[j].expr, n);
        if (!v)
            goto out;
        LLVMBuildStore(B, v, LLVMBuildInBoundsGEP2(B, em->f64, ocols[j], &i, 1, ""));
    }
    ok = true;
out:
    free(s);
    free(n);
    free(addr);
    return ok;
}

/* bn_pop_<i>.body(double* noalias col..., double* noalias obs..., i8* noalias spiked, i64 begin, i64 end) */
static LLVMValueRef emit_body_fn(struct cg_emitter *em, const struct ir_pop *p, const char *name)
{
    int nv = p->nvars, no = p->nobs, np = nv + no + 3;
    LLVMTypeRef *params = calloc((size_t)np, sizeof *params);
    LLVMValueRef *cols = calloc((size_t)nv + 1, sizeof *cols), *ocols = calloc((size_t)no + 1, sizeof *ocols);
    LLVMValueRef fn = NULL;
    if (!params || !cols || !ocols) {
        diag_error(em->d, SPAN_NONE, "out of memory in code generation");
        goto out;
    }
    for (int k = 0; k < nv + no + 1; k++)
        params[k] = em->ptr;
    params[nv + no + 1] = params[nv + no + 2] = em->i64;
    char *body_name = malloc(strlen(name) + 6);
    if (!body_name) {
        diag_error(em->d, SPAN_NONE, "out of memory in code generation");
        goto out;
    }
    strcpy(body_name, name);
    strcat(body_name, ".body");
    fn = LLVMAddFunction(em->mod, body_name, LLVMFunctionType(LLVMVoidTypeInContext(em->ctx), params, (unsigned)np, false));
    free(body_name);
    LLVMSetLinkage(fn, LLVMInternalLinkage);
    add_fn_attr(em, fn, "alwaysinline");
    add_fn_attr(em, fn, "nounwind");
    for (int k = 0; k < nv + no + 1; k++) {
        add_param_attr(em, fn, (unsigned)k, "noalias");
        add_param_attr(em, fn, (unsigned)k, "nocapture");
    }
    for (int k = 0; k < nv; k++)
        cols[k] = LLVMGetParam(fn, (unsigned)k);
    for (int j = 0; j < no; j++)
        ocols[j] = LLVMGetParam(fn, (unsigned)(nv + j));
    LLVMValueRef spiked = LLVMGetParam(fn, (unsigned)(nv + no));
    LLVMValueRef begin = LLVMGetParam(fn, (unsigned)(nv + no + 1)), end = LLVMGetParam(fn, (unsigned)(nv + no + 2));

    /* entry: if (begin < end) loop; loop: body; i++; if (i < end) loop; exit */
    LLVMBasicBlockRef entry = LLVMAppendBasicBlockInContext(em->ctx, fn, "entry");
    LLVMBasicBlockRef loop = LLVMAppendBasicBlockInContext(em->ctx, fn, "loop");
    LLVMBasicBlockRef exit = LLVMAppendBasicBlockInContext(em->ctx, fn, "exit");
    LLVMPositionBuilderAtEnd(em->b, entry);
    LLVMBuildCondBr(em->b, LLVMBuildICmp(em->b, LLVMIntSLT, begin, end, ""), loop, exit);
    LLVMPositionBuilderAtEnd(em->b, loop);
    LLVMValueRef i = LLVMBuildPhi(em->b, em->i64, "i");
    if (!emit_body(em, p, cols, ocols, spiked, i)) {
        fn = NULL;
        goto out;
    }
    LLVMValueRef inext = LLVMBuildNSWAdd(em->b, i, LLVMConstInt(em->i64, 1, false), "i.next");
    LLVMBasicBlockRef latch = LLVMGetInsertBlock(em->b);
    LLVMBuildCondBr(em->b, LLVMBuildICmp(em->b, LLVMIntSLT, inext, end, ""), loop, exit);
    LLVMValueRef in_vals[2] = {begin, inext};
    LLVMBasicBlockRef in_blocks[2] = {entry, latch};
    LLVMAddIncoming(i, in_vals, in_blocks, 2);
    LLVMPositionBuilderAtEnd(em->b, exit);
    LLVMBuildRetVoid(em->b);
out:
    free(params);
    free(cols);
    free(ocols);
    return fn;
}

bool cg_emit_kernel(struct cg_emitter *em, const struct ir_pop *p, int index, const char *name)
{
    em->pop = p;
    LLVMValueRef body = emit_body_fn(em, p, name);
    if (!body)
        return false;

    /* The exported entry point, ABI ir_kernel_fn: (ctx, vars, obs, spiked, begin, end). */
    LLVMTypeRef params[6] = {em->ptr, em->ptr, em->ptr, em->ptr, em->i64, em->i64};
    LLVMValueRef fn = LLVMAddFunction(em->mod, name, LLVMFunctionType(LLVMVoidTypeInContext(em->ctx), params, 6, false));
    add_fn_attr(em, fn, "nounwind");
    LLVMBasicBlockRef entry = LLVMAppendBasicBlockInContext(em->ctx, fn, "entry");
    LLVMPositionBuilderAtEnd(em->b, entry);
    int nv = p->nvars, no = p->nobs, np = nv + no + 3;
    LLVMValueRef *args = calloc((size_t)np, sizeof *args);
    if (!args) {
        diag_error(em->d, SPAN_NONE, "out of memory in code generation");
        return false;
    }
    /* Column pointers are loaded once, before the loop (they are invariant). */
    LLVMValueRef vars = LLVMGetParam(fn, 1), obs = LLVMGetParam(fn, 2);
    for (int k = 0; k < nv; k++) {
        LLVMValueRef idx = LLVMConstInt(em->i64, (unsigned long long)k, false);
        args[k] = LLVMBuildLoad2(em->b, em->ptr, LLVMBuildInBoundsGEP2(em->b, em->ptr, vars, &idx, 1, ""), "");
    }
    for (int j = 0; j < no; j++) {
        LLVMValueRef idx = LLVMConstInt(em->i64, (unsigned long long)j, false);
        args[nv + j] = LLVMBuildLoad2(em->b, em->ptr, LLVMBuildInBoundsGEP2(em->b, em->ptr, obs, &idx, 1, ""), "");
    }
    args[nv + no] = LLVMGetParam(fn, 3);
    args[nv + no + 1] = LLVMGetParam(fn, 4);
    args[nv + no + 2] = LLVMGetParam(fn, 5);
    LLVMBuildCall2(em->b, LLVMGlobalGetValueType(body), body, args, (unsigned)np, "");
    LLVMBuildRetVoid(em->b);
    free(args);
    (void)index;
    return true;
}
