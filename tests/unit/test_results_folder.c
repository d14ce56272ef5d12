/*
 * test_results_folder.c - the results folder (results/results.c): exact points.csv text, refusal to
 * overwrite, resume with a torn trailing line (both when it starts a new block and when it cuts the last
 * block short), a different model hash, sorted rewrite at close, run.json; then, read back from the closed
 * folder, scaling.csv (results/scaling.c), the summary, and the plot scripts (results/plot.c).  The folder's
 * lock (results/lock.h): a second open is refused while the first holds it, and a handle whose lock was
 * taken over writes nothing; a caller can keep the lock past res_close.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "results/lock.h"
#include "results/results.h"
#include "results/plot.h"
#include "results/scaling.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char *slurp(const char *dir, const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    static char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = 0;
    fclose(f);
    return strdup(buf);
}

static void append_raw(const char *dir, const char *text)
{
    char path[512];
    snprintf(path, sizeof path, "%s/points.csv", dir);
    FILE *f = fopen(path, "ab");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* removes the temporary tree made by mktmp (dir is <tmp>/a/b) */
static void rmtmp(char *dir)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%.*s'", (int)(strlen(dir) - 4), dir);
    assert_int_equal(system(cmd), 0);
    free(dir);
}

static char *mktmp(void)
{
    char tmpl[] = "/tmp/bn_results_XXXXXX";
    assert_non_null(mkdtemp(tmpl));
    /* a nested, not yet existing folder: res_open must mkdir -p it */
    char *d = malloc(strlen(tmpl) + 16);
    sprintf(d, "%s/a/b", tmpl);
    return d;
}

/* What taking over the lock of a dead holder does (results/lock.h), for a holder that is this process. */
static void unlink_lock(const char *dir)
{
    char path[512];
    snprintf(path, sizeof path, "%s/.balnet-lock", dir);
    assert_int_equal(unlink(path), 0);
}

static const char *const axes[2] = {"N", "syn"};

static void put(struct res *r, int point, const char *n, const char *syn, int trial, double rate, double v)
{
    const char *vals[2] = {n, syn};
    struct stat_row rows[2] = {{"E", "rate", rate, "Hz"}, {"all", "v_var", v, "mV^2"}};
    struct res_timing tm = {1.5, 20, 3, 100, 12345, 1, 2.5};
    char err[256];
    assert_true(res_append_point(r, point, vals, trial, rows, 2, &tm, err, sizeof err));
}

