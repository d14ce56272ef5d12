/*
 * test_frontend_parser.c - grammar/parser.y and compiler/frontend/parse.c: expression precedence, the AST
 * shape of every declaration kind, error recovery, the nesting limits, --set strings and imports.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "frontend/parse.h"
#include "support/util.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static struct arena A;
static struct srcmgr SM;
static struct diags D;

static int setup(void **state)
{
    (void)state;
    arena_init(&A);
    srcmgr_init(&SM);
    diags_init(&D, &A);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    arena_free(&A);
    srcmgr_free(&SM);
    return 0;
}

static struct ast_program *parse(const char *src)
{
    return parse_program_string(&A, &SM, &D, "<test>", src, strlen(src), NULL, 0);
}

/* The one declaration of `src`, which must parse without errors. */
static struct ast_node *one_decl(const char *src)
{
    struct ast_program *p = parse(src);
    if (D.errors)
        diag_render(stderr, &D, &SM);
    assert_int_equal(D.errors, 0);
    assert_int_equal(p->decls.n, 1);
    return p->decls.items[0];
}

static struct ast_node *expr(const char *src)
{
    struct ast_node *e = parse_expr_string(&A, &SM, &D, src);
    if (D.errors)
        diag_render(stderr, &D, &SM);
    assert_non_null(e);
    return e;
}

/* The tree of an expression as a compact S-expression, to compare shapes. */
static void sexp(const struct ast_node *n, char *buf, size_t cap)
{
    size_t len = strlen(buf);
    switch (n->kind) {
    case AST_NUMBER:
        snprintf(buf + len, cap - len, n->num.unit ? "%s[%s]" : "%s", n->num.text, n->num.unit);
        break;
    case AST_NAME:
        snprintf(buf + len, cap - len, "%s", n->name.id);
        break;
    case AST_BOOL:
        snprintf(buf + len, cap - len, "%s", n->boolean ? "true" : "false");
        break;
    case AST_UNARY:
        snprintf(buf + len, cap - len, "(%s ", ast_unop_str(n->unary.op));
        sexp(n->unary.operand, buf, cap);
        strncat(buf, ")", cap - strlen(buf) - 1);
        break;
    case AST_BINARY:
        snprintf(buf + len, cap - len, "(%s ", ast_binop_str(n->binary.op));
        sexp(n->binary.lhs, buf, cap);
        strncat(buf, " ", cap - strlen(buf) - 1);
        sexp(n->binary.rhs, buf, cap);
        strncat(buf, ")", cap - strlen(buf) - 1);
        break;
    case AST_COND:
        strncat(buf, "(? ", cap - len - 1);
        sexp(n->cond.cond, buf, cap);
        strncat(buf, " ", cap - strlen(buf) - 1);
        sexp(n->cond.then, buf, cap);
        strncat(buf, " ", cap - strlen(buf) - 1);
        sexp(n->cond.els, buf, cap);
        strncat(buf, ")", cap - strlen(buf) - 1);
        break;
    case AST_CALL:
        snprintf(buf + len, cap - len, "(%s", n->call.name);
        for (int i = 0; i < n->call.args.n; i++) {
            const struct ast_node *a = n->call.args.items[i];
            strncat(buf, " ", cap - strlen(buf) - 1);
            if (a->bind.name) {
                strncat(buf, a->bind.name, cap - strlen(buf) - 1);
                strncat(buf, "=", cap - strlen(buf) - 1);
            }
            sexp(a->bind.value, buf, cap);
        }
        strncat(buf, ")", cap - strlen(buf) - 1);
        break;
    default:
        snprintf(buf + len, cap - len, "<%s>", ast_kind_name(n->kind));
    }
}

static void expect_sexp(const char *src, const char *want)
{
    char buf[512] = "";
    sexp(expr(src), buf, sizeof buf);
    assert_string_equal(buf, want);
}

