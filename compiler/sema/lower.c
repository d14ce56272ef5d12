/*
 * lower.c - lowering of a checked model to struct ir_model at one sweep point (compiler/ir/ir.h).
 *
 * Owns: the global scope at a point (params, variants, taken `if` branches, overrides and axis values),
 * populations (neuron scope, population arguments, sizes), synapse instances and receptor sharing,
 * I_syn / g_syn, ODE discretisation (via solver.c), spikes, resets, refractoriness, inputs, projections
 * with their on-spike increments, simulate settings.  Records and statistics: lower_record.c.
 * Must not: print or exit; every error is a located diagnostic.
 *
 * Receptor sharing (DESIGN.md §3, "linear synapses of the same kinetics are summed"): connections into
 * one population through the same synapse with the same folded arguments share one instance, so its
 * state variables exist once per neuron and every projection adds into them.
 */
#include "sema/internal.h"
#include "runtime/spike_file.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NEW(L, T) ((T *)arena_alloc((L)->a, sizeof(T)))

static struct val vnum(struct lctx *L, double x, struct ir_dim d)
{
    return (struct val){fold_const(L->a, x), d, VK_NUM, NULL};
}

static struct ir_dim per_time(struct ir_dim d)
{
    return unit_dim_div(d, unit_dim_time());
}

/* ---- declarations of the global scope --------------------------------------------------------- */

static void add_global(struct lctx *L, struct ast_node *d, struct gdecls *g);

static void dup_error(struct lctx *L, struct span at, const char *name, struct span prev)
{
    diag_error(L->d, at, "'%s' is already declared", name);
    diag_note(L->d, prev, "previous declaration of '%s' here", name);
}

/* The value a sweep axis or an override gives a name at this point, if any. */
static const struct sema_value *axis_value(struct lctx *L, const char *name)
{
    int i = sema_axis_find(L->m, name);
    if (i < 0 || !L->point || L->point[i] < 0)
        return NULL;
    const struct sema_axis *ax = L->m->axes.items[i];
    return &ax->values[L->point[i]];
}

static void add_param(struct lctx *L, struct ast_node *d)
{
    struct binding *prev = scope_find_local(&L->global, d->bind.name);
    if (prev) {
        dup_error(L, d->bind.name_span, d->bind.name, prev->span);
        return;
    }
    struct binding *b = scope_add(L, &L->global, d->bind.name, BK_EXPR, BD_PARAM, d->bind.name_span);
    b->expr = d->bind.value;
    b->at = &L->global;
    const struct sema_value *v = axis_value(L, d->bind.name);
    const struct sema_override *ov = sema_override_find(L->m, d->bind.name);
    if (v) {
        b->kind = BK_VALUE;
        b->val = (struct val){fold_const(L->a, v->num), v->dim, VK_NUM, NULL};
    } else if (ov && ov->value->kind != AST_LIST && ov->value->kind != AST_RANGE) {
        b->decl = b->expr;
        b->expr = ov->value;
    }
}

static void add_variant(struct lctx *L, struct ast_node *d)
{
    struct binding *prev = scope_find_local(&L->global, d->variant.name);
    if (prev) {
        dup_error(L, d->variant.name_span, d->variant.name, prev->span);
        return;
    }
    struct binding *b = scope_add(L, &L->global, d->variant.name, BK_VALUE, BD_VARIANT, d->variant.name_span);
    const char *cur = d->variant.alts.n ? d->variant.alts.items[0]->name.id : "";
    const struct sema_value *v = axis_value(L, d->variant.name);
    const struct sema_override *ov = sema_override_find(L->m, d->variant.name);
    if (v)
        cur = v->alt;
    else if (ov && ov->value->kind == AST_NAME) {
        bool found = false;
        for (int i = 0; i < d->variant.alts.n; i++)
            found |= strcmp(d->variant.alts.items[i]->name.id, ov->value->name.id) == 0;
        if (found)
            cur = ov->value->name.id;
        else if (!L->point)   /* report once, at the default point */
            diag_error(L->d, ov->value->span, "'%s' is not an alternative of variant '%s'", ov->value->name.id,
                       d->variant.name);
    } else if (ov && ov->value->kind == AST_LIST) {
        /* --set syn=[a, b]: a sweep axis over alternatives; sema.c checks its values where it builds it */
    } else if (ov && !L->point)
        diag_error(L->d, ov->value->span, "variant '%s' takes one of its alternatives", d->variant.name);
    b->val = (struct val){fold_const(L->a, 0), {{0}}, VK_ALT, cur};
    for (int i = 0; i < d->variant.alts.n; i++) {
        struct ast_node *alt = d->variant.alts.items[i];
        struct binding *ab = scope_find_local(&L->global, alt->name.id);
        if (ab && !(ab->kind == BK_VALUE && ab->val.kind == VK_ALT && strcmp(ab->val.alt, alt->name.id) == 0)) {
            dup_error(L, alt->span, alt->name.id, ab->span);
            continue;
        }
        if (!ab) {
            ab = scope_add(L, &L->global, alt->name.id, BK_VALUE, BD_ALTERNATIVE, alt->span);
            ab->val = (struct val){fold_const(L->a, 0), {{0}}, VK_ALT, alt->name.id};
        }
    }
}

static void add_named(struct lctx *L, struct ptrvec *v, struct ast_node *d, const char *name, struct span ns,
                      struct ptrvec *other)
{
    struct ptrvec *lists[2] = {v, other};
    for (int l = 0; l < 2; l++)
        for (int i = 0; lists[l] && i < lists[l]->len; i++) {
            struct ast_node *o = lists[l]->items[i];
            const char *on = o->kind == AST_NEURON || o->kind == AST_SYNAPSE ? o->model.name
                             : o->kind == AST_POPULATION                     ? o->population.name
                                                                             : o->input.name;
            struct span os = o->kind == AST_NEURON || o->kind == AST_SYNAPSE ? o->model.name_span
                             : o->kind == AST_POPULATION                     ? o->population.name_span
                                                                             : o->input.name_span;
            if (strcmp(on, name) == 0) {
                dup_error(L, ns, name, os);
                return;
            }
        }
    ptrvec_push(L->a, v, d);
}

static void add_global(struct lctx *L, struct ast_node *d, struct gdecls *g)
{
    switch (d->kind) {
    case AST_PARAM: add_param(L, d); break;
    case AST_VARIANT: add_variant(L, d); break;
    case AST_NEURON: add_named(L, &g->neurons, d, d->model.name, d->model.name_span, &g->synapses); break;
    case AST_SYNAPSE: add_named(L, &g->synapses, d, d->model.name, d->model.name_span, &g->neurons); break;
    case AST_POPULATION: add_named(L, &g->pops, d, d->population.name, d->population.name_span, &g->inputs); break;
    case AST_INPUT: add_named(L, &g->inputs, d, d->input.name, d->input.name_span, &g->pops); break;
    case AST_CONNECT: ptrvec_push(L->a, &g->connects, d); break;
    case AST_RECORD: ptrvec_push(L->a, &g->records, d); break;
    case AST_SIMULATE: ptrvec_push(L->a, &g->simulates, d); break;
    case AST_SWEEP: ptrvec_push(L->a, &g->sweeps, d); break;
    default: break;
    }
}

/* Declarations inside `if`: params and variants of a taken branch join the global scope before the rest
 * of that branch is looked at, so a later `if` may test them. */
static void add_decls(struct lctx *L, struct ast_node **items, int n, struct gdecls *g, bool top)
{
    for (int i = 0; i < n; i++)
        if (items[i]->kind == AST_PARAM || items[i]->kind == AST_VARIANT)
            add_global(L, items[i], g);
    for (int i = 0; i < n; i++) {
        struct ast_node *d = items[i];
        if (d->kind == AST_PARAM || d->kind == AST_VARIANT)
            continue;
        if (d->kind != AST_IF) {
            if (d->kind == AST_SWEEP && !top) {
                diag_error(L->d, d->span, "a sweep cannot be inside 'if'");
                continue;
            }
            add_global(L, d, g);
            continue;
        }
        struct val c = check_expr(L, &L->global, d->if_.cond);
        double cv;
        if (!c.ir)
            continue;
        if (c.kind != VK_BOOL || !fold_is_const(c.ir, &cv) || fold_has_rand(c.ir)) {
            diag_error(L->d, d->if_.cond->span, "the condition of a top-level 'if' must be a constant condition "
                       "(params and variants)");
            continue;
        }
        const struct ast_list *br = cv != 0 ? &d->if_.then : &d->if_.els;
        add_decls(L, br->items, br->n, g, false);
    }
}

static void add_builtin(struct lctx *L, const char *name, double v)
{
    struct binding *b = scope_add(L, &L->builtins, name, BK_VALUE, BD_CONSTANT, SPAN_NONE);
    b->val = vnum(L, v, unit_dimless());
}

struct lctx *lower_begin(struct sema_model *m, const int *point, struct measured *meas, struct diags *d)
{
    struct lctx *L = arena_alloc(m->a, sizeof *L);
    L->m = m;
    L->meas = meas;
    L->a = m->a;
    L->d = d;
    L->point = point;
    L->dt = 0.1;
    L->noise_ode = -1;
    L->builtins.L = L->global.L = L;
    L->global.parent = &L->builtins;
    add_builtin(L, "pi", M_PI);
    add_builtin(L, "e", M_E);
    add_builtin(L, "inf", INFINITY);
    struct gdecls *g = arena_alloc(m->a, sizeof *g);
    L->g = g;
    add_decls(L, (struct ast_node **)m->decls.items, m->decls.len, g, true);
    return L;
}

/* ---- simulate --------------------------------------------------------------------------------- */

const char *const sema_sim_names[SEMA_SIM_COUNT] = {
#define X(name, str) [SEMA_SIM_##name] = str,
    SEMA_SIMS(X)
#undef X
};

enum sema_sim sema_sim_find(const char *name)
{
    int k = 0;
    while (k < SEMA_SIM_COUNT && strcmp(sema_sim_names[k], name))
        k++;
    return (enum sema_sim)k;
}

