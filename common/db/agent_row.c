/* agent_row: an agents row as one JSON object with its secrets decrypted
 * (see agent_row.h). */
#include "db/agent_row.h"

#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "secret.h"

/* Stored encrypted: upstream's DefaultAgentEncryptionColumnsV3 columns, and
 * inside the JSON columns the keys that hold private material. */
static const struct {
    const char *col, *key;
} secrets[] = {
    { "username", NULL },
    { "password", NULL },
    { "agent_password", NULL },
    { "aws_options", "aws_secret_key" },
    { "azure_options", "client_secret" },
    { "mysql_options", "tls_key" },
    { "postgresql_options", "ssl_key" },
    { "mongo_options", "tls_certificate_key" },
    { "mongo_options", "tls_certificate_key_file_password" },
    { "valkey_options", "ssl_key" },
};

/* PostgreSQL type OIDs of the agents columns (pg_type.h). */
enum { OID_BOOL = 16, OID_INT8 = 20, OID_INT2 = 21, OID_INT4 = 23, OID_JSON = 114, OID_TIMESTAMP = 1114, OID_JSONB = 3802 };

/* One column value as row_to_json would render it. */
static json_t *cell_json(PGresult *r, int row, int col)
{
    if (PQgetisnull(r, row, col))
        return json_null();
    const char *v = PQgetvalue(r, row, col);
    switch (PQftype(r, col)) {
    case OID_BOOL:
        return json_boolean(v[0] == 't');
    case OID_INT2:
    case OID_INT4:
    case OID_INT8:
        return json_integer(strtoll(v, NULL, 10));
    case OID_JSON:
    case OID_JSONB:
        /* Most option columns hold just {}: no parser needed. */
        return strcmp(v, "{}") == 0 ? json_object() : json_loads(v, JSON_DECODE_ANY, NULL);
    case OID_TIMESTAMP: {
        json_t *t = json_string(v);
        char *sp = t ? strchr((char *)json_string_value(t), ' ') : NULL;
        if (sp)
            *sp = 'T'; /* row_to_json's ISO form */
        return t;
    }
    default:
        return json_string(v);
    }
}

json_t *agent_rec_from_row(PGresult *r, int row)
{
    json_t *rec = json_object();
    int n = PQnfields(r);
    for (int c = 0; rec && c < n; c++) {
        const char *name = PQfname(r, c);
        if (name[0] == '_' && PQgetisnull(r, row, c))
            continue;
        json_t *v = cell_json(r, row, c);
        if (!v || json_object_set_new(rec, name, v) != 0) {
            json_decref(rec);
            return NULL;
        }
    }
    return rec;
}

json_t *agent_rec_parse(PGresult *r, int row, rpc_status *st)
{
    json_t *rec = agent_rec_from_row(r, row);
    if (!rec) {
        rpc_fail(st, RPC_INTERNAL, "bad agent row");
        return NULL;
    }
    if (agent_rec_transform_secrets(rec, secret_decrypt) != 0) {
        log_error("agent %s: stored credentials cannot be decrypted (wrong encryption key?)", agent_rec_str(rec, "agent_id"));
        json_decref(rec);
        rpc_fail(st, RPC_INTERNAL, "cannot decrypt agent credentials");
        return NULL;
    }
    return rec;
}

json_t *agent_rec_query(db *d, const char *sql, int n, const char *const *params, rpc_status *st)
{
    PGresult *r = db_exec(d, st, sql, n, params);
    if (!r)
        return NULL;
    json_t *all = json_array();
    for (int i = 0; all && i < PQntuples(r); i++) {
        json_t *rec = agent_rec_parse(r, i, st);
        if (!rec || json_array_append_new(all, rec) != 0) {
            json_decref(all);
            all = NULL;
        }
    }
    PQclear(r);
    if (!all && st->code == RPC_OK)
        rpc_fail(st, RPC_INTERNAL, "out of memory");
    return all;
}

json_t *agent_rec_get(json_t *rec, const char *col, const char *key)
{
    json_t *v = json_object_get(rec, col);
    return key ? json_object_get(v, key) : v;
}

const char *agent_rec_str(json_t *rec, const char *col)
{
    const char *s = json_string_value(json_object_get(rec, col));
    return s ? s : "";
}

/* Applies f (secret_encrypt or secret_decrypt) to every secret string. */
int agent_rec_transform_secrets(json_t *rec, char *(*f)(const char *))
{
    for (size_t i = 0; i < sizeof secrets / sizeof *secrets; i++) {
        json_t *v = agent_rec_get(rec, secrets[i].col, secrets[i].key);
        const char *s = json_string_value(v);
        if (!s || !*s)
            continue;
        char *t = f(s);
        if (!t || json_string_set(v, t) != 0) {
            free(t);
            return -1;
        }
        free(t);
    }
    return 0;
}

bool agent_rec_is_secret(const char *col, const char *key)
{
    for (size_t i = 0; i < sizeof secrets / sizeof *secrets; i++)
        if (strcmp(secrets[i].col, col) == 0 &&
            (secrets[i].key && key ? strcmp(secrets[i].key, key) == 0 : secrets[i].key == key))
            return true;
    return false;
}

bool agent_rec_has_plaintext(json_t *rec)
{
    for (size_t i = 0; i < sizeof secrets / sizeof *secrets; i++) {
        const char *s = json_string_value(agent_rec_get(rec, secrets[i].col, secrets[i].key));
        if (s && *s && strncmp(s, SECRET_PREFIX, strlen(SECRET_PREFIX)) != 0)
            return true;
    }
    return false;
}
