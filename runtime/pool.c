/*
 * pool.c - fork-join thread pool with a generation counter (pool.h).
 *
 * Owns: thread lifetime and the barrier.  Must not: allocate per call.
 */
#include "runtime/pool.h"
#include "compiler/support/util.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>

struct rt_pool;

struct worker {
    struct rt_pool *pool;
    int tid;
    pthread_t th;
};

struct rt_pool {
    int n;
    struct worker *w;
    int started;
    atomic_uint gen;       /* bumped once per rt_pool_run */
    atomic_int done;       /* workers finished with the current generation */
    atomic_bool stop;
    rt_pool_fn fn;
    void *arg;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    /* rt_pool_barrier: arrivals of the current phase, phase number, threads asleep in it */
    _Alignas(64) atomic_int arrived;
    atomic_uint phase;
    atomic_int sleepers;
    pthread_mutex_t bmu;
    pthread_cond_t bcv;
};

enum { SPINS = 20000 };
#define BARRIER_SPIN_NS 2000000   /* 2 ms */
#define BARRIER_YIELD_NS 50000    /* 50 us: past this, the spin yields the CPU at each clock check */

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

static void *worker_main(void *vp)
{
    struct worker *w = vp;
    struct rt_pool *p = w->pool;
    unsigned seen = 0;
    for (;;) {
        unsigned g;
        int spins = 0;
        while ((g = atomic_load_explicit(&p->gen, memory_order_acquire)) == seen) {
            if (++spins < SPINS)
                continue;
            pthread_mutex_lock(&p->mu);
            while (atomic_load_explicit(&p->gen, memory_order_acquire) == seen)
                pthread_cond_wait(&p->cv, &p->mu);
            pthread_mutex_unlock(&p->mu);
        }
        seen = g;
        if (atomic_load(&p->stop))
            return NULL;
        p->fn(p->arg, w->tid, p->n);
        atomic_fetch_add_explicit(&p->done, 1, memory_order_release);
    }
}

struct rt_pool *rt_pool_create(int nthreads)
{
    struct rt_pool *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->n = nthreads < 1 ? 1 : nthreads;
    atomic_init(&p->gen, 0);
    atomic_init(&p->done, 0);
    atomic_init(&p->stop, false);
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    atomic_init(&p->arrived, 0);
    atomic_init(&p->phase, 0);
    atomic_init(&p->sleepers, 0);
    pthread_mutex_init(&p->bmu, NULL);
    pthread_cond_init(&p->bcv, NULL);
    p->w = calloc((size_t)p->n, sizeof *p->w);
    if (!p->w) {
        rt_pool_free(p);
        return NULL;
    }
    for (int i = 1; i < p->n; i++) {
        p->w[i].pool = p;
        p->w[i].tid = i;
        if (pthread_create(&p->w[i].th, NULL, worker_main, &p->w[i]) != 0) {
            rt_pool_free(p);
            return NULL;
        }
        p->started = i;
    }
    return p;
}

int rt_pool_threads(const struct rt_pool *p)
{
    return p->n;
}

void rt_pool_run(struct rt_pool *p, rt_pool_fn fn, void *arg)
{
    if (p->n == 1) {
        fn(arg, 0, 1);
        return;
    }
    p->fn = fn;
    p->arg = arg;
    atomic_store_explicit(&p->done, 0, memory_order_relaxed);
    pthread_mutex_lock(&p->mu);
    atomic_fetch_add_explicit(&p->gen, 1, memory_order_release);
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    fn(arg, 0, p->n);
    int spins = 0;
    while (atomic_load_explicit(&p->done, memory_order_acquire) < p->n - 1)
        if (++spins > SPINS)
            sched_yield();
}

/* Central counter barrier.  The last thread to arrive resets the counter and opens the next phase; the
 * others spin on the phase number, then sleep.  A sleeper registers itself (sleepers) before re-checking the
 * phase under the mutex, and the opener reads sleepers after bumping the phase (both sequentially
 * consistent), so either the sleeper sees the new phase or the opener sees the sleeper and broadcasts. */
void rt_pool_barrier(struct rt_pool *p)
{
    if (p->n == 1)
        return;
    unsigned ph = atomic_load(&p->phase);
    if (atomic_fetch_add(&p->arrived, 1) == p->n - 1) {
        atomic_store(&p->arrived, 0);
        atomic_fetch_add(&p->phase, 1);
        if (atomic_load(&p->sleepers) > 0) {
            pthread_mutex_lock(&p->bmu);
            pthread_cond_broadcast(&p->bcv);
            pthread_mutex_unlock(&p->bmu);
        }
        return;
    }
    /* Spin for up to BARRIER_SPIN_NS before sleeping.  A short spin is a trap: once one thread sleeps, its
     * wake-up (a futex syscall plus the scheduler, tens of microseconds on a VM) makes the other thread
     * wait past its own spin at the next barrier, and every step pays a sleep (COBA on 2 threads was
     * 14x slower than on one with a 20000-load spin).  A step's imbalance is far below a millisecond.
     * Past BARRIER_YIELD_NS the wait is no imbalance: the other thread is not running (more runnable threads
     * than cores), and pure spinning held the CPU it may be queued for; sched_yield() lets it run and costs a
     * system call (~1 us per ~20 us of spinning) when nothing else is runnable.  Paper network N = 15000,
     * 1 s, 2 threads, at load 6-7 on 2 cores: loop 18.3-18.8 s -> 4.2 s (one thread: ~3 s at that load). */
    for (int64_t t0 = -1;;) {
        for (int spins = 0; spins < 1024; spins++) {
            if (atomic_load_explicit(&p->phase, memory_order_acquire) != ph)
                return;
            cpu_relax();
        }
        int64_t t = util_now_ns();
        if (t0 < 0)
            t0 = t;
        else if (t - t0 > BARRIER_SPIN_NS)
            break;
        else if (t - t0 > BARRIER_YIELD_NS)
            sched_yield();
    }
    pthread_mutex_lock(&p->bmu);
    atomic_fetch_add(&p->sleepers, 1);
    while (atomic_load(&p->phase) == ph)
        pthread_cond_wait(&p->bcv, &p->bmu);
    atomic_fetch_sub(&p->sleepers, 1);
    pthread_mutex_unlock(&p->bmu);
}

void rt_pool_free(struct rt_pool *p)
{
    if (!p)
        return;
    if (p->started > 0) {
        atomic_store(&p->stop, true);
        pthread_mutex_lock(&p->mu);
        atomic_fetch_add_explicit(&p->gen, 1, memory_order_release);
        pthread_cond_broadcast(&p->cv);
        pthread_mutex_unlock(&p->mu);
        for (int i = 1; i <= p->started; i++)
            pthread_join(p->w[i].th, NULL);
    }
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->cv);
    pthread_mutex_destroy(&p->bmu);
    pthread_cond_destroy(&p->bcv);
    free(p->w);
    free(p);
}
