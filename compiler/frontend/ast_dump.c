/*
 * ast_dump.c - the indented AST dump of `balnet dump --emit=ast`, also used by the golden tests.
 *
 * Owns: the text format, one node per line:
 *     <line>:<col> <kind> <details>
 * children indented by two spaces, list children introduced by a "<field>:" line when a node has more than
 * one list.  Must not: change the tree.  The dump is meant to be stable (tests compare it).
 */
#include "frontend/ast.h"

#include <stdlib.h>
#include <string.h>

struct dumper {
    FILE *out;
    const struct srcmgr *sm;
    /* line starts of the file last asked about (spans of one dump are mostly in one file) */
    int file;
    uint32_t *starts;
    int nstarts;
};

static void where(struct dumper *D, struct span s, int *line, int *col)
{
    if (s.file < 0 || !D->sm || s.file >= D->sm->n) {
        *line = *col = 0;
        return;
    }
    if (s.file != D->file) {
        free(D->starts);
        D->starts = NULL;
        D->nstarts = 0;
        D->file = s.file;
        const struct src_file *f = &D->sm->files[s.file];
        int n = 1;
        for (size_t i = 0; i < f->len; i++)
            n += f->text[i] == '\n';
        D->starts = malloc(sizeof *D->starts * (size_t)n);
        if (!D->starts) {
            D->file = -1;
            *line = *col = 0;
            return;
        }
        D->starts[D->nstarts++] = 0;
        for (size_t i = 0; i < f->len; i++)
            if (f->text[i] == '\n')
                D->starts[D->nstarts++] = (uint32_t)i + 1;
    }
    int lo = 0, hi = D->nstarts - 1;           /* last start <= s.begin */
    while (lo < hi) {
        int mid = (lo + hi + 1) / 2;
        if (D->starts[mid] <= s.begin)
            lo = mid;
        else
            hi = mid - 1;
    }
    *line = lo + 1;
    *col = (int)(s.begin - D->starts[lo]) + 1;
}

static void head(struct dumper *D, int indent, struct span s, const char *kind)
{
    int line, col;
    where(D, s, &line, &col);
    fprintf(D->out, "%*s%d:%d %s", indent * 2, "", line, col, kind);
}

static void node(struct dumper *D, const struct ast_node *n, int indent);

static void list(struct dumper *D, const char *label, const struct ast_list *l, int indent)
{
    if (label) {
        if (l->n == 0)
            return;
        fprintf(D->out, "%*s%s:\n", indent * 2, "", label);
        indent++;
    }
    for (int i = 0; i < l->n; i++)
        node(D, l->items[i], indent);
}

static void opt(struct dumper *D, const char *label, const struct ast_node *n, int indent)
{
    if (!n)
        return;
    fprintf(D->out, "%*s%s:\n", indent * 2, "", label);
    node(D, n, indent + 1);
}

