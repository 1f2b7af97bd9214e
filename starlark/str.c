/* str: string objects, interning, the byte buffer strings are built in,
 * UTF-8 and the rune classes string methods need, and Starlark quoting.
 *
 * Strings are byte strings holding UTF-8, indexed by byte, as in
 * starlark-go. The rune classes cover ASCII, Latin-1 and the common
 * alphabetic blocks (Latin Extended, Greek, Cyrillic, CJK); check
 * scripts work on ASCII identifiers and versions, so a full Unicode
 * table would be weight without use. */
#include <stdio.h>
#include <stdlib.h>

#include "internal.h"

sl_string *sl_str_alloc(sl_thread *t, size_t len)
{
    if (len > ((size_t)1 << 31)) {
        sl_errorf(t, "string too long (%zu bytes)", len);
        return NULL;
    }
    sl_string *s = sl_alloc(t, SL_STRING, sizeof(sl_string) + len + 1);
    if (!s)
        return NULL;
    s->len = len;
    s->data[len] = 0;
    return s;
}

sl_value sl_str_new(sl_thread *t, const char *p, size_t len)
{
    sl_string *s = sl_str_alloc(t, len);
    if (!s)
        return SL_ERR;
    if (len)
        memcpy(s->data, p, len);
    return sl_mkobj(s);
}

sl_value sl_str_concat(sl_thread *t, sl_value a, sl_value b)
{
    sl_string *x = SL_STR(a), *y = SL_STR(b);
    if (y->len == 0)
        return a;
    if (x->len == 0)
        return b;
    sl_string *s = sl_str_alloc(t, x->len + y->len);
    if (!s)
        return SL_ERR;
    memcpy(s->data, x->data, x->len);
    memcpy(s->data + x->len, y->data, y->len);
    return sl_mkobj(s);
}

/* FNV-1a, never 0 (0 means "not computed"). */
static uint32_t hash_bytes(const char *p, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)p[i]) * 16777619u;
    return h ? h : 1;
}

uint32_t sl_str_hash(sl_string *s)
{
    if (!s->hash)
        s->hash = hash_bytes(s->data, s->len);
    return s->hash;
}

bool sl_str_eqc(sl_value v, const char *s)
{
    size_t n = strlen(s);
    return v.kind == SL_STRING && SL_STR(v)->len == n && memcmp(SL_STR(v)->data, s, n) == 0;
}

/* Interned strings: one object per distinct identifier or constant, so
 * the compiler's names compare by pointer. The table is a root. */
sl_value sl_intern(sl_thread *t, const char *p, size_t len)
{
    uint32_t h = hash_bytes(p, len);
    if (t->intern_len * 2 >= t->intern_cap) {
        size_t cap = t->intern_cap ? t->intern_cap * 2 : 256;
        sl_string **tab = calloc(cap, sizeof *tab);
        if (!tab) {
            sl_errorf(t, "out of memory");
            return SL_ERR;
        }
        for (size_t i = 0; i < t->intern_cap; i++) {
            sl_string *s = t->intern[i];
            if (!s)
                continue;
            size_t j = s->hash & (cap - 1);
            while (tab[j])
                j = (j + 1) & (cap - 1);
            tab[j] = s;
        }
        free(t->intern);
        t->intern = tab;
        t->intern_cap = cap;
    }
    size_t j = h & (t->intern_cap - 1);
    while (t->intern[j]) {
        sl_string *s = t->intern[j];
        if (s->hash == h && s->len == len && memcmp(s->data, p, len) == 0)
            return sl_mkobj(s);
        j = (j + 1) & (t->intern_cap - 1);
    }
    sl_value v = sl_str_new(t, p, len);
    if (sl_is_error(v))
        return v;
    SL_STR(v)->hash = h;
    SL_STR(v)->h.flags |= SL_OBJ_INTERNED;
    SL_STR(v)->h.frozen = 1;
    t->intern[j] = SL_STR(v);
    t->intern_len++;
    return v;
}

/* ---- buffer ----------------------------------------------------------------- */

static bool buf_grow(sl_buf *b, size_t n)
{
    if (b->oom)
        return false;
    if (b->len + n + 1 <= b->cap)
        return true;
    if (!b->p && b->len + n + 1 <= sizeof b->inl) {
        b->p = b->inl;
        b->cap = sizeof b->inl;
        return true;
    }
    size_t cap = b->cap ? b->cap : 64;
    while (cap < b->len + n + 1)
        cap *= 2;
    char *p;
    if (b->p == b->inl) {
        p = malloc(cap);
        if (p)
            memcpy(p, b->inl, b->len + 1);
    } else {
        p = realloc(b->p, cap);
    }
    if (!p) {
        b->oom = true;
        return false;
    }
    b->p = p;
    b->cap = cap;
    return true;
}

