/* siegert.c: self-consistent stationary rate of Brunel's (2000) sparse LIF network (model A), the oracle of
 * tests/models/run_benchmarks.sh.  Owns only this formula; it knows nothing of balnet (the test script reads
 * the parameters out of the model and passes them on the command line).
 *
 * Mean field (Brunel 2000, eqs. 4-5, 21; SCIENCE.md §4), rates in 1/ms, times in ms, voltages in mV:
 *   mu      = C_E J tau [nu_ext + nu (1 - g gamma)]
 *   sigma^2 = J^2 C_E tau [nu_ext + nu (1 + g^2 gamma)]
 *   1/nu    = tau_rp + tau sqrt(pi) * integral_{(V_r - mu)/sigma}^{(theta - mu)/sigma} exp(u^2) (1 + erf u) du
 * solved for nu by bisection on f(nu) = phi(nu) - nu (phi decreases in nu here: inhibition dominates, so
 * the root is unique and bracketed by (0, 1/tau_rp)).
 *
 * The integrand exp(u^2)(1 + erf u) overflows/cancels when computed literally for large |u|: for u < 0 it is
 * erfcx(-u) = exp(u^2) erfc(-u) (bounded, ~ 1/(|u| sqrt(pi))), for u >= 0 it is 2 exp(u^2) - erfcx(u).
 * erfcx(x) for x >= 2 comes from its continued fraction (Abramowitz & Stegun 7.1.14), below that from
 * exp(x^2) erfc(x), which is accurate there.
 *
 * usage: siegert tau theta V_r tau_rp J C_E gamma g nu_ext_Hz     -> prints the rate in Hz
 *        siegert rate tau theta V_r tau_rp mu sigma                -> the first-passage rate in Hz of one LIF
 *        neuron tau dV/dt = mu - V + sigma sqrt(tau) xi (Siegert 1951; Ricciardi 1977; Brunel 2000 eq. 21
 *        with mu and sigma given), the oracle of tests/models/run_noise.sh
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static double erfcx_pos(double x) /* x >= 0 */
{
    if (x < 2.0)
        return exp(x * x) * erfc(x);
    /* erfc(x) exp(x^2) = (1/sqrt(pi)) / (x + (1/2)/(x + 1/(x + (3/2)/(x + 2/(x + ...))))) */
    double f = x;
    for (int k = 80; k >= 1; k--)
        f = x + (k / 2.0) / f;
    return 1.0 / (sqrt(M_PI) * f);
}

static double integrand(double u)
{
    if (u < 0)
        return erfcx_pos(-u);
    return 2.0 * exp(u * u) - erfcx_pos(u);
}

/* Composite Simpson with n (even) intervals; the integrand is smooth, 4000 intervals give ~1e-12. */
static double integral(double a, double b)
{
    const int n = 4000;
    double h = (b - a) / n, s = integrand(a) + integrand(b);
    for (int i = 1; i < n; i++)
        s += integrand(a + i * h) * (i % 2 ? 4.0 : 2.0);
    return s * h / 3.0;
}

struct brunel { double tau, theta, v_r, tau_rp, j, c_e, gamma, g, nu_ext; };

static double transfer(const struct brunel *p, double nu)
{
    double mu = p->c_e * p->j * p->tau * (p->nu_ext + nu * (1.0 - p->g * p->gamma));
    double sigma = p->j * sqrt(p->c_e * p->tau * (p->nu_ext + nu * (1.0 + p->g * p->g * p->gamma)));
    double i = integral((p->v_r - mu) / sigma, (p->theta - mu) / sigma);
    return 1.0 / (p->tau_rp + p->tau * sqrt(M_PI) * i);
}

int main(int argc, char **argv)
{
    if (argc == 8 && !strcmp(argv[1], "rate")) {
        double tau = atof(argv[2]), theta = atof(argv[3]), v_r = atof(argv[4]), tau_rp = atof(argv[5]);
        double mu = atof(argv[6]), sigma = atof(argv[7]);
        double i = integral((v_r - mu) / sigma, (theta - mu) / sigma);
        printf("%.6f\n", 1000.0 / (tau_rp + tau * sqrt(M_PI) * i));
        return 0;
    }
    if (argc != 10) {
        fprintf(stderr, "usage: siegert tau theta V_r tau_rp J C_E gamma g nu_ext_Hz\n");
        return 2;
    }
    struct brunel p = { atof(argv[1]), atof(argv[2]), atof(argv[3]), atof(argv[4]), atof(argv[5]),
                        atof(argv[6]), atof(argv[7]), atof(argv[8]), atof(argv[9]) / 1000.0 };
    double lo = 1e-9, hi = 1.0 / p.tau_rp - 1e-9;
    if (!(transfer(&p, lo) - lo > 0) || !(transfer(&p, hi) - hi < 0)) {
        fprintf(stderr, "siegert: no sign change of phi(nu) - nu in (0, 1/tau_rp)\n");
        return 1;
    }
    for (int it = 0; it < 200 && hi - lo > 1e-14; it++) {
        double mid = 0.5 * (lo + hi);
        if (transfer(&p, mid) - mid > 0)
            lo = mid;
        else
            hi = mid;
    }
    printf("%.6f\n", 0.5 * (lo + hi) * 1000.0);
    return 0;
}
