/*
 * test_frontend_lexer.c - token streams of grammar/lexer.l, through ast_dump_tokens (the format of
 * `balnet dump --emit=tokens`), and the lexer's diagnostics for bytes outside the language.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "frontend/parse.h"

#include <stdlib.h>
#include <string.h>

struct lexed {
    struct arena a;
    struct srcmgr sm;
    struct diags d;
    char *out;                 /* the token dump */
    size_t outlen;
};

static struct lexed *lex(const char *src, size_t len)
{
    struct lexed *L = calloc(1, sizeof *L);
    arena_init(&L->a);
    srcmgr_init(&L->sm);
    diags_init(&L->d, &L->a);
    int f = srcmgr_add(&L->sm, "t.bn", src, len);
    FILE *m = open_memstream(&L->out, &L->outlen);
    ast_dump_tokens(m, &L->a, &L->sm, &L->d, f);
    fclose(m);
    return L;
}

static void done(struct lexed *L)
{
    free(L->out);
    arena_free(&L->a);
    srcmgr_free(&L->sm);
    free(L);
}

/* The dump of `src` must be exactly `want`. */
static void expect_tokens(const char *src, const char *want)
{
    struct lexed *L = lex(src, strlen(src));
    assert_string_equal(L->out, want);
    assert_int_equal(L->d.errors, 0);
    done(L);
}

/* One error whose message contains `msg`, at 1-based column `col` of line 1. */
static void expect_error(const char *src, size_t len, const char *msg, int col)
{
    struct lexed *L = lex(src, len);
    assert_int_equal(L->d.errors, 1);
    assert_non_null(strstr(L->d.head->msg, msg));
    int line, c;
    srcmgr_linecol(&L->sm, L->d.head->span.file, L->d.head->span.begin, &line, &c);
    assert_int_equal(line, 1);
    assert_int_equal(c, col);
    done(L);
}

static void test_deriv(void **state)
{
    (void)state;
    expect_tokens("dV/dt = -V/tau",
                  "1:1 dX/dt dV/dt var=V\n1:7 '=' =\n1:9 '-' -\n1:10 name V\n1:11 '/' /\n1:12 name tau\n");
    /* not followed by '=': an ordinary quotient */
    expect_tokens("x = dV/dt", "1:1 name x\n1:3 '=' =\n1:5 name dV\n1:7 '/' /\n1:8 name dt\n");
    /* dd/dt: the variable is d */
    expect_tokens("dd/dt= 1", "1:1 dX/dt dd/dt var=d\n1:6 '=' =\n1:8 number 1 value=1 unit=-\n");
    /* == is a comparison, not an ODE */
    expect_tokens("dV/dt == 0", "1:1 name dV\n1:3 '/' /\n1:4 name dt\n1:7 == ==\n1:10 number 0 value=0 unit=-\n");
}

static void test_units(void **state)
{
    (void)state;
    expect_tokens("17.5 pA*ms/sqrt(N)", "1:1 number 17.5 pA*ms value=17.5 unit=pA*ms\n1:11 '/' /\n"
                                        "1:12 name sqrt\n1:16 '(' (\n1:17 name N\n1:18 ')' )\n");
    expect_tokens("2 ms * 3", "1:1 number 2 ms value=2 unit=ms\n1:6 '*' *\n1:8 number 3 value=3 unit=-\n");
    expect_tokens("5 mV^2", "1:1 number 5 mV^2 value=5 unit=mV^2\n");
    expect_tokens("3nS/ms", "1:1 number 3nS/ms value=3 unit=nS/ms\n");
    expect_tokens("1 s^-1", "1:1 number 1 s^-1 value=1 unit=s^-1\n");
    expect_tokens("2 \xC2\xB5m", "1:1 number 2 \xC2\xB5m value=2 unit=\xC2\xB5m\n");
    /* not units: a longer identifier, a keyword, a setting name, a sweep axis, a call, another line */
    expect_tokens("2 tau_m", "1:1 number 2 value=2 unit=-\n1:3 name tau_m\n");
    expect_tokens("2 delay", "1:1 number 2 value=2 unit=-\n1:3 delay delay\n");
    expect_tokens("1  seed = 2", "1:1 number 1 value=1 unit=-\n1:4 name seed\n1:9 '=' =\n"
                                 "1:11 number 2 value=2 unit=-\n");
    expect_tokens("4 N in", "1:1 number 4 value=4 unit=-\n1:3 name N\n1:5 in in\n");
    expect_tokens("2 exp(x)", "1:1 number 2 value=2 unit=-\n1:3 name exp\n1:6 '(' (\n1:7 name x\n1:8 ')' )\n");
    expect_tokens("2\nms", "1:1 number 2 value=2 unit=-\n2:1 name ms\n");
    /* a unit compared with == is still a unit */
    expect_tokens("1 ms == t", "1:1 number 1 ms value=1 unit=ms\n1:6 == ==\n1:9 name t\n");
}

