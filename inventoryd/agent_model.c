/* agent_model: agents in PostgreSQL: create, read, change, list, remove
 * with upstream's checks and texts (see agent_model.h). Row <-> message
 * conversion is agent_record.c's, the kind table agent_kinds.c's. */
#include "agent_model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent_record.h"
#include "db/store/agents.h"
#include "db/store/nodes.h"
#include "db/store/services.h"
#include "log.h"
#include "pbutil.h"

/* ---- upstream's lookups (managed/models: agent, node and service helpers) ------------------- */

/* FindAgentByID; *runs_on gets the agent's runs_on_node_id (malloc'd) when asked. */
static int find_agent(db *d, const char *id, char **runs_on, rpc_status *st)
{
    if (!id || !*id)
        return rpc_fail(st, RPC_INVALID_ARGUMENT, "Empty Agent ID.");
    bool found = false;
    if (store_agents_runs_on(d, id, &found, runs_on, st))
        return st->code;
    return found ? RPC_OK : rpc_fail(st, RPC_NOT_FOUND, "Agent with ID %s not found.", id);
}

/* FindNodeByID / FindServiceByID: *type gets node_type / service_type. */
static int find_typed(db *d, int (*lookup)(db *, const char *, char *, size_t, bool *, rpc_status *),
                      const char *what, const char *id, char *type, size_t tlen, rpc_status *st)
{
    if (!id || !*id)
        return rpc_fail(st, RPC_INVALID_ARGUMENT, "Empty %s ID.", what);
    char found_type[64];
    bool found = false;
    if (lookup(d, id, found_type, sizeof found_type, &found, st))
        return st->code;
    if (!found) {
        char q[300];
        rpc_quote(q, sizeof q, id);
        return rpc_fail(st, RPC_NOT_FOUND, "%s with ID %s not found.", what, q);
    }
    if (type)
        snprintf(type, tlen, "%s", found_type);
    return RPC_OK;
}

static int find_node(db *d, const char *id, char *type, size_t tlen, rpc_status *st)
{
    return find_typed(d, store_nodes_type, "Node", id, type, tlen, st);
}

static int find_service(db *d, const char *id, char *type, size_t tlen, rpc_status *st)
{
    return find_typed(d, store_services_type, "Service", id, type, tlen, st);
}

/* compatibleNodeAndAgent */
static bool node_compatible(const char *node_type, const char *agent_type)
{
    if (strcmp(node_type, "generic") == 0 || strcmp(node_type, "container") == 0)
        return true;
    return (strcmp(node_type, "remote") == 0 && strcmp(agent_type, "external-exporter") == 0) ||
           (strcmp(node_type, "remote_rds") == 0 && strcmp(agent_type, "rds_exporter") == 0) ||
           (strcmp(node_type, "remote_azure_database") == 0 && strcmp(agent_type, "azure_database_exporter") == 0);
}

static bool service_compatible(const agent_kind *k, const char *service_type)
{
    for (int i = 0; i < 3 && k->services[i]; i++)
        if (strcmp(k->services[i], service_type) == 0)
            return true;
    return false;
}

/* The only pmm-agent on a node, for push-mode external exporters. */
static int pmm_agent_on_node(db *d, const char *node_id, char **id, rpc_status *st)
{
    PGresult *r = store_agents_pmm_agent_ids_on_node(d, node_id, st);
    if (!r)
        return st->code;
    int n = PQntuples(r), rc = RPC_OK;
    if (n == 0)
        rc = rpc_fail(st, RPC_NOT_FOUND, "cannot find any pmm-agent by NodeID");
    else if (n > 1)
        rc = rpc_fail(st, RPC_INTERNAL, "exactly one pmm_agent expected for external exporter, but (%d) found at node: %s",
                      n, node_id);
    else
        *id = strdup(PQgetvalue(r, 0, 0));
    PQclear(r);
    return rc;
}

/* ---- create / get / change / list / remove ------------------------------ */

/* Upstream MySQLOptionsFromRequest accepts one extra DSN parameter. */
static int check_dsn_params(const ProtobufCMessage *p, rpc_status *st)
{
    char *text = pb_map_to_json(p, "extra_dsn_params");
    json_t *obj = text ? json_loads(text, 0, NULL) : NULL;
    free(text);
    const char *key;
    json_t *v;
    int rc = RPC_OK;
    json_object_foreach(obj, key, v) {
        if (strcmp(key, "allowCleartextPasswords") != 0) {
            rc = rpc_fail(st, RPC_INVALID_ARGUMENT, "Unsupported DSN parameter: %s", key);
            break;
        }
    }
    json_decref(obj);
    return rc;
}

