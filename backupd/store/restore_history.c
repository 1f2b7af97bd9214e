/* restore_history: table restore_history. */
#include "store.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sql.h"
#include "uuid.h"

#define COLS \
    "id, artifact_id, service_id, status, " SQL_MS("started_at") ", " SQL_MS("finished_at") ", " SQL_MS("pitr_timestamp")

void restore_item_free(restore_item *r)
{
    char **f[] = { &r->id, &r->artifact_id, &r->service_id, &r->status };
    store_free_strs(f, sizeof f / sizeof *f);
}

void restore_items_free(restore_item *r, size_t n)
{
    for (size_t i = 0; i < n; i++)
        restore_item_free(&r[i]);
    free(r);
}

static int from_row(PGresult *r, int i, restore_item *x, rpc_status *st)
{
    memset(x, 0, sizeof *x);
    x->id = store_col(r, i, 0);
    x->artifact_id = store_col(r, i, 1);
    x->service_id = store_col(r, i, 2);
    x->status = store_col(r, i, 3);
    x->started_at = strtoll(PQgetvalue(r, i, 4), NULL, 10);
    x->finished_at = strtoll(PQgetvalue(r, i, 5), NULL, 10);
    x->pitr_timestamp = strtoll(PQgetvalue(r, i, 6), NULL, 10);
    if (!x->id || !x->artifact_id || !x->service_id || !x->status) {
        restore_item_free(x);
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
    restore_item_free((restore_item *)x);
}

int store_restore_get(db *d, const char *id, restore_item *out, rpc_status *st)
{
    return store_get_one(d, "SELECT " COLS " FROM restore_history WHERE id = $1", id, "Restore history item", row_cb, out, st);
}

int store_restore_list(db *d, restore_item **out, size_t *n, rpc_status *st)
{
    *out = NULL;
    *n = 0;
    PGresult *r = db_exec(d, st, "SELECT " COLS " FROM restore_history ORDER BY started_at DESC, id", 0, NULL);
    if (!r)
        return st->code;
    return store_rows(r, sizeof **out, row_cb, free_cb, (void **)out, n, st);
}

int store_restore_insert(db *d, restore_item *x, rpc_status *st)
{
    if (!x->id) {
        char id[UUID_STR_LEN];
        uuid_v4(id);
        if (!(x->id = strdup(id)))
            return rpc_fail(st, RPC_INTERNAL, "out of memory");
    }
    char pitr[32];
    store_ms_param(pitr, sizeof pitr, x->pitr_timestamp);
    PGresult *r = db_exec(d, st,
                          "INSERT INTO restore_history (id, artifact_id, service_id, status, started_at, pitr_timestamp) "
                          "VALUES ($1, $2, $3, $4, " SQL_NOW ", " SQL_TS("$5") ") RETURNING " SQL_MS("started_at"),
                          5,
                          (const char *[]){ x->id, x->artifact_id, x->service_id, x->status,
                                            x->pitr_timestamp ? pitr : NULL });
    if (!r)
        return st->code;
    x->started_at = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    PQclear(r);
    return RPC_OK;
}

int store_restore_set_status(db *d, const char *id, const char *status, rpc_status *st)
{
    PGresult *r = db_exec(d, st,
                          "UPDATE restore_history SET status = $2::text, finished_at = CASE WHEN $2::text = 'in_progress' THEN "
                          "NULL ELSE " SQL_NOW " END WHERE id = $1",
                          2, (const char *[]){ id, status });
    if (!r)
        return st->code;
    int rc = atoi(PQcmdTuples(r)) == 1 ? RPC_OK : store_not_found(st, "Restore history item", id);
    PQclear(r);
    return rc;
}

int store_restore_running_for(db *d, const char *service_id, bool *running, rpc_status *st)
{
    PGresult *r = db_exec(d, st, "SELECT 1 FROM restore_history WHERE service_id = $1 AND status = 'in_progress'", 1,
                          (const char *[]){ service_id });
    if (!r)
        return st->code;
    *running = PQntuples(r) > 0;
    PQclear(r);
    return RPC_OK;
}

int store_restore_running_for_artifact(db *d, const char *artifact_id, bool *running, rpc_status *st)
{
    PGresult *r = db_exec(d, st, "SELECT 1 FROM restore_history WHERE artifact_id = $1 AND status = 'in_progress'", 1,
                          (const char *[]){ artifact_id });
    if (!r)
        return st->code;
    *running = PQntuples(r) > 0;
    PQclear(r);
    return RPC_OK;
}

static int exec_any(db *d, rpc_status *st, const char *sql, const char *arg)
{
    PGresult *r = db_exec(d, st, sql, 1, (const char *[]){ arg });
    if (!r)
        return st->code;
    PQclear(r);
    return RPC_OK;
}

int store_restore_delete_by_artifact(db *d, const char *artifact_id, rpc_status *st)
{
    return exec_any(d, st, "DELETE FROM restore_history WHERE artifact_id = $1", artifact_id);
}

int store_restore_delete_by_location(db *d, const char *location_id, rpc_status *st)
{
    return exec_any(d, st,
                    "DELETE FROM restore_history WHERE artifact_id IN (SELECT id FROM artifacts WHERE location_id = $1)",
                    location_id);
}
