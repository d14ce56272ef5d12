/*
 * hdf5.c - spikes and recordings as HDF5 behind balnet.h: a model's sweep and an item's result handed to the writer of
 * results/h5.h.  Without libhdf5 at build time (BN_HAVE_HDF5 undefined) every call says so instead.
 */
#include "api/internal.h"
#include "runtime/errf.h"

#ifdef BN_HAVE_HDF5
#include "results/h5.h"
#include "runtime/table.h"

#include <stdlib.h>

struct bn_h5 {
    struct h5_file *f;
    const bn_model *m;
};

bool bn_h5_available(void) { return true; }

bn_h5 *bn_h5_create(const char *path, const bn_model *m, char *err, size_t errlen)
{
    if (!m->expanded) {
        rt_errf(err, errlen, "bn_h5_create: expand the model first");
        return NULL;
    }
    bn_h5 *h = calloc(1, sizeof *h);
    if (!h) {
        rt_errf(err, errlen, "out of memory");
        return NULL;
    }
    struct h5_head head = {bn_model_name(m), bn_model_identity(m), m->ncols, m->axis_names};
    h->m = m;
    if (!(h->f = h5_create(path, &head, err, errlen))) {
        free(h);
        return NULL;
    }
    return h;
}

bool bn_h5_write(bn_h5 *h, const bn_result *r, char *err, size_t errlen)
{
    const bn_model *m = h->m;
    int item = bn_result_item(r), point = bn_item_point(m, item);
    struct h5_item it = {.point = point, .trial = bn_item_trial(m, item), .dt_ms = bn_result_dt(r),
                         .values = m->points[point].values, .nspikes = bn_nspikes(r)};
    while (bn_spike_population(r, it.npops))
        it.npops++;
    const char **pops = calloc((size_t)it.npops + 1, sizeof *pops);
    if (!pops)
        return rt_errf(err, errlen, "out of memory");
    for (int i = 0; i < it.npops; i++)
        pops[i] = bn_spike_population(r, i);
    it.pops = pops;
    bn_spikes(r, &it.pop, &it.step, &it.neuron);
    const struct rt_tables *ts = api_result_tables(r);
    it.ntables = ts->n;
    it.tables = ts->t;
    bool ok = h5_write_item(h->f, &it, err, errlen);
    free(pops);
    return ok;
}

bool bn_h5_close(bn_h5 *h, bool complete, char *err, size_t errlen)
{
    if (!h)
        return true;
    bool ok = h5_close(h->f, complete, err, errlen);
    free(h);
    return ok;
}

bool bn_h5_complete(const char *path) { return h5_complete(path) == 1; }

#else

bool bn_h5_available(void) { return false; }

bn_h5 *bn_h5_create(const char *path, const bn_model *m, char *err, size_t errlen)
{
    rt_errf(err, errlen, "cannot write %s: this balnet was built without libhdf5 (apt-get install libhdf5-dev, "
                         "then rebuild)", path);
    return NULL;
}

bool bn_h5_write(bn_h5 *h, const bn_result *r, char *err, size_t errlen)
{
    return rt_errf(err, errlen, "this balnet was built without libhdf5");
}

bool bn_h5_close(bn_h5 *h, bool complete, char *err, size_t errlen) { return true; }
bool bn_h5_complete(const char *path) { return false; }

#endif
