/*
 * _h5.c - spike recordings as HDF5 (libhdf5 from Debian), the binary form of `balnet run --spikes`: no cap
 * beyond disk space, chunked and compressed.  One type, _balnet.H5File, that balnet/__init__.py drives
 * (Result.save_hdf5, read_spikes_hdf5).  Prefix `h5_`.
 *
 * Layout (docs/hdf5.md):
 *   /                                attrs: format "balnet-spikes", version 1, complete (0 while written,
 *                                    1 once every dataset is in and the file is flushed), and the caller's
 *   /p<point>/t<trial>               group; attrs: point, trial, dt_ms, and each sweep axis's value (text)
 *   /p<point>/t<trial>/<population>  group; attrs: n (spikes)
 *       step    int64  [n]  time step of each spike (time = step * dt_ms), in step then neuron order
 *       neuron  uint32 [n]  index of the neuron in its population
 * Datasets are chunked (64 Ki elements: 512 KB of steps, about the size where deflate's ratio levels off),
 * byte-shuffled and deflated at level 4 (shuffle groups the slowly changing high bytes of steps and
 * indices, which is what makes them compress; level 4 is within a few % of 9's size at a fraction of its
 * time).  Empty datasets stay readable (shape [0]).
 *
 * Completeness: `complete` is written 0 when the file is created and set to 1 only by close(), after
 * H5Fflush.  A run killed while writing leaves either complete = 0 or a file HDF5 cannot open (its
 * superblock or metadata not yet flushed); readers must treat both as incomplete, never as data.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <hdf5.h>

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "_h5.h"

enum { H5_CHUNK = 1 << 16, H5_DEFLATE = 4 };

typedef struct {
    PyObject_HEAD
    hid_t file;                  /* H5I_INVALID_HID when closed */
} h5_file;

static PyObject *h5_error;       /* balnet.HDF5Error */

/* HDF5's own error stack printing is off: failures become Python exceptions with our message. */
static PyObject *h5_fail(const char *what, const char *name)
{
    PyErr_Format(h5_error, "HDF5: cannot %s %s", what, name);
    return NULL;
}

static bool h5_attr_int(hid_t obj, const char *name, long long v)
{
    hid_t sp = H5Screate(H5S_SCALAR);
    hid_t a = H5Aexists(obj, name) > 0 ? H5Aopen(obj, name, H5P_DEFAULT)
                                       : H5Acreate2(obj, name, H5T_STD_I64LE, sp, H5P_DEFAULT, H5P_DEFAULT);
    bool ok = a >= 0 && H5Awrite(a, H5T_NATIVE_LLONG, &v) >= 0;
    if (a >= 0)
        H5Aclose(a);
    H5Sclose(sp);
    return ok;
}

static bool h5_attr_double(hid_t obj, const char *name, double v)
{
    hid_t sp = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(obj, name, H5T_IEEE_F64LE, sp, H5P_DEFAULT, H5P_DEFAULT);
    bool ok = a >= 0 && H5Awrite(a, H5T_NATIVE_DOUBLE, &v) >= 0;
    if (a >= 0)
        H5Aclose(a);
    H5Sclose(sp);
    return ok;
}

static bool h5_attr_str(hid_t obj, const char *name, const char *v)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, strlen(v) + 1);
    H5Tset_cset(t, H5T_CSET_UTF8);
    hid_t sp = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(obj, name, t, sp, H5P_DEFAULT, H5P_DEFAULT);
    bool ok = a >= 0 && H5Awrite(a, t, v) >= 0;
    if (a >= 0)
        H5Aclose(a);
    H5Sclose(sp);
    H5Tclose(t);
    return ok;
}

/* Sets attributes of obj from a dict {name: int | float | str}. */
static bool h5_attrs(hid_t obj, PyObject *attrs)
{
    PyObject *k, *v;
    Py_ssize_t pos = 0;
    while (attrs && PyDict_Next(attrs, &pos, &k, &v)) {
        const char *name = PyUnicode_Check(k) ? PyUnicode_AsUTF8(k) : NULL;
        if (!name)
            return PyErr_SetString(PyExc_TypeError, "attribute names must be str"), false;
        bool ok;
        if (PyLong_Check(v) && !PyBool_Check(v)) {
            long long x = PyLong_AsLongLong(v);
            if (x == -1 && PyErr_Occurred())
                return false;
            ok = h5_attr_int(obj, name, x);
        } else if (PyFloat_Check(v))
            ok = h5_attr_double(obj, name, PyFloat_AS_DOUBLE(v));
        else if (PyUnicode_Check(v)) {
            const char *s = PyUnicode_AsUTF8(v);
            ok = s && h5_attr_str(obj, name, s);
        } else
            return PyErr_Format(PyExc_TypeError, "attribute %s: int, float or str, not %R", name, v), false;
        if (!ok)
            return h5_fail("write the attribute", name), false;
    }
    return true;
}

