/* Unit tests of common/validate: every rule kind's check and text against
 * protoc-gen-validate's Go templates (what the generated Validate() of a
 * pmm-managed request answers), one table row per case. */
#include <check.h>
#include <stdint.h>
#include <string.h>

#include "tests/lib/checkrun.h"
#include "validate.h"

/* Each case runs one check; want is the whole message, or NULL when the
 * value passes. */
typedef struct {
    const char *name;
    int (*run)(rpc_status *st);
    const char *want;
} vcase;

static void run_cases(const vcase *cases, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        rpc_status st = { 0 };
        int rc = cases[i].run(&st);
        if (!cases[i].want) {
            ck_assert_msg(rc == RPC_OK, "%s: unexpected failure: %s", cases[i].name, st.message);
            continue;
        }
        ck_assert_msg(rc == RPC_INVALID_ARGUMENT && st.code == RPC_INVALID_ARGUMENT, "%s: passed or wrong code %d",
                      cases[i].name, rc);
        ck_assert_msg(strcmp(st.message, cases[i].want) == 0, "%s:\n got: %s\nwant: %s", cases[i].name, st.message,
                      cases[i].want);
    }
}

#define M "AddThingRequest"

/* ---- strings ------------------------------------------------------------------ */

static int s_min_empty(rpc_status *st) { return validate_min_len(st, "", 1, M, "NodeName"); }
static int s_min_null(rpc_status *st) { return validate_min_len(st, NULL, 1, M, "NodeName"); }
/* 35 runes of which one is two bytes: 36 bytes are not 36 runes */
static int s_min_runes(rpc_status *st) { return validate_min_len(st, "\xc3\xa9" "0123456789012345678901234567890123", 36, M, "AgentId"); }
static int s_min_ok(rpc_status *st) { return validate_min_len(st, "x", 1, M, "NodeName"); }
static int s_max(rpc_status *st) { return validate_max_len(st, "abcd", 3, M, "Name"); }
static int s_max_runes_ok(rpc_status *st) { return validate_max_len(st, "\xc3\xa9\xc3\xa9\xc3\xa9", 3, M, "Name"); }
static int s_between(rpc_status *st) { return validate_len_range(st, "a", 2, 4, M, "Name"); }
static int s_between_ok(rpc_status *st) { return validate_len_range(st, "abcd", 2, 4, M, "Name"); }
static int s_exact(rpc_status *st) { return validate_len_range(st, "abc", 2, 2, M, "Code"); }
static const char *const kinds[] = { "mysql", "mongodb", NULL };
static int s_in(rpc_status *st) { return validate_str_in(st, "redis", kinds, false, M, "Kind"); }
static int s_in_ok(rpc_status *st) { return validate_str_in(st, "mongodb", kinds, false, M, "Kind"); }
static int s_not_in(rpc_status *st) { return validate_str_in(st, "mysql", kinds, true, M, "Kind"); }
static int s_uuid(rpc_status *st) { return validate_uuid(st, "not-a-uuid", "GetActionRequest", "ActionId"); }
static int s_uuid_empty(rpc_status *st) { return validate_uuid(st, "", "CancelActionRequest", "ActionId"); }
static int s_uuid_upper_ok(rpc_status *st) { return validate_uuid(st, "0A1B2C3D-4E5F-6789-ABCD-EF0123456789", M, "Id"); }
static int s_host_ok(rpc_status *st) { return validate_hostname(st, "Db-1.example.com.", M, "Host"); }
static int s_host_char(rpc_status *st) { return validate_hostname(st, "db_1.example", M, "Host"); }
static int s_host_empty_part(rpc_status *st) { return validate_hostname(st, "a..b", M, "Host"); }
static int s_host_hyphen(rpc_status *st) { return validate_hostname(st, "-a.b", M, "Host"); }
static int s_host_hyphen_end(rpc_status *st) { return validate_hostname(st, "a-.b", M, "Host"); }
static int s_host_utf8(rpc_status *st) { return validate_hostname(st, "caf\xc3\xa9", M, "Host"); }
static int s_ip(rpc_status *st) { return validate_ip(st, "10.0.0.256", 0, M, "Address"); }
static int s_ip_ok(rpc_status *st) { return validate_ip(st, "fe80::1", 0, M, "Address"); }
static int s_ipv4(rpc_status *st) { return validate_ip(st, "fe80::1", 4, M, "Address"); }
static int s_ipv4_mapped_ok(rpc_status *st) { return validate_ip(st, "::ffff:10.0.0.1", 4, M, "Address"); }
static int s_ipv6_mapped(rpc_status *st) { return validate_ip(st, "::ffff:10.0.0.1", 6, M, "Address"); }
static int s_ipv4_leading_zero(rpc_status *st) { return validate_ip(st, "010.0.0.1", 4, M, "Address"); }
static int s_pattern(rpc_status *st) { return validate_pattern(st, "ab1", "^[a-z]+$", M, "Name"); }
static int s_pattern_ok(rpc_status *st) { return validate_pattern(st, "abc", "^[a-z]+$", M, "Name"); }
static int s_pattern_quote(rpc_status *st) { return validate_pattern(st, "x", "^\"a\\\\b\"$", M, "Name"); }