static bool sim_setting(struct lctx *L, enum sema_sim k, struct ast_node *value)
{
    const char *name = sema_sim_names[k];
    if (k == SEMA_SIM_ORDER)
        return order_set(L, value);
    if (value->kind == AST_LIST) {
        diag_error(L->d, value->span, "%s takes one value, not a list", name);
        return false;
    }
    if (k == SEMA_SIM_METHOD || k == SEMA_SIM_PRECISION) {
        if (value->kind != AST_NAME) {
            diag_error(L->d, value->span, "%s takes a name (%s)", name,
                       k == SEMA_SIM_METHOD ? "auto, euler, rk2, exp_euler" : "double, single");
            return false;
        }
        if (k == SEMA_SIM_METHOD) {
            enum sema_method mm;
            if (!solver_method_parse(value->name.id, &mm) || mm == SEMA_METHOD_EXACT) {
                diag_error(L->d, value->span, "unknown method '%s' (auto, euler, rk2, exp_euler)", value->name.id);
                return false;
            }
            L->method = mm;
        } else if (!strcmp(value->name.id, "double")) {
            L->ir->precision = IR_DOUBLE;
        } else if (!strcmp(value->name.id, "single")) {
            L->ir->precision = IR_SINGLE;
        } else {
            diag_error(L->d, value->span, "unknown precision '%s' (double, single)", value->name.id);
            return false;
        }
        return true;
    }
    struct val v = check_expr(L, &L->global, value);
    double x;
    if (k == SEMA_SIM_SEED) {
        if (!check_dim(L, v, unit_dimless(), value->span, "seed") || !check_const(L, v, value->span, "seed", &x))
            return false;
        if (x < 0 || x != floor(x) || x > 1.8e19) {
            diag_error(L->d, value->span, "seed must be a non-negative integer");
            return false;
        }
        L->ir->seed = (uint64_t)x;
        return true;
    }
    if (!check_dim(L, v, unit_dim_time(), value->span, name) || !check_const(L, v, value->span, name, &x))
        return false;
    if (k == SEMA_SIM_DT)
        L->ir->dt = x;
    else if (k == SEMA_SIM_DURATION)
        L->ir->duration = x;
    else
        L->ir->burn_in = x;
    return true;
}

static void lower_simulate(struct lctx *L)
{
    struct ir_model *ir = L->ir;
    ir->dt = 0.1;
    ir->duration = 1000;
    ir->burn_in = 0;
    ir->seed = 1;
    ir->precision = IR_DOUBLE;
    order_default(ir);
    L->method = SEMA_METHOD_AUTO;
    struct span where = SPAN_NONE;
    for (int i = 0; i < L->g->simulates.len; i++) {
        struct ast_node *s = L->g->simulates.items[i];
        where = s->span;
        for (int j = 0; j < s->block.items.n; j++) {
            struct ast_node *it = s->block.items.items[j];
            enum sema_sim k = sema_sim_find(it->bind.name);
            if (k == SEMA_SIM_COUNT) {
                struct diag_suggest sg = {.name = it->bind.name};
                const char *list = "";
                for (int kk = 0; kk < SEMA_SIM_COUNT; kk++) {
                    diag_suggest(&sg, sema_sim_names[kk]);
                    list = arena_printf(L->a, "%s%s%s", list, kk ? ", " : "", sema_sim_names[kk]);
                }
                diag_error(L->d, it->bind.name_span, "unknown simulate setting '%s'%s", it->bind.name,
                           diag_suggestion(L->d, &sg, arena_printf(L->a, " (%s)", list)));
                continue;
            }
            if (axis_value(L, it->bind.name) || sema_override_find(L->m, it->bind.name))
                continue;   /* applied below */
            sim_setting(L, k, it->bind.value);
        }
    }
    for (int k = 0; k < SEMA_SIM_COUNT; k++) {
        const struct sema_value *v = axis_value(L, sema_sim_names[k]);
        const struct sema_override *ov = sema_override_find(L->m, sema_sim_names[k]);
        if (v) {
            if (k == SEMA_SIM_METHOD)
                L->method = (enum sema_method)v->num;
            else if (k == SEMA_SIM_DT)
                ir->dt = v->num;
            else if (k == SEMA_SIM_DURATION)
                ir->duration = v->num;
            else if (k == SEMA_SIM_BURN_IN)
                ir->burn_in = v->num;
            else if (k == SEMA_SIM_SEED)
                ir->seed = (uint64_t)v->num;
        } else if (ov && ov->value->kind != AST_LIST && ov->value->kind != AST_RANGE) {
            sim_setting(L, (enum sema_sim)k, ov->value);
        }
    }
    if (!(ir->dt > 0))
        diag_error(L->d, where, "dt must be positive (it is %g ms)", ir->dt);
    else if (!(ir->duration > 0))
        diag_error(L->d, where, "duration must be positive (it is %g ms)", ir->duration);
    else if (!(ir->burn_in >= 0 && ir->burn_in < ir->duration))
        diag_error(L->d, where, "burn_in (%g ms) must be at least 0 and shorter than duration (%g ms)", ir->burn_in,
                   ir->duration);
    else if (ir->duration / ir->dt > 1e12)
        diag_error(L->d, where, "duration / dt is too many steps (%g)", ir->duration / ir->dt);
    else if (ir->duration - ir->burn_in < ir->dt)
        diag_error(L->d, where, "nothing is measured: duration - burn_in (%g ms) is shorter than one step (dt = %g ms)",
                   ir->duration - ir->burn_in, ir->dt);
    L->dt = ir->dt > 0 ? ir->dt : 0.1;
}

/* ---- populations ------------------------------------------------------------------------------ */

int lower_add_var(struct lctx *L, struct lpop *p, const char *name, enum ir_var_kind k, struct span s)
{
    struct ir_var *v = NEW(L, struct ir_var);
    v->name = name;
    v->kind = k;
    v->span = s;
    ptrvec_push(L->a, &p->vars, v);
    return p->vars.len - 1;
}

static struct ast_node *find_model(struct lctx *L, struct ptrvec *v, const char *name)
{
    for (int i = 0; i < v->len; i++) {
        struct ast_node *d = v->items[i];
        if (!strcmp(d->model.name, name))
            return d;
    }
    return NULL;
}

void lower_unknown_in(struct lctx *L, struct span at, const char *what, const char *name, struct ptrvec *v)
{
    struct diag_suggest sg = {.name = name};
    for (int i = 0; i < v->len; i++) {
        struct ast_node *d = v->items[i];
        diag_suggest(&sg, d->kind == AST_NEURON || d->kind == AST_SYNAPSE ? d->model.name
                          : d->kind == AST_POPULATION                     ? d->population.name
                                                                          : d->input.name);
    }
    diag_error(L->d, at, "unknown %s '%s'%s", what, name, diag_suggestion(L->d, &sg, ""));
}

static const char *item_word(enum ast_kind k)
{
    switch (k) {
    case AST_ON_SPIKE: return "on spike/pre/post";
    case AST_CURRENT: return "current";
    case AST_SPIKE: return "spike when";
    case AST_REFRACTORY: return "refractory";
    default: return ast_kind_name(k);
    }
}

/* Adds the params, states and lets of a neuron or synapse body to scope s. */
static void add_items(struct lctx *L, struct scope *s, struct ast_node *model, struct lpop *p, const char *prefix)
{
    bool neuron = model->kind == AST_NEURON;
    for (int i = 0; i < model->model.items.n; i++) {
        struct ast_node *it = model->model.items.items[i];
        switch (it->kind) {
        case AST_PARAM:
        case AST_LET:
        case AST_STATE: {
            struct binding *prev = scope_find_local(s, it->bind.name);
            if (prev) {
                dup_error(L, it->bind.name_span, it->bind.name, prev->span);
                continue;
            }
            enum bind_decl dk = it->kind == AST_PARAM ? BD_PARAM : it->kind == AST_LET ? BD_LET : BD_STATE;
            struct binding *b = scope_add(L, s, it->bind.name, it->kind == AST_STATE ? BK_STATE : BK_EXPR, dk,
                                          it->bind.name_span);
            b->expr = it->bind.value;
            b->at = s;
            if (neuron && it->kind == AST_PARAM)
                b->owner = p;
            if (it->kind == AST_STATE && s->inst && plastic_state_var(s->inst->pl, it->bind.name) >= 0)
                b->var = plastic_state_var(s->inst->pl, it->bind.name);   /* an event state (lower_plastic.c) */
            else if (it->kind == AST_STATE)
                b->var = lower_add_var(L, p, prefix ? arena_printf(L->a, "%s.%s", prefix, it->bind.name) : it->bind.name,
                                     prefix ? IR_VAR_RECEPTOR : IR_VAR_STATE, it->bind.name_span);
            break;
        }
        case AST_ODE:
            break;
        case AST_SPIKE:
        case AST_REFRACTORY:
            if (!neuron)
                diag_error(L->d, it->span, "'%s' belongs in a neuron, not in synapse '%s'", item_word(it->kind),
                           model->model.name);
            break;
        case AST_ON_SPIKE:
        case AST_CURRENT:
            if (neuron)
                diag_error(L->d, it->span, "'%s' belongs in a synapse, not in neuron '%s'", item_word(it->kind),
                           model->model.name);
            break;
        default:
            diag_error(L->d, it->span, "'%s' is not allowed in a %s", ast_kind_name(it->kind),
                       neuron ? "neuron" : "synapse");
        }
    }
}

static void add_special(struct lctx *L, struct lpop *p, const char *name, enum bind_kind k)
{
    if (scope_find_local(&p->scope, name))
        return;   /* a user declaration of the same name wins */
    struct binding *b = scope_add(L, &p->scope, name, k, BD_BUILTIN, SPAN_NONE);
    b->at = &p->scope;
}

/* ---- dotted names: POP.NAME and SYNAPSE.NAME from --set and sweep axes ----------------------------- */

/* A value given from outside the file to a population's param or state, or to a synapse's parameter. */
struct dotted {
    const char *full;           /* "E.I_e" */
    struct span at;             /* the --set value or the sweep axis name */
    struct ir_dim dim;          /* of the value (of every value of an axis) */
    struct val value;           /* ir NULL: none at this point (the checking pass lowers declared values) */
};

/* The header parameter or body param/state `name` of a neuron or synapse, or NULL. */
static struct ast_node *body_item(struct ast_node *model, const char *name)
{
    if (model->kind == AST_SYNAPSE) {
        for (int i = 0; i < model->model.params.n; i++)
            if (!strcmp(model->model.params.items[i]->bind.name, name))
                return model->model.params.items[i];
        return NULL;
    }
    for (int i = 0; i < model->model.items.n; i++) {
        struct ast_node *it = model->model.items.items[i];
        if ((it->kind == AST_PARAM || it->kind == AST_STATE) && !strcmp(it->bind.name, name))
            return it;
    }
    return NULL;
}

/* The neuron of population `owner`, else the synapse named `owner`, else NULL. */
static struct ast_node *dotted_model(struct lctx *L, const char *owner)
{
    for (int i = 0; i < L->g->pops.len; i++) {
        struct ast_node *d = L->g->pops.items[i];
        if (!strcmp(d->population.name, owner))
            return find_model(L, &L->g->neurons, d->population.model);
    }
    return find_model(L, &L->g->synapses, owner);
}

/* Offers the settable names of a body to sg, or appends "owner.name" to *list (at most max of them). */
static void dotted_items(struct lctx *L, struct ast_node *model, const char *owner, struct diag_suggest *sg,
                         char **list, int *n, int max)
{
    bool syn = model->kind == AST_SYNAPSE;
    int len = syn ? model->model.params.n : model->model.items.n;
    for (int i = 0; i < len; i++) {
        struct ast_node *it = syn ? model->model.params.items[i] : model->model.items.items[i];
        if (!syn && it->kind != AST_PARAM && it->kind != AST_STATE)
            continue;
        if (sg)
            diag_suggest(sg, it->bind.name);
        if (list && (*n)++ < max)
            *list = arena_printf(L->a, "%s%s%s.%s", *list, **list ? ", " : "", owner, it->bind.name);
    }
}

