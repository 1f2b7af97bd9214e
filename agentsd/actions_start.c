/* actions_start: StartServiceAction and StartPTSummaryAction as upstream's
 * actionsServer does them (managed/services/grpc/actions_server.go): the
 * pmm-agent that runs the action, the DSN and TLS files of the service's
 * agent, the action row, then StartActionRequest to that pmm-agent. */
#include "actions_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "actions/v1/actions.pb-c.h"
#include "agentsd/store/action_results.h"
#include "db/store/agents.h"
#include "db/store/nodes.h"
#include "db/store/services.h"
#include "db/agent_row.h"
#include "db/daemon_db.h"
#include "pbutil.h"
#include "validate.h"
#include "agentsd/state/dsn.h"
#include "qan_explain.h"
#include "service_dsn.h"

/* ---- lookups (upstream models) ------------------------------------------------- */

static int fail_quoted(rpc_status *st, int code, const char *fmt, const char *id)
{
    char q[256];
    rpc_quote(q, sizeof q, id);
    return rpc_fail(st, code, fmt, q);
}

static json_t *find_node(db *d, const char *id, rpc_status *st)
{
    json_t *n = store_nodes_get(d, id, st);
    if (!n && st->code == RPC_OK)
        fail_quoted(st, RPC_NOT_FOUND, "Node with ID %s not found.", id);
    return n;
}

/* models.FindPmmAgentIDToRunActionOrJob: the requested pmm-agent when it is
 * one of agents, the only one when none is requested. */
static int pick_pmm_agent(const char *requested, json_t *agents, char *out, size_t outlen, rpc_status *st)
{
    if (!*requested && json_array_size(agents) == 1) {
        snprintf(out, outlen, "%s", agent_rec_str(json_array_get(agents, 0), "agent_id"));
        return RPC_OK;
    }
    if (!*requested)
        return rpc_fail(st, RPC_INVALID_ARGUMENT, "Couldn't find pmm-agent-id to run action");
    size_t i;
    json_t *a;
    json_array_foreach(agents, i, a) {
        if (strcmp(agent_rec_str(a, "agent_id"), requested) == 0) {
            snprintf(out, outlen, "%s", requested);
            return RPC_OK;
        }
    }
    return rpc_fail(st, RPC_FAILED_PRECONDITION, "Couldn't find pmm-agent-id to run action");
}

/* models.FindPMMAgentsForService: the pmm-agents of the service's agents. */
static json_t *pmm_agents_for_service(db *d, const char *service_id, rpc_status *st)
{
    json_t *svc = store_services_get(d, service_id, st);
    if (!svc) {
        if (st->code == RPC_OK)
            rpc_fail(st, RPC_FAILED_PRECONDITION, "Couldn't get services by service_id, %s", service_id);
        return NULL;
    }
    json_decref(svc);
    return store_agents_pmm_agents_of_service(d, service_id, st);
}

/* models.FindPMMAgentsRunningOnNode, then FindPMMAgentsForVersion when
 * min_version is set (agents whose version does not parse are left out). */
static json_t *pmm_agents_on_node(db *d, const char *node_id, const char *min_version, rpc_status *st)
{
    json_t *all = store_agents_pmm_agents_on_node(d, node_id, st);
    if (!all || !min_version)
        return all;
    json_t *ok = json_array();
    size_t i;
    json_t *a;
    json_array_foreach(all, i, a) {
        agent_ver v;
        if (agent_ver_parse(agent_rec_str(a, "version"), &v) == 0 && !agent_ver_less(&v, min_version))
            json_array_append(ok, a);
    }
    json_decref(all);
    return ok;
}

/* prepareServiceAction(WithFiles): the pmm-agent and the DSN; the service
 * is looked up first when files are wanted, as upstream does. */