static void test_write_and_refuse(void **state)
{
    (void)state;
    char *dir = mktmp();
    char err[512];
    struct res *r = res_open(dir, "h1", axes, 2, false, err, sizeof err);
    assert_non_null(r);
    put(r, 1, "2000", "current", 1, 0.1, NAN);
    put(r, 0, "1000", "current", 1, 1.0 / 3, 9);
    assert_true(res_is_done(r, 1, 1));
    assert_false(res_is_done(r, 1, 2));
    char *text = slurp(dir, "points.csv");
    /* %.17g: 0.1 and 1/3 are printed so they read back exactly; NaN as "nan" */
    assert_string_equal(text, "point,N,syn,trial,population,statistic,value,unit\n"
                              "1,2000,current,1,E,rate,0.10000000000000001,Hz\n"
                              "1,2000,current,1,all,v_var,nan,mV^2\n"
                              "0,1000,current,1,E,rate,0.33333333333333331,Hz\n"
                              "0,1000,current,1,all,v_var,9,mV^2\n");
    free(text);
    /* r holds the folder's lock (results/lock.h): a second open, even a resume, is refused with the holder
     * named, and changes nothing */
    char want[600];
    snprintf(want, sizeof want, "%s is in use by balnet pid %ld on host ", dir, (long)getpid());
    assert_null(res_open(dir, "h1", axes, 2, true, err, sizeof err));
    assert_memory_equal(err, want, strlen(want));
    text = slurp(dir, "points.csv");
    assert_non_null(strstr(text, "0,1000,current,1,all,v_var,9,mV^2\n"));
    free(text);
    /* close: sorted by (point, trial), run.json, scaling.csv (too few N values: header only) */
    struct res_run_info info = {.model = "m", .model_file = "m.bn", .seed = 7, .wall_s = 2, .compile_ms = 30,
                                .kernel_wait_ms = 4.5, .engine = "jit", .threads = 2, .complete = true,
                                .params_json = "{\"N\": {\"value\": 1000, \"unit\": \"1\"}}"};
    assert_true(res_close(r, &info, err, sizeof err));
    assert_true(fit_scaling_csv(dir, err, sizeof err));
    text = slurp(dir, "points.csv");
    assert_string_equal(text, "point,N,syn,trial,population,statistic,value,unit\n"
                              "0,1000,current,1,E,rate,0.33333333333333331,Hz\n"
                              "0,1000,current,1,all,v_var,9,mV^2\n"
                              "1,2000,current,1,E,rate,0.10000000000000001,Hz\n"
                              "1,2000,current,1,all,v_var,nan,mV^2\n");
    free(text);
    /* the lock went with r; the folder already has results: a fresh open refuses rather than overwrite */
    assert_null(slurp(dir, ".balnet-lock"));
    assert_null(res_open(dir, "h1", axes, 2, false, err, sizeof err));
    assert_non_null(strstr(err, "already holds results"));
    text = slurp(dir, "run.json");
    assert_non_null(strstr(text, "\"model_hash\": \"h1\""));
    assert_non_null(strstr(text, "\"complete\": true"));
    assert_non_null(strstr(text, "\"params\": {\"N\": {\"value\": 1000, \"unit\": \"1\"}}"));
    assert_non_null(strstr(text, "\"seed\": 7"));
    assert_non_null(strstr(text, "\"point\": 0, \"trial\": 1, \"wall_s\": 1.5"));
    /* the run's wait for its kernels: per item (timings.csv's last column) and summed */
    assert_non_null(strstr(text, "\"synapses\": 12345, \"threads\": 1, \"kernel_wait_ms\": 2.5}"));
    assert_non_null(strstr(text, "\"kernel_wait_ms\": 4.5,"));
    assert_non_null(strstr(text, "\"cores\": "));
    free(text);
    text = slurp(dir, "scaling.csv");
    assert_string_equal(text, "statistic,population,axis,N,syn,slope,ci_low,ci_high,n_points,r2\n");
    free(text);
    /* the values read back bit for bit */
    char path[512];
    snprintf(path, sizeof path, "%s/points.csv", dir);
    struct res_table t;
    assert_true(res_table_read(path, &t, err, sizeof err));
    assert_int_equal(t.nrows, 4);
    assert_int_equal(t.naxes, 2);
    assert_true(t.rows[0].value == 1.0 / 3);
    assert_true(t.rows[2].value == 0.1);
    assert_true(isnan(t.rows[3].value));
    assert_string_equal(t.rows[3].axis[1], "current");
    assert_true(res_axis_numeric(&t, 0));
    assert_false(res_axis_numeric(&t, 1));
    res_table_free(&t);
    rmtmp(dir);
}

