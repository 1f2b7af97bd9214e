/* gateways: HELLO, epochs, SYNC and silent gateways (see gateways.h). */
#include "gateways.h"

#include <string.h>

#include "admission.h"
#include "clock.h"
#include "connected.h"
#include "log.h"
#include "loop.h"
#include "bus/stream_msg.h"
#include "streams.h"
#include "uuid.h"

#define GATEWAY_SILENT_MS 5000 /* a gateway that stopped saying HELLO is gone */
#define MAX_GATEWAYS 16
#define RECONCILE_AFTER_MS 3000

typedef struct {
    char id[128];
    size_t len;
    int64_t last_hello_ms;
} gateway;

static struct {
    gateway gws[MAX_GATEWAYS];
    int n;
    char epoch[UUID_STR_LEN];
    int reconciled;
    int64_t started_ms;
} G;

void gateways_init(void)
{
    uuid_v4(G.epoch);
    G.started_ms = clock_mono_ms();
}

static gateway *seen(const void *gw, size_t gw_len)
{
    for (int i = 0; i < G.n; i++)
        if (G.gws[i].len == gw_len && memcmp(G.gws[i].id, gw, gw_len) == 0)
            return &G.gws[i];
    if (G.n >= MAX_GATEWAYS || gw_len > sizeof G.gws[0].id)
        return NULL;
    gateway *g = &G.gws[G.n++];
    memcpy(g->id, gw, gw_len);
    g->len = gw_len;
    log_info("stream loop: a gateway is connected");
    return g;
}

void gateways_hello(const void *gw, size_t gw_len)
{
    gateway *g = seen(gw, gw_len);
    if (g)
        g->last_hello_ms = clock_mono_ms();
    Internal__V1__StreamMessage m = INTERNAL__V1__STREAM_MESSAGE__INIT;
    m.kind = INTERNAL__V1__STREAM_KIND__STREAM_KIND_HELLO;
    m.epoch = G.epoch;
    zmq_msg_t z;
    if (stream_msg_pack(&m, &z) == 0)
        loop_send(gw, gw_len, &z);
}

static int same_gw(const conn *c, const void *gw, size_t gw_len)
{
    return c->gw_len == gw_len && memcmp(c->gw, gw, gw_len) == 0;
}

/* Ends every stream of gateway gw, except those listed. */
static void drop_streams_of(const void *gw, size_t gw_len, const uint64_t *keep, size_t n_keep, const char *reason)
{
    size_t n;
    conn **all = streams_snapshot(&n);
    for (size_t k = 0; k < n; k++) {
        conn *c = all[k];
        if (c->state == CONN_DEAD || !same_gw(c, gw, gw_len))
            continue;
        int kept = 0;
        for (size_t i = 0; i < n_keep && !kept; i++)
            kept = keep[i] == c->stream_id;
        if (!kept)
            admission_end(c, reason);
    }
    streams_snapshot_free(all, n);
}

static void reconcile(void)
{
    G.reconciled = 1;
    connected_reconcile();
}

void gateways_sync(const void *gw, size_t gw_len, const uint64_t *live, size_t n_live)
{
    drop_streams_of(gw, gw_len, live, n_live, "not live after resync");
    reconcile();
}

void gateways_tick(int64_t now)
{
    for (int i = 0; i < G.n;) {
        if (now - G.gws[i].last_hello_ms > GATEWAY_SILENT_MS) {
            log_warn("stream loop: a gateway went silent, its streams are gone");
            drop_streams_of(G.gws[i].id, G.gws[i].len, NULL, 0, "gateway gone");
            G.gws[i] = G.gws[--G.n];
        } else {
            i++;
        }
    }
    /* no gateway re-announced anything after a start: nobody is connected */
    if (!G.reconciled && now - G.started_ms > RECONCILE_AFTER_MS)
        reconcile();
}
