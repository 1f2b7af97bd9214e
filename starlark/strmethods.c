/* strmethods: the methods of string values, with the semantics of
 * starlark-go (which are Go's strings package: byte offsets, runes for
 * case and space) and its error texts. */
#include <stdlib.h>

#include "internal.h"

static sl_string *self_str(const sl_callinfo *c) { return SL_STR(c->self); }

/* A string argument: "name: for parameter i: got T, want string". */
static int arg_str(sl_thread *t, const sl_callinfo *c, int i, sl_string **out)
{
    if (c->args[i].kind != SL_STRING) {
        sl_errorf(t, "%s: for parameter %d: got %s, want string", c->name, i + 1, sl_kind_name(c->args[i]));
        return -1;
    }
    *out = SL_STR(c->args[i]);
    return 0;
}

static sl_value opt(const sl_callinfo *c, int i) { return i < c->nargs ? c->args[i] : SL_NONEV; }

/* ---- case --------------------------------------------------------------------------------- */

static bool is_cased(uint32_t r)
{
    return (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || sl_rune_toupper(r) != r || sl_rune_tolower(r) != r;
}

typedef uint32_t (*rune_map)(uint32_t);

static sl_value map_runes(sl_thread *t, sl_string *s, rune_map fn)
{
    size_t i = 0;
    while (i < s->len && (unsigned char)s->data[i] < 0x80)
        i++;
    if (i == s->len) {
        /* ASCII: same length, one pass */
        sl_string *out = sl_str_alloc(t, s->len);
        if (!out)
            return SL_ERR;
        for (size_t k = 0; k < s->len; k++)
            out->data[k] = (char)fn((unsigned char)s->data[k]);
        return sl_mkobj(out);
    }
    sl_buf b = {0};
    for (size_t i = 0; i < s->len;) {
        int sz;
        uint32_t r = (unsigned char)s->data[i];
        if (r < 0x80) {
            sz = 1;
            r = fn(r);
            sl_buf_putc(&b, (char)r);
        } else {
            r = sl_utf8_decode(s->data + i, s->len - i, &sz);
            if (sz == 1)
                sl_buf_put(&b, s->data + i, 1); /* invalid byte: kept */
            else
                sl_buf_rune(&b, fn(r));
        }
        i += (size_t)sz;
    }
    return sl_buf_finish(t, &b);
}

static sl_value str_lower(sl_thread *t, const sl_callinfo *c)
{
    if (sl_check_args(t, c, 0, 0) < 0)
        return SL_ERR;
    return map_runes(t, self_str(c), sl_rune_tolower);
}

static sl_value str_upper(sl_thread *t, const sl_callinfo *c)
{
    if (sl_check_args(t, c, 0, 0) < 0)
        return SL_ERR;
    return map_runes(t, self_str(c), sl_rune_toupper);
}

static sl_value str_capitalize(sl_thread *t, const sl_callinfo *c)
{
    if (sl_check_args(t, c, 0, 0) < 0)
        return SL_ERR;
    sl_string *s = self_str(c);
    sl_buf b = {0};
    for (size_t i = 0; i < s->len;) {
        int sz;
        uint32_t r = sl_utf8_decode(s->data + i, s->len - i, &sz);
        if (sz == 1 && (unsigned char)s->data[i] >= 0x80)
            sl_buf_put(&b, s->data + i, 1);
        else
            sl_buf_rune(&b, i == 0 ? sl_rune_toupper(r) : sl_rune_tolower(r));
        i += (size_t)sz;
    }
    return sl_buf_finish(t, &b);
}

static sl_value str_title(sl_thread *t, const sl_callinfo *c)
{
    if (sl_check_args(t, c, 0, 0) < 0)
        return SL_ERR;
    sl_string *s = self_str(c);
    sl_buf b = {0};
    bool prev_cased = false;
    for (size_t i = 0; i < s->len;) {
        int sz;
        uint32_t r = sl_utf8_decode(s->data + i, s->len - i, &sz);
        if (sz == 1 && (unsigned char)s->data[i] >= 0x80) {
            sl_buf_put(&b, s->data + i, 1);
            prev_cased = false;
        } else {
            r = prev_cased ? sl_rune_tolower(r) : sl_rune_toupper(r);
            prev_cased = is_cased(r);
            sl_buf_rune(&b, r);
        }
        i += (size_t)sz;
    }
    return sl_buf_finish(t, &b);
}

/* ---- predicates ------------------------------------------------------------------------------ */

typedef bool (*rune_pred)(uint32_t);

static sl_value all_runes(sl_thread *t, const sl_callinfo *c, rune_pred pred)
{
    if (sl_check_args(t, c, 0, 0) < 0)
        return SL_ERR;
    sl_string *s = self_str(c);
    for (size_t i = 0; i < s->len;) {
        int sz;
        uint32_t r = sl_utf8_decode(s->data + i, s->len - i, &sz);
        if (!pred(r))
            return sl_mkbool(false);
        i += (size_t)sz;
    }
    return sl_mkbool(s->len > 0);
}

static bool is_alnum(uint32_t r) { return sl_rune_isletter(r) || sl_rune_isdigit(r); }

static sl_value str_isalnum(sl_thread *t, const sl_callinfo *c) { return all_runes(t, c, is_alnum); }
static sl_value str_isalpha(sl_thread *t, const sl_callinfo *c) { return all_runes(t, c, sl_rune_isletter); }
static sl_value str_isdigit(sl_thread *t, const sl_callinfo *c) { return all_runes(t, c, sl_rune_isdigit); }
static sl_value str_isspace(sl_thread *t, const sl_callinfo *c) { return all_runes(t, c, sl_rune_isspace); }

/* islower/isupper: some cased rune, and mapping changes nothing */
static sl_value case_pred(sl_thread *t, const sl_callinfo *c, rune_map fn)
{
    if (sl_check_args(t, c, 0, 0) < 0)
        return SL_ERR;
    sl_string *s = self_str(c);
    bool cased = false;
    for (size_t i = 0; i < s->len;) {
        int sz;
        uint32_t r = sl_utf8_decode(s->data + i, s->len - i, &sz);
        if (is_cased(r))
            cased = true;
        if (fn(r) != r)
            return sl_mkbool(false);
        i += (size_t)sz;
    }
    return sl_mkbool(cased);
}

static sl_value str_islower(sl_thread *t, const sl_callinfo *c) { return case_pred(t, c, sl_rune_tolower); }
static sl_value str_isupper(sl_thread *t, const sl_callinfo *c) { return case_pred(t, c, sl_rune_toupper); }

static sl_value str_istitle(sl_thread *t, const sl_callinfo *c)
{
    if (sl_check_args(t, c, 0, 0) < 0)
        return SL_ERR;
    sl_string *s = self_str(c);
    bool cased = false, prev = false;
    for (size_t i = 0; i < s->len;) {
        int sz;
        uint32_t r = sl_utf8_decode(s->data + i, s->len - i, &sz);
        i += (size_t)sz;
        if (sl_rune_isupper(r)) {
            if (prev)
                return sl_mkbool(false);
            prev = cased = true;
        } else if (sl_rune_islower(r)) {
            if (!prev)
                return sl_mkbool(false);
            prev = cased = true;
        } else {
            prev = false;
        }
    }
    return sl_mkbool(cased);
}

/* ---- searching ------------------------------------------------------------------------------------ */

static const char *find_sub(const char *s, size_t n, const char *sub, size_t m, bool last)
{
    if (m > n)
        return NULL;
    if (!last)
        return m == 0 ? s : memmem(s, n, sub, m);
    for (size_t i = n - m + 1; i-- > 0;)
        if (memcmp(s + i, sub, m) == 0)
            return s + i;
    return NULL;
}

static int sub_args(sl_thread *t, const sl_callinfo *c, sl_string **sub, int64_t *start, int64_t *end)
{
    if (sl_check_args(t, c, 1, 3) < 0 || arg_str(t, c, 0, sub) < 0)
        return -1;
    if (sl_slice_indices(t, opt(c, 1), opt(c, 2), (int64_t)self_str(c)->len, start, end) < 0) {
        sl_error_prefix(t, c->name);
        return -1;
    }
    return 0;
}

static sl_value find_impl(sl_thread *t, const sl_callinfo *c, bool allow_missing, bool last)
{
    sl_string *sub;
    int64_t start, end;
    if (sub_args(t, c, &sub, &start, &end) < 0)
        return SL_ERR;
    sl_string *s = self_str(c);
    const char *p = NULL;
    if (start <= end)
        p = find_sub(s->data + start, (size_t)(end - start), sub->data, sub->len, last);
    if (!p) {
        if (!allow_missing)
            return sl_errorf(t, "%s: substring not found", c->name);
        return sl_mkint(-1);
    }
    return sl_mkint(p - s->data);
}

static sl_value str_find(sl_thread *t, const sl_callinfo *c) { return find_impl(t, c, true, false); }
static sl_value str_rfind(sl_thread *t, const sl_callinfo *c) { return find_impl(t, c, true, true); }
static sl_value str_index(sl_thread *t, const sl_callinfo *c) { return find_impl(t, c, false, false); }
static sl_value str_rindex(sl_thread *t, const sl_callinfo *c) { return find_impl(t, c, false, true); }

static sl_value str_count(sl_thread *t, const sl_callinfo *c)
{
    sl_string *sub;
    int64_t start, end;
    if (sub_args(t, c, &sub, &start, &end) < 0)
        return SL_ERR;
    sl_string *s = self_str(c);
    if (start > end)
        start = end;
    const char *p = s->data + start;
    size_t n = (size_t)(end - start);
    if (sub->len == 0)
        return sl_mkint((int64_t)sl_utf8_count(p, n) + 1);
    int64_t count = 0;
    while (n >= sub->len) {
        const char *q = memmem(p, n, sub->data, sub->len);
        if (!q)
            break;
        count++;
        n -= (size_t)(q - p) + sub->len;
        p = q + sub->len;
    }
    return sl_mkint(count);
}

static sl_value affix_impl(sl_thread *t, const sl_callinfo *c, bool ends)
{
    if (sl_check_args(t, c, 1, 3) < 0)
        return SL_ERR;
    sl_string *s = self_str(c);
    int64_t start, end;
    if (sl_slice_indices(t, opt(c, 1), opt(c, 2), (int64_t)s->len, &start, &end) < 0) {
        sl_error_prefix(t, c->name);
        return SL_ERR;
    }
    if (end < start)
        end = start;
    const char *p = s->data + start;
    size_t n = (size_t)(end - start);
    sl_value x = c->args[0];
    const sl_value *cands = &x;
    size_t ncands = 1;
    if (x.kind == SL_TUPLE) {
        cands = SL_TUPLE_(x)->items;
        ncands = SL_TUPLE_(x)->len;
    } else if (x.kind != SL_STRING) {
        return sl_errorf(t, "%s: got %s, want string or tuple of string", c->name, sl_kind_name(x));
    }
    for (size_t i = 0; i < ncands; i++) {
        if (cands[i].kind != SL_STRING)
            return sl_errorf(t, "%s: want string, got %s, for element %zu", c->name, sl_kind_name(cands[i]), i);
        sl_string *a = SL_STR(cands[i]);
        if (a->len <= n && memcmp(ends ? p + n - a->len : p, a->data, a->len) == 0)
            return sl_mkbool(true);
    }
    return sl_mkbool(false);
}

static sl_value str_startswith(sl_thread *t, const sl_callinfo *c) { return affix_impl(t, c, false); }
static sl_value str_endswith(sl_thread *t, const sl_callinfo *c) { return affix_impl(t, c, true); }

static sl_value removefix(sl_thread *t, const sl_callinfo *c, bool suffix)
{
    sl_string *fix;
    if (sl_check_args(t, c, 1, 1) < 0 || arg_str(t, c, 0, &fix) < 0)
        return SL_ERR;
    sl_string *s = self_str(c);
    if (fix->len > s->len)
        return c->self;
    if (!suffix && memcmp(s->data, fix->data, fix->len) == 0)
        return sl_str_new(t, s->data + fix->len, s->len - fix->len);
    if (suffix && memcmp(s->data + s->len - fix->len, fix->data, fix->len) == 0)
        return sl_str_new(t, s->data, s->len - fix->len);
    return c->self;
}

static sl_value str_removeprefix(sl_thread *t, const sl_callinfo *c) { return removefix(t, c, false); }
static sl_value str_removesuffix(sl_thread *t, const sl_callinfo *c) { return removefix(t, c, true); }

/* ---- transforming ------------------------------------------------------------------------------------ */

static sl_value str_replace(sl_thread *t, const sl_callinfo *c)
{
    sl_string *old, *new_;
    if (sl_check_args(t, c, 2, 3) < 0 || arg_str(t, c, 0, &old) < 0 || arg_str(t, c, 1, &new_) < 0)
        return SL_ERR;
    int64_t count = -1;
    if (c->nargs > 2) {
        if (c->args[2].kind != SL_INT)
            return sl_errorf(t, "%s: for parameter 3: got %s, want int", c->name, sl_kind_name(c->args[2]));
        count = c->args[2].u.i;
    }
    sl_string *s = self_str(c);
    if (count == 0 || (old->len == new_->len && memcmp(old->data, new_->data, old->len) == 0))
        return c->self;
    sl_buf b = {0};
    size_t i = 0;
    int64_t done = 0;
    if (old->len == 0) {
        /* insert before every rune and at the end */
        for (;;) {
            if (count >= 0 && done >= count) {
                sl_buf_put(&b, s->data + i, s->len - i);
                break;
            }
            sl_buf_put(&b, new_->data, new_->len);
            done++;
            if (i >= s->len)
                break;
            int sz;
            sl_utf8_decode(s->data + i, s->len - i, &sz);
            sl_buf_put(&b, s->data + i, (size_t)sz);
            i += (size_t)sz;
        }
        return sl_buf_finish(t, &b);
    }
    while (i < s->len && (count < 0 || done < count)) {
        const char *q = memmem(s->data + i, s->len - i, old->data, old->len);
        if (!q)
            break;
        size_t j = (size_t)(q - s->data);
        sl_buf_put(&b, s->data + i, j - i);
        sl_buf_put(&b, new_->data, new_->len);
        i = j + old->len;
        done++;
    }
    sl_buf_put(&b, s->data + i, s->len - i);
    return sl_buf_finish(t, &b);
}

static bool in_cutset(uint32_t r, sl_string *cut)
{
    for (size_t i = 0; i < cut->len;) {
        int sz;
        uint32_t q = sl_utf8_decode(cut->data + i, cut->len - i, &sz);
        if (q == r)
            return true;
        i += (size_t)sz;
    }
    return false;
}

static sl_value strip_impl(sl_thread *t, const sl_callinfo *c, bool left, bool right)
{
    sl_string *cut = NULL;
    if (sl_check_args(t, c, 0, 1) < 0)
        return SL_ERR;
    if (c->nargs == 1 && arg_str(t, c, 0, &cut) < 0)
        return SL_ERR;
    if (cut && cut->len == 0)
        cut = NULL;
    sl_string *s = self_str(c);
    size_t i = 0, j = s->len;
    while (left && i < j) {
        int sz;
        uint32_t r = sl_utf8_decode(s->data + i, j - i, &sz);
        if (cut ? !in_cutset(r, cut) : !sl_rune_isspace(r))
            break;
        i += (size_t)sz;
    }
    while (right && j > i) {
        int sz;
        uint32_t r = sl_utf8_decode_last(s->data + i, j - i, &sz);
        if (cut ? !in_cutset(r, cut) : !sl_rune_isspace(r))
            break;
        j -= (size_t)sz;
    }
    if (i == 0 && j == s->len)
        return c->self;
    return sl_str_new(t, s->data + i, j - i);
}

static sl_value str_strip(sl_thread *t, const sl_callinfo *c) { return strip_impl(t, c, true, true); }
static sl_value str_lstrip(sl_thread *t, const sl_callinfo *c) { return strip_impl(t, c, true, false); }
static sl_value str_rstrip(sl_thread *t, const sl_callinfo *c) { return strip_impl(t, c, false, true); }

static sl_value str_join(sl_thread *t, const sl_callinfo *c)
{
    if (sl_check_args(t, c, 1, 1) < 0)
        return SL_ERR;
    sl_value x = c->args[0];
    if (!sl_iterable(x))
        return sl_errorf(t, "%s: for parameter 1: got %s, want iterable", c->name, sl_kind_name(x));
    sl_string *sep = self_str(c);
    if (x.kind == SL_LIST || x.kind == SL_TUPLE) {
        /* the common case: the length is known, one allocation */
        const sl_value *v = x.kind == SL_LIST ? SL_LIST_(x)->items : SL_TUPLE_(x)->items;
        size_t n = x.kind == SL_LIST ? SL_LIST_(x)->len : SL_TUPLE_(x)->len, total = 0;
        for (size_t i = 0; i < n; i++) {
            if (v[i].kind != SL_STRING)
                return sl_errorf(t, "join: in list, want string, got %s", sl_kind_name(v[i]));
            total += SL_STR(v[i])->len + (i ? sep->len : 0);
        }
        sl_string *out = sl_str_alloc(t, total);
        if (!out)
            return SL_ERR;
        char *p = out->data;
        for (size_t i = 0; i < n; i++) {
            if (i) {
                memcpy(p, sep->data, sep->len);
                p += sep->len;
            }
            memcpy(p, SL_STR(v[i])->data, SL_STR(v[i])->len);
            p += SL_STR(v[i])->len;
        }
        return sl_mkobj(out);
    }
    sl_buf b = {0};
    sl_iter it;
    sl_iter_start(t, &it, x);
    sl_value v;
    for (size_t i = 0; sl_iter_next(t, &it, &v); i++) {
        if (i > 0)
            sl_buf_put(&b, sep->data, sep->len);
        if (v.kind != SL_STRING) {
            sl_iter_done(&it);
            sl_buf_free(&b);
            return sl_errorf(t, "join: in list, want string, got %s", sl_kind_name(v));
        }
        sl_buf_put(&b, SL_STR(v)->data, SL_STR(v)->len);
    }
    sl_iter_done(&it);
    if (it.err) {
        sl_buf_free(&b);
        return SL_ERR;
    }
    return sl_buf_finish(t, &b);
}

static sl_value partition_impl(sl_thread *t, const sl_callinfo *c, bool last)
{
    sl_string *sep;
    if (sl_check_args(t, c, 1, 1) < 0 || arg_str(t, c, 0, &sep) < 0)
        return SL_ERR;
    if (sep->len == 0)
        return sl_errorf(t, "%s: empty separator", c->name);
    sl_string *s = self_str(c);
    const char *p = find_sub(s->data, s->len, sep->data, sep->len, last);
    sl_value tu = sl_tuple_alloc(t, 3);
    if (sl_is_error(tu))
        return tu;
    sl_value empty = sl_str_new(t, "", 0);
    if (sl_is_error(empty))
        return empty;
    sl_value *out = SL_TUPLE_(tu)->items;
    if (!p) {
        out[0] = last ? empty : c->self;
        out[1] = empty;
        out[2] = last ? c->self : empty;
        return tu;
    }
    size_t i = (size_t)(p - s->data);
    out[0] = sl_str_new(t, s->data, i);
    out[1] = c->args[0];
    out[2] = sl_str_new(t, s->data + i + sep->len, s->len - i - sep->len);
    if (sl_is_error(out[0]) || sl_is_error(out[2]))
        return SL_ERR;
    return tu;
}

static sl_value str_partition(sl_thread *t, const sl_callinfo *c) { return partition_impl(t, c, false); }
static sl_value str_rpartition(sl_thread *t, const sl_callinfo *c) { return partition_impl(t, c, true); }

/* ---- splitting ------------------------------------------------------------------------------------ */

static int push_piece(sl_thread *t, sl_value list, const char *p, size_t n)
{
    sl_value s = sl_str_new(t, p, n);
    if (sl_is_error(s))
        return -1;
    return sl_list_push(t, SL_LIST_(list), s);
}

/* Whitespace-separated fields, at most max splits (max < 0: no limit),
 * from the left or the right. */
static int split_space(sl_thread *t, sl_value list, sl_string *s, int64_t max, bool from_right)
{
    if (!from_right) {
        size_t i = 0;
        long start = -1;
        int64_t n = 0;
        while (i < s->len) {
            int sz;
            uint32_t r = sl_utf8_decode(s->data + i, s->len - i, &sz);
            if (sl_rune_isspace(r)) {
                if (start >= 0) {
                    if (max >= 0 && n == max)
                        break;
                    if (push_piece(t, list, s->data + start, i - (size_t)start) < 0)
                        return -1;
                    n++;
                    start = -1;
                }
            } else if (start < 0) {
                start = (long)i;
            }
            i += (size_t)sz;
        }
        if (start >= 0 && push_piece(t, list, s->data + start, s->len - (size_t)start) < 0)
            return -1;
        return 0;
    }
    /* from the right: collect reversed, then reverse */
    size_t i = s->len;
    long end = -1;
    int64_t n = 0;
    while (i > 0) {
        int sz;
        uint32_t r = sl_utf8_decode_last(s->data, i, &sz);
        if (sl_rune_isspace(r)) {
            if (end >= 0) {
                if (n == max)
                    break;
                if (push_piece(t, list, s->data + i, (size_t)end - i) < 0)
                    return -1;
                n++;
                end = -1;
            }
        } else if (end < 0) {
            end = (long)i;
        }
        i -= (size_t)sz;
    }
    if (end >= 0 && push_piece(t, list, s->data, (size_t)end) < 0)
        return -1;
    sl_list *l = SL_LIST_(list);
    for (size_t a = 0, b = l->len ? l->len - 1 : 0; a < b; a++, b--) {
        sl_value tmp = l->items[a];
        l->items[a] = l->items[b];
        l->items[b] = tmp;
    }
    return 0;
}

static sl_value split_impl(sl_thread *t, const sl_callinfo *c, bool from_right)
{
    if (sl_check_args(t, c, 0, 2) < 0)
        return SL_ERR;
    int64_t max = -1;
    if (c->nargs > 1) {
        if (c->args[1].kind != SL_INT)
            return sl_errorf(t, "%s: for parameter 2: got %s, want int", c->name, sl_kind_name(c->args[1]));
        max = c->args[1].u.i;
    }
    sl_string *s = self_str(c);
    sl_value list = sl_list_from(t, NULL, 0);
    if (sl_is_error(list))
        return list;
    sl_value sepv = opt(c, 0);
    if (sepv.kind == SL_NONE) {
        if (split_space(t, list, s, max, from_right && max >= 0) < 0)
            return SL_ERR;
        return list;
    }
    if (sepv.kind != SL_STRING)
        return sl_errorf(t, "split: got %s for separator, want string", sl_kind_name(sepv));
    sl_string *sep = SL_STR(sepv);
    if (sep->len == 0)
        return sl_errorf(t, "split: empty separator");
    if (!from_right || max < 0) {
        size_t i = 0;
        int64_t n = 0;
        for (;;) {
            const char *q = (max < 0 || n < max) ? memmem(s->data + i, s->len - i, sep->data, sep->len) : NULL;
            if (!q) {
                if (push_piece(t, list, s->data + i, s->len - i) < 0)
                    return SL_ERR;
                break;
            }
            size_t j = (size_t)(q - s->data);
            if (push_piece(t, list, s->data + i, j - i) < 0)
                return SL_ERR;
            i = j + sep->len;
            n++;
        }
        return list;
    }
    /* rsplit with a limit: split from the right */
    size_t end = s->len;
    int64_t n = 0;
    sl_value rev = sl_list_from(t, NULL, 0);
    if (sl_is_error(rev))
        return rev;
    while (n < max) {
        const char *q = find_sub(s->data, end, sep->data, sep->len, true);
        if (!q)
            break;
        size_t j = (size_t)(q - s->data);
        if (push_piece(t, rev, s->data + j + sep->len, end - j - sep->len) < 0)
            return SL_ERR;
        end = j;
        n++;
    }
    if (push_piece(t, list, s->data, end) < 0)
        return SL_ERR;
    sl_list *r = SL_LIST_(rev);
    for (size_t k = r->len; k-- > 0;)
        if (sl_list_push(t, SL_LIST_(list), r->items[k]) < 0)
            return SL_ERR;
    return list;
}

static sl_value str_split(sl_thread *t, const sl_callinfo *c) { return split_impl(t, c, false); }
static sl_value str_rsplit(sl_thread *t, const sl_callinfo *c) { return split_impl(t, c, true); }

static sl_value str_splitlines(sl_thread *t, const sl_callinfo *c)
{
    if (sl_check_args(t, c, 0, 1) < 0)
        return SL_ERR;
    bool keep = false;
    if (c->nargs == 1) {
        if (c->args[0].kind != SL_BOOL)
            return sl_errorf(t, "%s: for parameter 1: got %s, want bool", c->name, sl_kind_name(c->args[0]));
        keep = c->args[0].u.i != 0;
    }
    sl_string *s = self_str(c);
    sl_value list = sl_list_from(t, NULL, 0);
    if (sl_is_error(list))
        return list;
    size_t i = 0;
    while (i < s->len) {
        const char *nl = memchr(s->data + i, '\n', s->len - i);
        size_t j = nl ? (size_t)(nl - s->data) : s->len;
        size_t n = j - i + (nl && keep ? 1 : 0);
        if (push_piece(t, list, s->data + i, n) < 0)
            return SL_ERR;
        if (!nl)
            break;
        i = j + 1;
    }
    return list;
}

/* ---- iterables -------------------------------------------------------------------------------------------- */

static sl_value striter(sl_thread *t, const sl_callinfo *c, int mode)
{
    if (sl_check_args(t, c, 0, 0) < 0)
        return SL_ERR;
    sl_striter *it = sl_alloc(t, SL_STRITER, sizeof(sl_striter));
    if (!it)
        return SL_ERR;
    it->s = c->self;
    it->mode = mode;
    it->h.frozen = 1;
    return sl_mkobj(it);
}

static sl_value str_elems(sl_thread *t, const sl_callinfo *c) { return striter(t, c, SL_ELEMS); }
static sl_value str_elem_ords(sl_thread *t, const sl_callinfo *c) { return striter(t, c, SL_ELEM_ORDS); }
static sl_value str_codepoints(sl_thread *t, const sl_callinfo *c) { return striter(t, c, SL_CODEPOINTS); }
static sl_value str_codepoint_ords(sl_thread *t, const sl_callinfo *c) { return striter(t, c, SL_CODEPOINT_ORDS); }

const sl_method sl_str_methods[] = {
    {"capitalize", str_capitalize},
    {"codepoint_ords", str_codepoint_ords},
    {"codepoints", str_codepoints},
    {"count", str_count},
    {"elem_ords", str_elem_ords},
    {"elems", str_elems},
    {"endswith", str_endswith},
    {"find", str_find},
    {"format", sl_str_format},
    {"index", str_index},
    {"isalnum", str_isalnum},
    {"isalpha", str_isalpha},
    {"isdigit", str_isdigit},
    {"islower", str_islower},
    {"isspace", str_isspace},
    {"istitle", str_istitle},
    {"isupper", str_isupper},
    {"join", str_join},
    {"lower", str_lower},
    {"lstrip", str_lstrip},
    {"partition", str_partition},
    {"removeprefix", str_removeprefix},
    {"removesuffix", str_removesuffix},
    {"replace", str_replace},
    {"rfind", str_rfind},
    {"rindex", str_rindex},
    {"rpartition", str_rpartition},
    {"rsplit", str_rsplit},
    {"rstrip", str_rstrip},
    {"split", str_split},
    {"splitlines", str_splitlines},
    {"startswith", str_startswith},
    {"strip", str_strip},
    {"title", str_title},
    {"upper", str_upper},
    {NULL, NULL},
};
