/* fuzz_cron: backupd's cron parser (backupd/cron.h), which reads the
 * schedule of every ScheduleBackup/ChangeScheduledBackup request. Input:
 * the cron expression (up to the first NUL); the bytes after a NUL, if
 * any, move the start time. Whatever parses must give, from each of a few
 * start times, a next time strictly later that matches the expression as
 * robfig/cron does (second 0, month, hour, minute, and the day rule: both
 * day fields when either is * or ?, else either one), or 0 (none within
 * five years). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backupd/cron.h"
#include "tests/fuzz/fuzz.h"

#define STAR (1ULL << 63)

static int bit(uint64_t set, int v)
{
    return (int)((set >> v) & 1);
}

static void check_next(const cron_expr *e, int64_t t)
{
    int64_t n = cron_next(e, t);
    if (e->every_s) {
        FUZZ_CHECK(e->every_s > 0 && n == t + e->every_s);
        return;
    }
    if (n == 0)
        return;
    FUZZ_CHECK(n > t);
    time_t x = (time_t)n;
    struct tm tm;
    FUZZ_CHECK(gmtime_r(&x, &tm) != NULL);
    FUZZ_CHECK(tm.tm_sec == 0);
    FUZZ_CHECK(bit(e->minute, tm.tm_min) && bit(e->hour, tm.tm_hour) && bit(e->month, tm.tm_mon + 1));
    int dom = bit(e->dom, tm.tm_mday), dow = bit(e->dow, tm.tm_wday);
    if ((e->dom & STAR) || (e->dow & STAR))
        FUZZ_CHECK(dom && dow);
    else
        FUZZ_CHECK(dom || dow);
    /* nothing matches in between: the minute before n, if after t, does not */
    if (n - 60 > t)
        FUZZ_CHECK(cron_next(e, n - 61) == n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4096)
        return 0;
    char *spec = strndup((const char *)data, size);
    if (!spec)
        return 0;
    size_t len = strlen(spec);
    cron_expr e;
    char err[512];
    err[0] = '\0';
    if (cron_parse(spec, &e, err, sizeof err) == 0) {
        /* 2023-11-14, a leap day's eve (2024-02-28 23:59:30), the epoch */
        int64_t shift = 0;
        for (size_t i = len + 1; i < size && i < len + 5; i++)
            shift = shift << 8 | data[i];
        check_next(&e, 1700000000 + shift % (366 * 86400));
        check_next(&e, 1709164770);
        check_next(&e, 0);
    } else {
        FUZZ_CHECK(err[0] != '\0');
    }
    free(spec);
    return 0;
}
