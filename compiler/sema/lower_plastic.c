/*
 * lower_plastic.c - plastic synapses: where each state of a synapse with `on pre(w)` /
 * `on post(w)` lives, how it is integrated between events, and the events' statements as IR
 * (struct ir_plastic, compiler/ir/ir.h, which states the event semantics both engines implement).
 *
 * Where a state lives is decided from the equations (DESIGN.md §6), by name on the synapse's AST before its
 * states become variables:
 *   receptor    (one per target neuron, summed over synapses, integrated by the population kernel like any
 *               synapse state): the states the `current` reads, and the states their ODEs read, closed
 *               under that relation;
 *   per source  a state written only in `on pre` (or never), whose ODE reads only itself and whose `on pre`
 *               assignments read only per-source states and constants: it sees the presynaptic train alone
 *               (Tsodyks-Markram u and x with homogeneous parameters, a presynaptic STDP trace), so one copy
 *               per source neuron serves all its synapses;
 *   per target  the mirror image with `on post` (a postsynaptic trace);
 *   per synapse everything else (a state with a random initial value among them: each synapse draws its
 *               own; and on a connection with per-synapse delays, every would-be per-source state: each
 *               synapse sees the train at its own delay), and the weight.
 * Per-source and per-target are found as a fixpoint: a candidate that reads a state that is not one is
 * demoted to per synapse, which may demote others.
 * Event states are integrated event-driven: exactly, in closed form, when an event touches them, so their
 * ODE must be dX/dt = a X + b with constant a and b; anything else is a located error saying why.
 *
 * While lowering, event state s is IR_VAR PL_BASE + s and the event times are PL_TIME + IR_PL_*; once the
 * target population's variables are final, plastic_finish() moves them to their frame indices.
 * Must not: print or exit.
 */
#include "sema/internal.h"

#include <math.h>
#include <string.h>

#define NEW(L, T) ((T *)arena_alloc((L)->a, sizeof(T)))

struct plinst {
    int nstates;               /* slot 0 is the weight */
    const char **names;
    enum ir_pl_where *where;
    bool *receptor;            /* per AST state (by names_all index): stays a receptor variable */
    const char **all;          /* every state of the synapse, in declaration order */
    int nall;
};

bool plastic_has_events(const struct ast_node *syn)
{
    for (int i = 0; i < syn->model.items.n; i++) {
        const struct ast_node *it = syn->model.items.items[i];
        if (it->kind == AST_ON_SPIKE && it->on_spike.event)
            return true;
    }
    return false;
}

/* ---- names an expression reads (through the synapse's lets) ---------------------------------------- */

static const struct ast_node *find_let(const struct ast_node *syn, const char *name)
{
    for (int i = 0; i < syn->model.items.n; i++) {
        const struct ast_node *it = syn->model.items.items[i];
        if (it->kind == AST_LET && !strcmp(it->bind.name, name))
            return it->bind.value;
    }
    return NULL;
}

static void names_of(struct lctx *L, const struct ast_node *syn, const struct ast_node *e, struct ptrvec *out,
                     int depth)
{
    if (!e || depth > 64)
        return;
    switch (e->kind) {
    case AST_NAME: {
        ptrvec_push(L->a, out, (void *)e->name.id);
        const struct ast_node *let = find_let(syn, e->name.id);
        if (let)
            names_of(L, syn, let, out, depth + 1);
        break;
    }
    case AST_UNARY: names_of(L, syn, e->unary.operand, out, depth + 1); break;
    case AST_BINARY:
        names_of(L, syn, e->binary.lhs, out, depth + 1);
        names_of(L, syn, e->binary.rhs, out, depth + 1);
        break;
    case AST_COND:
        names_of(L, syn, e->cond.cond, out, depth + 1);
        names_of(L, syn, e->cond.then, out, depth + 1);
        names_of(L, syn, e->cond.els, out, depth + 1);
        break;
    case AST_CALL:
        for (int i = 0; i < e->call.args.n; i++)
            names_of(L, syn, e->call.args.items[i]->bind.value, out, depth + 1);
        break;
    default: break;
    }
}

static int state_index(const struct plinst *pl, const char *name)
{
    for (int i = 0; i < pl->nall; i++)
        if (!strcmp(pl->all[i], name))
            return i;
    return -1;
}

static const struct ast_node *find_ode(const struct ast_node *syn, const char *name)
{
    for (int i = 0; i < syn->model.items.n; i++) {
        const struct ast_node *it = syn->model.items.items[i];
        if (it->kind == AST_ODE && !strcmp(it->ode.var, name))
            return it;
    }
    return NULL;
}