static void test_precedence(void **state)
{
    (void)state;
    expect_sexp("-2^2", "(- (^ 2 2))");                 /* docs/language.md: -2^2 is -(2^2) */
    expect_sexp("2^-1", "(^ 2 (- 1))");
    expect_sexp("2^3^2", "(^ 2 (^ 3 2))");              /* right associative */
    expect_sexp("1 + 2 * 3 - 4 / 5", "(- (+ 1 (* 2 3)) (/ 4 5))");
    expect_sexp("a ? b : c ? d : e", "(? a b (? c d e))");
    expect_sexp("a || b && !c", "(|| a (&& b (! c)))");
    expect_sexp("(x < 1) == true", "(== (< x 1) true)");
    expect_sexp("a + b < c * d ? 1 : 0", "(? (< (+ a b) (* c d)) 1 0)");
    expect_sexp("2 ms * 3", "(* 2[ms] 3)");             /* a unit binds tighter than any operator */
    expect_sexp("-60 mV", "(- 60[mV])");
    expect_sexp("17.5 pA*ms/sqrt(N)", "(/ 17.5[pA*ms] (sqrt N))");
    expect_sexp("var(V, clip = V_th, bin = 1 ms)", "(var V clip=V_th bin=1[ms])");
    expect_sexp("syn == current", "(== syn current)");
    expect_sexp("+x", "(+ x)");
}

static void test_nonassoc_comparison(void **state)
{
    (void)state;
    assert_null(parse_expr_string(&A, &SM, &D, "a < b < c"));
    assert_int_equal(D.errors, 1);
    assert_non_null(strstr(D.head->msg, "unexpected '<'"));
    assert_int_equal(D.head->span.file, SM.n - 1);          /* the "<command line>" pseudo-file */
    assert_string_equal(SM.files[SM.n - 1].path, "<command line>");
    assert_int_equal(D.head->span.begin, 6);
}

static void test_axis_strings(void **state)
{
    (void)state;
    struct ast_node *n = parse_axis_string(&A, &SM, &D, "[1000, 2000, 4000]");
    assert_non_null(n);
    assert_int_equal(n->kind, AST_LIST);
    assert_int_equal(n->list.n, 3);
    assert_true(n->list.items[2]->num.value == 4000.0);
    n = parse_axis_string(&A, &SM, &D, "1..4 step 2");
    assert_int_equal(n->kind, AST_RANGE);
    assert_true(n->range.lo->num.value == 1.0 && n->range.hi->num.value == 4.0 && n->range.step->num.value == 2.0);
    n = parse_axis_string(&A, &SM, &D, "10 Hz");
    assert_int_equal(n->kind, AST_NUMBER);
    assert_string_equal(n->num.unit, "Hz");
    n = parse_axis_string(&A, &SM, &D, "conductance");
    assert_int_equal(n->kind, AST_NAME);
    assert_int_equal(D.errors, 0);
    assert_null(parse_axis_string(&A, &SM, &D, "[1, 2"));
    assert_int_equal(D.errors, 1);
    /* the driver's form: "NAME=VALUE" as one file, parsed from after '='; spans index the whole text */
    int f = srcmgr_add(&SM, "<command line>", "c=0..1", 6);
    n = parse_axis_at(&A, &SM, &D, f, 2);
    assert_non_null(n);
    assert_int_equal(n->kind, AST_RANGE);
    assert_int_equal(n->span.begin, 2);
    assert_int_equal(n->span.end, 6);
    f = srcmgr_add(&SM, "<command line>", "N=1 +", 5);
    assert_null(parse_axis_at(&A, &SM, &D, f, 2));
    assert_int_equal(D.errors, 2);
    assert_int_equal(D.tail->span.begin, 5);               /* at the end of the text */
    assert_non_null(strstr(D.tail->msg, "unexpected end of file, expected expression"));
}

