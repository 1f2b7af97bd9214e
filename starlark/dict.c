/* dict: the insertion-ordered hash table behind dict and set, and their
 * methods. Small tables (up to 8 entries, e.g. a query row or a result)
 * are scanned linearly; larger ones get an open-addressing index of
 * entry numbers. Deleted entries stay in place (key kind SL_INVALID) until
 * the table grows, which keeps iteration order and the index simple. */
#include <stdlib.h>

#include "internal.h"

#define LINEAR_MAX 8

sl_value sl_dict_alloc(sl_thread *t, sl_kind kind)
{
    sl_dict *d = sl_alloc(t, kind, sizeof(sl_dict));
    return d ? sl_mkobj(d) : SL_ERR;
}

int sl_ht_check_mutable(sl_thread *t, sl_dict *d, const char *verb)
{
    if (d->h.frozen) {
        sl_errorf(t, "cannot %s frozen hash table", verb);
        return -1;
    }
    if (d->h.itercount > 0) {
        sl_errorf(t, "cannot %s hash table during iteration", verb);
        return -1;
    }
    return 0;
}

static inline int keys_equal(sl_thread *t, sl_value a, sl_value b)
{
    if (a.kind == SL_STRING && b.kind == SL_STRING)
        return sl_str_eq(SL_STR(a), SL_STR(b));
    if (a.kind == SL_INT && b.kind == SL_INT)
        return a.u.i == b.u.i;
    return sl_equal(t, a, b);
}

/* Finds key: 1 with *pos = entry number, 0 with *slot = free index slot
 * (or -1 without an index), -1 on a comparison error. */
static int find(sl_thread *t, sl_dict *d, sl_value key, uint32_t h, uint32_t *pos, uint32_t *slot)
{
    sl_ht *ht = &d->ht;
    if (!ht->index) {
        for (uint32_t i = 0; i < ht->used; i++) {
            sl_htentry *e = &ht->entries[i];
            if (e->hash != h || e->key.kind == SL_INVALID)
                continue;
            int eq = keys_equal(t, e->key, key);
            if (eq < 0)
                return -1;
            if (eq) {
                *pos = i;
                return 1;
            }
        }
        *slot = UINT32_MAX;
        return 0;
    }
    for (uint32_t i = h & ht->mask;; i = (i + 1) & ht->mask) {
        int32_t n = ht->index[i];
        if (n < 0) {
            *slot = i;
            return 0;
        }
        sl_htentry *e = &ht->entries[n];
        if (e->hash != h || e->key.kind == SL_INVALID)
            continue;
        int eq = keys_equal(t, e->key, key);
        if (eq < 0)
            return -1;
        if (eq) {
            *pos = (uint32_t)n;
            return 1;
        }
    }
}

static int rebuild_index(sl_thread *t, sl_dict *d)
{
    sl_ht *ht = &d->ht;
    if (ht->cap <= LINEAR_MAX) {
        if (ht->index) {
            sl_xfree(t, ht->index, (ht->mask + 1) * sizeof(int32_t));
            ht->index = NULL;
            ht->mask = 0;
        }
        return 0;
    }
    uint32_t size = 16;
    while (size < ht->cap * 2)
        size *= 2;
    if (!ht->index || ht->mask + 1 != size) {
        int32_t *idx = sl_xmalloc(t, size * sizeof(int32_t));
        if (!idx)
            return -1;
        if (ht->index)
            sl_xfree(t, ht->index, (ht->mask + 1) * sizeof(int32_t));
        ht->index = idx;
        ht->mask = size - 1;
    }
    memset(ht->index, 0xff, size * sizeof(int32_t));
    for (uint32_t n = 0; n < ht->used; n++) {
        if (ht->entries[n].key.kind == SL_INVALID)
            continue;
        uint32_t i = ht->entries[n].hash & ht->mask;
        while (ht->index[i] >= 0)
            i = (i + 1) & ht->mask;
        ht->index[i] = (int32_t)n;
    }
    return 0;
}

/* Makes room for one more entry: compacts away deleted entries or
 * doubles the entry array, then rebuilds the index. */
