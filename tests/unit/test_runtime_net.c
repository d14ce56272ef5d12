/*
 * test_runtime_net.c - connectivity rules (runtime/net.h): counts against their distributions, exact
 * degrees, no duplicates, no autapses, 16/32-bit targets, per-synapse weights and delays, determinism.
 * Statistical checks use 5 standard deviations of the stated distribution.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/deliver.h"
#include "runtime/net.h"
#include "runtime/plastic.h"
#include "runtime/pool.h"
#include "runtime/rng.h"

static struct arena A;

/* Two populations (sizes n0, n1) and one projection pre -> post with the given rule. */
static struct ir_model *model(int64_t n0, int64_t n1, struct ir_ref pre, struct ir_ref post, enum ir_rule rule)
{
    struct ir_model *m = arena_alloc(&A, sizeof *m);
    m->dt = 0.1;
    m->duration = 100;
    m->npops = 2;
    m->pops = arena_alloc(&A, 2 * sizeof *m->pops);
    m->pops[0].name = "E";
    m->pops[0].size = n0;
    m->pops[1].name = "I";
    m->pops[1].size = n1;
    m->nprojs = 1;
    m->projs = arena_alloc(&A, sizeof *m->projs);
    struct ir_proj *p = m->projs;
    p->pre = pre;
    p->post = post;
    p->rule = rule;
    p->weight = ir_const(&A, 2.5);
    p->weight_const = true;
    p->delay = ir_const(&A, 0.1);
    p->delay_const = true;
    return m;
}
#define POP(i) ((struct ir_ref){false, (i)})

static uint32_t tgt(const struct rt_conn *c, int64_t k)
{
    return c->t16 ? c->t16[k] : c->t32[k];
}

/* Every row strictly increasing (so no duplicate synapse) and in range. */
static void check_rows(const struct rt_conn *c)
{
    assert_int_equal(c->row[0], 0);
    assert_int_equal(c->row[c->npre], c->nsyn);
    for (int64_t i = 0; i < c->npre; i++) {
        assert_true(c->row[i] <= c->row[i + 1]);
        for (int64_t k = c->row[i]; k < c->row[i + 1]; k++) {
            assert_true(tgt(c, k) < c->npost);
            if (k > c->row[i])
                assert_true(tgt(c, k) > tgt(c, k - 1));
        }
    }
}

static int64_t autapses(const struct rt_conn *c)
{
    int64_t n = 0;
    for (int64_t i = 0; i < c->npre; i++)
        for (int64_t k = c->row[i]; k < c->row[i + 1]; k++)
            n += tgt(c, k) == (uint32_t)i;
    return n;
}

/* A Bernoulli projection drawn by 2 and 3 threads (runtime/net.c: each thread its range of rows in its own
 * slot, then the slots moved together) is the one drawn by a single thread, byte for byte: 3000 x 3000 at
 * p = 0.2 (1.8 million synapses, 16-bit targets), and 70000 x 3 at p = 0.9 with autapses excluded
 * (32-bit targets, sparse rows). */
static void test_bernoulli_threads(void **state)
{
    (void)state;
    char err[256];
    struct ir_model *ms[2] = {model(3000, 3000, POP(0), POP(1), IR_RULE_BERNOULLI),
                              model(70000, 70000, POP(0), POP(0), IR_RULE_BERNOULLI)};
    ms[0]->projs[0].p = 0.2;
    ms[1]->pops[0].size = 70000;
    ms[1]->projs[0].p = 0.0002;
    for (int mi = 0; mi < 2; mi++) {
        struct rt_conn one, par;
        assert_true(rt_conn_build(&one, ms[mi], 0, 11, err, sizeof err));
        check_rows(&one);
        for (int nt = 2; nt <= 3; nt++) {
            struct rt_pool *pool = rt_pool_create(nt);
            assert_non_null(pool);
            assert_true(rt_conn_build_par(&par, ms[mi], 0, 11, pool, err, sizeof err));
            rt_pool_free(pool);
            assert_int_equal(par.nsyn, one.nsyn);
            assert_memory_equal(par.row, one.row, (size_t)(one.npre + 1) * sizeof *one.row);
            if (one.t16)
                assert_memory_equal(par.t16, one.t16, (size_t)one.nsyn * sizeof *one.t16);
            else
                assert_memory_equal(par.t32, one.t32, (size_t)one.nsyn * sizeof *one.t32);
            rt_conn_free(&par);
        }
        print_message("%lld synapses (%s targets): identical on 1, 2 and 3 threads\n", (long long)one.nsyn,
                      one.t16 ? "16-bit" : "32-bit");
        assert_true(one.nsyn > 900000);
        rt_conn_free(&one);
    }
}

