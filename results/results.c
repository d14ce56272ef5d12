/*
 * results.c - writing the results folder crash-safely (results.h): points.csv appends, resume with torn
 * line repair, timings.csv, run.json, and the end-of-sweep rewrite.
 *
 * Owns: file descriptors and the done set of one folder.  Must not: print, exit, or interpret statistics.
 *
 * Crash model: the process may die at any instant (Ctrl-C twice, OOM killer, power loss after fsync).
 * One write() of a whole block then fsync() means a reader finds complete blocks followed by at most one
 * block whose last line is torn; a block that was cut short can only be the last one, and it is
 * recognised by its torn last line.  Replaces are tmp + fsync + rename (POSIX rename is atomic).
 */
#include "runtime/errf.h"
#include "results/lock.h"
#include "results/results.h"
#include "compiler/support/util.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef BN_VERSION
#define BN_VERSION "unknown"
#endif

struct done {
    int point, trial;
};

struct res {
    char *dir;
    char *hash;
    char **axes;
    int naxes;
    int fd;                    /* points.csv, O_APPEND */
    struct done *done;
    int ndone, capdone;
    pthread_mutex_t lock;
    struct lock *dirlock;      /* the folder's lock (results/lock.h), held from res_open to res_free */
    bool lock_kept;            /* res_keep_lock: the caller releases it */
    char note[1024];           /* what res_note reports: a stale lock taken over, or "" */
};

/* mkdir -p */
static bool mkdirs(const char *dir, char *err, size_t errlen)
{
    if (util_mkdirs(dir, 0777))
        return true;
    if (errno == ENOTDIR)
        return rt_errf(err, errlen, "%s is not a directory", dir);
    return rt_errf(err, errlen, "cannot create %s: %s", dir, strerror(errno));
}

/* Writes DIR/name atomically (util_write_atomic). */
static bool write_atomic(const char *dir, const char *name, const char *data, size_t n, char *err, size_t errlen)
{
    char *dst = util_path_join(dir, name);
    if (!dst)
        return rt_errf(err, errlen, "out of memory");
    bool ok = util_write_atomic(dst, data, n) || rt_errf(err, errlen, "cannot write %s: %s", dst, strerror(errno));
    free(dst);
    return ok;
}

/* %.17g round-trips every finite double; NaN and infinities get one spelling each. */
static void sb_num(struct strbuf *b, double v)
{
    if (isnan(v))
        sb_puts(b, "nan");
    else if (isinf(v))
        sb_puts(b, v > 0 ? "inf" : "-inf");
    else
        sb_printf(b, "%.17g", v);
}

static void sb_json_num(struct strbuf *b, double v)
{
    if (isfinite(v))
        sb_printf(b, "%.17g", v);
    else
        sb_puts(b, "null");   /* JSON has no NaN */
}

/* ---- the done set ------------------------------------------------------------------------------- */

static void mark_done(struct res *r, int point, int trial)
{
    if (res_is_done(r, point, trial))
        return;
    if (r->ndone == r->capdone) {
        int cap = r->capdone ? 2 * r->capdone : 64;
        struct done *nd = realloc(r->done, sizeof *nd * (size_t)cap);
        if (!nd)
            return;   /* the item will be run again: slower, never wrong */
        r->done = nd;
        r->capdone = cap;
    }
    r->done[r->ndone++] = (struct done){point, trial};
}

const char *res_note(const struct res *r) { return r->note[0] ? r->note : NULL; }

struct lock *res_keep_lock(struct res *r)
{
    r->lock_kept = true;
    return r->dirlock;
}

bool res_is_done(const struct res *r, int point, int trial)
{
    for (int i = 0; i < r->ndone; i++)
        if (r->done[i].point == point && r->done[i].trial == trial)
            return true;
    return false;
}

int res_ndone(const struct res *r) { return r->ndone; }

/* ---- open --------------------------------------------------------------------------------------- */

