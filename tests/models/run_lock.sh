#!/usr/bin/env bash
# run_lock.sh - a results folder belongs to one run at a time (results/lock.h, issue 17):
#   - two runs on one --out started together, 8 times: exactly one writes, the other exits non-zero naming
#     the winner (pid, host, start time), and the folder is exactly a lone run's (points.csv byte for byte,
#     one set of timings, no lock or temporary file left);
#   - a run killed with SIGKILL leaves its lock; the next --resume takes it over, says so, and completes;
#   - two --resume runs of one folder started together (after SIGKILL and after Ctrl-C): one proceeds,
#     one is refused;
#   - `balnet plot DIR` is refused while a run holds DIR, and works once it ended;
#   - the kernel cache under concurrent runs: six simultaneous runs on an empty cache all succeed with the
#     same results, and leave entries a later run hits (jit_cache.h: written under unique names, renamed).
# Args: balnet-binary source-dir build-dir.
#
# Tolerance: none (cmp): every run of one model and seed computes the same numbers (DESIGN.md §3), so the
# winner's or resumed points.csv must equal the lone run's byte for byte.  Timing: a run here takes ~0.4 s
# and a loser reaches the lock ~10 ms after starting, so "together" always overlaps unless the machine
# stalls one process for a third of a second.
set -u
source "$(dirname "$0")/lib.sh"

# 6 items (N x p), one thread: items complete one after another, ~0.4 s in all.
ARGS=(models/benchmarks/coba.bn --set duration=1s --set "N=[1000,2000,4000]" --set "p=[0.02,0.04]"
      --threads 1 --quiet)
ROWS_PER_ITEM=12   # 3 populations x 4 statistics
HOST=$(hostname)
# balnet draws its plots with gnuplot, which takes most of the time of runs this short: hide it (the
# scripts are still written; tests/unit/test_runtime_results.c covers the plots).
NOPLOT=$TMP/no-gnuplot
mkdir -p "$NOPLOT"

PATH=$NOPLOT "$BALNET" run "${ARGS[@]}" --out "$TMP/lone" || fail "lone run exit $?"
# files DIR: every name in DIR, hidden ones included (a lock or temporary file left behind shows here).
files() { (cd "$1" && find . -mindepth 1 -maxdepth 1 | LC_ALL=C sort | tr '\n' ' '); }
LONE_FILES=$(files "$TMP/lone")

# same_as_lone WHAT DIR [MIN_TIMED]: DIR holds exactly what the lone run wrote, with the same points.csv.
same_as_lone() {
    if cmp -s "$2/points.csv" "$TMP/lone/points.csv"; then pass "$1: points.csv == lone run's"
    else fail "$1: points.csv differs from the lone run's"; fi
    if [ "$(files "$2")" = "$LONE_FILES" ]; then pass "$1: no lock or temporary file left"
    else fail "$1: files '$(files "$2")', expected '$LONE_FILES'"; fi
    # Two writers would time some items twice.  A SIGKILL between an item's rows and its timing line loses
    # that line (timings are informative, results.c), hence a lower bound of 5 after one.
    local n min=${3:-6}
    n=$(($(wc -l < "$2/timings.csv") - 1))
    if [ "$n" -ge "$min" ] && [ "$n" -le 6 ]; then pass "$1: $n items timed (one writer)"
    else fail "$1: $n items timed, expected $min to 6"; fi
}

# together NAME OUT ARGS...: two runs of ARGS into OUT started at once; exactly one must exit 0 and the
# other must exit 1 naming it.  Leaves the winner's pid in $winner.
together() {
    local name=$1 out=$2 pa pb ra rb loser
    shift 2
    PATH=$NOPLOT "$BALNET" run "$@" --out "$out" 2> "$TMP/a.err" &
    pa=$!
    PATH=$NOPLOT "$BALNET" run "$@" --out "$out" 2> "$TMP/b.err" &
    pb=$!
    wait "$pa"; ra=$?
    wait "$pb"; rb=$?
    winner=
    if [ "$ra" -eq 0 ] && [ "$rb" -eq 1 ]; then winner=$pa; loser=$TMP/b.err
    elif [ "$rb" -eq 0 ] && [ "$ra" -eq 1 ]; then winner=$pb; loser=$TMP/a.err
    else
        fail "$name: exits $ra and $rb, expected one 0 and one 1"; cat "$TMP/a.err" "$TMP/b.err"; return
    fi
    if grep -q "error: $out is in use by balnet pid $winner on host $HOST, started 20" "$loser"; then
        pass "$name: one ran, the other was refused naming it (pid $winner on $HOST)"
    else
        fail "$name: the refused run does not name pid $winner on host $HOST:"; cat "$loser"
    fi
}

# 1. Two fresh runs on one --out, started together.
for round in 1 2 3 4 5 6 7 8; do
    rm -rf "$TMP/both"
    together "fresh pair $round" "$TMP/both" "${ARGS[@]}"
    same_as_lone "fresh pair $round" "$TMP/both"
done
grep -h "error:" "$TMP/a.err" "$TMP/b.err"

