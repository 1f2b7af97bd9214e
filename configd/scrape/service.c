/* service: internal.v1.ScrapeService/AgentConfig (service.h). */
#include "service.h"

#include <stdlib.h>
#include <string.h>

#include "db/daemon_db.h"
#include "internal/v1/scrape.pb-c.h"
#include "vmagent.h"

static const scrape_state_config *server_cfg;

void scrape_service_init(const scrape_state_config *cfg)
{
    server_cfg = cfg;
}

static int agent_config(rpc_ctx *ctx, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    const Internal__V1__AgentConfigRequest *req = (const Internal__V1__AgentConfigRequest *)in;
    daemon_worker *w = ctx->worker;
    if (!req->pmm_agent_id || !*req->pmm_agent_id)
        return rpc_fail(&ctx->status, RPC_INVALID_ARGUMENT, "pmm_agent_id is required");
    if (!server_cfg)
        return rpc_fail(&ctx->status, RPC_UNAVAILABLE, "scrape configuration is not set up");
    scrape_buf yaml = { 0 };
    if (scrape_vmagent_config(w->db, server_cfg, req->pmm_agent_id, &yaml, &ctx->status) != RPC_OK) {
        sbuf_free(&yaml);
        return ctx->status.code;
    }
    Internal__V1__AgentConfigResponse *resp = malloc(sizeof *resp);
    char *text = strdup(yaml.data ? yaml.data : "");
    sbuf_free(&yaml);
    if (!resp || !text) {
        free(resp);
        free(text);
        return rpc_fail(&ctx->status, RPC_INTERNAL, "out of memory");
    }
    internal__v1__agent_config_response__init(resp);
    resp->yaml = text;
    *out = &resp->base;
    return RPC_OK;
}

const rpc_method scrape_methods[] = {
    { "/internal.v1.ScrapeService/AgentConfig", &internal__v1__agent_config_request__descriptor, agent_config },
};
const size_t scrape_methods_count = sizeof scrape_methods / sizeof *scrape_methods;
