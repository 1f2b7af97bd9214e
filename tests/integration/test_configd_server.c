/* Integration tests of configd's server.v1 methods: Version's shape and
 * test hooks, Readiness against a real PostgreSQL and a real inventoryd
 * Ping on the bus (and its 503 reasons), LeaderHealthCheck. */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zmq.h>

#include "bus/peers.h"
#include "configd/app.h"
#include "configd/server.h"
#include "db/daemon_db.h"
#include "pbutil.h"
#include "server/v1/server.pb-c.h"
#include "tests/lib/checkrun.h"
#include "tests/lib/rpccall.h"
#include "tests/lib/pgtest.h"

static db_params params;
static app the_app;
static daemon_worker w;
static void *zctx;
static char run_dir[] = "/tmp/test-configd-XXXXXX";

/* One handler, run as the bus server runs it (tests/lib/rpccall.h). */
static int call(const char *method, const ProtobufCMessage *req, ProtobufCMessage **resp, char *msg)
{
    const rpc_method *m = rpc_method_find(server_methods, server_methods_count, method);
    ck_assert_msg(m != NULL, "no method %s", method);
    return rpc_call_method(m, &w, NULL, req, resp, msg);
}

/* A stand-in daemon (arg: its name): serves nothing but the built-in Ping. */
static volatile sig_atomic_t fake_stop;
static void *fake_daemon(void *arg)
{
    daemon_serve(zctx, run_dir, arg, NULL, 0, 1, &params, NULL, &fake_stop);
    return NULL;
}

static void setup(void)
{
    ck_assert_int_eq(pgtest_fresh_db("test_configd_server", &params), 0);
    the_app.db = params;
    w.app = &the_app;
    w.db = db_new(&params);
    ck_assert_int_eq(db_migrate(w.db), 0);
    zctx = zmq_ctx_new();
    ck_assert_ptr_nonnull(mkdtemp(run_dir));
    ck_assert_int_eq(bus_peers_init(zctx, run_dir), 0);
}

static void teardown(void)
{
    bus_peers_thread_done();
    zmq_ctx_term(zctx);
    rmdir(run_dir);
    strcpy(run_dir, "/tmp/test-configd-XXXXXX");
    db_destroy(w.db);
    pgtest_params_clear(&params);
}

START_TEST(version_shape_and_hooks)
{
    char msg[RPC_MESSAGE_MAX];
    Server__V1__VersionRequest req = SERVER__V1__VERSION_REQUEST__INIT;
    Server__V1__VersionResponse *resp;
    ck_assert_int_eq(call("/server.v1.ServerService/Version", &req.base, (ProtobufCMessage **)&resp, msg), 0);
    ck_assert_str_eq(resp->version, PMM_VERSION);
    ck_assert_ptr_nonnull(resp->server);
    ck_assert_ptr_nonnull(resp->managed);
    ck_assert_str_eq(resp->managed->version, PMM_VERSION);
    ck_assert(strncmp(resp->managed->full_version, PMM_VERSION "-", strlen(PMM_VERSION) + 1) == 0);
    ck_assert_ptr_nonnull(resp->managed->timestamp);
    ck_assert_int_gt(resp->managed->timestamp->seconds, 1700000000);
    protobuf_c_message_free_unpacked(&resp->base, NULL);

    req.dummy = "grpccode-16";
    ck_assert_int_eq(call("/server.v1.ServerService/Version", &req.base, NULL, msg), 16);
    ck_assert_str_eq(msg, "gRPC code 16 (Unauthenticated)");
    req.dummy = "grpccode-7";
    ck_assert_int_eq(call("/server.v1.ServerService/Version", &req.base, NULL, msg), 7);
    ck_assert_str_eq(msg, "gRPC code 7 (PermissionDenied)");
    req.dummy = "panic-error";
    ck_assert_int_eq(call("/server.v1.ServerService/Version", &req.base, NULL, msg), 13);
    ck_assert_str_eq(msg, "Internal server error.");
}
END_TEST

START_TEST(readiness_needs_daemons_and_postgres)
{
    char msg[RPC_MESSAGE_MAX];
    Server__V1__ReadinessRequest req = SERVER__V1__READINESS_REQUEST__INIT;
    ck_assert_int_eq(call("/server.v1.ServerService/Readiness", &req.base, NULL, msg), RPC_UNAVAILABLE);
    ck_assert_msg(strstr(msg, "inventoryd is not ready") != NULL, "%s", msg);

    fake_stop = 0;
    pthread_t t, t2;
    ck_assert_int_eq(pthread_create(&t, NULL, fake_daemon, "inventoryd"), 0);
    int code = -1;
    /* inventoryd answers now; agentsd still does not. */
    for (int i = 0; i < 50; i++) {
        code = call("/server.v1.ServerService/Readiness", &req.base, NULL, msg);
        if (code == RPC_UNAVAILABLE && strstr(msg, "agentsd is not ready"))
            break;
        usleep(50 * 1000);
    }
    ck_assert_msg(code == RPC_UNAVAILABLE && strstr(msg, "agentsd is not ready"), "%d %s", code, msg);
    ck_assert_int_eq(pthread_create(&t2, NULL, fake_daemon, "agentsd"), 0);
    code = -1;
    for (int i = 0; i < 50 && code != 0; i++) {
        code = call("/server.v1.ServerService/Readiness", &req.base, NULL, msg);
        if (code)
            usleep(50 * 1000);
    }
    ck_assert_msg(code == 0, "%s", msg);

    /* PostgreSQL gone: 503 with the reason. */
    db_params dead = { .addr = "127.0.0.1:1", .dbname = "x", .user = "x", .password = "x", .sslmode = "disable" };
    db *saved = w.db;
    w.db = db_new(&dead);
    ck_assert_int_eq(call("/server.v1.ServerService/Readiness", &req.base, NULL, msg), RPC_UNAVAILABLE);
    ck_assert_str_ne(msg, "");
    db_destroy(w.db);
    w.db = saved;

    fake_stop = 1;
    pthread_join(t, NULL);
    pthread_join(t2, NULL);
}
END_TEST

START_TEST(leader_health_check)
{
    char msg[RPC_MESSAGE_MAX];
    Server__V1__LeaderHealthCheckRequest req = SERVER__V1__LEADER_HEALTH_CHECK_REQUEST__INIT;
    ck_assert_int_eq(call("/server.v1.ServerService/LeaderHealthCheck", &req.base, NULL, msg), 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("configd_server");
    TCase *tc = tcase_create("server");
    tcase_set_timeout(tc, 60);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, version_shape_and_hooks);
    tcase_add_test(tc, readiness_needs_daemons_and_postgres);
    tcase_add_test(tc, leader_health_check);
    suite_add_tcase(s, tc);
    return check_run(s);
}
