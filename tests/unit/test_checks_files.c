/* checksd's check and advisor file loader (checksd/files.c, advisors
 * reference §1-§3): versions 1 and 2, the validation texts, what is
 * dropped with a warning (version above 2, query types this server cannot
 * run), strictness (unknown fields), and the folders: built-in and user,
 * *.yml and *.yaml, a user file replacing a built-in one, checks of an
 * unknown advisor left out, the development file. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "checksd/duration.h"
#include "checksd/files.h"
#include "tests/lib/checkrun.h"

#define V2_HEAD                                                                                                        \
    "checks:\n"                                                                                                        \
    "  - version: 2\n"                                                                                                 \
    "    name: c1\n"                                                                                                   \
    "    summary: S\n"                                                                                                 \
    "    description: D\n"                                                                                             \
    "    advisor: a1\n"

#define SCRIPT                                                                                                         \
    "    script: |\n"                                                                                                  \
    "      def check_context(docs, context):\n"                                                                        \
    "          return []\n"

/* Parses text; returns the error text ("" on success) and the checks. */
static const char *parse(const char *text, check_def **v, size_t *n, size_t *dropped)
{
    static char err[1024];
    err[0] = '\0';
    *v = NULL;
    *n = 0;
    if (files_parse_checks(text, strlen(text), v, n, dropped, err, sizeof err) != 0)
        return err;
    return "";
}

static void free_checks(check_def *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        check_def_clear(&v[i]);
    free(v);
}

static void expect_error(const char *text, const char *want)
{
    check_def *v;
    size_t n;
    const char *got = parse(text, &v, &n, NULL);
    ck_assert_msg(strcmp(got, want) == 0, "got \"%s\", want \"%s\" for:\n%s", got, want, text);
    free_checks(v, n);
}

START_TEST(v2_check)
{
    check_def *v;
    size_t n, dropped = 9;
    const char *err = parse(V2_HEAD "    interval: frequent\n"
                                    "    family: POSTGRESQL\n"
                                    "    queries:\n"
                                    "      - type: POSTGRESQL_SELECT\n"
                                    "        query: datname FROM pg_database\n"
                                    "        parameters:\n"
                                    "          all_dbs: \"true\"\n"
                                    "      - type: POSTGRESQL_SHOW\n"
                                    "      - type: METRICS_RANGE\n"
                                    "        query: up{service_name=\"{{.ServiceName}}\"}\n"
                                    "        parameters: {range: 1h, step: 30s, lookback: 1m30s}\n" SCRIPT,
                            &v, &n, &dropped);
    ck_assert_str_eq(err, "");
    ck_assert_uint_eq(n, 1);
    ck_assert_uint_eq(dropped, 0);
    ck_assert_str_eq(v[0].name, "c1");
    ck_assert_int_eq(v[0].family, FAMILY_POSTGRESQL);
    ck_assert_int_eq(v[0].interval, INTERVAL_FREQUENT);
    ck_assert_uint_eq(v[0].n_queries, 3);
    ck_assert(v[0].queries[0].all_dbs);
    ck_assert_str_eq(v[0].queries[1].query, "");
    ck_assert_int_eq(v[0].queries[2].range_ns, 3600LL * 1000000000LL);
    ck_assert_int_eq(v[0].queries[2].step_ns, 30LL * 1000000000LL);
    ck_assert_int_eq(v[0].queries[2].lookback_ns, 90LL * 1000000000LL);
    ck_assert_ptr_nonnull(strstr(v[0].script, "check_context"));
    free_checks(v, n);
}
END_TEST

START_TEST(v1_check_and_documents)
{
    check_def *v;
    size_t n;
    /* two documents, a v1 check in each; an empty interval is standard */
    const char *err = parse("---\nchecks:\n  - version: 1\n    name: one\n    summary: S\n    description: D\n"
                            "    advisor: a1\n    type: MYSQL_SHOW\n    query: VARIABLES\n" SCRIPT
                            "---\nchecks:\n  - version: 1\n    name: two\n    summary: S\n    description: D\n"
                            "    advisor: a1\n    type: MONGODB_BUILDINFO\n" SCRIPT,
                            &v, &n, NULL);
    ck_assert_str_eq(err, "");
    ck_assert_uint_eq(n, 2);
    ck_assert_int_eq(v[0].version, 1);
    ck_assert_int_eq(v[0].family, FAMILY_MYSQL);
    ck_assert_int_eq(v[0].interval, INTERVAL_STANDARD);
    ck_assert_int_eq(v[1].family, FAMILY_MONGODB);
    ck_assert_int_eq(v[1].queries[0].type, Q_MONGODB_BUILDINFO);
    free_checks(v, n);
}
END_TEST

