/*
 * balnet.h - the whole pipeline as a library: load and check a model (from a file or a string, with
 * overrides), expand its sweep into items, compile and run one item, read its rows, spikes and recordings,
 * write a results folder and an HDF5 file of spikes and recordings, and schedule a sweep's items over
 * workers.  Prefix `bn_`.  This is the only header a client includes: the `balnet` command (cli/) and the
 * Python extension (python/) are two such clients; an MPI driver is meant to be another.
 *
 * Contract, for every function below:
 *   - No global state.  Everything lives in a handle (bn_model, bn_result, bn_folder, bn_sched); two handles
 *     never share mutable data, so independent handles may be used from different threads at once.
 *   - Nothing is printed and nothing exits.  Errors come back as a false/NULL/-1 return with a message in
 *     the caller's `err` buffer (errlen bytes, always NUL-terminated, may be NULL), and model errors as
 *     diagnostics held by the model (bn_diag: located, with the caret text already rendered).  Verbose
 *     remarks go to the `on_log` callback of the load options, when given.
 *   - Strings returned by the library belong to the handle they came from and live as long as it does.
 *   - Thread safety: bn_run_item, bn_compile_item, bn_record_rows, bn_cancel and bn_folder_append may be
 *     called concurrently on one model or folder (this is how the scheduler's threads use them); every other
 *     call on a handle must not overlap with another call on the same handle.  bn_cancel is also safe to
 *     call from a signal handler (it stores one flag).
 *   - A long call (bn_run_item, bn_sched_run) holds no lock of the caller's: a Python extension may release
 *     its GIL around it, and stop it from another thread with bn_cancel.
 *   - Reproducibility: an item's seed depends only on the model, its point's axis values and the trial,
 *     so an item gives the same rows whichever process, thread or order runs it (what lets MPI ranks run
 *     any subset of the items, and one rank write the results folder).
 */
#ifndef BALNET_H
#define BALNET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct bn_model bn_model;     /* a loaded model, its diagnostics, its sweep and kernels */
typedef struct bn_result bn_result;   /* rows, spikes and timing of one finished item */
typedef struct bn_folder bn_folder;   /* an open results folder (points.csv, run.json, ...) */
typedef struct bn_sched bn_sched;     /* the state of a sweep: which items are done, running, waiting */
typedef struct bn_lock bn_lock;       /* a results folder's lock, held by this process */
typedef struct bn_h5 bn_h5;           /* an HDF5 file of spikes being written (docs/hdf5.md) */

const char *bn_version(void);

/* ---- loading and checking ------------------------------------------------------------------------- */

enum bn_engine { BN_ENGINE_JIT, BN_ENGINE_INTERP };

/* One override, `balnet run --set NAME=VALUE`: a param, a simulate setting or a sweep axis; VALUE is
 * parsed in the language's own syntax (one value, a list [a, b] or a range a..b, with units). */
struct bn_set {
    const char *name;
    const char *value;
};

struct bn_load_options {
    const struct bn_set *sets;   /* overrides, applied in order */
    int nsets;
    bool has_seed;               /* seed overrides simulate's seed (and is part of the folder identity) */
    uint64_t seed;
    enum bn_engine engine;       /* kernels from the LLVM JIT or the reference interpreter */
    const char *lib_dir;         /* the standard library for `import`; NULL: bn_source_dir()/models/lib */
    /* Verbose remarks ("kernels: from cache (3 ms)"), one line each without a newline; NULL: dropped.
     * Called from the thread that compiles. */
    void (*on_log)(void *ctx, const char *line);
    void *log_ctx;
};

/* The folder holding models/lib and the default experiment: $BALNET_HOME, else the source tree. */
const char *bn_source_dir(void);

/* Parses, resolves and checks a model (units, names, the sweep).  Returns a handle even when the model has
 * errors (bn_ok false; read them with bn_diag); NULL only when out of memory.  `opt` may be NULL. */
