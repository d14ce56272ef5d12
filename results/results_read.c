/*
 * results_read.c - reading points.csv back (results.h: res_table) and the terminal summary made from it.
 * scaling.c and plot.c read through it; nothing here calls them.
 *
 * Owns: the CSV parser (RFC 4180 quoting, in place) and the summary layout.  Must not: modify points.csv,
 * print anywhere but the FILE it is given, or exit.
 */
#include "runtime/errf.h"
#include "results/results.h"
#include "compiler/support/util.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>


/* Splits the line starting at *p into fields, unquoting in place; returns the field count (up to max) and
 * advances *p past the line break.  Quoted fields may hold commas, quotes ("") and line breaks. */
static int split_line(char **p, char **fields, int max)
{
    char *s = *p;
    int n = 0;
    for (;;) {
        char *start = s, *w = s;
        if (*s == '"') {
            s++;
            for (;;) {
                if (*s == 0)
                    break;
                if (*s == '"') {
                    if (s[1] == '"') {
                        *w++ = '"';
                        s += 2;
                        continue;
                    }
                    s++;
                    break;
                }
                *w++ = *s++;
            }
            while (*s && *s != ',' && *s != '\n')
                s++;
        } else {
            while (*s && *s != ',' && *s != '\n')
                s++;
            w = s;
        }
        char sep = *s;
        *w = 0;
        if (n < max)
            fields[n] = start;
        n++;
        if (sep == ',') {
            s++;
            continue;
        }
        if (sep == '\n')
            s++;
        break;
    }
    /* a trailing \r (file edited on Windows) belongs to no field */
    if (n <= max && n > 0) {
        char *last = fields[n - 1];
        size_t l = strlen(last);
        if (l && last[l - 1] == '\r')
            last[l - 1] = 0;
    }
    *p = s;
    return n;
}

void res_table_free(struct res_table *t)
{
    if (!t)
        return;
    if (t->rows && t->nrows)
        free(t->rows[0].axis);
    free(t->rows);
    free(t->axes);
    free(t->text);
    memset(t, 0, sizeof *t);
}

bool res_same_group(const struct res_trow *a, const struct res_trow *b, int naxes, int skip)
{
    if (strcmp(a->statistic, b->statistic) != 0 || strcmp(a->population, b->population) != 0)
        return false;
    for (int k = 0; k < naxes; k++)
        if (k != skip && strcmp(a->axis[k], b->axis[k]) != 0)
            return false;
    return true;
}

int64_t res_stat_pairs(const struct res_table *t, int64_t *pair)
{
    int64_t npairs = 0;
    for (int64_t i = 0; i < t->nrows; i++) {
        bool seen = false;
        for (int64_t k = 0; k < npairs && !seen; k++)
            seen = strcmp(t->rows[pair[k]].statistic, t->rows[i].statistic) == 0 &&
                   strcmp(t->rows[pair[k]].population, t->rows[i].population) == 0;
        if (!seen)
            pair[npairs++] = i;
    }
    return npairs;
}

int64_t res_group_leaders(const struct res_table *t, const struct res_trow *pr, int a, int64_t *lead)
{
    int64_t nlead = 0;
    for (int64_t i = 0; i < t->nrows; i++) {
        const struct res_trow *r = &t->rows[i];
        if (strcmp(r->statistic, pr->statistic) != 0 || strcmp(r->population, pr->population) != 0)
            continue;
        bool found = false;
        for (int64_t g = 0; g < nlead && !found; g++)
            found = res_same_group(&t->rows[lead[g]], r, t->naxes, a);
        if (!found)
            lead[nlead++] = i;
    }
    return nlead;
}

