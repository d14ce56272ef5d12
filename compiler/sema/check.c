/*
 * check.c - the evaluator: resolves names, checks dimensions and folds one expression in a scope at the
 * sweep point being lowered.  Every expression of a model goes through check_expr().
 *
 * Owns: the dimension rules of docs/language.md (a mismatch names both dimensions), built-in functions
 * and random initialisers, variant comparisons (`syn == conductance` is a constant), and the rule that
 * only the taken arm of a constant `?:` is checked.  Must not: allocate IR outside fold.c's builders or
 * know the statement structure (lower.c).
 */
#include "sema/internal.h"

#include <math.h>
#include <string.h>

static struct val num(struct ir_expr *ir, struct ir_dim d)
{
    return (struct val){ir, d, VK_NUM, NULL};
}

static struct val boolean(struct ir_expr *ir)
{
    return (struct val){ir, {{0}}, VK_BOOL, NULL};
}

const char *dimname(struct lctx *L, struct ir_dim d)
{
    char buf[96];
    return arena_strdup(L->a, unit_dim_name(d, buf, sizeof buf));
}

const char *check_show(struct lctx *L, double v, struct ir_dim d)
{
    char buf[96];
    double sc = 1;
    const char *u = unit_display(d, &sc, buf, sizeof buf);
    return strcmp(u, "1") ? arena_printf(L->a, "%g %s", v * sc, u) : arena_printf(L->a, "%g", v);
}

bool check_dim(struct lctx *L, struct val v, struct ir_dim want, struct span at, const char *what)
{
    if (!v.ir)
        return false;
    if (v.kind != VK_NUM) {
        diag_error(L->d, at, "%s must be %s, not a %s", what, dimname(L, want),
                   v.kind == VK_BOOL ? "condition" : "variant alternative");
        return false;
    }
    if (!unit_dim_eq(v.dim, want)) {
        diag_error(L->d, at, "%s must be %s but is %s", what, dimname(L, want), dimname(L, v.dim));
        return false;
    }
    return true;
}

bool check_norand(struct lctx *L, struct val v, struct span at, const char *what)
{
    if (v.ir && fold_has_rand(v.ir)) {
        diag_error(L->d, at, "%s cannot use a random draw (only state initial values, weights and delays can)",
                   what);
        return false;
    }
    return v.ir != NULL;
}

bool check_const(struct lctx *L, struct val v, struct span at, const char *what, double *out)
{
    if (!v.ir)
        return false;
    if (!check_norand(L, v, at, what))
        return false;
    if (!fold_is_const(v.ir, out)) {
        diag_error(L->d, at, "%s must be a constant (params and numbers only)", what);
        return false;
    }
    return true;
}

static bool need_num(struct lctx *L, struct val v, struct span at)
{
    if (!v.ir)
        return false;
    if (v.kind == VK_BOOL) {
        diag_error(L->d, at, "expected a number, found a condition");
        return false;
    }
    if (v.kind == VK_ALT) {
        diag_error(L->d, at, "expected a number, found the variant alternative '%s'", v.alt);
        return false;
    }
    return true;
}

static bool need_bool(struct lctx *L, struct val v, struct span at)
{
    if (!v.ir)
        return false;
    if (v.kind != VK_BOOL) {
        diag_error(L->d, at, "expected a condition (a comparison, true or false)");
        return false;
    }
    return true;
}