START_TEST(validation_texts)
{
    expect_error(V2_HEAD "    family: MYSQL\n" SCRIPT, "check should have at least one query");
    expect_error(V2_HEAD "    family: MYSQL\n    queries: []\n" SCRIPT, "check should have at least one query");
    expect_error(V2_HEAD "    family: MYSQL\n    queries:\n      - type: MYSQL_SELECT\n" SCRIPT, "query is empty");
    expect_error(V2_HEAD "    family: MONGODB\n    queries:\n      - type: MONGODB_GETPARAMETER\n        query: x\n" SCRIPT,
                 "query should be empty for 'MONGODB_GETPARAMETER' type");
    expect_error(V2_HEAD "    family: MYSQL\n    queries:\n      - type: MYSQL_EXPLAIN\n        query: x\n" SCRIPT,
                 "unknown check type: MYSQL_EXPLAIN");
    expect_error(V2_HEAD "    queries:\n      - type: MYSQL_SHOW\n        query: x\n" SCRIPT, "check family is empty");
    expect_error(V2_HEAD "    interval: hourly\n    family: MYSQL\n    queries:\n      - type: MYSQL_SHOW\n        query: x\n" SCRIPT,
                 "unknown check interval: hourly");
    expect_error(V2_HEAD "    family: MYSQL\n    queries:\n      - type: MYSQL_SHOW\n        query: x\n"
                         "    script: \"def check_context(docs, context):\\n\\treturn []\\n\"\n",
                 "script should use spaces for indentation, not tabs");
    expect_error(V2_HEAD "    family: MYSQL\n    queries:\n      - type: METRICS_RANGE\n        query: up\n" SCRIPT,
                 "query parameter 'range' is required for metrics range queries");
    expect_error("checks:\n  - version: 2\n    name: c1\n    summary: S\n    description: D\n    family: MYSQL\n"
                 "    queries:\n      - type: MYSQL_SHOW\n        query: x\n" SCRIPT,
                 "advisor name is missing");
    expect_error(V2_HEAD "    family: MYSQL\n    queries:\n      - type: MONGODB_BUILDINFO\n" SCRIPT,
                 "query type MONGODB_BUILDINFO is not compatible with check family MYSQL");
    expect_error(V2_HEAD "    family: MYSQL\n    queries:\n      - type: MYSQL_SHOW\n        query: x\n"
                         "        parameters:\n          all_dbs: \"true\"\n" SCRIPT,
                 "unexpected query parameter 'all_dbs' for 'MYSQL_SHOW' type");
    expect_error(V2_HEAD "    type: MYSQL_SHOW\n    family: MYSQL\n    queries:\n      - type: MYSQL_SHOW\n        query: x\n" SCRIPT,
                 "type field is not supported in version 2");
    /* strict: unknown fields are errors, with yaml.v3's text and line */
    expect_error(V2_HEAD "    family: MYSQL\n    tier: paid\n    queries:\n      - type: MYSQL_SHOW\n        query: x\n" SCRIPT,
                 "yaml: unmarshal errors:\n  line 8: field tier not found in type check.Check");
    expect_error("checks:\n  - version: 2\n   name: bad indent\n", "yaml: line 3: did not find expected '-' indicator");
}
END_TEST

