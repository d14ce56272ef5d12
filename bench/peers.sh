#!/usr/bin/env bash
# bench/peers.sh BUILD - Brian2's C++ standalone mode on the COBA and CUBA benchmarks and on the white-noise
# LIF population of bench/noise.sh (`make bench-peers`).
# Runs bench/peers/brian2_bench.py once per model (each run spends tens of seconds in g++) and prints
# build and loop time next to balnet's.  Brian2 comes from Debian (python3-brian); the script looks for
# it in python3 on PATH, then in the system /usr/bin/python3.  Measurements are printed, never asserted.
set -u
BUILD=${1:-build}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
OUT=${BENCH_OUT:-$BUILD/bench}/peers
PY=
for p in python3 /usr/bin/python3; do
    if command -v "$p" >/dev/null 2>&1 && "$p" -c 'import brian2' >/dev/null 2>&1; then PY=$p; break; fi
done
if [ -z "$PY" ]; then
    echo "Brian2 not installed (apt-get install python3-brian)"
    exit 0
fi
mkdir -p "$OUT"
echo "Brian2 $("$PY" -c 'import brian2; print(brian2.__version__)') C++ standalone, 1 thread, 1 s simulated ($(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg))"
printf '%-6s %10s %12s %12s %12s\n' model rate_Hz build_s loop_ms total_s
for m in coba cuba noise; do
    rm -rf "$OUT/$m"
    line=$(cd "$OUT" && "$PY" "$ROOT/bench/peers/brian2_bench.py" $m "$OUT/$m" 2>"$OUT/$m.err" | grep '^model=')
    if [ -z "$line" ]; then
        echo "$m: Brian2 failed, see $OUT/$m.err"
        continue
    fi
    echo "$line" >"$OUT/$m.txt"
    get() { echo "$line" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
    printf '%-6s %10s %12s %12.1f %12s\n' $m "$(get rate_hz)" "$(get build_s)" "$(awk -v s="$(get run_s)" 'BEGIN{print s*1000}')" "$(get total_s)"
done
