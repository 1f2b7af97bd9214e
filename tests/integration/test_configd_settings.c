/* Integration tests of configd's settings methods against PostgreSQL:
 * GetSettings' defaults, ChangeSettings' validation texts and codes, SSH
 * key handling, persistence, the refusal to change what PMM_* variables
 * set, GetReadOnlySettings, the start-up step (environment applied,
 * server id set) and the settings.changed event. */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zmq.h>

#include "configd/app.h"
#include "configd/settings_api.h"
#include "configd/settings_env.h"
#include "db/daemon_db.h"
#include "google/protobuf/duration.pb-c.h"
#include "server/v1/server.pb-c.h"
#include "tests/lib/checkrun.h"
#include "tests/lib/pgtest.h"
#include "tests/lib/rpccall.h"

static db_params params;
static app the_app;
static daemon_worker w;
static char msg[RPC_MESSAGE_MAX];

static void setup(void)
{
    ck_assert_int_eq(pgtest_fresh_db("test_configd_settings", &params), 0);
    memset(&the_app, 0, sizeof the_app);
    the_app.db = params;
    the_app.distribution = "docker";
    w.app = &the_app;
    w.db = db_new(&params);
    ck_assert_int_eq(db_migrate(w.db), 0);
}

static void teardown(void)
{
    envvars_free(&the_app.env);
    db_destroy(w.db);
    pgtest_params_clear(&params);
}

static int call(const char *method, const ProtobufCMessage *req, ProtobufCMessage **resp)
{
    const rpc_method *m = rpc_method_find(settings_methods, settings_methods_count, method);
    ck_assert_msg(m != NULL, "no method %s", method);
    return rpc_call_method(m, &w, NULL, req, resp, msg);
}

static Server__V1__Settings *get(Server__V1__GetSettingsResponse **holder)
{
    Server__V1__GetSettingsRequest req = SERVER__V1__GET_SETTINGS_REQUEST__INIT;
    ck_assert_int_eq(call("/server.v1.ServerService/GetSettings", &req.base, (ProtobufCMessage **)holder), 0);
    ck_assert_ptr_nonnull((*holder)->settings);
    return (*holder)->settings;
}

/* ChangeSettings; returns the code (msg has the text). */
static int change(Server__V1__ChangeSettingsRequest *req)
{
    return call("/server.v1.ServerService/ChangeSettings", &req->base, NULL);
}

static Google__Protobuf__Duration dur(int64_t s, int32_t nanos)
{
    Google__Protobuf__Duration d = GOOGLE__PROTOBUF__DURATION__INIT;
    d.seconds = s;
    d.nanos = nanos;
    return d;
}

START_TEST(defaults_as_upstream)
{
    Server__V1__GetSettingsResponse *r;
    Server__V1__Settings *s = get(&r);
    ck_assert(s->updates_enabled && s->telemetry_enabled && s->advisor_enabled && s->alerting_enabled &&
              s->backup_management_enabled);
    ck_assert(!s->azurediscover_enabled && !s->enable_access_control && !s->enable_internal_pg_qan);
    ck_assert_int_eq(s->metrics_resolutions->hr->seconds, 5);
    ck_assert_int_eq(s->metrics_resolutions->mr->seconds, 10);
    ck_assert_int_eq(s->metrics_resolutions->lr->seconds, 60);
    ck_assert_int_eq(s->data_retention->seconds, 2592000);
    ck_assert_int_eq(s->advisor_run_intervals->standard_interval->seconds, 86400);
    ck_assert_int_eq(s->advisor_run_intervals->rare_interval->seconds, 280800);
    ck_assert_int_eq(s->advisor_run_intervals->frequent_interval->seconds, 14400);
    ck_assert_int_eq(s->update_snooze_duration->seconds, 604800);
    ck_assert_uint_eq(s->n_aws_partitions, 1);
    ck_assert_str_eq(s->aws_partitions[0], "aws");
    ck_assert_uint_gt(s->default_role_id, 0);
    protobuf_c_message_free_unpacked(&r->base, NULL);
}
END_TEST

