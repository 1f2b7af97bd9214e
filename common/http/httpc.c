/* httpc: outgoing HTTP requests over libcurl (see httpc.h). */
#include "http/httpc.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "http/bytebuf.h"
#include "clock.h"
#include "rpc.h"

typedef struct {
    char *name, *value;
} header;

struct httpc_call {
    CURL *h;
    struct curl_slist *req_headers;
    char *method, *url, *body;
    size_t body_len, max_body;
    FILE *sink;
    bool sink_failed;
    long timeout_ms;
    httpc_state state;
    unsigned end_order;
    CURLcode result;
    long status;
    char status_text[128];
    header *headers;
    size_t n_headers;
    bytebuf resp;
    char errbuf[CURL_ERROR_SIZE];
    char *error; /* Go's text, made when the call fails */
};

static size_t on_body(char *ptr, size_t size, size_t n, void *ud)
{
    httpc_call *c = ud;
    long code = 0;
    if (c->sink && curl_easy_getinfo(c->h, CURLINFO_RESPONSE_CODE, &code) == CURLE_OK && code >= 200 && code < 300) {
        if (fwrite(ptr, size, n, c->sink) != n) {
            c->sink_failed = true;
            return 0;
        }
        return size * n;
    }
    if (c->resp.len + size * n > c->max_body) {
        c->state = HTTPC_TOO_BIG;
        return 0;
    }
    return bytebuf_append(&c->resp, ptr, size * n, c->max_body) == 0 ? size * n : 0;
}

static void clear_headers(httpc_call *c)
{
    for (size_t i = 0; i < c->n_headers; i++) {
        free(c->headers[i].name);
        free(c->headers[i].value);
    }
    free(c->headers);
    c->headers = NULL;
    c->n_headers = 0;
}

/* Go's http.StatusText for answers whose status line has no reason. */
static const char *reason_of(long code)
{
    static const struct {
        long code;
        const char *text;
    } t[] = { { 200, "OK" }, { 201, "Created" }, { 204, "No Content" }, { 301, "Moved Permanently" },
              { 302, "Found" }, { 400, "Bad Request" }, { 401, "Unauthorized" }, { 403, "Forbidden" },
              { 404, "Not Found" }, { 405, "Method Not Allowed" }, { 409, "Conflict" },
              { 429, "Too Many Requests" }, { 500, "Internal Server Error" }, { 502, "Bad Gateway" },
              { 503, "Service Unavailable" }, { 504, "Gateway Timeout" } };
    for (size_t i = 0; i < sizeof t / sizeof *t; i++)
        if (t[i].code == code)
            return t[i].text;
    return "";
}

/* "HTTP/1.1 404 Not Found" -> "404 Not Found", as Go keeps resp.Status. */
static void status_line(httpc_call *c, const char *line, size_t len)
{
    const char *sp = memchr(line, ' ', len);
    if (!sp)
        return;
    size_t rest = len - (size_t)(sp + 1 - line);
    const char *s = sp + 1;
    while (rest && *s == ' ')
        s++, rest--;
    long code = strtol(s, NULL, 10);
    const char *reason = memchr(s, ' ', rest);
    if (reason && reason + 1 < s + rest)
        snprintf(c->status_text, sizeof c->status_text, "%.*s", (int)rest, s);
    else
        snprintf(c->status_text, sizeof c->status_text, "%ld %s", code, reason_of(code));
}

