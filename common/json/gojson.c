/* gojson: the first step of grpc-gateway's body decoding. Its JSONPb
 * marshaler reads the body with Go's encoding/json Decoder into a
 * json.RawMessage before protojson sees it, so a malformed body fails with
 * encoding/json's texts ("invalid character 'x' looking for beginning of
 * value", "unexpected EOF"), only the first value counts (what follows it
 * is never read), and an empty or blank body is io.EOF, which the
 * generated handlers treat as "no body". This is Go's scanner state
 * machine with its error contexts, walked byte by byte. */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GO_MAX_DEPTH 10000 /* encoding/json's maxNestingDepth */

typedef enum {
    S_BEGIN_VALUE, S_BEGIN_VALUE_OR_EMPTY, S_BEGIN_STRING_OR_EMPTY, S_BEGIN_STRING, S_END_VALUE,
    S_IN_STRING, S_IN_STRING_ESC, S_ESC_U, S_ESC_U1, S_ESC_U12, S_ESC_U123,
    S_NEG, S_1, S_0, S_DOT, S_DOT0, S_E, S_ESIGN, S_E0,
    S_T, S_TR, S_TRU, S_F, S_FA, S_FAL, S_FALS, S_N, S_NU, S_NUL, S_DONE,
} gstate;

enum { P_OBJ_KEY, P_OBJ_VALUE, P_ARR_VALUE };

typedef struct {
    gstate st;
    unsigned char *ps; /* parse stack */
    size_t depth, cap;
    char *err;
    size_t errlen;
    bool closed; /* the top-level value was a container, now closed */
} scanner;

static bool is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* quoteChar: the offending byte as Go shows it in 'c'. */
static void quote_char(unsigned char c, char *out, size_t outlen)
{
    if (c == '\'') {
        snprintf(out, outlen, "'\\''");
        return;
    }
    if (c == '"') {
        snprintf(out, outlen, "'\"'");
        return;
    }
    /* string(c) of a byte is the rune U+00cc; quoted, then ' for " */
    pbj_go_quote_rune(c, out, outlen);
}

static int syntax(scanner *s, unsigned char c, const char *context)
{
    char q[24];
    quote_char(c, q, sizeof q);
    if (s->err && s->errlen)
        snprintf(s->err, s->errlen, "invalid character %s %s", q, context);
    return -1;
}

static int push(scanner *s, unsigned char p)
{
    if (s->depth >= GO_MAX_DEPTH) {
        if (s->err && s->errlen)
            snprintf(s->err, s->errlen, "exceeded max depth");
        return -1;
    }
    if (s->depth == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 32;
        unsigned char *n = realloc(s->ps, cap);
        if (!n) {
            if (s->err && s->errlen)
                snprintf(s->err, s->errlen, "out of memory");
            return -1;
        }
        s->ps = n;
        s->cap = cap;
    }
    s->ps[s->depth++] = p;
    return 0;
}

