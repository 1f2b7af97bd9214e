/* Unit tests of common/httpc against loopback listeners
 * (tests/lib/httpstub.h): answers with their status text, headers and
 * body; a refused connection, an unknown host, a listener that never
 * answers and an answer past the size limit told in Go's net/http words;
 * several calls at once under one deadline. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>


#include "http/httpc.h"
#include "tests/lib/checkrun.h"
#include "tests/lib/httpstub.h"
#include "tests/lib/vmtest.h"

static void answer(void *ud, const httpstub_req *r, httpstub_answer *a)
{
    (void)ud;
    static char body[8192];
    if (strcmp(r->target, "/silent") == 0) {
        a->silent = true;
        return;
    }
    if (strcmp(r->target, "/big") == 0) {
        static char big[300000];
        memset(big, 'x', sizeof big);
        a->body = big;
        a->body_len = sizeof big;
        return;
    }
    if (strcmp(r->target, "/missing") == 0) {
        a->status = 404;
        a->reason = "Not Found";
        a->headers = "X-Amzn-Requestid: first\r\nx-amzn-requestid: second\r\n";
        a->body = "<Error/>";
        return;
    }
    char ct[128];
    httpstub_header(r, "Content-Type", ct, sizeof ct);
    snprintf(body, sizeof body, "%s %s [%s] %s", r->method, r->target, ct, r->body);
    a->body = body;
}

static char *url_of(httpstub *s, const char *path)
{
    char *u = NULL;
    ck_assert_int_gt(asprintf(&u, "http://127.0.0.1:%d%s", httpstub_port(s), path), 0);
    return u;
}

START_TEST(answers)
{
    httpstub *s = httpstub_start(answer, NULL);
    char *u = url_of(s, "/echo?a=1");
    const char *h[] = { "Content-Type: application/json", NULL };
    httpc_request req = { .method = "POST", .url = u, .headers = h, .body = "{\"k\":1}", .body_len = 7, .timeout_ms = 5000 };
    httpc_call *c = httpc_call_new(&req);
    ck_assert_int_eq(httpc_call_run(c), HTTPC_DONE);
    ck_assert_int_eq(httpc_status(c), 200);
    ck_assert_str_eq(httpc_status_text(c), "200 OK");
    ck_assert_str_eq(httpc_body(c), "POST /echo?a=1 [application/json] {\"k\":1}");
    ck_assert_str_eq(httpc_error(c), "");
    httpc_call_free(c);
    free(u);

    u = url_of(s, "/missing");
    httpc_request get = { .method = "GET", .url = u, .timeout_ms = 5000 };
    c = httpc_call_new(&get);
    ck_assert_int_eq(httpc_call_run(c), HTTPC_DONE);
    ck_assert_int_eq(httpc_status(c), 404);
    ck_assert_str_eq(httpc_status_text(c), "404 Not Found");
    ck_assert_str_eq(httpc_header(c, "X-AMZN-REQUESTID"), "second");
    ck_assert_ptr_null(httpc_header(c, "X-Other"));
    ck_assert_str_eq(httpc_body(c), "<Error/>");
    httpc_call_free(c);
    free(u);

    /* a PUT with a body goes as PUT */
    u = url_of(s, "/put");
    httpc_request put = { .method = "PUT", .url = u, .body = "data", .body_len = 4, .timeout_ms = 5000 };
    c = httpc_call_new(&put);
    ck_assert_int_eq(httpc_call_run(c), HTTPC_DONE);
    ck_assert_str_eq(httpc_body(c), "PUT /put [application/x-www-form-urlencoded] data");
    httpc_call_free(c);
    free(u);
    httpstub_stop(s);
}
END_TEST

