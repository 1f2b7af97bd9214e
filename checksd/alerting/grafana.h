/* grafana: CreateRule's Grafana-managed rule, as upstream makes it
 * (managed/services/grafana/client.go), when a Grafana URL is configured:
 * the Metrics datasource's UID (GET /api/datasources/1), the folder's rule
 * group (GET /api/ruler/grafana/api/v1/rules/{folder}/{group}; a missing
 * group starts empty with the given interval), and the group with the new
 * rule appended POSTed to /api/ruler/grafana/api/v1/rules/{folder}. The
 * rule: title, condition A, no-data OK, execution error Alerting, query A
 * on that datasource over the last 600 s, instant; for, labels and
 * annotations. Authorization is the configured header (upstream forwards
 * the caller's; the bus does not carry it): it is never logged. */
#ifndef CHECKSD_ALERTING_GRAFANA_H
#define CHECKSD_ALERTING_GRAFANA_H

#include <stdint.h>

#include <jansson.h>

#include "rpc.h"

typedef struct {
    const char *url;         /* "http://127.0.0.1:3000/graph/" */
    const char *auth_header; /* "Authorization: ..." or "" */
    int timeout_ms;
} grafana_params;

typedef struct {
    const char *folder_uid, *group, *interval; /* interval: "1m" */
    const char *title, *expr;
    int64_t for_ns;
    const json_t *labels, *annotations;
} grafana_rule;

/* RPC_OK, or UNKNOWN with upstream's clientError text
 * ("clientError: METHOD URL -> CODE BODY") or the transport's error. */
int grafana_create_rule(const grafana_params *g, const grafana_rule *r, rpc_status *st);

/* Go's time.Duration.String() of ns ("5m0s", "1h0m0s", "0s", "1.5s"). */
void grafana_go_duration(int64_t ns, char *out, size_t outlen);

#endif
