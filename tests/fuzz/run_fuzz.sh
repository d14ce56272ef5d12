#!/usr/bin/env bash
# run_fuzz.sh - builds the front-end fuzz target with clang-19 (libFuzzer + ASan + UBSan) and runs it.
#
# Usage: run_fuzz.sh BALNET SRC_DIR BUILD_DIR     (as ctest calls every tests/*/run_*.sh; BALNET is unused)
# Env:   FUZZ_TIME=seconds (default 12), FUZZ_JOBS (default 1), FUZZ_KEEP=dir (keep the build and the
#        grown corpus there instead of a temporary directory).
# flex and bison are run here into the work directory, so the harness does not depend on the build's
# generated files.  Fails on any crash, sanitizer report, leak or timeout; skips (exit 0) only when
# clang-19 is not installed.  New corpus entries go to the work directory, never into the repository.
set -u
src=${2:?usage: run_fuzz.sh BALNET SRC_DIR BUILD_DIR}
time=${FUZZ_TIME:-12}
src=$(cd "$src" && pwd) || exit 1

cc=$(command -v clang-19 || true)
if [ -z "$cc" ]; then
    echo "skipped: clang-19 not found"
    exit 0
fi
for tool in flex bison; do
    if ! command -v $tool >/dev/null; then
        echo "FAIL: $tool not found"
        exit 1
    fi
done

if [ -n "${FUZZ_KEEP:-}" ]; then
    work=$FUZZ_KEEP
    mkdir -p "$work"
else
    work=$(mktemp -d /tmp/bn_fuzz.XXXXXX)
    trap 'rm -rf "$work"' EXIT
fi
mkdir -p "$work/corpus" "$work/artifacts"

bison -o "$work/parser.c" --defines="$work/parser.h" "$src/grammar/parser.y" || exit 1
flex -o "$work/lexer.c" --header-file="$work/lexer.h" "$src/grammar/lexer.l" || exit 1

"$cc" -std=gnu11 -g -O1 -fno-omit-frame-pointer \
    -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
    -I"$src" -I"$src/compiler" -I"$work" \
    "$src/tests/fuzz/fuzz_frontend.c" "$src"/compiler/frontend/*.c "$src"/compiler/support/*.c \
    "$src"/compiler/sema/*.c "$src"/compiler/ir/*.c "$src"/runtime/spike_file.c \
    "$work/parser.c" "$work/lexer.c" -lm -o "$work/fuzz_frontend" || { echo "FAIL: build"; exit 1; }

# Seed corpus: the repository's examples plus the golden syntax-error cases.
seeds=("$src/tests/fuzz/corpus")
[ -d "$src/tests/golden" ] && seeds+=("$src/tests/golden")

# libFuzzer writes fuzz-N.log files into the working directory when -jobs is given: run from $work.
jobs=()
[ "${FUZZ_JOBS:-1}" -gt 1 ] && jobs=(-jobs="$FUZZ_JOBS" -workers="$FUZZ_JOBS")
cd "$work" || exit 1
"$work/fuzz_frontend" "$work/corpus" "${seeds[@]}" \
    -max_total_time="$time" -max_len=4096 -timeout=10 -rss_limit_mb=2048 "${jobs[@]}" \
    -artifact_prefix="$work/artifacts/" -print_final_stats=1 2>&1 | tail -n 8
rc=${PIPESTATUS[0]}
if [ "$rc" -ne 0 ]; then
    echo "FAIL: fuzzer exit code $rc; crashing inputs:"
    ls -l "$work/artifacts"
    if [ -z "${FUZZ_KEEP:-}" ]; then
        mkdir -p /tmp/bn_fuzz_artifacts && cp "$work"/artifacts/* /tmp/bn_fuzz_artifacts/ 2>/dev/null
        echo "(copied to /tmp/bn_fuzz_artifacts)"
    fi
    exit 1
fi
echo "fuzz: no crash in ${time}s"
