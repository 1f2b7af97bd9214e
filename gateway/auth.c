/* auth: resolves the caller of a request and checks the minimum role of
 * the path (see auth.h). Credentials are verified by inventoryd, which
 * is told the caller's address (password checks are throttled by it);
 * answers are kept by auth_cache (fresh for a few seconds, accepted ones
 * used up to a minute while inventoryd cannot answer, forgotten when
 * inventoryd says a credential changed: auth_revoke). */
#include "auth.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "auth_cache.h"
#include "clock.h"
#include "dispatch.h"
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

int auth_check_from(const char *authorization, const char *source, const char *path_or_method, auth_identity *id,
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

    auth_cache_ticket t;
    auth_cache_key(authorization, source, &t);
    int code = RPC_UNAVAILABLE;
    int found = auth_cache_get(&t, clock_mono_ms(), &code, id);
    if (found != AUTH_CACHE_HIT) {
        auth_identity asked;
        memset(&asked, 0, sizeof asked);
        int answer = resolve(authorization, source, &asked, st);
        if (answer == RPC_OK || answer == RPC_UNAUTHENTICATED) {
            auth_cache_put(&t, answer, &asked, clock_mono_ms());
            code = answer;
            *id = asked;
        } else if (found == AUTH_CACHE_RECHECK) {
            /* inventoryd is away: the accepted answer stands (auth_cache.h) */
            auth_cache_recheck_failed(&t, clock_mono_ms());
            log_debug("credentials of %s not re-checked (%s): cached answer used", id->user, st->message);
        } else {
            return answer;
        }
    }
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
    return auth_check_from(authorization, NULL, path_or_method, id, st);
}
