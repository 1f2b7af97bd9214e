/* Unit tests of the Starlark interpreter's host API (starlark/starlark.h)
 * and PMM's host functions (starlark/pmm.h): building values, calling
 * functions, reading results, host builtins, print, the step and memory
 * limits, the collector (garbage, cycles), recursion, pins, and
 * independent threads. */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "starlark/pmm.h"
#include "starlark/starlark.h"
#include "tests/lib/checkrun.h"

static sl_module *exec_ok(sl_thread *t, const char *src)
{
    sl_module *m = sl_exec(t, "api.star", src, strlen(src));
    ck_assert_msg(m != NULL, "%s", sl_last_error(t)->backtrace);
    return m;
}

static sl_value call_named(sl_thread *t, sl_module *m, const char *name, const sl_value *args, size_t n)
{
    sl_value fn;
    ck_assert_msg(sl_module_get(m, name, &fn), "no %s", name);
    return sl_call(t, fn, args, n);
}

static void assert_repr(sl_thread *t, sl_value v, const char *want)
{
    char *s = sl_repr(t, v);
    ck_assert_str_eq(s, want);
    free(s);
}

START_TEST(values_round_trip)
{
    sl_thread *t = sl_thread_new(NULL);
    sl_module *m = exec_ok(t, "def check_context(docs, context):\n"
                              "    out = []\n"
                              "    for row in docs[0]:\n"
                              "        out.append({'summary': row['name'], 'severity': 'info',\n"
                              "                    'labels': {'n': str(row['n'] * 2), 'f': str(row['f'])}})\n"
                              "    return out\n");
    sl_value docs = sl_list_new(t, 1), rows = sl_list_new(t, 2);
    for (int i = 0; i < 2; i++) {
        sl_value row = sl_dict_new(t);
        ck_assert_int_eq(sl_dict_set_str(t, row, "name", sl_str_c(t, i ? "b" : "a")), 0);
        ck_assert_int_eq(sl_dict_set_str(t, row, "n", sl_int(20 + i)), 0);
        ck_assert_int_eq(sl_dict_set_str(t, row, "f", sl_float(0.5)), 0);
        ck_assert_int_eq(sl_list_append(t, rows, row), 0);
    }
    ck_assert_int_eq(sl_list_append(t, docs, rows), 0);
    sl_freeze(t, docs);
    sl_value args[2] = {docs, sl_dict_new(t)};
    sl_value r = call_named(t, m, "check_context", args, 2);
    ck_assert(!sl_is_error(r));
    ck_assert_int_eq(sl_kind_of(r), SL_LIST);
    ck_assert_int_eq(sl_len(r), 2);
    sl_value first = sl_index(r, 0), v;
    ck_assert_int_eq(sl_kind_of(first), SL_DICT);
    ck_assert(sl_dict_get_str(first, "summary", &v));
    size_t n;
    const char *s = sl_str(v, &n);
    ck_assert_int_eq(n, 1);
    ck_assert_int_eq(s[0], 'a');
    ck_assert(sl_dict_get_str(first, "labels", &v));
    sl_value k, val;
    ck_assert(sl_dict_entry(v, 0, &k, &val));
    ck_assert_str_eq(sl_str(k, NULL), "n");
    ck_assert_str_eq(sl_str(val, NULL), "40");
    ck_assert(sl_dict_entry(v, 1, &k, &val));
    ck_assert_str_eq(sl_str(val, NULL), "0.5");
    ck_assert(!sl_dict_entry(v, 2, &k, &val));
    ck_assert(!sl_dict_get_str(first, "nope", &v));
    assert_repr(t, sl_index(r, 1), "{\"summary\": \"b\", \"severity\": \"info\", \"labels\": {\"n\": \"42\", \"f\": \"0.5\"}}");
    /* scalars */
    ck_assert_int_eq(sl_as_int(sl_int(-7)), -7);
    ck_assert(sl_as_float(sl_float(2.5)) == 2.5);
    ck_assert(sl_as_float(sl_int(2)) == 2.0);
    ck_assert_str_eq(sl_type_name(sl_none()), "NoneType");
    ck_assert(sl_truth(sl_bool(true)));
    ck_assert(!sl_truth(sl_str_c(t, "")));
    sl_value items[2] = {sl_int(1), sl_str_c(t, "x")};
    assert_repr(t, sl_tuple_new(t, items, 2), "(1, \"x\")");
    sl_value set = sl_set_new(t);
    ck_assert_int_eq(sl_set_add(t, set, sl_int(3)), 0);
    ck_assert_int_eq(sl_set_add(t, set, sl_int(3)), 0);
    assert_repr(t, set, "set([3])");
    char *str = sl_tostr(t, sl_str_c(t, "plain"));
    ck_assert_str_eq(str, "plain");
    free(str);
    /* unhashable keys and frozen dicts fail with starlark-go's texts */
    sl_value d = sl_dict_new(t);
    ck_assert_int_eq(sl_dict_set(t, d, sl_list_new(t, 0), sl_none()), -1);
    ck_assert_str_eq(sl_last_error(t)->msg, "unhashable type: list");
    sl_freeze(t, d);
    ck_assert_int_eq(sl_dict_set_str(t, d, "k", sl_none()), -1);
    ck_assert_str_eq(sl_last_error(t)->msg, "cannot insert into frozen hash table");
    sl_thread_free(t);
}
END_TEST

