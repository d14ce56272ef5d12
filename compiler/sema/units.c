/*
 * units.c - the unit table, unit text parsing and dimension names (see units.h).
 * Must not: report diagnostics or allocate; callers own the messages.
 */
#include "sema/units.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

struct unit_def {
    const char *sym;
    int8_t e[DIM_COUNT];
    double factor;
    int exp10;
};

static const struct unit_def unit_table[] = {
#define X(sym, m, kg, s, A, K, mol, cd, factor, exp10) {sym, {m, kg, s, A, K, mol, cd}, factor, exp10},
#include "sema/units.def"
#undef X
};
enum { NUNITS = sizeof unit_table / sizeof unit_table[0] };

/* SI prefixes; "da" is the only two-letter one, "u" and "µ" (UTF-8 C2 B5, also the micro sign's
 * Greek-letter twin CE BC) are both micro. */
static const struct {
    const char *sym;
    int exp10;
} prefixes[] = {
    {"da", 1},  {"y", -24}, {"z", -21}, {"a", -18}, {"f", -15}, {"p", -12}, {"n", -9},
    {"u", -6},  {"\xc2\xb5", -6}, {"\xce\xbc", -6}, {"m", -3}, {"c", -2}, {"d", -1},
    {"h", 2},   {"k", 3},   {"M", 6},   {"G", 9},   {"T", 12}, {"P", 15}, {"E", 18},
    {"Z", 21},  {"Y", 24},
};

/* Per-base exponent of ten of the internal unit (ms, pA and 1e-24 kg make mV, nS, pF). */
static const int internal_exp10[DIM_COUNT] = {0, -24, -3, -12, 0, 0, 0};

/* In twelfths of a power of ten, as the exponents (ir.h DIM_DEN). */
static int dim_internal_exp10(const int16_t *e)
{
    int x = 0;
    for (int i = 0; i < DIM_COUNT; i++)
        x += e[i] * internal_exp10[i];
    return x;
}

static double pow10i(int k);

/* 10^(q/12): exact for whole powers (pow10i), otherwise the correctly rounded-ish pow(); a root of a power
 * of ten is irrational anyway. */
static double pow10q(int q)
{
    if (q % DIM_DEN == 0)
        return q >= 0 ? pow10i(q / DIM_DEN) : 1.0 / pow10i(-q / DIM_DEN);
    return pow(10.0, (double)q / DIM_DEN);
}

/* Looks a symbol up, exact match first, then prefix + symbol. */
static const struct unit_def *lookup(const char *s, size_t n, int *prefix_exp)
{
    *prefix_exp = 0;
    for (int i = 0; i < NUNITS; i++)
        if (strlen(unit_table[i].sym) == n && memcmp(unit_table[i].sym, s, n) == 0)
            return &unit_table[i];
    for (size_t p = 0; p < sizeof prefixes / sizeof prefixes[0]; p++) {
        size_t pl = strlen(prefixes[p].sym);
        if (pl >= n || memcmp(prefixes[p].sym, s, pl) != 0)
            continue;
        for (int i = 0; i < NUNITS; i++)
            if (strlen(unit_table[i].sym) == n - pl && memcmp(unit_table[i].sym, s + pl, n - pl) == 0) {
                *prefix_exp = prefixes[p].exp10;
                return &unit_table[i];
            }
    }
    return NULL;
}

static bool is_sym_byte(unsigned char c)
{
    return isalpha(c) || c >= 0x80 || c == '_';
}

/* The unit that differs from s only in the case of its symbol (MOhm -> Mohm, mhz -> mHz), written into buf;
 * false when there is none.  The prefix keeps its case: M (mega) and m (milli) are different units. */
static bool case_fix(const char *s, size_t n, char *buf, size_t bufn)
{
    for (size_t p = 0; p <= sizeof prefixes / sizeof prefixes[0]; p++) {
        const char *ps = p < sizeof prefixes / sizeof prefixes[0] ? prefixes[p].sym : "";
        size_t pl = strlen(ps);
        if (pl >= n || memcmp(ps, s, pl) != 0)
            continue;
        for (int i = 0; i < NUNITS; i++)
            if (strlen(unit_table[i].sym) == n - pl && strncasecmp(unit_table[i].sym, s + pl, n - pl) == 0) {
                snprintf(buf, bufn, "%s%s", ps, unit_table[i].sym);
                return true;
            }
    }
    return false;
}

