/* store: helpers of the store files (see store.h). */
#include "store.h"

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
