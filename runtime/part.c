/*
 * part.c - the exchange of one network split over parts (part.h): the message of an interval, writing the
 * other parts' lists into their queue segments, the stop records, and the statistics' gathering.
 *
 * Message of one part for the interval [t0, t1] (nst = t1 - t0 + 1 steps), native byte order (every part
 * runs the same build, docs/cluster.md):
 *   struct rt_part_err (its first error), int64 cancel step,
 *   uint32 count[nst][npops], then the indices of each (step, population) list in that order.
 */
#include "runtime/part.h"
#include "runtime/errf.h"
#include "compiler/support/util.h"

#include <stdlib.h>
#include <string.h>

struct rt_part {
    const struct ir_model *m;
    const struct rt_options *opt;
    int nt;
    int64_t dmin;
    unsigned char *send;       /* the largest message: every own neuron spiking at every step */
    size_t cap;
    int64_t *counts;           /* dmin x npops totals of the last exchange */
    size_t *sizes;             /* parts */
    double ms, bytes;
    /* recorded plastic projections (part.h), indexed by projection */
    struct copy *copies;
    struct rt_conn *cconn;     /* part 0: the copies, as one process has them */
    struct rt_plastic *cpl;
};

/* What the copy of one projection needs besides cconn and cpl. */
struct copy {
    uint32_t *lens;            /* part 0: parts x npre, each part's row lengths */
    int64_t *nsyn;             /* part 0: parts, each part's synapses */
    int64_t *cur;              /* part 0: npre, a cursor per row */
    unsigned char *send;       /* this part's state message */
    size_t bytes;
    bool ready;                /* rt_part_copy_rows succeeded here */
};

void rt_part_range(int64_t size, int r, int parts, int nt, int64_t *b, int64_t *e)
{
    int64_t x;
    rt_chunk_of(size, r * nt, parts * nt, b, &x);
    rt_chunk_of(size, r * nt + nt - 1, parts * nt, &x, e);
}

struct rt_part *rt_part_create(const struct ir_model *m, const struct rt_options *opt, int nt, int64_t dmin)
{
    struct rt_part *x = calloc(1, sizeof *x);
    if (!x)
        return NULL;
    x->m = m;
    x->opt = opt;
    x->nt = nt;
    x->dmin = dmin;
    size_t own = 0;
    for (int i = 0; i < m->npops; i++) {
        int64_t b, e;
        rt_part_range(m->pops[i].size, opt->part, opt->parts, nt, &b, &e);
        own += (size_t)(e - b);
    }
    x->cap = sizeof(struct rt_part_err) + sizeof(int64_t) + (size_t)dmin * ((size_t)m->npops + own) * sizeof(uint32_t);
    x->send = malloc(x->cap);
    x->counts = calloc((size_t)dmin * (size_t)m->npops + 1, sizeof *x->counts);
    x->sizes = calloc((size_t)opt->parts, sizeof *x->sizes);
    x->copies = calloc((size_t)m->nprojs + 1, sizeof *x->copies);
    x->cconn = calloc((size_t)m->nprojs + 1, sizeof *x->cconn);
    x->cpl = calloc((size_t)m->nprojs + 1, sizeof *x->cpl);
    if (!x->send || !x->counts || !x->sizes || !x->copies || !x->cconn || !x->cpl) {
        rt_part_free(x);
        return NULL;
    }
    return x;
}

void rt_part_free(struct rt_part *x)
{
    if (!x)
        return;
    free(x->send);
    free(x->counts);
    free(x->sizes);
    for (int j = 0; x->copies && j < x->m->nprojs; j++) {
        struct copy *cp = &x->copies[j];
        struct rt_conn *c = &x->cconn[j];
        struct rt_plastic *pl = &x->cpl[j];
        free(cp->lens);
        free(cp->nsyn);
        free(cp->cur);
        free(cp->send);
        free(c->row);
        free(c->t32);
        free(c->w);
        for (int s = 1; pl->ir && s < pl->ir->nstates; s++)   /* syn[0] is c->w; pre, pre_last are part 0's own */
            free(pl->syn[s]);
        for (int s = 0; pl->ir && s < pl->ir->nstates; s++)
            free(pl->post[s]);
        free(pl->syn);
        free(pl->post);
        free(pl->post_last);
        free(pl->syn_last);
    }
    free(x->copies);
    free(x->cconn);
    free(x->cpl);
    free(x);
}

