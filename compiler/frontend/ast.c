/*
 * ast.c - AST constructors and the small name tables of ast.h.
 *
 * Owns: building nodes in the arena, one function per node shape, so every grammar action in
 * grammar/parser.y is a single call.  Must not: check anything about the program (sema does).
 */
#include "frontend/ast.h"

#include <string.h>

static const char *const kind_names[] = {
#define AST_KIND(NAME, str, member) str,
#include "frontend/ast.def"
};

const char *ast_kind_name(enum ast_kind k)
{
    return (unsigned)k < AST_KIND_COUNT ? kind_names[k] : "?";
}

const char *ast_unop_str(enum ast_unop op)
{
    return op == AST_NEG ? "-" : op == AST_NOT ? "!" : "+";
}

const char *ast_binop_str(enum ast_binop op)
{
    static const char *const s[] = {"+", "-", "*", "/", "^", "<", "<=", ">", ">=", "==", "!=", "&&", "||"};
    return (unsigned)op < sizeof s / sizeof s[0] ? s[op] : "?";
}

const char *ast_assign_str(enum ast_assign_op op)
{
    return op == AST_SET ? "=" : op == AST_ADD_SET ? "+=" : "-=";
}

const char *ast_rule_str(enum ast_rule r)
{
    static const char *const s[] = {"bernoulli", "in_degree", "out_degree", "one_to_one", "all_to_all"};
    return (unsigned)r < sizeof s / sizeof s[0] ? s[r] : "?";
}

void ast_list_push(struct arena *a, struct ast_list *l, struct ast_node *n)
{
    if (l->n == l->cap) {
        int cap = l->cap ? l->cap * 2 : 4;
        struct ast_node **items = arena_alloc(a, sizeof *items * (size_t)cap);
        if (l->n)
            memcpy(items, l->items, sizeof *items * (size_t)l->n);
        l->items = items;
        l->cap = cap;
    }
    l->items[l->n++] = n;
}

void ast_list_append(struct arena *a, struct ast_list *dst, const struct ast_list *src)
{
    for (int i = 0; i < src->n; i++)
        ast_list_push(a, dst, src->items[i]);
}

struct ast_list ast_list_of(struct arena *a, struct ast_node *n)
{
    struct ast_list l = {0};
    if (n)
        ast_list_push(a, &l, n);
    return l;
}

void ast_list_set_kind(struct ast_list *l, enum ast_kind k)
{
    for (int i = 0; i < l->n; i++)
        l->items[i]->kind = k;
}

struct span span_join(struct span a, struct span b)
{
    if (a.file < 0)
        return b;
    if (b.file != a.file)
        return a;
    return (struct span){a.file, a.begin < b.begin ? a.begin : b.begin, a.end > b.end ? a.end : b.end};
}

struct ast_node *ast_new(struct arena *a, enum ast_kind k, struct span s)
{
    struct ast_node *n = arena_alloc(a, sizeof *n);
    n->kind = k;
    n->span = s;
    n->depth = 1;
    return n;
}

struct ast_node *ast_number(struct arena *a, struct span s, double v, const char *text, const char *unit,
                            struct span unit_span)
{
    struct ast_node *n = ast_new(a, AST_NUMBER, s);
    n->num.value = v;
    n->num.text = text;
    n->num.unit = unit;
    n->num.unit_span = unit_span;
    return n;
}

struct ast_node *ast_name(struct arena *a, struct span s, const char *id)
{
    struct ast_node *n = ast_new(a, AST_NAME, s);
    n->name.id = id;
    return n;
}

struct ast_node *ast_bool(struct arena *a, struct span s, bool v)
{
    struct ast_node *n = ast_new(a, AST_BOOL, s);
    n->boolean = v;
    return n;
}

struct ast_node *ast_string(struct arena *a, struct span s, const char *text)
{
    struct ast_node *n = ast_new(a, AST_STRING, s);
    n->string = text;
    return n;
}

