/*
 * print.c - `balnet check -v` (sema_print), the model hash and the params JSON of run.json.
 * Owns: human- and machine-readable summaries of a checked model.  Must not: change the model.
 * sema_print lowers the default point to show sizes, receptors and the solver chosen per ODE.
 */
#include "sema/internal.h"
#include "support/util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static void print_value(FILE *out, double v, struct ir_dim d)
{
    char buf[96];
    double sc = 1;
    const char *u = unit_display(d, &sc, buf, sizeof buf);
    if (!strcmp(u, "1"))
        fprintf(out, "%g", v);
    else
        fprintf(out, "%g %s", v * sc, u);
}

/* Global params at the default point, in declaration order. */
static void each_param(const struct sema_model *mc, void (*fn)(void *, const char *, struct val), void *ctx)
{
    struct sema_model *m = (struct sema_model *)mc;
    struct diags scratch;
    diags_init(&scratch, m->a);
    struct lctx *L = lower_begin(m, NULL, NULL, &scratch);   /* a param from stat() prints no value */
    for (int i = 0; i < L->global.binds.len; i++) {
        struct binding *b = L->global.binds.items[i];
        if (b->decl_kind != BD_PARAM && b->decl_kind != BD_VARIANT)
            continue;
        fn(ctx, b->name, check_binding(L, b, b->span));
    }
}

static void print_param(void *ctx, const char *name, struct val v)
{
    FILE *out = ctx;
    fprintf(out, "  %s = ", name);
    double x;
    if (v.kind == VK_ALT)
        fprintf(out, "%s (variant)", v.alt);
    else if (fold_is_const(v.ir, &x))
        print_value(out, x, v.dim);
    else if (v.ir) {
        char buf[96];
        fprintf(out, "random (%s)", unit_dim_name(v.dim, buf, sizeof buf));
    }
    fputc('\n', out);
}

static const char *const rule_names[] = {"bernoulli", "in_degree", "out_degree", "one_to_one", "all_to_all"};

static const char *ref_name(const struct ir_model *ir, struct ir_ref r)
{
    return r.is_input ? ir->inputs[r.index].name : ir->pops[r.index].name;
}

