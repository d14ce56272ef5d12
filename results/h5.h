/*
 * h5.h - spikes (and, with their units, recordings) of a sweep's items as one HDF5 file (libhdf5 from
 * Debian): the binary, uncapped form of `balnet run --spikes FILE.csv` and of the CSV files of traces/.  Prefix `h5_`.  Built only when
 * CMake finds libhdf5 (BN_HAVE_HDF5); api/hdf5.c reports its absence otherwise.
 *
 * Layout (docs/hdf5.md, format "balnet-spikes" version 2):
 *   /                                         attrs: format, version, complete (0 while written, 1 once
 *                                                    closed after a complete sweep), model, identity, axes
 *   /p<point>/t<trial>                        group; attrs: point, trial, dt_ms, axis_<name> (text)
 *   /p<point>/t<trial>/spikes/<population>    group; attrs: n; datasets step (int64), neuron (uint32)
 *   /p<point>/t<trial>/traces/<who>/<name>    group per recording (runtime/table.h); attrs: kind, columns
 *                                             (the dataset names in order, comma-separated), n (rows),
 *                                             note (when truncated); one float64 dataset per column, with
 *                                             its display unit as the attribute `unit`
 * Datasets are chunked (64 Ki elements: 512 KB of steps, about where deflate's ratio levels off),
 * byte-shuffled and deflated at level 4 (shuffle groups the slowly changing high bytes of steps and indices,
 * which is what makes them compress; level 4 is within a few % of level 9's size at a fraction of its time).
 *
 * Completeness: `complete` is written 0 when the file is created (and flushed at once, so the empty file is
 * already a valid one) and set to 1 only by h5_close(complete = true), after a flush.  Each item is flushed
 * when written, so a killed run leaves a file with complete = 0 whose finished items are readable, or, killed
 * inside a write, a file HDF5 cannot open; h5_complete is false for both.
 *
 * Threads: Debian's libhdf5 is the serial build, which is not thread-safe, so every call below takes one
 * process-wide lock (the library's only global state, forced by libhdf5's own).  Must not: print (HDF5's
 * error stack printing is turned off; failures come back in err) or exit.
 */
#ifndef BN_RESULTS_H5_H
#define BN_RESULTS_H5_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct h5_file;
struct rt_table;

/* What the root carries besides format, version and complete. */
struct h5_head {
    const char *model, *identity;
    int naxes;
    const char *const *axes;     /* the sweep axes (points.csv's columns), joined "N,c,syn" in `axes` */
};

/* One item: where it goes, and its spikes as parallel arrays (population index, step, neuron) in step
 * order, then population, then neuron (balnet.h's bn_spikes). */
struct h5_item {
    int point, trial;
    double dt_ms;
    const char *const *values;   /* the point's axis values as points.csv writes them (h5_head.naxes) */
    int npops;
    const char *const *pops;     /* population (and input) names, by index */
    int64_t nspikes;
    const int32_t *pop;
    const int64_t *step;
    const uint32_t *neuron;
    int ntables;                 /* recordings */
    const struct rt_table *tables;
};

/* Creates (truncates) path with complete = 0.  NULL with err. */
struct h5_file *h5_create(const char *path, const struct h5_head *head, char *err, size_t errlen);
/* Writes the item's group (replacing one written before) and flushes the file.  Thread-safe. */
bool h5_write_item(struct h5_file *f, const struct h5_item *it, char *err, size_t errlen);
/* Sets complete = 1 when `complete` (flushing before and after), closes and frees f either way. */
bool h5_close(struct h5_file *f, bool complete, char *err, size_t errlen);
/* 1: a balnet HDF5 file marked complete; 0: anything else (complete = 0, unreadable, truncated, foreign). */
int h5_complete(const char *path);

#endif