struct val check_binding(struct lctx *L, struct binding *b, struct span use)
{
    switch (b->kind) {
    case BK_VALUE:
    case BK_WEIGHT:
        return b->val;
    case BK_ISYN:
        if (L->derived)
            break;
        return lower_isyn(L, b->at->pop, use);
    case BK_GSYN:
        if (L->derived)
            break;
        return lower_gsyn(L, b->at->pop, use);
    case BK_TIME:
        if (L->derived)
            break;
        return lower_time(L, b->at->pop, use);
    case BK_EXPR:
    case BK_STATE:
        if (b->kind == BK_STATE && L->derived)
            break;
        if (b->memo == 1) {
            diag_error(L->d, use, "'%s' is defined in terms of itself", b->name);
            diag_note(L->d, b->span, "%s '%s' declared here", b->what, b->name);
            b->memo = 2;
            b->val = val_bad();
        } else if (b->memo == 0) {
            b->memo = 1;
            struct val v = b->owner && hetero_is_file(b->expr) ? hetero_file(L, b) : check_expr(L, b->at, b->expr);
            if (b->owner && v.ir && v.kind == VK_NUM && fold_has_rand(v.ir))
                v = hetero_param(L, b, v);   /* a distribution: one value per neuron (hetero.c) */
            if (b->memo == 1)
                b->val = b->outside ? lower_outside(L, b, v) : v;
            b->memo = 2;
        }
        if (b->kind == BK_STATE)
            return b->val.ir ? num(fold_var(L->a, b->var), b->val.dim) : val_bad();
        if (L->derived && b->owner && b->val.ir && fold_uses_any_var(b->val.ir)) {
            diag_error(L->d, use, "'%s' differs between neurons (it is drawn per neuron): a derived statistic can "
                       "use it only inside a statistic such as mean(%s)", b->name, b->name);
            return val_bad();
        }
        return b->val;
    }
    diag_error(L->d, use, "'%s' varies in time: a derived statistic can use it only inside a statistic such as "
               "mean(%s)", b->name, b->name);
    return val_bad();
}

/* ---- operators -------------------------------------------------------------------------------- */

/* A folded operation whose operands are finite must give a finite value: `param Z = 1/0` used in a
 * current would otherwise run, every V = inf counting as a spike (issue 11).  A non-finite operand
 * (the built-in `inf`, e.g. a threshold that never fires) may propagate; NaN never may. */
static struct val folded_finite(struct lctx *L, struct val r, struct span at, enum ir_op op, struct ir_expr *x,
                         struct ir_expr *y)
{
    double v, vx = 0, vy = 0;
    if (!r.ir || !fold_is_const(r.ir, &v) || isfinite(v))
        return r;
    bool cx = fold_is_const(x, &vx), cy = !y || fold_is_const(y, &vy);
    if (!isnan(v) && (!cx || !isfinite(vx) || (y && (!cy || !isfinite(vy)))))
        return r;
    const char *why = "the result is too large";
    if (isnan(v))
        why = "the result is undefined";
    if (op == IR_DIV && vy == 0)
        why = "division by zero";
    else if (op == IR_LOG && vx <= 0)
        why = vx == 0 ? "log() of zero" : "log() of a negative number";
    else if (op == IR_SQRT && vx < 0)
        why = "sqrt() of a negative number";
    else if (op == IR_POW && vx == 0 && vy < 0)
        why = "zero to a negative power";
    else if (op == IR_POW && vx < 0)
        why = "a negative number to a non-integer power";
    diag_error(L->d, at, "this expression is %s (%s); a value must be finite", isnan(v) ? "nan" : v > 0 ? "inf" : "-inf",
               why);
    return val_bad();
}

