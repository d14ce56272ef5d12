/*
 * sema.c - the public entry points of sema.h: analysis (sweep axes, overrides, checking every variant
 * combination), lowering at a sweep point, and the `balnet check -v` summary.
 * Must not: print except in sema_print; exit.
 */
#include "sema/internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int sema_axis_find(const struct sema_model *m, const char *name)
{
    for (int i = 0; i < m->axes.len; i++)
        if (!strcmp(((struct sema_axis *)m->axes.items[i])->name, name))
            return i;
    return -1;
}

const struct sema_override *sema_override_find(const struct sema_model *m, const char *name)
{
    for (int i = m->nov - 1; i >= 0; i--)
        if (!strcmp(m->ov[i].name, name))
            return &m->ov[i];
    return NULL;
}

int sema_naxes(const struct sema_model *m)
{
    return m->axes.len;
}

const struct sema_axis *sema_axis(const struct sema_model *m, int i)
{
    return m->axes.items[i];
}

const char *sema_model_name(const struct sema_model *m)
{
    return m->name;
}

/* ---- sweep axes ------------------------------------------------------------------------------- */

static struct ast_node *find_variant(struct sema_model *m, struct ast_node **items, int n, const char *name)
{
    for (int i = 0; i < n; i++) {
        struct ast_node *d = items[i];
        if (d->kind == AST_VARIANT && !strcmp(d->variant.name, name))
            return d;
        if (d->kind == AST_IF) {
            struct ast_node *r = find_variant(m, d->if_.then.items, d->if_.then.n, name);
            if (!r)
                r = find_variant(m, d->if_.els.items, d->if_.els.n, name);
            if (r)
                return r;
        }
    }
    return NULL;
}