START_TEST(strings)
{
    static const vcase cases[] = {
        { "min_len empty", s_min_empty, "invalid " M ".NodeName: value length must be at least 1 runes" },
        { "min_len unset", s_min_null, "invalid " M ".NodeName: value length must be at least 1 runes" },
        { "min_len counts runes", s_min_runes, "invalid " M ".AgentId: value length must be at least 36 runes" },
        { "min_len ok", s_min_ok, NULL },
        { "max_len", s_max, "invalid " M ".Name: value length must be at most 3 runes" },
        { "max_len counts runes", s_max_runes_ok, NULL },
        { "min+max", s_between, "invalid " M ".Name: value length must be between 2 and 4 runes, inclusive" },
        { "min+max ok", s_between_ok, NULL },
        { "len", s_exact, "invalid " M ".Code: value length must be 2 runes" },
        { "in", s_in, "invalid " M ".Kind: value must be in list [mysql mongodb]" },
        { "in ok", s_in_ok, NULL },
        { "not_in", s_not_in, "invalid " M ".Kind: value must not be in list [mysql mongodb]" },
        { "uuid", s_uuid, "invalid GetActionRequest.ActionId: value must be a valid UUID | caused by: invalid uuid format" },
        { "uuid empty", s_uuid_empty,
          "invalid CancelActionRequest.ActionId: value must be a valid UUID | caused by: invalid uuid format" },
        { "uuid upper case", s_uuid_upper_ok, NULL },
        { "hostname ok", s_host_ok, NULL },
        { "hostname char", s_host_char,
          "invalid " M ".Host: value must be a valid hostname | caused by: hostname parts can only contain "
          "alphanumeric characters or hyphens, got \"_\"" },
        { "hostname empty part", s_host_empty_part,
          "invalid " M ".Host: value must be a valid hostname | caused by: hostname part must be non-empty and "
          "cannot exceed 63 characters" },
        { "hostname leading hyphen", s_host_hyphen,
          "invalid " M ".Host: value must be a valid hostname | caused by: hostname parts cannot begin with hyphens" },
        { "hostname trailing hyphen", s_host_hyphen_end,
          "invalid " M ".Host: value must be a valid hostname | caused by: hostname parts cannot end with hyphens" },
        { "hostname non-ASCII rune", s_host_utf8,
          "invalid " M ".Host: value must be a valid hostname | caused by: hostname parts can only contain "
          "alphanumeric characters or hyphens, got \"\xc3\xa9\"" },
        { "ip", s_ip, "invalid " M ".Address: value must be a valid IP address" },
        { "ip v6 ok", s_ip_ok, NULL },
        { "ipv4", s_ipv4, "invalid " M ".Address: value must be a valid IPv4 address" },
        { "ipv4 mapped is v4", s_ipv4_mapped_ok, NULL },
        { "ipv6 mapped is not v6", s_ipv6_mapped, "invalid " M ".Address: value must be a valid IPv6 address" },
        { "ipv4 leading zero", s_ipv4_leading_zero, "invalid " M ".Address: value must be a valid IPv4 address" },
        { "pattern", s_pattern, "invalid " M ".Name: value does not match regex pattern \"^[a-z]+$\"" },
        { "pattern ok", s_pattern_ok, NULL },
        { "pattern Go-quoted", s_pattern_quote,
          "invalid " M ".Name: value does not match regex pattern \"^\\\"a\\\\\\\\b\\\"$\"" },
    };
    run_cases(cases, sizeof cases / sizeof *cases);
}
END_TEST

