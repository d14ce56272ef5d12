/*
 * cg_parts.c - the code generator's LLVM-free facts: how a model's code is split into parts, which plain
 * kernels are served by accumulating ones, and the pass pipeline's identity (codegen.h).  The kernel cache's
 * keys need them on a hit, when LLVM is not loaded (jit/jit_llvm.h), so they live apart from cg_module.c.
 *
 * Must not: include llvm-c/, print or exit.
 */
#include "codegen/codegen.h"

/*
 * The parts of a model's code that compile on their own (codegen.h): the accumulating kernels first (the
 * largest functions), then the plain kernels that cannot be served by them (cg_plain_from_acc), then the
 * plastic projections' event pairs, so that threads taking parts in order start with the longest compiles.
 */
bool cg_plain_from_acc(const struct ir_pop *p)
{
    return p->naccums > 0 && p->nnoise == 0 && p->nvars <= CG_PLAIN_MAXCOLS && p->nobs <= CG_PLAIN_MAXCOLS &&
           p->nacc_cols <= CG_PLAIN_MAXCOLS;
}

bool cg_part_of(const struct ir_model *m, int part, enum cg_part_kind *kind, int *index)
{
    for (int i = 0; i < m->npops; i++)
        if (m->pops[i].naccums > 0 && part-- == 0) {
            *kind = CG_PART_ACC, *index = i;
            return true;
        }
    for (int i = 0; i < m->npops; i++)
        if (!cg_plain_from_acc(&m->pops[i]) && part-- == 0) {
            *kind = CG_PART_KERNEL, *index = i;
            return true;
        }
    for (int j = 0; j < m->nprojs; j++)
        if (m->projs[j].plastic && part-- == 0) {
            *kind = CG_PART_EVENTS, *index = j;
            return true;
        }
    return false;
}

int cg_part_population(const struct ir_model *m, int part, bool *acc)
{
    enum cg_part_kind kind;
    int index;
    if (!cg_part_of(m, part, &kind, &index) || kind == CG_PART_EVENTS)
        return -1;
    *acc = kind == CG_PART_ACC;
    return index;
}

int cg_part_count(const struct ir_model *m)
{
    int n = 0;
    enum cg_part_kind kind;
    int index;
    while (cg_part_of(m, n, &kind, &index))
        n++;
    return n;
}

/* Keep in step with CG_PIPELINE, cg_module.c's run_pipeline options and cg_host_machine's settings: cached
 * kernels are looked up by it (codegen.h), so an unchanged id after a change there would hand out code built
 * the old way. */
const char *cg_pipeline_id(void)
{
    return CG_PIPELINE "; loop-vectorize slp-vectorize unroll interleave; codegen=aggressive reloc=pic "
                       "code-model=jit-default";
}
