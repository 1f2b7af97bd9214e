/* test_bus: client, server and events end to end over ipc:// sockets in a
 * temporary directory, inside one test process (one fork per test). */
#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "clock.h"
#include "bus/bus.h"
#include "google/protobuf/empty.pb-c.h"
#include "google/protobuf/wrappers.pb-c.h"
#include "tests/lib/checkrun.h"

/* ---- handlers -------------------------------------------------------------- */

static int app_marker;
static atomic_int slow_runs, count_runs, inits, finis;

static void *worker_init(void *app)
{
    atomic_fetch_add(&inits, 1);
    int *w = malloc(sizeof *w);
    *w = app == &app_marker ? 42 : -1; /* h_echo checks it */
    return w;
}

static void worker_fini(void *w)
{
    atomic_fetch_add(&finis, 1);
    free(w);
}

static Google__Protobuf__StringValue *string_value(const char *s)
{
    Google__Protobuf__StringValue *v = malloc(sizeof *v);
    google__protobuf__string_value__init(v);
    v->value = strdup(s);
    return v;
}

static int h_echo(rpc_ctx *ctx, const ProtobufCMessage *req, ProtobufCMessage **resp)
{
    const Google__Protobuf__StringValue *in = (const Google__Protobuf__StringValue *)req;
    if (!ctx->worker || *(int *)ctx->worker != 42 || ctx->app != &app_marker)
        return rpc_fail(&ctx->status, RPC_INTERNAL, "bad context");
    char *buf;
    if (asprintf(&buf, "echo:%s|%s|%s", in->value, ctx->req->user, ctx->req->role) < 0)
        return rpc_fail(&ctx->status, RPC_RESOURCE_EXHAUSTED, "no memory");
    Google__Protobuf__StringValue *out = string_value("");
    free(out->value);
    out->value = buf;
    *resp = &out->base;
    return RPC_OK;
}

static int h_fail(rpc_ctx *ctx, const ProtobufCMessage *req, ProtobufCMessage **resp)
{
    (void)resp;
    char q[128];
    rpc_quote(q, sizeof q, ((const Google__Protobuf__StringValue *)req)->value);
    return rpc_fail(&ctx->status, RPC_NOT_FOUND, "Node with ID %s not found.", q);
}

static int h_slow(rpc_ctx *ctx, const ProtobufCMessage *req, ProtobufCMessage **resp)
{
    (void)ctx;
    const Google__Protobuf__Int32Value *in = (const Google__Protobuf__Int32Value *)req;
    usleep((useconds_t)in->value * 1000);
    atomic_fetch_add(&slow_runs, 1);
    *resp = &string_value("slow done")->base;
    return RPC_OK;
}

static int h_count(rpc_ctx *ctx, const ProtobufCMessage *req, ProtobufCMessage **resp)
{
    (void)ctx;
    (void)req;
    atomic_fetch_add(&count_runs, 1);
    Google__Protobuf__Empty *e = malloc(sizeof *e);
    google__protobuf__empty__init(e);
    *resp = &e->base;
    return RPC_OK;
}

static int h_null(rpc_ctx *ctx, const ProtobufCMessage *req, ProtobufCMessage **resp)
{
    (void)ctx;
    (void)req;
    (void)resp;
    return RPC_OK;
}

static int h_die(rpc_ctx *ctx, const ProtobufCMessage *req, ProtobufCMessage **resp)
{
    (void)ctx;
    (void)req;
    (void)resp;
    _exit(0); /* the daemon crashes while handling the call */
}

/* Answers later from a thread of its own (bus_defer): after value ms,
 * "later:<value>", or NOT_FOUND for a negative value. */
typedef struct {
    bus_deferred *d;
    int ms;
} later_job;

static pthread_t later_threads[16];
static atomic_int n_later;

static void *later_main(void *arg)
{
    later_job *j = arg;
    usleep((useconds_t)(j->ms < 0 ? -j->ms : j->ms) * 1000);
    if (j->ms < 0) {
        bus_deferred_reply(j->d, RPC_NOT_FOUND, "no such thing", NULL);
    } else {
        char text[32];
        snprintf(text, sizeof text, "later:%d", j->ms);
        Google__Protobuf__StringValue *v = string_value(text);
        bus_deferred_reply(j->d, RPC_OK, NULL, &v->base);
        google__protobuf__string_value__free_unpacked(v, NULL);
    }
    free(j);
    return NULL;
}

