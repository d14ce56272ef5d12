/*
 * jit_load.c - a loader for the kernel cache's x86-64 ELF relocatable objects (jit_load.h).
 *
 * One mapping holds every object's loaded sections: the code first, then, from the next page, the read-only
 * data and the global offset table (GOT: one slot per relocation that asks for one; the large code model
 * reaches constants GOT-relatively, so the GOT's address is also the base of GOTOFF64 and GOTPC64).  It is
 * written while read-write, then the code pages become read+execute and the rest read-only.
 * Relocation formulas are the x86-64 psABI's (System V ABI, AMD64 supplement, section 4.4): S the symbol's
 * address, A the addend, P the place, GOT the table's address, G the offset of the symbol's slot in it.
 * Every offset read from a file is bounds-checked first (the cache checksums its entries, but a loader
 * must not trust a file to be well formed).
 * Must not: include llvm-c/, print or exit.
 */
#include "jit/jit_load.h"

#include <elf.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

struct jit_image {
    unsigned char *map;
    size_t map_len;
    struct def {
        char *name;
        void *addr;
    } *defs;
    int ndefs;
};

/* One object being loaded. */
struct obj {
    const unsigned char *b;
    size_t len;
    Elf64_Ehdr eh;
    Elf64_Shdr *sh;          /* its section headers, copied (the buffer may be unaligned) */
    unsigned char **base;    /* each section's address in the mapping; NULL: not loaded */
    size_t *at;              /* while laying out: the section's offset in its region */
    int symtab;              /* its SHT_SYMTAB section; 0: none */
};

/* ---- reading the file ----------------------------------------------------------------------------- */

/* [off, off + n) lies inside a buffer of len bytes (without overflow). */
static bool inside(uint64_t off, uint64_t n, size_t len)
{
    return off <= len && n <= len - off;
}

/* The NUL-terminated string at offset `at` of string table section `sec`; NULL when out of bounds. */
static const char *str_at(const struct obj *o, int sec, uint64_t at)
{
    if (sec <= 0 || sec >= o->eh.e_shnum || o->sh[sec].sh_type != SHT_STRTAB || at >= o->sh[sec].sh_size)
        return NULL;
    const char *s = (const char *)o->b + o->sh[sec].sh_offset + at;
    return memchr(s, 0, o->sh[sec].sh_size - at) ? s : NULL;
}

static bool read_sym(const struct obj *o, uint64_t i, Elf64_Sym *out)
{
    const Elf64_Shdr *st = &o->sh[o->symtab];
    if (!o->symtab || i >= st->sh_size / sizeof *out)
        return false;
    memcpy(out, o->b + st->sh_offset + i * sizeof *out, sizeof *out);
    return true;
}

/* Unwind tables are not loaded (jit_load.h). */
static bool is_unwind(const struct obj *o, int i)
{
    const char *name = str_at(o, o->eh.e_shstrndx, o->sh[i].sh_name);
    return o->sh[i].sh_type == SHT_X86_64_UNWIND || (name && !strcmp(name, ".eh_frame"));
}

static bool loads(const struct obj *o, int i)
{
    return (o->sh[i].sh_flags & SHF_ALLOC) && o->sh[i].sh_size > 0 && !is_unwind(o, i);
}