static struct val binary(struct lctx *L, struct scope *s, struct ast_node *e)
{
    enum ast_binop op = e->binary.op;
    struct span at = e->span;
    if (op == AST_AND || op == AST_OR) {
        struct val x = check_expr(L, s, e->binary.lhs), y = check_expr(L, s, e->binary.rhs);
        if (!need_bool(L, x, e->binary.lhs->span) | !need_bool(L, y, e->binary.rhs->span))
            return val_bad();
        return boolean(fold_node(L->a, op == AST_AND ? IR_AND : IR_OR, x.ir, y.ir, NULL));
    }
    struct val x = check_expr(L, s, e->binary.lhs), y = check_expr(L, s, e->binary.rhs);
    if (!x.ir || !y.ir)
        return val_bad();
    if ((op == AST_EQ || op == AST_NE) && (x.kind == VK_ALT || y.kind == VK_ALT)) {
        if (x.kind != VK_ALT || y.kind != VK_ALT) {
            diag_error(L->d, at, "a variant can only be compared with one of its alternatives");
            return val_bad();
        }
        bool eq = strcmp(x.alt, y.alt) == 0;
        return boolean(fold_const(L->a, (op == AST_EQ) == eq));
    }
    if (!need_num(L, x, e->binary.lhs->span) | !need_num(L, y, e->binary.rhs->span))
        return val_bad();
    switch (op) {
    case AST_ADD:
    case AST_SUB:
        if (!unit_dim_eq(x.dim, y.dim)) {
            if (op == AST_ADD)
                diag_error(L->d, at, "cannot add %s and %s", dimname(L, x.dim), dimname(L, y.dim));
            else
                diag_error(L->d, at, "cannot subtract %s from %s", dimname(L, y.dim), dimname(L, x.dim));
            return val_bad();
        }
        return folded_finite(L, num(fold_node(L->a, op == AST_ADD ? IR_ADD : IR_SUB, x.ir, y.ir, NULL), x.dim), at,
                      IR_ADD, x.ir, y.ir);
    case AST_MUL:
        return folded_finite(L, num(fold_node(L->a, IR_MUL, x.ir, y.ir, NULL), unit_dim_mul(x.dim, y.dim)), at, IR_MUL,
                      x.ir, y.ir);
    case AST_DIV:
        return folded_finite(L, num(fold_node(L->a, IR_DIV, x.ir, y.ir, NULL), unit_dim_div(x.dim, y.dim)), at, IR_DIV,
                      x.ir, y.ir);
    case AST_POW: {
        if (!unit_is_dimless(y.dim)) {
            diag_error(L->d, e->binary.rhs->span, "an exponent must be dimensionless, not %s", dimname(L, y.dim));
            return val_bad();
        }
        if (unit_is_dimless(x.dim))
            return folded_finite(L, num(fold_node(L->a, IR_POW, x.ir, y.ir, NULL), x.dim), at, IR_POW, x.ir, y.ir);
        /* a constant rational power: mV^2, Hz^0.5, (mV^2/ms)^0.5 (exponents in twelfths, ir.h DIM_DEN) */
        double n;
        struct ir_dim d;
        if (!fold_is_const(y.ir, &n) || !unit_dim_powq(x.dim, n, &d)) {
            diag_error(L->d, e->binary.rhs->span,
                       "the exponent of a quantity with a unit (%s) must be a constant multiple of 1/%d "
                       "(2, -1, 0.5, 1.5, ...)", dimname(L, x.dim), DIM_DEN);
            return val_bad();
        }
        return folded_finite(L, num(fold_node(L->a, IR_POW, x.ir, y.ir, NULL), d), at, IR_POW, x.ir, y.ir);
    }
    default: {
        if (!unit_dim_eq(x.dim, y.dim)) {
            diag_error(L->d, at, "cannot compare %s with %s", dimname(L, x.dim), dimname(L, y.dim));
            return val_bad();
        }
        static const enum ir_op cmp[] = {[AST_LT] = IR_LT, [AST_LE] = IR_LE, [AST_GT] = IR_GT,
                                         [AST_GE] = IR_GE, [AST_EQ] = IR_EQ, [AST_NE] = IR_NE};
        return boolean(fold_node(L->a, cmp[op], x.ir, y.ir, NULL));
    }
    }
}

/* ---- calls ------------------------------------------------------------------------------------ */

static const char *const builtin_funcs[] = {"exp", "log", "log10", "sqrt", "abs", "min", "max", "pow",
                                            "tanh", "sin", "cos", "floor", "ceil", "uniform", "normal",
                                            "lognormal", "exponential", "clip", NULL};

/* The arguments of a draw that are constants must describe a distribution (rng.h): sd >= 0, low <= high,
 * an exponential's mean >= 0, a lognormal's mean > 0 (its log-space mu is log(mean) - s^2/2).  A bad one
 * would give NaN or negative values at run time, found late and without a location. */
static bool draw_args_ok(struct lctx *L, struct ast_node *e, enum ir_op op, const struct val *v)
{
    double a = 0, b = 0;
    bool ca = fold_is_const(v[0].ir, &a), cb = op != IR_RAND_EXPONENTIAL && fold_is_const(v[1].ir, &b);
    struct span s0 = e->call.args.items[0]->span;
    struct span s1 = op != IR_RAND_EXPONENTIAL ? e->call.args.items[1]->span : s0;
    const char *f = e->call.name;
    if ((ca && !isfinite(a)) || (cb && !isfinite(b))) {
        diag_error(L->d, ca && !isfinite(a) ? s0 : s1, "the arguments of %s() must be finite", f);
        return false;
    }
    if (op == IR_RAND_UNIFORM && ca && cb && a > b) {
        diag_error(L->d, e->span, "uniform(low, high) needs low <= high, but low is %s and high is %s",
                   check_show(L, a, v[0].dim), check_show(L, b, v[1].dim));
        diag_note(L->d, e->span, "write uniform(%s, %s)", check_show(L, b, v[1].dim), check_show(L, a, v[0].dim));
        return false;
    }
    if ((op == IR_RAND_NORMAL || op == IR_RAND_LOGNORMAL) && cb && b < 0) {
        diag_error(L->d, s1, "the standard deviation of %s() cannot be negative (it is %s)", f,
                   check_show(L, b, v[1].dim));
        return false;
    }
    if (op == IR_RAND_LOGNORMAL && ca && !(a > 0)) {
        diag_error(L->d, s0, "the mean of lognormal(mean, sd) must be positive (it is %s): a lognormal value is "
                   "always positive", check_show(L, a, v[0].dim));
        return false;
    }
    if (op == IR_RAND_EXPONENTIAL && ca && a < 0) {
        diag_error(L->d, s0, "the mean of exponential() cannot be negative (it is %s)", check_show(L, a, v[0].dim));
        return false;
    }
    return true;
}

