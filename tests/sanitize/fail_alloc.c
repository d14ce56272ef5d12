/*
 * fail_alloc.c - allocation-failure injection for tests/sanitize/run_asan.sh (SQLite's test builds do the
 * same).  Linked into balnet only when configured with -DBN_FAULT_INJECTION=ON, which also wraps the
 * allocation calls of balnet's own objects (-Wl,--wrap=malloc,...; CMakeLists.txt).
 *
 * BALNET_FAIL_ALLOC=N: allocations number N, 2N, 3N, ... (counted over every thread) return NULL with
 * errno = ENOMEM, as an exhausted memory would.  BALNET_FAIL_ALLOC=0 fails nothing and prints the count at
 * exit ("balnet: allocations: K"), so a test knows the range to walk.  Calls made inside libc and the C++
 * runtime (LLVM's operator new) are not wrapped: only balnet's own code promises to fail cleanly, and the
 * test runs the interpreter engine, since LLVM aborts on a failed allocation of its own.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void *__real_malloc(size_t n);
void *__real_calloc(size_t k, size_t n);
void *__real_realloc(void *p, size_t n);
void *__real_aligned_alloc(size_t al, size_t n);
char *__real_strdup(const char *s);
char *__real_strndup(const char *s, size_t n);

static atomic_long count;
static long every = -2;   /* 0: count only; -2: off (until main) */

/* Counting starts at main (linked with --wrap=main): LLVM's static constructors allocate before it, and
 * LLVM turns a failed allocation into "LLVM ERROR: out of memory" and an abort, by design. */
int __real_main(int argc, char **argv);
int __wrap_main(int argc, char **argv)
{
    const char *e = getenv("BALNET_FAIL_ALLOC");
    every = e && *e ? strtol(e, NULL, 10) : -2;
    return __real_main(argc, argv);
}

static bool fail_now(void)
{
    if (every == -2)
        return false;
    long k = atomic_fetch_add(&count, 1) + 1;
    if (every > 0 && k % every == 0) {
        errno = ENOMEM;
        return true;
    }
    return false;
}

void *__wrap_malloc(size_t n) { return fail_now() ? NULL : __real_malloc(n); }
void *__wrap_calloc(size_t k, size_t n) { return fail_now() ? NULL : __real_calloc(k, n); }
void *__wrap_realloc(void *p, size_t n) { return fail_now() ? NULL : __real_realloc(p, n); }
void *__wrap_aligned_alloc(size_t al, size_t n) { return fail_now() ? NULL : __real_aligned_alloc(al, n); }
char *__wrap_strdup(const char *s) { return fail_now() ? NULL : __real_strdup(s); }
char *__wrap_strndup(const char *s, size_t n) { return fail_now() ? NULL : __real_strndup(s, n); }

__attribute__((destructor)) static void report(void)
{
    if (every == 0)
        fprintf(stderr, "balnet: allocations: %ld\n", atomic_load(&count));
}
