/* users: authentication of callers for the gateway (see users.h). */
#include "users.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "app.h"
#include "internal/v1/auth.pb-c.h"
#include "log.h"
#include "pbutil.h"

#define MAX_CREDENTIAL 4096

/* Service tokens are high-entropy, so a fast hash is the right store. */
static void token_hash_hex(const char *token, char out[crypto_hash_sha256_BYTES * 2 + 1])
{
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, (const unsigned char *)token, strlen(token));
    sodium_bin2hex(out, crypto_hash_sha256_BYTES * 2 + 1, h, sizeof h);
}

static int by_token(db *d, const char *token, char **user, char **role, rpc_status *st)
{
    char hex[crypto_hash_sha256_BYTES * 2 + 1];
    token_hash_hex(token, hex);
    PGresult *r = db_exec(d, st,
                          "SELECT name, role FROM service_tokens WHERE token_hash = $1 "
                          "AND (expires_at IS NULL OR expires_at > now() AT TIME ZONE 'UTC')",
                          1, (const char *[]){ hex });
    if (!r)
        return st->code;
    int rc = RPC_UNAUTHENTICATED;
    if (PQntuples(r) == 1) {
        *user = strdup(PQgetvalue(r, 0, 0));
        *role = strdup(PQgetvalue(r, 0, 1));
        rc = RPC_OK;
    }
    PQclear(r);
    return rc == RPC_OK ? RPC_OK : rpc_fail(st, RPC_UNAUTHENTICATED, "Unauthorized");
}

static int by_password(db *d, const char *login, const char *password, char **user, char **role,
                       rpc_status *st)
{
    PGresult *r = db_exec(d, st, "SELECT password_hash, role FROM users WHERE login = $1", 1,
                          (const char *[]){ login });
    if (!r)
        return st->code;
    int ok = PQntuples(r) == 1 &&
             crypto_pwhash_str_verify(PQgetvalue(r, 0, 0), password, strlen(password)) == 0;
    if (ok) {
        *user = strdup(login);
        *role = strdup(PQgetvalue(r, 0, 1));
    }
    PQclear(r);
    return ok ? RPC_OK : rpc_fail(st, RPC_UNAUTHENTICATED, "Unauthorized");
}

/* "Basic base64(user:pass)": a user, or service_token:/api_key:<token>
 * as pmm-agent and older clients send tokens. */
static int by_basic(db *d, const char *b64, char **user, char **role, rpc_status *st)
{
    size_t cap = strlen(b64);
    char *plain = malloc(cap + 1);
    size_t len = 0;
    if (!plain)
        return rpc_fail(st, RPC_INTERNAL, "out of memory");
    if (sodium_base642bin((unsigned char *)plain, cap, b64, strlen(b64), NULL, &len, NULL,
                          sodium_base64_VARIANT_ORIGINAL) != 0 ||
        memchr(plain, '\0', len)) {
        free(plain);
        return rpc_fail(st, RPC_UNAUTHENTICATED, "Unauthorized");
    }
    plain[len] = '\0';
    char *colon = strchr(plain, ':');
    int rc;
    if (!colon) {
        rc = rpc_fail(st, RPC_UNAUTHENTICATED, "Unauthorized");
    } else {
        *colon = '\0';
        const char *pass = colon + 1;
        if (strcmp(plain, "service_token") == 0 || strcmp(plain, "api_key") == 0)
            rc = by_token(d, pass, user, role, st);
        else
            rc = by_password(d, plain, pass, user, role, st);
    }
    sodium_memzero(plain, len);
    free(plain);
    return rc;
}

static int authenticate(rpc_ctx *ctx, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    worker *w = ctx->worker;
    const char *h = pb_get_str(in, "authorization");
    char *user = NULL, *role = NULL;
    int rc;
    if (strlen(h) > MAX_CREDENTIAL)
        rc = rpc_fail(&ctx->status, RPC_UNAUTHENTICATED, "Unauthorized");
    else if (strncasecmp(h, "Basic ", 6) == 0)
        rc = by_basic(w->db, h + 6, &user, &role, &ctx->status);
    else if (strncasecmp(h, "Bearer ", 7) == 0)
        rc = by_token(w->db, h + 7, &user, &role, &ctx->status);
    else
        rc = rpc_fail(&ctx->status, RPC_UNAUTHENTICATED, "Unauthorized");
    if (rc == RPC_OK) {
        ProtobufCMessage *resp = pb_new(&internal__v1__authenticate_response__descriptor);
        if (!resp || !user || !role || pb_set_str(resp, "user", user) || pb_set_str(resp, "role", role)) {
            if (resp)
                protobuf_c_message_free_unpacked(resp, NULL);
            rc = rpc_fail(&ctx->status, RPC_INTERNAL, "out of memory");
        } else {
            *out = resp;
        }
    }
    free(user);
    free(role);
    return rc;
}

int users_ensure_admin(db *d, const char *password)
{
    char hash[crypto_pwhash_STRBYTES];
    if (crypto_pwhash_str(hash, password, strlen(password), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
        log_error("cannot hash the admin password (out of memory)");
        return -1;
    }
    rpc_status st;
    PGresult *r = db_exec(d, &st,
                          "INSERT INTO users (login, password_hash, role, created_at, updated_at) "
                          "VALUES ('admin', $1, 'admin', now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC') "
                          "ON CONFLICT (login) DO NOTHING",
                          1, (const char *[]){ hash });
    sodium_memzero(hash, sizeof hash);
    if (!r) {
        log_error("cannot create user admin: %s", st.message);
        return -1;
    }
    if (strcmp(PQcmdTuples(r), "1") == 0)
        log_info("created user admin");
    PQclear(r);
    return 0;
}

const rpc_method users_methods[] = {
    { "/internal.v1.AuthService/Authenticate", &internal__v1__authenticate_request__descriptor, authenticate },
};
const size_t users_methods_count = sizeof users_methods / sizeof *users_methods;
