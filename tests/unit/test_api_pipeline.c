/*
 * test_api_pipeline.c - the public header (include/balnet.h) through libbalnet.so, as a client sees it:
 * a model loaded from a string with overrides, a located diagnostic returned as data, the sweep's items,
 * one item run with its rows and spikes (the kept spikes must reproduce the `rate` row exactly), the same
 * item run twice giving the same rows, kernels compiled while the network is built (and a build failure
 * that still ends the compile), the scheduler running every item on two threads, measured params
 * (an item waits for the point it is measured from, and cannot run before it), a long run cancelled from
 * another thread, and the results folder's lock (an open folder refuses a second opener and `balnet plot`'s
 * lock; a kept lock outlives bn_folder_close until bn_unlock).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "balnet.h"
#include "compiler/support/util.h"
#include "eff_tau_model.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* CUBA (models/benchmarks/cuba.bn) shrunk: 200 neurons, 200 ms, two sizes and two trials. */
static const char cuba[] =
    "import lif, exp_synapses\n"
    "param N = 200\n"
    "param R_m = 100 Mohm\n"
    "param V0 = uniform(-60 mV, -50 mV)\n"
    "population E = lif[0.8*N](E_L = -49 mV, V_th = -50 mV, V_re = -60 mV, t_ref = 5 ms, V = V0)\n"
    "population I = lif[0.2*N](E_L = -49 mV, V_th = -50 mV, V_re = -60 mV, t_ref = 5 ms, V = V0)\n"
    "connect E -> E via exp_current(5 ms) bernoulli(0.1) weight 1.62 mV / R_m\n"
    "connect I -> E via exp_current(10 ms) bernoulli(0.1) weight -9 mV / R_m\n"
    "record E, I: rate\n"
    "simulate { dt = 0.1 ms  duration = 200 ms  burn_in = 0 ms  seed = 1 }\n"
    "sweep { N in [100, 200], trial in 1..2 }\n";

static double row_value(const bn_result *r, const char *pop, const char *stat)
{
    for (int i = 0; i < bn_nrows(r); i++)
        if (strcmp(bn_row(r, i)->population, pop) == 0 && strcmp(bn_row(r, i)->statistic, stat) == 0)
            return bn_row(r, i)->value;
    return NAN;
}

static bn_model *load_cuba(const struct bn_set *sets, int nsets)
{
    struct bn_load_options o = {.sets = sets, .nsets = nsets};
    bn_model *m = bn_load_string("cuba_small.bn", cuba, &o);
    assert_non_null(m);
    for (int i = 0; i < bn_ndiags(m); i++)
        fputs(bn_diag(m, i)->rendered, stderr);
    assert_true(bn_ok(m));
    char err[512] = "";
    assert_true(bn_expand(m, err, sizeof err));
    return m;
}

static void test_load_string_and_items(void **state)
{
    (void)state;
    /* an override replaces the N axis: 3 points x 2 trials */
    struct bn_set sets[] = {{"N", "[100, 150, 200]"}};
    bn_model *m = load_cuba(sets, 1);
    assert_string_equal(bn_model_name(m), "cuba_small");
    assert_int_equal(bn_npoints(m), 3);
    assert_int_equal(bn_ntrials(m), 2);
    assert_int_equal(bn_nitems(m), 6);
    assert_int_equal(bn_naxes(m), 1);
    assert_string_equal(bn_axis_name(m, 0), "N");
    assert_string_equal(bn_point_value(m, 1, 0), "150");
    assert_int_equal(bn_item_point(m, 3), 1);
    assert_int_equal(bn_item_trial(m, 3), 2);
    assert_int_equal(bn_point_ndeps(m, 2), 0);
    assert_true(bn_item_ready(m, 5));
    bn_free(m);
}

static void test_diagnostic_as_data(void **state)
{
    (void)state;
    bn_model *m = bn_load_string("bad.bn",
                                 "neuron n {\n"
                                 "    param tau_m = 10 ms\n"
                                 "    state V = -70 mV\n"
                                 "    dV/dt = -V / tau_n\n"
                                 "}\n"
                                 "population P = n[1]\n",
                                 NULL);
    assert_non_null(m);
    assert_false(bn_ok(m));
    assert_true(bn_ndiags(m) >= 1);
    const struct bn_diag *d = bn_diag(m, 0);
    assert_int_equal(d->level, BN_ERROR);
    assert_string_equal(d->file, "bad.bn");
    assert_int_equal(d->line, 4);
    assert_int_equal(d->col, 18);
    assert_string_equal(d->message, "undefined name 'tau_n'; did you mean 'tau_m'?");
    assert_string_equal(d->rendered, "bad.bn:4:18: error: undefined name 'tau_n'; did you mean 'tau_m'?\n"
                                     "    4 |     dV/dt = -V / tau_n\n"
                                     "      |                  ^~~~~\n");
    char err[256];
    assert_false(bn_expand(m, err, sizeof err));   /* a model with errors does not expand */
    bn_free(m);
}