/* The exchange callback, timed. */
static const unsigned char *call(struct rt_part *x, const void *send, size_t bytes, bool to_first)
{
    int64_t t0 = util_now_ns();
    const void *r = x->opt->exchange(x->opt->exchange_ctx, send, bytes, to_first, x->sizes);
    x->ms += 1e-6 * (double)(util_now_ns() - t0);
    x->bytes += (double)bytes;
    return r;
}

bool rt_part_exchange(struct rt_part *x, struct rt_spikeq *qpop, int64_t t0, int64_t t1, const struct rt_part_err *mine,
                      int64_t cancel, struct rt_part_err *first, int64_t *cancel_all, const int64_t **counts)
{
    const struct ir_model *m = x->m;
    const int np = m->npops, me = x->opt->part, nt = x->nt;
    const int64_t nst = t1 - t0 + 1;
    /* pack */
    unsigned char *p = x->send;
    memcpy(p, mine, sizeof *mine);
    p += sizeof *mine;
    memcpy(p, &cancel, sizeof cancel);
    p += sizeof cancel;
    uint32_t *cnt = (uint32_t *)p;   /* 8-byte aligned: after 8 int64 */
    uint32_t *idx = cnt + nst * np;
    for (int64_t t = t0; t <= t1; t++)
        for (int i = 0; i < np; i++) {
            uint32_t total = 0;
            for (int g = me * nt; g < me * nt + nt; g++) {
                int64_t n;
                const uint32_t *seg = rt_spikeq_seg(&qpop[i], t, g, &n);
                memcpy(idx, seg, (size_t)n * sizeof *idx);
                idx += n;
                total += (uint32_t)n;
            }
            cnt[(t - t0) * np + i] = total;
        }
    size_t bytes = (size_t)((unsigned char *)idx - x->send);
    const unsigned char *all = call(x, x->send, bytes, false);
    if (!all)
        return false;
    /* unpack */
    *first = (struct rt_part_err){.step = INT64_MAX, .input = -1};
    *cancel_all = INT64_MAX;
    memset(x->counts, 0, sizeof *x->counts * (size_t)(nst * np));
    size_t at = 0;
    for (int r = 0; r < x->opt->parts; r++) {
        const unsigned char *q = all + at;
        at += x->sizes[r];
        struct rt_part_err e;
        int64_t c;
        memcpy(&e, q, sizeof e);
        memcpy(&c, q + sizeof e, sizeof c);
        if (rt_part_err_before(&e, first))
            *first = e;
        *cancel_all = c < *cancel_all ? c : *cancel_all;
        const unsigned char *rc = q + sizeof e + sizeof c;            /* counts, maybe unaligned: memcpy */
        const unsigned char *ri = rc + (size_t)(nst * np) * sizeof(uint32_t);
        for (int64_t k = 0; k < nst * np; k++) {
            uint32_t n;
            memcpy(&n, rc + (size_t)k * sizeof n, sizeof n);
            x->counts[k] += n;
            if (r != me) {
                struct rt_spikeq *sq = &qpop[k % np];
                int64_t t = t0 + k / np;
                memcpy(rt_spikeq_slot(sq, t, r * nt), ri, (size_t)n * sizeof(uint32_t));
                rt_spikeq_set_count(sq, t, r * nt, n);
                for (int g = r * nt + 1; g < r * nt + nt; g++)
                    rt_spikeq_set_count(sq, t, g, 0);
            }
            ri += (size_t)n * sizeof(uint32_t);
        }
    }
    *counts = x->counts;
    return true;
}

