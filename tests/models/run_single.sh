#!/usr/bin/env bash
# Single neurons against closed forms: tests/models/single_neurons.bn.
#   A  LIF, constant input, exact propagator: every ISI is exactly the discrete solution, and within one
#      step (dt) of the continuous ISI t_ref + tau ln((V_inf - V_re)/(V_inf - V_th)).
#   B  EIF, constant input, Euler at dt = 0.1 ms against a reference at dt = 1 us with RK2: forward Euler
#      is first order, and near the exponential upswing its error at 0.1 ms is about 1 % of the ISI here
#      (measured 31.6 vs 31.27 ms): tolerance 2.5 %.
#   C  conductance clamp: V relaxes to (g_L E_L + g E_rev)/(g_L + g) = -46.666... mV; after 1 s (50 time
#      constants) the exponential-Euler iteration has converged to rounding: tolerance 1e-9 mV.
source "$(dirname "$0")/lib.sh"

model=tests/models/single_neurons.bn
"$BALNET" run $model --out "$TMP/a" --spikes "$TMP/a.csv" -q 2>/dev/null || fail "run at dt = 0.1 ms"
"$BALNET" run $model --out "$TMP/b" --spikes "$TMP/b.csv" -q --set dt=1us --set method=rk2 \
    --set duration=1.2s --set burn_in=0.2s 2>/dev/null || fail "reference run at dt = 1 us"

isis() { awk -F, -v p="$2" 'NR > 1 && $1 == p { if (n++) print $2 - last; last = $2 }' "$1"; }

# A: tau = C_m/g_L = 20 ms, V_inf = E_L + I/g_L = -40 mV, from V_re = -60 to V_th = -50 mV, t_ref 2 ms.
cont=$(awk 'BEGIN { printf "%.6f", 2 + 20 * log(20 / 10) }')                 # 15.863 ms
disc=$(awk 'BEGIN { for (m = 1; -40 - 20 * exp(-m * 0.1 / 20) < -50; m++); printf "%d", 20 + m }')
distinct=$(isis "$TMP/a.csv" A | sort -u | tr '\n' ' ')
[ "$distinct" = "$disc " ] && pass "A: every ISI is $disc steps (discrete exact solution)" \
                          || fail "A: ISIs (steps) $distinct, expected only $disc"
in_range "A: ISI (ms) vs continuous $cont" "$(awk -v s="$disc" 'BEGIN { print s * 0.1 }')" \
    "$(awk -v c="$cont" 'BEGIN { print c - 0.1 }')" "$(awk -v c="$cont" 'BEGIN { print c + 0.1 }')"

# B: mean ISI in ms at both resolutions.
euler=$(isis "$TMP/a.csv" B | awk '{ s += $1; n++ } END { if (n) printf "%.6f", s / n * 0.1 }')
ref=$(isis "$TMP/b.csv" B | awk '{ s += $1; n++ } END { if (n) printf "%.6f", s / n * 0.001 }')
rel_close "B: EIF ISI, Euler dt = 0.1 ms (ms), vs RK2 dt = 1 us" "$euler" "$ref" 0.025

# C: steady state of the clamped neuron.
vc=$(value "$TMP/a/points.csv" population=C statistic=v_mean)
in_range "C: conductance-clamped V (mV)" "$vc" -46.666666667666 -46.666666665666
finish
