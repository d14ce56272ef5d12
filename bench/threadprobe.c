/*
 * threadprobe.c - how two threads of one process share this machine (docs/performance.md, "Two threads").
 *
 * Twelve columns of n = 4000 doubles (a population's state), one update a[i] = 0.999 a[i] + 0.001 per
 * element and step, 20000 steps, a barrier (runtime/pool.c) after each step.  Prints the wall time and each
 * thread's busy time for: one thread doing everything, and two threads each doing half of the elements,
 *   private: each thread its own columns, elements [0, n/2)
 *   far:     each thread its own columns, thread 1 at elements [3n, 3n + n/2)
 *   halves:  each thread its own columns, thread 1 at elements [n/2, n)
 *   shared:  the same columns, thread 0 [0, n/2), thread 1 [n/2, n)  (what balnet's runtime does)
 *   gap:     the same columns, thread 0 [0, 1536), thread 1 [2560, 4000): 8 KiB between them
 * `work` is not inlined, so every case runs the same loop.  Until session 7 it was, and "one" and
 * "private" (constant bounds) got a vectorised copy while the others ran a scalar one, 2.6x slower per
 * element, which docs/performance.md had read as the VM making threads interfere.  With one loop for all
 * (session 7, idle, 3 runs): one thread 52-55 ms; private, far and halves 28-41 ms per thread; shared
 * 33-41 ms for thread 0 but 72-122 ms for thread 1; gap 23-33 ms each.  So two threads writing adjacent
 * ranges of the same columns slow the second one 2-4x on this machine, and 8 KiB between the ranges
 * removes it (0.4 KiB, a page-aligned boundary, or thread 0 running backwards do not).  Both threads run
 * on different CPUs (sched_getcpu).  The runtime keeps such gaps since session 8 (runtime/layout.h: 16 KiB
 * between the threads' chunks of every column, and after the last).  Measurements only, nothing asserted.
 * Build (bench/run.sh does): cc -O2 -march=native -std=gnu11 -I. -Icompiler bench/threadprobe.c runtime/pool.c
 *   compiler/support/util.c -lpthread
 */
#include "runtime/pool.h"
#include "compiler/support/util.h"

#include <stdio.h>
#include <stdlib.h>

enum { N = 4000, STEPS = 20000, NCOL = 12 };
static struct rt_pool *pool;
static double *cols[2][NCOL];
static double busy[2];
static int mode;

__attribute__((noinline)) static void work(int k, int b, int e)
{
    for (int c = 0; c < NCOL; c++) {
        double *a = cols[k][c];
        for (int i = b; i < e; i++)
            a[i] = a[i] * 0.999 + 1e-3;
    }
}

static void run(void *arg, int tid, int nt)
{
    (void)arg;
    for (int s = 0; s < STEPS; s++) {
        double t0 = 1e-6 * (double)util_now_ns();
        if (nt == 1)
            work(0, 0, N);
        else if (mode == 0)
            work(tid, 0, N / 2);
        else if (mode == 1)
            work(tid, tid ? 3 * N : 0, tid ? 3 * N + N / 2 : N / 2);
        else if (mode == 2)
            work(tid, tid ? N / 2 : 0, tid ? N : N / 2);
        else if (mode == 3)
            work(0, tid ? N / 2 : 0, tid ? N : N / 2);
        else
            work(0, tid ? 2560 : 0, tid ? N : 1536);
        busy[tid] += 1e-6 * (double)util_now_ns() - t0;
        rt_pool_barrier(pool);
    }
}

int main(void)
{
    static const char *const names[] = {"private", "far", "halves", "shared", "gap"};
    for (int k = 0; k < 2; k++)
        for (int c = 0; c < NCOL; c++) {
            cols[k][c] = aligned_alloc(4096, 4 * N * sizeof(double));
            if (!cols[k][c])
                return 1;
            for (int i = 0; i < 4 * N; i++)
                cols[k][c][i] = i;
        }
    for (int m = -1; m < 5; m++) {
        int nt = m < 0 ? 1 : 2;
        mode = m;
        busy[0] = busy[1] = 0;
        pool = rt_pool_create(nt);
        if (!pool)
            return 1;
        double t0 = 1e-6 * (double)util_now_ns();
        rt_pool_run(pool, run, NULL);
        printf("%-8s %d thread%s: wall %6.1f ms, busy %6.1f / %6.1f ms\n", m < 0 ? "one" : names[m], nt,
               nt > 1 ? "s" : " ", 1e-6 * (double)util_now_ns() - t0, busy[0], busy[1]);
        rt_pool_free(pool);
    }
    return 0;
}
