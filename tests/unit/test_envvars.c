/* Unit tests of configd/envvars, upstream's PMM_* parser: each applied
 * variable, the ignored names and prefixes, the warnings and the errors
 * with upstream's texts (cases of upstream's server_test.go and
 * parser_test.go), and Go's ParseBool / ParseDuration. */
#include <check.h>
#include <string.h>

#include "configd/envvars.h"
#include "tests/lib/checkrun.h"

#define SEC SETTINGS_NS_PER_SEC
#define DAY SETTINGS_NS_PER_DAY

static envvars e;

static void parse(const char *const *env)
{
    ck_assert_int_eq(envvars_parse(env, &e), 0);
}

static void teardown(void)
{
    envvars_free(&e);
}

START_TEST(typical_values_applied)
{
    const char *env[] = { "PMM_ENABLE_UPDATES=true", "PMM_ENABLE_TELEMETRY=1", "PMM_METRICS_RESOLUTION_HR=1s",
                          "PMM_METRICS_RESOLUTION_MR=2s", "PMM_METRICS_RESOLUTION_LR=3s", "PMM_DATA_RETENTION=240h",
                          "PMM_PUBLIC_ADDRESS=1.2.3.4:5678", NULL };
    parse(env);
    ck_assert_uint_eq(e.errors.n, 0);
    ck_assert_uint_eq(e.warnings.n, 0);
    ck_assert(e.params.enable_updates && *e.params.enable_updates);
    ck_assert(e.params.enable_telemetry && *e.params.enable_telemetry);
    ck_assert_int_eq(e.params.metrics_resolutions.hr, SEC);
    ck_assert_int_eq(e.params.metrics_resolutions.mr, 2 * SEC);
    ck_assert_int_eq(e.params.metrics_resolutions.lr, 3 * SEC);
    ck_assert_int_eq(e.params.data_retention, 10 * DAY);
    ck_assert_str_eq(e.params.pmm_public_address, "1.2.3.4:5678");
    ck_assert_ptr_null(e.params.enable_alerting);
}
END_TEST

START_TEST(untypical_case_applied)
{
    const char *env[] = { "PMM_ENABLE_TELEMETRY=TrUe", "PMM_METRICS_RESOLUTION=3S", "PMM_DATA_RETENTION=360H",
                          "pmm_enable_alerting=F", "PMM_PUBLIC_ADDRESS=PMM.Example.COM", NULL };
    parse(env);
    ck_assert_uint_eq(e.errors.n, 0);
    ck_assert(*e.params.enable_telemetry);
    ck_assert_int_eq(e.params.metrics_resolutions.hr, 3 * SEC);
    ck_assert_int_eq(e.params.data_retention, 15 * DAY);
    ck_assert(e.params.enable_alerting && !*e.params.enable_alerting);
    /* Values are lower-cased, the public address too (as upstream). */
    ck_assert_str_eq(e.params.pmm_public_address, "pmm.example.com");
}
END_TEST

START_TEST(every_boolean_applied)
{
    const char *env[] = { "PMM_ENABLE_VM_CACHE=true",      "PMM_ENABLE_AZURE_DISCOVER=1",
                          "PMM_ENABLE_BACKUP_MANAGEMENT=0", "PMM_ENABLE_ACCESS_CONTROL=t",
                          "PMM_ENABLE_INTERNAL_PG_QAN=true", "PMM_ENABLE_NOMAD=false",
                          "PMM_UPDATE_SNOOZE_DURATION=48h", "PMM_VM_URL=http://127.0.0.1:9090/prometheus/", NULL };
    parse(env);
    ck_assert_uint_eq(e.errors.n, 0);
    ck_assert_uint_eq(e.warnings.n, 0);
    ck_assert(*e.params.enable_vm_cache && *e.params.enable_azure_discover && !*e.params.enable_backup_management &&
              *e.params.enable_access_control);
    ck_assert(e.has_internal_pg_qan && e.internal_pg_qan);
    ck_assert(e.has_nomad && !e.nomad);
    ck_assert_int_eq(e.params.update_snooze_duration, 2 * DAY);
}
END_TEST