/* One gather to part 0 of what each part holds for its own neurons (statistics, trace values): a part's
 * message is pack()ed over its ranges [lo, hi) per population and is bytes(lo, hi) long; part 0 checks every
 * part's size against the bytes its ranges give and unpack()s the others' into its own. */
struct gather_ops {
    size_t (*bytes)(const void *obj, const int64_t *lo, const int64_t *hi);
    void (*pack)(const void *obj, const int64_t *lo, const int64_t *hi, unsigned char *buf);
    void (*unpack)(void *obj, const int64_t *lo, const int64_t *hi, const unsigned char *data);
};

static bool gather(struct rt_part *x, const struct gather_ops *ops, void *obj)
{
    const struct ir_model *m = x->m;
    const int np = m->npops, parts = x->opt->parts;
    int64_t *lo = calloc((size_t)np + 1, sizeof *lo), *hi = calloc((size_t)np + 1, sizeof *hi);
    unsigned char *buf = NULL;
    bool ok = lo && hi;
    for (int i = 0; ok && i < np; i++)
        rt_part_range(m->pops[i].size, x->opt->part, parts, x->nt, &lo[i], &hi[i]);
    size_t bytes = ok ? ops->bytes(obj, lo, hi) : 0;
    ok = ok && (buf = malloc(bytes + 1));
    /* Every part calls the exchange even when out of memory (sending nothing), so no part waits for ever;
     * part 0 then sees a size that does not match and fails. */
    if (ok)
        ops->pack(obj, lo, hi, buf);
    const unsigned char *all = call(x, buf, ok ? bytes : 0, true);
    ok = ok && all;
    if (ok && x->opt->part == 0) {
        size_t at = 0;
        for (int r = 0; ok && r < parts; r++) {
            for (int i = 0; i < np; i++)
                rt_part_range(m->pops[i].size, r, parts, x->nt, &lo[i], &hi[i]);
            ok = x->sizes[r] == ops->bytes(obj, lo, hi);
            if (ok && r != 0)
                ops->unpack(obj, lo, hi, all + at);
            at += x->sizes[r];
        }
    }
    free(buf);
    free(lo);
    free(hi);
    return ok;
}

/* Statistics: per-neuron accumulators of the part's own ranges (stats.h). */
static size_t stats_bytes(const void *o, const int64_t *lo, const int64_t *hi)
{
    return stats_part_bytes((const struct stats *)o, lo, hi);
}
static void stats_pack(const void *o, const int64_t *lo, const int64_t *hi, unsigned char *buf)
{
    stats_part_pack((const struct stats *)o, lo, hi, buf);
}
static void stats_unpack(void *o, const int64_t *lo, const int64_t *hi, const unsigned char *data)
{
    stats_part_unpack(o, lo, hi, data);
}

bool rt_part_gather_stats(struct rt_part *x, struct stats *st)
{
    static const struct gather_ops ops = {stats_bytes, stats_pack, stats_unpack};
    return gather(x, &ops, st);
}

/* Traces: every part records the same observables, so every message has the same size (trace.h). */
static size_t trace_bytes(const void *o, const int64_t *lo, const int64_t *hi)
{
    (void)lo, (void)hi;
    return trace_part_bytes((const struct traces *)o);
}
static void trace_pack(const void *o, const int64_t *lo, const int64_t *hi, unsigned char *buf)
{
    (void)lo, (void)hi;
    trace_part_pack((const struct traces *)o, buf);
}
static void trace_unpack(void *o, const int64_t *lo, const int64_t *hi, const unsigned char *data)
{
    trace_part_unpack(o, lo, hi, data);
}

bool rt_part_gather_traces(struct rt_part *x, struct traces *t)
{
    static const struct gather_ops ops = {trace_bytes, trace_pack, trace_unpack};
    return gather(x, &ops, t);
}

/* The event states of a plastic projection a part sends, in this order: per-synapse states (float, weight
 * first) and the last pre event per synapse (double, per-synapse delays) over its nsyn synapses in its CSR
 * order; per-target states and the last post event (double) over its npost targets. */
