/* dumps: table dumps (upstream's models.Dump). */
#include "store.h"

#include <jansson.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sql.h"
#include "uuid.h"

#define COLS                                                                                                        \
    "id, status, array_to_json(COALESCE(service_names, '{}'))::text, " SQL_MS("start_time") ", " SQL_MS("end_time") \
    ", export_qan, ignore_load, " SQL_MS("created_at") ", " SQL_MS("updated_at")

void dump_row_free(dump_row *r)
{
    for (size_t i = 0; i < r->n_service_names; i++)
        free(r->service_names[i]);
    free(r->service_names);
    free(r->id);
    free(r->status);
    memset(r, 0, sizeof *r);
}

void dump_rows_free(dump_row *r, size_t n)
{
    for (size_t i = 0; i < n; i++)
        dump_row_free(&r[i]);
    free(r);
}

/* service_names arrive as a JSON array text: ["a","b"]. */
static int names_from_json(const char *text, dump_row *r)
{
    json_t *arr = json_loads(text, 0, NULL);
    size_t n = json_array_size(arr);
    r->service_names = calloc(n ? n : 1, sizeof *r->service_names);
    if (!r->service_names) {
        json_decref(arr);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        const char *s = json_string_value(json_array_get(arr, i));
        if (!(r->service_names[r->n_service_names] = strdup(s ? s : "")))
            break;
        r->n_service_names++;
    }
    json_decref(arr);
    return r->n_service_names == n ? 0 : -1;
}

static int from_row(PGresult *res, int i, dump_row *r, rpc_status *st)
{
    memset(r, 0, sizeof *r);
    r->id = store_col(res, i, 0);
    r->status = store_col(res, i, 1);
    int names = names_from_json(PQgetvalue(res, i, 2), r);
    r->start_time = strtoll(PQgetvalue(res, i, 3), NULL, 10);
    r->end_time = strtoll(PQgetvalue(res, i, 4), NULL, 10);
    r->export_qan = strcmp(PQgetvalue(res, i, 5), "t") == 0;
    r->ignore_load = strcmp(PQgetvalue(res, i, 6), "t") == 0;
    r->created_at = strtoll(PQgetvalue(res, i, 7), NULL, 10);
    r->updated_at = strtoll(PQgetvalue(res, i, 8), NULL, 10);
    if (!r->id || !r->status || names != 0) {
        dump_row_free(r);
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
    dump_row_free((dump_row *)x);
}

int store_dump_get(db *d, const char *id, dump_row *out, rpc_status *st)
{
    return store_get_one(d, "SELECT " COLS " FROM dumps WHERE id = $1", id, "Dump", row_cb, out, st);
}

int store_dump_list(db *d, dump_row **out, size_t *n, rpc_status *st)
{
    *out = NULL;
    *n = 0;
    PGresult *r = db_exec(d, st, "SELECT " COLS " FROM dumps ORDER BY created_at DESC, id", 0, NULL);
    if (!r)
        return st->code;
    return store_rows(r, sizeof **out, row_cb, free_cb, (void **)out, n, st);
}

int store_dump_insert(db *d, dump_row *x, rpc_status *st)
{
    if (!x->id) {
        char id[UUID_STR_LEN];
        uuid_v4(id);
        if (!(x->id = strdup(id)))
            return rpc_fail(st, RPC_INTERNAL, "out of memory");
    }
    json_t *arr = json_array();
    for (size_t i = 0; i < x->n_service_names; i++)
        json_array_append_new(arr, json_string(x->service_names[i]));
    char *names = json_dumps(arr, JSON_COMPACT);
    json_decref(arr);
    char s[32], e[32];
    store_ms_param(s, sizeof s, x->start_time);
    store_ms_param(e, sizeof e, x->end_time);
    PGresult *r = names ? db_exec(d, st,
                                  "INSERT INTO dumps (id, status, service_names, start_time, end_time, export_qan, "
                                  "ignore_load, created_at, updated_at) VALUES ($1, $2, ARRAY(SELECT "
                                  "jsonb_array_elements_text($3::jsonb)), " SQL_TS("$4") ", " SQL_TS("$5") ", $6, $7, "
                                  SQL_NOW ", " SQL_NOW ") RETURNING " SQL_MS("created_at"),
                                  7,
                                  (const char *[]){ x->id, x->status, names, s, e, x->export_qan ? "t" : "f",
                                                    x->ignore_load ? "t" : "f" })
                        : NULL;
    free(names);
    if (!r)
        return st->code ? st->code : rpc_fail(st, RPC_INTERNAL, "out of memory");
    x->created_at = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    PQclear(r);
    return RPC_OK;
}

int store_dump_set_status(db *d, const char *id, const char *status, rpc_status *st)
{
    PGresult *r = db_exec(d, st, "UPDATE dumps SET status = $2, updated_at = " SQL_NOW " WHERE id = $1", 2,
                          (const char *[]){ id, status });
    if (!r)
        return st->code;
    int rc = atoi(PQcmdTuples(r)) == 1 ? RPC_OK : store_not_found(st, "Dump", id);
    PQclear(r);
    return rc;
}

int store_dump_delete(db *d, const char *id, rpc_status *st)
{
    PGresult *r = db_exec(d, st, "DELETE FROM dumps WHERE id = $1", 1, (const char *[]){ id });
    if (!r)
        return st->code;
    int rc = atoi(PQcmdTuples(r)) == 1 ? RPC_OK : store_not_found(st, "Dump", id);
    PQclear(r);
    return rc;
}

int store_dump_fail_unfinished(db *d, rpc_status *st)
{
    PGresult *r = db_exec(d, st, "UPDATE dumps SET status = 'error', updated_at = " SQL_NOW " WHERE status = 'in_progress'",
                          0, NULL);
    if (!r)
        return st->code;
    PQclear(r);
    return RPC_OK;
}