/* Sets pmm_agent_id / node_id / service_id / runs_on_node_id as kind k
 * attaches, after upstream's checks (in upstream's order). */
static int attach(db *d, const agent_kind *k, const ProtobufCMessage *p, json_t *rec, rpc_status *st)
{
    char type[64];
    const char *pmm = pb_get_str(p, "pmm_agent_id");
    switch (k->attach) {
    case ATTACH_NODE_RUNS_ON: {
        const char *node = pb_get_str(p, "runs_on_node_id");
        if (find_node(d, node, NULL, 0, st))
            return st->code;
        return agent_rec_set(rec, "runs_on_node_id", NULL, json_string(node)) ? rpc_fail(st, RPC_INTERNAL, "out of memory") : 0;
    }
    case ATTACH_PMM_NODE: {
        char *node = NULL;
        if (find_agent(d, pmm, &node, st))
            return st->code;
        int rc = agent_rec_set(rec, "pmm_agent_id", NULL, json_string(pmm)) ||
                 agent_rec_set(rec, "node_id", NULL, node ? json_string(node) : json_null());
        free(node);
        return rc ? rpc_fail(st, RPC_INTERNAL, "out of memory") : 0;
    }
    case ATTACH_SERVICE: {
        const char *svc = pb_get_str(p, "service_id");
        if (find_agent(d, pmm, NULL, st) || find_service(d, svc, type, sizeof type, st))
            return st->code;
        if (!service_compatible(k, type))
            return rpc_fail(st, RPC_FAILED_PRECONDITION, "invalid combination of service type %s and agent type %s",
                            type, k->stored);
        return agent_rec_set(rec, "pmm_agent_id", NULL, json_string(pmm)) ||
                       agent_rec_set(rec, "service_id", NULL, json_string(svc))
                   ? rpc_fail(st, RPC_INTERNAL, "out of memory")
                   : 0;
    }
    case ATTACH_NODE: {
        const char *node = pb_get_str(p, "node_id");
        if (find_agent(d, pmm, NULL, st) || find_node(d, node, type, sizeof type, st))
            return st->code;
        if (!node_compatible(type, k->stored))
            return rpc_fail(st, RPC_FAILED_PRECONDITION, "invalid combination of node type %s and agent type %s",
                            type, k->stored);
        return agent_rec_set(rec, "pmm_agent_id", NULL, json_string(pmm)) || agent_rec_set(rec, "node_id", NULL, json_string(node))
                   ? rpc_fail(st, RPC_INTERNAL, "out of memory")
                   : 0;
    }
    case ATTACH_EXTERNAL: {
        uint32_t port = pb_get_u32(p, "listen_port");
        const char *node = pb_get_str(p, "runs_on_node_id"), *svc = pb_get_str(p, "service_id");
        if (port == 0 || port > 65535) /* agents.c validates first; kept for other callers */
            return rpc_fail(st, RPC_INVALID_ARGUMENT, "Listen port should be between 1 and 65535.");
        char *owner = NULL;
        if (pb_get_bool(p, "push_metrics") && pmm_agent_on_node(d, node, &owner, st))
            return st->code;
        if (find_node(d, node, NULL, 0, st) || find_service(d, svc, NULL, 0, st)) {
            free(owner);
            return st->code;
        }
        /* Push mode: the pmm-agent scrapes it, so it belongs to that agent. */
        int rc = agent_rec_set(rec, "service_id", NULL, json_string(svc)) ||
                 (owner ? agent_rec_set(rec, "pmm_agent_id", NULL, json_string(owner)) ||
                              agent_rec_set(rec, PMM_NODE_KEY, NULL, json_string(node))
                        : agent_rec_set(rec, "runs_on_node_id", NULL, json_string(node)));
        free(owner);
        return rc ? rpc_fail(st, RPC_INTERNAL, "out of memory") : 0;
    }
    }
    return rpc_fail(st, RPC_INTERNAL, "unknown agent kind");
}

