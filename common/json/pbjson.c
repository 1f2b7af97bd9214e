/* pbjson: protobuf-c message -> JSON text the way grpc-gateway renders it
 * in PMM (protojson with EmitUnpopulated, UseProtoNames, enum names, Indent
 * "  "): every plain field present, only the set oneof member, well-known
 * types in their JSON forms, maps as objects, keys in declaration order.
 * Written straight into one text buffer (text.c), with no JSON tree
 * in between: a list of 20,000 agents is tens of megabytes of text. */
#include "internal.h"
#include "utf8.h"

#include <inttypes.h>
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "google/protobuf/any.pb-c.h"
#include "google/protobuf/duration.pb-c.h"
#include "google/protobuf/struct.pb-c.h"
#include "google/protobuf/timestamp.pb-c.h"

/* ---- field emission order --------------------------------------------------
 * protobuf-c lists fields by number, but protojson writes them in
 * declaration order. The generated struct keeps plain fields in declaration
 * order (so their offsets tell it); oneof unions sit at the end of the
 * struct, so a oneof member is placed after the plain field with the
 * highest number below its own. Computed once per message type and kept in
 * a lock-free table (entries are immutable and live for the process). */

typedef struct {
    const ProtobufCMessageDescriptor *desc;
    /* each field's key as written ("\"name\": "), by emission position:
     * keys repeat on every row of a list, so they are escaped only once */
    char **key;
    size_t *key_len;
    unsigned idx[]; /* n_fields indices into desc->fields */
} field_order;

#define ORDER_SLOTS 4096
#define ORDER_PROBES 64
static _Atomic(field_order *) order_cache[ORDER_SLOTS];

typedef struct {
    long anchor;   /* rank of the plain field this one sits at/after */
    int is_oneof;  /* plain field first, then oneof members after it */
    unsigned id;
    unsigned idx;
} order_key;

static int cmp_offset(const void *a, const void *b, void *ctx)
{
    const ProtobufCFieldDescriptor *f = ctx;
    unsigned oa = f[*(const unsigned *)a].offset, ob = f[*(const unsigned *)b].offset;
    return oa < ob ? -1 : oa > ob;
}

static int cmp_key(const void *a, const void *b)
{
    const order_key *x = a, *y = b;
    if (x->anchor != y->anchor)
        return x->anchor < y->anchor ? -1 : 1;
    if (x->is_oneof != y->is_oneof)
        return x->is_oneof - y->is_oneof;
    return x->id < y->id ? -1 : x->id > y->id;
}

static void order_free(field_order *o)
{
    if (!o)
        return;
    for (unsigned i = 0; o->key && i < o->desc->n_fields; i++)
        free(o->key[i]);
    free(o->key);
    free(o->key_len);
    free(o);
}

/* Renders the keys of o's fields in emission order. 0 or -1 (ENOMEM). */
static int order_render_keys(field_order *o)
{
    unsigned n = o->desc->n_fields;
    o->key = calloc(n ? n : 1, sizeof *o->key);
    o->key_len = calloc(n ? n : 1, sizeof *o->key_len);
    if (!o->key || !o->key_len)
        return -1;
    for (unsigned k = 0; k < n; k++) {
        const char *name = o->desc->fields[o->idx[k]].name;
        pbj_buf b = {0};
        pbj_put_quoted(&b, name, strlen(name));
        pbj_put(&b, ": ", 2);
        if (!(o->key[k] = pbj_buf_take(&b, &o->key_len[k])))
            return -1;
    }
    return 0;
}

