/*
 * parse.c - the parse driver: runs the flex scanner and bison parser over a file, follows imports.
 *
 * Owns: the scanner's lifetime (created and destroyed per file, so an error never leaks it), import
 * resolution (importing file's directory, then the search directories), "each file once" by real path,
 * import-cycle detection.  Must not: print or exit; look inside declarations other than imports.
 */
#include "frontend/parse.h"

#include "frontend/lex.h"
#include "parser.h"
#include "lexer.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Runs the parser in `mode` over srcmgr file `file`; fills ctx. */
static void run(struct lex_ctx *ctx, struct arena *a, struct srcmgr *sm, struct diags *d, int file,
                enum lex_mode mode, uint32_t from)
{
    memset(ctx, 0, sizeof *ctx);
    ctx->arena = a;
    ctx->diags = d;
    ctx->file = file;
    ctx->text = sm->files[file].text;
    ctx->len = sm->files[file].len;
    ctx->mode = mode;
    if (from > ctx->len)
        from = (uint32_t)ctx->len;
    ctx->off = from;           /* spans stay offsets into the whole file */
    yyscan_t scanner;
    if (yylex_init_extra(ctx, &scanner) != 0) {
        diag_error(d, SPAN_NONE, "out of memory");
        return;
    }
    YY_BUFFER_STATE buf = yy_scan_bytes(ctx->text + from, (int)(ctx->len - from), scanner);
    yyparse(scanner, ctx);
    yy_delete_buffer(buf, scanner);
    yylex_destroy(scanner);
}

struct ast_file *parse_file(struct arena *a, struct srcmgr *sm, struct diags *d, int file)
{
    struct lex_ctx ctx;
    if (sm->files[file].len > (size_t)INT_MAX / 2) {
        diag_error(d, (struct span){file, 0, 0}, "file too large");
        return NULL;
    }
    run(&ctx, a, sm, d, file, LEX_FILE, 0);
    struct ast_file *f = arena_alloc(a, sizeof *f);
    f->path = arena_strdup(a, sm->files[file].path);
    f->file = file;
    f->decls = ctx.decls;
    return f;
}

/* ---- imports ------------------------------------------------------------------------------------ */

struct loaded {
    const char *real;          /* realpath, the file's identity */
    struct ast_file *ast;
    bool done;                 /* false while its imports are being followed: seeing it again is a cycle */
};

struct loader {
    struct arena *a;
    struct srcmgr *sm;
    struct diags *d;
    const char *const *dirs;
    int ndirs;
    struct ast_program *prog;
    struct loaded *files;
    int nfiles, cap;
    struct ast_node **chain;   /* the imports being followed, outermost first (for cycle notes) */
    int nchain, chaincap;
};

static const char *dir_of(struct arena *a, const char *path)
{
    if (path[0] == '<')
        return ".";           /* <command line>, <string>: relative to the working directory */
    const char *slash = strrchr(path, '/');
    if (!slash)
        return ".";
    if (slash == path)
        return "/";
    return arena_strndup(a, path, (size_t)(slash - path));
}

static int find_loaded(struct loader *L, const char *real)
{
    for (int i = 0; i < L->nfiles; i++)
        if (strcmp(L->files[i].real, real) == 0)
            return i;
    return -1;
}

static void follow(struct loader *L, int idx);

/* Parses srcmgr file `file` (known as `real`), follows its imports, appends its declarations. */
static int add_file(struct loader *L, int file, const char *real)
{
    if (L->nfiles == L->cap) {
        int cap = L->cap ? 2 * L->cap : 8;
        struct loaded *n = arena_alloc(L->a, sizeof *n * (size_t)cap);
        if (L->nfiles)
            memcpy(n, L->files, sizeof *n * (size_t)L->nfiles);
        L->files = n;
        L->cap = cap;
    }
    int idx = L->nfiles++;
    L->files[idx] = (struct loaded){arena_strdup(L->a, real), parse_file(L->a, L->sm, L->d, file), false};
    struct ast_file *f = L->files[idx].ast;
    struct ast_file **files = arena_alloc(L->a, sizeof *files * (size_t)(L->prog->nfiles + 1));
    if (L->prog->nfiles)
        memcpy(files, L->prog->files, sizeof *files * (size_t)L->prog->nfiles);
    files[L->prog->nfiles++] = f;
    L->prog->files = files;
    follow(L, idx);
    return idx;
}

