/* service_model: services in PostgreSQL, as the seven inventory.v1 kinds. */
#include "service_model.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inventory/v1/services.pb-c.h"
#include "kinds.h"
#include "node_model.h"
#include "pbutil.h"
#include "uuid.h"

const service_kind service_kinds[] = {
    { "mysql", INVENTORY__V1__SERVICE_TYPE__SERVICE_TYPE_MYSQL_SERVICE, "mysql", "AddMySQLServiceParams",
      &inventory__v1__my_sqlservice__descriptor, true },
    { "mongodb", INVENTORY__V1__SERVICE_TYPE__SERVICE_TYPE_MONGODB_SERVICE, "mongodb", "AddMongoDBServiceParams",
      &inventory__v1__mongo_dbservice__descriptor, true },
    { "postgresql", INVENTORY__V1__SERVICE_TYPE__SERVICE_TYPE_POSTGRESQL_SERVICE, "postgresql",
      "AddPostgreSQLServiceParams", &inventory__v1__postgre_sqlservice__descriptor, true },
    { "proxysql", INVENTORY__V1__SERVICE_TYPE__SERVICE_TYPE_PROXYSQL_SERVICE, "proxysql", "AddProxySQLServiceParams",
      &inventory__v1__proxy_sqlservice__descriptor, true },
    { "haproxy", INVENTORY__V1__SERVICE_TYPE__SERVICE_TYPE_HAPROXY_SERVICE, "haproxy", "AddHAProxyServiceParams",
      &inventory__v1__haproxy_service__descriptor, false },
    { "external", INVENTORY__V1__SERVICE_TYPE__SERVICE_TYPE_EXTERNAL_SERVICE, "external", "AddExternalServiceParams",
      &inventory__v1__external_service__descriptor, false },
    { "valkey", INVENTORY__V1__SERVICE_TYPE__SERVICE_TYPE_VALKEY_SERVICE, "valkey", "AddValkeyServiceParams",
      &inventory__v1__valkey_service__descriptor, true },
};
const int service_kinds_count = sizeof service_kinds / sizeof *service_kinds;

const service_kind *service_kind_by_stored(const char *stored)
{
    return KIND_BY_STR(service_kinds, service_kinds_count, stored, stored);
}

const service_kind *service_kind_by_enum(int type_enum)
{
    return KIND_BY_INT(service_kinds, service_kinds_count, type_enum, type_enum);
}

const service_kind *service_kind_by_member(const char *member)
{
    return KIND_BY_STR(service_kinds, service_kinds_count, member, member);
}

/* external_group is the API's "group" (ExternalService.group). */
#define SERVICE_COLUMNS \
    "service_id, service_type, service_name, node_id, address, port, socket, environment, cluster, " \
    "replication_set, custom_labels, external_group AS \"group\", database_name, version"

/* Copies one column into the message field of the same name, by the
 * field's type; columns the kind has no field for are skipped. */
static int set_column(ProtobufCMessage *m, const char *name, const char *value)
{
    const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field_by_name(m->descriptor, name);
    if (!f)
        return 0;
    switch (f->type) {
    case PROTOBUF_C_TYPE_STRING:
        return pb_set_str(m, name, value) < 0 ? -1 : 0;
    case PROTOBUF_C_TYPE_UINT32: {
        errno = 0;
        char *end;
        unsigned long v = strtoul(value, &end, 10);
        if (errno || *end || v > UINT32_MAX)
            return -1;
        return pb_set_u32(m, name, (uint32_t)v) < 0 ? -1 : 0;
    }
    case PROTOBUF_C_TYPE_MESSAGE: /* custom_labels, a map */
        return pb_set_map_json(m, name, value) < 0 ? -1 : 0;
    default:
        return 0;
    }
}

/* A new message of the row's kind; NULL when the stored type is not one of
 * ours (a newer upstream kind in a shared database) or on ENOMEM. */
static ProtobufCMessage *service_from_row(PGresult *r, int row, const service_kind **kind)
{
    const service_kind *k = service_kind_by_stored(PQgetvalue(r, row, 1));
    if (!k)
        return NULL;
    ProtobufCMessage *m = pb_new(k->desc);
    if (!m)
        return NULL;
    for (int c = 0; c < PQnfields(r); c++) {
        if (PQgetisnull(r, row, c))
            continue;
        if (set_column(m, PQfname(r, c), PQgetvalue(r, row, c)) != 0) {
            protobuf_c_message_free_unpacked(m, NULL);
            return NULL;
        }
    }
    if (kind)
        *kind = k;
    return m;
}

