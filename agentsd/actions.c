/* actions: GetAction and CancelAction, the action_results rows and the
 * requests that start and stop actions on a pmm-agent (see actions.h). */
#include "actions_internal.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "actions/v1/actions.pb-c.h"
#include "agentsd/store/action_results.h"
#include "clock.h"
#include "db/daemon_db.h"
#include "log.h"
#include "pbutil.h"
#include "utf8.h"
#include "validate.h"
#include "uuid.h"

#define A "/actions.v1.ActionsService/"

conn_sender actions_send;

int action_create(db *d, const char *pmm_agent_id, char *id, rpc_status *st)
{
    uuid_v4(id);
    if (store_action_results_add(d, id, pmm_agent_id, st) != RPC_OK)
        return rpc_fail(st, RPC_FAILED_PRECONDITION, "Couldn't create ActionResult, reason: %s", st->message);
    return RPC_OK;
}

/* Sends msg (the caller's) and drops the agent's empty answer. */
static int send_message(const char *pmm_agent_id, Agent__V1__ServerMessage *msg, int timeout_ms, rpc_status *st)
{
    Agent__V1__AgentMessage *resp = NULL;
    if (!actions_send)
        return rpc_fail(st, RPC_UNAVAILABLE, "pmm-agent connections are not served by this process");
    int rc = actions_send(pmm_agent_id, msg, timeout_ms, &resp, st);
    if (resp)
        protobuf_c_message_free_unpacked(&resp->base, NULL);
    return rc;
}

int action_start(const char *pmm_agent_id, const char *action_id, int timeout_s, const char *params_field,
                 ProtobufCMessage *params, rpc_status *st)
{
    ProtobufCMessage *msg = pb_new(&agent__v1__server_message__descriptor);
    ProtobufCMessage *req = pb_new(&agent__v1__start_action_request__descriptor);
    ProtobufCMessage *timeout = pb_new(&google__protobuf__duration__descriptor);
    int ok = msg && req && timeout && pb_set_str(req, "action_id", action_id) == 0 &&
             pb_set_i64(timeout, "seconds", timeout_s) == 0;
    if (ok) {
        ok = pb_set_msg(req, "timeout", timeout) == 0;
        timeout = NULL;
    }
    if (ok) {
        ok = pb_set_msg(req, params_field, params) == 0;
        params = NULL;
    }
    if (ok) {
        ok = pb_set_msg(msg, "start_action", req) == 0;
        req = NULL;
    }
    ProtobufCMessage *left[] = { timeout, params, req };
    for (size_t i = 0; i < 3; i++)
        if (left[i])
            protobuf_c_message_free_unpacked(left[i], NULL);
    int rc = ok ? send_message(pmm_agent_id, (Agent__V1__ServerMessage *)msg, (timeout_s + 5) * 1000, st)
                : rpc_fail(st, RPC_INTERNAL, "out of memory");
    if (msg)
        protobuf_c_message_free_unpacked(msg, NULL);
    return rc;
}

/* The row of action id (NOT_FOUND as upstream's FindActionResultByID). */
static PGresult *load_result(db *d, const char *id, rpc_status *st)
{
    PGresult *r = store_action_results_get(d, id, st);
    if (r && PQntuples(r) == 0) {
        char q[128];
        rpc_quote(q, sizeof q, id);
        rpc_fail(st, RPC_NOT_FOUND, "ActionResult with ID %s not found.", q);
        PQclear(r);
        return NULL;
    }
    return r;
}

static int get_action(rpc_ctx *ctx, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    daemon_worker *w = ctx->worker;
    const Actions__V1__GetActionRequest *req = (const Actions__V1__GetActionRequest *)in;
    if (validate_uuid(&ctx->status, req->action_id, "GetActionRequest", "ActionId") != RPC_OK)
        return ctx->status.code;
    PGresult *r = load_result(w->db, req->action_id, &ctx->status);
    if (!r)
        return ctx->status.code;
    size_t len = 0;
    unsigned char *output = PQgetisnull(r, 0, 4) ? NULL : PQunescapeBytea((const unsigned char *)PQgetvalue(r, 0, 4), &len);
    ProtobufCMessage *resp = pb_new(&actions__v1__get_action_response__descriptor);
    char *text = malloc(len + 1);
    int rc = RPC_OK;
    if (!resp || !text) {
        rc = rpc_fail(&ctx->status, RPC_INTERNAL, "out of memory");
    } else if (output && (memchr(output, 0, len) || !utf8_valid((const char *)output, len))) {
        /* Go's marshalling refuses a string field that is not UTF-8. */
        rc = rpc_fail(&ctx->status, RPC_INTERNAL, "grpc: error while marshaling: string field contains invalid UTF-8");
    } else {
        if (len)
            memcpy(text, output, len);
        text[len] = '\0';
        if (pb_set_str(resp, "action_id", PQgetvalue(r, 0, 0)) || pb_set_str(resp, "pmm_agent_id", PQgetvalue(r, 0, 1)) ||
            pb_set_str(resp, "output", text) || pb_set_bool(resp, "done", PQgetvalue(r, 0, 2)[0] == 't') ||
            pb_set_str(resp, "error", PQgetvalue(r, 0, 3)))
            rc = rpc_fail(&ctx->status, RPC_INTERNAL, "out of memory");
    }
    free(text);
    PQfreemem(output);
    PQclear(r);
    if (rc != RPC_OK) {
        if (resp)
            protobuf_c_message_free_unpacked(resp, NULL);
        return rc;
    }
    *out = resp;
    return RPC_OK;
}

