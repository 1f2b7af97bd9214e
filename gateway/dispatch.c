/* dispatch: forwards a call to the daemon that owns its service, over the
 * calling thread's bus clients (see dispatch.h, bus_peers.h). */
#include "dispatch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus_peers.h"
#include "log.h"
#include "metrics.h"
#include "route.h"

static int default_timeout = 10000;

int dispatch_init(void *zmq_ctx, const char *run_dir, int default_timeout_ms)
{
    if (default_timeout_ms > 0)
        default_timeout = default_timeout_ms;
    return bus_peers_init(zmq_ctx, run_dir);
}

void dispatch_thread_done(void)
{
    bus_peers_thread_done();
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

int dispatch_call(const char *method, const char *user, const char *role,
                  const uint8_t *body, size_t body_len, int timeout_ms, bus_reply *rep)
{
    const char *daemon = route_daemon_for_method(method);
    if (!daemon) {
        char svc[256];
        service_of(method, svc, sizeof svc);
        return fail(rep, RPC_UNIMPLEMENTED, "unknown service %s", svc);
    }
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
