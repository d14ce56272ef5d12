/*
 * jit_key.c - a model part's cache key from balnet's IR (jit_key.h).
 *
 * Every field goes in with a one-byte tag and a fixed width, every expression node by node (an absent
 * expression as its own tag), every list with its length first, so that two different parts cannot feed
 * the same byte sequence.  What is hashed follows what code generation reads: when compiler/codegen reads
 * a new field, it must be added here (the code identity in the key covers the code generator's own changes,
 * not new IR fields; tests/unit/test_codegen_cache.c compares keys with the generated LLVM IR's text).
 * Must not: include llvm-c/, print or exit.
 */
#include "jit/jit_key.h"

#include "codegen/codegen.h"

#include <string.h>

bool jit_part_of(const struct ir_model *m, int part, enum jit_part_kind *kind, int *index)
{
    bool acc;
    if (part < 0)
        return false;
    int pop = cg_part_population(m, part, &acc);
    if (pop >= 0) {
        *kind = acc ? JIT_PART_ACC : JIT_PART_KERNEL;
        *index = pop;
        return true;
    }
    /* the plastic projections' parts follow the populations' kernels, one per projection, in order */
    int first = part;
    while (first > 0 && cg_part_population(m, first - 1, &acc) < 0)
        first--;
    int k = part - first;
    for (int j = 0; j < m->nprojs; j++)
        if (m->projs[j].plastic && k-- == 0) {
            *kind = JIT_PART_EVENTS, *index = j;
            return true;
        }
    return false;
}

/* ---- fields ------------------------------------------------------------------------------------------- */

static void put_tag(struct jit_sip *s, char tag)
{
    jit_sip_update(s, &tag, 1);
}

static void put_i64(struct jit_sip *s, char tag, int64_t v)
{
    put_tag(s, tag);
    jit_sip_update(s, &v, sizeof v);
}

/* A double by its bits: -0 and +0, and NaN payloads, are different constants of the code. */
static void put_f64(struct jit_sip *s, char tag, double v)
{
    uint64_t bits;
    memcpy(&bits, &v, sizeof bits);
    put_i64(s, tag, (int64_t)bits);
}

static void put_expr(struct jit_sip *s, const struct ir_expr *e)
{
    if (!e) {
        put_tag(s, '-');
        return;
    }
    put_i64(s, 'e', e->op);
    if (e->op == IR_CONST)
        put_f64(s, 'c', e->value);
    else if (e->op == IR_VAR)
        put_i64(s, 'v', e->index);
    else if (e->op == IR_TABLE) {   /* the samples are a constant global of the kernel, named after the table */
        const struct ir_table *t = e->table;
        jit_sip_field(s, t->name);
        put_f64(s, 't', t->t0);
        put_f64(s, 'h', t->h);
        put_i64(s, 'n', t->n);
        if (t->n > 0)
            jit_sip_update(s, t->v, sizeof *t->v * (size_t)t->n);
    }
    for (int i = 0; i < ir_op_arity[e->op]; i++)
        put_expr(s, i == 0 ? e->a : i == 1 ? e->b : e->c);
}

/* A population's kernel (cg_kernel.c): with_acc adds step 8 (the accumulating entry point). */
static void put_pop(struct jit_sip *s, const struct ir_pop *p, bool with_acc)
{
    put_i64(s, 'S', p->single);
    put_i64(s, 'V', p->nvars);
    put_i64(s, 'N', p->nnoise);
    for (int k = 0; k < p->nvars; k++) {
        put_i64(s, 'k', p->vars[k].kind);
        put_i64(s, 'm', p->vars[k].noise_term);
    }
    if (p->nnoise > 0)   /* the white noise's Philox key holds the population's number (ir_noise_normal) */
        put_i64(s, 'I', p->index);
    put_i64(s, 'U', p->nupdates);
    for (int k = 0; k < p->nupdates; k++) {
        const struct ir_update *u = &p->updates[k];
        put_i64(s, 'u', u->var);
        put_i64(s, 'f', u->frozen);
        put_expr(s, u->next);
        put_expr(s, u->held);
    }
    put_expr(s, p->spike_cond);
    put_i64(s, 'x', p->spike_var);
    put_i64(s, 'r', p->refr_var);
    put_f64(s, 'R', p->refr_steps);
    put_i64(s, 'Z', p->nresets);
    for (int k = 0; k < p->nresets; k++) {
        put_i64(s, 'z', p->resets[k].var);
        put_expr(s, p->resets[k].value);
    }
    put_i64(s, 'O', p->nobs);
    for (int k = 0; k < p->nobs; k++)
        put_expr(s, p->obs[k].expr);
    if (!with_acc)
        return;
    put_i64(s, 'A', p->naccums);
    put_i64(s, 'C', p->nacc_cols);
    for (int k = 0; k < p->naccums; k++) {
        const struct ir_accum *a = &p->accums[k];
        put_i64(s, 'a', a->kind);
        put_i64(s, 'o', a->obs);
        put_i64(s, 'p', a->obs2);
        put_i64(s, 'l', a->has_clip);
        put_f64(s, 'L', a->has_clip ? a->clip : 0);
        put_i64(s, 'c', a->col);
    }
}

