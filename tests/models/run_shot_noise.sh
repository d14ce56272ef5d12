#!/usr/bin/env bash
# V statistics of a neuron driven by known noise against their analytic values: a LIF neuron
# (C = 200 pF, g_L = 10 nS, tau_m = 20 ms) below threshold, 100 Poisson inputs at 10 Hz (R = 1 /ms in all)
# through an exponential current synapse (jump w = 10 pA, tau_s = 5 ms).  Campbell's theorem:
#   mean V - E_L = R w tau_s / g_L = 5 mV
#   var V = R A^2 (tau_m/2 + tau_s/2 - 2 tau_m tau_s/(tau_m + tau_s)),  A = (w/C) tau_m tau_s/(tau_m - tau_s)
#         = 0.5 mV^2
# Tolerances: over 40 s the variance estimate has a relative sd of about sqrt(2 tau_m / T) = 3 % (V's
# correlation time is ~tau_m), and the exact propagators with the input held over a step add a bias of
# order dt/tau_s = 2 %: 12 %.  The mean's sd is sqrt(var 2 tau_m / T) = 0.02 mV: 0.15 mV.
source "$(dirname "$0")/lib.sh"

"$BALNET" run tests/models/shot_noise.bn --out "$TMP/a" -q 2>/dev/null || fail "run"
read -r mean var < <(awk 'BEGIN { R = 1; w = 10; C = 200; gL = 10; tm = 20; ts = 5
    A = (w / C) * tm * ts / (tm - ts)
    printf "%.6f %.6f\n", -70 + R * w * ts / gL, R * A * A * (tm / 2 + ts / 2 - 2 * tm * ts / (tm + ts)) }')
in_range "mean V (mV) vs Campbell $mean" "$(value "$TMP/a/points.csv" statistic=v_mean)" \
    "$(awk -v m="$mean" 'BEGIN { print m - 0.15 }')" "$(awk -v m="$mean" 'BEGIN { print m + 0.15 }')"
rel_close "var V (mV^2) vs Campbell" "$(value "$TMP/a/points.csv" statistic=v_var)" "$var" 0.12
finish
