/* vmproxy: see vmproxy.h. One thread per connection: a query may take
 * VictoriaMetrics seconds, and nginx's keepalive connections are few. */
#include "vmproxy.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <microhttpd.h>

#include "hex.h"
#include "http/httpc.h"
#include "httpd.h"
#include "lbac.h"
#include "log.h"

#define VMPROXY_TIMEOUT_MS (600 * 1000) /* nginx's proxy_read_timeout for /prometheus */
#define VMPROXY_MAX_ANSWER ((size_t)256 << 20)

struct vmproxy {
    struct MHD_Daemon *mhd;
    char *target;
    size_t max_body;
};

typedef struct {
    char *body;
    size_t len, cap;
    bool too_big;
} upload;

/* Whether a form key, decoded (%XX, '+'), is one of VictoriaMetrics'
 * extra filter arguments. */
static bool is_filter_key(const char *k, size_t n)
{
    char dec[32];
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (o >= sizeof dec - 1)
            return false;
        int hi, lo;
        if (k[i] == '%' && i + 2 < n && (hi = hex_value(k[i + 1])) >= 0 && (lo = hex_value(k[i + 2])) >= 0) {
            dec[o++] = (char)(hi * 16 + lo);
            i += 2;
        } else {
            dec[o++] = k[i] == '+' ? ' ' : k[i];
        }
    }
    dec[o] = '\0';
    return strcmp(dec, "extra_filters") == 0 || strcmp(dec, "extra_filters[]") == 0;
}

char *vmproxy_rewrite_form(const char *form, size_t len, char *const *filters, size_t n)
{
    size_t cap = len + 2;
    for (size_t i = 0; i < n; i++)
        cap += strlen("&extra_filters%5B%5D=") + 3 * strlen(filters[i]);
    char *out = malloc(cap + 1);
    if (!out)
        return NULL;
    size_t o = 0;
    for (size_t i = 0; i < len;) {
        const char *amp = memchr(form + i, '&', len - i);
        size_t end = amp ? (size_t)(amp - form) : len;
        const char *eq = memchr(form + i, '=', end - i);
        size_t klen = (eq ? (size_t)(eq - form) : end) - i;
        if (end > i && !is_filter_key(form + i, klen)) {
            if (o)
                out[o++] = '&';
            memcpy(out + o, form + i, end - i);
            o += end - i;
        }
        i = end + 1;
    }
    for (size_t f = 0; f < n; f++) {
        o += (size_t)sprintf(out + o, "%sextra_filters%%5B%%5D=", o ? "&" : "");
        for (const unsigned char *p = (const unsigned char *)filters[f]; *p; p++) {
            if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
                strchr("-_.~", *p))
                out[o++] = (char)*p;
            else
                o += (size_t)sprintf(out + o, "%%%02X", *p);
        }
    }
    out[o] = '\0';
    return out;
}

typedef struct {
    char *s;
    size_t len, cap;
    bool oom;
} strbuf;

static void sb_put(strbuf *b, const char *s, size_t n)
{
    if (b->oom)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = (b->len + n + 1) * 2;
        char *p = realloc(b->s, cap);
        if (!p) {
            b->oom = true;
            return;
        }
        b->s = p;
        b->cap = cap;
    }
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}

/* MHD parsed (and decoded) the query: encode it again, pair by pair. */
static enum MHD_Result add_arg(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    (void)kind;
    strbuf *b = cls;
    char *k = curl_easy_escape(NULL, key, 0);
    char *v = value ? curl_easy_escape(NULL, value, 0) : NULL;
    if (!k || (value && !v)) {
        b->oom = true;
    } else {
        if (b->len)
            sb_put(b, "&", 1);
        sb_put(b, k, strlen(k));
        if (v) {
            sb_put(b, "=", 1);
            sb_put(b, v, strlen(v));
        }
    }
    curl_free(k);
    curl_free(v);
    return MHD_YES;
}

static enum MHD_Result send_text(struct MHD_Connection *c, unsigned status, const char *text)
{
    return httpd_send(c, status, "text/plain; charset=utf-8", strdup(text), strlen(text), NULL);
}

static bool path_ok(const char *url)
{
    if (strncmp(url, "/prometheus/", 12) != 0 || strstr(url, ".."))
        return false;
    for (const char *p = url; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || strchr("/-_.~", *p)))
            return false;
    return true;
}

static bool is_form(struct MHD_Connection *c)
{
    const char *ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
    return ct && strncasecmp(ct, "application/x-www-form-urlencoded", 33) == 0;
}

