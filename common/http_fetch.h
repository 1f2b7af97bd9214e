/* http_fetch: one HTTP request with libcurl and its whole answer in
 * memory, for the small JSON documents daemons read from other services
 * (Percona's version service, EC2 instance metadata). Blocking; safe from
 * any thread once curl_global_init has run. */
#ifndef PMM_HTTP_FETCH_H
#define PMM_HTTP_FETCH_H

#include <stddef.h>

typedef struct {
    const char *method;          /* NULL = GET; "PUT", "POST", ... */
    const char *url;
    const char *const *headers;  /* "Name: value" strings, NULL-terminated; or NULL */
    const char *body;            /* request body, or NULL for none */
    long timeout_ms;             /* the whole exchange */
    size_t max_body;             /* a larger answer is an error */
} http_request;

typedef struct {
    long status;                 /* the HTTP status, whatever it is */
    char *body;                  /* NUL-terminated, malloc'd */
    size_t len;
} http_response;

/* 0 with *out filled, or -1 with the reason in err (curl's words, or
 * "answer larger than N bytes"); *out is then empty. */
int http_fetch(const http_request *r, http_response *out, char *err, size_t errlen);
void http_response_free(http_response *r);

#endif
