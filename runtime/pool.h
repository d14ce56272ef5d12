/*
 * pool.h - a small persistent thread pool for the per-step parallel region of the simulation loop.
 *
 * rt_pool_run(fn, arg) runs fn(arg, tid, nthreads) on every thread (the caller is tid 0) and returns when
 * all have finished: one fork-join per call.  Inside fn, rt_pool_barrier() synchronises the threads of the
 * call, so a whole simulation can run as one call with one barrier per step instead of a fork-join per step
 * (runtime/sim.c).  Waiting threads spin briefly then sleep on a condition variable, so a barrier costs well
 * under a microsecond when steps are short and nothing when idle.
 *
 * Owns: the worker threads.  Must not: know what the work is.
 */
#ifndef BN_RT_POOL_H
#define BN_RT_POOL_H

#include <stdbool.h>

struct rt_pool;
typedef void (*rt_pool_fn)(void *arg, int tid, int nthreads);

/* nthreads >= 1 in total (nthreads - 1 workers).  NULL when threads cannot be created. */
struct rt_pool *rt_pool_create(int nthreads);
int rt_pool_threads(const struct rt_pool *p);
void rt_pool_run(struct rt_pool *p, rt_pool_fn fn, void *arg);
/* Returns when every thread of the current rt_pool_run has called it; everything a thread wrote before
 * the barrier is visible to every thread after it.  Must be called by all threads the same number of times. */
void rt_pool_barrier(struct rt_pool *p);
void rt_pool_free(struct rt_pool *p);

#endif
