/*
 * plot.c - gnuplot data files and scripts for a results folder, and one gnuplot run to draw them
 * (plot.h).
 *
 * Owns: DIR/plots/.  Must not: print, exit, or depend on gnuplot being installed (no gnuplot: scripts
 * only, a note says so).
 *
 * Each point of a curve is the mean over trials with its standard error sd / sqrt(n) (sample sd, divisor
 * n - 1; 0 for a single trial).  Non-finite values (a NaN cv_isi of a silent population) are left out.
 * The PNG terminal is chosen inside the script (pngcairo when this gnuplot has it, else the libgd png
 * terminal), so a script written here also runs with another gnuplot build.
 */
#include "results/plot.h"
#include "runtime/errf.h"
#include "compiler/support/util.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

bool plot_have_gnuplot(void)
{
    const char *path = getenv("PATH");
    if (!path)
        return false;
    char buf[4096];
    for (const char *p = path; *p;) {
        size_t n = strcspn(p, ":");
        snprintf(buf, sizeof buf, "%.*s/gnuplot", (int)(n ? n : 1), n ? p : ".");
        if (access(buf, X_OK) == 0)
            return true;
        p += n;
        if (*p == ':')
            p++;
    }
    return false;
}

/* A gnuplot double-quoted string body: backslash and quote escaped. */
static void gp_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            fputc('\\', f);
        if (*s != '\n')
            fputc(*s, f);
    }
    fputc('"', f);
}

struct plot_ctx {
    const struct res_table *t;
    const char *pdir;
    FILE *all;
    int64_t *lead, *idx;
    double *xs;
    double ylo, yhi;   /* of the means and error bars of the plot being written, for log_tics */
};

/* True when axis a takes two or more values (an axis fixed by --set, or a lone trial, is a single point:
 * nothing to plot against it, and gnuplot would take most of a short run's time drawing it). */
static bool axis_varies(const struct res_table *t, int a)
{
    for (int64_t i = 1; i < t->nrows; i++)
        if (strcmp(t->rows[i].axis[a], t->rows[0].axis[a]) != 0)
            return true;
    return false;
}

/* One curve's points: the finite rows of lead row L's group (every axis but a equal), their x values in
 * c->xs and indices in c->idx; the distinct x, increasing, are left in c->xs[0 .. return value). */
static int curve_xs(struct plot_ctx *c, int64_t lead, int a, int *m_out)
{
    const struct res_table *t = c->t;
    const struct res_trow *L = &t->rows[lead];
    int m = 0;
    for (int64_t i = lead; i < t->nrows; i++)
        if (res_same_group(L, &t->rows[i], t->naxes, a) && isfinite(t->rows[i].value)) {
            c->idx[m] = i;
            c->xs[m++] = strtod(t->rows[i].axis[a], NULL);
        }
    qsort(c->xs, (size_t)m, sizeof *c->xs, util_cmp_double);
    int nx = 0;
    for (int k = 0; k < m; k++)
        if (nx == 0 || c->xs[k] != c->xs[nx - 1])
            c->xs[nx++] = c->xs[k];
    *m_out = m;
    return nx;
}

/* One line of the data file per distinct x: x, the mean over trials, its standard error, the trials.
 * Clears *logscale when an x or a mean is not positive. */
static void curve_points(struct plot_ctx *c, FILE *dat, int a, int m, int nx, bool *logscale)
{
    const struct res_table *t = c->t;
    for (int k = 0; k < nx; k++) {
        double sum = 0, ss = 0;
        int cnt = 0;
        for (int j = 0; j < m; j++)
            if (strtod(t->rows[c->idx[j]].axis[a], NULL) == c->xs[k]) {
                sum += t->rows[c->idx[j]].value;
                cnt++;
            }
        double mean = sum / cnt;
        for (int j = 0; j < m; j++)
            if (strtod(t->rows[c->idx[j]].axis[a], NULL) == c->xs[k]) {
                double d = t->rows[c->idx[j]].value - mean;
                ss += d * d;
            }
        double se = cnt > 1 ? sqrt(ss / (cnt - 1)) / sqrt((double)cnt) : 0;
        if (!(c->xs[k] > 0 && mean > 0))
            *logscale = false;
        c->ylo = fmin(c->ylo, mean - se > 0 ? mean - se : mean);
        c->yhi = fmax(c->yhi, mean + se);
        fprintf(dat, "%.17g %.17g %.17g %d\n", c->xs[k], mean, se, cnt);
    }
}

/* BASE.dat: one gnuplot data block per curve (combination of the other axes).  Returns the number of
 * curves, or -1 on I/O errors. */
