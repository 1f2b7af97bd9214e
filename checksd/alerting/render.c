/* render: see render.h. */
#include "render.h"

#include <ctype.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>

#include "http/bytebuf.h"

void render_float(double v, char *out, size_t outlen)
{
    /* %v of a float64: the shortest text that reads back the same, in
     * exponent form below 1e-4 and from 1e21 up */
    double a = fabs(v);
    if (v == 0) {
        snprintf(out, outlen, "0");
        return;
    }
    if (a >= 1e-4 && a < 1e21 && v == floor(v)) {
        snprintf(out, outlen, "%.0f", v);
        return;
    }
    for (int p = 1; p <= 17; p++) {
        snprintf(out, outlen, a >= 1e-4 && a < 1e21 ? "%.*f" : "%.*e", p, v);
        if (strtod(out, NULL) == v)
            break;
    }
    if (a >= 1e-4 && a < 1e21) {
        /* %.*f gave fixed digits: drop trailing zeros */
        char *dot = strchr(out, '.');
        if (dot) {
            char *end = out + strlen(out);
            while (end > dot + 1 && end[-1] == '0')
                *--end = '\0';
        }
        return;
    }
    /* Go writes e+21, C e+21: the same; trim zeros in the mantissa */
    char *e = strchr(out, 'e');
    if (e) {
        char mant[64], *m = mant;
        snprintf(mant, sizeof mant, "%.*s", (int)(e - out), out);
        char *end = m + strlen(m);
        if (strchr(m, '.')) {
            while (end[-1] == '0')
                *--end = '\0';
            if (end[-1] == '.')
                *--end = '\0';
        }
        char exp[16];
        snprintf(exp, sizeof exp, "%s", e);
        snprintf(out, outlen, "%s%s", mant, exp);
    }
}

static int fail(char *err, size_t errlen, const char *text, size_t at, const char *msg)
{
    int line = 1;
    size_t col = 0;
    for (size_t i = 0; i < at; i++) {
        if (text[i] == '\n') {
            line++;
            col = 0;
        } else {
            col++;
        }
    }
    snprintf(err, errlen, "template: :%d:%zu: %s", line, col, msg);
    return -1;
}

char *render_params(const char *text, const char *const *keys, const char *const *values, size_t n, char *err,
                    size_t errlen)
{
    bytebuf out = { 0 };
    const char *p = text;
    while (*p) {
        const char *open = strstr(p, "[[");
        size_t lit = open ? (size_t)(open - p) : strlen(p);
        const char *val = NULL;
        const char *next = p + lit;
        if (open) {
            const char *close = strstr(open + 2, "]]");
            if (!close) {
                int line = 1;
                for (const char *q = text; q < open; q++)
                    line += *q == '\n';
                snprintf(err, errlen, "template: :%d: unclosed action", line);
                bytebuf_free(&out);
                return NULL;
            }
            const char *a = open + 2, *b = close;
            if (*a == '-' && isspace((unsigned char)a[1]))
                a += 2;
            if (b - a >= 2 && b[-1] == '-' && isspace((unsigned char)b[-2]))
                b -= 2;
            while (a < b && isspace((unsigned char)*a))
                a++;
            while (b > a && isspace((unsigned char)b[-1]))
                b--;
            size_t len_f = (size_t)(b - a);
            bool ok = len_f > 1 && *a == '.';
            for (size_t i = 1; ok && i < len_f; i++)
                ok = isalnum((unsigned char)a[i]) || a[i] == '_';
            if (!ok) {
                char msg[256];
                if (len_f == 0)
                    snprintf(msg, sizeof msg, "missing value for command");
                else
                    snprintf(msg, sizeof msg, "unexpected \"%.*s\" in command", (int)(len_f > 64 ? 64 : len_f), a);
                fail(err, errlen, text, (size_t)(a - text), msg);
                bytebuf_free(&out);
                return NULL;
            }
            for (size_t i = 0; i < n && !val; i++)
                if (strlen(keys[i]) == len_f - 1 && strncmp(keys[i], a + 1, len_f - 1) == 0)
                    val = values[i];
            if (!val) {
                char msg[512];
                snprintf(msg, sizeof msg, "executing \"\" at <%.*s>: map has no entry for key \"%.*s\"",
                         (int)len_f, a, (int)len_f - 1, a + 1);
                fail(err, errlen, text, (size_t)(a - text), msg);
                bytebuf_free(&out);
                return NULL;
            }
            next = close + 2;
        }
        if (bytebuf_append(&out, p, lit, SIZE_MAX / 2) != 0 ||
            (val && bytebuf_append(&out, val, strlen(val), SIZE_MAX / 2) != 0)) {
            snprintf(err, errlen, "out of memory");
            bytebuf_free(&out);
            return NULL;
        }
        p = next;
    }
    if (!out.data && bytebuf_append(&out, "", 0, 1) != 0)
        snprintf(err, errlen, "out of memory");
    return out.data;
}
