/*
 * sched.c - the sweep scheduler (balnet.h, bn_sched_*): which items wait, run or are done; an item is
 * handed out only when the points it depends on (measured params, same trial) are done; a failure or
 * bn_cancel stops the handing out; resume marks items done before the start.
 *
 * Owns: item states and the first error.  Must not: run items, print, or know where results go: workers
 * (threads.c, or MPI ranks) take items with bn_sched_next and report with bn_sched_done / bn_sched_fail.
 * Order: items are handed out in item order (point-major, so points run in the order the sweep lists them)
 * skipping those whose dependencies are not done yet.
 */
#include "balnet.h"
#include "compiler/support/util.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

enum item_state { ITEM_TODO, ITEM_RUNNING, ITEM_DONE };

struct bn_sched {
    bn_model *m;
    enum item_state *state;
    int nitems, nskipped, ndone, failed;
    pthread_mutex_t lock;
    pthread_cond_t cv;               /* an item finished or failed */
    void (*progress)(void *ctx, int done, int total);
    void *progress_ctx;
    char error[1024];
    double t0, t1;                   /* bn_sched_run's start and end (0: still running) */
};

bn_sched *bn_sched_new(bn_model *m)
{
    bn_sched *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->m = m;
    s->nitems = bn_nitems(m);
    s->state = calloc((size_t)s->nitems + 1, sizeof *s->state);
    if (!s->state) {
        free(s);
        return NULL;
    }
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->cv, NULL);
    return s;
}

void bn_sched_free(bn_sched *s)
{
    if (!s)
        return;
    pthread_mutex_destroy(&s->lock);
    pthread_cond_destroy(&s->cv);
    free(s->state);
    free(s);
}

void bn_sched_skip(bn_sched *s, int item)
{
    if (s->state[item] != ITEM_DONE)
        s->nskipped++;
    s->state[item] = ITEM_DONE;
}

int bn_sched_nskipped(const bn_sched *s) { return s->nskipped; }
int bn_sched_ndone(const bn_sched *s) { return s->ndone; }
bool bn_sched_failed(const bn_sched *s) { return s->failed != 0; }
const char *bn_sched_error(const bn_sched *s) { return s->error; }

void bn_sched_on_progress(bn_sched *s, void (*fn)(void *ctx, int done, int total), void *ctx)
{
    s->progress = fn;
    s->progress_ctx = ctx;
}

/* Caller holds s->lock. */
static bool deps_done(const bn_sched *s, int item)
{
    int point = bn_item_point(s->m, item), trial = bn_item_trial(s->m, item), nt = bn_ntrials(s->m);
    for (int d = 0; d < bn_point_ndeps(s->m, point); d++)
        if (s->state[bn_point_dep(s->m, point, d) * nt + trial - 1] != ITEM_DONE)
            return false;
    return true;
}

/* The first ready item, now marked running; -1 when none is left (or after a failure or bn_cancel),
 * BN_SCHED_WAIT when the items left wait on running ones.  Caller holds s->lock. */
static int pick_locked(bn_sched *s)
{
    if (s->failed || bn_cancelled(s->m))
        return -1;
    bool todo = false, running = false;
    for (int i = 0; i < s->nitems; i++) {
        running |= s->state[i] == ITEM_RUNNING;
        if (s->state[i] != ITEM_TODO)
            continue;
        todo = true;
        if (deps_done(s, i)) {
            s->state[i] = ITEM_RUNNING;
            return i;
        }
    }
    /* all taken, or waiting on nothing (cannot happen with acyclic deps) */
    return todo && running ? BN_SCHED_WAIT : -1;
}

int bn_sched_next(bn_sched *s)
{
    pthread_mutex_lock(&s->lock);
    int next;
    while ((next = pick_locked(s)) == BN_SCHED_WAIT)
        pthread_cond_wait(&s->cv, &s->lock);
    pthread_mutex_unlock(&s->lock);
    return next;
}

int bn_sched_try_next(bn_sched *s)
{
    pthread_mutex_lock(&s->lock);
    int next = pick_locked(s);
    pthread_mutex_unlock(&s->lock);
    return next;
}

void bn_sched_done(bn_sched *s, int item)
{
    pthread_mutex_lock(&s->lock);
    s->state[item] = ITEM_DONE;
    s->ndone++;
    if (s->progress)
        s->progress(s->progress_ctx, s->ndone, s->nitems);
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->lock);
}

void bn_sched_fail(bn_sched *s, int item, const char *msg)
{
    pthread_mutex_lock(&s->lock);
    s->state[item] = ITEM_TODO;
    if (!s->failed++ && !bn_cancelled(s->m))
        snprintf(s->error, sizeof s->error, "%s", msg);
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->lock);
}

void bn_sched_run(bn_sched *s, const struct bn_workers *w, bn_item_fn fn, void *ctx)
{
    s->t0 = 1e-9 * (double)util_now_ns();
    s->t1 = 0;
    w->run(w, s, fn, ctx);
    s->t1 = 1e-9 * (double)util_now_ns();
}

double bn_sched_elapsed(const bn_sched *s) { return (s->t1 ? s->t1 : 1e-9 * (double)util_now_ns()) - s->t0; }
