/* cron: robfig/cron v3's standard parser and Next in UTC (see cron.h). */
#include "cron.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define STAR_BIT (1ULL << 63)

typedef struct {
    int min, max;
    const char *const *names; /* index = value, NULL-terminated; may be NULL */
} bounds;

static const char *const month_names[] = { "", "jan", "feb", "mar", "apr", "may", "jun",
                                           "jul", "aug", "sep", "oct", "nov", "dec", NULL };
static const char *const dow_names[] = { "sun", "mon", "tue", "wed", "thu", "fri", "sat", NULL };

static const bounds B_MINUTE = { 0, 59, NULL }, B_HOUR = { 0, 23, NULL }, B_DOM = { 1, 31, NULL },
                    B_MONTH = { 1, 12, month_names }, B_DOW = { 0, 6, dow_names };

/* Go's strconv.Atoi on s (n bytes), with robfig's wrapping of its error. */
static int parse_int(const char *s, size_t n, int *out, char *err, size_t errlen)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%.*s", (int)n, s);
    const char *p = buf;
    if (*p == '+' || *p == '-')
        p++;
    bool ok = *p != '\0';
    for (const char *q = p; *q && ok; q++)
        ok = isdigit((unsigned char)*q);
    errno = 0;
    long v = ok ? strtol(buf, NULL, 10) : 0;
    if (!ok) {
        snprintf(err, errlen, "failed to parse int from %s: strconv.Atoi: parsing \"%s\": invalid syntax", buf, buf);
        return -1;
    }
    if (errno == ERANGE || v > INT_MAX || v < INT_MIN) {
        snprintf(err, errlen, "failed to parse int from %s: strconv.Atoi: parsing \"%s\": value out of range", buf, buf);
        return -1;
    }
    if (v < 0) {
        snprintf(err, errlen, "negative number (%ld) not allowed: %s", v, buf);
        return -1;
    }
    *out = (int)v;
    return 0;
}

/* A name of the field (case-insensitive) or a number. */
static int int_or_name(const char *s, size_t n, const bounds *b, int *out, char *err, size_t errlen)
{
    if (b->names)
        for (int i = 0; b->names[i]; i++)
            if (*b->names[i] && strlen(b->names[i]) == n && strncasecmp(b->names[i], s, n) == 0) {
                *out = i;
                return 0;
            }
    return parse_int(s, n, out, err, errlen);
}

static size_t count_char(const char *s, size_t n, char c)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += s[i] == c;
    return k;
}

/* One comma-separated part: number, range, star, with an optional step. */
static int get_range(const char *expr, size_t n, const bounds *b, uint64_t *bits, char *err, size_t errlen)
{
    char e[256];
    snprintf(e, sizeof e, "%.*s", (int)n, expr);
    const char *slash = memchr(expr, '/', n);
    size_t rn = slash ? (size_t)(slash - expr) : n;
    if (count_char(expr, n, '/') > 1) {
        snprintf(err, errlen, "too many slashes: %s", e);
        return -1;
    }
    if (count_char(expr, rn, '-') > 1) {
        snprintf(err, errlen, "too many hyphens: %s", e);
        return -1;
    }
    int start, end, step = 1;
    uint64_t extra = 0;
    const char *hy = memchr(expr, '-', rn);
    bool single = false;
    if ((rn == 1 && (expr[0] == '*' || expr[0] == '?'))) {
        start = b->min;
        end = b->max;
        extra = STAR_BIT;
    } else {
        size_t ln = hy ? (size_t)(hy - expr) : rn;
        if (int_or_name(expr, ln, b, &start, err, errlen) != 0)
            return -1;
        if (hy) {
            if (int_or_name(hy + 1, rn - ln - 1, b, &end, err, errlen) != 0)
                return -1;
        } else {
            end = start;
            single = true;
        }
    }
    if (slash) {
        if (parse_int(slash + 1, n - rn - 1, &step, err, errlen) != 0)
            return -1;
        if (single)
            end = b->max; /* "N/step" means "N-max/step" */
        if (step > 1)
            extra = 0;
    }
    if (start < b->min) {
        snprintf(err, errlen, "beginning of range (%d) below minimum (%d): %s", start, b->min, e);
        return -1;
    }
    if (end > b->max) {
        snprintf(err, errlen, "end of range (%d) above maximum (%d): %s", end, b->max, e);
        return -1;
    }
    if (start > end) {
        snprintf(err, errlen, "beginning of range (%d) beyond end of range (%d): %s", start, end, e);
        return -1;
    }
    if (step == 0) {
        snprintf(err, errlen, "step of range should be a positive number: %s", e);
        return -1;
    }
    for (int i = start; i <= end; i += step)
        *bits |= 1ULL << i;
    *bits |= extra;
    return 0;
}

