/*
 * test_ir_eval.c - the IR helpers: ir_eval on every operation (including C's NaN semantics, which the JIT
 * must copy), draw order, constant queries, infix printing and the `--emit=ir` dump.
 * Expected values are exact (tolerance 0): ir_eval performs one IEEE operation or one libm call per node,
 * so the result must be exactly what the same C expression gives.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ir/ir.h"

#include "arena_fixture.h"

static struct ir_expr *C(double v) { return ir_const(&A, v); }
static struct ir_expr *V(int k) { return ir_var(&A, k); }
static struct ir_expr *N1(enum ir_op op, struct ir_expr *a) { return ir_node(&A, op, a, NULL, NULL); }
static struct ir_expr *N2(enum ir_op op, struct ir_expr *a, struct ir_expr *b) { return ir_node(&A, op, a, b, NULL); }

static double ev2(enum ir_op op, double a, double b)
{
    return ir_eval(N2(op, C(a), C(b)), NULL, NULL, NULL);
}
static double ev1(enum ir_op op, double a)
{
    return ir_eval(N1(op, C(a)), NULL, NULL, NULL);
}

static bool same_bits(double x, double y)
{
    return memcmp(&x, &y, sizeof x) == 0;
}


static void test_tables(void **st)
{
    assert_string_equal(ir_op_name[IR_SELECT], "select");
    assert_int_equal(ir_op_arity[IR_SELECT], 3);
    assert_int_equal(ir_op_arity[IR_RAND_EXPONENTIAL], 1);
    assert_string_equal(ir_solver_name[IR_SOLVER_EXP_EULER], "exp_euler");
    assert_string_equal(ir_solver_name[IR_SOLVER_RK2], "rk2");
    assert_string_equal(ir_rule_name[IR_RULE_IN_DEGREE], "in_degree");
    for (int op = 0; op < IR_OP_COUNT; op++)
        assert_non_null(ir_op_name[op]);
}

static void test_arithmetic(void **st)
{
    assert_true(ev1(IR_NEG, 2.5) == -2.5);
    assert_true(same_bits(ev1(IR_NEG, 0.0), -0.0));
    assert_true(ev2(IR_ADD, 0.1, 0.2) == 0.1 + 0.2);
    assert_true(ev2(IR_SUB, 1.0, 0.3) == 1.0 - 0.3);
    assert_true(ev2(IR_MUL, 1.1, 3.0) == 1.1 * 3.0);
    assert_true(ev2(IR_DIV, 1.0, 3.0) == 1.0 / 3.0);
    assert_true(isinf(ev2(IR_DIV, 1.0, 0.0)));
    assert_true(ev2(IR_POW, 2.0, 10.0) == 1024.0);
    assert_true(ev2(IR_POW, 1.7, 2.3) == pow(1.7, 2.3));
    volatile double x = 0.37;
    assert_true(ev1(IR_EXP, x) == ir_exp(x));   /* balnet's own exp (ir_exp.c), within 1 ulp of libm */
    assert_true(fabs(ev1(IR_EXP, x) - exp(x)) <= 2 * nextafter(exp(x), INFINITY) - 2 * exp(x));
    assert_true(ev1(IR_EXPM1, 1e-10) == expm1(1e-10));
    assert_true(ev1(IR_LOG, x) == log(x));
    assert_true(isnan(ev1(IR_LOG, -1.0)));
    assert_true(ev1(IR_SQRT, 2.0) == sqrt(2.0));
    assert_true(ev1(IR_ABS, -3.0) == 3.0);
    assert_true(ev1(IR_TANH, x) == tanh(x));
    assert_true(ev1(IR_SIN, x) == sin(x));
    assert_true(ev1(IR_COS, x) == cos(x));
}

