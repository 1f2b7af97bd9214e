/* auth: resolves the caller of a request and checks the minimum role of
 * the path (see auth.h). Credentials are verified by inventoryd; answers
 * are cached briefly, keyed by a BLAKE2b hash of the Authorization header,
 * so a password is hashed with argon2id once per TTL, not per request.
 * When an entry expires, the first request to see it refreshes it while
 * the others keep using the old answer for up to one more TTL: otherwise
 * every busy connection would miss at the same instant and queue up
 * behind a burst of argon2id hashes. */
#include "auth.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "dispatch.h"
#include "internal/v1/auth.pb-c.h"
#include "log.h"
#include "json/route.h"

#define CACHE_SLOTS 1024

typedef struct {
    uint8_t key[16];
    int64_t expires_ms;
    int code;
    auth_identity id;
    int used;
    int refreshing;
} cache_slot;

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static cache_slot cache[CACHE_SLOTS];
static int cache_ttl_ms = 3000;

/* Minimum role by path (api.md §3.3); "" = no credentials needed. The rule
 * of the longest prefix, cut at '/', '.' or ':' as upstream's auth server
 * does (see next_prefix), wins; a path with no rule needs admin. */
static const struct {
    const char *prefix;
    const char *role;
} rules[] = {
    { "/v1/inventory/", "admin" },
    { "/v1/management/", "admin" },
    { "/v1/actions:startServiceAction", "viewer" },
    { "/v1/advisors", "editor" },
    { "/v1/server/updates", "viewer" },
    { "/v1/server/updates:start", "admin" },
    { "/v1/server/updates:getStatus", "" },
    { "/v1/server/settings", "admin" },
    { "/v1/server/settings/readonly", "viewer" },
    { "/v1/server/AWSInstance", "" },
    { "/v1/server/version", "viewer" },
    { "/v1/server/readyz", "" },
    { "/v1/server/leaderHealthCheck", "" },
    { "/v1/server/logs.zip", "admin" },
    { "/v1/backups", "admin" },
    { "/v1/dumps", "admin" },
    { "/v1/accesscontrol", "admin" },
    { "/v1/users", "viewer" },
    /* upstream's rules: Connect and Disconnect need admin, every read a
     * viewer (the reference lists the reads but not .../entitlements) */
    { "/v1/platform:", "admin" },
    { "/v1/platform/", "viewer" },
    { "/v1/qan/", "viewer" },
    { "/ping", "" },
    { "/prometheus/", "admin" },
    { "/nomad/", "admin" },
    { "/agent.Agent/Connect", "admin" },
    { "/agent.v1.AgentService/Connect", "admin" },
    /* v2 paths served as aliases in v3 */
    { "/v1/readyz", "" },
    { "/v1/version", "viewer" },
};

int auth_init(int ttl_ms)
{
    if (sodium_init() < 0)
        return -1;
    if (ttl_ms >= 0)
        cache_ttl_ms = ttl_ms;
    return 0;
}

void auth_shutdown(void)
{
    pthread_mutex_lock(&cache_lock);
    sodium_memzero(cache, sizeof cache);
    pthread_mutex_unlock(&cache_lock);
}

/* gRPC methods are judged by the REST path of the same method, so one
 * rule table serves both transports. */
static const char *rest_path_of(const char *path_or_method)
{
    if (strncmp(path_or_method, "/v1/", 4) == 0)
        return path_or_method;
    for (size_t i = 0; i < route_table_len; i++)
        if (strcmp(route_table[i].method, path_or_method) == 0)
            return route_table[i].pattern;
    return path_or_method;
}

static const char *rule_for(const char *prefix, size_t len)
{
    for (size_t i = 0; i < sizeof rules / sizeof *rules; i++)
        if (strlen(rules[i].prefix) == len && strncmp(rules[i].prefix, prefix, len) == 0)
            return rules[i].role;
    return NULL;
}

/* The next shorter prefix, cut at '/', '.' and ':', as upstream's
 * nextPrefix walks it: /v1/platform:connect -> /v1/platform: -> /v1/platform
 * -> /v1/ -> /v1 -> "/"; a run of the same separator at the end goes at
 * once. Returns the new length. */
static size_t next_prefix(const char *path, size_t len)
{
    if (len <= 1 || path[0] != '/')
        return 1;
    char last = path[len - 1];
    if (last == '.' || last == '/' || last == ':') {
        while (len > 1 && path[len - 1] == last)
            len--;
        return len;
    }
    while (len > 0 && path[len - 1] != '/' && path[len - 1] != '.' && path[len - 1] != ':')
        len--;
    return len > 0 ? len : 1;
}

const char *auth_required_role(const char *path_or_method)
{
    const char *path = rest_path_of(path_or_method);
    size_t len = strcspn(path, "?");
    for (;;) {
        const char *role = rule_for(path, len);
        if (role)
            return role;
        if (len <= 1)
            return "admin";
        len = next_prefix(path, len);
    }
}

int auth_is_public(const char *path_or_method)
{
    return auth_required_role(path_or_method)[0] == '\0';
}

