/* Unit tests of common/settings: upstream's defaults for an empty or
 * partial document, reading upstream's key names, keeping unknown keys on
 * save, ValidateSettings texts, UpdateSettings semantics, Go durations. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "db/settings.h"
#include "tests/lib/checkrun.h"

#define SEC SETTINGS_NS_PER_SEC
#define DAY SETTINGS_NS_PER_DAY

static settings parse(const char *json)
{
    settings s;
    char err[256];
    ck_assert_msg(settings_from_json(json, &s, err, sizeof err) == 0, "%s", err);
    return s;
}

START_TEST(empty_document_gets_upstream_defaults)
{
    settings s = parse("{}");
    ck_assert(s.updates_enabled && s.telemetry_enabled && s.advisors_enabled && s.alerting_enabled &&
              s.backup_management_enabled);
    ck_assert(!s.vm_cache_enabled && !s.azure_discover_enabled && !s.access_control_enabled);
    ck_assert_int_eq(s.metrics_resolutions.hr, 5 * SEC);
    ck_assert_int_eq(s.metrics_resolutions.mr, 10 * SEC);
    ck_assert_int_eq(s.metrics_resolutions.lr, 60 * SEC);
    ck_assert_int_eq(s.data_retention, 30 * DAY);
    ck_assert_int_eq(s.advisor_run_intervals.standard_interval, 24 * 3600 * SEC);
    ck_assert_int_eq(s.advisor_run_intervals.rare_interval, 78 * 3600 * SEC);
    ck_assert_int_eq(s.advisor_run_intervals.frequent_interval, 4 * 3600 * SEC);
    ck_assert_int_eq(s.updates_snooze_duration, 7 * DAY);
    ck_assert_uint_eq(s.aws_partitions.n, 1);
    ck_assert_str_eq(s.aws_partitions.v[0], "aws");
    ck_assert_str_eq(s.pmm_public_address, "");
    ck_assert_str_eq(s.ssh_key, "");
    settings_free(&s);

    settings d;
    settings_defaults(&d);
    ck_assert_int_eq(d.metrics_resolutions.hr, 5 * SEC);
    ck_assert(d.updates_enabled);
    settings_free(&d);
}
END_TEST

/* A document as upstream's json.Marshal writes it (nulls for unset
 * pointers, durations in nanoseconds). */
START_TEST(upstream_document_read)
{
    settings s = parse("{\"pmm_public_address\":\"pmm.example.com\","
                       "\"updates\":{\"enabled\":false,\"snooze_duration\":86400000000000},"
                       "\"telemetry\":{\"enabled\":null,\"uuid\":\"abc\"},"
                       "\"metrics_resolutions\":{\"hr\":1000000000,\"mr\":0,\"lr\":120000000000},"
                       "\"data_retention\":864000000000000,\"aws_partitions\":[\"aws\",\"aws-cn\"],"
                       "\"aws_instance_checked\":true,\"ssh_key\":\"\",\"victoria_metrics\":{\"cache_enabled\":true},"
                       "\"sass\":{\"enabled\":false,\"disabled_advisors\":[\"a1\"],"
                       "\"advisor_run_intervals\":{\"standard_interval\":3600000000000,\"rare_interval\":0,"
                       "\"frequent_interval\":0}},"
                       "\"alerting\":{\"enabled\":false},\"azure\":{\"enabled\":true},"
                       "\"backup_management\":{\"enabled\":false},\"pmmServerID\":\"srv\",\"default_role_id\":1,"
                       "\"access_control\":{\"enabled\":true},\"encrypted_items\":[\"pmm-managed.agents.username\"],"
                       "\"Nomad\":{\"enabled\":null}}");
    ck_assert_str_eq(s.pmm_public_address, "pmm.example.com");
    ck_assert(!s.updates_enabled);
    ck_assert_int_eq(s.updates_snooze_duration, DAY);
    ck_assert(s.telemetry_enabled); /* null -> default */
    ck_assert_str_eq(s.telemetry_uuid, "abc");
    ck_assert_int_eq(s.metrics_resolutions.hr, SEC);
    ck_assert_int_eq(s.metrics_resolutions.mr, 10 * SEC); /* 0 -> default */
    ck_assert_int_eq(s.metrics_resolutions.lr, 120 * SEC);
    ck_assert_int_eq(s.data_retention, 10 * DAY);
    ck_assert_uint_eq(s.aws_partitions.n, 2);
    ck_assert(s.aws_instance_checked && s.vm_cache_enabled && s.azure_discover_enabled && s.access_control_enabled);
    ck_assert(!s.advisors_enabled && !s.alerting_enabled && !s.backup_management_enabled);
    ck_assert_uint_eq(s.disabled_advisors.n, 1);
    ck_assert_int_eq(s.advisor_run_intervals.standard_interval, 3600 * SEC);
    ck_assert_int_eq(s.advisor_run_intervals.rare_interval, 78 * 3600 * SEC);
    ck_assert_str_eq(s.pmm_server_id, "srv");
    ck_assert_int_eq(s.default_role_id, 1);
    ck_assert_str_eq(s.encrypted_items.v[0], "pmm-managed.agents.username");
    settings_free(&s);
}
END_TEST

