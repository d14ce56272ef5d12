/*
 * test_sema_errors.c - semantic errors: each class must produce its message (naming both dimensions,
 * suggesting the near name) at the right place, and a correct model must produce none.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "sema_helpers.h"


#define NEURON "neuron n {\n param tau = 10 ms, V_th = -50 mV\n state V = -70 mV\n"

static void test_dimension_mismatch(void **st)
{
    expect_error(NEURON " dV/dt = (V + tau)/tau\n}\npopulation P = n[1]\n",
                 "test.bn:4:11: error: cannot add voltage (mV) and time (ms)");
    expect_error(NEURON " dV/dt = V\n}\npopulation P = n[1]\n",
                 "test.bn:4:10: error: dV/dt must be mV/ms (voltage (mV) per time) but is voltage (mV)");
    expect_error(NEURON " dV/dt = exp(V)/tau*1 mV\n}\npopulation P = n[1]\n",
                 "the argument of exp() must be dimensionless, not voltage (mV)");
    expect_error(NEURON " dV/dt = -V/tau\n spike when V\n}\npopulation P = n[1]\n",
                 "the spike condition must be a condition");
    expect_error(NEURON " dV/dt = -V/tau\n spike when V > V_th { V = 1 ms }\n}\npopulation P = n[1]\n",
                 "cannot assign time (ms) to 'V', which is voltage (mV)");
    expect_error(NEURON " dV/dt = -V/tau\n refractory 2 mV\n}\npopulation P = n[1]\n",
                 "a refractory period must be time (ms) but is voltage (mV)");
    expect_error(NEURON " dV/dt = -V/tau * (V/(1 mV))^V\n}\npopulation P = n[1]\n",
                 "an exponent must be dimensionless, not voltage (mV)");
    expect_error(NEURON " dV/dt = V^2/tau\n}\npopulation P = n[1]\n", "");   /* V^2/tau is mV^2/ms */
    /* sqrt of a voltage is a dimension (mV^0.5, issue 13), just not the one an ODE of V needs */
    expect_error(NEURON " dV/dt = sqrt(V)/tau\n}\npopulation P = n[1]\n",
                 "test.bn:4:10: error: dV/dt must be mV/ms (voltage (mV) per time) but is mV^0.5/ms");
    expect_error(NEURON " dV/dt = V^0.3/tau\n}\npopulation P = n[1]\n",
                 "the exponent of a quantity with a unit (voltage (mV)) must be a constant multiple of 1/12");
    expect_error("import lif\npopulation P = lif[1]\ninput X = poisson[1](rate = 10 ms)\n",
                 "rate must be frequency (Hz) but is time (ms)");
}

static void test_synapse_errors(void **st)
{
    /* the on-spike block type-checks with this connection's weight: note at the connect */
    expect_error("import lif, exp_synapses\npopulation P = lif[2]\n"
                 "connect P -> P via exp_current() bernoulli(0.5) weight 1 nS\n",
                 "cannot add conductance (nS) to 'I', which is current (pA)");
    expect_error("import lif, exp_synapses\npopulation P = lif[2]\n"
                 "connect P -> P via exp_current() bernoulli(0.5) weight 1 nS\n",
                 "note: the weight 'w' of this connection is conductance (nS)");
    expect_error("import lif\nsynapse s() {\n state g = 0 nS\n on spike(w) { g += w*w/(1 nS) }\n current g*(0 mV - V)\n}\n"
                 "population P = lif[2]\nconnect P -> P via s() bernoulli(0.5) weight 1 nS\n",
                 "an on-spike increment must be the weight 'w' times a constant");
    expect_error("import lif\nsynapse s() {\n state g = 0 nS\n on spike(w) { g += w }\n current g\n}\n"
                 "population P = lif[2]\nconnect P -> P via s() bernoulli(0.5) weight 1 nS\n",
                 "a synaptic current must be current (pA) but is conductance (nS)");
    expect_error("import lif, exp_synapses\npopulation P = lif[2]\nconnect P -> P via exp_curent() bernoulli(0.5)\n",
                 "unknown synapse 'exp_curent'; did you mean 'exp_current'?");
    expect_error("import lif, exp_synapses\npopulation P = lif[2]\nconnect P -> P via exp_current() bernoulli(1.5)\n",
                 "a connection probability must be in [0, 1] (it is 1.5)");
}

static void test_names(void **st)
{
    expect_error("param tau_m = 10 ms\n" NEURON " dV/dt = -V/tau_n\n}\npopulation P = n[1]\n",
                 "undefined name 'tau_n'; did you mean 'tau_m'?");
    /* a name declared in another neuron: note pointing at it */
    expect_error("neuron a {\n param C_x = 1 pF\n state V = 0 mV\n}\n" NEURON " dV/dt = -V/tau*C_x/(1 pF)\n}\n"
                 "population P = n[1]\n",
                 "note: 'C_x' is declared in neuron 'a', which is not visible here");
    expect_error("param N = 1\nparam N = 2\n", "'N' is already declared");
    expect_error("param N = 1\nparam N = 2\n", "note: previous declaration of 'N' here");
    expect_error("import lif\npopulation P = lif[1](V_tt = 1 mV)\n",
                 "neuron 'lif' has no param or state 'V_tt'; did you mean 'V_th'?");
    expect_error("import lif\npopulation P = lif[0]\n", "a population size must be at least 1 (it is 0)");
    expect_error("param a = b\nparam b = a\nneuron n {\n state V = a\n}\npopulation P = n[1]\n",
                 "is defined in terms of itself");
    expect_error("import lif\npopulation P = lif[1]\nrecord P: rat\n", "unknown statistic 'rat'; did you mean 'rate'?");
}

static void test_variants_and_sweeps(void **st)
{
    /* the error exists only at the sweep point syn = b: reported with a note naming the point */
    expect_error("variant syn = a | b\nparam x = syn == a ? 1 : 1 ms\nneuron n {\n state V = 0 mV\n dV/dt = -V/(x*1 ms)\n}\n"
                 "population P = n[1]\nsweep { syn in [a, b] }\n",
                 "note: at the sweep point syn = b");
    expect_error("variant syn = a | b\nsweep { syn in [a, c] }\n", "'c' is not an alternative of variant 'syn'");
    expect_error("param N = 1\nsweep { M in [1, 2] }\n", "sweep axis 'M' is not a param, variant, simulate setting or trial; "
                                                          "did you mean 'N'?");
    expect_error("param T = 1 ms\nsweep { T in [1, 2] }\n", "values of 'T' must be time (ms), but one is dimensionless");
    expect_error("simulate { dt = 0 ms }\n", "dt must be positive");
    expect_error("simulate { burn_in = 2 s  duration = 1 s }\n", "burn_in (2000 ms) must be at least 0 and shorter");
    expect_error("simulate { dtt = 1 ms }\n", "unknown simulate setting 'dtt'; did you mean 'dt'?");
}

static void test_valid_model_has_no_diagnostics(void **st)
{
    struct sema_fixture *f = fixture_analyse("import lif, exp_synapses\nparam N = 10\n"
                                             "population P = lif[N]\nconnect P -> P via exp_current() bernoulli(0.5) weight 1 pA\n",
                                             NULL, 0);
    assert_non_null(f->model);
    assert_string_equal(f->errors, "");
    fixture_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dimension_mismatch), cmocka_unit_test(test_synapse_errors),
        cmocka_unit_test(test_names), cmocka_unit_test(test_variants_and_sweeps),
        cmocka_unit_test(test_valid_model_has_no_diagnostics),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
