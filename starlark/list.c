/* list: lists, tuples, ranges, iteration from C, and the list methods. */
#include <stdlib.h>

#include "internal.h"

/* ---- lists ------------------------------------------------------------------ */

int sl_list_reserve(sl_thread *t, sl_list *l, size_t n)
{
    if (l->len + n <= l->cap)
        return 0;
    size_t cap = l->cap ? l->cap * 2 : 4;
    while (cap < l->len + n)
        cap *= 2;
    if (cap > ((size_t)1 << 28)) {
        sl_errorf(t, "list too long");
        return -1;
    }
    sl_value *items = sl_xrealloc(t, l->items, l->cap * sizeof(sl_value), cap * sizeof(sl_value));
    if (!items)
        return -1;
    l->items = items;
    l->cap = cap;
    return 0;
}

int sl_list_push(sl_thread *t, sl_list *l, sl_value v)
{
    if (l->len == l->cap && sl_list_reserve(t, l, 1) < 0)
        return -1;
    l->items[l->len++] = v;
    return 0;
}

sl_value sl_list_from(sl_thread *t, const sl_value *items, size_t n)
{
    sl_list *l = sl_alloc(t, SL_LIST, sizeof(sl_list));
    if (!l || sl_list_reserve(t, l, n) < 0)
        return SL_ERR;
    if (n)
        memcpy(l->items, items, n * sizeof(sl_value));
    l->len = n;
    return sl_mkobj(l);
}

int sl_list_check_mutable(sl_thread *t, sl_list *l, const char *verb)
{
    if (l->h.frozen) {
        sl_errorf(t, "cannot %s frozen list", verb);
        return -1;
    }
    if (l->h.itercount > 0) {
        sl_errorf(t, "cannot %s list during iteration", verb);
        return -1;
    }
    return 0;
}

sl_value sl_tuple_alloc(sl_thread *t, size_t n)
{
    if (n > ((size_t)1 << 28))
        return sl_errorf(t, "tuple too long");
    sl_tuple *tu = sl_alloc(t, SL_TUPLE, sizeof(sl_tuple) + n * sizeof(sl_value));
    if (!tu)
        return SL_ERR;
    tu->len = n;
    for (size_t i = 0; i < n; i++)
        tu->items[i] = SL_NONEV;
    return sl_mkobj(tu);
}

/* ---- ranges ---------------------------------------------------------------------- */

static int64_t range_len(int64_t start, int64_t stop, int64_t step)
{
    /* computed in unsigned arithmetic: stop - start may overflow int64 */
    if (step > 0 && stop > start)
        return (int64_t)(((uint64_t)stop - (uint64_t)start - 1) / (uint64_t)step + 1);
    if (step < 0 && start > stop)
        return (int64_t)(((uint64_t)start - (uint64_t)stop - 1) / (uint64_t)(-(step + 1) + 1ULL) + 1);
    return 0;
}

sl_value sl_range_new(sl_thread *t, int64_t start, int64_t stop, int64_t step)
{
    sl_range *r = sl_alloc(t, SL_RANGE, sizeof(sl_range));
    if (!r)
        return SL_ERR;
    r->start = start;
    r->stop = stop;
    r->step = step;
    r->len = range_len(start, stop, step);
    return sl_mkobj(r);
}

/* ---- iteration from C ---------------------------------------------------------------- */

bool sl_iterable(sl_value v)
{
    switch ((sl_kind)v.kind) {
    case SL_LIST:
    case SL_TUPLE:
    case SL_DICT:
    case SL_SET:
    case SL_RANGE:
    case SL_STRITER:
        return true;
    default:
        return false;
    }
}

int sl_iter_start(sl_thread *t, sl_iter *it, sl_value v)
{
    (void)t;
    it->v = v;
    it->i = 0;
    it->counted = false;
    it->err = false;
    if (!sl_iterable(v))
        return -1;
    if ((v.kind == SL_LIST || v.kind == SL_DICT || v.kind == SL_SET) && !v.u.o->frozen) {
        v.u.o->itercount++;
        it->counted = true;
    }
    return 0;
}

