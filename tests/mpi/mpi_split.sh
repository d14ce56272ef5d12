#!/usr/bin/env bash
# mpi_split.sh - one network split over MPI ranks (--ranks-per-point, runtime/part.h, docs/cluster.md)
# gives the results of one process: the paper's network (N = 4000, conductance, c = 0.2, 500 ms) on 2 and 3
# ranks, and 20 ms of it on 2 ranks x 2 threads (4 threads with two barriers per step on this 2-core
# machine cost milliseconds per step: the short run keeps the test's time down), each with identical
# points.csv and spike file; a network that a memory limit refuses in one process runs on 4 ranks without
# --ranks-per-point, split by itself over 2 (the smallest group it fits), identically, and one that does
# not fit even over every rank is refused with the numbers; a sweep on 4 ranks in 2 groups of 2 (--ranks-per-point 2: two points at once, each over two
# ranks, the eff_tau arm's measured parameters taken from an item the other group may have run) gives
# points.csv identical to one process; rank 1 killed (SIGKILL) during a split item of a sweep on 4 ranks
# in groups of 2: an error naming it, whole items kept, and --resume on 2 ranks completes the sweep
# identically; recordings (traces/) of split items == 1 process; a burst larger than the exchange's block;
# rank 0's peak memory below one process's when the state dominates; plastic projections and their weight
# recordings on 2 ranks == 1 process; SIGTERM to two groups of 2 keeps whole items and --resume completes
# them; and --ranks-per-point values that cannot work are refused.
# Args: balnet-binary source-dir build-dir; BALNET_MPIEXEC names mpirun (registered only when CMake found MPI).
#
# Tolerance: none (cmp): every neuron receives the same additions in the same order whatever the split
# (part.h), and rows are part 0's own doubles, so the files must be equal byte for byte.
set -u
source "$(dirname "$0")/../models/lib.sh"
MPIRUN=("${BALNET_MPIEXEC:-mpirun}" --oversubscribe --allow-run-as-root)

ARGS=(models/paper/cancellation.bn --set N=4000 --set c=0.2 --set syn=conductance --set trial=1
      --set duration=500ms --set burn_in=100ms --quiet --threads 1)