/* The fraction of values of e below bound b when e is a draw with constant arguments (rng.h's
 * parametrisations), else -1 (unknown).  Constants count as 0 or 1. */
double check_fraction_below(const struct ir_expr *e, double b)
{
    double x, a = 0, s = 0;
    if (fold_is_const(e, &x))
        return x < b ? 1 : 0;
    if (!e || !fold_is_const(e->a, &a) || (e->op != IR_RAND_EXPONENTIAL && !fold_is_const(e->b, &s)))
        return -1;
    switch (e->op) {
    case IR_RAND_UNIFORM:   /* uniform(a, s) */
        return b <= a ? 0 : b >= s ? 1 : (b - a) / (s - a);
    case IR_RAND_NORMAL:    /* P(a + s Z < b) */
        return s == 0 ? (a < b ? 1 : 0) : 0.5 * erfc((a - b) / (s * sqrt(2.0)));
    case IR_RAND_EXPONENTIAL:
        return b <= 0 ? 0 : a == 0 ? 1 : -expm1(-b / a);
    case IR_RAND_LOGNORMAL: {   /* log X ~ N(mu, s2) with mu = log a - s2/2, s2 = log(1 + s^2/a^2) */
        if (b <= 0)
            return 0;
        double s2 = log1p((s * s) / (a * a)), mu = log(a) - 0.5 * s2;
        return s2 == 0 ? (a < b ? 1 : 0) : 0.5 * erfc((mu - log(b)) / sqrt(2.0 * s2));
    }
    default:
        return -1;
    }
}

