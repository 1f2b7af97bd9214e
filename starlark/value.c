/* value: what every value has: its type name, truth, hash, equality and
 * ordering, length, and its printed forms (str and repr), with
 * starlark-go's rules and texts. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "internal.h"

#define COMPARE_LIMIT 10 /* starlark-go's CompareLimit */
#define PRINT_DEPTH 200  /* deeper nesting prints as ... */

const char *sl_kind_name(sl_value v)
{
    switch ((sl_kind)v.kind) {
    case SL_NONE: return "NoneType";
    case SL_BOOL: return "bool";
    case SL_INT: return "int";
    case SL_FLOAT: return "float";
    case SL_STRING: return "string";
    case SL_LIST: return "list";
    case SL_TUPLE: return "tuple";
    case SL_DICT: return "dict";
    case SL_SET: return "set";
    case SL_FUNCTION: return "function";
    case SL_BUILTIN: return "builtin_function_or_method";
    case SL_RANGE: return "range";
    case SL_STRITER: {
        int m = ((sl_striter *)v.u.o)->mode;
        return (m == SL_CODEPOINTS || m == SL_CODEPOINT_ORDS) ? "string.codepoints" : "string.elems";
    }
    case SL_CELL: return "cell";
    default: return "invalid";
    }
}

bool sl_truthy(sl_value v)
{
    switch ((sl_kind)v.kind) {
    case SL_NONE: return false;
    case SL_BOOL:
    case SL_INT: return v.u.i != 0;
    case SL_FLOAT: return v.u.f != 0.0;
    case SL_STRING: return SL_STR(v)->len > 0;
    case SL_LIST: return SL_LIST_(v)->len > 0;
    case SL_TUPLE: return SL_TUPLE_(v)->len > 0;
    case SL_DICT:
    case SL_SET: return SL_DICT_(v)->ht.len > 0;
    case SL_RANGE: return SL_RANGE_(v)->len > 0;
    default: return true;
    }
}

long sl_length(sl_value v)
{
    switch ((sl_kind)v.kind) {
    case SL_STRING: return (long)SL_STR(v)->len;
    case SL_LIST: return (long)SL_LIST_(v)->len;
    case SL_TUPLE: return (long)SL_TUPLE_(v)->len;
    case SL_DICT:
    case SL_SET: return (long)SL_DICT_(v)->ht.len;
    case SL_RANGE: return (long)SL_RANGE_(v)->len;
    default: return -1;
    }
}

/* ---- hashing ------------------------------------------------------------------ */

static uint32_t hash_int(int64_t i)
{
    uint64_t x = (uint64_t)i;
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    return (uint32_t)x;
}

static int hash_depth(sl_thread *t, sl_value v, uint32_t *h, int depth)
{
    switch ((sl_kind)v.kind) {
    case SL_NONE:
        *h = 0;
        return 0;
    case SL_BOOL:
        *h = (uint32_t)v.u.i;
        return 0;
    case SL_INT:
        *h = hash_int(v.u.i);
        return 0;
    case SL_FLOAT: {
        double f = v.u.f;
        /* equal ints and floats hash alike */
        if (f == floor(f) && f >= -9.2e18 && f <= 9.2e18) {
            *h = hash_int((int64_t)f);
        } else if (isfinite(f)) {
            uint64_t bits;
            memcpy(&bits, &f, sizeof bits);
            *h = hash_int((int64_t)bits);
        } else {
            *h = 1618033;
        }
        return 0;
    }
    case SL_STRING:
        *h = sl_str_hash(SL_STR(v));
        return 0;
    case SL_TUPLE: {
        /* Python's tuple hash, as starlark-go. Nesting past the compare
         * limit can't be compared anyway, so it stops contributing. */
        sl_tuple *tu = SL_TUPLE_(v);
        uint32_t x = 0x345678, mult = 1000003;
        for (size_t i = 0; i < tu->len; i++) {
            uint32_t y = 7;
            if (depth < COMPARE_LIMIT * 4 && hash_depth(t, tu->items[i], &y, depth + 1) < 0)
                return -1;
            x = x ^ (y * mult);
            mult += 82520 + (uint32_t)(tu->len + tu->len);
        }
        *h = x;
        return 0;
    }
    case SL_FUNCTION:
    case SL_BUILTIN:
        *h = hash_int((int64_t)(uintptr_t)v.u.o);
        return 0;
    case SL_LIST:
    case SL_DICT:
    case SL_SET:
        sl_errorf(t, "unhashable type: %s", sl_kind_name(v));
        return -1;
    default:
        sl_errorf(t, "unhashable: %s", sl_kind_name(v));
        return -1;
    }
}

