/* credentials: users and service tokens in PostgreSQL (see credentials.h). */
#include "db/credentials.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "uuid.h"

#define NOW "now() AT TIME ZONE 'UTC'"

int cred_hash_password(const char *password, char out[crypto_pwhash_STRBYTES])
{
    return crypto_pwhash_str(out, password, strlen(password), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                             crypto_pwhash_MEMLIMIT_INTERACTIVE);
}

void cred_token_hash(const char *token, char out[CRED_TOKEN_HEX])
{
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, (const unsigned char *)token, strlen(token));
    sodium_bin2hex(out, CRED_TOKEN_HEX, h, sizeof h);
}

bool cred_role_valid(const char *role)
{
    return role && (strcmp(role, "viewer") == 0 || strcmp(role, "editor") == 0 || strcmp(role, "admin") == 0);
}

static int exec_count(db *d, rpc_status *st, const char *sql, int n, const char *const *params, int *rows)
{
    PGresult *r = db_exec(d, st, sql, n, params);
    if (!r)
        return st->code;
    *rows = atoi(PQcmdTuples(r));
    PQclear(r);
    return RPC_OK;
}

int cred_user_put(db *d, const char *login, const char *password, const char *role, bool replace,
                  rpc_status *st)
{
    if (!login || !*login)
        return rpc_fail(st, RPC_INVALID_ARGUMENT, "empty login");
    if (!cred_role_valid(role))
        return rpc_fail(st, RPC_INVALID_ARGUMENT, "role must be viewer, editor or admin");
    if (!password || !*password)
        return rpc_fail(st, RPC_INVALID_ARGUMENT, "empty password");
    char hash[crypto_pwhash_STRBYTES];
    if (cred_hash_password(password, hash) != 0)
        return rpc_fail(st, RPC_RESOURCE_EXHAUSTED, "out of memory hashing the password");
    const char *params[] = { login, hash, role };
    /* a new password or role revokes what gateways cached for the old */
    const char *sql = replace
        ? "WITH u AS (INSERT INTO users (login, password_hash, role, created_at, updated_at) "
          "VALUES ($1, $2, $3, " NOW ", " NOW ") "
          "ON CONFLICT (login) DO UPDATE SET password_hash = $2, role = $3, updated_at = " NOW " RETURNING login) "
          "SELECT pg_notify('" CRED_CHANNEL "', 'user:' || login) FROM u"
        : "WITH u AS (INSERT INTO users (login, password_hash, role, created_at, updated_at) "
          "VALUES ($1, $2, $3, " NOW ", " NOW ") RETURNING login) "
          "SELECT pg_notify('" CRED_CHANNEL "', 'user:' || login) FROM u";
    int rows = 0;
    int code = exec_count(d, st, sql, 3, params, &rows);
    sodium_memzero(hash, sizeof hash);
    if (code == RPC_ALREADY_EXISTS)
        return rpc_fail(st, RPC_ALREADY_EXISTS, "user %s already exists", login);
    return code;
}

int cred_user_remove(db *d, const char *login, rpc_status *st)
{
    int rows = 0;
    if (exec_count(d, st,
                   "WITH u AS (DELETE FROM users WHERE login = $1 RETURNING login) "
                   "SELECT pg_notify('" CRED_CHANNEL "', 'user:' || login) FROM u",
                   1, (const char *[]){ login }, &rows))
        return st->code;
    return rows ? RPC_OK : rpc_fail(st, RPC_NOT_FOUND, "no user %s", login);
}

int cred_user_get(db *d, const char *login, cred_user *out, rpc_status *st)
{
    memset(out, 0, sizeof *out);
    PGresult *r = db_exec(d, st,
                          "SELECT password_hash, role, failed_logins, "
                          "coalesce(locked_until > " NOW ", false) FROM users WHERE login = $1",
                          1, (const char *[]){ login });
    if (!r)
        return st->code;
    int rc = RPC_NOT_FOUND;
    if (PQntuples(r) == 1) {
        snprintf(out->password_hash, sizeof out->password_hash, "%s", PQgetvalue(r, 0, 0));
        snprintf(out->role, sizeof out->role, "%s", PQgetvalue(r, 0, 1));
        out->failed_logins = atoi(PQgetvalue(r, 0, 2));
        out->locked = strcmp(PQgetvalue(r, 0, 3), "t") == 0;
        rc = RPC_OK;
    }
    PQclear(r);
    return rc == RPC_OK ? RPC_OK : rpc_fail(st, RPC_NOT_FOUND, "no user %s", login);
}