# same NAME DIR [REF]: DIR's points.csv and spikes equal the one-process run's (REF, else TMP/one)
same() {
    local ref=${3:-$TMP/one}
    if cmp "$ref/points.csv" "$2/points.csv" && cmp "$ref.csv" "$2.csv"; then
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

# The memory estimate (runtime/mem.c): 4.2 MB for the whole network, 3.0 MB per part of 2 (dense rows,
# runtime/net.h: p = 0.2 is stored as bits).
BALNET_MEM_LIMIT=3.5M "$BALNET" run "${ARGS[@]}" "${SHORT[@]}" --out "$TMP/m1" 2> "$TMP/m1.err"
rc=$?
cat "$TMP/m1.err"
[ "$rc" -ne 0 ] && grep -q "network needs 4.2 MB, 3.5 MB available" "$TMP/m1.err" &&
    pass "3.5 MB limit: 1 process refuses, with the numbers" || fail "3.5 MB limit: 1 process not refused (exit $rc)"
# Without --ranks-per-point the split is automatic (cli/run.c, auto_split): 3.0 MB per part of 2 fits.
"${MPIRUN[@]}" -x BALNET_MEM_LIMIT=3.5M -np 4 "$BALNET" run "${ARGS[@]}" "${SHORT[@]}" --out "$TMP/m4" 2> "$TMP/m4.err" ||
    fail "3.5 MB limit, 4 ranks: exit $?"
cat "$TMP/m4.err"
grep -q "point 0 needs 4.2 MB, more than the 3.5 MB a rank has (BALNET_MEM_LIMIT): every point runs split over 2 ranks" \
    "$TMP/m4.err" && grep -q '"ranks_per_point": 2,' "$TMP/m4/run.json" && grep -q '"ranks_per_point_auto": true' \
    "$TMP/m4/run.json" && pass "3.5 MB limit, 4 ranks: split over 2 by itself, said in the log and run.json" ||
    fail "3.5 MB limit, 4 ranks: no automatic split over 2 ranks in the log or run.json"
cmp "$TMP/s1/points.csv" "$TMP/m4/points.csv" && pass "3.5 MB limit: runs over 4 ranks, points.csv == 1 process" ||
    fail "3.5 MB limit, 4 ranks: points.csv differs"
"${MPIRUN[@]}" -x BALNET_MEM_LIMIT=2M -np 2 "$BALNET" run "${ARGS[@]}" "${SHORT[@]}" --out "$TMP/m2" 2> "$TMP/m2.err"
rc=$?
[ "$rc" -ne 0 ] && grep -q "point 0 needs 3.0 MB per rank even split over all 2 ranks, more than the 2.0 MB a rank has" \
    "$TMP/m2.err" && pass "2 MB limit, 2 ranks: refused with the numbers" || fail "2 MB limit, 2 ranks: exit $rc, $(cat "$TMP/m2.err")"

# A sweep (2 points x 2 trials; eff_tau's params are measured in the conductance point of the same trial)
# on 4 ranks, groups {0,1} and {2,3}: rank 0 hands items to rank 2, the other group's leader.
SWEEP=(models/paper/cancellation.bn --set N=1000 --set c=0.2 --set "syn=[conductance,eff_tau]" --set trial=1..2
       --set duration=100ms --set burn_in=20ms --set corr_window=40ms --quiet --threads 1)
"$BALNET" run "${SWEEP[@]}" --out "$TMP/w1" || fail "sweep, 1 process: exit $?"
"${MPIRUN[@]}" --mca mpi_yield_when_idle 1 -np 4 "$BALNET" run "${SWEEP[@]}" --ranks-per-point 2 -v \
    --out "$TMP/w4" 2> "$TMP/w4.err" || fail "sweep, 4 ranks in groups of 2: exit $?"
cat "$TMP/w4.err"
cmp "$TMP/w1/points.csv" "$TMP/w4/points.csv" && pass "sweep, 4 ranks in groups of 2: points.csv == 1 process" ||
    fail "sweep, 4 ranks in groups of 2: points.csv differs"
grep -q "ran on ranks 2-3" "$TMP/w4.err" && pass "sweep, 4 ranks in groups of 2: group {2,3} ran items" ||
    fail "sweep, 4 ranks in groups of 2: no item ran on ranks 2-3"

# Recordings (rate_trace, trace, raster: 2 trials, 7 files each) of split items, one of them run by the
# other group, whose leader sends them to rank 0 with the rows.
TR=(tests/models/traces.bn --set trial=1..2 --set duration=200ms --threads 1 --quiet)
"$BALNET" run "${TR[@]}" --out "$TMP/tr1" || fail "traces, 1 process: exit $?"
"${MPIRUN[@]}" --mca mpi_yield_when_idle 1 -np 4 "$BALNET" run "${TR[@]}" --ranks-per-point 2 -v --out "$TMP/tr4" \
    2> "$TMP/tr4.err" || fail "traces, 4 ranks in groups of 2: exit $?"
n=$(ls "$TMP/tr4/traces"/*.csv 2>/dev/null | wc -l)
same=true
for f in "$TMP/tr1/traces"/*.csv; do cmp -s "$f" "$TMP/tr4/traces/$(basename "$f")" || same=false; done
if [ "$n" -eq 14 ] && grep -q "ran on ranks 2-3" "$TMP/tr4.err" && $same; then
    pass "traces, 4 ranks in groups of 2: the 14 trace files == 1 process"
else
    fail "traces, 4 ranks in groups of 2: traces/ has $n files, no item ran on ranks 2-3, or they differ"
fi

# Rank 1 (rank 0's partner) killed (SIGKILL) during a split item, once an item is in: rank 0 waits in an
# exchange that never ends; mpirun stops the job and names rank 1, rank 0's watchdog names the item; the
# folder keeps whole items only, and --resume on 2 ranks (one group) completes it identically.
# Six items of 1 s: on an idle machine three items of 500 ms could all finish before the kill landed.
KILL=(models/paper/cancellation.bn --set N=1000 --set c=0.2 --set syn=conductance --set trial=1..6
      --set duration=1s --set burn_in=20ms --quiet --threads 1)
"$BALNET" run "${KILL[@]}" --out "$TMP/kref" || fail "kill: 1 process: exit $?"
# start_groups NAME: KILL on 4 ranks in two groups of 2 into $TMP/NAME (stderr $TMP/NAME.err) in the
# background (pid in $pid); returns once the first item is in its points.csv.
start_groups() {
    "${MPIRUN[@]}" --mca mpi_yield_when_idle 1 -np 4 "$BALNET" run "${KILL[@]}" --ranks-per-point 2 --out "$TMP/$1" \
        2> "$TMP/$1.err" &
    pid=$!
    for _ in $(seq 1 2000); do
        [ "$(wc -l 2>/dev/null < "$TMP/$1/points.csv" || echo 0)" -gt 1 ] && break
        sleep 0.01
    done
}
start_groups kill
kill_rank "$pid" 1
cat "$TMP/kill.err"
[ "$rc" -ne 0 ] && grep -q "process rank 1 .* signal 9" "$TMP/kill.err" && pass "rank 1 killed: exit $rc, rank 1 named" ||
    fail "rank 1 killed: exit $rc, or rank 1 not named"
grep -q "rank 0 waited .* for rank 1, its partner in point 0, trial [1-6]" "$TMP/kill.err" &&
    pass "rank 1 killed: rank 0 names the item it waited for" || fail "rank 1 killed: rank 0 said nothing"
kept=$(tail -n +2 "$TMP/kill/points.csv" | cut -d, -f1-5 | sort -u | wc -l)
torn=$(comm -23 <(sort "$TMP/kill/points.csv") <(sort "$TMP/kref/points.csv") | wc -l)
[ "$kept" -ge 1 ] && [ "$kept" -le 5 ] && [ "$torn" -eq 0 ] && pass "rank 1 killed: $kept of 6 items kept, whole" ||
    fail "rank 1 killed: $kept items kept, $torn rows not in the reference"
"${MPIRUN[@]}" -np 2 "$BALNET" run "${KILL[@]}" --ranks-per-point 2 --out "$TMP/kill" --resume 2> "$TMP/kres.err" ||
    fail "rank 1 killed: resume on 2 ranks: exit $?, $(cat "$TMP/kres.err")"
cmp "$TMP/kref/points.csv" "$TMP/kill/points.csv" && pass "rank 1 killed: resumed on 2 ranks, points.csv == 1 process" ||
    fail "rank 1 killed: resumed points.csv differs"

# SIGTERM to every rank of two groups of 2 (what a scheduler's time limit sends) once an item is in: rank 0
# keeps the finished items, releases the lock and marks run.json incomplete; --resume on 2 ranks (one
# group) completes the sweep identically.
start_groups term
kill -TERM $(pgrep -P "$pid")
wait "$pid"
rc=$?
torn=$(comm -23 <(sort "$TMP/term/points.csv") <(sort "$TMP/kref/points.csv") | wc -l)
if [ "$rc" -ne 0 ] && grep -q "interrupted after [1-5] of 6 items" "$TMP/term.err" && [ ! -e "$TMP/term/.balnet-lock" ] &&
   grep -q '"complete": false' "$TMP/term/run.json" && [ "$torn" -eq 0 ]; then
    pass "SIGTERM, 2 groups of 2: interrupted (exit $rc), whole items kept, lock released"
else
    cat "$TMP/term.err"; fail "SIGTERM, 2 groups of 2: exit $rc, $torn stray rows, or no 'interrupted after k of 6'"
fi
"${MPIRUN[@]}" -np 2 "$BALNET" run "${KILL[@]}" --ranks-per-point 2 --out "$TMP/term" --resume 2> /dev/null ||
    fail "SIGTERM: resume on 2 ranks: exit $?"
cmp "$TMP/kref/points.csv" "$TMP/term/points.csv" && pass "SIGTERM: resumed on 2 ranks, points.csv == 1 process" ||
    fail "SIGTERM: resumed points.csv differs"

# Messages larger than the exchange's block (cli/mpi.c, allgather_blocks: the rest follows in a second
# collective) and blocks that grow and shrink: a burst of every neuron in the first step, then 380 Hz.
"$BALNET" run tests/models/split_burst.bn --quiet --threads 1 --out "$TMP/b1" --spikes "$TMP/b1.csv" ||
    fail "burst, 1 process: exit $?"
"${MPIRUN[@]}" -np 2 "$BALNET" run tests/models/split_burst.bn --quiet --threads 1 --ranks-per-point 2 --out "$TMP/b2" \
    --spikes "$TMP/b2.csv" || fail "burst, 2 ranks: exit $?"
same "burst, 2 ranks" "$TMP/b2" "$TMP/b1"

# A part holds only its own neurons' state (runtime/sim.c, state_column): 10^6 neurons of 13 variables, no
# synapses.  run.json's peak_rss_mb is rank 0's: measured 136 MB in 1 process, 105 MB on rank 0 of 2 (MPI's
# own memory included); with whole columns on every rank it was more than 1 process's.  Tolerance 20 MB: the
# state rank 0 does not hold is 56 MB; the peaks repeat within 1 MB here.
"$BALNET" run tests/models/split_state.bn --quiet --threads 1 --out "$TMP/st1" || fail "state, 1 process: exit $?"
"${MPIRUN[@]}" -np 2 "$BALNET" run tests/models/split_state.bn --quiet --threads 1 --ranks-per-point 2 --out "$TMP/st2" ||
    fail "state, 2 ranks: exit $?"
rss() { sed -n 's/^  "peak_rss_mb": \([0-9.]*\),*$/\1/p' "$1/run.json"; }
cmp -s "$TMP/st1/points.csv" "$TMP/st2/points.csv" && in_range "state, 2 ranks: rank 0's peak memory - 1 process's (MB)" \
    "$(awk -v a="$(rss "$TMP/st2")" -v b="$(rss "$TMP/st1")" 'BEGIN { print a - b }')" -1000 -20 ||
    fail "state, 2 ranks: points.csv differs from 1 process"

# Plastic projections and every kind of weight recording (tests/models/plastic.bn: STDP from an input,
# Tsodyks-Markram E -> E) split over 2 ranks: points.csv and every file of traces/ == 1 process (per-synapse
# delays and states, and 3 parts, are test_api_split's test_plastic; one model here keeps the test short).
for spec in plastic:2; do
    name=${spec%:*} np=${spec#*:}
    "$BALNET" run "tests/models/$name.bn" --quiet --threads 1 --out "$TMP/$name-1" || fail "$name, 1 process: exit $?"
    "${MPIRUN[@]}" -np "$np" "$BALNET" run "tests/models/$name.bn" --quiet --threads 1 --ranks-per-point "$np" \
        --out "$TMP/$name-$np" || fail "$name, $np ranks: exit $?"
    n=0 same=true
    for f in "$TMP/$name-1/points.csv" "$TMP/$name-1/traces"/*.csv; do
        n=$((n + 1))
        cmp -s "$f" "$TMP/$name-$np/${f#"$TMP/$name-1/"}" || same=false
    done
    $same && [ "$n" -ge 6 ] && pass "$name.bn on $np ranks: points.csv and $((n - 1)) weight recordings == 1 process" ||
        fail "$name.bn on $np ranks: $n files, or they differ from 1 process"
done

"${MPIRUN[@]}" -np 2 "$BALNET" run "${ARGS[@]}" "${SHORT[@]}" --ranks-per-point 3 --out "$TMP/k3" 2> "$TMP/k3.err"
rc=$?
[ "$rc" -ne 0 ] && grep -q "ranks-per-point 3 must divide the number of ranks (2)" "$TMP/k3.err" &&
    pass "--ranks-per-point 3 on 2 ranks: refused" || fail "--ranks-per-point 3 on 2 ranks: exit $rc, $(cat "$TMP/k3.err")"
finish