bn_model *bn_load_file(const char *path, const struct bn_load_options *opt);
/* The same for a model held in memory; `name` is the file name its diagnostics show. */
bn_model *bn_load_string(const char *name, const char *text, const struct bn_load_options *opt);
/* False when loading, expanding or lowering reported an error. */
bool bn_ok(const bn_model *m);
void bn_free(bn_model *m);

/* ---- diagnostics as data --------------------------------------------------------------------------- */

enum bn_level { BN_ERROR, BN_WARNING, BN_NOTE };

struct bn_diag {
    enum bn_level level;
    const char *file;        /* NULL: no location (the message is about the run or the command line) */
    int line, col;           /* 1-based; col counts bytes; 0 without a location */
    const char *message;     /* the text alone, e.g. "unknown name 'tau_n'" */
    const char *rendered;    /* "file:line:col: error: message\n" with the source line and a caret line */
};

/* Every diagnostic of the model so far, in order (warnings too); a last note counts errors past the cap. */
int bn_ndiags(const bn_model *m);
const struct bn_diag *bn_diag(const bn_model *m, int i);

/* ---- what a loaded model is ---------------------------------------------------------------------------- */

const char *bn_model_name(const bn_model *m);
/* The identity of the results: a hash of the model's sources and overrides, plus the seed override. */
const char *bn_model_identity(const bn_model *m);
/* Every parameter with its value and unit as a JSON object text (what run.json records). */
const char *bn_params_json(bn_model *m);
/* The resolved model, with units and the solver of each ODE (`balnet check -v`). */
void bn_print_model(FILE *out, const bn_model *m);
/* A pipeline stage of the model file: "tokens", "ast", "ir" (the first sweep point), "llvm" or "llvm-unopt"
 * (the LLVM module before the pass pipeline).  Returns the
 * handle holding the diagnostics (bn_ok false on errors); NULL when out of memory. */
bn_model *bn_dump(FILE *out, const char *path, const char *stage, const struct bn_load_options *opt);

/* ---- the sweep: points x trials = items ------------------------------------------------------------ */

/* Expands the sweep into points (every combination of the non-trial axes, last axis fastest) and items
 * (point, trial), links the points whose params are measured in another point (`measured(...)`) and
 * lowers the others.  False on error: a lowering error is a diagnostic; a point that needs a point the
 * sweep does not run is a message in err.  Call once, before any of the calls below. */
bool bn_expand(bn_model *m, char *err, size_t errlen);
int bn_npoints(const bn_model *m);
int bn_ntrials(const bn_model *m);
int bn_nitems(const bn_model *m);              /* item = point * ntrials + (trial - 1) */
int bn_item_point(const bn_model *m, int item);
int bn_item_trial(const bn_model *m, int item); /* 1-based */
int bn_naxes(const bn_model *m);                /* the non-trial axes: the columns of points.csv */
const char *bn_axis_name(const bn_model *m, int axis);
const char *bn_point_value(const bn_model *m, int point, int axis);   /* as points.csv writes it */
/* The points whose rows (same trial) this point's params are measured from: they must finish first. */
int bn_point_ndeps(const bn_model *m, int point);
int bn_point_dep(const bn_model *m, int point, int i);
/* The master seed of the run: the first lowered point's simulate seed (or the override). */
uint64_t bn_seed(const bn_model *m);
/* The memory estimate of point's network per part when split over `parts` processes (the number rt_run
 * refuses a network by, runtime/mem.c), in bytes; 0 for a point whose params are measured in another point
 * (it is lowered only when its item runs).  bn_mem_available: the machine's MemAvailable (0: unknown). */
size_t bn_point_mem_bytes(const bn_model *m, int point, int parts);
size_t bn_mem_available(void);

/* ---- one item -------------------------------------------------------------------------------------- */

struct bn_row {                  /* one statistic of one population (docs/statistics.md) */
    const char *population;
    const char *statistic;
    double value;                /* NaN when undefined */
    const char *unit;
};