bool sl_iter_next(sl_thread *t, sl_iter *it, sl_value *out)
{
    sl_value v = it->v;
    switch ((sl_kind)v.kind) {
    case SL_LIST:
        if (it->i >= SL_LIST_(v)->len)
            return false;
        *out = SL_LIST_(v)->items[it->i++];
        return true;
    case SL_TUPLE:
        if (it->i >= SL_TUPLE_(v)->len)
            return false;
        *out = SL_TUPLE_(v)->items[it->i++];
        return true;
    case SL_DICT:
    case SL_SET: {
        uint32_t i = (uint32_t)it->i;
        sl_htentry *e;
        if (!sl_ht_next(SL_DICT_(v), &i, &e))
            return false;
        it->i = i;
        *out = e->key;
        return true;
    }
    case SL_RANGE: {
        sl_range *r = SL_RANGE_(v);
        if ((int64_t)it->i >= r->len)
            return false;
        *out = sl_mkint((int64_t)((uint64_t)r->start + (uint64_t)it->i * (uint64_t)r->step));
        it->i++;
        return true;
    }
    case SL_STRITER: {
        sl_striter *si = (sl_striter *)v.u.o;
        sl_string *s = SL_STR(si->s);
        if (it->i >= s->len)
            return false;
        int sz = 1;
        uint32_t r = (unsigned char)s->data[it->i];
        if (si->mode == SL_CODEPOINTS || si->mode == SL_CODEPOINT_ORDS)
            r = sl_utf8_decode(s->data + it->i, s->len - it->i, &sz);
        if (si->mode == SL_ELEM_ORDS || si->mode == SL_CODEPOINT_ORDS) {
            *out = sl_mkint(r);
        } else {
            *out = sl_str_new(t, s->data + it->i, (size_t)sz);
            if (sl_is_error(*out)) {
                it->i = s->len;
                it->err = true;
                return false;
            }
        }
        it->i += (size_t)sz;
        return true;
    }
    default:
        return false;
    }
}

void sl_iter_done(sl_iter *it)
{
    if (it->counted) {
        it->v.u.o->itercount--;
        it->counted = false;
    }
}

sl_value sl_list_of_iterable(sl_thread *t, sl_value v)
{
    long n = sl_length(v);
    sl_value out = sl_list_from(t, NULL, 0);
    if (sl_is_error(out))
        return out;
    if (n > 0 && sl_list_reserve(t, SL_LIST_(out), (size_t)n) < 0)
        return SL_ERR;
    sl_iter it;
    if (sl_iter_start(t, &it, v) < 0)
        return sl_errorf(t, "got %s, want iterable", sl_kind_name(v));
    sl_value x;
    while (sl_iter_next(t, &it, &x)) {
        if (sl_list_push(t, SL_LIST_(out), x) < 0) {
            sl_iter_done(&it);
            return SL_ERR;
        }
    }
    sl_iter_done(&it);
    return it.err ? SL_ERR : out;
}

/* ---- list methods ------------------------------------------------------------------------ */

static sl_value list_append(sl_thread *t, const sl_callinfo *c)
{
    if (sl_check_args(t, c, 1, 1) < 0)
        return SL_ERR;
    sl_list *l = SL_LIST_(c->self);
    if (sl_list_check_mutable(t, l, "append to") < 0 || sl_list_push(t, l, c->args[0]) < 0) {
        sl_error_prefix(t, c->name);
        return SL_ERR;
    }
    return SL_NONEV;
}

static sl_value list_clear(sl_thread *t, const sl_callinfo *c)
{
    if (sl_check_args(t, c, 0, 0) < 0)
        return SL_ERR;
    sl_list *l = SL_LIST_(c->self);
    if (sl_list_check_mutable(t, l, "clear") < 0) {
        sl_error_prefix(t, c->name);
        return SL_ERR;
    }
    l->len = 0;
    return SL_NONEV;
}

static sl_value list_extend(sl_thread *t, const sl_callinfo *c)
{
    if (sl_check_args(t, c, 1, 1) < 0)
        return SL_ERR;
    if (!sl_iterable(c->args[0]))
        return sl_errorf(t, "%s: for parameter 1: got %s, want iterable", c->name, sl_kind_name(c->args[0]));
    sl_list *l = SL_LIST_(c->self);
    if (sl_list_check_mutable(t, l, "extend") < 0) {
        sl_error_prefix(t, c->name);
        return SL_ERR;
    }
    if (c->args[0].kind == SL_LIST || c->args[0].kind == SL_TUPLE) {
        /* a snapshot of the length: l.extend(l) doubles l */
        const sl_value *src;
        size_t n;
        if (c->args[0].kind == SL_LIST) {
            src = SL_LIST_(c->args[0])->items;
            n = SL_LIST_(c->args[0])->len;
        } else {
            src = SL_TUPLE_(c->args[0])->items;
            n = SL_TUPLE_(c->args[0])->len;
        }
        if (sl_list_reserve(t, l, n) < 0)
            return SL_ERR;
        if (c->args[0].kind == SL_LIST)
            src = SL_LIST_(c->args[0])->items; /* may have moved (l.extend(l)) */
        memmove(l->items + l->len, src, n * sizeof(sl_value));
        l->len += n;
        return SL_NONEV;
    }
    sl_iter it;
    sl_iter_start(t, &it, c->args[0]);
    sl_value x;
    while (sl_iter_next(t, &it, &x)) {
        if (sl_list_push(t, l, x) < 0) {
            sl_iter_done(&it);
            return SL_ERR;
        }
    }
    sl_iter_done(&it);
    return it.err ? SL_ERR : SL_NONEV;
}