static bool is_hex(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* After a value ends: what the enclosing container allows next. */
static int end_value(scanner *s, unsigned char c)
{
    if (s->depth == 0) {
        s->st = S_DONE; /* the byte after a top-level value ends it */
        return 0;
    }
    if (is_space(c)) {
        s->st = S_END_VALUE;
        return 0;
    }
    unsigned char *top = &s->ps[s->depth - 1];
    switch (*top) {
    case P_OBJ_KEY:
        if (c == ':') {
            *top = P_OBJ_VALUE;
            s->st = S_BEGIN_VALUE;
            return 0;
        }
        return syntax(s, c, "after object key");
    case P_OBJ_VALUE:
        if (c == ',') {
            *top = P_OBJ_KEY;
            s->st = S_BEGIN_STRING;
            return 0;
        }
        if (c == '}') {
            s->depth--;
            s->st = s->depth == 0 ? S_DONE : S_END_VALUE;
            s->closed = s->depth == 0;
            return 0;
        }
        return syntax(s, c, "after object key:value pair");
    default:
        if (c == ',') {
            s->st = S_BEGIN_VALUE;
            return 0;
        }
        if (c == ']') {
            s->depth--;
            s->st = s->depth == 0 ? S_DONE : S_END_VALUE;
            s->closed = s->depth == 0;
            return 0;
        }
        return syntax(s, c, "after array element");
    }
}

static int begin_value(scanner *s, unsigned char c)
{
    if (is_space(c))
        return 0;
    switch (c) {
    case '{':
        s->st = S_BEGIN_STRING_OR_EMPTY;
        return push(s, P_OBJ_KEY);
    case '[':
        s->st = S_BEGIN_VALUE_OR_EMPTY;
        return push(s, P_ARR_VALUE);
    case '"': s->st = S_IN_STRING; return 0;
    case '-': s->st = S_NEG; return 0;
    case '0': s->st = S_0; return 0;
    case 't': s->st = S_T; return 0;
    case 'f': s->st = S_F; return 0;
    case 'n': s->st = S_N; return 0;
    }
    if (c >= '1' && c <= '9') {
        s->st = S_1;
        return 0;
    }
    return syntax(s, c, "looking for beginning of value");
}

static int literal(scanner *s, unsigned char c, char want, gstate next, const char *ctx)
{
    if (c == (unsigned char)want) {
        s->st = next;
        return 0;
    }
    return syntax(s, c, ctx);
}

static int step(scanner *s, unsigned char c)
{
    switch (s->st) {
    case S_BEGIN_VALUE:
        return begin_value(s, c);
    case S_BEGIN_VALUE_OR_EMPTY:
        if (is_space(c))
            return 0;
        if (c == ']')
            return end_value(s, c);
        return begin_value(s, c);
    case S_BEGIN_STRING_OR_EMPTY:
        if (is_space(c))
            return 0;
        if (c == '}') {
            s->ps[s->depth - 1] = P_OBJ_VALUE;
            return end_value(s, c);
        }
        /* fall through */
    case S_BEGIN_STRING:
        if (is_space(c))
            return 0;
        if (c == '"') {
            s->st = S_IN_STRING;
            return 0;
        }
        return syntax(s, c, "looking for beginning of object key string");
    case S_END_VALUE:
        return end_value(s, c);
    case S_IN_STRING:
        if (c == '"') {
            s->st = S_END_VALUE;
            return 0;
        }
        if (c == '\\') {
            s->st = S_IN_STRING_ESC;
            return 0;
        }
        if (c < 0x20)
            return syntax(s, c, "in string literal");
        return 0;
    case S_IN_STRING_ESC:
        if (strchr("bfnrt\\/\"", c) && c) {
            s->st = S_IN_STRING;
            return 0;
        }
        if (c == 'u') {
            s->st = S_ESC_U;
            return 0;
        }
        return syntax(s, c, "in string escape code");
    case S_ESC_U:
    case S_ESC_U1:
    case S_ESC_U12:
    case S_ESC_U123:
        if (!is_hex(c))
            return syntax(s, c, "in \\u hexadecimal character escape");
        s->st = s->st == S_ESC_U123 ? S_IN_STRING : (gstate)(s->st + 1);
        return 0;
    case S_NEG:
        if (c == '0') {
            s->st = S_0;
            return 0;
        }
        if (c >= '1' && c <= '9') {
            s->st = S_1;
            return 0;
        }
        return syntax(s, c, "in numeric literal");
    case S_1:
        if (c >= '0' && c <= '9')
            return 0;
        /* fall through */
    case S_0:
        if (c == '.') {
            s->st = S_DOT;
            return 0;
        }
        if (c == 'e' || c == 'E') {
            s->st = S_E;
            return 0;
        }
        return end_value(s, c);
    case S_DOT:
        if (c >= '0' && c <= '9') {
            s->st = S_DOT0;
            return 0;
        }
        return syntax(s, c, "after decimal point in numeric literal");
    case S_DOT0:
        if (c >= '0' && c <= '9')
            return 0;
        if (c == 'e' || c == 'E') {
            s->st = S_E;
            return 0;
        }
        return end_value(s, c);
    case S_E:
        if (c == '+' || c == '-') {
            s->st = S_ESIGN;
            return 0;
        }
        /* fall through */
    case S_ESIGN:
        if (c >= '0' && c <= '9') {
            s->st = S_E0;
            return 0;
        }
        return syntax(s, c, "in exponent of numeric literal");
    case S_E0:
        if (c >= '0' && c <= '9')
            return 0;
        return end_value(s, c);
    case S_T: return literal(s, c, 'r', S_TR, "in literal true (expecting 'r')");
    case S_TR: return literal(s, c, 'u', S_TRU, "in literal true (expecting 'u')");
    case S_TRU: return literal(s, c, 'e', S_END_VALUE, "in literal true (expecting 'e')");
    case S_F: return literal(s, c, 'a', S_FA, "in literal false (expecting 'a')");
    case S_FA: return literal(s, c, 'l', S_FAL, "in literal false (expecting 'l')");
    case S_FAL: return literal(s, c, 's', S_FALS, "in literal false (expecting 's')");
    case S_FALS: return literal(s, c, 'e', S_END_VALUE, "in literal false (expecting 'e')");
    case S_N: return literal(s, c, 'u', S_NU, "in literal null (expecting 'u')");
    case S_NU: return literal(s, c, 'l', S_NUL, "in literal null (expecting 'l')");
    case S_NUL: return literal(s, c, 'l', S_END_VALUE, "in literal null (expecting 'l')");
    case S_DONE:
        return 0;
    }
    return 0;
}

/* Does the scanner, given end of input now, hold a complete value? */
static bool complete_at_eof(const scanner *s)
{
    if (s->depth != 0)
        return false;
    switch (s->st) {
    case S_END_VALUE: case S_0: case S_1: case S_DOT0: case S_E0: case S_DONE:
        return true;
    default:
        return false;
    }
}

int pbj_go_first_value(const char *text, size_t n, size_t *start, size_t *end, char *err, size_t errlen)
{
    const unsigned char *p = (const unsigned char *)text;
    size_t i = 0;
    while (i < n && is_space(p[i]))
        i++;
    if (i == n)
        return 1; /* io.EOF */
    scanner s = {.st = S_BEGIN_VALUE, .err = err, .errlen = errlen};
    *start = i;
    int rc = 0;
    for (; i < n; i++) {
        if (step(&s, p[i]) != 0) {
            rc = -1;
            break;
        }
        if (s.st == S_DONE) {
            /* a scalar ends at the byte after it, a container with its
             * closing byte */
            if (s.closed)
                i++;
            break;
        }
    }
    if (rc == 0 && s.st != S_DONE && !complete_at_eof(&s)) {
        if (err && errlen)
            snprintf(err, errlen, "unexpected EOF");
        rc = -1;
    }
    if (rc == 0)
        *end = i;
    free(s.ps);
    return rc;
}
