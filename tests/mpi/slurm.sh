#!/usr/bin/env bash
# slurm.sh - balnet under Slurm's srun (issue 15, docs/cluster.md): a sweep over 2 tasks and one network
# split over 2 tasks (--ranks-per-point 2) give one process's points.csv; a job step sent SIGTERM, as a
# time limit or `scancel --signal=TERM` does, keeps its finished items and `--resume` on 3 tasks completes
# the sweep identically.  Skipped (exit 77) where no Slurm controller answers (`sinfo`): make test cannot
# assume a scheduler; tests/mpi/mpi_*.sh cover the same protocol under mpirun on every machine.
# Args: balnet-binary source-dir build-dir.
#
# Tolerance: none (cmp), as in mpi_sweep.sh: seeds depend on the model, point and trial only, and rows
# travel between ranks as the bytes of their doubles.
set -u
source "$(dirname "$0")/../models/lib.sh"
if ! command -v srun > /dev/null || ! timeout 10 sinfo -h > /dev/null 2>&1; then
    echo "skipped: no Slurm controller answers (sinfo)"
    exit 77
fi
# --overcommit: more tasks than the partition's free CPUs may share them (a 2-core test node);
# --mpi=pmix: Open MPI's wire-up under Slurm (Debian's openmpi and slurm both ship PMIx).
SRUN=(srun --mpi=pmix --overcommit --quiet)

SWEEP=(models/benchmarks/coba.bn --set duration=300ms --set "N=[1000,2000]" --set "p=[0.02,0.04]" --threads 1
       --quiet)
"$BALNET" run "${SWEEP[@]}" --out "$TMP/one" || fail "1 process: exit $?"
timeout 120 "${SRUN[@]}" -n 2 "$BALNET" run "${SWEEP[@]}" --out "$TMP/two" || fail "srun -n 2: exit $?"
grep -q '"ranks": 2' "$TMP/two/run.json" && pass "srun -n 2: run.json ranks 2" || fail "srun -n 2: not 2 ranks"
cmp "$TMP/one/points.csv" "$TMP/two/points.csv" && pass "srun -n 2 sweep: points.csv == 1 process" ||
    fail "srun -n 2 sweep: points.csv differs"

PAPER=(models/paper/cancellation.bn --set N=1000 --set c=0.2 --set syn=conductance --set trial=1
       --set duration=100ms --set burn_in=20ms --threads 1 --quiet)
"$BALNET" run "${PAPER[@]}" --out "$TMP/p1" || fail "paper, 1 process: exit $?"
timeout 120 "${SRUN[@]}" -n 2 "$BALNET" run "${PAPER[@]}" --ranks-per-point 2 --out "$TMP/p2" ||
    fail "srun -n 2 --ranks-per-point 2: exit $?"
cmp "$TMP/p1/points.csv" "$TMP/p2/points.csv" && pass "one network over 2 srun tasks: points.csv == 1 process" ||
    fail "one network over 2 srun tasks: points.csv differs"

# SIGTERM to the job step once the first item is written, then --resume on 3 tasks.
LONG=(models/benchmarks/coba.bn --set duration=1s --set "N=[1000,2000,4000]" --set "p=[0.02,0.04]" --threads 1
      --quiet)
"$BALNET" run "${LONG[@]}" --out "$TMP/full" || fail "1 process (6 items): exit $?"
"${SRUN[@]}" -n 2 -J balnet-slurm-test-$$ "$BALNET" run "${LONG[@]}" --out "$TMP/term" 2> "$TMP/term.err" &
spid=$!
for _ in $(seq 1 600); do
    [ "$(wc -l 2>/dev/null < "$TMP/term/points.csv" || echo 0)" -gt 1 ] && break
    sleep 0.05
done
scancel --signal=TERM --name balnet-slurm-test-$$
wait "$spid"
rc=$?
cat "$TMP/term.err"
rows=$(($(wc -l < "$TMP/term/points.csv") - 1))
if [ "$rc" -ne 0 ] && grep -q "interrupted after" "$TMP/term.err" && [ $((rows % 12)) -eq 0 ] && [ "$rows" -lt 72 ]; then
    pass "SIGTERM to the step: interrupted (exit $rc), $rows rows of whole items kept"
elif [ "$rows" -eq 72 ]; then
    pass "SIGTERM arrived after the last item (exit $rc): nothing to interrupt"
else
    fail "SIGTERM to the step: exit $rc, $rows rows"
fi
timeout 120 "${SRUN[@]}" -n 3 "$BALNET" run "${LONG[@]}" --out "$TMP/term" --resume || fail "resume on 3 tasks: exit $?"
if cmp "$TMP/full/points.csv" "$TMP/term/points.csv" && grep -q '"complete": true' "$TMP/term/run.json"; then
    pass "resumed on 3 tasks: points.csv == 1 process, run.json complete"
else
    fail "resumed on 3 tasks: points.csv differs from 1 process or run.json incomplete"
fi
finish
