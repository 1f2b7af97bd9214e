/* spool: the on-disk FIFO of unsent requests (see spool.h). */
#include "spool.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fdio.h"
#include "log.h"

typedef struct {
    uint64_t seq;
    size_t size;
} entry;

struct spool {
    char *dir;
    size_t max_bytes, max_files;
    entry *ring; /* oldest at head */
    size_t cap, head, n, bytes;
    uint64_t next_seq;
};

static void path_of(const spool *s, uint64_t seq, char *out, size_t n)
{
    snprintf(out, n, "%s/%020" PRIu64 ".pb", s->dir, seq);
}

static int ring_push(spool *s, uint64_t seq, size_t size)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        entry *r = malloc(cap * sizeof *r);
        if (!r)
            return -1;
        for (size_t i = 0; i < s->n; i++)
            r[i] = s->ring[(s->head + i) % s->cap];
        free(s->ring);
        s->ring = r;
        s->cap = cap;
        s->head = 0;
    }
    s->ring[(s->head + s->n) % s->cap] = (entry){ seq, size };
    s->n++;
    s->bytes += size;
    return 0;
}

static int by_seq(const void *a, const void *b)
{
    uint64_t x = ((const entry *)a)->seq, y = ((const entry *)b)->seq;
    return x < y ? -1 : x > y;
}

/* The requests a previous run left, in their order; leftovers of a write
 * that never finished (*.tmp) go. */
static int scan(spool *s)
{
    DIR *d = opendir(s->dir);
    if (!d)
        return -1;
    entry *found = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", s->dir, e->d_name);
        size_t l = strlen(e->d_name);
        if (l > 4 && strcmp(e->d_name + l - 4, ".tmp") == 0) {
            unlink(path);
            continue;
        }
        char *end;
        uint64_t seq = strtoull(e->d_name, &end, 10);
        struct stat st;
        if (end == e->d_name || strcmp(end, ".pb") != 0 || stat(path, &st) != 0)
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            entry *f = realloc(found, cap * sizeof *f);
            if (!f) {
                free(found);
                closedir(d);
                return -1;
            }
            found = f;
        }
        found[n++] = (entry){ seq, (size_t)st.st_size };
    }
    closedir(d);
    if (n)
        qsort(found, n, sizeof *found, by_seq);
    for (size_t i = 0; i < n; i++)
        if (ring_push(s, found[i].seq, found[i].size) != 0) {
            free(found);
            return -1;
        }
    s->next_seq = n ? found[n - 1].seq + 1 : 1;
    free(found);
    return 0;
}

spool *spool_open(const char *dir, size_t max_bytes, size_t max_files)
{
    spool *s = calloc(1, sizeof *s);
    if (!s || !(s->dir = strdup(dir))) {
        free(s);
        return NULL;
    }
    s->max_bytes = max_bytes;
    s->max_files = max_files ? max_files : 1;
    if ((mkdir(dir, 0700) != 0 && errno != EEXIST) || scan(s) != 0) {
        log_error("qan spool %s: %s", dir, strerror(errno));
        spool_close(s);
        return NULL;
    }
    if (s->n)
        log_info("qan spool %s: %zu requests (%zu bytes) left to send", dir, s->n, s->bytes);
    return s;
}

void spool_close(spool *s)
{
    if (!s)
        return;
    free(s->ring);
    free(s->dir);
    free(s);
}

void spool_pop(spool *s)
{
    if (!s->n)
        return;
    entry e = s->ring[s->head];
    char path[4096];
    path_of(s, e.seq, path, sizeof path);
    if (unlink(path) != 0 && errno != ENOENT)
        log_warn("qan spool: cannot delete %s: %s", path, strerror(errno));
    s->head = (s->head + 1) % s->cap;
    s->n--;
    s->bytes -= e.size;
}

long spool_append(spool *s, const uint8_t *data, size_t len)
{
    char path[4096], tmp[4100];
    uint64_t seq = s->next_seq;
    path_of(s, seq, path, sizeof path);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0 || fd_write_all(fd, data, len) != 0 || close(fd) != 0 || rename(tmp, path) != 0) {
        log_warn("qan spool: cannot write %s: %s", path, strerror(errno));
        if (fd >= 0)
            unlink(tmp);
        return -1;
    }
    if (ring_push(s, seq, len) != 0) {
        unlink(path);
        return -1;
    }
    s->next_seq++;
    long dropped = 0;
    /* the newest request stays whatever its size */
    while (s->n > 1 && (s->bytes > s->max_bytes || s->n > s->max_files)) {
        spool_pop(s);
        dropped++;
    }
    return dropped;
}

int spool_peek(spool *s, uint8_t **data, size_t *len)
{
    if (!s->n)
        return 0;
    char path[4096];
    path_of(s, s->ring[s->head].seq, path, sizeof path);
    FILE *f = fopen(path, "rb");
    size_t size = s->ring[s->head].size;
    uint8_t *buf = malloc(size ? size : 1);
    if (!f || !buf || fread(buf, 1, size, f) != size) {
        log_warn("qan spool: cannot read %s: %s", path, f ? "short file" : strerror(errno));
        if (f)
            fclose(f);
        free(buf);
        return -1;
    }
    fclose(f);
    *data = buf;
    *len = size;
    return 1;
}

size_t spool_files(const spool *s)
{
    return s->n;
}

size_t spool_bytes(const spool *s)
{
    return s->bytes;
}
