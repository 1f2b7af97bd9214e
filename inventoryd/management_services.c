/* management_services: management.v1 RemoveService (by id or by name,
 * with the service type check pmm-admin sends) and ListServices
 * (UniversalService with its agents and its status from VictoriaMetrics'
 * *_up metrics: one query per request, a hash lookup per service). */
#include "management_internal.h"

#include <ctype.h>
#include <stdint.h>
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
 * IsVMAgent. Plain rows (service_id first), grouped by service here:
 * set-based joins instead of three lookups per service, and no JSON for
 * PostgreSQL to build and us to parse. */
#define AGENT_COLUMNS "s.service_id, a.agent_id, a.agent_type, a.status, a.is_connected"
#define SERVICE_AGENT_ROWS \
    "SELECT " AGENT_COLUMNS " FROM services s JOIN agents a ON a.service_id = s.service_id WHERE " SERVICE_FILTER \
    " UNION ALL SELECT " AGENT_COLUMNS " FROM services s JOIN agents a ON a.runs_on_node_id = s.node_id " \
    "AND a.service_id IS NULL WHERE " SERVICE_FILTER \
    " UNION ALL SELECT " AGENT_COLUMNS " FROM services s JOIN agents a ON a.node_id = s.node_id " \
    "AND a.agent_type = 'vmagent' AND a.service_id IS NULL WHERE " SERVICE_FILTER

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

/* Appends agent rows rows[0..n) of ra to svc as UniversalAgent messages. */
static int append_agents(Management__V1__UniversalService *svc, PGresult *ra, const int *rows, size_t n)
{
    if (n == 0)
        return 0;
    svc->agents = calloc(n, sizeof *svc->agents);
    if (!svc->agents)
        return -1;
    for (size_t k = 0; k < n; k++) {
        int row = rows[k];
        Management__V1__UniversalAgent *a = malloc(sizeof *a);
        if (!a)
            return -1;
        management__v1__universal_agent__init(a);
        svc->agents[svc->n_agents++] = a;
        if (!(a->agent_id = dup_cell(ra, row, 1)) || !(a->agent_type = dup_cell(ra, row, 2)) ||
            !(a->status = dup_cell(ra, row, 3)))
            return -1; /* freed with svc: a NULL string is skipped */
        a->is_connected = !PQgetisnull(ra, row, 4) && PQgetvalue(ra, row, 4)[0] == 't';
    }
    return 0;
}

/* ---- ordering ------------------------------------------------------------ */
/* The rows come unsorted and are put in order here: PostgreSQL's sorts of
 * 6,000 services and 22,000 agent rows cost more than this does. */

typedef struct {
    const char *key;
    int row;
} keyed_row;

static int keyed_cmp(const void *a, const void *b)
{
    return strcmp(((const keyed_row *)a)->key, ((const keyed_row *)b)->key);
}

/* rows[0..n) of r sorted by column col (the keys looked up once). */
static int sort_rows(PGresult *r, int col, int *rows, size_t n)
{
    keyed_row *k = malloc((n ? n : 1) * sizeof *k);
    if (!k)
        return -1;
    for (size_t i = 0; i < n; i++)
        k[i] = (keyed_row){ PQgetvalue(r, rows[i], col), rows[i] };
    qsort(k, n, sizeof *k, keyed_cmp);
    for (size_t i = 0; i < n; i++)
        rows[i] = k[i].row;
    free(k);
    return 0;
}

/* Row numbers of r sorted by column col; NULL when out of memory. */
static int *sorted_rows(PGresult *r, int col)
{
    int n = PQntuples(r);
    int *v = malloc(((size_t)n + 1) * sizeof *v);
    if (!v)
        return NULL;
    for (int i = 0; i < n; i++)
        v[i] = i;
    if (sort_rows(r, col, v, (size_t)n) != 0) {
        free(v);
        return NULL;
    }
    return v;
}

static uint32_t str_hash(const char *s)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

/* The agent rows of each service: start[i]..start[i + 1] of rows are
 * those of the i-th service in order (sorted by agent id). */
typedef struct {
    int *start, *rows;
} agent_groups;

static int group_agents(PGresult *r, const int *order, PGresult *ra, agent_groups *g)
{
    int n = PQntuples(r), na = PQntuples(ra);
    size_t cap = 16;
    while (cap < (size_t)n * 2)
        cap *= 2;
    int *slot = malloc(cap * sizeof *slot), *of = malloc(((size_t)na + 1) * sizeof *of);
    g->start = calloc((size_t)n + 2, sizeof *g->start);
    g->rows = malloc(((size_t)na + 1) * sizeof *g->rows);
    int rc = slot && of && g->start && g->rows ? 0 : -1;
    /* service id -> its position, open addressing */
    for (size_t i = 0; rc == 0 && i < cap; i++)
        slot[i] = -1;
    for (int i = 0; rc == 0 && i < n; i++) {
        size_t h = str_hash(PQgetvalue(r, order[i], 0)) & (cap - 1);
        while (slot[h] >= 0)
            h = (h + 1) & (cap - 1);
        slot[h] = i;
    }
    /* counting sort of the agent rows by their service's position */
    for (int j = 0; rc == 0 && j < na; j++) {
        const char *sid = PQgetvalue(ra, j, 0);
        size_t h = str_hash(sid) & (cap - 1);
        while (slot[h] >= 0 && strcmp(PQgetvalue(r, order[slot[h]], 0), sid) != 0)
            h = (h + 1) & (cap - 1);
        of[j] = slot[h]; /* -1: a service the first query did not see (cannot happen in one snapshot) */
        if (of[j] >= 0)
            g->start[of[j] + 2]++;
    }
    for (int i = 0; rc == 0 && i < n; i++)
        g->start[i + 2] += g->start[i + 1];
    for (int j = 0; rc == 0 && j < na; j++)
        if (of[j] >= 0)
            g->rows[g->start[of[j] + 1]++] = j;
    for (int i = 0; rc == 0 && i < n; i++)
        if (g->start[i + 1] - g->start[i] > 1)
            rc = sort_rows(ra, 1, g->rows + g->start[i], (size_t)(g->start[i + 1] - g->start[i]));
    free(slot);
    free(of);
    return rc;
}

static int build_list(PGresult *r, PGresult *ra, const vm_values *up, ProtobufCMessage **out, rpc_status *st)
{
    ProtobufCMessage *resp = pb_new(&management__v1__list_services_response__descriptor);
    int *order = sorted_rows(r, 0);
    agent_groups g = { 0 };
    int rc = resp && order && group_agents(r, order, ra, &g) == 0 ? RPC_OK : rpc_fail(st, RPC_INTERNAL, "out of memory");
    for (int i = 0; i < PQntuples(r) && rc == RPC_OK; i++) {
        ProtobufCMessage *svc = service_from_row(r, order[i], up);
        if (!svc || pb_append_msg(resp, "services", svc) != 0 ||
            append_agents((Management__V1__UniversalService *)svc, ra, g.rows + g.start[i],
                          (size_t)(g.start[i + 1] - g.start[i])) != 0)
            rc = rpc_fail(st, RPC_INTERNAL, "failed to build service list");
    }
    free(order);
    free(g.start);
    free(g.rows);
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
                      "WHERE " SERVICE_FILTER,
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
