/* versions: GetVersions, its cache and the compatibility check (see versions.h). */
#include "versions.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "compat.h"
#include "jobs_client.h"

/* How long a stored answer counts as fresh (upstream's version cache
 * re-checks services on this order of time). */
#define RECHECK_MS (12LL * 3600 * 1000)

static const sw_kind mysql_kinds[] = { SW_MYSQLD, SW_XTRABACKUP, SW_XBCLOUD };
static const sw_kind mongo_kinds[] = { SW_MONGOD, SW_PBM };

static int kinds_of(const store_service_rec *svc, const sw_kind **kinds, size_t *n, rpc_status *st)
{
    if (strcmp(svc->service_type, "mysql") == 0)
        *kinds = mysql_kinds, *n = 3;
    else if (strcmp(svc->service_type, "mongodb") == 0)
        *kinds = mongo_kinds, *n = 2;
    else
        return rpc_fail(st, RPC_FAILED_PRECONDITION, "incompatible service");
    return RPC_OK;
}

static int check(const store_service_rec *svc, const char *const *v, char *db_version, size_t len, int *code,
                 rpc_status *st)
{
    int rc = strcmp(svc->service_type, "mysql") == 0 ? compat_mysql(v[0], v[1], v[2], code, st)
                                                      : compat_mongodb(v[0], v[1], code, st);
    if (rc == RPC_OK)
        snprintf(db_version, len, "%s", v[0]);
    return rc;
}

int versions_check(dbhold *h, const store_service_rec *svc, const char *pmm_agent_id, const char *agent_version,
                   char *db_version, size_t len, int *code, rpc_status *st)
{
    *code = 0;
    *db_version = '\0';
    const sw_kind *kinds = NULL;
    size_t n = 0;
    if (kinds_of(svc, &kinds, &n, st))
        return st->code;
    bool mongo = strcmp(svc->service_type, "mongodb") == 0;
    if (mongo && compat_ver_cmp(agent_version, "2.35.0-0") < 0)
        return RPC_OK; /* upstream skips the check: no version to compare with */
    sw_version got[3];
    dbhold_release(h);
    if (jc_get_versions(pmm_agent_id, kinds, n, got, st))
        return st->code;
    json_t *arr = json_array();
    const char *v[3] = { "", "", "" };
    for (size_t i = 0; i < n; i++) {
        v[i] = *got[i].error ? "" : got[i].version;
        json_array_append_new(arr, json_pack("{s:s, s:s}", "name", sw_name(kinds[i]), "version", v[i]));
    }
    char *text = json_dumps(arr, JSON_COMPACT);
    json_decref(arr);
    if (!text)
        return rpc_fail(st, RPC_INTERNAL, "out of memory");
    rpc_status ignore = { 0 };
    /* the cache is a hint for later lists: a failure to write it does not stop the backup */
    store_versions_put(dbhold_db(h), svc->service_id, svc->service_type, text, clock_wall_ms() + RECHECK_MS, &ignore);
    free(text);
    return check(svc, v, db_version, len, code, st);
}

int versions_cached(db *d, const store_service_rec *svc, char *db_version, size_t len, rpc_status *st)
{
    const sw_kind *kinds = NULL;
    size_t n = 0;
    if (kinds_of(svc, &kinds, &n, st))
        return st->code;
    char *text;
    int64_t next;
    if (store_versions_get(d, svc->service_id, &text, &next, st))
        return st->code;
    if (!text)
        return rpc_fail(st, RPC_NOT_FOUND, "no software versions stored for service %s", svc->service_id);
    json_t *arr = json_loads(text, 0, NULL);
    free(text);
    const char *v[3] = { "", "", "" };
    for (size_t i = 0; i < n; i++) {
        size_t j;
        json_t *e;
        json_array_foreach(arr, j, e) {
            const char *name = json_string_value(json_object_get(e, "name"));
            if (name && strcmp(name, sw_name(kinds[i])) == 0) {
                const char *ver = json_string_value(json_object_get(e, "version"));
                v[i] = ver ? ver : "";
            }
        }
    }
    int code;
    int rc = check(svc, v, db_version, len, &code, st);
    json_decref(arr);
    return rc;
}
