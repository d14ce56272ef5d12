/*
 * test_sema_units.c - unit text parsing, scales to internal units (ms, mV, pA, nS, pF), dimension
 * arithmetic and names.  Scales that are pure powers of ten must be exact (tolerance 0): the whole point
 * of carrying mantissa * 10^k is that "17.5 pA*ms" is 17.5 fC bit for bit.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "sema/units.h"

static double conv(const char *u, double v, struct ir_dim *dim)
{
    struct unit_scale s;
    char err[128];
    struct ir_dim d;
    assert_true(unit_parse(u, strlen(u), dim ? dim : &d, &s, err, sizeof err));
    return unit_apply(v, s);
}

static void test_internal_scales(void **st)
{
    struct ir_dim d;
    assert_true(conv("pA*ms", 17.5, &d) == 17.5);          /* 17.5 fC internal, exactly */
    char buf[64];
    assert_string_equal(unit_dim_name(d, buf, sizeof buf), "charge (fC)");
    assert_true(conv("Hz", 10, &d) == 0.01);               /* 10 Hz = 0.01 / ms */
    assert_string_equal(unit_dim_name(d, buf, sizeof buf), "frequency (Hz)");
    assert_true(conv("mV", -65, &d) == -65);
    assert_true(unit_dim_eq(d, unit_dim_voltage()));
    assert_true(conv("V", 1, NULL) == 1000);
    assert_true(conv("s", 5, NULL) == 5000);
    assert_true(conv("nS", 3, &d) == 3);
    assert_true(unit_dim_eq(d, unit_dim_conductance()));
    assert_true(conv("pF", 250, &d) == 250);
    assert_true(unit_dim_eq(d, unit_dim_capacitance()));
    assert_true(conv("uS", 1, NULL) == 1000);
    assert_true(conv("\xc2\xb5S", 1, NULL) == 1000);       /* µS */
    assert_true(conv("min", 1, NULL) == 60000);
    assert_true(conv("h", 1, NULL) == 3600000);
    /* 1 Gohm * 1 pA = 1 mV: resistance is 1 internal unit per Gohm. */
    struct ir_dim dr, di;
    double r = conv("Gohm", 1, &dr), i = conv("pA", 1, &di);
    assert_true(r * i == 1.0);
    assert_true(unit_dim_eq(unit_dim_mul(dr, di), unit_dim_voltage()));
    assert_true(conv("Mohm", 100, NULL) == 0.1);
}

static void test_ambiguity(void **st)
{
    struct ir_dim d;
    char buf[64];
    conv("m", 1, &d);                                       /* metre, not milli-nothing */
    assert_string_equal(unit_dim_name(d, buf, sizeof buf), "m");
    assert_true(conv("ms", 1, &d) == 1);                    /* millisecond */
    assert_true(unit_dim_eq(d, unit_dim_time()));
    assert_true(conv("M", 1, &d) == 1000);                  /* molar = 1000 mol/m^3 */
    assert_string_equal(unit_dim_si(d, buf, sizeof buf), "m^-3 mol");
    assert_true(conv("mM", 2, &d) == 2);                    /* millimolar = mol/m^3 */
    assert_true(conv("MV", 1, &d) == 1e9);                  /* megavolt */
    assert_true(conv("mol", 1, &d) == 1);
    assert_string_equal(unit_dim_si(d, buf, sizeof buf), "mol");
    assert_true(conv("cd", 1, &d) == 1);
    assert_true(conv("kg", 1, &d) == 1e24);
    assert_true(conv("g", 1, NULL) == 1e21);
    assert_true(conv("daV", 1, NULL) == 1e4);
}

static void test_composition(void **st)
{
    struct ir_dim d;
    char buf[64];
    assert_true(conv("mV^2", 4, &d) == 4);
    assert_true(unit_dim_eq(d, unit_dim_pow(unit_dim_voltage(), 2)));
    assert_true(conv("nS/ms", 1, &d) == 1);
    assert_true(unit_dim_eq(d, unit_dim_div(unit_dim_conductance(), unit_dim_time())));
    assert_true(conv("mV / ms", 1, &d) == 1);
    assert_true(conv("m^2", 3, &d) == 3);
    assert_true(conv("s^-1", 1, &d) == 1e-3);
    assert_true(unit_dim_eq(d, unit_dim_frequency()));
    /* left to right: a/b*c = (a/b)*c */
    assert_true(conv("pA/nS*ms", 1, &d) == 1);
    assert_string_equal(unit_dim_name(d, buf, sizeof buf), "mV*ms");
    assert_true(unit_dim_eq(d, unit_dim_mul(unit_dim_voltage(), unit_dim_time())));
}

