/* metrics_query: METRICS_INSTANT and METRICS_RANGE queries of checks
 * against the suite's VictoriaMetrics (Prometheus API; advisors reference
 * §4): the PromQL text with its {{.ServiceName}} and {{.NodeName}}
 * placeholders filled, instant at now - lookback, range [end - range,
 * end] with end = now - lookback and the given step. A vector or matrix
 * becomes a list of documents ({metric, value: [ts, "v"]} or {metric,
 * values: [[ts, "v"], ...]}); a scalar or string is refused with
 * `unexpected value type`. */
#ifndef CHECKSD_METRICS_QUERY_H
#define CHECKSD_METRICS_QUERY_H

#include <stddef.h>
#include <stdint.h>

#include <msgpack.h>

#include "model.h"

/* Go text/template's rendering of the placeholders ServiceName, NodeName
 * and ServiceID; malloc'd, or NULL with err (an unknown field, a bad
 * action). */
char *metrics_render_query(const char *query, const char *service_name, const char *node_name,
                           const char *service_id, char *err, size_t errlen);

/* The query's URL under base (VictoriaMetrics' /prometheus/ URL) at
 * now_ms; malloc'd. */
char *metrics_query_url(const char *base, const check_query *q, const char *promql, int64_t now_ms);

/* Turns a Prometheus API answer (HTTP status, body) into packed docs.
 * 0, or -1 with err. */
int metrics_answer_docs(long status, const char *body, size_t len, msgpack_sbuffer *out, char *err, size_t errlen);

#endif
