/* conn: requests to a pmm-agent over the stream loop (see conn.h). The
 * caller packs its request, the loop sends it with a fresh id and hands the
 * answer to a callback (conn_request_async); a blocking caller's callback
 * wakes it through a waiter shared by the two threads and freed by
 * whichever lets go last, so a caller that timed out never races the
 * loop. */
#include "clock.h"
#include "conn.h"

#include <errno.h>
#include <stdio.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "loop.h"
#include "requests.h"
#include "streams.h"

typedef struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int refs;
    int done;
    int code;
    char message[1024];
    Agent__V1__AgentMessage *resp;
    int timeout_ms;
} waiter;

static void waiter_unref(waiter *w)
{
    pthread_mutex_lock(&w->mu);
    int last = --w->refs == 0;
    pthread_mutex_unlock(&w->mu);
    if (!last)
        return;
    if (w->resp)
        agent__v1__agent_message__free_unpacked(w->resp, NULL);
    pthread_cond_destroy(&w->cv);
    pthread_mutex_destroy(&w->mu);
    free(w);
}

static void waiter_finish(waiter *w, int code, const char *message, Agent__V1__AgentMessage *resp)
{
    pthread_mutex_lock(&w->mu);
    if (!w->done) {
        w->done = 1;
        w->code = code;
        snprintf(w->message, sizeof w->message, "%s", message ? message : "");
        w->resp = resp;
        resp = NULL;
        pthread_cond_signal(&w->cv);
    }
    pthread_mutex_unlock(&w->mu);
    if (resp)
        agent__v1__agent_message__free_unpacked(resp, NULL);
    waiter_unref(w);
}

/* conn_request_async's callback for a waiting caller. */
static void on_answer(void *arg, int code, const char *message, Agent__V1__AgentMessage *resp)
{
    waiter_finish(arg, code, message, resp);
}

int conn_request(const char *pmm_agent_id, Agent__V1__ServerMessage *req, int timeout_ms,
                 Agent__V1__AgentMessage **resp, rpc_status *st)
{
    *resp = NULL;
    waiter *w = calloc(1, sizeof *w);
    if (!w)
        return rpc_fail(st, RPC_RESOURCE_EXHAUSTED, "out of memory");
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cv, NULL);
    w->refs = 2;
    w->timeout_ms = timeout_ms > 0 ? timeout_ms : 30000;
    if (conn_request_async(pmm_agent_id, req, w->timeout_ms, on_answer, w) != 0) {
        w->refs = 1;
        waiter_unref(w);
        return rpc_fail(st, RPC_RESOURCE_EXHAUSTED, "out of memory");
    }
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    /* the loop times the request out; this is only a safety net */
    int64_t ns = until.tv_nsec + (int64_t)(w->timeout_ms + 2000) % 1000 * 1000000;
    until.tv_sec += (w->timeout_ms + 2000) / 1000 + ns / 1000000000;
    until.tv_nsec = ns % 1000000000;
    pthread_mutex_lock(&w->mu);
    int rc = 0;
    while (!w->done && rc != ETIMEDOUT)
        rc = pthread_cond_timedwait(&w->cv, &w->mu, &until);
    int code = w->done ? w->code : RPC_DEADLINE_EXCEEDED;
    if (w->done && code == RPC_OK) {
        *resp = w->resp;
        w->resp = NULL;
    } else if (w->done) {
        rpc_fail(st, code, "%s", w->message);
    } else {
        rpc_fail(st, code, "context deadline exceeded");
    }
    pthread_mutex_unlock(&w->mu);
    waiter_unref(w);
    return code;
}

/* A request whose answer goes to a callback (conn_request_async). */
typedef struct {
    char *agent_id;
    uint8_t *packed;
    size_t packed_len;
    int timeout_ms;
    conn_answer_fn cb;
    void *arg;
} async_req;

static void async_free(async_req *a)
{
    free(a->agent_id);
    free(a->packed);
    free(a);
}

static void on_async_answer(conn *c, void *arg, int code, const char *message, Agent__V1__AgentMessage *resp)
{
    (void)c;
    async_req *a = arg;
    a->cb(a->arg, code, message, resp);
    async_free(a);
}

/* Loop thread. */
static void send_async(void *arg)
{
    async_req *a = arg;
    conn *c = streams_find_agent(a->agent_id);
    Agent__V1__ServerMessage *m = c ? agent__v1__server_message__unpack(NULL, a->packed_len, a->packed) : NULL;
    if (!c) {
        char q[600], msg[700];
        rpc_quote(q, sizeof q, a->agent_id);
        snprintf(msg, sizeof msg, "pmm-agent with ID %s is not currently connected", q);
        a->cb(a->arg, RPC_FAILED_PRECONDITION, msg, NULL);
        async_free(a);
        return;
    }
    if (!m) {
        a->cb(a->arg, RPC_INTERNAL, "cannot re-read the request", NULL);
        async_free(a);
        return;
    }
    /* on_async_answer runs exactly once, now or later, and frees a */
    requests_send(c, m, a->timeout_ms, on_async_answer, a);
    agent__v1__server_message__free_unpacked(m, NULL);
}

int conn_request_async(const char *pmm_agent_id, Agent__V1__ServerMessage *req, int timeout_ms, conn_answer_fn cb,
                       void *arg)
{
    async_req *a = calloc(1, sizeof *a);
    if (!a)
        return -1;
    a->timeout_ms = timeout_ms > 0 ? timeout_ms : 30000;
    a->cb = cb;
    a->arg = arg;
    a->agent_id = strdup(pmm_agent_id ? pmm_agent_id : "");
    a->packed_len = agent__v1__server_message__get_packed_size(req);
    a->packed = malloc(a->packed_len ? a->packed_len : 1);
    if (a->packed)
        agent__v1__server_message__pack(req, a->packed);
    if (!a->agent_id || !a->packed || loop_post(send_async, a) != 0) {
        async_free(a);
        return -1;
    }
    return 0;
}

int conn_timeout_for(const bus_request *req, int cap_ms)
{
    if (!req || req->deadline_ms <= 0)
        return cap_ms;
    int64_t left = req->deadline_ms - clock_wall_ms() - 200;
    if (left < 1)
        return 1;
    return left > cap_ms ? cap_ms : (int)left;
}
