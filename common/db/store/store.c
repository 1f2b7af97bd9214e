/* store: helpers of the store files (see store.h). */
#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/agent_row.h"

json_t *store_row(db *d, const char *sql, const char *id, rpc_status *st)
{
    PGresult *r = db_exec(d, st, sql, 1, (const char *[]){ id });
    if (!r)
        return NULL;
    json_t *row = PQntuples(r) ? agent_rec_parse(r, 0, st) : NULL;
    PQclear(r);
    return row;
}

json_t *store_rows(db *d, const char *sql, int n, const char *const *params, rpc_status *st)
{
    return agent_rec_query(d, sql, n, params, st);
}

int store_write(db *d, const char *sql, int n, const char *const *params, long *changed, rpc_status *st)
{
    PGresult *r = db_exec(d, st, sql, n, params);
    if (!r)
        return st->code;
    if (changed)
        *changed = atol(PQcmdTuples(r));
    PQclear(r);
    return RPC_OK;
}

int store_exists(db *d, const char *sql, int n, const char *const *params, bool *found, rpc_status *st)
{
    PGresult *r = db_exec(d, st, sql, n, params);
    if (!r)
        return st->code;
    *found = PQntuples(r) > 0;
    PQclear(r);
    return RPC_OK;
}

int store_first(db *d, const char *sql, int n, const char *const *params, char *out0, size_t len0, char *out1,
                size_t len1, bool *found, rpc_status *st)
{
    PGresult *r = db_exec(d, st, sql, n, params);
    if (!r)
        return st->code;
    bool any = PQntuples(r) > 0;
    snprintf(out0, len0, "%s", any ? PQgetvalue(r, 0, 0) : "");
    if (out1)
        snprintf(out1, len1, "%s", any ? PQgetvalue(r, 0, 1) : "");
    if (found)
        *found = any;
    PQclear(r);
    return RPC_OK;
}

int store_xact_lock(db *d, const char *key, rpc_status *st)
{
    return store_write(d, "SELECT pg_advisory_xact_lock($1::bigint)", 1, (const char *[]){ key }, NULL, st);
}

int store_ping(db *d, rpc_status *st)
{
    return store_write(d, "SELECT 1", 0, NULL, NULL, st);
}

int store_notify(db *d, const char *channel, const char *payload, rpc_status *st)
{
    return store_write(d, "SELECT pg_notify($1, $2)", 2, (const char *[]){ channel, payload }, NULL, st);
}

char *store_text_array(const char *const *ids, size_t n)
{
    size_t cap = 3;
    for (size_t i = 0; i < n; i++)
        cap += 2 * strlen(ids[i]) + 3;
    char *out = malloc(cap), *p = out;
    if (!out)
        return NULL;
    *p++ = '{';
    for (size_t i = 0; i < n; i++) {
        if (i)
            *p++ = ',';
        *p++ = '"';
        for (const char *s = ids[i]; *s; s++) {
            if (*s == '"' || *s == '\\')
                *p++ = '\\';
            *p++ = *s;
        }
        *p++ = '"';
    }
    *p++ = '}';
    *p = '\0';
    return out;
}