static int h_later(rpc_ctx *ctx, const ProtobufCMessage *req, ProtobufCMessage **resp)
{
    (void)resp;
    later_job *j = malloc(sizeof *j);
    j->ms = ((const Google__Protobuf__Int32Value *)req)->value;
    j->d = bus_defer(ctx);
    if (!j->d) {
        free(j);
        return rpc_fail(&ctx->status, RPC_INTERNAL, "cannot defer");
    }
    int i = atomic_fetch_add(&n_later, 1);
    if (i >= 16 || pthread_create(&later_threads[i], NULL, later_main, j) != 0)
        abort();
    return RPC_DEFERRED;
}

static void join_later(void)
{
    for (int i = 0; i < atomic_load(&n_later); i++)
        pthread_join(later_threads[i], NULL);
    n_later = 0;
}

static const rpc_method methods[] = {
    {"/test.v1.Test/Later", &google__protobuf__int32_value__descriptor, h_later},
    {"/test.v1.Test/Echo", &google__protobuf__string_value__descriptor, h_echo},
    {"/test.v1.Test/Fail", &google__protobuf__string_value__descriptor, h_fail},
    {"/test.v1.Test/Slow", &google__protobuf__int32_value__descriptor, h_slow},
    {"/test.v1.Test/Count", &google__protobuf__empty__descriptor, h_count},
    {"/test.v1.Test/Null", &google__protobuf__empty__descriptor, h_null},
    {"/test.v1.Test/Die", &google__protobuf__empty__descriptor, h_die},
};

/* ---- fixture --------------------------------------------------------------- */

typedef struct {
    char dir[64];
    char ep[160];
    void *ctx;
    bus_server *srv;
    pthread_t thread;
    volatile sig_atomic_t stop;
    int run_rc;
} fixture;

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void *run_thread(void *arg)
{
    fixture *f = arg;
    f->run_rc = bus_server_run(f->srv, &f->stop);
    return NULL;
}

static bus_server *server_new(fixture *f, int workers)
{
    bus_server_config cfg = {
        .endpoint = f->ep, .methods = methods, .n_methods = sizeof methods / sizeof methods[0],
        .workers = workers, .worker_init = worker_init, .worker_fini = worker_fini, .app = &app_marker,
    };
    return bus_server_new(f->ctx, &cfg);
}

static void server_start(fixture *f, int workers)
{
    f->srv = server_new(f, workers);
    ck_assert_ptr_nonnull(f->srv);
    f->stop = 0;
    f->run_rc = -2;
    ck_assert_int_eq(pthread_create(&f->thread, NULL, run_thread, f), 0);
}

static void server_stop(fixture *f)
{
    f->stop = 1;
    pthread_join(f->thread, NULL);
    ck_assert_int_eq(f->run_rc, 0);
    bus_server_destroy(f->srv);
    f->srv = NULL;
}

static void counters_reset(void)
{
    slow_runs = count_runs = inits = finis = 0;
}