/* ---- numbers and enums ------------------------------------------------------- */

#define R(...) (&(const validate_int_rules){ __VA_ARGS__ })
static int n_port0(rpc_status *st) { return validate_int(st, 0, &validate_port_rules, "AddHAProxyServiceParams", "ListenPort"); }
static int n_port_max(rpc_status *st) { return validate_int(st, 65536, &validate_port_rules, M, "ListenPort"); }
static int n_port_ok(rpc_status *st) { return validate_int(st, 65535, &validate_port_rules, M, "ListenPort"); }
static int n_gt0(rpc_status *st) { return validate_int(st, 0, &validate_gt0_rules, "AddRDSServiceParams", "Port"); }
static int n_gt0_ok(rpc_status *st) { return validate_int(st, 1, &validate_gt0_rules, M, "Port"); }
static int n_gte(rpc_status *st) { return validate_int(st, -1, R(.has = VALIDATE_GTE, .gte = 0), M, "Limit"); }
static int n_lt(rpc_status *st) { return validate_int(st, 10, R(.has = VALIDATE_LT, .lt = 10), M, "Limit"); }
static int n_lte(rpc_status *st) { return validate_int(st, 11, R(.has = VALIDATE_LTE, .lte = 10), M, "Limit"); }
static int n_lte_ok(rpc_status *st) { return validate_int(st, 10, R(.has = VALIDATE_LTE, .lte = 10), M, "Limit"); }
static int n_gte_lt(rpc_status *st) { return validate_int(st, 5, R(.has = VALIDATE_GTE | VALIDATE_LT, .gte = 1, .lt = 5), M, "N"); }
static int n_gt_lte(rpc_status *st) { return validate_int(st, 1, R(.has = VALIDATE_GT | VALIDATE_LTE, .gt = 1, .lte = 5), M, "N"); }
static int n_gte_lte(rpc_status *st) { return validate_int(st, 6, R(.has = VALIDATE_GTE | VALIDATE_LTE, .gte = 1, .lte = 5), M, "N"); }
static int n_out_gt_lt(rpc_status *st) { return validate_int(st, 3, R(.has = VALIDATE_GT | VALIDATE_LT, .gt = 5, .lt = 1), M, "N"); }
static int n_out_gt_lt_ok(rpc_status *st) { return validate_int(st, 6, R(.has = VALIDATE_GT | VALIDATE_LT, .gt = 5, .lt = 1), M, "N"); }
static int n_out_gte_lt(rpc_status *st) { return validate_int(st, 1, R(.has = VALIDATE_GTE | VALIDATE_LT, .gte = 5, .lt = 1), M, "N"); }
static int n_out_gt_lte(rpc_status *st) { return validate_int(st, 5, R(.has = VALIDATE_GT | VALIDATE_LTE, .gt = 5, .lte = 1), M, "N"); }
static int n_out_gte_lte(rpc_status *st) { return validate_int(st, 3, R(.has = VALIDATE_GTE | VALIDATE_LTE, .gte = 5, .lte = 1), M, "N"); }
static int n_const(rpc_status *st) { return validate_int(st, 2, R(.has = VALIDATE_CONST | VALIDATE_GT, .eq = 3, .gt = 5), M, "N"); }
static const int64_t nlist[] = { 1, 2, 3 };
static int n_in(rpc_status *st) { return validate_int(st, 4, R(.has = VALIDATE_IN, .list = nlist, .n_list = 3), M, "N"); }
static int n_not_in(rpc_status *st) { return validate_int(st, -1, R(.has = VALIDATE_NOT_IN, .list = (const int64_t[]){ -1 }, .n_list = 1), M, "N"); }
static int n_bounds_first(rpc_status *st) { return validate_int(st, 9, R(.has = VALIDATE_LT | VALIDATE_IN, .lt = 5, .list = nlist, .n_list = 3), M, "N"); }

