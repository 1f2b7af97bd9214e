/* The advisors and checks checksd ships (checksd/data/): every file loads
 * under the strict rules, the built-in advisor names are upstream's, and
 * every check's script gives the expected results on recorded query
 * results (tests/checks/<check>.json: cases of docs, one entry per query,
 * and the results or the error they must give). Scripts run here in
 * process through script_run, as the sandboxed child runs them. */
#include <check.h>
#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checksd/docs.h"
#include "checksd/files.h"
#include "checksd/script.h"
#include "tests/lib/checkrun.h"

static const files_dirs builtin = { .advisors_dir = "checksd/data/advisors", .checks_dir = "checksd/data/checks" };

static size_t count_files(const char *dir, const char *suffix)
{
    DIR *d = opendir(dir);
    ck_assert_ptr_nonnull(d);
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t l = strlen(e->d_name), s = strlen(suffix);
        n += l > s && strcmp(e->d_name + l - s, suffix) == 0;
    }
    closedir(d);
    return n;
}

START_TEST(advisors_are_upstreams)
{
    static const char *const names[] = {
        "configuration_connection", "configuration_generic", "configuration_innodb", "configuration_replication",
        "configuration_resources", "configuration_vacuum", "configuration_version", "performance_generic",
        "performance_replication", "performance_vacuum", "query_index", "query_schema_design",
        "security_authentication", "security_configuration", "security_connection", "security_cve",
        "security_replication",
    };
    check_set *s = files_load(&builtin);
    ck_assert_ptr_nonnull(s);
    ck_assert_uint_eq(s->n_advisors, sizeof names / sizeof *names);
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        const advisor_def *a = check_set_find_advisor(s, names[i]);
        ck_assert_msg(a != NULL, "advisor %s", names[i]);
        ck_assert_int_eq(a->version, 1);
        ck_assert_uint_eq(a->n_tiers, 3);
    }
    check_set_free(s);
}
END_TEST

START_TEST(every_check_loads)
{
    check_set *s = files_load(&builtin);
    ck_assert_ptr_nonnull(s);
    /* nothing dropped: one check per *.yml file */
    ck_assert_uint_eq(s->n_checks, count_files("checksd/data/checks", ".yml"));
    ck_assert_uint_ge(s->n_checks, 20);
    size_t fam[4] = { 0 };
    for (size_t i = 0; i < s->n_checks; i++) {
        const check_def *c = &s->checks[i];
        ck_assert_msg(check_set_find_advisor(s, c->advisor), "%s: advisor %s", c->name, c->advisor);
        ck_assert_int_eq(c->version, 2);
        fam[c->family]++;
    }
    ck_assert_uint_ge(fam[FAMILY_MYSQL], 5);
    ck_assert_uint_ge(fam[FAMILY_POSTGRESQL], 5);
    ck_assert_uint_ge(fam[FAMILY_MONGODB], 5);
    /* the reference's four shipped checks (§9) */
    const check_def *fsync = check_set_find(s, "postgresql_fsync");
    ck_assert_ptr_nonnull(fsync);
    ck_assert_str_eq(fsync->advisor, "configuration_generic");
    ck_assert_int_eq(fsync->interval, INTERVAL_STANDARD);
    ck_assert_int_eq(fsync->queries[0].type, Q_POSTGRESQL_SELECT);
    ck_assert_ptr_nonnull(strstr(fsync->queries[0].query, "pg_settings"));
    ck_assert_int_eq(check_set_find(s, "mongodb_auth")->queries[0].type, Q_MONGODB_GETCMDLINEOPTS);
    const check_def *ver = check_set_find(s, "mysql_version");
    ck_assert_int_eq(ver->queries[0].type, Q_MYSQL_SHOW);
    ck_assert_str_eq(ver->queries[0].query, "VARIABLES");
    ck_assert_int_eq(check_set_find(s, "mysql_security_anonymous_user")->queries[0].type, Q_MYSQL_SELECT);
    ck_assert(check_set_find(s, "postgresql_unused_indexes")->queries[0].all_dbs);
    check_set_free(s);
}
END_TEST

/* ---- scripts on recorded results ------------------------------------------------------------ */

