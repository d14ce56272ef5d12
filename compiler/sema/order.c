/*
 * order.c - `simulate { order = [...] }`: the order of the phases of one time step (docs/language.md, "One
 * time step"), in the spirit of Brian2's `schedule`.
 *
 * Owns: reading the order and writing it into the IR.  The runtime always runs deliver (spikes of populations
 * and of inputs) and then the kernels, and the kernels advance every ODE from the values loaded at the start
 * of the kernel (ir/ir.h), which is the default order [deliver, inputs, update, thresholds].  Every other
 * order is written here into the kernels' expressions, so the two engines and the runtime need nothing new
 * and execute each order bit for bit alike:
 *   - synapses before neurons: a neuron ODE reads the receptor's new value, i.e. its update expression
 *     (the old value substituted by it);
 *   - synapses before inputs (the loop of Zhu, Ocker & Rosenbaum's code, where a recurrent spike's increment
 *     decays once before it acts on V and an external one does not): the inputs' increments go to a staging
 *     variable `<receptor>@inputs` that the kernel adds after the receptor's update and then clears;
 *   - synapses after thresholds: the same as together with the neurons when no synapse ODE reads a neuron
 *     variable (otherwise it would need the values after the resets, which the kernels do not keep).
 * Must not: change the default order's IR (its kernels and results stay those of every earlier version).
 */
#include "sema/internal.h"

#include <string.h>

/* The orders the kernels can express (file comment), written from the delivery of the populations' spikes,
 * where the runtime's step begins.  The first one is the default. */
#define NORDERS 4
static const enum ir_phase orders[NORDERS][IR_PHASE_COUNT] = {
    {IR_PHASE_DELIVER, IR_PHASE_INPUTS, IR_PHASE_UPDATE, IR_PHASE_THRESHOLDS},
    {IR_PHASE_DELIVER, IR_PHASE_INPUTS, IR_PHASE_SYNAPSES, IR_PHASE_NEURONS, IR_PHASE_THRESHOLDS},
    {IR_PHASE_DELIVER, IR_PHASE_SYNAPSES, IR_PHASE_INPUTS, IR_PHASE_NEURONS, IR_PHASE_THRESHOLDS},
    {IR_PHASE_DELIVER, IR_PHASE_INPUTS, IR_PHASE_NEURONS, IR_PHASE_THRESHOLDS, IR_PHASE_SYNAPSES},
};
static const int order_len[NORDERS] = {4, 5, 5, 5};
enum { ORDER_DEFAULT, ORDER_SYN_FIRST, ORDER_SYN_BEFORE_INPUTS, ORDER_SYN_LAST };

void order_default(struct ir_model *ir)
{
    ir->norder = order_len[ORDER_DEFAULT];
    memcpy(ir->order, orders[ORDER_DEFAULT], sizeof orders[ORDER_DEFAULT]);
}

static int order_index(const struct ir_model *ir)
{
    for (int k = 0; k < NORDERS; k++)
        if (ir->norder == order_len[k] && !memcmp(ir->order, orders[k], (size_t)ir->norder * sizeof *ir->order))
            return k;
    return ir->norder == 0 ? ORDER_DEFAULT : -1;
}

static const char *order_text(struct arena *a, const enum ir_phase *o, int n)
{
    const char *s = "[";
    for (int k = 0; k < n; k++)
        s = arena_printf(a, "%s%s%s", s, k ? ", " : "", ir_phase_name[o[k]]);
    return arena_printf(a, "%s]", s);
}

bool order_set(struct lctx *L, struct ast_node *value)
{
    if (value->kind != AST_LIST) {
        diag_error(L->d, value->span, "order takes a list of phases, e.g. [deliver, inputs, update, thresholds]");
        return false;
    }
    struct ir_model *ir = L->ir;
    const struct ast_list *it = &value->list;
    enum ir_phase got[IR_PHASE_COUNT];
    int n = 0;
    bool ok = true;
    for (int i = 0; i < it->n; i++) {
        struct ast_node *e = it->items[i];
        int k = 0;
        while (e->kind == AST_NAME && k < IR_PHASE_COUNT && strcmp(ir_phase_name[k], e->name.id))
            k++;
        if (e->kind != AST_NAME || k == IR_PHASE_COUNT) {
            struct diag_suggest sg = {.name = e->kind == AST_NAME ? e->name.id : ""};
            for (int j = 0; e->kind == AST_NAME && j < IR_PHASE_COUNT; j++)
                diag_suggest(&sg, ir_phase_name[j]);
            if (sg.best)
                diag_error(L->d, e->span, "unknown phase '%s'; did you mean '%s'?", e->name.id, sg.best);
            else
                diag_error(L->d, e->span, "not a phase (deliver, inputs, update, synapses, neurons, thresholds)");
            ok = false;
            continue;
        }
        for (int j = 0; j < n; j++)
            if (got[j] == (enum ir_phase)k) {
                diag_error(L->d, e->span, "phase '%s' is listed twice", ir_phase_name[k]);
                ok = false;
            }
        if (n < IR_PHASE_COUNT)
            got[n++] = (enum ir_phase)k;
    }
    if (!ok)
        return false;
    for (int k = 0; k < NORDERS; k++)
        if (n == order_len[k] && !memcmp(got, orders[k], (size_t)n * sizeof *got)) {
            ir->norder = n;
            memcpy(ir->order, got, (size_t)n * sizeof *got);
            return true;
        }
    /* A step begins with deliver: a loop written from elsewhere is a rotation of a supported order. */
    enum ir_phase rot[IR_PHASE_COUNT];
    int d = 0;
    while (d < n && got[d] != IR_PHASE_DELIVER)
        d++;
    for (int j = 0; j < n; j++)
        rot[j] = got[(d + j) % n];
    for (int k = 0; d > 0 && d < n && k < NORDERS; k++)
        if (n == order_len[k] && !memcmp(rot, orders[k], (size_t)n * sizeof *rot)) {
            diag_error(L->d, value->span, "a step begins with deliver: write this loop as %s",
                       order_text(L->a, rot, n));
            return false;
        }
    const char *list = "";
    for (int k = 0; k < NORDERS; k++)
        list = arena_printf(L->a, "%s%s%s", list, k == 0 ? "" : k == NORDERS - 1 ? " or " : ", ",
                            order_text(L->a, orders[k], order_len[k]));
    diag_error(L->d, value->span, "order %s is not supported; the kernels run %s", order_text(L->a, got, n), list);
    return false;
}

