/* fmt: the text forms protojson uses for single values: shortest
 * floats in Go's layout, strict integer parsing, UTF-8 checks, base64,
 * RFC 3339 Timestamps and "1.5s" Durations. Pure functions, no JSON. */
#include "internal.h"
#include "utf8.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* ---- floating point ------------------------------------------------------ */

size_t pbj_fmt_double(double v, char *out)
{
    /* The first of 15, 16, 17 significant digits that reads back exactly is
     * the shortest form (every decimal of <= 15 digits survives a double
     * round trip, so %.15e already yields any shorter one, zero-padded). */
    char e[40];
    /* Subnormals carry fewer digits, so search those from one digit up. */
    int first = fabs(v) < DBL_MIN ? 1 : 15;
    for (int prec = first; prec <= 17; prec++) {
        snprintf(e, sizeof e, "%.*e", prec - 1, v);
        if (prec == 17 || strtod(e, NULL) == v)
            break;
    }
    /* e is "[-]d.ddddde[+-]xx": split into digits and decimal exponent. */
    const char *p = e;
    bool neg = (*p == '-');
    if (neg)
        p++;
    char dig[24];
    size_t nd = 0;
    for (; *p && *p != 'e'; p++)
        if (is_digit(*p) && nd < sizeof dig - 1)
            dig[nd++] = *p;
    int exp = (*p == 'e') ? atoi(p + 1) : 0;
    while (nd > 1 && dig[nd - 1] == '0')
        nd--;
    dig[nd] = '\0';

    size_t n = 0;
    if (neg)
        out[n++] = '-';
    double a = fabs(v);
    if (a != 0 && (a < 1e-6 || a >= 1e21)) {
        out[n++] = dig[0];
        if (nd > 1) {
            out[n++] = '.';
            memcpy(out + n, dig + 1, nd - 1);
            n += nd - 1;
        }
        /* Go: two-digit exponent, then "e-07" shortened to "e-7". */
        if (exp < 0)
            n += (size_t)sprintf(out + n, "e-%d", -exp);
        else
            n += (size_t)sprintf(out + n, "e+%02d", exp);
    } else if (exp >= 0) {
        for (int i = 0; i <= exp; i++)
            out[n++] = (size_t)i < nd ? dig[i] : '0';
        if (nd > (size_t)exp + 1) {
            out[n++] = '.';
            memcpy(out + n, dig + exp + 1, nd - (size_t)exp - 1);
            n += nd - (size_t)exp - 1;
        }
    } else {
        out[n++] = '0';
        out[n++] = '.';
        for (int i = 0; i < -exp - 1; i++)
            out[n++] = '0';
        memcpy(out + n, dig, nd);
        n += nd;
    }
    out[n] = '\0';
    return n;
}

double pbj_float_shortest(float f)
{
    if (!isfinite(f))
        return (double)f;
    char buf[40];
    for (int prec = fabsf(f) < FLT_MIN ? 1 : 6; prec <= 9; prec++) {
        snprintf(buf, sizeof buf, "%.*e", prec - 1, (double)f);
        if (strtof(buf, NULL) == f)
            return strtod(buf, NULL);
    }
    return (double)f;
}

/* ---- integers ------------------------------------------------------------ */

int pbj_parse_json_int(const char *s, size_t n, bool *neg, uint64_t *mag)
{
    size_t i = 0;
    *neg = false;
    *mag = 0;
    if (i < n && s[i] == '-') {
        *neg = true;
        i++;
    }
    if (i >= n)
        return -1;
    size_t int_start = i;
    if (s[i] == '0')
        i++;
    else if (is_digit(s[i]))
        while (i < n && is_digit(s[i]))
            i++;
    else
        return -1;
    size_t int_end = i, frac_start = i, frac_end = i;
    if (i < n && s[i] == '.') {
        frac_start = ++i;
        while (i < n && is_digit(s[i]))
            i++;
        frac_end = i;
        if (frac_end == frac_start)
            return -1;
    }
    long exp = 0;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        bool eneg = false;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            eneg = (s[i++] == '-');
        if (i >= n || !is_digit(s[i]))
            return -1;
        while (i < n && is_digit(s[i])) {
            if (exp < 1000000) /* saturate: anything this big overflows anyway */
                exp = exp * 10 + (s[i] - '0');
            i++;
        }
        if (eneg)
            exp = -exp;
    }
    if (i != n)
        return -1;

    /* Digits D (integer then fraction part); value = D * 10^e. */
    long nint = (long)(int_end - int_start), nfrac = (long)(frac_end - frac_start);
    long total = nint + nfrac;
    long e = exp - nfrac;
    long keep = e < 0 ? total + e : total; /* digits left of the point */
    uint64_t m = 0;
    for (long k = 0; k < total; k++) {
        char c = k < nint ? s[int_start + (size_t)k] : s[frac_start + (size_t)(k - nint)];
        unsigned d = (unsigned)(c - '0');
        if (k >= keep) {
            if (d != 0)
                return -1; /* a fractional part: not an integer */
            continue;
        }
        if (m > (UINT64_MAX - d) / 10)
            return -1;
        m = m * 10 + d;
    }
    if (e > 0 && m != 0) {
        for (long k = 0; k < e; k++) {
            if (m > UINT64_MAX / 10)
                return -1;
            m *= 10;
        }
    }
    *mag = m;
    return 0;
}

