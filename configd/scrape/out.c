/* out: buffer, YAML scalars and key order of the scrape file (see
 * out.h). The quoting follows yaml.v3: a string that would read
 * back as something else (null, bool, number, timestamp, YAML 1.1 bool or
 * base-60 number) is double-quoted; one the emitter cannot write plain
 * (indicators, ": ", " #", edge spaces) is single-quoted; control
 * characters force double quotes with escapes. */
#include "out.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sbuf_free(scrape_buf *b)
{
    free(b->data);
    memset(b, 0, sizeof *b);
}

void sbuf_reset(scrape_buf *b)
{
    b->len = 0;
    b->failed = false;
    if (b->data)
        b->data[0] = '\0';
}

static bool reserve(scrape_buf *b, size_t more)
{
    if (b->failed)
        return false;
    if (b->len + more + 1 <= b->cap)
        return true;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + more + 1)
        cap *= 2;
    char *d = realloc(b->data, cap);
    if (!d) {
        b->failed = true;
        return false;
    }
    b->data = d;
    b->cap = cap;
    return true;
}

void sbuf_reserve(scrape_buf *b, size_t more)
{
    reserve(b, more);
}

void sbuf_add(scrape_buf *b, const char *s, size_t n)
{
    if (!reserve(b, n))
        return;
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void sbuf_puts(scrape_buf *b, const char *s)
{
    sbuf_add(b, s, strlen(s));
}

void sbuf_printf(scrape_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || !reserve(b, (size_t)n))
        return;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void sbuf_indent(scrape_buf *b, int n)
{
    static const char spaces[] = "                                ";
    while (n > 0) {
        int k = n < 32 ? n : 32;
        sbuf_add(b, spaces, (size_t)k);
        n -= k;
    }
}

/* ---- what a plain scalar would resolve to -------------------------------- */

static bool in_list(const char *s, const char *const *list)
{
    for (; *list; list++)
        if (strcmp(s, *list) == 0)
            return true;
    return false;
}

static bool all_digits(const char *s, const char *set)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (!strchr(set, *s))
            return false;
    return true;
}

/* yaml.v3 resolve: ints (decimal, 0x, 0o, 0b, signs, '_' after a prefix)
 * and floats ([-+]?(.d+|d+(.d*)?)([eE][-+]?d+)?, .inf, .nan). */
static bool looks_numeric(const char *s)
{
    static const char *const special[] = { ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf",
                                           "-.Inf", "-.INF", ".nan", ".NaN", ".NAN", NULL };
    if (in_list(s, special))
        return true;
    const char *p = s;
    if (*p == '+' || *p == '-')
        p++;
    if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
        return all_digits(p + 2, "0123456789abcdefABCDEF_");
    if (p[0] == '0' && (p[1] == 'o' || p[1] == 'O'))
        return all_digits(p + 2, "01234567_");
    if (p[0] == '0' && (p[1] == 'b' || p[1] == 'B'))
        return all_digits(p + 2, "01_");
    size_t ip = strspn(p, "0123456789");
    const char *q = p + ip;
    size_t fp = 0;
    if (*q == '.') {
        fp = strspn(q + 1, "0123456789");
        if (!ip && !fp)
            return false;
        q += 1 + fp;
    } else if (!ip) {
        return false;
    }
    if (*q == 'e' || *q == 'E') {
        q++;
        if (*q == '+' || *q == '-')
            q++;
        size_t ep = strspn(q, "0123456789");
        if (!ep)
            return false;
        q += ep;
    }
    return *q == '\0';
}

/* yyyy-m-d, optionally followed by a time: the forms yaml.v3 reads as a
 * timestamp all start with a full date. */
static bool looks_timestamp(const char *s)
{
    if (strlen(s) < 8 || !isdigit((unsigned char)s[0]) || !isdigit((unsigned char)s[1]) ||
        !isdigit((unsigned char)s[2]) || !isdigit((unsigned char)s[3]) || s[4] != '-')
        return false;
    const char *p = s + 5;
    size_t m = strspn(p, "0123456789");
    if (m < 1 || m > 2 || p[m] != '-')
        return false;
    p += m + 1;
    size_t d = strspn(p, "0123456789");
    if (d < 1 || d > 2)
        return false;
    p += d;
    return *p == '\0' || *p == 'T' || *p == 't' || *p == ' ' || *p == '\t';
}

