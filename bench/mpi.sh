#!/usr/bin/env bash
# bench/mpi.sh BUILD - a sweep over MPI ranks against the same sweep on the threads of one process
# (docs/cluster.md).  Prints, never asserts.
#
# The sweep: the paper network (models/paper/cancellation.bn), N in [2000, 4000], syn in [current,
# conductance], c = 0.2, trials 1..2, 1 s: 8 items, kernels from a warm cache (BENCH_OUT's).  Runs
#   1 process x 2 threads (items in parallel on the threads), 2 ranks x 1 thread, 1 process x 1 thread,
# and prints for each the sweep's wall time (run.json), the whole command's (mpirun's start included), and
# whether points.csv equals the first run's (it must: docs/cluster.md).  Then the same sweep on 4 ranks
# (oversubscribed on a 2-core machine; mpi_yield_when_idle lets a waiting rank yield its core): a sweep
# (K = 1), 2 groups of 2 ranks each splitting its items (--ranks-per-point 2: 2 items at once), 1 group
# of 4 (--ranks-per-point 4: one item at a time over all four).
#
# Then one network split over ranks (--ranks-per-point, docs/cluster.md "One network over ranks"): the paper
# network (conductance, c = 0.2, one trial, 1 s) at N = 15000 and N = 60000 on 1 process x 1 thread,
# 1 process x 2 threads and 2 ranks x 1 thread, printing build and loop time (rank 0's, timings.csv), the
# time rank 0 spent in the exchange (waiting for the other rank included) and the bytes it sent (-v), every
# rank's peak memory (/usr/bin/time), and whether points.csv equals 1 process's.  BENCH_BIG=1 adds
# N = 100000, p = 0.2 over 2 ranks (about 5 GB per rank, minutes); BENCH_SPLIT=0 skips the split runs, BENCH_SWEEP=0 the sweep;
# BENCH_SPLIT_N="15000" runs only the given sizes.
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
    if ! "$@" "$BIN" run "${ARGS[@]}" "${RUN_OPTS[@]}" --threads "$threads" --out "$OUT/$name" 2> "$OUT/$name.err"; then
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

RUN_OPTS=()   # balnet options of run's next runs
if [ "${BENCH_SWEEP:-1}" = 1 ]; then
"$BIN" run "${ARGS[@]}" --threads 2 --out "$OUT/warm" 2> /dev/null   # fills the kernel cache
echo "8 items (paper network, N in [2000, 4000] x syn x 2 trials, 1 s); $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
run "1 process x 2 threads" 2
run "2 ranks x 1 thread" 1 "${MPIRUN[@]}" -np 2
run "1 process x 1 thread" 1
Y=(--mca mpi_yield_when_idle 1 -np 4)
run "4 ranks, K = 1" 1 "${MPIRUN[@]}" "${Y[@]}"
RUN_OPTS=(--ranks-per-point 2)
run "4 ranks, K = 2" 1 "${MPIRUN[@]}" "${Y[@]}"
RUN_OPTS=(--ranks-per-point 4)
run "4 ranks, K = 4" 1 "${MPIRUN[@]}" "${Y[@]}"
RUN_OPTS=()
fi

# ---- one network split over ranks -------------------------------------------------------------------------
[ "${BENCH_SPLIT:-1}" = 0 ] && exit 0
# split NAME N [launcher...] -- [balnet options...]: one paper point into OUT/NAME; prints one line.
split() {
    local name=$1 n=$2 launcher=() opts=() rss
    shift 2
    while [ $# -gt 0 ] && [ "$1" != -- ]; do launcher+=("$1"); shift; done
    shift
    opts=("$@")
    if ! "${launcher[@]}" /usr/bin/time -f "rss %M" "$BIN" run models/paper/cancellation.bn --set N="$n" \
        --set syn=conductance --set c=0.2 --set trial=1 --set duration=1s --quiet -v "${opts[@]}" \
        --out "$OUT/$name" 2> "$OUT/$name.err"; then
        echo "$name: failed"
        tail -5 "$OUT/$name.err"
        return
    fi
    rss=$(sed -n 's/^rss \([0-9]*\)$/\1/p' "$OUT/$name.err" | awk '{ printf "%s%.0f", (NR > 1 ? " + " : ""), $1 / 1024 } END { print " MB" }')
    local t build sim syn ex same
    t=$(tail -1 "$OUT/$name/timings.csv")
    build=$(echo "$t" | cut -d, -f5); sim=$(echo "$t" | cut -d, -f6); syn=$(echo "$t" | cut -d, -f7)
    ex=$(sed -n 's/.*of which exchange \([0-9]*\) ms, \([0-9.]*\) MB sent.*/exchange \1 ms, \2 MB sent/p' "$OUT/$name.err")
    same=n/a
    [ -f "$OUT/split-$n-1x1/points.csv" ] &&
        same=$(cmp -s "$OUT/$name/points.csv" "$OUT/split-$n-1x1/points.csv" && echo yes || echo NO)
    printf '%-26s build %7.0f ms  loop %7.0f ms  %s  synapses (rank 0) %s  peak memory per rank %s  points.csv == 1 process: %s\n' \
        "$name" "$build" "$sim" "${ex:-(not split)}" "$syn" "$rss" "$same"
}
echo "one network over ranks (paper, conductance, c = 0.2, 1 s); load $(cut -d' ' -f1-3 /proc/loadavg)"
for n in ${BENCH_SPLIT_N:-15000 60000}; do
    split "split-$n-1x1" "$n" -- --threads 1
    split "split-$n-1x2" "$n" -- --threads 2
    # mpi_yield_when_idle: a rank waiting in MPI yields the core (2 ranks on 2 cores shared with other jobs)
    split "split-$n-2x1" "$n" "${MPIRUN[@]}" --mca mpi_yield_when_idle 1 -np 2 -- --threads 1 --ranks-per-point 2
done
if [ "${BENCH_BIG:-0}" = 1 ]; then
    split "split-100000-2x1" 100000 "${MPIRUN[@]}" --mca mpi_yield_when_idle 1 -np 2 -- --threads 1 --ranks-per-point 2
fi