static const char *const levels[] = { "LOG_LEVEL_UNSPECIFIED", "LOG_LEVEL_FATAL", "LOG_LEVEL_ERROR", NULL,
                                      "LOG_LEVEL_INFO" };
#define NL (sizeof levels / sizeof *levels)
static int e_defined(rpc_status *st) { return validate_enum(st, 3, R(.has = VALIDATE_DEFINED_ONLY), levels, NL, M, "LogLevel"); }
static int e_defined_ok(rpc_status *st) { return validate_enum(st, 4, R(.has = VALIDATE_DEFINED_ONLY), levels, NL, M, "LogLevel"); }
static int e_not_in(rpc_status *st) { return validate_enum(st, 0, R(.has = VALIDATE_NOT_IN | VALIDATE_DEFINED_ONLY, .list = (const int64_t[]){ 0, 1 }, .n_list = 2), levels, NL, M, "LogLevel"); }
static int e_in(rpc_status *st) { return validate_enum(st, 7, R(.has = VALIDATE_IN | VALIDATE_DEFINED_ONLY, .list = (const int64_t[]){ 2, 4 }, .n_list = 2), levels, NL, M, "LogLevel"); }
static int e_const(rpc_status *st) { return validate_enum(st, 2, R(.has = VALIDATE_CONST, .eq = 4), levels, NL, M, "LogLevel"); }

START_TEST(numbers_and_enums)
{
    static const vcase cases[] = {
        { "gt 0 lt 65536 at 0", n_port0,
          "invalid AddHAProxyServiceParams.ListenPort: value must be inside range (0, 65536)" },
        { "gt 0 lt 65536 at 65536", n_port_max, "invalid " M ".ListenPort: value must be inside range (0, 65536)" },
        { "gt 0 lt 65536 ok", n_port_ok, NULL },
        { "gt", n_gt0, "invalid AddRDSServiceParams.Port: value must be greater than 0" },
        { "gt ok", n_gt0_ok, NULL },
        { "gte", n_gte, "invalid " M ".Limit: value must be greater than or equal to 0" },
        { "lt", n_lt, "invalid " M ".Limit: value must be less than 10" },
        { "lte", n_lte, "invalid " M ".Limit: value must be less than or equal to 10" },
        { "lte ok", n_lte_ok, NULL },
        { "gte lt", n_gte_lt, "invalid " M ".N: value must be inside range [1, 5)" },
        { "gt lte", n_gt_lte, "invalid " M ".N: value must be inside range (1, 5]" },
        { "gte lte", n_gte_lte, "invalid " M ".N: value must be inside range [1, 5]" },
        { "gt > lt", n_out_gt_lt, "invalid " M ".N: value must be outside range [1, 5]" },
        { "gt > lt ok", n_out_gt_lt_ok, NULL },
        { "gte > lt", n_out_gte_lt, "invalid " M ".N: value must be outside range [1, 5)" },
        { "gt >= lte", n_out_gt_lte, "invalid " M ".N: value must be outside range (1, 5]" },
        { "gte > lte", n_out_gte_lte, "invalid " M ".N: value must be outside range (1, 5)" },
        { "const before bounds", n_const, "invalid " M ".N: value must equal 3" },
        { "in", n_in, "invalid " M ".N: value must be in list [1 2 3]" },
        { "not_in", n_not_in, "invalid " M ".N: value must not be in list [-1]" },
        { "bounds before in", n_bounds_first, "invalid " M ".N: value must be less than 5" },
        { "enum defined_only", e_defined, "invalid " M ".LogLevel: value must be one of the defined enum values" },
        { "enum defined_only ok", e_defined_ok, NULL },
        { "enum not_in by name", e_not_in,
          "invalid " M ".LogLevel: value must not be in list [LOG_LEVEL_UNSPECIFIED LOG_LEVEL_FATAL]" },
        { "enum in before defined_only", e_in,
          "invalid " M ".LogLevel: value must be in list [LOG_LEVEL_ERROR LOG_LEVEL_INFO]" },
        { "enum const", e_const, "invalid " M ".LogLevel: value must equal LOG_LEVEL_INFO" },
    };
    run_cases(cases, sizeof cases / sizeof *cases);
}
END_TEST

