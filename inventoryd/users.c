/* users: authentication of callers for the gateway (see users.h). */
#include "users.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <sodium.h>

#include "app.h"
#include "db/credentials.h"
#include "internal/v1/auth.pb-c.h"
#include "log.h"
#include "pbutil.h"

#define MAX_CREDENTIAL 4096

/* Passwords verified recently. argon2id is deliberately slow (about 50 ms
 * and 64 MiB), and every gateway re-asks about each credential every few
 * seconds; so a verified password is remembered as a keyed BLAKE2b of
 * login and password (the key is random per process), next to the stored
 * hash it was checked against. A changed password has a new stored hash,
 * so a remembered one never outlives it. */
#define VERIFIED_SLOTS 256
#define VERIFIED_TTL_S 60

typedef struct {
    unsigned char mac[crypto_generichash_BYTES];
    char stored[crypto_pwhash_STRBYTES];
    time_t expires;
} verified_slot;

static verified_slot verified[VERIFIED_SLOTS];
static unsigned char verified_key[crypto_generichash_KEYBYTES];
static pthread_mutex_t verified_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t verified_once = PTHREAD_ONCE_INIT;

static void verified_init(void)
{
    randombytes_buf(verified_key, sizeof verified_key);
}

static void credential_mac(const char *login, const char *password, unsigned char mac[crypto_generichash_BYTES])
{
    pthread_once(&verified_once, verified_init);
    crypto_generichash_state h;
    crypto_generichash_init(&h, verified_key, sizeof verified_key, crypto_generichash_BYTES);
    crypto_generichash_update(&h, (const unsigned char *)login, strlen(login) + 1);
    crypto_generichash_update(&h, (const unsigned char *)password, strlen(password));
    crypto_generichash_final(&h, mac, crypto_generichash_BYTES);
}

static bool verified_recently(const unsigned char *mac, const char *stored)
{
    bool hit = false;
    pthread_mutex_lock(&verified_lock);
    verified_slot *v = &verified[mac[0] % VERIFIED_SLOTS];
    if (v->expires > time(NULL) && sodium_memcmp(v->mac, mac, crypto_generichash_BYTES) == 0 &&
        strcmp(v->stored, stored) == 0)
        hit = true;
    pthread_mutex_unlock(&verified_lock);
    return hit;
}

static void remember_verified(const unsigned char *mac, const char *stored)
{
    if (strlen(stored) >= crypto_pwhash_STRBYTES)
        return;
    pthread_mutex_lock(&verified_lock);
    verified_slot *v = &verified[mac[0] % VERIFIED_SLOTS];
    memcpy(v->mac, mac, crypto_generichash_BYTES);
    strcpy(v->stored, stored);
    v->expires = time(NULL) + VERIFIED_TTL_S;
    pthread_mutex_unlock(&verified_lock);
}


static int by_token(db *d, const char *token, char **user, char **role, rpc_status *st)
{
    /* Service tokens are high-entropy: a fast hash is the right store. */
    char hex[CRED_TOKEN_HEX];
    cred_token_hash(token, hex);
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
    int ok = 0;
    if (PQntuples(r) == 1) {
        const char *stored = PQgetvalue(r, 0, 0);
        unsigned char mac[crypto_generichash_BYTES];
        credential_mac(login, password, mac);
        ok = verified_recently(mac, stored);
        if (!ok && crypto_pwhash_str_verify(stored, password, strlen(password)) == 0) {
            ok = 1;
            remember_verified(mac, stored);
        }
        sodium_memzero(mac, sizeof mac);
    }
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
    rpc_status st;
    int code = cred_user_put(d, "admin", password, "admin", false, &st);
    if (code == RPC_OK)
        log_info("created user admin");
    else if (code != RPC_ALREADY_EXISTS) {
        log_error("cannot create user admin: %s", st.message);
        return -1;
    }
    return 0;
}

const rpc_method users_methods[] = {
    { "/internal.v1.AuthService/Authenticate", &internal__v1__authenticate_request__descriptor, authenticate },
};
const size_t users_methods_count = sizeof users_methods / sizeof *users_methods;
