/*
 * jit_llvm_dl.c - the LLVM table loaded from the module balnet-llvm.so on first use (jit_llvm.h), for the
 * balnet executable built with BN_LLVM_MODULE, like results/h5_lib.c loads libhdf5.
 *
 * Where the module is looked for, in order: $BALNET_LLVM_MODULE (a path, for tests), next to the
 * executable (the build tree: build/balnet and build/balnet-llvm.so), where an install puts it relative to
 * the executable (BN_LLVM_MODULE_RELATIVE, PREFIX/bin/../lib/balnet/: an install moved to another prefix, or
 * `cmake --install --prefix OTHER`, still finds it), and the configured install location
 * BN_LLVM_MODULE_INSTALLED (set by CMake).
 */
#include "jit/jit_llvm.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef BN_LLVM_MODULE_NAME
#error "BN_LLVM_MODULE_NAME (the module's file name) must be defined by the build"
#endif
#ifndef BN_LLVM_MODULE_INSTALLED
#define BN_LLVM_MODULE_INSTALLED ""
#endif
#ifndef BN_LLVM_MODULE_RELATIVE
#define BN_LLVM_MODULE_RELATIVE ""
#endif

static const struct jit_llvm *table;
static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static char load_error[2048];   /* why it did not load; "" when loaded */

/* dlopen of path; on failure appends dlerror's reason to load_error. */
static void *try_open(const char *path)
{
    /* RTLD_LOCAL: LLVM's symbols stay private to the module; RTLD_NODELETE: kernels and LLJITs live on. */
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
    if (!h) {
        const char *why = dlerror();
        size_t at = strlen(load_error);
        snprintf(load_error + at, sizeof load_error - at, "%s%.1000s", at ? "; " : "", why ? why : path);
    }
    return h;
}

static void load(void)
{
    void *h = NULL;
    const char *env = getenv("BALNET_LLVM_MODULE");
    if (env && *env) {
        h = try_open(env);
    } else {
        char path[4096];
        ssize_t n = readlink("/proc/self/exe", path, sizeof path - 1);
        if (n > 0) {
            path[n] = '\0';
            char *slash = strrchr(path, '/');
            size_t dir = slash ? (size_t)(slash - path) + 1 : 0;
            const char *const rel[] = {BN_LLVM_MODULE_NAME, BN_LLVM_MODULE_RELATIVE};
            for (int k = 0; !h && k < 2; k++) {
                size_t len = strlen(rel[k]) + 1;
                if (len > 1 && dir + len <= sizeof path) {
                    memcpy(path + dir, rel[k], len);
                    if (access(path, F_OK) == 0)
                        h = try_open(path);
                }
            }
        }
        if (!h && BN_LLVM_MODULE_INSTALLED[0])
            h = try_open(BN_LLVM_MODULE_INSTALLED);
    }
    if (h && !(table = dlsym(h, "jit_llvm_table")))
        snprintf(load_error, sizeof load_error, "the module has no symbol jit_llvm_table");
    if (!h && !load_error[0])
        snprintf(load_error, sizeof load_error, "no %s next to the executable and none installed", BN_LLVM_MODULE_NAME);
}

static void *preload_main(void *arg)
{
    pthread_once(&load_once, load);
    return arg;
}

static pthread_once_t preload_once = PTHREAD_ONCE_INIT;

static void preload_start(void)
{
    pthread_t t;
    if (pthread_create(&t, NULL, preload_main, NULL) == 0)
        pthread_detach(t);
}

void jit_llvm_preload(void)
{
    pthread_once(&preload_once, preload_start);
}

const struct jit_llvm *jit_llvm(struct diags *d)
{
    pthread_once(&load_once, load);
    if (!table && d)
        diag_error(d, SPAN_NONE,
                   "cannot load balnet's code generator %s (needed to compile kernels that are not in the kernel "
                   "cache): %s; set BALNET_LLVM_MODULE to its path, or use --engine interp",
                   BN_LLVM_MODULE_NAME, load_error);
    return table;
}
