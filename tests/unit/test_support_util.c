/*
 * test_support_util.c - the shared helpers of compiler/support: CSV and JSON escaping, file-name-safe
 * names, mkdir -p, atomic replace (no temporary left, old contents kept when a write is abandoned), the
 * whole-file reader with its size limit, and diag_suggest's choice of "did you mean" (the first closest
 * within the distance, nothing beyond it).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "support/support.h"
#include "support/util.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void test_csv_and_json(void **state)
{
    (void)state;
    struct strbuf b = {0};
    sb_csv(&b, "plain");
    sb_puts(&b, "|");
    sb_csv(&b, "a,b");
    sb_puts(&b, "|");
    sb_csv(&b, "say \"hi\"");
    sb_puts(&b, "|");
    sb_csv(&b, NULL);
    sb_puts(&b, "|");
    sb_json_str(&b, "q\"b\\c\n\x01");
    assert_false(b.oom);
    assert_string_equal(b.p, "plain|\"a,b\"|\"say \"\"hi\"\"\"||\"q\\\"b\\\\c\\u000a\\u0001\"");
    sb_free(&b);
    /* growth past the first block and past sb_printf's stack buffer */
    for (int i = 0; i < 300; i++)
        sb_printf(&b, "%d,", i);
    sb_printf(&b, "%0600d", 7);
    assert_false(b.oom);
    assert_int_equal(b.n, strlen(b.p));
    assert_memory_equal(b.p, "0,1,2,", 6);
    assert_int_equal(b.p[b.n - 1], '7');
    sb_free(&b);
}

static void test_safe_name(void **state)
{
    (void)state;
    char out[8];
    util_safe_name(out, sizeof out, "V*g_syn");
    assert_string_equal(out, "V_g_syn");
    util_safe_name(out, sizeof out, "a/b.c-d e");   /* truncated to 7 characters */
    assert_string_equal(out, "a_b.c-d");
    util_safe_name(out, sizeof out, NULL);
    assert_string_equal(out, "");
}

static int count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    int n = 0;
    for (struct dirent *e; d && (e = readdir(d));)
        n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
    if (d)
        closedir(d);
    return n;
}

static void test_files(void **state)
{
    (void)state;
    char base[] = "/tmp/bn-util-XXXXXX";
    assert_non_null(mkdtemp(base));
    char *deep = util_path_join(base, "a/b/c");
    assert_true(util_mkdirs(deep, 0777));
    assert_true(util_mkdirs(deep, 0777));   /* existing: fine */
    char *file = util_path_join(deep, "x.txt");
    assert_true(util_write_atomic(file, "one\n", 4));
    assert_true(util_write_atomic(file, "two!\n", 5));
    size_t len = 0;
    char *text = util_read_file(file, 0, &len);
    assert_int_equal(len, 5);
    assert_string_equal(text, "two!\n");
    free(text);
    assert_int_equal(count_entries(deep), 1);   /* no temporary left */

    /* an abandoned replace keeps the old contents and removes its temporary */
    struct util_atomic w;
    assert_true(util_atomic_open(&w, file));
    fputs("torn", w.f);
    assert_false(util_atomic_commit(&w, false));
    text = util_read_file(file, 0, &len);
    assert_string_equal(text, "two!\n");
    free(text);
    assert_int_equal(count_entries(deep), 1);

    /* a file is not a directory; a file over the limit is refused */
    assert_false(util_mkdirs(file, 0777));
    assert_int_equal(errno, ENOTDIR);
    char *big = util_path_join(base, "big");
    char *data = calloc(1, 200000);
    assert_true(util_write_atomic(big, data, 200000));
    assert_null(util_read_file(big, 100000, &len));
    assert_int_equal(errno, EFBIG);
    text = util_read_file(big, 0, &len);
    assert_int_equal(len, 200000);
    free(text);
    free(data);

    unlink(big);
    unlink(file);
    for (int i = 0; i < 3; i++) {
        rmdir(deep);
        *strrchr(deep, '/') = 0;
    }
    rmdir(base);
    free(big);
    free(file);
    free(deep);
}

static void test_suggest(void **state)
{
    (void)state;
    struct arena a;
    arena_init(&a);
    struct diags d;
    diags_init(&d, &a);
    struct diag_suggest s = {.name = "durtion"};
    const char *cands[] = {"dt", "duration", "burn_in", "seed"};
    for (int i = 0; i < 4; i++)
        diag_suggest(&s, cands[i]);
    assert_string_equal(diag_suggestion(&d, &s, "none"), "; did you mean 'duration'?");
    /* ties: the first candidate offered wins */
    struct diag_suggest t = {.name = "ab"};
    diag_suggest(&t, "xb");
    diag_suggest(&t, "ax");
    assert_string_equal(t.best, "xb");
    /* three edits are too many; a one-letter name gets at most one */
    struct diag_suggest u = {.name = "abcdef"};
    diag_suggest(&u, "abcxyz");
    assert_string_equal(diag_suggestion(&d, &u, "none"), "none");
    struct diag_suggest v = {.name = "x", .max = 1};
    diag_suggest(&v, "yz");
    assert_null(v.best);
    diag_suggest(&v, "y");
    assert_string_equal(v.best, "y");
    arena_free(&a);
}

static void test_clock(void **state)
{
    (void)state;
    int64_t t0 = util_now_ns();
    usleep(2000);
    int64_t dt = util_now_ns() - t0;
    assert_true(dt >= 2000000);   /* usleep sleeps at least the time asked */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_csv_and_json), cmocka_unit_test(test_safe_name), cmocka_unit_test(test_files),
        cmocka_unit_test(test_suggest),      cmocka_unit_test(test_clock),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
