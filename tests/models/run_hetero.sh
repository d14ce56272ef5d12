#!/usr/bin/env bash
# run_hetero.sh - parameters drawn per neuron (issue 13 item 5; compiler/sema/hetero.c): the drawn values'
# moments, the per-neuron exact propagator against its closed form, the rate of a heterogeneous population
# against the integral of the single-neuron rate over the distribution, and bit identity of JIT, interpreter
# and thread counts on a heterogeneous noisy network.  Args: balnet-binary source-dir build-dir.
set -u
source "$(dirname "$0")/lib.sh"

# ---- 1. sample moments (tests/models/hetero_draws.bn, population S: 10000 neurons) -------------------------
# A param drawn per neuron, read by `mean(x)` and `mean(x*x)`, gives the sample mean m and the sample sd
# s = sqrt(mean(x^2) - m^2) over the neurons.  Tolerances are 4 standard errors for n = 10000: the mean's
# 4 sd/sqrt(n); the sd's relative 4 sqrt((kurtosis - 1)/(4 n)), kurtosis 1.8 (uniform), 4.06 (lognormal with
# cv 0.25) and 9 (exponential): 1.8 %, 3.5 % and 5.7 %.
"$BALNET" run tests/models/hetero_draws.bn --threads 1 --out "$TMP/draws" --quiet || fail "hetero_draws.bn exit $?"
P=$TMP/draws/points.csv
moments() {   # name stat mean sd mean_tol sd_reltol
    local m m2 s
    m=$(value "$P" population=S statistic=$2)
    m2=$(value "$P" population=S statistic=${2}2)
    s=$(awk -v a="$m" -v b="$m2" 'BEGIN { print sqrt(b - a * a) }')
    in_range "$1: sample mean" "$m" "$(awk -v m=$3 -v t=$5 'BEGIN { print m - t }')" \
        "$(awk -v m=$3 -v t=$5 'BEGIN { print m + t }')"
    rel_close "$1: sample sd" "$s" "$4" "$6"
}
moments "uniform(10 ms, 30 ms)" a 20 5.773503 0.231 0.018
moments "lognormal(2 mV, 0.5 mV)" b 2 0.5 0.02 0.035
moments "exponential(5 ms)" c 5 5 0.2 0.057

