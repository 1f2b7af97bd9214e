/* services: management.v1 RemoveService (by id or by name,
 * with the service type check pmm-admin sends) and ListServices
 * (UniversalService with its agents and its status from VictoriaMetrics'
 * *_up metrics: one query per request, a hash lookup per service). */
#include "internal.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inventoryd/events.h"
#include "management/v1/service.pb-c.h"
#include "pbutil.h"
#include "inventoryd/service_model.h"
#include "inventoryd/vm.h"

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
 * IsVMAgent. Two plain scans, no joins or sorts (a join of every service
 * with its node's agents cost PostgreSQL twice as much); the rows are
 * matched with the services here. SERVICE_AGENT_ROWS: the agents of a
 * service, service_id first (with a filter, of the listed services only;
 * without one PostgreSQL folds the condition away). NODE_AGENT_ROWS: the
 * agents of no service by the node they count for: runs_on_node_id (the
 * pmm-agent) and, for a vmagent, node_id. */
#define AGENT_COLUMNS "a.agent_id, a.agent_type, a.status, a.is_connected"
#define SERVICE_AGENT_ROWS                                                                                       \
    "SELECT a.service_id, " AGENT_COLUMNS " FROM agents a WHERE a.service_id IS NOT NULL AND "                  \
    "(($1 = '' AND $2 = '' AND $3 = '') OR a.service_id IN (SELECT s.service_id FROM services s WHERE " SERVICE_FILTER \
    "))"
#define NODE_AGENT_ROWS                                                                                            \
    "SELECT a.runs_on_node_id, CASE WHEN a.agent_type = 'vmagent' THEN a.node_id END, " AGENT_COLUMNS              \
    " FROM agents a WHERE a.service_id IS NULL AND (a.runs_on_node_id IS NOT NULL OR a.agent_type = 'vmagent')"

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

/* Lists are thousands of rows: fields are filled through the generated
 * structs, not looked up by name for every cell. */
static char *dup_cell(PGresult *r, int row, int col)
{
    return strdup(PQgetisnull(r, row, col) ? "" : PQgetvalue(r, row, col));
}

static ProtobufCMessage *service_from_row(PGresult *r, int row, const vm_values *up)
{
    Management__V1__UniversalService *s = malloc(sizeof *s);
    if (!s)
        return NULL;
    management__v1__universal_service__init(s);
    ProtobufCMessage *m = &s->base;
    /* columns 0..12 of UNIVERSAL_SERVICE_COLUMNS, in order */
    char **strs[] = { &s->service_id,  &s->service_type,    &s->service_name,   &s->database_name, &s->node_id,
                      &s->node_name,   &s->environment,     &s->cluster,        &s->replication_set,
                      &s->external_group, &s->address,      &s->socket,         &s->version };
    int rc = 0;
    for (int c = 0; c < 13 && rc == 0; c++)
        rc = (*strs[c] = dup_cell(r, row, c)) ? 0 : -1;
    s->port = (uint32_t)strtoul(mgmt_cell(r, row, 13), NULL, 10);
    s->status = service_status(up, mgmt_cell(r, row, 0));
    if (rc != 0 || pb_set_map_json(m, "custom_labels", mgmt_cell(r, row, 14)) < 0 ||
        mgmt_set_timestamp(m, "created_at", mgmt_cell(r, row, 15), mgmt_cell(r, row, 16)) != 0 ||
        mgmt_set_timestamp(m, "updated_at", mgmt_cell(r, row, 17), mgmt_cell(r, row, 18)) != 0) {
        protobuf_c_message_free_unpacked(m, NULL);
        return NULL;
    }
    return m;
}

/* One agent row of a service: its result, row and first agent column
 * (AGENT_COLUMNS follow in order); key is its agent id. */
typedef struct {
    const char *key;
    PGresult *res;
    int row, col;
} agent_ref;

static int ref_cmp(const void *a, const void *b)
{
    return strcmp(((const agent_ref *)a)->key, ((const agent_ref *)b)->key);
}

/* Appends the agents refs[0..n) to svc as UniversalAgent messages. */
static int append_agents(Management__V1__UniversalService *svc, const agent_ref *refs, size_t n)
{
    if (n == 0)
        return 0;
    svc->agents = calloc(n, sizeof *svc->agents);
    if (!svc->agents)
        return -1;
    for (size_t k = 0; k < n; k++) {
        PGresult *r = refs[k].res;
        int row = refs[k].row, c = refs[k].col;
        Management__V1__UniversalAgent *a = malloc(sizeof *a);
        if (!a)
            return -1;
        management__v1__universal_agent__init(a);
        svc->agents[svc->n_agents++] = a;
        if (!(a->agent_id = dup_cell(r, row, c)) || !(a->agent_type = dup_cell(r, row, c + 1)) ||
            !(a->status = dup_cell(r, row, c + 2)))
            return -1; /* freed with svc: a NULL string is skipped */
        a->is_connected = !PQgetisnull(r, row, c + 3) && PQgetvalue(r, row, c + 3)[0] == 't';
    }
    return 0;
}

/* ---- matching ------------------------------------------------------------ */
/* The rows come unsorted and are matched and ordered here (C collation:
 * strcmp), cheaper than PostgreSQL's joins and sorts of tens of
 * thousands of rows. */

typedef struct {
    const char *key;
    int row;
} keyed_row;

static int keyed_cmp(const void *a, const void *b)
{
    return strcmp(((const keyed_row *)a)->key, ((const keyed_row *)b)->key);
}

/* Rows of r by the value of column col (or of col2 too, when >= 0; NULLs
 * left out), sorted; *n their number. NULL when out of memory. */
static keyed_row *index_rows(PGresult *r, int col, int col2, size_t *n)
{
    int rows = PQntuples(r);
    keyed_row *v = malloc(((size_t)rows * 2 + 1) * sizeof *v);
    if (!v)
        return NULL;
    *n = 0;
    for (int i = 0; i < rows; i++) {
        if (!PQgetisnull(r, i, col))
            v[(*n)++] = (keyed_row){ PQgetvalue(r, i, col), i };
        if (col2 >= 0 && !PQgetisnull(r, i, col2))
            v[(*n)++] = (keyed_row){ PQgetvalue(r, i, col2), i };
    }
    qsort(v, *n, sizeof *v, keyed_cmp);
    return v;
}

/* The run of v[0..n) whose key is key: [*lo, *hi). */
static void key_range(const keyed_row *v, size_t n, const char *key, size_t *lo, size_t *hi)
{
    size_t a = 0, b = n;
    while (a < b) {
        size_t m = a + (b - a) / 2;
        if (strcmp(v[m].key, key) < 0)
            a = m + 1;
        else
            b = m;
    }
    *lo = a;
    while (a < n && strcmp(v[a].key, key) == 0)
        a++;
    *hi = a;
}

/* Every service of r (sorted by id) with its agents: its own rows of ra
 * (SERVICE_AGENT_ROWS) and its node's rows of rn (NODE_AGENT_ROWS), by
 * agent id. */
static int build_list(PGresult *r, PGresult *ra, PGresult *rn, const vm_values *up, ProtobufCMessage **out,
                      rpc_status *st)
{
    ProtobufCMessage *resp = pb_new(&management__v1__list_services_response__descriptor);
    size_t n_svc = 0, n_own = 0, n_node = 0, cap = 0;
    keyed_row *svc_rows = index_rows(r, 0, -1, &n_svc);
    keyed_row *own = index_rows(ra, 0, -1, &n_own);
    keyed_row *node = index_rows(rn, 0, 1, &n_node);
    agent_ref *refs = NULL;
    int rc = resp && svc_rows && own && node ? RPC_OK : rpc_fail(st, RPC_INTERNAL, "out of memory");
    for (size_t i = 0; i < n_svc && rc == RPC_OK; i++) {
        int row = svc_rows[i].row;
        size_t a0, a1, b0, b1;
        key_range(own, n_own, svc_rows[i].key, &a0, &a1);
        key_range(node, n_node, mgmt_cell(r, row, 4), &b0, &b1); /* s.node_id */
        size_t n = (a1 - a0) + (b1 - b0), k = 0;
        if (n > cap) {
            agent_ref *more = realloc(refs, n * sizeof *refs);
            if (!more) {
                rc = rpc_fail(st, RPC_INTERNAL, "out of memory");
                break;
            }
            refs = more;
            cap = n;
        }
        for (size_t j = a0; j < a1; j++)
            refs[k++] = (agent_ref){ PQgetvalue(ra, own[j].row, 1), ra, own[j].row, 1 };
        for (size_t j = b0; j < b1; j++)
            refs[k++] = (agent_ref){ PQgetvalue(rn, node[j].row, 2), rn, node[j].row, 2 };
        qsort(refs, n, sizeof *refs, ref_cmp);
        ProtobufCMessage *svc = service_from_row(r, row, up);
        if (!svc || pb_append_msg(resp, "services", svc) != 0 ||
            append_agents((Management__V1__UniversalService *)svc, refs, n) != 0)
            rc = rpc_fail(st, RPC_INTERNAL, "failed to build service list");
    }
    free(svc_rows);
    free(own);
    free(node);
    free(refs);
    if (rc != RPC_OK && resp)
        protobuf_c_message_free_unpacked(resp, NULL);
    else
        *out = resp;
    return rc;
}

/* The services and their agents in one snapshot: three queries in one
 * read-only REPEATABLE READ transaction. */
static int list_services(db *d, const char *const *params, const vm_values *up, ProtobufCMessage **out,
                         rpc_status *st)
{
    if (db_begin_snapshot(d, st) != RPC_OK)
        return st->code;
    PGresult *r = NULL, *ra = NULL, *rn = NULL;
    int rc = RPC_OK;
    if (!(r = db_exec(d, st,
                      "SELECT " UNIVERSAL_SERVICE_COLUMNS " FROM services s LEFT JOIN nodes n ON n.node_id = s.node_id "
                      "WHERE " SERVICE_FILTER,
                      3, params)) ||
        !(ra = db_exec(d, st, SERVICE_AGENT_ROWS, 3, params)) || !(rn = db_exec(d, st, NODE_AGENT_ROWS, 0, NULL)))
        rc = st->code;
    rc = mgmt_end_tx(d, st, rc);
    if (rc == RPC_OK)
        rc = build_list(r, ra, rn, up, out, st);
    PQclear(rn);
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
