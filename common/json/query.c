/* query: URL query and path parameters set into a request message
 * the way grpc-gateway's runtime does (net/url's ParseQuery, then
 * runtime/query.go's DefaultQueryParser: populateFieldValueFromPath and
 * parseField with Go's strconv and time parsers), with their error texts:
 * `parsing field "node_type": "FOO" is not a valid value`,
 * `strconv.ParseBool: parsing "yes": invalid syntax`, `too many values for
 * field "x": a, b`, `invalid URL escape "%zz"`. */
#include "internal.h"
#include "hex.h"
#include "utf8.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "google/protobuf/duration.pb-c.h"
#include "google/protobuf/timestamp.pb-c.h"

#define MAX_PATH_SEGMENTS 16
#define ERRTXT 384

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

static void q(const char *s, char *out, size_t n)
{
    pbj_go_quote(s, strlen(s), out, n);
}

/* ---- Go's number parsers and their errors ----------------------------------- */

/* Decimal digits of s into *mag: 0, -1 syntax (none, or a non-digit),
 * -2 when they overflow 64 bits. */
static int go_digits(const char *s, uint64_t *mag)
{
    if (!*s)
        return -1;
    uint64_t m = 0;
    bool over = false;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return -1;
        unsigned d = (unsigned)(*s - '0');
        if (m > (UINT64_MAX - d) / 10)
            over = true;
        else
            m = m * 10 + d;
    }
    *mag = m;
    return over ? -2 : 0;
}

/* strconv.ParseInt(s, 10, bits): 0, -1 syntax, -2 range. */
static int go_parse_int(const char *s, int bits, int64_t *out)
{
    bool neg = false;
    uint64_t mag;
    if (*s == '+' || *s == '-')
        neg = *s++ == '-';
    int rc = go_digits(s, &mag);
    if (rc != 0)
        return rc;
    return pbj_mag_to_int(neg, mag, bits, out) == 0 ? 0 : -2;
}

/* strconv.ParseUint(s, 10, bits): no sign. */
static int go_parse_uint(const char *s, int bits, uint64_t *out)
{
    uint64_t mag;
    int rc = go_digits(s, &mag);
    if (rc != 0)
        return rc;
    return pbj_mag_to_uint(false, mag, bits, out) == 0 ? 0 : -2;
}

static int go_parse_bool(const char *s, bool *out)
{
    static const char *const yes[] = {"1", "t", "T", "TRUE", "true", "True"};
    static const char *const no[] = {"0", "f", "F", "FALSE", "false", "False"};
    for (size_t i = 0; i < 6; i++) {
        if (strcmp(s, yes[i]) == 0)
            return *out = true, 0;
        if (strcmp(s, no[i]) == 0)
            return *out = false, 0;
    }
    return -1;
}

/* strconv.ParseFloat(s, bits) for decimal forms and inf/infinity/nan. */
static int go_parse_float(const char *s, bool is32, double *out)
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
    while (isdigit((unsigned char)*p))
        p++, digits++;
    if (*p == '.') {
        p++;
        while (isdigit((unsigned char)*p))
            p++, digits++;
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
    errno = 0;
    if (is32) {
        float f = strtof(s, NULL);
        if (errno == ERANGE && isinf(f))
            return -2;
        *out = f;
    } else {
        double d = strtod(s, NULL);
        if (errno == ERANGE && isinf(d))
            return -2;
        *out = d;
    }
    return 0;
}

/* *strconv.NumError's text. */
static int num_error(char *err, size_t errlen, const char *func, const char *s, int rc)
{
    char qs[ERRTXT];
    q(s, qs, sizeof qs);
    return fail(err, errlen, "strconv.%s: parsing %s: %s", func, qs, rc == -2 ? "value out of range" : "invalid syntax");
}

/* time's own quote(): '"' and '\\' escaped, other bytes that are not
 * printable ASCII as \xNN. */
static void time_quote(const char *s, char *out, size_t n)
{
    size_t o = 0;
    out[o++] = '"';
    for (const unsigned char *p = (const unsigned char *)s; *p && o + 6 < n; p++) {
        if (*p >= 0x80 || *p < ' ')
            o += (size_t)snprintf(out + o, n - o, "\\x%02x", *p);
        else {
            if (*p == '"' || *p == '\\')
                out[o++] = '\\';
            out[o++] = (char)*p;
        }
    }
    out[o++] = '"';
    out[o] = '\0';
}

