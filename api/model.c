/*
 * model.c - loading and checking a model behind balnet.h: parse (file or string) -> --set overrides, each
 * parsed as its own "<command line>" source so a bad value gets a caret -> sema (names, units, sweep).
 * Also the diagnostics as data, the model's printed forms (check -v, dump), and freeing.
 *
 * Out of memory inside the arena jumps back here (arena.on_oom) and becomes a NULL return.
 */
#include "api/internal.h"
#include "frontend/ast.h"
#include "frontend/parse.h"
#include "sema/sema.h"
#include "ir/ir.h"
#include "jit/jit.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

const char *bn_version(void) { return BN_VERSION; }

const char *bn_source_dir(void)
{
    /* The models ship beside the library's source tree; BALNET_HOME overrides (installed copies). */
    const char *home = getenv("BALNET_HOME");
    return home && *home ? home : BN_SOURCE_DIR;
}

static bn_model *model_new(const struct bn_load_options *opt)
{
    bn_model *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    arena_init(&m->arena);
    srcmgr_init(&m->sm);
    diags_init(&m->diags, &m->arena);
    pthread_mutex_init(&m->lock, NULL);
    pthread_mutex_init(&m->sema_lock, NULL);
    if (opt)
        m->opt = *opt;
    return m;
}

/* ---- diagnostics as data ------------------------------------------------------------------------------ */

/* diag_render of one diagnostic: a list holding only it renders exactly its own lines. */
static char *render_one(const struct diag *g, const struct srcmgr *sm, struct arena *a)
{
    struct diag one = *g;
    one.next = NULL;
    struct diags d = {.head = &one, .tail = &one};
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return "";
    diag_render(f, &d, sm);
    fclose(f);
    char *out = arena_strdup(a, buf ? buf : "");
    free(buf);
    return out;
}

void api_export_diags(bn_model *m)
{
    int n = 0, limit = m->diags.max_errors ? m->diags.max_errors : 50;
    for (const struct diag *g = m->diags.head; g; g = g->next)
        n++;
    bool more = m->diags.errors > limit;
    struct bn_diag *dv = arena_alloc(&m->arena, sizeof *dv * (size_t)(n + 1));
    int i = 0;
    for (const struct diag *g = m->diags.head; g; g = g->next, i++) {
        struct bn_diag *o = &dv[i];
        *o = (struct bn_diag){.level = g->level == DIAG_ERROR     ? BN_ERROR
                                       : g->level == DIAG_WARNING ? BN_WARNING
                                                                  : BN_NOTE,
                              .message = g->msg};
        if (g->span.file >= 0 && g->span.file < m->sm.n) {
            const struct src_file *f = &m->sm.files[g->span.file];
            o->file = f->path;
            srcmgr_linecol(&m->sm, g->span.file, g->span.begin > f->len ? (uint32_t)f->len : g->span.begin,
                           &o->line, &o->col);
        }
        o->rendered = render_one(g, &m->sm, &m->arena);
    }
    if (more) {
        /* diag_render's closing line about the errors past the cap */
        const char *msg = arena_printf(&m->arena, "%d more errors not shown", m->diags.errors - limit);
        dv[i++] = (struct bn_diag){.level = BN_NOTE, .message = msg,
                                   .rendered = arena_printf(&m->arena, "balnet: note: %s\n", msg)};
    }
    m->dv = dv;
    m->ndv = i;
}

int bn_ndiags(const bn_model *m) { return m ? m->ndv : 0; }

const struct bn_diag *bn_diag(const bn_model *m, int i)
{
    return m && i >= 0 && i < m->ndv ? &m->dv[i] : NULL;
}

bool bn_ok(const bn_model *m) { return m && !m->failed && !m->diags.errors; }

/* ---- loading ------------------------------------------------------------------------------------------ */

/* The front half of the pipeline on a parsed program: overrides, then sema. */
static void analyse(bn_model *m)
{
    if (!m->prog || m->diags.errors)
        return;
    const struct bn_load_options *o = &m->opt;
    struct sema_override *ov = arena_alloc(&m->arena, sizeof *ov * (size_t)(o->nsets + 1));
    struct bn_set *sets = arena_alloc(&m->arena, sizeof *sets * (size_t)(o->nsets + 1));
    for (int i = 0; i < o->nsets; i++) {
        sets[i] = (struct bn_set){arena_strdup(&m->arena, o->sets[i].name), arena_strdup(&m->arena, o->sets[i].value)};
        char *text = arena_printf(&m->arena, "%s=%s", sets[i].name, sets[i].value);
        int file = srcmgr_add(&m->sm, "<command line>", text, strlen(text));
        uint32_t off = (uint32_t)strlen(sets[i].name) + 1;
        ov[i].name = sets[i].name;
        ov[i].name_span = (struct span){file, 0, off - 1};
        ov[i].value = parse_axis_at(&m->arena, &m->sm, &m->diags, file, off);
    }
    m->opt.sets = sets;
    if (m->diags.errors)
        return;
    m->sema = sema_analyse(&m->arena, &m->diags, &m->sm, m->prog, ov, o->nsets);
}

