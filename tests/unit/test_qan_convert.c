/* Unit tests of qanfwd's conversion of pmm-agent buckets into qan.v1
 * buckets as upstream's qan client does: which fields are copied (and the
 * two upstream leaves out), PostgreSQL's renames and histogram JSON, the
 * inventory's labels (models.MergeLabels, unified labels into fields,
 * comments over custom labels), and the result on the wire. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "qanfwd/convert.h"
#include "qanfwd/labels.h"
#include "tests/lib/checkrun.h"

static json_t *target_labels(void)
{
    json_t *node = json_pack("{s:s, s:s, s:s, s:s, s:s, s:n, s:{s:s, s:s}}", "node_id", "N1", "node_name", "db-host",
                             "node_type", "generic", "region", "eu-1", "az", "", "machine_id", "custom_labels",
                             "rack", "r1", "team", "node-team");
    /* the stores give JSONB columns as their text */
    json_t *service = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "service_id", "S1", "service_type", "mysql",
                                "service_name", "shop-db", "environment", "prod", "cluster", "c1", "replication_set",
                                "rs1", "custom_labels", "{\"team\": \"dbre\"}");
    json_t *agent = json_pack("{s:s, s:s, s:n}", "agent_id", "A1", "agent_type", "qan-mysql-perfschema-agent",
                              "custom_labels");
    json_t *l = labels_merge(node, service, agent);
    json_decref(node);
    json_decref(service);
    json_decref(agent);
    return l;
}

static qan_target target(json_t *labels)
{
    return (qan_target){ .agent_id = "A1", .service_id = "S1", .service_name = "shop-db", .service_type = "mysql",
                         .node_id = "N1", .node_name = "db-host", .node_type = "generic", .labels = labels };
}

START_TEST(merge_labels_as_upstream)
{
    json_t *l = target_labels();
    /* later rows win (service's team over node's); empty values dropped */
    json_t *want = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "node_id",
                             "N1", "node_name", "db-host", "node_type", "generic", "region", "eu-1", "rack", "r1",
                             "team", "dbre", "service_id", "S1", "service_type", "mysql", "service_name", "shop-db",
                             "environment", "prod", "cluster", "c1", "replication_set", "rs1", "agent_id", "A1",
                             "agent_type", "qan-mysql-perfschema-agent");
    ck_assert(json_equal(l, want));
    json_decref(want);
    json_decref(l);
}
END_TEST

static const char *label(const Qan__V1__MetricsBucket *mb, const char *k)
{
    for (size_t i = 0; i < mb->n_labels; i++)
        if (strcmp(mb->labels[i]->key, k) == 0)
            return mb->labels[i]->value;
    return NULL;
}

