/*
 * test_api_split.c - one network split over parts (balnet.h's part, parts, exchange; docs/cluster.md),
 * in one process: K parts run on K threads at once, swapping their bytes through an in-memory exchange
 * (what MPI_Allgatherv / MPI_Gatherv do between ranks), and part 0's rows and every part's spikes must
 * equal the unsplit run's bit for bit (the values compared as bytes: no tolerance, since each neuron
 * receives the same additions in the same order, part.h).
 *   - the paper's network (models/paper/cancellation.bn, conductance, c = 0.2, N = 1000, 200 ms; delay
 *     one step: an exchange every step) on 2 parts and 3 parts;
 *   - a CUBA network with a constant delay of 1.5 ms (an exchange every 15 steps; on 3 parts, and 50 ms
 *     of it on 2 parts x 2 threads) and one with per-synapse random delays and weights (the delay rings; 3 parts):
 *     with 3 parts one owns no I neuron;
 *   - the check can fail: an exchange that hands over one part's spikes an interval late gives other spikes;
 *   - a runaway network stops on every part at the step and with the message of one process;
 *   - recordings (rate_trace, trace, raster) on 2 and 3 parts equal one process's, with traced neurons on
 *     every part (part 0's trace values of the others' neurons come from them, rt_part_gather_traces);
 *   - plastic projections and every kind of weight recording (test_plastic).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "balnet.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* ---- the in-memory exchange ------------------------------------------------------------------------- */

struct shared {
    int parts;
    pthread_barrier_t bar;
    const void **send;       /* parts */
    size_t *bytes;
    size_t *sizes;           /* of the last result: bytes may change as soon as a part calls again */
    unsigned char *all;
    size_t cap;
    bool late;               /* the broken exchange: part parts-1's spike lists one interval late */
    unsigned char *prev;     /* its previous message */
    size_t prev_bytes;
    int calls;
};

struct part_ctx {
    struct shared *sh;
    int part;
    bn_model *m;
    int threads;
    int64_t npt;
    bn_result *res;
    char err[1024];
};

static const void *exchange(void *ctx, const void *send, size_t bytes, bool to_first, size_t *sizes)
{
    struct part_ctx *pc = ctx;
    struct shared *sh = pc->sh;
    sh->send[pc->part] = send;
    sh->bytes[pc->part] = bytes;
    pthread_barrier_wait(&sh->bar);   /* every part's bytes are there, and nobody reads the last result */
    if (pc->part == 0) {
        size_t total = 0;
        for (int r = 0; r < sh->parts; r++)
            total += sh->bytes[r];
        if (total > sh->cap) {
            sh->all = realloc(sh->all, total);
            sh->cap = total;
        }
        size_t at = 0;
        memcpy(sh->sizes, sh->bytes, sizeof *sh->sizes * (size_t)sh->parts);
        for (int r = 0; r < sh->parts; r++) {
            memcpy(sh->all + at, sh->send[r], sh->bytes[r]);
            at += sh->bytes[r];
        }
        /* late: the spike exchanges (not the first call, which says every part is ready, nor to_first)
         * give the last part's previous message, which has the same layout */
        int last = sh->parts - 1;
        if (sh->late && !to_first && sh->calls++ > 0) {
            unsigned char *cur = malloc(sh->bytes[last]);
            memcpy(cur, sh->send[last], sh->bytes[last]);
            if (sh->prev && sh->prev_bytes == sh->bytes[last])
                memcpy(sh->all + at - sh->bytes[last], sh->prev, sh->prev_bytes);
            free(sh->prev);
            sh->prev = cur;
            sh->prev_bytes = sh->bytes[last];
        }
    }
    pthread_barrier_wait(&sh->bar);
    memcpy(sizes, sh->sizes, sizeof *sizes * (size_t)sh->parts);
    return sh->all ? sh->all : (const void *)"";
}

static void *run_part(void *arg)
{
    struct part_ctx *pc = arg;
    struct bn_run_options o = {.threads = pc->threads, .neurons_per_thread = pc->npt, .keep_spikes = true, .keep_traces = true,
                               .part = pc->part, .parts = pc->sh->parts, .exchange = exchange, .exchange_ctx = pc};
    pc->res = bn_run_item(pc->m, 0, &o, pc->err, sizeof pc->err);
    if (getenv("SPLIT_DEBUG"))
        fprintf(stderr, "part %d done: %s\n", pc->part, pc->res ? "ok" : pc->err);
    return NULL;
}