int sl_hash(sl_thread *t, sl_value v, uint32_t *h)
{
    if (v.kind == SL_STRING) {
        *h = sl_str_hash(SL_STR(v));
        return 0;
    }
    return hash_depth(t, v, h, 0);
}

/* ---- comparison ------------------------------------------------------------------ */

static const char *const cmp_names[] = {"==", "!=", "<", "<=", ">", ">="};

static bool threeway(int op, int cmp)
{
    switch (op) {
    case SL_CMP_EQ: return cmp == 0;
    case SL_CMP_NE: return cmp != 0;
    case SL_CMP_LT: return cmp < 0;
    case SL_CMP_LE: return cmp <= 0;
    case SL_CMP_GT: return cmp > 0;
    default: return cmp >= 0;
    }
}

static int not_impl(sl_thread *t, int op, sl_value x, sl_value y)
{
    sl_errorf(t, "%s %s %s not implemented", sl_kind_name(x), cmp_names[op], sl_kind_name(y));
    return -1;
}

/* floats are totally ordered with NaN greatest and equal to itself */
static int float_cmp(double x, double y)
{
    if (x > y)
        return 1;
    if (x < y)
        return -1;
    if (x == y)
        return 0;
    if (x == x)
        return -1; /* y is NaN */
    if (y == y)
        return 1; /* x is NaN */
    return 0;
}

/* Exact comparison of an int with a float. */
static int int_float_cmp(int64_t i, double f)
{
    if (f != f)
        return -1; /* NaN is greater */
    if (f >= 9223372036854775808.0)
        return -1;
    if (f < -9223372036854775808.0)
        return 1;
    double tr = trunc(f);
    int64_t fi = (int64_t)tr;
    if (i != fi)
        return i < fi ? -1 : 1;
    double frac = f - tr;
    return frac > 0 ? -1 : frac < 0 ? 1 : 0;
}

static int seq_compare(sl_thread *t, int op, const sl_value *x, size_t nx, const sl_value *y, size_t ny, int depth)
{
    if (nx != ny && (op == SL_CMP_EQ || op == SL_CMP_NE))
        return op == SL_CMP_NE;
    for (size_t i = 0; i < nx && i < ny; i++) {
        int eq = sl_compare(t, SL_CMP_EQ, x[i], y[i], depth - 1);
        if (eq < 0)
            return -1;
        if (!eq) {
            if (op == SL_CMP_EQ)
                return 0;
            if (op == SL_CMP_NE)
                return 1;
            return sl_compare(t, op, x[i], y[i], depth - 1);
        }
    }
    return threeway(op, nx < ny ? -1 : nx > ny ? 1 : 0);
}

static int dicts_equal(sl_thread *t, sl_dict *x, sl_dict *y, int depth)
{
    if (x->ht.len != y->ht.len)
        return 0;
    uint32_t i = 0;
    sl_htentry *e;
    while (sl_ht_next(x, &i, &e)) {
        sl_value yv;
        int found = sl_ht_get(t, y, e->key, &yv);
        if (found <= 0)
            return 0; /* keys of x are hashable: no lookup error */
        if (x->h.kind == SL_SET)
            continue;
        int eq = sl_compare(t, SL_CMP_EQ, e->val, yv, depth - 1);
        if (eq <= 0)
            return eq;
    }
    return 1;
}

/* Is every element of x in y? */
static int subset(sl_thread *t, sl_dict *x, sl_dict *y)
{
    uint32_t i = 0;
    sl_htentry *e;
    while (sl_ht_next(x, &i, &e)) {
        sl_value dummy;
        int found = sl_ht_get(t, y, e->key, &dummy);
        if (found < 0)
            return -1;
        if (!found)
            return 0;
    }
    return 1;
}

