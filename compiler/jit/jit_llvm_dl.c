/*
 * jit_llvm_dl.c - the LLVM table loaded from the module balnet-llvm.so on first use (jit_llvm.h), for the
 * balnet executable built with BN_LLVM_MODULE, like results/h5_lib.c loads libhdf5.
 *
 * Where the module is looked for (support/module.h): $BALNET_LLVM_MODULE, next to the executable, relative
 * to it where an install puts it (BN_LLVM_MODULE_RELATIVE: an install moved to another prefix, or `cmake
 * --install --prefix OTHER`, still finds it), and the configured install location BN_LLVM_MODULE_INSTALLED.
 */
#include "jit/jit_llvm.h"
#include "support/module.h"

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

static void load(void)
{
    /* RTLD_LOCAL: LLVM's symbols stay private to the module; RTLD_NODELETE: kernels and LLJITs live on. */
    void *h = util_open_module("BALNET_LLVM_MODULE", BN_LLVM_MODULE_NAME, BN_LLVM_MODULE_RELATIVE,
                               BN_LLVM_MODULE_INSTALLED, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE, load_error,
                               sizeof load_error);
    if (h && !(table = dlsym(h, "jit_llvm_table")))
        snprintf(load_error, sizeof load_error, "the module has no symbol jit_llvm_table");
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