/* Adds variable `<name>@inputs` (a receptor, initially 0) to pop p; returns its index. */
static int add_staging_var(struct arena *a, struct ir_pop *p, int r)
{
    struct ir_var *v = arena_alloc(a, sizeof *v * (size_t)(p->nvars + 2));
    memcpy(v, p->vars, sizeof *v * (size_t)p->nvars);
    v[p->nvars] = p->vars[r];
    v[p->nvars].name = arena_printf(a, "%s@inputs", p->vars[r].name);
    v[p->nvars].init = fold_const(a, 0);
    p->vars = v;
    return p->nvars++;
}

static struct ir_update *add_update(struct arena *a, struct ir_pop *p, int var, struct ir_expr *next)
{
    struct ir_update *u = arena_alloc(a, sizeof *u * (size_t)(p->nupdates + 2));
    memcpy(u, p->updates, sizeof *u * (size_t)p->nupdates);
    u[p->nupdates] = (struct ir_update){.var = var, .solver = IR_SOLVER_NONE, .next = next, .span = p->vars[var].span};
    p->updates = u;
    return &p->updates[p->nupdates++];
}

static int update_of(const struct ir_pop *p, int var)
{
    for (int u = 0; u < p->nupdates; u++)
        if (p->updates[u].var == var)
            return u;
    return -1;
}

/* Synapses before neurons, and with `staged` the inputs between them: every receptor r takes
 * E_r = next_r (+ r@inputs), which every neuron ODE reads in place of r. */
static void synapses_first(struct lctx *L, struct ir_pop *p, int pi, bool staged)
{
    struct ir_model *ir = L->ir;
    int nv = p->nvars;
    int *stage = arena_alloc(L->a, sizeof *stage * (size_t)(nv + 1));
    for (int k = 0; k < nv; k++)
        stage[k] = -1;
    for (int j = 0; staged && j < ir->nprojs; j++) {
        struct ir_proj *pr = &ir->projs[j];
        if (!pr->pre.is_input || pr->post.index != pi)
            continue;
        if (pr->plastic) {   /* its increments are event statements, which have no staging (yet) */
            diag_error(L->d, pr->span, "with inputs after the synapses in the order, a connection from an input "
                       "cannot be plastic");
            continue;
        }
        for (int i = 0; i < pr->nincs; i++) {
            int r = pr->incs[i].var;
            if (p->vars[r].kind != IR_VAR_RECEPTOR)
                continue;   /* a delta synapse's input into V arrives before the neurons either way */
            if (stage[r] < 0)
                stage[r] = add_staging_var(L->a, p, r);
            pr->incs[i].var = stage[r];
        }
    }
    struct ir_expr **repl = arena_alloc(L->a, sizeof *repl * (size_t)(nv + 1));
    for (int r = 0; r < nv; r++) {
        repl[r] = NULL;
        if (p->vars[r].kind != IR_VAR_RECEPTOR)
            continue;
        int u = update_of(p, r);
        struct ir_expr *e = u >= 0 ? p->updates[u].next : fold_var(L->a, r);
        if (stage[r] >= 0) {
            e = fold_node(L->a, IR_ADD, e, fold_var(L->a, stage[r]), NULL);
            if (u >= 0)
                p->updates[u].next = e;
            else
                add_update(L->a, p, r, e);
            add_update(L->a, p, stage[r], fold_const(L->a, 0));   /* consumed by this step */
        }
        repl[r] = u >= 0 || stage[r] >= 0 ? e : NULL;
    }
    for (int u = 0; u < p->nupdates; u++) {
        struct ir_update *up = &p->updates[u];
        if (up->var >= nv || p->vars[up->var].kind == IR_VAR_RECEPTOR)
            continue;
        for (int r = 0; r < nv; r++)
            if (repl[r]) {
                up->next = fold_subst(L->a, up->next, r, repl[r]);
                up->held = up->held ? fold_subst(L->a, up->held, r, repl[r]) : NULL;
            }
    }
}

void order_apply(struct lctx *L)
{
    struct ir_model *ir = L->ir;
    int k = order_index(ir);
    for (int i = 0; i < ir->npops; i++) {
        struct ir_pop *p = &ir->pops[i];
        if (k == ORDER_SYN_FIRST || k == ORDER_SYN_BEFORE_INPUTS) {
            synapses_first(L, p, i, k == ORDER_SYN_BEFORE_INPUTS);
        } else if (k == ORDER_SYN_LAST) {
            for (int u = 0; u < p->nupdates; u++) {
                const struct ir_update *up = &p->updates[u];
                if (p->vars[up->var].kind != IR_VAR_RECEPTOR)
                    continue;
                for (int v = 0; v < p->nvars; v++)
                    if (p->vars[v].kind != IR_VAR_RECEPTOR && fold_uses_var(up->next, v)) {
                        diag_error(L->d, up->span, "with synapses after thresholds, a synapse equation cannot "
                                   "read the neuron's '%s' (population %s)", p->vars[v].name, p->name);
                        break;
                    }
            }
        }
    }
}