/* Stops the action on the pmm-agent that runs it. (Upstream looks the
 * agent up by the action id, so its CancelAction always fails with "not
 * currently connected"; the intent, and §13, is the action's agent.) */
static int cancel_action(rpc_ctx *ctx, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    daemon_worker *w = ctx->worker;
    const Actions__V1__CancelActionRequest *req = (const Actions__V1__CancelActionRequest *)in;
    if (validate_uuid(&ctx->status, req->action_id, "CancelActionRequest", "ActionId") != RPC_OK)
        return ctx->status.code;
    PGresult *r = load_result(w->db, req->action_id, &ctx->status);
    if (!r)
        return ctx->status.code;
    char *agent = strdup(PQgetvalue(r, 0, 1));
    PQclear(r);
    ProtobufCMessage *msg = pb_new(&agent__v1__server_message__descriptor);
    ProtobufCMessage *stop = pb_new(&agent__v1__stop_action_request__descriptor);
    int rc;
    if (!agent || !msg || !stop || pb_set_str(stop, "action_id", req->action_id) != 0) {
        if (stop)
            protobuf_c_message_free_unpacked(stop, NULL);
        rc = rpc_fail(&ctx->status, RPC_INTERNAL, "out of memory");
    } else if (pb_set_msg(msg, "stop_action", stop) != 0) {
        rc = rpc_fail(&ctx->status, RPC_INTERNAL, "out of memory");
    } else {
        rc = send_message(agent, (Agent__V1__ServerMessage *)msg, ACTION_TIMEOUT_S * 1000, &ctx->status);
    }
    if (msg)
        protobuf_c_message_free_unpacked(msg, NULL);
    free(agent);
    if (rc == RPC_OK && !(*out = pb_new(&actions__v1__cancel_action_response__descriptor)))
        rc = rpc_fail(&ctx->status, RPC_INTERNAL, "out of memory");
    return rc;
}

/* Stored results wake the threads waiting for action rows (query actions
 * of advisor checks): a generation counter under one condition variable. */
static pthread_mutex_t results_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t results_cond;
static pthread_once_t results_once = PTHREAD_ONCE_INIT;
static unsigned long results_gen;

static void results_init(void)
{
    pthread_condattr_t a;
    pthread_condattr_init(&a);
    pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
    pthread_cond_init(&results_cond, &a);
    pthread_condattr_destroy(&a);
}

static void results_notify(void)
{
    pthread_once(&results_once, results_init);
    pthread_mutex_lock(&results_lock);
    results_gen++;
    pthread_cond_broadcast(&results_cond);
    pthread_mutex_unlock(&results_lock);
}

/* Whether every row of ids is done (a missing row counts as done: the
 * caller reads it and reports it). */
static bool all_done(db *d, const char *const *ids, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        rpc_status st = { 0 };
        PGresult *r = store_action_results_get(d, ids[i], &st);
        bool done = !r || PQntuples(r) == 0 || PQgetvalue(r, 0, 2)[0] == 't';
        PQclear(r);
        if (!done)
            return false;
    }
    return true;
}

void action_wait_done(db *d, const char *const *ids, size_t n, int64_t deadline_ms)
{
    pthread_once(&results_once, results_init);
    for (;;) {
        pthread_mutex_lock(&results_lock);
        unsigned long seen = results_gen;
        pthread_mutex_unlock(&results_lock);
        if (all_done(d, ids, n))
            return;
        int64_t now = clock_mono_ms(), left = deadline_ms - now;
        if (left <= 0)
            return;
        int64_t wait = left < 1000 ? left : 1000; /* upstream polls every second */
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        ts.tv_sec += wait / 1000;
        ts.tv_nsec += (wait % 1000) * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_mutex_lock(&results_lock);
        while (results_gen == seen && pthread_cond_timedwait(&results_cond, &results_lock, &ts) == 0)
            ;
        pthread_mutex_unlock(&results_lock);
    }
}

int actions_store_result(void *d, const char *pmm_agent_id, const Agent__V1__AgentMessage *msg)
{
    if (!msg || msg->payload_case != AGENT__V1__AGENT_MESSAGE__PAYLOAD_ACTION_RESULT || !msg->action_result)
        return RPC_INVALID_ARGUMENT;
    const Agent__V1__ActionResultRequest *res = msg->action_result;
    rpc_status st = { 0 };
    bool found = false;
    if (store_action_results_set(d, res->action_id, pmm_agent_id, res->done, res->error, res->output.data,
                                 res->output.len, &found, &st) != RPC_OK) {
        log_warn("Failed to change action %s: %s", res->action_id, st.message);
        return st.code;
    }
    if (!found) {
        log_warn("Failed to change action %s: not found", res->action_id);
        return RPC_NOT_FOUND;
    }
    if (!res->done && *res->error)
        log_warn("Action was done with an error: %s.", res->error);
    if (res->done)
        results_notify();
    return RPC_OK;
}

const rpc_method actions_methods[] = {
    { A "GetAction", &actions__v1__get_action_request__descriptor, get_action },
    { A "StartServiceAction", &actions__v1__start_service_action_request__descriptor, actions_start_service },
    { A "StartPTSummaryAction", &actions__v1__start_ptsummary_action_request__descriptor, actions_start_pt_summary },
    { A "CancelAction", &actions__v1__cancel_action_request__descriptor, cancel_action },
};
const size_t actions_methods_count = sizeof actions_methods / sizeof *actions_methods;