static void test_min_max_nan(void **st)
{
    /* fmin/fmax semantics: a NaN operand yields the other operand. */
    assert_true(ev2(IR_MIN, 1.0, 2.0) == 1.0);
    assert_true(ev2(IR_MAX, 1.0, 2.0) == 2.0);
    assert_true(ev2(IR_MIN, NAN, 2.0) == 2.0);
    assert_true(ev2(IR_MIN, 2.0, NAN) == 2.0);
    assert_true(ev2(IR_MAX, NAN, -2.0) == -2.0);
    assert_true(isnan(ev2(IR_MAX, NAN, NAN)));
    /* ties, including +0 vs -0, give the second operand (ir_fmin: pinned because C leaves it open) */
    assert_true(same_bits(ev2(IR_MIN, 0.0, -0.0), -0.0));
    assert_true(same_bits(ev2(IR_MIN, -0.0, 0.0), 0.0));
    assert_true(same_bits(ev2(IR_MAX, 0.0, -0.0), -0.0));
    assert_true(same_bits(ev2(IR_MAX, -0.0, 0.0), 0.0));
    assert_true(ev2(IR_MIN, -INFINITY, NAN) == -INFINITY);
}

static void test_logic(void **st)
{
    assert_true(ev2(IR_LT, 1, 2) == 1.0 && ev2(IR_LT, 2, 2) == 0.0);
    assert_true(ev2(IR_LE, 2, 2) == 1.0 && ev2(IR_LE, 3, 2) == 0.0);
    assert_true(ev2(IR_GT, 3, 2) == 1.0 && ev2(IR_GT, 2, 2) == 0.0);
    assert_true(ev2(IR_GE, 2, 2) == 1.0 && ev2(IR_GE, 1, 2) == 0.0);
    assert_true(ev2(IR_EQ, 2, 2) == 1.0 && ev2(IR_EQ, 1, 2) == 0.0);
    assert_true(ev2(IR_NE, 1, 2) == 1.0 && ev2(IR_NE, 2, 2) == 0.0);
    /* C's NaN rules: every ordered comparison is false, != is true. */
    assert_true(ev2(IR_LT, NAN, 1) == 0.0 && ev2(IR_GE, NAN, 1) == 0.0 && ev2(IR_EQ, NAN, NAN) == 0.0);
    assert_true(ev2(IR_NE, NAN, NAN) == 1.0);
    assert_true(ev2(IR_AND, 1, 0) == 0.0 && ev2(IR_AND, 1, 2) == 1.0);
    assert_true(ev2(IR_OR, 0, 0) == 0.0 && ev2(IR_OR, 0, -3) == 1.0);
    assert_true(ev2(IR_AND, NAN, 1) == 1.0);            /* NaN != 0 */
    assert_true(ev1(IR_NOT, 0.0) == 1.0 && ev1(IR_NOT, 5.0) == 0.0 && ev1(IR_NOT, NAN) == 0.0);
    assert_true(ev1(IR_NOT, -0.0) == 1.0);
    assert_true(ev1(IR_ISFINITE, 1e308) == 1.0);
    assert_true(ev1(IR_ISFINITE, INFINITY) == 0.0 && ev1(IR_ISFINITE, -INFINITY) == 0.0 && ev1(IR_ISFINITE, NAN) == 0.0);
    struct ir_expr *sel = ir_node(&A, IR_SELECT, V(0), C(10), C(20));
    double vars[1] = {1.0};
    assert_true(ir_eval(sel, vars, NULL, NULL) == 10.0);
    vars[0] = 0.0;
    assert_true(ir_eval(sel, vars, NULL, NULL) == 20.0);
    vars[0] = NAN;
    assert_true(ir_eval(sel, vars, NULL, NULL) == 10.0);
}

/* A draw callback that records the order of its calls. */
struct draw_log {
    int n;
    enum ir_op ops[8];
    double a[8];
};
static double log_draw(void *ctx, enum ir_op op, double a, double b)
{
    struct draw_log *l = ctx;
    l->ops[l->n] = op;
    l->a[l->n] = a;
    l->n++;
    return a + b;
}