static struct val call(struct lctx *L, struct scope *s, struct ast_node *e)
{
    const char *f = e->call.name;
    if (lower_is_recording_name(f)) {
        /* a recording writes a file (runtime/trace.h); it has no value an expression could use */
        diag_error(L->d, e->call.name_span, "the recording %s() is an entry of a record on its own, not a value", f);
        return val_bad();
    }
    if (L->derived && lower_is_stat_name(f))
        return lower_stat_call(L, s, e);
    if (!strcmp(f, "stat"))     /* a statistic measured at another sweep point (measured.c) */
        return measured_call(L, s, e);
    if (!strcmp(f, "per_neuron")) {   /* hetero.c reads it where a neuron's param is bound */
        diag_error(L->d, e->span, "per_neuron() is only the whole value of a neuron's param or of a population "
                   "argument (write the unit in the file: 10.5 nS)");
        return val_bad();
    }
    if (!strcmp(f, "syn"))      /* a receptor state of one synapse into this neuron (lower_plastic.c) */
        return plastic_syn_call(L, s, e);
    int nargs = e->call.args.n;
    struct val v[3] = {{0}};
    for (int i = 0; i < nargs; i++) {
        struct ast_node *arg = e->call.args.items[i];
        if (arg->bind.name) {
            diag_error(L->d, arg->bind.name_span, "%s() takes no named arguments", f);
            return val_bad();
        }
    }
    int want = -1;
    for (int i = 0; builtin_funcs[i]; i++)
        if (strcmp(f, builtin_funcs[i]) == 0)
            want = (!strcmp(f, "min") || !strcmp(f, "max") || !strcmp(f, "pow") || !strcmp(f, "uniform") ||
                    !strcmp(f, "normal") || !strcmp(f, "lognormal"))
                       ? 2
                   : !strcmp(f, "clip") ? 3
                                        : 1;
    if (want < 0) {
        struct diag_suggest sg = {.name = f};
        for (int i = 0; builtin_funcs[i]; i++)
            diag_suggest(&sg, builtin_funcs[i]);
        if (lower_is_stat_name(f))
            diag_error(L->d, e->call.name_span, "the statistic %s() can only be used in a record", f);
        else
            diag_error(L->d, e->call.name_span, "unknown function '%s'%s", f, diag_suggestion(L->d, &sg, ""));
        return val_bad();
    }
    if (nargs != want) {
        diag_error(L->d, e->span, "%s() takes %d argument%s, not %d", f, want, want == 1 ? "" : "s", nargs);
        return val_bad();
    }
    bool ok = true;
    for (int i = 0; i < nargs; i++) {
        v[i] = check_expr(L, s, e->call.args.items[i]->bind.value);
        ok &= need_num(L, v[i], e->call.args.items[i]->span);
    }
    if (!ok)
        return val_bad();
    struct span a0 = e->call.args.items[0]->span;
    struct ir_dim d0 = v[0].dim;
    if (want == 3 && (!unit_dim_eq(d0, v[1].dim) || !unit_dim_eq(d0, v[2].dim))) {
        diag_error(L->d, e->span, "the arguments of %s() must have the same dimension, not %s, %s and %s", f,
                   dimname(L, d0), dimname(L, v[1].dim), dimname(L, v[2].dim));
        return val_bad();
    }
    if (want == 2 && strcmp(f, "pow") != 0 && !unit_dim_eq(d0, v[1].dim)) {
        diag_error(L->d, e->span, "the arguments of %s() must have the same dimension, not %s and %s", f,
                   dimname(L, d0), dimname(L, v[1].dim));
        return val_bad();
    }
    struct arena *A = L->a;
    if (!strcmp(f, "exp") || !strcmp(f, "log") || !strcmp(f, "log10") || !strcmp(f, "tanh") || !strcmp(f, "sin") ||
        !strcmp(f, "cos")) {
        if (!unit_is_dimless(d0)) {
            diag_error(L->d, a0, "the argument of %s() must be dimensionless, not %s", f, dimname(L, d0));
            return val_bad();
        }
        enum ir_op op = !strcmp(f, "exp") ? IR_EXP : !strcmp(f, "log") || !strcmp(f, "log10") ? IR_LOG
                        : !strcmp(f, "tanh") ? IR_TANH : !strcmp(f, "sin") ? IR_SIN : IR_COS;
        struct val r = folded_finite(L, num(fold_node(A, op, v[0].ir, NULL, NULL), d0), e->span, op, v[0].ir, NULL);
        if (r.ir && !strcmp(f, "log10"))   /* log10 x = log x / log 10 (no log10 op in the IR) */
            r.ir = fold_node(A, IR_DIV, r.ir, fold_const(A, log(10.0)), NULL);
        return r;
    }
    if (!strcmp(f, "sqrt")) {
        struct ir_dim h;
        if (!unit_dim_sqrt(d0, &h)) {
            diag_error(L->d, a0, "cannot take the square root of %s (a power that is not a multiple of 1/%d)",
                       dimname(L, d0), DIM_DEN / 2);
            return val_bad();
        }
        return folded_finite(L, num(fold_node(A, IR_SQRT, v[0].ir, NULL, NULL), h), e->span, IR_SQRT, v[0].ir, NULL);
    }
    if (!strcmp(f, "abs"))
        return num(fold_node(A, IR_ABS, v[0].ir, NULL, NULL), d0);
    if (!strcmp(f, "min") || !strcmp(f, "max"))
        return num(fold_node(A, !strcmp(f, "min") ? IR_MIN : IR_MAX, v[0].ir, v[1].ir, NULL), d0);
    if (!strcmp(f, "clip"))   /* clip(x, lo, hi) = min(max(x, lo), hi): bounds of a plastic weight */
        return num(fold_node(A, IR_MIN, fold_node(A, IR_MAX, v[0].ir, v[1].ir, NULL), v[2].ir, NULL), d0);
    if (!strcmp(f, "floor") || !strcmp(f, "ceil")) {
        double x;
        if (!check_const(L, v[0], a0, "the argument of floor()/ceil()", &x))
            return val_bad();
        return num(fold_const(A, !strcmp(f, "floor") ? floor(x) : ceil(x)), d0);
    }
    if (!strcmp(f, "pow")) {
        struct ast_node fake = *e;
        fake.kind = AST_BINARY;
        fake.binary.op = AST_POW;
        fake.binary.lhs = e->call.args.items[0]->bind.value;
        fake.binary.rhs = e->call.args.items[1]->bind.value;
        return binary(L, s, &fake);
    }
    /* random draws: kept in the IR, evaluated by the runtime per entity */
    enum ir_op op = !strcmp(f, "uniform") ? IR_RAND_UNIFORM : !strcmp(f, "normal") ? IR_RAND_NORMAL
                    : !strcmp(f, "lognormal") ? IR_RAND_LOGNORMAL : IR_RAND_EXPONENTIAL;
    if (!draw_args_ok(L, e, op, v))
        return val_bad();
    return num(fold_node(A, op, v[0].ir, want == 2 ? v[1].ir : NULL, NULL), d0);
}