static void test_resume_torn(void **state)
{
    (void)state;
    char *dir = mktmp();
    char err[512];
    struct res *r = res_open(dir, "h1", axes, 2, false, err, sizeof err);
    assert_non_null(r);
    put(r, 0, "1000", "current", 1, 5, 9);
    put(r, 1, "2000", "current", 1, 6, 8);
    char *good = slurp(dir, "points.csv");
    /* crash while writing the next block: a torn line that starts a new (point, trial) */
    append_raw(dir, "2,4000,curr");
    /* (r is abandoned as a crashed process would abandon it; its fd stays open.  Its lock would be taken
     * over because its pid is gone (test_results_lock.c); this process is alive, so the lock is removed.) */
    unlink_lock(dir);
    struct res *r2 = res_open(dir, "h1", axes, 2, true, err, sizeof err);
    assert_non_null(r2);
    assert_int_equal(res_ndone(r2), 2);
    assert_true(res_is_done(r2, 0, 1) && res_is_done(r2, 1, 1));
    char *text = slurp(dir, "points.csv");
    assert_string_equal(text, good);   /* only the torn line was cut */
    free(text);

    /* crash inside a block: its first row complete, the second torn -> the whole block goes */
    append_raw(dir, "3,8000,current,1,E,rate,7,Hz\n3,8000,current,1,all,v_v");
    unlink_lock(dir);
    struct res *r3 = res_open(dir, "h1", axes, 2, true, err, sizeof err);
    assert_non_null(r3);
    assert_int_equal(res_ndone(r3), 2);
    assert_false(res_is_done(r3, 3, 1));
    text = slurp(dir, "points.csv");
    assert_string_equal(text, good);
    free(text);

    /* appending after the repair continues cleanly */
    put(r3, 3, "8000", "current", 1, 7, 6);
    text = slurp(dir, "points.csv");
    assert_non_null(strstr(text, "1,2000,current,1,all,v_var,8,mV^2\n3,8000,current,1,E,rate,7,Hz\n"));
    /* the "crashed" handles lost the folder: they append nothing, and their close writes nothing */
    const char *vals[2] = {"9000", "current"};
    struct stat_row row = {"E", "rate", 1, "Hz"};
    assert_false(res_append_point(r2, 4, vals, 1, &row, 1, NULL, err, sizeof err));
    assert_non_null(strstr(err, "lost the lock"));
    assert_false(res_close(r2, NULL, err, sizeof err));
    assert_false(res_close(r, NULL, err, sizeof err));
    char *after = slurp(dir, "points.csv");
    assert_string_equal(after, text);
    free(after);
    free(text);
    assert_true(res_close(r3, NULL, err, sizeof err));

    /* a different model is refused with both hashes in the message */
    assert_null(res_open(dir, "other", axes, 2, true, err, sizeof err));
    char want[600];
    snprintf(want, sizeof want, "results in %s come from a different model (hash h1, this model other)", dir);
    assert_string_equal(err, want);
    /* different axes are refused too */
    const char *const axes2[2] = {"N", "c"};
    assert_null(res_open(dir, "h1", axes2, 2, true, err, sizeof err));
    assert_non_null(strstr(err, "have the columns"));
    free(good);
    rmtmp(dir);
}

/* A caller that writes after res_close (the fits and plots) keeps the lock until it releases it. */
static void test_keep_lock(void **state)
{
    (void)state;
    char *dir = mktmp();
    char err[512];
    struct res *r = res_open(dir, "h", axes, 2, false, err, sizeof err);
    assert_non_null(r);
    struct lock *l = res_keep_lock(r);
    assert_non_null(l);
    assert_true(res_close(r, NULL, err, sizeof err));
    char *text = slurp(dir, ".balnet-lock");
    assert_non_null(text);
    free(text);
    assert_null(res_open(dir, "h", axes, 2, true, err, sizeof err));
    assert_non_null(strstr(err, "is in use by balnet pid"));
    lock_release(l);
    assert_null(slurp(dir, ".balnet-lock"));
    r = res_open(dir, "h", axes, 2, true, err, sizeof err);
    assert_non_null(r);
    assert_true(res_close(r, NULL, err, sizeof err));
    rmtmp(dir);
}

