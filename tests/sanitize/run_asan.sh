#!/usr/bin/env bash
# run_asan.sh - AddressSanitizer + UndefinedBehaviorSanitizer over the whole front end and a short run of
# both engines.  Args: balnet-binary (unused: we build our own) source-dir build-dir.
#
# Builds balnet once in BUILD/asan (Debug, -fsanitize=address,undefined, recover off) and reuses that
# directory afterwards (an incremental build when sources changed).  Then:
#   - `balnet check` over tests/golden/*.bn (many are deliberately invalid: error paths must be clean too),
#     models/**/*.bn and the fuzz seed corpus tests/fuzz/corpus/*; the exit code of check is not judged
#     (invalid input must fail), only that no sanitizer fired (ASan/UBSan exit with a report on stderr);
#   - `balnet run` of COBA for 50 ms with --engine interp and --engine jit.
# Any sanitizer report ("ERROR: AddressSanitizer", "runtime error:", "ERROR: LeakSanitizer") or an exit by
# signal (>= 128: abort_on_error makes a report an abort) fails the test.  No tolerance: one report is a bug.
source "$(dirname "$0")/lib.sh"
sanitizer_build asan Debug "-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" \
    "-fsanitize=address,undefined"

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
# An error path of the runtime (guard stop, results folder marked incomplete) must be clean as well.
sanitized "run diverge.bn (guard)" "$BN" run tests/models/diverge.bn --out "$TMP/diverge" --quiet &&
    echo "ok:   runtime error path"

if [ "$FAILS" -ne 0 ]; then echo "$FAILS sanitizer failure(s)"; exit 1; fi
echo "no sanitizer reports"