START_TEST(dropped_with_warnings)
{
    check_def *v;
    size_t n, dropped = 0;
    const char *err = parse("checks:\n"
                            "  - version: 3\n    name: future\n    anything: goes\n"
                            "  - version: 2\n    name: ch\n    summary: S\n    description: D\n    advisor: a1\n"
                            "    family: MYSQL\n    queries:\n      - type: CLICKHOUSE_SELECT\n        query: 1\n" SCRIPT
                            "  - version: 1\n    name: kept\n    summary: S\n    description: D\n    advisor: a1\n"
                            "    type: POSTGRESQL_SHOW\n" SCRIPT,
                            &v, &n, &dropped);
    ck_assert_str_eq(err, "");
    ck_assert_uint_eq(n, 1);
    ck_assert_uint_eq(dropped, 2);
    ck_assert_str_eq(v[0].name, "kept");
    free_checks(v, n);
}
END_TEST

START_TEST(advisors)
{
    advisor_def *v = NULL;
    size_t n = 0;
    char err[512] = "";
    const char *ok = "advisors:\n  - version: 1\n    name: security_x\n    summary: S\n    description: D\n"
                     "    category: security\n    tiers: [anonymous, registered, paid]\n";
    ck_assert_int_eq(files_parse_advisors(ok, strlen(ok), &v, &n, err, sizeof err), 0);
    ck_assert_uint_eq(n, 1);
    ck_assert_str_eq(v[0].category, "security");
    ck_assert_uint_eq(v[0].n_tiers, 3);
    advisor_def_clear(&v[0]);
    free(v);
    const char *bad = "advisors:\n  - version: 1\n    name: 1bad\n    summary: S\n    description: D\n    category: c\n";
    ck_assert_int_eq(files_parse_advisors(bad, strlen(bad), &v, &n, err, sizeof err), -1);
    ck_assert_str_eq(err, "invalid advisor name: \"1bad\"");
    const char *v2 = "advisors:\n  - version: 2\n    name: x\n    summary: S\n    description: D\n    category: c\n";
    ck_assert_int_eq(files_parse_advisors(v2, strlen(v2), &v, &n, err, sizeof err), -1);
    ck_assert_str_eq(err, "unexpected version 2");
}
END_TEST

START_TEST(durations)
{
    int64_t ns;
    ck_assert_int_eq(duration_parse("5m", &ns), 0);
    ck_assert_int_eq(ns, 300LL * 1000000000LL);
    ck_assert_int_eq(duration_parse("1h30m", &ns), 0);
    ck_assert_int_eq(ns, 5400LL * 1000000000LL);
    ck_assert_int_eq(duration_parse("1.5s", &ns), 0);
    ck_assert_int_eq(ns, 1500000000LL);
    ck_assert_int_eq(duration_parse("300ms", &ns), 0);
    ck_assert_int_eq(ns, 300000000LL);
    ck_assert_int_eq(duration_parse("2d", &ns), 0);
    ck_assert_int_eq(ns, 2 * 86400LL * 1000000000LL);
    ck_assert_int_eq(duration_parse("0", &ns), 0);
    ck_assert_int_eq(ns, 0);
    ck_assert_int_eq(duration_parse("5", &ns), -1);
    ck_assert_int_eq(duration_parse("m", &ns), -1);
    ck_assert_int_eq(duration_parse("", &ns), -1);
    ck_assert_int_eq(duration_parse("1x", &ns), -1);
}
END_TEST

/* ---- folders ---------------------------------------------------------------------------- */

static char base[256];

static void write_file(const char *dir, const char *name, const char *text)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s/%s", base, dir, name);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
}

static const char *check_file(const char *name, const char *advisor, const char *summary)
{
    static char buf[1024];
    snprintf(buf, sizeof buf,
             "checks:\n  - version: 2\n    name: %s\n    summary: %s\n    description: D\n    advisor: %s\n"
             "    family: MYSQL\n    queries:\n      - type: MYSQL_SHOW\n        query: VARIABLES\n" SCRIPT,
             name, summary, advisor);
    return buf;
}

static void make_dirs(void)
{
    snprintf(base, sizeof base, "/tmp/checksd-files-%d", (int)getpid());
    const char *dirs[] = { "", "/adv", "/chk", "/uadv", "/uchk" };
    for (size_t i = 0; i < 5; i++) {
        char p[512];
        snprintf(p, sizeof p, "%s%s", base, dirs[i]);
        mkdir(p, 0755);
    }
}

