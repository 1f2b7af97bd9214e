/* ops: the operators outside the interpreter's fast paths: arithmetic with
 * 64-bit overflow checks, sequence repetition and concatenation, set and
 * dict operators, membership, indexing, slicing and attributes, with
 * starlark-go's error texts.
 *
 * Ints are 64-bit here (starlark-go's are unbounded): a result that does
 * not fit is the error "integer overflow", never a wrapped value. */
#include <math.h>
#include <stdlib.h>

#include "opcodes.h"
#include "internal.h"


#define MAX_ALLOC (1 << 30)

static const char *binop_name(int op)
{
    switch (op) {
    case OP_ADD: return "+";
    case OP_SUB: return "-";
    case OP_MUL: return "*";
    case OP_DIV: return "/";
    case OP_FLOORDIV: return "//";
    case OP_MOD: return "%";
    case OP_BITAND: return "&";
    case OP_BITOR: return "|";
    case OP_BITXOR: return "^";
    case OP_SHL: return "<<";
    case OP_SHR: return ">>";
    case OP_IN: return "in";
    case OP_NOTIN: return "not in";
    default: return "?";
    }
}

static sl_value unknown(sl_thread *t, int op, sl_value x, sl_value y)
{
    return sl_errorf(t, "unknown binary op: %s %s %s", sl_kind_name(x), binop_name(op), sl_kind_name(y));
}

static sl_value overflow(sl_thread *t) { return sl_errorf(t, "integer overflow"); }

/* ---- int arithmetic --------------------------------------------------------------- */

static sl_value int_floordiv(sl_thread *t, int64_t x, int64_t y)
{
    if (y == 0)
        return sl_errorf(t, "floored division by zero");
    if (x == INT64_MIN && y == -1)
        return overflow(t);
    int64_t q = x / y;
    if ((x % y != 0) && ((x < 0) != (y < 0)))
        q--;
    return sl_mkint(q);
}

static sl_value int_mod(sl_thread *t, int64_t x, int64_t y)
{
    if (y == 0)
        return sl_errorf(t, "integer modulo by zero");
    if (y == -1)
        return sl_mkint(0);
    int64_t r = x % y;
    if (r != 0 && ((r < 0) != (y < 0)))
        r += y;
    return sl_mkint(r);
}

static double float_mod(double x, double y)
{
    double z = fmod(x, y);
    if ((x < 0) != (y < 0) && z != 0)
        z += y;
    return z;
}

static sl_value shift(sl_thread *t, int op, sl_value x, sl_value y)
{
    int64_t n;
    if (sl_as_int32(t, y, &n) < 0)
        return SL_ERR;
    if (n < 0)
        return sl_errorf(t, "negative shift count: %lld", (long long)n);
    int64_t v = x.u.i;
    if (op == OP_SHR)
        return sl_mkint(n >= 64 ? (v < 0 ? -1 : 0) : v >> n);
    if (n >= 512)
        return sl_errorf(t, "shift count too large: %lld", (long long)n);
    if (v == 0)
        return sl_mkint(0);
    if (n >= 63)
        return overflow(t);
    int64_t r = (int64_t)((uint64_t)v << n);
    if ((r >> n) != v)
        return overflow(t);
    return sl_mkint(r);
}

/* ---- sequences ------------------------------------------------------------------------ */

