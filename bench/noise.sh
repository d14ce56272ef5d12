#!/usr/bin/env bash
# bench/noise.sh BUILD - white noise and heterogeneous parameters (issue 13), printed, never asserted (part of
# `make bench`; alone: `make bench-noise`):
#   - 100 000 uncoupled LIF neurons with white-noise input (bench/lif_noise.bn, exact_ou, 1 s, --threads 1)
#     against the hand-written floor bench/floor/lif_noise.c (same model, same Philox keys and Box-Muller, the
#     exact OU step; gcc -O3 -march=native -fno-trapping-math as bench/run.sh builds the other floors, and
#     -fno-math-errno: sqrt's argument is never negative here, and without it gcc keeps the errno branch and
#     leaves the loop scalar, 8x slower; LLVM's llvm.sqrt in balnet's kernel has no errno either):
#     loop time (balnet's sim_ms, the floor's loop_ms) and process CPU, medians of BENCH_REPS interleaved runs
#     (5), and the ratio; the rates must agree (same process, different random numbers only through the
#     initial V);
#   - the same model with tau drawn per neuron (uniform(15 ms, 25 ms): per-neuron propagator and amplitude
#     columns), to show what heterogeneity costs in the loop;
#   - the paper network (models/paper/cancellation.bn, conductance, c = 0.2, N = 4000, 2 s) with g_L drawn
#     per neuron (normal(g_L, 0.1 g_L)) against the homogeneous model: loop time.  Its tau_eff record keeps the
#     nominal g_L (a derived statistic cannot read a per-neuron g_L, and mean(g_L) would add an observable and
#     an accumulator per neuron and step), so the two runs differ only by the g_L column the kernel loads.
# Environment: BENCH_REPS (5), BENCH_OUT (BUILD/bench-noise).
set -u
BUILD=${1:-build}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
BIN=$BUILD/balnet
REPS=${BENCH_REPS:-5}
OUT=${BENCH_OUT:-$BUILD/bench-noise}
[ -x "$BIN" ] || { echo "bench: $BIN not found; build first (make build)" >&2; exit 1; }
mkdir -p "$OUT"
export BALNET_CACHE_DIR=$OUT/kernel-cache
CC=${CC:-cc}
$CC -O3 -march=native -fno-trapping-math -fno-math-errno -std=c11 -o "$OUT/floor-lif_noise" "$ROOT/bench/floor/lif_noise.c" -lm || exit 1
$CC -O2 -std=c11 -o "$OUT/runstat" "$ROOT/bench/runstat.c" || exit 1
cd "$ROOT" || exit 1
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
echo "bench-noise: $(nproc) cores, load $LOAD0" >&2

median() { printf '%s\n' "$@" | grep -v '^$' | sort -g | awk '{v[NR]=$1} END{if(NR==0){print "nan"} else if(NR%2){print v[(NR+1)/2]} else {print (v[NR/2]+v[NR/2+1])/2}}'; }
csvcol() { awk -F, -v c="$2" 'NR==1{for(i=1;i<=NF;i++) if($i==c) k=i; next} k{print $k; exit}' "$1"; }
kv() { echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }
rate() { awk -F, -v p="$2" 'NR==1{for(i=1;i<=NF;i++){if($i=="population")q=i; if($i=="statistic")s=i; if($i=="value")v=i}; next} $q==p && $s=="rate"{print $v; exit}' "$1"; }
calc() { awk "BEGIN{x = $1; if (x != x) print \"nan\"; else printf \"%.${2:-3}f\n\", x}"; }

# bal TAG POP MODEL ARGS...: prints "sim_ms cpu_s rate_of_POP"
bal() {
    local tag=$1 pop=$2; shift 2
    rm -rf "$OUT/$tag"
    "$OUT/runstat" "$OUT/$tag.rs" "$BIN" run "$@" --threads 1 --out "$OUT/$tag" --quiet >"$OUT/$tag.log" 2>&1
    local w u s m rc
    read -r w u s m rc <"$OUT/$tag.rs"
    [ "$rc" = 0 ] || { echo "nan nan nan"; return; }
    echo "$(csvcol "$OUT/$tag/timings.csv" sim_ms) $(awk "BEGIN{print $u+$s}") $(rate "$OUT/$tag/points.csv" "$pop")"
}