START_TEST(ignored_without_warning)
{
    const char *env[] = { "_=/usr/bin/env",          "HOME=/root",           "PATH=/bin",
                          "NO_PROXY=x",              "CONTAINER=podman",     "LD_PRELOAD=x",
                          "AWS_SECRET_KEY=s",        "PMM_DEBUG=1",          "PMM_TRACE=1",
                          "PMM_CLICKHOUSE_ADDR=x:9", "PMM_POSTGRES_ADDR=x",  "PMM_POSTGRES_DBPASSWORD=p",
                          "PMM_ADMIN_PASSWORD=p",    "PMM_WATCHTOWER_HOST=h", "PERCONA_TELEMETRY_DISABLE=1",
                          "PMM_INSTALL_METHOD=x",    "PMM_DISTRIBUTION_METHOD=docker", "GF_AUTH=x",
                          "VM_search_x=1",           "VMAGENT_loggerLevel=INFO", "VMAUTH_x=1",
                          "SUPERVISOR_ENABLED=1",    "KUBERNETES_PORT=1",    "PMM_OPERATORS_X=1",
                          "MONITORING_X=1",          "PMM_DEV_PERCONA_PLATFORM_ADDRESS=x", "PMM_HA_ENABLE=1",
                          "PMM_RUN_DIR=/run",        "PMM_LOG_LEVEL=debug",  NULL };
    parse(env);
    ck_assert_uint_eq(e.errors.n, 0);
    ck_assert_msg(e.warnings.n == 0, "%s", e.warnings.n ? e.warnings.v[0] : "");
}
END_TEST

START_TEST(warnings_as_upstream)
{
    const char *env[] = { "PMM_TEST_FOO=bar", "PERCONA_TEST_X=1", "SOMETHING=1", "MY_API_TOKEN=s3cr3t", NULL };
    parse(env);
    ck_assert_uint_eq(e.errors.n, 0);
    ck_assert_uint_eq(e.warnings.n, 4);
    ck_assert_str_eq(e.warnings.v[0], "environment variable PMM_TEST_FOO=bar may be removed or replaced in the future");
    ck_assert_str_eq(e.warnings.v[1], "PERCONA_* env variables are NOT SUPPORTED, please use PMM_* env variables, "
                                      "for details please check our documentation");
    ck_assert_str_eq(e.warnings.v[2], "unknown environment variable SOMETHING=1");
    /* Never a secret in the log. */
    ck_assert_str_eq(e.warnings.v[3], "unknown environment variable MY_API_TOKEN=<redacted>");
}
END_TEST

START_TEST(errors_as_upstream)
{
    const char *env[] = { "PMM_ENABLE_TELEMETRY",         "PMM_ENABLE_TELEMETRY=",       "PMM_ENABLE_UPDATES=yes",
                          "PMM_DATA_RETENTION=30",        "PMM_METRICS_RESOLUTION_MR=5", "PMM_VM_URL=:nope",
                          "PMM_ENABLE_INTERNAL_PG_QAN=2", NULL };
    parse(env);
    ck_assert_uint_eq(e.errors.n, 7);
    ck_assert_str_eq(e.errors.v[0], "failed to parse environment variable \"PMM_ENABLE_TELEMETRY\"");
    ck_assert_str_eq(e.errors.v[1], "invalid value \"\" for environment variable \"PMM_ENABLE_TELEMETRY\"");
    ck_assert_str_eq(e.errors.v[2], "invalid value \"yes\" for environment variable \"PMM_ENABLE_UPDATES\"");
    ck_assert_str_eq(e.errors.v[3], "environment variable \"PMM_DATA_RETENTION=30\" has invalid duration 30");
    ck_assert_str_eq(e.errors.v[4], "environment variable \"PMM_METRICS_RESOLUTION_MR=5\" has invalid duration 5");
    ck_assert_str_eq(e.errors.v[5],
                     "invalid value for environment variable PMM_VM_URL: invalid VictoriaMetrics URL: missing protocol scheme");
    ck_assert_str_eq(e.errors.v[6], "invalid value \"2\" for environment variable \"PMM_ENABLE_INTERNAL_PG_QAN\"");
    ck_assert_ptr_null(e.params.enable_telemetry);
    ck_assert_ptr_null(e.params.enable_updates);
    ck_assert_int_eq(e.params.data_retention, 0);
    ck_assert(!e.has_internal_pg_qan);
}
END_TEST

