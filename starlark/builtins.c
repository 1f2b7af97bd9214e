/* builtins: the universal functions (len, range, sorted, ...), argument
 * unpacking with starlark-go's messages, and the method tables of the
 * built-in types. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "internal.h"

/* ---- argument unpacking --------------------------------------------------------------------- */

int sl_check_args(sl_thread *t, const sl_callinfo *c, int min, int max)
{
    if (c->nkw > 0) {
        sl_errorf(t, "%s: unexpected keyword arguments", c->name);
        return -1;
    }
    if (c->nargs < min) {
        sl_errorf(t, "%s: got %d arguments, want %s%d", c->name, c->nargs, min < max ? "at least " : "", min);
        return -1;
    }
    if (c->nargs > max) {
        sl_errorf(t, "%s: got %d arguments, want %s%d", c->name, c->nargs, max > min ? "at most " : "", max);
        return -1;
    }
    return 0;
}

int sl_unpack_args(sl_thread *t, const sl_callinfo *c, const char *const *names, int n, sl_value *out)
{
    for (int i = 0; i < n; i++)
        out[i] = SL_ERR;
    if (c->nargs > n) {
        sl_errorf(t, "%s: got %d arguments, want at most %d", c->name, c->nargs, n);
        return -1;
    }
    for (int i = 0; i < c->nargs; i++)
        out[i] = c->args[i];
    for (int k = 0; k < c->nkw; k++) {
        sl_string *kn = SL_STR(c->kw[2 * k]);
        int found = -1;
        for (int i = 0; i < n && found < 0; i++) {
            size_t len = strlen(names[i]);
            if (names[i][len - 1] == '?')
                len--;
            if (kn->len == len && memcmp(kn->data, names[i], len) == 0)
                found = i;
        }
        if (found < 0) {
            const char *cands[16];
            char buf[16][32];
            int nc = 0;
            for (int i = 0; i < n && i < 16; i++) {
                snprintf(buf[i], sizeof buf[i], "%s", names[i]);
                size_t len = strlen(buf[i]);
                if (len && buf[i][len - 1] == '?')
                    buf[i][len - 1] = 0;
                cands[nc++] = buf[i];
            }
            const char *hint = sl_nearest(kn->data, cands, (size_t)nc);
            if (hint)
                sl_errorf(t, "%s: unexpected keyword argument %s (did you mean %s?)", c->name, kn->data, hint);
            else
                sl_errorf(t, "%s: unexpected keyword argument %s", c->name, kn->data);
            return -1;
        }
        if (out[found].kind != SL_INVALID) {
            sl_errorf(t, "%s: got multiple values for keyword argument %s", c->name, kn->data);
            return -1;
        }
        out[found] = c->kw[2 * k + 1];
    }
    for (int i = 0; i < n; i++) {
        size_t len = strlen(names[i]);
        if (names[i][len - 1] == '?')
            break;
        if (out[i].kind == SL_INVALID) {
            sl_errorf(t, "%s: missing argument for %s", c->name, names[i]);
            return -1;
        }
    }
    return 0;
}

/* ---- method tables ------------------------------------------------------------------------------ */

const sl_method *sl_methods_of(sl_kind kind)
{
    switch (kind) {
    case SL_STRING: return sl_str_methods;
    case SL_LIST: return sl_list_methods;
    case SL_DICT: return sl_dict_methods;
    case SL_SET: return sl_set_methods;
    default: return NULL;
    }
}