/* The Bernoulli rule's definition, written out plainly: per source i and target block b, a SplitMix64
 * stream started from the keyed Philox stream (b << 32 | i), geometric skips floor(log U / log1p(-p)).
 * runtime/net.c takes the skips from a table for almost every U (geom_skip); the network must be this
 * one bit for bit, for p where the table's buckets are wide (0.7) or narrow (0.001) against a skip. */
static void test_bernoulli_definition(void **state)
{
    (void)state;
    char err[256];
    const double ps[] = {0.2, 0.7, 0.05, 0.001};
    for (int pi = 0; pi < 4; pi++) {
        struct ir_model *m = model(300, 20000, POP(0), POP(1), IR_RULE_BERNOULLI);
        m->projs[0].p = ps[pi];
        struct rt_conn c;
        assert_true(rt_conn_build(&c, m, 0, 7, err, sizeof err));
        const double lq = log1p(-ps[pi]);
        const int64_t B = rt_conn_block(m, 0);
        int64_t k = 0;
        for (int64_t i = 0; i < 300; i++) {
            assert_int_equal(c.row[i], k);
            for (int64_t b = 0; b * B < 20000; b++) {
                struct rt_rng r;
                rt_rng_init(&r, 7, RT_STREAM(RT_STREAM_CONN, 0), (uint64_t)b << 32 | (uint64_t)i);
                struct rt_fast f;
                rt_fast_init(&f, &r);
                int64_t end = (b + 1) * B < 20000 ? (b + 1) * B : 20000;
                for (int64_t t = b * B - 1;;) {
                    t += 1 + (int64_t)floor(log(rt_fast_uniform(&f)) / lq);
                    if (t >= end)
                        break;
                    assert_true(k < c.nsyn);
                    assert_int_equal(c.t16[k], t);
                    k++;
                }
            }
        }
        assert_int_equal(k, c.nsyn);
        print_message("p = %g: %lld synapses as defined\n", ps[pi], (long long)c.nsyn);
        rt_conn_free(&c);
    }
}

static void test_bernoulli(void **state)
{
    (void)state;
    char err[256];
    struct ir_model *m = model(2000, 2000, POP(0), POP(1), IR_RULE_BERNOULLI);
    m->projs[0].p = 0.1;
    struct rt_conn c;
    assert_true(rt_conn_build(&c, m, 0, 1, err, sizeof err));
    check_rows(&c);
    assert_non_null(c.t16);
    assert_null(c.w);
    assert_null(c.d);
    assert_true(c.wconst == 2.5);
    assert_int_equal(c.dconst, 1);
    /* total ~ Binomial(4e6, 0.1): mean 4e5, sd 600 */
    assert_true(fabs((double)c.nsyn - 4e5) < 5 * 600);
    assert_true(fabs(rt_conn_expected(m, 0) - 4e5) < 1e-6);
    /* row degrees ~ Binomial(2000, 0.1): variance 180; the sample variance over 2000 rows has sd
     * ~ 180 sqrt(2/1999) = 5.7 */
    double mean = (double)c.nsyn / 2000, v = 0;
    for (int64_t i = 0; i < 2000; i++) {
        double d = (double)(c.row[i + 1] - c.row[i]) - mean;
        v += d * d;
    }
    v /= 1999;
    assert_true(fabs(v - 180) < 5 * 5.7);

    /* same seed: same network; another seed: another one */
    struct rt_conn c2, c3;
    assert_true(rt_conn_build(&c2, m, 0, 1, err, sizeof err));
    assert_true(rt_conn_build(&c3, m, 0, 2, err, sizeof err));
    assert_int_equal(c.nsyn, c2.nsyn);
    assert_memory_equal(c.row, c2.row, 2001 * sizeof *c.row);
    assert_memory_equal(c.t16, c2.t16, (size_t)c.nsyn * sizeof *c.t16);
    assert_true(c3.nsyn != c.nsyn || memcmp(c.t16, c3.t16, (size_t)c.nsyn * 2) != 0);
    rt_conn_free(&c);
    rt_conn_free(&c2);
    rt_conn_free(&c3);
}

