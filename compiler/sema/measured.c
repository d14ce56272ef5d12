/*
 * measured.c - `stat(POP, STAT [, AXIS = VALUE]...)`: a parameter measured at another point of the sweep
 * (docs/language.md "Measured parameters").  Its first use is the effective-time-constant model of
 * SCIENCE.md §2: a current-based network with g_L,eff = g_L + <g_e + g_i + g_x> and E_L,eff = <V> taken
 * from the conductance run at the same point (Zhu, Ocker & Rosenbaum 2026).
 *
 * Owns: the checks of a stat() call (population, statistic, axes and their values, no self-dependency,
 * not inside a record), its dimension and display unit (those of the statistic recorded at the point it
 * names), the dependencies of a point, the look-up of a measured value through the caller's callback (api/sweep.c),
 * and the whole-sweep cycle check.  Must not: read results files or schedule points (api/ and sched/ do,
 * through sema.h), print, or exit.
 *
 * How a call evaluates depends on why the model is lowered (struct measured, internal.h):
 *   CHECK   analysis: a placeholder, 1 in the statistic's display unit, so everything else type-checks;
 *   DEPS    sema_point_deps: the same placeholder, and the point named is recorded as a dependency;
 *   LOOKUP  sema_lower_measured: the caller's value (display units, as in points.csv) / unit_scale;
 *   FORBID  sema_lower: an error, since the point needs measurements (L->meas NULL outside analysis).
 * What a point records can differ between variants (records inside `if`), so the statistic is looked up
 * in the model lowered at the point named; those models are cached per point in struct sema_model.
 */
#include "sema/internal.h"

#include <math.h>
#include <string.h>

/* The call as written, blanks and line breaks collapsed to one space, for messages. */
static const char *call_text(struct lctx *L, struct span s)
{
    const struct srcmgr *sm = L->m->sm;
    if (s.file < 0 || !sm || s.file >= sm->n)
        return "stat(...)";
    const char *t = sm->files[s.file].text;
    char *out = arena_alloc(L->a, s.end - s.begin + 1);
    size_t n = 0;
    bool blank = false;
    for (uint32_t i = s.begin; i < s.end; i++) {
        char c = t[i];
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
            blank = true;
            continue;
        }
        if (blank && n && out[n - 1] != '(')
            out[n++] = ' ';
        blank = false;
        out[n++] = c;
    }
    out[n] = 0;
    return out;
}

static int trial_axis(const struct sema_model *m)
{
    for (int i = 0; i < m->axes.len; i++)
        if (((struct sema_axis *)m->axes.items[i])->kind == SEMA_AXIS_TRIAL)
            return i;
    return -1;
}

const char *measured_point_name(struct sema_model *m, const int *point, int trial)
{
    char *s = "";
    for (int i = 0; i < m->axes.len; i++) {
        const struct sema_axis *ax = m->axes.items[i];
        int k = ax->kind == SEMA_AXIS_TRIAL ? trial : point ? point[i] : -1;
        if (k < 0 || k >= ax->nvalues)
            continue;
        const struct sema_value *v = &ax->values[k];
        const char *sep = *s ? ", " : "";
        if (v->alt)
            s = arena_printf(m->a, "%s%s%s = %s", s, sep, ax->name, v->alt);
        else if (ax->unit && strcmp(ax->unit, "1") != 0)
            s = arena_printf(m->a, "%s%s%s = %g %s", s, sep, ax->name, v->num * ax->unit_scale, ax->unit);
        else
            s = arena_printf(m->a, "%s%s%s = %g", s, sep, ax->name, v->num * ax->unit_scale);
    }
    return *s ? s : "the default point";
}

static bool same_point(const int *a, const int *b, int n)
{
    for (int i = 0; i < n; i++)
        if (a[i] != b[i])
            return false;
    return true;
}

/* ---- the model at the point named ------------------------------------------------------------- */

struct meas_cache {
    int *point;
    int state;              /* 1: being lowered, 2: done */
    struct ir_model *ir;
    const struct diag *error;   /* the first error of that lowering, NULL when none */
    const char *cycle;      /* that lowering ran into a loop of stat() calls (its records are partial) */
};

