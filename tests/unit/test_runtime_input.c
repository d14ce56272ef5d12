/*
 * test_runtime_input.c - input generators (runtime/input.h): Poisson rate, the correlated mother process
 * (pairwise count correlation and daughter rates), determinism, and the CSV reader with its errors.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runtime/input.h"

static struct ir_input poisson(int64_t size, double rate_hz, double corr, double jitter)
{
    return (struct ir_input){.name = "X", .kind = IR_INPUT_POISSON, .size = size, .rate = rate_hz / 1000,
                             .corr = corr, .jitter = jitter};
}

/* Runs a generator for nsteps and returns per-neuron counts in windows of `win` steps:
 * counts[neuron * nwin + window]; also checks the per-step lists are sorted and in range. */
static int *run_counts(struct rt_input *g, int64_t size, int64_t nsteps, int64_t win, int64_t *total)
{
    int64_t nwin = nsteps / win;
    int *counts = calloc((size_t)(size * nwin), sizeof *counts);
    *total = 0;
    for (int64_t t = 0; t < nsteps; t++) {
        const uint32_t *idx;
        int64_t n = rt_input_step(g, t, &idx);
        assert_true(n >= 0);
        for (int64_t k = 0; k < n; k++) {
            assert_true(idx[k] < size);
            if (k)
                assert_true(idx[k] >= idx[k - 1]);
            if (t / win < nwin)
                counts[idx[k] * nwin + t / win]++;
        }
        *total += n;
    }
    return counts;
}

static void test_poisson_rate(void **state)
{
    (void)state;
    char err[256];
    struct ir_input in = poisson(1000, 20, 0, 0);
    struct rt_input *g = rt_input_create(&in, 0, 0.1, 10000, 1, err, sizeof err);
    assert_non_null(g);
    int64_t total;
    int *counts = run_counts(g, 1000, 10000, 10000, &total);
    /* 1000 neurons x 1 s x 20 Hz: Binomial(1e7, 0.002), mean 20000, sd 141 */
    assert_true(fabs((double)total - 20000) < 5 * 141.3);
    /* per-neuron counts: variance = mean (1 - p) ~ 20 (Poisson-like), checks the trains are not regular */
    double v = 0;
    for (int i = 0; i < 1000; i++)
        v += (counts[i] - total / 1000.0) * (counts[i] - total / 1000.0);
    v /= 999;
    /* sample variance sd ~ 20 sqrt(2/999) = 0.9 (Poisson excess kurtosis 1/20 adds little) */
    assert_true(fabs(v - 20) < 5 * 0.92);
    free(counts);
    rt_input_free(g);

    /* same seed, same trains; the trains of neuron i do not depend on the population size */
    struct ir_input small = poisson(10, 20, 0, 0);
    struct rt_input *a = rt_input_create(&in, 0, 0.1, 5000, 7, err, sizeof err);
    struct rt_input *b = rt_input_create(&small, 0, 0.1, 5000, 7, err, sizeof err);
    int64_t na = 0, nb = 0;
    for (int64_t t = 0; t < 5000; t++) {
        const uint32_t *ia, *ib;
        int64_t ka = rt_input_step(a, t, &ia), kb = rt_input_step(b, t, &ib);
        int64_t j = 0;
        for (int64_t k = 0; k < ka && ia[k] < 10; k++, j++) {
            assert_true(j < kb);
            assert_int_equal(ia[k], ib[j]);
        }
        assert_int_equal(j, kb);
        na += ka;
        nb += kb;
    }
    assert_true(nb > 0 && na > nb);
    rt_input_free(a);
    rt_input_free(b);
}

/* Mean Pearson correlation over all pairs of count vectors, via z-scores: the sum of the off-diagonal
 * correlations is |sum_i z_i|^2 - sum_i |z_i|^2 (SCIENCE.md §3). */
static double mean_pair_corr(const int *counts, int64_t size, int64_t nwin)
{
    double *sum = calloc((size_t)nwin, sizeof *sum), diag = 0;
    int64_t used = 0;
    for (int64_t i = 0; i < size; i++) {
        const int *c = counts + i * nwin;
        double m = 0, ss = 0;
        for (int64_t w = 0; w < nwin; w++)
            m += c[w];
        m /= (double)nwin;
        for (int64_t w = 0; w < nwin; w++)
            ss += (c[w] - m) * (c[w] - m);
        if (ss == 0)
            continue;
        for (int64_t w = 0; w < nwin; w++) {
            double z = (c[w] - m) / sqrt(ss);
            sum[w] += z;
            diag += z * z;
        }
        used++;
    }
    double tot = 0;
    for (int64_t w = 0; w < nwin; w++)
        tot += sum[w] * sum[w];
    free(sum);
    return (tot - diag) / ((double)used * (double)(used - 1));
}