int sl_method_find(sl_kind kind, const char *name, size_t len)
{
    const sl_method *m = sl_methods_of(kind);
    if (!m)
        return -1;
    int lo = 0, hi = 0;
    while (m[hi].name)
        hi++;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        int c = strncmp(m[mid].name, name, len);
        if (c == 0 && m[mid].name[len] != 0)
            c = 1;
        if (c == 0)
            return mid;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

sl_value sl_builtin_bound(sl_thread *t, const char *name, sl_cfunc fn, sl_value self)
{
    sl_builtinobj *b = sl_alloc(t, SL_BUILTIN, sizeof(sl_builtinobj));
    if (!b)
        return SL_ERR;
    b->name = name;
    b->fn = fn;
    b->self = self;
    return sl_mkobj(b);
}

/* ---- helpers ---------------------------------------------------------------------------------------- */

static int want_iterable(sl_thread *t, const sl_callinfo *c, int i)
{
    if (!sl_iterable(c->args[i])) {
        sl_errorf(t, "%s: for parameter %d: got %s, want iterable", c->name, i + 1, sl_kind_name(c->args[i]));
        return -1;
    }
    return 0;
}

static int want_int(sl_thread *t, const sl_callinfo *c, int i, int64_t *out)
{
    if (c->args[i].kind != SL_INT) {
        sl_errorf(t, "%s: for parameter %d: got %s, want int", c->name, i + 1, sl_kind_name(c->args[i]));
        return -1;
    }
    *out = c->args[i].u.i;
    return 0;
}

/* ---- the functions ------------------------------------------------------------------------------------ */

static sl_value bi_abs(sl_thread *t, const sl_callinfo *c)
{
    if (sl_check_args(t, c, 1, 1) < 0)
        return SL_ERR;
    sl_value x = c->args[0];
    if (x.kind == SL_FLOAT)
        return sl_mkfloat(fabs(x.u.f));
    if (x.kind == SL_INT) {
        if (x.u.i == INT64_MIN)
            return sl_errorf(t, "integer overflow");
        return sl_mkint(x.u.i < 0 ? -x.u.i : x.u.i);
    }
    return sl_errorf(t, "got %s, want int or float", sl_kind_name(x));
}

static sl_value any_all(sl_thread *t, const sl_callinfo *c, bool want)
{
    if (sl_check_args(t, c, 1, 1) < 0 || want_iterable(t, c, 0) < 0)
        return SL_ERR;
    sl_iter it;
    sl_iter_start(t, &it, c->args[0]);
    sl_value v;
    while (sl_iter_next(t, &it, &v)) {
        if (sl_truthy(v) == want) {
            sl_iter_done(&it);
            return sl_mkbool(want);
        }
    }
    sl_iter_done(&it);
    if (it.err)
        return SL_ERR;
    return sl_mkbool(!want);
}

static sl_value bi_all(sl_thread *t, const sl_callinfo *c) { return any_all(t, c, false); }
static sl_value bi_any(sl_thread *t, const sl_callinfo *c) { return any_all(t, c, true); }

static sl_value bi_bool(sl_thread *t, const sl_callinfo *c)
{
    if (sl_check_args(t, c, 0, 1) < 0)
        return SL_ERR;
    return sl_mkbool(c->nargs && sl_truthy(c->args[0]));
}

static sl_value bi_chr(sl_thread *t, const sl_callinfo *c)
{
    if (c->nkw > 0)
        return sl_errorf(t, "chr does not accept keyword arguments");
    if (c->nargs != 1)
        return sl_errorf(t, "chr: got %d arguments, want 1", c->nargs);
    int64_t i;
    if (sl_as_int32(t, c->args[0], &i) < 0) {
        sl_error_prefix(t, "chr");
        return SL_ERR;
    }
    if (i < 0)
        return sl_errorf(t, "chr: Unicode code point %lld out of range (<0)", (long long)i);
    if (i > 0x10FFFF)
        return sl_errorf(t, "chr: Unicode code point U+%llX out of range (>0x10FFFF)", (long long)i);
    char buf[4];
    return sl_str_new(t, buf, (size_t)sl_utf8_encode((uint32_t)i, buf));
}

static sl_value bi_dict(sl_thread *t, const sl_callinfo *c)
{
    if (c->nargs > 1)
        return sl_errorf(t, "dict: got %d arguments, want at most 1", c->nargs);
    sl_value d = sl_dict_alloc(t, SL_DICT);
    if (sl_is_error(d))
        return d;
    if (sl_dict_update(t, SL_DICT_(d), c->args, c->nargs, c->kw, c->nkw) < 0) {
        sl_error_prefix(t, "dict");
        return SL_ERR;
    }
    return d;
}

static sl_value bi_dir(sl_thread *t, const sl_callinfo *c)
{
    if (c->nkw > 0)
        return sl_errorf(t, "dir does not accept keyword arguments");
    if (c->nargs != 1)
        return sl_errorf(t, "dir: got %d arguments, want 1", c->nargs);
    sl_value list = sl_list_from(t, NULL, 0);
    if (sl_is_error(list))
        return list;
    const sl_method *m = sl_methods_of((sl_kind)c->args[0].kind);
    for (; m && m->name; m++) {
        sl_value s = sl_str_new(t, m->name, strlen(m->name));
        if (sl_is_error(s) || sl_list_push(t, SL_LIST_(list), s) < 0)
            return SL_ERR;
    }
    return list;
}

static sl_value bi_enumerate(sl_thread *t, const sl_callinfo *c)
{
    if (sl_check_args(t, c, 1, 2) < 0 || want_iterable(t, c, 0) < 0)
        return SL_ERR;
    int64_t start = 0;
    if (c->nargs > 1 && want_int(t, c, 1, &start) < 0)
        return SL_ERR;
    sl_value list = sl_list_from(t, NULL, 0);
    if (sl_is_error(list))
        return list;
    sl_iter it;
    sl_iter_start(t, &it, c->args[0]);
    sl_value v;
    for (int64_t i = start; sl_iter_next(t, &it, &v); i++) {
        sl_value pair = sl_tuple_alloc(t, 2);
        if (sl_is_error(pair) || sl_list_push(t, SL_LIST_(list), pair) < 0) {
            sl_iter_done(&it);
            return SL_ERR;
        }
        SL_TUPLE_(pair)->items[0] = sl_mkint(i);
        SL_TUPLE_(pair)->items[1] = v;
    }
    sl_iter_done(&it);
    return it.err ? SL_ERR : list;
}

/* The message of print and fail: strings as they are, others as repr. */
static sl_value join_args(sl_thread *t, const sl_callinfo *c, const char *prefix)
{
    sl_value sep = SL_ERR;
    for (int k = 0; k < c->nkw; k++) {
        if (!sl_str_eqc(c->kw[2 * k], "sep")) {
            const char *hint = sl_nearest(SL_STR(c->kw[2 * k])->data, (const char *const[]){"sep"}, 1);
            if (hint)
                return sl_errorf(t, "%s: unexpected keyword argument %s (did you mean %s?)", c->name,
                                 SL_STR(c->kw[2 * k])->data, hint);
            return sl_errorf(t, "%s: unexpected keyword argument %s", c->name, SL_STR(c->kw[2 * k])->data);
        }
        if (sep.kind != SL_INVALID)
            return sl_errorf(t, "%s: got multiple values for keyword argument sep", c->name);
        sep = c->kw[2 * k + 1];
        if (sep.kind != SL_STRING)
            return sl_errorf(t, "%s: for parameter sep: got %s, want string", c->name, sl_kind_name(sep));
    }
    sl_buf b = {0};
    sl_buf_puts(&b, prefix);
    for (int i = 0; i < c->nargs; i++) {
        if (i > 0) {
            if (sep.kind == SL_STRING)
                sl_buf_put(&b, SL_STR(sep)->data, SL_STR(sep)->len);
            else
                sl_buf_putc(&b, ' ');
        }
        sl_write_value(&b, c->args[i], false);
    }
    return sl_buf_finish(t, &b);
}

static sl_value bi_fail(sl_thread *t, const sl_callinfo *c)
{
    sl_value msg = join_args(t, c, "fail: ");
    if (sl_is_error(msg))
        return msg;
    return sl_errorf(t, "%s", SL_STR(msg)->data);
}

static sl_value bi_print(sl_thread *t, const sl_callinfo *c)
{
    sl_value msg = join_args(t, c, "");
    if (sl_is_error(msg))
        return msg;
    if (t->opts.print)
        t->opts.print(t->opts.print_ud, SL_STR(msg)->data, SL_STR(msg)->len);
    return SL_NONEV;
}

static bool eqfold(const char *a, size_t n, const char *b)
{
    if (strlen(b) != n)
        return false;
    for (size_t i = 0; i < n; i++) {
        char x = a[i] >= 'A' && a[i] <= 'Z' ? (char)(a[i] + 32) : a[i];
        if (x != b[i])
            return false;
    }
    return true;
}

/* Go's ParseFloat syntax: decimal with optional exponent, hex floats,
 * inf/nan handled by the caller; underscores only between digits. */
static bool parse_float(const char *s, size_t n, double *out, bool *range)
{
    char tmp[512];
    size_t o = 0;
    if (n == 0 || n >= sizeof tmp)
        return false;
    size_t i = 0;
    if (s[i] == '+' || s[i] == '-')
        tmp[o++] = s[i++];
    bool digits = false, dot = false;
    for (; i < n; i++) {
        char ch = s[i];
        if (ch >= '0' && ch <= '9') {
            digits = true;
        } else if (ch == '.' && !dot) {
            dot = true;
        } else if ((ch == 'e' || ch == 'E') && digits) {
            tmp[o++] = ch;
            i++;
            if (i < n && (s[i] == '+' || s[i] == '-'))
                tmp[o++] = s[i++];
            if (i >= n)
                return false;
            for (; i < n; i++) {
                if (s[i] < '0' || s[i] > '9')
                    return false;
                tmp[o++] = s[i];
            }
            break;
        } else {
            return false;
        }
        tmp[o++] = ch;
    }
    if (!digits)
        return false;
    tmp[o] = 0;
    errno = 0;
    char *end;
    double v = strtod(tmp, &end);
    if (*end != 0)
        return false;
    *range = errno == ERANGE && isinf(v);
    *out = v;
    return true;
}

static sl_value bi_float(sl_thread *t, const sl_callinfo *c)
{
    if (c->nkw > 0)
        return sl_errorf(t, "float does not accept keyword arguments");
    if (c->nargs == 0)
        return sl_mkfloat(0);
    if (c->nargs != 1)
        return sl_errorf(t, "float got %d arguments, wants 1", c->nargs);
    sl_value x = c->args[0];
    switch ((sl_kind)x.kind) {
    case SL_BOOL: return sl_mkfloat(x.u.i ? 1.0 : 0.0);
    case SL_INT: return sl_mkfloat((double)x.u.i);
    case SL_FLOAT: return x;
    case SL_STRING: {
        sl_string *s = SL_STR(x);
        if (s->len == 0)
            return sl_errorf(t, "float: empty string");
        const char *p = s->data;
        size_t n = s->len;
        if (eqfold(p, n, "inf") || eqfold(p, n, "+inf") || eqfold(p, n, "infinity") || eqfold(p, n, "+infinity"))
            return sl_mkfloat(INFINITY);
        if (eqfold(p, n, "-inf") || eqfold(p, n, "-infinity"))
            return sl_mkfloat(-INFINITY);
        if (eqfold(p, n, "nan") || eqfold(p, n, "+nan") || eqfold(p, n, "-nan"))
            return sl_mkfloat(NAN);
        double v;
        bool range = false;
        if (!parse_float(p, n, &v, &range))
            return sl_errorf(t, "invalid float literal: %s", p);
        if (range)
            return sl_errorf(t, "floating-point number too large");
        return sl_mkfloat(v);
    }
    default:
        return sl_errorf(t, "float got %s, want number or string", sl_kind_name(x));
    }
}

static sl_value bi_getattr(sl_thread *t, const sl_callinfo *c)
{
    if (sl_check_args(t, c, 2, 3) < 0)
        return SL_ERR;
    if (c->args[1].kind != SL_STRING)
        return sl_errorf(t, "getattr: for parameter 2: got %s, want string", sl_kind_name(c->args[1]));
    sl_value x = c->args[0];
    sl_string *name = SL_STR(c->args[1]);
    int i = sl_method_find((sl_kind)x.kind, name->data, name->len);
    if (i >= 0) {
        const sl_method *m = &sl_methods_of((sl_kind)x.kind)[i];
        return sl_builtin_bound(t, m->name, m->fn, x);
    }
    if (c->nargs == 3)
        return c->args[2];
    return sl_errorf(t, "getattr: %s has no .%s field or method", sl_kind_name(x), name->data);
}

static sl_value bi_hasattr(sl_thread *t, const sl_callinfo *c)
{
    if (sl_check_args(t, c, 2, 2) < 0)
        return SL_ERR;
    if (c->args[1].kind != SL_STRING)
        return sl_errorf(t, "hasattr: for parameter 2: got %s, want string", sl_kind_name(c->args[1]));
    sl_string *name = SL_STR(c->args[1]);
    return sl_mkbool(sl_method_find((sl_kind)c->args[0].kind, name->data, name->len) >= 0);
}

/* java.lang.String.hashCode over the UTF-16 encoding, as the spec asks */
static sl_value bi_hash(sl_thread *t, const sl_callinfo *c)
{
    if (sl_check_args(t, c, 1, 1) < 0)
        return SL_ERR;
    if (c->args[0].kind != SL_STRING)
        return sl_errorf(t, "hash: got %s, want string or bytes", sl_kind_name(c->args[0]));
    sl_string *s = SL_STR(c->args[0]);
    uint32_t h = 0;
    for (size_t i = 0; i < s->len;) {
        int sz;
        uint32_t r = sl_utf8_decode(s->data + i, s->len - i, &sz);
        i += (size_t)sz;
        if (r >= 0x10000) {
            r -= 0x10000;
            h = 31 * h + (0xD800 + (r >> 10));
            h = 31 * h + (0xDC00 + (r & 0x3FF));
        } else {
            h = 31 * h + r;
        }
    }
    return sl_mkint((int32_t)h);
}

/* int(string, base) as starlark-go's parseInt: sign, optional 0x/0o/0b
 * prefix (base 0 infers it, and rejects leading zeros), digits. */
static sl_value parse_int(sl_thread *t, sl_string *str, int base)
{
    const char *s = str->data;
    size_t n = str->len;
    int orig_base = base;
    bool neg = false;
    if (n > 0 && (s[0] == '+' || s[0] == '-')) {
        neg = s[0] == '-';
        s++;
        n--;
    }
    int prefix = 0;
    if (n > 1 && s[0] == '0') {
        if (n > 2) {
            switch (s[1]) {
            case 'o': case 'O': prefix = 8; break;
            case 'x': case 'X': prefix = 16; break;
            case 'b': case 'B': prefix = 2; break;
            default: break;
            }
        }
        if (prefix) {
            if (base == 0 || prefix == base) {
                base = prefix;
                s += 2;
                n -= 2;
            }
        } else if (base == 0) {
            for (size_t i = 1; i < n; i++)
                if (s[i] != '0')
                    goto invalid;
            return sl_mkint(0);
        }
    }
    if (base == 0)
        base = 10;
    if (n == 0)
        goto invalid;
    uint64_t v = 0;
    bool over = false;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        int d;
        if (ch >= '0' && ch <= '9')
            d = ch - '0';
        else if (ch >= 'a' && ch <= 'z')
            d = ch - 'a' + 10;
        else if (ch >= 'A' && ch <= 'Z')
            d = ch - 'A' + 10;
        else if (ch == '_' && orig_base == 0 && i > 0 && i + 1 < n && s[i - 1] != '_')
            continue; /* Go's base-0 underscores */
        else
            goto invalid;
        if (d >= base)
            goto invalid;
        if (v > (UINT64_MAX - (uint64_t)d) / (uint64_t)base)
            over = true;
        else
            v = v * (uint64_t)base + (uint64_t)d;
    }
    if (over || v > (uint64_t)INT64_MAX + (neg ? 1u : 0u))
        return sl_errorf(t, "int: integer overflow");
    return sl_mkint(neg ? (int64_t)(0 - v) : (int64_t)v);
invalid:
    return sl_errorf(t, "int: invalid literal with base %d: %s", orig_base, str->data);
}

