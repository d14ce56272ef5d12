#!/usr/bin/env bash
# run_startup.sh - libhdf5 is loaded only by a run that writes an HDF5 file (results/h5_lib.h), and MPI only
# under a process manager (cli/mpi_dl.c).  libhdf5's
# dependency chain (libcurl, gnutls, Kerberos, LDAP, ...) cost every balnet process ~25 ms of CPU at start-up.
#   1. A run without --spikes FILE.h5 never opens libhdf5 (LD_DEBUG=files lists every library the dynamic
#      loader opens, those of dlopen included).
#   2. A run with --spikes FILE.h5 loads it and writes a complete file.
#   3. Such a run loads no MPI library either (balnet-mpi.so, libmpi: only under mpirun or srun).
source "$(dirname "$0")/lib.sh"

LD_DEBUG=files "$BALNET" run models/benchmarks/cuba.bn --set duration=20ms --threads 1 -q --out "$TMP/a" \
    >/dev/null 2>"$TMP/a.log" || fail "run without HDF5 output"
if grep -q "file=libhdf5" "$TMP/a.log"; then fail "libhdf5 loaded by a run without HDF5 output"
else pass "libhdf5 not loaded without HDF5 output ($(grep -c 'file=' "$TMP/a.log") library loads)"; fi
# 3. The same run, not started by mpirun or srun, never loads Open MPI (cli/mpi_dl.c: balnet-mpi.so and
#    libmpi are opened only under a process manager; tests/mpi/ run them).
if grep -qE "file=(libmpi|balnet-mpi)" "$TMP/a.log"; then fail "MPI loaded by a process of its own"
else pass "no MPI library loaded by a process of its own"; fi
LD_DEBUG=files "$BALNET" run models/benchmarks/cuba.bn --set duration=20ms --threads 1 -q --out "$TMP/b" \
    --spikes "$TMP/b.h5" >/dev/null 2>"$TMP/b.log" || fail "run with --spikes FILE.h5"
if grep -q "file=libhdf5" "$TMP/b.log" && [ -s "$TMP/b.h5" ]; then pass "libhdf5 loaded on use, $(wc -c < "$TMP/b.h5") bytes written"
else fail "libhdf5 not loaded, or no file written, by --spikes FILE.h5"; fi
finish
