#!/usr/bin/env bash
# run_paper_match.sh - models/paper/cancellation.bn reproduces the authors' simulator (issue 14) where the
# trial-to-trial spread is smallest: N = 4000, c = 0, conductance synapses, 3 s (250 ms burn-in, dt 0.1 ms,
# Euler), 8 trials; and its current-based arm at the same point.  Args: balnet-binary source-dir build-dir.
#
# References: the authors' code (github.com/RobertRosenbaum/CondBalanceCode, unmodified), 20 trials of 5 s
# at N = 4000, c = 0: conductance var(V) 7.626 mV^2, rates E 6.17 Hz, I 6.70 Hz; current var(V) 38.4 mV^2.
#
# Tolerances and why (spreads measured with this model, 8 trials of 3 s; examples/paper/README.md):
#  - conductance var(V) ("all"): per-trial sd 0.027 mV^2, so the 8-trial mean has a standard error of
#    0.0096 mV^2 (0.13 %); the reference's own (20 trials) is about 0.0075 mV^2; their difference has a
#    standard error of 0.16 %, and 0.5 % is 3.1 of them.  Without the authors' conventions (no autapses,
#    balnet's order) the model gives 7.750 mV^2 (+1.6 %), so the test tells them apart.
#  - rates: per-trial sd 1.0 % (E) and 0.6 % (I): standard errors of the 8-trial means 0.36 % and 0.22 %,
#    about 0.4 % and 0.25 % with the reference's; 1 % is 2.5 and 4 of them.  (Before: E -2.0 %, I -1.7 %.)
#  - current var(V): per-trial sd 0.61 mV^2 (1.6 %), standard error 0.57 % over 8 trials, about 0.65 % with
#    the reference's; 2 % is 3 of them.
set -u
source "$(dirname "$0")/lib.sh"

"$BALNET" run models/paper/cancellation.bn --set N=4000 --set c=0 --set 'syn=[conductance, current]' \
    --set duration=3s --set trial=1..8 --out "$TMP/paper" --quiet 2>/dev/null || fail "run exit $?"
P=$TMP/paper/points.csv

# mean SYN POP STAT: the mean over the trials of one statistic
mean() {
    awk -F, -v syn="$1" -v pop="$2" -v st="$3" '
        NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
        $col["syn"] == syn && $col["population"] == pop && $col["statistic"] == st { s += $col["value"]; n++ }
        END { if (n == 8) printf "%.6f\n", s / n; else print "missing" }' "$P"
}
rel_close "conductance var(V), mean of 8 trials [mV^2]" "$(mean conductance all v_var)" 7.626 0.005
rel_close "conductance E rate, mean of 8 trials [Hz]" "$(mean conductance E rate)" 6.17 0.01
rel_close "conductance I rate, mean of 8 trials [Hz]" "$(mean conductance I rate)" 6.70 0.01
rel_close "current var(V), mean of 8 trials [mV^2]" "$(mean current all v_var)" 38.4 0.02
finish
