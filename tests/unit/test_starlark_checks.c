/* Conformance of the Starlark interpreter with PMM's shipped checks
 * (advisors reference §9): the scripts in tests/starlark/ (written from
 * the reference's description) run as checksd will run them — module
 * executed with parse_version/format_version_num predeclared, then
 * check_context(docs, context) with frozen docs built from recorded
 * query results (JSON) and PMM's context — and the returned value is
 * compared with the expected results. */
#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "starlark/pmm.h"
#include "starlark/starlark.h"
#include "tests/lib/checkrun.h"

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    ck_assert_ptr_nonnull(buf);
    ck_assert_int_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = 0;
    fclose(f);
    *len = (size_t)n;
    return buf;
}

/* JSON -> Starlark, as query results arrive (objects -> dicts, arrays ->
 * lists, integers -> int, reals -> float). */
static sl_value from_json(sl_thread *t, json_t *j)
{
    switch (json_typeof(j)) {
    case JSON_OBJECT: {
        sl_value d = sl_dict_new(t);
        const char *k;
        json_t *v;
        json_object_foreach(j, k, v) ck_assert_int_eq(sl_dict_set_str(t, d, k, from_json(t, v)), 0);
        return d;
    }
    case JSON_ARRAY: {
        sl_value l = sl_list_new(t, json_array_size(j));
        size_t i;
        json_t *v;
        json_array_foreach(j, i, v) ck_assert_int_eq(sl_list_append(t, l, from_json(t, v)), 0);
        return l;
    }
    case JSON_STRING: return sl_strn(t, json_string_value(j), json_string_length(j));
    case JSON_INTEGER: return sl_int(json_integer_value(j));
    case JSON_REAL: return sl_float(json_real_value(j));
    case JSON_TRUE: return sl_bool(true);
    case JSON_FALSE: return sl_bool(false);
    default: return sl_none();
    }
}

typedef struct run {
    sl_thread *t;
    sl_value result;
    char printed[1024];
} run;

static void on_print(void *ud, const char *msg, size_t len)
{
    run *r = ud;
    size_t have = strlen(r->printed);
    snprintf(r->printed + have, sizeof r->printed - have, "%.*s\n", (int)len, msg);
}

/* Runs tests/starlark/<check>.star on the docs (JSON) and returns repr of
 * the result, or "ERROR: <msg>". The caller frees. */
static char *run_check(const char *check, const char *docs_json, run *r)
{
    char path[256];
    snprintf(path, sizeof path, "tests/starlark/%s.star", check);
    size_t len;
    char *src = read_file(path, &len);
    sl_options o = {0};
    o.max_steps = 1000000;
    o.max_memory = 64u << 20;
    o.print = on_print;
    o.print_ud = r;
    r->printed[0] = 0;
    r->t = sl_thread_new(&o);
    ck_assert_ptr_nonnull(r->t);
    ck_assert_int_eq(sl_pmm_predeclare(r->t), 0);
    sl_module *m = sl_exec(r->t, path, src, len);
    free(src);
    ck_assert_msg(m != NULL, "%s: %s", path, sl_last_error(r->t)->backtrace);
    sl_value fn;
    ck_assert(sl_module_get(m, "check_context", &fn));
    json_error_t jerr;
    json_t *j = json_loads(docs_json, 0, &jerr);
    ck_assert_msg(j != NULL, "fixture: %s", jerr.text);
    sl_value docs = from_json(r->t, j);
    json_decref(j);
    sl_freeze(r->t, docs);
    sl_value args[2] = {docs, sl_pmm_context(r->t)};
    r->result = sl_call(r->t, fn, args, 2);
    char *out;
    if (sl_is_error(r->result)) {
        if (asprintf(&out, "ERROR: %s", sl_last_error(r->t)->msg) < 0)
            out = NULL;
    } else {
        out = sl_repr(r->t, r->result);
    }
    ck_assert_ptr_nonnull(out);
    return out;
}

