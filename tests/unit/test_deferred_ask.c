/* Unit tests of agentsd/deferred_ask.c: a bus request answered by a
 * pmm-agent's reply, relayed without holding a bus worker. A real bus
 * server with ONE worker serves requests whose fake agent answers from
 * another thread after a while: they must be in flight together (the
 * burst of scheduled backups in bench/backup_schedules.sh depends on it),
 * and the agent's errors and replies of the wrong kind must come back
 * as the waiting path gives them. */
#include <check.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

#include "agentsd/deferred_ask.h"
#include "clock.h"
#include "google/protobuf/wrappers.pb-c.h"
#include "tests/lib/checkrun.h"
#include "tests/lib/rpccall.h"

enum { ANSWER_MS = 400, CALLERS = 8 };

static atomic_int async_sends, sync_sends;

/* The agent's reply to agent id: a Pong, a reply of another kind
 * ("wrong"), or none ("gone": the stream's error). */
static int reply_for(const char *id, Agent__V1__AgentMessage **resp, char *msg, size_t len)
{
    *resp = NULL;
    if (strcmp(id, "gone") == 0) {
        snprintf(msg, len, "pmm-agent with ID \"gone\" is not currently connected");
        return RPC_FAILED_PRECONDITION;
    }
    Agent__V1__AgentMessage *m = malloc(sizeof *m);
    agent__v1__agent_message__init(m);
    if (strcmp(id, "wrong") == 0) {
        m->payload_case = AGENT__V1__AGENT_MESSAGE__PAYLOAD_JOB_STATUS;
        m->job_status = malloc(sizeof *m->job_status);
        agent__v1__job_status_response__init(m->job_status);
    } else {
        m->payload_case = AGENT__V1__AGENT_MESSAGE__PAYLOAD_PONG;
        m->pong = malloc(sizeof *m->pong);
        agent__v1__pong__init(m->pong);
    }
    *resp = m;
    return RPC_OK;
}

static int fake_send(const char *id, Agent__V1__ServerMessage *req, int timeout_ms, Agent__V1__AgentMessage **resp,
                     rpc_status *st)
{
    ck_assert_int_eq(req->payload_case, AGENT__V1__SERVER_MESSAGE__PAYLOAD_PING);
    ck_assert_int_gt(timeout_ms, 0);
    atomic_fetch_add(&sync_sends, 1);
    char msg[256];
    int code = reply_for(id, resp, msg, sizeof msg);
    return code == RPC_OK ? RPC_OK : rpc_fail(st, code, "%s", msg);
}

typedef struct {
    char id[64];
    conn_answer_fn cb;
    void *arg;
} later;

static void *answer_later(void *arg)
{
    later *l = arg;
    usleep(ANSWER_MS * 1000);
    Agent__V1__AgentMessage *resp;
    char msg[256] = "";
    int code = reply_for(l->id, &resp, msg, sizeof msg);
    l->cb(l->arg, code, msg, resp);
    free(l);
    return NULL;
}

/* Like conn_request_async: answers once, later, from another thread. */
static int fake_send_async(const char *id, Agent__V1__ServerMessage *req, int timeout_ms, conn_answer_fn cb,
                           void *arg)
{
    ck_assert_int_eq(req->payload_case, AGENT__V1__SERVER_MESSAGE__PAYLOAD_PING);
    ck_assert_int_gt(timeout_ms, 0);
    atomic_fetch_add(&async_sends, 1);
    later *l = malloc(sizeof *l);
    snprintf(l->id, sizeof l->id, "%s", id);
    l->cb = cb;
    l->arg = arg;
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, answer_later, l), 0);
    pthread_detach(t);
    return 0;
}

static int pong_reply(Agent__V1__AgentMessage *resp, ProtobufCMessage **out, rpc_status *st)
{
    (void)st;
    ck_assert_int_eq(resp->payload_case, AGENT__V1__AGENT_MESSAGE__PAYLOAD_PONG);
    Google__Protobuf__StringValue *v = malloc(sizeof *v);
    google__protobuf__string_value__init(v);
    v->value = strdup("pong");
    *out = &v->base;
    return RPC_OK;
}

static const dask_spec spec = { fake_send, fake_send_async, AGENT__V1__AGENT_MESSAGE__PAYLOAD_PONG,
                                "wrong response from agent", pong_reply };

/* The request's value is the agent's id. */
static int h_ask(rpc_ctx *ctx, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    const Google__Protobuf__StringValue *v = (const Google__Protobuf__StringValue *)in;
    Agent__V1__Ping ping = AGENT__V1__PING__INIT;
    Agent__V1__ServerMessage m = AGENT__V1__SERVER_MESSAGE__INIT;
    m.payload_case = AGENT__V1__SERVER_MESSAGE__PAYLOAD_PING;
    m.ping = &ping;
    return dask_ask(ctx, &spec, v->value, &m, 5000, out);
}

static const rpc_method methods[] = {
    { "/test.v1.Agent/Ask", &google__protobuf__string_value__descriptor, h_ask },
};

/* ---- a bus server with one worker ------------------------------------------ */

static char dir[64], ep[128];
static void *zctx;
static bus_server *srv;
static volatile sig_atomic_t stop_flag;
static pthread_t srv_thread;

static void *serve(void *arg)
{
    (void)arg;
    bus_server_run(srv, &stop_flag);
    return NULL;
}

