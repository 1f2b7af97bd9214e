/* Unit tests for common/config: defaults, environment, flags, --help,
 * bad values; and common/rpc's code mapping and Go-style quoting. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "rpc.h"
#include "tests/lib/checkrun.h"

static char *s_addr;
static int s_port;
static bool s_flag;

static const cfg_option opts[] = {
    { "addr", "TEST_PMM_ADDR", CFG_STRING, "127.0.0.1", "address", &s_addr },
    { "port", "TEST_PMM_PORT", CFG_INT, "7771", "port", &s_port },
    { "flag", "TEST_PMM_FLAG", CFG_BOOL, "false", "flag", &s_flag },
    { NULL },
};

static int parse(int argc, char **argv)
{
    return cfg_parse(opts, argc, argv, "test", "test program");
}

static void setup(void)
{
    unsetenv("TEST_PMM_ADDR");
    unsetenv("TEST_PMM_PORT");
    unsetenv("TEST_PMM_FLAG");
}

static void teardown(void)
{
    cfg_free(opts);
}

START_TEST(defaults)
{
    char *argv[] = { "test", NULL };
    ck_assert_int_eq(parse(1, argv), 0);
    ck_assert_str_eq(s_addr, "127.0.0.1");
    ck_assert_int_eq(s_port, 7771);
    ck_assert(!s_flag);
}
END_TEST

START_TEST(env_overrides_default_and_flag_overrides_env)
{
    setenv("TEST_PMM_ADDR", "10.0.0.1", 1);
    setenv("TEST_PMM_PORT", "9000", 1);
    setenv("TEST_PMM_FLAG", "True", 1);
    char *argv[] = { "test", "--port=1234", NULL };
    ck_assert_int_eq(parse(2, argv), 0);
    ck_assert_str_eq(s_addr, "10.0.0.1");
    ck_assert_int_eq(s_port, 1234);
    ck_assert(s_flag);
}
END_TEST

START_TEST(flag_forms)
{
    char *argv[] = { "test", "--addr", "::1", "--flag", NULL };
    ck_assert_int_eq(parse(4, argv), 0);
    ck_assert_str_eq(s_addr, "::1");
    ck_assert(s_flag);
    cfg_free(opts);
    char *argv2[] = { "test", "--flag=0", NULL };
    ck_assert_int_eq(parse(2, argv2), 0);
    ck_assert(!s_flag);
}
END_TEST

START_TEST(bad_input_is_refused)
{
    char *a1[] = { "test", "--port=12x", NULL };
    ck_assert_int_eq(parse(2, a1), -1);
    cfg_free(opts);
    char *a2[] = { "test", "--nope", NULL };
    ck_assert_int_eq(parse(2, a2), -1);
    cfg_free(opts);
    char *a3[] = { "test", "--addr", NULL };
    ck_assert_int_eq(parse(2, a3), -1);
    cfg_free(opts);
    char *a4[] = { "test", "--flag=yes", NULL };
    ck_assert_int_eq(parse(2, a4), -1);
    cfg_free(opts);
    setenv("TEST_PMM_PORT", "99999999999", 1);
    char *a5[] = { "test", NULL };
    ck_assert_int_eq(parse(1, a5), -1);
}
END_TEST

START_TEST(help_returns_one)
{
    char *argv[] = { "test", "--help", NULL };
    ck_assert_int_eq(parse(2, argv), 1);
}
END_TEST

START_TEST(go_parse_bool)
{
    static const char *yes[] = { "1", "t", "T", "TRUE", "true", "True" };
    static const char *no[] = { "0", "f", "F", "FALSE", "false", "False" };
    bool v;
    for (int i = 0; i < 6; i++) {
        ck_assert_int_eq(cfg_parse_bool(yes[i], &v), 0);
        ck_assert(v);
        ck_assert_int_eq(cfg_parse_bool(no[i], &v), 0);
        ck_assert(!v);
    }
    ck_assert_int_eq(cfg_parse_bool("yes", &v), -1);
    ck_assert_int_eq(cfg_parse_bool("", &v), -1);
    ck_assert_int_eq(cfg_parse_bool(NULL, &v), -1);
}
END_TEST

START_TEST(code_to_http)
{
    static const int want[] = { 200, 499, 500, 400, 504, 404, 409, 403, 429, 400, 409, 400, 501, 500, 503, 500, 401 };
    for (int c = 0; c <= 16; c++)
        ck_assert_int_eq(rpc_code_to_http(c), want[c]);
    ck_assert_int_eq(rpc_code_to_http(17), 500);
    ck_assert_int_eq(rpc_code_to_http(-1), 500);
    ck_assert_str_eq(rpc_code_name(16), "Unauthenticated");
    ck_assert_str_eq(rpc_code_name(7), "PermissionDenied");
    ck_assert_str_eq(rpc_code_name(99), "Code(99)");
}
END_TEST

START_TEST(go_quote)
{
    char out[64];
    rpc_quote(out, sizeof out, "pmm-not-found");
    ck_assert_str_eq(out, "\"pmm-not-found\"");
    rpc_quote(out, sizeof out, "a\"b\\c\n");
    ck_assert_str_eq(out, "\"a\\\"b\\\\c\\n\"");
    rpc_quote(out, 8, "abcdefghijkl");
    ck_assert_int_eq(out[0], '"');
    ck_assert_int_le(strlen(out), 7);
    rpc_status st;
    ck_assert_int_eq(rpc_fail(&st, RPC_NOT_FOUND, "Node with ID %s not found.", "\"x\""), RPC_NOT_FOUND);
    ck_assert_str_eq(st.message, "Node with ID \"x\" not found.");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("config");
    TCase *tc = tcase_create("config");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, defaults);
    tcase_add_test(tc, env_overrides_default_and_flag_overrides_env);
    tcase_add_test(tc, flag_forms);
    tcase_add_test(tc, bad_input_is_refused);
    tcase_add_test(tc, help_returns_one);
    tcase_add_test(tc, go_parse_bool);
    tcase_add_test(tc, code_to_http);
    tcase_add_test(tc, go_quote);
    suite_add_tcase(s, tc);
    return check_run(s);
}
