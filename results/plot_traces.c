/*
 * plot_traces.c - plots of the recordings of a results folder (plot.h): for every DIR/traces/NAME.csv
 * written by runtime/trace.c, a gnuplot script NAME.gp beside it that draws NAME.png and NAME.svg, an
 * all.gp that loads them, and one gnuplot run.
 *
 * Owns: the .gp, .png and .svg files and all.gp, gnuplot.log in DIR/traces/.  Must not: print, exit, or
 * change a CSV file.
 *
 * The kind of a recording is read from its header (runtime/trace.h): "time_ms,rate_hz" a rate trace (a
 * line), "time_ms,neuron" a raster (a dot per spike), "time_ms,neuron,X_UNIT" a trace of X in UNIT (a line per
 * neuron; runtime/trace.c appends the unit, which has no '_', so the last '_' splits the two).
 * A trace's rows are time-major with the k recorded neurons in order at every sample, so gnuplot's
 * `every k::j` picks neuron j's rows without a copy of the data.
 */
#include "results/plot.h"
#include "runtime/errf.h"
#include "compiler/support/util.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum rec_kind { REC_RATE, REC_RASTER, REC_TRACE };

/* The kind of the recording in `path` from its header, and for a trace the number of neurons per sample
 * (the rows before the time changes).  False when the file is not a recording this knows. */
static bool rec_kind_of(const char *path, enum rec_kind *kind, int *k, char *column, size_t cap)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return false;
    char line[256];
    bool ok = fgets(line, sizeof line, f) != NULL;
    line[strcspn(line, "\r\n")] = 0;
    *k = 0;
    if (ok && strcmp(line, "time_ms,rate_hz") == 0) {
        *kind = REC_RATE;
    } else if (ok && strcmp(line, "time_ms,neuron") == 0) {
        *kind = REC_RASTER;
    } else if (ok && strncmp(line, "time_ms,neuron,", 15) == 0) {
        *kind = REC_TRACE;
        snprintf(column, cap, "%s", line + 15);
        char first[64] = "";
        while (fgets(line, sizeof line, f) && line[0] != '#') {
            char *comma = strchr(line, ',');
            size_t n = comma ? (size_t)(comma - line) : 0;
            if (*k == 0)
                snprintf(first, sizeof first, "%.*s", (int)n, line);
            else if (strlen(first) != n || strncmp(first, line, n) != 0)
                break;
            (*k)++;
        }
        ok = *k > 0;
    } else {
        ok = false;
    }
    fclose(f);
    return ok;
}

/* "raster of E, point 0, trial 1" from "p0-t1-E-raster" (runtime/trace.h names the files). */
static void rec_title(char *out, size_t cap, const char *base)
{
    int point, trial, used = 0;
    const char *dash = strrchr(base, '-');
    if (sscanf(base, "p%d-t%d-%n", &point, &trial, &used) == 2 && used > 0 && dash && base + used < dash)
        snprintf(out, cap, "%s of %.*s, point %d, trial %d", dash + 1, (int)(dash - base - used), base + used,
                 point, trial);
    else
        snprintf(out, cap, "%s", base);
}