static void header_line(struct strbuf *b, const char *const *axes, int naxes)
{
    sb_puts(b, "point");
    for (int a = 0; a < naxes; a++) {
        sb_puts(b, ",");
        sb_csv(b, axes[a]);
    }
    sb_puts(b, ",trial,population,statistic,value,unit\n");
}

/* The "model_hash" string of a run.json (written by us, so a flat scan suffices). */
static char *json_get_string(const char *json, const char *key)
{
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\"", key);
    const char *p = strstr(json, pat);
    if (!p)
        return NULL;
    p += strlen(pat);
    while (*p == ' ' || *p == ':' || *p == '\t' || *p == '\n')
        p++;
    if (*p != '"')
        return NULL;
    const char *e = strchr(++p, '"');
    return e ? strndup(p, (size_t)(e - p)) : NULL;
}

/* Length of the key "point,<axes>,trial," of a line (the first naxes + 2 fields, unquoted fields assumed
 * for point and trial; axis fields may be quoted). */
static size_t key_len(const char *line, size_t n, int naxes)
{
    int fields = 0;
    bool q = false;
    for (size_t i = 0; i < n; i++) {
        if (line[i] == '"')
            q = !q;
        else if (line[i] == ',' && !q && ++fields == naxes + 2)
            return i + 1;
    }
    return n;
}

/* Parses point and trial of one complete line; false for the header or garbage. */
static bool line_item(const char *line, size_t n, int naxes, int *point, int *trial)
{
    char *end;
    long p = strtol(line, &end, 10);
    if (end == line || *end != ',')
        return false;
    size_t k = key_len(line, n, naxes);
    /* the trial is the field just before the key's end */
    size_t b = k >= 2 ? k - 2 : 0;
    while (b > 0 && line[b - 1] != ',')
        b--;
    long t = strtol(line + b, &end, 10);
    if (end == line + b || *end != ',')
        return false;
    *point = (int)p;
    *trial = (int)t;
    return true;
}

/* Resume: validates the header, repairs a torn tail, loads the done set. */
static bool resume_points(struct res *r, const char *path, char *err, size_t errlen)
{
    size_t len;
    char *text = util_read_file(path, 0, &len);
    if (!text)
        return rt_errf(err, errlen, "cannot read %s: %s", path, strerror(errno));
    struct strbuf h = {0};
    header_line(&h, (const char *const *)r->axes, r->naxes);
    bool ok = true;
    char *nl = memchr(text, '\n', len);
    if (h.oom || !nl || (size_t)(nl - text + 1) != h.n || memcmp(text, h.p, h.n) != 0) {
        if (!nl) {
            /* even the header is torn: nothing was recorded, start the file again */
            ok = write_atomic(r->dir, "points.csv", h.p, h.n, err, errlen);
            free(text);
            free(h.p);
            return ok;
        }
        *nl = 0;
        ok = rt_errf(err, errlen, "results in %s have the columns \"%s\", this sweep writes \"%.*s\"", r->dir, text,
                  h.n ? (int)h.n - 1 : 0, h.p ? h.p : "");
        free(text);
        free(h.p);
        return ok;
    }
    size_t keep = len;
    if (len > 0 && text[len - 1] != '\n') {
        /* Torn tail.  Cut the partial line; if it may belong to the block of the last complete line (its
         * text agrees with that line's key as far as it goes), that block is incomplete: cut it too. */
        size_t start = len;
        while (start > 0 && text[start - 1] != '\n')
            start--;
        keep = start;
        const char *part = text + start;
        size_t plen = len - start;
        if (keep > h.n) {
            size_t ls = keep - 1;
            while (ls > 0 && text[ls - 1] != '\n')
                ls--;
            const char *key = text + ls;
            size_t kl = key_len(key, keep - 1 - ls, r->naxes);
            if (memcmp(part, key, plen < kl ? plen : kl) == 0) {
                /* drop the last complete line and every earlier line of the same block */
                keep = ls;
                while (keep > h.n) {
                    size_t ps = keep - 1;
                    while (ps > 0 && text[ps - 1] != '\n')
                        ps--;
                    if (key_len(text + ps, keep - 1 - ps, r->naxes) != kl || memcmp(text + ps, key, kl) != 0)
                        break;
                    keep = ps;
                }
            }
        }
        if (truncate(path, (off_t)keep) != 0) {
            ok = rt_errf(err, errlen, "cannot repair %s: %s", path, strerror(errno));
            free(text);
            free(h.p);
            return ok;
        }
    }
    for (size_t i = h.n; i < keep;) {
        char *e = memchr(text + i, '\n', keep - i);
        size_t n = (size_t)(e - (text + i));
        int point, trial;
        if (line_item(text + i, n, r->naxes, &point, &trial))
            mark_done(r, point, trial);
        i += n + 1;
    }
    free(text);
    free(h.p);
    return true;
}