static sl_value bi_int(sl_thread *t, const sl_callinfo *c)
{
    static const char *const names[] = {"x", "base?"};
    sl_value a[2];
    if (sl_unpack_args(t, c, names, 2, a) < 0)
        return SL_ERR;
    sl_value x = a[0], base = a[1];
    if (x.kind == SL_STRING) {
        int b = 10;
        if (base.kind != SL_INVALID) {
            int64_t bb;
            if (base.kind != SL_INT || base.u.i < INT32_MIN || base.u.i > INT32_MAX)
                return sl_errorf(t, "int: for base, got %s, want int", sl_kind_name(base));
            bb = base.u.i;
            if (bb != 0 && (bb < 2 || bb > 36))
                return sl_errorf(t, "int: base must be an integer >= 2 && <= 36");
            b = (int)bb;
        }
        return parse_int(t, SL_STR(x), b);
    }
    if (base.kind != SL_INVALID)
        return sl_errorf(t, "int: can't convert non-string with explicit base");
    switch ((sl_kind)x.kind) {
    case SL_BOOL: return sl_mkint(x.u.i);
    case SL_INT: return x;
    case SL_FLOAT:
        if (isinf(x.u.f))
            return sl_errorf(t, "int: cannot convert float infinity to integer");
        if (isnan(x.u.f))
            return sl_errorf(t, "int: cannot convert float NaN to integer");
        if (x.u.f >= 9223372036854775808.0 || x.u.f < -9223372036854775808.0)
            return sl_errorf(t, "int: integer overflow");
        return sl_mkint((int64_t)x.u.f);
    default:
        return sl_errorf(t, "int: cannot convert %s to int", sl_kind_name(x));
    }
}