/* Upstream defaults an external exporter's scheme and path. */
static void external_defaults(json_t *rec)
{
    const char *scheme = json_string_value(agent_rec_get(rec, "exporter_options", "metrics_scheme"));
    const char *path = json_string_value(agent_rec_get(rec, "exporter_options", "metrics_path"));
    if (!scheme || !*scheme)
        agent_rec_set(rec, "exporter_options", "metrics_scheme", json_string("http"));
    if (!path || !*path)
        agent_rec_set(rec, "exporter_options", "metrics_path", json_string("/metrics"));
}

int agent_create(db *d, const agent_kind *k, const ProtobufCMessage *p, ProtobufCMessage **out, rpc_status *st)
{
    if (k->family == FAM_MYSQL && check_dsn_params(p, st))
        return st->code;
    json_t *rec = agent_rec_new(k);
    if (!rec)
        return rpc_fail(st, RPC_INTERNAL, "out of memory");
    int rc = attach(d, k, p, rec, st);
    if (rc == RPC_OK && agent_rec_apply(rec, k, p, false) != 0)
        rc = rpc_fail(st, RPC_INTERNAL, "failed to build agent");
    if (rc == RPC_OK) {
        if (k->attach == ATTACH_EXTERNAL)
            external_defaults(rec);
        rc = store_agents_add(d, rec, st);
    }
    if (rc == RPC_OK)
        rc = agent_get(d, agent_rec_str(rec, "agent_id"), NULL, out, st);
    json_decref(rec);
    return rc;
}

/* Read back the way lists read it, so that every answer about an agent
 * (add, change, get, list) comes from the stored row by one conversion. */
int agent_get(db *d, const char *id, const agent_kind **kind, ProtobufCMessage **out, rpc_status *st)
{
    PGresult *r = store_agents_shown(d, id, st);
    if (!r)
        return st->code;
    int rc = RPC_OK;
    agent_rows *rs = NULL;
    const agent_kind *k = NULL;
    if (PQntuples(r) == 0)
        rc = rpc_fail(st, RPC_NOT_FOUND, "Agent with ID %s not found.", id);
    else if (!(rs = agent_rows_new(r)))
        rc = rpc_fail(st, RPC_INTERNAL, "out of memory");
    else if (!(*out = agent_rows_msg(rs, 0, &k, st)))
        rc = k ? st->code : rpc_fail(st, RPC_INTERNAL, "failed to build agent");
    if (rc == RPC_OK && kind)
        *kind = k;
    agent_rows_free(rs);
    PQclear(r);
    return rc;
}

/* updateExternalExporterParams: push mode moves an external exporter from
 * its node to the node's pmm-agent, pull mode back. */
static int external_push_switch(db *d, json_t *rec, rpc_status *st)
{
    bool push = json_is_true(agent_rec_get(rec, "exporter_options", "push_metrics"));
    json_t *pmm = json_object_get(rec, "pmm_agent_id"), *node = json_object_get(rec, "runs_on_node_id");
    if (push && !json_is_string(pmm)) {
        char *owner = NULL;
        if (pmm_agent_on_node(d, json_string_value(node) ? json_string_value(node) : "", &owner, st))
            return st->code;
        int rc = agent_rec_set(rec, PMM_NODE_KEY, NULL, json_deep_copy(node)) ||
                 agent_rec_set(rec, "pmm_agent_id", NULL, json_string(owner)) || agent_rec_set(rec, "runs_on_node_id", NULL, json_null());
        free(owner);
        return rc ? rpc_fail(st, RPC_INTERNAL, "out of memory") : 0;
    }
    if (!push && !json_is_string(node)) {
        char *runs_on = NULL;
        if (find_agent(d, json_string_value(pmm), &runs_on, st))
            return st->code;
        int rc = agent_rec_set(rec, "runs_on_node_id", NULL, runs_on ? json_string(runs_on) : json_null()) ||
                 agent_rec_set(rec, "pmm_agent_id", NULL, json_null());
        free(runs_on);
        return rc ? rpc_fail(st, RPC_INTERNAL, "out of memory") : 0;
    }
    return RPC_OK;
}