/* Runs item 0 of m split over `parts` parts of `threads` threads each; returns the parts' contexts. */
static struct part_ctx *run_split(bn_model *m, int parts, int threads, bool late)
{
    struct shared *sh = calloc(1, sizeof *sh);
    sh->parts = parts;
    sh->late = late;
    sh->send = calloc((size_t)parts, sizeof *sh->send);
    sh->bytes = calloc((size_t)parts, sizeof *sh->bytes);
    sh->sizes = calloc((size_t)parts, sizeof *sh->sizes);
    pthread_barrier_init(&sh->bar, NULL, (unsigned)parts);
    struct part_ctx *pc = calloc((size_t)parts, sizeof *pc);
    pthread_t th[8];
    for (int r = 0; r < parts; r++) {
        pc[r] = (struct part_ctx){.sh = sh, .part = r, .m = m, .threads = threads, .npt = 64};
        assert_int_equal(pthread_create(&th[r], NULL, run_part, &pc[r]), 0);
    }
    for (int r = 0; r < parts; r++)
        pthread_join(th[r], NULL);
    return pc;
}

static void free_split(struct part_ctx *pc)
{
    struct shared *sh = pc[0].sh;
    for (int r = 0; r < sh->parts; r++)
        bn_result_free(pc[r].res);
    pthread_barrier_destroy(&sh->bar);
    free(sh->send);
    free(sh->bytes);
    free(sh->sizes);
    free(sh->all);
    free(sh->prev);
    free(sh);
    free(pc);
}

/* ---- comparisons ------------------------------------------------------------------------------------ */

static bool same_rows(const bn_result *a, const bn_result *b)
{
    if (bn_nrows(a) != bn_nrows(b) || bn_nrows(a) == 0)
        return false;
    for (int i = 0; i < bn_nrows(a); i++) {
        const struct bn_row *x = bn_row(a, i), *y = bn_row(b, i);
        if (strcmp(x->population, y->population) || strcmp(x->statistic, y->statistic) ||
            memcmp(&x->value, &y->value, sizeof x->value))
            return false;
    }
    return true;
}

static bool same_spikes(const bn_result *a, const bn_result *b)
{
    int64_t n = bn_nspikes(a);
    if (n != bn_nspikes(b) || n == 0)
        return false;
    const int32_t *pa, *pb;
    const int64_t *sa, *sb;
    const uint32_t *ua, *ub;
    bn_spikes(a, &pa, &sa, &ua);
    bn_spikes(b, &pb, &sb, &ub);
    return !memcmp(pa, pb, sizeof *pa * (size_t)n) && !memcmp(sa, sb, sizeof *sa * (size_t)n) &&
           !memcmp(ua, ub, sizeof *ua * (size_t)n);
}

/* The same recordings (names, columns, rows), their values compared as bytes. */
static bool same_traces(const bn_result *a, const bn_result *b)
{
    if (bn_ntraces(a) != bn_ntraces(b) || bn_ntraces(a) == 0)
        return false;
    for (int i = 0; i < bn_ntraces(a); i++) {
        const struct bn_trace *x = bn_trace(a, i), *y = bn_trace(b, i);
        if (strcmp(x->population, y->population) || strcmp(x->name, y->name) || x->ncols != y->ncols ||
            x->nrows != y->nrows || x->nrows == 0)
            return false;
        for (int c = 0; c < x->ncols; c++)
            if (memcmp(x->data[c], y->data[c], sizeof(double) * (size_t)x->nrows))
                return false;
    }
    return true;
}

static bn_model *load(const char *name, const char *text, const struct bn_set *sets, int nsets)
{
    struct bn_load_options o = {.sets = sets, .nsets = nsets};
    bn_model *m = text ? bn_load_string(name, text, &o) : bn_load_file(name, &o);
    assert_non_null(m);
    for (int i = 0; i < bn_ndiags(m); i++)
        fputs(bn_diag(m, i)->rendered, stderr);
    assert_true(bn_ok(m));
    char err[512] = "";
    assert_true(bn_expand(m, err, sizeof err));
    assert_int_equal(bn_nitems(m), 1);
    return m;
}

