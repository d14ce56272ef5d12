/*
 * mpi_dl.c - cli/mpi.h for the `balnet` executable built with BN_MPI_MODULE: MPI lives in balnet-mpi.so
 * (cli/mpi.c, cli/mpi_table.h), opened by cli_mpi_start only when a process manager started this process.
 * A process of its own never loads Open MPI (libmpi, open-rte, open-pal, hwloc, libevent, udev: ~2.5 ms of
 * CPU at every start, docs/performance.md) and answers every call as the single rank it is.
 *
 * The module is found as balnet-llvm.so is (support/module.h): $BALNET_MPI_MODULE, next to the executable,
 * ../LIBDIR/balnet/ from it, or the configured install path.  RTLD_GLOBAL: Open MPI's own components
 * (dlopen'ed by libmpi) resolve their symbols in libmpi through the global scope.
 */
#include "cli/mpi_table.h"
#include "support/module.h"

#include <dlfcn.h>
#include <mpi.h>   /* only for the version macros: the executable does not link MPI */
#include <stdio.h>

#ifndef BN_MPI_MODULE_NAME
#error "BN_MPI_MODULE_NAME (the module's file name) must be defined by the build"
#endif

static const struct cli_mpi_table *T;   /* NULL: a process of its own (or the module failed to load) */

const char *cli_mpi_version(void)
{
    if (T)
        return T->version();
    /* The library this balnet was built against, from its header (MPI_Get_library_version would need it
     * loaded); `balnet --version` under mpirun names the one loaded. */
    static char v[64];
#if defined(OMPI_MAJOR_VERSION)
    snprintf(v, sizeof v, "Open MPI v%d.%d.%d", OMPI_MAJOR_VERSION, OMPI_MINOR_VERSION, OMPI_RELEASE_VERSION);
#else
    snprintf(v, sizeof v, "MPI %d.%d", MPI_VERSION, MPI_SUBVERSION);
#endif
    return v;
}

bool cli_mpi_start(struct cli_mpi *mp, char *err, size_t errlen)
{
    *mp = (struct cli_mpi){0, 1, 1};
    if (!cli_mpi_launched())
        return true;
    char why[2048];
    void *h = util_open_module("BALNET_MPI_MODULE", BN_MPI_MODULE_NAME, BN_MPI_MODULE_RELATIVE,
                               BN_MPI_MODULE_INSTALLED, RTLD_NOW | RTLD_GLOBAL, why, sizeof why);
    if (h && !(T = dlsym(h, "cli_mpi_module_table")))
        snprintf(why, sizeof why, "the module has no symbol cli_mpi_module_table");
    if (!T) {
        snprintf(err, errlen, "started by mpirun or srun, but cannot load %s: %s; set BALNET_MPI_MODULE to its path",
                 BN_MPI_MODULE_NAME, why);
        return false;
    }
    return T->start(mp, err, errlen);
}

/* The rest: the module's, or what a single process answers (these are called with size 1 only). */
int cli_mpi_agree(const struct cli_mpi *mp, int rc, const char *identity, int *rc0, bool *same)
{
    if (T)
        return T->agree(mp, rc, identity, rc0, same);
    *rc0 = rc;
    *same = true;
    return rc;
}
size_t cli_mpi_min_size(const struct cli_mpi *mp, size_t x) { return T ? T->min_size(mp, x) : x; }
int cli_mpi_go(const struct cli_mpi *mp, int rc) { return T ? T->go(mp, rc) : rc; }
struct cli_mpi_workers *cli_mpi_workers(const struct cli_mpi *mp, bn_model *m, bn_folder *f, int threads,
                                        bool remote, bool verbose)
{
    return T ? T->workers(mp, m, f, threads, remote, verbose) : NULL;
}
const struct bn_workers *cli_mpi_as_workers(struct cli_mpi_workers *w) { return T ? T->as_workers(w) : NULL; }
bool cli_mpi_abandoned(const struct cli_mpi_workers *w) { return T && w ? T->abandoned(w) : false; }
void cli_mpi_workers_free(struct cli_mpi_workers *w)
{
    if (T && w)
        T->workers_free(w);
}
int cli_mpi_serve(const struct cli_mpi *mp, bn_model *m, int threads, const struct bn_run_options *ro)
{
    return T ? T->serve(mp, m, threads, ro) : 1;
}
struct cli_mpi_split *cli_mpi_split_new(const struct cli_mpi *mp, bn_model *m, int k, int *threads)
{
    return T ? T->split_new(mp, m, k, threads) : NULL;
}
void cli_mpi_split_options(struct cli_mpi_split *x, struct bn_run_options *ro)
{
    if (T && x)
        T->split_options(x, ro);
}
const struct bn_workers *cli_mpi_split_workers(struct cli_mpi_split *x, bn_folder *f, bool remote, bool verbose)
{
    return T && x ? T->split_workers(x, f, remote, verbose) : NULL;
}
int cli_mpi_split_serve(struct cli_mpi_split *x, const struct bn_run_options *ro)
{
    return T && x ? T->split_serve(x, ro) : 1;
}
bool cli_mpi_split_abandoned(const struct cli_mpi_split *x) { return T && x ? T->split_abandoned(x) : false; }
void cli_mpi_split_free(struct cli_mpi_split *x)
{
    if (T && x)
        T->split_free(x);
}
void cli_mpi_end(const struct cli_mpi *mp, int rc, bool abort)
{
    if (T)
        T->end(mp, rc, abort);
}