static void fixture_init(fixture *f)
{
    counters_reset();
    memset(f, 0, sizeof *f);
    strcpy(f->dir, "/tmp/bus-test-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(f->dir));
    bus_endpoint(f->ep, sizeof f->ep, f->dir, "testd");
    f->ctx = zmq_ctx_new();
    ck_assert_ptr_nonnull(f->ctx);
}

/* Everything must be closed by now, or zmq_ctx_term would hang; the socket
 * files must be gone, or rmdir fails. */
static void fixture_done(fixture *f)
{
    ck_assert_int_eq(zmq_ctx_term(f->ctx), 0);
    ck_assert_msg(rmdir(f->dir) == 0, "rmdir %s: %s", f->dir, strerror(errno));
}

/* ---- calling helpers ------------------------------------------------------- */

static void body_of(const ProtobufCMessage *m, bus_request *req)
{
    req->body_len = protobuf_c_message_get_packed_size(m);
    req->body = malloc(req->body_len ? req->body_len : 1);
    protobuf_c_message_pack(m, req->body);
}

static int call_msg(bus_client *c, const char *method, const ProtobufCMessage *m, int timeout,
                    bus_reply *rep)
{
    bus_request req = {.method = (char *)method, .user = "alice", .role = "admin"};
    body_of(m, &req);
    int code = bus_client_call(c, &req, timeout, rep);
    ck_assert_uint_ne(req.id, 0);
    ck_assert_int_ne(req.deadline_ms, 0);
    free(req.body);
    return code;
}

/* Echo s; returns the code, the echoed value in out (malloc'd) when OK. */
static int call_echo(bus_client *c, const char *s, int timeout, char **out)
{
    Google__Protobuf__StringValue v = GOOGLE__PROTOBUF__STRING_VALUE__INIT;
    v.value = (char *)s;
    bus_reply rep;
    int code = call_msg(c, "/test.v1.Test/Echo", &v.base, timeout, &rep);
    ck_assert_int_eq(code, rep.code);
    *out = NULL;
    if (code == RPC_OK) {
        Google__Protobuf__StringValue *r =
            google__protobuf__string_value__unpack(NULL, rep.body_len, rep.body);
        ck_assert_ptr_nonnull(r);
        *out = strdup(r->value);
        google__protobuf__string_value__free_unpacked(r, NULL);
    }
    bus_reply_clear(&rep);
    return code;
}

static int call_slow(bus_client *c, int ms, int timeout, bus_reply *rep)
{
    Google__Protobuf__Int32Value v = GOOGLE__PROTOBUF__INT32_VALUE__INIT;
    v.value = ms;
    return call_msg(c, "/test.v1.Test/Slow", &v.base, timeout, rep);
}

static int call_empty(bus_client *c, const char *method, int timeout, bus_reply *rep)
{
    Google__Protobuf__Empty e = GOOGLE__PROTOBUF__EMPTY__INIT;
    return call_msg(c, method, &e.base, timeout, rep);
}

static void assert_echo(bus_client *c, const char *s)
{
    char *out, want[256];
    ck_assert_int_eq(call_echo(c, s, 2000, &out), RPC_OK);
    snprintf(want, sizeof want, "echo:%s|alice|admin", s);
    ck_assert_str_eq(out, want);
    free(out);
}

/* A raw DEALER exchange: sends n frames, returns the decoded reply of the
 * ["", reply] answer (or fails the test). */
static void raw_exchange(fixture *f, const void *const *frames, const size_t *lens, int n, bus_reply *rep)
{
    void *s = zmq_socket(f->ctx, ZMQ_DEALER);
    int zero = 0, timeout = 2000;
    zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(s, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
    ck_assert_int_eq(zmq_connect(s, f->ep), 0);
    for (int i = 0; i < n; i++)
        ck_assert_int_ge(zmq_send(s, frames[i], lens[i], i + 1 < n ? ZMQ_SNDMORE : 0), 0);
    char delim[8];
    ck_assert_int_eq(zmq_recv(s, delim, sizeof delim, 0), 0);
    zmq_msg_t m;
    zmq_msg_init(&m);
    ck_assert_int_ge(zmq_msg_recv(&m, s, 0), 0);
    ck_assert(!zmq_msg_more(&m));
    ck_assert_int_eq(bus_reply_decode(zmq_msg_data(&m), zmq_msg_size(&m), rep), 0);
    zmq_msg_close(&m);
    zmq_close(s);
}

/* ---- tests ----------------------------------------------------------------- */

START_TEST(test_endpoints)
{
    char ep[128];
    bus_endpoint(ep, sizeof ep, "/run/pmm", "inventoryd");
    ck_assert_str_eq(ep, "ipc:///run/pmm/inventoryd.sock");
    bus_pub_endpoint(ep, sizeof ep, "/run/pmm", "inventoryd");
    ck_assert_str_eq(ep, "ipc:///run/pmm/inventoryd.pub");
}
END_TEST

START_TEST(test_call_roundtrip)
{
    fixture f;
    fixture_init(&f);
    server_start(&f, 3);
    bus_client *c = bus_client_new(f.ctx, f.ep);
    ck_assert_ptr_nonnull(c);
    for (int i = 0; i < 50; i++) {
        char s[32];
        snprintf(s, sizeof s, "hello-%d", i);
        assert_echo(c, s);
    }
    /* ids come from one counter: consecutive calls, consecutive ids */
    bus_request a = {.method = "/test.v1.Test/Count"}, b = {.method = "/test.v1.Test/Count"};
    bus_reply ra, rb;
    ck_assert_int_eq(bus_client_call(c, &a, 1000, &ra), RPC_OK);
    ck_assert_int_eq(bus_client_call(c, &b, 1000, &rb), RPC_OK);
    ck_assert_uint_eq(b.id, a.id + 1);
    ck_assert_uint_eq(ra.id, a.id);
    ck_assert_uint_eq(rb.id, b.id);
    bus_reply_clear(&ra);
    bus_reply_clear(&rb);

    /* a large body both ways */
    size_t big = 8u << 20;
    char *text = malloc(big + 1), *out;
    memset(text, 'b', big);
    text[big] = '\0';
    ck_assert_int_eq(call_echo(c, text, 10000, &out), RPC_OK);
    ck_assert_uint_eq(strlen(out), big + strlen("echo:|alice|admin"));
    ck_assert(strncmp(out + 5, text, big) == 0);
    free(out);
    free(text);

    bus_server_stats st;
    bus_server_get_stats(f.srv, &st);
    ck_assert_uint_eq(st.requests, 53);
    ck_assert_uint_eq(st.malformed, 0);
    bus_client_destroy(c);
    server_stop(&f);
    ck_assert_int_eq(inits, 3);
    ck_assert_int_eq(finis, 3);
    fixture_done(&f);
}
END_TEST

typedef struct {
    fixture *f;
    int ms;
    int code;
    char text[64];
    int64_t took_ms;
} later_call;

static void *later_call_main(void *arg)
{
    later_call *lc = arg;
    bus_client *c = bus_client_new(lc->f->ctx, lc->f->ep);
    Google__Protobuf__Int32Value v = GOOGLE__PROTOBUF__INT32_VALUE__INIT;
    v.value = lc->ms;
    bus_reply rep;
    int64_t t0 = mono_ms();
    lc->code = call_msg(c, "/test.v1.Test/Later", &v.base, 5000, &rep);
    lc->took_ms = mono_ms() - t0;
    if (lc->code == RPC_OK) {
        Google__Protobuf__StringValue *r = google__protobuf__string_value__unpack(NULL, rep.body_len, rep.body);
        snprintf(lc->text, sizeof lc->text, "%s", r ? r->value : "?");
        google__protobuf__string_value__free_unpacked(r, NULL);
    } else {
        snprintf(lc->text, sizeof lc->text, "%s", rep.message ? rep.message : "");
    }
    bus_reply_clear(&rep);
    bus_client_destroy(c);
    return NULL;
}

/* A deferred answer leaves the one worker free: calls made meanwhile are
 * answered at once, and the deferred ones arrive later, each to its own
 * caller, errors included. */
START_TEST(test_deferred_answers_free_the_worker)
{
    fixture f;
    fixture_init(&f);
    server_start(&f, 1);
    later_call calls[3] = {{.f = &f, .ms = 600}, {.f = &f, .ms = 400}, {.f = &f, .ms = -300}};
    pthread_t t[3];
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(pthread_create(&t[i], NULL, later_call_main, &calls[i]), 0);
    usleep(100 * 1000);
    bus_client *c = bus_client_new(f.ctx, f.ep);
    for (int i = 0; i < 5; i++) {
        int64_t t0 = mono_ms();
        assert_echo(c, "meanwhile");
        ck_assert_int_lt(mono_ms() - t0, 200);
    }
    for (int i = 0; i < 3; i++)
        pthread_join(t[i], NULL);
    ck_assert_int_eq(calls[0].code, RPC_OK);
    ck_assert_str_eq(calls[0].text, "later:600");
    ck_assert_int_ge(calls[0].took_ms, 590);
    ck_assert_int_eq(calls[1].code, RPC_OK);
    ck_assert_str_eq(calls[1].text, "later:400");
    ck_assert_int_eq(calls[2].code, RPC_NOT_FOUND);
    ck_assert_str_eq(calls[2].text, "no such thing");
    bus_server_stats st;
    bus_server_get_stats(f.srv, &st);
    ck_assert_uint_eq(st.deferred, 3);
    bus_client_destroy(c);
    join_later();
    server_stop(&f);
    fixture_done(&f);
}
END_TEST

/* An answer deferred past the server's stop goes nowhere: the caller ends
 * at its deadline, and nothing hangs or leaks. */
START_TEST(test_deferred_answer_after_stop)
{
    fixture f;
    fixture_init(&f);
    server_start(&f, 1);
    later_call lc = {.f = &f, .ms = 500};
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, later_call_main, &lc), 0);
    usleep(200 * 1000);
    server_stop(&f);
    join_later();
    pthread_join(t, NULL);
    ck_assert_int_ne(lc.code, RPC_OK);
    fixture_done(&f);
}
END_TEST

