/* build: state_build, the SetStateRequest of one pmm-agent (upstream
 * StateUpdater.sendSetStateRequest): its enabled agents read in one
 * snapshot, each handed to its builder (exporters.c, qan.c, cloud.c, vmagent.c). */
#include "state.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/agent_row.h"
#include "db/store/agents.h"
#include "db/store/nodes.h"
#include "db/store/services.h"
#include "inventory/v1/agents.pb-c.h"
#include "log.h"
#include "pbutil.h"
#include "internal.h"
#include "agentsd/status.h"
#include "agentsd/webcfg.h"

/* Rows of sql ($1 = the pmm-agents, a text[] literal) as a JSON object
 * keyed by column key. */
/* rows (taken) as an object by the value of column key. */
static json_t *keyed(json_t *rows, const char *key, rpc_status *st)
{
    if (!rows)
        return NULL;
    json_t *all = json_object();
    size_t i;
    json_t *row;
    json_array_foreach(rows, i, row) {
        if (!all || json_object_set(all, agent_rec_str(row, key), row) != 0) {
            json_decref(all);
            all = NULL;
            break;
        }
    }
    json_decref(rows);
    if (!all)
        rpc_fail(st, RPC_INTERNAL, "out of memory");
    return all;
}

/* The pmm-agents' enabled agents, secrets decrypted: arrays by pmm-agent
 * id, each in agent id order. */
static json_t *load_agents(db *d, const char *ids, rpc_status *st)
{
    json_t *rows = store_agents_enabled_of_pmm_agents(d, ids, st);
    json_t *by = rows ? json_object() : NULL;
    size_t i;
    json_t *row;
    json_array_foreach(rows, i, row) {
        if (!by)
            break;
        const char *owner = agent_rec_str(row, "pmm_agent_id");
        json_t *list = json_object_get(by, owner);
        if ((!list && json_object_set_new(by, owner, list = json_array()) != 0) || json_array_append(list, row) != 0) {
            json_decref(by);
            by = NULL;
        }
    }
    if (rows && !by)
        rpc_fail(st, RPC_INTERNAL, "out of memory");
    json_decref(rows);
    return by;
}

/* What a batch of builds reads, in one snapshot: the pmm-agents by id,
 * their agents by pmm-agent id, and every service and node of those. */
typedef struct {
    json_t *pmm_agents, *agents, *services, *nodes;
} batch_rows;

static void batch_rows_clear(batch_rows *b)
{
    json_decref(b->pmm_agents);
    json_decref(b->agents);
    json_decref(b->services);
    json_decref(b->nodes);
}

static int load_batch(db *d, const char *ids, batch_rows *b, rpc_status *st)
{
    b->pmm_agents = keyed(store_agents_by_ids(d, ids, st), "agent_id", st);
    if (b->pmm_agents)
        b->agents = load_agents(d, ids, st);
    if (b->agents)
        b->services = keyed(store_services_of_pmm_agents(d, ids, st), "service_id", st);
    if (b->services)
        b->nodes = keyed(store_nodes_of_pmm_agents(d, ids, st), "node_id", st);
    return b->nodes ? RPC_OK : st->code;
}

typedef struct {
    json_t *pmm_agent, *agents, *services, *nodes;
    json_t *rds; /* rds_exporter agents by AWS access key, gathered while building */
    agent_ver ver;
} snapshot;

static void snapshot_clear(snapshot *s)
{
    json_decref(s->rds);
    json_decref(s->pmm_agent);
    json_decref(s->agents);
    json_decref(s->services);
    json_decref(s->nodes);
}