static sl_value repeat(sl_thread *t, sl_value seq, int64_t n)
{
    size_t len;
    if (seq.kind == SL_STRING)
        len = SL_STR(seq)->len;
    else if (seq.kind == SL_LIST)
        len = SL_LIST_(seq)->len;
    else
        len = SL_TUPLE_(seq)->len;
    if (len == 0 || n < 1) {
        if (seq.kind == SL_STRING)
            return sl_str_new(t, "", 0);
        if (seq.kind == SL_LIST)
            return sl_list_from(t, NULL, 0);
        return sl_tuple_alloc(t, 0);
    }
    if (n > INT32_MAX)
        return sl_errorf(t, "repeat count %lld too large", (long long)n);
    if ((uint64_t)len * (uint64_t)n >= MAX_ALLOC)
        return sl_errorf(t, "excessive repeat (%zu * %lld elements)", len, (long long)n);
    size_t total = len * (size_t)n;
    if (seq.kind == SL_STRING) {
        sl_string *s = sl_str_alloc(t, total);
        if (!s)
            return SL_ERR;
        for (int64_t i = 0; i < n; i++)
            memcpy(s->data + (size_t)i * len, SL_STR(seq)->data, len);
        return sl_mkobj(s);
    }
    const sl_value *src = seq.kind == SL_LIST ? SL_LIST_(seq)->items : SL_TUPLE_(seq)->items;
    sl_value out;
    sl_value *dst;
    if (seq.kind == SL_LIST) {
        out = sl_list_from(t, NULL, 0);
        if (sl_is_error(out) || sl_list_reserve(t, SL_LIST_(out), total) < 0)
            return SL_ERR;
        SL_LIST_(out)->len = total;
        dst = SL_LIST_(out)->items;
        src = SL_LIST_(seq)->items;
    } else {
        out = sl_tuple_alloc(t, total);
        if (sl_is_error(out))
            return out;
        dst = SL_TUPLE_(out)->items;
    }
    for (int64_t i = 0; i < n; i++)
        memcpy(dst + (size_t)i * len, src, len * sizeof(sl_value));
    return out;
}

static sl_value concat(sl_thread *t, sl_value x, sl_value y)
{
    if (x.kind == SL_STRING)
        return sl_str_concat(t, x, y);
    if (x.kind == SL_LIST) {
        sl_list *a = SL_LIST_(x), *b = SL_LIST_(y);
        sl_value out = sl_list_from(t, a->items, a->len);
        if (sl_is_error(out) || sl_list_reserve(t, SL_LIST_(out), b->len) < 0)
            return SL_ERR;
        memcpy(SL_LIST_(out)->items + a->len, b->items, b->len * sizeof(sl_value));
        SL_LIST_(out)->len += b->len;
        return out;
    }
    sl_tuple *a = SL_TUPLE_(x), *b = SL_TUPLE_(y);
    sl_value out = sl_tuple_alloc(t, a->len + b->len);
    if (sl_is_error(out))
        return out;
    memcpy(SL_TUPLE_(out)->items, a->items, a->len * sizeof(sl_value));
    memcpy(SL_TUPLE_(out)->items + a->len, b->items, b->len * sizeof(sl_value));
    return out;
}

/* ---- membership --------------------------------------------------------------------------- */

/* 1, 0, or -1 (error) for x in y; -2 when y is no container. */
static int contains(sl_thread *t, sl_value y, sl_value x)
{
    switch ((sl_kind)y.kind) {
    case SL_LIST:
    case SL_TUPLE: {
        const sl_value *v = y.kind == SL_LIST ? SL_LIST_(y)->items : SL_TUPLE_(y)->items;
        size_t n = y.kind == SL_LIST ? SL_LIST_(y)->len : SL_TUPLE_(y)->len;
        for (size_t i = 0; i < n; i++) {
            int eq = sl_equal(t, v[i], x);
            if (eq != 0)
                return eq;
            if (y.kind == SL_LIST)
                n = SL_LIST_(y)->len < n ? SL_LIST_(y)->len : n;
        }
        return 0;
    }
    case SL_STRING: {
        if (x.kind != SL_STRING) {
            sl_errorf(t, "'in <string>' requires string as left operand, not %s", sl_kind_name(x));
            return -1;
        }
        sl_string *s = SL_STR(y), *sub = SL_STR(x);
        if (sub->len == 0)
            return 1;
        return memmem(s->data, s->len, sub->data, sub->len) != NULL;
    }
    case SL_DICT: {
        sl_value v;
        int r = sl_ht_get(t, SL_DICT_(y), x, &v);
        return r > 0; /* lookup errors (unhashable) read as absent, as starlark-go */
    }
    case SL_SET: {
        sl_value v;
        return sl_ht_get(t, SL_DICT_(y), x, &v);
    }
    case SL_RANGE: {
        sl_range *r = SL_RANGE_(y);
        int64_t i;
        if (x.kind == SL_INT) {
            i = x.u.i;
        } else if (x.kind == SL_FLOAT && isfinite(x.u.f) && fabs(x.u.f) < 9.2e18) {
            i = (int64_t)x.u.f;
        } else {
            sl_errorf(t, "'in <range>' requires integer as left operand, not %s", sl_kind_name(x));
            return -1;
        }
        if (i < INT32_MIN || i > INT32_MAX)
            return 0;
        __int128 delta = (__int128)i - r->start;
        __int128 q = delta / r->step, rem = delta % r->step;
        return rem == 0 && q >= 0 && q < r->len;
    }
    default:
        return -2;
    }
}