static void test_correlated(void **state)
{
    (void)state;
    char err[256];
    /* 100 daughters at 10 Hz, c = 0.2, jitter 5 ms, dt 0.5 ms, 200 s: 2000 windows of 100 ms. */
    const int64_t size = 100, nsteps = 400000, win = 200, nwin = nsteps / win;
    struct ir_input in = poisson(size, 10, 0.2, 5);
    struct rt_input *g = rt_input_create(&in, 2, 0.5, nsteps, 11, err, sizeof err);
    assert_non_null(g);
    int64_t total;
    int *counts = run_counts(g, size, nsteps, win, &total);
    rt_input_free(g);
    /* Expected correlation for windows T >> jitter: c (T - E|D|) / T with D ~ N(0, 2 jitter^2) the
     * difference of two jitters, E|D| = 2 jitter / sqrt(pi) = 5.64 ms: 0.2 (1 - 0.0564) = 0.1887.
     * Over 20 seeds (measured while writing this test) the pair-averaged estimator over 2000 windows
     * had mean 0.1894 and sd 0.0052; 0.03 is about 6 of those sds. */
    double rho = mean_pair_corr(counts, size, nwin);
    assert_true(fabs(rho - 0.1887) < 0.03);
    /* Total: var = N r T (1 + (N - 1) c) because daughters share mother spikes: mean 200000,
     * sd sqrt(200000 * 20.8) = 2040. */
    assert_true(fabs((double)total - 200000) < 5 * 2040);
    /* Each daughter alone is Poisson at r: 2000 +- 5 sqrt(2000) spikes. */
    for (int64_t i = 0; i < size; i++) {
        int64_t n = 0;
        for (int64_t w = 0; w < nwin; w++)
            n += counts[i * nwin + w];
        assert_true(fabs((double)n - 2000) < 5 * sqrt(2000.0));
    }
    free(counts);

    /* c = 0 is the independent generator: correlation ~ 0 (sd 1/sqrt(W) / sqrt(pairs) tiny) */
    struct ir_input ind = poisson(size, 10, 0, 5);
    g = rt_input_create(&ind, 2, 0.5, nsteps / 4, 11, err, sizeof err);
    counts = run_counts(g, size, nsteps / 4, win, &total);
    rt_input_free(g);
    assert_true(fabs(mean_pair_corr(counts, size, nwin / 4)) < 0.01);
    free(counts);
}

static void test_fully_correlated(void **state)
{
    (void)state;
    char err[256];
    /* c = 1 and no jitter: every daughter copies the mother exactly. */
    struct ir_input in = poisson(8, 50, 1, 0);
    struct rt_input *g = rt_input_create(&in, 0, 0.1, 20000, 3, err, sizeof err);
    assert_non_null(g);
    int64_t spikes = 0;
    for (int64_t t = 0; t < 20000; t++) {
        const uint32_t *idx;
        int64_t n = rt_input_step(g, t, &idx);
        assert_true(n % 8 == 0);
        for (int64_t k = 0; k < n; k++)
            assert_int_equal(idx[k], k / (n / 8));
        spikes += n / 8;
    }
    /* mother: Poisson(50 Hz x 2 s) = 100 +- 10 */
    assert_true(fabs((double)spikes - 100) < 5 * 10);
    rt_input_free(g);
}

