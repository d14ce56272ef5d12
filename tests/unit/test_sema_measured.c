/*
 * test_sema_measured.c - stat(POP, STAT [, AXIS = VALUE]...): the dependencies of a point, lowering with
 * measured values (a fake look-up standing in for the driver's points.csv), and the errors (unknown
 * population / statistic / axis, a value not on the axis, self-dependency, a cycle, stat() in a record).
 * Folded constants are compared with a relative tolerance of 1e-12: sema folds the same arithmetic as the
 * test, in a possibly different order (a few ulps).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>

#include "eff_tau_model.h"
#include "sema_helpers.h"

/* EFF_TAU_MODEL with a sweep of its three arms. */
static const char *eff_model =
    EFF_TAU_MODEL
    "sweep { N in [100, 400], syn in [current, conductance, eff_tau], trial in 1..2 }\n";

static struct sema_fixture *analyse_ok(const char *text)
{
    struct sema_fixture *f = fixture_analyse(text, NULL, 0);
    if (!f->model)
        fprintf(stderr, "%s", f->errors);
    assert_non_null(f->model);
    return f;
}

static void test_point_deps(void **st)
{
    struct sema_fixture *f = analyse_ok(eff_model);
    assert_int_equal(sema_naxes(f->model), 3);   /* N, syn, trial */
    int *deps = (int *)1;
    /* N = 400, syn = eff_tau, trial 2: the conductance run at N = 400, same trial, once although three
     * calls name it */
    int eff[] = {1, 2, 1};
    assert_int_equal(sema_point_deps(f->model, eff, &deps, &f->arena), 1);
    assert_int_equal(deps[0], 1);
    assert_int_equal(deps[1], 1);
    assert_int_equal(deps[2], 1);
    int eff0[] = {0, 2, 0};
    assert_int_equal(sema_point_deps(f->model, eff0, &deps, &f->arena), 1);
    assert_int_equal(deps[0], 0);
    assert_int_equal(deps[1], 1);
    assert_int_equal(deps[2], 0);
    /* the stat() calls are in the branch not taken: no dependency */
    int cur[] = {1, 0, 1}, cond[] = {0, 1, 0};
    assert_int_equal(sema_point_deps(f->model, cur, &deps, &f->arena), 0);
    assert_null(deps);
    assert_int_equal(sema_point_deps(f->model, cond, &deps, &f->arena), 0);
    fixture_free(f);
}

struct fake {
    double v_mean, g_syn;   /* display units: mV, nS */
    int calls;
    int dep[3];
    bool missing;
};

static bool fake_lookup(void *ctx, const int *dep, const char *pop, const char *stat, double *value)
{
    struct fake *fk = ctx;
    fk->calls++;
    memcpy(fk->dep, dep, sizeof fk->dep);
    if (strcmp(pop, "E") != 0 || fk->missing)
        return false;
    if (!strcmp(stat, "v_mean"))
        *value = fk->v_mean;
    else if (!strcmp(stat, "g_syn"))
        *value = fk->g_syn;
    else
        return false;
    return true;
}

static void assert_close(double x, double want)
{
    if (!(fabs(x - want) <= 1e-12 * fabs(want)))
        fprintf(stderr, "got %.17g, want %.17g\n", x, want);
    assert_true(fabs(x - want) <= 1e-12 * fabs(want));
}

static void test_lower_measured(void **st)
{
    struct sema_fixture *f = analyse_ok(eff_model);
    struct fake fk = {.v_mean = -60, .g_syn = 0.05};
    int eff[] = {1, 2, 1};
    struct ir_model *m = sema_lower_measured(f->model, eff, fake_lookup, &fk, &f->diags);
    if (!m) {
        fixture_render(f);
        fprintf(stderr, "%s", f->errors);
    }
    assert_non_null(m);
    assert_true(fk.calls >= 2);
    assert_int_equal(fk.dep[0], 1);   /* N = 400 */
    assert_int_equal(fk.dep[1], 1);   /* syn = conductance */
    assert_int_equal(fk.dep[2], 1);   /* trial 2, kept */
    const struct ir_pop *p = find_pop(m, "E");
    assert_non_null(p);
    int v = find_var(p, "V");
    /* E_L = the measured <V>: the initial value V = E_L folds to -60 mV */
    double x;
    assert_true(ir_eval_const(p->vars[v].init, &x));
    assert_close(x, -60);
    /* g_L = 1/15 + <g_syn> (nS): dV/dt = g_L (E_L - V)/C_m has slope -g_L/C_m, C_m = 1 pF */
    double vals[8] = {0};
    const struct ir_update *u = find_update(p, v);
    vals[v] = 0;
    double r0 = ir_eval(u->rhs, vals, NULL, NULL);
    vals[v] = 1;
    double r1 = ir_eval(u->rhs, vals, NULL, NULL);
    assert_close(r0 - r1, 1.0 / 15 + 0.05);
    assert_close(r0, (1.0 / 15 + 0.05) * -60);
    /* j_eff = j_cond (E_e - <V>) = 17.5/72 * 60 / sqrt(400) (pA ms) */
    assert_int_equal(m->nprojs, 1);
    assert_true(ir_eval_const(m->projs[0].weight, &x));
    assert_close(x, 17.5 / 72 * 60 / 20);

    /* the display -> internal conversion uses the statistic's unit: v_mean in mV, g_syn in nS are the
     * internal units, so try a statistic in Hz (internal 1/ms) through a param */
    fixture_free(f);
}

