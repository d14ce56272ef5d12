/*
 * results.h - the results folder of a sweep (DESIGN.md §4): points.csv, timings.csv, run.json, scaling.csv,
 * and the terminal summary.  Prefix `res_`.  The writer (results.c) writes; the reader (results_read.c)
 * parses points.csv back for the fits (scaling.h), the plots (plot.h) and the verdict (verdict.h).
 *
 * Owns: every file in the folder and their crash safety:
 *   - points.csv grows by one write() of a whole (point, trial) block followed by fsync(), so a crash
 *     leaves at worst one torn trailing line; res_open(resume) cuts it (and the block it belonged to) off;
 *   - run.json, scaling.csv and the final sorted points.csv are written to a temporary file, fsync'ed and
 *     rename()d over the old one, so a reader sees the old or the new file, never half of one.
 * One run at a time: res_open takes the folder's lock (results/lock.h) before it reads or writes anything,
 * res_close (or a failed res_open) releases it unless the caller keeps it to hold it over the fits and
 * plots that follow (res_keep_lock), and every append first checks that it still holds it.
 * Must not: print (the summary goes to the FILE it is given), exit, or know how statistics are computed.
 *
 * points.csv columns: point,<each sweep axis>,trial,population,statistic,value,unit - values with %.17g
 * (they read back to the same double), NaN as "nan".  A field holding ',', '"' or a newline is quoted.
 */
#ifndef BN_RESULTS_H
#define BN_RESULTS_H

#include "runtime/stats.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct res;   /* an open results folder */
struct lock;  /* results/lock.h */

/* Timing of one (point, trial) item, kept in timings.csv and copied into run.json. */
struct res_timing {
    double wall_s;         /* the item, compile included */
    double compile_ms;     /* JIT compile of its point (0 when another item compiled it) */
    double build_ms;       /* network construction */
    double sim_ms;         /* simulation loop */
    int64_t synapses;
    int threads;           /* threads its network was split over */
    double kernel_wait_ms; /* the run's wait for its kernels after its network was built (NaN: not recorded) */
};

/* What run.json records about the run besides the folder's own data. */
struct res_run_info {
    const char *model;         /* model name */
    const char *model_file;
    uint64_t seed;             /* master seed */
    double wall_s;             /* whole sweep */
    double compile_ms;         /* sum over points */
    double kernel_wait_ms;     /* sum over the items of this process: how long runs waited for kernels */
    const char *kernel_cache;  /* "hit" (every kernel from the cache), "miss", "off"; NULL: not written */
    double peak_rss_mb;        /* peak resident memory of the process (getrusage), MB */
    const char *engine;        /* "jit" or "interp" */
    int threads;               /* per process */
    int ranks;                 /* MPI processes that ran items (0: written as 1) */
    int ranks_per_point;       /* each item's network split over this many ranks (0: written as 1) */
    bool ranks_per_point_auto; /* chosen by the memory estimate */
    bool complete;             /* every item done */
    /* Every parameter with its value and unit, as a JSON object text made by sema_params_json()
     * (e.g. {"N": {"value": 1000, "unit": "1"}, ...}); inserted verbatim.  NULL: {}. */
    const char *params_json;
};

/* Opens DIR for a sweep with the given non-trial axis names.  model_hash identifies the model (text).
 * First creates DIR (mkdir -p) and takes its lock (results/lock.h): a folder another live run holds is
 * refused with that run named, and left as it was.
 * Fresh (resume false): refuses when DIR already holds a points.csv (nothing is ever overwritten), writes
 * the header and a provisional run.json (model_hash, complete: false).
 * Resume: reads DIR/points.csv and DIR/run.json, refuses a different model hash or different axes, cuts
 * a torn trailing line (with the rest of its block), and remembers which (point, trial) items are done.
 * A resume of a folder without points.csv starts fresh.  NULL with a message in err. */
struct res *res_open(const char *dir, const char *model_hash, const char *const *axes, int naxes, bool resume,
                     char *err, size_t errlen);
/* What the user should know about opening the folder (a stale lock of a dead run taken over), or NULL. */
const char *res_note(const struct res *r);
/* Hands the folder's lock to the caller, who writes more after res_close (scaling.csv, plots) and then
 * releases it with lock_release; res_close leaves it held.  (Without this call res_close releases it.) */
struct lock *res_keep_lock(struct res *r);
bool res_is_done(const struct res *r, int point, int trial);
int res_ndone(const struct res *r);
/* Appends the rows of one item (one write() + fsync; on failure the file is cut back to its old size).
 * axis_values: naxes strings.  Thread-safe. */
bool res_append_point(struct res *r, int point, const char *const *axis_values, int trial,
                      const struct stat_row *rows, int nrows, const struct res_timing *tm, char *err,
                      size_t errlen);
/* Ends the sweep and frees r: rewrites points.csv sorted by (point, trial) (atomic) and writes run.json.
 * The fits and plots are the caller's next steps (fit_scaling_csv, then plot_results), since they read the
 * folder this writes.  False with err on I/O errors (r is freed either way). */
bool res_close(struct res *r, const struct res_run_info *info, char *err, size_t errlen);
/* Rewrites only run.json (used by res_close; exposed for tools that patch it). */
bool res_write_json(const char *dir, const char *model_hash, const char *const *axes, int naxes,
                    const struct res_run_info *info, char *err, size_t errlen);

/* The terminal summary: one line per (point, population), one column per statistic (mean over trials, 4
 * significant digits, unit in the header). */
bool res_summary(FILE *out, const char *dir);

/* ---- points.csv read back (results_read.c; for scaling.c, plot.c, the summary, the verdict) ------- */
struct res_trow {
    int point, trial;
    char **axis;               /* naxes values as written */
    char *population, *statistic, *unit;
    double value;
};
struct res_table {
    char *text;                /* the file; every field NUL-terminated in place */
    int naxes;
    char **axes;               /* axis column names */
    struct res_trow *rows;
    int64_t nrows;
};
bool res_table_read(const char *path, struct res_table *t, char *err, size_t errlen);
void res_table_free(struct res_table *t);
/* Same statistic and population, and the same values on every axis except `skip` (-1: none): the rows of
 * one curve of a plot, or one group of a scaling fit. */
bool res_same_group(const struct res_trow *a, const struct res_trow *b, int naxes, int skip);
/* The first row of each distinct (statistic, population), in row order, into pair[] (room for t->nrows);
 * returns their number. */
int64_t res_stat_pairs(const struct res_table *t, int64_t *pair);
/* The first row of each group (res_same_group with skip = a) of pr's statistic and population, in row
 * order, into lead[] (room for t->nrows): one curve, or one fit, against axis a each.  Returns their number. */
int64_t res_group_leaders(const struct res_table *t, const struct res_trow *pr, int a, int64_t *lead);
/* True when every value of axis a parses completely as a finite number. */
bool res_axis_numeric(const struct res_table *t, int a);

#endif