/* Rows of an item that ran elsewhere (another rank, or a previous run being resumed): measured params
 * of dependent points read them.  An item with recorded rows counts as finished for bn_item_ready. */
bool bn_record_rows(bn_model *m, int item, const struct bn_row *rows, int nrows);
/* The rows recorded for an item so far (by its bn_run_item, bn_record_rows or a resumed folder), in
 * *rows; valid until the item's next bn_record_rows.  What MPI's rank 0 sends, with a dependent item, to
 * the rank that runs it (that rank records them with bn_record_rows). */
int bn_item_rows(bn_model *m, int item, const struct bn_row **rows);
/* True when every point this item's point depends on has its rows (same trial) recorded. */
bool bn_item_ready(const bn_model *m, int item);

/* Compiles the kernels of the item's point, or finds them compiled: points whose kernels are the same code
 * (the paper's kernels do not depend on N or c) share one compilation.  *compile_ms (may be NULL) gets the
 * time spent here (0 when another call compiled them).  An item with measured params must be ready. */
bool bn_compile_item(bn_model *m, int item, double *compile_ms, char *err, size_t errlen);
/* Kernel compilations so far: total milliseconds, and the kernel cache's verdict over them: "hit" (every
 * one from the cache), "miss" (some compiled), "off". */
double bn_compile_ms(const bn_model *m);
const char *bn_kernel_cache(const bn_model *m);
/* bn_timing's kernel_wait_ms summed over the items this process ran. */
double bn_kernel_wait_ms(const bn_model *m);

struct bn_run_options {
    int threads;                 /* threads one network is split over (<= 1: one) */
    int64_t neurons_per_thread;  /* split only from this many neurons per thread; 0: the runtime's 3000 */
    /* Recordings (`rate_trace`, `trace`, `raster` in a `record`, and those of plastic projections) are
     * written at the end of the item to trace_dir/traces/p<point>-t<trial>-<population>-<name>.csv (CSV,
     * format in runtime/trace.h).  NULL: no files. */
    const char *trace_dir;
    bool keep_traces;            /* keep the recordings in the result (bn_trace), with or without files */
    bool keep_spikes;            /* keep every spike in the result (bn_spikes) */
    /* Streams every spike as it happens: after each step, per population, the neurons that spiked, in
     * increasing order.  Called from the thread running the item. */
    void (*on_spikes)(void *ctx, const char *population, int64_t step, const uint32_t *neurons, int64_t n);
    void *spikes_ctx;
    /* One network split over `parts` processes (docs/cluster.md, "One network over ranks"): this call runs
     * part `part` (0-based); every part must run the same item with the same threads.  A part builds only
     * the synapses onto its own slice of every population, and the parts swap their spikes through
     * exchange: each part calls it at the same points with its bytes, and it returns every part's bytes
     * concatenated in part order (sizes[r] bytes from part r; sizes has `parts` entries), valid until the
     * next call; with to_first only part 0 needs them.  NULL: failed.  MPI_Allgatherv / MPI_Gatherv is
     * one implementation (cli/mpi.c); threads of one process another (tests).  Only part 0's result has
     * rows (and only part 0 records them in m); on_spikes and keep_spikes see every spike on every part.
     * Refused: plastic projections, and models that record rate_trace, trace, raster or weights.
     * parts <= 1: the whole network in this call. */
    int part, parts;
    const void *(*exchange)(void *ctx, const void *send, size_t bytes, bool to_first, size_t *sizes);
    void *exchange_ctx;
    /* Refuse a network whose memory estimate (per part) exceeds this many bytes; 0: 90 % of the
     * available memory. */
    size_t mem_limit;
    /* One network on several threads (not split over parts): every balance_every steps the threads' busy
     * times are compared and a faster thread takes neurons from a slower one (runtime/layout.c); results
     * are the same.  0: every 1000 steps; < 0: never.  balance_shuffle (tests): move the bounds at every
     * check, pseudo-randomly, whatever the times. */
    int64_t balance_every;
    bool balance_shuffle;
};

