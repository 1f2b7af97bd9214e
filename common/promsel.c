/* promsel: a recursive-descent parser of PromQL series selectors (see
 * promsel.h). Lexical rules are PromQL's (promql/parser/lex.go):
 * identifiers [a-zA-Z_][a-zA-Z0-9_]* for labels, with ':' also allowed in
 * metric names; strings unquoted as Go's strconv.Unquote does, so that a
 * value means here what it means to VictoriaMetrics. */
#include "promsel.h"

#include "hex.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const char *s;
    size_t len, pos;
    char *err;
    size_t errlen;
} lexer;

static int fail(lexer *lx, const char *what)
{
    if (lx->errlen) {
        if (lx->pos < lx->len)
            snprintf(lx->err, lx->errlen, "%s at %zu", what, lx->pos);
        else
            snprintf(lx->err, lx->errlen, "%s at end of input", what);
    }
    return -1;
}

static void skip_space(lexer *lx)
{
    while (lx->pos < lx->len && strchr(" \t\r\n", lx->s[lx->pos]) && lx->s[lx->pos])
        lx->pos++;
}

static bool is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* An identifier (colons too when metric); malloc'd in *out. */
static int ident(lexer *lx, bool metric, char **out)
{
    size_t start = lx->pos;
    if (lx->pos >= lx->len || !(is_alpha(lx->s[lx->pos]) || (metric && lx->s[lx->pos] == ':')))
        return fail(lx, metric ? "expected a metric name or '{'" : "expected a label name");
    while (lx->pos < lx->len &&
           (is_alpha(lx->s[lx->pos]) || is_digit(lx->s[lx->pos]) || (metric && lx->s[lx->pos] == ':')))
        lx->pos++;
    *out = strndup(lx->s + start, lx->pos - start);
    return *out ? 0 : fail(lx, "out of memory");
}

/* Appends code point cp as UTF-8; Go refuses surrogates and values past
 * U+10FFFF in \u and \U escapes. */