bool unit_parse(const char *text, size_t len, struct ir_dim *dim, struct unit_scale *scale, char *err,
                size_t errlen)
{
    int e[DIM_COUNT] = {0};
    double mant = 1;
    int exp10 = 0;
    size_t i = 0;
    int sign = 1;          /* +1 after '*' (or at the start), -1 after '/' */
    if (errlen)
        err[0] = 0;
    for (;;) {
        while (i < len && isspace((unsigned char)text[i]))
            i++;
        size_t b = i;
        while (i < len && is_sym_byte((unsigned char)text[i]))
            i++;
        if (i == b) {
            snprintf(err, errlen, b < len ? "unexpected '%c' in unit" : "missing unit after operator",
                     b < len ? text[b] : ' ');
            return false;
        }
        int pexp;
        const struct unit_def *u = lookup(text + b, i - b, &pexp);
        if (!u) {
            char fix[64];
            if (case_fix(text + b, i - b, fix, sizeof fix))
                snprintf(err, errlen, "unknown unit '%.*s'; did you mean '%s'? (unit symbols are case-sensitive)",
                         (int)(i - b), text + b, fix);
            else
                snprintf(err, errlen, "unknown unit '%.*s'", (int)(i - b), text + b);
            return false;
        }
        while (i < len && isspace((unsigned char)text[i]))
            i++;
        /* the power, in twelfths: "^2", "^-1", "^0.5", "^1.5", "^0.25" (ir.h DIM_DEN) */
        long p = DIM_DEN;
        if (i < len && text[i] == '^') {
            i++;
            while (i < len && isspace((unsigned char)text[i]))
                i++;
            int neg = 0;
            if (i < len && (text[i] == '-' || text[i] == '+'))
                neg = text[i++] == '-';
            if (i >= len || !isdigit((unsigned char)text[i])) {
                snprintf(err, errlen, "unit power must be a number such as 2, -1 or 0.5");
                return false;
            }
            double power = 0, frac = 1;
            bool dot = false;
            while (i < len && (isdigit((unsigned char)text[i]) || (!dot && text[i] == '.')) && power < 1000) {
                if (text[i] == '.')
                    dot = true;
                else if (dot)
                    power += (text[i] - '0') * (frac /= 10);
                else
                    power = power * 10 + (text[i] - '0');
                i++;
            }
            if (power > 12) {
                snprintf(err, errlen, "unit power too large");
                return false;
            }
            double q = power * DIM_DEN;
            if (fabs(q - nearbyint(q)) > 1e-9) {
                snprintf(err, errlen, "unit power must be a multiple of 1/%d (0.5, 0.25, ...)", DIM_DEN);
                return false;
            }
            p = (long)nearbyint(q);
            if (neg)
                p = -p;
        }
        p *= sign;
        for (int k = 0; k < DIM_COUNT; k++) {
            e[k] += (int)(u->e[k] * p);
            if (e[k] > 100 * DIM_DEN || e[k] < -100 * DIM_DEN) {
                snprintf(err, errlen, "unit power too large");
                return false;
            }
        }
        exp10 += (int)((u->exp10 + pexp) * p);   /* twelfths of a power of ten */
        if (p % DIM_DEN)
            mant *= pow(u->factor, (double)p / DIM_DEN);
        else
            for (long r = 0; r < (p < 0 ? -p : p) / DIM_DEN; r++)
                mant = p < 0 ? mant / u->factor : mant * u->factor;
        while (i < len && isspace((unsigned char)text[i]))
            i++;
        if (i >= len)
            break;
        if (text[i] == '*')
            sign = 1;
        else if (text[i] == '/')
            sign = -1;
        else {
            snprintf(err, errlen, "unexpected '%c' in unit", text[i]);
            return false;
        }
        i++;
    }
    for (int k = 0; k < DIM_COUNT; k++)
        dim->e[k] = (int16_t)e[k];
    /* whole powers of ten stay exact (applied once by unit_apply); a fractional remainder (Hz^0.5 is
     * 10^1.5 / ms^0.5) goes into the mantissa */
    int q = exp10 - dim_internal_exp10(dim->e);
    int whole = q >= 0 ? q / DIM_DEN : -((-q + DIM_DEN - 1) / DIM_DEN);
    if (q - whole * DIM_DEN)
        mant *= pow10q(q - whole * DIM_DEN);
    scale->mant = mant;
    scale->exp10 = whole;
    return true;
}