/* [-+]?[0-9][0-9_]*(:[0-5]?[0-9])+(\.[0-9_]*)? */
static bool looks_base60(const char *s)
{
    const char *p = s;
    if (*p == '+' || *p == '-')
        p++;
    if (!isdigit((unsigned char)*p))
        return false;
    p += strspn(p, "0123456789_");
    int groups = 0;
    while (*p == ':') {
        p++;
        size_t n = strspn(p, "0123456789");
        if (n < 1 || n > 2 || (n == 2 && p[0] > '5'))
            return false;
        p += n;
        groups++;
    }
    if (!groups)
        return false;
    if (*p == '.')
        p += 1 + strspn(p + 1, "0123456789_");
    return *p == '\0';
}

static bool resolves_to_other(const char *s)
{
    static const char *const words[] = { "", "~", "null", "Null", "NULL", "true", "True", "TRUE", "false",
                                         "False", "FALSE", "y", "Y", "yes", "Yes", "YES", "n", "N", "no",
                                         "No", "NO", "on", "On", "ON", "off", "Off", "OFF", "<<", NULL };
    /* Quick rejections first: nearly every value here is a name, an id or
     * an address, and this runs for every scalar of a 60 MB file. */
    unsigned char c = (unsigned char)s[0];
    if (strlen(s) <= 5 && (c == '\0' || strchr("~nNtTfFyYoO<", c)) && in_list(s, words))
        return true;
    if (!(isdigit(c) || c == '+' || c == '-' || c == '.'))
        return false;
    return looks_numeric(s) || looks_timestamp(s) || looks_base60(s);
}

/* ---- what the emitter can write plain ------------------------------------ */

static bool has_control(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return true;
    return false;
}

static bool blank(char c)
{
    return c == ' ' || c == '\t' || c == '\0';
}

/* libyaml's analysis for a block context. */
static bool plain_allowed(const char *s)
{
    size_t n = strlen(s);
    if (s[0] == ' ' || s[n - 1] == ' ')
        return false;
    if (strncmp(s, "---", 3) == 0 || strncmp(s, "...", 3) == 0)
        return false;
    if (strchr("#,[]{}&*!|>'\"%@`", s[0]))
        return false;
    if ((s[0] == '-' || s[0] == '?' || s[0] == ':') && blank(s[1]))
        return false;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == ':' && blank(s[i + 1]))
            return false;
        if (s[i] == '#' && i > 0 && s[i - 1] == ' ')
            return false;
    }
    return true;
}

static void double_quoted(scrape_buf *b, const char *s)
{
    sbuf_add(b, "\"", 1);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        switch (c) {
        case '"': sbuf_add(b, "\\\"", 2); break;
        case '\\': sbuf_add(b, "\\\\", 2); break;
        case '\n': sbuf_add(b, "\\n", 2); break;
        case '\t': sbuf_add(b, "\\t", 2); break;
        case '\r': sbuf_add(b, "\\r", 2); break;
        default:
            if (c < 0x20 || c == 0x7f)
                sbuf_printf(b, "\\x%02X", c);
            else
                sbuf_add(b, (const char *)&c, 1);
        }
    }
    sbuf_add(b, "\"", 1);
}

static void single_quoted(scrape_buf *b, const char *s)
{
    sbuf_add(b, "'", 1);
    for (const char *p; (p = strchr(s, '\'')) != NULL; s = p + 1) {
        sbuf_add(b, s, (size_t)(p - s));
        sbuf_add(b, "''", 2);
    }
    sbuf_puts(b, s);
    sbuf_add(b, "'", 1);
}

/* Letters, digits and "_./-", with ':' not last: plain in any block
 * context, unless it reads as something else. One pass, for the names,
 * ids, addresses and paths that make most of the file. */
static bool simple(const char *s)
{
    const char *p = s;
    for (; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (!(isalnum(c) || c == '_' || c == '.' || c == '/' || c == '-' || (c == ':' && p[1] != '\0')))
            return false;
    }
    return p != s && s[0] != ':' && !(s[0] == '-' && s[1] == '-' && s[2] == '-') &&
           !(s[0] == '.' && s[1] == '.' && s[2] == '.');
}

void sbuf_scalar(scrape_buf *b, const char *s)
{
    if (!s)
        s = "";
    if (simple(s) ? resolves_to_other(s) : has_control(s) || resolves_to_other(s))
        double_quoted(b, s);
    else if (simple(s) || plain_allowed(s))
        sbuf_puts(b, s);
    else
        single_quoted(b, s);
}

void sbuf_kv(scrape_buf *b, int indent, const char *key, const char *value)
{
    sbuf_indent(b, indent);
    sbuf_scalar(b, key);
    sbuf_add(b, ": ", 2);
    sbuf_scalar(b, value);
    sbuf_add(b, "\n", 1);
}

/* ---- key order ----------------------------------------------------------- */