static bool syn_state(const struct ir_plastic *ir, int s) { return s == 0 || ir->states[s].where == IR_PL_SYN; }
static bool post_state(const struct ir_plastic *ir, int s) { return s > 0 && ir->states[s].where == IR_PL_POST; }

static size_t state_bytes(const struct ir_plastic *ir, int64_t nsyn, int64_t npost)
{
    size_t b = (size_t)npost * sizeof(double) + (ir->syn_last ? (size_t)nsyn * sizeof(double) : 0);
    for (int s = 0; s < ir->nstates; s++)
        b += syn_state(ir, s) ? (size_t)nsyn * sizeof(float) : post_state(ir, s) ? (size_t)npost * sizeof(double) : 0;
    return b;
}

bool rt_part_copy_rows(struct rt_part *x, int j, const struct rt_conn *c, const struct rt_plastic *pl, bool ready)
{
    const int parts = x->opt->parts;
    const int64_t npre = rt_ref_size(x->m, x->m->projs[j].pre);
    struct copy *cp = &x->copies[j];
    /* the message: uint32 row lengths [npre], then the targets (of the whole population) in CSR order */
    size_t bytes = ready ? ((size_t)npre + (size_t)c->nsyn) * sizeof(uint32_t) : 0;
    uint32_t *msg = malloc(bytes + 1);
    ready = ready && msg && c->npre == npre;
    if (ready) {
        cp->bytes = state_bytes(pl->ir, c->nsyn, c->npost);
        ready = (cp->send = malloc(cp->bytes + 1)) != NULL;
    }
    for (int64_t i = 0; ready && i < npre; i++)
        msg[i] = (uint32_t)(c->row[i + 1] - c->row[i]);
    for (int64_t k = 0; ready && k < c->nsyn; k++)
        msg[npre + k] = (uint32_t)(c->post0 + c->t32[k]);
    const unsigned char *all = call(x, msg, ready ? bytes : 0, true);   /* always called: see gather_stats */
    bool ok = ready && all;
    if (ok && x->opt->part == 0) {
        struct rt_conn *cc = &x->cconn[j];
        struct rt_plastic *cpl = &x->cpl[j];
        const struct ir_plastic *ir = pl->ir;
        int64_t nsyn = 0;
        ok = (cp->lens = malloc(sizeof *cp->lens * (size_t)parts * (size_t)(npre ? npre : 1))) &&
             (cp->nsyn = calloc((size_t)parts, sizeof *cp->nsyn)) &&
             (cc->row = calloc((size_t)npre + 1, sizeof *cc->row));
        size_t at = 0;
        for (int r = 0; ok && r < parts; r++) {
            ok = x->sizes[r] >= (size_t)npre * sizeof(uint32_t);
            if (!ok)
                break;
            memcpy(cp->lens + (size_t)r * (size_t)npre, all + at, (size_t)npre * sizeof(uint32_t));
            for (int64_t i = 0; i < npre; i++) {
                cp->nsyn[r] += cp->lens[(size_t)r * (size_t)npre + (size_t)i];
                cc->row[i + 1] += cp->lens[(size_t)r * (size_t)npre + (size_t)i];
            }
            ok = x->sizes[r] == ((size_t)npre + (size_t)cp->nsyn[r]) * sizeof(uint32_t);
            nsyn += cp->nsyn[r];
            at += x->sizes[r];
        }
        for (int64_t i = 0; ok && i < npre; i++)
            cc->row[i + 1] += cc->row[i];
        *cc = (struct rt_conn){.npre = npre, .npost = c->npost_all, .nsyn = nsyn, .npost_all = c->npost_all,
                               .row = cc->row, .sorted = true};
        ok = ok && (cc->t32 = malloc(sizeof *cc->t32 * (size_t)(nsyn ? nsyn : 1))) &&
             (cc->w = malloc(sizeof *cc->w * (size_t)(nsyn ? nsyn : 1)));
        /* the targets: part r's part of row i follows parts 0 .. r-1's (part.h) */
        int64_t *cur = ok ? (cp->cur = malloc(sizeof *cur * (size_t)(npre ? npre : 1))) : NULL;
        ok = ok && cur;
        if (ok)
            memcpy(cur, cc->row, sizeof *cur * (size_t)npre);
        at = 0;
        for (int r = 0; ok && r < parts; r++) {
            const unsigned char *tg = all + at + (size_t)npre * sizeof(uint32_t);
            for (int64_t i = 0; i < npre; i++) {
                size_t n = cp->lens[(size_t)r * (size_t)npre + (size_t)i];
                memcpy(cc->t32 + cur[i], tg, n * sizeof(uint32_t));
                tg += n * sizeof(uint32_t);
                cur[i] += (int64_t)n;
            }
            at += x->sizes[r];
        }
        /* the states' storage; per-source states are part 0's own */
        *cpl = (struct rt_plastic){.ir = ir, .nt = 1, .npre = npre, .npost = c->npost_all, .nsyn = nsyn,
                                   .pre = pl->pre, .pre_last = pl->pre_last};
        ok = ok && (cpl->syn = calloc((size_t)ir->nstates, sizeof *cpl->syn)) &&
             (cpl->post = calloc((size_t)ir->nstates, sizeof *cpl->post)) &&
             (cpl->post_last = malloc(sizeof(double) * (size_t)(c->npost_all ? c->npost_all : 1))) &&
             (!ir->syn_last || (cpl->syn_last = malloc(sizeof(double) * (size_t)(nsyn ? nsyn : 1))));
        for (int s = 0; ok && s < ir->nstates; s++) {
            if (s == 0)
                cpl->syn[0] = cc->w;
            else if (syn_state(ir, s))
                ok = (cpl->syn[s] = malloc(sizeof(float) * (size_t)(nsyn ? nsyn : 1))) != NULL;
            else if (post_state(ir, s))
                ok = (cpl->post[s] = malloc(sizeof(double) * (size_t)(c->npost_all ? c->npost_all : 1))) != NULL;
        }
    }
    free(msg);
    cp->ready = ok;
    return ok;
}

