/* lexer: Starlark tokens with Python-style indentation, as starlark-go's
 * scanner: INDENT/OUTDENT from a stack of columns (tabs to multiples of
 * 8), newlines ignored inside brackets, string escapes decoded here, and
 * its error texts. Also the compile-time arena and the syntax error
 * exit. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "syntax.h"

/* ---- arena ------------------------------------------------------------------- */

typedef struct chunk {
    struct chunk *next;
    size_t used, cap;
    max_align_t data[];
} chunk;

struct sl_arena {
    chunk *head;
};

sl_arena *sl_arena_new(void) { return calloc(1, sizeof(sl_arena)); }

void *sl_arena_alloc(sl_arena *a, size_t n)
{
    n = (n + 15) & ~(size_t)15;
    chunk *c = a->head;
    if (!c || c->used + n > c->cap) {
        size_t cap = n > 65536 ? n : 65536;
        c = malloc(sizeof(chunk) + cap);
        if (!c)
            abort(); /* compile-time memory: bounded by the source size */
        c->next = a->head;
        c->used = 0;
        c->cap = cap;
        a->head = c;
    }
    void *p = (char *)c->data + c->used;
    c->used += n;
    memset(p, 0, n);
    return p;
}

char *sl_arena_strndup(sl_arena *a, const char *s, size_t n)
{
    char *p = sl_arena_alloc(a, n + 1);
    memcpy(p, s, n);
    p[n] = 0;
    return p;
}

void sl_arena_free(sl_arena *a)
{
    if (!a)
        return;
    chunk *c = a->head;
    while (c) {
        chunk *n = c->next;
        free(c);
        c = n;
    }
    free(a);
}

void sl_syntax_error(sl_diag *d, int line, int col, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(d->msg, sizeof d->msg, fmt, ap);
    va_end(ap);
    d->line = line;
    d->col = col;
    longjmp(d->jb, 1);
}

/* ---- tokens -------------------------------------------------------------------- */

static const char *const token_names[T_MAX] = {
    [T_ILLEGAL] = "illegal token", [T_EOF] = "end of file", [T_NEWLINE] = "newline", [T_INDENT] = "indent",
    [T_OUTDENT] = "outdent", [T_IDENT] = "identifier", [T_INT] = "int literal", [T_FLOAT] = "float literal",
    [T_STRING] = "string literal", [T_BYTES] = "bytes literal", [T_PLUS] = "+", [T_MINUS] = "-", [T_STAR] = "*",
    [T_SLASH] = "/", [T_SLASHSLASH] = "//", [T_PERCENT] = "%", [T_AMP] = "&", [T_PIPE] = "|",
    [T_CIRCUMFLEX] = "^", [T_LTLT] = "<<", [T_GTGT] = ">>", [T_TILDE] = "~", [T_DOT] = ".", [T_COMMA] = ",",
    [T_EQ] = "=", [T_SEMI] = ";", [T_COLON] = ":", [T_LPAREN] = "(", [T_RPAREN] = ")", [T_LBRACK] = "[",
    [T_RBRACK] = "]", [T_LBRACE] = "{", [T_RBRACE] = "}", [T_LT] = "<", [T_GT] = ">", [T_GE] = ">=",
    [T_LE] = "<=", [T_EQL] = "==", [T_NEQ] = "!=", [T_PLUS_EQ] = "+=", [T_MINUS_EQ] = "-=", [T_STAR_EQ] = "*=",
    [T_SLASH_EQ] = "/=", [T_SLASHSLASH_EQ] = "//=", [T_PERCENT_EQ] = "%=", [T_AMP_EQ] = "&=",
    [T_PIPE_EQ] = "|=", [T_CIRCUMFLEX_EQ] = "^=", [T_LTLT_EQ] = "<<=", [T_GTGT_EQ] = ">>=",
    [T_STARSTAR] = "**", [T_AND] = "and", [T_BREAK] = "break", [T_CONTINUE] = "continue", [T_DEF] = "def",
    [T_ELIF] = "elif", [T_ELSE] = "else", [T_FOR] = "for", [T_IF] = "if", [T_IN] = "in",
    [T_LAMBDA] = "lambda", [T_LOAD] = "load", [T_NOT] = "not", [T_NOT_IN] = "not in", [T_OR] = "or",
    [T_PASS] = "pass", [T_RETURN] = "return", [T_WHILE] = "while", [T_AS] = "as", [T_ASYNC] = "async",
    [T_AWAIT] = "await", [T_CLASS] = "class", [T_DEL] = "del", [T_EXCEPT] = "except",
    [T_FINALLY] = "finally", [T_FROM] = "from", [T_GLOBAL] = "global", [T_IMPORT] = "import", [T_IS] = "is",
    [T_NONLOCAL] = "nonlocal", [T_RAISE] = "raise", [T_TRY] = "try", [T_WITH] = "with", [T_YIELD] = "yield",
};