/* Imports inside if/else blocks would make the set of files depend on a sweep point: refuse them. */
static void reject_nested_imports(struct loader *L, const struct ast_list *decls, bool nested)
{
    for (int i = 0; i < decls->n; i++) {
        struct ast_node *n = decls->items[i];
        if (n->kind == AST_IMPORT && nested)
            diag_error(L->d, n->span, "import inside 'if' is not allowed: imports are unconditional");
        else if (n->kind == AST_IF) {
            reject_nested_imports(L, &n->if_.then, true);
            reject_nested_imports(L, &n->if_.els, true);
        }
    }
}

static void push_chain(struct loader *L, struct ast_node *imp)
{
    if (L->nchain == L->chaincap) {
        int cap = L->chaincap ? 2 * L->chaincap : 8;
        struct ast_node **n = arena_alloc(L->a, sizeof *n * (size_t)cap);
        if (L->nchain)
            memcpy(n, L->chain, sizeof *n * (size_t)L->nchain);
        L->chain = n;
        L->chaincap = cap;
    }
    L->chain[L->nchain++] = imp;
}

/* Opens the file an import names; returns its srcmgr index and sets *real, or -1 after a diagnostic. */
static int open_import(struct loader *L, const char *importer, struct ast_node *imp, const char **real)
{
    const char *dir = dir_of(L->a, importer);
    const char *want = imp->import.path ? imp->import.path : arena_printf(L->a, "%s.bn", imp->import.name);
    const char *cands[66];
    int nc = 0;
    cands[nc++] = arena_path_join(L->a, dir, want);
    if (!imp->import.path && want[0] != '/')
        for (int i = 0; i < L->ndirs && nc < 66; i++)
            cands[nc++] = arena_path_join(L->a, L->dirs[i], want);
    int first_errno = 0;
    for (int i = 0; i < nc; i++) {
        char buf[PATH_MAX];
        if (!realpath(cands[i], buf)) {
            if (!first_errno)
                first_errno = errno;
            continue;
        }
        *real = arena_strdup(L->a, buf);
        int have = find_loaded(L, buf);
        if (have >= 0)
            return -2 - have;                    /* already loaded: -2 - index */
        int file = srcmgr_load(L->sm, cands[i]);
        if (file < 0) {
            diag_error(L->d, imp->import.target_span, "cannot open '%s': %s", cands[i], strerror(errno));
            return -1;
        }
        return file;
    }
    diag_error(L->d, imp->import.target_span, "cannot open '%s': %s", want, strerror(first_errno));
    if (!imp->import.path) {
        const char *where = arena_printf(L->a, "'%s'", dir);
        for (int i = 0; i < L->ndirs; i++)
            where = arena_printf(L->a, "%s, '%s'", where, L->dirs[i]);
        diag_note(L->d, imp->import.target_span, "searched %s", where);
    }
    return -1;
}

static void follow(struct loader *L, int idx)
{
    struct ast_file *f = L->files[idx].ast;
    reject_nested_imports(L, &f->decls, false);
    for (int i = 0; i < f->decls.n; i++) {
        struct ast_node *imp = f->decls.items[i];
        if (imp->kind != AST_IMPORT)
            continue;
        const char *real = NULL;
        int file = open_import(L, L->sm->files[f->file].path, imp, &real);
        if (file == -1)
            continue;
        if (file <= -2) {
            int have = -2 - file;
            imp->import.file = L->files[have].ast->file;
            if (!L->files[have].done) {
                diag_error(L->d, imp->import.target_span, "import cycle: '%s' is already being imported",
                           L->sm->files[L->files[have].ast->file].path);
                for (int k = L->nchain - 1; k >= 0; k--)
                    diag_note(L->d, L->chain[k]->import.target_span, "imported from here");
            }
            continue;
        }
        imp->import.file = file;
        push_chain(L, imp);
        add_file(L, file, real);
        L->nchain--;
    }
    L->files[idx].done = true;
    for (int i = 0; i < f->decls.n; i++)
        if (f->decls.items[i]->kind != AST_IMPORT)
            ast_list_push(L->a, &L->prog->decls, f->decls.items[i]);
}

static struct ast_program *load_root(struct arena *a, struct srcmgr *sm, struct diags *d, int file,
                                     const char *const *search_dirs, int nsearch)
{
    struct ast_program *p = arena_alloc(a, sizeof *p);
    p->sm = sm;
    struct loader L = {a, sm, d, search_dirs, nsearch, p, NULL, 0, 0, NULL, 0, 0};
    char buf[PATH_MAX];
    const char *path = sm->files[file].path;
    const char *real = path[0] != '<' && realpath(path, buf) ? buf : path;
    add_file(&L, file, real);
    return p;
}

