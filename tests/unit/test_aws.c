/* Unit tests of common/aws: SigV4 signing (done by libcurl) against AWS's
 * published Signature Version 4 test suite (credentials AKIDEXAMPLE, time
 * 20150830T123600Z, us-east-1, service "service"), the Authorization
 * header captured by a loopback listener (tests/lib/httpstub.h) that the
 * test host example.amazonaws.com is connected to; the canonical query
 * that makes libcurl 7.88 sign a query as AWS does; credentials given or
 * found in the environment and the shared credentials file with the
 * SDK's texts; and error documents, well-formed, malformed and hostile. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "http/aws.h"
#include "tests/lib/checkrun.h"
#include "tests/lib/httpstub.h"

#define AKID "AKIDEXAMPLE"
#define SECRET "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define SCOPE "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "

static char last_auth[1024], last_target[4096];

static void capture(void *ud, const httpstub_req *r, httpstub_answer *a)
{
    (void)ud;
    httpstub_header(r, "Authorization", last_auth, sizeof last_auth);
    snprintf(last_target, sizeof last_target, "%s", r->target);
    a->status = 200;
}

/* Sends method path (with query) and body to example.amazonaws.com, signed,
 * and returns the Authorization header the listener saw. */
static const char *signed_auth(const char *method, const char *path, const char *query, const char *body)
{
    httpstub *s = httpstub_start(capture, NULL);
    ck_assert_ptr_nonnull(s);
    char url[512], connect_to[128];
    char *canon = query ? aws_canonical_query(query) : NULL;
    snprintf(url, sizeof url, "http://example.amazonaws.com%s%s%s", path, canon ? "?" : "", canon ? canon : "");
    free(canon);
    const char *form[] = { "Content-Type: application/x-www-form-urlencoded", NULL };
    httpc_request req = { .method = method, .url = url, .headers = body ? form : NULL, .body = body,
                          .body_len = body ? strlen(body) : 0, .timeout_ms = 5000 };
    httpc_call *c = httpc_call_new(&req);
    ck_assert_ptr_nonnull(c);
    aws_credentials cr = { 0 };
    char err[256];
    ck_assert_int_eq(aws_credentials_static(&cr, AKID, SECRET, err, sizeof err), 0);
    ck_assert_int_eq(aws_sign(c, &cr, "us-east-1", "service", "20150830T123600Z"), 0);
    snprintf(connect_to, sizeof connect_to, "example.amazonaws.com:80:127.0.0.1:%d", httpstub_port(s));
    struct curl_slist *ct = curl_slist_append(NULL, connect_to);
    curl_easy_setopt(httpc_call_curl(c), CURLOPT_CONNECT_TO, ct);
    last_auth[0] = '\0';
    ck_assert_int_eq(httpc_call_run(c), HTTPC_DONE);
    ck_assert_int_eq(httpc_status(c), 200);
    httpc_call_free(c);
    curl_slist_free_all(ct);
    aws_credentials_clear(&cr);
    httpstub_stop(s);
    return last_auth;
}

