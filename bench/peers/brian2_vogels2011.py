"""brian2_vogels2011.py - examples/plasticity/vogels2011.bn in Brian2's C++ standalone mode (written from the .bn
file and models/lib/stdp.bn's vogels_istdp), to tell whether the E rate the inhibitory STDP settles at is the
model's or balnet's.  usage: /usr/bin/python3 brian2_vogels2011.py WORKDIR DURATION_S ETA_NS

Same model: 8000 E + 2000 I LIF (g_L = 10 nS, C = 200 pF, E_L = V_r = -60 mV, V_th = -50 mV with `>=` as
balnet, 5 ms refractory with V clamped, 200 pA), p = 0.02, E synapses 0.3 nS (5 ms, 0 mV), I -> I 3 nS and the
plastic I -> E from 0 nS (10 ms, -80 mV), Euler at dt = 0.1 ms, V(0) ~ N(-60, 5) mV, every delay one step as
balnet's default; on a pre spike g += w, x_pre += 1, w = clip(w + eta (x_post - 2 rho0 tau), 0, w_max), on a
post spike x_post += 1, w = clip(w + eta x_pre, 0, w_max), in vogels_istdp's order.  Its own random numbers.
Prints the E rate averaged over each 10 s and the final mean I -> E weight.  (One run of 100 s at load ~8:
7.5 min wall, most of it g++ and the niced binary.)"""
import sys
from brian2 import (NeuronGroup, Synapses, SpikeMonitor, PopulationRateMonitor, set_device, device, defaultclock,
                    prefs, run, ms, mV, nS, pA, pF, second, Hz)
import numpy as np

workdir, duration, eta_ns = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
set_device('cpp_standalone', directory=workdir, build_on_run=False)
prefs.devices.cpp_standalone.openmp_threads = 0
defaultclock.dt = 0.1 * ms
NE, NI = 8000, 2000
gl, C, El, Vt, Vr, Ie = 10 * nS, 200 * pF, -60 * mV, -50 * mV, -60 * mV, 200 * pA
taue, taui, Ee, Ei = 5 * ms, 10 * ms, 0 * mV, -80 * mV
tau_stdp, rho0, eta, wmax = 20 * ms, 3 * Hz, eta_ns * nS, 100 * nS
alpha = 2 * rho0 * tau_stdp
eqs = '''dv/dt = (gl*(El - v) + ge*(Ee - v) + gi*(Ei - v) + Ie)/C : volt (unless refractory)
         dge/dt = -ge/taue : siemens
         dgi/dt = -gi/taui : siemens'''
P = NeuronGroup(NE + NI, eqs, threshold='v >= Vt', reset='v = Vr', refractory=5 * ms, method='euler')
P.v = '-60*mV + 5*mV*randn()'
E, I = P[:NE], P[NE:]
See = Synapses(E, E, on_pre='ge_post += 0.3*nS', delay=0.1 * ms); See.connect(p=0.02)
Sei = Synapses(E, I, on_pre='ge_post += 0.3*nS', delay=0.1 * ms); Sei.connect(p=0.02)
Sii = Synapses(I, I, on_pre='gi_post += 3*nS', delay=0.1 * ms); Sii.connect(p=0.02)
Sie = Synapses(I, E, '''w : siemens
                        dxpre/dt = -xpre/tau_stdp : 1 (event-driven)
                        dxpost/dt = -xpost/tau_stdp : 1 (event-driven)''',
               on_pre='''gi_post += w
                         xpre += 1
                         w = clip(w + eta*(xpost - alpha), 0*nS, wmax)''',
               on_post='''xpost += 1
                          w = clip(w + eta*xpre, 0*nS, wmax)''', delay=0.1 * ms)
Sie.connect(p=0.02)
Sie.w = 0 * nS
RE = PopulationRateMonitor(E)
run(duration * second)
device.build(directory=workdir, compile=True, run=True)
r = RE.rate[:] / Hz
steps = int(round(1 * second / defaultclock.dt))
per_s = r[:len(r) // steps * steps].reshape(-1, steps).mean(axis=1)
print('E rate per 10 s:', ' '.join('%.2f' % per_s[k:k + 10].mean() for k in range(0, len(per_s), 10)))
print('mean w (nS): %.3f' % (np.mean(Sie.w[:]) / nS))
