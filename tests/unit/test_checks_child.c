/* Check scripts in their sandboxed child (checksd/child.c) and the script
 * run itself (checksd/script.c): results and upstream's error texts; a
 * script that loops, allocates without bound, crashes the evaluator or
 * makes a forbidden system call loses its own result, and the next run
 * works (the test process plays checksd). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checksd/child.h"
#include "checksd/script.h"
#include "clock.h"
#include "tests/lib/checkrun.h"

/* A request of one v2 script over one query result (an empty list). */
static void request(msgpack_sbuffer *req, const char *script)
{
    msgpack_sbuffer empty;
    msgpack_sbuffer_init(&empty);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &empty, msgpack_sbuffer_write);
    msgpack_pack_array(&pk, 0);
    const msgpack_sbuffer *r[1] = { &empty };
    msgpack_sbuffer_init(req);
    ck_assert_int_eq(script_request_pack(req, 2, "test_check", script, r, 1), 0);
    msgpack_sbuffer_destroy(&empty);
}

/* Runs script in process; the answer into *o. */
static void run_here(const char *script, script_output *o)
{
    msgpack_sbuffer req, out;
    request(&req, script);
    msgpack_sbuffer_init(&out);
    script_limits lim = { .max_memory = 32u << 20 };
    ck_assert_int_eq(script_run(req.data, req.size, &lim, &out), 0);
    ck_assert_int_eq(script_output_parse(out.data, out.size, o), 0);
    msgpack_sbuffer_destroy(&req);
    msgpack_sbuffer_destroy(&out);
}

static void expect_error(const char *script, const char *want)
{
    script_output o;
    run_here(script, &o);
    ck_assert_msg(o.error && strstr(o.error, want), "error \"%s\", want it to contain \"%s\"", o.error ? o.error : "",
                  want);
    ck_assert_uint_eq(o.n, 0);
    script_output_clear(&o);
}

#define CC "def check_context(docs, context):\n"

START_TEST(results_and_print)
{
    script_output o;
    run_here("def check_context(docs, context):\n"
             "    print('seen', len(docs))\n"
             "    return [{'summary': 'S', 'description': 'D', 'severity': 'WaRnInG',\n"
             "             'read_more_url': 'https://example.com/x', 'labels': {'a': 'b'}},\n"
             "            {'summary': 'T', 'severity': 'emergency'}]\n",
             &o);
    ck_assert_ptr_null(o.error);
    ck_assert_uint_eq(o.n, 2);
    ck_assert_str_eq(o.results[0].summary, "S");
    ck_assert_str_eq(o.results[0].description, "D");
    ck_assert_int_eq(o.results[0].severity, 5);
    ck_assert_str_eq(o.results[0].read_more_url, "https://example.com/x");
    ck_assert_uint_eq(o.results[0].n_labels, 1);
    ck_assert_str_eq(o.results[0].label_keys[0], "a");
    ck_assert_str_eq(o.results[0].label_values[0], "b");
    ck_assert_int_eq(o.results[1].severity, 1);
    ck_assert_str_eq(o.results[1].description, "");
    ck_assert_str_eq(o.print, "seen 1\n");
    script_output_clear(&o);
}
END_TEST

START_TEST(error_texts)
{
    expect_error(CC "    return 'boom'\n", "script returned error: boom");
    expect_error(CC "    return 5\n", "unexpected return type: int, expected list");
    expect_error(CC "    return [5]\n", "result 0: unexpected type int, expected dict");
    expect_error(CC "    return [{'severity': 'error'}]\n", "result 0: summary is empty");
    expect_error(CC "    return [{'summary': 'S', 'severity': 'fatal'}]\n", "result 0: unhandled result severity: fatal");
    expect_error(CC "    return [{'summary': 'S'}]\n", "unhandled result severity");
    expect_error(CC "    return [{'summary': 'S', 'severity': 'info', 'read_more_url': 'not a url'}]\n",
                 "result 0: parse \"not a url\": invalid URI for request");
    expect_error(CC "    return [{'summary': 'S', 'severity': 'info', 'labels': {'n': 1}}]\n",
                 "result 0: labels must map strings to strings");
    expect_error("def other(docs, context):\n    return []\n", "check_context function is not defined");
    expect_error(CC "    return [\n", "test_check:3:1: ");
    expect_error(CC "    fail('nope')\n", "nope");
    expect_error(CC "    return docs[1]\n", "out of range");
    /* docs are frozen */
    expect_error(CC "    docs.append(1)\n    return []\n", "frozen");
    /* recursion is an error in PMM's dialect */
    expect_error("def f(n):\n    return f(n - 1)\n" CC "    return f(3)\n", "called recursively");
    /* the host functions as globals and in context */
    script_output o;
    run_here(CC "    v = parse_version('8.0.38-30')\n"
                "    c = context['parse_version']('1.2.3')\n"
                "    return [{'summary': '%d %s %s' % (v['num'], format_version_num(v['num']),\n"
                "             context['ip_is_private']('10.1.2.3')), 'severity': 'info'}]\n",
             &o);
    ck_assert_msg(!o.error, "%s", o.error);
    ck_assert_str_eq(o.results[0].summary, "80038 8.0.38 True");
    script_output_clear(&o);
}
END_TEST

