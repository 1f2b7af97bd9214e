/* test_cron: backupd's cron expressions (backupd/cron.c) as robfig/cron
 * v3's standard parser reads them for upstream's scheduler: fields, lists,
 * ranges, steps, names, descriptors and robfig's error texts; next times in
 * UTC at month, year and leap-day edges; and every next time of a set of
 * expressions checked against a minute-by-minute scan. */
#include <check.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "backupd/cron.h"
#include "tests/lib/checkrun.h"

/* "2024-01-01T00:00" (UTC) as Unix seconds. */
static int64_t T(const char *s)
{
    struct tm tm = { 0 };
    ck_assert_ptr_nonnull(strptime(s, "%Y-%m-%dT%H:%M", &tm));
    return (int64_t)timegm(&tm);
}

static cron_expr P(const char *spec)
{
    cron_expr e;
    char err[512];
    ck_assert_msg(cron_parse(spec, &e, err, sizeof err) == 0, "%s: %s", spec, err);
    return e;
}

static void next_is(const char *spec, const char *from, const char *want)
{
    cron_expr e = P(spec);
    int64_t got = cron_next(&e, T(from)), w = want ? T(want) : 0;
    ck_assert_msg(got == w, "%s from %s: got %lld, want %s (%lld)", spec, from, (long long)got, want ? want : "none",
                  (long long)w);
}

START_TEST(next_times)
{
    next_is("* * * * *", "2024-01-01T00:00", "2024-01-01T00:01");
    next_is("0 1 1 1 1", "2024-01-01T00:00", "2024-01-01T01:00"); /* upstream's test expression */
    next_is("0 1 1 1 1", "2024-01-01T01:00", "2024-01-08T01:00"); /* dom or dow: any Monday of January */
    next_is("0 1 1 1 1", "2024-01-29T01:00", "2025-01-01T01:00");
    next_is("*/15 * * * *", "2024-01-01T00:07", "2024-01-01T00:15");
    next_is("*/15 * * * *", "2024-01-01T00:45", "2024-01-01T01:00");
    next_is("5/20 * * * *", "2024-01-01T00:06", "2024-01-01T00:25");
    next_is("5/20 * * * *", "2024-01-01T00:45", "2024-01-01T01:05");
    next_is("10-20/5 3 * * *", "2024-01-01T03:16", "2024-01-01T03:20");
    next_is("10-20/5 3 * * *", "2024-01-01T03:20", "2024-01-02T03:10");
    next_is("0,30 9,17 * * *", "2024-01-01T09:30", "2024-01-01T17:00");
    next_is("0 12 * * mon-fri", "2024-01-06T00:00", "2024-01-08T12:00");
    next_is("0 0 * * SUN", "2024-01-01T00:00", "2024-01-07T00:00");
    next_is("0 0 1 jan,JUL *", "2024-01-01T00:00", "2024-07-01T00:00");
    next_is("0 0 * * *", "2024-02-28T12:00", "2024-02-29T00:00"); /* leap day */
    next_is("0 0 * * *", "2023-02-28T12:00", "2023-03-01T00:00");
    next_is("0 0 29 2 *", "2024-03-01T00:00", "2028-02-29T00:00");
    next_is("0 0 30 2 *", "2024-01-01T00:00", NULL); /* never: robfig gives up after five years */
    next_is("0 0 31 * *", "2024-04-01T00:00", "2024-05-31T00:00");
    next_is("59 23 31 12 *", "2024-12-31T23:59", "2025-12-31T23:59");
    next_is("0 0 1 * *", "2024-12-15T00:00", "2025-01-01T00:00");
    next_is("0 0 13 * 5", "2024-01-01T00:00", "2024-01-05T00:00"); /* the 13th or a Friday */
    next_is("0 0 */2 * *", "2024-01-01T00:00", "2024-01-03T00:00");
    next_is("0 0 ? * 1", "2024-01-01T00:00", "2024-01-08T00:00");
    next_is("@hourly", "2024-01-01T00:30", "2024-01-01T01:00");
    next_is("@daily", "2024-01-01T00:30", "2024-01-02T00:00");
    next_is("@midnight", "2024-01-01T00:30", "2024-01-02T00:00");
    next_is("@weekly", "2024-01-01T00:30", "2024-01-07T00:00");
    next_is("@monthly", "2024-01-01T00:30", "2024-02-01T00:00");
    next_is("@yearly", "2024-01-01T00:30", "2025-01-01T00:00");
    next_is("@annually", "2024-01-01T00:30", "2025-01-01T00:00");
    next_is("  0   1 * * *  ", "2024-01-01T00:00", "2024-01-01T01:00");
    next_is("TZ=UTC 0 1 * * *", "2024-01-01T00:00", "2024-01-01T01:00");
    next_is("CRON_TZ=Etc/UTC 0 1 * * *", "2024-01-01T00:00", "2024-01-01T01:00");
    /* seconds inside a minute: the next minute boundary, never the same minute */
    cron_expr e = P("* * * * *");
    ck_assert_int_eq(cron_next(&e, T("2024-01-01T00:00") + 59), T("2024-01-01T00:01"));
    e = P("@every 90s");
    ck_assert_int_eq(cron_next(&e, 1000), 1090);
    e = P("@every 1h30m");
    ck_assert_int_eq(cron_next(&e, 1000), 1000 + 5400);
}
END_TEST

