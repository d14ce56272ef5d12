#!/usr/bin/env bash
# bench/mpi.sh BUILD - a sweep over MPI ranks against the same sweep on the threads of one process
# (docs/cluster.md).  Prints, never asserts.
#
# The sweep: the paper network (models/paper/cancellation.bn), N in [2000, 4000], syn in [current,
# conductance], c = 0.2, trials 1..2, 1 s: 8 items, kernels from a warm cache (BENCH_OUT's).  Runs
#   1 process x 2 threads (items in parallel on the threads), 2 ranks x 1 thread, 1 process x 1 thread,
# and prints for each the sweep's wall time (run.json), the whole command's (mpirun's start included), and
# whether points.csv equals the first run's (it must: docs/cluster.md).
#
# Environment: BENCH_OUT (BUILD/bench-mpi); MPIRUN (mpirun; --oversubscribe and --allow-run-as-root added).
set -u
BUILD=${1:-build}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
BIN=$BUILD/balnet
OUT=${BENCH_OUT:-$BUILD/bench-mpi}
MPIRUN=("${MPIRUN:-mpirun}" --oversubscribe --allow-run-as-root)
if "$BIN" --version | grep -q "not built in"; then
    echo "bench/mpi.sh: $BIN has no MPI built in"
    exit 0
fi
cd "$ROOT" || exit 1
rm -rf "$OUT"
mkdir -p "$OUT"
export BALNET_CACHE_DIR=$OUT/kernel-cache
ARGS=(models/paper/cancellation.bn --set "N=[2000,4000]" --set "syn=[current,conductance]" --set c=0.2
      --set trial=1..2 --set duration=1s --quiet)

# run NAME THREADS [launcher...]: one sweep into OUT/NAME.
run() {
    local name=$1 threads=$2 t0 t1 sweep same
    shift 2
    t0=$(date +%s.%N)
    if ! "$@" "$BIN" run "${ARGS[@]}" --threads "$threads" --out "$OUT/$name" 2> "$OUT/$name.err"; then
        echo "$name: failed"
        cat "$OUT/$name.err"
        return
    fi
    t1=$(date +%s.%N)
    sweep=$(sed -n 's/^  "wall_s": \([0-9.e+-]*\),*$/\1/p' "$OUT/$name/run.json")
    same=$(cmp -s "$OUT/$name/points.csv" "$OUT/warm/points.csv" && echo yes || echo NO)
    printf '%-22s sweep %6.2f s   command %6.2f s   points.csv == 1 process: %s\n' "$name" "$sweep" \
        "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')" "$same"
}

"$BIN" run "${ARGS[@]}" --threads 2 --out "$OUT/warm" 2> /dev/null   # fills the kernel cache
echo "8 items (paper network, N in [2000, 4000] x syn x 2 trials, 1 s); $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
run "1 process x 2 threads" 2
run "2 ranks x 1 thread" 1 "${MPIRUN[@]}" -np 2
run "1 process x 1 thread" 1
