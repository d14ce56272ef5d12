/*
 * lock.c - the results folder's lock file (lock.h): who holds it, link(2)-based creation, the take-over
 * of a lock whose holder is gone, and the holder's heartbeat thread.
 *
 * Owns: the lock file and its unique temporary name, one thread per held lock.  Must not: print, exit,
 * or sleep longer than a few milliseconds (only while another process is in the middle of a take-over).
 */
#include "runtime/errf.h"
#include "results/lock.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Who holds (or wants) a lock: the fields of the lock file. */
struct lock_id {
    char host[256];
    char boot[64];          /* /proc/sys/kernel/random/boot_id: changes at every boot */
    char pidns[64];         /* /proc/self/ns/pid link text: pids are only comparable inside one */
    char started[40];       /* UTC, for people */
    char token[24];         /* 16 hex digits: this lock's identity */
    long pid;
    unsigned long long pstart;   /* start time of pid in clock ticks after boot (/proc/<pid>/stat) */
    double period;          /* heartbeat, s */
};

struct lock {
    char *path;             /* DIR/.balnet-lock */
    char token[24];
    int fd;                 /* the lock file, for the heartbeat */
    double period;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool stop;
};

/* ---- who am I, who holds it -------------------------------------------------------------------------- */

/* The first line of a small file, or "" when it cannot be read. */
static void first_line(const char *path, char *buf, size_t n)
{
    buf[0] = 0;
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    if (!fgets(buf, (int)n, f))
        buf[0] = 0;
    buf[strcspn(buf, "\n")] = 0;
    fclose(f);
}

/* Field 22 of /proc/<pid>/stat (starttime); 0 when unknown.  The fields after the command name, which may
 * itself hold spaces and parentheses, start after the last ')'; starttime is the 20th of them. */
static unsigned long long proc_start(long pid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    char *p = strrchr(buf, ')');
    if (!p)
        return 0;
    p++;
    for (int field = 3; field < 22 && p; field++)
        p = strchr(p + 1, ' ');
    return p ? strtoull(p + 1, NULL, 10) : 0;
}

static double heartbeat_period(void)
{
    const char *env = getenv("BALNET_LOCK_HEARTBEAT");
    double p = env && *env ? strtod(env, NULL) : LOCK_HEARTBEAT_S;
    return p >= 0.01 && p <= 3600 ? p : LOCK_HEARTBEAT_S;
}

static void self_id(struct lock_id *me)
{
    memset(me, 0, sizeof *me);
    if (gethostname(me->host, sizeof me->host - 1) != 0 || !me->host[0])
        snprintf(me->host, sizeof me->host, "unknown");
    first_line("/proc/sys/kernel/random/boot_id", me->boot, sizeof me->boot);
    ssize_t k = readlink("/proc/self/ns/pid", me->pidns, sizeof me->pidns - 1);
    me->pidns[k > 0 ? k : 0] = 0;
    me->pid = (long)getpid();
    me->pstart = proc_start(me->pid);
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(me->started, sizeof me->started, "%Y-%m-%d %H:%M:%S UTC", &tm);
    uint64_t r;
    if (getrandom(&r, sizeof r, 0) != (ssize_t)sizeof r) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        r = ((uint64_t)ts.tv_nsec << 20) ^ (uint64_t)ts.tv_sec ^ ((uint64_t)me->pid << 40);
    }
    snprintf(me->token, sizeof me->token, "%016" PRIx64, r);
    me->period = heartbeat_period();
}

static int format_id(const struct lock_id *me, char *buf, size_t n)
{
    return snprintf(buf, n,
                    "balnet results-folder lock: the run below is writing this folder (README.md, Results folder)\n"
                    "host: %s\npid: %ld\nstarted: %s\nboot_id: %s\npid_ns: %s\nproc_start: %llu\n"
                    "heartbeat_s: %g\ntoken: %s\n",
                    me->host, me->pid, me->started, me->boot, me->pidns, me->pstart, me->period, me->token);
}

/* The value of "key: value" in text into buf; false when absent. */
static bool field(const char *text, const char *key, char *buf, size_t n)
{
    size_t kl = strlen(key);
    for (const char *line = text; line && *line; line = strchr(line, '\n'), line = line ? line + 1 : NULL)
        if (strncmp(line, key, kl) == 0 && line[kl] == ':' && line[kl + 1] == ' ') {
            const char *v = line + kl + 2;
            size_t len = strcspn(v, "\n");
            snprintf(buf, n, "%.*s", (int)(len < n ? len : n - 1), v);
            return true;
        }
    return false;
}

