/*
 * jit_machines.c - the idle target machines of the process and the thread that warms the first ones
 * (jit_machines.h; why: cg_warm.c).
 *
 * Must not: print or exit.  The warm-up thread must not be running LLVM while the process exits (static
 * destructors would run under it): jit_warm_wait joins it, and bn_free calls that.
 */
#include "jit/jit.h"
#include "jit/jit_machines.h"

#include "codegen/cg_llvm.h"

#include <pthread.h>
#include <stdbool.h>

/* At most this many machines are warmed ahead: each costs ~15-20 ms of CPU on the warm-up thread, and
 * they are warmed one after another, so more would not be ready by the time a compile starts. */
#define JIT_WARM_MAX 4

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t delivered = PTHREAD_COND_INITIALIZER;
static LLVMTargetMachineRef idle[JIT_MACHINES_MAX];
static int nidle;
static int pending;          /* machines the warm-up thread has yet to deliver */
static bool warm_started;    /* jit_warm_start started the thread (once per process) */
static bool warm_running;    /* ... and it was not joined yet */
static pthread_t warm_thread;
static pthread_mutex_t join_lock = PTHREAD_MUTEX_INITIALIZER;   /* one jit_warm_wait joins, others wait */

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
    while (nidle == 0 && pending > 0)
        pthread_cond_wait(&delivered, &lock);
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

static void *warm_main(void *arg)
{
    (void)arg;
    for (;;) {
        pthread_mutex_lock(&lock);
        bool more = pending > 0;
        pthread_mutex_unlock(&lock);
        if (!more)
            return NULL;
        LLVMTargetMachineRef tm = cg_host_machine(NULL);
        if (tm)
            cg_warm_machine(tm);   /* a failed warm-up leaves a usable, colder machine */
        pthread_mutex_lock(&lock);
        pending -= pending > 0;   /* jit_warm_wait may have set it to 0 meanwhile */
        if (tm && nidle < JIT_MACHINES_MAX)
            idle[nidle++] = tm;
        else if (tm)
            LLVMDisposeTargetMachine(tm);
        pthread_cond_broadcast(&delivered);
        pthread_mutex_unlock(&lock);
    }
}

void jit_warm_start(int machines)
{
    machines = machines > JIT_WARM_MAX ? JIT_WARM_MAX : machines;
    pthread_mutex_lock(&lock);
    /* Once per process: later models find the machines idle (or held by a compile). */
    if (!warm_started && machines > 0) {
        warm_started = true;
        pending = machines;
        cg_llvm_init();
        if (pthread_create(&warm_thread, NULL, warm_main, NULL) == 0)
            warm_running = true;
        else
            pending = 0;   /* no thread: compiles make their machines as before */
    }
    pthread_mutex_unlock(&lock);
}

void jit_warm_wait(void)
{
    pthread_mutex_lock(&join_lock);
    pthread_mutex_lock(&lock);
    bool join = warm_running;
    warm_running = false;
    pending = 0;   /* the machine being warmed is the last: nobody is left to use more */
    pthread_cond_broadcast(&delivered);
    pthread_mutex_unlock(&lock);
    if (join)
        pthread_join(warm_thread, NULL);
    pthread_mutex_unlock(&join_lock);
}
