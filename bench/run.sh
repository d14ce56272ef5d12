#!/usr/bin/env bash
# bench/run.sh BUILD - the speed and memory benchmarks (`make bench`), side by side with the hand-written floor.
#
# Builds bench/floor/{coba,cuba}.c with cc -O3 -march=native -fno-trapping-math (no result changes: it only
# lets gcc if-convert the update loop's selects and vectorise it, which LLVM, balnet's back end, does by
# default; without it gcc leaves the loop scalar, 2.7x more instructions) and bench/runstat.c, then measures
#   - balnet and the floor on COBA and CUBA (1 s simulated, --threads 1): median of BENCH_REPS runs, balnet
#     both with its kernel cache warm (the compiled kernels of an earlier run reused, compiler/jit/jit_cache.c;
#     the bench keeps its own cache in BENCH_OUT/kernel-cache) and cold (--no-cache: compiled in the run);
#     and in single precision: balnet with --set precision=single against the floor compiled with
#     -DFL_SINGLE (the same program with float state and arithmetic), each ratio against its own floor;
#   - issue 19's targets: COBA and CUBA for 10 s recording only the rate, whole process CPU, in double and
#     single precision against the floor of the same precision (BENCH_LONG_REPS interleaved rounds, 3);
#   - the paper network (models/paper/cancellation.bn, syn = conductance, c = 0.2, 5 s, one trial,
#     --threads 1) at N = 4000 (median of BENCH_PAPER_REPS runs) and N = 15000 (once);
#   - 1 vs 2 threads on one network (paper, N = 15000, 1 s; BENCH_THREAD_REPS interleaved pairs, 3) and on
#     4 independent sweep points
#     (paper, N = 4000, 1 s, trial in 1..4);
#   - whether N = 100000, p = 0.2 fits in 24 GB: balnet's own estimate (runtime/mem.c) redone here, and the
#     measured peak memory of a 1 ms run when BENCH_BIG=1 (it allocates about 10 GB and takes minutes);
# and prints one table with every speed and memory target.  Measurements are printed, never asserted.
#
# Timing sources: process wall, CPU (user + sys) and peak RSS from bench/runstat.c (wait4's rusage);
# compile_ms, build_ms, sim_ms from the run's timings.csv; rates from points.csv.  CPU time is shown next
# to wall time because the machine may be shared: with other processes on the cores, wall time inflates,
# CPU time much less.
#
# Environment: BENCH_REPS (5), BENCH_PAPER_REPS (3), BENCH_OUT (BUILD/bench), BENCH_SKIP_LARGE=1 skips
# everything at N = 15000, BENCH_BIG=1 runs N = 100000.
set -u
BUILD=${1:-build}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
BIN=$BUILD/balnet
REPS=${BENCH_REPS:-5}
PREPS=${BENCH_PAPER_REPS:-3}
OUT=${BENCH_OUT:-$BUILD/bench}
PAPER=$ROOT/models/paper/cancellation.bn
PAPERSET=(--set c=0.2 --set syn=conductance --set trial=1)

if [ ! -x "$BIN" ]; then
    echo "bench: $BIN not found; build first (make build)" >&2
    exit 1
fi
mkdir -p "$OUT"
export BALNET_CACHE_DIR=$OUT/kernel-cache
TREPS=${BENCH_THREAD_REPS:-3}
CC=${CC:-cc}
for f in coba cuba; do
    $CC -O3 -march=native -fno-trapping-math -std=c11 -o "$OUT/floor-$f" "$ROOT/bench/floor/$f.c" -lm || exit 1
    $CC -O3 -march=native -fno-trapping-math -std=c11 -DFL_SINGLE -o "$OUT/floor-${f}f" "$ROOT/bench/floor/$f.c" -lm || exit 1
done
$CC -O2 -std=c11 -o "$OUT/runstat" "$ROOT/bench/runstat.c" || exit 1
$CC -O2 -march=native -std=gnu11 -I"$ROOT" -I"$ROOT/compiler" -o "$OUT/threadprobe" "$ROOT/bench/threadprobe.c" \
    "$ROOT/runtime/pool.c" "$ROOT/compiler/support/util.c" -lpthread || exit 1
cd "$ROOT" || exit 1

LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
echo "bench: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), load $LOAD0"
echo "bench: results in $OUT"

