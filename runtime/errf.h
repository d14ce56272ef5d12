/*
 * errf.h - the runtime's one way to report an error: a formatted message into the caller's buffer.
 *
 * Library code of the runtime never prints; functions that can fail take (char *err, size_t errlen) and
 * return false (or -1) with the message in err.  Owns: nothing.
 */
#ifndef BN_RT_ERRF_H
#define BN_RT_ERRF_H

#include <stdbool.h>
#include <stddef.h>

/* Writes the message into err (when err and errlen are non-zero); returns false, so a failing function
 * can `return rt_errf(err, errlen, "...", ...);`. */
bool rt_errf(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