static field_order *order_build(const ProtobufCMessageDescriptor *d)
{
    unsigned n = d->n_fields;
    field_order *o = calloc(1, sizeof *o + n * sizeof(unsigned));
    unsigned *plain = malloc((n ? n : 1) * sizeof(unsigned));
    long *rank = malloc((n ? n : 1) * sizeof(long));
    order_key *keys = malloc((n ? n : 1) * sizeof(order_key));
    if (!o || !plain || !rank || !keys) {
        free(o);
        o = NULL;
        goto out;
    }
    o->desc = d;
    unsigned np = 0;
    for (unsigned i = 0; i < n; i++)
        if (!(d->fields[i].flags & PROTOBUF_C_FIELD_FLAG_ONEOF))
            plain[np++] = i;
    qsort_r(plain, np, sizeof(unsigned), cmp_offset, (void *)d->fields);
    for (unsigned r = 0; r < np; r++)
        rank[plain[r]] = (long)r;
    /* Fields are sorted by number: walk them, remembering the plain field
     * with the highest number so far and the highest rank among those. */
    long anchor = -1;
    for (unsigned i = 0; i < n; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        bool oneof = f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF;
        keys[i] = (order_key){oneof ? anchor : rank[i], oneof, f->id, i};
        if (!oneof)
            anchor = rank[i];
    }
    qsort(keys, n, sizeof(order_key), cmp_key);
    for (unsigned i = 0; i < n; i++)
        o->idx[i] = keys[i].idx;
    if (order_render_keys(o) != 0) {
        order_free(o);
        o = NULL;
    }
out:
    free(plain);
    free(rank);
    free(keys);
    return o;
}

/* Emission order for d, or NULL (then fields go in number order). */
static const field_order *order_get(const ProtobufCMessageDescriptor *d)
{
    size_t h = (size_t)(((uintptr_t)d >> 3) * 0x9E3779B97F4A7C15ull >> 20);
    field_order *built = NULL;
    for (size_t p = 0; p < ORDER_PROBES; p++) {
        _Atomic(field_order *) *slot = &order_cache[(h + p) % ORDER_SLOTS];
        field_order *e = atomic_load_explicit(slot, memory_order_acquire);
        if (e) {
            if (e->desc == d) {
                order_free(built);
                return e;
            }
            continue;
        }
        if (!built && !(built = order_build(d)))
            return NULL;
        field_order *expected = NULL;
        if (atomic_compare_exchange_strong_explicit(slot, &expected, built, memory_order_acq_rel,
                                                    memory_order_acquire))
            return built;
        if (expected->desc == d) {
            order_free(built);
            return expected;
        }
    }
    order_free(built);
    return NULL;
}

/* ---- scalars ---------------------------------------------------------------- */

/* Output state: the text, and the nesting level of the value being written
 * (for indentation; maps and lists add levels, not only messages). */
typedef struct {
    pbj_buf b;
} enc;

static int enc_message(enc *e, const ProtobufCMessage *m, int level, int depth);

/* protobuf-c does not check UTF-8: invalid bytes show as U+FFFD rather
 * than failing the whole response (protojson would refuse to marshal). */
static void enc_string(enc *e, const char *s)
{
    pbj_put_string(&e->b, s ? s : "");
}

static void enc_nonfinite(enc *e, double v)
{
    pbj_put_str(&e->b, isnan(v) ? "\"NaN\"" : v > 0 ? "\"Infinity\"" : "\"-Infinity\"");
}

static void enc_double(enc *e, double v)
{
    if (isfinite(v))
        pbj_put_double(&e->b, v);
    else
        enc_nonfinite(e, v);
}

/* A float32 goes out as the double nearest its shortest decimal form, so
 * it prints 0.1 and not 0.10000000149011612. */
static void enc_float(enc *e, float v)
{
    if (isfinite(v))
        pbj_put_double(&e->b, pbj_float_shortest(v));
    else
        enc_nonfinite(e, v);
}

static void enc_enum(enc *e, const ProtobufCFieldDescriptor *f, int v)
{
    if (pbj_is_null_enum(f)) {
        pbj_put(&e->b, "null", 4);
        return;
    }
    const ProtobufCEnumValue *ev = protobuf_c_enum_descriptor_get_value(f->descriptor, v);
    if (ev)
        enc_string(e, ev->name);
    else
        pbj_put_int(&e->b, v);
}