/* NAME.gp for the recording NAME.csv: PNG, then the same plot as SVG. */
static bool write_script(const char *tdir, const char *base, enum rec_kind kind, int k, const char *column,
                         char *err, size_t errlen)
{
    char path[4200], title[300];
    snprintf(path, sizeof path, "%s/%s.gp", tdir, base);
    FILE *gp = fopen(path, "w");
    if (!gp)
        return rt_errf(err, errlen, "cannot write %s: %s", path, strerror(errno));
    rec_title(title, sizeof title, base);
    fprintf(gp, "# balnet: %s (from %s.csv)\n", title, base);
    fprintf(gp, "reset\nset encoding utf8\nset datafile separator \",\"\nset grid\nset key outside right top\n"
                "set title \"%s\" noenhanced\nset xlabel \"time [ms]\"\n",
            title);
    fprintf(gp, "if (strstrt(GPVAL_TERMINALS, \"pngcairo\") > 0) {\n"
                "    set terminal pngcairo size 900,500\n} else {\n    set terminal png size 900,500\n}\n"
                "set output \"%s.png\"\n",
            base);
    /* every ::1 skips the header line */
    switch (kind) {
    case REC_RATE:
        fprintf(gp, "set ylabel \"rate [Hz]\"\nset yrange [0:*]\n"
                    "plot \"%s.csv\" every ::1 using 1:2 with steps lw 1.5 notitle\n", base);
        break;
    case REC_RASTER:
        fprintf(gp, "set ylabel \"neuron\"\nset yrange [-0.5:*]\n"
                    "plot \"%s.csv\" every ::1 using 1:2 with points pt 7 ps 0.4 notitle\n", base);
        break;
    case REC_TRACE: {
        /* "V_mV" -> "V [mV]", like "rate [Hz]"; a dimensionless "x_1" -> "x" */
        const char *us = strrchr(column, '_');
        int namelen = us ? (int)(us - column) : (int)strlen(column);
        const char *unit = us && strcmp(us + 1, "1") != 0 ? us + 1 : NULL;
        fprintf(gp, "set ylabel \"%.*s%s%s%s\" noenhanced\n"
                    "plot for [j=0:%d] \"%s.csv\" every %d::(1+j) using 1:3 with lines lw 1.5 "
                    "title sprintf(\"neuron %%d\", j)\n",
                namelen, column, unit ? " [" : "", unit ? unit : "", unit ? "]" : "", k - 1, base, k);
        break;
    }
    }
    fprintf(gp, "set terminal svg size 900,500 dynamic\nset output \"%s.svg\"\nreplot\nunset output\n", base);
    if (fclose(gp) != 0)
        return rt_errf(err, errlen, "cannot write %s", path);
    return true;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

int plot_traces(const char *dir, char *note, size_t notelen, char *err, size_t errlen)
{
    if (note && notelen)
        note[0] = 0;
    char tdir[4096];
    if ((size_t)snprintf(tdir, sizeof tdir, "%s/traces", dir) >= sizeof tdir)
        return (rt_errf(err, errlen, "results folder path too long: %s", dir), -1);
    DIR *d = opendir(tdir);
    if (!d)
        return 0;   /* no recordings */
    char **names = NULL;
    int n = 0, cap = 0;
    bool ok = true;
    for (struct dirent *e; ok && (e = readdir(d));) {
        size_t len = strlen(e->d_name);
        if (len < 5 || strcmp(e->d_name + len - 4, ".csv") != 0)
            continue;
        if (n == cap) {
            char **v = realloc(names, sizeof *names * (size_t)(cap = cap ? 2 * cap : 16));
            ok = v != NULL;
            names = v ? v : names;
        }
        if (ok)
            ok = (names[n] = strndup(e->d_name, len - 4)) != NULL;
        n += ok;
    }
    closedir(d);
    if (!ok)
        rt_errf(err, errlen, "out of memory");
    qsort(names, (size_t)n, sizeof *names, cmp_str);   /* all.gp in a stable order */
    char allpath[4200];
    snprintf(allpath, sizeof allpath, "%s/all.gp", tdir);
    FILE *all = ok && n ? fopen(allpath, "w") : NULL;
    if (ok && n && !all)
        ok = rt_errf(err, errlen, "cannot write %s: %s", allpath, strerror(errno));
    if (all)
        fprintf(all, "# balnet: draws every recording of this folder (gnuplot all.gp, from this directory)\n");
    int nplots = 0;
    for (int i = 0; ok && i < n; i++) {
        char path[4200], column[256] = "";
        enum rec_kind kind;
        int k;
        snprintf(path, sizeof path, "%s/%s.csv", tdir, names[i]);
        if (!rec_kind_of(path, &kind, &k, column, sizeof column))
            continue;
        ok = write_script(tdir, names[i], kind, k, column, err, errlen);
        if (ok)
            fprintf(all, "load \"%s.gp\"\n", names[i]);
        nplots += ok;
    }
    for (int i = 0; i < n; i++)
        free(names[i]);
    free(names);
    if (all && fclose(all) != 0 && ok)
        ok = rt_errf(err, errlen, "cannot write %s", allpath);
    if (!ok)
        return -1;
    if (nplots > 0)
        plot_gnuplot(tdir, note, notelen);
    return nplots;
}