/* A name of the target neuron that varies in time (V, I_syn, t...), not shadowed by the synapse. */
static bool is_neuron_dynamic(struct linst *in, const struct plinst *pl, const char *name)
{
    const struct ast_node *syn = in->syn;
    if (state_index(pl, name) >= 0 || find_let(syn, name))
        return false;
    for (int i = 0; i < syn->model.params.n; i++)
        if (!strcmp(syn->model.params.items[i]->bind.name, name))
            return false;
    for (int i = 0; i < syn->model.items.n; i++) {
        const struct ast_node *it = syn->model.items.items[i];
        if (it->kind == AST_PARAM && !strcmp(it->bind.name, name))
            return false;
    }
    struct binding *b = scope_lookup(&in->pop->scope, name);
    return b && (b->kind == BK_STATE || b->kind == BK_ISYN || b->kind == BK_GSYN || b->kind == BK_TIME);
}

/* True when a state's initial value e draws a random number: a distribution, a parameter whose (folded)
 * argument draws, or a let or body parameter that does.  Such a state differs between the synapses of one
 * source (each draws its own), so it cannot be shared per source or per target: it lives per synapse. */
static bool draws(struct linst *in, const struct ast_node *e, int depth)
{
    if (!e || depth > 64)
        return false;
    const struct ast_node *syn = in->syn;
    switch (e->kind) {
    case AST_NAME:
        for (int j = 0; j < syn->model.params.n; j++)
            if (!strcmp(syn->model.params.items[j]->bind.name, e->name.id))
                return in->full && in->full[j].ir && fold_has_rand(in->full[j].ir);
        for (int i = 0; i < syn->model.items.n; i++) {
            const struct ast_node *it = syn->model.items.items[i];
            if ((it->kind == AST_LET || it->kind == AST_PARAM) && !strcmp(it->bind.name, e->name.id))
                return draws(in, it->bind.value, depth + 1);
        }
        return false;
    case AST_UNARY: return draws(in, e->unary.operand, depth + 1);
    case AST_BINARY: return draws(in, e->binary.lhs, depth + 1) || draws(in, e->binary.rhs, depth + 1);
    case AST_COND:
        return draws(in, e->cond.cond, depth + 1) || draws(in, e->cond.then, depth + 1) ||
               draws(in, e->cond.els, depth + 1);
    case AST_CALL: {
        static const char *const dist[] = {"uniform", "normal", "lognormal", "exponential", NULL};
        for (int k = 0; dist[k]; k++)
            if (!strcmp(e->call.name, dist[k]))
                return true;
        for (int i = 0; i < e->call.args.n; i++)
            if (draws(in, e->call.args.items[i]->bind.value, depth + 1))
                return true;
        return false;
    }
    default: return false;
    }
}

/* True when every name of `names` is a constant or a state of class `side` (cls[] by AST state index). */
static bool reads_only(struct linst *in, const struct plinst *pl, const int *cls, int side, const struct ptrvec *names,
                       const char *const *weights, int nweights)
{
    for (int k = 0; k < names->len; k++) {
        const char *n = names->items[k];
        for (int w = 0; w < nweights; w++)
            if (weights[w] && !strcmp(n, weights[w]) && state_index(pl, n) < 0)
                return false;
        int si = state_index(pl, n);
        if (si >= 0 ? cls[si] != side : is_neuron_dynamic(in, pl, n))
            return false;
    }
    return true;
}

struct plinst *plastic_begin(struct lctx *L, struct linst *in)
{
    const struct ast_node *syn = in->syn;
    if (!plastic_has_events(syn))
        return NULL;
    struct plinst *pl = NEW(L, struct plinst);
    struct ptrvec all = {0};
    for (int i = 0; i < syn->model.items.n; i++) {
        const struct ast_node *it = syn->model.items.items[i];
        if (it->kind == AST_STATE)
            ptrvec_push(L->a, &all, (void *)it->bind.name);
        if (it->kind == AST_ON_SPIKE && !it->on_spike.event)
            diag_error(L->d, it->span, "a plastic synapse delivers with 'on pre(w)', not 'on spike'");
    }
    pl->nall = all.len;
    pl->all = (const char **)arena_alloc(L->a, sizeof *pl->all * (size_t)(all.len + 1));
    for (int i = 0; i < all.len; i++)
        pl->all[i] = all.items[i];
    pl->receptor = arena_alloc(L->a, sizeof *pl->receptor * (size_t)(all.len + 1));
    memset(pl->receptor, 0, sizeof *pl->receptor * (size_t)(all.len + 1));

    /* receptors: what the current reads, closed under "its ODE reads" */
    for (int i = 0; i < syn->model.items.n; i++) {
        const struct ast_node *it = syn->model.items.items[i];
        if (it->kind != AST_CURRENT)
            continue;
        struct ptrvec nm = {0};
        names_of(L, syn, it->item.value, &nm, 0);
        for (int k = 0; k < nm.len; k++)
            if (state_index(pl, nm.items[k]) >= 0)
                pl->receptor[state_index(pl, nm.items[k])] = true;
    }
    for (bool changed = true; changed;) {
        changed = false;
        for (int s = 0; s < pl->nall; s++) {
            const struct ast_node *ode = pl->receptor[s] ? find_ode(syn, pl->all[s]) : NULL;
            if (!ode)
                continue;
            struct ptrvec nm = {0};
            names_of(L, syn, ode->ode.rhs, &nm, 0);
            for (int k = 0; k < nm.len; k++) {
                int si = state_index(pl, nm.items[k]);
                if (si >= 0 && !pl->receptor[si])
                    changed = pl->receptor[si] = true;
            }
        }
    }

