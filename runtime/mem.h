/*
 * mem.h - how much memory a run may use, and printing byte counts in messages.
 *
 * Owns: reading MemAvailable, lazily backed columns and formatting sizes.  Must not: allocate the network.
 */
#ifndef BN_RT_MEM_H
#define BN_RT_MEM_H

#include <stddef.h>

/* MemAvailable of /proc/meminfo in bytes; 0 when unknown. */
size_t rt_mem_available(void);
/* `bytes` of zeros, page-aligned, whose pages take memory only once written (anonymous mmap): the state
 * columns of a network split over parts, which are indexed by neuron over the whole population while a
 * part writes only its own neurons (sim.c).  NULL when out of address space; rt_lazy_free with the same
 * bytes. */
void *rt_lazy_zeroed(size_t bytes);
void rt_lazy_free(void *p, size_t bytes);
/* "30.1 GB", "512.0 MB", "12.0 kB", "17 B" into buf. */
const char *rt_format_bytes(char *buf, size_t len, double bytes);

#endif
