/*
 * stats_corr.c - mean pairwise spike-count correlation in O(N W) (SCIENCE.md §3), and the O(N^2 W)
 * pairwise definition it is tested against.
 *
 * Owns: arithmetic on count matrices only.  Must not: allocate per pair, print, or know about populations.
 *
 * Definition: for the kept neurons i with non-constant count vectors c_i (W windows), the Pearson
 * correlation of a pair is rho_ij = <z_i, z_j> where z_i = (c_i - mean(c_i)) / |c_i - mean(c_i)| (zero mean,
 * unit Euclidean norm over windows).  The mean over the n (n - 1) ordered pairs i != j is
 *     sum_{i != j} <z_i, z_j> / (n (n - 1)) = (|sum_i z_i|^2 - sum_i |z_i|^2) / (n (n - 1)),
 * which needs only the running vector sum_i z_i (W doubles) instead of every pair.
 */
#include "runtime/stats.h"

#include <math.h>
#include <stdlib.h>

/* Mean and sum of squared deviations of one count vector (two passes: exact integer sums first, so the
 * mean is the correctly rounded quotient and the deviations lose nothing). */
static void count_moments(const uint16_t *c, int64_t w, double *mean, double *ss)
{
    int64_t sum = 0;
    for (int64_t t = 0; t < w; t++)
        sum += c[t];
    double m = (double)sum / (double)w;
    double s = 0;
    for (int64_t t = 0; t < w; t++) {
        double d = (double)c[t] - m;
        s += d * d;
    }
    *mean = m;
    *ss = s;
}

void stat_corr_accumulate(const uint16_t *counts, int64_t n, int64_t stride, int64_t first, int64_t last,
                          const uint8_t *keep, double *zsum, double *zz, int64_t *used)
{
    int64_t w = last - first;
    if (w < 2)
        return;
    for (int64_t i = 0; i < n; i++) {
        if (keep && !keep[i])
            continue;
        const uint16_t *c = counts + i * stride + first;
        double mean, ss;
        count_moments(c, w, &mean, &ss);
        if (!(ss > 0))
            continue;   /* constant counts: correlation undefined, neuron excluded */
        double inv = 1.0 / sqrt(ss);
        double norm2 = 0;
        for (int64_t t = 0; t < w; t++) {
            double z = ((double)c[t] - mean) * inv;
            zsum[t] += z;
            norm2 += z * z;
        }
        *zz += norm2;
        (*used)++;
    }
}

double stat_corr_finish(const double *zsum, int64_t nwin, double zz, int64_t used)
{
    if (used < 2)
        return NAN;
    double s2 = 0;
    for (int64_t t = 0; t < nwin; t++)
        s2 += zsum[t] * zsum[t];
    return (s2 - zz) / ((double)used * (double)(used - 1));
}

double stat_count_corr(const uint16_t *counts, int64_t n, int64_t stride, int64_t first, int64_t last,
                       const uint8_t *keep)
{
    int64_t w = last - first;
    if (w < 2)
        return NAN;
    double *zsum = calloc((size_t)w, sizeof *zsum);
    if (!zsum)
        return NAN;
    double zz = 0;
    int64_t used = 0;
    stat_corr_accumulate(counts, n, stride, first, last, keep, zsum, &zz, &used);
    double r = stat_corr_finish(zsum, w, zz, used);
    free(zsum);
    return r;
}

/* The textbook estimator pair by pair: cov / (sd_i sd_j), averaged over unordered pairs. */
double stat_count_corr_bruteforce(const uint16_t *counts, int64_t n, int64_t stride, int64_t first, int64_t last,
                                  const uint8_t *keep)
{
    int64_t w = last - first;
    if (w < 2)
        return NAN;
    double sum = 0;
    int64_t pairs = 0;
    for (int64_t i = 0; i < n; i++) {
        if (keep && !keep[i])
            continue;
        const uint16_t *a = counts + i * stride + first;
        double ma, sa;
        count_moments(a, w, &ma, &sa);
        if (!(sa > 0))
            continue;
        for (int64_t j = i + 1; j < n; j++) {
            if (keep && !keep[j])
                continue;
            const uint16_t *b = counts + j * stride + first;
            double mb, sb;
            count_moments(b, w, &mb, &sb);
            if (!(sb > 0))
                continue;
            double cov = 0;
            for (int64_t t = 0; t < w; t++)
                cov += ((double)a[t] - ma) * ((double)b[t] - mb);
            sum += cov / sqrt(sa * sb);
            pairs++;
        }
    }
    return pairs ? sum / (double)pairs : NAN;
}
