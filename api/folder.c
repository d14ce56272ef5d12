/*
 * folder.c - the results folder behind balnet.h: the writer of results/ (results.h) opened for a model's
 * sweep, resume (the rows already in the folder recorded in the model, so dependent points can run), and
 * the readers that follow a closed folder (fits, plots, summary, verdict), each called by the client in
 * that order.
 */
#include "api/internal.h"
#include "results/lock.h"
#include "results/plot.h"
#include "results/results.h"
#include "results/scaling.h"
#include "results/verdict.h"
#include "runtime/errf.h"
#include "support/util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct bn_folder {
    struct res *res;
    bn_model *m;
    char *dir;
};

struct bn_lock {
    struct lock *lock;
};

/* Resume: the rows of the items the folder holds, for the points measured from them. */
static void record_done(bn_folder *f, const char *dir)
{
    bn_model *m = f->m;
    for (int i = 0; i < m->nitems; i++)
        if (res_is_done(f->res, bn_item_point(m, i), bn_item_trial(m, i)))
            bn_record_rows(m, i, NULL, 0);
    if (!res_ndone(f->res))
        return;
    char *path = util_path_join(dir, "points.csv"), err[256];
    struct res_table t;
    bool ok = path && res_table_read(path, &t, err, sizeof err);
    free(path);
    if (!ok)
        return;
    for (int64_t r = 0; r < t.nrows; r++) {
        const struct res_trow *row = &t.rows[r];
        if (row->point >= 0 && row->point < m->npoints && row->trial >= 1 && row->trial <= m->ntrials) {
            struct bn_row b = {row->population, row->statistic, row->value, row->unit};
            bn_record_rows(m, row->point * m->ntrials + row->trial - 1, &b, 1);
        }
    }
    res_table_free(&t);
}

bn_folder *bn_folder_open(const char *dir, bn_model *m, bool resume, char *err, size_t errlen)
{
    bn_folder *f = calloc(1, sizeof *f);
    if (!f) {
        rt_errf(err, errlen, "out of memory");
        return NULL;
    }
    f->m = m;
    if (!(f->dir = strdup(dir))) {
        free(f);
        rt_errf(err, errlen, "out of memory");
        return NULL;
    }
    f->res = res_open(dir, bn_model_identity(m), m->axis_names, m->ncols, resume, err, errlen);
    if (!f->res) {
        free(f->dir);
        free(f);
        return NULL;
    }
    record_done(f, dir);
    return f;
}

const char *bn_folder_note(const bn_folder *f) { return res_note(f->res); }

bn_lock *bn_folder_keep_lock(bn_folder *f)
{
    bn_lock *k = malloc(sizeof *k);
    if (k)
        k->lock = res_keep_lock(f->res);
    return k;
}

bn_lock *bn_lock_folder(const char *dir, char *note, size_t notelen, char *err, size_t errlen)
{
    bn_lock *k = malloc(sizeof *k);
    if (!k) {
        rt_errf(err, errlen, "out of memory");
        return NULL;
    }
    if (!(k->lock = lock_take(dir, note, notelen, err, errlen))) {
        free(k);
        return NULL;
    }
    return k;
}

void bn_unlock(bn_lock *k)
{
    if (!k)
        return;
    lock_release(k->lock);
    free(k);
}

bool bn_folder_has(const bn_folder *f, int item)
{
    return res_is_done(f->res, bn_item_point(f->m, item), bn_item_trial(f->m, item));
}

int bn_folder_ndone(const bn_folder *f) { return res_ndone(f->res); }

bool bn_folder_append(bn_folder *f, int item, const bn_result *r, char *err, size_t errlen)
{
    return bn_folder_append_rows(f, item, bn_row(r, 0), bn_nrows(r), bn_timing(r), err, errlen);
}

bool bn_folder_append_rows(bn_folder *f, int item, const struct bn_row *in, int n, const struct bn_timing *t,
                           char *err, size_t errlen)
{
    int point = bn_item_point(f->m, item);
    struct stat_row *rows = calloc((size_t)n + 1, sizeof *rows);
    if (!rows)
        return rt_errf(err, errlen, "out of memory");
    for (int i = 0; i < n; i++)
        rows[i] = (struct stat_row){in[i].population, in[i].statistic, in[i].value, in[i].unit};
    struct res_timing rt = {t->wall_s, t->compile_ms, t->build_ms, t->sim_ms, t->synapses, t->threads,
                            t->kernel_wait_ms};
    bool ok = res_append_point(f->res, point, f->m->points[point].values, bn_item_trial(f->m, item), rows, n, &rt,
                               err, errlen);
    free(rows);
    return ok;
}

bool bn_folder_add_trace(bn_folder *f, const char *name, const void *data, size_t n, char *err, size_t errlen)
{
    if (!*name || *name == '.' || strchr(name, '/'))
        return rt_errf(err, errlen, "refused trace file name '%s'", name);
    char *tdir = util_path_join(f->dir, "traces"), *path = tdir ? util_path_join(tdir, name) : NULL;
    bool ok = path != NULL;
    if (!ok)
        rt_errf(err, errlen, "out of memory");
    else if (!util_mkdirs(tdir, 0777) || !util_write_atomic(path, data, n))
        ok = rt_errf(err, errlen, "cannot write %s: %s", path, strerror(errno));
    free(tdir);
    free(path);
    return ok;
}

bool bn_folder_close(bn_folder *f, const struct bn_run_info *in, char *err, size_t errlen)
{
    bn_model *m = f->m;
    struct res_run_info info = {
        .peak_rss_mb = in->peak_rss_mb, .model = bn_model_name(m), .model_file = in->model_file,
        .seed = bn_seed(m), .wall_s = in->wall_s, .compile_ms = bn_compile_ms(m),
        .kernel_wait_ms = bn_kernel_wait_ms(m),
        .kernel_cache = in->kernel_cache ? bn_kernel_cache(m) : NULL,
        .engine = m->opt.engine == BN_ENGINE_JIT ? "jit" : "interp", .threads = in->threads,
        .ranks = in->ranks > 1 ? in->ranks : 1,
        .ranks_per_point = in->ranks_per_point, .ranks_per_point_auto = in->ranks_per_point_auto, .complete = in->complete, .params_json = bn_params_json(m)};
    bool ok = res_close(f->res, &info, err, errlen);
    free(f->dir);
    free(f);
    return ok;
}

bool bn_folder_fit(const char *dir, char *err, size_t errlen) { return fit_scaling_csv(dir, err, errlen); }
bool bn_folder_plot(const char *dir, char *err, size_t errlen) { return plot_results(dir, err, errlen); }
bool bn_folder_summary(FILE *out, const char *dir) { return res_summary(out, dir); }

bool bn_folder_verdict(FILE *out, const char *dir, const char *size_axis, const char *stat)
{
    return res_verdict(out, dir, size_axis, stat);
}