static void test_bernoulli_autapses(void **state)
{
    (void)state;
    char err[256];
    struct ir_model *m = model(1000, 10, POP(0), POP(0), IR_RULE_BERNOULLI);
    m->projs[0].p = 0.5;
    struct rt_conn c;
    assert_true(rt_conn_build(&c, m, 0, 5, err, sizeof err));
    check_rows(&c);
    assert_int_equal(autapses(&c), 0);
    /* Binomial(1000 * 999, 0.5): sd sqrt(999000/4) = 499.7 */
    assert_true(fabs((double)c.nsyn - 499500) < 5 * 499.7);
    rt_conn_free(&c);
    m->projs[0].autapses = true;
    assert_true(rt_conn_build(&c, m, 0, 5, err, sizeof err));
    /* self-connections ~ Binomial(1000, 0.5): sd 15.8 */
    assert_true(fabs((double)autapses(&c) - 500) < 5 * 15.8);
    rt_conn_free(&c);
    /* p = 1 is all-to-all without self; p = 0 is empty */
    m->projs[0].autapses = false;
    m->projs[0].p = 1;
    assert_true(rt_conn_build(&c, m, 0, 5, err, sizeof err));
    assert_int_equal(c.nsyn, 1000 * 999);
    rt_conn_free(&c);
    m->projs[0].p = 0;
    assert_true(rt_conn_build(&c, m, 0, 5, err, sizeof err));
    assert_int_equal(c.nsyn, 0);
    rt_conn_free(&c);
}

static void test_in_degree(void **state)
{
    (void)state;
    char err[256];
    struct ir_model *m = model(1000, 10, POP(0), POP(0), IR_RULE_IN_DEGREE);
    m->projs[0].k = 50;
    struct rt_conn c;
    assert_true(rt_conn_build(&c, m, 0, 3, err, sizeof err));
    check_rows(&c);
    assert_int_equal(c.nsyn, 50 * 1000);
    assert_int_equal(autapses(&c), 0);
    int64_t *in = calloc(1000, sizeof *in);
    for (int64_t k = 0; k < c.nsyn; k++)
        in[tgt(&c, k)]++;
    for (int i = 0; i < 1000; i++)
        assert_int_equal(in[i], 50);   /* exactly K for every target */
    free(in);
    /* out-degrees: each source is in a target's sample with probability 50/999; mean 50 exactly */
    assert_true(fabs((double)c.nsyn / 1000 - 50) < 1e-12);
    rt_conn_free(&c);

    /* K = N - 1 without autapses: every other neuron exactly once */
    m->projs[0].k = 999;
    assert_true(rt_conn_build(&c, m, 0, 3, err, sizeof err));
    assert_int_equal(c.nsyn, 999 * 1000);
    assert_int_equal(autapses(&c), 0);
    check_rows(&c);
    rt_conn_free(&c);

    m->projs[0].k = 1000;
    assert_false(rt_conn_build(&c, m, 0, 3, err, sizeof err));
    assert_string_equal(err, "projection E -> E: in_degree(1000) needs 1000 distinct sources but only 999 are available");
}

