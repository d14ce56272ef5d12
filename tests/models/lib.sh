# lib.sh - helpers sourced by tests/models/run_*.sh (not a test itself: no run_ prefix).
# Owns: argument handling, a scratch folder, reading one value out of a points.csv, and range checks.
# Every check prints what it compared, so a failing ctest log shows the numbers.

BALNET=${1:?usage: run_X.sh balnet-binary source-dir build-dir}
SRC=${2:?source dir}
BUILD=${3:-$SRC/build}
BALNET=$(cd "$(dirname "$BALNET")" && pwd)/$(basename "$BALNET")
SRC=$(cd "$SRC" && pwd)
cd "$SRC" || exit 1
TMP=$(mktemp -d "${TMPDIR:-/tmp}/balnet-test.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
FAILS=0

fail() { echo "FAIL: $*"; FAILS=$((FAILS + 1)); }
pass() { echo "ok:   $*"; }

# value FILE col=val [col=val ...]: the value column of the one row of points.csv FILE matching every
# col=val (by header name).  Prints "missing" when no row matches.
value() {
    local file=$1; shift
    awk -F, -v conds="$*" '
        NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; n = split(conds, c, " "); next }
        { ok = 1
          for (k = 1; k <= n; k++) { split(c[k], kv, "="); if ($(col[kv[1]]) != kv[2]) { ok = 0; break } }
          if (ok) { print $(col["value"]); found = 1; exit } }
        END { if (!found) print "missing" }' "$file"
}

# in_range NAME X LO HI: LO <= X <= HI (numerically; NaN and "missing" fail).
in_range() {
    if awk -v x="$2" -v lo="$3" -v hi="$4" 'BEGIN { exit !(x == x + 0 && x >= lo && x <= hi) }'; then
        pass "$1 = $2 in [$3, $4]"
    else
        fail "$1 = $2 not in [$3, $4]"
    fi
}

# rel_close NAME X REF TOL: |X - REF| <= TOL * |REF|.
rel_close() {
    if awk -v x="$2" -v r="$3" -v t="$4" 'BEGIN { d = x - r; if (d < 0) d = -d; a = r < 0 ? -r : r
                                                  exit !(x == x + 0 && d <= t * a) }'; then
        pass "$1 = $2 within $4 (relative) of $3"
    else
        fail "$1 = $2 not within $4 (relative) of $3"
    fi
}

# greater NAME A B: A > B.
greater() {
    if awk -v a="$2" -v b="$3" 'BEGIN { exit !(a == a + 0 && b == b + 0 && a > b) }'; then
        pass "$1: $2 > $3"
    else
        fail "$1: $2 not > $3"
    fi
}

# same_on_threads LABEL REF MODEL [ARGS...]: runs MODEL (with ARGS) on 2 and 3 threads (64 neurons per thread, so the split is
# real even for a small network) and passes when each run's --spikes file and points.csv equal REF.csv and
# REF/points.csv, the 1-thread run's: results must not depend on the thread count (bit for bit).
same_on_threads() {
    local label=$1 ref=$2 t tag=${1// /_}
    shift 2
    for t in 2 3; do
        BALNET_NEURONS_PER_THREAD=64 "$BALNET" run "$@" --threads $t --spikes "$TMP/$tag-t$t.csv" \
            --out "$TMP/$tag-t$t" --quiet || fail "$label --threads $t exit $?"
        if cmp "$ref.csv" "$TMP/$tag-t$t.csv" && cmp "$ref/points.csv" "$TMP/$tag-t$t/points.csv"; then
            pass "$label: $t threads give the spikes and points of 1"
        else
            fail "$label: $t threads differ from 1"
        fi
    done
}

finish() {
    if [ "$FAILS" -ne 0 ]; then
        echo "$FAILS check(s) failed"
        exit 1
    fi
    echo "all checks passed"
    exit 0
}

# kill_rank PID R: SIGKILL rank R of the mpirun job PID, wait for mpirun (its exit code in $rc), then for
# rank 0 to exit too: mpirun may return while rank 0 still closes the folder (it waits for the dead rank,
# then closes and releases the lock), and the folder is checked as a user's next command would find it.
kill_rank() {
    local p r rank0=
    for p in $(pgrep -P "$1"); do
        r=$(tr '\0' '\n' < "/proc/$p/environ" | sed -n 's/^OMPI_COMM_WORLD_RANK=//p')
        [ "$r" = 0 ] && rank0=$p
        [ "$r" = "$2" ] && kill -KILL "$p"
    done
    wait "$1"
    rc=$?
    for _ in $(seq 1 100); do [ -n "$rank0" ] && kill -0 "$rank0" 2> /dev/null || break; sleep 0.05; done
}
