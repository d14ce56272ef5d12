/*
 * sema.h - semantic analysis of a parsed model and its lowering to IR at one sweep point (`sema_` prefix).
 *
 * Owns: name resolution (scopes: global, neuron, synapse instance, record), dimension checking, constant
 * folding of params and variants, sweep axes and command-line overrides, lowering to struct ir_model and
 * the choice of an ODE solver per variable.  Must not: print (except sema_print, on request), exit, or
 * know about engines or the runtime.  Errors go to struct diags with a span.
 *
 * Design: there is one evaluator (check.c) that resolves, dimension-checks and folds an expression in a
 * scope at a given sweep point.  sema_analyse() checks the model by lowering it at its default point and
 * at every combination of swept variant alternatives (variants switch structure); sema_lower() runs the
 * same lowering at a requested point.  So a model that checks is a model that lowers.
 */
#ifndef BN_SEMA_H
#define BN_SEMA_H

#include "frontend/ast.h"
#include "ir/ir.h"
#include "support/support.h"

#include <stdbool.h>
#include <stdio.h>

struct sema_model;                      /* checked model, independent of the sweep point */
/* ARG: a population's param or state (POP.NAME) or a synapse's parameter (SYNAPSE.NAME). */
enum sema_axis_kind { SEMA_AXIS_PARAM, SEMA_AXIS_VARIANT, SEMA_AXIS_SIM, SEMA_AXIS_TRIAL, SEMA_AXIS_ARG };
struct sema_value {
    double num;                         /* internal units; method: enum sema_method as a number */
    struct ir_dim dim;
    const char *alt;                    /* variant alternative (or simulate method name), else NULL */
};
struct sema_axis {
    const char *name;
    enum sema_axis_kind kind;
    struct sema_value *values;
    int nvalues;
    const char *unit;                   /* for printing numeric values: display = num * unit_scale */
    double unit_scale;
    struct span span;
};
struct sema_override {
    const char *name;
    struct span name_span;
    struct ast_node *value;             /* an expression, a LIST or a RANGE node, from "--set NAME=VALUE" */
};

/* NULL on errors (reported to diags).  Checks the whole model at its default point AND that every
 * combination of swept variant alternatives type-checks.  An override of a param that is not a sweep
 * axis sets its value (a list or range value for a non-axis param is an error: declare a sweep). */
struct sema_model *sema_analyse(struct arena *, struct diags *, const struct srcmgr *, struct ast_program *,
                                const struct sema_override *ov, int nov);
int sema_naxes(const struct sema_model *);
/* The sweep axes in declaration order, after overrides; the trial axis (values 1..n) is last. */
const struct sema_axis *sema_axis(const struct sema_model *, int i);
/* One IR model at the sweep point given by one value index per axis (NULL: the default point, every
 * axis unapplied).  The trial axis's index is ignored.  NULL with diagnostics on errors. */
struct ir_model *sema_lower(struct sema_model *, const int *value_index, struct diags *);
/* ---- measured parameters: stat(POP, STAT [, AXIS = VALUE]...) (docs/language.md) --------------- */

/* The points (value-index vectors, one index per axis, trial axis index kept as given) whose statistics
 * the point `value_index` needs; *deps is an arena array of naxes-int vectors, stored one after the other
 * (dependency k is (*deps)[k*naxes .. k*naxes + naxes)), each point once.  0 when none (and *deps NULL).
 * A stat() in a branch not taken at this point is not a dependency; a call naming the point itself is
 * left out (sema_lower_measured reports it). */
int sema_point_deps(struct sema_model *, const int *value_index, int **deps, struct arena *);
/* Looks up one measured statistic: the value in DISPLAY units as written in points.csv
 * (population, statistic) of the dependency point dep_index (same trial).  Returns false if unavailable. */
typedef bool (*sema_stat_fn)(void *ctx, const int *dep_index, const char *pop, const char *stat,
                             double *display_value);
/* sema_lower with measured statistics: for points with dependencies; sema_lower() on such a point is an
 * error ("needs the statistics of ..."). Converts display -> internal units with the stat's unit scale.
 * A missing measurement (fn false, or NaN) is an error at the stat() call naming the point. */
struct ir_model *sema_lower_measured(struct sema_model *, const int *value_index, sema_stat_fn fn,
                                     void *ctx, struct diags *);

/* `balnet check -v`: params, populations, inputs, connections, records, simulate, axes, solvers. */
void sema_print(FILE *, const struct sema_model *);
const char *sema_model_name(const struct sema_model *);
/* Identifies the model for results folders: hex FNV-1a 64 of every source file's text and the overrides. */
const char *sema_model_hash(const struct sema_model *);
/* Every global param at the default point as a JSON object {"N": {"value": 1000, "unit": "1"}, ...}
 * (display units; variants as {"value": "current"}); *out is allocated in arena a. */
void sema_params_json(const struct sema_model *, const char **out, struct arena *a);

#endif
