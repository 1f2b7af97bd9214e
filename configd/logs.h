/* logs: the logs.zip archive of GET /v1/server/logs.zip (upstream
 * managed/services/supervisord/logs.go): the tails of the daemons' logs,
 * the rendered configuration files and supervisorctl status, one member
 * each, named as upstream names them (the file's base name), sorted by
 * name, deflated. A member that cannot be read holds the error text, so
 * one failure never breaks the whole archive. */
#ifndef CONFIGD_LOGS_H
#define CONFIGD_LOGS_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "rpc.h"

/* Upstream's maxLogReadLines: line_count 0 means this many. */
#define LOGS_DEFAULT_LINES 50000

/* A whole file kept under upstream's member name, wherever it lives. */
typedef struct {
    const char *name;                  /* NULL ends a list */
    const char *path;                  /* NULL or "": left out */
} logs_named;

typedef struct {
    const char *log_dir;               /* every <log_dir>/NAME.log */
    const char *const *files;          /* NULL-terminated: whole files (configs) */
    const char *const *globs;          /* NULL-terminated patterns: whole files (rules) */
    const logs_named *named;           /* e.g. the scrape file as victoriametrics-promscrape.yml */
    const char *const *status_argv;    /* supervisorctl status command, or NULL */
    const char *version;               /* pmm-version.txt */
} logs_sources;

/* The last max_lines lines of path (max_lines < 0: the whole file; a last
 * line without '\n' counts), read from the end so a large log costs only
 * what is kept. 0 with malloc'd *out (NUL-terminated) and the file's
 * mtime; -1 with Go's error text in err ("open <path>: no such file or
 * directory"). */
int logs_tail(const char *path, long max_lines, char **out, size_t *len, time_t *mtime, char *err,
              size_t errlen);

/* Builds the archive. line_count: 0 = LOGS_DEFAULT_LINES, -1 = whole logs,
 * N > 0 = last N lines. Returns an RPC code: OK with malloc'd *zip;
 * INVALID_ARGUMENT for another negative count; RESOURCE_EXHAUSTED when the
 * archive is larger than max_len (the bus limit); INTERNAL when libzip fails. */
int logs_zip(const logs_sources *src, long line_count, size_t max_len, uint8_t **zip, size_t *len,
             rpc_status *st);

#endif
