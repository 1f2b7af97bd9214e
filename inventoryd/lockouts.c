/* lockouts: see lockouts.h. */
#include "lockouts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "bus/metrics_rpc.h"
#include "clock.h"
#include "db/credentials.h"
#include "internal/v1/metrics.pb-c.h"
#include "lockout/v1/lockout.pb-c.h"
#include "log.h"
#include "login_throttle.h"
#include "pwcheck.h"

#define MAX_LISTED 1000

static Google__Protobuf__Timestamp *timestamp_new(int64_t seconds)
{
    Google__Protobuf__Timestamp *t = malloc(sizeof *t);
    if (t) {
        google__protobuf__timestamp__init(t);
        t->seconds = seconds;
    }
    return t;
}

static int list_users(db *d, Lockout__V1__ListLockoutsResponse *resp, rpc_status *st)
{
    cred_lock *locks = calloc(MAX_LISTED, sizeof *locks);
    int n = 0;
    if (!locks)
        return rpc_fail(st, RPC_INTERNAL, "out of memory");
    int rc = cred_user_locks(d, locks, MAX_LISTED, &n, st);
    if (rc == RPC_OK && n > 0 && !(resp->users = calloc((size_t)n, sizeof *resp->users)))
        rc = rpc_fail(st, RPC_INTERNAL, "out of memory");
    for (int i = 0; rc == RPC_OK && i < n; i++) {
        Lockout__V1__UserLock *u = malloc(sizeof *u);
        if (!u) {
            rc = rpc_fail(st, RPC_INTERNAL, "out of memory");
            break;
        }
        lockout__v1__user_lock__init(u);
        u->login = strdup(locks[i].login);
        u->failed_logins = locks[i].failed_logins;
        if (locks[i].locked_until_s)
            u->locked_until = timestamp_new(locks[i].locked_until_s);
        resp->users[resp->n_users++] = u;
        if (!u->login || (locks[i].locked_until_s && !u->locked_until))
            rc = rpc_fail(st, RPC_INTERNAL, "out of memory");
    }
    free(locks);
    return rc;
}

static int list_sources(Lockout__V1__ListLockoutsResponse *resp, rpc_status *st)
{
    throttle_entry *e = calloc(MAX_LISTED, sizeof *e);
    if (!e)
        return rpc_fail(st, RPC_INTERNAL, "out of memory");
    int n = throttle_list(e, MAX_LISTED, clock_mono_ms());
    int64_t now_s = clock_wall_ms() / 1000;
    int rc = RPC_OK;
    if (n > 0 && !(resp->sources = calloc((size_t)n, sizeof *resp->sources)))
        rc = rpc_fail(st, RPC_INTERNAL, "out of memory");
    for (int i = 0; rc == RPC_OK && i < n; i++) {
        Lockout__V1__SourceDelay *s = malloc(sizeof *s);
        if (!s) {
            rc = rpc_fail(st, RPC_INTERNAL, "out of memory");
            break;
        }
        lockout__v1__source_delay__init(s);
        s->address = strdup(e[i].key);
        s->failures = e[i].failures;
        if (e[i].wait_ms > 0)
            s->delayed_until = timestamp_new(now_s + (e[i].wait_ms + 999) / 1000);
        resp->sources[resp->n_sources++] = s;
        if (!s->address || (e[i].wait_ms > 0 && !s->delayed_until))
            rc = rpc_fail(st, RPC_INTERNAL, "out of memory");
    }
    free(e);
    return rc;
}

static int list_lockouts(rpc_ctx *ctx, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    (void)in;
    worker *w = ctx->worker;
    Lockout__V1__ListLockoutsResponse *resp = malloc(sizeof *resp);
    if (!resp)
        return rpc_fail(&ctx->status, RPC_INTERNAL, "out of memory");
    lockout__v1__list_lockouts_response__init(resp);
    int rc = list_users(w->db, resp, &ctx->status);
    if (rc == RPC_OK)
        rc = list_sources(resp, &ctx->status);
    if (rc != RPC_OK) {
        protobuf_c_message_free_unpacked(&resp->base, NULL);
        return rc;
    }
    *out = &resp->base;
    return RPC_OK;
}

static int unlock(rpc_ctx *ctx, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    worker *w = ctx->worker;
    const char *by = ctx->req && ctx->req->user && *ctx->req->user ? ctx->req->user : "?";
    const Lockout__V1__UnlockRequest *req = (const Lockout__V1__UnlockRequest *)in;
    const char *login = req->login ? req->login : "", *address = req->address ? req->address : "";
    if (!*login && !*address)
        return rpc_fail(&ctx->status, RPC_INVALID_ARGUMENT, "login or address is required");
    if (*login) {
        int rc = cred_user_unlock(w->db, login, &ctx->status);
        if (rc != RPC_OK)
            return rc;
        log_info("user %s unlocked by %s", login, by);
    }
    if (*address) {
        char key[THROTTLE_KEY_MAX];
        throttle_key(address, key);
        if (throttle_clear(address) > 0)
            log_info("delays of address %s lifted by %s", key, by);
    }
    Lockout__V1__UnlockResponse *resp = malloc(sizeof *resp);
    if (!resp)
        return rpc_fail(&ctx->status, RPC_INTERNAL, "out of memory");
    lockout__v1__unlock_response__init(resp);
    *out = &resp->base;
    return RPC_OK;
}

static int metrics(rpc_ctx *ctx, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    (void)in;
    pwcheck_counters c;
    pwcheck_get_counters(&c);
    char *text = NULL;
    if (asprintf(&text,
                 "# HELP pmm_managed_auth_password_checks_total argon2id verifications of passwords, by outcome.\n"
                 "# TYPE pmm_managed_auth_password_checks_total counter\n"
                 "pmm_managed_auth_password_checks_total{result=\"accepted\"} %llu\n"
                 "pmm_managed_auth_password_checks_total{result=\"refused\"} %llu\n"
                 "pmm_managed_auth_password_checks_total{result=\"queue_full\"} %llu\n"
                 "# HELP pmm_managed_auth_password_checks_running_max Most verifications seen running at once.\n"
                 "# TYPE pmm_managed_auth_password_checks_running_max gauge\n"
                 "pmm_managed_auth_password_checks_running_max %llu\n"
                 "# HELP pmm_managed_auth_user_locks_total Users locked after wrong passwords.\n"
                 "# TYPE pmm_managed_auth_user_locks_total counter\n"
                 "pmm_managed_auth_user_locks_total %llu\n",
                 (unsigned long long)c.verified_ok, (unsigned long long)c.verified_refused,
                 (unsigned long long)c.queue_full, (unsigned long long)c.running_max,
                 (unsigned long long)c.locks) < 0)
        text = NULL;
    return metrics_rpc_reply(&ctx->status, text, out);
}

const rpc_method lockouts_methods[] = {
    { "/lockout.v1.LockoutService/ListLockouts", &lockout__v1__list_lockouts_request__descriptor, list_lockouts },
    { "/lockout.v1.LockoutService/Unlock", &lockout__v1__unlock_request__descriptor, unlock },
    { METRICS_RPC_METHOD, &internal__v1__metrics_request__descriptor, metrics },
};
const size_t lockouts_methods_count = sizeof lockouts_methods / sizeof *lockouts_methods;
