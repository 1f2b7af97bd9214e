/* util: what the store files share (see store.h). */
#include "store.h"

#include <inttypes.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *store_col(void *pgresult, int row, int col)
{
    PGresult *r = pgresult;
    return strdup(PQgetisnull(r, row, col) ? "" : PQgetvalue(r, row, col));
}

void store_free_strs(char **const *fields, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(*fields[i]);
        *fields[i] = NULL;
    }
}

void store_ms_param(char *buf, size_t len, int64_t ms)
{
    snprintf(buf, len, "%" PRId64, ms);
}

int store_not_found(rpc_status *st, const char *what, const char *id)
{
    char q[512];
    rpc_quote(q, sizeof q, id ? id : "");
    return rpc_fail(st, RPC_NOT_FOUND, "%s with ID %s not found.", what, q);
}

int store_begin_serializable(db *d, rpc_status *st)
{
    if (db_begin(d, st))
        return st->code;
    PGresult *r = db_exec(d, st, "SET TRANSACTION ISOLATION LEVEL SERIALIZABLE", 0, NULL);
    if (!r) {
        db_rollback(d);
        return st->code;
    }
    PQclear(r);
    return RPC_OK;
}

int store_rows(void *pgresult, size_t size, store_row_fn from_row, void (*free_one)(void *), void **out, size_t *n,
               rpc_status *st)
{
    PGresult *r = pgresult;
    int rows = PQntuples(r);
    char *v = calloc(rows ? (size_t)rows : 1, size);
    *out = NULL;
    *n = 0;
    for (int i = 0; v && i < rows; i++)
        if (from_row(r, i, v + (size_t)i * size, st) != RPC_OK) {
            for (int k = 0; k < i; k++)
                free_one(v + (size_t)k * size);
            free(v);
            PQclear(r);
            return st->code;
        }
    PQclear(r);
    if (!v)
        return rpc_fail(st, RPC_INTERNAL, "out of memory");
    *out = v;
    *n = (size_t)rows;
    return RPC_OK;
}

int store_lock_keys(db *d, const char *const *keys, size_t n, rpc_status *st)
{
    /* a text[] literal; one statement takes them all, sorted: one order for
     * every caller, so that two never wait for each other */
    size_t len = 3;
    for (size_t i = 0; i < n; i++)
        len += strlen(keys[i]) * 2 + 3;
    char *arr = malloc(len), *o = arr;
    if (!arr)
        return rpc_fail(st, RPC_INTERNAL, "out of memory");
    *o++ = '{';
    for (size_t i = 0; i < n; i++) {
        if (i)
            *o++ = ',';
        *o++ = '"';
        for (const char *p = keys[i]; *p; p++) {
            if (*p == '"' || *p == '\\')
                *o++ = '\\';
            *o++ = *p;
        }
        *o++ = '"';
    }
    *o++ = '}';
    *o = '\0';
    PGresult *r = db_exec(d, st,
                          "SELECT count(pg_advisory_xact_lock(hashtextextended(k, 7263))) FROM (SELECT k FROM "
                          "unnest($1::text[]) k ORDER BY k COLLATE \"C\") x",
                          1, (const char *[]){ arr });
    free(arr);
    if (!r)
        return st->code;
    PQclear(r);
    return RPC_OK;
}

int store_get_one(db *d, const char *sql, const char *id, const char *what, store_row_fn from_row, void *out,
                  rpc_status *st)
{
    PGresult *r = db_exec(d, st, sql, 1, (const char *[]){ id });
    if (!r)
        return st->code;
    int rc = PQntuples(r) ? from_row(r, 0, out, st) : store_not_found(st, what, id);
    PQclear(r);
    return rc;
}

int store_exec_one(db *d, rpc_status *st, const char *sql, int n, const char *const *params, const char *what,
                   const char *id)
{
    PGresult *r = db_exec(d, st, sql, n, params);
    if (!r)
        return st->code;
    int rc = atoi(PQcmdTuples(r)) >= 1 ? RPC_OK : store_not_found(st, what, id);
    PQclear(r);
    return rc;
}
