/*
 * ast.h - the abstract syntax tree of a balnet model (docs/language.md), as built by the parser.
 *
 * Owns: the node types, their constructors (ast.c) and the dumps (ast_dump.c).  Every node lives in the
 * compilation arena and carries the byte span of the source it came from, so any later phase can point
 * a diagnostic at it.  Must not: resolve names, interpret units or evaluate anything; that is sema's job
 * (compiler/sema/).  The tree is a faithful record of what was written, with two simplifications:
 *   - comma groups are split: `param a = 1, b = 2` gives two PARAM nodes (each with its own span),
 *     `import a, b` two IMPORT nodes, `state x = 0, y = 0` two STATE nodes;
 *   - a unit is kept as the text the user wrote (spaces removed, e.g. "pA*ms", "mV^2", "nS/ms") with its
 *     span; compiler/sema/units.h parses it.
 *
 * Lists are (items, n) arrays of node pointers, grown with ast_list_push(); an empty list has n == 0 and
 * items == NULL.  Optional children are NULL when absent.  Strings are NUL-terminated arena copies.
 */
#ifndef BN_AST_H
#define BN_AST_H

#include "support/support.h"

#include <stdbool.h>
#include <stdio.h>

enum ast_kind {
#define AST_KIND(NAME, str, member) AST_##NAME,
#include "frontend/ast.def"
    AST_KIND_COUNT
};
const char *ast_kind_name(enum ast_kind k);    /* "number", "binary", ... */

enum ast_unop { AST_NEG, AST_NOT, AST_PLUS };
enum ast_binop {
    AST_ADD, AST_SUB, AST_MUL, AST_DIV, AST_POW,
    AST_LT, AST_LE, AST_GT, AST_GE, AST_EQ, AST_NE,
    AST_AND, AST_OR,
};
const char *ast_unop_str(enum ast_unop op);    /* "-", "!", "+" */
const char *ast_binop_str(enum ast_binop op);  /* "+", "<=", "&&", ... */

enum ast_assign_op { AST_SET, AST_ADD_SET, AST_SUB_SET };     /* =  +=  -= */
const char *ast_assign_str(enum ast_assign_op op);

/* Connection rules (docs/language.md "connect"). */
enum ast_rule { AST_RULE_BERNOULLI, AST_RULE_IN_DEGREE, AST_RULE_OUT_DEGREE, AST_RULE_ONE_TO_ONE, AST_RULE_ALL_TO_ALL };
const char *ast_rule_str(enum ast_rule r);     /* "bernoulli", "in_degree", ... */

enum ast_input_kind { AST_INPUT_POISSON, AST_INPUT_SPIKES };

struct ast_node;
struct ast_list {
    struct ast_node **items;
    int n, cap;
};

/* NAME = value, the shape shared by PARAM, STATE, LET, SYN_PARAM, ARG, STAT, SETTING and AXIS. */
struct ast_binding {
    const char *name;          /* ARG: NULL for a positional argument; STAT: NULL for an unnamed one */
    struct span name_span;     /* span of the name (SPAN_NONE-like {file, b, b} when name is NULL) */
    struct ast_node *value;    /* SYN_PARAM: default, NULL when none; AXIS: a LIST or RANGE node (or,
                                  only from --set, any expression); all others: never NULL */
};

