#!/usr/bin/env bash
# run_repro.sh - a run is a function of its seed only: not of the run, nor of the thread count (sweep items
# in parallel, or one network's neurons split over threads), and the seed matters.
# Args: balnet-binary source-dir build-dir.
#
# Tolerance: none (cmp, byte for byte).  The RNG is counter-based, keyed by (seed, stream, entity, step)
# (DESIGN.md §3), and statistics are reduced in a fixed order, so nothing may depend on scheduling.
set -u
source "$(dirname "$0")/lib.sh"

COBA="models/benchmarks/coba.bn --set duration=200ms --quiet"

# 1. The same seed twice.
"$BALNET" run $COBA --out "$TMP/a" || fail "run a exit $?"
"$BALNET" run $COBA --out "$TMP/b" || fail "run b exit $?"
if cmp "$TMP/a/points.csv" "$TMP/b/points.csv"; then pass "same seed: identical points.csv"
else fail "same seed: points.csv differ"; fi

# 2. A 2 x 2 sweep (N x p, 4 items) with 1 and 2 worker threads.
SWEEP="$COBA --set N=[1000,2000] --set p=[0.02,0.04]"
"$BALNET" run $SWEEP --threads 1 --out "$TMP/t1" || fail "threads 1 exit $?"
"$BALNET" run $SWEEP --threads 2 --out "$TMP/t2" || fail "threads 2 exit $?"
rows=$(($(wc -l < "$TMP/t1/points.csv") - 1))
# 4 items x 3 populations (E, I, all) x 4 statistics = 48 rows.
if [ "$rows" -eq 48 ]; then pass "sweep: 48 rows"; else fail "sweep: $rows rows, expected 48"; fi
if cmp "$TMP/t1/points.csv" "$TMP/t2/points.csv"; then pass "sweep: --threads 1 and 2 identical points.csv"
else fail "sweep: --threads 1 and 2 give different points.csv"; fi

# 3. One point: its neurons are split over the threads.  COBA's 4000 neurons are below the runtime's
# neurons-per-thread threshold, so the threshold is lowered (BALNET_NEURONS_PER_THREAD) to make 2 and 3
# threads really split it; timings.csv's column 8 (threads) says how many threads the network used.
"$BALNET" run $COBA --threads 1 --spikes "$TMP/s1.csv" --out "$TMP/s1" || fail "split threads 1 exit $?"
for n in 2 3; do
    BALNET_NEURONS_PER_THREAD=64 "$BALNET" run $COBA --threads $n --spikes "$TMP/s$n.csv" --out "$TMP/s$n" \
        || fail "split threads $n exit $?"
    used=$(awk -F, 'NR == 2 {print $8}' "$TMP/s$n/timings.csv")
    if [ "$used" = "$n" ]; then pass "one point: the network ran on $n threads"
    else fail "one point: the network ran on '$used' threads, not $n"; fi
    if [ "$(wc -l < "$TMP/s1.csv")" -gt 1000 ] && cmp "$TMP/s1.csv" "$TMP/s$n.csv"; then
        pass "one point: --threads 1 and $n identical spikes"
    else
        fail "one point: spikes differ between --threads 1 and $n (or fewer than 1000)"
    fi
    if cmp "$TMP/s1/points.csv" "$TMP/s$n/points.csv"; then pass "one point: identical points.csv on 1 and $n threads"
    else fail "one point: points.csv differ between --threads 1 and $n"; fi
done
"$BALNET" run $COBA --threads 2 --out "$TMP/sd" -q || fail "default threshold exit $?"
used=$(awk -F, 'NR == 2 {print $8}' "$TMP/sd/timings.csv")
if [ "$used" = 1 ]; then pass "COBA (4000 neurons) stays on one thread by default (2 would be slower)"
else fail "COBA used $used threads with the default threshold"; fi

# 4. A different seed changes the network, the initial state and hence every value.
"$BALNET" run $COBA --seed 2 --out "$TMP/c" || fail "seed 2 exit $?"
r1=$(value "$TMP/a/points.csv" population=all statistic=rate)
r2=$(value "$TMP/c/points.csv" population=all statistic=rate)
if [ "$r1" != "$r2" ]; then pass "seed 1 vs 2: rates differ ($r1 vs $r2)"; else fail "seed 2 gives the same rate $r1"; fi
v1=$(value "$TMP/a/points.csv" population=E statistic=v_var)
v2=$(value "$TMP/c/points.csv" population=E statistic=v_var)
if [ "$v1" != "$v2" ]; then pass "seed 1 vs 2: v_var differ"; else fail "seed 2 gives the same v_var $v1"; fi
if grep -q '"seed": 2' "$TMP/c/run.json"; then pass "run.json records seed 2"; else fail "run.json lacks \"seed\": 2"; fi
finish
