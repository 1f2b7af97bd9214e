/* Integration tests of configd's platform.v1 and uievents.v1 methods
 * against PostgreSQL: a server that is not connected to Percona Platform
 * answers each method as upstream's platform.go does, ServerInfo reads the
 * server's id from the settings, and UI events are accepted and counted
 * in configd's internal.v1.MetricsService text. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "configd/app.h"
#include "configd/metrics.h"
#include "configd/platform.h"
#include "configd/settings_env.h"
#include "configd/uievents.h"
#include "db/daemon_db.h"
#include "internal/v1/metrics.pb-c.h"
#include "platform/v1/platform.pb-c.h"
#include "db/settings.h"
#include "tests/lib/checkrun.h"
#include "tests/lib/pgtest.h"
#include "tests/lib/rpccall.h"
#include "uievents/v1/server.pb-c.h"

static db_params params;
static app the_app;
static daemon_worker w;
static char msg[RPC_MESSAGE_MAX];

static void setup(void)
{
    ck_assert_int_eq(pgtest_fresh_db("test_configd_platform", &params), 0);
    memset(&the_app, 0, sizeof the_app);
    the_app.db = params;
    w.app = &the_app;
    w.db = db_new(&params);
    ck_assert_int_eq(db_migrate(w.db), 0);
}

static void teardown(void)
{
    db_destroy(w.db);
    pgtest_params_clear(&params);
}

static int call(const char *method, const ProtobufCMessage *req, ProtobufCMessage **resp)
{
    const rpc_method *m = rpc_method_find(platform_methods, platform_methods_count, method);
    if (!m)
        m = rpc_method_find(uievents_methods, uievents_methods_count, method);
    if (!m)
        m = rpc_method_find(configd_metrics_methods, configd_metrics_methods_count, method);
    ck_assert_msg(m != NULL, "no method %s", method);
    return rpc_call_method(m, &w, NULL, req, resp, msg);
}

#define P "/platform.v1.PlatformService/"

START_TEST(connect_checks_then_refuses)
{
    Platform__V1__ConnectRequest req = PLATFORM__V1__CONNECT_REQUEST__INIT;
    req.personal_access_token = "tok";
    ck_assert_int_eq(call(P "Connect", &req.base, NULL), RPC_INVALID_ARGUMENT);
    ck_assert_str_eq(msg, "invalid ConnectRequest.ServerName: value length must be at least 1 runes");
    req.server_name = "pmm-prod";
    ck_assert_int_eq(call(P "Connect", &req.base, NULL), RPC_FAILED_PRECONDITION);
    ck_assert_str_eq(msg, "The address of PMM server is not set");
    rpc_status st;
    ck_assert_int_eq(settings_update(w.db, &(settings_params){ .pmm_public_address = "pmm.example.com" }, NULL, &st),
                     RPC_OK);
    ck_assert_int_eq(call(P "Connect", &req.base, NULL), RPC_FAILED_PRECONDITION);
    ck_assert_str_eq(msg, "Connecting to Percona Platform is not supported by this PMM Server.");
}
END_TEST

START_TEST(not_connected_answers)
{
    Platform__V1__DisconnectRequest d = PLATFORM__V1__DISCONNECT_REQUEST__INIT;
    d.force = true;
    ck_assert_int_eq(call(P "Disconnect", &d.base, NULL), RPC_ABORTED);
    ck_assert_str_eq(msg, "Failed to fetch SSO details.");

    const char *token = "Failed to get user access token. Please sign in using your Percona Portal account.";
    Platform__V1__SearchOrganizationTicketsRequest t = PLATFORM__V1__SEARCH_ORGANIZATION_TICKETS_REQUEST__INIT;
    ck_assert_int_eq(call(P "SearchOrganizationTickets", &t.base, NULL), RPC_UNAUTHENTICATED);
    ck_assert_str_eq(msg, token);
    Platform__V1__SearchOrganizationEntitlementsRequest e =
        PLATFORM__V1__SEARCH_ORGANIZATION_ENTITLEMENTS_REQUEST__INIT;
    ck_assert_int_eq(call(P "SearchOrganizationEntitlements", &e.base, NULL), RPC_UNAUTHENTICATED);
    ck_assert_str_eq(msg, token);
    Platform__V1__GetContactInformationRequest c = PLATFORM__V1__GET_CONTACT_INFORMATION_REQUEST__INIT;
    ck_assert_int_eq(call(P "GetContactInformation", &c.base, NULL), RPC_UNAUTHENTICATED);
    ck_assert_str_eq(msg, token);
    Platform__V1__UserStatusRequest u = PLATFORM__V1__USER_STATUS_REQUEST__INIT;
    ck_assert_int_eq(call(P "UserStatus", &u.base, NULL), RPC_UNAUTHENTICATED);
    ck_assert_str_eq(msg, token);
}
END_TEST

START_TEST(server_info_from_settings)
{
    /* configd's start gives the server its id */
    envvars none;
    memset(&none, 0, sizeof none);
    rpc_status st;
    ck_assert_int_eq(settings_env_apply(w.db, &none, &st), RPC_OK);
    settings s;
    ck_assert_int_eq(settings_load(w.db, &s, &st), RPC_OK);
    Platform__V1__ServerInfoRequest req = PLATFORM__V1__SERVER_INFO_REQUEST__INIT;
    Platform__V1__ServerInfoResponse *r;
    ck_assert_int_eq(call(P "ServerInfo", &req.base, (ProtobufCMessage **)&r), RPC_OK);
    ck_assert_int_eq(strlen(r->pmm_server_id), 36);
    ck_assert_str_eq(r->pmm_server_id, s.pmm_server_id);
    ck_assert_str_eq(r->pmm_server_telemetry_id, s.telemetry_uuid);
    ck_assert_str_eq(r->pmm_server_name, "");
    ck_assert(!r->connected_to_portal);
    settings_free(&s);
    protobuf_c_message_free_unpacked(&r->base, NULL);
}
END_TEST