struct ast_node {
    enum ast_kind kind;
    struct span span;          /* the whole construct, e.g. `a + b` or `neuron lif { ... }` */
    int depth;                 /* expressions: 1 + deepest operand (leaves 1); lets the parser reject
                                  trees deep enough to overflow a recursive walk (parse.h) */
    union {
        /* NUMBER: `text` is the literal exactly as written ("2e-3"), `value` its strtod value (finite:
         * overflow is a lex error).  `unit` is NULL when no unit follows, else e.g. "pA*ms";
         * unit_span covers the unit only.  span covers number and unit. */
        struct {
            double value;
            const char *text;
            const char *unit;
            struct span unit_span;
        } num;
        /* NAME: the identifier.  Soft keywords used as names (`current`, `method`, ...) are NAMEs too. */
        struct {
            const char *id;
        } name;
        /* BOOL */
        bool boolean;
        /* STRING: the contents without quotes, escapes \" \\ \n \t decoded. */
        const char *string;
        /* UNARY: op applied to operand.  `-2^2` parses as NEG(POW(2, 2)). */
        struct {
            enum ast_unop op;
            struct ast_node *operand;
        } unary;
        /* BINARY: lhs op rhs; op_span covers the operator token. */
        struct {
            enum ast_binop op;
            struct ast_node *lhs, *rhs;
            struct span op_span;
        } binary;
        /* COND: cond ? then : els */
        struct {
            struct ast_node *cond, *then, *els;
        } cond;
        /* CALL: name(args); args are ARG nodes, positional and named in source order.  `exp(x)`,
         * `uniform(a, b)`, `var(V, clip = V_th)`, `exp_current(tau = 5 ms)` are all CALLs. */
        struct {
            const char *name;
            struct span name_span;
            struct ast_list args;
        } call;
        /* LIST: the elements of `[a, b, c]` (expressions). */
        struct ast_list list;
        /* RANGE: lo..hi [step step]; step NULL when not written (sema: default 1). */
        struct {
            struct ast_node *lo, *hi, *step;
        } range;
        /* PARAM, STATE, LET, SYN_PARAM, ARG, STAT, SETTING, AXIS: see struct ast_binding. */
        struct ast_binding bind;
        /* ODE: d<var>/dt = rhs [method NAME]; method NULL when not given. */
        struct {
            const char *var;
            struct span var_span;
            struct ast_node *rhs;
            const char *method;
            struct span method_span;
        } ode;
        /* SPIKE: spike when cond { resets }; resets are ASSIGN nodes (possibly none). */
        struct {
            struct ast_node *cond;
            struct ast_list resets;
        } spike;
        /* REFRACTORY (the duration) and CURRENT (the injected current expression). */
        struct {
            struct ast_node *value;
        } item;
        /* ASSIGN: target op value, inside spike resets and on-spike blocks. */
        struct {
            const char *target;
            struct span target_span;
            enum ast_assign_op op;
            struct ast_node *value;
        } assign;
        /* ON_SPIKE: on spike(weight) { assigns }; `weight` names the connection's weight.  event is NULL for
         * `on spike`, else the name after `on` (sema accepts "pre" and "post": plastic synapses). */
        struct {
            const char *event;
            struct span event_span;
            const char *weight;
            struct span weight_span;
            struct ast_list assigns;
        } on_spike;
        /* IMPORT: exactly one of name (import lif) and path (import "x/y.bn") is set; target_span
         * covers it.  file: srcmgr index of the imported file once parse_program loaded it, else -1. */
        struct {
            const char *name;
            const char *path;
            struct span target_span;
            int file;
        } import;
        /* VARIANT: variant name = alts[0] | alts[1] ...; alts are NAME nodes, alts[0] is the default. */
        struct {
            const char *name;
            struct span name_span;
            struct ast_list alts;
        } variant;
        /* NEURON and SYNAPSE.  params: SYN_PARAM nodes of the synapse header (always empty for a
         * neuron).  items: PARAM STATE LET ODE SPIKE REFRACTORY (neuron) or PARAM STATE LET ODE ON_SPIKE
         * CURRENT (synapse), in source order.  The parser accepts any item in either block; sema rejects
         * the ones that do not belong (better message than a syntax error). */
        struct {
            const char *name;
            struct span name_span;
            struct ast_list params;
            struct ast_list items;
        } model;
        /* POPULATION: name = model[size](args); args are ARG nodes (named), possibly empty. */
        struct {
            const char *name;
            struct span name_span;
            const char *model;
            struct span model_span;
            struct ast_node *size;
            struct ast_list args;
        } population;
        /* INPUT: poisson: size and args (ARG nodes) set, path NULL; spikes: path set, size NULL. */
        struct {
            const char *name;
            struct span name_span;
            enum ast_input_kind kind;
            struct ast_node *size;
            struct ast_list args;
            const char *path;
            struct span path_span;
        } input;
        /* CONNECT: pre -> post via synapse rule [weight w] [delay d] [autapses].
         * synapse: a CALL (`exp_current(5 ms)`) or NAME (`exp_current`), or any parenthesised expression
         * choosing between them (`(syn == conductance ? a(..) : b(..))`).  rule_arg: the argument of
         * bernoulli / in_degree / out_degree, NULL for one_to_one / all_to_all.  weight, delay: NULL
         * when not written. */
        struct {
            const char *pre, *post;
            struct span pre_span, post_span;
            struct ast_node *synapse;
            enum ast_rule rule;
            struct span rule_span;
            struct ast_node *rule_arg;
            struct ast_node *weight, *delay;
            bool autapses;
        } connect;
        /* RECORD: pops are NAME nodes (`all` is an ordinary NAME), stats are STAT nodes:
         * `rate` -> STAT{NULL, NAME rate}; `fano(window = 100 ms)` -> STAT{NULL, CALL fano};
         * `v_var = var(V, clip = V_th)` -> STAT{"v_var", CALL var}; `tau = C_m / (g_L + mean(g))` ->
         * STAT{"tau", BINARY}.  Builtin vs observable vs derived is for sema to decide. */
        struct {
            struct ast_list pops;
            struct ast_list stats;
            const char *post;          /* `record PRE -> POST: ...` (a projection; pops holds PRE), else NULL */
            struct span post_span;
        } record;
        /* SIMULATE (SETTING nodes) and SWEEP (AXIS nodes). */
        struct {
            struct ast_list items;
        } block;
        /* IF: if cond { then } else { els }; `else if` is an els list holding one IF node. */
        struct {
            struct ast_node *cond;
            struct ast_list then, els;
        } if_;
    };
};

