#!/usr/bin/env bash
# run_golden.sh - golden diagnostics: for every tests/golden/*.bn, `balnet check FILE` must exit with 1 and
# print exactly tests/golden/NAME.err on stderr (diag_render format: file:line:col, source line, caret).
#
# Usage: run_golden.sh BALNET SRC_DIR BUILD_DIR      (as ctest calls every tests/*/run_*.sh)
#        GOLDEN_UPDATE=1 run_golden.sh ...           rewrites the .err files from the current output
# Files in subdirectories (tests/golden/inc/) are helpers imported by the cases, not cases themselves.
# The check runs from SRC_DIR with a relative path, so the paths in the expected output are stable.
set -u
balnet=${1:?usage: run_golden.sh BALNET SRC_DIR BUILD_DIR}
src=${2:?usage: run_golden.sh BALNET SRC_DIR BUILD_DIR}
cd "$src" || exit 1
here=$(pwd -P)

fail=0
n=0
for bn in tests/golden/*.bn; do
    [ -e "$bn" ] || continue
    n=$((n + 1))
    err=${bn%.bn}.err
    # The model library's absolute path (in "searched ..." notes) becomes <src>, so the files are portable.
    actual=$("$balnet" check "$bn" 2>&1 >/dev/null)
    rc=$?
    actual=${actual//"$here"/<src>}
    if [ "${GOLDEN_UPDATE:-0}" = 1 ]; then
        printf '%s\n' "$actual" > "$err"
        echo "updated $err (exit $rc)"
        continue
    fi
    if [ $rc -ne 1 ]; then
        echo "FAIL $bn: exit code $rc, expected 1"
        fail=1
    fi
    if [ ! -f "$err" ]; then
        echo "FAIL $bn: no $err (run with GOLDEN_UPDATE=1 to create it)"
        fail=1
        continue
    fi
    if ! diff -u "$err" <(printf '%s\n' "$actual") > /tmp/golden_diff.$$; then
        echo "FAIL $bn: stderr differs from $err"
        cat /tmp/golden_diff.$$
        fail=1
    fi
    rm -f /tmp/golden_diff.$$
done
if [ $n -eq 0 ]; then
    echo "FAIL: no golden cases found in $src/tests/golden"
    exit 1
fi
[ $fail -eq 0 ] && echo "golden: $n cases ok"
exit $fail
