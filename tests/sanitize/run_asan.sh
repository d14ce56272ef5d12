#!/usr/bin/env bash
# run_asan.sh - AddressSanitizer + UndefinedBehaviorSanitizer over the whole front end and a short run of
# both engines.  Args: balnet-binary (unused: we build our own) source-dir build-dir.
#
# Builds balnet once in BUILD/asan (Debug, -fsanitize=address,undefined, recover off) and reuses that
# directory afterwards (an incremental build when sources changed).  Then:
#   - `balnet check` over tests/golden/*.bn (many are deliberately invalid: error paths must be clean too),
#     models/**/*.bn and the fuzz seed corpus tests/fuzz/corpus/*; the exit code of check is not judged
#     (invalid input must fail), only that no sanitizer fired (ASan/UBSan exit with a report on stderr);
#   - `balnet run` of COBA for 50 ms with --engine interp and --engine jit, of plastic.bn, and of traces.bn
#     with its spikes and recordings written as HDF5;
#   - runs of tests/sanitize/oom.bn with allocations failing (below).
# Any sanitizer report ("ERROR: AddressSanitizer", "runtime error:", "ERROR: LeakSanitizer") or an exit by
# signal (>= 128: abort_on_error makes a report an abort) fails the test.  No tolerance: one report is a bug.
source "$(dirname "$0")/lib.sh"
sanitizer_build asan Debug "-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" \
    "-fsanitize=address,undefined" -DBN_FAULT_INJECTION=ON

# LLVM's own allocations in the JIT are not instrumented, but leaks are still reported through malloc;
# a leak in balnet or in LLVM use (a missing dispose) is a bug either way.
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:halt_on_error=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
FAILS=0
NCHECK=0

# sanitized NAME COMMAND...: run, fail on any sanitizer report or a death by signal.
sanitized() {
    local name=$1; shift
    "$@" > "$TMP/out.txt" 2>&1
    local rc=$?
    if [ "$rc" -ge 128 ] || grep -qE "ERROR: (Address|Leak)Sanitizer|runtime error:|SUMMARY: (Address|UndefinedBehavior)Sanitizer" "$TMP/out.txt"; then
        echo "FAIL: $name (exit $rc)"
        sed 's/^/    | /' "$TMP/out.txt" | head -60
        FAILS=$((FAILS + 1))
        return 1
    fi
    return 0
}

