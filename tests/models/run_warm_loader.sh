#!/usr/bin/env bash
# run_warm_loader.sh - a warm run needs no LLVM (issue 18, compiler/jit/jit_load.h): COBA run twice with a
# fresh kernel cache is a miss and then a hit whose objects balnet's own loader linked, and both runs'
# points.csv are byte-identical (tolerance 0: the same machine code); so is a run whose kernels the LLJIT
# linked from the same cache (BALNET_LOADER=llvm) and one on the reference interpreter.
# Built with BN_LLVM_MODULE (balnet-llvm.so in the build folder, compiler/jit/jit_llvm.h): the miss loads the
# module and the hit does not (LD_DEBUG=files lists every library the dynamic loader opens, dlopen's too); a
# hit still runs when the module cannot be loaded, and a miss then fails with an error naming it; `check` and
# `dump --emit=ir` never load it; an install moved to another prefix finds it relative to the executable.
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
LD_DEBUG=files run cold
LD_DEBUG=files run warm
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
if [ -e "$3/balnet-llvm.so" ]; then
    grep -q "file=.*balnet-llvm.so" "$TMP/cold.err" && pass "miss: balnet-llvm.so loaded" ||
        fail "miss: balnet-llvm.so not loaded"
    grep -q "file=.*balnet-llvm.so" "$TMP/warm.err" && fail "hit: balnet-llvm.so loaded" ||
        pass "hit: balnet-llvm.so not loaded ($(grep -c 'file=' "$TMP/warm.err") library loads)"
    # check and dump --emit=ir compile nothing: no module, even with the kernel cache off (cli/main.c)
    for c in "check $M" "dump --emit=ir $M"; do
        LD_DEBUG=files BALNET_CACHE_DIR= "$BALNET" $c > /dev/null 2> "$TMP/cmd.err" || fail "$c: exit $?"
        grep -q "file=.*balnet-llvm.so" "$TMP/cmd.err" && fail "$c: balnet-llvm.so loaded" ||
            pass "$c: balnet-llvm.so not loaded"
    done
    # an install moved to another prefix finds its module relative to the executable (jit_llvm_dl.c)
    if cmake --install "$3" --prefix "$TMP/inst" > "$TMP/inst.log" 2>&1 && mv "$TMP/inst" "$TMP/moved" &&
       BALNET_CACHE_DIR= "$TMP/moved/bin/balnet" run --quiet --set duration=1ms --out "$TMP/moved_run" "$M" 2> "$TMP/moved.err"; then
        pass "install moved to another prefix: a miss finds lib/balnet/balnet-llvm.so"
    else
        fail "install moved to another prefix: $(tail -3 "$TMP/inst.log") $(cat "$TMP/moved.err" 2>/dev/null)"
    fi
    BALNET_LLVM_MODULE=/nonexistent/balnet-llvm.so run nomodule
    cmp -s "$TMP/cold/points.csv" "$TMP/nomodule/points.csv" && pass "hit without the module: same points.csv" ||
        fail "hit without the module: points.csv differs"
    if BALNET_LLVM_MODULE=/nonexistent/balnet-llvm.so "$BALNET" run --quiet --no-cache --set duration=1ms \
        --out "$TMP/nomodule_miss" "$M" 2>"$TMP/nomodule_miss.err"; then
        fail "miss without the module: exit 0"
    elif grep -q "cannot load balnet's code generator balnet-llvm.so.*/nonexistent/balnet-llvm.so" "$TMP/nomodule_miss.err"; then
        pass "miss without the module: error names it"
    else
        fail "miss without the module: unclear error: $(cat "$TMP/nomodule_miss.err")"
    fi
else
    pass "balnet links LLVM (BN_LLVM_MODULE=OFF): no module to check"
fi
for r in warm lljit interp; do
    if cmp -s "$TMP/cold/points.csv" "$TMP/$r/points.csv"; then
        pass "$r: points.csv identical to the first run's ($(($(wc -l <"$TMP/cold/points.csv") - 1)) rows)"
    else
        fail "$r: points.csv differs from the first run's"
    fi
done
finish