const char *sl_token_name(token t) { return t < T_MAX && token_names[t] ? token_names[t] : "?"; }

const char *sl_token_desc(token t, char buf[16])
{
    if (t >= T_PLUS && t <= T_STARSTAR) {
        snprintf(buf, 16, "'%s'", token_names[t]);
        return buf;
    }
    return sl_token_name(t);
}

static const struct {
    const char *word;
    token tok;
} keywords[] = {
    {"and", T_AND}, {"break", T_BREAK}, {"continue", T_CONTINUE}, {"def", T_DEF}, {"elif", T_ELIF},
    {"else", T_ELSE}, {"for", T_FOR}, {"if", T_IF}, {"in", T_IN}, {"lambda", T_LAMBDA}, {"load", T_LOAD},
    {"not", T_NOT}, {"or", T_OR}, {"pass", T_PASS}, {"return", T_RETURN}, {"while", T_WHILE}, {"as", T_AS},
    {"async", T_ASYNC}, {"await", T_AWAIT}, {"class", T_CLASS}, {"del", T_DEL}, {"except", T_EXCEPT},
    {"finally", T_FINALLY}, {"from", T_FROM}, {"global", T_GLOBAL}, {"import", T_IMPORT}, {"is", T_IS},
    {"nonlocal", T_NONLOCAL}, {"raise", T_RAISE}, {"try", T_TRY}, {"with", T_WITH}, {"yield", T_YIELD},
};

/* ---- reading runes ----------------------------------------------------------------- */

void sl_lexer_init(sl_lexer *lx, const char *src, size_t len, sl_arena *a, sl_diag *d)
{
    memset(lx, 0, sizeof *lx);
    lx->src = src;
    lx->len = len;
    lx->line = 1;
    lx->col = 1;
    lx->nindent = 1;
    lx->indent[0] = 0;
    lx->line_start = true;
    lx->arena = a;
    lx->diag = d;
}

/* The rune at the read position, 0 at end of input. */
static uint32_t peek(const sl_lexer *lx)
{
    if (lx->pos >= lx->len)
        return 0;
    unsigned char c = (unsigned char)lx->src[lx->pos];
    if (c < 0x80)
        return c;
    int sz;
    return sl_utf8_decode(lx->src + lx->pos, lx->len - lx->pos, &sz);
}

static uint32_t peek_at(const sl_lexer *lx, size_t off)
{
    return lx->pos + off < lx->len ? (unsigned char)lx->src[lx->pos + off] : 0;
}

static uint32_t readr(sl_lexer *lx)
{
    if (lx->pos >= lx->len)
        return 0;
    unsigned char c = (unsigned char)lx->src[lx->pos];
    if (c < 0x80) {
        lx->pos++;
        if (c == '\n') {
            lx->line++;
            lx->col = 1;
        } else {
            lx->col++;
        }
        return c;
    }
    int sz;
    uint32_t r = sl_utf8_decode(lx->src + lx->pos, lx->len - lx->pos, &sz);
    lx->pos += (size_t)sz;
    lx->col++;
    return r;
}

static bool eof(const sl_lexer *lx) { return lx->pos >= lx->len; }

static __attribute__((noreturn)) void lex_error(sl_lexer *lx, int line, int col, const char *msg)
{
    sl_syntax_error(lx->diag, line, col, "%s", msg);
}

