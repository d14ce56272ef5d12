#!/usr/bin/env bash
# Installs the Debian packages balnet needs, only those missing, as root or through sudo.
# Called by `make`; safe to run again (it does nothing when everything is present).
set -euo pipefail

need=()
have_pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }
for pkg in cmake make gcc flex bison llvm-19-dev libcmocka-dev librandom123-dev gnuplot-nox clang-19 libclang-rt-19-dev \
           python3-dev python3-numpy python3-pandas python3-pytest libhdf5-dev python3-h5py python3-matplotlib \
           libopenmpi-dev openmpi-bin; do
  have_pkg "$pkg" || need+=("$pkg")
done
# An already installed LLVM between 15 and 18 is accepted (CMakeLists.txt looks for 19 first).
if [[ " ${need[*]-} " == *" llvm-19-dev "* ]]; then
  for v in 18 17 16 15; do
    if have_pkg "llvm-$v-dev" && ! apt-cache policy llvm-19-dev 2>/dev/null | grep -q 'Candidate: [0-9]'; then
      need=("${need[@]/llvm-19-dev}"); break
    fi
  done
fi
# clang-19 and its runtime only serve the fuzz harness; the build itself uses the system C compiler.
# python3-*, libhdf5-dev: the Python package (python/), its HDF5 spike files, its tests and
# examples/python, for Debian's /usr/bin/python3 (no PyPI).
# libopenmpi-dev, openmpi-bin: sweeps over MPI ranks (docs/cluster.md); CMake builds without MPI when absent.
need=($(printf '%s\n' "${need[@]-}" | grep -v '^$' || true))
[ ${#need[@]} -eq 0 ] && exit 0

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "balnet: need root or sudo to install: ${need[*]}" >&2; exit 1; }
  sudo="sudo"
fi
echo "balnet: installing ${need[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
