/*
 * lower_record.c - lowering of `record` declarations: builtin spike statistics, statistics of observables
 * (mean, var, std, cov with clip and bins), derived statistics such as tau_eff, the observables they need
 * in every recorded population, stat() calls resolved against records, and the recordings for plots
 * (rate_trace, trace, raster).  Split from lower.c, which lowers everything else of a sweep point.
 * Must not: print or exit; every error is a located diagnostic.
 */
#include "sema/internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NEW(L, T) ((T *)arena_alloc((L)->a, sizeof(T)))

/* ---- records ---------------------------------------------------------------------------------- */

struct rctx {
    struct lpop **targets;  /* populations that get the observables: the listed ones (`all` pools them) */
    int nt;
    struct ptrvec stats;    /* struct ir_stat* */
};

/* The kind IR_STATS names `name`, or IR_STAT_COUNT.  "derived" names no statistic: a derived one is
 * written NAME = expression.  In the table the statistics come before IR_STAT_DERIVED, the recordings
 * (rate_trace, trace, raster) after it. */
static enum ir_stat_kind stat_kind(const char *name)
{
    for (int k = 0; k < IR_STAT_COUNT; k++)
        if (k != IR_STAT_DERIVED && !strcmp(ir_stat_names[k], name))
            return (enum ir_stat_kind)k;
    return IR_STAT_COUNT;
}

bool lower_is_stat_name(const char *name)
{
    return stat_kind(name) < IR_STAT_DERIVED;
}

static bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

/* The source text of a span without blanks ("g_syn", "V*g_syn"), for statistic and observable names.  A
 * parenthesized operand keeps its inner span in the AST (its diagnostics point inside the parentheses), so
 * the span of "a*(b - c)" ends before the last ')' and that of "(a + b)*c" starts after the first '(': the
 * parentheses the span cut off are taken back from the source, so that the name is the expression as
 * written. */
static const char *src_text(struct lctx *L, struct span s)
{
    if (s.file < 0 || !L->m->sm || s.file >= L->m->sm->n)
        return "x";
    const char *t = L->m->sm->files[s.file].text;
    const uint32_t len = (uint32_t)L->m->sm->files[s.file].len;
    int depth = 0, lowest = 0;
    for (uint32_t i = s.begin; i < s.end; i++) {
        depth += (t[i] == '(') - (t[i] == ')');
        lowest = depth < lowest ? depth : lowest;
    }
    for (int open = -lowest; open > 0 && s.begin > 0 && (t[s.begin - 1] == '(' || is_blank(t[s.begin - 1]));)
        open -= t[--s.begin] == '(';
    for (int close = depth - lowest; close > 0 && s.end < len && (t[s.end] == ')' || is_blank(t[s.end]));)
        close -= t[s.end++] == ')';
    char *out = arena_alloc(L->a, s.end - s.begin + 1);
    size_t n = 0;
    for (uint32_t i = s.begin; i < s.end; i++)
        if (!is_blank(t[i]))
            out[n++] = t[i];
    out[n] = 0;
    return out;
}

/* Evaluates observable x in every target population and returns its index, the same in each (populations
 * are padded with constant observables so that indices line up). */
static int obs_get(struct lctx *L, struct rctx *R, struct ast_node *x, struct ir_dim *dim)
{
    bool saved = L->derived;
    L->derived = false;
    const char *name = src_text(L, x->span);
    struct ir_expr **irs = arena_alloc(L->a, sizeof *irs * (size_t)(R->nt + 1));
    bool ok = true;
    for (int i = 0; i < R->nt; i++) {
        struct val v = check_expr(L, &R->targets[i]->scope, x);
        if (!v.ir || v.kind != VK_NUM) {
            if (v.ir)
                diag_error(L->d, x->span, "a recorded observable must be a number");
            ok = false;
            break;
        }
        if (!check_norand(L, v, x->span, "a recorded observable")) {
            ok = false;
            break;
        }
        if (i && !unit_dim_eq(v.dim, *dim)) {
            diag_error(L->d, x->span, "'%s' is %s in %s but %s in %s", name, dimname(L, *dim),
                       R->targets[0]->ip->name, dimname(L, v.dim), R->targets[i]->ip->name);
            ok = false;
            break;
        }
        *dim = v.dim;
        irs[i] = v.ir;
    }
    L->derived = saved;
    if (!ok)
        return -1;
    /* reuse an existing observable of the same name at the same index everywhere */
    if (R->nt) {
        for (int j = 0; j < R->targets[0]->obs.len; j++) {
            bool same = true;
            for (int i = 0; i < R->nt && same; i++) {
                struct lpop *p = R->targets[i];
                same = j < p->obs.len && !strcmp(((struct ir_observable *)p->obs.items[j])->name, name);
            }
            if (same)
                return j;
        }
    }
    int idx = 0;
    for (int i = 0; i < R->nt; i++)
        if (R->targets[i]->obs.len > idx)
            idx = R->targets[i]->obs.len;
    for (int i = 0; i < R->nt; i++) {
        struct lpop *p = R->targets[i];
        while (p->obs.len < idx) {
            struct ir_observable *pad = NEW(L, struct ir_observable);
            pad->name = "_pad";
            pad->expr = fold_const(L->a, 0);
            ptrvec_push(L->a, &p->obs, pad);
        }
        struct ir_observable *o = NEW(L, struct ir_observable);
        o->name = name;
        o->dim = *dim;
        o->expr = irs[i];
        ptrvec_push(L->a, &p->obs, o);
    }
    return idx;
}