const char *lower_dotted_names(struct lctx *L, int max)
{
    char *list = "";
    int n = 0;
    for (int i = 0; i < L->g->pops.len; i++) {
        struct ast_node *d = L->g->pops.items[i];
        struct ast_node *nd = find_model(L, &L->g->neurons, d->population.model);
        if (nd)
            dotted_items(L, nd, d->population.name, NULL, &list, &n, max);
    }
    for (int i = 0; i < L->g->synapses.len; i++) {
        struct ast_node *sd = L->g->synapses.items[i];
        dotted_items(L, sd, sd->model.name, NULL, &list, &n, max);
    }
    return n > max ? arena_printf(L->a, "%s, ... (%d in all)", list, n) : list;
}

bool lower_dotted_check(struct lctx *L, const char *name, struct span at, const char *ctx)
{
    const char *dot = strchr(name, '.');
    const char *owner = arena_strndup(L->a, name, (size_t)(dot - name)), *item = dot + 1;
    struct ast_node *model = dotted_model(L, owner);
    if (!model) {
        struct diag_suggest sg = {.name = owner};
        for (int i = 0; i < L->g->pops.len; i++)
            diag_suggest(&sg, ((struct ast_node *)L->g->pops.items[i])->population.name);
        for (int i = 0; i < L->g->synapses.len; i++)
            diag_suggest(&sg, ((struct ast_node *)L->g->synapses.items[i])->model.name);
        diag_error(L->d, at, "%s '%s': '%s' is not a population or a synapse%s", ctx, name, owner,
                   diag_suggestion(L->d, &sg, ""));
        return false;
    }
    if (body_item(model, item))
        return true;
    struct diag_suggest sg = {.name = item};
    dotted_items(L, model, owner, &sg, NULL, NULL, 0);
    if (model->kind == AST_SYNAPSE)
        diag_error(L->d, at, "%s '%s': synapse '%s' has no parameter '%s'%s", ctx, name, owner, item,
                   diag_suggestion(L->d, &sg, ""));
    else
        diag_error(L->d, at, "%s '%s': neuron '%s' of population '%s' has no param or state '%s'%s", ctx, name,
                   model->model.name, owner, item, diag_suggestion(L->d, &sg, ""));
    return false;
}

/* Binds b of `owner` to its value from outside, if there is one: a sweep axis value at this point, else a
 * single --set value (a --set list became an axis), evaluated in the global scope like a population
 * argument.  An axis is recorded even where no value applies, so that the checking pass compares every
 * axis value's dimension with the declaration. */
static void dotted_apply(struct lctx *L, const char *owner, struct binding *b)
{
    const char *full = arena_printf(L->a, "%s.%s", owner, b->name);
    int i = sema_axis_find(L->m, full);
    const struct sema_override *ov = i < 0 ? sema_override_find(L->m, full) : NULL;
    if (i < 0 && (!ov || ov->value->kind == AST_LIST || ov->value->kind == AST_RANGE))
        return;
    struct dotted *t = NEW(L, struct dotted);
    t->full = full;
    if (i >= 0) {
        const struct sema_axis *ax = L->m->axes.items[i];
        const struct sema_value *v = axis_value(L, full);
        t->at = ax->span;
        t->dim = ax->values[0].dim;
        if (v)
            t->value = vnum(L, v->num, v->dim);
    } else {
        t->value = check_expr(L, &L->global, ov->value);
        t->at = ov->value->span;
        t->dim = t->value.dim;
        if (!t->value.ir)
            return;
    }
    b->outside = t;
    if (b->kind == BK_VALUE)   /* a synapse argument as written: compare now */
        b->val = lower_outside(L, b, b->val);
}

/* Called when b's declared value has been evaluated (check_binding), so the comparison costs nothing and
 * evaluates nothing early; once per message, not once per synapse instance. */
struct val lower_outside(struct lctx *L, struct binding *b, struct val declared)
{
    struct dotted *t = b->outside;
    if (!declared.ir || declared.kind != VK_NUM || unit_dim_eq(declared.dim, t->dim))
        return t->value.ir ? t->value : declared;
    const char *msg = arena_printf(L->a, "'%s' is given %s, but it is %s", t->full, dimname(L, t->dim),
                                   dimname(L, declared.dim));
    for (struct diag *g = L->d->head; g; g = g->next)
        if (g->level == DIAG_ERROR && g->span.file == t->at.file && g->span.begin == t->at.begin && !strcmp(g->msg, msg))
            return declared;
    diag_error(L->d, t->at, "%s", msg);
    diag_note(L->d, b->span, "'%s' declared here", b->name);
    return declared;
}

static struct lpop *pop_begin(struct lctx *L, struct ast_node *d, int index)
{
    struct ast_node *nd = find_model(L, &L->g->neurons, d->population.model);
    if (!nd) {
        if (find_model(L, &L->g->synapses, d->population.model))
            diag_error(L->d, d->population.model_span, "'%s' is a synapse; a population needs a neuron",
                       d->population.model);
        else
            lower_unknown_in(L, d->population.model_span, "neuron", d->population.model, &L->g->neurons);
        return NULL;
    }
    struct lpop *p = NEW(L, struct lpop);
    p->decl = d;
    p->neuron = nd;
    p->index = index;
    p->scope.L = L;
    p->scope.parent = &L->global;
    p->scope.pop = p;
    p->t_var = p->v_var = -1;
    add_items(L, &p->scope, nd, p, NULL);
    add_special(L, p, "I_syn", BK_ISYN);
    add_special(L, p, "g_syn", BK_GSYN);
    add_special(L, p, "t", BK_TIME);
    struct binding *vb = scope_find_local(&p->scope, "V");
    if (vb && vb->kind == BK_STATE)
        p->v_var = vb->var;
    /* population arguments override params and initial values; they are evaluated in the global scope */
    for (int i = 0; i < d->population.args.n; i++) {
        struct ast_node *arg = d->population.args.items[i];
        if (!arg->bind.name) {
            diag_error(L->d, arg->span, "population arguments are named: NAME = value");
            continue;
        }
        struct binding *b = scope_find_local(&p->scope, arg->bind.name);
        if (!b || (b->kind != BK_EXPR && b->kind != BK_STATE) || b->decl_kind == BD_LET) {
            struct diag_suggest sg = {.name = arg->bind.name};
            for (int j = 0; j < p->scope.binds.len; j++) {
                struct binding *c = p->scope.binds.items[j];
                if ((c->kind == BK_EXPR || c->kind == BK_STATE) && c->decl_kind != BD_LET)
                    diag_suggest(&sg, c->name);
            }
            diag_error(L->d, arg->bind.name_span, "neuron '%s' has no param or state '%s'%s", nd->model.name,
                       arg->bind.name, diag_suggestion(L->d, &sg, ""));
            continue;
        }
        b->decl = b->expr;      /* the neuron's own value, for pop_arg_notes */
        b->expr = arg->bind.value;
        b->at = &L->global;
    }
    /* --set E.I_e=... and sweep axes named E.I_e replace the argument (or the neuron's own value) */
    for (int i = 0; i < p->scope.binds.len; i++) {
        struct binding *b = p->scope.binds.items[i];
        if (b->decl_kind == BD_PARAM || b->decl_kind == BD_STATE)
            dotted_apply(L, d->population.name, b);
    }
    p->ip = NEW(L, struct ir_pop);
    p->ip->name = d->population.name;
    p->ip->neuron = nd->model.name;
    p->ip->span = d->span;
    p->ip->refr_var = -1;
    p->ip->spike_var = -1;
    return p;
}

static bool size_of(struct lctx *L, struct ast_node *e, int64_t *out)
{
    struct val v = check_expr(L, &L->global, e);
    double x;
    if (!check_dim(L, v, unit_dimless(), e->span, "a population size") ||
        !check_const(L, v, e->span, "a population size", &x))
        return false;
    double r = nearbyint(x);
    if (!(r >= 1)) {
        diag_error(L->d, e->span, "a population size must be at least 1 (it is %g)", x);
        return false;
    }
    if (r > 4e9) {
        diag_error(L->d, e->span, "a population size of %g is too large", x);
        return false;
    }
    *out = (int64_t)r;
    return true;
}

struct lpop *lower_pop_find(struct lctx *L, const char *name)
{
    for (int i = 0; i < L->npops; i++)
        if (L->pops[i] && !strcmp(L->pops[i]->ip->name, name))
            return L->pops[i];
    return NULL;
}

int lower_input_find(struct lctx *L, const char *name)
{
    for (int i = 0; i < L->ir->ninputs; i++)
        if (!strcmp(L->ir->inputs[i].name, name))
            return i;
    return -1;
}

/* ---- I_syn, g_syn, t --------------------------------------------------------------------------- */

/* Notes at the connect's arguments that differ in kind from the synapse's defaults: a dimension other than
 * the default's, or a random draw for a constant default (the synapse may use it where only a constant can
 * be).  Like pop_arg_notes for populations; the defaults are evaluated with scratch diagnostics. */
static bool inst_arg_notes(struct lctx *L, struct linst *in)
{
    if (!in->call || in->call->kind != AST_CALL)
        return false;
    struct ast_node *sd = in->syn;
    bool any = false;
    for (int i = 0, pos = 0; i < in->call->call.args.n; i++) {
        struct ast_node *arg = in->call->call.args.items[i];
        int k = arg->bind.name ? -1 : pos++;
        for (int j = 0; arg->bind.name && j < sd->model.params.n; j++)
            if (!strcmp(sd->model.params.items[j]->bind.name, arg->bind.name))
                k = j;
        if (k < 0 || k >= sd->model.params.n || !in->args[k].ir || !sd->model.params.items[k]->bind.value)
            continue;
        struct ast_node *sp = sd->model.params.items[k];
        struct diags scratch, *real = L->d;
        diags_init(&scratch, L->a);
        L->d = &scratch;
        struct val own = check_expr(L, &in->scope, sp->bind.value);
        L->d = real;
        struct val got = in->args[k];
        if (!own.ir || own.kind != VK_NUM || got.kind != VK_NUM)
            continue;
        if (!unit_dim_eq(own.dim, got.dim)) {
            diag_note(L->d, arg->bind.value->span, "'%s' is %s here, but synapse '%s' declares it as %s",
                      sp->bind.name, dimname(L, got.dim), sd->model.name, dimname(L, own.dim));
            any = true;
        } else if (fold_has_rand(got.ir) && !fold_has_rand(own.ir)) {
            diag_note(L->d, arg->bind.value->span, "'%s' is a random draw here; synapse '%s' uses it where it must "
                      "be one constant", sp->bind.name, sd->model.name);
            any = true;
        }
    }
    return any;
}

/* The note after an error inside a synapse body: at the connect's arguments that explain it, else where it
 * is connected, or (check_unused) that it was checked on its own. */