int pbj_mag_to_int(bool neg, uint64_t mag, int bits, int64_t *out)
{
    uint64_t max = ((uint64_t)1 << (bits - 1)) - 1;
    if (!neg) {
        if (mag > max)
            return -1;
        *out = (int64_t)mag;
        return 0;
    }
    if (mag > max + 1)
        return -1;
    /* 2^63 itself has no positive int64 form */
    *out = mag == ((uint64_t)1 << 63) ? INT64_MIN : -(int64_t)mag;
    return 0;
}

int pbj_mag_to_uint(bool neg, uint64_t mag, int bits, uint64_t *out)
{
    uint64_t max = bits == 64 ? UINT64_MAX : ((uint64_t)1 << bits) - 1;
    if ((neg && mag != 0) || mag > max)
        return -1;
    *out = mag;
    return 0;
}

static int parse_digits(const char *s, uint64_t *mag)
{
    uint64_t m = 0;
    if (!is_digit(*s))
        return -1;
    for (; *s; s++) {
        if (!is_digit(*s))
            return -1;
        unsigned d = (unsigned)(*s - '0');
        if (m > (UINT64_MAX - d) / 10)
            return -1;
        m = m * 10 + d;
    }
    *mag = m;
    return 0;
}

int pbj_parse_dec_int(const char *s, int bits, int64_t *out)
{
    bool neg = false;
    uint64_t mag;
    if (*s == '+' || *s == '-')
        neg = (*s++ == '-');
    if (parse_digits(s, &mag) != 0)
        return -1;
    return pbj_mag_to_int(neg, mag, bits, out);
}

int pbj_parse_dec_uint(const char *s, int bits, uint64_t *out)
{
    uint64_t mag;
    if (parse_digits(s, &mag) != 0)
        return -1;
    return pbj_mag_to_uint(false, mag, bits, out);
}

/* ---- UTF-8 --------------------------------------------------------------- */

/* Length of the valid UTF-8 sequence at s (1..4), or 0 if invalid. */
char *pbj_utf8_sanitize(const char *s, size_t n, size_t *outlen)
{
    const unsigned char *p = (const unsigned char *)s;
    if (n > (SIZE_MAX - 1) / 3)
        return NULL;
    char *out = malloc(n * 3 + 1);
    if (!out)
        return NULL;
    size_t o = 0, i = 0;
    while (i < n) {
        size_t l = utf8_seq_len(p + i, n - i);
        if (l) {
            memcpy(out + o, p + i, l);
            o += l;
            i += l;
        } else {
            memcpy(out + o, "\xEF\xBF\xBD", 3);
            o += 3;
            i++;
        }
    }
    out[o] = '\0';
    *outlen = o;
    return out;
}

/* ---- base64 -------------------------------------------------------------- */

static const char b64_std[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *pbj_base64_encode(const uint8_t *data, size_t len, size_t *outlen)
{
    if (len > (SIZE_MAX - 1) / 4 * 3 - 3)
        return NULL;
    size_t n = (len + 2) / 3 * 4;
    char *out = malloc(n + 1);
    if (!out)
        return NULL;
    size_t o = 0, i = 0;
    for (; i + 2 < len; i += 3) {
        uint32_t v = (uint32_t)data[i] << 16 | (uint32_t)data[i + 1] << 8 | data[i + 2];
        out[o++] = b64_std[v >> 18];
        out[o++] = b64_std[(v >> 12) & 63];
        out[o++] = b64_std[(v >> 6) & 63];
        out[o++] = b64_std[v & 63];
    }
    if (i < len) {
        uint32_t v = (uint32_t)data[i] << 16;
        if (i + 1 < len)
            v |= (uint32_t)data[i + 1] << 8;
        out[o++] = b64_std[v >> 18];
        out[o++] = b64_std[(v >> 12) & 63];
        out[o++] = i + 1 < len ? b64_std[(v >> 6) & 63] : '=';
        out[o++] = '=';
    }
    out[o] = '\0';
    if (outlen)
        *outlen = o;
    return out;
}

static int b64_val(char c, bool url)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == (url ? '-' : '+'))
        return 62;
    if (c == (url ? '_' : '/'))
        return 63;
    return -1;
}

