/*
 * lif_noise.c - hand-written floor of bench/lif_noise.bn: 100 000 uncoupled LIF neurons driven by white noise
 * (the diffusion limit of Brunel 2000), to measure what balnet's inline noise costs (bench/noise.sh).
 *
 *   tau dV/dt = mu - V + sigma sqrt(tau) xi,  tau = 20 ms, mu = 18 mV, sigma = 5 mV,
 *   V >= 20 mV -> V = 10 mV, refractory 2 ms (V clamped), dt = 0.1 ms, 1 s; initial V ~ U(10, 20) mV.
 *   The exact Ornstein-Uhlenbeck step, as balnet selects it (check -v: exact_ou):
 *     V <- V P + mu (1 - P) + sigma/sqrt(tau) sqrt(tau (1 - P^2)/2) N,   P = exp(-dt/tau)
 *   with N one standard normal per neuron and step from the same generator balnet uses: Philox4x32-10
 *   (Random123) keyed by the seed, counter (step, neuron, term, stream), two 53-bit uniforms, Box-Muller with
 *   ln and cos as polynomials (no libm call, so gcc can vectorise the loop as LLVM does balnet's).  Written
 *   here from the description, not shared with balnet: the floor measures the model, not balnet's code.
 *
 * usage: lif_noise [duration_ms [seed]]
 */
#include "floor.h"

#include <Random123/philox.h>

enum { N = 100000 };

static inline double res53(uint32_t a, uint32_t b)
{
    return ((double)(int32_t)(a >> 5) * 67108864.0 + (double)(int32_t)(b >> 6) + 0.5) * 0x1p-53;
}

/* ln u, u in (0, 1): u = 2^e m, m folded into [sqrt(2)/2, sqrt(2)), ln m = 2 atanh((m-1)/(m+1)) */
static inline double fast_log(double u)
{
    uint64_t bits;
    memcpy(&bits, &u, sizeof bits);
    double e = (double)((int32_t)(uint32_t)(bits >> 52) - 1023);
    bits = (bits & 0x000fffffffffffffull) | 0x3ff0000000000000ull;
    double m;
    memcpy(&m, &bits, sizeof m);
    int big = m > 1.4142135623730951;
    m = big ? m * 0.5 : m;
    e = big ? e + 1.0 : e;
    double s = (m - 1.0) / (m + 1.0), z = s * s, q = 1.0 / 21;
    static const double c[] = {1.0 / 19, 1.0 / 17, 1.0 / 15, 1.0 / 13, 1.0 / 11, 1.0 / 9, 1.0 / 7, 1.0 / 5, 1.0 / 3, 1.0};
    for (int i = 0; i < 10; i++)
        q = c[i] + z * q;
    return e * 0.6931471805599453 + (s + s) * q;
}

/* cos(2 pi u), u in (0, 1), by symmetry folded to [0, pi/2] and a Taylor series to x^22 */
static inline double fast_cos2pi(double u)
{
    double v = fabs(u - 0.5);
    int flip = v > 0.25;
    double w = flip ? 0.5 - v : v, x = w * 6.283185307179586, z = x * x, c = -1.0 / 1124000727777607680000.0;
    static const double k[] = {1.0 / 2432902008176640000.0, -1.0 / 6402373705728000.0, 1.0 / 20922789888000.0,
                               -1.0 / 87178291200.0, 1.0 / 479001600.0, -1.0 / 3628800.0, 1.0 / 40320.0,
                               -1.0 / 720.0, 1.0 / 24.0, -0.5, 1.0};
    for (int i = 0; i < 11; i++)
        c = k[i] + z * c;
    return flip ? c : -c;
}

static inline double philox_normal(uint64_t seed, uint32_t step, uint32_t neuron)
{
    philox4x32_key_t key = {{(uint32_t)seed, (uint32_t)(seed >> 32)}};
    philox4x32_ctr_t ctr = {{step, neuron, 0, (9u << 24)}};
    philox4x32_ctr_t w = philox4x32(ctr, key);
    return sqrt(-2.0 * fast_log(res53(w.v[0], w.v[1]))) * fast_cos2pi(res53(w.v[2], w.v[3]));
}

int main(int argc, char **argv)
{
    double duration = 1000.0;
    uint64_t seed = 1;
    int stats = 0;
    fl_args(argc, argv, &duration, &seed, &stats);
    const double dt = 0.1, tau = 20, mu = 18, sigma = 5, theta = 20, V_r = 10;
    const int refr_steps = 20;
    const int64_t nsteps = (int64_t)nearbyint(duration / dt);
    const double P = exp(-dt / tau), B = mu * -expm1(-dt / tau);
    const double SD = sigma / sqrt(tau) * sqrt(tau * -expm1(-2 * dt / tau) / 2);

    double t0 = fl_ms();
    struct fl_rng r;
    fl_seed(&r, seed);
    double *V = aligned_alloc(64, N * sizeof(double));
    int32_t *refr = aligned_alloc(64, N * sizeof(int32_t));
    uint8_t *flag = aligned_alloc(64, N + 64);
    uint32_t *spk = malloc(N * sizeof(uint32_t));
    if (!V || !refr || !flag || !spk)
        return 1;
    memset(flag, 0, N + 64);
    for (int i = 0; i < N; i++) {
        V[i] = V_r + (theta - V_r) * fl_unif(&r);
        refr[i] = 0;
    }
    double t1 = fl_ms(), c1 = fl_cpu_ms();
    int64_t total = 0;
    for (int64_t t = 0; t < nsteps; t++) {
        for (int i = 0; i < N; i++) {
            double v = V[i];
            int32_t c = refr[i];
            double vn = v * P + B + SD * philox_normal(seed, (uint32_t)t, (uint32_t)i);
            vn = c > 0 ? V_r : vn;
            int fire = (c <= 0) & ((vn >= theta) | !(fabs(vn) < INFINITY));
            V[i] = fire ? V_r : vn;
            int32_t cd = c - 1 > 0 ? c - 1 : 0;
            refr[i] = fire ? refr_steps : cd;
            flag[i] = (uint8_t)fire;
        }
        total += fl_compact(flag, N, spk, 0);
    }
    double t2 = fl_ms(), c2 = fl_cpu_ms();
    fl_report("lif_noise", total, N, duration, t0, t1, t2, c1, c2, 0, 0, NULL, nsteps);
    return 0;
}
