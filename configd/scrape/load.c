/* load: reads the renderer's inputs from PostgreSQL (see
 * load.h). The filter is upstream's FindAgentsForScrapeConfig
 * (enabled, listen_port set, push_metrics false); the renderer applies it
 * again, so the SQL only saves work. */
#include "load.h"

#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "secret.h"
#include "db/settings.h"

#define SELECT_WANTED \
    "SELECT a.agent_id, a.agent_type, a.custom_labels, a.listen_port, a.agent_password, a.username, a.password, " \
    "a.exporter_options->>'metrics_scheme', a.exporter_options->>'metrics_path', " \
    "a.exporter_options->'disabled_collectors', " \
    "a.exporter_options->'metrics_resolutions'->>'hr', a.exporter_options->'metrics_resolutions'->>'mr', " \
    "a.exporter_options->'metrics_resolutions'->>'lr', " \
    "COALESCE(a.mongo_options->>'enable_all_collectors', 'false'), " \
    "a.mysql_options->>'table_count_tablestats_group_limit', a.mysql_options->>'table_count', " \
    "a.pmm_agent_id, pa.version, " \
    "CASE WHEN a.pmm_agent_id IS NOT NULL THEN pn.address ELSE rn.address END, " \
    "n.node_id, n.node_name, n.node_type, n.machine_id, n.container_id, n.container_name, n.node_model, " \
    "n.region, n.az, n.distro, n.custom_labels, " \
    "s.service_id, s.service_name, s.service_type, s.environment, s.cluster, s.replication_set, " \
    "s.external_group, s.custom_labels " \
    "FROM agents a " \
    "LEFT JOIN services s ON s.service_id = a.service_id " \
    "LEFT JOIN nodes n ON n.node_id = COALESCE(a.node_id, s.node_id) " \
    "LEFT JOIN agents pa ON pa.agent_id = a.pmm_agent_id " \
    "LEFT JOIN nodes pn ON pn.node_id = pa.runs_on_node_id " \
    "LEFT JOIN nodes rn ON rn.node_id = a.runs_on_node_id " \
    "WHERE NOT a.disabled AND a.listen_port IS NOT NULL " \
    "AND a.agent_type IN ('node_exporter', 'mysqld_exporter', 'mongodb_exporter', 'postgres_exporter', " \
    "'proxysql_exporter', 'rds_exporter', 'external-exporter', 'vmagent', 'azure_database_exporter') "
#define PUSH_METRICS "COALESCE(a.exporter_options->>'push_metrics', 'false')"
#define SELECT_AGENTS SELECT_WANTED "AND " PUSH_METRICS " <> 'true'"

enum {
    C_ID, C_TYPE, C_LABELS, C_PORT, C_AGENT_PASSWORD, C_USERNAME, C_PASSWORD, C_SCHEME, C_PATH, C_DISABLED,
    C_HR, C_MR, C_LR, C_MONGO_ALL, C_TS_LIMIT, C_TABLE_COUNT, C_PMM_AGENT, C_VERSION, C_HOST,
    N_ID, N_NAME, N_TYPE, N_MACHINE, N_CONTAINER_ID, N_CONTAINER_NAME, N_MODEL, N_REGION, N_AZ, N_DISTRO, N_LABELS,
    S_ID, S_NAME, S_TYPE, S_ENV, S_CLUSTER, S_RS, S_GROUP, S_LABELS
};

/* NULL for a NULL column. */
static const char *col(PGresult *r, int row, int c)
{
    return PQgetisnull(r, row, c) ? NULL : PQgetvalue(r, row, c);
}

static int64_t ns(PGresult *r, int row, int c)
{
    const char *s = col(r, row, c);
    return s ? strtoll(s, NULL, 10) : 0;
}

/* The plain text of a stored credential, kept in r->plain. */
static const char *plain(scrape_rows *r, const char *stored, const char *what, const char *id)
{
    if (!stored || !*stored)
        return NULL;
    if (strncmp(stored, SECRET_PREFIX, strlen(SECRET_PREFIX)) != 0)
        return stored;
    char *p = secret_decrypt(stored);
    if (!p) {
        log_error("cannot decrypt the %s of agent %s", what, id);
        return NULL;
    }
    r->plain[r->n_plain++] = p;
    return p;
}

static void fill(scrape_rows *r, int i)
{
    PGresult *res = r->res;
    scrape_node *n = &r->nodes[i];
    scrape_service *s = &r->services[i];
    scrape_agent *a = &r->agents[i];
    if (col(res, i, N_ID)) {
        *n = (scrape_node){ .id = col(res, i, N_ID), .name = col(res, i, N_NAME), .type = col(res, i, N_TYPE),
                            .machine_id = col(res, i, N_MACHINE), .container_id = col(res, i, N_CONTAINER_ID),
                            .container_name = col(res, i, N_CONTAINER_NAME), .model = col(res, i, N_MODEL),
                            .region = col(res, i, N_REGION), .az = col(res, i, N_AZ),
                            .distro = col(res, i, N_DISTRO), .custom_labels = col(res, i, N_LABELS) };
        a->node = n;
    }
    if (col(res, i, S_ID)) {
        *s = (scrape_service){ .id = col(res, i, S_ID), .name = col(res, i, S_NAME), .type = col(res, i, S_TYPE),
                               .environment = col(res, i, S_ENV), .cluster = col(res, i, S_CLUSTER),
                               .replication_set = col(res, i, S_RS), .external_group = col(res, i, S_GROUP),
                               .custom_labels = col(res, i, S_LABELS) };
        a->service = s;
    }
    a->id = col(res, i, C_ID);
    a->type = col(res, i, C_TYPE);
    a->custom_labels = col(res, i, C_LABELS);
    a->listen_port = atoi(PQgetvalue(res, i, C_PORT));
    a->agent_password = plain(r, col(res, i, C_AGENT_PASSWORD), "agent password", a->id);
    a->username = plain(r, col(res, i, C_USERNAME), "username", a->id);
    a->password = plain(r, col(res, i, C_PASSWORD), "password", a->id);
    a->scheme = col(res, i, C_SCHEME);
    a->metrics_path = col(res, i, C_PATH);
    a->disabled_collectors = col(res, i, C_DISABLED);
    a->res = (scrape_res){ ns(res, i, C_HR), ns(res, i, C_MR), ns(res, i, C_LR) };
    a->mongo_all_collectors = strcmp(PQgetvalue(res, i, C_MONGO_ALL), "true") == 0;
    a->tablestats_limit = col(res, i, C_TS_LIMIT) ? atoi(col(res, i, C_TS_LIMIT)) : 0;
    a->has_table_count = col(res, i, C_TABLE_COUNT) != NULL;
    a->table_count = a->has_table_count ? atoi(col(res, i, C_TABLE_COUNT)) : 0;
    a->pmm_agent_id = col(res, i, C_PMM_AGENT);
    a->pmm_agent_version = col(res, i, C_VERSION);
    a->host = col(res, i, C_HOST);
}

