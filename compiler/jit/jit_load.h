/*
 * jit_load.h - balnet's own loader for the kernel cache's objects, so that a cache hit runs without LLVM:
 * the object files LLVM emitted for the kernels (jit.c: x86-64 ELF relocatable files, large code model,
 * position-independent) are placed in one private mapping, relocated, and made executable, as the LLJIT's
 * object linker would place them (same machine code; only the addresses differ).
 *
 * Handled: ELF64 little-endian x86-64 ET_REL files whose allocated sections are code and read-only data
 * (progbits, merged constants), with RELA relocations of the kinds LLVM emits for the kernels in the large
 * code model (R_X86_64_GOTPC64, GOTOFF64, GOT64, PLTOFF64, 64, PC64) and the small-model ones (PC32, PLT32,
 * GOTPCREL, GOTPCRELX, REX_GOTPCRELX, 32, 32S) with their range checks.  Unwind tables (.eh_frame) are not
 * loaded: the kernels do not throw and nothing unwinds through them.
 * Anything else (another machine or format, writable or TLS data, an unknown relocation, a symbol that
 * does not resolve, a value out of range, a malformed file) makes jit_image_load return NULL, and the caller
 * links with the LLJIT instead: a refusal is never an error.
 * Owns: the mapping (code read+execute, constants and the GOT read-only after relocation) and the table
 * of exported symbols.  Must not: include llvm-c/, print or exit.  A loaded image is immutable; lookups
 * are thread-safe.
 */
#ifndef BN_JIT_LOAD_H
#define BN_JIT_LOAD_H

#include <stdbool.h>
#include <stddef.h>

struct jit_image;

/* Resolves an undefined symbol of the objects to its address; NULL: unknown (the load is refused). */
typedef void *(*jit_resolve_fn)(const char *name);

/* Loads objs[i] (lens[i] bytes each; the buffers are only read) into one image.  A symbol undefined in one
 * object is taken from another's global definitions first, then from resolve.  NULL when the objects are
 * outside what this loader handles (see above) or memory is short. */
struct jit_image *jit_image_load(const unsigned char *const *objs, const size_t *lens, int n, jit_resolve_fn resolve);

/* The address of global symbol `name` defined by one of the image's objects; NULL if there is none. */
void *jit_image_lookup(const struct jit_image *im, const char *name);

/* Unmaps the image; its code must not run any more.  NULL is allowed. */
void jit_image_free(struct jit_image *im);

#endif
