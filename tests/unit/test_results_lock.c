/*
 * test_results_lock.c - the results folder's lock (results/lock.h): a held lock refuses a second taker
 * with the holder named and the folder unchanged; a lock whose holder is gone is taken over with a note:
 * a dead pid on this machine, a pid reused by a later process, another machine's lock whose heartbeat
 * stopped (but not one whose heartbeat is recent), a file that is not a lock, a take-over lock left by a
 * dead taker; the heartbeat refreshes the lock's mtime; a holder that lost its lock is told so and does not
 * remove the new holder's; and processes racing for a free or a stale lock: exactly one wins, every time.
 *
 * Locks of other holders are written by hand from a real lock file of this process with some fields
 * replaced, so they are exactly what lock.c writes except for the holder.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "results/lock.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char dir[64];
static char path[128];         /* dir/.balnet-lock */
static char mine[2048];        /* a lock file of this process, the template of the fakes */

static int setup(void **st)
{
    (void)st;
    snprintf(dir, sizeof dir, "/tmp/bn_lock_XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    snprintf(path, sizeof path, "%s/" LOCK_FILE, dir);
    char err[512], note[512];
    struct lock *l = lock_take(dir, note, sizeof note, err, sizeof err);
    if (!l)
        return -1;
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(mine, 1, sizeof mine - 1, f) : 0;
    mine[n] = 0;
    if (f)
        fclose(f);
    lock_release(l);
    return n ? 0 : -1;
}

static int teardown(void **st)
{
    (void)st;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd);
}

/* The names in dir, sorted, space-separated. */
static void listing(char *buf, size_t n)
{
    char names[16][256];
    int k = 0;
    DIR *d = opendir(dir);
    assert_non_null(d);
    for (struct dirent *e; (e = readdir(d)) && k < 16;)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            snprintf(names[k++], sizeof names[0], "%s", e->d_name);
    closedir(d);
    qsort(names, (size_t)k, sizeof names[0], (int (*)(const void *, const void *))strcmp);
    buf[0] = 0;
    for (int i = 0; i < k; i++)
        snprintf(buf + strlen(buf), n - strlen(buf), "%s%s", i ? " " : "", names[i]);
}

static char *slurp(const char *p)
{
    static char buf[4096];
    FILE *f = fopen(p, "r");
    if (!f)
        return NULL;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = 0;
    fclose(f);
    return buf;
}

/* Writes dest: this process's lock file with the given fields replaced (NULL: kept); mtime `age` s ago. */
static void fake(const char *dest, const char *host, long pid, const char *pstart, double age)
{
    FILE *f = fopen(dest, "w");
    assert_non_null(f);
    char copy[sizeof mine];
    snprintf(copy, sizeof copy, "%s", mine);
    char *save = NULL;
    for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (host && strncmp(line, "host: ", 6) == 0)
            fprintf(f, "host: %s\n", host);
        else if (pid && strncmp(line, "pid: ", 5) == 0)
            fprintf(f, "pid: %ld\n", pid);
        else if (pstart && strncmp(line, "proc_start: ", 12) == 0)
            fprintf(f, "proc_start: %s\n", pstart);
        else if (strncmp(line, "token: ", 7) == 0)
            fprintf(f, "token: 00000000deadbeef\n");
        else
            fprintf(f, "%s\n", line);
    }
    fclose(f);
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    struct timespec t[2] = {now, now};
    t[0].tv_sec -= (time_t)age;
    t[1].tv_sec -= (time_t)age;
    assert_int_equal(utimensat(AT_FDCWD, dest, t, 0), 0);
}

/* A pid that is not running: a child that has exited and been reaped. */
static long dead_pid(void)
{
    pid_t c = fork();
    if (c == 0)
        _exit(0);
    assert_true(c > 0);
    assert_int_equal(waitpid(c, NULL, 0), c);
    return (long)c;
}