struct bn_timing {
    double wall_s;               /* the item, its compile included */
    double compile_ms;           /* 0 when another item compiled its kernels */
    double build_ms, sim_ms;     /* network construction; simulation loop */
    int64_t synapses;            /* split over parts: this part's */
    int threads;                 /* threads its network was split over */
    double exchange_ms;          /* split over parts: in the exchange (waiting for the others included) */
    double exchange_bytes;       /* split over parts: bytes this part sent */
    double kernel_wait_ms;       /* how long the run waited for its kernels after building its network (they
                                  * compile meanwhile): what the compile added to the item's time */
};

/* Runs one item (compiling its kernels first if needed) and records its rows in m.  NULL with err on
 * failure, including a run stopped by bn_cancel.  Errors name the item ("point 3, trial 2: ..."). */
bn_result *bn_run_item(bn_model *m, int item, const struct bn_run_options *opt, char *err, size_t errlen);
int bn_nrows(const bn_result *r);
const struct bn_row *bn_row(const bn_result *r, int i);
const struct bn_timing *bn_timing(const bn_result *r);
/* Spikes kept with keep_spikes, as three parallel arrays (population index, step, neuron) in step order,
 * then population order, then neuron order; population i is named bn_spike_population(r, i). */
int64_t bn_nspikes(const bn_result *r);
void bn_spikes(const bn_result *r, const int32_t **population, const int64_t **step, const uint32_t **neuron);
const char *bn_spike_population(const bn_result *r, int i);
/* Frees the kept spikes (once written elsewhere, say with bn_h5_write); bn_nspikes is 0 afterwards. */
void bn_result_drop_spikes(bn_result *r);
/* Recordings kept with keep_traces, one per (recording, population): the columns of its CSV file as
 * arrays of doubles in display units (times in ms, neuron indices as whole numbers). */
struct bn_trace {
    const char *population;      /* the population, "all", or "PRE-POST" for a plastic projection */
    const char *name;            /* the recording's name: "rate_trace", "trace_V", "raster", "weights", ... */
    const char *kind;            /* rate_trace, trace, raster, weights, weight_stats, weight_hist, state_trace */
    int ncols;
    const char *const *columns;  /* names: the CSV file's header ("time_ms", "neuron", "V") */
    const char *const *units;    /* display unit of each column ("ms", "1", "mV") */
    const double *const *data;   /* data[c][row], nrows each */
    int64_t nrows;
    const char *note;            /* NULL, or why it stops early ("truncated: at most 100000 rows ...") */
};
int bn_ntraces(const bn_result *r);
const struct bn_trace *bn_trace(const bn_result *r, int i);
/* The item's time step in milliseconds: a spike at step k happened at k * dt (what turns steps into times). */
double bn_result_dt(const bn_result *r);
int bn_result_item(const bn_result *r);        /* the item it is the result of */
/* A result holds its rows, spikes, recordings and timing only (the network and its statistics are freed when
 * bn_run_item returns), so a client may keep one per item of a sweep. */
void bn_result_free(bn_result *r);

/* Stops every running and future bn_run_item of m (they fail with "interrupted"), and makes the scheduler
 * hand out no more items.  Async-signal-safe; callable from any thread. */
void bn_cancel(bn_model *m);
bool bn_cancelled(const bn_model *m);

/* ---- the results folder ------------------------------------------------------------------------------ */

/* Opens DIR for m's sweep.  Fresh: creates it, refusing one that already holds results.  Resume: checks it
 * belongs to the same model identity and axes, and records the rows of the items it already holds in m
 * (bn_record_rows), so their dependents can run.  NULL with err. */