static int make_room(sl_thread *t, sl_dict *d)
{
    sl_ht *ht = &d->ht;
    if (ht->len < ht->used && ht->len * 2 <= ht->used) {
        uint32_t w = 0;
        for (uint32_t r = 0; r < ht->used; r++)
            if (ht->entries[r].key.kind != SL_INVALID)
                ht->entries[w++] = ht->entries[r];
        ht->used = w;
    } else {
        uint32_t cap = ht->cap ? ht->cap * 2 : 4;
        if (cap > (1u << 27)) {
            sl_errorf(t, "hash table too large");
            return -1;
        }
        sl_htentry *e = sl_xrealloc(t, ht->entries, ht->cap * sizeof(sl_htentry), cap * sizeof(sl_htentry));
        if (!e)
            return -1;
        ht->entries = e;
        ht->cap = cap;
    }
    return rebuild_index(t, d);
}

int sl_ht_get(sl_thread *t, sl_dict *d, sl_value key, sl_value *val)
{
    uint32_t h, pos, slot;
    if (sl_hash(t, key, &h) < 0)
        return -1;
    if (d->ht.len == 0)
        return 0;
    int r = find(t, d, key, h, &pos, &slot);
    if (r == 1)
        *val = d->ht.entries[pos].val;
    return r;
}

int sl_ht_set(sl_thread *t, sl_dict *d, sl_value key, sl_value val)
{
    if (sl_ht_check_mutable(t, d, "insert into") < 0)
        return -1;
    uint32_t h, pos, slot;
    if (sl_hash(t, key, &h) < 0)
        return -1;
    int r = find(t, d, key, h, &pos, &slot);
    if (r < 0)
        return -1;
    if (r == 1) {
        d->ht.entries[pos].val = val;
        return 0;
    }
    if (d->ht.used == d->ht.cap) {
        if (make_room(t, d) < 0)
            return -1;
        slot = UINT32_MAX;
        if (d->ht.index) /* find the free slot in the new index */
            for (slot = h & d->ht.mask; d->ht.index[slot] >= 0; slot = (slot + 1) & d->ht.mask)
                ;
    }
    uint32_t n = d->ht.used++;
    d->ht.entries[n].key = key;
    d->ht.entries[n].val = val;
    d->ht.entries[n].hash = h;
    d->ht.len++;
    if (d->ht.index)
        d->ht.index[slot] = (int32_t)n;
    return 0;
}

int sl_ht_del(sl_thread *t, sl_dict *d, sl_value key, sl_value *old)
{
    if (sl_ht_check_mutable(t, d, "delete from") < 0)
        return -1;
    uint32_t h, pos, slot;
    if (sl_hash(t, key, &h) < 0)
        return -1;
    if (d->ht.len == 0)
        return 0;
    int r = find(t, d, key, h, &pos, &slot);
    if (r != 1)
        return r;
    sl_htentry *e = &d->ht.entries[pos];
    if (old)
        *old = e->val;
    e->key = SL_ERR;
    e->val = SL_NONEV;
    d->ht.len--;
    if (d->ht.len == 0) {
        /* empty again: start over (keeps the arrays) */
        d->ht.used = 0;
        if (d->ht.index)
            memset(d->ht.index, 0xff, (d->ht.mask + 1) * sizeof(int32_t));
    }
    return 1;
}

int sl_ht_clear(sl_thread *t, sl_dict *d)
{
    if (sl_ht_check_mutable(t, d, "clear") < 0)
        return -1;
    d->ht.used = 0;
    d->ht.len = 0;
    if (d->ht.index)
        memset(d->ht.index, 0xff, (d->ht.mask + 1) * sizeof(int32_t));
    return 0;
}

/* The first live entry (popitem, set.pop). */
static sl_htentry *first_entry(sl_dict *d)
{
    uint32_t i = 0;
    sl_htentry *e;
    return sl_ht_next(d, &i, &e) ? e : NULL;
}

static sl_value copy_table(sl_thread *t, sl_dict *src, sl_kind kind)
{
    sl_value out = sl_dict_alloc(t, kind);
    if (sl_is_error(out))
        return out;
    uint32_t i = 0;
    sl_htentry *e;
    while (sl_ht_next(src, &i, &e))
        if (sl_ht_set(t, SL_DICT_(out), e->key, e->val) < 0)
            return SL_ERR;
    return out;
}

/* ---- dict construction and update ------------------------------------------------------ */

