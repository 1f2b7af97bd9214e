/* naming: artifact name and folder checks (see naming.h). */
#include "naming.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

void naming_clean(const char *path, char *out, size_t len)
{
    if (!len)
        return;
    size_t n = strlen(path);
    char *buf = malloc(n + 2);
    if (!buf) {
        out[0] = '\0';
        return;
    }
    bool rooted = n && path[0] == '/';
    size_t w = 0, r = 0, dotdot = 0;
    if (rooted)
        buf[w++] = '/', r = 1, dotdot = 1;
    while (r < n) {
        if (path[r] == '/') {
            r++;
        } else if (path[r] == '.' && (r + 1 == n || path[r + 1] == '/')) {
            r++;
        } else if (path[r] == '.' && path[r + 1] == '.' && (r + 2 == n || path[r + 2] == '/')) {
            r += 2;
            if (w > dotdot) {
                w--;
                while (w > dotdot && buf[w] != '/')
                    w--;
            } else if (!rooted) {
                if (w > 0)
                    buf[w++] = '/';
                buf[w++] = '.';
                buf[w++] = '.';
                dotdot = w;
            }
        } else {
            if ((rooted && w != 1) || (!rooted && w != 0))
                buf[w++] = '/';
            for (; r < n && path[r] != '/'; r++)
                buf[w++] = path[r];
        }
    }
    if (w == 0)
        buf[w++] = '.';
    buf[w] = '\0';
    size_t m = w < len - 1 ? w : len - 1;
    memcpy(out, buf, m);
    out[m] = '\0';
    free(buf);
}

static bool only(const char *s, const char *extra)
{
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '_' && !strchr(extra, *s))
            return false;
    return true;
}

int naming_check_folder(const char *folder, rpc_status *st)
{
    if (!folder || !*folder)
        return RPC_OK;
    size_t n = strlen(folder) + 2;
    char *clean = malloc(n), q[4096];
    if (!clean)
        return rpc_fail(st, RPC_INTERNAL, "out of memory");
    naming_clean(folder, clean, n);
    int same = strcmp(clean, folder) == 0;
    if (!same)
        rpc_quote(q, sizeof q, clean);
    free(clean);
    if (!same)
        return rpc_fail(st, RPC_INVALID_ARGUMENT, "Specified folder in non-canonical format, canonical would be: %s.", q);
    if (folder[0] == '/')
        return rpc_fail(st, RPC_INVALID_ARGUMENT, "Folder should be a relative path (shouldn't contain leading slashes).");
    if (strcmp(folder, "..") == 0 || strncmp(folder, "../", 3) == 0)
        return rpc_fail(st, RPC_INVALID_ARGUMENT, "Specified folder refers to a parent directory.");
    if (!only(folder, ".:/-"))
        return rpc_fail(st, RPC_INVALID_ARGUMENT,
                        "Folder name can contain only dots, colons, slashes, letters, digits, underscores and dashes.");
    return RPC_OK;
}

int naming_check_name(const char *name, rpc_status *st)
{
    if (name && !only(name, ".:-"))
        return rpc_fail(st, RPC_INVALID_ARGUMENT,
                        "Backup name can contain only dots, colons, letters, digits, underscores and dashes.");
    return RPC_OK;
}