static sl_value bi_len(sl_thread *t, const sl_callinfo *c)
{
    if (sl_check_args(t, c, 1, 1) < 0)
        return SL_ERR;
    long n = sl_length(c->args[0]);
    if (n < 0)
        return sl_errorf(t, "len: value of type %s has no len", sl_kind_name(c->args[0]));
    return sl_mkint(n);
}

static sl_value bi_list(sl_thread *t, const sl_callinfo *c)
{
    if (sl_check_args(t, c, 0, 1) < 0)
        return SL_ERR;
    if (c->nargs == 0)
        return sl_list_from(t, NULL, 0);
    if (want_iterable(t, c, 0) < 0)
        return SL_ERR;
    return sl_list_of_iterable(t, c->args[0]);
}

static sl_value minmax(sl_thread *t, const sl_callinfo *c, int op)
{
    if (c->nargs == 0)
        return sl_errorf(t, "%s requires at least one positional argument", c->name);
    sl_value key = SL_ERR;
    for (int k = 0; k < c->nkw; k++) {
        if (!sl_str_eqc(c->kw[2 * k], "key"))
            return sl_errorf(t, "%s: unexpected keyword argument %s", c->name, SL_STR(c->kw[2 * k])->data);
        key = c->kw[2 * k + 1];
        if (key.kind != SL_FUNCTION && key.kind != SL_BUILTIN)
            return sl_errorf(t, "%s: for parameter key: got %s, want callable", c->name, sl_kind_name(key));
    }
    sl_value src;
    sl_value tmp = SL_ERR;
    if (c->nargs == 1) {
        src = c->args[0];
        if (!sl_iterable(src))
            return sl_errorf(t, "%s: %s value is not iterable", c->name, sl_kind_name(src));
    } else {
        tmp = sl_tuple_alloc(t, (size_t)c->nargs);
        if (sl_is_error(tmp))
            return tmp;
        memcpy(SL_TUPLE_(tmp)->items, c->args, (size_t)c->nargs * sizeof(sl_value));
        src = tmp;
    }
    sl_iter it;
    sl_iter_start(t, &it, src);
    sl_value best, bestkey, v;
    if (!sl_iter_next(t, &it, &best)) {
        sl_iter_done(&it);
        if (it.err)
            return SL_ERR;
        return sl_errorf(t, "%s: argument is an empty sequence", c->name);
    }
    bestkey = best;
    if (key.kind != SL_INVALID) {
        bestkey = sl_call_value(t, key, &best, 1, NULL, 0);
        if (sl_is_error(bestkey)) {
            sl_iter_done(&it);
            return SL_ERR;
        }
    }
    while (sl_iter_next(t, &it, &v)) {
        sl_value k = v;
        if (key.kind != SL_INVALID) {
            k = sl_call_value(t, key, &v, 1, NULL, 0);
            if (sl_is_error(k)) {
                sl_iter_done(&it);
                return SL_ERR;
            }
        }
        int r = sl_compare(t, op, k, bestkey, 10);
        if (r < 0) {
            sl_iter_done(&it);
            sl_error_prefix(t, c->name);
            return SL_ERR;
        }
        if (r) {
            best = v;
            bestkey = k;
        }
    }
    sl_iter_done(&it);
    return it.err ? SL_ERR : best;
}