static void h5_dealloc(h5_file *self)
{
    if (self->file >= 0)
        H5Fclose(self->file);   /* without close(): complete stays 0 */
    Py_TYPE(self)->tp_free((PyObject *)self);
}

/* H5File(path, attrs={}): creates (truncates) path with complete = 0. */
static int h5_init(h5_file *self, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = {"path", "attrs", NULL};
    const char *path;
    PyObject *attrs = NULL;
    self->file = H5I_INVALID_HID;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "s|O!", kwlist, &path, &PyDict_Type, &attrs))
        return -1;
    self->file = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    if (self->file < 0)
        return h5_fail("create", path), -1;
    bool ok = h5_attr_str(self->file, "format", "balnet-spikes") && h5_attr_int(self->file, "version", 1) &&
              h5_attr_int(self->file, "complete", 0);
    if (!ok)
        return h5_fail("write the attributes of", path), -1;
    if (!h5_attrs(self->file, attrs))
        return -1;
    /* Make the empty, incomplete file a valid one at once: a reader then sees complete = 0. */
    H5Fflush(self->file, H5F_SCOPE_GLOBAL);
    return 0;
}

static bool h5_open(h5_file *self)
{
    if (self->file < 0)
        PyErr_SetString(h5_error, "the HDF5 file is closed");
    return self->file >= 0;
}

/* A 1-D chunked, shuffled, deflated dataset of n elements of type t under g. */
static bool h5_dataset(hid_t g, const char *name, hid_t file_type, hid_t mem_type, const void *data, hsize_t n)
{
    hsize_t dims[1] = {n}, maxdims[1] = {H5S_UNLIMITED}, chunk[1] = {H5_CHUNK};
    hid_t sp = H5Screate_simple(1, dims, maxdims);
    hid_t pl = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_chunk(pl, 1, chunk);
    H5Pset_shuffle(pl);
    H5Pset_deflate(pl, H5_DEFLATE);
    hid_t d = H5Dcreate2(g, name, file_type, sp, H5P_DEFAULT, pl, H5P_DEFAULT);
    bool ok = d >= 0 && (n == 0 || H5Dwrite(d, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) >= 0);
    if (d >= 0)
        H5Dclose(d);
    H5Pclose(pl);
    H5Sclose(sp);
    return ok;
}

/* Opens group path (a/b/c), creating what is missing. */
static hid_t h5_group(hid_t file, const char *path)
{
    hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
    H5Pset_create_intermediate_group(lcpl, 1);
    hid_t g = H5Lexists(file, path, H5P_DEFAULT) > 0 ? H5Gopen2(file, path, H5P_DEFAULT)
                                                     : H5Gcreate2(file, path, lcpl, H5P_DEFAULT, H5P_DEFAULT);
    H5Pclose(lcpl);
    return g;
}

/* group(path, attrs): creates the group (and its parents) and sets attributes. */
static PyObject *h5_group_attrs(h5_file *self, PyObject *args)
{
    const char *path;
    PyObject *attrs;
    if (!PyArg_ParseTuple(args, "sO!", &path, &PyDict_Type, &attrs) || !h5_open(self))
        return NULL;
    hid_t g = h5_group(self->file, path);
    if (g < 0)
        return h5_fail("create the group", path);
    bool ok = h5_attrs(g, attrs);
    H5Gclose(g);
    if (!ok)
        return NULL;
    Py_RETURN_NONE;
}