int agent_change(db *d, const char *id, const char *member, const ProtobufCMessage *p, ProtobufCMessage **out,
                 rpc_status *st)
{
    json_t *rec = store_agents_get_for_update(d, id, st);
    if (!rec)
        return st->code ? st->code : rpc_fail(st, RPC_NOT_FOUND, "Agent with ID %s not found.", id);
    const agent_kind *k = agent_kind_by_stored(agent_rec_str(rec, "agent_type"));
    int rc = RPC_OK;
    if (!k || !k->change_member || strcmp(k->change_member, member) != 0)
        rc = rpc_fail(st, RPC_INVALID_ARGUMENT, "Agent with ID %s is not a %s.", id,
                      agent_kind_by_change_member(member) ? agent_kind_by_change_member(member)->stored : member);
    if (rc == RPC_OK && pb_has(p, "enable") && agent_rec_set_enabled(rec, k, pb_get_bool(p, "enable")) != 0)
        rc = rpc_fail(st, RPC_INTERNAL, "out of memory");
    if (rc == RPC_OK && agent_rec_apply(rec, k, p, true) != 0)
        rc = rpc_fail(st, RPC_INTERNAL, "failed to change agent");
    if (rc == RPC_OK && k->attach == ATTACH_EXTERNAL && pb_has(p, "enable_push_metrics"))
        rc = external_push_switch(d, rec, st);
    if (rc == RPC_OK)
        rc = store_agents_update(d, rec, st);
    if (rc == RPC_OK)
        rc = agent_get(d, id, NULL, out, st);
    json_decref(rec);
    return rc;
}

int agent_list(db *d, const char *pmm_agent_id, const char *node_id, const char *service_id, int type_enum,
               ProtobufCMessage *resp, rpc_status *st)
{
    const agent_kind *only = type_enum ? agent_kind_by_enum(type_enum) : NULL;
    if (type_enum && !only)
        return RPC_OK;
    store_agents_filter filter = STORE_AGENTS_ALL;
    const char *val = NULL;
    if (pmm_agent_id && *pmm_agent_id) {
        if (find_agent(d, pmm_agent_id, NULL, st))
            return st->code;
        filter = STORE_AGENTS_OF_PMM_AGENT, val = pmm_agent_id;
    } else if (node_id && *node_id) {
        if (find_node(d, node_id, NULL, 0, st))
            return st->code;
        filter = STORE_AGENTS_ON_NODE, val = node_id;
    } else if (service_id && *service_id) {
        if (find_service(d, service_id, NULL, 0, st))
            return st->code;
        filter = STORE_AGENTS_OF_SERVICE, val = service_id;
    }
    PGresult *r = store_agents_shown_all(d, filter, val, only ? only->stored : NULL, st);
    if (!r)
        return st->code;
    agent_rows *rs = agent_rows_new(r);
    int rc = rs ? RPC_OK : rpc_fail(st, RPC_INTERNAL, "out of memory");
    for (int i = 0; i < PQntuples(r) && rc == RPC_OK; i++) {
        const agent_kind *k;
        ProtobufCMessage *m = agent_rows_msg(rs, i, &k, st);
        if (!m) {
            if (k)
                rc = st->code;
            continue; /* a type this server does not know (e.g. a newer one) */
        }
        if (pb_append_msg(resp, k->list_member, m) != 0)
            rc = rpc_fail(st, RPC_INTERNAL, "failed to build agent list");
    }
    agent_rows_free(rs);
    PQclear(r);
    return rc;
}

int agent_remove(db *d, const char *id, bool force, rpc_status *st)
{
    if (find_agent(d, id, NULL, st))
        return st->code;
    if (strcmp(id, PMM_SERVER_AGENT_ID) == 0)
        return rpc_fail(st, RPC_PERMISSION_DENIED, "pmm-agent on PMM Server can't be removed.");
    bool children = false;
    if (store_agents_any_of_pmm_agent(d, id, &children, st))
        return st->code;
    if (children && !force)
        return rpc_fail(st, RPC_FAILED_PRECONDITION, "pmm-agent with ID %s has agents.", id);
    if (children && store_agents_delete_of_pmm_agent(d, id, st))
        return st->code;
    return store_agents_delete(d, id, st);
}

int agent_seal_plaintext(db *d)
{
    rpc_status st = { 0 };
    int sealed = 0;
    if (db_begin(d, &st) != RPC_OK || store_agents_seal_plaintext(d, &sealed, &st) != RPC_OK ||
        db_commit(d, &st) != RPC_OK) {
        db_rollback(d);
        log_error("cannot encrypt stored agent credentials: %s", st.message);
        return -1;
    }
    if (sealed)
        log_info("encrypted the stored credentials of %d agents", sealed);
    return 0;
}