void sl_buf_put(sl_buf *b, const char *s, size_t n)
{
    if (!buf_grow(b, n))
        return;
    if (n)
        memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = 0;
}

void sl_buf_putc(sl_buf *b, char c) { sl_buf_put(b, &c, 1); }

void sl_buf_puts(sl_buf *b, const char *s) { sl_buf_put(b, s, strlen(s)); }

void sl_buf_printf(sl_buf *b, const char *fmt, ...)
{
    char tmp[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n < sizeof tmp) {
        sl_buf_put(b, tmp, (size_t)n);
        return;
    }
    if (!buf_grow(b, (size_t)n))
        return;
    va_start(ap, fmt);
    vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void sl_buf_int(sl_buf *b, int64_t i)
{
    char tmp[24];
    char *p = tmp + sizeof tmp;
    uint64_t u = i < 0 ? (uint64_t)0 - (uint64_t)i : (uint64_t)i;
    do {
        *--p = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (i < 0)
        *--p = '-';
    sl_buf_put(b, p, (size_t)(tmp + sizeof tmp - p));
}

void sl_buf_rune(sl_buf *b, uint32_t r)
{
    char tmp[4];
    sl_buf_put(b, tmp, (size_t)sl_utf8_encode(r, tmp));
}

sl_value sl_buf_finish(sl_thread *t, sl_buf *b)
{
    if (b->oom) {
        sl_buf_free(b);
        return sl_errorf(t, "out of memory");
    }
    sl_value v = sl_str_new(t, b->p ? b->p : "", b->len);
    sl_buf_free(b);
    return v;
}

void sl_buf_free(sl_buf *b)
{
    if (b->p != b->inl)
        free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

char *sl_buf_take(sl_buf *b)
{
    char *s;
    if (b->oom)
        s = NULL;
    else if (!b->p)
        s = strdup("");
    else if (b->p == b->inl)
        s = strdup(b->inl);
    else {
        s = b->p;
        b->p = NULL;
    }
    sl_buf_free(b);
    return s;
}

/* ---- UTF-8 -------------------------------------------------------------------- */

uint32_t sl_utf8_decode(const char *s, size_t n, int *size)
{
    const unsigned char *p = (const unsigned char *)s;
    *size = 1;
    if (n == 0)
        return 0xFFFD;
    unsigned c = p[0];
    if (c < 0x80)
        return c;
    int need;
    uint32_t r, min;
    if (c >= 0xC2 && c <= 0xDF) {
        need = 1, r = c & 0x1F, min = 0x80;
    } else if (c >= 0xE0 && c <= 0xEF) {
        need = 2, r = c & 0x0F, min = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {
        need = 3, r = c & 0x07, min = 0x10000;
    } else {
        return 0xFFFD;
    }
    if ((size_t)need >= n)
        return 0xFFFD;
    for (int i = 1; i <= need; i++) {
        if ((p[i] & 0xC0) != 0x80)
            return 0xFFFD;
        r = (r << 6) | (p[i] & 0x3F);
    }
    if (r < min || r > 0x10FFFF || (r >= 0xD800 && r < 0xE000))
        return 0xFFFD;
    *size = need + 1;
    return r;
}

uint32_t sl_utf8_decode_last(const char *s, size_t n, int *size)
{
    if (n == 0) {
        *size = 0;
        return 0xFFFD;
    }
    size_t start = n - 1;
    /* back over at most 3 continuation bytes */
    while (start > 0 && n - start < 4 && ((unsigned char)s[start] & 0xC0) == 0x80)
        start--;
    int sz;
    uint32_t r = sl_utf8_decode(s + start, n - start, &sz);
    if ((size_t)sz != n - start) {
        *size = 1;
        return 0xFFFD;
    }
    *size = sz;
    return r;
}

int sl_utf8_encode(uint32_t r, char out[4])
{
    if (r > 0x10FFFF || (r >= 0xD800 && r < 0xE000))
        r = 0xFFFD;
    if (r < 0x80) {
        out[0] = (char)r;
        return 1;
    }
    if (r < 0x800) {
        out[0] = (char)(0xC0 | (r >> 6));
        out[1] = (char)(0x80 | (r & 0x3F));
        return 2;
    }
    if (r < 0x10000) {
        out[0] = (char)(0xE0 | (r >> 12));
        out[1] = (char)(0x80 | ((r >> 6) & 0x3F));
        out[2] = (char)(0x80 | (r & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (r >> 18));
    out[1] = (char)(0x80 | ((r >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((r >> 6) & 0x3F));
    out[3] = (char)(0x80 | (r & 0x3F));
    return 4;
}

size_t sl_utf8_count(const char *s, size_t n)
{
    size_t count = 0;
    for (size_t i = 0; i < n;) {
        int sz;
        sl_utf8_decode(s + i, n - i, &sz);
        i += (size_t)sz;
        count++;
    }
    return count;
}

/* ---- rune classes ---------------------------------------------------------------- */

bool sl_rune_isspace(uint32_t r)
{
    switch (r) {
    case '\t': case '\n': case '\v': case '\f': case '\r': case ' ':
    case 0x85: case 0xA0: case 0x1680: case 0x2028: case 0x2029:
    case 0x202F: case 0x205F: case 0x3000:
        return true;
    default:
        return r >= 0x2000 && r <= 0x200A;
    }
}

bool sl_rune_isdigit(uint32_t r)
{
    if (r < 0x80)
        return r >= '0' && r <= '9';
    /* a few decimal-digit blocks: Arabic-Indic, Devanagari, fullwidth */
    return (r >= 0x660 && r <= 0x669) || (r >= 0x6F0 && r <= 0x6F9) || (r >= 0x966 && r <= 0x96F) ||
           (r >= 0xFF10 && r <= 0xFF19);
}

/* Simple case pairs: Latin-1, Latin Extended-A (alternating), Greek and
 * Cyrillic basic blocks. */
bool sl_rune_isupper(uint32_t r)
{
    if (r < 0x80)
        return r >= 'A' && r <= 'Z';
    if (r >= 0xC0 && r <= 0xDE)
        return r != 0xD7;
    if (r >= 0x100 && r <= 0x17F && r != 0x130 && r != 0x131 && r != 0x138 && r != 0x149 && r != 0x17F) {
        /* pairs: even upper below 0x138, odd upper from 0x139 to 0x148,
         * even upper from 0x14A */
        if (r < 0x138)
            return r % 2 == 0;
        if (r < 0x149)
            return r % 2 == 1;
        if (r < 0x178)
            return r % 2 == 0;
        return r == 0x178 || r == 0x179 || r == 0x17B || r == 0x17D;
    }
    if (r >= 0x391 && r <= 0x3AB)
        return r != 0x3A2;
    if (r >= 0x400 && r <= 0x42F)
        return true;
    return false;
}

bool sl_rune_islower(uint32_t r)
{
    if (r < 0x80)
        return r >= 'a' && r <= 'z';
    if (r == 0xB5)
        return true;
    if (r >= 0xDF && r <= 0xFF)
        return r != 0xF7;
    if (r >= 0x100 && r <= 0x17F)
        return !sl_rune_isupper(r) && r != 0x130;
    if (r >= 0x3AC && r <= 0x3CE)
        return true;
    if (r >= 0x430 && r <= 0x45F)
        return true;
    return false;
}

uint32_t sl_rune_toupper(uint32_t r)
{
    if (r < 0x80)
        return (r >= 'a' && r <= 'z') ? r - 32 : r;
    if (r == 0xFF)
        return 0x178;
    if (r >= 0xE0 && r <= 0xFE && r != 0xF7)
        return r - 32;
    if (r >= 0x100 && r <= 0x17F) {
        if (r == 0x131)
            return 'I';
        if (r == 0x17F)
            return 'S';
        if (sl_rune_islower(r) && r != 0x138 && r != 0x149)
            return r - 1; /* each pair is (upper, upper + 1) */
        return r;
    }
    if (r >= 0x3B1 && r <= 0x3CB && r != 0x3C2)
        return r - 32;
    if (r >= 0x430 && r <= 0x44F)
        return r - 32;
    if (r >= 0x450 && r <= 0x45F)
        return r - 80;
    return r;
}

uint32_t sl_rune_tolower(uint32_t r)
{
    if (r < 0x80)
        return (r >= 'A' && r <= 'Z') ? r + 32 : r;
    if (r >= 0xC0 && r <= 0xDE && r != 0xD7)
        return r + 32;
    if (r == 0x178)
        return 0xFF;
    if (r >= 0x100 && r <= 0x17F) {
        if (r == 0x130)
            return 'i';
        if (sl_rune_isupper(r))
            return r + 1;
        return r;
    }
    if (r >= 0x391 && r <= 0x3AB && r != 0x3A2)
        return r + 32;
    if (r >= 0x410 && r <= 0x42F)
        return r + 32;
    if (r >= 0x400 && r <= 0x40F)
        return r + 80;
    return r;
}

bool sl_rune_isletter(uint32_t r)
{
    if (r < 0x80)
        return (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z');
    if (r == 0xAA || r == 0xB5 || r == 0xBA)
        return true;
    if (r >= 0xC0 && r <= 0xFF)
        return r != 0xD7 && r != 0xF7;
    return (r >= 0x100 && r <= 0x2AF) || (r >= 0x370 && r <= 0x3FF && r != 0x37E && r != 0x387) ||
           (r >= 0x400 && r <= 0x52F && !(r >= 0x482 && r <= 0x489)) || (r >= 0x5D0 && r <= 0x5EA) ||
           (r >= 0x620 && r <= 0x64A) || (r >= 0x3041 && r <= 0x3096) || (r >= 0x30A1 && r <= 0x30FA) ||
           (r >= 0x4E00 && r <= 0x9FFF) || (r >= 0xAC00 && r <= 0xD7A3);
}

bool sl_rune_isprint(uint32_t r)
{
    if (r < 0x20 || r == 0x7F)
        return false;
    if (r >= 0x80 && r < 0xA0)
        return false;
    if (r == 0xAD) /* soft hyphen: a format character */
        return false;
    if (r >= 0xD800 && r < 0xE000)
        return false;
    if (r == 0xFFFD)
        return true;
    if ((r >= 0x2000 && r <= 0x200F) || (r >= 0x2028 && r <= 0x202F) || (r >= 0x205F && r <= 0x206F) ||
        r == 0xFEFF || r == 0x1680 || r == 0x3000)
        return false;
    if ((r & 0xFFFE) == 0xFFFE || r > 0x10FFFF)
        return false;
    if (r >= 0xE000 && r <= 0xF8FF) /* private use */
        return false;
    return true;
}

/* ---- quoting ------------------------------------------------------------------------ */

/* The literal denoting s, as starlark-go's syntax.Quote: double quotes,
 * \" and \\, the C escapes for control characters, \xNN for other
 * control bytes and invalid UTF-8, printable runes as they are. */
void sl_quote(sl_buf *b, const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    sl_buf_putc(b, '"');
    size_t i = 0;
    while (i < len) {
        size_t run = i;
        /* copy plain printable ASCII in runs */
        while (run < len && (unsigned char)s[run] >= 0x20 && (unsigned char)s[run] < 0x7F && s[run] != '"' &&
               s[run] != '\\')
            run++;
        if (run > i) {
            sl_buf_put(b, s + i, run - i);
            i = run;
            continue;
        }
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            char esc[2] = {'\\', (char)c};
            sl_buf_put(b, esc, 2);
            i++;
            continue;
        }
        int sz = 1;
        uint32_t r = c;
        if (c >= 0x80) {
            r = sl_utf8_decode(s + i, len - i, &sz);
            if (sz == 1) {
                char esc[4] = {'\\', 'x', hex[c >> 4], hex[c & 15]};
                sl_buf_put(b, esc, 4);
                i++;
                continue;
            }
        }
        if (sl_rune_isprint(r)) {
            sl_buf_put(b, s + i, (size_t)sz);
            i += (size_t)sz;
            continue;
        }
        switch (r) {
        case '\a': sl_buf_puts(b, "\\a"); break;
        case '\b': sl_buf_puts(b, "\\b"); break;
        case '\f': sl_buf_puts(b, "\\f"); break;
        case '\n': sl_buf_puts(b, "\\n"); break;
        case '\r': sl_buf_puts(b, "\\r"); break;
        case '\t': sl_buf_puts(b, "\\t"); break;
        case '\v': sl_buf_puts(b, "\\v"); break;
        default:
            if (r < 0x20 || r == 0x7F) {
                char esc[4] = {'\\', 'x', hex[r >> 4], hex[r & 15]};
                sl_buf_put(b, esc, 4);
            } else if (r < 0x10000) {
                sl_buf_printf(b, "\\u%04x", (unsigned)r);
            } else {
                sl_buf_printf(b, "\\U%08x", (unsigned)r);
            }
        }
        i += (size_t)sz;
    }
    sl_buf_putc(b, '"');
}