static void test_neuron(void **state)
{
    (void)state;
    struct ast_node *n = one_decl("neuron lif {\n"
                                  "    param tau_m = 20 ms, V_th = -50 mV\n"
                                  "    state V = uniform(-60 mV, V_th)\n"
                                  "    let I = 2 pA; let J = I\n"
                                  "    dV/dt = (-V + I) / tau_m method rk2\n"
                                  "    spike when V >= V_th { V = -60 mV; w += 1 }\n"
                                  "    refractory 2 ms\n"
                                  "}\n");
    assert_int_equal(n->kind, AST_NEURON);
    assert_string_equal(n->model.name, "lif");
    assert_int_equal(n->model.params.n, 0);
    const enum ast_kind kinds[] = {AST_PARAM, AST_PARAM, AST_STATE, AST_LET, AST_LET, AST_ODE, AST_SPIKE, AST_REFRACTORY};
    assert_int_equal(n->model.items.n, 8);
    for (int i = 0; i < 8; i++)
        assert_int_equal(n->model.items.items[i]->kind, kinds[i]);
    struct ast_node **it = n->model.items.items;
    assert_string_equal(it[1]->bind.name, "V_th");
    assert_string_equal(it[2]->bind.value->call.name, "uniform");
    assert_string_equal(it[5]->ode.var, "V");
    assert_string_equal(it[5]->ode.method, "rk2");
    assert_int_equal(it[6]->spike.resets.n, 2);
    assert_int_equal(it[6]->spike.resets.items[1]->assign.op, AST_ADD_SET);
    assert_string_equal(it[6]->spike.resets.items[1]->assign.target, "w");
    assert_string_equal(it[7]->item.value->num.unit, "ms");
    /* spans: the ODE starts at line 5 col 5, the name of the neuron is bytes 7..10 */
    int line, col;
    srcmgr_linecol(&SM, it[5]->span.file, it[5]->span.begin, &line, &col);
    assert_int_equal(line, 5);
    assert_int_equal(col, 5);
    assert_int_equal(n->model.name_span.begin, 7);
    assert_int_equal(n->model.name_span.end, 10);
}

static void test_synapse(void **state)
{
    (void)state;
    struct ast_node *n = one_decl("synapse exp_cond(tau = 5 ms, E_rev) {\n"
                                  "    state g = 0 nS\n    dg/dt = -g/tau\n"
                                  "    on spike(w) { g += w }\n    current g*(E_rev - V)\n}");
    assert_int_equal(n->kind, AST_SYNAPSE);
    assert_int_equal(n->model.params.n, 2);
    assert_int_equal(n->model.params.items[0]->kind, AST_SYN_PARAM);
    assert_non_null(n->model.params.items[0]->bind.value);
    assert_null(n->model.params.items[1]->bind.value);
    assert_int_equal(n->model.items.n, 4);
    struct ast_node *on = n->model.items.items[2];
    assert_int_equal(on->kind, AST_ON_SPIKE);
    assert_string_equal(on->on_spike.weight, "w");
    assert_int_equal(on->on_spike.assigns.n, 1);
    assert_int_equal(n->model.items.items[3]->kind, AST_CURRENT);
    n = one_decl("synapse delta() { on spike(w) { V += w } }");
    assert_int_equal(n->model.params.n, 0);
}

