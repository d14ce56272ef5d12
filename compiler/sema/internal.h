/*
 * internal.h - what the sema files share and nobody else sees: the folding IR builder (fold.c), the
 * solver (solver.c), scopes and bindings (resolve.c), the expression evaluator (check.c) and the lowering
 * context (lower.c, sema.c).  Must not: be included outside compiler/sema/ and tests/unit/test_sema_*.
 */
#ifndef BN_SEMA_INTERNAL_H
#define BN_SEMA_INTERNAL_H

#include "sema/sema.h"
#include "sema/units.h"

#include <stdbool.h>

/* ---- fold.c: IR construction with constant folding -------------------------------------------- */

/* The weight of an on-spike block is a pseudo variable with this index while its statements are checked. */
#define FOLD_WEIGHT_VAR (-2)

struct ir_expr *fold_const(struct arena *a, double v);
struct ir_expr *fold_var(struct arena *a, int index);
/* Builds op(x, y, z) and folds it when every operand is a constant and op is not a draw. */
struct ir_expr *fold_node(struct arena *a, enum ir_op op, struct ir_expr *x, struct ir_expr *y, struct ir_expr *z);
bool fold_is_const(const struct ir_expr *e, double *v);     /* an IR_CONST node */
bool fold_uses_var(const struct ir_expr *e, int var);
bool fold_uses_any_var(const struct ir_expr *e);
bool fold_has_rand(const struct ir_expr *e);
bool fold_equal(const struct ir_expr *a, const struct ir_expr *b);   /* structural */
double fold_eval_op(enum ir_op op, double x, double y, double z);
/* Copy of e with IR_VAR var replaced by r. */
struct ir_expr *fold_subst(struct arena *a, struct ir_expr *e, int var, struct ir_expr *r);
/* First IR_VAR index in e (depth first), or -1. */
int fold_first_var(const struct ir_expr *e);

/* ---- solver.c --------------------------------------------------------------------------------- */

enum sema_method { SEMA_METHOD_AUTO, SEMA_METHOD_EULER, SEMA_METHOD_RK2, SEMA_METHOD_EXP_EULER,
                   SEMA_METHOD_EXACT };
/* "auto" "euler" "rk2" "exp_euler" "exact" -> method; false when unknown. */
bool solver_method_parse(const char *name, enum sema_method *m);
extern const char *const solver_method_name[];
extern const char *const solver_name[];        /* by enum ir_solver */
/* rhs = a*x + b with a, b free of x (a NULL means 0).  False when rhs is not linear in x. */
bool solver_linear(struct arena *ar, struct ir_expr *rhs, int x, struct ir_expr **a, struct ir_expr **b);
/* Chooses and builds the discrete update of dx/dt = rhs.  A forced method EXACT on a rhs that is not
 * linear with constant coefficients returns false (the caller reports it). */
/* Per-neuron constants (hetero.c): lets the solver keep a propagator exact when its coefficient reads
 * heterogeneous parameters, by computing it once per neuron at build time. */
struct solver_cols {
    bool (*time_const)(void *ctx, const struct ir_expr *e);   /* e reads only per-neuron constants */
    /* a new per-neuron constant initialised with value, of dimension dim, named what@VARIABLE */
    struct ir_expr *(*column)(void *ctx, struct ir_expr *value, const char *what, struct ir_dim dim);
    void *ctx;
};
bool solver_discretise(struct arena *ar, struct ir_expr *rhs, int x, double dt, enum sema_method m,
                       const struct solver_cols *cols, enum ir_solver *solver, struct ir_expr **next);

/* ---- values, bindings, scopes (resolve.c) ----------------------------------------------------- */

enum val_kind { VK_NUM, VK_BOOL, VK_ALT };
struct val {
    struct ir_expr *ir;     /* NULL: an error was reported */
    struct ir_dim dim;
    enum val_kind kind;
    const char *alt;        /* VK_ALT: the variant alternative (a variant's value or a bare alternative) */
};

