#!/usr/bin/env bash
# run_engines.sh - the LLVM JIT and the reference interpreter give the same spikes, bit for bit.
# Args: balnet-binary source-dir build-dir.
#
# Tolerance: none (cmp).  Both engines evaluate the same IR in double precision without -ffast-math, in
# the same operation order (compiler/ir/ir.h), so every spike time must agree; a single differing rounding
# in V shifts spike times and the files diverge within milliseconds of chaotic dynamics.  We also require
# a non-trivial number of spikes so that an empty or truncated file cannot pass.
set -u
source "$(dirname "$0")/lib.sh"

# compare NAME MIN_SPIKES balnet-run-args...: run with each engine, compare --spikes files and points.csv.
compare() {
    local name=$1 min=$2; shift 2
    for e in jit interp; do
        "$BALNET" run "$@" --engine $e --spikes "$TMP/$name-$e.csv" --out "$TMP/$name-$e" --quiet ||
            fail "$name --engine $e exit $?"
    done
    local n
    n=$(($(wc -l < "$TMP/$name-jit.csv") - 1))
    if [ "$n" -ge "$min" ]; then pass "$name: $n spikes (>= $min)"; else fail "$name: only $n spikes (< $min)"; fi
    if [ "$(head -1 "$TMP/$name-jit.csv")" = "population,step,neuron" ]; then
        pass "$name: spike file header"
    else
        fail "$name: spike file header is '$(head -1 "$TMP/$name-jit.csv")'"
    fi
    if cmp "$TMP/$name-jit.csv" "$TMP/$name-interp.csv"; then pass "$name: identical spike files"
    else fail "$name: spike files differ (jit vs interp)"; fi
    if cmp "$TMP/$name-jit/points.csv" "$TMP/$name-interp/points.csv"; then pass "$name: identical points.csv"
    else fail "$name: points.csv differ (jit vs interp)"; fi
}

# COBA, 200 ms: ~17600 spikes (4000 neurons at ~22 Hz); conductance synapses, refractoriness, Euler.
compare coba 5000 models/benchmarks/coba.bn --set duration=200ms
# The paper's conductance EIF network with correlated input (mother process + jitter), N = 1000: ~1200
# spikes in 200 ms; exercises exp(), the correlated input generator and per-trial seeds.
compare paper 300 models/paper/cancellation.bn --set N=1000 --set c=0.2 --set syn=conductance --set trial=1 \
    --set duration=200ms --set burn_in=50ms
finish