/* ---- repeated, map, message ------------------------------------------------------ */

static const char *const tags[] = { "a", "b", "a" };
static int r_min(rpc_status *st) { return validate_count(st, 0, 1, VALIDATE_NO_MAX, "item", M, "Tags"); }
static int r_max(rpc_status *st) { return validate_count(st, 3, 0, 2, "item", M, "Tags"); }
static int r_exact(rpc_status *st) { return validate_count(st, 3, 2, 2, "item", M, "Tags"); }
static int r_between(rpc_status *st) { return validate_count(st, 5, 1, 4, "item", M, "Tags"); }
static int r_between_ok(rpc_status *st) { return validate_count(st, 4, 1, 4, "item", M, "Tags"); }
static int r_pairs(rpc_status *st) { return validate_count(st, 0, 1, VALIDATE_NO_MAX, "pair", M, "CustomLabels"); }
static int r_pairs_between(rpc_status *st) { return validate_count(st, 9, 1, 8, "pair", M, "CustomLabels"); }
static int r_unique(rpc_status *st) { return validate_unique(st, tags, 3, M, "Tags"); }
static int r_unique_ok(rpc_status *st) { return validate_unique(st, tags, 2, M, "Tags"); }
static int r_item(rpc_status *st)
{
    char f[64];
    validate_index(f, sizeof f, "ServiceNames", "2");
    return validate_min_len(st, "", 1, M, f);
}
static int r_map_key(rpc_status *st)
{
    char f[64];
    validate_index(f, sizeof f, "CustomLabels", "");
    return validate_min_len(st, "", 1, "key for " M, f);
}
static int m_required(rpc_status *st) { return validate_required(st, false, "ChangeSettingsRequest", "MetricsResolutions"); }
static int m_required_ok(rpc_status *st) { return validate_required(st, true, M, "X"); }
static int m_oneof_required(rpc_status *st) { return validate_required(st, false, "ChangeAgentRequest", "Agent"); }
static int m_email(rpc_status *st)
{
    return validate_fail(st, M, "Email", "mail: no angle-addr", "value must be a valid email address");
}
static int m_embedded(rpc_status *st)
{
    validate_min_len(st, "", 1, "AddNodeParams", "NodeName");
    validate_embedded(st, "AddPostgreSQLServiceParams", "add_node");
    return validate_embedded(st, "AddServiceRequest", "postgresql");
}
static int m_embedded_not_invalid(rpc_status *st)
{
    /* only a validation failure is wrapped */
    rpc_fail(st, RPC_NOT_FOUND, "Node with ID \"x\" not found.");
    int rc = validate_embedded(st, "AddServiceRequest", "mysql");
    return rc == RPC_NOT_FOUND && strcmp(st->message, "Node with ID \"x\" not found.") == 0 ? RPC_OK : RPC_INTERNAL;
}

START_TEST(repeated_map_message)
{
    static const vcase cases[] = {
        { "min_items", r_min, "invalid " M ".Tags: value must contain at least 1 item(s)" },
        { "max_items", r_max, "invalid " M ".Tags: value must contain no more than 2 item(s)" },
        { "min_items = max_items", r_exact, "invalid " M ".Tags: value must contain exactly 2 item(s)" },
        { "min_items max_items", r_between, "invalid " M ".Tags: value must contain between 1 and 4 items, inclusive" },
        { "min_items max_items ok", r_between_ok, NULL },
        { "min_pairs", r_pairs, "invalid " M ".CustomLabels: value must contain at least 1 pair(s)" },
        { "min_pairs max_pairs", r_pairs_between,
          "invalid " M ".CustomLabels: value must contain between 1 and 8 pairs, inclusive" },
        { "unique", r_unique, "invalid " M ".Tags[2]: repeated value must contain unique items" },
        { "unique ok", r_unique_ok, NULL },
        { "items rule", r_item, "invalid " M ".ServiceNames[2]: value length must be at least 1 runes" },
        { "map keys rule", r_map_key, "invalid key for " M ".CustomLabels[]: value length must be at least 1 runes" },
        { "message required", m_required, "invalid ChangeSettingsRequest.MetricsResolutions: value is required" },
        { "message required ok", m_required_ok, NULL },
        { "oneof required", m_oneof_required, "invalid ChangeAgentRequest.Agent: value is required" },
        { "email with cause", m_email,
          "invalid " M ".Email: value must be a valid email address | caused by: mail: no angle-addr" },
        { "embedded twice", m_embedded,
          "invalid AddServiceRequest.Postgresql: embedded message failed validation | caused by: "
          "invalid AddPostgreSQLServiceParams.AddNode: embedded message failed validation | caused by: "
          "invalid AddNodeParams.NodeName: value length must be at least 1 runes" },
        { "embedded keeps other errors", m_embedded_not_invalid, NULL },
    };
    run_cases(cases, sizeof cases / sizeof *cases);
}
END_TEST

