/*
 * ir.c - the IR's tables, constructors, the one scalar evaluator (ir_eval) and the textual dump.
 *
 * Owns: the operation semantics that both engines must reproduce bit for bit (ir_eval is the reference:
 * the interpreter runs it, and compiler/codegen emits the same IEEE operations in the same order), and
 * the `balnet dump --emit=ir` format.
 * Must not: allocate outside the arena, print anywhere but the FILE it is given, or know about LLVM or the
 * runtime.  Random draws go through the caller's `draw` callback (the runtime's Philox streams).
 */
#include "ir/ir.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- tables ----------------------------------------------------------------------------------- */

const char *const ir_op_name[IR_OP_COUNT] = {
#define X(name, str, arity) [IR_##name] = str,
    IR_OPS(X)
#undef X
};

const int ir_op_arity[IR_OP_COUNT] = {
#define X(name, str, arity) [IR_##name] = arity,
    IR_OPS(X)
#undef X
};

const char *const ir_stat_names[IR_STAT_COUNT] = {
#define X(name, str) [IR_STAT_##name] = str,
    IR_STATS(X)
#undef X
};

const char *const ir_solver_name[] = {
    [IR_SOLVER_NONE] = "none",
    [IR_SOLVER_EXACT] = "exact",
    [IR_SOLVER_EXP_EULER] = "exp_euler",
    [IR_SOLVER_EULER] = "euler",
    [IR_SOLVER_RK2] = "rk2",
    [IR_SOLVER_EXACT_OU] = "exact_ou",
    [IR_SOLVER_EXP_EULER_OU] = "exp_euler_ou",
    [IR_SOLVER_EULER_MARUYAMA] = "euler_maruyama",
};

const char *const ir_rule_name[] = {
    [IR_RULE_BERNOULLI] = "bernoulli",
    [IR_RULE_IN_DEGREE] = "in_degree",
    [IR_RULE_OUT_DEGREE] = "out_degree",
    [IR_RULE_ONE_TO_ONE] = "one_to_one",
    [IR_RULE_ALL_TO_ALL] = "all_to_all",
};

const char *const ir_pl_where_name[] = {
    [IR_PL_SYN] = "per synapse",
    [IR_PL_PRE] = "per source",
    [IR_PL_POST] = "per target",
};

int ir_kernel_count(const struct ir_model *m)
{
    for (int j = 0; j < m->nprojs; j++)
        if (m->projs[j].plastic)
            return m->npops + m->nprojs;
    return m->npops;
}

/* ---- constructors ----------------------------------------------------------------------------- */

struct ir_expr *ir_const(struct arena *a, double v)
{
    struct ir_expr *e = arena_alloc(a, sizeof *e);
    e->op = IR_CONST;
    e->value = v;
    return e;
}

struct ir_expr *ir_var(struct arena *a, int index)
{
    struct ir_expr *e = arena_alloc(a, sizeof *e);
    e->op = IR_VAR;
    e->index = index;
    return e;
}

struct ir_expr *ir_node(struct arena *a, enum ir_op op, struct ir_expr *x, struct ir_expr *y, struct ir_expr *z)
{
    struct ir_expr *e = arena_alloc(a, sizeof *e);
    e->op = op;
    e->a = x;
    e->b = y;
    e->c = z;
    return e;
}

/* ---- queries ---------------------------------------------------------------------------------- */

static bool is_rand(enum ir_op op)
{
    return op == IR_RAND_UNIFORM || op == IR_RAND_NORMAL || op == IR_RAND_LOGNORMAL || op == IR_RAND_EXPONENTIAL;
}

bool ir_expr_is_const(const struct ir_expr *e)
{
    if (!e)
        return true;
    if (e->op == IR_VAR || is_rand(e->op))
        return false;
    return ir_expr_is_const(e->a) && ir_expr_is_const(e->b) && ir_expr_is_const(e->c);
}

bool ir_expr_uses_var(const struct ir_expr *e, int var)
{
    if (!e)
        return false;
    if (e->op == IR_VAR)
        return e->index == var;
    return ir_expr_uses_var(e->a, var) || ir_expr_uses_var(e->b, var) || ir_expr_uses_var(e->c, var);
}

bool ir_eval_const(const struct ir_expr *e, double *out)
{
    if (!e || !ir_expr_is_const(e))
        return false;
    *out = ir_eval(e, NULL, NULL, NULL);
    return true;
}

/* ---- the scalar evaluator --------------------------------------------------------------------- */

static double truth(bool b)
{
    return b ? 1.0 : 0.0;
}

