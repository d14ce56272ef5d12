/*
 * fold.c - builds IR expressions for sema, folding constants as it goes, so that every param, variant and
 * unit conversion of a sweep point is a plain IR_CONST by the time the engines see it.
 * Must not: depend on compiler/ir/ir.c (sema builds its own nodes; the IR is data) or report errors.
 * The folded operations are the same IEEE double operations ir_eval performs (no fast-math), so folding
 * never changes a result.
 */
#include "sema/internal.h"

#include <math.h>

struct ir_expr *fold_const(struct arena *a, double v)
{
    struct ir_expr *e = arena_alloc(a, sizeof *e);
    e->op = IR_CONST;
    e->value = v;
    return e;
}

struct ir_expr *fold_var(struct arena *a, int index)
{
    struct ir_expr *e = arena_alloc(a, sizeof *e);
    e->op = IR_VAR;
    e->index = index;
    return e;
}

bool fold_is_const(const struct ir_expr *e, double *v)
{
    if (!e || e->op != IR_CONST)
        return false;
    if (v)
        *v = e->value;
    return true;
}

static int arity(enum ir_op op)
{
    switch (op) {
    case IR_CONST: case IR_VAR: return 0;
    case IR_NEG: case IR_NOT: case IR_EXP: case IR_EXPM1: case IR_LOG: case IR_SQRT: case IR_ABS:
    case IR_TANH: case IR_SIN: case IR_COS: case IR_ISFINITE: case IR_RAND_EXPONENTIAL: return 1;
    case IR_SELECT: return 3;
    default: return 2;
    }
}

double fold_eval_op(enum ir_op op, double x, double y, double z)
{
    switch (op) {
    case IR_NEG: return -x;
    case IR_ADD: return x + y;
    case IR_SUB: return x - y;
    case IR_MUL: return x * y;
    case IR_DIV: return x / y;
    case IR_POW: return pow(x, y);
    case IR_MIN: return fmin(x, y);
    case IR_MAX: return fmax(x, y);
    case IR_LT: return x < y;
    case IR_LE: return x <= y;
    case IR_GT: return x > y;
    case IR_GE: return x >= y;
    case IR_EQ: return x == y;
    case IR_NE: return x != y;
    case IR_AND: return (x != 0) & (y != 0);
    case IR_OR: return (x != 0) | (y != 0);
    case IR_NOT: return x == 0;
    case IR_SELECT: return x != 0 ? y : z;
    case IR_EXP: return exp(x);
    case IR_EXPM1: return expm1(x);
    case IR_LOG: return log(x);
    case IR_SQRT: return sqrt(x);
    case IR_ABS: return fabs(x);
    case IR_TANH: return tanh(x);
    case IR_SIN: return sin(x);
    case IR_COS: return cos(x);
    case IR_ISFINITE: return isfinite(x) != 0;
    default: return NAN;
    }
}

static bool is_rand(enum ir_op op)
{
    return op == IR_RAND_UNIFORM || op == IR_RAND_NORMAL || op == IR_RAND_LOGNORMAL ||
           op == IR_RAND_EXPONENTIAL;
}

struct ir_expr *fold_node(struct arena *a, enum ir_op op, struct ir_expr *x, struct ir_expr *y, struct ir_expr *z)
{
    int n = arity(op);
    double vx = 0, vy = 0, vz = 0;
    bool cx = fold_is_const(x, &vx), cy = n < 2 || fold_is_const(y, &vy), cz = n < 3 || fold_is_const(z, &vz);
    if (!is_rand(op) && cx && cy && cz)
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
