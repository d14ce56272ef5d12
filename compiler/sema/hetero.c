/*
 * hetero.c - heterogeneous parameters (issue 13): a neuron param given as a distribution
 * (`lif[N](g_L = normal(10 nS, 1 nS))`, or `param tau = uniform(15 ms, 25 ms)` in a neuron) becomes one value
 * per neuron, drawn once at build time from the run's seed (the initial-value stream of runtime/rng.h, so it
 * is reproducible and independent of the thread count).
 *
 * Owns: turning such a param into an IR_VAR_PARAM column, and the per-neuron columns the solver asks for
 * (solver_cols): when a linear ODE's coefficient reads only per-neuron constants, its propagator e^{a dt} and
 * phi = (e^{a dt} - 1)/a are columns computed at build time, so the update stays exact (solver.c, noise.c).
 * Params whose value is the same for every neuron stay folded constants: a homogeneous model's IR and kernels
 * do not change.  Must not: draw numbers (the runtime initialises columns, runtime/sim.c).
 */
#include "sema/internal.h"

struct val hetero_param(struct lctx *L, struct binding *b, struct val v)
{
    struct lpop *p = b->owner;
    int k = lower_add_var(L, p, b->name, IR_VAR_PARAM, b->span);
    struct ir_var *var = p->vars.items[k];
    var->init = v.ir;
    var->dim = v.dim;
    return (struct val){fold_var(L->a, k), v.dim, VK_NUM, NULL};
}

struct hctx {
    struct lctx *L;
    struct lpop *p;
    int var;
};

/* e reads no variable but p's per-neuron constants (and at least one when *any is to be set); draws are
 * allowed only when `draws` (an initial value is evaluated once per neuron by the runtime, a kernel's
 * coefficient never draws) */
static bool reads_only_params(const struct ir_expr *e, struct lpop *p, bool draws, bool *any)
{
    if (!e)
        return true;
    if (e->op == IR_VAR) {
        if (e->index < 0 || e->index >= p->vars.len ||
            ((struct ir_var *)p->vars.items[e->index])->kind != IR_VAR_PARAM)
            return false;
        *any = true;
        return true;
    }
    if (e->op >= IR_RAND_UNIFORM && e->op <= IR_RAND_EXPONENTIAL && !draws)
        return false;
    return reads_only_params(e->a, p, draws, any) && reads_only_params(e->b, p, draws, any) &&
           reads_only_params(e->c, p, draws, any);
}

bool hetero_only(const struct ir_expr *e, struct lpop *p)
{
    bool any = false;
    return reads_only_params(e, p, false, &any) && any;
}

bool hetero_init(const struct ir_expr *e, struct lpop *p)
{
    bool any = false;
    return reads_only_params(e, p, true, &any);
}

static bool time_const(void *ctx, const struct ir_expr *e)
{
    struct hctx *h = ctx;
    return hetero_only(e, h->p);
}

static struct ir_expr *column(void *ctx, struct ir_expr *value, const char *what, struct ir_dim dim)
{
    struct hctx *h = ctx;
    const char *of = ((struct ir_var *)h->p->vars.items[h->var])->name;
    int k = lower_add_var(h->L, h->p, arena_printf(h->L->a, "%s@%s", what, of), IR_VAR_PARAM, SPAN_NONE);
    struct ir_var *v = h->p->vars.items[k];
    v->init = value;
    v->dim = dim;
    return fold_var(h->L->a, k);
}

struct solver_cols hetero_cols(struct lctx *L, struct lpop *p, int var)
{
    struct hctx *h = arena_alloc(L->a, sizeof *h);
    h->L = L;
    h->p = p;
    h->var = var;
    return (struct solver_cols){time_const, column, h};
}
