/* guard: backup management on/off (see guard.h). */
#include "guard.h"

#include <stdbool.h>
#include <string.h>

#include "app.h"
#include "store/store.h"

int guard_enabled(rpc_ctx *ctx)
{
    worker *w = ctx->worker;
    bool enabled = true;
    if (store_backup_management_enabled(w->db, &enabled, &ctx->status))
        return ctx->status.code;
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