START_TEST(vm_url_as_newer_upstream)
{
    const char *env[] = { "PMM_VM_URL=", "PMM_VM_URL=localhost:9090", "PMM_VM_URL=127.0.0.1:9090",
                          "PMM_VM_URL=ftp://u:p@vm/", "PMM_VM_URL=https://vm.example.com:8443/prometheus",
                          "PMM_VM_URL=http://vm:port/", NULL };
    parse(env);
    ck_assert_uint_eq(e.warnings.n, 1);
    ck_assert_str_eq(e.warnings.v[0],
                     "PMM_VM_URL is set but empty and is ignored: the built-in VictoriaMetrics address is used");
    ck_assert_uint_eq(e.errors.n, 4);
    ck_assert_str_eq(e.errors.v[0], "invalid value for environment variable PMM_VM_URL: invalid VictoriaMetrics URL "
                                    "'localhost:9090/': expected http(s)://host[:port][/path]");
    ck_assert_str_eq(e.errors.v[1], "invalid value for environment variable PMM_VM_URL: invalid VictoriaMetrics URL: "
                                    "first path segment in URL cannot contain colon");
    /* Credentials never reach the text. */
    ck_assert_str_eq(e.errors.v[2], "invalid value for environment variable PMM_VM_URL: invalid VictoriaMetrics URL "
                                    "'ftp://<redacted>@vm/': expected http(s)://host[:port][/path]");
    ck_assert_str_eq(e.errors.v[3], "invalid value for environment variable PMM_VM_URL: invalid VictoriaMetrics URL: "
                                    "invalid port \":port\" after host");
}
END_TEST

START_TEST(vmagent_remote_write_override)
{
    const char *half[] = { "VMAGENT_remoteWrite_basicAuth_username=u", "VMAGENT_loggerLevel=", NULL };
    parse(half);
    ck_assert_uint_eq(e.errors.n, 0);
    ck_assert_uint_eq(e.warnings.n, 2);
    ck_assert_str_eq(e.warnings.v[0], "VMAGENT_loggerLevel is set but empty and is ignored: vmagent cannot use an "
                                      "empty value; unset it or give it a value");
    ck_assert(strncmp(e.warnings.v[1], "only one half of the VMAGENT_remoteWrite_basicAuth_* pair is set", 64) == 0);
    envvars_free(&e);

    const char *bare_url[] = { "VMAGENT_remoteWrite_url=https://metrics.example.com/api/v1/write", NULL };
    parse(bare_url);
    ck_assert_uint_eq(e.warnings.n, 1);
    ck_assert(strncmp(e.warnings.v[0], "VMAGENT_remoteWrite_url redirects the metric writes", 51) == 0);
    envvars_free(&e);

    const char *ok[] = { "VMAGENT_remoteWrite_url=https://metrics.example.com/api/v1/write",
                         "VMAGENT_remoteWrite_bearerToken=t", NULL };
    parse(ok);
    ck_assert_uint_eq(e.warnings.n + e.errors.n, 0);
    envvars_free(&e);

    const char *with_user[] = { "VMAGENT_remoteWrite_url=https://u:secret@metrics.example.com/", NULL };
    parse(with_user);
    ck_assert_uint_eq(e.warnings.n + e.errors.n, 0);
    envvars_free(&e);

    const char *bad[] = { "VMAGENT_remoteWrite_url=https://u:secret@[::1/", NULL };
    parse(bad);
    ck_assert_uint_eq(e.errors.n, 1);
    ck_assert_str_eq(e.errors.v[0], "VMAGENT_remoteWrite_url is not a valid URL, and every vmagent PMM Server "
                                    "manages would refuse to start: missing ']' in host");
    envvars_free(&e);

    /* Upper-cased names are inert for vmagent, so they are not checked. */
    const char *upper[] = { "VMAGENT_REMOTEWRITE_URL=https://x/", NULL };
    parse(upper);
    ck_assert_uint_eq(e.warnings.n + e.errors.n, 0);
}
END_TEST

