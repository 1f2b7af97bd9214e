/* Integration tests of configd's update methods and AWSInstanceCheck
 * against PostgreSQL, with a local HTTP server standing in for Percona's
 * version service and EC2's instance metadata (nothing leaves the
 * machine): the offline answer, the choice from the service, the 24 h +
 * 10 min cache and a kept result when a check fails, the air-gapped file,
 * the settings and environment switches, StartUpdate's refusal,
 * UpdateStatus, ListChangeLogs, and the instance check on and off AMI. */
#include <check.h>
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>

#include "configd/app.h"
#include "configd/aws_instance.h"
#include "configd/updates_api.h"
#include "db/daemon_db.h"
#include "server/v1/server.pb-c.h"
#include "db/settings.h"
#include "tests/lib/checkrun.h"
#include "tests/lib/pgtest.h"
#include "tests/lib/rpccall.h"

static db_params params;
static app the_app;
static daemon_worker w;
static char msg[RPC_MESSAGE_MAX];
static char dir[] = "/tmp/test-configd-updates-XXXXXX";
static char file[128];
static char address[64];

/* ---- the stand-in HTTP server ------------------------------------------- */

static struct MHD_Daemon *httpd;
static const char *metadata_body;
static atomic_int metadata_requests, identity_requests;

static enum MHD_Result answer(struct MHD_Connection *c, unsigned status, const char *body)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_MUST_COPY);
    enum MHD_Result rc = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return rc;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *verb,
                                  const char *version, const char *data, size_t *data_size, void **state)
{
    (void)cls;
    (void)version;
    (void)data;
    if (*state == NULL) { /* first call: headers only */
        *state = c;
        return MHD_YES;
    }
    *data_size = 0;
    if (strcmp(verb, "GET") == 0 && strcmp(url, "/metadata/v2/pmm-server") == 0) {
        atomic_fetch_add(&metadata_requests, 1);
        return answer(c, 200, metadata_body);
    }
    if (strcmp(verb, "GET") == 0 && strcmp(url, "/release-notes/v1/pmm/3.1.0") == 0)
        return answer(c, 200, "{\"releaseNote\": \"## PMM 3.1.0\"}");
    if (strcmp(verb, "PUT") == 0 && strcmp(url, "/latest/api/token") == 0)
        return answer(c, 200, "tok-123");
    if (strcmp(verb, "GET") == 0 && strcmp(url, "/latest/dynamic/instance-identity/document") == 0) {
        atomic_fetch_add(&identity_requests, 1);
        const char *tok = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-aws-ec2-metadata-token");
        if (!tok || strcmp(tok, "tok-123") != 0)
            return answer(c, 401, "");
        return answer(c, 200, "{\"region\": \"us-east-1\", \"instanceId\": \"i-0123456789abcdef0\"}");
    }
    return answer(c, 404, "404 page not found\n");
}

static void httpd_start(void)
{
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = 0, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    httpd = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL, on_request, NULL,
                             MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa, MHD_OPTION_END);
    ck_assert_ptr_nonnull(httpd);
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(httpd, MHD_DAEMON_INFO_BIND_PORT);
    snprintf(address, sizeof address, "http://127.0.0.1:%u", (unsigned)info->port);
}

/* ---- fixture ---------------------------------------------------------------- */

static int64_t fake_now_ns;
static int64_t fake_clock(void)
{
    return fake_now_ns;
}

#define NOW_S INT64_C(1800000000)

static void make_updater(void)
{
    updater_free(the_app.updates);
    updater_config c = { .version_file = file, .platform_address = address, .timeout_ms = 2000,
                         .now_ns = fake_clock };
    the_app.updates = updater_new(&c);
    ck_assert_ptr_nonnull(the_app.updates);
}