static int write_dat(struct plot_ctx *c, const struct res_trow *pr, int a, int64_t nlead, const char *path,
                     bool *logscale, char *err, size_t errlen)
{
    const struct res_table *t = c->t;
    FILE *dat = fopen(path, "w");
    if (!dat)
        return (rt_errf(err, errlen, "cannot write %s: %s", path, strerror(errno)), -1);
    int ncurves = 0;
    c->ylo = INFINITY;
    c->yhi = -INFINITY;
    fprintf(dat, "# %s of %s vs %s: x mean stderr trials; one block per combination of the other axes\n",
            pr->statistic, pr->population, t->axes[a]);
    for (int64_t g = 0; g < nlead; g++) {
        int m, nx = curve_xs(c, c->lead[g], a, &m);
        if (nx == 0)
            continue;
        fprintf(dat, "%s# curve %d:", ncurves ? "\n\n" : "", ncurves);
        for (int k = 0; k < t->naxes; k++)
            if (k != a)
                fprintf(dat, " %s=%s", t->axes[k], t->rows[c->lead[g]].axis[k]);
        fputc('\n', dat);
        curve_points(c, dat, a, m, nx, logscale);
        ncurves++;
    }
    if (fclose(dat) != 0)
        return (rt_errf(err, errlen, "cannot write %s", path), -1);
    return ncurves;
}

/* The distinct numeric values of axis a in increasing order, into out (t->nrows of room); their number. */
static int axis_values(const struct res_table *t, int a, double *out)
{
    int n = 0;
    for (int64_t i = 0; i < t->nrows; i++)
        out[n++] = strtod(t->rows[i].axis[a], NULL);
    qsort(out, (size_t)n, sizeof *out, util_cmp_double);
    int k = 0;
    for (int i = 0; i < n; i++)
        if (k == 0 || out[i] != out[k - 1])
            out[k++] = out[i];
    return k;
}

/* Tick labels for a log axis holding fewer than three powers of ten, where gnuplot labels only the powers
 * of ten (g in {4, 5, 6} got no label, N from 1000 to 15000 one or two).  The ticks: the given values (the
 * sweep's own, when 2 to 12 of them); else, over half a decade or more, m * 10^e within [lo, hi] for
 * m = 1..9 (1, 2, 5 when that gives more than 10) when that gives 4 or more, which spread evenly on a log
 * axis; else round values 1, 2 or 5 * 10^e apart (on a short log axis nearly even too).  The range is
 * then the data's (yfix/xfix), not widened to whole decades. */
static void log_tics(FILE *gp, char axis, double lo, double hi, const double *vals, int nvals)
{
    if (!(lo > 0 && hi >= lo) || floor(log10(hi)) - ceil(log10(lo)) + 1 >= 3)
        return;
    double tic[16];
    int n = 0;
    bool given = vals && nvals >= 2 && nvals <= 12;
    for (; given && n < nvals; n++)
        tic[n] = vals[n];
    static const int m9[] = {1, 2, 3, 4, 5, 6, 7, 8, 9}, m3[] = {1, 2, 5};
    for (int pass = 0; !given && hi >= 3 * lo && pass < 2 && (n < 4 || n > 10); pass++) {
        const int *ms = pass ? m3 : m9;
        int nm = pass ? 3 : 9;
        n = 0;
        for (double e = pow(10, floor(log10(lo))); e <= hi; e *= 10)
            for (int k = 0; k < nm; k++)
                if (ms[k] * e >= lo * (1 - 1e-9) && ms[k] * e <= hi * (1 + 1e-9) && n < 16)
                    tic[n++] = ms[k] * e;
    }
    if (!given && n < 4) {   /* e.g. 4.1 .. 4.6: a linear 1-2-5 step near a fifth of the range */
        double raw = (hi - lo) / 5, p10 = pow(10, floor(log10(raw > 0 ? raw : hi)));
        double r = raw / p10, step = p10 * (r < 1.5 ? 1 : r < 3.5 ? 2 : r < 7.5 ? 5 : 10);
        n = 0;
        for (double v = ceil(lo / step) * step; v <= hi * (1 + 1e-12) && n < 16; v += step)
            tic[n++] = v;
    }
    if (n < 1)
        return;
    fprintf(gp, "set %ctics (", axis);
    for (int k = 0; k < n; k++)
        fprintf(gp, "%s%.6g", k ? ", " : "", tic[k]);
    fprintf(gp, ")\nset autoscale %cfix\n", axis);
    if (axis == 'y')   /* x has its margins already (write_gp) */
        fprintf(gp, "set offsets graph 0.05, graph 0.05, graph 0.05, graph 0.05\n");
}

