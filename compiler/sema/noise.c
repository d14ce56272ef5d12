/*
 * noise.c - white noise in differential equations (issue 13): the names `xi` and `xi_NAME`, and the
 * discrete update of an ODE that contains them.
 *
 * Owns: which noise term a name denotes, the Ito reading of a noisy ODE, and the choice among the three
 * stochastic schemes.  Must not: know about the AST beyond spans, or draw numbers (the kernels do:
 * ir.h ir_noise_normal).
 *
 * Language.  `xi` is Gaussian white noise of dimension time^-1/2: <xi(t) xi(t')> = delta(t - t').  Every
 * neuron has its own.  A plain `xi` is a separate noise for each ODE it appears in; `xi_NAME` is one noise
 * per neuron shared by every ODE that names it (two variables driven by the same fluctuation).  Each noise
 * term becomes an IR_VAR_NOISE variable of the population, a fresh standard normal N each step.
 *
 * Discretisation of dx/dt = f(x) + sum_k g_k xi_k (Ito; each g_k free of every xi):
 *   f = a x + b, a and b constant or b held over the step, every g_k free of x (additive noise):
 *     EXACT_OU      x' = x e^{a dt} + b (e^{a dt} - 1)/a + sum_k g_k sqrt((e^{2 a dt} - 1)/(2 a)) N_k
 *                   the exact transition of the Ornstein-Uhlenbeck process: mean and variance are exact
 *                   for any dt (Gillespie, Phys. Rev. E 54:2084, 1996, eq. 1.9); a = 0 gives x + b dt +
 *                   g sqrt(dt) N, exact Brownian motion with drift.
 *   f = a x + b with a state-dependent (V under conductances), additive noise:
 *     EXP_EULER_OU  the same formula with a, b and g_k frozen at the start of the step, the variance factor
 *                   guarded by a select at a == 0 (stochastic exponential Euler; Jentzen & Kloeden,
 *                   Proc. R. Soc. A 465:649, 2009).
 *   anything else (a nonlinear drift, or multiplicative noise: some g_k reads x):
 *     EULER_MARUYAMA  x' = x + f dt + sum_k g_k sqrt(dt) N_k, with f and g_k at the start of the step, which
 *                   converges to the Ito solution (strong order 1/2, weak order 1; Kloeden & Platen 1992,
 *                   ch. 9 and 14).  Multiplicative noise is therefore read as Ito; a Stratonovich model must
 *                   add its drift correction (g/2) dg/dx itself.
 * `method euler` forces Euler-Maruyama; `method exact` or `exp_euler` with multiplicative noise, or `rk2`
 * with any noise, is an error (the midpoint rule is not a consistent scheme for an SDE).
 */
#include "sema/internal.h"

#include <math.h>
#include <string.h>

bool noise_is_name(const char *name)
{
    return !strcmp(name, "xi") || (!strncmp(name, "xi_", 3) && name[3]);
}

struct val noise_lookup(struct lctx *L, struct lpop *p, const char *name, struct span use)
{
    struct val bad = {NULL, {{0}}, VK_NUM, NULL};
    if (!p || L->noise_ode < 0) {
        diag_error(L->d, use, "white noise '%s' can only appear in a differential equation "
                   "(dV/dt = ... + sigma*sqrt(2/tau)*%s)", name, name);
        return bad;
    }
    /* plain xi: one per equation; xi_NAME: one per neuron */
    const char *key = !strcmp(name, "xi")
                          ? arena_printf(L->a, "xi@%s", ((struct ir_var *)p->vars.items[L->noise_ode])->name)
                          : name;
    int k = -1, nnoise = 0;
    for (int i = 0; i < p->vars.len; i++) {
        struct ir_var *v = p->vars.items[i];
        if (v->kind != IR_VAR_NOISE)
            continue;
        nnoise++;
        if (!strcmp(v->name, key))
            k = i;
    }
    if (k < 0) {
        if (nnoise >= 0xffff) {
            diag_error(L->d, use, "too many white-noise terms in one population (at most 65535)");
            return bad;
        }
        k = lower_add_var(L, p, key, IR_VAR_NOISE, use);
        struct ir_var *v = p->vars.items[k];
        v->noise_term = nnoise;
        v->init = fold_const(L->a, 0);
        unit_dim_powq(unit_dim_time(), -0.5, &v->dim);
    }
    struct ir_var *v = p->vars.items[k];
    return (struct val){fold_var(L->a, k), v->dim, VK_NUM, NULL};
}