/*
 * fmin/fmax with the tie pinned down.  C leaves the sign of fmin(+0, -0) unspecified and libms differ
 * (glibc x86-64 returns the second operand, AArch64's fminnm returns -0), and llvm.minnum may return either,
 * so neither can be the reference for a bit-identical contract.  Defined here: a NaN operand yields the
 * other operand (C's fmin), and on a tie (including +0 vs -0) the second operand -- which is what glibc
 * does on x86-64.  cg_expr.c emits exactly these compares and a select.
 */
double ir_fmin(double a, double b)
{
    return (a < b || b != b) ? a : b;
}

double ir_fmax(double a, double b)
{
    return (a > b || b != b) ? a : b;
}

/* The operations cg_expr.c emits for IR_TABLE, in the same order. */
double ir_table_at(const struct ir_table *t, double time)
{
    double k = ir_fmin(ir_fmax(floor((time - t->t0) / t->h + 1e-6), 0), (double)(t->n - 1));
    return t->v[(int64_t)k];
}

/*
 * Every case is one IEEE operation or one libm call, so compiler/codegen can mirror it node by node
 * (cg_expr.c has the same switch).  Operands are evaluated a, b, c in that order with explicit sequencing:
 * it matters only for RAND_* nodes, whose draws advance the caller's stream, but there it makes the drawn
 * values independent of the C compiler's argument evaluation order.
 */
double ir_eval(const struct ir_expr *e, const double *vars, ir_draw_fn draw, void *ctx)
{
    switch (e->op) {
    case IR_CONST:
        return e->value;
    case IR_VAR:
        return vars ? vars[e->index] : NAN;
    default:
        break;
    }
    int arity = ir_op_arity[e->op];
    double a = 0, b = 0, c = 0;
    if (arity >= 1)
        a = ir_eval(e->a, vars, draw, ctx);
    if (arity >= 2)
        b = ir_eval(e->b, vars, draw, ctx);
    if (arity >= 3)
        c = ir_eval(e->c, vars, draw, ctx);
    switch (e->op) {
    case IR_NEG: return -a;
    case IR_ADD: return a + b;
    case IR_SUB: return a - b;
    case IR_MUL: return a * b;
    case IR_DIV: return a / b;
    case IR_POW: return pow(a, b);
    case IR_MIN: return ir_fmin(a, b);
    case IR_MAX: return ir_fmax(a, b);
    case IR_LT: return truth(a < b);
    case IR_LE: return truth(a <= b);
    case IR_GT: return truth(a > b);
    case IR_GE: return truth(a >= b);
    case IR_EQ: return truth(a == b);
    case IR_NE: return truth(a != b);
    case IR_AND: return truth((a != 0) & (b != 0));
    case IR_OR: return truth((a != 0) | (b != 0));
    case IR_NOT: return truth(a == 0);
    case IR_SELECT: return a != 0 ? b : c;
    case IR_EXP: return ir_exp(a);
    case IR_EXPM1: return expm1(a);
    case IR_LOG: return log(a);
    case IR_SQRT: return sqrt(a);
    case IR_ABS: return fabs(a);
    case IR_TANH: return tanh(a);
    case IR_SIN: return sin(a);
    case IR_COS: return cos(a);
    case IR_ISFINITE: return truth(isfinite(a));
    case IR_TABLE: return ir_table_at(e->table, a);
    case IR_RAND_UNIFORM:
    case IR_RAND_NORMAL:
    case IR_RAND_LOGNORMAL:
    case IR_RAND_EXPONENTIAL:
        return draw ? draw(ctx, e->op, a, b) : NAN;
    case IR_CONST:
    case IR_VAR:
    case IR_OP_COUNT:
        break;
    }
    return NAN;
}

/* ---- the single-precision evaluator ------------------------------------------------------------ */

bool ir_op_single_in_double(enum ir_op op)
{
    switch (op) {
    case IR_POW: case IR_EXPM1: case IR_LOG: case IR_TANH: case IR_SIN: case IR_COS: case IR_TABLE:
        return true;
    default:
        return false;
    }
}

bool ir_single_recip(const struct ir_expr *divisor, float *r)
{
    if (divisor->op != IR_CONST || !isfinite(divisor->value) || divisor->value == 0)
        return false;
    float q = (float)(1.0 / divisor->value);
    if (!isfinite(q) || q == 0)
        return false;
    *r = q;
    return true;
}

float ir_fminf(float a, float b)
{
    return (a < b || b != b) ? a : b;
}

float ir_fmaxf(float a, float b)
{
    return (a > b || b != b) ? a : b;
}

static float truthf(bool b)
{
    return b ? 1.0f : 0.0f;
}

/*
 * ir_eval's cases in float: constants rounded to the nearest float, every +, -, *, /, compare and select a
 * float operation (C evaluates float expressions in float on every target balnet builds for: FLT_EVAL_METHOD
 * 0 with SSE or NEON, and the build has -ffp-contract=off), exp by ir_expf, sqrt and fabs in float (both
 * exact or correctly rounded, so sqrtf equals llvm.sqrt.f32); the calls of ir_op_single_in_double in
 * double on the widened operands, rounded once to float.
 */
