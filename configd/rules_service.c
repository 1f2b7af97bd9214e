/* rules_service: see rules_service.h. */
#include "rules_service.h"

#include <stdbool.h>
#include <string.h>

#include "app.h"
#include "internal/v1/rules.pb-c.h"
#include "log.h"
#include "pbutil.h"

/* [a-z0-9_], 1..64 characters, and not the user's file */
static bool valid_name(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 64 || strcmp(s, "pmm.rules") == 0)
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_'))
            return false;
    return true;
}

static int apply_rules(rpc_ctx *ctx, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    daemon_worker *w = ctx->worker;
    const Internal__V1__ApplyRulesRequest *req = (const Internal__V1__ApplyRulesRequest *)in;
    const vmalert_params *p = APP(w)->vmalert;
    if (!valid_name(req->name))
        return rpc_fail(&ctx->status, RPC_INVALID_ARGUMENT, "invalid rules file name \"%s\"", req->name);
    if (!p)
        return rpc_fail(&ctx->status, RPC_FAILED_PRECONDITION, "vmalert is not configured");
    if (vmalert_apply_file(p, req->name, req->content, &ctx->status) != RPC_OK)
        return ctx->status.code;
    rpc_status st = { 0 };
    /* the file is in place: a vmalert that is down reads it when it starts */
    if (vmalert_reload(p, &st) != RPC_OK)
        log_warn("vmalert rules %s.yml applied, reload failed: %s", req->name, st.message);
    else
        log_info("vmalert rules %s.yml applied", req->name);
    if (!(*out = pb_new(&internal__v1__apply_rules_response__descriptor)))
        return rpc_fail(&ctx->status, RPC_INTERNAL, "out of memory");
    return RPC_OK;
}

const rpc_method rules_service_methods[] = {
    { "/internal.v1.RulesService/ApplyRules", &internal__v1__apply_rules_request__descriptor, apply_rules },
};
const size_t rules_service_methods_count = sizeof rules_service_methods / sizeof *rules_service_methods;
