#!/usr/bin/env bash
# run_warm_loader.sh - a warm run needs no LLVM (issue 18, compiler/jit/jit_load.h): COBA run twice with a
# fresh kernel cache is a miss and then a hit whose objects balnet's own loader linked, and both runs'
# points.csv are byte-identical (tolerance 0: the same machine code); so is a run whose kernels the LLJIT
# linked from the same cache (BALNET_LOADER=llvm) and one on the reference interpreter.
# Args: balnet-binary source-dir build-dir.
set -u
source "$(dirname "$0")/lib.sh"

M=models/benchmarks/coba.bn
export BALNET_CACHE_DIR="$TMP/cache"
run() {   # run NAME [ARGS...]: COBA for 20 ms into $TMP/NAME, -v into $TMP/NAME.err
    local name=$1; shift
    "$BALNET" run -v --quiet --threads 1 --set duration=20ms --set burn_in=0ms --out "$TMP/$name" "$@" "$M" \
        2>"$TMP/$name.err" || fail "$name: exit $?"
}
run cold
run warm
BALNET_LOADER=llvm run lljit
run interp --engine interp

grep -q "kernels: compiled in" "$TMP/cold.err" && grep -q "kernel cache: miss" "$TMP/cold.err" &&
    pass "first run: compiled (cache miss)" || fail "first run: not a miss: $(cat "$TMP/cold.err")"
grep -q "kernels: from cache, loaded by balnet in" "$TMP/warm.err" &&
    pass "second run: from the cache, loaded by balnet's own loader" ||
    fail "second run: not the own loader's hit: $(cat "$TMP/warm.err")"
grep -q "kernels: from cache, linked by LLVM in" "$TMP/lljit.err" &&
    pass "BALNET_LOADER=llvm: from the cache, linked by the LLJIT" ||
    fail "BALNET_LOADER=llvm: not the LLJIT: $(cat "$TMP/lljit.err")"
for r in warm lljit interp; do
    if cmp -s "$TMP/cold/points.csv" "$TMP/$r/points.csv"; then
        pass "$r: points.csv identical to the first run's ($(($(wc -l <"$TMP/cold/points.csv") - 1)) rows)"
    else
        fail "$r: points.csv differs from the first run's"
    fi
done
finish
