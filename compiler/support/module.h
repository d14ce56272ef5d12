/*
 * module.h - finding and opening one of balnet's own shared modules (balnet-llvm.so: the code generator,
 * loaded on a kernel-cache miss; balnet-mpi.so: MPI, loaded under mpirun or srun), so that a process pays
 * for a large dependency only when it uses it.
 *
 * Where a module is looked for, in order: the path in the environment variable env_var (tests, unusual
 * layouts), next to the executable (the build tree: build/balnet and build/NAME), `relative` to the
 * executable's folder (an install, PREFIX/bin/../LIBDIR/balnet/NAME, found wherever the prefix was moved),
 * and `installed` (the configured install path).
 */
#ifndef BN_SUPPORT_MODULE_H
#define BN_SUPPORT_MODULE_H

#include <stddef.h>

/* dlopen(path, flags) of the first candidate that exists (env_var's path is tried even when missing);
 * NULL with the reasons in why[whylen] when none opens.  relative and installed may be "" (not used). */
void *util_open_module(const char *env_var, const char *name, const char *relative, const char *installed,
                       int flags, char *why, size_t whylen);

#endif