static size_t on_header(char *ptr, size_t size, size_t n, void *ud)
{
    httpc_call *c = ud;
    size_t len = size * n;
    while (len && (ptr[len - 1] == '\n' || ptr[len - 1] == '\r'))
        len--;
    if (len >= 5 && strncmp(ptr, "HTTP/", 5) == 0) {
        clear_headers(c); /* a new answer (after 100 Continue): its own headers */
        status_line(c, ptr, len);
        return size * n;
    }
    const char *colon = memchr(ptr, ':', len);
    if (!colon)
        return size * n;
    const char *v = colon + 1;
    while (v < ptr + len && (*v == ' ' || *v == '\t'))
        v++;
    header *hs = realloc(c->headers, (c->n_headers + 1) * sizeof *hs);
    if (!hs)
        return 0;
    c->headers = hs;
    hs[c->n_headers].name = strndup(ptr, (size_t)(colon - ptr));
    hs[c->n_headers].value = strndup(v, (size_t)(ptr + len - v));
    if (!hs[c->n_headers].name || !hs[c->n_headers].value) {
        free(hs[c->n_headers].name);
        free(hs[c->n_headers].value);
        return 0;
    }
    c->n_headers++;
    return size * n;
}

httpc_call *httpc_call_new(const httpc_request *req)
{
    httpc_call *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->method = strdup(req->method ? req->method : "GET");
    c->url = strdup(req->url ? req->url : "");
    c->body_len = req->body ? req->body_len : 0;
    c->body = malloc(c->body_len + 1);
    c->max_body = req->max_body ? req->max_body : HTTPC_BODY_MAX_DEFAULT;
    c->timeout_ms = req->timeout_ms;
    c->sink = req->sink;
    c->h = curl_easy_init();
    if (!c->method || !c->url || !c->body || !c->h)
        goto fail;
    if (c->body_len)
        memcpy(c->body, req->body, c->body_len);
    c->body[c->body_len] = '\0';
    for (size_t i = 0; req->headers && req->headers[i]; i++)
        if (httpc_call_add_header(c, req->headers[i]) != 0)
            goto fail;
    CURL *h = c->h;
    if (curl_easy_setopt(h, CURLOPT_URL, c->url) != CURLE_OK)
        goto fail;
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, c->errbuf);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, c);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, c);
    curl_easy_setopt(h, CURLOPT_PRIVATE, c);
    if (c->timeout_ms > 0)
        curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, c->timeout_ms);
    if (strcmp(c->method, "GET") != 0 || c->body_len) {
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, c->body);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)c->body_len);
        if (strcmp(c->method, "POST") != 0)
            curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, c->method);
    }
    return c;
fail:
    httpc_call_free(c);
    return NULL;
}

void httpc_call_free(httpc_call *c)
{
    if (!c)
        return;
    if (c->h)
        curl_easy_cleanup(c->h);
    curl_slist_free_all(c->req_headers);
    clear_headers(c);
    free(c->method);
    free(c->url);
    free(c->body);
    bytebuf_free(&c->resp);
    free(c->error);
    free(c);
}

int httpc_call_add_header(httpc_call *c, const char *hdr)
{
    struct curl_slist *l = curl_slist_append(c->req_headers, hdr);
    if (!l)
        return -1;
    c->req_headers = l;
    return curl_easy_setopt(c->h, CURLOPT_HTTPHEADER, c->req_headers) == CURLE_OK ? 0 : -1;
}

CURL *httpc_call_curl(httpc_call *c)
{
    return c->h;
}

void httpc_go_op(const char *method, char *out, size_t outlen)
{
    snprintf(out, outlen, "%s", method);
    for (size_t i = 1; out[i]; i++)
        out[i] = (char)tolower((unsigned char)out[i]);
}

