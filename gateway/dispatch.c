/* dispatch: forwards a call to the daemon that owns its service, over the
 * calling thread's bus clients (see dispatch.h, bus_peers.h). */
#include "dispatch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus/peers.h"
#include "log.h"
#include "metrics.h"
#include "json/route.h"

#define MAX_DAEMONS 16

static int default_timeout = 10000;
/* The daemons the suite runs: names kept for the process's life, since
 * bus_peers keys its clients by these pointers. */
static char *suite[MAX_DAEMONS + 1];
static size_t n_suite;

static int set_suite(const char *list)
{
    char *copy = strdup(list ? list : "");
    if (!copy)
        return -1;
    char *save = NULL;
    for (char *name = strtok_r(copy, ", \t", &save); name; name = strtok_r(NULL, ", \t", &save)) {
        if (n_suite == MAX_DAEMONS || !(suite[n_suite] = strdup(name))) {
            free(copy);
            return -1;
        }
        n_suite++;
    }
    free(copy);
    return 0;
}

/* The suite's copy of a daemon name; NULL when the suite does not run it. */
static const char *in_suite(const char *daemon)
{
    for (size_t i = 0; daemon && i < n_suite; i++)
        if (strcmp(suite[i], daemon) == 0)
            return suite[i];
    return NULL;
}

int dispatch_init(void *zmq_ctx, const char *run_dir, int default_timeout_ms, const char *daemons)
{
    if (default_timeout_ms > 0)
        default_timeout = default_timeout_ms;
    if (set_suite(daemons) != 0) {
        log_error("--daemons: at most %d names", MAX_DAEMONS);
        return -1;
    }
    return bus_peers_init(zmq_ctx, run_dir);
}

void dispatch_thread_done(void)
{
    bus_peers_thread_done();
}

const char *dispatch_daemon(size_t i)
{
    return i < n_suite ? suite[i] : NULL;
}

static int fail(bus_reply *rep, int code, const char *fmt, const char *arg)
{
    char msg[512];
    snprintf(msg, sizeof msg, fmt, arg);
    memset(rep, 0, sizeof *rep);
    rep->code = code;
    rep->message = strdup(msg);
    return code;
}

/* "/inventory.v1.NodesService/GetNode" -> "inventory.v1.NodesService" */
static void service_of(const char *method, char *out, size_t outlen)
{
    const char *s = method[0] == '/' ? method + 1 : method;
    const char *slash = strchr(s, '/');
    size_t n = slash ? (size_t)(slash - s) : strlen(s);
    if (n >= outlen)
        n = outlen - 1;
    memcpy(out, s, n);
    out[n] = '\0';
}

static int call(const char *daemon, const char *method, const char *user, const char *role, const uint8_t *body,
                size_t body_len, int timeout_ms, bus_reply *rep)
{
    bus_client *c = bus_peers_get(daemon);
    if (!c)
        return fail(rep, RPC_INTERNAL, "no bus client for %s", daemon);
    bus_request req = {
        .method = (char *)method,
        .user = (char *)(user ? user : ""),
        .role = (char *)(role ? role : ""),
        .body = (uint8_t *)body,
        .body_len = body_len,
    };
    metrics_inflight(daemon, 1);
    int code = bus_client_call(c, &req, timeout_ms > 0 ? timeout_ms : default_timeout, rep);
    metrics_inflight(daemon, -1);
    if (code == RPC_UNAVAILABLE)
        log_debug("%s: %s unavailable: %s", method, daemon, rep->message ? rep->message : "");
    return code;
}

int dispatch_call(const char *method, const char *user, const char *role,
                  const uint8_t *body, size_t body_len, int timeout_ms, bus_reply *rep)
{
    /* Not served by this suite (no such service, or its daemon, e.g.
     * backupd, is not run): what grpc-go says for a service it lacks,
     * rather than UNAVAILABLE from a socket nobody binds, which would say
     * "try again" about a call that will never work. */
    const char *daemon = in_suite(route_daemon_for_method(method));
    if (!daemon) {
        char svc[256];
        service_of(method, svc, sizeof svc);
        return fail(rep, RPC_UNIMPLEMENTED, "unknown service %s", svc);
    }
    return call(daemon, method, user, role, body, body_len, timeout_ms, rep);
}

int dispatch_call_daemon(const char *daemon, const char *method, const uint8_t *body, size_t body_len,
                         int timeout_ms, bus_reply *rep)
{
    const char *d = in_suite(daemon);
    if (!d)
        return fail(rep, RPC_UNIMPLEMENTED, "the suite runs no %s", daemon);
    return call(d, method, "", "", body, body_len, timeout_ms, rep);
}
