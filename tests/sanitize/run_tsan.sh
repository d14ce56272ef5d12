#!/usr/bin/env bash
# run_tsan.sh - ThreadSanitizer over the threaded runtime: one network split over 2 and 3 threads.
# Args: balnet-binary (unused: we build our own) source-dir build-dir.
#
# The runtime's threads share no locks: they meet at one barrier per step (runtime/pool.c), write only
# their own neurons and queue segments, and decide stops from step-stamped records (runtime/sim.c).  A
# data race there would make results depend on timing, so this test builds balnet in BUILD/tsan
# (-fsanitize=thread, shared libLLVM for a fast link; the JIT's kernels are not instrumented, the runtime
# around them is) and runs, with BALNET_NEURONS_PER_THREAD lowered so that small networks really split:
#   - COBA (statistics summed in the kernels, 2 threads);
#   - the paper network at N = 2800 on 3 threads with a spike file (inputs on thread 0, the serial
#     per-step part, and a Bernoulli build of 1.0 M synapses drawn by the threads);
#   - per-synapse delays (rings), a non-finite state and a runaway rate (stops decided by every thread);
#   - the load balance moving the threads' bounds (runtime/layout.c) every 7 steps, with a recording.
# Every run on 2 or 3 threads also compiles its kernel parts on that many threads while the network is built
# (compiler/jit/jit.c, api/item.c); LLVM itself is not instrumented and its interceptor calls are suppressed
# (tsan.supp says why).
# Any "WARNING: ThreadSanitizer" or an exit by signal fails the test.  No tolerance: one report is a bug.
source "$(dirname "$0")/lib.sh"
sanitizer_build tsan RelWithDebInfo "-fsanitize=thread" "-fsanitize=thread" -DBN_LLVM_STATIC=OFF
export TSAN_OPTIONS="halt_on_error=1 suppressions=$SRC/tests/sanitize/tsan.supp"
export BALNET_NEURONS_PER_THREAD=8
FAILS=0

# tsan NAME THREADS EXPECT_RC ARGS...: a run on THREADS threads; fails on a report, a signal, or another
# exit code; checks timings.csv says the network used THREADS threads when the run completes.
tsan() {
    local name=$1 nt=$2 want=$3; shift 3
    rm -rf "$TMP/out"
    "$BN" run "$@" --threads "$nt" --quiet --out "$TMP/out" > "$TMP/log" 2>&1
    local rc=$?
    if [ "$rc" -ge 128 ] || grep -q "WARNING: ThreadSanitizer" "$TMP/log"; then
        echo "FAIL: $name (exit $rc)"; sed 's/^/    | /' "$TMP/log" | head -60; FAILS=$((FAILS + 1)); return
    fi
    if [ "$rc" -ne "$want" ]; then
        echo "FAIL: $name: exit $rc, expected $want"; sed 's/^/    | /' "$TMP/log" | head -20; FAILS=$((FAILS + 1)); return
    fi
    if [ "$want" -eq 0 ]; then
        local used
        used=$(awk -F, 'NR == 2 {print $8}' "$TMP/out/timings.csv")
        if [ "$used" != "$nt" ]; then echo "FAIL: $name ran on '$used' threads, not $nt"; FAILS=$((FAILS + 1)); return; fi
    fi
    echo "ok:   $name: no race reported ($nt threads)"
}

tsan "COBA, statistics in the kernels" 2 0 models/benchmarks/coba.bn --set duration=200ms --no-cache
tsan "paper N = 2800, inputs, spike file, parallel build" 3 0 models/paper/cancellation.bn --set N=2800 \
    --set c=0.2 --set syn=conductance --set trial=1 --set duration=200ms --set burn_in=50ms --spikes "$TMP/s.csv"
tsan "per-synapse delays" 2 0 tests/models/random_delays.bn
BALNET_NEURONS_PER_THREAD=32 tsan "plastic projections (pre and post events, recordings)" 2 0 tests/models/plastic.bn --set duration=200ms
BALNET_NEURONS_PER_THREAD=32 tsan "plastic, per-synapse delays and random initial states" 2 0 tests/models/plastic_more.bn --set duration=50ms
BALNET_NEURONS_PER_THREAD=64 BALNET_BALANCE_SHUFFLE=1 BALNET_BALANCE_EVERY=7 tsan "the load balance moving the bounds" 3 0 \
    tests/models/layout.bn --set duration=100ms
tsan "non-finite state stops every thread" 2 1 tests/models/diverge.bn
tsan "runaway rate stops every thread" 2 1 tests/models/runaway.bn

if [ "$FAILS" -gt 0 ]; then echo "$FAILS failure(s)"; exit 1; fi
echo "all ThreadSanitizer runs clean"