int pbj_base64_decode(const char *s, size_t n, uint8_t **out, size_t *outlen)
{
    *out = NULL;
    *outlen = 0;
    /* Like protojson: URL alphabet if '-' or '_' appear; padding optional. */
    bool url = memchr(s, '-', n) || memchr(s, '_', n);
    size_t len = n;
    if (n % 4 == 0) {
        if (len && s[len - 1] == '=')
            len--;
        if (len && s[len - 1] == '=')
            len--;
    }
    if (len % 4 == 1)
        return -1;
    size_t cap = len / 4 * 3 + (len % 4 ? len % 4 - 1 : 0);
    if (cap == 0)
        return 0;
    uint8_t *buf = malloc(cap);
    if (!buf)
        return -1;
    size_t o = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < len; i++) {
        int v = b64_val(s[i], url);
        if (v < 0) {
            free(buf);
            return -1;
        }
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            buf[o++] = (uint8_t)(acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }
    *out = buf;
    *outlen = o;
    return 0;
}

/* ---- Timestamp and Duration ---------------------------------------------- */

#define TS_MIN_SEC (-62135596800LL) /* 0001-01-01T00:00:00Z */
#define TS_MAX_SEC 253402300799LL   /* 9999-12-31T23:59:59Z */
#define DUR_MAX_SEC 315576000000LL  /* 10000 years */

/* Days since 1970-01-01 <-> proleptic Gregorian date (H. Hinnant). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

/* ".500" / ".000500" / ".000000500": 0, 3, 6 or 9 digits as protojson. */
static size_t fmt_nanos(int32_t nanos, char *out)
{
    if (nanos == 0)
        return 0;
    if (nanos % 1000000 == 0)
        return (size_t)sprintf(out, ".%03d", nanos / 1000000);
    if (nanos % 1000 == 0)
        return (size_t)sprintf(out, ".%06d", nanos / 1000);
    return (size_t)sprintf(out, ".%09d", nanos);
}

int pbj_fmt_timestamp(int64_t sec, int32_t nanos, char *out)
{
    if (sec < TS_MIN_SEC || sec > TS_MAX_SEC || nanos < 0 || nanos > 999999999)
        return -1;
    int64_t days = sec / 86400, rem = sec % 86400;
    if (rem < 0) {
        rem += 86400;
        days--;
    }
    int64_t y;
    unsigned m, d;
    civil_from_days(days, &y, &m, &d);
    size_t n = (size_t)sprintf(out, "%04d-%02u-%02uT%02d:%02d:%02d", (int)y, m, d,
                               (int)(rem / 3600), (int)(rem / 60 % 60), (int)(rem % 60));
    n += fmt_nanos(nanos, out + n);
    out[n++] = 'Z';
    out[n] = '\0';
    return 0;
}

/* Reads exactly n digits at *p into *v. */
static bool take_digits(const char **p, int n, int *v)
{
    int r = 0;
    for (int i = 0; i < n; i++) {
        if (!is_digit((*p)[i]))
            return false;
        r = r * 10 + ((*p)[i] - '0');
    }
    *p += n;
    *v = r;
    return true;
}

static bool take_char(const char **p, char c)
{
    if (**p != c)
        return false;
    (*p)++;
    return true;
}