enum bind_kind {
    BK_EXPR,                /* evaluate expr in scope `at` (memoised) */
    BK_VALUE,               /* a value fixed up front (sweep value, synapse argument, constant) */
    BK_STATE,               /* a state variable: IR_VAR var; dim from its initial value */
    BK_ISYN, BK_GSYN, BK_TIME, BK_WEIGHT,
};

/* What declared a binding, for the rules that depend on it (a param can be swept, a let cannot be set by
 * a population argument); bind_decl_name gives its text for messages. */
enum bind_decl { BD_PARAM, BD_VARIANT, BD_ALTERNATIVE, BD_CONSTANT, BD_LET, BD_STATE, BD_BUILTIN, BD_WEIGHT };
extern const char *const bind_decl_name[];  /* "param", "variant", "variant alternative", ... */

/* The value of an expression whose error was already reported. */
static inline struct val val_bad(void)
{
    return (struct val){NULL, {{0}}, VK_NUM, NULL};
}

struct scope;
struct dotted;
struct binding {
    const char *name;
    enum bind_kind kind;
    enum bind_decl decl_kind;
    const char *what;       /* bind_decl_name[decl_kind], for messages only */
    struct span span;       /* the declaration */
    struct ast_node *expr;  /* BK_EXPR: value; BK_STATE: initial value */
    struct ast_node *decl;  /* the declared value when a --set override replaced expr */
    struct dotted *outside; /* a value from --set POP.NAME / SYNAPSE.NAME or a sweep axis (lower.c) */
    struct scope *at;       /* where expr is evaluated */
    struct lpop *owner;     /* a neuron's param: the population whose per-neuron column it becomes when its
                             * value is a distribution (hetero.c) */
    int var;                /* BK_STATE */
    int memo;               /* 0 not evaluated, 1 in progress, 2 done */
    struct val val;
};

struct lctx;
struct lpop;
struct linst;
struct scope {
    struct scope *parent;
    struct ptrvec binds;
    struct lctx *L;
    struct lpop *pop;       /* neuron / synapse scopes: the population being lowered */
    struct linst *inst;     /* synapse scopes */
};

struct binding *scope_add(struct lctx *L, struct scope *s, const char *name, enum bind_kind k, enum bind_decl dk,
                          struct span span);
struct binding *scope_find_local(struct scope *s, const char *name);
struct binding *scope_lookup(struct scope *s, const char *name);
/* Reports "undefined name 'x'" with a did-you-mean from the scope chain and a note at a declaration
 * of that name elsewhere in the program (e.g. a param of another neuron). */
void scope_undefined(struct lctx *L, struct scope *s, const char *name, struct span at, const char *what);

/* ---- check.c: the evaluator ------------------------------------------------------------------- */

struct val check_expr(struct lctx *L, struct scope *s, struct ast_node *e);
struct val check_binding(struct lctx *L, struct binding *b, struct span use);
/* Error unless v has dimension want: "<what> must be <dim> but is <dim>". */
bool check_dim(struct lctx *L, struct val v, struct ir_dim want, struct span at, const char *what);
bool check_norand(struct lctx *L, struct val v, struct span at, const char *what);
/* A constant number (no variables, no draws) or an error. */
bool check_const(struct lctx *L, struct val v, struct span at, const char *what, double *out);
const char *dimname(struct lctx *L, struct ir_dim d);
/* "2 nS": a value in internal units shown in its display unit (arena string). */
const char *check_show(struct lctx *L, double v, struct ir_dim d);
/* The fraction of the values of e below b when e is a constant or a draw with constant arguments, else -1. */
double check_fraction_below(const struct ir_expr *e, double b);

/* ---- order.c: the order of the phases of a time step ------------------------------------------ */

struct lctx;
void order_default(struct ir_model *ir);
/* `order = [...]` of a simulate block: one of the supported orders into L->ir, or an error. */
bool order_set(struct lctx *L, struct ast_node *value);
/* Writes L->ir's order into its kernels' expressions (after every population is lowered). */
void order_apply(struct lctx *L);

/* ---- lowering context (lower.c) --------------------------------------------------------------- */

