/*
 * mpi.h - `balnet run` over MPI ranks (docs/cluster.md), a client of include/balnet.h like the rest of cli/.
 * Prefix `cli_mpi_`.  Built only when CMake finds MPI (BN_HAVE_MPI); without it every process is a
 * one-rank job and none of the calls below that talk to other ranks exists.
 *
 * The sweep's items are handed out dynamically: rank 0 runs the scheduler (balnet.h, bn_sched_*) and alone
 * writes the results folder; every rank, rank 0 included, runs items on its threads (--threads slots per
 * rank).  A worker rank gets an item with the rows of the points it depends on (measured params), runs it,
 * and sends back its rows, its timing and its recordings (traces/, written to a private temporary folder
 * first); rank 0 appends them to the folder (bn_folder_append_rows, bn_folder_add_trace).  Items are
 * reproducible wherever they run (balnet.h), so points.csv does not depend on the number of ranks.
 *
 * Only the main thread of a process calls MPI (MPI_THREAD_FUNNELED); it polls (MPI_Iprobe, then a 1 ms
 * sleep when idle) instead of blocking, so that a rank waiting for work does not spin a core that its
 * own or another rank's threads compute on, and so that rank 0 notices Ctrl-C (bn_cancel) at once.
 *
 * Must not: write the results folder anywhere but on rank 0, or exit (MPI_Abort only in cli_mpi_end,
 * after rank 0 has closed the folder, when a rank stopped answering).
 */
#ifndef BN_CLI_MPI_H
#define BN_CLI_MPI_H

#include "balnet.h"

#include <stdbool.h>
#include <stdlib.h>

struct cli_mpi {
    int rank, size;      /* size 1: a process of its own (not launched by mpirun or srun) */
    int local_size;      /* ranks on this node (the default --threads is the node's cores over them) */
};

/* Whether a process manager (mpirun, mpiexec, srun) started this process: the variables Open MPI and PMI or
 * PMIx set for every rank.  Otherwise balnet is a process of its own and never touches MPI. */
static inline bool cli_mpi_launched(void)
{
    static const char *const vars[] = {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE"};
    for (size_t i = 0; i < sizeof vars / sizeof *vars; i++)
        if (getenv(vars[i]))
            return true;
    return false;
}

#ifdef BN_HAVE_MPI
/* "Open MPI v4.1.4, ..." (the library's own words), for `balnet --version`. */
const char *cli_mpi_version(void);
/* Initialises MPI when a process manager launched this process (mpirun, mpiexec, srun: their environment
 * variables say so), else sets a one-rank job without touching MPI.  False with err. */
bool cli_mpi_start(struct cli_mpi *mp, char *err, size_t errlen);
/* Every rank, after loading the model: the largest exit code over the ranks (0: all loaded it), with
 * *rc0 rank 0's own, and false in *same when the ranks' models differ (bn_model_identity). */
int cli_mpi_agree(const struct cli_mpi *mp, int rc, const char *identity, int *rc0, bool *same);
/* Every rank: the least x over the ranks (a memory budget every rank keeps to). */
size_t cli_mpi_min_size(const struct cli_mpi *mp, size_t x);
/* Rank 0's verdict on the results folder (0: go), sent to every rank (workers pass anything). */
int cli_mpi_go(const struct cli_mpi *mp, int rc);

/* Rank 0's workers for bn_sched_run: `threads` slots of this process (bn_threads) plus every other rank's
 * slots; `remote` false keeps every item here (a sweep of one item).  Remote items are appended to f;
 * `verbose` prints a line per remote item ("point 1, trial 2: ran on rank 2 (0.41 s)"). */
struct cli_mpi_workers;
struct cli_mpi_workers *cli_mpi_workers(const struct cli_mpi *mp, bn_model *m, bn_folder *f, int threads,
                                        bool remote, bool verbose);
const struct bn_workers *cli_mpi_as_workers(struct cli_mpi_workers *w);
/* After bn_sched_run: true when rank 0 stopped waiting, after an interrupt, for ranks that did not answer
 * (died, killed; the items they held were named on stderr): cli_mpi_end must then abort. */
bool cli_mpi_abandoned(const struct cli_mpi_workers *w);
void cli_mpi_workers_free(struct cli_mpi_workers *w);

/* A worker rank's life: offer `threads` slots to rank 0, run what it sends with `ro` (its trace_dir is
 * replaced by a private temporary folder), send the results, until rank 0 says stop.  Returns the exit
 * code (0, EXIT_INTERRUPTED, or EXIT_MODEL when an item failed here). */
int cli_mpi_serve(const struct cli_mpi *mp, bn_model *m, int threads, const struct bn_run_options *ro);
/* --ranks-per-point K (docs/cluster.md, "One network over ranks"): the ranks form size / K groups of K
 * consecutive ranks, each running one item at a time with its network split over the group (group rank r
 * runs part r).  Collective over every rank: *threads becomes the fewest any rank asked for (the parts
 * must run the same threads).  Rank 0 (group 0's leader) runs the sweep with cli_mpi_split_workers: group
 * 0's items, and, with more groups, the other leaders' items handed out as to a sweep's slots (appended
 * to f; `remote` and `verbose` as for cli_mpi_workers); NULL when out of memory.  The other ranks run
 * cli_mpi_split_serve until told to stop (their exit code): a group's leader asks rank 0 for items, the
 * rest follow their leader. */
struct cli_mpi_split;
struct cli_mpi_split *cli_mpi_split_new(const struct cli_mpi *mp, bn_model *m, int k, int *threads);
/* The part, parts and MPI exchange of this rank in ro. */
void cli_mpi_split_options(struct cli_mpi_split *x, struct bn_run_options *ro);
const struct bn_workers *cli_mpi_split_workers(struct cli_mpi_split *x, bn_folder *f, bool remote, bool verbose);
int cli_mpi_split_serve(struct cli_mpi_split *x, const struct bn_run_options *ro);
/* As cli_mpi_abandoned, for the other groups' leaders (false for NULL or one group). */
bool cli_mpi_split_abandoned(const struct cli_mpi_split *x);
void cli_mpi_split_free(struct cli_mpi_split *x);
/* MPI_Finalize, or MPI_Abort(rc) when `abort` (a rank was lost: finalizing would wait for it). */
void cli_mpi_end(const struct cli_mpi *mp, int rc, bool abort);
#endif

#endif
