/*
 * units.h - physical dimensions and units (`unit_` prefix).
 *
 * Owns: the unit table (units.def), parsing of unit text as written after a number ("pA*ms", "mV^2",
 * "nS/ms", "Gohm", "mM"), dimension arithmetic, dimension names for messages, and the display unit of a
 * statistic.  Must not: know about the AST or report diagnostics (callers turn a false return into a
 * located error).
 *
 * Internal unit system (compiler/ir/ir.h): ms, mV, pA, nS, pF.  It is the SI system with per-base scales
 * s: 1e-3, A: 1e-12, kg: 1e-24 (m, K, mol, cd: 1), so that internal value = SI value / scale(dim):
 * V = kg m^2 s^-3 A^-1 -> 1e-24 * 1e9 * 1e12 = 1e-3 (mV), F -> 1e-12 (pF), S -> 1e-9 (nS), Hz -> 1e3 (1/ms).
 * Scales are carried as mantissa * 10^exp10 so that powers of ten are applied exactly once, by a single
 * multiplication or division (17.5 pA*ms is exactly 17.5 fC, 10 Hz is the correctly rounded 0.01 /ms).
 */
#ifndef BN_SEMA_UNITS_H
#define BN_SEMA_UNITS_H

#include "ir/ir.h"

#include <stdbool.h>
#include <stddef.h>

struct unit_scale {
    double mant;           /* exact small factor (1, 60, 3600, products of those) */
    int exp10;
};

/* Parses unit text: atoms joined by '*' or '/' (left to right), each atom a symbol with an optional SI
 * prefix and an optional power ("^2", "^-1", "^0.5", "^1.5": multiples of 1/DIM_DEN).  Spaces around operators are allowed.  On success
 * *dim and *scale are set so that internal value = number converted by unit_apply(number, *scale).
 * On failure returns false and writes a short reason (e.g. "unknown unit 'pX'") into err. */
bool unit_parse(const char *text, size_t len, struct ir_dim *dim, struct unit_scale *scale, char *err,
                size_t errlen);

/* value * scale, with the power of ten applied by one exact-operand multiplication or division. */
double unit_apply(double value, struct unit_scale scale);

/* internal value = SI value / unit_internal_scale(dim). */
double unit_internal_scale(struct ir_dim dim);

/* Dimension arithmetic. */
struct ir_dim unit_dimless(void);
bool unit_dim_eq(struct ir_dim a, struct ir_dim b);
bool unit_is_dimless(struct ir_dim a);
struct ir_dim unit_dim_mul(struct ir_dim a, struct ir_dim b);
struct ir_dim unit_dim_div(struct ir_dim a, struct ir_dim b);
struct ir_dim unit_dim_pow(struct ir_dim a, int n);
/* a^x for a constant x that is a multiple of 1/DIM_DEN (0.5, 1.5, 0.25, 1/3); false otherwise or when an
 * exponent would leave the representable range. */
bool unit_dim_powq(struct ir_dim a, double x, struct ir_dim *out);
/* a^(1/2): unit_dim_powq(a, 0.5); false only when an exponent is not a multiple of 1/6. */
bool unit_dim_sqrt(struct ir_dim a, struct ir_dim *out);
/* Named dimensions, for messages and tables. */
struct ir_dim unit_dim_time(void);
struct ir_dim unit_dim_voltage(void);
struct ir_dim unit_dim_current(void);
struct ir_dim unit_dim_conductance(void);
struct ir_dim unit_dim_capacitance(void);
struct ir_dim unit_dim_frequency(void);

/* "voltage (mV)", "time (ms)", "current (pA)", "conductance (nS)", "capacitance (pF)", "charge (fC)",
 * "frequency (Hz)", "resistance (Gohm)", "dimensionless", "mV^2", otherwise the dimension in the
 * internal units as ir_dim_unit writes it ("mV/ms^0.5", "1/ms^0.5", "pA*ms"), SI base units only for
 * what mV, ms and pA cannot express (a metre, a mole).  Writes into buf (always NUL-terminated) and returns it. */
const char *unit_dim_name(struct ir_dim d, char *buf, size_t n);
/* The bare SI base form ("m^2 kg s^-3 A^-1", "1" when dimensionless). */
const char *unit_dim_si(struct ir_dim d, char *buf, size_t n);

/* Display unit of a value of dimension d: display value = internal value * *scale.
 * mV, ms, Hz (x1000), pA, nS, pF, fC, Gohm, mV^2, nS^2, pA^2, mV*nS, mV*pA, "1", then ir_dim_unit's
 * internal-unit form (scale 1); otherwise SI base units with the internal-to-SI factor.  The returned string is static or, for the fallback, written to buf. */
const char *unit_display(struct ir_dim d, double *scale, char *buf, size_t n);

#endif
