/* call: the gRPC state machine of a pmm-agent stream (see call.h). */
#include "call.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <grpc/byte_buffer.h>
#include <grpc/byte_buffer_reader.h>
#include <grpc/slice.h>

#include "clock.h"
#include "gateway/metrics.h"
#include "gateway/stream/relay.h"
#include "log.h"
#include "rpc.h"
#include "bus/stream_msg.h"

#define SENDQ_MAX_MSGS 256 /* to one agent, not yet taken by grpc */
#define SENDQ_MAX_BYTES ((size_t)128 << 20)

static void sendq_clear(astream *s)
{
    for (sendbuf *b = s->sq_head, *next; b; b = next) {
        next = b->next;
        grpc_byte_buffer_destroy(b->bb);
        free(b);
    }
    s->sq_head = s->sq_tail = NULL;
    s->sq_n = s->sq_bytes = 0;
}

static void stream_free(astream *s)
{
    int code = s->status_sent ? s->end_code : RPC_CANCELLED;
    metrics_observe("grpc", s->method ? s->method : "", code, clock_seconds_since(&s->started));
    sendq_clear(s);
    if (s->recv_buf)
        grpc_byte_buffer_destroy(s->recv_buf);
    if (s->inflight)
        grpc_byte_buffer_destroy(s->inflight);
    if (s->hdr_set)
        for (int i = 0; i < 3; i++)
            grpc_slice_unref(s->hdr[i].value);
    if (s->has_details)
        grpc_slice_unref(s->details);
    grpc_call_unref(s->call);
    void (*done)(void *) = s->done;
    void *done_arg = s->done_arg;
    free(s->method);
    free(s->authorization);
    free(s->agent_id);
    free(s->version);
    free(s->metrics_port);
    free(s->node_id);
    free(s->node_name);
    free(s->server_version);
    free(s->end_msg);
    free(s);
    done(done_arg);
}

int call_unref(astream *s)
{
    if (s->refs <= 0)
        fatal("agent stream %" PRIu64 ": reference count %d", s->id, s->refs);
    if (--s->refs > 0)
        return 0;
    if (s->in_table)
        fatal("agent stream %" PRIu64 " freed while in the table", s->id);
    stream_free(s);
    return 1;
}

/* Starts a batch that completes with tag (one more reference meanwhile);
 * 0, or -1 when grpc refused it (no reference taken). */
static int start_batch(astream *s, const grpc_op *ops, size_t n, agent_tag *tag)
{
    s->refs++;
    if (grpc_call_start_batch(s->call, ops, n, tag, NULL) != GRPC_CALL_OK) {
        s->refs--;
        return -1;
    }
    return 0;
}

static void start_status(astream *s)
{
    grpc_op ops[2];
    size_t n = 0;
    memset(ops, 0, sizeof ops);
    if (!s->md_sent) {
        ops[n].op = GRPC_OP_SEND_INITIAL_METADATA;
        n++;
        s->md_sent = 1;
    }
    ops[n].op = GRPC_OP_SEND_STATUS_FROM_SERVER;
    ops[n].data.send_status_from_server.status = (grpc_status_code)s->end_code;
    if (s->end_msg && s->end_msg[0]) {
        s->details = grpc_slice_from_copied_string(s->end_msg);
        s->has_details = 1;
        ops[n].data.send_status_from_server.status_details = &s->details;
    }
    n++;
    s->status_sent = 1;
    s->send_inflight = 1;
    if (start_batch(s, ops, n, &s->t_send) != 0)
        s->send_inflight = 0;
}

void call_end(astream *s, int code, const char *message, int tell)
{
    if (s->end_pending || s->gone)
        return;
    if (tell && s->told_agentsd)
        relay_simple(INTERNAL__V1__STREAM_KIND__STREAM_KIND_CLOSED, s->id, NULL, 0, code, message);
    s->end_pending = 1;
    s->end_code = code >= RPC_OK && code <= RPC_UNAUTHENTICATED ? code : RPC_UNKNOWN;
    s->end_msg = strdup(message ? message : "");
    s->state = ST_ENDING;
    sendq_clear(s);
    table_remove(s);
    flow_forget(&s->flow);
    if (!s->send_inflight) {
        start_status(s);
    } else if (s->end_code != RPC_OK) {
        /* the status goes out now, in trailers that HTTP/2 flow control
         * does not hold back; the send in flight fails */
        s->status_sent = 1;
        grpc_call_cancel_with_status(s->call, (grpc_status_code)s->end_code, s->end_msg ? s->end_msg : "", NULL);
    }
}

