/*
 * test_interp_kernel.c - the reference interpreter against the kernel semantics of ir/ir.h, step by step,
 * on tiny hand-built populations whose every value can be worked out by hand.  Tolerance 0 throughout:
 * each expected value is computed here with the same IEEE operations the semantics prescribe.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "interp/interp.h"

#include "arena_fixture.h"

static struct ir_expr *C(double v) { return ir_const(&A, v); }
static struct ir_expr *V(int k) { return ir_var(&A, k); }
static struct ir_expr *N2(enum ir_op op, struct ir_expr *a, struct ir_expr *b) { return ir_node(&A, op, a, b, NULL); }


/*
 * vars: 0 a, 1 b (receptor, keeps decaying while refractory), 2 c (no update), 3 refr
 * updates (Jacobi: both read the OLD values):  a <- b + 1 (frozen),  b <- a * 0.5
 * spike when a >= 10 (spike_var a);  resets: a = 0, then c = a + 100 (sees the reset a = 0)
 * refractory 3 steps;  observables: a + c, b
 */
static struct ir_pop make_pop(void)
{
    static struct ir_var vars[4] = {{.name = "a"}, {.name = "b", .kind = IR_VAR_RECEPTOR}, {.name = "c"},
                                    {.name = "refr", .kind = IR_VAR_REFRACTORY}};
    struct ir_pop p = {.name = "t", .size = 1, .vars = vars, .nvars = 4, .spike_var = 0, .refr_var = 3,
                       .refr_steps = 3, .v_var = 0};
    p.updates = arena_alloc(&A, 2 * sizeof *p.updates);
    p.updates[0] = (struct ir_update){.var = 0, .frozen = true, .next = N2(IR_ADD, V(1), C(1))};
    p.updates[1] = (struct ir_update){.var = 1, .frozen = false, .next = N2(IR_MUL, V(0), C(0.5))};
    p.nupdates = 2;
    p.spike_cond = N2(IR_GE, V(0), C(10));
    p.resets = arena_alloc(&A, 2 * sizeof *p.resets);
    p.resets[0] = (struct ir_reset){.var = 0, .value = C(0)};
    p.resets[1] = (struct ir_reset){.var = 2, .value = N2(IR_ADD, V(0), C(100))};
    p.nresets = 2;
    p.obs = arena_alloc(&A, 2 * sizeof *p.obs);
    p.obs[0] = (struct ir_observable){.name = "a+c", .expr = N2(IR_ADD, V(0), V(2))};
    p.obs[1] = (struct ir_observable){.name = "b", .expr = V(1)};
    p.nobs = 2;
    return p;
}

static void test_jacobi_order(void **st)
{
    struct ir_pop p = make_pop();
    double s[4] = {2, 4, 7, 0}, n[4], o[2];
    bool spike = interp_step(&p, s, n, o);
    assert_false(spike);
    assert_true(n[0] == 5);        /* old b + 1, not new b + 1 */
    assert_true(n[1] == 1);        /* old a * 0.5 */
    assert_true(n[2] == 7);        /* no update: kept */
    assert_true(n[3] == 0);        /* max(0 - 1, 0) */
    assert_true(o[0] == 12 && o[1] == 1);
}

static void test_spike_resets_in_order(void **st)
{
    struct ir_pop p = make_pop();
    double s[4] = {3, 20, 7, 0}, n[4], o[2];
    assert_true(interp_step(&p, s, n, o));     /* a -> 21 >= 10 */
    assert_true(n[0] == 0);                    /* reset */
    assert_true(n[2] == 100);                  /* second reset saw a = 0 */
    assert_true(n[1] == 1.5);
    assert_true(n[3] == 3);                    /* refr_steps */
    assert_true(o[0] == 100 && o[1] == 1.5);   /* observables after the resets */
}

static void test_refractory_hold(void **st)
{
    struct ir_pop p = make_pop();
    /* refractory: a frozen, b keeps updating, no spike even though a >= 10 */
    double s[4] = {50, 30, 7, 2}, n[4], o[2];
    assert_false(interp_step(&p, s, n, o));
    assert_true(n[0] == 50);
    assert_true(n[1] == 25);
    assert_true(n[3] == 1);
    /* last refractory step: still held, counter reaches 0; the next step may spike */
    double s2[4] = {50, 30, 7, 1};
    assert_false(interp_step(&p, s2, n, o));
    assert_true(n[0] == 50 && n[3] == 0);
    double s3[4] = {50, 30, 7, 0};
    assert_true(interp_step(&p, s3, n, o));
    assert_true(n[0] == 0 && n[3] == 3);
}

static void test_overflow_and_nan(void **st)
{
    struct ir_pop p = make_pop();
    p.spike_cond = N2(IR_EQ, V(0), C(-1));     /* never true for these values */
    double s[4] = {0, INFINITY, 7, 0}, n[4], o[2];
    assert_true(interp_step(&p, s, n, o));     /* a = inf + 1: not finite */
    assert_true(n[0] == 0);
    double s2[4] = {0, NAN, 7, 0};
    assert_true(interp_step(&p, s2, n, o));    /* a = NaN */
    p.spike_var = -1;                          /* overflow rule off: no spike */
    assert_false(interp_step(&p, s2, n, o));
    assert_true(isnan(n[0]));
    p.spike_cond = NULL;                       /* never spikes */
    p.spike_var = 0;
    assert_false(interp_step(&p, s, n, o));
}

static void test_kernel_ranges(void **st)
{
    struct ir_pop p = make_pop();
    p.size = 5;
    double a[5] = {0, 1, 2, 3, 9.5}, b[5] = {0, 2, 12, 6, 18}, c[5] = {0}, r[5] = {0}, o0[5] = {0}, o1[5] = {0};
    double *vars[4] = {a, b, c, r}, *obs[2] = {o0, o1};
    uint8_t spk[5] = {9, 9, 9, 9, 9};
    struct ir_kernel k = interp_kernel(&A, &p, 0.1);
    k.fn(k.ctx, vars, obs, spk, 1, 4, NULL);         /* neurons 1, 2, 3 only */
    /* outside the range: untouched (neuron 4 would spike: 18 + 1 >= 10) */
    assert_true(a[0] == 0 && a[4] == 9.5 && b[4] == 18 && spk[0] == 9 && spk[4] == 9 && o0[4] == 0);
    assert_true(a[1] == 3 && spk[1] == 0 && o0[1] == 3);
    assert_true(a[2] == 0 && c[2] == 100 && r[2] == 3 && spk[2] == 1 && o0[2] == 100);   /* 12 + 1 >= 10 */
    assert_true(a[3] == 7 && spk[3] == 0 && b[3] == 1.5 && o1[3] == 1.5);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_jacobi_order),
        cmocka_unit_test(test_spike_resets_in_order),
        cmocka_unit_test(test_refractory_hold),
        cmocka_unit_test(test_overflow_and_nan),
        cmocka_unit_test(test_kernel_ranges),
    };
    return cmocka_run_group_tests(tests, arena_setup, arena_teardown);
}