static void test_draws(void **st)
{
    /* uniform(normal(1, 2), exponential(5)): draws happen a before b, innermost first. */
    struct ir_expr *e = N2(IR_RAND_UNIFORM, N2(IR_RAND_NORMAL, C(1), C(2)), N1(IR_RAND_EXPONENTIAL, C(5)));
    struct draw_log l = {0};
    double r = ir_eval(e, NULL, log_draw, &l);
    assert_int_equal(l.n, 3);
    assert_int_equal(l.ops[0], IR_RAND_NORMAL);
    assert_int_equal(l.ops[1], IR_RAND_EXPONENTIAL);
    assert_int_equal(l.ops[2], IR_RAND_UNIFORM);
    assert_true(r == 3.0 + 5.0);
    assert_true(isnan(ir_eval(e, NULL, NULL, NULL)));  /* no callback: NaN */
    double out;
    assert_false(ir_eval_const(e, &out));
    assert_false(ir_expr_is_const(e));
}

static void test_const_queries(void **st)
{
    struct ir_expr *e = N2(IR_MUL, C(2), N1(IR_EXP, C(0)));
    double out = 0;
    assert_true(ir_expr_is_const(e));
    assert_true(ir_eval_const(e, &out));
    assert_true(out == 2.0);
    struct ir_expr *f = N2(IR_ADD, V(3), C(1));
    assert_false(ir_expr_is_const(f));
    assert_false(ir_eval_const(f, &out));
    assert_true(ir_expr_uses_var(f, 3));
    assert_false(ir_expr_uses_var(f, 2));
    assert_false(ir_expr_uses_var(e, 0));
}

static char *print_to_string(const struct ir_expr *e, const struct ir_pop *p)
{
    static char buf[512];
    FILE *f = fmemopen(buf, sizeof buf, "w");
    ir_expr_print(f, e, p);
    fclose(f);
    return buf;
}

static void test_print(void **st)
{
    struct ir_var vars[2] = {{.name = "V"}, {.name = "g"}};
    struct ir_pop p = {.name = "E", .vars = vars, .nvars = 2};
    /* (E_L - V) / tau + g * 0.5 with E_L = -60 */
    struct ir_expr *e = N2(IR_ADD, N2(IR_DIV, N2(IR_SUB, C(-60), V(0)), C(20)), N2(IR_MUL, V(1), C(0.1)));
    assert_string_equal(print_to_string(e, &p), "(-60 - V) / 20 + g * 0.1");
    /* a - (b - c) keeps its parentheses; (a - b) - c needs none */
    assert_string_equal(print_to_string(N2(IR_SUB, V(0), N2(IR_SUB, V(1), C(1))), &p), "V - (g - 1)");
    assert_string_equal(print_to_string(N2(IR_SUB, N2(IR_SUB, V(0), V(1)), C(1)), &p), "V - g - 1");
    assert_string_equal(print_to_string(N2(IR_SUB, V(0), C(-1)), &p), "V - (-1)");
    assert_string_equal(print_to_string(N2(IR_MIN, N1(IR_EXP, V(0)), V(1)), &p), "min(exp(V), g)");
    assert_string_equal(print_to_string(ir_node(&A, IR_SELECT, N2(IR_GE, V(0), C(-50)), C(1), C(0)), &p),
                        "V >= -50 ? 1 : 0");
    assert_string_equal(print_to_string(N2(IR_POW, N2(IR_POW, V(0), C(2)), C(3)), &p), "(V ^ 2) ^ 3");
    assert_string_equal(print_to_string(V(7), NULL), "$7");
}

