#!/usr/bin/env bash
# run_jit_pipeline.sh - the kernel pass pipeline (issue 18; CG_PIPELINE in compiler/codegen/cg_module.c) on
# COBA, seen through `dump --emit=llvm-unopt` (before it) and `--emit=llvm` (after it), and the per-phase
# compile report of `run -v`.  Checks structure only, never a time.  Args: balnet-binary source-dir build-dir.
set -u
source "$(dirname "$0")/lib.sh"

M=models/benchmarks/coba.bn
"$BALNET" dump --emit=llvm-unopt "$M" >"$TMP/unopt.ll" || fail "dump --emit=llvm-unopt exit $?"
"$BALNET" dump --emit=llvm "$M" >"$TMP/opt.ll" || fail "dump --emit=llvm exit $?"

# Before the pipeline: each kernel is an exported wrapper calling an alwaysinline body, not vectorised.
if grep -q 'define internal void @bn_pop_0.body' "$TMP/unopt.ll" && ! grep -q 'vector.body' "$TMP/unopt.ll"; then
    pass "llvm-unopt: the kernel bodies before inlining, no vector loop"
else
    fail "llvm-unopt: expected @bn_pop_0.body and no vector loop"
fi
# After it: the bodies inlined and deleted, and every kernel's loop vectorised (a vector.body per kernel:
# 2 populations x (plain + accumulating)).  Dropping always-inline or loop-vectorize fails here.
n=$(grep -c '^vector.body' "$TMP/opt.ll")
if ! grep -q '@bn_pop_0.body' "$TMP/opt.ll" && [ "$n" -eq 4 ]; then
    pass "llvm: bodies inlined, $n vector loops"
else
    fail "llvm: expected no @bn_pop_0.body and 4 vector loops, found $n"
fi

# run -v reports every phase of a cold compile, and its 2 parts (2 populations' accumulating kernels; their
# plain kernels run the accumulating ones, cg_plain_from_acc) on the run's 2 threads; E's and I's are the
# same code, so I's part is E's (shared).
"$BALNET" run -v --quiet --no-cache --threads 2 --set duration=10ms --out "$TMP/run" "$M" 2>"$TMP/err" ||
    fail "run exit $?"
phases='build [0-9.]+, key [0-9.]+, opt [0-9.]+, codegen [0-9.]+, link [0-9.]+'
if grep -Eq "kernels: compiled in [0-9.]+ ms \(2 parts on 2 threads, 1 shared; thread CPU [0-9.]+ ms: $phases\)" "$TMP/err"; then
    pass "run -v: per-phase compile report, 2 parts on 2 threads"
else
    fail "run -v: no per-phase compile report in: $(cat "$TMP/err")"
fi
# A population with white noise keeps its plain kernel (cg_plain_from_acc: the wrapper would shift the
# neuron index the noise key holds): noise_net's E and I (accumulators and noise) have both parts, M
# (no accumulators) its plain one: 5 parts.
"$BALNET" run -v --quiet --no-cache --threads 1 --set duration=1ms --out "$TMP/noise" tests/models/noise_net.bn \
    2>"$TMP/err" || fail "noise_net run exit $?"
if grep -Eq "kernels: compiled in [0-9.]+ ms \(5 parts on 1 threads?, 0 shared" "$TMP/err"; then
    pass "run -v: noise_net keeps the plain kernels of its noisy populations, 5 parts"
else
    fail "run -v: noise_net: expected 5 parts in: $(cat "$TMP/err")"
fi
finish
