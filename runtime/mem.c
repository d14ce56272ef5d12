/*
 * mem.c - memory limits and the estimate of a run's footprint (mem.h, rt_estimate_bytes of rt.h).
 *
 * The estimate counts what dominates: synapses (net.h's bytes per synapse times the expected count),
 * neuron state (nvars + nobs doubles per neuron), spike queues and rings, input generators, and a
 * rough figure for the statistics (per-neuron accumulators and the 16-bit window counts of fano and
 * count_corr).  It is computed without drawing the network, so a run that cannot fit is refused before
 * anything large is allocated.
 *
 * Owns: the estimate.  Must not: print.
 */
#include "runtime/mem.h"

#include "runtime/input.h"
#include "runtime/net.h"
#include "runtime/rt.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

void *rt_lazy_zeroed(size_t bytes)
{
    /* MAP_NORESERVE: the pages another part owns are never written, so they need no swap reserved */
    void *p = mmap(NULL, bytes ? bytes : 1, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

void rt_lazy_free(void *p, size_t bytes)
{
    if (p)
        munmap(p, bytes ? bytes : 1);
}

size_t rt_mem_available(void)
{
    FILE *f = fopen("/proc/meminfo", "r");
    if (!f)
        return 0;
    char line[256];
    size_t kb = 0;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "MemAvailable: %zu kB", &kb) == 1)
            break;
    fclose(f);
    return kb * 1024;
}

const char *rt_format_bytes(char *buf, size_t len, double b)
{
    if (b >= 1e9)
        snprintf(buf, len, "%.1f GB", b / 1e9);
    else if (b >= 1e6)
        snprintf(buf, len, "%.1f MB", b / 1e6);
    else if (b >= 1e3)
        snprintf(buf, len, "%.1f kB", b / 1e3);
    else
        snprintf(buf, len, "%.0f B", b);
    return buf;
}

size_t rt_estimate_bytes(const struct ir_model *m, int parts)
{
    double total = 0, split = 0;   /* split: what falls as 1/parts (the delay rings of the part's targets) */
    parts = parts > 1 ? parts : 1;
    int64_t nsteps = (int64_t)nearbyint(m->duration / m->dt);
    /* queue length per source: the longest constant delay + 1 (per-synapse delays read step t-1 only) */
    int *qlen_pop = calloc((size_t)m->npops + 1, sizeof *qlen_pop);
    int *qlen_in = calloc((size_t)m->ninputs + 1, sizeof *qlen_in);
    for (int j = 0; j < m->nprojs; j++) {
        const struct ir_proj *p = &m->projs[j];
        total += (double)rt_conn_bytes(m, j, parts);   /* already the part's */
        int dmax = rt_conn_dmax_estimate(m, j);
        int len = (p->delay_const ? dmax : 1) + 1;
        int *q = p->pre.is_input ? (qlen_in ? &qlen_in[p->pre.index] : NULL)
                                 : (qlen_pop ? &qlen_pop[p->pre.index] : NULL);   /* NULL: out of memory */
        if (q && len > *q)
            *q = len;
        if (!p->delay_const)   /* one ring per increment at most (rings are shared per receptor var) */
            split += (double)p->nincs * (dmax + 1) * (double)rt_ref_size(m, p->post) * sizeof(double);
    }
    for (int i = 0; i < m->npops; i++) {
        const struct ir_pop *p = &m->pops[i];
        double n = (double)p->size;
        /* the state columns: a part writes (so holds) only its own neurons' pages (sim.c, rt_lazy_zeroed),
         * the slice rounded up to 64 neurons and a page at each end */
        if (parts > 1)
            total += ((n + parts - 1) / parts + 64) * (p->nvars * (p->single ? 12 : 8) + p->nobs * 8) +
                     2.0 * 4096 * (p->nvars + p->nobs);   /* single: the floats and the doubles they came from */
        else
            total += n * (p->nvars + p->nobs) * sizeof(double);
        total += n * (1 + sizeof(uint32_t)) + 64;
        total += (qlen_pop ? (qlen_pop[i] > 1 ? qlen_pop[i] : 1) : 1) * n * sizeof(uint32_t);
    }
    for (int i = 0; i < m->ninputs; i++) {
        total += (double)rt_input_bytes(&m->inputs[i], m->dt);
        total += (qlen_in ? (qlen_in[i] > 1 ? qlen_in[i] : 1) : 1) * (double)m->inputs[i].size * sizeof(uint32_t);
    }
    for (int r = 0; r < m->nrecords; r++) {
        const struct ir_record *rec = &m->records[r];
        for (int k = 0; k < rec->npops; k++) {
            double n = (double)m->pops[rec->pops[k]].size;
            for (int s = 0; s < rec->nstats; s++) {
                const struct ir_stat *st = &rec->stats[s];
                total += n * 4 * sizeof(double);
                if ((st->kind == IR_STAT_FANO || st->kind == IR_STAT_COUNT_CORR) && st->window > 0)
                    total += n * ceil((double)nsteps * m->dt / st->window) * sizeof(uint16_t);
            }
        }
    }
    /* split: part 0 keeps a copy of each recorded plastic projection as one process has it (part.h; counted
     * on every part, an upper bound): targets, weights and per-synapse states, per-target states, every
     * part's row lengths */
    for (int i = 0; parts > 1 && i < m->nwrecs; i++) {
        bool first = true;   /* one copy per projection */
        for (int k = 0; k < i; k++)
            first = first && m->wrecs[k].proj != m->wrecs[i].proj;
        const struct ir_proj *p = &m->projs[m->wrecs[i].proj];
        if (!first || !p->plastic)
            continue;
        double per = 8 + (p->plastic->syn_last ? 8 : 0), post = 8;
        for (int s = 1; s < p->plastic->nstates; s++) {
            per += p->plastic->states[s].where == IR_PL_SYN ? 4 : 0;
            post += p->plastic->states[s].where == IR_PL_POST ? 8 : 0;
        }
        total += rt_conn_expected(m, m->wrecs[i].proj) * per + (double)rt_ref_size(m, p->post) * post +
                 (double)rt_ref_size(m, p->pre) * (8 + 4 * parts);
    }
    free(qlen_pop);
    free(qlen_in);
    return (size_t)(total + split / parts);
}