    /* event states: candidates by where they are written, then the fixpoint */
    int *cls = arena_alloc(L->a, sizeof *cls * (size_t)(pl->nall + 1));
    bool *wpre = arena_alloc(L->a, (size_t)pl->nall + 1), *wpost = arena_alloc(L->a, (size_t)pl->nall + 1);
    memset(wpre, 0, (size_t)pl->nall + 1);
    memset(wpost, 0, (size_t)pl->nall + 1);
    const char *weights[2] = {NULL, NULL};
    for (int i = 0; i < syn->model.items.n; i++) {
        const struct ast_node *it = syn->model.items.items[i];
        if (it->kind != AST_ON_SPIKE || !it->on_spike.event)
            continue;
        bool pre = !strcmp(it->on_spike.event, "pre");
        weights[pre ? 0 : 1] = it->on_spike.weight;
        for (int j = 0; j < it->on_spike.assigns.n; j++) {
            int si = state_index(pl, it->on_spike.assigns.items[j]->assign.target);
            if (si >= 0)
                (pre ? wpre : wpost)[si] = true;
        }
    }
    for (int s = 0; s < pl->nall; s++)
        cls[s] = pl->receptor[s] ? -1 : wpre[s] && wpost[s] ? IR_PL_SYN : wpost[s] ? IR_PL_POST : IR_PL_PRE;
    for (int i = 0; i < syn->model.items.n; i++) {   /* a random initial value: one per synapse */
        const struct ast_node *it = syn->model.items.items[i];
        int si = it->kind == AST_STATE ? state_index(pl, it->bind.name) : -1;
        if (si >= 0 && cls[si] >= 0 && draws(in, it->bind.value, 0))
            cls[si] = IR_PL_SYN;
    }
    for (bool changed = true; changed;) {
        changed = false;
        for (int s = 0; s < pl->nall; s++) {
            if (cls[s] != IR_PL_PRE && cls[s] != IR_PL_POST)
                continue;
            int side = cls[s];
            struct ptrvec nm = {0};
            const struct ast_node *ode = find_ode(syn, pl->all[s]);
            if (ode)
                names_of(L, syn, ode->ode.rhs, &nm, 0);
            bool ok = true;
            for (int k = 0; k < nm.len && ok; k++)   /* its ODE reads only itself and constants */
                ok = state_index(pl, nm.items[k]) == s ||
                     (state_index(pl, nm.items[k]) < 0 && !is_neuron_dynamic(in, pl, nm.items[k]));
            nm.len = 0;
            for (int i = 0; i < syn->model.items.n; i++) {
                const struct ast_node *it = syn->model.items.items[i];
                if (it->kind != AST_ON_SPIKE || !it->on_spike.event ||
                    strcmp(it->on_spike.event, side == IR_PL_PRE ? "pre" : "post"))
                    continue;
                for (int j = 0; j < it->on_spike.assigns.n; j++)
                    if (!strcmp(it->on_spike.assigns.items[j]->assign.target, pl->all[s]))
                        names_of(L, syn, it->on_spike.assigns.items[j]->assign.value, &nm, 0);
            }
            if (ok && !reads_only(in, pl, cls, side, &nm, weights, 2))
                ok = false;
            if (!ok) {
                cls[s] = IR_PL_SYN;
                changed = true;
            }
        }
    }

    /* slots: the weight first, then the event states in declaration order */
    pl->names = (const char **)arena_alloc(L->a, sizeof *pl->names * (size_t)(pl->nall + 2));
    pl->where = arena_alloc(L->a, sizeof *pl->where * (size_t)(pl->nall + 2));
    pl->names[0] = weights[0] ? weights[0] : weights[1];
    pl->where[0] = IR_PL_SYN;
    pl->nstates = 1;
    for (int s = 0; s < pl->nall; s++)
        if (cls[s] >= 0) {
            pl->names[pl->nstates] = pl->all[s];
            pl->where[pl->nstates++] = (enum ir_pl_where)cls[s];
        }
    return pl;
}

int plastic_state_var(const struct plinst *pl, const char *name)
{
    for (int s = 1; pl && s < pl->nstates; s++)
        if (!strcmp(pl->names[s], name))
            return PL_BASE + s;
    return -1;
}

/* ---- the events of one projection -------------------------------------------------------------- */

static struct ir_expr *time_var(struct lctx *L, int which)
{
    return fold_var(L->a, PL_TIME + which);
}

