/* enabled: see enabled.h. */
#include "enabled.h"

#include "app.h"
#include "db/settings.h"

int checksd_require(rpc_ctx *ctx, checksd_feature f)
{
    settings s;
    if (settings_load(WORKER_DB(ctx), &s, &ctx->status) != RPC_OK)
        return ctx->status.code;
    bool on = f == FEATURE_ADVISORS ? s.advisors_enabled : s.alerting_enabled;
    settings_free(&s);
    if (on)
        return RPC_OK;
    return rpc_fail(&ctx->status, RPC_FAILED_PRECONDITION,
                    f == FEATURE_ADVISORS ? "Advisor checks are disabled." : "Alerting is disabled");
}

int checksd_oom(rpc_ctx *ctx)
{
    return rpc_fail(&ctx->status, RPC_INTERNAL, "out of memory");
}
