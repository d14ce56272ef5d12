/*
 * ir.h - the intermediate representation: one sweep point of one model, fully resolved, in internal units,
 * with every ODE already discretised.  This is the contract between the front end (sema + lowering,
 * which builds it), the two engines (codegen/JIT and the reference interpreter, which execute its
 * kernels) and the runtime (which builds the network, delivers spikes and computes statistics).
 *
 * Owns: data only.  All IR objects live in the compilation arena.  Must not: include LLVM or runtime
 * headers.
 *
 * Internal unit system (SCIENCE.md §2, "C_m = 1 pF, currents in pA, conductances in nS"):
 *   time ms, voltage mV, current pA, conductance nS, capacitance pF, charge fC, rate 1/ms (= kHz).
 * Every IR constant is a plain double in these units; the dimension is kept beside it only for
 * printing (struct ir_dim).
 *
 * Kernel semantics (identical in JIT and interpreter, and the reason this IR is so small):
 *   for each neuron i in [begin, end), one time step:
 *     1. load  s[k] = vars[k][i]                      for every variable k (float columns when pop.single:
 *                                                     steps 1-7 then compute in float, see below), except
 *              s[k] = ir_noise_normal(env.seed, pop.index, i, env.step, vars[k].noise_term)
 *                                                     for a white-noise variable (IR_VAR_NOISE): a fresh
 *                                                     standard normal per neuron, step and term, never
 *                                                     stored (its column is left untouched)
 *     2. next  n[k] = update[k].next(s)               for every variable with an update,
 *                                                     all evaluated from the OLD values s (Jacobi order)
 *        refractory: while s[refr] > 0, variables with update.frozen keep n[k] = s[k], or take
 *        n[k] = update.held(s) when it is set (a variable reset to a value independent of its old value,
 *        V = V_re, is clamped there: input arriving during the refractory period is discarded, as in
 *        NEST's iaf_psc_delta and Brunel 2000)
 *        variables without an update keep n[k] = s[k]
 *     3. spike = (s[refr] <= 0) && (spike_cond(n) != 0 || !isfinite(n[spike_var]))
 *        (a V that overflows within a step counts as a spike: SCIENCE.md §2)
 *     4. resets in order: n[k] = spike ? reset.value(n) : n[k]   (each reset sees earlier resets)
 *     5. refractory counter: n[refr] = spike ? refr_steps : max(s[refr] - 1, 0)
 *     6. store vars[k][i] = n[k]; spiked[i] = spike
 *     7. observables: obs[j][i] = observable[j](n)    (after the resets)
 *     8. only in the accumulating entry point (ir_kernel.fn_acc), for each accumulator a of pop.accums, with
 *        x = obs[a.obs][i] clipped to a.clip when a.has_clip (x > clip ? clip : x; NaN stays), y = obs[a.obs2][i],
 *        and c = acc + a.col (the statistics' per-neuron columns, runtime/stats.c):
 *          SUM        c[0][i] += x
 *          MOMENTS    d = x - c[0][i]; c[1][i] += d; c[2][i] += d * d
 *          COMOMENTS  dx = x - c[0][i]; dy = y - c[1][i]; c[2][i] += dx; c[3][i] += dy; c[4][i] += dx * dy
 *        (the statistics' sums, accumulated while x is in a register instead of in a second pass over the
 *        observable columns; the same operations in the same order as runtime/stats.c's own loop)
 *   Expressions read variables with IR_VAR (index k).  In step 2 IR_VAR means s[k]; in steps 3, 4 and 7
 *   it means the (partially updated) n[k].  No fast-math: both engines perform the same IEEE operations
 *   in the same order, so their spike trains are bit-identical, which lets the tests use the
 *   interpreter as the JIT's oracle with tolerance 0.
 *   A `precision = single` population (pop.single) runs steps 1-7 in float: s, n, every constant (rounded
 *   to the nearest float: the propagators too), refr_steps and the noise draw (rounded) are floats and
 *   expressions are evaluated by ir_evalf (exp by ir_expf); observables are widened to double when stored,
 *   and step 8 is the same double arithmetic as in double precision.  The time t (the update with clock_dt)
 *   is n = (float)((env.step + 1) * clock_dt), computed in double from the step count, instead of s + dt in
 *   float, which would drift by a rounding per step (0.1 ms after 1 s at dt = 0.1 ms); a NULL env counts
 *   as step 0.
 */
#ifndef BN_IR_H
#define BN_IR_H

#include "../support/support.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* Dimension as exponents of the SI base units (m, kg, s, A, K, mol, cd), each counted in twelfths
 * (DIM_DEN) so that roots of units are dimensions like any other (issue 13): sqrt(2/tau) is time^-1/2,
 * e[DIM_S] == -6; white noise xi has it too.  Twelfths cover halves, thirds, quarters and sixths. */
enum { DIM_M, DIM_KG, DIM_S, DIM_A, DIM_K, DIM_MOL, DIM_CD, DIM_COUNT };
#define DIM_DEN 12
struct ir_dim {
    int16_t e[DIM_COUNT];
};

