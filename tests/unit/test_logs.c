/* Unit tests of logs.zip: configd's log tails and archive (configd/logs),
 * the gateway's line-count parsing and file name (gateway/logs_zip), and
 * common/proc which runs supervisorctl for it. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zip.h>

#include "configd/logs.h"
#include "gateway/logs_zip.h"
#include "proc.h"
#include "tests/lib/checkrun.h"

static char dir[] = "/tmp/test-logs-XXXXXX";

static void write_file(const char *name, const char *text)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
}

static void setup(void)
{
    strcpy(dir, "/tmp/test-logs-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char sub[512];
    snprintf(sub, sizeof sub, "%s/log", dir);
    ck_assert_int_eq(mkdir(sub, 0755), 0);
}

static void teardown(void)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
}

static char *tail(const char *name, long n)
{
    char path[512], err[256], *out;
    size_t len;
    time_t m;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    ck_assert_int_eq(logs_tail(path, n, &out, &len, &m, err, sizeof err), 0);
    ck_assert_uint_eq(strlen(out), len);
    ck_assert_int_gt(m, 0);
    return out;
}

#define ASSERT_TAIL(name, n, expect)                                                                         \
    do {                                                                                                     \
        char *got_ = tail(name, n);                                                                          \
        ck_assert_str_eq(got_, expect);                                                                      \
        free(got_);                                                                                          \
    } while (0)

START_TEST(tail_keeps_last_lines)
{
    /* upstream TestReadLog: 10 lines, the last 5 */
    char text[200] = "";
    for (int i = 0; i < 10; i++)
        sprintf(text + strlen(text), "line #%03d\n", i);
    write_file("ten.log", text);
    ASSERT_TAIL("ten.log", 5, "line #005\nline #006\nline #007\nline #008\nline #009\n");
    ASSERT_TAIL("ten.log", 1, "line #009\n");
    ASSERT_TAIL("ten.log", 10, text);
    ASSERT_TAIL("ten.log", 500, text);
    ASSERT_TAIL("ten.log", -1, text);
    ASSERT_TAIL("ten.log", 0, "");
    /* a last line without its newline still counts as a line */
    write_file("open.log", "a\nb\nc");
    ASSERT_TAIL("open.log", 1, "c");
    ASSERT_TAIL("open.log", 2, "b\nc");
    /* empty lines are lines */
    write_file("blank.log", "x\n\n\n");
    ASSERT_TAIL("blank.log", 2, "\n\n");
    ASSERT_TAIL("blank.log", 3, "x\n\n\n");
    write_file("empty.log", "");
    ASSERT_TAIL("empty.log", 5, "");
}
END_TEST

START_TEST(tail_of_a_large_file_crosses_blocks)
{
    char path[512];
    snprintf(path, sizeof path, "%s/big.log", dir);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    for (int i = 0; i < 100000; i++)
        fprintf(f, "%07d\n", i);
    fclose(f);
    char *out = tail("big.log", 20000);
    ck_assert_uint_eq(strlen(out), 20000 * 8);
    ck_assert(strncmp(out, "0080000\n", 8) == 0);
    ck_assert(strcmp(out + strlen(out) - 8, "0099999\n") == 0);
    free(out);
}
END_TEST

START_TEST(tail_error_is_go_text)
{
    char path[512], err[256], *out;
    size_t len;
    time_t m;
    snprintf(path, sizeof path, "%s/missing.log", dir);
    ck_assert_int_eq(logs_tail(path, 5, &out, &len, &m, err, sizeof err), -1);
    char expect[600];
    snprintf(expect, sizeof expect, "open %s: no such file or directory", path);
    ck_assert_str_eq(err, expect);
}
END_TEST

/* Reads member name of a zip in memory: malloc'd text, or NULL. */
static char *member(zip_t *za, const char *name)
{
    zip_stat_t st;
    if (zip_stat(za, name, 0, &st) != 0)
        return NULL;
    ck_assert_int_eq(st.comp_method, ZIP_CM_DEFLATE);
    ck_assert_int_gt(st.mtime, 0);
    char *buf = calloc(1, st.size + 1);
    zip_file_t *zf = zip_fopen(za, name, 0);
    ck_assert_ptr_nonnull(zf);
    ck_assert_int_eq(zip_fread(zf, buf, st.size), (zip_int64_t)st.size);
    zip_fclose(zf);
    return buf;
}

static zip_t *open_zip(uint8_t *data, size_t len)
{
    zip_error_t ze;
    zip_error_init(&ze);
    zip_source_t *src = zip_source_buffer_create(data, len, 0, &ze);
    ck_assert_ptr_nonnull(src);
    zip_t *za = zip_open_from_source(src, ZIP_RDONLY | ZIP_CHECKCONS, &ze);
    ck_assert_msg(za != NULL, "not a zip: %s", zip_error_strerror(&ze));
    zip_error_fini(&ze);
    return za;
}