/* The value of one sample line of configd's metrics text, -1 if absent. */
static long sample(const char *name)
{
    Internal__V1__MetricsRequest req = INTERNAL__V1__METRICS_REQUEST__INIT;
    Internal__V1__MetricsResponse *r;
    ck_assert_int_eq(call("/internal.v1.MetricsService/Metrics", &req.base, (ProtobufCMessage **)&r), RPC_OK);
    long v = -1;
    char want[200];
    snprintf(want, sizeof want, "\n%s ", name);
    const char *at = strstr(r->text, want);
    if (at)
        v = strtol(at + strlen(want), NULL, 10);
    protobuf_c_message_free_unpacked(&r->base, NULL);
    return v;
}

START_TEST(ui_events_counted)
{
    ck_assert_int_eq(sample("pmm_managed_ui_events_store_requests_total"), 0);
    Uievents__V1__NotificationEvent n1 = UIEVENTS__V1__NOTIFICATION_EVENT__INIT, n2 = n1;
    Uievents__V1__NotificationEvent *ns[] = { &n1, &n2 };
    Uievents__V1__DashboardUsageEvent d1 = UIEVENTS__V1__DASHBOARD_USAGE_EVENT__INIT;
    Uievents__V1__DashboardUsageEvent *ds[] = { &d1 };
    Uievents__V1__StoreRequest req = UIEVENTS__V1__STORE_REQUEST__INIT;
    req.n_notifications = 2;
    req.notifications = ns;
    req.n_dashboard_usage = 1;
    req.dashboard_usage = ds;
    ProtobufCMessage *r;
    ck_assert_int_eq(call("/uievents.v1.UIEventsService/Store", &req.base, &r), RPC_OK);
    ck_assert_str_eq(r->descriptor->name, "google.protobuf.Empty");
    protobuf_c_message_free_unpacked(r, NULL);
    Uievents__V1__StoreRequest empty = UIEVENTS__V1__STORE_REQUEST__INIT;
    ck_assert_int_eq(call("/uievents.v1.UIEventsService/Store", &empty.base, NULL), RPC_OK);

    ck_assert_int_eq(sample("pmm_managed_ui_events_store_requests_total"), 2);
    ck_assert_int_eq(sample("pmm_managed_ui_events_total{kind=\"notifications\"}"), 2);
    ck_assert_int_eq(sample("pmm_managed_ui_events_total{kind=\"dashboard_usage\"}"), 1);
    ck_assert_int_eq(sample("pmm_managed_ui_events_total{kind=\"fetching\"}"), 0);
    ck_assert_int_eq(sample("pmm_managed_ui_events_total{kind=\"user_flow_events\"}"), 0);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("configd_platform");
    TCase *tc = tcase_create("all");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, connect_checks_then_refuses);
    tcase_add_test(tc, not_connected_answers);
    tcase_add_test(tc, server_info_from_settings);
    tcase_add_test(tc, ui_events_counted);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return check_run(suite());
}