static const char *nullable(const char *s)
{
    return s && *s ? s : NULL;
}

static int fail_quoted(rpc_status *st, int code, const char *fmt, const char *value)
{
    char q[RPC_MESSAGE_MAX]; /* upstream echoes the whole value */
    rpc_quote(q, sizeof q, value);
    return rpc_fail(st, code, fmt, q);
}

/* Upstream's validateDBConnectionOptions, in its order: an empty address or
 * socket and a zero port count as absent. */
static int check_address(rpc_status *st, const char *address, uint32_t port, const char *socket)
{
    bool has_address = *address, has_port = port != 0, has_socket = *socket;
    if (!has_address && !has_socket)
        return rpc_fail(st, RPC_INVALID_ARGUMENT, "Neither socket nor address passed.");
    if (has_address && has_socket)
        return rpc_fail(st, RPC_INVALID_ARGUMENT, "Socket and address cannot be specified together.");
    if (has_address && !has_port)
        return rpc_fail(st, RPC_INVALID_ARGUMENT, "Port is expected to be passed along with the host address.");
    if (has_socket && has_port)
        return rpc_fail(st, RPC_INVALID_ARGUMENT, "Socket and port cannot be specified together.");
    /* Upstream narrows the port to uint16 silently; refuse instead. */
    if (port > 65535)
        return rpc_fail(st, RPC_INVALID_ARGUMENT, "Port %u is out of range (1-65535).", port);
    return RPC_OK;
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

int service_create(db *d, const service_kind *k, const ProtobufCMessage *p, ProtobufCMessage **out, rpc_status *st)
{
    const char *name = pb_get_str(p, "service_name");
    const char *node_id = pb_get_str(p, "node_id");
    const char *address = pb_get_str(p, "address");
    const char *socket = pb_get_str(p, "socket");
    uint32_t port = pb_get_u32(p, "port");
    bool found = false;

    if (k->has_address && check_address(st, address, port, socket))
        return st->code;
    if (exists(d, st, "SELECT 1 FROM services WHERE service_name = $1", 1, (const char *[]){ name }, &found))
        return st->code;
    if (found)
        return fail_quoted(st, RPC_ALREADY_EXISTS, "Service with name %s already exists.", name);
    if (exists(d, st, "SELECT 1 FROM nodes WHERE node_id = $1", 1, (const char *[]){ node_id }, &found))
        return st->code;
    if (!found)
        return fail_quoted(st, RPC_NOT_FOUND, "Node with ID %s not found.", node_id);

    char id[UUID_STR_LEN], port_text[16];
    uuid_v4(id);
    snprintf(port_text, sizeof port_text, "%u", port);
    /* Old pmm-admin versions send no group: upstream files them under "external". */
    const char *group = strcmp(k->stored, "external") == 0 ? pb_get_str(p, "group") : "";
    if (strcmp(k->stored, "external") == 0 && !*group)
        group = "external";
    const char *database = strcmp(k->stored, "postgresql") == 0 ? "postgres" : "";
    char *labels = pb_map_to_json(p, "custom_labels");
    if (!labels)
        return rpc_fail(st, RPC_INTERNAL, "out of memory");
    const char *params[] = {
        id, k->stored, name, node_id, pb_get_str(p, "environment"), pb_get_str(p, "cluster"),
        pb_get_str(p, "replication_set"), labels, k->has_address ? nullable(address) : NULL,
        k->has_address && port ? port_text : NULL, k->has_address ? nullable(socket) : NULL, group, database,
    };
    PGresult *r = db_exec(d, st,
                          "INSERT INTO services (service_id, service_type, service_name, node_id, environment, "
                          "cluster, replication_set, custom_labels, address, port, socket, external_group, "
                          "database_name, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, "
                          "$10, $11, $12, $13, now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC') "
                          "RETURNING " SERVICE_COLUMNS,
                          13, params);
    free(labels);
    if (!r) {
        /* Lost a race with a concurrent add of the same name or a node removal. */
        if (st->code == RPC_ALREADY_EXISTS)
            fail_quoted(st, RPC_ALREADY_EXISTS, "Service with name %s already exists.", name);
        else if (st->code == RPC_FAILED_PRECONDITION)
            fail_quoted(st, RPC_NOT_FOUND, "Node with ID %s not found.", node_id);
        return st->code;
    }
    *out = service_from_row(r, 0, NULL);
    PQclear(r);
    if (!*out)
        return rpc_fail(st, RPC_INTERNAL, "failed to build service");
    return RPC_OK;
}

/* One service row into *out, or upstream's NOT_FOUND. Takes r. */
static int one_service(PGresult *r, const char *id, const service_kind **kind, ProtobufCMessage **out,
                       rpc_status *st)
{
    if (PQntuples(r) == 0) {
        PQclear(r);
        return fail_quoted(st, RPC_NOT_FOUND, "Service with ID %s not found.", id);
    }
    *out = service_from_row(r, 0, kind);
    PQclear(r);
    if (!*out)
        return rpc_fail(st, RPC_INTERNAL, "failed to build service");
    return RPC_OK;
}

int service_get(db *d, const char *id, const service_kind **kind, ProtobufCMessage **out, rpc_status *st)
{
    PGresult *r = db_exec(d, st, "SELECT " SERVICE_COLUMNS " FROM services WHERE service_id = $1", 1,
                          (const char *[]){ id });
    if (!r)
        return st->code;
    return one_service(r, id, kind, out, st);
}

int service_list(db *d, const char *node_id, int type_enum, const char *external_group, ProtobufCMessage *resp,
                 rpc_status *st)
{
    const service_kind *only = type_enum ? service_kind_by_enum(type_enum) : NULL;
    if (type_enum && !only)
        return RPC_OK; /* an unknown type matches nothing */
    /* One statement for every combination of filters: an empty one matches all. */
    const char *params[] = { node_id ? node_id : "", only ? only->stored : "", external_group ? external_group : "" };
    PGresult *r = db_exec(d, st,
                          "SELECT " SERVICE_COLUMNS " FROM services WHERE ($1 = '' OR node_id = $1) AND "
                          "($2 = '' OR service_type = $2) AND ($3 = '' OR external_group = $3) ORDER BY service_id",
                          3, params);
    if (!r)
        return st->code;
    int rc = RPC_OK;
    for (int i = 0; i < PQntuples(r); i++) {
        if (!service_kind_by_stored(PQgetvalue(r, i, 1)))
            continue; /* a kind this server does not know */
        const service_kind *k;
        ProtobufCMessage *m = service_from_row(r, i, &k);
        if (!m || pb_append_msg(resp, k->member, m) != 0) {
            rc = rpc_fail(st, RPC_INTERNAL, "failed to build service list");
            break;
        }
    }
    PQclear(r);
    return rc;
}

int service_active_types(db *d, ProtobufCMessage *resp, rpc_status *st)
{
    Inventory__V1__ListActiveServiceTypesResponse *out = (Inventory__V1__ListActiveServiceTypesResponse *)resp;
    PGresult *r = db_exec(d, st, "SELECT DISTINCT service_type FROM services ORDER BY service_type", 0, NULL);
    if (!r)
        return st->code;
    int n = PQntuples(r);
    out->service_types = n ? calloc((size_t)n, sizeof *out->service_types) : NULL;
    if (n && !out->service_types) {
        PQclear(r);
        return rpc_fail(st, RPC_INTERNAL, "out of memory");
    }
    for (int i = 0; i < n; i++) {
        const service_kind *k = service_kind_by_stored(PQgetvalue(r, i, 0));
        if (k)
            out->service_types[out->n_service_types++] = (Inventory__V1__ServiceType)k->type_enum;
    }
    PQclear(r);
    return RPC_OK;
}

/* Children before parents (foreign keys): agents run by a pmm-agent that is
 * itself tied to the service, then the service's agents, then the service. */
static const char *const remove_cascade[] = {
    "DELETE FROM agents WHERE pmm_agent_id IN (SELECT agent_id FROM agents WHERE service_id = $1)",
    "DELETE FROM agents WHERE service_id = $1",
};

/* Whether a forced removal takes the service's remote node along: upstream
 * does so for RDS and Azure nodes watched by at most one pmm-agent. */
static int node_goes_too(db *d, const char *id, const char *node_id, bool *yes, rpc_status *st)
{
    PGresult *r = db_exec(d, st,
                          "SELECT count(DISTINCT pmm_agent_id) FROM agents WHERE pmm_agent_id IS NOT NULL AND "
                          "(service_id = $1 OR node_id = $2)",
                          2, (const char *[]){ id, node_id });
    if (!r)
        return st->code;
    *yes = atoi(PQgetvalue(r, 0, 0)) <= 1;
    PQclear(r);
    return RPC_OK;
}

int service_remove(db *d, const char *id, bool force, char *removed_node, size_t removed_len, rpc_status *st)
{
    const char *params[] = { id };
    if (removed_len)
        removed_node[0] = '\0';
    PGresult *r = db_exec(d, st,
                          "SELECT s.node_id, n.node_type FROM services s LEFT JOIN nodes n ON n.node_id = s.node_id "
                          "WHERE s.service_id = $1 FOR UPDATE OF s",
                          1, params);
    if (!r)
        return st->code;
    if (PQntuples(r) == 0) {
        PQclear(r);
        return fail_quoted(st, RPC_NOT_FOUND, "Service with ID %s not found.", id);
    }
    char *node_id = strdup(PQgetvalue(r, 0, 0));
    const char *type = PQgetvalue(r, 0, 1);
    bool remote = strcmp(type, "remote_rds") == 0 || strcmp(type, "remote_azure_database") == 0;
    PQclear(r);
    if (!node_id)
        return rpc_fail(st, RPC_INTERNAL, "out of memory");

    int rc = RPC_OK;
    bool found = false, drop_node = false;
    if (!force) {
        rc = exists(d, st, "SELECT 1 FROM agents WHERE service_id = $1 LIMIT 1", 1, params, &found);
        if (rc == RPC_OK && found)
            rc = fail_quoted(st, RPC_FAILED_PRECONDITION, "Service with ID %s has agents.", id);
    }
    if (rc == RPC_OK && force && remote)
        rc = node_goes_too(d, id, node_id, &drop_node, st);
    for (size_t i = 0; rc == RPC_OK && force && i < sizeof remove_cascade / sizeof *remove_cascade; i++) {
        r = db_exec(d, st, remove_cascade[i], 1, params);
        if (!r)
            rc = st->code;
        PQclear(r);
    }
    if (rc == RPC_OK) {
        r = db_exec(d, st, "DELETE FROM services WHERE service_id = $1", 1, params);
        if (!r)
            rc = st->code;
        PQclear(r);
    }
    if (rc == RPC_OK && drop_node) {
        rc = node_remove(d, node_id, true, st);
        if (rc == RPC_OK && removed_len)
            snprintf(removed_node, removed_len, "%s", node_id);
    }
    free(node_id);
    return rc;
}

int service_change(db *d, const ProtobufCMessage *req, const service_kind **kind, ProtobufCMessage **out,
                   rpc_status *st)
{
    const char *id = pb_get_str(req, "service_id");
    char *labels = NULL;
    if (pb_has(req, "custom_labels")) {
        const ProtobufCMessage *map = pb_get_msg(req, "custom_labels");
        labels = map ? pb_map_to_json(map, "values") : strdup("{}");
        if (!labels)
            return rpc_fail(st, RPC_INTERNAL, "out of memory");
    }
    /* NULL (absent) keeps the column: each optional field changes only when present. */
#define OPTIONAL(field) (pb_has(req, field) ? pb_get_str(req, field) : NULL)
    const char *params[] = {
        id, OPTIONAL("environment"), OPTIONAL("cluster"), OPTIONAL("replication_set"), OPTIONAL("external_group"),
        labels,
    };
#undef OPTIONAL
    PGresult *r = db_exec(d, st,
                          "UPDATE services SET environment = COALESCE($2, environment), "
                          "cluster = COALESCE($3, cluster), replication_set = COALESCE($4, replication_set), "
                          "external_group = COALESCE($5, external_group), "
                          "custom_labels = COALESCE($6, custom_labels), updated_at = now() AT TIME ZONE 'UTC' "
                          "WHERE service_id = $1 RETURNING " SERVICE_COLUMNS,
                          6, params);
    free(labels);
    if (!r)
        return st->code;
    return one_service(r, id, kind, out, st);
}
