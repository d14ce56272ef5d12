/*
 * coba.c - hand-written floor of models/benchmarks/coba.bn (Vogels & Abbott 2005 as Brette et al. 2007,
 * benchmark 1): the same model, parameters, integration scheme and step order as balnet's kernels
 * (compiler/ir/ir.h kernel semantics, runtime/sim.c step order), written directly in C.
 *
 *   C_m dV/dt = g_L (E_L - V) + I_e + g_e (E_e - V) + g_i (E_i - V),   dg_a/dt = -g_a / tau_a
 *   C_m = 200 pF, g_L = 10 nS, E_L = -60 mV, I_e = 200 pA, V_th = -50 mV, V_re = -60 mV, t_ref = 5 ms
 *   tau_e = 5 ms, E_e = 0 mV, w_e = 6 nS;  tau_i = 10 ms, E_i = -80 mV, w_i = 67 nS
 *   forward Euler for V and g (coba.bn: method = euler), dt = 0.1 ms, 1 s
 *   initial V ~ N(-55, 5) mV, g_e ~ N(40, 15) nS, g_i ~ N(200, 120) nS (not clipped, as balnet)
 *   3200 E + 800 I, Bernoulli p = 0.02 for every block, no autapses, delay one step.
 *
 * Step t: (a) spikes of step t-1 add w to the receptor of every target; (b) every neuron updates from its
 * old values (V frozen while the refractory counter is > 0); spike when free and V >= V_th (or V not
 * finite); reset; counter = 50 steps on a spike, else max(counter - 1, 0); (c) flags are compacted.
 *
 * usage: coba [duration_ms [seed]] [-s]     -s also accumulates per-neuron sum V and sum V^2 every step,
 * the work balnet's v_mean/v_var statistics do.  Prints one line of key=value pairs.
 */
#include "floor.h"

enum { N = 4000, NE = 3200 };

int main(int argc, char **argv)
{
    double duration = 1000.0;
    uint64_t seed = 1;
    int stats = 0;
    fl_args(argc, argv, &duration, &seed, &stats);
    /* the update's constants in the state's type (fl_real; dt = 0.1 rounded to float under FL_SINGLE) */
    const fl_real dt = 0.1, C_m = 200, g_L = 10, E_L = -60, I_e = 200, V_th = -50, V_re = -60;
    const fl_real E_e = 0, w_e = 6, E_i = -80, w_i = 67;
    const double tau_e = 5, tau_i = 10, p = 0.02;
    const int refr_steps = 50;
    const int64_t nsteps = (int64_t)nearbyint(duration / 0.1);

    double t0 = fl_ms();
    struct fl_rng r;
    fl_seed(&r, seed);
    fl_real *V = aligned_alloc(64, N * sizeof(fl_real)), *ge = aligned_alloc(64, N * sizeof(fl_real));
    fl_real *gi = aligned_alloc(64, N * sizeof(fl_real));
    double *sv = calloc(N, sizeof(double)), *svv = calloc(N, sizeof(double));
    int32_t *refr = aligned_alloc(64, N * sizeof(int32_t));
    uint8_t *flag = aligned_alloc(64, N + 64);
    uint32_t *spk = malloc(N * sizeof(uint32_t));
    if (!V || !ge || !gi || !sv || !svv || !refr || !flag || !spk)
        return 1;
    memset(flag, 0, N + 64);
    for (int i = 0; i < N; i++) {
        V[i] = -55 + 5 * fl_normal(&r);
        ge[i] = 40 + 15 * fl_normal(&r);
        gi[i] = 200 + 120 * fl_normal(&r);
        refr[i] = 0;
    }
    struct fl_csr ce, ci;
    if (!fl_csr_build(&ce, &r, p, 0, NE, N) || !fl_csr_build(&ci, &r, p, NE, N - NE, N))
        return 1;
    double t1 = fl_ms(), c1 = fl_cpu_ms();

    int64_t nspk = 0, total = 0;
    const fl_real de = 1 - 0.1 / tau_e, di = 1 - 0.1 / tau_i;   /* Euler: g + dt (-g/tau), in double, rounded */
    for (int64_t t = 0; t < nsteps; t++) {
        /* (a) delivery of step t-1's spikes */
        fl_deliver(&ce, &ci, NE, spk, nspk, ge, w_e, gi, w_i);
        /* (b) fused, branch-free update (vectorised by the compiler) */
        for (int i = 0; i < N; i++) {
            fl_real v = V[i], e = ge[i], g = gi[i];
            int32_t c = refr[i];
            fl_real vn = v + dt * ((g_L * (E_L - v) + I_e + e * (E_e - v) + g * (E_i - v)) / C_m);
            vn = c > 0 ? v : vn;
            int fire = (c <= 0) & ((vn >= V_th) | !(fl_abs(vn) < INFINITY));
            V[i] = fire ? V_re : vn;
            ge[i] = e * de;
            gi[i] = g * di;
            int32_t cd = c - 1 > 0 ? c - 1 : 0;
            refr[i] = fire ? refr_steps : cd;
            flag[i] = (uint8_t)fire;
        }
        if (stats)
            fl_sum_v(V, sv, svv, N);
        /* (c) compaction */
        nspk = fl_compact(flag, N, spk, 0);
        total += nspk;
    }
    double t2 = fl_ms(), c2 = fl_cpu_ms();
    fl_report("coba", total, N, duration, t0, t1, t2, c1, c2, ce.nsyn + ci.nsyn, stats, sv, nsteps);
    return 0;
}
