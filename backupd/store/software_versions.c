/* software_versions: table service_software_versions, the cache of what the
 * service's pmm-agent last answered to GetVersions. */
#include "store.h"

#include <libpq-fe.h>
#include <stdlib.h>
#include <string.h>

#include "sql.h"

int store_versions_get(db *d, const char *service_id, char **json, int64_t *next_check_at, rpc_status *st)
{
    *json = NULL;
    *next_check_at = 0;
    PGresult *r = db_exec(d, st,
                          "SELECT software_versions::text, " SQL_MS("next_check_at")
                          " FROM service_software_versions WHERE service_id = $1",
                          1, (const char *[]){ service_id });
    if (!r)
        return st->code;
    if (PQntuples(r)) {
        *json = strdup(PQgetisnull(r, 0, 0) ? "[]" : PQgetvalue(r, 0, 0));
        *next_check_at = strtoll(PQgetvalue(r, 0, 1), NULL, 10);
    }
    bool oom = PQntuples(r) && !*json;
    PQclear(r);
    return oom ? rpc_fail(st, RPC_INTERNAL, "out of memory") : RPC_OK;
}

int store_versions_put(db *d, const char *service_id, const char *service_type, const char *json,
                       int64_t next_check_at, rpc_status *st)
{
    char next[32];
    store_ms_param(next, sizeof next, next_check_at);
    PGresult *r = db_exec(d, st,
                          "INSERT INTO service_software_versions (service_id, service_type, software_versions, "
                          "next_check_at, created_at, updated_at) VALUES ($1, $2, $3::jsonb, " SQL_TS("$4") ", "
                          SQL_NOW ", " SQL_NOW ") ON CONFLICT (service_id) DO UPDATE SET software_versions = "
                          "EXCLUDED.software_versions, next_check_at = EXCLUDED.next_check_at, updated_at = " SQL_NOW,
                          4, (const char *[]){ service_id, service_type, json, next });
    if (!r)
        return st->code;
    PQclear(r);
    return RPC_OK;
}
