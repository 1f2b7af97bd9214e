/* agent_logs: GetAgentLogs through the agent's pmm-agent (see agent_logs.h). */
#include "agent_logs.h"

#include <stdlib.h>
#include <string.h>

#include "conn.h"
#include "db/daemon_db.h"
#include "db/store/agents.h"
#include "inventory/v1/agents.pb-c.h"
#include "validate.h"

#define LOGS_TIMEOUT_MS 30000

static int get_agent_logs(rpc_ctx *ctx, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    const Inventory__V1__GetAgentLogsRequest *req = (const Inventory__V1__GetAgentLogsRequest *)in;
    daemon_worker *w = ctx->worker;
    if (validate_min_len(&ctx->status, req->agent_id, 36, "GetAgentLogsRequest", "AgentId"))
        return ctx->status.code;
    char *pmm_agent = NULL;
    if (store_agents_pmm_agent_of(w->db, req->agent_id, &pmm_agent, &ctx->status) != RPC_OK)
        return ctx->status.code;
    Agent__V1__AgentLogsRequest lr = AGENT__V1__AGENT_LOGS_REQUEST__INIT;
    lr.agent_id = req->agent_id;
    lr.limit = req->limit;
    Agent__V1__ServerMessage m = AGENT__V1__SERVER_MESSAGE__INIT;
    m.payload_case = AGENT__V1__SERVER_MESSAGE__PAYLOAD_AGENT_LOGS;
    m.agent_logs = &lr;
    Agent__V1__AgentMessage *resp = NULL;
    int code = conn_request(pmm_agent, &m, conn_timeout_for(ctx->req, LOGS_TIMEOUT_MS), &resp, &ctx->status);
    free(pmm_agent);
    if (code != RPC_OK)
        return code;
    if (resp->payload_case != AGENT__V1__AGENT_MESSAGE__PAYLOAD_AGENT_LOGS) {
        protobuf_c_message_free_unpacked(&resp->base, NULL);
        return rpc_fail(&ctx->status, RPC_INTERNAL, "wrong response from agent (not AgentLogsResponse model)");
    }
    Inventory__V1__GetAgentLogsResponse *r = malloc(sizeof *r);
    if (!r) {
        protobuf_c_message_free_unpacked(&resp->base, NULL);
        return rpc_fail(&ctx->status, RPC_RESOURCE_EXHAUSTED, "out of memory");
    }
    inventory__v1__get_agent_logs_response__init(r);
    /* the lines move over: the agent's answer gives them up */
    r->n_logs = resp->agent_logs->n_logs;
    r->logs = resp->agent_logs->logs;
    r->agent_config_log_lines_count = resp->agent_logs->agent_config_log_lines_count;
    resp->agent_logs->n_logs = 0;
    resp->agent_logs->logs = NULL;
    protobuf_c_message_free_unpacked(&resp->base, NULL);
    *out = &r->base;
    return RPC_OK;
}

const rpc_method agent_logs_methods[] = {
    { "/inventory.v1.AgentsService/GetAgentLogs", &inventory__v1__get_agent_logs_request__descriptor, get_agent_logs },
};
const size_t agent_logs_methods_count = sizeof agent_logs_methods / sizeof agent_logs_methods[0];