static sl_value bi_max(sl_thread *t, const sl_callinfo *c) { return minmax(t, c, SL_CMP_GT); }
static sl_value bi_min(sl_thread *t, const sl_callinfo *c) { return minmax(t, c, SL_CMP_LT); }

static sl_value bi_ord(sl_thread *t, const sl_callinfo *c)
{
    if (c->nkw > 0)
        return sl_errorf(t, "ord does not accept keyword arguments");
    if (c->nargs != 1)
        return sl_errorf(t, "ord: got %d arguments, want 1", c->nargs);
    if (c->args[0].kind != SL_STRING)
        return sl_errorf(t, "ord: got %s, want string or bytes", sl_kind_name(c->args[0]));
    sl_string *s = SL_STR(c->args[0]);
    int sz = 0;
    uint32_t r = s->len ? sl_utf8_decode(s->data, s->len, &sz) : 0;
    if (s->len == 0 || (size_t)sz != s->len)
        return sl_errorf(t, "ord: string encodes %zu Unicode code points, want 1", sl_utf8_count(s->data, s->len));
    return sl_mkint(r);
}

static sl_value bi_range(sl_thread *t, const sl_callinfo *c)
{
    if (sl_check_args(t, c, 1, 3) < 0)
        return SL_ERR;
    int64_t v[3] = {0, 0, 1};
    for (int i = 0; i < c->nargs; i++)
        if (want_int(t, c, i, &v[i]) < 0)
            return SL_ERR;
    if (c->nargs == 1) {
        v[1] = v[0];
        v[0] = 0;
    }
    if (v[2] == 0)
        return sl_errorf(t, "range: step argument must not be zero");
    return sl_range_new(t, v[0], v[1], v[2]);
}