static void start_send(astream *s)
{
    sendbuf *b = s->sq_head;
    if (!b || s->send_inflight || s->end_pending)
        return;
    s->sq_head = b->next;
    if (!s->sq_head)
        s->sq_tail = NULL;
    s->sq_n--;
    s->sq_bytes -= b->len;
    s->inflight = b->bb;
    free(b);
    grpc_op op;
    memset(&op, 0, sizeof op);
    op.op = GRPC_OP_SEND_MESSAGE;
    op.data.send_message.send_message = s->inflight;
    s->send_inflight = 1;
    if (start_batch(s, &op, 1, &s->t_send) != 0) {
        s->send_inflight = 0;
        grpc_byte_buffer_destroy(s->inflight);
        s->inflight = NULL;
    }
}

static void start_recv(astream *s)
{
    if (s->state != ST_OPEN || s->end_pending || s->gone)
        return;
    grpc_op op;
    memset(&op, 0, sizeof op);
    op.op = GRPC_OP_RECV_MESSAGE;
    op.data.recv_message.recv_message = &s->recv_buf;
    start_batch(s, &op, 1, &s->t_recv);
}

void call_resume(flow_state *f)
{
    start_recv(f->owner);
}

void call_deliver(astream *s, const uint8_t *data, size_t len)
{
    if (s->state != ST_OPEN || s->end_pending)
        return;
    if (s->sq_n >= SENDQ_MAX_MSGS || s->sq_bytes + len > SENDQ_MAX_BYTES) {
        log_warn("agent stream %" PRIu64 " (%s): the agent does not read its messages, disconnecting", s->id,
                 s->agent_id);
        call_end(s, RPC_RESOURCE_EXHAUSTED, "too many messages queued for this agent", 1);
        return;
    }
    sendbuf *b = malloc(sizeof *b);
    if (!b)
        return;
    grpc_slice sl = grpc_slice_from_copied_buffer((const char *)data, len);
    b->bb = grpc_raw_byte_buffer_create(&sl, 1);
    grpc_slice_unref(sl);
    b->len = len;
    b->next = NULL;
    if (s->sq_tail)
        s->sq_tail->next = b;
    else
        s->sq_head = b;
    s->sq_tail = b;
    s->sq_n++;
    s->sq_bytes += len;
    start_send(s);
}

void call_accepted(astream *s, const Internal__V1__StreamMeta *meta, const char *default_server_version)
{
    if (s->state != ST_OPENING)
        return;
    s->node_id = strdup(meta && meta->node_id ? meta->node_id : "");
    s->node_name = strdup(meta && meta->node_name ? meta->node_name : "");
    s->server_version = strdup(meta && meta->server_version && meta->server_version[0] ? meta->server_version
                                                                                         : default_server_version);
    s->hdr[0].key = grpc_slice_from_static_string("pmm-agent-node-id");
    s->hdr[0].value = grpc_slice_from_copied_string(s->node_id ? s->node_id : "");
    s->hdr[1].key = grpc_slice_from_static_string("pmm-node-name");
    s->hdr[1].value = grpc_slice_from_copied_string(s->node_name ? s->node_name : "");
    s->hdr[2].key = grpc_slice_from_static_string("pmm-server-version");
    s->hdr[2].value = grpc_slice_from_copied_string(s->server_version ? s->server_version : "");
    s->hdr_set = 1;
    s->state = ST_OPEN;

    grpc_op op;
    memset(&op, 0, sizeof op);
    op.op = GRPC_OP_SEND_INITIAL_METADATA;
    op.data.send_initial_metadata.count = 3;
    op.data.send_initial_metadata.metadata = s->hdr;
    s->md_sent = 1;
    s->send_inflight = 1;
    if (start_batch(s, &op, 1, &s->t_send) != 0)
        s->send_inflight = 0;
    start_recv(s);
}

void call_tell_open(const astream *s, int resync)
{
    Internal__V1__StreamMeta meta = INTERNAL__V1__STREAM_META__INIT;
    meta.pmm_agent_id = s->agent_id;
    meta.agent_version = s->version;
    meta.metrics_port = s->metrics_port ? (uint32_t)strtoul(s->metrics_port, NULL, 10) : 0;
    meta.resync = resync;
    if (resync) {
        meta.node_id = s->node_id ? s->node_id : "";
        meta.node_name = s->node_name ? s->node_name : "";
        meta.server_version = s->server_version ? s->server_version : "";
    }
    Internal__V1__StreamMessage m = INTERNAL__V1__STREAM_MESSAGE__INIT;
    m.kind = INTERNAL__V1__STREAM_KIND__STREAM_KIND_OPEN;
    m.stream_id = s->id;
    m.meta = &meta;
    zmq_msg_t z;
    if (stream_msg_pack(&m, &z) == 0)
        relay_post(&z);
}