/* The header and section table of o, checked; false for anything outside jit_load.h's list. */
static bool parse(struct obj *o)
{
    if (o->len < sizeof o->eh)
        return false;
    memcpy(&o->eh, o->b, sizeof o->eh);
    const Elf64_Ehdr *e = &o->eh;
    if (memcmp(e->e_ident, ELFMAG, SELFMAG) != 0 || e->e_ident[EI_CLASS] != ELFCLASS64 ||
        e->e_ident[EI_DATA] != ELFDATA2LSB || e->e_type != ET_REL || e->e_machine != EM_X86_64 ||
        e->e_shentsize != sizeof(Elf64_Shdr) || e->e_shnum == 0 || e->e_shnum >= SHN_LORESERVE ||
        e->e_shstrndx >= e->e_shnum || !inside(e->e_shoff, (uint64_t)e->e_shnum * sizeof(Elf64_Shdr), o->len))
        return false;
    int n = e->e_shnum;
    o->sh = malloc(sizeof *o->sh * (size_t)n);
    o->base = calloc((size_t)n, sizeof *o->base);
    o->at = calloc((size_t)n, sizeof *o->at);
    if (!o->sh || !o->base || !o->at)
        return false;
    memcpy(o->sh, o->b + e->e_shoff, sizeof *o->sh * (size_t)n);
    for (int i = 0; i < n; i++) {
        const Elf64_Shdr *s = &o->sh[i];
        if (s->sh_type != SHT_NOBITS && s->sh_type != SHT_NULL && !inside(s->sh_offset, s->sh_size, o->len))
            return false;
        if (s->sh_type == SHT_SYMTAB) {
            if (o->symtab || s->sh_entsize != sizeof(Elf64_Sym) || s->sh_link >= (unsigned)n)
                return false;
            o->symtab = i;
        }
    }
    for (int i = 0; i < n; i++) {
        const Elf64_Shdr *s = &o->sh[i];
        if (!loads(o, i))
            continue;
        /* code or constants only: no writable, TLS or zero-filled data, no constructors */
        if (s->sh_type != SHT_PROGBITS || (s->sh_flags & (SHF_WRITE | SHF_TLS)) || s->sh_addralign > 4096)
            return false;
    }
    return true;
}

/* ---- relocations ---------------------------------------------------------------------------------- */

/* Whether relocation type t takes a GOT slot of its own. */
static bool needs_slot(uint32_t t)
{
    return t == R_X86_64_GOT64 || t == R_X86_64_GOTPCREL || t == R_X86_64_GOTPCRELX || t == R_X86_64_REX_GOTPCRELX;
}

/* The relocation section i of o if it applies to a loaded section: true with *target; false otherwise. */
static bool rela_of(const struct obj *o, int i, int *target)
{
    const Elf64_Shdr *s = &o->sh[i];
    if ((s->sh_type != SHT_RELA && s->sh_type != SHT_REL) || s->sh_info >= o->eh.e_shnum || !loads(o, (int)s->sh_info))
        return false;
    *target = (int)s->sh_info;
    return true;
}

struct image_build {
    struct obj *objs;
    int n;
    jit_resolve_fn resolve;
    struct jit_image *im;
    uint64_t *got;
    size_t got_used, got_slots;
};

/* The address of symbol `i` of o; false when it cannot be resolved (or is of a kind not handled). */
static bool sym_addr(struct image_build *ib, const struct obj *o, uint64_t i, uint64_t *addr)
{
    Elf64_Sym sym;
    if (!read_sym(o, i, &sym))
        return false;
    if (sym.st_shndx == SHN_UNDEF) {
        const char *name = str_at(o, (int)o->sh[o->symtab].sh_link, sym.st_name);
        if (!name)
            return false;
        if (!strcmp(name, "_GLOBAL_OFFSET_TABLE_")) {
            *addr = (uint64_t)(uintptr_t)ib->got;
            return true;
        }
        void *p = jit_image_lookup(ib->im, name);
        if (!p)
            p = ib->resolve(name);
        *addr = (uint64_t)(uintptr_t)p;
        return p != NULL;
    }
    if (sym.st_shndx == SHN_ABS) {
        *addr = sym.st_value;
        return true;
    }
    if (sym.st_shndx >= o->eh.e_shnum || !o->base[sym.st_shndx])
        return false;   /* SHN_COMMON and other reserved indices, or a section not loaded */
    *addr = (uint64_t)(uintptr_t)o->base[sym.st_shndx] + sym.st_value;
    return true;
}

static bool fits_s32(int64_t v)
{
    return v >= INT32_MIN && v <= INT32_MAX;
}