static sl_value bi_repr(sl_thread *t, const sl_callinfo *c)
{
    if (sl_check_args(t, c, 1, 1) < 0)
        return SL_ERR;
    sl_buf b = {0};
    sl_write_value(&b, c->args[0], true);
    return sl_buf_finish(t, &b);
}

static sl_value bi_reversed(sl_thread *t, const sl_callinfo *c)
{
    if (sl_check_args(t, c, 1, 1) < 0 || want_iterable(t, c, 0) < 0)
        return SL_ERR;
    sl_value list = sl_list_of_iterable(t, c->args[0]);
    if (sl_is_error(list))
        return list;
    sl_list *l = SL_LIST_(list);
    for (size_t i = 0, j = l->len ? l->len - 1 : 0; i < j; i++, j--) {
        sl_value tmp = l->items[i];
        l->items[i] = l->items[j];
        l->items[j] = tmp;
    }
    return list;
}

static sl_value bi_set(sl_thread *t, const sl_callinfo *c)
{
    if (sl_check_args(t, c, 0, 1) < 0)
        return SL_ERR;
    if (c->nargs == 1 && want_iterable(t, c, 0) < 0)
        return SL_ERR;
    sl_value s = sl_set_of(t, c->nargs ? c->args[0] : SL_ERR);
    if (sl_is_error(s))
        sl_error_prefix(t, "set");
    return s;
}

/* ---- sorting ------------------------------------------------------------------------------------------------ */

typedef struct sortctx {
    sl_thread *t;
    const sl_value *keys;
    bool reverse;
    bool failed;
} sortctx;

/* x < y for the common key shapes (ints, strings, tuples of them)
 * without the general comparison; -1 when it can't tell. */
static int fast_less(sl_value x, sl_value y)
{
    if (x.kind == SL_INT && y.kind == SL_INT)
        return x.u.i < y.u.i;
    if (x.kind == SL_STRING && y.kind == SL_STRING) {
        sl_string *p = SL_STR(x), *q = SL_STR(y);
        int c = memcmp(p->data, q->data, p->len < q->len ? p->len : q->len);
        return c < 0 || (c == 0 && p->len < q->len);
    }
    if (x.kind == SL_TUPLE && y.kind == SL_TUPLE) {
        sl_tuple *p = SL_TUPLE_(x), *q = SL_TUPLE_(y);
        size_t n = p->len < q->len ? p->len : q->len;
        for (size_t i = 0; i < n; i++) {
            sl_value a = p->items[i], b = q->items[i];
            if (a.kind == SL_INT && b.kind == SL_INT) {
                if (a.u.i != b.u.i)
                    return a.u.i < b.u.i;
            } else if (a.kind == SL_STRING && b.kind == SL_STRING) {
                sl_string *u = SL_STR(a), *v = SL_STR(b);
                int c = memcmp(u->data, v->data, u->len < v->len ? u->len : v->len);
                if (c == 0)
                    c = u->len < v->len ? -1 : u->len > v->len;
                if (c != 0)
                    return c < 0;
            } else {
                return -1;
            }
        }
        return p->len < q->len;
    }
    return -1;
}