struct ast_node *ast_unary(struct arena *a, struct span s, enum ast_unop op, struct ast_node *x)
{
    struct ast_node *n = ast_new(a, AST_UNARY, span_join(s, x->span));
    n->unary.op = op;
    n->unary.operand = x;
    n->depth = x->depth + 1;
    return n;
}

struct ast_node *ast_binary(struct arena *a, struct span op_span, enum ast_binop op, struct ast_node *l,
                            struct ast_node *r)
{
    struct ast_node *n = ast_new(a, AST_BINARY, span_join(l->span, r->span));
    n->binary.op = op;
    n->binary.lhs = l;
    n->binary.rhs = r;
    n->binary.op_span = op_span;
    n->depth = 1 + (l->depth > r->depth ? l->depth : r->depth);
    return n;
}

struct ast_node *ast_cond(struct arena *a, struct ast_node *c, struct ast_node *t, struct ast_node *e)
{
    struct ast_node *n = ast_new(a, AST_COND, span_join(c->span, e->span));
    n->cond.cond = c;
    n->cond.then = t;
    n->cond.els = e;
    int d = c->depth > t->depth ? c->depth : t->depth;
    n->depth = 1 + (d > e->depth ? d : e->depth);
    return n;
}

struct ast_node *ast_call(struct arena *a, struct span s, const char *name, struct span name_span,
                          struct ast_list args)
{
    struct ast_node *n = ast_new(a, AST_CALL, s);
    n->call.name = name;
    n->call.name_span = name_span;
    n->call.args = args;
    for (int i = 0; i < args.n; i++) {
        struct ast_node *v = args.items[i]->bind.value;
        if (v && v->depth + 2 > n->depth)
            n->depth = v->depth + 2;      /* call -> arg -> value */
    }
    return n;
}

struct ast_node *ast_list_node(struct arena *a, struct span s, struct ast_list items)
{
    struct ast_node *n = ast_new(a, AST_LIST, s);
    n->list = items;
    return n;
}

struct ast_node *ast_range(struct arena *a, struct span s, struct ast_node *lo, struct ast_node *hi,
                           struct ast_node *step)
{
    struct ast_node *n = ast_new(a, AST_RANGE, s);
    n->range.lo = lo;
    n->range.hi = hi;
    n->range.step = step;
    return n;
}

struct ast_node *ast_binding(struct arena *a, enum ast_kind k, struct span s, const char *name,
                             struct span name_span, struct ast_node *value)
{
    struct ast_node *n = ast_new(a, k, s);
    n->bind.name = name;
    n->bind.name_span = name_span;
    n->bind.value = value;
    return n;
}

struct ast_node *ast_ode(struct arena *a, struct span s, const char *var, struct span var_span,
                         struct ast_node *rhs, const char *method, struct span method_span)
{
    struct ast_node *n = ast_new(a, AST_ODE, s);
    n->ode.var = var;
    n->ode.var_span = var_span;
    n->ode.rhs = rhs;
    n->ode.method = method;
    n->ode.method_span = method_span;
    return n;
}

struct ast_node *ast_spike(struct arena *a, struct span s, struct ast_node *cond, struct ast_list resets)
{
    struct ast_node *n = ast_new(a, AST_SPIKE, s);
    n->spike.cond = cond;
    n->spike.resets = resets;
    return n;
}

struct ast_node *ast_item(struct arena *a, enum ast_kind k, struct span s, struct ast_node *value)
{
    struct ast_node *n = ast_new(a, k, s);
    n->item.value = value;
    return n;
}

struct ast_node *ast_assign(struct arena *a, struct span s, const char *target, struct span target_span,
                            enum ast_assign_op op, struct ast_node *value)
{
    struct ast_node *n = ast_new(a, AST_ASSIGN, s);
    n->assign.target = target;
    n->assign.target_span = target_span;
    n->assign.op = op;
    n->assign.value = value;
    return n;
}