/* Applies relocation section `rs` of o to its target section. */
static bool relocate(struct image_build *ib, const struct obj *o, int rs, int target)
{
    const Elf64_Shdr *r = &o->sh[rs], *t = &o->sh[target];
    if (r->sh_type != SHT_RELA || r->sh_entsize != sizeof(Elf64_Rela) || (int)r->sh_link != o->symtab)
        return false;
    unsigned char *sec = o->base[target];
    uint64_t got = (uint64_t)(uintptr_t)ib->got;
    for (uint64_t k = 0; k < r->sh_size / sizeof(Elf64_Rela); k++) {
        Elf64_Rela rel;
        memcpy(&rel, o->b + r->sh_offset + k * sizeof rel, sizeof rel);
        uint32_t type = (uint32_t)ELF64_R_TYPE(rel.r_info);
        uint64_t s = 0, a = (uint64_t)rel.r_addend;
        if (type == R_X86_64_NONE)
            continue;
        if (!sym_addr(ib, o, ELF64_R_SYM(rel.r_info), &s))
            return false;
        unsigned width = type == R_X86_64_64 || type == R_X86_64_PC64 || type == R_X86_64_GOTOFF64 ||
                                 type == R_X86_64_GOTPC64 || type == R_X86_64_GOT64 || type == R_X86_64_PLTOFF64
                             ? 8 : 4;
        if (!inside(rel.r_offset, width, t->sh_size))
            return false;
        uint64_t p = (uint64_t)(uintptr_t)sec + rel.r_offset, g = 0;
        if (needs_slot(type)) {
            if (ib->got_used >= ib->got_slots)
                return false;
            ib->got[ib->got_used] = s;
            g = 8 * ib->got_used++;
        }
        uint64_t v;
        switch (type) {
        case R_X86_64_64: v = s + a; break;
        case R_X86_64_PC64: v = s + a - p; break;
        case R_X86_64_GOTOFF64: v = s + a - got; break;
        case R_X86_64_GOTPC64: v = got + a - p; break;
        case R_X86_64_GOT64: v = g + a; break;
        case R_X86_64_PLTOFF64: v = s + a - got; break;   /* no PLT: a 64-bit offset reaches the function itself */
        case R_X86_64_PC32:
        case R_X86_64_PLT32: v = s + a - p; break;
        case R_X86_64_GOTPC32: v = got + a - p; break;
        case R_X86_64_GOTPCREL:
        case R_X86_64_GOTPCRELX:
        case R_X86_64_REX_GOTPCRELX: v = got + g + a - p; break;
        case R_X86_64_32: v = s + a; break;
        case R_X86_64_32S: v = s + a; break;
        default: return false;   /* a relocation this loader does not know: the LLJIT links it */
        }
        if (width == 8) {
            memcpy(sec + rel.r_offset, &v, 8);
            continue;
        }
        if (type == R_X86_64_32 ? v > UINT32_MAX : !fits_s32((int64_t)v))
            return false;   /* out of range for a 32-bit field: not loadable this way */
        uint32_t v32 = (uint32_t)v;
        memcpy(sec + rel.r_offset, &v32, 4);
    }
    return true;
}

/* ---- the image -------------------------------------------------------------------------------------- */

static size_t align_up(size_t x, size_t a)
{
    return a > 1 ? (x + a - 1) / a * a : x;
}

/* Every global symbol defined in a loaded section, into im->defs; false on a duplicate or out of memory. */
static bool collect_defs(struct image_build *ib)
{
    struct jit_image *im = ib->im;
    for (int i = 0; i < ib->n; i++) {
        const struct obj *o = &ib->objs[i];
        Elf64_Sym sym;
        for (uint64_t k = 0; o->symtab && read_sym(o, k, &sym); k++) {
            int bind = ELF64_ST_BIND(sym.st_info);
            if ((bind != STB_GLOBAL && bind != STB_WEAK) || sym.st_shndx == SHN_UNDEF ||
                sym.st_shndx >= o->eh.e_shnum || !o->base[sym.st_shndx])
                continue;
            const char *name = str_at(o, (int)o->sh[o->symtab].sh_link, sym.st_name);
            if (!name || jit_image_lookup(im, name))
                return false;
            struct def *d = realloc(im->defs, sizeof *d * ((size_t)im->ndefs + 1));
            if (!d)
                return false;
            im->defs = d;
            if (!(d[im->ndefs].name = strdup(name)))
                return false;
            d[im->ndefs++].addr = o->base[sym.st_shndx] + sym.st_value;
        }
    }
    return true;
}