START_TEST(test_errors_propagate)
{
    fixture f;
    fixture_init(&f);
    server_start(&f, 2);
    bus_client *c = bus_client_new(f.ctx, f.ep);
    bus_reply rep;

    Google__Protobuf__StringValue v = GOOGLE__PROTOBUF__STRING_VALUE__INIT;
    v.value = "pmm-server";
    ck_assert_int_eq(call_msg(c, "/test.v1.Test/Fail", &v.base, 1000, &rep), RPC_NOT_FOUND);
    ck_assert_str_eq(rep.message, "Node with ID \"pmm-server\" not found.");
    ck_assert_uint_eq(rep.body_len, 0);
    bus_reply_clear(&rep);

    ck_assert_int_eq(call_empty(c, "/test.v1.Test/Nope", 1000, &rep), RPC_UNIMPLEMENTED);
    ck_assert_str_eq(rep.message, "unknown method Nope for service test.v1.Test");
    bus_reply_clear(&rep);
    /* a service of which nothing is served here, as grpc-go words it */
    ck_assert_int_eq(call_empty(c, "/test.v1.Tes/Echo", 1000, &rep), RPC_UNIMPLEMENTED);
    ck_assert_str_eq(rep.message, "unknown service test.v1.Tes");
    bus_reply_clear(&rep);

    bus_request bad = {.method = "/test.v1.Test/Echo", .body = (uint8_t *)"\xff\xff\xff", .body_len = 3};
    ck_assert_int_eq(bus_client_call(c, &bad, 1000, &rep), RPC_INVALID_ARGUMENT);
    ck_assert_str_eq(rep.message, "failed to parse request body as google.protobuf.StringValue");
    bus_reply_clear(&rep);

    ck_assert_int_eq(call_empty(c, "/test.v1.Test/Null", 1000, &rep), RPC_INTERNAL);
    bus_reply_clear(&rep);

    bus_server_stats st;
    bus_server_get_stats(f.srv, &st);
    ck_assert_uint_eq(st.unknown_method, 2);
    ck_assert_uint_eq(st.requests, 5);
    assert_echo(c, "still serving");
    bus_client_destroy(c);
    server_stop(&f);
    fixture_done(&f);
}
END_TEST

