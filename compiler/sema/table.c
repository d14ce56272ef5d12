/*
 * table.c - one column of numbers from a CSV file, for `per_neuron("cells.csv", "g_L")` (hetero.c; issue 13
 * item 5) (`table_` prefix).
 *
 * Format (docs/language.md, Heterogeneous parameters): blank lines and lines starting with '#' are skipped;
 * the first other line is a header of comma-separated column names; every later line has as many fields,
 * each a finite number optionally followed by a unit as written after a number in a model (`10.5 nS`,
 * `2e-3 s`, `1.5`: dimensionless).  Every value of the column has one dimension.
 *
 * Owns: reading and checking the file, with "cells.csv:LINE: what is wrong" messages, values converted to the
 * internal units (units.h).  Must not: report diagnostics (the caller locates the message at the call).
 */
#include "sema/internal.h"
#include "support/util.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* [b, e) without leading and trailing blanks */
static void trim(const char **b, const char **e)
{
    while (*b < *e && isspace((unsigned char)**b))
        (*b)++;
    while (*e > *b && isspace((unsigned char)(*e)[-1]))
        (*e)--;
}

/* field number `want` (0-based) of the line [b, e), trimmed; false when the line has a field count other
 * than nfields */
static bool field(const char *b, const char *e, int want, int nfields, const char **fb, const char **fe)
{
    int k = 0;
    const char *s = b;
    *fb = *fe = b;
    for (const char *c = b;; c++) {
        if (c == e || *c == ',') {
            if (k == want) {
                *fb = s;
                *fe = c;
                trim(fb, fe);
            }
            k++;
            s = c + 1;
            if (c == e)
                break;
        }
    }
    return k == nfields;
}

bool table_column(struct arena *a, const char *path, const char *shown, const char *column, struct table_col *out,
                  char *err, size_t errlen)
{
    size_t len;
    char *text = util_read_file(path, 0, &len);
    *out = (struct table_col){0};
    if (!text) {
        snprintf(err, errlen, "cannot read %s: %s", shown, strerror(errno));
        return false;
    }
    int64_t cap = 0;
    int col = -1, nfields = 0, lineno = 0;
    bool ok = true;
    char dimbuf[64], firstbuf[64];
    for (const char *b = text, *end = text + len; ok && b < end;) {
        const char *e = memchr(b, '\n', (size_t)(end - b));
        const char *next = e ? e + 1 : end;
        if (!e)
            e = end;
        lineno++;
        const char *tb = b, *te = e;
        trim(&tb, &te);
        b = next;
        if (tb == te || *tb == '#')
            continue;
        if (col < 0 && nfields == 0) {   /* the header */
            for (const char *c = tb; c <= te; c++)
                nfields += c == te || *c == ',';
            for (int k = 0; k < nfields && col < 0; k++) {
                const char *fb = NULL, *fe = NULL;
                field(tb, te, k, nfields, &fb, &fe);
                if ((size_t)(fe - fb) == strlen(column) && !memcmp(fb, column, (size_t)(fe - fb)))
                    col = k;
            }
            if (col < 0) {
                snprintf(err, errlen, "%s:%d: no column '%s' in the header '%.*s'", shown, lineno, column,
                         (int)(te - tb), tb);
                ok = false;
            }
            continue;
        }
        const char *fb = NULL, *fe = NULL;
        if (!field(tb, te, col, nfields, &fb, &fe)) {
            snprintf(err, errlen, "%s:%d: expected %d fields as in the header", shown, lineno, nfields);
            ok = false;
            break;
        }
        char num[64];
        size_t nl = (size_t)(fe - fb) < sizeof num - 1 ? (size_t)(fe - fb) : sizeof num - 1;
        memcpy(num, fb, nl);
        num[nl] = 0;
        char *rest;
        double v = strtod(num, &rest);
        const char *ub = fb + (rest - num), *ue = fe;
        trim(&ub, &ue);
        struct ir_dim dim = unit_dimless();
        struct unit_scale sc = {1, 0};
        char why[128];
        if (rest == num || !isfinite(v)) {
            snprintf(err, errlen, "%s:%d: '%.*s' is not a finite number", shown, lineno, (int)(fe - fb), fb);
            ok = false;
        } else if (ub < ue && !unit_parse(ub, (size_t)(ue - ub), &dim, &sc, why, sizeof why)) {
            snprintf(err, errlen, "%s:%d: '%.*s': %s", shown, lineno, (int)(fe - fb), fb, why);
            ok = false;
        } else if (out->n > 0 && !unit_dim_eq(dim, out->dim)) {
            snprintf(err, errlen, "%s:%d: '%.*s' is %s, but the first value of '%s' is %s", shown, lineno,
                     (int)(fe - fb), fb, unit_dim_name(dim, dimbuf, sizeof dimbuf), column,
                     unit_dim_name(out->dim, firstbuf, sizeof firstbuf));
            ok = false;
        }
        if (!ok)
            break;
        if (out->n == cap) {
            cap = cap ? 2 * cap : 1024;
            double *nv = arena_alloc(a, sizeof *nv * (size_t)cap);
            if (out->n)
                memcpy(nv, out->v, sizeof *nv * (size_t)out->n);
            out->v = nv;
        }
        out->dim = dim;
        out->v[out->n++] = unit_apply(v, sc);
    }
    free(text);
    if (ok && col < 0) {
        snprintf(err, errlen, "%s: no header line (the column names)", shown);
        ok = false;
    }
    if (ok && out->n == 0) {
        snprintf(err, errlen, "%s: no values below the header", shown);
        ok = false;
    }
    if (!ok)
        *out = (struct table_col){0};
    return ok;
}