/* A per-record constant option folded in each target population's scope (clip = V_th); the populations
 * must agree, since a statistic has one clip value. */
static bool rec_const(struct lctx *L, struct rctx *R, struct ast_node *e, struct ir_dim want, const char *what,
                      double *out)
{
    bool saved = L->derived;
    L->derived = false;
    bool ok = true;
    int n = R->nt ? R->nt : 1;
    for (int i = 0; i < n && ok; i++) {
        struct val v = check_expr(L, R->nt ? &R->targets[i]->scope : &L->global, e);
        double x;
        ok = check_dim(L, v, want, e->span, what) && check_const(L, v, e->span, what, &x);
        if (ok && i && x != *out) {
            diag_error(L->d, e->span, "%s differs between %s (%g) and %s (%g); record them separately", what,
                       R->targets[0]->ip->name, *out, R->targets[i]->ip->name, x);
            ok = false;
        }
        if (ok)
            *out = x;
    }
    L->derived = saved;
    return ok;
}

/* Fills st from `rate`, `fano(window = 100 ms)`, `var(V, clip = V_th, bin = 1 ms)`, `cov(V, g_syn)`. */
static bool stat_parse(struct lctx *L, struct rctx *R, struct ast_node *e, struct ir_stat *st)
{
    const char *f = e->kind == AST_NAME ? e->name.id : e->call.name;
    struct span fs = e->kind == AST_NAME ? e->span : e->call.name_span;
    st->kind = stat_kind(f);
    if (st->kind >= IR_STAT_DERIVED) {
        struct diag_suggest sg = {.name = f};
        const char *list = "";
        for (int i = 0; i < IR_STAT_DERIVED; i++) {
            diag_suggest(&sg, ir_stat_names[i]);
            list = arena_printf(L->a, "%s%s, ", list, ir_stat_names[i]);
        }
        diag_error(L->d, fs, "unknown statistic '%s'%s", f,
                   diag_suggestion(L->d, &sg, arena_printf(L->a, " (%sor NAME = expression)", list)));
        return false;
    }
    st->obs = st->obs2 = -1;
    st->window = st->kind == IR_STAT_COUNT_CORR ? 250 : 100;
    st->min_rate = st->kind == IR_STAT_COUNT_CORR ? 1e-3 : 0;   /* 1 Hz in 1/ms */
    int npos = 0, want = st->kind == IR_STAT_COV ? 2 : st->kind >= IR_STAT_MEAN ? 1 : 0;
    struct ast_node *pos[2] = {NULL, NULL};
    bool ok = true;
    int nargs = e->kind == AST_CALL ? e->call.args.n : 0;
    for (int i = 0; i < nargs; i++) {
        struct ast_node *arg = e->call.args.items[i];
        const char *n = arg->bind.name;
        if (!n && npos < want) {
            pos[npos++] = arg->bind.value;
            continue;
        }
        if (!n && (st->kind == IR_STAT_FANO || st->kind == IR_STAT_COUNT_CORR) && npos == 0) {
            n = "window";
            npos++;
        }
        if (n && !strcmp(n, "window") && (st->kind == IR_STAT_FANO || st->kind == IR_STAT_COUNT_CORR)) {
            ok &= rec_const(L, R, arg->bind.value, unit_dim_time(), "window", &st->window);
            if (ok && !(st->window > 0))
                diag_error(L->d, arg->bind.value->span, "window must be positive"), ok = false;
        } else if (n && !strcmp(n, "min_rate") && st->kind == IR_STAT_COUNT_CORR) {
            ok &= rec_const(L, R, arg->bind.value, unit_dim_frequency(), "min_rate", &st->min_rate);
        } else if (n && !strcmp(n, "from") && st->kind == IR_STAT_COUNT_CORR) {
            ok &= rec_const(L, R, arg->bind.value, unit_dim_time(), "from", &st->from);
            st->has_from = true;
            if (ok && !(st->from >= 0 && st->from < L->ir->duration))
                diag_error(L->d, arg->bind.value->span, "from must be at least 0 ms and before the end of the run "
                           "(%g ms)", L->ir->duration), ok = false;
        } else if (n && !strcmp(n, "bin") && (st->kind == IR_STAT_VAR || st->kind == IR_STAT_STD)) {
            ok &= rec_const(L, R, arg->bind.value, unit_dim_time(), "bin", &st->bin);
            if (ok && st->bin < 0)
                diag_error(L->d, arg->bind.value->span, "bin cannot be negative"), ok = false;
        } else if (n && !strcmp(n, "clip") && (st->kind == IR_STAT_VAR || st->kind == IR_STAT_STD)) {
            pos[1] = arg->bind.value;   /* checked after the observable's dimension is known */
            st->has_clip = true;
        } else {
            diag_error(L->d, arg->span, n ? "%s() has no option '%s'" : "too many arguments to %s()", f, n);
            ok = false;
        }
    }
    if (npos < want && (want != 1 || npos == 0)) {
        diag_error(L->d, e->span, "%s() needs %s", f, want == 2 ? "two expressions, e.g. cov(V, g_syn)"
                                                                : "an expression, e.g. mean(V)");
        return false;
    }
    if (!ok)
        return false;
    st->dim = unit_dimless();
    if (st->kind == IR_STAT_RATE)
        st->dim = unit_dim_frequency();
    if (want >= 1) {
        struct ir_dim d1, d2;
        st->obs = obs_get(L, R, pos[0], &d1);
        if (st->obs < 0)
            return false;
        st->dim = st->kind == IR_STAT_VAR ? unit_dim_pow(d1, 2) : d1;
        if (want == 2) {
            st->obs2 = obs_get(L, R, pos[1], &d2);
            if (st->obs2 < 0)
                return false;
            st->dim = unit_dim_mul(d1, d2);
        } else if (st->has_clip && !rec_const(L, R, pos[1], d1, "clip", &st->clip))
            return false;
    }
    return true;
}

