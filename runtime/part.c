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
    if (!x->send || !x->counts || !x->sizes) {
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

bool rt_part_gather_stats(struct rt_part *x, struct stats *st)
{
    const struct ir_model *m = x->m;
    const int np = m->npops, parts = x->opt->parts;
    int64_t *lo = calloc((size_t)np + 1, sizeof *lo), *hi = calloc((size_t)np + 1, sizeof *hi);
    unsigned char *buf = NULL;
    bool ok = lo && hi;
    for (int i = 0; ok && i < np; i++)
        rt_part_range(m->pops[i].size, x->opt->part, parts, x->nt, &lo[i], &hi[i]);
    size_t bytes = ok ? stats_part_bytes(st, lo, hi) : 0;
    ok = ok && (buf = malloc(bytes + 1));
    /* Every part calls the exchange even when out of memory (sending nothing), so no part waits for ever;
     * part 0 then sees a size that does not match and fails. */
    if (ok)
        stats_part_pack(st, lo, hi, buf);
    const unsigned char *all = call(x, buf, ok ? bytes : 0, true);
    ok = ok && all;
    if (ok && x->opt->part == 0) {
        size_t at = 0;
        for (int r = 0; ok && r < parts; r++) {
            for (int i = 0; i < np; i++)
                rt_part_range(m->pops[i].size, r, parts, x->nt, &lo[i], &hi[i]);
            ok = x->sizes[r] == stats_part_bytes(st, lo, hi);
            if (ok && r != 0)
                stats_part_unpack(st, lo, hi, all + at);
            at += x->sizes[r];
        }
    }
    free(buf);
    free(lo);
    free(hi);
    return ok;
}

bool rt_part_gather_traces(struct rt_part *x, struct traces *t)
{
    const struct ir_model *m = x->m;
    const int np = m->npops, parts = x->opt->parts;
    int64_t *lo = calloc((size_t)np + 1, sizeof *lo), *hi = calloc((size_t)np + 1, sizeof *hi);
    size_t bytes = trace_part_bytes(t);
    unsigned char *buf = malloc(bytes + 1);
    bool ok = lo && hi && buf;
    if (ok)
        trace_part_pack(t, buf);
    const unsigned char *all = call(x, buf, ok ? bytes : 0, true);   /* always called: see above */
    ok = ok && all;
    if (ok && x->opt->part == 0) {
        size_t at = 0;
        for (int r = 0; ok && r < parts; r++) {
            ok = x->sizes[r] == bytes;   /* every part has the same recordings */
            for (int i = 0; ok && r != 0 && i < np; i++)
                rt_part_range(m->pops[i].size, r, parts, x->nt, &lo[i], &hi[i]);
            if (ok && r != 0)
                trace_part_unpack(t, lo, hi, all + at);
            at += x->sizes[r];
        }
    }
    free(buf);
    free(lo);
    free(hi);
    return ok;
}

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
