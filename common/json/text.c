/* text: the JSON text writer the protobuf encoder (pbjson.c) and
 * the jansson dumper (dumps.c) both print with, so PMM's layout
 * (two-space indentation, Go's number forms, minimal escaping) is written
 * in one place. Appends to one growing buffer; large lists are tens of
 * megabytes, so the hot paths avoid stdio and per-call allocations. */
#include "internal.h"
#include "utf8.h"

#include <stdlib.h>
#include <string.h>

/* Makes room for n more bytes; false (and failed) when it cannot. */
static bool reserve(pbj_buf *b, size_t n)
{
    if (b->failed)
        return false;
    if (b->cap - b->len > n)
        return true;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap - b->len <= n) {
        if (cap > SIZE_MAX / 2) {
            b->failed = true;
            return false;
        }
        cap *= 2;
    }
    char *p = realloc(b->p, cap);
    if (!p) {
        b->failed = true;
        return false;
    }
    b->p = p;
    b->cap = cap;
    return true;
}

void pbj_put_slow(pbj_buf *b, const char *s, size_t n)
{
    if (!reserve(b, n))
        return;
    memcpy(b->p + b->len, s, n);
    b->len += n;
}

void pbj_put_str(pbj_buf *b, const char *s)
{
    pbj_put(b, s, strlen(s));
}

static void newline(pbj_buf *b, int level)
{
    static const char indent[] = "\n                                                                ";
    size_t n = (size_t)level * 2;
    if (n < sizeof indent - 1) {
        pbj_put(b, indent, n + 1);
        return;
    }
    pbj_put(b, "\n", 1);
    while (n > 0) {
        size_t k = n < sizeof indent - 2 ? n : sizeof indent - 2;
        pbj_put(b, indent + 1, k);
        n -= k;
    }
}

static inline bool needs_escape(unsigned char c)
{
    return c < 0x20 || c == '"' || c == '\\';
}

static void put_escape(pbj_buf *b, unsigned char c)
{
    static const char hex[] = "0123456789abcdef";
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
    pbj_put(b, esc, el);
}

void pbj_put_quoted(pbj_buf *b, const char *s, size_t n)
{
    pbj_put(b, "\"", 1);
    size_t run = 0; /* start of the pending unescaped run */
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!needs_escape(c))
            continue;
        pbj_put(b, s + run, i - run);
        run = i + 1;
        put_escape(b, c);
    }
    pbj_put(b, s + run, n - run);
    pbj_put(b, "\"", 1);
}

void pbj_put_string(pbj_buf *b, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    pbj_put(b, "\"", 1);
    size_t run = 0, i = 0; /* run: start of the pending verbatim bytes */
    while (p[i]) {
        unsigned char c = p[i];
        if (c < 0x80 && !needs_escape(c)) {
            i++;
            continue;
        }
        size_t l = c < 0x80 ? 0 : utf8_seq_len(p + i, strnlen(s + i, 4));
        if (l) { /* a valid multi-byte sequence goes out as it is */
            i += l;
            continue;
        }
        pbj_put(b, s + run, i - run);
        if (c < 0x80)
            put_escape(b, c);
        else
            pbj_put(b, "\xEF\xBF\xBD", 3); /* U+FFFD for each byte that is not UTF-8 */
        run = ++i;
    }
    pbj_put(b, s + run, i - run);
    pbj_put(b, "\"", 1);
}

void pbj_put_uint(pbj_buf *b, uint64_t v)
{
    char buf[24];
    size_t i = sizeof buf;
    do {
        buf[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    pbj_put(b, buf + i, sizeof buf - i);
}

void pbj_put_int(pbj_buf *b, int64_t v)
{
    if (v < 0) {
        pbj_put(b, "-", 1);
        pbj_put_uint(b, (uint64_t)0 - (uint64_t)v);
        return;
    }
    pbj_put_uint(b, (uint64_t)v);
}

void pbj_put_double(pbj_buf *b, double v)
{
    char num[40];
    pbj_put(b, num, pbj_fmt_double(v, num));
}

void pbj_next(pbj_buf *b, int level, bool *first)
{
    if (!*first)
        pbj_put(b, ",", 1);
    *first = false;
    newline(b, level + 1);
}

void pbj_key(pbj_buf *b, int level, bool *first, const char *key, size_t n)
{
    pbj_next(b, level, first);
    pbj_put_quoted(b, key, n);
    pbj_put(b, ": ", 2);
}

/* One reservation for the separator, indentation and key: lists write
 * this a million times. */
void pbj_key_rendered(pbj_buf *b, int level, bool *first, const char *rendered, size_t n)
{
    size_t indent = (size_t)(level + 1) * 2;
    if (b->cap - b->len <= n + indent + 2 && !reserve(b, n + indent + 2))
        return;
    char *p = b->p + b->len;
    if (!*first)
        *p++ = ',';
    *first = false;
    *p++ = '\n';
    memset(p, ' ', indent);
    p += indent;
    memcpy(p, rendered, n);
    b->len = (size_t)(p + n - b->p);
}

void pbj_close(pbj_buf *b, int level, bool first, char close)
{
    if (!first)
        newline(b, level);
    pbj_put(b, &close, 1);
}

char *pbj_buf_take(pbj_buf *b, size_t *len)
{
    pbj_put(b, "", 1); /* NUL terminator */
    if (b->failed) {
        free(b->p);
        *b = (pbj_buf){0};
        return NULL;
    }
    char *p = b->p;
    if (len)
        *len = b->len - 1;
    *b = (pbj_buf){0};
    return p;
}