static const char *rate_model =
    "import lif\n"
    "variant arm = base | probe\n"
    "param drive = 0 pA\n"
    "population E = lif[10](I_e = arm == probe ? stat(E, rate, arm = base) * 1 pA*s : drive)\n"
    "record E: rate\n"
    "sweep { arm in [base, probe] }\n";

static bool rate_lookup(void *ctx, const int *dep, const char *pop, const char *stat, double *value)
{
    (void)ctx;
    (void)pop;
    (void)stat;
    assert_int_equal(dep[0], 0);   /* arm = base */
    *value = 12.5;                 /* Hz, as in points.csv */
    return true;
}

static void test_display_units(void **st)
{
    struct sema_fixture *f = analyse_ok(rate_model);
    int probe[] = {1};
    struct ir_model *m = sema_lower_measured(f->model, probe, rate_lookup, NULL, &f->diags);
    assert_non_null(m);
    /* 12.5 Hz = 0.0125 /ms; times 1 pA*s = 1000 pA*ms gives I_e = 12.5 pA.  lif: dV/dt = (E_L - V + R I_e
     * + ...)/tau_m, so rhs(V = E_L) = R I_e / tau_m; lif's R = 1/g_L: check through the constant part */
    const struct ir_pop *p = find_pop(m, "E");
    int v = find_var(p, "V");
    double vals[8] = {0};
    vals[v] = -70;   /* lif's E_L */
    double with = ir_eval(find_update(p, v)->rhs, vals, NULL, NULL);
    int base[] = {0};
    struct ir_model *mb = sema_lower(f->model, base, &f->diags);
    assert_non_null(mb);
    double without = ir_eval(find_update(find_pop(mb, "E"), v)->rhs, vals, NULL, NULL);
    /* I_e / C_m with lif's C_m = 200 pF (models/lib/lif.bn): 12.5/200 mV/ms */
    assert_close(with - without, 12.5 / 200);
    fixture_free(f);
}

static void test_lower_errors(void **st)
{
    struct sema_fixture *f = analyse_ok(eff_model);
    int eff[] = {1, 2, 1};
    /* sema_lower on a point with dependencies: an error naming the point needed */
    assert_null(sema_lower(f->model, eff, &f->diags));
    fixture_render(f);
    assert_non_null(strstr(f->errors, "stat(E, g_syn, syn = conductance) needs the statistics of the point "
                                      "N = 400, syn = conductance"));
    /* a missing measurement: located at the call, naming the point and the trial */
    struct fake fk = {.missing = true};
    diags_init(&f->diags, &f->arena);
    assert_null(sema_lower_measured(f->model, eff, fake_lookup, &fk, &f->diags));
    fixture_render(f);
    assert_non_null(strstr(f->errors, "test.bn:23:41: error: stat(E, g_syn, syn = conductance) is not available: "
                                      "g_syn of E at the point N = 400, syn = conductance, trial = 2 was not measured"));
    /* NaN is missing too */
    struct fake nan_fk = {.v_mean = NAN, .g_syn = 1};
    diags_init(&f->diags, &f->arena);
    assert_null(sema_lower_measured(f->model, eff, fake_lookup, &nan_fk, &f->diags));
    fixture_render(f);
    assert_non_null(strstr(f->errors, "stat(E, v_mean, syn = conductance) is not available: v_mean of E at the "
                                      "point N = 400, syn = conductance, trial = 2 was NaN"));
    /* points without dependencies lower with sema_lower as before */
    diags_init(&f->diags, &f->arena);
    int cond[] = {1, 1, 0};
    assert_non_null(sema_lower(f->model, cond, &f->diags));
    fixture_free(f);
}


