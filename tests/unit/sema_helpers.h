/*
 * sema_helpers.h - shared by the test_sema_*.c programs: parse model text (imports from models/lib,
 * tests run from the repo root), analyse it, and capture the rendered diagnostics as a string.
 */
#ifndef TEST_SEMA_HELPERS_H
#define TEST_SEMA_HELPERS_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frontend/parse.h"
#include "sema/internal.h"

struct sema_fixture {
    struct arena arena;
    struct srcmgr sm;
    struct diags diags;
    struct ast_program *prog;
    struct sema_model *model;
    char *errors;          /* rendered diagnostics */
};

static inline void fixture_render(struct sema_fixture *f)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    diag_render(out, &f->diags, &f->sm);
    fclose(out);
    f->errors = arena_strdup(&f->arena, buf ? buf : "");
    free(buf);
}

/* Parses and analyses `text` with optional overrides "NAME=VALUE". */
static inline struct sema_fixture *fixture_analyse(const char *text, const char *const *sets, int nsets)
{
    struct sema_fixture *f = calloc(1, sizeof *f);
    arena_init(&f->arena);
    srcmgr_init(&f->sm);
    diags_init(&f->diags, &f->arena);
    const char *dirs[] = {"models/lib"};
    f->prog = parse_program_string(&f->arena, &f->sm, &f->diags, "test.bn", text, strlen(text), dirs, 1);
    struct sema_override *ov = arena_alloc(&f->arena, sizeof *ov * (size_t)(nsets + 1));
    for (int i = 0; i < nsets; i++) {
        const char *eq = strchr(sets[i], '=');
        ov[i].name = arena_strndup(&f->arena, sets[i], (size_t)(eq - sets[i]));
        ov[i].name_span = SPAN_NONE;
        ov[i].value = parse_axis_string(&f->arena, &f->sm, &f->diags, eq + 1);
    }
    if (f->prog && !f->diags.errors)
        f->model = sema_analyse(&f->arena, &f->diags, &f->sm, f->prog, ov, nsets);
    fixture_render(f);
    return f;
}

static inline void fixture_free(struct sema_fixture *f)
{
    srcmgr_free(&f->sm);
    arena_free(&f->arena);
    free(f);
}

static inline const struct ir_pop *find_pop(const struct ir_model *m, const char *name)
{
    for (int i = 0; i < m->npops; i++)
        if (!strcmp(m->pops[i].name, name))
            return &m->pops[i];
    return NULL;
}

static inline int find_var(const struct ir_pop *p, const char *name)
{
    for (int i = 0; i < p->nvars; i++)
        if (!strcmp(p->vars[i].name, name))
            return i;
    return -1;
}

static inline const struct ir_update *find_update(const struct ir_pop *p, int var)
{
    for (int i = 0; i < p->nupdates; i++)
        if (p->updates[i].var == var)
            return &p->updates[i];
    return NULL;
}


/* Analyses text and asserts that it fails with `want` somewhere in the rendered diagnostics. */
static inline void expect_error(const char *text, const char *want)
{
    struct sema_fixture *f = fixture_analyse(text, NULL, 0);
    const char *errs = f->errors ? f->errors : "";
    if (!strstr(errs, want))
        fputs(want, stderr), fputs(" was wanted in:\n", stderr), fputs(errs, stderr);
    assert_null(f->model);
    assert_non_null(strstr(errs, want));
    fixture_free(f);
}

#endif