/* dict(x, **kw) / d.update(x, **kw); the caller prefixes errors. */
int sl_dict_update(sl_thread *t, sl_dict *d, const sl_value *args, int nargs, const sl_value *kw, int nkw)
{
    if (nargs == 1) {
        sl_value x = args[0];
        if (x.kind == SL_DICT) {
            uint32_t i = 0;
            sl_htentry *e;
            while (sl_ht_next(SL_DICT_(x), &i, &e))
                if (sl_ht_set(t, d, e->key, e->val) < 0)
                    return -1;
        } else {
            sl_iter it;
            if (sl_iter_start(t, &it, x) < 0) {
                sl_errorf(t, "got %s, want iterable", sl_kind_name(x));
                return -1;
            }
            sl_value pair;
            for (long i = 0; sl_iter_next(t, &it, &pair); i++) {
                long n = sl_length(pair);
                const sl_value *kv = NULL;
                if (!sl_iterable(pair) || pair.kind == SL_STRING) {
                    sl_iter_done(&it);
                    sl_errorf(t, "dictionary update sequence element #%ld is not iterable (%s)", i,
                              sl_kind_name(pair));
                    return -1;
                }
                if (n < 0 || pair.kind == SL_STRITER) {
                    sl_iter_done(&it);
                    sl_errorf(t, "dictionary update sequence element #%ld has unknown length (%s)", i,
                              sl_kind_name(pair));
                    return -1;
                }
                if (n != 2) {
                    sl_iter_done(&it);
                    sl_errorf(t, "dictionary update sequence element #%ld has length %ld, want 2", i, n);
                    return -1;
                }
                sl_value tmp[2];
                if (pair.kind == SL_LIST) {
                    kv = SL_LIST_(pair)->items;
                } else if (pair.kind == SL_TUPLE) {
                    kv = SL_TUPLE_(pair)->items;
                } else {
                    sl_iter it2;
                    sl_iter_start(t, &it2, pair);
                    sl_iter_next(t, &it2, &tmp[0]);
                    sl_iter_next(t, &it2, &tmp[1]);
                    sl_iter_done(&it2);
                    kv = tmp;
                }
                if (sl_ht_set(t, d, kv[0], kv[1]) < 0) {
                    sl_iter_done(&it);
                    return -1;
                }
            }
            sl_iter_done(&it);
            if (it.err)
                return -1;
        }
    }
    uint32_t before = d->ht.len;
    for (int i = 0; i < nkw; i++)
        if (sl_ht_set(t, d, kw[2 * i], kw[2 * i + 1]) < 0)
            return -1;
    if (d->ht.len < before + (uint32_t)nkw) {
        for (int i = 0; i < nkw; i++)
            for (int j = 0; j < i; j++)
                if (sl_str_eq(SL_STR(kw[2 * i]), SL_STR(kw[2 * j]))) {
                    sl_buf b = {0};
                    sl_write_value(&b, kw[2 * i], true);
                    sl_errorf(t, "duplicate keyword arg: %s", b.p ? b.p : "");
                    sl_buf_free(&b);
                    return -1;
                }
    }
    return 0;
}

/* ---- dict methods ------------------------------------------------------------------------ */

static sl_value dict_clear(sl_thread *t, const sl_callinfo *c)
{
    if (sl_check_args(t, c, 0, 0) < 0)
        return SL_ERR;
    if (sl_ht_clear(t, SL_DICT_(c->self)) < 0) {
        sl_error_prefix(t, c->name);
        return SL_ERR;
    }
    return SL_NONEV;
}

static sl_value dict_get(sl_thread *t, const sl_callinfo *c)
{
    if (sl_check_args(t, c, 1, 2) < 0)
        return SL_ERR;
    sl_value v;
    int r = sl_ht_get(t, SL_DICT_(c->self), c->args[0], &v);
    if (r < 0) {
        sl_error_prefix(t, c->name);
        return SL_ERR;
    }
    if (r)
        return v;
    return c->nargs > 1 ? c->args[1] : SL_NONEV;
}

static sl_value dict_items(sl_thread *t, const sl_callinfo *c)
{
    if (sl_check_args(t, c, 0, 0) < 0)
        return SL_ERR;
    sl_dict *d = SL_DICT_(c->self);
    sl_value out = sl_list_from(t, NULL, 0);
    if (sl_is_error(out) || sl_list_reserve(t, SL_LIST_(out), d->ht.len) < 0)
        return SL_ERR;
    uint32_t i = 0;
    sl_htentry *e;
    while (sl_ht_next(d, &i, &e)) {
        sl_value tu = sl_tuple_alloc(t, 2);
        if (sl_is_error(tu))
            return tu;
        SL_TUPLE_(tu)->items[0] = e->key;
        SL_TUPLE_(tu)->items[1] = e->val;
        SL_LIST_(out)->items[SL_LIST_(out)->len++] = tu;
    }
    return out;
}