float ir_evalf(const struct ir_expr *e, const float *vars)
{
    switch (e->op) {
    case IR_CONST:
        return (float)e->value;
    case IR_VAR:
        return vars ? vars[e->index] : NAN;
    default:
        break;
    }
    int arity = ir_op_arity[e->op];
    float a = 0, b = 0, c = 0;
    if (arity >= 1)
        a = ir_evalf(e->a, vars);
    if (arity >= 2)
        b = ir_evalf(e->b, vars);
    if (arity >= 3)
        c = ir_evalf(e->c, vars);
    switch (e->op) {
    case IR_NEG: return -a;
    case IR_ADD: return a + b;
    case IR_SUB: return a - b;
    case IR_MUL: return a * b;
    case IR_DIV: {
        float r;
        return ir_single_recip(e->b, &r) ? a * r : a / b;
    }
    case IR_POW: return (float)pow(a, b);
    case IR_MIN: return ir_fminf(a, b);
    case IR_MAX: return ir_fmaxf(a, b);
    case IR_LT: return truthf(a < b);
    case IR_LE: return truthf(a <= b);
    case IR_GT: return truthf(a > b);
    case IR_GE: return truthf(a >= b);
    case IR_EQ: return truthf(a == b);
    case IR_NE: return truthf(a != b);
    case IR_AND: return truthf((a != 0) & (b != 0));
    case IR_OR: return truthf((a != 0) | (b != 0));
    case IR_NOT: return truthf(a == 0);
    case IR_SELECT: return a != 0 ? b : c;
    case IR_EXP: return ir_expf(a);
    case IR_EXPM1: return (float)expm1(a);
    case IR_LOG: return (float)log(a);
    case IR_SQRT: return sqrtf(a);
    case IR_ABS: return fabsf(a);
    case IR_TANH: return (float)tanh(a);
    case IR_SIN: return (float)sin(a);
    case IR_COS: return (float)cos(a);
    case IR_ISFINITE: return truthf(isfinite(a));
    case IR_TABLE: return (float)ir_table_at(e->table, a);
    default:
        break;   /* RAND_*: never in a kernel (sema and the code generator reject them) */
    }
    return NAN;
}

/* ---- printing --------------------------------------------------------------------------------- */

/* Shortest "%.*g" that reads back as the same double, so dumps are both readable and exact. */
static void print_double(FILE *out, double v)
{
    char buf[40];
    for (int prec = 6; prec <= 17; prec++) {
        snprintf(buf, sizeof buf, "%.*g", prec, v);
        if (strtod(buf, NULL) == v || isnan(v))
            break;
    }
    fputs(buf, out);
}

/* Binding strength for infix printing, mirroring docs/language.md (higher binds tighter). */
static int prec_of(enum ir_op op)
{
    switch (op) {
    case IR_SELECT: return 1;
    case IR_OR: return 2;
    case IR_AND: return 3;
    case IR_LT: case IR_LE: case IR_GT: case IR_GE: case IR_EQ: case IR_NE: return 4;
    case IR_ADD: case IR_SUB: return 5;
    case IR_MUL: case IR_DIV: return 6;
    case IR_NEG: case IR_NOT: return 7;
    case IR_POW: return 8;
    default: return 9;     /* constants, variables, calls */
    }
}

static const char *infix_sym(enum ir_op op)
{
    switch (op) {
    case IR_ADD: return "+";
    case IR_SUB: return "-";
    case IR_MUL: return "*";
    case IR_DIV: return "/";
    case IR_POW: return "^";
    case IR_LT: return "<";
    case IR_LE: return "<=";
    case IR_GT: return ">";
    case IR_GE: return ">=";
    case IR_EQ: return "==";
    case IR_NE: return "!=";
    case IR_AND: return "&&";
    case IR_OR: return "||";
    default: return NULL;
    }
}

static void print_sub(FILE *out, const struct ir_expr *e, const struct ir_pop *p, int min_prec)
{
    /* A negative constant reads like a unary minus: "a - (-1)", "(-2)^x". */
    int pr = e->op == IR_CONST && signbit(e->value) ? prec_of(IR_NEG) : prec_of(e->op);
    bool paren = pr < min_prec;
    if (paren)
        fputc('(', out);
    ir_expr_print(out, e, p);
    if (paren)
        fputc(')', out);
}

