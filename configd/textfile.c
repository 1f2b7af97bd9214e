/* textfile: see textfile.h. */
#include "textfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

char *textfile_read(const char *path, int *missing, rpc_status *st)
{
    *missing = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        *missing = errno == ENOENT;
        if (!*missing)
            rpc_fail(st, RPC_INTERNAL, "open %s: %s", path, strerror(errno));
        return NULL;
    }
    struct stat sb;
    if (fstat(fd, &sb) != 0 || sb.st_size > TEXTFILE_MAX) {
        close(fd);
        rpc_fail(st, RPC_INVALID_ARGUMENT, "%s is larger than %d bytes", path, TEXTFILE_MAX);
        return NULL;
    }
    char *buf = malloc((size_t)sb.st_size + 1);
    size_t got = 0;
    while (buf && got < (size_t)sb.st_size) {
        ssize_t n = read(fd, buf + got, (size_t)sb.st_size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    close(fd);
    if (buf)
        buf[got] = '\0';
    else
        rpc_fail(st, RPC_INTERNAL, "out of memory");
    return buf;
}

int textfile_write(const char *path, const char *content, rpc_status *st)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return rpc_fail(st, RPC_INTERNAL, "open %s: %s", path, strerror(errno));
    size_t len = strlen(content), off = 0;
    while (off < len) {
        ssize_t w = write(fd, content + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            break;
        off += (size_t)w;
    }
    int ok = off == len && fsync(fd) == 0;
    if (close(fd) != 0 || !ok)
        return rpc_fail(st, RPC_INTERNAL, "write %s: %s", path, strerror(errno));
    return RPC_OK;
}