/* State s brought forward from `last` to now: X e^{aD} + (b/a)(e^{aD} - 1), D = (now - last) dt; a = 0:
 * X + b D. */
static struct ir_expr *bring_expr(struct lctx *L, const struct ir_pl_state *st, int s)
{
    struct arena *A = L->a;
    struct ir_expr *last = st->where == IR_PL_PRE    ? time_var(L, IR_PL_TPRE)
                           : st->where == IR_PL_POST ? time_var(L, IR_PL_TPOST)
                                                     : fold_node(A, IR_MAX, time_var(L, IR_PL_TPRE),
                                                                 time_var(L, IR_PL_TPOST), NULL);
    struct ir_expr *steps = fold_node(A, IR_SUB, time_var(L, IR_PL_NOW), last, NULL);
    struct ir_expr *x = fold_var(A, PL_BASE + s);
    if (st->a == 0)
        return fold_node(A, IR_ADD, x, fold_node(A, IR_MUL, steps, fold_const(A, st->b * L->dt), NULL), NULL);
    struct ir_expr *ad = fold_node(A, IR_MUL, steps, fold_const(A, st->a * L->dt), NULL);
    struct ir_expr *v = fold_node(A, IR_MUL, x, fold_node(A, IR_EXP, ad, NULL, NULL), NULL);
    if (st->b != 0)
        v = fold_node(A, IR_ADD, v,
                      fold_node(A, IR_MUL, fold_const(A, st->b / st->a), fold_node(A, IR_EXPM1, ad, NULL, NULL), NULL),
                      NULL);
    return v;
}

static const char *where_words(enum ir_pl_where w)
{
    return w == IR_PL_PRE ? "per source neuron" : w == IR_PL_POST ? "per target neuron" : "per synapse";
}

/* The states: dimension, constant initial value, closed-form decay. */
static bool lower_states(struct lctx *L, struct linst *in, const struct plinst *pl, struct ir_plastic *ip,
                         struct ir_dim wdim)
{
    bool ok = true;
    ip->nstates = pl->nstates;
    ip->states = arena_alloc(L->a, sizeof *ip->states * (size_t)(pl->nstates + 1));
    memset(ip->states, 0, sizeof *ip->states * (size_t)(pl->nstates + 1));
    ip->bring = arena_alloc(L->a, sizeof *ip->bring * (size_t)(pl->nstates + 1));
    memset(ip->bring, 0, sizeof *ip->bring * (size_t)(pl->nstates + 1));
    ip->states[0] = (struct ir_pl_state){.name = pl->names[0], .where = IR_PL_SYN, .dim = wdim, .span = in->connect};
    for (int s = 1; s < pl->nstates; s++) {
        struct ir_pl_state *st = &ip->states[s];
        st->name = pl->names[s];
        st->where = pl->where[s];
        /* Per-synapse delays: the synapses of one source see its train at different delays, so a state that
         * sees only that train still differs between them (until all have seen a spike): per synapse. */
        if (ip->syn_last && st->where == IR_PL_PRE)
            st->where = IR_PL_SYN;
        struct binding *b = scope_find_local(&in->scope, st->name);
        if (!b || b->kind != BK_STATE)
            continue;
        st->span = b->span;
        struct val x = check_binding(L, b, b->span);
        if (!x.ir) {
            ok = false;
            continue;
        }
        st->dim = b->val.dim;
        if (b->val.kind == VK_NUM && !fold_is_const(b->val.ir, &st->init) && fold_has_rand(b->val.ir) &&
            !fold_uses_any_var(b->val.ir)) {
            st->init_draw = b->val.ir;   /* drawn per synapse (or source, or target) when the network is built */
        } else if (b->val.kind != VK_NUM || !fold_is_const(b->val.ir, &st->init)) {
            diag_error(L->d, b->expr->span, "the initial value of '%s' (stored %s) must be a constant or a random "
                       "draw of constants (uniform(...), normal(...), ...); it cannot read other variables",
                       st->name, where_words(st->where));
            ok = false;
            continue;
        }
        const struct ast_node *ode = find_ode(in->syn, st->name);
        if (!ode)
            continue;
        struct val r = check_expr(L, &in->scope, ode->ode.rhs);
        if (!r.ir) {
            ok = false;
            continue;
        }
        struct ir_dim want = unit_dim_div(st->dim, unit_dim_time());
        if (r.kind != VK_NUM || !unit_dim_eq(r.dim, want)) {
            diag_error(L->d, ode->ode.rhs->span, "d%s/dt must be %s (%s per time) but is %s", st->name,
                       dimname(L, want), dimname(L, st->dim), r.kind == VK_NUM ? dimname(L, r.dim) : "a condition");
            ok = false;
            continue;
        }
        struct ir_expr *a = NULL, *bb = NULL;
        double av = 0, bv = 0;
        if (!solver_linear(L->a, r.ir, PL_BASE + s, &a, &bb) || (a && !fold_is_const(a, &av)) ||
            (bb && !fold_is_const(bb, &bv))) {
            diag_error(L->d, ode->ode.rhs->span,
                       "'%s' is stored %s and integrated event-driven, in closed form between events, so its ODE "
                       "must be linear with constant coefficients (d%s/dt = a*%s + b); this one is not",
                       st->name, where_words(st->where), st->name, st->name);
            ok = false;
            continue;
        }
        if (ode->ode.method)
            diag_error(L->d, ode->ode.method_span, "'%s' is integrated event-driven (exactly); it takes no method",
                       st->name);
        st->decays = true;
        st->a = av;
        st->b = bv;
    }
    for (int s = 1; s < pl->nstates; s++)
        if (ip->states[s].decays)
            ip->bring[s] = bring_expr(L, &ip->states[s], s);
    return ok;
}

