/* test_dispatch: the gateway's relay (gateway/dispatch.c) knows the
 * daemons the suite runs: a service of a daemon the suite does not run
 * (here backupd and checksd, left out of the list this test gives) or of
 * no daemon is answered at once with
 * grpc-go's Unimplemented text, a daemon of the suite that is down is
 * UNAVAILABLE (as while it restarts), and a daemon that runs answers
 * unknown methods and services in grpc-go's words too. */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <zmq.h>

#include "bus/bus.h"
#include "gateway/dispatch.h"
#include "google/protobuf/empty.pb-c.h"
#include "tests/lib/checkrun.h"

static char dir[] = "/tmp/test-dispatch-XXXXXX";
static void *zctx;

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void setup(void)
{
    ck_assert_ptr_nonnull(mkdtemp(dir));
    zctx = zmq_ctx_new();
    ck_assert_int_eq(dispatch_init(zctx, dir, 400, "inventoryd, configd agentsd"), 0);
}

static void teardown(void)
{
    dispatch_thread_done();
    zmq_ctx_term(zctx);
    rmdir(dir);
    strcpy(dir, "/tmp/test-dispatch-XXXXXX");
}

/* Calls method; returns the code, the message in msg, the time in *ms. */
static int call(const char *method, char *msg, size_t n, int64_t *ms)
{
    bus_reply rep;
    int64_t t0 = mono_ms();
    int code = dispatch_call(method, "admin", "admin", NULL, 0, 0, &rep);
    *ms = mono_ms() - t0;
    snprintf(msg, n, "%s", rep.message ? rep.message : "");
    bus_reply_clear(&rep);
    return code;
}

START_TEST(suite_daemons_listed)
{
    ck_assert_str_eq(dispatch_daemon(0), "inventoryd");
    ck_assert_str_eq(dispatch_daemon(1), "configd");
    ck_assert_str_eq(dispatch_daemon(2), "agentsd");
    ck_assert_ptr_null(dispatch_daemon(3));
}
END_TEST

START_TEST(daemon_not_in_suite_is_unimplemented_at_once)
{
    char msg[256];
    int64_t ms;
    ck_assert_int_eq(call("/backup.v1.BackupService/ListArtifacts", msg, sizeof msg, &ms), RPC_UNIMPLEMENTED);
    ck_assert_str_eq(msg, "unknown service backup.v1.BackupService");
    ck_assert_int_lt(ms, 100);
    ck_assert_int_eq(call("/advisors.v1.AdvisorService/ListAdvisors", msg, sizeof msg, &ms), RPC_UNIMPLEMENTED);
    ck_assert_str_eq(msg, "unknown service advisors.v1.AdvisorService");
    ck_assert_int_eq(call("/dump.v1beta1.DumpService/ListDumps", msg, sizeof msg, &ms), RPC_UNIMPLEMENTED);
    ck_assert_int_eq(call("/alerting.v1.AlertingService/ListTemplates", msg, sizeof msg, &ms), RPC_UNIMPLEMENTED);
    ck_assert_int_eq(call("/nobody.v1.Service/X", msg, sizeof msg, &ms), RPC_UNIMPLEMENTED);
    ck_assert_str_eq(msg, "unknown service nobody.v1.Service");

    bus_reply rep;
    ck_assert_int_eq(dispatch_call_daemon("backupd", "/internal.v1.MetricsService/Metrics", NULL, 0, 0, &rep),
                     RPC_UNIMPLEMENTED);
    bus_reply_clear(&rep);
}
END_TEST

START_TEST(suite_daemon_down_is_unavailable)
{
    char msg[256];
    int64_t ms;
    ck_assert_int_eq(call("/inventory.v1.NodesService/ListNodes", msg, sizeof msg, &ms), RPC_UNAVAILABLE);
    ck_assert_msg(strstr(msg, "inventoryd.sock is unavailable") != NULL, "%s", msg);
    ck_assert_int_eq(call("/server.v1.ServerService/CheckUpdates", msg, sizeof msg, &ms), RPC_UNAVAILABLE);
    ck_assert_msg(strstr(msg, "configd.sock is unavailable") != NULL, "%s", msg);
}
END_TEST

/* ---- a running daemon ---------------------------------------------------- */

static int h_ok(rpc_ctx *ctx, const ProtobufCMessage *req, ProtobufCMessage **resp)
{
    (void)ctx;
    (void)req;
    *resp = malloc(sizeof(Google__Protobuf__Empty));
    google__protobuf__empty__init((Google__Protobuf__Empty *)*resp);
    return RPC_OK;
}

static const rpc_method inv_methods[] = {
    { "/inventory.v1.NodesService/ListNodes", &google__protobuf__empty__descriptor, h_ok },
};

static volatile sig_atomic_t stop;
static void *serve(void *arg)
{
    bus_server_run(arg, &stop);
    return NULL;
}

START_TEST(running_daemon_words_unknowns_as_grpc_go)
{
    char ep[256], msg[256];
    bus_endpoint(ep, sizeof ep, dir, "inventoryd");
    bus_server_config cfg = { .endpoint = ep, .methods = inv_methods, .n_methods = 1, .workers = 1 };
    bus_server *s = bus_server_new(zctx, &cfg);
    ck_assert_ptr_nonnull(s);
    stop = 0;
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, serve, s), 0);
    int64_t ms;
    int code = -1;
    for (int i = 0; i < 20 && code != RPC_OK; i++)
        code = call("/inventory.v1.NodesService/ListNodes", msg, sizeof msg, &ms);
    ck_assert_int_eq(code, RPC_OK);
    ck_assert_int_eq(call("/inventory.v1.NodesService/Nope", msg, sizeof msg, &ms), RPC_UNIMPLEMENTED);
    ck_assert_str_eq(msg, "unknown method Nope for service inventory.v1.NodesService");
    ck_assert_int_eq(call("/inventory.v1.FooService/Bar", msg, sizeof msg, &ms), RPC_UNIMPLEMENTED);
    ck_assert_str_eq(msg, "unknown service inventory.v1.FooService");
    stop = 1;
    pthread_join(t, NULL);
    bus_server_destroy(s);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("dispatch");
    TCase *tc = tcase_create("all");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, suite_daemons_listed);
    tcase_add_test(tc, daemon_not_in_suite_is_unimplemented_at_once);
    tcase_add_test(tc, suite_daemon_down_is_unavailable);
    tcase_add_test(tc, running_daemon_words_unknowns_as_grpc_go);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return check_run(suite());
}