static void setup(void)
{
    ck_assert_int_eq(pgtest_fresh_db("test_configd_updates", &params), 0);
    memset(&the_app, 0, sizeof the_app);
    the_app.db = params;
    the_app.distribution = "docker";
    the_app.aws_metadata_url = address;
    w.app = &the_app;
    w.db = db_new(&params);
    ck_assert_int_eq(db_migrate(w.db), 0);
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(file, sizeof file, "%s/pmm-server-update-version.json", dir);
    metadata_body = "{\"versions\": []}";
    atomic_store(&metadata_requests, 0);
    atomic_store(&identity_requests, 0);
    fake_now_ns = NOW_S * 1000000000;
    httpd_start();
    make_updater();
}

static void teardown(void)
{
    updater_free(the_app.updates);
    the_app.updates = NULL;
    if (httpd)
        MHD_stop_daemon(httpd);
    httpd = NULL;
    unlink(file);
    rmdir(dir);
    strcpy(dir, "/tmp/test-configd-updates-XXXXXX");
    db_destroy(w.db);
    pgtest_params_clear(&params);
}

/* Nothing listens there any more: the version service is unreachable. */
static void go_offline(void)
{
    MHD_stop_daemon(httpd);
    httpd = NULL;
}

static int call(const char *method, const ProtobufCMessage *req, ProtobufCMessage **resp)
{
    const rpc_method *m = rpc_method_find(updates_methods, updates_methods_count, method);
    if (!m)
        m = rpc_method_find(aws_instance_methods, aws_instance_methods_count, method);
    ck_assert_msg(m != NULL, "no method %s", method);
    return rpc_call_method(m, &w, NULL, req, resp, msg);
}

static Server__V1__CheckUpdatesResponse *check(bool force, int want_code)
{
    Server__V1__CheckUpdatesRequest req = SERVER__V1__CHECK_UPDATES_REQUEST__INIT;
    req.force = force;
    Server__V1__CheckUpdatesResponse *r = NULL;
    int code = call("/server.v1.ServerService/CheckUpdates", &req.base, (ProtobufCMessage **)&r);
    ck_assert_msg(code == want_code, "CheckUpdates: %d %s", code, msg);
    return r;
}

static void free_msg(void *m)
{
    if (m)
        protobuf_c_message_free_unpacked(m, NULL);
}

static void set_updates(bool on)
{
    rpc_status st;
    ck_assert_int_eq(settings_update(w.db, &(settings_params){ .enable_updates = &on }, NULL, &st), RPC_OK);
}

static const char *SERVICE_LIST =
    "{\"versions\": ["
    "{\"version\": \"3.0.0\", \"imageInfo\": {\"imagePath\": \"percona/pmm-server:3.0.0\"}},"
    "{\"version\": \"3.1.0\", \"imageInfo\": {\"imagePath\": \"percona/pmm-server:3.1.0\","
    " \"imageReleaseTimestamp\": \"2025-04-02T10:11:12.5Z\"}},"
    "{\"version\": \"3.0.1\"},"
    "{\"version\": \"3.1.0-rc7\"},"
    "{\"version\": \"4.0.0\", \"extra\": true}"
    "]}";

/* ---- CheckUpdates ------------------------------------------------------------ */

START_TEST(offline_answer_as_upstream)
{
    go_offline();
    Server__V1__CheckUpdatesResponse *r = check(false, 0);
    ck_assert_str_eq(r->installed->version, PMM_VERSION);
    ck_assert(strncmp(r->installed->full_version, PMM_VERSION "-", strlen(PMM_VERSION) + 1) == 0);
    ck_assert_int_eq(r->installed->timestamp->seconds % 86400, 0); /* the build day */
    ck_assert_int_gt(r->installed->timestamp->seconds, 1700000000 - 86400);
    ck_assert_str_eq(r->latest->version, "0.0.0");
    ck_assert_str_eq(r->latest->tag, "");
    ck_assert_ptr_null(r->latest->timestamp);
    ck_assert(!r->update_available);
    ck_assert_str_eq(r->latest_news_url, "https://per.co.na/pmm/0.0.0");
    ck_assert_int_eq(r->last_check->seconds, -62135596800); /* never: Go's zero time */
    free_msg(r);

    check(true, RPC_UNKNOWN);
    ck_assert_msg(strncmp(msg, "failed to get latest version: failed to get PMM server versions: Get \"", 70) == 0 &&
                      strstr(msg, "/metadata/v2/pmm-server\": ") != NULL,
                  "%s", msg);

    Server__V1__CheckUpdatesRequest req = SERVER__V1__CHECK_UPDATES_REQUEST__INIT;
    req.only_installed_version = true;
    ck_assert_int_eq(call("/server.v1.ServerService/CheckUpdates", &req.base, (ProtobufCMessage **)&r), 0);
    ck_assert_str_eq(r->installed->version, PMM_VERSION);
    ck_assert_ptr_nonnull(r->installed->timestamp);
    ck_assert_ptr_null(r->latest);
    ck_assert_ptr_null(r->last_check);
    ck_assert(!r->update_available);
    free_msg(r);
}
END_TEST