/* ---- binary ---------------------------------------------------------------------------------- */

sl_value sl_binary(sl_thread *t, int op, sl_value x, sl_value y)
{
    int64_t r;
    switch (op) {
    case OP_ADD:
        if (x.kind == SL_INT && y.kind == SL_INT) {
            if (__builtin_add_overflow(x.u.i, y.u.i, &r))
                return overflow(t);
            return sl_mkint(r);
        }
        if ((x.kind == SL_INT || x.kind == SL_FLOAT) && (y.kind == SL_INT || y.kind == SL_FLOAT))
            return sl_mkfloat((x.kind == SL_INT ? (double)x.u.i : x.u.f) + (y.kind == SL_INT ? (double)y.u.i : y.u.f));
        if (x.kind == y.kind && (x.kind == SL_STRING || x.kind == SL_LIST || x.kind == SL_TUPLE))
            return concat(t, x, y);
        break;
    case OP_SUB:
        if (x.kind == SL_INT && y.kind == SL_INT) {
            if (__builtin_sub_overflow(x.u.i, y.u.i, &r))
                return overflow(t);
            return sl_mkint(r);
        }
        if ((x.kind == SL_INT || x.kind == SL_FLOAT) && (y.kind == SL_INT || y.kind == SL_FLOAT))
            return sl_mkfloat((x.kind == SL_INT ? (double)x.u.i : x.u.f) - (y.kind == SL_INT ? (double)y.u.i : y.u.f));
        if (x.kind == SL_SET && y.kind == SL_SET)
            return sl_set_op(t, SET_DIFFERENCE, x, y);
        break;
    case OP_MUL:
        if (x.kind == SL_INT && y.kind == SL_INT) {
            if (__builtin_mul_overflow(x.u.i, y.u.i, &r))
                return overflow(t);
            return sl_mkint(r);
        }
        if ((x.kind == SL_INT || x.kind == SL_FLOAT) && (y.kind == SL_INT || y.kind == SL_FLOAT))
            return sl_mkfloat((x.kind == SL_INT ? (double)x.u.i : x.u.f) * (y.kind == SL_INT ? (double)y.u.i : y.u.f));
        if (x.kind == SL_INT && (y.kind == SL_STRING || y.kind == SL_LIST || y.kind == SL_TUPLE))
            return repeat(t, y, x.u.i);
        if (y.kind == SL_INT && (x.kind == SL_STRING || x.kind == SL_LIST || x.kind == SL_TUPLE))
            return repeat(t, x, y.u.i);
        break;
    case OP_DIV:
        if ((x.kind == SL_INT || x.kind == SL_FLOAT) && (y.kind == SL_INT || y.kind == SL_FLOAT)) {
            double b = y.kind == SL_INT ? (double)y.u.i : y.u.f;
            if (b == 0.0)
                return sl_errorf(t, "floating-point division by zero");
            return sl_mkfloat((x.kind == SL_INT ? (double)x.u.i : x.u.f) / b);
        }
        break;
    case OP_FLOORDIV:
        if (x.kind == SL_INT && y.kind == SL_INT)
            return int_floordiv(t, x.u.i, y.u.i);
        if ((x.kind == SL_INT || x.kind == SL_FLOAT) && (y.kind == SL_INT || y.kind == SL_FLOAT)) {
            double b = y.kind == SL_INT ? (double)y.u.i : y.u.f;
            if (b == 0.0)
                return sl_errorf(t, "floored division by zero");
            return sl_mkfloat(floor((x.kind == SL_INT ? (double)x.u.i : x.u.f) / b));
        }
        break;
    case OP_MOD:
        if (x.kind == SL_INT && y.kind == SL_INT)
            return int_mod(t, x.u.i, y.u.i);
        if ((x.kind == SL_INT || x.kind == SL_FLOAT) && (y.kind == SL_INT || y.kind == SL_FLOAT)) {
            double b = y.kind == SL_INT ? (double)y.u.i : y.u.f;
            if (b == 0.0)
                return sl_errorf(t, "floating-point modulo by zero");
            return sl_mkfloat(float_mod(x.kind == SL_INT ? (double)x.u.i : x.u.f, b));
        }
        if (x.kind == SL_STRING)
            return sl_interpolate(t, x, y);
        break;
    case OP_BITAND:
        if (x.kind == SL_INT && y.kind == SL_INT)
            return sl_mkint(x.u.i & y.u.i);
        if (x.kind == SL_SET && y.kind == SL_SET)
            return sl_set_op(t, SET_INTERSECTION, x, y);
        break;
    case OP_BITOR:
        if (x.kind == SL_INT && y.kind == SL_INT)
            return sl_mkint(x.u.i | y.u.i);
        if (x.kind == SL_DICT && y.kind == SL_DICT)
            return sl_dict_union(t, x, y);
        if (x.kind == SL_SET && y.kind == SL_SET)
            return sl_set_op(t, SET_UNION, x, y);
        break;
    case OP_BITXOR:
        if (x.kind == SL_INT && y.kind == SL_INT)
            return sl_mkint(x.u.i ^ y.u.i);
        if (x.kind == SL_SET && y.kind == SL_SET)
            return sl_set_op(t, SET_SYMDIFF, x, y);
        break;
    case OP_SHL:
    case OP_SHR:
        if (x.kind == SL_INT)
            return shift(t, op, x, y);
        break;
    case OP_IN:
    case OP_NOTIN: {
        int c = contains(t, y, x);
        if (c == -1)
            return SL_ERR;
        if (c == -2)
            break;
        return sl_mkbool(op == OP_IN ? c : !c);
    }
    case OP_EQ: case OP_NE: case OP_LT: case OP_LE: case OP_GT: case OP_GE: {
        int c = sl_compare(t, op - OP_EQ + SL_CMP_EQ, x, y, 10);
        if (c < 0)
            return SL_ERR;
        return sl_mkbool(c);
    }
    default:
        break;
    }
    return unknown(t, op, x, y);
}