/* One pmm-agent's view of the batch. */
static int snapshot_of(const batch_rows *b, const char *id, const char *version, snapshot *s, rpc_status *st)
{
    s->pmm_agent = json_incref(json_object_get(b->pmm_agents, id));
    if (!s->pmm_agent || strcmp(agent_rec_str(s->pmm_agent, "agent_type"), "pmm-agent") != 0)
        return rpc_fail(st, RPC_NOT_FOUND, "Agent with ID %s not found.", id);
    if (!version || !*version)
        version = agent_rec_str(s->pmm_agent, "version");
    if (agent_ver_parse(version, &s->ver) != 0)
        return rpc_fail(st, RPC_FAILED_PRECONDITION, "failed to parse PMM agent version \"%s\"", version);
    s->agents = json_incref(json_object_get(b->agents, id));
    if (!s->agents)
        s->agents = json_array();
    s->services = json_incref(b->services);
    s->nodes = json_incref(b->nodes);
    if (!s->agents || !(s->rds = json_object()))
        return rpc_fail(st, RPC_INTERNAL, "out of memory");
    return RPC_OK;
}

/* ---- dispatch -------------------------------------------------------------------------- */

typedef int (*process_fn)(const state_src *, Agent__V1__SetStateRequest__AgentProcess **, rpc_status *);

static const struct {
    const char *type;
    process_fn process; /* NULL: a built-in agent */
    int builtin;        /* its AgentType */
} builders[] = {
    { "node_exporter", state_node_exporter, 0 },
    { "mysqld_exporter", state_mysqld_exporter, 0 },
    { "mongodb_exporter", state_mongodb_exporter, 0 },
    { "postgres_exporter", state_postgres_exporter, 0 },
    { "proxysql_exporter", state_proxysql_exporter, 0 },
    { "valkey_exporter", state_valkey_exporter, 0 },
    { "azure_database_exporter", state_azure_exporter, 0 },
    { "qan-mysql-perfschema-agent", NULL, INVENTORY__V1__AGENT_TYPE__AGENT_TYPE_QAN_MYSQL_PERFSCHEMA_AGENT },
    { "qan-mysql-slowlog-agent", NULL, INVENTORY__V1__AGENT_TYPE__AGENT_TYPE_QAN_MYSQL_SLOWLOG_AGENT },
    { "qan-mongodb-profiler-agent", NULL, INVENTORY__V1__AGENT_TYPE__AGENT_TYPE_QAN_MONGODB_PROFILER_AGENT },
    { "qan-mongodb-mongolog-agent", NULL, INVENTORY__V1__AGENT_TYPE__AGENT_TYPE_QAN_MONGODB_MONGOLOG_AGENT },
    { "qan-postgresql-pgstatements-agent", NULL, INVENTORY__V1__AGENT_TYPE__AGENT_TYPE_QAN_POSTGRESQL_PGSTATEMENTS_AGENT },
    { "qan-postgresql-pgstatmonitor-agent", NULL,
      INVENTORY__V1__AGENT_TYPE__AGENT_TYPE_QAN_POSTGRESQL_PGSTATMONITOR_AGENT },
};

/* Adds key -> value to the map field of req. Takes value. */
static int put_entry(ProtobufCMessage *req, const char *field, const char *key, ProtobufCMessage *value,
                     rpc_status *st)
{
    const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field_by_name(req->descriptor, field);
    ProtobufCMessage *e = pb_new(f->descriptor);
    if (!e || pb_set_str(e, "key", key) != 0) {
        if (e)
            protobuf_c_message_free_unpacked(e, NULL);
        protobuf_c_message_free_unpacked(value, NULL);
        return rpc_fail(st, RPC_INTERNAL, "out of memory");
    }
    if (pb_set_msg(e, "value", value) != 0 || pb_append_msg(req, field, e) != 0)
        return rpc_fail(st, RPC_INTERNAL, "out of memory");
    return RPC_OK;
}

/* rds_exporter agents run as one process per AWS access key (roster.go). */
static int gather_rds(snapshot *s, json_t *agent, rpc_status *st)
{
    if (!json_object_get(s->nodes, agent_rec_str(agent, "node_id")))
        return rpc_fail(st, RPC_NOT_FOUND, "Node with ID %s not found.", agent_rec_str(agent, "node_id"));
    const char *key = rec_s(agent, "aws_options", "aws_access_key");
    json_t *group = json_object_get(s->rds, key);
    if (!group && json_object_set_new(s->rds, key, group = json_array()) != 0)
        return rpc_fail(st, RPC_INTERNAL, "out of memory");
    if (json_array_append(group, agent) != 0)
        return rpc_fail(st, RPC_INTERNAL, "out of memory");
    return RPC_OK;
}

