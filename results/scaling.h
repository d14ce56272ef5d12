/*
 * scaling.h - empirical scaling exponents (SCIENCE.md §3): least-squares slope of log(statistic) against
 * log(axis), with a 95 % confidence interval from the Student t distribution.  Prefix `fit_`.
 *
 * Owns: the fit, the t quantile (via the regularized incomplete beta function), and scaling.csv.
 * Must not: print or exit.  Reads points.csv only through results_read.c (res_table).
 */
#ifndef BN_RESULTS_SCALING_H
#define BN_RESULTS_SCALING_H

#include "results/results.h"

#include <stdbool.h>
#include <stdio.h>

struct fit_line {
    double slope, intercept;   /* log y = intercept + slope log x (natural logs) */
    double ci_low, ci_high;    /* slope +- t_{0.975, n-2} * se(slope) */
    double r2;
    int n;                     /* data points (trial replicates count separately) */
};

/* Fits log y on log x.  False (out untouched) when fewer than 3 distinct x, or any x or y that is not a
 * finite positive number (the log is undefined). */
bool fit_loglog(const double *x, const double *y, int n, struct fit_line *out);
/* Regularized incomplete beta function I_x(a, b) (continued fraction, modified Lentz). */
double fit_betai(double a, double b, double x);
/* Student t with dof degrees of freedom: CDF and its inverse (bisection on the CDF, to ~1e-13). */
double fit_t_cdf(double t, double dof);
double fit_t_quantile(double p, double dof);

/* scaling.csv: for each (statistic, population) of t, each numeric axis, and each combination of the other
 * axes, one row `statistic,population,axis,<every axis>,slope,ci_low,ci_high,n_points,r2`; the column of
 * the fitted axis itself is empty.  Groups that cannot be fitted are skipped. */
bool fit_write_scaling(const struct res_table *t, FILE *out);
/* DIR/points.csv -> DIR/scaling.csv (atomic: tmp + fsync + rename).  False with err on I/O errors. */
bool fit_scaling_csv(const char *dir, char *err, size_t errlen);

#endif
