/*
 * solver.c - per-ODE choice of the integration scheme and its discrete update (DESIGN.md §2).
 *
 * Owns: the linear decomposition rhs = a*x + b (a, b free of x) by structural recursion, and the
 * update formulas.  Must not: know about the AST or report diagnostics.
 *
 *   a constant               EXACT      x(t+dt) = x e^{a dt} + b (e^{a dt} - 1)/a     (a = 0: x + b dt),
 *                                       the propagator of a linear ODE with constant coefficient, folded at
 *                                       compile time (Rotter & Diesmann, Biol. Cybern. 81, 1999).  Exact when b
 *                                       is constant (synaptic decay); when b reads other variables (LIF driven
 *                                       by synaptic currents) they are held at their start-of-step values,
 *                                       the usual "exact integration" of CUBA-type models with delivery at
 *                                       step boundaries.
 *   a state-dependent        EXP_EULER  the same formula with a, b frozen over the step
 *                                       (MacGregor 1987; Hochbruck & Ostermann 2010, "exponential Euler"),
 *                                       phi = (e^{a dt} - 1)/a guarded by a select at a == 0 (branch-free).
 *   not linear in x          EULER      x + dt f(x), or RK2 (midpoint) when asked.
 * Each ODE is treated alone with the other variables held at their old values (the Jacobi order of ir.h).
 * So a linear system such as the alpha synapse (dx/dt = -x/tau, dy/dt = x - y/tau) gets EXACT for x
 * and EXACT-with-held-input for y (x frozen over the step): first-order accurate coupling, not the exact
 * 2x2 propagator.
 */
#include "sema/internal.h"

#include <math.h>
#include <string.h>

const char *const solver_method_name[] = {"auto", "euler", "rk2", "exp_euler", "exact"};
const char *const solver_name[] = {"none", "exact", "exp_euler", "euler", "rk2", "exact_ou", "exp_euler_ou",
                                   "euler_maruyama"};

bool solver_method_parse(const char *name, enum sema_method *m)
{
    for (int i = 0; i <= SEMA_METHOD_EXACT; i++)
        if (strcmp(name, solver_method_name[i]) == 0) {
            *m = (enum sema_method)i;
            return true;
        }
    return false;
}

static struct ir_expr *add(struct arena *ar, struct ir_expr *x, struct ir_expr *y)
{
    if (!x)
        return y;
    if (!y)
        return x;
    return fold_node(ar, IR_ADD, x, y, NULL);
}

static struct ir_expr *neg(struct arena *ar, struct ir_expr *x)
{
    return x ? fold_node(ar, IR_NEG, x, NULL, NULL) : NULL;
}

static struct ir_expr *mul(struct arena *ar, struct ir_expr *x, struct ir_expr *k)
{
    return x ? fold_node(ar, IR_MUL, x, k, NULL) : NULL;
}

bool solver_linear(struct arena *ar, struct ir_expr *e, int x, struct ir_expr **a, struct ir_expr **b)
{
    *a = *b = NULL;
    if (!fold_uses_var(e, x)) {
        double v;
        if (!(fold_is_const(e, &v) && v == 0))
            *b = e;
        return true;
    }
    struct ir_expr *a1, *b1, *a2, *b2;
    switch (e->op) {
    case IR_VAR:
        *a = fold_const(ar, 1);
        return true;
    case IR_NEG:
        if (!solver_linear(ar, e->a, x, &a1, &b1))
            return false;
        *a = neg(ar, a1);
        *b = neg(ar, b1);
        return true;
    case IR_ADD:
    case IR_SUB:
        if (!solver_linear(ar, e->a, x, &a1, &b1) || !solver_linear(ar, e->b, x, &a2, &b2))
            return false;
        if (e->op == IR_SUB) {
            a2 = neg(ar, a2);
            b2 = neg(ar, b2);
        }
        *a = add(ar, a1, a2);
        *b = add(ar, b1, b2);
        return true;
    case IR_MUL:
        if (!fold_uses_var(e->a, x)) {
            if (!solver_linear(ar, e->b, x, &a1, &b1))
                return false;
            *a = a1 ? fold_node(ar, IR_MUL, e->a, a1, NULL) : NULL;
            *b = b1 ? fold_node(ar, IR_MUL, e->a, b1, NULL) : NULL;
            return true;
        }
        if (!fold_uses_var(e->b, x)) {
            if (!solver_linear(ar, e->a, x, &a1, &b1))
                return false;
            *a = mul(ar, a1, e->b);
            *b = mul(ar, b1, e->b);
            return true;
        }
        return false;
    case IR_DIV:
        if (fold_uses_var(e->b, x) || !solver_linear(ar, e->a, x, &a1, &b1))
            return false;
        *a = a1 ? fold_node(ar, IR_DIV, a1, e->b, NULL) : NULL;
        *b = b1 ? fold_node(ar, IR_DIV, b1, e->b, NULL) : NULL;
        return true;
    default:
        return false;
    }
}