/* Evaluates the value list of an axis (LIST, RANGE or single expression) into ax->values. */
static bool axis_values(struct lctx *L, struct sema_axis *ax, struct ast_node *v, struct ast_node *variant)
{
    struct ptrvec vals = {0};
    struct arena *A = L->a;
    if (ax->kind == SEMA_AXIS_VARIANT || (ax->kind == SEMA_AXIS_SIM && !strcmp(ax->name, "method"))) {
        struct ast_node *single[1] = {v};
        struct ast_node **items = v->kind == AST_LIST ? v->list.items : single;
        int n = v->kind == AST_LIST ? v->list.n : 1;
        for (int i = 0; i < n; i++) {
            struct ast_node *it = items[i];
            bool ok = it->kind == AST_NAME;
            enum sema_method mm = SEMA_METHOD_AUTO;
            if (ok && variant) {
                ok = false;
                for (int j = 0; j < variant->variant.alts.n; j++)
                    ok |= !strcmp(variant->variant.alts.items[j]->name.id, it->name.id);
            } else if (ok)
                ok = solver_method_parse(it->name.id, &mm) && mm != SEMA_METHOD_EXACT;
            if (!ok) {
                if (variant)
                    diag_error(L->d, it->span, "'%s' is not an alternative of variant '%s'",
                               it->kind == AST_NAME ? it->name.id : "this", ax->name);
                else
                    diag_error(L->d, it->span, "a method axis takes auto, euler, rk2 or exp_euler");
                return false;
            }
            struct sema_value *sv = arena_alloc(A, sizeof *sv);
            sv->alt = it->name.id;
            sv->num = mm;
            ptrvec_push(A, &vals, sv);
        }
    } else if (v->kind == AST_RANGE) {
        struct val lo = check_expr(L, &L->global, v->range.lo), hi = check_expr(L, &L->global, v->range.hi);
        struct val st = v->range.step ? check_expr(L, &L->global, v->range.step)
                                      : (struct val){fold_const(A, 1), lo.dim, VK_NUM, NULL};
        double a, b, s;
        if (!check_const(L, lo, v->range.lo->span, "a range bound", &a) ||
            !check_const(L, hi, v->range.hi->span, "a range bound", &b) ||
            !check_const(L, st, v->range.step ? v->range.step->span : v->span, "a range step", &s))
            return false;
        if (!unit_dim_eq(lo.dim, hi.dim) || !unit_dim_eq(lo.dim, st.dim)) {
            diag_error(L->d, v->span, "the bounds and step of a range must have the same dimension (%s, %s, %s)",
                       dimname(L, lo.dim), dimname(L, hi.dim), dimname(L, st.dim));
            return false;
        }
        if (!(s > 0) || !(b >= a) || (b - a) / s > 1e6) {
            diag_error(L->d, v->span, "a range needs low <= high and a positive step, with at most a million values");
            return false;
        }
        long n = (long)floor((b - a) / s + 1e-9) + 1;
        for (long i = 0; i < n; i++) {
            struct sema_value *sv = arena_alloc(A, sizeof *sv);
            sv->num = a + (double)i * s;
            sv->dim = lo.dim;
            ptrvec_push(A, &vals, sv);
        }
    } else {
        struct ast_node *single[1] = {v};
        struct ast_node **items = v->kind == AST_LIST ? v->list.items : single;
        int n = v->kind == AST_LIST ? v->list.n : 1;
        for (int i = 0; i < n; i++) {
            struct val x = check_expr(L, &L->global, items[i]);
            double num;
            if (!x.ir || x.kind != VK_NUM || !check_const(L, x, items[i]->span, "a sweep value", &num)) {
                if (x.ir && x.kind != VK_NUM)
                    diag_error(L->d, items[i]->span, "a sweep value must be a number");
                return false;
            }
            struct sema_value *sv = arena_alloc(A, sizeof *sv);
            sv->num = num;
            sv->dim = x.dim;
            ptrvec_push(A, &vals, sv);
        }
    }
    if (vals.len == 0) {
        diag_error(L->d, v->span, "a sweep axis needs at least one value");
        return false;
    }
    ax->nvalues = vals.len;
    ax->values = arena_alloc(A, sizeof *ax->values * (size_t)vals.len);
    for (int i = 0; i < vals.len; i++)
        ax->values[i] = *(struct sema_value *)vals.items[i];
    /* dimension checks against the declared value */
    struct ir_dim want = unit_dimless();
    if (ax->kind == SEMA_AXIS_PARAM) {
        struct binding *b = scope_find_local(&L->global, ax->name);
        struct val dv = check_binding(L, b, ax->span);
        if (!dv.ir)
            return false;
        want = dv.dim;
    } else if (ax->kind == SEMA_AXIS_ARG) {
        want = ax->values[0].dim;   /* one dimension for all; lower.c checks it against the declaration */
    } else if (ax->kind == SEMA_AXIS_SIM && strcmp(ax->name, "seed") && strcmp(ax->name, "method")) {
        want = unit_dim_time();
    }
    if (ax->kind == SEMA_AXIS_PARAM || ax->kind == SEMA_AXIS_ARG ||
        (ax->kind == SEMA_AXIS_SIM && strcmp(ax->name, "method")) || ax->kind == SEMA_AXIS_TRIAL)
        for (int i = 0; i < ax->nvalues; i++)
            if (!unit_dim_eq(ax->values[i].dim, want)) {
                diag_error(L->d, v->span, "values of '%s' must be %s, but one is %s", ax->name, dimname(L, want),
                           dimname(L, ax->values[i].dim));
                return false;
            }
    if (ax->kind == SEMA_AXIS_TRIAL || (ax->kind == SEMA_AXIS_SIM && !strcmp(ax->name, "seed")))
        for (int i = 0; i < ax->nvalues; i++)
            if (ax->values[i].num != floor(ax->values[i].num) || ax->values[i].num < (ax->kind == SEMA_AXIS_TRIAL)) {
                diag_error(L->d, v->span, "%s values must be %s integers", ax->name,
                           ax->kind == SEMA_AXIS_TRIAL ? "positive" : "non-negative");
                return false;
            }
    if (ax->kind != SEMA_AXIS_VARIANT && strcmp(ax->name, "method")) {
        char buf[96];
        double sc = 1;
        ax->unit = arena_strdup(A, unit_display(want, &sc, buf, sizeof buf));
        ax->unit_scale = sc;
    }
    return true;
}

