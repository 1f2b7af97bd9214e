/* guard: backup management on/off (see guard.h). */
#include "guard.h"

#include <stdbool.h>
#include <string.h>

#include "app.h"
#include "db/settings.h"

int guard_enabled(rpc_ctx *ctx)
{
    worker *w = ctx->worker;
    settings s;
    if (settings_load(w->db, &s, &ctx->status) != RPC_OK)
        return ctx->status.code;
    bool enabled = s.backup_management_enabled;
    settings_free(&s);
    if (enabled)
        return RPC_OK;
    /* "/backup.v1.BackupService/StartBackup" -> "backup.v1.BackupService" */
    const char *m = ctx->req && ctx->req->method ? ctx->req->method : "";
    if (*m == '/')
        m++;
    const char *slash = strchr(m, '/');
    int len = slash ? (int)(slash - m) : (int)strlen(m);
    return rpc_fail(&ctx->status, RPC_FAILED_PRECONDITION, "Service %.*s is disabled.", len, m);
}
