/*
 * table.c - one column of numbers from a CSV file, for `per_neuron("cells.csv", "g_L")` (hetero.c; issue 13
 * item 5) and `timed("signal.csv", "I")` (`table_` prefix).
 *
 * Format (docs/language.md, Heterogeneous parameters): blank lines and lines starting with '#' are skipped;
 * the first other line is a header of comma-separated column names; every later line has as many fields,
 * each a finite number optionally followed by a unit as written after a number in a model (`10.5 nS`,
 * `2e-3 s`, `1.5`: dimensionless).  Every value of the column has one dimension.
 *
 * Owns: reading and checking the file, with "cells.csv:LINE: what is wrong" messages, values converted to the
 * internal units (units.h) (table_column, which reports nothing: the caller locates its message); and the
 * call timed("signal.csv", "column") (issue 13 item 4), a signal sampled at evenly spaced times in the
 * file's column `time`, held between samples, usable in any expression that sees t (an IR_TABLE node).
 */
#include "sema/internal.h"
#include "support/util.h"

#include <ctype.h>
#include <inttypes.h>
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

/* ---- timed("signal.csv", "column"): a signal of time (issue 13 item 4) ------------------------------- */

/* The string argument k of timed(), or NULL after an error at it. */
static const char *timed_arg(struct lctx *L, const struct ast_node *e, int k)
{
    const struct ast_node *arg = e->call.args.items[k];
    if (arg->bind.name || arg->bind.value->kind != AST_STRING) {
        diag_error(L->d, arg->span, "the %s argument of timed() must be a string, the %s", k ? "second" : "first",
                   k ? "column's name" : "CSV file's name");
        return NULL;
    }
    return arg->bind.value->string;
}

struct val table_timed(struct lctx *L, struct scope *s, struct ast_node *e)
{
    if (e->call.args.n != 2) {
        diag_error(L->d, e->span, "timed() takes 2 arguments (a file name and a column name), not %d", e->call.args.n);
        return val_bad();
    }
    const char *file = timed_arg(L, e, 0), *column = timed_arg(L, e, 1);
    if (!file || !column)
        return val_bad();
    struct binding *tb = scope_lookup(s, "t");
    if (!tb) {
        diag_error(L->d, e->span, "timed() needs the time t, which is not defined here (it is in neurons, synapses "
                   "and input rates)");
        return val_bad();
    }
    struct val t = check_binding(L, tb, e->span);
    if (!t.ir)
        return val_bad();
    const char *path = arena_path_join(L->a, L->m->dir, file);
    struct table_col tc, vc;
    char err[512], dimbuf[64];
    struct span at = e->call.args.items[0]->span;
    if (!table_column(L->a, path, file, "time", &tc, err, sizeof err) ||
        !table_column(L->a, path, file, column, &vc, err, sizeof err)) {
        diag_error(L->d, at, "%s", err);
        return val_bad();
    }
    if (!unit_dim_eq(tc.dim, unit_dim_time())) {
        diag_error(L->d, at, "%s: the column 'time' must hold times (10 ms, 0.5 s), not %s", file,
                   unit_dim_name(tc.dim, dimbuf, sizeof dimbuf));
        return val_bad();
    }
    /* uniform sampling: t_k = t_0 + k h, each within 1e-6 h (a table written with rounded decimals passes) */
    double h = tc.n >= 2 ? tc.v[1] - tc.v[0] : 0;
    if (!(h > 0)) {
        diag_error(L->d, at, "%s: timed() needs at least two rows with increasing times", file);
        return val_bad();
    }
    for (int64_t k = 2; k < tc.n; k++)
        if (fabs(tc.v[k] - (tc.v[0] + (double)k * h)) > 1e-6 * h) {
            diag_error(L->d, at, "%s: the times must be evenly spaced (every %g ms from %g ms), but row %" PRId64
                       " is at %g ms", file, h, tc.v[0], k + 1, tc.v[k]);
            return val_bad();
        }
    struct ir_table *tab = arena_alloc(L->a, sizeof *tab);
    *tab = (struct ir_table){arena_printf(L->a, "%s:%s", file, column), tc.v[0], h, vc.n, vc.v};
    struct ir_expr *x = arena_alloc(L->a, sizeof *x);
    x->op = IR_TABLE;
    x->a = t.ir;
    x->table = tab;
    return (struct val){x, vc.dim, VK_NUM, NULL};
}