static void test_out_degree_wide(void **state)
{
    (void)state;
    char err[256];
    /* target population >= 65536: 32-bit targets */
    struct ir_model *m = model(100, 70000, POP(0), POP(1), IR_RULE_OUT_DEGREE);
    m->projs[0].k = 30;
    struct rt_conn c;
    assert_true(rt_conn_build(&c, m, 0, 3, err, sizeof err));
    assert_null(c.t16);
    assert_non_null(c.t32);
    check_rows(&c);
    for (int64_t i = 0; i < 100; i++)
        assert_int_equal(c.row[i + 1] - c.row[i], 30);
    /* targets spread over the whole range: the max of 3000 uniform draws is above 69000 unless the
     * sampler ignores the high range (P(max < 69000) = (69/70)^3000 ~ 1e-19) */
    uint32_t hi = 0;
    for (int64_t k = 0; k < c.nsyn; k++)
        hi = tgt(&c, k) > hi ? tgt(&c, k) : hi;
    assert_true(hi >= 69000);
    rt_conn_free(&c);
}

static void test_one_and_all(void **state)
{
    (void)state;
    char err[256];
    struct ir_model *m = model(500, 500, POP(0), POP(1), IR_RULE_ONE_TO_ONE);
    struct rt_conn c;
    assert_true(rt_conn_build(&c, m, 0, 3, err, sizeof err));
    assert_int_equal(c.nsyn, 500);
    for (int64_t i = 0; i < 500; i++) {
        assert_int_equal(c.row[i], i);
        assert_int_equal(tgt(&c, i), i);
    }
    rt_conn_free(&c);
    m->pops[1].size = 400;
    assert_false(rt_conn_build(&c, m, 0, 3, err, sizeof err));
    assert_string_equal(err, "projection E -> I: one_to_one needs equal sizes, not 500 and 400");

    m = model(30, 40, POP(0), POP(1), IR_RULE_ALL_TO_ALL);
    assert_true(rt_conn_build(&c, m, 0, 3, err, sizeof err));
    assert_int_equal(c.nsyn, 1200);
    check_rows(&c);
    rt_conn_free(&c);
    m = model(30, 40, POP(0), POP(0), IR_RULE_ALL_TO_ALL);
    assert_true(rt_conn_build(&c, m, 0, 3, err, sizeof err));
    assert_int_equal(c.nsyn, 30 * 29);
    assert_int_equal(autapses(&c), 0);
    rt_conn_free(&c);
}

