/*
 * h5_lib.h - libhdf5 bound at run time (dlopen), for results/h5.c only: include it after <hdf5.h>.
 *
 * Why: libhdf5 pulls some forty shared libraries into the process (libcurl, gnutls, Kerberos, LDAP, ...),
 * whose loading, relocation and constructors cost every balnet process ~25 ms of CPU at start-up, more than
 * all of balnet's own fixed costs on a short run (docs/performance.md, "Single precision (issue 19)"), while
 * only runs that write an HDF5 file use it.  So balnet is not linked against it: the first HDF5 call of a
 * process loads BN_HDF5_LIB (its soname, found by CMake) and looks up the functions and global type ids
 * h5.c uses; every name below is then a macro reading that table, so h5.c is written against the ordinary
 * HDF5 API (the macros of <hdf5.h>, e.g. H5T_NATIVE_DOUBLE -> (H5open(), H5T_NATIVE_DOUBLE_g), expand into
 * these).  The #defines repeat H5_LIB_FUNCS and H5_LIB_VARS by hand (the preprocessor cannot generate them);
 * the build checks the two agree: a name missing here is an undefined symbol at link time (balnet does not
 * link libhdf5), a name missing there an unknown member.
 *
 * Owns: the table and its one-time loading.  Must not: be included anywhere but results/h5.c and
 * results/h5_lib.c, print, or exit.
 */
#ifndef BN_RESULTS_H5_LIB_H
#define BN_RESULTS_H5_LIB_H

#include <hdf5.h>

#include <stdbool.h>
#include <stddef.h>

/* X(name): the functions h5.c calls (directly, or through <hdf5.h>'s macros: H5open, H5check_version). */
#define H5_LIB_FUNCS(X)                                                                                    \
    X(H5open) X(H5check_version) X(H5Eset_auto2)                                                          \
    X(H5Fcreate) X(H5Fopen) X(H5Fflush) X(H5Fclose)                                                       \
    X(H5Gcreate2) X(H5Gclose) X(H5Lexists) X(H5Ldelete)                                                    \
    X(H5Aexists) X(H5Aopen) X(H5Acreate2) X(H5Awrite) X(H5Aread) X(H5Aclose)                               \
    X(H5Dcreate2) X(H5Dopen2) X(H5Dwrite) X(H5Dclose)                                                      \
    X(H5Screate) X(H5Screate_simple) X(H5Sclose)                                                           \
    X(H5Pcreate) X(H5Pset_chunk) X(H5Pset_shuffle) X(H5Pset_deflate) X(H5Pset_create_intermediate_group)   \
    X(H5Pclose)                                                                                            \
    X(H5Tcopy) X(H5Tset_size) X(H5Tset_cset) X(H5Tclose)
/* X(name): the library's global ids (hid_t variables, valid after H5open) behind H5T_... and H5P_... */
#define H5_LIB_VARS(X)                                                                                     \
    X(H5T_C_S1_g) X(H5T_IEEE_F64LE_g) X(H5T_NATIVE_DOUBLE_g) X(H5T_NATIVE_INT64_g) X(H5T_NATIVE_LLONG_g)   \
    X(H5T_NATIVE_UINT32_g) X(H5T_STD_I64LE_g) X(H5T_STD_U32LE_g) X(H5P_CLS_DATASET_CREATE_ID_g)            \
    X(H5P_CLS_LINK_CREATE_ID_g)

struct h5_lib {
#define X(name) __typeof__(name) *p_##name;
    H5_LIB_FUNCS(X)
#undef X
#define X(name) hid_t *p_##name;
    H5_LIB_VARS(X)
#undef X
};
extern struct h5_lib h5_lib;

/* Loads libhdf5 and fills h5_lib, once per process (later calls return the first one's result).  False,
 * with the reason in err (library not found, a symbol missing), when HDF5 cannot be used. */
bool h5_lib_load(char *err, size_t errlen);

#ifndef BN_H5_LIB_IMPL
#define H5_LIB_REF(name) (*h5_lib.p_##name)
#define H5open H5_LIB_REF(H5open)
#define H5check_version H5_LIB_REF(H5check_version)
#define H5Eset_auto2 H5_LIB_REF(H5Eset_auto2)
#define H5Fcreate H5_LIB_REF(H5Fcreate)
#define H5Fopen H5_LIB_REF(H5Fopen)
#define H5Fflush H5_LIB_REF(H5Fflush)
#define H5Fclose H5_LIB_REF(H5Fclose)
#define H5Gcreate2 H5_LIB_REF(H5Gcreate2)
#define H5Gclose H5_LIB_REF(H5Gclose)
#define H5Lexists H5_LIB_REF(H5Lexists)
#define H5Ldelete H5_LIB_REF(H5Ldelete)
#define H5Aexists H5_LIB_REF(H5Aexists)
#define H5Aopen H5_LIB_REF(H5Aopen)
#define H5Acreate2 H5_LIB_REF(H5Acreate2)
#define H5Awrite H5_LIB_REF(H5Awrite)
#define H5Aread H5_LIB_REF(H5Aread)
#define H5Aclose H5_LIB_REF(H5Aclose)
#define H5Dcreate2 H5_LIB_REF(H5Dcreate2)
#define H5Dopen2 H5_LIB_REF(H5Dopen2)
#define H5Dwrite H5_LIB_REF(H5Dwrite)
#define H5Dclose H5_LIB_REF(H5Dclose)
#define H5Screate H5_LIB_REF(H5Screate)
#define H5Screate_simple H5_LIB_REF(H5Screate_simple)
#define H5Sclose H5_LIB_REF(H5Sclose)
#define H5Pcreate H5_LIB_REF(H5Pcreate)
#define H5Pset_chunk H5_LIB_REF(H5Pset_chunk)
#define H5Pset_shuffle H5_LIB_REF(H5Pset_shuffle)
#define H5Pset_deflate H5_LIB_REF(H5Pset_deflate)
#define H5Pset_create_intermediate_group H5_LIB_REF(H5Pset_create_intermediate_group)
#define H5Pclose H5_LIB_REF(H5Pclose)
#define H5Tcopy H5_LIB_REF(H5Tcopy)
#define H5Tset_size H5_LIB_REF(H5Tset_size)
#define H5Tset_cset H5_LIB_REF(H5Tset_cset)
#define H5Tclose H5_LIB_REF(H5Tclose)
#define H5T_C_S1_g H5_LIB_REF(H5T_C_S1_g)
#define H5T_IEEE_F64LE_g H5_LIB_REF(H5T_IEEE_F64LE_g)
#define H5T_NATIVE_DOUBLE_g H5_LIB_REF(H5T_NATIVE_DOUBLE_g)
#define H5T_NATIVE_INT64_g H5_LIB_REF(H5T_NATIVE_INT64_g)
#define H5T_NATIVE_LLONG_g H5_LIB_REF(H5T_NATIVE_LLONG_g)
#define H5T_NATIVE_UINT32_g H5_LIB_REF(H5T_NATIVE_UINT32_g)
#define H5T_STD_I64LE_g H5_LIB_REF(H5T_STD_I64LE_g)
#define H5T_STD_U32LE_g H5_LIB_REF(H5T_STD_U32LE_g)
#define H5P_CLS_DATASET_CREATE_ID_g H5_LIB_REF(H5P_CLS_DATASET_CREATE_ID_g)
#define H5P_CLS_LINK_CREATE_ID_g H5_LIB_REF(H5P_CLS_LINK_CREATE_ID_g)
#endif

#endif