/* What --set and sweep axes can name, as a note after an unknown name. */
static void settable_note(struct lctx *L, struct span at)
{
    char *params = "", *variants = "";
    for (int i = 0; i < L->global.binds.len; i++) {
        struct binding *c = L->global.binds.items[i];
        char **to = c->decl_kind == BD_PARAM ? &params : c->decl_kind == BD_VARIANT ? &variants : NULL;
        if (to)
            *to = arena_printf(L->a, "%s%s%s", *to, **to ? ", " : "", c->name);
    }
    char *sims = "";
    for (int k = 0; k < SEMA_SIM_COUNT; k++)
        if (k != SEMA_SIM_ORDER)
            sims = arena_printf(L->a, "%s%s, ", sims, sema_sim_names[k]);
    const char *dotted = lower_dotted_names(L, 8);
    diag_note(L->d, at, "what can be set: %s%s%s%s%strial (settings)%s%s", params, *params ? " (params); " : "",
              variants, *variants ? " (variants); " : "", sims, *dotted ? "; population and synapse arguments: " : "",
              dotted);
}

/* Classifies name as an axis kind; false (with an error) when it names nothing sweepable. */
static bool axis_kind(struct lctx *L, struct sema_model *m, const char *name, struct span at,
                      enum sema_axis_kind *k, struct ast_node **variant, const char *ctx)
{
    *variant = NULL;
    if (!strcmp(name, "trial")) {
        *k = SEMA_AXIS_TRIAL;
        return true;
    }
    if (sema_sim_find(name) == SEMA_SIM_ORDER) {   /* a list of phases, itself not a sweepable value (order.c) */
        diag_error(L->d, at, "%s 'order' cannot be swept or set here; write simulate { order = [...] } under an "
                   "'if' on a variant (docs/language.md, \"Simulate and sweep\")", ctx);
        return false;
    }
    if (sema_sim_find(name) < SEMA_SIM_COUNT) {
        *k = SEMA_AXIS_SIM;
        return true;
    }
    if (strchr(name, '.')) {
        *k = SEMA_AXIS_ARG;
        return lower_dotted_check(L, name, at, ctx);
    }
    struct binding *b = scope_find_local(&L->global, name);
    if (b && b->decl_kind == BD_PARAM) {
        *k = SEMA_AXIS_PARAM;
        return true;
    }
    if (b && b->decl_kind == BD_VARIANT) {
        *k = SEMA_AXIS_VARIANT;
        *variant = find_variant(m, (struct ast_node **)m->decls.items, m->decls.len, name);
        return *variant != NULL;
    }
    struct diag_suggest sg = {.name = name};
    for (int i = 0; i < L->global.binds.len; i++) {
        struct binding *c = L->global.binds.items[i];
        if (c->decl_kind == BD_PARAM || c->decl_kind == BD_VARIANT)
            diag_suggest(&sg, c->name);
    }
    diag_error(L->d, at, "%s '%s' is not a param, variant, simulate setting or trial%s", ctx, name,
               diag_suggestion(L->d, &sg, ""));
    settable_note(L, at);
    return false;
}