/* ---- in the sandbox ------------------------------------------------------------------ */

static child_limits quick(void)
{
    return (child_limits){ .cpu_seconds = 1, .data_bytes = 64u << 20, .wall_ms = 3000 };
}

static int run_child(const char *script, child_mode mode, const child_limits *lim, script_output *o, char *err,
                     size_t errlen)
{
    msgpack_sbuffer req, out;
    request(&req, script);
    msgpack_sbuffer_init(&out);
    int rc = child_run(req.data, req.size, lim, mode, &out, err, errlen);
    memset(o, 0, sizeof *o);
    if (rc == 0)
        ck_assert_int_eq(script_output_parse(out.data, out.size, o), 0);
    msgpack_sbuffer_destroy(&req);
    msgpack_sbuffer_destroy(&out);
    return rc;
}

/* The next plain run works: the failure cost one result only. */
static void still_works(void)
{
    child_limits lim = quick();
    script_output o;
    char err[256] = "";
    ck_assert_msg(run_child(CC "    return [{'summary': 'ok', 'severity': 'info'}]\n", CHILD_RUN_SCRIPT, &lim, &o, err,
                            sizeof err) == 0,
                  "%s", err);
    ck_assert_ptr_null(o.error);
    ck_assert_uint_eq(o.n, 1);
    ck_assert_str_eq(o.results[0].summary, "ok");
    script_output_clear(&o);
}

START_TEST(child_runs_a_script)
{
    still_works();
    /* a script error comes back as an answer, not a failed run */
    child_limits lim = quick();
    script_output o;
    char err[256] = "";
    ck_assert_int_eq(run_child(CC "    return 'bad'\n", CHILD_RUN_SCRIPT, &lim, &o, err, sizeof err), 0);
    ck_assert_str_eq(o.error, "script returned error: bad");
    script_output_clear(&o);
}
END_TEST

START_TEST(endless_loop)
{
    child_limits lim = quick();
    script_output o;
    char err[256] = "";
    int64_t t0 = clock_mono_ms();
    int rc = run_child(CC "    for i in range(1 << 62):\n        pass\n    return []\n", CHILD_RUN_SCRIPT, &lim, &o, err,
                       sizeof err);
    ck_assert_int_eq(rc, -1);
    ck_assert_msg(strstr(err, "killed") || strstr(err, "did not finish"), "%s", err);
    /* the CPU limit (1 s) or the wall clock (3 s), not more */
    ck_assert_int_lt(clock_mono_ms() - t0, 6000);
    still_works();
}
END_TEST

START_TEST(unbounded_allocation)
{
    child_limits lim = quick();
    lim.cpu_seconds = 4;
    lim.wall_ms = 5000;
    script_output o;
    char err[256] = "";
    int rc = run_child(CC "    l = []\n    for i in range(1 << 40):\n        l.append('x' * 65536 + str(i))\n    return []\n",
                       CHILD_RUN_SCRIPT, &lim, &o, err, sizeof err);
    /* the interpreter's budget (an error answer) or RLIMIT_DATA (killed) */
    ck_assert_msg(rc == -1 || (o.error && o.n == 0), "rc %d err %s", rc, err);
    script_output_clear(&o);
    still_works();
}
END_TEST

START_TEST(crash_and_forbidden_syscall)
{
    child_limits lim = quick();
    script_output o;
    char err[256] = "";
    ck_assert_int_eq(run_child(CC "    return []\n", CHILD_TEST_CRASH, &lim, &o, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "killed"));
    still_works();
    err[0] = '\0';
    ck_assert_int_eq(run_child(CC "    return []\n", CHILD_TEST_SYSCALL, &lim, &o, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "killed"));
    still_works();
}
END_TEST

START_TEST(cpu_and_wall_limits)
{
    child_limits lim = quick();
    script_output o;
    char err[256] = "";
    int64_t t0 = clock_mono_ms();
    ck_assert_int_eq(run_child(CC "    return []\n", CHILD_TEST_SPIN, &lim, &o, err, sizeof err), -1);
    ck_assert_int_lt(clock_mono_ms() - t0, 5000);
    lim.wall_ms = 500;
    t0 = clock_mono_ms();
    ck_assert_int_eq(run_child(CC "    return []\n", CHILD_TEST_SLEEP, &lim, &o, err, sizeof err), -1);
    int64_t took = clock_mono_ms() - t0;
    ck_assert_int_ge(took, 400);
    ck_assert_int_lt(took, 2500);
    still_works();
}
END_TEST

int main(void)
{
    /* the zygote: before Check starts anything */
    if (child_init() != 0) {
        fprintf(stderr, "child_init failed\n");
        return 1;
    }
    Suite *s = suite_create("checks_child");
    TCase *tc = tcase_create("child");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, results_and_print);
    tcase_add_test(tc, error_texts);
    tcase_add_test(tc, child_runs_a_script);
    tcase_add_test(tc, endless_loop);
    tcase_add_test(tc, unbounded_allocation);
    tcase_add_test(tc, crash_and_forbidden_syscall);
    tcase_add_test(tc, cpu_and_wall_limits);
    suite_add_tcase(s, tc);
    int rc = check_run(s);
    child_shutdown();
    return rc;
}