/* The part after `Op "URL": ` in Go's words. */
static void go_cause(httpc_call *c, char *out, size_t outlen)
{
    char *ip = NULL, *host = NULL, *scheme = NULL, *url_port = NULL;
    long port = 0, os_errno = 0;
    curl_easy_getinfo(c->h, CURLINFO_PRIMARY_IP, &ip);
    curl_easy_getinfo(c->h, CURLINFO_PRIMARY_PORT, &port);
    curl_easy_getinfo(c->h, CURLINFO_OS_ERRNO, &os_errno);
    CURLU *u = curl_url();
    if (u && curl_url_set(u, CURLUPART_URL, c->url, 0) == CURLUE_OK)
        curl_url_get(u, CURLUPART_HOST, &host, 0), curl_url_get(u, CURLUPART_SCHEME, &scheme, 0),
            curl_url_get(u, CURLUPART_PORT, &url_port, CURLU_DEFAULT_PORT);
    switch (c->result) {
    case CURLE_UNSUPPORTED_PROTOCOL:
        snprintf(out, outlen, "unsupported protocol scheme \"%s\"", scheme ? scheme : "");
        break;
    case CURLE_COULDNT_RESOLVE_HOST:
        snprintf(out, outlen, "dial tcp: lookup %s: no such host", host ? host : "");
        break;
    case CURLE_COULDNT_CONNECT: {
        char e[128];
        snprintf(e, sizeof e, "%s", os_errno ? strerror((int)os_errno) : "connection refused");
        e[0] = (char)tolower((unsigned char)e[0]); /* Go's syscall texts are lower case */
        /* libcurl may not report the address it failed to reach: then the URL's */
        const char *addr = ip && *ip ? ip : host ? host : "";
        bool v6 = strchr(addr, ':') && addr[0] != '[';
        if (ip && *ip && port > 0)
            snprintf(out, outlen, "dial tcp %s%s%s:%ld: connect: %s", v6 ? "[" : "", addr, v6 ? "]" : "", port, e);
        else
            snprintf(out, outlen, "dial tcp %s%s%s:%s: connect: %s", v6 ? "[" : "", addr, v6 ? "]" : "",
                     url_port ? url_port : "", e);
        break;
    }
    case CURLE_GOT_NOTHING:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
        snprintf(out, outlen, "EOF");
        break;
    case CURLE_PARTIAL_FILE:
        snprintf(out, outlen, "unexpected EOF");
        break;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
        snprintf(out, outlen, "tls: %s", *c->errbuf ? c->errbuf : curl_easy_strerror(c->result));
        break;
    default:
        snprintf(out, outlen, "%s", *c->errbuf ? c->errbuf : curl_easy_strerror(c->result));
    }
    curl_free(host);
    curl_free(scheme);
    curl_free(url_port);
    curl_url_cleanup(u);
}

static void make_error(httpc_call *c)
{
    char op[16], quoted[RPC_MESSAGE_MAX / 2], cause[1024];
    httpc_go_op(c->method, op, sizeof op);
    rpc_quote(quoted, sizeof quoted, c->url);
    if (c->state == HTTPC_TIMED_OUT)
        snprintf(cause, sizeof cause, "context deadline exceeded");
    else if (c->sink_failed)
        snprintf(cause, sizeof cause, "writing the answer: %s", strerror(errno));
    else if (c->state == HTTPC_TOO_BIG)
        snprintf(cause, sizeof cause, "answer larger than %zu bytes", c->max_body);
    else
        go_cause(c, cause, sizeof cause);
    free(c->error);
    if (asprintf(&c->error, "%s %s: %s", op, quoted, cause) < 0)
        c->error = NULL;
}

/* Records how a call ended. */
static void finish(httpc_call *c, CURLcode rc)
{
    c->result = rc;
    if (c->state == HTTPC_TOO_BIG) {
        /* the body callback said so */
    } else if (rc == CURLE_OK) {
        c->state = HTTPC_DONE;
        curl_easy_getinfo(c->h, CURLINFO_RESPONSE_CODE, &c->status);
        if (!*c->status_text)
            snprintf(c->status_text, sizeof c->status_text, "%ld %s", c->status, reason_of(c->status));
        return;
    } else if (rc == CURLE_OPERATION_TIMEDOUT) {
        c->state = HTTPC_TIMED_OUT;
    } else {
        c->state = HTTPC_FAILED;
    }
    c->status = 0;
    make_error(c);
}

