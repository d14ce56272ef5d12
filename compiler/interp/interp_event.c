/*
 * interp_event.c - the reference interpreter's plastic-synapse events: the event semantics of ir/ir.h
 * (struct ir_plastic) written out literally with ir_eval.
 *
 * Owns: the literal reading of the event contract.  compiler/codegen/cg_event.c emits the same steps;
 * any difference between the two is a bug in one of them (tests/unit/test_plastic.c compares them bit for
 * bit).  Must not: reorder floating-point operations, or keep state between calls.
 */
#include "interp/interp.h"

#include <stdbool.h>

/* Every state of class `where` brought forward to now (each reads only itself and the times). */
static void bring(const struct ir_plastic *pl, double *f, bool all, enum ir_pl_where where)
{
    for (int s = 0; s < pl->nstates; s++)
        if (pl->bring[s] && (all || pl->states[s].where == where))
            f[pl->base + s] = ir_eval(pl->bring[s], f, NULL, NULL);
}

static void exec(const struct ir_plastic *pl, const struct ir_pl_stmt *st, int n, double *f, double *const *post_vars,
                 int64_t j)
{
    for (int i = 0; i < n; i++) {
        double v = ir_eval(st[i].value, f, NULL, NULL);
        if (st[i].post_inc && pl->single) {   /* float column: round, and keep the rounded value */
            float r = (float)(f[st[i].dst] + v);
            ((float *)post_vars[st[i].dst])[j] = r;
            f[st[i].dst] = (double)r;
        } else if (st[i].post_inc) {
            f[st[i].dst] += v;
            post_vars[st[i].dst][j] = f[st[i].dst];
        } else {
            f[st[i].dst] = v;
        }
    }
}

static void run_event(const struct ir_plastic *pl, bool pre_ev, double *const *post_vars, float *const *syn,
                      double *const *pre, double *const *post, double *pre_last, double *post_last,
                      const uint32_t *ka, const uint32_t *kb, int64_t who, int64_t b, int64_t e, double now)
{
    const int base = pl->base, ns = pl->nstates, t0 = base + ns;
    double f[t0 + IR_PL_NTIMES];
    for (int v = 0; v < t0 + IR_PL_NTIMES; v++)
        f[v] = 0.0;   /* the own-side pass below reads only its own states, but never uninitialised memory */
    for (int64_t m = b; m < e; m++) {
        int64_t k = pre_ev ? m : ka[m], i = pre_ev ? who : kb[m], j = pre_ev ? ka[m] : who;
        for (int v = 0; v < base; v++)
            f[v] = pl->single ? (double)((const float *)post_vars[v])[j] : post_vars[v][j];
        for (int s = 0; s < ns; s++) {
            enum ir_pl_where w = pl->states[s].where;
            f[base + s] = w == IR_PL_SYN ? (double)syn[s][k] : w == IR_PL_PRE ? pre[s][i] : post[s][j];
        }
        f[t0 + IR_PL_NOW] = now;
        f[t0 + IR_PL_TPRE] = pre_last[pl->syn_last ? k : i];
        f[t0 + IR_PL_TPOST] = post_last[j];
        bring(pl, f, true, IR_PL_SYN);
        exec(pl, pre_ev ? pl->pre : pl->post, pre_ev ? pl->npre : pl->npost, f, post_vars, j);
        for (int s = 0; s < ns; s++)
            if (pl->states[s].where == IR_PL_SYN)
                syn[s][k] = (float)f[base + s];
        if (pre_ev && pl->syn_last)
            pre_last[k] = now;
    }
    const bool own_last = !(pre_ev && pl->syn_last);   /* syn_last: no per-source states, last set above */
    /* once per call: the event's own side (per-source states on pre, per-target on post) */
    enum ir_pl_where own = pre_ev ? IR_PL_PRE : IR_PL_POST;
    double *const *col = pre_ev ? pre : post;
    double *last = pre_ev ? pre_last : post_last;
    for (int s = 0; s < ns; s++)
        if (pl->states[s].where == own)
            f[base + s] = col[s][who];
    f[t0 + IR_PL_NOW] = now;
    f[t0 + IR_PL_TPRE] = f[t0 + IR_PL_TPOST] = own_last ? last[who] : 0.0;
    bring(pl, f, false, own);
    exec(pl, pre_ev ? pl->pre_own : pl->post_own, pre_ev ? pl->npre_own : pl->npost_own, f, post_vars, 0);
    for (int s = 0; s < ns; s++)
        if (pl->states[s].where == own)
            col[s][who] = f[base + s];
    if (own_last)
        last[who] = now;
}

static void interp_pre(void *ctx, double *const *post_vars, float *const *syn, double *const *pre, double *const *post,
                       double *pre_last, double *post_last, const uint32_t *ka, const uint32_t *kb, int64_t who,
                       int64_t b, int64_t e, double now)
{
    run_event(ctx, true, post_vars, syn, pre, post, pre_last, post_last, ka, kb, who, b, e, now);
}

static void interp_post(void *ctx, double *const *post_vars, float *const *syn, double *const *pre,
                        double *const *post, double *pre_last, double *post_last, const uint32_t *ka,
                        const uint32_t *kb, int64_t who, int64_t b, int64_t e, double now)
{
    run_event(ctx, false, post_vars, syn, pre, post, pre_last, post_last, ka, kb, who, b, e, now);
}

struct ir_kernel interp_events(const struct ir_plastic *pl)
{
    return (struct ir_kernel){.ctx = (void *)pl, .pre = interp_pre, .post = interp_post};
}
