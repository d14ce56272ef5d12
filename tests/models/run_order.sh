#!/usr/bin/env bash
# run_order.sh - `simulate { order = [...] }`: each supported order of a step's phases changes V of
# tests/models/order.bn by the hand-computed amount in the first steps, and the JIT and the interpreter give
# identical traces for every order.  Args: balnet-binary source-dir build-dir.
#
# Hand computation (dt = 0.1 ms, C_m = 1 pF, so V_n = V_{n-1} + dt I_seen): the recurrent spike adds
# 10 pA*ms / 1 ms = 10 pA, the input spike 1 pA*ms / 2 ms = 0.5 pA, both arriving at step 1; Euler decay
# factors a = 0.9, b = 0.95 per step.  The neuron update of step 1 sees
#   default [deliver, inputs, update, thresholds]      10 + 0.5           -> V_1 = 1.05 mV
#   [deliver, inputs, synapses, neurons, thresholds]    10 a + 0.5 b       -> V_1 = 0.9475 mV
#   [deliver, synapses, inputs, neurons, thresholds]    10 a + 0.5         -> V_1 = 0.95 mV (authors' loop)
#   [deliver, inputs, neurons, thresholds, synapses]    as the default     -> V_1 = 1.05 mV
# and step 2 adds dt times the next values (10 a + 0.5 b; 10 a^2 + 0.5 b^2; 10 a^2 + 0.5 b; 10 a + 0.5 b).
# Tolerance 1e-12 relative: the decimal hand values differ from the binary results only by rounding.
set -u
source "$(dirname "$0")/lib.sh"

check() {
    local loop=$1 v1=$2 v2=$3
    for e in jit interp; do
        "$BALNET" run tests/models/order.bn --set loop="$loop" --engine $e --out "$TMP/$loop-$e" --quiet \
            2>/dev/null || fail "$loop --engine $e exit $?"
    done
    local f
    f=$(ls "$TMP/$loop-jit"/traces/*.csv)
    rel_close "$loop: V after step 1" "$(awk -F, 'NR == 3 { print $3 }' "$f")" "$v1" 1e-12
    rel_close "$loop: V after step 2" "$(awk -F, 'NR == 4 { print $3 }' "$f")" "$v2" 1e-12
    if cmp "$f" "$TMP/$loop-interp/traces/$(basename "$f")"; then pass "$loop: jit and interp traces identical"
    else fail "$loop: jit and interp traces differ"; fi
}

check default_order 1.05   1.9975
check syn_first     0.9475 1.802625
check authors       0.95   1.8075
check syn_last      1.05   1.9975

# balnet check -v prints the order in force.
out=$("$BALNET" check -v tests/models/order.bn --set loop=authors 2>&1)
if grep -q '^order: deliver, synapses, inputs, neurons, thresholds$' <<<"$out"; then pass "check -v prints the order"
else fail "check -v does not print the order: $(grep order <<<"$out")"; fi
finish
