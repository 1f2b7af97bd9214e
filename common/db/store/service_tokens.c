/* service_tokens: the statements on the service_tokens table; declared
 * in db/credentials.h. inventoryd (RegisterNode's token, UnregisterNode)
 * and pmmctl write it. Tokens are stored only as their SHA-256. */
#include "db/credentials.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/store/internal.h"
#include "db/store/store.h"
#include "uuid.h"

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
    long rows = 0;
    if (store_write(d,
                    "WITH t AS (INSERT INTO service_tokens (token_id, name, token_hash, role, node_id, created_at) "
                    "VALUES ($1, $2, $3, $4, $5, " NOW ") RETURNING name) "
                    "SELECT pg_notify('" CRED_CHANNEL "', 'token:' || name) FROM t",
                    5, params, &rows, st)) {
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
    long rows = 0;
    if (store_write(d,
                    "WITH t AS (DELETE FROM service_tokens WHERE name = $1 RETURNING name) "
                    "SELECT pg_notify('" CRED_CHANNEL "', 'token:' || name) FROM t",
                    1, (const char *[]){ name }, &rows, st))
        return st->code;
    return rows ? RPC_OK : rpc_fail(st, RPC_NOT_FOUND, "no token named %s", name);
}

int cred_token_remove_on_node(db *d, const char *node_id, rpc_status *st)
{
    /* notified like any removal, so that gateways stop accepting them at once */
    return store_write(d,
                       "WITH t AS (DELETE FROM service_tokens WHERE node_id = $1 RETURNING name) "
                       "SELECT pg_notify('" CRED_CHANNEL "', 'token:' || name) FROM t",
                       1, (const char *[]){ node_id }, NULL, st);
}
