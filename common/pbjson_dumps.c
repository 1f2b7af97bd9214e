/* pbjson_dumps: JSON text as protojson writes it with Indent "  ":
 * two-space indentation, keys in insertion order, shortest round-trip
 * numbers in Go's layout (1, 0.1, 1e+21, 1e-7; never "1.0"), and only '"',
 * '\\' and control characters escaped. jansson's own dump cannot do the
 * number part (one fixed precision for all reals), hence this writer. */
#include "pbjson_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* jansson's parser stops at 2048 levels; objects built in code may be
 * deeper, and this writer recurses. */
#define DUMP_MAX_DEPTH 2048

typedef struct {
    char *p;
    size_t len, cap;
    bool failed;
} sbuf;

static void put(sbuf *b, const char *s, size_t n)
{
    if (b->failed)
        return;
    if (b->cap - b->len <= n) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap - b->len <= n) {
            if (cap > SIZE_MAX / 2) {
                b->failed = true;
                return;
            }
            cap *= 2;
        }
        char *p = realloc(b->p, cap);
        if (!p) {
            b->failed = true;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
}

static void put_str(sbuf *b, const char *s)
{
    put(b, s, strlen(s));
}

static void newline(sbuf *b, int level)
{
    static const char spaces[] = "                                ";
    put(b, "\n", 1);
    for (size_t n = (size_t)level * 2; n > 0;) {
        size_t k = n < sizeof spaces - 1 ? n : sizeof spaces - 1;
        put(b, spaces, k);
        n -= k;
    }
}

static void put_quoted(sbuf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    put(b, "\"", 1);
    size_t run = 0; /* start of the pending unescaped run */
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        put(b, s + run, i - run);
        run = i + 1;
        char esc[7] = {'\\', 0};
        size_t el = 2;
        switch (c) {
        case '"': esc[1] = '"'; break;
        case '\\': esc[1] = '\\'; break;
        case '\b': esc[1] = 'b'; break;
        case '\f': esc[1] = 'f'; break;
        case '\n': esc[1] = 'n'; break;
        case '\r': esc[1] = 'r'; break;
        case '\t': esc[1] = 't'; break;
        default:
            memcpy(esc + 1, "u00", 3);
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 15];
            el = 6;
        }
        put(b, esc, el);
    }
    put(b, s + run, n - run);
    put(b, "\"", 1);
}

static void dump(sbuf *b, const json_t *j, int level)
{
    char num[40];
    if (level > DUMP_MAX_DEPTH) {
        b->failed = true;
        return;
    }
    switch (json_typeof(j)) {
    case JSON_OBJECT: {
        if (json_object_size(j) == 0) {
            put(b, "{}", 2);
            return;
        }
        put(b, "{", 1);
        bool first = true;
        for (void *it = json_object_iter((json_t *)j); it && !b->failed;
             it = json_object_iter_next((json_t *)j, it)) {
            if (!first)
                put(b, ",", 1);
            first = false;
            newline(b, level + 1);
            put_quoted(b, json_object_iter_key(it), json_object_iter_key_len(it));
            put(b, ": ", 2);
            dump(b, json_object_iter_value(it), level + 1);
        }
        newline(b, level);
        put(b, "}", 1);
        return;
    }
    case JSON_ARRAY: {
        size_t n = json_array_size(j);
        if (n == 0) {
            put(b, "[]", 2);
            return;
        }
        put(b, "[", 1);
        for (size_t i = 0; i < n && !b->failed; i++) {
            if (i)
                put(b, ",", 1);
            newline(b, level + 1);
            dump(b, json_array_get(j, i), level + 1);
        }
        newline(b, level);
        put(b, "]", 1);
        return;
    }
    case JSON_STRING:
        put_quoted(b, json_string_value(j), json_string_length(j));
        return;
    case JSON_INTEGER:
        put(b, num, (size_t)snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT, json_integer_value(j)));
        return;
    case JSON_REAL:
        put(b, num, pbj_fmt_double(json_real_value(j), num));
        return;
    case JSON_TRUE:
        put_str(b, "true");
        return;
    case JSON_FALSE:
        put_str(b, "false");
        return;
    case JSON_NULL:
        put_str(b, "null");
        return;
    }
}

char *pbjson_dumps(const json_t *j)
{
    if (!j)
        return NULL;
    sbuf b = {0};
    dump(&b, j, 0);
    put(&b, "", 1); /* NUL terminator */
    if (b.failed) {
        free(b.p);
        return NULL;
    }
    return b.p;
}
