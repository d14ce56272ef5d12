/*
 * jit_cache.c - the persistent kernel cache's files, key hash and checksum (format and policy in
 * jit_cache.h).
 *
 * Owns: SipHash-2-4-128, directory lookup and creation, atomic writes, verified reads.
 * Must not: include llvm-c/, print, exit, or report an error: every failure is "no entry" or "not stored".
 */
#include "jit/jit_cache.h"
#include "support/util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- SipHash-2-4-128 ---------------------------------------------------------------------------------- */

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))

static void sip_round(struct jit_sip *s)
{
    s->v0 += s->v1;
    s->v1 = ROTL(s->v1, 13);
    s->v1 ^= s->v0;
    s->v0 = ROTL(s->v0, 32);
    s->v2 += s->v3;
    s->v3 = ROTL(s->v3, 16);
    s->v3 ^= s->v2;
    s->v0 += s->v3;
    s->v3 = ROTL(s->v3, 21);
    s->v3 ^= s->v0;
    s->v2 += s->v1;
    s->v1 = ROTL(s->v1, 17);
    s->v1 ^= s->v2;
    s->v2 = ROTL(s->v2, 32);
}

/* One 8-byte message word: c = 2 compression rounds. */
static void sip_word(struct jit_sip *s, uint64_t m)
{
    s->v3 ^= m;
    sip_round(s);
    sip_round(s);
    s->v0 ^= m;
}

void jit_sip_init(struct jit_sip *s, uint64_t k0, uint64_t k1)
{
    s->v0 = 0x736f6d6570736575ull ^ k0;
    s->v1 = 0x646f72616e646f6dull ^ k1 ^ 0xee;   /* 0xee: the 128-bit output variant */
    s->v2 = 0x6c7967656e657261ull ^ k0;
    s->v3 = 0x7465646279746573ull ^ k1;
    s->tail = 0;
    s->ntail = 0;
    s->len = 0;
}

void jit_sip_update(struct jit_sip *s, const void *data, size_t n)
{
    const unsigned char *p = data;
    s->len += n;
    while (n > 0 && s->ntail > 0) {   /* finish a word started by an earlier call */
        s->tail |= (uint64_t)*p++ << (8 * s->ntail);
        n--;
        if (++s->ntail == 8) {
            sip_word(s, s->tail);
            s->tail = 0;
            s->ntail = 0;
        }
    }
    for (; n >= 8; p += 8, n -= 8) {
        uint64_t m = 0;
        for (int i = 7; i >= 0; i--)
            m = m << 8 | p[i];   /* little-endian, whatever the host */
        sip_word(s, m);
    }
    for (; n > 0; n--)
        s->tail |= (uint64_t)*p++ << (8 * s->ntail++);
}

struct jit_hash jit_sip_final(struct jit_sip *s)
{
    sip_word(s, s->tail | s->len << 56);
    s->v2 ^= 0xee;
    for (int i = 0; i < 4; i++)   /* d = 4 finalisation rounds */
        sip_round(s);
    struct jit_hash h;
    h.lo = s->v0 ^ s->v1 ^ s->v2 ^ s->v3;
    s->v1 ^= 0xdd;
    for (int i = 0; i < 4; i++)
        sip_round(s);
    h.hi = s->v0 ^ s->v1 ^ s->v2 ^ s->v3;
    return h;
}

void jit_sip_field(struct jit_sip *s, const char *text)
{
    size_t n = text ? strlen(text) : 0;
    unsigned char len[8];
    for (int i = 0; i < 8; i++)
        len[i] = (unsigned char)((uint64_t)n >> (8 * i));
    jit_sip_update(s, len, sizeof len);
    jit_sip_update(s, text ? text : "", n);
}

/* The payload checksum: SipHash under a key of its own, so it is independent of the entry's key. */
static uint64_t checksum(const void *data, size_t n)
{
    struct jit_sip s;
    jit_sip_init(&s, 0x62616c6e65742d63ull, 0x6865636b73756d31ull);   /* "balnet-c" "hecksum1" */
    jit_sip_update(&s, data, n);
    return jit_sip_final(&s).lo;
}