static void inst_note(struct lctx *L, struct linst *in, struct span cspan)
{
    if (cspan.file >= 0 && inst_arg_notes(L, in))
        return;
    if (cspan.file >= 0)
        diag_note(L->d, cspan, "in synapse '%s' as connected here", in->syn->model.name);
    else
        diag_note(L->d, in->syn->model.name_span, "in synapse '%s', checked with its defaults (no connection uses it)",
                  in->syn->model.name);
}

struct val lower_isyn(struct lctx *L, struct lpop *p, struct span use)
{
    if (p->isyn_memo == 1) {
        diag_error(L->d, use, "a synaptic current cannot depend on I_syn");
        return val_bad();
    }
    if (p->isyn_memo == 2)
        return p->isyn;
    p->isyn_memo = 1;
    struct ir_expr *sum = fold_const(L->a, 0);
    bool ok = true;
    for (int i = 0; i < p->insts.len; i++) {
        struct linst *in = p->insts.items[i];
        for (int j = 0; j < in->syn->model.items.n; j++) {
            struct ast_node *it = in->syn->model.items.items[j];
            if (it->kind != AST_CURRENT)
                continue;
            int before = L->d->errors;
            struct val c = check_expr(L, &in->scope, it->item.value);
            if (c.ir && (!check_dim(L, c, unit_dim_current(), it->item.value->span, "a synaptic current") ||
                         !check_norand(L, c, it->item.value->span, "a synaptic current")))
                c.ir = NULL;
            if (L->d->errors > before)
                inst_note(L, in, in->connect);
            if (!c.ir) {
                ok = false;
                continue;
            }
            in->cur = c.ir;
            in->cur_span = it->item.value->span;
            sum = fold_node(L->a, IR_ADD, sum, c.ir, NULL);
        }
    }
    p->isyn = ok ? (struct val){sum, unit_dim_current(), VK_NUM, NULL} : val_bad();
    p->isyn_memo = 2;
    return p->isyn;
}

/* g_syn = -dI_syn/dV: each current must be a*V + b with a free of V; its contribution is -a. */
struct val lower_gsyn(struct lctx *L, struct lpop *p, struct span use)
{
    if (p->gsyn_memo == 2)
        return p->gsyn;
    p->gsyn_memo = 2;
    p->gsyn = val_bad();
    if (!lower_isyn(L, p, use).ir)
        return p->gsyn;
    struct ir_expr *g = fold_const(L->a, 0);
    for (int i = 0; i < p->insts.len; i++) {
        struct linst *in = p->insts.items[i];
        if (!in->cur)
            continue;
        struct ir_expr *a, *b;
        if (p->v_var < 0 || !solver_linear(L->a, in->cur, p->v_var, &a, &b)) {
            diag_error(L->d, use, "g_syn needs every synaptic current into '%s' to be linear in V", p->ip->name);
            diag_note(L->d, in->cur_span, "the current of synapse '%s' is not", in->syn->model.name);
            return p->gsyn;
        }
        if (a)
            g = fold_node(L->a, IR_SUB, g, a, NULL);
    }
    p->gsyn = (struct val){g, unit_dim_conductance(), VK_NUM, NULL};
    return p->gsyn;
}

/* `t` is a hidden variable advanced by dt each step (the kernels have no clock of their own). */
struct val lower_time(struct lctx *L, struct lpop *p, struct span use)
{
    if (p->t_var < 0) {
        p->t_var = lower_add_var(L, p, "t", IR_VAR_STATE, use);
        struct ir_var *v = p->vars.items[p->t_var];
        v->dim = unit_dim_time();
        v->init = fold_const(L->a, 0);
        struct ir_update *u = NEW(L, struct ir_update);
        u->var = p->t_var;
        u->solver = IR_SOLVER_EXACT;
        u->rhs = fold_const(L->a, 1);
        u->next = fold_node(L->a, IR_ADD, fold_var(L->a, p->t_var), fold_const(L->a, L->dt), NULL);
        u->clock_dt = L->dt;   /* single precision: (step + 1) dt instead (ir.h, kernel step 2) */
        u->span = use;
        ptrvec_push(L->a, &p->updates, u);
    }
    return (struct val){fold_var(L->a, p->t_var), unit_dim_time(), VK_NUM, NULL};
}

/* ---- synapse instances ------------------------------------------------------------------------ */

/* Picks the synapse of a connect: a CALL, a NAME, or a constant `?:` choosing between them. */
static struct ast_node *pick_synapse(struct lctx *L, struct ast_node *e)
{
    while (e && e->kind == AST_COND) {
        struct val c = check_expr(L, &L->global, e->cond.cond);
        double cv;
        if (!c.ir)
            return NULL;
        if (c.kind != VK_BOOL || !fold_is_const(c.ir, &cv)) {
            diag_error(L->d, e->cond.cond->span, "the choice of synapse must be a constant condition");
            return NULL;
        }
        e = cv != 0 ? e->cond.then : e->cond.els;
    }
    if (!e || (e->kind != AST_CALL && e->kind != AST_NAME)) {
        diag_error(L->d, e ? e->span : SPAN_NONE, "expected a synapse, e.g. exp_current(5 ms)");
        return NULL;
    }
    return e;
}

static void check_body_names(struct lctx *L, struct scope *s);

static struct linst *instance_get(struct lctx *L, struct lpop *post, struct ast_node *call, struct span cspan)
{
    const char *name = call->kind == AST_CALL ? call->call.name : call->name.id;
    struct span nspan = call->kind == AST_CALL ? call->call.name_span : call->span;
    struct ast_node *sd = find_model(L, &L->g->synapses, name);
    if (!sd) {
        if (find_model(L, &L->g->neurons, name))
            diag_error(L->d, nspan, "'%s' is a neuron; a connection needs a synapse", name);
        else
            lower_unknown_in(L, nspan, "synapse", name, &L->g->synapses);
        return NULL;
    }
    int np = sd->model.params.n;
    struct val *args = arena_alloc(L->a, sizeof *args * (size_t)(np + 1));
    bool ok = true;
    if (call->kind == AST_CALL) {
        int pos = 0;
        for (int i = 0; i < call->call.args.n; i++) {
            struct ast_node *arg = call->call.args.items[i];
            int k = -1;
            if (arg->bind.name) {
                for (int j = 0; j < np; j++)
                    if (!strcmp(sd->model.params.items[j]->bind.name, arg->bind.name))
                        k = j;
                if (k < 0) {
                    diag_error(L->d, arg->bind.name_span, "synapse '%s' has no parameter '%s'", name, arg->bind.name);
                    ok = false;
                    continue;
                }
            } else {
                k = pos++;
                if (k >= np) {
                    diag_error(L->d, arg->span, "synapse '%s' takes %d argument%s", name, np, np == 1 ? "" : "s");
                    ok = false;
                    continue;
                }
            }
            if (args[k].ir) {
                diag_error(L->d, arg->span, "parameter '%s' of synapse '%s' is given twice",
                           sd->model.params.items[k]->bind.name, name);
                ok = false;
                continue;
            }
            args[k] = check_expr(L, &L->global, arg->bind.value);
            /* random arguments are fine (initial values); the value is checked where it is used */
            if (!args[k].ir)
                ok = false;
        }
    }
    for (int j = 0; j < np; j++)
        if (!args[j].ir && !sd->model.params.items[j]->bind.value) {
            diag_error(L->d, call->span, "missing argument '%s' of synapse '%s'", sd->model.params.items[j]->bind.name,
                       name);
            ok = false;
        }
    if (!ok)
        return NULL;
    struct linst *in = NEW(L, struct linst);
    in->syn = sd;
    in->args = args;
    in->pop = post;
    in->connect = cspan;
    in->call = call;
    in->scope.L = L;
    in->scope.parent = &post->scope;
    in->scope.pop = post;
    in->scope.inst = in;
    for (int j = 0; j < np; j++) {
        struct ast_node *sp = sd->model.params.items[j];
        if (scope_find_local(&in->scope, sp->bind.name)) {
            dup_error(L, sp->bind.name_span, sp->bind.name, scope_find_local(&in->scope, sp->bind.name)->span);
            return NULL;
        }
        struct binding *b = scope_add(L, &in->scope, sp->bind.name, args[j].ir ? BK_VALUE : BK_EXPR, BD_PARAM,
                                      sp->bind.name_span);
        b->val = args[j];
        b->expr = sp->bind.value;
        b->at = &in->scope;   /* defaults may use earlier parameters */
    }
    /* --set ampa.tau=... and sweep axes named ampa.tau: every instance of the synapse takes that value */
    for (int j = 0; j < np; j++)
        dotted_apply(L, name, in->scope.binds.items[j]);
    /* Instances are equal when their arguments are, defaults filled in (docs/language.md: `ampa()` and
     * `ampa(2 ms, 0 mV)` share one receptor state); a random argument makes an instance of its own. */
    in->full = arena_alloc(L->a, sizeof *in->full * (size_t)(np + 1));
    for (int j = 0; j < np; j++) {
        in->full[j] = check_binding(L, in->scope.binds.items[j], call->span);
        if (!in->full[j].ir)
            return NULL;
    }
    int same = 0;
    for (int i = 0; i < post->insts.len; i++) {
        struct linst *o = post->insts.items[i];
        if (o->syn != sd)
            continue;
        same++;
        bool eq = true;
        for (int j = 0; j < np && eq; j++)
            eq = unit_dim_eq(in->full[j].dim, o->full[j].dim) && in->full[j].kind == o->full[j].kind &&
                 (in->full[j].kind != VK_ALT || !strcmp(in->full[j].alt, o->full[j].alt)) &&
                 fold_equal(in->full[j].ir, o->full[j].ir) && !fold_has_rand(in->full[j].ir);
        if (eq)
            return o;
    }
    in->id = same + 1;
    in->pl = plastic_begin(L, in);
    add_items(L, &in->scope, sd, post, arena_printf(L->a, "%s#%d", name, in->id));
    ptrvec_push(L->a, &post->insts, in);
    return in;
}

/* ---- ODEs, spikes, resets --------------------------------------------------------------------- */