static void test_random_weights_delays(void **state)
{
    (void)state;
    char err[256];
    struct ir_model *m = model(1000, 1000, POP(0), POP(1), IR_RULE_IN_DEGREE);
    struct ir_proj *p = m->projs;
    p->k = 100;
    p->weight = ir_node(&A, IR_RAND_NORMAL, ir_const(&A, 2.0), ir_const(&A, 0.5), NULL);
    p->weight_const = false;
    p->delay = ir_node(&A, IR_RAND_UNIFORM, ir_const(&A, 0.1), ir_const(&A, 2.0), NULL);
    p->delay_const = false;
    struct rt_conn c, c2;
    assert_true(rt_conn_build(&c, m, 0, 9, err, sizeof err));
    assert_non_null(c.w);
    assert_non_null(c.d);
    double s = 0;
    int dmax = 0;
    for (int64_t k = 0; k < c.nsyn; k++) {
        s += c.w[k];
        assert_true(c.d[k] >= 1 && c.d[k] <= 20);   /* round(U(0.1, 2.0) / 0.1) */
        dmax = c.d[k] > dmax ? c.d[k] : dmax;
    }
    assert_int_equal(dmax, c.dmax);
    assert_int_equal(c.dmax, 20);                   /* P(no delay >= 1.95 ms in 1e5 draws) ~ 0 */
    /* mean of 1e5 N(2, 0.5) weights (float rounding ~1e-7 is far below): sd 0.5/sqrt(1e5) */
    assert_true(fabs(s / (double)c.nsyn - 2.0) < 5 * 0.5 / sqrt((double)c.nsyn));
    assert_true(rt_conn_build(&c2, m, 0, 9, err, sizeof err));
    assert_memory_equal(c.w, c2.w, (size_t)c.nsyn * sizeof *c.w);
    assert_memory_equal(c.d, c2.d, (size_t)c.nsyn * sizeof *c.d);
    /* bytes: 2 (target) + 4 (weight) + 2 (delay) per synapse + the row offsets */
    assert_int_equal(rt_conn_bytes(m, 0, 1), 100000 * 8 + 1001 * 8);
    assert_int_equal(rt_conn_dmax_estimate(m, 0), 20);
    rt_conn_free(&c);
    rt_conn_free(&c2);

    /* constant delay rounds to the nearest step, at least one */
    p->delay = ir_const(&A, 1.46);
    p->delay_const = true;
    assert_true(rt_conn_build(&c, m, 0, 9, err, sizeof err));
    assert_null(c.d);
    assert_int_equal(c.dconst, 15);
    rt_conn_free(&c);
    assert_int_equal(rt_delay_steps(0.01, 0.1), 1);
    assert_int_equal(rt_delay_steps(0.15000001, 0.1), 2);

    p->weight = ir_node(&A, IR_RAND_LOGNORMAL, ir_const(&A, -1.0), ir_const(&A, 0.5), NULL);  /* log(-1): NaN */
    assert_false(rt_conn_build(&c, m, 0, 9, err, sizeof err));
    assert_non_null(strstr(err, "projection E -> I: weight of synapse 0 -> "));
}

/* Partition independence (issue 15): the synapses onto three ranges of targets with uneven ends (one
 * range cutting a Bernoulli block in two, another starting inside one), built alone, are row by row the
 * whole build's synapses there, with the same weights and delays.  Every rule, a projection onto its own
 * population (autapses excluded) and per-synapse random weights and delays. */
static void test_range_split(void **state)
{
    (void)state;
    char err[256];
    const enum ir_rule rules[] = {IR_RULE_BERNOULLI, IR_RULE_BERNOULLI, IR_RULE_IN_DEGREE, IR_RULE_OUT_DEGREE,
                                  IR_RULE_ALL_TO_ALL, IR_RULE_ONE_TO_ONE};
    for (int ri = 0; ri < 6; ri++) {
        int64_t n = ri == 1 ? 20000 : ri == 4 ? 1500 : 9000;
        struct ir_model *m = model(n, n, POP(0), POP(0), rules[ri]);
        struct ir_proj *p = m->projs;
        p->p = ri == 1 ? 0.004 : 0.02;   /* blocks of 16384 and 4096 targets */
        p->k = 100;
        p->autapses = ri == 5;
        p->weight = ir_node(&A, IR_RAND_NORMAL, ir_const(&A, 2.0), ir_const(&A, 0.5), NULL);
        p->weight_const = false;
        p->delay = ir_node(&A, IR_RAND_UNIFORM, ir_const(&A, 0.1), ir_const(&A, 2.0), NULL);
        p->delay_const = false;
        struct rt_conn whole, part[3];
        int64_t cut[4] = {0, n * 5 / 9, n * 8191 / 9000, n};   /* inside blocks, not on their ends */
        assert_true(rt_conn_build(&whole, m, 0, 21, err, sizeof err));
        for (int r = 0; r < 3; r++) {
            assert_true(rt_conn_build_range(&part[r], m, 0, 21, NULL, cut[r], cut[r + 1], err, sizeof err));
            assert_int_equal(part[r].npost, cut[r + 1] - cut[r]);
            check_rows(&part[r]);
        }
        assert_int_equal(part[0].nsyn + part[1].nsyn + part[2].nsyn, whole.nsyn);
        for (int64_t i = 0; i < n; i++) {
            int64_t k = whole.row[i];
            for (int r = 0; r < 3; r++)
                for (int64_t q = part[r].row[i]; q < part[r].row[i + 1]; q++, k++) {
                    assert_int_equal(tgt(&part[r], q) + cut[r], tgt(&whole, k));
                    assert_true(part[r].w[q] == whole.w[k]);
                    assert_int_equal(part[r].d[q], whole.d[k]);
                }
            assert_int_equal(k, whole.row[i + 1]);
        }
        print_message("%s: %lld synapses, identical when built in 3 ranges\n", ir_rule_name[rules[ri]],
                      (long long)whole.nsyn);
        rt_conn_free(&whole);
        for (int r = 0; r < 3; r++)
            rt_conn_free(&part[r]);
    }
}

