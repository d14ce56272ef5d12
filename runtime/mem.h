/*
 * mem.h - how much memory a run may use, and printing byte counts in messages.
 *
 * Owns: reading MemAvailable and formatting sizes.  Must not: allocate the network.
 */
#ifndef BN_RT_MEM_H
#define BN_RT_MEM_H

#include <stddef.h>

/* MemAvailable of /proc/meminfo in bytes; 0 when unknown. */
size_t rt_mem_available(void);
/* "30.1 GB", "512.0 MB", "12.0 kB", "17 B" into buf. */
const char *rt_format_bytes(char *buf, size_t len, double bytes);

#endif
