/*
 * spike_file.h - the one reader of spike files, `input S = spikes("file.csv")` (docs/language.md) (`rt_spikes_`
 * prefix).  The compiler reads a file with it when a model is checked (the input's size, and every row valid
 * before a results folder exists); the runtime reads it again for the spikes (runtime/input.c).
 *
 * Format: blank lines and lines starting with '#' are skipped; the first other line may be the header
 * `neuron,time_ms` (any other non-numeric first line is an error); every other line is `neuron,time` with
 * neuron a non-negative integer and time a finite non-negative number of ms, or a number followed by the unit
 * `ms` or `s`.  A file without a spike is an error.
 *
 * Owns: parsing, with "file.csv:LINE: what is wrong" messages.  Must not: print, exit, or round to steps.
 */
#ifndef BN_RT_SPIKE_FILE_H
#define BN_RT_SPIKE_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct rt_spike_rows {
    int64_t n;              /* rows, in file order */
    int64_t *neuron;
    double *time_ms;
    int64_t max_neuron;     /* the input's size is max_neuron + 1 */
};

/* False with a message in err ("f.csv:3: time '5 mV' is not in ms or s", "cannot open f.csv: ..."); rows is
 * then empty.  On success the caller frees rows with rt_spikes_free. */
bool rt_spikes_read(const char *path, struct rt_spike_rows *rows, char *err, size_t errlen);
void rt_spikes_free(struct rt_spike_rows *rows);

#endif
