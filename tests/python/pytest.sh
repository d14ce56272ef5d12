#!/usr/bin/env bash
# The Python package's pytest suite (tests/python/test_*.py), with the package from the build tree.
# Args: balnet-binary source-dir build-dir python.  Exit 77 (ctest: skipped) only when the package was not
# built (no python3-dev) or Debian's python3-numpy / python3-pandas / python3-pytest are missing; `make`
# installs them (tools/setup.sh), so in CI this suite always runs.
set -u
BALNET=$1 SRC=$2 BUILD=$3 PY=${4:-/usr/bin/python3}
if [ ! -x "$PY" ]; then echo "SKIP: no Python interpreter $PY"; exit 77; fi
if ! ls "$BUILD"/python/balnet/_balnet*.so >/dev/null 2>&1; then
    echo "SKIP: the balnet Python package was not built (python3-dev missing?)"; exit 77
fi
if ! "$PY" -c 'import numpy, pandas, pytest' 2>/dev/null; then
    echo "SKIP: $PY lacks numpy, pandas or pytest (apt-get install python3-numpy python3-pandas python3-pytest)"
    exit 77
fi
export PYTHONPATH=$BUILD/python BALNET_BIN=$BALNET BALNET_SRC=$SRC
export PYTHONDONTWRITEBYTECODE=1
cd "$SRC" && exec "$PY" -m pytest -q -p no:cacheprovider "$SRC/tests/python"
