/*
 * mpi.h - `balnet` and MPI, a client of include/balnet.h like the rest of cli/.  Prefix `cli_mpi_`.
 * Built only when CMake finds MPI (BN_HAVE_MPI); without it balnet is a one-process program.
 */
#ifndef BN_CLI_MPI_H
#define BN_CLI_MPI_H

#ifdef BN_HAVE_MPI
/* "Open MPI v4.1.4" (the library's own words), for `balnet --version`. */
const char *cli_mpi_version(void);
#endif

#endif
