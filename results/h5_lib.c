/*
 * h5_lib.c - loads libhdf5 on first use (h5_lib.h says why): dlopen of BN_HDF5_LIB, then dlsym of every
 * function and global id h5.c uses.
 */
#define BN_H5_LIB_IMPL
#include "results/h5_lib.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>

#ifndef BN_HDF5_LIB
#error "BN_HDF5_LIB (the soname of libhdf5) must be defined by the build"
#endif

struct h5_lib h5_lib;

static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static char load_error[512];   /* empty: loaded */

static void load(void)
{
    /* RTLD_NODELETE: libhdf5 registers atexit handlers, so it must stay mapped until exit. */
    void *h = dlopen(BN_HDF5_LIB, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
    if (!h) {
        const char *why = dlerror();
        snprintf(load_error, sizeof load_error, "cannot load the HDF5 library %s: %s", BN_HDF5_LIB, why ? why : "?");
        return;
    }
    const char *missing = NULL;
#define X(name)                                                                                            \
    if (!missing && !(*(void **)&h5_lib.p_##name = dlsym(h, #name)))                                       \
        missing = #name;
    H5_LIB_FUNCS(X)
    H5_LIB_VARS(X)
#undef X
    if (missing)
        snprintf(load_error, sizeof load_error, "the HDF5 library %s has no symbol %s", BN_HDF5_LIB, missing);
}

bool h5_lib_load(char *err, size_t errlen)
{
    pthread_once(&load_once, load);
    if (load_error[0] && err && errlen)
        snprintf(err, errlen, "%s", load_error);
    return !load_error[0];
}