int action_target_prepare(db *d, const char *service_id, const char *pmm_agent_id, const char *database, bool files,
                          sdsn_target *t, rpc_status *st)
{
    if (files && !(t->service = sdsn_find_service(d, service_id, st)))
        return st->code;
    json_t *agents = pmm_agents_for_service(d, service_id, st);
    if (!agents)
        return st->code;
    int rc = pick_pmm_agent(pmm_agent_id, agents, t->pmm_agent_id, sizeof t->pmm_agent_id, st);
    json_decref(agents);
    if (rc == RPC_OK && !t->service && !(t->service = sdsn_find_service(d, service_id, st)))
        rc = st->code;
    return rc == RPC_OK ? sdsn_resolve(d, t, database, st) : rc;
}


/* ---- StartServiceAction -------------------------------------------------------------- */

typedef enum { K_MYSQL_EXPLAIN, K_MYSQL_TABLE, K_PG_TABLE, K_MONGO_EXPLAIN, K_PT_MYSQL, K_PT_PG, K_PT_MONGO } kind;

static const struct {
    const char *member, *params_msg, *resp_member;
    kind k;
    const char *agent_params; /* StartActionRequest params member */
} kinds[] = {
    { "mysql_explain", "StartMySQLExplainActionParams", "mysql_explain", K_MYSQL_EXPLAIN,
      "mysql_explain_params" },
    { "mysql_explain_json", "StartMySQLExplainJSONActionParams", "mysql_explain_json",
      K_MYSQL_EXPLAIN, "mysql_explain_params" },
    { "mysql_explain_traditional_json", "StartMySQLExplainTraditionalJSONActionParams",
      "mysql_explain_traditional_json", K_MYSQL_EXPLAIN, "mysql_explain_params" },
    { "mysql_show_index", "StartMySQLShowIndexActionParams", "mysql_show_index", K_MYSQL_TABLE,
      "mysql_show_index_params" },
    { "mysql_show_create_table", "StartMySQLShowCreateTableActionParams",
      "mysql_show_create_table", K_MYSQL_TABLE, "mysql_show_create_table_params" },
    { "mysql_show_table_status", "StartMySQLShowTableStatusActionParams",
      "mysql_show_table_status", K_MYSQL_TABLE, "mysql_show_table_status_params" },
    { "postgres_show_create_table", "StartPostgreSQLShowCreateTableActionParams",
      "postgresql_show_create_table", K_PG_TABLE, "postgresql_show_create_table_params" },
    { "postgres_show_index", "StartPostgreSQLShowIndexActionParams", "postgresql_show_index",
      K_PG_TABLE, "postgresql_show_index_params" },
    { "mongodb_explain", "StartMongoDBExplainActionParams", "mongodb_explain", K_MONGO_EXPLAIN,
      "mongodb_explain_params" },
    { "pt_mongodb_summary", "StartPTMongoDBSummaryActionParams", "pt_mongodb_summary", K_PT_MONGO,
      "pt_mongodb_summary_params" },
    { "pt_mysql_summary", "StartPTMySQLSummaryActionParams", "pt_mysql_summary", K_PT_MYSQL,
      "pt_mysql_summary_params" },
    { "pt_postgres_summary", "StartPTPgSummaryActionParams", "pt_postgres_summary", K_PT_PG,
      "pt_pg_summary_params" },
};
#define N_KINDS (sizeof kinds / sizeof *kinds)

/* The params' protoc-gen-validate rules (service_id {uuid: true}, then
 * table_name or query min_len 1), reported through the oneof member. */
static int validate(size_t k, const ProtobufCMessage *p, rpc_status *st)
{
    const char *m = kinds[k].params_msg;
    int rc = RPC_OK;
    switch (kinds[k].k) {
    case K_MYSQL_EXPLAIN:
        rc = validate_uuid(st, pb_get_str(p, "service_id"), m, "ServiceId");
        break;
    case K_MYSQL_TABLE:
    case K_PG_TABLE:
        rc = validate_uuid(st, pb_get_str(p, "service_id"), m, "ServiceId") ||
             validate_min_len(st, pb_get_str(p, "table_name"), 1, m, "TableName");
        break;
    case K_MONGO_EXPLAIN:
        rc = validate_uuid(st, pb_get_str(p, "service_id"), m, "ServiceId") ||
             validate_min_len(st, pb_get_str(p, "query"), 1, m, "Query");
        break;
    default:
        break;
    }
    return rc == RPC_OK ? RPC_OK : validate_embedded(st, "StartServiceActionRequest", kinds[k].member);
}