static bool load_into(struct image_build *ib)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t text = 0, ro = 0;
    /* lay out: code in one region, constants in the other; count the GOT slots */
    for (int i = 0; i < ib->n; i++) {
        struct obj *o = &ib->objs[i];
        if (!parse(o))
            return false;
        for (int s = 0; s < o->eh.e_shnum; s++) {
            if (!loads(o, s))
                continue;
            size_t *end = (o->sh[s].sh_flags & SHF_EXECINSTR) ? &text : &ro;
            *end = align_up(*end, o->sh[s].sh_addralign);
            o->at[s] = *end;
            *end += o->sh[s].sh_size;
        }
    }
    for (int i = 0; i < ib->n; i++) {
        struct obj *o = &ib->objs[i];
        for (int s = 0, target; s < o->eh.e_shnum; s++)
            if (rela_of(o, s, &target) && o->sh[s].sh_type == SHT_RELA && o->sh[s].sh_entsize == sizeof(Elf64_Rela))
                for (uint64_t k = 0; k < o->sh[s].sh_size / sizeof(Elf64_Rela); k++) {
                    Elf64_Rela rel;
                    memcpy(&rel, o->b + o->sh[s].sh_offset + k * sizeof rel, sizeof rel);
                    ib->got_slots += needs_slot((uint32_t)ELF64_R_TYPE(rel.r_info));
                }
    }
    size_t ro_at = align_up(text, page), got_at = align_up(ro_at + ro, 16);
    struct jit_image *im = ib->im;
    im->map_len = align_up(got_at + 8 * ib->got_slots + 8, page);
    void *map = mmap(NULL, im->map_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (map == MAP_FAILED)
        return false;
    im->map = map;
    ib->got = (uint64_t *)(im->map + got_at);
    /* copy the sections to their places */
    for (int i = 0; i < ib->n; i++) {
        struct obj *o = &ib->objs[i];
        for (int s = 0; s < o->eh.e_shnum; s++) {
            if (!loads(o, s))
                continue;
            o->base[s] = im->map + ((o->sh[s].sh_flags & SHF_EXECINSTR) ? 0 : ro_at) + o->at[s];
            memcpy(o->base[s], o->b + o->sh[s].sh_offset, o->sh[s].sh_size);
        }
    }
    if (!collect_defs(ib))
        return false;
    for (int i = 0; i < ib->n; i++) {
        struct obj *o = &ib->objs[i];
        for (int s = 0, target; s < o->eh.e_shnum; s++)
            if (rela_of(o, s, &target) && !relocate(ib, o, s, target))
                return false;
    }
    /* W^X: the code read+execute, constants and GOT read-only */
    if (text > 0 && mprotect(im->map, ro_at, PROT_READ | PROT_EXEC) != 0)
        return false;
    return mprotect(im->map + ro_at, im->map_len - ro_at, PROT_READ) == 0;
}

struct jit_image *jit_image_load(const unsigned char *const *objs, const size_t *lens, int n, jit_resolve_fn resolve)
{
    struct image_build ib = {.n = n, .resolve = resolve};
    ib.im = calloc(1, sizeof *ib.im);
    ib.objs = calloc((size_t)n + 1, sizeof *ib.objs);
    bool ok = ib.im && ib.objs;
    for (int i = 0; ok && i < n; i++) {
        ib.objs[i].b = objs[i];
        ib.objs[i].len = lens[i];
    }
    ok = ok && load_into(&ib);
    for (int i = 0; ib.objs && i < n; i++) {
        free(ib.objs[i].sh);
        free(ib.objs[i].base);
        free(ib.objs[i].at);
    }
    free(ib.objs);
    if (!ok) {
        jit_image_free(ib.im);
        return NULL;
    }
    return ib.im;
}

void *jit_image_lookup(const struct jit_image *im, const char *name)
{
    for (int i = 0; im && i < im->ndefs; i++)
        if (!strcmp(im->defs[i].name, name))
            return im->defs[i].addr;
    return NULL;
}

void jit_image_free(struct jit_image *im)
{
    if (!im)
        return;
    if (im->map)
        munmap(im->map, im->map_len);
    for (int i = 0; i < im->ndefs; i++)
        free(im->defs[i].name);
    free(im->defs);
    free(im);
}