static void enc_bytes(enc *e, const ProtobufCBinaryData *bd)
{
    size_t n;
    char *s = pbj_base64_encode(bd->data, bd->data ? bd->len : 0, &n);
    if (!s) {
        e->b.failed = true;
        return;
    }
    pbj_put_quoted(&e->b, s, n);
    free(s);
}

/* 64-bit integers are strings in JSON. */
static void enc_i64(enc *e, int64_t v)
{
    pbj_put(&e->b, "\"", 1);
    pbj_put_int(&e->b, v);
    pbj_put(&e->b, "\"", 1);
}

static void enc_u64(enc *e, uint64_t v)
{
    pbj_put(&e->b, "\"", 1);
    pbj_put_uint(&e->b, v);
    pbj_put(&e->b, "\"", 1);
}

/* A message field holding NULL inside a map or list: render the default. */
static int enc_default(enc *e, const ProtobufCMessageDescriptor *d, int level, int depth)
{
    ProtobufCMessage *tmp = malloc(d->sizeof_message);
    if (!tmp)
        return -1;
    protobuf_c_message_init(d, tmp);
    int rc = enc_message(e, tmp, level, depth);
    free(tmp); /* init only points at static defaults */
    return rc;
}

/* One value of field f stored at p (a plain member or an array element). */
static int enc_elem(enc *e, const ProtobufCFieldDescriptor *f, const void *p, int level, int depth)
{
    switch (f->type) {
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32:
        pbj_put_int(&e->b, *(const int32_t *)p);
        break;
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32:
        pbj_put_uint(&e->b, *(const uint32_t *)p);
        break;
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
        enc_i64(e, *(const int64_t *)p);
        break;
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
        enc_u64(e, *(const uint64_t *)p);
        break;
    case PROTOBUF_C_TYPE_FLOAT:
        enc_float(e, *(const float *)p);
        break;
    case PROTOBUF_C_TYPE_DOUBLE:
        enc_double(e, *(const double *)p);
        break;
    case PROTOBUF_C_TYPE_BOOL:
        pbj_put_str(&e->b, *(const protobuf_c_boolean *)p ? "true" : "false");
        break;
    case PROTOBUF_C_TYPE_ENUM:
        enc_enum(e, f, *(const int *)p);
        break;
    case PROTOBUF_C_TYPE_STRING:
        enc_string(e, *(char *const *)p);
        break;
    case PROTOBUF_C_TYPE_BYTES:
        enc_bytes(e, p);
        break;
    case PROTOBUF_C_TYPE_MESSAGE: {
        const ProtobufCMessage *sub = *(ProtobufCMessage *const *)p;
        return sub ? enc_message(e, sub, level, depth + 1) : enc_default(e, f->descriptor, level, depth + 1);
    }
    }
    return e->b.failed ? -1 : 0;
}

/* ---- maps, lists, fields ------------------------------------------------------ */

/* A map key as JSON shows it: strings (made valid UTF-8), numbers and
 * bools written out. NULL for a key type maps cannot have; *owned when
 * the text was allocated. */
static char *map_key(const ProtobufCFieldDescriptor *kf, const void *p, char *buf, size_t len, bool *owned)
{
    *owned = false;
    switch (kf->type) {
    case PROTOBUF_C_TYPE_STRING: {
        char *s = *(char *const *)p;
        if (!s)
            return "";
        size_t n = strlen(s), cn;
        if (utf8_valid(s, n))
            return s;
        char *clean = pbj_utf8_sanitize(s, n, &cn); /* shown cleaned, as string values */
        *owned = clean != NULL;
        return clean;
    }
    case PROTOBUF_C_TYPE_BOOL:
        return *(const protobuf_c_boolean *)p ? "true" : "false";
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32:
        snprintf(buf, len, "%" PRId32, *(const int32_t *)p);
        return buf;
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32:
        snprintf(buf, len, "%" PRIu32, *(const uint32_t *)p);
        return buf;
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
        snprintf(buf, len, "%" PRId64, *(const int64_t *)p);
        return buf;
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
        snprintf(buf, len, "%" PRIu64, *(const uint64_t *)p);
        return buf;
    default:
        return NULL;
    }
}