/* The single exporter of type of the service, under pmm_agent_id when
 * it is not empty (FindAgents as the handlers call it). */
static int one_exporter(db *d, const char *service_id, const char *type, const char *pmm_agent_id, json_t **out,
                        const char *none, const char *many, rpc_status *st)
{
    json_t *rows = store_agents_of_service(d, service_id, type, pmm_agent_id, st);
    if (!rows)
        return st->code;
    size_t n = json_array_size(rows);
    int rc = RPC_OK;
    if (n == 1)
        *out = json_incref(json_array_get(rows, 0));
    else
        rc = rpc_fail(st, RPC_FAILED_PRECONDITION, "%s", n == 0 || !many ? none : many);
    json_decref(rows);
    return rc;
}

/* MySQL EXPLAIN's output format by the API method (upstream's handlers). */
static Agent__V1__MysqlExplainOutputFormat explain_format(size_t k)
{
    if (strcmp(kinds[k].member, "mysql_explain_json") == 0)
        return AGENT__V1__MYSQL_EXPLAIN_OUTPUT_FORMAT__MYSQL_EXPLAIN_OUTPUT_FORMAT_JSON;
    if (strcmp(kinds[k].member, "mysql_explain_traditional_json") == 0)
        return AGENT__V1__MYSQL_EXPLAIN_OUTPUT_FORMAT__MYSQL_EXPLAIN_OUTPUT_FORMAT_TRADITIONAL_JSON;
    return AGENT__V1__MYSQL_EXPLAIN_OUTPUT_FORMAT__MYSQL_EXPLAIN_OUTPUT_FORMAT_DEFAULT;
}

ProtobufCMessage *action_dsn_params(const char *member, const sdsn_target *t, ProtobufCMessage **tf)
{
    const ProtobufCMessageDescriptor *desc =
        protobuf_c_message_descriptor_get_field_by_name(&agent__v1__start_action_request__descriptor,
                                                        member)->descriptor;
    ProtobufCMessage *m = pb_new(desc);
    *tf = m ? sdsn_text_files(t) : NULL;
    if (!*tf || pb_set_str(m, "dsn", t->dsn) != 0) {
        if (*tf)
            protobuf_c_message_free_unpacked(*tf, NULL);
        if (m)
            protobuf_c_message_free_unpacked(m, NULL);
        return NULL;
    }
    return m;
}

/* Params of a DSN action (table, MySQL or MongoDB explain), TLS files
 * included; q is MySQL EXPLAIN's query from qan-api2. */
static ProtobufCMessage *dsn_params(size_t k, const ProtobufCMessage *p, const sdsn_target *t, bool tls_skip_verify,
                                    const qan_query *q)
{
    ProtobufCMessage *tf;
    ProtobufCMessage *m = action_dsn_params(kinds[k].agent_params, t, &tf);
    if (!m)
        return NULL;
    int rc;
    if (kinds[k].k == K_MONGO_EXPLAIN) {
        rc = pb_set_str(m, "query", pb_get_str(p, "query")) | pb_set_msg(m, "text_files", tf);
    } else if (kinds[k].k == K_MYSQL_EXPLAIN) {
        Agent__V1__StartActionRequest__MySQLExplainParams *e = (Agent__V1__StartActionRequest__MySQLExplainParams *)m;
        e->output_format = explain_format(k);
        rc = pb_set_str(m, "query", q->query) | pb_set_str(m, "schema", q->schema) | pb_set_msg(m, "tls_files", tf) |
             pb_set_bool(m, "tls_skip_verify", tls_skip_verify);
        for (size_t i = 0; rc == 0 && i < q->n_values; i++)
            rc = pb_append_str(m, "values", q->values[i]);
    } else if (kinds[k].k == K_PG_TABLE) {
        /* Upstream sends PostgreSQL table actions without TLS files. */
        protobuf_c_message_free_unpacked(tf, NULL);
        rc = pb_set_str(m, "table", pb_get_str(p, "table_name"));
    } else {
        rc = pb_set_str(m, "table", pb_get_str(p, "table_name")) | pb_set_msg(m, "tls_files", tf) |
             pb_set_bool(m, "tls_skip_verify", tls_skip_verify);
    }
    if (rc != 0) {
        protobuf_c_message_free_unpacked(m, NULL);
        return NULL;
    }
    return m;
}

