/*
 * floor.h - shared pieces of the hand-written floor programs (bench/floor/coba.c, cuba.c): a small RNG,
 * Bernoulli connectivity in CSR by presynaptic neuron, spike compaction and timing.
 *
 * The floor is what a careful programmer writes by hand for one fixed model: structure of arrays,
 * constants folded by the C compiler, no interpretation, no statistics beyond the spike count.  balnet's
 * generated code is measured against it (bench/run.sh, docs/performance.md).  It must not depend on
 * anything in the balnet tree, so that it measures the model and not balnet.
 *
 * Compile with cc -O3 -march=native -fno-trapping-math (bench/run.sh): the last flag changes no value; it
 * tells gcc that floating-point exception flags are not inspected, as LLVM assumes by default, so the
 * update loop's comparisons may be executed unconditionally and the loop vectorised.
 *
 * Precision: coba.c and cuba.c compute in fl_real, double by default; compiled with -DFL_SINGLE they keep
 * their state in float and compute in float (constants and propagators computed in double, then rounded
 * to float, as balnet's `precision = single` does), the floor of balnet's single precision.  Statistics
 * (-s) are summed in double in both.
 *
 * Owns: nothing beyond the programs.  Must not: be linked into balnet.
 */
#ifndef BENCH_FLOOR_H
#define BENCH_FLOOR_H

#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#ifdef FL_SINGLE
typedef float fl_real;
#define fl_abs fabsf
#define FL_SUFFIX "-single"
#else
typedef double fl_real;
#define fl_abs fabs
#define FL_SUFFIX ""
#endif

/* xoshiro256** (Blackman & Vigna 2018), seeded by splitmix64: fast and good enough for a benchmark
 * (balnet uses Philox; the two runs are different realisations of the same model). */
struct fl_rng {
    uint64_t s[4];
};

static inline uint64_t fl_rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static inline uint64_t fl_next(struct fl_rng *r)
{
    uint64_t *s = r->s, res = fl_rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = fl_rotl(s[3], 45);
    return res;
}

static inline void fl_seed(struct fl_rng *r, uint64_t seed)
{
    for (int i = 0; i < 4; i++) {
        uint64_t z = (seed += 0x9e3779b97f4a7c15ull);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        r->s[i] = z ^ (z >> 31);
    }
}

/* uniform in (0, 1): 53 random bits, never 0 (log() of it is finite) */
static inline double fl_unif(struct fl_rng *r) { return ((double)(fl_next(r) >> 11) + 0.5) * 0x1.0p-53; }

/* standard normal by Box-Muller (one of the pair; speed does not matter at initialisation) */
static inline double fl_normal(struct fl_rng *r)
{
    double u = fl_unif(r), v = fl_unif(r);
    return sqrt(-2.0 * log(u)) * cos(6.283185307179586 * v);
}

/* CSR rows by presynaptic neuron; 16-bit targets (the whole network has < 65536 neurons). */
struct fl_csr {
    int64_t *row;    /* npre + 1 */
    uint16_t *tgt;
    int64_t nsyn;
};

/* One row: targets [post0, post0 + npost) each connected with probability p, by geometric skipping (the
 * gap to the next connected target is Geometric(p)), so the cost is O(synapses), never O(npost).  The
 * autapse (target == self) is skipped, as balnet does by default for E -> E and I -> I. */
static int64_t fl_row_fill(struct fl_rng *r, double p, int64_t post0, int64_t npost, int64_t self, uint16_t *out)
{
    double lq = log1p(-p);
    int64_t k = 0;
    for (int64_t j = (int64_t)floor(log(fl_unif(r)) / lq); j < npost; j += 1 + (int64_t)floor(log(fl_unif(r)) / lq))
        if (post0 + j != self)
            out[k++] = (uint16_t)(post0 + j);
    return k;
}

/* One CSR for the sources [pre0, pre0 + npre) onto the whole network [0, n).  Every block of the
 * benchmarks has the same p, so a row over all n targets is exactly the union of the E -> E and E -> I
 * (or I -> E and I -> I) rows, and one spike is delivered by one loop: a hand-written advantage balnet,
 * with one CSR per projection, does not take.  Returns 0 on out-of-memory. */