/* One `on pre` / `on post` block. */
static void lower_event(struct lctx *L, struct linst *in, const struct plinst *pl, struct ir_plastic *ip,
                        struct ast_node *blk, bool pre, struct span cspan)
{
    struct ptrvec all = {0}, own = {0};
    struct scope ws = {.parent = &in->scope, .L = L, .pop = in->pop, .inst = in};
    struct binding *w = scope_add(L, &ws, blk->on_spike.weight, BK_WEIGHT, BD_WEIGHT, blk->on_spike.weight_span);
    w->val = (struct val){fold_var(L->a, PL_BASE), ip->states[0].dim, VK_NUM, NULL};
    for (int j = 0; j < blk->on_spike.assigns.n; j++) {
        struct ast_node *as = blk->on_spike.assigns.items[j];
        int before = L->d->errors;
        struct binding *b = scope_lookup(&ws, as->assign.target);
        struct val v = check_expr(L, &ws, as->assign.value);
        struct ir_dim d;
        int dst;
        bool post_inc = false;
        if (!b) {
            scope_undefined(L, &ws, as->assign.target, as->assign.target_span, "state variable");
            goto note;
        }
        if (b->kind == BK_WEIGHT) {
            dst = PL_BASE;
            d = ip->states[0].dim;
        } else if (b->kind == BK_STATE) {
            struct val x = check_binding(L, b, as->assign.target_span);
            if (!x.ir)
                goto note;
            d = x.dim;
            dst = b->var;
            post_inc = dst < PL_BASE;
        } else {
            diag_error(L->d, as->assign.target_span, "cannot assign to %s '%s'; only state variables change", b->what,
                       b->name);
            goto note;
        }
        if (!v.ir)
            goto note;
        if (v.kind != VK_NUM || !unit_dim_eq(v.dim, d)) {
            diag_error(L->d, as->assign.value->span, "cannot %s %s %s '%s', which is %s",
                       as->assign.op == AST_SET ? "assign" : "add", v.kind == VK_NUM ? dimname(L, v.dim) : "a condition",
                       as->assign.op == AST_SET ? "to" : "to", as->assign.target, dimname(L, d));
            if (b->kind == BK_WEIGHT)
                diag_note(L->d, cspan, "the weight '%s' of this connection is %s", blk->on_spike.weight,
                          dimname(L, d));
            goto note;
        }
        if (!check_norand(L, v, as->assign.value->span, "an event statement"))
            goto note;
        if (post_inc && !pre) {
            diag_error(L->d, as->assign.target_span,
                       "'on post' updates the synapse; it cannot change '%s' of the target neuron", as->assign.target);
            goto note;
        }
        if (post_inc && as->assign.op == AST_SET) {
            diag_error(L->d, as->span, "'%s' belongs to the target neuron (summed over synapses): 'on pre' adds to "
                       "it ('%s += ...' or '-='), it cannot set it", as->assign.target, as->assign.target);
            goto note;
        }
        struct ir_pl_stmt *st = NEW(L, struct ir_pl_stmt);
        st->dst = dst;
        st->post_inc = post_inc;
        st->span = as->span;
        if (post_inc)
            st->value = as->assign.op == AST_SUB_SET ? fold_node(L->a, IR_NEG, v.ir, NULL, NULL) : v.ir;
        else if (as->assign.op == AST_SET)
            st->value = v.ir;
        else
            st->value = fold_node(L->a, as->assign.op == AST_ADD_SET ? IR_ADD : IR_SUB, fold_var(L->a, dst), v.ir, NULL);
        ptrvec_push(L->a, &all, st);
        if (!post_inc && ip->states[dst - PL_BASE].where == (pre ? IR_PL_PRE : IR_PL_POST))
            ptrvec_push(L->a, &own, st);
    note:
        if (L->d->errors > before && cspan.file >= 0)
            diag_note(L->d, cspan, "in synapse '%s' as connected here", in->syn->model.name);
    }
    struct ir_pl_stmt *a = arena_alloc(L->a, sizeof *a * (size_t)(all.len + 1));
    struct ir_pl_stmt *o = arena_alloc(L->a, sizeof *o * (size_t)(own.len + 1));
    for (int i = 0; i < all.len; i++)
        a[i] = *(struct ir_pl_stmt *)all.items[i];
    for (int i = 0; i < own.len; i++)
        o[i] = *(struct ir_pl_stmt *)own.items[i];
    if (pre) {
        ip->pre = a, ip->npre = all.len, ip->pre_own = o, ip->npre_own = own.len;
    } else {
        ip->post = a, ip->npost = all.len, ip->post_own = o, ip->npost_own = own.len;
    }
    (void)pl;
}

