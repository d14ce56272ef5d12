"""brian2_stdp.py - Brian2 C++ standalone version of models/benchmarks/coba_stdp.bn, for bench/peers_stdp.sh.
usage: [BRIAN2_STDP_ORDER=pre|post] /usr/bin/python3 brian2_stdp.py WORKDIR DURATION_S TRIALS

The model (written here from coba_stdp.bn and models/lib/stdp.bn, not from Brian2's examples): COBA (Brette et
al. 2007; the neurons of brian2_coba.py, p = 0.02 without autapses, dt = 0.1 ms) with additive all-to-all
pair STDP on E -> E (Song, Miller & Abbott 2000): w(0) = 6 nS, w_max = 12 nS, A+ = 0.005, A- = 0.00525, tau+ = tau- = 20 ms, traces integrated
event-driven (Brian2's `(event-driven)`, per synapse; balnet keeps them per source and per target, which is
the same numbers for this rule since they depend on one spike train each).  Statement order as balnet's
stdp_add: on a pre spike g_e += w, then x_pre += 1, then w = clip(w - A- w_max x_post, 0, w_max); on a post
spike x_post += 1, then w = clip(w + A+ w_max x_pre, 0, w_max).
Timing: Brian2's default synaptic delay is 0 (a spike of step t reaches g_e within step t, after the neuron
update), balnet's default is one step (delivered at the start of step t + 1): both change the conductance
the neuron update of step t + 1 sees, and both time a pair by the two spikes' stamps.  Differences that
remain: Brian2's threshold is `v > V_th` (balnet: >=), and its own random numbers.

The binary is built once and run TRIALS times: without a seed() call, Brian2's standalone binary seeds its
generator anew at each run (rk_randomseed), so each run is an independent trial (network, initial values).
Prints one line per trial, `trial=K rate_e=.. rate_i=.. w_mean_nS=W0,W1,..` (mean E -> E weight at
t = 0, 1 s, ..., DURATION_S: over 200000 synapses before the end, over all of them at the end), and one `build_s=.. run_s=..` line (code generation + g++ + link; the
binary's simulation loop per trial, device._last_run_time, median).
"""
import os
import statistics
import sys
import time

import numpy as np

from brian2 import (Synapses, SpikeMonitor, StateMonitor, set_device, device, defaultclock, prefs, run, ms, nS,
                    second)
from brian2_coba import N, NE, WE, WI, coba_neurons

workdir, duration, trials = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
set_device('cpp_standalone', directory=workdir, build_on_run=False)
prefs.devices.cpp_standalone.openmp_threads = 0   # one thread, as balnet --threads 1
defaultclock.dt = 0.1 * ms

taupre = taupost = 20 * ms
Ap, Am, wmax = 0.005, 0.00525, 12 * nS
P, E, I = coba_neurons()
See = Synapses(E, E, '''w : siemens
                        dapre/dt = -apre/taupre : 1 (event-driven)
                        dapost/dt = -apost/taupost : 1 (event-driven)''',
               on_pre='''ge_post += w
                         apre += 1
                         w = clip(w - Am*wmax*apost, 0*nS, wmax)''',
               on_post='''apost += 1
                          w = clip(w + Ap*wmax*apre, 0*nS, wmax)''')
See.connect(condition='i != j', p=0.02)
See.w = WE
# BRIAN2_STDP_ORDER=post: a post spike's on_post runs before the on_pre of a spike with the same time stamp,
# balnet's order (Brian2's own, `pre`, runs on_pre first: its pathway order -1 against on_post's 1)
if os.environ.get('BRIAN2_STDP_ORDER', 'pre') == 'post':
    See.post.order = -2
Sei = Synapses(E, I, on_pre='ge_post += WE')
Sei.connect(p=0.02)
Sie = Synapses(I, E, on_pre='gi_post += WI')
Sie.connect(p=0.02)
Sii = Synapses(I, I, on_pre='gi_post += WI')
Sii.connect(condition='i != j', p=0.02)
ME, MI = SpikeMonitor(E), SpikeMonitor(I)
# standalone mode cannot record=True a synaptic variable (the synapses do not exist before the binary runs):
# the first 200000 of the ~204,700 E -> E synapses (10 standard deviations below their expected count)
MW = StateMonitor(See, 'w', record=np.arange(200000), dt=1 * second)
run(duration * second)

t0 = time.time()
device.build(directory=workdir, compile=True, run=False)
build_s = time.time() - t0
loops = []
for k in range(1, trials + 1):
    device.run(directory=workdir, with_output=False, run_args=[])
    loops.append(getattr(device, '_last_run_time', float('nan')))
    w = MW.w[:]   # (synapses, samples at 0, 1, ... s); then the mean of all final weights
    means = [float(w[:, s].mean() / nS) for s in range(w.shape[1])] + [float(See.w[:].mean() / nS)]
    print('trial=%d rate_e=%.4f rate_i=%.4f w_mean_nS=%s' %
          (k, ME.num_spikes / NE / duration, MI.num_spikes / (N - NE) / duration,
           ','.join('%.5f' % m for m in means)), flush=True)
print('build_s=%.3f run_s=%.4f' % (build_s, statistics.median(loops)))
