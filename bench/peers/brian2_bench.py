"""brian2_bench.py - Brian2 C++ standalone versions of models/benchmarks/coba.bn and cuba.bn, and of
bench/lif_noise.bn, for bench/peers.sh.  usage: python3 brian2_bench.py coba|cuba|noise WORKDIR

Same model as balnet's benchmark files and bench/floor/*.c (Brette et al. 2007, benchmarks 1 and 2;
Brian2's own examples/COBAHH-free versions; COBA's neurons are brian2_coba.py's): 3200 E + 800 I LIF,
p = 0.02, dt = 0.1 ms, 1 s,
refractory 5 ms with V clamped, Euler for COBA, exact (Brian2 picks it) for CUBA.  Differences: Brian2
allows autapses (about 0.02 synapses per neuron, negligible) and uses its own RNG.

noise: 100 000 uncoupled LIF neurons, tau dV/dt = mu - V + sigma sqrt(tau) xi (bench/lif_noise.bn, whose
floor is bench/floor/lif_noise.c).  Brian2 integrates it with Euler-Maruyama (its `exact` method takes no
noise); balnet with the exact Ornstein-Uhlenbeck step.  At dt = 0.1 ms = tau/200 the two rates differ by
the Euler-Maruyama bias, a fraction of a percent; the loop times compare the same work per neuron and step
(one Gaussian number, one update, one threshold test).

Prints one line: model=... rate_hz=... build_s=... (code generation + g++ + link, what a user waits for
before the simulation starts) run_s=... (the standalone binary's simulation loop, device._last_run_time)
total_s=... (everything, wall).
"""
import sys
import time

t_start = time.time()
from brian2 import (NeuronGroup, Synapses, SpikeMonitor, set_device, device, defaultclock, prefs, run,
                    ms, mV, nS, second)
from brian2_coba import N, NE, WE, WI, coba_neurons

model, workdir = sys.argv[1], sys.argv[2]
set_device('cpp_standalone', directory=workdir, build_on_run=False)
prefs.devices.cpp_standalone.openmp_threads = 0   # one thread, as balnet --threads 1 and the floor
defaultclock.dt = 0.1 * ms

if model == 'noise':   # bench/lif_noise.bn: 100 000 uncoupled LIF neurons with white noise
    N = 100000
    mu, sigma, tau, theta, V_r = 18 * mV, 5 * mV, 20 * ms, 20 * mV, 10 * mV
    P = NeuronGroup(N, 'dv/dt = (mu - v)/tau + sigma*xi/sqrt(tau) : volt (unless refractory)',
                    threshold='v >= theta', reset='v = V_r', refractory=2 * ms, method='euler')
    P.v = 'V_r + rand()*(theta - V_r)'
    M = SpikeMonitor(P, record=False)   # counts only: the 1.9 million spikes are not stored
else:                  # models/benchmarks/coba.bn or cuba.bn
    taue, taui = 5 * ms, 10 * ms
    Vt, Vr = -50 * mV, -60 * mV
    if model == 'coba':   # the neurons shared with brian2_stdp.py
        P, _, _ = coba_neurons()
        we, wi = 'ge += %r*nS' % float(WE / nS), 'gi += %r*nS' % float(WI / nS)
    else:
        El, taum = -49 * mV, 20 * ms
        eqs = '''dv/dt = (ge + gi - (v - El))/taum : volt (unless refractory)
                 dge/dt = -ge/taue : volt
                 dgi/dt = -gi/taui : volt'''
        P = NeuronGroup(N, eqs, threshold='v > Vt', reset='v = Vr', refractory=5 * ms, method='exact')
        P.v = 'Vr + rand()*(Vt - Vr)'
        we, wi = 'ge += 1.62*mV', 'gi += -9*mV'
    Ce = Synapses(P[:NE], P, on_pre=we)
    Ci = Synapses(P[NE:], P, on_pre=wi)
    Ce.connect(p=0.02)
    Ci.connect(p=0.02)
    M = SpikeMonitor(P)
run(1 * second)
t0 = time.time()
device.build(directory=workdir, compile=True, run=False)
t1 = time.time()
device.run(directory=workdir, with_output=False, run_args=[])
t2 = time.time()
run_s = getattr(device, '_last_run_time', float('nan'))
print('model=%s rate_hz=%.4f build_s=%.3f run_s=%.4f process_s=%.3f total_s=%.3f' %
      (model, M.num_spikes / N / 1.0, t1 - t0, run_s, t2 - t1, t2 - t_start))
