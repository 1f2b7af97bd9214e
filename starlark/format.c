/* format: the printed forms of floats (Go's shortest %g, as str() shows
 * them), string interpolation (`"%s" % x`) and str.format, with
 * starlark-go's rules and error texts. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "internal.h"

/* The shortest decimal digits that read back as f (f finite, > 0):
 * digits[0..nd) and the decimal exponent dp (f = 0.d1d2... * 10^dp). */
static int shortest_digits(double f, char *digits, int *dp)
{
    *dp = 0;
    char tmp[40];
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(tmp, sizeof tmp, "%.*e", prec - 1, f);
        if (strtod(tmp, NULL) == f || prec == 17) {
            /* tmp: d.ddde[+-]XX */
            int nd = 0;
            const char *p = tmp;
            for (; *p && *p != 'e'; p++)
                if (*p >= '0' && *p <= '9')
                    digits[nd++] = *p;
            int e = atoi(p + 1);
            while (nd > 1 && digits[nd - 1] == '0')
                nd--;
            digits[nd] = 0;
            *dp = e + 1;
            return nd;
        }
    }
    return 0;
}

void sl_format_float(sl_buf *b, double f, char conv)
{
    if (isnan(f)) {
        sl_buf_puts(b, "nan");
        return;
    }
    if (isinf(f)) {
        sl_buf_puts(b, f > 0 ? "+inf" : "-inf");
        return;
    }
    if (conv == 'e' || conv == 'E' || conv == 'f' || conv == 'F') {
        char fmt[8] = {'%', '.', '6', conv == 'F' ? 'f' : conv, 0};
        sl_buf_printf(b, fmt, f);
        return;
    }
    /* %g with the shortest precision, as Go's FormatFloat(f, 'g', -1, 64),
     * then a ".0" so that the value reads as a float */
    size_t start = b->len;
    if (signbit(f)) {
        sl_buf_putc(b, '-');
        f = -f;
    }
    char digits[32];
    int nd, dp = 0;
    if (f == 0) {
        nd = 0;
        dp = 0;
        digits[0] = 0;
    } else {
        nd = shortest_digits(f, digits, &dp);
    }
    int exp = dp - 1;
    if (nd > 0 && (exp < -4 || exp >= 6)) {
        sl_buf_putc(b, digits[0]);
        if (nd > 1) {
            sl_buf_putc(b, '.');
            sl_buf_put(b, digits + 1, (size_t)nd - 1);
        }
        sl_buf_printf(b, "%c%c%02d", conv == 'G' ? 'E' : 'e', exp < 0 ? '-' : '+', exp < 0 ? -exp : exp);
        return;
    }
    /* fixed: integer part, then max(nd - dp, 0) decimals */
    if (dp <= 0) {
        sl_buf_putc(b, '0');
    } else {
        for (int i = 0; i < dp; i++)
            sl_buf_putc(b, i < nd ? digits[i] : '0');
    }
    int decimals = nd - dp > 0 ? nd - dp : 0;
    if (decimals > 0) {
        sl_buf_putc(b, '.');
        for (int i = 0; i < decimals; i++) {
            int k = dp + i;
            sl_buf_putc(b, k < 0 ? '0' : digits[k]);
        }
    }
    bool point = false;
    for (size_t i = start; i < b->len; i++)
        if (b->p[i] == '.')
            point = true;
    if (!point)
        sl_buf_puts(b, ".0");
}

/* ---- "..." % x ------------------------------------------------------------------------- */

/* int(x) for %d and friends, as NumberToInt */
static int number_to_int(sl_thread *t, sl_value v, int64_t *out)
{
    if (v.kind == SL_INT || v.kind == SL_BOOL) {
        if (v.kind == SL_BOOL) {
            sl_errorf(t, "cannot convert bool to int");
            return -1;
        }
        *out = v.u.i;
        return 0;
    }
    if (v.kind == SL_FLOAT) {
        if (isinf(v.u.f)) {
            sl_errorf(t, "cannot convert float infinity to integer");
            return -1;
        }
        if (isnan(v.u.f)) {
            sl_errorf(t, "cannot convert float NaN to integer");
            return -1;
        }
        if (v.u.f >= 9223372036854775808.0 || v.u.f < -9223372036854775808.0) {
            sl_errorf(t, "integer overflow");
            return -1;
        }
        *out = (int64_t)v.u.f;
        return 0;
    }
    sl_errorf(t, "cannot convert %s to int", sl_kind_name(v));
    return -1;
}

static void put_int_base(sl_buf *b, int64_t i, char conv)
{
    uint64_t u = i < 0 ? (uint64_t)0 - (uint64_t)i : (uint64_t)i;
    if (i < 0)
        sl_buf_putc(b, '-');
    const char *fmt = conv == 'o' ? "%llo" : conv == 'x' ? "%llx" : conv == 'X' ? "%llX" : "%llu";
    sl_buf_printf(b, fmt, (unsigned long long)u);
}

