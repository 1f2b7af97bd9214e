/* auth: resolves the caller of a request and checks the minimum role of
 * the path (see auth.h). Credentials are verified by inventoryd, which
 * is told the caller's address (password checks are throttled by it);
 * next to a Grafana, what inventoryd does not know (and a grafana_session
 * cookie) is asked of Grafana as upstream's auth server asks it
 * (common/http/grafana.h). Answers are kept by auth_cache (fresh for a few
 * seconds, accepted ones used up to a minute while nobody can answer,
 * forgotten when inventoryd says a credential changed: auth_revoke); on a
 * miss one caller asks and the others with the same credential wait for
 * its answer (singleflight), so a reconnect storm of agents costs one
 * question per credential. */
#include "auth.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include <pthread.h>
#include <stdatomic.h>

#include "auth_cache.h"
#include "clock.h"
#include "dispatch.h"
#include "http/grafana.h"
#include "internal/v1/auth.pb-c.h"
#include "log.h"
#include "json/route.h"

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
    /* ours: lifting login locks (lockout.v1) */
    { "/v1/lockouts", "admin" },
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

/* Grafana's host:port, or "" when the suite runs without one. */
static char grafana_addr[256];
#define GRAFANA_TIMEOUT_MS 5000

void auth_set_grafana(const char *addr)
{
    snprintf(grafana_addr, sizeof grafana_addr, "%s", addr ? addr : "");
}

const char *auth_grafana(void)
{
    return grafana_addr[0] ? grafana_addr : NULL;
}

const char *auth_relayed_authz(const char *authorization)
{
    return grafana_addr[0] && authorization && *authorization ? authorization : NULL;
}

int auth_init(int fresh_ms, int max_age_ms)
{
    if (sodium_init() < 0)
        return -1;
    auth_cache_configure(fresh_ms, max_age_ms);
    return 0;
}