sl_value sl_unary(sl_thread *t, int op, sl_value x)
{
    switch (op) {
    case OP_NOT:
        return sl_mkbool(!sl_truthy(x));
    case OP_NEG:
        if (x.kind == SL_INT) {
            if (x.u.i == INT64_MIN)
                return overflow(t);
            return sl_mkint(-x.u.i);
        }
        if (x.kind == SL_FLOAT)
            return sl_mkfloat(-x.u.f);
        return sl_errorf(t, "unknown unary op: - %s", sl_kind_name(x));
    case OP_POS:
        if (x.kind == SL_INT || x.kind == SL_FLOAT)
            return x;
        return sl_errorf(t, "unknown unary op: + %s", sl_kind_name(x));
    default:
        if (x.kind == SL_INT)
            return sl_mkint(~x.u.i);
        return sl_errorf(t, "unknown unary op: ~ %s", sl_kind_name(x));
    }
}

/* ---- indexing ----------------------------------------------------------------------------------- */

static sl_value out_of_range(sl_thread *t, int64_t i, int64_t n, sl_value x)
{
    if (n == 0)
        return sl_errorf(t, "index %lld out of range: empty %s", (long long)i, sl_kind_name(x));
    return sl_errorf(t, "%s index %lld out of range [%lld:%lld]", sl_kind_name(x), (long long)i, (long long)-n,
                     (long long)(n - 1));
}