void ir_expr_print(FILE *out, const struct ir_expr *e, const struct ir_pop *p)
{
    if (!e) {
        fputs("<none>", out);
        return;
    }
    int pr = prec_of(e->op);
    const char *sym = infix_sym(e->op);
    switch (e->op) {
    case IR_CONST:
        print_double(out, e->value);
        return;
    case IR_VAR:
        if (p && e->index >= 0 && e->index < p->nvars && p->vars[e->index].name)
            fputs(p->vars[e->index].name, out);
        else
            fprintf(out, "$%d", e->index);
        return;
    case IR_NEG:
        fputc('-', out);
        print_sub(out, e->a, p, pr);
        return;
    case IR_NOT:
        fputc('!', out);
        print_sub(out, e->a, p, pr);
        return;
    case IR_SELECT:
        print_sub(out, e->a, p, pr + 1);
        fputs(" ? ", out);
        print_sub(out, e->b, p, pr + 1);
        fputs(" : ", out);
        print_sub(out, e->c, p, pr);
        return;
    default:
        break;
    }
    if (sym) {
        /* Left-associative operators: the right operand needs parentheses at equal precedence;
         * '^' is right-associative, so the left one does.  Comparisons are non-associative: both. */
        int lp = pr, rp = pr + 1;
        if (e->op == IR_POW) {
            lp = pr + 1;
            rp = pr;
        } else if (pr == 4) {
            lp = pr + 1;
        }
        if (pr >= prec_of(IR_ADD) && e->b->op == IR_CONST && signbit(e->b->value))
            rp = prec_of(IR_NEG) + 1;      /* "V - (-1)", never "V - -1" */
        print_sub(out, e->a, p, lp);
        fprintf(out, " %s ", sym);
        print_sub(out, e->b, p, rp);
        return;
    }
    /* Function-call form: exp(x), min(a, b), uniform(lo, hi), timed("f.csv:col", t). */
    fprintf(out, "%s(", ir_op_name[e->op]);
    if (e->op == IR_TABLE)
        fprintf(out, "\"%s\", ", e->table->name);
    const struct ir_expr *args[3] = {e->a, e->b, e->c};
    for (int i = 0; i < ir_op_arity[e->op]; i++) {
        if (i)
            fputs(", ", out);
        ir_expr_print(out, args[i], p);
    }
    fputc(')', out);
}

/* ---- dimensions as units ---------------------------------------------------------------------- */

/* Internal units with a name of their own (SI exponents m, kg, s, A, K, mol, cd, whole numbers). */
static const struct {
    int8_t e[DIM_COUNT];
    const char *unit;
} dim_units[] = {
    {{2, 1, -3, -1, 0, 0, 0}, "mV"},
    {{0, 0, 1, 0, 0, 0, 0}, "ms"},
    {{0, 0, 0, 1, 0, 0, 0}, "pA"},
    {{-2, -1, 3, 2, 0, 0, 0}, "nS"},
    {{-2, -1, 4, 2, 0, 0, 0}, "pF"},
    {{0, 0, 1, 1, 0, 0, 0}, "fC"},
    {{2, 1, -3, -2, 0, 0, 0}, "Gohm"},
};

/* Appends "name" raised to q twelfths ("", "^2", "^0.5", "^(1/3)"), preceded by sep when not first. */
static size_t put_power(char *buf, size_t n, size_t len, const char *sep, const char *name, int q)
{
    if (len >= n)
        return len;
    int w;
    int g = q, d = DIM_DEN;
    for (int a = g < 0 ? -g : g, b = d; b;) {   /* gcd, to reduce q/12 */
        int t = a % b;
        a = b;
        b = t;
        if (!b)
            g = a;
    }
    int num = q / g, den = DIM_DEN / g;
    if (q == DIM_DEN)
        w = snprintf(buf + len, n - len, "%s%s", sep, name);
    else if (den == 1)
        w = snprintf(buf + len, n - len, "%s%s^%d", sep, name, num);
    else if (den == 2 || den == 4)
        w = snprintf(buf + len, n - len, "%s%s^%g", sep, name, (double)q / DIM_DEN);
    else
        w = snprintf(buf + len, n - len, "%s%s^(%d/%d)", sep, name, num, den);
    return w < 0 ? n : len + (size_t)w;
}

/* "num/den/den" from the (name, power) terms, left to right as unit text reads. */
static void put_terms(char *buf, size_t n, const char *const *names, const int *q, int nt)
{
    size_t len = 0;
    buf[0] = 0;
    for (int i = 0; i < nt; i++)
        if (q[i] > 0)
            len = put_power(buf, n, len, len ? "*" : "", names[i], q[i]);
    if (!len)
        len = put_power(buf, n, len, "", "1", DIM_DEN);
    for (int i = 0; i < nt; i++)
        if (q[i] < 0)
            len = put_power(buf, n, len, "/", names[i], -q[i]);
}