START_TEST(validation_texts_and_codes)
{
    Server__V1__MetricsResolutions mr = SERVER__V1__METRICS_RESOLUTIONS__INIT;
    Google__Protobuf__Duration d = dur(0, 500000000);
    mr.hr = &d;
    Server__V1__ChangeSettingsRequest req = SERVER__V1__CHANGE_SETTINGS_REQUEST__INIT;
    req.metrics_resolutions = &mr;
    ck_assert_int_eq(change(&req), RPC_INVALID_ARGUMENT);
    ck_assert_str_eq(msg, "Invalid argument: hr: minimal resolution is 1s.");
    d = dur(1, 500000000);
    ck_assert_int_eq(change(&req), RPC_INVALID_ARGUMENT);
    ck_assert_str_eq(msg, "Invalid argument: hr: should be a natural number of seconds.");
    mr.hr = NULL;
    mr.lr = &d;
    ck_assert_int_eq(change(&req), RPC_INVALID_ARGUMENT);
    ck_assert_str_eq(msg, "Invalid argument: lr: should be a natural number of seconds.");
    req.metrics_resolutions = NULL;

    Google__Protobuf__Duration ret = dur(12 * 3600, 0);
    req.data_retention = &ret;
    ck_assert_int_eq(change(&req), RPC_INVALID_ARGUMENT);
    ck_assert_str_eq(msg, "Invalid argument: data_retention: minimal resolution is 24h.");
    ret = dur(36 * 3600, 0);
    ck_assert_int_eq(change(&req), RPC_INVALID_ARGUMENT);
    ck_assert_str_eq(msg, "Invalid argument: data_retention: should be a natural number of days.");
    req.data_retention = NULL;

    Server__V1__AdvisorRunIntervals ai = SERVER__V1__ADVISOR_RUN_INTERVALS__INIT;
    Google__Protobuf__Duration half = dur(0, 1000);
    ai.frequent_interval = &half;
    req.advisor_run_intervals = &ai;
    ck_assert_int_eq(change(&req), RPC_INVALID_ARGUMENT);
    ck_assert_str_eq(msg, "Invalid argument: frequent_interval: minimal resolution is 1s.");
    req.advisor_run_intervals = NULL;

    Common__StringArray parts = COMMON__STRING_ARRAY__INIT;
    char *bad[] = { "aws", "mars" };
    parts.n_values = 2;
    parts.values = bad;
    req._aws_partitions_case = SERVER__V1__CHANGE_SETTINGS_REQUEST___AWS_PARTITIONS_AWS_PARTITIONS;
    req.aws_partitions = &parts;
    ck_assert_int_eq(change(&req), RPC_INVALID_ARGUMENT);
    ck_assert_str_eq(msg, "Invalid argument: aws_partitions: partition \"mars\" is invalid.");
    char *many[] = { "aws", "aws", "aws", "aws", "aws" };
    parts.n_values = 5;
    parts.values = many;
    ck_assert_int_eq(change(&req), RPC_INVALID_ARGUMENT);
    ck_assert_str_eq(msg, "Invalid argument: aws_partitions: list is too long.");
    req._aws_partitions_case = 0;

    req._ssh_key_case = SERVER__V1__CHANGE_SETTINGS_REQUEST___SSH_KEY_SSH_KEY;
    req.ssh_key = "not a key";
    ck_assert_int_eq(change(&req), RPC_INVALID_ARGUMENT);
    ck_assert_str_eq(msg, "Invalid SSH key.");
    /* A real key, but this is not an appliance: nothing is saved. */
    req.ssh_key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8g user@host";
    ck_assert_int_eq(change(&req), RPC_INTERNAL);
    ck_assert_str_eq(msg, "SSH key can be set only on AMI and OVF distributions");

    Server__V1__GetSettingsResponse *r;
    Server__V1__Settings *s = get(&r);
    ck_assert_str_eq(s->ssh_key, "");
    ck_assert_int_eq(s->metrics_resolutions->hr->seconds, 5);
    ck_assert_int_eq(s->data_retention->seconds, 2592000);
    protobuf_c_message_free_unpacked(&r->base, NULL);
}
END_TEST

