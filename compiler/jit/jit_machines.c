/*
 * jit_machines.c - the idle target machines of the process, and the shared host description
 * (jit_machines.h).
 *
 * Must not: print or exit.
 */
#include "jit/jit_machines.h"

#include "codegen/cg_llvm.h"

#include <pthread.h>
#include <stdbool.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static LLVMTargetMachineRef idle[JIT_MACHINES_MAX];
static int nidle;

static pthread_once_t host_once = PTHREAD_ONCE_INIT;
static LLVMTargetMachineRef host;

static void host_init(void)
{
    host = cg_host_machine(NULL);
}

LLVMTargetMachineRef jit_host_machine(struct diags *d)
{
    pthread_once(&host_once, host_init);
    if (!host && d)
        diag_error(d, SPAN_NONE, "no LLVM target machine for this host");
    return host;
}

LLVMTargetMachineRef jit_machine_take(struct diags *d)
{
    pthread_mutex_lock(&lock);
    LLVMTargetMachineRef tm = nidle > 0 ? idle[--nidle] : NULL;
    pthread_mutex_unlock(&lock);
    return tm ? tm : cg_host_machine(d);
}

void jit_machine_give(LLVMTargetMachineRef tm)
{
    if (!tm)
        return;
    pthread_mutex_lock(&lock);
    bool kept = nidle < JIT_MACHINES_MAX;
    if (kept)
        idle[nidle++] = tm;
    pthread_mutex_unlock(&lock);
    if (!kept)
        LLVMDisposeTargetMachine(tm);
}