/* ---- the evaluator ---------------------------------------------------------------------------- */

struct val check_expr(struct lctx *L, struct scope *s, struct ast_node *e)
{
    switch (e->kind) {
    case AST_NUMBER: {
        if (!e->num.unit)
            return num(fold_const(L->a, e->num.value), unit_dimless());
        struct ir_dim d;
        struct unit_scale sc;
        char err[128];
        if (!unit_parse(e->num.unit, strlen(e->num.unit), &d, &sc, err, sizeof err)) {
            diag_error(L->d, e->num.unit_span, "%s", err);
            return val_bad();
        }
        return num(fold_const(L->a, unit_apply(e->num.value, sc)), d);
    }
    case AST_NAME: {
        struct binding *b = scope_lookup(s, e->name.id);
        if (!b && noise_is_name(e->name.id))   /* white noise (noise.c), unless the model names something xi */
            return noise_lookup(L, s->pop, e->name.id, e->span);
        if (!b) {
            scope_undefined(L, s, e->name.id, e->span, "name");
            return val_bad();
        }
        return check_binding(L, b, e->span);
    }
    case AST_BOOL:
        return boolean(fold_const(L->a, e->boolean ? 1 : 0));
    case AST_UNARY: {
        struct val x = check_expr(L, s, e->unary.operand);
        if (e->unary.op == AST_NOT) {
            if (!need_bool(L, x, e->unary.operand->span))
                return val_bad();
            return boolean(fold_node(L->a, IR_NOT, x.ir, NULL, NULL));
        }
        if (!need_num(L, x, e->unary.operand->span))
            return val_bad();
        return e->unary.op == AST_NEG ? num(fold_node(L->a, IR_NEG, x.ir, NULL, NULL), x.dim) : x;
    }
    case AST_BINARY:
        return binary(L, s, e);
    case AST_COND: {
        struct val c = check_expr(L, s, e->cond.cond);
        if (!need_bool(L, c, e->cond.cond->span))
            return val_bad();
        double cv;
        if (fold_is_const(c.ir, &cv))   /* only the taken arm is checked (docs/language.md, Variants) */
            return check_expr(L, s, cv != 0 ? e->cond.then : e->cond.els);
        struct val x = check_expr(L, s, e->cond.then), y = check_expr(L, s, e->cond.els);
        if (!x.ir || !y.ir)
            return val_bad();
        if (x.kind != y.kind || (x.kind == VK_NUM && !unit_dim_eq(x.dim, y.dim))) {
            diag_error(L->d, e->span, "the arms of '?:' differ: %s and %s",
                       x.kind == VK_NUM ? dimname(L, x.dim) : "a condition",
                       y.kind == VK_NUM ? dimname(L, y.dim) : "a condition");
            return val_bad();
        }
        struct val r = x;
        r.ir = fold_node(L->a, IR_SELECT, c.ir, x.ir, y.ir);
        return r;
    }
    case AST_CALL:
        return call(L, s, e);
    case AST_STRING:
        diag_error(L->d, e->span, "a string is not a value here");
        return val_bad();
    case AST_LIST:
    case AST_RANGE:
        diag_error(L->d, e->span, "a %s is only allowed as a sweep axis", e->kind == AST_LIST ? "list" : "range");
        return val_bad();
    default:
        diag_error(L->d, e->span, "expected an expression");
        return val_bad();
    }
}