START_TEST(test_no_server_is_unavailable_at_once)
{
    fixture f;
    fixture_init(&f);
    bus_client *c = bus_client_new(f.ctx, f.ep);
    ck_assert_ptr_nonnull(c);
    for (int i = 0; i < 3; i++) {
        bus_reply rep;
        int64_t t0 = mono_ms();
        ck_assert_int_eq(call_empty(c, "/test.v1.Test/Count", 5000, &rep), RPC_UNAVAILABLE);
        int64_t took = mono_ms() - t0;
        ck_assert_msg(took < 100, "call %d took %lld ms", i, (long long)took);
        char want[256];
        snprintf(want, sizeof want, "%s is unavailable", f.ep);
        ck_assert_str_eq(rep.message, want);
        bus_reply_clear(&rep);
    }
    bus_client_destroy(c);
    fixture_done(&f);
}
END_TEST

/* The slow call ends at its deadline; the next call on the same client gets
 * its own reply, not the late one of the slow call. */
START_TEST(test_timeout_then_next_call)
{
    fixture f;
    fixture_init(&f);
    server_start(&f, 2);
    bus_client *c = bus_client_new(f.ctx, f.ep);
    bus_reply rep;
    int64_t t0 = mono_ms();
    ck_assert_int_eq(call_slow(c, 400, 150, &rep), RPC_DEADLINE_EXCEEDED);
    int64_t took = mono_ms() - t0;
    ck_assert_msg(took >= 140 && took < 350, "slow call ended after %lld ms", (long long)took);
    bus_reply_clear(&rep);
    assert_echo(c, "next");
    usleep(400 * 1000); /* the slow reply arrives now: it must not confuse anyone */
    assert_echo(c, "after the late reply");
    ck_assert_int_eq(slow_runs, 1);
    bus_client_destroy(c);
    server_stop(&f);
    fixture_done(&f);
}
END_TEST

static void *slow_caller(void *arg)
{
    fixture *f = arg;
    bus_client *c = bus_client_new(f->ctx, f->ep);
    bus_reply rep;
    int code = call_slow(c, 500, 3000, &rep);
    bus_reply_clear(&rep);
    bus_client_destroy(c);
    return (void *)(intptr_t)code;
}