static sl_value dict_keys_or_values(sl_thread *t, const sl_callinfo *c, bool keys)
{
    if (sl_check_args(t, c, 0, 0) < 0)
        return SL_ERR;
    sl_dict *d = SL_DICT_(c->self);
    sl_value out = sl_list_from(t, NULL, 0);
    if (sl_is_error(out) || sl_list_reserve(t, SL_LIST_(out), d->ht.len) < 0)
        return SL_ERR;
    uint32_t i = 0;
    sl_htentry *e;
    while (sl_ht_next(d, &i, &e))
        SL_LIST_(out)->items[SL_LIST_(out)->len++] = keys ? e->key : e->val;
    return out;
}

static sl_value dict_keys(sl_thread *t, const sl_callinfo *c) { return dict_keys_or_values(t, c, true); }
static sl_value dict_values(sl_thread *t, const sl_callinfo *c) { return dict_keys_or_values(t, c, false); }

static sl_value dict_pop(sl_thread *t, const sl_callinfo *c)
{
    if (sl_check_args(t, c, 1, 2) < 0)
        return SL_ERR;
    sl_value v;
    int r = sl_ht_del(t, SL_DICT_(c->self), c->args[0], &v);
    if (r < 0) {
        sl_error_prefix(t, c->name);
        return SL_ERR;
    }
    if (r)
        return v;
    if (c->nargs > 1)
        return c->args[1];
    return sl_errorf(t, "%s: missing key", c->name);
}

static sl_value dict_popitem(sl_thread *t, const sl_callinfo *c)
{
    if (sl_check_args(t, c, 0, 0) < 0)
        return SL_ERR;
    sl_dict *d = SL_DICT_(c->self);
    sl_htentry *e = first_entry(d);
    if (!e)
        return sl_errorf(t, "%s: empty dict", c->name);
    sl_value tu = sl_tuple_alloc(t, 2);
    if (sl_is_error(tu))
        return tu;
    SL_TUPLE_(tu)->items[0] = e->key;
    SL_TUPLE_(tu)->items[1] = e->val;
    if (sl_ht_del(t, d, e->key, NULL) < 0) {
        sl_error_prefix(t, c->name);
        return SL_ERR;
    }
    return tu;
}

static sl_value dict_setdefault(sl_thread *t, const sl_callinfo *c)
{
    if (sl_check_args(t, c, 1, 2) < 0)
        return SL_ERR;
    sl_dict *d = SL_DICT_(c->self);
    sl_value v, dflt = c->nargs > 1 ? c->args[1] : SL_NONEV;
    int r = sl_ht_get(t, d, c->args[0], &v);
    if (r < 0 || (r == 0 && sl_ht_set(t, d, c->args[0], dflt) < 0)) {
        sl_error_prefix(t, c->name);
        return SL_ERR;
    }
    return r ? v : dflt;
}

static sl_value dict_update(sl_thread *t, const sl_callinfo *c)
{
    if (c->nargs > 1)
        return sl_errorf(t, "update: got %d arguments, want at most 1", c->nargs);
    if (sl_dict_update(t, SL_DICT_(c->self), c->args, c->nargs, c->kw, c->nkw) < 0) {
        sl_error_prefix(t, "update");
        return SL_ERR;
    }
    return SL_NONEV;
}

const sl_method sl_dict_methods[] = {
    {"clear", dict_clear}, {"get", dict_get},       {"items", dict_items},
    {"keys", dict_keys},   {"pop", dict_pop},       {"popitem", dict_popitem},
    {"setdefault", dict_setdefault}, {"update", dict_update}, {"values", dict_values},
    {NULL, NULL},
};

/* ---- sets ---------------------------------------------------------------------------------- */

/* Inserts every element of an iterable; errors carry no prefix. */
static int set_insert_all(sl_thread *t, sl_dict *s, sl_value iterable)
{
    sl_iter it;
    if (sl_iter_start(t, &it, iterable) < 0) {
        sl_errorf(t, "got %s, want iterable", sl_kind_name(iterable));
        return -1;
    }
    sl_value x;
    while (sl_iter_next(t, &it, &x)) {
        if (sl_ht_set(t, s, x, SL_NONEV) < 0) {
            sl_iter_done(&it);
            return -1;
        }
    }
    sl_iter_done(&it);
    return it.err ? -1 : 0;
}