sl_value sl_get_index(sl_thread *t, sl_value x, sl_value y)
{
    int64_t n;
    switch ((sl_kind)x.kind) {
    case SL_DICT: {
        sl_value v;
        int r = sl_ht_get(t, SL_DICT_(x), y, &v);
        if (r < 0)
            return SL_ERR;
        if (r)
            return v;
        sl_buf b = {0};
        sl_write_value(&b, y, true);
        sl_value err = sl_errorf(t, "key %s not in dict", b.p ? b.p : "");
        sl_buf_free(&b);
        return err;
    }
    case SL_LIST: n = (int64_t)SL_LIST_(x)->len; break;
    case SL_TUPLE: n = (int64_t)SL_TUPLE_(x)->len; break;
    case SL_STRING: n = (int64_t)SL_STR(x)->len; break;
    case SL_RANGE: n = SL_RANGE_(x)->len; break;
    default:
        return sl_errorf(t, "unhandled index operation %s[%s]", sl_kind_name(x), sl_kind_name(y));
    }
    int64_t i;
    if (sl_as_int32(t, y, &i) < 0) {
        sl_error_prefix(t, x.kind == SL_STRING ? "string index" : x.kind == SL_LIST ? "list index"
                           : x.kind == SL_TUPLE ? "tuple index" : "range index");
        return SL_ERR;
    }
    int64_t orig = i;
    if (i < 0)
        i += n;
    if (i < 0 || i >= n)
        return out_of_range(t, orig, n, x);
    switch ((sl_kind)x.kind) {
    case SL_LIST: return SL_LIST_(x)->items[i];
    case SL_TUPLE: return SL_TUPLE_(x)->items[i];
    case SL_STRING: return sl_str_new(t, SL_STR(x)->data + i, 1);
    default: return sl_mkint(SL_RANGE_(x)->start + i * SL_RANGE_(x)->step);
    }
}

int sl_set_index(sl_thread *t, sl_value x, sl_value y, sl_value z)
{
    if (x.kind == SL_DICT)
        return sl_ht_set(t, SL_DICT_(x), y, z);
    if (x.kind != SL_LIST) {
        sl_errorf(t, "%s value does not support item assignment", sl_kind_name(x));
        return -1;
    }
    sl_list *l = SL_LIST_(x);
    int64_t i, n = (int64_t)l->len;
    if (sl_as_int32(t, y, &i) < 0)
        return -1;
    int64_t orig = i;
    if (i < 0)
        i += n;
    if (i < 0 || i >= n) {
        out_of_range(t, orig, n, x);
        return -1;
    }
    if (sl_list_check_mutable(t, l, "assign to element of") < 0)
        return -1;
    l->items[i] = z;
    return 0;
}

/* ---- slicing --------------------------------------------------------------------------------------- */

static int as_index(sl_thread *t, sl_value v, int64_t len, int64_t *out)
{
    if (v.kind == SL_NONE || v.kind == SL_INVALID)
        return 0;
    if (sl_as_int32(t, v, out) < 0)
        return -1;
    if (*out < 0)
        *out += len;
    return 0;
}

int sl_slice_indices(sl_thread *t, sl_value lo, sl_value hi, int64_t len, int64_t *start, int64_t *end)
{
    *start = 0;
    if (as_index(t, lo, len, start) < 0) {
        sl_error_prefix(t, "invalid start index");
        return -1;
    }
    if (*start < 0)
        *start = 0;
    else if (*start > len)
        *start = len;
    *end = len;
    if (as_index(t, hi, len, end) < 0) {
        sl_error_prefix(t, "invalid end index");
        return -1;
    }
    if (*end < 0)
        *end = 0;
    else if (*end > len)
        *end = len;
    return 0;
}

