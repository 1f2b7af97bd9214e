/* node_model: nodes in PostgreSQL, as the five inventory.v1 kinds. */
#include "node_model.h"

#include <stdlib.h>
#include <string.h>

#include "inventory/v1/nodes.pb-c.h"
#include "kinds.h"
#include "pbutil.h"
#include "uuid.h"

const node_kind node_kinds[] = {
    { "generic", INVENTORY__V1__NODE_TYPE__NODE_TYPE_GENERIC_NODE, "generic", "generic",
      "AddGenericNodeParams", &inventory__v1__generic_node__descriptor, false },
    { "container", INVENTORY__V1__NODE_TYPE__NODE_TYPE_CONTAINER_NODE, "container", "container",
      "AddContainerNodeParams", &inventory__v1__container_node__descriptor, false },
    { "remote", INVENTORY__V1__NODE_TYPE__NODE_TYPE_REMOTE_NODE, "remote", "remote",
      "AddRemoteNodeParams", &inventory__v1__remote_node__descriptor, false },
    { "remote_rds", INVENTORY__V1__NODE_TYPE__NODE_TYPE_REMOTE_RDS_NODE, "remote_rds", "remote_rds",
      "AddRemoteRDSNodeParams", &inventory__v1__remote_rdsnode__descriptor, true },
    { "remote_azure_database", INVENTORY__V1__NODE_TYPE__NODE_TYPE_REMOTE_AZURE_DATABASE_NODE,
      "remote_azure_database", "remote_azure", "AddRemoteAzureNodeParams",
      &inventory__v1__remote_azure_database_node__descriptor, true },
};
const int node_kinds_count = sizeof node_kinds / sizeof *node_kinds;

const node_kind *node_kind_by_stored(const char *stored)
{
    return KIND_BY_STR(node_kinds, node_kinds_count, stored, stored);
}

const node_kind *node_kind_by_enum(int type_enum)
{
    return KIND_BY_INT(node_kinds, node_kinds_count, type_enum, type_enum);
}

const node_kind *node_kind_by_add_member(const char *member)
{
    return KIND_BY_STR(node_kinds, node_kinds_count, add_member, member);
}

#define NODE_COLUMNS \
    "node_id, node_type, node_name, address, machine_id, distro, node_model, region, az, " \
    "custom_labels, container_id, container_name, instance_id"

/* Copies one row into a new message of its kind: every column whose name
 * the kind's message has. */
static ProtobufCMessage *node_from_row(PGresult *r, int row, const node_kind **kind)
{
    const node_kind *k = node_kind_by_stored(PQgetvalue(r, row, 1));
    if (!k)
        return NULL;
    ProtobufCMessage *m = pb_new(k->desc);
    if (!m)
        return NULL;
    int ncols = PQnfields(r);
    for (int c = 0; c < ncols; c++) {
        const char *name = PQfname(r, c);
        const char *value = PQgetisnull(r, row, c) ? "" : PQgetvalue(r, row, c);
        int rc = strcmp(name, "custom_labels") == 0 ? pb_set_map_json(m, name, value)
                                                     : pb_set_str(m, name, value);
        if (rc < 0) {
            protobuf_c_message_free_unpacked(m, NULL);
            return NULL;
        }
    }
    if (kind)
        *kind = k;
    return m;
}

static int exists(db *d, rpc_status *st, const char *sql, int n, const char *const *params, bool *found)
{
    PGresult *r = db_exec(d, st, sql, n, params);
    if (!r)
        return st->code;
    *found = PQntuples(r) > 0;
    PQclear(r);
    return RPC_OK;
}

static const char *nullable(const char *s)
{
    return s && *s ? s : NULL;
}

/* Go's strings.TrimSpace for ASCII white space, into a malloc'd copy. */
static char *trim_space(const char *s)
{
    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r' || *s == '\v' || *s == '\f')
        s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r' ||
                 s[n - 1] == '\v' || s[n - 1] == '\f'))
        n--;
    return strndup(s, n);
}

int node_create(db *d, const node_kind *k, const ProtobufCMessage *p, ProtobufCMessage **out, rpc_status *st)
{
    const char *name = pb_get_str(p, "node_name");
    const char *address = pb_get_str(p, "address");
    const char *region = nullable(pb_get_str(p, "region"));
    char q[RPC_MESSAGE_MAX];
    bool found = false;

    if (!*name)
        return rpc_fail(st, RPC_INVALID_ARGUMENT, "Empty Node name.");
    if (exists(d, st, "SELECT 1 FROM nodes WHERE node_name = $1", 1, (const char *[]){ name }, &found))
        return st->code;
    if (found) {
        rpc_quote(q, sizeof q, name);
        return rpc_fail(st, RPC_ALREADY_EXISTS, "Node with name %s already exists.", q);
    }
    if (region) {
        if (exists(d, st, "SELECT 1 FROM nodes WHERE address = $1 AND region = $2", 2,
                   (const char *[]){ address, region }, &found))
            return st->code;
        if (found) {
            char qr[RPC_MESSAGE_MAX];
            rpc_quote(q, sizeof q, address);
            rpc_quote(qr, sizeof qr, region);
            return rpc_fail(st, RPC_ALREADY_EXISTS, "Node with instance %s and region %s already exists.", q, qr);
        }
    }

    char id[UUID_STR_LEN];
    uuid_v4(id);
    char *labels = pb_map_to_json(p, "custom_labels");
    char *machine_id = trim_space(pb_get_str(p, "machine_id"));
    /* RDS nodes are addressed by their DB instance identifier. */
    const char *instance = strcmp(k->stored, "remote_rds") == 0 ? address : "";
    const char *params[] = {
        id, k->stored, name, address, nullable(machine_id), pb_get_str(p, "distro"),
        pb_get_str(p, "node_model"), region, pb_get_str(p, "az"), labels,
        nullable(pb_get_str(p, "container_id")), nullable(pb_get_str(p, "container_name")), instance,
    };
    PGresult *r = db_exec(d, st,
                          "INSERT INTO nodes (" NODE_COLUMNS ", created_at, updated_at) VALUES "
                          "($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, "
                          "now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC') RETURNING " NODE_COLUMNS,
                          13, params);
    free(labels);
    free(machine_id);
    if (!r) {
        /* Lost a race with a concurrent add of the same name. */
        if (st->code == RPC_ALREADY_EXISTS) {
            rpc_quote(q, sizeof q, name);
            rpc_fail(st, RPC_ALREADY_EXISTS, "Node with name %s already exists.", q);
        }
        return st->code;
    }
    *out = node_from_row(r, 0, NULL);
    PQclear(r);
    if (!*out)
        return rpc_fail(st, RPC_INTERNAL, "failed to build node");
    return RPC_OK;
}

