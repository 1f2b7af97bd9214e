/* dispatch: forwards a call to the daemon that owns its service, over
 * thread-local bus clients (see dispatch.h). */
#include "dispatch.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus.h"
#include "log.h"
#include "metrics.h"
#include "route.h"

#define MAX_DAEMONS 8

typedef struct {
    const char *daemon;   /* static string from route_daemon_for_method */
    bus_client *client;
} thread_client;

typedef struct {
    thread_client clients[MAX_DAEMONS];
    int n;
} thread_clients;

static void *zctx;
static char *run_dir;
static int default_timeout = 10000;
static pthread_key_t clients_key;
static pthread_once_t key_once = PTHREAD_ONCE_INIT;

static void clients_free(void *p)
{
    thread_clients *tc = p;
    if (!tc)
        return;
    for (int i = 0; i < tc->n; i++)
        bus_client_destroy(tc->clients[i].client);
    free(tc);
}

static void make_key(void)
{
    pthread_key_create(&clients_key, clients_free);
}

int dispatch_init(void *zmq_ctx, const char *dir, int default_timeout_ms)
{
    pthread_once(&key_once, make_key);
    zctx = zmq_ctx;
    free(run_dir);
    run_dir = strdup(dir);
    if (default_timeout_ms > 0)
        default_timeout = default_timeout_ms;
    return run_dir ? 0 : -1;
}

void dispatch_thread_done(void)
{
    thread_clients *tc = pthread_getspecific(clients_key);
    clients_free(tc);
    pthread_setspecific(clients_key, NULL);
}

static bus_client *client_for(const char *daemon)
{
    thread_clients *tc = pthread_getspecific(clients_key);
    if (!tc) {
        tc = calloc(1, sizeof *tc);
        if (!tc)
            return NULL;
        pthread_setspecific(clients_key, tc);
    }
    for (int i = 0; i < tc->n; i++)
        if (strcmp(tc->clients[i].daemon, daemon) == 0)
            return tc->clients[i].client;
    if (tc->n == MAX_DAEMONS)
        return NULL;
    char ep[512];
    bus_endpoint(ep, sizeof ep, run_dir, daemon);
    bus_client *c = bus_client_new(zctx, ep);
    if (!c)
        return NULL;
    tc->clients[tc->n].daemon = daemon;
    tc->clients[tc->n].client = c;
    tc->n++;
    return c;
}

static void fail(bus_reply *rep, int code, const char *fmt, const char *arg)
{
    char msg[512];
    snprintf(msg, sizeof msg, fmt, arg);
    memset(rep, 0, sizeof *rep);
    rep->code = code;
    rep->message = strdup(msg);
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
        fail(rep, RPC_UNIMPLEMENTED, "unknown service %s", svc);
        return rep->code;
    }
    bus_client *c = client_for(daemon);
    if (!c) {
        fail(rep, RPC_INTERNAL, "no bus client for %s", daemon);
        return rep->code;
    }
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