START_TEST(change_persists)
{
    Server__V1__ChangeSettingsRequest req = SERVER__V1__CHANGE_SETTINGS_REQUEST__INIT;
    Server__V1__MetricsResolutions mr = SERVER__V1__METRICS_RESOLUTIONS__INIT;
    Google__Protobuf__Duration hr = dur(1, 0), ret = dur(86400 * 7, 0), snooze = dur(3600, 0), rare = dur(7200, 0);
    mr.hr = &hr;
    req.metrics_resolutions = &mr;
    req.data_retention = &ret;
    req.update_snooze_duration = &snooze;
    Server__V1__AdvisorRunIntervals ai = SERVER__V1__ADVISOR_RUN_INTERVALS__INIT;
    ai.rare_interval = &rare;
    req.advisor_run_intervals = &ai;
    req._enable_telemetry_case = SERVER__V1__CHANGE_SETTINGS_REQUEST___ENABLE_TELEMETRY_ENABLE_TELEMETRY;
    req.enable_telemetry = 0;
    req._enable_alerting_case = SERVER__V1__CHANGE_SETTINGS_REQUEST___ENABLE_ALERTING_ENABLE_ALERTING;
    req.enable_alerting = 0;
    req._enable_azurediscover_case = SERVER__V1__CHANGE_SETTINGS_REQUEST___ENABLE_AZUREDISCOVER_ENABLE_AZUREDISCOVER;
    req.enable_azurediscover = 1;
    req._enable_access_control_case =
        SERVER__V1__CHANGE_SETTINGS_REQUEST___ENABLE_ACCESS_CONTROL_ENABLE_ACCESS_CONTROL;
    req.enable_access_control = 1;
    req._pmm_public_address_case = SERVER__V1__CHANGE_SETTINGS_REQUEST___PMM_PUBLIC_ADDRESS_PMM_PUBLIC_ADDRESS;
    req.pmm_public_address = "pmm.example.com:8443";
    Common__StringArray parts = COMMON__STRING_ARRAY__INIT;
    char *p[] = { "aws-cn", "aws", "aws-cn" };
    parts.n_values = 3;
    parts.values = p;
    req._aws_partitions_case = SERVER__V1__CHANGE_SETTINGS_REQUEST___AWS_PARTITIONS_AWS_PARTITIONS;
    req.aws_partitions = &parts;

    Server__V1__ChangeSettingsResponse *cr;
    ck_assert_int_eq(call("/server.v1.ServerService/ChangeSettings", &req.base, (ProtobufCMessage **)&cr), 0);
    ck_assert_int_eq(cr->settings->metrics_resolutions->hr->seconds, 1);
    protobuf_c_message_free_unpacked(&cr->base, NULL);

    Server__V1__GetSettingsResponse *r;
    Server__V1__Settings *s = get(&r);
    ck_assert_int_eq(s->metrics_resolutions->hr->seconds, 1);
    ck_assert_int_eq(s->metrics_resolutions->mr->seconds, 10);
    ck_assert_int_eq(s->data_retention->seconds, 604800);
    ck_assert_int_eq(s->update_snooze_duration->seconds, 3600);
    ck_assert_int_eq(s->advisor_run_intervals->rare_interval->seconds, 7200);
    ck_assert(!s->telemetry_enabled && !s->alerting_enabled && s->azurediscover_enabled && s->enable_access_control);
    ck_assert(s->updates_enabled && s->advisor_enabled);
    ck_assert_str_eq(s->pmm_public_address, "pmm.example.com:8443");
    /* deduplicated and sorted, as upstream's deduplicateStrings */
    ck_assert_uint_eq(s->n_aws_partitions, 2);
    ck_assert_str_eq(s->aws_partitions[0], "aws");
    ck_assert_str_eq(s->aws_partitions[1], "aws-cn");
    protobuf_c_message_free_unpacked(&r->base, NULL);

    Server__V1__GetReadOnlySettingsRequest rreq = SERVER__V1__GET_READ_ONLY_SETTINGS_REQUEST__INIT;
    Server__V1__GetReadOnlySettingsResponse *ro;
    ck_assert_int_eq(call("/server.v1.ServerService/GetReadOnlySettings", &rreq.base, (ProtobufCMessage **)&ro), 0);
    ck_assert(!ro->settings->telemetry_enabled && ro->settings->azurediscover_enabled &&
              ro->settings->enable_access_control && ro->settings->updates_enabled);
    ck_assert_str_eq(ro->settings->pmm_public_address, "pmm.example.com:8443");
    protobuf_c_message_free_unpacked(&ro->base, NULL);
}
END_TEST