int sl_compare(sl_thread *t, int op, sl_value x, sl_value y, int depth)
{
    if (depth < 1) {
        sl_errorf(t, "comparison exceeded maximum recursion depth");
        return -1;
    }
    if (x.kind == y.kind) {
        switch ((sl_kind)x.kind) {
        case SL_INT:
        case SL_BOOL:
            return threeway(op, x.u.i < y.u.i ? -1 : x.u.i > y.u.i);
        case SL_FLOAT:
            return threeway(op, float_cmp(x.u.f, y.u.f));
        case SL_STRING: {
            sl_string *a = SL_STR(x), *b = SL_STR(y);
            if (op == SL_CMP_EQ || op == SL_CMP_NE)
                return sl_str_eq(a, b) == (op == SL_CMP_EQ);
            size_t n = a->len < b->len ? a->len : b->len;
            int c = memcmp(a->data, b->data, n);
            if (c == 0)
                c = a->len < b->len ? -1 : a->len > b->len;
            return threeway(op, c);
        }
        case SL_LIST:
            return seq_compare(t, op, SL_LIST_(x)->items, SL_LIST_(x)->len, SL_LIST_(y)->items, SL_LIST_(y)->len,
                               depth);
        case SL_TUPLE:
            return seq_compare(t, op, SL_TUPLE_(x)->items, SL_TUPLE_(x)->len, SL_TUPLE_(y)->items,
                               SL_TUPLE_(y)->len, depth);
        case SL_DICT:
            if (op == SL_CMP_EQ || op == SL_CMP_NE) {
                int eq = dicts_equal(t, SL_DICT_(x), SL_DICT_(y), depth);
                return eq < 0 ? -1 : eq == (op == SL_CMP_EQ);
            }
            return not_impl(t, op, x, y);
        case SL_SET: {
            sl_dict *a = SL_DICT_(x), *b = SL_DICT_(y);
            switch (op) {
            case SL_CMP_EQ:
            case SL_CMP_NE: {
                int eq = dicts_equal(t, a, b, depth);
                return eq < 0 ? -1 : eq == (op == SL_CMP_EQ);
            }
            case SL_CMP_GE:
                return a->ht.len < b->ht.len ? 0 : subset(t, b, a);
            case SL_CMP_LE:
                return a->ht.len > b->ht.len ? 0 : subset(t, a, b);
            case SL_CMP_GT:
                return a->ht.len <= b->ht.len ? 0 : subset(t, b, a);
            default:
                return a->ht.len >= b->ht.len ? 0 : subset(t, a, b);
            }
        }
        case SL_RANGE:
            if (op == SL_CMP_EQ || op == SL_CMP_NE) {
                sl_range *a = SL_RANGE_(x), *b = SL_RANGE_(y);
                bool eq = a->len == b->len &&
                          (a->len == 0 || (a->start == b->start && (a->len == 1 || a->step == b->step)));
                return eq == (op == SL_CMP_EQ);
            }
            return not_impl(t, op, x, y);
        case SL_NONE:
            if (op == SL_CMP_EQ || op == SL_CMP_NE)
                return op == SL_CMP_EQ;
            return not_impl(t, op, x, y);
        default:
            /* functions, builtins, iterables: identity */
            if (op == SL_CMP_EQ || op == SL_CMP_NE)
                return (x.u.o == y.u.o) == (op == SL_CMP_EQ);
            return not_impl(t, op, x, y);
        }
    }
    if (x.kind == SL_INT && y.kind == SL_FLOAT)
        return threeway(op, int_float_cmp(x.u.i, y.u.f));
    if (x.kind == SL_FLOAT && y.kind == SL_INT)
        return threeway(op, -int_float_cmp(y.u.i, x.u.f));
    if (op == SL_CMP_EQ)
        return 0;
    if (op == SL_CMP_NE)
        return 1;
    return not_impl(t, op, x, y);
}

int sl_equal(sl_thread *t, sl_value x, sl_value y)
{
    if (x.kind == SL_STRING && y.kind == SL_STRING)
        return sl_str_eq(SL_STR(x), SL_STR(y));
    if (x.kind == SL_INT && y.kind == SL_INT)
        return x.u.i == y.u.i;
    return sl_compare(t, SL_CMP_EQ, x, y, COMPARE_LIMIT);
}

/* ---- printing -------------------------------------------------------------------------- */

typedef struct printpath {
    const sl_obj *o[PRINT_DEPTH];
    int n;
} printpath;

static bool on_path(const printpath *p, const sl_obj *o)
{
    for (int i = 0; i < p->n; i++)
        if (p->o[i] == o)
            return true;
    return false;
}