static void expect(const char *check, const char *docs_json, const char *want)
{
    run r;
    char *got = run_check(check, docs_json, &r);
    ck_assert_msg(strcmp(got, want) == 0, "%s on %s:\n got: %s\nwant: %s", check, docs_json, got, want);
    free(got);
    sl_thread_free(r.t);
}

/* ---- postgresql_fsync ---------------------------------------------------------------- */

#define FSYNC_URL "https://docs.percona.com/percona-platform/advisors/checks/configuration-pg-check-fsync-enabled.html"

START_TEST(fsync_on) { expect("postgresql_fsync", "[[{\"name\": \"fsync\", \"setting\": \"on\"}]]", "[]"); }
END_TEST

START_TEST(fsync_off)
{
    expect("postgresql_fsync", "[[{\"name\": \"fsync\", \"setting\": \"off\"}]]",
           "[{\"summary\": \"The current value of fsync is off\", \"description\": \"fsync is not enabled: a crash "
           "can corrupt the data files.\", \"read_more_url\": \"" FSYNC_URL "\", \"severity\": \"error\", "
           "\"labels\": {}}]");
}
END_TEST

START_TEST(fsync_no_row)
{
    run r;
    char *got = run_check("postgresql_fsync", "[[]]", &r);
    ck_assert_ptr_nonnull(strstr(got, "\"summary\": \"The current value of fsync is None\""));
    ck_assert_ptr_nonnull(strstr(got, "\"severity\": \"error\""));
    /* one result: a list of one dict */
    ck_assert_int_eq(sl_len(r.result), 1);
    free(got);
    sl_thread_free(r.t);
}
END_TEST

/* ---- mongodb_auth ---------------------------------------------------------------------- */

#define MONGO_DISABLED                                                                                                 \
    "[{\"summary\": \"MongoDB authentication is disabled\", \"description\": \"See the following for steps to "    \
    "enable\", \"read_more_url\": \"https://docs.mongodb.com/manual/tutorial/enable-authentication/\", "              \
    "\"severity\": \"warning\"}]"

START_TEST(mongo_auth_enabled)
{
    expect("mongodb_auth",
           "[[{\"argv\": [\"mongod\", \"--auth\"], \"parsed\": {\"security\": {\"authorization\": \"enabled\"}}, "
           "\"ok\": 1}]]",
           "[]");
    expect("mongodb_auth", "[[{\"parsed\": {\"security\": {\"keyFile\": \"/etc/key\"}}}]]", "[]");
    expect("mongodb_auth", "[[{\"parsed\": {\"security\": {\"clusterAuthMode\": \"x509\"}}}]]", "[]");
}
END_TEST

START_TEST(mongo_auth_disabled)
{
    expect("mongodb_auth", "[[{\"parsed\": {\"net\": {\"port\": 27017}}, \"ok\": 1}]]", MONGO_DISABLED);
    expect("mongodb_auth", "[[{\"parsed\": {\"security\": {\"authorization\": \"disabled\"}}}]]", MONGO_DISABLED);
}
END_TEST

START_TEST(mongo_auth_document_count)
{
    /* the script returns a string: the run fails with it */
    expect("mongodb_auth", "[[]]", "\"unexpected number of documents\"");
    expect("mongodb_auth", "[[{\"ok\": 1}, {\"ok\": 1}]]", "\"unexpected number of documents\"");
}
END_TEST

/* ---- mysql_version ----------------------------------------------------------------------- */

static char *variables(const char *version, const char *comment, const char *basedir, bool aurora)
{
    char *s;
    int n = asprintf(&s,
                     "[[{\"Variable_name\": \"basedir\", \"Value\": \"%s\"},"
                     " {\"Variable_name\": \"datadir\", \"Value\": \"/var/lib/mysql/\"},"
                     " {\"Variable_name\": \"version\", \"Value\": \"%s\"},"
                     " {\"Variable_name\": \"version_comment\", \"Value\": \"%s\"}%s]]",
                     basedir, version, comment, aurora ? ", {\"Variable_name\": \"aurora_version\", \"Value\": \"3\"}" : "");
    ck_assert_int_gt(n, 0);
    return s;
}

