/*
 * table.h - a recording as a table in memory: named columns of doubles with their display units, what
 * runtime/trace.c and runtime/wrecord.c produce at the end of a run.  The same table is written as the CSV
 * file of traces/ (table_write_csv, each column with its own printf format, so the files are those the
 * recordings always wrote), handed to a library client (balnet.h's bn_trace) and written to HDF5
 * (results/h5.c).  Prefix `table_`.
 * Owns: the tables' memory.  Must not: print or exit.
 */
#ifndef BN_RT_TABLE_H
#define BN_RT_TABLE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

enum { TABLE_MAX_COLS = 4 };

struct rt_table {
    char *who;             /* population, "all", or "PRE-POST" for a plastic projection */
    char *name;            /* the recording's name: "rate_trace", "trace_V", "weights", ... */
    const char *kind;      /* what it is: rate_trace, trace, raster, weights, weight_stats, ... (static) */
    int ncols;
    char *col[TABLE_MAX_COLS];    /* column names: the CSV file's header */
    char *unit[TABLE_MAX_COLS];   /* display unit of each column ("1": a count or index) */
    const char *fmt[TABLE_MAX_COLS];   /* printf format of the CSV (static) */
    double *v[TABLE_MAX_COLS];    /* nrows values each */
    int64_t nrows;
    char *note;            /* NULL, or why the recording stops early ("truncated: ...") */
};

/* A growing list of tables. */
struct rt_tables {
    struct rt_table *t;
    int n, cap;
};

/* Appends a table of nrows rows and the given columns (name, unit, format; ncols <= TABLE_MAX_COLS),
 * values zeroed.  NULL when out of memory (nothing appended). */
struct rt_table *table_add(struct rt_tables *ts, const char *who, const char *name, const char *kind,
                           int64_t nrows, int ncols, const char *const *cols, const char *const *units,
                           const char *const *fmts);
/* Sets the table's note (printf-style); false when out of memory. */
bool table_note(struct rt_table *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The CSV: header, one line per row, "# note" last. */
void table_write_csv(FILE *f, const struct rt_table *t);
void table_free_all(struct rt_tables *ts);

#endif