int cred_user_login_failed(db *d, const char *login, int max_failures, int window_s, int lock_s, bool *locked_now,
                           rpc_status *st)
{
    char window[32], lock[32], max[16];
    snprintf(window, sizeof window, "%d seconds", window_s);
    snprintf(lock, sizeof lock, "%d seconds", lock_s);
    snprintf(max, sizeof max, "%d", max_failures);
    /* SET sees the old row: "recent" is whether the window still runs; now()
     * is the same all through the statement, so RETURNING can tell a lock
     * this statement set. */
    PGresult *r = db_exec(d, st,
                          "UPDATE users SET "
                          "failed_logins = CASE WHEN first_failed_at > " NOW " - $2::interval "
                          "THEN failed_logins + 1 ELSE 1 END, "
                          "first_failed_at = CASE WHEN first_failed_at > " NOW " - $2::interval "
                          "THEN first_failed_at ELSE " NOW " END, "
                          "locked_until = CASE WHEN (CASE WHEN first_failed_at > " NOW " - $2::interval "
                          "THEN failed_logins + 1 ELSE 1 END) >= $3::int "
                          "AND coalesce(locked_until <= " NOW ", true) THEN " NOW " + $4::interval "
                          "ELSE locked_until END "
                          "WHERE login = $1 RETURNING coalesce(locked_until = " NOW " + $4::interval, false)",
                          4, (const char *[]){ login, window, max, lock });
    if (!r)
        return st->code;
    *locked_now = PQntuples(r) == 1 && strcmp(PQgetvalue(r, 0, 0), "t") == 0;
    PQclear(r);
    return RPC_OK;
}

int cred_user_login_ok(db *d, const char *login, rpc_status *st)
{
    int rows = 0;
    return exec_count(d, st,
                      "UPDATE users SET failed_logins = 0, first_failed_at = NULL "
                      "WHERE login = $1 AND failed_logins <> 0",
                      1, (const char *[]){ login }, &rows);
}

int cred_user_unlock(db *d, const char *login, rpc_status *st)
{
    int rows = 0;
    if (exec_count(d, st,
                   "WITH u AS (UPDATE users SET failed_logins = 0, first_failed_at = NULL, locked_until = NULL "
                   "WHERE login = $1 RETURNING login) "
                   "SELECT pg_notify('" CRED_CHANNEL "', 'user:' || login) FROM u",
                   1, (const char *[]){ login }, &rows))
        return st->code;
    return rows ? RPC_OK : rpc_fail(st, RPC_NOT_FOUND, "no user %s", login);
}

int cred_user_locks(db *d, cred_lock *out, int max, int *n, rpc_status *st)
{
    *n = 0;
    PGresult *r = db_exec(d, st,
                          "SELECT login, failed_logins, CASE WHEN locked_until > " NOW " THEN "
                          "ceil(extract(epoch FROM locked_until))::bigint ELSE 0 END FROM users "
                          "WHERE locked_until > " NOW " OR failed_logins > 0 ORDER BY login",
                          0, NULL);
    if (!r)
        return st->code;
    for (int i = 0; i < PQntuples(r) && *n < max; i++) {
        cred_lock *l = &out[(*n)++];
        snprintf(l->login, sizeof l->login, "%s", PQgetvalue(r, i, 0));
        l->failed_logins = atoi(PQgetvalue(r, i, 1));
        l->locked_until_s = strtoll(PQgetvalue(r, i, 2), NULL, 10);
    }
    PQclear(r);
    return RPC_OK;
}

