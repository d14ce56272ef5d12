/*
 * jit_host.c - the host CPU's fingerprint for the kernel cache's key, without LLVM (jit_key.h, jit_host_cpu).
 */
#include "jit/jit_key.h"

#include "jit/jit_llvm.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

/* "x86 " + 12 leaves x 4 registers x 9 characters + XCR0: under 512 bytes. */
static char host_cpu[512];
static pthread_once_t host_once = PTHREAD_ONCE_INIT;

#if defined(__x86_64__) || defined(__i386__)
/* Appends the leaf's (sub-leaf's) registers, zeros past the highest leaf of its range (whose contents the
 * CPU makes up from another leaf). */
static size_t put_leaf(size_t at, unsigned leaf, unsigned sub, unsigned max, bool apic_masked)
{
    unsigned r[4] = {0, 0, 0, 0};
    if (leaf <= max)
        __cpuid_count(leaf, sub, r[0], r[1], r[2], r[3]);
    if (apic_masked)
        r[1] &= 0x00ffffffu;   /* leaf 1 EBX[31:24]: the initial APIC ID of the core it ran on */
    int n = snprintf(host_cpu + at, sizeof host_cpu - at, " %x.%x:%x,%x,%x,%x", leaf, sub, r[0], r[1], r[2], r[3]);
    return n > 0 && (size_t)n < sizeof host_cpu - at ? at + (size_t)n : at;
}

static void host_init(void)
{
    unsigned a, b, c, d;
    __cpuid(0, a, b, c, d);
    unsigned max = a;
    __cpuid(0x80000000u, a, b, c, d);
    unsigned max_ext = a;
    size_t at = (size_t)snprintf(host_cpu, sizeof host_cpu, "x86");
    static const unsigned basic[][2] = {{0, 0}, {1, 0}, {7, 0}, {7, 1}, {0xd, 1}, {0x14, 0}, {0x19, 0}, {0x24, 0}};
    for (size_t i = 0; i < sizeof basic / sizeof basic[0]; i++)
        at = put_leaf(at, basic[i][0], basic[i][1], max, basic[i][0] == 1);
    static const unsigned ext[] = {0x80000000u, 0x80000001u, 0x80000008u};
    for (size_t i = 0; i < sizeof ext / sizeof ext[0]; i++)
        at = put_leaf(at, ext[i], 0, max_ext, false);
    /* XCR0 (which register states the OS saves: AVX, AVX-512), when the OS enables XGETBV (leaf 1 ECX bit 27). */
    unsigned xlo = 0, xhi = 0;
    __cpuid(1, a, b, c, d);
    if (c & (1u << 27))
        __asm__ volatile("xgetbv" : "=a"(xlo), "=d"(xhi) : "c"(0));
    snprintf(host_cpu + at, sizeof host_cpu - at, " xcr0:%x%08x", xhi, xlo);
}
#else
static void host_init(void)
{
    const struct jit_llvm *llvm = jit_llvm(NULL);
    char *s = llvm ? llvm->host_cpu() : NULL;
    snprintf(host_cpu, sizeof host_cpu, "%s", s ? s : "");
    free(s);
}
#endif

const char *jit_host_cpu(void)
{
    pthread_once(&host_once, host_init);
    return host_cpu;
}
