/*
 * jit_llvm_link.c - the LLVM table linked into the program (jit_llvm.h): for libbalnet, the Python package,
 * the unit tests, and a balnet built without BN_LLVM_MODULE.
 */
#include "jit/jit_llvm.h"

const struct jit_llvm *jit_llvm(struct diags *d)
{
    return &jit_llvm_table;
}

void jit_llvm_preload(void)
{
}
