/* pbjson: protobuf-c message -> jansson JSON the way grpc-gateway renders
 * it in PMM (protojson with EmitUnpopulated, UseProtoNames, enum names):
 * every plain field present, only the set oneof member, well-known types
 * in their JSON forms, maps as objects, keys in declaration order. */
#include "pbjson_internal.h"
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

static field_order *order_build(const ProtobufCMessageDescriptor *d)
{
    unsigned n = d->n_fields;
    field_order *o = malloc(sizeof *o + n * sizeof(unsigned));
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
                free(built);
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
            free(built);
            return expected;
        }
    }
    free(built);
    return NULL;
}

/* ---- scalars ---------------------------------------------------------------- */

static json_t *enc_message(const ProtobufCMessage *m, int depth);

static json_t *enc_string(const char *s)
{
    if (!s)
        return json_string("");
    size_t n = strlen(s);
    json_t *v = json_stringn(s, n);
    if (v || utf8_valid(s, n))
        return v;
    /* protobuf-c does not check UTF-8; show U+FFFD rather than fail the
     * whole response (protojson would refuse to marshal). */
    size_t cn;
    char *clean = pbj_utf8_sanitize(s, n, &cn);
    if (!clean)
        return NULL;
    v = json_stringn_nocheck(clean, cn);
    free(clean);
    return v;
}

static json_t *enc_nonfinite(double v)
{
    return json_string_nocheck(isnan(v) ? "NaN" : v > 0 ? "Infinity" : "-Infinity");
}

static json_t *enc_double(double v)
{
    return isfinite(v) ? json_real(v) : enc_nonfinite(v);
}

/* A float32 goes out as the double nearest its shortest decimal form, so
 * the dumper prints 0.1 and not 0.10000000149011612. */
static json_t *enc_float(float v)
{
    return isfinite(v) ? json_real(pbj_float_shortest(v)) : enc_nonfinite(v);
}

static json_t *enc_enum(const ProtobufCFieldDescriptor *f, int v)
{
    if (pbj_is_null_enum(f))
        return json_null();
    const ProtobufCEnumValue *ev = protobuf_c_enum_descriptor_get_value(f->descriptor, v);
    return ev ? json_string(ev->name) : json_integer(v);
}

static json_t *enc_bytes(const ProtobufCBinaryData *b)
{
    size_t n;
    char *s = pbj_base64_encode(b->data, b->data ? b->len : 0, &n);
    if (!s)
        return NULL;
    json_t *v = json_stringn_nocheck(s, n);
    free(s);
    return v;
}

static json_t *enc_i64(int64_t v)
{
    char buf[24];
    int n = snprintf(buf, sizeof buf, "%" PRId64, v);
    return json_stringn_nocheck(buf, (size_t)n);
}

static json_t *enc_u64(uint64_t v)
{
    char buf[24];
    int n = snprintf(buf, sizeof buf, "%" PRIu64, v);
    return json_stringn_nocheck(buf, (size_t)n);
}

/* A message field holding NULL inside a map or list: render the default. */
static json_t *enc_default(const ProtobufCMessageDescriptor *d, int depth)
{
    ProtobufCMessage *tmp = malloc(d->sizeof_message);
    if (!tmp)
        return NULL;
    protobuf_c_message_init(d, tmp);
    json_t *v = enc_message(tmp, depth);
    free(tmp); /* init only points at static defaults */
    return v;
}

/* One value of field f stored at p (a plain member or an array element). */
static json_t *enc_elem(const ProtobufCFieldDescriptor *f, const void *p, int depth)
{
    switch (f->type) {
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32:
        return json_integer(*(const int32_t *)p);
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32:
        return json_integer(*(const uint32_t *)p);
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
        return enc_i64(*(const int64_t *)p);
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
        return enc_u64(*(const uint64_t *)p);
    case PROTOBUF_C_TYPE_FLOAT:
        return enc_float(*(const float *)p);
    case PROTOBUF_C_TYPE_DOUBLE:
        return enc_double(*(const double *)p);
    case PROTOBUF_C_TYPE_BOOL:
        return json_boolean(*(const protobuf_c_boolean *)p);
    case PROTOBUF_C_TYPE_ENUM:
        return enc_enum(f, *(const int *)p);
    case PROTOBUF_C_TYPE_STRING:
        return enc_string(*(char *const *)p);
    case PROTOBUF_C_TYPE_BYTES:
        return enc_bytes(p);
    case PROTOBUF_C_TYPE_MESSAGE: {
        const ProtobufCMessage *sub = *(ProtobufCMessage *const *)p;
        return sub ? enc_message(sub, depth + 1) : enc_default(f->descriptor, depth + 1);
    }
    }
    return NULL;
}

