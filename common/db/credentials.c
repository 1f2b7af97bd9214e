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
    const char *sql = replace
        ? "INSERT INTO users (login, password_hash, role, created_at, updated_at) VALUES ($1, $2, $3, " NOW ", " NOW ") "
          "ON CONFLICT (login) DO UPDATE SET password_hash = $2, role = $3, updated_at = " NOW
        : "INSERT INTO users (login, password_hash, role, created_at, updated_at) VALUES ($1, $2, $3, " NOW ", " NOW ")";
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
    if (exec_count(d, st, "DELETE FROM users WHERE login = $1", 1, (const char *[]){ login }, &rows))
        return st->code;
    return rows ? RPC_OK : rpc_fail(st, RPC_NOT_FOUND, "no user %s", login);
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
                   "INSERT INTO service_tokens (token_id, name, token_hash, role, node_id, created_at) "
                   "VALUES ($1, $2, $3, $4, $5, " NOW ")",
                   5, params, &rows)) {
        sodium_memzero(token, sizeof token);
        return st->code;
    }
    memcpy(out, token, sizeof token);
    sodium_memzero(token, sizeof token);
    return RPC_OK;
}

int cred_token_remove(db *d, const char *name, rpc_status *st)
{
    int rows = 0;
    if (exec_count(d, st, "DELETE FROM service_tokens WHERE name = $1", 1, (const char *[]){ name }, &rows))
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
