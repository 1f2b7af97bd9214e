/* pbjson_decode: JSON -> protobuf-c message with protojson's input rules
 * (DiscardUnknown): proto or lowerCamel keys, null = unset, numbers as
 * JSON numbers or strings, enum names or numbers, base64 bytes, the
 * well-known types from their JSON forms. Everything is malloc'd so that
 * protobuf_c_message_free_unpacked(msg, NULL) releases it; on error the
 * partial message is freed and err says which field was wrong. */
#include "pbjson_internal.h"
#include "utf8.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "google/protobuf/any.pb-c.h"
#include "google/protobuf/duration.pb-c.h"
#include "google/protobuf/struct.pb-c.h"
#include "google/protobuf/timestamp.pb-c.h"

typedef struct {
    char *err;
    size_t errlen;
    int depth; /* JSON objects/arrays entered so far */
} dctx;

static int fail(dctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(dctx *c, const char *fmt, ...)
{
    if (c->err && c->errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(c->err, c->errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

/* Short printable form of the offending JSON value for error texts. */
static void show(const json_t *j, char *out, size_t outlen)
{
    switch (json_typeof(j)) {
    case JSON_STRING: {
        const char *s = json_string_value(j);
        size_t n = json_string_length(j), o = 0, limit = 48;
        /* error texts end up in JSON bodies: keep them valid UTF-8 */
        bool raw_ok = utf8_valid(s, n);
        out[o++] = '"';
        for (size_t i = 0; i < n && o + 8 < outlen; i++) {
            unsigned char ch = (unsigned char)s[i];
            if (i >= limit && (!raw_ok || (ch & 0xC0) != 0x80)) { /* cut on a character boundary */
                memcpy(out + o, "...", 3);
                o += 3;
                break;
            }
            if (ch < 0x20 || ch == '"' || ch == '\\')
                o += (size_t)snprintf(out + o, outlen - o, ch == '"' || ch == '\\' ? "\\%c" : "\\u%04x", ch);
            else if (ch >= 0x80 && !raw_ok)
                o += (size_t)snprintf(out + o, outlen - o, "\\x%02x", ch);
            else
                out[o++] = (char)ch;
        }
        out[o++] = '"';
        out[o] = '\0';
        return;
    }
    case JSON_INTEGER:
        snprintf(out, outlen, "%" JSON_INTEGER_FORMAT, json_integer_value(j));
        return;
    case JSON_REAL: {
        char num[40];
        pbj_fmt_double(json_real_value(j), num);
        snprintf(out, outlen, "%s", num);
        return;
    }
    case JSON_OBJECT:
        snprintf(out, outlen, "{...}");
        return;
    case JSON_ARRAY:
        snprintf(out, outlen, "[...]");
        return;
    case JSON_TRUE:
        snprintf(out, outlen, "true");
        return;
    case JSON_FALSE:
        snprintf(out, outlen, "false");
        return;
    case JSON_NULL:
        snprintf(out, outlen, "null");
        return;
    }
}

/* `invalid value for int32 field port: "abc"` */
static int bad_value(dctx *c, const ProtobufCFieldDescriptor *f, const char *name, const json_t *j)
{
    char shown[96];
    show(j, shown, sizeof shown);
    return fail(c, "invalid value for %s field %s: %s", pbj_type_name(f), name, shown);
}

/* A list or map field given something that is not an array / object. */
static int bad_container(dctx *c, const ProtobufCFieldDescriptor *f, const json_t *j)
{
    char shown[96];
    show(j, shown, sizeof shown);
    return fail(c, "invalid value for %s field %s: %s", pbj_is_map(f) ? "map" : "repeated",
                f->name, shown);
}

/* A message-typed value of the wrong JSON shape (or a bad Timestamp...). */
static int bad_message(dctx *c, const ProtobufCMessageDescriptor *d, const char *name, const json_t *j)
{
    char shown[96];
    show(j, shown, sizeof shown);
    pbj_wkt kind = pbj_wkt_kind(d);
    const char *type = kind == PBJ_WKT_NONE ? "message" : d->name;
    if (name)
        return fail(c, "invalid value for %s field %s: %s", type, name, shown);
    if (!json_is_object(j) && (kind == PBJ_WKT_NONE || kind == PBJ_WKT_EMPTY ||
                               kind == PBJ_WKT_ANY || kind == PBJ_WKT_STRUCT))
        return fail(c, "invalid JSON for %s: expected an object, got %s", d->name, shown);
    return fail(c, "invalid value for %s: %s", d->name, shown);
}

static int enter(dctx *c)
{
    if (++c->depth > PBJ_MAX_DEPTH) {
        c->depth--;
        return fail(c, "JSON nested too deeply (limit %d levels)", PBJ_MAX_DEPTH);
    }
    return 0;
}

/* ---- scalars --------------------------------------------------------------- */

/* JSON number grammar, for numbers that arrive inside strings. */
static bool json_number_text(const char *s, size_t n)
{
    size_t i = 0;
    if (i < n && s[i] == '-')
        i++;
    if (i >= n)
        return false;
    if (s[i] == '0')
        i++;
    else if (s[i] >= '1' && s[i] <= '9')
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
    else
        return false;
    if (i < n && s[i] == '.') {
        size_t st = ++i;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
        if (i == st)
            return false;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            i++;
        size_t st = i;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
        if (i == st)
            return false;
    }
    return i == n;
}

/* Integral JSON number or numeric string -> sign and magnitude. */
static int json_to_mag(const json_t *j, bool *neg, uint64_t *mag)
{
    if (json_is_integer(j)) {
        json_int_t v = json_integer_value(j);
        *neg = v < 0;
        *mag = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
        return 0;
    }
    if (json_is_real(j)) {
        double d = json_real_value(j);
        if (!isfinite(d) || d != trunc(d) || fabs(d) >= 18446744073709551616.0)
            return -1;
        *neg = d < 0;
        *mag = (uint64_t)fabs(d);
        return 0;
    }
    if (json_is_string(j))
        return pbj_parse_json_int(json_string_value(j), json_string_length(j), neg, mag);
    return -1;
}

static int get_int(const json_t *j, int bits, int64_t *out)
{
    bool neg;
    uint64_t mag;
    return json_to_mag(j, &neg, &mag) == 0 ? pbj_mag_to_int(neg, mag, bits, out) : -1;
}

static int get_uint(const json_t *j, int bits, uint64_t *out)
{
    bool neg;
    uint64_t mag;
    return json_to_mag(j, &neg, &mag) == 0 ? pbj_mag_to_uint(neg, mag, bits, out) : -1;
}

/* Numbers, "NaN", "Infinity", "-Infinity" or a number in a string. */
static int get_double(const json_t *j, bool is_float, double *out)
{
    double d;
    if (json_is_integer(j)) {
        d = (double)json_integer_value(j);
    } else if (json_is_real(j)) {
        d = json_real_value(j);
    } else if (json_is_string(j)) {
        const char *s = json_string_value(j);
        size_t n = json_string_length(j);
        if (strcmp(s, "NaN") == 0) {
            *out = NAN;
            return 0;
        }
        if (strcmp(s, "Infinity") == 0 || strcmp(s, "-Infinity") == 0) {
            *out = s[0] == '-' ? -INFINITY : INFINITY;
            return 0;
        }
        if (!json_number_text(s, n))
            return -1;
        d = strtod(s, NULL);
    } else {
        return -1;
    }
    if (!isfinite(d) || (is_float && isinf((float)d)))
        return -1; /* out of range, as strconv.ParseFloat reports */
    *out = d;
    return 0;
}

/* malloc'd copy of a JSON string that is valid UTF-8 without NUL bytes
 * (protobuf-c strings end at the first NUL); "" may stay the default. */
static int get_string(const json_t *j, const ProtobufCFieldDescriptor *f, char **out)
{
    if (!json_is_string(j))
        return -1;
    const char *s = json_string_value(j);
    size_t n = json_string_length(j);
    if (strlen(s) != n || !utf8_valid(s, n))
        return -1;
    if (n == 0 && f->label != PROTOBUF_C_LABEL_REPEATED &&
        !(f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) && f->default_value &&
        *(const char *)f->default_value == '\0') {
        /* free_unpacked skips the default pointer: no allocation needed.
         * Not for oneof members: pack() omits a member that holds the
         * default pointer, which would lose "set to empty" on the wire. */
        *out = (char *)f->default_value;
        return 0;
    }
    char *p = malloc(n + 1);
    if (!p)
        return -1;
    memcpy(p, s, n + 1);
    *out = p;
    return 0;
}

static int get_enum(const json_t *j, const ProtobufCFieldDescriptor *f, int *out)
{
    if (json_is_null(j) && pbj_is_null_enum(f)) {
        *out = 0;
        return 0;
    }
    if (json_is_string(j)) {
        const char *s = json_string_value(j);
        const ProtobufCEnumValue *ev = protobuf_c_enum_descriptor_get_value_by_name(f->descriptor, s);
        if (!ev || strlen(s) != json_string_length(j))
            return -1;
        *out = ev->value;
        return 0;
    }
    if (!json_is_number(j))
        return -1;
    int64_t v; /* open enums keep numbers they do not know */
    if (get_int(j, 32, &v) != 0)
        return -1;
    *out = (int)v;
    return 0;
}

static int dec_new_message(dctx *c, const char *name, const json_t *j,
                           const ProtobufCMessageDescriptor *d, ProtobufCMessage **out);

/* One value of field f (a plain member, oneof member, list element or map
 * value) into dst. dst holds nothing owned; on failure it is unchanged.
 * name is what error texts call the field. */
static int dec_elem(dctx *c, const ProtobufCFieldDescriptor *f, const char *name, const json_t *j,
                    void *dst)
{
    int64_t i;
    uint64_t u;
    double d;
    switch (f->type) {
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32:
        if (!json_is_number(j) && !json_is_string(j))
            break;
        if (get_int(j, 32, &i) != 0)
            break;
        *(int32_t *)dst = (int32_t)i;
        return 0;
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
        if (get_int(j, 64, &i) != 0)
            break;
        *(int64_t *)dst = i;
        return 0;
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32:
        if (get_uint(j, 32, &u) != 0)
            break;
        *(uint32_t *)dst = (uint32_t)u;
        return 0;
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
        if (get_uint(j, 64, &u) != 0)
            break;
        *(uint64_t *)dst = u;
        return 0;
    case PROTOBUF_C_TYPE_FLOAT:
        if (get_double(j, true, &d) != 0)
            break;
        *(float *)dst = (float)d;
        return 0;
    case PROTOBUF_C_TYPE_DOUBLE:
        if (get_double(j, false, &d) != 0)
            break;
        *(double *)dst = d;
        return 0;
    case PROTOBUF_C_TYPE_BOOL:
        if (!json_is_boolean(j))
            break;
        *(protobuf_c_boolean *)dst = json_is_true(j);
        return 0;
    case PROTOBUF_C_TYPE_ENUM: {
        int e;
        if (get_enum(j, f, &e) != 0)
            break;
        *(int *)dst = e;
        return 0;
    }
    case PROTOBUF_C_TYPE_STRING: {
        char *s;
        if (get_string(j, f, &s) != 0)
            break;
        *(char **)dst = s;
        return 0;
    }
    case PROTOBUF_C_TYPE_BYTES: {
        ProtobufCBinaryData b;
        if (!json_is_string(j) ||
            pbj_base64_decode(json_string_value(j), json_string_length(j), &b.data, &b.len) != 0)
            break;
        *(ProtobufCBinaryData *)dst = b;
        return 0;
    }
    case PROTOBUF_C_TYPE_MESSAGE:
        return dec_new_message(c, name, j, f->descriptor, (ProtobufCMessage **)dst);
    }
    return bad_value(c, f, name, j);
}

/* ---- lists and maps ------------------------------------------------------------ */

static int dec_list(dctx *c, const ProtobufCFieldDescriptor *f, const json_t *j, ProtobufCMessage *m)
{
    if (!json_is_array(j))
        return bad_container(c, f, j);
    size_t n = json_array_size(j);
    if (n == 0)
        return 0;
    if (enter(c) != 0)
        return -1;
    size_t sz = pbj_elem_size(f->type);
    char *arr = calloc(n, sz);
    if (!arr) {
        c->depth--;
        return fail(c, "out of memory");
    }
    /* The message owns the array at once; the count grows with each good
     * element, so free_unpacked releases exactly what was filled. */
    size_t *count = (size_t *)((char *)m + f->quantifier_offset);
    *(char **)((char *)m + f->offset) = arr;
    *count = 0;
    int r = 0;
    for (size_t i = 0; i < n && r == 0; i++) {
        r = dec_elem(c, f, f->name, json_array_get(j, i), arr + i * sz);
        if (r == 0)
            (*count)++;
    }
    c->depth--;
    return r;
}

static int dec_map_key(dctx *c, const ProtobufCFieldDescriptor *f, const ProtobufCFieldDescriptor *kf,
                       const char *key, size_t klen, void *dst)
{
    int64_t i;
    uint64_t u;
    bool ok = strlen(key) == klen;
    switch (kf->type) {
    case PROTOBUF_C_TYPE_STRING:
        if (!ok || !utf8_valid(key, klen))
            break;
        if (klen == 0 && kf->default_value && *(const char *)kf->default_value == '\0') {
            *(char **)dst = (char *)kf->default_value;
            return 0;
        }
        if (!(*(char **)dst = strdup(key)))
            return fail(c, "out of memory");
        return 0;
    case PROTOBUF_C_TYPE_BOOL:
        if (ok && (strcmp(key, "true") == 0 || strcmp(key, "false") == 0)) {
            *(protobuf_c_boolean *)dst = key[0] == 't';
            return 0;
        }
        break;
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32:
        if (ok && pbj_parse_dec_int(key, 32, &i) == 0) {
            *(int32_t *)dst = (int32_t)i;
            return 0;
        }
        break;
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
        if (ok && pbj_parse_dec_int(key, 64, &i) == 0) {
            *(int64_t *)dst = i;
            return 0;
        }
        break;
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32:
        if (ok && pbj_parse_dec_uint(key, 32, &u) == 0) {
            *(uint32_t *)dst = (uint32_t)u;
            return 0;
        }
        break;
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
        if (ok && pbj_parse_dec_uint(key, 64, &u) == 0) {
            *(uint64_t *)dst = u;
            return 0;
        }
        break;
    default:
        break;
    }
    json_t *k = json_stringn_nocheck(key, klen);
    char shown[96] = "?";
    if (k)
        show(k, shown, sizeof shown);
    json_decref(k);
    return fail(c, "invalid map key for %s field %s: %s", pbj_type_name(kf), f->name, shown);
}

static int dec_map(dctx *c, const ProtobufCFieldDescriptor *f, const json_t *j, ProtobufCMessage *m)
{
    if (!json_is_object(j))
        return bad_container(c, f, j);
    size_t n = json_object_size(j);
    if (n == 0)
        return 0;
    if (enter(c) != 0)
        return -1;
    const ProtobufCMessageDescriptor *ed = f->descriptor;
    const ProtobufCFieldDescriptor *kf = &ed->fields[0], *vf = &ed->fields[1];
    ProtobufCMessage **arr = calloc(n, sizeof *arr);
    if (!arr) {
        c->depth--;
        return fail(c, "out of memory");
    }
    size_t *count = (size_t *)((char *)m + f->quantifier_offset);
    *(ProtobufCMessage ***)((char *)m + f->offset) = arr;
    *count = 0;
    const char *key;
    size_t klen;
    json_t *val;
    int r = 0;
    json_object_keylen_foreach((json_t *)j, key, klen, val)
    {
        if (*count >= n)
            break;
        ProtobufCMessage *e = malloc(ed->sizeof_message);
        if (!e) {
            r = fail(c, "out of memory");
            break;
        }
        protobuf_c_message_init(ed, e);
        arr[(*count)++] = e; /* owned by m from here on */
        r = dec_map_key(c, f, kf, key, klen, (char *)e + kf->offset);
        if (r == 0)
            r = dec_elem(c, vf, f->name, val, (char *)e + vf->offset);
        if (r != 0)
            break;
    }
    c->depth--;
    return r;
}

/* ---- fields and messages --------------------------------------------------------- */

/* Field types for which JSON null is a value rather than "leave unset". */
static bool null_is_value(const ProtobufCFieldDescriptor *f)
{
    if (f->label == PROTOBUF_C_LABEL_REPEATED)
        return false;
    if (f->type == PROTOBUF_C_TYPE_MESSAGE)
        return pbj_wkt_kind(f->descriptor) == PBJ_WKT_VALUE;
    return pbj_is_null_enum(f);
}

static int dec_field(dctx *c, ProtobufCMessage *m, const ProtobufCFieldDescriptor *f, const json_t *j)
{
    char *base = (char *)m;
    if (f->label == PROTOBUF_C_LABEL_REPEATED)
        return pbj_is_map(f) ? dec_map(c, f, j, m) : dec_list(c, f, j, m);
    if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
        uint32_t *which = (uint32_t *)(base + f->quantifier_offset);
        if (*which != 0 && *which != f->id) {
            const ProtobufCFieldDescriptor *other =
                protobuf_c_message_descriptor_get_field(m->descriptor, *which);
            return fail(c, "multiple values for oneof: %s and %s", other ? other->name : "?",
                        f->name);
        }
        /* Members share storage: decode aside, then store and mark. */
        union {
            int64_t i;
            double d;
            void *p;
            ProtobufCBinaryData b;
        } tmp;
        memset(&tmp, 0, sizeof tmp);
        if (dec_elem(c, f, f->name, j, &tmp) != 0)
            return -1;
        memcpy(base + f->offset, &tmp, pbj_elem_size(f->type));
        *which = f->id;
        return 0;
    }
    if (dec_elem(c, f, f->name, j, base + f->offset) != 0)
        return -1;
    if (f->label == PROTOBUF_C_LABEL_OPTIONAL && f->type != PROTOBUF_C_TYPE_MESSAGE &&
        f->type != PROTOBUF_C_TYPE_STRING) /* proto2 optional scalar: has_ flag */
        *(protobuf_c_boolean *)(base + f->quantifier_offset) = 1;
    return 0;
}

static int dec_fields(dctx *c, const json_t *j, ProtobufCMessage *m)
{
    const ProtobufCMessageDescriptor *d = m->descriptor;
    /* which fields were seen: "node_id" and "nodeId" together are a
     * duplicate, as in protojson */
    uint64_t seen_small[8] = {0}, *seen = seen_small;
    size_t words = (d->n_fields + 63) / 64;
    if (words > 8 && !(seen = calloc(words, sizeof *seen)))
        return fail(c, "out of memory");
    const char *key;
    size_t klen;
    json_t *val;
    int r = 0;
    json_object_keylen_foreach((json_t *)j, key, klen, val)
    {
        if (strlen(key) != klen)
            continue; /* a NUL inside a key names no field */
        const ProtobufCFieldDescriptor *f = pbj_field_by_key(d, key);
        if (!f)
            continue; /* DiscardUnknown */
        size_t idx = (size_t)(f - d->fields);
        if (seen[idx / 64] & ((uint64_t)1 << (idx % 64))) {
            r = fail(c, "duplicate field %s", f->name);
            break;
        }
        seen[idx / 64] |= (uint64_t)1 << (idx % 64);
        if (json_is_null(val) && !null_is_value(f))
            continue;
        if ((r = dec_field(c, m, f, val)) != 0)
            break;
    }
    if (seen != seen_small)
        free(seen);
    return r;
}

static int dec_value(dctx *c, const json_t *j, ProtobufCMessage *m)
{
    Google__Protobuf__Value *v = (Google__Protobuf__Value *)m;
    ProtobufCMessage *sub;
    switch (json_typeof(j)) {
    case JSON_NULL:
        v->null_value = GOOGLE__PROTOBUF__NULL_VALUE__NULL_VALUE;
        v->kind_case = GOOGLE__PROTOBUF__VALUE__KIND_NULL_VALUE;
        return 0;
    case JSON_TRUE:
    case JSON_FALSE:
        v->bool_value = json_is_true(j);
        v->kind_case = GOOGLE__PROTOBUF__VALUE__KIND_BOOL_VALUE;
        return 0;
    case JSON_INTEGER:
    case JSON_REAL:
        v->number_value = json_number_value(j);
        v->kind_case = GOOGLE__PROTOBUF__VALUE__KIND_NUMBER_VALUE;
        return 0;
    case JSON_STRING: {
        const ProtobufCFieldDescriptor *sf = protobuf_c_message_descriptor_get_field(m->descriptor, 3);
        char *s;
        if (!sf || get_string(j, sf, &s) != 0)
            return fail(c, "invalid string in google.protobuf.Value");
        v->string_value = s;
        v->kind_case = GOOGLE__PROTOBUF__VALUE__KIND_STRING_VALUE;
        return 0;
    }
    case JSON_OBJECT:
        if (dec_new_message(c, NULL, j, &google__protobuf__struct__descriptor, &sub) != 0)
            return -1;
        v->struct_value = (Google__Protobuf__Struct *)sub;
        v->kind_case = GOOGLE__PROTOBUF__VALUE__KIND_STRUCT_VALUE;
        return 0;
    case JSON_ARRAY:
        if (dec_new_message(c, NULL, j, &google__protobuf__list_value__descriptor, &sub) != 0)
            return -1;
        v->list_value = (Google__Protobuf__ListValue *)sub;
        v->kind_case = GOOGLE__PROTOBUF__VALUE__KIND_LIST_VALUE;
        return 0;
    }
    return -1;
}

/* {"@type": url, fields...} or {"@type": url, "value": <wkt json>}; an
 * unknown type only in the form we write it: {"@type", "value": base64}. */
static int dec_any(dctx *c, const char *name, const json_t *j, ProtobufCMessage *m)
{
    Google__Protobuf__Any *a = (Google__Protobuf__Any *)m;
    const char *what = name ? name : "google.protobuf.Any";
    const json_t *t = json_object_get(j, "@type");
    if (!t) {
        if (json_object_size(j) == 0)
            return 0;
        return fail(c, "missing \"@type\" in google.protobuf.Any %s", what);
    }
    const char *url = json_string_value(t);
    if (!url || strlen(url) != json_string_length(t) || !*url)
        return fail(c, "invalid \"@type\" in google.protobuf.Any %s", what);
    if (!(a->type_url = strdup(url)))
        return fail(c, "out of memory");
    const ProtobufCMessageDescriptor *td = pbj_find_type(url);
    const json_t *val = json_object_get(j, "value");
    if (!td) {
        if (json_is_string(val) && json_object_size(j) == 2 &&
            pbj_base64_decode(json_string_value(val), json_string_length(val), &a->value.data,
                              &a->value.len) == 0)
            return 0;
        return fail(c, "unknown type in google.protobuf.Any %s: \"%.200s\"", what, url);
    }
    pbj_wkt kind = pbj_wkt_kind(td);
    const json_t *body = j;
    if (kind != PBJ_WKT_NONE) {
        if (!val)
            return fail(c, "missing \"value\" in google.protobuf.Any %s", what);
        body = val;
    }
    ProtobufCMessage *inner;
    if (dec_new_message(c, name, body, td, &inner) != 0)
        return -1;
    size_t n = protobuf_c_message_get_packed_size(inner);
    uint8_t *buf = n ? malloc(n) : NULL;
    if (n && !buf) {
        protobuf_c_message_free_unpacked(inner, NULL);
        return fail(c, "out of memory");
    }
    if (n)
        protobuf_c_message_pack(inner, buf);
    protobuf_c_message_free_unpacked(inner, NULL);
    a->value.data = buf;
    a->value.len = n;
    return 0;
}

/* Fills the initialised message m from j. */
static int dec_body(dctx *c, const char *name, const json_t *j, ProtobufCMessage *m)
{
    const ProtobufCMessageDescriptor *d = m->descriptor;
    pbj_wkt kind = pbj_wkt_kind(d);
    int r;
    switch (kind) {
    case PBJ_WKT_TIMESTAMP:
    case PBJ_WKT_DURATION: {
        /* both are {int64 seconds = 1; int32 nanos = 2;} */
        Google__Protobuf__Timestamp *t = (Google__Protobuf__Timestamp *)m;
        const char *s = json_string_value(j);
        if (!s || strlen(s) != json_string_length(j) ||
            (kind == PBJ_WKT_TIMESTAMP ? pbj_parse_timestamp(s, &t->seconds, &t->nanos)
                                       : pbj_parse_duration(s, &t->seconds, &t->nanos)) != 0)
            return bad_message(c, d, name, j);
        return 0;
    }
    case PBJ_WKT_WRAPPER:
        return dec_elem(c, &d->fields[0], name ? name : d->name, j,
                        (char *)m + d->fields[0].offset);
    case PBJ_WKT_STRUCT:
        if (!json_is_object(j))
            return bad_message(c, d, name, j);
        return dec_map(c, &d->fields[0], j, m);
    case PBJ_WKT_LIST:
        if (!json_is_array(j))
            return bad_message(c, d, name, j);
        return dec_list(c, &d->fields[0], j, m);
    case PBJ_WKT_VALUE:
        return dec_value(c, j, m);
    case PBJ_WKT_ANY:
    case PBJ_WKT_EMPTY:
    case PBJ_WKT_NONE:
        break;
    }
    if (!json_is_object(j))
        return bad_message(c, d, name, j);
    if (enter(c) != 0)
        return -1;
    r = kind == PBJ_WKT_ANY ? dec_any(c, name, j, m) : dec_fields(c, j, m);
    c->depth--;
    return r;
}

static int dec_new_message(dctx *c, const char *name, const json_t *j,
                           const ProtobufCMessageDescriptor *d, ProtobufCMessage **out)
{
    ProtobufCMessage *m = malloc(d->sizeof_message);
    if (!m)
        return fail(c, "out of memory");
    protobuf_c_message_init(d, m);
    if (dec_body(c, name, j, m) != 0) {
        protobuf_c_message_free_unpacked(m, NULL);
        return -1;
    }
    *out = m;
    return 0;
}

int pbjson_decode(const json_t *j, const ProtobufCMessageDescriptor *d, ProtobufCMessage **out,
                  char *err, size_t errlen)
{
    dctx c = {err, errlen, 0};
    if (err && errlen)
        err[0] = '\0';
    if (!out)
        return fail(&c, "no output");
    *out = NULL;
    if (!j || !d)
        return fail(&c, "no input");
    return dec_new_message(&c, NULL, j, d, out);
}