START_TEST(environment_locks_fields)
{
    const char *env[] = { "PMM_ENABLE_UPDATES=false", "PMM_ENABLE_TELEMETRY=true", "PMM_ENABLE_ALERTING=true",
                          "PMM_ENABLE_AZURE_DISCOVER=false", "PMM_METRICS_RESOLUTION=2s",
                          "PMM_METRICS_RESOLUTION_MR=20s", "PMM_METRICS_RESOLUTION_LR=2m",
                          "PMM_DATA_RETENTION=48h", "PMM_ENABLE_INTERNAL_PG_QAN=false", NULL };
    ck_assert_int_eq(settings_env_check(env, &the_app.env), 0);
    rpc_status st;
    ck_assert_int_eq(settings_env_apply(w.db, &the_app.env, &st), RPC_OK);

    Server__V1__GetSettingsResponse *r;
    Server__V1__Settings *s = get(&r);
    ck_assert(!s->updates_enabled && s->telemetry_enabled && !s->azurediscover_enabled);
    ck_assert_int_eq(s->metrics_resolutions->hr->seconds, 2);
    ck_assert_int_eq(s->metrics_resolutions->lr->seconds, 120);
    ck_assert_int_eq(s->data_retention->seconds, 172800);
    protobuf_c_message_free_unpacked(&r->base, NULL);

    const struct {
        int which;
        const char *text;
    } locked[] = {
        { 0, "Updates are configured via PMM_ENABLE_UPDATES environment variable." },
        { 1, "Telemetry is configured via PMM_ENABLE_TELEMETRY environment variable." },
        { 2, "QAN for internal PostgreSQL is already configured via an environment variable." },
        { 3, "Alerting is configured via ENABLE_ALERTING environment variable." },
        { 4, "Azure Discover is configured via PMM_ENABLE_AZURE_DISCOVER environment variable." },
        { 5, "High resolution for metrics is set via PMM_METRICS_RESOLUTION_HR (or PMM_METRICS_RESOLUTION) "
             "environment variable." },
        { 6, "Medium resolution for metrics is set via PMM_METRICS_RESOLUTION_MR environment variable." },
        { 7, "Low resolution for metrics is set via PMM_METRICS_RESOLUTION_LR environment variable." },
        { 8, "Data retention for queries is set via PMM_DATA_RETENTION environment variable." },
    };
    for (int same = 0; same <= 1; same++)
        for (size_t i = 0; i < sizeof locked / sizeof *locked; i++) {
            Server__V1__ChangeSettingsRequest req = SERVER__V1__CHANGE_SETTINGS_REQUEST__INIT;
            Server__V1__MetricsResolutions mr = SERVER__V1__METRICS_RESOLUTIONS__INIT;
            Google__Protobuf__Duration d;
            switch (locked[i].which) {
            case 0:
                req._enable_updates_case = SERVER__V1__CHANGE_SETTINGS_REQUEST___ENABLE_UPDATES_ENABLE_UPDATES;
                req.enable_updates = !same;
                break;
            case 1:
                req._enable_telemetry_case = SERVER__V1__CHANGE_SETTINGS_REQUEST___ENABLE_TELEMETRY_ENABLE_TELEMETRY;
                req.enable_telemetry = same;
                break;
            case 2:
                req._enable_internal_pg_qan_case =
                    SERVER__V1__CHANGE_SETTINGS_REQUEST___ENABLE_INTERNAL_PG_QAN_ENABLE_INTERNAL_PG_QAN;
                req.enable_internal_pg_qan = !same;
                break;
            case 3:
                req._enable_alerting_case = SERVER__V1__CHANGE_SETTINGS_REQUEST___ENABLE_ALERTING_ENABLE_ALERTING;
                req.enable_alerting = same;
                break;
            case 4:
                req._enable_azurediscover_case =
                    SERVER__V1__CHANGE_SETTINGS_REQUEST___ENABLE_AZUREDISCOVER_ENABLE_AZUREDISCOVER;
                req.enable_azurediscover = !same;
                break;
            case 5:
                d = dur(same ? 2 : 3, 0);
                mr.hr = &d;
                req.metrics_resolutions = &mr;
                break;
            case 6:
                d = dur(same ? 20 : 30, 0);
                mr.mr = &d;
                req.metrics_resolutions = &mr;
                break;
            case 7:
                d = dur(same ? 120 : 60, 0);
                mr.lr = &d;
                req.metrics_resolutions = &mr;
                break;
            case 8:
                d = dur(same ? 172800 : 86400, 0);
                req.data_retention = &d;
                break;
            }
            int code = change(&req);
            if (same)
                ck_assert_msg(code == RPC_OK, "%zu: %s", i, msg);
            else {
                ck_assert_int_eq(code, RPC_FAILED_PRECONDITION);
                ck_assert_str_eq(msg, locked[i].text);
            }
        }
    /* What the environment does not set stays changeable. */
    Server__V1__ChangeSettingsRequest req = SERVER__V1__CHANGE_SETTINGS_REQUEST__INIT;
    req._enable_advisor_case = SERVER__V1__CHANGE_SETTINGS_REQUEST___ENABLE_ADVISOR_ENABLE_ADVISOR;
    req.enable_advisor = 0;
    ck_assert_int_eq(change(&req), RPC_OK);
}
END_TEST

