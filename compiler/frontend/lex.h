/*
 * lex.h - state shared by the flex scanner (grammar/lexer.l), the bison parser (grammar/parser.y) and the
 * parse driver (parse.c).  Private to the front end: nothing outside compiler/frontend and grammar/
 * includes it.
 *
 * Owns: struct lex_ctx, the scanner's extra data (yyextra) and the parser's context in one: the text
 * being scanned, the byte offset that becomes every span, the bracket depth that drives the nesting
 * limit, and where the parser puts its result.  Must not: allocate outside the arena (flex's own
 * buffers excepted; they are freed by yylex_destroy()).
 */
#ifndef BN_LEX_H
#define BN_LEX_H

#include "frontend/ast.h"
#include "frontend/parse.h"
#include "support/support.h"

#include <stdbool.h>
#include <stdint.h>

/* What the parser is asked to read: the lexer emits the matching START_* token first, so one grammar
 * serves files, --set expressions and --set axis values. */
enum lex_mode { LEX_FILE, LEX_EXPR, LEX_AXIS };

struct lex_ctx {
    struct arena *arena;
    struct diags *diags;
    int file;                  /* srcmgr index: the `file` of every span */
    const char *text;          /* the file's bytes (may contain NULs) */
    size_t len;
    enum lex_mode mode;
    bool started;              /* the START_* token was emitted */
    uint32_t off;              /* byte offset of the next unread byte */
    int depth;                 /* open ( [ { not yet closed */
    uint32_t open_at[PARSE_MAX_NESTING + 1];   /* offset of each open bracket, outermost first, for */
    char open_ch[PARSE_MAX_NESTING + 1];       /* "to match this '{'" notes */
    bool too_deep;             /* nesting limit hit: the lexer returns end of input from then on */
    bool fatal;                /* parsing stopped early (nesting, memory): suppress follow-up errors */
    bool bad_any;              /* a bad byte was reported, ending at bad_end: adjacent ones are merged */
    uint32_t bad_end;
    /* results */
    struct ast_list decls;     /* LEX_FILE */
    struct ast_node *expr;     /* LEX_EXPR, LEX_AXIS */
};

static inline struct span lex_span(const struct lex_ctx *c, uint32_t b, uint32_t e)
{
    return (struct span){c->file, b, e};
}

#endif