/* time.ParseDuration; nanoseconds into *ns. */
static int go_parse_duration(const char *s0, int64_t *ns, char *err, size_t errlen)
{
    char qs[ERRTXT];
    const char *s = s0;
    bool neg = false;
    uint64_t total = 0;
    if (*s == '-' || *s == '+')
        neg = *s++ == '-';
    if (strcmp(s, "0") == 0) {
        *ns = 0;
        return 0;
    }
    if (!*s)
        goto invalid;
    while (*s) {
        uint64_t v = 0, frac = 0;
        double scale = 1;
        bool pre = false, post = false;
        if (!(*s == '.' || isdigit((unsigned char)*s)))
            goto invalid;
        const char *st = s;
        while (isdigit((unsigned char)*s)) {
            if (v > (UINT64_MAX >> 1) / 10)
                goto invalid;
            v = v * 10 + (uint64_t)(*s++ - '0');
        }
        pre = s != st;
        if (*s == '.') {
            s++;
            st = s;
            while (isdigit((unsigned char)*s)) {
                if (frac <= (UINT64_MAX >> 1) / 10) {
                    frac = frac * 10 + (uint64_t)(*s - '0');
                    scale *= 10;
                }
                s++;
            }
            post = s != st;
        }
        if (!pre && !post)
            goto invalid;
        st = s;
        while (*s && *s != '.' && !isdigit((unsigned char)*s))
            s++;
        size_t ul = (size_t)(s - st);
        if (ul == 0) {
            time_quote(s0, qs, sizeof qs);
            return fail(err, errlen, "time: missing unit in duration %s", qs);
        }
        static const struct {
            const char *name;
            uint64_t mult;
        } units[] = {{"ns", 1},          {"us", 1000},          {"\xc2\xb5s", 1000}, {"\xce\xbcs", 1000},
                     {"ms", 1000000},    {"s", 1000000000ULL}, {"m", 60000000000ULL}, {"h", 3600000000000ULL}};
        uint64_t mult = 0;
        for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
            if (strlen(units[i].name) == ul && memcmp(units[i].name, st, ul) == 0)
                mult = units[i].mult;
        if (!mult) {
            char unit[64], qu[ERRTXT / 2];
            snprintf(unit, sizeof unit, "%.*s", (int)(ul < 60 ? ul : 60), st);
            time_quote(unit, qu, sizeof qu);
            time_quote(s0, qs, sizeof qs);
            return fail(err, errlen, "time: unknown unit %s in duration %s", qu, qs);
        }
        if (v > (uint64_t)INT64_MAX / mult)
            goto invalid;
        v *= mult;
        if (frac)
            v += (uint64_t)((double)frac * ((double)mult / scale));
        total += v;
        if (total > (uint64_t)INT64_MAX + (neg ? 1 : 0))
            goto invalid;
    }
    *ns = neg ? (int64_t)(0 - total) : (int64_t)total;
    return 0;
invalid:
    time_quote(s0, qs, sizeof qs);
    return fail(err, errlen, "time: invalid duration %s", qs);
}

/* time.Parse(time.RFC3339Nano, s)'s error, element by element. */
static int ts_error(const char *s, char *err, size_t errlen)
{
    static const char layout[] = "2006-01-02T15:04:05.999999999Z07:00";
    static const struct {
        const char *elem;
        int digits; /* >0: that many digits; 0: literal */
    } els[] = {{"2006", 4}, {"-", 0}, {"01", 2}, {"-", 0}, {"02", 2}, {"T", 0},
               {"15", 2},   {":", 0}, {"04", 2}, {":", 0}, {"05", 2}};
    const char *p = s;
    char qv[ERRTXT / 2], qr[ERRTXT / 2];
    time_quote(s, qv, sizeof qv);
    for (size_t i = 0; i < sizeof els / sizeof els[0]; i++) {
        bool ok = true;
        if (els[i].digits) {
            for (int k = 0; k < els[i].digits; k++)
                ok &= isdigit((unsigned char)p[k]) != 0;
        } else {
            ok = *p == els[i].elem[0];
        }
        if (!ok) {
            time_quote(p, qr, sizeof qr);
            return fail(err, errlen, "parsing time %s as \"%s\": cannot parse %s as \"%s\"", qv, layout, qr,
                        els[i].elem);
        }
        p += els[i].digits ? els[i].digits : 1;
    }
    if (*p == '.')
        for (p++; isdigit((unsigned char)*p); p++)
            ;
    time_quote(p, qr, sizeof qr);
    if (*p != 'Z' && *p != '+' && *p != '-')
        return fail(err, errlen, "parsing time %s as \"%s\": cannot parse %s as \"Z07:00\"", qv, layout, qr);
    return fail(err, errlen, "parsing time %s: extra text: %s", qv, qr);
}