/* A request whose deadline passed before a worker got to it is not run. */
START_TEST(test_expired_request_not_run)
{
    fixture f;
    fixture_init(&f);
    server_start(&f, 2);

    /* sent with a deadline already in the past (a raw envelope: the client
     * itself would refuse to send it) */
    bus_request req = {.id = 99, .method = "/test.v1.Test/Count", .deadline_ms = clock_wall_ms() - 1000};
    uint8_t *buf;
    size_t len;
    ck_assert_int_eq(bus_request_encode(&req, &buf, &len), 0);
    const void *frames[] = {"", buf};
    size_t lens[] = {0, len};
    bus_reply rep;
    raw_exchange(&f, frames, lens, 2, &rep);
    free(buf);
    ck_assert_int_eq(rep.code, RPC_DEADLINE_EXCEEDED);
    ck_assert_uint_eq(rep.id, 99);
    bus_reply_clear(&rep);

    /* queued behind two slow calls that hold both workers */
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        pthread_create(&t[i], NULL, slow_caller, &f);
    usleep(100 * 1000);
    bus_client *c = bus_client_new(f.ctx, f.ep);
    ck_assert_int_eq(call_empty(c, "/test.v1.Test/Count", 100, &rep), RPC_DEADLINE_EXCEEDED);
    bus_reply_clear(&rep);
    for (int i = 0; i < 2; i++) {
        void *code;
        pthread_join(t[i], &code);
        ck_assert_int_eq((int)(intptr_t)code, RPC_OK);
    }
    usleep(100 * 1000);
    ck_assert_int_eq(count_runs, 0);
    bus_server_stats st;
    bus_server_get_stats(f.srv, &st);
    ck_assert_uint_eq(st.expired, 2);
    ck_assert_int_eq(call_empty(c, "/test.v1.Test/Count", 1000, &rep), RPC_OK);
    bus_reply_clear(&rep);
    ck_assert_int_eq(count_runs, 1);
    bus_client_destroy(c);
    server_stop(&f);
    fixture_done(&f);
}
END_TEST

static void assert_malformed(const bus_reply *rep)
{
    ck_assert_uint_eq(rep->id, 0);
    ck_assert_int_eq(rep->code, RPC_INVALID_ARGUMENT);
    ck_assert_str_eq(rep->message, "malformed bus envelope");
}

START_TEST(test_garbage_gets_malformed_reply)
{
    fixture f;
    fixture_init(&f);
    server_start(&f, 2);
    uint8_t junk[200];
    srand(4242);
    bus_reply rep;
    for (int i = 0; i < 20; i++) {
        for (size_t j = 0; j < sizeof junk; j++)
            junk[j] = (uint8_t)rand();
        const void *frames[] = {"", junk};
        size_t lens[] = {0, (size_t)(rand() % (int)sizeof junk)};
        raw_exchange(&f, frames, lens, 2, &rep);
        assert_malformed(&rep);
        bus_reply_clear(&rep);
    }
    /* frames that are not ["", envelope] at all */
    const void *one[] = {junk};
    size_t one_len[] = {sizeof junk};
    raw_exchange(&f, one, one_len, 1, &rep);
    assert_malformed(&rep);
    bus_reply_clear(&rep);
    const void *three[] = {"", junk, junk};
    size_t three_len[] = {0, 10, 10};
    raw_exchange(&f, three, three_len, 3, &rep);
    assert_malformed(&rep);
    bus_reply_clear(&rep);

    bus_server_stats st;
    bus_server_get_stats(f.srv, &st);
    ck_assert_uint_eq(st.malformed, 22);
    bus_client *c = bus_client_new(f.ctx, f.ep);
    assert_echo(c, "fine");
    bus_client_destroy(c);
    server_stop(&f);
    fixture_done(&f);
}
END_TEST

static void *echo_caller(void *arg)
{
    fixture *f = arg;
    bus_client *c = bus_client_new(f->ctx, f->ep);
    char s[64];
    for (int i = 0; i < 100; i++) {
        snprintf(s, sizeof s, "t%lu-%d", (unsigned long)pthread_self(), i);
        assert_echo(c, s);
    }
    bus_client_destroy(c);
    return NULL;
}