/* The model lowered at dep (its stat() calls folded to placeholders).  NULL while that point is itself
 * being lowered further up: a chain of stat() calls that loops back (a cycle, which the sweep check and
 * the self-dependency check report); the caller then gives up silently. */
static struct ir_model *dep_model(struct lctx *L, const int *dep, const struct diag **error)
{
    *error = NULL;
    struct sema_model *m = L->m;
    int n = m->axes.len;
    for (int i = 0; i < m->meas_cache.len; i++) {
        struct meas_cache *c = m->meas_cache.items[i];
        if (same_point(c->point, dep, n)) {
            *error = c->error;
            if (c->state == 2 && c->cycle && !m->meas_cycle)
                m->meas_cycle = c->cycle;
            if (c->state == 2)
                return c->cycle ? NULL : c->ir;
            /* in progress: the entries from c on are the chain of points being lowered, each needing
             * the next, and the last needs c again */
            if (!m->meas_cycle) {
                const char *chain = "";
                for (int j = i; j < m->meas_cache.len; j++) {
                    struct meas_cache *q = m->meas_cache.items[j];
                    if (q->state == 1)
                        chain = arena_printf(m->a, "%s(%s) -> ", chain, measured_point_name(m, q->point, -1));
                }
                m->meas_cycle = arena_printf(m->a, "%s(%s)", chain, measured_point_name(m, c->point, -1));
            }
            return NULL;
        }
    }
    if (m->meas_depth > 64)
        return NULL;
    struct meas_cache *c = arena_alloc(m->a, sizeof *c);
    c->point = arena_alloc(m->a, sizeof *c->point * (size_t)(n + 1));
    memcpy(c->point, dep, sizeof *dep * (size_t)n);
    c->state = 1;
    ptrvec_push(m->a, &m->meas_cache, c);
    struct diags scratch;
    diags_init(&scratch, m->a);
    struct measured nested = {.mode = MEAS_CHECK};
    const char *cycle0 = m->meas_cycle;
    m->meas_depth++;
    c->ir = lower_model_ex(m, c->point, &nested, &scratch, true);
    m->meas_depth--;
    c->state = 2;
    if (m->meas_cycle != cycle0) {
        c->cycle = m->meas_cycle;
        return NULL;
    }
    for (const struct diag *x = scratch.head; x && !c->error; x = x->next)
        if (x->level == DIAG_ERROR)
            c->error = x;
    *error = c->error;
    return c->ir;
}

static const struct ir_stat *find_stat(const struct ir_model *ir, const char *pop, const char *stat)
{
    bool all = !strcmp(pop, "all");
    for (int r = 0; r < ir->nrecords; r++) {
        const struct ir_record *rec = &ir->records[r];
        bool has = all && rec->pooled;
        for (int i = 0; i < rec->npops && !has; i++)
            has = !strcmp(ir->pops[rec->pops[i]].name, pop);
        for (int k = 0; has && k < rec->nstats; k++)
            if (!strcmp(rec->stats[k].name, stat))
                return &rec->stats[k];
    }
    return NULL;
}

/* Why find_stat failed: an unknown population, one that is not recorded, or an unknown statistic
 * (listing the ones recorded, with a did-you-mean). */
