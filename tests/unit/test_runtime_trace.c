/*
 * test_runtime_trace.c - runtime/trace.c against synthetic spikes and observables with known answers
 * (no kernels, no network): the CSV files of rate_trace, trace and raster, their headers, time stamps,
 * values, the caps with their truncation line, the pooled rate, atomic writing, and that stats.c gives
 * recordings no points.csv rows.
 *
 * Every value is printed with 17 significant digits, so the numbers read back must equal the ones
 * computed here to the last bit of the division (tolerance 1e-12 relative only guards against a printf
 * that rounds differently); times are multiples of dt printed with 12 digits (tolerance 1e-9 ms).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "runtime/stats.h"
#include "stats_step.h"
#include "runtime/trace.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <dirent.h>

/* ---- a hand-built model: E (10 neurons), I (4 neurons), one observable x each ------------------- */

#define DT 0.5
#define NSTEPS 20
#define BURN 4

static struct ir_observable obs_x[1] = {{.name = "x"}};

struct fixture {
    struct ir_pop pops[2];
    int pops_ei[2], pops_e[1], pops_i[1];
    struct ir_stat s1[2], s2[2], s3[1];
    struct ir_record recs[3];
    struct ir_model m;
};

static void setup_model(struct fixture *fx)
{
    memset(fx, 0, sizeof *fx);
    fx->pops[0] = (struct ir_pop){.name = "E", .size = 10, .obs = obs_x, .nobs = 1};
    fx->pops[1] = (struct ir_pop){.name = "I", .size = 4, .obs = obs_x, .nobs = 1};
    fx->pops_ei[0] = 0, fx->pops_ei[1] = 1, fx->pops_e[0] = 0, fx->pops_i[0] = 1;
    /* record E, I, all: rate, rate_trace(bin = 1 ms) */
    fx->s1[0] = (struct ir_stat){.name = "rate", .kind = IR_STAT_RATE, .obs = -1, .obs2 = -1, .unit = "Hz",
                                 .unit_scale = 1000};
    fx->s1[1] = (struct ir_stat){.name = "rate_trace", .kind = IR_STAT_RATE_TRACE, .obs = -1, .obs2 = -1,
                                 .bin = 1.0, .unit = "Hz", .unit_scale = 1000};
    /* record E: trace(x, neurons = 3, every = 1.5 ms), raster(neurons = 5) */
    fx->s2[0] = (struct ir_stat){.name = "trace_x", .kind = IR_STAT_TRACE, .obs = 0, .obs2 = -1, .neurons = 3,
                                 .every = 1.5, .unit = "1", .unit_scale = 1};
    fx->s2[1] = (struct ir_stat){.name = "raster", .kind = IR_STAT_RASTER, .obs = -1, .obs2 = -1, .neurons = 5,
                                 .unit = "1", .unit_scale = 1};
    /* record I: raster(neurons = 100) - more than the population: all 4 are recorded */
    fx->s3[0] = (struct ir_stat){.name = "raster", .kind = IR_STAT_RASTER, .obs = -1, .obs2 = -1, .neurons = 100,
                                 .unit = "1", .unit_scale = 1};
    fx->recs[0] = (struct ir_record){.pops = fx->pops_ei, .npops = 2, .pooled = true, .stats = fx->s1, .nstats = 2};
    fx->recs[1] = (struct ir_record){.pops = fx->pops_e, .npops = 1, .stats = fx->s2, .nstats = 2};
    fx->recs[2] = (struct ir_record){.pops = fx->pops_i, .npops = 1, .stats = fx->s3, .nstats = 1};
    fx->m = (struct ir_model){.name = "t", .dt = DT, .duration = NSTEPS * DT, .burn_in = BURN * DT,
                              .pops = fx->pops, .npops = 2, .records = fx->recs, .nrecords = 3};
}

/* Synthetic activity of step t: E spikes {t % 10, 3t % 10}, I spikes {t % 4} on even steps; x = 100 t + i. */
static int64_t spikes_of(int pop, int64_t t, uint32_t *idx)
{
    if (pop == 1) {
        if (t % 2)
            return 0;
        idx[0] = (uint32_t)(t % 4);
        return 1;
    }
    uint32_t a = (uint32_t)(t % 10), b = (uint32_t)(3 * t % 10);
    if (a == b) {
        idx[0] = a;
        return 1;
    }
    idx[0] = a < b ? a : b;
    idx[1] = a < b ? b : a;
    return 2;
}

static void feed(struct traces *tr, struct stats *st)
{
    double col[2][10];
    double *obs[2][1] = {{col[0]}, {col[1]}};
    for (int64_t t = 0; t < NSTEPS; t++)
        for (int p = 0; p < 2; p++) {
            uint32_t idx[2];
            uint8_t flags[64] = {0};
            int64_t n = spikes_of(p, t, idx);
            for (int64_t k = 0; k < n; k++)
                flags[idx[k]] = 1;
            for (int i = 0; i < 10; i++)
                col[p][i] = 100.0 * (double)t + i;
            if (tr)
                trace_step(tr, p, t, idx, n, obs[p]);
            if (st)
                stats_step_flags(st, p, t, flags, obs[p], 0, p ? 4 : 10);
        }
}