# ---- helpers -------------------------------------------------------------------------------------------
median() { printf '%s\n' "$@" | grep -v '^$' | sort -g | awk '{v[NR]=$1} END{if(NR==0){print "nan"} else if(NR%2){print v[(NR+1)/2]} else {print (v[NR/2]+v[NR/2+1])/2}}'; }
# column NAME of the first data row of a CSV file
csvcol() { awk -F, -v c="$2" 'NR==1{for(i=1;i<=NF;i++) if($i==c) k=i; next} k{print $k; exit}' "$1"; }
# sum of column NAME over all data rows (sweeps: one row per item)
csvsum() { awk -F, -v c="$2" 'NR==1{for(i=1;i<=NF;i++) if($i==c) k=i; next} k{s+=$k} END{printf "%.6g\n", s}' "$1"; }
# pooled rate of the first item in points.csv
poprate() { awk -F, 'NR==1{for(i=1;i<=NF;i++){if($i=="population")p=i; if($i=="statistic")s=i; if($i=="value")v=i}; next} $p=="all" && $s=="rate"{print $v; exit}' "$1"; }
kv() { echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }
calc() { awk "BEGIN{x = $1; if (x != x) print \"nan\"; else printf \"%.${2:-3}f\n\", x}"; }

# bal TAG ARGS...: one balnet run; appends "tag wall cpu rss_kb compile build sim rate synapses" to raw.txt
bal() {
    local tag=$1; shift
    rm -rf "$OUT/$tag"
    "$OUT/runstat" "$OUT/$tag.rs" "$BIN" run "$@" --out "$OUT/$tag" --quiet >"$OUT/$tag.log" 2>&1
    local w u s m rc st
    read -r w u s m rc <"$OUT/$tag.rs"; st=$rc
    if [ "$st" != 0 ] || [ ! -f "$OUT/$tag/timings.csv" ]; then
        echo "bench: balnet $tag failed (exit $st), see $OUT/$tag.log" >&2
        echo "$tag nan nan nan nan nan nan nan nan" >>"$OUT/raw.txt"
        return 1
    fi
    local T=$OUT/$tag/timings.csv rate
    rate=$(poprate "$OUT/$tag/points.csv" 2>/dev/null)
    echo "$tag $w $(calc "$u + $s") $m $(csvcol "$T" compile_ms) $(csvsum "$T" build_ms) $(csvsum "$T" sim_ms) ${rate:-nan} $(csvcol "$T" synapses)" >>"$OUT/raw.txt"
}
# flo MODEL REP [-s]: one floor run; appends "tag wall cpu rss_kb build loop loop_cpu rate synapses"
# (FLO_DUR: simulated ms, 1000; FLO_TAG: the tag's prefix, floor)
flo() {
    local line w u s m rc
    local tag=${FLO_TAG:-floor}-$1${3:+s}-$2
    line=$("$OUT/runstat" "$OUT/$tag.rs" "$OUT/floor-$1" "${FLO_DUR:-1000}" "$2" ${3:-})
    read -r w u s m rc <"$OUT/$tag.rs"
    echo "$tag $w $(calc "$u + $s") $m $(kv "$line" build_ms) $(kv "$line" loop_ms) $(kv "$line" loop_cpu_ms) $(kv "$line" rate_hz) $(kv "$line" synapses)" >>"$OUT/raw.txt"
}
# med PREFIX FIELD: median of field FIELD (2 = wall ... 9 = synapses) over raw.txt lines whose tag starts with PREFIX-
med() { median $(awk -v p="$1-" -v f="$2" 'index($1, p) == 1 {print $f}' "$OUT/raw.txt"); }
# mn PREFIX FIELD: the minimum instead (other load on the machine only ever adds time)
mn() { printf '%s\n' $(awk -v p="$1-" -v f="$2" 'index($1, p) == 1 {print $f}' "$OUT/raw.txt") | sort -g | head -1; }
one() { awk -v t="$1" -v f="$2" '$1 == t {print $f}' "$OUT/raw.txt" | tail -1; }

: >"$OUT/raw.txt"
# ---- runs ----------------------------------------------------------------------------------------------
# Ablation: the same models without their record lines (no statistics), and the floor with -s (per-neuron
# sum V, sum V^2 every step), to separate the simulation loop from the statistics.
for m in coba cuba; do sed '/^record/d' "models/benchmarks/$m.bn" >"$OUT/${m}_norec.bn"; done
rm -rf "$BALNET_CACHE_DIR"
for m in coba cuba; do   # fills the kernel cache for the warm runs
    bal "warmup$m" "models/benchmarks/$m.bn" --threads 1
    bal "warmupsingle$m" "models/benchmarks/$m.bn" --threads 1 --set precision=single
