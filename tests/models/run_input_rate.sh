#!/usr/bin/env bash
# run_input_rate.sh - Poisson inputs whose rate is an expression of t (issue 13 item 4; runtime/input.c,
# time rescaling): phase-binned rates of a sinusoidal input, the count of a high-rate input (no saturation
# at rate*dt > 1), and the count correlation c of a correlated input with the same sinusoidal rate.
# Model tests/models/input_rate.bn: r(t) = r0 (1 + m sin(2 pi f t)), r0 = 20 Hz, m = 0.8, f = 5 Hz,
# dt = 0.1 ms, 20 s.  Args: balnet-binary source-dir build-dir.
set -u
source "$(dirname "$0")/lib.sh"

"$BALNET" run tests/models/input_rate.bn --threads 1 --out "$TMP/r" --quiet || fail "input_rate.bn exit $?"
P=$TMP/r/points.csv
T=$TMP/r/traces

# ---- 1. phase-binned rate of X (1000 neurons), through the relay R --------------------------------------
# An input spike of step k (continuous time in [(k - 1/2) dt, (k + 1/2) dt)) is a relay spike of step k + 1,
# so the relay's 10 ms bin [t0, t0 + 10 ms) holds the input's spikes of [t0 - 1.5 dt, t0 + 10 ms - 1.5 dt);
# its expected rate is the integral of r over that interval / 10 ms.  The 20 bins of a 200 ms period are
# averaged over the 100 periods.  Tolerance per phase bin: 4 Poisson sd (1000 neurons x 100 periods x 10 ms:
# sd 1/sqrt(1000 r/Hz), 1.6 % at the trough, 0.5 % at the peak) + 0.2 % (two input spikes in one step make
# one relay spike: a loss of r dt/2 <= 0.18 %).
bad=$(awk -F, -v r0=20 -v m=0.8 -v f=0.005 -v dt=0.1 'NR > 1 {
        j = ($1 % 200) / 10; s[j] += $2; n[j]++ }
    END { pi = 3.141592653589793; w = 2 * pi * f; worst = 0
          for (j = 0; j < 20; j++) {
              a = j * 10 - 1.5 * dt; b = a + 10
              e = r0 * (1 + m * (cos(w * a) - cos(w * b)) / (w * 10))   # mean rate over [a, b), Hz
              x = s[j] / n[j]; tol = 4 * sqrt(e * 1000 * 0.01 * n[j]) / (1000 * 0.01 * n[j]) + 0.002 * e
              d = x - e; if (d < 0) d = -d
              if (d / tol > worst) { worst = d / tol; what = sprintf("phase bin %d: %.3f Hz against %.3f Hz, tolerance %.3f", j, x, e, tol) }
              if (n[j] != 100) { print "missing"; exit } }
          printf "%.3f %s\n", worst, what }' "$T/p0-t1-R-rate_trace.csv")
in_range "sinusoidal rate, worst of 20 phase bins (|error| / tolerance; ${bad#* })" "${bad%% *}" 0 1