/* keys[a] < keys[b] (or > when reversed); errors stop the sort. */
static bool sort_less(sortctx *s, size_t a, size_t b)
{
    if (s->failed)
        return false;
    sl_value x = s->keys[s->reverse ? b : a], y = s->keys[s->reverse ? a : b];
    int f = fast_less(x, y);
    if (f >= 0)
        return f;
    int r = sl_compare(s->t, SL_CMP_LT, x, y, 10);
    if (r < 0) {
        s->failed = true;
        return false;
    }
    return r;
}

/* Stable merge sort of the index array idx[0..n). */
static void merge_sort(sortctx *s, size_t *idx, size_t *tmp, size_t n)
{
    if (n < 2)
        return;
    if (n <= 8) {
        for (size_t i = 1; i < n; i++) {
            size_t x = idx[i], j = i;
            while (j > 0 && sort_less(s, x, idx[j - 1])) {
                idx[j] = idx[j - 1];
                j--;
            }
            idx[j] = x;
        }
        return;
    }
    size_t mid = n / 2;
    merge_sort(s, idx, tmp, mid);
    merge_sort(s, idx + mid, tmp, n - mid);
    size_t i = 0, j = mid, k = 0;
    while (i < mid && j < n)
        tmp[k++] = sort_less(s, idx[j], idx[i]) ? idx[j++] : idx[i++];
    while (i < mid)
        tmp[k++] = idx[i++];
    while (j < n)
        tmp[k++] = idx[j++];
    memcpy(idx, tmp, n * sizeof *idx);
}

sl_value sl_sorted_list(sl_thread *t, sl_value *vals, size_t n, sl_value key, bool reverse)
{
    sl_value *keys = vals;
    if (key.kind != SL_INVALID && key.kind != SL_NONE) {
        keys = malloc((n ? n : 1) * sizeof *keys);
        if (!keys)
            return sl_errorf(t, "out of memory");
        for (size_t i = 0; i < n; i++) {
            keys[i] = sl_call_value(t, key, &vals[i], 1, NULL, 0);
            if (sl_is_error(keys[i])) {
                free(keys);
                return SL_ERR;
            }
        }
    }
    size_t *idx = malloc((n ? n : 1) * 2 * sizeof *idx);
    if (!idx) {
        if (keys != vals)
            free(keys);
        return sl_errorf(t, "out of memory");
    }
    for (size_t i = 0; i < n; i++)
        idx[i] = i;
    sortctx s = {t, keys, reverse, false};
    merge_sort(&s, idx, idx + n, n);
    sl_value out = SL_ERR;
    if (!s.failed) {
        out = sl_list_from(t, NULL, 0);
        if (!sl_is_error(out) && sl_list_reserve(t, SL_LIST_(out), n) == 0) {
            for (size_t i = 0; i < n; i++)
                SL_LIST_(out)->items[i] = vals[idx[i]];
            SL_LIST_(out)->len = n;
        } else {
            out = SL_ERR;
        }
    }
    free(idx);
    if (keys != vals)
        free(keys);
    return out;
}

static sl_value bi_sorted(sl_thread *t, const sl_callinfo *c)
{
    static const char *const names[] = {"iterable", "key?", "reverse?"};
    sl_value a[3];
    if (sl_unpack_args(t, c, names, 3, a) < 0)
        return SL_ERR;
    if (!sl_iterable(a[0]))
        return sl_errorf(t, "sorted: for parameter iterable: got %s, want iterable", sl_kind_name(a[0]));
    if (a[1].kind != SL_INVALID && a[1].kind != SL_FUNCTION && a[1].kind != SL_BUILTIN)
        return sl_errorf(t, "sorted: for parameter key: got %s, want callable", sl_kind_name(a[1]));
    if (a[2].kind != SL_INVALID && a[2].kind != SL_BOOL)
        return sl_errorf(t, "sorted: for parameter reverse: got %s, want bool", sl_kind_name(a[2]));
    sl_value list = sl_list_of_iterable(t, a[0]);
    if (sl_is_error(list))
        return list;
    sl_list *l = SL_LIST_(list);
    return sl_sorted_list(t, l->items, l->len, a[1], a[2].kind == SL_BOOL && a[2].u.i);
}

static sl_value bi_str(sl_thread *t, const sl_callinfo *c)
{
    if (c->nkw > 0)
        return sl_errorf(t, "str does not accept keyword arguments");
    if (c->nargs != 1)
        return sl_errorf(t, "str: got %d arguments, want exactly 1", c->nargs);
    if (c->args[0].kind == SL_STRING)
        return c->args[0];
    if (c->args[0].kind == SL_INT) {
        /* str(int) is common in loops: no buffer */
        char tmp[24], *p = tmp + sizeof tmp;
        int64_t i = c->args[0].u.i;
        uint64_t u = i < 0 ? (uint64_t)0 - (uint64_t)i : (uint64_t)i;
        do {
            *--p = (char)('0' + u % 10);
            u /= 10;
        } while (u);
        if (i < 0)
            *--p = '-';
        return sl_str_new(t, p, (size_t)(tmp + sizeof tmp - p));
    }
    sl_buf b = {0};
    sl_write_value(&b, c->args[0], false);
    return sl_buf_finish(t, &b);
}