/* Parses a lock file; false when it is not one (the holder is then unknown). */
static bool parse_id(const char *text, struct lock_id *h)
{
    memset(h, 0, sizeof *h);
    char num[64];
    if (!field(text, "host", h->host, sizeof h->host) || !field(text, "token", h->token, sizeof h->token) ||
        !field(text, "pid", num, sizeof num))
        return false;
    h->pid = strtol(num, NULL, 10);
    field(text, "started", h->started, sizeof h->started);
    field(text, "boot_id", h->boot, sizeof h->boot);
    field(text, "pid_ns", h->pidns, sizeof h->pidns);
    if (field(text, "proc_start", num, sizeof num))
        h->pstart = strtoull(num, NULL, 10);
    h->period = field(text, "heartbeat_s", num, sizeof num) ? strtod(num, NULL) : 0;
    if (!(h->period > 0))
        h->period = LOCK_HEARTBEAT_S;
    return h->pid > 0;
}

static double mtime_of(const struct stat *st)
{
    return (double)st->st_mtim.tv_sec + 1e-9 * (double)st->st_mtim.tv_nsec;
}

/* The lock file at path: its holder (*parsed false when the text is not a lock file) and its mtime.
 * open() then fstat(): on NFS the open revalidates the cached attributes (close-to-open consistency), so
 * the mtime is the server's current one.  False with errno set when it cannot be read. */
static bool read_holder(const char *path, struct lock_id *h, bool *parsed, double *mtime)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    char text[4096];
    struct stat st;
    ssize_t n = fstat(fd, &st) == 0 ? read(fd, text, sizeof text - 1) : -1;
    int e = errno;
    close(fd);
    if (n < 0) {
        errno = e;
        return false;
    }
    text[n] = 0;
    *parsed = parse_id(text, h);
    *mtime = mtime_of(&st);
    return true;
}

/* "balnet pid P on host H, started T" */
static void describe(const struct lock_id *h, bool parsed, char *buf, size_t n)
{
    if (parsed)
        snprintf(buf, n, "balnet pid %ld on host %s, started %s", h->pid, h->host,
                 h->started[0] ? h->started : "at an unknown time");
    else
        snprintf(buf, n, "an unknown holder (the lock file is not balnet's)");
}

/* The liveness rule of lock.h.  age: seconds since the holder's last heartbeat, by the file server's
 * clock.  True when the holder may still be running; why says why it is gone otherwise. */
static bool holder_alive(const struct lock_id *me, const struct lock_id *h, bool parsed, double age, char *why,
                         size_t n)
{
    bool same_machine = parsed && strcmp(h->host, me->host) == 0 && strcmp(h->boot, me->boot) == 0 &&
                        strcmp(h->pidns, me->pidns) == 0;
    if (same_machine) {
        bool running = kill((pid_t)h->pid, 0) == 0 || errno == EPERM;
        unsigned long long now_start = running && h->pstart ? proc_start(h->pid) : 0;
        if (running && (!now_start || now_start == h->pstart))
            return true;
        snprintf(why, n, "process %ld is no longer running on this machine", h->pid);
        return false;
    }
    double period = parsed ? h->period : LOCK_HEARTBEAT_S;
    if (age <= LOCK_MISSED_BEATS * period)
        return true;
    if (parsed)
        snprintf(why, n, "its heartbeat stopped %.0f s ago (it beats every %g s)", age, period);
    else
        snprintf(why, n, "it was last modified %.0f s ago", age);
    return false;
}

/* ---- creating a file under an exclusive name ----------------------------------------------------------- */

/* link(fd's file at tmp, target), which fails when target exists.  After a failure the link count of the
 * unique file tells whether the link was made anyway (an NFS reply lost and the request retried; open(2),
 * O_EXCL). */
static bool link_excl(int fd, const char *tmp, const char *target)
{
    if (link(tmp, target) == 0)
        return true;
    int e = errno;
    struct stat st;
    if (fstat(fd, &st) == 0 && st.st_nlink == 2)
        return true;
    errno = e;
    return false;
}