typedef struct printed {
    char buf[256];
} printed;

static void on_print(void *ud, const char *msg, size_t len)
{
    printed *p = ud;
    size_t have = strlen(p->buf);
    snprintf(p->buf + have, sizeof p->buf - have, "[%.*s]", (int)len, msg);
}

static sl_value host_add(sl_thread *t, const sl_callinfo *c)
{
    if (c->nargs != 2 || sl_kind_of(c->args[0]) != SL_INT || sl_kind_of(c->args[1]) != SL_INT)
        return sl_errorf(t, "%s: want two ints", c->name);
    int *calls = c->ud;
    (*calls)++;
    return sl_int(sl_as_int(c->args[0]) + sl_as_int(c->args[1]));
}

START_TEST(host_builtins_and_print)
{
    printed p = {{0}};
    sl_options o = {0};
    o.print = on_print;
    o.print_ud = &p;
    sl_thread *t = sl_thread_new(&o);
    int calls = 0;
    ck_assert_int_eq(sl_predeclare(t, "add", sl_builtin(t, "add", host_add, &calls)), 0);
    ck_assert_int_eq(sl_predeclare(t, "LIMIT", sl_int(10)), 0);
    sl_module *m = exec_ok(t, "x = add(1, LIMIT)\nprint('x is', x)\ndef bad():\n    return add('a', 1)\n");
    sl_value x;
    ck_assert(sl_module_get(m, "x", &x));
    ck_assert_int_eq(sl_as_int(x), 11);
    ck_assert_int_eq(calls, 1);
    ck_assert_str_eq(p.buf, "[x is 11]");
    sl_value r = call_named(t, m, "bad", NULL, 0);
    ck_assert(sl_is_error(r));
    const sl_error *e = sl_last_error(t);
    ck_assert_str_eq(e->msg, "add: want two ints");
    ck_assert_str_eq(e->file, "api.star");
    ck_assert_int_eq(e->line, 4);
    ck_assert_int_eq(e->col, 15);
    ck_assert_str_eq(e->backtrace, "Traceback (most recent call last):\n  api.star:4:15: in bad\nError in add: add: want two ints");
    /* a predeclared name may not be reassigned? It may be shadowed by a global */
    sl_module *m2 = exec_ok(t, "add = 1\n");
    ck_assert(sl_module_get(m2, "add", &x));
    ck_assert_int_eq(sl_as_int(x), 1);
    /* calling a host builtin directly from C */
    sl_value fn;
    sl_value args[2] = {sl_int(2), sl_int(3)};
    ck_assert(sl_module_get(m, "x", &fn));
    sl_value b = sl_builtin(t, "add", host_add, &calls);
    r = sl_call(t, b, args, 2);
    ck_assert_int_eq(sl_as_int(r), 5);
    ck_assert(sl_is_error(sl_call(t, sl_int(1), NULL, 0)));
    ck_assert_str_eq(sl_last_error(t)->msg, "invalid call of non-function (int)");
    sl_thread_free(t);
}
END_TEST

START_TEST(step_limit)
{
    sl_options o = {0};
    o.max_steps = 10000;
    sl_thread *t = sl_thread_new(&o);
    sl_module *m = exec_ok(t, "def spin(n):\n    s = 0\n    for i in range(n):\n        s += i\n    return s\n");
    sl_value arg = sl_int(100);
    sl_value r = call_named(t, m, "spin", &arg, 1);
    ck_assert_int_eq(sl_as_int(r), 4950);
    ck_assert_uint_gt(sl_steps(t), 100);
    arg = sl_int(1000000000);
    r = call_named(t, m, "spin", &arg, 1);
    ck_assert(sl_is_error(r));
    ck_assert_str_eq(sl_last_error(t)->msg, "Starlark computation cancelled: too many steps");
    /* in the loop: its head or its body */
    ck_assert(sl_last_error(t)->line == 3 || sl_last_error(t)->line == 4);
    ck_assert_uint_le(sl_steps(t), 10000);
    sl_set_max_steps(t, 0);
    arg = sl_int(1000);
    ck_assert_int_eq(sl_as_int(call_named(t, m, "spin", &arg, 1)), 499500);
    sl_thread_free(t);
}
END_TEST