/* pt-*-summary params from the service and its one exporter. */
static ProtobufCMessage *pt_params(size_t k, json_t *svc, json_t *exporter)
{
    const ProtobufCMessageDescriptor *desc =
        protobuf_c_message_descriptor_get_field_by_name(&agent__v1__start_action_request__descriptor,
                                                        kinds[k].agent_params)->descriptor;
    ProtobufCMessage *m = pb_new(desc);
    if (!m)
        return NULL;
    const char *host = agent_rec_str(svc, "address");
    /* pt-pg-summary takes the socket as its host. */
    if (kinds[k].k == K_PT_PG && *agent_rec_str(svc, "socket"))
        host = agent_rec_str(svc, "socket");
    int rc = pb_set_str(m, "host", host) | pb_set_u32(m, "port", (uint32_t)rec_i(svc, "port", NULL)) |
             pb_set_str(m, "username", agent_rec_str(exporter, "username")) |
             pb_set_str(m, "password", agent_rec_str(exporter, "password"));
    if (kinds[k].k == K_PT_MYSQL)
        rc |= pb_set_str(m, "socket", agent_rec_str(svc, "socket"));
    if (rc != 0) {
        protobuf_c_message_free_unpacked(m, NULL);
        return NULL;
    }
    return m;
}

/* The pmm-agent of a pt-*-summary action (per upstream handler). */
static int pt_agent(db *d, size_t k, json_t *svc, const char *requested, char *out, size_t outlen, rpc_status *st)
{
    const char *node_id = agent_rec_str(svc, "node_id");
    json_t *node = find_node(d, node_id, st);
    if (!node)
        return st->code;
    bool remote = strcmp(agent_rec_str(node, "node_type"), "remote") == 0;
    json_decref(node);
    if (remote && kinds[k].k == K_PT_MYSQL)
        return rpc_fail(st, RPC_FAILED_PRECONDITION, "PTMySQL Summary doesn't work with remote instances yet");
    if (remote && kinds[k].k == K_PT_PG) {
        snprintf(out, outlen, "pmm-server");
        return RPC_OK;
    }
    json_t *agents = pmm_agents_on_node(d, node_id, kinds[k].k == K_PT_MONGO ? NULL : "2.15.0", st);
    if (!agents)
        return kinds[k].k == K_PT_MONGO ? rpc_fail(st, RPC_NOT_FOUND, "No pmm-agent running on this node")
                                        : rpc_fail(st, RPC_NOT_FOUND, "No pmm-agent running node %s", node_id);
    int rc = kinds[k].k != K_PT_MONGO && json_array_size(agents) == 0
                 ? rpc_fail(st, RPC_FAILED_PRECONDITION, "all available agents are outdated")
                 : pick_pmm_agent(requested, agents, out, outlen, st);
    json_decref(agents);
    return rc;
}