/* ---- field values from text (parseField / parseMessage) ---------------------- */


static void value_free(const ProtobufCFieldDescriptor *f, pbj_value *v)
{
    if (f->type == PROTOBUF_C_TYPE_STRING && v->s != (char *)f->default_value)
        free(v->s);
    else if (f->type == PROTOBUF_C_TYPE_BYTES)
        free(v->bytes.data);
    else if (f->type == PROTOBUF_C_TYPE_MESSAGE && v->msg)
        protobuf_c_message_free_unpacked(v->msg, NULL);
}

static ProtobufCMessage *new_msg(const ProtobufCMessageDescriptor *d)
{
    ProtobufCMessage *m = malloc(d->sizeof_message);
    if (m)
        protobuf_c_message_init(d, m);
    return m;
}

/* runtime.Bytes: standard base64, else URL-safe. */
static int go_bytes(const char *s, ProtobufCBinaryData *out, char *err, size_t errlen)
{
    size_t n = strlen(s);
    for (int pass = 0; pass < 2; pass++) {
        const char *alpha = pass == 0 ? "+/" : "-_";
        size_t i = 0, bad = n;
        for (; i < n && s[i] != '='; i++)
            if (!isalnum((unsigned char)s[i]) && s[i] != alpha[0] && s[i] != alpha[1]) {
                bad = i;
                break;
            }
        if (bad == n && n % 4 == 0) {
            if (pass == 1 || !(memchr(s, '-', n) || memchr(s, '_', n))) {
                uint8_t *data;
                size_t len;
                if (pbj_base64_decode(s, n, &data, &len) == 0) {
                    out->data = data;
                    out->len = len;
                    return 0;
                }
            }
        }
        if (pass == 1)
            return fail(err, errlen, "illegal base64 data at input byte %zu", bad < n ? bad : n - n % 4);
    }
    return -1;
}

static int parse_message(const ProtobufCMessageDescriptor *md, const char *text, pbj_value *v, char *err, size_t errlen);

/* parseField: one value of f from text into *v. */
static int parse_field(const ProtobufCFieldDescriptor *f, const char *text, pbj_value *v, char *err, size_t errlen)
{
    int64_t i;
    uint64_t u;
    double d;
    bool b;
    int rc;
    char qs[ERRTXT];
    memset(v, 0, sizeof *v);
    switch (f->type) {
    case PROTOBUF_C_TYPE_BOOL:
        if (go_parse_bool(text, &b) != 0)
            return num_error(err, errlen, "ParseBool", text, -1);
        v->b = b;
        return 0;
    case PROTOBUF_C_TYPE_ENUM: {
        const ProtobufCEnumValue *ev = protobuf_c_enum_descriptor_get_value_by_name(f->descriptor, text);
        if (!ev) {
            /* strconv.Atoi, then the number must name a value */
            if (go_parse_int(text, 64, &i) == 0)
                ev = protobuf_c_enum_descriptor_get_value(f->descriptor, (int32_t)i);
            if (!ev) {
                q(text, qs, sizeof qs);
                return fail(err, errlen, "%s is not a valid value", qs);
            }
        }
        v->e = ev->value;
        return 0;
    }
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32:
        if ((rc = go_parse_int(text, 32, &i)) != 0)
            return num_error(err, errlen, "ParseInt", text, rc);
        v->i32 = (int32_t)i;
        return 0;
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
        if ((rc = go_parse_int(text, 64, &i)) != 0)
            return num_error(err, errlen, "ParseInt", text, rc);
        v->i64 = i;
        return 0;
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32:
        if ((rc = go_parse_uint(text, 32, &u)) != 0)
            return num_error(err, errlen, "ParseUint", text, rc);
        v->u32 = (uint32_t)u;
        return 0;
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
        if ((rc = go_parse_uint(text, 64, &u)) != 0)
            return num_error(err, errlen, "ParseUint", text, rc);
        v->u64 = u;
        return 0;
    case PROTOBUF_C_TYPE_FLOAT:
    case PROTOBUF_C_TYPE_DOUBLE:
        if ((rc = go_parse_float(text, f->type == PROTOBUF_C_TYPE_FLOAT, &d)) != 0)
            return num_error(err, errlen, "ParseFloat", text, rc);
        if (f->type == PROTOBUF_C_TYPE_FLOAT)
            v->f = (float)d;
        else
            v->d = d;
        return 0;
    case PROTOBUF_C_TYPE_STRING:
        /* any bytes: invalid UTF-8 is refused later, when the request is
         * marshaled (pbjson_check_utf8), as grpc-go's codec does */
        if (!(v->s = strdup(text)))
            return fail(err, errlen, "out of memory");
        return 0;
    case PROTOBUF_C_TYPE_BYTES:
        return go_bytes(text, &v->bytes, err, errlen);
    case PROTOBUF_C_TYPE_MESSAGE:
        return parse_message(f->descriptor, text, v, err, errlen);
    }
    return fail(err, errlen, "unknown field kind");
}

