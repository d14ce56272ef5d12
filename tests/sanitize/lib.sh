# lib.sh - shared set-up of tests/sanitize/run_*.sh (not a test itself: no run_ prefix).
# Owns: the arguments (balnet-binary, unused; source dir; build dir), a scratch folder, and building an
# instrumented balnet once per build directory.

set -u
SRC=$(cd "${2:?source dir}" && pwd)
BUILD=$(cd "${3:?build dir}" && pwd)
cd "$SRC" || exit 1
TMP=$(mktemp -d "${TMPDIR:-/tmp}/balnet-sanitize.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

# sanitizer_build DIR BUILD_TYPE CFLAGS LDFLAGS [CMAKE_ARGS...]: configures BUILD/DIR once (later runs are
# incremental builds when sources changed), builds balnet there and sets BN to it; exits on failure.
sanitizer_build() {
    local dir=$BUILD/$1 type=$2 cflags=$3 ldflags=$4
    shift 4
    # A directory configured before an option was added gets it now (a -DNAME=VALUE missing from its cache).
    local missing=0 a
    for a in "$@"; do
        case $a in -D*=*) a=${a#-D}; grep -q "^${a%%=*}:[A-Z]*=${a#*=}\$" "$dir/CMakeCache.txt" 2>/dev/null || missing=1 ;; esac
    done
    if [ ! -f "$dir/CMakeCache.txt" ] || [ $missing = 1 ]; then
        cmake -S "$SRC" -B "$dir" -DCMAKE_BUILD_TYPE="$type" -DCMAKE_C_FLAGS="$cflags" \
            -DCMAKE_EXE_LINKER_FLAGS="$ldflags" "$@" > "$TMP/configure.log" 2>&1 ||
            { cat "$TMP/configure.log"; echo "FAIL: configure $dir"; exit 1; }
    fi
    cmake --build "$dir" --target balnet -j2 > "$TMP/build.log" 2>&1 ||
        { tail -40 "$TMP/build.log"; echo "FAIL: building the instrumented balnet in $dir"; exit 1; }
    BN=$dir/balnet
}
