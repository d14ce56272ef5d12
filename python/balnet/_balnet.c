/*
 * _balnet.c - the CPython extension under the `balnet` package: include/balnet.h's calls as two types,
 * Model (a loaded, expanded model) and Results (the rows, spikes and timing of a finished sweep), and
 * nothing else.  The convenient API (pandas tables, numpy arrays, ModelError, the progress bar) is the
 * package's pure Python (balnet/__init__.py); this file only crosses the language boundary.  Prefix `py_`.
 *
 * A run (Model.run) releases the GIL: the sweep is scheduled on a thread of its own (bn_sched_run over
 * bn_threads), while the calling thread waits on a condition variable and wakes every 50 ms, with the GIL,
 * to deliver signals (PyErr_CheckSignals: Ctrl-C becomes KeyboardInterrupt, which calls bn_cancel and waits
 * for the workers to stop) and to call the progress callback.  Python code therefore only ever runs on the
 * thread that called run(), and the interpreter never sees a worker thread.
 *
 * What an item produced is its bn_result, kept as it is (rows, spikes, timing: the library frees the network
 * and its statistics when the item ends), so nothing is copied on the way to numpy.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "balnet.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

static PyObject *py_run_error;   /* balnet.RunError: a run that failed (not a model error) */

/* ---- Model ------------------------------------------------------------------------------------------- */

typedef struct {
    PyObject_HEAD
    bn_model *m;
    bool expanded;
    bool busy;                    /* a run is under way (from another Python thread) */
} py_model;

/* ---- Results ----------------------------------------------------------------------------------------- */

typedef struct {
    PyObject_HEAD
    int nitems;
    bn_result **items;            /* NULL: the item did not run (in this process) */
    bool *resumed;                /* the item was done in the folder before this run (run(resume=True)) */
} py_results;