bool res_table_read(const char *path, struct res_table *t, char *err, size_t errlen)
{
    memset(t, 0, sizeof *t);
    size_t len = 0;
    errno = 0;
    char *text = util_read_file(path, 0, &len);
    if (!text)
        return errno && errno != ENOMEM ? rt_errf(err, errlen, "cannot read %s: %s", path, strerror(errno))
                                        : rt_errf(err, errlen, "out of memory reading %s", path);
    /* a torn last line (a crash mid-append; res_open repairs the file itself) is not data */
    if (len && text[len - 1] != '\n') {
        while (len && text[len - 1] != '\n')
            len--;
        text[len] = 0;
    }
    t->text = text;
    int64_t nlines = 0;
    for (size_t i = 0; i < len; i++)
        nlines += text[i] == '\n';
    char *p = text;
    enum { MAXF = 256 };
    char *fields[MAXF];
    int nf = split_line(&p, fields, MAXF);
    /* point, axes..., trial, population, statistic, value, unit */
    if (nf < 6 || nf > MAXF || strcmp(fields[0], "point") != 0 || strcmp(fields[nf - 5], "trial") != 0 ||
        strcmp(fields[nf - 1], "unit") != 0) {
        res_table_free(t);
        return rt_errf(err, errlen, "%s is not a balnet points.csv (header)", path);
    }
    t->naxes = nf - 6;
    t->axes = malloc(sizeof(char *) * (size_t)(t->naxes + 1));
    t->rows = malloc(sizeof *t->rows * (size_t)(nlines + 1));
    char **axis_store = malloc(sizeof(char *) * (size_t)((nlines + 1) * (t->naxes + 1)));
    if (!t->axes || !t->rows || !axis_store) {
        free(axis_store);
        res_table_free(t);
        return rt_errf(err, errlen, "out of memory reading %s", path);
    }
    for (int a = 0; a < t->naxes; a++)
        t->axes[a] = fields[1 + a];
    while (*p) {
        int n = split_line(&p, fields, MAXF);
        if (n != nf)
            continue;   /* blank or malformed line */
        struct res_trow *r = &t->rows[t->nrows];
        char *end;
        r->point = (int)strtol(fields[0], &end, 10);
        if (*end)
            continue;
        r->trial = (int)strtol(fields[nf - 5], &end, 10);
        if (*end)
            continue;
        r->axis = axis_store + t->nrows * (t->naxes + 1);
        for (int a = 0; a < t->naxes; a++)
            r->axis[a] = fields[1 + a];
        r->population = fields[nf - 4];
        r->statistic = fields[nf - 3];
        r->value = strtod(fields[nf - 2], &end);
        if (*end)
            r->value = NAN;
        r->unit = fields[nf - 1];
        t->nrows++;
    }
    if (t->nrows == 0)
        free(axis_store);   /* otherwise rows[0].axis is the block's base, freed by res_table_free */
    return true;
}

bool res_axis_numeric(const struct res_table *t, int a)
{
    if (t->nrows == 0)
        return false;
    for (int64_t i = 0; i < t->nrows; i++) {
        char *end;
        const char *s = t->rows[i].axis[a];
        double v = strtod(s, &end);
        if (end == s || *end || !isfinite(v))
            return false;
    }
    return true;
}

/* ---- terminal summary ------------------------------------------------------------------------------- */

static int find_str(char **list, int n, const char *s)
{
    for (int i = 0; i < n; i++)
        if (strcmp(list[i], s) == 0)
            return i;
    return -1;
}

/* The summary's layout: columns are statistics in order of first appearance, lines (point, population). */
struct summary {
    const struct res_table *t;
    char **stats, **units;
    int nstats;
    struct key {
        int point;
        const char *pop;
        int64_t first;
    } *keys;
    int nkeys;
    double *sum;               /* [key * nstats + stat]: finite values and their count */
    int *cnt;
};

static bool same_key(const struct key *k, const struct res_trow *r)
{
    return k->point == r->point && strcmp(k->pop, r->population) == 0;
}