static void set_display(struct lctx *L, struct ir_stat *st)
{
    char buf[96];
    double sc = 1;
    const char *u = unit_display(st->dim, &sc, buf, sizeof buf);
    st->unit = arena_strdup(L->a, u);
    st->unit_scale = sc;
}

static bool same_stat(const struct ir_stat *a, const struct ir_stat *b)
{
    return a->kind == b->kind && a->obs == b->obs && a->obs2 == b->obs2 && a->window == b->window &&
           a->min_rate == b->min_rate && a->has_from == b->has_from && a->from == b->from && a->has_clip == b->has_clip && a->clip == b->clip && a->bin == b->bin;
}

struct val lower_stat_call(struct lctx *L, struct scope *s, struct ast_node *call)
{
    struct rctx *R = L->rec;
    struct ir_stat tmp = {0};
    if (!stat_parse(L, R, call, &tmp))
        return val_bad();
    int k = -1;
    for (int i = 0; i < R->stats.len && k < 0; i++)
        if (same_stat(R->stats.items[i], &tmp) && ((struct ir_stat *)R->stats.items[i])->kind != IR_STAT_DERIVED)
            k = i;
    if (k < 0) {
        struct ir_stat *st = NEW(L, struct ir_stat);
        *st = tmp;
        st->name = arena_printf(L->a, "_%s", src_text(L, call->span));
        set_display(L, st);
        ptrvec_push(L->a, &R->stats, st);
        k = R->stats.len - 1;
    }
    return (struct val){fold_var(L->a, k), ((struct ir_stat *)R->stats.items[k])->dim, VK_NUM, NULL};
}

/* ---- recordings for plots ------------------------------------------------------------------------
 *   rate_trace(bin = 1 ms)                      population rate in bins, after burn-in
 *   trace(x, neurons = 1, every = dt)           observable x of the first neurons, sampled every `every`
 *   raster(neurons = 100)                       spikes of the first neurons
 * They live in the record's stats array with their own kinds (ir.h) and produce files (runtime/trace.c),
 * never points.csv rows.  `every` and `bin` must be at least dt: a shorter interval would silently repeat
 * samples (they are rounded to whole steps at run time, like the statistics' bins). */