/* The rds_exporter processes, keyed "<pmm_agent_id>:rds/<access key>"
 * (pmm-agent reports their status under that id), by key order. */
static int build_rds(snapshot *s, const char *pmm_agent_id, ProtobufCMessage *req, rpc_status *st)
{
    strv keys = { 0 };
    const char *k;
    json_t *group;
    json_object_foreach(s->rds, k, group) strv_add(&keys, k);
    strv_sort(&keys);
    int rc = keys.oom ? rpc_fail(st, RPC_INTERNAL, "out of memory") : RPC_OK;
    for (size_t i = 0; rc == RPC_OK && i < keys.n; i++) {
        group = json_object_get(s->rds, keys.v[i]);
        size_t n = json_array_size(group);
        json_t **agents = calloc(n, sizeof *agents), **nodes = calloc(n, sizeof *nodes);
        for (size_t j = 0; agents && nodes && j < n; j++) {
            agents[j] = json_array_get(group, j);
            nodes[j] = json_object_get(s->nodes, agent_rec_str(agents[j], "node_id"));
        }
        Agent__V1__SetStateRequest__AgentProcess *p = NULL;
        char *id = NULL;
        if (!agents || !nodes || asprintf(&id, "%s:rds/%s", pmm_agent_id, keys.v[i]) < 0) {
            id = NULL;
            rc = rpc_fail(st, RPC_INTERNAL, "out of memory");
        } else if ((rc = state_rds_exporter(agents, nodes, n, &s->ver, &p, st)) == RPC_OK) {
            rc = put_entry(req, "agent_processes", id, &p->base, st);
        }
        free(id);
        free(agents);
        free(nodes);
    }
    strv_free(&keys);
    return rc;
}

static int build_one(snapshot *s, json_t *agent, ProtobufCMessage *req, rpc_status *st)
{
    const char *type = agent_rec_str(agent, "agent_type");
    const char *id = agent_rec_str(agent, "agent_id");
    /* pmm-agent runs itself; external exporters run elsewhere. */
    if (strcmp(type, "pmm-agent") == 0 || strcmp(type, "external-exporter") == 0)
        return RPC_OK;
    if (strcmp(type, "rds_exporter") == 0)
        return gather_rds(s, agent, st);
    if (strcmp(type, "vmagent") == 0) {
        Agent__V1__SetStateRequest__AgentProcess *p = NULL;
        if (state_vmagent(agent_rec_str(s->pmm_agent, "agent_id"), &p, st) != RPC_OK)
            return st->code;
        return put_entry(req, "agent_processes", id, &p->base, st);
    }
    /* Nomad is optional and off: left out rather than failing the state. */
    if (strcmp(type, "nomad-agent") == 0) {
        log_warn("SetState for %s: %s %s left out (not supported yet)", agent_rec_str(s->pmm_agent, "agent_id"), type,
                 agent_rec_str(agent, "agent_id"));
        return RPC_OK;
    }
    state_src src = { .agent = agent, .ver = &s->ver };
    if (strcmp(type, "node_exporter") == 0)
        src.node = json_object_get(s->nodes, agent_rec_str(agent, "node_id"));
    else
        src.node = json_object_get(s->nodes, agent_rec_str(s->pmm_agent, "runs_on_node_id"));
    for (size_t i = 0; i < sizeof builders / sizeof *builders; i++) {
        if (strcmp(builders[i].type, type) != 0)
            continue;
        if (strcmp(type, "node_exporter") != 0) {
            src.service = json_object_get(s->services, agent_rec_str(agent, "service_id"));
            if (!src.service)
                return rpc_fail(st, RPC_NOT_FOUND, "Service with ID %s not found.", agent_rec_str(agent, "service_id"));
        } else if (!src.node) {
            return rpc_fail(st, RPC_NOT_FOUND, "Node with ID %s not found.", agent_rec_str(agent, "node_id"));
        }
        if (builders[i].process) {
            Agent__V1__SetStateRequest__AgentProcess *p = NULL;
            if (builders[i].process(&src, &p, st) != RPC_OK)
                return st->code;
            return put_entry(req, "agent_processes", id, &p->base, st);
        }
        Agent__V1__SetStateRequest__BuiltinAgent *b = NULL;
        if (state_qan_agent(&src, builders[i].builtin, &b, st) != RPC_OK)
            return st->code;
        return put_entry(req, "builtin_agents", id, &b->base, st);
    }
    return rpc_fail(st, RPC_INTERNAL, "unhandled Agent type %s", type);
}

