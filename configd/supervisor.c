/* supervisor: program files and supervisorctl (supervisor.h). */
#include "supervisor.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "textfile.h"

#define SUPERVISOR_MAX_OUT (256 * 1024)

int supervisor_ctl(const supervisor *s, const char *const *args, proc_result *r)
{
    const char *argv[16];
    int n = 0;
    argv[n++] = s->ctl;
    if (s->conf && *s->conf) {
        argv[n++] = "-c";
        argv[n++] = s->conf;
    }
    for (const char *const *a = args; *a && n < 15; a++)
        argv[n++] = *a;
    argv[n] = NULL;
    int rc = proc_run(argv, s->timeout_ms > 0 ? s->timeout_ms : 30000, SUPERVISOR_MAX_OUT, r);
    /* supervisorctl 4 exits 0 after some failures ("ERROR (spawn error)"). */
    if (rc == 0 && r->out && strstr(r->out, "ERROR")) {
        snprintf(r->error, sizeof r->error, "%s", "supervisorctl reported an ERROR");
        rc = -1;
    }
    return rc;
}

int supervisor_parse_status(const char *line)
{
    char name[256], state[32];
    if (!line || sscanf(line, "%255s %31s", name, state) != 2)
        return -1;
    if (strcmp(state, "FATAL") == 0 || strcmp(state, "STOPPED") == 0)
        return 0;
    if (strcmp(state, "STARTING") == 0 || strcmp(state, "RUNNING") == 0 || strcmp(state, "BACKOFF") == 0 ||
        strcmp(state, "STOPPING") == 0)
        return 1;
    return -1;
}

/* Temporary file next to path, then rename: supervisord never reads half a file. */
static int write_file(const char *path, const char *content, rpc_status *st)
{
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    if (textfile_write(tmp, content, st) != RPC_OK) {
        unlink(tmp);
        return st->code;
    }
    if (rename(tmp, path) != 0) {
        int e = errno;
        unlink(tmp);
        return rpc_fail(st, RPC_INTERNAL, "write %s: %s", path, strerror(e));
    }
    return RPC_OK;
}

/* Upstream's reload: `reread` (its failure only logged), then `update name`. */
static int apply(const supervisor *s, const char *name, rpc_status *st)
{
    proc_result r;
    const char *reread[] = { "reread", NULL };
    if (supervisor_ctl(s, reread, &r) != 0)
        log_warn("supervisorctl reread: %s: %s", r.error, r.out ? r.out : "");
    proc_result_clear(&r);
    const char *update[] = { "update", name, NULL };
    int rc = supervisor_ctl(s, update, &r);
    if (rc != 0)
        rpc_fail(st, RPC_INTERNAL, "supervisorctl update %s failed: %s: %s", name, r.error, r.out ? r.out : "");
    proc_result_clear(&r);
    return rc;
}

static void program_path(const supervisor *s, const char *name, char *out, size_t outlen)
{
    snprintf(out, outlen, "%s/%s.ini", s->dir, name);
}

int supervisor_save_and_apply(const supervisor *s, const char *name, const char *content, rpc_status *st)
{
    char path[4096];
    program_path(s, name, path, sizeof path);
    int missing;
    rpc_status rst_read = { 0 };
    char *old = textfile_read(path, &missing, &rst_read);
    if (!old && !missing) {
        rpc_fail(st, RPC_INTERNAL, "read %s", rst_read.message);
        return -1;
    }
    if (old && strcmp(old, content) == 0) {
        free(old);
        return 0;
    }
    if (write_file(path, content, st) == RPC_OK && apply(s, name, st) == 0) {
        log_info("%s configuration reloaded", name);
        free(old);
        return 1;
    }
    /* Put the previous file back (or none) and apply that again. */
    rpc_status rst;
    if (old ? write_file(path, old, &rst) != RPC_OK : unlink(path) != 0)
        log_error("cannot restore %s", path);
    else if (apply(s, name, &rst) != 0)
        log_error("restoring %s: %s", name, rst.message);
    free(old);
    return -1;
}

int supervisor_remove(const supervisor *s, const char *name, rpc_status *st)
{
    char path[4096];
    program_path(s, name, path, sizeof path);
    if (unlink(path) != 0) {
        if (errno == ENOENT)
            return 0;
        rpc_fail(st, RPC_INTERNAL, "remove %s: %s", path, strerror(errno));
        return -1;
    }
    return apply(s, name, st) == 0 ? 1 : -1;
}
