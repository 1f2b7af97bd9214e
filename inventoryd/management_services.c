/* management_services: management.v1 RemoveService (by id or by name,
 * with the service type check pmm-admin sends) and ListServices
 * (UniversalService with its agents and its status from VictoriaMetrics'
 * *_up metrics: one query per request, a hash lookup per service). */
#include "management_internal.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "events.h"
#include "management/v1/service.pb-c.h"
#include "pbutil.h"
#include "service_model.h"
#include "vm.h"

/* upstream LooksLikeID: the text ends with a lower-case UUID. */
static bool looks_like_id(const char *s)
{
    static const char pattern[] = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx";
    size_t n = strlen(s), m = sizeof pattern - 1;
    if (n < m)
        return false;
    s += n - m;
    for (size_t i = 0; i < m; i++) {
        if (pattern[i] == '-' ? s[i] != '-' : !(isdigit((unsigned char)s[i]) || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    }
    return true;
}

/* The service's id and stored type, by id or by name. */
static int find_service(db *d, const char *key, char *id, size_t id_len, char *type, size_t type_len, rpc_status *st)
{
    bool by_id = looks_like_id(key);
    PGresult *r = db_exec(d, st,
                          by_id ? "SELECT service_id, service_type FROM services WHERE service_id = $1"
                                : "SELECT service_id, service_type FROM services WHERE service_name = $1",
                          1, (const char *[]){ key });
    if (!r)
        return st->code;
    int rc = RPC_OK;
    if (PQntuples(r) == 0) {
        char q[RPC_MESSAGE_MAX];
        rpc_quote(q, sizeof q, key);
        rc = rpc_fail(st, RPC_NOT_FOUND, by_id ? "Service with ID %s not found." : "Service with name %s not found.", q);
    } else {
        snprintf(id, id_len, "%s", PQgetvalue(r, 0, 0));
        snprintf(type, type_len, "%s", PQgetvalue(r, 0, 1));
    }
    PQclear(r);
    return rc;
}

static int do_remove(db *d, const ProtobufCMessage *in, char *id, size_t id_len, char *removed_node,
                     size_t removed_len, rpc_status *st)
{
    char type[64];
    if (find_service(d, pb_get_str(in, "service_id"), id, id_len, type, sizeof type, st))
        return st->code;
    int want = pb_get_i32(in, "service_type");
    const service_kind *k = service_kind_by_enum(want);
    if (want && (!k || strcmp(k->stored, type) != 0))
        return rpc_fail(st, RPC_INVALID_ARGUMENT, "wrong service type");
    /* force: the service's agents go with it, and a remote RDS / Azure
     * node left without services, as upstream. */
    return service_remove(d, id, true, removed_node, removed_len, st);
}

int mgmt_remove_service(rpc_ctx *ctx, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    worker *w = ctx->worker;
    if (!*pb_get_str(in, "service_id"))
        return rpc_fail(&ctx->status, RPC_INVALID_ARGUMENT, "service_id or service_name expected");
    char id[256], removed_node[256] = "";
    if (db_begin(w->db, &ctx->status) ||
        mgmt_end_tx(w->db, &ctx->status,
                    do_remove(w->db, in, id, sizeof id, removed_node, sizeof removed_node, &ctx->status)))
        return ctx->status.code;
    events_inventory_changed(APP(w)->pub, "service", "remove", id);
    if (*removed_node)
        events_inventory_changed(APP(w)->pub, "node", "remove", removed_node);
    *out = pb_new(&management__v1__remove_service_response__descriptor);
    return *out ? RPC_OK : rpc_fail(&ctx->status, RPC_INTERNAL, "out of memory");
}

/* Columns 0..12 are strings named as UniversalService's fields. */
#define UNIVERSAL_SERVICE_COLUMNS \
    "s.service_id, s.service_type, s.service_name, s.database_name, s.node_id, n.node_name, s.environment, " \
    "s.cluster, s.replication_set, s.external_group, s.address, s.socket, s.version, s.port, s.custom_labels, " \
    "floor(extract(epoch FROM s.created_at))::bigint, mod(extract(microseconds FROM s.created_at)::bigint, 1000000), " \
    "floor(extract(epoch FROM s.updated_at))::bigint, mod(extract(microseconds FROM s.updated_at)::bigint, 1000000)"

/* ListServices' filters ($1 node_id, $2 service_type, $3 external_group;
 * '' = any) on services s. */
#define SERVICE_FILTER "($1 = '' OR s.node_id = $1) AND ($2 = '' OR s.service_type = $2) AND ($3 = '' OR s.external_group = $3)"

/* The services' agents in ListServices' short form: upstream's
 * IsServiceAgent, IsNodeAgent (the pmm-agent on the service's node) and
 * IsVMAgent. Plain rows (service_id first) sorted as the services are, so
 * that they are matched up in one pass: set-based joins instead of three
 * lookups per service, and no JSON for PostgreSQL to build and us to
 * parse. */
#define AGENT_COLUMNS "s.service_id, a.agent_id, a.agent_type, a.status, a.is_connected"
#define SERVICE_AGENT_ROWS \
    "SELECT " AGENT_COLUMNS " FROM services s JOIN agents a ON a.service_id = s.service_id WHERE " SERVICE_FILTER \
    " UNION ALL SELECT " AGENT_COLUMNS " FROM services s JOIN agents a ON a.runs_on_node_id = s.node_id " \
    "AND a.service_id IS NULL WHERE " SERVICE_FILTER \
    " UNION ALL SELECT " AGENT_COLUMNS " FROM services s JOIN agents a ON a.node_id = s.node_id " \
    "AND a.agent_type = 'vmagent' AND a.service_id IS NULL WHERE " SERVICE_FILTER " ORDER BY 1, 2"

/* upstream's query: each watched kind's *_up series of the high-resolution
 * jobs, by service_id. */
#define SERVICE_UP_QUERY \
    "pg_up{collector=\"exporter\",job=~\".*_hr$\"} or mysql_up{job=~\".*_hr$\"} or mongodb_up{job=~\".*_hr$\"} " \
    "or proxysql_up{job=~\".*_hr$\"} or haproxy_backend_status{state=\"UP\"}"

/* A service's status as upstream answers it: its series' value (the last
 * series of that service_id wins, as upstream's map assignment) 1 -> UP,
 * 0 -> DOWN, another value -> UNSPECIFIED. Without a series upstream means
 * UNKNOWN for the watched kinds and UNSPECIFIED for others, but it looks
 * the kind up in the zero value of the failed map lookup, whose type is
 * always "": so its real answer, reproduced here, is UNSPECIFIED for every
 * service without a series. */
static int service_status(const vm_values *up, const char *service_id)
{
    double v;
    return vm_values_get(up, service_id, &v) ? vm_up_status(v)
                                               : MANAGEMENT__V1__UNIVERSAL_SERVICE__STATUS__STATUS_UNSPECIFIED;
}

static ProtobufCMessage *service_from_row(PGresult *r, int row, const vm_values *up)
{
    ProtobufCMessage *m = pb_new(&management__v1__universal_service__descriptor);
    if (!m)
        return NULL;
    int rc = 0;
    for (int c = 0; c <= 12 && rc >= 0; c++)
        rc = pb_set_str(m, PQfname(r, c), mgmt_cell(r, row, c));
    if (rc < 0 || pb_set_u32(m, "port", (uint32_t)strtoul(mgmt_cell(r, row, 13), NULL, 10)) < 0 ||
        pb_set_map_json(m, "custom_labels", mgmt_cell(r, row, 14)) < 0 ||
        mgmt_set_timestamp(m, "created_at", mgmt_cell(r, row, 15), mgmt_cell(r, row, 16)) != 0 ||
        mgmt_set_timestamp(m, "updated_at", mgmt_cell(r, row, 17), mgmt_cell(r, row, 18)) != 0 ||
        pb_set_i32(m, "status", service_status(up, mgmt_cell(r, row, 0))) < 0) {
        protobuf_c_message_free_unpacked(m, NULL);
        return NULL;
    }
    return m;
}

/* Appends the agent rows of service sid (rows *next.. of ra, which are in
 * the services' order) to svc as UniversalService.Agent messages. */
static int append_agents(ProtobufCMessage *svc, const char *sid, PGresult *ra, int *next)
{
    static const char *const names[] = { "agent_id", "agent_type", "status" };
    const ProtobufCFieldDescriptor *f =
        protobuf_c_message_descriptor_get_field_by_name(svc->descriptor, "agents");
    for (; *next < PQntuples(ra) && strcmp(PQgetvalue(ra, *next, 0), sid) == 0; (*next)++) {
        ProtobufCMessage *a = pb_new(f->descriptor);
        if (!a)
            return -1;
        int rc = 0;
        for (int c = 0; c < 3 && rc == 0; c++)
            if (!PQgetisnull(ra, *next, c + 1))
                rc = pb_set_str(a, names[c], PQgetvalue(ra, *next, c + 1)) < 0 ? -1 : 0;
        if (rc == 0 && !PQgetisnull(ra, *next, 4))
            rc = pb_set_bool(a, "is_connected", PQgetvalue(ra, *next, 4)[0] == 't') < 0 ? -1 : 0;
        if (rc != 0) {
            protobuf_c_message_free_unpacked(a, NULL);
            return -1;
        }
        if (pb_append_msg(svc, "agents", a) != 0)
            return -1;
    }
    return 0;
}

static int build_list(PGresult *r, PGresult *ra, const vm_values *up, ProtobufCMessage **out, rpc_status *st)
{
    ProtobufCMessage *resp = pb_new(&management__v1__list_services_response__descriptor);
    int rc = resp ? RPC_OK : rpc_fail(st, RPC_INTERNAL, "out of memory");
    int next = 0;
    for (int i = 0; i < PQntuples(r) && rc == RPC_OK; i++) {
        ProtobufCMessage *svc = service_from_row(r, i, up);
        if (!svc || pb_append_msg(resp, "services", svc) != 0 || append_agents(svc, mgmt_cell(r, i, 0), ra, &next) != 0)
            rc = rpc_fail(st, RPC_INTERNAL, "failed to build service list");
    }
    if (rc != RPC_OK && resp)
        protobuf_c_message_free_unpacked(resp, NULL);
    else
        *out = resp;
    return rc;
}

/* The services and their agents in one snapshot: two queries in one
 * read-only REPEATABLE READ transaction. */
static int list_services(db *d, const char *const *params, const vm_values *up, ProtobufCMessage **out,
                         rpc_status *st)
{
    if (db_begin_snapshot(d, st) != RPC_OK)
        return st->code;
    PGresult *r = NULL, *ra = NULL;
    int rc = RPC_OK;
    if (!(r = db_exec(d, st,
                      "SELECT " UNIVERSAL_SERVICE_COLUMNS " FROM services s LEFT JOIN nodes n ON n.node_id = s.node_id "
                      "WHERE " SERVICE_FILTER " ORDER BY s.service_id",
                      3, params)) ||
        !(ra = db_exec(d, st, SERVICE_AGENT_ROWS, 3, params)))
        rc = st->code;
    rc = mgmt_end_tx(d, st, rc);
    if (rc == RPC_OK)
        rc = build_list(r, ra, up, out, st);
    PQclear(r);
    PQclear(ra);
    return rc;
}

int mgmt_list_services(rpc_ctx *ctx, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    const service_kind *k = service_kind_by_enum(pb_get_i32(in, "service_type"));
    const char *params[] = { pb_get_str(in, "node_id"), k ? k->stored : "", pb_get_str(in, "external_group") };
    worker *w = ctx->worker;
    /* first the statuses, as upstream: VictoriaMetrics unreachable fails the list */
    vm_values *up = NULL;
    if (vm_query(APP(w)->vm_url, SERVICE_UP_QUERY, "service_id", VM_KEEP_LAST, &up, &ctx->status) != RPC_OK)
        return ctx->status.code;
    int rc = list_services(w->db, params, up, out, &ctx->status);
    vm_values_destroy(&up);
    return rc;
}