struct ast_program *parse_program(struct arena *a, struct srcmgr *sm, struct diags *d, const char *path,
                                  const char *const *search_dirs, int nsearch)
{
    int file = srcmgr_load(sm, path);
    if (file < 0) {
        diag_error(d, SPAN_NONE, "cannot open '%s': %s", path, strerror(errno));
        return NULL;
    }
    return load_root(a, sm, d, file, search_dirs, nsearch);
}

struct ast_program *parse_program_string(struct arena *a, struct srcmgr *sm, struct diags *d,
                                         const char *name, const char *text, size_t len,
                                         const char *const *search_dirs, int nsearch)
{
    int file = srcmgr_add(sm, name, text, len);
    if (file < 0) {
        diag_error(d, SPAN_NONE, "out of memory");
        return NULL;
    }
    return load_root(a, sm, d, file, search_dirs, nsearch);
}

/* ---- command-line strings ----------------------------------------------------------------------- */

static struct ast_node *parse_at(struct arena *a, struct srcmgr *sm, struct diags *d, int file, uint32_t off,
                                 enum lex_mode mode)
{
    int before = d->errors;
    struct lex_ctx ctx;
    run(&ctx, a, sm, d, file, mode, off);
    return d->errors == before ? ctx.expr : NULL;
}

static struct ast_node *parse_string(struct arena *a, struct srcmgr *sm, struct diags *d, const char *text,
                                     enum lex_mode mode)
{
    int file = srcmgr_add(sm, "<command line>", text, strlen(text));
    if (file < 0) {
        diag_error(d, SPAN_NONE, "out of memory");
        return NULL;
    }
    return parse_at(a, sm, d, file, 0, mode);
}

struct ast_node *parse_expr_string(struct arena *a, struct srcmgr *sm, struct diags *d, const char *text)
{
    return parse_string(a, sm, d, text, LEX_EXPR);
}

struct ast_node *parse_axis_string(struct arena *a, struct srcmgr *sm, struct diags *d, const char *text)
{
    return parse_string(a, sm, d, text, LEX_AXIS);
}

struct ast_node *parse_axis_at(struct arena *a, struct srcmgr *sm, struct diags *d, int file, uint32_t off)
{
    if (file < 0 || file >= sm->n) {
        diag_error(d, SPAN_NONE, "internal error: parse_axis_at: no file %d", file);
        return NULL;
    }
    return parse_at(a, sm, d, file, off, LEX_AXIS);
}

/* ---- token dump ---------------------------------------------------------------------------------- */

void ast_dump_tokens(FILE *out, struct arena *a, struct srcmgr *sm, struct diags *d, int file)
{
    struct lex_ctx ctx = {0};
    ctx.arena = a;
    ctx.diags = d;
    ctx.file = file;
    ctx.text = sm->files[file].text;
    ctx.len = sm->files[file].len;
    ctx.mode = LEX_FILE;
    ctx.started = true;         /* no START token in a dump */
    yyscan_t scanner;
    if (yylex_init_extra(&ctx, &scanner) != 0)
        return;
    YY_BUFFER_STATE buf = yy_scan_bytes(ctx.text, (int)ctx.len, scanner);
    /* line:col computed incrementally: tokens come in order */
    uint32_t pos = 0;
    int line = 1, col = 1;
    for (;;) {
        YYSTYPE val;
        YYLTYPE loc;
        int tok = yylex(&val, &loc, scanner);
        if (tok == 0)
            break;
        for (; pos < loc.begin && pos < ctx.len; pos++) {
            if (ctx.text[pos] == '\n') {
                line++;
                col = 1;
            } else
                col++;
        }
        fprintf(out, "%d:%d %s ", line, col, parse_token_name(tok));
        for (uint32_t i = loc.begin; i < loc.end && i < ctx.len; i++) {
            unsigned char ch = (unsigned char)ctx.text[i];
            if (ch == '\n')
                fputs("\\n", out);
            else if (ch < 0x20 || ch == 0x7f)
                fprintf(out, "\\x%02x", ch);
            else
                fputc(ch, out);
        }
        if (tok == DERIV)
            fprintf(out, " var=%s", val.str);
        else if (tok == NUMBER)
            fprintf(out, " value=%.17g unit=%s", val.num.value, val.num.unit ? val.num.unit : "-");
        fputc('\n', out);
    }
    yy_delete_buffer(buf, scanner);
    yylex_destroy(scanner);
}

bool ast_dump_tokens_file(FILE *out, struct arena *a, struct srcmgr *sm, struct diags *d, const char *path)
{
    int file = srcmgr_load(sm, path);
    if (file < 0) {
        diag_error(d, SPAN_NONE, "cannot open '%s': %s", path, strerror(errno));
        return false;
    }
    int before = d->errors;
    ast_dump_tokens(out, a, sm, d, file);
    return d->errors == before;
}