static void test_top_level_decls(void **state)
{
    (void)state;
    struct ast_program *p = parse("param N = 1000, p = 0.2\n"
                                  "variant syn = current | conductance | eff\n"
                                  "population E = lif[0.8*N](V_th = -50 mV)\n"
                                  "input X = poisson[100](rate = 10 Hz, correlation = c)\n"
                                  "input S = spikes(\"in.txt\")\n"
                                  "connect X -> E via exp_current(tau = 5 ms) bernoulli(p) weight 20 pA*ms delay 1.5 ms autapses\n"
                                  "connect E -> E via (syn == current ? a(1) : b) all_to_all\n"
                                  "record E, I, all: rate, fano(window = 100 ms), v = var(V), tau = C/(g + mean(g))\n"
                                  "simulate { dt = 0.1 ms  duration = 5 s  method = euler  seed = 1 }\n"
                                  "sweep { N in [1000, 2000], trial in 1..4, c in 0..1 step 0.5 }\n"
                                  "if syn == current { param q = 1 } else if N > 2 { param q = 2 } else { param q = 3 }\n");
    if (D.errors)
        diag_render(stderr, &D, &SM);
    assert_int_equal(D.errors, 0);
    const enum ast_kind kinds[] = {AST_PARAM, AST_PARAM, AST_VARIANT, AST_POPULATION, AST_INPUT, AST_INPUT,
                                   AST_CONNECT, AST_CONNECT, AST_RECORD, AST_SIMULATE, AST_SWEEP, AST_IF};
    assert_int_equal(p->decls.n, 12);
    for (int i = 0; i < 12; i++)
        assert_int_equal(p->decls.items[i]->kind, kinds[i]);
    struct ast_node **d = p->decls.items;
    assert_int_equal(d[2]->variant.alts.n, 3);
    assert_string_equal(d[2]->variant.alts.items[0]->name.id, "current");
    assert_string_equal(d[3]->population.model, "lif");
    assert_int_equal(d[3]->population.size->kind, AST_BINARY);
    assert_string_equal(d[3]->population.args.items[0]->bind.name, "V_th");
    assert_int_equal(d[4]->input.kind, AST_INPUT_POISSON);
    assert_int_equal(d[4]->input.args.n, 2);
    assert_int_equal(d[5]->input.kind, AST_INPUT_SPIKES);
    assert_string_equal(d[5]->input.path, "in.txt");
    struct ast_node *c = d[6];
    assert_string_equal(c->connect.pre, "X");
    assert_string_equal(c->connect.post, "E");
    assert_int_equal(c->connect.synapse->kind, AST_CALL);
    assert_int_equal(c->connect.rule, AST_RULE_BERNOULLI);
    assert_int_equal(c->connect.rule_arg->kind, AST_NAME);
    assert_string_equal(c->connect.weight->num.unit, "pA*ms");
    assert_true(c->connect.delay->num.value == 1.5);
    assert_true(c->connect.autapses);
    assert_int_equal(d[7]->connect.synapse->kind, AST_COND);
    assert_int_equal(d[7]->connect.rule, AST_RULE_ALL_TO_ALL);
    assert_null(d[7]->connect.rule_arg);
    assert_null(d[7]->connect.weight);
    assert_false(d[7]->connect.autapses);
    struct ast_node *r = d[8];
    assert_int_equal(r->record.pops.n, 3);
    assert_int_equal(r->record.stats.n, 4);
    assert_null(r->record.stats.items[0]->bind.name);
    assert_int_equal(r->record.stats.items[0]->bind.value->kind, AST_NAME);
    assert_int_equal(r->record.stats.items[1]->bind.value->kind, AST_CALL);
    assert_string_equal(r->record.stats.items[2]->bind.name, "v");
    assert_int_equal(r->record.stats.items[3]->bind.value->kind, AST_BINARY);
    assert_int_equal(d[9]->block.items.n, 4);
    assert_string_equal(d[9]->block.items.items[2]->bind.name, "method");
    assert_int_equal(d[9]->block.items.items[2]->kind, AST_SETTING);
    assert_null(d[9]->block.items.items[3]->bind.value->num.unit);      /* `1  method`: no unit */
    struct ast_node *s = d[10];
    assert_int_equal(s->block.items.n, 3);
    assert_int_equal(s->block.items.items[0]->bind.value->kind, AST_LIST);
    assert_int_equal(s->block.items.items[1]->bind.value->kind, AST_RANGE);
    assert_null(s->block.items.items[1]->bind.value->range.step);
    assert_non_null(s->block.items.items[2]->bind.value->range.step);
    struct ast_node *f = d[11];
    assert_int_equal(f->if_.then.n, 1);
    assert_int_equal(f->if_.els.n, 1);
    assert_int_equal(f->if_.els.items[0]->kind, AST_IF);
    assert_int_equal(f->if_.els.items[0]->if_.els.items[0]->kind, AST_PARAM);
}

static void test_error_recovery(void **state)
{
    (void)state;
    parse("neuron lif {\n"
          "    param tau = 20 ms +\n"             /* error on line 3: 'state' where an operand was due */
          "    state V = 0 mV\n"
          "    dV/dt = (1 - ) / tau\n"            /* line 4 */
          "}\n"
          "population E = [10]\n"                 /* line 6 */
          "param x = 1\n"
          "connect E -> E bernoulli(0.1)\n"       /* line 8: missing via */
          "param y = 2\n");
    assert_int_equal(D.errors, 4);
    int want[] = {3, 4, 6, 8}, i = 0;
    for (struct diag *g = D.head; g; g = g->next) {
        if (g->level != DIAG_ERROR)
            continue;
        int line, col;
        srcmgr_linecol(&SM, g->span.file, g->span.begin, &line, &col);
        assert_int_equal(line, want[i++]);
    }
    assert_non_null(strstr(D.head->msg, "unexpected 'state', expected expression"));
}