static void results_dealloc(py_results *self)
{
    for (int i = 0; i < self->nitems; i++)
        bn_result_free(self->items[i]);
    free(self->items);
    free(self->resumed);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static const bn_result *results_item(py_results *self, int item)
{
    if (item < 0 || item >= self->nitems) {
        PyErr_Format(PyExc_IndexError, "item %d out of range (the sweep has %d items)", item, self->nitems);
        return NULL;
    }
    if (!self->items[item] && self->resumed[item]) {
        PyErr_Format(PyExc_LookupError, "item %d was done by the run this one resumed: its rows are in the "
                                        "folder's points.csv, its spikes and recordings were not kept", item);
        return NULL;
    }
    if (!self->items[item]) {
        PyErr_Format(PyExc_LookupError, "item %d did not run (the sweep was stopped before it)", item);
        return NULL;
    }
    return self->items[item];
}

static PyObject *results_done(py_results *self, PyObject *args)
{
    int item;
    if (!PyArg_ParseTuple(args, "i", &item))
        return NULL;
    return PyBool_FromLong(item >= 0 && item < self->nitems && self->items[item]);
}

/* resumed(item): the item was done before, by the run this one resumed */
static PyObject *results_resumed(py_results *self, PyObject *args)
{
    int item;
    if (!PyArg_ParseTuple(args, "i", &item))
        return NULL;
    return PyBool_FromLong(item >= 0 && item < self->nitems && self->resumed[item]);
}

/* The result of the item an (item,) argument tuple names; NULL with the Python error. */
static const bn_result *results_arg(py_results *self, PyObject *args)
{
    int item;
    return PyArg_ParseTuple(args, "i", &item) ? results_item(self, item) : NULL;
}

/* rows(item) -> [(population, statistic, value, unit), ...] */
static PyObject *results_rows(py_results *self, PyObject *args)
{
    const bn_result *it = results_arg(self, args);
    if (!it)
        return NULL;
    int n = bn_nrows(it);
    PyObject *list = PyList_New(n);
    for (int i = 0; list && i < n; i++) {
        const struct bn_row *r = bn_row(it, i);
        PyObject *t = Py_BuildValue("(ssds)", r->population, r->statistic, r->value, r->unit);
        if (!t) {
            Py_DECREF(list);
            return NULL;
        }
        PyList_SET_ITEM(list, i, t);
    }
    return list;
}

/* The spike populations' names (populations, then inputs), as a list. */
static PyObject *spike_populations(const bn_result *it)
{
    PyObject *pops = PyList_New(0);
    for (int i = 0; pops && bn_spike_population(it, i); i++) {
        PyObject *s = PyUnicode_FromString(bn_spike_population(it, i));
        if (!s || PyList_Append(pops, s) < 0)
            Py_CLEAR(pops);
        Py_XDECREF(s);
    }
    return pops;
}

/* info(item) -> dict: dt_ms, populations (spike population names), timing fields. */
static PyObject *results_info(py_results *self, PyObject *args)
{
    const bn_result *it = results_arg(self, args);
    PyObject *pops = it ? spike_populations(it) : NULL;
    if (!pops)
        return NULL;
    const struct bn_timing *t = bn_timing(it);
    return Py_BuildValue("{s:d,s:N,s:d,s:d,s:d,s:d,s:L,s:i,s:L,s:d}", "dt_ms", bn_result_dt(it), "populations", pops,
                         "wall_s", t->wall_s, "compile_ms", t->compile_ms, "build_ms", t->build_ms, "sim_ms",
                         t->sim_ms, "synapses", (long long)t->synapses, "threads", t->threads, "nspikes",
                         (long long)bn_nspikes(it), "kernel_wait_ms", t->kernel_wait_ms);
}

/* spikes(item, population) -> (steps: bytes of int64, neurons: bytes of uint32), in step then neuron order;
 * numpy.frombuffer makes arrays of them without another copy. */
static PyObject *results_spikes(py_results *self, PyObject *args)
{
    int item;
    const char *pop;
    if (!PyArg_ParseTuple(args, "is", &item, &pop))
        return NULL;
    const bn_result *it = results_item(self, item);
    if (!it)
        return NULL;
    int p = -1;
    for (int i = 0; bn_spike_population(it, i); i++)
        if (strcmp(bn_spike_population(it, i), pop) == 0)
            p = i;
    if (p < 0) {
        PyObject *names = spike_populations(it);
        if (names)
            PyErr_Format(PyExc_KeyError, "no population '%s' in this model (it has %R)", pop, names);
        Py_XDECREF(names);
        return NULL;
    }
    const int32_t *spop;
    const int64_t *sstep;
    const uint32_t *sneuron;
    bn_spikes(it, &spop, &sstep, &sneuron);
    int64_t n = 0, total = bn_nspikes(it);
    for (int64_t i = 0; i < total; i++)
        n += spop[i] == p;
    PyObject *steps = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)(n * (int64_t)sizeof(int64_t)));
    PyObject *ids = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)(n * (int64_t)sizeof(uint32_t)));
    if (!steps || !ids) {
        Py_XDECREF(steps);
        Py_XDECREF(ids);
        return NULL;
    }
    int64_t *s = (int64_t *)PyBytes_AS_STRING(steps);
    uint32_t *d = (uint32_t *)PyBytes_AS_STRING(ids);
    for (int64_t i = 0, k = 0; i < total; i++)
        if (spop[i] == p) {
            s[k] = sstep[i];
            d[k++] = sneuron[i];
        }
    return Py_BuildValue("(NN)", steps, ids);
}

/* traces(item) -> [{population, name, kind, columns, units, data: [bytes of float64 per column], note}] */
static PyObject *results_traces(py_results *self, PyObject *args)
{
    const bn_result *it = results_arg(self, args);
    if (!it)
        return NULL;
    int n = bn_ntraces(it);
    PyObject *list = PyList_New(n);
    for (int i = 0; list && i < n; i++) {
        const struct bn_trace *t = bn_trace(it, i);
        PyObject *cols = PyList_New(t->ncols), *units = PyList_New(t->ncols), *data = PyList_New(t->ncols);
        bool ok = cols && units && data;
        for (int c = 0; ok && c < t->ncols; c++) {
            PyObject *name = PyUnicode_FromString(t->columns[c]), *unit = PyUnicode_FromString(t->units[c]);
            PyObject *v = PyBytes_FromStringAndSize((const char *)t->data[c], (Py_ssize_t)(t->nrows * (int64_t)sizeof(double)));
            ok = name && unit && v;
            if (name)
                PyList_SET_ITEM(cols, c, name);
            if (unit)
                PyList_SET_ITEM(units, c, unit);
            if (v)
                PyList_SET_ITEM(data, c, v);
        }
        PyObject *d = ok ? Py_BuildValue("{s:s,s:s,s:s,s:O,s:O,s:O,s:z}", "population", t->population, "name", t->name,
                                         "kind", t->kind, "columns", cols, "units", units, "data", data, "note", t->note)
                         : NULL;
        Py_XDECREF(cols);
        Py_XDECREF(units);
        Py_XDECREF(data);
        if (!d) {
            Py_DECREF(list);
            return NULL;
        }
        PyList_SET_ITEM(list, i, d);
    }
    return list;
}

