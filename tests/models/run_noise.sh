#!/usr/bin/env bash
# run_noise.sh - white noise in ODEs (issue 13; compiler/sema/noise.c): the Ornstein-Uhlenbeck process, the
# Euler-Maruyama error, LIF rates against the Siegert formula, and bit identity of JIT, interpreter and
# thread counts on a noisy network.  Args: balnet-binary source-dir build-dir.
set -u
source "$(dirname "$0")/lib.sh"

SIEGERT=$BUILD/tests/models/siegert
if [ ! -x "$SIEGERT" ]; then
    SIEGERT=$TMP/siegert
    cc -O2 -std=gnu11 -o "$SIEGERT" "$SRC/tests/models/siegert.c" -lm || { fail "cannot build siegert"; finish; }
fi

# ---- 1. OU process (tests/models/noise_ou.bn): sigma = 2 mV, mu = 1 mV, tau = 10 ms, 1000 neurons, 9.9 s ----
# Tolerances from the sample size: with T = 9900 ms of samples per neuron and N = 1000 neurons, the
# time-average of V has sd sigma sqrt(2 tau / T) / sqrt(N) = 0.0028 mV, and a temporal (co)variance has sd
# sigma^2 sqrt(2 tau / (T N)) = 0.0057 mV^2 (the integral of the squared autocorrelation is tau).  Checks use
# 5 sd: 0.015 mV and 0.03 mV^2.  The temporal variance about each neuron's own mean is biased low by the
# factor (1 - 2 tau / T) = 0.998, applied to the expectations.
"$BALNET" run tests/models/noise_ou.bn --out "$TMP/ou" --quiet || fail "noise_ou.bn exit $?"
P=$TMP/ou/points.csv
bias=$(awk 'BEGIN { print 1 - 20 / 9900 }')
for h in 5 2 0.5; do
    in_range "OU exact, dt $h ms: mean" "$(value "$P" h=$h population=P statistic=m)" 0.985 1.015
    # exact in distribution for any dt: variance sigma^2, lag-one covariance sigma^2 exp(-dt/tau)
    v=$(awk -v b="$bias" 'BEGIN { print 4 * b }')
    c=$(awk -v b="$bias" -v h=$h 'BEGIN { print 4 * exp(-h / 10) * b }')
    in_range "OU exact, dt $h ms: var" "$(value "$P" h=$h population=P statistic=v)" \
        "$(awk -v v="$v" 'BEGIN { print v - 0.03 }')" "$(awk -v v="$v" 'BEGIN { print v + 0.03 }')"
    in_range "OU exact, dt $h ms: cov(V(t), V(t - dt)) = sigma^2 exp(-dt/tau) = $c" \
        "$(value "$P" h=$h population=P statistic=c1)" \
        "$(awk -v v="$c" 'BEGIN { print v - 0.03 }')" "$(awk -v v="$c" 'BEGIN { print v + 0.03 }')"
    # Euler-Maruyama, x' = (1 - dt/tau) x + sigma sqrt(2 dt/tau) N: stationary variance
    # sigma^2 / (1 - dt/(2 tau)), an error of first order in dt (11 % at dt = 2 ms, 2.6 % at 0.5 ms)
    e=$(awk -v b="$bias" -v h=$h 'BEGIN { print 4 / (1 - h / 20) * b }')
    in_range "Euler-Maruyama, dt $h ms: var = sigma^2/(1 - dt/(2 tau)) = $e" \
        "$(value "$P" h=$h population=Q statistic=v)" \
        "$(awk -v v="$e" 'BEGIN { print v - 0.03 }')" "$(awk -v v="$e" 'BEGIN { print v + 0.03 }')"
done
greater "Euler-Maruyama's error shrinks with dt (var at 2 ms > at 0.5 ms)" \
    "$(value "$P" h=2 population=Q statistic=v)" "$(value "$P" h=0.5 population=Q statistic=v)"

