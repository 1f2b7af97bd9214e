/* deferred_ask: agent round trips off the bus workers (see deferred_ask.h). */
#include "deferred_ask.h"

#include <stdlib.h>

typedef struct {
    dask_spec spec; /* a copy: the caller's may live on its stack */
    bus_deferred *reply;
} pending;

/* The reply checked and converted: the code, with *out or st. */
static int finish(const dask_spec *spec, int code, Agent__V1__AgentMessage *reply, ProtobufCMessage **out,
                  rpc_status *st)
{
    *out = NULL;
    if (code == RPC_OK && (!reply || reply->payload_case != spec->want))
        code = rpc_fail(st, RPC_INTERNAL, "%s", spec->wrong);
    else if (code == RPC_OK)
        code = spec->convert(reply, out, st);
    if (reply)
        protobuf_c_message_free_unpacked(&reply->base, NULL);
    return code;
}

/* Stream loop thread (or the sender's, when it answers at once). */
static void on_reply(void *arg, int code, const char *message, Agent__V1__AgentMessage *reply)
{
    pending *p = arg;
    rpc_status st = { 0 };
    ProtobufCMessage *out = NULL;
    if (code != RPC_OK)
        rpc_fail(&st, code, "%s", message ? message : "");
    code = finish(&p->spec, code, reply, &out, &st);
    bus_deferred_reply(p->reply, code, st.message, out);
    if (out)
        protobuf_c_message_free_unpacked(out, NULL);
    free(p);
}

int dask_ask(rpc_ctx *ctx, const dask_spec *spec, const char *pmm_agent_id, Agent__V1__ServerMessage *m,
             int timeout_ms, ProtobufCMessage **out)
{
    *out = NULL;
    if (!pmm_agent_id || !*pmm_agent_id)
        return rpc_fail(&ctx->status, RPC_INVALID_ARGUMENT, "pmm_agent_id is required");
    pending *p = spec->send_async && ctx->route ? malloc(sizeof *p) : NULL;
    if (p && (p->reply = bus_defer(ctx)) != NULL) {
        p->spec = *spec;
        if (spec->send_async(pmm_agent_id, m, timeout_ms, on_reply, p) != 0) {
            bus_deferred_reply(p->reply, RPC_RESOURCE_EXHAUSTED, "out of memory", NULL);
            free(p);
        }
        return RPC_DEFERRED;
    }
    free(p);
    Agent__V1__AgentMessage *reply = NULL;
    int code = spec->send(pmm_agent_id, m, timeout_ms, &reply, &ctx->status);
    return finish(spec, code, reply, out, &ctx->status);
}