START_TEST(test_concurrent_clients)
{
    fixture f;
    fixture_init(&f);
    server_start(&f, 4);
    pthread_t t[6];
    for (int i = 0; i < 6; i++)
        ck_assert_int_eq(pthread_create(&t[i], NULL, echo_caller, &f), 0);
    for (int i = 0; i < 6; i++)
        pthread_join(t[i], NULL);
    bus_server_stats st;
    bus_server_get_stats(f.srv, &st);
    ck_assert_uint_eq(st.requests, 600);
    server_stop(&f);
    fixture_done(&f);
}
END_TEST

START_TEST(test_stop_is_prompt)
{
    fixture f;
    fixture_init(&f);
    server_start(&f, 4);
    bus_client *c = bus_client_new(f.ctx, f.ep);
    assert_echo(c, "x");
    int64_t t0 = mono_ms();
    f.stop = 1;
    pthread_join(f.thread, NULL);
    int64_t took = mono_ms() - t0;
    ck_assert_msg(took < 1000, "stop took %lld ms", (long long)took);
    ck_assert_int_eq(f.run_rc, 0);
    ck_assert_int_eq(finis, 4);
    bus_server_destroy(f.srv);
    bus_client_destroy(c);
    fixture_done(&f);
}
END_TEST

/* A request in flight when the stop flag is set still gets its reply. */
START_TEST(test_stop_answers_in_flight)
{
    fixture f;
    fixture_init(&f);
    server_start(&f, 2);
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, slow_caller, &f), 0); /* 500 ms handler */
    usleep(150 * 1000);
    int64_t t0 = mono_ms();
    f.stop = 1;
    pthread_join(f.thread, NULL);
    ck_assert_int_lt(mono_ms() - t0, 1000);
    void *code;
    pthread_join(t, &code);
    ck_assert_int_eq((int)(intptr_t)code, RPC_OK);
    ck_assert_int_eq(slow_runs, 1);
    bus_server_destroy(f.srv);
    fixture_done(&f);
}
END_TEST

START_TEST(test_endpoint_in_use_is_refused)
{
    fixture f;
    fixture_init(&f);
    server_start(&f, 1);
    ck_assert_ptr_null(server_new(&f, 1));
    bus_client *c = bus_client_new(f.ctx, f.ep);
    assert_echo(c, "first server still serves");
    bus_client_destroy(c);
    server_stop(&f);
    bus_server_config none = {0};
    ck_assert_ptr_null(bus_server_new(f.ctx, &none));
    ck_assert_ptr_null(bus_server_new(f.ctx, NULL));
    fixture_done(&f);
}
END_TEST

/* A daemon that dies under a call: the call ends UNAVAILABLE as soon as
 * the connection drops, well before its deadline; once it is back (a stale socket file left behind), the same
 * client reaches it again. */
START_TEST(test_daemon_dies_and_returns)
{
    fixture f;
    counters_reset();
    memset(&f, 0, sizeof f);
    strcpy(f.dir, "/tmp/bus-test-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(f.dir));
    bus_endpoint(f.ep, sizeof f.ep, f.dir, "testd");
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        alarm(20);
        f.ctx = zmq_ctx_new();
        f.srv = server_new(&f, 2);
        if (!f.srv)
            _exit(3);
        bus_server_run(f.srv, &f.stop);
        _exit(4);
    }
    f.ctx = zmq_ctx_new();
    bus_client *c = bus_client_new(f.ctx, f.ep);
    char *out = NULL;
    for (int i = 0; i < 100 && call_echo(c, "up?", 500, &out) != RPC_OK; i++)
        usleep(20 * 1000);
    ck_assert_ptr_nonnull(out);
    free(out);

    bus_reply rep;
    int64_t t0 = mono_ms();
    ck_assert_int_eq(call_empty(c, "/test.v1.Test/Die", 3000, &rep), RPC_UNAVAILABLE);
    int64_t took = mono_ms() - t0;
    ck_assert_msg(took < 1500, "took %lld ms", (long long)took);
    ck_assert_msg(strstr(rep.message, "/test.v1.Test/Die: ") == rep.message &&
                      strstr(rep.message, "went away during the call"),
                  "%s", rep.message);
    bus_reply_clear(&rep);
    int status;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);

    ck_assert_int_eq(call_echo(c, "down", 1000, &out), RPC_UNAVAILABLE);
    struct stat st;
    ck_assert_int_eq(stat(f.ep + 6, &st), 0); /* the dead daemon's socket file */

    server_start(&f, 2);
    for (int i = 0; i < 100 && call_echo(c, "back", 500, &out) != RPC_OK; i++)
        usleep(20 * 1000);
    ck_assert_str_eq(out, "echo:back|alice|admin");
    free(out);
    bus_client_destroy(c);
    server_stop(&f);
    fixture_done(&f);
}
END_TEST

