/* backup_requests: GetVersions, PBMSwitchPITR, RestartSystemService (see backup_requests.h). */
#include "backup_requests.h"

#include <stdlib.h>
#include <string.h>

#include "actions_internal.h"
#include "db/daemon_db.h"
#include "deferred_ask.h"
#include "internal/v1/agents.pb-c.h"
#include "pbutil.h"
#include "service_dsn.h"

/* upstream waits for these without a deadline of its own: the caller's bounds it */
#define REQUEST_TIMEOUT_MS 30000

conn_sender backup_requests_send = conn_request;
conn_async_sender backup_requests_send_async = conn_request_async;

static int ask(rpc_ctx *ctx, const char *pmm_agent_id, Agent__V1__ServerMessage *m,
               Agent__V1__AgentMessage__PayloadCase want, Agent__V1__AgentMessage **resp)
{
    if (!pmm_agent_id || !*pmm_agent_id)
        return rpc_fail(&ctx->status, RPC_INVALID_ARGUMENT, "pmm_agent_id is required");
    *resp = NULL;
    int code = backup_requests_send(pmm_agent_id, m, conn_timeout_for(ctx->req, REQUEST_TIMEOUT_MS), resp,
                                    &ctx->status);
    if (code != RPC_OK)
        return code;
    if (!*resp || (*resp)->payload_case != want) {
        if (*resp)
            protobuf_c_message_free_unpacked(&(*resp)->base, NULL);
        *resp = NULL;
        return rpc_fail(&ctx->status, RPC_INTERNAL, "wrong response from agent");
    }
    return RPC_OK;
}

/* The agent's GetVersionsResponse moves into the internal one. */
static int get_versions_reply(Agent__V1__AgentMessage *resp, ProtobufCMessage **out, rpc_status *st)
{
    Internal__V1__GetVersionsResponse *r = malloc(sizeof *r);
    if (!r)
        return rpc_fail(st, RPC_INTERNAL, "out of memory");
    internal__v1__get_versions_response__init(r);
    r->response = resp->get_versions; /* moves over */
    resp->get_versions = NULL;
    resp->payload_case = AGENT__V1__AGENT_MESSAGE__PAYLOAD__NOT_SET;
    *out = &r->base;
    return RPC_OK;
}

static int get_versions(rpc_ctx *ctx, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    const Internal__V1__GetVersionsRequest *req = (const Internal__V1__GetVersionsRequest *)in;
    Agent__V1__GetVersionsRequest empty = AGENT__V1__GET_VERSIONS_REQUEST__INIT;
    Agent__V1__ServerMessage m = AGENT__V1__SERVER_MESSAGE__INIT;
    m.payload_case = AGENT__V1__SERVER_MESSAGE__PAYLOAD_GET_VERSIONS;
    m.get_versions = req->request ? req->request : &empty;
    /* no worker waits for the agent (deferred_ask.h): a scheduled burst asks many at once */
    const dask_spec spec = { backup_requests_send, backup_requests_send_async,
                             AGENT__V1__AGENT_MESSAGE__PAYLOAD_GET_VERSIONS, "wrong response from agent",
                             get_versions_reply };
    return dask_ask(ctx, &spec, req->pmm_agent_id, &m, conn_timeout_for(ctx->req, REQUEST_TIMEOUT_MS), out);
}

static int pbm_switch_pitr(rpc_ctx *ctx, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    const Internal__V1__PBMSwitchPITRRequest *req = (const Internal__V1__PBMSwitchPITRRequest *)in;
    daemon_worker *w = ctx->worker;
    sdsn_target t;
    if (sdsn_for_service(w->db, req->service_id, req->pmm_agent_id, &t, &ctx->status)) {
        sdsn_clear(&t);
        return ctx->status.code;
    }
    Agent__V1__PBMSwitchPITRRequest p = AGENT__V1__PBMSWITCH_PITRREQUEST__INIT;
    p.dsn = t.dsn;
    p.text_files = (Agent__V1__TextFiles *)sdsn_text_files(&t);
    p.enabled = req->enabled;
    Agent__V1__ServerMessage m = AGENT__V1__SERVER_MESSAGE__INIT;
    m.payload_case = AGENT__V1__SERVER_MESSAGE__PAYLOAD_PBM_SWITCH_PITR;
    m.pbm_switch_pitr = &p;
    Agent__V1__AgentMessage *resp = NULL;
    int rc = p.text_files ? ask(ctx, req->pmm_agent_id, &m, AGENT__V1__AGENT_MESSAGE__PAYLOAD_PBM_SWITCH_PITR, &resp)
                          : rpc_fail(&ctx->status, RPC_INTERNAL, "out of memory");
    if (p.text_files)
        protobuf_c_message_free_unpacked(&p.text_files->base, NULL);
    sdsn_clear(&t);
    if (rc)
        return rc;
    Internal__V1__PBMSwitchPITRResponse *r = malloc(sizeof *r);
    if (r) {
        internal__v1__pbmswitch_pitrresponse__init(r);
        r->error = strdup(resp->pbm_switch_pitr->error ? resp->pbm_switch_pitr->error : "");
    }
    protobuf_c_message_free_unpacked(&resp->base, NULL);
    if (!r || !r->error) {
        free(r);
        return rpc_fail(&ctx->status, RPC_INTERNAL, "out of memory");
    }
    *out = &r->base;
    return RPC_OK;
}

static int restart_system_service(rpc_ctx *ctx, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    const Internal__V1__RestartSystemServiceRequest *req = (const Internal__V1__RestartSystemServiceRequest *)in;
    daemon_worker *w = ctx->worker;
    char id[64];
    if (action_create(w->db, req->pmm_agent_id, id, &ctx->status))
        return ctx->status.code;
    ProtobufCMessage *params = pb_new(&agent__v1__start_action_request__restart_system_service_params__descriptor);
    if (!params || pb_set_i32(params, "system_service", req->system_service) != 0) {
        if (params)
            protobuf_c_message_free_unpacked(params, NULL);
        return rpc_fail(&ctx->status, RPC_INTERNAL, "out of memory");
    }
    if (action_start(req->pmm_agent_id, id, ACTION_TIMEOUT_S, "restart_sys_service_params", params, &ctx->status))
        return ctx->status.code;
    Internal__V1__RestartSystemServiceResponse *r = malloc(sizeof *r);
    if (r) {
        internal__v1__restart_system_service_response__init(r);
        r->action_id = strdup(id);
    }
    if (!r || !r->action_id) {
        free(r);
        return rpc_fail(&ctx->status, RPC_INTERNAL, "out of memory");
    }
    *out = &r->base;
    return RPC_OK;
}

const rpc_method backup_requests_methods[] = {
    { "/internal.v1.AgentsService/GetVersions", &internal__v1__get_versions_request__descriptor, get_versions },
    { "/internal.v1.AgentsService/PBMSwitchPITR", &internal__v1__pbmswitch_pitrrequest__descriptor, pbm_switch_pitr },
    { "/internal.v1.AgentsService/RestartSystemService", &internal__v1__restart_system_service_request__descriptor,
      restart_system_service },
};
const size_t backup_requests_methods_count = sizeof backup_requests_methods / sizeof *backup_requests_methods;