void plastic_lower_proj(struct lctx *L, struct linst *in, struct ir_proj *pr, struct span cspan)
{
    const struct plinst *pl = in->pl;
    struct ir_plastic *ip = NEW(L, struct ir_plastic);
    memset(ip, 0, sizeof *ip);
    int before = L->d->errors;
    ip->syn_last = !pr->delay_const;
    lower_states(L, in, pl, ip, pr->weight_dim);
    bool seen[2] = {false, false};
    for (int i = 0; i < in->syn->model.items.n; i++) {
        struct ast_node *it = in->syn->model.items.items[i];
        if (it->kind != AST_ON_SPIKE || !it->on_spike.event)
            continue;
        bool pre = !strcmp(it->on_spike.event, "pre");
        if (!pre && strcmp(it->on_spike.event, "post")) {
            diag_error(L->d, it->on_spike.event_span, "unknown event '%s' (on spike, on pre, on post)",
                       it->on_spike.event);
            continue;
        }
        if (seen[pre ? 0 : 1]) {
            diag_error(L->d, it->span, "a synapse has one 'on %s' block", it->on_spike.event);
            continue;
        }
        seen[pre ? 0 : 1] = true;
        lower_event(L, in, pl, ip, it, pre, cspan);
    }
    if (L->d->errors > before && cspan.file >= 0)   /* no connect: an unused synapse (lower.c check_unused) */
        diag_note(L->d, cspan, "in synapse '%s' as connected here", in->syn->model.name);
    pr->plastic = ip;
    pr->nincs = 0;
    pr->incs = arena_alloc(L->a, sizeof *pr->incs);
}

/* ---- frame indices, once the target's variables are final ---------------------------------------- */

static struct ir_expr *remap(struct lctx *L, const struct ir_expr *e, int base, int nstates)
{
    if (!e)
        return NULL;
    struct ir_expr *c = NEW(L, struct ir_expr);
    *c = *e;
    if (e->op == IR_VAR) {
        if (e->index >= PL_BASE)
            c->index = base + (e->index - PL_BASE);
        else if (e->index >= PL_TIME)
            c->index = base + nstates + (e->index - PL_TIME);
        return c;
    }
    c->a = remap(L, e->a, base, nstates);
    c->b = remap(L, e->b, base, nstates);
    c->c = remap(L, e->c, base, nstates);
    return c;
}

static void remap_stmts(struct lctx *L, struct ir_pl_stmt *st, int n, int base, int nstates)
{
    for (int i = 0; i < n; i++) {
        st[i].value = remap(L, st[i].value, base, nstates);
        if (st[i].dst >= PL_BASE)
            st[i].dst = base + (st[i].dst - PL_BASE);
    }
}

void plastic_finish(struct lctx *L, struct ir_proj *pr, int nvars, bool single)
{
    struct ir_plastic *ip = pr->plastic;
    if (!ip)
        return;
    ip->base = nvars;
    ip->single = single;
    for (int s = 0; s < ip->nstates; s++)
        ip->bring[s] = remap(L, ip->bring[s], nvars, ip->nstates);
    remap_stmts(L, ip->pre, ip->npre, nvars, ip->nstates);
    remap_stmts(L, ip->pre_own, ip->npre_own, nvars, ip->nstates);
    remap_stmts(L, ip->post, ip->npost, nvars, ip->nstates);
    remap_stmts(L, ip->post_own, ip->npost_own, nvars, ip->nstates);
}

/* ---- record PRE -> POST: ... ------------------------------------------------------------------------- */

static const char *ref_name(struct lctx *L, struct ir_ref r)
{
    return r.is_input ? L->ir->inputs[r.index].name : L->pops[r.index] ? L->pops[r.index]->ip->name : "?";
}

/* A named argument `name = value` of a recording call, as a constant of dimension want (NULL: absent). */
static bool wrec_arg(struct lctx *L, struct ast_node *call, const char *name, struct ir_dim want, double *out)
{
    for (int i = 0; i < call->call.args.n; i++) {
        struct ast_node *a = call->call.args.items[i];
        if (!a->bind.name || strcmp(a->bind.name, name))
            continue;
        struct val v = check_expr(L, &L->global, a->bind.value);
        return check_dim(L, v, want, a->bind.value->span, name) && check_const(L, v, a->bind.value->span, name, out);
    }
    return false;
}