START_TEST(mysql_bucket)
{
    Agent__V1__MetricsBucket in = AGENT__V1__METRICS_BUCKET__INIT;
    Agent__V1__MetricsBucket__Common cm = AGENT__V1__METRICS_BUCKET__COMMON__INIT;
    Agent__V1__MetricsBucket__MySQL my = AGENT__V1__METRICS_BUCKET__MY_SQL__INIT;
    Agent__V1__MetricsBucket__Common__CommentsEntry c1 = AGENT__V1__METRICS_BUCKET__COMMON__COMMENTS_ENTRY__INIT,
                                                    c2 = AGENT__V1__METRICS_BUCKET__COMMON__COMMENTS_ENTRY__INIT;
    Agent__V1__MetricsBucket__Common__CommentsEntry *comments[] = { &c1, &c2 };
    Agent__V1__MetricsBucket__Common__ErrorsEntry e1 = AGENT__V1__METRICS_BUCKET__COMMON__ERRORS_ENTRY__INIT;
    Agent__V1__MetricsBucket__Common__ErrorsEntry *errors[] = { &e1 };
    char *tables[] = { "orders", "items" };
    c1.key = "team";
    c1.value = "from-comment";
    c2.key = "app";
    c2.value = "shop-api";
    e1.key = 1062;
    e1.value = 3;
    cm.queryid = "Q1";
    cm.explain_fingerprint = "SELECT ? FROM orders";
    cm.placeholders_count = 1;
    cm.fingerprint = "SELECT ?";
    cm.schema = "shop";
    cm.n_tables = 2;
    cm.tables = tables;
    cm.agent_id = "/agent_id/A1";
    cm.agent_type = INVENTORY__V1__AGENT_TYPE__AGENT_TYPE_QAN_MYSQL_PERFSCHEMA_AGENT;
    cm.period_start_unix_secs = 1700000000;
    cm.period_length_secs = 60;
    cm.example = "SELECT 1 FROM orders";
    cm.example_type = AGENT__V1__EXAMPLE_TYPE__EXAMPLE_TYPE_SLOWEST;
    cm.is_truncated = 1;
    cm.num_queries_with_warnings = 5; /* upstream does not pass it on */
    cm.num_queries_with_errors = 3;
    cm.n_errors = 1;
    cm.errors = errors;
    cm.num_queries = 10;
    cm.m_query_time_sum = 1.5f;
    cm.m_query_time_p99 = 0.25f;
    cm.n_comments = 2;
    cm.comments = comments;
    my.m_lock_time_sum = 0.125f;
    my.m_rows_sent_cnt = 10;
    my.m_no_good_index_used_sum = 2;
    my.m_tmp_table_sizes_p99 = 4096;
    in.common = &cm;
    in.mysql = &my;
    ck_assert_str_eq(qconv_agent_id(cm.agent_id), "A1");

    json_t *labels = target_labels();
    qan_target t = target(labels);
    qconv *c = qconv_new(&in, &t);
    ck_assert_ptr_nonnull(c);
    /* on the wire and back, as qan-api2 reads it */
    Qan__V1__MetricsBucket *conv = qconv_bucket(c);
    size_t len = qan__v1__metrics_bucket__get_packed_size(conv);
    uint8_t *buf = malloc(len);
    qan__v1__metrics_bucket__pack(conv, buf);
    qconv_free(c);
    Qan__V1__MetricsBucket *mb = qan__v1__metrics_bucket__unpack(NULL, len, buf);
    free(buf);
    json_decref(labels);
    ck_assert_ptr_nonnull(mb);
    ck_assert_str_eq(mb->queryid, "Q1");
    ck_assert_str_eq(mb->explain_fingerprint, "SELECT ? FROM orders");
    ck_assert_uint_eq(mb->placeholders_count, 1);
    ck_assert_str_eq(mb->fingerprint, "SELECT ?");
    ck_assert_str_eq(mb->schema, "shop");
    ck_assert_uint_eq(mb->n_tables, 2);
    ck_assert_str_eq(mb->tables[1], "items");
    ck_assert_str_eq(mb->agent_id, "A1");
    ck_assert_int_eq(mb->agent_type, INVENTORY__V1__AGENT_TYPE__AGENT_TYPE_QAN_MYSQL_PERFSCHEMA_AGENT);
    ck_assert_uint_eq(mb->period_start_unix_secs, 1700000000);
    ck_assert_uint_eq(mb->period_length_secs, 60);
    ck_assert_str_eq(mb->example, "SELECT 1 FROM orders");
    ck_assert_int_eq(mb->example_type, QAN__V1__EXAMPLE_TYPE__EXAMPLE_TYPE_SLOWEST);
    ck_assert(mb->is_truncated);
    ck_assert(mb->num_queries_with_warnings == 0);
    ck_assert(mb->num_queries_with_errors == 3);
    ck_assert_uint_eq(mb->n_errors, 1);
    ck_assert_uint_eq(mb->errors[0]->key, 1062);
    ck_assert_uint_eq(mb->errors[0]->value, 3);
    ck_assert(mb->num_queries == 10);
    ck_assert(mb->m_query_time_sum == 1.5f && mb->m_query_time_p99 == 0.25f);
    ck_assert(mb->m_lock_time_sum == 0.125f && mb->m_rows_sent_cnt == 10);
    ck_assert(mb->m_no_good_index_used_sum == 2 && mb->m_tmp_table_sizes_p99 == 4096);
    /* from the inventory */
    ck_assert_str_eq(mb->service_name, "shop-db");
    ck_assert_str_eq(mb->service_id, "S1");
    ck_assert_str_eq(mb->service_type, "mysql");
    ck_assert_str_eq(mb->node_id, "N1");
    ck_assert_str_eq(mb->node_name, "db-host");
    ck_assert_str_eq(mb->node_type, "generic");
    ck_assert_str_eq(mb->region, "eu-1");
    ck_assert_str_eq(mb->az, "");
    ck_assert_str_eq(mb->environment, "prod");
    ck_assert_str_eq(mb->cluster, "c1");
    ck_assert_str_eq(mb->replication_set, "rs1");
    /* custom labels: the rest of the merged labels, comments winning */
    ck_assert_uint_eq(mb->n_labels, 3);
    ck_assert_str_eq(label(mb, "rack"), "r1");
    ck_assert_str_eq(label(mb, "team"), "from-comment");
    ck_assert_str_eq(label(mb, "app"), "shop-api");
    ck_assert_ptr_null(label(mb, "node_id"));
    ck_assert_ptr_null(label(mb, "environment"));
    qan__v1__metrics_bucket__free_unpacked(mb, NULL);
}
END_TEST

