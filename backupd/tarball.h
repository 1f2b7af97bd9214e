/* tarball: a .tar.gz written with libarchive (pax format, gzip), entry by
 * entry from memory or from a file, into "<path>.tmp" and renamed into
 * place on close, so that a dump is never seen half-written. */
#ifndef BACKUPD_TARBALL_H
#define BACKUPD_TARBALL_H

#include <stddef.h>

typedef struct tarball tarball;

/* NULL with err set. */
tarball *tarball_open(const char *path, char *err, size_t errlen);
int tarball_add_mem(tarball *t, const char *name, const void *data, size_t len, char *err, size_t errlen);
int tarball_add_file(tarball *t, const char *name, const char *file, char *err, size_t errlen);
/* Finishes and renames into place (commit), or removes the temporary file. */
int tarball_close(tarball *t, int commit, char *err, size_t errlen);

#endif
