/* token: the JSON tokenizer protojson reads bodies with
 * (protobuf-go internal/encoding/json), rebuilt in C so that our errors
 * carry the same texts and "(line L:C)" positions: tokens know their byte
 * offset, a Read after a Peek returns the peeked token, and the checks
 * that a token may stand where it stands are the same ones, in the same
 * order. Strings are decoded into the decoder's scratch buffer, valid
 * until the next token. */
#include "internal.h"
#include "utf8.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { CALL_READ = 0, CALL_PEEK = 1 };
#define SCALAR (PJ_NULL | PJ_BOOL | PJ_NUMBER | PJ_STRING)

void pj_init(pj_dec *d, const char *text, size_t n, char *err, size_t errlen)
{
    memset(d, 0, sizeof *d);
    d->orig = text;
    d->n = n;
    d->err = err;
    d->errlen = errlen;
}

void pj_free(pj_dec *d)
{
    free(d->stack);
    free(d->sbuf);
    d->stack = NULL;
    d->sbuf = NULL;
}

int pj_clone(const pj_dec *d, pj_dec *out)
{
    *out = *d;
    out->stack = NULL;
    out->sbuf = NULL;
    out->scap = 0;
    if (d->depth) {
        out->stack = malloc(d->depth);
        if (!out->stack)
            return -1;
        memcpy(out->stack, d->stack, d->depth);
        out->cap = d->depth;
    } else {
        out->cap = 0;
    }
    if (d->last.str) { /* the peeked token's text lives in d's buffer */
        out->sbuf = malloc(d->last.slen + 1);
        if (!out->sbuf) {
            free(out->stack);
            return -1;
        }
        memcpy(out->sbuf, d->last.str, d->last.slen + 1);
        out->scap = d->last.slen + 1;
        out->last.str = out->sbuf;
    }
    return 0;
}

void pj_position(const pj_dec *d, size_t pos, int *line, int *col)
{
    int l = 1;
    size_t line_start = 0;
    for (size_t i = 0; i < pos && i < d->n; i++)
        if (d->orig[i] == '\n') {
            l++;
            line_start = i + 1;
        }
    /* utf8.RuneCount: each invalid byte counts as one rune */
    int c = 1;
    const unsigned char *s = (const unsigned char *)d->orig;
    for (size_t i = line_start; i < pos && i < d->n;) {
        size_t k = utf8_seq_len(s + i, pos - i);
        i += k ? k : 1;
        c++;
    }
    *line = l;
    *col = c;
}

int pj_fail(pj_dec *d, const char *fmt, ...)
{
    if (d->err && d->errlen) {
        int n = snprintf(d->err, d->errlen, "proto: ");
        va_list ap;
        va_start(ap, fmt);
        if (n > 0 && (size_t)n < d->errlen)
            vsnprintf(d->err + n, d->errlen - (size_t)n, fmt, ap);
        va_end(ap);
    }
    d->failed = true;
    return -1;
}

/* "proto: <head>(line L:C): <text>" */
static int fail_at(pj_dec *d, size_t pos, const char *head, const char *fmt, va_list ap)
{
    char text[PBJSON_ERR_MAX];
    vsnprintf(text, sizeof text, fmt, ap);
    int line, col;
    pj_position(d, pos, &line, &col);
    return pj_fail(d, "%s(line %d:%d): %s", head, line, col, text);
}

int pj_error_at(pj_dec *d, size_t pos, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = fail_at(d, pos, "", fmt, ap);
    va_end(ap);
    return rc;
}

int pj_syntax_at(pj_dec *d, size_t pos, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = fail_at(d, pos, "syntax error ", fmt, ap);
    va_end(ap);
    return rc;
}

int pj_unexpected(pj_dec *d, const pj_token *t)
{
    return pj_syntax_at(d, t->pos, "unexpected token %.*s", (int)(t->rawlen > 200 ? 200 : t->rawlen),
                        d->orig + t->pos);
}

static int unexpected_eof(pj_dec *d)
{
    return pj_fail(d, "unexpected EOF");
}

static void skip_space(pj_dec *d)
{
    while (d->in < d->n) {
        char c = d->orig[d->in];
        if (c != ' ' && c != '\n' && c != '\r' && c != '\t')
            return;
        d->in++;
    }
}

