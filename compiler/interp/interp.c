/*
 * interp.c - the reference interpreter's kernel: the numbered steps of the kernel semantics in ir/ir.h,
 * written out literally with ir_eval.
 *
 * Owns: the literal reading of the kernel contract.  compiler/codegen/cg_kernel.c emits the same steps
 * branch-free; any difference between the two is a bug in one of them (tests/unit/test_codegen_engines.c).
 * Must not: reorder floating-point operations, or use anything but ir_eval to evaluate expressions.
 */
#include "interp/interp.h"

#include <math.h>

struct interp_ctx {
    const struct ir_pop *pop;
    double dt;
};

bool interp_step(const struct ir_pop *p, const double *s, double *n, double *o)
{
    /* 2. every update from the old values s (Jacobi order); frozen ones hold while refractory. */
    for (int k = 0; k < p->nvars; k++)
        n[k] = s[k];
    bool refractory = p->refr_var >= 0 && s[p->refr_var] > 0;
    for (int u = 0; u < p->nupdates; u++) {
        const struct ir_update *up = &p->updates[u];
        double next = ir_eval(up->next, s, NULL, NULL);
        if (refractory && up->frozen)
            next = up->held ? ir_eval(up->held, s, NULL, NULL) : s[up->var];
        n[up->var] = next;
    }

    /* 3. spike: condition on the new values, or an overflowing V (SCIENCE.md §2), never while refractory. */
    bool spike = false;
    if (p->spike_cond) {
        bool free_to_fire = p->refr_var < 0 || s[p->refr_var] <= 0;
        bool cond = ir_eval(p->spike_cond, n, NULL, NULL) != 0;
        bool overflow = p->spike_var >= 0 && !isfinite(n[p->spike_var]);
        spike = free_to_fire && (cond || overflow);
    }

    /* 4. resets in order, each seeing the earlier ones. */
    for (int r = 0; r < p->nresets; r++) {
        double v = ir_eval(p->resets[r].value, n, NULL, NULL);
        n[p->resets[r].var] = spike ? v : n[p->resets[r].var];
    }

    /* 5. refractory counter (ir_fmax: the same select the JIT emits). */
    if (p->refr_var >= 0)
        n[p->refr_var] = spike ? p->refr_steps : ir_fmax(s[p->refr_var] - 1.0, 0.0);

    /* 7. observables after the resets. */
    for (int j = 0; j < p->nobs; j++)
        o[j] = ir_eval(p->obs[j].expr, n, NULL, NULL);
    return spike;
}

static void interp_run(void *ctxp, double *const *vars, double *const *obs, uint8_t *spiked, int64_t begin,
                       int64_t end, const struct ir_kenv *env)
{
    const struct interp_ctx *ctx = ctxp;
    const struct ir_pop *p = ctx->pop;
    /* Per-call scratch on the stack (a VLA of at least one element): concurrent calls share nothing. */
    double s[p->nvars + 1], n[p->nvars + 1], o[p->nobs + 1];
    /* precision single: the columns hold floats, widened on load and rounded on store (ir.h) */
    float *const *fv = (float *const *)vars;
    for (int64_t i = begin; i < end; i++) {
        for (int k = 0; k < p->nvars; k++) {        /* 1. load, or draw a white-noise term */
            if (p->vars[k].kind == IR_VAR_NOISE)
                s[k] = ir_noise_normal(env->seed, p->index, i, env->step, p->vars[k].noise_term);
            else
                s[k] = p->single ? (double)fv[k][i] : vars[k][i];
        }
        bool spike = interp_step(p, s, n, o);
        for (int k = 0; k < p->nvars; k++) {        /* 6. store */
            if (p->vars[k].kind == IR_VAR_NOISE)
                continue;
            if (p->single)
                fv[k][i] = (float)n[k];
            else
                vars[k][i] = n[k];
        }
        spiked[i] = spike;
        for (int j = 0; j < p->nobs; j++)
            obs[j][i] = o[j];
    }
}

/* Steps 1-7, then 8: the statistics' sums of pop.accums from the observables' values, literally as ir.h
 * states them (runtime/stats.c performs the same operations when it sums itself). */
static void interp_run_acc(void *ctxp, double *const *vars, double *const *obs, double *const *acc, uint8_t *spiked,
                           int64_t begin, int64_t end, const struct ir_kenv *env)
{
    const struct interp_ctx *ctx = ctxp;
    const struct ir_pop *p = ctx->pop;
    interp_run(ctxp, vars, obs, spiked, begin, end, env);
    ir_accum_apply(p, obs, acc, begin, end);
}

struct ir_kernel interp_kernel(struct arena *a, const struct ir_pop *pop, double dt)
{
    struct interp_ctx *ctx = arena_alloc(a, sizeof *ctx);
    ctx->pop = pop;
    ctx->dt = dt;
    return (struct ir_kernel){.fn = interp_run, .fn_acc = pop->naccums > 0 ? interp_run_acc : NULL, .ctx = ctx};
}