static bool wrec_has_arg(const struct ast_node *call, const char *name)
{
    for (int i = 0; i < call->call.args.n; i++)
        if (call->call.args.items[i]->bind.name && !strcmp(call->call.args.items[i]->bind.name, name))
            return true;
    return false;
}

/* `synapses = K` of weight_trace / state_trace: how many synapses to follow (required, 1 to 10000: one
 * column of a sample per synapse, so a file of at most TRACE_MAX_ROWS rows still holds 10 samples). */
static bool wrec_nsample(struct lctx *L, struct ast_node *call, struct ir_wrec *w)
{
    double k = 0;
    if (!wrec_has_arg(call, "synapses")) {
        diag_error(L->d, call->span, "%s() needs the number of synapses to follow: synapses = K", call->call.name);
        return false;
    }
    if (!wrec_arg(L, call, "synapses", unit_dimless(), &k))
        return false;
    if (!(k >= 1 && k <= 10000) || k != nearbyint(k)) {
        diag_error(L->d, call->span, "%s() follows 1 to 10000 synapses (a whole number), not %g", call->call.name, k);
        return false;
    }
    w->nsample = (int)k;
    return true;
}

static bool wrec_args_known(struct lctx *L, struct ast_node *call, const char *const *names)
{
    bool ok = true;
    for (int i = 0; i < call->call.args.n; i++) {
        struct ast_node *a = call->call.args.items[i];
        if (!a->bind.name)
            continue;
        bool known = false;
        for (int k = 0; names[k]; k++)
            known |= !strcmp(names[k], a->bind.name);
        if (!known) {
            diag_error(L->d, a->bind.name_span, "%s() has no argument '%s'", call->call.name, a->bind.name);
            ok = false;
        }
    }
    return ok;
}

void plastic_lower_record(struct lctx *L, struct ast_node *d, struct ptrvec *out)
{
    const char *pre = d->record.pops.items[0]->name.id, *post = d->record.post;
    int proj = -1, nmatch = 0;
    for (int j = 0; j < L->ir->nprojs; j++) {
        const struct ir_proj *p = &L->ir->projs[j];
        if (strcmp(ref_name(L, p->pre), pre) || strcmp(ref_name(L, p->post), post))
            continue;
        nmatch++;
        if (p->plastic)
            proj = proj < 0 ? j : -2;
    }
    if (proj == -2) {
        diag_error(L->d, d->span, "there are several plastic connections %s -> %s; a record names one", pre, post);
        return;
    }
    if (proj < 0) {
        if (nmatch)
            diag_error(L->d, d->span, "the connection %s -> %s is not plastic: its weights do not change", pre, post);
        else
            diag_error(L->d, d->span, "there is no connection %s -> %s", pre, post);
        return;
    }
    const struct ir_plastic *pl = L->ir->projs[proj].plastic;
    for (int i = 0; i < d->record.stats.n; i++) {
        struct ast_node *sn = d->record.stats.items[i], *e = sn->bind.value;
        const char *fn = e->kind == AST_NAME ? e->name.id : e->kind == AST_CALL ? e->call.name : "";
        struct ir_wrec *w = NEW(L, struct ir_wrec);
        memset(w, 0, sizeof *w);
        w->proj = proj;
        w->span = sn->span;
        w->who = arena_printf(L->a, "%s-%s", pre, post);
        w->name = sn->bind.name ? sn->bind.name : fn;
        struct ir_dim dim = pl->states[0].dim;
        if (!strcmp(fn, "weights") && e->kind == AST_NAME) {
            w->kind = IR_WREC_WEIGHTS;
        } else if (e->kind == AST_CALL && !strcmp(fn, "weight_stats")) {
            w->kind = IR_WREC_STATS;
            static const char *const known[] = {"every", NULL};
            if (!wrec_args_known(L, e, known))
                continue;
        } else if (e->kind == AST_CALL && !strcmp(fn, "weight_hist")) {
            w->kind = IR_WREC_HIST;
            static const char *const known[] = {"bins", "min", "max", "every", NULL};
            double bins = 20;
            if (!wrec_args_known(L, e, known))
                continue;
            wrec_arg(L, e, "bins", unit_dimless(), &bins);
            wrec_arg(L, e, "min", dim, &w->lo);
            if (!wrec_arg(L, e, "max", dim, &w->hi)) {
                diag_error(L->d, e->span, "weight_hist() needs the top of its range: max = ... (%s)",
                           dimname(L, dim));
                continue;
            }
            if (!(bins >= 1 && bins <= 10000) || !(w->hi > w->lo)) {
                diag_error(L->d, e->span, "weight_hist() needs 1 to 10000 bins and max > min");
                continue;
            }
            w->bins = (int)nearbyint(bins);
        } else if (e->kind == AST_CALL && !strcmp(fn, "weight_trace")) {
            w->kind = IR_WREC_SYN;
            static const char *const known[] = {"every", "synapses", NULL};
            if (!wrec_args_known(L, e, known) || !wrec_nsample(L, e, w))
                continue;
        } else if (e->kind == AST_CALL && !strcmp(fn, "state_trace") && e->call.args.n >= 1 &&
                   !e->call.args.items[0]->bind.name && e->call.args.items[0]->bind.value->kind == AST_NAME) {
            w->kind = IR_WREC_STATE;
            static const char *const known[] = {"every", "synapses", NULL};
            if (!wrec_args_known(L, e, known))
                continue;
            if (wrec_has_arg(e, "synapses")) {   /* the state as each of K sampled synapses sees it */
                w->kind = IR_WREC_SYN;
                if (!wrec_nsample(L, e, w))
                    continue;
            }
            struct ast_node *x = e->call.args.items[0]->bind.value;
            w->state = -1;
            for (int s = 1; s < pl->nstates; s++)
                if (!strcmp(pl->states[s].name, x->name.id))
                    w->state = s;
            if (w->state < 0) {
                diag_error(L->d, x->span, "'%s' is not an event state of %s (its event states:%s%s%s%s)", x->name.id,
                           L->ir->projs[proj].synapse, pl->nstates > 1 ? " " : " none",
                           pl->nstates > 1 ? pl->states[1].name : "", pl->nstates > 2 ? ", " : "",
                           pl->nstates > 2 ? pl->states[2].name : "");
                continue;
            }
            dim = pl->states[w->state].dim;
            if (!sn->bind.name)
                w->name = arena_printf(L->a, w->kind == IR_WREC_SYN ? "synapses_%s" : "state_%s", x->name.id);
        } else {
            diag_error(L->d, e->span, "a record of a connection takes weights, weight_stats(every), "
                       "weight_hist(bins, max, every), weight_trace(every, synapses) and "
                       "state_trace(x, every [, synapses])");
            continue;
        }
        w->every = L->dt;
        if (e->kind == AST_CALL && wrec_arg(L, e, "every", unit_dim_time(), &w->every) && w->every < L->dt) {
            diag_error(L->d, e->span, "every must be at least dt");
            continue;
        }
        char buf[64];
        w->unit = arena_strdup(L->a, unit_display(dim, &w->unit_scale, buf, sizeof buf));
        ptrvec_push(L->a, out, w);
    }
}

