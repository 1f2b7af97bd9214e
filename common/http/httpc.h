/* httpc: outgoing HTTP requests over libcurl for the daemons that call
 * other services' APIs (AWS, Azure; backupd's S3 later): one request and
 * its answer (status line, headers, body kept up to a limit), several run
 * at once under one deadline, and a transport failure told the way Go's
 * net/http tells it (`Post "https://host/": dial tcp 1.2.3.4:443: connect:
 * connection refused`), since upstream's error texts quote those. */
#ifndef PMM_HTTPC_H
#define PMM_HTTPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <curl/curl.h>

/* Answers larger than this are cut off and fail (HTTPC_TOO_BIG). */
#define HTTPC_BODY_MAX_DEFAULT (16u << 20)

typedef struct {
    const char *method;          /* "GET", "POST", ... */
    const char *url;
    const char *const *headers;  /* "Name: value", NULL-terminated; may be NULL */
    const char *body;            /* may be NULL */
    size_t body_len;
    long timeout_ms;             /* whole request; 0: none */
    size_t max_body;             /* 0: HTTPC_BODY_MAX_DEFAULT */
    FILE *sink;                  /* when set, a 2xx answer's body is written here instead of kept
                                    (large downloads: dumps), with no size limit; another
                                    status's body is kept as usual */
} httpc_request;

typedef enum {
    HTTPC_PENDING = 0,
    HTTPC_DONE,       /* an HTTP answer arrived (any status) */
    HTTPC_FAILED,     /* no answer: see httpc_error() */
    HTTPC_TIMED_OUT,  /* the deadline passed first */
    HTTPC_TOO_BIG,    /* the answer passed max_body */
} httpc_state;

typedef struct httpc_call httpc_call;

/* A request ready to run; NULL on ENOMEM or a bad URL. The request's
 * strings are copied. */
httpc_call *httpc_call_new(const httpc_request *req);
void httpc_call_free(httpc_call *c);

/* Adds a header before the call runs ("Name: value"). 0 or -1. */
int httpc_call_add_header(httpc_call *c, const char *header);
/* The libcurl handle, for options a protocol adds (aws.c's signing). */
CURL *httpc_call_curl(httpc_call *c);

/* Runs one call; returns its state. */
httpc_state httpc_call_run(httpc_call *c);
/* Runs the calls concurrently until each ends or until timeout_ms has
 * passed (those still running end HTTPC_TIMED_OUT). Calls already run are
 * left alone. Returns 0, or -1 when libcurl's multi interface fails. */
int httpc_run_all(httpc_call **calls, size_t n, long timeout_ms);

httpc_state httpc_state_of(const httpc_call *c);
/* The order calls ended in within httpc_run_all (1, 2, ...; 0: not run). */
unsigned httpc_end_order(const httpc_call *c);
long httpc_status(const httpc_call *c);             /* 200, 404, ...; 0 without an answer */
/* Go's resp.Status: "404 Not Found" (the server's reason phrase). */
const char *httpc_status_text(const httpc_call *c);
const char *httpc_body(const httpc_call *c);        /* NUL-terminated; "" without a body */
size_t httpc_body_len(const httpc_call *c);
/* The last value of a response header (case-insensitive name), or NULL. */
const char *httpc_header(const httpc_call *c, const char *name);
const char *httpc_method(const httpc_call *c);
const char *httpc_url(const httpc_call *c);

/* Go's *url.Error text of a call that got no answer:
 * `Post "URL": dial tcp 127.0.0.1:9: connect: connection refused`. */
const char *httpc_error(const httpc_call *c);

/* ---- one request, its answer in memory ------------------------------------- */

/* The simple case above in one call, for the small documents daemons read
 * from other services (Percona's version service, EC2 instance metadata). */
typedef struct {
    long status;  /* the HTTP status, whatever it is */
    char *body;   /* NUL-terminated, malloc'd */
    size_t len;
} httpc_response;

/* 0 with *out filled (any status), or -1 with Go's url.Error text in err
 * (httpc_error); *out is then empty. */
int httpc_fetch(const httpc_request *req, httpc_response *out, char *err, size_t errlen);
void httpc_response_free(httpc_response *r);

/* "Post", "Get", ...: the Op Go's url.Error names. */
void httpc_go_op(const char *method, char *out, size_t outlen);

#endif