/* BASE.gp: labels, the PNG terminal, one `plot` clause per curve of BASE.dat, then the SVG. */
static bool write_gp(struct plot_ctx *c, const struct res_trow *pr, int a, int64_t nlead, int ncurves,
                     const char *base, const char *path, bool logscale, char *err, size_t errlen)
{
    const struct res_table *t = c->t;
    FILE *gp = fopen(path, "w");
    if (!gp)
        return rt_errf(err, errlen, "cannot write %s: %s", path, strerror(errno));
    fprintf(gp, "# balnet: %s of population %s against %s (mean over trials +- standard error)\n",
            pr->statistic, pr->population, t->axes[a]);
    fprintf(gp, "reset\nset encoding utf8\nset grid\nset key outside right top\nset xlabel ");
    gp_str(gp, t->axes[a]);
    fprintf(gp, "\nset ylabel ");
    char ylabel[256];
    snprintf(ylabel, sizeof ylabel, "%s [%s]", pr->statistic, pr->unit);
    gp_str(gp, ylabel);
    fprintf(gp, "\nset title ");
    char title[256];
    snprintf(title, sizeof title, "%s, %s", pr->statistic, pr->population);
    gp_str(gp, title);
    fprintf(gp, " noenhanced\nset xlabel noenhanced\nset ylabel noenhanced\nset autoscale xfix\nset offsets graph 0.05, graph 0.05, 0, 0\n");
    /* a terminal before the first plot (gnuplot without a display has none), then the SVG by replot */
    fprintf(gp, "if (strstrt(GPVAL_TERMINALS, \"pngcairo\") > 0) {\n"
                "    set terminal pngcairo size 900,600\n} else {\n    set terminal png size 900,600\n}\n"
                "set output \"%s.png\"\n",
            base);
    if (logscale) {
        fprintf(gp, "set logscale xy\n");
        int nx = axis_values(t, a, c->xs);
        log_tics(gp, 'x', c->xs[0], c->xs[nx - 1], c->xs, nx);
        log_tics(gp, 'y', c->ylo, c->yhi, NULL, 0);
    }
    fprintf(gp, "plot \\\n");
    int curve = 0;
    for (int64_t g = 0; g < nlead; g++) {
        const struct res_trow *L = &t->rows[c->lead[g]];
        bool any = false;
        for (int64_t i = c->lead[g]; i < t->nrows && !any; i++)
            any = res_same_group(L, &t->rows[i], t->naxes, a) && isfinite(t->rows[i].value);
        if (!any)
            continue;
        char label[512] = "";
        size_t ll = 0;
        for (int k = 0; k < t->naxes && ll < sizeof label; k++)
            if (k != a)
                ll += (size_t)snprintf(label + ll, sizeof label - ll, "%s%s=%s", ll ? ", " : "", t->axes[k],
                                       L->axis[k]);
        fprintf(gp, "  \"%s.dat\" index %d using 1:2:3 with yerrorlines lw 2 pt 7 title ", base, curve);
        gp_str(gp, label[0] ? label : pr->population);
        fprintf(gp, " noenhanced%s\n", curve + 1 < ncurves ? ", \\" : "");
        curve++;
    }
    fprintf(gp, "set terminal svg size 900,600 dynamic\nset output \"%s.svg\"\nreplot\nunset output\n", base);
    if (fclose(gp) != 0)
        return rt_errf(err, errlen, "cannot write %s", path);
    return true;
}


/* One plot: statistic/population of row `pr`, against axis a.  Returns false on I/O errors. */
static bool one_plot(struct plot_ctx *c, const struct res_trow *pr, int a, char *err, size_t errlen)
{
    const struct res_table *t = c->t;
    int64_t nlead = res_group_leaders(t, pr, a, c->lead);
    char s1[96], s2[96], s3[96], base[320], file[340];
    util_safe_name(s1, sizeof s1, pr->statistic);
    util_safe_name(s2, sizeof s2, pr->population);
    util_safe_name(s3, sizeof s3, t->axes[a]);
    snprintf(base, sizeof base, "%s_%s_vs_%s", s1, s2, s3);
    snprintf(file, sizeof file, "%s.dat", base);
    char *dat = util_path_join(c->pdir, file);
    snprintf(file, sizeof file, "%s.gp", base);
    char *gp = util_path_join(c->pdir, file);
    bool ok = dat && gp;
    if (!ok)
        rt_errf(err, errlen, "out of memory writing the plots of %s", c->pdir);
    bool logscale = true;
    int ncurves = ok ? write_dat(c, pr, a, nlead, dat, &logscale, err, errlen) : 0;
    if (ncurves < 0)
        ok = false;
    else if (ok && ncurves == 0)
        unlink(dat);
    else if (ok && (ok = write_gp(c, pr, a, nlead, ncurves, base, gp, logscale, err, errlen)))
        fprintf(c->all, "load \"%s.gp\"\n", base);
    free(dat);
    free(gp);
    return ok;
}