static void put_stmts(struct jit_sip *s, const struct ir_pl_stmt *st, int n)
{
    put_i64(s, 'T', n);
    for (int i = 0; i < n; i++) {
        put_i64(s, 'd', st[i].dst);
        put_i64(s, 'i', st[i].post_inc);
        put_expr(s, st[i].value);
    }
}

/* A plastic projection's event functions (cg_event.c). */
static void put_plastic(struct jit_sip *s, const struct ir_plastic *pl)
{
    put_i64(s, 'B', pl->base);
    put_i64(s, 'M', pl->nstates);
    put_i64(s, 'y', pl->syn_last);
    put_i64(s, 'S', pl->single);
    for (int k = 0; k < pl->nstates; k++) {
        put_i64(s, 'w', pl->states[k].where);
        put_expr(s, pl->bring[k]);
    }
    put_stmts(s, pl->pre, pl->npre);
    put_stmts(s, pl->pre_own, pl->npre_own);
    put_stmts(s, pl->post, pl->npost);
    put_stmts(s, pl->post_own, pl->npost_own);
}

/* Fixed SipHash keys, one per use, so a shape can never equal a key. */
#define SHAPE_K0 0x62616c6e65742d73ull   /* "balnet-s" "hape0001" */
#define SHAPE_K1 0x6861706530303031ull
#define KEY_K0 0x62616c6e65742d6bull     /* "balnet-k" "eyir0001" */
#define KEY_K1 0x6579697230303031ull

struct jit_hash jit_part_shape(const struct ir_model *m, int part)
{
    enum jit_part_kind kind;
    int index;
    if (!jit_part_of(m, part, &kind, &index))
        return (struct jit_hash){0, 0};
    struct jit_sip s;
    jit_sip_init(&s, SHAPE_K0, SHAPE_K1);
    put_i64(&s, 'K', kind);
    if (kind == JIT_PART_EVENTS)
        put_plastic(&s, m->projs[index].plastic);
    else
        put_pop(&s, &m->pops[index], kind == JIT_PART_ACC);
    return jit_sip_final(&s);
}

struct jit_hash jit_part_key(const struct ir_model *m, int part, struct jit_hash shape, const struct jit_key_env *env)
{
    enum jit_part_kind kind = JIT_PART_KERNEL;
    int index = -1;
    jit_part_of(m, part, &kind, &index);
    struct jit_sip s;
    jit_sip_init(&s, KEY_K0, KEY_K1);
    jit_sip_field(&s, JIT_CACHE_MAGIC);
    jit_sip_field(&s, env->code_id);
    jit_sip_field(&s, env->version);
    jit_sip_field(&s, env->llvm_version);
    jit_sip_field(&s, env->pipeline);
    jit_sip_field(&s, env->triple);
    jit_sip_field(&s, env->cpu);
    jit_sip_field(&s, env->features);
    put_i64(&s, 'P', m->precision);
    put_i64(&s, 'K', kind);
    put_i64(&s, 'X', index);
    put_i64(&s, 'h', (int64_t)shape.lo);
    put_i64(&s, 'H', (int64_t)shape.hi);
    return jit_sip_final(&s);
}