bool ir_dim_unit(struct ir_dim d, char *buf, size_t n)
{
    if (n == 0)
        return false;
    /* a named unit, possibly times a power of ms ("mV/ms^0.5", "nS*ms"); mV, ms, pA first */
    for (size_t i = 0; i < sizeof dim_units / sizeof dim_units[0]; i++) {
        bool rest_in_s = true;
        for (int k = 0; k < DIM_COUNT; k++)
            rest_in_s = rest_in_s && (k == DIM_S || d.e[k] == dim_units[i].e[k] * DIM_DEN);
        if (!rest_in_s)
            continue;
        const char *names[2] = {dim_units[i].unit, "ms"};
        int q[2] = {DIM_DEN, d.e[DIM_S] - dim_units[i].e[DIM_S] * DIM_DEN};
        if (!strcmp(dim_units[i].unit, "ms")) {
            q[0] = d.e[DIM_S];
            q[1] = 0;
        }
        put_terms(buf, n, names, q, 2);
        return true;
    }
    /* V^k pA^b ms^a: every dimension whose metres and kilograms come as m^2 kg (the volt's) */
    if (d.e[DIM_M] == 2 * d.e[DIM_KG] && !d.e[DIM_K] && !d.e[DIM_MOL] && !d.e[DIM_CD]) {
        int k = d.e[DIM_KG];
        const char *names[3] = {"mV", "pA", "ms"};
        int q[3] = {k, d.e[DIM_A] + k, d.e[DIM_S] + 3 * k};
        put_terms(buf, n, names, q, 3);
        return true;
    }
    /* SI base units, space separated as in "m^-3 mol" */
    static const char *const base[DIM_COUNT] = {"m", "kg", "s", "A", "K", "mol", "cd"};
    size_t len = 0;
    buf[0] = 0;
    for (int k = 0; k < DIM_COUNT; k++)
        if (d.e[k])
            len = put_power(buf, n, len, len ? " " : "", base[k], d.e[k]);
    if (!len)
        snprintf(buf, n, "1");
    return false;
}

static void print_dim(FILE *out, struct ir_dim d)
{
    char buf[96];
    ir_dim_unit(d, buf, sizeof buf);
    fputs(buf, out);
}

static const char *var_kind_name(enum ir_var_kind k)
{
    switch (k) {
    case IR_VAR_STATE: return "state";
    case IR_VAR_RECEPTOR: return "receptor";
    case IR_VAR_REFRACTORY: return "refractory";
    case IR_VAR_NOISE: return "white noise";
    case IR_VAR_PARAM: return "per-neuron constant";
    }
    return "?";
}

/* the one variable of an input's rate_t: t, in ms */
static const struct ir_var time_var = {.name = "t"};
static const struct ir_pop time_pop = {.nvars = 1, .vars = (struct ir_var *)&time_var};

void ir_input_rate_print(FILE *out, const struct ir_input *in)
{
    fprintf(out, "  %s = poisson[%" PRId64 "] rate ", in->name, in->size);
    ir_expr_print(out, in->rate_t, &time_pop);
    fprintf(out, " 1/ms (t in ms, once per step), correlation %g, jitter %g ms\n", in->corr, in->jitter);
}

static const char *var_name(const struct ir_pop *p, int k)
{
    return k >= 0 && k < p->nvars && p->vars[k].name ? p->vars[k].name : "?";
}