bool lower_is_recording_name(const char *name)
{
    return ir_stat_is_recording(stat_kind(name));
}

static bool rec_interval(struct lctx *L, struct rctx *R, struct ast_node *v, const char *what, double *out)
{
    if (!rec_const(L, R, v, unit_dim_time(), what, out))
        return false;
    double dt = L->ir ? L->ir->dt : L->dt;
    /* a hair of tolerance so that `every = 0.1 ms` with dt = 0.1 ms passes whatever the rounding */
    if (!(*out >= dt * (1 - 1e-9))) {
        diag_error(L->d, v->span, "%s (%g ms) must be at least dt (%g ms)", what, *out, dt);
        return false;
    }
    return true;
}

static bool rec_neurons(struct lctx *L, struct rctx *R, struct ast_node *v, int64_t *out)
{
    double x = 0;
    if (!rec_const(L, R, v, unit_dimless(), "neurons", &x))
        return false;
    if (!(x >= 1)) {
        diag_error(L->d, v->span, "neurons must be at least 1 (got %g)", x);
        return false;
    }
    if (x != floor(x) || x > 1e15) {
        diag_error(L->d, v->span, "neurons must be a whole number (got %g)", x);
        return false;
    }
    *out = (int64_t)x;
    return true;
}

static bool rec_parse(struct lctx *L, struct rctx *R, struct ast_node *e, struct ir_record *rec, struct ir_stat *st)
{
    const char *f = e->kind == AST_NAME ? e->name.id : e->call.name;
    st->kind = stat_kind(f);
    st->obs = st->obs2 = -1;
    st->bin = 1;                               /* rate_trace default: 1 ms */
    st->every = L->ir ? L->ir->dt : L->dt;     /* trace default: every step */
    st->neurons = st->kind == IR_STAT_RASTER ? 100 : 1;
    st->dim = st->kind == IR_STAT_RATE_TRACE ? unit_dim_frequency() : unit_dimless();
    if (st->kind != IR_STAT_RATE_TRACE && rec->pooled) {
        diag_error(L->d, e->span, "%s() records single neurons; list the populations instead of 'all'", f);
        return false;
    }
    struct ast_node *x = NULL;
    bool ok = true;
    int nargs = e->kind == AST_CALL ? e->call.args.n : 0;
    for (int i = 0; i < nargs; i++) {
        struct ast_node *arg = e->call.args.items[i];
        const char *n = arg->bind.name;
        if (!n && st->kind == IR_STAT_TRACE && !x)
            x = arg->bind.value;
        else if (n && !strcmp(n, "bin") && st->kind == IR_STAT_RATE_TRACE)
            ok &= rec_interval(L, R, arg->bind.value, "bin", &st->bin);
        else if (n && !strcmp(n, "every") && st->kind == IR_STAT_TRACE)
            ok &= rec_interval(L, R, arg->bind.value, "every", &st->every);
        else if (n && !strcmp(n, "neurons") && st->kind != IR_STAT_RATE_TRACE)
            ok &= rec_neurons(L, R, arg->bind.value, &st->neurons);
        else {
            diag_error(L->d, arg->span, n ? "%s() has no option '%s'" : "too many arguments to %s()", f, n);
            ok = false;
        }
    }
    if (st->kind == IR_STAT_TRACE && !x) {
        diag_error(L->d, e->span, "trace() needs an expression, e.g. trace(V, neurons = 5, every = 0.5 ms)");
        return false;
    }
    if (!ok)
        return false;
    if (x) {
        st->obs = obs_get(L, R, x, &st->dim);
        if (st->obs < 0)
            return false;
    }
    return true;
}

