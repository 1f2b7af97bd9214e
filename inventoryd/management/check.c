/* check: upstream's ConnectionChecker and ServiceInfoBroker for
 * AddService. The new service and exporter rows are not committed while
 * the pmm-agent is asked, so agentsd cannot read them: they are read here
 * inside the caller's transaction (secrets as stored, agentsd decrypts)
 * and sent with the pmm-agent's version to agentsd's
 * internal.v1.AgentsService/CheckService, which asks the pmm-agent. What
 * the pmm-agent reports (MySQL's table count, the server version) is
 * written in the same transaction; any error rolls the whole add back. */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/agent_row.h"
#include "bus/peers.h"
#include "internal/v1/agents.pb-c.h"

/* agentsd asks twice, each up to its own 5 s; the gateway gives 10 s. */
#define CHECK_CALL_MS 9800

/* The single row of sql ($1 = id) as an agent_row record. */
static json_t *row_rec(db *d, const char *sql, const char *id, rpc_status *st)
{
    PGresult *r = db_exec(d, st, sql, 1, (const char *[]){ id });
    if (!r)
        return NULL;
    json_t *rec = PQntuples(r) == 1 ? agent_rec_from_row(r, 0) : NULL;
    PQclear(r);
    if (!rec)
        rpc_fail(st, RPC_INTERNAL, "cannot read the new row %s", id);
    return rec;
}

/* The pmm-agent's stored version, "" when it never connected (malloc'd). */
static char *agent_version(db *d, const char *pmm_agent_id, rpc_status *st)
{
    PGresult *r = db_exec(d, st, "SELECT version FROM agents WHERE agent_id = $1", 1, (const char *[]){ pmm_agent_id });
    if (!r)
        return NULL;
    char *v = strdup(PQntuples(r) == 1 ? mgmt_cell(r, 0, 0) : "");
    PQclear(r);
    if (!v)
        rpc_fail(st, RPC_INTERNAL, "out of memory");
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
    char count[16];
    snprintf(count, sizeof count, "%d", (int)res->table_count);
    PGresult *r = !mysql ? NULL :
        db_exec(d, st, "UPDATE agents SET mysql_options = jsonb_set(COALESCE(mysql_options, '{}'::jsonb), "
                       "'{table_count}', to_jsonb($2::int)) WHERE agent_id = $1",
                2, (const char *[]){ agent_id, count });
    if (mysql && !r)
        return st->code;
    PQclear(r);
    if (!res->version || !*res->version)
        return RPC_OK;
    r = db_exec(d, st, "UPDATE services SET version = $2 WHERE service_id = $1", 2,
                (const char *[]){ service_id, res->version });
    if (!r)
        return st->code;
    PQclear(r);
    return RPC_OK;
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
    json_t *agent = row_rec(d, "SELECT * FROM agents WHERE agent_id = $1", agent_id, st);
    json_t *service = agent ? row_rec(d, "SELECT * FROM services WHERE service_id = $1", service_id, st) : NULL;
    const char *runs_on = agent_rec_str(agent, "runs_on_node_id");
    json_t *node = service && *runs_on ? row_rec(d, "SELECT * FROM nodes WHERE node_id = $1", runs_on, st) : NULL;
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