static int parse_message(const ProtobufCMessageDescriptor *md, const char *text, pbj_value *v, char *err, size_t errlen)
{
    ProtobufCMessage *m = NULL;
    switch (pbj_wkt_kind(md)) {
    case PBJ_WKT_TIMESTAMP: {
        int64_t sec;
        int32_t ns;
        int rc = pbj_parse_timestamp(text, &sec, &ns);
        if (rc == -2) /* timestamppb's IsValid, whichever end; the runtime's one text */
            return fail(err, errlen, "%s before 0001-01-01", text);
        if (rc != 0)
            return ts_error(text, err, errlen);
        if (!(m = new_msg(md)))
            return fail(err, errlen, "out of memory");
        ((Google__Protobuf__Timestamp *)m)->seconds = sec;
        ((Google__Protobuf__Timestamp *)m)->nanos = ns;
        break;
    }
    case PBJ_WKT_DURATION: {
        int64_t ns = 0;
        if (go_parse_duration(text, &ns, err, errlen) != 0)
            return -1;
        if (!(m = new_msg(md)))
            return fail(err, errlen, "out of memory");
        ((Google__Protobuf__Duration *)m)->seconds = ns / 1000000000;
        ((Google__Protobuf__Duration *)m)->nanos = (int32_t)(ns % 1000000000);
        break;
    }
    case PBJ_WKT_WRAPPER: {
        pbj_value inner;
        if (parse_field(&md->fields[0], text, &inner, err, errlen) != 0)
            return -1;
        if (!(m = new_msg(md))) {
            value_free(&md->fields[0], &inner);
            return fail(err, errlen, "out of memory");
        }
        memcpy((char *)m + md->fields[0].offset, &inner, pbj_elem_size(md->fields[0].type));
        break;
    }
    case PBJ_WKT_VALUE:
    case PBJ_WKT_STRUCT:
        if (pbjson_decode_text(text, strlen(text), md, &m, err, errlen) != 0)
            return -1;
        break;
    default:
        return fail(err, errlen, "unsupported message type: \"%s\"", md->name);
    }
    v->msg = m;
    return 0;
}

/* ---- storing ---------------------------------------------------------------------- */

/* The member of f's oneof that is set in m, or NULL. */
static const ProtobufCFieldDescriptor *oneof_set(const ProtobufCMessage *m, const ProtobufCFieldDescriptor *f)
{
    uint32_t which = *(const uint32_t *)((const char *)m + f->quantifier_offset);
    return which ? protobuf_c_message_descriptor_get_field(m->descriptor, which) : NULL;
}

/* A oneof with one member is upstream's proto3 `optional` (synthetic). */
static bool real_oneof(const ProtobufCMessageDescriptor *d, const ProtobufCFieldDescriptor *f)
{
    if (!(f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF))
        return false;
    unsigned members = 0;
    for (unsigned i = 0; i < d->n_fields; i++)
        if ((d->fields[i].flags & PROTOBUF_C_FIELD_FLAG_ONEOF) && d->fields[i].quantifier_offset == f->quantifier_offset)
            members++;
    return members > 1;
}

