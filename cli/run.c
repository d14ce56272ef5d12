/*
 * run.c - `balnet run` as the pipeline, one short list of calls (cli_run): options -> load (parse, check)
 * -> expand (points x trials, dependencies, lowering) -> open the results folder -> schedule the items on
 * threads -> close the folder, fit, plot -> report.  Everything is done through include/balnet.h.
 *
 * Reproducibility is the library's (an item's seed depends only on the model, its point and its trial);
 * rows are appended as items complete (an interrupted run keeps what it finished) and points.csv is
 * rewritten in (point, trial) order at the end, so the files are identical whatever the thread count.
 *
 * Under mpirun or srun (cli/mpi.h, docs/cluster.md) every rank loads and expands the model; rank 0 opens
 * the folder and schedules the items on its threads and the other ranks', which only run items.
 */
#include "cli/cli.h"
#include "cli/mpi.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

/* What the run's steps share. */
struct run {
    struct cli_options o;      /* with the default experiment's overrides */
    const struct cli_options *in;   /* as typed */
    bn_model *m;
    bn_folder *folder;
    bn_sched *sched;
    char *out;                 /* the results folder */
    bn_lock *lock;             /* its lock, from open_folder to the end of close_folder */
    FILE *spikes;              /* --spikes FILE.csv */
    bn_h5 *h5;                 /* --spikes FILE.h5 */
    struct bn_run_options ro;
    int threads;
    double wall;               /* the sweep's, from the scheduler */
    int shown;                 /* diagnostics already printed (the model's warnings, before the run) */
    struct cli_mpi mpi;        /* this process's rank; size 1 without mpirun */
    bool auto_split;           /* o.ranks_per_point chosen by the memory estimate (auto_split) */
#ifdef BN_HAVE_MPI
    struct cli_mpi_workers *mw;   /* rank 0's workers when size > 1 */
    struct cli_mpi_split *split;  /* --ranks-per-point K: every item split over a group of K ranks */
#endif
};

/* $BALNET_MEM_LIMIT: the memory a network may take per process (per rank: its part), in bytes with an
 * optional k, M, G or T (powers of 1000, as the messages print them); 0 or unset: 90 % of the available. */
static size_t mem_limit(void)
{
    const char *v = getenv("BALNET_MEM_LIMIT");
    if (!v || !*v)
        return 0;
    char *end;
    double x = strtod(v, &end);
    double unit = *end == 'k' ? 1e3 : *end == 'M' ? 1e6 : *end == 'G' ? 1e9 : *end == 'T' ? 1e12 : 1;
    return x > 0 ? (size_t)(x * unit) : 0;
}

/* ---- options ------------------------------------------------------------------------------------ */

/* The default experiment: the paper's 2x2 (current and conductance synapses, c = 0 and 0.2) at N = 1000,
 * 2000, 4000, 4 trials of 5 s (about 15 s on 2 cores): enough for the slopes of the verdict to have
 * useful confidence intervals.  The user's --set options come after (and replace) these. */
static void default_experiment(struct run *r, char *file, size_t filelen, struct bn_set *sets)
{
    snprintf(file, filelen, "%s/models/paper/cancellation.bn", bn_source_dir());
    r->o.file = file;
    static const struct bn_set defaults[] = {
        {"N", "[1000, 2000, 4000]"}, {"syn", "[current, conductance]"}, {"trial", "1..4"}, {"duration", "5 s"}};
    int n = 0;
    for (size_t d = 0; d < sizeof defaults / sizeof *defaults; d++) {
        bool user = false;
        for (int i = 0; i < r->in->nsets; i++)
            user |= strcmp(r->in->sets[i].name, defaults[d].name) == 0;
        if (!user)
            sets[n++] = defaults[d];
    }
    for (int i = 0; i < r->in->nsets; i++)
        sets[n++] = r->in->sets[i];
    r->o.sets = sets;
    r->o.nsets = n;
    if (!r->o.quiet)
        fprintf(stderr, "balnet: running the default experiment: %s with syn in [current, conductance], "
                        "N in [1000, 2000, 4000], 4 trials of 5 s\n", file);
}