struct gdecls;
struct lctx {
    struct sema_model *m;
    struct gdecls *g;       /* the declarations active at this point (lower.c) */
    struct arena *a;
    struct diags *d;
    const int *point;       /* value index per axis, NULL: default point */
    struct scope builtins, global;
    double dt;
    enum sema_method method;
    struct ir_model *ir;
    struct lpop **pops;
    int npops;
    bool derived;           /* evaluating a derived statistic: calls are statistics, states are errors */
    void *rec;              /* the record being lowered (lower.c) */
    struct measured *meas;  /* how stat() is evaluated in this lowering (measured.c); NULL: see there */
    int noise_ode;          /* the variable whose ODE right-hand side is being checked, -1 outside one (xi) */
};

struct lpop {
    struct ast_node *decl, *neuron;
    struct scope scope;
    struct ptrvec vars;     /* struct ir_var* */
    struct ptrvec insts;    /* struct linst* */
    struct ptrvec obs;      /* struct ir_observable* */
    struct ptrvec updates;  /* struct ir_update* */
    int index;
    int v_var, t_var;
    int isyn_memo, gsyn_memo;
    struct val isyn, gsyn;
    struct ir_pop *ip;
};

struct plinst;
struct linst {
    struct ast_node *syn;   /* SYNAPSE decl */
    struct plinst *pl;      /* plastic synapse: where its states live (lower_plastic.c); NULL: static */
    struct val *args;       /* one per header param as written (ir NULL: the default) */
    struct val *full;       /* one per header param, defaults filled in: what makes two instances equal */
    struct scope scope;
    struct lpop *pop;
    struct span connect;    /* the first connect using it, for notes */
    struct ast_node *call;  /* its synapse as written there (CALL or NAME), for notes at an argument */
    int id;
    struct ir_expr *cur;    /* its current (after lower_isyn), NULL when it injects none */
    struct span cur_span;
};

struct sema_model {
    struct arena *a;
    struct diags *d;
    const struct srcmgr *sm;
    struct ast_program *prog;
    const char *name;
    const char *dir;        /* directory of the root file, for spikes("file") */
    struct ptrvec axes;     /* struct sema_axis* */
    const struct sema_override *ov;
    int nov;
    struct ptrvec decls;    /* top-level declarations (IF kept; lowering picks branches) */
    bool analysing;         /* inside sema_analyse: stat() folds to a placeholder */
    struct ptrvec meas_cache;   /* measured.c: the models lowered at points named by stat() */
    int meas_depth;         /* nesting of those lowerings */
    const char *meas_cycle; /* a loop of stat() calls found in a nested lowering, for the outermost */
    struct span meas_cycle_at;
    struct ptrvec unchecked;    /* "synapse psc: with 'tau' as ms ...": unconnected synapses checked with the
                                   inferred dimensions of their parameters without a default (check -v) */
};

/* point: one value index per axis, -1 = axis not applied (the param keeps its declared value); NULL:
 * no axis applied.  lower_begin() builds the global scope only (for evaluating sweep values). */
struct ir_model *lower_model(struct sema_model *m, const int *point, struct diags *d);
/* The same with stat() evaluated as meas says (NULL: as lower_model); keep: return the IR even when
 * there were errors (measured.c reads the records of a point that may not lower completely). */
struct ir_model *lower_model_ex(struct sema_model *m, const int *point, struct measured *meas, struct diags *d,
                                bool keep);
struct lctx *lower_begin(struct sema_model *m, const int *point, struct measured *meas, struct diags *d);
/* The axis index for a name, or -1. */
int sema_axis_find(const struct sema_model *m, const char *name);
const struct sema_override *sema_override_find(const struct sema_model *m, const char *name);



/* The settings of `simulate { ... }`, which --set and sweep axes can also give (lower.c). */
#define SEMA_SIMS(X) X(DT, "dt") X(DURATION, "duration") X(BURN_IN, "burn_in") X(SEED, "seed") \
    X(METHOD, "method") X(PRECISION, "precision") X(ORDER, "order")
