/*
 * spike_file.c - reading a spike file (format in spike_file.h).  One parser for the compiler's check and
 * the runtime's input, so a file that checks is a file that runs.
 */
#include "runtime/spike_file.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    char *e = s + strlen(s);
    while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' || e[-1] == '\n'))
        *--e = 0;
    return s;
}

/* neuron: a non-negative decimal integer. */
static bool parse_neuron(const char *s, long long *out)
{
    char *end;
    if (*s < '0' || *s > '9')
        return false;
    errno = 0;
    *out = strtoll(s, &end, 10);
    return errno == 0 && *end == 0;
}

/* time: a number, optionally followed by the unit "ms" or "s". */
static bool parse_time(const char *s, double *out)
{
    char *end;
    if (!*s)
        return false;
    *out = strtod(s, &end);
    if (end == s)
        return false;
    while (*end == ' ')
        end++;
    if (strcmp(end, "s") == 0)
        *out *= 1000.0;
    else if (*end && strcmp(end, "ms") != 0)
        return false;
    return isfinite(*out);
}

static bool push(struct rt_spike_rows *r, int64_t *cap, long long neuron, double t)
{
    if (r->n == *cap) {
        int64_t c = *cap ? 2 * *cap : 1024;
        int64_t *nv = realloc(r->neuron, (size_t)c * sizeof *nv);
        if (!nv)
            return false;
        r->neuron = nv;
        double *tv = realloc(r->time_ms, (size_t)c * sizeof *tv);
        if (!tv)
            return false;
        r->time_ms = tv;
        *cap = c;
    }
    r->neuron[r->n] = neuron;
    r->time_ms[r->n] = t;
    r->n++;
    if (neuron > r->max_neuron)
        r->max_neuron = neuron;
    return true;
}

bool rt_spikes_read(const char *path, struct rt_spike_rows *rows, char *err, size_t errlen)
{
    memset(rows, 0, sizeof *rows);
    rows->max_neuron = -1;
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
        return false;
    }
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {   /* a FIFO or /dev/zero would never end */
        snprintf(err, errlen, "%s is not a regular file", path);
        fclose(f);
        return false;
    }
    char *line = NULL;
    size_t linecap = 0;
    long lineno = 0;
    int64_t cap = 0;
    bool first = true, ok = true;
    while (ok && getline(&line, &linecap, f) >= 0) {
        lineno++;
        char *s = trim(line);
        if (!*s || *s == '#')
            continue;
        char *comma = strchr(s, ',');
        char *a = s, *b = "";
        if (comma) {
            *comma = 0;
            a = trim(s);
            b = trim(comma + 1);
        }
        long long neuron = 0;
        double t = 0;
        bool na = parse_neuron(a, &neuron), nb = comma && parse_time(b, &t);
        if (first && !na && (!comma || !nb)) {
            first = false;
            if (comma && !strcmp(a, "neuron") && !strcmp(b, "time_ms"))
                continue;
            snprintf(err, errlen, "%s:%ld: the header must be 'neuron,time_ms' (or no header: rows 'neuron,time')",
                     path, lineno);
            ok = false;
            break;
        }
        first = false;
        if (!comma)
            snprintf(err, errlen, "%s:%ld: expected 'neuron,time' (a comma between them)", path, lineno), ok = false;
        else if (!na)
            snprintf(err, errlen, "%s:%ld: neuron '%s' is not a non-negative integer", path, lineno, a), ok = false;
        else if (!nb)
            snprintf(err, errlen, "%s:%ld: time '%s' is not a number of ms (write 5, 5 ms or 0.005 s)", path, lineno,
                     b), ok = false;
        else if (t < 0)
            snprintf(err, errlen, "%s:%ld: time %g ms is negative", path, lineno, t), ok = false;
        else if (neuron > 4294967295LL)
            snprintf(err, errlen, "%s:%ld: neuron %lld is too large", path, lineno, neuron), ok = false;
        else if (!push(rows, &cap, neuron, t))
            snprintf(err, errlen, "%s: out of memory", path), ok = false;
    }
    free(line);
    fclose(f);
    if (ok && rows->n == 0) {
        snprintf(err, errlen, "%s holds no spikes (rows 'neuron,time_ms')", path);
        ok = false;
    }
    if (!ok)
        rt_spikes_free(rows);
    return ok;
}

void rt_spikes_free(struct rt_spike_rows *rows)
{
    free(rows->neuron);
    free(rows->time_ms);
    memset(rows, 0, sizeof *rows);
    rows->max_neuron = -1;
}