static void test_run_one_item(void **state)
{
    (void)state;
    bn_model *m = load_cuba(NULL, 0);
    struct bn_run_options ro = {.keep_spikes = true};
    char err[512] = "";
    double compile_ms = -1;
    assert_true(bn_compile_item(m, 3, &compile_ms, err, sizeof err));
    assert_true(compile_ms >= 0);
    bn_result *r = bn_run_item(m, 3, &ro, err, sizeof err);   /* N = 200, trial 2 */
    assert_non_null(r);
    assert_int_equal(bn_nrows(r), 2);
    double rate_e = row_value(r, "E", "rate");
    assert_true(rate_e > 0);
    assert_string_equal(bn_row(r, 0)->unit, "Hz");
    /* The kept spikes of E over 160 neurons and 0.2 s are the rate row (burn_in = 0: every step counts). */
    const int32_t *pop;
    const int64_t *step;
    const uint32_t *neuron;
    bn_spikes(r, &pop, &step, &neuron);
    int64_t ne = 0;
    for (int64_t i = 0; i < bn_nspikes(r); i++) {
        assert_true(i == 0 || step[i] >= step[i - 1]);
        if (strcmp(bn_spike_population(r, pop[i]), "E") == 0) {
            assert_true(neuron[i] < 160);
            ne++;
        }
    }
    /* Tolerance: the rate is a ratio of counts, computed in double by both sides; 1e-12 relative. */
    assert_float_equal((double)ne / (160 * 0.2), rate_e, 1e-12 * rate_e);
    assert_true(bn_timing(r)->sim_ms > 0);
    /* the same item again: the same rows, bit for bit (its seed depends only on the item) */
    bn_result *again = bn_run_item(m, 3, NULL, err, sizeof err);
    assert_non_null(again);
    assert_true(row_value(again, "E", "rate") == rate_e);
    assert_true(row_value(again, "I", "rate") == row_value(r, "I", "rate"));
    assert_int_equal(bn_nspikes(again), 0);   /* spikes only when asked for */
    /* another trial gives another network */
    bn_result *other = bn_run_item(m, 2, NULL, err, sizeof err);
    assert_non_null(other);
    assert_true(row_value(other, "E", "rate") != rate_e);
    bn_result_free(other);
    bn_result_free(again);
    bn_result_free(r);
    bn_free(m);
}

/* The JIT compiles an item's kernels while its network is built (api/item.c, rt_options.kernels_ready).
 * On two threads the rows are the interpreter's bit for bit (the kernels the run asked for are the right
 * ones).  A run whose build fails after the compile started (its spike file removed after loading, so the
 * runtime cannot read it) fails with that error and still ends the compile: bn_compile_ms counts it. */
static void test_compile_while_building(void **state)
{
    (void)state;
    char path[] = "/tmp/balnet-api-spikes.XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "0,1\n1,2\n", 8), 8);
    close(fd);
    char src[1024];
    snprintf(src, sizeof src,
             "import lif, exp_synapses\n"
             "param R_m = 100 Mohm\n"
             "population E = lif[300](V = uniform(-60 mV, -50 mV), E_L = -49 mV, V_th = -50 mV, V_re = -60 mV, "
             "t_ref = 5 ms)\n"
             "input S = spikes(\"%s\")\n"
             "connect S -> E via exp_current(5 ms) bernoulli(0.5) weight 5 mV / R_m\n"
             "connect E -> E via exp_current(5 ms) bernoulli(0.1) weight 1.62 mV / R_m\n"
             "record E: rate, mean(V)\n"
             "simulate { dt = 0.1 ms  duration = 100 ms  seed = 3 }\n",
             path);
    double rate[2], v[2];
    for (int engine = 0; engine < 2; engine++) {
        struct bn_load_options o = {.engine = engine ? BN_ENGINE_INTERP : BN_ENGINE_JIT};
        bn_model *m = bn_load_string("spikes.bn", src, &o);
        char err[512] = "";
        assert_true(bn_ok(m) && bn_expand(m, err, sizeof err));
        struct bn_run_options ro = {.threads = 2};
        bn_result *r = bn_run_item(m, 0, &ro, err, sizeof err);
        if (!r)
            fail_msg("engine %d: %s", engine, err);
        rate[engine] = row_value(r, "E", "rate");
        v[engine] = row_value(r, "E", "mean_V");
        if (engine == 0) {
            assert_true(bn_timing(r)->compile_ms > 0 && bn_compile_ms(m) == bn_timing(r)->compile_ms);
            /* the wait for the kernels (at least the link, after the build) is part of the item's time */
            assert_true(bn_timing(r)->kernel_wait_ms > 0 && bn_timing(r)->kernel_wait_ms < 1e3 * bn_timing(r)->wall_s);
            assert_true(bn_kernel_wait_ms(m) == bn_timing(r)->kernel_wait_ms);
        }
        bn_result_free(r);
        bn_free(m);
    }
    assert_true(rate[0] > 0);
    assert_true(rate[0] == rate[1] && v[0] == v[1]);   /* tolerance 0: JIT = interpreter (codegen.h) */

    bn_model *m = bn_load_string("spikes.bn", src, NULL);
    char err[512] = "";
    assert_true(bn_ok(m) && bn_expand(m, err, sizeof err));
    assert_int_equal(unlink(path), 0);
    struct bn_run_options ro = {.threads = 2};
    assert_null(bn_run_item(m, 0, &ro, err, sizeof err));
    assert_non_null(strstr(err, "cannot open"));
    assert_true(bn_compile_ms(m) > 0);
    bn_free(m);
}