# ---- 2. per-neuron exact propagator (hetero_draws.bn, population U) ---------------------------------------
# dx/dt = -x/tau, x(0) = 1, tau = uniform(5 ms, 50 ms) per neuron: the exact update multiplies by a
# per-neuron column exp(-dt/tau), so x after k steps is exp(-k dt/tau) up to k roundings, 500 steps ->
# 500 * 2^-53 = 5.6e-14 relative; tolerance 1e-12.  (Euler would be off by 1e-3 here.)
T=$TMP/draws/traces
err=$(awk -F, 'FNR == 1 { f++; next } f == 1 && !($2 in tau) { tau[$2] = $3; next }
    f == 2 { e = exp(-$1 / tau[$2]); d = ($3 - e) / e; if (d < 0) d = -d; if (d > mx) mx = d; n++ }
    END { if (n < 200) print "missing"; else printf "%.3g\n", mx }' \
    "$T/p0-t1-U-trace_tau.csv" "$T/p0-t1-U-trace_x.csv")
in_range "per-neuron exact propagator: max relative error of x(t) against exp(-t/tau)" "$err" 0 1e-12
# T: tau = per_neuron("hetero_tau.csv", "tau"): the file's values (5 ms, 0.02 s, 12.5 ms, 40ms, 1e-2 s) in
# neuron order, converted to ms exactly, and the same closed form
taus=$(awk -F, 'NR > 1 && $1 == "0.1" { printf "%s ", $3 }' "$T/p0-t1-T-trace_tau.csv")
if [ "$taus" = "5 20 12.5 40 10 " ]; then pass "per_neuron(): tau read from the file, in ms: $taus"
else fail "per_neuron(): tau read from the file = '$taus', expected '5 20 12.5 40 10 '"; fi
err=$(awk -F, 'FNR == 1 { f++; next } f == 1 && !($2 in tau) { tau[$2] = $3; next }
    f == 2 { e = exp(-$1 / tau[$2]); d = ($3 - e) / e; if (d < 0) d = -d; if (d > mx) mx = d; n++ }
    END { if (n < 50) print "missing"; else printf "%.3g\n", mx }' \
    "$T/p0-t1-T-trace_tau.csv" "$T/p0-t1-T-trace_x.csv")
in_range "per_neuron() exact propagator: max relative error of x(t) against exp(-t/tau)" "$err" 0 1e-12

# ---- 3. rate of a heterogeneous population (tests/models/hetero_rate.bn) -----------------------------------
# Noise-free LIF, C = 200 pF, E_L = -70 mV, I_e = 250 pA, V_th = -50 mV, V_re = -60 mV, 20 refractory steps.
# With the exact propagator a neuron with leak g fires every 20 + ceil(T(g)/dt) steps, T(g) = tau ln((V_inf -
# V_re)/(V_inf - V_th)), tau = C/g, V_inf = E_L + I_e/g (silent when V_inf <= V_th, g >= 12.5 nS); random
# initial V make the measured rate the mean of 1/period.  H (g = 10 nS): 41.667 Hz, tolerance 0.5 % (a neuron
# counts floor or ceil of window/period spikes).  D (g ~ normal(10 nS, 2 nS)): the mean of r(g) over the
# normal, by quadrature, tolerance 4 standard errors sd_g(r)/sqrt(N) (N = 4000).  The rate is concave in g
# near rheobase and 11 % of D is silent, so D fires less than H by about 10 standard errors.
"$BALNET" run tests/models/hetero_rate.bn --threads 1 --out "$TMP/rate" --quiet || fail "hetero_rate.bn exit $?"
R=$TMP/rate/points.csv
read -r er sr rh < <(awk -v m=10 -v s=2 '
    function rate(g,   vinf, tau, T, k) {
        vinf = -70 + 250 / g
        if (vinf <= -50) return 0
        tau = 200 / g
        T = tau * log((vinf + 60) / (vinf + 50))
        k = T / 0.1; k = (k == int(k)) ? k : int(k) + 1
        return 1000 / (0.1 * (20 + k))
    }
    BEGIN { h = 0.0005
            for (g = h / 2; g < m + 8 * s; g += h) {
                w = exp(-0.5 * ((g - m) / s) ^ 2) * h; r = rate(g); e1 += w * r; e2 += w * r * r; z += w }
            printf "%.6f %.6f %.6f\n", e1 / z, sqrt(e2 / z - (e1 / z) ^ 2), rate(m) }')
rel_close "homogeneous LIF rate (Hz) against 1/period" "$(value "$R" population=H statistic=rate)" "$rh" 0.005
tol=$(awk -v e="$er" -v s="$sr" 'BEGIN { print 4 * s / sqrt(4000) / e }')
rel_close "heterogeneous LIF rate (Hz) against E[r(g_L)], g_L ~ normal(10 nS, 2 nS)" \
    "$(value "$R" population=D statistic=rate)" "$er" "$tol"
greater "homogeneous rate > heterogeneous rate (r concave in g_L)" \
    "$(value "$R" population=H statistic=rate)" "$(value "$R" population=D statistic=rate)"
g=$(value "$R" population=D statistic=g)
in_range "g_L ~ normal(10 nS, 2 nS): sample mean (4 sd/sqrt(4000))" "$g" 9.874 10.126
rel_close "g_L ~ normal(10 nS, 2 nS): sample sd (4 sqrt(2/(4 * 4000)))" \
    "$(awk -v a="$g" -v b="$(value "$R" population=D statistic=g2)" 'BEGIN { print sqrt(b - a * a) }')" 2 0.045

# A homogeneous population's code does not change when another population of the model draws its params:
# H keeps its two variables (V, refractory) and the propagator folded to constants (ir dump).
H_IR=$("$BALNET" dump --emit=ir tests/models/hetero_rate.bn | awk '/^population H/ { on = 1; next } /^population/ { on = 0 } on')
if [ "$(grep -c '^  var ' <<< "$H_IR")" -eq 2 ] && grep -q '^    V <- V \* 0.99501247919268[0-9]* + (-0.2244384363292[0-9]*)$' <<< "$H_IR"; then
    pass "homogeneous population: 2 variables and a folded exact propagator"
else
    fail "homogeneous population's IR changed: $H_IR"
fi

# ---- 4. bit identity on a heterogeneous noisy network (tests/models/hetero_net.bn) ------------------------
# Tolerance: none (cmp).  Drawn params use the initial-value stream keyed by (seed, population, variable,
# neuron), and the per-neuron propagators are computed from them by the runtime once, for both engines.
NET=tests/models/hetero_net.bn
for e in jit interp; do
    "$BALNET" run $NET --engine $e --threads 1 --spikes "$TMP/net-$e.csv" --out "$TMP/net-$e" --quiet ||
        fail "hetero_net --engine $e exit $?"
done
n=$(($(wc -l < "$TMP/net-jit.csv") - 1))
if [ "$n" -ge 1000 ]; then pass "heterogeneous network: $n spikes (>= 1000)"; else fail "heterogeneous network: only $n spikes"; fi
if cmp "$TMP/net-jit.csv" "$TMP/net-interp.csv" && cmp "$TMP/net-jit/points.csv" "$TMP/net-interp/points.csv"; then
    pass "heterogeneous network: identical spikes and points, jit vs interp"
else
    fail "heterogeneous network: jit and interp differ"
fi
same_on_threads "heterogeneous network" "$TMP/net-jit" $NET
finish