/* ---- expressions ------------------------------------------------------------------------------ */

#define IR_OPS(X)                                                                                  \
    X(CONST, "const", 0)      /* value */                                                          \
    X(VAR, "var", 0)          /* index: variable of the population */                              \
    X(NEG, "neg", 1)                                                                               \
    X(ADD, "add", 2)                                                                               \
    X(SUB, "sub", 2)                                                                               \
    X(MUL, "mul", 2)                                                                               \
    X(DIV, "div", 2)                                                                               \
    X(POW, "pow", 2)                                                                               \
    X(MIN, "min", 2)          /* fmin semantics */                                                 \
    X(MAX, "max", 2)                                                                               \
    X(LT, "lt", 2)            /* comparisons and logic yield 1.0 or 0.0 */                         \
    X(LE, "le", 2)                                                                                 \
    X(GT, "gt", 2)                                                                                 \
    X(GE, "ge", 2)                                                                                 \
    X(EQ, "eq", 2)                                                                                 \
    X(NE, "ne", 2)                                                                                 \
    X(AND, "and", 2)          /* operands are 0/1; result (a != 0) & (b != 0), no short circuit */ \
    X(OR, "or", 2)                                                                                 \
    X(NOT, "not", 1)                                                                               \
    X(SELECT, "select", 3)    /* a != 0 ? b : c, both evaluated (branch-free) */                   \
    X(EXP, "exp", 1)                                                                               \
    X(EXPM1, "expm1", 1)                                                                           \
    X(LOG, "log", 1)                                                                               \
    X(SQRT, "sqrt", 1)                                                                             \
    X(ABS, "abs", 1)                                                                               \
    X(TANH, "tanh", 1)                                                                             \
    X(SIN, "sin", 1)                                                                               \
    X(COS, "cos", 1)                                                                               \
    X(ISFINITE, "isfinite", 1)                                                                     \
    X(TABLE, "timed", 1)      /* table->v at time a, held (ir_table_at); timed("f.csv", "col") */  \
    /* Random draws: only in initialisers, weights and delays (evaluated by the runtime, never in a \
     * kernel).  The draw uses the Philox stream of the entity being initialised (rt_rng.h). */    \
    X(RAND_UNIFORM, "uniform", 2) /* low, high */                                                  \
    X(RAND_NORMAL, "normal", 2)   /* mean, sd */                                                   \
    X(RAND_LOGNORMAL, "lognormal", 2) /* mean and sd of the variable itself (not of its log) */    \
    X(RAND_EXPONENTIAL, "exponential", 1) /* mean */

enum ir_op {
#define X(name, str, arity) IR_##name,
    IR_OPS(X)
#undef X
    IR_OP_COUNT
};

extern const char *const ir_op_name[IR_OP_COUNT];
extern const int ir_op_arity[IR_OP_COUNT];

/* A signal sampled at times t0 + k h, k = 0 .. n - 1, read from a CSV file by timed() (issue 13 item 4):
 * its value at time t is v[k] with k = floor((t - t0)/h + 1e-6) clamped to [0, n - 1] (held from each
 * sample time; the 1e-6 absorbs the rounding of t accumulated in steps of dt; before t0 the first value,
 * after the last sample the last). */
struct ir_table {
    const char *name;      /* "file.csv:column", for dumps and as the kernel's global */
    double t0, h;          /* ms */
    int64_t n;
    const double *v;       /* internal units */
};
double ir_table_at(const struct ir_table *t, double time);

struct ir_expr {
    enum ir_op op;
    int index;             /* IR_VAR */
    double value;          /* IR_CONST */
    const struct ir_table *table;   /* IR_TABLE */
    struct ir_expr *a, *b, *c;
};

/* ---- populations ------------------------------------------------------------------------------ */

enum ir_solver {
    IR_SOLVER_NONE,        /* no ODE (constant or reset-only variable) */
    IR_SOLVER_EXACT,       /* linear, constant coefficients: exact propagator computed at compile time */
    IR_SOLVER_EXP_EULER,   /* linear in itself, state-dependent coefficients */
    IR_SOLVER_EULER,
    IR_SOLVER_RK2,         /* midpoint method */
    /* with white noise (issue 13; compiler/sema/solver.c has the formulas) */
    IR_SOLVER_EXACT_OU,    /* linear, constant coefficient, additive noise: exact Ornstein-Uhlenbeck step */
    IR_SOLVER_EXP_EULER_OU,/* linear, state-dependent coefficient, additive noise: the same, coefficients frozen */
    IR_SOLVER_EULER_MARUYAMA, /* anything else (nonlinear drift, multiplicative noise: Ito) */
};
extern const char *const ir_solver_name[];

enum ir_var_kind {
    IR_VAR_STATE,          /* neuron state variable */
    IR_VAR_RECEPTOR,       /* state of a synapse instance, summed over every projection into it */
    IR_VAR_REFRACTORY,     /* remaining refractory steps (a double holding an integer) */
    IR_VAR_NOISE,          /* white noise: a fresh standard normal each step (kernel step 1), never stored */
    IR_VAR_PARAM,          /* a per-neuron constant: a parameter given as a distribution, or a propagator
                            * computed from such parameters; set at build time, no update, never changes */
};

