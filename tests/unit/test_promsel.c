/* PromQL series selectors (common/promsel.c): PromQL's grammar and Go's
 * string escapes, what is refused and why; the fuzz target's seeds replayed
 * through it (tests/fuzz/run.sh fuzzes it: make fuzz, and briefly in make test);
 * the gateway's X-Proxy-Filter decoding and the rewriting of a query string
 * or form body into extra_filters[]. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "gateway/lbac.h"
#include "gateway/vmproxy.h"
#include "promsel.h"
#include "tests/fuzz/fuzz_promsel.c"
#include "tests/lib/checkrun.h"

static int parse(const char *s, promsel *p)
{
    char err[128];
    return promsel_parse(s, strlen(s), p, err, sizeof err);
}

START_TEST(accepts_and_unescapes)
{
    promsel p;
    ck_assert_int_eq(parse("{service_type=\"mysql\", environment=~'prod|stage',}", &p), 0);
    ck_assert_uint_eq(p.n, 2);
    ck_assert_str_eq(p.m[0].name, "service_type");
    ck_assert_int_eq(p.m[0].op, PROMSEL_EQ);
    ck_assert_str_eq(p.m[0].value, "mysql");
    ck_assert_str_eq(p.m[1].name, "environment");
    ck_assert_int_eq(p.m[1].op, PROMSEL_RE);
    ck_assert_str_eq(p.m[1].value, "prod|stage");
    promsel_free(&p);

    ck_assert_int_eq(parse("  node_cpu:rate5m { a != \"x\\\"y\\n\" , b!~`raw\\d` } ", &p), 0);
    ck_assert_uint_eq(p.n, 3);
    ck_assert_str_eq(p.m[0].name, "__name__");
    ck_assert_str_eq(p.m[0].value, "node_cpu:rate5m");
    ck_assert_int_eq(p.m[1].op, PROMSEL_NE);
    ck_assert_str_eq(p.m[1].value, "x\"y\n");
    ck_assert_int_eq(p.m[2].op, PROMSEL_NRE);
    ck_assert_str_eq(p.m[2].value, "raw\\d");
    promsel_free(&p);

    ck_assert_int_eq(parse("up", &p), 0);
    ck_assert_uint_eq(p.n, 1);
    promsel_free(&p);

    /* Go's escapes: \x, octal, \u, \U, and the quote of the string */
    ck_assert_int_eq(parse("{a=\"\\x41\\101\\u00e9\\U0001F600\", b='it\\'s'}", &p), 0);
    ck_assert_str_eq(p.m[0].value, "AA\xc3\xa9\xf0\x9f\x98\x80");
    ck_assert_str_eq(p.m[1].value, "it's");
    promsel_free(&p);
}
END_TEST

START_TEST(refuses)
{
    static const char *const bad[] = {
        "",                       /* nothing */
        "{}",                     /* no matcher */
        "{a=\"b\"",               /* unclosed */
        "{a=b}",                  /* unquoted value */
        "{a==\"b\"}",             /* comparison, not a matcher */
        "{a=\"b\"} or vector(1)", /* an expression, not a selector */
        "{1a=\"b\"}",             /* label name */
        "{a:b=\"c\"}",            /* ':' only in metric names */
        "{a=\"b\",,c=\"d\"}",     /* empty matcher */
        "{a=\"\\q\"}",            /* unknown escape */
        "{a=\"\\'\"}",            /* \' only in '...' */
        "{a='\\\"'}",             /* \" only in "..." */
        "{a=\"x\ny\"}",           /* newline in a quoted string */
        "{a=\"\\x0\"}",           /* short hex */
        "{a=\"\\400\"}",          /* octal > 255 */
        "{a=\"\\uD800\"}",        /* surrogate */
        "{a=\"\\000\"}",          /* NUL */
        "up{a=\"b\"}[5m]",        /* a range selector */
        "rate(up[5m])",
        "up offset 5m",
        "{a=\"b\"} {c=\"d\"}",
        "{a=\"b\" c=\"d\"}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        promsel p;
        char err[128] = "";
        ck_assert_msg(promsel_parse(bad[i], strlen(bad[i]), &p, err, sizeof err) == -1, "accepted: %s", bad[i]);
        ck_assert_msg(err[0] != '\0', "no reason for %s", bad[i]);
    }
    /* a NUL byte inside the input is not the end of it */
    promsel p;
    char err[128];
    ck_assert_int_eq(promsel_parse("{a=\"b\"}\0x", 9, &p, err, sizeof err), -1);
    ck_assert_int_eq(promsel_parse("{a=\"b\0\"}", 8, &p, err, sizeof err), -1);
    /* bounded */
    char *big = malloc(PROMSEL_MAX_INPUT + 2);
    memset(big, 'a', PROMSEL_MAX_INPUT + 1);
    big[PROMSEL_MAX_INPUT + 1] = '\0';
    ck_assert_int_eq(promsel_parse(big, strlen(big), &p, err, sizeof err), -1);
    free(big);
    char many[4096] = "{";
    for (int i = 0; i <= PROMSEL_MAX_MATCHERS; i++)
        snprintf(many + strlen(many), sizeof many - strlen(many), "a%d=\"x\",", i);
    strcat(many, "}");
    ck_assert_int_eq(promsel_parse(many, strlen(many), &p, err, sizeof err), -1);
    ck_assert_str_eq(err, "too many matchers at 510"); /* the 65th, whole */
}
END_TEST