static void lower_odes(struct lctx *L, struct lpop *p, struct scope *s, struct ast_node *model, bool frozen,
                       struct linst *in)
{
    for (int i = 0; i < model->model.items.n; i++) {
        struct ast_node *it = model->model.items.items[i];
        if (it->kind != AST_ODE)
            continue;
        int before = L->d->errors;
        struct binding *b = scope_find_local(s, it->ode.var);
        if (!b || b->kind != BK_STATE) {
            if (b)
                diag_error(L->d, it->ode.var_span, "'%s' is a %s; only a state variable can have an ODE", it->ode.var,
                           b->what);
            else
                scope_undefined(L, s, it->ode.var, it->ode.var_span, "state variable");
            goto done;
        }
        if (b->var >= PL_BASE)
            continue;   /* an event state of a plastic synapse: integrated in closed form (lower_plastic.c) */
        struct val x = check_binding(L, b, it->ode.var_span);
        L->noise_ode = b->var;   /* xi here is this equation's noise (noise.c) */
        struct val r = check_expr(L, s, it->ode.rhs);
        L->noise_ode = -1;
        if (!x.ir || !r.ir)
            goto done;
        if (r.kind != VK_NUM || !unit_dim_eq(r.dim, per_time(x.dim))) {
            diag_error(L->d, it->ode.rhs->span, "d%s/dt must be %s (%s per time) but is %s", it->ode.var,
                       dimname(L, per_time(x.dim)), dimname(L, x.dim),
                       r.kind == VK_NUM ? dimname(L, r.dim) : "a condition");
            goto done;
        }
        if (!check_norand(L, r, it->ode.rhs->span, "a differential equation"))
            goto done;
        for (int k = 0; k < p->updates.len; k++) {
            struct ir_update *u = p->updates.items[k];
            if (u->var == b->var) {
                diag_error(L->d, it->span, "'%s' already has an ODE", it->ode.var);
                diag_note(L->d, u->span, "the first one is here");
                goto done;
            }
        }
        enum sema_method m = L->method;
        if (it->ode.method && !solver_method_parse(it->ode.method, &m)) {
            diag_error(L->d, it->ode.method_span, "unknown method '%s' (auto, euler, rk2, exp_euler, exact)",
                       it->ode.method);
            goto done;
        }
        struct ir_update *u = NEW(L, struct ir_update);
        u->var = b->var;
        u->frozen = frozen;
        u->rhs = r.ir;
        u->span = it->span;
        const char *why = NULL;
        struct solver_cols cols = hetero_cols(L, p, b->var);
        if (noise_in(r.ir, (struct ir_var *const *)p->vars.items, p->vars.len)) {
            if (!noise_discretise(L->a, r.ir, b->var, (struct ir_var *const *)p->vars.items, p->vars.len, L->dt, m,
                                  &cols, &u->solver, &u->next, &why)) {
                diag_error(L->d, it->ode.rhs->span, "%s", why);
                goto done;
            }
        } else if (!solver_discretise(L->a, r.ir, b->var, L->dt, m, &cols, &u->solver, &u->next)) {
            diag_error(L->d, it->ode.method_span, "method %s needs an ODE linear in %s%s", it->ode.method, it->ode.var,
                       m == SEMA_METHOD_EXACT ? " with constant coefficients" : "");
            goto done;
        }
        ptrvec_push(L->a, &p->updates, u);
    done:
        if (in && L->d->errors > before)
            inst_note(L, in, in->connect);
    }
}

static int assign_target(struct lctx *L, struct scope *s, struct ast_node *as, struct ir_dim *dim)
{
    struct binding *b = scope_lookup(s, as->assign.target);
    if (!b) {
        scope_undefined(L, s, as->assign.target, as->assign.target_span, "state variable");
        return -1;
    }
    if (b->kind != BK_STATE) {
        diag_error(L->d, as->assign.target_span, "cannot assign to %s '%s'; only state variables change",
                   b->what, b->name);
        return -1;
    }
    struct val x = check_binding(L, b, as->assign.target_span);
    if (!x.ir)
        return -1;
    *dim = x.dim;
    return b->var;
}

static void lower_spike(struct lctx *L, struct lpop *p)
{
    struct ast_node *nd = p->neuron;
    struct ir_pop *ip = p->ip;
    struct ptrvec resets = {0};
    for (int i = 0; i < nd->model.items.n; i++) {
        struct ast_node *it = nd->model.items.items[i];
        if (it->kind == AST_REFRACTORY) {
            struct val v = check_expr(L, &p->scope, it->item.value);
            double T;
            if (!check_dim(L, v, unit_dim_time(), it->item.value->span, "a refractory period"))
                continue;
            if (hetero_only(v.ir, p)) {   /* the counter's reset value is one constant of the kernel (ir.h) */
                diag_error(L->d, it->item.value->span, "a refractory period must be the same for every neuron, "
                           "but this one reads a parameter drawn per neuron");
                continue;
            }
            if (!check_const(L, v, it->item.value->span, "a refractory period", &T))
                continue;
            if (T < 0) {
                diag_error(L->d, it->item.value->span, "a refractory period cannot be negative");
                continue;
            }
            if (T > 0) {   /* t_ref = 0 means none; otherwise at least one step */
                ip->refr_steps = fmax(1, nearbyint(T / L->dt));
                ip->refr_var = lower_add_var(L, p, "refractory", IR_VAR_REFRACTORY, it->span);
                ((struct ir_var *)p->vars.items[ip->refr_var])->init = fold_const(L->a, 0);
            }
        }
    }
    for (int i = 0; i < nd->model.items.n; i++) {
        struct ast_node *it = nd->model.items.items[i];
        if (it->kind != AST_SPIKE)
            continue;
        if (ip->spike_cond) {
            diag_error(L->d, it->span, "a neuron has one 'spike when'");
            continue;
        }
        struct val c = check_expr(L, &p->scope, it->spike.cond);
        if (!c.ir)
            continue;
        if (c.kind != VK_BOOL) {
            diag_error(L->d, it->spike.cond->span, "the spike condition must be a condition, e.g. V >= V_th");
            continue;
        }
        if (!check_norand(L, c, it->spike.cond->span, "the spike condition"))
            continue;
        ip->spike_cond = c.ir;
        ip->spike_var = p->v_var >= 0 && fold_uses_var(c.ir, p->v_var) ? p->v_var : fold_first_var(c.ir);
        for (int j = 0; j < it->spike.resets.n; j++) {
            struct ast_node *as = it->spike.resets.items[j];
            struct ir_dim d;
            int var = assign_target(L, &p->scope, as, &d);
            struct val v = check_expr(L, &p->scope, as->assign.value);
            if (var < 0 || !v.ir)
                continue;
            if (v.kind != VK_NUM || !unit_dim_eq(v.dim, d)) {
                diag_error(L->d, as->span, "cannot assign %s to '%s', which is %s",
                           v.kind == VK_NUM ? dimname(L, v.dim) : "a condition", as->assign.target, dimname(L, d));
                continue;
            }
            if (!check_norand(L, v, as->assign.value->span, "a reset"))
                continue;
            struct ir_expr *val = v.ir;
            if (as->assign.op != AST_SET)
                val = fold_node(L->a, as->assign.op == AST_ADD_SET ? IR_ADD : IR_SUB, fold_var(L->a, var), v.ir, NULL);
            struct ir_reset *r = NEW(L, struct ir_reset);
            r->var = var;
            r->value = val;
            r->span = as->span;
            ptrvec_push(L->a, &resets, r);
        }
    }
    if (p->v_var < 0)
        p->v_var = ip->spike_var;
    ip->nresets = resets.len;
    ip->resets = arena_alloc(L->a, sizeof *ip->resets * (size_t)(resets.len + 1));
    for (int i = 0; i < resets.len; i++)
        ip->resets[i] = *(struct ir_reset *)resets.items[i];
}

/* Initial values: constants or draws, never other variables. */
static void lower_inits(struct lctx *L, struct lpop *p, struct scope *s, struct ast_node *model, struct linst *in)
{
    for (int i = 0; i < model->model.items.n; i++) {
        struct ast_node *it = model->model.items.items[i];
        if (it->kind != AST_STATE)
            continue;
        struct binding *b = scope_find_local(s, it->bind.name);
        if (!b || b->kind != BK_STATE || b->var >= PL_BASE)
            continue;
        int before = L->d->errors;
        struct val x = check_binding(L, b, it->bind.name_span);
        struct ir_var *v = p->vars.items[b->var];
        if (x.ir) {
            v->dim = b->val.dim;
            v->init = b->val.ir;
            if (b->val.kind != VK_NUM) {
                diag_error(L->d, b->expr->span, "the initial value of '%s' must be a number", b->name);
            } else if (!hetero_init(b->val.ir, p)) {
                diag_error(L->d, b->expr->span, "the initial value of '%s' cannot depend on state variables", b->name);
            }
        }
        if (in && L->d->errors > before)
            inst_note(L, in, in->connect);
    }
}

/* ---- inputs ----------------------------------------------------------------------------------- */

static bool named_arg_const(struct lctx *L, struct ast_node *arg, struct ir_dim want, const char *what, double *out)
{
    struct val v = check_expr(L, &L->global, arg->bind.value);
    return check_dim(L, v, want, arg->bind.value->span, what) && check_const(L, v, arg->bind.value->span, what, out);
}

/* rate = expr of params and the time t (issue 13 item 4): a constant, or in->rate_t, an expression of
 * IR_VAR 0 = t that the runtime evaluates once per step. */
static void lower_input_rate(struct lctx *L, struct ast_node *arg, struct ir_input *in)
{
    struct scope ts = {.parent = &L->global, .L = L};
    struct binding *t = scope_add(L, &ts, "t", BK_VALUE, BD_BUILTIN, SPAN_NONE);
    t->val = (struct val){fold_var(L->a, 0), unit_dim_time(), VK_NUM, NULL};
    struct span at = arg->bind.value->span;
    struct val v = check_expr(L, &ts, arg->bind.value);
    if (!check_dim(L, v, unit_dim_frequency(), at, "rate") || !check_norand(L, v, at, "a rate"))
        return;
    if (fold_is_const(v.ir, &in->rate)) {
        if (in->rate < 0)
            diag_error(L->d, at, "a rate cannot be negative");
        return;
    }
    in->rate_t = v.ir;   /* negative values count as 0 (docs/language.md, Inputs) */
    double zero = 0;
    in->rate = fmax(0, ir_eval(v.ir, &zero, NULL, NULL));
}

/* Number of trains in a spikes("file") input: rows "neuron,time"; the size is the largest index + 1. */
static int64_t spike_file_size(struct lctx *L, const char *path, struct span at)
{
    /* the runtime's reader (runtime/spike_file.h): every row is checked now, before a results folder exists */
    struct rt_spike_rows rows;
    char err[512];
    if (!rt_spikes_read(path, &rows, err, sizeof err)) {
        diag_error(L->d, at, "%s", err);
        return 0;
    }
    int64_t size = rows.max_neuron + 1;
    rt_spikes_free(&rows);
    return size;
}

static void lower_input(struct lctx *L, struct ast_node *d, struct ir_input *in)
{
    in->name = d->input.name;
    in->span = d->span;
    if (d->input.kind == AST_INPUT_SPIKES) {
        in->kind = IR_INPUT_FILE;
        in->path = arena_path_join(L->a, L->m->dir, d->input.path);
        in->size = spike_file_size(L, in->path, d->input.path_span);
        return;
    }
    in->kind = IR_INPUT_POISSON;
    size_of(L, d->input.size, &in->size);
    bool has_rate = false;
    for (int i = 0; i < d->input.args.n; i++) {
        struct ast_node *arg = d->input.args.items[i];
        const char *n = arg->bind.name ? arg->bind.name : "";
        if (!strcmp(n, "rate")) {
            has_rate = true;
            lower_input_rate(L, arg, in);
        } else if (!strcmp(n, "correlation")) {
            if (named_arg_const(L, arg, unit_dimless(), "correlation", &in->corr) && !(in->corr >= 0 && in->corr <= 1))
                diag_error(L->d, arg->bind.value->span, "correlation must be in [0, 1] (it is %g)", in->corr);
        } else if (!strcmp(n, "jitter")) {
            if (named_arg_const(L, arg, unit_dim_time(), "jitter", &in->jitter) && in->jitter < 0)
                diag_error(L->d, arg->bind.value->span, "jitter cannot be negative");
        } else {
            diag_error(L->d, arg->bind.name ? arg->bind.name_span : arg->span,
                       "poisson inputs take rate, correlation and jitter%s%s%s", *n ? " (not '" : "", n, *n ? "')" : "");
        }
    }
    if (!has_rate)
        diag_error(L->d, d->span, "a poisson input needs a rate, e.g. poisson[100](rate = 10 Hz)");
}