static void write_value(sl_buf *b, sl_value v, bool repr, printpath *path)
{
    switch ((sl_kind)v.kind) {
    case SL_NONE:
        sl_buf_puts(b, "None");
        return;
    case SL_BOOL:
        sl_buf_puts(b, v.u.i ? "True" : "False");
        return;
    case SL_INT:
        sl_buf_int(b, v.u.i);
        return;
    case SL_FLOAT:
        sl_format_float(b, v.u.f, 'g');
        return;
    case SL_STRING:
        if (repr)
            sl_quote(b, SL_STR(v)->data, SL_STR(v)->len);
        else
            sl_buf_put(b, SL_STR(v)->data, SL_STR(v)->len);
        return;
    default:
        break;
    }
    if (path->n >= PRINT_DEPTH) {
        sl_buf_puts(b, "...");
        return;
    }
    switch ((sl_kind)v.kind) {
    case SL_LIST: {
        sl_list *l = SL_LIST_(v);
        sl_buf_putc(b, '[');
        if (on_path(path, &l->h)) {
            sl_buf_puts(b, "...");
        } else {
            path->o[path->n++] = &l->h;
            for (size_t i = 0; i < l->len; i++) {
                if (i)
                    sl_buf_puts(b, ", ");
                write_value(b, l->items[i], true, path);
            }
            path->n--;
        }
        sl_buf_putc(b, ']');
        return;
    }
    case SL_TUPLE: {
        sl_tuple *tu = SL_TUPLE_(v);
        sl_buf_putc(b, '(');
        path->o[path->n++] = &tu->h;
        for (size_t i = 0; i < tu->len; i++) {
            if (i)
                sl_buf_puts(b, ", ");
            write_value(b, tu->items[i], true, path);
        }
        path->n--;
        if (tu->len == 1)
            sl_buf_putc(b, ',');
        sl_buf_putc(b, ')');
        return;
    }
    case SL_DICT: {
        sl_dict *d = SL_DICT_(v);
        sl_buf_putc(b, '{');
        if (on_path(path, &d->h)) {
            sl_buf_puts(b, "...");
        } else {
            uint32_t i = 0;
            sl_htentry *e;
            bool first = true;
            while (sl_ht_next(d, &i, &e)) {
                if (!first)
                    sl_buf_puts(b, ", ");
                first = false;
                path->o[path->n++] = &d->h;
                write_value(b, e->key, true, path);
                sl_buf_puts(b, ": ");
                write_value(b, e->val, true, path);
                path->n--;
            }
        }
        sl_buf_putc(b, '}');
        return;
    }
    case SL_SET: {
        sl_dict *d = SL_DICT_(v);
        sl_buf_puts(b, "set([");
        uint32_t i = 0;
        sl_htentry *e;
        bool first = true;
        path->o[path->n++] = &d->h;
        while (sl_ht_next(d, &i, &e)) {
            if (!first)
                sl_buf_puts(b, ", ");
            first = false;
            write_value(b, e->key, true, path);
        }
        path->n--;
        sl_buf_puts(b, "])");
        return;
    }
    case SL_FUNCTION:
        sl_buf_printf(b, "<function %s>", SL_FUNC(v)->code->name);
        return;
    case SL_BUILTIN: {
        sl_builtinobj *bi = SL_BUILTIN_(v);
        if (bi->self.kind != SL_INVALID)
            sl_buf_printf(b, "<built-in method %s of %s value>", bi->name, sl_kind_name(bi->self));
        else
            sl_buf_printf(b, "<built-in function %s>", bi->name);
        return;
    }
    case SL_RANGE: {
        sl_range *r = SL_RANGE_(v);
        if (r->step != 1)
            sl_buf_printf(b, "range(%lld, %lld, %lld)", (long long)r->start, (long long)r->stop,
                          (long long)r->step);
        else if (r->start != 0)
            sl_buf_printf(b, "range(%lld, %lld)", (long long)r->start, (long long)r->stop);
        else
            sl_buf_printf(b, "range(%lld)", (long long)r->stop);
        return;
    }
    case SL_STRITER: {
        static const char *const names[] = {"elems", "elem_ords", "codepoints", "codepoint_ords"};
        sl_striter *it = (sl_striter *)v.u.o;
        write_value(b, it->s, true, path);
        sl_buf_printf(b, ".%s()", names[it->mode]);
        return;
    }
    default:
        sl_buf_puts(b, "<invalid>");
    }
}

void sl_write_value(sl_buf *b, sl_value v, bool repr)
{
    printpath path;
    path.n = 0;
    write_value(b, v, repr, &path);
}

sl_value sl_str_of(sl_thread *t, sl_value v)
{
    if (v.kind == SL_STRING)
        return v;
    sl_buf b = {0};
    sl_write_value(&b, v, true);
    return sl_buf_finish(t, &b);
}

int sl_as_int32(sl_thread *t, sl_value v, int64_t *out)
{
    if (v.kind != SL_INT) {
        sl_errorf(t, "got %s, want int", sl_kind_name(v));
        return -1;
    }
    if (v.u.i < INT32_MIN || v.u.i > INT32_MAX) {
        sl_errorf(t, "%lld out of range", (long long)v.u.i);
        return -1;
    }
    *out = v.u.i;
    return 0;
}
