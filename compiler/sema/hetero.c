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

#include <inttypes.h>
#include <string.h>

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

/* ---- per_neuron("file.csv", "column"): one value per neuron from a table (table.c) ----------------- */

bool hetero_is_file(const struct ast_node *e)
{
    return e && e->kind == AST_CALL && !strcmp(e->call.name, "per_neuron");
}

/* The string argument k of per_neuron(), or NULL after an error at it. */
static const char *string_arg(struct lctx *L, const struct ast_node *e, int k, const char *what)
{
    const struct ast_node *arg = e->call.args.items[k];
    if (arg->bind.name || arg->bind.value->kind != AST_STRING) {
        diag_error(L->d, arg->span, "the %s argument of per_neuron() must be a string, the %s", k ? "second" : "first",
                   what);
        return NULL;
    }
    return arg->bind.value->string;
}

struct val hetero_file(struct lctx *L, struct binding *b)
{
    const struct ast_node *e = b->expr;
    struct lpop *p = b->owner;
    if (e->call.args.n != 2) {
        diag_error(L->d, e->span, "per_neuron() takes 2 arguments (a file name and a column name), not %d",
                   e->call.args.n);
        return val_bad();
    }
    const char *file = string_arg(L, e, 0, "CSV file's name"), *column = string_arg(L, e, 1, "column's name");
    if (!file || !column)
        return val_bad();
    struct table_col t;
    char err[512];
    if (!table_column(L->a, arena_path_join(L->a, L->m->dir, file), file, column, &t, err, sizeof err)) {
        diag_error(L->d, e->call.args.items[0]->span, "%s", err);
        return val_bad();
    }
    /* a lone population (an unused neuron checked on its own, lower.c) has no size to match */
    if (p->decl->population.size && t.n != p->ip->size) {
        diag_error(L->d, e->span, "%s has %" PRId64 " values in column '%s', but population '%s' has %" PRId64
                   " neurons (one value per neuron, in neuron order)", file, t.n, column, p->decl->population.name,
                   p->ip->size);
        return val_bad();
    }
    int k = lower_add_var(L, p, b->name, IR_VAR_PARAM, b->span);
    struct ir_var *var = p->vars.items[k];
    var->table = t.v;
    var->table_file = file;
    var->dim = t.dim;
    return (struct val){fold_var(L->a, k), t.dim, VK_NUM, NULL};
}