enum sema_sim {
#define X(name, str) SEMA_SIM_##name,
    SEMA_SIMS(X)
#undef X
    SEMA_SIM_COUNT
};
extern const char *const sema_sim_names[SEMA_SIM_COUNT];
/* The setting `name` names, or SEMA_SIM_COUNT. */
enum sema_sim sema_sim_find(const char *name);

/* lower.c hooks the evaluator calls for the neuron-scope specials and for statistics in derived
 * expressions. */
struct val lower_isyn(struct lctx *L, struct lpop *p, struct span use);
struct val lower_gsyn(struct lctx *L, struct lpop *p, struct span use);
struct val lower_time(struct lctx *L, struct lpop *p, struct span use);
struct val lower_stat_call(struct lctx *L, struct scope *s, struct ast_node *call);
bool lower_is_stat_name(const char *name);
/* The global declarations of a point, by kind (the taken branches of `if`). */
struct gdecls {
    struct ptrvec neurons, synapses, pops, inputs, connects, records, simulates, sweeps;
};
/* Shared by lower.c and lower_record.c. */
struct lpop *lower_pop_find(struct lctx *L, const char *name);
int lower_input_find(struct lctx *L, const char *name);
void lower_unknown_in(struct lctx *L, struct span at, const char *what, const char *name, struct ptrvec *v);
/* A dotted --set or sweep name (POP.NAME: a param or state of population POP's neuron; SYNAPSE.NAME: a
 * header parameter of every instance of SYNAPSE): true when it names one, else a located error saying
 * what can be named.  ctx starts the message ("--set", "sweep axis"). */
bool lower_dotted_check(struct lctx *L, const char *name, struct span at, const char *ctx);
/* "E.tau, E.I_e, ..., ampa.tau": the dotted names of the model, for "what can be set" notes. */
const char *lower_dotted_names(struct lctx *L, int max);
/* check_binding's hook: the value from outside in place of the declared one, when their dimensions agree
 * (else a located error, and the declared value). */
struct val lower_outside(struct lctx *L, struct binding *b, struct val declared);
void lower_record(struct lctx *L, struct ast_node *d, struct ir_record *rec);   /* lower_record.c */
/* rate_trace, trace, raster: recordings, which are not values (lower_record.c). */
bool lower_is_recording_name(const char *name);

/* ---- lower_plastic.c: synapses with `on pre` / `on post` --------------------------------------- */

#define PL_BASE (1 << 24)   /* IR_VAR of event state s while lowering: PL_BASE + s (remapped by plastic_finish) */
#define PL_TIME (1 << 23)   /* IR_VAR of the event times while lowering: PL_TIME + IR_PL_NOW, ... */
bool plastic_has_events(const struct ast_node *syn);
/* Where every state of instance `in` lives; NULL when the synapse is not plastic.  Call before its states
 * are added to the scope. */
struct plinst *plastic_begin(struct lctx *L, struct linst *in);
/* IR_VAR index (PL_BASE + slot) of event state `name`, or -1 for a receptor state. */
int plastic_state_var(const struct plinst *pl, const char *name);
/* The states and events of projection pr through plastic instance in (sets pr->plastic). */
void plastic_lower_proj(struct lctx *L, struct linst *in, struct ir_proj *pr, struct span cspan);
/* Moves pr's event IR to frame indices once the target population has its nvars variables. */
void plastic_finish(struct lctx *L, struct ir_proj *pr, int nvars, bool single);
/* `record PRE -> POST: weights, weight_stats(every), weight_hist(bins, max, every), state_trace(x, every)`:
 * appends struct ir_wrec* to out. */
void plastic_lower_record(struct lctx *L, struct ast_node *d, struct ptrvec *out);
/* `syn(SYNAPSE, STATE)` in a neuron's scope (records: mean, var, trace): the receptor state STATE of the one
 * instance of synapse SYNAPSE into the population, so g_AMPA and g_NMDA can be recorded apart. */
struct val plastic_syn_call(struct lctx *L, struct scope *s, struct ast_node *call);

/* Adds a variable to the population being lowered; returns its index. */
int lower_add_var(struct lctx *L, struct lpop *p, const char *name, enum ir_var_kind k, struct span s);