static enum MHD_Result forward(vmproxy *p, struct MHD_Connection *c, const char *url, const char *method,
                               upload *up)
{
    if (!path_ok(url))
        return send_text(c, 400, "unexpected path\n");
    char **filters = NULL;
    size_t n = 0;
    const char *header = MHD_lookup_connection_value(c, MHD_HEADER_KIND, LBAC_HEADER);
    if (header && lbac_decode(header, &filters, &n) != 0) {
        log_warn("vmproxy: invalid %s header refused", LBAC_HEADER);
        return send_text(c, 412, "invalid " LBAC_HEADER " header\n");
    }
    strbuf q = { 0 };
    MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, add_arg, &q);
    char *query = NULL, *body = NULL;
    size_t body_len = up->len;
    if (filters) {
        query = vmproxy_rewrite_form(q.s ? q.s : "", q.len, filters, n);
        /* a form body is read by VictoriaMetrics too: its filters go */
        if (is_form(c) && up->len) {
            body = vmproxy_rewrite_form(up->body, up->len, NULL, 0);
            body_len = body ? strlen(body) : 0;
        }
    }
    enum MHD_Result ret;
    const char *qs = filters ? query : q.s;
    strbuf u = { 0 };
    sb_put(&u, p->target, strlen(p->target));
    sb_put(&u, url, strlen(url));
    if (qs && *qs) {
        sb_put(&u, "?", 1);
        sb_put(&u, qs, strlen(qs));
    }
    if (q.oom || u.oom || (filters && !query) || (filters && is_form(c) && up->len && !body)) {
        ret = send_text(c, 500, "out of memory\n");
        goto out;
    }
    const char *ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
    char ct_header[512];
    snprintf(ct_header, sizeof ct_header, "Content-Type: %.480s", ct ? ct : "");
    const char *headers[] = { ct_header, NULL };
    httpc_request req = {
        .method = method,
        .url = u.s,
        .headers = ct ? headers : NULL,
        .body = body ? body : up->body,
        .body_len = body_len,
        .timeout_ms = VMPROXY_TIMEOUT_MS,
        .max_body = VMPROXY_MAX_ANSWER,
    };
    httpc_call *call = httpc_call_new(&req);
    if (!call) {
        ret = send_text(c, 500, "out of memory\n");
        goto out;
    }
    httpc_state state = httpc_call_run(call);
    if (state != HTTPC_DONE) {
        log_warn("vmproxy: %s", state == HTTPC_FAILED ? httpc_error(call) : "VictoriaMetrics did not answer in time");
        ret = send_text(c, 502, "VictoriaMetrics cannot be reached\n");
    } else {
        size_t blen = httpc_body_len(call);
        char *copy = malloc(blen + 1);
        if (copy)
            memcpy(copy, httpc_body(call), blen);
        const char *rct = httpc_header(call, "Content-Type");
        ret = copy ? httpd_send(c, (unsigned)httpc_status(call), rct, copy, blen, NULL)
                   : send_text(c, 500, "out of memory\n");
    }
    httpc_call_free(call);
out:
    free(u.s);
    free(q.s);
    free(query);
    free(body);
    lbac_filters_free(filters, n);
    return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                  const char *version, const char *data, size_t *data_size, void **con_cls)
{
    (void)version;
    vmproxy *p = cls;
    upload *up = *con_cls;
    if (!up) {
        if (!(up = calloc(1, sizeof *up)))
            return MHD_NO;
        *con_cls = up;
        return MHD_YES;
    }
    if (*data_size) {
        if (up->len + *data_size > p->max_body) {
            up->too_big = true;
        } else if (!up->too_big) {
            if (up->len + *data_size + 1 > up->cap) {
                size_t cap = (up->len + *data_size + 1) * 2;
                char *b = realloc(up->body, cap);
                if (!b)
                    return MHD_NO;
                up->body = b;
                up->cap = cap;
            }
            memcpy(up->body + up->len, data, *data_size);
            up->len += *data_size;
        }
        *data_size = 0;
        return MHD_YES;
    }
    if (up->too_big)
        return send_text(c, 413, "request body too large\n");
    return forward(p, c, url, method, up);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)c;
    (void)toe;
    upload *up = *con_cls;
    if (up) {
        free(up->body);
        free(up);
        *con_cls = NULL;
    }
}

vmproxy *vmproxy_start(int port, const char *target, size_t max_body)
{
    struct sockaddr_storage ss;
    /* loopback only: it trusts the header nginx sets */
    if (httpd_sockaddr("127.0.0.1", port, &ss) != 0)
        return NULL;
    vmproxy *p = calloc(1, sizeof *p);
    if (!p || !(p->target = strdup(target))) {
        free(p);
        return NULL;
    }
    size_t tl = strlen(p->target);
    while (tl > 0 && p->target[tl - 1] == '/')
        p->target[--tl] = '\0';
    p->max_body = max_body;
    p->mhd = MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL |
                                  MHD_USE_ERROR_LOG,
                              (uint16_t)port, NULL, NULL, on_request, p, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
                              MHD_OPTION_NOTIFY_COMPLETED, on_completed, p, MHD_OPTION_CONNECTION_LIMIT, (unsigned)256,
                              MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)620, MHD_OPTION_LISTENING_ADDRESS_REUSE,
                              (unsigned)1, MHD_OPTION_END);
    if (!p->mhd) {
        log_error("cannot listen on 127.0.0.1:%d for vmproxy", port);
        free(p->target);
        free(p);
        return NULL;
    }
    return p;
}

void vmproxy_stop(vmproxy *p)
{
    if (!p)
        return;
    MHD_stop_daemon(p->mhd);
    free(p->target);
    free(p);
}
