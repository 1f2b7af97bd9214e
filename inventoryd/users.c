/* users: authentication of callers for the gateway (see users.h).
 *
 * Order of a password check, cheapest first, all on the request worker
 * but the hash: the user's row (one SELECT); the login cache (a password
 * verified lately: no hash, and from an address that proved it, no lock
 * or delay either, so a flood cannot lock out a working session); the
 * user's lock; the address's delay; then the argon2id verification, off
 * the worker (pwcheck). Tokens are 256 random bits, beyond guessing: one
 * SELECT of their SHA-256, never throttled. */
#include "users.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "app.h"
#include "clock.h"
#include "db/credentials.h"
#include "internal/v1/auth.pb-c.h"
#include "log.h"
#include "login_cache.h"
#include "login_throttle.h"
#include "pbutil.h"
#include "pwcheck.h"

#define MAX_CREDENTIAL 4096

static int answer(rpc_status *st, const char *user, const char *role, ProtobufCMessage **out)
{
    ProtobufCMessage *resp = pb_new(&internal__v1__authenticate_response__descriptor);
    if (!resp || pb_set_str(resp, "user", user) || pb_set_str(resp, "role", role)) {
        if (resp)
            protobuf_c_message_free_unpacked(resp, NULL);
        return rpc_fail(st, RPC_INTERNAL, "out of memory");
    }
    *out = resp;
    return RPC_OK;
}

static int unauthorized(rpc_status *st)
{
    return rpc_fail(st, RPC_UNAUTHENTICATED, "Unauthorized");
}

static int by_token(db *d, const char *token, rpc_status *st, ProtobufCMessage **out)
{
    char *name = NULL, *role = NULL;
    int rc = cred_token_get(d, token, &name, &role, st);
    if (rc == RPC_OK)
        rc = answer(st, name, role, out);
    free(name);
    free(role);
    return rc;
}

/* Hands the verification to the pool; the answer comes from there. A
 * handler run outside a bus server (tests) cannot defer: it verifies here. */
static int verify_later(rpc_ctx *ctx, const char *login, const char *password, const cred_user *u,
                        const unsigned char *mac, const char *source, ProtobufCMessage **out)
{
    pwcheck_job *j = calloc(1, sizeof *j);
    if (!j || !(j->password = strdup(password))) {
        free(j);
        return rpc_fail(&ctx->status, RPC_INTERNAL, "out of memory");
    }
    snprintf(j->login, sizeof j->login, "%s", login);
    snprintf(j->stored, sizeof j->stored, "%s", u->password_hash);
    snprintf(j->role, sizeof j->role, "%s", u->role);
    snprintf(j->source, sizeof j->source, "%s", source);
    memcpy(j->mac, mac, sizeof j->mac);
    j->failed_logins = u->failed_logins;
    j->deadline_ms = ctx->req ? ctx->req->deadline_ms : 0;
    if (!ctx->route || !(j->reply = bus_defer(ctx))) {
        worker *w = ctx->worker;
        int rc = pwcheck_now(w->db, j) == RPC_OK ? answer(&ctx->status, login, u->role, out)
                                                 : unauthorized(&ctx->status);
        pwcheck_job_free(j);
        return rc;
    }
    if (pwcheck_submit(j) != 0) {
        /* the bus_deferred is answered here instead */
        bus_deferred_reply(j->reply, RPC_UNAVAILABLE, "too many password checks at once; try again", NULL);
        j->reply = NULL;
        pwcheck_job_free(j);
    }
    return RPC_DEFERRED;
}

static int by_password(rpc_ctx *ctx, const char *login, const char *password, const char *source,
                       ProtobufCMessage **out)
{
    worker *w = ctx->worker;
    rpc_status *st = &ctx->status;
    int64_t now = clock_mono_ms();
    cred_user u;
    int rc = cred_user_get(w->db, login, &u, st);
    if (rc == RPC_NOT_FOUND) {
        /* guessing logins is guessing too */
        if (throttle_wait_ms(source, now) == 0)
            throttle_failed(source, now);
        return unauthorized(st);
    }
    if (rc != RPC_OK)
        return rc;
    unsigned char mac[LOGIN_CACHE_MAC_BYTES];
    login_cache_mac(login, password, mac);
    int hit = login_cache_check(mac, u.password_hash, source, now);
    if (hit == LOGIN_CACHE_HIT_KNOWN_SOURCE) {
        rc = answer(st, login, u.role, out);
    } else if (u.locked || throttle_wait_ms(source, now) > 0) {
        rc = unauthorized(st);
    } else if (hit == LOGIN_CACHE_HIT) {
        login_cache_put(mac, u.password_hash, source, now);
        rc = answer(st, login, u.role, out);
    } else {
        rc = verify_later(ctx, login, password, &u, mac, source, out);
    }
    sodium_memzero(mac, sizeof mac);
    sodium_memzero(u.password_hash, sizeof u.password_hash);
    return rc;
}

/* "Basic base64(user:pass)": a user, or service_token:/api_key:<token>
 * as pmm-agent and older clients send tokens. */
static int by_basic(rpc_ctx *ctx, const char *b64, const char *source, ProtobufCMessage **out)
{
    worker *w = ctx->worker;
    size_t cap = strlen(b64);
    char *plain = malloc(cap + 1);
    size_t len = 0;
    if (!plain)
        return rpc_fail(&ctx->status, RPC_INTERNAL, "out of memory");
    if (sodium_base642bin((unsigned char *)plain, cap, b64, strlen(b64), NULL, &len, NULL,
                          sodium_base64_VARIANT_ORIGINAL) != 0 ||
        memchr(plain, '\0', len)) {
        free(plain);
        return unauthorized(&ctx->status);
    }
    plain[len] = '\0';
    char *colon = strchr(plain, ':');
    int rc;
    if (!colon || colon == plain) {
        rc = unauthorized(&ctx->status);
    } else {
        *colon = '\0';
        const char *pass = colon + 1;
        if (strcmp(plain, "service_token") == 0 || strcmp(plain, "api_key") == 0)
            rc = by_token(w->db, pass, &ctx->status, out);
        else
            rc = by_password(ctx, plain, pass, source, out);
    }
    sodium_memzero(plain, len);
    free(plain);
    return rc;
}

static int authenticate(rpc_ctx *ctx, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    worker *w = ctx->worker;
    const char *h = pb_get_str(in, "authorization");
    const char *source = pb_get_str(in, "source");
    if (strlen(h) > MAX_CREDENTIAL)
        return unauthorized(&ctx->status);
    if (strncasecmp(h, "Basic ", 6) == 0)
        return by_basic(ctx, h + 6, source, out);
    if (strncasecmp(h, "Bearer ", 7) == 0)
        return by_token(w->db, h + 7, &ctx->status, out);
    return unauthorized(&ctx->status);
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
