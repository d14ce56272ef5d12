#!/usr/bin/env bash
# bench/precision.sh BUILD - the error of `precision = single` against double precision (docs/performance.md,
# "Single precision"): the same models, seeds and sweep points run in both precisions, and for every
# statistic of population `all` the relative difference single - double, next to the spread of the double
# values over seeds (trials), the yardstick a user compares it with.  Prints, never asserts.
#   - COBA and CUBA (models/benchmarks), 10 s, seeds 1..3 (BENCH_SEEDS);
#   - the paper network (models/paper/cancellation.bn), N = 2000, c = 0.2, both synapse arms, 5 s,
#     trials 1..3 (each trial its own seed).
# Environment: BENCH_OUT (BUILD/precision), BENCH_SEEDS (3), BENCH_DURATION (10s).
set -u
BUILD=${1:-build}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
BIN=$BUILD/balnet
OUT=${BENCH_OUT:-$BUILD/precision}
SEEDS=${BENCH_SEEDS:-3}
DUR=${BENCH_DURATION:-10s}
[ -x "$BIN" ] || { echo "precision: $BIN not found; build first (make build)" >&2; exit 1; }
rm -rf "$OUT"
mkdir -p "$OUT"
cd "$ROOT" || exit 1

# run TAG ARGS...: one balnet run into OUT/TAG (points.csv)
run() {
    local tag=$1; shift
    "$BIN" run "$@" --threads 1 --quiet --out "$OUT/$tag" >"$OUT/$tag.log" 2>&1 ||
        echo "precision: $tag failed, see $OUT/$tag.log" >&2
}
for m in coba cuba; do
    for s in $(seq "$SEEDS"); do
        for p in double single; do
            echo "precision: $m seed $s $p" >&2
            run "$m-$p-$s" "models/benchmarks/$m.bn" --set duration="$DUR" --set precision=$p --seed "$s"
        done
    done
done
for p in double single; do
    echo "precision: paper N = 2000, c = 0.2, both arms, trials 1..$SEEDS, $p" >&2
    run "paper-$p" models/paper/cancellation.bn --set N=2000 --set c=0.2 --set "syn=[current,conductance]" \
        --set "trial=1..$SEEDS" --set duration=5s --set precision=$p
done

# rows "key statistic value" of population all; key = model/seed (benchmarks) or syn/trial (paper)
rows() {   # FILE KEY-PREFIX
    awk -F, -v pre="$2" 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
        $c["population"] == "all" { k = pre; if ("syn" in c) k = $c["syn"]; t = ("trial" in c) ? $c["trial"] : "1"
                                    print k, t, $c["statistic"], $c["value"] }' "$1"
}
{
    for m in coba cuba; do
        for s in $(seq "$SEEDS"); do
            rows "$OUT/$m-double-$s/points.csv" "$m" | awk -v s="$s" '{print "double", $1, s, $3, $4}'
            rows "$OUT/$m-single-$s/points.csv" "$m" | awk -v s="$s" '{print "single", $1, s, $3, $4}'
        done
    done
    rows "$OUT/paper-double/points.csv" x | awk '{print "double", "paper-" $1, $2, $3, $4}'
    rows "$OUT/paper-single/points.csv" x | awk '{print "single", "paper-" $1, $2, $3, $4}'
} >"$OUT/rows.txt"

echo
echo "== precision = single against double (population all; $SEEDS seeds or trials each) =="
printf '%-20s %-10s %14s %14s %12s %12s %14s\n' model statistic "double mean" "single mean" "mean diff" "max |diff|" "double spread"
awk '{ key = $2 " " $4; v[$1, key, $3] = $5; keys[key] = 1; seeds[$3] = 1 }
     END {
        for (key in keys) {
            n = 0; sd = 0; ss = 0; md = 0; lo = 1e300; hi = -1e300
            for (s in seeds) {
                if (!(("double", key, s) in v) || !(("single", key, s) in v)) continue
                d = v["double", key, s]; x = v["single", key, s]; n++; sd += d; ss += x
                if (d < lo) lo = d; if (d > hi) hi = d
                r = (d != 0) ? (x - d) / (d < 0 ? -d : d) : 0; sr += r; if ((r < 0 ? -r : r) > md) md = (r < 0 ? -r : r)
            }
            if (n == 0) continue
            m = sd / n; split(key, k, " ")
            spread = (m != 0) ? sprintf("%13.3f%%", 100 * (hi - lo) / (m < 0 ? -m : m)) : sprintf("%14s", "-")
            printf "%-20s %-10s %14.6g %14.6g %+11.3f%% %11.3f%% %s\n", k[1], k[2], m, ss / n, 100 * sr / n, 100 * md, spread
            sr = 0
        }
     }' "$OUT/rows.txt" | sort
echo
echo "mean diff: mean over seeds of (single - double) / |double| for the same seed; max |diff|: its largest;"
echo "double spread: (max - min) / |mean| of the double values over the seeds, the run-to-run variation."
