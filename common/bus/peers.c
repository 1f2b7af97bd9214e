/* peers: thread-local bus clients by daemon name (see peers.h). */
#include "bus/peers.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal/v1/health.pb-c.h"

#define MAX_PEERS 8

typedef struct {
    struct {
        const char *daemon;
        bus_client *client;
    } peers[MAX_PEERS];
    int n;
} thread_peers;

static void *zctx;
static char *run_dir;
static pthread_key_t peers_key;
static pthread_once_t key_once = PTHREAD_ONCE_INIT;

static void peers_free(void *p)
{
    thread_peers *tp = p;
    if (!tp)
        return;
    for (int i = 0; i < tp->n; i++)
        bus_client_destroy(tp->peers[i].client);
    free(tp);
}

static void make_key(void)
{
    pthread_key_create(&peers_key, peers_free);
}

int bus_peers_init(void *zmq_ctx, const char *dir)
{
    pthread_once(&key_once, make_key);
    zctx = zmq_ctx;
    free(run_dir);
    run_dir = strdup(dir);
    return run_dir ? 0 : -1;
}

bus_client *bus_peers_get(const char *daemon)
{
    if (!run_dir)
        return NULL;
    thread_peers *tp = pthread_getspecific(peers_key);
    if (!tp) {
        tp = calloc(1, sizeof *tp);
        if (!tp)
            return NULL;
        pthread_setspecific(peers_key, tp);
    }
    for (int i = 0; i < tp->n; i++)
        if (strcmp(tp->peers[i].daemon, daemon) == 0)
            return tp->peers[i].client;
    if (tp->n == MAX_PEERS)
        return NULL;
    char ep[512];
    bus_endpoint(ep, sizeof ep, run_dir, daemon);
    bus_client *c = bus_client_new(zctx, ep);
    if (!c)
        return NULL;
    tp->peers[tp->n].daemon = daemon;
    tp->peers[tp->n].client = c;
    tp->n++;
    return c;
}

void bus_peers_thread_done(void)
{
    if (!run_dir)
        return;
    peers_free(pthread_getspecific(peers_key));
    pthread_setspecific(peers_key, NULL);
}

int bus_peers_ping(const char *daemon, int timeout_ms, rpc_status *st)
{
    bus_client *c = bus_peers_get(daemon);
    if (!c)
        return rpc_fail(st, RPC_INTERNAL, "no bus client for %s", daemon);
    bus_request req = { .method = "/internal.v1.HealthService/Ping", .user = "", .role = "" };
    bus_reply rep;
    int code = bus_client_call(c, &req, timeout_ms, &rep);
    if (code != RPC_OK)
        rpc_fail(st, code, "%s: %s", daemon, rep.message ? rep.message : "no answer");
    else
        st->code = RPC_OK;
    bus_reply_clear(&rep);
    return code;
}

int bus_peers_call(const char *daemon, const char *method, const ProtobufCMessage *in,
                   const ProtobufCMessageDescriptor *out_desc, ProtobufCMessage **out, int timeout_ms,
                   rpc_status *st)
{
    *out = NULL;
    bus_client *c = bus_peers_get(daemon);
    if (!c)
        return rpc_fail(st, RPC_INTERNAL, "no bus client for %s", daemon);
    size_t len = protobuf_c_message_get_packed_size(in);
    uint8_t *buf = malloc(len ? len : 1);
    if (!buf)
        return rpc_fail(st, RPC_INTERNAL, "out of memory");
    protobuf_c_message_pack(in, buf);
    bus_request req = { .method = (char *)method, .user = "", .role = "", .body = buf, .body_len = len };
    bus_reply rep = { 0 };
    int code = bus_client_call(c, &req, timeout_ms, &rep);
    free(buf);
    st->code = RPC_OK;
    if (code != RPC_OK)
        rpc_fail(st, code, "%s", rep.message ? rep.message : "");
    else if (!(*out = protobuf_c_message_unpack(out_desc, NULL, rep.body_len, rep.body)))
        rpc_fail(st, RPC_INTERNAL, "%s's answer to %s does not decode", daemon, method);
    bus_reply_clear(&rep);
    return st->code;
}