START_TEST(zip_has_logs_configs_and_status)
{
    char text[400] = "";
    for (int i = 0; i < 30; i++)
        sprintf(text + strlen(text), "line %d\n", i);
    write_file("log/configd.log", text);
    write_file("log/gateway.log", "one\ntwo\n");
    write_file("log/other.txt", "not a log\n");
    write_file("supervisord.conf", "[supervisord]\n");
    write_file("vmalert.ini", "; Managed by pmm-managed. DO NOT EDIT.\n");
    char log_dir[512], conf[512], ini[512], missing[512];
    snprintf(log_dir, sizeof log_dir, "%s/log", dir);
    snprintf(conf, sizeof conf, "%s/supervisord.conf", dir);
    snprintf(ini, sizeof ini, "%s/*.ini", dir);
    snprintf(missing, sizeof missing, "%s/victoriametrics.ini", dir);
    const char *const files[] = { conf, NULL };
    const char *const globs[] = { ini, NULL };
    const char *const status[] = { "sh", "-c", "echo configd RUNNING; exit 3", NULL };
    logs_sources src = { .log_dir = log_dir, .files = files, .globs = globs, .status_argv = status,
                         .version = "3.0.0" };
    uint8_t *data;
    size_t len;
    rpc_status st = { 0 };
    ck_assert_int_eq(logs_zip(&src, 10, 1 << 20, &data, &len, &st), RPC_OK);
    zip_t *za = open_zip(data, len);
    /* sorted by name, as upstream */
    const char *names[] = { "configd.log", "gateway.log", "pmm-version.txt", "supervisorctl_status.log",
                            "supervisord.conf", "systemctl_status.log", "vmalert.ini" };
    ck_assert_int_eq(zip_get_num_entries(za, 0), 7);
    for (int i = 0; i < 7; i++)
        ck_assert_str_eq(zip_get_name(za, (zip_uint64_t)i, 0), names[i]);
    char *s = member(za, "configd.log");
    ck_assert_str_eq(s, strstr(text, "line 20\n"));
    free(s);
    s = member(za, "gateway.log");
    ck_assert_str_eq(s, "one\ntwo\n");
    free(s);
    s = member(za, "pmm-version.txt");
    ck_assert_str_eq(s, "3.0.0\n");
    free(s);
    /* a failed command keeps its output, then the error, as upstream */
    s = member(za, "supervisorctl_status.log");
    ck_assert_str_eq(s, "configd RUNNING\n\n\nexit status 3");
    free(s);
    s = member(za, "vmalert.ini");
    ck_assert_str_eq(s, "; Managed by pmm-managed. DO NOT EDIT.\n");
    free(s);
    zip_close(za);
    free(data);

    /* a missing file is a member holding the error text */
    const char *const files2[] = { conf, missing, NULL };
    src.files = files2;
    ck_assert_int_eq(logs_zip(&src, -1, 1 << 20, &data, &len, &st), RPC_OK);
    za = open_zip(data, len);
    s = member(za, "configd.log");
    ck_assert_str_eq(s, text); /* -1: whole logs */
    free(s);
    s = member(za, "victoriametrics.ini");
    char expect[600];
    snprintf(expect, sizeof expect, "open %s: no such file or directory", missing);
    ck_assert_str_eq(s, expect);
    free(s);
    zip_close(za);
    free(data);
}
END_TEST

START_TEST(zip_limits)
{
    char log_dir[512];
    snprintf(log_dir, sizeof log_dir, "%s/log", dir);
    logs_sources src = { .log_dir = log_dir, .version = "3.0.0" };
    uint8_t *data;
    size_t len;
    rpc_status st = { 0 };
    ck_assert_int_eq(logs_zip(&src, -2, 1 << 20, &data, &len, &st), RPC_INVALID_ARGUMENT);
    ck_assert_ptr_null(data);
    ck_assert_int_eq(logs_zip(&src, 0, 100, &data, &len, &st), RPC_RESOURCE_EXHAUSTED);
    ck_assert_ptr_null(data);
    ck_assert_ptr_nonnull(strstr(st.message, "line-count"));
    /* the default is upstream's 50000 lines */
    char path[512];
    snprintf(path, sizeof path, "%s/log/long.log", dir);
    FILE *f = fopen(path, "w");
    for (int i = 0; i < LOGS_DEFAULT_LINES + 5; i++)
        fprintf(f, "%d\n", i);
    fclose(f);
    ck_assert_int_eq(logs_zip(&src, 0, 1 << 24, &data, &len, &st), RPC_OK);
    zip_t *za = open_zip(data, len);
    char *s = member(za, "long.log");
    ck_assert(strncmp(s, "5\n6\n", 4) == 0);
    int lines = 0;
    for (char *p = s; *p; p++)
        lines += *p == '\n';
    ck_assert_int_eq(lines, LOGS_DEFAULT_LINES);
    free(s);
    zip_close(za);
    free(data);
}
END_TEST

