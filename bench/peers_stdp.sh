#!/usr/bin/env bash
# bench/peers_stdp.sh BUILD - balnet against Brian2's C++ standalone mode on COBA with additive STDP on E -> E
# (`make bench-peers-stdp`): rates and the mean weight's trajectory over trials, build and loop times
# (bench/peers/stdp_compare.py; Brian2's model: bench/peers/brian2_stdp.py).  Brian2 comes from Debian
# (python3-brian) in /usr/bin/python3.  Two Brian2 builds of tens of seconds of g++ each, then TRIALS runs
# of each side.  Measurements are printed, never asserted.
# Environment: STDP_DURATION (5, seconds simulated), STDP_TRIALS (4), BENCH_OUT (BUILD/bench).
set -u
BUILD=${1:-build}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
OUT=${BENCH_OUT:-$BUILD/bench}/peers-stdp
PY=/usr/bin/python3
if ! "$PY" -c 'import brian2' >/dev/null 2>&1; then
    echo "Brian2 not installed (apt-get install python3-brian)"
    exit 0
fi
[ -x "$BUILD/balnet" ] || { echo "bench: $BUILD/balnet not found; build first (make build)" >&2; exit 1; }
mkdir -p "$OUT"
echo "Brian2 $("$PY" -c 'import brian2; print(brian2.__version__)' 2>/dev/null) against balnet ($(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg))"
"$PY" "$ROOT/bench/peers/stdp_compare.py" "$BUILD/balnet" "$ROOT" "$OUT" "${STDP_DURATION:-5}" "${STDP_TRIALS:-4}" 2>"$OUT/stderr.txt" ||
    { echo "failed: see $OUT/stderr.txt"; exit 1; }
echo "(load at the end: $(cut -d' ' -f1-3 /proc/loadavg))"