static void dump_pop(FILE *out, const struct ir_pop *p, int index)
{
    fprintf(out, "population %s = %s[%" PRId64 "]   # kernel bn_pop_%d\n", p->name ? p->name : "?",
            p->neuron ? p->neuron : "?", p->size, index);
    for (int k = 0; k < p->nvars; k++) {
        const struct ir_var *v = &p->vars[k];
        fprintf(out, "  var %d %s: %s [", k, var_name(p, k), var_kind_name(v->kind));
        print_dim(out, v->dim);
        fputs("] init ", out);
        if (v->table)
            fprintf(out, "per_neuron(\"%s\")", v->table_file ? v->table_file : "?");
        else
            ir_expr_print(out, v->init, p);
        fputc('\n', out);
    }
    for (int u = 0; u < p->nupdates; u++) {
        const struct ir_update *up = &p->updates[u];
        fprintf(out, "  update %s (%s%s):\n", var_name(p, up->var), ir_solver_name[up->solver],
                up->frozen ? ", frozen when refractory" : "");
        if (up->rhs) {
            fprintf(out, "    d%s/dt = ", var_name(p, up->var));
            ir_expr_print(out, up->rhs, p);
            fputc('\n', out);
        }
        fprintf(out, "    %s <- ", var_name(p, up->var));
        ir_expr_print(out, up->next, p);
        fputc('\n', out);
        if (up->frozen && up->held) {
            fprintf(out, "    %s <- ", var_name(p, up->var));
            ir_expr_print(out, up->held, p);
            fputs("   while refractory\n", out);
        }
    }
    if (p->spike_cond) {
        fputs("  spike when ", out);
        ir_expr_print(out, p->spike_cond, p);
        if (p->spike_var >= 0)
            fprintf(out, " or %s not finite", var_name(p, p->spike_var));
        fputc('\n', out);
    } else {
        fputs("  never spikes\n", out);
    }
    for (int r = 0; r < p->nresets; r++) {
        fprintf(out, "  reset %s = ", var_name(p, p->resets[r].var));
        ir_expr_print(out, p->resets[r].value, p);
        fputc('\n', out);
    }
    if (p->refr_var >= 0) {
        fprintf(out, "  refractory ");
        print_double(out, p->refr_steps);
        fprintf(out, " steps (counter %s)\n", var_name(p, p->refr_var));
    }
    for (int j = 0; j < p->nobs; j++) {
        fprintf(out, "  observable %d %s [", j, p->obs[j].name ? p->obs[j].name : "?");
        print_dim(out, p->obs[j].dim);
        fputs("] = ", out);
        ir_expr_print(out, p->obs[j].expr, p);
        fputc('\n', out);
    }
    /* kernel step 8: the statistics' sums the kernel adds itself */
    static const char *const kind[] = {"sum", "moments", "comoments"};
    for (int k = 0; k < p->naccums; k++) {
        const struct ir_accum *a = &p->accums[k];
        fprintf(out, "  accumulate %s of observable %d", kind[a->kind], a->obs);
        if (a->kind == IR_ACC_COMOMENTS)
            fprintf(out, " and %d", a->obs2);
        if (a->has_clip) {
            fputs(" clipped at ", out);
            print_double(out, a->clip);
        }
        fprintf(out, " (record %d, statistic %d%s), columns %d..%d\n", a->rec, a->stat, a->role ? ", y" : "",
                a->col, a->col + (a->kind == IR_ACC_SUM ? 0 : a->kind == IR_ACC_MOMENTS ? 2 : 4));
    }
}

static const char *ref_name(const struct ir_model *m, struct ir_ref r)
{
    if (r.is_input)
        return r.index >= 0 && r.index < m->ninputs ? m->inputs[r.index].name : "?";
    return r.index >= 0 && r.index < m->npops ? m->pops[r.index].name : "?";
}

static void dump_stmts(FILE *out, const struct ir_pop *post, const struct ir_plastic *pl, const char *what,
                       const struct ir_pl_stmt *st, int n)
{
    for (int i = 0; i < n; i++) {
        int d = st[i].dst;
        fprintf(out, "  %s: %s %s ", what, d >= pl->base ? pl->states[d - pl->base].name : post ? var_name(post, d) : "?",
                st[i].post_inc ? "+=" : "=");
        ir_expr_print(out, st[i].value, post);
        fputc('\n', out);
    }
}

/* Event frame indices at and above base print as $k (k = base + slot; then now, t_pre, t_post). */
static void dump_plastic(FILE *out, const struct ir_pop *post, const struct ir_plastic *pl)
{
    for (int s = 0; s < pl->nstates; s++) {
        const struct ir_pl_state *st = &pl->states[s];
        fprintf(out, "  state $%d %s: %s, ", pl->base + s, st->name, ir_pl_where_name[st->where]);
        if (st->decays) {
            fputs("between events ", out);
            ir_expr_print(out, pl->bring[s], post);
        } else {
            fputs("constant between events", out);
        }
        fputc('\n', out);
    }
    fprintf(out, "  times $%d now, $%d t_pre, $%d t_post (steps)\n", pl->base + pl->nstates,
            pl->base + pl->nstates + 1, pl->base + pl->nstates + 2);
    dump_stmts(out, post, pl, "on pre", pl->pre, pl->npre);
    dump_stmts(out, post, pl, "on pre, once per spike", pl->pre_own, pl->npre_own);
    dump_stmts(out, post, pl, "on post", pl->post, pl->npost);
    dump_stmts(out, post, pl, "on post, once per spike", pl->post_own, pl->npost_own);
}

