/*
 * util.h - the small I/O and string helpers every layer needs once: path joining and mkdir -p, complete
 * and atomic writes, a growable string with CSV and JSON escaping, file-name-safe names, qsort
 * comparators, and the monotonic clock.
 *
 * Why here: compiler/support is the lowest library (bn_support).  The compiler links it, and the runtime
 * and the results writer already depend on it through compiler/ir/ir.h, so one copy serves all of them
 * without the runtime seeing any other compiler header.
 * Owns: nothing beyond the memory it hands out (the caller frees).  Must not: print, exit, or depend on
 * anything but libc and POSIX.  Failures return false (or NULL) with errno set; the caller words the
 * message.
 */
#ifndef BN_SUPPORT_UTIL_H
#define BN_SUPPORT_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* ---- files ------------------------------------------------------------------------------------ */

/* "dir/name" in malloc'd memory; NULL when out of memory. */
char *util_path_join(const char *dir, const char *name);
/* mkdir -p: creates dir and its missing parents with mode; false with errno (ENOTDIR when dir exists
 * but is not a directory). */
bool util_mkdirs(const char *dir, unsigned mode);
/* The whole file, NUL-terminated, in malloc'd memory, *len its size; NULL with errno when it cannot be
 * read or is larger than max bytes (EFBIG; max 0: no limit). */
char *util_read_file(const char *path, size_t max, size_t *len);
/* write() until all n bytes are written, retrying on EINTR. */
bool util_write_full(int fd, const void *buf, size_t n);

/* Replacing a file atomically: the data go to a temporary ".NAME.tmp" next to it, are fsync()ed, and
 * the temporary is rename()d over the file (POSIX rename is atomic), then the directory is fsync()ed.  A
 * reader sees the old or the new file, never half of one; a crash leaves at most the temporary. */
struct util_atomic {
    FILE *f;                /* write the contents here */
    char *tmp, *path;
};
/* Opens the temporary for path; false with errno (nothing to commit). */
bool util_atomic_open(struct util_atomic *w, const char *path);
/* Completes the replace (or, when keep is false or anything fails, removes the temporary); frees w.
 * False with errno when a write, the fsync or the rename failed. */
bool util_atomic_commit(struct util_atomic *w, bool keep);
/* The whole of data as path's new contents. */
bool util_write_atomic(const char *path, const void *data, size_t n);

/* ---- a growable string ------------------------------------------------------------------------ */

/* Zero-initialise; p is NUL-terminated once anything was added.  Out of memory sets oom and turns
 * further additions into no-ops, so a writer checks once at the end. */
struct strbuf {
    char *p;
    size_t n, cap;
    bool oom;
};
void sb_add(struct strbuf *b, const char *s, size_t n);
void sb_puts(struct strbuf *b, const char *s);
void sb_printf(struct strbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A CSV field (RFC 4180): quoted only when it holds a comma, a quote or a line break; NULL is empty. */
void sb_csv(struct strbuf *b, const char *s);
/* A JSON string literal: quote and backslash escaped, control characters as \u00XX. */
void sb_json_str(struct strbuf *b, const char *s);
void sb_free(struct strbuf *b);

/* ---- small helpers ---------------------------------------------------------------------------- */

/* A file-name-safe copy of s (NULL: empty) into out[cap]: letters, digits, '_', '-' and '.' kept,
 * anything else (the '*' of V*g_syn, a '/') becomes '_'. */
void util_safe_name(char *out, size_t cap, const char *s);
/* qsort comparators, ascending. */
int util_cmp_double(const void *a, const void *b);
int util_cmp_u32(const void *a, const void *b);
/* CLOCK_MONOTONIC in nanoseconds: for intervals (wall times, timeouts), never for dates. */
int64_t util_now_ns(void);
/* CLOCK_THREAD_CPUTIME_ID in nanoseconds: the calling thread's CPU time, for phase timings that must not
 * count time other processes took from this one (a loaded machine inflates wall times, not this). */
int64_t util_thread_cpu_ns(void);

#endif