static void stat_missing(struct lctx *L, const struct ir_model *ir, struct ast_node *popn, struct ast_node *statn,
                         const char *where)
{
    const char *pop = popn->name.id, *stat = statn->name.id;
    bool all = !strcmp(pop, "all"), known = all, recorded = false;
    for (int i = 0; i < ir->npops && !known; i++)
        known = !strcmp(ir->pops[i].name, pop);
    if (!known) {
        for (int i = 0; i < ir->ninputs; i++)
            if (!strcmp(ir->inputs[i].name, pop)) {
                diag_error(L->d, popn->span, "'%s' is an input; stat() takes a recorded population or all", pop);
                return;
            }
        struct diag_suggest sg = {.name = pop};
        for (int i = 0; i < ir->npops; i++)
            diag_suggest(&sg, ir->pops[i].name);
        diag_error(L->d, popn->span, "unknown population '%s' at the point %s%s", pop, where,
                   diag_suggestion(L->d, &sg, ""));
        return;
    }
    struct diag_suggest sg = {.name = stat};
    char *names = "";
    for (int r = 0; r < ir->nrecords; r++) {
        const struct ir_record *rec = &ir->records[r];
        bool has = all && rec->pooled;
        for (int i = 0; i < rec->npops && !has; i++)
            has = !strcmp(ir->pops[rec->pops[i]].name, pop);
        recorded |= has;
        for (int k = 0; has && k < rec->nstats; k++) {
            const char *sn = rec->stats[k].name;
            if (sn[0] == '_')   /* the hidden operands of derived statistics */
                continue;
            names = arena_printf(L->a, "%s%s%s", names, *names ? ", " : "", sn);
            diag_suggest(&sg, sn);
        }
    }
    if (!recorded)
        diag_error(L->d, popn->span, "%s '%s' is not recorded at the point %s (add it to a record)",
                   all ? "the pooled population" : "population", pop, where);
    else
        diag_error(L->d, statn->span, "'%s' is not recorded for %s at the point %s%s", stat, pop, where,
                   diag_suggestion(L->d, &sg, arena_printf(L->a, " (recorded: %s)", names)));
}

/* ---- AXIS = VALUE ----------------------------------------------------------------------------- */

/* The axis an AXIS = VALUE names, or -1 with an error. */
static int axis_of(struct lctx *L, struct ast_node *arg)
{
    struct sema_model *m = L->m;
    const char *name = arg->bind.name;
    int k = sema_axis_find(m, name);
    if (k >= 0 && ((struct sema_axis *)m->axes.items[k])->kind != SEMA_AXIS_TRIAL)
        return k;
    if (!strcmp(name, "trial")) {
        diag_error(L->d, arg->bind.name_span, "stat() always reads the same trial; 'trial' cannot be set");
        return -1;
    }
    struct binding *b = scope_find_local(&L->global, name);
    if (b && (b->decl_kind == BD_PARAM || b->decl_kind == BD_VARIANT)) {
        diag_error(L->d, arg->bind.name_span, "'%s' is not swept: stat() can only name another point of the sweep",
                   name);
        return -1;
    }
    struct diag_suggest sg = {.name = name};
    for (int i = 0; i < m->axes.len; i++) {
        const struct sema_axis *ax = m->axes.items[i];
        if (ax->kind != SEMA_AXIS_TRIAL)
            diag_suggest(&sg, ax->name);
    }
    diag_error(L->d, arg->bind.name_span, "'%s' is not a sweep axis%s", name, diag_suggestion(L->d, &sg, ""));
    return -1;
}

static const char *axis_values_text(struct lctx *L, const struct sema_axis *ax)
{
    char *s = "";
    for (int i = 0; i < ax->nvalues; i++) {
        const struct sema_value *v = &ax->values[i];
        s = v->alt ? arena_printf(L->a, "%s%s%s", s, i ? ", " : "", v->alt)
                   : arena_printf(L->a, "%s%s%g", s, i ? ", " : "", v->num * ax->unit_scale);
    }
    return s;
}

/* The value index VALUE names on axis ax, or -1 with an error.  A numeric value is a constant expression
 * in the global scope, matched to a sweep value to a relative 1e-9 (10*N/10 is N). */
