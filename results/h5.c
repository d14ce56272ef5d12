/*
 * h5.c - the HDF5 writer of spikes and recordings (h5.h): one file per sweep, one group per item.  libhdf5
 * is loaded by the first h5_create or h5_complete of the process (results/h5_lib.h).
 */
#include "results/h5.h"
#include "runtime/errf.h"
#include "runtime/table.h"

#include <hdf5.h>
#include "results/h5_lib.h"   /* after <hdf5.h>: its names become calls through the loaded table */

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

enum { FILE_CHUNK = 1 << 16, FILE_DEFLATE = 4, FILE_VERSION = 2 };

struct h5_file {
    hid_t file;
    char *path;
    int naxes;
    char **axes;
};

/* libhdf5's serial build shares state between all its calls (h5.h). */
static pthread_mutex_t h5_lock = PTHREAD_MUTEX_INITIALIZER;

/* Called under h5_lock before each use: the setting belongs to the calling thread in some builds. */
static void h5_quiet(void)
{
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);   /* no error stacks on stderr: err says what failed */
}

/* A scalar attribute of file type ft from *v of memory type mt, created or overwritten. */
static bool attr_scalar(hid_t obj, const char *name, hid_t ft, hid_t mt, const void *v)
{
    hid_t sp = H5Screate(H5S_SCALAR);
    hid_t a = H5Aexists(obj, name) > 0 ? H5Aopen(obj, name, H5P_DEFAULT)
                                       : H5Acreate2(obj, name, ft, sp, H5P_DEFAULT, H5P_DEFAULT);
    bool ok = a >= 0 && H5Awrite(a, mt, v) >= 0;
    if (a >= 0)
        H5Aclose(a);
    H5Sclose(sp);
    return ok;
}

static bool attr_int(hid_t obj, const char *name, long long v)
{
    return attr_scalar(obj, name, H5T_STD_I64LE, H5T_NATIVE_LLONG, &v);
}

static bool attr_double(hid_t obj, const char *name, double v)
{
    return attr_scalar(obj, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &v);
}

/* A variable-length UTF-8 string attribute (h5py reads it as str, not bytes). */
static bool attr_str(hid_t obj, const char *name, const char *v)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, H5T_VARIABLE);
    H5Tset_cset(t, H5T_CSET_UTF8);
    hid_t sp = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(obj, name, t, sp, H5P_DEFAULT, H5P_DEFAULT);
    bool ok = a >= 0 && H5Awrite(a, t, &v) >= 0;
    if (a >= 0)
        H5Aclose(a);
    H5Sclose(sp);
    H5Tclose(t);
    return ok;
}

/* A 1-D chunked, shuffled, deflated dataset of n elements under g; empty ones stay readable (shape [0]). */
static bool dataset(hid_t g, const char *name, hid_t file_type, hid_t mem_type, const void *data, hsize_t n)
{
    hsize_t dims[1] = {n}, maxdims[1] = {H5S_UNLIMITED}, chunk[1] = {FILE_CHUNK};
    hid_t sp = H5Screate_simple(1, dims, maxdims);
    hid_t pl = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_chunk(pl, 1, chunk);
    H5Pset_shuffle(pl);
    H5Pset_deflate(pl, FILE_DEFLATE);
    hid_t d = H5Dcreate2(g, name, file_type, sp, H5P_DEFAULT, pl, H5P_DEFAULT);
    bool ok = d >= 0 && (n == 0 || H5Dwrite(d, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) >= 0);
    if (d >= 0)
        H5Dclose(d);
    H5Pclose(pl);
    H5Sclose(sp);
    return ok;
}

/* Creates group `path` (a/b/c) and its missing parents. */
static hid_t group_create(hid_t file, const char *path)
{
    hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
    H5Pset_create_intermediate_group(lcpl, 1);
    hid_t g = H5Gcreate2(file, path, lcpl, H5P_DEFAULT, H5P_DEFAULT);
    H5Pclose(lcpl);
    return g;
}

static void head_free(struct h5_file *f)
{
    for (int i = 0; i < f->naxes; i++)
        free(f->axes[i]);
    free(f->axes);
    free(f->path);
    free(f);
}

