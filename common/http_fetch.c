/* http_fetch: see http_fetch.h. */
#include "http_fetch.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

typedef struct {
    http_response *r;
    size_t cap, max;
    bool too_big, no_memory;
} sink;

static size_t collect(char *ptr, size_t size, size_t n, void *ud)
{
    sink *s = ud;
    size_t add = size * n;
    if (s->r->len + add > s->max) {
        s->too_big = true;
        return 0;
    }
    if (s->r->len + add + 1 > s->cap) {
        size_t cap = s->cap ? s->cap : 4096;
        while (cap < s->r->len + add + 1)
            cap *= 2;
        char *d = realloc(s->r->body, cap);
        if (!d) {
            s->no_memory = true;
            return 0;
        }
        s->r->body = d;
        s->cap = cap;
    }
    memcpy(s->r->body + s->r->len, ptr, add);
    s->r->len += add;
    s->r->body[s->r->len] = '\0';
    return add;
}

int http_fetch(const http_request *r, http_response *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    sink s = { .r = out, .max = r->max_body };
    CURL *c = curl_easy_init();
    struct curl_slist *hdrs = NULL;
    for (size_t i = 0; c && r->headers && r->headers[i]; i++) {
        struct curl_slist *h = curl_slist_append(hdrs, r->headers[i]);
        if (!h) {
            curl_easy_cleanup(c);
            c = NULL;
            break;
        }
        hdrs = h;
    }
    if (!c) {
        curl_slist_free_all(hdrs);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    curl_easy_setopt(c, CURLOPT_URL, r->url);
    if (r->method)
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, r->method);
    if (r->body)
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, r->body);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, r->timeout_ms);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &s);
    CURLcode rc = curl_easy_perform(c);
    if (rc == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
    curl_easy_cleanup(c);
    curl_slist_free_all(hdrs);
    if (rc == CURLE_OK && (out->body || (out->body = strdup(""))))
        return 0;
    if (s.too_big)
        snprintf(err, errlen, "answer larger than %zu bytes", r->max_body);
    else if (s.no_memory || rc == CURLE_OK)
        snprintf(err, errlen, "out of memory");
    else
        snprintf(err, errlen, "%s", curl_easy_strerror(rc));
    http_response_free(out);
    return -1;
}

void http_response_free(http_response *r)
{
    free(r->body);
    memset(r, 0, sizeof *r);
}