static int get_field(const char *f, size_t n, const bounds *b, uint64_t *bits, char *err, size_t errlen)
{
    *bits = 0;
    size_t i = 0;
    while (i <= n) {
        size_t j = i;
        while (j < n && f[j] != ',')
            j++;
        if (get_range(f + i, j - i, b, bits, err, errlen) != 0)
            return -1;
        i = j + 1;
    }
    return 0;
}

/* Go's time.ParseDuration for what @every takes: a sequence of
 * <number><unit> with units ns us ms s m h; whole seconds are kept. */
static int parse_duration(const char *s, int64_t *secs)
{
    static const struct {
        const char *u;
        double mult;
    } units[] = { { "ns", 1e-9 }, { "us", 1e-6 }, { "µs", 1e-6 }, { "ms", 1e-3 }, { "s", 1 }, { "m", 60 }, { "h", 3600 } };
    if (strcmp(s, "0") == 0) {
        *secs = 0;
        return 0;
    }
    double total = 0;
    const char *p = s;
    if (!*p)
        return -1;
    while (*p) {
        char *end;
        if (!isdigit((unsigned char)*p) && *p != '.')
            return -1;
        double v = strtod(p, &end);
        if (end == p)
            return -1;
        p = end;
        size_t best = 0;
        double mult = 0;
        for (size_t i = 0; i < sizeof units / sizeof *units; i++) {
            size_t l = strlen(units[i].u);
            if (strncmp(p, units[i].u, l) == 0 && l > best && !(l == 1 && *p == 'm' && p[1] == 's'))
                best = l, mult = units[i].mult;
        }
        if (!best)
            return -1;
        total += v * mult;
        p += best;
    }
    *secs = (int64_t)total;
    return 0;
}

static int descriptor(const char *spec, cron_expr *e, char *err, size_t errlen)
{
    static const struct {
        const char *name;
        const char *fields;
    } d[] = { { "@yearly", "0 0 1 1 *" },  { "@annually", "0 0 1 1 *" }, { "@monthly", "0 0 1 * *" },
              { "@weekly", "0 0 * * 0" },  { "@daily", "0 0 * * *" },    { "@midnight", "0 0 * * *" },
              { "@hourly", "0 * * * *" } };
    for (size_t i = 0; i < sizeof d / sizeof *d; i++)
        if (strcmp(spec, d[i].name) == 0)
            return cron_parse(d[i].fields, e, err, errlen);
    if (strncmp(spec, "@every ", 7) == 0) {
        int64_t s;
        if (parse_duration(spec + 7, &s) != 0) {
            snprintf(err, errlen, "failed to parse duration %s: time: invalid duration \"%s\"", spec, spec + 7);
            return -1;
        }
        memset(e, 0, sizeof *e);
        /* robfig rounds the period down to whole seconds, at least one */
        e->every_s = s < 1 ? 1 : s;
        return 0;
    }
    snprintf(err, errlen, "unrecognized descriptor: %s", spec);
    return -1;
}