static int value_of(struct lctx *L, const struct sema_axis *ax, struct ast_node *e)
{
    if (ax->kind == SEMA_AXIS_VARIANT || (ax->kind == SEMA_AXIS_SIM && !strcmp(ax->name, "method"))) {
        for (int i = 0; e->kind == AST_NAME && i < ax->nvalues; i++)
            if (ax->values[i].alt && !strcmp(ax->values[i].alt, e->name.id))
                return i;
        diag_error(L->d, e->span, "'%s' is not a value of the sweep axis '%s' (%s)",
                   e->kind == AST_NAME ? e->name.id : call_text(L, e->span), ax->name, axis_values_text(L, ax));
        return -1;
    }
    struct val v = check_expr(L, &L->global, e);
    double x;
    if (!v.ir)
        return -1;
    if (!check_const(L, v, e->span, "a sweep value in stat()", &x))
        return -1;
    if (ax->nvalues && !unit_dim_eq(v.dim, ax->values[0].dim)) {
        diag_error(L->d, e->span, "a value of '%s' must be %s but is %s", ax->name, dimname(L, ax->values[0].dim),
                   dimname(L, v.dim));
        return -1;
    }
    for (int i = 0; i < ax->nvalues; i++) {
        double y = ax->values[i].num;
        if (fabs(x - y) <= 1e-9 * fmax(fabs(x), fabs(y)))
            return i;
    }
    diag_error(L->d, e->span, "%s = %g is not a value of the sweep axis '%s' (%s)", ax->name, x * ax->unit_scale,
               ax->name, axis_values_text(L, ax));
    return -1;
}

/* ---- the call --------------------------------------------------------------------------------- */

/* stat(POP, STAT [, AXIS = VALUE]...)
 * POP: a recorded population or `all`; STAT: a statistic name as in points.csv; the point named is this
 * point with the axes set, same trial. */
struct val measured_call(struct lctx *L, struct scope *s, struct ast_node *e)
{
    (void)s;
    struct sema_model *m = L->m;
    const char *text = call_text(L, e->span);
    if (L->rec || L->derived) {
        diag_error(L->d, e->span, "stat() cannot be used in a record: a statistic is measured at its own point");
        return val_bad();
    }
    int n = e->call.args.n;
    struct ast_node **args = e->call.args.items;
    if (n < 2 || args[0]->bind.name || args[1]->bind.name || args[0]->bind.value->kind != AST_NAME ||
        args[1]->bind.value->kind != AST_NAME) {
        diag_error(L->d, e->span, "stat() takes a population (or all), a statistic and AXIS = VALUE settings, "
                   "e.g. stat(E, v_mean, syn = conductance)");
        return val_bad();
    }
    struct ast_node *popn = args[0]->bind.value, *statn = args[1]->bind.value;
    int nax = m->axes.len, trial = trial_axis(m);
    int *dep = arena_alloc(L->a, sizeof *dep * (size_t)(nax + 1));
    int *here = arena_alloc(L->a, sizeof *here * (size_t)(nax + 1));
    for (int i = 0; i < nax; i++)
        here[i] = dep[i] = i == trial || !L->point ? -1 : L->point[i];
    bool ok = true;
    for (int i = 2; i < n; i++) {
        struct ast_node *arg = args[i];
        if (!arg->bind.name) {
            diag_error(L->d, arg->span, "after the population and the statistic, stat() takes AXIS = VALUE");
            ok = false;
            continue;
        }
        int k = axis_of(L, arg);
        if (k < 0) {
            ok = false;
            continue;
        }
        for (int j = 2; j < i; j++)
            if (args[j]->bind.name && !strcmp(args[j]->bind.name, arg->bind.name)) {
                diag_error(L->d, arg->bind.name_span, "'%s' is set twice", arg->bind.name);
                ok = false;
            }
        int vi = value_of(L, m->axes.items[k], arg->bind.value);
        if (vi < 0)
            ok = false;
        else
            dep[k] = vi;
    }
    if (!ok)
        return val_bad();
    bool self = same_point(dep, here, nax);
    if (L->meas && L->meas->mode == MEAS_DEPS) {
        struct meas_dep *md = arena_alloc(L->a, sizeof *md);
        md->point = dep;
        md->call = e->span;
        ptrvec_push(L->a, &L->meas->deps, md);
    }
    if (self) {
        diag_error(L->d, e->span, "%s names the point being computed (%s): a point cannot use its own statistics",
                   text, measured_point_name(m, here, -1));
        return val_bad();
    }
    const struct diag *dep_error;
    struct ir_model *dm = dep_model(L, dep, &dep_error);
    if (m->meas_depth == 0 && m->meas_cycle) {
        /* the nested lowerings found a loop: report it here, at the call that entered it */
        diag_error(L->d, e->span, "stat() makes points of the sweep need each other's statistics in a cycle: %s",
                   m->meas_cycle);
        m->meas_cycle = NULL;
        return val_bad();
    }
    if (!dm)
        return val_bad();   /* inside a loop of stat() calls: reported by the outermost call */
    const struct ir_stat *st = find_stat(dm, popn->name.id, statn->name.id);
    if (!st && dep_error && dep_error->span.file == e->span.file && dep_error->span.begin == e->span.begin) {
        /* this very call fails at the point it names (a self-dependency there): that point reports it */
        return val_bad();
    }
    if (!st && dep_error) {
        /* the records there may be incomplete because of that error: report it rather than guess */
        diag_error(L->d, e->span, "%s names the point %s, which has errors: %s", text,
                   measured_point_name(m, dep, -1), dep_error->msg);
        diag_note(L->d, dep_error->span, "the first error at %s", measured_point_name(m, dep, -1));
        return val_bad();
    }
    if (!st) {
        stat_missing(L, dm, popn, statn, measured_point_name(m, dep, -1));
        return val_bad();
    }
    double display = 1;   /* CHECK and DEPS: a placeholder of the right dimension */
    enum meas_mode mode = L->meas ? L->meas->mode : m->analysing ? MEAS_CHECK : MEAS_FORBID;
    if (mode == MEAS_FORBID) {
        diag_error(L->d, e->span, "%s needs the statistics of the point %s: run that point first "
                   "(sema_lower_measured)", text, measured_point_name(m, dep, -1));
        return val_bad();
    }
    if (mode == MEAS_LOOKUP) {
        int *full = arena_alloc(L->a, sizeof *full * (size_t)(nax + 1));
        memcpy(full, dep, sizeof *dep * (size_t)nax);
        int t = trial >= 0 && L->meas->given ? L->meas->given[trial] : -1;
        if (trial >= 0)
            full[trial] = t;
        double x = NAN;
        bool have = L->meas->fn && L->meas->fn(L->meas->ctx, full, popn->name.id, statn->name.id, &x);
        if (!have || isnan(x)) {
            diag_error(L->d, e->span, "%s is not available: %s of %s at the point %s was %s", text, statn->name.id,
                       popn->name.id, measured_point_name(m, dep, t), have ? "NaN" : "not measured");
            return val_bad();
        }
        display = x;
    }
    return (struct val){fold_const(L->a, display / st->unit_scale), st->dim, VK_NUM, NULL};
}

