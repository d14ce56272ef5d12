/*
 * internal.h - what the files of api/ share behind include/balnet.h: the model handle's fields.
 *
 * api/ is the pipeline as a library: model.c loads and checks (front end, diagnostics as data), sweep.c
 * expands the sweep into items and their dependencies, item.c compiles and runs one item, folder.c wraps
 * the results folder (results/), hdf5.c the HDF5 writer (results/h5.h).  The scheduler is sched/.  Must
 * not: print, exit, or keep global state (libhdf5's lock in results/h5.c is the one exception).
 */
#ifndef BN_API_INTERNAL_H
#define BN_API_INTERNAL_H

#include "balnet.h"
#include "support/support.h"
#include "jit/jit.h"

#include <pthread.h>
#include <stdatomic.h>

struct sema_model;
struct ast_program;
struct ir_model;
struct ir_kernel;
struct jit;

/* Compiled kernels, shared by every point whose model has the same ir_kernels_hash. */
struct api_kernels {
    uint64_t hash;
    pthread_mutex_t lock;  /* held while starting or finishing a compile */
    bool ready, failed;
    bool compiling;        /* a JIT compile started (item.c, kernels_start) and not finished */
    struct jit_compile *compile;
    struct ir_kernel *kernels;
    struct jit *jit;
    struct arena arena;    /* interpreter contexts */
    bool has_arena;
    struct api_kernels *next;
};

struct api_point {
    int *idx;              /* one value index per sema axis (trial axis: 0) */
    const char **values;   /* non-trial axis values as text, for points.csv */
    struct ir_model *ir;   /* NULL when the point needs measured statistics: lowered per item */
    uint64_t key;          /* hash of the axis values */
    int *deps, ndeps;      /* points whose statistics (same trial) this point's params use */
};

/* The recorded rows of one item (its own run, another rank's, or a resumed folder's). */
struct api_item {
    bool recorded;
    struct bn_row *rows;   /* strings malloc'ed */
    int nrows;
};

struct bn_model {
    struct arena arena;
    struct srcmgr sm;
    struct diags diags;
    struct ast_program *prog;
    struct sema_model *sema;
    struct bn_load_options opt;    /* sets copied into the arena */
    bool failed;                   /* an error outside the diagnostics (expand) */
    bool llvm_preload;             /* jit_llvm_preload_if_cold started loading LLVM: bn_free waits for it */
    /* diagnostics as data, rebuilt by api_export_diags after every call that can add some */
    struct bn_diag *dv;
    int ndv;
    /* the sweep (sweep.c) */
    bool expanded;
    int nax, ncols, npoints, ntrials, nitems;
    const char **axis_names;       /* ncols non-trial axis names */
    struct api_point *points;
    struct api_item *items;
    /* kernels and runs (item.c) */
    pthread_mutex_t lock;          /* items' rows, kernel list, counters */
    pthread_mutex_t sema_lock;     /* lowering allocates in the arena */
    struct api_kernels *kernels;
    double compile_ms;
    double kernel_wait_ms;         /* summed over the items run (bn_kernel_wait_ms) */
    int kernel_cache[3];           /* compiles per enum jit_cache_state (off, miss, hit) */
    volatile int cancel;           /* bn_cancel; the runtime polls it (rt_options.cancel) */
    const char *params_json;
};

/* A result's recordings as the runtime's tables (what api/hdf5.c hands to results/h5.c). */
struct rt_tables;
const struct rt_tables *api_result_tables(const bn_result *r);

/* Rebuilds m->dv from m->diags (every diagnostic rendered on its own). */
void api_export_diags(bn_model *m);
void api_sweep_free(bn_model *m);
void api_kernels_free(bn_model *m);

#endif