/* Part 0: n values of `elem` bytes per synapse from each part's message at src[r], into dst in one process's
 * CSR order; advances src[r]. */
static void scatter_syn(const struct rt_part *x, const struct copy *cp, const struct rt_conn *cc, void *dst, size_t elem,
                        const unsigned char **src, int64_t *cur)
{
    const int64_t npre = cc->npre;
    memcpy(cur, cc->row, sizeof *cur * (size_t)npre);
    for (int r = 0; r < x->opt->parts; r++)
        for (int64_t i = 0; i < npre; i++) {
            size_t n = cp->lens[(size_t)r * (size_t)npre + (size_t)i];
            memcpy((unsigned char *)dst + (size_t)cur[i] * elem, src[r], n * elem);
            src[r] += n * elem;
            cur[i] += (int64_t)n;
        }
}

/* Part 0: each part's values of its targets (doubles) from src[r] into dst (consecutive ranges); advances src[r]. */
static void gather_post(const struct rt_part *x, int64_t size, double *dst, const unsigned char **src)
{
    for (int r = 0; r < x->opt->parts; r++) {
        int64_t b, e;
        rt_part_range(size, r, x->opt->parts, x->nt, &b, &e);
        memcpy(dst + b, src[r], (size_t)(e - b) * sizeof(double));
        src[r] += (size_t)(e - b) * sizeof(double);
    }
}