START_TEST(memory_limit_and_gc)
{
    sl_options o = {0};
    o.max_memory = 16u << 20;
    sl_thread *t = sl_thread_new(&o);
    /* lots of garbage, little live data: the collector keeps it under the limit */
    sl_module *m = exec_ok(t, "def churn(n):\n"
                              "    keep = []\n"
                              "    for i in range(n):\n"
                              "        s = 'x' * 1000 + str(i)\n"
                              "        d = {'k': s, 'l': [s, s]}\n"
                              "        if i % 1000 == 0:\n"
                              "            keep.append(d)\n"
                              "    return len(keep)\n"
                              "def hog():\n"
                              "    keep = []\n"
                              "    for i in range(100000):\n"
                              "        keep.append('y' * 10000)\n"
                              "    return len(keep)\n"
                              "def big():\n"
                              "    return 'z' * (64 << 20)\n");
    sl_value arg = sl_int(100000);
    sl_value r = call_named(t, m, "churn", &arg, 1);
    ck_assert_msg(!sl_is_error(r), "%s", sl_last_error(t)->msg);
    ck_assert_int_eq(sl_as_int(r), 100);
    r = call_named(t, m, "hog", NULL, 0);
    ck_assert(sl_is_error(r));
    ck_assert_str_eq(sl_last_error(t)->msg, "memory limit exceeded (16777216 bytes)");
    r = call_named(t, m, "big", NULL, 0);
    ck_assert(sl_is_error(r));
    ck_assert_str_eq(sl_last_error(t)->msg, "memory limit exceeded (16777216 bytes)");
    /* the thread still works afterwards */
    arg = sl_int(10);
    ck_assert_int_eq(sl_as_int(call_named(t, m, "churn", &arg, 1)), 1);
    sl_thread_free(t);
}
END_TEST

START_TEST(cycles_and_pins)
{
    sl_thread *t = sl_thread_new(NULL);
    sl_module *m = exec_ok(t, "def cyc():\n"
                              "    l = [1]\n"
                              "    l.append(l)\n"
                              "    d = {}\n"
                              "    d['self'] = d\n"
                              "    return l, d\n"
                              "def garbage(n):\n"
                              "    for i in range(n):\n"
                              "        l = []\n"
                              "        l.append(l)\n"
                              "        s = str(i) * 100\n"
                              "    return n\n");
    sl_value r = call_named(t, m, "cyc", NULL, 0);
    assert_repr(t, r, "([1, [...]], {\"self\": {...}})");
    sl_pin(t, r);
    sl_value arg = sl_int(200000);
    ck_assert_int_eq(sl_as_int(call_named(t, m, "garbage", &arg, 1)), 200000);
    /* the pinned result survived the collections the loop caused */
    assert_repr(t, r, "([1, [...]], {\"self\": {...}})");
    sl_unpin(t, r);
    sl_thread_free(t);
}
END_TEST

START_TEST(recursion)
{
    const char *src = "def fact(n):\n    return 1 if n <= 1 else n * fact(n - 1)\n";
    sl_thread *t = sl_thread_new(NULL);
    sl_module *m = exec_ok(t, src);
    sl_value arg = sl_int(5);
    ck_assert(sl_is_error(call_named(t, m, "fact", &arg, 1)));
    ck_assert_str_eq(sl_last_error(t)->msg, "function fact called recursively");
    /* the failed call left nothing behind: a non-recursive call still works */
    arg = sl_int(1);
    ck_assert_int_eq(sl_as_int(call_named(t, m, "fact", &arg, 1)), 1);
    sl_thread_free(t);

    sl_options o = {0};
    o.allow_recursion = true;
    t = sl_thread_new(&o);
    m = exec_ok(t, src);
    arg = sl_int(20);
    ck_assert_int_eq(sl_as_int(call_named(t, m, "fact", &arg, 1)), 2432902008176640000);
    arg = sl_int(21);
    ck_assert(sl_is_error(call_named(t, m, "fact", &arg, 1)));
    ck_assert_str_eq(sl_last_error(t)->msg, "integer overflow");
    arg = sl_int(100000);
    ck_assert(sl_is_error(call_named(t, m, "fact", &arg, 1)));
    ck_assert_str_eq(sl_last_error(t)->msg, "Starlark stack overflow");
    sl_thread_free(t);
}
END_TEST