START_TEST(bad_documents_refused)
{
    const char *bad[] = { "", "[]", "nope", "{\"data_retention\":\"30d\"}", "{\"updates\":[]}",
                          "{\"aws_partitions\":[1]}", "{\"alerting\":{\"enabled\":1}}",
                          "{\"sass\":{\"advisor_run_intervals\":5}}" };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        settings s;
        char err[256] = "";
        ck_assert_msg(settings_from_json(bad[i], &s, err, sizeof err) == -1, "accepted %s", bad[i]);
        ck_assert_msg(err[0] != '\0', "no reason for %s", bad[i]);
    }
}
END_TEST

START_TEST(save_keeps_unknown_keys_and_uses_upstream_names)
{
    settings s = parse("{}");
    s.metrics_resolutions.hr = 2 * SEC;
    s.alerting_enabled = false;
    char *doc = settings_to_json(&s, "{\"otel\":{\"collector_enabled\":true},"
                                     "\"sass\":{\"future\":1,\"advisor_run_intervals\":{\"extra\":2}},"
                                     "\"default_role_id\":7}");
    ck_assert_ptr_nonnull(doc);
    json_t *root = json_loads(doc, 0, NULL);
    ck_assert_ptr_nonnull(root);
    ck_assert(json_is_true(json_object_get(json_object_get(root, "otel"), "collector_enabled")));
    json_t *sass = json_object_get(root, "sass");
    ck_assert_int_eq(json_integer_value(json_object_get(sass, "future")), 1);
    json_t *ai = json_object_get(sass, "advisor_run_intervals");
    ck_assert_int_eq(json_integer_value(json_object_get(ai, "extra")), 2);
    ck_assert_int_eq(json_integer_value(json_object_get(ai, "rare_interval")), 78 * 3600 * SEC);
    ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(root, "metrics_resolutions"), "hr")),
                     2 * SEC);
    ck_assert(json_is_false(json_object_get(json_object_get(root, "alerting"), "enabled")));
    ck_assert_int_eq(json_integer_value(json_object_get(root, "data_retention")), 30 * DAY);
    ck_assert_int_eq(json_integer_value(json_object_get(root, "default_role_id")), 0);
    ck_assert(json_is_true(json_object_get(json_object_get(root, "updates"), "enabled")));
    ck_assert_ptr_nonnull(json_object_get(root, "pmmServerID"));
    json_decref(root);

    /* And it reads back the same. */
    settings back = parse(doc);
    ck_assert_int_eq(back.metrics_resolutions.hr, 2 * SEC);
    ck_assert(!back.alerting_enabled);
    settings_free(&back);
    free(doc);
    ck_assert_ptr_null(settings_to_json(&s, "[1]"));
    settings_free(&s);
}
END_TEST

static const char *validate(const settings_params *p)
{
    static char err[512];
    err[0] = '\0';
    return settings_validate(p, err, sizeof err) == 0 ? NULL : err;
}