done
for r in $(seq "$REPS"); do
    echo "bench: COBA/CUBA round $r of $REPS" >&2
    for m in coba cuba; do
        bal "$m-$r" "models/benchmarks/$m.bn" --threads 1
        bal "cold$m-$r" "models/benchmarks/$m.bn" --threads 1 --no-cache
        bal "norec$m-$r" "$OUT/${m}_norec.bn" --threads 1
        bal "single$m-$r" "models/benchmarks/$m.bn" --threads 1 --set precision=single
        bal "norecsingle$m-$r" "$OUT/${m}_norec.bn" --threads 1 --set precision=single
        flo "$m" "$r"
        flo "$m" "$r" -s
        flo "${m}f" "$r"
    done
done
LREPS=${BENCH_LONG_REPS:-3}
for m in coba cuba; do sed 's/^record .*/record E, I, all: rate/' "models/benchmarks/$m.bn" >"$OUT/${m}_rate.bn"; done
for m in coba cuba; do   # their kernels into the cache
    bal "warmuplong$m" "$OUT/${m}_rate.bn" --threads 1 --set duration=10ms
    bal "warmuplongsingle$m" "$OUT/${m}_rate.bn" --threads 1 --set duration=10ms --set precision=single
done
for r in $(seq "$LREPS"); do
    echo "bench: COBA/CUBA 10 s, rate only, double and single, round $r of $LREPS" >&2
    for m in coba cuba; do
        bal "long$m-$r" "$OUT/${m}_rate.bn" --threads 1 --set duration=10s
        bal "longsingle$m-$r" "$OUT/${m}_rate.bn" --threads 1 --set duration=10s --set precision=single
        FLO_DUR=10000 FLO_TAG=floor-long flo "$m" "$r"
        FLO_DUR=10000 FLO_TAG=floor-long flo "${m}f" "$r"
    done
done
for r in $(seq "$PREPS"); do
    echo "bench: paper N = 4000, 5 s, run $r of $PREPS" >&2
    bal "p4000-$r" "$PAPER" --set N=4000 "${PAPERSET[@]}" --set duration=5s --threads 1
done
echo "bench: 4 sweep points (paper N = 4000, 1 s), 1 and 2 threads" >&2
bal sweep-t1 "$PAPER" --set N=4000 --set c=0.2 --set syn=conductance --set 'trial=1..4' --set duration=1s --threads 1
bal sweep-t2 "$PAPER" --set N=4000 --set c=0.2 --set syn=conductance --set 'trial=1..4' --set duration=1s --threads 2
if [ "${BENCH_SKIP_LARGE:-0}" != 1 ]; then
    echo "bench: paper N = 15000, 5 s, 1 thread (once)" >&2
    bal p15000 "$PAPER" --set N=15000 "${PAPERSET[@]}" --set duration=5s --threads 1
    echo "bench: paper N = 15000, 1 s, 1 and 2 threads" >&2
    for r in $(seq "$TREPS"); do
        bal "big1-$r" "$PAPER" --set N=15000 "${PAPERSET[@]}" --set duration=1s --threads 1
        bal "big2-$r" "$PAPER" --set N=15000 "${PAPERSET[@]}" --set duration=1s --threads 2
    done
fi
if [ "${BENCH_BIG:-0}" = 1 ]; then
    echo "bench: paper N = 100000, 1 ms (builds the whole network)" >&2
    bal p100k "$PAPER" --set N=100000 "${PAPERSET[@]}" --set duration=1ms --set burn_in=0ms --threads 1
fi
LOAD1=$(cut -d' ' -f1-3 /proc/loadavg)