struct ir_var {
    const char *name;      /* "V", or for receptors "<instance>.<state>", e.g. "exp_cond#1.g"; noise: "xi@V" */
    enum ir_var_kind kind;
    int noise_term;        /* IR_VAR_NOISE: the term's number within the population (the Philox key) */
    struct ir_dim dim;
    struct ir_expr *init;  /* RAND_* and IR_CONST, and IR_VAR of IR_VAR_PARAM variables only (the runtime
                            * initialises a variable after the per-neuron constants its value reads) */
    const double *table;   /* IR_VAR_PARAM read from a file (per_neuron()): one value per neuron; init NULL */
    const char *table_file;/* that file's name as written, for dumps */
    struct span span;
};

struct ir_update {
    int var;
    enum ir_solver solver;
    bool frozen;           /* held during the refractory period (neuron ODEs; receptors keep decaying) */
    struct ir_expr *held;  /* value while refractory (from the old values s); NULL: s[var] */
    struct ir_expr *next;  /* the discrete update: value at t+dt from the values at t */
    struct ir_expr *rhs;   /* the continuous right-hand side dx/dt, kept for dumps and checks */
    double clock_dt;       /* > 0: this is the hidden time t (next = t + dt, dt = clock_dt ms); a single-precision
                            * kernel computes it from the step count instead (kernel step 2) */
    struct span span;
};

struct ir_reset {
    int var;
    struct ir_expr *value;
    struct span span;
};

/* An expression evaluated per neuron after each step for the statistics (V, g_syn, a current...). */
struct ir_observable {
    const char *name;
    struct ir_dim dim;
    struct ir_expr *expr;
};

/* A per-neuron sum the kernel accumulates for a statistic (kernel step 8 above; ir_accum.c plans them). */
enum ir_accum_kind { IR_ACC_SUM, IR_ACC_MOMENTS, IR_ACC_COMOMENTS };
struct ir_accum {
    enum ir_accum_kind kind;
    int rec, stat;         /* the statistic (model.records[rec].stats[stat]) these sums belong to */
    int role;              /* binned cov: 0 sums x, 1 sums y; otherwise 0 */
    int obs, obs2;         /* observables of this population (obs2: COMOMENTS only) */
    bool has_clip;         /* x = min(x, clip) first (applies to obs only) */
    double clip;
    int col;               /* its first column in the kernel's acc array: SUM 1, MOMENTS 3, COMOMENTS 5 */
};

struct ir_pop {
    const char *name;
    int index;             /* position in model.pops: part of the white-noise key (ir_noise_normal) */
    int nnoise;            /* IR_VAR_NOISE variables */
    const char *neuron;    /* neuron model name */
    int64_t size;
    struct ir_var *vars;   int nvars;
    struct ir_update *updates; int nupdates;
    struct ir_expr *spike_cond;   /* NULL: never spikes */
    int spike_var;         /* variable whose overflow counts as a spike (usually V); -1: none */
    struct ir_reset *resets; int nresets;
    int refr_var;          /* index of the IR_VAR_REFRACTORY variable, -1 when no refractory period */
    double refr_steps;     /* refractory period in steps, rounded to nearest (>= 1 when present) */
    struct ir_observable *obs; int nobs;
    struct ir_accum *accums; int naccums;
    int nacc_cols;         /* columns of all accums */
    int v_var;             /* the membrane potential (for guards and V statistics); -1: none */
    bool single;           /* `precision = single`: the variable columns hold floats and the kernel computes
                            * in float (ir_evalf; both engines identically); observables and statistics
                            * stay double */
    struct span span;
};

/* ---- inputs ----------------------------------------------------------------------------------- */

enum ir_input_kind {
    IR_INPUT_POISSON,      /* independent Poisson trains, or mother-process correlated when corr > 0 */
    IR_INPUT_FILE,         /* spike trains from a CSV file: rows "neuron,time" (time in ms or with unit) */
};

struct ir_input {
    const char *name;
    enum ir_input_kind kind;
    int64_t size;
    double rate;           /* 1/ms; with rate_t: its value at t = 0 (memory estimates) */
    struct ir_expr *rate_t;/* a rate that varies in time: an expression of IR_VAR 0 = t (ms), in 1/ms, evaluated
                            * by the runtime once per step at the step's time (runtime/input.c); NULL: constant */
    double corr;           /* pairwise count correlation c in [0, 1]; 0: independent (no mother process) */
    double jitter;         /* ms, sd of the Gaussian jitter of each kept mother spike */
    const char *path;      /* IR_INPUT_FILE, resolved relative to the model file */
    struct span span;
};

/* ---- projections ------------------------------------------------------------------------------ */

enum ir_rule { IR_RULE_BERNOULLI, IR_RULE_IN_DEGREE, IR_RULE_OUT_DEGREE, IR_RULE_ONE_TO_ONE, IR_RULE_ALL_TO_ALL };
extern const char *const ir_rule_name[];