START_TEST(start_sets_server_id_and_defaults)
{
    const char *env[] = { "PATH=/bin", NULL };
    ck_assert_int_eq(settings_env_check(env, &the_app.env), 0);
    rpc_status st;
    ck_assert_int_eq(settings_env_apply(w.db, &the_app.env, &st), RPC_OK);
    settings s;
    ck_assert_int_eq(settings_load(w.db, &s, &st), RPC_OK);
    ck_assert_int_eq(strlen(s.pmm_server_id), 36);
    char id[64];
    strcpy(id, s.pmm_server_id);
    settings_free(&s);
    /* Defaults are stored, and a second start keeps the id. */
    PGresult *r = db_exec(w.db, &st, "SELECT settings #>> '{metrics_resolutions,hr}' FROM settings", 0, NULL);
    ck_assert_str_eq(PQgetvalue(r, 0, 0), "5000000000");
    PQclear(r);
    ck_assert_int_eq(settings_env_apply(w.db, &the_app.env, &st), RPC_OK);
    ck_assert_int_eq(settings_load(w.db, &s, &st), RPC_OK);
    ck_assert_str_eq(s.pmm_server_id, id);
    settings_free(&s);

    envvars bad;
    const char *bad_env[] = { "PMM_DATA_RETENTION=30h", NULL };
    ck_assert_int_eq(settings_env_check(bad_env, &bad), -1);
    envvars_free(&bad);
    const char *bad_env2[] = { "PMM_ENABLE_UPDATES=maybe", NULL };
    ck_assert_int_eq(settings_env_check(bad_env2, &bad), -1);
    envvars_free(&bad);
}
END_TEST

START_TEST(change_publishes_event)
{
    void *zctx = zmq_ctx_new();
    char dir[] = "/tmp/test-configd-settings-XXXXXX", ep[512];
    ck_assert_ptr_nonnull(mkdtemp(dir));
    bus_pub_endpoint(ep, sizeof ep, dir, "configd");
    the_app.pub = bus_pub_new(zctx, ep);
    ck_assert_ptr_nonnull(the_app.pub);
    bus_sub *sub = bus_sub_new(zctx);
    ck_assert_int_eq(bus_sub_connect(sub, ep, "settings.changed"), 0);
    usleep(200 * 1000); /* let the subscription reach the publisher */

    Server__V1__ChangeSettingsRequest req = SERVER__V1__CHANGE_SETTINGS_REQUEST__INIT;
    req._enable_backup_management_case =
        SERVER__V1__CHANGE_SETTINGS_REQUEST___ENABLE_BACKUP_MANAGEMENT_ENABLE_BACKUP_MANAGEMENT;
    req.enable_backup_management = 0;
    ck_assert_int_eq(change(&req), RPC_OK);
    char *topic;
    uint8_t *payload;
    size_t len;
    ck_assert_int_eq(bus_sub_recv(sub, 2000, &topic, &payload, &len), 1);
    ck_assert_str_eq(topic, "settings.changed");
    free(topic);
    free(payload);
    /* A refused change publishes nothing. */
    Google__Protobuf__Duration d = dur(1, 1);
    req.data_retention = &d;
    ck_assert_int_eq(change(&req), RPC_INVALID_ARGUMENT);
    ck_assert_int_eq(bus_sub_recv(sub, 200, &topic, &payload, &len), 0);

    bus_sub_destroy(sub);
    bus_pub_destroy(the_app.pub);
    the_app.pub = NULL;
    zmq_ctx_term(zctx);
    rmdir(dir);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("configd_settings");
    TCase *tc = tcase_create("configd_settings");
    tcase_set_timeout(tc, 60);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, defaults_as_upstream);
    tcase_add_test(tc, validation_texts_and_codes);
    tcase_add_test(tc, change_persists);
    tcase_add_test(tc, environment_locks_fields);
    tcase_add_test(tc, start_sets_server_id_and_defaults);
    tcase_add_test(tc, change_publishes_event);
    suite_add_tcase(s, tc);
    return check_run(s);
}
