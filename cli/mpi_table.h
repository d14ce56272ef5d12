/*
 * mpi_table.h - cli/mpi.h's functions as one table, the interface between the `balnet` executable and
 * balnet-mpi.so (cli/mpi.c built as a module, BN_MPI_MODULE): the executable (cli/mpi_dl.c) opens the
 * module only when a process manager started it, so a process of its own never loads Open MPI and its
 * libraries (~2.5 ms of every start-up; docs/performance.md).  The module exports only
 * cli_mpi_module_table; it calls the executable's bn_* functions, which the executable exports.
 */
#ifndef BN_CLI_MPI_TABLE_H
#define BN_CLI_MPI_TABLE_H

#include "cli/mpi.h"

struct cli_mpi_table {
    const char *(*version)(void);
    bool (*start)(struct cli_mpi *mp, char *err, size_t errlen);
    int (*agree)(const struct cli_mpi *mp, int rc, const char *identity, int *rc0, bool *same);
    size_t (*min_size)(const struct cli_mpi *mp, size_t x);
    int (*go)(const struct cli_mpi *mp, int rc);
    struct cli_mpi_workers *(*workers)(const struct cli_mpi *mp, bn_model *m, bn_folder *f, int threads,
                                       bool remote, bool verbose);
    const struct bn_workers *(*as_workers)(struct cli_mpi_workers *w);
    bool (*abandoned)(const struct cli_mpi_workers *w);
    void (*workers_free)(struct cli_mpi_workers *w);
    int (*serve)(const struct cli_mpi *mp, bn_model *m, int threads, const struct bn_run_options *ro);
    struct cli_mpi_split *(*split_new)(const struct cli_mpi *mp, bn_model *m, int k, int *threads);
    void (*split_options)(struct cli_mpi_split *x, struct bn_run_options *ro);
    const struct bn_workers *(*split_workers)(struct cli_mpi_split *x, bn_folder *f, bool remote, bool verbose);
    int (*split_serve)(struct cli_mpi_split *x, const struct bn_run_options *ro);
    bool (*split_abandoned)(const struct cli_mpi_split *x);
    void (*split_free)(struct cli_mpi_split *x);
    void (*end)(const struct cli_mpi *mp, int rc, bool abort);
};

#endif