static bool is_ident_start(uint32_t c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (c >= 0x80 && sl_rune_isletter(c));
}
static bool is_digit(uint32_t c) { return c >= '0' && c <= '9'; }
static bool is_ident(uint32_t c) { return is_digit(c) || is_ident_start(c); }
static bool is_xdigit(uint32_t c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* ---- strings ------------------------------------------------------------------------- */

/* Decodes the literal's content (between the quotes) as starlark-go's
 * unquote; errors are reported at the literal's start. */
static void unquote(sl_lexer *lx, sl_tokval *val, const char *q, size_t n, bool raw, bool isbytes)
{
    char *out = sl_arena_alloc(lx->arena, n + 1);
    size_t o = 0, i = 0;
    while (i < n) {
        char c = q[i];
        if (c != '\\' || raw) {
            out[o++] = c;
            i++;
            continue;
        }
        if (i + 1 >= n)
            lex_error(lx, val->line, val->col, "truncated escape sequence \\");
        char e = q[i + 1];
        switch (e) {
        case '\n':
            i += 2;
            break;
        case 'a': out[o++] = '\a'; i += 2; break;
        case 'b': out[o++] = '\b'; i += 2; break;
        case 'f': out[o++] = '\f'; i += 2; break;
        case 'n': out[o++] = '\n'; i += 2; break;
        case 'r': out[o++] = '\r'; i += 2; break;
        case 't': out[o++] = '\t'; i += 2; break;
        case 'v': out[o++] = '\v'; i += 2; break;
        case '\\': case '\'': case '"': out[o++] = e; i += 2; break;
        case '0': case '1': case '2': case '3': case '4': case '5': case '6': case '7': {
            int v = e - '0';
            i += 2;
            for (int k = 1; k < 3 && i < n && q[i] >= '0' && q[i] <= '7'; k++)
                v = v * 8 + (q[i++] - '0');
            if (!isbytes && v > 127)
                sl_syntax_error(lx->diag, val->line, val->col,
                                "non-ASCII octal escape \\%o (use \\u%04X for the UTF-8 encoding of U+%04X)", v, v, v);
            if (v >= 256)
                sl_syntax_error(lx->diag, val->line, val->col, "invalid escape sequence \\%03o", v);
            out[o++] = (char)v;
            break;
        }
        case 'x': {
            if (i + 4 > n)
                sl_syntax_error(lx->diag, val->line, val->col, "truncated escape sequence %.*s", (int)(n - i), q + i);
            int h1 = hexval(q[i + 2]), h2 = hexval(q[i + 3]);
            if (h1 < 0 || h2 < 0)
                sl_syntax_error(lx->diag, val->line, val->col, "invalid escape sequence %.4s", q + i);
            int v = h1 * 16 + h2;
            if (!isbytes && v > 127)
                sl_syntax_error(lx->diag, val->line, val->col,
                                "non-ASCII hex escape %.4s (use \\u%04X for the UTF-8 encoding of U+%04X)", q + i, v, v);
            out[o++] = (char)v;
            i += 4;
            break;
        }
        case 'u':
        case 'U': {
            size_t sz = e == 'u' ? 6 : 10;
            if (i + sz > n)
                sl_syntax_error(lx->diag, val->line, val->col, "truncated escape sequence %.*s", (int)(n - i), q + i);
            uint64_t v = 0;
            for (size_t k = 2; k < sz; k++) {
                int h = hexval(q[i + k]);
                if (h < 0)
                    sl_syntax_error(lx->diag, val->line, val->col, "invalid escape sequence %.*s", (int)sz, q + i);
                v = v * 16 + (uint64_t)h;
            }
            if (v > 0x10FFFF)
                sl_syntax_error(lx->diag, val->line, val->col, "code point out of range: %.*s (max \\U%08x)",
                                (int)sz, q + i, (unsigned)v);
            if (v >= 0xD800 && v < 0xE000)
                sl_syntax_error(lx->diag, val->line, val->col, "invalid Unicode code point U+%04X", (unsigned)v);
            o += (size_t)sl_utf8_encode((uint32_t)v, out + o);
            i += sz;
            break;
        }
        default:
            if ((unsigned char)e < 0x80)
                sl_syntax_error(lx->diag, val->line, val->col, "invalid escape sequence \\%c", e);
            sl_syntax_error(lx->diag, val->line, val->col, "invalid escape sequence \\%.*s",
                            (int)(n - i - 1 < 4 ? n - i - 1 : 1), q + i + 1);
        }
    }
    out[o] = 0;
    val->sval = out;
    val->slen = o;
}

static token scan_string(sl_lexer *lx, sl_tokval *val, bool raw, bool isbytes)
{
    uint32_t quote = peek(lx);
    bool triple = peek_at(lx, 1) == quote && peek_at(lx, 2) == quote;
    readr(lx);
    size_t body;
    size_t end;
    if (!triple) {
        body = lx->pos;
        for (;;) {
            if (eof(lx))
                lex_error(lx, val->line, val->col, "unexpected EOF in string");
            uint32_t c = readr(lx);
            if (c == quote)
                break;
            if (c == '\n')
                lex_error(lx, val->line, val->col, "unexpected newline in string");
            if (c == '\\') {
                if (eof(lx))
                    lex_error(lx, val->line, val->col, "unexpected EOF in string");
                readr(lx);
            }
        }
        end = lx->pos - 1;
    } else {
        readr(lx);
        readr(lx);
        body = lx->pos;
        int quotes = 0;
        for (;;) {
            if (eof(lx))
                lex_error(lx, val->line, val->col, "unexpected EOF in string");
            uint32_t c = readr(lx);
            if (c == quote) {
                if (++quotes == 3)
                    break;
            } else {
                quotes = 0;
            }
            if (c == '\\') {
                if (eof(lx))
                    lex_error(lx, val->line, val->col, "unexpected EOF in string");
                readr(lx);
            }
        }
        end = lx->pos - 3;
    }
    val->rawlen = lx->pos - (size_t)(val->raw - lx->src);
    unquote(lx, val, lx->src + body, end - body, raw, isbytes);
    return isbytes ? T_BYTES : T_STRING;
}

/* ---- numbers ---------------------------------------------------------------------------- */

static token scan_number(sl_lexer *lx, sl_tokval *val)
{
    int sline = lx->line, scol = lx->col;
    size_t start = lx->pos;
    bool fraction = false, exponent = false;
    uint32_t c = peek(lx);
    int base = 10;

    if (c == '.') {
        readr(lx);
        if (!is_digit(peek(lx)))
            return T_DOT;
        fraction = true;
    } else if (c == '0') {
        readr(lx);
        c = peek(lx);
        if (c == '.') {
            fraction = true;
        } else if (c == 'x' || c == 'X') {
            readr(lx);
            if (!is_xdigit(peek(lx)))
                lex_error(lx, sline, scol, "invalid hex literal");
            while (is_xdigit(peek(lx)))
                readr(lx);
            base = 16;
        } else if (c == 'o' || c == 'O') {
            readr(lx);
            if (!(peek(lx) >= '0' && peek(lx) <= '7'))
                lex_error(lx, lx->line, lx->col, "invalid octal literal");
            while (peek(lx) >= '0' && peek(lx) <= '7')
                readr(lx);
            base = 8;
        } else if (c == 'b' || c == 'B') {
            readr(lx);
            if (!(peek(lx) == '0' || peek(lx) == '1'))
                lex_error(lx, lx->line, lx->col, "invalid binary literal");
            while (peek(lx) == '0' || peek(lx) == '1')
                readr(lx);
            base = 2;
        } else {
            bool allzeros = true, octal = true;
            while (is_digit(c = peek(lx))) {
                if (c != '0')
                    allzeros = false;
                if (c > '7')
                    octal = false;
                readr(lx);
            }
            if (c == '.')
                fraction = true;
            else if (c == 'e' || c == 'E')
                exponent = true;
            else if (octal && !allzeros)
                sl_syntax_error(lx->diag, lx->line, lx->col, "obsolete form of octal literal; use 0o%.*s",
                                (int)(lx->pos - start - 1), lx->src + start + 1);
        }
    } else {
        while (is_digit(peek(lx)))
            readr(lx);
        c = peek(lx);
        if (c == '.')
            fraction = true;
        else if (c == 'e' || c == 'E')
            exponent = true;
    }
    if (fraction) {
        readr(lx);
        while (is_digit(peek(lx)))
            readr(lx);
        c = peek(lx);
        if (c == 'e' || c == 'E')
            exponent = true;
    }
    if (exponent) {
        readr(lx);
        c = peek(lx);
        if (c == '+' || c == '-') {
            readr(lx);
            if (!is_digit(peek(lx)))
                lex_error(lx, lx->line, lx->col, "invalid float literal");
        }
        while (is_digit(peek(lx)))
            readr(lx);
    }
    size_t n = lx->pos - start;
    val->rawlen = n;
    char tmp[64];
    if (fraction || exponent) {
        if (n >= sizeof tmp)
            lex_error(lx, lx->line, lx->col, "invalid float literal");
        memcpy(tmp, lx->src + start, n);
        tmp[n] = 0;
        errno = 0;
        char *endp;
        val->fval = strtod(tmp, &endp);
        if (errno == ERANGE && (val->fval > 1 || val->fval < -1))
            lex_error(lx, lx->line, lx->col, "invalid float literal");
        return T_FLOAT;
    }
    /* int: digits after an optional 0x/0o/0b prefix, 64 bits */
    const char *d = lx->src + start;
    size_t dn = n;
    if (base != 10) {
        d += 2;
        dn -= 2;
    }
    uint64_t v = 0;
    for (size_t i = 0; i < dn; i++) {
        uint64_t digit = (uint64_t)hexval(d[i]);
        if (v > (UINT64_MAX - digit) / (uint64_t)base) {
            v = UINT64_MAX;
            break;
        }
        v = v * (uint64_t)base + digit;
    }
    if (v > (uint64_t)INT64_MAX) {
        /* starlark-go has big ints; this interpreter's ints are 64-bit */
        lex_error(lx, sline, scol, "int literal out of 64-bit range");
    }
    val->ival = (int64_t)v;
    return T_INT;
}

/* ---- the token loop ------------------------------------------------------------------------ */

token sl_lexer_next(sl_lexer *lx, sl_tokval *val)
{
start:;
    uint32_t c;
    bool blank = false;
    bool saved_line_start = lx->line_start;
    if (lx->line_start) {
        lx->line_start = false;
        int col = 0;
        for (;;) {
            c = peek(lx);
            if (c == ' ') {
                col++;
                readr(lx);
            } else if (c == '\t') {
                col += 8 - (lx->col - 1) % 8;
                readr(lx);
            } else {
                break;
            }
        }
        if (c == '#' || c == '\n' || eof(lx))
            blank = true;
        if (!blank && lx->depth == 0) {
            int cur = lx->indent[lx->nindent - 1];
            if (col > cur) {
                if (lx->nindent >= (int)(sizeof lx->indent / sizeof lx->indent[0]))
                    lex_error(lx, lx->line, lx->col, "too many levels of indentation");
                lx->dents++;
                lx->indent[lx->nindent++] = col;
            } else if (col < cur) {
                while (lx->nindent > 0 && col < lx->indent[lx->nindent - 1]) {
                    lx->dents--;
                    lx->nindent--;
                }
                if (lx->nindent == 0 || col != lx->indent[lx->nindent - 1])
                    lex_error(lx, lx->line, lx->col, "unindent does not match any outer indentation level");
            }
        }
    }

    val->line = lx->line;
    val->col = lx->col;
    val->raw = lx->src + lx->pos;
    val->rawlen = 0;
    if (lx->dents != 0) {
        if (lx->dents < 0) {
            lx->dents++;
            return T_OUTDENT;
        }
        lx->dents--;
        return T_INDENT;
    }

    c = peek(lx);
    while (c == ' ' || c == '\t') {
        readr(lx);
        c = peek(lx);
    }
    if (c == '#') {
        while (!eof(lx) && c != '\n') {
            readr(lx);
            c = peek(lx);
        }
    }
    if (c == '\n' && !eof(lx)) {
        lx->line_start = true;
        if (lx->depth > 0 || blank) {
            readr(lx);
            goto start;
        }
        val->line = lx->line;
        val->col = lx->col;
        val->raw = lx->src + lx->pos;
        readr(lx);
        val->rawlen = 1;
        return T_NEWLINE;
    }
    if (eof(lx)) {
        if (lx->nindent > 1) {
            if (saved_line_start) {
                lx->dents = 1 - lx->nindent;
                lx->nindent = 1;
                goto start;
            }
            lx->line_start = true;
            val->line = lx->line;
            val->col = lx->col;
            return T_NEWLINE;
        }
        val->line = lx->line;
        val->col = lx->col;
        return T_EOF;
    }
    if (c == '\\') {
        readr(lx);
        if (peek(lx) != '\n')
            lex_error(lx, lx->line, lx->col, "stray backslash in program");
        readr(lx);
        goto start;
    }

    val->line = lx->line;
    val->col = lx->col;
    val->raw = lx->src + lx->pos;
    size_t start = lx->pos;

    if (c == ',') {
        readr(lx);
        val->rawlen = 1;
        return T_COMMA;
    }
    if (c == '"' || c == '\'')
        return scan_string(lx, val, false, false);
    if (is_ident_start(c)) {
        uint32_t c1 = peek_at(lx, 1), c2 = peek_at(lx, 2);
        if ((c == 'r' || c == 'b') && (c1 == '"' || c1 == '\'')) {
            readr(lx);
            return scan_string(lx, val, c == 'r', c == 'b');
        }
        if (c == 'r' && c1 == 'b' && (c2 == '"' || c2 == '\'')) {
            readr(lx);
            readr(lx);
            return scan_string(lx, val, true, true);
        }
        while (is_ident(peek(lx)))
            readr(lx);
        val->rawlen = lx->pos - start;
        for (size_t i = 0; i < sizeof keywords / sizeof keywords[0]; i++)
            if (strlen(keywords[i].word) == val->rawlen && memcmp(keywords[i].word, val->raw, val->rawlen) == 0)
                return keywords[i].tok;
        return T_IDENT;
    }
    switch (c) {
    case '[': case '(': case '{':
        lx->depth++;
        readr(lx);
        val->rawlen = 1;
        return c == '[' ? T_LBRACK : c == '(' ? T_LPAREN : T_LBRACE;
    case ']': case ')': case '}':
        if (lx->depth == 0)
            sl_syntax_error(lx->diag, lx->line, lx->col, "unexpected '%c'", (char)c);
        lx->depth--;
        readr(lx);
        val->rawlen = 1;
        return c == ']' ? T_RBRACK : c == ')' ? T_RPAREN : T_RBRACE;
    default:
        break;
    }
    if (is_digit(c) || c == '.')
        return scan_number(lx, val);

    token tok;
    readr(lx);
    uint32_t n1 = peek(lx);
    switch (c) {
    case '=': case '<': case '>': case '!': case '+': case '-': case '%': case '/': case '&': case '|': case '^':
        if (n1 == '=') {
            readr(lx);
            switch (c) {
            case '<': tok = T_LE; break;
            case '>': tok = T_GE; break;
            case '=': tok = T_EQL; break;
            case '!': tok = T_NEQ; break;
            case '+': tok = T_PLUS_EQ; break;
            case '-': tok = T_MINUS_EQ; break;
            case '/': tok = T_SLASH_EQ; break;
            case '%': tok = T_PERCENT_EQ; break;
            case '&': tok = T_AMP_EQ; break;
            case '|': tok = T_PIPE_EQ; break;
            default: tok = T_CIRCUMFLEX_EQ; break;
            }
            break;
        }
        switch (c) {
        case '=': tok = T_EQ; break;
        case '<':
            if (n1 == '<') {
                readr(lx);
                if (peek(lx) == '=') {
                    readr(lx);
                    tok = T_LTLT_EQ;
                } else {
                    tok = T_LTLT;
                }
            } else {
                tok = T_LT;
            }
            break;
        case '>':
            if (n1 == '>') {
                readr(lx);
                if (peek(lx) == '=') {
                    readr(lx);
                    tok = T_GTGT_EQ;
                } else {
                    tok = T_GTGT;
                }
            } else {
                tok = T_GT;
            }
            break;
        case '!':
            lex_error(lx, val->line, val->col, "unexpected input character '!'");
        case '+': tok = T_PLUS; break;
        case '-': tok = T_MINUS; break;
        case '/':
            if (n1 == '/') {
                readr(lx);
                if (peek(lx) == '=') {
                    readr(lx);
                    tok = T_SLASHSLASH_EQ;
                } else {
                    tok = T_SLASHSLASH;
                }
            } else {
                tok = T_SLASH;
            }
            break;
        case '%': tok = T_PERCENT; break;
        case '&': tok = T_AMP; break;
        case '|': tok = T_PIPE; break;
        default: tok = T_CIRCUMFLEX; break;
        }
        break;
    case ':': tok = T_COLON; break;
    case ';': tok = T_SEMI; break;
    case '~': tok = T_TILDE; break;
    case '*':
        if (n1 == '*') {
            readr(lx);
            tok = T_STARSTAR;
        } else if (n1 == '=') {
            readr(lx);
            tok = T_STAR_EQ;
        } else {
            tok = T_STAR;
        }
        break;
    default:
        if (c >= 0x20 && c < 0x7F)
            sl_syntax_error(lx->diag, lx->line, lx->col, "unexpected input character '%c'", (char)c);
        sl_syntax_error(lx->diag, lx->line, lx->col, "unexpected input character %#x", (unsigned)c);
    }
    val->rawlen = lx->pos - start;
    return tok;
}
