/* debug: the debug listener (see debug.h). */
#include "debug.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <microhttpd.h>

#include "dispatch.h"
#include "httpd.h"
#include "internal/v1/metrics.pb-c.h"
#include "log.h"
#include "metrics.h"
#include "bus/metrics_rpc.h"
#include "rpc.h"

struct debug_server {
    struct MHD_Daemon *mhd;
};

static const char index_html[] =
    "<html><body><h1>pmm gateway debug</h1><ul>"
    "<li><a href=\"/debug/metrics\">/debug/metrics</a></li>"
    "<li><a href=\"/debug/vars\">/debug/vars</a></li>"
    "</ul></body></html>\n";

/* The gateway's text followed by each daemon's own counters
 * (internal.v1.MetricsService: agentsd's pmm_managed_agents_* of
 * upstream's one process, configd's UI events, ...). A daemon that does
 * not serve it answers Unimplemented at once; one that is down costs at
 * most a second and is left out. Takes and returns text. */
static char *with_daemon_metrics(char *text)
{
    Internal__V1__MetricsRequest req = INTERNAL__V1__METRICS_REQUEST__INIT;
    uint8_t buf[8];
    size_t len = internal__v1__metrics_request__pack(&req, buf);
    const char *daemon;
    for (size_t i = 0; text && (daemon = dispatch_daemon(i)) != NULL; i++) {
        bus_reply rep;
        int code = dispatch_call_daemon(daemon, METRICS_RPC_METHOD, buf, len, 1000, &rep);
        Internal__V1__MetricsResponse *resp =
            code == RPC_OK ? internal__v1__metrics_response__unpack(NULL, rep.body_len, rep.body) : NULL;
        bus_reply_clear(&rep);
        char *both = NULL;
        if (resp && asprintf(&both, "%s%s", text, resp->text) >= 0) {
            free(text);
            text = both;
        }
        if (resp)
            internal__v1__metrics_response__free_unpacked(resp, NULL);
    }
    return text;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *verb,
                                  const char *version, const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    (void)cls;
    (void)version;
    (void)upload_data;
    (void)upload_data_size;
    (void)con_cls;
    if (strcmp(verb, "GET") != 0 && strcmp(verb, "HEAD") != 0)
        return httpd_send(c, 405, "text/plain", strdup("method not allowed\n"), 19, NULL);
    if (strcmp(url, "/debug/metrics") == 0) {
        char *text = with_daemon_metrics(metrics_render_prometheus());
        return httpd_send(c, 200, "text/plain; version=0.0.4", text, text ? strlen(text) : 0, NULL);
    }
    if (strcmp(url, "/debug/vars") == 0) {
        char *text = metrics_render_vars();
        return httpd_send(c, 200, "application/json", text, text ? strlen(text) : 0, NULL);
    }
    if (strcmp(url, "/debug") == 0 || strcmp(url, "/debug/") == 0)
        return httpd_send(c, 200, "text/html", strdup(index_html), sizeof index_html - 1, NULL);
    return httpd_send(c, 404, "text/plain", strdup("not found\n"), 10, NULL);
}

debug_server *debug_start(const char *addr, int port)
{
    struct sockaddr_storage ss;
    if (httpd_sockaddr(addr, port, &ss) != 0)
        return NULL;
    debug_server *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL | MHD_USE_ERROR_LOG; /* see rest.c */
    if (ss.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    s->mhd = MHD_start_daemon(flags, (uint16_t)port, NULL, NULL, on_request, s,
                              MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
                              MHD_OPTION_CONNECTION_LIMIT, (unsigned)64,
                              MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30,
                              MHD_OPTION_LISTENING_ADDRESS_REUSE, (unsigned)1,
                              MHD_OPTION_END);
    if (!s->mhd) {
        log_error("cannot listen on %s:%d for debug", addr, port);
        free(s);
        return NULL;
    }
    return s;
}

void debug_stop(debug_server *s)
{
    if (!s)
        return;
    MHD_stop_daemon(s->mhd);
    free(s);
}
