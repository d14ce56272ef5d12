/*
 * mpi.c - `balnet` and MPI (mpi.h): the MPI library's name for `balnet --version`.
 */
#include "cli/mpi.h"

#include <mpi.h>

#include <string.h>

const char *cli_mpi_version(void)
{
    static char v[MPI_MAX_LIBRARY_VERSION_STRING];
    int n = 0;
    MPI_Get_library_version(v, &n);   /* callable before MPI_Init */
    v[strcspn(v, ",\n")] = 0;         /* "Open MPI v4.1.4, package: ..." -> "Open MPI v4.1.4" */
    return v;
}
