#!/usr/bin/env bash
# run_full_disk.sh - a results folder on a filesystem that runs out of space (issue 11 item 12), simulated
# with a file-size limit (ulimit -f: a write past it fails with EFBIG; balnet ignores SIGXFSZ for that):
# the run stops with a clear error and exit 1, every row already in points.csv is whole, no temporary file
# is left, and --resume without the limit completes the sweep to exactly an unlimited run's rows.  The
# kernel cache is best effort: an entry that cannot be written is skipped and the run goes on.
# Args: balnet-binary source-dir build-dir.
#
# Tolerance: none (cmp of sorted rows): resumed items are recomputed from their derived seeds.
set -u
source "$(dirname "$0")/lib.sh"

MODEL=tests/models/full_disk.bn
ARGS=(--engine interp --threads 1 --quiet --no-cache)

"$BALNET" run $MODEL "${ARGS[@]}" --out "$TMP/full" || fail "unlimited run exit $?"

# 3 KB: the header and a few items' rows fit, the rest do not (rate traces are ~1.2 KB each, so a trace
# file stays under the limit: points.csv is the file that fills up).
( ulimit -f 3; exec "$BALNET" run $MODEL "${ARGS[@]}" --out "$TMP/cut" ) > "$TMP/cut.err" 2>&1
rc=$?
if [ $rc -eq 1 ]; then pass "limited run: exit 1"; else fail "limited run: exit $rc (want 1)"; cat "$TMP/cut.err"; fi
if grep -qF "cannot write $TMP/cut/points.csv: File too large" "$TMP/cut.err"; then pass "limited run: says which file"
else fail "limited run: message"; cat "$TMP/cut.err"; fi
rows=$(($(wc -l < "$TMP/cut/points.csv") - 1))
total=$(($(wc -l < "$TMP/full/points.csv") - 1))
if [ "$rows" -gt 0 ] && [ "$rows" -lt "$total" ]; then pass "limited run: $rows of $total rows written"
else fail "limited run: $rows of $total rows (want some, not all)"; fi
# every row whole: 7 fields (point, I0, trial, population, statistic, value, unit) and a final newline
bad=$(awk -F, 'NF != 7' "$TMP/cut/points.csv" | wc -l)
if [ "$bad" -eq 0 ] && [ "$(tail -c 1 "$TMP/cut/points.csv" | od -An -c | tr -d ' ')" = '\n' ]; then
    pass "limited run: every row whole"
else fail "limited run: $bad broken rows"; fi
if grep -q '"complete": false' "$TMP/cut/run.json"; then pass "limited run: run.json complete=false"
else fail "limited run: run.json not marked incomplete"; fi
left=$(find "$TMP/cut" -name '*.tmp*' | wc -l)
if [ "$left" -eq 0 ]; then pass "limited run: no temporary files left"; else fail "limited run: $left .tmp files left"; fi

"$BALNET" run $MODEL "${ARGS[@]}" --out "$TMP/cut" --resume || fail "resume exit $?"
if cmp -s <(sort "$TMP/full/points.csv") <(sort "$TMP/cut/points.csv"); then pass "resume: the rows of an unlimited run"
else fail "resume: points.csv differs from the unlimited run"; fi

# The kernel cache under a limit smaller than its entries (this model's: ~4 KB; results files: < 2 KB each):
# the entry is skipped, the run completes.
( ulimit -f 2; BALNET_CACHE_DIR="$TMP/kc" exec "$BALNET" run $MODEL --set "I0=300 pA" --set trial=1 --threads 1 \
    --quiet --out "$TMP/kc-run" ) > "$TMP/kc.err" 2>&1
rc=$?
if [ $rc -eq 0 ]; then pass "kernel cache over the limit: run completes"; else fail "kernel cache: exit $rc"; cat "$TMP/kc.err"; fi
left=$(find "$TMP/kc" -type f | wc -l)
if [ "$left" -eq 0 ]; then pass "kernel cache: no partial entry"; else fail "kernel cache: $left files left"; fi

[ $FAILS -eq 0 ] || exit 1
echo "full disk: ok"