static void res_free(struct res *r)
{
    if (!r)
        return;
    if (r->fd >= 0)
        close(r->fd);
    if (!r->lock_kept)
        lock_release(r->dirlock);
    for (int a = 0; r->axes && a < r->naxes; a++)
        free(r->axes[a]);
    free(r->axes);
    free(r->done);
    free(r->dir);
    free(r->hash);
    pthread_mutex_destroy(&r->lock);
    free(r);
}

struct res *res_open(const char *dir, const char *model_hash, const char *const *axes, int naxes, bool resume,
                     char *err, size_t errlen)
{
    if (!mkdirs(dir, err, errlen))
        return NULL;
    struct res *r = calloc(1, sizeof *r);
    if (!r) {
        rt_errf(err, errlen, "out of memory");
        return NULL;
    }
    r->fd = -1;
    pthread_mutex_init(&r->lock, NULL);
    r->dir = strdup(dir);
    r->hash = strdup(model_hash ? model_hash : "");
    r->naxes = naxes;
    r->axes = calloc((size_t)(naxes ? naxes : 1), sizeof *r->axes);
    if (!r->dir || !r->hash || !r->axes)
        goto oom;
    /* Before anything in the folder is read or written: a folder another run is writing is refused here,
     * untouched. */
    if (!(r->dirlock = lock_take(dir, r->note, sizeof r->note, err, errlen))) {
        res_free(r);
        return NULL;
    }
    for (int a = 0; a < naxes; a++)
        if (!(r->axes[a] = strdup(axes[a])))
            goto oom;
    char *path = util_path_join(dir, "points.csv");
    if (!path)
        goto oom;
    struct stat st;
    bool exists = stat(path, &st) == 0;
    if (exists && !resume) {
        rt_errf(err, errlen, "%s already holds results (points.csv); use --resume to finish them, or another --out",
             dir);
        goto fail_path;
    }
    if (exists) {
        char *jpath = util_path_join(dir, "run.json");
        size_t jlen;
        char *json = jpath ? util_read_file(jpath, 0, &jlen) : NULL;
        char *old = json ? json_get_string(json, "model_hash") : NULL;
        free(jpath);
        free(json);
        if (!old) {
            rt_errf(err, errlen, "cannot resume %s: run.json with the model hash is missing", dir);
            goto fail_path;
        }
        if (strcmp(old, r->hash) != 0) {
            rt_errf(err, errlen, "results in %s come from a different model (hash %s, this model %s)", dir, old,
                 r->hash);
            free(old);
            goto fail_path;
        }
        free(old);
        if (!resume_points(r, path, err, errlen))
            goto fail_path;
    } else {
        struct strbuf h = {0};
        header_line(&h, axes, naxes);
        bool ok = h.oom ? rt_errf(err, errlen, "out of memory") : write_atomic(dir, "points.csv", h.p, h.n, err, errlen);
        free(h.p);
        struct res_run_info info = {.complete = false};
        if (!ok || !res_write_json(dir, r->hash, axes, naxes, &info, err, errlen))
            goto fail_path;
    }
    r->fd = open(path, O_WRONLY | O_APPEND);
    if (r->fd < 0) {
        rt_errf(err, errlen, "cannot open %s: %s", path, strerror(errno));
        goto fail_path;
    }
    free(path);
    return r;
fail_path:
    free(path);
    res_free(r);
    return NULL;
oom:
    rt_errf(err, errlen, "out of memory");
    res_free(r);
    return NULL;
}