/* Parsed fine, refused by the settings validation (the start refuses). */
START_TEST(parsed_values_still_validated)
{
    const char *env[] = { "PMM_METRICS_RESOLUTION=5ns", NULL };
    parse(env);
    ck_assert_uint_eq(e.errors.n, 0);
    char err[256];
    ck_assert_int_eq(settings_validate(&e.params, err, sizeof err), -1);
    ck_assert_str_eq(err, "hr: minimal resolution is 1s");
}
END_TEST

START_TEST(go_parse_bool)
{
    const char *t[] = { "1", "t", "T", "TRUE", "true", "True" }, *f[] = { "0", "f", "F", "FALSE", "false", "False" };
    for (size_t i = 0; i < 6; i++) {
        bool v = false;
        ck_assert_int_eq(envvars_parse_bool(t[i], &v), 0);
        ck_assert(v);
        ck_assert_int_eq(envvars_parse_bool(f[i], &v), 0);
        ck_assert(!v);
    }
    const char *bad[] = { "", "yes", "tRUE", "2", " true" };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        bool v;
        ck_assert_int_eq(envvars_parse_bool(bad[i], &v), -1);
    }
}
END_TEST

START_TEST(go_parse_duration)
{
    const struct {
        const char *s;
        int64_t ns;
    } ok[] = {
        { "0", 0 },
        { "5s", 5 * SEC },
        { "+5s", 5 * SEC },
        { "-5s", -5 * SEC },
        { "1.5h", 5400 * SEC },
        { "1h30m", 5400 * SEC },
        { ".5s", SEC / 2 },
        { "1.s", SEC },
        { "100ms", SEC / 10 },
        { "10us", 10000 },
        { "10\xc2\xb5s", 10000 },
        { "10\xce\xbcs", 10000 },
        { "7ns", 7 },
        { "2562047h47m16.854775807s", INT64_MAX },
    };
    for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
        int64_t v = -1;
        ck_assert_msg(envvars_parse_duration(ok[i].s, &v) == 0, "%s refused", ok[i].s);
        ck_assert_msg(v == ok[i].ns, "%s: %lld", ok[i].s, (long long)v);
    }
    const char *bad[] = { "", "5", "s", ".s", "5d", "1h-5m", "5s ", "2562047h47m16.854775808s", "9223372036854775808ns",
                          "-", "1e3s" };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        int64_t v;
        ck_assert_msg(envvars_parse_duration(bad[i], &v) == -1, "%s accepted", bad[i]);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("envvars");
    TCase *tc = tcase_create("envvars");
    tcase_add_checked_fixture(tc, NULL, teardown);
    tcase_add_test(tc, typical_values_applied);
    tcase_add_test(tc, untypical_case_applied);
    tcase_add_test(tc, every_boolean_applied);
    tcase_add_test(tc, ignored_without_warning);
    tcase_add_test(tc, warnings_as_upstream);
    tcase_add_test(tc, errors_as_upstream);
    tcase_add_test(tc, vm_url_as_newer_upstream);
    tcase_add_test(tc, vmagent_remote_write_override);
    tcase_add_test(tc, parsed_values_still_validated);
    tcase_add_test(tc, go_parse_bool);
    tcase_add_test(tc, go_parse_duration);
    suite_add_tcase(s, tc);
    return check_run(s);
}