/* Source or target of a projection: a neuron population or (source only) an input. */
struct ir_ref {
    bool is_input;
    int index;             /* into model.pops or model.inputs */
};

/* What a spike does at the target: receptor variable `var` of the target population gets
 * `scale * w` added, where w is the connection's weight (on-spike statements are linear in w). */
struct ir_increment {
    int var;
    double scale;
};

/* ---- plastic projections (compiler/sema/lower_plastic.c builds them) ---------------------------------
 *
 * A synapse with `on pre(w)` / `on post(w)` blocks is plastic.  Its receptor states (those its current
 * reads, and their ODEs' inputs) stay summed per target neuron as for any synapse; every other state is an
 * event state, stored per synapse (float, next to the CSR targets), per source neuron or per target neuron
 * (double), as the compiler decides from the equations.  The weight is state 0, per synapse.  Event
 * states evolve between events by dX/dt = a X + b with constant a, b, brought forward in closed form when
 * an event touches them:  X(now) = X e^{a D} + (b/a)(e^{a D} - 1), D = (now - last) dt, where `last` is the
 * source's last pre event (per-source states), the target's last post event (per-target states) or the
 * later of the two (per-synapse states: every pre event of the source and every post event of the target
 * touches the synapse, so nothing else can have changed it since).
 *
 * Event semantics (one function per event, over one projection's synapses; both engines):
 *   frame f: f[0, base) the target neuron's variables (loaded from post_vars[k][j]); f[base + s] state s
 *   (per synapse from syn[s][k], per source from pre[s][i], per target from post[s][j]);
 *   f[base + nstates + IR_PL_NOW], [.. + IR_PL_TPRE], [.. + IR_PL_TPOST]: now, last[i], last[j] in steps.
 *   per synapse (k, i, j):  load f;  f[base + s] = bring[s](f) for every s with bring[s] (Jacobi: each
 *     reads only its own state and the times);  each statement in order: post_inc ? (f[dst] += v,
 *     post_vars[dst][j] = f[dst]) : f[dst] = v, with v = value(f);  store the per-synapse states (rounded
 *     to float).  A single-precision target (`single`): its columns are widened on load, and a post_inc
 *     rounds f[dst] to float before it stores it (so the frame holds what the column holds).
 *   after the synapses, once per call: the same with only the event's own-side states (pre event: the
 *     per-source states, statements `pre_own`; post event: per-target, `post_own`), which read nothing
 *     else, so every synapse saw the same values;  store them;  last[i] (or last[j]) = now.
 * A pre event at step t (the spike's arrival, after its delay) has now = t; a post event (the
 * target spiked in step t) has now = t + 1, the time the spike is stamped with (docs/language.md). */
enum ir_pl_where { IR_PL_SYN, IR_PL_PRE, IR_PL_POST };
extern const char *const ir_pl_where_name[];
enum { IR_PL_NOW, IR_PL_TPRE, IR_PL_TPOST, IR_PL_NTIMES };

struct ir_pl_state {
    const char *name;
    enum ir_pl_where where;
    struct ir_dim dim;
    double init;           /* initial value (state 0, the weight, takes the connection's weight instead) */
    struct ir_expr *init_draw; /* non-NULL: the initial value is random (uniform(...), ...), drawn per synapse
                                * (such a state is always per synapse; runtime/plastic.c); init is unused */
    bool decays;           /* has dX/dt = a X + b (else constant between events) */
    double a, b;           /* 1/ms and dim/ms */
    struct span span;
};
struct ir_pl_stmt {
    int dst;               /* frame index */
    bool post_inc;         /* a target-neuron variable (a receptor, or V of a delta synapse): += value */
    struct ir_expr *value;
    struct span span;
};
struct ir_plastic {
    struct ir_pl_state *states; int nstates;
    int base;              /* frame index of state 0: the target population's nvars */
    bool syn_last;         /* per-synapse delays: each synapse sees its source's train at its own delay, so
                            * there are no per-source states (sema stores them per synapse), and the time
                            * of the last pre event is kept per synapse: pre_last[k], set in the per-synapse
                            * loop, instead of pre_last[i] set once per call; a pre event is then called for
                            * one synapse at a time (b = k, e = k + 1), at its arrival */
    bool single;           /* the target population is `precision = single`: post_vars columns hold floats,
                            * widened on load; a post_inc store rounds to float and the frame keeps the
                            * rounded value (as the neuron kernels and the static delivery do) */
    struct ir_expr **bring;    /* nstates: state s at `now` from its stored value; NULL when it does not decay */
    struct ir_pl_stmt *pre; int npre;             /* on pre, per synapse, in source order */
    struct ir_pl_stmt *pre_own; int npre_own;     /* its statements of per-source states */
    struct ir_pl_stmt *post; int npost;           /* on post */
    struct ir_pl_stmt *post_own; int npost_own;   /* its statements of per-target states */
};