START_TEST(line_count_parses_as_go)
{
    char err[600];
    int32_t n = 7;
    ck_assert_int_eq(logs_zip_parse_line_count("100", &n, err, sizeof err), 0);
    ck_assert_int_eq(n, 100);
    ck_assert_int_eq(logs_zip_parse_line_count("-1", &n, err, sizeof err), 0);
    ck_assert_int_eq(n, -1);
    ck_assert_int_eq(logs_zip_parse_line_count("+0", &n, err, sizeof err), 0);
    ck_assert_int_eq(n, 0);
    ck_assert_int_eq(logs_zip_parse_line_count("2147483647", &n, err, sizeof err), 0);
    ck_assert_int_eq(n, 2147483647);
    ck_assert_int_eq(logs_zip_parse_line_count("-2147483648", &n, err, sizeof err), 0);
    ck_assert_int_eq(n, INT32_MIN);
    ck_assert_int_eq(logs_zip_parse_line_count("abc", &n, err, sizeof err), -1);
    ck_assert_str_eq(err, "Unable to parse line-count parameter: strconv.ParseInt: parsing \"abc\": invalid syntax");
    ck_assert_int_eq(logs_zip_parse_line_count("-", &n, err, sizeof err), -1);
    ck_assert_str_eq(err, "Unable to parse line-count parameter: strconv.ParseInt: parsing \"-\": invalid syntax");
    ck_assert_int_eq(logs_zip_parse_line_count(" 1", &n, err, sizeof err), -1);
    ck_assert_int_eq(logs_zip_parse_line_count("1.5", &n, err, sizeof err), -1);
    ck_assert_int_eq(logs_zip_parse_line_count("2147483648", &n, err, sizeof err), -1);
    ck_assert_str_eq(err,
                     "Unable to parse line-count parameter: strconv.ParseInt: parsing \"2147483648\": value out of range");
    ck_assert_int_eq(logs_zip_parse_line_count("-2147483649", &n, err, sizeof err), -1);
    ck_assert_str_eq(err,
                     "Unable to parse line-count parameter: strconv.ParseInt: parsing \"-2147483649\": value out of range");
    /* Go finds the unsigned overflow before a later bad character */
    ck_assert_int_eq(logs_zip_parse_line_count("99999999999x", &n, err, sizeof err), -1);
    ck_assert_str_eq(err,
                     "Unable to parse line-count parameter: strconv.ParseInt: parsing \"99999999999x\": value out of range");
    ck_assert_int_eq(logs_zip_parse_line_count("1\"\n", &n, err, sizeof err), -1);
    ck_assert_str_eq(err, "Unable to parse line-count parameter: strconv.ParseInt: parsing \"1\\\"\\n\": invalid syntax");
}
END_TEST

START_TEST(file_name_is_utc_minutes)
{
    char name[64];
    logs_zip_filename(name, sizeof name, 1767323045); /* 2026-01-02T03:04:05Z */
    ck_assert_str_eq(name, "pmm-server_2026-01-02_03-04.zip");
}
END_TEST

START_TEST(proc_runs_and_times_out)
{
    proc_result r;
    const char *const ok[] = { "sh", "-c", "echo out; echo err >&2", NULL };
    ck_assert_int_eq(proc_run(ok, 5000, 1024, &r), 0);
    ck_assert_str_eq(r.out, "out\nerr\n");
    ck_assert_str_eq(r.error, "");
    proc_result_clear(&r);
    const char *const fail[] = { "sh", "-c", "exit 3", NULL };
    ck_assert_int_eq(proc_run(fail, 5000, 1024, &r), -1);
    ck_assert_int_eq(r.exit_code, 3);
    ck_assert_str_eq(r.error, "exit status 3");
    proc_result_clear(&r);
    const char *const big[] = { "sh", "-c", "yes | head -c 100000", NULL };
    ck_assert_int_eq(proc_run(big, 5000, 10, &r), 0);
    ck_assert_uint_eq(r.len, 10);
    proc_result_clear(&r);
    const char *const slow[] = { "sleep", "10", NULL };
    ck_assert_int_eq(proc_run(slow, 200, 1024, &r), -1);
    ck_assert_int_eq(r.timed_out, 1);
    ck_assert_int_eq(r.signal, 9);
    proc_result_clear(&r);
    const char *const none[] = { "/nonexistent/prog", NULL };
    ck_assert_int_eq(proc_run(none, 1000, 1024, &r), -1);
    ck_assert_ptr_nonnull(strstr(r.error, "/nonexistent/prog"));
    proc_result_clear(&r);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("logs");
    TCase *tc = tcase_create("logs");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, tail_keeps_last_lines);
    tcase_add_test(tc, tail_of_a_large_file_crosses_blocks);
    tcase_add_test(tc, tail_error_is_go_text);
    tcase_add_test(tc, zip_has_logs_configs_and_status);
    tcase_add_test(tc, zip_limits);
    tcase_add_test(tc, line_count_parses_as_go);
    tcase_add_test(tc, file_name_is_utc_minutes);
    tcase_add_test(tc, proc_runs_and_times_out);
    suite_add_tcase(s, tc);
    return check_run(s);
}