static const char *write_tmp(const char *name, const char *text)
{
    static char path[256];
    snprintf(path, sizeof path, "/tmp/bn_rt_input_%d_%s", (int)getpid(), name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return path;
}

static void test_csv(void **state)
{
    (void)state;
    char err[512], want[512];
    const char *p = write_tmp("ok.csv", "neuron,time_ms\n# a comment\n2, 0.3\n0,0.04\n\n1,1 ms\n0,0.0002 s\n3,99999\n");
    int64_t *steps, n;
    uint32_t *neurons;
    assert_true(rt_input_read_csv(p, 4, 0.1, 100, &steps, &neurons, &n, err, sizeof err));
    /* sorted by step then neuron; 0.04 ms and 0.2 ms round to steps 0 and 2; 99999 ms is past the end */
    assert_int_equal(n, 4);
    int64_t es[] = {0, 2, 3, 10};
    uint32_t en[] = {0, 0, 2, 1};
    for (int i = 0; i < 4; i++) {
        assert_int_equal(steps[i], es[i]);
        assert_int_equal(neurons[i], en[i]);
    }
    free(steps);
    free(neurons);

    /* through the generator */
    struct ir_input in = {.name = "S", .kind = IR_INPUT_FILE, .size = 4, .path = p};
    struct rt_input *g = rt_input_create(&in, 0, 0.1, 100, 1, err, sizeof err);
    assert_non_null(g);
    const uint32_t *idx;
    assert_int_equal(rt_input_step(g, 0, &idx), 1);
    assert_int_equal(idx[0], 0);
    assert_int_equal(rt_input_step(g, 1, &idx), 0);
    assert_int_equal(rt_input_step(g, 2, &idx), 1);
    assert_int_equal(rt_input_step(g, 3, &idx), 1);
    assert_int_equal(idx[0], 2);
    rt_input_free(g);

    p = write_tmp("nan.csv", "0,1\n1,2\n2,abc\n");
    assert_false(rt_input_read_csv(p, 4, 0.1, 100, &steps, &neurons, &n, err, sizeof err));
    snprintf(want, sizeof want, "%s:3: time 'abc' is not a number of ms (write 5, 5 ms or 0.005 s)", p);
    assert_string_equal(err, want);

    p = write_tmp("range.csv", "# header-less\n0,1\n4,2\n");
    assert_false(rt_input_read_csv(p, 4, 0.1, 100, &steps, &neurons, &n, err, sizeof err));
    snprintf(want, sizeof want, "%s: neuron 4 out of range (the input has 4 neurons)", p);
    assert_string_equal(err, want);

    p = write_tmp("neg.csv", "0,1\n-1,2\n");
    assert_false(rt_input_read_csv(p, 4, 0.1, 100, &steps, &neurons, &n, err, sizeof err));
    snprintf(want, sizeof want, "%s:2: neuron '-1' is not a non-negative integer", p);
    assert_string_equal(err, want);

    p = write_tmp("fields.csv", "0,1\n7\n");
    assert_false(rt_input_read_csv(p, 4, 0.1, 100, &steps, &neurons, &n, err, sizeof err));
    snprintf(want, sizeof want, "%s:2: expected 'neuron,time' (a comma between them)", p);
    assert_string_equal(err, want);

    p = write_tmp("negt.csv", "0,-1\n");
    assert_false(rt_input_read_csv(p, 4, 0.1, 100, &steps, &neurons, &n, err, sizeof err));
    snprintf(want, sizeof want, "%s:1: time -1 ms is negative", p);
    assert_string_equal(err, want);

    /* one documented header; a unit that is not a time; a file without spikes (issue 11 item 9) */
    p = write_tmp("header.csv", "neuron,time\n0,1\n");
    assert_false(rt_input_read_csv(p, 4, 0.1, 100, &steps, &neurons, &n, err, sizeof err));
    snprintf(want, sizeof want, "%s:1: the header must be 'neuron,time_ms' (or no header: rows 'neuron,time')", p);
    assert_string_equal(err, want);
    p = write_tmp("mv.csv", "neuron,time_ms\n0,5 mV\n");
    assert_false(rt_input_read_csv(p, 4, 0.1, 100, &steps, &neurons, &n, err, sizeof err));
    snprintf(want, sizeof want, "%s:2: time '5 mV' is not a number of ms (write 5, 5 ms or 0.005 s)", p);
    assert_string_equal(err, want);
    p = write_tmp("empty.csv", "neuron,time_ms\n# none\n");
    assert_false(rt_input_read_csv(p, 4, 0.1, 100, &steps, &neurons, &n, err, sizeof err));
    snprintf(want, sizeof want, "%s holds no spikes (rows 'neuron,time_ms')", p);
    assert_string_equal(err, want);

    in.path = "/nonexistent/spikes.csv";
    assert_null(rt_input_create(&in, 0, 0.1, 100, 1, err, sizeof err));
    assert_string_equal(err, "cannot open /nonexistent/spikes.csv: No such file or directory");

    const char *names[] = {"ok.csv", "nan.csv", "range.csv", "neg.csv", "fields.csv", "negt.csv", "header.csv",
                           "mv.csv", "empty.csv"};
    for (int i = 0; i < 9; i++) {
        char path[256];
        snprintf(path, sizeof path, "/tmp/bn_rt_input_%d_%s", (int)getpid(), names[i]);
        unlink(path);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_poisson_rate),
        cmocka_unit_test(test_correlated),
        cmocka_unit_test(test_fully_correlated),
        cmocka_unit_test(test_csv),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