static void expect_version(const char *version, const char *comment, const char *basedir, bool aurora,
                           const char *want)
{
    char *docs = variables(version, comment, basedir, aurora);
    expect("mysql_version", docs, want);
    free(docs);
}

START_TEST(mysql_version_flavours)
{
    expect_version("8.0.36", "MySQL Community Server - GPL", "/usr/", false,
                   "[{\"summary\": \"Newer version of MySQL is available\", \"description\": \"Current version is "
                   "8.0.36, the latest available version is 8.0.38.\", \"read_more_url\": "
                   "\"https://dev.mysql.com/doc/relnotes/mysql/8.0/en/\", \"severity\": \"info\", \"labels\": "
                   "{\"current\": \"8.0.36\", \"latest\": \"8.0.38\"}}]");
    expect_version("8.0.38", "MySQL Community Server - GPL", "/usr/", false, "[]");
    expect_version("8.0.35-27", "Percona Server (GPL), Release 27", "/usr/", false,
                   "[{\"summary\": \"Newer version of Percona Server for MySQL is available\", \"description\": "
                   "\"Current version is 8.0.35, the latest available version is 8.0.37.\", \"read_more_url\": "
                   "\"https://docs.percona.com/percona-server/8.0/release-notes/release-notes_index.html\", "
                   "\"severity\": \"info\", \"labels\": {\"current\": \"8.0.35\", \"latest\": \"8.0.37\"}}]");
    expect_version("5.7.40-43-57", "Percona XtraDB Cluster (GPL), Release rel43", "/usr/", false,
                   "[{\"summary\": \"Newer version of Percona XtraDB Cluster is available\", \"description\": "
                   "\"Current version is 5.7.40, the latest available version is 5.7.44.\", \"read_more_url\": "
                   "\"https://docs.percona.com/percona-xtradb-cluster/8.0/release-notes/release-notes_index.html\", "
                   "\"severity\": \"info\", \"labels\": {\"current\": \"5.7.40\", \"latest\": \"5.7.44\"}}]");
    expect_version("10.6.12-MariaDB", "mariadb.org binary distribution", "/usr/", false,
                   "[{\"summary\": \"Newer version of MariaDB is available\", \"description\": \"Current version "
                   "is 10.6.12, the latest available version is 10.9.2.\", \"read_more_url\": "
                   "\"https://mariadb.com/kb/en/release-notes/\", \"severity\": \"info\", \"labels\": {\"current\": "
                   "\"10.6.12\", \"latest\": \"10.9.2\"}}]");
}
END_TEST

START_TEST(mysql_version_rds_aurora)
{
    expect_version("8.0.20", "Source distribution", "/rdsdbbin/mysql-8.0.20.R1/", false,
                   "[{\"summary\": \"Newer version of MySQL is available\", \"description\": \"Current version is "
                   "8.0.20, the latest available version is 8.0.28.\", \"read_more_url\": "
                   "\"https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/MySQL.Concepts.VersionMgmt.html\", "
                   "\"severity\": \"info\", \"labels\": {\"current\": \"8.0.20\", \"latest\": \"8.0.28\"}}]");
    run r;
    char *docs = variables("8.0.23", "Source distribution", "/rdsdbbin/", true);
    char *got = run_check("mysql_version", docs, &r);
    ck_assert_str_eq(got, "[]");
    ck_assert_str_eq(r.printed, "Aurora is not supported\n");
    free(got);
    free(docs);
    sl_thread_free(r.t);
}
END_TEST

START_TEST(mysql_version_unparsable)
{
    expect_version("eight", "MySQL", "/usr/", false, "ERROR: parse_version: failed to parse \"eight\"");
}
END_TEST

/* ---- mysql_security_anonymous_user -------------------------------------------------------------- */

