/* pings: pings, round trip and clock drift (see pings.h). */
#include "pings.h"

#include <inttypes.h>

#include "agent_metrics.h"
#include "clock.h"
#include "drift.h"
#include "log.h"
#include "rpc.h"

#define PING_EVERY_MS 10000
#define PING_TIMEOUT_MS 10000

static void on_pong(conn *c, void *arg, int code, const char *message, Agent__V1__AgentMessage *resp)
{
    (void)arg;
    if (code != RPC_OK || !resp || resp->payload_case != AGENT__V1__AGENT_MESSAGE__PAYLOAD_PONG) {
        log_debug("pmm-agent %s: ping failed: %s", c->agent_id, message ? message : "no pong");
    } else {
        int64_t agent_us = 0;
        const Google__Protobuf__Timestamp *t = resp->pong->current_time;
        if (t)
            agent_us = t->seconds * 1000000 + t->nanos / 1000;
        drift_compute(c->last_ping_wall_us, clock_wall_us(), agent_us, &c->rtt_us, &c->drift_us);
        agent_metrics_ping(c->rtt_us, c->drift_us);
        log_debug("pmm-agent %s: round-trip time %" PRId64 " us, estimated clock drift %" PRId64 " us",
                  c->agent_id, c->rtt_us, c->drift_us);
    }
    if (resp)
        agent__v1__agent_message__free_unpacked(resp, NULL);
}

void pings_send(conn *c, requests_reply_fn cb, void *arg, int timeout_ms)
{
    Agent__V1__Ping p = AGENT__V1__PING__INIT;
    Agent__V1__ServerMessage m = AGENT__V1__SERVER_MESSAGE__INIT;
    m.payload_case = AGENT__V1__SERVER_MESSAGE__PAYLOAD_PING;
    m.ping = &p;
    c->last_ping_wall_us = clock_wall_us();
    requests_send(c, &m, timeout_ms, cb, arg);
}

void pings_start(conn *c, int64_t now)
{
    c->next_ping_ms = now + PING_EVERY_MS;
}

void pings_tick(conn *c, int64_t now)
{
    if (c->state != CONN_LIVE || now < c->next_ping_ms)
        return;
    c->next_ping_ms = now + PING_EVERY_MS;
    pings_send(c, on_pong, NULL, PING_TIMEOUT_MS);
}

void pings_answer(conn *c, uint32_t id)
{
    int64_t now = clock_wall_us();
    Google__Protobuf__Timestamp t = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
    t.seconds = now / 1000000;
    t.nanos = (int32_t)(now % 1000000) * 1000;
    Agent__V1__Pong p = AGENT__V1__PONG__INIT;
    p.current_time = &t;
    Agent__V1__ServerMessage m = AGENT__V1__SERVER_MESSAGE__INIT;
    m.payload_case = AGENT__V1__SERVER_MESSAGE__PAYLOAD_PONG;
    m.pong = &p;
    requests_reply(c, id, &m);
}