/* ---- load and expand ------------------------------------------------------------------------------ */

/* Only rank 0 prints (another rank's load error is printed by ranks_agree, when rank 0 had none). */
static int load(struct run *r)
{
    bool speak = r->mpi.rank == 0;
    struct bn_load_options lo = cli_load_options(&r->o);
    r->m = bn_load_file(r->o.file, &lo);
    if (!r->m) {
        fprintf(stderr, "balnet: error: out of memory\n");
        return EXIT_MODEL;
    }
    if (!bn_ok(r->m)) {
        if (speak)
            cli_print_diags(r->m, 0);
        return EXIT_MODEL;
    }
    r->shown = speak ? cli_print_diags(r->m, 0) : bn_ndiags(r->m);   /* warnings, once, before the run */
    char err[1024];
    if (!bn_expand(r->m, err, sizeof err)) {
        if (speak && err[0])
            fprintf(stderr, "balnet: error: %s\n", err);
        else if (speak)
            cli_print_diags(r->m, r->shown);
        return EXIT_MODEL;
    }
    return 0;
}

/* ---- where the results go ----------------------------------------------------------------------------- */

/* --spikes FILE.h5 / FILE.hdf5: HDF5, by the extension. */
static bool is_hdf5(const char *path)
{
    const char *dot = strrchr(path, '.');
    return dot && (strcmp(dot, ".h5") == 0 || strcmp(dot, ".hdf5") == 0);
}

static int open_spikes(struct run *r)
{
    if (!r->o.spikes)
        return 0;
    if (is_hdf5(r->o.spikes)) {
        /* A resumed run would lack the spikes of the items it skips; the first run's file has them. */
        if (r->o.resume) {
            fprintf(stderr, "balnet: error: --spikes %s cannot be resumed (the items already done are not run "
                            "again); resume without --spikes\n", r->o.spikes);
            return EXIT_USAGE;
        }
        char err[1024];
        if (!(r->h5 = bn_h5_create(r->o.spikes, r->m, err, sizeof err))) {
            fprintf(stderr, "balnet: error: %s\n", err);
            return EXIT_USAGE;
        }
        return 0;
    }
    int n = bn_nitems(r->m);
    if (n != 1) {
        fprintf(stderr, "balnet: error: --spikes needs a run of one point and one trial (this one has %d); "
                        "fix the sweep with --set\n", n);
        return EXIT_USAGE;
    }
    if (!(r->spikes = fopen(r->o.spikes, "w"))) {
        fprintf(stderr, "balnet: error: cannot write %s: %s\n", r->o.spikes, strerror(errno));
        return EXIT_USAGE;
    }
    fputs("population,step,neuron\n", r->spikes);
    return 0;
}

static char *default_out(const char *model)
{
    time_t t = time(NULL);
    struct tm tm;
    localtime_r(&t, &tm);
    char stamp[32];
    strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
    char *out = malloc(PATH_MAX);
    if (out)
        snprintf(out, PATH_MAX, "results/%s-%s", model, stamp);
    return out;
}

static int open_folder(struct run *r)
{
    r->out = r->o.out ? strdup(r->o.out) : default_out(bn_model_name(r->m));
    if (!r->out) {
        fprintf(stderr, "balnet: error: out of memory\n");
        return EXIT_MODEL;
    }
    char err[1024];
    r->folder = bn_folder_open(r->out, r->m, r->o.resume, err, sizeof err);
    if (!r->folder) {
        fprintf(stderr, "balnet: error: %s\n", err);
        return EXIT_MODEL;
    }
    if (bn_folder_note(r->folder))
        fprintf(stderr, "balnet: note: %s\n", bn_folder_note(r->folder));
    r->lock = bn_folder_keep_lock(r->folder);   /* held over the fits and plots, to the end */
    return 0;
}

/* ---- schedule ------------------------------------------------------------------------------------------ */

static bn_model *volatile running;   /* what SIGINT/SIGTERM cancel */
static void on_signal(int sig)
{
    (void)sig;
    if (running)
        bn_cancel(running);
}

