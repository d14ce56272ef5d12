/*
 * test_runtime_layout.c - the per-thread column layout (runtime/layout.h): for populations of 0 to 5000
 * neurons, 1 to 8 threads and 1 to 4 parts, every part's slots against the chunks (rt_chunk_of) they come
 * from: a thread's neurons are consecutive slots, at least RT_GAP elements after the previous thread's and
 * before the column's end, one thread has no gap, and rt_layout_run_end's runs are exactly the chunks.
 * Moving the bounds (layout.c): rt_layout_shares' decision and shares from busy times, rt_layout_balance's
 * bounds against the shares asked for, and
 * rt_layout_move carrying every neuron's value to its new slot through 200 random moves.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "runtime/layout.h"

#include <math.h>
#include <stdlib.h>

static void check_part(int64_t size, int part, int parts, int nt)
{
    const struct rt_layout l = rt_layout_make(size, part, parts, nt);
    const int64_t len = rt_layout_len(&l, size);
    assert_int_equal(l.gap, nt > 1 ? RT_GAP : 0);
    int64_t prev_end = -1;   /* the slot after the previous non-empty chunk's last neuron */
    for (int t = 0; t < nt; t++) {
        int64_t b, e;
        rt_chunk_of(size, part * nt + t, parts * nt, &b, &e);
        for (int64_t n = b; n < e; n++) {
            assert_int_equal(rt_layout_thread(&l, n), t);
            assert_int_equal(rt_layout_slot(&l, n), n + rt_layout_off(&l, t));
            assert_int_equal(rt_layout_run_end(&l, n, size), t == nt - 1 ? size : e);
        }
        if (b < e) {
            const int64_t first = rt_layout_slot(&l, b), last = rt_layout_slot(&l, e - 1);
            assert_int_equal(last - first, e - 1 - b);                    /* consecutive */
            if (prev_end >= 0)
                assert_true(first - prev_end >= l.gap);                   /* a gap after the previous */
            assert_true(len - (last + 1) >= l.gap);                       /* and before the end */
            prev_end = last + 1;
        }
    }
    /* neurons of other parts map inside the column (never written here, but read as zeros) */
    for (int64_t n = 0; n < size; n++) {
        assert_true(rt_layout_slot(&l, n) >= n && rt_layout_slot(&l, n) < len);
        if (n > 0)
            assert_true(rt_layout_slot(&l, n) > rt_layout_slot(&l, n - 1));   /* slots grow with n */
    }
}

static void test_slots(void **state)
{
    (void)state;
    const int64_t sizes[] = {0, 1, 63, 64, 65, 200, 700, 1000, 4999, 5000};
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++)
        for (int parts = 1; parts <= 4; parts++)
            for (int nt = 1; nt <= 8; nt++)
                for (int part = 0; part < parts; part++)
                    check_part(sizes[i], part, parts, nt);
}

/* Without a layout (NULL, the statistics' and recordings' unit tests) every slot is its neuron. */
static void test_null(void **state)
{
    (void)state;
    assert_int_equal(rt_layout_slot(NULL, 123), 123);
    assert_int_equal(rt_layout_len(NULL, 123), 123);
    assert_int_equal(rt_layout_off(NULL, 3), 0);
    assert_int_equal(rt_layout_run_end(NULL, 5, 123), 123);
    const struct rt_layout one = rt_layout_make(1000, 0, 1, 1);
    assert_int_equal(rt_layout_len(&one, 1000), 1000);
    assert_int_equal(rt_layout_slot(&one, 999), 999);
}

/* Busy times to shares: equal speeds, or a gain under the threshold, keep the bounds; a thread twice as
 * slow gets half as many neurons at full step, so the shares go halfway there; no time measured: no move. */
