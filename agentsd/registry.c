/* registry: the stream loop's handler (see registry.h). */
#include "registry.h"

#include "admission.h"
#include "connected.h"
#include "credit.h"
#include "gateways.h"
#include "log.h"
#include "orphans.h"
#include "pings.h"
#include "protocol.h"
#include "requests.h"
#include "sched.h"
#include "streams.h"

static void on_message(const void *gw, size_t gw_len, const Internal__V1__StreamMessage *m)
{
    conn *c;
    switch (m->kind) {
    case INTERNAL__V1__STREAM_KIND__STREAM_KIND_HELLO:
        gateways_hello(gw, gw_len);
        return;
    case INTERNAL__V1__STREAM_KIND__STREAM_KIND_OPEN:
        c = admission_open(gw, gw_len, m);
        if (c)
            orphans_replay(c);
        return;
    case INTERNAL__V1__STREAM_KIND__STREAM_KIND_FRAME:
        c = streams_find(m->stream_id);
        if (c)
            protocol_frame(c, m->payload.data, m->payload.len);
        else
            orphans_keep(gw, gw_len, m->stream_id, m->payload.data, m->payload.len);
        return;
    case INTERNAL__V1__STREAM_KIND__STREAM_KIND_CLOSED:
        c = streams_find(m->stream_id);
        if (c)
            admission_end(c, "done");
        return;
    case INTERNAL__V1__STREAM_KIND__STREAM_KIND_SYNC:
        gateways_sync(gw, gw_len, m->live, m->n_live);
        return;
    default:
        /* a gateway of another version: not ours to act on */
        log_debug("stream loop: unexpected frame kind %d", (int)m->kind);
        return;
    }
}

static void tick_conn(conn *c, int64_t now)
{
    credit_flush(c);
    requests_expire(c, now);
    if (c->state != CONN_LIVE)
        return;
    pings_tick(c, now);
    sched_tick(c, now);
}

static void on_tick(int64_t now)
{
    size_t n;
    conn **all = streams_snapshot(&n);
    for (size_t k = 0; k < n; k++)
        if (all[k]->state != CONN_DEAD)
            tick_conn(all[k], now);
    streams_snapshot_free(all, n);
    gateways_tick(now);
    orphans_expire(now);
}

static void on_stop(void)
{
    sched_drop_queue();
    size_t n;
    conn **all = streams_snapshot(&n);
    for (size_t k = 0; k < n; k++)
        admission_end(all[k], "stopping");
    streams_snapshot_free(all, n);
    orphans_expire(INT64_MAX);
    connected_free_all();
}

static const loop_handler handler = { on_message, on_tick, on_stop };

const loop_handler *registry_init(bus_pub *pub)
{
    admission_init(pub);
    protocol_init(pub);
    gateways_init();
    return &handler;
}
