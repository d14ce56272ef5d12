/*
 * srcmgr.c - the table of loaded source files; turns byte offsets into line:column.
 */
#include "support.h"
#include "util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void srcmgr_init(struct srcmgr *sm) { memset(sm, 0, sizeof *sm); }

void srcmgr_free(struct srcmgr *sm)
{
    for (int i = 0; i < sm->n; i++) {
        free((void *)sm->files[i].path);
        free((void *)sm->files[i].text);
    }
    free(sm->files);
    memset(sm, 0, sizeof *sm);
}

int srcmgr_add(struct srcmgr *sm, const char *path, const char *text, size_t len)
{
    if (sm->n == sm->cap) {
        int cap = sm->cap ? sm->cap * 2 : 8;
        struct src_file *f = realloc(sm->files, sizeof *f * (size_t)cap);
        if (!f)
            return -1;
        sm->files = f;
        sm->cap = cap;
    }
    char *p = strdup(path);
    char *t = malloc(len + 1);
    if (!p || !t) {
        free(p);
        free(t);
        return -1;
    }
    memcpy(t, text, len);
    t[len] = 0;
    sm->files[sm->n] = (struct src_file){p, t, len};
    return sm->n++;
}

int srcmgr_load(struct srcmgr *sm, const char *path)
{
    /* Model files are small; refuse absurd sizes instead of exhausting memory. */
    size_t len;
    char *buf = util_read_file(path, (size_t)256 << 20, &len);
    if (!buf)
        return -1;
    int idx = srcmgr_add(sm, path, buf, len);
    free(buf);
    return idx;
}

void srcmgr_linecol(const struct srcmgr *sm, int file, uint32_t off, int *line, int *col)
{
    const struct src_file *f = &sm->files[file];
    if (off > f->len)
        off = (uint32_t)f->len;
    int l = 1;
    uint32_t bol = 0;
    for (uint32_t i = 0; i < off; i++)
        if (f->text[i] == '\n') {
            l++;
            bol = i + 1;
        }
    *line = l;
    *col = (int)(off - bol) + 1;
}