bool rt_part_copy_states(struct rt_part *x, int j, const struct rt_conn *c, const struct rt_plastic *pl)
{
    const struct ir_plastic *ir = pl->ir;
    struct copy *cp = &x->copies[j];
    unsigned char *p = cp->send;
    if (!cp->ready) {   /* still calls the exchange, sending nothing: see gather_stats */
        call(x, "", 0, true);
        return false;
    }
    for (int s = 0; s < ir->nstates; s++)
        if (syn_state(ir, s)) {
            memcpy(p, pl->syn[s], (size_t)c->nsyn * sizeof(float));
            p += (size_t)c->nsyn * sizeof(float);
        }
    if (ir->syn_last) {
        memcpy(p, pl->syn_last, (size_t)c->nsyn * sizeof(double));
        p += (size_t)c->nsyn * sizeof(double);
    }
    for (int s = 0; s < ir->nstates; s++)
        if (post_state(ir, s)) {
            memcpy(p, pl->post[s], (size_t)c->npost * sizeof(double));
            p += (size_t)c->npost * sizeof(double);
        }
    memcpy(p, pl->post_last, (size_t)c->npost * sizeof(double));
    const unsigned char *all = call(x, cp->send, cp->bytes, true);
    if (!all)
        return false;
    if (x->opt->part != 0)
        return true;
    /* every part's message checked, then read column by column through one cursor per part */
    const struct rt_conn *cc = &x->cconn[j];
    struct rt_plastic *cpl = &x->cpl[j];
    const int parts = x->opt->parts;
    const unsigned char *src[parts];
    size_t at = 0;
    for (int r = 0; r < parts; r++) {
        int64_t b, e;
        rt_part_range(c->npost_all, r, parts, x->nt, &b, &e);
        if (x->sizes[r] != state_bytes(ir, cp->nsyn[r], e - b))
            return false;
        src[r] = all + at;
        at += x->sizes[r];
    }
    for (int s = 0; s < ir->nstates; s++)
        if (syn_state(ir, s))
            scatter_syn(x, cp, cc, cpl->syn[s], sizeof(float), src, cp->cur);
    if (ir->syn_last)
        scatter_syn(x, cp, cc, cpl->syn_last, sizeof(double), src, cp->cur);
    for (int s = 0; s < ir->nstates; s++)
        if (post_state(ir, s))
            gather_post(x, c->npost_all, cpl->post[s], src);
    gather_post(x, c->npost_all, cpl->post_last, src);
    return true;
}

const struct rt_conn *rt_part_copy_conns(const struct rt_part *x) { return x->opt->part == 0 ? x->cconn : NULL; }
const struct rt_plastic *rt_part_copy_plastic(const struct rt_part *x) { return x->opt->part == 0 ? x->cpl : NULL; }

bool rt_part_agree(const struct rt_options *opt, bool ok, char *err, size_t errlen, double *ms)
{
    /* the message: one byte ok, then this part's error text */
    char msg[1024];
    msg[0] = ok ? 1 : 0;
    size_t len = 1;
    if (!ok) {
        size_t n = strnlen(err, sizeof msg - 2);
        memcpy(msg + 1, err, n);
        len += n;
    }
    msg[len++] = 0;
    size_t *sizes = calloc((size_t)opt->parts, sizeof *sizes);
    if (!sizes)
        return ok ? rt_errf(err, errlen, "out of memory") : false;
    int64_t t0 = util_now_ns();
    const char *all = opt->exchange(opt->exchange_ctx, msg, len, false, sizes);
    *ms += 1e-6 * (double)(util_now_ns() - t0);
    bool all_ok = all != NULL;
    if (!all)
        rt_errf(err, errlen, "the exchange between the parts failed");
    size_t at = 0;
    for (int r = 0; all && r < opt->parts; r++) {
        if (sizes[r] < 2 || all[at + sizes[r] - 1] != 0) {
            all_ok = rt_errf(err, errlen, "part %d sent a malformed message", r);
            break;
        }
        if (!all[at]) {
            /* this part's own message is already in err; another's is named */
            if (r != opt->part)
                rt_errf(err, errlen, "part %d of %d: %s", r, opt->parts, all + at + 1);
            all_ok = false;
            break;
        }
        at += sizes[r];
    }
    free(sizes);
    return all_ok;
}

double rt_part_ms(const struct rt_part *x) { return x ? x->ms : 0; }
double rt_part_bytes(const struct rt_part *x) { return x ? x->bytes : 0; }