/* ---- noise.c: white noise in ODEs (issue 13) -------------------------------------------------- */

/* `xi` or `xi_NAME`. */
bool noise_is_name(const char *name);
/* The value of the noise `name` in the ODE of L->noise_ode of population p (an IR_VAR_NOISE variable,
 * dimension time^-1/2, created on first use); an error outside an ODE. */
struct val noise_lookup(struct lctx *L, struct lpop *p, const char *name, struct span use);
/* True when e reads a white-noise variable. */
bool noise_in(const struct ir_expr *e, struct ir_var *const *vars, int nvars);
/* The discrete update of dx/dt = rhs when rhs contains white noise (the schemes of noise.c); false with
 * *why set when the equation or the forced method does not allow one. */
bool noise_discretise(struct arena *ar, struct ir_expr *rhs, int x, struct ir_var *const *vars, int nvars, double dt,
                      enum sema_method m, const struct solver_cols *cols, enum ir_solver *solver,
                      struct ir_expr **next, const char **why);

/* ---- hetero.c: parameters given as distributions (issue 13) ----------------------------------- */

/* The value of neuron param b of population p when it contains a draw: a per-neuron column (IR_VAR_PARAM)
 * initialised with that draw, so each neuron keeps its own value for the whole run. */
struct val hetero_param(struct lctx *L, struct binding *b, struct val v);
/* The solver_cols of population p (its IR_VAR_PARAM variables), named after variable `var`. */
struct solver_cols hetero_cols(struct lctx *L, struct lpop *p, int var);
/* e reads variables, and only per-neuron constants of p, and draws nothing: a coefficient that is constant in
 * time but not across neurons. */
bool hetero_only(const struct ir_expr *e, struct lpop *p);
/* The value of neuron param b whose expression is per_neuron("file.csv", "column") (hetero_is_file): a
 * per-neuron column read from the file now, one row per neuron. */
bool hetero_is_file(const struct ast_node *e);
struct val hetero_file(struct lctx *L, struct binding *b);
/* ---- table.c: one column of a CSV file, values in internal units ------------------------------- */
struct table_col {
    int64_t n;
    double *v;             /* arena-owned */
    struct ir_dim dim;
};
/* False with "shown:LINE: what is wrong" in err.  path is opened; shown names it in messages. */
bool table_column(struct arena *a, const char *path, const char *shown, const char *column, struct table_col *out,
                  char *err, size_t errlen);
/* e, an initial value, reads no variable but per-neuron constants of p (the runtime sets those first). */
bool hetero_init(const struct ir_expr *e, struct lpop *p);

/* ---- measured.c: stat(POP, STAT [, AXIS = VALUE]...) ------------------------------------------ */

enum meas_mode {
    MEAS_CHECK,             /* analysis: a placeholder value of the right dimension */
    MEAS_DEPS,              /* sema_point_deps: a placeholder, and the point named is recorded */
    MEAS_LOOKUP,            /* sema_lower_measured: the caller's measurement */
    MEAS_FORBID,            /* sema_lower: an error, the point needs measurements */
};
struct meas_dep {
    int *point;             /* value index per axis (trial -1) */
    struct span call;       /* the stat() call */
};
struct measured {
    enum meas_mode mode;
    sema_stat_fn fn;        /* MEAS_LOOKUP */
    void *ctx;
    const int *given;       /* MEAS_LOOKUP: the caller's value-index vector (its trial index is used) */
    struct ptrvec deps;     /* MEAS_DEPS: struct meas_dep*, one per evaluated call (repeats kept) */
};
/* check.c calls this for every call of `stat`. */
struct val measured_call(struct lctx *L, struct scope *s, struct ast_node *call);
/* After the variant combinations check out: lowers every point of the sweep (at most 4096, trial axis
 * excluded) when the model uses stat(), and reports self-dependencies and cycles between points. */
void measured_check_sweep(struct sema_model *m);
/* "N = 1000, syn = conductance" (axes applied at point; trial only when trial >= 0 is its value index). */
const char *measured_point_name(struct sema_model *m, const int *point, int trial);
#endif