static void build_axes(struct sema_model *m)
{
    struct lctx *L = lower_begin(m, NULL, NULL, m->d);
    struct sema_axis *trial = NULL;
    struct ptrvec failed = {0};   /* swept names whose values were rejected */
    for (int i = 0; i < m->decls.len; i++) {
        struct ast_node *sw = m->decls.items[i];
        if (sw->kind != AST_SWEEP)
            continue;
        for (int j = 0; j < sw->block.items.n; j++) {
            struct ast_node *it = sw->block.items.items[j];
            enum sema_axis_kind k;
            struct ast_node *variant;
            if (!axis_kind(L, m, it->bind.name, it->bind.name_span, &k, &variant, "sweep axis"))
                continue;
            if (sema_axis_find(m, it->bind.name) >= 0 || (trial && !strcmp(it->bind.name, "trial"))) {
                diag_error(m->d, it->bind.name_span, "'%s' is swept twice", it->bind.name);
                continue;
            }
            struct sema_axis *ax = arena_alloc(m->a, sizeof *ax);
            ax->name = it->bind.name;
            ax->kind = k;
            ax->span = it->bind.name_span;
            const struct sema_override *ov = sema_override_find(m, it->bind.name);
            if (!axis_values(L, ax, ov ? ov->value : it->bind.value, variant)) {
                ptrvec_push(m->a, &failed, (void *)it->bind.name);   /* reported: not again below */
                continue;
            }
            if (k == SEMA_AXIS_TRIAL)
                trial = ax;
            else
                ptrvec_push(m->a, &m->axes, ax);
        }
    }
    /* overrides that are not axes: a single value, checked for a target */
    for (int i = 0; i < m->nov; i++) {
        const struct sema_override *ov = &m->ov[i];
        if (sema_axis_find(m, ov->name) >= 0 || (trial && !strcmp(ov->name, "trial")))
            continue;
        bool reported = false;
        for (int f = 0; f < failed.len; f++)
            reported |= !strcmp(failed.items[f], ov->name);
        if (reported)
            continue;
        enum sema_axis_kind k;
        struct ast_node *variant;
        if (!axis_kind(L, m, ov->name, ov->name_span, &k, &variant, "--set"))
            continue;
        struct binding *pb = k == SEMA_AXIS_PARAM ? scope_find_local(&L->global, ov->name) : NULL;
        if (pb && pb->decl) {
            /* --set N=100 mV on a dimensionless N: say so at the command line, not at every use of N */
            struct val want = check_expr(L, pb->at, pb->decl);
            struct val got = check_binding(L, pb, ov->name_span);
            if (want.ir && got.ir && want.kind == VK_NUM && got.kind == VK_NUM && !unit_dim_eq(want.dim, got.dim)) {
                char a[96], b[96];
                diag_error(m->d, ov->value->span, "--set %s: the value is %s, but '%s' is %s", ov->name,
                           unit_dim_name(got.dim, a, sizeof a), ov->name, unit_dim_name(want.dim, b, sizeof b));
                diag_note(m->d, pb->span, "'%s' declared here", ov->name);
            }
        }
        if (ov->value->kind == AST_LIST || ov->value->kind == AST_RANGE || k == SEMA_AXIS_TRIAL) {
            /* a list for a name that is not swept: make it an axis (the natural reading of --set N=[..]) */
            struct sema_axis *ax = arena_alloc(m->a, sizeof *ax);
            ax->name = ov->name;
            ax->kind = k;
            ax->span = ov->name_span;
            if (!axis_values(L, ax, ov->value, variant))
                continue;
            if (k == SEMA_AXIS_TRIAL)
                trial = ax;
            else
                ptrvec_push(m->a, &m->axes, ax);
        }
    }
    if (trial)
        ptrvec_push(m->a, &m->axes, trial);
}

/* ---- analysis --------------------------------------------------------------------------------- */

static bool same_diag(const struct diag *a, const struct diag *b)
{
    return a->level == b->level && a->span.file == b->span.file && a->span.begin == b->span.begin &&
           a->span.end == b->span.end && !strcmp(a->msg, b->msg);
}

