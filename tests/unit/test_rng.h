/*
 * test_rng.h - a tiny deterministic RNG for unit tests that make synthetic data (xorshift64*, Vigna,
 * ACM TOMS 2016).  Independent of the runtime's Philox on purpose: the tests check the statistics code,
 * not the generator it would share.
 */
#ifndef BN_TEST_RNG_H
#define BN_TEST_RNG_H

#include <math.h>
#include <stdint.h>

struct rng {
    uint64_t s;
};
static inline uint64_t rng_u64(struct rng *r)
{
    r->s ^= r->s >> 12;
    r->s ^= r->s << 25;
    r->s ^= r->s >> 27;
    return r->s * 2685821657736338717ull;
}
/* Uniform on (0, 1), 53 bits, never 0. */
static inline double rng_unif(struct rng *r) { return ((double)(rng_u64(r) >> 11) + 0.5) * 0x1.0p-53; }
/* Standard normal by Box-Muller (one of the pair; the two draws in a fixed order). */
static inline double rng_normal(struct rng *r)
{
    double u = rng_unif(r), v = rng_unif(r);
    return sqrt(-2 * log(u)) * cos(2 * M_PI * v);
}

#endif