static int recv_event(bus_sub *s, int timeout, char **topic, char **payload)
{
    uint8_t *p;
    size_t len;
    int rc = bus_sub_recv(s, timeout, topic, &p, &len);
    if (rc == 1) {
        *payload = strndup((char *)p, len);
        free(p);
    }
    return rc;
}

START_TEST(test_pub_sub)
{
    fixture f;
    fixture_init(&f);
    char ep1[160], ep2[160];
    bus_pub_endpoint(ep1, sizeof ep1, f.dir, "inventoryd");
    bus_pub_endpoint(ep2, sizeof ep2, f.dir, "agentsd");
    bus_pub *p1 = bus_pub_new(f.ctx, ep1), *p2 = bus_pub_new(f.ctx, ep2);
    ck_assert_ptr_nonnull(p1);
    ck_assert_ptr_nonnull(p2);
    bus_sub *s = bus_sub_new(f.ctx);
    ck_assert_int_eq(bus_sub_connect(s, ep1, "inventory."), 0);
    ck_assert_int_eq(bus_sub_connect(s, ep2, "agents.connected"), 0);

    char *topic = NULL, *payload = NULL;
    /* subscriptions travel asynchronously: publish until one lands */
    int got = 0;
    for (int i = 0; i < 100 && !got; i++) {
        ck_assert_int_eq(bus_pub_send(p1, "inventory.changed", "hello", 5), 0);
        got = recv_event(s, 20, &topic, &payload);
    }
    ck_assert_int_eq(got, 1);
    ck_assert_str_eq(topic, "inventory.changed");
    ck_assert_str_eq(payload, "hello");
    free(topic);
    free(payload);
    while (recv_event(s, 50, &topic, &payload) == 1) {
        free(topic);
        free(payload);
    }
    got = 0;
    for (int i = 0; i < 100 && !got; i++) {
        ck_assert_int_eq(bus_pub_send(p2, "agents.connected", "a1", 2), 0);
        got = recv_event(s, 20, &topic, &payload);
    }
    ck_assert_int_eq(got, 1);
    ck_assert_str_eq(topic, "agents.connected");
    free(topic);
    free(payload);
    while (recv_event(s, 50, &topic, &payload) == 1) {
        free(topic);
        free(payload);
    }

    /* prefix filtering: these never arrive */
    ck_assert_int_eq(bus_pub_send(p1, "backup.changed", "x", 1), 0);
    ck_assert_int_eq(bus_pub_send(p2, "agents.disconnected", "x", 1), 0);
    ck_assert_int_eq(bus_pub_send(p1, "inventory.deleted", NULL, 0), 0);
    ck_assert_int_eq(recv_event(s, 1000, &topic, &payload), 1);
    ck_assert_str_eq(topic, "inventory.deleted");
    ck_assert_str_eq(payload, "");
    free(topic);
    free(payload);
    ck_assert_int_eq(recv_event(s, 100, &topic, &payload), 0);

    bus_sub_destroy(s);
    bus_pub_destroy(p1);
    bus_pub_destroy(p2);
    fixture_done(&f);
}
END_TEST

static Suite *bus_suite(void)
{
    Suite *s = suite_create("bus");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_endpoints);
    tcase_add_test(tc, test_call_roundtrip);
    tcase_add_test(tc, test_errors_propagate);
    tcase_add_test(tc, test_no_server_is_unavailable_at_once);
    tcase_add_test(tc, test_timeout_then_next_call);
    tcase_add_test(tc, test_expired_request_not_run);
    tcase_add_test(tc, test_garbage_gets_malformed_reply);
    tcase_add_test(tc, test_concurrent_clients);
    tcase_add_test(tc, test_stop_is_prompt);
    tcase_add_test(tc, test_stop_answers_in_flight);
    tcase_add_test(tc, test_endpoint_in_use_is_refused);
    tcase_add_test(tc, test_daemon_dies_and_returns);
    tcase_add_test(tc, test_pub_sub);
    tcase_add_test(tc, test_deferred_answers_free_the_worker);
    tcase_add_test(tc, test_deferred_answer_after_stop);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return check_run(bus_suite());
}
