#!/usr/bin/env bash
# mpi_split.sh - one network split over MPI ranks (--ranks-per-point, runtime/part.h, docs/cluster.md)
# gives the results of one process: the paper's network (N = 4000, conductance, c = 0.2, 500 ms) on 2 and 3
# ranks, and 20 ms of it on 2 ranks x 2 threads (4 threads with two barriers per step on this 2-core
# machine cost milliseconds per step: the short run keeps the test's time down), each with identical
# points.csv and spike file; a network that a memory limit refuses in one process runs split over 4 ranks,
# identically; and --ranks-per-point values that cannot work are refused with a message.
# Args: balnet-binary source-dir build-dir; BALNET_MPIEXEC names mpirun (registered only when CMake found MPI).
#
# Tolerance: none (cmp): every neuron receives the same additions in the same order whatever the split
# (part.h), and rows are part 0's own doubles, so the files must be equal byte for byte.
set -u
source "$(dirname "$0")/../models/lib.sh"
MPIRUN=("${BALNET_MPIEXEC:-mpirun}" --oversubscribe --allow-run-as-root)

ARGS=(models/paper/cancellation.bn --set N=4000 --set c=0.2 --set syn=conductance --set trial=1
      --set duration=500ms --set burn_in=100ms --quiet --threads 1)
# same NAME DIR: DIR's points.csv and spikes equal the one-process run's
same() {
    if cmp "$TMP/one/points.csv" "$2/points.csv" && cmp "$TMP/one.csv" "$2.csv"; then
        pass "$1: points.csv and spikes == 1 process ($(wc -l < "$2.csv") spikes)"
    else
        fail "$1: points.csv or spikes differ from 1 process"
    fi
}

"$BALNET" run "${ARGS[@]}" --out "$TMP/one" --spikes "$TMP/one.csv" || fail "1 process: exit $?"
for np in 2 3; do
    "${MPIRUN[@]}" -np $np "$BALNET" run "${ARGS[@]}" --ranks-per-point $np --out "$TMP/r$np" --spikes "$TMP/r$np.csv" ||
        fail "$np ranks: exit $?"
    same "$np ranks" "$TMP/r$np"
done
# each rank holds about half the synapses (timings.csv has part 0's)
whole=$(tail -1 "$TMP/one/timings.csv" | cut -d, -f7)
half=$(tail -1 "$TMP/r2/timings.csv" | cut -d, -f7)
in_range "2 ranks: part 0's synapses / all" "$(awk -v a="$half" -v b="$whole" 'BEGIN { print a / b }')" 0.45 0.55

SHORT=(--set duration=20ms --set burn_in=5ms)
"$BALNET" run "${ARGS[@]}" "${SHORT[@]}" --out "$TMP/s1" --spikes "$TMP/s1.csv" || fail "1 process, 20 ms: exit $?"
# mpi_yield_when_idle: a rank waiting in MPI yields its core to the other rank's threads (oversubscribed)
"${MPIRUN[@]}" --mca mpi_yield_when_idle 1 -x BALNET_NEURONS_PER_THREAD=500 -np 2 "$BALNET" run "${ARGS[@]}" "${SHORT[@]}" --threads 2 \
    --ranks-per-point 2 --out "$TMP/s22" --spikes "$TMP/s22.csv" || fail "2 ranks x 2 threads: exit $?"
awk -F, 'NR > 1 && $8 == 2 { f = 1 } END { exit !f }' "$TMP/s22/timings.csv" && pass "2 ranks x 2 threads: 2 threads per rank" || fail "2 ranks x 2 threads: not 2 threads"
if cmp "$TMP/s1/points.csv" "$TMP/s22/points.csv" && cmp "$TMP/s1.csv" "$TMP/s22.csv"; then
    pass "2 ranks x 2 threads: points.csv and spikes == 1 process"
else
    fail "2 ranks x 2 threads: differ from 1 process"
fi

# The memory estimate (runtime/mem.c): 9.9 MB for the whole network, 3.7 MB per part of 4.
BALNET_MEM_LIMIT=6M "$BALNET" run "${ARGS[@]}" "${SHORT[@]}" --out "$TMP/m1" 2> "$TMP/m1.err"
rc=$?
cat "$TMP/m1.err"
[ "$rc" -ne 0 ] && grep -q "network needs .* MB, 6.0 MB available" "$TMP/m1.err" &&
    pass "6 MB limit: 1 process refuses, with the numbers" || fail "6 MB limit: 1 process not refused (exit $rc)"
"${MPIRUN[@]}" -x BALNET_MEM_LIMIT=6M -np 4 "$BALNET" run "${ARGS[@]}" "${SHORT[@]}" --ranks-per-point 4 \
    --out "$TMP/m4" || fail "6 MB limit, 4 ranks: exit $?"
cmp "$TMP/s1/points.csv" "$TMP/m4/points.csv" && pass "6 MB limit: runs over 4 ranks, points.csv == 1 process" ||
    fail "6 MB limit, 4 ranks: points.csv differs"

"${MPIRUN[@]}" -np 2 "$BALNET" run "${ARGS[@]}" "${SHORT[@]}" --ranks-per-point 3 --out "$TMP/k3" 2> "$TMP/k3.err"
rc=$?
[ "$rc" -ne 0 ] && grep -q "ranks-per-point 3 must divide the number of ranks (2)" "$TMP/k3.err" &&
    pass "--ranks-per-point 3 on 2 ranks: refused" || fail "--ranks-per-point 3 on 2 ranks: exit $rc, $(cat "$TMP/k3.err")"
finish
