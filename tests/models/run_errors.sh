#!/usr/bin/env bash
# run_errors.sh - every runtime or command-line failure gives a clear message and a non-zero exit, never a
# crash.  Args: balnet-binary source-dir build-dir.
#
# Checks: the exact exit code where the driver defines one (2: usage errors, 1: model/runtime errors), or
# at least "non-zero and < 128" (>= 128 means a signal: a crash or an abort), and the key words of each
# message (grep -F, so a reworded message fails here and must be updated deliberately).
set -u
source "$(dirname "$0")/lib.sh"

# expect NAME CODE PATTERN... -- COMMAND...: run COMMAND, require exit CODE ("nz": any code 1..127) and
# every fixed-string PATTERN in its stderr+stdout.
expect() {
    local name=$1 code=$2; shift 2
    local pats=()
    while [ "$1" != "--" ]; do pats+=("$1"); shift; done
    shift
    "$@" > "$TMP/out.txt" 2>&1
    local rc=$?
    if [ "$code" = nz ]; then
        if [ "$rc" -gt 0 ] && [ "$rc" -lt 128 ]; then pass "$name: exit $rc"; else fail "$name: exit $rc (want 1..127)"; fi
    elif [ "$rc" -eq "$code" ]; then pass "$name: exit $rc"
    else fail "$name: exit $rc (want $code)"; fi
    for p in "${pats[@]}"; do
        if grep -qF -- "$p" "$TMP/out.txt"; then pass "$name: says '$p'"
        else fail "$name: message lacks '$p'"; sed 's/^/    | /' "$TMP/out.txt" | head -20; fi
    done
}

COBA=models/benchmarks/coba.bn

# ---- runtime guards ------------------------------------------------------------------------------------
# NaN/Inf guard: w overflows at step 79 (tests/models/diverge.bn); the guard runs every 10 steps.
expect "diverging model" 1 "population P" "variable w" "neuron 0" "infinite" "t = 7.9 ms" -- \
    "$BALNET" run tests/models/diverge.bn --out "$TMP/diverge" --quiet
# A failed run leaves a results folder marked incomplete (nothing half-written, nothing claimed).
if grep -q '"complete": false' "$TMP/diverge/run.json" 2>/dev/null; then pass "diverging model: run.json complete=false"
else fail "diverging model: run.json missing or not marked incomplete"; fi
# The interpreter runs the same guard.
expect "diverging model (interp)" 1 "population P" "variable w" "infinite" -- \
    "$BALNET" run tests/models/diverge.bn --engine interp --out "$TMP/diverge-i" --quiet
expect "runaway rate" 1 "population P" "10000.0 Hz" "exceeds the limit of 1000 Hz" -- \
    "$BALNET" run tests/models/runaway.bn --out "$TMP/runaway" --quiet
# 10^7 neurons with p = 0.5: 5e13 synapses, ~200000 GB; refused before allocating, with both numbers.
expect "network too large" 1 "network needs" "GB" "available" -- \
    "$BALNET" run $COBA --set N=10000000 --set p=0.5 --out "$TMP/big" --quiet
expect "missing spike file" nz "missing_spikes.bn:5:18: error" "cannot open" "no_such_spikes_file.csv" -- \
    "$BALNET" run tests/models/missing_spikes.bn --out "$TMP/missing" --quiet

# ---- checks before a run (issue 11) ----------------------------------------------------------------------
# A folded constant that is not finite used to run with exit 0 (V = inf counted as a spike every step).
cat > "$TMP/inf.bn" <<'EOF2'
import lif
param Z = 1/0
population P = lif[10](I_e = 300 pA * Z)
record P: rate
simulate { duration = 10 ms }
EOF2
expect "non-finite param" 1 "inf.bn:2:11: error" "division by zero" -- \
    "$BALNET" run "$TMP/inf.bn" --out "$TMP/inf" --quiet
if [ -e "$TMP/inf" ]; then fail "non-finite param: results folder created"; else pass "non-finite param: no results folder"; fi
# A bad spike file is found when the model is checked, before the results folder exists.
expect "bad spike file" 1 "spikes_bad_row.csv:3: time '5 mV'" -- \
    "$BALNET" run tests/golden/sema_spike_files.bn --out "$TMP/badspikes" --quiet