START_TEST(from_service_and_cached)
{
    metadata_body = SERVICE_LIST;
    Server__V1__CheckUpdatesResponse *r = check(false, 0);
    ck_assert_int_eq(atomic_load(&metadata_requests), 1);
    ck_assert_str_eq(r->latest->version, "3.1.0");
    ck_assert_str_eq(r->latest->tag, "percona/pmm-server:3.1.0");
    ck_assert_str_eq(r->latest->release_notes_url, "https://per.co.na/pmm/3.1.0");
    ck_assert_str_eq(r->latest->release_notes_text, "## PMM 3.1.0");
    ck_assert_int_eq(r->latest->timestamp->seconds, 1743552000); /* 2025-04-02, the day only */
    ck_assert_int_eq(r->latest->timestamp->nanos, 0);
    ck_assert(r->update_available);
    ck_assert_str_eq(r->latest_news_url, "https://per.co.na/pmm/3.1.0");
    ck_assert_int_eq(r->last_check->seconds, NOW_S);
    free_msg(r);

    /* within 24 h 10 min: the kept result, no request */
    fake_now_ns += (INT64_C(86400) + 600) * 1000000000;
    r = check(false, 0);
    ck_assert_int_eq(atomic_load(&metadata_requests), 1);
    ck_assert_int_eq(r->last_check->seconds, NOW_S);
    free_msg(r);

    /* older: checked again; a failing check keeps the result and its time */
    fake_now_ns += 1000000000;
    metadata_body = "not json";
    r = check(false, 0);
    ck_assert_int_eq(atomic_load(&metadata_requests), 2);
    ck_assert_str_eq(r->latest->version, "3.1.0");
    ck_assert_int_eq(r->last_check->seconds, NOW_S);
    free_msg(r);
    check(true, RPC_UNKNOWN);
    ck_assert_msg(strncmp(msg, "failed to get latest version: failed to decode response: ", 57) == 0, "%s", msg);

    /* force: asked at once, the new answer kept with the new time */
    metadata_body = "{\"versions\": [{\"version\": \"3.0.0\"}]}";
    r = check(true, 0);
    ck_assert_int_eq(atomic_load(&metadata_requests), 4);
    ck_assert_str_eq(r->latest->version, PMM_VERSION); /* nothing newer */
    ck_assert_str_eq(r->latest->tag, "");
    ck_assert(!r->update_available);
    ck_assert_int_eq(r->last_check->seconds, NOW_S + 86400 + 601);
    free_msg(r);

    /* an empty list is a successful check that names no release */
    metadata_body = "{\"versions\": []}";
    r = check(true, 0);
    ck_assert_str_eq(r->latest->version, "0.0.0");
    ck_assert_int_eq(r->last_check->seconds, NOW_S + 86400 + 601);
    free_msg(r);
}
END_TEST

