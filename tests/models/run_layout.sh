#!/usr/bin/env bash
# run_layout.sh - the per-thread column layout (runtime/layout.h): with more than one thread every thread's
# neurons sit RT_GAP elements after the previous thread's in every per-neuron column, so whoever reads a
# column whole must map each neuron to its slot.  Args: balnet-binary source-dir build-dir.
#   1. tests/models/layout.bn (per-neuron initial values and parameters, per-synapse delays, dense rows,
#      mean, binned and clipped var, cov, a trace of all 300 neurons of E) on 2 and 3 threads, in double and
#      single precision: points.csv, the spikes and the trace file equal the 1-thread run's, byte for byte.
#   2. tests/models/diverge_one.bn: the non-finite guard names the same neuron (378, in the second thread's
#      chunk) and time on 1 and 3 threads.
#   3. The load balance (runtime/layout.c) moving the bounds at every 7th step to pseudo-random shares
#      (BALNET_BALANCE_SHUFFLE): chunks grow, shrink and empty, and every value must move with its neuron.
#      layout.bn in double and single, and the plastic models (per-thread copies of per-source states, a
#      `weights` recording): points.csv, spikes and recordings equal 1 thread's on 2 and 3 threads.
# Tolerance: none (cmp).  A neuron read at its logical index instead of its slot reads another neuron or a
# gap's zeros, which changes the trace, the statistics or the message.
set -u
source "$(dirname "$0")/lib.sh"

for prec in double single; do
    "$BALNET" run tests/models/layout.bn --set precision=$prec --threads 1 --spikes "$TMP/$prec-1.csv" \
        --out "$TMP/$prec-1" --quiet || fail "$prec, 1 thread: exit $?"
    [ "$(wc -l < "$TMP/$prec-1.csv")" -gt 1000 ] && pass "$prec: more than 1000 spikes" || fail "$prec: too few spikes"
    for t in 2 3; do
        BALNET_NEURONS_PER_THREAD=64 "$BALNET" run tests/models/layout.bn --set precision=$prec --threads $t \
            --spikes "$TMP/$prec-$t.csv" --out "$TMP/$prec-$t" --quiet || fail "$prec, $t threads: exit $?"
        used=$(awk -F, 'NR == 2 {print $8}' "$TMP/$prec-$t/timings.csv")
        [ "$used" = "$t" ] && pass "$prec: the network ran on $t threads" || fail "$prec: ran on '$used' threads, not $t"
        for f in points.csv traces/p0-t1-E-trace_V.csv; do
            if cmp "$TMP/$prec-1/$f" "$TMP/$prec-$t/$f"; then pass "$prec, $t threads: $f equals 1 thread's"
            else fail "$prec, $t threads: $f differs from 1 thread's"; fi
        done
        cmp "$TMP/$prec-1.csv" "$TMP/$prec-$t.csv" && pass "$prec, $t threads: the spikes equal 1 thread's" ||
            fail "$prec, $t threads: the spikes differ from 1 thread's"
    done
done
rows=$(($(wc -l < "$TMP/double-1/traces/p0-t1-E-trace_V.csv") - 1))
[ "$rows" -eq 15000 ] && pass "trace of E: $rows rows (300 neurons x 50 samples)" || fail "trace of E: $rows rows"

msg() { sed -n 's/.*\(population P: .*\)/\1/p' "$1"; }
"$BALNET" run tests/models/diverge_one.bn --threads 1 --out "$TMP/d1" --quiet 2>"$TMP/d1.err" &&
    fail "diverge_one, 1 thread: exit 0"
BALNET_NEURONS_PER_THREAD=64 "$BALNET" run tests/models/diverge_one.bn --threads 3 --out "$TMP/d3" --quiet \
    2>"$TMP/d3.err" && fail "diverge_one, 3 threads: exit 0"
m1=$(msg "$TMP/d1.err"); m3=$(msg "$TMP/d3.err")
case "$m1" in *"neuron 378 is infinite at t = 8.9 ms"*) pass "diverge_one, 1 thread: $m1" ;;
    *) fail "diverge_one, 1 thread: '$m1', expected neuron 378 at 8.9 ms" ;; esac
[ -n "$m3" ] && [ "$m1" = "$m3" ] && pass "diverge_one, 3 threads: the same message" ||
    fail "diverge_one, 3 threads: '$m3'"

same_shuffled() {   # LABEL REF MODEL ARGS...: REF is the 1-thread run's folder (its spikes in REF.csv)
    local label=$1 ref=$2 t f tag=${1// /_}
    shift 2
    for t in 2 3; do
        BALNET_BALANCE_SHUFFLE=1 BALNET_BALANCE_EVERY=7 BALNET_NEURONS_PER_THREAD=32 "$BALNET" run "$@" --threads $t \
            --spikes "$TMP/sh-$tag-$t.csv" --out "$TMP/sh-$tag-$t" --quiet || fail "$label, shuffled, $t threads: exit $?"
        local bad=
        cmp -s "$ref.csv" "$TMP/sh-$tag-$t.csv" || bad="$bad spikes"
        for f in $(cd "$ref" && find . -name '*.csv' ! -name timings.csv | sort); do
            cmp -s "$ref/$f" "$TMP/sh-$tag-$t/$f" || bad="$bad $f"
        done
        [ -z "$bad" ] && pass "$label, bounds shuffled every 7 steps, $t threads: everything equals 1 thread's" ||
            fail "$label, bounds shuffled, $t threads: differ:$bad"
    done
}
same_shuffled "layout.bn double" "$TMP/double-1" tests/models/layout.bn --set precision=double
same_shuffled "layout.bn single" "$TMP/single-1" tests/models/layout.bn --set precision=single
for f in plastic plastic_more; do
    "$BALNET" run tests/models/$f.bn --threads 1 --spikes "$TMP/$f.csv" --out "$TMP/$f" --quiet || fail "$f: exit $?"
    same_shuffled "$f.bn" "$TMP/$f" tests/models/$f.bn
done
finish
