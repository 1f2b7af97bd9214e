/* logs: collects the members of logs.zip and writes the archive (logs.h). */
#include "logs.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zip.h>

#include "log.h"
#include "proc.h"

/* Output kept of a helper command (supervisorctl status is a few lines). */
#define LOGS_CMD_MAX_OUT (1 << 20)
#define LOGS_CMD_TIMEOUT_MS 5000

typedef struct {
    char *name;       /* member name */
    time_t mtime;     /* 0: the archive's time */
    char *data;
    size_t len;
} member;

typedef struct {
    member *m;
    size_t n, cap;
} member_list;

/* Go's text for a failed system call on a path: "open /x: no such file or
 * directory" (Go's errno strings are lower case). */
static void path_error(char *err, size_t errlen, const char *op, const char *path, int e)
{
    snprintf(err, errlen, "%s %s: %s", op, path, strerror(e));
    char *colon = strrchr(err, ':');
    if (colon && colon[1] == ' ')
        colon[2] = (char)tolower((unsigned char)colon[2]);
}

/* Offset where the last max_lines lines of fd (size bytes) begin. */
static int tail_start(int fd, off_t size, long max_lines, off_t *start)
{
    char buf[65536];
    off_t end = size;
    long lines = 0;
    int first = 1;
    while (end > 0) {
        size_t n = end > (off_t)sizeof buf ? sizeof buf : (size_t)end;
        off_t at = end - (off_t)n;
        if (pread(fd, buf, n, at) != (ssize_t)n)
            return -1;
        for (size_t i = n; i-- > 0;) {
            /* The newline that ends the file ends the last line; it does
             * not start one. */
            if (first) {
                first = 0;
                if (buf[i] == '\n')
                    continue;
            }
            if (buf[i] == '\n' && ++lines == max_lines) {
                *start = at + (off_t)i + 1;
                return 0;
            }
        }
        end = at;
    }
    *start = 0;
    return 0;
}

int logs_tail(const char *path, long max_lines, char **out, size_t *len, time_t *mtime, char *err,
              size_t errlen)
{
    *out = NULL;
    *len = 0;
    *mtime = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        path_error(err, errlen, "open", path, errno);
        return -1;
    }
    struct stat sb;
    off_t start = 0;
    errno = 0;
    if (fstat(fd, &sb) != 0 || (max_lines > 0 && tail_start(fd, sb.st_size, max_lines, &start) != 0)) {
        path_error(err, errlen, "read", path, errno ? errno : EIO);
        close(fd);
        return -1;
    }
    *mtime = sb.st_mtime;
    if (max_lines == 0)
        start = sb.st_size;
    size_t n = (size_t)(sb.st_size - start);
    char *buf = malloc(n + 1);
    if (!buf) {
        snprintf(err, errlen, "read %s: out of memory", path);
        close(fd);
        return -1;
    }
    /* The file may shrink (rotation) while we read: keep what we got. */
    size_t got = 0;
    while (got < n) {
        ssize_t r = pread(fd, buf + got, n - got, start + (off_t)got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            path_error(err, errlen, "read", path, errno);
            free(buf);
            close(fd);
            return -1;
        }
        if (r == 0)
            break;
        got += (size_t)r;
    }
    close(fd);
    buf[got] = '\0';
    *out = buf;
    *len = got;
    return 0;
}

static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

static member *list_add(member_list *l, const char *name)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 32;
        member *m = realloc(l->m, cap * sizeof *m);
        if (!m)
            return NULL;
        l->m = m;
        l->cap = cap;
    }
    member *m = &l->m[l->n];
    memset(m, 0, sizeof *m);
    if (!(m->name = strdup(name)))
        return NULL;
    l->n++;
    return m;
}

/* As upstream: a member that failed holds what was read, a blank line,
 * then the error text. */
static int set_data(member *m, char *data, size_t len, const char *error)
{
    if (!error || !*error) {
        m->data = data;
        m->len = len;
        return 0;
    }
    size_t el = strlen(error), sep = len ? 2 : 0;
    char *p = realloc(data, len + sep + el + 1);
    if (!p) {
        free(data);
        return -1;
    }
    memcpy(p + len, "\n\n", sep);
    memcpy(p + len + sep, error, el + 1);
    m->data = p;
    m->len = len + sep + el;
    return 0;
}

static int add_named(member_list *l, const char *name, const char *path, long max_lines)
{
    char err[512] = "";
    char *data;
    size_t len;
    member *m = list_add(l, name);
    if (!m)
        return -1;
    if (logs_tail(path, max_lines, &data, &len, &m->mtime, err, sizeof err) != 0)
        log_warn("logs.zip: %s", err);
    return set_data(m, data, len, err);
}

static int add_file(member_list *l, const char *path, long max_lines)
{
    return add_named(l, base_name(path), path, max_lines);
}

static int add_glob(member_list *l, const char *pattern, long max_lines)
{
    glob_t g;
    int rc = glob(pattern, 0, NULL, &g);
    if (rc == GLOB_NOMATCH)
        return 0;
    if (rc != 0) {
        log_warn("logs.zip: cannot list %s", pattern);
        return 0;
    }
    int ret = 0;
    for (size_t i = 0; i < g.gl_pathc && ret == 0; i++)
        ret = add_file(l, g.gl_pathv[i], max_lines);
    globfree(&g);
    return ret;
}

static int add_command(member_list *l, const char *name, const char *const *argv)
{
    member *m = list_add(l, name);
    if (!m)
        return -1;
    proc_result r;
    proc_run(argv, LOGS_CMD_TIMEOUT_MS, LOGS_CMD_MAX_OUT, &r);
    char *out = r.out;
    size_t len = r.len;
    r.out = NULL;
    int rc = set_data(m, out, len, r.error);
    proc_result_clear(&r);
    return rc;
}