static unsigned days_in_month(int y, int m)
{
    static const unsigned dim[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : dim[m - 1];
}

int pbj_parse_timestamp(const char *s, int64_t *sec, int32_t *nanos)
{
    const char *p = s;
    int Y, M, D, h, mi, se;
    if (!take_digits(&p, 4, &Y) || !take_char(&p, '-') || !take_digits(&p, 2, &M) ||
        !take_char(&p, '-') || !take_digits(&p, 2, &D) || !take_char(&p, 'T') ||
        !take_digits(&p, 2, &h) || !take_char(&p, ':') || !take_digits(&p, 2, &mi) ||
        !take_char(&p, ':') || !take_digits(&p, 2, &se))
        return -1;
    if (M < 1 || M > 12 || D < 1 || (unsigned)D > days_in_month(Y, M) || h > 23 || mi > 59 ||
        se > 59)
        return -1;
    int32_t ns = 0;
    if (*p == '.') {
        p++;
        int nd = 0;
        while (is_digit(*p)) {
            if (nd == 9)
                return -1;
            ns = ns * 10 + (*p++ - '0');
            nd++;
        }
        if (nd == 0)
            return -1;
        for (; nd < 9; nd++)
            ns *= 10;
    }
    int64_t off = 0;
    if (*p == 'Z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int sign = *p++ == '-' ? -1 : 1, oh, om;
        if (!take_digits(&p, 2, &oh) || !take_char(&p, ':') || !take_digits(&p, 2, &om) ||
            oh > 23 || om > 59)
            return -1;
        off = sign * (oh * 3600 + om * 60);
    } else {
        return -1;
    }
    if (*p != '\0')
        return -1;
    int64_t t = days_from_civil(Y, (unsigned)M, (unsigned)D) * 86400 + h * 3600 + mi * 60 + se - off;
    if (t < TS_MIN_SEC || t > TS_MAX_SEC)
        return -2; /* well-formed, outside 0001..9999: protojson's "out of range" */
    *sec = t;
    *nanos = ns;
    return 0;
}

int pbj_fmt_duration(int64_t sec, int32_t nanos, char *out)
{
    if (sec < -DUR_MAX_SEC || sec > DUR_MAX_SEC || nanos < -999999999 || nanos > 999999999 ||
        (sec > 0 && nanos < 0) || (sec < 0 && nanos > 0))
        return -1;
    size_t n = 0;
    if (sec < 0 || nanos < 0) {
        out[n++] = '-';
        sec = -sec;
        nanos = -nanos;
    }
    n += (size_t)sprintf(out + n, "%lld", (long long)sec);
    n += fmt_nanos(nanos, out + n);
    out[n++] = 's';
    out[n] = '\0';
    return 0;
}

int pbj_parse_duration(const char *s, int64_t *sec, int32_t *nanos)
{
    size_t n = strlen(s);
    if (n < 2 || s[n - 1] != 's')
        return -1;
    const char *p = s, *end = s + n - 1;
    bool neg = false;
    if (*p == '-' || *p == '+')
        neg = (*p++ == '-');
    if (p == end)
        return -1;
    int64_t secs = 0;
    bool digits = false;
    if (*p == '0') {
        p++;
        digits = true;
    } else if (is_digit(*p)) {
        while (p < end && is_digit(*p)) {
            secs = secs * 10 + (*p++ - '0');
            if (secs > DUR_MAX_SEC)
                return -1;
        }
        digits = true;
    } else if (*p != '.') {
        return -1;
    }
    int32_t ns = 0;
    if (p < end) {
        if (*p++ != '.')
            return -1;
        int nd = 0;
        while (p < end && is_digit(*p)) {
            if (nd == 9)
                return -1;
            ns = ns * 10 + (*p++ - '0');
            nd++;
        }
        if (nd == 0)
            return -1;
        digits = true;
        for (; nd < 9; nd++)
            ns *= 10;
    }
    if (p != end || !digits)
        return -1;
    *sec = neg ? -secs : secs;
    *nanos = neg ? -ns : ns;
    return 0;
}

/* ---- Go's quoting (strconv.Quote), for error texts ---------------------- */

/* unicode.IsPrint, close enough for error texts: graphic characters and
 * the ASCII space; not control, format or other space characters. */
static bool go_is_print(unsigned r)
{
    if (r < 0x20 || r == 0x7F || (r >= 0x80 && r < 0xA1) || r == 0xAD)
        return false;
    if ((r >= 0x2000 && r <= 0x200F) || (r >= 0x2028 && r <= 0x202F) || (r >= 0x205F && r <= 0x206F) ||
        r == 0x3000 || r == 0xFEFF || (r >= 0xFFF9 && r <= 0xFFFB) || r == 0xFFFE || r == 0xFFFF ||
        r == 0x1680 || (r >= 0xE000 && r <= 0xF8FF))
        return false;
    return true;
}

/* One rune escaped as Go does inside quote character q; returns length. */
static size_t go_escape_rune(unsigned r, char q, char *o)
{
    if (r == (unsigned char)q || r == '\\')
        return (size_t)sprintf(o, "\\%c", (char)r);
    if (go_is_print(r)) {
        if (r < 0x80) {
            o[0] = (char)r;
            return 1;
        }
        if (r < 0x800) {
            o[0] = (char)(0xC0 | r >> 6), o[1] = (char)(0x80 | (r & 0x3F));
            return 2;
        }
        if (r < 0x10000) {
            o[0] = (char)(0xE0 | r >> 12), o[1] = (char)(0x80 | ((r >> 6) & 0x3F)), o[2] = (char)(0x80 | (r & 0x3F));
            return 3;
        }
        o[0] = (char)(0xF0 | r >> 18), o[1] = (char)(0x80 | ((r >> 12) & 0x3F));
        o[2] = (char)(0x80 | ((r >> 6) & 0x3F)), o[3] = (char)(0x80 | (r & 0x3F));
        return 4;
    }
    switch (r) {
    case '\a': return (size_t)sprintf(o, "\\a");
    case '\b': return (size_t)sprintf(o, "\\b");
    case '\f': return (size_t)sprintf(o, "\\f");
    case '\n': return (size_t)sprintf(o, "\\n");
    case '\r': return (size_t)sprintf(o, "\\r");
    case '\t': return (size_t)sprintf(o, "\\t");
    case '\v': return (size_t)sprintf(o, "\\v");
    }
    if (r < ' ' || r == 0x7F)
        return (size_t)sprintf(o, "\\x%02x", r);
    if (r < 0x10000)
        return (size_t)sprintf(o, "\\u%04x", r);
    return (size_t)sprintf(o, "\\U%08x", r);
}

static unsigned utf8_decode(const unsigned char *s, size_t k)
{
    if (k == 1)
        return s[0];
    if (k == 2)
        return (unsigned)(s[0] & 0x1F) << 6 | (s[1] & 0x3F);
    if (k == 3)
        return (unsigned)(s[0] & 0x0F) << 12 | (unsigned)(s[1] & 0x3F) << 6 | (s[2] & 0x3F);
    return (unsigned)(s[0] & 0x07) << 18 | (unsigned)(s[1] & 0x3F) << 12 | (unsigned)(s[2] & 0x3F) << 6 |
           (s[3] & 0x3F);
}

void pbj_go_quote(const char *s, size_t n, char *out, size_t outlen)
{
    size_t o = 0;
    if (outlen < 16) {
        if (outlen)
            out[0] = '\0';
        return;
    }
    out[o++] = '"';
    const unsigned char *u = (const unsigned char *)s;
    for (size_t i = 0; i < n;) {
        char tmp[16];
        size_t k = utf8_seq_len(u + i, n - i), w;
        if (!k) {
            w = (size_t)sprintf(tmp, "\\x%02x", u[i]);
            k = 1;
        } else {
            w = go_escape_rune(utf8_decode(u + i, k), '"', tmp);
        }
        if (o + w + 5 >= outlen) {
            memcpy(out + o, "...", 3);
            o += 3;
            break;
        }
        memcpy(out + o, tmp, w);
        o += w;
        i += k;
    }
    out[o++] = '"';
    out[o] = '\0';
}

void pbj_go_quote_rune(unsigned r, char *out, size_t outlen)
{
    char tmp[16];
    size_t w = go_escape_rune(r, '\'', tmp);
    snprintf(out, outlen, "'%.*s'", (int)w, tmp);
}

const char *pbj_kind_name(ProtobufCType t)
{
    switch (t) {
    case PROTOBUF_C_TYPE_INT32: return "int32";
    case PROTOBUF_C_TYPE_SINT32: return "sint32";
    case PROTOBUF_C_TYPE_SFIXED32: return "sfixed32";
    case PROTOBUF_C_TYPE_INT64: return "int64";
    case PROTOBUF_C_TYPE_SINT64: return "sint64";
    case PROTOBUF_C_TYPE_SFIXED64: return "sfixed64";
    case PROTOBUF_C_TYPE_UINT32: return "uint32";
    case PROTOBUF_C_TYPE_FIXED32: return "fixed32";
    case PROTOBUF_C_TYPE_UINT64: return "uint64";
    case PROTOBUF_C_TYPE_FIXED64: return "fixed64";
    case PROTOBUF_C_TYPE_FLOAT: return "float";
    case PROTOBUF_C_TYPE_DOUBLE: return "double";
    case PROTOBUF_C_TYPE_BOOL: return "bool";
    case PROTOBUF_C_TYPE_ENUM: return "enum";
    case PROTOBUF_C_TYPE_STRING: return "string";
    case PROTOBUF_C_TYPE_BYTES: return "bytes";
    case PROTOBUF_C_TYPE_MESSAGE: return "message";
    }
    return "unknown";
}