/* ---- dependencies and the sweep check --------------------------------------------------------- */

/* The value-index vector sema_lower uses: clamped, trial -1. */
static int *point_of(struct sema_model *m, const int *value_index, struct arena *a)
{
    int *p = arena_alloc(a, sizeof *p * (size_t)(m->axes.len + 1));
    for (int i = 0; i < m->axes.len; i++) {
        const struct sema_axis *ax = m->axes.items[i];
        p[i] = ax->kind == SEMA_AXIS_TRIAL ? -1 : value_index[i];
        if (p[i] >= ax->nvalues)
            p[i] = ax->nvalues - 1;
    }
    return p;
}

static void collect_deps(struct sema_model *m, const int *point, struct measured *ms)
{
    struct diags scratch;
    diags_init(&scratch, m->a);
    lower_model_ex(m, point, ms, &scratch, true);
}

int sema_point_deps(struct sema_model *m, const int *value_index, int **deps, struct arena *a)
{
    *deps = NULL;
    if (!value_index)
        return 0;
    int nax = m->axes.len, trial = trial_axis(m);
    int *point = point_of(m, value_index, m->a);
    struct measured ms = {.mode = MEAS_DEPS};
    collect_deps(m, point, &ms);
    int n = 0;
    int **uniq = arena_alloc(m->a, sizeof *uniq * (size_t)(ms.deps.len + 1));
    for (int i = 0; i < ms.deps.len; i++) {
        struct meas_dep *d = ms.deps.items[i];
        bool seen = same_point(d->point, point, nax);
        for (int j = 0; j < n && !seen; j++)
            seen = same_point(uniq[j], d->point, nax);
        if (!seen)
            uniq[n++] = d->point;
    }
    if (!n)
        return 0;
    *deps = arena_alloc(a, sizeof **deps * (size_t)(n * nax + 1));
    for (int j = 0; j < n; j++)
        for (int i = 0; i < nax; i++)
            (*deps)[j * nax + i] = i == trial ? value_index[i] : uniq[j][i];
    return n;
}