static bn_result *run_whole(bn_model *m)
{
    char err[1024] = "";
    struct bn_run_options o = {.threads = 1, .keep_spikes = true, .keep_traces = true};
    bn_result *r = bn_run_item(m, 0, &o, err, sizeof err);
    if (!r)
        fprintf(stderr, "%s\n", err);
    assert_non_null(r);
    return r;
}

/* Splits item 0 of m as parts x threads and checks every part against the unsplit run `whole`. */
static void check_split(bn_model *m, const bn_result *whole, int parts, int threads)
{
    struct part_ctx *pc = run_split(m, parts, threads, false);
    for (int r = 0; r < parts; r++) {
        if (!pc[r].res)
            fprintf(stderr, "part %d: %s\n", r, pc[r].err);
        assert_non_null(pc[r].res);
        assert_true(same_spikes(whole, pc[r].res));
        assert_int_equal(bn_nrows(pc[r].res), r == 0 ? bn_nrows(whole) : 0);
    }
    assert_true(same_rows(whole, pc[0].res));
    free_split(pc);
}

static const struct bn_set paper_sets[] = {{"N", "1000"}, {"c", "0.2"}, {"syn", "conductance"}, {"trial", "1"},
                                           {"loop", "balnet"}, {"duration", "200 ms"}, {"burn_in", "50 ms"}};

static void test_paper(void **state)
{
    (void)state;
    bn_model *m = load("models/paper/cancellation.bn", NULL, paper_sets, 7);
    bn_result *whole = run_whole(m);
    check_split(m, whole, 2, 1);
    check_split(m, whole, 3, 1);
    bn_result_free(whole);
    bn_free(m);
}

/* An exchange that is wrong (one part's spikes an interval late) must show. */
static void test_late_exchange_differs(void **state)
{
    (void)state;
    bn_model *m = load("models/paper/cancellation.bn", NULL, paper_sets, 7);
    bn_result *whole = run_whole(m);
    struct part_ctx *pc = run_split(m, 2, 1, true);
    assert_non_null(pc[0].res);
    assert_false(same_spikes(whole, pc[0].res));
    assert_false(same_rows(whole, pc[0].res));
    free_split(pc);
    bn_result_free(whole);
    bn_free(m);
}

static const char cuba_delay[] =
    "import lif, exp_synapses\n"
    "param N = 400\n"
    "param R_m = 100 Mohm\n"
    "population E = lif[0.8*N](E_L = -49 mV, V_th = -50 mV, V_re = -60 mV, t_ref = 5 ms, V = uniform(-60 mV, -50 mV))\n"
    "population I = lif[0.2*N](E_L = -49 mV, V_th = -50 mV, V_re = -60 mV, t_ref = 5 ms, V = uniform(-60 mV, -50 mV))\n"
    "connect E -> E via exp_current(5 ms) bernoulli(0.1) weight 1.62 mV / R_m delay 1.5 ms\n"
    "connect E -> I via exp_current(5 ms) bernoulli(0.1) weight 1.62 mV / R_m delay 2 ms\n"
    "connect I -> E via exp_current(10 ms) bernoulli(0.1) weight -9 mV / R_m delay 1.5 ms\n"
    "connect I -> I via exp_current(10 ms) bernoulli(0.1) weight -9 mV / R_m delay 1.5 ms\n"
    "record E, I, all: rate, cv_isi, fano(window = 20 ms), count_corr(window = 20 ms, min_rate = 1 Hz), v = var(V)\n"
    "simulate { dt = 0.1 ms  duration = 300 ms  burn_in = 20 ms  seed = 3 }\n";

static const char cuba_random[] =
    "import lif, exp_synapses\n"
    "param N = 400\n"
    "param R_m = 100 Mohm\n"
    "population E = lif[0.8*N](E_L = -49 mV, V_th = -50 mV, V_re = -60 mV, t_ref = 5 ms, V = uniform(-60 mV, -50 mV))\n"
    "population I = lif[0.2*N](E_L = -49 mV, V_th = -50 mV, V_re = -60 mV, t_ref = 5 ms, V = uniform(-60 mV, -50 mV))\n"
    "connect E -> E via exp_current(5 ms) bernoulli(0.1) weight uniform(1, 2) * 1 mV / R_m delay uniform(0.1 ms, 3 ms)\n"
    "connect E -> I via exp_current(5 ms) bernoulli(0.1) weight 1.62 mV / R_m delay uniform(0.1 ms, 3 ms)\n"
    "connect I -> E via exp_current(10 ms) bernoulli(0.1) weight -9 mV / R_m\n"
    "connect I -> I via exp_current(10 ms) bernoulli(0.1) weight -9 mV / R_m\n"
    "record E, I, all: rate, cv_isi, v = var(V)\n"
    "simulate { dt = 0.1 ms  duration = 300 ms  burn_in = 20 ms  seed = 3 }\n";

