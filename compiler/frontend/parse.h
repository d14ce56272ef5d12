/*
 * parse.h - the front end's entry points: source text -> AST (ast.h).
 *
 * Owns: loading the root model file and its imports (each file once, cycles reported), running the
 * flex/bison parser over each, and parsing the small strings of the command line (--set NAME=VALUE).
 * Must not: print or exit (errors go to the struct diags with a span), resolve names, or interpret units.
 * Only this module and grammar/ include the generated parser.h / lexer.h.
 */
#ifndef BN_PARSE_H
#define BN_PARSE_H

#include "frontend/ast.h"
#include "support/support.h"

#include <stdio.h>

/* Nesting limit for ( [ { : deeper input is rejected with a located error (never a stack overflow in
 * the parser or in the recursive phases after it). */
enum { PARSE_MAX_NESTING = 256 };
/* Expression depth limit (operator chains such as a+a+...+a or ------x): deeper expressions are rejected
 * with "expression too deeply nested", so every later phase may walk expressions recursively. */
enum { PARSE_MAX_EXPR_DEPTH = 1000 };

/* Parses `path` and, transitively, what it imports:
 *   import NAME      -> NAME.bn in the importing file's directory, then in each search_dirs[i] in order
 *   import "p.bn"    -> p.bn relative to the importing file's directory (or absolute)
 * Each file is parsed once (identified by its real path); an import cycle is an error at the import that
 * closes it, with notes showing the chain.  A missing root file or import gives
 * "cannot open 'x.bn': <strerror>" (the root's error has no span).
 * Returns the program even when there were errors (so several errors can be reported);
 * callers check d->errors.  Returns NULL only when the root file cannot be read. */
struct ast_program *parse_program(struct arena *a, struct srcmgr *sm, struct diags *d, const char *path,
                                  const char *const *search_dirs, int nsearch);

/* Parses one already-loaded file (srcmgr index) without following imports; IMPORT nodes are kept in the
 * returned file's decls.  Used by parse_program and by tests that hand the text in directly. */
struct ast_file *parse_file(struct arena *a, struct srcmgr *sm, struct diags *d, int file);

/* Parses source text given in memory as a program (imports are resolved against search_dirs and the
 * current directory).  The text is added to sm under the pseudo-path `name`. */
struct ast_program *parse_program_string(struct arena *a, struct srcmgr *sm, struct diags *d,
                                         const char *name, const char *text, size_t len,
                                         const char *const *search_dirs, int nsearch);

/* Parses a single expression (e.g. "0.8*N", "10 Hz").  The text is added to sm as file
 * "<command line>" so errors get a caret.  Returns NULL on error. */
struct ast_node *parse_expr_string(struct arena *a, struct srcmgr *sm, struct diags *d, const char *text);

/* Parses the VALUE of `--set NAME=VALUE`: an expression, a list "[a, b]" or a range "a..b [step s]".
 * Returns an expression node, a LIST or a RANGE node; NULL on error (added to sm as "<command line>"). */
struct ast_node *parse_axis_string(struct arena *a, struct srcmgr *sm, struct diags *d, const char *text);

/* The same for a value that is already loaded: the bytes of srcmgr file `file` from offset `off` to its
 * end (the driver adds "NAME=VALUE" as one "<command line>" file and passes the offset after '=', so a
 * caret can point into the whole option). */
struct ast_node *parse_axis_at(struct arena *a, struct srcmgr *sm, struct diags *d, int file, uint32_t off);

/* One token per line, "line:col kind text [var=X | value=V unit=U]" (balnet dump --emit=tokens) of
 * srcmgr file `file`.  Lexical errors go to d. */
void ast_dump_tokens(FILE *out, struct arena *a, struct srcmgr *sm, struct diags *d, int file);
/* Loads `path` and dumps its tokens; false (with a diagnostic) when it cannot be read or has lexical
 * errors. */
bool ast_dump_tokens_file(FILE *out, struct arena *a, struct srcmgr *sm, struct diags *d, const char *path);

#endif
