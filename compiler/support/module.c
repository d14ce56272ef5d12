/*
 * module.c - util_open_module (module.h): the candidates in order, dlopen, the reasons of every failure.
 * Owns: nothing beyond the call.  Must not: print or exit (the caller reports why).
 */
#include "module.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* dlopen of path; on failure appends dlerror's reason to why. */
static void *try_open(const char *path, int flags, char *why, size_t whylen)
{
    void *h = dlopen(path, flags);
    if (!h) {
        const char *e = dlerror();
        size_t at = strlen(why);
        snprintf(why + at, whylen - at, "%s%.1000s", at ? "; " : "", e ? e : path);
    }
    return h;
}

void *util_open_module(const char *env_var, const char *name, const char *relative, const char *installed,
                       int flags, char *why, size_t whylen)
{
    why[0] = '\0';
    const char *env = getenv(env_var);
    if (env && *env)
        return try_open(env, flags, why, whylen);
    void *h = NULL;
    char path[4096];
    ssize_t n = readlink("/proc/self/exe", path, sizeof path - 1);
    if (n > 0) {
        path[n] = '\0';
        char *slash = strrchr(path, '/');
        size_t dir = slash ? (size_t)(slash - path) + 1 : 0;
        const char *const rel[] = {name, relative};
        for (int k = 0; !h && k < 2; k++) {
            size_t len = strlen(rel[k]) + 1;
            if (len > 1 && dir + len <= sizeof path) {
                memcpy(path + dir, rel[k], len);
                if (access(path, F_OK) == 0)
                    h = try_open(path, flags, why, whylen);
            }
        }
    }
    if (!h && installed[0] && access(installed, F_OK) == 0)
        h = try_open(installed, flags, why, whylen);
    if (!h && !why[0])
        snprintf(why, whylen, "no %s next to the executable, in ../%s from it, or at %s", name,
                 relative[0] ? relative : name, installed[0] ? installed : "an install location");
    return h;
}
