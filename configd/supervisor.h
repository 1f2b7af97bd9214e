/* supervisor: supervisord as upstream drives it (config-rendering.md §7):
 * through the supervisorctl command, never XML-RPC. A program file
 * <dir>/<name>.ini is written only when its content changed, then applied
 * with `reread` + `update <name>`; when that fails the previous file is put
 * back and applied again, so a program that worked keeps working. */
#ifndef CONFIGD_SUPERVISOR_H
#define CONFIGD_SUPERVISOR_H

#include <stddef.h>

#include "proc.h"
#include "rpc.h"

typedef struct {
    const char *ctl;        /* supervisorctl command */
    const char *conf;       /* supervisord's config for `supervisorctl -c`, "" = its default */
    const char *dir;        /* where program files go */
    int timeout_ms;         /* per supervisorctl run */
} supervisor;

/* The first line of every file configd renders, as upstream's. */
#define SUPERVISOR_HEADER "; Managed by pmm-managed. DO NOT EDIT.\n"

/* Runs `supervisorctl [-c conf] args...` (args NULL-terminated). Returns 0
 * when it exited 0 and printed no ERROR; r holds its output either way
 * (proc_result_clear it). */
int supervisor_ctl(const supervisor *s, const char *const *args, proc_result *r);

/* Upstream's parseStatus of `supervisorctl status <name>` output: 1 running
 * (STARTING, RUNNING, BACKOFF, STOPPING), 0 not (FATAL, STOPPED), -1
 * unknown (EXITED or anything else). */
int supervisor_parse_status(const char *status_line);

/* Writes <dir>/<name>.ini with content when it differs from the file and
 * applies it. Returns 1 when the file changed and was applied, 0 when it
 * was already current, -1 on failure (st says why; the previous file is
 * back in place and applied). */
int supervisor_save_and_apply(const supervisor *s, const char *name, const char *content, rpc_status *st);

/* Removes <dir>/<name>.ini (if present) and applies that: supervisord stops
 * and forgets the program. 1 removed, 0 nothing to do, -1 on failure. */
int supervisor_remove(const supervisor *s, const char *name, rpc_status *st);

#endif