static const char *oneof_short_name(const ProtobufCMessageDescriptor *d, const ProtobufCFieldDescriptor *f)
{
    for (size_t i = 0; i < pbj_oneof_table_len; i++)
        if (strcmp(pbj_oneof_table[i].message, d->name) == 0 && strcmp(pbj_oneof_table[i].field, f->name) == 0)
            return pbj_oneof_table[i].oneof;
    return f->name;
}

/* Replaces the singular value of f in m (Set). */
static void set_singular(ProtobufCMessage *m, const ProtobufCFieldDescriptor *f, pbj_value *v)
{
    char *base = (char *)m;
    if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
        const ProtobufCFieldDescriptor *cur = oneof_set(m, f);
        if (cur) { /* the union holds cur's value: release it */
            pbj_value old;
            memcpy(&old, base + cur->offset, pbj_elem_size(cur->type));
            if (cur->type == PROTOBUF_C_TYPE_STRING || cur->type == PROTOBUF_C_TYPE_BYTES ||
                cur->type == PROTOBUF_C_TYPE_MESSAGE)
                value_free(cur, &old);
        }
        *(uint32_t *)(base + f->quantifier_offset) = f->id;
    } else {
        pbj_value old;
        memcpy(&old, base + f->offset, pbj_elem_size(f->type));
        if (f->type == PROTOBUF_C_TYPE_STRING || f->type == PROTOBUF_C_TYPE_BYTES ||
            f->type == PROTOBUF_C_TYPE_MESSAGE) {
            if (!(f->type == PROTOBUF_C_TYPE_BYTES && f->default_value &&
                  old.bytes.data == ((const ProtobufCBinaryData *)f->default_value)->data))
                value_free(f, &old);
        }
        if (f->label == PROTOBUF_C_LABEL_OPTIONAL && f->type != PROTOBUF_C_TYPE_MESSAGE &&
            f->type != PROTOBUF_C_TYPE_STRING)
            *(protobuf_c_boolean *)(base + f->quantifier_offset) = 1;
    }
    memcpy(base + f->offset, v, pbj_elem_size(f->type));
}

static int append(ProtobufCMessage *m, const ProtobufCFieldDescriptor *f, pbj_value *v)
{
    char *base = (char *)m;
    size_t *count = (size_t *)(base + f->quantifier_offset);
    char **arr = (char **)(base + f->offset);
    size_t sz = pbj_elem_size(f->type);
    char *na = realloc(*arr, (*count + 1) * sz);
    if (!na)
        return -1;
    *arr = na;
    memcpy(na + *count * sz, v, sz);
    (*count)++;
    return 0;
}

/* Mutable(f).Message(): the sub-message of f, created (and the oneof
 * switched to f) when unset. */
static ProtobufCMessage *mutable_message(ProtobufCMessage *m, const ProtobufCFieldDescriptor *f)
{
    char *base = (char *)m;
    ProtobufCMessage **slot = (ProtobufCMessage **)(base + f->offset);
    if ((f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) && oneof_set(m, f) == f && *slot)
        return *slot;
    if (!(f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) && *slot)
        return *slot;
    ProtobufCMessage *sub = new_msg(f->descriptor);
    if (!sub)
        return NULL;
    pbj_value v = {.msg = sub};
    set_singular(m, f, &v);
    return sub;
}

/* ByName, then ByJSONName. */
static const ProtobufCFieldDescriptor *field_named(const ProtobufCMessageDescriptor *d, const char *name)
{
    return pbj_field_by_key(d, name);
}

static char *join_values(const char *const *values, size_t n)
{
    size_t len = 1;
    for (size_t i = 0; i < n; i++)
        len += strlen(values[i]) + 2;
    char *s = malloc(len), *o = s;
    if (!s)
        return NULL;
    for (size_t i = 0; i < n; i++)
        o += sprintf(o, "%s%s", i ? ", " : "", values[i]);
    *o = '\0';
    return s;
}