static const char *const seeds[] = {
    "{service_type=\"mysql\"}", "up{job!~\"a|b\",}", "{a='\\x41',b=`\\n`}", "{a=\"\\U0001F600\\u00e9\\101\"}",
    "metric:name", "{", "{a=", "{a=\"", "{a=\"\\", "\"", "{a!~'x\\'y'}", "  {  a = \"b\" }  ",
};

START_TEST(fuzz_seeds)
{
    for (size_t i = 0; i < sizeof seeds / sizeof *seeds; i++)
        LLVMFuzzerTestOneInput((const uint8_t *)seeds[i], strlen(seeds[i]));
}
END_TEST

static char *b64(const char *s)
{
    size_t cap = sodium_base64_ENCODED_LEN(strlen(s), sodium_base64_VARIANT_ORIGINAL);
    char *o = malloc(cap);
    sodium_bin2base64(o, cap, (const unsigned char *)s, strlen(s), sodium_base64_VARIANT_ORIGINAL);
    return o;
}

START_TEST(proxy_filter_header)
{
    char **f;
    size_t n;
    char *h = b64("[\"{env=\\\"prod\\\"}\",\"up\"]");
    ck_assert_int_eq(lbac_decode(h, &f, &n), 0);
    ck_assert_uint_eq(n, 2);
    ck_assert_str_eq(f[0], "{env=\"prod\"}");
    ck_assert_str_eq(f[1], "up");
    lbac_filters_free(f, n);
    free(h);
    static const char *const bad[] = { "[]", "{}", "[1]", "[\"{a=\"]", "[\"ok\", null]", "not json" };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        h = b64(bad[i]);
        ck_assert_msg(lbac_decode(h, &f, &n) == -1, "accepted %s", bad[i]);
        free(h);
    }
    ck_assert_int_eq(lbac_decode("***", &f, &n), -1);
    ck_assert(lbac_path("/prometheus/api/v1/query"));
    ck_assert(lbac_path("/v1/qan/metrics"));
    ck_assert(lbac_path("/graph/api/ds/query"));
    ck_assert(!lbac_path("/prometheus/rules"));
    ck_assert(!lbac_path("/v1/server/version"));
}
END_TEST

START_TEST(form_rewrite)
{
    char *const filters[] = { "{env=\"prod\"}", "up" };
    const char *form = "query=up&extra_filters[]=x&extra_filters%5B%5D=y&extra%5ffilters=z&time=1&extra_label=a%3Db";
    char *o = vmproxy_rewrite_form(form, strlen(form), filters, 2);
    ck_assert_str_eq(o, "query=up&time=1&extra_label=a%3Db&extra_filters%5B%5D=%7Benv%3D%22prod%22%7D"
                        "&extra_filters%5B%5D=up");
    free(o);
    o = vmproxy_rewrite_form("", 0, filters, 1);
    ck_assert_str_eq(o, "extra_filters%5B%5D=%7Benv%3D%22prod%22%7D");
    free(o);
    o = vmproxy_rewrite_form("extra_filters=a&&x", 18, NULL, 0);
    ck_assert_str_eq(o, "x");
    free(o);
}
END_TEST

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    Suite *s = suite_create("promsel");
    TCase *tc = tcase_create("promsel");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, accepts_and_unescapes);
    tcase_add_test(tc, refuses);
    tcase_add_test(tc, fuzz_seeds);
    tcase_add_test(tc, proxy_filter_header);
    tcase_add_test(tc, form_rewrite);
    suite_add_tcase(s, tc);
    return check_run(s);
}