/* spikes(group, steps, neurons): steps a buffer of int64, neurons of uint32, the same length. */
static PyObject *h5_spikes(h5_file *self, PyObject *args)
{
    const char *path;
    Py_buffer s, n;
    if (!PyArg_ParseTuple(args, "sy*y*", &path, &s, &n))
        return NULL;
    PyObject *ret = NULL;
    Py_ssize_t k = s.len / (Py_ssize_t)sizeof(int64_t);
    if (!h5_open(self))
        ;
    else if (s.len % (Py_ssize_t)sizeof(int64_t) || n.len != k * (Py_ssize_t)sizeof(uint32_t))
        PyErr_SetString(PyExc_ValueError, "spikes: steps (int64) and neurons (uint32) must have the same length");
    else {
        hid_t g = h5_group(self->file, path);
        bool ok = g >= 0;
        Py_BEGIN_ALLOW_THREADS   /* compression of 10^7 spikes takes a second; the buffers are pinned */
        ok = ok && h5_dataset(g, "step", H5T_STD_I64LE, H5T_NATIVE_INT64, s.buf, (hsize_t)k) &&
             h5_dataset(g, "neuron", H5T_STD_U32LE, H5T_NATIVE_UINT32, n.buf, (hsize_t)k) &&
             h5_attr_int(g, "n", k);
        Py_END_ALLOW_THREADS
        if (g >= 0)
            H5Gclose(g);
        if (ok)
            ret = Py_NewRef(Py_None);
        else
            h5_fail("write the spikes of", path);
    }
    PyBuffer_Release(&s);
    PyBuffer_Release(&n);
    return ret;
}

/* close(): every dataset in, flushed, then complete = 1, flushed again, closed. */
static PyObject *h5_close(h5_file *self, PyObject *unused)
{
    if (!h5_open(self))
        return NULL;
    bool ok = H5Fflush(self->file, H5F_SCOPE_GLOBAL) >= 0 && h5_attr_int(self->file, "complete", 1) &&
              H5Fflush(self->file, H5F_SCOPE_GLOBAL) >= 0;
    ok = H5Fclose(self->file) >= 0 && ok;
    self->file = H5I_INVALID_HID;
    if (!ok)
        return h5_fail("finish", "the file");
    Py_RETURN_NONE;
}

static PyMethodDef h5_methods[] = {
    {"group", (PyCFunction)h5_group_attrs, METH_VARARGS, "group(path, attrs): create a group with attributes"},
    {"spikes", (PyCFunction)h5_spikes, METH_VARARGS, "spikes(group, steps, neurons): int64 and uint32 buffers"},
    {"close", (PyCFunction)h5_close, METH_NOARGS, "close(): mark the file complete and close it"},
    {NULL, NULL, 0, NULL}};

static PyTypeObject h5_file_type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "balnet._balnet.H5File",
    .tp_basicsize = sizeof(h5_file),
    .tp_dealloc = (destructor)h5_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "An HDF5 spike file being written (layout in docs/hdf5.md).",
    .tp_methods = h5_methods,
    .tp_init = (initproc)h5_init,
    .tp_new = PyType_GenericNew,
};

/* h5_complete(path) -> True (complete), False (incomplete: complete = 0, unreadable or not ours). */
static PyObject *h5_is_complete(PyObject *mod, PyObject *args)
{
    const char *path;
    if (!PyArg_ParseTuple(args, "s", &path))
        return NULL;
    long long complete = 0;
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f >= 0) {
        hid_t a = H5Aexists(f, "complete") > 0 ? H5Aopen(f, "complete", H5P_DEFAULT) : H5I_INVALID_HID;
        if (a < 0 || H5Aread(a, H5T_NATIVE_LLONG, &complete) < 0)
            complete = 0;
        if (a >= 0)
            H5Aclose(a);
        H5Fclose(f);
    }
    return PyBool_FromLong(complete == 1);
}

static PyMethodDef h5_module_methods[] = {
    {"h5_complete", h5_is_complete, METH_VARARGS, "h5_complete(path): a finished balnet HDF5 file"},
    {NULL, NULL, 0, NULL}};

int h5_register(PyObject *mod)
{
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);   /* no error stacks on stderr: we raise instead */
    if (PyType_Ready(&h5_file_type) < 0)
        return -1;
    h5_error = PyErr_NewExceptionWithDoc("balnet.HDF5Error", "an HDF5 file that cannot be written or read",
                                         PyExc_OSError, NULL);
    if (!h5_error)
        return -1;
    Py_INCREF(&h5_file_type);
    Py_INCREF(h5_error);
    if (PyModule_AddObject(mod, "H5File", (PyObject *)&h5_file_type) < 0 ||
        PyModule_AddObject(mod, "HDF5Error", h5_error) < 0 || PyModule_AddFunctions(mod, h5_module_methods) < 0)
        return -1;
    return 0;
}