/* plots/all.gp and one BASE.dat/BASE.gp pair per (statistic, population, numeric axis that varies).
 * Returns the number of plots, or -1 with err. */
static int write_scripts(const char *pdir, const struct res_table *t, char *err, size_t errlen)
{
    char *allpath = util_path_join(pdir, "all.gp");
    struct plot_ctx c = {.t = t, .pdir = pdir};
    c.all = allpath ? fopen(allpath, "w") : NULL;
    if (!c.all) {
        rt_errf(err, errlen, "cannot write %s/all.gp: %s", pdir, strerror(errno));
        free(allpath);
        return -1;
    }
    fprintf(c.all, "# balnet: draws every plot of this folder (gnuplot all.gp, from this directory)\n");
    int64_t n = t->nrows;
    c.lead = malloc(sizeof *c.lead * (size_t)(n + 1));
    c.idx = malloc(sizeof *c.idx * (size_t)(n + 1));
    c.xs = malloc(sizeof *c.xs * (size_t)(n + 1));
    int64_t *pair = malloc(sizeof *pair * (size_t)(n + 1));
    int nplots = 0;
    bool ok = c.lead && c.idx && c.xs && pair;
    if (!ok)
        rt_errf(err, errlen, "out of memory");
    int64_t npairs = ok ? res_stat_pairs(t, pair) : 0;
    for (int a = 0; ok && a < t->naxes; a++) {
        if (!res_axis_numeric(t, a) || !axis_varies(t, a))
            continue;
        for (int64_t p = 0; ok && p < npairs; p++) {
            ok = one_plot(&c, &t->rows[pair[p]], a, err, errlen);
            nplots += ok;
        }
    }
    free(c.lead);
    free(c.idx);
    free(c.xs);
    free(pair);
    if (fclose(c.all) != 0 && ok)
        ok = rt_errf(err, errlen, "cannot write %s", allpath);
    free(allpath);
    return ok ? nplots : -1;
}

void plot_gnuplot(const char *pdir, char *note, size_t notelen)
{
    if (!plot_have_gnuplot()) {
        snprintf(note, notelen, "gnuplot not found on PATH: wrote the scripts only (%s/all.gp)", pdir);
        return;
    }
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(note, notelen, "cannot start gnuplot: %s", strerror(errno));
        return;
    }
    if (pid == 0) {
        /* child: only async-signal-safe calls until exec */
        if (chdir(pdir) != 0)
            _exit(126);
        int fd = open("gnuplot.log", O_WRONLY | O_CREAT | O_TRUNC, 0666);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
            close(fd);
        }
        int nul = open("/dev/null", O_RDONLY);
        if (nul >= 0) {
            dup2(nul, 0);
            close(nul);
        }
        execlp("gnuplot", "gnuplot", "all.gp", (char *)NULL);
        _exit(127);
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        snprintf(note, notelen, "gnuplot failed: see %s/gnuplot.log", pdir);
}

int plot_all(const char *dir, const struct res_table *t, char *note, size_t notelen, char *err, size_t errlen)
{
    if (note && notelen)
        note[0] = 0;
    char *pdir = util_path_join(dir, "plots");
    if (!pdir)
        return (rt_errf(err, errlen, "out of memory"), -1);
    int nplots = -1;
    if (!util_mkdirs(pdir, 0777))
        rt_errf(err, errlen, "cannot create %s: %s", pdir, strerror(errno));
    else
        nplots = write_scripts(pdir, t, err, errlen);
    if (nplots == 0)
        snprintf(note, notelen, "no numeric sweep axis with two or more values: nothing to plot");
    else if (nplots > 0)
        plot_gnuplot(pdir, note, notelen);
    free(pdir);
    return nplots;
}

bool plot_results(const char *dir, char *err, size_t errlen)
{
    char *in = util_path_join(dir, "points.csv");
    if (!in)
        return rt_errf(err, errlen, "out of memory");
    struct res_table t;
    bool ok = res_table_read(in, &t, err, errlen);
    free(in);
    if (!ok)
        return false;
    char note[512] = "", tnote[512] = "";
    ok = plot_all(dir, &t, note, sizeof note, err, errlen) >= 0 &&
         plot_traces(dir, tnote, sizeof tnote, err, errlen) >= 0;
    res_table_free(&t);
    if (tnote[0])   /* a note about the recordings' plots matters more than "nothing to plot" */
        snprintf(note, sizeof note, "%s", tnote);
    if (ok && note[0] && err && errlen)
        snprintf(err, errlen, "%s", note);   /* e.g. "gnuplot not found": informational, ok stays true */
    return ok;
}
