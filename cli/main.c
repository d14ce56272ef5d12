/*
 * main.c - `balnet`: command dispatch, option parsing, and the short commands (check, dump, plot).
 *
 * The pipeline reads in one place (STYLE.md §7): `check` loads a model (bn_load_file), `dump --emit=`
 * stops after any stage (bn_dump), and `run` (run.c) loads, expands, schedules and reports.
 */
#include "cli/cli.h"
#include "cli/mpi.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage_text[] =
    "usage: balnet <command> [options]\n"
    "\n"
    "commands:\n"
    "  run [FILE]          run a model and its sweep (no FILE: the default experiment, a reduced\n"
    "                      version of the paper's figure)\n"
    "  check FILE          check a model; -v prints the resolved model and the solver of each ODE\n"
    "  dump --emit=STAGE FILE\n"
    "                      print a pipeline stage: tokens, ast, ir, llvm or llvm-unopt (before the\n"
    "                      LLVM pass pipeline)\n"
    "  plot DIR            redraw the plots and refit scaling.csv of a results folder\n"
    "\n"
    "options:\n"
    "  --set NAME=VALUE    override a param, a simulate setting (dt, duration, burn_in, seed, method),\n"
    "                      an argument (POP.NAME, SYNAPSE.NAME) or a sweep axis: one value, a list\n"
    "                      [a, b] or a range a..b, with units\n"
    "  --out DIR           results folder (default results/<model>-<timestamp>)\n"
    "  --resume            finish an interrupted sweep in --out DIR, skipping completed points\n"
    "  --engine jit|interp kernels from the LLVM JIT (default) or the reference interpreter\n"
    "  --seed S            master seed (overrides simulate's seed)\n"
    "  --threads N         worker threads (default: all cores): sweep points in parallel, or one\n"
    "                      point's neurons split over them (from 3000 neurons per thread)\n"
    "  --ranks-per-point K under mpirun: split every point's network over K ranks (each builds the\n"
    "                      synapses onto its slice; identical results); K divides the ranks:\n"
    "                      ranks/K points run at once.  Without it, a point that does not fit a\n"
    "                      rank's memory splits every point over the fewest ranks it fits (1: never)\n"
    "  --no-cache          neither read nor store compiled kernels (the cache: $BALNET_CACHE_DIR,\n"
    "                      else ~/.cache/balnet; an empty BALNET_CACHE_DIR also turns it off)\n"
    "  --spikes FILE       write every spike of a single-point, single-trial run to FILE\n"
    "                      (CSV: population,step,neuron); FILE.h5 or FILE.hdf5: every spike of\n"
    "                      every point and trial as HDF5, with no cap (docs/hdf5.md)\n"
    "  --quiet             no summary table\n"
    "  -v, --verbose       more detail\n"
    "  -h, --help          this text\n"
    "  --version           print the version (and whether MPI is built in)\n"
    "\n"
    "Under mpirun or srun, `run` spreads the sweep's items over the ranks; rank 0 writes the\n"
    "results folder (docs/cluster.md).\n";

static int usage_error(const char *fmt, const char *arg)
{
    fprintf(stderr, "balnet: error: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\nTry 'balnet --help'.\n");
    return EXIT_USAGE;
}

/* Accepts "--opt=value" and "--opt value".  Returns the value or NULL (usage error). */
static const char *opt_value(int argc, char **argv, int *i, const char *name)
{
    size_t n = strlen(name);
    if (strncmp(argv[*i], name, n) == 0 && argv[*i][n] == '=')
        return argv[*i] + n + 1;
    if (strcmp(argv[*i], name) == 0 && *i + 1 < argc)
        return argv[++*i];
    return NULL;
}

static bool is_opt(const char *arg, const char *name)
{
    size_t n = strlen(name);
    return strncmp(arg, name, n) == 0 && (arg[n] == 0 || arg[n] == '=');
}