static int role_rank(const char *role)
{
    if (strcmp(role, "admin") == 0)
        return 3;
    if (strcmp(role, "editor") == 0)
        return 2;
    if (strcmp(role, "viewer") == 0)
        return 1;
    return 0;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Returns the cached code (filling *id), or -1 when the caller must ask
 * inventoryd: no entry, or an expired one that this caller now refreshes. */
static int cache_get(const uint8_t key[16], auth_identity *id)
{
    int code = -1;
    int64_t now = now_ms();
    pthread_mutex_lock(&cache_lock);
    cache_slot *s = &cache[(key[0] | key[1] << 8) % CACHE_SLOTS];
    if (s->used && sodium_memcmp(s->key, key, 16) == 0) {
        bool fresh = s->expires_ms > now;
        bool usable_while_refreshing = s->refreshing && s->expires_ms + cache_ttl_ms > now;
        if (fresh || usable_while_refreshing) {
            code = s->code;
            *id = s->id;
        } else if (s->expires_ms + cache_ttl_ms > now) {
            s->refreshing = 1; /* this caller refreshes; others reuse the answer */
        }
    }
    pthread_mutex_unlock(&cache_lock);
    return code;
}

static void cache_put(const uint8_t key[16], int code, const auth_identity *id)
{
    pthread_mutex_lock(&cache_lock);
    cache_slot *s = &cache[(key[0] | key[1] << 8) % CACHE_SLOTS];
    memcpy(s->key, key, 16);
    s->code = code;
    s->id = *id;
    s->expires_ms = now_ms() + cache_ttl_ms;
    s->used = 1;
    s->refreshing = 0;
    pthread_mutex_unlock(&cache_lock);
}

static void cache_drop(const uint8_t key[16])
{
    pthread_mutex_lock(&cache_lock);
    cache_slot *s = &cache[(key[0] | key[1] << 8) % CACHE_SLOTS];
    if (s->used && sodium_memcmp(s->key, key, 16) == 0)
        s->refreshing = 0;
    pthread_mutex_unlock(&cache_lock);
}

/* Asks inventoryd who this is. Returns an RPC code. */
static int resolve(const char *authorization, auth_identity *id, rpc_status *st)
{
    Internal__V1__AuthenticateRequest req = INTERNAL__V1__AUTHENTICATE_REQUEST__INIT;
    req.authorization = (char *)authorization;
    size_t len = internal__v1__authenticate_request__get_packed_size(&req);
    uint8_t stackbuf[1024];
    uint8_t *buf = len <= sizeof stackbuf ? stackbuf : malloc(len);
    if (!buf)
        return rpc_fail(st, RPC_INTERNAL, "out of memory");
    internal__v1__authenticate_request__pack(&req, buf);
    bus_reply rep;
    int code = dispatch_call("/internal.v1.AuthService/Authenticate", "", "", buf, len, 5000, &rep);
    if (buf != stackbuf)
        free(buf);
    if (code == RPC_OK) {
        Internal__V1__AuthenticateResponse *r =
            internal__v1__authenticate_response__unpack(NULL, rep.body_len, rep.body);
        if (!r) {
            code = rpc_fail(st, RPC_INTERNAL, "malformed authentication answer");
        } else {
            snprintf(id->user, sizeof id->user, "%s", r->user);
            snprintf(id->role, sizeof id->role, "%s", r->role);
            internal__v1__authenticate_response__free_unpacked(r, NULL);
        }
    } else if (code == RPC_UNAUTHENTICATED) {
        rpc_fail(st, RPC_UNAUTHENTICATED, "Unauthorized");
    } else {
        rpc_fail(st, code, "%s", rep.message ? rep.message : "authentication failed");
    }
    bus_reply_clear(&rep);
    return code;
}

int auth_check(const char *authorization, const char *path_or_method, auth_identity *id,
               rpc_status *st)
{
    memset(id, 0, sizeof *id);
    const char *need = auth_required_role(path_or_method);
    if (need[0] == '\0') {
        st->code = RPC_OK;
        return RPC_OK;
    }
    if (!authorization || !*authorization)
        return rpc_fail(st, RPC_UNAUTHENTICATED, "Unauthorized");

    uint8_t key[16];
    crypto_generichash(key, sizeof key, (const unsigned char *)authorization, strlen(authorization),
                       NULL, 0);
    int code = cache_get(key, id);
    if (code < 0) {
        code = resolve(authorization, id, st);
        /* Only definite answers are cached; a daemon restart is not one
         * (cache_drop lets the next caller try again). */
        if (code == RPC_OK || code == RPC_UNAUTHENTICATED)
            cache_put(key, code, id);
        else
            cache_drop(key);
    }
    if (code == RPC_UNAUTHENTICATED)
        return rpc_fail(st, RPC_UNAUTHENTICATED, "Unauthorized");
    if (code != RPC_OK)
        return code;
    if (role_rank(id->role) < role_rank(need))
        return rpc_fail(st, RPC_PERMISSION_DENIED, "Access denied.");
    st->code = RPC_OK;
    return RPC_OK;
}
