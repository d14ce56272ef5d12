/*
 * coba_stdp.c - hand-written floor of models/benchmarks/coba_stdp.bn: COBA (coba.c) with additive pair STDP
 * on E -> E (models/lib/stdp.bn stdp_add: tau+ = tau- = 20 ms, A+ = 0.005, A- = 0.00525, w_max = 12 nS,
 * w(0) = 6 nS), written directly in C with the same event semantics as balnet (compiler/ir/ir.h, struct
 * ir_plastic): traces per source and per target, brought forward in closed form at each event; at a pre
 * arrival (step t, time t) g_e += w, x_pre += 1, w = clip(w - A- w_max x_post); at a post spike (step t,
 * time t + 1) x_post += 1, w = clip(w + A+ w_max x_pre).  Float weights, a target-major index with the
 * source of each entry stored beside it (8 bytes per synapse: the floor may spend memory balnet does not).
 *
 * usage: coba_stdp [duration_ms [seed]].  Prints one line of key=value pairs (bench/plastic.sh reads it).
 */
#include "floor.h"

enum { N = 4000, NE = 3200 };

int main(int argc, char **argv)
{
    double duration = 1000.0;
    uint64_t seed = 1;
    int stats = 0;
    fl_args(argc, argv, &duration, &seed, &stats);
    const double dt = 0.1, C_m = 200, g_L = 10, E_L = -60, I_e = 200, V_th = -50, V_re = -60;
    const double tau_e = 5, E_e = 0, w_e = 6, tau_i = 10, E_i = -80, w_i = 67, p = 0.02;
    const double tau_s = 20, A_p = 0.005, A_m = 0.00525, w_max = 12;
    const int refr_steps = 50;
    const int64_t nsteps = (int64_t)nearbyint(duration / dt);

    double t0 = fl_ms();
    struct fl_rng r;
    fl_seed(&r, seed);
    double *V = aligned_alloc(64, N * sizeof(double)), *ge = aligned_alloc(64, N * sizeof(double));
    double *gi = aligned_alloc(64, N * sizeof(double));
    int32_t *refr = aligned_alloc(64, N * sizeof(int32_t));
    uint8_t *flag = aligned_alloc(64, N + 64);
    uint32_t *spk = malloc(N * sizeof(uint32_t));
    double *xpre = calloc(NE, sizeof(double)), *tpre = calloc(NE, sizeof(double));
    double *xpost = calloc(NE, sizeof(double)), *tpost = calloc(NE, sizeof(double));
    if (!V || !ge || !gi || !refr || !flag || !spk || !xpre || !tpre || !xpost || !tpost)
        return 1;
    memset(flag, 0, N + 64);
    for (int i = 0; i < N; i++) {
        V[i] = -55 + 5 * fl_normal(&r);
        ge[i] = 40 + 15 * fl_normal(&r);
        gi[i] = 200 + 120 * fl_normal(&r);
        refr[i] = 0;
    }
    /* E sources: E -> E (plastic) and E -> I rows; I sources: one CSR over all targets */
    struct fl_csr cee, cei, ci;
    cee.row = malloc((NE + 1) * sizeof(int64_t));
    cei.row = malloc((NE + 1) * sizeof(int64_t));
    int64_t cap = (int64_t)(p * NE * N * 1.2) + 4096;
    cee.tgt = malloc(cap * sizeof(uint16_t));
    cei.tgt = malloc(cap * sizeof(uint16_t));
    if (!cee.row || !cei.row || !cee.tgt || !cei.tgt)
        return 1;
    int64_t ke = 0, ki = 0;
    for (int i = 0; i < NE; i++) {
        cee.row[i] = ke;
        cei.row[i] = ki;
        ke += fl_row_fill(&r, p, 0, NE, i, cee.tgt + ke);
        ki += fl_row_fill(&r, p, NE, N - NE, -1, cei.tgt + ki);
    }
    cee.row[NE] = cee.nsyn = ke;
    cei.row[NE] = cei.nsyn = ki;
    if (!fl_csr_build(&ci, &r, p, NE, N - NE, N))
        return 1;
    float *w = malloc(ke * sizeof(float));
    int64_t *inrow = calloc(NE + 1, sizeof(int64_t));
    uint32_t *insyn = malloc(ke * sizeof(uint32_t)), *insrc = malloc(ke * sizeof(uint32_t));
    if (!w || !inrow || !insyn || !insrc)
        return 1;
    for (int64_t k = 0; k < ke; k++) {
        w[k] = (float)w_e;
        inrow[cee.tgt[k] + 1]++;
    }
    for (int j = 0; j < NE; j++)
        inrow[j + 1] += inrow[j];
    int64_t *fill = malloc(NE * sizeof(int64_t));
    memcpy(fill, inrow, NE * sizeof(int64_t));
    for (int i = 0; i < NE; i++)
        for (int64_t k = cee.row[i]; k < cee.row[i + 1]; k++) {
            insyn[fill[cee.tgt[k]]] = (uint32_t)k;
            insrc[fill[cee.tgt[k]]++] = (uint32_t)i;
        }
    free(fill);
    double t1 = fl_ms(), c1 = fl_cpu_ms();

    int64_t nspk = 0, total = 0;
    const double de = 1 - dt / tau_e, di = 1 - dt / tau_i, a = -dt / tau_s;
    for (int64_t t = 0; t < nsteps; t++) {
        /* (a) delivery of step t-1's spikes; E -> E through the pre event */
        const double now = (double)t;
        for (int64_t s = 0; s < nspk; s++) {
            uint32_t src = spk[s];
            if (src >= NE) {
                for (int64_t k = ci.row[src - NE]; k < ci.row[src - NE + 1]; k++)
                    gi[ci.tgt[k]] += w_i;
                continue;
            }
            for (int64_t k = cei.row[src]; k < cei.row[src + 1]; k++)
                ge[cei.tgt[k]] += w_e;
            for (int64_t k = cee.row[src]; k < cee.row[src + 1]; k++) {
                int j = cee.tgt[k];
                double xp = xpost[j] * exp((now - tpost[j]) * a), wk = w[k];
                ge[j] += wk;
                wk -= A_m * w_max * xp;
                w[k] = (float)(wk < 0 ? 0 : wk > w_max ? w_max : wk);
            }
            xpre[src] = xpre[src] * exp((now - tpre[src]) * a) + 1;
            tpre[src] = now;
        }
        /* (b) fused update */
        for (int i = 0; i < N; i++) {
            double v = V[i], e = ge[i], g = gi[i];
            int32_t c = refr[i];
            double vn = v + dt * ((g_L * (E_L - v) + I_e + e * (E_e - v) + g * (E_i - v)) / C_m);
            vn = c > 0 ? v : vn;
            int fire = (c <= 0) & ((vn >= V_th) | !(fabs(vn) < INFINITY));
            V[i] = fire ? V_re : vn;
            ge[i] = e * de;
            gi[i] = g * di;
            int32_t cd = c - 1 > 0 ? c - 1 : 0;
            refr[i] = fire ? refr_steps : cd;
            flag[i] = (uint8_t)fire;
        }
        nspk = fl_compact(flag, N, spk, 0);
        total += nspk;
        /* post events of the E neurons that spiked (time t + 1) */
        const double tp = (double)(t + 1);
        for (int64_t s = 0; s < nspk && spk[s] < NE; s++) {
            uint32_t j = spk[s];
            for (int64_t m = inrow[j]; m < inrow[j + 1]; m++) {
                uint32_t i = insrc[m], k = insyn[m];
                double xq = xpre[i] * exp((tp - tpre[i]) * a), wk = (double)w[k] + A_p * w_max * xq;
                w[k] = (float)(wk < 0 ? 0 : wk > w_max ? w_max : wk);
            }
            xpost[j] = xpost[j] * exp((tp - tpost[j]) * a) + 1;
            tpost[j] = tp;
        }
    }
    double t2 = fl_ms(), c2 = fl_cpu_ms();
    double wsum = 0;
    for (int64_t k = 0; k < ke; k++)
        wsum += w[k];
    printf("w_mean_ns=%.4f ", wsum / (double)ke);
    fl_report("coba_stdp", total, N, duration, t0, t1, t2, c1, c2, cee.nsyn + cei.nsyn + ci.nsyn, 0, NULL, nsteps);
    return 0;
}