static int parse_args(int argc, char **argv, struct cli_options *o)
{
    static struct bn_set sets[256];
    memset(o, 0, sizeof *o);
    o->sets = sets;
    if (argc < 2) {
        fputs(usage_text, stderr);
        return EXIT_USAGE;
    }
    o->command = argv[1];
    o->argc = argc;
    o->argv = argv;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i], *v;
        if (strcmp(a, "-v") == 0 || strcmp(a, "--verbose") == 0) {
            o->verbose = true;
        } else if (strcmp(a, "--quiet") == 0 || strcmp(a, "-q") == 0) {
            o->quiet = true;
        } else if (strcmp(a, "--resume") == 0) {
            o->resume = true;
        } else if (strcmp(a, "--no-cache") == 0) {
            /* The empty BALNET_CACHE_DIR is the kernel cache's "off" (jit/jit_cache.h); set before any
             * thread starts, so no getenv races with it. */
            setenv("BALNET_CACHE_DIR", "", 1);
        } else if (is_opt(a, "--set")) {
            if (!(v = opt_value(argc, argv, &i, "--set")))
                return usage_error("%s needs NAME=VALUE", a);
            const char *eq = strchr(v, '=');
            if (!eq || eq == v)
                return usage_error("--set '%s': expected NAME=VALUE", v);
            if (o->nsets == 256)
                return usage_error("%s: too many --set options", a);
            char *name = strndup(v, (size_t)(eq - v));
            while (*name == ' ')
                name++;
            for (char *e = name + strlen(name); e > name && e[-1] == ' ';)
                *--e = 0;
            o->sets[o->nsets++] = (struct bn_set){name, eq + 1};
        } else if (is_opt(a, "--out")) {
            if (!(o->out = opt_value(argc, argv, &i, "--out")) || !*o->out)
                return usage_error("%s needs a directory", a);
        } else if (is_opt(a, "--spikes")) {
            if (!(o->spikes = opt_value(argc, argv, &i, "--spikes")) || !*o->spikes)
                return usage_error("%s needs a file name", a);
        } else if (is_opt(a, "--emit")) {
            if (!(o->emit = opt_value(argc, argv, &i, "--emit")))
                return usage_error("%s needs tokens, ast, ir or llvm", a);
        } else if (is_opt(a, "--engine")) {
            if (!(v = opt_value(argc, argv, &i, "--engine")))
                return usage_error("%s needs jit or interp", a);
            if (strcmp(v, "jit") == 0)
                o->engine = BN_ENGINE_JIT;
            else if (strcmp(v, "interp") == 0)
                o->engine = BN_ENGINE_INTERP;
            else
                return usage_error("unknown engine '%s' (expected jit or interp)", v);
        } else if (is_opt(a, "--seed")) {
            if (!(v = opt_value(argc, argv, &i, "--seed")))
                return usage_error("%s needs a number", a);
            char *end;
            errno = 0;
            unsigned long long s = strtoull(v, &end, 10);
            if (errno || end == v || *end || *v == '-')
                return usage_error("--seed '%s': expected a non-negative integer", v);
            o->seed = s;
            o->has_seed = true;
        } else if (is_opt(a, "--threads")) {
            if (!(v = opt_value(argc, argv, &i, "--threads")))
                return usage_error("%s needs a number", a);
            char *end;
            errno = 0;
            long t = strtol(v, &end, 10);
            if (errno || end == v || *end || t < 1 || t > 1024)
                return usage_error("--threads '%s': expected an integer from 1 to 1024", v);
            o->threads = (int)t;
        } else if (is_opt(a, "--ranks-per-point")) {
            if (!(v = opt_value(argc, argv, &i, "--ranks-per-point")))
                return usage_error("%s needs a number", a);
            char *end;
            errno = 0;
            long k = strtol(v, &end, 10);
            if (errno || end == v || *end || k < 1 || k > 65536)
                return usage_error("--ranks-per-point '%s': expected an integer from 1 to 65536", v);
            o->ranks_per_point = (int)k;
        } else if (a[0] == '-' && a[1]) {
            return usage_error("unknown option '%s'", a);
        } else if (!o->file) {
            o->file = a;
        } else {
            return usage_error("unexpected argument '%s'", a);
        }
    }
    return 0;
}