/* The same for a plastic projection's random initial per-synapse state (runtime/plastic.c): drawn per
 * synapse i -> t, not per storage position, so three ranges of targets hold the whole build's values. */
static void test_range_split_plastic(void **state)
{
    (void)state;
    char err[256];
    struct ir_model *m = model(3000, 5000, POP(0), POP(1), IR_RULE_BERNOULLI);
    struct ir_proj *p = m->projs;
    p->p = 0.05;
    struct ir_pl_state st[2] = {{.name = "w", .where = IR_PL_SYN},
                                {.name = "x", .where = IR_PL_SYN,
                                 .init_draw = ir_node(&A, IR_RAND_UNIFORM, ir_const(&A, 0.0), ir_const(&A, 1.0), NULL)}};
    struct ir_plastic pl_ir = {.states = st, .nstates = 2};
    p->plastic = &pl_ir;
    struct rt_conn whole, part[3];
    struct rt_plastic pw, pp[3];
    const int64_t cut[4] = {0, 1234, 4100, 5000};
    assert_true(rt_conn_build(&whole, m, 0, 4, err, sizeof err));
    assert_true(rt_plastic_init(&pw, p, 0, &whole, 1, 4, err, sizeof err));
    for (int r = 0; r < 3; r++) {
        assert_true(rt_conn_build_range(&part[r], m, 0, 4, NULL, cut[r], cut[r + 1], err, sizeof err));
        assert_true(rt_plastic_init(&pp[r], p, 0, &part[r], 1, 4, err, sizeof err));
    }
    for (int64_t i = 0; i < whole.npre; i++) {
        int64_t k = whole.row[i];
        for (int r = 0; r < 3; r++)
            for (int64_t q = part[r].row[i]; q < part[r].row[i + 1]; q++, k++) {
                assert_int_equal(part[r].t32[q] + cut[r], whole.t32[k]);
                assert_true(pp[r].syn[1][q] == pw.syn[1][k]);
                assert_true(pp[r].syn[0][q] == pw.syn[0][k]);
            }
        assert_int_equal(k, whole.row[i + 1]);
    }
    rt_plastic_free(&pw);
    rt_conn_free(&whole);
    for (int r = 0; r < 3; r++) {
        rt_plastic_free(&pp[r]);
        rt_conn_free(&part[r]);
    }
}

/* Whether dense rows pay (runtime/net.h): fewer bytes as bits than as a list, and only for what the bits can
 * hold (one weight, one delay, not plastic, Bernoulli). */
