/* targets: see targets.h. */
#include "targets.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "db/store/services.h"

/* The agents whose DSN reaches the service, in upstream's preference
 * order (FindDSNByServiceIDandPMMAgentID). */
static const char *dsn_agent_types(check_family f)
{
    switch (f) {
    case FAMILY_MYSQL: return "{qan-mysql-slowlog-agent,qan-mysql-perfschema-agent,mysqld_exporter}";
    case FAMILY_POSTGRESQL:
        return "{qan-postgresql-pgstatements-agent,qan-postgresql-pgstatmonitor-agent,postgres_exporter}";
    case FAMILY_MONGODB: return "{qan-mongodb-profiler-agent,mongodb_exporter}";
    default: return "{}";
    }
}

int targets_version_at_least(const char *version, int major, int minor, int patch)
{
    int v[3] = { 0, 0, 0 };
    const char *p = version;
    for (int i = 0; i < 3; i++) {
        char *end;
        long x = strtol(p, &end, 10);
        if (end == p || x < 0)
            return 0;
        v[i] = (int)x;
        p = end;
        if (i < 2) {
            if (*p != '.')
                return 0;
            p++;
        }
    }
    int want[3] = { major, minor, patch };
    for (int i = 0; i < 3; i++)
        if (v[i] != want[i])
            return v[i] > want[i];
    /* x.y.z-pre comes before x.y.z */
    return *p != '-';
}

typedef struct {
    char **k, **v;
    size_t n;
} labels;

static int set_label(labels *l, const char *k, const char *v)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->k[i], k) == 0) {
            char *nv = strdup(v);
            if (!nv)
                return -1;
            free(l->v[i]);
            l->v[i] = nv;
            return 0;
        }
    char **nk = realloc(l->k, (l->n + 1) * sizeof *nk);
    if (nk)
        l->k = nk;
    char **nvv = realloc(l->v, (l->n + 1) * sizeof *nvv);
    if (nvv)
        l->v = nvv;
    if (!nk || !nvv)
        return -1;
    l->k[l->n] = strdup(k);
    l->v[l->n] = strdup(v);
    l->n++;
    return l->k[l->n - 1] && l->v[l->n - 1] ? 0 : -1;
}

/* One entity: standard labels, its custom labels over them, empty ones
 * left out; merged over what earlier entities set. */
static int merge(labels *out, const char *const *std, size_t n_std, const char *custom)
{
    labels e = { 0 };
    int rc = 0;
    for (size_t i = 0; i < n_std && rc == 0; i += 2)
        rc = set_label(&e, std[i], std[i + 1] ? std[i + 1] : "");
    json_t *obj = custom && *custom ? json_loads(custom, 0, NULL) : NULL;
    const char *k;
    json_t *v;
    json_object_foreach(obj, k, v) {
        if (rc == 0 && json_is_string(v))
            rc = set_label(&e, k, json_string_value(v));
    }
    json_decref(obj);
    for (size_t i = 0; i < e.n && rc == 0; i++)
        if (*e.v[i])
            rc = set_label(out, e.k[i], e.v[i]);
    for (size_t i = 0; i < e.n; i++) {
        free(e.k[i]);
        free(e.v[i]);
    }
    free(e.k);
    free(e.v);
    return rc;
}

static const char *col(PGresult *r, int row, int c)
{
    return PQgetisnull(r, row, c) ? NULL : PQgetvalue(r, row, c);
}

static int cmp_label(const void *a, const void *b, void *arg)
{
    const labels *l = arg;
    return strcmp(l->k[*(const size_t *)a], l->k[*(const size_t *)b]);
}