struct ir_model *sema_lower_measured(struct sema_model *m, const int *value_index, sema_stat_fn fn, void *ctx,
                                     struct diags *d)
{
    struct measured ms = {.mode = MEAS_LOOKUP, .fn = fn, .ctx = ctx, .given = value_index};
    return lower_model_ex(m, value_index ? point_of(m, value_index, m->a) : NULL, &ms, d, false);
}

/* Whether any expression under e calls stat(): the sweep check runs only for models that do. */
static bool uses_stat(const struct ast_node *e);

static bool list_uses_stat(const struct ast_list *l)
{
    for (int i = 0; i < l->n; i++)
        if (uses_stat(l->items[i]))
            return true;
    return false;
}

static bool uses_stat(const struct ast_node *e)
{
    if (!e)
        return false;
    switch (e->kind) {
    case AST_CALL: return !strcmp(e->call.name, "stat") || list_uses_stat(&e->call.args);
    case AST_UNARY: return uses_stat(e->unary.operand);
    case AST_BINARY: return uses_stat(e->binary.lhs) || uses_stat(e->binary.rhs);
    case AST_COND: return uses_stat(e->cond.cond) || uses_stat(e->cond.then) || uses_stat(e->cond.els);
    case AST_ARG: case AST_PARAM: case AST_STATE: case AST_LET: case AST_SYN_PARAM: case AST_STAT:
    case AST_SETTING: case AST_AXIS:
        return uses_stat(e->bind.value);
    case AST_LIST: return list_uses_stat(&e->list);
    case AST_RANGE: return uses_stat(e->range.lo) || uses_stat(e->range.hi) || uses_stat(e->range.step);
    case AST_ODE: return uses_stat(e->ode.rhs);
    case AST_SPIKE: return uses_stat(e->spike.cond) || list_uses_stat(&e->spike.resets);
    case AST_REFRACTORY: case AST_CURRENT: return uses_stat(e->item.value);
    case AST_ASSIGN: return uses_stat(e->assign.value);
    case AST_ON_SPIKE: return list_uses_stat(&e->on_spike.assigns);
    case AST_NEURON: case AST_SYNAPSE: return list_uses_stat(&e->model.params) || list_uses_stat(&e->model.items);
    case AST_POPULATION: return uses_stat(e->population.size) || list_uses_stat(&e->population.args);
    case AST_INPUT: return uses_stat(e->input.size) || list_uses_stat(&e->input.args);
    case AST_CONNECT:
        return uses_stat(e->connect.synapse) || uses_stat(e->connect.rule_arg) || uses_stat(e->connect.weight) ||
               uses_stat(e->connect.delay);
    case AST_RECORD: return list_uses_stat(&e->record.stats);
    case AST_SIMULATE: case AST_SWEEP: return list_uses_stat(&e->block.items);
    case AST_IF: return uses_stat(e->if_.cond) || list_uses_stat(&e->if_.then) || list_uses_stat(&e->if_.els);
    default: return false;
    }
}

struct sweep_graph {
    struct sema_model *m;
    int nax, npoints;
    int **points;               /* per node: its value-index vector (trial -1) */
    struct ptrvec *edges;       /* per node: struct meas_dep* */
    int *color;                 /* 0 unvisited, 1 on the stack, 2 done */
    int *stack, depth;
    bool reported;
};