# Destexhe et al. (2001) point-conductance neuron (models/lib/point_conductance.bn; tests/models/noise_pc.bn):
# g_e ~ OU(12 nS, sd 3 nS, 2.7 ms), g_i ~ OU(57 nS, sd 6.6 nS, 10.5 ms), 500 neurons, T = 1800 ms.  Same
# sample-size rule as above, at 5 sd: mean sd sigma sqrt(2 tau/T)/sqrt(N) = 0.0037 / 0.016 nS, variance
# relative sd sqrt(2 tau/(T N)) = 0.24 % / 0.48 %; so 0.02 / 0.08 nS and 1.2 % / 2.4 % (+ the 2 tau/T bias).
"$BALNET" run tests/models/noise_pc.bn --out "$TMP/pc" --quiet || fail "noise_pc.bn exit $?"
C=$TMP/pc/points.csv
in_range "point conductance: mean g_e (nS)" "$(value "$C" population=P statistic=ge)" 11.98 12.02
in_range "point conductance: mean g_i (nS)" "$(value "$C" population=P statistic=gi)" 56.92 57.08
rel_close "point conductance: var g_e (nS^2)" "$(value "$C" population=P statistic=ge_var)" \
    "$(awk 'BEGIN { print 9 * (1 - 5.4 / 1800) }')" 0.012
rel_close "point conductance: var g_i (nS^2)" "$(value "$C" population=P statistic=gi_var)" \
    "$(awk 'BEGIN { print 43.56 * (1 - 21 / 1800) }')" 0.024

# ---- 2. LIF with white noise against Siegert (tests/models/noise_siegert.bn) -----------------------------
# tau = 20 ms, theta = 20 mV, V_r = 10 mV, tau_rp = 2 ms, sigma = 5 mV, mu in {15, 18, 22} mV.  A simulation
# with step h misses threshold crossings between steps, which lowers the rate by c sqrt(h) to first order
# (an effective threshold shift of 1.03 sigma sqrt(h/tau); Brunel et al., PRL 86:2186, 2001), so the two
# steps 0.1 and 0.025 ms are extrapolated to h -> 0 as r0 = 2 r(h/4) - r(h).  Tolerance 3 %: at the lowest
# rate (9.5 Hz, 2000 neurons, 1.8 s: ~34000 spikes per run) counting noise gives sd ~0.6 % per run and
# sqrt(5) times that for r0, ~1.3 %; the O(h) remainder of the extrapolation is below 0.5 %.
"$BALNET" run tests/models/noise_siegert.bn --out "$TMP/sieg" --quiet || fail "noise_siegert.bn exit $?"
S=$TMP/sieg/points.csv
for mu in 15 18 22; do
    r1=$(value "$S" mu=$mu h=0.1 population=P statistic=rate)
    r4=$(value "$S" mu=$mu h=0.025 population=P statistic=rate)
    r0=$(awk -v a="$r1" -v b="$r4" 'BEGIN { print 2 * b - a }')
    theory=$("$SIEGERT" rate 20 20 10 2 $mu 5) || fail "siegert failed"
    rel_close "LIF + white noise, mu = $mu mV: rate extrapolated to dt -> 0 (Hz) vs Siegert" "$r0" "$theory" 0.03
done

# ---- 3. bit identity on a noisy network (tests/models/noise_net.bn) ---------------------------------------
# Tolerance: none (cmp).  The noise is a pure function of (seed, population, neuron, step, term) and both
# engines compute it with the same operations (ir/ir_noise.c, codegen/cg_noise.c).  The neurons-per-thread
# threshold is lowered so that 2 and 3 threads really split the populations.  100 ms keep the threaded
# runs short on a loaded machine (each step synchronises the threads).
NET="tests/models/noise_net.bn --set duration=100ms"
for e in jit interp; do
    "$BALNET" run $NET --engine $e --threads 1 --spikes "$TMP/net-$e.csv" --out "$TMP/net-$e" --quiet ||
        fail "noise_net --engine $e exit $?"
done
n=$(($(wc -l < "$TMP/net-jit.csv") - 1))
if [ "$n" -ge 5000 ]; then pass "noisy network: $n spikes (>= 5000)"; else fail "noisy network: only $n spikes"; fi
if cmp "$TMP/net-jit.csv" "$TMP/net-interp.csv"; then pass "noisy network: identical spikes, jit vs interp"
else fail "noisy network: spike files differ (jit vs interp)"; fi
if cmp "$TMP/net-jit/points.csv" "$TMP/net-interp/points.csv"; then pass "noisy network: identical points.csv"
else fail "noisy network: points.csv differ (jit vs interp)"; fi
same_on_threads "noisy network" "$TMP/net-jit" $NET
# another seed gives other noise (the seed is part of the key)
"$BALNET" run $NET --set seed=2 --spikes "$TMP/net-s2.csv" --out "$TMP/net-s2" --quiet || fail "seed 2 exit $?"
if cmp -s "$TMP/net-jit.csv" "$TMP/net-s2.csv"; then fail "noisy network: seed 2 gives the spikes of seed 1"
else pass "noisy network: seed 2 gives other spikes"; fi
finish
