/*
 * jit_cache.h - the persistent cache of compiled kernels: one object file per distinct generated module (a
 * part of a model: one population's kernel, its accumulating kernel, a plastic projection's events), kept
 * across runs so a repeated run skips the pass pipeline and machine code generation (COBA: compile ~45 ms
 * -> ~5 ms, most of a short run's start).
 *
 * Owns: the cache directory's location, its file format, the 128-bit key hash (SipHash-2-4-128) and the
 * payload checksum.  jit_key.h decides what goes into a key, jit.c what to do with a hit or a miss.
 * Must not: include llvm-c/ (plain files and bytes), print, exit, or ever fail loudly: any problem with
 * the cache (no directory, unwritable, full disk, a truncated, corrupt or foreign file) is reported as
 * "not found" / "not stored" and the caller compiles instead.
 *
 * Location: $BALNET_CACHE_DIR if set (the empty string disables the cache), else $XDG_CACHE_HOME/balnet,
 * else $HOME/.cache/balnet; created on first store (mkdir -p, mode 0700).
 * Entries: DIR/<32 hex digits of the key>.bnobj, written to DIR/<key>.tmp.<pid>.<n> and renamed, so a
 * reader sees either no file or a whole one (rename is atomic on POSIX file systems).  The file is
 *     "BNOBJ1\0\0"  u64 payload length  u64 checksum of the payload  u64 key.lo  u64 key.hi  payload
 * (integers little-endian; 40-byte header).  A reader checks all five before it hands out a byte.
 * Size: objects over JIT_CACHE_MAX_OBJECT are not stored.  There is no eviction: one entry is a few KB per
 * distinct part and CPU; delete the directory to reclaim it.
 */
#ifndef BN_JIT_CACHE_H
#define BN_JIT_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JIT_CACHE_MAGIC "BNOBJ1\0\0"   /* 8 bytes */
#define JIT_CACHE_HEADER 40
#define JIT_CACHE_MAX_OBJECT ((size_t)16 << 20)

struct jit_hash {
    uint64_t lo, hi;
};

/* Streaming SipHash-2-4 with 128-bit output (Aumasson and Bernstein 2012, "SipHash: a fast short-input
 * PRF"; the 128-bit variant of the reference implementation).  Used as a keyed hash with fixed keys: it is
 * not a secret, only a hash whose 128 bits are all well mixed, so that two different inputs collide with
 * probability ~2^-128. */
struct jit_sip {
    uint64_t v0, v1, v2, v3;
    uint64_t tail;       /* pending bytes, little-endian */
    unsigned ntail;
    uint64_t len;        /* bytes so far */
};
void jit_sip_init(struct jit_sip *s, uint64_t k0, uint64_t k1);
void jit_sip_update(struct jit_sip *s, const void *data, size_t n);
struct jit_hash jit_sip_final(struct jit_sip *s);
/* One field of a key: its length (8 bytes) and then its bytes, so ("ab","c") and ("a","bc") differ. */
void jit_sip_field(struct jit_sip *s, const char *text);

/* The cache directory into buf (no trailing slash).  False when the cache is disabled (BALNET_CACHE_DIR=""),
 * no location is known (no HOME), or the path does not fit. */
bool jit_cache_dir(char *buf, size_t n);

/* The entry for `key` in `dir`, verified (magic, length, key, checksum): a malloc'd copy of the payload
 * and its length in *len, or NULL when there is none or it is damaged in any way. */
void *jit_cache_load(const char *dir, struct jit_hash key, size_t *len);

/* Stores `data` as the entry for `key` (creating dir if needed, replacing a damaged entry).  False when
 * nothing was stored (too big, or any I/O failure); the cache is then simply left as it was. */
bool jit_cache_store(const char *dir, struct jit_hash key, const void *data, size_t len);

/* DIR/<key>.bnobj into buf; false if it does not fit.  For tests and messages. */
bool jit_cache_path(char *buf, size_t n, const char *dir, struct jit_hash key);

#endif
