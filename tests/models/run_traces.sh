#!/usr/bin/env bash
# Recordings for plots: tests/models/traces.bn, a 250-neuron LIF network at ~12 / 60 Hz.
#   rate_trace  the mean of the column equals the `rate` statistic of points.csv (both are spikes / (N T);
#               the bins tile the run, printed with 17 digits: relative tolerance 1e-9), one row per 1 ms bin;
#   trace       V of neuron 0 every step: at every spike of neuron 0 (raster) the sample is V_re = -60 mV
#               exactly (the reset, then the refractory clamp), the sample before it is below V_th, and every
#               step down to -60 mV is a spike; duration/every samples per neuron;
#   raster      equals the rows of --spikes for the first k neurons, with time (step + 1) dt;
#   caps        a trace longer than 100000 rows stops there and ends with a "# truncated" line;
#   errors      neurons < 1, every < dt, a fractional neuron count, trace() of 'all', a recording inside an
#               expression are located errors;
#   nothing     of it reaches points.csv, no .tmp file is left behind.
set -u
source "$(dirname "$0")/lib.sh"

model=tests/models/traces.bn
"$BALNET" run $model --out "$TMP/r" --spikes "$TMP/spikes.csv" -q 2>"$TMP/err.txt" || { fail "run"; cat "$TMP/err.txt"; }
T=$TMP/r/traces

# ---- rate_trace against the rate statistic ---------------------------------------------------------
for pop in E I all; do
    f=$T/p0-t1-$pop-rate_trace.csv
    mean=$(awk -F, 'NR > 1 && !/^#/ { s += $2; n++ } END { if (n) printf "%.17g", s / n; else print "missing" }' "$f")
    rate=$(value "$TMP/r/points.csv" population=$pop statistic=rate)
    rel_close "$pop: mean of rate_trace (Hz) vs rate" "$mean" "$rate" 1e-9
    rows=$(awk 'NR > 1' "$f" | wc -l)
    [ "$rows" -eq 1000 ] && pass "$pop: rate_trace has 1000 bins of 1 ms" || fail "$pop: rate_trace has $rows rows, want 1000"
done
[ "$(head -1 "$T/p0-t1-E-rate_trace.csv")" = "time_ms,rate_hz" ] && pass "rate_trace header" || fail "rate_trace header"
in_range "E: rate (Hz), so the traces have spikes to show" "$(value "$TMP/r/points.csv" population=E statistic=rate)" 3 100