# ---- 2. a rate far above 1/dt: H = 20 kHz (1 + 0.5 sin(2 pi f t)), r dt = 2 -------------------------------
# Each of 20 counters adds every input spike, several per step.  The sample at time T (after step s =
# T/dt - 1) holds the input steps 0 .. s - 1, i.e. Lambda over [-dt/2, T - 1.5 dt].  Tolerance: 5 Poisson sd
# of the total over 20 neurons (sd/mean 3.6e-4 at 20 s); a per-step Bernoulli would give at most 1/dt.
read -r got want tol < <(awk -F, 'NR > 1 { if ($1 > t) { t = $1; s = 0 } if ($1 == t) { s += $3; n++ } }
    END { pi = 3.141592653589793; r = 20; w = 2 * pi * 0.005; a = -0.05; b = t - 0.15
          L = r * (b - a) + r * 0.5 * (cos(w * a) - cos(w * b)) / w
          printf "%.0f %.1f %.1f\n", s, 20 * L, 5 * sqrt(20 * L) }' "$T/p0-t1-K-trace_V.csv")
in_range "20 kHz sinusoidal input: spikes counted by 20 neurons (expected $want)" "$got" \
    "$(awk -v w="$want" -v t="$tol" 'BEGIN { print w - t }')" "$(awk -v w="$want" -v t="$tol" 'BEGIN { print w + t }')"

# ---- 3. correlated input with the sinusoidal rate: Y (c = 0.2) and Y0 (c = 0), 200 neurons each ---------
# count_corr with 200 ms windows, one period each, so every window has the same expected count and the rate
# modulation adds no correlation: Y's must be c.  Its sampling sd is about c (1 - c) sqrt(2/W) = 0.023 with
# W = 98 windows (0.028 over 6 seeds): tolerance 0.12.  Y0's is 0 with sd ~ 1/(n sqrt(W)) = 5e-4: 0.005.
# Both keep the mean rate r0 = 20 Hz: tolerance 4 sd of the population count, sd/mean sqrt((1 + (n - 1) c)
# / (n r0 T)) = 2.3 % for Y (shared mother spikes) and 0.35 % for Y0, plus the relay's 0.2 %.
in_range "correlated sinusoidal input: count_corr (c = 0.2)" "$(value "$P" population=C statistic=count_corr)" 0.08 0.32
in_range "independent sinusoidal input: count_corr (c = 0)" "$(value "$P" population=C0 statistic=count_corr)" -0.005 0.005
rel_close "correlated sinusoidal input: mean rate (Hz)" "$(value "$P" population=C statistic=rate)" 20 0.094
rel_close "independent sinusoidal input: mean rate (Hz)" "$(value "$P" population=C0 statistic=rate)" 20 0.016
# ---- 4. timed("input_timed.csv", ...): a tabulated current and a tabulated rate (tests/models/input_timed.bn) --
# The current I is 0, 100, 200, 50 pA from 0, 100, 200, 300 ms, held.  With C = 200 pF, g = 10 nS (tau 20 ms)
# the exact propagator gives V(t) = 10 mV (1 - exp(-(t - 100 ms)/tau)) on (100, 200] ms (the sample after the
# step at t covers [t - dt, t)); tolerance 1e-12 relative (rounding over <= 1000 steps).  JIT and interpreter:
# identical traces (cmp).  The rate r is 5, 50, 100, 0 Hz: a relay bin holds the input's last step of the
# previous bin and not its own last (a one-step lag), so it expects 0.999 r + 0.001 r_previous; tolerance
# 4 Poisson sd (2000 trains x 100 ms) + 0.2 % (two input spikes in one step make one relay spike).
for e in jit interp; do
    "$BALNET" run tests/models/input_timed.bn --engine $e --threads 1 --out "$TMP/tm-$e" --quiet || fail "input_timed.bn --engine $e exit $?"
done
if cmp "$TMP/tm-jit/traces/p0-t1-D-trace_V.csv" "$TMP/tm-interp/traces/p0-t1-D-trace_V.csv" &&
   cmp "$TMP/tm-jit/traces/p0-t1-R-rate_trace.csv" "$TMP/tm-interp/traces/p0-t1-R-rate_trace.csv"; then
    pass "timed(): identical traces, jit vs interp"
else
    fail "timed(): jit and interp traces differ"
fi
err=$(awk -F, 'NR > 1 && $1 > 100.05 && $1 < 200.05 { e = 10 * (1 - exp(-($1 - 100) / 20)); d = ($3 - e) / e
    if (d < 0) d = -d; if (d > mx) mx = d; n++ } END { if (n < 99) print "missing"; else printf "%.3g\n", mx }' \
    "$TMP/tm-jit/traces/p0-t1-D-trace_V.csv")
in_range "timed() current: max relative error of V against 10 mV (1 - exp(-(t - 100 ms)/20 ms))" "$err" 0 1e-12
bad=$(awk -F, 'NR > 1 { split("5 50 100 0", r, " "); k = $1 / 100 + 1; prev = k > 1 ? r[k - 1] : 0
        e = 0.999 * r[k] + 0.001 * prev; tol = 4 * sqrt(e * 2000 * 0.1) / (2000 * 0.1) + 0.002 * e + 1e-9
        d = $2 - e; if (d < 0) d = -d; if (d / tol > worst) { worst = d / tol; what = sprintf("bin %d: %.3f Hz against %g Hz", k, $2, e) } n++ }
    END { if (n != 4) print "missing"; else printf "%.3f %s\n", worst, what }' "$TMP/tm-jit/traces/p0-t1-R-rate_trace.csv")
in_range "timed() rate, worst of 4 bins (|error| / tolerance; ${bad#* })" "${bad%% *}" 0 1
finish