static void start(void)
{
    async_sends = sync_sends = 0;
    strcpy(dir, "/tmp/dask-test-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    bus_endpoint(ep, sizeof ep, dir, "agentsd");
    zctx = zmq_ctx_new();
    bus_server_config cfg = { .endpoint = ep, .methods = methods, .n_methods = 1, .workers = 1 };
    srv = bus_server_new(zctx, &cfg);
    ck_assert_ptr_nonnull(srv);
    stop_flag = 0;
    ck_assert_int_eq(pthread_create(&srv_thread, NULL, serve, NULL), 0);
}

static void finish(void)
{
    stop_flag = 1;
    pthread_join(srv_thread, NULL);
    bus_server_destroy(srv);
    zmq_ctx_term(zctx);
    rmdir(dir);
}

typedef struct {
    const char *agent;
    int code;
    char message[256];
    char value[64];
} call_result;

static void *ask(void *arg)
{
    call_result *r = arg;
    bus_client *c = bus_client_new(zctx, ep);
    Google__Protobuf__StringValue v = GOOGLE__PROTOBUF__STRING_VALUE__INIT;
    v.value = (char *)r->agent;
    bus_request req = { .method = "/test.v1.Agent/Ask", .user = "", .role = "" };
    req.body_len = protobuf_c_message_get_packed_size(&v.base);
    req.body = malloc(req.body_len ? req.body_len : 1);
    protobuf_c_message_pack(&v.base, req.body);
    bus_reply rep;
    r->code = bus_client_call(c, &req, 10000, &rep);
    snprintf(r->message, sizeof r->message, "%s", rep.message ? rep.message : "");
    r->value[0] = '\0';
    if (r->code == RPC_OK) {
        Google__Protobuf__StringValue *o = google__protobuf__string_value__unpack(NULL, rep.body_len, rep.body);
        if (o) {
            snprintf(r->value, sizeof r->value, "%s", o->value);
            google__protobuf__string_value__free_unpacked(o, NULL);
        }
    }
    bus_reply_clear(&rep);
    free(req.body);
    bus_client_destroy(c);
    return NULL;
}

START_TEST(many_in_flight_on_one_worker)
{
    start();
    pthread_t t[CALLERS];
    call_result r[CALLERS];
    int64_t t0 = clock_mono_ms();
    for (int i = 0; i < CALLERS; i++) {
        r[i] = (call_result){ .agent = "pa-1" };
        ck_assert_int_eq(pthread_create(&t[i], NULL, ask, &r[i]), 0);
    }
    for (int i = 0; i < CALLERS; i++)
        pthread_join(t[i], NULL);
    int64_t took = clock_mono_ms() - t0;
    for (int i = 0; i < CALLERS; i++) {
        ck_assert_int_eq(r[i].code, RPC_OK);
        ck_assert_str_eq(r[i].value, "pong");
    }
    ck_assert_int_eq(async_sends, CALLERS);
    ck_assert_int_eq(sync_sends, 0);
    /* one worker waiting for each answer in turn would take CALLERS x ANSWER_MS */
    ck_assert_msg(took < CALLERS * ANSWER_MS * 3 / 4, "took %lld ms: the answers were awaited one by one",
                  (long long)took);
    finish();
}
END_TEST

START_TEST(errors_come_back_deferred)
{
    start();
    call_result gone = { .agent = "gone" }, wrong = { .agent = "wrong" }, none = { .agent = "" };
    ask(&gone);
    ck_assert_int_eq(gone.code, RPC_FAILED_PRECONDITION);
    ck_assert_str_eq(gone.message, "pmm-agent with ID \"gone\" is not currently connected");
    ask(&wrong);
    ck_assert_int_eq(wrong.code, RPC_INTERNAL);
    ck_assert_str_eq(wrong.message, "wrong response from agent");
    ask(&none);
    ck_assert_int_eq(none.code, RPC_INVALID_ARGUMENT);
    ck_assert_str_eq(none.message, "pmm_agent_id is required");
    ck_assert_int_eq(async_sends, 2);
    finish();
}
END_TEST

/* Called without a bus route (as the handlers' unit tests do): it waits. */
START_TEST(without_a_route_it_waits)
{
    async_sends = sync_sends = 0;
    const rpc_method *m = &methods[0];
    Google__Protobuf__StringValue v = GOOGLE__PROTOBUF__STRING_VALUE__INIT;
    v.value = "pa-2";
    ProtobufCMessage *out = NULL;
    char msg[RPC_MESSAGE_MAX];
    ck_assert_int_eq(rpc_call_method(m, NULL, NULL, &v.base, &out, msg), RPC_OK);
    ck_assert_str_eq(((Google__Protobuf__StringValue *)out)->value, "pong");
    protobuf_c_message_free_unpacked(out, NULL);
    v.value = "wrong";
    ck_assert_int_eq(rpc_call_method(m, NULL, NULL, &v.base, NULL, msg), RPC_INTERNAL);
    ck_assert_str_eq(msg, "wrong response from agent");
    v.value = "gone";
    ck_assert_int_eq(rpc_call_method(m, NULL, NULL, &v.base, NULL, msg), RPC_FAILED_PRECONDITION);
    ck_assert_int_eq(sync_sends, 3);
    ck_assert_int_eq(async_sends, 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("deferred_ask");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, many_in_flight_on_one_worker);
    tcase_add_test(tc, errors_come_back_deferred);
    tcase_add_test(tc, without_a_route_it_waits);
    suite_add_tcase(s, tc);
    return check_run(s);
}