START_TEST(folders)
{
    make_dirs();
    write_file("adv", "a1.yml",
               "advisors:\n  - version: 1\n    name: a1\n    summary: Built-in\n    description: D\n    category: c\n");
    write_file("adv", "broken.yml", "advisors: [");
    write_file("adv", "wrongname.yml",
               "advisors:\n  - version: 1\n    name: other\n    summary: S\n    description: D\n    category: c\n");
    write_file("uadv", "a1.yaml",
               "advisors:\n  - version: 1\n    name: a1\n    summary: User's\n    description: D\n    category: c\n");
    write_file("chk", "c1.yml", check_file("c1", "a1", "built-in c1"));
    write_file("chk", "c2.yml", check_file("c2", "a1", "built-in c2"));
    write_file("chk", "orphan.yml", check_file("orphan", "nobody", "S"));
    write_file("chk", "c3.yml.example", check_file("c3", "a1", "S"));
    write_file("chk", "mismatch.yml", check_file("c4", "a1", "S"));
    write_file("uchk", "c2.yaml", check_file("c2", "a1", "user c2"));
    write_file("uchk", "c5.yml", check_file("c5", "a1", "user c5"));
    char dev[512], adv[512], chk[512], uadv[512], uchk[512];
    snprintf(dev, sizeof dev, "%s/dev.yml", base);
    FILE *f = fopen(dev, "w");
    fputs("checks:\n", f);
    for (int i = 0; i < 2; i++)
        fprintf(f,
                "  - version: 2\n    name: dev%d\n    summary: S\n    description: D\n    advisor: dev\n"
                "    family: MONGODB\n    queries:\n      - type: MONGODB_BUILDINFO\n" SCRIPT,
                i);
    fclose(f);
    snprintf(adv, sizeof adv, "%s/adv", base);
    snprintf(chk, sizeof chk, "%s/chk", base);
    snprintf(uadv, sizeof uadv, "%s/uadv", base);
    snprintf(uchk, sizeof uchk, "%s/uchk", base);
    files_dirs d = { adv, chk, uadv, uchk, dev };
    check_set *s = files_load(&d);
    ck_assert_ptr_nonnull(s);
    ck_assert_uint_eq(s->n_advisors, 2); /* a1 (the user's) and dev */
    ck_assert_str_eq(check_set_find_advisor(s, "a1")->summary, "User's");
    ck_assert_str_eq(check_set_find_advisor(s, "dev")->summary, "Dev Advisor");
    ck_assert_str_eq(check_set_find_advisor(s, "dev")->category, "development");
    ck_assert_ptr_null(check_set_find(s, "orphan"));
    ck_assert_ptr_null(check_set_find(s, "c3"));
    ck_assert_ptr_null(check_set_find(s, "c4"));
    ck_assert_str_eq(check_set_find(s, "c1")->summary, "built-in c1");
    ck_assert_str_eq(check_set_find(s, "c2")->summary, "user c2");
    ck_assert(check_set_find(s, "c2")->user);
    ck_assert_str_eq(check_set_find(s, "c5")->summary, "user c5");
    ck_assert_ptr_nonnull(check_set_find(s, "dev0"));
    ck_assert_ptr_nonnull(check_set_find(s, "dev1"));
    ck_assert_uint_eq(s->n_checks, 5);
    check_set_free(s);
    /* missing folders: an empty set, no failure */
    files_dirs none = { "/nonexistent/a", "/nonexistent/c", NULL, "", NULL };
    s = files_load(&none);
    ck_assert_uint_eq(s->n_checks + s->n_advisors, 0);
    check_set_free(s);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf %s", base);
    ck_assert_int_eq(system(cmd), 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("checks_files");
    TCase *tc = tcase_create("files");
    tcase_add_test(tc, v2_check);
    tcase_add_test(tc, v1_check_and_documents);
    tcase_add_test(tc, validation_texts);
    tcase_add_test(tc, dropped_with_warnings);
    tcase_add_test(tc, advisors);
    tcase_add_test(tc, durations);
    tcase_add_test(tc, folders);
    suite_add_tcase(s, tc);
    return check_run(s);
}