static int put_utf8(char *o, size_t *n, uint32_t cp)
{
    if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return -1;
    if (cp < 0x80) {
        o[(*n)++] = (char)cp;
    } else if (cp < 0x800) {
        o[(*n)++] = (char)(0xC0 | (cp >> 6));
        o[(*n)++] = (char)(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        o[(*n)++] = (char)(0xE0 | (cp >> 12));
        o[(*n)++] = (char)(0x80 | ((cp >> 6) & 0x3F));
        o[(*n)++] = (char)(0x80 | (cp & 0x3F));
    } else {
        o[(*n)++] = (char)(0xF0 | (cp >> 18));
        o[(*n)++] = (char)(0x80 | ((cp >> 12) & 0x3F));
        o[(*n)++] = (char)(0x80 | ((cp >> 6) & 0x3F));
        o[(*n)++] = (char)(0x80 | (cp & 0x3F));
    }
    return 0;
}

/* One escape after '\' inside a quote q; appends its bytes. */
static int escape(lexer *lx, char q, char *o, size_t *n)
{
    if (lx->pos >= lx->len)
        return fail(lx, "unterminated escape");
    char c = lx->s[lx->pos++];
    static const char simple[] = "abfnrtv\\";
    static const char value[] = "\a\b\f\n\r\t\v\\";
    const char *p = strchr(simple, c);
    if (p && c) {
        o[(*n)++] = value[p - simple];
        return 0;
    }
    if (c == q) {
        o[(*n)++] = c;
        return 0;
    }
    int digits = c == 'x' ? 2 : c == 'u' ? 4 : c == 'U' ? 8 : (c >= '0' && c <= '7') ? 3 : 0;
    if (!digits)
        return fail(lx, "unknown escape sequence");
    uint32_t v = 0;
    if (c >= '0' && c <= '7') {
        v = (uint32_t)(c - '0');
        for (int i = 1; i < 3; i++) {
            if (lx->pos >= lx->len || lx->s[lx->pos] < '0' || lx->s[lx->pos] > '7')
                return fail(lx, "invalid octal escape");
            v = v * 8 + (uint32_t)(lx->s[lx->pos++] - '0');
        }
        if (v > 255)
            return fail(lx, "octal escape value > 255");
        if (v == 0)
            return fail(lx, "NUL in a string");
        o[(*n)++] = (char)v;
        return 0;
    }
    for (int i = 0; i < digits; i++) {
        int h = lx->pos < lx->len ? hex_value(lx->s[lx->pos]) : -1;
        if (h < 0)
            return fail(lx, "invalid hex escape");
        v = v * 16 + (uint32_t)h;
        lx->pos++;
    }
    if (v == 0)
        return fail(lx, "NUL in a string");
    if (c == 'x') {
        o[(*n)++] = (char)v;
        return 0;
    }
    return put_utf8(o, n, v) == 0 ? 0 : fail(lx, "invalid Unicode escape");
}

/* A quoted string; its unescaped bytes malloc'd in *out. */
static int string(lexer *lx, char **out)
{
    if (lx->pos >= lx->len || !strchr("\"'`", lx->s[lx->pos]) || !lx->s[lx->pos])
        return fail(lx, "expected a quoted string");
    char q = lx->s[lx->pos++];
    /* an escape never yields more bytes than it takes (\U: 10 in, 4 out) */
    char *o = malloc(lx->len - lx->pos + 1);
    size_t n = 0;
    if (!o)
        return fail(lx, "out of memory");
    for (;;) {
        if (lx->pos >= lx->len) {
            free(o);
            return fail(lx, "unterminated string");
        }
        char c = lx->s[lx->pos++];
        if (c == q)
            break;
        if (c == '\0' || (q != '`' && c == '\n')) {
            lx->pos--;
            free(o);
            return fail(lx, c ? "newline in a string" : "NUL in a string");
        }
        if (c == '\\' && q != '`') {
            if (escape(lx, q, o, &n) != 0) {
                free(o);
                return -1;
            }
            continue;
        }
        o[n++] = c;
    }
    o[n] = '\0';
    *out = o;
    return 0;
}

static int op(lexer *lx, int *out)
{
    const char *p = lx->s + lx->pos;
    size_t left = lx->len - lx->pos;
    if (left >= 2 && p[0] == '!' && p[1] == '=') {
        *out = PROMSEL_NE;
    } else if (left >= 2 && p[0] == '=' && p[1] == '~') {
        *out = PROMSEL_RE;
    } else if (left >= 2 && p[0] == '!' && p[1] == '~') {
        *out = PROMSEL_NRE;
    } else if (left >= 1 && p[0] == '=') {
        *out = PROMSEL_EQ;
        /* "==" is PromQL's comparison, never a matcher */
        if (left >= 2 && p[1] == '=')
            return fail(lx, "unexpected '=='");
        lx->pos++;
        return 0;
    } else {
        return fail(lx, "expected one of = != =~ !~");
    }
    lx->pos += 2;
    return 0;
}

static int add(lexer *lx, promsel *p, char *name, int o, char *value)
{
    if (p->n >= PROMSEL_MAX_MATCHERS) {
        free(name);
        free(value);
        return fail(lx, "too many matchers");
    }
    p->m[p->n].name = name;
    p->m[p->n].op = o;
    p->m[p->n].value = value;
    p->n++;
    return 0;
}

static int matchers(lexer *lx, promsel *p)
{
    lx->pos++; /* '{' */
    for (;;) {
        skip_space(lx);
        if (lx->pos < lx->len && lx->s[lx->pos] == '}') {
            lx->pos++;
            return 0;
        }
        char *name = NULL, *value = NULL;
        int o;
        if (ident(lx, false, &name) != 0)
            return -1;
        skip_space(lx);
        if (op(lx, &o) != 0) {
            free(name);
            return -1;
        }
        skip_space(lx);
        if (string(lx, &value) != 0) {
            free(name);
            return -1;
        }
        if (add(lx, p, name, o, value) != 0)
            return -1;
        skip_space(lx);
        if (lx->pos < lx->len && lx->s[lx->pos] == ',') {
            lx->pos++;
            continue;
        }
        if (lx->pos < lx->len && lx->s[lx->pos] == '}') {
            lx->pos++;
            return 0;
        }
        return fail(lx, "expected ',' or '}'");
    }
}

void promsel_free(promsel *p)
{
    for (size_t i = 0; i < p->n; i++) {
        free(p->m[i].name);
        free(p->m[i].value);
    }
    p->n = 0;
}

int promsel_parse(const char *s, size_t len, promsel *out, char *err, size_t errlen)
{
    lexer lx = { .s = s, .len = len, .err = err, .errlen = errlen };
    memset(out, 0, sizeof *out);
    if (errlen)
        err[0] = '\0';
    if (len > PROMSEL_MAX_INPUT)
        return fail(&lx, "selector too long");
    skip_space(&lx);
    bool named = false;
    if (lx.pos < len && lx.s[lx.pos] != '{') {
        char *name = NULL;
        if (ident(&lx, true, &name) != 0)
            return -1;
        char *value = name;
        if (!(name = strdup("__name__"))) {
            free(value);
            return fail(&lx, "out of memory");
        }
        /* add() owns both strings from here, on failure too */
        if (add(&lx, out, name, PROMSEL_EQ, value) != 0) {
            promsel_free(out);
            return -1;
        }
        named = true;
        skip_space(&lx);
    }
    if (lx.pos < len && lx.s[lx.pos] == '{') {
        if (matchers(&lx, out) != 0) {
            promsel_free(out);
            return -1;
        }
        skip_space(&lx);
    } else if (!named) {
        return fail(&lx, "expected a metric name or '{'");
    }
    if (lx.pos < len) {
        promsel_free(out);
        return fail(&lx, "unexpected text after the selector");
    }
    if (out->n == 0)
        return fail(&lx, "a selector needs at least one matcher");
    return 0;
}