/* One parsed file.  decls are its top-level declarations in order (imports included). */
struct ast_file {
    const char *path;          /* as opened (relative to the importing file's directory or a search dir) */
    int file;                  /* index in the srcmgr */
    struct ast_list decls;
};

/* A whole model: the root file and everything it imports, each file once. */
struct ast_program {
    struct ast_file **files;   /* files[0] is the root; then imported files in the order first imported */
    int nfiles;
    /* Every top-level declaration of every file, imported files' declarations first (depth-first, in
     * import order, so a library is declared before its user), then the root file's, IMPORT nodes
     * excluded.  Sema resolves names over this list; order does not matter for the language. */
    struct ast_list decls;
    const struct srcmgr *sm;   /* where the files' text lives (for ast_dump's line:col) */
};

/* ---- constructors (ast.c): the parser's actions are one call each ------------------------------- */

void ast_list_push(struct arena *a, struct ast_list *l, struct ast_node *n);
void ast_list_append(struct arena *a, struct ast_list *dst, const struct ast_list *src);
struct ast_node *ast_new(struct arena *a, enum ast_kind k, struct span s);   /* zeroed node */
struct span span_join(struct span a, struct span b);                           /* a.begin .. b.end */

struct ast_node *ast_number(struct arena *a, struct span s, double v, const char *text, const char *unit,
                            struct span unit_span);
struct ast_node *ast_name(struct arena *a, struct span s, const char *id);
struct ast_node *ast_bool(struct arena *a, struct span s, bool v);
struct ast_node *ast_string(struct arena *a, struct span s, const char *text);
/* s: the operator's span (the node spans operator and operand) */
struct ast_node *ast_unary(struct arena *a, struct span s, enum ast_unop op, struct ast_node *x);
/* the node spans lhs .. rhs; op_span is kept for messages about the operator */
struct ast_node *ast_binary(struct arena *a, struct span op_span, enum ast_binop op, struct ast_node *l,
                            struct ast_node *r);
