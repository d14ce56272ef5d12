/*
 * verdict.c - the plain-language conclusion printed after the paper's experiment (`balnet run` without a
 * model): for each arm (synapse model x input correlation) the pooled var(V) at the largest N, its log-log
 * slope in N, and how it ranks among the arms.
 *
 * "Largest" and "smallest" are relative to the other arms (var(V) at the largest N), and each value is
 * also placed against the in-vivo range of about 4-9 mV^2 (awake macaque V1:
 * Becker et al., Phys. Rev. X 14:011021, 2024; Tan et al., Nature 509:226, 2014).  A slope whose 95 % CI
 * excludes 0 and is at least 0.1 in size is called growing or shrinking, otherwise (nearly) flat.
 */
#include "results/verdict.h"
#include "results/results.h"
#include "results/scaling.h"
#include "compiler/support/util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_ARMS = 16, MAX_PTS = 256 };

struct arm {
    char key[128];         /* "syn=current c=0.2" */
    double x[MAX_PTS], y[MAX_PTS];
    int n;
    double nmax, ymax_mean;
    int nmax_count;
};

static int axis_index(const struct res_table *t, const char *name)
{
    for (int a = 0; a < t->naxes; a++)
        if (strcmp(t->axes[a], name) == 0)
            return a;
    return -1;
}

bool res_verdict(FILE *out, const char *dir, const char *size_axis, const char *stat)
{
    struct res_table t;
    char err[256], *path = util_path_join(dir, "points.csv");
    bool ok = path && res_table_read(path, &t, err, sizeof err);
    free(path);
    if (!ok)
        return false;
    int ax_n = axis_index(&t, size_axis);
    if (ax_n < 0) {
        res_table_free(&t);
        return false;
    }
    struct arm *arms = calloc(MAX_ARMS, sizeof *arms);
    int narms = 0;
    for (int64_t r = 0; r < t.nrows; r++) {
        const struct res_trow *row = &t.rows[r];
        if (strcmp(row->population, "all") || strcmp(row->statistic, stat) || !isfinite(row->value))
            continue;
        char key[128] = "";
        for (int a = 0; a < t.naxes; a++) {
            if (a == ax_n)
                continue;
            size_t len = strlen(key);
            snprintf(key + len, sizeof key - len, "%s%s = %s", len ? ", " : "", t.axes[a], row->axis[a]);
        }
        int k = 0;
        while (k < narms && strcmp(arms[k].key, key))
            k++;
        if (k == narms) {
            if (narms == MAX_ARMS)
                continue;
            snprintf(arms[narms++].key, sizeof arms->key, "%s", key);
        }
        struct arm *arm = &arms[k];
        if (arm->n == MAX_PTS)
            continue;
        double x = strtod(row->axis[ax_n], NULL);
        arm->x[arm->n] = x;
        arm->y[arm->n++] = row->value;
    }
    if (narms == 0) {
        free(arms);
        res_table_free(&t);
        return false;
    }
    int hi = 0, lo = 0;
    for (int k = 0; k < narms; k++) {
        struct arm *a = &arms[k];
        a->nmax = 0;
        for (int i = 0; i < a->n; i++)
            if (a->x[i] > a->nmax)
                a->nmax = a->x[i];
        double s = 0;
        for (int i = 0; i < a->n; i++)
            if (a->x[i] == a->nmax) {
                s += a->y[i];
                a->nmax_count++;
            }
        a->ymax_mean = s / a->nmax_count;
        if (a->ymax_mean > arms[hi].ymax_mean)
            hi = k;
        if (a->ymax_mean < arms[lo].ymax_mean)
            lo = k;
    }
    fprintf(out, "\nverdict: var(V) of all neurons (V clipped at threshold, 1 ms bins) at the largest %s;\n"
                 "in vivo it is about 4-9 mV^2 (Becker et al. 2024; Tan et al. 2014)\n", size_axis);
    for (int k = 0; k < narms; k++) {
        struct arm *a = &arms[k];
        struct fit_line f;
        char trend[160] = "too few sizes for a trend";
        if (fit_loglog(a->x, a->y, a->n, &f)) {
            /* A trend needs a CI that excludes 0 and a slope of at least 0.1 (var(V) changing by 7 % or
             * more per doubling of N); smaller but resolved slopes are called nearly flat. */
            bool resolved = f.ci_low > 0 || f.ci_high < 0;
            const char *word = !resolved ? "is flat in"
                               : fabs(f.slope) < 0.1 ? "is nearly flat in"
                               : f.slope > 0 ? "grows with" : "shrinks with";
            snprintf(trend, sizeof trend, "%s %s (slope %+.2f, 95%% CI [%+.2f, %+.2f])", word, size_axis,
                     f.slope, f.ci_low, f.ci_high);
        }
        char rank[48] = "";
        if (narms >= 2)
            snprintf(rank, sizeof rank, "%s, ", k == hi ? "the largest of the arms" : k == lo ? "the smallest of the arms"
                                                                                        : "between the others");
        const char *vivo = a->ymax_mean > 9 ? "above" : a->ymax_mean < 4 ? "below" : "within";
        fprintf(out, "  %-28s %8.3g mV^2 at %s = %g: %s; %s%s the in-vivo range\n", a->key, a->ymax_mean,
                size_axis, a->nmax, trend, rank, vivo);
    }
    free(arms);
    res_table_free(&t);
    return true;
}