/* Now by the clock that sets the lock's mtime: touch our own file and read its mtime back. */
static double fs_now(int fd)
{
    struct stat st;
    if (futimens(fd, NULL) != 0 || fstat(fd, &st) != 0)
        return 0;
    return mtime_of(&st);
}

static void sleep_ms(int ms)
{
    struct timespec ts = {0, (long)ms * 1000000L};
    nanosleep(&ts, NULL);
}

/* ---- heartbeat ------------------------------------------------------------------------------------------ */

static void *heartbeat(void *arg)
{
    struct lock *l = arg;
    pthread_mutex_lock(&l->mu);
    while (!l->stop) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        double t = (double)ts.tv_nsec * 1e-9 + l->period;
        ts.tv_sec += (time_t)t;
        ts.tv_nsec = (long)((t - (double)(time_t)t) * 1e9);
        if (pthread_cond_timedwait(&l->cv, &l->mu, &ts) == ETIMEDOUT && !l->stop)
            futimens(l->fd, NULL);   /* a failure only ages the lock; the next beat tries again */
    }
    pthread_mutex_unlock(&l->mu);
    return NULL;
}

static bool start_heartbeat(struct lock *l)
{
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    bool ok = pthread_mutex_init(&l->mu, NULL) == 0 && pthread_cond_init(&l->cv, &ca) == 0 &&
              pthread_create(&l->thread, NULL, heartbeat, l) == 0;
    pthread_condattr_destroy(&ca);
    return ok;
}

/* ---- take, check, release ----------------------------------------------------------------------------- */

struct lock *lock_take(const char *dir, char *note, size_t notelen, char *err, size_t errlen)
{
    if (note && notelen)
        note[0] = 0;
    struct lock_id me;
    self_id(&me);
    char text[2048];
    int len = format_id(&me, text, sizeof text);
    size_t dl = strlen(dir);
    char *path = malloc(dl + 64), *tmp = malloc(dl + 64), *takeover = malloc(dl + 64);
    struct lock *l = calloc(1, sizeof *l);
    if (!path || !tmp || !takeover || !l) {
        free(path);
        free(tmp);
        free(takeover);
        free(l);
        rt_errf(err, errlen, "out of memory");
        return NULL;
    }
    snprintf(path, dl + 64, "%s/" LOCK_FILE, dir);
    snprintf(takeover, dl + 64, "%s/" LOCK_FILE ".takeover", dir);
    snprintf(tmp, dl + 64, "%s/" LOCK_FILE ".%s", dir, me.token);

