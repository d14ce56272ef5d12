/*
 * cli.h - the `balnet` command: option parsing, and each command as a client of include/balnet.h (no other
 * header of the tree).  Prefix `cli_`.
 *
 * Owns: process exit codes (0 ok, 1 model or run error, 2 usage error, 130 interrupted), everything
 * printed on stdout/stderr, and the signal handling (SIGINT/SIGTERM become bn_cancel on the running model).
 * The library only returns errors and diagnostics as data; this is where they are rendered.
 */
#ifndef BN_CLI_H
#define BN_CLI_H

#include "balnet.h"

#include <stdbool.h>
#include <stdint.h>

enum { EXIT_MODEL = 1, EXIT_USAGE = 2, EXIT_INTERRUPTED = 130 };

struct cli_options {
    const char *command;   /* check, dump, run, plot */
    const char *file;
    const char *emit;      /* dump: tokens, ast, ir, llvm */
    const char *out;
    const char *spikes;    /* --spikes FILE: every spike of a one-item run as CSV, or of every item as HDF5
                              (FILE.h5, FILE.hdf5) */
    enum bn_engine engine;
    bool has_seed;
    uint64_t seed;
    int threads;           /* 0: all cores */
    int ranks_per_point;   /* --ranks-per-point K: every item's network split over K MPI ranks (0, 1: not) */
    bool resume, quiet, verbose;
    int argc;              /* the command line, for the resume hint */
    char **argv;
    struct bn_set *sets;
    int nsets;
};

/* The library's load options for these command-line options. */
struct bn_load_options cli_load_options(const struct cli_options *o);
/* Prints m's diagnostics (rendered, with carets) from number `from` on to stderr; returns how many m has
 * (the next call's `from`). */
int cli_print_diags(const bn_model *m, int from);

int cli_run(const struct cli_options *o);     /* balnet run (run.c) */
int cli_plot(const char *dir);                /* balnet plot */

#endif