static int start_pt(db *d, size_t k, const ProtobufCMessage *p, char *agent, size_t agent_len, ProtobufCMessage **params,
                    rpc_status *st)
{
    static const struct {
        const char *type, *none, *many;
    } exporters[] = {
        [K_PT_MYSQL] = { "mysqld_exporter", "No mysql exporter", "Found more than one mysql exporter" },
        [K_PT_PG] = { "postgres_exporter", "No postgres exporter", "Found more than one postgres exporter" },
        [K_PT_MONGO] = { "mongodb_exporter", "No mongoDB exporter", "Found more than one mongoDB exporter" },
    };
    const char *service_id = pb_get_str(p, "service_id");
    json_t *svc = sdsn_find_service(d, service_id, st), *exporter = NULL;
    int rc = svc ? pt_agent(d, k, svc, pb_get_str(p, "pmm_agent_id"), agent, agent_len, st) : st->code;
    kind kk = kinds[k].k;
    if (rc == RPC_OK)
        rc = one_exporter(d, service_id, exporters[kk].type, "", &exporter, exporters[kk].none, exporters[kk].many, st);
    if (rc == RPC_OK && !(*params = pt_params(k, svc, exporter)))
        rc = rpc_fail(st, RPC_INTERNAL, "out of memory");
    json_decref(svc);
    json_decref(exporter);
    return rc;
}

static int start_dsn_action(db *d, size_t k, const ProtobufCMessage *p, char *agent, size_t agent_len,
                            ProtobufCMessage **params, rpc_status *st)
{
    sdsn_target t = { 0 };
    const char *service_id = pb_get_str(p, "service_id"), *requested = pb_get_str(p, "pmm_agent_id");
    /* MongoDB explain runs against the admin database. */
    const char *database = kinds[k].k == K_MONGO_EXPLAIN ? "admin" : pb_get_str(p, "database");
    int rc = action_target_prepare(d, service_id, requested, database, kinds[k].k != K_PG_TABLE, &t, st);
    bool skip_verify = false;
    if (rc == RPC_OK && (kinds[k].k == K_MYSQL_TABLE || kinds[k].k == K_MYSQL_EXPLAIN)) {
        json_t *exporter = NULL;
        rc = one_exporter(d, service_id, "mysqld_exporter", requested, &exporter, "Cannot find right agent", NULL, st);
        skip_verify = rec_b(exporter, "tls_skip_verify", NULL);
        json_decref(exporter);
    }
    qan_query q = { 0 };
    if (rc == RPC_OK && kinds[k].k == K_MYSQL_EXPLAIN)
        rc = qan_explain_query(service_id, pb_get_str(p, "query_id"), p, &q, st);
    if (rc == RPC_OK && !(*params = dsn_params(k, p, &t, skip_verify, &q)))
        rc = rpc_fail(st, RPC_INTERNAL, "out of memory");
    if (rc == RPC_OK)
        snprintf(agent, agent_len, "%s", t.pmm_agent_id);
    qan_query_clear(&q);
    sdsn_clear(&t);
    return rc;
}

/* The action row, then the request; a request the agent did not take
 * leaves no row behind. */
static int create_and_start(db *d, const char *agent, int timeout_s, const char *field, ProtobufCMessage *params,
                            char *action_id, rpc_status *st)
{
    if (action_create(d, agent, action_id, st) != RPC_OK) {
        protobuf_c_message_free_unpacked(params, NULL);
        return st->code;
    }
    int rc = action_start(agent, action_id, timeout_s, field, params, st);
    if (rc != RPC_OK) {
        rpc_status ignored;
        store_action_results_remove(d, action_id, &ignored);
    }
    return rc;
}

static int respond(rpc_status *st, const ProtobufCMessageDescriptor *d, const char *member, const char *action_id,
                   const char *pmm_agent_id, ProtobufCMessage **out)
{
    const ProtobufCFieldDescriptor *f = member ? protobuf_c_message_descriptor_get_field_by_name(d, member) : NULL;
    ProtobufCMessage *res = pb_new(f ? f->descriptor : d);
    if (!res || pb_set_str(res, "action_id", action_id) != 0 || pb_set_str(res, "pmm_agent_id", pmm_agent_id) != 0) {
        if (res)
            protobuf_c_message_free_unpacked(res, NULL);
        return rpc_fail(st, RPC_INTERNAL, "out of memory");
    }
    if (!member) {
        *out = res;
        return RPC_OK;
    }
    return pb_respond(st, d, member, res, out);
}

