/*
 * plot.h - plots of every statistic against every numeric sweep axis (DESIGN.md §4).  Prefix `plot_`.
 *
 * Owns: DIR/plots/: per (statistic, population, axis) a data file NAME.dat (one gnuplot data block per
 * combination of the other axes: x, mean over trials, standard error, trials), a self-contained script
 * NAME.gp (PNG then SVG; log-log when every x and mean is positive), the images, all.gp that loads every
 * script, and gnuplot.log; and the plots of the recordings in DIR/traces/ (plot_traces.c).  Must not: print (gnuplot's own output goes to gnuplot.log) or exit.
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
/* Runs `gnuplot all.gp` inside pdir, its output in gnuplot.log there.  A missing or failing gnuplot is a
 * note, not an error: the scripts are written and can be drawn later. */
void plot_gnuplot(const char *pdir, char *note, size_t notelen);
/* The recordings (plot_traces.c): for every DIR/traces/NAME.csv (rate trace, raster, trace of an
 * observable) a script NAME.gp drawing NAME.png and NAME.svg beside it, and one gnuplot run over them.
 * Returns the number of plots (0: no recordings), or -1 with err on I/O errors; note as for plot_all. */
int plot_traces(const char *dir, char *note, size_t notelen, char *err, size_t errlen);

#endif