static PyMethodDef results_methods[] = {
    {"traces", (PyCFunction)results_traces, METH_VARARGS, "traces(item) -> the recordings as dicts of columns"},
    {"done", (PyCFunction)results_done, METH_VARARGS, "done(item): whether the item ran"},
    {"resumed", (PyCFunction)results_resumed, METH_VARARGS, "resumed(item): done by the run this one resumed"},
    {"rows", (PyCFunction)results_rows, METH_VARARGS, "rows(item) -> [(population, statistic, value, unit)]"},
    {"info", (PyCFunction)results_info, METH_VARARGS, "info(item) -> dict of dt_ms, populations, timing"},
    {"spikes", (PyCFunction)results_spikes, METH_VARARGS, "spikes(item, population) -> (steps, neurons) bytes"},
    {NULL, NULL, 0, NULL}};

static PyTypeObject py_results_type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "balnet._balnet.Results",
    .tp_basicsize = sizeof(py_results),
    .tp_dealloc = (destructor)results_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "What a sweep's items produced (rows, spikes, timing), held in memory.",
    .tp_methods = results_methods,
};

/* ---- Model: loading ---------------------------------------------------------------------------------- */

static void model_dealloc(py_model *self)
{
    bn_free(self->m);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

/* Model(path=None, text=None, name="<string>", sets=[(name, value)], seed=None, engine="jit") */
static int model_init(py_model *self, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = {"path", "text", "name", "sets", "seed", "engine", NULL};
    const char *path = NULL, *text = NULL, *name = "<string>", *engine = "jit";
    PyObject *sets = NULL, *seed = Py_None;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "|zzsOOs", kwlist, &path, &text, &name, &sets, &seed, &engine))
        return -1;
    if (self->m) {
        PyErr_SetString(PyExc_RuntimeError, "Model is already loaded");
        return -1;
    }
    if ((path == NULL) == (text == NULL)) {
        PyErr_SetString(PyExc_TypeError, "Model needs exactly one of path and text");
        return -1;
    }
    struct bn_load_options lo = {0};
    if (strcmp(engine, "jit") == 0)
        lo.engine = BN_ENGINE_JIT;
    else if (strcmp(engine, "interp") == 0)
        lo.engine = BN_ENGINE_INTERP;
    else {
        PyErr_Format(PyExc_ValueError, "engine must be 'jit' or 'interp', not '%s'", engine);
        return -1;
    }
    if (seed != Py_None) {
        unsigned long long s = PyLong_AsUnsignedLongLong(seed);
        if (PyErr_Occurred()) {
            PyErr_SetString(PyExc_ValueError, "seed must be an integer in 0 .. 2**64-1");
            return -1;
        }
        lo.has_seed = true;
        lo.seed = s;
    }
    PyObject *seq = sets && sets != Py_None ? PySequence_Fast(sets, "sets must be a sequence of (name, value)") : NULL;
    if (sets && sets != Py_None && !seq)
        return -1;
    Py_ssize_t n = seq ? PySequence_Fast_GET_SIZE(seq) : 0;
    struct bn_set *sv = calloc((size_t)n + 1, sizeof *sv);
    int rc = sv ? 0 : (PyErr_NoMemory(), -1);
    for (Py_ssize_t i = 0; rc == 0 && i < n; i++) {
        PyObject *t = PySequence_Fast_GET_ITEM(seq, i);
        if (!PyTuple_Check(t) || !PyArg_ParseTuple(t, "ss", &sv[i].name, &sv[i].value)) {
            PyErr_Clear();
            PyErr_SetString(PyExc_TypeError, "sets must hold (name, value) pairs of strings");
            rc = -1;
        }
    }
    if (rc == 0) {
        lo.sets = sv;
        lo.nsets = (int)n;
        self->m = path ? bn_load_file(path, &lo) : bn_load_string(name, text, &lo);
        if (!self->m) {
            PyErr_NoMemory();
            rc = -1;
        }
    }
    free(sv);
    Py_XDECREF(seq);
    return rc;
}