int cred_token_get(db *d, const char *token, char **name, char **role, rpc_status *st)
{
    /* Service tokens are high-entropy: a fast hash is the right store. */
    char hex[CRED_TOKEN_HEX];
    cred_token_hash(token, hex);
    PGresult *r = db_exec(d, st,
                          "SELECT name, role FROM service_tokens WHERE token_hash = $1 "
                          "AND (expires_at IS NULL OR expires_at > " NOW ")",
                          1, (const char *[]){ hex });
    if (!r)
        return st->code;
    int rc = RPC_UNAUTHENTICATED;
    if (PQntuples(r) == 1) {
        *name = strdup(PQgetvalue(r, 0, 0));
        *role = strdup(PQgetvalue(r, 0, 1));
        rc = *name && *role ? RPC_OK : RPC_RESOURCE_EXHAUSTED;
    }
    PQclear(r);
    if (rc == RPC_RESOURCE_EXHAUSTED)
        return rpc_fail(st, rc, "out of memory");
    return rc == RPC_OK ? RPC_OK : rpc_fail(st, RPC_UNAUTHENTICATED, "Unauthorized");
}

int cred_token_create(db *d, const char *name, const char *role, const char *node_id,
                      char out[CRED_TOKEN_MAX], rpc_status *st)
{
    if (!name || !*name)
        return rpc_fail(st, RPC_INVALID_ARGUMENT, "empty token name");
    if (!cred_role_valid(role))
        return rpc_fail(st, RPC_INVALID_ARGUMENT, "role must be viewer, editor or admin");
    unsigned char raw[32];
    randombytes_buf(raw, sizeof raw);
    char b64[sodium_base64_ENCODED_LEN(32, sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
    sodium_bin2base64(b64, sizeof b64, raw, sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(raw, sizeof raw);
    char token[CRED_TOKEN_MAX];
    snprintf(token, sizeof token, "pmmsa_%s", b64);
    char hex[CRED_TOKEN_HEX], id[UUID_STR_LEN];
    cred_token_hash(token, hex);
    uuid_v4(id);
    const char *params[] = { id, name, hex, role, node_id && *node_id ? node_id : NULL };
    int rows = 0;
    if (exec_count(d, st,
                   "WITH t AS (INSERT INTO service_tokens (token_id, name, token_hash, role, node_id, created_at) "
                   "VALUES ($1, $2, $3, $4, $5, " NOW ") RETURNING name) "
                   "SELECT pg_notify('" CRED_CHANNEL "', 'token:' || name) FROM t",
                   5, params, &rows)) {
        sodium_memzero(token, sizeof token);
        if (st->code == RPC_ALREADY_EXISTS && strstr(st->message, "service_tokens_name_key"))
            return rpc_fail(st, RPC_ALREADY_EXISTS, "token %s already exists", name);
        return st->code;
    }
    memcpy(out, token, sizeof token);
    sodium_memzero(token, sizeof token);
    return RPC_OK;
}

int cred_token_remove(db *d, const char *name, rpc_status *st)
{
    int rows = 0;
    if (exec_count(d, st,
                   "WITH t AS (DELETE FROM service_tokens WHERE name = $1 RETURNING name) "
                   "SELECT pg_notify('" CRED_CHANNEL "', 'token:' || name) FROM t",
                   1, (const char *[]){ name }, &rows))
        return st->code;
    return rows ? RPC_OK : rpc_fail(st, RPC_NOT_FOUND, "no token named %s", name);
}

char *cred_basic_auth(const char *user, const char *pass)
{
    size_t ul = strlen(user), pl = strlen(pass), n = ul + 1 + pl;
    size_t b64 = sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_ORIGINAL);
    unsigned char *raw = malloc(n);
    char *out = malloc(6 + b64);
    if (!raw || !out) {
        free(raw);
        free(out);
        return NULL;
    }
    memcpy(raw, user, ul);
    raw[ul] = ':';
    memcpy(raw + ul + 1, pass, pl);
    memcpy(out, "Basic ", 6);
    sodium_bin2base64(out + 6, b64, raw, n, sodium_base64_VARIANT_ORIGINAL);
    sodium_memzero(raw, n);
    free(raw);
    return out;
}