static void dump_proj(FILE *out, const struct ir_model *m, const struct ir_proj *pr)
{
    const struct ir_pop *post = pr->post.index >= 0 && pr->post.index < m->npops ? &m->pops[pr->post.index] : NULL;
    fprintf(out, "connect %s -> %s via %s: %s", ref_name(m, pr->pre), ref_name(m, pr->post),
            pr->synapse ? pr->synapse : "?", ir_rule_name[pr->rule]);
    if (pr->rule == IR_RULE_BERNOULLI) {
        fputs("(p = ", out);
        print_double(out, pr->p);
        fputc(')', out);
    } else if (pr->rule == IR_RULE_IN_DEGREE || pr->rule == IR_RULE_OUT_DEGREE) {
        fprintf(out, "(%" PRId64 ")", pr->k);
    }
    if (pr->autapses)
        fputs(" autapses", out);
    fputs("\n  weight ", out);
    ir_expr_print(out, pr->weight, NULL);
    fputs(" [", out);
    print_dim(out, pr->weight_dim);
    fprintf(out, "]%s\n  delay ", pr->weight_const ? " constant" : " per synapse");
    ir_expr_print(out, pr->delay, NULL);
    fprintf(out, " ms%s\n", pr->delay_const ? " constant" : " per synapse");
    for (int i = 0; i < pr->nincs; i++) {
        fprintf(out, "  on spike: %s += ", post ? var_name(post, pr->incs[i].var) : "?");
        print_double(out, pr->incs[i].scale);
        fputs(" * w\n", out);
    }
    if (pr->plastic)
        dump_plastic(out, post, pr->plastic);
}

static void dump_record(FILE *out, const struct ir_model *m, const struct ir_record *r)
{
    fputs("record ", out);
    for (int i = 0; i < r->npops; i++)
        fprintf(out, "%s%s", i ? ", " : "", r->pops[i] >= 0 && r->pops[i] < m->npops ? m->pops[r->pops[i]].name : "?");
    if (r->pooled)
        fputs(r->npops ? ", all" : "all", out);
    fputs(":\n", out);
    for (int s = 0; s < r->nstats; s++) {
        const struct ir_stat *st = &r->stats[s];
        fprintf(out, "  %s = %s", st->name ? st->name : "?", ir_stat_names[st->kind]);
        switch (st->kind) {
        case IR_STAT_FANO:
            fputs("(window ", out);
            print_double(out, st->window);
            fputs(" ms)", out);
            break;
        case IR_STAT_COUNT_CORR:
            fputs("(window ", out);
            print_double(out, st->window);
            fputs(" ms, min_rate ", out);
            print_double(out, st->min_rate);
            fputs(" 1/ms", out);
            if (st->has_from) {
                fputs(", from ", out);
                print_double(out, st->from);
                fputs(" ms", out);
            }
            fputs(")", out);
            break;
        case IR_STAT_MEAN:
        case IR_STAT_VAR:
        case IR_STAT_STD:
            fprintf(out, "(obs %d", st->obs);
            if (st->has_clip) {
                fputs(", clip ", out);
                print_double(out, st->clip);
            }
            if (st->bin > 0) {
                fputs(", bin ", out);
                print_double(out, st->bin);
                fputs(" ms", out);
            }
            fputc(')', out);
            break;
        case IR_STAT_COV:
            fprintf(out, "(obs %d, obs %d)", st->obs, st->obs2);
            break;
        case IR_STAT_DERIVED:
            fputs("(", out);
            ir_expr_print(out, st->derived, NULL);
            fputs(")", out);
            break;
        default:
            break;
        }
        fprintf(out, " [%s]\n", st->unit ? st->unit : "1");
    }
}

/* FNV-1a over the bytes of each field, in a fixed traversal order. */
static uint64_t hash_bytes(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 0x100000001b3ull;
    return h;
}

static uint64_t hash_expr(uint64_t h, const struct ir_expr *e)
{
    if (!e)
        return hash_bytes(h, "-", 1);
    int op = (int)e->op;
    h = hash_bytes(h, &op, sizeof op);
    if (e->op == IR_CONST)
        h = hash_bytes(h, &e->value, sizeof e->value);
    if (e->op == IR_VAR)
        h = hash_bytes(h, &e->index, sizeof e->index);
    if (e->op == IR_TABLE) {   /* the samples are constants of the kernel */
        h = hash_bytes(h, &e->table->t0, sizeof e->table->t0);
        h = hash_bytes(h, &e->table->h, sizeof e->table->h);
        h = hash_bytes(h, e->table->v, sizeof *e->table->v * (size_t)e->table->n);
    }
    for (int i = 0; i < ir_op_arity[e->op]; i++)
        h = hash_expr(h, i == 0 ? e->a : i == 1 ? e->b : e->c);
    return h;
}