START_TEST(air_gapped_file_wins)
{
    metadata_body = SERVICE_LIST;
    FILE *f = fopen(file, "w");
    ck_assert_ptr_nonnull(f);
    fputs("{\"version\": \"3.3.0\", \"docker_image\": \"registry.local/pmm-server:3.3.0\","
          " \"build_time\": \"2025-06-01T08:00:00Z\", \"release_notes_url\": \"https://docs.local/3.3.0\"}", f);
    fclose(f);
    Server__V1__CheckUpdatesResponse *r = check(true, 0);
    ck_assert_int_eq(atomic_load(&metadata_requests), 0);
    ck_assert_str_eq(r->latest->version, "3.3.0");
    ck_assert_str_eq(r->latest->tag, "registry.local/pmm-server:3.3.0");
    ck_assert_str_eq(r->latest->release_notes_url, "https://docs.local/3.3.0");
    ck_assert_int_eq(r->latest->timestamp->seconds, 1748736000);
    ck_assert(r->update_available);
    free_msg(r);

    f = fopen(file, "w");
    fputs("{\"version\": \"three\"}", f);
    fclose(f);
    check(true, RPC_UNKNOWN);
    ck_assert_str_eq(msg, "failed to get latest version: failed to read from file: failed to unmarshal file: "
                          "failed to parse \"three\"");
}
END_TEST

START_TEST(switches)
{
    metadata_body = SERVICE_LIST;
    bool off = false;
    the_app.env.params.enable_updates = &off; /* PMM_ENABLE_UPDATES=false */
    Server__V1__CheckUpdatesResponse *r = check(true, 0);
    ck_assert_str_eq(r->latest->tag, "percona/pmm-server:3.1.0");
    ck_assert(!r->update_available);
    free_msg(r);
    Server__V1__StartUpdateRequest su = SERVER__V1__START_UPDATE_REQUEST__INIT;
    ck_assert_int_eq(call("/server.v1.ServerService/StartUpdate", &su.base, NULL), RPC_FAILED_PRECONDITION);
    ck_assert_str_eq(msg, "Updates are disabled via PMM_ENABLE_UPDATES environment variable.");
    the_app.env.params.enable_updates = NULL;

    set_updates(false);
    check(true, RPC_FAILED_PRECONDITION);
    ck_assert_str_eq(msg, "PMM updates are disabled");
    ck_assert_int_eq(call("/server.v1.ServerService/StartUpdate", &su.base, NULL), RPC_FAILED_PRECONDITION);
    ck_assert_str_eq(msg, "PMM updates are disabled");
    su.new_image = "percona/pmm-server:3.1.0";
    ck_assert_int_eq(call("/server.v1.ServerService/StartUpdate", &su.base, NULL), RPC_FAILED_PRECONDITION);
    ck_assert_str_eq(msg, "updates are disabled");
    Server__V1__ListChangeLogsRequest lc = SERVER__V1__LIST_CHANGE_LOGS_REQUEST__INIT;
    ck_assert_int_eq(call("/server.v1.ServerService/ListChangeLogs", &lc.base, NULL), RPC_UNAVAILABLE);
    ck_assert_str_eq(msg, "failed to list available updates");
    set_updates(true);
}
END_TEST

START_TEST(start_update_says_how_and_status_is_done)
{
    Server__V1__StartUpdateRequest su = SERVER__V1__START_UPDATE_REQUEST__INIT;
    su.new_image = "percona/pmm-server:3.1.0";
    ck_assert_int_eq(call("/server.v1.ServerService/StartUpdate", &su.base, NULL), RPC_FAILED_PRECONDITION);
    ck_assert_str_eq(msg, UPDATES_HOW_TO_UPDATE);

    Server__V1__UpdateStatusRequest us = SERVER__V1__UPDATE_STATUS_REQUEST__INIT;
    us.auth_token = "not-a-token";
    us.log_offset = 42;
    Server__V1__UpdateStatusResponse *r;
    ck_assert_int_eq(call("/server.v1.ServerService/UpdateStatus", &us.base, (ProtobufCMessage **)&r), 0);
    ck_assert(r->done);
    ck_assert_uint_eq(r->n_log_lines, 0);
    ck_assert_uint_eq(r->log_offset, 0);
    free_msg(r);
}
END_TEST

