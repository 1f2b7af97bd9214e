/* agent_stream: pmm-agent streams terminated in the gateway and relayed to
 * agentsd (see agent_stream.h). The parts live in stream/: the table and
 * its lock (table.h), the gRPC state machine of one call (call.h), the
 * admission of a new call (admit.h) and the socket to agentsd (relay.h).
 * This file wires them and acts on what agentsd sends: its answers for a
 * stream, and its epoch. A new agentsd epoch means agentsd restarted:
 * every admitted stream is re-opened with resync = true and the list of
 * live streams follows (SYNC), so agentsd re-sends state and no agent
 * notices. */
#include "agent_stream.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "gateway/stream/admit.h"
#include "gateway/stream/call.h"
#include "gateway/stream/flow.h"
#include "gateway/stream/relay.h"
#include "gateway/stream/table.h"
#include "log.h"
#include "rpc.h"
#include "bus/stream_msg.h"

#define OPEN_TIMEOUT_MS 20000 /* agentsd never answered an OPEN */

static struct {
    char server_version[64];
    char agentsd_epoch[64]; /* relay thread only */
} A;

/* ---- agentsd restarted ---------------------------------------------------------- */

typedef struct {
    uint64_t *live;
    size_t n, cap;
} live_list;

/* An admitted stream is taken over as it is, one still waiting is asked
 * for again. */
static void reopen(astream *s, void *arg)
{
    live_list *l = arg;
    flow_reset(&s->flow); /* the old agentsd credits nothing more */
    if (s->state == ST_OPEN) {
        call_tell_open(s, 1);
        if (l->live && l->n < l->cap)
            l->live[l->n++] = s->id;
    } else if (s->state == ST_OPENING) {
        call_tell_open(s, 0);
        s->open_sent_ms = clock_mono_ms();
    }
}

static void resync_all(void)
{
    table_lock();
    live_list l = { .cap = (size_t)table_count() + 1 };
    l.live = malloc(l.cap * sizeof *l.live);
    table_each(reopen, &l);
    flow_reset_ended();
    table_unlock();
    Internal__V1__StreamMessage m = INTERNAL__V1__STREAM_MESSAGE__INIT;
    m.kind = INTERNAL__V1__STREAM_KIND__STREAM_KIND_SYNC;
    m.live = l.live;
    m.n_live = l.live ? l.n : 0;
    zmq_msg_t z;
    if (stream_msg_pack(&m, &z) == 0)
        relay_post(&z);
    log_info("agent relay: agentsd epoch %s, re-synced %zu streams", A.agentsd_epoch, l.n);
    free(l.live);
}

/* ---- what agentsd sends (relay thread) ----------------------------------------- */

static void on_stream_message(astream *s, const Internal__V1__StreamMessage *m)
{
    switch (m->kind) {
    case INTERNAL__V1__STREAM_KIND__STREAM_KIND_ACCEPT:
        call_accepted(s, m->meta, A.server_version);
        break;
    case INTERNAL__V1__STREAM_KIND__STREAM_KIND_REJECT:
    case INTERNAL__V1__STREAM_KIND__STREAM_KIND_CLOSE:
        call_end(s, m->code, m->message, 0);
        break;
    case INTERNAL__V1__STREAM_KIND__STREAM_KIND_FRAME:
        call_deliver(s, m->payload.data, m->payload.len);
        break;
    case INTERNAL__V1__STREAM_KIND__STREAM_KIND_CREDIT:
        flow_credit(&s->flow, m->credit);
        break;
    case INTERNAL__V1__STREAM_KIND__STREAM_KIND_UNKNOWN:
        if (s->state == ST_OPEN)
            call_tell_open(s, 1);
        else if (s->state == ST_OPENING)
            call_tell_open(s, 0);
        break;
    default:
        /* an agentsd of another version: not ours to act on */
        log_debug("agent relay: unexpected frame kind %d", (int)m->kind);
        break;
    }
}

static void on_message(const Internal__V1__StreamMessage *m)
{
    if (m->kind == INTERNAL__V1__STREAM_KIND__STREAM_KIND_HELLO) {
        if (m->epoch && m->epoch[0] && strcmp(m->epoch, A.agentsd_epoch) != 0) {
            snprintf(A.agentsd_epoch, sizeof A.agentsd_epoch, "%s", m->epoch);
            resync_all();
        }
        return;
    }
    table_lock();
    astream *s = table_find(m->stream_id);
    /* none: a stream that already ended; agentsd hears CLOSED for it (or
     * forgets it at the next SYNC) */
    if (s)
        on_stream_message(s, m);
    else if (m->kind == INTERNAL__V1__STREAM_KIND__STREAM_KIND_CREDIT)
        flow_credit(NULL, m->credit);
    table_unlock();
}

/* Streams agentsd never answered (it is down, or lost the OPEN) end with
 * UNAVAILABLE; the agent dials again. */
static void expire_one(astream *s, void *arg)
{
    int64_t now = *(const int64_t *)arg;
    if (s->state == ST_OPENING && now - s->open_sent_ms > OPEN_TIMEOUT_MS)
        call_end(s, RPC_UNAVAILABLE, "agentsd is unavailable", 1);
}

static void on_tick(int64_t now)
{
    table_lock();
    table_each(expire_one, &now);
    table_unlock();
}

static const relay_handler handler = { on_message, on_tick };

/* ---- the module ------------------------------------------------------------------ */

int agent_streams_init(void *zmq_ctx, const char *run_dir, const char *server_version)
{
    snprintf(A.server_version, sizeof A.server_version, "%s", server_version);
    flow_init(call_resume);
    if (relay_start(zmq_ctx, run_dir, &handler) != 0)
        return -1;
    return admit_start();
}

void agent_streams_stop(void)
{
    admit_stop();
    relay_stop();
}

void agent_stream_accept(grpc_completion_queue *cq, grpc_call *call, const grpc_metadata_array *md,
                         const char *method, void (*done)(void *), void *done_arg)
{
    (void)cq;
    admit_accept(call, md, method, done, done_arg);
}

long agent_streams_count(void)
{
    table_lock();
    long n = table_count();
    table_unlock();
    return n;
}