# ---- V trace of neuron 0 against its spikes ------------------------------------------------------------
vf=$T/p0-t1-E-vfine.csv
[ "$(head -1 "$vf")" = "time_ms,neuron,V_mV" ] && pass "trace header (the value column with its unit)" || fail "trace header: $(head -1 "$vf")"
rows=$(awk 'NR > 1' "$vf" | wc -l)
[ "$rows" -eq 20000 ] && pass "vfine: 10000 samples x 2 neurons" || fail "vfine: $rows rows, want 20000"
rows=$(awk 'NR > 1' "$T/p0-t1-E-trace_V.csv" | wc -l)
[ "$rows" -eq 6000 ] && pass "trace_V: 1000 ms / 0.5 ms = 2000 samples x 3 neurons" || fail "trace_V: $rows rows, want 6000"
# Spike times of neuron 0 from the raster; V samples of neuron 0.
awk -F, 'NR > 1 && $2 == 0 { print $1 }' "$T/p0-t1-E-raster.csv" > "$TMP/sp0.txt"
nsp=$(wc -l < "$TMP/sp0.txt")
in_range "neuron 0: spikes in 1 s" "$nsp" 3 1000
bad=$(awk -F, 'FNR == NR { spike[$1] = 1; next }
               FNR > 1 && $2 == 0 {
                   if ($1 in spike) { if ($3 != -60 || !(prev < -50)) bad++ ; seen++ }
                   else if ($3 == -60 && prev != -60) bad++         # a reset without a spike
                   prev = $3 }
               END { print bad + 0, seen + 0 }' "$TMP/sp0.txt" "$vf")
[ "$bad" = "0 $nsp" ] && pass "neuron 0: V = V_re at each of its $nsp spikes, below V_th the step before, no other resets" \
                      || fail "neuron 0: (mismatches, spikes seen in the trace) = ($bad), spikes $nsp"

# ---- raster against --spikes -------------------------------------------------------------------------
for spec in E:20 I:10; do
    pop=${spec%:*} k=${spec#*:}
    awk -F, -v p=$pop -v k=$k 'NR > 1 && $1 == p && $3 < k { printf "%.12g,%d\n", ($2 + 1) * 0.1, $3 }' \
        "$TMP/spikes.csv" > "$TMP/want-$pop.csv"
    awk 'NR > 1' "$T/p0-t1-$pop-raster.csv" > "$TMP/got-$pop.csv"
    n=$(wc -l < "$TMP/want-$pop.csv")
    if [ "$n" -gt 0 ] && cmp -s "$TMP/want-$pop.csv" "$TMP/got-$pop.csv"; then
        pass "$pop: raster of the first $k neurons = the $n matching rows of --spikes"
    else
        fail "$pop: raster differs from --spikes ($n rows expected)"; diff "$TMP/want-$pop.csv" "$TMP/got-$pop.csv" | head -5
    fi
done

# ---- nothing in points.csv, nothing half-written -----------------------------------------------------
if grep -qE 'rate_trace|trace_V|vfine|raster' "$TMP/r/points.csv"; then fail "recordings leaked into points.csv"
else pass "points.csv has no recording rows"; fi
# Beside each recording its plot script, and with gnuplot its PNG and SVG (issue 11 item 13); nothing else.
left=$(ls "$T" | grep -vE '\.(csv|gp|png|svg)$' | grep -vxE 'all\.gp|gnuplot\.log')
[ -z "$left" ] && pass "only recordings and their plots in traces/" || fail "left over: $left"
for f in "$T"/*.csv; do
    b=${f%.csv}
    [ -s "$b.gp" ] || fail "no plot script for $(basename "$f")"
    if command -v gnuplot > /dev/null; then
        [ -s "$b.png" ] && [ -s "$b.svg" ] && pass "$(basename "$b").png and .svg" || fail "no PNG/SVG for $(basename "$f")"
    fi
done
grep -q 'every 3::(1+j) using 1:3' "$T/p0-t1-E-trace_V.gp" && pass "V trace: one line per neuron (3)" ||
    fail "V trace script does not split the 3 neurons"
grep -q '^set ylabel "V \[mV\]"' "$T/p0-t1-E-trace_V.gp" && pass "V trace: y label with the unit" ||
    fail "V trace y label: $(grep ylabel "$T/p0-t1-E-trace_V.gp")"
if command -v gnuplot > /dev/null; then
    [ -s "$T/gnuplot.log" ] && fail "gnuplot warned: $(head -3 "$T/gnuplot.log")" || pass "gnuplot ran without warnings"
fi
[ "$(ls "$T"/*.csv | wc -l)" -eq 7 ] && pass "7 recording files" || fail "files: $(ls "$T" | tr '\n' ' ')"

# ---- the cap: 5.01 s of vfine is 50100 x 2 rows > 100000 ---------------------------------------------
"$BALNET" run $model --out "$TMP/cap" -q --set duration=5.01s 2>/dev/null || fail "run of 5.01 s"
vf=$TMP/cap/traces/p0-t1-E-vfine.csv
rows=$(awk 'NR > 1 && !/^#/' "$vf" | wc -l)
[ "$rows" -eq 100000 ] && pass "vfine stops at the cap of 100000 rows" || fail "vfine: $rows rows at the cap"
if tail -1 "$vf" | grep -q '^# truncated: at most 100000 rows per file; samples from t = 5000.1 ms on'; then
    pass "vfine ends with the truncation line"
else fail "vfine last line: $(tail -1 "$vf")"; fi
if tail -1 "$TMP/cap/traces/p0-t1-E-trace_V.csv" | grep -q '^#'; then fail "trace_V (30060 rows) truncated"
else pass "trace_V (30060 rows) is not truncated"; fi

# ---- errors ----------------------------------------------------------------------------------------------
bad_model() {   # NAME SED-EXPR PATTERN: the edited model fails with PATTERN (file:line:col: error: ...)
    sed "$2" $model > "$TMP/bad.bn"
    if "$BALNET" check "$TMP/bad.bn" > "$TMP/bad.txt" 2>&1; then fail "$1: accepted"
    elif grep -qE -- "$3" "$TMP/bad.txt"; then pass "$1: $(grep -m1 error "$TMP/bad.txt")"
    else fail "$1: message"; sed 's/^/    | /' "$TMP/bad.txt" | head -8; fi
}
bad_model "neurons = 0" 's/raster(neurons = 20)/raster(neurons = 0)/' \
    'bad.bn:14:[0-9]+: error: neurons must be at least 1 \(got 0\)'
bad_model "neurons = 2.5" 's/neurons = 3,/neurons = 2.5,/' 'bad.bn:14:[0-9]+: error: neurons must be a whole number'
bad_model "every < dt" 's/every = 0.5 ms/every = 0.05 ms/' \
    'bad.bn:14:[0-9]+: error: every \(0.05 ms\) must be at least dt \(0.1 ms\)'
bad_model "bin < dt" 's/bin = 1 ms/bin = 0.01 ms/' 'bad.bn:13:[0-9]+: error: bin \(0.01 ms\) must be at least dt'
bad_model "every without time" 's/every = 0.5 ms/every = 0.5/' 'bad.bn:14:[0-9]+: error: .*every'
bad_model "trace of all" 's/^record E: trace/record E, all: trace/' \
    "bad.bn:14:[0-9]+: error: trace\(\) records single neurons; list the populations instead of 'all'"
bad_model "unknown option" 's/raster(neurons = 20)/raster(neurons = 20, every = 1 ms)/' \
    "bad.bn:14:[0-9]+: error: raster\(\) has no option 'every'"
bad_model "trace without expression" 's/trace(V, neurons = 3, every = 0.5 ms)/trace(neurons = 3)/' \
    'bad.bn:14:[0-9]+: error: trace\(\) needs an expression'
bad_model "recording inside an expression" 's/rate, rate_trace(bin = 1 ms)/rate, x = 2*rate_trace(bin = 1 ms)/' \
    'bad.bn:13:[0-9]+: error: the recording rate_trace\(\) is an entry of a record on its own, not a value'
finish