sl_value sl_slice(sl_thread *t, sl_value x, sl_value lo, sl_value hi, sl_value stepv)
{
    int64_t n;
    switch ((sl_kind)x.kind) {
    case SL_STRING: n = (int64_t)SL_STR(x)->len; break;
    case SL_LIST: n = (int64_t)SL_LIST_(x)->len; break;
    case SL_TUPLE: n = (int64_t)SL_TUPLE_(x)->len; break;
    case SL_RANGE: n = SL_RANGE_(x)->len; break;
    default:
        return sl_errorf(t, "invalid slice operand %s", sl_kind_name(x));
    }
    int64_t step = 1;
    if (stepv.kind != SL_NONE) {
        if (sl_as_int32(t, stepv, &step) < 0) {
            sl_error_prefix(t, "invalid slice step");
            return SL_ERR;
        }
        if (step == 0)
            return sl_errorf(t, "zero is not a valid slice step");
    }
    int64_t start, end;
    if (step > 0) {
        if (sl_slice_indices(t, lo, hi, n, &start, &end) < 0)
            return SL_ERR;
        if (end < start)
            end = start;
    } else {
        start = n - 1;
        if (as_index(t, lo, n, &start) < 0) {
            sl_error_prefix(t, "invalid start index");
            return SL_ERR;
        }
        if (start >= n)
            start = n - 1;
        end = -1;
        if (as_index(t, hi, n, &end) < 0) {
            sl_error_prefix(t, "invalid end index");
            return SL_ERR;
        }
        if (end < -1)
            end = -1;
        if (start < end)
            start = end;
    }
    int64_t count = step > 0 ? (end - start + step - 1) / step : (start - end + (-step) - 1) / (-step);
    if (count < 0)
        count = 0;
    switch ((sl_kind)x.kind) {
    case SL_STRING: {
        if (step == 1)
            return sl_str_new(t, SL_STR(x)->data + start, (size_t)(end - start));
        sl_string *s = sl_str_alloc(t, (size_t)count);
        if (!s)
            return SL_ERR;
        for (int64_t i = 0, j = start; i < count; i++, j += step)
            s->data[i] = SL_STR(x)->data[j];
        return sl_mkobj(s);
    }
    case SL_LIST:
    case SL_TUPLE: {
        const sl_value *src = x.kind == SL_LIST ? SL_LIST_(x)->items : SL_TUPLE_(x)->items;
        sl_value out;
        sl_value *dst;
        if (x.kind == SL_LIST) {
            out = sl_list_from(t, NULL, 0);
            if (sl_is_error(out) || sl_list_reserve(t, SL_LIST_(out), (size_t)count) < 0)
                return SL_ERR;
            SL_LIST_(out)->len = (size_t)count;
            dst = SL_LIST_(out)->items;
            src = SL_LIST_(x)->items;
        } else {
            out = sl_tuple_alloc(t, (size_t)count);
            if (sl_is_error(out))
                return out;
            dst = SL_TUPLE_(out)->items;
        }
        for (int64_t i = 0, j = start; i < count; i++, j += step)
            dst[i] = src[j];
        return out;
    }
    default: {
        sl_range *r = SL_RANGE_(x);
        int64_t nstart = r->start + r->step * start, nstop = r->start + r->step * end, nstep = r->step * step;
        return sl_range_new(t, nstart, nstop, nstep);
    }
    }
}

/* ---- attributes ----------------------------------------------------------------------------------------- */

sl_value sl_get_attr(sl_thread *t, sl_value x, sl_value name)
{
    sl_string *n = SL_STR(name);
    const sl_method *m = sl_methods_of((sl_kind)x.kind);
    int i = m ? sl_method_find((sl_kind)x.kind, n->data, n->len) : -1;
    if (i >= 0)
        return sl_builtin_bound(t, m[i].name, m[i].fn, x);
    if (!m)
        return sl_errorf(t, "%s has no .%s field or method", sl_kind_name(x), n->data);
    const char *cands[64];
    size_t nc = 0;
    for (; m[nc].name && nc < 64; nc++)
        cands[nc] = m[nc].name;
    const char *hint = sl_nearest(n->data, cands, nc);
    if (hint)
        return sl_errorf(t, "%s has no .%s field or method (did you mean .%s?)", sl_kind_name(x), n->data, hint);
    return sl_errorf(t, "%s has no .%s field or method", sl_kind_name(x), n->data);
}
