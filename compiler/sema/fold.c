/*
 * fold.c - builds IR expressions for sema, folding constants as it goes, so that every param, variant and
 * unit conversion of a sweep point is a plain IR_CONST by the time the engines see it.
 * Must not: report errors.
 * Folding evaluates through ir_eval (compiler/ir/ir.c), the engines' own evaluator, so a folded constant is
 * exactly what the kernel would have computed (the same exp, the same min/max tie rule).
 */
#include "sema/internal.h"

#include <math.h>

struct ir_expr *fold_const(struct arena *a, double v) { return ir_const(a, v); }

struct ir_expr *fold_var(struct arena *a, int index) { return ir_var(a, index); }

bool fold_is_const(const struct ir_expr *e, double *v)
{
    if (!e || e->op != IR_CONST)
        return false;
    if (v)
        *v = e->value;
    return true;
}

double fold_eval_op(enum ir_op op, double x, double y, double z)
{
    struct ir_expr cx = {.op = IR_CONST, .value = x}, cy = {.op = IR_CONST, .value = y};
    struct ir_expr cz = {.op = IR_CONST, .value = z};
    struct ir_expr e = {.op = op, .a = &cx, .b = &cy, .c = &cz};
    return ir_eval(&e, NULL, NULL, NULL);
}

static bool is_rand(enum ir_op op)
{
    return op == IR_RAND_UNIFORM || op == IR_RAND_NORMAL || op == IR_RAND_LOGNORMAL ||
           op == IR_RAND_EXPONENTIAL;
}

struct ir_expr *fold_node(struct arena *a, enum ir_op op, struct ir_expr *x, struct ir_expr *y, struct ir_expr *z)
{
    int n = ir_op_arity[op];
    double vx = 0, vy = 0, vz = 0;
    bool cx = fold_is_const(x, &vx), cy = n < 2 || fold_is_const(y, &vy), cz = n < 3 || fold_is_const(z, &vz);
    if (!is_rand(op) && op != IR_TABLE && cx && cy && cz)
        return fold_const(a, fold_eval_op(op, vx, vy, vz));
    /* A constant condition picks its branch; the other one is never evaluated by the kernel anyway. */
    if (op == IR_SELECT && cx)
        return vx != 0 ? y : z;
    /* Identities that are exact in IEEE arithmetic for finite x: x + 0, x - 0, x * 1, x / 1.
     * (x + 0 maps -0 to +0, which no comparison or later arithmetic here can tell apart.) */
    if ((op == IR_ADD || op == IR_SUB) && cy && vy == 0)
        return x;
    if (op == IR_ADD && cx && vx == 0)
        return y;
    if ((op == IR_MUL || op == IR_DIV) && cy && vy == 1)
        return x;
    if (op == IR_MUL && cx && vx == 1)
        return y;
    struct ir_expr *e = arena_alloc(a, sizeof *e);
    e->op = op;
    e->a = x;
    e->b = n >= 2 ? y : NULL;
    e->c = n >= 3 ? z : NULL;
    return e;
}

bool fold_uses_var(const struct ir_expr *e, int var)
{
    if (!e)
        return false;
    if (e->op == IR_VAR)
        return e->index == var;
    return fold_uses_var(e->a, var) || fold_uses_var(e->b, var) || fold_uses_var(e->c, var);
}

bool fold_uses_any_var(const struct ir_expr *e)
{
    if (!e)
        return false;
    if (e->op == IR_VAR)
        return true;
    return fold_uses_any_var(e->a) || fold_uses_any_var(e->b) || fold_uses_any_var(e->c);
}

bool fold_has_rand(const struct ir_expr *e)
{
    if (!e)
        return false;
    return is_rand(e->op) || fold_has_rand(e->a) || fold_has_rand(e->b) || fold_has_rand(e->c);
}

bool fold_equal(const struct ir_expr *a, const struct ir_expr *b)
{
    if (!a || !b)
        return a == b;
    if (a->op != b->op)
        return false;
    if (a->op == IR_CONST)
        return a->value == b->value || (isnan(a->value) && isnan(b->value));
    if (a->op == IR_VAR)
        return a->index == b->index;
    return fold_equal(a->a, b->a) && fold_equal(a->b, b->b) && fold_equal(a->c, b->c);
}

struct ir_expr *fold_subst(struct arena *a, struct ir_expr *e, int var, struct ir_expr *r)
{
    if (!e)
        return NULL;
    if (e->op == IR_VAR)
        return e->index == var ? r : e;
    if (e->op == IR_CONST)
        return e;
    if (e->op == IR_TABLE) {   /* keeps its table, which fold_node does not know */
        struct ir_expr *c = arena_alloc(a, sizeof *c);
        *c = *e;
        c->a = fold_subst(a, e->a, var, r);
        return c;
    }
    return fold_node(a, e->op, fold_subst(a, e->a, var, r), fold_subst(a, e->b, var, r),
                     fold_subst(a, e->c, var, r));
}

int fold_first_var(const struct ir_expr *e)
{
    if (!e)
        return -1;
    if (e->op == IR_VAR)
        return e->index;
    int k = fold_first_var(e->a);
    if (k < 0)
        k = fold_first_var(e->b);
    if (k < 0)
        k = fold_first_var(e->c);
    return k;
}
