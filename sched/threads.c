/*
 * threads.c - the scheduler's workers as threads of this process (bn_threads): each takes the next ready
 * item, runs the client's item function on it without holding the scheduler's lock, and reports back.
 * A worker stops at its first failed item; the others finish the items they hold.
 */
#include "balnet.h"

#include <pthread.h>
#include <stdlib.h>

struct worker_args {
    bn_sched *s;
    bn_item_fn fn;
    void *ctx;
};

static void *worker(void *arg)
{
    struct worker_args *a = arg;
    for (int item; (item = bn_sched_next(a->s)) >= 0;) {
        char err[1024] = "";
        if (!a->fn(a->ctx, item, err, sizeof err)) {
            bn_sched_fail(a->s, item, err);
            break;
        }
        bn_sched_done(a->s, item);
    }
    return NULL;
}

static void run_threads(const struct bn_workers *w, bn_sched *s, bn_item_fn fn, void *ctx)
{
    struct worker_args a = {s, fn, ctx};
    int n = w->n < 1 ? 1 : w->n;
    pthread_t *tids = calloc((size_t)n, sizeof *tids);
    if (!tids) {
        worker(&a);   /* no memory for threads: this one does the work */
        return;
    }
    int started = 0;   /* a thread that cannot be created (no memory for its stack) leaves its work to the rest */
    while (started < n && pthread_create(&tids[started], NULL, worker, &a) == 0)
        started++;
    if (started == 0)
        worker(&a);
    for (int i = 0; i < started; i++)
        pthread_join(tids[i], NULL);
    free(tids);
}

struct bn_workers bn_threads(int n) { return (struct bn_workers){run_threads, n}; }