START_TEST(anonymous_user)
{
    expect("mysql_security_anonymous_user",
           "[[{\"version\": \"8.0.36\", \"hostname\": \"db1\", \"count\": 0, \"users\": \"\"}]]", "[]");
    expect("mysql_security_anonymous_user",
           "[[{\"version\": \"8.0.36\", \"hostname\": \"db1\", \"count\": 2, \"users\": "
           "\"@localhost,@%\"}]]",
           "[{\"summary\": \"Anonymous user\", \"description\": \"There are 2 anonymous accounts: @localhost, @%. "
           "Remove them.\", \"read_more_url\": "
           "\"https://docs.percona.com/percona-monitoring-and-management/3/advisors/checks/security-anonymous-user.html\", "
           "\"severity\": \"error\", \"labels\": {\"mysql_version\": \"8.0.36\", \"service\": \"db1\"}}]");
}
END_TEST

/* ---- exampleV2 (metrics queries) ------------------------------------------------------------------ */

START_TEST(example_v2_metrics)
{
    const char *docs = "[[{\"Variable_name\": \"max_connections\", \"Value\": \"151\"}],"
                       " [{\"metric\": {\"__name__\": \"mysql_global_status_uptime\", \"service_name\": \"db1\"},"
                       "   \"value\": [1700000000.5, \"1200\"]}],"
                       " [{\"Value\": \"x\"}],"
                       " [{\"metric\": {\"service_name\": \"db1\"}, \"values\": [[1700000000, \"0.9\"], "
                       "[1700000060, \"1.1\"], [1700000120, \"0.7\"]]}],"
                       " []]";
    expect("example_v2", docs,
           "[{\"summary\": \"Restarted recently\", \"description\": \"Up for 1200 seconds\", \"severity\": "
           "\"notice\", \"labels\": {\"uptime\": \"1200\"}}, {\"summary\": \"High load\", \"description\": "
           "\"Average 0.9 over 3 samples\", \"severity\": \"warning\", \"labels\": {\"queries\": \"5\"}}]");
    const char *quiet = "[[], [{\"metric\": {}, \"value\": [1, \"86400\"]}], [], [{\"metric\": {}, \"values\": []}], []]";
    expect("example_v2", quiet, "[]");
}
END_TEST

START_TEST(docs_are_frozen)
{
    /* a check that mutates its input fails with starlark-go's text */
    run r;
    char *got = run_check("postgresql_fsync", "[[{\"name\": \"fsync\", \"setting\": \"on\"}]]", &r);
    free(got);
    sl_thread_free(r.t);
    sl_options o = {0};
    sl_thread *t = sl_thread_new(&o);
    const char *src = "def check_context(docs, context):\n    docs[0].append(1)\n";
    sl_module *m = sl_exec(t, "mutate.star", src, strlen(src));
    ck_assert_ptr_nonnull(m);
    sl_value fn, docs = sl_list_new(t, 1);
    sl_list_append(t, docs, sl_list_new(t, 0));
    sl_freeze(t, docs);
    ck_assert(sl_module_get(m, "check_context", &fn));
    sl_value args[2] = {docs, sl_pmm_context(t)};
    ck_assert(sl_is_error(sl_call(t, fn, args, 2)));
    ck_assert_str_eq(sl_last_error(t)->msg, "append: cannot append to frozen list");
    ck_assert_int_eq(sl_last_error(t)->line, 2);
    sl_thread_free(t);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("starlark_checks");
    TCase *tc = tcase_create("conformance");
    tcase_add_test(tc, fsync_on);
    tcase_add_test(tc, fsync_off);
    tcase_add_test(tc, fsync_no_row);
    tcase_add_test(tc, mongo_auth_enabled);
    tcase_add_test(tc, mongo_auth_disabled);
    tcase_add_test(tc, mongo_auth_document_count);
    tcase_add_test(tc, mysql_version_flavours);
    tcase_add_test(tc, mysql_version_rds_aurora);
    tcase_add_test(tc, mysql_version_unparsable);
    tcase_add_test(tc, anonymous_user);
    tcase_add_test(tc, example_v2_metrics);
    tcase_add_test(tc, docs_are_frozen);
    suite_add_tcase(s, tc);
    return check_run(s);
}