int actions_start_service(rpc_ctx *ctx, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    daemon_worker *w = ctx->worker;
    const char *member = pb_oneof_selected(in, "mysql_explain");
    size_t k = 0;
    while (member && k < N_KINDS && strcmp(kinds[k].member, member) != 0)
        k++;
    /* The oneof is not required: upstream's handler fails with a plain
     * error (errors.Errorf("invalid request %v")), which pmm-managed's
     * interceptor answers as Internal. */
    if (!member || k == N_KINDS)
        return rpc_fail(&ctx->status, RPC_INTERNAL, "Internal server error.");
    const ProtobufCMessage *p = pb_get_msg(in, member);
    if (validate(k, p, &ctx->status) != RPC_OK)
        return ctx->status.code;
    char agent[128] = "", action_id[64];
    ProtobufCMessage *params = NULL;
    bool pt = kinds[k].k == K_PT_MYSQL || kinds[k].k == K_PT_PG || kinds[k].k == K_PT_MONGO;
    int rc = pt ? start_pt(w->db, k, p, agent, sizeof agent, &params, &ctx->status)
                : start_dsn_action(w->db, k, p, agent, sizeof agent, &params, &ctx->status);
    if (rc == RPC_OK)
        rc = create_and_start(w->db, agent, pt ? ACTION_PT_TIMEOUT_S : ACTION_TIMEOUT_S, kinds[k].agent_params, params,
                              action_id, &ctx->status);
    else if (params)
        protobuf_c_message_free_unpacked(params, NULL);
    if (rc != RPC_OK)
        return rc;
    /* Upstream answers with the requested pmm_agent_id for the DSN actions,
     * the one chosen for the summaries. */
    return respond(&ctx->status, &actions__v1__start_service_action_response__descriptor, kinds[k].resp_member,
                   action_id, pt ? agent : pb_get_str(p, "pmm_agent_id"), out);
}

/* ---- StartPTSummaryAction -------------------------------------------------------------- */

int actions_start_pt_summary(rpc_ctx *ctx, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    daemon_worker *w = ctx->worker;
    const Actions__V1__StartPTSummaryActionRequest *req = (const Actions__V1__StartPTSummaryActionRequest *)in;
    json_t *agents = pmm_agents_on_node(w->db, req->node_id, NULL, &ctx->status);
    if (!agents)
        return ctx->status.code;
    size_t all = json_array_size(agents);
    json_decref(agents);
    if (all == 0)
        return rpc_fail(&ctx->status, RPC_NOT_FOUND, "no pmm-agent running on this node");
    agents = pmm_agents_on_node(w->db, req->node_id, "2.10.0", &ctx->status);
    if (!agents)
        return ctx->status.code;
    char agent[128], action_id[64];
    int rc = json_array_size(agents) == 0 ? rpc_fail(&ctx->status, RPC_NOT_FOUND, "all available agents are outdated")
                                          : pick_pmm_agent(req->pmm_agent_id, agents, agent, sizeof agent, &ctx->status);
    json_decref(agents);
    ProtobufCMessage *params = NULL;
    if (rc == RPC_OK && !(params = pb_new(&agent__v1__start_action_request__ptsummary_params__descriptor)))
        rc = rpc_fail(&ctx->status, RPC_INTERNAL, "out of memory");
    if (rc == RPC_OK)
        rc = create_and_start(w->db, agent, ACTION_PT_TIMEOUT_S, "pt_summary_params", params, action_id, &ctx->status);
    if (rc != RPC_OK)
        return rc;
    return respond(&ctx->status, &actions__v1__start_ptsummary_action_response__descriptor, NULL, action_id, agent, out);
}