/* ---- completion-queue events (the lock is taken here) ------------------------- */

static void on_close(void *arg, int ok)
{
    astream *s = arg;
    (void)ok;
    table_lock();
    s->gone = 1;
    if (!s->status_sent && s->told_agentsd)
        relay_simple(INTERNAL__V1__STREAM_KIND__STREAM_KIND_CLOSED, s->id, NULL, 0, RPC_CANCELLED,
                     "the agent went away");
    table_remove(s);
    flow_forget(&s->flow);
    sendq_clear(s);
    s->state = ST_ENDING;
    grpc_call_cancel(s->call, NULL); /* completes a pending receive */
    call_unref(s);
    table_unlock();
}

/* One message of the agent: to agentsd (copied once, from grpc's slices
 * into the frame), then the next receive once agentsd keeps up (flow.h). */
static void forward(astream *s, grpc_byte_buffer *bb)
{
    grpc_byte_buffer_reader r;
    if (!grpc_byte_buffer_reader_init(&r, bb)) {
        call_end(s, RPC_INTERNAL, "grpc: failed to decompress the received message", 1);
        return;
    }
    size_t len = grpc_byte_buffer_length(r.buffer_out); /* decompressed */
    zmq_msg_t z;
    uint8_t *p;
    if (stream_msg_frame(&z, s->id, len, &p) != 0) {
        grpc_byte_buffer_reader_destroy(&r);
        call_end(s, RPC_RESOURCE_EXHAUSTED, "out of memory", 1);
        return;
    }
    grpc_slice sl;
    size_t off = 0;
    while (grpc_byte_buffer_reader_next(&r, &sl)) {
        size_t n = GRPC_SLICE_LENGTH(sl);
        if (n > len - off)
            fatal("agent stream %" PRIu64 ": a message longer than its length", s->id);
        memcpy(p + off, GRPC_SLICE_START_PTR(sl), n);
        off += n;
        grpc_slice_unref(sl);
    }
    grpc_byte_buffer_reader_destroy(&r);
    relay_post(&z);
    flow_charge(&s->flow, len, clock_mono_ms());
    if (flow_flooding(&s->flow)) {
        log_warn("agent stream %" PRIu64 " (%s): the agent sends faster than the server takes its messages, "
                 "disconnecting", s->id, s->agent_id);
        call_end(s, RPC_RESOURCE_EXHAUSTED, "the agent sends more than the server can take", 1);
    } else if (flow_may_read(&s->flow)) {
        start_recv(s);
    } else {
        flow_pause(&s->flow);
    }
}

static void on_recv(void *arg, int ok)
{
    astream *s = arg;
    table_lock();
    grpc_byte_buffer *bb = s->recv_buf;
    s->recv_buf = NULL;
    if (ok && bb && s->state == ST_OPEN && !s->end_pending)
        forward(s, bb);
    else if (ok && !bb && s->state == ST_OPEN)
        /* the agent closed its side: the stream is over, as upstream's
         * handler ends on io.EOF */
        call_end(s, RPC_OK, NULL, 1);
    if (bb)
        grpc_byte_buffer_destroy(bb);
    call_unref(s);
    table_unlock();
}

static void on_send(void *arg, int ok)
{
    astream *s = arg;
    table_lock();
    s->send_inflight = 0;
    if (s->inflight) {
        grpc_byte_buffer_destroy(s->inflight);
        s->inflight = NULL;
    }
    if (ok && !s->status_sent) {
        if (s->end_pending)
            start_status(s);
        else
            start_send(s);
    }
    call_unref(s);
    table_unlock();
}

void call_start(astream *s)
{
    flow_start(&s->flow, s);
    s->t_close = (agent_tag){ AGENT_TAG_KIND, on_close, s };
    s->t_recv = (agent_tag){ AGENT_TAG_KIND, on_recv, s };
    s->t_send = (agent_tag){ AGENT_TAG_KIND, on_send, s };
    grpc_op op;
    memset(&op, 0, sizeof op);
    op.op = GRPC_OP_RECV_CLOSE_ON_SERVER;
    op.data.recv_close_on_server.cancelled = &s->cancelled;
    if (start_batch(s, &op, 1, &s->t_close) != 0) {
        log_error("agent stream: close batch failed to start");
        call_end(s, RPC_INTERNAL, "cannot watch the stream", 0); /* never left in the table unwatched */
    }
}