/* The request of one pmm-agent from its snapshot. */
static int build_from(snapshot *s, const char *pmm_agent_id, Agent__V1__SetStateRequest **out, rpc_status *st)
{
    ProtobufCMessage *req = pb_new(&agent__v1__set_state_request__descriptor);
    int rc = req ? RPC_OK : rpc_fail(st, RPC_INTERNAL, "out of memory");
    size_t i;
    json_t *agent;
    json_array_foreach(s->agents, i, agent) {
        if (rc != RPC_OK)
            break;
        rc = build_one(s, agent, req, st);
    }
    if (rc == RPC_OK)
        rc = build_rds(s, pmm_agent_id, req, st);
    if (rc != RPC_OK) {
        if (req)
            protobuf_c_message_free_unpacked(req, NULL);
        log_warn("SetState for %s: %s", pmm_agent_id, st->message);
        return rc;
    }
    *out = (Agent__V1__SetStateRequest *)req;
    return RPC_OK;
}

int state_build_many(db *d, state_job *jobs, size_t n)
{
    const char **ids = calloc(n ? n : 1, sizeof *ids);
    for (size_t i = 0; ids && i < n; i++)
        ids[i] = jobs[i].pmm_agent_id;
    char *arr = ids ? store_text_array(ids, n) : NULL;
    free(ids);
    rpc_status st = { 0 };
    batch_rows b = { 0 };
    int rc = arr ? RPC_OK : rpc_fail(&st, RPC_INTERNAL, "out of memory");
    /* One snapshot: an agent and its service read at different moments
     * could pair a new password with an old address. */
    if (rc == RPC_OK && db_begin_snapshot(d, &st) == RPC_OK) {
        rc = load_batch(d, arr, &b, &st);
        db_rollback(d); /* read only: nothing to keep */
    } else if (rc == RPC_OK) {
        rc = st.code;
    }
    free(arr);
    for (size_t i = 0; i < n; i++) {
        state_job *j = &jobs[i];
        j->req = NULL;
        rpc_status one = st;
        if (rc == RPC_OK) {
            snapshot s = { 0 };
            one = (rpc_status){ 0 };
            if (snapshot_of(&b, j->pmm_agent_id, j->agent_version, &s, &one) == RPC_OK)
                build_from(&s, j->pmm_agent_id, &j->req, &one);
            snapshot_clear(&s);
        }
        j->code = one.code;
        snprintf(j->message, sizeof j->message, "%s", one.message);
    }
    batch_rows_clear(&b);
    webcfg_persist(d); /* the hashes these builds made, kept for the next start */
    return rc;
}

int state_build(db *d, const char *pmm_agent_id, const char *agent_version, Agent__V1__SetStateRequest **out,
                rpc_status *st)
{
    state_job j = { .pmm_agent_id = pmm_agent_id, .agent_version = agent_version };
    state_build_many(d, &j, 1);
    *out = j.req;
    if (j.code != RPC_OK)
        return rpc_fail(st, j.code, "%s", j.message);
    return RPC_OK;
}