static void test_delays(void **state)
{
    (void)state;
    const char *texts[] = {cuba_delay, cuba_random};
    for (int k = 0; k < 2; k++) {
        bn_model *m = load(k ? "cuba_random.bn" : "cuba_delay.bn", texts[k], NULL, 0);
        bn_result *whole = run_whole(m);
        check_split(m, whole, 3, 1);
        bn_result_free(whole);
        bn_free(m);
    }
    /* threads inside parts: 4 threads with a barrier per step are slow on a loaded 2-core machine, so
     * a shorter run (500 steps, 34 exchanges) */
    static const struct bn_set shorter[] = {{"duration", "50 ms"}, {"burn_in", "0 ms"}};
    bn_model *m = load("cuba_delay.bn", cuba_delay, shorter, 2);
    bn_result *whole = run_whole(m);
    check_split(m, whole, 2, 2);
    bn_result_free(whole);
    bn_free(m);
}

/* A runaway network (3 kHz) stops at the rate guard's first window on every part, with the message of one
 * process: the guard's counts travel with the spikes. */
static void test_stop_same(void **state)
{
    (void)state;
    static const char runaway[] =
        "import lif, exp_synapses\n"
        "population E = lif[300](C_m = 20 pF, E_L = 0 mV, t_ref = 0 ms, V = uniform(-60 mV, -50 mV))\n"
        "connect E -> E via exp_current(5 ms) bernoulli(0.1) weight 10 pA\n"
        "record E: rate\n"
        "simulate { dt = 0.1 ms  duration = 300 ms  burn_in = 0 ms  seed = 1 }\n";
    bn_model *m = load("runaway.bn", runaway, NULL, 0);
    char err[1024] = "";
    struct bn_run_options o = {.threads = 1};
    bn_result *whole = bn_run_item(m, 0, &o, err, sizeof err);
    assert_null(whole);
    assert_non_null(strstr(err, "exceeds the limit of 1000 Hz"));
    struct part_ctx *pc = run_split(m, 2, 1, false);
    for (int r = 0; r < 2; r++) {
        assert_null(pc[r].res);
        assert_string_equal(pc[r].err, err);
    }
    free_split(pc);
    bn_free(m);
}

/* Recordings of a split network: E's 200 neurons are 0-127 and 128-199 on 2 parts (64-neuron chunks),
 * 0-127, 128-199 and none on 3; the trace and raster cover 150 of them, so every part owns some. */
static void test_recordings(void **state)
{
    (void)state;
    static const char rec[] =
        "import lif, exp_synapses\n"
        "population E = lif[200]\n"
        "population I = lif[50]\n"
        "input X = poisson[400](rate = 10 Hz)\n"
        "connect X -> E via exp_current(5 ms) bernoulli(0.2) weight 60 pA\n"
        "connect X -> I via exp_current(5 ms) bernoulli(0.2) weight 60 pA\n"
        "connect E -> I via exp_current(5 ms) bernoulli(0.1) weight 50 pA\n"
        "connect I -> E via exp_current(5 ms) bernoulli(0.1) weight -50 pA\n"
        "record E, I, all: rate, rate_trace(bin = 1 ms)\n"
        "record E: trace(V, neurons = 150, every = 0.5 ms), raster(neurons = 150)\n"
        "simulate { dt = 0.1 ms  duration = 200 ms  burn_in = 20 ms  seed = 3 }\n";
    bn_model *m = load("rec.bn", rec, NULL, 0);
    bn_result *whole = run_whole(m);
    for (int parts = 2; parts <= 3; parts++) {
        struct part_ctx *pc = run_split(m, parts, 1, false);
        for (int r = 0; r < parts; r++) {
            if (!pc[r].res)
                fprintf(stderr, "part %d: %s\n", r, pc[r].err);
            assert_non_null(pc[r].res);
            assert_int_equal(bn_ntraces(pc[r].res), r == 0 ? bn_ntraces(whole) : 0);
        }
        assert_true(same_rows(whole, pc[0].res));
        assert_true(same_traces(whole, pc[0].res));
        free_split(pc);
    }
    bn_result_free(whole);
    bn_free(m);
}

