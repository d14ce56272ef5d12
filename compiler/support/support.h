/*
 * support.h - memory arena, source files and diagnostics (with "did you mean" suggestions) shared by every
 * compiler phase; the I/O and string helpers that the runtime shares too are in util.h.
 *
 * Owns: the arena (one per compilation: tokens, AST, IR and diagnostics live in it and die with it),
 * the table of loaded source files, and the diagnostic list.
 * Must not: print anything except through diag_render(), or exit().  Library code appends diagnostics
 * and returns false; only the client (cli/, python/) decides what to print and which exit code to use.
 *
 * Out of memory: arena_alloc() never returns NULL.  When malloc fails it longjmps to arena.on_oom (set
 * by the library, api/model.c, with setjmp), which turns it into a failed call.  This keeps every call site simple
 * while still failing cleanly (STYLE.md §4).
 */
#ifndef BN_SUPPORT_H
#define BN_SUPPORT_H

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* ---- arena ------------------------------------------------------------------------------------ */

struct arena_chunk;
struct arena {
    struct arena_chunk *head;
    jmp_buf *on_oom;        /* where to go when malloc fails; NULL: abort() */
    size_t bytes;           /* total requested, for -v statistics */
};

void arena_init(struct arena *a);
void arena_free(struct arena *a);
void *arena_alloc(struct arena *a, size_t size);              /* zeroed, 16-byte aligned */
char *arena_strdup(struct arena *a, const char *s);
char *arena_strndup(struct arena *a, const char *s, size_t n);
char *arena_printf(struct arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* NAME relative to folder DIR: NAME itself when it is absolute or DIR is ".", else "DIR/NAME" (in the arena;
 * util_path_join in util.h is the malloc'ed one). */
const char *arena_path_join(struct arena *a, const char *dir, const char *name);

/* Growable array of pointers in the arena (old storage is abandoned to the arena on growth). */
struct ptrvec {
    void **items;
    int len, cap;
};
void ptrvec_push(struct arena *a, struct ptrvec *v, void *item);

/* ---- source files and spans ------------------------------------------------------------------- */

/* A span is a half-open byte range [begin, end) inside one loaded file.  Every AST node, IR object
 * that came from the source, and diagnostic carries one. */
struct span {
    int file;              /* index into srcmgr.files; -1 for "no location" (command line, built-in) */
    uint32_t begin, end;
};
#define SPAN_NONE ((struct span){-1, 0, 0})

struct src_file {
    const char *path;      /* as given or resolved; used in messages */
    const char *text;      /* NUL-terminated copy; may contain embedded NULs (len is authoritative) */
    size_t len;
};

struct srcmgr {
    struct src_file *files;
    int n, cap;
};

void srcmgr_init(struct srcmgr *sm);
void srcmgr_free(struct srcmgr *sm);
/* Adds a file held in memory (e.g. a --set value, pseudo-path "<command line>").  Returns its index. */
int srcmgr_add(struct srcmgr *sm, const char *path, const char *text, size_t len);
/* Reads a file; returns its index, or -1 with errno set. */
int srcmgr_load(struct srcmgr *sm, const char *path);
/* 1-based line and column (columns count bytes) of a byte offset. */
void srcmgr_linecol(const struct srcmgr *sm, int file, uint32_t off, int *line, int *col);

/* ---- diagnostics ------------------------------------------------------------------------------ */

enum diag_level { DIAG_ERROR, DIAG_WARNING, DIAG_NOTE };

struct diag {
    enum diag_level level;
    struct span span;
    char *msg;
    struct diag *next;
};

struct diags {
    struct arena *arena;
    struct diag *head, *tail;
    int errors, warnings;
    int max_errors;        /* stop recording errors past this many (0: 50) */
};

void diags_init(struct diags *d, struct arena *a);
void diag_error(struct diags *d, struct span s, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void diag_warning(struct diags *d, struct span s, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* A note attaches to the diagnostic reported just before it. */
void diag_note(struct diags *d, struct span s, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void diag_vadd(struct diags *d, enum diag_level lvl, struct span s, const char *fmt, va_list ap);

/* Renders every diagnostic as
 *     file:line:col: error: message
 *        12 |     dV/dt = (E_L - V) / tau_m + I
 *           |             ^~~~~~~~~
 * Non-printable bytes in the echoed source line are shown as '?', so NUL bytes and invalid UTF-8 never
 * reach the terminal raw.  A span without a file prints "balnet: error: message". */
void diag_render(FILE *out, const struct diags *d, const struct srcmgr *sm);

/* Levenshtein distance, capped: the distance when it is at most cap, else cap + 1. */
int edit_distance(const char *a, const char *b, int cap);

/* "did you mean": the candidate closest to a misspelt name.  Start with {.name = written} (max 0: at most
 * 2 edits; a smaller max for short names), offer every candidate with diag_suggest(); best is the first of
 * the closest, NULL when none is near enough.  Two edits catch a typo or a swapped pair of letters without
 * suggesting unrelated short names. */
struct diag_suggest {
    const char *name;       /* as written */
    int max;                /* largest distance suggested; 0: 2 */
    const char *best;
    int dist;               /* of best */
};
void diag_suggest(struct diag_suggest *s, const char *candidate);
/* "; did you mean 'best'?", or `otherwise` when nothing was near enough (in d's arena). */
const char *diag_suggestion(struct diags *d, const struct diag_suggest *s, const char *otherwise);

#endif