static bool not_delim(char c)
{
    return c == '-' || c == '+' || c == '.' || c == '_' || (c >= 'a' && c <= 'z') ||
           (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* Length of literal lit at s when followed by a delimiter, else 0. */
static size_t match_literal(const char *lit, const char *s, size_t n)
{
    size_t k = strlen(lit);
    if (n < k || memcmp(s, lit, k) != 0)
        return 0;
    if (k < n && not_delim(s[k]))
        return 0;
    return k;
}

size_t pj_number_len(const char *s, size_t n, bool *ok)
{
    size_t i = 0;
    *ok = false;
    if (i < n && s[i] == '-')
        i++;
    if (i >= n)
        return 0;
    if (s[i] == '0')
        i++;
    else if (s[i] >= '1' && s[i] <= '9')
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
    else
        return 0;
    if (i + 1 < n && s[i] == '.' && s[i + 1] >= '0' && s[i + 1] <= '9') {
        i += 2;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
    }
    if (i + 1 < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (s[i] == '+' || s[i] == '-') {
            i++;
            if (i >= n)
                return 0;
        }
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
    }
    if (i < n && not_delim(s[i]))
        return 0;
    *ok = true;
    return i;
}

static int sbuf_put(pj_dec *d, size_t *len, const char *s, size_t n)
{
    if (*len + n + 1 > d->scap) {
        size_t cap = d->scap ? d->scap : 64;
        while (cap < *len + n + 1)
            cap *= 2;
        char *nb = realloc(d->sbuf, cap);
        if (!nb)
            return -1;
        d->sbuf = nb;
        d->scap = cap;
    }
    memcpy(d->sbuf + *len, s, n);
    *len += n;
    d->sbuf[*len] = '\0';
    return 0;
}

static int hex4(const char *s, unsigned *v)
{
    *v = 0;
    for (int i = 0; i < 4; i++) {
        char c = s[i];
        int x = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
                : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (x < 0)
            return -1;
        *v = *v << 4 | (unsigned)x;
    }
    return 0;
}

static size_t put_utf8(unsigned r, char *o)
{
    if (r < 0x80) {
        o[0] = (char)r;
        return 1;
    }
    if (r < 0x800) {
        o[0] = (char)(0xC0 | r >> 6);
        o[1] = (char)(0x80 | (r & 0x3F));
        return 2;
    }
    if (r < 0x10000) {
        o[0] = (char)(0xE0 | r >> 12);
        o[1] = (char)(0x80 | ((r >> 6) & 0x3F));
        o[2] = (char)(0x80 | (r & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | r >> 18);
    o[1] = (char)(0x80 | ((r >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((r >> 6) & 0x3F));
    o[3] = (char)(0x80 | (r & 0x3F));
    return 4;
}

/* A quoted string at d->in; its text into the scratch buffer. Returns the
 * raw length, or 0 after an error. */
static size_t parse_string(pj_dec *d, size_t *slen)
{
    const char *s = d->orig + d->in;
    size_t n = d->n - d->in, i = 1, len = 0;
    size_t at = d->in; /* errors point at the string's start, as protojson's */
    char q[64];
    if (sbuf_put(d, &len, "", 0) != 0)
        return pj_fail(d, "out of memory"), 0;
    while (i < n) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"') {
            *slen = len;
            return i + 1;
        }
        if (c < ' ') {
            pbj_go_quote_rune(c, q, sizeof q);
            pj_syntax_at(d, at, "invalid character %s in string", q);
            return 0;
        }
        if (c == '\\') {
            if (n - i < 2)
                return unexpected_eof(d), 0;
            char e = s[i + 1], out = 0;
            switch (e) {
            case '"': case '\\': case '/': out = e; break;
            case 'b': out = '\b'; break;
            case 'f': out = '\f'; break;
            case 'n': out = '\n'; break;
            case 'r': out = '\r'; break;
            case 't': out = '\t'; break;
            case 'u': {
                if (n - i < 6)
                    return unexpected_eof(d), 0;
                unsigned v;
                if (hex4(s + i + 2, &v) != 0) {
                    pbj_go_quote(s + i, 6, q, sizeof q);
                    pj_syntax_at(d, at, "invalid escape code %s in string", q);
                    return 0;
                }
                i += 6;
                if (v >= 0xD800 && v < 0xE000) {
                    if (n - i < 6)
                        return unexpected_eof(d), 0;
                    unsigned lo;
                    bool good = s[i] == '\\' && s[i + 1] == 'u' && hex4(s + i + 2, &lo) == 0 &&
                                v < 0xDC00 && lo >= 0xDC00 && lo < 0xE000;
                    if (!good) {
                        pbj_go_quote(s + i, 6, q, sizeof q);
                        pj_syntax_at(d, at, "invalid escape code %s in string", q);
                        return 0;
                    }
                    v = 0x10000 + ((v - 0xD800) << 10) + (lo - 0xDC00);
                    i += 6;
                }
                char u[4];
                if (sbuf_put(d, &len, u, put_utf8(v, u)) != 0)
                    return pj_fail(d, "out of memory"), 0;
                continue;
            }
            default:
                pbj_go_quote(s + i, 2, q, sizeof q);
                pj_syntax_at(d, at, "invalid escape code %s in string", q);
                return 0;
            }
            if (sbuf_put(d, &len, &out, 1) != 0)
                return pj_fail(d, "out of memory"), 0;
            i += 2;
            continue;
        }
        size_t k = 1;
        if (c >= 0x80 && !(k = utf8_seq_len((const unsigned char *)s + i, n - i))) {
            pj_syntax_at(d, at, "invalid UTF-8 in string");
            return 0;
        }
        /* copy the run of plain characters at once */
        size_t j = i + k;
        while (j < n) {
            unsigned char cj = (unsigned char)s[j];
            if (cj == '"' || cj == '\\' || cj < ' ')
                break;
            if (cj >= 0x80) {
                size_t kj = utf8_seq_len((const unsigned char *)s + j, n - j);
                if (!kj)
                    break;
                j += kj;
            } else {
                j++;
            }
        }
        if (sbuf_put(d, &len, s + i, j - i) != 0)
            return pj_fail(d, "out of memory"), 0;
        i = j;
    }
    return unexpected_eof(d), 0;
}

static void consume(pj_dec *d, size_t n)
{
    d->in += n;
    skip_space(d);
}

/* The next token, without the grammar checks. */
static int parse_next(pj_dec *d, pj_token *t)
{
    skip_space(d);
    memset(t, 0, sizeof *t);
    t->pos = d->in;
    const char *s = d->orig + d->in;
    size_t n = d->n - d->in, k = 0;
    if (n == 0) {
        t->kind = PJ_EOF;
        return 0;
    }
    switch (s[0]) {
    case 'n':
        if ((k = match_literal("null", s, n)))
            t->kind = PJ_NULL;
        break;
    case 't':
        if ((k = match_literal("true", s, n))) {
            t->kind = PJ_BOOL;
            t->b = true;
        }
        break;
    case 'f':
        if ((k = match_literal("false", s, n)))
            t->kind = PJ_BOOL;
        break;
    case '-': case '0': case '1': case '2': case '3': case '4':
    case '5': case '6': case '7': case '8': case '9': {
        bool ok;
        k = pj_number_len(s, n, &ok);
        if (ok)
            t->kind = PJ_NUMBER;
        else
            k = 0;
        break;
    }
    case '"': {
        size_t slen = 0;
        if (!(k = parse_string(d, &slen)))
            return -1;
        t->kind = PJ_STRING;
        t->str = d->sbuf;
        t->slen = slen;
        break;
    }
    case '{': k = 1; t->kind = PJ_OBJ_OPEN; break;
    case '}': k = 1; t->kind = PJ_OBJ_CLOSE; break;
    case '[': k = 1; t->kind = PJ_ARR_OPEN; break;
    case ']': k = 1; t->kind = PJ_ARR_CLOSE; break;
    case ',': k = 1; t->kind = PJ_COMMA; break;
    }
    if (!k) {
        /* `invalid value <up to 32 name characters, or one byte>` */
        size_t m = 0;
        while (m < n && m < 32 && not_delim(s[m]))
            m++;
        if (!m)
            m = 1;
        return pj_syntax_at(d, d->in, "invalid value %.*s", (int)m, s);
    }
    t->rawlen = k;
    consume(d, k);
    return 0;
}

static bool value_next(const pj_dec *d)
{
    if (d->depth == 0)
        return d->last.kind == 0;
    if (d->stack[d->depth - 1] == 0) /* in an object */
        return (d->last.kind & PJ_NAME) != 0;
    return (d->last.kind & (PJ_ARR_OPEN | PJ_COMMA)) != 0;
}

static int push(pj_dec *d, unsigned char what)
{
    if (d->depth == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 16;
        unsigned char *ns = realloc(d->stack, cap);
        if (!ns)
            return pj_fail(d, "out of memory");
        d->stack = ns;
        d->cap = cap;
    }
    d->stack[d->depth++] = what;
    return 0;
}

static int read_token(pj_dec *d, pj_token *out)
{
    pj_token t;
    if (parse_next(d, &t) != 0)
        return -1;
    switch (t.kind) {
    case PJ_EOF:
        if (d->depth != 0 || (d->last.kind & (SCALAR | PJ_OBJ_CLOSE | PJ_ARR_CLOSE)) == 0)
            return unexpected_eof(d);
        break;
    case PJ_NULL:
    case PJ_BOOL:
    case PJ_NUMBER:
        if (!value_next(d))
            return pj_unexpected(d, &t);
        break;
    case PJ_STRING:
        if (value_next(d))
            break;
        if ((d->last.kind & (PJ_OBJ_OPEN | PJ_COMMA)) == 0)
            return pj_unexpected(d, &t);
        if (d->in >= d->n)
            return unexpected_eof(d);
        if (d->orig[d->in] != ':')
            return pj_syntax_at(d, d->in, "unexpected character %c, missing \":\" after field name",
                                d->orig[d->in]);
        t.kind = PJ_NAME;
        consume(d, 1);
        break;
    case PJ_OBJ_OPEN:
    case PJ_ARR_OPEN:
        if (!value_next(d))
            return pj_unexpected(d, &t);
        if (push(d, t.kind == PJ_OBJ_OPEN ? 0 : 1) != 0)
            return -1;
        break;
    case PJ_OBJ_CLOSE:
        if (d->depth == 0 || (d->last.kind & (PJ_NAME | PJ_COMMA)) != 0 || d->stack[d->depth - 1] != 0)
            return pj_unexpected(d, &t);
        d->depth--;
        break;
    case PJ_ARR_CLOSE:
        if (d->depth == 0 || d->last.kind == PJ_COMMA || d->stack[d->depth - 1] != 1)
            return pj_unexpected(d, &t);
        d->depth--;
        break;
    case PJ_COMMA:
        if (d->depth == 0 || (d->last.kind & (SCALAR | PJ_OBJ_CLOSE | PJ_ARR_CLOSE)) == 0)
            return pj_unexpected(d, &t);
        break;
    }
    d->last = t;
    if (t.kind == PJ_COMMA)
        return read_token(d, out);
    *out = t;
    return 0;
}

int pj_read(pj_dec *d, pj_token *t)
{
    if (d->lastcall == CALL_PEEK) {
        d->lastcall = CALL_READ;
        if (d->lasterr)
            return -1;
        *t = d->last;
        return 0;
    }
    int rc = read_token(d, t);
    d->lastcall = CALL_READ;
    return rc;
}

int pj_peek(pj_dec *d, pj_token *t)
{
    if (d->lastcall == CALL_READ) {
        d->lasterr = read_token(d, t) != 0;
        d->lastcall = CALL_PEEK;
        if (d->lasterr)
            return -1;
        *t = d->last;
        return 0;
    }
    if (d->lasterr)
        return -1;
    *t = d->last;
    return 0;
}

int pj_skip_value(pj_dec *d, int limit)
{
    int open = 0;
    for (;;) {
        pj_token t;
        if (pj_read(d, &t) != 0)
            return -1;
        switch (t.kind) {
        case PJ_OBJ_CLOSE:
        case PJ_ARR_CLOSE:
            open--;
            break;
        case PJ_OBJ_OPEN:
        case PJ_ARR_OPEN:
            if (++open > limit)
                return pj_fail(d, "exceeded max recursion depth");
            break;
        case PJ_EOF:
            return pj_fail(d, "unexpected EOF");
        }
        if (open == 0)
            return 0;
    }
}