void sema_print(FILE *out, const struct sema_model *mc)
{
    struct sema_model *m = (struct sema_model *)mc;
    fprintf(out, "model %s\nparams:\n", m->name);
    each_param(m, print_param, out);
    struct diags scratch;
    diags_init(&scratch, m->a);
    struct ir_model *ir = lower_model(m, NULL, &scratch);
    if (!ir)
        return;
    fprintf(out, "populations:\n");
    for (int i = 0; i < ir->npops; i++) {
        struct ir_pop *p = &ir->pops[i];
        fprintf(out, "  %s = %s[%lld]", p->name, p->neuron, (long long)p->size);
        if (p->refr_var >= 0)
            fprintf(out, ", refractory %g steps", p->refr_steps);
        fputc('\n', out);
        for (int k = 0; k < p->nvars; k++) {
            const struct ir_var *v = &p->vars[k];
            const char *solver = "none";
            for (int u = 0; u < p->nupdates; u++)
                if (p->updates[u].var == k)
                    solver = solver_name[p->updates[u].solver];
            char buf[96];
            if (v->kind == IR_VAR_NOISE)   /* a fresh normal each step, from the Philox noise stream */
                solver = "philox normal";
            if (v->kind == IR_VAR_PARAM)   /* drawn, or computed from drawn params, once at build time */
                solver = "per neuron";
            fprintf(out, "    %-24s %-12s %s%s\n", v->name,
                    v->kind == IR_VAR_RECEPTOR ? "receptor" : v->kind == IR_VAR_REFRACTORY ? "refractory"
                    : v->kind == IR_VAR_NOISE ? "white noise" : v->kind == IR_VAR_PARAM ? "param" : "state",
                    v->kind == IR_VAR_REFRACTORY ? "counter" : solver,
                    v->kind == IR_VAR_REFRACTORY ? "" : arena_printf(m->a, " [%s]", unit_dim_name(v->dim, buf, sizeof buf)));
        }
    }
    if (ir->ninputs)
        fprintf(out, "inputs:\n");
    for (int i = 0; i < ir->ninputs; i++) {
        struct ir_input *in = &ir->inputs[i];
        if (in->kind == IR_INPUT_FILE)
            fprintf(out, "  %s = spikes(\"%s\") [%lld]\n", in->name, in->path, (long long)in->size);
        else if (in->rate_t)
            ir_input_rate_print(out, in);
        else
            fprintf(out, "  %s = poisson[%lld] rate %g Hz, correlation %g, jitter %g ms\n", in->name,
                    (long long)in->size, in->rate * 1000, in->corr, in->jitter);
    }
    if (ir->nprojs)
        fprintf(out, "connections:\n");
    for (int i = 0; i < ir->nprojs; i++) {
        struct ir_proj *pr = &ir->projs[i];
        fprintf(out, "  %s -> %s via %s %s", ref_name(ir, pr->pre), ref_name(ir, pr->post), pr->synapse,
                rule_names[pr->rule]);
        if (pr->rule == IR_RULE_BERNOULLI)
            fprintf(out, "(%g)", pr->p);
        else if (pr->rule == IR_RULE_IN_DEGREE || pr->rule == IR_RULE_OUT_DEGREE)
            fprintf(out, "(%lld)", (long long)pr->k);
        double x;
        fprintf(out, " weight ");
        if (fold_is_const(pr->weight, &x))
            print_value(out, x, pr->weight_dim);
        else
            fprintf(out, "random");
        fprintf(out, " delay ");
        if (fold_is_const(pr->delay, &x))
            fprintf(out, "%g ms", x);
        else
            fprintf(out, "random");
        for (int k = 0; k < pr->nincs; k++)
            fprintf(out, "%s%s += %g*w", k ? ", " : "; on spike ", ir->pops[pr->post.index].vars[pr->incs[k].var].name,
                    pr->incs[k].scale);
        fputc('\n', out);
        /* plastic: where each event state lives and how it is integrated (lower_plastic.c) */
        for (int s = 0; pr->plastic && s < pr->plastic->nstates; s++) {
            const struct ir_pl_state *st = &pr->plastic->states[s];
            fprintf(out, "    %-24s %-11s %s", st->name, ir_pl_where_name[st->where],
                    st->where == IR_PL_SYN ? "(float) " : "");
            if (st->init_draw)
                fprintf(out, "random initial value, ");
            if (!st->decays)
                fprintf(out, "constant between events");
            else if (st->a == 0)
                fprintf(out, "event-driven, exact: linear drift %g per ms", st->b);
            else
                fprintf(out, "event-driven, exact: tau %g ms, relaxes to %g", -1 / st->a, -st->b / st->a);
            char dbuf[64];
            fprintf(out, " [%s]\n", unit_dim_name(st->dim, dbuf, sizeof dbuf));
        }
    }
    if (ir->nrecords)
        fprintf(out, "records:\n");
    for (int i = 0; i < ir->nrecords; i++) {
        struct ir_record *r = &ir->records[i];
        fprintf(out, "  ");
        for (int k = 0; k < r->npops; k++)
            fprintf(out, "%s%s", k ? ", " : "", ir->pops[r->pops[k]].name);
        if (r->pooled)
            fprintf(out, "%sall", r->npops ? ", " : "");
        fprintf(out, ":");
        for (int k = 0; k < r->nstats; k++)
            if (r->stats[k].name[0] != '_')
                fprintf(out, " %s [%s]", r->stats[k].name, r->stats[k].unit);
        fputc('\n', out);
    }
    fprintf(out, "simulate: dt %g ms, duration %g ms, burn_in %g ms, seed %llu, precision %s\n", ir->dt, ir->duration,
            ir->burn_in, (unsigned long long)ir->seed, ir->precision == IR_DOUBLE ? "double" : "single");
    fprintf(out, "order:");
    for (int k = 0; k < ir->norder; k++)
        fprintf(out, "%s%s", k ? ", " : " ", ir_phase_name[ir->order[k]]);
    fputc('\n', out);
    if (m->unchecked.len)
        fprintf(out, "checked without a connection, parameters without a default inferred:\n");
    for (int i = 0; i < m->unchecked.len; i++)
        fprintf(out, "  %s\n", (const char *)m->unchecked.items[i]);
    if (m->axes.len)
        fprintf(out, "sweep:\n");
    for (int i = 0; i < m->axes.len; i++) {
        struct sema_axis *ax = m->axes.items[i];
        fprintf(out, "  %s in [", ax->name);
        for (int k = 0; k < ax->nvalues; k++) {
            if (ax->values[k].alt)
                fprintf(out, "%s%s", k ? ", " : "", ax->values[k].alt);
            else
                fprintf(out, "%s%g%s%s", k ? ", " : "", ax->values[k].num * ax->unit_scale,
                        ax->unit && strcmp(ax->unit, "1") ? " " : "", ax->unit && strcmp(ax->unit, "1") ? ax->unit : "");
        }
        fprintf(out, "]\n");
    }
}