START_TEST(sigv4_test_suite)
{
    /* get-vanilla */
    ck_assert_str_eq(signed_auth("GET", "/", NULL, NULL),
                     SCOPE "SignedHeaders=host;x-amz-date, "
                           "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
    /* get-vanilla-query-order-key-case: only right once the query is canonical */
    ck_assert_str_eq(signed_auth("GET", "/", "Param2=value2&Param1=value1", NULL),
                     SCOPE "SignedHeaders=host;x-amz-date, "
                           "Signature=b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500");
    ck_assert_str_eq(last_target, "/?Param1=value1&Param2=value2");
    /* post-vanilla */
    ck_assert_str_eq(signed_auth("POST", "/", NULL, NULL),
                     SCOPE "SignedHeaders=host;x-amz-date, "
                           "Signature=5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b");
    /* post-vanilla-query */
    ck_assert_str_eq(signed_auth("POST", "/", "Param1=value1", NULL),
                     SCOPE "SignedHeaders=host;x-amz-date, "
                           "Signature=28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11");
    /* post-x-www-form-urlencoded */
    ck_assert_str_eq(signed_auth("POST", "/", NULL, "Param1=value1"),
                     SCOPE "SignedHeaders=content-type;host;x-amz-date, "
                           "Signature=ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a");
}
END_TEST

/* Without a pinned time libcurl signs with the current one. */
START_TEST(sigv4_current_time)
{
    httpstub *s = httpstub_start(capture, NULL);
    ck_assert_ptr_nonnull(s);
    char url[128], today[16];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/", httpstub_port(s));
    httpc_request req = { .method = "GET", .url = url, .timeout_ms = 5000 };
    httpc_call *c = httpc_call_new(&req);
    aws_credentials cr = { 0 };
    char err[64];
    ck_assert_int_eq(aws_credentials_static(&cr, AKID, SECRET, err, sizeof err), 0);
    ck_assert_int_eq(aws_sign(c, &cr, "eu-west-1", "rds", NULL), 0);
    time_t now = time(NULL);
    strftime(today, sizeof today, "%Y%m%d", gmtime(&now));
    ck_assert_int_eq(httpc_call_run(c), HTTPC_DONE);
    char want[128];
    snprintf(want, sizeof want, "Credential=AKIDEXAMPLE/%s/eu-west-1/rds/aws4_request", today);
    ck_assert_msg(strstr(last_auth, want), "%s", last_auth);
    ck_assert_ptr_null(strstr(last_auth, SECRET));
    httpc_call_free(c);
    aws_credentials_clear(&cr);
    httpstub_stop(s);
}
END_TEST

static void expect_canonical(const char *in, const char *want)
{
    char *got = aws_canonical_query(in);
    ck_assert_ptr_nonnull(got);
    ck_assert_str_eq(got, want);
    free(got);
}

START_TEST(canonical_query)
{
    expect_canonical("", "");
    expect_canonical("b=2&a=1", "a=1&b=2");
    expect_canonical("a=2&a=1&A=3", "A=3&a=1&a=2");
    expect_canonical("flag&x=", "flag=&x=");
    expect_canonical("k=a b/c~d", "k=a%20b%2Fc~d");
    expect_canonical("k=%2f%41%zz", "k=%2FA%25zz");
    expect_canonical("&&a=1&", "a=1");
    char *e = aws_uri_encode("Filters.Filter.1.Values.Value.1=aurora-mysql é");
    ck_assert_str_eq(e, "Filters.Filter.1.Values.Value.1%3Daurora-mysql%20%C3%A9");
    free(e);
}
END_TEST

START_TEST(static_and_default_credentials)
{
    aws_credentials c = { 0 };
    char err[4096];
    ck_assert_int_eq(aws_credentials_static(&c, "AKIA", "", err, sizeof err), -1);
    ck_assert_str_eq(err, "EmptyStaticCreds: static credentials are empty");
    ck_assert_int_eq(aws_credentials_static(&c, "", "s", err, sizeof err), -1);

    char dir[] = "/tmp/aws-creds-XXXXXX", file[256];
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(file, sizeof file, "%s/credentials", dir);
    unsetenv("AWS_ACCESS_KEY_ID"), unsetenv("AWS_ACCESS_KEY"), unsetenv("AWS_SECRET_ACCESS_KEY");
    unsetenv("AWS_SECRET_KEY"), unsetenv("AWS_SESSION_TOKEN"), unsetenv("AWS_PROFILE");
    setenv("AWS_SHARED_CREDENTIALS_FILE", file, 1);

    char want[1024];
    ck_assert_int_eq(aws_credentials_default(&c, err, sizeof err), -1);
    snprintf(want, sizeof want,
             "NoCredentialProviders: no valid providers in chain\n"
             "caused by: EnvAccessKeyNotFound: AWS_ACCESS_KEY_ID or AWS_ACCESS_KEY not found in environment\n"
             "SharedCredsLoad: failed to load shared credentials file\n"
             "caused by: FailedRead: unable to open file\n"
             "caused by: open %s: no such file or directory",
             file);
    ck_assert_str_eq(err, want);

    FILE *f = fopen(file, "w");
    fputs("# comment\n[default]\naws_access_key_id = AKIDFILE\naws_secret_access_key=file-secret\n\n"
          "[other]\n aws_access_key_id=AKIDOTHER \naws_secret_access_key = other-secret\naws_session_token=tok\n"
          "[broken]\naws_access_key_id=x\n",
          f);
    fclose(f);
    ck_assert_int_eq(aws_credentials_default(&c, err, sizeof err), 0);
    ck_assert_str_eq(c.key_id, "AKIDFILE");
    ck_assert_str_eq(c.secret, "file-secret");
    ck_assert_ptr_null(c.session_token);
    setenv("AWS_PROFILE", "other", 1);
    ck_assert_int_eq(aws_credentials_default(&c, err, sizeof err), 0);
    ck_assert_str_eq(c.key_id, "AKIDOTHER");
    ck_assert_str_eq(c.session_token, "tok");
    setenv("AWS_PROFILE", "broken", 1);
    ck_assert_int_eq(aws_credentials_default(&c, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "SharedCredsSecret: shared credentials broken in ") &&
                      strstr(err, "did not contain aws_secret_access_key"),
                  "%s", err);
    setenv("AWS_PROFILE", "missing", 1);
    ck_assert_int_eq(aws_credentials_default(&c, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "\nSharedCredsLoad: failed to get profile"), "%s", err);

    /* the environment comes first */
    setenv("AWS_ACCESS_KEY", "AKIDENV", 1);
    ck_assert_int_eq(aws_credentials_default(&c, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "EnvSecretNotFound: AWS_SECRET_ACCESS_KEY or AWS_SECRET_KEY not found in environment"),
                  "%s", err);
    setenv("AWS_SECRET_ACCESS_KEY", "env-secret", 1);
    ck_assert_int_eq(aws_credentials_default(&c, err, sizeof err), 0);
    ck_assert_str_eq(c.key_id, "AKIDENV");
    ck_assert_str_eq(c.secret, "env-secret");
    aws_credentials_clear(&c);
    unsetenv("AWS_ACCESS_KEY"), unsetenv("AWS_SECRET_ACCESS_KEY"), unsetenv("AWS_PROFILE");
    unsetenv("AWS_SHARED_CREDENTIALS_FILE");
    unlink(file);
    rmdir(dir);
}
END_TEST

static void parse_ok(const char *doc, const char *code, const char *message, const char *rid)
{
    aws_error e;
    char err[256];
    ck_assert_msg(aws_error_parse(doc, strlen(doc), &e, err, sizeof err) == 0, "%s", err);
    ck_assert_str_eq(e.code, code);
    ck_assert_str_eq(e.message, message);
    ck_assert_str_eq(e.request_id, rid);
}

static void parse_fails(const char *doc, size_t len, const char *why)
{
    aws_error e;
    char err[256] = "";
    ck_assert_int_eq(aws_error_parse(doc, len, &e, err, sizeof err), -1);
    ck_assert_msg(strstr(err, why), "%s", err);
}

START_TEST(error_documents)
{
    parse_ok("<ErrorResponse xmlns=\"http://rds.amazonaws.com/doc/2014-10-31/\">\n"
             "  <Error>\n    <Type>Sender</Type>\n    <Code>InvalidClientTokenId</Code>\n"
             "    <Message>The security token included in the request is invalid.</Message>\n  </Error>\n"
             "  <RequestId>5e0a4b0c-8f7e-4c4b-9e6e-0a1b2c3d4e5f</RequestId>\n</ErrorResponse>\n",
             "InvalidClientTokenId", "The security token included in the request is invalid.",
             "5e0a4b0c-8f7e-4c4b-9e6e-0a1b2c3d4e5f");
    parse_ok("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>NoSuchBucket</Code>"
             "<Message>The specified bucket does not exist</Message><BucketName>b</BucketName>"
             "<RequestId>TX1</RequestId><HostId>h</HostId></Error>",
             "NoSuchBucket", "The specified bucket does not exist", "TX1");
    parse_ok("<Response><Errors><Error><Code>AuthFailure</Code><Message>a &amp; b</Message></Error></Errors>"
             "<RequestID>r2</RequestID></Response>",
             "AuthFailure", "a & b", "r2");
    parse_ok("<Other><Thing>x</Thing></Other>", "", "", "");
    parse_fails("", 0, "EOF");
    parse_fails("<ErrorResponse><Error><Code>X</Error>", 36, "XML syntax error on line 1");
    parse_fails("not xml", 7, "XML syntax error");
    /* entity expansion bombs and external entities never get a DOCTYPE through */
    const char *bomb = "<?xml version=\"1.0\"?><!DOCTYPE l [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;\">]>"
                       "<Error><Code>&b;</Code></Error>";
    parse_fails(bomb, strlen(bomb), "DOCTYPE not allowed");
    const char *ext = "<!DOCTYPE e [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><Error><Code>&x;</Code></Error>";
    parse_fails(ext, strlen(ext), "DOCTYPE not allowed");
    /* nesting deeper than the walk allows */
    char deep[8192] = "";
    for (int i = 0; i < 100; i++)
        strcat(deep, "<a>");
    parse_fails(deep, strlen(deep), "nesting too deep");
    /* NUL bytes inside the document */
    parse_fails("<Error>\0</Error>", 16, "XML syntax error");
}
END_TEST

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    Suite *s = suite_create("aws");
    TCase *tc = tcase_create("aws");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, sigv4_test_suite);
    tcase_add_test(tc, sigv4_current_time);
    tcase_add_test(tc, canonical_query);
    tcase_add_test(tc, static_and_default_credentials);
    tcase_add_test(tc, error_documents);
    suite_add_tcase(s, tc);
    int rc = check_run(s);
    curl_global_cleanup();
    return rc;
}