static void test_held_lock_refuses(void **st)
{
    (void)st;
    char err[512], note[512], before[512], after[512];
    struct lock *l = lock_take(dir, note, sizeof note, err, sizeof err);
    assert_non_null(l);
    assert_string_equal(note, "");
    listing(before, sizeof before);
    assert_string_equal(before, LOCK_FILE);   /* no temporary name left behind */
    char want[256], host[128];
    gethostname(host, sizeof host);
    snprintf(want, sizeof want, "%s is in use by balnet pid %ld on host %s, started 20", dir, (long)getpid(), host);
    assert_null(lock_take(dir, note, sizeof note, err, sizeof err));
    assert_memory_equal(err, want, strlen(want));
    listing(after, sizeof after);
    assert_string_equal(after, before);
    assert_true(lock_check(l, err, sizeof err));
    lock_release(l);
    listing(after, sizeof after);
    assert_string_equal(after, "");
    l = lock_take(dir, note, sizeof note, err, sizeof err);   /* free again */
    assert_non_null(l);
    lock_release(l);
}

/* fake holder -> take: taken over with `why` in the note, or refused with `why` in the error (why NULL). */
static void expect_takeover(const char *why)
{
    char err[512], note[512];
    struct lock *l = lock_take(dir, note, sizeof note, err, sizeof err);
    assert_non_null(l);
    assert_non_null(strstr(note, "took over the lock of"));
    assert_non_null(strstr(note, why));
    char *text = slurp(path);
    char me[64];
    snprintf(me, sizeof me, "\npid: %ld\n", (long)getpid());
    assert_non_null(strstr(text, me));
    lock_release(l);
}

static void expect_refused(const char *holder)
{
    char err[512], note[512], before[512], after[512];
    listing(before, sizeof before);
    assert_null(lock_take(dir, note, sizeof note, err, sizeof err));
    assert_non_null(strstr(err, "is in use by"));
    assert_non_null(strstr(err, holder));
    listing(after, sizeof after);
    assert_string_equal(after, before);
    unlink(path);
}

static void test_dead_holder_taken_over(void **st)
{
    (void)st;
    long pid = dead_pid();
    fake(path, NULL, pid, NULL, 0);
    char why[64];
    snprintf(why, sizeof why, "process %ld is no longer running", pid);
    expect_takeover(why);
    /* this very pid, but a later process than the one that took the lock: gone too */
    fake(path, NULL, (long)getpid(), "1", 0);
    snprintf(why, sizeof why, "process %ld is no longer running", (long)getpid());
    expect_takeover(why);
    /* ... while the same pid and start time is a live holder */
    fake(path, NULL, (long)getpid(), NULL, 0);
    expect_refused("balnet pid");
}

static void test_other_machine_heartbeat(void **st)
{
    (void)st;
    /* heartbeat_s 10 (the default, in mine): stale after 6 missed beats, 60 s.  A pid that is dead here
     * says nothing about another machine. */
    long pid = dead_pid();
    fake(path, "node-elsewhere", pid, NULL, 2);
    expect_refused("on host node-elsewhere");
    fake(path, "node-elsewhere", pid, NULL, 55);
    expect_refused("on host node-elsewhere");
    fake(path, "node-elsewhere", pid, NULL, 65);
    expect_takeover("its heartbeat stopped 6");   /* 65 s, give or take the test's own delays */
}

static void test_not_a_lock_file(void **st)
{
    (void)st;
    FILE *f = fopen(path, "w");
    fputs("hello\n", f);
    fclose(f);
    expect_refused("an unknown holder");
    f = fopen(path, "w");
    fputs("hello\n", f);
    fclose(f);
    struct timespec t[2] = {{time(NULL) - 3600, 0}, {time(NULL) - 3600, 0}};
    utimensat(AT_FDCWD, path, t, 0);
    expect_takeover("it was last modified 3");   /* 3600 s, give or take the rounding */
}

static void test_dead_taker(void **st)
{
    (void)st;
    long pid = dead_pid();
    char takeover[160];
    snprintf(takeover, sizeof takeover, "%s.takeover", path);
    fake(path, NULL, pid, NULL, 0);
    fake(takeover, NULL, pid, NULL, 0);
    expect_takeover("no longer running");
    assert_int_equal(access(takeover, F_OK), -1);
}

