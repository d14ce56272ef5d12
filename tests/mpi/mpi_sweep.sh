#!/usr/bin/env bash
# mpi_sweep.sh - a sweep over MPI ranks gives the results of one process (cli/mpi.c, docs/cluster.md):
# the paper's conductance and eff_tau arms (eff_tau's leak, rest and weights are measured in the
# conductance arm: a dependency across ranks), 2 sizes x 2 arms x 2 trials on 3 ranks; a 2-rank run
# stopped by SIGTERM and resumed on 3 ranks; a 3-rank run with one rank killed, resumed on 2; and
# recordings (traces/) written by another rank.
# Args: balnet-binary source-dir build-dir; BALNET_MPIEXEC names mpirun (registered only when CMake found MPI).
#
# Tolerance: none (cmp): an item's seed depends only on the model, its point and its trial (balnet.h), and
# rows travel between ranks as the bytes of their doubles, so points.csv must equal one process's byte for
# byte (it has no wall-clock column: those are in timings.csv, which is not compared).
set -u
source "$(dirname "$0")/../models/lib.sh"
# --oversubscribe: 3 ranks on a 2-core machine; --allow-run-as-root: the test machines run as root.
MPIRUN=("${BALNET_MPIEXEC:-mpirun}" --oversubscribe --allow-run-as-root)

ARGS=(models/paper/cancellation.bn --set "N=[500,1200]" --set c=0.2 --set "syn=[conductance,eff_tau]"
      --set trial=1..2 --set duration=1s --set burn_in=100ms --set corr_window=100ms --quiet)

"$BALNET" run "${ARGS[@]}" --threads 2 --out "$TMP/one" || fail "1 process: exit $?"

# 3 ranks x 1 thread; -v names the rank that ran each item another rank ran.
"${MPIRUN[@]}" -np 3 "$BALNET" run "${ARGS[@]}" --threads 1 -v --out "$TMP/three" 2> "$TMP/three.err"
rc=$?
cat "$TMP/three.err"
[ "$rc" -eq 0 ] && pass "3 ranks: exit 0" || fail "3 ranks: exit $rc"
if cmp "$TMP/one/points.csv" "$TMP/three/points.csv"; then pass "3 ranks: points.csv == 1 process"
else fail "3 ranks: points.csv differs from 1 process"; fi
remote=$(grep -c "ran on rank [12] " "$TMP/three.err")
greater "3 ranks: items run by ranks 1 and 2" "$remote" 0
eff=$(value "$TMP/three/points.csv" point=3 trial=2 population=E statistic=v_var)
in_range "3 ranks: eff_tau arm (measured params) v_var(E) at N = 1200, trial 2, mV^2" "$eff" 0.01 1000
grep -q '"ranks": 3' "$TMP/three/run.json" && pass "run.json: ranks 3" || fail "run.json lacks \"ranks\": 3"