static bn_model *model_of(py_model *self)
{
    if (!self->m)
        PyErr_SetString(PyExc_RuntimeError, "Model is not loaded");
    else if (self->busy)
        PyErr_SetString(PyExc_RuntimeError, "this model is running in another thread");
    else
        return self->m;
    return NULL;
}

static PyObject *model_ok(py_model *self, PyObject *unused)
{
    bn_model *m = model_of(self);
    return m ? PyBool_FromLong(bn_ok(m)) : NULL;
}

/* diagnostics() -> [(level, file or None, line, col, message, rendered)] */
static PyObject *model_diagnostics(py_model *self, PyObject *unused)
{
    static const char *levels[] = {"error", "warning", "note"};
    bn_model *m = model_of(self);
    if (!m)
        return NULL;
    int n = bn_ndiags(m);
    PyObject *list = PyList_New(n);
    for (int i = 0; list && i < n; i++) {
        const struct bn_diag *d = bn_diag(m, i);
        PyObject *t = Py_BuildValue("(sziiss)", levels[d->level], d->file, d->line, d->col,
                                    d->message ? d->message : "", d->rendered ? d->rendered : "");
        if (!t) {
            Py_DECREF(list);
            return NULL;
        }
        PyList_SET_ITEM(list, i, t);
    }
    return list;
}

/* expand() -> "" on success, else the error message ("" with diagnostics: read diagnostics()). */
static PyObject *model_expand(py_model *self, PyObject *unused)
{
    bn_model *m = model_of(self);
    if (!m)
        return NULL;
    if (!self->expanded) {
        char err[1024] = "";
        if (!bn_expand(m, err, sizeof err))
            return Py_BuildValue("(Os)", Py_False, err);
        self->expanded = true;
    }
    return Py_BuildValue("(Os)", Py_True, "");
}

static bool need_expanded(py_model *self)
{
    if (!model_of(self))
        return false;
    if (!self->expanded)
        PyErr_SetString(PyExc_RuntimeError, "expand() the model first");
    return self->expanded;
}

/* sweep() -> {"axes": [...], "points": [[value, ...], ...], "items": [(point, trial), ...]} */
static PyObject *model_sweep(py_model *self, PyObject *unused)
{
    if (!need_expanded(self))
        return NULL;
    bn_model *m = self->m;
    int na = bn_naxes(m), np = bn_npoints(m), ni = bn_nitems(m);
    PyObject *axes = PyList_New(na), *points = PyList_New(np), *items = PyList_New(ni);
    bool ok = axes && points && items;
    for (int a = 0; ok && a < na; a++)
        ok = PyList_SetItem(axes, a, PyUnicode_FromString(bn_axis_name(m, a))) == 0;
    for (int p = 0; ok && p < np; p++) {
        PyObject *v = PyList_New(na);
        ok = v && PyList_SetItem(points, p, v) == 0;
        for (int a = 0; ok && a < na; a++)
            ok = PyList_SetItem(v, a, PyUnicode_FromString(bn_point_value(m, p, a))) == 0;
    }
    for (int i = 0; ok && i < ni; i++)
        ok = PyList_SetItem(items, i, Py_BuildValue("(ii)", bn_item_point(m, i), bn_item_trial(m, i))) == 0;
    if (!ok) {
        Py_XDECREF(axes);
        Py_XDECREF(points);
        Py_XDECREF(items);
        return NULL;
    }
    return Py_BuildValue("{s:N,s:N,s:N,s:i}", "axes", axes, "points", points, "items", items, "ntrials",
                         bn_ntrials(m));
}

static PyObject *model_info(py_model *self, PyObject *unused)
{
    bn_model *m = model_of(self);
    if (!m)
        return NULL;
    const char *params = bn_ok(m) ? bn_params_json(m) : "{}";
    return Py_BuildValue("{s:s,s:s,s:s}", "name", bn_model_name(m), "identity", bn_model_identity(m), "params",
                         params ? params : "{}");
}

/* ---- Model: running ---------------------------------------------------------------------------------- */

/* What the sweep's thread and its workers share with the waiting Python thread. */
struct py_sweep {
    bn_model *m;
    bn_sched *sched;
    bn_folder *folder;            /* NULL: no results folder */
    bn_h5 *h5;                    /* NULL: no HDF5 file written as items finish */
    bool keep_spikes;             /* in memory, after the HDF5 file has them */
    struct bn_run_options ro;
    struct bn_workers workers;
    bn_result **items;            /* each worker stores its item's result */
    int skipped;                  /* items the folder held already (resume) */
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int ndone;                    /* under lock */
    bool finished;                /* under lock: bn_sched_run returned */
};

