/* admission: admitting, kicking and ending pmm-agent streams (see
 * admission.h). */
#include "admission.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent_metrics.h"
#include "clock.h"
#include "connected.h"
#include "credit.h"
#include "dbpool.h"
#include "bus/inventory_events.h"
#include "log.h"
#include "loop.h"
#include "pings.h"
#include "requests.h"
#include "rpc.h"
#include "sched.h"
#include "status.h"
#include "bus/stream_msg.h"

#define PROBE_TIMEOUT_MS 2000 /* upstream staleConnectionProbeTimeout */

static bus_pub *pub;

void admission_init(bus_pub *p)
{
    pub = p;
}

void admission_end(conn *c, const char *reason)
{
    if (c->state == CONN_DEAD)
        return;
    int was_live = c->state == CONN_LIVE;
    c->state = CONN_DEAD;
    int was_agents = streams_remove(c);
    if (was_live != was_agents)
        fatal("admission: pmm-agent %s live=%d but in the agent table=%d", c->agent_id, was_live, was_agents);
    if (was_live) {
        agent_metrics_disconnected(reason);
        log_info("pmm-agent %s disconnected (%s)", c->agent_id, reason);
        /* a replacement may already be admitted under the same id */
        if (!streams_find_agent(c->agent_id))
            connected_store(c->agent_id, 0);
    }
    sched_forget(c); /* before the requests: a failed SetState is no retry now */
    requests_fail_all(c, RPC_UNAVAILABLE, "channel is closed");
    credit_flush(c); /* no more ticks; frames still at work credit on their own */
    conn_unref(c); /* the table's */
}

void admission_close(conn *c, int code, const char *message, const char *reason)
{
    streams_send(c, INTERNAL__V1__STREAM_KIND__STREAM_KIND_CLOSE, NULL, 0, code, message);
    admission_end(c, reason);
}

static void reject(conn *c, int code, const char *message)
{
    log_info("pmm-agent %s refused: %s", c->agent_id, message);
    streams_send(c, INTERNAL__V1__STREAM_KIND__STREAM_KIND_REJECT, NULL, 0, code, message);
    admission_end(c, "refused");
}

static void refuse_duplicate(conn *c)
{
    char q[600], msg[700];
    rpc_quote(q, sizeof q, c->agent_id);
    snprintf(msg, sizeof msg, "pmm-agent with ID %s is already connected.", q);
    reject(c, RPC_ALREADY_EXISTS, msg);
}

/* The gateway learns the stream is live, with what it needs to answer the
 * agent's connect (node, server version). */
static void send_accept(const conn *c)
{
    Internal__V1__StreamMeta meta = INTERNAL__V1__STREAM_META__INIT;
    meta.pmm_agent_id = c->agent_id;
    meta.node_id = c->node_id ? c->node_id : "";
    meta.node_name = c->node_name ? c->node_name : "";
    meta.server_version = PMM_VERSION;
    Internal__V1__StreamMessage m = INTERNAL__V1__STREAM_MESSAGE__INIT;
    m.kind = INTERNAL__V1__STREAM_KIND__STREAM_KIND_ACCEPT;
    m.stream_id = c->stream_id;
    m.meta = &meta;
    zmq_msg_t z;
    if (stream_msg_pack(&m, &z) == 0)
        loop_send(c->gw, c->gw_len, &z);
}

static void go_live(conn *c, int accept)
{
    streams_set_live(c);
    pings_start(c, clock_mono_ms());
    if (accept)
        send_accept(c);
    log_info("pmm-agent %s connected (version %s, stream %" PRIu64 ")", c->agent_id, c->version, c->stream_id);
    agent_metrics_connected();
    connected_store(c->agent_id, 1);
    sched_request(c);
}

/* ---- the duplicate probe ---------------------------------------------------- */

static void on_probe(conn *old, void *arg, int code, const char *message, Agent__V1__AgentMessage *resp)
{
    conn *c = arg;
    if (resp)
        agent__v1__agent_message__free_unpacked(resp, NULL);
    if (c->state == CONN_ADMIT_PROBE) {
        if (code == RPC_OK) {
            refuse_duplicate(c);
        } else {
            log_warn("pmm-agent %s: earlier connection does not answer (%s), kicking it", c->agent_id, message);
            if (old->state == CONN_LIVE)
                admission_close(old, RPC_ABORTED, "Kicked.", "kick");
            if (streams_find_agent(c->agent_id))
                refuse_duplicate(c); /* another one won meanwhile */
            else
                go_live(c, 1);
        }
    }
    conn_unref(c); /* the probe's */
}

/* ---- the database's word ------------------------------------------------------ */

typedef struct {
    conn *c;
    status_admission adm;
    int code;
    char message[RPC_MESSAGE_MAX];
} admit_job;

static void admit_work(db *d, void *arg)
{
    admit_job *j = arg;
    rpc_status st = { 0 };
    j->code = status_admit(d, j->c->agent_id, j->c->version, &j->adm, &st);
    snprintf(j->message, sizeof j->message, "%s", st.message);
}

static void admitted(conn *c, status_admission *adm)
{
    if (adm->vmagent_id)
        inventory_events_changed(pub, "agent", "add", adm->vmagent_id);
    c->node_id = adm->node_id;
    c->node_name = adm->node_name;
    adm->node_id = adm->node_name = NULL;
    conn *old = streams_find_agent(c->agent_id);
    if (!old) {
        go_live(c, 1);
        return;
    }
    c->state = CONN_ADMIT_PROBE;
    conn_ref(c); /* the probe's */
    pings_send(old, on_probe, c, PROBE_TIMEOUT_MS);
}

static void admit_done(void *arg)
{
    admit_job *j = arg;
    conn *c = j->c;
    if (c->state == CONN_ADMIT_DB) {
        if (j->code != RPC_OK)
            reject(c, j->code, j->message);
        else
            admitted(c, &j->adm);
    }
    status_admission_clear(&j->adm);
    conn_unref(c); /* the job's */
    free(j);
}

/* ---- OPEN ------------------------------------------------------------------------ */

/* Admitted by the agentsd before us: taken over as it is. */
static conn *take_over(conn *c, const Internal__V1__StreamMeta *meta)
{
    c->node_id = strdup(meta->node_id ? meta->node_id : "");
    c->node_name = strdup(meta->node_name ? meta->node_name : "");
    conn *old = streams_find_agent(c->agent_id);
    if (old)
        admission_close(old, RPC_ABORTED, "Kicked.", "kick");
    go_live(c, 0);
    return c;
}

conn *admission_open(const void *gw, size_t gw_len, const Internal__V1__StreamMessage *m)
{
    if (streams_find(m->stream_id))
        return NULL; /* already known: a repeated OPEN */
    conn *c = streams_add(gw, gw_len, m->stream_id, m->meta);
    if (!c)
        return NULL;
    if (m->meta && m->meta->resync)
        return take_over(c, m->meta);
    c->state = CONN_ADMIT_DB;
    admit_job *j = calloc(1, sizeof *j);
    if (!j) {
        reject(c, RPC_RESOURCE_EXHAUSTED, "out of memory");
        return NULL;
    }
    j->c = c;
    conn_ref(c); /* the job's */
    if (dbpool_submit(admit_work, admit_done, j) != 0) {
        conn_unref(c);
        free(j);
        reject(c, RPC_UNAVAILABLE, "agentsd is stopping");
    }
    return NULL;
}
