#!/usr/bin/env bash
# bench/plastic.sh BUILD - plastic synapses (issue 12), printed, never asserted (`make bench-plastic`):
#   - COBA with additive STDP on E -> E (models/benchmarks/coba_stdp.bn, 1 s, --threads 1) against static
#     COBA and the hand-written floor bench/floor/coba_stdp.c (same model and event semantics): loop time
#     (sim_ms) and process CPU, median of BENCH_REPS runs (3);
#   - synaptic events of the plastic projection (pre arrivals x row length + post spikes x in-degree) per
#     second of loop, for balnet and the floor;
#   - JIT compile of the plastic model, cold (--no-cache) and warm;
#   - bytes per plastic synapse: the runtime's count (timings: bytes of connectivity over synapses cannot be
#     split per projection from outside, so it is computed here from the layout of runtime/plastic.h and
#     checked against the difference of peak RSS between coba_stdp.bn and coba.bn).
# Environment: BENCH_REPS (3), BENCH_OUT (BUILD/bench-plastic).
set -u
BUILD=${1:-build}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
BIN=$BUILD/balnet
REPS=${BENCH_REPS:-3}
OUT=${BENCH_OUT:-$BUILD/bench-plastic}
[ -x "$BIN" ] || { echo "bench: $BIN not found; build first (make build)" >&2; exit 1; }
mkdir -p "$OUT"
export BALNET_CACHE_DIR=$OUT/kernel-cache
CC=${CC:-cc}
$CC -O3 -march=native -fno-trapping-math -std=c11 -o "$OUT/floor-coba_stdp" "$ROOT/bench/floor/coba_stdp.c" -lm || exit 1
$CC -O3 -march=native -fno-trapping-math -std=c11 -o "$OUT/floor-coba" "$ROOT/bench/floor/coba.c" -lm || exit 1
$CC -O2 -std=c11 -o "$OUT/runstat" "$ROOT/bench/runstat.c" || exit 1
cd "$ROOT" || exit 1
echo "bench-plastic: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"

median() { printf '%s\n' "$@" | grep -v '^$' | sort -g | awk '{v[NR]=$1} END{if(NR==0){print "nan"} else if(NR%2){print v[(NR+1)/2]} else {print (v[NR/2]+v[NR/2+1])/2}}'; }
csvcol() { awk -F, -v c="$2" 'NR==1{for(i=1;i<=NF;i++) if($i==c) k=i; next} k{print $k; exit}' "$1"; }
kv() { echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }
rate() { awk -F, 'NR==1{for(i=1;i<=NF;i++){if($i=="population")p=i; if($i=="statistic")s=i; if($i=="value")v=i}; next} $p=="E" && $s=="rate"{print $v; exit}' "$1"; }

# bal TAG MODEL ARGS...: prints "sim_ms compile_ms cpu_s rss_kb rateE"
bal() {
    local tag=$1; shift
    rm -rf "$OUT/$tag"
    "$OUT/runstat" "$OUT/$tag.rs" "$BIN" run "$@" --threads 1 --out "$OUT/$tag" --quiet >"$OUT/$tag.log" 2>&1
    local w u s m rc
    read -r w u s m rc <"$OUT/$tag.rs"
    [ "$rc" = 0 ] || { echo "nan nan nan nan nan"; return; }
    echo "$(csvcol "$OUT/$tag/timings.csv" sim_ms) $(csvcol "$OUT/$tag/timings.csv" compile_ms) $(awk "BEGIN{print $u+$s}") $m $(rate "$OUT/$tag/points.csv")"
}
declare -a S_SIM S_CPU S_RSS C_SIM C_CPU C_RSS F_LOOP F_CPU F0_LOOP COLD WARM
for r in $(seq "$REPS"); do
    echo "bench-plastic: round $r of $REPS" >&2
    read -r sim comp cpu rss rE <<<"$(bal stdp-$r models/benchmarks/coba_stdp.bn)"
    S_SIM+=("$sim"); S_CPU+=("$cpu"); S_RSS+=("$rss"); WARM+=("$comp"); RATE_E=$rE
    read -r sim comp cpu rss rE <<<"$(bal cold-$r models/benchmarks/coba_stdp.bn --no-cache)"
    COLD+=("$comp")
    read -r sim comp cpu rss rE <<<"$(bal coba-$r models/benchmarks/coba.bn)"
    C_SIM+=("$sim"); C_CPU+=("$cpu"); C_RSS+=("$rss")
    line=$("$OUT/floor-coba_stdp" 1000 1)
    F_LOOP+=("$(kv "$line" loop_ms)"); F_CPU+=("$(kv "$line" loop_cpu_ms)"); FRATE=$(kv "$line" rate_hz); FW=$(kv "$line" w_mean_ns)
    line=$("$OUT/floor-coba" 1000 1)
    F0_LOOP+=("$(kv "$line" loop_cpu_ms)")
done
ssim=$(median "${S_SIM[@]}"); csim=$(median "${C_SIM[@]}"); floop=$(median "${F_LOOP[@]}"); fcpu=$(median "${F_CPU[@]}"); f0=$(median "${F0_LOOP[@]}")
# plastic events per second: E spikes x (out-degree 0.02 x 3200 = 64) pre arrivals + E spikes x in-degree 64
ev=$(awk "BEGIN{printf \"%.0f\", 2 * $RATE_E * 3200 * 64}")
echo
echo "== COBA + additive STDP on E->E (models/benchmarks/coba_stdp.bn, 1 s, 1 thread; medians of $REPS) =="
printf '%-44s %s\n' "balnet loop (sim_ms), plastic" "$ssim ms (static COBA: $csim ms, x$(awk "BEGIN{printf \"%.2f\", $ssim/$csim}"))"
printf "%-44s %s\n" "floor loop (bench/floor/coba_stdp.c)" "$floop ms wall, $fcpu ms CPU (floor static COBA: $f0 ms CPU)"
printf '%-44s %s\n' "balnet / floor (loop)" "$(awk "BEGIN{printf \"%.2f\", $ssim/$floop}")x"
printf '%-44s %s\n' "process CPU, plastic / static (balnet)" "$(median "${S_CPU[@]}") s / $(median "${C_CPU[@]}") s"
printf '%-44s %s\n' "E rate balnet / floor" "$RATE_E Hz / $FRATE Hz (final mean w floor $FW nS)"
printf '%-44s %s\n' "plastic synaptic events per s of loop" "balnet $(awk "BEGIN{printf \"%.1f\", $ev/$ssim/1e3}") M/s, floor $(awk "BEGIN{printf \"%.1f\", $ev/$floop/1e3}") M/s ($ev events)"
printf '%-44s %s\n' "JIT compile, plastic model" "cold $(median "${COLD[@]}") ms, warm cache $(median "${WARM[@]}") ms (goal < 100 ms)"
printf '%-44s %s\n' "bytes per plastic synapse (layout)" "12 (4 target + 4 float w + 4 index entry; traces per neuron: 0)"
printf '%-44s %s\n' "peak RSS plastic - static (balnet)" "$(( ($(median "${S_RSS[@]}") - $(median "${C_RSS[@]}")) ))  kB for 204800 E->E synapses"
echo "(machine load: $(cut -d' ' -f1-3 /proc/loadavg))"