static void test_shares(void **state)
{
    (void)state;
    double share[3];
    const double own[] = {100, 100, 100};
    assert_false(rt_layout_shares(2, own, (const double[]){100, 100}, 0.04, share));
    assert_false(rt_layout_shares(2, own, (const double[]){100, 103}, 0.04, share));   /* saves ~1.5 % */
    assert_true(rt_layout_shares(2, own, (const double[]){100, 200}, 0.04, share));
    assert_true(fabs(share[0] - (0.5 + 2.0 / 3) / 2) < 1e-12);   /* speeds 1 and 0.5: 2/3 and 1/3 */
    assert_true(fabs(share[1] - (0.5 + 1.0 / 3) / 2) < 1e-12);
    assert_false(rt_layout_shares(2, own, (const double[]){100, 0}, 0.04, share));
    /* three threads, unequal shares now: speeds 60/60 = 1, 120/60 = 2, 120/120 = 1 */
    assert_true(rt_layout_shares(3, (const double[]){60, 120, 120}, (const double[]){60, 60, 120}, 0.04, share));
    assert_true(fabs(share[0] - (0.2 + 0.25) / 2) < 1e-12);
    assert_true(fabs(share[1] - (0.4 + 0.5) / 2) < 1e-12);
    assert_true(fabs(share[2] - (0.4 + 0.25) / 2) < 1e-12);
}

/* Shares to bounds: multiples of the alignment from lo[0], within the range, the largest error one
 * alignment step; equal shares again leave the bounds where they are. */
static void test_balance(void **state)
{
    (void)state;
    struct rt_layout l = rt_layout_make(15000, 0, 1, 2);
    assert_int_equal(l.lo[1], 7552);   /* rt_chunk_of: 7500 rounded up to 64 x 118 */
    const double share[] = {0.6, 0.4};
    assert_true(rt_layout_balance(&l, share, 64));
    assert_int_equal(l.lo[0], 0);
    assert_int_equal(l.lo[1], 9024);   /* 0.6 x 15000 = 9000 = 140.6 x 64 -> 141 x 64 */
    assert_int_equal(l.lo[2], 15000);
    assert_false(rt_layout_balance(&l, share, 64));
    /* a part's range [b, e): bounds from b; a zero share empties a chunk */
    struct rt_layout p = rt_layout_make(1000, 1, 2, 3);
    const int64_t b = p.lo[0], e = p.lo[3];
    const double three[] = {0.5, 0.0, 0.5};
    assert_true(rt_layout_balance(&p, three, 64));
    assert_int_equal(p.lo[0], b);
    assert_int_equal(p.lo[3], e);
    assert_int_equal(p.lo[1], p.lo[2]);
    assert_int_equal((p.lo[1] - b) % 64, 0);
    assert_true(llabs((p.lo[1] - b) - (e - b) / 2) <= 32);
}

/* 200 random moves of 4 threads' bounds over 1000 neurons: after each, every neuron's value (its index
 * + 0.5) is at its slot, and the gaps were never needed as storage by the move. */
static void test_move(void **state)
{
    (void)state;
    enum { N = 1000, NT = 4 };
    struct rt_layout l = rt_layout_make(N, 0, 1, NT);
    const int64_t len = rt_layout_len(&l, N);
    double *col = calloc((size_t)len, sizeof *col), *scratch = malloc(sizeof *scratch * N * NT);
    assert_non_null(col);
    assert_non_null(scratch);
    for (int64_t n = 0; n < N; n++)
        col[rt_layout_slot(&l, n)] = (double)n + 0.5;
    srand(7);
    for (int it = 0; it < 200; it++) {
        double share[NT], sum = 0;
        for (int t = 0; t < NT; t++)
            sum += share[t] = (double)(rand() % 100) + (it % 5 == 0 && t == 1 ? -1e9 : 0);   /* sometimes empty */
        for (int t = 0; t < NT; t++)
            share[t] = share[t] < 0 ? 0 : share[t];
        sum = 0;
        for (int t = 0; t < NT; t++)
            sum += share[t];
        for (int t = 0; t < NT; t++)
            share[t] = sum > 0 ? share[t] / sum : 1.0 / NT;
        struct rt_layout next = l;
        rt_layout_balance(&next, share, 64);
        assert_true(rt_layout_moved(&l, &next) <= (int64_t)N * NT);
        rt_layout_move(col, sizeof *col, &l, &next, scratch);
        l = next;
        for (int64_t n = 0; n < N; n++)
            assert_true(col[rt_layout_slot(&l, n)] == (double)n + 0.5);
    }
    free(col);
    free(scratch);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_slots),
        cmocka_unit_test(test_null),
        cmocka_unit_test(test_shares),
        cmocka_unit_test(test_balance),
        cmocka_unit_test(test_move),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