#define HEAD "import lif\nvariant syn = a | b\nparam N = 10\nrecord E, all: rate, v_mean = mean(V)\n"
/* E_L from the point syn = a, used at syn = b only (so that syn = a itself lowers) */
#define POP_B(call) "population E = lif[N](E_L = syn == b ? " call " : -70 mV)\n"
#define SWEEP "sweep { N in [10, 20], syn in [a, b] }\n"

static void test_errors(void **st)
{
    expect_error(HEAD POP_B("stat(F, v_mean, syn = a)") SWEEP,
                 "unknown population 'F' at the point syn = a; did you mean 'E'?");
    expect_error(HEAD POP_B("stat(E, v_mena, syn = a)") SWEEP,
                 "'v_mena' is not recorded for E at the point syn = a; did you mean 'v_mean'?");
    expect_error(HEAD "population E = lif[N](E_L = stat(E, v_mean, sin = a))\n" SWEEP,
                 "'sin' is not a sweep axis; did you mean 'syn'?");
    expect_error(HEAD "population E = lif[N](E_L = stat(E, v_mean, syn = c))\n" SWEEP,
                 "'c' is not a value of the sweep axis 'syn' (a, b)");
    expect_error(HEAD "population E = lif[N](E_L = stat(E, v_mean, N = 30))\n" SWEEP,
                 "N = 30 is not a value of the sweep axis 'N' (10, 20)");
    expect_error(HEAD "param M = 1\npopulation E = lif[N](E_L = stat(E, v_mean, M = 1))\n" SWEEP,
                 "'M' is not swept: stat() can only name another point of the sweep");
    /* the dimension is the statistic's: a rate is not a voltage */
    expect_error(HEAD POP_B("stat(E, rate, syn = a) + -70 mV") SWEEP, "cannot add frequency (Hz) and voltage (mV)");
    /* self-dependency: at the point syn = a itself, found when the variant combinations are checked */
    expect_error(HEAD "population E = lif[N](E_L = stat(E, v_mean, syn = a))\n" SWEEP,
                 "stat(E, v_mean, syn = a) names the point being computed (syn = a): a point cannot use its own "
                 "statistics");
    /* ... and along a param axis, found by lowering every point of the sweep */
    expect_error(HEAD "population E = lif[N](E_L = stat(E, v_mean, N = 10))\nsweep { N in [10, 20] }\n",
                 "names the point being computed (N = 10)");
    /* no axis at all is always the point itself */
    expect_error(HEAD "population E = lif[N](E_L = stat(E, v_mean))\n" SWEEP, "names the point being computed");
    /* a cycle: syn = a needs syn = b, which needs syn = a */
    expect_error(HEAD "population E = lif[N](E_L = syn == a ? stat(E, v_mean, syn = b) : stat(E, v_mean, syn = a))\n"
                      SWEEP,
                 "stat() makes points of the sweep need each other's statistics in a cycle: (syn = b) -> (syn = a) -> "
                 "(syn = b)");
    /* not in a record */
    expect_error("import lif\nvariant syn = a | b\npopulation E = lif[3]\n"
                 "record E: rate, x = mean(V) - stat(E, rate, syn = a)*1 mV*s\nsweep { syn in [a, b] }\n",
                 "stat() cannot be used in a record");
    expect_error(HEAD "population E = lif[N](E_L = stat(E, 3, syn = a))\n" SWEEP,
                 "stat() takes a population (or all), a statistic and AXIS = VALUE settings");
    expect_error(HEAD "population E = lif[N](E_L = stat(E, v_mean, trial = 1))\nsweep { syn in [a, b], trial in 1..2 }\n",
                 "stat() always reads the same trial; 'trial' cannot be set");
}

static void test_pooled_and_chains(void **st)
{
    /* `all` is the pooled population; a chain a <- b <- c is fine (not a cycle) */
    struct sema_fixture *f = analyse_ok(
        "import lif\nvariant arm = a | b | c\n"
        "population E = lif[3](E_L = arm == a ? -70 mV : arm == b ? stat(all, v_mean, arm = a) "
        ": stat(E, v_mean, arm = b))\n"
        "record E, all: v_mean = mean(V)\nsweep { arm in [a, b, c] }\n");
    int *deps;
    int b[] = {1}, c[] = {2};
    assert_int_equal(sema_point_deps(f->model, b, &deps, &f->arena), 1);
    assert_int_equal(deps[0], 0);
    assert_int_equal(sema_point_deps(f->model, c, &deps, &f->arena), 1);
    assert_int_equal(deps[0], 1);
    fixture_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_point_deps),   cmocka_unit_test(test_lower_measured),
        cmocka_unit_test(test_display_units), cmocka_unit_test(test_lower_errors),
        cmocka_unit_test(test_errors),        cmocka_unit_test(test_pooled_and_chains),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