void auth_shutdown(void)
{
    auth_cache_clear();
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

/* Asks inventoryd who this is. Returns an RPC code. */
static int resolve(const char *authorization, const char *source, auth_identity *id, rpc_status *st)
{
    Internal__V1__AuthenticateRequest req = INTERNAL__V1__AUTHENTICATE_REQUEST__INIT;
    req.authorization = (char *)authorization;
    req.source = (char *)(source ? source : "");
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
            id->user_id = r->user_id;
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

/* After Grafana failed to answer, it is left alone for GRAFANA_BACKOFF_MS
 * (a flood of wrong passwords while it is down costs no connection per
 * guess), and the failure is logged at most every GRAFANA_WARN_MS. */
#define GRAFANA_BACKOFF_MS 1000
#define GRAFANA_WARN_MS 10000
static _Atomic int64_t grafana_down_until, grafana_warned_at;

/* Asks Grafana (authorization and/or its session cookie). Returns an RPC
 * code: OK, UNAUTHENTICATED for Grafana's refusal, UNAVAILABLE when it
 * cannot answer. */
static int resolve_grafana(const char *authorization, const char *session, auth_identity *id, rpc_status *st)
{
    if (clock_mono_ms() < atomic_load(&grafana_down_until))
        return rpc_fail(st, RPC_UNAVAILABLE, "cannot reach Grafana API");
    grafana_user gu;
    char err[512];
    grafana_result r = grafana_auth_user(grafana_addr, authorization, session, GRAFANA_TIMEOUT_MS, &gu, err, sizeof err);
    if (r == GRAFANA_REFUSED)
        return rpc_fail(st, RPC_UNAUTHENTICATED, "Unauthorized");
    if (r != GRAFANA_OK) {
        int64_t now = clock_mono_ms(), warned = atomic_load(&grafana_warned_at);
        atomic_store(&grafana_down_until, now + GRAFANA_BACKOFF_MS);
        if (now - warned >= GRAFANA_WARN_MS && atomic_compare_exchange_strong(&grafana_warned_at, &warned, now))
            log_warn("Grafana could not tell who a caller is (asked again in %d ms): %s", GRAFANA_BACKOFF_MS, err);
        return rpc_fail(st, RPC_UNAVAILABLE, "cannot reach Grafana API");
    }
    snprintf(id->user, sizeof id->user, "%s", gu.login[0] ? gu.login : "grafana-token");
    snprintf(id->role, sizeof id->role, "%s", gu.role);
    id->user_id = gu.user_id;
    id->grafana = true;
    return RPC_OK;
}

/* inventoryd first (our users and tokens, with their locks and delays);
 * what it refuses, and a session cookie alone, next to a Grafana is
 * Grafana's to judge. When Grafana cannot answer, inventoryd's refusal
 * stands. */
static int resolve_any(const char *authorization, const char *session, const char *source, auth_identity *id,
                       rpc_status *st)
{
    int code = RPC_UNAUTHENTICATED;
    if (authorization && *authorization) {
        code = resolve(authorization, source, id, st);
        if (code != RPC_UNAUTHENTICATED || !grafana_addr[0])
            return code;
    }
    memset(id, 0, sizeof *id);
    int g = resolve_grafana(authorization, session, id, st);
    if (g == RPC_UNAVAILABLE && code == RPC_UNAUTHENTICATED && authorization && *authorization)
        return rpc_fail(st, RPC_UNAUTHENTICATED, "Unauthorized");
    return g;
}

/* ---- singleflight: one question per credential at a time ------------------ */

#define SF_SLOTS 64
static pthread_mutex_t sf_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t sf_done = PTHREAD_COND_INITIALIZER;
static uint8_t sf_keys[SF_SLOTS][AUTH_CACHE_KEY_BYTES];
static bool sf_used[SF_SLOTS];

static int sf_find(const uint8_t *key)
{
    for (int i = 0; i < SF_SLOTS; i++)
        if (sf_used[i] && memcmp(sf_keys[i], key, AUTH_CACHE_KEY_BYTES) == 0)
            return i;
    return -1;
}

/* Returns the slot this caller now leads (release with sf_end), -1 when
 * the table is full (ask without it), or -2 after waiting for another
 * caller's question about the same credential to end (look again). */
static int sf_begin(const uint8_t *key)
{
    pthread_mutex_lock(&sf_lock);
    int i = sf_find(key);
    if (i >= 0) {
        while (sf_find(key) >= 0)
            pthread_cond_wait(&sf_done, &sf_lock);
        pthread_mutex_unlock(&sf_lock);
        return -2;
    }
    for (i = 0; i < SF_SLOTS && sf_used[i]; i++)
        ;
    if (i < SF_SLOTS) {
        memcpy(sf_keys[i], key, AUTH_CACHE_KEY_BYTES);
        sf_used[i] = true;
    } else {
        i = -1;
    }
    pthread_mutex_unlock(&sf_lock);
    return i;
}

static void sf_end(int slot)
{
    if (slot < 0)
        return;
    pthread_mutex_lock(&sf_lock);
    sf_used[slot] = false;
    pthread_cond_broadcast(&sf_done);
    pthread_mutex_unlock(&sf_lock);
}

/* The grafana_session cookie of a Cookie header ("grafana_session=V"),
 * the only one Grafana needs to tell who it is; "" when none. */
static void session_of(const char *cookie, char *out, size_t outlen)
{
    out[0] = '\0';
    for (const char *p = cookie; p && *p;) {
        while (*p == ' ' || *p == ';')
            p++;
        size_t n = strcspn(p, ";");
        if (strncmp(p, "grafana_session=", 16) == 0 && n > 16 && n < outlen) {
            memcpy(out, p, n);
            out[n] = '\0';
            return;
        }
        p += n;
    }
}

int auth_check_from(const char *authorization, const char *cookie, const char *source, const char *path_or_method,
                    auth_identity *id, rpc_status *st)
{
    memset(id, 0, sizeof *id);
    const char *need = auth_required_role(path_or_method);
    if (need[0] == '\0') {
        st->code = RPC_OK;
        return RPC_OK;
    }
    char session[4096] = "";
    if (grafana_addr[0])
        session_of(cookie, session, sizeof session);
    bool has_authz = authorization && *authorization;
    if (!has_authz && !session[0])
        return rpc_fail(st, RPC_UNAUTHENTICATED, "Unauthorized");

    /* the cache key: both credentials */
    char keybuf[8192];
    const char *key = has_authz ? authorization : "";
    if (session[0]) {
        snprintf(keybuf, sizeof keybuf, "%s\n%s", key, session);
        key = keybuf;
    }
    auth_cache_ticket t;
    auth_cache_key(key, source, &t);
    if (key == keybuf)
        sodium_memzero(keybuf, sizeof keybuf);
    int code = RPC_UNAVAILABLE;
    int found;
    int slot = -1;
    for (;;) {
        found = auth_cache_get(&t, clock_mono_ms(), &code, id);
        if (found != AUTH_CACHE_MISS || (slot = sf_begin(t.key)) != -2)
            break;
    }
    if (found != AUTH_CACHE_HIT) {
        auth_identity asked;
        memset(&asked, 0, sizeof asked);
        int answer = resolve_any(has_authz ? authorization : NULL, session, source, &asked, st);
        if (answer == RPC_OK || answer == RPC_UNAUTHENTICATED) {
            auth_cache_put(&t, answer, &asked, clock_mono_ms());
            code = answer;
            *id = asked;
        } else if (found == AUTH_CACHE_RECHECK) {
            /* nobody can answer: the accepted answer stands (auth_cache.h) */
            auth_cache_recheck_failed(&t, clock_mono_ms());
            log_debug("credentials of %s not re-checked (%s): cached answer used", id->user, st->message);
        } else {
            sf_end(slot);
            sodium_memzero(session, sizeof session);
            return answer;
        }
    }
    sf_end(slot);
    sodium_memzero(session, sizeof session);
    if (code == RPC_UNAUTHENTICATED)
        return rpc_fail(st, RPC_UNAUTHENTICATED, "Unauthorized");
    if (code != RPC_OK)
        return rpc_fail(st, code, "authentication failed");
    if (role_rank(id->role) < role_rank(need))
        return rpc_fail(st, RPC_PERMISSION_DENIED, "Access denied.");
    st->code = RPC_OK;
    return RPC_OK;
}

int auth_check(const char *authorization, const char *path_or_method, auth_identity *id, rpc_status *st)
{
    return auth_check_from(authorization, NULL, NULL, path_or_method, id, st);
}