# stop SIG OUT ERRFILE: runs ARGS into OUT and sends SIG once the first item's rows are in OUT/points.csv;
# fails when the run had already finished (nothing left to resume).
stop() {
    local sig=$1 out=$2 errfile=$3 pid
    PATH=$NOPLOT "$BALNET" run "${ARGS[@]}" --out "$out" 2> "$errfile" &
    pid=$!
    for _ in $(seq 1 1000); do
        [ "$(wc -l 2>/dev/null < "$out/points.csv" || echo 0)" -gt "$ROWS_PER_ITEM" ] && break
        sleep 0.01
    done
    kill -"$sig" "$pid"
    wait "$pid"
    stopped_pid=$pid
    local rows=$(($(wc -l < "$out/points.csv") - 1))
    if [ "$rows" -ge $((6 * ROWS_PER_ITEM)) ]; then fail "SIG$sig came after the run finished"; fi
}

# 2. SIGKILL leaves a stale lock; the next --resume takes it over and completes.
stop KILL "$TMP/killed" /dev/null
if grep -q "^pid: $stopped_pid$" "$TMP/killed/.balnet-lock" 2>/dev/null; then
    pass "SIGKILL: the lock of pid $stopped_pid stays"
else
    fail "SIGKILL: no lock of pid $stopped_pid in $TMP/killed"
fi
PATH=$NOPLOT "$BALNET" run "${ARGS[@]}" --out "$TMP/killed" --resume 2> "$TMP/resume.err"
rc=$?
cat "$TMP/resume.err"
if [ "$rc" -eq 0 ]; then pass "resume after SIGKILL: exit 0"; else fail "resume after SIGKILL: exit $rc"; fi
if grep -q "note: took over the lock of $TMP/killed from balnet pid $stopped_pid on host $HOST, started .*: process $stopped_pid is no longer running" "$TMP/resume.err"; then
    pass "resume after SIGKILL: says it took over pid $stopped_pid's lock"
else
    fail "resume after SIGKILL: no note about taking over pid $stopped_pid's lock"
fi
same_as_lone "resume after SIGKILL" "$TMP/killed" 5

# 3. Two --resume runs of one folder, started together: after SIGKILL (a stale lock for both to find)
# and after Ctrl-C (no lock).
for sig in KILL INT KILL INT; do
    rm -rf "$TMP/twice"
    stop "$sig" "$TMP/twice" /dev/null
    together "two resumes after SIG$sig" "$TMP/twice" "${ARGS[@]}" --resume
    same_as_lone "two resumes after SIG$sig" "$TMP/twice" 5
done

# 4. `balnet plot DIR` while a run writes DIR: refused, naming it; afterwards it redraws.
PATH=$NOPLOT "$BALNET" run "${ARGS[@]}" --out "$TMP/plotted" &
pid=$!
for _ in $(seq 1 1000); do
    [ -e "$TMP/plotted/.balnet-lock" ] && break
    sleep 0.01
done
PATH=$NOPLOT "$BALNET" plot "$TMP/plotted" 2> "$TMP/plot.err"
rc=$?
wait "$pid" || fail "the run plot interrupted exit $?"
cat "$TMP/plot.err"
if [ "$rc" -eq 1 ] && grep -q "error: $TMP/plotted is in use by balnet pid $pid on host $HOST" "$TMP/plot.err"; then
    pass "plot during the run: refused, naming pid $pid"
else
    fail "plot during the run: exit $rc, expected 1 naming pid $pid"
fi
PATH=$NOPLOT "$BALNET" plot "$TMP/plotted" 2> "$TMP/plot.err" || fail "plot after the run: exit $?"
same_as_lone "plot after the run" "$TMP/plotted"

# 5. The kernel cache under concurrent runs: six at once on an empty cache, each into its own folder (a
# shorter sweep: the point is six processes compiling and storing the same kernels at the same moment).
SHORT=("${ARGS[@]/duration=1s/duration=200ms}")
pids=()
for k in 1 2 3 4 5 6; do
    BALNET_CACHE_DIR=$TMP/cache PATH=$NOPLOT "$BALNET" run "${SHORT[@]}" --out "$TMP/cache-run$k" 2> "$TMP/cache$k.err" &
    pids+=($!)
done
ok=0
for k in 1 2 3 4 5 6; do
    if wait "${pids[$((k - 1))]}" && cmp -s "$TMP/cache-run$k/points.csv" "$TMP/cache-run1/points.csv"; then
        ok=$((ok + 1))
    else
        cat "$TMP/cache$k.err"
    fi
done
if [ "$ok" -eq 6 ]; then pass "6 simultaneous runs on an empty kernel cache: all ran, with the same results"
else fail "6 simultaneous runs on an empty kernel cache: only $ok succeeded with run 1's results"; fi
BALNET_CACHE_DIR=$TMP/cache PATH=$NOPLOT "$BALNET" run "${SHORT[@]}" --out "$TMP/cache-after" || fail "run after: exit $?"
if grep -q '"kernel_cache": "hit"' "$TMP/cache-after/run.json" &&
   cmp -s "$TMP/cache-after/points.csv" "$TMP/cache-run1/points.csv"; then
    pass "the next run finds every kernel in the cache they filled, same results"
else
    fail "the next run does not hit the cache or differs: $(grep kernel_cache "$TMP/cache-after/run.json")"
fi
finish