/* ---- Duration and Timestamp --------------------------------------------------------- */

#define T(s, n) ((validate_time){ (s), (n) })
#define TR(...) (&(const validate_time_rules){ __VA_ARGS__ })
static int d_gte0(rpc_status *st) { return validate_duration(st, T(-1, 0), TR(.has = VALIDATE_GTE, .gte = T(0, 0)), "AddMySQLdExporterParams", "ConnectionTimeout"); }
static int d_gte0_ns(rpc_status *st) { return validate_duration(st, T(0, -1), TR(.has = VALIDATE_GTE, .gte = T(0, 0)), M, "Timeout"); }
static int d_gte0_ok(rpc_status *st) { return validate_duration(st, T(0, 0), TR(.has = VALIDATE_GTE, .gte = T(0, 0)), M, "Timeout"); }
static int d_gt_lt(rpc_status *st) { return validate_duration(st, T(90000, 0), TR(.has = VALIDATE_GT | VALIDATE_LT, .gt = T(0, 500000000), .lt = T(86400, 0)), M, "Retention"); }
static int d_lte(rpc_status *st) { return validate_duration(st, T(1, 0), TR(.has = VALIDATE_LTE, .lte = T(0, 1500)), M, "Interval"); }
static int d_lt(rpc_status *st) { return validate_duration(st, T(3600, 0), TR(.has = VALIDATE_LT, .lt = T(120, 0)), M, "Interval"); }
static int d_const(rpc_status *st) { return validate_duration(st, T(1, 0), TR(.has = VALIDATE_CONST, .eq = T(0, 2000000)), M, "Interval"); }
static int d_gt(rpc_status *st) { return validate_duration(st, T(0, 0), TR(.has = VALIDATE_GT, .gt = T(0, 999)), M, "Interval"); }
static int t_gt(rpc_status *st) { return validate_timestamp(st, T(0, 0), TR(.has = VALIDATE_GT, .gt = T(1700000000, 500000000)), M, "Since"); }
static int t_gte_lte(rpc_status *st) { return validate_timestamp(st, T(0, 0), TR(.has = VALIDATE_GTE | VALIDATE_LTE, .gte = T(-62135596800, 0), .lte = T(-1, 0)), M, "At"); }
static int t_lt_now(rpc_status *st) { return validate_timestamp_now(st, T(1000, 0), T(1000, 0), -1, T(0, 0), M, "At"); }
static int t_lt_now_ok(rpc_status *st) { return validate_timestamp_now(st, T(999, 0), T(1000, 0), -1, T(0, 0), M, "At"); }
static int t_lt_now_within(rpc_status *st) { return validate_timestamp_now(st, T(1, 0), T(10000, 0), -1, T(3600, 0), M, "At"); }
static int t_gt_now(rpc_status *st) { return validate_timestamp_now(st, T(999, 0), T(1000, 0), +1, T(0, 0), M, "At"); }
static int t_gt_now_within(rpc_status *st) { return validate_timestamp_now(st, T(99999, 0), T(1000, 0), +1, T(60, 0), M, "At"); }
static int t_within(rpc_status *st) { return validate_timestamp_now(st, T(1060, 0), T(1000, 0), 0, T(60, 0), M, "At"); }
static int t_within_ok(rpc_status *st) { return validate_timestamp_now(st, T(1059, 999999999), T(1000, 0), 0, T(60, 0), M, "At"); }