bool noise_in(const struct ir_expr *e, struct ir_var *const *vars, int nvars)
{
    for (int k = 0; k < nvars; k++)
        if (vars[k]->kind == IR_VAR_NOISE && fold_uses_var(e, k))
            return true;
    return false;
}

static struct ir_expr *node(struct arena *ar, enum ir_op op, struct ir_expr *x, struct ir_expr *y)
{
    return fold_node(ar, op, x, y, NULL);
}

static struct ir_expr *k_(struct arena *ar, double v)
{
    return fold_const(ar, v);
}

bool noise_discretise(struct arena *ar, struct ir_expr *rhs, int x, struct ir_var *const *vars, int nvars, double dt,
                      enum sema_method m, const struct solver_cols *cols, enum ir_solver *solver,
                      struct ir_expr **next, const char **why)
{
    /* split rhs = drift + sum_k g_k xi_k */
    struct ir_expr *drift = rhs;
    struct ir_expr *g[64];
    int term[64], ng = 0;
    for (int k = 0; k < nvars; k++) {
        if (vars[k]->kind != IR_VAR_NOISE || !fold_uses_var(rhs, k))
            continue;
        struct ir_expr *gk, *rest;
        if (!solver_linear(ar, drift, k, &gk, &rest) || !gk) {
            *why = "white noise must enter linearly, as a term g*xi (xi inside a function, a product of two noises "
                   "or xi/xi is not white noise times a coefficient)";
            return false;
        }
        for (int j = 0; j < nvars; j++)
            if (vars[j]->kind == IR_VAR_NOISE && fold_uses_var(gk, j)) {
                *why = "the coefficient of a white noise cannot contain white noise";
                return false;
            }
        if (ng == 64) {
            *why = "at most 64 white-noise terms in one equation";
            return false;
        }
        g[ng] = gk;
        term[ng++] = k;
        drift = rest ? rest : k_(ar, 0);   /* not g*0, which stays an expression when g reads a column */
    }
    bool multiplicative = false;
    for (int i = 0; i < ng; i++)
        multiplicative = multiplicative || fold_uses_var(g[i], x);
    if (m == SEMA_METHOD_RK2) {
        *why = "method rk2 is not defined for an equation with white noise; use euler (Euler-Maruyama) or auto";
        return false;
    }
    if (multiplicative && (m == SEMA_METHOD_EXACT || m == SEMA_METHOD_EXP_EULER)) {
        *why = "multiplicative noise (a coefficient of xi that depends on the variable itself) is integrated "
               "with Euler-Maruyama in the Ito sense; use method euler or auto";
        return false;
    }

    struct ir_expr *a = NULL, *b = NULL;
    bool lin = solver_linear(ar, drift, x, &a, &b);
    double av = 0, bv = 0;
    bool aconst = !a || fold_is_const(a, &av), bconst = !b || fold_is_const(b, &bv);
    struct ir_expr *X = fold_var(ar, x);
    struct ir_expr *det, *sd;   /* x' = det + sum_k g_k sd N_k */
    bool sd_col = false;        /* sd reads per-neuron constants: a column unless folded into the amplitudes */