int cron_parse(const char *spec, cron_expr *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    char buf[1024];
    const char *s = spec ? spec : "";
    while (isspace((unsigned char)*s))
        s++;
    snprintf(buf, sizeof buf, "%s", s);
    size_t l = strlen(buf);
    while (l && isspace((unsigned char)buf[l - 1]))
        buf[--l] = '\0';
    if (!l) {
        snprintf(err, errlen, "empty spec string");
        return -1;
    }
    char *p = buf;
    /* a time zone prefix: only UTC is kept here, as the scheduler runs in UTC */
    if (strncmp(p, "TZ=", 3) == 0 || strncmp(p, "CRON_TZ=", 8) == 0) {
        char *sp = strchr(p, ' ');
        const char *tz = p + (p[0] == 'T' ? 3 : 8);
        if (!sp || (strncmp(tz, "UTC", 3) != 0 && strncmp(tz, "Etc/UTC", 7) != 0)) {
            snprintf(err, errlen, "provided bad location %.*s: unknown time zone %.*s", sp ? (int)(sp - tz) : (int)strlen(tz),
                     tz, sp ? (int)(sp - tz) : (int)strlen(tz), tz);
            return -1;
        }
        p = sp;
        while (*p == ' ')
            p++;
    }
    if (*p == '@')
        return descriptor(p, out, err, errlen);
    const char *f[8];
    size_t fl[8];
    int n = 0;
    for (char *q = p; *q;) {
        while (*q && isspace((unsigned char)*q))
            q++;
        if (!*q)
            break;
        char *start = q;
        while (*q && !isspace((unsigned char)*q))
            q++;
        if (n < 8) {
            f[n] = start;
            fl[n] = (size_t)(q - start);
        }
        n++;
    }
    if (n != 5) {
        /* Go prints the []string of the fields: [a b c] */
        char list[1024];
        size_t off = (size_t)snprintf(list, sizeof list, "[");
        for (int i = 0; i < n && i < 8 && off < sizeof list; i++)
            off += (size_t)snprintf(list + off, sizeof list - off, "%s%.*s", i ? " " : "", (int)fl[i], f[i]);
        if (off < sizeof list)
            snprintf(list + off, sizeof list - off, "]");
        snprintf(err, errlen, "expected exactly 5 fields, found %d: %s", n, list);
        return -1;
    }
    const bounds *b[5] = { &B_MINUTE, &B_HOUR, &B_DOM, &B_MONTH, &B_DOW };
    uint64_t *bits[5] = { &out->minute, &out->hour, &out->dom, &out->month, &out->dow };
    for (int i = 0; i < 5; i++)
        if (get_field(f[i], fl[i], b[i], bits[i], err, errlen) != 0)
            return -1;
    return 0;
}

static bool day_matches(const cron_expr *e, const struct tm *tm)
{
    bool dom = (e->dom >> tm->tm_mday) & 1, dow = (e->dow >> tm->tm_wday) & 1;
    if ((e->dom & STAR_BIT) || (e->dow & STAR_BIT))
        return dom && dow;
    return dom || dow;
}

int64_t cron_next(const cron_expr *e, int64_t t)
{
    if (e->every_s)
        return t + e->every_s; /* robfig: now + the period */
    /* from the start of the next minute */
    time_t x = (time_t)(t - (t % 60 + 60) % 60 + 60);
    int year_limit;
    struct tm tm;
    gmtime_r(&x, &tm);
    year_limit = tm.tm_year + 5;
    while (tm.tm_year <= year_limit) {
        if (!((e->month >> (tm.tm_mon + 1)) & 1)) {
            tm.tm_mon++;
            tm.tm_mday = 1;
            tm.tm_hour = tm.tm_min = 0;
        } else if (!day_matches(e, &tm)) {
            tm.tm_mday++;
            tm.tm_hour = tm.tm_min = 0;
        } else if (!((e->hour >> tm.tm_hour) & 1)) {
            tm.tm_hour++;
            tm.tm_min = 0;
        } else if (!((e->minute >> tm.tm_min) & 1)) {
            tm.tm_min++;
        } else {
            return (int64_t)timegm(&tm);
        }
        /* normalise (timegm folds overflowing fields) */
        tm.tm_sec = 0;
        x = timegm(&tm);
        gmtime_r(&x, &tm);
    }
    return 0;
}
