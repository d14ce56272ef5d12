/*
 * cuba.c - hand-written floor of models/benchmarks/cuba.bn (Vogels & Abbott 2005 as Brette et al. 2007,
 * benchmark 2): the same model, parameters, propagators and step order as balnet's kernels
 * (compiler/ir/ir.h kernel semantics, runtime/sim.c step order), written directly in C.
 *
 *   C_m dV/dt = g_L (E_L - V) + I_e + I_i,   dI_a/dt = -I_a / tau_a
 *   C_m = 200 pF, g_L = 10 nS (tau_m = 20 ms), E_L = -49 mV, V_th = -50 mV, V_re = -60 mV, t_ref = 5 ms
 *   tau_e = 5 ms, w_e = 1.62 mV / 100 MOhm = 16.2 pA;  tau_i = 10 ms, w_i = -9 mV / 100 MOhm = -90 pA
 *   exact propagators, as balnet selects them (balnet check -v): I <- I exp(-dt/tau_a) and, with the
 *   synaptic current held over the step, V <- V P + (g_L E_L + I) / C_m * tau_m (1 - P), P = exp(-dt/tau_m)
 *   dt = 0.1 ms, 1 s; initial V ~ U(-60, -50) mV, I = 0
 *   3200 E + 800 I, Bernoulli p = 0.02 for every block, no autapses, delay one step.
 *
 * Step order as coba.c: deliver step t-1's spikes, update (V frozen while refractory), spike, reset,
 * refractory counter, compaction.
 *
 * usage: cuba [duration_ms [seed]] [-s]     (-s: per-neuron sum V and sum V^2 every step, as coba.c)
 */
#include "floor.h"

enum { N = 4000, NE = 3200 };

int main(int argc, char **argv)
{
    double duration = 1000.0;
    uint64_t seed = 1;
    int stats = 0;
    fl_args(argc, argv, &duration, &seed, &stats);
    /* the update's constants in the state's type (fl_real); the propagators computed in double, rounded */
    const double dt = 0.1, tau_m = 20, tau_e = 5, tau_i = 10, p = 0.02;
    const fl_real C_m = 200, g_L = 10, E_L = -49, V_th = -50, V_re = -60, w_e = 16.2, w_i = -90;
    const int refr_steps = 50;
    const int64_t nsteps = (int64_t)nearbyint(duration / dt);
    const fl_real P = exp(-dt / tau_m), Q = tau_m * -expm1(-dt / tau_m);
    const fl_real de = exp(-dt / tau_e), di = exp(-dt / tau_i);

    double t0 = fl_ms();
    struct fl_rng r;
    fl_seed(&r, seed);
    fl_real *V = aligned_alloc(64, N * sizeof(fl_real)), *ie = aligned_alloc(64, N * sizeof(fl_real));
    fl_real *ii = aligned_alloc(64, N * sizeof(fl_real));
    double *sv = calloc(N, sizeof(double)), *svv = calloc(N, sizeof(double));
    int32_t *refr = aligned_alloc(64, N * sizeof(int32_t));
    uint8_t *flag = aligned_alloc(64, N + 64);
    uint32_t *spk = malloc(N * sizeof(uint32_t));
    if (!V || !ie || !ii || !sv || !svv || !refr || !flag || !spk)
        return 1;
    memset(flag, 0, N + 64);
    for (int i = 0; i < N; i++) {
        V[i] = -60 + 10 * fl_unif(&r);
        ie[i] = ii[i] = 0;
        refr[i] = 0;
    }
    struct fl_csr ce, ci;
    if (!fl_csr_build(&ce, &r, p, 0, NE, N) || !fl_csr_build(&ci, &r, p, NE, N - NE, N))
        return 1;
    double t1 = fl_ms(), c1 = fl_cpu_ms();

    int64_t nspk = 0, total = 0;
    for (int64_t t = 0; t < nsteps; t++) {
        fl_deliver(&ce, &ci, NE, spk, nspk, ie, w_e, ii, w_i);
        for (int i = 0; i < N; i++) {
            fl_real v = V[i], e = ie[i], g = ii[i];
            int32_t c = refr[i];
            fl_real vn = v * P + (g_L * E_L + e + g) / C_m * Q;
            vn = c > 0 ? v : vn;
            int fire = (c <= 0) & ((vn >= V_th) | !(fl_abs(vn) < INFINITY));
            V[i] = fire ? V_re : vn;
            ie[i] = e * de;
            ii[i] = g * di;
            int32_t cd = c - 1 > 0 ? c - 1 : 0;
            refr[i] = fire ? refr_steps : cd;
            flag[i] = (uint8_t)fire;
        }
        if (stats)
            fl_sum_v(V, sv, svv, N);
        nspk = fl_compact(flag, N, spk, 0);
        total += nspk;
    }
    double t2 = fl_ms(), c2 = fl_cpu_ms();
    fl_report("cuba", total, N, duration, t0, t1, t2, c1, c2, ce.nsyn + ci.nsyn, stats, sv, nsteps);
    return 0;
}