struct h5_file *h5_create(const char *path, const struct h5_head *head, char *err, size_t errlen)
{
    struct h5_file *f = calloc(1, sizeof *f);
    if (f) {
        f->path = strdup(path);
        f->axes = calloc((size_t)head->naxes + 1, sizeof *f->axes);
    }
    bool ok = f && f->path && f->axes;
    for (int i = 0; ok && i < head->naxes; i++, f->naxes++)
        ok = (f->axes[i] = strdup(head->axes[i])) != NULL;
    size_t len = 1;
    for (int i = 0; i < head->naxes; i++)
        len += strlen(head->axes[i]) + 1;
    char *joined = ok ? calloc(len, 1) : NULL;
    for (int i = 0; joined && i < head->naxes; i++) {
        if (i)
            strcat(joined, ",");
        strcat(joined, head->axes[i]);
    }
    if (!joined) {
        if (f)
            head_free(f);
        rt_errf(err, errlen, "out of memory");
        return NULL;
    }
    if (!h5_lib_load(err, errlen)) {
        head_free(f);
        free(joined);
        return NULL;
    }
    pthread_mutex_lock(&h5_lock);
    h5_quiet();
    f->file = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    ok = f->file >= 0;
    ok = ok && attr_str(f->file, "format", "balnet-spikes") && attr_int(f->file, "version", FILE_VERSION) &&
         attr_int(f->file, "complete", 0) && attr_str(f->file, "model", head->model) &&
         attr_str(f->file, "identity", head->identity) && attr_str(f->file, "axes", joined) &&
         H5Fflush(f->file, H5F_SCOPE_GLOBAL) >= 0;   /* the empty, incomplete file is a valid one at once */
    if (!ok && f->file >= 0)
        H5Fclose(f->file);
    pthread_mutex_unlock(&h5_lock);
    free(joined);
    if (!ok) {
        rt_errf(err, errlen, "cannot create the HDF5 file %s", path);
        head_free(f);
        return NULL;
    }
    return f;
}

/* One population's spikes from the item's interleaved arrays: /p/t/spikes/<name>/{step, neuron}. */
static bool write_population(hid_t g, const struct h5_item *it, int p)
{
    int64_t n = 0;
    for (int64_t i = 0; i < it->nspikes; i++)
        n += it->pop[i] == p;
    int64_t *step = malloc(sizeof *step * (size_t)(n + 1));
    uint32_t *neuron = malloc(sizeof *neuron * (size_t)(n + 1));
    bool ok = step && neuron;
    for (int64_t i = 0, k = 0; ok && i < it->nspikes; i++)
        if (it->pop[i] == p) {
            step[k] = it->step[i];
            neuron[k++] = it->neuron[i];
        }
    hid_t pg = ok ? H5Gcreate2(g, it->pops[p], H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT) : H5I_INVALID_HID;
    ok = pg >= 0 && dataset(pg, "step", H5T_STD_I64LE, H5T_NATIVE_INT64, step, (hsize_t)n) &&
         dataset(pg, "neuron", H5T_STD_U32LE, H5T_NATIVE_UINT32, neuron, (hsize_t)n) && attr_int(pg, "n", n);
    if (pg >= 0)
        H5Gclose(pg);
    free(step);
    free(neuron);
    return ok;
}

/* A dataset name from a column name: '/' would be a path separator in HDF5. */
static void dataset_name(char *out, size_t cap, const char *col)
{
    snprintf(out, cap, "%s", col);
    for (char *c = out; *c; c++)
        if (*c == '/')
            *c = '_';
}

/* One recording: /p/t/traces/<who>/<name>/<column>, a float64 dataset per column with its unit. */
static bool write_table(hid_t traces, const struct rt_table *t)
{
    char path[512], cols[512] = "", name[128];
    snprintf(path, sizeof path, "%s/%s", t->who, t->name);
    for (char *c = path; *c; c++)
        if (*c == '/' && c != path + strlen(t->who))
            *c = '_';
    hid_t g = group_create(traces, path);
    bool ok = g >= 0 && attr_str(g, "kind", t->kind) && attr_int(g, "n", t->nrows) &&
              (!t->note || attr_str(g, "note", t->note));
    for (int c = 0; ok && c < t->ncols; c++) {
        dataset_name(name, sizeof name, t->col[c]);
        snprintf(cols + strlen(cols), sizeof cols - strlen(cols), "%s%s", c ? "," : "", name);
        ok = dataset(g, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, t->v[c], (hsize_t)t->nrows);
        hid_t d = ok ? H5Dopen2(g, name, H5P_DEFAULT) : H5I_INVALID_HID;
        ok = d >= 0 && attr_str(d, "unit", t->unit[c]);
        if (d >= 0)
            H5Dclose(d);
    }
    ok = ok && attr_str(g, "columns", cols);
    if (g >= 0)
        H5Gclose(g);
    return ok;
}