/* bn_item_fn: run the item, write its spikes and recordings to the HDF5 file, append its rows to the folder,
 * keep its result (without its spikes unless they are wanted in memory). */
static bool sweep_item(void *ctx, int item, char *err, size_t errlen)
{
    struct py_sweep *s = ctx;
    bn_result *r = bn_run_item(s->m, item, &s->ro, err, errlen);
    if (!r)
        return false;
    bool ok = (!s->h5 || bn_h5_write(s->h5, r, err, errlen)) &&
              (!s->folder || bn_folder_append(s->folder, item, r, err, errlen));
    if (!s->keep_spikes)
        bn_result_drop_spikes(r);
    if (ok)
        s->items[item] = r;
    else
        bn_result_free(r);
    pthread_mutex_lock(&s->lock);
    s->ndone += ok;
    pthread_cond_signal(&s->cond);
    pthread_mutex_unlock(&s->lock);
    return ok;
}

static void *sweep_thread(void *ctx)
{
    struct py_sweep *s = ctx;
    bn_sched_run(s->sched, &s->workers, sweep_item, s);
    pthread_mutex_lock(&s->lock);
    s->finished = true;
    pthread_cond_signal(&s->cond);
    pthread_mutex_unlock(&s->lock);
    return NULL;
}

/* Waits for the sweep with the GIL released, waking every 50 ms for signals and progress.  Returns -1 with
 * the Python error set (KeyboardInterrupt, or the progress callback's exception): the sweep was cancelled
 * and has stopped. */
static int sweep_wait(struct py_sweep *s, int total, PyObject *progress)
{
    int reported = -1, rc = 0;
    for (;;) {
        bool finished;
        int done;
        Py_BEGIN_ALLOW_THREADS
        pthread_mutex_lock(&s->lock);
        if (!s->finished && s->ndone == reported) {
            struct timespec t;
            clock_gettime(CLOCK_REALTIME, &t);
            t.tv_nsec += 50 * 1000 * 1000;
            if (t.tv_nsec >= 1000000000L) {
                t.tv_sec++;
                t.tv_nsec -= 1000000000L;
            }
            pthread_cond_timedwait(&s->cond, &s->lock, &t);
        }
        finished = s->finished;
        done = s->ndone;
        pthread_mutex_unlock(&s->lock);
        Py_END_ALLOW_THREADS
        if (rc == 0 && done != reported && progress != Py_None) {
            PyObject *res = PyObject_CallFunction(progress, "ii", s->skipped + done, total);
            Py_XDECREF(res);
            rc = res ? 0 : -1;
        }
        reported = done;
        if (rc == 0 && PyErr_CheckSignals() != 0)
            rc = -1;
        if (rc != 0)
            bn_cancel(s->m);   /* the workers stop at their next step; keep waiting for them */
        if (finished)
            return rc;
    }
}

static double peak_rss_mb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_maxrss / 1024.0;
}

/* run(out=None, threads=1, spikes=True, progress=None, model_file="", resume=False, hdf5=None) -> Results.
 * The model must be expanded.  out: a results folder to create (points.csv, run.json, timings, traces/),
 * closed and fitted at the end; None: no folder (the rows stay in memory).  resume: out is the folder of an
 * interrupted run of the same model and overrides, whose missing items are run (`balnet run --resume`).
 * hdf5: a file to write every item's spikes and recordings to as it finishes (`--spikes FILE.h5`), marked
 * complete when every item ran.  The recordings are kept in memory either way. */