START_TEST(errors_leave_thread_usable)
{
    sl_thread *t = sl_thread_new(NULL);
    ck_assert_ptr_null(sl_exec(t, "bad.star", "x = (", 5));
    ck_assert_str_eq(sl_last_error(t)->msg, "got end of file, want primary expression");
    ck_assert_str_eq(sl_last_error(t)->backtrace, "bad.star:1:6: got end of file, want primary expression");
    /* iteration state is unwound on errors: the list is mutable again */
    sl_module *m = exec_ok(t, "def f(l):\n    for x in l:\n        if x == 2:\n            fail('stop')\n"
                              "def g(l):\n    l.append(9)\n    return l\n");
    sl_value l = sl_list_new(t, 3);
    for (int i = 1; i <= 3; i++)
        sl_list_append(t, l, sl_int(i));
    sl_pin(t, l);
    ck_assert(sl_is_error(call_named(t, m, "f", &l, 1)));
    ck_assert_str_eq(sl_last_error(t)->msg, "fail: stop");
    sl_value r = call_named(t, m, "g", &l, 1);
    ck_assert_msg(!sl_is_error(r), "%s", sl_last_error(t)->msg);
    assert_repr(t, r, "[1, 2, 3, 9]");
    sl_thread_free(t);
}
END_TEST

/* ---- PMM host functions --------------------------------------------------------------- */

static void expect_pmm(const char *expr, const char *want)
{
    sl_thread *t = sl_thread_new(NULL);
    ck_assert_int_eq(sl_pmm_predeclare(t), 0);
    char *src;
    ck_assert_int_gt(asprintf(&src, "def check_context(docs, context):\n    return %s\n", expr), 0);
    sl_module *m = exec_ok(t, src);
    free(src);
    sl_value args[2] = {sl_list_new(t, 0), sl_pmm_context(t)};
    sl_value r = call_named(t, m, "check_context", args, 2);
    char *got = sl_is_error(r) ? strdup(sl_last_error(t)->msg) : sl_repr(t, r);
    if (sl_is_error(r)) {
        char *tmp;
        ck_assert_int_gt(asprintf(&tmp, "!%s", got), 0);
        free(got);
        got = tmp;
    }
    ck_assert_msg(strcmp(got, want) == 0, "%s:\n got: %s\nwant: %s", expr, got, want);
    free(got);
    sl_thread_free(t);
}

START_TEST(pmm_parse_version)
{
    expect_pmm("parse_version('8.0.36')",
               "{\"major\": 8, \"minor\": 0, \"patch\": 36, \"rest\": \"\", \"num\": 80036, \"numrest\": 0}");
    expect_pmm("parse_version('8.0.35-27')",
               "{\"major\": 8, \"minor\": 0, \"patch\": 35, \"rest\": \"-27\", \"num\": 80035, \"numrest\": 27}");
    expect_pmm("parse_version('10.6.12-MariaDB-log')",
               "{\"major\": 10, \"minor\": 6, \"patch\": 12, \"rest\": \"-MariaDB-log\", \"num\": 100612, \"numrest\": 0}");
    expect_pmm("parse_version('5.7.40-43-57')['numrest']", "43");
    expect_pmm("context['parse_version']('1.2.3rc1')['rest']", "\"rc1\"");
    expect_pmm("parse_version('8.0')", "!parse_version: failed to parse \"8.0\"");
    expect_pmm("parse_version('v8.0.1')", "!parse_version: failed to parse \"v8.0.1\"");
    expect_pmm("parse_version(8)", "!parse_version: expected string argument, got int64 (8)");
    expect_pmm("parse_version(None)", "!parse_version: expected string argument, got <nil> (<nil>)");
    expect_pmm("parse_version()", "!parse_version: expected 1 argument, got 0");
    expect_pmm("parse_version('1.2.3', '4')", "!parse_version: expected 1 argument, got 2");
    expect_pmm("parse_version(s='1.2.3')", "!parse_version: kwargs are not supported");
    expect_pmm("parse_version('99999999999999999999.0.0')",
               "!parse_version: strconv.Atoi: parsing \"99999999999999999999\": value out of range");
}
END_TEST