static void test_scaling_summary_plots(void **state)
{
    (void)state;
    char *dir = mktmp();
    char err[512];
    struct res *r = res_open(dir, "h", axes, 2, false, err, sizeof err);
    assert_non_null(r);
    /* rate = 2 N^0.5 exactly, for both syn values, 2 trials; v_var = 100 / N */
    const char *Ns[4] = {"1000", "2000", "4000", "8000"};
    const char *syns[2] = {"current", "conductance"};
    int point = 0;
    for (int i = 0; i < 4; i++)
        for (int s = 0; s < 2; s++, point++)
            for (int t = 1; t <= 2; t++) {
                double N = atof(Ns[i]);
                put(r, point, Ns[i], syns[s], t, 2 * sqrt(N), 100 / N);
            }
    assert_true(res_close(r, NULL, err, sizeof err));
    assert_true(fit_scaling_csv(dir, err, sizeof err));
    assert_true(plot_results(dir, err, sizeof err));
    char path[512];
    snprintf(path, sizeof path, "%s/scaling.csv", dir);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char line[512];
    assert_non_null(fgets(line, sizeof line, f));
    assert_string_equal(line, "statistic,population,axis,N,syn,slope,ci_low,ci_high,n_points,r2\n");
    int rows = 0;
    while (fgets(line, sizeof line, f)) {
        char stat[32], pop[32], syn[32];
        double slope, lo, hi, r2;
        int n;
        /* statistic,population,N,,syn,... (the fitted axis' own column is empty) */
        assert_int_equal(sscanf(line, "%31[^,],%31[^,],N,,%31[^,],%lf,%lf,%lf,%d,%lf", stat, pop, syn, &slope, &lo,
                                &hi, &n, &r2),
                         8);
        double want = strcmp(stat, "rate") == 0 ? 0.5 : -1;
        assert_float_equal(slope, want, 1e-12);
        assert_int_equal(n, 8);
        assert_float_equal(r2, 1, 1e-12);
        assert_true(lo <= want + 1e-12 && want - 1e-12 <= hi);
        rows++;
    }
    fclose(f);
    assert_int_equal(rows, 4);   /* {rate E, v_var all} x {current, conductance} */

    /* summary: one line per (point, population), statistics as columns */
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    assert_true(res_summary(m, dir));
    fclose(m);
    assert_non_null(strstr(buf, "rate"));
    assert_non_null(strstr(buf, "[mV^2]"));
    assert_non_null(strstr(buf, "63.25"));   /* 2 sqrt(1000) = 63.246 */
    free(buf);

    /* plots: a script and data file per statistic/population against N; images when gnuplot exists */
    snprintf(path, sizeof path, "%s/plots/rate_E_vs_N.gp", dir);
    assert_int_equal(access(path, R_OK), 0);
    char *dat = slurp(dir, "plots/rate_E_vs_N.dat");
    assert_non_null(dat);
    assert_non_null(strstr(dat, "# curve 0: syn=current\n1000 63.245553203367585 0 2\n"));
    free(dat);
    char *gp = slurp(dir, "plots/rate_E_vs_N.gp");
    assert_non_null(strstr(gp, "set logscale xy"));
    /* N and the rate each hold fewer than two powers of ten: labelled ticks (the sweep's N; the rate,
     * 63.2 .. 178.9, in steps of 20), not gnuplot's single power-of-ten label */
    assert_non_null(strstr(gp, "set xtics (1000, 2000, 4000, 8000)\nset autoscale xfix\n"));
    assert_non_null(strstr(gp, "set ytics (80, 100, 120, 140, 160)\nset autoscale yfix\n"));
    free(gp);
    gp = slurp(dir, "plots/v_var_all_vs_N.gp");   /* 0.0125 .. 0.1, most of a decade: 0.02 .. 0.1 */
    assert_non_null(strstr(gp, "set ytics (0.02, 0.03, 0.04, 0.05, 0.06, 0.07, 0.08, 0.09, 0.1)\n"));
    free(gp);
    if (plot_have_gnuplot()) {
        char *log = slurp(dir, "plots/gnuplot.log");
        assert_string_equal(log, "");   /* no warnings */
        free(log);
        snprintf(path, sizeof path, "%s/plots/rate_E_vs_N.svg", dir);
        assert_int_equal(access(path, R_OK), 0);
        snprintf(path, sizeof path, "%s/plots/v_var_all_vs_N.png", dir);
        assert_int_equal(access(path, R_OK), 0);
    }
    rmtmp(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_write_and_refuse),
        cmocka_unit_test(test_resume_torn),
        cmocka_unit_test(test_keep_lock),
        cmocka_unit_test(test_scaling_summary_plots),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