START_TEST(validation_texts_as_upstream)
{
    settings_params p = { 0 };
    ck_assert_ptr_null(validate(&p));
    p.metrics_resolutions.hr = SEC / 2;
    ck_assert_str_eq(validate(&p), "hr: minimal resolution is 1s");
    p.metrics_resolutions.hr = 1500 * SEC / 1000;
    ck_assert_str_eq(validate(&p), "hr: should be a natural number of seconds");
    p.metrics_resolutions.hr = 0;
    p.metrics_resolutions.mr = -SEC;
    ck_assert_str_eq(validate(&p), "mr: minimal resolution is 1s");
    p.metrics_resolutions.mr = 0;
    p.metrics_resolutions.lr = 60 * SEC + 1;
    ck_assert_str_eq(validate(&p), "lr: should be a natural number of seconds");
    p.metrics_resolutions.lr = 0;
    p.advisor_run_intervals.rare_interval = 100;
    ck_assert_str_eq(validate(&p), "rare_interval: minimal resolution is 1s");
    p.advisor_run_intervals.rare_interval = 0;
    p.advisor_run_intervals.standard_interval = SEC + 1;
    ck_assert_str_eq(validate(&p), "standard_interval: should be a natural number of seconds");
    p.advisor_run_intervals.standard_interval = 0;
    p.advisor_run_intervals.frequent_interval = 10;
    ck_assert_str_eq(validate(&p), "frequent_interval: minimal resolution is 1s");
    p.advisor_run_intervals.frequent_interval = 0;
    p.data_retention = 12 * 3600 * SEC;
    ck_assert_str_eq(validate(&p), "data_retention: minimal resolution is 24h");
    p.data_retention = 36 * 3600 * SEC;
    ck_assert_str_eq(validate(&p), "data_retention: should be a natural number of days");
    p.data_retention = 2 * DAY;
    ck_assert_ptr_null(validate(&p));

    char *five[] = { "aws", "aws-cn", "aws-iso", "aws-us-gov", "aws" };
    settings_strings l = { 5, five };
    p.aws_partitions = &l;
    ck_assert_str_eq(validate(&p), "aws_partitions: list is too long");
    char *bad[] = { "aws", "aws-\"x\"" };
    l = (settings_strings){ 2, bad };
    ck_assert_str_eq(validate(&p), "aws_partitions: partition \"aws-\\\"x\\\"\" is invalid");
    l = (settings_strings){ 4, five };
    ck_assert_ptr_null(validate(&p));
}
END_TEST

START_TEST(apply_as_upstream_update)
{
    settings s = parse("{\"telemetry\":{\"enabled\":true,\"uuid\":\"u\"},\"aws_partitions\":[\"aws-cn\"]}");
    bool f = false;
    char *dup[] = { "aws-cn", "aws", "aws-cn" };
    settings_strings l = { 3, dup };
    settings_params p = { .enable_telemetry = &f, .aws_partitions = &l, .ssh_key = "k", .pmm_public_address = "a",
                          .metrics_resolutions = { .mr = 3 * SEC }, .data_retention = 2 * DAY,
                          .enable_alerting = &f, .update_snooze_duration = DAY };
    ck_assert_int_eq(settings_apply(&s, &p), 0);
    ck_assert(!s.telemetry_enabled);
    ck_assert_str_eq(s.telemetry_uuid, "");
    ck_assert_uint_eq(s.aws_partitions.n, 2); /* deduplicated and sorted */
    ck_assert_str_eq(s.aws_partitions.v[0], "aws");
    ck_assert_str_eq(s.aws_partitions.v[1], "aws-cn");
    ck_assert_str_eq(s.ssh_key, "k");
    ck_assert_str_eq(s.pmm_public_address, "a");
    ck_assert_int_eq(s.metrics_resolutions.hr, 5 * SEC);
    ck_assert_int_eq(s.metrics_resolutions.mr, 3 * SEC);
    ck_assert_int_eq(s.data_retention, 2 * DAY);
    ck_assert_int_eq(s.updates_snooze_duration, DAY);
    ck_assert(!s.alerting_enabled && s.updates_enabled);

    /* An empty list resets to the default partition. */
    l = (settings_strings){ 0, NULL };
    ck_assert_int_eq(settings_apply(&s, &(settings_params){ .aws_partitions = &l }), 0);
    ck_assert_uint_eq(s.aws_partitions.n, 1);
    ck_assert_str_eq(s.aws_partitions.v[0], "aws");
    settings_free(&s);
}
END_TEST

START_TEST(go_duration_text)
{
    const struct {
        int64_t ns;
        const char *s;
    } cases[] = {
        { 0, "0s" },          { 5 * SEC, "5s" },          { 60 * SEC, "1m0s" },         { 90 * SEC, "1m30s" },
        { 24 * 3600 * SEC, "24h0m0s" }, { 1500 * SEC / 1000, "1.5s" }, { SEC / 2, "500ms" }, { 1500, "1.5\xc2\xb5s" },
        { 7, "7ns" },         { -5 * SEC, "-5s" },        { 3661 * SEC + 1, "1h1m1.000000001s" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char buf[64];
        settings_duration_str(cases[i].ns, buf, sizeof buf);
        ck_assert_str_eq(buf, cases[i].s);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("settings");
    TCase *tc = tcase_create("settings");
    tcase_add_test(tc, empty_document_gets_upstream_defaults);
    tcase_add_test(tc, upstream_document_read);
    tcase_add_test(tc, bad_documents_refused);
    tcase_add_test(tc, save_keeps_unknown_keys_and_uses_upstream_names);
    tcase_add_test(tc, validation_texts_as_upstream);
    tcase_add_test(tc, apply_as_upstream_update);
    tcase_add_test(tc, go_duration_text);
    suite_add_tcase(s, tc);
    return check_run(s);
}