static int fl_csr_build(struct fl_csr *c, struct fl_rng *r, double p, int64_t pre0, int64_t npre, int64_t n)
{
    int64_t cap = (int64_t)(p * (double)npre * (double)n * 1.1) + 1024;
    c->row = malloc((size_t)(npre + 1) * sizeof *c->row);
    c->tgt = malloc((size_t)cap * sizeof *c->tgt);
    if (!c->row || !c->tgt)
        return 0;
    int64_t k = 0;
    for (int64_t i = 0; i < npre; i++) {
        c->row[i] = k;
        if (k + n > cap) {
            cap = cap * 2 + n;
            uint16_t *t = realloc(c->tgt, (size_t)cap * sizeof *t);
            if (!t)
                return 0;
            c->tgt = t;
        }
        k += fl_row_fill(r, p, 0, n, pre0 + i, c->tgt + k);
    }
    c->row[npre] = k;
    c->nsyn = k;
    return 1;
}

/* indices of the set flags, skipping all-zero 8-byte words (spikes are rare: ~0.2 % per step) */
static inline int64_t fl_compact(const uint8_t *flags, int64_t n, uint32_t *out, int64_t offset)
{
    int64_t k = 0;
    for (int64_t base = 0; base < n; base += 8) {
        uint64_t w;
        memcpy(&w, flags + base, sizeof w);
        if (!w)
            continue;
        for (int64_t i = base; i < base + 8 && i < n; i++)
            if (flags[i])
                out[k++] = (uint32_t)(i + offset);
    }
    return k;
}

/* [duration_ms [seed]] [-s]: -s also accumulates per-neuron sum V and sum V^2 every step */
static void fl_args(int argc, char **argv, double *duration, uint64_t *seed, int *stats)
{
    int npos = 0;
    for (int a = 1; a < argc; a++) {
        if (!strcmp(argv[a], "-s"))
            *stats = 1;
        else if (npos++ == 0)
            *duration = atof(argv[a]);
        else
            *seed = strtoull(argv[a], NULL, 10);
    }
}

/* Delivery of one step's spikes: sources below ne through ce into xe (weight we), the others through ci
 * into xi (weight wi). */
static inline void fl_deliver(const struct fl_csr *ce, const struct fl_csr *ci, uint32_t ne, const uint32_t *spk,
                              int64_t nspk, fl_real *xe, fl_real we, fl_real *xi, fl_real wi)
{
    for (int64_t s = 0; s < nspk; s++) {
        uint32_t src = spk[s];
        if (src < ne) {
            for (int64_t k = ce->row[src]; k < ce->row[src + 1]; k++)
                xe[ce->tgt[k]] += we;
        } else {
            for (int64_t k = ci->row[src - ne]; k < ci->row[src - ne + 1]; k++)
                xi[ci->tgt[k]] += wi;
        }
    }
}

/* The work of balnet's v_mean / v_var: per-neuron sum V and sum V^2 */
static inline void fl_sum_v(const fl_real *V, double *sv, double *svv, int n)
{
    for (int i = 0; i < n; i++) {
        double v = V[i];
        sv[i] += v;
        svv[i] += v * v;
    }
}

static inline double fl_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* CPU time of the process: robust against other processes sharing the cores, unlike wall time */
static inline double fl_cpu_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static inline long fl_maxrss_kb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

/* One line of key=value pairs (bench/run.sh reads them); t0 start, t1/c1 loop start, t2/c2 loop end. */
static void fl_report(const char *model, int64_t spikes, int n, double duration, double t0, double t1, double t2,
                      double c1, double c2, int64_t synapses, int stats, const double *sv, int64_t nsteps)
{
    printf("model=%s" FL_SUFFIX " rate_hz=%.4f build_ms=%.3f loop_ms=%.3f loop_cpu_ms=%.3f synapses=%lld maxrss_kb=%ld", model,
           (double)spikes / n / (duration / 1000.0), t1 - t0, t2 - t1, c2 - c1, (long long)synapses, fl_maxrss_kb());
    if (stats) {
        double vm = 0;
        for (int i = 0; i < n; i++)
            vm += sv[i] / (double)nsteps / n;
        printf(" v_mean_mv=%.3f", vm);
    }
    printf("\n");
}

#endif