sl_value sl_interpolate(sl_thread *t, sl_value formatv, sl_value x)
{
    const char *f = SL_STR(formatv)->data;
    size_t n = SL_STR(formatv)->len, i = 0;
    sl_buf b = {0};
    int index = 0, nargs = 1;
    if (x.kind == SL_TUPLE)
        nargs = (int)SL_TUPLE_(x)->len;
    while (i < n) {
        const char *pct = memchr(f + i, '%', n - i);
        if (!pct) {
            sl_buf_put(&b, f + i, n - i);
            break;
        }
        sl_buf_put(&b, f + i, (size_t)(pct - (f + i)));
        i = (size_t)(pct - f) + 1;
        if (i < n && f[i] == '%') {
            sl_buf_putc(&b, '%');
            i++;
            continue;
        }
        sl_value arg;
        if (i < n && f[i] == '(') {
            i++;
            const char *close = memchr(f + i, ')', n - i);
            if (!close) {
                sl_buf_free(&b);
                return sl_errorf(t, "incomplete format key");
            }
            if (x.kind != SL_DICT) {
                sl_buf_free(&b);
                return sl_errorf(t, "format requires a mapping");
            }
            size_t klen = (size_t)(close - (f + i));
            sl_value key = sl_str_new(t, f + i, klen);
            if (sl_is_error(key)) {
                sl_buf_free(&b);
                return key;
            }
            int found = sl_ht_get(t, SL_DICT_(x), key, &arg);
            if (found <= 0) {
                sl_buf_free(&b);
                return sl_errorf(t, "key not found: %.*s", (int)klen, f + i);
            }
            i += klen + 1;
        } else {
            if (index >= nargs) {
                sl_buf_free(&b);
                return sl_errorf(t, "not enough arguments for format string");
            }
            arg = x.kind == SL_TUPLE ? SL_TUPLE_(x)->items[index] : x;
        }
        if (i >= n) {
            sl_buf_free(&b);
            return sl_errorf(t, "incomplete format");
        }
        char c = f[i];
        switch (c) {
        case 's':
        case 'r':
            sl_write_value(&b, arg, c == 'r');
            break;
        case 'd': case 'i': case 'o': case 'x': case 'X': {
            int64_t v;
            if (number_to_int(t, arg, &v) < 0) {
                sl_buf_free(&b);
                char msg[300];
                snprintf(msg, sizeof msg, "%s", t->err_msg ? t->err_msg : "");
                return sl_errorf(t, "%%%c format requires integer: %s", c, msg);
            }
            if (c == 'd' || c == 'i')
                sl_buf_int(&b, v);
            else
                put_int_base(&b, v, c);
            break;
        }
        case 'e': case 'f': case 'g': case 'E': case 'F': case 'G': {
            double v;
            if (arg.kind == SL_FLOAT)
                v = arg.u.f;
            else if (arg.kind == SL_INT)
                v = (double)arg.u.i;
            else {
                sl_buf_free(&b);
                return sl_errorf(t, "%%%c format requires float, not %s", c, sl_kind_name(arg));
            }
            sl_format_float(&b, v, c);
            break;
        }
        case 'c':
            if (arg.kind == SL_INT) {
                if (arg.u.i < 0 || arg.u.i > 0x10FFFF) {
                    sl_buf_free(&b);
                    return sl_errorf(t, "%%c format requires a valid Unicode code point, got %lld",
                                     (long long)arg.u.i);
                }
                sl_buf_rune(&b, (uint32_t)arg.u.i);
            } else if (arg.kind == SL_STRING) {
                sl_string *s = SL_STR(arg);
                int sz = 0;
                if (s->len > 0)
                    sl_utf8_decode(s->data, s->len, &sz);
                if (s->len == 0 || (size_t)sz != s->len) {
                    sl_buf_free(&b);
                    return sl_errorf(t, "%%c format requires a single-character string");
                }
                sl_buf_put(&b, s->data, s->len);
            } else {
                sl_buf_free(&b);
                return sl_errorf(t, "%%c format requires int or single-character string, not %s", sl_kind_name(arg));
            }
            break;
        default:
            sl_buf_free(&b);
            if ((unsigned char)c < 0x80)
                return sl_errorf(t, "unknown conversion %%%c", c);
            return sl_errorf(t, "unknown conversion %%%.*s", 1, f + i);
        }
        i++;
        index++;
    }
    if (index < nargs && x.kind != SL_DICT) {
        sl_buf_free(&b);
        return sl_errorf(t, "too many arguments for format string");
    }
    return sl_buf_finish(t, &b);
}