START_TEST(pmm_format_version_num)
{
    expect_pmm("format_version_num(80038)", "\"8.0.38\"");
    expect_pmm("format_version_num(100902)", "\"10.9.2\"");
    expect_pmm("format_version_num(50744)", "\"5.7.44\"");
    expect_pmm("format_version_num(80036028)", "\"8.0.36-28\"");
    expect_pmm("context['format_version_num'](0)", "\"0.0.0\"");
    expect_pmm("format_version_num('8')", "!format_version_num: expected int64 argument, got string (8)");
    expect_pmm("format_version_num(8.5)", "!format_version_num: expected int64 argument, got float64 (8.5)");
    expect_pmm("format_version_num(8.0)", "!format_version_num: expected int64 argument, got float64 (8)");
}
END_TEST

START_TEST(pmm_ip_is_private)
{
    static const struct {
        const char *arg, *want;
    } cases[] = {
        {"10.1.2.3", "True"},        {"172.16.0.1", "True"},     {"172.32.0.1", "False"},
        {"192.168.1.1", "True"},     {"100.64.0.1", "True"},     {"192.0.0.8", "True"},
        {"198.19.255.255", "True"},  {"169.254.1.1", "True"},    {"224.0.0.5", "True"},
        {"224.0.1.5", "False"},      {"127.0.0.1", "True"},      {"8.8.8.8", "False"},
        {"fd00::1", "True"},         {"fe80::1", "True"},        {"::1", "True"},
        {"2001:db8::1", "False"},    {"::ffff:10.0.0.1", "True"}, {"10.0.0.0/8", "True"},
        {"11.0.0.0/8", "False"},     {"0.0.0.0/0", "True"},      {"192.168.0.0/24", "True"},
        {"2000::/3", "False"},       {"fc00::/6", "True"},       {"not an ip", "None"},
        {"10.0.0.1/33", "None"},     {"", "None"},               {"010.0.0.1", "None"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char expr[128];
        snprintf(expr, sizeof expr, "context['ip_is_private']('%s')", cases[i].arg);
        expect_pmm(expr, cases[i].want);
    }
    expect_pmm("context['ip_is_private'](1)", "!ip_is_private: expected string argument, got int64 (1)");
    /* ip_is_private is in the context only, not a global */
    sl_thread *t = sl_thread_new(NULL);
    ck_assert_int_eq(sl_pmm_predeclare(t), 0);
    const char *undef = "x = ip_is_private('1.2.3.4')\n";
    ck_assert_ptr_null(sl_exec(t, "x.star", undef, strlen(undef)));
    ck_assert_str_eq(sl_last_error(t)->msg, "undefined: ip_is_private");
    /* the context is frozen */
    sl_module *m = exec_ok(t, "def check_context(docs, context):\n    context['x'] = 1\n");
    sl_value args[2] = {sl_list_new(t, 0), sl_pmm_context(t)};
    ck_assert(sl_is_error(call_named(t, m, "check_context", args, 2)));
    ck_assert_str_eq(sl_last_error(t)->msg, "cannot insert into frozen hash table");
    sl_thread_free(t);
}
END_TEST

/* ---- threads ------------------------------------------------------------------------------- */

static void *worker(void *arg)
{
    long id = (long)arg;
    sl_thread *t = sl_thread_new(NULL);
    const char *src = "def work(n):\n    d = {}\n    for i in range(n):\n        d[str(i % 97)] = i\n    return len(d)\n";
    sl_module *m = sl_exec(t, "w.star", src, strlen(src));
    long ok = 0;
    if (m) {
        sl_value fn, a = sl_int(20000 + id);
        if (sl_module_get(m, "work", &fn) && sl_as_int(sl_call(t, fn, &a, 1)) == 97)
            ok = 1;
    }
    sl_thread_free(t);
    return (void *)ok;
}

START_TEST(independent_threads)
{
    pthread_t th[4];
    for (long i = 0; i < 4; i++)
        ck_assert_int_eq(pthread_create(&th[i], NULL, worker, (void *)i), 0);
    for (int i = 0; i < 4; i++) {
        void *ok;
        ck_assert_int_eq(pthread_join(th[i], &ok), 0);
        ck_assert_ptr_eq(ok, (void *)1);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("starlark_api");
    TCase *tc = tcase_create("api");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, values_round_trip);
    tcase_add_test(tc, host_builtins_and_print);
    tcase_add_test(tc, step_limit);
    tcase_add_test(tc, memory_limit_and_gc);
    tcase_add_test(tc, cycles_and_pins);
    tcase_add_test(tc, recursion);
    tcase_add_test(tc, errors_leave_thread_usable);
    tcase_add_test(tc, pmm_parse_version);
    tcase_add_test(tc, pmm_format_version_num);
    tcase_add_test(tc, pmm_ip_is_private);
    tcase_add_test(tc, independent_threads);
    suite_add_tcase(s, tc);
    return check_run(s);
}