struct ast_node *ast_on_spike(struct arena *a, struct span s, const char *event, struct span event_span,
                              const char *weight, struct span weight_span, struct ast_list assigns)
{
    struct ast_node *n = ast_new(a, AST_ON_SPIKE, s);
    n->on_spike.event = event;
    n->on_spike.event_span = event_span;
    n->on_spike.weight = weight;
    n->on_spike.weight_span = weight_span;
    n->on_spike.assigns = assigns;
    return n;
}

struct ast_node *ast_import(struct arena *a, struct span s, const char *name, const char *path)
{
    struct ast_node *n = ast_new(a, AST_IMPORT, s);
    n->import.name = name;
    n->import.path = path;
    n->import.target_span = s;
    n->import.file = -1;
    return n;
}

struct ast_node *ast_variant(struct arena *a, struct span s, const char *name, struct span name_span,
                             struct ast_list alts)
{
    struct ast_node *n = ast_new(a, AST_VARIANT, s);
    n->variant.name = name;
    n->variant.name_span = name_span;
    n->variant.alts = alts;
    return n;
}

struct ast_node *ast_model(struct arena *a, enum ast_kind k, struct span s, const char *name,
                           struct span name_span, struct ast_list params, struct ast_list items)
{
    struct ast_node *n = ast_new(a, k, s);
    n->model.name = name;
    n->model.name_span = name_span;
    n->model.params = params;
    n->model.items = items;
    return n;
}

struct ast_node *ast_population(struct arena *a, struct span s, const char *name, struct span name_span,
                                const char *model, struct span model_span, struct ast_node *size,
                                struct ast_list args)
{
    struct ast_node *n = ast_new(a, AST_POPULATION, s);
    n->population.name = name;
    n->population.name_span = name_span;
    n->population.model = model;
    n->population.model_span = model_span;
    n->population.size = size;
    n->population.args = args;
    return n;
}

struct ast_node *ast_input(struct arena *a, struct span s, const char *name, struct span name_span,
                           enum ast_input_kind kind, struct ast_node *size, struct ast_list args,
                           const char *path, struct span path_span)
{
    struct ast_node *n = ast_new(a, AST_INPUT, s);
    n->input.name = name;
    n->input.name_span = name_span;
    n->input.kind = kind;
    n->input.size = size;
    n->input.args = args;
    n->input.path = path;
    n->input.path_span = path_span;
    return n;
}

struct ast_node *ast_connect(struct arena *a, struct span s, const char *pre, struct span pre_span,
                             const char *post, struct span post_span, struct ast_node *synapse,
                             enum ast_rule rule, struct span rule_span, struct ast_node *rule_arg,
                             struct ast_connect_opts opts)
{
    struct ast_node *n = ast_new(a, AST_CONNECT, s);
    n->connect.pre = pre;
    n->connect.pre_span = pre_span;
    n->connect.post = post;
    n->connect.post_span = post_span;
    n->connect.synapse = synapse;
    n->connect.rule = rule;
    n->connect.rule_span = rule_span;
    n->connect.rule_arg = rule_arg;
    n->connect.weight = opts.weight;
    n->connect.delay = opts.delay;
    n->connect.autapses = opts.autapses;
    return n;
}

struct ast_node *ast_record(struct arena *a, struct span s, struct ast_list pops, struct ast_list stats)
{
    struct ast_node *n = ast_new(a, AST_RECORD, s);
    n->record.pops = pops;
    n->record.stats = stats;
    return n;
}

struct ast_node *ast_block(struct arena *a, enum ast_kind k, struct span s, struct ast_list items)
{
    struct ast_node *n = ast_new(a, k, s);
    n->block.items = items;
    return n;
}

struct ast_node *ast_if(struct arena *a, struct span s, struct ast_node *cond, struct ast_list then,
                        struct ast_list els)
{
    struct ast_node *n = ast_new(a, AST_IF, s);
    n->if_.cond = cond;
    n->if_.then = then;
    n->if_.els = els;
    return n;
}
