/* locations: table backup_locations. The S3 secret key is sealed at rest
 * (common/secret.h); the rest of the config is stored as upstream's JSON
 * ({endpoint, access_key, secret_key, bucket_name, bucket_region} and {path}). */
#include "store.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "secret.h"
#include "sql.h"
#include "uuid.h"

#define COLS "id, name, description, type, s3_config::text, filesystem_config::text"

void location_free(location *l)
{
    char **f[] = { &l->id, &l->name, &l->description, &l->type, &l->endpoint, &l->access_key,
                   &l->secret_key, &l->bucket_name, &l->bucket_region, &l->path };
    store_free_strs(f, sizeof f / sizeof *f);
}

void locations_free(location *l, size_t n)
{
    for (size_t i = 0; i < n; i++)
        location_free(&l[i]);
    free(l);
}

static char *jstr(json_t *o, const char *k)
{
    const char *v = json_string_value(json_object_get(o, k));
    return strdup(v ? v : "");
}

static int from_row(PGresult *r, int i, location *l, rpc_status *st)
{
    memset(l, 0, sizeof *l);
    l->id = store_col(r, i, 0);
    l->name = store_col(r, i, 1);
    l->description = store_col(r, i, 2);
    l->type = store_col(r, i, 3);
    if (l->type && strcmp(l->type, "pmm-client") == 0) { /* v2's name, never rewritten by a migration */
        free(l->type);
        l->type = strdup("filesystem");
    }
    json_t *s3 = PQgetisnull(r, i, 4) ? NULL : json_loads(PQgetvalue(r, i, 4), 0, NULL);
    json_t *fs = PQgetisnull(r, i, 5) ? NULL : json_loads(PQgetvalue(r, i, 5), 0, NULL);
    l->endpoint = jstr(s3, "endpoint");
    l->access_key = jstr(s3, "access_key");
    char *sealed = jstr(s3, "secret_key");
    l->secret_key = sealed ? secret_decrypt(sealed) : NULL;
    free(sealed);
    l->bucket_name = jstr(s3, "bucket_name");
    l->bucket_region = jstr(s3, "bucket_region");
    l->path = jstr(fs, "path");
    json_decref(s3);
    json_decref(fs);
    if (!l->id || !l->name || !l->description || !l->type || !l->endpoint || !l->access_key || !l->bucket_name ||
        !l->bucket_region || !l->path) {
        location_free(l);
        return rpc_fail(st, RPC_INTERNAL, "out of memory");
    }
    if (!l->secret_key) {
        location_free(l);
        return rpc_fail(st, RPC_INTERNAL, "cannot decrypt the secret key of backup location");
    }
    return RPC_OK;
}

static int row_cb(void *r, int i, void *out, rpc_status *st)
{
    return from_row(r, i, out, st);
}

static void free_cb(void *x)
{
    location_free((location *)x);
}

int store_location_get(db *d, const char *id, location *out, rpc_status *st)
{
    return store_get_one(d, "SELECT " COLS " FROM backup_locations WHERE id = $1", id, "Backup location", row_cb, out, st);
}

int store_location_list(db *d, location **out, size_t *n, rpc_status *st)
{
    *out = NULL;
    *n = 0;
    PGresult *r = db_exec(d, st, "SELECT " COLS " FROM backup_locations ORDER BY created_at, id", 0, NULL);
    if (!r)
        return st->code;
    return store_rows(r, sizeof **out, row_cb, free_cb, (void **)out, n, st);
}