static void run_case(const check_def *c, json_t *cs, bool need_url)
{
    const char *name = json_string_value(json_object_get(cs, "name"));
    json_t *docs = json_object_get(cs, "docs");
    ck_assert_msg(json_is_array(docs) && json_array_size(docs) == c->n_queries, "%s/%s: one docs entry per query",
                  c->name, name);
    size_t n = json_array_size(docs);
    msgpack_sbuffer *bufs = calloc(n, sizeof *bufs);
    const msgpack_sbuffer **ptrs = calloc(n, sizeof *ptrs);
    for (size_t i = 0; i < n; i++) {
        msgpack_sbuffer_init(&bufs[i]);
        ck_assert_int_eq(docs_from_json(json_array_get(docs, i), false, &bufs[i]), 0);
        ptrs[i] = &bufs[i];
    }
    msgpack_sbuffer req, out;
    msgpack_sbuffer_init(&req);
    msgpack_sbuffer_init(&out);
    ck_assert_int_eq(script_request_pack(&req, c->version, c->name, c->script, ptrs, n), 0);
    script_limits lim = { .max_memory = 64u << 20 };
    ck_assert_int_eq(script_run(req.data, req.size, &lim, &out), 0);
    script_output o;
    ck_assert_int_eq(script_output_parse(out.data, out.size, &o), 0);
    const char *want_err = json_string_value(json_object_get(cs, "error"));
    if (want_err) {
        ck_assert_msg(o.error && strcmp(o.error, want_err) == 0, "%s/%s: error %s, want %s", c->name, name,
                      o.error ? o.error : "(none)", want_err);
    } else {
        ck_assert_msg(!o.error, "%s/%s: %s", c->name, name, o.error ? o.error : "");
        json_t *want = json_object_get(cs, "results");
        ck_assert_msg(o.n == json_array_size(want), "%s/%s: %zu results, want %zu", c->name, name, o.n,
                      json_array_size(want));
        for (size_t i = 0; i < o.n; i++) {
            json_t *w = json_array_get(want, i);
            const script_result *r = &o.results[i];
            ck_assert_str_eq(r->summary, json_string_value(json_object_get(w, "summary")));
            ck_assert_str_eq(severity_name(r->severity), json_string_value(json_object_get(w, "severity")));
            if (json_object_get(w, "description"))
                ck_assert_str_eq(r->description, json_string_value(json_object_get(w, "description")));
            if (json_object_get(w, "read_more_url"))
                ck_assert_str_eq(r->read_more_url, json_string_value(json_object_get(w, "read_more_url")));
            else if (need_url)
                ck_assert_msg(strncmp(r->read_more_url, "https://", 8) == 0, "%s: read_more_url", c->name);
            json_t *labels = json_object_get(w, "labels");
            if (labels) {
                ck_assert_uint_eq(r->n_labels, json_object_size(labels));
                for (size_t k = 0; k < r->n_labels; k++) {
                    json_t *v = json_object_get(labels, r->label_keys[k]);
                    ck_assert_msg(v != NULL, "%s/%s: label %s", c->name, name, r->label_keys[k]);
                    ck_assert_str_eq(r->label_values[k], json_string_value(v));
                }
            }
        }
    }
    script_output_clear(&o);
    msgpack_sbuffer_destroy(&req);
    msgpack_sbuffer_destroy(&out);
    for (size_t i = 0; i < n; i++)
        msgpack_sbuffer_destroy(&bufs[i]);
    free(bufs);
    free(ptrs);
}

static void run_fixtures(const check_def *c, bool need_url)
{
    char path[512];
    snprintf(path, sizeof path, "tests/checks/%s.json", c->name);
    json_error_t je;
    json_t *f = json_load_file(path, 0, &je);
    ck_assert_msg(f != NULL, "%s: %s", path, je.text);
    json_t *cases = json_object_get(f, "cases");
    /* a clean case and one that reports, at least */
    ck_assert_msg(json_array_size(cases) >= 2, "%s: fewer than two cases", path);
    bool reports = false, clean = false;
    size_t i;
    json_t *cs;
    json_array_foreach(cases, i, cs) {
        run_case(c, cs, need_url);
        size_t n = json_array_size(json_object_get(cs, "results"));
        reports |= n > 0;
        clean |= json_object_get(cs, "results") && n == 0;
    }
    ck_assert_msg(reports && clean, "%s: needs a case with results and one without", path);
    json_decref(f);
}

START_TEST(every_check_on_recorded_results)
{
    check_set *s = files_load(&builtin);
    ck_assert_ptr_nonnull(s);
    for (size_t i = 0; i < s->n_checks; i++)
        run_fixtures(&s->checks[i], true);
    check_set_free(s);
}
END_TEST

START_TEST(example_v2)
{
    FILE *f = fopen("checksd/data/checks/exampleV2.yml.example", "rb");
    ck_assert_ptr_nonnull(f);
    char buf[16384];
    size_t len = fread(buf, 1, sizeof buf, f);
    fclose(f);
    check_def *v = NULL;
    size_t n = 0;
    char err[512];
    ck_assert_msg(files_parse_checks(buf, len, &v, &n, NULL, err, sizeof err) == 0, "%s", err);
    ck_assert_uint_eq(n, 1);
    ck_assert_uint_eq(v[0].n_queries, 5);
    ck_assert_int_eq(v[0].queries[1].type, Q_METRICS_INSTANT);
    ck_assert_int_eq(v[0].queries[1].lookback_ns, 300000000000LL);
    ck_assert_int_eq(v[0].queries[3].type, Q_METRICS_RANGE);
    ck_assert_int_eq(v[0].queries[3].range_ns, 900000000000LL);
    ck_assert_int_eq(v[0].queries[3].step_ns, 60000000000LL);
    run_fixtures(&v[0], false);
    check_def_clear(&v[0]);
    free(v);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("checks_shipped");
    TCase *tc = tcase_create("shipped");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, advisors_are_upstreams);
    tcase_add_test(tc, every_check_loads);
    tcase_add_test(tc, every_check_on_recorded_results);
    tcase_add_test(tc, example_v2);
    suite_add_tcase(s, tc);
    return check_run(s);
}
