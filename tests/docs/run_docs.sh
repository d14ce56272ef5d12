#!/usr/bin/env bash
# run_docs.sh - every model example in the documentation is a valid model: each ```bn block of
# docs/language.md and README.md is extracted to its own file and must pass `balnet check` (exit 0, no
# "error:" in the output), and so must every model file of examples/ (they run for minutes, outside the
# tests: this keeps them in step with the language).  Blocks fenced ```bn-fragment are parts of larger examples and are skipped; so
# are blocks without a language tag (grammar, shell, pipeline sketches).  Imports resolve through
# models/lib, which is on balnet's search path.  Args: balnet-binary source-dir build-dir.
#
# No tolerance: a document either checks or it does not.  A minimum block count per document makes sure
# the extraction itself cannot silently find nothing.
set -u
BALNET=${1:?usage: run_docs.sh balnet-binary source-dir build-dir}
SRC=${2:?source dir}
BALNET=$(cd "$(dirname "$BALNET")" && pwd)/$(basename "$BALNET")
cd "$SRC" || exit 1
TMP=$(mktemp -d "${TMPDIR:-/tmp}/balnet-docs.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
FAILS=0

# check_model FILE SHOWN WHAT: `balnet check FILE` passes (exit 0, no "error:"); its messages name FILE as SHOWN
check_model() {
    if "$BALNET" check "$1" > "$TMP/out.txt" 2>&1 && ! grep -q "error:" "$TMP/out.txt"; then
        echo "ok:   $2 ${3%% (*}"
    else
        echo "FAIL: $2 $3:"
        sed "s|$1|$2|; s/^/    | /" "$TMP/out.txt" | head -30
        FAILS=$((FAILS + 1))
    fi
}

# check_doc FILE MIN_BLOCKS
check_doc() {
    local doc=$1 min=$2 tag
    tag=$(echo "$doc" | tr '/.' '__')
    # Block k goes to $TMP/<tag>_<k>.bn; a header comment maps it back to its line in the document, and
    # the block keeps its own line numbers (blank lines before it) so balnet's errors point at doc lines.
    awk -v out="$TMP/$tag" '
        /^```bn[ \t]*$/ { inb = 1; k++; f = sprintf("%s_%d.bn", out, k); for (i = 1; i <= NR; i++) print "" > f; next }
        /^```/ && inb   { inb = 0; close(f); next }
        inb             { print > f }
        END { if (inb) { print "unterminated ```bn block" > "/dev/stderr"; exit 1 } }' "$doc" ||
        { echo "FAIL: $doc: unterminated block"; FAILS=$((FAILS + 1)); }
    local n=0 f
    for f in "$TMP/${tag}"_*.bn; do
        [ -e "$f" ] || continue
        n=$((n + 1))
        check_model "$f" "$doc" "block at line $(awk 'NF { print NR; exit }' "$f") (line numbers below are the document's)"
    done
    if [ "$n" -lt "$min" ]; then
        echo "FAIL: $doc: $n \`\`\`bn blocks, expected at least $min"
        FAILS=$((FAILS + 1))
    fi
}

check_doc docs/language.md 1
check_doc README.md 2
n=0
for f in examples/*/*.bn; do
    [ -e "$f" ] || continue
    n=$((n + 1))
    check_model "$f" "$f" "(model file)"
done
[ "$n" -ge 4 ] || { echo "FAIL: $n model files in examples/, expected at least 4"; FAILS=$((FAILS + 1)); }
if [ "$FAILS" -ne 0 ]; then echo "$FAILS failure(s)"; exit 1; fi
echo "all documentation examples check"