# ---- derived figures -----------------------------------------------------------------------------------
# Stored bytes per synapse as runtime/net.c lays them out: 2-byte targets when the target population has
# < 65536 neurons (else 4), no weights (constant per projection), plus one int64 row start per source;
# or dense rows, a bit per pair in 64-bit words, where they take fewer bytes (rt_conn_bits_pay).
# Paper network: E 0.8 N, I 0.2 N, X 0.3 N sources; targets E and I; Bernoulli p (no E->E, I->I autapses).
paper_bytes() {   # N p -> "synapses bytes"
    awk -v N="$1" -v p="$2" 'BEGIN{
        nE = 0.8*N; nI = 0.2*N; nX = 0.3*N; syn = 0; b = 0
        split("E I X", src, " "); n["E"] = nE; n["I"] = nI; n["X"] = nX
        for (a = 1; a <= 3; a++) for (t = 1; t <= 2; t++) {
            s = src[a]; tg = src[t]; npost = n[tg] - (s == tg ? 1 : 0)
            k = n[s] * npost * p; syn += k; w = n[tg] < 65536 ? 2 : 4
            words = int((n[tg] + 63) / 64) * 8
            b += (words < p * n[tg] * w ? n[s] * words : k * w) + 8 * (n[s] + 1)
        }
        printf "%.0f %.0f\n", syn, b }'
}
read -r SYN15 B15 < <(paper_bytes 15000 0.2)
read -r SYN100 B100 < <(paper_bytes 100000 0.2)
BPS15=$(calc "$B15 / $SYN15" 3)
BPS100=$(calc "$B100 / $SYN100" 3)
BCOBA=$(calc "(4000*79.98*2 + 8*4*4001)/(4000*79.98)" 3)   # 4 projections, 16-bit targets
# neuron state, queues and statistics of N = 100000 (runtime/mem.c: nvars + nobs doubles, a few more per
# neuron for flags, queues and accumulators; all small next to the synapses)
GB100=$(calc "($B100 + 100000*1.3*400) / 1e9" 2)
# marginal peak memory per synapse, measured: (RSS(N=15000) - RSS(N=4000)) / (synapses difference)
RSS15=$(one p15000 4); SYNM15=$(one p15000 9); RSS4=$(med p4000 4); SYN4=$(med p4000 9)
MBPS=nan
[ -n "$RSS15" ] && [ "$RSS15" != nan ] && MBPS=$(calc "($RSS15 - $RSS4) * 1024 / ($SYNM15 - $SYN4)" 2)

# synaptic events per second of simulation loop: recurrent rate * N * (p N) * T (+ input events r_x 0.3 N p N T)
ev_coba() { calc "$1 * 4000 * 0.02 * 4000 * 1.0" 0; }
ev_paper() { calc "($1 * $2 + 10 * 0.3 * $2) * 0.2 * $2 * $3" 0; }