/* The event functions of a plastic projection (ir_plastic above).  syn[s], pre[s], post[s] are the state
 * columns of slot s (NULL for slots stored elsewhere); pre_last/post_last the steps of the last pre event
 * per source and post event per target.  Pre event: source `who`, synapses k in [b, e), target j = ka[k],
 * kb unused.  Post event: target `who`, synapses k = ka[m] with sources i = kb[m], m in [b, e). */
typedef void (*ir_event_fn)(void *ctx, double *const *post_vars, float *const *syn, double *const *pre,
                            double *const *post, double *pre_last, double *post_last, const uint32_t *ka,
                            const uint32_t *kb, int64_t who, int64_t b, int64_t e, double now);

struct ir_proj {
    struct ir_plastic *plastic;    /* NULL: a static projection (incs below) */
    struct ir_ref pre, post;   /* post is always a neuron population */
    enum ir_rule rule;
    double p;              /* bernoulli */
    int64_t k;             /* in/out degree */
    bool autapses;         /* only meaningful when pre == post */
    struct ir_expr *weight;    /* constant, or with RAND_* draws per synapse */
    struct ir_expr *delay;     /* ms; constant or random; >= dt after rounding to steps */
    bool weight_const, delay_const;
    struct ir_increment *incs; int nincs;
    struct ir_dim weight_dim;
    const char *synapse;   /* synapse instance name, for messages */
    struct span span;
};

/* ---- records (statistics) --------------------------------------------------------------------- */

#define IR_STATS(X)                                                                                \
    X(RATE, "rate")                                                                                \
    X(CV_ISI, "cv_isi")                                                                            \
    X(FANO, "fano")                                                                                \
    X(COUNT_CORR, "count_corr")                                                                    \
    X(MEAN, "mean")            /* of an observable: time average per neuron, mean over neurons */  \
    X(VAR, "var")              /* temporal variance per neuron, mean over neurons */               \
    X(STD, "std")              /* sqrt of VAR */                                                   \
    X(COV, "cov")              /* temporal covariance of two observables, mean over neurons */     \
    X(DERIVED, "derived")      /* expression of other statistics' values, e.g. tau_eff */           \
    /* Recordings for plots: written by runtime/trace.c to DIR/traces/, never a points.csv   \
     * row (stats.c skips them).  Kept after DERIVED so the ordering tests above stay valid. */       \
    X(RATE_TRACE, "rate_trace") /* population rate in bins of `bin` ms after burn-in */              \
    X(TRACE, "trace")          /* observable `obs` of the first `neurons` neurons every `every` ms */ \
    X(RASTER, "raster")        /* spikes of the first `neurons` neurons after burn-in */

enum ir_stat_kind {
#define X(name, str) IR_STAT_##name,
    IR_STATS(X)
#undef X
    IR_STAT_COUNT
};

struct ir_stat {
    const char *name;      /* column value in points.csv, e.g. "v_var", "rate", "tau_eff" */
    enum ir_stat_kind kind;
    int obs, obs2;         /* observable indices (per population: same name in every pop recorded) */
    double window;         /* ms: fano / count_corr window */
    double min_rate;       /* 1/ms: count_corr rate threshold */
    bool has_from;         /* count_corr's windows and rate count from `from` (ms) instead of from the end of */
    double from;           /* the burn-in (from = 0 ms: the windows of the authors' utils.py) */
    bool has_clip;         /* clip observable at `clip` before the statistic (V at V_th) */
    double clip;
    double bin;            /* ms: average in bins of this width before the variance; 0: none */
    struct ir_expr *derived;   /* IR_STAT_DERIVED: IR_VAR k refers to stat k of this record */
    struct ir_dim dim;     /* dimension of the value, for the unit column */
    const char *unit;      /* display unit, e.g. "Hz", "mV^2" */
    double unit_scale;     /* value_in_display_unit = internal_value * unit_scale */
    /* Recordings (IR_STAT_RATE_TRACE uses `bin`, IR_STAT_TRACE `obs`, `neurons` and `every`,
     * IR_STAT_RASTER `neurons`); a population smaller than `neurons` is recorded whole. */
    int64_t neurons;       /* first neurons recorded, >= 1 */
    double every;          /* ms between trace samples, >= dt */
};
/* The names of IR_STATS, by kind ("rate", ..., "raster"). */
extern const char *const ir_stat_names[IR_STAT_COUNT];
/* True for the recording kinds, which produce files instead of points.csv rows. */
static inline bool ir_stat_is_recording(enum ir_stat_kind k)
{
    return k == IR_STAT_RATE_TRACE || k == IR_STAT_TRACE || k == IR_STAT_RASTER;
}

struct ir_record {
    int *pops; int npops;  /* neuron populations; */
    bool pooled;           /* also report population "all" (pooled over every non-input population) */
    struct ir_stat *stats; int nstats;
    struct span span;
};

/* ---- recordings of a plastic projection: `record PRE -> POST: ...` (runtime/wrecord.c) --------------- */