/* The two JSON columns of l, the secret sealed; NULL for the config it has not. */
static int configs(const location *l, char **s3, char **fs, rpc_status *st)
{
    *s3 = *fs = NULL;
    if (strcmp(l->type, "s3") == 0) {
        char *sealed = secret_encrypt(l->secret_key ? l->secret_key : "");
        json_t *o = sealed ? json_pack("{s:s, s:s, s:s, s:s, s:s}", "endpoint", l->endpoint, "access_key",
                                       l->access_key, "secret_key", sealed, "bucket_name", l->bucket_name,
                                       "bucket_region", l->bucket_region ? l->bucket_region : "")
                           : NULL;
        free(sealed);
        *s3 = o ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
        json_decref(o);
        if (!*s3)
            return rpc_fail(st, RPC_INTERNAL, "cannot seal the location's secret key");
    } else {
        json_t *o = json_pack("{s:s}", "path", l->path ? l->path : "");
        *fs = o ? json_dumps(o, JSON_COMPACT) : NULL;
        json_decref(o);
        if (!*fs)
            return rpc_fail(st, RPC_INTERNAL, "out of memory");
    }
    return RPC_OK;
}

static int name_conflict(rpc_status *st, const char *name)
{
    char q[1024];
    rpc_quote(q, sizeof q, name);
    return rpc_fail(st, RPC_ALREADY_EXISTS, "Location with name %s already exists.", q);
}

int store_location_name_taken(db *d, const char *name, const char *except_id, bool *taken, rpc_status *st)
{
    PGresult *r = db_exec(d, st, "SELECT 1 FROM backup_locations WHERE name = $1 AND id <> $2", 2,
                          (const char *[]){ name, except_id ? except_id : "" });
    if (!r)
        return st->code;
    *taken = PQntuples(r) > 0;
    PQclear(r);
    return RPC_OK;
}

int store_location_insert(db *d, location *l, rpc_status *st)
{
    bool taken = false;
    if (store_location_name_taken(d, l->name, NULL, &taken, st))
        return st->code;
    if (taken)
        return name_conflict(st, l->name);
    if (!l->id) {
        char id[UUID_STR_LEN];
        uuid_v4(id);
        if (!(l->id = strdup(id)))
            return rpc_fail(st, RPC_INTERNAL, "out of memory");
    }
    char *s3, *fs;
    if (configs(l, &s3, &fs, st))
        return st->code;
    PGresult *r = db_exec(d, st,
                          "INSERT INTO backup_locations (id, name, description, type, s3_config, filesystem_config, "
                          "created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, " SQL_NOW ", " SQL_NOW ")",
                          6, (const char *[]){ l->id, l->name, l->description ? l->description : "", l->type, s3, fs });
    free(s3);
    free(fs);
    if (!r)
        return st->code == RPC_ALREADY_EXISTS ? name_conflict(st, l->name) : st->code;
    PQclear(r);
    return RPC_OK;
}

int store_location_update(db *d, const location *l, rpc_status *st)
{
    bool taken = false;
    if (store_location_name_taken(d, l->name, l->id, &taken, st))
        return st->code;
    if (taken)
        return name_conflict(st, l->name);
    char *s3, *fs;
    if (configs(l, &s3, &fs, st))
        return st->code;
    PGresult *r = db_exec(d, st,
                          "UPDATE backup_locations SET name = $2, description = $3, type = $4, s3_config = $5, "
                          "filesystem_config = $6, updated_at = " SQL_NOW " WHERE id = $1",
                          6, (const char *[]){ l->id, l->name, l->description ? l->description : "", l->type, s3, fs });
    free(s3);
    free(fs);
    if (!r)
        return st->code == RPC_ALREADY_EXISTS ? name_conflict(st, l->name) : st->code;
    int rc = atoi(PQcmdTuples(r)) == 1 ? RPC_OK : store_not_found(st, "Backup location", l->id);
    PQclear(r);
    return rc;
}

int store_location_delete(db *d, const char *id, rpc_status *st)
{
    PGresult *r = db_exec(d, st, "DELETE FROM backup_locations WHERE id = $1", 1, (const char *[]){ id });
    if (!r)
        return st->code;
    int rc = atoi(PQcmdTuples(r)) == 1 ? RPC_OK : store_not_found(st, "Backup location", id);
    PQclear(r);
    return rc;
}