int pbjson_set_field(ProtobufCMessage *m, const char *path, const char *const *values, size_t n, char *err,
                     size_t errlen)
{
    char qs[ERRTXT], qs2[ERRTXT];
    if (err && errlen)
        err[0] = '\0';
    if (!m || !path)
        return fail(err, errlen, "no field path");
    if (n < 1)
        return fail(err, errlen, "no value provided");
    const ProtobufCFieldDescriptor *f = NULL;
    ProtobufCMessage *cur = m;
    for (const char *seg = path;;) {
        const char *dot = strchr(seg, '.');
        size_t len = dot ? (size_t)(dot - seg) : strlen(seg);
        char name[256];
        if (len >= sizeof name)
            return 0; /* names no field */
        memcpy(name, seg, len);
        name[len] = '\0';
        f = field_named(cur->descriptor, name);
        if (!f)
            return 0; /* "field not found": ignored */
        if (real_oneof(cur->descriptor, f)) {
            const ProtobufCFieldDescriptor *set = oneof_set(cur, f);
            if (set && (f->type != PROTOBUF_C_TYPE_MESSAGE || set != f)) {
                q(oneof_short_name(cur->descriptor, f), qs, sizeof qs);
                return fail(err, errlen, "field already set for oneof %s", qs);
            }
        }
        if (!dot)
            break;
        if (f->type != PROTOBUF_C_TYPE_MESSAGE || f->label == PROTOBUF_C_LABEL_REPEATED) {
            q(name, qs, sizeof qs);
            return fail(err, errlen, "invalid path: %s is not a message", qs);
        }
        if (!(cur = mutable_message(cur, f)))
            return fail(err, errlen, "out of memory");
        seg = dot + 1;
    }
    pbj_value v;
    q(f->name, qs, sizeof qs);
    if (f->label == PROTOBUF_C_LABEL_REPEATED && pbj_is_map(f)) {
        const ProtobufCMessageDescriptor *ed = f->descriptor;
        if (n != 2) {
            char full[300], qf[ERRTXT];
            snprintf(full, sizeof full, "%s.%s", cur->descriptor->name, f->name);
            q(values[0], qs2, sizeof qs2);
            q(full, qf, sizeof qf);
            return fail(err, errlen, "more than one value provided for key %s in map %s", qs2, qf);
        }
        pbj_value k;
        char sub[PBJSON_ERR_MAX];
        if (parse_field(&ed->fields[0], values[0], &k, sub, sizeof sub) != 0)
            return fail(err, errlen, "parsing map key %s: %s", qs, sub);
        if (parse_field(&ed->fields[1], values[1], &v, sub, sizeof sub) != 0) {
            value_free(&ed->fields[0], &k);
            return fail(err, errlen, "parsing map value %s: %s", qs, sub);
        }
        ProtobufCMessage *e = new_msg(ed);
        if (!e) {
            value_free(&ed->fields[0], &k);
            value_free(&ed->fields[1], &v);
            return fail(err, errlen, "out of memory");
        }
        memcpy((char *)e + ed->fields[0].offset, &k, pbj_elem_size(ed->fields[0].type));
        memcpy((char *)e + ed->fields[1].offset, &v, pbj_elem_size(ed->fields[1].type));
        pbj_value ev = {.msg = e};
        if (append(cur, f, &ev) != 0) {
            protobuf_c_message_free_unpacked(e, NULL);
            return fail(err, errlen, "out of memory");
        }
        return 0;
    }
    if (f->label == PROTOBUF_C_LABEL_REPEATED) {
        for (size_t i = 0; i < n; i++) {
            char sub[PBJSON_ERR_MAX];
            if (parse_field(f, values[i], &v, sub, sizeof sub) != 0)
                return fail(err, errlen, "parsing list %s: %s", qs, sub);
            if (append(cur, f, &v) != 0) {
                value_free(f, &v);
                return fail(err, errlen, "out of memory");
            }
        }
        return 0;
    }
    if (n > 1) {
        char *joined = join_values(values, n);
        fail(err, errlen, "too many values for field %s: %s", qs, joined ? joined : "");
        free(joined);
        return -1;
    }
    char sub[PBJSON_ERR_MAX];
    if (parse_field(f, values[0], &v, sub, sizeof sub) != 0)
        return fail(err, errlen, "parsing field %s: %s", qs, sub);
    set_singular(cur, f, &v);
    return 0;
}

/* ---- url.ParseQuery ------------------------------------------------------------- */

