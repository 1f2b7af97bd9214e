/* protocol: the agent message dispatch (see protocol.h). */
#include "protocol.h"

#include <stdbool.h>
#include <stdlib.h>

#include "admission.h"
#include "clock.h"
#include "credit.h"
#include "dbpool.h"
#include "bus/inventory_events.h"
#include "jobs.h"
#include "log.h"
#include "pings.h"
#include "qan_handoff.h"
#include "requests.h"
#include "rpc.h"
#include "sched.h"
#include "status.h"

#define FLOOD_WINDOW_MS 10000
#define FLOOD_MAX_MESSAGES 2000 /* per window: far above any real agent */
#define MAX_HANDLERS 64

static struct {
    bus_pub *pub;
    protocol_handler handlers[MAX_HANDLERS];
} P;

void protocol_init(bus_pub *pub)
{
    P.pub = pub;
}

void protocol_set_handler(Agent__V1__AgentMessage__PayloadCase which, protocol_handler fn)
{
    if ((int)which <= 0 || (int)which >= MAX_HANDLERS)
        fatal("protocol: no handler slot for agent message kind %d", (int)which);
    P.handlers[which] = fn;
}

/* ---- requests that need the database ------------------------------------------ */

typedef struct {
    conn *c;
    Agent__V1__AgentMessage *msg;
    size_t frame_len;        /* credited once stored */
    protocol_handler handler;
    int code;
    bool port_changed, has_vmagent;
    int n_updated;
} db_request;

static void state_changed_work(db *d, void *arg)
{
    db_request *j = arg;
    rpc_status st = { 0 };
    j->code = status_apply(d, j->c->agent_id, j->msg->state_changed, &j->port_changed, &j->has_vmagent,
                          &j->n_updated, &st);
    if (j->code != RPC_OK)
        log_warn("pmm-agent %s: cannot store the state of %s: %s", j->c->agent_id,
                 j->msg->state_changed->agent_id, st.message);
}

static void handler_work(db *d, void *arg)
{
    db_request *j = arg;
    j->code = j->handler(d, j->c->agent_id, j->msg);
}

/* The acknowledgement upstream sends once a StateChanged or ActionResult
 * is stored (whether or not that worked). */
static void acknowledge(conn *c, const Agent__V1__AgentMessage *msg)
{
    Agent__V1__ServerMessage m = AGENT__V1__SERVER_MESSAGE__INIT;
    Agent__V1__StateChangedResponse scr = AGENT__V1__STATE_CHANGED_RESPONSE__INIT;
    Agent__V1__ActionResultResponse arr = AGENT__V1__ACTION_RESULT_RESPONSE__INIT;
    switch (msg->payload_case) {
    case AGENT__V1__AGENT_MESSAGE__PAYLOAD_STATE_CHANGED:
        m.payload_case = AGENT__V1__SERVER_MESSAGE__PAYLOAD_STATE_CHANGED;
        m.state_changed = &scr;
        break;
    case AGENT__V1__AGENT_MESSAGE__PAYLOAD_ACTION_RESULT:
        m.payload_case = AGENT__V1__SERVER_MESSAGE__PAYLOAD_ACTION_RESULT;
        m.action_result = &arr;
        break;
    default:
        fatal("protocol: no acknowledgement for agent message kind %d", (int)msg->payload_case);
    }
    if (c->state == CONN_LIVE)
        requests_reply(c, msg->id, &m);
}

static void db_request_done(void *arg)
{
    db_request *j = arg;
    conn *c = j->c;
    Agent__V1__AgentMessage *msg = j->msg;
    if (msg->payload_case == AGENT__V1__AGENT_MESSAGE__PAYLOAD_STATE_CHANGED) {
        if (j->n_updated > 0)
            inventory_events_changed(P.pub, "agent", "change", msg->state_changed->agent_id);
        if (c->state == CONN_LIVE && j->port_changed && j->has_vmagent)
            sched_request(c); /* its vmagent scrapes the new port */
    }
    acknowledge(c, msg);
    agent__v1__agent_message__free_unpacked(msg, NULL);
    credit_release(c, j->frame_len);
    conn_unref(c); /* the job's */
    free(j);
}

/* msg (of a frame of frame_len bytes) is taken; answered and credited
 * once the work is done. Returns KEPT, or DONE when it is dropped. */
enum { DONE, KEPT };
static int on_db_request(conn *c, Agent__V1__AgentMessage *msg, size_t frame_len, dbpool_work work,
                         protocol_handler h)
{
    db_request *j = calloc(1, sizeof *j);
    if (!j) {
        agent__v1__agent_message__free_unpacked(msg, NULL);
        return DONE;
    }
    j->c = c;
    j->msg = msg;
    j->frame_len = frame_len;
    j->handler = h;
    conn_ref(c); /* the job's */
    if (dbpool_submit(work, db_request_done, j) != 0)
        db_request_done(j); /* stopping: acknowledged, nothing stored */
    return KEPT;
}

/* ---- the other kinds ------------------------------------------------------------ */

/* Handed to qanfwd without waiting; upstream answers even when
 * forwarding failed. */