static void summary_layout(struct summary *S)
{
    const struct res_table *t = S->t;
    for (int64_t i = 0; i < t->nrows; i++) {
        const struct res_trow *r = &t->rows[i];
        if (find_str(S->stats, S->nstats, r->statistic) < 0) {
            S->units[S->nstats] = r->unit;
            S->stats[S->nstats++] = r->statistic;
        }
        bool seen = false;
        for (int k = S->nkeys - 1; k >= 0 && !seen; k--)
            seen = same_key(&S->keys[k], r);
        if (!seen)
            S->keys[S->nkeys++] = (struct key){r->point, r->population, i};
    }
}

static void summary_sums(struct summary *S)
{
    const struct res_table *t = S->t;
    int k = 0;
    for (int64_t i = 0; i < t->nrows; i++) {
        const struct res_trow *r = &t->rows[i];
        /* rows of one key are mostly consecutive: try the last key first */
        if (!same_key(&S->keys[k], r))
            for (k = 0; k < S->nkeys; k++)
                if (same_key(&S->keys[k], r))
                    break;
        int s = find_str(S->stats, S->nstats, r->statistic);
        if (isfinite(r->value)) {
            S->sum[k * S->nstats + s] += r->value;
            S->cnt[k * S->nstats + s]++;
        }
    }
}

static void summary_print(FILE *out, const struct summary *S, const char *dir)
{
    const struct res_table *t = S->t;
    int w = 11;
    fprintf(out, "%5s", "point");
    for (int a = 0; a < t->naxes; a++)
        fprintf(out, " %10.10s", t->axes[a]);
    fprintf(out, " %-6.6s", "pop");
    for (int s = 0; s < S->nstats; s++)
        fprintf(out, " %*.*s", w, w, S->stats[s]);
    fputc('\n', out);
    fprintf(out, "%5s", "");
    for (int a = 0; a < t->naxes; a++)
        fprintf(out, " %10s", "");
    fprintf(out, " %-6s", "");
    for (int s = 0; s < S->nstats; s++) {
        char u[32];
        snprintf(u, sizeof u, "[%s]", S->units[s]);
        fprintf(out, " %*.*s", w, w, u);
    }
    fputc('\n', out);
    for (int k = 0; k < S->nkeys; k++) {
        const struct res_trow *r = &t->rows[S->keys[k].first];
        fprintf(out, "%5d", r->point);
        for (int a = 0; a < t->naxes; a++)
            fprintf(out, " %10.10s", r->axis[a]);
        fprintf(out, " %-6.6s", r->population);
        for (int s = 0; s < S->nstats; s++) {
            int c = S->cnt[k * S->nstats + s];
            if (c)
                fprintf(out, " %*.4g", w, S->sum[k * S->nstats + s] / c);
            else
                fprintf(out, " %*s", w, "-");
        }
        fputc('\n', out);
    }
    fprintf(out, "(values: mean over trials; full data in %s/points.csv, exponents in %s/scaling.csv)\n", dir, dir);
}

bool res_summary(FILE *out, const char *dir)
{
    char *in = util_path_join(dir, "points.csv");
    if (!in)
        return false;
    struct res_table t;
    char err[256];
    bool ok = res_table_read(in, &t, err, sizeof err);
    free(in);
    if (!ok)
        return false;
    size_t n = (size_t)t.nrows + 1;
    struct summary S = {.t = &t, .stats = malloc(sizeof(char *) * n), .units = malloc(sizeof(char *) * n),
                        .keys = malloc(sizeof *S.keys * n)};
    if (S.stats && S.units && S.keys) {
        summary_layout(&S);
        size_t cells = (size_t)S.nkeys * (size_t)(S.nstats ? S.nstats : 1);
        S.sum = calloc(cells, sizeof *S.sum);
        S.cnt = calloc(cells, sizeof *S.cnt);
        if (S.sum && S.cnt) {
            summary_sums(&S);
            summary_print(out, &S, dir);
        }
    }
    ok = S.stats && S.units && S.keys;
    free(S.sum);
    free(S.cnt);
    free(S.stats);
    free(S.units);
    free(S.keys);
    res_table_free(&t);
    return ok;
}