/* ---- append ------------------------------------------------------------------------------------- */

static bool append_timing(struct res *r, int point, int trial, const struct res_timing *tm)
{
    char *path = util_path_join(r->dir, "timings.csv");
    if (!path)
        return false;
    struct stat st;
    bool fresh = stat(path, &st) != 0 || st.st_size == 0;
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT, 0666);
    free(path);
    if (fd < 0)
        return false;
    struct strbuf b = {0};
    if (fresh)
        sb_puts(&b, "point,trial,wall_s,compile_ms,build_ms,sim_ms,synapses,threads,kernel_wait_ms\n");
    sb_printf(&b, "%d,%d,", point, trial);
    sb_num(&b, tm->wall_s);
    sb_puts(&b, ",");
    sb_num(&b, tm->compile_ms);
    sb_puts(&b, ",");
    sb_num(&b, tm->build_ms);
    sb_puts(&b, ",");
    sb_num(&b, tm->sim_ms);
    sb_printf(&b, ",%lld,%d,", (long long)tm->synapses, tm->threads);   /* new columns go last: scripts cut -f8 */
    sb_num(&b, tm->kernel_wait_ms);
    sb_puts(&b, "\n");
    bool ok = !b.oom && util_write_full(fd, b.p, b.n);
    close(fd);   /* timings are informative: no fsync, and a torn line is skipped when read */
    free(b.p);
    return ok;
}

bool res_append_point(struct res *r, int point, const char *const *axis_values, int trial,
                      const struct stat_row *rows, int nrows, const struct res_timing *tm, char *err,
                      size_t errlen)
{
    struct strbuf b = {0};
    for (int i = 0; i < nrows; i++) {
        sb_printf(&b, "%d", point);
        for (int a = 0; a < r->naxes; a++) {
            sb_puts(&b, ",");
            sb_csv(&b, axis_values[a]);
        }
        sb_printf(&b, ",%d,", trial);
        sb_csv(&b, rows[i].population);
        sb_puts(&b, ",");
        sb_csv(&b, rows[i].statistic);
        sb_puts(&b, ",");
        sb_num(&b, rows[i].value);
        sb_puts(&b, ",");
        sb_csv(&b, rows[i].unit);
        sb_puts(&b, "\n");
    }
    if (b.oom) {
        free(b.p);
        return rt_errf(err, errlen, "out of memory writing point %d trial %d", point, trial);
    }
    pthread_mutex_lock(&r->lock);
    bool ok = lock_check(r->dirlock, err, errlen);
    struct stat st;
    off_t before = fstat(r->fd, &st) == 0 ? st.st_size : -1;
    if (ok && b.n && (!util_write_full(r->fd, b.p, b.n) || fsync(r->fd) != 0)) {
        int e = errno;
        if (before >= 0 && ftruncate(r->fd, before) == 0)
            fsync(r->fd);   /* the block is gone entirely rather than torn */
        ok = rt_errf(err, errlen, "cannot write %s/points.csv: %s", r->dir, strerror(e));
    }
    if (ok) {
        mark_done(r, point, trial);
        if (tm)
            append_timing(r, point, trial, tm);
    }
    pthread_mutex_unlock(&r->lock);
    free(b.p);
    return ok;
}

/* ---- run.json ----------------------------------------------------------------------------------- */

