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