/* ---- reading the files back ------------------------------------------------------------------------ */

static char tmpdir[256];

static int setup_dir(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/balnet-trace-XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown_dir(void **state)
{
    (void)state;
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

struct lines {
    char *text;
    char *line[4096];
    int n;
};

static void read_lines(struct lines *L, const char *dir, const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/traces/%s", dir, name);
    FILE *f = fopen(path, "r");
    if (!f)
        fail_msg("cannot open %s", path);
    static char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    L->text = buf;
    L->n = 0;
    for (char *p = buf; *p && L->n < 4096;) {
        L->line[L->n++] = p;
        char *e = strchr(p, '\n');
        if (!e)
            break;
        *e = 0;
        p = e + 1;
    }
}

static void assert_close(double got, double want, double tol)
{
    if (!(fabs(got - want) <= tol))
        fail_msg("got %.17g, want %.17g (tolerance %g)", got, want, tol);
}

/* ---- tests ------------------------------------------------------------------------------------------- */

static void test_rate_trace(void **state)
{
    (void)state;
    struct fixture fx;
    setup_model(&fx);
    assert_true(trace_any(&fx.m));
    struct traces *tr = trace_create(&fx.m, NSTEPS, BURN, NULL, NULL);
    assert_non_null(tr);
    assert_int_equal(trace_count(tr), 3 + 1 + 1 + 1);   /* rate_trace E, I, all; trace E; raster E; raster I */
    feed(tr, NULL);
    char err[256];
    assert_true(trace_write(tr, tmpdir, 7, 2, err, sizeof err));
    trace_free(tr);

    /* bins of 2 steps from step 4: 8 bins; rate = count / (N * 2 * 0.5 ms) in Hz */
    const char *names[3] = {"p7-t2-E-rate_trace.csv", "p7-t2-I-rate_trace.csv", "p7-t2-all-rate_trace.csv"};
    for (int which = 0; which < 3; which++) {
        struct lines L;
        read_lines(&L, tmpdir, names[which]);
        assert_string_equal(L.line[0], "time_ms,rate_hz");
        assert_int_equal(L.n, 1 + 8);
        double total = 0;
        for (int b = 0; b < 8; b++) {
            int64_t count = 0, n = which == 0 ? 10 : which == 1 ? 4 : 14;
            for (int64_t t = BURN + 2 * b; t < BURN + 2 * b + 2; t++) {
                uint32_t idx[2];
                if (which != 1)
                    count += spikes_of(0, t, idx);
                if (which != 0)
                    count += spikes_of(1, t, idx);
            }
            double time, hz;
            assert_int_equal(sscanf(L.line[1 + b], "%lf,%lf", &time, &hz), 2);
            assert_close(time, (BURN + 2 * b) * DT, 1e-9);
            double want = (double)count / ((double)n * 2 * DT) * 1000;
            assert_close(hz, want, 1e-12 * want);
            total += hz;
        }
        /* the mean of the column is the rate: all spikes after burn-in / (N T) */
        int64_t all = 0;
        for (int64_t t = BURN; t < NSTEPS; t++) {
            uint32_t idx[2];
            if (which != 1)
                all += spikes_of(0, t, idx);
            if (which != 0)
                all += spikes_of(1, t, idx);
        }
        double n = which == 0 ? 10 : which == 1 ? 4 : 14;
        double rate = (double)all / (n * (NSTEPS - BURN) * DT) * 1000;
        assert_close(total / 8, rate, 1e-12 * rate);
    }
}

static void test_trace_and_raster(void **state)
{
    (void)state;
    struct fixture fx;
    setup_model(&fx);
    struct traces *tr = trace_create(&fx.m, NSTEPS, BURN, NULL, NULL);
    feed(tr, NULL);
    char err[256];
    assert_true(trace_write(tr, tmpdir, 0, 1, err, sizeof err));
    trace_free(tr);

    /* trace: every 3 steps from step 4 -> steps 4, 7, 10, 13, 16, 19 (ceil(16/3) = 6 samples) x 3 neurons,
     * stamped at the end of the step, (t + 1) dt */
    struct lines L;
    read_lines(&L, tmpdir, "p0-t1-E-trace_x.csv");
    assert_string_equal(L.line[0], "time_ms,neuron,x_1");   /* dimensionless x */
    assert_int_equal(L.n, 1 + 6 * 3);
    for (int s = 0; s < 6; s++)
        for (int j = 0; j < 3; j++) {
            double time, v;
            int neuron;
            assert_int_equal(sscanf(L.line[1 + s * 3 + j], "%lf,%d,%lf", &time, &neuron, &v), 3);
            int64_t t = BURN + 3 * s;
            assert_close(time, (double)(t + 1) * DT, 1e-9);
            assert_int_equal(neuron, j);
            assert_close(v, 100.0 * (double)t + j, 0);
        }

    /* raster E (first 5): every spike of neurons 0..4 after burn-in, in step then neuron order */
    read_lines(&L, tmpdir, "p0-t1-E-raster.csv");
    assert_string_equal(L.line[0], "time_ms,neuron");
    int row = 1;
    for (int64_t t = BURN; t < NSTEPS; t++) {
        uint32_t idx[2];
        int64_t n = spikes_of(0, t, idx);
        for (int64_t k = 0; k < n; k++) {
            if (idx[k] >= 5)
                continue;
            double time;
            int neuron;
            assert_true(row < L.n);
            assert_int_equal(sscanf(L.line[row++], "%lf,%d", &time, &neuron), 2);
            assert_close(time, (double)(t + 1) * DT, 1e-9);
            assert_int_equal(neuron, (int)idx[k]);
        }
    }
    assert_int_equal(row, L.n);
    assert_true(row > 5);   /* the check above compared something */

    /* raster I (neurons = 100 > 4): every spike of the population, 8 even steps in [4, 20) */
    read_lines(&L, tmpdir, "p0-t1-I-raster.csv");
    assert_int_equal(L.n, 1 + 8);

    /* written atomically: nothing but the 6 .csv files in traces/ */
    char path[512];
    snprintf(path, sizeof path, "%s/traces", tmpdir);
    DIR *d = opendir(path);
    assert_non_null(d);
    int files = 0;
    for (struct dirent *e; (e = readdir(d));) {
        if (e->d_name[0] == '.')
            continue;
        assert_non_null(strstr(e->d_name, ".csv"));
        assert_null(strstr(e->d_name, ".tmp"));
        files += !strncmp(e->d_name, "p0-t1-", 6);
    }
    closedir(d);
    assert_int_equal(files, 6);
}

static void test_caps(void **state)
{
    (void)state;
    struct fixture fx;
    setup_model(&fx);
    struct trace_limits lim = {.max_rows = 5, .max_spikes = 3};
    struct traces *tr = trace_create(&fx.m, NSTEPS, BURN, &lim, NULL);
    feed(tr, NULL);
    char err[256];
    assert_true(trace_write(tr, tmpdir, 3, 1, err, sizeof err));
    trace_free(tr);

    struct lines L;
    read_lines(&L, tmpdir, "p3-t1-E-rate_trace.csv");
    assert_int_equal(L.n, 1 + 5 + 1);
    /* bins 0..4 kept; bin 5 starts at step 4 + 10 = 14, t = 7 ms */
    assert_string_equal(L.line[6], "# truncated: at most 5 rows per file; bins from t = 7 ms on are not recorded");

    read_lines(&L, tmpdir, "p3-t1-E-trace_x.csv");
    /* whole samples only: 5 rows allow one sample of 3 neurons (step 4); the next, step 7, is stamped
     * (7 + 1) * 0.5 = 4 ms */
    assert_int_equal(L.n, 1 + 3 + 1);
    assert_string_equal(L.line[4], "# truncated: at most 5 rows per file; samples from t = 4 ms on are not recorded");

    read_lines(&L, tmpdir, "p3-t1-E-raster.csv");
    assert_int_equal(L.n, 1 + 3 + 1);
    /* spikes of neurons < 5 from step 4: step 4 {2, 4}, step 5 {5}, step 6 {6, 8}, step 7 {1, 7}: the third
     * kept is neuron 1 at step 7 (t = 4 ms); the first dropped is neuron 4 at step 8 {4, 8} -> t = 4.5 ms */
    assert_string_equal(L.line[3], "4,1");
    assert_string_equal(L.line[4], "# truncated: at most 3 spikes per file; spikes from t = 4.5 ms on are not recorded");
}

static void test_write_error(void **state)
{
    (void)state;
    struct fixture fx;
    setup_model(&fx);
    struct traces *tr = trace_create(&fx.m, NSTEPS, BURN, NULL, NULL);
    feed(tr, NULL);
    /* a regular file where the folder should be */
    char file[512], err[512] = "";
    snprintf(file, sizeof file, "%s/plain", tmpdir);
    FILE *f = fopen(file, "w");
    assert_non_null(f);
    fclose(f);
    assert_false(trace_write(tr, file, 0, 1, err, sizeof err));
    assert_non_null(strstr(err, "plain/traces"));
    trace_free(tr);
}

static void test_no_rows_in_stats(void **state)
{
    (void)state;
    struct fixture fx;
    setup_model(&fx);
    struct stats *st = stats_create(&fx.m, NSTEPS, BURN, NULL);
    assert_non_null(st);
    feed(NULL, st);
    const struct stat_row *rows;
    int n = stats_finish(st, &rows);
    /* only `rate` of E, I and all: the five recordings give no rows */
    assert_int_equal(n, 3);
    for (int i = 0; i < n; i++)
        assert_string_equal(rows[i].statistic, "rate");
    stats_free(st);

    /* a model without recordings needs no trace object */
    fx.m.nrecords = 1;
    fx.recs[0].nstats = 1;
    assert_false(trace_any(&fx.m));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rate_trace),      cmocka_unit_test(test_trace_and_raster),
        cmocka_unit_test(test_caps),            cmocka_unit_test(test_write_error),
        cmocka_unit_test(test_no_rows_in_stats),
    };
    return cmocka_run_group_tests(tests, setup_dir, teardown_dir);
}