/* ---- projections ------------------------------------------------------------------------------ */

static void lower_increments(struct lctx *L, struct linst *in, struct ir_proj *pr, struct span cspan)
{
    if (in->pl) {
        plastic_lower_proj(L, in, pr, cspan);
        return;
    }
    struct ptrvec incs = {0};
    int nblocks = 0;
    for (int i = 0; i < in->syn->model.items.n; i++) {
        struct ast_node *it = in->syn->model.items.items[i];
        if (it->kind != AST_ON_SPIKE)
            continue;
        if (nblocks++) {
            diag_error(L->d, it->span, "a synapse has one 'on spike' block");
            continue;
        }
        struct scope ws = {.parent = &in->scope, .L = L, .pop = in->pop, .inst = in};
        struct binding *w = scope_add(L, &ws, it->on_spike.weight, BK_WEIGHT, BD_WEIGHT, it->on_spike.weight_span);
        w->val = (struct val){fold_var(L->a, FOLD_WEIGHT_VAR), pr->weight_dim, VK_NUM, NULL};
        for (int j = 0; j < it->on_spike.assigns.n; j++) {
            struct ast_node *as = it->on_spike.assigns.items[j];
            int before = L->d->errors;
            struct ir_dim d;
            int var = assign_target(L, &in->scope, as, &d);
            struct val v = check_expr(L, &ws, as->assign.value);
            if (var < 0 || !v.ir)
                goto note;
            if (as->assign.op == AST_SET) {
                diag_error(L->d, as->span, "an on-spike statement must be an increment ('%s += ...' or '-=')",
                           as->assign.target);
                goto note;
            }
            if (v.kind != VK_NUM || !unit_dim_eq(v.dim, d)) {
                diag_error(L->d, as->assign.value->span, "cannot add %s to '%s', which is %s",
                           v.kind == VK_NUM ? dimname(L, v.dim) : "a condition", as->assign.target, dimname(L, d));
                if (cspan.file >= 0)
                    diag_note(L->d, cspan, "the weight '%s' of this connection is %s", it->on_spike.weight,
                              dimname(L, pr->weight_dim));
                continue;
            }
            struct ir_expr *a, *b;
            double scale;
            if (!solver_linear(L->a, v.ir, FOLD_WEIGHT_VAR, &a, &b) || b || !a || !fold_is_const(a, &scale)) {
                diag_error(L->d, as->assign.value->span,
                           "an on-spike increment must be the weight '%s' times a constant", it->on_spike.weight);
                goto note;
            }
            struct ir_increment *inc = NEW(L, struct ir_increment);
            inc->var = var;
            inc->scale = as->assign.op == AST_SUB_SET ? -scale : scale;
            ptrvec_push(L->a, &incs, inc);
        note:
            if (L->d->errors > before)
                inst_note(L, in, cspan);
        }
    }
    pr->nincs = incs.len;
    pr->incs = arena_alloc(L->a, sizeof *pr->incs * (size_t)(incs.len + 1));
    for (int i = 0; i < incs.len; i++)
        pr->incs[i] = *(struct ir_increment *)incs.items[i];
}

static int64_t ref_size(struct lctx *L, struct ir_ref r)
{
    return r.is_input ? L->ir->inputs[r.index].size : L->pops[r.index] ? L->pops[r.index]->ip->size : 0;
}

/* A weight or delay drawn from a distribution that puts more than one synapse in a million below what a
 * synapse can take (bound; NaN: no bound) is a warning: the run would clamp or misbehave silently. */
static void warn_outside(struct lctx *L, struct ir_expr *e, double bound, struct span at, const char *what,
                         const char *instead)
{
    if (isnan(bound) || fold_is_const(e, NULL))
        return;
    double f = check_fraction_below(e, bound);
    if (f >= 1e-6)
        diag_warning(L->d, at, "this distribution would %s for %.3g%% of synapses; %s", what, 100 * f, instead);
}

static bool lower_connect(struct lctx *L, struct ast_node *d, struct ir_proj *pr)
{
    pr->span = d->span;
    struct lpop *pre = lower_pop_find(L, d->connect.pre), *post = lower_pop_find(L, d->connect.post);
    bool ok = true;
    if (pre)
        pr->pre = (struct ir_ref){false, pre->index};
    else if (lower_input_find(L, d->connect.pre) >= 0)
        pr->pre = (struct ir_ref){true, lower_input_find(L, d->connect.pre)};
    else {
        struct ptrvec both = {0};
        for (int i = 0; i < L->g->pops.len; i++)
            ptrvec_push(L->a, &both, L->g->pops.items[i]);
        for (int i = 0; i < L->g->inputs.len; i++)
            ptrvec_push(L->a, &both, L->g->inputs.items[i]);
        lower_unknown_in(L, d->connect.pre_span, "population", d->connect.pre, &both);
        ok = false;
    }
    if (post)
        pr->post = (struct ir_ref){false, post->index};
    else {
        if (lower_input_find(L, d->connect.post) >= 0)
            diag_error(L->d, d->connect.post_span, "'%s' is an input; connections can only target populations",
                       d->connect.post);
        else
            lower_unknown_in(L, d->connect.post_span, "population", d->connect.post, &L->g->pops);
        ok = false;
    }
    struct ast_node *call = pick_synapse(L, d->connect.synapse);
    if (!ok || !call)
        return false;
    struct linst *in = instance_get(L, post, call, d->span);
    if (!in)
        return false;
    pr->synapse = arena_printf(L->a, "%s#%d", in->syn->model.name, in->id);
    /* rule */
    pr->rule = (enum ir_rule)d->connect.rule;
    pr->autapses = d->connect.autapses;
    if (d->connect.rule_arg) {
        struct ast_node *ra = d->connect.rule_arg;
        struct val v = check_expr(L, &L->global, ra);
        double x;
        const char *what = pr->rule == IR_RULE_BERNOULLI ? "a connection probability" : "a degree";
        if (!check_dim(L, v, unit_dimless(), ra->span, what) || !check_const(L, v, ra->span, what, &x))
            return false;
        if (pr->rule == IR_RULE_BERNOULLI) {
            if (!(x >= 0 && x <= 1)) {
                diag_error(L->d, ra->span, "a connection probability must be in [0, 1] (it is %g)", x);
                return false;
            }
            pr->p = x;
        } else {
            double k = nearbyint(x);
            int64_t lim = pr->rule == IR_RULE_IN_DEGREE ? ref_size(L, pr->pre) : ref_size(L, pr->post);
            if (!(k >= 0) || k > (double)lim) {
                diag_error(L->d, ra->span, "a degree must be between 0 and %lld here (it is %g)", (long long)lim, x);
                return false;
            }
            pr->k = (int64_t)k;
        }
    }
    if (pr->rule == IR_RULE_ONE_TO_ONE && ref_size(L, pr->pre) != ref_size(L, pr->post)) {
        diag_error(L->d, d->connect.rule_span, "one_to_one needs populations of the same size (%lld and %lld)",
                   (long long)ref_size(L, pr->pre), (long long)ref_size(L, pr->post));
        return false;
    }
    /* weight and delay: global scope, draws allowed */
    if (d->connect.weight) {
        struct val w = check_expr(L, &L->global, d->connect.weight);
        if (!w.ir)
            return false;
        if (w.kind != VK_NUM) {
            diag_error(L->d, d->connect.weight->span, "a weight must be a number");
            return false;
        }
        if (fold_uses_any_var(w.ir)) {
            diag_error(L->d, d->connect.weight->span, "a weight cannot depend on state variables");
            return false;
        }
        pr->weight = w.ir;
        pr->weight_dim = w.dim;
        warn_outside(L, w.ir, unit_dim_eq(w.dim, unit_dim_conductance()) ? 0 : NAN, d->connect.weight->span,
                     "give a negative conductance", "a conductance cannot be negative: use lognormal(mean, sd) or "
                     "a smaller sd");
    } else {
        pr->weight = fold_const(L->a, 1);
    }
    pr->weight_const = fold_is_const(pr->weight, NULL);
    if (d->connect.delay) {
        struct val v = check_expr(L, &L->global, d->connect.delay);
        if (!check_dim(L, v, unit_dim_time(), d->connect.delay->span, "a delay"))
            return false;
        if (fold_uses_any_var(v.ir)) {
            diag_error(L->d, d->connect.delay->span, "a delay cannot depend on state variables");
            return false;
        }
        double x;
        if (fold_is_const(v.ir, &x) && !(x >= 0)) {
            diag_error(L->d, d->connect.delay->span, "a delay cannot be negative (it is %g ms)", x);
            return false;
        }
        pr->delay = v.ir;
        warn_outside(L, v.ir, 0.5 * L->dt, d->connect.delay->span, "round to less than one step",
                     arena_printf(L->a, "they are delivered after one step (dt = %s)", check_show(L, L->dt,
                                                                                           unit_dim_time())));
    } else {
        pr->delay = fold_const(L->a, L->dt);   /* the minimum: delivered on the next step */
    }
    pr->delay_const = fold_is_const(pr->delay, NULL);
    lower_increments(L, in, pr, d->span);
    return true;
}

/* After an error in a neuron's body (often in a library file): a note at the population's argument that
 * differs in kind from the neuron's own value (another dimension, a draw where the neuron has a constant),
 * else at the population, so the user sees the line of theirs that caused it (issue 11 item 8). */
static void pop_arg_notes(struct lctx *L, struct lpop *p, struct diag *from)
{
    struct ast_node *pd = p->decl;
    if (pd->population.args.n == 0 && p->neuron->span.file == pd->span.file)
        return;
    bool any = false;
    for (int i = 0; i < pd->population.args.n; i++) {
        struct ast_node *arg = pd->population.args.items[i];
        struct binding *b = arg->bind.name ? scope_find_local(&p->scope, arg->bind.name) : NULL;
        if (!b || !b->decl || b->expr != arg->bind.value || !b->val.ir)
            continue;
        struct diags scratch, *real = L->d;
        diags_init(&scratch, L->a);
        L->d = &scratch;
        struct val own = check_expr(L, &p->scope, b->decl);
        L->d = real;
        if (!own.ir || own.kind != VK_NUM || b->val.kind != VK_NUM)
            continue;
        if (!unit_dim_eq(own.dim, b->val.dim)) {
            diag_note(L->d, arg->bind.value->span, "'%s' is %s here, but neuron '%s' declares it as %s", b->name,
                      dimname(L, b->val.dim), p->neuron->model.name, dimname(L, own.dim));
            any = true;
        } else if ((fold_has_rand(b->val.ir) || (b->owner && fold_uses_any_var(b->val.ir))) &&
                   !fold_has_rand(own.ir) && b->kind != BK_STATE) {
            diag_note(L->d, arg->bind.value->span, "'%s' is drawn per neuron here; neuron '%s' uses it where it "
                      "must be one constant", b->name, p->neuron->model.name);
            any = true;
        }
    }
    bool elsewhere = false;     /* an error outside the user's file: the population's line is news */
    for (struct diag *g = from ? from->next : L->d->head; g; g = g->next)
        elsewhere |= g->level == DIAG_ERROR && g->span.file != pd->span.file;
    if (!any && elsewhere)
        diag_note(L->d, pd->span, "in population '%s' (neuron '%s') declared here", pd->population.name,
                  p->neuron->model.name);
}