/* Plastic projections split over parts (plastic.h: a part owns the synapses onto its targets, so a post
 * spike's updates are its own; pre spikes reach it by the exchange): E -> E with a constant delay (per-source
 * and per-target traces), E -> I with per-synapse delays (traces per synapse and the last pre event per
 * synapse), X -> E from an input; every kind of weight recording, which part 0 reads from its copy of the
 * projection (part.h).  Rows, spikes and every recording equal one process's bit for bit; on 2 and 3 parts
 * (3: I's 50 neurons all on part 0, E's 200 on parts 0 and 1) and 2 parts x 2 threads. */
static void test_plastic(void **state)
{
    (void)state;
    static const char stdp[] =
        "import lif, stdp, exp_synapses\n"
        "population E = lif[200]\n"
        "population I = lif[50]\n"
        "input X = poisson[400](rate = 10 Hz)\n"
        "connect X -> E via stdp_add(w_max = 2 nS) bernoulli(0.2) weight uniform(0.5, 1.5) * 1 nS\n"
        "connect X -> I via exp_current(5 ms) bernoulli(0.2) weight 60 pA\n"
        "connect E -> E via stdp_add(w_max = 1 nS) bernoulli(0.1) weight 0.5 nS delay 1 ms\n"
        "connect E -> I via stdp_mult(w_max = 1 nS) bernoulli(0.1) weight 0.5 nS delay uniform(0.1 ms, 2 ms)\n"
        "connect I -> E via exp_current(5 ms) bernoulli(0.1) weight -50 pA\n"
        "record E, I, all: rate, cv_isi\n"
        "record X -> E: weights, weight_stats(every = 5 ms)\n"
        "record E -> E: weights, weight_stats(every = 5 ms), weight_hist(bins = 10, max = 1 nS, every = 10 ms),\n"
        "               state_trace(x_pre, every = 5 ms), state_trace(x_post, every = 5 ms),\n"
        "               weight_trace(every = 5 ms, synapses = 30), state_trace(x_post, every = 5 ms, synapses = 30)\n"
        "record E -> I: weights, weight_stats(every = 2 ms), state_trace(x_pre, every = 5 ms),\n"
        "               state_trace(x_pre, every = 5 ms, synapses = 30)\n"
        "simulate { dt = 0.1 ms  duration = 150 ms  burn_in = 0 ms  seed = 2 }\n";
    bn_model *m = load("stdp_split.bn", stdp, NULL, 0);
    bn_result *whole = run_whole(m);
    const int shapes[][2] = {{2, 1}, {3, 1}, {2, 2}};
    for (int k = 0; k < 3; k++) {
        const int parts = shapes[k][0];
        struct part_ctx *pc = run_split(m, parts, shapes[k][1], false);
        for (int r = 0; r < parts; r++) {
            if (!pc[r].res)
                fprintf(stderr, "part %d: %s\n", r, pc[r].err);
            assert_non_null(pc[r].res);
            assert_true(same_spikes(whole, pc[r].res));
            assert_int_equal(bn_ntraces(pc[r].res), r == 0 ? bn_ntraces(whole) : 0);
        }
        assert_true(same_rows(whole, pc[0].res));
        assert_true(same_traces(whole, pc[0].res));
        free_split(pc);
    }
    bn_result_free(whole);
    bn_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_paper),
        cmocka_unit_test(test_late_exchange_differs),
        cmocka_unit_test(test_delays),
        cmocka_unit_test(test_stop_same),
        cmocka_unit_test(test_recordings),
        cmocka_unit_test(test_plastic),
    };
    if (getenv("SPLIT_TEST"))   /* one test alone, by name pattern */
        cmocka_set_test_filter(getenv("SPLIT_TEST"));
    return cmocka_run_group_tests(tests, NULL, NULL);
}
