/*
 * arena.c - bump allocator owning everything of one compilation (STYLE.md §4).
 *
 * Chunks grow geometrically; a request larger than a chunk gets a chunk of its own.  Memory is
 * released only by arena_free(), so phases can hand pointers to each other without ownership rules.
 */
#include "support.h"

#include <stdlib.h>
#include <string.h>

struct arena_chunk {
    struct arena_chunk *next;
    size_t used, cap;
    _Alignas(16) unsigned char data[];
};

enum { ARENA_MIN_CHUNK = 64 * 1024 };

void arena_init(struct arena *a) { memset(a, 0, sizeof *a); }

void arena_free(struct arena *a)
{
    struct arena_chunk *c = a->head;
    while (c) {
        struct arena_chunk *next = c->next;
        free(c);
        c = next;
    }
    a->head = NULL;
    a->bytes = 0;
}

static void oom(struct arena *a)
{
    if (a->on_oom)
        longjmp(*a->on_oom, 1);
    abort();
}

void *arena_alloc(struct arena *a, size_t size)
{
    size = (size + 15) & ~(size_t)15;
    struct arena_chunk *c = a->head;
    if (!c || c->cap - c->used < size) {
        size_t cap = c ? c->cap * 2 : ARENA_MIN_CHUNK;
        if (cap > 64u * 1024 * 1024)
            cap = 64u * 1024 * 1024;
        if (cap < size)
            cap = size;
        struct arena_chunk *n = malloc(sizeof *n + cap);
        if (!n)
            oom(a);
        n->used = 0;
        n->cap = cap;
        n->next = c;
        a->head = c = n;
    }
    void *p = c->data + c->used;
    c->used += size;
    a->bytes += size;
    memset(p, 0, size);
    return p;
}

char *arena_strndup(struct arena *a, const char *s, size_t n)
{
    char *p = arena_alloc(a, n + 1);
    memcpy(p, s, n);
    p[n] = 0;
    return p;
}

char *arena_strdup(struct arena *a, const char *s) { return arena_strndup(a, s, strlen(s)); }

char *arena_printf(struct arena *a, const char *fmt, ...)
{
    va_list ap, ap2;
    va_start(ap, fmt);
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *p = arena_alloc(a, (size_t)(n < 0 ? 0 : n) + 1);
    if (n > 0)
        vsnprintf(p, (size_t)n + 1, fmt, ap2);
    va_end(ap2);
    return p;
}

void ptrvec_push(struct arena *a, struct ptrvec *v, void *item)
{
    if (v->len == v->cap) {
        int cap = v->cap ? v->cap * 2 : 8;
        void **items = arena_alloc(a, sizeof(void *) * (size_t)cap);
        if (v->len)
            memcpy(items, v->items, sizeof(void *) * (size_t)v->len);
        v->items = items;
        v->cap = cap;
    }
    v->items[v->len++] = item;
}

const char *arena_path_join(struct arena *a, const char *dir, const char *name)
{
    if (name[0] == '/' || strcmp(dir, ".") == 0)
        return arena_strdup(a, name);
    return arena_printf(a, "%s/%s", dir, name);
}
