/*
 * _h5.h - the HDF5 part of the _balnet extension (_h5.c): spike recordings as HDF5.  Built only when CMake
 * finds libhdf5 (BN_HAVE_HDF5); the package then offers Result.save_hdf5 and read_spikes_hdf5.
 */
#ifndef BN_PY_H5_H
#define BN_PY_H5_H

#include <Python.h>

/* Adds H5File, HDF5Error and h5_complete to the module; -1 with a Python error on failure. */
int h5_register(PyObject *mod);

#endif