/* ---- bodies nothing instantiates (issue 11 item 7) ------------------------------------------------- */

/* Every param and let of a body, used or not, so a unit mistake in one nobody reads is still found. */
static void check_body_names(struct lctx *L, struct scope *s)
{
    for (int i = 0; i < s->binds.len; i++) {
        struct binding *b = s->binds.items[i];
        if (b->kind == BK_EXPR && (b->decl_kind == BD_PARAM || b->decl_kind == BD_LET))
            check_binding(L, b, b->span);
    }
}

static bool model_used(struct lctx *L, struct ast_node *md)
{
    for (int i = 0; i < L->npops; i++) {
        struct lpop *p = L->pops[i];
        if (p && p->neuron == md)
            return true;
        for (int j = 0; p && j < p->insts.len; j++)
            if (((struct linst *)p->insts.items[j])->syn == md)
                return true;
    }
    return false;
}

/* A lone population of one neuron of model nd with its defaults, lowered but not part of the IR. */
static struct lpop *lone_pop(struct lctx *L, struct ast_node *nd)
{
    struct ast_node *pd = ast_population(L->a, nd->model.name_span, nd->model.name, nd->model.name_span,
                                         nd->model.name, nd->model.name_span, NULL, (struct ast_list){0});
    struct lpop *p = pop_begin(L, pd, L->npops);
    if (!p)
        return NULL;
    p->ip->size = 1;
    lower_inits(L, p, &p->scope, nd, NULL);
    lower_spike(L, p);
    lower_odes(L, p, &p->scope, nd, p->ip->refr_var >= 0, NULL);
    check_body_names(L, &p->scope);
    return p;
}

/* The weight's dimension an unused synapse's first increment implies: `X += f(w)` with f linear in w gives
 * dim(w) = dim(X) / dim(f(1)).  Evaluated with scratch diagnostics (the real check follows).  Param and
 * let memos set here are the ones the real check would set: their errors were reported when the instance
 * was built (instance_get evaluates every param) or are reported again by check_body_names. */
static bool infer_weight_dim(struct lctx *L, struct linst *in, struct ir_dim *out)
{
    bool found = false;
    for (int i = 0; i < in->syn->model.items.n && !found; i++) {
        struct ast_node *it = in->syn->model.items.items[i];
        if (it->kind != AST_ON_SPIKE)
            continue;
        for (int j = 0; j < it->on_spike.assigns.n && !found; j++) {
            struct diags scratch, *real = L->d;
            diags_init(&scratch, L->a);
            L->d = &scratch;
            struct scope ws = {.parent = &in->scope, .L = L, .pop = in->pop, .inst = in};
            struct binding *w = scope_add(L, &ws, it->on_spike.weight, BK_WEIGHT, BD_WEIGHT, it->on_spike.weight_span);
            w->val = (struct val){fold_var(L->a, FOLD_WEIGHT_VAR), unit_dimless(), VK_NUM, NULL};
            struct ast_node *as = it->on_spike.assigns.items[j];
            struct ir_dim d;
            int var = assign_target(L, &in->scope, as, &d);
            struct val v = check_expr(L, &ws, as->assign.value);
            L->d = real;
            if (var < 0)
                continue;
            /* the first statement that reads the weight; when it does not check itself, assume `X += w`
             * so that the real check reports why */
            if (!v.ir || v.kind != VK_NUM || scratch.errors) {
                *out = d;
                found = true;
            } else if (fold_uses_var(v.ir, FOLD_WEIGHT_VAR)) {
                *out = unit_dim_div(d, v.dim);
                found = true;
            }
        }
    }
    return found;
}

/* Whether a connect anywhere in decls (either branch of an `if`, either arm of a `?:`) names synapse
 * `name`: such a synapse is checked where a sweep point uses it. */
static bool expr_names(const struct ast_node *e, const char *name)
{
    if (!e)
        return false;
    if (e->kind == AST_NAME)
        return !strcmp(e->name.id, name);
    if (e->kind == AST_CALL)
        return !strcmp(e->call.name, name);
    if (e->kind == AST_COND)
        return expr_names(e->cond.then, name) || expr_names(e->cond.els, name);
    return false;
}

static bool connect_names(struct ast_node *const *decls, int n, const char *name)
{
    for (int i = 0; i < n; i++) {
        const struct ast_node *d = decls[i];
        if ((d->kind == AST_CONNECT && expr_names(d->connect.synapse, name)) ||
            (d->kind == AST_IF && (connect_names(d->if_.then.items, d->if_.then.n, name) ||
                                   connect_names(d->if_.els.items, d->if_.els.n, name))))
            return true;
    }
    return false;
}

/* The host of an unused synapse: a built-in neuron with only `state V = -65 mV`, so that the synapse's
 * current is checked against a membrane potential in mV whatever the file declares. */
static struct lpop *host_pop(struct lctx *L)
{
    struct ast_node *made = find_model(L, &L->g->neurons, "(host)");
    if (made)   /* one declaration serves every host (infer_param_dims makes many) */
        return lone_pop(L, made);
    struct ast_list items = {0};
    ast_list_push(L->a, &items, ast_binding(L->a, AST_STATE, SPAN_NONE, "V", SPAN_NONE,
                                            ast_number(L->a, SPAN_NONE, -65, "-65", "mV", SPAN_NONE)));
    struct ast_node *nd = ast_model(L->a, AST_NEURON, SPAN_NONE, "(host)", SPAN_NONE, (struct ast_list){0}, items);
    ptrvec_push(L->a, &L->g->neurons, nd);   /* after every population: only pop_begin below can find it */
    return lone_pop(L, nd);
}

/* Checks synapse sd as instantiated by `call` on host: bodies, increments with the weight dimension its
 * on-spike block implies, its current.  The number of errors it added. */
static int check_synapse(struct lctx *L, struct lpop *host, struct ast_node *sd, struct ast_node *call)
{
    int errors0 = L->d->errors;
    struct linst *in = instance_get(L, host, call, SPAN_NONE);   /* no connect: inst_note says so */
    if (!in)
        return L->d->errors - errors0 + 1;
    lower_inits(L, host, &in->scope, sd, in);
    lower_odes(L, host, &in->scope, sd, false, in);
    int before = L->d->errors;
    check_body_names(L, &in->scope);
    if (L->d->errors > before)
        inst_note(L, in, SPAN_NONE);
    /* the minimum delay, a constant, as a connect without `delay` has (plastic events need one) */
    struct ir_proj pr = {.span = sd->span, .delay = fold_const(L->a, L->dt), .delay_const = true};
    if (infer_weight_dim(L, in, &pr.weight_dim))
        lower_increments(L, in, &pr, SPAN_NONE);
    host->isyn_memo = 0;    /* the host's I_syn now includes this instance's current */
    lower_isyn(L, host, sd->model.name_span);
    return L->d->errors - errors0;
}

/* The dimensions a synapse parameter without a default is tried with (NULL: a number), in this order:
 * what synapse parameters are (time constants, potentials, conductances, currents, rates, concentrations,
 * Mg-block slopes).  Values of 1 in these units: checking looks at dimensions, not values. */
static const char *const probe_units[] = {"ms", "mV", "nS", "pA", "pF", "Mohm", "Hz", "mM", "fC", "nS*ms", "mV^-1",
                                          "mM^-1", NULL};
enum { NPROBE = sizeof probe_units / sizeof probe_units[0] };

/* `sd(p = 1 UNIT, ...)` for the parameters without a default, UNIT = probe_units[pick[k]] for the k-th. */
static struct ast_node *probe_call(struct lctx *L, struct ast_node *sd, const int *pick)
{
    struct ast_list args = {0};
    for (int j = 0, k = 0; j < sd->model.params.n; j++) {
        struct ast_node *sp = sd->model.params.items[j];
        if (sp->bind.value)
            continue;
        struct ast_node *v = ast_number(L->a, sp->bind.name_span, 1, "1", probe_units[pick[k++]], sp->bind.name_span);
        ast_list_push(L->a, &args, ast_binding(L->a, AST_ARG, sp->bind.name_span, sp->bind.name, sp->bind.name_span, v));
    }
    return ast_call(L->a, sd->model.name_span, sd->model.name, sd->model.name_span, args);
}

/* How much of the blame for the errors in d falls on parameter `name`: the errors whose span contains a
 * use of it, the narrower the span the more (an error at `E_rev - V` blames E_rev more than one at the
 * whole current).  Scaled so that one whole error outweighs any span. */
static double blame(struct lctx *L, const struct diags *d, const char *name)
{
    double b = 0;
    size_t n = strlen(name);
    for (const struct diag *g = d->head; g; g = g->next) {
        if (g->level != DIAG_ERROR || g->span.file < 0)
            continue;
        const char *t = L->m->sm->files[g->span.file].text;
        for (uint32_t i = g->span.begin; i + n <= g->span.end; i++)
            if (!strncmp(t + i, name, n) && (i == 0 || !(isalnum((unsigned char)t[i - 1]) || t[i - 1] == '_')) &&
                !(isalnum((unsigned char)t[i + n]) || t[i + n] == '_')) {
                b += 1.0 / (1.0 + g->span.end - g->span.begin);
                break;
            }
    }
    return b;
}

/* Infers the dimensions of sd's parameters without a default from their use: each in turn takes the probe
 * dimension under which the body checks with the fewest errors (on a tie, the least blame on it; then the
 * first in probe_units), the others fixed, twice round (enough for parameters that meet in one expression,
 * tau and E_rev in g*(E_rev - V)/tau).  Every trial is checked on a host of its own with scratch
 * diagnostics; the caller checks the result for real. */
