/* tarball: .tar.gz through libarchive (see tarball.h). */
#include "tarball.h"

#include <archive.h>
#include <archive_entry.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct tarball {
    struct archive *a;
    char *path, *tmp;
};

tarball *tarball_open(const char *path, char *err, size_t errlen)
{
    tarball *t = calloc(1, sizeof *t);
    if (!t || !(t->path = strdup(path)) || asprintf(&t->tmp, "%s.tmp", path) < 0 || !(t->a = archive_write_new())) {
        snprintf(err, errlen, "out of memory");
        if (t) {
            free(t->path);
            free(t);
        }
        return NULL;
    }
    if (archive_write_add_filter_gzip(t->a) != ARCHIVE_OK || archive_write_set_format_pax_restricted(t->a) != ARCHIVE_OK ||
        archive_write_open_filename(t->a, t->tmp) != ARCHIVE_OK) {
        snprintf(err, errlen, "%s: %s", t->tmp, archive_error_string(t->a));
        archive_write_free(t->a);
        free(t->path);
        free(t->tmp);
        free(t);
        return NULL;
    }
    return t;
}

static int header(tarball *t, const char *name, int64_t size, char *err, size_t errlen)
{
    struct archive_entry *e = archive_entry_new();
    if (!e) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    archive_entry_set_pathname(e, name);
    archive_entry_set_size(e, size);
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0644);
    archive_entry_set_mtime(e, time(NULL), 0);
    int rc = archive_write_header(t->a, e) == ARCHIVE_OK ? 0 : -1;
    if (rc)
        snprintf(err, errlen, "%s: %s", name, archive_error_string(t->a));
    archive_entry_free(e);
    return rc;
}

int tarball_add_mem(tarball *t, const char *name, const void *data, size_t len, char *err, size_t errlen)
{
    if (header(t, name, (int64_t)len, err, errlen) != 0)
        return -1;
    if (len && archive_write_data(t->a, data, len) != (la_ssize_t)len) {
        snprintf(err, errlen, "%s: %s", name, archive_error_string(t->a));
        return -1;
    }
    return 0;
}

int tarball_add_file(tarball *t, const char *name, const char *file, char *err, size_t errlen)
{
    struct stat sb;
    FILE *f = fopen(file, "rb");
    if (!f || fstat(fileno(f), &sb) != 0) {
        snprintf(err, errlen, "%s: cannot read", file);
        if (f)
            fclose(f);
        return -1;
    }
    int rc = header(t, name, (int64_t)sb.st_size, err, errlen);
    char buf[65536];
    size_t n;
    while (rc == 0 && (n = fread(buf, 1, sizeof buf, f)) > 0)
        if (archive_write_data(t->a, buf, n) != (la_ssize_t)n) {
            snprintf(err, errlen, "%s: %s", name, archive_error_string(t->a));
            rc = -1;
        }
    fclose(f);
    return rc;
}

int tarball_close(tarball *t, int commit, char *err, size_t errlen)
{
    int rc = archive_write_close(t->a) == ARCHIVE_OK ? 0 : -1;
    if (rc)
        snprintf(err, errlen, "%s: %s", t->tmp, archive_error_string(t->a));
    archive_write_free(t->a);
    if (rc == 0 && commit && rename(t->tmp, t->path) != 0) {
        snprintf(err, errlen, "%s: cannot rename into place", t->path);
        rc = -1;
    }
    if (rc != 0 || !commit)
        unlink(t->tmp);
    free(t->path);
    free(t->tmp);
    free(t);
    return rc;
}