static PyObject *model_run(py_model *self, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = {"out", "threads", "spikes", "progress", "model_file", "resume", "hdf5", NULL};
    const char *out = NULL, *model_file = "", *hdf5 = NULL;
    int threads = 1, spikes = 1, resume = 0;
    PyObject *progress = Py_None;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "|zipOspz", kwlist, &out, &threads, &spikes, &progress, &model_file,
                                     &resume, &hdf5))
        return NULL;
    if (resume && !out) {
        PyErr_SetString(PyExc_ValueError, "resume needs the folder of the run to resume (out)");
        return NULL;
    }
    if (resume && hdf5) {   /* the items the earlier run did would be missing from the file, as in the CLI */
        PyErr_SetString(PyExc_ValueError, "an HDF5 file cannot be resumed (the items already done are not run "
                                          "again); resume without hdf5");
        return NULL;
    }
    if (!need_expanded(self))
        return NULL;
    if (threads < 1) {
        PyErr_Format(PyExc_ValueError, "threads must be at least 1, not %d", threads);
        return NULL;
    }
    if (progress != Py_None && !PyCallable_Check(progress)) {
        PyErr_SetString(PyExc_TypeError, "progress must be callable (done, total) or None");
        return NULL;
    }
    if (bn_cancelled(self->m)) {
        PyErr_SetString(py_run_error, "this model's run was interrupted; load it again to run it");
        return NULL;
    }
    int n = bn_nitems(self->m);
    py_results *res = PyObject_New(py_results, &py_results_type);
    if (!res)
        return NULL;
    res->nitems = n;
    res->items = calloc((size_t)n + 1, sizeof *res->items);
    res->resumed = calloc((size_t)n + 1, sizeof *res->resumed);
    if (!res->items || !res->resumed) {
        Py_DECREF(res);
        return PyErr_NoMemory();
    }
    struct py_sweep s = {.m = self->m, .items = res->items, .keep_spikes = spikes};
    char err[1024] = "";
    /* As `balnet run`: the HDF5 file first (a folder that cannot be opened leaves it empty, complete = 0). */
    if (hdf5 && !(s.h5 = bn_h5_create(hdf5, self->m, err, sizeof err))) {
        Py_DECREF(res);
        PyErr_SetString(PyExc_OSError, err);
        return NULL;
    }
    if (out && !(s.folder = bn_folder_open(out, self->m, resume, err, sizeof err))) {
        bn_h5_close(s.h5, false, NULL, 0);
        Py_DECREF(res);
        PyErr_SetString(py_run_error, err);
        return NULL;
    }
    s.sched = bn_sched_new(self->m);
    for (int i = 0; s.sched && s.folder && i < n; i++)
        if (bn_folder_has(s.folder, i)) {   /* resume: done by the run this one finishes */
            bn_sched_skip(s.sched, i);
            res->resumed[i] = true;
            s.skipped++;
        }
    /* As `balnet run`: the items left on threads, a lone item splits its network over them. */
    int todo = n - s.skipped, workers = threads < todo ? threads : todo;
    s.workers = bn_threads(workers < 1 ? 1 : workers);
    s.ro = (struct bn_run_options){.threads = todo <= 1 ? threads : 1, .trace_dir = out,
                                   .keep_spikes = spikes || s.h5, .keep_traces = true};
    pthread_mutex_init(&s.lock, NULL);
    pthread_cond_init(&s.cond, NULL);
    pthread_t th;
    int rc = -1;
    self->busy = true;
    if (!s.sched)
        PyErr_NoMemory();
    else if ((errno = pthread_create(&th, NULL, sweep_thread, &s)) != 0)
        PyErr_SetFromErrno(PyExc_OSError);
    else {
        rc = sweep_wait(&s, n, progress);
        Py_BEGIN_ALLOW_THREADS
        pthread_join(th, NULL);
        Py_END_ALLOW_THREADS
    }
    self->busy = false;
    bool failed = s.sched && bn_sched_failed(s.sched) && !bn_cancelled(self->m);
    if (rc == 0 && s.sched && bn_cancelled(self->m)) {
        PyErr_SetString(py_run_error, "interrupted");
        rc = -1;
    }
    if (rc == 0 && failed) {
        PyErr_SetString(py_run_error, bn_sched_error(s.sched));
        rc = -1;
    }
    if (s.h5) {   /* complete only when every item is in */
        bool ok;
        Py_BEGIN_ALLOW_THREADS
        ok = bn_h5_close(s.h5, rc == 0 && s.sched && !bn_sched_failed(s.sched), err, sizeof err);
        Py_END_ALLOW_THREADS
        if (!ok && rc == 0) {
            PyErr_SetString(PyExc_OSError, err);
            rc = -1;
        }
    }
    if (s.folder) {
        /* Closed either way: an interrupted run leaves points.csv with its finished items and run.json
         * saying complete: false, never a half-written file (results/results.h). */
        struct bn_run_info info = {.model_file = model_file, .wall_s = s.sched ? bn_sched_elapsed(s.sched) : 0,
                                   .peak_rss_mb = peak_rss_mb(), .threads = threads, .complete = rc == 0,
                                   .kernel_cache = true};
        PyObject *et, *ev, *tb;
        PyErr_Fetch(&et, &ev, &tb);
        bn_lock *lock = bn_folder_keep_lock(s.folder);   /* held over the fit too, as `balnet run` does */
        bool ok = bn_folder_close(s.folder, &info, err, sizeof err);
        if (ok && rc == 0)
            ok = bn_folder_fit(out, err, sizeof err);
        bn_unlock(lock);
        PyErr_Restore(et, ev, tb);
        if (!ok && rc == 0) {
            PyErr_SetString(py_run_error, err);
            rc = -1;
        }
    }
    bn_sched_free(s.sched);
    pthread_cond_destroy(&s.cond);
    pthread_mutex_destroy(&s.lock);
    if (rc != 0) {
        Py_DECREF(res);
        return NULL;
    }
    return (PyObject *)res;
}