START_TEST(durations_and_timestamps)
{
    static const vcase cases[] = {
        { "duration gte 0s", d_gte0,
          "invalid AddMySQLdExporterParams.ConnectionTimeout: value must be greater than or equal to 0s" },
        { "duration gte 0s, -1ns", d_gte0_ns, "invalid " M ".Timeout: value must be greater than or equal to 0s" },
        { "duration gte 0s ok", d_gte0_ok, NULL },
        { "duration gt lt", d_gt_lt, "invalid " M ".Retention: value must be inside range (500ms, 24h0m0s)" },
        { "duration lte", d_lte, "invalid " M ".Interval: value must be less than or equal to 1.5\xc2\xb5s" },
        { "duration lt", d_lt, "invalid " M ".Interval: value must be less than 2m0s" },
        { "duration const", d_const, "invalid " M ".Interval: value must equal 2ms" },
        { "duration gt ns", d_gt, "invalid " M ".Interval: value must be greater than 999ns" },
        { "timestamp gt", t_gt, "invalid " M ".Since: value must be greater than 2023-11-14 22:13:20.5 +0000 UTC" },
        { "timestamp gte lte", t_gte_lte,
          "invalid " M ".At: value must be inside range [0001-01-01 00:00:00 +0000 UTC, 1969-12-31 23:59:59 +0000 UTC]" },
        { "lt_now", t_lt_now, "invalid " M ".At: value must be less than now" },
        { "lt_now ok", t_lt_now_ok, NULL },
        { "lt_now within", t_lt_now_within, "invalid " M ".At: value must be less than now within 1h0m0s" },
        { "gt_now", t_gt_now, "invalid " M ".At: value must be greater than now" },
        { "gt_now within", t_gt_now_within, "invalid " M ".At: value must be greater than now within 1m0s" },
        { "within", t_within, "invalid " M ".At: value must be within 1m0s of now" },
        { "within ok", t_within_ok, NULL },
    };
    run_cases(cases, sizeof cases / sizeof *cases);
}
END_TEST

/* Go's time.Duration.String(), the bounds' printing. */
START_TEST(go_duration_strings)
{
    static const struct {
        int64_t ns;
        const char *want;
    } cases[] = {
        { 0, "0s" },
        { 1, "1ns" },
        { 999, "999ns" },
        { 1000, "1\xc2\xb5s" },
        { 1500, "1.5\xc2\xb5s" },
        { 2000000, "2ms" },
        { 1234567, "1.234567ms" },
        { 1000000000, "1s" },
        { 1500000000, "1.5s" },
        { 60000000000, "1m0s" },
        { 3600000000000, "1h0m0s" },
        { 2592000000000000, "720h0m0s" },
        { 3723000000001, "1h2m3.000000001s" },
        { -1500000000, "-1.5s" },
        { -1, "-1ns" },
        { INT64_MIN, "-2562047h47m16.854775808s" },
        { INT64_MAX, "2562047h47m16.854775807s" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char out[64];
        validate_go_duration(out, sizeof out, cases[i].ns);
        ck_assert_str_eq(out, cases[i].want);
    }
}
END_TEST

START_TEST(go_names)
{
    static const char *const cases[][2] = {
        { "remote_rds", "RemoteRds" },        { "add_node", "AddNode" },
        { "qan_mysql_perfschema_agent", "QanMysqlPerfschemaAgent" },
        { "mysql_explain_json", "MysqlExplainJson" }, { "pt_postgres_summary", "PtPostgresSummary" },
        { "node_id", "NodeId" },              { "rds", "Rds" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char out[64];
        validate_go_name(cases[i][0], out, sizeof out);
        ck_assert_str_eq(out, cases[i][1]);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("validate");
    TCase *tc = tcase_create("validate");
    tcase_add_test(tc, strings);
    tcase_add_test(tc, numbers_and_enums);
    tcase_add_test(tc, repeated_map_message);
    tcase_add_test(tc, durations_and_timestamps);
    tcase_add_test(tc, go_duration_strings);
    tcase_add_test(tc, go_names);
    suite_add_tcase(s, tc);
    return check_run(s);
}
