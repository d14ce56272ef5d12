/*
 * eff_tau_model.h - the effective-time-constant arm of SCIENCE.md §2 reduced to one population, shared by
 * the sema and the API tests.  Populations are declared in both branches of an if/else (not a duplicate);
 * the eff_tau points take their leak, rest and weight from the conductance point of the same N and trial.
 * Each test appends its own simulate and sweep lines.
 */
#ifndef BN_TEST_EFF_TAU_MODEL_H
#define BN_TEST_EFF_TAU_MODEL_H

#define EFF_TAU_MODEL \
    "variant syn = current | conductance | eff_tau\n" \
    "param N = 100\n" \
    "param E_e = 0 mV, E_match = -72 mV, j = 17.5 pA*ms\n" \
    "neuron n {\n" \
    "    param C_m = 1 pF, g_L = 1 nS/15, E_L = -72 mV\n" \
    "    state V = E_L\n" \
    "    dV/dt = (g_L*(E_L - V) + I_syn)/C_m\n" \
    "    spike when V >= -50 mV { V = -75 mV }\n" \
    "}\n" \
    "synapse psc(tau) {\n state I = 0 pA\n dI/dt = -I/tau\n on spike(w) { I += w/tau }\n current I\n}\n" \
    "synapse psg(tau, E_rev) {\n state g = 0 nS\n dg/dt = -g/tau\n on spike(w) { g += w/tau }\n" \
    " current g*(E_rev - V)\n}\n" \
    "if syn == eff_tau {\n" \
    "    population E = n[N](g_L = 1 nS/15 + stat(E, g_syn, syn = conductance),\n" \
    "                        E_L = stat(E, v_mean, syn = conductance))\n" \
    "    connect E -> E via psc(8 ms) bernoulli(0.2)\n" \
    "        weight j/(E_e - E_match)*(E_e - stat(E, v_mean, syn = conductance))/sqrt(N)\n" \
    "} else {\n" \
    "    population E = n[N]\n" \
    "    connect E -> E via (syn == current ? psc(8 ms) : psg(8 ms, E_e)) bernoulli(0.2)\n" \
    "        weight syn == current ? j/sqrt(N) : j/(E_e - E_match)/sqrt(N)\n" \
    "}\n" \
    "record E, all: rate, v_mean = mean(V), g_syn = mean(g_syn)\n"

#endif
