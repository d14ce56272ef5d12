/*
 * plot.h - plots of every statistic against every numeric sweep axis (DESIGN.md §4).  Prefix `plot_`.
 *
 * Owns: DIR/plots/: per (statistic, population, axis) a data file NAME.dat (one gnuplot data block per
 * combination of the other axes: x, mean over trials, standard error, trials), a self-contained script
 * NAME.gp (PNG then SVG; log-log when every x and mean is positive), the images, all.gp that loads every
 * script, and gnuplot.log.  Must not: print (gnuplot's own output goes to gnuplot.log) or exit.
 */
#ifndef BN_RESULTS_PLOT_H
#define BN_RESULTS_PLOT_H

#include "results/results.h"

#include <stddef.h>

/* Writes the data and scripts for table t (read from DIR/points.csv) and runs gnuplot once on all.gp when
 * it is on PATH.  Returns the number of plots, or -1 with err on I/O errors.  `note` gets a remark that is
 * not an error ("gnuplot not found on PATH: wrote the scripts only", "gnuplot failed: see ..."), else "". */
int plot_all(const char *dir, const struct res_table *t, char *note, size_t notelen, char *err, size_t errlen);
/* DIR/points.csv -> DIR/plots/ (plot_all).  True when the data and scripts are written; a remark that is not
 * an error (gnuplot missing or failing) is then left in err. */
bool plot_results(const char *dir, char *err, size_t errlen);
/* True when an executable `gnuplot` is on PATH. */
bool plot_have_gnuplot(void);

#endif