/* 10^k for |k| <= 22 is exact in double; beyond that pow() (only for absurd units). */
static double pow10i(int k)
{
    static const double p[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                               1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
    return k <= 22 ? p[k] : pow(10, k);
}

double unit_apply(double value, struct unit_scale s)
{
    double v = value * s.mant;
    return s.exp10 >= 0 ? v * pow10i(s.exp10) : v / pow10i(-s.exp10);
}

double unit_internal_scale(struct ir_dim d)
{
    return pow10q(dim_internal_exp10(d.e));
}

/* ---- dimension arithmetic -------------------------------------------------------------------- */

struct ir_dim unit_dimless(void)
{
    return (struct ir_dim){{0}};
}

bool unit_dim_eq(struct ir_dim a, struct ir_dim b)
{
    return memcmp(a.e, b.e, sizeof a.e) == 0;
}

bool unit_is_dimless(struct ir_dim a)
{
    return unit_dim_eq(a, unit_dimless());
}

struct ir_dim unit_dim_mul(struct ir_dim a, struct ir_dim b)
{
    for (int k = 0; k < DIM_COUNT; k++)
        a.e[k] = (int16_t)(a.e[k] + b.e[k]);
    return a;
}

struct ir_dim unit_dim_div(struct ir_dim a, struct ir_dim b)
{
    for (int k = 0; k < DIM_COUNT; k++)
        a.e[k] = (int16_t)(a.e[k] - b.e[k]);
    return a;
}

struct ir_dim unit_dim_pow(struct ir_dim a, int n)
{
    for (int k = 0; k < DIM_COUNT; k++)
        a.e[k] = (int16_t)(a.e[k] * n);
    return a;
}

bool unit_dim_powq(struct ir_dim a, double x, struct ir_dim *out)
{
    double q = x * DIM_DEN;
    if (!(fabs(x) <= 12) || fabs(q - nearbyint(q)) > 1e-9)
        return false;
    long qi = (long)nearbyint(q);
    for (int k = 0; k < DIM_COUNT; k++) {
        long v = (long)a.e[k] * qi;
        if (v % DIM_DEN || v / DIM_DEN > 100 * DIM_DEN || v / DIM_DEN < -100 * DIM_DEN)
            return false;
        out->e[k] = (int16_t)(v / DIM_DEN);
    }
    return true;
}

bool unit_dim_sqrt(struct ir_dim a, struct ir_dim *out)
{
    return unit_dim_powq(a, 0.5, out);
}

static struct ir_dim mk(int m, int kg, int s, int A)
{
    return (struct ir_dim){{(int16_t)(m * DIM_DEN), (int16_t)(kg * DIM_DEN), (int16_t)(s * DIM_DEN),
                            (int16_t)(A * DIM_DEN), 0, 0, 0}};
}
struct ir_dim unit_dim_time(void) { return mk(0, 0, 1, 0); }
struct ir_dim unit_dim_voltage(void) { return mk(2, 1, -3, -1); }
struct ir_dim unit_dim_current(void) { return mk(0, 0, 0, 1); }
struct ir_dim unit_dim_conductance(void) { return mk(-2, -1, 3, 2); }
struct ir_dim unit_dim_capacitance(void) { return mk(-2, -1, 4, 2); }
struct ir_dim unit_dim_frequency(void) { return mk(0, 0, -1, 0); }

/* ---- names and display units ----------------------------------------------------------------- */

/* One table for both messages and display: name (NULL: no quantity name), display unit, scale from
 * internal units to the display unit. */
static const struct {
    int8_t e[DIM_COUNT];
    const char *quantity;
    const char *unit;
    double scale;
} named_dims[] = {
    {{0, 0, 0, 0, 0, 0, 0}, NULL, "1", 1},
    {{2, 1, -3, -1, 0, 0, 0}, "voltage", "mV", 1},
    {{0, 0, 1, 0, 0, 0, 0}, "time", "ms", 1},
    {{0, 0, 0, 1, 0, 0, 0}, "current", "pA", 1},
    {{-2, -1, 3, 2, 0, 0, 0}, "conductance", "nS", 1},
    {{-2, -1, 4, 2, 0, 0, 0}, "capacitance", "pF", 1},
    {{0, 0, 1, 1, 0, 0, 0}, "charge", "fC", 1},
    {{0, 0, -1, 0, 0, 0, 0}, "frequency", "Hz", 1000},   /* internal 1/ms */
    {{2, 1, -3, -2, 0, 0, 0}, "resistance", "Gohm", 1},
    {{4, 2, -6, -2, 0, 0, 0}, NULL, "mV^2", 1},
    {{-4, -2, 6, 4, 0, 0, 0}, NULL, "nS^2", 1},
    {{0, 0, 0, 2, 0, 0, 0}, NULL, "pA^2", 1},
    {{0, 0, 0, 1, 0, 0, 0}, NULL, "mV*nS", 1},            /* = pA, never reached: current wins */
    {{2, 1, -3, 0, 0, 0, 0}, NULL, "mV*pA", 1},
    {{0, 0, -2, 0, 0, 0, 0}, NULL, "Hz^2", 1e6},
    {{2, 1, -4, -1, 0, 0, 0}, NULL, "mV/ms", 1},
    {{0, 0, -1, 1, 0, 0, 0}, NULL, "pA/ms", 1},
    {{-2, -1, 2, 2, 0, 0, 0}, NULL, "nS/ms", 1},
};
enum { NNAMED = sizeof named_dims / sizeof named_dims[0] };

static int find_named(struct ir_dim d)
{
    for (int i = 0; i < NNAMED; i++) {
        bool eq = true;
        for (int k = 0; k < DIM_COUNT; k++)
            eq = eq && d.e[k] == named_dims[i].e[k] * DIM_DEN;
        if (eq)
            return i;
    }
    return -1;
}

const char *unit_dim_si(struct ir_dim d, char *buf, size_t n)
{
    static const char *const base[DIM_COUNT] = {"m", "kg", "s", "A", "K", "mol", "cd"};
    size_t len = 0;
    if (n == 0)
        return buf;
    buf[0] = 0;
    for (int k = 0; k < DIM_COUNT; k++) {
        if (!d.e[k])
            continue;
        char pw[24] = "";
        int q = d.e[k];
        if (q != DIM_DEN) {
            if (q % DIM_DEN == 0)
                snprintf(pw, sizeof pw, "^%d", q / DIM_DEN);
            else
                snprintf(pw, sizeof pw, "^%g", (double)q / DIM_DEN);
        }
        int w = snprintf(buf + len, n - len, "%s%s%s", len ? " " : "", base[k], pw);
        if (w < 0 || (size_t)w >= n - len)
            return buf;
        len += (size_t)w;
    }
    if (!len)
        snprintf(buf, n, "1");
    return buf;
}

const char *unit_dim_name(struct ir_dim d, char *buf, size_t n)
{
    if (unit_is_dimless(d)) {
        snprintf(buf, n, "dimensionless");
        return buf;
    }
    int i = find_named(d);
    if (i >= 0 && named_dims[i].quantity) {
        snprintf(buf, n, "%s (%s)", named_dims[i].quantity, named_dims[i].unit);
        return buf;
    }
    if (i >= 0) {
        snprintf(buf, n, "%s", named_dims[i].unit);
        return buf;
    }
    ir_dim_unit(d, buf, n);   /* "mV/ms^0.5", "pA*ms", or SI base units for a metre or a mole */
    return buf;
}

const char *unit_display(struct ir_dim d, double *scale, char *buf, size_t n)
{
    int i = find_named(d);
    if (i >= 0) {
        *scale = named_dims[i].scale;
        return named_dims[i].unit;
    }
    if (ir_dim_unit(d, buf, n)) {   /* written in the internal units themselves */
        *scale = 1;
        return buf;
    }
    *scale = unit_internal_scale(d);
    return buf;
}