static atomic_int items_run;
static bool count_item(void *ctx, int item, char *err, size_t errlen)
{
    bn_result *r = bn_run_item(ctx, item, NULL, err, errlen);
    bn_result_free(r);
    atomic_fetch_add(&items_run, 1);
    return r != NULL;
}

static void test_scheduler_threads(void **state)
{
    (void)state;
    bn_model *m = load_cuba(NULL, 0);
    bn_sched *s = bn_sched_new(m);
    bn_sched_skip(s, 0);   /* as if a resumed folder held item 0 */
    struct bn_workers w = bn_threads(2);
    atomic_store(&items_run, 0);
    bn_sched_run(s, &w, count_item, m);
    assert_false(bn_sched_failed(s));
    assert_int_equal(bn_sched_nskipped(s), 1);
    assert_int_equal(bn_sched_ndone(s), 3);
    assert_int_equal(atomic_load(&items_run), 3);
    assert_int_equal(bn_sched_next(s), -1);   /* nothing left */
    bn_sched_free(s);
    bn_free(m);
}

/* EFF_TAU_MODEL (SCIENCE.md §2) with a short simulate and a sweep of its three arms. */
static const char eff_model[] =
    EFF_TAU_MODEL
    "simulate { dt = 0.1 ms  duration = 100 ms }\n"
    "sweep { N in [100, 400], syn in [current, conductance, eff_tau], trial in 1..2 }\n";

static void test_measured_dependencies(void **state)
{
    (void)state;
    bn_model *m = bn_load_string("eff.bn", eff_model, NULL);
    assert_non_null(m);
    assert_true(bn_ok(m));
    char err[512] = "";
    assert_true(bn_expand(m, err, sizeof err));
    /* points: N-major, syn fastest; point 2 = (100, eff_tau) is measured from point 1 = (100, conductance) */
    assert_int_equal(bn_npoints(m), 6);
    assert_int_equal(bn_point_ndeps(m, 1), 0);
    assert_int_equal(bn_point_ndeps(m, 2), 1);
    assert_int_equal(bn_point_dep(m, 2, 0), 1);
    int eff = 2 * 2 + 0, cond = 1 * 2 + 0;   /* items of trial 1 */
    assert_false(bn_item_ready(m, eff));
    /* before its conductance item has run, the eff_tau item cannot lower its params */
    assert_null(bn_run_item(m, eff, NULL, err, sizeof err));
    assert_non_null(strstr(err, "point 2, trial 1: "));
    /* the scheduler: while the conductance items run, the eff_tau items of N = 100 wait and N = 400's go */
    bn_sched *s = bn_sched_new(m);
    int order[12], n = 0;
    for (int i = 0; i < 4; i++)
        order[n++] = bn_sched_next(s);   /* items 0..3: current and conductance at N = 100, running */
    assert_int_equal(order[3], 3);
    assert_int_equal(bn_sched_next(s), 6);   /* not 4 (eff_tau, N = 100): its conductance item is running */
    /* without waiting (MPI's rank 0): 7, 8, 9 are free; then only eff_tau items are left, and they wait
     * on running conductance items: BN_SCHED_WAIT where bn_sched_next would block */
    for (int i = 7; i <= 9; i++)
        assert_int_equal(bn_sched_try_next(s), i);
    assert_int_equal(bn_sched_try_next(s), BN_SCHED_WAIT);
    bn_sched_done(s, cond);
    assert_int_equal(bn_sched_next(s), 4);   /* trial 1's dependency is done, trial 2's (item 3) is not */
    bn_sched_free(s);
    /* run in order, the eff_tau item runs, with the conductance item's measured values */
    const struct bn_row *rec;
    assert_int_equal(bn_item_rows(m, cond, &rec), 0);
    bn_result *c = bn_run_item(m, cond, NULL, err, sizeof err);
    assert_non_null(c);
    assert_true(bn_item_ready(m, eff));
    /* the rows recorded for the item are its result's (what rank 0 sends with a dependent item) */
    assert_int_equal(bn_item_rows(m, cond, &rec), bn_nrows(c));
    for (int i = 0; i < bn_nrows(c); i++) {
        assert_string_equal(rec[i].statistic, bn_row(c, i)->statistic);
        assert_memory_equal(&rec[i].value, &bn_row(c, i)->value, sizeof(double));
    }
    bn_result *e = bn_run_item(m, eff, NULL, err, sizeof err);
    assert_non_null(e);
    assert_true(bn_nrows(e) > 0);
    bn_result_free(e);
    bn_result_free(c);
    bn_free(m);
}

