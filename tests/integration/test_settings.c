/* Integration tests of common/settings against PostgreSQL: the row the
 * migrations leave reads with upstream's defaults, a change is persisted
 * under upstream's keys, keeps keys it does not know, and a refused change
 * writes nothing. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "db/settings.h"
#include "tests/lib/checkrun.h"
#include "tests/lib/pgtest.h"

static db_params params;
static db *d;

static void setup(void)
{
    ck_assert_int_eq(pgtest_fresh_db("test_settings", &params), 0);
    d = db_new(&params);
    ck_assert_int_eq(db_migrate(d), 0);
}

static void teardown(void)
{
    db_destroy(d);
    pgtest_params_clear(&params);
}

/* The stored document's value at a jsonb path ('{a,b}'), as text. */
static char *stored(const char *path)
{
    rpc_status st;
    const char *p[] = { path };
    PGresult *r = db_exec(d, &st, "SELECT settings #>> $1::text[] FROM settings", 1, p);
    ck_assert_msg(r != NULL, "%s", st.message);
    char *v = PQgetisnull(r, 0, 0) ? NULL : strdup(PQgetvalue(r, 0, 0));
    PQclear(r);
    return v;
}

static void check_stored(const char *path, const char *want)
{
    char *v = stored(path);
    ck_assert_msg(v && strcmp(v, want) == 0, "%s: %s, want %s", path, v ? v : "(null)", want);
    free(v);
}

static void exec(const char *sql)
{
    rpc_status st;
    PGresult *r = db_exec(d, &st, sql, 0, NULL);
    ck_assert_msg(r != NULL, "%s", st.message);
    PQclear(r);
}

START_TEST(fresh_row_reads_defaults)
{
    settings s;
    rpc_status st;
    ck_assert_int_eq(settings_load(d, &s, &st), RPC_OK);
    ck_assert_int_eq(s.metrics_resolutions.hr, SETTINGS_DEFAULT_HR);
    ck_assert_int_eq(s.data_retention, SETTINGS_DEFAULT_DATA_RETENTION);
    ck_assert(s.telemetry_enabled && !s.access_control_enabled);
    /* Migration 0001 stores the id of role "Full access". */
    ck_assert_int_gt(s.default_role_id, 0);
    settings_free(&s);
}
END_TEST

START_TEST(update_persists_upstream_keys_and_keeps_unknown)
{
    exec("UPDATE settings SET settings = settings || '{\"otel\":{\"collector_enabled\":false}}'");
    bool f = false, t = true;
    settings_params p = { .enable_telemetry = &f, .enable_azure_discover = &t,
                          .metrics_resolutions = { .hr = 2 * SETTINGS_NS_PER_SEC },
                          .data_retention = 10 * SETTINGS_NS_PER_DAY, .pmm_public_address = "pmm.example.com" };
    settings s;
    rpc_status st;
    ck_assert_int_eq(settings_update(d, &p, &s, &st), RPC_OK);
    ck_assert(!s.telemetry_enabled && s.azure_discover_enabled);
    settings_free(&s);

    check_stored("{metrics_resolutions,hr}", "2000000000");
    check_stored("{metrics_resolutions,lr}", "60000000000");
    check_stored("{data_retention}", "864000000000000");
    check_stored("{telemetry,enabled}", "false");
    check_stored("{azure,enabled}", "true");
    check_stored("{pmm_public_address}", "pmm.example.com");
    check_stored("{otel,collector_enabled}", "false");

    ck_assert_int_eq(settings_load(d, &s, &st), RPC_OK);
    ck_assert_int_eq(s.metrics_resolutions.hr, 2 * SETTINGS_NS_PER_SEC);
    ck_assert_str_eq(s.pmm_public_address, "pmm.example.com");
    settings_free(&s);
}
END_TEST

START_TEST(refused_change_writes_nothing)
{
    char *before = stored("{}");
    settings_params p = { .metrics_resolutions = { .hr = 2 * SETTINGS_NS_PER_SEC },
                          .data_retention = 36 * 3600 * SETTINGS_NS_PER_SEC };
    rpc_status st;
    ck_assert_int_eq(settings_update(d, &p, NULL, &st), RPC_INVALID_ARGUMENT);
    ck_assert_str_eq(st.message, "Invalid argument: data_retention: should be a natural number of days.");
    char *after = stored("{}");
    ck_assert_str_eq(before, after);
    free(before);
    free(after);
}
END_TEST

START_TEST(damaged_row_is_internal)
{
    exec("UPDATE settings SET settings = '{\"data_retention\":\"30d\"}'");
    settings s;
    rpc_status st;
    ck_assert_int_eq(settings_load(d, &s, &st), RPC_INTERNAL);
    ck_assert_msg(strstr(st.message, "failed to unmarshal settings") != NULL, "%s", st.message);
    exec("DELETE FROM settings");
    ck_assert_int_eq(settings_load(d, &s, &st), RPC_INTERNAL);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("settings");
    TCase *tc = tcase_create("settings");
    tcase_set_timeout(tc, 60);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, fresh_row_reads_defaults);
    tcase_add_test(tc, update_persists_upstream_keys_and_keeps_unknown);
    tcase_add_test(tc, refused_change_writes_nothing);
    tcase_add_test(tc, damaged_row_is_internal);
    suite_add_tcase(s, tc);
    return check_run(s);
}