static void test_nesting_limit(void **state)
{
    (void)state;
    /* 100000 nested parentheses: one located error, no crash */
    size_t n = 100000;
    char *src = malloc(2 * n + 16);
    strcpy(src, "param x = ");
    size_t k = strlen(src);
    memset(src + k, '(', n);
    src[k + n] = '1';
    memset(src + k + n + 1, ')', n);
    src[k + 2 * n + 1] = 0;
    parse(src);
    assert_int_equal(D.errors, 1);
    assert_non_null(strstr(D.head->msg, "nesting too deep"));
    assert_int_equal(D.head->span.begin, 10 + PARSE_MAX_NESTING);
    /* 256 levels are fine */
    diags_init(&D, &A);
    memset(src + k, '(', 256);
    src[k + 256] = '1';
    memset(src + k + 257, ')', 256);
    src[k + 513] = 0;
    parse(src);
    assert_int_equal(D.errors, 0);
    /* long operator chains: a+a+...+a (left recursive, deep tree) and ----x (deep parser stack) */
    diags_init(&D, &A);
    strcpy(src, "param x = a");
    size_t len = strlen(src);
    for (int i = 0; i < 5000; i++) {
        src[len++] = '+';
        src[len++] = 'a';
    }
    src[len] = 0;
    parse(src);
    assert_int_equal(D.errors, 1);
    assert_non_null(strstr(D.head->msg, "expression too deeply nested"));
    diags_init(&D, &A);
    memset(src + 10, '-', n);
    src[10 + n] = 'x';
    src[11 + n] = 0;
    parse(src);
    assert_int_equal(D.errors, 1);
    assert_non_null(strstr(D.head->msg, "expression too deeply nested"));
    free(src);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void test_imports(void **state)
{
    (void)state;
    char dir[] = "/tmp/bn_import_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char lib[300], p[300];
    snprintf(lib, sizeof lib, "%s/lib", dir);
    mkdir(lib, 0700);
    snprintf(p, sizeof p, "%s/lib/base.bn", dir);
    write_file(p, "param base = 1\n");
    snprintf(p, sizeof p, "%s/mid.bn", dir);
    write_file(p, "import base\nparam mid = 2\n");
    snprintf(p, sizeof p, "%s/root.bn", dir);
    write_file(p, "import mid, \"mid.bn\"\nimport base\nparam root = 3\n");   /* diamond: each file once */
    const char *dirs[] = {lib};
    struct ast_program *prog = parse_program(&A, &SM, &D, p, dirs, 1);
    if (D.errors)
        diag_render(stderr, &D, &SM);
    assert_int_equal(D.errors, 0);
    assert_int_equal(prog->nfiles, 3);
    assert_int_equal(prog->decls.n, 3);
    assert_string_equal(prog->decls.items[0]->bind.name, "base");   /* libraries first */
    assert_string_equal(prog->decls.items[2]->bind.name, "root");

    /* a cycle: a -> b -> a */
    snprintf(p, sizeof p, "%s/a.bn", dir);
    write_file(p, "import b\nparam a = 1\n");
    char q[300];
    snprintf(q, sizeof q, "%s/b.bn", dir);
    write_file(q, "param b = 1\nimport \"a.bn\"\n");
    diags_init(&D, &A);
    prog = parse_program(&A, &SM, &D, p, NULL, 0);
    assert_non_null(prog);
    assert_int_equal(D.errors, 1);
    assert_non_null(strstr(D.head->msg, "import cycle"));
    assert_non_null(D.head->next);
    assert_int_equal(D.head->next->level, DIAG_NOTE);
    int line, col;
    srcmgr_linecol(&SM, D.head->span.file, D.head->span.begin, &line, &col);
    assert_int_equal(line, 2);                                      /* at b.bn's import "a.bn" */
    assert_non_null(strstr(SM.files[D.head->span.file].path, "b.bn"));

    /* missing import and missing root */
    snprintf(p, sizeof p, "%s/m.bn", dir);
    write_file(p, "import nowhere\n");
    diags_init(&D, &A);
    parse_program(&A, &SM, &D, p, dirs, 1);
    assert_int_equal(D.errors, 1);
    assert_non_null(strstr(D.head->msg, "cannot open 'nowhere.bn': No such file or directory"));
    diags_init(&D, &A);
    assert_null(parse_program(&A, &SM, &D, "/nonexistent/x.bn", NULL, 0));
    assert_non_null(strstr(D.head->msg, "cannot open '/nonexistent/x.bn'"));

    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

/* The repository's models all parse (they are the language's real users). */
static void test_repository_models(void **state)
{
    (void)state;
    const char *models[] = {"models/paper/cancellation.bn", "models/benchmarks/coba.bn",
                            "models/benchmarks/cuba.bn", "models/benchmarks/brunel2000.bn"};
    const char *dirs[] = {"models/lib"};
    for (size_t i = 0; i < sizeof models / sizeof models[0]; i++) {
        if (access(models[i], R_OK) != 0)
            continue;
        diags_init(&D, &A);
        struct ast_program *p = parse_program(&A, &SM, &D, models[i], dirs, 1);
        if (D.errors)
            diag_render(stderr, &D, &SM);
        assert_int_equal(D.errors, 0);
        assert_true(p->decls.n > 5);
    }
}

/* The dump format of `balnet dump --emit=ast`, pinned exactly (spans as line:col). */
static void test_dump(void **state)
{
    (void)state;
    struct ast_program *p = parse("param N = 2 ms\nneuron n {\n  dV/dt = -V/tau\n  spike when V > 1 { V = 0 }\n}\n"
                                  "connect A -> B via s(1) one_to_one weight -w\n");
    assert_int_equal(D.errors, 0);
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    ast_dump(m, p);
    fclose(m);
    assert_string_equal(buf, "file <test>\n"
                             "  1:7 param N\n"
                             "    1:11 number 2 unit=ms\n"
                             "  2:1 neuron n\n"
                             "    3:3 ode V\n"
                             "      3:11 binary /\n"
                             "        3:11 unary -\n"
                             "          3:12 name V\n"
                             "        3:14 name tau\n"
                             "    4:3 spike\n"
                             "      4:14 binary >\n"
                             "        4:14 name V\n"
                             "        4:18 number 1\n"
                             "      resets:\n"
                             "        4:22 assign V =\n"
                             "          4:26 number 0\n"
                             "  6:1 connect A -> B one_to_one\n"
                             "    synapse:\n"
                             "      6:20 call s\n"
                             "        6:22 arg\n"
                             "          6:22 number 1\n"
                             "    weight:\n"
                             "      6:43 unary -\n"
                             "        6:44 name w\n");
    free(buf);
}

/* docs: parsing a 1000-line model takes a few ms.  The bound asserted is 100 ms, generous for a loaded or
 * sanitizer build, but far below what a quadratic slip (e.g. line:col by rescanning) would cost here. */
static void test_speed(void **state)
{
    (void)state;
    const char *block = "neuron eif%d {\n"
                        "    param C_m = 1 pF, g_L = 1 nS/15, E_L = -72 mV, V_T = -55 mV, Delta_T = 1 mV\n"
                        "    state V = uniform(-75 mV, V_T)\n"
                        "    dV/dt = (g_L*(E_L - V) + 1 nS*Delta_T*exp((V - V_T)/Delta_T) + I_syn) / C_m\n"
                        "    spike when V >= -50 mV { V = -75 mV }\n"
                        "}\n"
                        "population E%d = eif%d[0.8*N](V = normal(-60 mV, 2 mV))\n"
                        "connect E%d -> E%d via psc(8 ms) bernoulli(p) weight 17.5 pA*ms/sqrt(N) delay 1 ms\n"
                        "record E%d, all: rate, v_var = var(V, clip = -50 mV, bin = 1 ms)\n"
                        "# a comment line\n";
    size_t cap = 1 << 20, len = 0;
    char *src = malloc(cap);
    int lines = 0;
    for (int i = 0; lines < 1000; i++, lines += 10)
        len += (size_t)snprintf(src + len, cap - len, block, i, i, i, i, i, i);
    int64_t t0 = util_now_ns();
    struct ast_program *p = parse(src);
    double ms = 1e-6 * (double)(util_now_ns() - t0);
    assert_int_equal(D.errors, 0);
    assert_int_equal(p->decls.n, 100 * 4);
    assert_true(ms < 100.0);
    free(src);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_precedence, setup, teardown),
        cmocka_unit_test_setup_teardown(test_nonassoc_comparison, setup, teardown),
        cmocka_unit_test_setup_teardown(test_axis_strings, setup, teardown),
        cmocka_unit_test_setup_teardown(test_neuron, setup, teardown),
        cmocka_unit_test_setup_teardown(test_synapse, setup, teardown),
        cmocka_unit_test_setup_teardown(test_top_level_decls, setup, teardown),
        cmocka_unit_test_setup_teardown(test_error_recovery, setup, teardown),
        cmocka_unit_test_setup_teardown(test_nesting_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_imports, setup, teardown),
        cmocka_unit_test_setup_teardown(test_repository_models, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dump, setup, teardown),
        cmocka_unit_test_setup_teardown(test_speed, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