/* Lowers at a combination of swept variant alternatives; new errors are copied with a note naming it. */
static void check_combo(struct sema_model *m, const int *point)
{
    struct diags scratch;
    diags_init(&scratch, m->a);
    lower_model(m, point, &scratch);
    if (!scratch.errors)
        return;
    char *combo = "";
    struct span where = SPAN_NONE;
    for (int i = 0; i < m->axes.len; i++)
        if (point[i] >= 0) {
            struct sema_axis *ax = m->axes.items[i];
            if (where.file < 0)
                where = ax->span;
            combo = arena_printf(m->a, "%s%s%s = %s", combo, *combo ? ", " : "", ax->name, ax->values[point[i]].alt);
        }
    bool copying = false;
    for (struct diag *g = scratch.head; g; g = g->next) {
        if (g->level == DIAG_ERROR) {
            copying = true;
            for (struct diag *h = m->d->head; h && copying; h = h->next)
                copying = !same_diag(g, h);
            if (copying) {
                diag_error(m->d, g->span, "%s", g->msg);
                diag_note(m->d, where, "at the sweep point %s", combo);
            }
        } else if (copying) {
            if (g->level == DIAG_NOTE)
                diag_note(m->d, g->span, "%s", g->msg);
            else
                diag_warning(m->d, g->span, "%s", g->msg);
        }
    }
}

static const char *path_stem(struct arena *a, const char *path, const char **dir)
{
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    *dir = slash ? arena_strndup(a, path, (size_t)(slash - path)) : ".";
    if (slash == path)
        *dir = "/";
    const char *dot = strrchr(base, '.');
    return dot && dot != base ? arena_strndup(a, base, (size_t)(dot - base)) : arena_strdup(a, base);
}

struct sema_model *sema_analyse(struct arena *a, struct diags *d, const struct srcmgr *sm, struct ast_program *prog,
                                const struct sema_override *ov, int nov)
{
    if (!prog)
        return NULL;
    int errors0 = d->errors;
    struct sema_model *m = arena_alloc(a, sizeof *m);
    m->a = a;
    m->d = d;
    m->sm = sm;
    m->prog = prog;
    m->ov = ov;
    m->nov = nov;
    const char *path = prog->nfiles ? prog->files[0]->path : "model.bn";
    m->name = path_stem(a, path, &m->dir);
    for (int i = 0; i < prog->decls.n; i++)
        ptrvec_push(a, &m->decls, prog->decls.items[i]);
    m->analysing = true;    /* stat() folds to placeholders until the model is checked */
    build_axes(m);
    if (d->errors > errors0)
        return NULL;
    lower_model(m, NULL, d);
    if (d->errors > errors0) {
        m->analysing = false;
        return NULL;
    }
    /* every combination of swept variant alternatives (other axes unapplied), at most 256 */
    int nax = m->axes.len;
    int *point = arena_alloc(a, sizeof *point * (size_t)(nax + 1));
    long combos = 1;
    for (int i = 0; i < nax; i++) {
        struct sema_axis *ax = m->axes.items[i];
        point[i] = ax->kind == SEMA_AXIS_VARIANT ? 0 : -1;
        if (ax->kind == SEMA_AXIS_VARIANT)
            combos *= ax->nvalues;
    }
    if (combos > 1 || (combos == 1 && nax)) {
        for (long c = 0; c < combos && c < 256; c++) {
            long r = c;
            for (int i = 0; i < nax; i++) {
                struct sema_axis *ax = m->axes.items[i];
                if (ax->kind != SEMA_AXIS_VARIANT)
                    continue;
                point[i] = (int)(r % ax->nvalues);
                r /= ax->nvalues;
            }
            bool any = false;
            for (int i = 0; i < nax; i++)
                any |= point[i] >= 0;
            if (any)
                check_combo(m, point);
        }
    }
    if (d->errors == errors0)
        measured_check_sweep(m);
    m->analysing = false;
    return d->errors > errors0 ? NULL : m;
}

struct ir_model *sema_lower(struct sema_model *m, const int *value_index, struct diags *d)
{
    int *point = NULL;
    if (value_index) {
        point = arena_alloc(m->a, sizeof *point * (size_t)(m->axes.len + 1));
        for (int i = 0; i < m->axes.len; i++) {
            struct sema_axis *ax = m->axes.items[i];
            point[i] = ax->kind == SEMA_AXIS_TRIAL ? -1 : value_index[i];
            if (point[i] >= ax->nvalues)
                point[i] = ax->nvalues - 1;
        }
    }
    return lower_model(m, point, d);
}