/* bn_load_options.on_log with -v: the library's remarks on stderr. */
static void log_line(void *ctx, const char *line)
{
    (void)ctx;
    fprintf(stderr, "balnet: %s\n", line);
}

struct bn_load_options cli_load_options(const struct cli_options *o)
{
    return (struct bn_load_options){.sets = o->sets, .nsets = o->nsets, .has_seed = o->has_seed, .seed = o->seed,
                                    .engine = o->engine, .on_log = o->verbose ? log_line : NULL};
}

int cli_print_diags(const bn_model *m, int from)
{
    int n = bn_ndiags(m);
    for (int i = from; i < n; i++)
        fputs(bn_diag(m, i)->rendered, stderr);
    return n;
}

/* Renders m's diagnostics, frees it, returns rc (rc 0 becomes EXIT_MODEL when m failed). */
static int finish(bn_model *m, int rc)
{
    if (!m) {
        fprintf(stderr, "balnet: error: out of memory\n");
        return EXIT_MODEL;
    }
    cli_print_diags(m, 0);
    if (!bn_ok(m))
        rc = EXIT_MODEL;
    bn_free(m);
    return rc;
}

static int cmd_check(const struct cli_options *o)
{
    if (!o->file)
        return usage_error("%s: missing model file", "check");
    struct bn_load_options lo = cli_load_options(o);
    /* check compiles nothing: with the JIT engine a load on a cold cache would start loading
     * balnet-llvm.so in the background (api/model.c) and wait for it at the end, ~20 ms for nothing. */
    lo.engine = BN_ENGINE_INTERP;
    bn_model *m = bn_load_file(o->file, &lo);
    if (m && bn_ok(m) && o->verbose)
        bn_print_model(stdout, m);
    if (m && bn_ok(m) && !o->verbose)
        printf("%s: ok\n", o->file);
    return finish(m, 0);
}

static int cmd_dump(const struct cli_options *o)
{
    if (!o->file)
        return usage_error("%s: missing model file", "dump");
    const char *emit = o->emit ? o->emit : "ast";
    if (strcmp(emit, "tokens") && strcmp(emit, "ast") && strcmp(emit, "ir") && strcmp(emit, "llvm") &&
        strcmp(emit, "llvm-unopt"))
        return usage_error("unknown stage '%s' (expected tokens, ast, ir, llvm or llvm-unopt)", emit);
    struct bn_load_options lo = cli_load_options(o);
    if (strncmp(emit, "llvm", 4) != 0)
        lo.engine = BN_ENGINE_INTERP;   /* tokens, ast and ir need no code generator (see cmd_check) */
    return finish(bn_dump(stdout, o->file, emit, &lo), 0);
}

int main(int argc, char **argv)
{
    /* A file-size limit (ulimit -f) must fail a write with EFBIG, which the writers report like a full
     * disk, instead of killing the process with SIGXFSZ half-way through a results folder. */
    signal(SIGXFSZ, SIG_IGN);
    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
                      strcmp(argv[1], "help") == 0)) {
        fputs(usage_text, stdout);
        return 0;
    }
    if (argc >= 2 && strcmp(argv[1], "--version") == 0) {
#ifdef BN_HAVE_MPI
        printf("balnet %s (MPI: %s)\n", bn_version(), cli_mpi_version());
#else
        printf("balnet %s (MPI: not built in)\n", bn_version());
#endif
        return 0;
    }
    struct cli_options o;
    int rc = parse_args(argc, argv, &o);
    if (rc)
        return rc;
    if (strcmp(o.command, "check") == 0)
        return cmd_check(&o);
    if (strcmp(o.command, "dump") == 0)
        return cmd_dump(&o);
    if (strcmp(o.command, "run") == 0)
        return cli_run(&o);
    if (strcmp(o.command, "plot") == 0) {
        if (!o.file)
            return usage_error("%s: missing results folder", "plot");
        return cli_plot(o.file);
    }
    return usage_error("unknown command '%s'", o.command);
}