char *pbjson_query_unescape(const char *s, size_t n, char *err, size_t errlen)
{
    char *out = malloc(n + 1), *o = out;
    if (!out) {
        fail(err, errlen, "out of memory");
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '%') {
            int hi = i + 1 < n ? hex_value(s[i + 1]) : -1, lo = i + 2 < n ? hex_value(s[i + 2]) : -1;
            if (hi < 0 || lo < 0) {
                char bad[4], qb[32];
                size_t k = n - i < 3 ? n - i : 3;
                memcpy(bad, s + i, k);
                bad[k] = '\0';
                pbj_go_quote(bad, k, qb, sizeof qb);
                fail(err, errlen, "invalid URL escape %s", qb);
                free(out);
                return NULL;
            }
            if (hi == 0 && lo == 0) { /* a NUL cannot live in a C string */
                fail(err, errlen, "invalid URL escape \"%%00\"");
                free(out);
                return NULL;
            }
            *o++ = (char)(hi << 4 | lo);
            i += 2;
        } else {
            *o++ = s[i] == '+' ? ' ' : s[i];
        }
    }
    *o = '\0';
    return out;
}

typedef struct {
    char *key;
    char **values;
    size_t n;
} qparam;

typedef struct {
    qparam *p;
    size_t n;
} qparams;

static void qparams_free(qparams *qp)
{
    for (size_t i = 0; i < qp->n; i++) {
        free(qp->p[i].key);
        for (size_t k = 0; k < qp->p[i].n; k++)
            free(qp->p[i].values[k]);
        free(qp->p[i].values);
    }
    free(qp->p);
}

/* Adds value under key (keys in first-seen order); takes both. */
static int qparams_add(qparams *qp, char *key, char *val)
{
    qparam *p = NULL;
    for (size_t i = 0; i < qp->n && !p; i++)
        if (strcmp(qp->p[i].key, key) == 0)
            p = &qp->p[i];
    if (!p) {
        qparam *np = realloc(qp->p, (qp->n + 1) * sizeof *np);
        if (!np)
            goto nomem;
        qp->p = np;
        p = &qp->p[qp->n++];
        *p = (qparam){key, NULL, 0};
        key = NULL;
    }
    char **nv = realloc(p->values, (p->n + 1) * sizeof *nv);
    if (!nv)
        goto nomem;
    p->values = nv;
    p->values[p->n++] = val;
    free(key);
    return 0;
nomem:
    free(key);
    free(val);
    return -1;
}

/* url.ParseQuery: every pair parsed; the first error is the answer. */
static int parse_query(const char *raw, qparams *qp, char *err, size_t errlen)
{
    char first[PBJSON_ERR_MAX] = "";
    const char *p = raw;
    while (p && *p) {
        const char *amp = strchr(p, '&');
        size_t len = amp ? (size_t)(amp - p) : strlen(p);
        const char *seg = p;
        p = amp ? amp + 1 : NULL;
        if (memchr(seg, ';', len)) {
            if (!first[0])
                snprintf(first, sizeof first, "invalid semicolon separator in query");
            continue;
        }
        if (len == 0)
            continue;
        const char *eq = memchr(seg, '=', len);
        size_t klen = eq ? (size_t)(eq - seg) : len;
        char e[PBJSON_ERR_MAX];
        char *key = pbjson_query_unescape(seg, klen, e, sizeof e);
        if (!key) {
            if (!first[0])
                snprintf(first, sizeof first, "%s", e);
            continue;
        }
        char *val = eq ? pbjson_query_unescape(eq + 1, len - klen - 1, e, sizeof e) : strdup("");
        if (!val) {
            free(key);
            if (!first[0])
                snprintf(first, sizeof first, "%s", eq ? e : "out of memory");
            continue;
        }
        if (qparams_add(qp, key, val) != 0)
            return fail(err, errlen, "out of memory");
    }
    if (first[0])
        return fail(err, errlen, "%s", first);
    return 0;
}

/* normalizeFieldPath: proto names for JSON names, as long as every step
 * names a field (else the path as given). Returns a malloc'd dotted path. */
