/*
 * verdict.h - the plain-language verdict on var(V) across the arms of the paper's sweep, read from a
 * results folder (verdict.c).  Prefix `res_`.
 *
 * Must not: exit, or print anywhere but the FILE it is given.
 */
#ifndef BN_RESULTS_VERDICT_H
#define BN_RESULTS_VERDICT_H

#include <stdbool.h>
#include <stdio.h>

/* Writes the verdict for statistic `stat` against the size axis `size_axis` of DIR/points.csv to out; false
 * (nothing written) when the results lack the axis or the statistic. */
bool res_verdict(FILE *out, const char *dir, const char *size_axis, const char *stat);

#endif