/* save(results, out, model_file="") -> None: writes the rows of a finished in-memory run (run without out) as
 * the results folder `balnet run --out` writes, closed and fitted (scaling.csv).  The same model handle. */
static PyObject *model_save(py_model *self, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = {"results", "out", "model_file", NULL};
    py_results *res;
    const char *out, *model_file = "";
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O!s|s", kwlist, &py_results_type, &res, &out, &model_file))
        return NULL;
    if (!need_expanded(self))
        return NULL;
    if (res->nitems != bn_nitems(self->m)) {
        PyErr_SetString(PyExc_ValueError, "these results are not this model's");
        return NULL;
    }
    char err[1024] = "";
    bn_folder *f = bn_folder_open(out, self->m, false, err, sizeof err);
    bool ok = f != NULL, complete = true;
    double wall = 0;
    for (int i = 0; ok && i < res->nitems; i++) {
        const bn_result *it = res->items[i];
        complete &= it != NULL;
        wall += it ? bn_timing(it)->wall_s : 0;
        if (it)
            ok = bn_folder_append(f, i, it, err, sizeof err);
    }
    if (f) {
        struct bn_run_info info = {.model_file = model_file, .wall_s = wall, .peak_rss_mb = peak_rss_mb(),
                                   .threads = 1, .complete = ok && complete, .kernel_cache = true};
        char cerr[1024] = "";
        bn_lock *lock = bn_folder_keep_lock(f);   /* held over the fit too, as `balnet run` does */
        bool closed = bn_folder_close(f, &info, cerr, sizeof cerr);
        if (ok && !closed)
            snprintf(err, sizeof err, "%s", cerr);
        ok = ok && closed && (!complete || bn_folder_fit(out, err, sizeof err));
        bn_unlock(lock);
    }
    if (!ok) {
        PyErr_SetString(py_run_error, err);
        return NULL;
    }
    Py_RETURN_NONE;
}

/* save_hdf5(results, path) -> None: every finished item's spikes in one HDF5 file (include/balnet.h's
 * bn_h5_*, the writer of `balnet run --spikes FILE.h5`); complete = 1 when every item ran. */
static PyObject *model_save_hdf5(py_model *self, PyObject *args)
{
    py_results *res;
    const char *path;
    if (!PyArg_ParseTuple(args, "O!s", &py_results_type, &res, &path) || !need_expanded(self))
        return NULL;
    if (res->nitems != bn_nitems(self->m)) {
        PyErr_SetString(PyExc_ValueError, "these results are not this model's");
        return NULL;
    }
    char err[1024] = "";
    bool ok, complete = true;
    Py_BEGIN_ALLOW_THREADS   /* compressing 10^7 spikes takes seconds; the results are not freed meanwhile */
    bn_h5 *f = bn_h5_create(path, self->m, err, sizeof err);
    ok = f != NULL;
    for (int i = 0; ok && i < res->nitems; i++) {
        complete &= res->items[i] != NULL;
        if (res->items[i])
            ok = bn_h5_write(f, res->items[i], err, sizeof err);
    }
    char cerr[1024] = "";
    if (f && !bn_h5_close(f, ok && complete, cerr, sizeof cerr) && ok) {
        snprintf(err, sizeof err, "%s", cerr);
        ok = false;
    }
    Py_END_ALLOW_THREADS
    if (!ok) {
        PyErr_SetString(PyExc_OSError, err);
        return NULL;
    }
    Py_RETURN_NONE;
}

static PyObject *model_cancel(py_model *self, PyObject *unused)
{
    if (self->m)
        bn_cancel(self->m);   /* safe while another thread runs the model */
    Py_RETURN_NONE;
}

