/*
 * util.c - the I/O and string helpers of util.h.
 */
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---- files ------------------------------------------------------------------------------------ */

char *util_path_join(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s/%s", dir, name);
    return p;
}

bool util_mkdirs(const char *dir, unsigned mode)
{
    char *p = strdup(dir);
    if (!p)
        return false;
    for (char *s = p + 1;; s++) {
        if (*s != '/' && *s != 0)
            continue;
        char c = *s;
        *s = 0;
        if (mkdir(p, (mode_t)mode) != 0 && errno != EEXIST) {
            free(p);
            return false;
        }
        *s = c;
        if (!c)
            break;
    }
    free(p);
    struct stat st;
    if (stat(dir, &st) != 0)
        return false;
    if (!S_ISDIR(st.st_mode)) {
        errno = ENOTDIR;
        return false;
    }
    return true;
}

char *util_read_file(const char *path, size_t max, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap + 1);
    int e = buf ? 0 : ENOMEM;
    while (!e) {
        n += fread(buf + n, 1, cap - n, f);
        if (n < cap)
            break;
        if (max && cap >= max) {
            e = EFBIG;
            break;
        }
        char *nb = realloc(buf, 2 * cap + 1);
        if (!nb) {
            e = ENOMEM;
            break;
        }
        buf = nb;
        cap *= 2;
    }
    if (!e && ferror(f))
        e = EIO;
    fclose(f);
    if (e) {
        free(buf);
        errno = e;
        return NULL;
    }
    buf[n] = 0;
    *len = n;
    return buf;
}

bool util_write_full(int fd, const void *buf, size_t n)
{
    const char *p = buf;
    while (n) {
        ssize_t k = write(fd, p, n);
        if (k < 0) {
            if (errno == EINTR)
                continue;
            return false;
        }
        p += k;
        n -= (size_t)k;
    }
    return true;
}

bool util_atomic_open(struct util_atomic *w, const char *path)
{
    *w = (struct util_atomic){0};
    const char *slash = strrchr(path, '/');
    size_t dlen = slash ? (size_t)(slash - path) + 1 : 0;   /* the directory, with its '/' */
    size_t n = strlen(path) + 6;
    w->tmp = malloc(n);
    w->path = strdup(path);
    if (!w->tmp || !w->path) {
        free(w->tmp);
        free(w->path);
        errno = ENOMEM;
        return false;
    }
    snprintf(w->tmp, n, "%.*s.%s.tmp", (int)dlen, path, path + dlen);
    w->f = fopen(w->tmp, "w");
    if (!w->f) {
        int e = errno;
        free(w->tmp);
        free(w->path);
        errno = e;
        return false;
    }
    return true;
}

/* fsync of the directory holding path, so that the rename itself survives a power loss. */
static void sync_dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    char *dir = slash ? strndup(path, slash == path ? 1 : (size_t)(slash - path)) : strdup(".");
    if (!dir)
        return;
    int dfd = open(dir, O_RDONLY | O_DIRECTORY);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    free(dir);
}

bool util_atomic_commit(struct util_atomic *w, bool keep)
{
    bool ok = keep && !ferror(w->f) && fflush(w->f) == 0 && fsync(fileno(w->f)) == 0;
    int e = errno;
    ok = fclose(w->f) == 0 && ok;
    if (ok && rename(w->tmp, w->path) == 0) {
        sync_dir_of(w->path);
    } else {
        e = ok ? errno : e;
        ok = false;
        unlink(w->tmp);
    }
    free(w->tmp);
    free(w->path);
    *w = (struct util_atomic){0};
    if (!ok)
        errno = e;
    return ok;
}

bool util_write_atomic(const char *path, const void *data, size_t n)
{
    struct util_atomic w;
    if (!util_atomic_open(&w, path))
        return false;
    bool ok = fwrite(data, 1, n, w.f) == n;
    return util_atomic_commit(&w, ok) && ok;
}

/* ---- a growable string ------------------------------------------------------------------------ */

static void sb_grow(struct strbuf *b, size_t add)
{
    if (b->oom || b->n + add + 1 <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 1024;
    while (cap < b->n + add + 1)
        cap *= 2;
    char *np = realloc(b->p, cap);
    if (!np) {
        b->oom = true;
        return;
    }
    b->p = np;
    b->cap = cap;
}

void sb_add(struct strbuf *b, const char *s, size_t n)
{
    sb_grow(b, n);
    if (b->oom)
        return;
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = 0;
}

void sb_puts(struct strbuf *b, const char *s)
{
    sb_add(b, s, strlen(s));
}

void sb_printf(struct strbuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char tmp[512];
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n < sizeof tmp) {
        sb_add(b, tmp, (size_t)n);
        return;
    }
    sb_grow(b, (size_t)n);
    if (b->oom)
        return;
    va_start(ap, fmt);
    vsnprintf(b->p + b->n, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->n += (size_t)n;
}

void sb_csv(struct strbuf *b, const char *s)
{
    if (!s)
        s = "";
    if (!strpbrk(s, ",\"\r\n")) {
        sb_puts(b, s);
        return;
    }
    sb_puts(b, "\"");
    for (; *s; s++) {
        if (*s == '"')
            sb_puts(b, "\"");
        sb_add(b, s, 1);
    }
    sb_puts(b, "\"");
}

void sb_json_str(struct strbuf *b, const char *s)
{
    sb_puts(b, "\"");
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            sb_printf(b, "\\%c", c);
        else if (c < 0x20)
            sb_printf(b, "\\u%04x", c);
        else
            sb_add(b, s, 1);
    }
    sb_puts(b, "\"");
}

void sb_free(struct strbuf *b)
{
    free(b->p);
    *b = (struct strbuf){0};
}

/* ---- small helpers ---------------------------------------------------------------------------- */

void util_safe_name(char *out, size_t cap, const char *s)
{
    size_t k = 0;
    for (; s && *s && k + 1 < cap; s++) {
        char c = *s;
        bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                    c == '-' || c == '.';
        out[k++] = keep ? c : '_';
    }
    out[k] = 0;
}

int util_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int util_cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

int64_t util_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t util_thread_cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}