# start NP OUT ERRFILE ARGS...: mpirun in the background into OUT; returns once an item more than OUT held
# at the start is in OUT/points.csv (pid in $pid).
start() {
    local np=$1 out=$2 errfile=$3 before
    shift 3
    before=$(wc -l 2>/dev/null < "$out/points.csv" || echo 1)
    "${MPIRUN[@]}" -np "$np" "$BALNET" run "${ARGS[@]}" --threads 1 --out "$out" "$@" 2> "$errfile" &
    pid=$!
    for _ in $(seq 1 1000); do
        [ "$(wc -l 2>/dev/null < "$out/points.csv" || echo 0)" -gt "$before" ] && break
        sleep 0.01
    done
}
# intact WHAT OUT [killed]: OUT holds whole items of the reference only, and no lock.  With `killed`
# (a rank died, so mpirun SIGKILLs rank 0 about 1 s later, possibly while it still waits for the dead
# rank) a lock may be left, by a process that no longer runs: --resume must then take it over (checked
# by the caller on --resume's output).
intact() {
    if [ ! -e "$2/.balnet-lock" ]; then pass "$1: lock released"
    elif [ "${3:-}" = killed ]; then pass "$1: lock left by the killed job (--resume takes it over)"
    else fail "$1: lock left"; fi
    local stray torn
    stray=$(comm -23 <(sort "$2/points.csv") <(sort "$TMP/one/points.csv") | wc -l)
    [ "$stray" -eq 0 ] && pass "$1: every kept row is the reference's" || fail "$1: $stray rows not in the reference"
    torn=$(awk -F, 'NR == FNR { if (FNR > 1) ref[$1 "," $5]++; next }
                    FNR > 1 { part[$1 "," $5]++ }
                    END { for (k in part) if (part[k] != ref[k]) n++; print n + 0 }' "$TMP/one/points.csv" "$2/points.csv")
    [ "$torn" -eq 0 ] && pass "$1: whole items only" || fail "$1: $torn items partly kept"
}

# SIGTERM to every rank once the first item's rows are in, as Slurm does at a job's time limit (mpirun
# forwards its own SIGTERM only after ~1 s here, by which time this sweep may have finished): rank 0 keeps
# what finished and writes an incomplete run.json; --resume on 3 ranks completes the sweep identically.
start 2 "$TMP/part" "$TMP/part.err"
kill -TERM $(pgrep -P "$pid")
wait "$pid"
cat "$TMP/part.err"
if grep -q "interrupted after [1-7] of 8 items" "$TMP/part.err"; then pass "2 ranks, SIGTERM: interrupted, k of 8 items"
else fail "2 ranks, SIGTERM: no 'interrupted after k of 8 items' (1 <= k <= 7)"; fi
grep -q '"complete": false' "$TMP/part/run.json" && pass "2 ranks, SIGTERM: run.json incomplete" \
    || fail "2 ranks, SIGTERM: run.json not marked incomplete"
intact "2 ranks, SIGTERM" "$TMP/part"
"${MPIRUN[@]}" -np 3 "$BALNET" run "${ARGS[@]}" --threads 1 --out "$TMP/part" --resume || fail "resume on 3 ranks: exit $?"
if cmp "$TMP/part/points.csv" "$TMP/one/points.csv"; then pass "resumed on 3 ranks: points.csv == 1 process"
else fail "resumed on 3 ranks: points.csv differs"; fi
grep -q '"complete": true' "$TMP/part/run.json" && pass "resumed: run.json complete" || fail "resumed: run.json incomplete"

# 3 ranks, rank 2 killed (SIGKILL) once the first item is in (7 items to go): the job fails naming rank 2
# (mpirun does; rank 0 too when rank 2 held an item), the folder keeps what arrived, --resume on 2 ranks
# completes it identically.
start 3 "$TMP/kill" "$TMP/kill.err"
kill_rank "$pid" 2
cat "$TMP/kill.err"
[ "$rc" -ne 0 ] && pass "rank 2 killed: exit $rc" || fail "rank 2 killed: exit 0"
grep -q "rank 2" "$TMP/kill.err" && pass "rank 2 killed: the error names rank 2" || fail "rank 2 killed: rank 2 not named"
stale=$([ -e "$TMP/kill/.balnet-lock" ] && echo 1)
intact "rank 2 killed" "$TMP/kill" killed
"${MPIRUN[@]}" -np 2 "$BALNET" run "${ARGS[@]}" --threads 1 --out "$TMP/kill" --resume 2> "$TMP/kres.err" ||
    fail "resume on 2 ranks: exit $?"
cat "$TMP/kres.err"
[ -z "$stale" ] || grep -q "took over the lock" "$TMP/kres.err" && pass "resume on 2 ranks: the dead job's lock, if any, taken over" ||
    fail "resume on 2 ranks: a lock was left and --resume did not say it took it over"
if cmp "$TMP/kill/points.csv" "$TMP/one/points.csv"; then pass "resumed on 2 ranks: points.csv == 1 process"
else fail "resumed on 2 ranks: points.csv differs"; fi

# Recordings of items run by another rank reach rank 0's folder (2 trials, 7 files each).
TR=(tests/models/traces.bn --set trial=1..2 --set duration=200ms --threads 1 --quiet)
"$BALNET" run "${TR[@]}" --out "$TMP/tr1" || fail "traces, 1 process: exit $?"
"${MPIRUN[@]}" -np 2 "$BALNET" run "${TR[@]}" -v --out "$TMP/tr2" 2> "$TMP/tr2.err" || fail "traces, 2 ranks: exit $?"
n=$(ls "$TMP/tr2/traces"/*.csv 2>/dev/null | wc -l)   # (beside them their plots, run_traces.sh checks those)
same=true
for f in "$TMP/tr1/traces"/*.csv; do cmp -s "$f" "$TMP/tr2/traces/$(basename "$f")" || same=false; done
if [ "$n" -eq 14 ] && grep -q "ran on rank 1 " "$TMP/tr2.err" && $same; then
    pass "2 ranks: the 14 trace files == 1 process"
else
    fail "2 ranks: traces/ has $n files, no item ran on rank 1, or they differ from 1 process"
fi
finish
