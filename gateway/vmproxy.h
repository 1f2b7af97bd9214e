/* vmproxy: the gateway's stand-in for upstream's vmproxy (port 8430): a
 * listener on 127.0.0.1 that nginx sends /prometheus/api/v1/ to, with the
 * X-Proxy-Filter header /auth_request gave it. Each filter of the header
 * becomes one extra_filters[] argument of the request forwarded to
 * VictoriaMetrics (which ORs them and ANDs the result with the query);
 * extra_filters the client sent itself are dropped, from the query string
 * and from a form body alike, or they would widen what it sees. A header
 * that is not base64 of a JSON array of series selectors is refused with
 * 412, as vmproxy does; without the header the request passes unchanged. */
#ifndef GATEWAY_VMPROXY_H
#define GATEWAY_VMPROXY_H

#include <stddef.h>

typedef struct vmproxy vmproxy;

/* target: VictoriaMetrics' base URL without a trailing slash
 * ("http://127.0.0.1:9090"); a request for /prometheus/api/v1/query goes
 * to target + the same path. NULL when it cannot listen. */
vmproxy *vmproxy_start(int port, const char *target, size_t max_body);
void vmproxy_stop(vmproxy *p);

/* The form text (a query string or an x-www-form-urlencoded body) without
 * its extra_filters / extra_filters[] pairs, then one extra_filters[] per
 * filter; malloc'd, NULL on ENOMEM. For the tests. */
char *vmproxy_rewrite_form(const char *form, size_t len, char *const *filters, size_t n);

#endif