static void test_dense_pay(void **state)
{
    (void)state;
    struct ir_model *m = model(1000, 3000, POP(0), POP(1), IR_RULE_BERNOULLI);
    struct ir_proj *p = m->projs;
    p->p = 0.2;
    assert_true(rt_conn_bits_pay(m, 0, 3000));
    p->p = 0.06;   /* 16-bit targets: 2 x 0.06 = 0.12 bytes per pair against 1/8 */
    assert_false(rt_conn_bits_pay(m, 0, 3000));
    p->p = 0.07;
    assert_true(rt_conn_bits_pay(m, 0, 3000));
    p->p = 0.04;   /* 32-bit targets: 4 x 0.04 = 0.16 against 1/8 */
    assert_true(rt_conn_bits_pay(m, 0, 70000));
    p->p = 0.03;
    assert_false(rt_conn_bits_pay(m, 0, 70000));
    p->p = 0.2;
    p->rule = IR_RULE_IN_DEGREE;
    assert_false(rt_conn_bits_pay(m, 0, 3000));
    p->rule = IR_RULE_BERNOULLI;
    struct ir_expr *w = p->weight;
    p->weight = ir_node(&A, IR_RAND_NORMAL, ir_const(&A, 2.0), ir_const(&A, 0.5), NULL);
    assert_false(rt_conn_bits_pay(m, 0, 3000));
    p->weight = w;
    p->delay = ir_node(&A, IR_RAND_UNIFORM, ir_const(&A, 0.1), ir_const(&A, 2.0), NULL);
    assert_false(rt_conn_bits_pay(m, 0, 3000));
}

/* Dense rows hold the list build's synapses exactly: the same row counts, and row i's bits are the list's
 * targets.  16-bit (3000 -> 3000, p = 0.2, autapses excluded), 32-bit (700 -> 70000, p = 0.07), whole and
 * in 3 target ranges with ends inside 64-target words, drawn by 1, 2 and 3 threads. */
static void test_dense_rows(void **state)
{
    (void)state;
    char err[256];
    struct ir_model *ms[2] = {model(3000, 3000, POP(0), POP(0), IR_RULE_BERNOULLI),
                              model(700, 70000, POP(0), POP(1), IR_RULE_BERNOULLI)};
    ms[0]->projs[0].p = 0.2;
    ms[1]->projs[0].p = 0.07;   /* pays in the ranges too, whose 16-bit lists would take 2 bytes a synapse */
    for (int mi = 0; mi < 2; mi++) {
        const int64_t n = mi ? 70000 : 3000, cut[4] = {0, n / 3 + 5, 2 * n / 3 + 37, n};
        for (int r = -1; r < 3; r++) {
            int64_t b = r < 0 ? 0 : cut[r], e = r < 0 ? n : cut[r + 1];
            struct rt_conn list, dense;
            assert_true(rt_conn_build_range(&list, ms[mi], 0, 5, NULL, b, e, err, sizeof err));
            for (int nt = 1; nt <= 3; nt++) {
                struct rt_pool *pool = nt > 1 ? rt_pool_create(nt) : NULL;
                assert_true(rt_conn_build_run(&dense, ms[mi], 0, 5, pool, b, e, err, sizeof err));
                rt_pool_free(pool);
                assert_non_null(dense.bits);
                assert_null(dense.t16);
                assert_null(dense.t32);
                assert_int_equal(dense.nsyn, list.nsyn);
                assert_memory_equal(dense.row, list.row, (size_t)(list.npre + 1) * sizeof *list.row);
                for (int64_t i = 0; i < list.npre; i++) {
                    int64_t bits = 0;
                    for (int64_t q = 0; q < dense.words; q++)
                        bits += __builtin_popcountll(dense.bits[i * dense.words + q]);
                    assert_int_equal(bits, list.row[i + 1] - list.row[i]);
                    for (int64_t k = list.row[i]; k < list.row[i + 1]; k++) {
                        uint32_t t = tgt(&list, k);
                        assert_true(dense.bits[i * dense.words + t / 64] >> (t % 64) & 1);
                    }
                }
                rt_conn_free(&dense);
            }
            rt_conn_free(&list);
        }
        print_message("%s targets: dense rows == lists, whole and in 3 ranges, 1-3 threads\n",
                      mi ? "32-bit" : "16-bit");
    }
}

/* Delivery through dense rows adds exactly what the lists add, to the last bit: each target gets w once per
 * spike, in spike order (w = 0.51 does not add exactly, so v + w + w differs from v + 2w, and one sum in
 * another order would show).  400 steps of 0-40 spikes (more than the 16 a chunk holds, with repeats, as an
 * input's list has), over the whole population and over thread ranges with ends inside words; double and
 * float columns; the vector path rt_deliver_now takes and the portable one. */