static void error_is(const char *spec, const char *want)
{
    cron_expr e;
    char err[512] = "";
    ck_assert_msg(cron_parse(spec, &e, err, sizeof err) != 0, "%s parsed", spec);
    ck_assert_str_eq(err, want);
}

START_TEST(robfig_errors)
{
    error_is("", "empty spec string");
    error_is("   ", "empty spec string");
    error_is("0 1 1", "expected exactly 5 fields, found 3: [0 1 1]");
    error_is("0 1 1 1 1 1", "expected exactly 5 fields, found 6: [0 1 1 1 1 1]");
    error_is("60 * * * *", "end of range (60) above maximum (59): 60");
    error_is("* 24 * * *", "end of range (24) above maximum (23): 24");
    error_is("* * 0 * *", "beginning of range (0) below minimum (1): 0");
    error_is("* * 32 * *", "end of range (32) above maximum (31): 32");
    error_is("* * * 0 *", "beginning of range (0) below minimum (1): 0");
    error_is("* * * 13 *", "end of range (13) above maximum (12): 13");
    error_is("* * * * 7", "end of range (7) above maximum (6): 7");
    error_is("5-3 * * * *", "beginning of range (5) beyond end of range (3): 5-3");
    error_is("*/0 * * * *", "step of range should be a positive number: */0");
    error_is("1-2-3 * * * *", "too many hyphens: 1-2-3");
    error_is("*/2/3 * * * *", "too many slashes: */2/3");
    error_is("a * * * *", "failed to parse int from a: strconv.Atoi: parsing \"a\": invalid syntax");
    error_is("1,,2 * * * *", "failed to parse int from : strconv.Atoi: parsing \"\": invalid syntax");
    error_is("-1 * * * *", "failed to parse int from : strconv.Atoi: parsing \"\": invalid syntax");
    error_is("*/x * * * *", "failed to parse int from x: strconv.Atoi: parsing \"x\": invalid syntax");
    error_is("* * * foo *", "failed to parse int from foo: strconv.Atoi: parsing \"foo\": invalid syntax");
    error_is("* * * * 1-sun", "beginning of range (1) beyond end of range (0): 1-sun");
    error_is("@foo", "unrecognized descriptor: @foo");
    error_is("@every", "unrecognized descriptor: @every");
    error_is("@every 5x", "failed to parse duration @every 5x: time: invalid duration \"5x\"");
    error_is("TZ=Europe/Paris 0 1 * * *", "provided bad location Europe/Paris: unknown time zone Europe/Paris");
}
END_TEST

START_TEST(field_bits)
{
    cron_expr e = P("1,3-5,*/20 0 1 1 *");
    ck_assert_uint_eq(e.minute & ~(1ULL << 63), (1ULL << 0) | (1ULL << 1) | (1ULL << 3) | (1ULL << 4) | (1ULL << 5) |
                                                    (1ULL << 20) | (1ULL << 40));
    ck_assert(e.dow >> 63); /* '*' is remembered: day-of-month alone decides */
    e = P("* * * * *");
    ck_assert(e.minute >> 63);
    e = P("*/1 * * * *");
    ck_assert(e.minute >> 63); /* a step of 1 keeps the star */
    e = P("*/2 * * * *");
    ck_assert(!(e.minute >> 63));
}
END_TEST

/* robfig's matching, minute by minute. */
static int matches(const cron_expr *e, int64_t t)
{
    time_t x = (time_t)t;
    struct tm tm;
    gmtime_r(&x, &tm);
    int dom = (e->dom >> tm.tm_mday) & 1, dow = (e->dow >> tm.tm_wday) & 1;
    int day = ((e->dom >> 63) || (e->dow >> 63)) ? dom && dow : dom || dow;
    return ((e->minute >> tm.tm_min) & 1) && ((e->hour >> tm.tm_hour) & 1) && ((e->month >> (tm.tm_mon + 1)) & 1) &&
           day;
}

START_TEST(next_agrees_with_a_scan)
{
    static const char *const specs[] = {
        "* * * * *", "0 1 1 1 1", "*/7 */5 * * *", "30 2 * * 1-5", "0 0 1,15 * *", "15 14 1 * *",
        "0 22 * * 1-5", "23 0-20/2 * * *", "5 4 * * sun", "0 0,12 1 */2 *", "0 4 8-14 * *", "0 0 1 1 *",
        "59 23 * 2 *", "0 12 29 2 *", "0 9 * * 6,0", "10/25 1-3 * jun-aug mon",
    };
    static const char *const starts[] = { "2023-12-31T23:30", "2024-02-28T22:00", "2024-12-31T23:59",
                                          "2025-06-15T12:34", "2028-02-28T23:58" };
    for (size_t i = 0; i < sizeof specs / sizeof *specs; i++) {
        cron_expr e = P(specs[i]);
        for (size_t k = 0; k < sizeof starts / sizeof *starts; k++) {
            int64_t from = T(starts[k]), got = cron_next(&e, from), want = 0;
            for (int64_t t = from - from % 60 + 60; t < from + 4LL * 366 * 86400; t += 60)
                if (matches(&e, t)) {
                    want = t;
                    break;
                }
            ck_assert_msg(got == want, "%s from %s: got %lld, scan %lld", specs[i], starts[k], (long long)got,
                          (long long)want);
        }
    }
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("cron");
    TCase *tc = tcase_create("all");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, next_times);
    tcase_add_test(tc, robfig_errors);
    tcase_add_test(tc, field_bits);
    tcase_add_test(tc, next_agrees_with_a_scan);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return check_run(suite());
}