enum ir_wrec_kind {
    IR_WREC_WEIGHTS,       /* `weights`: the final weights, one row per synapse (pre, post, w) */
    IR_WREC_STATS,         /* `weight_stats(every)`: mean and variance over synapses, sampled in time */
    IR_WREC_HIST,          /* `weight_hist(bins, max, every)`: histogram of the weights in [min, max] */
    IR_WREC_STATE,         /* `state_trace(x, every)`: mean over its storage of event state x, in time */
    IR_WREC_SYN,           /* `weight_trace(every, synapses)`, `state_trace(x, every, synapses)`: the weight
                            * or state x as seen by each of `synapses` sampled synapses, in time */
};
struct ir_wrec {
    const char *name;      /* file name part: "weights", "weight_stats", ... or the user's name */
    const char *who;       /* "PRE-POST", for file names */
    enum ir_wrec_kind kind;
    int proj;
    int state;             /* IR_WREC_STATE, IR_WREC_SYN: the state slot (0: the weight) */
    int nsample;           /* IR_WREC_SYN: how many synapses (evenly spaced in CSR order, wrecord.h) */
    double every;          /* ms between samples (STATS, HIST, STATE); the first sample is at t = 0 */
    int bins;
    double lo, hi;         /* HIST range, internal units */
    const char *unit;      /* display unit of the weight (or state) */
    double unit_scale;
    struct span span;
};

/* ---- the model at one sweep point ------------------------------------------------------------- */

enum ir_precision { IR_DOUBLE, IR_SINGLE };

/* The phases of one time step, in the order `simulate { order = [...] }` names them (docs/language.md, "One
 * time step").  The runtime always delivers before it calls the kernels; sema (compiler/sema/order.c) writes
 * every other order into the kernels' expressions, so the engines and the runtime know only the default. */
#define IR_PHASES(X)                                                                               \
    X(DELIVER, "deliver")       /* spikes of populations arrive at their targets */                \
    X(INPUTS, "inputs")         /* spikes of inputs arrive */                                      \
    X(UPDATE, "update")         /* synapse and neuron ODEs advance together from the same values */ \
    X(SYNAPSES, "synapses")     /* synapse ODEs advance */                                         \
    X(NEURONS, "neurons")       /* neuron ODEs advance */                                          \
    X(THRESHOLDS, "thresholds") /* spike conditions, resets, refractoriness */

enum ir_phase {
#define X(name, str) IR_PHASE_##name,
    IR_PHASES(X)
#undef X
    IR_PHASE_COUNT
};
extern const char *const ir_phase_name[IR_PHASE_COUNT];

struct ir_model {
    const char *name;      /* model file stem */
    double dt;             /* ms */
    double duration;       /* ms */
    double burn_in;        /* ms */
    uint64_t seed;
    enum ir_precision precision;
    enum ir_phase order[IR_PHASE_COUNT]; int norder;   /* the step's phases; norder 0: the default order */
    struct ir_pop *pops; int npops;
    struct ir_input *inputs; int ninputs;
    struct ir_proj *projs; int nprojs;
    struct ir_record *records; int nrecords;
    struct ir_wrec *wrecs; int nwrecs;   /* recordings of plastic projections */
};

/* ---- compiled kernels ------------------------------------------------------------------------ */

/* What a step's kernels read besides their columns: the run's seed and the step number, the key of the
 * white noise (kernel step 1).  Kernels of populations without noise never read it. */
struct ir_kenv {
    uint64_t seed;
    int64_t step;
};

/* One population's fused update kernel (semantics at the top of this file), as produced by either engine.
 * `vars[k]` and `obs[j]` are the population's structure-of-arrays columns; the kernel updates neurons
 * [begin, end) and writes spiked[i] = 0 or 1.  The JIT's native function ignores ctx; the interpreter's
 * uses it for its struct ir_pop.  Disjoint ranges may run concurrently. */
typedef void (*ir_kernel_fn)(void *ctx, double *const *vars, double *const *obs, uint8_t *spiked,
                             int64_t begin, int64_t end, const struct ir_kenv *env);
/* The same kernel with step 8: acc holds the pop's nacc_cols accumulator columns. */
typedef void (*ir_kernel_acc_fn)(void *ctx, double *const *vars, double *const *obs, double *const *acc,
                                 uint8_t *spiked, int64_t begin, int64_t end, const struct ir_kenv *env);
struct ir_kernel {
    ir_kernel_fn fn;
    void *ctx;
    ir_kernel_acc_fn fn_acc;   /* NULL when the population has no accums */
    /* A kernel array has npops + nprojs entries: entry npops + j holds plastic projection j's event
     * functions in pre/post (with ctx; fn NULL).  Entries of static projections are unused (and may be
     * absent when the model has no plastic projection). */
    ir_event_fn pre, post;
};
/* Entries a kernel array needs for m: npops, plus nprojs when any projection is plastic. */
int ir_kernel_count(const struct ir_model *m);

/* ---- helpers (ir.c) --------------------------------------------------------------------------- */

