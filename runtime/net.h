/*
 * net.h - connectivity of one projection, stored as CSR rows by presynaptic neuron (DESIGN.md §3).
 *
 * Bytes per synapse: the target index (2 bytes when the target population has < 65536 neurons, else 4),
 * plus a float weight only when the weight expression draws per synapse, plus a uint16 delay in steps
 * only when the delay draws per synapse.  Weights are float, not double: both engines share this runtime,
 * so engine bit-identity does not need double weights, and float keeps the paper's network (76 M
 * synapses at N = 15000) within the 4.5 bytes/synapse budget.  Rows are ordered by target index.
 * Dense rows: a run stores a Bernoulli projection with one weight and one delay as one bit per (source,
 * target) pair instead, where that takes fewer bytes (rt_conn_bits_pay; the paper network: 0.125 bytes a
 * pair against 0.4, 37 instead of 117 MB at N = 15000).
 * Targets are written in their final width as they are drawn (in_degree also holds 4 bytes per synapse
 * of sources while it transposes).
 *
 * Randomness, partition-independent (issue 15): the network does not depend on which thread or rank builds
 * which part.  Bernoulli: source i's synapses onto target block b (rt_conn_block targets) draw from key
 * (seed, RT_STREAM_CONN of j, b << 32 | i); in_degree: target t's sources from (.., t); out_degree: source
 * i's targets from (.., i); the weight and delay of synapse i -> t from (seed, RT_STREAM_WEIGHT/DELAY of j,
 * i * Npost + t).  So the synapses onto a range of targets can be built alone (rt_conn_build_range), and
 * are those a whole build has there.
 *
 * Owns: building, sizing and freeing one projection's synapses.  Must not: deliver spikes or print.
 */
#ifndef BN_RT_NET_H
#define BN_RT_NET_H

#include "compiler/ir/ir.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct rt_conn {
    int64_t npre, npost, nsyn;
    int64_t post0;         /* the targets built are [post0, post0 + npost) of the target population's
                            * npost_all neurons; stored target indices are relative to post0 */
    int64_t npost_all;
    int64_t block;         /* bernoulli: targets per keyed block (rt_conn_block) */
    int64_t *row;          /* npre + 1 offsets */
    uint16_t *t16;         /* targets when npost < 65536 (t32 NULL), else t32 (t16 NULL) */
    uint32_t *t32;
    float *w;              /* per-synapse weights; NULL: every synapse has wconst */
    double wconst;
    uint16_t *d;           /* per-synapse delays in steps (>= 1); NULL: every synapse has dconst */
    int dconst;            /* steps, >= 1 */
    int dmax;              /* largest delay in steps */
    bool sorted;           /* every row's targets increase: a thread's targets are one run of each row */
    int64_t *cut;          /* sorted rows split for nthreads: row i's synapses for thread t are
                            * [cut[i*(nt+1)+t], cut[i*(nt+1)+t+1]); NULL: no split (one thread) */
    int cut_nt;
    uint64_t *bits;        /* dense rows instead of target lists (t16, t32, w and d NULL): bit t % 64 of
                            * bits[i * words + t / 64] is set when i -> post0 + t exists; row[] still
                            * counts the synapses (rt_conn_build_run) */
    int64_t words;         /* 64-bit words per row of bits: (npost + 63) / 64 */
};

/* Size of the source or target of a projection. */
int64_t rt_ref_size(const struct ir_model *m, struct ir_ref r);
/* Delay in steps of a delay value in ms: rounded to the nearest step, at least 1. */
int rt_delay_steps(double delay_ms, double dt);

/* Builds projection j of m.  On failure returns false with a message in err (and c is freed). */
bool rt_conn_build(struct rt_conn *c, const struct ir_model *m, int j, uint64_t seed, char *err, size_t errlen);
/* The same, with the rows of a Bernoulli projection drawn by the threads of `pool` (NULL: the calling
 * thread).  Every row has its own random stream, so the result is the same whatever the thread count. */
struct rt_pool;
bool rt_conn_build_par(struct rt_conn *c, const struct ir_model *m, int j, uint64_t seed, struct rt_pool *pool,
                       char *err, size_t errlen);
/* Builds only the synapses of projection j onto targets [post0, post1) (clamped to the population), the
 * same synapses, weights and delays a whole build has there, with targets stored relative to post0: what
 * one rank of a network split over ranks holds.  Build work falls with the range for every rule but
 * out_degree (each source draws among all targets). */
bool rt_conn_build_range(struct rt_conn *c, const struct ir_model *m, int j, uint64_t seed, struct rt_pool *pool,
                         int64_t post0, int64_t post1, char *err, size_t errlen);
/* Dense rows (c->bits) where they pay: a Bernoulli projection with one weight and one delay, not plastic,
 * whose expected rows take fewer bytes as bits than as target lists (p > 1/16 with 16-bit targets, 1/32
 * with 32-bit).  The paper network's p = 0.2 stores 3.2x fewer bytes, and delivery adds the weight to 8
 * targets per vector instruction instead of one scattered addition per synapse (runtime/deliver.c). */
bool rt_conn_bits_pay(const struct ir_model *m, int j, int64_t npost);
/* rt_conn_build_range, with dense rows when rt_conn_bits_pay: the same synapses (the same draws), stored
 * as bits.  What a run builds (runtime/sim.c). */
bool rt_conn_build_run(struct rt_conn *c, const struct ir_model *m, int j, uint64_t seed, struct rt_pool *pool,
                       int64_t post0, int64_t post1, char *err, size_t errlen);
/* Targets per keyed block of a Bernoulli projection (a function of the projection only). */
int64_t rt_conn_block(const struct ir_model *m, int j);
void rt_conn_free(struct rt_conn *c);
/* The source of synapse k: the row whose range of the CSR holds k (binary search, O(log npre)). */
int64_t rt_conn_source(const struct rt_conn *c, int64_t k);

/* Expected number of synapses of projection j (exact for the degree, one-to-one and all-to-all rules). */
double rt_conn_expected(const struct ir_model *m, int j);
/* Expected bytes of projection j's storage, for one part of a network split over `parts` (rt.h). */
size_t rt_conn_bytes(const struct ir_model *m, int j, int parts);   /* one part of `parts` (<= 1: all) */
/* Largest delay (steps) the projection can have: exact when constant, else the maximum of 1000 sample
 * draws (for queue sizing estimates only; the built network reports its true dmax). */
int rt_conn_dmax_estimate(const struct ir_model *m, int j);

#endif
