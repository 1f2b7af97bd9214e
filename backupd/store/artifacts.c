/* artifacts: table artifacts. */
#include "store.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sql.h"
#include "uuid.h"

#define COLS                                                                                                     \
    "id, name, vendor, location_id, service_id, data_model, status, type, schedule_id, db_version, mode, folder, " \
    "is_sharded_cluster, metadata_list::text, " SQL_MS("created_at") ", " SQL_MS("updated_at")

void artifact_free(artifact *a)
{
    char **f[] = { &a->id, &a->name, &a->vendor, &a->location_id, &a->service_id, &a->data_model, &a->status,
                   &a->type, &a->schedule_id, &a->db_version, &a->mode, &a->folder, &a->metadata_list };
    store_free_strs(f, sizeof f / sizeof *f);
}

void artifacts_free(artifact *a, size_t n)
{
    for (size_t i = 0; i < n; i++)
        artifact_free(&a[i]);
    free(a);
}

static int from_row(PGresult *r, int i, artifact *a, rpc_status *st)
{
    memset(a, 0, sizeof *a);
    char **f[] = { &a->id, &a->name, &a->vendor, &a->location_id, &a->service_id, &a->data_model, &a->status,
                   &a->type, &a->schedule_id, &a->db_version, &a->mode, &a->folder };
    bool ok = true;
    for (size_t c = 0; c < sizeof f / sizeof *f; c++)
        ok &= (*f[c] = store_col(r, i, (int)c)) != NULL;
    a->is_sharded_cluster = strcmp(PQgetvalue(r, i, 12), "t") == 0;
    a->metadata_list = PQgetisnull(r, i, 13) ? NULL : strdup(PQgetvalue(r, i, 13));
    a->created_at = strtoll(PQgetvalue(r, i, 14), NULL, 10);
    a->updated_at = strtoll(PQgetvalue(r, i, 15), NULL, 10);
    if (!ok || (!PQgetisnull(r, i, 13) && !a->metadata_list)) {
        artifact_free(a);
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
    artifact_free((artifact *)x);
}

static int many(PGresult *r, artifact **out, size_t *n, rpc_status *st)
{
    return store_rows(r, sizeof **out, row_cb, free_cb, (void **)out, n, st);
}

int store_artifact_get(db *d, const char *id, artifact *out, rpc_status *st)
{
    return store_get_one(d, "SELECT " COLS " FROM artifacts WHERE id = $1", id, "Artifact", row_cb, out, st);
}

int store_artifact_by_name(db *d, const char *name, artifact *out, bool *found, rpc_status *st)
{
    PGresult *r = db_exec(d, st, "SELECT " COLS " FROM artifacts WHERE name = $1", 1, (const char *[]){ name });
    if (!r)
        return st->code;
    *found = PQntuples(r) > 0;
    int rc = *found ? from_row(r, 0, out, st) : RPC_OK;
    PQclear(r);
    return rc;
}

int store_artifact_list(db *d, artifact **out, size_t *n, rpc_status *st)
{
    *out = NULL;
    *n = 0;
    PGresult *r = db_exec(d, st, "SELECT " COLS " FROM artifacts ORDER BY created_at DESC, id", 0, NULL);
    return r ? many(r, out, n, st) : st->code;
}

int store_artifact_find(db *d, const char *location_id, const char *service_id, const char *schedule_id,
                        const char *status, const char *folder, artifact **out, size_t *n, rpc_status *st)
{
    *out = NULL;
    *n = 0;
    PGresult *r = db_exec(d, st,
                          "SELECT " COLS " FROM artifacts WHERE ($1::text IS NULL OR location_id = $1) AND "
                          "($2::text IS NULL OR service_id = $2) AND ($3::text IS NULL OR schedule_id = $3) AND "
                          "($4::text IS NULL OR status = $4) AND ($5::text IS NULL OR folder = $5) "
                          "ORDER BY created_at DESC, id",
                          5, (const char *[]){ location_id, service_id, schedule_id, status, folder });
    return r ? many(r, out, n, st) : st->code;
}

int store_artifact_services_at(db *d, const char *location_id, const char *folder, const char *except_id,
                               char **json, rpc_status *st)
{
    PGresult *r = db_exec(d, st,
                          "SELECT COALESCE(json_object_agg(service_id, id), '{}')::text FROM (SELECT DISTINCT ON "
                          "(service_id) service_id, id FROM artifacts WHERE location_id = $1 AND folder = $2 AND "
                          "service_id <> $3) x",
                          3, (const char *[]){ location_id, folder, except_id });
    if (!r)
        return st->code;
    *json = strdup(PQgetvalue(r, 0, 0));
    PQclear(r);
    return *json ? RPC_OK : rpc_fail(st, RPC_INTERNAL, "out of memory");
}

int store_artifact_insert(db *d, artifact *a, rpc_status *st)
{
    if (!a->id) {
        char id[UUID_STR_LEN];
        uuid_v4(id);
        if (!(a->id = strdup(id)))
            return rpc_fail(st, RPC_INTERNAL, "out of memory");
    }
    PGresult *r = db_exec(
        d, st,
        "INSERT INTO artifacts (id, name, vendor, location_id, service_id, data_model, status, type, schedule_id, "
        "db_version, mode, folder, is_sharded_cluster, metadata_list, created_at, updated_at) VALUES ($1, $2, $3, $4, "
        "$5, $6, $7, $8, $9, $10, $11, $12, $13, $14::jsonb, " SQL_NOW ", " SQL_NOW ") RETURNING " SQL_MS("created_at"),
        14,
        (const char *[]){ a->id, a->name, a->vendor, a->location_id, a->service_id, a->data_model, a->status, a->type,
                          a->schedule_id ? a->schedule_id : "", a->db_version ? a->db_version : "", a->mode,
                          a->folder ? a->folder : "", a->is_sharded_cluster ? "t" : "f", a->metadata_list });
    if (!r)
        return st->code;
    a->created_at = a->updated_at = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    PQclear(r);
    return RPC_OK;
}

int store_artifact_set_status(db *d, const char *id, const char *status, rpc_status *st)
{
    return store_exec_one(d, st, "UPDATE artifacts SET status = $2, updated_at = " SQL_NOW " WHERE id = $1", 2,
                    (const char *[]){ id, status }, "Artifact", id);
}

int store_artifact_set_status_if(db *d, const char *id, const char *from, const char *to, bool *changed,
                                 rpc_status *st)
{
    PGresult *r = db_exec(d, st, "UPDATE artifacts SET status = $3, updated_at = " SQL_NOW " WHERE id = $1 AND status = $2",
                          3, (const char *[]){ id, from, to });
    if (!r)
        return st->code;
    *changed = atoi(PQcmdTuples(r)) == 1;
    PQclear(r);
    return RPC_OK;
}

int store_artifact_set_success(db *d, const char *id, bool sharded, const char *metadata_json, rpc_status *st)
{
    return store_exec_one(d, st,
                    "UPDATE artifacts SET status = 'success', is_sharded_cluster = $2, metadata_list = CASE WHEN "
                    "$3::jsonb IS NULL THEN metadata_list ELSE COALESCE(metadata_list, '[]'::jsonb) || "
                    "jsonb_build_array($3::jsonb) END, updated_at = " SQL_NOW " WHERE id = $1",
                    3, (const char *[]){ id, sharded ? "t" : "f", metadata_json }, "Artifact", id);
}

int store_artifact_set_metadata(db *d, const char *id, const char *metadata_json, rpc_status *st)
{
    return store_exec_one(d, st, "UPDATE artifacts SET metadata_list = $2::jsonb, updated_at = " SQL_NOW " WHERE id = $1", 2,
                    (const char *[]){ id, metadata_json }, "Artifact", id);
}

int store_artifact_delete(db *d, const char *id, rpc_status *st)
{
    return store_exec_one(d, st, "DELETE FROM artifacts WHERE id = $1", 1, (const char *[]){ id }, "Artifact", id);
}

int store_artifact_unschedule(db *d, const char *schedule_id, rpc_status *st)
{
    PGresult *r = db_exec(d, st, "UPDATE artifacts SET schedule_id = '', updated_at = " SQL_NOW " WHERE schedule_id = $1",
                          1, (const char *[]){ schedule_id });
    if (!r)
        return st->code;
    PQclear(r);
    return RPC_OK;
}

int store_artifact_delete_by_location(db *d, const char *location_id, rpc_status *st)
{
    PGresult *r = db_exec(d, st,
                          "DELETE FROM artifacts WHERE location_id = $1",
                          1, (const char *[]){ location_id });
    if (!r)
        return st->code;
    PQclear(r);
    return RPC_OK;
}