bn_folder *bn_folder_open(const char *dir, bn_model *m, bool resume, char *err, size_t errlen);
/* A folder belongs to one run at a time (results/lock.h): bn_folder_open takes DIR's lock before it touches
 * anything there, refusing a folder that another live process holds (err names it: host, pid, start time)
 * and taking over the lock of one that died (bn_folder_note says whose).  bn_folder_close releases it,
 * unless the client keeps it with bn_folder_keep_lock to go on writing (fits, plots) and then bn_unlock's. */
const char *bn_folder_note(const bn_folder *f);   /* NULL, or what the user should know about the opening */
bn_lock *bn_folder_keep_lock(bn_folder *f);       /* NULL when out of memory (bn_folder_close releases it) */
/* DIR's lock on its own, for a client that rewrites a closed folder (`balnet plot DIR`); note as above. */
bn_lock *bn_lock_folder(const char *dir, char *note, size_t notelen, char *err, size_t errlen);
void bn_unlock(bn_lock *l);
bool bn_folder_has(const bn_folder *f, int item);   /* the item's rows are already in the folder */
int bn_folder_ndone(const bn_folder *f);
/* Appends the item's rows and timing (one write + fsync).  Thread-safe. */
bool bn_folder_append(bn_folder *f, int item, const bn_result *r, char *err, size_t errlen);
/* The same for rows that arrived without a result handle (from another MPI rank, say). */
bool bn_folder_append_rows(bn_folder *f, int item, const struct bn_row *rows, int nrows, const struct bn_timing *t,
                           char *err, size_t errlen);
/* A recording of an item that ran elsewhere (another MPI rank wrote it into its own trace_dir): `data`
 * becomes DIR/traces/NAME, atomically (complete or absent).  NAME is the file name the runtime gave it
 * (p<point>-t<trial>-<population>-<name>.csv); a name with a '/' or starting with '.' is refused. */
bool bn_folder_add_trace(bn_folder *f, const char *name, const void *data, size_t n, char *err, size_t errlen);

struct bn_run_info {             /* what run.json records besides the rows */
    const char *model_file;
    double wall_s;               /* the whole sweep */
    double peak_rss_mb;          /* of the process that writes the folder (MPI: rank 0) */
    int threads;                 /* per process */
    int ranks;                   /* MPI processes that ran items (<= 1: this process alone) */
    int ranks_per_point;         /* every item's network split over this many ranks (<= 1: not split) */
    bool ranks_per_point_auto;   /* chosen from the memory estimate, not asked for (docs/cluster.md) */
    bool complete;               /* every item done */
    bool kernel_cache;           /* record bn_kernel_cache(m) (JIT runs) */
};
/* Rewrites points.csv sorted by (point, trial) and writes run.json, then frees f (either way). */
bool bn_folder_close(bn_folder *f, const struct bn_run_info *info, char *err, size_t errlen);
/* Read a closed folder: DIR/scaling.csv (log-log fits), then DIR/plots/ (a remark that is not an error,
 * such as a missing gnuplot, is left in err with a true return), the terminal summary table, and the
 * plain-language verdict on statistic `stat` against axis `size_axis` (false: the folder lacks them). */
bool bn_folder_fit(const char *dir, char *err, size_t errlen);
bool bn_folder_plot(const char *dir, char *err, size_t errlen);
bool bn_folder_summary(FILE *out, const char *dir);
bool bn_folder_verdict(FILE *out, const char *dir, const char *size_axis, const char *stat);

/* ---- spikes and recordings as HDF5 (docs/hdf5.md) ------------------------------------------------------------------- */

/* Every item's spikes (run with keep_spikes) in one HDF5 file, /p<point>/t<trial>/spikes/<population>/
 * {step, neuron}, and its recordings (keep_traces) with their units, /p<point>/t<trial>/traces/<population>/
 * <name>/<column>, chunked and compressed, with no cap but the disk: `balnet run --spikes FILE.h5`, and the
 * Python package's save_hdf5.  The file says complete = 1 only once bn_h5_close(complete = true) finished
 * it; a killed run leaves complete = 0 (its finished items readable) or a file HDF5 cannot open.
 * Without libhdf5 at build time bn_h5_available is false and bn_h5_create fails saying so. */