static void test_numbers(void **state)
{
    (void)state;
    expect_tokens("2e-3 1.5E+2 7", "1:1 number 2e-3 value=0.002 unit=-\n1:6 number 1.5E+2 value=150 unit=-\n"
                                   "1:13 number 7 value=7 unit=-\n");
    expect_tokens("1..4", "1:1 number 1 value=1 unit=-\n1:2 .. ..\n1:4 number 4 value=4 unit=-\n");
    expect_error("x = 1e999", 9, "number too large", 5);
}

static void test_operators_keywords(void **state)
{
    (void)state;
    expect_tokens("a->b <= >= != && || += -= ; ? :",
                  "1:1 name a\n1:2 -> ->\n1:4 name b\n1:6 <= <=\n1:9 >= >=\n1:12 != !=\n1:15 && &&\n"
                  "1:18 || ||\n1:21 += +=\n1:24 -= -=\n1:27 ';' ;\n1:29 '?' ?\n1:31 ':' :\n");
    expect_tokens("connect via current method x # comment\nsweep",
                  "1:1 connect connect\n1:9 via via\n1:13 current current\n1:21 method method\n"
                  "1:28 name x\n2:1 sweep sweep\n");
    expect_tokens("import \"lib/a b.bn\"", "1:1 import import\n1:8 string \"lib/a b.bn\"\n");
}

static void test_bad_bytes(void **state)
{
    (void)state;
    expect_error("x = 1 \0 2", 9, "unexpected NUL byte", 7);
    expect_error("x = \xff\xfe\xfd", 7, "invalid UTF-8 byte 0xFF", 5);     /* one error for the run */
    expect_error("x = @", 5, "unexpected character '@'", 5);
    expect_error("x = \xC3\xA9", 6, "unexpected character U+00E9", 5);
    expect_error("x = \"abc", 8, "unterminated string", 5);
    expect_error("# \xC3\xA9 fine \xC3", 11, "invalid UTF-8 in comment", 11);
    expect_error("s = \"a\xffz\"", 9, "invalid UTF-8 in string", 7);
    expect_error("x\xEF\xBB\xBF", 4, "unexpected character U+FEFF", 2);
    expect_tokens("\xEF\xBB\xBFx", "1:4 name x\n");                  /* a BOM at the start is skipped */
    /* valid UTF-8 in comments and strings is fine */
    struct lexed *L = lex("# \xC2\xB5 ok\n\"\xC3\xA9\"", 12);
    assert_int_equal(L->d.errors, 0);
    done(L);
}

/* Spans are byte offsets: check begin/end of a token through the srcmgr. */
static void test_nesting_stops_lexing(void **state)
{
    (void)state;
    size_t n = 300;
    char *src = malloc(n + 1);
    memset(src, '(', n);
    src[n] = 0;
    struct lexed *L = lex(src, n);
    assert_int_equal(L->d.errors, 1);
    assert_non_null(strstr(L->d.head->msg, "nesting too deep"));
    assert_int_equal(L->d.head->span.begin, PARSE_MAX_NESTING);    /* the 257th '(' */
    done(L);
    free(src);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_deriv),
        cmocka_unit_test(test_units),
        cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_operators_keywords),
        cmocka_unit_test(test_bad_bytes),
        cmocka_unit_test(test_nesting_stops_lexing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