static void host_json(struct strbuf *b)
{
    char host[256] = "";
    if (gethostname(host, sizeof host - 1) != 0)
        host[0] = 0;
    char cpu[256] = "";
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (f) {
        char line[512];
        while (fgets(line, sizeof line, f))
            if (strncmp(line, "model name", 10) == 0) {
                char *c = strchr(line, ':');
                if (c) {
                    c++;
                    while (*c == ' ' || *c == '\t')
                        c++;
                    snprintf(cpu, sizeof cpu, "%s", c);
                    cpu[strcspn(cpu, "\n")] = 0;
                }
                break;
            }
        fclose(f);
    }
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    sb_puts(b, "  \"host\": {\"hostname\": ");
    sb_json_str(b, host);
    sb_puts(b, ", \"cpu\": ");
    sb_json_str(b, cpu);
    sb_printf(b, ", \"cores\": %ld},\n", cores);
}

/* The items of timings.csv as a JSON array. */
static void items_json(struct strbuf *b, const char *dir)
{
    char *path = util_path_join(dir, "timings.csv");
    size_t len = 0;
    char *text = path ? util_read_file(path, 0, &len) : NULL;
    free(path);
    sb_puts(b, "  \"items\": [");
    bool first = true;
    if (text) {
        char *save = NULL;
        for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
            int p, t;
            double w, c, bm, s;
            long long syn;
            int th = 1;
            double kw = NAN;   /* a folder begun before the column existed: null */
            if (sscanf(line, "%d,%d,%lf,%lf,%lf,%lf,%lld,%d,%lf", &p, &t, &w, &c, &bm, &s, &syn, &th, &kw) < 7)
                continue;   /* header or a torn line */
            sb_printf(b, "%s\n    {\"point\": %d, \"trial\": %d, \"wall_s\": ", first ? "" : ",", p, t);
            sb_json_num(b, w);
            sb_puts(b, ", \"compile_ms\": ");
            sb_json_num(b, c);
            sb_puts(b, ", \"build_ms\": ");
            sb_json_num(b, bm);
            sb_puts(b, ", \"sim_ms\": ");
            sb_json_num(b, s);
            sb_printf(b, ", \"synapses\": %lld, \"threads\": %d, \"kernel_wait_ms\": ", syn, th);
            sb_json_num(b, kw);
            sb_puts(b, "}");
            first = false;
        }
    }
    free(text);
    sb_puts(b, first ? "]\n" : "\n  ]\n");
}

bool res_write_json(const char *dir, const char *model_hash, const char *const *axes, int naxes,
                    const struct res_run_info *info, char *err, size_t errlen)
{
    struct strbuf b = {0};
    sb_puts(&b, "{\n  \"model_hash\": ");
    sb_json_str(&b, model_hash);
    sb_puts(&b, ",\n  \"balnet_version\": ");
    sb_json_str(&b, BN_VERSION);
    sb_puts(&b, ",\n  \"model\": ");
    sb_json_str(&b, info->model ? info->model : "");
    sb_puts(&b, ",\n  \"model_file\": ");
    sb_json_str(&b, info->model_file ? info->model_file : "");
    sb_printf(&b, ",\n  \"complete\": %s,\n  \"engine\": ", info->complete ? "true" : "false");
    sb_json_str(&b, info->engine ? info->engine : "");
    sb_printf(&b, ",\n  \"threads\": %d,\n  \"ranks\": %d,\n  \"seed\": %llu,\n  \"wall_s\": ", info->threads,
              info->ranks > 1 ? info->ranks : 1, (unsigned long long)info->seed);
    sb_json_num(&b, info->wall_s);
    sb_printf(&b, ",\n  \"ranks_per_point\": %d,\n  \"ranks_per_point_auto\": %s",
              info->ranks_per_point > 1 ? info->ranks_per_point : 1, info->ranks_per_point_auto ? "true" : "false");
    sb_puts(&b, ",\n  \"compile_ms\": ");
    sb_json_num(&b, info->compile_ms);
    sb_puts(&b, ",\n  \"kernel_wait_ms\": ");
    sb_json_num(&b, info->kernel_wait_ms);
    if (info->kernel_cache) {
        sb_puts(&b, ",\n  \"kernel_cache\": ");
        sb_json_str(&b, info->kernel_cache);
    }
    sb_puts(&b, ",\n  \"peak_rss_mb\": ");
    sb_json_num(&b, info->peak_rss_mb);
    sb_puts(&b, ",\n  \"axes\": [");
    for (int a = 0; a < naxes; a++) {
        if (a)
            sb_puts(&b, ", ");
        sb_json_str(&b, axes[a]);
    }
    sb_puts(&b, "],\n  \"params\": ");
    sb_puts(&b, info->params_json && *info->params_json ? info->params_json : "{}");
    sb_puts(&b, ",\n");
    host_json(&b);
    items_json(&b, dir);
    sb_puts(&b, "}\n");
    bool ok = !b.oom ? write_atomic(dir, "run.json", b.p, b.n, err, errlen) : rt_errf(err, errlen, "out of memory");
    free(b.p);
    return ok;
}