static sl_value bi_tuple(sl_thread *t, const sl_callinfo *c)
{
    if (sl_check_args(t, c, 0, 1) < 0)
        return SL_ERR;
    if (c->nargs == 0)
        return sl_tuple_alloc(t, 0);
    if (want_iterable(t, c, 0) < 0)
        return SL_ERR;
    if (c->args[0].kind == SL_TUPLE)
        return c->args[0];
    sl_value list = sl_list_of_iterable(t, c->args[0]);
    if (sl_is_error(list))
        return list;
    sl_value tu = sl_tuple_alloc(t, SL_LIST_(list)->len);
    if (sl_is_error(tu))
        return tu;
    memcpy(SL_TUPLE_(tu)->items, SL_LIST_(list)->items, SL_LIST_(list)->len * sizeof(sl_value));
    return tu;
}

static sl_value bi_type(sl_thread *t, const sl_callinfo *c)
{
    if (c->nkw > 0)
        return sl_errorf(t, "type does not accept keyword arguments");
    if (c->nargs != 1)
        return sl_errorf(t, "type: got %d arguments, want exactly 1", c->nargs);
    const char *name = sl_kind_name(c->args[0]);
    return sl_str_new(t, name, strlen(name));
}

static sl_value bi_zip(sl_thread *t, const sl_callinfo *c)
{
    if (c->nkw > 0)
        return sl_errorf(t, "zip does not accept keyword arguments");
    int n = c->nargs;
    long rows = 0;
    sl_value *cols = malloc(((size_t)n + 1) * sizeof *cols);
    if (!cols)
        return sl_errorf(t, "out of memory");
    for (int i = 0; i < n; i++) {
        if (!sl_iterable(c->args[i])) {
            free(cols);
            return sl_errorf(t, "zip: argument #%d is not iterable: %s", i + 1, sl_kind_name(c->args[i]));
        }
        /* materialize every argument as a list: lengths become known */
        cols[i] = c->args[i].kind == SL_LIST ? c->args[i] : sl_list_of_iterable(t, c->args[i]);
        if (sl_is_error(cols[i])) {
            free(cols);
            return SL_ERR;
        }
        long len = (long)SL_LIST_(cols[i])->len;
        if (i == 0 || len < rows)
            rows = len;
    }
    sl_value out = sl_list_from(t, NULL, 0);
    if (sl_is_error(out) || sl_list_reserve(t, SL_LIST_(out), (size_t)rows) < 0) {
        free(cols);
        return SL_ERR;
    }
    for (long r = 0; r < rows; r++) {
        sl_value tu = sl_tuple_alloc(t, (size_t)n);
        if (sl_is_error(tu)) {
            free(cols);
            return tu;
        }
        for (int i = 0; i < n; i++)
            SL_TUPLE_(tu)->items[i] = SL_LIST_(cols[i])->items[r];
        SL_LIST_(out)->items[SL_LIST_(out)->len++] = tu;
    }
    free(cols);
    return out;
}

static const sl_method universe[] = {
    {"abs", bi_abs},         {"all", bi_all},       {"any", bi_any},         {"bool", bi_bool},
    {"chr", bi_chr},         {"dict", bi_dict},     {"dir", bi_dir},         {"enumerate", bi_enumerate},
    {"fail", bi_fail},       {"float", bi_float},   {"getattr", bi_getattr}, {"hasattr", bi_hasattr},
    {"hash", bi_hash},       {"int", bi_int},       {"len", bi_len},         {"list", bi_list},
    {"max", bi_max},         {"min", bi_min},       {"ord", bi_ord},         {"print", bi_print},
    {"range", bi_range},     {"repr", bi_repr},     {"reversed", bi_reversed}, {"set", bi_set},
    {"sorted", bi_sorted},   {"str", bi_str},       {"tuple", bi_tuple},     {"type", bi_type},
    {"zip", bi_zip},         {NULL, NULL},
};

void sl_universe_init(sl_thread *t)
{
    sl_value d = sl_dict_alloc(t, SL_DICT);
    if (sl_is_error(d))
        return;
    t->universe = SL_DICT_(d);
    sl_ht_set(t, t->universe, sl_intern(t, "None", 4), SL_NONEV);
    sl_ht_set(t, t->universe, sl_intern(t, "True", 4), sl_mkbool(true));
    sl_ht_set(t, t->universe, sl_intern(t, "False", 5), sl_mkbool(false));
    for (const sl_method *m = universe; m->name; m++) {
        sl_value b = sl_builtin_bound(t, m->name, m->fn, SL_ERR);
        sl_value k = sl_intern(t, m->name, strlen(m->name));
        if (sl_is_error(b) || sl_is_error(k))
            return;
        b.u.o->frozen = 1;
        sl_ht_set(t, t->universe, k, b);
    }
    t->universe->h.frozen = 1;
}