typedef struct {
    char *text;
    bool owned;
    char buf[24];
} map_key_text;

/* Entry i's key, or NULL when the entry is skipped (absent, unusable key). */
static const char *entry_key(const ProtobufCFieldDescriptor *kf, ProtobufCMessage *const *entries, size_t i,
                             map_key_text *k)
{
    const ProtobufCMessage *en = entries[i];
    if (!en)
        return NULL;
    k->text = map_key(kf, (const char *)en + kf->offset, k->buf, sizeof k->buf, &k->owned);
    return k->text;
}

static void key_free(map_key_text *k)
{
    if (k->owned)
        free(k->text);
    k->owned = false;
}

/* Where entry i's key appears in the map. As a JSON object holds a key
 * once, a repeated key is shown at its first place with its last value. */
static bool key_repeats(const ProtobufCFieldDescriptor *kf, ProtobufCMessage *const *entries, size_t n, size_t i,
                        const char *key, bool *is_first, size_t *last)
{
    *is_first = true;
    *last = i;
    for (size_t j = 0; j < n; j++) {
        if (j == i)
            continue;
        map_key_text other;
        const char *ok = entry_key(kf, entries, j, &other);
        if (!ok) {
            if (entries[j] && kf->type == PROTOBUF_C_TYPE_STRING)
                return false; /* ENOMEM cleaning a key */
            continue;
        }
        if (strcmp(ok, key) == 0) {
            if (j < i)
                *is_first = false;
            else
                *last = j;
        }
        key_free(&other);
    }
    return true;
}

static int enc_map(enc *e, const ProtobufCFieldDescriptor *f, size_t n, ProtobufCMessage *const *entries,
                   int level, int depth)
{
    const ProtobufCMessageDescriptor *ed = f->descriptor;
    const ProtobufCFieldDescriptor *kf = &ed->fields[0], *vf = &ed->fields[1];
    bool first = true;
    pbj_put(&e->b, "{", 1);
    for (size_t i = 0; i < n && !e->b.failed; i++) {
        map_key_text k;
        const char *key = entry_key(kf, entries, i, &k);
        if (!key) {
            if (entries[i] && kf->type == PROTOBUF_C_TYPE_STRING)
                return -1; /* ENOMEM cleaning a key */
            continue;
        }
        bool is_first = true;
        size_t last = i;
        /* Maps come from protobuf bytes and may repeat a key; checked
         * pairwise, as label maps are small. */
        if (n > 1 && !key_repeats(kf, entries, n, i, key, &is_first, &last)) {
            key_free(&k);
            return -1;
        }
        if (is_first) {
            pbj_key(&e->b, level, &first, key, strlen(key));
            const ProtobufCMessage *en = entries[last];
            if (enc_elem(e, vf, (const char *)en + vf->offset, level + 1, depth) != 0) {
                key_free(&k);
                return -1;
            }
        }
        key_free(&k);
    }
    pbj_close(&e->b, level, first, '}');
    return e->b.failed ? -1 : 0;
}

static int enc_field(enc *e, const ProtobufCFieldDescriptor *f, const ProtobufCMessage *m, int level, int depth)
{
    const char *base = (const char *)m;
    if (f->label == PROTOBUF_C_LABEL_REPEATED) {
        size_t n = *(const size_t *)(base + f->quantifier_offset);
        const char *arr = *(char *const *)(base + f->offset);
        if (!arr)
            n = 0;
        if (pbj_is_map(f))
            return enc_map(e, f, n, (ProtobufCMessage *const *)arr, level, depth);
        size_t sz = pbj_elem_size(f->type);
        bool first = true;
        pbj_put(&e->b, "[", 1);
        for (size_t i = 0; i < n; i++) {
            pbj_next(&e->b, level, &first);
            if (enc_elem(e, f, arr + i * sz, level + 1, depth) != 0)
                return -1;
        }
        pbj_close(&e->b, level, first, ']');
        return e->b.failed ? -1 : 0;
    }
    if (f->type == PROTOBUF_C_TYPE_MESSAGE) {
        const ProtobufCMessage *sub = *(ProtobufCMessage *const *)(base + f->offset);
        if (sub)
            return enc_message(e, sub, level, depth + 1);
        pbj_put(&e->b, "null", 4);
        return e->b.failed ? -1 : 0;
    }
    return enc_elem(e, f, base + f->offset, level, depth);
}