/* ---- maps, lists, fields ------------------------------------------------------ */

/* Map keys are strings in JSON; numbers and bools are written out. */
static const char *map_key(const ProtobufCFieldDescriptor *kf, const void *p, char *buf, size_t len)
{
    switch (kf->type) {
    case PROTOBUF_C_TYPE_STRING: {
        const char *s = *(char *const *)p;
        return s ? s : "";
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

static json_t *enc_map(const ProtobufCFieldDescriptor *f, size_t n, ProtobufCMessage *const *entries,
                       int depth)
{
    const ProtobufCMessageDescriptor *ed = f->descriptor;
    const ProtobufCFieldDescriptor *kf = &ed->fields[0], *vf = &ed->fields[1];
    json_t *o = json_object();
    if (!o)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        const ProtobufCMessage *e = entries[i];
        if (!e)
            continue;
        char buf[24];
        const char *key = map_key(kf, (const char *)e + kf->offset, buf, sizeof buf);
        if (!key)
            continue;
        char *clean = NULL;
        if (kf->type == PROTOBUF_C_TYPE_STRING && !utf8_valid(key, strlen(key))) {
            size_t cn; /* not UTF-8: shown cleaned, as for string values */
            if (!(clean = pbj_utf8_sanitize(key, strlen(key), &cn)))
                goto fail;
            key = clean;
        }
        json_t *v = enc_elem(vf, (const char *)e + vf->offset, depth);
        int r = v ? json_object_set_new_nocheck(o, key, v) : -1;
        free(clean);
        if (r != 0)
            goto fail;
    }
    return o;
fail:
    json_decref(o);
    return NULL;
}

static json_t *enc_field(const ProtobufCFieldDescriptor *f, const ProtobufCMessage *m, int depth)
{
    const char *base = (const char *)m;
    if (f->label == PROTOBUF_C_LABEL_REPEATED) {
        size_t n = *(const size_t *)(base + f->quantifier_offset);
        const char *arr = *(char *const *)(base + f->offset);
        if (!arr)
            n = 0;
        if (pbj_is_map(f))
            return enc_map(f, n, (ProtobufCMessage *const *)arr, depth);
        json_t *a = json_array();
        if (!a)
            return NULL;
        size_t sz = pbj_elem_size(f->type);
        for (size_t i = 0; i < n; i++) {
            json_t *v = enc_elem(f, arr + i * sz, depth);
            if (!v || json_array_append_new(a, v) != 0) {
                json_decref(a);
                return NULL;
            }
        }
        return a;
    }
    if (f->type == PROTOBUF_C_TYPE_MESSAGE) {
        const ProtobufCMessage *sub = *(ProtobufCMessage *const *)(base + f->offset);
        return sub ? enc_message(sub, depth + 1) : json_null();
    }
    return enc_elem(f, base + f->offset, depth);
}

/* ---- well-known types ------------------------------------------------------------ */

static json_t *enc_value(const Google__Protobuf__Value *v, int depth)
{
    switch (v->kind_case) {
    case GOOGLE__PROTOBUF__VALUE__KIND_NUMBER_VALUE:
        return enc_double(v->number_value);
    case GOOGLE__PROTOBUF__VALUE__KIND_STRING_VALUE:
        return enc_string(v->string_value);
    case GOOGLE__PROTOBUF__VALUE__KIND_BOOL_VALUE:
        return json_boolean(v->bool_value);
    case GOOGLE__PROTOBUF__VALUE__KIND_STRUCT_VALUE:
        return v->struct_value ? enc_message(&v->struct_value->base, depth + 1) : json_object();
    case GOOGLE__PROTOBUF__VALUE__KIND_LIST_VALUE:
        return v->list_value ? enc_message(&v->list_value->base, depth + 1) : json_array();
    default: /* null_value, or nothing set */
        return json_null();
    }
}

/* {"@type": url, fields...} for a known message type, {"@type": url,
 * "value": <json>} for a well-known type, {"@type": url, "value": base64}
 * when the type is unknown or the bytes do not parse. */
static json_t *enc_any(const Google__Protobuf__Any *a, int depth)
{
    const char *url = a->type_url ? a->type_url : "";
    if (!*url && a->value.len == 0)
        return json_object();
    json_t *o = json_object();
    json_t *t = enc_string(url);
    if (!o || !t || json_object_set_new_nocheck(o, "@type", t) != 0) {
        if (!o)
            json_decref(t);
        json_decref(o);
        return NULL;
    }
    const ProtobufCMessageDescriptor *td = pbj_find_type(url);
    ProtobufCMessage *inner =
        td ? protobuf_c_message_unpack(td, NULL, a->value.data ? a->value.len : 0, a->value.data)
           : NULL;
    json_t *v;
    if (inner) {
        v = enc_message(inner, depth + 1);
        protobuf_c_message_free_unpacked(inner, NULL);
        if (v && pbj_wkt_kind(td) == PBJ_WKT_NONE) {
            int r = json_object_update(o, v);
            json_decref(v);
            if (r == 0)
                return o;
            v = NULL;
        }
    } else {
        v = enc_bytes(&a->value);
    }
    if (!v || json_object_set_new_nocheck(o, "value", v) != 0) {
        json_decref(o);
        return NULL;
    }
    return o;
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

static json_t *enc_message(const ProtobufCMessage *m, int depth)
{
    if (depth > PBJ_MAX_ENCODE_DEPTH)
        return NULL;
    const ProtobufCMessageDescriptor *d = m->descriptor;
    char buf[40];
    switch (pbj_wkt_kind(d)) {
    case PBJ_WKT_TIMESTAMP: {
        const Google__Protobuf__Timestamp *t = (const void *)m;
        /* out of range: null rather than failing the whole response */
        return pbj_fmt_timestamp(t->seconds, t->nanos, buf) == 0 ? json_string_nocheck(buf)
                                                                 : json_null();
    }
    case PBJ_WKT_DURATION: {
        const Google__Protobuf__Duration *t = (const void *)m;
        return pbj_fmt_duration(t->seconds, t->nanos, buf) == 0 ? json_string_nocheck(buf)
                                                                : json_null();
    }
    case PBJ_WKT_WRAPPER:
        return enc_elem(&d->fields[0], (const char *)m + d->fields[0].offset, depth);
    case PBJ_WKT_STRUCT: /* map<string, Value> fields = 1 */
    case PBJ_WKT_LIST:   /* repeated Value values = 1 */
        return enc_field(&d->fields[0], m, depth);
    case PBJ_WKT_VALUE:
        return enc_value((const Google__Protobuf__Value *)m, depth);
    case PBJ_WKT_ANY:
        return enc_any((const Google__Protobuf__Any *)m, depth);
    case PBJ_WKT_EMPTY:
    case PBJ_WKT_NONE:
        break;
    }
    json_t *obj = json_object();
    if (!obj)
        return NULL;
    const field_order *order = order_get(d);
    for (unsigned k = 0; k < d->n_fields; k++) {
        const ProtobufCFieldDescriptor *f = &d->fields[order ? order->idx[k] : k];
        if ((f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
            *(const uint32_t *)((const char *)m + f->quantifier_offset) != f->id)
            continue; /* only the set member of a oneof (or proto3 optional) */
        if (f->label == PROTOBUF_C_LABEL_OPTIONAL && !optional_present(f, m))
            continue;
        json_t *v = enc_field(f, m, depth);
        if (!v || json_object_set_new_nocheck(obj, f->name, v) != 0) {
            json_decref(obj);
            return NULL;
        }
    }
    return obj;
}

json_t *pbjson_encode(const ProtobufCMessage *m)
{
    if (!m || !m->descriptor)
        return NULL;
    return enc_message(m, 0);
}
