/*
 * interp.c - the reference interpreter's kernel: the numbered steps of the kernel semantics in ir/ir.h,
 * written out literally with ir_eval (ir_evalf in float for a `precision = single` population).
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

/*
 * Steps 2-5 and 7 for one neuron, in the population's arithmetic type T: double, or float under
 * `precision = single` (EVAL = ir_evalf, whose constants are rounded to float, as the JIT's).  One body for
 * both, so the two precisions cannot drift apart; observables are widened to double (exactly) for the
 * statistics.
 */
#define INTERP_STEP(NAME, T, EVAL, FMAX, CLOCK)                                                            \
    static bool NAME(const struct ir_pop *p, const T *s, T *n, double *o, int64_t step)                   \
    {                                                                                                     \
        /* 2. every update from the old values s (Jacobi order); frozen ones hold while refractory. */    \
        for (int k = 0; k < p->nvars; k++)                                                                \
            n[k] = s[k];                                                                                  \
        bool refractory = p->refr_var >= 0 && s[p->refr_var] > 0;                                        \
        for (int u = 0; u < p->nupdates; u++) {                                                           \
            const struct ir_update *up = &p->updates[u];                                                  \
            T next = EVAL(up->next, s);                                                                   \
            if (CLOCK && up->clock_dt > 0)  /* single precision's t: from the step count (ir.h) */        \
                next = (T)((double)(step + 1) * up->clock_dt);                                            \
            if (refractory && up->frozen)                                                                 \
                next = up->held ? EVAL(up->held, s) : s[up->var];                                         \
            n[up->var] = next;                                                                            \
        }                                                                                                 \
        /* 3. spike: condition on the new values, or an overflowing V (SCIENCE.md §2), not refractory. */ \
        bool spike = false;                                                                               \
        if (p->spike_cond) {                                                                              \
            bool free_to_fire = p->refr_var < 0 || s[p->refr_var] <= 0;                                   \
            bool cond = EVAL(p->spike_cond, n) != 0;                                                      \
            bool overflow = p->spike_var >= 0 && !isfinite(n[p->spike_var]);                             \
            spike = free_to_fire && (cond || overflow);                                                   \
        }                                                                                                 \
        /* 4. resets in order, each seeing the earlier ones. */                                           \
        for (int r = 0; r < p->nresets; r++) {                                                            \
            T v = EVAL(p->resets[r].value, n);                                                            \
            n[p->resets[r].var] = spike ? v : n[p->resets[r].var];                                        \
        }                                                                                                 \
        /* 5. refractory counter (FMAX: the same select the JIT emits). */                                \
        if (p->refr_var >= 0)                                                                             \
            n[p->refr_var] = spike ? (T)p->refr_steps : FMAX(s[p->refr_var] - (T)1, (T)0);               \
        /* 7. observables after the resets. */                                                            \
        for (int j = 0; j < p->nobs; j++)                                                                 \
            o[j] = EVAL(p->obs[j].expr, n);                                                               \
        return spike;                                                                                     \
    }

static double eval_double(const struct ir_expr *e, const double *vars)
{
    return ir_eval(e, vars, NULL, NULL);
}

INTERP_STEP(step_double, double, eval_double, ir_fmax, false)
INTERP_STEP(step_single, float, ir_evalf, ir_fmaxf, true)

bool interp_step(const struct ir_pop *p, const double *s, double *n, double *o)
{
    return step_double(p, s, n, o, 0);
}

static void interp_run(void *ctxp, double *const *vars, double *const *obs, uint8_t *spiked, int64_t begin,
                       int64_t end, const struct ir_kenv *env)
{
    const struct interp_ctx *ctx = ctxp;
    const struct ir_pop *p = ctx->pop;
    /* Per-call scratch on the stack (a VLA of at least one element): concurrent calls share nothing. */
    double s[p->nvars + 1], n[p->nvars + 1], o[p->nobs + 1];
    float sf[p->nvars + 1], nf[p->nvars + 1];
    /* precision single: the columns hold floats and the step computes in float (ir.h) */
    float *const *fv = (float *const *)vars;
    for (int64_t i = begin; i < end; i++) {
        for (int k = 0; k < p->nvars; k++) {        /* 1. load, or draw a white-noise term */
            if (p->vars[k].kind == IR_VAR_NOISE) {
                s[k] = ir_noise_normal(env->seed, p->index, i, env->step, p->vars[k].noise_term);
                sf[k] = (float)s[k];
            } else if (p->single) {
                sf[k] = fv[k][i];
            } else {
                s[k] = vars[k][i];
            }
        }
        bool spike = p->single ? step_single(p, sf, nf, o, env ? env->step : 0) : step_double(p, s, n, o, 0);
        for (int k = 0; k < p->nvars; k++) {        /* 6. store */
            if (p->vars[k].kind == IR_VAR_NOISE)
                continue;
            if (p->single)
                fv[k][i] = nf[k];
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
