#!/usr/bin/env bash
# Dotted names set and sweep arguments from outside the file (tests/models/dotted.bn, issue 11 item 10).
#   E.I_e (a population argument, swept in the file): LIF with the exact propagator, tau = 10 ms,
#     V_inf = -70 mV + I_e tau / C: 1.5 pA gives V_inf = -55 mV < V_th, no spike; 3 pA gives V_inf = -40 mV
#     and an ISI of ceil(100 ln 3) = 110 steps, floor(10000 / 110) = 90 spikes in 1 s: 90 Hz, exact up to
#     rounding.  --set E.I_e=4 pA replaces the swept values: ISI ceil(100 ln 2) = 70 steps, 142 Hz.
#   exp_current.tau (a synapse parameter, every instance): mean I_syn = rate * w * tau * f (Campbell's
#     theorem, 50 Hz * 40 pA * tau) with f = x e^-x / (1 - e^-x), x = dt/tau, the sum of the decayed jumps
#     as sampled after each step: 1.9017 pA at 1 ms, 9.9003 pA at 5 ms.  About 5000 input spikes per run:
#     the estimate's relative sd is ~1.4 %, so 6 % is over 4 sd.
source "$(dirname "$0")/lib.sh"
model=tests/models/dotted.bn
"$BALNET" run $model --out "$TMP/a" -q 2>/dev/null || fail "run with the swept E.I_e"
in_range "E.I_e = 1.5 pA: rate (Hz)" "$(value "$TMP/a/points.csv" E.I_e=1.5 population=E statistic=rate)" 0 0
in_range "E.I_e = 3 pA: rate (Hz)" "$(value "$TMP/a/points.csv" E.I_e=3 population=E statistic=rate)" 89.99 90.01
"$BALNET" run $model --out "$TMP/b" -q --set "E.I_e=4 pA" --set "exp_current.tau=[1 ms, 5 ms]" 2>/dev/null ||
    fail "run with --set E.I_e and a swept exp_current.tau"
in_range "--set E.I_e=4 pA: rate (Hz)" \
    "$(value "$TMP/b/points.csv" exp_current.tau=1 population=E statistic=rate)" 141.99 142.01
rel_close "exp_current.tau = 1 ms: mean I_syn (pA)" \
    "$(value "$TMP/b/points.csv" exp_current.tau=1 population=P statistic=mean_I_syn)" 1.9017 0.06
rel_close "exp_current.tau = 5 ms: mean I_syn (pA)" \
    "$(value "$TMP/b/points.csv" exp_current.tau=5 population=P statistic=mean_I_syn)" 9.9003 0.06
finish