/* ---- close -------------------------------------------------------------------------------------- */

struct line_ref {
    int point, trial;
    size_t idx, off, len;
};
static int cmp_line(const void *a, const void *b)
{
    const struct line_ref *x = a, *y = b;
    if (x->point != y->point)
        return x->point < y->point ? -1 : 1;
    if (x->trial != y->trial)
        return x->trial < y->trial ? -1 : 1;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* Rows were appended in completion order; sorting by (point, trial), stable within a block, makes the
 * file identical for any thread count. */
static bool sort_points(struct res *r, char *err, size_t errlen)
{
    char *path = util_path_join(r->dir, "points.csv");
    size_t len = 0;
    char *text = path ? util_read_file(path, 0, &len) : NULL;
    free(path);
    if (!text)
        return rt_errf(err, errlen, "cannot read %s/points.csv: %s", r->dir, strerror(errno));
    size_t nlines = 0;
    for (size_t i = 0; i < len; i++)
        nlines += text[i] == '\n';
    struct line_ref *lines = malloc(sizeof *lines * (nlines + 1));
    char *hdr_end = memchr(text, '\n', len);
    if (!lines || !hdr_end) {
        free(lines);
        free(text);
        return rt_errf(err, errlen, "cannot sort %s/points.csv: %s", r->dir, !lines ? "out of memory" : "no header");
    }
    size_t n = 0, hdr = (size_t)(hdr_end - text) + 1;
    for (size_t i = hdr; i < len;) {
        char *e = memchr(text + i, '\n', len - i);
        if (!e)
            break;
        size_t l = (size_t)(e - (text + i)) + 1;
        struct line_ref lr = {0, 0, n, i, l};
        if (line_item(text + i, l - 1, r->naxes, &lr.point, &lr.trial))
            lines[n++] = lr;
        i += l;
    }
    qsort(lines, n, sizeof *lines, cmp_line);
    struct strbuf b = {0};
    sb_add(&b, text, hdr);
    for (size_t k = 0; k < n; k++)
        sb_add(&b, text + lines[k].off, lines[k].len);
    bool ok = !b.oom && write_atomic(r->dir, "points.csv", b.p, b.n, err, errlen);
    if (b.oom)
        rt_errf(err, errlen, "out of memory");
    free(b.p);
    free(lines);
    free(text);
    return ok;
}

bool res_close(struct res *r, const struct res_run_info *info, char *err, size_t errlen)
{
    if (!r)
        return rt_errf(err, errlen, "no results folder");
    if (r->fd >= 0) {
        fsync(r->fd);
        close(r->fd);
        r->fd = -1;
    }
    /* A run that lost its folder to another (lock.h) leaves the final files to that one. */
    bool good = lock_check(r->dirlock, err, errlen) && sort_points(r, err, errlen);
    struct res_run_info none = {0};
    good = good && res_write_json(r->dir, r->hash, (const char *const *)r->axes, r->naxes, info ? info : &none,
                                  err, errlen);
    res_free(r);
    return good;
}