/* FNV-1a over n bytes and a terminating NUL (which separates consecutive texts). */
static uint64_t fnv_bytes(uint64_t h, const char *s, size_t n)
{
    for (size_t k = 0; k <= n; k++)
        h = (h ^ (k < n ? (unsigned char)s[k] : 0u)) * 1099511628211ull;
    return h;
}

/* The data files a source names: its string literals are only import paths (already among the sources)
 * and the files of spikes(), per_neuron() and timed(), which resolve against the root file's directory.
 * Each literal's name is hashed, and the bytes of the file it names when that is a readable file, so an
 * edited cells.csv or signal.csv changes the hash as an edited model does.  The scan follows the lexer:
 * '#' starts a comment outside a string; \" \\ \n \t are a string's escapes. */
static uint64_t hash_data_files(const struct sema_model *m, uint64_t h, const char *t, size_t len)
{
    char path[4096];
    for (size_t k = 0; k < len; k++) {
        if (t[k] == '#') {
            while (k < len && t[k] != '\n')
                k++;
            continue;
        }
        if (t[k] != '"')
            continue;
        size_t n = 0;
        for (k++; k < len && t[k] != '"' && t[k] != '\n'; k++) {
            char c = t[k];
            if (c == '\\' && k + 1 < len) {
                c = t[++k];
                c = c == 'n' ? '\n' : c == 't' ? '\t' : c;
            }
            if (n + 1 < sizeof path)
                path[n++] = c;
        }
        path[n] = 0;
        h = fnv_bytes(h, path, n);
        size_t flen;
        char *data = n ? util_read_file(arena_path_join(m->a, m->dir ? m->dir : ".", path), 0, &flen) : NULL;
        if (data)
            h = fnv_bytes(h, data, flen);
        free(data);
    }
    return h;
}

const char *sema_model_hash(const struct sema_model *m)
{
    /* Every loaded source, the "<command line>" texts of --set NAME=VALUE included, and the data files the
     * sources name: a resumed sweep must run the same model with the same overrides and data, or its
     * points.csv would mix two experiments. */
    uint64_t h = 1469598103934665603ull;
    for (int i = 0; m->sm && i < m->sm->n; i++)
        h = fnv_bytes(h, m->sm->files[i].text, m->sm->files[i].len);
    for (int i = 0; m->sm && i < m->sm->n; i++)
        h = hash_data_files(m, h, m->sm->files[i].text, m->sm->files[i].len);
    return arena_printf(m->a, "%016llx", (unsigned long long)h);
}

struct json_ctx {
    struct arena *a;
    char *s;
    int n;
};

static void json_param(void *ctx, const char *name, struct val v)
{
    struct json_ctx *j = ctx;
    double x;
    const char *sep = j->n++ ? ", " : "";
    if (v.kind == VK_ALT)
        j->s = arena_printf(j->a, "%s%s\"%s\": {\"value\": \"%s\"}", j->s, sep, name, v.alt);
    else if (fold_is_const(v.ir, &x) && isfinite(x)) {
        char buf[96];
        double sc = 1;
        const char *u = unit_display(v.dim, &sc, buf, sizeof buf);
        j->s = arena_printf(j->a, "%s%s\"%s\": {\"value\": %.17g, \"unit\": \"%s\"}", j->s, sep, name, x * sc, u);
    } else
        j->s = arena_printf(j->a, "%s%s\"%s\": {\"value\": null}", j->s, sep, name);
}

void sema_params_json(const struct sema_model *m, const char **out, struct arena *a)
{
    struct json_ctx j = {a, "", 0};
    each_param(m, json_param, &j);
    *out = arena_printf(a, "{%s}", j.s);
}