static void on_qan_collect(conn *c, const Agent__V1__AgentMessage *msg)
{
    if (msg->qan_collect)
        qan_handoff(c->agent_id, msg->qan_collect);
    Agent__V1__QANCollectResponse q = AGENT__V1__QANCOLLECT_RESPONSE__INIT;
    Agent__V1__ServerMessage m = AGENT__V1__SERVER_MESSAGE__INIT;
    m.payload_case = AGENT__V1__SERVER_MESSAGE__PAYLOAD_QAN_COLLECT;
    m.qan_collect = &q;
    requests_reply(c, msg->id, &m);
}

/* For the job's owner on the bus; never acknowledged (upstream
 * handler.go). */
static void on_job_report(conn *c, const Agent__V1__AgentMessage *msg)
{
    const char *topic;
    uint8_t *buf = NULL;
    size_t len = 0;
    if (jobs_event(c->agent_id, msg, &topic, &buf, &len) != 0 || bus_pub_send(P.pub, topic, buf, len) != 0)
        log_warn("pmm-agent %s: a job report is lost (%s)", c->agent_id,
                 msg->payload_case == AGENT__V1__AGENT_MESSAGE__PAYLOAD_JOB_RESULT ? "result" : "progress");
    free(buf);
}

/* No payload we know: the agent did not know our request (cancel its
 * waiter), or sent something we do not know (tell it, unless it is itself
 * an UNIMPLEMENTED answer: never bounce those back and forth). */
static void on_unknown(conn *c, const Agent__V1__AgentMessage *msg)
{
    int code = msg->status ? msg->status->code : 0;
    requests_cancel(c, msg->id, code ? code : RPC_UNIMPLEMENTED,
                    msg->status && msg->status->message ? msg->status->message : "not implemented");
    if (code == RPC_UNIMPLEMENTED) {
        log_warn("pmm-agent %s: message %u is not implemented by the agent", c->agent_id, msg->id);
    } else if (c->state == CONN_LIVE) {
        Google__Rpc__Status st = GOOGLE__RPC__STATUS__INIT;
        st.code = RPC_UNIMPLEMENTED;
        st.message = "can't handle message type sent, it is not implemented";
        Agent__V1__ServerMessage m = AGENT__V1__SERVER_MESSAGE__INIT;
        m.status = &st;
        requests_reply(c, msg->id, &m);
    }
}

/* A flood gets the agent cut off, not everyone else slowed down. */
static int flooding(conn *c)
{
    int64_t now = clock_mono_ms();
    if (now - c->flood_window_ms > FLOOD_WINDOW_MS) {
        c->flood_window_ms = now;
        c->flood_count = 0;
    }
    return ++c->flood_count > FLOOD_MAX_MESSAGES;
}

/* KEPT when the frame's message went to the database (credited there). */
static int dispatch(conn *c, const uint8_t *data, size_t len)
{
    if (c->state != CONN_LIVE && c->state != CONN_ADMIT_PROBE)
        return DONE;
    if (flooding(c)) {
        log_warn("pmm-agent %s sends too many messages, disconnecting", c->agent_id);
        admission_close(c, RPC_RESOURCE_EXHAUSTED, "too many messages", "flood");
        return DONE;
    }
    static const uint8_t empty[1];
    Agent__V1__AgentMessage *msg = agent__v1__agent_message__unpack(NULL, len, len ? data : empty);
    if (!msg) {
        log_warn("pmm-agent %s sent a message that does not parse, disconnecting", c->agent_id);
        admission_close(c, RPC_INTERNAL, "grpc: failed to unmarshal the received message", "garbage");
        return DONE;
    }
    if (requests_is_response(msg->payload_case)) {
        requests_answer(c, msg); /* takes msg */
        return DONE;
    }
    if (c->state != CONN_LIVE) {
        agent__v1__agent_message__free_unpacked(msg, NULL);
        return DONE;
    }
    switch (msg->payload_case) {
    case AGENT__V1__AGENT_MESSAGE__PAYLOAD_PING:
        pings_answer(c, msg->id);
        break;
    case AGENT__V1__AGENT_MESSAGE__PAYLOAD_STATE_CHANGED:
        return on_db_request(c, msg, len, state_changed_work, NULL); /* msg taken */
    case AGENT__V1__AGENT_MESSAGE__PAYLOAD_ACTION_RESULT:
        if (P.handlers[msg->payload_case]) /* msg taken */
            return on_db_request(c, msg, len, handler_work, P.handlers[msg->payload_case]);
        acknowledge(c, msg);
        break;
    case AGENT__V1__AGENT_MESSAGE__PAYLOAD_QAN_COLLECT:
        on_qan_collect(c, msg);
        break;
    case AGENT__V1__AGENT_MESSAGE__PAYLOAD_JOB_RESULT:
    case AGENT__V1__AGENT_MESSAGE__PAYLOAD_JOB_PROGRESS:
        on_job_report(c, msg);
        break;
    default:
        on_unknown(c, msg);
        break;
    }
    agent__v1__agent_message__free_unpacked(msg, NULL);
    return DONE;
}

void protocol_frame(conn *c, const uint8_t *data, size_t len)
{
    conn_ref(c); /* ending the stream drops the table's */
    if (credit_hold(c, len) != 0 && c->state != CONN_DEAD) {
        log_warn("pmm-agent %s: its gateway relays more than agentsd let through, disconnecting", c->agent_id);
        admission_close(c, RPC_RESOURCE_EXHAUSTED, "too many bytes queued for this agent", "flood");
    }
    if (dispatch(c, data, len) == DONE)
        credit_release(c, len);
    conn_unref(c);
}