httpc_state httpc_call_run(httpc_call *c)
{
    if (c->state != HTTPC_PENDING)
        return c->state;
    finish(c, curl_easy_perform(c->h));
    c->end_order = 1;
    return c->state;
}

int httpc_run_all(httpc_call **calls, size_t n, long timeout_ms)
{
    CURLM *m = curl_multi_init();
    if (!m)
        return -1;
    int64_t deadline = clock_mono_ms() + timeout_ms;
    unsigned order = 0;
    for (size_t i = 0; i < n; i++) {
        if (calls[i]->state != HTTPC_PENDING)
            continue;
        long t = calls[i]->timeout_ms > 0 && calls[i]->timeout_ms < timeout_ms ? calls[i]->timeout_ms : timeout_ms;
        curl_easy_setopt(calls[i]->h, CURLOPT_TIMEOUT_MS, t > 0 ? t : 1L);
        curl_multi_add_handle(m, calls[i]->h);
    }
    int running = 1, rc = 0;
    while (running > 0) {
        if (curl_multi_perform(m, &running) != CURLM_OK) {
            rc = -1;
            break;
        }
        CURLMsg *msg;
        int left;
        while ((msg = curl_multi_info_read(m, &left))) {
            if (msg->msg != CURLMSG_DONE)
                continue;
            httpc_call *c = NULL;
            curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&c);
            finish(c, msg->data.result);
            c->end_order = ++order;
        }
        long left_ms = (long)(deadline - clock_mono_ms());
        if (running == 0 || left_ms <= 0)
            break;
        if (curl_multi_poll(m, NULL, 0, left_ms < 100 ? (int)left_ms : 100, NULL) != CURLM_OK) {
            rc = -1;
            break;
        }
    }
    for (size_t i = 0; i < n; i++) {
        curl_multi_remove_handle(m, calls[i]->h);
        if (calls[i]->state == HTTPC_PENDING) {
            finish(calls[i], CURLE_OPERATION_TIMEDOUT);
            calls[i]->end_order = ++order;
        }
    }
    curl_multi_cleanup(m);
    return rc;
}

httpc_state httpc_state_of(const httpc_call *c)
{
    return c->state;
}

unsigned httpc_end_order(const httpc_call *c)
{
    return c->end_order;
}

long httpc_status(const httpc_call *c)
{
    return c->status;
}

const char *httpc_status_text(const httpc_call *c)
{
    return c->status_text;
}

const char *httpc_body(const httpc_call *c)
{
    return c->resp.data ? c->resp.data : "";
}

size_t httpc_body_len(const httpc_call *c)
{
    return c->resp.len;
}

const char *httpc_header(const httpc_call *c, const char *name)
{
    for (size_t i = c->n_headers; i-- > 0;)
        if (strcasecmp(c->headers[i].name, name) == 0)
            return c->headers[i].value;
    return NULL;
}

const char *httpc_method(const httpc_call *c)
{
    return c->method;
}

const char *httpc_url(const httpc_call *c)
{
    return c->url;
}

const char *httpc_error(const httpc_call *c)
{
    return c->error ? c->error : "";
}

int httpc_fetch(const httpc_request *req, httpc_response *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    httpc_call *c = httpc_call_new(req);
    if (!c) {
        snprintf(err, errlen, "cannot make a request for %s", req->url ? req->url : "");
        return -1;
    }
    int rc = -1;
    if (httpc_call_run(c) != HTTPC_DONE) {
        snprintf(err, errlen, "%s", httpc_error(c));
    } else if (!(out->body = malloc(httpc_body_len(c) + 1))) {
        snprintf(err, errlen, "out of memory");
    } else {
        out->len = httpc_body_len(c);
        memcpy(out->body, httpc_body(c), out->len + 1);
        out->status = httpc_status(c);
        rc = 0;
    }
    httpc_call_free(c);
    return rc;
}

void httpc_response_free(httpc_response *r)
{
    free(r->body);
    memset(r, 0, sizeof *r);
}