START_TEST(postgresql_and_mongodb_buckets)
{
    Agent__V1__MetricsBucket in = AGENT__V1__METRICS_BUCKET__INIT;
    Agent__V1__MetricsBucket__PostgreSQL pg = AGENT__V1__METRICS_BUCKET__POSTGRE_SQL__INIT;
    Agent__V1__HistogramItem h1 = AGENT__V1__HISTOGRAM_ITEM__INIT, h2 = AGENT__V1__HISTOGRAM_ITEM__INIT;
    Agent__V1__HistogramItem *hist[] = { &h1, &h2 };
    h1.range = "(0 - 3)";
    h1.frequency = 7;
    h2.range = "";
    h2.frequency = 0;
    pg.m_rows_cnt = 4;
    pg.m_rows_sum = 40;
    pg.m_plan_time_cnt = 9; /* upstream does not pass it on */
    pg.m_plan_time_sum = 0.5f;
    pg.m_shared_blk_read_time_sum = 12;
    pg.m_local_blk_write_time_cnt = 2;
    pg.cmd_type = "SELECT";
    pg.top_query = "CALL f()";
    pg.n_histogram_items = 2;
    pg.histogram_items = hist;
    in.postgresql = &pg;
    json_t *labels = json_object();
    qan_target t = target(labels);
    qconv *c = qconv_new(&in, &t);
    Qan__V1__MetricsBucket *mb = qconv_bucket(c);
    ck_assert(mb->m_rows_sent_cnt == 4 && mb->m_rows_sent_sum == 40);
    ck_assert(mb->m_plan_time_cnt == 0 && mb->m_plan_time_sum == 0.5f);
    ck_assert(mb->m_shared_blk_read_time_sum == 12 && mb->m_local_blk_write_time_cnt == 2);
    ck_assert_str_eq(mb->cmd_type, "SELECT");
    ck_assert_str_eq(mb->top_query, "CALL f()");
    ck_assert_uint_eq(mb->n_histogram_items, 2);
    ck_assert_str_eq(mb->histogram_items[0], "{\"range\":\"(0 - 3)\",\"frequency\":7}");
    ck_assert_str_eq(mb->histogram_items[1], "{}");
    ck_assert_str_eq(mb->queryid, ""); /* no Common: nothing from it */
    ck_assert_uint_eq(mb->n_labels, 0);
    qconv_free(c);

    Agent__V1__MetricsBucket in2 = AGENT__V1__METRICS_BUCKET__INIT;
    Agent__V1__MetricsBucket__MongoDB mg = AGENT__V1__METRICS_BUCKET__MONGO_DB__INIT;
    mg.m_docs_returned_p99 = 3; /* field 147 in qan.v1, 5 in agent.v1 */
    mg.m_docs_scanned_sum = 100;
    mg.plan_summary = "COLLSCAN";
    mg.m_docs_examined_sum = 50;
    in2.mongodb = &mg;
    c = qconv_new(&in2, &t);
    mb = qconv_bucket(c);
    ck_assert(mb->m_docs_returned_p99 == 3 && mb->m_docs_scanned_sum == 100 && mb->m_docs_examined_sum == 50);
    ck_assert_str_eq(mb->plan_summary, "COLLSCAN");
    qconv_free(c);
    json_decref(labels);
}
END_TEST

START_TEST(histogram_json_as_go)
{
    char *s = qconv_histogram_json("<a & \"b\">\n", 1);
    ck_assert_str_eq(s, "{\"range\":\"\\u003ca \\u0026 \\\"b\\\"\\u003e\\n\",\"frequency\":1}");
    free(s);
    s = qconv_histogram_json("", 5);
    ck_assert_str_eq(s, "{\"frequency\":5}");
    free(s);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("qan_convert");
    TCase *tc = tcase_create("pure");
    tcase_add_test(tc, merge_labels_as_upstream);
    tcase_add_test(tc, mysql_bucket);
    tcase_add_test(tc, postgresql_and_mongodb_buckets);
    tcase_add_test(tc, histogram_json_as_go);
    suite_add_tcase(s, tc);
    return check_run(s);
}