START_TEST(go_error_texts)
{
    char url[128], want[256];
    int port = vmtest_free_port();
    snprintf(url, sizeof url, "http://127.0.0.1:%d/", port);
    httpc_request req = { .method = "POST", .url = url, .timeout_ms = 5000 };
    httpc_call *c = httpc_call_new(&req);
    ck_assert_int_eq(httpc_call_run(c), HTTPC_FAILED);
    snprintf(want, sizeof want, "Post \"http://127.0.0.1:%d/\": dial tcp 127.0.0.1:%d: connect: connection refused", port,
             port);
    ck_assert_str_eq(httpc_error(c), want);
    ck_assert_int_eq(httpc_status(c), 0);
    httpc_call_free(c);

    /* .invalid never resolves (RFC 6761), so no lookup leaves the machine */
    httpc_request dns = { .method = "GET", .url = "http://no-such-host.invalid/x", .timeout_ms = 5000 };
    c = httpc_call_new(&dns);
    ck_assert_int_eq(httpc_call_run(c), HTTPC_FAILED);
    ck_assert_str_eq(httpc_error(c), "Get \"http://no-such-host.invalid/x\": dial tcp: lookup no-such-host.invalid: no such host");
    httpc_call_free(c);

    httpstub *s = httpstub_start(answer, NULL);
    char *u = url_of(s, "/silent");
    httpc_request slow = { .method = "GET", .url = u, .timeout_ms = 300 };
    c = httpc_call_new(&slow);
    ck_assert_int_eq(httpc_call_run(c), HTTPC_TIMED_OUT);
    snprintf(want, sizeof want, "Get \"%s\": context deadline exceeded", u);
    ck_assert_str_eq(httpc_error(c), want);
    httpc_call_free(c);
    free(u);

    u = url_of(s, "/big");
    httpc_request big = { .method = "GET", .url = u, .timeout_ms = 5000, .max_body = 100000 };
    c = httpc_call_new(&big);
    ck_assert_int_eq(httpc_call_run(c), HTTPC_TOO_BIG);
    snprintf(want, sizeof want, "Get \"%s\": answer larger than 100000 bytes", u);
    ck_assert_str_eq(httpc_error(c), want);
    httpc_call_free(c);
    free(u);
    httpstub_stop(s);

    c = httpc_call_new(&(httpc_request){ .method = "GET", .url = "ftp://127.0.0.1/x" });
    ck_assert_int_eq(httpc_call_run(c), HTTPC_FAILED);
    ck_assert_str_eq(httpc_error(c), "Get \"ftp://127.0.0.1/x\": unsupported protocol scheme \"ftp\"");
    httpc_call_free(c);
}
END_TEST

/* Many at once: the quick ones end, the silent one times out at the deadline. */
START_TEST(run_all)
{
    httpstub *s = httpstub_start(answer, NULL);
    httpc_call *calls[6];
    char *urls[6];
    for (int i = 0; i < 6; i++) {
        urls[i] = url_of(s, i == 2 ? "/silent" : "/echo");
        httpc_request r = { .method = "GET", .url = urls[i], .timeout_ms = 10000 };
        calls[i] = httpc_call_new(&r);
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    ck_assert_int_eq(httpc_run_all(calls, 6, 500), 0);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double took = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    ck_assert_msg(took >= 0.4 && took < 3, "took %.2f", took);
    for (int i = 0; i < 6; i++) {
        ck_assert_int_eq(httpc_state_of(calls[i]), i == 2 ? HTTPC_TIMED_OUT : HTTPC_DONE);
        ck_assert_uint_gt(httpc_end_order(calls[i]), 0);
    }
    ck_assert_uint_eq(httpc_end_order(calls[2]), 6); /* last to end */
    for (int i = 0; i < 6; i++) {
        httpc_call_free(calls[i]);
        free(urls[i]);
    }
    httpstub_stop(s);
}
END_TEST

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    Suite *s = suite_create("httpc");
    TCase *tc = tcase_create("httpc");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, answers);
    tcase_add_test(tc, go_error_texts);
    tcase_add_test(tc, run_all);
    suite_add_tcase(s, tc);
    int rc = check_run(s);
    curl_global_cleanup();
    return rc;
}