/* A PostgreSQL text[] literal: {"a","b"} with '"' and '\\' escaped. */
static char *text_array(const char *const *ids, size_t n)
{
    size_t len = 3;
    for (size_t i = 0; i < n; i++)
        len += 2 * strlen(ids[i]) + 3;
    char *out = malloc(len), *p = out;
    if (!out)
        return NULL;
    *p++ = '{';
    for (size_t i = 0; i < n; i++) {
        if (i)
            *p++ = ',';
        *p++ = '"';
        for (const char *c = ids[i]; *c; c++) {
            if (*c == '"' || *c == '\\')
                *p++ = '\\';
            *p++ = *c;
        }
        *p++ = '"';
    }
    *p++ = '}';
    *p = '\0';
    return out;
}

static int fill_rows(scrape_rows *out, rpc_status *st);

int scrape_load_agents(db *d, const char *const *ids, size_t n_ids, scrape_rows *out, rpc_status *st)
{
    memset(out, 0, sizeof *out);
    if (ids) {
        char *arr = text_array(ids, n_ids);
        if (!arr)
            return rpc_fail(st, RPC_INTERNAL, "out of memory");
        const char *params[] = { arr };
        /* = ANY(array): index lookups by primary key and pmm_agent_id */
        out->res = db_exec(d, st, SELECT_AGENTS " AND (a.agent_id = ANY($1::text[]) OR a.pmm_agent_id = ANY($1::text[]))",
                           1, params);
        free(arr);
    } else {
        out->res = db_exec(d, st, SELECT_AGENTS, 0, NULL);
    }
    return fill_rows(out, st);
}

int scrape_load_push(db *d, const char *pmm_agent_id, scrape_rows *out, rpc_status *st)
{
    memset(out, 0, sizeof *out);
    const char *params[] = { pmm_agent_id };
    out->res = db_exec(d, st, SELECT_WANTED "AND " PUSH_METRICS " = 'true' AND a.pmm_agent_id = $1", 1, params);
    int rc = fill_rows(out, st);
    for (size_t i = 0; rc == RPC_OK && i < out->n; i++)
        out->agents[i].push_metrics = true;
    return rc;
}

/* The rows of out->res (NULL: the query failed, st set) into out. */
static int fill_rows(scrape_rows *out, rpc_status *st)
{
    if (!out->res)
        return st->code;
    size_t n = (size_t)PQntuples(out->res);
    out->n = n;
    out->agents = calloc(n ? n : 1, sizeof *out->agents);
    out->nodes = calloc(n ? n : 1, sizeof *out->nodes);
    out->services = calloc(n ? n : 1, sizeof *out->services);
    out->plain = calloc(n ? n * 3 : 1, sizeof *out->plain);
    if (!out->agents || !out->nodes || !out->services || !out->plain) {
        scrape_rows_free(out);
        return rpc_fail(st, RPC_INTERNAL, "out of memory");
    }
    for (size_t i = 0; i < n; i++)
        fill(out, (int)i);
    return RPC_OK;
}

void scrape_rows_free(scrape_rows *r)
{
    if (r->res)
        PQclear(r->res);
    for (size_t i = 0; i < r->n_plain; i++) {
        size_t len = strlen(r->plain[i]);
        memset(r->plain[i], 0, len);
        free(r->plain[i]);
    }
    free(r->plain);
    free(r->agents);
    free(r->nodes);
    free(r->services);
    memset(r, 0, sizeof *r);
}

int scrape_load_settings(db *d, scrape_res *res, bool *nomad, rpc_status *st)
{
    settings set;
    int rc = settings_load(d, &set, st);
    if (rc != RPC_OK)
        return rc;
    *res = (scrape_res){ set.metrics_resolutions.hr, set.metrics_resolutions.mr, set.metrics_resolutions.lr };
    settings_free(&set);
    /* nomad is not in the settings model (optional upstream feature); its
     * key is kept in the row, so read it there. */
    PGresult *r = db_exec(d, st, "SELECT COALESCE(settings->'nomad'->>'enabled', 'false') FROM settings LIMIT 1", 0,
                          NULL);
    if (!r)
        return st->code;
    *nomad = PQntuples(r) == 1 && strcmp(PQgetvalue(r, 0, 0), "true") == 0;
    PQclear(r);
    return RPC_OK;
}