/* ---- well-known types ------------------------------------------------------------ */

static int enc_value(enc *e, const Google__Protobuf__Value *v, int level, int depth)
{
    switch (v->kind_case) {
    case GOOGLE__PROTOBUF__VALUE__KIND_NUMBER_VALUE:
        enc_double(e, v->number_value);
        break;
    case GOOGLE__PROTOBUF__VALUE__KIND_STRING_VALUE:
        enc_string(e, v->string_value);
        break;
    case GOOGLE__PROTOBUF__VALUE__KIND_BOOL_VALUE:
        pbj_put_str(&e->b, v->bool_value ? "true" : "false");
        break;
    case GOOGLE__PROTOBUF__VALUE__KIND_STRUCT_VALUE:
        if (v->struct_value)
            return enc_message(e, &v->struct_value->base, level, depth + 1);
        pbj_put(&e->b, "{}", 2);
        break;
    case GOOGLE__PROTOBUF__VALUE__KIND_LIST_VALUE:
        if (v->list_value)
            return enc_message(e, &v->list_value->base, level, depth + 1);
        pbj_put(&e->b, "[]", 2);
        break;
    default: /* null_value, or nothing set */
        pbj_put(&e->b, "null", 4);
    }
    return e->b.failed ? -1 : 0;
}

static int enc_fields(enc *e, const ProtobufCMessage *m, int level, int depth, bool *first);

/* {"@type": url, fields...} for a known message type, {"@type": url,
 * "value": <json>} for a well-known type, {"@type": url, "value": base64}
 * when the type is unknown or the bytes do not parse. */
static int enc_any(enc *e, const Google__Protobuf__Any *a, int level, int depth)
{
    const char *url = a->type_url ? a->type_url : "";
    if (!*url && a->value.len == 0) {
        pbj_put(&e->b, "{}", 2);
        return e->b.failed ? -1 : 0;
    }
    bool first = true;
    pbj_put(&e->b, "{", 1);
    pbj_key(&e->b, level, &first, "@type", 5);
    enc_string(e, url);
    const ProtobufCMessageDescriptor *td = pbj_find_type(url);
    ProtobufCMessage *inner =
        td ? protobuf_c_message_unpack(td, NULL, a->value.data ? a->value.len : 0, a->value.data) : NULL;
    int rc;
    if (inner && pbj_wkt_kind(td) == PBJ_WKT_NONE) {
        rc = depth + 1 > PBJ_MAX_ENCODE_DEPTH ? -1 : enc_fields(e, inner, level, depth + 1, &first);
    } else {
        pbj_key(&e->b, level, &first, "value", 5);
        if (inner)
            rc = enc_message(e, inner, level + 1, depth + 1);
        else
            enc_bytes(e, &a->value), rc = 0;
    }
    if (inner)
        protobuf_c_message_free_unpacked(inner, NULL);
    pbj_close(&e->b, level, first, '}');
    return rc != 0 || e->b.failed ? -1 : 0;
}

/* A field with explicit presence (LABEL_OPTIONAL: proto2, or proto3
 * `optional` from a protoc-c that supports it) is omitted when unset, as
 * protojson omits unset proto3 optionals. protoc-c 1.4 turns our
 * `optional` into one-member oneofs instead, handled above. */