static bool write_item(struct h5_file *f, const struct h5_item *it, const char *parent, const char *path)
{
    /* H5Lexists of p/t fails, rather than says no, when p is missing */
    bool again = H5Lexists(f->file, parent, H5P_DEFAULT) > 0 && H5Lexists(f->file, path, H5P_DEFAULT) > 0;
    if (again && H5Ldelete(f->file, path, H5P_DEFAULT) < 0)
        return false;
    hid_t g = group_create(f->file, path);
    bool ok = g >= 0 && attr_int(g, "point", it->point) && attr_int(g, "trial", it->trial) &&
              attr_double(g, "dt_ms", it->dt_ms);
    for (int a = 0; ok && a < f->naxes; a++) {
        char name[256];
        snprintf(name, sizeof name, "axis_%s", f->axes[a]);
        ok = attr_str(g, name, it->values[a]);
    }
    hid_t sg = ok ? H5Gcreate2(g, "spikes", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT) : H5I_INVALID_HID;
    ok = sg >= 0;
    for (int p = 0; ok && p < it->npops; p++)
        ok = write_population(sg, it, p);
    if (sg >= 0)
        H5Gclose(sg);
    hid_t tg = ok && it->ntables ? H5Gcreate2(g, "traces", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT) : H5I_INVALID_HID;
    ok = ok && (!it->ntables || tg >= 0);
    for (int i = 0; ok && i < it->ntables; i++)
        ok = write_table(tg, &it->tables[i]);
    if (tg >= 0)
        H5Gclose(tg);
    if (g >= 0)
        H5Gclose(g);
    return ok && H5Fflush(f->file, H5F_SCOPE_GLOBAL) >= 0;
}

bool h5_write_item(struct h5_file *f, const struct h5_item *it, char *err, size_t errlen)
{
    char parent[32], path[64];
    snprintf(parent, sizeof parent, "p%d", it->point);
    snprintf(path, sizeof path, "p%d/t%d", it->point, it->trial);
    pthread_mutex_lock(&h5_lock);
    h5_quiet();
    bool ok = write_item(f, it, parent, path);
    pthread_mutex_unlock(&h5_lock);
    return ok || rt_errf(err, errlen, "cannot write the spikes and recordings of point %d, trial %d to %s (disk full?)", it->point,
                         it->trial, f->path);
}

bool h5_close(struct h5_file *f, bool complete, char *err, size_t errlen)
{
    if (!f)
        return true;
    pthread_mutex_lock(&h5_lock);
    h5_quiet();
    bool ok = !complete || (H5Fflush(f->file, H5F_SCOPE_GLOBAL) >= 0 && attr_int(f->file, "complete", 1) &&
                            H5Fflush(f->file, H5F_SCOPE_GLOBAL) >= 0);
    ok = H5Fclose(f->file) >= 0 && ok;
    pthread_mutex_unlock(&h5_lock);
    if (!ok)
        rt_errf(err, errlen, "cannot finish the HDF5 file %s", f->path);
    head_free(f);
    return ok;
}

int h5_complete(const char *path)
{
    long long complete = 0;
    if (!h5_lib_load(NULL, 0))
        return 0;
    pthread_mutex_lock(&h5_lock);
    h5_quiet();
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f >= 0) {
        hid_t a = H5Aexists(f, "complete") > 0 ? H5Aopen(f, "complete", H5P_DEFAULT) : H5I_INVALID_HID;
        if (a < 0 || H5Aread(a, H5T_NATIVE_LLONG, &complete) < 0)
            complete = 0;
        if (a >= 0)
            H5Aclose(a);
        H5Fclose(f);
    }
    pthread_mutex_unlock(&h5_lock);
    return complete == 1;
}
