/* httpstub: a loopback HTTP/1.1 server on a thread for tests of outgoing
 * requests (httpc, aws, the cloud API clients): it binds 127.0.0.1 on a
 * port the kernel picks, reads each request (head and Content-Length
 * body), lets the test's function choose the answer, and closes the
 * connection. No test reaches the internet through it. */
#ifndef PMM_HTTPSTUB_H
#define PMM_HTTPSTUB_H

#include <stdbool.h>
#include <stddef.h>

typedef struct {
    char method[16];
    char target[4096];  /* path and query as sent */
    char head[16384];   /* every header line, "Name: value\r\n" each */
    char *body;         /* NUL-terminated */
    size_t body_len;
} httpstub_req;

typedef struct {
    int status;              /* 0: 200 */
    const char *reason;      /* NULL: "OK"-style default */
    const char *headers;     /* extra header lines, each ending "\r\n" */
    const char *body;        /* NULL: empty */
    size_t body_len;         /* 0: strlen(body) */
    bool silent;             /* answer nothing and hold the connection until the stub stops */
} httpstub_answer;

typedef void (*httpstub_fn)(void *ud, const httpstub_req *req, httpstub_answer *out);

typedef struct httpstub httpstub;

/* NULL when the socket or thread cannot be made. */
httpstub *httpstub_start(httpstub_fn fn, void *ud);
int httpstub_port(const httpstub *s);
/* Requests answered so far. */
int httpstub_count(httpstub *s);
/* A header's value in a request ("" when absent), copied into out. */
void httpstub_header(const httpstub_req *r, const char *name, char *out, size_t outlen);
void httpstub_stop(httpstub *s);

#endif