START_TEST(change_logs)
{
    metadata_body = SERVICE_LIST;
    Server__V1__ListChangeLogsRequest req = SERVER__V1__LIST_CHANGE_LOGS_REQUEST__INIT;
    Server__V1__ListChangeLogsResponse *r;
    ck_assert_int_eq(call("/server.v1.ServerService/ListChangeLogs", &req.base, (ProtobufCMessage **)&r), 0);
    ck_assert_uint_eq(r->n_updates, 3); /* newer releases, no rc, ascending */
    ck_assert_str_eq(r->updates[0]->version, "3.0.1");
    ck_assert_str_eq(r->updates[0]->tag, "percona/pmm-server:3.0.1");
    ck_assert_str_eq(r->updates[0]->release_notes_text, ""); /* the service has none: 404 */
    ck_assert_str_eq(r->updates[1]->version, "3.1.0");
    ck_assert_str_eq(r->updates[1]->release_notes_text, "## PMM 3.1.0");
    ck_assert_ptr_null(r->updates[1]->timestamp);
    ck_assert_str_eq(r->updates[2]->version, "4.0.0");
    ck_assert_ptr_nonnull(r->last_check);
    ck_assert_int_gt(r->last_check->seconds, 1700000000);
    free_msg(r);

    go_offline();
    ck_assert_int_eq(call("/server.v1.ServerService/ListChangeLogs", &req.base, NULL), RPC_UNAVAILABLE);
    ck_assert_str_eq(msg, "failed to list available updates");
}
END_TEST

/* ---- AWSInstanceCheck -------------------------------------------------------- */

static int aws(const char *id)
{
    Server__V1__AWSInstanceCheckRequest req = SERVER__V1__AWSINSTANCE_CHECK_REQUEST__INIT;
    req.instance_id = (char *)id;
    return call("/server.v1.ServerService/AWSInstanceCheck", &req.base, NULL);
}

START_TEST(aws_instance_check)
{
    ck_assert_int_eq(aws(""), RPC_INVALID_ARGUMENT);
    ck_assert_str_eq(msg, "invalid AWSInstanceCheckRequest.InstanceId: value length must be at least 1 runes");
    /* not an AMI: answered without asking AWS */
    ck_assert_int_eq(aws("anything"), RPC_OK);
    ck_assert_int_eq(atomic_load(&identity_requests), 0);

    the_app.distribution = "ami";
    ck_assert_int_eq(aws("i-0000000000000000"), RPC_INVALID_ARGUMENT);
    ck_assert_str_eq(msg, "invalid instance ID");
    ck_assert_int_eq(aws("i-0123456789abcdef0"), RPC_OK);
    ck_assert_int_eq(atomic_load(&identity_requests), 2);
    settings s;
    rpc_status st;
    ck_assert_int_eq(settings_load(w.db, &s, &st), RPC_OK);
    ck_assert(s.aws_instance_checked);
    settings_free(&s);
    /* checked once: no more AWS calls, any id */
    ck_assert_int_eq(aws("i-other"), RPC_OK);
    ck_assert_int_eq(atomic_load(&identity_requests), 2);
}
END_TEST

START_TEST(aws_metadata_unreachable)
{
    the_app.distribution = "ami";
    go_offline();
    ck_assert_int_eq(aws("i-0123456789abcdef0"), RPC_UNAVAILABLE);
    ck_assert_str_eq(msg, "cannot get instance metadata");
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("configd_updates");
    TCase *tc = tcase_create("all");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, offline_answer_as_upstream);
    tcase_add_test(tc, from_service_and_cached);
    tcase_add_test(tc, air_gapped_file_wins);
    tcase_add_test(tc, switches);
    tcase_add_test(tc, start_update_says_how_and_status_is_done);
    tcase_add_test(tc, change_logs);
    tcase_add_test(tc, aws_instance_check);
    tcase_add_test(tc, aws_metadata_unreachable);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    int rc = check_run(suite());
    curl_global_cleanup();
    return rc;
}