int scrape_key_cmp(const char *a, const char *b)
{
    bool digits = false;
    size_t i = 0;
    for (; a[i] && b[i]; i++) {
        unsigned char ca = (unsigned char)a[i], cb = (unsigned char)b[i];
        if (ca == cb) {
            digits = isdigit(ca);
            continue;
        }
        bool al = isalpha(ca), bl = isalpha(cb);
        if (al && bl)
            return ca < cb ? -1 : 1;
        if (al || bl) {
            if (digits)
                return al ? -1 : 1;
            return bl ? -1 : 1;
        }
        long long an = 0, bn = 0;
        if (ca == '0' || cb == '0') {
            for (size_t j = i; j-- > 0 && isdigit((unsigned char)a[j]);) {
                if (a[j] != '0') {
                    an = bn = 1;
                    break;
                }
            }
        }
        size_t ai = i, bi = i;
        for (; isdigit((unsigned char)a[ai]); ai++)
            an = an * 10 + (a[ai] - '0');
        for (; isdigit((unsigned char)b[bi]); bi++)
            bn = bn * 10 + (b[bi] - '0');
        if (an != bn)
            return an < bn ? -1 : 1;
        if (ai != bi)
            return ai < bi ? -1 : 1;
        return ca < cb ? -1 : 1;
    }
    size_t la = strlen(a), lb = strlen(b);
    return la < lb ? -1 : la > lb ? 1 : 0;
}

/* ---- durations ----------------------------------------------------------- */

void scrape_duration(char *out, size_t outlen, int64_t ns)
{
    int64_t ms = ns / 1000000;
    static const struct {
        const char *unit;
        int64_t factor;
    } units[] = {
        { "y", 1000LL * 60 * 60 * 24 * 365 }, { "w", 1000LL * 60 * 60 * 24 * 7 }, { "d", 1000LL * 60 * 60 * 24 },
        { "h", 1000LL * 60 * 60 },            { "m", 1000LL * 60 },                { "s", 1000 },
    };
    if (ms == 0) {
        snprintf(out, outlen, "0s");
        return;
    }
    for (size_t i = 0; i < sizeof units / sizeof *units; i++) {
        if (ms % units[i].factor == 0) {
            snprintf(out, outlen, "%lld%s", (long long)(ms / units[i].factor), units[i].unit);
            return;
        }
    }
    snprintf(out, outlen, "%lldms", (long long)ms);
}

/* Fraction digits of v / unit without trailing zeros (".5"), or "". */
static void fraction(char *out, size_t outlen, int64_t v, int64_t unit)
{
    int64_t f = v % unit;
    if (!f) {
        out[0] = '\0';
        return;
    }
    /* f's digits, zero-padded to the unit's width (unit is 10^3, 10^6 or 10^9) */
    char digits[24];
    size_t n = 0;
    for (int64_t u = unit; u > 1 && n < sizeof digits - 1; u /= 10)
        digits[n++] = (char)('0' + f * 10 / u % 10);
    digits[n] = '\0';
    while (n > 0 && digits[n - 1] == '0')
        digits[--n] = '\0';
    if (outlen < n + 2) {
        out[0] = '\0';
        return;
    }
    out[0] = '.';
    memcpy(out + 1, digits, n + 1);
}

void scrape_go_duration(char *out, size_t outlen, int64_t ns)
{
    char frac[24];
    const char *sign = ns < 0 ? "-" : "";
    uint64_t u = ns < 0 ? (uint64_t)(-(ns + 1)) + 1 : (uint64_t)ns;
    int64_t v = (int64_t)u;
    if (v == 0) {
        snprintf(out, outlen, "0s");
    } else if (v < 1000) {
        snprintf(out, outlen, "%s%lldns", sign, (long long)v);
    } else if (v < 1000000) {
        fraction(frac, sizeof frac, v, 1000);
        snprintf(out, outlen, "%s%lld%sµs", sign, (long long)(v / 1000), frac);
    } else if (v < 1000000000) {
        fraction(frac, sizeof frac, v, 1000000);
        snprintf(out, outlen, "%s%lld%sms", sign, (long long)(v / 1000000), frac);
    } else {
        int64_t secs = v / 1000000000, h = secs / 3600, m = secs / 60 % 60, s = secs % 60;
        fraction(frac, sizeof frac, v, 1000000000);
        if (h)
            snprintf(out, outlen, "%s%lldh%lldm%lld%ss", sign, (long long)h, (long long)m, (long long)s, frac);
        else if (m)
            snprintf(out, outlen, "%s%lldm%lld%ss", sign, (long long)m, (long long)s, frac);
        else
            snprintf(out, outlen, "%s%lld%ss", sign, (long long)s, frac);
    }
}

int64_t scrape_timeout_ns(int64_t interval_ns)
{
    if (interval_ns <= 2000000000LL)
        return 1000000000LL;
    return (int64_t)((double)interval_ns * 0.9);
}
