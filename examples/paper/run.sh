#!/usr/bin/env bash
# Reproduces Zhu, Ocker & Rosenbaum (2026) with balnet, then goes beyond the paper's sizes.
#
#   examples/paper/run.sh figure   the paper's figure: syn in {current, conductance, eff_tau}, c in {0, 0.2},
#                                  N in {1000, ..., 15000}, 4 trials of 5 s (models/paper/cancellation.bn)
#   examples/paper/run.sh beyond   N in {15000, 30000, 60000}, 2 trials of 1 s, count_corr in 100 ms windows,
#                                  at dt = 0.025 ms: forward Euler at the paper's 0.1 ms diverges in the
#                                  conductance arm at N = 30000 with c = 0.2, and at 0.05 ms at N = 60000
#   examples/paper/run.sh csweep   c in {0, 0.05, 0.1, 0.2, 0.4} at N = 4000, 4 trials of 5 s
#   examples/paper/run.sh all      the three, then the report
#   examples/paper/run.sh report   rewrite RESULTS.md's tables and figures from the results folders
#
# Results go to examples/paper/results/<part>/ (balnet's results folders: points.csv, scaling.csv,
# run.json, plots/).  An interrupted part resumes where it stopped when run again.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bn=${BALNET:-$root/build/balnet}
model=$root/models/paper/cancellation.bn
threads=${THREADS:-$(nproc)}
[ -x "$bn" ] || make -C "$root" build

run_part() {   # name, then --set options
    local name=$1; shift
    local out=$here/results/$name
    local resume=()
    [ -f "$out/points.csv" ] && resume=(--resume)
    local t0=$(date +%s.%N)
    # /usr/bin/time is not always installed; the peak memory comes from the runtime's own report instead.
    "$bn" run "$model" --out "$out" --threads "$threads" "${resume[@]}" "$@"
    local t1=$(date +%s.%N)
    awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f\n", b - a }' > "$out/wall_s.txt"
    echo "$name: $(cat "$out/wall_s.txt") s" >&2
}

BEYOND=(--set 'N=[15000, 30000, 60000]' --set 'trial=1..2' --set 'duration=1 s' --set 'burn_in=100 ms'
        --set 'dt=0.025 ms' --set 'corr_window=100 ms')
part=${1:-all}
case $part in
figure) run_part figure ;;
beyond) run_part beyond "${BEYOND[@]}" ;;
csweep) run_part csweep --set 'N=4000' --set 'c=[0, 0.05, 0.1, 0.2, 0.4]' ;;
report) bash "$here/report.sh" ;;
all)
    run_part figure
    run_part csweep --set 'N=4000' --set 'c=[0, 0.05, 0.1, 0.2, 0.4]'
    run_part beyond "${BEYOND[@]}"
    bash "$here/report.sh" ;;
*) echo "usage: $0 figure|beyond|csweep|all|report" >&2; exit 2 ;;
esac
