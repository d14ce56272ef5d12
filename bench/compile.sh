#!/usr/bin/env bash
# bench/compile.sh BUILD - where a cold JIT compile goes (issue 18), per phase, for the models of
# docs/performance.md ("Where a cold compile goes").
#
# Runs each model BENCH_COMPILE_REPS times (default 7) with --no-cache (a cold compile in every run) on
# BENCH_COMPILE_THREADS threads (default 2) and -v, whose "kernels:" line (api/item.c) gives the compile's
# wall time and, per phase, the compiling threads' CPU time summed over the model's parts
# (CLOCK_THREAD_CPUTIME_ID, compiler/jit/jit.c): build (LLVM IR and its verification), opt (the pass
# pipeline), codegen (instruction selection to object file), link (a new LLJIT, the objects linked, kernels
# looked up); "run.json" is the compile_ms the results folder records (the same wall time); "waited" is how
# long the run waited for its kernels after building its network (they compile meanwhile).  Prints the
# median and the minimum of each over the runs.  CPU time is what to compare on a shared machine: other
# processes inflate the wall time, not the CPU time.  The simulated duration is cut to 10 ms: only the
# compile is of interest here.  BENCH_COMPILE_ONLY=REGEX keeps the
# models whose name matches.  Prints, never asserts.
set -u
BUILD=${1:-build}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
BIN=$BUILD/balnet
REPS=${BENCH_COMPILE_REPS:-7}
THREADS=${BENCH_COMPILE_THREADS:-2}
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT

# name|file|overrides
MODELS=(
    "COBA|models/benchmarks/coba.bn|"
    "CUBA|models/benchmarks/cuba.bn|"
    "paper current N=4000|models/paper/cancellation.bn|--set N=4000 --set c=0.2 --set syn=current --set trial=1"
    "paper conductance N=4000|models/paper/cancellation.bn|--set N=4000 --set c=0.2 --set syn=conductance --set trial=1"
    "COBA + STDP (plastic)|models/benchmarks/coba_stdp.bn|"
)

echo "# cold compile (--no-cache, --threads $THREADS), $REPS runs each, load $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-26s %16s %16s %16s %16s %10s %10s %10s %10s\n' model "wall ms med/min" "run.json" "waited" \
    "CPU ms med/min" build opt codegen link
for entry in "${MODELS[@]}"; do
    IFS='|' read -r name file sets <<<"$entry"
    [[ $name =~ ${BENCH_COMPILE_ONLY:-.} ]] || continue
    : >"$OUT/lines"
    for ((r = 0; r < REPS; r++)); do
        # shellcheck disable=SC2086
        line=$("$BIN" run -v --quiet --no-cache --threads "$THREADS" $sets --set duration=10ms --set burn_in=0ms \
            --out "$OUT/run$r" "$ROOT/$file" 2>&1 | grep 'kernels: compiled')
        json=$(grep -o '"compile_ms": [0-9.e+-]*' "$OUT/run$r/run.json" 2>/dev/null | head -1 | cut -d' ' -f2)
        echo "$line run.json ${json:-nan}" >>"$OUT/lines"
        rm -rf "$OUT/run$r"
    done
    # "kernels: compiled in W ms (P parts on T threads; thread CPU C ms: build B, key K, opt O, codegen G,
    # link L); waited A ms for them"
    /usr/bin/python3 - "$name" "$OUT/lines" <<'EOF'
import re, statistics, sys
name, path = sys.argv[1], sys.argv[2]
rows = []
for line in open(path):
    m = re.search(r"compiled in ([\d.]+) ms \(\d+ parts on \d+ threads, \d+ shared; thread CPU ([\d.]+) ms: "
                  r"build ([\d.]+), key ([\d.]+), opt ([\d.]+), codegen ([\d.]+), link ([\d.]+)\); "
                  r"waited ([\d.]+) ms for them run.json ([\d.na]+)", line)
    if m:
        rows.append([float(x) for x in m.groups()])
if not rows:
    print(f"{name:26s} (no compile line: did the run fail?)")
    sys.exit(0)
col = lambda i: [r[i] for r in rows]
mm = lambda i: f"{statistics.median(col(i)):.1f}/{min(col(i)):.1f}"
print(f"{name:26s} {mm(0):>16s} {mm(8):>16s} {mm(7):>16s} {mm(1):>16s} {mm(2):>10s} {mm(4):>10s} {mm(5):>10s} "
      f"{mm(6):>10s}")
EOF
done
