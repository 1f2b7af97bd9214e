/* requests: server requests to a pmm-agent and their answers (see
 * requests.h). */
#include "requests.h"

#include <stdlib.h>

#include "clock.h"
#include "log.h"
#include "rpc.h"

#define DEFAULT_TIMEOUT_MS 30000

struct pending {
    uint32_t id;
    int64_t deadline_ms;
    requests_reply_fn cb;
    void *arg;
    struct pending *next;
};

static void send_message(const conn *c, const Agent__V1__ServerMessage *m)
{
    size_t n = agent__v1__server_message__get_packed_size(m);
    uint8_t *buf = malloc(n ? n : 1);
    if (!buf)
        return;
    agent__v1__server_message__pack(m, buf);
    streams_send_frame(c, buf, n);
    free(buf);
}

void requests_reply(conn *c, uint32_t id, Agent__V1__ServerMessage *m)
{
    m->id = id;
    send_message(c, m);
}

/* A fresh id: never one still pending (upstream would panic), never 0. */
static uint32_t next_id(conn *c)
{
    for (;;) {
        uint32_t id = ++c->last_req_id;
        if (id == 0)
            continue;
        struct pending *q = c->pendings;
        while (q && q->id != id)
            q = q->next;
        if (!q)
            return id;
    }
}

int requests_send(conn *c, Agent__V1__ServerMessage *msg, int timeout_ms, requests_reply_fn cb, void *arg)
{
    int probe = c->state == CONN_ADMIT_PROBE && msg->payload_case == AGENT__V1__SERVER_MESSAGE__PAYLOAD_PING;
    if (c->state != CONN_LIVE && !probe) {
        cb(c, arg, RPC_UNAVAILABLE, "channel is closed", NULL);
        return -1;
    }
    struct pending *p = calloc(1, sizeof *p);
    if (!p) {
        cb(c, arg, RPC_RESOURCE_EXHAUSTED, "out of memory", NULL);
        return -1;
    }
    msg->id = p->id = next_id(c);
    p->deadline_ms = clock_mono_ms() + (timeout_ms > 0 ? timeout_ms : DEFAULT_TIMEOUT_MS);
    p->cb = cb;
    p->arg = arg;
    p->next = c->pendings;
    c->pendings = p;
    conn_ref(c); /* the pending request's */
    send_message(c, msg);
    return 0;
}

static struct pending *take(conn *c, uint32_t id)
{
    for (struct pending **p = &c->pendings; *p; p = &(*p)->next)
        if ((*p)->id == id) {
            struct pending *found = *p;
            *p = found->next;
            return found;
        }
    return NULL;
}

static void finish(conn *c, struct pending *p, int code, const char *message, Agent__V1__AgentMessage *resp)
{
    p->cb(c, p->arg, code, message, resp);
    free(p);
    conn_unref(c);
}

int requests_is_response(Agent__V1__AgentMessage__PayloadCase pc)
{
    switch (pc) {
    case AGENT__V1__AGENT_MESSAGE__PAYLOAD_PONG:
    case AGENT__V1__AGENT_MESSAGE__PAYLOAD_SET_STATE:
    case AGENT__V1__AGENT_MESSAGE__PAYLOAD_START_ACTION:
    case AGENT__V1__AGENT_MESSAGE__PAYLOAD_STOP_ACTION:
    case AGENT__V1__AGENT_MESSAGE__PAYLOAD_CHECK_CONNECTION:
    case AGENT__V1__AGENT_MESSAGE__PAYLOAD_START_JOB:
    case AGENT__V1__AGENT_MESSAGE__PAYLOAD_STOP_JOB:
    case AGENT__V1__AGENT_MESSAGE__PAYLOAD_JOB_STATUS:
    case AGENT__V1__AGENT_MESSAGE__PAYLOAD_GET_VERSIONS:
    case AGENT__V1__AGENT_MESSAGE__PAYLOAD_PBM_SWITCH_PITR:
    case AGENT__V1__AGENT_MESSAGE__PAYLOAD_AGENT_LOGS:
    case AGENT__V1__AGENT_MESSAGE__PAYLOAD_SERVICE_INFO:
        return 1;
    default:
        return 0;
    }
}

int requests_answer(conn *c, Agent__V1__AgentMessage *msg)
{
    struct pending *p = take(c, msg->id);
    if (!p) {
        log_debug("pmm-agent %s: response %u matches no request", c->agent_id, msg->id);
        agent__v1__agent_message__free_unpacked(msg, NULL);
        return -1;
    }
    if (msg->status && msg->status->code != 0) {
        finish(c, p, msg->status->code, msg->status->message ? msg->status->message : "", NULL);
        agent__v1__agent_message__free_unpacked(msg, NULL);
        return 0;
    }
    finish(c, p, RPC_OK, "", msg);
    return 0;
}

int requests_cancel(conn *c, uint32_t id, int code, const char *message)
{
    struct pending *p = take(c, id);
    if (!p)
        return -1;
    finish(c, p, code, message, NULL);
    return 0;
}

void requests_fail_all(conn *c, int code, const char *message)
{
    while (c->pendings) {
        struct pending *p = c->pendings;
        c->pendings = p->next;
        finish(c, p, code, message, NULL);
    }
}

void requests_expire(conn *c, int64_t now)
{
    for (struct pending **p = &c->pendings; *p;) {
        struct pending *q = *p;
        if (now >= q->deadline_ms) {
            *p = q->next;
            finish(c, q, RPC_DEADLINE_EXCEEDED, "context deadline exceeded", NULL);
            if (c->state == CONN_DEAD)
                return; /* the callback ended the stream: the rest failed with it */
        } else {
            p = &q->next;
        }
    }
}
