/*
 * rng.c - Philox4x32-10 keyed generators and the distributions the runtime needs (rng.h).
 *
 * Owns: turning words into uniforms, normals, exponentials and geometric skips.  Must not: keep global
 * state or depend on call order across entities.
 */
#include "runtime/rng.h"

#include <math.h>

void rt_rng_init(struct rt_rng *r, uint64_t seed, uint32_t stream, uint64_t entity)
{
    r->k.v[0] = (uint32_t)seed;
    r->k.v[1] = (uint32_t)(seed >> 32);
    r->c.v[0] = 0;
    r->c.v[1] = (uint32_t)entity;
    r->c.v[2] = (uint32_t)(entity >> 32);
    r->c.v[3] = stream;
    r->used = 4;
    r->has_spare = 0;
    r->spare = 0.0;
}

uint32_t rt_rng_u32(struct rt_rng *r)
{
    if (r->used == 4) {
        philox4x32_ctr_t out = philox4x32(r->c, r->k);
        r->c.v[0]++;
        for (int i = 0; i < 4; i++)
            r->buf[i] = out.v[i];
        r->used = 0;
    }
    return r->buf[r->used++];
}

uint64_t rt_rng_u64(struct rt_rng *r)
{
    uint64_t hi = rt_rng_u32(r);
    return (hi << 32) | rt_rng_u32(r);
}

double rt_rng_uniform(struct rt_rng *r)
{
    /* 53 bits: (k + 0.5) / 2^53 for k in [0, 2^53) lies strictly inside (0, 1) and is exact in double. */
    uint64_t k = rt_rng_u64(r) >> 11;
    return ((double)k + 0.5) * 0x1p-53;
}

uint32_t rt_rng_below(struct rt_rng *r, uint32_t n)
{
    uint64_t m = (uint64_t)rt_rng_u32(r) * n;
    uint32_t low = (uint32_t)m;
    if (low < n) {
        uint32_t threshold = (uint32_t)(-n) % n;
        while (low < threshold) {
            m = (uint64_t)rt_rng_u32(r) * n;
            low = (uint32_t)m;
        }
    }
    return (uint32_t)(m >> 32);
}

double rt_rng_normal(struct rt_rng *r)
{
    if (r->has_spare) {
        r->has_spare = 0;
        return r->spare;
    }
    /* Box & Muller (1958): with U1, U2 uniform on (0,1), sqrt(-2 log U1) (cos 2 pi U2, sin 2 pi U2) are two
     * independent standard normals.  U1 > 0 always (rt_rng_uniform), so the log is finite. */
    double u1 = rt_rng_uniform(r), u2 = rt_rng_uniform(r);
    double rad = sqrt(-2.0 * log(u1));
    double ang = 2.0 * M_PI * u2;
    r->spare = rad * sin(ang);
    r->has_spare = 1;
    return rad * cos(ang);
}

double rt_rng_exponential(struct rt_rng *r)
{
    return -log(rt_rng_uniform(r));
}

int64_t rt_rng_geometric_lq(struct rt_rng *r, double lq)
{
    double g = floor(log(rt_rng_uniform(r)) / lq);
    /* A skip beyond 2^62 means "past any population": saturate instead of overflowing the cast. */
    return g < 0x1p62 ? (int64_t)g : INT64_MAX / 2;
}

int64_t rt_rng_geometric(struct rt_rng *r, double p)
{
    if (p >= 1.0)
        return 0;
    if (!(p > 0.0))
        return INT64_MAX / 2;
    return rt_rng_geometric_lq(r, log1p(-p));
}

double rt_rng_draw(void *ctx, enum ir_op op, double a, double b)
{
    struct rt_rng *r = ctx;
    switch (op) {
    case IR_RAND_UNIFORM:
        return a + (b - a) * rt_rng_uniform(r);
    case IR_RAND_NORMAL:
        return a + b * rt_rng_normal(r);
    case IR_RAND_LOGNORMAL: {
        /* X = exp(mu + s Z) has E X = exp(mu + s^2/2), Var X = (exp(s^2) - 1) (E X)^2; solve for mu, s. */
        double s2 = log1p((b * b) / (a * a));
        double mu = log(a) - 0.5 * s2;
        return exp(mu + sqrt(s2) * rt_rng_normal(r));
    }
    case IR_RAND_EXPONENTIAL:
        return a * rt_rng_exponential(r);
    default:
        return NAN;
    }
}