static int make_target(PGresult *r, int row, check_target *t)
{
    labels l = { 0 };
    const char *node[] = { "node_id", col(r, row, TGT_N_ID), "node_name", col(r, row, TGT_N_NAME),
                           "node_type", col(r, row, TGT_N_TYPE), "machine_id", col(r, row, TGT_N_MACHINE),
                           "container_id", col(r, row, TGT_N_CONTAINER_ID), "container_name",
                           col(r, row, TGT_N_CONTAINER_NAME), "node_model", col(r, row, TGT_N_MODEL),
                           "region", col(r, row, TGT_N_REGION), "az", col(r, row, TGT_N_AZ) };
    const char *svc[] = { "service_id", col(r, row, TGT_S_ID), "service_name", col(r, row, TGT_S_NAME),
                          "service_type", col(r, row, TGT_S_TYPE), "environment", col(r, row, TGT_S_ENV),
                          "cluster", col(r, row, TGT_S_CLUSTER), "replication_set", col(r, row, TGT_S_RS),
                          "external_group", col(r, row, TGT_S_GROUP) };
    const char *agent[] = { "agent_id", col(r, row, TGT_A_ID), "agent_type", col(r, row, TGT_A_TYPE) };
    int rc = merge(&l, node, 18, col(r, row, TGT_N_LABELS));
    if (rc == 0)
        rc = merge(&l, svc, 14, col(r, row, TGT_S_LABELS));
    if (rc == 0)
        rc = merge(&l, agent, 4, col(r, row, TGT_A_LABELS));
    size_t *order = calloc(l.n + 1, sizeof *order);
    t->label_keys = calloc(l.n + 1, sizeof *t->label_keys);
    t->label_values = calloc(l.n + 1, sizeof *t->label_values);
    if (rc != 0 || !order || !t->label_keys || !t->label_values)
        rc = -1;
    for (size_t i = 0; rc == 0 && i < l.n; i++)
        order[i] = i;
    if (rc == 0)
        qsort_r(order, l.n, sizeof *order, cmp_label, &l);
    for (size_t i = 0; rc == 0 && i < l.n; i++) {
        t->label_keys[i] = l.k[order[i]];
        t->label_values[i] = l.v[order[i]];
        l.k[order[i]] = l.v[order[i]] = NULL;
    }
    if (rc == 0)
        t->n_labels = l.n;
    for (size_t i = 0; i < l.n; i++) {
        free(l.k[i]);
        free(l.v[i]);
    }
    free(l.k);
    free(l.v);
    free(order);
    t->service_id = strdup(col(r, row, TGT_S_ID));
    t->service_name = strdup(col(r, row, TGT_S_NAME));
    t->service_type = strdup(col(r, row, TGT_S_TYPE));
    t->node_name = strdup(col(r, row, TGT_N_NAME));
    t->pmm_agent_id = strdup(col(r, row, TGT_PA_ID));
    if (!t->service_id || !t->service_name || !t->service_type || !t->node_name || !t->pmm_agent_id)
        rc = -1;
    return rc;
}

static void target_clear(check_target *t)
{
    free(t->service_id);
    free(t->service_name);
    free(t->service_type);
    free(t->node_name);
    free(t->pmm_agent_id);
    for (size_t i = 0; i < t->n_labels; i++) {
        free(t->label_keys[i]);
        free(t->label_values[i]);
    }
    free(t->label_keys);
    free(t->label_values);
    memset(t, 0, sizeof *t);
}

void target_list_clear(target_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        target_clear(&l->v[i]);
    free(l->v);
    memset(l, 0, sizeof *l);
}

int targets_find(db *d, check_family f, target_list *out, rpc_status *st)
{
    memset(out, 0, sizeof *out);
    PGresult *r = store_services_check_targets(d, family_service_type(f), dsn_agent_types(f), st);
    if (!r)
        return st->code;
    int n = PQntuples(r);
    out->v = calloc((size_t)n + 1, sizeof *out->v);
    if (!out->v) {
        PQclear(r);
        return rpc_fail(st, RPC_INTERNAL, "out of memory");
    }
    for (int i = 0; i < n; i++) {
        const char *id = col(r, i, TGT_S_ID), *pa = col(r, i, TGT_PA_ID), *ver = col(r, i, TGT_PA_VERSION);
        if (!pa) {
            log_error("Failed to find connection data for service %s: no available pmm agents.", id);
            continue;
        }
        if (!ver || !targets_version_at_least(ver, 3, 0, 0)) {
            log_warn("Skipping service %s: its pmm-agent %s (version %s) is older than 3.0.0.", id, pa,
                     ver ? ver : "unknown");
            continue;
        }
        if (!col(r, i, TGT_A_ID)) {
            log_error("Failed to find connection data for service %s: "
                      "Couldn't resolve dsn, as there should be one agent.",
                      id);
            continue;
        }
        if (make_target(r, i, &out->v[out->n]) != 0) {
            target_clear(&out->v[out->n]);
            PQclear(r);
            target_list_clear(out);
            return rpc_fail(st, RPC_INTERNAL, "out of memory");
        }
        out->n++;
    }
    PQclear(r);
    return RPC_OK;
}