# ---- table ---------------------------------------------------------------------------------------------
{
echo
echo "== raw medians (threads 1; wall/CPU of the whole process; ms from timings.csv) =="
printf '%-22s %8s %8s %9s %9s %9s %9s %9s %10s\n' case wall_s cpu_s rss_MB compile_ms build_ms sim_ms rate_Hz synapses
for c in coba cuba coldcoba coldcuba noreccoba noreccuba singlecoba singlecuba norecsinglecoba norecsinglecuba longcoba longcuba longsinglecoba longsinglecuba p4000 big1 big2; do
    [ -n "$(med $c 2)" ] && [ "$(med $c 2)" != nan ] || continue
    printf '%-22s %8.3f %8.3f %9.1f %9.1f %9.1f %9.1f %9.3f %10.0f\n' "balnet $c" "$(med $c 2)" "$(med $c 3)" \
        "$(calc "$(med $c 4)/1024" 1)" "$(med $c 5)" "$(med $c 6)" "$(med $c 7)" "$(med $c 8)" "$(med $c 9)"
done
for c in p15000 sweep-t1 sweep-t2 p100k; do
    [ -n "$(one $c 2)" ] || continue
    printf '%-22s %8.3f %8.3f %9.1f %9.1f %9.1f %9.1f %9.3f %10.0f\n' "balnet $c" "$(one $c 2)" "$(one $c 3)" \
        "$(calc "$(one $c 4)/1024" 1)" "$(one $c 5)" "$(one $c 6)" "$(one $c 7)" "$(one $c 8)" "$(one $c 9)"
done
printf '%-22s %8s %8s %9s %9s %9s %9s %9s %10s\n' "" wall_s cpu_s rss_MB loop_cpu build_ms loop_ms rate_Hz synapses
for m in coba cuba cobas cubas cobaf cubaf long-coba long-cuba long-cobaf long-cubaf; do
    printf '%-22s %8.3f %8.3f %9.1f %9.1f %9.1f %9.1f %9.3f %10.0f\n' "floor $m" "$(med floor-$m 2)" "$(med floor-$m 3)" \
        "$(calc "$(med floor-$m 4)/1024" 1)" "$(med floor-$m 7)" "$(med floor-$m 5)" "$(med floor-$m 6)" "$(med floor-$m 8)" "$(med floor-$m 9)"
done

echo
echo "== synaptic events per second of simulation loop (sim_ms wall) =="
for m in coba cuba; do
    ev=$(ev_coba "$(med $m 8)"); echo "balnet $m: $ev events, $(calc "$ev / ($(med $m 7) / 1000) / 1e6" 1) M/s;" \
        "floor: $(calc "$(ev_coba "$(med floor-$m 8)") / ($(med floor-$m 6) / 1000) / 1e6" 1) M/s"
done
ev=$(ev_paper "$(med p4000 8)" 4000 4.75); echo "balnet paper N=4000: $ev events (recurrent + input, after burn-in rates), $(calc "$ev / ($(med p4000 7) / 1000) / 1e6" 1) M/s"
if [ -n "$(one p15000 8)" ]; then
    ev=$(ev_paper "$(one p15000 8)" 15000 4.75); echo "balnet paper N=15000: $ev events, $(calc "$ev / ($(one p15000 7) / 1000) / 1e6" 1) M/s"
fi

echo
echo "== speed and memory targets (load average $LOAD0 before, $LOAD1 after; $(nproc) cores) =="
printf '%-46s %-34s %-12s %s\n' target measured goal met
row() { printf '%-46s %-34s %-12s %s\n' "$1" "$2" "$3" "$4"; }
yes() { awk "BEGIN{print ($1) ? \"yes\" : \"NO\"}"; }
for c in coba cuba p4000; do
    v=$(calc "$(med $c 5)" 1); row "JIT compile ($c)" "$v ms" "< 100 ms" "$(yes "$v < 100")"
done
for m in coba cuba; do
    rw=$(calc "$(med $m 2) / $(med floor-$m 2)" 2); rc=$(calc "$(med $m 3) / $(med floor-$m 3)" 2)
    rl=$(calc "$(med $m 7) / $(med floor-$m 6)" 2)
    row "$m whole run / floor (wall, warm cache)" "$(calc "$(med $m 2)" 3) s / $(calc "$(med floor-$m 2)" 3) s = ${rw}x" "<= 1.3x" "$(yes "$rw <= 1.3")"
    row "$m whole run / floor (CPU, warm cache)" "$(calc "$(med $m 3)" 3) s / $(calc "$(med floor-$m 3)" 3) s = ${rc}x" "<= 1.3x" "$(yes "$rc <= 1.3")"
    rs_=$(calc "$(med $m 3) / $(med floor-${m}s 3)" 2)
    row "$m whole run / floor with V stats (CPU)" "$(calc "$(med $m 3)" 3) s / $(calc "$(med floor-${m}s 3)" 3) s = ${rs_}x" "<= 1.3x" "$(yes "$rs_ <= 1.3")"
    rk=$(calc "$(med cold$m 3) / $(med floor-$m 3)" 2)
    row "$m whole run / floor (CPU, --no-cache)" "$(calc "$(med cold$m 3)" 3) s / $(calc "$(med floor-$m 3)" 3) s = ${rk}x" "(diagnostic)" ""
    row "$m sim loop / floor loop (wall)" "$(calc "$(med $m 7)" 1) / $(calc "$(med floor-$m 6)" 1) ms = ${rl}x" "(diagnostic)" ""
    rm_=$(calc "$(mn $m 7) / $(mn floor-$m 6)" 2)
    row "$m sim loop / floor loop (min of runs)" "$(calc "$(mn $m 7)" 1) / $(calc "$(mn floor-$m 6)" 1) ms = ${rm_}x" "(diagnostic)" ""
    rs=$(calc "$(mn $m 7) / $(mn floor-${m}s 6)" 2)
    row "$m sim loop / floor with V stats (min)" "$(calc "$(mn $m 7)" 1) / $(calc "$(mn floor-${m}s 6)" 1) ms = ${rs}x" "(diagnostic)" ""
    rn=$(calc "$(med norec$m 7) / $(med floor-$m 6)" 2)
    row "$m loop, no records / floor loop" "$(calc "$(med norec$m 7)" 1) / $(calc "$(med floor-$m 6)" 1) ms = ${rn}x" "<= 1.3x" "$(yes "$rn <= 1.3")"
    # single precision, against the float floor (-DFL_SINGLE)
    rw=$(calc "$(med single$m 3) / $(med floor-${m}f 3)" 2)
    row "$m single whole run / single floor (CPU)" "$(calc "$(med single$m 3)" 3) s / $(calc "$(med floor-${m}f 3)" 3) s = ${rw}x" "<= 1.2x" "$(yes "$rw <= 1.2")"
    rn=$(calc "$(med norecsingle$m 7) / $(med floor-${m}f 6)" 2)
    row "$m single loop, no records / single floor" "$(calc "$(med norecsingle$m 7)" 1) / $(calc "$(med floor-${m}f 6)" 1) ms = ${rn}x" "(diagnostic)" ""
    rd=$(calc "$(med floor-$m 6) / $(med floor-${m}f 6)" 2)
    row "$m double floor loop / single floor loop" "${rd}x" "(diagnostic)" ""
done
for m in coba cuba; do
    rd=$(calc "$(med long$m 3) / $(med floor-long-$m 3)" 2); rs=$(calc "$(med longsingle$m 3) / $(med floor-long-${m}f 3)" 2)
    row "$m 10 s rate only, double / double floor (CPU)" "$(calc "$(med long$m 3)" 3) s / $(calc "$(med floor-long-$m 3)" 3) s = ${rd}x" "<= 1.1x" "$(yes "$rd <= 1.1")"
    row "$m 10 s rate only, single / single floor (CPU)" "$(calc "$(med longsingle$m 3)" 3) s / $(calc "$(med floor-long-${m}f 3)" 3) s = ${rs}x" "<= 1.2x" "$(yes "$rs <= 1.2")"
    rl=$(calc "$(med long$m 7) / $(med floor-long-$m 6)" 2); rk=$(calc "$(med longsingle$m 7) / $(med floor-long-${m}f 6)" 2)
    row "$m 10 s loops: double, single / own floor" "${rl}x, ${rk}x (sim_ms / loop_ms)" "(diagnostic)" ""
done
if [ -n "$(one p15000 2)" ]; then
    row "paper N=15000 5 s cond c=0.2, 1 thread (wall)" "$(one p15000 2) s (CPU $(one p15000 3) s)" "< 10 s" "$(yes "$(one p15000 2) < 10")"
else
    row "paper N=15000 5 s cond c=0.2, 1 thread" "skipped (BENCH_SKIP_LARGE)" "< 10 s" "-"
fi
row "bytes per stored synapse (N=15000, layout)" "$BPS15 B (COBA $BCOBA B)" "<= 4.5 B" "$(yes "$BPS15 <= 4.5")"
[ "$MBPS" != nan ] && row "peak RSS per synapse (N=15000 - N=4000)" "$MBPS B" "<= 4.5 B" "$(yes "$MBPS <= 4.5")"
if [ -n "$(one p100k 2)" ] && [ "$(one p100k 2)" != nan ]; then
    row "N=100000 p=0.2 fits in 24 GB (measured)" "peak $(calc "$(one p100k 4)/1048576" 2) GiB, $(one p100k 9) syn" "< 24 GB" "$(yes "$(one p100k 4) < 24e9/1024")"
else
    row "N=100000 p=0.2 fits in 24 GB (estimate)" "$GB100 GB, ${BPS100} B/syn x $(calc "$SYN100/1e9" 2)e9" "< 24 GB" "$(yes "$GB100 < 24")"
fi
if [ -n "$(med big2 7)" ] && [ "$(med big2 7)" != nan ]; then
    s=$(calc "$(med big1 7) / $(med big2 7)" 2); sm=$(calc "$(mn big1 7) / $(mn big2 7)" 2)
    row "2 threads, one network (N=15000 1 s, sim)" "${s}x (medians of $TREPS), ${sm}x (minima)" ">= 1.8x" "$(yes "$s >= 1.8")"
fi
s=$(calc "$(one sweep-t1 2) / $(one sweep-t2 2)" 2)
row "2 threads, 4 sweep points (wall)" "${s}x" ">= 1.9x" "$(yes "$s >= 1.9")"
echo
echo "== how two threads of one process share this machine (bench/threadprobe.c; see docs/performance.md) =="
"$OUT/threadprobe"
echo
echo "Rates: balnet COBA $(calc "$(med coba 8)" 2) Hz vs floor $(calc "$(med floor-coba 8)" 2) Hz; CUBA $(calc "$(med cuba 8)" 2) Hz vs floor $(calc "$(med floor-cuba 8)" 2) Hz (medians over seeds 1..$REPS for the floor; balnet's seed is fixed by the model file)."
echo "Single precision: balnet COBA $(calc "$(med singlecoba 8)" 2) Hz vs float floor $(calc "$(med floor-cobaf 8)" 2) Hz; CUBA $(calc "$(med singlecuba 8)" 2) Hz vs $(calc "$(med floor-cubaf 8)" 2) Hz."
} | tee "$OUT/table.txt"