static bool optional_present(const ProtobufCFieldDescriptor *f, const ProtobufCMessage *m)
{
    const char *base = (const char *)m;
    if (f->type == PROTOBUF_C_TYPE_MESSAGE || f->type == PROTOBUF_C_TYPE_STRING)
        return *(void *const *)(base + f->offset) != NULL;
    return *(const protobuf_c_boolean *)(base + f->quantifier_offset) != 0;
}

/* The members of m's JSON object, inside an object already open at level. */
static int enc_fields(enc *e, const ProtobufCMessage *m, int level, int depth, bool *first)
{
    const ProtobufCMessageDescriptor *d = m->descriptor;
    const field_order *order = order_get(d);
    for (unsigned k = 0; k < d->n_fields; k++) {
        const ProtobufCFieldDescriptor *f = &d->fields[order ? order->idx[k] : k];
        if ((f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
            *(const uint32_t *)((const char *)m + f->quantifier_offset) != f->id)
            continue; /* only the set member of a oneof (or proto3 optional) */
        if (f->label == PROTOBUF_C_LABEL_OPTIONAL && !optional_present(f, m))
            continue;
        if (order)
            pbj_key_rendered(&e->b, level, first, order->key[k], order->key_len[k]);
        else
            pbj_key(&e->b, level, first, f->name, strlen(f->name));
        if (enc_field(e, f, m, level + 1, depth) != 0)
            return -1;
    }
    return e->b.failed ? -1 : 0;
}

static int enc_message(enc *e, const ProtobufCMessage *m, int level, int depth)
{
    if (depth > PBJ_MAX_ENCODE_DEPTH)
        return -1;
    const ProtobufCMessageDescriptor *d = m->descriptor;
    char buf[40];
    switch (pbj_wkt_kind(d)) {
    case PBJ_WKT_TIMESTAMP: {
        const Google__Protobuf__Timestamp *t = (const void *)m;
        /* out of range: null rather than failing the whole response */
        if (pbj_fmt_timestamp(t->seconds, t->nanos, buf) == 0)
            pbj_put_quoted(&e->b, buf, strlen(buf));
        else
            pbj_put(&e->b, "null", 4);
        return e->b.failed ? -1 : 0;
    }
    case PBJ_WKT_DURATION: {
        const Google__Protobuf__Duration *t = (const void *)m;
        if (pbj_fmt_duration(t->seconds, t->nanos, buf) == 0)
            pbj_put_quoted(&e->b, buf, strlen(buf));
        else
            pbj_put(&e->b, "null", 4);
        return e->b.failed ? -1 : 0;
    }
    case PBJ_WKT_WRAPPER:
        return enc_elem(e, &d->fields[0], (const char *)m + d->fields[0].offset, level, depth);
    case PBJ_WKT_STRUCT: /* map<string, Value> fields = 1 */
    case PBJ_WKT_LIST:   /* repeated Value values = 1 */
        return enc_field(e, &d->fields[0], m, level, depth);
    case PBJ_WKT_VALUE:
        return enc_value(e, (const Google__Protobuf__Value *)m, level, depth);
    case PBJ_WKT_ANY:
        return enc_any(e, (const Google__Protobuf__Any *)m, level, depth);
    case PBJ_WKT_EMPTY:
    case PBJ_WKT_NONE:
        break;
    }
    bool first = true;
    pbj_put(&e->b, "{", 1);
    if (enc_fields(e, m, level, depth, &first) != 0)
        return -1;
    pbj_close(&e->b, level, first, '}');
    return e->b.failed ? -1 : 0;
}

char *pbjson_write(const ProtobufCMessage *m, size_t *len)
{
    return pbjson_write_reuse(m, NULL, 0, len);
}

char *pbjson_write_reuse(const ProtobufCMessage *m, char *buf, size_t cap, size_t *len)
{
    if (!m || !m->descriptor) {
        free(buf);
        return NULL;
    }
    enc e = {0};
    e.b.p = buf;
    e.b.cap = buf ? cap : 0;
    if (enc_message(&e, m, 0, 0) != 0)
        e.b.failed = true;
    return pbj_buf_take(&e.b, len);
}