/* x + dt * rhs */
static struct ir_expr *euler(struct arena *ar, struct ir_expr *rhs, int x, double dt)
{
    return fold_node(ar, IR_ADD, fold_var(ar, x), fold_node(ar, IR_MUL, fold_const(ar, dt), rhs, NULL), NULL);
}

/* a per-neuron constant coefficient (hetero.c): the propagator e^{a dt} and phi = (e^{a dt} - 1)/a (dt at
 * a == 0) as per-neuron columns computed at build time, so the update stays exact and costs what the
 * homogeneous one does plus two loads. */
static bool percol(const struct solver_cols *cols, struct ir_expr *e)
{
    return cols && e && cols->time_const(cols->ctx, e);
}

static struct ir_expr *phi_of(struct arena *ar, struct ir_expr *a, struct ir_expr *adt, double dt)
{
    return fold_node(ar, IR_SELECT, fold_node(ar, IR_NE, a, fold_const(ar, 0), NULL),
                     fold_node(ar, IR_DIV, fold_node(ar, IR_EXPM1, adt, NULL, NULL), a, NULL), fold_const(ar, dt));
}

bool solver_discretise(struct arena *ar, struct ir_expr *rhs, int x, double dt, enum sema_method m,
                       const struct solver_cols *cols, enum ir_solver *solver, struct ir_expr **next)
{
    struct ir_expr *a = NULL, *b = NULL;
    bool lin = solver_linear(ar, rhs, x, &a, &b);
    double av = 0, bv = 0;
    bool aconst = !a || fold_is_const(a, &av), bconst = !b || fold_is_const(b, &bv);
    struct ir_expr *X = fold_var(ar, x);

    if (m == SEMA_METHOD_EULER || (m == SEMA_METHOD_AUTO && (!lin || (!a && !bconst)))) {
        /* not linear, or dx/dt free of x and state-dependent: exponential Euler would equal Euler */
        *solver = IR_SOLVER_EULER;
        *next = euler(ar, rhs, x, dt);
        return true;
    }
    if (m == SEMA_METHOD_RK2) {
        /* midpoint: x + dt f(x + dt/2 f(x)), other variables at their old values */
        struct ir_expr *mid = fold_node(ar, IR_ADD, X, fold_node(ar, IR_MUL, fold_const(ar, 0.5 * dt), rhs, NULL), NULL);
        *solver = IR_SOLVER_RK2;
        *next = euler(ar, fold_subst(ar, rhs, x, mid), x, dt);
        return true;
    }
    if (!lin)
        return false;      /* exact / exp_euler asked for a nonlinear rhs */
    if (aconst && (a || bconst) && m != SEMA_METHOD_EXP_EULER) {
        /* constant coefficient: the propagator e^{a dt} and (e^{a dt} - 1)/a are folded here; a
         * state-dependent b (the input from other variables) is held over the step */
        *solver = IR_SOLVER_EXACT;
        if (av == 0) {
            *next = fold_node(ar, IR_ADD, X, fold_node(ar, IR_MUL, b ? b : fold_const(ar, 0), fold_const(ar, dt), NULL),
                              NULL);
            return true;
        }
        double P = exp(av * dt), phi = expm1(av * dt) / av;
        struct ir_expr *nx = fold_node(ar, IR_MUL, X, fold_const(ar, P), NULL);
        *next = b ? fold_node(ar, IR_ADD, nx, fold_node(ar, IR_MUL, b, fold_const(ar, phi), NULL), NULL) : nx;
        return true;
    }
    if (percol(cols, a) && m != SEMA_METHOD_EXP_EULER) {
        struct ir_expr *adt = fold_node(ar, IR_MUL, a, fold_const(ar, dt), NULL);
        struct ir_expr *P = cols->column(cols->ctx, fold_node(ar, IR_EXP, adt, NULL, NULL), "P", unit_dimless());
        *solver = IR_SOLVER_EXACT;
        struct ir_expr *nx = fold_node(ar, IR_MUL, X, P, NULL);
        if (b)   /* phi has the dimension of 1/a, a time */
            nx = fold_node(ar, IR_ADD, nx,
                           fold_node(ar, IR_MUL, b, cols->column(cols->ctx, phi_of(ar, a, adt, dt), "phi",
                                                                 unit_dim_time()), NULL), NULL);
        *next = nx;
        return true;
    }
    if (m == SEMA_METHOD_EXACT)
        return false;
    /* exponential Euler: x e^{a dt} + b phi, phi = expm1(a dt)/a, or dt where a == 0 */
    if (!a)
        a = fold_const(ar, 0);
    if (!b)
        b = fold_const(ar, 0);
    struct ir_expr *adt = fold_node(ar, IR_MUL, a, fold_const(ar, dt), NULL);
    struct ir_expr *phi = phi_of(ar, a, adt, dt);
    *solver = IR_SOLVER_EXP_EULER;
    *next = fold_node(ar, IR_ADD, fold_node(ar, IR_MUL, X, fold_node(ar, IR_EXP, adt, NULL, NULL), NULL),
                      fold_node(ar, IR_MUL, b, phi, NULL), NULL);
    return true;
}
