/* check: upstream's ConnectionChecker and ServiceInfoBroker for
 * AddService. The new service and exporter rows are not committed while
 * the pmm-agent is asked, so agentsd cannot read them: they are read here
 * inside the caller's transaction (secrets as stored, agentsd decrypts)
 * and sent with the pmm-agent's version to agentsd's
 * internal.v1.AgentsService/CheckService, which asks the pmm-agent. What
 * the pmm-agent reports (MySQL's table count, the server version) is
 * written in the same transaction; any error rolls the whole add back. */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

#include "db/agent_row.h"
#include "db/store/agents.h"
#include "db/store/nodes.h"
#include "db/store/services.h"
#include "bus/peers.h"
#include "internal/v1/agents.pb-c.h"

/* agentsd asks twice, each up to its own 5 s; the gateway gives 10 s. */
#define CHECK_CALL_MS 9800

/* A row read for the check: rec, or NULL with st set (the row is missing
 * when st is still clean). */
static json_t *row_rec(json_t *rec, const char *id, rpc_status *st)
{
    if (!rec && st->code == RPC_OK)
        rpc_fail(st, RPC_INTERNAL, "cannot read the new row %s", id);
    return rec;
}

/* The pmm-agent's stored version, "" when it never connected (malloc'd). */
static char *agent_version(db *d, const char *pmm_agent_id, rpc_status *st)
{
    char *v = NULL;
    store_agents_version(d, pmm_agent_id, &v, st);
    return v;
}

/* Calls agentsd; *out is the caller's on RPC_OK. */
static int call_agentsd(const Internal__V1__CheckServiceRequest *in, Internal__V1__CheckServiceResponse **out,
                        rpc_status *st)
{
    bus_client *c = bus_peers_get("agentsd");
    if (!c)
        return rpc_fail(st, RPC_INTERNAL, "no bus client for agentsd");
    size_t len = internal__v1__check_service_request__get_packed_size(in);
    uint8_t *buf = malloc(len ? len : 1);
    if (!buf)
        return rpc_fail(st, RPC_INTERNAL, "out of memory");
    internal__v1__check_service_request__pack(in, buf);
    bus_request req = { .method = "/internal.v1.AgentsService/CheckService", .user = "", .role = "",
                        .body = buf, .body_len = len };
    bus_reply rep = { 0 };
    int code = bus_client_call(c, &req, CHECK_CALL_MS, &rep);
    free(buf);
    if (code != RPC_OK)
        rpc_fail(st, code, "%s", rep.message ? rep.message : "");
    else if (!(*out = internal__v1__check_service_response__unpack(NULL, rep.body_len, rep.body)))
        rpc_fail(st, RPC_INTERNAL, "agentsd's answer does not decode");
    bus_reply_clear(&rep);
    return st->code;
}

static int store(db *d, const char *service_id, const char *agent_id, const Internal__V1__CheckServiceResponse *res,
                 bool mysql, rpc_status *st)
{
    if (mysql && store_agents_set_table_count(d, agent_id, (int)res->table_count, st))
        return st->code;
    if (!res->version || !*res->version)
        return RPC_OK;
    return store_services_set_version(d, service_id, res->version, st);
}

/* upstream's ConnectionChecker: an external or HAProxy exporter that does
 * not push is scraped by the server, so the server's own pmm-agent checks it. */
static const char *checking_agent(json_t *agent, json_t *service)
{
    const char *type = agent_rec_str(service, "service_type");
    bool external = strcmp(type, "external") == 0 || strcmp(type, "haproxy") == 0;
    if (external && !json_is_true(agent_rec_get(agent, "exporter_options", "push_metrics")))
        return "pmm-server";
    return agent_rec_str(agent, "pmm_agent_id");
}

static int ask(db *d, json_t *agent, json_t *service, json_t *node, Internal__V1__CheckServiceResponse **res,
               rpc_status *st)
{
    Internal__V1__CheckServiceRequest in = INTERNAL__V1__CHECK_SERVICE_REQUEST__INIT;
    in.pmm_agent_id = (char *)checking_agent(agent, service);
    in.agent_version = agent_version(d, in.pmm_agent_id, st);
    in.agent_row_json = json_dumps(agent, JSON_COMPACT);
    in.service_row_json = json_dumps(service, JSON_COMPACT);
    in.node_row_json = node ? json_dumps(node, JSON_COMPACT) : strdup("");
    if (in.agent_version && (!in.agent_row_json || !in.service_row_json || !in.node_row_json))
        rpc_fail(st, RPC_INTERNAL, "out of memory");
    if (st->code == RPC_OK)
        call_agentsd(&in, res, st);
    free(in.agent_version);
    free(in.agent_row_json);
    free(in.service_row_json);
    free(in.node_row_json);
    return st->code;
}

int mgmt_check_service(db *d, const char *service_id, const char *agent_id, int32_t *table_count, rpc_status *st)
{
    Internal__V1__CheckServiceResponse *res = NULL;
    json_t *agent = row_rec(store_agents_get_sealed(d, agent_id, st), agent_id, st);
    json_t *service = agent ? row_rec(store_services_get(d, service_id, st), service_id, st) : NULL;
    const char *runs_on = agent_rec_str(agent, "runs_on_node_id");
    json_t *node = service && *runs_on ? row_rec(store_nodes_get(d, runs_on, st), runs_on, st) : NULL;
    bool mysql = strcmp(agent_rec_str(service, "service_type"), "mysql") == 0;
    if (service && (node || !*runs_on) && ask(d, agent, service, node, &res, st) == RPC_OK && res->service_info &&
        store(d, service_id, agent_id, res, mysql, st) == RPC_OK && mysql && table_count)
        *table_count = res->table_count;
    if (res)
        internal__v1__check_service_response__free_unpacked(res, NULL);
    json_decref(agent);
    json_decref(service);
    json_decref(node);
    return st->code;
}
