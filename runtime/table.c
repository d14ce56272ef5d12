/*
 * table.c - recordings as tables in memory (table.h).
 */
#include "runtime/table.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static void table_clear(struct rt_table *t)
{
    free(t->who);
    free(t->name);
    free(t->note);
    for (int c = 0; c < t->ncols; c++) {
        free(t->col[c]);
        free(t->unit[c]);
        free(t->v[c]);
    }
    memset(t, 0, sizeof *t);
}

struct rt_table *table_add(struct rt_tables *ts, const char *who, const char *name, const char *kind,
                           int64_t nrows, int ncols, const char *const *cols, const char *const *units,
                           const char *const *fmts)
{
    if (ncols > TABLE_MAX_COLS)
        return NULL;
    if (ts->n == ts->cap) {
        int cap = ts->cap ? 2 * ts->cap : 8;
        struct rt_table *t = realloc(ts->t, sizeof *t * (size_t)cap);
        if (!t)
            return NULL;
        ts->t = t;
        ts->cap = cap;
    }
    struct rt_table *t = &ts->t[ts->n];
    memset(t, 0, sizeof *t);
    t->who = strdup(who);
    t->name = strdup(name);
    t->kind = kind;
    t->nrows = nrows;
    t->ncols = ncols;   /* every column pointer is NULL until allocated: table_clear frees what there is */
    bool ok = t->who && t->name;
    for (int c = 0; ok && c < ncols; c++) {
        t->col[c] = strdup(cols[c]);
        t->unit[c] = strdup(units[c] ? units[c] : "1");
        t->fmt[c] = fmts[c];
        t->v[c] = calloc((size_t)(nrows ? nrows : 1), sizeof *t->v[c]);
        ok = t->col[c] && t->unit[c] && t->v[c];
    }
    if (!ok) {
        table_clear(t);
        return NULL;
    }
    ts->n++;
    return t;
}

bool table_note(struct rt_table *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char buf[512];
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    free(t->note);
    t->note = strdup(buf);
    return t->note != NULL;
}

void table_write_csv(FILE *f, const struct rt_table *t)
{
    for (int c = 0; c < t->ncols; c++)
        fprintf(f, "%s%s", c ? "," : "", t->col[c]);
    fputc('\n', f);
    for (int64_t r = 0; r < t->nrows; r++)
        for (int c = 0; c < t->ncols; c++) {
            fprintf(f, t->fmt[c], t->v[c][r]);
            fputc(c + 1 < t->ncols ? ',' : '\n', f);
        }
    if (t->note)
        fprintf(f, "# %s\n", t->note);
}

void table_free_all(struct rt_tables *ts)
{
    for (int i = 0; i < ts->n; i++)
        table_clear(&ts->t[i]);
    free(ts->t);
    memset(ts, 0, sizeof *ts);
}