# the heterogeneous variants
sed 's/param tau = 20 ms, theta/param tau = uniform(15 ms, 25 ms), theta/' bench/lif_noise.bn >"$OUT/lif_noise_het.bn"
sed -e 's/^\(    population [EI] = eif_paper\[0\.[82]\*N\]\)$/\1(g_L = normal(1 nS\/15, 0.1 nS\/15))/' \
    -e 's/C_m\/(g_L + mean(g_syn))/C_m\/(1 nS\/15 + mean(g_syn))/' models/paper/cancellation.bn >"$OUT/paper_het.bn"
PAPERSET=(--set N=4000 --set c=0.2 --set syn=conductance --set trial=1 --set duration=2s)

bal warm P bench/lif_noise.bn >/dev/null   # fills the kernel cache
bal warmh P "$OUT/lif_noise_het.bn" >/dev/null
declare -a B_SIM B_CPU H_SIM H_CPU F_LOOP F_CPU P_SIM PH_SIM
for r in $(seq "$REPS"); do
    echo "bench-noise: round $r of $REPS" >&2
    read -r sim cpu RATE_B <<<"$(bal noise-$r P bench/lif_noise.bn)"; B_SIM+=("$sim"); B_CPU+=("$cpu")
    read -r sim cpu RATE_H <<<"$(bal het-$r P "$OUT/lif_noise_het.bn")"; H_SIM+=("$sim"); H_CPU+=("$cpu")
    "$OUT/runstat" "$OUT/floor-$r.rs" "$OUT/floor-lif_noise" 1000 "$r" >"$OUT/floor-$r.txt"
    read -r w u s m rc <"$OUT/floor-$r.rs"
    line=$(cat "$OUT/floor-$r.txt")
    F_LOOP+=("$(kv "$line" loop_ms)"); F_CPU+=("$(awk "BEGIN{print $u+$s}")"); RATE_F=$(kv "$line" rate_hz)
done
for r in $(seq "$(( (REPS + 1) / 2 ))"); do
    echo "bench-noise: paper N = 4000, 2 s, homogeneous and heterogeneous g_L, run $r" >&2
    read -r sim cpu RATE_P <<<"$(bal paper-$r E models/paper/cancellation.bn "${PAPERSET[@]}")"; P_SIM+=("$sim")
    read -r sim cpu RATE_PH <<<"$(bal paperhet-$r E "$OUT/paper_het.bn" "${PAPERSET[@]}")"; PH_SIM+=("$sim")
done
LOAD1=$(cut -d' ' -f1-3 /proc/loadavg)

bs=$(median "${B_SIM[@]}"); bc=$(median "${B_CPU[@]}"); hs=$(median "${H_SIM[@]}"); hc=$(median "${H_CPU[@]}")
fl=$(median "${F_LOOP[@]}"); fc=$(median "${F_CPU[@]}"); ps=$(median "${P_SIM[@]}"); phs=$(median "${PH_SIM[@]}")
{
echo
echo "== white noise and heterogeneous parameters (bench/noise.sh; load $LOAD0 before, $LOAD1 after; medians of $REPS) =="
printf '%-52s %-30s %s\n' case measured goal
printf '%-52s %-30s %s\n' "LIF + white noise, 100k neurons, 1 s: balnet loop" "$(calc "$bs" 1) ms (CPU $(calc "$bc" 2) s)" ""
printf '%-52s %-30s %s\n' "  the floor's loop (bench/floor/lif_noise.c)" "$(calc "$fl" 1) ms (CPU $(calc "$fc" 2) s)" ""
printf '%-52s %-30s %s\n' "  balnet loop / floor loop" "$(calc "$bs / $fl" 2)x" "<= 1.5x"
printf '%-52s %-30s %s\n' "  balnet whole process / floor (CPU)" "$(calc "$bc / $fc" 2)x" "(diagnostic)"
printf '%-52s %-30s %s\n' "  rates: balnet / floor" "$(calc "$RATE_B" 3) / $(calc "$RATE_F" 3) Hz" "equal within noise"
printf '%-52s %-30s %s\n' "same with tau drawn per neuron: loop" "$(calc "$hs" 1) ms = $(calc "$hs / $bs" 2)x homogeneous" "(diagnostic)"
printf '%-52s %-30s %s\n' "paper N=4000 2 s cond: loop, g_L homogeneous" "$(calc "$ps" 1) ms (E $(calc "$RATE_P" 2) Hz)" ""
printf '%-52s %-30s %s\n' "  g_L ~ normal(g_L, 0.1 g_L) per neuron" "$(calc "$phs" 1) ms = $(calc "$phs / $ps" 2)x (E $(calc "$RATE_PH" 2) Hz)" "(diagnostic)"
} | tee "$OUT/table.txt"
