/* files: advisor and check files (advisors reference §1-§3) from the
 * built-in folders the suite installs and the user's folders, `*.yml`
 * and `*.yaml`. Parsing is strict as upstream's (unknown fields and
 * invalid checks are errors); a file with an error is dropped with the
 * reason logged, the others load. Checks of a version above 2, and
 * checks with a query type this server cannot run (CLICKHOUSE_SELECT:
 * no QAN ClickHouse here), are dropped with upstream's warnings. A user
 * file whose advisor or check has the name of a built-in one replaces it
 * (so a user's copy of an upstream check runs as it is). */
#ifndef CHECKSD_FILES_H
#define CHECKSD_FILES_H

#include <stddef.h>

#include "model.h"

typedef struct {
    const char *advisors_dir;      /* built-in: one advisor per file */
    const char *checks_dir;        /* built-in: one check per file */
    const char *user_advisors_dir; /* NULL or "": none */
    const char *user_checks_dir;
    const char *dev_checks_file;   /* PMM_DEV_ADVISOR_CHECKS_FILE: advisor "dev" */
} files_dirs;

/* Parses a check file (one or more documents, each `checks: [...]`).
 * Every check is validated; a check of an unsupported version or query
 * type is left out and counted in *dropped (may be NULL) with the reason
 * logged. 0 with *out (n checks), or -1 with the first error in err. */
int files_parse_checks(const char *text, size_t len, check_def **out, size_t *n, size_t *dropped, char *err,
                       size_t errlen);
/* Parses an advisor file (`advisors: [...]`). */
int files_parse_advisors(const char *text, size_t len, advisor_def **out, size_t *n, char *err, size_t errlen);

/* Loads the folders: advisors, then checks linked to them. Never NULL
 * except on ENOMEM; problems are logged. */
check_set *files_load(const files_dirs *d);

/* The `*.yml` and `*.yaml` files of dir (not dot files), sorted, as
 * malloc'd paths; NULL with *n 0 when none or dir is NULL/"" (a folder
 * that cannot be read is logged, a missing one is not). */
char **files_list_yaml(const char *dir, size_t *n);
void files_free_list(char **v, size_t n);
/* A regular file of at most YAMLDOC_MAX_BYTES, NUL-terminated; NULL with
 * the reason in err. */
char *files_read_text(const char *path, size_t *len, char *err, size_t errlen);

#endif
