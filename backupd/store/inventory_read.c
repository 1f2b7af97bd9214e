/* inventory_read: backupd's reads of the inventory tables other daemons
 * own (services, agents, settings), in one file so that they can be
 * re-pointed at common/db/store/ in one place. */
#include "store.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/settings.h"

#define SVC_COLS                                                                                                  \
    "service_id, service_type, service_name, node_id, cluster, replication_set, environment, "                   \
    "COALESCE(address, ''), COALESCE(socket, ''), COALESCE(version, ''), COALESCE(custom_labels, '{}'), "          \
    "external_group, database_name, COALESCE(port, 0)"

void service_rec_free(service_rec *s)
{
    char **f[] = { &s->service_id, &s->service_type, &s->service_name, &s->node_id, &s->cluster,
                   &s->replication_set, &s->environment, &s->address, &s->socket, &s->version,
                   &s->custom_labels, &s->external_group, &s->database_name };
    store_free_strs(f, sizeof f / sizeof *f);
}

void service_recs_free(service_rec *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        service_rec_free(&s[i]);
    free(s);
}

static int from_row(PGresult *r, int i, service_rec *s, rpc_status *st)
{
    memset(s, 0, sizeof *s);
    char **f[] = { &s->service_id, &s->service_type, &s->service_name, &s->node_id, &s->cluster,
                   &s->replication_set, &s->environment, &s->address, &s->socket, &s->version,
                   &s->custom_labels, &s->external_group, &s->database_name };
    bool ok = true;
    for (size_t c = 0; c < sizeof f / sizeof *f; c++)
        ok &= (*f[c] = store_col(r, i, (int)c)) != NULL;
    s->port = atoi(PQgetvalue(r, i, 13));
    if (!ok) {
        service_rec_free(s);
        return rpc_fail(st, RPC_INTERNAL, "out of memory");
    }
    return RPC_OK;
}

static int row_cb(void *r, int i, void *out, rpc_status *st)
{
    return from_row(r, i, out, st);
}

static void free_cb(void *x)
{
    service_rec_free((service_rec *)x);
}

static int many(PGresult *r, service_rec **out, size_t *n, rpc_status *st)
{
    return store_rows(r, sizeof **out, row_cb, free_cb, (void **)out, n, st);
}

int store_service_get(db *d, const char *id, service_rec *out, rpc_status *st)
{
    return store_get_one(d, "SELECT " SVC_COLS " FROM services WHERE service_id = $1", id, "Service", row_cb, out, st);
}

int store_service_exists(db *d, const char *id, bool *exists, rpc_status *st)
{
    PGresult *r = db_exec(d, st, "SELECT 1 FROM services WHERE service_id = $1", 1, (const char *[]){ id });
    if (!r)
        return st->code;
    *exists = PQntuples(r) > 0;
    PQclear(r);
    return RPC_OK;
}

int store_service_list(db *d, const char *type, const char *cluster, service_rec **out, size_t *n, rpc_status *st)
{
    *out = NULL;
    *n = 0;
    PGresult *r = db_exec(d, st,
                          "SELECT " SVC_COLS " FROM services WHERE service_type = $1 AND ($2::text IS NULL OR "
                          "cluster = $2) ORDER BY service_name",
                          2, (const char *[]){ type, cluster });
    return r ? many(r, out, n, st) : st->code;
}

int store_service_kinds(db *d, const char *ids_json, char **json, rpc_status *st)
{
    PGresult *r = db_exec(d, st,
                          "SELECT COALESCE(json_object_agg(service_id, json_build_array(service_type, cluster)), "
                          "'{}')::text FROM services WHERE service_id IN (SELECT jsonb_array_elements_text($1::jsonb))",
                          1, (const char *[]){ ids_json });
    if (!r)
        return st->code;
    *json = strdup(PQgetvalue(r, 0, 0));
    PQclear(r);
    return *json ? RPC_OK : rpc_fail(st, RPC_INTERNAL, "out of memory");
}

int store_service_list_all(db *d, service_rec **out, size_t *n, rpc_status *st)
{
    *out = NULL;
    *n = 0;
    PGresult *r = db_exec(d, st, "SELECT " SVC_COLS " FROM services ORDER BY service_name", 0, NULL);
    return r ? many(r, out, n, st) : st->code;
}

int store_service_by_names(db *d, char *const *names, size_t n_names, service_rec **out, size_t *n, rpc_status *st)
{
    /* a text[] literal: {"a","b"} with quotes and backslashes escaped */
    size_t len = 3;
    for (size_t i = 0; i < n_names; i++)
        len += strlen(names[i]) * 2 + 3;
    char *arr = malloc(len), *o = arr;
    if (!arr)
        return rpc_fail(st, RPC_INTERNAL, "out of memory");
    *o++ = '{';
    for (size_t i = 0; i < n_names; i++) {
        if (i)
            *o++ = ',';
        *o++ = '"';
        for (const char *p = names[i]; *p; p++) {
            if (*p == '"' || *p == '\\')
                *o++ = '\\';
            *o++ = *p;
        }
        *o++ = '"';
    }
    *o++ = '}';
    *o = '\0';
    *out = NULL;
    *n = 0;
    PGresult *r = db_exec(d, st, "SELECT " SVC_COLS " FROM services WHERE service_name = ANY($1::text[]) ORDER BY service_name",
                          1, (const char *[]){ arr });
    free(arr);
    return r ? many(r, out, n, st) : st->code;
}

int store_service_names(db *d, char **json, rpc_status *st)
{
    PGresult *r = db_exec(d, st, "SELECT COALESCE(json_object_agg(service_id, service_name), '{}')::text FROM services",
                          0, NULL);
    if (!r)
        return st->code;
    *json = strdup(PQgetvalue(r, 0, 0));
    PQclear(r);
    return *json ? RPC_OK : rpc_fail(st, RPC_INTERNAL, "out of memory");
}

void pmm_agent_refs_free(pmm_agent_ref *a, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(a[i].id);
        free(a[i].version);
    }
    free(a);
}

static int agent_row_cb(void *r, int i, void *out, rpc_status *st)
{
    pmm_agent_ref *a = out;
    a->id = store_col(r, i, 0);
    a->version = store_col(r, i, 1);
    if (a->id && a->version)
        return RPC_OK;
    free(a->id);
    free(a->version);
    return rpc_fail(st, RPC_INTERNAL, "out of memory");
}

static void agent_free_cb(void *x)
{
    pmm_agent_ref *a = x;
    free(a->id);
    free(a->version);
}

int store_pmm_agents_for_service(db *d, const char *service_id, pmm_agent_ref **out, size_t *n, rpc_status *st)
{
    *out = NULL;
    *n = 0;
    PGresult *r = db_exec(d, st,
                          "SELECT agent_id, COALESCE(version, '') FROM agents WHERE agent_type = 'pmm-agent' AND "
                          "agent_id IN (SELECT pmm_agent_id FROM agents WHERE service_id = $1) ORDER BY agent_id",
                          1, (const char *[]){ service_id });
    if (!r)
        return st->code;
    return store_rows(r, sizeof **out, agent_row_cb, agent_free_cb, (void **)out, n, st);
}

int store_backup_management_enabled(db *d, bool *enabled, rpc_status *st)
{
    settings s;
    if (settings_load(d, &s, st) != RPC_OK)
        return st->code;
    *enabled = s.backup_management_enabled;
    settings_free(&s);
    return RPC_OK;
}
