/*
 * fuzz_frontend.c - libFuzzer target for the front end: arbitrary bytes through the lexer, the parser
 * (file, --set expression and --set axis modes), the AST dump, semantic analysis (names, units, folding,
 * distribution and record checks, unused bodies, spike files) with lowering and `check -v`'s printout at the
 * default point, and diagnostic rendering.
 *
 * Owns: nothing but the harness.  Imports are not followed (parse_file), so an input cannot make the
 * fuzzer read files.  Any crash, sanitizer report, leak or timeout is a bug in the front end: bad input
 * must give diagnostics, never a crash (DESIGN.md §1).  Built and run by tests/fuzz/run_fuzz.sh.
 */
#include "frontend/parse.h"
#include "sema/sema.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static FILE *devnull;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!devnull)
        devnull = fopen("/dev/null", "w");
    struct arena a;
    struct srcmgr sm;
    struct diags d;
    arena_init(&a);
    srcmgr_init(&sm);
    diags_init(&d, &a);

    int file = srcmgr_add(&sm, "<fuzz>", (const char *)data, size);
    struct ast_file *f = parse_file(&a, &sm, &d, file);
    if (f) {
        for (int i = 0; i < f->decls.n; i++)
            ast_dump_node(devnull, f->decls.items[i], &sm, 0);
    }
    ast_dump_tokens(devnull, &a, &sm, &d, file);

    /* The file as a whole program (its imports are not followed: their names are simply undefined). */
    if (f && !d.errors) {
        struct ast_file *files[1] = {f};
        struct ast_program prog = {.files = files, .nfiles = 1, .sm = &sm};
        for (int i = 0; i < f->decls.n; i++)
            if (f->decls.items[i]->kind != AST_IMPORT)
                ast_list_push(&a, &prog.decls, f->decls.items[i]);
        struct sema_model *m = sema_analyse(&a, &d, &sm, &prog, NULL, 0);
        if (m && sema_lower(m, NULL, &d))
            sema_print(devnull, m);
    }

    /* The same bytes as a --set value (up to the first NUL, as a command line would give them). */
    char *text = malloc(size + 1);
    memcpy(text, data, size);
    text[size] = 0;
    struct ast_node *e = parse_axis_string(&a, &sm, &d, text);
    if (e)
        ast_dump_node(devnull, e, &sm, 0);
    e = parse_expr_string(&a, &sm, &d, text);
    if (e)
        ast_dump_node(devnull, e, &sm, 0);
    free(text);

    diag_render(devnull, &d, &sm);
    arena_free(&a);
    srcmgr_free(&sm);
    return 0;
}
