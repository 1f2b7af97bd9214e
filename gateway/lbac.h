/* lbac: label-based access control in the gateway. /auth_request answers
 * the paths that read monitored data with X-Proxy-Filter (base64 of a
 * JSON array of PromQL series selectors, one per role of the caller, to be
 * ORed), as upstream's auth server does, when access control is on; the
 * vmproxy listener (vmproxy.h) turns that header into VictoriaMetrics'
 * extra_filters[]. The filters are asked of inventoryd at each request,
 * so a change of roles or of the setting applies to the next query. */
#ifndef GATEWAY_LBAC_H
#define GATEWAY_LBAC_H

#include <stdbool.h>
#include <stddef.h>

#include "auth.h"
#include "rpc.h"

#define LBAC_HEADER "X-Proxy-Filter"

/* Whether the original request's path is one the filters apply to (the
 * reference's list: VictoriaMetrics' API, Grafana's data source proxy and
 * queries, QAN). */
bool lbac_path(const char *uri);

/* The X-Proxy-Filter value for this caller (malloc'd), or NULL with
 * RPC_OK when there is nothing to restrict (access control off, or a
 * role with full access). An error when inventoryd cannot tell. */
int lbac_header_for(const auth_identity *id, char **value, rpc_status *st);

/* Decodes a header value: 0 with the filters (each a valid series
 * selector; free with lbac_filters_free), or -1 when it is not base64 of
 * a JSON array of selectors. */
int lbac_decode(const char *value, char ***filters, size_t *n);
void lbac_filters_free(char **filters, size_t n);

#endif