static void test_dense_delivery(void **state)
{
    (void)state;
    char err[256];
    struct ir_model *m = model(2500, 3000, POP(0), POP(1), IR_RULE_BERNOULLI);
    m->projs[0].p = 0.2;
    m->projs[0].weight = ir_const(&A, 0.3);
    struct rt_conn list, dense;
    assert_true(rt_conn_build(&list, m, 0, 9, err, sizeof err));
    assert_true(rt_conn_build_run(&dense, m, 0, 9, NULL, 0, 3000, err, sizeof err));
    assert_non_null(dense.bits);
    struct ir_increment inc = {.var = 0, .scale = 1.7};
    struct ir_proj p = {.incs = &inc, .nincs = 1};
    const int64_t ranges[][2] = {{0, 3000}, {0, 1003}, {1003, 1984}, {1984, 3000}, {70, 90}};
    struct rt_rng r;
    rt_rng_init(&r, 3, 0, 0);
    for (int single = 0; single < 2; single++) {
        double *a = calloc(3000, sizeof *a), *b = calloc(3000, sizeof *b), *c = calloc(3000, sizeof *c);
        assert_true(a && b && c);
        for (int i = 0; i < 3000; i++) {
            if (single)
                ((float *)a)[i] = ((float *)b)[i] = ((float *)c)[i] = (float)rt_rng_uniform(&r);
            else
                a[i] = b[i] = c[i] = rt_rng_uniform(&r);
        }
        double *const va[1] = {a}, *const vb[1] = {b};
        uint32_t idx[40];
        for (int step = 0; step < 400; step++) {
            int n = (int)(rt_rng_uniform(&r) * 41);
            for (int s = 0; s < n; s++)
                idx[s] = (uint32_t)(rt_rng_uniform(&r) * 2500);
            for (int s = 1; s < n; s++)   /* increasing, as a population's list; repeats kept */
                for (int q = s; q > 0 && idx[q] < idx[q - 1]; q--) {
                    uint32_t x = idx[q];
                    idx[q] = idx[q - 1];
                    idx[q - 1] = x;
                }
            const int64_t *rg = ranges[step % 5];
            rt_deliver_now(&list, &p, va, idx, n, rg[0], rg[1], 0, single);
            rt_deliver_now(&dense, &p, vb, idx, n, rg[0], rg[1], 0, single);
            rt_deliver_bits_portable(&dense, c, single, 1.7 * 0.3, idx, n, rg[0], rg[1]);
        }
        size_t bytes = 3000 * (single ? sizeof(float) : sizeof(double));
        assert_memory_equal(a, b, bytes);
        assert_memory_equal(a, c, bytes);
        double moved = 0;
        for (int i = 0; i < 3000; i++)
            moved += single ? ((float *)a)[i] : a[i];
        assert_true(moved > 3000 * 20.0);   /* every target got many additions */
        print_message("%s: dense delivery == list delivery bit for bit (sum %.1f)\n", single ? "float" : "double",
                      moved);
        free(a);
        free(b);
        free(c);
    }
    rt_conn_free(&list);
    rt_conn_free(&dense);
}

int main(void)
{
    arena_init(&A);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bernoulli),       cmocka_unit_test(test_bernoulli_autapses),
        cmocka_unit_test(test_bernoulli_threads), cmocka_unit_test(test_bernoulli_definition),
        cmocka_unit_test(test_in_degree),       cmocka_unit_test(test_out_degree_wide),
        cmocka_unit_test(test_one_and_all),     cmocka_unit_test(test_random_weights_delays),
        cmocka_unit_test(test_range_split),     cmocka_unit_test(test_range_split_plastic),
        cmocka_unit_test(test_dense_pay),       cmocka_unit_test(test_dense_rows),
        cmocka_unit_test(test_dense_delivery),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    arena_free(&A);
    return rc;
}