uint64_t ir_kernels_hash(const struct ir_model *m)
{
    uint64_t h = 0xcbf29ce484222325ull;
    int prec = (int)m->precision;
    h = hash_bytes(h, &prec, sizeof prec);
    h = hash_bytes(h, &m->npops, sizeof m->npops);
    for (int i = 0; i < m->npops; i++) {
        const struct ir_pop *p = &m->pops[i];
        int ints[5] = {p->nvars, p->nupdates, p->nresets, p->nobs, p->spike_var};
        h = hash_bytes(h, ints, sizeof ints);
        for (int k = 0; k < p->nvars && p->nnoise > 0; k++) {   /* noise terms read the Philox key */
            int f[3] = {(int)p->vars[k].kind, p->vars[k].noise_term, p->index};
            h = hash_bytes(h, f, sizeof f);
        }
        h = hash_bytes(h, &p->refr_var, sizeof p->refr_var);
        h = hash_bytes(h, &p->refr_steps, sizeof p->refr_steps);
        for (int k = 0; k < p->nupdates; k++) {
            const struct ir_update *u = &p->updates[k];
            int f[3] = {u->var, (int)u->solver, u->frozen};
            h = hash_bytes(h, f, sizeof f);
            h = hash_expr(h, u->next);
            h = hash_expr(h, u->held);
        }
        h = hash_expr(h, p->spike_cond);
        for (int k = 0; k < p->nresets; k++) {
            h = hash_bytes(h, &p->resets[k].var, sizeof p->resets[k].var);
            h = hash_expr(h, p->resets[k].value);
        }
        for (int k = 0; k < p->nobs; k++)
            h = hash_expr(h, p->obs[k].expr);
        h = hash_bytes(h, &p->naccums, sizeof p->naccums);
        for (int k = 0; k < p->naccums; k++) {
            const struct ir_accum *a = &p->accums[k];
            int f[5] = {(int)a->kind, a->obs, a->obs2, a->has_clip, a->col};
            h = hash_bytes(h, f, sizeof f);
            if (a->has_clip)
                h = hash_bytes(h, &a->clip, sizeof a->clip);
        }
    }
    /* plastic projections' event functions are kernels too (static models hash as before) */
    for (int j = 0; ir_kernel_count(m) > m->npops && j < m->nprojs; j++) {
        const struct ir_plastic *pl = m->projs[j].plastic;
        int f[8] = {pl != NULL, pl ? pl->nstates : 0, pl ? pl->base : 0, pl ? pl->npre : 0, pl ? pl->npost : 0,
                    pl ? pl->npre_own : 0, pl ? pl->npost_own : 0, m->projs[j].post.index};
        h = hash_bytes(h, f, sizeof f);
        if (!pl)
            continue;
        for (int s = 0; s < pl->nstates; s++) {
            int w = (int)pl->states[s].where;
            h = hash_bytes(h, &w, sizeof w);
            h = hash_expr(h, pl->bring[s]);
        }
        const struct ir_pl_stmt *lists[4] = {pl->pre, pl->pre_own, pl->post, pl->post_own};
        int ns[4] = {pl->npre, pl->npre_own, pl->npost, pl->npost_own};
        for (int l = 0; l < 4; l++)
            for (int i = 0; i < ns[l]; i++) {
                int d[2] = {lists[l][i].dst, lists[l][i].post_inc};
                h = hash_bytes(h, d, sizeof d);
                h = hash_expr(h, lists[l][i].value);
            }
    }
    return h;
}

const char *const ir_phase_name[IR_PHASE_COUNT] = {
#define X(name, str) str,
    IR_PHASES(X)
#undef X
};

void ir_dump(FILE *out, const struct ir_model *m)
{
    fprintf(out, "model %s: dt ", m->name ? m->name : "?");
    print_double(out, m->dt);
    fputs(" ms, duration ", out);
    print_double(out, m->duration);
    fputs(" ms, burn_in ", out);
    print_double(out, m->burn_in);
    fprintf(out, " ms, seed %" PRIu64 ", precision %s\n", m->seed, m->precision == IR_SINGLE ? "single" : "double");
    if (m->norder > 0) {
        fputs("order", out);
        for (int k = 0; k < m->norder; k++)
            fprintf(out, "%s%s", k ? ", " : " ", ir_phase_name[m->order[k]]);
        fputc('\n', out);
    }
    for (int i = 0; i < m->npops; i++)
        dump_pop(out, &m->pops[i], i);
    for (int i = 0; i < m->ninputs; i++) {
        const struct ir_input *in = &m->inputs[i];
        if (in->kind == IR_INPUT_FILE) {
            fprintf(out, "input %s = spikes[%" PRId64 "](\"%s\")\n", in->name, in->size, in->path ? in->path : "");
            continue;
        }
        fprintf(out, "input %s = poisson[%" PRId64 "](rate ", in->name, in->size);
        if (in->rate_t)
            ir_expr_print(out, in->rate_t, &time_pop);
        else
            print_double(out, in->rate);
        fputs(" 1/ms, correlation ", out);
        print_double(out, in->corr);
        fputs(", jitter ", out);
        print_double(out, in->jitter);
        fputs(" ms)\n", out);
    }
    for (int i = 0; i < m->nprojs; i++)
        dump_proj(out, m, &m->projs[i]);
    for (int i = 0; i < m->nrecords; i++)
        dump_record(out, m, &m->records[i]);
}