int node_get(db *d, const char *id, const node_kind **kind, ProtobufCMessage **out, rpc_status *st)
{
    PGresult *r = db_exec(d, st, "SELECT " NODE_COLUMNS " FROM nodes WHERE node_id = $1", 1, (const char *[]){ id });
    if (!r)
        return st->code;
    if (PQntuples(r) == 0) {
        PQclear(r);
        char q[RPC_MESSAGE_MAX];
        rpc_quote(q, sizeof q, id);
        return rpc_fail(st, RPC_NOT_FOUND, "Node with ID %s not found.", q);
    }
    *out = node_from_row(r, 0, kind);
    PQclear(r);
    if (!*out)
        return rpc_fail(st, RPC_INTERNAL, "failed to build node");
    return RPC_OK;
}

int node_list(db *d, int type_enum, ProtobufCMessage *resp, rpc_status *st)
{
    const node_kind *only = type_enum ? node_kind_by_enum(type_enum) : NULL;
    if (type_enum && !only)
        return RPC_OK; /* an unknown type matches nothing */
    PGresult *r = only ? db_exec(d, st, "SELECT " NODE_COLUMNS " FROM nodes WHERE node_type = $1 ORDER BY node_id",
                                 1, (const char *[]){ only->stored })
                       : db_exec(d, st, "SELECT " NODE_COLUMNS " FROM nodes ORDER BY node_id", 0, NULL);
    if (!r)
        return st->code;
    int rc = RPC_OK;
    for (int i = 0; i < PQntuples(r); i++) {
        const node_kind *k;
        ProtobufCMessage *m = node_from_row(r, i, &k);
        if (!m || pb_append_msg(resp, k->member, m) != 0) {
            rc = rpc_fail(st, RPC_INTERNAL, "failed to build node list");
            break;
        }
    }
    PQclear(r);
    return rc;
}

/* Upstream's checks, in upstream's order: agents, pmm-agent, services. */
static const struct {
    const char *sql;
    const char *text;
} blockers[] = {
    { "SELECT 1 FROM agents WHERE node_id = $1 LIMIT 1", "Node with ID %s has agents." },
    { "SELECT 1 FROM agents WHERE runs_on_node_id = $1 LIMIT 1", "Node with ID %s has pmm-agent." },
    { "SELECT 1 FROM services WHERE node_id = $1 LIMIT 1", "Node with ID %s has services." },
};

/* Everything on a node, children before parents (foreign keys). */
static const char *const cascade[] = {
    "DELETE FROM agents WHERE pmm_agent_id IN (SELECT agent_id FROM agents WHERE runs_on_node_id = $1)",
    "DELETE FROM agents WHERE service_id IN (SELECT service_id FROM services WHERE node_id = $1)",
    "DELETE FROM agents WHERE node_id = $1",
    "DELETE FROM agents WHERE runs_on_node_id = $1",
    "DELETE FROM services WHERE node_id = $1",
};

int node_remove(db *d, const char *id, bool force, rpc_status *st)
{
    const char *params[] = { id };
    char q[RPC_MESSAGE_MAX];
    rpc_quote(q, sizeof q, id);
    PGresult *r = db_exec(d, st, "SELECT is_pmm_server_node FROM nodes WHERE node_id = $1 FOR UPDATE", 1, params);
    if (!r)
        return st->code;
    if (PQntuples(r) == 0) {
        PQclear(r);
        return rpc_fail(st, RPC_NOT_FOUND, "Node with ID %s not found.", q);
    }
    bool server = strcmp(PQgetvalue(r, 0, 0), "t") == 0 || strcmp(id, PMM_SERVER_NODE_ID) == 0;
    PQclear(r);
    if (server)
        return rpc_fail(st, RPC_PERMISSION_DENIED, "PMM Server node can't be removed.");

    if (!force) {
        for (size_t i = 0; i < sizeof blockers / sizeof *blockers; i++) {
            bool found = false;
            if (exists(d, st, blockers[i].sql, 1, params, &found))
                return st->code;
            if (found)
                return rpc_fail(st, RPC_FAILED_PRECONDITION, blockers[i].text, q);
        }
    }
    for (size_t i = 0; force && i < sizeof cascade / sizeof *cascade; i++) {
        r = db_exec(d, st, cascade[i], 1, params);
        if (!r)
            return st->code;
        PQclear(r);
    }
    r = db_exec(d, st, "DELETE FROM nodes WHERE node_id = $1", 1, params);
    if (!r)
        return st->code;
    PQclear(r);
    return RPC_OK;
}