/* SIGINT/SIGTERM (Ctrl-C; mpirun's and Slurm's stop of a job) cancel m's items. */
static void watch_signals(bn_model *m)
{
    running = m;
    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

/* --threads' default: the cores of this node, shared by the ranks on it. */
static int default_threads(const struct run *r)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN) / (r->mpi.local_size > 1 ? r->mpi.local_size : 1);
    return n < 1 ? 1 : (int)n;
}

/* --spikes: one CSV line per spike, in step order then population order then neuron order. */
static void write_spikes(void *ctx, const char *population, int64_t step, const uint32_t *neurons, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        fprintf(ctx, "%s,%lld,%u\n", population, (long long)step, neurons[i]);
}

/* bn_item_fn: run the item, write its spikes (--spikes FILE.h5), append its rows to the folder. */
static bool run_item(void *ctx, int item, char *err, size_t errlen)
{
    struct run *r = ctx;
    bn_result *res = bn_run_item(r->m, item, &r->ro, err, errlen);
    if (!res)
        return false;
    const struct bn_timing *t = bn_timing(res);
    if (r->o.verbose && r->ro.parts > 1)
        fprintf(stderr, "balnet: point %d, trial %d: over %d ranks, rank 0: build %.0f ms, loop %.0f ms, of which "
                        "exchange %.0f ms, %.1f MB sent, %lld synapses\n", bn_item_point(r->m, item),
                bn_item_trial(r->m, item), r->ro.parts, t->build_ms, t->sim_ms, t->exchange_ms,
                t->exchange_bytes / 1e6, (long long)t->synapses);
    bool ok = (!r->h5 || bn_h5_write(r->h5, res, err, errlen)) && bn_folder_append(r->folder, item, res, err, errlen);
    bn_result_free(res);
    return ok;
}

static void progress(void *ctx, int done, int total)
{
    struct run *r = ctx;
    if (r->o.quiet || !isatty(2))
        return;
    double el = bn_sched_elapsed(r->sched);
    double eta = done ? el / done * (total - done) : 0;
    int w = 30, fill = total ? w * done / total : w;
    fprintf(stderr, "\r[%.*s%*s] %d/%d points  %.0fs elapsed  ETA %.0fs   ", fill,
            "##############################", w - fill, "", done, total, el, eta);
    if (done == total)
        fputc('\n', stderr);
}

/* The items the folder does not hold yet, on threads; a single item splits its network over them.  False
 * (with the error printed) when there is no memory for the scheduler. */
static bool schedule(struct run *r)
{
    if (!(r->sched = bn_sched_new(r->m))) {
        fprintf(stderr, "balnet: error: out of memory\n");
        return false;
    }
    int n = bn_nitems(r->m);
    for (int i = 0; i < n; i++)
        if (bn_folder_has(r->folder, i))
            bn_sched_skip(r->sched, i);
    int skipped = bn_sched_nskipped(r->sched);
    if (skipped && !r->o.quiet)
        fprintf(stderr, "balnet: resuming %s: %d of %d items already done\n", r->out, skipped, n);
    r->threads = r->o.threads ? r->o.threads : default_threads(r);
    int todo = n - skipped;
    int workers = r->threads < todo ? r->threads : todo;
    const char *npt = getenv("BALNET_NEURONS_PER_THREAD"), *bal = getenv("BALNET_BALANCE_EVERY");
    r->ro = (struct bn_run_options){.threads = todo <= 1 ? r->threads : 1, .trace_dir = r->out,
                                    .neurons_per_thread = npt ? strtoll(npt, NULL, 10) : 0, .mem_limit = mem_limit(),
                                    .balance_every = bal ? strtoll(bal, NULL, 10) : 0,
                                    .balance_shuffle = getenv("BALNET_BALANCE_SHUFFLE") != NULL};
    if (r->spikes) {
        r->ro.on_spikes = write_spikes;
        r->ro.spikes_ctx = r->spikes;
    }
    r->ro.keep_spikes = r->ro.keep_traces = r->h5 != NULL;   /* each item's, until run_item writes them */
    bn_sched_on_progress(r->sched, progress, r);
    watch_signals(r->m);
    struct bn_workers tw = bn_threads(workers < 1 ? 1 : workers);
    const struct bn_workers *w = &tw;
#ifdef BN_HAVE_MPI
    /* --ranks-per-point K: one item at a time per group of K ranks, its network over them, each rank
     * with the same threads; rank 0 leads group 0 and hands the other groups' leaders their items. */
    if (r->mpi.size > 1 && r->o.ranks_per_point > 1) {
        if (!(r->split = cli_mpi_split_new(&r->mpi, r->m, r->o.ranks_per_point, &r->threads)) ||
            !(w = cli_mpi_split_workers(r->split, r->folder, todo > 1, r->o.verbose))) {
            fprintf(stderr, "balnet: error: out of memory\n");
            cli_mpi_end(&r->mpi, EXIT_MODEL, true);
        }
        r->ro.threads = r->threads;
        cli_mpi_split_options(r->split, &r->ro);
    } else if (r->mpi.size > 1) {
        /* Other ranks take items too; a sweep of one item stays here (with every thread, as above). */
        if (!(r->mw = cli_mpi_workers(&r->mpi, r->m, r->folder, workers < 1 ? 1 : workers, todo > 1,
                                      r->o.verbose))) {
            fprintf(stderr, "balnet: error: out of memory\n");
            cli_mpi_end(&r->mpi, EXIT_MODEL, true);
        }
        w = cli_mpi_as_workers(r->mw);
    }
#endif
    bn_sched_run(r->sched, w, run_item, r);
    r->wall = bn_sched_elapsed(r->sched);
    return true;
}