if [ -e "$TMP/badspikes" ]; then fail "bad spike file: results folder created"; else pass "bad spike file: no results folder"; fi
# A run shows the warnings of its model once (a weight distribution with negative conductances).
cat > "$TMP/negw.bn" <<'EOF2'
import lif, exp_synapses
population P = lif[20](I_e = 300 pA)
connect P -> P via exp_conductance(5 ms, 0 mV) bernoulli(0.2) weight normal(1 nS, 1 nS)
record P: rate
simulate { duration = 10 ms }
EOF2
expect "warning in run" 0 "negw.bn:3:70: warning" "negative conductance for 15.9% of synapses" -- \
    "$BALNET" run "$TMP/negw.bn" --out "$TMP/negw" --quiet
# A synapse that nothing connects and whose param has no default cannot be checked: check -v says so.
cat > "$TMP/nodefault.bn" <<'EOF2'
synapse psc(tau) {
    state I = 0 pA
    dI/dt = -I/tau
    on spike(w) { I += w }
    current I
}
EOF2
expect "check -v lists an unchecked body" 0 "not checked" "synapse psc: its param 'tau' has no default" -- \
    "$BALNET" check -v "$TMP/nodefault.bn"

# ---- --set -----------------------------------------------------------------------------------------------
expect "--set unknown name" 1 "<command line>:1:1: error" "'Nn' is not a param" "did you mean 'N'?" -- \
    "$BALNET" check $COBA --set Nn=100
expect "--set unknown name lists what can be set" 1 "note: what can be set: N, " "(params)" "duration" \
    "population and synapse arguments: E.C_m" -- "$BALNET" check $COBA --set bogus=1
expect "--set dotted name, misspelt" 1 "--set 'E.I_ee': neuron 'lif' of population 'E' has no param or state 'I_ee'; did you mean 'I_e'?" -- \
    "$BALNET" check $COBA --set "E.I_ee=1 pA"
expect "--set dotted name, unknown owner" 1 "'Q' is not a population or a synapse" -- "$BALNET" check $COBA --set "Q.I_e=1 pA"
expect "--set dotted value of the wrong dimension" 1 "<command line>:1:7: error: 'E.I_e' is given voltage (mV), but it is current (pA)" \
    "note: 'I_e' declared here" -- "$BALNET" check $COBA --set "E.I_e=1 mV"
expect "--set synapse parameter of the wrong dimension" 1 "'exp_conductance.tau' is given voltage (mV), but it is time (ms)" -- \
    "$BALNET" check $COBA --set "exp_conductance.tau=1 mV"
expect "--set variant list with a bad alternative" 1 "<command line>:1:15: error: 'bogus' is not an alternative of variant 'syn'" -- \
    "$BALNET" check models/paper/cancellation.bn --set "syn=[current, bogus]"
n=$("$BALNET" check models/paper/cancellation.bn --set "syn=[current, bogus]" 2>&1 | grep -c "is not an alternative")
[ "$n" = 1 ] && pass "bad variant alternative reported once" || fail "bad variant alternative reported $n times"
expect "--set value of the wrong dimension for a param" 1 "<command line>:1:3: error: --set N: the value is voltage (mV), but 'N' is dimensionless" "note: 'N' declared here" -- \
    "$BALNET" check $COBA --set N=100mV
expect "--set unknown unit" 1 "<command line>:1:12: error: unknown unit 'xyz'" -- \
    "$BALNET" check $COBA --set "duration=5 xyz"
expect "--set wrong dimension" 1 "<command line>:1:10: error: duration must be time (ms) but is voltage (mV)" -- \
    "$BALNET" check $COBA --set "duration=5 mV"
expect "--set syntax error" 1 "<command line>:1:6: error" "N=(1+" "     ^" -- \
    "$BALNET" check $COBA --set "N=(1+"
expect "--set without =" 2 "expected NAME=VALUE" -- "$BALNET" check $COBA --set N

# ---- command line ----------------------------------------------------------------------------------------
expect "unknown option" 2 "unknown option '--bogus'" "balnet --help" -- "$BALNET" run $COBA --bogus
expect "bad --threads" 2 "--threads 'x'" -- "$BALNET" run $COBA --threads x
expect "bad --engine" 2 "unknown engine 'foo'" -- "$BALNET" run $COBA --engine foo
expect "unknown command" 2 "unknown command 'frobnicate'" -- "$BALNET" frobnicate
expect "check without file" 2 "missing model file" -- "$BALNET" check
expect "missing model file" 1 "cannot open" "no_such_model.bn" -- "$BALNET" run "$TMP/no_such_model.bn" --out "$TMP/nm"
finish