static void node(struct dumper *D, const struct ast_node *n, int indent)
{
    if (!n) {
        fprintf(D->out, "%*s(null)\n", indent * 2, "");
        return;
    }
    FILE *o = D->out;
    head(D, indent, n->span, ast_kind_name(n->kind));
    int in = indent + 1;
    switch (n->kind) {
    case AST_NUMBER:
        fprintf(o, " %s", n->num.text);
        if (n->num.unit)
            fprintf(o, " unit=%s", n->num.unit);
        fputc('\n', o);
        break;
    case AST_NAME:
        fprintf(o, " %s\n", n->name.id);
        break;
    case AST_BOOL:
        fprintf(o, " %s\n", n->boolean ? "true" : "false");
        break;
    case AST_STRING:
        fprintf(o, " \"%s\"\n", n->string);
        break;
    case AST_UNARY:
        fprintf(o, " %s\n", ast_unop_str(n->unary.op));
        node(D, n->unary.operand, in);
        break;
    case AST_BINARY:
        fprintf(o, " %s\n", ast_binop_str(n->binary.op));
        node(D, n->binary.lhs, in);
        node(D, n->binary.rhs, in);
        break;
    case AST_COND:
        fputc('\n', o);
        node(D, n->cond.cond, in);
        node(D, n->cond.then, in);
        node(D, n->cond.els, in);
        break;
    case AST_CALL:
        fprintf(o, " %s\n", n->call.name);
        list(D, NULL, &n->call.args, in);
        break;
    case AST_LIST:
        fputc('\n', o);
        list(D, NULL, &n->list, in);
        break;
    case AST_RANGE:
        fputc('\n', o);
        node(D, n->range.lo, in);
        node(D, n->range.hi, in);
        opt(D, "step", n->range.step, in);
        break;
    case AST_ARG:
    case AST_STAT:
    case AST_PARAM:
    case AST_STATE:
    case AST_LET:
    case AST_SYN_PARAM:
    case AST_SETTING:
    case AST_AXIS:
        if (n->bind.name)
            fprintf(o, " %s", n->bind.name);
        fputc('\n', o);
        if (n->bind.value)
            node(D, n->bind.value, in);
        break;
    case AST_ODE:
        fprintf(o, " %s", n->ode.var);
        if (n->ode.method)
            fprintf(o, " method=%s", n->ode.method);
        fputc('\n', o);
        node(D, n->ode.rhs, in);
        break;
    case AST_SPIKE:
        fputc('\n', o);
        node(D, n->spike.cond, in);
        list(D, "resets", &n->spike.resets, in);
        break;
    case AST_REFRACTORY:
    case AST_CURRENT:
        fputc('\n', o);
        node(D, n->item.value, in);
        break;
    case AST_ASSIGN:
        fprintf(o, " %s %s\n", n->assign.target, ast_assign_str(n->assign.op));
        node(D, n->assign.value, in);
        break;
    case AST_ON_SPIKE:
        fprintf(o, " %s%s%s\n", n->on_spike.event ? n->on_spike.event : "", n->on_spike.event ? " " : "",
                n->on_spike.weight);
        list(D, NULL, &n->on_spike.assigns, in);
        break;
    case AST_IMPORT:
        if (n->import.name)
            fprintf(o, " %s\n", n->import.name);
        else
            fprintf(o, " \"%s\"\n", n->import.path);
        break;
    case AST_VARIANT:
        fprintf(o, " %s\n", n->variant.name);
        list(D, NULL, &n->variant.alts, in);
        break;
    case AST_NEURON:
    case AST_SYNAPSE:
        fprintf(o, " %s\n", n->model.name);
        list(D, "params", &n->model.params, in);
        list(D, NULL, &n->model.items, in);
        break;
    case AST_POPULATION:
        fprintf(o, " %s model=%s\n", n->population.name, n->population.model);
        node(D, n->population.size, in);
        list(D, NULL, &n->population.args, in);
        break;
    case AST_INPUT:
        if (n->input.kind == AST_INPUT_SPIKES) {
            fprintf(o, " %s spikes \"%s\"\n", n->input.name, n->input.path);
        } else {
            fprintf(o, " %s poisson\n", n->input.name);
            node(D, n->input.size, in);
            list(D, NULL, &n->input.args, in);
        }
        break;
    case AST_CONNECT:
        fprintf(o, " %s -> %s %s%s\n", n->connect.pre, n->connect.post, ast_rule_str(n->connect.rule),
                n->connect.autapses ? " autapses" : "");
        opt(D, "synapse", n->connect.synapse, in);
        opt(D, "rule", n->connect.rule_arg, in);
        opt(D, "weight", n->connect.weight, in);
        opt(D, "delay", n->connect.delay, in);
        break;
    case AST_RECORD:
        fputc('\n', o);
        list(D, "pops", &n->record.pops, in);
        list(D, "stats", &n->record.stats, in);
        break;
    case AST_SIMULATE:
    case AST_SWEEP:
        fputc('\n', o);
        list(D, NULL, &n->block.items, in);
        break;
    case AST_IF:
        fputc('\n', o);
        node(D, n->if_.cond, in);
        list(D, "then", &n->if_.then, in);
        list(D, "else", &n->if_.els, in);
        break;
    case AST_KIND_COUNT:
        fputc('\n', o);
        break;
    }
}

void ast_dump_node(FILE *out, const struct ast_node *n, const struct srcmgr *sm, int indent)
{
    struct dumper D = {out, sm, -1, NULL, 0};
    node(&D, n, indent);
    free(D.starts);
}

void ast_dump(FILE *out, const struct ast_program *p)
{
    struct dumper D = {out, p->sm, -1, NULL, 0};
    for (int i = 0; i < p->nfiles; i++) {
        const struct ast_file *f = p->files[i];
        fprintf(out, "file %s\n", f->path);
        list(&D, NULL, &f->decls, 1);
    }
    free(D.starts);
}