static int node_of(const struct sweep_graph *g, const int *point)
{
    int idx = 0;
    for (int i = 0; i < g->nax; i++) {
        const struct sema_axis *ax = g->m->axes.items[i];
        if (ax->kind == SEMA_AXIS_TRIAL)
            continue;
        if (point[i] < 0)
            return -1;
        idx = idx * ax->nvalues + point[i];
    }
    return idx;
}

/* Depth-first search; a dependency on a point on the stack closes a cycle, reported once, at the call. */
static void dfs(struct sweep_graph *g, int u)
{
    g->color[u] = 1;
    g->stack[g->depth++] = u;
    for (int i = 0; i < g->edges[u].len && !g->reported; i++) {
        struct meas_dep *d = g->edges[u].items[i];
        int v = node_of(g, d->point);
        if (v < 0 || v == u)    /* self-dependencies are reported by the lowering itself */
            continue;
        if (g->color[v] == 1) {
            struct sema_model *m = g->m;
            const char *chain = "";
            int from = g->depth - 1;
            while (from > 0 && g->stack[from] != v)
                from--;
            for (int k = from; k < g->depth; k++)
                chain = arena_printf(m->a, "%s(%s) -> ", chain, measured_point_name(m, g->points[g->stack[k]], -1));
            chain = arena_printf(m->a, "%s(%s)", chain, measured_point_name(m, g->points[v], -1));
            diag_error(m->d, d->call, "stat() makes points of the sweep need each other's statistics in a cycle: %s",
                       chain);
            g->reported = true;
        } else if (g->color[v] == 0)
            dfs(g, v);
    }
    g->depth--;
    g->color[u] = 2;
}

void measured_check_sweep(struct sema_model *m)
{
    bool any = false;
    for (int i = 0; i < m->decls.len && !any; i++)
        any = uses_stat(m->decls.items[i]);
    if (!any)
        return;
    struct sweep_graph g = {.m = m, .nax = m->axes.len, .npoints = 1};
    for (int i = 0; i < g.nax; i++) {
        const struct sema_axis *ax = m->axes.items[i];
        if (ax->kind != SEMA_AXIS_TRIAL)
            g.npoints *= ax->nvalues;
        if (g.npoints > 4096)
            return;     /* too many to lower each; sema_lower_measured still reports a self-dependency */
    }
    g.points = arena_alloc(m->a, sizeof *g.points * (size_t)g.npoints);
    g.edges = arena_alloc(m->a, sizeof *g.edges * (size_t)g.npoints);
    g.color = arena_alloc(m->a, sizeof *g.color * (size_t)g.npoints);
    g.stack = arena_alloc(m->a, sizeof *g.stack * (size_t)g.npoints);
    int errors0 = m->d->errors;
    for (int u = 0; u < g.npoints; u++) {
        int *p = g.points[u] = arena_alloc(m->a, sizeof *p * (size_t)(g.nax + 1));
        for (int i = g.nax - 1, r = u; i >= 0; i--) {     /* node_of's mixed radix, last axis fastest */
            const struct sema_axis *ax = m->axes.items[i];
            if (ax->kind == SEMA_AXIS_TRIAL) {
                p[i] = -1;
                continue;
            }
            p[i] = r % ax->nvalues;
            r /= ax->nvalues;
        }
        struct measured ms = {.mode = MEAS_DEPS};
        struct diags scratch;
        diags_init(&scratch, m->a);
        lower_model_ex(m, p, &ms, &scratch, true);
        g.edges[u] = ms.deps;
        /* a self-dependency at a full point (a param axis, which the variant combinations leave unapplied) */
        for (int i = 0; i < ms.deps.len && m->d->errors == errors0; i++) {
            struct meas_dep *d = ms.deps.items[i];
            if (same_point(d->point, p, g.nax))
                for (struct diag *x = scratch.head; x; x = x->next)
                    if (x->level == DIAG_ERROR && x->span.file == d->call.file && x->span.begin == d->call.begin) {
                        diag_error(m->d, x->span, "%s", x->msg);
                        break;
                    }
        }
    }
    if (m->d->errors > errors0)
        return;
    for (int u = 0; u < g.npoints && !g.reported; u++)
        if (!g.color[u])
            dfs(&g, u);
}
