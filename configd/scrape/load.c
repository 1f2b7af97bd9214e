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
#include "db/store/agents.h"

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
    if (col(res, i, SCRAPE_N_ID)) {
        *n = (scrape_node){ .id = col(res, i, SCRAPE_N_ID), .name = col(res, i, SCRAPE_N_NAME), .type = col(res, i, SCRAPE_N_TYPE),
                            .machine_id = col(res, i, SCRAPE_N_MACHINE), .container_id = col(res, i, SCRAPE_N_CONTAINER_ID),
                            .container_name = col(res, i, SCRAPE_N_CONTAINER_NAME), .model = col(res, i, SCRAPE_N_MODEL),
                            .region = col(res, i, SCRAPE_N_REGION), .az = col(res, i, SCRAPE_N_AZ),
                            .distro = col(res, i, SCRAPE_N_DISTRO), .custom_labels = col(res, i, SCRAPE_N_LABELS) };
        a->node = n;
    }
    if (col(res, i, SCRAPE_S_ID)) {
        *s = (scrape_service){ .id = col(res, i, SCRAPE_S_ID), .name = col(res, i, SCRAPE_S_NAME), .type = col(res, i, SCRAPE_S_TYPE),
                               .environment = col(res, i, SCRAPE_S_ENV), .cluster = col(res, i, SCRAPE_S_CLUSTER),
                               .replication_set = col(res, i, SCRAPE_S_RS), .external_group = col(res, i, SCRAPE_S_GROUP),
                               .custom_labels = col(res, i, SCRAPE_S_LABELS) };
        a->service = s;
    }
    a->id = col(res, i, SCRAPE_C_ID);
    a->type = col(res, i, SCRAPE_C_TYPE);
    a->custom_labels = col(res, i, SCRAPE_C_LABELS);
    a->listen_port = atoi(PQgetvalue(res, i, SCRAPE_C_PORT));
    a->agent_password = plain(r, col(res, i, SCRAPE_C_AGENT_PASSWORD), "agent password", a->id);
    a->username = plain(r, col(res, i, SCRAPE_C_USERNAME), "username", a->id);
    a->password = plain(r, col(res, i, SCRAPE_C_PASSWORD), "password", a->id);
    a->scheme = col(res, i, SCRAPE_C_SCHEME);
    a->metrics_path = col(res, i, SCRAPE_C_PATH);
    a->disabled_collectors = col(res, i, SCRAPE_C_DISABLED);
    a->res = (scrape_res){ ns(res, i, SCRAPE_C_HR), ns(res, i, SCRAPE_C_MR), ns(res, i, SCRAPE_C_LR) };
    a->mongo_all_collectors = strcmp(PQgetvalue(res, i, SCRAPE_C_MONGO_ALL), "true") == 0;
    a->tablestats_limit = col(res, i, SCRAPE_C_TS_LIMIT) ? atoi(col(res, i, SCRAPE_C_TS_LIMIT)) : 0;
    a->has_table_count = col(res, i, SCRAPE_C_TABLE_COUNT) != NULL;
    a->table_count = a->has_table_count ? atoi(col(res, i, SCRAPE_C_TABLE_COUNT)) : 0;
    a->pmm_agent_id = col(res, i, SCRAPE_C_PMM_AGENT);
    a->pmm_agent_version = col(res, i, SCRAPE_C_VERSION);
    a->host = col(res, i, SCRAPE_C_HOST);
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
        out->res = store_agents_scrape_targets(d, params[0], st);
        free(arr);
    } else {
        out->res = store_agents_scrape_targets(d, NULL, st);
    }
    return fill_rows(out, st);
}

int scrape_load_push(db *d, const char *pmm_agent_id, scrape_rows *out, rpc_status *st)
{
    memset(out, 0, sizeof *out);
    out->res = store_agents_push_targets(d, pmm_agent_id, st);
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
    return settings_nomad_enabled(d, nomad, st);
}
