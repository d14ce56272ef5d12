"""brian2_coba.py - the neurons of the COBA benchmark network (Brette et al. 2007, benchmark 1;
models/benchmarks/coba.bn) in Brian2, shared by brian2_bench.py (static synapses) and brian2_stdp.py
(additive STDP on E -> E), so that both peers run the same neurons.

coba_neurons() returns the group of N = 4000 LIF neurons (the NE = 3200 E first) and its E and I subgroups:
C = 200 pF, g_L = 10 nS, E_L = V_r = -60 mV, V_th = -50 mV (Brian2's threshold is `v > V_th`, balnet's >=),
refractory 5 ms with V clamped, I_e = 200 pA, conductances g_e (tau 5 ms, 0 mV) and g_i (tau 10 ms,
-80 mV), Euler at the caller's dt; V(0) ~ N(-55, 5) mV, g_e(0) ~ N(40, 15) nS, g_i(0) ~ N(200, 120) nS.
The synapses add WE to g_e and WI to g_i (the static ones; STDP starts from WE).
"""
from brian2 import NeuronGroup, ms, mV, nS, pA, pF

N, NE = 4000, 3200
WE, WI = 6 * nS, 67 * nS


def coba_neurons():
    # the constants go in the group's namespace: the callers' run() does not see this module's names
    constants = dict(C=200 * pF, gl=10 * nS, El=-60 * mV, Vt=-50 * mV, Vr=-60 * mV, Ie=200 * pA,
                     taue=5 * ms, taui=10 * ms, Ee=0 * mV, Ei=-80 * mV)
    eqs = '''dv/dt = (gl*(El - v) + ge*(Ee - v) + gi*(Ei - v) + Ie)/C : volt (unless refractory)
             dge/dt = -ge/taue : siemens
             dgi/dt = -gi/taui : siemens'''
    P = NeuronGroup(N, eqs, threshold='v > Vt', reset='v = Vr', refractory=5 * ms, method='euler',
                    namespace=constants)
    P.v = '-55*mV + 5*mV*randn()'
    P.ge = '(40 + 15*randn())*nS'
    P.gi = '(200 + 120*randn())*nS'
    return P, P[:NE], P[NE:]
