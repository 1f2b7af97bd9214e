/* pbjson_query: URL path and query parameter text -> the JSON value a
 * field wants, set into the request object at a dotted path, the way
 * grpc-gateway's query parser reads them (strconv.ParseBool/ParseInt/
 * ParseFloat, enum name or number, base64 bytes, Duration, Timestamp,
 * wrappers). pbjson_decode then checks the whole object as usual. */
#include "pbjson_internal.h"
#include "utf8.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_PATH_SEGMENTS 16
#define MAX_SEGMENT_LEN 128

static int fail(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

/* "value" with escapes, cut after 64 bytes, for error texts. */
static void quote(const char *s, char *out, size_t outlen)
{
    size_t o = 0;
    /* error texts end up in JSON bodies: keep them valid UTF-8 */
    bool raw_ok = utf8_valid(s, strlen(s));
    out[o++] = '"';
    for (size_t i = 0; s[i] && o + 8 < outlen; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (i >= 64 && (!raw_ok || (ch & 0xC0) != 0x80)) {
            memcpy(out + o, "...", 3);
            o += 3;
            break;
        }
        if (ch < 0x20 || ch == 0x7f || ch == '"' || ch == '\\' || (ch >= 0x80 && !raw_ok))
            o += (size_t)snprintf(out + o, outlen - o, ch == '"' || ch == '\\' ? "\\%c" : "\\x%02x", ch);
        else
            out[o++] = (char)ch;
    }
    out[o++] = '"';
    out[o] = '\0';
}

static int bad_text(char *err, size_t errlen, const char *type, const char *name, const char *value)
{
    char q[96];
    quote(value, q, sizeof q);
    return fail(err, errlen, "invalid value for %s field %s: %s", type, name, q);
}

/* strconv.ParseBool */
static int parse_bool(const char *s, bool *out)
{
    static const char *const yes[] = {"1", "t", "T", "TRUE", "true", "True"};
    static const char *const no[] = {"0", "f", "F", "FALSE", "false", "False"};
    for (size_t i = 0; i < 6; i++) {
        if (strcmp(s, yes[i]) == 0) {
            *out = true;
            return 0;
        }
        if (strcmp(s, no[i]) == 0) {
            *out = false;
            return 0;
        }
    }
    return -1;
}

/* strconv.ParseFloat: decimal forms plus inf/infinity/nan in any case. */
static int parse_float(const char *s, bool is_float, double *out)
{
    const char *p = s;
    if (*p == '+' || *p == '-')
        p++;
    if (strcasecmp(p, "inf") == 0 || strcasecmp(p, "infinity") == 0) {
        *out = *s == '-' ? -INFINITY : INFINITY;
        return 0;
    }
    if (strcasecmp(p, "nan") == 0 && p == s) {
        *out = NAN;
        return 0;
    }
    size_t digits = 0;
    while (isdigit((unsigned char)*p)) {
        p++;
        digits++;
    }
    if (*p == '.') {
        p++;
        while (isdigit((unsigned char)*p)) {
            p++;
            digits++;
        }
    }
    if (!digits)
        return -1;
    if (*p == 'e' || *p == 'E') {
        p++;
        if (*p == '+' || *p == '-')
            p++;
        if (!isdigit((unsigned char)*p))
            return -1;
        while (isdigit((unsigned char)*p))
            p++;
    }
    if (*p)
        return -1;
    double d = strtod(s, NULL);
    if (!isfinite(d) || (is_float && isinf((float)d)))
        return -1;
    *out = d;
    return 0;
}

static json_t *float_json(double d, bool is_float)
{
    if (isnan(d))
        return json_string("NaN");
    if (isinf(d))
        return json_string(d > 0 ? "Infinity" : "-Infinity");
    return json_real(is_float ? pbj_float_shortest((float)d) : d);
}

/* The JSON value field f wants for text; name is the field's name for
 * error texts (the outer field for wrapper types). */
static int text_to_json(const ProtobufCFieldDescriptor *f, const char *name, const char *text,
                        json_t **out, char *err, size_t errlen)
{
    int64_t i;
    uint64_t u;
    double d;
    bool b;
    char buf[24];
    json_t *v = NULL;
    const char *type = pbj_type_name(f);
    switch (f->type) {
    case PROTOBUF_C_TYPE_BOOL:
        if (parse_bool(text, &b) != 0)
            return bad_text(err, errlen, type, name, text);
        v = json_boolean(b);
        break;
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32:
        if (pbj_parse_dec_int(text, 32, &i) != 0)
            return bad_text(err, errlen, type, name, text);
        v = json_integer(i);
        break;
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32:
        if (pbj_parse_dec_uint(text, 32, &u) != 0)
            return bad_text(err, errlen, type, name, text);
        v = json_integer((json_int_t)u);
        break;
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64: /* JSON strings, like protojson writes them */
        if (pbj_parse_dec_int(text, 64, &i) != 0)
            return bad_text(err, errlen, type, name, text);
        snprintf(buf, sizeof buf, "%lld", (long long)i);
        v = json_string(buf);
        break;
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
        if (pbj_parse_dec_uint(text, 64, &u) != 0)
            return bad_text(err, errlen, type, name, text);
        snprintf(buf, sizeof buf, "%llu", (unsigned long long)u);
        v = json_string(buf);
        break;
    case PROTOBUF_C_TYPE_FLOAT:
    case PROTOBUF_C_TYPE_DOUBLE: {
        bool is_float = f->type == PROTOBUF_C_TYPE_FLOAT;
        if (parse_float(text, is_float, &d) != 0)
            return bad_text(err, errlen, type, name, text);
        v = float_json(d, is_float);
        break;
    }
    case PROTOBUF_C_TYPE_ENUM: {
        const ProtobufCEnumValue *ev = protobuf_c_enum_descriptor_get_value_by_name(f->descriptor, text);
        if (!ev && pbj_parse_dec_int(text, 32, &i) == 0)
            ev = protobuf_c_enum_descriptor_get_value(f->descriptor, (int)i);
        if (!ev)
            return bad_text(err, errlen, type, name, text);
        v = json_string(ev->name);
        break;
    }
    case PROTOBUF_C_TYPE_STRING:
        v = json_string(text); /* NULL if not UTF-8 */
        if (!v)
            return bad_text(err, errlen, type, name, text);
        break;
    case PROTOBUF_C_TYPE_BYTES: {
        uint8_t *data;
        size_t n;
        if (pbj_base64_decode(text, strlen(text), &data, &n) != 0)
            return bad_text(err, errlen, type, name, text);
        free(data);
        v = json_string(text);
        break;
    }
    case PROTOBUF_C_TYPE_MESSAGE: {
        const ProtobufCMessageDescriptor *md = f->descriptor;
        int64_t sec;
        int32_t ns;
        switch (pbj_wkt_kind(md)) {
        case PBJ_WKT_WRAPPER:
            return text_to_json(&md->fields[0], name, text, out, err, errlen);
        case PBJ_WKT_TIMESTAMP:
            if (pbj_parse_timestamp(text, &sec, &ns) != 0)
                return bad_text(err, errlen, type, name, text);
            v = json_string(text);
            break;
        case PBJ_WKT_DURATION:
            if (pbj_parse_duration(text, &sec, &ns) != 0)
                return bad_text(err, errlen, type, name, text);
            v = json_string(text);
            break;
        default:
            return fail(err, errlen, "field %s is a message and cannot be set from text", name);
        }
        break;
    }
    }
    if (!v)
        return fail(err, errlen, "out of memory");
    *out = v;
    return 0;
}

/* The member of o holding field f, under its proto or JSON name. */
static json_t *member(json_t *o, const ProtobufCFieldDescriptor *f)
{
    json_t *v = json_object_get(o, f->name);
    if (!v) {
        char camel[MAX_SEGMENT_LEN * 2];
        pbj_json_name(f->name, camel, sizeof camel);
        v = json_object_get(o, camel);
    }
    return v;
}

/* Sets o[f] = v under the proto name, dropping a lowerCamel copy the body
 * may carry (the URL value wins and the decoder must not see both). */
static int set_member(json_t *o, const ProtobufCFieldDescriptor *f, json_t *v)
{
    char camel[MAX_SEGMENT_LEN * 2];
    pbj_json_name(f->name, camel, sizeof camel);
    if (strcmp(camel, f->name) != 0)
        json_object_del(o, camel);
    return json_object_set_new(o, f->name, v);
}

int pbjson_set_text(json_t *obj, const ProtobufCMessageDescriptor *d, const char *path,
                    const char *value, char *err, size_t errlen)
{
    if (err && errlen)
        err[0] = '\0';
    if (!json_is_object(obj) || !d || !path || !value)
        return fail(err, errlen, "invalid arguments");

    /* Resolve the whole path before touching obj, so errors change nothing. */
    const ProtobufCFieldDescriptor *chain[MAX_PATH_SEGMENTS];
    int n = 0;
    const ProtobufCMessageDescriptor *cur = d;
    for (const char *seg = path;;) {
        const char *dot = strchr(seg, '.');
        size_t len = dot ? (size_t)(dot - seg) : strlen(seg);
        char name[MAX_SEGMENT_LEN];
        if (len == 0 || len >= sizeof name)
            return 0; /* names no field: ignored, like any unknown name */
        memcpy(name, seg, len);
        name[len] = '\0';
        const ProtobufCFieldDescriptor *f = pbj_field_by_key(cur, name);
        if (!f)
            return 0;
        if (n == MAX_PATH_SEGMENTS)
            return fail(err, errlen, "parameter path %.64s is too deep", path);
        chain[n++] = f;
        if (!dot)
            break;
        if (f->type != PROTOBUF_C_TYPE_MESSAGE || f->label == PROTOBUF_C_LABEL_REPEATED ||
            pbj_wkt_kind(f->descriptor) != PBJ_WKT_NONE)
            return fail(err, errlen, "invalid parameter path %.64s: %s is not a message", path,
                        f->name);
        cur = f->descriptor;
        seg = dot + 1;
    }
    const ProtobufCFieldDescriptor *leaf = chain[n - 1];
    if (pbj_is_map(leaf))
        return fail(err, errlen, "map field %s cannot be set from a URL parameter", leaf->name);
    json_t *v = NULL;
    if (text_to_json(leaf, leaf->name, value, &v, err, errlen) != 0)
        return -1;

    json_t *o = obj;
    for (int i = 0; i < n - 1; i++) {
        json_t *child = member(o, chain[i]);
        if (!json_is_object(child)) {
            child = json_object();
            if (!child || set_member(o, chain[i], child) != 0) {
                json_decref(v);
                return fail(err, errlen, "out of memory");
            }
        }
        o = child;
    }
    if (leaf->label == PROTOBUF_C_LABEL_REPEATED) {
        json_t *arr = member(o, leaf);
        if (!json_is_array(arr)) {
            arr = json_array();
            if (!arr || set_member(o, leaf, arr) != 0) {
                json_decref(v);
                return fail(err, errlen, "out of memory");
            }
        }
        if (json_array_append_new(arr, v) != 0)
            return fail(err, errlen, "out of memory");
        return 0;
    }
    if (set_member(o, leaf, v) != 0)
        return fail(err, errlen, "out of memory");
    return 0;
}