/* ---- "...".format(...) -------------------------------------------------------------------- */

static bool decimal(const char *s, size_t n, int64_t *out)
{
    int64_t x = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        x = x * 10 + (s[i] - '0');
        if (x > INT32_MAX)
            return false;
    }
    *out = x;
    return true;
}

sl_value sl_str_format(sl_thread *t, const sl_callinfo *c)
{
    const char *f = SL_STR(c->self)->data;
    size_t n = SL_STR(c->self)->len, i = 0;
    bool automatic = false, manual = false;
    int64_t index = 0;
    sl_buf b = {0};
#define FAIL(...)                                                                                                      \
    do {                                                                                                               \
        sl_buf_free(&b);                                                                                               \
        return sl_errorf(t, __VA_ARGS__);                                                                              \
    } while (0)
    while (i <= n) {
        /* literal text up to '{', with "}}" -> "}" */
        const char *open = i < n ? memchr(f + i, '{', n - i) : NULL;
        size_t litend = open ? (size_t)(open - f) : n;
        while (i < litend) {
            const char *close = memchr(f + i, '}', litend - i);
            if (!close) {
                sl_buf_put(&b, f + i, litend - i);
                i = litend;
                break;
            }
            size_t j = (size_t)(close - f);
            if (j + 1 >= litend || f[j + 1] != '}')
                FAIL("format: single '}' in format");
            sl_buf_put(&b, f + i, j + 1 - i);
            i = j + 2;
        }
        if (!open)
            break;
        i = litend + 1;
        if (i < n && f[i] == '{') {
            sl_buf_putc(&b, '{');
            i++;
            continue;
        }
        const char *close = i < n ? memchr(f + i, '}', n - i) : NULL;
        if (!close)
            FAIL("format: unmatched '{' in format");
        const char *field = f + i;
        size_t flen = (size_t)(close - field);
        i = (size_t)(close - f) + 1;

        const char *name = field, *conv = "s", *spec = "";
        size_t nlen = flen, convlen = 1, speclen = 0;
        const char *bang = memchr(field, '!', flen);
        if (!bang) {
            const char *colon = memchr(field, ':', flen);
            if (colon) {
                nlen = (size_t)(colon - field);
                spec = colon + 1;
                speclen = flen - nlen - 1;
            }
        } else {
            nlen = (size_t)(bang - field);
            conv = bang + 1;
            convlen = flen - nlen - 1;
            const char *colon = memchr(conv, ':', convlen);
            if (colon) {
                spec = colon + 1;
                speclen = convlen - (size_t)(colon - conv) - 1;
                convlen = (size_t)(colon - conv);
            }
        }
        sl_value arg = SL_ERR;
        int64_t num;
        if (nlen == 0) {
            if (manual)
                FAIL("format: cannot switch from manual field specification to automatic field numbering");
            automatic = true;
            if (index >= c->nargs)
                FAIL("format: tuple index out of range");
            arg = c->args[index++];
        } else if (decimal(name, nlen, &num)) {
            if (automatic)
                FAIL("format: cannot switch from automatic field numbering to manual field specification");
            manual = true;
            if (num >= c->nargs)
                FAIL("format: tuple index out of range");
            arg = c->args[num];
        } else {
            for (int k = 0; k < c->nkw; k++) {
                sl_string *kn = SL_STR(c->kw[2 * k]);
                if (kn->len == nlen && memcmp(kn->data, name, nlen) == 0) {
                    arg = c->kw[2 * k + 1];
                    break;
                }
            }
            if (arg.kind == SL_INVALID) {
                if (memchr(name, '.', nlen))
                    FAIL("format: attribute syntax x.y is not supported in replacement fields: %.*s", (int)nlen, name);
                if (memchr(name, '[', nlen))
                    FAIL("format: element syntax a[i] is not supported in replacement fields: %.*s", (int)nlen, name);
                if (memchr(name, '{', nlen))
                    FAIL("format: nested replacement fields not supported");
                FAIL("format: keyword %.*s not found", (int)nlen, name);
            }
        }
        if (speclen > 0)
            FAIL("format spec features not supported in replacement fields: %.*s", (int)speclen, spec);
        if (convlen == 1 && conv[0] == 's') {
            sl_write_value(&b, arg, false);
        } else if (convlen == 1 && conv[0] == 'r') {
            sl_write_value(&b, arg, true);
        } else {
            sl_buf q = {0};
            sl_quote(&q, conv, convlen);
            sl_value e = sl_errorf(t, "format: unknown conversion %s", q.p ? q.p : "\"\"");
            sl_buf_free(&q);
            sl_buf_free(&b);
            return e;
        }
    }
#undef FAIL
    return sl_buf_finish(t, &b);
}