struct ir_expr *ir_const(struct arena *a, double v);
struct ir_expr *ir_var(struct arena *a, int index);
struct ir_expr *ir_node(struct arena *a, enum ir_op op, struct ir_expr *x, struct ir_expr *y, struct ir_expr *z);
bool ir_expr_is_const(const struct ir_expr *e);        /* no IR_VAR and no RAND_* */
bool ir_expr_uses_var(const struct ir_expr *e, int var);
/* Evaluates an expression without variables or draws; returns false if it has either. */
bool ir_eval_const(const struct ir_expr *e, double *out);
/* The one scalar evaluator: the interpreter's kernels, initialisers, weights and delays all use it, so
 * its operation order is the reference the JIT must match.  `vars` may be NULL when e has no IR_VAR;
 * `draw` may be NULL when e has no RAND_* (a draw then yields NaN). */
typedef double (*ir_draw_fn)(void *ctx, enum ir_op op, double a, double b);
double ir_eval(const struct ir_expr *e, const double *vars, ir_draw_fn draw, void *ctx);
/* MIN/MAX as ir_eval computes them: C fmin/fmax on NaN (the other operand), second operand on ties such
 * as fmin(+0, -0) (C leaves that sign unspecified; the JIT must match bit for bit). */
double ir_fmin(double a, double b);
double ir_fmax(double a, double b);
/* The evaluator of a `precision = single` population's kernel expressions (no draws): ir_eval's semantics
 * in float arithmetic, constants rounded to float, exp by ir_expf; the operations for which
 * ir_op_single_in_double holds (pow, expm1, log, tanh, sin, cos, timed) are computed in double on the
 * widened operands and rounded to float, so a float vector loop calls the same libm as a double one and a
 * timed() lookup keeps a double time.  cg_expr.c emits the same operations. */
float ir_evalf(const struct ir_expr *e, const float *vars);
bool ir_op_single_in_double(enum ir_op op);
/* A single-precision division by a constant, x / c, is computed as x * r with r = 1/c rounded to float
 * (the `-g / tau` of every Euler step: one multiply instead of a divide, which costs ~10x a multiply per
 * vector; what Brian2's -ffast-math and GeNN's float kernels do).  True, with r, when `divisor` is a
 * constant whose float reciprocal is finite and nonzero; the result then differs from the correctly
 * rounded quotient by at most 1.5 ulp.  ir_evalf and cg_expr.c both ask this, so the engines agree. */
bool ir_single_recip(const struct ir_expr *divisor, float *r);
float ir_fminf(float a, float b);
float ir_fmaxf(float a, float b);
/* IR_EXP as ir_eval computes it (ir_exp.c): straight-line IEEE +, -, * with integer ops and bit casts, no
 * libm call, max error 0.53 ulp (0.75 for subnormal results).  The code generator emits the same sequence
 * (cg_expr.c) from the same constants, so JIT and interpreter agree bit for bit and the JIT's copy
 * vectorises. */
double ir_exp(double x);
#define IR_EXP_X_MAX 710.0                  /* clamp: exp overflows to +inf beyond 709.78 anyway */
#define IR_EXP_X_MIN (-746.0)               /* clamp: exp underflows to +0 below -745.14 anyway */
#define IR_EXP_INV_LN2 0x1.71547652b82fep0  /* 1/ln 2 */
#define IR_EXP_SHIFTER 0x1.8p52             /* 1.5 * 2^52: adding it rounds to an integer */
#define IR_EXP_LN2_HI 0x1.62e42feep-1       /* ln 2, first 32 bits (fdlibm ln2HI) */
#define IR_EXP_LN2_LO 0x1.a39ef35793c76p-33 /* ln 2 - IR_EXP_LN2_HI (fdlibm ln2LO) */
#define IR_EXP_SPLIT 134217729.0        /* 2^27 + 1: Veltkamp's splitter */
#define IR_EXP_NPOLY 12
extern const double ir_exp_poly[IR_EXP_NPOLY]; /* 1/14!, 1/13!, ..., 1/3!: Horner order */
/* The exp of single-precision kernels (ir_exp.c): the same method in float arithmetic (float vector lanes),
 * max error 0.94 ulp of a float; cg_expr.c emits the same sequence from the same constants. */
float ir_expf(float x);
#define IR_EXPF_X_MAX 89.0f
#define IR_EXPF_X_MIN (-104.0f)
#define IR_EXPF_INV_LN2 0x1.715476p0f       /* 1/ln 2 rounded to float */
#define IR_EXPF_SHIFTER 0x1.8p23f           /* 1.5 * 2^23 */
#define IR_EXPF_LN2_HI 0x1.62e4p-1f         /* ln 2, first 15 bits (fdlibm e_expf.c ln2HI) */
#define IR_EXPF_LN2_LO 0x1.7f7d1cp-20f      /* ln 2 - IR_EXPF_LN2_HI, rounded to float */
#define IR_EXPF_NPOLY 7
extern const float ir_expf_poly[IR_EXPF_NPOLY]; /* 1/8!, 1/7!, ..., 1/2!: Horner order */
/* ---- white noise (ir_noise.c) ----------------------------------------------------------------- */

