/*
 * driver.h - the command-line driver: option parsing, the pipeline as one list of calls, and the sweep.
 *
 * Owns: process exit codes (0 ok, 1 model or run error, 2 usage error), what is printed on stdout/stderr.
 * Every other module only returns false and appends diagnostics.
 */
#ifndef BN_DRIVER_H
#define BN_DRIVER_H

#include "support/support.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

enum { EXIT_MODEL = 1, EXIT_USAGE = 2 };

enum drv_engine { ENGINE_JIT, ENGINE_INTERP };

struct drv_set {
    const char *name;
    const char *value;     /* text after '=' as typed */
};

struct drv_options {
    const char *command;   /* check, dump, run, plot */
    const char *file;
    const char *emit;      /* dump: tokens, ast, ir, llvm */
    const char *out;
    const char *spikes;    /* --spikes FILE: every spike of a one-item run, as CSV */
    enum drv_engine engine;
    bool has_seed;
    uint64_t seed;
    int threads;           /* 0: all cores */
    bool resume, quiet, verbose;
    int argc;              /* the command line, for the resume hint */
    char **argv;
    struct drv_set *sets;
    int nsets;
};

/* The front half of the pipeline: parse -> resolve -> check units.  Builds everything in `arena`. */
struct sema_model;
struct drv_front {
    struct arena arena;
    struct srcmgr sm;
    struct diags diags;
    struct ast_program *prog;
    struct sema_model *model;
};
bool drv_front(struct drv_front *f, const struct drv_options *o, bool stop_after_parse);
void drv_front_free(struct drv_front *f);

int drv_run(const struct drv_options *o);     /* balnet run */
int drv_plot(const char *dir);                /* balnet plot */

/* Locates the model library (models/lib) and the default experiment. */
const char *drv_source_dir(void);

#endif