static int add_text(member_list *l, const char *name, const char *text)
{
    member *m = list_add(l, name);
    char *d = m ? strdup(text) : NULL;
    if (!d)
        return -1;
    return set_data(m, d, strlen(d), NULL);
}

static void list_free(member_list *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->m[i].name);
        free(l->m[i].data);
    }
    free(l->m);
}

static int by_name(const void *a, const void *b)
{
    return strcmp(((const member *)a)->name, ((const member *)b)->name);
}

static int collect(const logs_sources *src, long max_lines, member_list *l)
{
    char pattern[4096];
    snprintf(pattern, sizeof pattern, "%s/*.log", src->log_dir);
    if (src->log_dir && *src->log_dir && add_glob(l, pattern, max_lines) != 0)
        return -1;
    for (const char *const *f = src->files; f && *f; f++)
        if (**f && add_file(l, *f, -1) != 0)
            return -1;
    for (const logs_named *n = src->named; n && n->name; n++)
        if (n->path && *n->path && add_named(l, n->name, n->path, -1) != 0)
            return -1;
    for (const char *const *g = src->globs; g && *g; g++)
        if (**g && add_glob(l, *g, -1) != 0)
            return -1;
    char version[128];
    snprintf(version, sizeof version, "%s\n", src->version ? src->version : "");
    if (add_text(l, "pmm-version.txt", version) != 0)
        return -1;
    if (src->status_argv && add_command(l, "supervisorctl_status.log", src->status_argv) != 0)
        return -1;
    static const char *const systemctl[] = { "systemctl", "-l", "status", NULL };
    if (add_command(l, "systemctl_status.log", systemctl) != 0)
        return -1;
    qsort(l->m, l->n, sizeof *l->m, by_name);
    return 0;
}

/* Writes the members into an in-memory archive and copies it out. */
static int write_zip(const member_list *l, uint8_t **out, size_t *out_len, char *err, size_t errlen)
{
    zip_error_t ze;
    zip_error_init(&ze);
    zip_source_t *src = zip_source_buffer_create(NULL, 0, 0, &ze);
    zip_t *za = src ? zip_open_from_source(src, ZIP_TRUNCATE, &ze) : NULL;
    if (!za) {
        snprintf(err, errlen, "zip: %s", zip_error_strerror(&ze));
        zip_error_fini(&ze);
        if (src)
            zip_source_free(src);
        return -1;
    }
    zip_error_fini(&ze);
    zip_source_keep(src); /* the archive's bytes outlive zip_close */
    time_t now = time(NULL);
    for (size_t i = 0; i < l->n; i++) {
        const member *m = &l->m[i];
        zip_source_t *fs = zip_source_buffer(za, m->data ? m->data : "", m->len, 0);
        zip_int64_t idx = fs ? zip_file_add(za, m->name, fs, ZIP_FL_ENC_UTF_8 | ZIP_FL_OVERWRITE) : -1;
        if (idx < 0) {
            if (fs)
                zip_source_free(fs);
            snprintf(err, errlen, "zip %s: %s", m->name, zip_strerror(za));
            zip_discard(za);
            zip_source_free(src);
            return -1;
        }
        zip_set_file_compression(za, (zip_uint64_t)idx, ZIP_CM_DEFLATE, 0);
        zip_file_set_mtime(za, (zip_uint64_t)idx, m->mtime ? m->mtime : now, 0);
    }
    if (zip_close(za) != 0) {
        snprintf(err, errlen, "zip: %s", zip_strerror(za));
        zip_discard(za);
        zip_source_free(src);
        return -1;
    }
    zip_stat_t zs;
    zip_stat_init(&zs);
    int rc = -1;
    if (zip_source_open(src) == 0) {
        if (zip_source_stat(src, &zs) == 0 && (zs.valid & ZIP_STAT_SIZE)) {
            uint8_t *buf = malloc(zs.size ? zs.size : 1);
            if (buf && zip_source_read(src, buf, zs.size) == (zip_int64_t)zs.size) {
                *out = buf;
                *out_len = zs.size;
                rc = 0;
            } else {
                free(buf);
            }
        }
        zip_source_close(src);
    }
    if (rc != 0)
        snprintf(err, errlen, "zip: cannot read the archive back");
    zip_source_free(src);
    return rc;
}

int logs_zip(const logs_sources *src, long line_count, size_t max_len, uint8_t **zip, size_t *len,
             rpc_status *st)
{
    *zip = NULL;
    *len = 0;
    if (line_count < -1)
        return rpc_fail(st, RPC_INVALID_ARGUMENT, "line-count must be -1 (whole logs), 0 (default) or positive");
    long max_lines = line_count == 0 ? LOGS_DEFAULT_LINES : line_count;
    member_list l = { 0 };
    char err[512];
    int code = RPC_OK;
    if (collect(src, max_lines, &l) != 0)
        code = rpc_fail(st, RPC_INTERNAL, "logs.zip: out of memory");
    else if (write_zip(&l, zip, len, err, sizeof err) != 0)
        code = rpc_fail(st, RPC_INTERNAL, "%s", err);
    list_free(&l);
    if (code == RPC_OK && *len > max_len) {
        code = rpc_fail(st, RPC_RESOURCE_EXHAUSTED,
                        "logs.zip would be %zu bytes, more than %zu: ask for fewer lines with line-count", *len,
                        max_len);
        free(*zip);
        *zip = NULL;
        *len = 0;
    }
    return code;
}