static void test_heartbeat_refreshes(void **st)
{
    (void)st;
    setenv("BALNET_LOCK_HEARTBEAT", "0.05", 1);
    char err[512], note[512];
    struct lock *l = lock_take(dir, note, sizeof note, err, sizeof err);
    unsetenv("BALNET_LOCK_HEARTBEAT");
    assert_non_null(l);
    assert_non_null(strstr(slurp(path), "\nheartbeat_s: 0.05\n"));
    struct timespec t[2] = {{time(NULL) - 3600, 0}, {time(NULL) - 3600, 0}};
    assert_int_equal(utimensat(AT_FDCWD, path, t, 0), 0);
    usleep(400000);   /* 8 periods: the check below fails only if no beat came in 0.4 s */
    struct stat s;
    assert_int_equal(stat(path, &s), 0);
    assert_true(s.st_mtime >= time(NULL) - 60);
    lock_release(l);
}

static void test_lost_lock(void **st)
{
    (void)st;
    char err[512], note[512];
    struct lock *l = lock_take(dir, note, sizeof note, err, sizeof err);
    assert_non_null(l);
    /* another machine took it over (this process was stopped for minutes, say) */
    char other[160];
    snprintf(other, sizeof other, "%s.other", path);
    fake(other, "node-elsewhere", 4242, NULL, 0);
    assert_int_equal(rename(other, path), 0);
    assert_false(lock_check(l, err, sizeof err));
    assert_non_null(strstr(err, "lost the lock"));
    assert_non_null(strstr(err, "balnet pid 4242 on host node-elsewhere"));
    lock_release(l);
    assert_non_null(strstr(slurp(path), "host: node-elsewhere\n"));   /* the new holder's lock stays */
    unlink(path);
    /* removed by hand */
    l = lock_take(dir, note, sizeof note, err, sizeof err);
    assert_non_null(l);
    unlink(path);
    assert_false(lock_check(l, err, sizeof err));
    assert_non_null(strstr(err, "was removed"));
    lock_release(l);
}

/* NPROC processes released together all take the lock: exactly one gets it and the others are refused
 * with the holder named; the winner holds it until every other one has tried. */
enum { NPROC = 6 };
static void race(bool stale)
{
    if (stale)
        fake(path, NULL, dead_pid(), NULL, 0);
    int go[2], result[2], hold[2];
    assert_int_equal(pipe(go), 0);
    assert_int_equal(pipe(result), 0);
    assert_int_equal(pipe(hold), 0);
    pid_t kids[NPROC];
    for (int k = 0; k < NPROC; k++) {
        kids[k] = fork();
        assert_true(kids[k] >= 0);
        if (kids[k] == 0) {
            close(go[1]);
            close(result[0]);
            close(hold[1]);
            char c;
            (void)!read(go[0], &c, 1);   /* returns when the parent closes its end: all start together */
            char err[512], note[512];
            struct lock *l = lock_take(dir, note, sizeof note, err, sizeof err);
            c = l ? (note[0] ? 'T' : 'W') : strstr(err, "is in use by balnet pid") ? 'R' : 'E';
            (void)!write(result[1], &c, 1);
            if (l) {
                (void)!read(hold[0], &c, 1);
                lock_release(l);
            }
            _exit(0);
        }
    }
    close(go[0]);
    close(result[1]);
    close(hold[0]);
    close(go[1]);
    char got[NPROC + 1] = "";
    for (int k = 0; k < NPROC; k++)
        assert_int_equal(read(result[0], &got[k], 1), 1);
    close(hold[1]);
    for (int k = 0; k < NPROC; k++)
        waitpid(kids[k], NULL, 0);
    close(result[0]);
    int winners = 0, refused = 0;
    for (int k = 0; k < NPROC; k++) {
        winners += got[k] == 'W' || got[k] == 'T';
        refused += got[k] == 'R';
    }
    if (winners != 1 || refused != NPROC - 1)
        fail_msg("results of %d racers: %s (W/T took the lock, R refused, E other error)", NPROC, got);
    assert_int_equal(access(path, F_OK), -1);   /* released */
}

static void test_race(void **st)
{
    (void)st;
    for (int round = 0; round < 24; round++)
        race(round % 3 != 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_held_lock_refuses, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dead_holder_taken_over, setup, teardown),
        cmocka_unit_test_setup_teardown(test_other_machine_heartbeat, setup, teardown),
        cmocka_unit_test_setup_teardown(test_not_a_lock_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dead_taker, setup, teardown),
        cmocka_unit_test_setup_teardown(test_heartbeat_refreshes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lost_lock, setup, teardown),
        cmocka_unit_test_setup_teardown(test_race, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