static sl_value list_index(sl_thread *t, const sl_callinfo *c)
{
    if (sl_check_args(t, c, 1, 3) < 0)
        return SL_ERR;
    sl_list *l = SL_LIST_(c->self);
    int64_t start, end;
    if (sl_slice_indices(t, c->nargs > 1 ? c->args[1] : SL_NONEV, c->nargs > 2 ? c->args[2] : SL_NONEV,
                         (int64_t)l->len, &start, &end) < 0) {
        sl_error_prefix(t, c->name);
        return SL_ERR;
    }
    for (int64_t i = start; i < end && i < (int64_t)l->len; i++) {
        int eq = sl_equal(t, l->items[i], c->args[0]);
        if (eq < 0) {
            sl_error_prefix(t, c->name);
            return SL_ERR;
        }
        if (eq)
            return sl_mkint(i);
    }
    return sl_errorf(t, "%s: value not in list", c->name);
}

static sl_value list_insert(sl_thread *t, const sl_callinfo *c)
{
    if (sl_check_args(t, c, 2, 2) < 0)
        return SL_ERR;
    if (c->args[0].kind != SL_INT)
        return sl_errorf(t, "%s: for parameter 1: got %s, want int", c->name, sl_kind_name(c->args[0]));
    sl_list *l = SL_LIST_(c->self);
    if (sl_list_check_mutable(t, l, "insert into") < 0) {
        sl_error_prefix(t, c->name);
        return SL_ERR;
    }
    int64_t i = c->args[0].u.i, n = (int64_t)l->len;
    if (i < 0)
        i += n;
    if (i < 0)
        i = 0;
    if (i > n)
        i = n;
    if (sl_list_reserve(t, l, 1) < 0)
        return SL_ERR;
    memmove(l->items + i + 1, l->items + i, (size_t)(n - i) * sizeof(sl_value));
    l->items[i] = c->args[1];
    l->len++;
    return SL_NONEV;
}

static sl_value list_pop(sl_thread *t, const sl_callinfo *c)
{
    if (sl_check_args(t, c, 0, 1) < 0)
        return SL_ERR;
    sl_list *l = SL_LIST_(c->self);
    int64_t n = (int64_t)l->len, i = n - 1;
    if (c->nargs == 1) {
        if (c->args[0].kind != SL_INT)
            return sl_errorf(t, "%s: for parameter 1: got %s, want int", c->name, sl_kind_name(c->args[0]));
        i = c->args[0].u.i;
    }
    int64_t orig = i;
    if (i < 0)
        i += n;
    if (i < 0 || i >= n) {
        if (n == 0)
            return sl_errorf(t, "%s: index %lld out of range: empty list", c->name, (long long)orig);
        return sl_errorf(t, "%s: list index %lld out of range [%lld:%lld]", c->name, (long long)orig,
                         (long long)-n, (long long)(n - 1));
    }
    if (sl_list_check_mutable(t, l, "pop from") < 0) {
        sl_error_prefix(t, c->name);
        return SL_ERR;
    }
    sl_value v = l->items[i];
    memmove(l->items + i, l->items + i + 1, (size_t)(n - i - 1) * sizeof(sl_value));
    l->len--;
    return v;
}

static sl_value list_remove(sl_thread *t, const sl_callinfo *c)
{
    if (sl_check_args(t, c, 1, 1) < 0)
        return SL_ERR;
    sl_list *l = SL_LIST_(c->self);
    if (sl_list_check_mutable(t, l, "remove from") < 0) {
        sl_error_prefix(t, c->name);
        return SL_ERR;
    }
    for (size_t i = 0; i < l->len; i++) {
        int eq = sl_equal(t, l->items[i], c->args[0]);
        if (eq < 0) {
            sl_error_prefix(t, "remove");
            return SL_ERR;
        }
        if (eq) {
            memmove(l->items + i, l->items + i + 1, (l->len - i - 1) * sizeof(sl_value));
            l->len--;
            return SL_NONEV;
        }
    }
    return sl_errorf(t, "remove: element not found");
}

const sl_method sl_list_methods[] = {
    {"append", list_append}, {"clear", list_clear}, {"extend", list_extend}, {"index", list_index},
    {"insert", list_insert}, {"pop", list_pop},     {"remove", list_remove}, {NULL, NULL},
};