/* ---- syn(SYNAPSE, STATE): one receptor of a neuron, for records ---------------------------------------- */

struct val plastic_syn_call(struct lctx *L, struct scope *s, struct ast_node *call)
{
    struct val bad = {NULL, {{0}}, VK_NUM, NULL};
    struct ast_node *a0 = call->call.args.n == 2 ? call->call.args.items[0]->bind.value : NULL;
    struct ast_node *a1 = call->call.args.n == 2 ? call->call.args.items[1]->bind.value : NULL;
    if (!a0 || !a1 || a0->kind != AST_NAME || a1->kind != AST_NAME || call->call.args.items[0]->bind.name ||
        call->call.args.items[1]->bind.name) {
        diag_error(L->d, call->span, "syn() takes a synapse and one of its states: syn(exp_conductance, g)");
        return bad;
    }
    struct lpop *p = s->pop;
    if (!p || s->inst) {
        diag_error(L->d, call->span, "syn() reads a receptor of a neuron; use it in a record of a population");
        return bad;
    }
    struct linst *found = NULL;
    int n = 0;
    for (int i = 0; i < p->insts.len; i++) {
        struct linst *in = p->insts.items[i];
        if (!strcmp(in->syn->model.name, a0->name.id)) {
            found = found ? found : in;
            n++;
        }
    }
    if (!found) {
        diag_error(L->d, a0->span, "no synapse '%s' targets population '%s'", a0->name.id, p->ip->name);
        return bad;
    }
    if (n > 1) {
        diag_error(L->d, a0->span, "%d instances of '%s' (different arguments) target population '%s'; syn() "
                   "needs one", n, a0->name.id, p->ip->name);
        return bad;
    }
    struct binding *b = scope_find_local(&found->scope, a1->name.id);
    if (!b || b->kind != BK_STATE) {
        diag_error(L->d, a1->span, "synapse '%s' has no state '%s'", a0->name.id, a1->name.id);
        return bad;
    }
    if (b->var >= PL_BASE) {
        diag_error(L->d, a1->span, "'%s' of '%s' is stored per synapse or per source/target neuron, not per "
                   "neuron; record it with `record PRE -> POST: state_trace(%s, every = ...)`", a1->name.id,
                   a0->name.id, a1->name.id);
        return bad;
    }
    return check_binding(L, b, a1->span);
}