static char *normalize_path(const ProtobufCMessageDescriptor *d, const char *key)
{
    char *out = malloc(strlen(key) * 2 + 2);
    if (!out)
        return NULL;
    size_t o = 0;
    const char *seg = key;
    for (;;) {
        const char *dot = strchr(seg, '.');
        size_t len = dot ? (size_t)(dot - seg) : strlen(seg);
        char name[256];
        const ProtobufCFieldDescriptor *f = NULL;
        if (len < sizeof name) {
            memcpy(name, seg, len);
            name[len] = '\0';
            f = d ? pbj_field_by_key(d, name) : NULL;
        }
        if (!f) {
            strcpy(out, key);
            return out;
        }
        o += (size_t)sprintf(out + o, "%s%s", o ? "." : "", f->name);
        if (!dot)
            return out;
        if (f->type != PROTOBUF_C_TYPE_MESSAGE || f->label == PROTOBUF_C_LABEL_REPEATED) {
            strcpy(out, key);
            return out;
        }
        d = f->descriptor;
        seg = dot + 1;
    }
}

/* filter.HasCommonPrefix: does one of the skip paths prefix path
 * (segment-wise)? */
static bool skipped(const char *path, const char *const *skip, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        size_t k = strlen(skip[i]);
        if (strncmp(path, skip[i], k) == 0 && (path[k] == '\0' || path[k] == '.'))
            return true;
    }
    return false;
}

int pbjson_set_query(ProtobufCMessage *m, const char *raw_query, const char *const *skip, size_t n_skip, char *err,
                     size_t errlen)
{
    if (err && errlen)
        err[0] = '\0';
    if (!m)
        return fail(err, errlen, "no message");
    qparams qp = {0};
    int rc = parse_query(raw_query ? raw_query : "", &qp, err, errlen);
    for (size_t i = 0; rc == 0 && i < qp.n; i++) {
        char *key = qp.p[i].key;
        size_t klen = strlen(key);
        const char **vals = (const char **)qp.p[i].values;
        size_t nv = qp.p[i].n;
        const char **withkey = NULL;
        char *base = NULL, *mapkey = NULL;
        /* "field[key]=value" names a map entry */
        char *lb = klen >= 2 && key[klen - 1] == ']' ? strrchr(key, '[') : NULL;
        if (lb) {
            /* the regexp ^(.*)\[(.*)\]$ is greedy: the last '[' that is
             * followed by text ending in ']' */
            base = strndup(key, (size_t)(lb - key));
            mapkey = strndup(lb + 1, (size_t)(key + klen - 1 - (lb + 1)));
            withkey = malloc((nv + 1) * sizeof *withkey);
            if (!base || !mapkey || !withkey) {
                rc = fail(err, errlen, "out of memory");
            } else {
                withkey[0] = mapkey;
                memcpy(withkey + 1, vals, nv * sizeof *vals);
                vals = withkey;
                nv++;
                key = base;
            }
        }
        if (rc == 0) {
            char *path = normalize_path(m->descriptor, key);
            if (!path)
                rc = fail(err, errlen, "out of memory");
            else if (!skipped(path, skip, n_skip))
                rc = pbjson_set_field(m, path, vals, nv, err, errlen);
            free(path);
        }
        free(base);
        free(mapkey);
        free(withkey);
    }
    qparams_free(&qp);
    return rc;
}

/* ---- the marshal-time UTF-8 check ------------------------------------------------ */

static int check_msg(const ProtobufCMessage *m, int depth)
{
    if (!m || depth > 200)
        return 0;
    const ProtobufCMessageDescriptor *d = m->descriptor;
    const char *base = (const char *)m;
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        if ((f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) && *(const uint32_t *)(base + f->quantifier_offset) != f->id)
            continue;
        if (f->type != PROTOBUF_C_TYPE_STRING && f->type != PROTOBUF_C_TYPE_MESSAGE)
            continue;
        size_t n = 1;
        const void *arr = base + f->offset;
        if (f->label == PROTOBUF_C_LABEL_REPEATED) {
            n = *(const size_t *)(base + f->quantifier_offset);
            arr = *(void *const *)(base + f->offset);
        }
        for (size_t k = 0; k < n && arr; k++) {
            const void *p = *((void *const *)arr + k);
            if (!p)
                continue;
            if (f->type == PROTOBUF_C_TYPE_STRING) {
                if (!utf8_valid(p, strlen(p)))
                    return -1;
            } else if (check_msg(p, depth + 1) != 0) {
                return -1;
            }
        }
    }
    return 0;
}

int pbjson_check_utf8(const ProtobufCMessage *m, char *err, size_t errlen)
{
    if (check_msg(m, 0) != 0)
        return fail(err, errlen, "string field contains invalid UTF-8");
    return 0;
}
