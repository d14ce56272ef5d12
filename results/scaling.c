/*
 * scaling.c - log-log least squares with Student-t confidence intervals, and scaling.csv (scaling.h).
 *
 * Owns: the numerics, and DIR/scaling.csv made from DIR/points.csv (read through results_read.c).
 * Must not: print or exit.
 *
 * Model: log y_k = b0 + b1 log x_k + e_k, e_k iid normal; every trial is its own point, so the trial
 * scatter is what sets the interval.  b1 = Sxy / Sxx, se(b1) = sqrt(SSR / (n - 2) / Sxx), and the 95 % CI
 * is b1 +- t_{0.975, n-2} se(b1) (any regression text, e.g. Draper & Smith, Applied Regression Analysis,
 * ch. 1).  The t quantile inverts F(t) = 1 - I_{nu/(nu+t^2)}(nu/2, 1/2) / 2 (Abramowitz & Stegun 26.7.1 and
 * 26.5.27) by bisection, with I from the continued fraction of A&S 26.5.8 evaluated by the modified Lentz
 * method (Numerical Recipes §6.4 describes the same scheme).
 */
#include "results/scaling.h"
#include "runtime/errf.h"
#include "compiler/support/util.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Continued fraction for I_x(a, b), valid (fast) for x < (a + 1) / (a + b + 2). */
/* One step of the modified Lentz method with coefficient aa: updates c and d, returns the factor c d by
 * which the continued fraction's value is multiplied (Numerical Recipes §5.2, §6.4). */
static double lentz_step(double aa, double *c, double *d)
{
    const double tiny = 1e-300;
    *d = 1 + aa * *d;
    if (fabs(*d) < tiny)
        *d = tiny;
    *c = 1 + aa / *c;
    if (fabs(*c) < tiny)
        *c = tiny;
    *d = 1 / *d;
    return *d * *c;
}

static double betacf(double a, double b, double x)
{
    const double tiny = 1e-300, eps = 1e-16;
    double qab = a + b, qap = a + 1, qam = a - 1;
    double c = 1, d = 1 - qab * x / qap;
    if (fabs(d) < tiny)
        d = tiny;
    d = 1 / d;
    double h = d;
    for (int m = 1; m <= 1000; m++) {
        int m2 = 2 * m;
        /* even and odd terms of the continued fraction */
        h *= lentz_step(m * (b - m) * x / ((qam + m2) * (a + m2)), &c, &d);
        double del = lentz_step(-(a + m) * (qab + m) * x / ((a + m2) * (qap + m2)), &c, &d);
        h *= del;
        if (fabs(del - 1) < eps)
            break;
    }
    return h;
}

double fit_betai(double a, double b, double x)
{
    if (!(x > 0))
        return 0;
    if (!(x < 1))
        return 1;
    double lbt = lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log1p(-x);
    if (x < (a + 1) / (a + b + 2))
        return exp(lbt) * betacf(a, b, x) / a;
    return 1 - exp(lbt) * betacf(b, a, 1 - x) / b;
}

double fit_t_cdf(double t, double dof)
{
    if (isnan(t) || !(dof > 0))
        return NAN;
    double tail = 0.5 * fit_betai(dof / 2, 0.5, dof / (dof + t * t));   /* P(T > |t|) */
    return t >= 0 ? 1 - tail : tail;
}

double fit_t_quantile(double p, double dof)
{
    if (!(p > 0 && p < 1) || !(dof > 0))
        return NAN;
    if (p < 0.5)
        return -fit_t_quantile(1 - p, dof);
    if (p == 0.5)
        return 0;
    double lo = 0, hi = 1;
    while (fit_t_cdf(hi, dof) < p && hi < 1e300)
        hi *= 2;
    for (int it = 0; it < 2000 && hi - lo > 1e-13 * hi; it++) {
        double mid = 0.5 * (lo + hi);
        if (fit_t_cdf(mid, dof) < p)
            lo = mid;
        else
            hi = mid;
    }
    return 0.5 * (lo + hi);
}

