/*
 * jit_libm.c - the kernels' imported symbols (jit_libm.h).
 */
#include "jit/jit_libm.h"

#include "codegen/codegen.h"

#include <dlfcn.h>
#include <math.h>
#include <string.h>

/* Every "balnet.<fn>" and the address of the libm function ir_eval calls (see CG_LIBM). */
static const struct {
    const char *name;
    double (*fn1)(double);
    double (*fn2)(double, double);
} libm_table[] = {
#define ARITY_1(name) {CG_LIBM_PREFIX #name, name, NULL},
#define ARITY_2(name) {CG_LIBM_PREFIX #name, NULL, name},
#define X(name, arity) ARITY_##arity(name)
    CG_LIBM(X)
#undef X
#undef ARITY_1
#undef ARITY_2
};
enum { NLIBM = sizeof libm_table / sizeof libm_table[0] };

int jit_libm_count(void)
{
    return NLIBM;
}

const char *jit_libm_name(int i)
{
    return libm_table[i].name;
}

uintptr_t jit_libm_addr(int i)
{
    return libm_table[i].fn1 ? (uintptr_t)libm_table[i].fn1 : (uintptr_t)libm_table[i].fn2;
}

void *jit_resolve_symbol(const char *name)
{
    for (int i = 0; i < NLIBM; i++)
        if (!strcmp(libm_table[i].name, name))
            return (void *)jit_libm_addr(i);
    void *self = dlopen(NULL, RTLD_LAZY);   /* the process's global scope; dlclose keeps it loaded */
    void *p = self ? dlsym(self, name) : NULL;
    if (self)
        dlclose(self);
    return p;
}