struct ast_node *ast_cond(struct arena *a, struct ast_node *c, struct ast_node *t, struct ast_node *e);
struct ast_node *ast_call(struct arena *a, struct span s, const char *name, struct span name_span,
                          struct ast_list args);
struct ast_node *ast_list_node(struct arena *a, struct span s, struct ast_list items);
struct ast_node *ast_range(struct arena *a, struct span s, struct ast_node *lo, struct ast_node *hi,
                           struct ast_node *step);
/* PARAM STATE LET SYN_PARAM ARG STAT SETTING AXIS */
struct ast_node *ast_binding(struct arena *a, enum ast_kind k, struct span s, const char *name,
                             struct span name_span, struct ast_node *value);

struct ast_node *ast_ode(struct arena *a, struct span s, const char *var, struct span var_span,
                         struct ast_node *rhs, const char *method, struct span method_span);
struct ast_node *ast_spike(struct arena *a, struct span s, struct ast_node *cond, struct ast_list resets);
struct ast_node *ast_item(struct arena *a, enum ast_kind k, struct span s, struct ast_node *value); /* REFRACTORY CURRENT */
struct ast_node *ast_assign(struct arena *a, struct span s, const char *target, struct span target_span,
                            enum ast_assign_op op, struct ast_node *value);
struct ast_node *ast_on_spike(struct arena *a, struct span s, const char *event, struct span event_span,
                              const char *weight, struct span weight_span,
                              struct ast_list assigns);
struct ast_node *ast_import(struct arena *a, struct span s, const char *name, const char *path);
struct ast_node *ast_variant(struct arena *a, struct span s, const char *name, struct span name_span,
                             struct ast_list alts);
struct ast_node *ast_model(struct arena *a, enum ast_kind k, struct span s, const char *name,
                           struct span name_span, struct ast_list params, struct ast_list items); /* NEURON SYNAPSE */
struct ast_node *ast_population(struct arena *a, struct span s, const char *name, struct span name_span,
                                const char *model, struct span model_span, struct ast_node *size,
                                struct ast_list args);
struct ast_node *ast_input(struct arena *a, struct span s, const char *name, struct span name_span,
                           enum ast_input_kind kind, struct ast_node *size, struct ast_list args,
                           const char *path, struct span path_span);
/* Options of a connect statement, collected by the parser before the node is built. */
struct ast_connect_opts {
    struct ast_node *weight, *delay;
    bool autapses;
};
struct ast_node *ast_connect(struct arena *a, struct span s, const char *pre, struct span pre_span,
                             const char *post, struct span post_span, struct ast_node *synapse,
                             enum ast_rule rule, struct span rule_span, struct ast_node *rule_arg,
                             struct ast_connect_opts opts);
struct ast_node *ast_record(struct arena *a, struct span s, struct ast_list pops, struct ast_list stats);
struct ast_node *ast_block(struct arena *a, enum ast_kind k, struct span s, struct ast_list items); /* SIMULATE SWEEP */
struct ast_node *ast_if(struct arena *a, struct span s, struct ast_node *cond, struct ast_list then,
                        struct ast_list els);
struct ast_list ast_list_of(struct arena *a, struct ast_node *n);          /* a one-element list */
void ast_list_set_kind(struct ast_list *l, enum ast_kind k);              /* retag binding nodes */

/* ---- dumps (ast_dump.c) ------------------------------------------------------------------------- */

/* Indented tree, one node per line: "<line>:<col> <kind> <details>", children indented two spaces. */
void ast_dump(FILE *out, const struct ast_program *p);
void ast_dump_node(FILE *out, const struct ast_node *n, const struct srcmgr *sm, int indent);

#endif