/* The standard normal of white-noise term `term` of neuron `neuron` of population `pop` at step `step`:
 * one Philox4x32-10 block (Salmon et al., SC'11) keyed by the seed, counter
 *   (step mod 2^32, neuron, (step >> 32) << 16 | term, IR_NOISE_STREAM << 24 | pop),
 * a stream of its own beside runtime/rng.h's (RT_STREAM_NOISE == IR_NOISE_STREAM), turned into
 * u1, u2 in (0, 1) with 53 bits each and then into sqrt(-2 ln u1) cos(2 pi u2) (Box & Muller 1958) with
 * ln and cos written as straight-line IEEE arithmetic (no libm call, no branch), so that the code generator
 * emits the same operations (cg_noise.c), the JIT's kernel vectorises and both engines agree bit for bit.
 * A pure function of its arguments: any thread partition gives the same numbers.  Valid for
 * neuron < 2^32, term < 2^16, step < 2^48. */
#define IR_NOISE_STREAM 9
double ir_noise_normal(uint64_t seed, int pop, int64_t neuron, int64_t step, int term);
/* Its pieces, shared with cg_noise.c: the polynomial coefficients in Horner order. */
#define IR_NOISE_NLOG 11
extern const double ir_noise_log_poly[IR_NOISE_NLOG];   /* 1/21, 1/19, ..., 1/3, 1: atanh series in s^2 */
#define IR_NOISE_NCOS 12
extern const double ir_noise_cos_poly[IR_NOISE_NCOS];   /* (-1)^j/(2j)! for j = 11..0: cos series in x^2 */
#define IR_NOISE_LN2 0x1.62e42fefa39efp-1
#define IR_NOISE_SQRT2 0x1.6a09e667f3bcdp0
#define IR_NOISE_TWO_PI 0x1.921fb54442d18p2

/* ---- statistics the kernels accumulate (ir_accum.c) ------------------------------------------- */

/* A duration in whole steps, at least 1 (statistics' windows and bins, recordings' intervals). */
int64_t ir_steps_of(double ms, double dt);
/* The observable of pop p with the same name as observable `idx` of the record's first population (sema
 * gives every recorded population the observable at the same index); -1 when it has none. */
int ir_resolve_obs(const struct ir_model *m, const struct ir_record *r, int p, int idx);
/* True when two statistics of a record accumulate exactly the same sums: mean, var and std of one
 * observable with the same clip and bins share (the mean is K + S1/n, the variance S2/n - (S1/n)^2). */
bool ir_stats_share_sums(const struct ir_stat *a, const struct ir_stat *b);
/* True when stat k (a mean) shares its sums with no variance, so a plain sum of the samples suffices. */
bool ir_stat_mean_only(const struct ir_record *r, int k);
/* The earlier record (and its stat *k2) whose sums stat k of record ri accumulates for population p too:
 * the same kind of sums (moments or co-moments, mean-only or not) of the same observables of p, with the
 * same clip and bins, neither shared inside its own record.  -1: none.  The kernel then sums them once
 * (the paper model's g_syn = mean(g_syn) and the mean(g_syn) inside tau_eff, in two records), and the
 * runtime reads the twin's (runtime/stats.c). */
int ir_stat_twin(const struct ir_model *m, int ri, int k, int p, int *k2);
/* Fills every population's accums from the records (the unbinned sums of mean, var, std and cov, the bin
 * sums of binned ones): what runtime/stats.c would otherwise add up in its own pass.  False: out of memory. */
bool ir_plan_accums(struct ir_model *m, struct arena *a);
/* Kernel step 8 for neurons [begin, end), literally (the interpreter's step 8; obs already computed). */
void ir_accum_apply(const struct ir_pop *p, double *const *obs, double *const *acc, int64_t begin, int64_t end);

/* Hash of everything the update kernels of m depend on (variables, updates, spike condition, resets,
 * refractory, observables, accumulators, precision) and nothing else (not sizes, connectivity or inputs): sweep points
 * with equal hashes can share compiled kernels. */
uint64_t ir_kernels_hash(const struct ir_model *m);
/* A dimension written in the internal units as a person reads them and as unit text parses them back
 * (left to right): "mV", "mV/ms^0.5", "1/ms^0.5", "nS*mV^2", "mV*pA/ms"; powers that are not halves or
 * quarters print as "^(1/3)".  Dimensions outside the mV/ms/pA system (a metre, a mole) are written in SI
 * base units ("m^3", "m^-3 mol").  Returns true for the internal-unit form (value in that unit = internal
 * value), false for the SI form.  buf is always NUL-terminated. */
bool ir_dim_unit(struct ir_dim d, char *buf, size_t n);
/* Textual dump, `balnet dump --emit=ir`. */
void ir_dump(FILE *out, const struct ir_model *m);
void ir_expr_print(FILE *out, const struct ir_expr *e, const struct ir_pop *p);
/* "  X = poisson[N] rate <rate_t> 1/ms ..." for an input whose rate varies in time (check -v). */
void ir_input_rate_print(FILE *out, const struct ir_input *in);

#endif