sl_value sl_set_of(sl_thread *t, sl_value iterable)
{
    sl_value s = sl_dict_alloc(t, SL_SET);
    if (sl_is_error(s))
        return s;
    if (iterable.kind != SL_INVALID && set_insert_all(t, SL_DICT_(s), iterable) < 0)
        return SL_ERR;
    return s;
}

/* The set operations of both the operators and the methods. */

sl_value sl_set_op(sl_thread *t, int op, sl_value x, sl_value y)
{
    sl_dict *a = SL_DICT_(x);
    if (op == SET_UNION) {
        sl_value out = copy_table(t, a, SL_SET);
        if (sl_is_error(out) || set_insert_all(t, SL_DICT_(out), y) < 0)
            return SL_ERR;
        return out;
    }
    /* the other operand as a set, for membership tests */
    sl_value other = y.kind == SL_SET ? y : sl_set_of(t, y);
    if (sl_is_error(other))
        return other;
    sl_dict *b = SL_DICT_(other);
    sl_value out = sl_dict_alloc(t, SL_SET);
    if (sl_is_error(out))
        return out;
    uint32_t i = 0;
    sl_htentry *e;
    sl_value dummy;
    while (sl_ht_next(a, &i, &e)) {
        int in = sl_ht_get(t, b, e->key, &dummy);
        if (in < 0)
            return SL_ERR;
        bool keep = op == SET_INTERSECTION ? in : !in;
        if (keep && sl_ht_set(t, SL_DICT_(out), e->key, SL_NONEV) < 0)
            return SL_ERR;
    }
    if (op == SET_SYMDIFF) {
        i = 0;
        while (sl_ht_next(b, &i, &e)) {
            int in = sl_ht_get(t, a, e->key, &dummy);
            if (in < 0)
                return SL_ERR;
            if (!in && sl_ht_set(t, SL_DICT_(out), e->key, SL_NONEV) < 0)
                return SL_ERR;
        }
    }
    return out;
}

sl_value sl_dict_union(sl_thread *t, sl_value x, sl_value y)
{
    sl_value out = copy_table(t, SL_DICT_(x), SL_DICT);
    if (sl_is_error(out))
        return out;
    uint32_t i = 0;
    sl_htentry *e;
    while (sl_ht_next(SL_DICT_(y), &i, &e))
        if (sl_ht_set(t, SL_DICT_(out), e->key, e->val) < 0)
            return SL_ERR;
    return out;
}

static sl_value set_add(sl_thread *t, const sl_callinfo *c)
{
    if (sl_check_args(t, c, 1, 1) < 0)
        return SL_ERR;
    sl_dict *s = SL_DICT_(c->self);
    if (sl_ht_check_mutable(t, s, "insert into") < 0 || sl_ht_set(t, s, c->args[0], SL_NONEV) < 0) {
        sl_error_prefix(t, c->name);
        return SL_ERR;
    }
    return SL_NONEV;
}

static sl_value set_clear(sl_thread *t, const sl_callinfo *c)
{
    if (sl_check_args(t, c, 0, 0) < 0)
        return SL_ERR;
    sl_dict *s = SL_DICT_(c->self);
    if (s->ht.len > 0 && sl_ht_clear(t, s) < 0) {
        sl_error_prefix(t, c->name);
        return SL_ERR;
    }
    return SL_NONEV;
}

static sl_value set_binop_method(sl_thread *t, const sl_callinfo *c, int op)
{
    if (sl_check_args(t, c, 1, 1) < 0)
        return SL_ERR;
    if (!sl_iterable(c->args[0]))
        return sl_errorf(t, "%s: for parameter 1: got %s, want iterable", c->name, sl_kind_name(c->args[0]));
    sl_value r = sl_set_op(t, op, c->self, c->args[0]);
    if (sl_is_error(r))
        sl_error_prefix(t, c->name);
    return r;
}

static sl_value set_difference(sl_thread *t, const sl_callinfo *c) { return set_binop_method(t, c, SET_DIFFERENCE); }
static sl_value set_intersection(sl_thread *t, const sl_callinfo *c)
{
    return set_binop_method(t, c, SET_INTERSECTION);
}
static sl_value set_symmetric_difference(sl_thread *t, const sl_callinfo *c)
{
    return set_binop_method(t, c, SET_SYMDIFF);
}