shopt -s nullglob globstar
for f in tests/golden/*.bn models/**/*.bn tests/models/*.bn tests/fuzz/corpus/*; do
    [ -f "$f" ] || continue
    NCHECK=$((NCHECK + 1))
    sanitized "check $f" "$BN" check "$f"
done
echo "checked $NCHECK files"
if [ "$NCHECK" -lt 20 ]; then echo "FAIL: only $NCHECK files found to check"; FAILS=$((FAILS + 1)); fi

# COBA's 4000 neurons are split over the 2 threads (BALNET_NEURONS_PER_THREAD lowers the threshold).
for e in interp jit; do
    if BALNET_NEURONS_PER_THREAD=64 sanitized "run coba 50 ms --engine $e" "$BN" run models/benchmarks/coba.bn \
        --set duration=50ms --engine $e --threads 2 --out "$TMP/coba-$e" --quiet; then
        if [ -s "$TMP/coba-$e/points.csv" ]; then echo "ok:   run coba --engine $e"
        else echo "FAIL: run coba --engine $e wrote no points.csv"; FAILS=$((FAILS + 1)); fi
    fi
done
# Plastic projections: both engines' events, the target-major index, the recordings, on 2 threads; and
# plastic_more.bn: per-synapse delays, random initial states, followed synapses.
for e in interp jit; do
    for f in plastic plastic_more; do
        BALNET_NEURONS_PER_THREAD=32 sanitized "run $f.bn --engine $e" "$BN" run tests/models/$f.bn \
            --set duration=50ms --engine $e --threads 2 --out "$TMP/$f-$e" --quiet &&
            echo "ok:   run $f.bn --engine $e"
    done
done
# The load balance moving the threads' bounds every 7 steps (runtime/layout.c: values moved between the
# threads' slots of every column), on 3 threads, both engines.
for e in interp jit; do
    BALNET_NEURONS_PER_THREAD=64 BALNET_BALANCE_SHUFFLE=1 BALNET_BALANCE_EVERY=7 sanitized "run layout.bn, bounds \
shuffled, --engine $e" "$BN" run tests/models/layout.bn --set duration=100ms --engine $e --threads 3 \
        --out "$TMP/layout-$e" --quiet && echo "ok:   run layout.bn, bounds shuffled, --engine $e"
done
# Spikes and recordings kept in memory and written as HDF5 (results/h5.c, runtime/table.c), items on 2 threads.
sanitized "run traces.bn --spikes FILE.h5" "$BN" run tests/models/traces.bn --set "trial=1..2" --set duration=100ms \
    --threads 2 --out "$TMP/traces" --spikes "$TMP/traces.h5" --quiet && echo "ok:   run traces.bn --spikes FILE.h5"
# An error path of the runtime (guard stop, results folder marked incomplete) must be clean as well.
sanitized "run diverge.bn (guard)" "$BN" run tests/models/diverge.bn --out "$TMP/diverge" --quiet &&
    echo "ok:   runtime error path"

# Out of memory anywhere (issue 11 item 11): this build fails every Nth allocation of balnet's own code on
# request (tests/sanitize/fail_alloc.c, BALNET_FAIL_ALLOC=N).  tests/sanitize/oom.bn is run with N walking
# from 1 to the run's allocation count, geometrically (x1.5; OOM_WALK=all walks every N): each run must end
# with exit 0, or exit 1..127 and an error message, no sanitizer report (no leak, no bad access, in any
# thread), and a points.csv, if there is one, whose every line is whole.  The interpreter engine: LLVM
# aborts on a failed allocation of its own, by design.
oom_run() {
    BALNET_FAIL_ALLOC=$1 "$BN" run tests/sanitize/oom.bn --engine interp --threads 2 --out "$TMP/oom" --quiet
}
rm -rf "$TMP/oom"
total=$(oom_run 0 2>&1 | sed -n 's/^balnet: allocations: //p')
if [ -z "$total" ] || [ "$total" -lt 50 ]; then
    echo "FAIL: allocation count of the oom.bn run: '${total}' (is this build configured with BN_FAULT_INJECTION?)"
    FAILS=$((FAILS + 1))
    total=0
fi
nwalk=0
n=1
while [ "$n" -le "$total" ]; do
    rm -rf "$TMP/oom"
    nwalk=$((nwalk + 1))
    oom_run "$n" > "$TMP/out.txt" 2>&1
    rc=$?
    what="out of memory at every ${n}th allocation"
    if [ "$rc" -ge 128 ] || grep -qE "ERROR: (Address|Leak)Sanitizer|runtime error:|SUMMARY: (Address|UndefinedBehavior)Sanitizer" "$TMP/out.txt"; then
        echo "FAIL: $what (exit $rc)"; sed 's/^/    | /' "$TMP/out.txt" | head -40; FAILS=$((FAILS + 1))
    elif [ "$rc" -ne 0 ] && ! grep -q "error" "$TMP/out.txt"; then
        echo "FAIL: $what: exit $rc without an error message"; sed 's/^/    | /' "$TMP/out.txt" | head; FAILS=$((FAILS + 1))
    fi
    if [ -f "$TMP/oom/points.csv" ] && { ! awk -F, 'NR == 1 { n = NF } NF != n { bad = 1 } END { exit bad }' "$TMP/oom/points.csv" ||
                                         [ -n "$(tail -c 1 "$TMP/oom/points.csv")" ]; }; then
        echo "FAIL: $what: points.csv has a broken line"; FAILS=$((FAILS + 1))
    fi
    if [ "${OOM_WALK:-}" = all ]; then n=$((n + 1)); else n=$((n * 3 / 2 > n ? n * 3 / 2 : n + 1)); fi
done
echo "ok:   $nwalk out-of-memory runs over $total allocations: no crash, leak or broken points.csv"

if [ "$FAILS" -ne 0 ]; then echo "$FAILS sanitizer failure(s)"; exit 1; fi
echo "no sanitizer reports"