/* ---- files ---------------------------------------------------------------------------------------------- */

bool jit_cache_dir(char *buf, size_t n)
{
    const char *env = getenv("BALNET_CACHE_DIR");
    int len;
    if (env)
        len = *env ? snprintf(buf, n, "%s", env) : -1;
    else if ((env = getenv("XDG_CACHE_HOME")) && env[0] == '/')   /* XDG: a relative value is ignored */
        len = snprintf(buf, n, "%s/balnet", env);
    else if ((env = getenv("HOME")) && *env)
        len = snprintf(buf, n, "%s/.cache/balnet", env);
    else
        len = -1;
    if (len <= 0 || (size_t)len >= n)
        return false;
    while (len > 1 && buf[len - 1] == '/')
        buf[--len] = 0;
    return true;
}

bool jit_cache_path(char *buf, size_t n, const char *dir, struct jit_hash key)
{
    int len = snprintf(buf, n, "%s/%016llx%016llx.bnobj", dir, (unsigned long long)key.hi,
                       (unsigned long long)key.lo);
    return len > 0 && (size_t)len < n;
}

static void put64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t get64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

/* read() until n bytes arrived, retrying on EINTR; false at an early end of file. */
static bool read_full(int fd, void *buf, size_t n)
{
    unsigned char *p = buf;
    while (n > 0) {
        ssize_t r = read(fd, p, n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return false;
        p += r;
        n -= (size_t)r;
    }
    return true;
}

void *jit_cache_load(const char *dir, struct jit_hash key, size_t *len)
{
    char path[4096];
    *len = 0;
    if (!jit_cache_path(path, sizeof path, dir, key))
        return NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    unsigned char head[JIT_CACHE_HEADER];
    void *payload = NULL;
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size < JIT_CACHE_HEADER ||
        !read_full(fd, head, sizeof head))
        goto bad;
    uint64_t n = get64(head + 8);
    if (memcmp(head, JIT_CACHE_MAGIC, 8) != 0 || n == 0 || n > JIT_CACHE_MAX_OBJECT ||
        (uint64_t)st.st_size != JIT_CACHE_HEADER + n || get64(head + 24) != key.lo || get64(head + 32) != key.hi)
        goto bad;
    if (!(payload = malloc((size_t)n)) || !read_full(fd, payload, (size_t)n) ||
        checksum(payload, (size_t)n) != get64(head + 16))
        goto bad;
    close(fd);
    *len = (size_t)n;
    return payload;
bad:
    free(payload);
    close(fd);
    return NULL;
}

bool jit_cache_store(const char *dir, struct jit_hash key, const void *data, size_t len)
{
    /* Not util_write_atomic: sweep points compile in parallel threads of one process and may store the
     * same key at once, so each gets its own temporary (the pid alone would not make it unique), and an
     * entry needs no fsync, since a torn one fails its checksum and is recompiled. */
    static atomic_uint serial;
    char path[4096], tmp[4160];
    if (len == 0 || len > JIT_CACHE_MAX_OBJECT || !jit_cache_path(path, sizeof path, dir, key))
        return false;
    int n = snprintf(tmp, sizeof tmp, "%s.tmp.%ld.%u", path, (long)getpid(), atomic_fetch_add(&serial, 1u));
    if (n <= 0 || (size_t)n >= sizeof tmp || !*dir || !util_mkdirs(dir, 0700))
        return false;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        return false;
    unsigned char head[JIT_CACHE_HEADER];
    memcpy(head, JIT_CACHE_MAGIC, 8);
    put64(head + 8, len);
    put64(head + 16, checksum(data, len));
    put64(head + 24, key.lo);
    put64(head + 32, key.hi);
    bool ok = util_write_full(fd, head, sizeof head) && util_write_full(fd, data, len);
    ok = close(fd) == 0 && ok;
    if (ok && rename(tmp, path) == 0)
        return true;
    unlink(tmp);
    return false;
}