static sl_value set_union(sl_thread *t, const sl_callinfo *c)
{
    if (c->nkw > 0)
        return sl_errorf(t, "%s: does not accept keyword arguments", c->name);
    sl_value out = copy_table(t, SL_DICT_(c->self), SL_SET);
    if (sl_is_error(out))
        return out;
    for (int i = 0; i < c->nargs; i++) {
        if (!sl_iterable(c->args[i]))
            return sl_errorf(t, "%s: argument #%d is not iterable: %s", c->name, i + 1,
                             sl_kind_name(c->args[i]));
        if (set_insert_all(t, SL_DICT_(out), c->args[i]) < 0) {
            sl_error_prefix(t, c->name);
            return SL_ERR;
        }
    }
    return out;
}

static sl_value set_update(sl_thread *t, const sl_callinfo *c)
{
    if (c->nkw > 0)
        return sl_errorf(t, "%s: does not accept keyword arguments", c->name);
    for (int i = 0; i < c->nargs; i++) {
        if (!sl_iterable(c->args[i]))
            return sl_errorf(t, "%s: argument #%d is not iterable: %s", c->name, i + 1,
                             sl_kind_name(c->args[i]));
        if (set_insert_all(t, SL_DICT_(c->self), c->args[i]) < 0) {
            sl_error_prefix(t, c->name);
            return SL_ERR;
        }
    }
    return SL_NONEV;
}

static sl_value set_subset_method(sl_thread *t, const sl_callinfo *c, bool superset)
{
    if (sl_check_args(t, c, 1, 1) < 0)
        return SL_ERR;
    if (!sl_iterable(c->args[0]))
        return sl_errorf(t, "%s: for parameter 1: got %s, want iterable", c->name, sl_kind_name(c->args[0]));
    sl_value other = c->args[0].kind == SL_SET ? c->args[0] : sl_set_of(t, c->args[0]);
    if (sl_is_error(other)) {
        sl_error_prefix(t, c->name);
        return other;
    }
    int r = superset ? sl_compare(t, SL_CMP_GE, c->self, other, 10) : sl_compare(t, SL_CMP_LE, c->self, other, 10);
    if (r < 0) {
        sl_error_prefix(t, c->name);
        return SL_ERR;
    }
    return sl_mkbool(r);
}

static sl_value set_issubset(sl_thread *t, const sl_callinfo *c) { return set_subset_method(t, c, false); }
static sl_value set_issuperset(sl_thread *t, const sl_callinfo *c) { return set_subset_method(t, c, true); }

static sl_value set_discard(sl_thread *t, const sl_callinfo *c)
{
    if (sl_check_args(t, c, 1, 1) < 0)
        return SL_ERR;
    sl_dict *s = SL_DICT_(c->self);
    if (sl_ht_check_mutable(t, s, "delete from") < 0 || sl_ht_del(t, s, c->args[0], NULL) < 0) {
        sl_error_prefix(t, c->name);
        return SL_ERR;
    }
    return SL_NONEV;
}

static sl_value set_remove(sl_thread *t, const sl_callinfo *c)
{
    if (sl_check_args(t, c, 1, 1) < 0)
        return SL_ERR;
    int r = sl_ht_del(t, SL_DICT_(c->self), c->args[0], NULL);
    if (r < 0) {
        sl_error_prefix(t, c->name);
        return SL_ERR;
    }
    if (!r)
        return sl_errorf(t, "%s: missing key", c->name);
    return SL_NONEV;
}

static sl_value set_pop(sl_thread *t, const sl_callinfo *c)
{
    if (sl_check_args(t, c, 0, 0) < 0)
        return SL_ERR;
    sl_dict *s = SL_DICT_(c->self);
    sl_htentry *e = first_entry(s);
    if (!e)
        return sl_errorf(t, "%s: empty set", c->name);
    sl_value k = e->key;
    if (sl_ht_del(t, s, k, NULL) < 0) {
        sl_error_prefix(t, c->name);
        return SL_ERR;
    }
    return k;
}

const sl_method sl_set_methods[] = {
    {"add", set_add},
    {"clear", set_clear},
    {"difference", set_difference},
    {"discard", set_discard},
    {"intersection", set_intersection},
    {"issubset", set_issubset},
    {"issuperset", set_issuperset},
    {"pop", set_pop},
    {"remove", set_remove},
    {"symmetric_difference", set_symmetric_difference},
    {"union", set_union},
    {"update", set_update},
    {NULL, NULL},
};