struct long_run {
    bn_model *m;
    bn_result *r;
    char err[512];
};
static void *run_long(void *arg)
{
    struct long_run *l = arg;
    l->r = bn_run_item(l->m, 0, NULL, l->err, sizeof l->err);
    return NULL;
}

static void test_cancel_from_another_thread(void **state)
{
    (void)state;
    /* 1000 s of simulated time would take minutes; bn_cancel must stop it within a fraction of that */
    struct bn_set sets[] = {{"duration", "1000 s"}};
    struct long_run l = {.m = load_cuba(sets, 1)};
    bn_sched *s = bn_sched_new(l.m);
    pthread_t t;
    double t0 = 1e-9 * (double)util_now_ns();
    pthread_create(&t, NULL, run_long, &l);
    usleep(300 * 1000);
    assert_false(bn_cancelled(l.m));
    bn_cancel(l.m);
    pthread_join(t, NULL);
    /* 30 s: far below the minutes of the whole run, far above a stop on a loaded machine */
    assert_true(1e-9 * (double)util_now_ns() - t0 < 30);
    assert_null(l.r);
    assert_true(bn_cancelled(l.m));
    assert_non_null(strstr(l.err, "point 0, trial 1: "));
    assert_int_equal(bn_sched_next(s), -1);   /* a cancelled model's scheduler hands nothing out */
    bn_sched_free(s);
    bn_free(l.m);
}

static void test_folder_lock(void **state)
{
    (void)state;
    bn_model *m = load_cuba(NULL, 0);
    char dir[] = "/tmp/bn_api_lock_XXXXXX", err[512] = "", note[512];
    assert_non_null(mkdtemp(dir));
    bn_folder *f = bn_folder_open(dir, m, false, err, sizeof err);
    assert_non_null(f);
    assert_null(bn_folder_note(f));
    assert_null(bn_folder_open(dir, m, true, err, sizeof err));
    assert_non_null(strstr(err, "is in use by balnet pid"));
    assert_null(bn_lock_folder(dir, note, sizeof note, err, sizeof err));
    bn_lock *kept = bn_folder_keep_lock(f);
    assert_non_null(kept);
    struct bn_run_info info = {.model_file = "cuba_small.bn"};
    assert_true(bn_folder_close(f, &info, err, sizeof err));
    assert_null(bn_lock_folder(dir, note, sizeof note, err, sizeof err));   /* still held */
    bn_unlock(kept);
    bn_lock *l = bn_lock_folder(dir, note, sizeof note, err, sizeof err);
    assert_non_null(l);
    assert_string_equal(note, "");
    bn_unlock(l);
    /* a recording from another rank: written under traces/, a name that would leave it refused */
    f = bn_folder_open(dir, m, true, err, sizeof err);
    assert_non_null(f);
    assert_true(bn_folder_add_trace(f, "p0-t1-E-raster.csv", "time_ms,neuron\n", 15, err, sizeof err));
    assert_false(bn_folder_add_trace(f, "../escape.csv", "x", 1, err, sizeof err));
    assert_false(bn_folder_add_trace(f, ".hidden", "x", 1, err, sizeof err));
    assert_true(bn_folder_close(f, &info, err, sizeof err));
    char path[128];
    size_t len;
    snprintf(path, sizeof path, "%s/traces/p0-t1-E-raster.csv", dir);
    char *text = util_read_file(path, 0, &len);
    assert_non_null(text);
    assert_string_equal(text, "time_ms,neuron\n");
    free(text);
    char cmd[64];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
    bn_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_load_string_and_items),
        cmocka_unit_test(test_diagnostic_as_data),
        cmocka_unit_test(test_run_one_item),
        cmocka_unit_test(test_compile_while_building),
        cmocka_unit_test(test_scheduler_threads),
        cmocka_unit_test(test_measured_dependencies),
        cmocka_unit_test(test_cancel_from_another_thread),
        cmocka_unit_test(test_folder_lock),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
