/*
 * resolve.c - scopes and name lookup.  Scopes chain: a record or on-spike scope -> synapse instance ->
 * postsynaptic neuron (per population) -> global (params, variants) -> built-ins (pi, e, inf).
 * Owns: bindings, lookup, and the "undefined name" diagnostic with its did-you-mean and its note at a
 * declaration of the same name elsewhere.  Must not: evaluate anything (check.c does).
 */
#include "sema/internal.h"

#include <string.h>

const char *const bind_decl_name[] = {
    [BD_PARAM] = "param", [BD_VARIANT] = "variant", [BD_ALTERNATIVE] = "variant alternative",
    [BD_CONSTANT] = "constant", [BD_LET] = "let", [BD_STATE] = "state", [BD_BUILTIN] = "built-in",
    [BD_WEIGHT] = "weight",
};

struct binding *scope_add(struct lctx *L, struct scope *s, const char *name, enum bind_kind k, enum bind_decl dk,
                          struct span span)
{
    struct binding *b = arena_alloc(L->a, sizeof *b);
    b->name = name;
    b->kind = k;
    b->decl_kind = dk;
    b->what = bind_decl_name[dk];
    b->span = span;
    b->var = -1;
    ptrvec_push(L->a, &s->binds, b);
    return b;
}

struct binding *scope_find_local(struct scope *s, const char *name)
{
    for (int i = s->binds.len - 1; i >= 0; i--) {
        struct binding *b = s->binds.items[i];
        if (strcmp(b->name, name) == 0)
            return b;
    }
    return NULL;
}

struct binding *scope_lookup(struct scope *s, const char *name)
{
    for (; s; s = s->parent) {
        struct binding *b = scope_find_local(s, name);
        if (b)
            return b;
    }
    return NULL;
}

/* A declaration named `name` anywhere in the program's neurons and synapses, for the note. */
static bool find_elsewhere(struct sema_model *m, const char *name, struct span *where, const char **in,
                           const char **what)
{
    for (int i = 0; i < m->prog->decls.n; i++) {
        struct ast_node *d = m->prog->decls.items[i];
        if (d->kind != AST_NEURON && d->kind != AST_SYNAPSE)
            continue;
        const struct ast_list *lists[2] = {&d->model.params, &d->model.items};
        for (int l = 0; l < 2; l++)
            for (int j = 0; j < lists[l]->n; j++) {
                struct ast_node *it = lists[l]->items[j];
                if ((it->kind == AST_PARAM || it->kind == AST_STATE || it->kind == AST_LET ||
                     it->kind == AST_SYN_PARAM) &&
                    strcmp(it->bind.name, name) == 0) {
                    *where = it->bind.name_span;
                    *in = d->model.name;
                    *what = d->kind == AST_NEURON ? "neuron" : "synapse";
                    return true;
                }
            }
    }
    return false;
}

void scope_undefined(struct lctx *L, struct scope *s, const char *name, struct span at, const char *what)
{
    /* a bare unit where a value belongs (exp(V/mV)): units follow numbers */
    struct ir_dim ud;
    struct unit_scale us;
    char uerr[8];
    if (!scope_lookup(s, name) && unit_parse(name, strlen(name), &ud, &us, uerr, sizeof uerr)) {
        diag_error(L->d, at, "'%s' is a unit, not a value: write 1 %s", name, name);
        return;
    }
    /* a one-letter name is one edit from every other one-letter name: suggest those only at distance 1 */
    struct diag_suggest sg = {.name = name, .max = strlen(name) < 2 ? 1 : 2};
    for (struct scope *p = s; p; p = p->parent)
        for (int i = 0; i < p->binds.len; i++) {
            struct binding *b = p->binds.items[i];
            if (b->kind != BK_WEIGHT || s->inst != NULL)
                diag_suggest(&sg, b->name);
        }
    diag_error(L->d, at, "undefined %s '%s'%s", what, name, diag_suggestion(L->d, &sg, ""));
    struct span where;
    const char *in, *kind;
    if (find_elsewhere(L->m, name, &where, &in, &kind))
        diag_note(L->d, where, "'%s' is declared in %s '%s', which is not visible here", name, kind, in);
}