/* ---- report -------------------------------------------------------------------------------------------- */

/* The same command line (every --set included, or the folder would refuse), plus --out and --resume. */
static void resume_hint(const struct run *r)
{
    fprintf(stderr, "balnet: interrupted after %d of %d items; finish with:\n  balnet",
            bn_sched_ndone(r->sched) + bn_sched_nskipped(r->sched), bn_nitems(r->m));
    for (int i = 1; i < r->in->argc; i++) {
        const char *a = r->in->argv[i];
        bool plain = *a && strspn(a, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,") == strlen(a);
        if (plain) {
            fprintf(stderr, " %s", a);
            continue;
        }
        fputs(" '", stderr);
        for (; *a; a++)
            fputs(*a == '\'' ? "'\\''" : (char[]){*a, 0}, stderr);
        fputc('\'', stderr);
    }
    if (!r->in->out)
        fprintf(stderr, " --out %s", r->out);
    if (!r->in->resume)
        fputs(" --resume", stderr);
    fputc('\n', stderr);
}

/* The outcome of the items: 0, interrupted, or the first error. */
static int outcome(struct run *r)
{
    bool spikes_failed = false;
    if (r->spikes && fclose(r->spikes) != 0) {
        fprintf(stderr, "balnet: error: writing %s failed\n", r->o.spikes);
        spikes_failed = true;
    }
    r->spikes = NULL;
    char err[1024];
    /* complete = 1 only when every item is in (an interrupted or failed run leaves complete = 0) */
    bool all = !bn_cancelled(r->m) && !bn_sched_failed(r->sched);
    if (r->h5 && !bn_h5_close(r->h5, all, err, sizeof err)) {
        fprintf(stderr, "balnet: error: %s\n", err);
        spikes_failed = true;
    }
    r->h5 = NULL;
    if (bn_cancelled(r->m)) {
        resume_hint(r);
        return EXIT_INTERRUPTED;
    }
    if (bn_sched_failed(r->sched)) {
        fprintf(stderr, "balnet: error: %s\n", bn_sched_error(r->sched));
        return EXIT_MODEL;
    }
    if (spikes_failed)
        return EXIT_MODEL;
    return 0;
}

/* The writer closes the folder, then the fitter and the plotter read it, in that order. */
static int close_folder(struct run *r, int rc, double *peak_rss_mb)
{
    if (r->o.verbose && r->o.engine == BN_ENGINE_JIT)
        fprintf(stderr, "balnet: kernel cache: %s\n", bn_kernel_cache(r->m));
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    *peak_rss_mb = (double)ru.ru_maxrss / 1024.0;
    struct bn_run_info info = {.model_file = r->o.file, .wall_s = r->wall, .peak_rss_mb = *peak_rss_mb,
                               .threads = r->threads, .ranks = r->mpi.size, .complete = rc == 0,
                               .ranks_per_point = r->mpi.size > 1 ? r->o.ranks_per_point : 1,
                               .ranks_per_point_auto = r->auto_split,
                               .kernel_cache = r->o.engine == BN_ENGINE_JIT};
    char err[1024];
    bool ok = bn_folder_close(r->folder, &info, err, sizeof err);
    r->folder = NULL;
    if (ok && rc == 0) {
        ok = bn_folder_fit(r->out, err, sizeof err);
        char perr[256];
        bn_folder_plot(r->out, perr, sizeof perr);   /* plots are a convenience; `balnet plot DIR` redraws them */
    }
    bn_unlock(r->lock);
    r->lock = NULL;
    if (!ok) {
        fprintf(stderr, "balnet: error: %s\n", err);
        rc = rc ? rc : EXIT_MODEL;
    }
    return rc;
}

static void report(struct run *r, double peak_rss_mb)
{
    if (!r->o.quiet)
        bn_folder_summary(stdout, r->out);
    if (!r->o.quiet && !r->in->file)
        bn_folder_verdict(stdout, r->out, "N", "v_var");
    fflush(stdout);   /* the closing line below goes to stderr: keep the two in order on a terminal */
    char ranks[32] = "";
    if (r->mpi.size > 1)
        snprintf(ranks, sizeof ranks, " on %d ranks", r->mpi.size);
    fprintf(stderr, "balnet: %d items%s in %.1f s (compile %.0f ms, peak memory %.0f MB); results in %s\n",
            bn_sched_ndone(r->sched), ranks, r->wall, bn_compile_ms(r->m), peak_rss_mb, r->out);
}

static void run_free(struct run *r)
{
    if (r->spikes)
        fclose(r->spikes);
    bn_h5_close(r->h5, false, NULL, 0);   /* NULL after outcome */
    running = NULL;
    bn_unlock(r->lock);   /* NULL after close_folder */
    bn_sched_free(r->sched);
    bn_free(r->m);
    free(r->out);
}

/* ---- ranks (cli/mpi.h) ------------------------------------------------------------------------------- */

/* MPI, when mpirun or srun started this process; only rank 0 speaks. */
static int ranks_start(struct run *r)
{
    r->mpi = (struct cli_mpi){0, 1, 1};
#ifdef BN_HAVE_MPI
    char err[256];
    if (!cli_mpi_start(&r->mpi, err, sizeof err)) {
        fprintf(stderr, "balnet: error: %s\n", err);
        return EXIT_MODEL;
    }
    if (r->mpi.rank != 0)
        r->o.quiet = true;
#endif
    return 0;
}

/* After loading, on every rank: the run goes on only when every rank loaded the same model. */
static int ranks_agree(struct run *r, int rc)
{
#ifdef BN_HAVE_MPI
    if (r->mpi.size > 1) {
        int rc0;
        bool same;
        int worst = cli_mpi_agree(&r->mpi, rc, rc ? NULL : bn_model_identity(r->m), &rc0, &same);
        if (rc && !rc0) {
            fprintf(stderr, "balnet: error: rank %d cannot load the model that rank 0 loaded:\n", r->mpi.rank);
            if (r->m)
                cli_print_diags(r->m, 0);
        }
        if (!worst && !same) {
            if (r->mpi.rank == 0)
                fprintf(stderr, "balnet: error: the ranks loaded different models: every rank needs the same "
                                "command line, model file and standard library (%s/models/lib)\n", bn_source_dir());
            worst = EXIT_MODEL;
        }
        return worst;
    }
#endif
    return rc;
}

#ifdef BN_HAVE_MPI
/* "5.8 MB" (as the runtime's messages print sizes), "2.0 kB" below 0.1 MB. */
static void mb(char *buf, size_t len, size_t bytes)
{
    if (bytes < 100000)
        snprintf(buf, len, "%.1f kB", (double)bytes / 1e3);
    else
        snprintf(buf, len, "%.1f MB", (double)bytes / 1e6);
}

/* The largest memory estimate of a point's network split over k parts (bn_point_mem_bytes), and which. */
static size_t largest_point(const struct run *r, int k, int *point)
{
    size_t most = 0;
    for (int p = 0; p < bn_npoints(r->m); p++) {
        size_t b = bn_point_mem_bytes(r->m, p, k);
        if (b > most) {
            most = b;
            *point = p;
        }
    }
    return most;
}

#endif

/* No --ranks-per-point under mpirun (docs/cluster.md, "Automatic split"): when a point's network does not
 * fit a rank's budget ($BALNET_MEM_LIMIT, else 90 % of the node's MemAvailable shared by its ranks; the
 * least over the ranks, so that every rank decides alike), every point is split over the smallest K
 * dividing the ranks at which the largest fits, as --ranks-per-point K would; none: refused, with the
 * numbers.  One K for the whole sweep: its groups are formed once (cli_mpi_split_new). */
static int auto_split(struct run *r)
{
#ifdef BN_HAVE_MPI
    const int n = r->mpi.size;
    size_t limit = mem_limit(), avail = bn_mem_available();
    bool env = limit > 0;
    if (!env)
        limit = avail ? (size_t)(0.9 * (double)avail / (r->mpi.local_size > 1 ? r->mpi.local_size : 1)) : SIZE_MAX;
    limit = cli_mpi_min_size(&r->mpi, limit);
    int p1 = 0, pk = 0;
    size_t need1 = largest_point(r, 1, &p1);
    if (limit == SIZE_MAX || need1 <= limit)
        return 0;
    char a[32], b[32], c[32];
    mb(b, sizeof b, limit);
    mb(a, sizeof a, need1);
    const char *why = env ? "BALNET_MEM_LIMIT" : "90 % of the node's available memory over its ranks";
    for (int k = 2; k <= n; k++) {
        size_t need = n % k == 0 ? largest_point(r, k, &pk) : SIZE_MAX;
        if (need > limit)
            continue;
        r->o.ranks_per_point = k;
        r->auto_split = true;
        if (r->mpi.rank == 0) {
            mb(c, sizeof c, need);
            fprintf(stderr, "balnet: point %d needs %s, more than the %s a rank has (%s): every point runs split "
                            "over %d ranks (%s per rank; as --ranks-per-point %d)\n", p1, a, b, why, k, c, k);
        }
        return 0;
    }
    if (r->mpi.rank == 0) {
        mb(c, sizeof c, largest_point(r, n, &pk));
        fprintf(stderr, "balnet: error: point %d needs %s per rank even split over all %d ranks, more than the %s a "
                        "rank has (%s): use more nodes, or fewer ranks per node\n", pk, c, n, b, why);
    }
    return EXIT_MODEL;
#else
    (void)r;
    return 0;
#endif
}

/* --ranks-per-point K: needs K dividing the ranks (every rank decides alike; rank 0 says why); without it
 * under mpirun, auto_split. */
static int ranks_per_point(struct run *r)
{
    int k = r->o.ranks_per_point, n = r->mpi.size;
    if (k == 0 && n > 1)
        return auto_split(r);
    if (k <= 1 || (n > 1 && n % k == 0))
        return 0;
    if (r->mpi.rank == 0) {
        if (n == 1)
            fprintf(stderr, "balnet: error: --ranks-per-point %d needs %d MPI ranks (mpirun -np %d balnet run ...); "
                            "this process is not under mpirun\n", k, k, k);
        else
            fprintf(stderr, "balnet: error: --ranks-per-point %d must divide the number of ranks (%d)\n", k, n);
    }
    return EXIT_USAGE;
}

/* Rank 0's verdict on the results folder, for every rank. */
static int ranks_go(struct run *r, int rc)
{
#ifdef BN_HAVE_MPI
    if (r->mpi.size > 1)
        return cli_mpi_go(&r->mpi, rc);
#endif
    return rc;
}

/* Last: MPI_Finalize, or MPI_Abort when rank 0 gave up on a rank that stopped answering. */
static void ranks_end(struct run *r, int rc)
{
#ifdef BN_HAVE_MPI
    bool abandoned = (r->mw && cli_mpi_abandoned(r->mw)) || cli_mpi_split_abandoned(r->split);
    cli_mpi_workers_free(r->mw);
    r->mw = NULL;
    cli_mpi_split_free(r->split);
    r->split = NULL;
    cli_mpi_end(&r->mpi, rc, abandoned);
#endif
}

/* A rank other than 0: it runs the items rank 0 sends, on its threads, one thread each (as in one process
 * with more items than threads), and writes nothing. */
static int worker_rank(struct run *r, int rc)
{
#ifdef BN_HAVE_MPI
    if (!rc && ranks_go(r, 0) == 0) {
        watch_signals(r->m);
        const char *npt = getenv("BALNET_NEURONS_PER_THREAD");
        struct bn_run_options ro = {.threads = 1, .neurons_per_thread = npt ? strtoll(npt, NULL, 10) : 0,
                                    .mem_limit = mem_limit()};
        int threads = r->o.threads ? r->o.threads : default_threads(r);
        if (r->o.ranks_per_point > 1) {   /* a part of its group's items (cli_mpi_split_new pairs rank 0's) */
            if (!(r->split = cli_mpi_split_new(&r->mpi, r->m, r->o.ranks_per_point, &threads))) {
                fprintf(stderr, "balnet: error: out of memory\n");
                cli_mpi_end(&r->mpi, EXIT_MODEL, true);
            }
            ro.threads = threads;
            cli_mpi_split_options(r->split, &ro);
            rc = cli_mpi_split_serve(r->split, &ro);
        } else {
            rc = cli_mpi_serve(&r->mpi, r->m, threads, &ro);
        }
    }
#endif
    run_free(r);
    ranks_end(r, rc);
    return rc;
}

int cli_run(const struct cli_options *in)
{
    struct run r = {.o = *in, .in = in};
    char deffile[PATH_MAX];
    struct bn_set sets[260];
    int rc = ranks_start(&r);
    if (rc)
        return rc;
    if (!in->file)
        default_experiment(&r, deffile, sizeof deffile, sets);
    rc = ranks_agree(&r, load(&r));
    rc = rc ? rc : ranks_per_point(&r);
    if (r.mpi.rank != 0)
        return worker_rank(&r, rc);
    if (!rc) {
        rc = open_spikes(&r);
        rc = rc ? rc : open_folder(&r);
        rc = ranks_go(&r, rc);
    }
    if (rc) {
        run_free(&r);
        ranks_end(&r, rc);
        return rc;
    }
    rc = schedule(&r) ? outcome(&r) : EXIT_MODEL;
    double peak_rss_mb;
    rc = close_folder(&r, rc, &peak_rss_mb);
    if (rc == 0)
        report(&r, peak_rss_mb);
    run_free(&r);
    ranks_end(&r, rc);
    return rc;
}

int cli_plot(const char *dir)
{
    char err[1024] = "", note[1024];
    /* Not while a run writes the folder (results/lock.h). */
    bn_lock *lock = bn_lock_folder(dir, note, sizeof note, err, sizeof err);
    if (!lock) {
        fprintf(stderr, "balnet: error: %s\n", err);
        return EXIT_MODEL;
    }
    if (note[0])
        fprintf(stderr, "balnet: note: %s\n", note);
    /* scaling.csv too: a sweep stopped by an error has its completed points, but no fits yet. */
    bool ok = bn_folder_fit(dir, err, sizeof err) && bn_folder_plot(dir, err, sizeof err);
    bn_unlock(lock);
    if (!ok) {
        fprintf(stderr, "balnet: error: %s\n", err);
        return EXIT_MODEL;
    }
    if (err[0])   /* e.g. gnuplot missing: the scripts and data are written, the images are not */
        fprintf(stderr, "balnet: note: %s\n", err);
    else
        fprintf(stderr, "balnet: plots in %s/plots\n", dir);
    return 0;
}
