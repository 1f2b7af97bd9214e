/* convert: one pmm-agent MetricsBucket into qan-api2's qan.v1.MetricsBucket
 * with the inventory's labels, as upstream's managed/services/qan/client.go
 * Collect does: the Common fields and those of the one database part the
 * bucket has, copied by their (equal) names, except what upstream leaves
 * out (num_queries_with_warnings, m_plan_time_cnt); PostgreSQL's m_rows_*
 * into m_rows_sent_*; histogram items as their JSON; node, service and
 * agent from the inventory; the unified labels machine_id .. replication_set
 * into their fields, the ids, types and names dropped from the labels, the
 * rest plus the query's comments (which win) as custom labels. */
#ifndef QANFWD_CONVERT_H
#define QANFWD_CONVERT_H

#include <jansson.h>

#include "agent/v1/collector.pb-c.h"
#include "qan/v1/collector.pb-c.h"

/* Where a bucket's agent runs, from the inventory. Strings borrowed. */
typedef struct {
    const char *agent_id, *service_id, *service_name, *service_type, *node_id, *node_name, *node_type;
    json_t *labels; /* models.MergeLabels(node, service, agent): unified and custom, empty ones dropped */
} qan_target;

/* A converted bucket and what it owns; its strings may borrow from the
 * agent's bucket and the target, which must outlive it. */
typedef struct qconv qconv;

qconv *qconv_new(const Agent__V1__MetricsBucket *in, const qan_target *t);
Qan__V1__MetricsBucket *qconv_bucket(qconv *c);
void qconv_free(qconv *c);

/* Go's encoding/json of a qan.v1.HistogramItem (omitempty fields). malloc'd. */
char *qconv_histogram_json(const char *range, uint32_t frequency);

/* The agent id a bucket names, without pmm-agent 2.x's "/agent_id/" prefix. */
const char *qconv_agent_id(const char *id);

#endif