static const char *lib_dir(const bn_model *m, char *buf, size_t len)
{
    if (m->opt.lib_dir)
        return m->opt.lib_dir;
    snprintf(buf, len, "%s/models/lib", bn_source_dir());
    return buf;
}

/* Parse (file or text) and, unless parse_only (dump --emit=ast), analyse.  False when out of memory. */
static bool load_into(bn_model *m, const char *path, const char *name, const char *text, bool parse_only)
{
    jmp_buf oom;
    if (setjmp(oom))
        return false;
    m->arena.on_oom = &oom;
    char lib[PATH_MAX];
    const char *search[] = {lib_dir(m, lib, sizeof lib)};
    if (path)
        m->prog = parse_program(&m->arena, &m->sm, &m->diags, path, search, 1);
    else
        m->prog = parse_program_string(&m->arena, &m->sm, &m->diags, name, text, strlen(text), search, 1);
    m->failed = !m->prog;
    if (!parse_only)
        analyse(m);
    m->failed |= !parse_only && !m->sema;
    api_export_diags(m);
    m->arena.on_oom = NULL;
    return true;
}

static bn_model *load(const char *path, const char *name, const char *text, const struct bn_load_options *opt,
                      bool parse_only)
{
    bn_model *m = model_new(opt);
    if (m && !parse_only && m->opt.engine != BN_ENGINE_INTERP)
        m->llvm_preload = jit_llvm_preload_if_cold();   /* a compile is certain: LLVM loads during the parse */
    if (m && !load_into(m, path, name, text, parse_only)) {
        m->arena.on_oom = NULL;
        bn_free(m);
        return NULL;
    }
    return m;
}

bn_model *bn_load_file(const char *path, const struct bn_load_options *opt)
{
    return load(path, NULL, NULL, opt, false);
}

bn_model *bn_load_string(const char *name, const char *text, const struct bn_load_options *opt)
{
    return load(NULL, name ? name : "<string>", text ? text : "", opt, false);
}

void bn_free(bn_model *m)
{
    if (!m)
        return;
    api_kernels_free(m);
    api_sweep_free(m);
    if (m->llvm_preload)
        jit_llvm_settle();   /* the process may exit next: not while the module's constructors run */
    pthread_mutex_destroy(&m->lock);
    pthread_mutex_destroy(&m->sema_lock);
    arena_free(&m->arena);
    srcmgr_free(&m->sm);
    free(m);
}

/* ---- what the model is ------------------------------------------------------------------------------- */

const char *bn_model_name(const bn_model *m) { return m->sema ? sema_model_name(m->sema) : ""; }

const char *bn_model_identity(const bn_model *m)
{
    /* The model's sources and overrides, and a seed override, which changes every value. */
    const char *id = sema_model_hash(m->sema);
    if (m->opt.has_seed)
        id = arena_printf((struct arena *)&m->arena, "%s-seed%llu", id, (unsigned long long)m->opt.seed);
    return id;
}

const char *bn_params_json(bn_model *m)
{
    if (!m->params_json)
        sema_params_json(m->sema, &m->params_json, &m->arena);
    return m->params_json;
}

void bn_print_model(FILE *out, const bn_model *m)
{
    if (m->sema)
        sema_print(out, m->sema);
}

/* dump --emit=ir|llvm|llvm-unopt: the first sweep point (or the one fixed with --set).  llvm-unopt is the
 * module before the pass pipeline: what the kernel cache's key hashes, and the input for timing the
 * pipeline pass by pass (opt -time-passes, docs/performance.md). */
static bool dump_lowered(FILE *out, bn_model *m, bool llvm, bool optimise)
{
    int *idx = arena_alloc(&m->arena, sizeof(int) * (size_t)(sema_naxes(m->sema) + 1));
    struct ir_model *ir = sema_lower(m->sema, idx, &m->diags);
    if (!ir)
        return false;
    if (!llvm) {
        ir_dump(out, ir);
        return true;
    }
    return jit_dump_llvm(out, ir, optimise, &m->diags);
}

bn_model *bn_dump(FILE *out, const char *path, const char *stage, const struct bn_load_options *opt)
{
    if (strcmp(stage, "tokens") == 0) {
        bn_model *m = model_new(opt);
        if (!m)
            return NULL;
        m->failed = !ast_dump_tokens_file(out, &m->arena, &m->sm, &m->diags, path);
        api_export_diags(m);
        return m;
    }
    bool ast = strcmp(stage, "ast") == 0;
    bn_model *m = load(path, NULL, NULL, opt, ast);
    if (!m || !bn_ok(m))
        return m;
    if (ast)
        ast_dump(out, m->prog);
    else
        m->failed = !dump_lowered(out, m, strncmp(stage, "llvm", 4) == 0, strcmp(stage, "llvm-unopt") != 0);
    api_export_diags(m);
    return m;
}
