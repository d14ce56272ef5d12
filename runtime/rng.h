/*
 * rng.h - the runtime's only source of randomness: Random123 Philox4x32-10 (Salmon et al., SC'11), a
 * counter-based generator.  A generator is a key and a counter, so any (seed, stream, entity) can be
 * drawn from directly without sharing state: a network built with 1 or 8 threads, or a sweep point run
 * first or last, sees exactly the same numbers.
 *
 * Keying: key = the 64-bit seed; counter = (block, entity_lo, entity_hi, stream), block counting up from
 * 0 (2^32 blocks of 4 words = 1.7e10 numbers per entity, far beyond any one use).  `stream` names the use
 * (RT_STREAM(kind, index): the connectivity of projection 3, the initial values of population 1, ...),
 * `entity` the neuron or row within it.  Every use in the runtime has its own kind below, so no two uses
 * share a counter.
 *
 * Owns: the generator and its distributions.  Must not: keep global state.
 */
#ifndef BN_RT_RNG_H
#define BN_RT_RNG_H

#include "compiler/ir/ir.h"

#include <Random123/philox.h>
#include <stdint.h>

enum rt_stream_kind {
    RT_STREAM_CONN = 1,    /* connectivity of projection j: entity = (target block << 32) | source for
                            * bernoulli, the target for in_degree, the source for out_degree (net.h) */
    RT_STREAM_WEIGHT,      /* per-synapse weights of projection j: entity = source * Npost + target */
    RT_STREAM_DELAY,       /* per-synapse delays of projection j: entity = source * Npost + target */
    RT_STREAM_INIT,        /* initial state of population i: entity = (var << 40) | neuron */
    RT_STREAM_POISSON,     /* independent Poisson input i: entity = input neuron */
    RT_STREAM_MOTHER,      /* mother process of correlated input i: entity 0 */
    RT_STREAM_THIN,        /* thinning and jitter of mother spike k of input i: entity = k */
    RT_STREAM_ESTIMATE,    /* sampling a random delay's range for the memory estimate: entity = proj */
    RT_STREAM_PLINIT,      /* random initial event states of plastic projection j: entity = source * Npost +
                            * target, state s from counter block s << 20 (draws of one value use far
                            * fewer than 2^20 blocks) */
    RT_STREAM_NOISE = IR_NOISE_STREAM, /* white noise in the kernels (ir.h ir_noise_normal; its own counter
                                        * layout: step, neuron, term) */
};
/* index < 2^24 (projections, populations and inputs are counted far below that). */
#define RT_STREAM(kind, index) (((uint32_t)(kind) << 24) | ((uint32_t)(index) & 0xffffffu))
#define RT_ENTITY_INIT(var, neuron) (((uint64_t)(var) << 40) | (uint64_t)(neuron))

struct rt_rng {
    philox4x32_key_t k;
    philox4x32_ctr_t c;
    uint32_t buf[4];
    int used;              /* words of buf already returned (4: refill) */
    int has_spare;         /* Box-Muller makes normals in pairs; the second waits here */
    double spare;
};

void rt_rng_init(struct rt_rng *r, uint64_t seed, uint32_t stream, uint64_t entity);
uint32_t rt_rng_u32(struct rt_rng *r);
uint64_t rt_rng_u64(struct rt_rng *r);
/* Uniform on the open interval (0, 1) with 53 random bits: never 0 (log is safe) and never 1. */
double rt_rng_uniform(struct rt_rng *r);
/* Uniform integer in [0, n), n >= 1, unbiased (Lemire's multiply-and-reject, ACM TOMACS 2019). */
uint32_t rt_rng_below(struct rt_rng *r, uint32_t n);
/* Standard normal, Box-Muller (polar-free form: both values of each pair are used).  Exact in
 * distribution up to the 53-bit resolution of the uniforms; no tables, no rejection loop, so the number
 * of words consumed per value is fixed (2 uniforms per pair). */
double rt_rng_normal(struct rt_rng *r);
/* Exponential with mean 1 (inversion: -log U). */
double rt_rng_exponential(struct rt_rng *r);
/* Failures before the first success of Bernoulli(p) trials, by inversion:
 * floor(log U / log(1 - p)).  p >= 1 gives 0; p <= 0 gives INT64_MAX ("never").  Used to skip over
 * absent synapses or silent steps in O(number of successes). */
int64_t rt_rng_geometric(struct rt_rng *r, double p);
/* As rt_rng_geometric with the precomputed lq = log1p(-p) (< 0); the hot loops use this one. */
int64_t rt_rng_geometric_lq(struct rt_rng *r, double lq);

/* ir_draw_fn for ir_eval(): ctx is a struct rt_rng *.  uniform(low, high), normal(mean, sd),
 * lognormal(mean, sd) with the mean and sd of the value itself (log-space mu = log(m) - s2/2,
 * s2 = log(1 + sd^2/m^2)), exponential(mean). */
double rt_rng_draw(void *ctx, enum ir_op op, double a, double b);

/* A fast per-entity generator for the hottest draws (one geometric skip per synapse in the Bernoulli
 * build): SplitMix64 (Steele, Lea & Flood, OOPSLA 2014; passes BigCrush) started from one Philox draw of
 * the entity's keyed stream, so results still depend only on (seed, stream, entity).  About 2 ns a draw
 * against ~15 ns for a Philox block. */
struct rt_fast {
    uint64_t s;
};
static inline void rt_fast_init(struct rt_fast *f, struct rt_rng *keyed) { f->s = rt_rng_u64(keyed); }
static inline uint64_t rt_fast_u64(struct rt_fast *f)
{
    uint64_t z = (f->s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}
/* Uniform on (0, 1) with 53 bits, never 0. */
static inline double rt_fast_uniform(struct rt_fast *f)
{
    return ((double)(rt_fast_u64(f) >> 11) + 0.5) * 0x1p-53;
}

#endif