static int *infer_param_dims(struct lctx *L, struct ast_node *sd)
{
    int n = 0;
    for (int j = 0; j < sd->model.params.n; j++)
        n += !sd->model.params.items[j]->bind.value;
    int *pick = arena_alloc(L->a, sizeof *pick * (size_t)(n + 1));
    const char **names = arena_alloc(L->a, sizeof *names * (size_t)(n + 1));
    for (int j = 0, k = 0; j < sd->model.params.n; j++)
        if (!sd->model.params.items[j]->bind.value)
            names[k++] = sd->model.params.items[j]->bind.name;
    int best_errors = -1;
    for (int round = 0; round < 2 && best_errors != 0; round++)
        for (int k = 0; k < n && best_errors != 0; k++) {
            int best = pick[k];
            double best_blame = 0;
            best_errors = -1;
            for (int c = 0; c < NPROBE; c++) {
                pick[k] = c;
                struct diags scratch, *real = L->d;
                diags_init(&scratch, L->a);
                L->d = &scratch;
                int e = check_synapse(L, host_pop(L), sd, probe_call(L, sd, pick));
                L->d = real;
                double bl = blame(L, &scratch, names[k]);
                if (best_errors < 0 || e < best_errors || (e == best_errors && bl < best_blame)) {
                    best_errors = e;
                    best_blame = bl;
                    best = c;
                }
                if (e == 0)
                    break;
            }
            pick[k] = best;
        }
    return pick;
}

/* Checking a file checks every neuron and synapse in it, not only those a population or connection uses:
 * a neuron as a lone population with its defaults, a synapse with its defaults on a host neuron (host_pop)
 * with the weight dimension its on-spike block implies, and its parameters without a default taking the
 * dimensions their use implies (infer_param_dims; check -v lists them). */
static void check_unused(struct lctx *L, int root_file)
{
    struct sema_model *m = L->m;
    struct gdecls *g = L->g;
    for (int i = 0; i < g->neurons.len; i++) {
        struct ast_node *nd = g->neurons.items[i];
        if (nd->span.file != root_file || model_used(L, nd))
            continue;
        int before = L->d->errors;
        lone_pop(L, nd);
        if (L->d->errors > before)
            diag_note(L->d, nd->model.name_span, "in neuron '%s', checked with its defaults (no population uses it)",
                      nd->model.name);
    }
    struct lpop *host = NULL;
    for (int i = 0; i < g->synapses.len; i++) {
        struct ast_node *sd = g->synapses.items[i];
        if (sd->span.file != root_file || model_used(L, sd))
            continue;
        int nmiss = 0;
        for (int j = 0; j < sd->model.params.n; j++)
            nmiss += !sd->model.params.items[j]->bind.value;
        if (nmiss && connect_names(m->prog->decls.items, m->prog->decls.n, sd->model.name))
            continue;   /* checked where a sweep point connects it */
        if (!nmiss) {
            if (!host)
                host = host_pop(L);
            check_synapse(L, host, sd, ast_name(L->a, sd->model.name_span, sd->model.name));
            continue;
        }
        int *pick = infer_param_dims(L, sd);
        const char *how = "";
        for (int j = 0, k = 0; j < sd->model.params.n; j++) {
            struct ast_node *sp = sd->model.params.items[j];
            if (sp->bind.value)
                continue;
            const char *u = probe_units[pick[k++]];
            how = arena_printf(L->a, "%s%s'%s' in %s", how, how[0] ? ", " : "", sp->bind.name, u ? u : "no unit");
        }
        if (check_synapse(L, host_pop(L), sd, probe_call(L, sd, pick)) > 0)
            diag_note(L->d, sd->model.name_span, "checked with %s, as near as their use implies (no default); give "
                      "them defaults to check it with other values", how);
        ptrvec_push(m->a, &m->unchecked, (void *)arena_printf(L->a, "synapse %s: with %s (no default: the "
                                                              "dimension its use implies)", sd->model.name, how));
    }
}

/* ---- the model -------------------------------------------------------------------------------- */

static void finish_pop(struct lctx *L, struct lpop *p)
{
    struct ir_pop *ip = p->ip;
    ip->index = p->index;
    ip->nvars = p->vars.len;
    ip->vars = arena_alloc(L->a, sizeof *ip->vars * (size_t)(ip->nvars + 1));
    for (int i = 0; i < ip->nvars; i++) {
        ip->vars[i] = *(struct ir_var *)p->vars.items[i];
        ip->nnoise += ip->vars[i].kind == IR_VAR_NOISE;
    }
    ip->nupdates = p->updates.len;
    ip->updates = arena_alloc(L->a, sizeof *ip->updates * (size_t)(ip->nupdates + 1));
    for (int i = 0; i < ip->nupdates; i++) {
        struct ir_update *u = &ip->updates[i];
        *u = *(struct ir_update *)p->updates.items[i];
        /* A frozen variable whose reset sets it to a constant (V = V_re) is clamped there while refractory,
         * so input arriving then is discarded (NEST's iaf models; Brunel 2000).  Incremental resets
         * (w += b) and resets to other variables just hold the value. */
        for (int r = ip->nresets - 1; u->frozen && r >= 0; r--)
            if (ip->resets[r].var == u->var) {
                if (fold_first_var(ip->resets[r].value) < 0)
                    u->held = ip->resets[r].value;
                break;
            }
    }
    ip->nobs = p->obs.len;
    ip->obs = arena_alloc(L->a, sizeof *ip->obs * (size_t)(ip->nobs + 1));
    for (int i = 0; i < ip->nobs; i++)
        ip->obs[i] = *(struct ir_observable *)p->obs.items[i];
    ip->v_var = p->v_var;
    ip->single = L->ir->precision == IR_SINGLE;
}

/* The same neuron is lowered once per population, so an error in its body would be reported once per
 * population: drop repeated errors (same span, same message) added since `from`, with their notes. */
static void dedupe(struct diags *d, struct diag *from)
{
    for (struct diag *g = from ? from->next : d->head; g; g = g->next) {
        if (g->level != DIAG_ERROR)
            continue;
        struct diag *prev = g;
        for (struct diag *h = g->next; h;) {
            bool dup = h->level == DIAG_ERROR && h->span.file == g->span.file && h->span.begin == g->span.begin &&
                       h->span.end == g->span.end && !strcmp(h->msg, g->msg);
            if (!dup) {
                prev = h;
                h = h->next;
                continue;
            }
            d->errors--;
            h = h->next;
            while (h && h->level == DIAG_NOTE)
                h = h->next;
            prev->next = h;
            if (!h)
                d->tail = prev;
        }
    }
}

struct ir_model *lower_model(struct sema_model *m, const int *point, struct diags *d)
{
    return lower_model_ex(m, point, NULL, d, false);
}

struct ir_model *lower_model_ex(struct sema_model *m, const int *point, struct measured *meas, struct diags *d,
                                bool keep)
{
    int errors0 = d->errors;
    struct diag *last0 = d->tail;
    struct lctx *L = lower_begin(m, point, meas, d);
    struct ir_model *ir = L->ir = NEW(L, struct ir_model);
    ir->name = m->name;
    lower_simulate(L);
    struct gdecls *g = L->g;

    ir->inputs = arena_alloc(L->a, sizeof *ir->inputs * (size_t)(g->inputs.len + 1));
    for (int i = 0; i < g->inputs.len; i++)
        lower_input(L, g->inputs.items[i], &ir->inputs[ir->ninputs++]);

    L->pops = arena_alloc(L->a, sizeof *L->pops * (size_t)(g->pops.len + 1));
    for (int i = 0; i < g->pops.len; i++) {
        struct ast_node *pd = g->pops.items[i];
        struct lpop *p = pop_begin(L, pd, L->npops);
        if (!p)
            continue;
        size_of(L, pd->population.size, &p->ip->size);
        L->pops[L->npops++] = p;
    }

    ir->projs = arena_alloc(L->a, sizeof *ir->projs * (size_t)(g->connects.len + 1));
    for (int i = 0; i < g->connects.len; i++)
        if (lower_connect(L, g->connects.items[i], &ir->projs[ir->nprojs]))
            ir->nprojs++;

    for (int i = 0; i < L->npops; i++) {
        struct lpop *p = L->pops[i];
        int before = d->errors;
        struct diag *from = d->tail;
        lower_inits(L, p, &p->scope, p->neuron, NULL);
        for (int j = 0; j < p->insts.len; j++) {
            struct linst *in = p->insts.items[j];
            lower_inits(L, p, &in->scope, in->syn, in);
        }
        lower_spike(L, p);
        lower_odes(L, p, &p->scope, p->neuron, p->ip->refr_var >= 0, NULL);
        if (d->errors > before)
            pop_arg_notes(L, p, from);
        for (int j = 0; j < p->insts.len; j++) {
            struct linst *in = p->insts.items[j];
            lower_odes(L, p, &in->scope, in->syn, false, in);
        }
        lower_isyn(L, p, p->decl->span);   /* checks every synaptic current even when I_syn is unused */
        if (m->analysing) {                /* and every param and let, read or not */
            check_body_names(L, &p->scope);
            for (int j = 0; j < p->insts.len; j++)
                check_body_names(L, &((struct linst *)p->insts.items[j])->scope);
        }
    }

    ir->records = arena_alloc(L->a, sizeof *ir->records * (size_t)(g->records.len + 1));
    struct ptrvec wrecs = {0};
    for (int i = 0; i < g->records.len; i++) {
        struct ast_node *rd = g->records.items[i];
        if (rd->record.post)
            plastic_lower_record(L, rd, &wrecs);   /* record PRE -> POST: a plastic projection's weights */
        else
            lower_record(L, rd, &ir->records[ir->nrecords++]);
    }
    ir->wrecs = arena_alloc(L->a, sizeof *ir->wrecs * (size_t)(wrecs.len + 1));
    for (int i = 0; i < wrecs.len; i++)
        ir->wrecs[ir->nwrecs++] = *(struct ir_wrec *)wrecs.items[i];

    /* Params nobody uses are still checked (names, units) once, during analysis, and so are the neurons
     * and synapses of the root file that nothing instantiates. */
    if (m->analysing && !point && m->prog->nfiles)
        check_unused(L, m->prog->files[0]->file);
    if (m->analysing)
        for (int i = 0; i < L->global.binds.len; i++) {
            struct binding *b = L->global.binds.items[i];
            if (b->decl_kind == BD_PARAM)
                check_binding(L, b, b->span);
        }

    ir->pops = arena_alloc(L->a, sizeof *ir->pops * (size_t)(L->npops + 1));
    for (int i = 0; i < L->npops; i++) {
        finish_pop(L, L->pops[i]);
        ir->pops[ir->npops++] = *L->pops[i]->ip;
    }
    /* The order of the step's phases, written into the kernels' expressions (order.c); it may add variables,
     * so before the plastic projections' frames are laid out after the target's variables. */
    if (d->errors == errors0)
        order_apply(L);
    for (int j = 0; j < ir->nprojs; j++)
        if (ir->projs[j].post.index < ir->npops)
            plastic_finish(L, &ir->projs[j], ir->pops[ir->projs[j].post.index].nvars,
                           ir->pops[ir->projs[j].post.index].single);
    /* The statistics' sums the kernels add themselves (kernel step 8, ir/ir.h). */
    if (d->errors == errors0)
        ir_plan_accums(ir, L->a);
    if (d->errors > errors0)
        dedupe(d, last0);
    return d->errors > errors0 && !keep ? NULL : ir;
}