/* Rational powers (issue 13): the noise amplitude of sigma*sqrt(2/tau)*xi, printed as read. */
static void test_rational_powers(void **st)
{
    struct ir_dim d, h;
    char buf[64];
    double sc;
    /* 1 Hz^0.5 = (1/1000 ms)^0.5 = 10^-1.5 / ms^0.5 */
    assert_true(fabs(conv("Hz^0.5", 1, &d) - pow(10, -1.5)) < 1e-15);
    assert_string_equal(unit_dim_name(d, buf, sizeof buf), "1/ms^0.5");
    assert_true(conv("mV/ms^0.5", 2, &d) == 2);
    assert_string_equal(unit_dim_name(d, buf, sizeof buf), "mV/ms^0.5");
    assert_string_equal(unit_display(d, &sc, buf, sizeof buf), "mV/ms^0.5");
    assert_true(sc == 1);
    /* 1 mV/s^0.5 = 1 mV / (1000 ms)^0.5 */
    assert_true(fabs(conv("mV/s^0.5", 1, &d) - 1 / sqrt(1000.0)) < 1e-15);
    /* sqrt(2/tau): time^-1/2; squaring gives a frequency back */
    assert_true(unit_dim_sqrt(unit_dim_frequency(), &h));
    assert_true(unit_dim_eq(unit_dim_pow(h, 2), unit_dim_frequency()));
    assert_true(unit_dim_powq(unit_dim_voltage(), 1.5, &h));
    assert_string_equal(unit_dim_name(h, buf, sizeof buf), "mV^1.5");
    assert_true(unit_dim_powq(unit_dim_time(), 1.0 / 3, &h));
    assert_string_equal(unit_dim_name(h, buf, sizeof buf), "ms^(1/3)");
    assert_false(unit_dim_powq(unit_dim_time(), 0.3, &h));
    /* a dimension without a name of its own, in mV, pA and ms rather than m^2 kg s^-5 A^-1 */
    assert_true(conv("mV/ms^2", 1, &d) == 1);
    assert_string_equal(unit_dim_name(d, buf, sizeof buf), "mV/ms^2");
    assert_true(conv("pA/mV/ms", 1, &d) == 1);
    assert_string_equal(unit_dim_name(d, buf, sizeof buf), "nS/ms");
    assert_true(conv("pA^2/mV", 1, &d) == 1);
    assert_string_equal(unit_dim_name(d, buf, sizeof buf), "pA^2/mV");
    /* the SI base form keeps rational powers too */
    assert_true(unit_dim_sqrt(unit_dim_time(), &h));
    assert_string_equal(unit_dim_si(h, buf, sizeof buf), "s^0.5");
}

static void test_errors(void **st)
{
    struct ir_dim d;
    struct unit_scale s;
    char err[128];
    assert_false(unit_parse("pX", 2, &d, &s, err, sizeof err));
    assert_string_equal(err, "unknown unit 'pX'");
    assert_false(unit_parse("ms*", 3, &d, &s, err, sizeof err));
    assert_false(unit_parse("ms^x", 4, &d, &s, err, sizeof err));
    assert_string_equal(err, "unit power must be a number such as 2, -1 or 0.5");
    assert_false(unit_parse("ms^0.3", 6, &d, &s, err, sizeof err));
    assert_string_equal(err, "unit power must be a multiple of 1/12 (0.5, 0.25, ...)");
    assert_false(unit_parse("", 0, &d, &s, err, sizeof err));
    assert_false(unit_parse("ms^99999", 8, &d, &s, err, sizeof err));
    assert_false(unit_parse("G", 1, &d, &s, err, sizeof err));   /* a prefix alone is not a unit */
}

static void test_names_and_display(void **st)
{
    char buf[64];
    assert_string_equal(unit_dim_name(unit_dim_voltage(), buf, sizeof buf), "voltage (mV)");
    assert_string_equal(unit_dim_name(unit_dim_time(), buf, sizeof buf), "time (ms)");
    assert_string_equal(unit_dim_name(unit_dim_current(), buf, sizeof buf), "current (pA)");
    assert_string_equal(unit_dim_name(unit_dim_conductance(), buf, sizeof buf), "conductance (nS)");
    assert_string_equal(unit_dim_name(unit_dim_capacitance(), buf, sizeof buf), "capacitance (pF)");
    assert_string_equal(unit_dim_name(unit_dimless(), buf, sizeof buf), "dimensionless");
    struct ir_dim w = unit_dim_mul(unit_dim_voltage(), unit_dim_time());   /* m^2 kg s^-2 A^-1 */
    assert_string_equal(unit_dim_name(w, buf, sizeof buf), "mV*ms");
    double sc;
    assert_string_equal(unit_display(unit_dim_frequency(), &sc, buf, sizeof buf), "Hz");
    assert_true(sc == 1000);
    assert_string_equal(unit_display(unit_dim_pow(unit_dim_voltage(), 2), &sc, buf, sizeof buf), "mV^2");
    assert_true(sc == 1);
    assert_string_equal(unit_display(unit_dimless(), &sc, buf, sizeof buf), "1");
    assert_string_equal(unit_display(unit_dim_pow(unit_dim_conductance(), 2), &sc, buf, sizeof buf), "nS^2");
    assert_string_equal(unit_display(unit_dim_mul(unit_dim_voltage(), unit_dim_current()), &sc, buf, sizeof buf),
                        "mV*pA");
    /* fallback: SI with the internal->SI factor; metre^3 is internal m^3 -> factor 1 */
    struct ir_dim m3 = {{3 * DIM_DEN, 0, 0, 0, 0, 0, 0}};
    assert_string_equal(unit_display(m3, &sc, buf, sizeof buf), "m^3");
    assert_true(sc == 1);
    struct ir_dim dsq;
    assert_true(unit_dim_sqrt(unit_dim_pow(unit_dim_voltage(), 2), &dsq));
    assert_true(unit_dim_eq(dsq, unit_dim_voltage()));
    assert_true(unit_dim_sqrt(unit_dim_voltage(), &dsq));   /* mV^0.5 is a dimension like any other */
    assert_string_equal(unit_dim_name(dsq, buf, sizeof buf), "mV^0.5");
    struct ir_dim tw;
    assert_true(unit_dim_powq(unit_dim_time(), 1.0 / 12, &tw));
    assert_false(unit_dim_sqrt(tw, &dsq));                   /* 1/24 is beyond the twelfths */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_internal_scales), cmocka_unit_test(test_ambiguity),
        cmocka_unit_test(test_composition),     cmocka_unit_test(test_errors),
        cmocka_unit_test(test_names_and_display), cmocka_unit_test(test_rational_powers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