    bool em = m == SEMA_METHOD_EULER || multiplicative || !lin || (m == SEMA_METHOD_AUTO && !a && !bconst);
    bool acol = cols && a && !aconst && cols->time_const(cols->ctx, a);   /* heterogeneous params (hetero.c) */
    if (!em && acol && m != SEMA_METHOD_EXP_EULER) {
        /* the exact OU step with per-neuron propagator columns computed at build time */
        *solver = IR_SOLVER_EXACT_OU;
        struct ir_expr *adt = node(ar, IR_MUL, a, k_(ar, dt));
        struct ir_expr *two_a = node(ar, IR_MUL, k_(ar, 2), a);
        struct ir_expr *P = cols->column(cols->ctx, fold_node(ar, IR_EXP, adt, NULL, NULL), "P", unit_dimless());
        /* sd = sqrt((e^{2 a dt} - 1)/(2a)) (sqrt(dt) where a == 0): folded below into each term's amplitude
         * column, or a column of its own (sd_col) when an amplitude varies in time */
        sd = fold_node(ar, IR_SQRT,
                       fold_node(ar, IR_SELECT, node(ar, IR_NE, a, k_(ar, 0)),
                                 node(ar, IR_DIV, fold_node(ar, IR_EXPM1, node(ar, IR_MUL, two_a, k_(ar, dt)), NULL, NULL),
                                      two_a),
                                 k_(ar, dt)),
                       NULL, NULL);
        sd_col = true;
        det = node(ar, IR_MUL, X, P);
        if (b && !(fold_is_const(b, &bv) && bv == 0)) {   /* phi = (e^{a dt} - 1)/a, a time (dt where a == 0) */
            struct ir_expr *phi = cols->column(
                cols->ctx, fold_node(ar, IR_SELECT, node(ar, IR_NE, a, k_(ar, 0)),
                                     node(ar, IR_DIV, fold_node(ar, IR_EXPM1, adt, NULL, NULL), a), k_(ar, dt)),
                "phi", unit_dim_time());
            det = node(ar, IR_ADD, det, node(ar, IR_MUL, b, phi));
        }
    } else if (!em && aconst && (a || bconst) && m != SEMA_METHOD_EXP_EULER) {
        *solver = IR_SOLVER_EXACT_OU;
        if (av == 0) {
            det = node(ar, IR_ADD, X, node(ar, IR_MUL, b ? b : k_(ar, 0), k_(ar, dt)));
            sd = k_(ar, sqrt(dt));
        } else {
            double P = exp(av * dt), phi = expm1(av * dt) / av;
            det = node(ar, IR_MUL, X, k_(ar, P));
            if (b)
                det = node(ar, IR_ADD, det, node(ar, IR_MUL, b, k_(ar, phi)));
            sd = k_(ar, sqrt(expm1(2 * av * dt) / (2 * av)));
        }
    } else if (!em) {
        if (m == SEMA_METHOD_EXACT) {
            *why = "method exact needs a drift a*x + b with a constant coefficient a";
            return false;
        }
        *solver = IR_SOLVER_EXP_EULER_OU;
        if (!a)
            a = k_(ar, 0);
        if (!b)
            b = k_(ar, 0);
        struct ir_expr *nz = node(ar, IR_NE, a, k_(ar, 0));
        struct ir_expr *adt = node(ar, IR_MUL, a, k_(ar, dt));
        struct ir_expr *phi = fold_node(ar, IR_SELECT, nz, node(ar, IR_DIV, fold_node(ar, IR_EXPM1, adt, NULL, NULL), a),
                                        k_(ar, dt));
        struct ir_expr *two_a = node(ar, IR_MUL, k_(ar, 2), a);
        struct ir_expr *phi2 = fold_node(ar, IR_SELECT, nz,
                                         node(ar, IR_DIV, fold_node(ar, IR_EXPM1, node(ar, IR_MUL, two_a, k_(ar, dt)),
                                                                    NULL, NULL),
                                              two_a),
                                         k_(ar, dt));
        det = node(ar, IR_ADD, node(ar, IR_MUL, X, fold_node(ar, IR_EXP, adt, NULL, NULL)), node(ar, IR_MUL, b, phi));
        sd = fold_node(ar, IR_SQRT, phi2, NULL, NULL);
    } else {
        if (m == SEMA_METHOD_EXACT || m == SEMA_METHOD_EXP_EULER) {
            *why = "this method needs a drift linear in the variable";
            return false;
        }
        *solver = IR_SOLVER_EULER_MARUYAMA;
        det = node(ar, IR_ADD, X, node(ar, IR_MUL, k_(ar, dt), drift));
        sd = k_(ar, sqrt(dt));
    }
    for (int i = 0; i < ng; i++) {
        struct ir_expr *amp = node(ar, IR_MUL, g[i], sd);
        if (cols && cols->time_const(cols->ctx, amp)) {   /* per-neuron amplitude: one column, no sqrt per step */
            amp = cols->column(cols->ctx, amp, ng == 1 ? "amp" : arena_printf(ar, "amp%d", i + 1), vars[x]->dim);
        } else if (sd_col) {
            struct ir_dim half;
            unit_dim_sqrt(unit_dim_time(), &half);
            sd = cols->column(cols->ctx, sd, "sd", half);
            sd_col = false;
            amp = node(ar, IR_MUL, g[i], sd);
        }
        det = node(ar, IR_ADD, det, node(ar, IR_MUL, amp, fold_var(ar, term[i])));
    }
    *next = det;
    return true;
}
