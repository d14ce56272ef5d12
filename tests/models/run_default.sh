#!/usr/bin/env bash
# run_default.sh - `balnet run` without a model file (what `make run` does): the paper's reduced 2 x 2
# experiment, its table and its plain-language verdict.  Args: balnet-binary source-dir build-dir.
#
# The experiment has fixed seeds and its results do not depend on the thread count, so the checks are
# deterministic; they assert the paper's qualitative findings at N <= 4000 (SCIENCE.md): the correlated
# current-based arm has the largest var(V) and it grows with N; the uncorrelated conductance-based arm has
# the smallest and it shrinks with N.  (Measured: 84.8 mV^2, slope +0.18 [+0.06, +0.31]; 7.76 mV^2, slope
# -0.34 [-0.35, -0.32].)
set -u
source "$(dirname "$0")/lib.sh"

(cd "$TMP" && "$BALNET" run > out.txt 2> err.txt)
rc=$?
if [ "$rc" -eq 0 ]; then pass "balnet run (default experiment): exit 0"; else fail "default experiment: exit $rc"; cat "$TMP/err.txt"; fi
sed -n '/^verdict/,$p' "$TMP/out.txt"

if grep -q "^verdict: var(V) of all neurons" "$TMP/out.txt"; then pass "verdict printed"; else fail "no verdict"; fi
arms=$(grep -c "mV^2 at N = 4000" "$TMP/out.txt")
if [ "$arms" -eq 4 ]; then pass "verdict: 4 arms at N = 4000"; else fail "verdict: $arms arms at N = 4000, expected 4"; fi
if grep "c = 0.2, syn = current " "$TMP/out.txt" | grep -q "grows with N.*the largest of the arms"; then
    pass "correlated current-based arm: largest var(V), grows with N"
else fail "correlated current-based arm is not the largest growing one"; fi
if grep "c = 0, syn = conductance " "$TMP/out.txt" | grep -q "shrinks with N.*the smallest of the arms"; then
    pass "uncorrelated conductance-based arm: smallest var(V), shrinks with N"
else fail "uncorrelated conductance-based arm is not the smallest shrinking one"; fi
folder=$(ls -d "$TMP"/results/cancellation-* 2>/dev/null | head -1)
if [ -n "$folder" ] && [ -s "$folder/points.csv" ] && [ -s "$folder/scaling.csv" ]; then
    pass "results folder with points.csv and scaling.csv ($folder)"
else fail "no results folder under $TMP/results"; fi

finish