bool fit_loglog(const double *x, const double *y, int n, struct fit_line *out)
{
    if (n < 3)
        return false;
    for (int k = 0; k < n; k++)
        if (!(isfinite(x[k]) && isfinite(y[k]) && x[k] > 0 && y[k] > 0))
            return false;
    double *xs = malloc(sizeof *xs * (size_t)n);
    if (!xs)
        return false;
    memcpy(xs, x, sizeof *xs * (size_t)n);
    qsort(xs, (size_t)n, sizeof *xs, util_cmp_double);
    int distinct = 1;
    for (int k = 1; k < n; k++)
        distinct += xs[k] != xs[k - 1];
    free(xs);
    if (distinct < 3)
        return false;
    double mx = 0, my = 0;
    for (int k = 0; k < n; k++) {
        mx += log(x[k]);
        my += log(y[k]);
    }
    mx /= n;
    my /= n;
    double sxx = 0, sxy = 0, syy = 0;
    for (int k = 0; k < n; k++) {
        double dx = log(x[k]) - mx, dy = log(y[k]) - my;
        sxx += dx * dx;
        sxy += dx * dy;
        syy += dy * dy;
    }
    double b1 = sxy / sxx, b0 = my - b1 * mx;
    double ssr = 0;
    for (int k = 0; k < n; k++) {
        double e = log(y[k]) - (b0 + b1 * log(x[k]));
        ssr += e * e;
    }
    double se = sqrt(ssr / (n - 2) / sxx);
    double tq = fit_t_quantile(0.975, n - 2);
    *out = (struct fit_line){.slope = b1, .intercept = b0, .ci_low = b1 - tq * se, .ci_high = b1 + tq * se,
                             .r2 = syy > 0 ? 1 - ssr / syy : 1, .n = n};
    return true;
}

/* ---- scaling.csv -------------------------------------------------------------------------------- */

/* Written to a string first and to `out` at once: CSV quoting has one implementation (sb_csv). */
static bool write_fits(const struct res_table *t, struct strbuf *b);

bool fit_write_scaling(const struct res_table *t, FILE *out)
{
    struct strbuf b = {0};
    bool ok = write_fits(t, &b) && !b.oom && fwrite(b.p, 1, b.n, out) == b.n;
    sb_free(&b);
    return ok && !ferror(out);
}

static bool write_fits(const struct res_table *t, struct strbuf *b)
{
    sb_puts(b, "statistic,population,axis");
    for (int a = 0; a < t->naxes; a++) {
        sb_puts(b, ",");
        sb_csv(b, t->axes[a]);
    }
    sb_puts(b, ",slope,ci_low,ci_high,n_points,r2\n");
    int64_t n = t->nrows;
    if (n == 0)
        return true;
    /* leader[i]: first row of row i's group for the current axis (groups in order of first appearance) */
    int64_t *leader = malloc(sizeof *leader * (size_t)n);
    double *x = malloc(sizeof *x * (size_t)n), *y = malloc(sizeof *y * (size_t)n);
    /* (statistic, population) pairs in order of first appearance */
    int64_t *pair = malloc(sizeof *pair * (size_t)n);
    if (!leader || !x || !y || !pair) {
        free(leader);
        free(x);
        free(y);
        free(pair);
        return false;
    }
    int64_t npairs = res_stat_pairs(t, pair);
    for (int64_t pi = 0; pi < npairs; pi++) {
        const struct res_trow *pr = &t->rows[pair[pi]];
        for (int a = 0; a < t->naxes; a++) {
            if (!res_axis_numeric(t, a))
                continue;
            int64_t nlead = res_group_leaders(t, pr, a, leader);
            for (int64_t g = 0; g < nlead; g++) {
                const struct res_trow *L = &t->rows[leader[g]];
                int m = 0;
                for (int64_t i = leader[g]; i < n; i++)
                    if (res_same_group(L, &t->rows[i], t->naxes, a)) {
                        x[m] = strtod(t->rows[i].axis[a], NULL);
                        y[m] = t->rows[i].value;
                        m++;
                    }
                struct fit_line f;
                if (!fit_loglog(x, y, m, &f))
                    continue;
                sb_csv(b, L->statistic);
                sb_puts(b, ",");
                sb_csv(b, L->population);
                sb_puts(b, ",");
                sb_csv(b, t->axes[a]);
                for (int k = 0; k < t->naxes; k++) {
                    sb_puts(b, ",");
                    if (k != a)
                        sb_csv(b, L->axis[k]);
                }
                sb_printf(b, ",%.17g,%.17g,%.17g,%d,%.17g\n", f.slope, f.ci_low, f.ci_high, f.n, f.r2);
            }
        }
    }
    free(leader);
    free(x);
    free(y);
    free(pair);
    return true;
}

/* ---- DIR/points.csv -> DIR/scaling.csv ---------------------------------------------------------- */

bool fit_scaling_csv(const char *dir, char *err, size_t errlen)
{
    char *in = util_path_join(dir, "points.csv"), *out = util_path_join(dir, "scaling.csv");
    struct res_table t;
    struct util_atomic w;
    bool ok = false;
    if (!in || !out) {
        rt_errf(err, errlen, "out of memory");
        goto done;
    }
    if (!res_table_read(in, &t, err, errlen))
        goto done;
    if (!util_atomic_open(&w, out)) {
        rt_errf(err, errlen, "cannot write %s: %s", out, strerror(errno));
        res_table_free(&t);
        goto done;
    }
    ok = fit_write_scaling(&t, w.f);
    res_table_free(&t);
    ok = util_atomic_commit(&w, ok) || rt_errf(err, errlen, "cannot write %s: %s", out, strerror(errno));
done:
    free(in);
    free(out);
    return ok;
}