void lower_record(struct lctx *L, struct ast_node *d, struct ir_record *rec)
{
    struct rctx R = {0};
    rec->span = d->span;
    R.targets = arena_alloc(L->a, sizeof *R.targets * (size_t)(L->npops + 1));
    rec->pops = arena_alloc(L->a, sizeof *rec->pops * (size_t)(d->record.pops.n + 1));
    for (int i = 0; i < d->record.pops.n; i++) {
        struct ast_node *pn = d->record.pops.items[i];
        if (!strcmp(pn->name.id, "all")) {
            rec->pooled = true;
            continue;
        }
        struct lpop *p = lower_pop_find(L, pn->name.id);
        if (!p) {
            if (lower_input_find(L, pn->name.id) >= 0)
                diag_error(L->d, pn->span, "'%s' is an input; only populations are recorded", pn->name.id);
            else
                lower_unknown_in(L, pn->span, "population", pn->name.id, &L->g->pops);
            continue;
        }
        rec->pops[rec->npops++] = p->index;
        R.targets[R.nt++] = p;
    }
    /* `all` pools the populations this record lists (runtime/stats.c), so only they are checked: a
     * population the record does not name may lack the observable.  Alone it would pool nothing. */
    int named = 0;
    for (int i = 0; i < d->record.pops.n; i++)
        named += strcmp(((struct ast_node *)d->record.pops.items[i])->name.id, "all") != 0;
    if (rec->pooled && named == 0) {
        const char *list = "";
        for (int i = 0; i < L->npops; i++)
            if (L->pops[i])
                list = arena_printf(L->a, "%s%s, ", list, L->pops[i]->ip->name);
        diag_error(L->d, d->record.pops.items[0]->span,
                   "'all' pools the populations listed in the record, and none is listed; write "
                   "'record %sall: ...'", *list ? list : "POP, ");
        return;
    }
    L->rec = &R;
    for (int i = 0; i < d->record.stats.n; i++) {
        struct ast_node *sn = d->record.stats.items[i];
        struct ast_node *e = sn->bind.value;
        struct ir_stat *st = NEW(L, struct ir_stat);
        bool plain = e->kind == AST_NAME ? lower_is_stat_name(e->name.id)
                                         : e->kind == AST_CALL && lower_is_stat_name(e->call.name);
        bool recording = e->kind == AST_NAME ? lower_is_recording_name(e->name.id)
                                             : e->kind == AST_CALL && lower_is_recording_name(e->call.name);
        if (recording) {
            if (!rec_parse(L, &R, e, rec, st))
                continue;
            if (sn->bind.name)
                st->name = sn->bind.name;
            else if (st->kind == IR_STAT_TRACE)
                st->name = arena_printf(L->a, "trace_%s", src_text(L, e->call.args.items[0]->bind.value->span));
            else
                st->name = ir_stat_names[st->kind];
        } else if (plain || (!sn->bind.name && (e->kind == AST_NAME || e->kind == AST_CALL))) {
            if (!stat_parse(L, &R, e, st))
                continue;
            if (sn->bind.name)
                st->name = sn->bind.name;
            else if (st->kind <= IR_STAT_COUNT_CORR)
                st->name = ir_stat_names[st->kind];
            else
                st->name = arena_printf(L->a, "%s_%s", ir_stat_names[st->kind],
                                        src_text(L, e->call.args.items[0]->bind.value->span));
        } else {
            if (!sn->bind.name) {
                diag_error(L->d, e->span, "name this derived statistic: NAME = expression");
                continue;
            }
            /* derived: evaluated in every target population's scope (params may differ); must agree */
            L->derived = true;
            struct val v = {0};
            bool ok = true;
            for (int j = 0; j < (R.nt ? R.nt : 1) && ok; j++) {
                struct val w = check_expr(L, R.nt ? &R.targets[j]->scope : &L->global, e);
                ok = w.ir && check_norand(L, w, e->span, "a derived statistic");
                if (ok && w.kind != VK_NUM)
                    diag_error(L->d, e->span, "a derived statistic must be a number"), ok = false;
                if (ok && j && !fold_equal(w.ir, v.ir))
                    diag_error(L->d, e->span, "derived statistic '%s' depends on params that differ between %s and "
                               "%s; record them separately", sn->bind.name, R.targets[0]->ip->name,
                               R.targets[j]->ip->name), ok = false;
                if (ok)
                    v = w;
            }
            L->derived = false;
            if (!ok)
                continue;
            st->kind = IR_STAT_DERIVED;
            st->obs = st->obs2 = -1;
            st->derived = v.ir;
            st->dim = v.dim;
            st->name = sn->bind.name;
        }
        for (int j = 0; j < R.stats.len; j++)
            if (!strcmp(((struct ir_stat *)R.stats.items[j])->name, st->name))
                diag_error(L->d, sn->span, "statistic '%s' is recorded twice in this record", st->name);
        set_display(L, st);
        ptrvec_push(L->a, &R.stats, st);
    }
    L->rec = NULL;
    rec->nstats = R.stats.len;
    rec->stats = arena_alloc(L->a, sizeof *rec->stats * (size_t)(R.stats.len + 1));
    for (int i = 0; i < R.stats.len; i++)
        rec->stats[i] = *(struct ir_stat *)R.stats.items[i];
}