    /* The whole file under its unique name first, so that the lock appears complete or not at all. */
    int fd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644), lfd = -1;
    bool ok = false;
    if (fd < 0) {
        rt_errf(err, errlen, "cannot lock %s: %s", dir, strerror(errno));
        goto out;
    }
    if (write(fd, text, (size_t)len) != len || fsync(fd) != 0) {
        rt_errf(err, errlen, "cannot lock %s: cannot write %s: %s", dir, tmp, strerror(errno));
        goto out;
    }
    /* Bounded: each round either takes the lock, refuses it, removes a stale one, or waits 10 ms for
     * another process's take-over (a few system calls) to end. */
    for (int round = 0; round < 300; round++) {
        if (link_excl(fd, tmp, path)) {
            ok = true;
            break;
        }
        if (errno != EEXIST) {
            rt_errf(err, errlen, "cannot lock %s: cannot create %s: %s", dir, path, strerror(errno));
            goto out;
        }
        struct lock_id h;
        bool parsed;
        double mt;
        if (!read_holder(path, &h, &parsed, &mt)) {
            if (errno == ENOENT)
                continue;   /* released in between */
            rt_errf(err, errlen, "cannot lock %s: cannot read %s: %s", dir, path, strerror(errno));
            goto out;
        }
        double age = fs_now(fd) - mt;
        char who[512], why[256];
        describe(&h, parsed, who, sizeof who);
        if (holder_alive(&me, &h, parsed, age < 0 ? 0 : age, why, sizeof why)) {
            rt_errf(err, errlen, "%s is in use by %s (lock file %s, last heartbeat %.0f s ago); wait for that "
                    "run to end, or use another folder", dir, who, path, age < 0 ? 0 : age);
            goto out;
        }
        /* The holder is gone.  Only the holder of the take-over lock may remove its lock, and only if
         * it is still the one judged stale, so two runs that found it together do not remove each
         * other's fresh lock. */
        if (!link_excl(fd, tmp, takeover)) {
            if (errno != EEXIST) {
                rt_errf(err, errlen, "cannot lock %s: cannot create %s: %s", dir, takeover, strerror(errno));
                goto out;
            }
            struct lock_id t;
            bool tparsed;
            char twhy[256];
            if (read_holder(takeover, &t, &tparsed, &mt)) {
                age = fs_now(fd) - mt;
                if (!holder_alive(&me, &t, tparsed, age < 0 ? 0 : age, twhy, sizeof twhy))
                    unlink(takeover);   /* its taker died within those few calls */
                else
                    sleep_ms(10);
            }
            continue;
        }
        struct lock_id again;
        bool aparsed;
        if (read_holder(path, &again, &aparsed, &mt) && aparsed == parsed && strcmp(again.token, h.token) == 0) {
            if (unlink(path) != 0 && errno != ENOENT) {
                rt_errf(err, errlen, "cannot remove the lock %s of %s (%s): %s", path, who, why, strerror(errno));
                unlink(takeover);
                goto out;
            }
            if (note && notelen)
                snprintf(note, notelen, "took over the lock of %s from %s: %s", dir, who, why);
        }
        unlink(takeover);
    }
    if (!ok)
        rt_errf(err, errlen, "cannot lock %s: other processes keep taking over %s", dir, path);
    /* The heartbeat's descriptor is opened under the lock's own name: on NFS, removing a name that this
     * client still has open renames it to a .nfsXXXX file instead, so the unique name is closed before it
     * is removed, and the lock file is closed before lock_release removes it. */
    struct stat a, b;
    if (ok && ((lfd = open(path, O_RDWR | O_CLOEXEC)) < 0 || fstat(lfd, &a) != 0 || fstat(fd, &b) != 0 ||
               a.st_ino != b.st_ino || a.st_dev != b.st_dev)) {
        ok = rt_errf(err, errlen, "cannot lock %s: %s changed as it was taken", dir, path);
        if (lfd >= 0)
            close(lfd);
    }
out:
    if (fd >= 0) {
        close(fd);
        unlink(tmp);
    }
    free(tmp);
    free(takeover);
    l->path = path;
    l->fd = lfd;
    l->period = me.period;
    memcpy(l->token, me.token, sizeof l->token);
    if (ok && !start_heartbeat(l)) {
        close(lfd);
        unlink(path);
        ok = rt_errf(err, errlen, "cannot lock %s: cannot start the heartbeat thread", dir);
    }
    if (!ok) {
        free(path);
        free(l);
        return NULL;
    }
    return l;
}

bool lock_check(const struct lock *l, char *err, size_t errlen)
{
    struct lock_id h;
    bool parsed;
    double mt;
    if (!read_holder(l->path, &h, &parsed, &mt)) {
        if (errno == ENOENT)
            return rt_errf(err, errlen, "the lock file %s was removed while this run held it; stopping so "
                           "that another run cannot write next to this one", l->path);
        return true;   /* unreadable for another reason (e.g. a server hiccup): nothing says it is lost */
    }
    if (parsed && strcmp(h.token, l->token) == 0)
        return true;
    char who[512];
    describe(&h, parsed, who, sizeof who);
    return rt_errf(err, errlen, "lost the lock %s to %s (this run stopped its heartbeat for too long)", l->path,
                   who);
}

void lock_release(struct lock *l)
{
    if (!l)
        return;
    pthread_mutex_lock(&l->mu);
    l->stop = true;
    pthread_cond_signal(&l->cv);
    pthread_mutex_unlock(&l->mu);
    pthread_join(l->thread, NULL);
    pthread_mutex_destroy(&l->mu);
    pthread_cond_destroy(&l->cv);
    close(l->fd);   /* before the unlink (NFS, see lock_take) */
    struct lock_id h;
    bool parsed;
    double mt;
    if (read_holder(l->path, &h, &parsed, &mt) && parsed && strcmp(h.token, l->token) == 0)
        unlink(l->path);
    free(l->path);
    free(l);
}