static PyMethodDef model_methods[] = {
    {"ok", (PyCFunction)model_ok, METH_NOARGS, "ok() -> False when the model has errors"},
    {"diagnostics", (PyCFunction)model_diagnostics, METH_NOARGS,
     "diagnostics() -> [(level, file, line, col, message, rendered)]"},
    {"expand", (PyCFunction)model_expand, METH_NOARGS, "expand() -> (ok, message): the sweep into items"},
    {"sweep", (PyCFunction)model_sweep, METH_NOARGS, "sweep() -> dict of axes, points, items, ntrials"},
    {"info", (PyCFunction)model_info, METH_NOARGS, "info() -> dict of name, identity, params (JSON text)"},
    {"run", (PyCFunction)(void (*)(void))model_run, METH_VARARGS | METH_KEYWORDS,
     "run(out=None, threads=1, spikes=True, progress=None, model_file='') -> Results"},
    {"save", (PyCFunction)(void (*)(void))model_save, METH_VARARGS | METH_KEYWORDS,
     "save(results, out, model_file='') -> None: the results folder of an in-memory run"},
    {"save_hdf5", (PyCFunction)model_save_hdf5, METH_VARARGS,
     "save_hdf5(results, path) -> None: the spikes of an in-memory run as HDF5"},
    {"cancel", (PyCFunction)model_cancel, METH_NOARGS, "cancel(): stop the running sweep (from any thread)"},
    {NULL, NULL, 0, NULL}};

static PyTypeObject py_model_type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "balnet._balnet.Model",
    .tp_basicsize = sizeof(py_model),
    .tp_dealloc = (destructor)model_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "A loaded model (include/balnet.h's bn_model).",
    .tp_methods = model_methods,
    .tp_init = (initproc)model_init,
    .tp_new = PyType_GenericNew,
};

/* ---- the module -------------------------------------------------------------------------------------- */

static PyObject *py_version(PyObject *self, PyObject *unused) { return PyUnicode_FromString(bn_version()); }
static PyObject *py_source_dir(PyObject *self, PyObject *unused) { return PyUnicode_FromString(bn_source_dir()); }

static PyObject *py_hdf5_available(PyObject *self, PyObject *unused) { return PyBool_FromLong(bn_h5_available()); }
static PyObject *py_hdf5_complete(PyObject *self, PyObject *args)
{
    const char *path;
    if (!PyArg_ParseTuple(args, "s", &path))
        return NULL;
    bool ok;
    Py_BEGIN_ALLOW_THREADS
    ok = bn_h5_complete(path);
    Py_END_ALLOW_THREADS
    return PyBool_FromLong(ok);
}

static PyMethodDef module_methods[] = {
    {"version", py_version, METH_NOARGS, "the library's version"},
    {"hdf5_available", py_hdf5_available, METH_NOARGS, "whether the library was built with libhdf5"},
    {"hdf5_complete", py_hdf5_complete, METH_VARARGS, "hdf5_complete(path): a finished balnet HDF5 file"},
    {"source_dir", py_source_dir, METH_NOARGS, "$BALNET_HOME, else the source tree (models/lib is there)"},
    {NULL, NULL, 0, NULL}};

static struct PyModuleDef module_def = {PyModuleDef_HEAD_INIT, "_balnet",
                                        "include/balnet.h for Python (see the balnet package)", -1, module_methods,
                                        NULL, NULL, NULL, NULL};

PyMODINIT_FUNC PyInit__balnet(void)
{
    if (PyType_Ready(&py_model_type) < 0 || PyType_Ready(&py_results_type) < 0)
        return NULL;
    PyObject *mod = PyModule_Create(&module_def);
    if (!mod)
        return NULL;
    py_run_error = PyErr_NewExceptionWithDoc("balnet.RunError", "a run that failed or was stopped",
                                             PyExc_RuntimeError, NULL);
    Py_INCREF(&py_model_type);
    Py_INCREF(&py_results_type);
    if (!py_run_error || PyModule_AddObject(mod, "RunError", py_run_error) < 0 ||
        PyModule_AddObject(mod, "Model", (PyObject *)&py_model_type) < 0 ||
        PyModule_AddObject(mod, "Results", (PyObject *)&py_results_type) < 0) {
        Py_DECREF(mod);
        return NULL;
    }
    Py_INCREF(py_run_error);
    return mod;
}