static void test_dump(void **st)
{
    struct ir_var vars[3] = {
        {.name = "V", .kind = IR_VAR_STATE, .dim = {{2 * DIM_DEN, DIM_DEN, -3 * DIM_DEN, -DIM_DEN, 0, 0, 0}},
         .init = N2(IR_RAND_UNIFORM, C(-60), C(-50))},
        {.name = "exp_cond#1.g", .kind = IR_VAR_RECEPTOR, .dim = {{-2 * DIM_DEN, -DIM_DEN, 3 * DIM_DEN, 2 * DIM_DEN, 0, 0, 0}}, .init = C(0)},
        {.name = "refr", .kind = IR_VAR_REFRACTORY, .init = C(0)},
    };
    struct ir_update ups[2] = {
        {.var = 0, .solver = IR_SOLVER_EXP_EULER, .frozen = true, .next = V(0), .rhs = N2(IR_SUB, C(-60), V(0))},
        {.var = 1, .solver = IR_SOLVER_EXACT, .next = N2(IR_MUL, V(1), C(0.9875))},
    };
    struct ir_reset rs[1] = {{.var = 0, .value = C(-60)}};
    struct ir_observable ob[1] = {{.name = "V", .expr = V(0)}};
    struct ir_pop pop = {.name = "E", .neuron = "lif", .size = 800, .vars = vars, .nvars = 3, .updates = ups,
                         .nupdates = 2, .spike_cond = N2(IR_GE, V(0), C(-50)), .spike_var = 0, .resets = rs,
                         .nresets = 1, .refr_var = 2, .refr_steps = 20, .obs = ob, .nobs = 1, .v_var = 0};
    struct ir_input in = {.name = "X", .kind = IR_INPUT_POISSON, .size = 100, .rate = 0.01};
    struct ir_increment inc = {.var = 1, .scale = 0.125};
    struct ir_proj pr = {.pre = {true, 0}, .post = {false, 0}, .rule = IR_RULE_BERNOULLI, .p = 0.2,
                         .weight = C(20), .delay = C(1.5), .weight_const = true, .delay_const = true,
                         .incs = &inc, .nincs = 1, .synapse = "exp_cond"};
    int rp = 0;
    struct ir_stat stat = {.name = "v_var", .kind = IR_STAT_VAR, .obs = 0, .has_clip = true, .clip = -50, .bin = 1,
                           .unit = "mV^2"};
    struct ir_record rec = {.pops = &rp, .npops = 1, .pooled = true, .stats = &stat, .nstats = 1};
    struct ir_model m = {.name = "t", .dt = 0.1, .duration = 1000, .burn_in = 100, .seed = 7, .pops = &pop,
                         .npops = 1, .inputs = &in, .ninputs = 1, .projs = &pr, .nprojs = 1, .records = &rec,
                         .nrecords = 1};
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    ir_dump(f, &m);
    fclose(f);
    const char *expect[] = {
        "model t: dt 0.1 ms",
        "population E = lif[800]",
        "var 0 V: state [mV] init uniform(-60, -50)",
        "var 1 exp_cond#1.g: receptor [nS] init 0",
        "update V (exp_euler, frozen when refractory)",
        "update exp_cond#1.g (exact)",
        "exp_cond#1.g <- exp_cond#1.g * 0.9875",
        "spike when V >= -50 or V not finite",
        "reset V = -60",
        "refractory 20 steps (counter refr)",
        "observable 0 V",
        "input X = poisson[100](rate 0.01 1/ms",
        "connect X -> E via exp_cond: bernoulli(p = 0.2)",
        "on spike: exp_cond#1.g += 0.125 * w",
        "record E, all:",
        "v_var = var(obs 0, clip -50, bin 1 ms) [mV^2]",
    };
    for (size_t i = 0; i < sizeof expect / sizeof expect[0]; i++) {
        if (!strstr(buf, expect[i]))
            fail_msg("dump lacks \"%s\":\n%s", expect[i], buf);
    }
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tables),
        cmocka_unit_test(test_arithmetic),
        cmocka_unit_test(test_min_max_nan),
        cmocka_unit_test(test_logic),
        cmocka_unit_test(test_draws),
        cmocka_unit_test(test_const_queries),
        cmocka_unit_test(test_print),
        cmocka_unit_test(test_dump),
    };
    return cmocka_run_group_tests(tests, arena_setup, arena_teardown);
}
