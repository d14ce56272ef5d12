/*
 * diag.c - collecting and rendering diagnostics in the jq / clang style:
 *     file:line:col: error: message, the source line, and a caret under the whole span.
 */
#include "support.h"

#include <stdlib.h>
#include <string.h>

void diags_init(struct diags *d, struct arena *a)
{
    memset(d, 0, sizeof *d);
    d->arena = a;
}

void diag_vadd(struct diags *d, enum diag_level lvl, struct span s, const char *fmt, va_list ap)
{
    int limit = d->max_errors ? d->max_errors : 50;
    if (lvl == DIAG_ERROR && d->errors >= limit) {
        d->errors++;
        return;
    }
    if (lvl == DIAG_NOTE && d->tail == NULL)
        return;
    if (lvl == DIAG_NOTE && d->errors > limit)
        return;
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    char *msg = arena_alloc(d->arena, (size_t)(n < 0 ? 0 : n) + 1);
    if (n > 0)
        vsnprintf(msg, (size_t)n + 1, fmt, ap2);
    va_end(ap2);
    struct diag *g = arena_alloc(d->arena, sizeof *g);
    *g = (struct diag){lvl, s, msg, NULL};
    if (d->tail)
        d->tail->next = g;
    else
        d->head = g;
    d->tail = g;
    if (lvl == DIAG_ERROR)
        d->errors++;
    else if (lvl == DIAG_WARNING)
        d->warnings++;
}

#define DIAG_FN(name, lvl)                                                                         \
    void name(struct diags *d, struct span s, const char *fmt, ...)                                \
    {                                                                                              \
        va_list ap;                                                                                \
        va_start(ap, fmt);                                                                         \
        diag_vadd(d, lvl, s, fmt, ap);                                                             \
        va_end(ap);                                                                                \
    }
DIAG_FN(diag_error, DIAG_ERROR)
DIAG_FN(diag_warning, DIAG_WARNING)
DIAG_FN(diag_note, DIAG_NOTE)

static const char *level_name(enum diag_level l)
{
    return l == DIAG_ERROR ? "error" : l == DIAG_WARNING ? "warning" : "note";
}

/* Prints the line holding `off`, and a caret line under [off, end) clipped to that line. */
static void render_excerpt(FILE *out, const struct src_file *f, int line, uint32_t off, uint32_t end)
{
    uint32_t bol = off, eol = off;
    while (bol > 0 && f->text[bol - 1] != '\n')
        bol--;
    while (eol < f->len && f->text[eol] != '\n')
        eol++;
    /* Very long lines (minified or random input) are cut around the caret. */
    uint32_t from = bol, to = eol;
    if (off - from > 120)
        from = off - 60;
    if (to - from > 200)
        to = from + 200;
    fprintf(out, "%5d | ", line);
    for (uint32_t i = from; i < to; i++) {
        unsigned char ch = (unsigned char)f->text[i];
        fputc(ch == '\t' ? ' ' : (ch < 0x20 || ch >= 0x7f) ? '?' : ch, out);
    }
    fputs("\n      | ", out);
    for (uint32_t i = from; i < off; i++)
        fputc(' ', out);
    fputc('^', out);
    uint32_t stop = end < to ? end : to;
    for (uint32_t i = off + 1; i < stop; i++)
        fputc('~', out);
    fputc('\n', out);
}

void diag_render(FILE *out, const struct diags *d, const struct srcmgr *sm)
{
    int limit = d->max_errors ? d->max_errors : 50;
    for (const struct diag *g = d->head; g; g = g->next) {
        if (g->span.file < 0 || g->span.file >= sm->n) {
            fprintf(out, "balnet: %s: %s\n", level_name(g->level), g->msg);
            continue;
        }
        const struct src_file *f = &sm->files[g->span.file];
        int line, col;
        uint32_t b = g->span.begin > f->len ? (uint32_t)f->len : g->span.begin;
        uint32_t e = g->span.end < b ? b : g->span.end;
        srcmgr_linecol(sm, g->span.file, b, &line, &col);
        fprintf(out, "%s:%d:%d: %s: %s\n", f->path, line, col, level_name(g->level), g->msg);
        render_excerpt(out, f, line, b, e);
    }
    if (d->errors > limit)
        fprintf(out, "balnet: note: %d more errors not shown\n", d->errors - limit);
}

int edit_distance(const char *a, const char *b, int cap)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 64 || lb > 64)
        return cap + 1;
    int row[65];
    for (size_t j = 0; j <= lb; j++)
        row[j] = (int)j;
    for (size_t i = 1; i <= la; i++) {
        int prev = row[0], best = row[0] = (int)i;
        for (size_t j = 1; j <= lb; j++) {
            int cur = row[j];
            int v = prev + (a[i - 1] != b[j - 1]);
            if (row[j] + 1 < v)
                v = row[j] + 1;
            if (row[j - 1] + 1 < v)
                v = row[j - 1] + 1;
            row[j] = v;
            prev = cur;
            if (v < best)
                best = v;
        }
        if (best > cap)
            return cap + 1;
    }
    return row[lb];
}

void diag_suggest(struct diag_suggest *s, const char *candidate)
{
    int max = s->max > 0 ? s->max : 2;
    int d = edit_distance(s->name, candidate, max);
    if (d <= max && (!s->best || d < s->dist)) {
        s->best = candidate;
        s->dist = d;
    }
}

const char *diag_suggestion(struct diags *d, const struct diag_suggest *s, const char *otherwise)
{
    return s->best ? arena_printf(d->arena, "; did you mean '%s'?", s->best) : otherwise;
}