bool bn_h5_available(void);
/* Creates (truncates) path for m's sweep (expanded).  NULL with err. */
bn_h5 *bn_h5_create(const char *path, const bn_model *m, char *err, size_t errlen);
/* Writes the result's item (replacing it if written before) and flushes the file.  Thread-safe. */
bool bn_h5_write(bn_h5 *f, const bn_result *r, char *err, size_t errlen);
/* Marks the file complete when `complete`, closes it and frees f (either way). */
bool bn_h5_close(bn_h5 *f, bool complete, char *err, size_t errlen);
/* True for a balnet HDF5 file marked complete; false for one whose writer was killed or did not finish,
 * a truncated or unreadable file, or a file that is not ours (and without libhdf5). */
bool bn_h5_complete(const char *path);

/* ---- the scheduler ----------------------------------------------------------------------------------- */

/* A sweep's items in one of three states: waiting, running, done.  An item is handed out only when the
 * points it depends on are done (same trial); failure or bn_cancel stops the handing out.  The scheduler
 * runs nothing itself: workers take items and report back, so threads of this process (bn_sched_run) and
 * MPI ranks (a rank-0 loop calling bn_sched_next for the ranks that ask) drive it the same way. */
bn_sched *bn_sched_new(bn_model *m);
void bn_sched_free(bn_sched *s);
/* Resume: an item finished before (its rows recorded with bn_record_rows or bn_folder_open). */
void bn_sched_skip(bn_sched *s, int item);
int bn_sched_nskipped(const bn_sched *s);
int bn_sched_ndone(const bn_sched *s);        /* finished in this run */
/* The next item to run, waiting while only items that others depend on are running; -1 when none is left,
 * or after a failure or bn_cancel.  Thread-safe, like the two calls below. */
int bn_sched_next(bn_sched *s);
/* The same without waiting: BN_SCHED_WAIT instead of blocking while the items left wait on running ones
 * (for a loop that serves several workers, such as MPI's rank 0, and must not block on one). */
enum { BN_SCHED_WAIT = -2 };
int bn_sched_try_next(bn_sched *s);
void bn_sched_done(bn_sched *s, int item);
/* The item failed: nothing more is handed out; the first message is kept (not after bn_cancel). */
void bn_sched_fail(bn_sched *s, int item, const char *msg);
bool bn_sched_failed(const bn_sched *s);
const char *bn_sched_error(const bn_sched *s);
/* Called after each finished item (done in this run, total items), from the worker that finished it, with
 * the scheduler's lock held: it must be short and must not call bn_sched_* (a Python extension takes the
 * GIL in it, or only records the numbers for its own thread). */
void bn_sched_on_progress(bn_sched *s, void (*fn)(void *ctx, int done, int total), void *ctx);

/* What a worker does with one item: run it, store its result; false with err on failure. */
typedef bool (*bn_item_fn)(void *ctx, int item, char *err, size_t errlen);
/* A set of workers.  run() takes items from s (bn_sched_next) until none is left, calls fn on each and
 * reports bn_sched_done / bn_sched_fail; it returns when every worker has stopped.  Threads of this
 * process are bn_threads(); an MPI implementation hands items to ranks instead. */
struct bn_workers {
    void (*run)(const struct bn_workers *w, bn_sched *s, bn_item_fn fn, void *ctx);
    int n;                       /* workers */
};
/* n threads of this process (a worker stops at its first failed item). */
struct bn_workers bn_threads(int n);
/* Runs the sweep's remaining items on w: w->run(w, s, fn, ctx). */
void bn_sched_run(bn_sched *s, const struct bn_workers *w, bn_item_fn fn, void *ctx);
/* Seconds since bn_sched_run started (monotonic clock); after it returned, the sweep's wall time. */
double bn_sched_elapsed(const bn_sched *s);

#ifdef __cplusplus
}
#endif

#endif
