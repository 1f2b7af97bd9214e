/* textfile: whole configuration files configd reads and writes (vmalert's
 * rules, Alertmanager's configuration). */
#ifndef CONFIGD_TEXTFILE_H
#define CONFIGD_TEXTFILE_H

#include "rpc.h"

#define TEXTFILE_MAX (16 << 20) /* a file larger than this is refused */

/* The file's content (NUL-terminated), or NULL: *missing when it does not
 * exist, otherwise the reason in st. */
char *textfile_read(const char *path, int *missing, rpc_status *st);
/* Writes content to path (created 0644, truncated) and fsyncs it. */
int textfile_write(const char *path, const char *content, rpc_status *st);

#endif
