/* decode: JSON text -> protobuf-c message exactly as PMM's gateway
 * decodes a request body: grpc-gateway's JSONPb reads the first JSON value
 * with encoding/json (gojson.c), then protojson.Unmarshal with
 * DiscardUnknown decodes it (this file, over token.c). Same rules
 * and same texts: proto or JSON names, unknown fields skipped, unknown
 * enum names discarded (the field keeps its zero value), null leaves a
 * field unset, numbers as numbers or strings, "NaN"/"Infinity", base64
 * bytes, the well-known types from their JSON forms, and every error
 * "proto: (line L:C): ...". Everything is malloc'd so that
 * protobuf_c_message_free_unpacked(msg, NULL) releases it; on error the
 * partial message is freed. */
#include "internal.h"
#include "utf8.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "google/protobuf/any.pb-c.h"
#include "google/protobuf/duration.pb-c.h"
#include "google/protobuf/struct.pb-c.h"
#include "google/protobuf/timestamp.pb-c.h"

/* protojson allows 10000 nested messages; C recursion here costs a few
 * hundred bytes a level on threads with 1 MiB stacks, and only Struct /
 * Value nest beyond a handful, so stop far earlier with the same text. */
#define MAX_MESSAGE_DEPTH 400


typedef struct {
    pj_dec *d;
    int depth;
} dctx;

static int dec_message(dctx *c, ProtobufCMessage *m, bool skip_type_url);

static size_t raw_len(const pj_token *t)
{
    return t->rawlen > 200 ? 200 : t->rawlen;
}

#define RAW(c, t) (int)raw_len(t), (c)->d->orig + (t)->pos

static void json_name(const ProtobufCFieldDescriptor *f, char *out, size_t n)
{
    pbj_json_name(f->name, out, n);
}

/* ---- numbers (protojson's Token.Int/Uint/Float) ------------------------- */

/* parseNumberParts + normalizeToIntString: the integer a JSON number
 * denotes, as decimal text ("1e2" -> "100", "1.0" -> "1"); false if it
 * has a fractional part or more than 20 digits. */
static bool number_to_int_text(const char *s, size_t n, char *out, size_t outlen)
{
    size_t i = 0;
    bool neg = false;
    if (i < n && s[i] == '-') {
        neg = true;
        i++;
    }
    if (i >= n)
        return false;
    const char *intp = NULL, *frac = NULL, *exp = NULL;
    size_t nint = 0, nfrac = 0, nexp = 0;
    if (s[i] == '0') {
        i++;
    } else if (s[i] >= '1' && s[i] <= '9') {
        intp = s + i;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++, nint++;
    } else {
        return false;
    }
    if (i + 1 < n && s[i] == '.' && s[i + 1] >= '0' && s[i + 1] <= '9') {
        frac = s + ++i;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++, nfrac++;
    }
    if (i + 1 < n && (s[i] == 'e' || s[i] == 'E')) {
        exp = s + ++i;
        if (s[i] == '+' || s[i] == '-')
            i++, nexp++;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++, nexp++;
    }
    while (nfrac && frac[nfrac - 1] == '0')
        nfrac--;
    if (nint == 0 && nfrac == 0) {
        snprintf(out, outlen, "0");
        return true;
    }
    long e = 0;
    if (nexp) {
        char eb[16];
        if (nexp >= sizeof eb)
            return false;
        memcpy(eb, exp, nexp);
        eb[nexp] = '\0';
        char *endp;
        errno = 0;
        long v = strtol(eb, &endp, 10);
        if (*endp || errno || v > 2147483647L || v < -2147483648L || !(eb[0] == '-' || eb[0] == '+' || (eb[0] >= '0' && eb[0] <= '9')))
            return false;
        e = v;
    }
    char num[64];
    size_t o = 0;
    if (e >= 0) {
        if ((long)nfrac > e || (long)nint + e > 20)
            return false;
        memcpy(num, intp ? intp : "", nint);
        o = nint;
        memcpy(num + o, frac ? frac : "", nfrac);
        o += nfrac;
        for (long k = 0; k < e - (long)nfrac; k++)
            num[o++] = '0';
    } else {
        if (nfrac > 0)
            return false;
        long index = (long)nint + e;
        if (index < 0)
            return false;
        for (long k = index; k < (long)nint; k++)
            if (intp[k] != '0')
                return false;
        memcpy(num, intp, (size_t)index);
        o = (size_t)index;
    }
    num[o] = '\0';
    size_t sign = neg ? 1 : 0;
    if (sign + o >= outlen)
        return false;
    if (neg)
        out[0] = '-';
    memcpy(out + sign, num, o + 1);
    return true;
}

/* The number text a token stands for: a Number token, or a String whose
 * whole content is one JSON number (no surrounding spaces). */
static bool token_number_text(const pj_token *t, const char *orig, const char **s, size_t *n)
{
    if (t->kind == PJ_NUMBER) {
        *s = orig + t->pos;
        *n = t->rawlen;
        return true;
    }
    if (t->kind != PJ_STRING || t->slen == 0)
        return false;
    const char *p = t->str;
    size_t len = t->slen;
    /* strings.TrimSpace must change nothing */
    unsigned char f = (unsigned char)p[0], l = (unsigned char)p[len - 1];
    if (f == ' ' || f == '\t' || f == '\n' || f == '\r' || f == '\v' || f == '\f' || l == ' ' || l == '\t' ||
        l == '\n' || l == '\r' || l == '\v' || l == '\f')
        return false;
    bool ok;
    size_t k = pj_number_len(p, len, &ok);
    if (!ok || k != len)
        return false;
    *s = p;
    *n = len;
    return true;
}

static bool token_int(const pj_token *t, const char *orig, int bits, int64_t *out)
{
    const char *s;
    size_t n;
    char txt[64];
    if (!token_number_text(t, orig, &s, &n) || !number_to_int_text(s, n, txt, sizeof txt))
        return false;
    return pbj_parse_dec_int(txt, bits, out) == 0;
}

static bool token_uint(const pj_token *t, const char *orig, int bits, uint64_t *out)
{
    const char *s;
    size_t n;
    char txt[64];
    if (!token_number_text(t, orig, &s, &n) || !number_to_int_text(s, n, txt, sizeof txt))
        return false;
    if (txt[0] == '-') /* strconv.ParseUint takes no sign; "-0" normalised to "0" above */
        return false;
    return pbj_parse_dec_uint(txt, bits, out) == 0;
}

static bool token_float(const pj_token *t, const char *orig, bool is32, double *out)
{
    if (t->kind == PJ_STRING) {
        if (strcmp(t->str, "NaN") == 0 && t->slen == 3) {
            *out = NAN;
            return true;
        }
        if (strcmp(t->str, "Infinity") == 0 && t->slen == 8) {
            *out = INFINITY;
            return true;
        }
        if (strcmp(t->str, "-Infinity") == 0 && t->slen == 9) {
            *out = -INFINITY;
            return true;
        }
    }
    const char *s;
    size_t n;
    if (!token_number_text(t, orig, &s, &n))
        return false;
    char buf[512];
    if (n >= sizeof buf) {
        /* a number this long is still a number: keep its first digits
         * where the magnitude allows (strtod rounds the same way) */
        return false;
    }
    memcpy(buf, s, n);
    buf[n] = '\0';
    errno = 0;
    if (is32) {
        float f = strtof(buf, NULL);
        if (errno == ERANGE && isinf(f))
            return false; /* strconv.ParseFloat(s, 32): value out of range */
        *out = f;
    } else {
        double d = strtod(buf, NULL);
        if (errno == ERANGE && isinf(d))
            return false;
        *out = d;
    }
    return true;
}

/* ---- scalars ------------------------------------------------------------- */

/* A string for field f: malloc'd, or f's empty default where that saves an
 * allocation (free_unpacked skips it; not for oneof members, which pack()
 * would then drop). NULL on ENOMEM. */
static char *take_string(const ProtobufCFieldDescriptor *f, const char *s, size_t n)
{
    if (n == 0 && f->label != PROTOBUF_C_LABEL_REPEATED && !(f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
        f->default_value && *(const char *)f->default_value == '\0')
        return (char *)f->default_value;
    char *p = malloc(n + 1);
    if (p) {
        memcpy(p, s, n);
        p[n] = '\0';
    }
    return p;
}

/* base64 as protojson reads it: URL alphabet if '-' or '_' appear, no
 * padding unless the length is a multiple of 4 (then padding required). */
static bool decode_base64(const char *s, size_t n, ProtobufCBinaryData *out)
{
    bool url = memchr(s, '-', n) || memchr(s, '_', n);
    bool url2 = memchr(s, '+', n) || memchr(s, '/', n);
    if (url && url2)
        return false;
    if (n % 4 != 0 && memchr(s, '=', n))
        return false;
    uint8_t *data;
    size_t len;
    if (pbj_base64_decode(s, n, &data, &len) != 0)
        return false;
    out->data = data;
    out->len = len;
    return true;
}

/* unmarshalScalar: one scalar of field f into *v. *set is false when the
 * value is to be dropped (an unknown enum name). */
static int dec_scalar(dctx *c, const ProtobufCFieldDescriptor *f, pbj_value *v, bool *set)
{
    pj_token t;
    if (pj_read(c->d, &t) != 0)
        return -1;
    const char *orig = c->d->orig;
    int64_t i;
    uint64_t u;
    double x;
    *set = true;
    memset(v, 0, sizeof *v);
    switch (f->type) {
    case PROTOBUF_C_TYPE_BOOL:
        if (t.kind == PJ_BOOL) {
            v->b = t.b;
            return 0;
        }
        break;
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32:
        if (token_int(&t, orig, 32, &i)) {
            v->i32 = (int32_t)i;
            return 0;
        }
        break;
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
        if (token_int(&t, orig, 64, &i)) {
            v->i64 = i;
            return 0;
        }
        break;
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32:
        if (token_uint(&t, orig, 32, &u)) {
            v->u32 = (uint32_t)u;
            return 0;
        }
        break;
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
        if (token_uint(&t, orig, 64, &u)) {
            v->u64 = u;
            return 0;
        }
        break;
    case PROTOBUF_C_TYPE_FLOAT:
        if (token_float(&t, orig, true, &x)) {
            v->f = (float)x;
            return 0;
        }
        break;
    case PROTOBUF_C_TYPE_DOUBLE:
        if (token_float(&t, orig, false, &x)) {
            v->d = x;
            return 0;
        }
        break;
    case PROTOBUF_C_TYPE_STRING:
        /* protobuf-c strings end at NUL: a "\u0000" cannot be carried */
        if (t.kind == PJ_STRING && strlen(t.str) == t.slen) {
            if (!(v->s = take_string(f, t.str, t.slen)))
                return pj_fail(c->d, "out of memory");
            return 0;
        }
        break;
    case PROTOBUF_C_TYPE_BYTES:
        if (t.kind == PJ_STRING && decode_base64(t.str, t.slen, &v->bytes))
            return 0;
        break;
    case PROTOBUF_C_TYPE_ENUM:
        if (t.kind == PJ_STRING) {
            const ProtobufCEnumValue *ev =
                strlen(t.str) == t.slen ? protobuf_c_enum_descriptor_get_value_by_name(f->descriptor, t.str) : NULL;
            if (ev)
                v->e = ev->value;
            else
                *set = false; /* DiscardUnknown: an unknown name is dropped */
            return 0;
        }
        if (t.kind == PJ_NUMBER && token_int(&t, orig, 32, &i)) {
            v->e = (int)i;
            return 0;
        }
        if (t.kind == PJ_NULL && pbj_is_null_enum(f)) {
            v->e = 0;
            return 0;
        }
        break;
    case PROTOBUF_C_TYPE_MESSAGE:
        break;
    }
    char jn[256];
    json_name(f, jn, sizeof jn);
    return pj_error_at(c->d, t.pos, "invalid value for %s field %s: %.*s", pbj_kind_name(f->type), jn, RAW(c, &t));
}

static void value_free(const ProtobufCFieldDescriptor *f, pbj_value *v)
{
    switch (f->type) {
    case PROTOBUF_C_TYPE_STRING:
        if (v->s && v->s != (char *)f->default_value)
            free(v->s);
        break;
    case PROTOBUF_C_TYPE_BYTES:
        free(v->bytes.data);
        break;
    case PROTOBUF_C_TYPE_MESSAGE:
        if (v->msg)
            protobuf_c_message_free_unpacked(v->msg, NULL);
        break;
    default:
        break;
    }
}

static int new_message(dctx *c, const ProtobufCMessageDescriptor *md, ProtobufCMessage **out)
{
    ProtobufCMessage *m = malloc(md->sizeof_message);
    if (!m)
        return pj_fail(c->d, "out of memory");
    protobuf_c_message_init(md, m);
    if (dec_message(c, m, false) != 0) {
        protobuf_c_message_free_unpacked(m, NULL);
        return -1;
    }
    *out = m;
    return 0;
}

/* One value (scalar or message) of f. */
static int dec_value_of(dctx *c, const ProtobufCFieldDescriptor *f, pbj_value *v, bool *set)
{
    if (f->type == PROTOBUF_C_TYPE_MESSAGE) {
        *set = true;
        memset(v, 0, sizeof *v);
        return new_message(c, f->descriptor, &v->msg);
    }
    return dec_scalar(c, f, v, set);
}

/* ---- storing into protobuf-c structs ------------------------------------------ */

static void store_singular(ProtobufCMessage *m, const ProtobufCFieldDescriptor *f, pbj_value *v)
{
    char *base = (char *)m;
    if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
        *(uint32_t *)(base + f->quantifier_offset) = f->id;
    else if (f->label == PROTOBUF_C_LABEL_OPTIONAL && f->type != PROTOBUF_C_TYPE_MESSAGE &&
             f->type != PROTOBUF_C_TYPE_STRING)
        *(protobuf_c_boolean *)(base + f->quantifier_offset) = 1;
    memcpy(base + f->offset, v, pbj_elem_size(f->type));
}

/* Appends v to repeated field f of m (the message owns the array). */
static int append(dctx *c, ProtobufCMessage *m, const ProtobufCFieldDescriptor *f, pbj_value *v)
{
    char *base = (char *)m;
    size_t *count = (size_t *)(base + f->quantifier_offset);
    char **arr = (char **)(base + f->offset);
    size_t sz = pbj_elem_size(f->type);
    /* capacity grows in powers of two: a new block when count is 0 or one */
    size_t n = *count;
    if (n == 0 || (n & (n - 1)) == 0) {
        size_t cap = n ? n * 2 : 4;
        char *na = realloc(*arr, cap * sz);
        if (!na)
            return pj_fail(c->d, "out of memory");
        *arr = na;
    }
    memcpy(*arr + n * sz, v, sz);
    (*count)++;
    return 0;
}

/* ---- lists and maps ------------------------------------------------------------ */

static int dec_list(dctx *c, ProtobufCMessage *m, const ProtobufCFieldDescriptor *f)
{
    pj_token t;
    if (pj_read(c->d, &t) != 0)
        return -1;
    if (t.kind != PJ_ARR_OPEN)
        return pj_unexpected(c->d, &t);
    for (;;) {
        if (pj_peek(c->d, &t) != 0)
            return -1;
        if (t.kind == PJ_ARR_CLOSE) {
            pj_read(c->d, &t);
            return 0;
        }
        pbj_value v;
        bool set;
        if (dec_value_of(c, f, &v, &set) != 0)
            return -1;
        if (set && append(c, m, f, &v) != 0) {
            value_free(f, &v);
            return -1;
        }
    }
}

/* A map key from its JSON name (unmarshalMapKey), and its canonical text
 * for spotting duplicates ("1" and "+1" are the same int key). */
static int map_key(dctx *c, const pj_token *t, const ProtobufCFieldDescriptor *kf, pbj_value *k, char *canon,
                   size_t canon_len)
{
    const char *name = t->str;
    bool ok = strlen(name) == t->slen;
    int64_t i;
    uint64_t u;
    memset(k, 0, sizeof *k);
    switch (kf->type) {
    case PROTOBUF_C_TYPE_STRING:
        if (!ok)
            break;
        if (!(k->s = take_string(kf, name, t->slen)))
            return pj_fail(c->d, "out of memory");
        snprintf(canon, canon_len, "%s", name);
        return 0;
    case PROTOBUF_C_TYPE_BOOL:
        if (ok && (strcmp(name, "true") == 0 || strcmp(name, "false") == 0)) {
            k->b = name[0] == 't';
            snprintf(canon, canon_len, "%s", name);
            return 0;
        }
        break;
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32:
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64: {
        bool is32 = kf->type == PROTOBUF_C_TYPE_INT32 || kf->type == PROTOBUF_C_TYPE_SINT32 ||
                    kf->type == PROTOBUF_C_TYPE_SFIXED32;
        if (ok && pbj_parse_dec_int(name, is32 ? 32 : 64, &i) == 0) {
            if (is32)
                k->i32 = (int32_t)i;
            else
                k->i64 = i;
            snprintf(canon, canon_len, "%lld", (long long)i);
            return 0;
        }
        break;
    }
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32:
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64: {
        bool is32 = kf->type == PROTOBUF_C_TYPE_UINT32 || kf->type == PROTOBUF_C_TYPE_FIXED32;
        if (ok && pbj_parse_dec_uint(name, is32 ? 32 : 64, &u) == 0) {
            if (is32)
                k->u32 = (uint32_t)u;
            else
                k->u64 = u;
            snprintf(canon, canon_len, "%llu", (unsigned long long)u);
            return 0;
        }
        break;
    }
    default:
        break;
    }
    return pj_error_at(c->d, t->pos, "invalid value for %s key: %.*s", pbj_kind_name(kf->type), RAW(c, t));
}

static int dec_map(dctx *c, ProtobufCMessage *m, const ProtobufCFieldDescriptor *f)
{
    pj_token t;
    if (pj_read(c->d, &t) != 0)
        return -1;
    if (t.kind != PJ_OBJ_OPEN)
        return pj_unexpected(c->d, &t);
    const ProtobufCMessageDescriptor *ed = f->descriptor;
    const ProtobufCFieldDescriptor *kf = &ed->fields[0], *vf = &ed->fields[1];
    json_t *seen = json_object(); /* canonical keys already in the map */
    if (!seen)
        return pj_fail(c->d, "out of memory");
    int rc = -1;
    for (;;) {
        if (pj_read(c->d, &t) != 0)
            goto out;
        if (t.kind == PJ_OBJ_CLOSE)
            break;
        if (t.kind != PJ_NAME) {
            pj_unexpected(c->d, &t);
            goto out;
        }
        pbj_value k, v;
        bool set;
        char *canon = malloc(t.slen + 32);
        if (!canon) {
            pj_fail(c->d, "out of memory");
            goto out;
        }
        if (map_key(c, &t, kf, &k, canon, t.slen + 32) != 0) {
            free(canon);
            goto out;
        }
        if (json_object_get(seen, canon)) {
            free(canon);
            value_free(kf, &k);
            pj_error_at(c->d, t.pos, "duplicate map key %.*s", RAW(c, &t));
            goto out;
        }
        json_object_set_new_nocheck(seen, canon, json_null());
        free(canon);
        if (dec_value_of(c, vf, &v, &set) != 0) {
            value_free(kf, &k);
            goto out;
        }
        if (!set) {
            value_free(kf, &k);
            continue;
        }
        ProtobufCMessage *e = malloc(ed->sizeof_message);
        if (!e) {
            value_free(kf, &k);
            value_free(vf, &v);
            pj_fail(c->d, "out of memory");
            goto out;
        }
        protobuf_c_message_init(ed, e);
        memcpy((char *)e + kf->offset, &k, pbj_elem_size(kf->type));
        memcpy((char *)e + vf->offset, &v, pbj_elem_size(vf->type));
        pbj_value ev = {.msg = e};
        if (append(c, m, f, &ev) != 0) {
            protobuf_c_message_free_unpacked(e, NULL);
            goto out;
        }
    }
    rc = 0;
out:
    json_decref(seen);
    return rc;
}

/* ---- fields and messages --------------------------------------------------------- */

/* Value-typed fields take null as a value; NullValue enums too. */
static bool null_is_value(const ProtobufCFieldDescriptor *f)
{
    if (f->type == PROTOBUF_C_TYPE_MESSAGE)
        return pbj_wkt_kind(f->descriptor) == PBJ_WKT_VALUE;
    return pbj_is_null_enum(f);
}

/* The full name of the (real) oneof f belongs to, for "oneof X is already
 * set"; routegen's table, else the message's name and the field's. */
static void oneof_full_name(const ProtobufCMessageDescriptor *d, const ProtobufCFieldDescriptor *f, char *out,
                            size_t n)
{
    for (size_t i = 0; i < pbj_oneof_table_len; i++)
        if (strcmp(pbj_oneof_table[i].message, d->name) == 0 && strcmp(pbj_oneof_table[i].field, f->name) == 0) {
            snprintf(out, n, "%s.%s", d->name, pbj_oneof_table[i].oneof);
            return;
        }
    snprintf(out, n, "%s.%s", d->name, f->name);
}

static int dec_fields(dctx *c, ProtobufCMessage *m, bool skip_type_url)
{
    const ProtobufCMessageDescriptor *d = m->descriptor;
    pj_token t;
    if (pj_read(c->d, &t) != 0)
        return -1;
    if (t.kind != PJ_OBJ_OPEN)
        return pj_unexpected(c->d, &t);
    /* fields seen (by number: "node_id" and "nodeId" are one field), and
     * oneofs seen (by their case member's offset) */
    uint64_t seen_small[8] = {0}, *seen = seen_small;
    size_t words = (d->n_fields + 63) / 64;
    if (words > 8 && !(seen = calloc(words, sizeof *seen)))
        return pj_fail(c->d, "out of memory");
    unsigned oneofs_seen[64], n_oneofs = 0;
    int rc = -1;
    for (;;) {
        if (pj_read(c->d, &t) != 0)
            goto out;
        if (t.kind == PJ_OBJ_CLOSE)
            break;
        if (t.kind != PJ_NAME) {
            pj_unexpected(c->d, &t);
            goto out;
        }
        if (skip_type_url && strcmp(t.str, "@type") == 0 && t.slen == 5) {
            pj_token skip;
            if (pj_read(c->d, &skip) != 0)
                goto out;
            continue;
        }
        const ProtobufCFieldDescriptor *f = strlen(t.str) == t.slen ? pbj_field_by_key(d, t.str) : NULL;
        if (!f) { /* DiscardUnknown */
            if (pj_skip_value(c->d, 10000 - c->depth) != 0)
                goto out;
            continue;
        }
        size_t idx = (size_t)(f - d->fields);
        if (seen[idx / 64] & ((uint64_t)1 << (idx % 64))) {
            pj_error_at(c->d, t.pos, "duplicate field %.*s", RAW(c, &t));
            goto out;
        }
        seen[idx / 64] |= (uint64_t)1 << (idx % 64);
        pj_token next;
        if (pj_peek(c->d, &next) != 0)
            goto out;
        if (next.kind == PJ_NULL && (f->label == PROTOBUF_C_LABEL_REPEATED || !null_is_value(f))) {
            pj_read(c->d, &next);
            continue;
        }
        if (f->label == PROTOBUF_C_LABEL_REPEATED) {
            if ((pbj_is_map(f) ? dec_map(c, m, f) : dec_list(c, m, f)) != 0)
                goto out;
            continue;
        }
        if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
            unsigned q = f->quantifier_offset;
            bool dup = false;
            for (unsigned k = 0; k < n_oneofs; k++)
                dup |= oneofs_seen[k] == q;
            if (dup) {
                char on[256];
                oneof_full_name(d, f, on, sizeof on);
                pj_error_at(c->d, t.pos, "error parsing %.*s, oneof %s is already set", RAW(c, &t), on);
                goto out;
            }
            if (n_oneofs < 64)
                oneofs_seen[n_oneofs++] = q;
        }
        pbj_value v;
        bool set;
        if (dec_value_of(c, f, &v, &set) != 0)
            goto out;
        if (set)
            store_singular(m, f, &v);
    }
    rc = 0;
out:
    if (seen != seen_small)
        free(seen);
    return rc;
}

/* ---- well-known types ------------------------------------------------------------ */

/* protojson's parseDuration: [-+]digits[.digits{0,9}]s; 0 ok, -1 bad,
 * -2 out of range (|seconds| > 315576000000). */
static int parse_duration(const char *s, size_t n, int64_t *sec, int32_t *nanos)
{
    if (n < 2 || s[n - 1] != 's')
        return -1;
    const char *p = s, *end = s + n - 1;
    bool neg = false;
    if (*p == '-' || *p == '+')
        neg = *p++ == '-';
    if (p == end)
        return -1;
    uint64_t secs = 0;
    bool big = false;
    if (*p == '0') {
        p++;
    } else if (*p >= '1' && *p <= '9') {
        while (p < end && *p >= '0' && *p <= '9') {
            if (secs > (UINT64_MAX - 9) / 10)
                big = true;
            else
                secs = secs * 10 + (uint64_t)(*p - '0');
            p++;
        }
    } else if (*p != '.') {
        return -1;
    }
    int64_t ns = 0;
    if (p < end) {
        if (*p++ != '.')
            return -1;
        int nd = 0;
        while (p < end && nd < 9 && *p >= '0' && *p <= '9') {
            ns = ns * 10 + (*p++ - '0');
            nd++;
        }
        if (p < end)
            return -1;
        for (; nd < 9; nd++)
            ns *= 10;
    }
    if (big || secs > (uint64_t)INT64_MAX)
        return -1; /* strconv.ParseInt fails */
    if (secs > 315576000000ULL)
        return -2;
    *sec = neg ? -(int64_t)secs : (int64_t)secs;
    *nanos = (int32_t)(neg ? -ns : ns);
    return 0;
}

static int dec_time(dctx *c, ProtobufCMessage *m, bool is_ts)
{
    pj_token t;
    if (pj_read(c->d, &t) != 0)
        return -1;
    if (t.kind != PJ_STRING)
        return pj_unexpected(c->d, &t);
    const char *type = is_ts ? "google.protobuf.Timestamp" : "google.protobuf.Duration";
    Google__Protobuf__Timestamp *ts = (Google__Protobuf__Timestamp *)m; /* both {seconds, nanos} */
    int rc = strlen(t.str) != t.slen ? -1
             : is_ts ? pbj_parse_timestamp(t.str, &ts->seconds, &ts->nanos)
                     : parse_duration(t.str, t.slen, &ts->seconds, &ts->nanos);
    if (rc == -2)
        return pj_error_at(c->d, t.pos, "%s value out of range: %.*s", type, RAW(c, &t));
    if (rc != 0)
        return pj_error_at(c->d, t.pos, "invalid %s value %.*s", type, RAW(c, &t));
    return 0;
}

static int dec_empty(dctx *c)
{
    pj_token t;
    if (pj_read(c->d, &t) != 0)
        return -1;
    if (t.kind != PJ_OBJ_OPEN)
        return pj_unexpected(c->d, &t);
    for (;;) {
        if (pj_read(c->d, &t) != 0)
            return -1;
        if (t.kind == PJ_OBJ_CLOSE)
            return 0;
        if (t.kind != PJ_NAME)
            return pj_unexpected(c->d, &t);
        if (pj_skip_value(c->d, 10000 - c->depth) != 0)
            return -1;
    }
}

static int dec_known_value(dctx *c, ProtobufCMessage *m)
{
    Google__Protobuf__Value *v = (Google__Protobuf__Value *)m;
    pj_token t;
    if (pj_peek(c->d, &t) != 0)
        return -1;
    switch (t.kind) {
    case PJ_NULL:
        pj_read(c->d, &t);
        v->null_value = GOOGLE__PROTOBUF__NULL_VALUE__NULL_VALUE;
        v->kind_case = GOOGLE__PROTOBUF__VALUE__KIND_NULL_VALUE;
        return 0;
    case PJ_BOOL:
        pj_read(c->d, &t);
        v->bool_value = t.b;
        v->kind_case = GOOGLE__PROTOBUF__VALUE__KIND_BOOL_VALUE;
        return 0;
    case PJ_NUMBER: {
        pj_read(c->d, &t);
        double x;
        if (!token_float(&t, c->d->orig, false, &x))
            return pj_error_at(c->d, t.pos, "invalid google.protobuf.Value: %.*s", RAW(c, &t));
        v->number_value = x;
        v->kind_case = GOOGLE__PROTOBUF__VALUE__KIND_NUMBER_VALUE;
        return 0;
    }
    case PJ_STRING:
        pj_read(c->d, &t);
        if (strlen(t.str) != t.slen)
            return pj_error_at(c->d, t.pos, "invalid google.protobuf.Value: %.*s", RAW(c, &t));
        if (!(v->string_value = malloc(t.slen + 1)))
            return pj_fail(c->d, "out of memory");
        memcpy(v->string_value, t.str, t.slen + 1);
        v->kind_case = GOOGLE__PROTOBUF__VALUE__KIND_STRING_VALUE;
        return 0;
    case PJ_OBJ_OPEN: {
        ProtobufCMessage *sub;
        if (new_message(c, &google__protobuf__struct__descriptor, &sub) != 0)
            return -1;
        v->struct_value = (Google__Protobuf__Struct *)sub;
        v->kind_case = GOOGLE__PROTOBUF__VALUE__KIND_STRUCT_VALUE;
        return 0;
    }
    case PJ_ARR_OPEN: {
        ProtobufCMessage *sub;
        if (new_message(c, &google__protobuf__list_value__descriptor, &sub) != 0)
            return -1;
        v->list_value = (Google__Protobuf__ListValue *)sub;
        v->kind_case = GOOGLE__PROTOBUF__VALUE__KIND_LIST_VALUE;
        return 0;
    }
    default:
        return pj_error_at(c->d, t.pos, "invalid google.protobuf.Value: %.*s", RAW(c, &t));
    }
}

/* findTypeURL on a look-ahead copy: 0 with the "@type" token's text and
 * position, 1 for {}, 2 when fields but no "@type", -1 error. */
static int find_type_url(dctx *c, char **url, size_t *pos, size_t *rawlen)
{
    pj_dec la;
    if (pj_clone(c->d, &la) != 0)
        return pj_fail(c->d, "out of memory");
    dctx lc = {&la, c->depth};
    pj_token t;
    int fields = 0, rc = -1;
    *url = NULL;
    pj_read(&la, &t); /* '{' */
    for (;;) {
        if (pj_read(&la, &t) != 0)
            goto out;
        if (t.kind == PJ_OBJ_CLOSE) {
            rc = *url ? 0 : fields > 0 ? 2 : 1;
            goto out;
        }
        if (t.kind != PJ_NAME)
            continue;
        fields++;
        if (!(t.slen == 5 && strcmp(t.str, "@type") == 0)) {
            if (pj_skip_value(&la, 10000 - c->depth) != 0)
                goto out;
            continue;
        }
        if (*url) {
            pj_error_at(&la, t.pos, "duplicate \"@type\" field");
            goto out;
        }
        if (pj_read(&la, &t) != 0)
            goto out;
        if (t.kind != PJ_STRING) {
            pj_error_at(&la, t.pos, "@type field value is not a string: %.*s", RAW(&lc, &t));
            goto out;
        }
        if (t.slen == 0) {
            pj_error_at(&la, t.pos, "@type field contains empty value");
            goto out;
        }
        if (!(*url = strdup(t.str))) {
            pj_fail(&la, "out of memory");
            goto out;
        }
        *pos = t.pos;
        *rawlen = t.rawlen;
    }
out:
    if (rc < 0) {
        free(*url);
        *url = NULL;
    }
    pj_free(&la);
    return rc;
}

static int dec_wkt_body(dctx *c, ProtobufCMessage *m);

/* unmarshalAnyValue: {"@type": ..., "value": <wkt JSON>} */
static int dec_any_value(dctx *c, ProtobufCMessage *inner)
{
    pj_token t;
    bool found = false;
    pj_read(c->d, &t); /* '{' */
    for (;;) {
        if (pj_read(c->d, &t) != 0)
            return -1;
        if (t.kind == PJ_OBJ_CLOSE) {
            if (!found && pbj_wkt_kind(inner->descriptor) != PBJ_WKT_EMPTY)
                return pj_error_at(c->d, t.pos, "missing \"value\" field");
            return 0;
        }
        if (t.kind != PJ_NAME)
            continue;
        if (t.slen == 5 && strcmp(t.str, "@type") == 0) {
            pj_read(c->d, &t);
        } else if (t.slen == 5 && strcmp(t.str, "value") == 0) {
            if (found)
                return pj_error_at(c->d, t.pos, "duplicate \"value\" field");
            if (++c->depth > MAX_MESSAGE_DEPTH) /* Any in Any in Any ... */
                return pj_fail(c->d, "exceeded max recursion depth");
            int rc = dec_wkt_body(c, inner);
            c->depth--;
            if (rc != 0)
                return -1;
            found = true;
        } else if (pj_skip_value(c->d, 10000 - c->depth) != 0) {
            return -1;
        }
    }
}

static int dec_any(dctx *c, ProtobufCMessage *m)
{
    Google__Protobuf__Any *a = (Google__Protobuf__Any *)m;
    pj_token start;
    if (pj_peek(c->d, &start) != 0)
        return -1;
    if (start.kind != PJ_OBJ_OPEN)
        return pj_unexpected(c->d, &start);
    char *url = NULL;
    size_t pos = 0, rawlen = 0;
    int r = find_type_url(c, &url, &pos, &rawlen);
    if (r < 0)
        return -1;
    if (r == 1) { /* {} */
        pj_token t;
        pj_read(c->d, &t);
        pj_read(c->d, &t);
        return 0;
    }
    if (r == 2) /* no "@type": DiscardUnknown skips the whole value */
        return pj_skip_value(c->d, 10000 - c->depth);
    const ProtobufCMessageDescriptor *td = pbj_find_type(url);
    if (!td) {
        free(url);
        return pj_error_at(c->d, pos, "unable to resolve %.*s: \"proto: not found\"", (int)(rawlen > 200 ? 200 : rawlen),
                           c->d->orig + pos);
    }
    ProtobufCMessage *inner = malloc(td->sizeof_message);
    if (!inner) {
        free(url);
        return pj_fail(c->d, "out of memory");
    }
    protobuf_c_message_init(td, inner);
    int rc = pbj_wkt_kind(td) != PBJ_WKT_NONE ? dec_any_value(c, inner) : dec_message(c, inner, true);
    if (rc == 0) {
        size_t n = protobuf_c_message_get_packed_size(inner);
        uint8_t *buf = malloc(n ? n : 1);
        if (!buf) {
            rc = pj_fail(c->d, "out of memory");
        } else {
            protobuf_c_message_pack(inner, buf);
            a->type_url = url;
            url = NULL;
            a->value.data = buf;
            a->value.len = n;
        }
    }
    free(url);
    protobuf_c_message_free_unpacked(inner, NULL);
    return rc;
}

/* The JSON form of a well-known type, or a plain message's object. */
static int dec_wkt_body(dctx *c, ProtobufCMessage *m)
{
    const ProtobufCMessageDescriptor *d = m->descriptor;
    switch (pbj_wkt_kind(d)) {
    case PBJ_WKT_TIMESTAMP:
        return dec_time(c, m, true);
    case PBJ_WKT_DURATION:
        return dec_time(c, m, false);
    case PBJ_WKT_WRAPPER: {
        pbj_value v;
        bool set;
        if (dec_scalar(c, &d->fields[0], &v, &set) != 0)
            return -1;
        memcpy((char *)m + d->fields[0].offset, &v, pbj_elem_size(d->fields[0].type));
        return 0;
    }
    case PBJ_WKT_EMPTY:
        return dec_empty(c);
    case PBJ_WKT_STRUCT:
        return dec_map(c, m, &d->fields[0]);
    case PBJ_WKT_LIST:
        return dec_list(c, m, &d->fields[0]);
    case PBJ_WKT_VALUE:
        return dec_known_value(c, m);
    case PBJ_WKT_ANY:
        return dec_any(c, m);
    case PBJ_WKT_NONE:
        break;
    }
    return dec_fields(c, m, false);
}

static int dec_message(dctx *c, ProtobufCMessage *m, bool skip_type_url)
{
    if (++c->depth > MAX_MESSAGE_DEPTH) {
        c->depth--;
        return pj_fail(c->d, "exceeded max recursion depth");
    }
    int rc = skip_type_url ? dec_fields(c, m, true) : dec_wkt_body(c, m);
    c->depth--;
    return rc;
}

/* ---- entry points ----------------------------------------------------------------- */

int pbjson_decode_text(const char *text, size_t len, const ProtobufCMessageDescriptor *d, ProtobufCMessage **out,
                       char *err, size_t errlen)
{
    if (err && errlen)
        err[0] = '\0';
    if (!out || !d || (!text && len)) {
        if (err && errlen)
            snprintf(err, errlen, "no input");
        return -1;
    }
    *out = NULL;
    pj_dec pd;
    pj_init(&pd, text ? text : "", len, err, errlen);
    dctx c = {&pd, 0};
    ProtobufCMessage *m = malloc(d->sizeof_message);
    if (!m) {
        pj_fail(&pd, "out of memory");
        return -1;
    }
    protobuf_c_message_init(d, m);
    int rc = dec_message(&c, m, false);
    if (rc == 0) {
        pj_token t;
        if (pj_read(&pd, &t) != 0)
            rc = -1;
        else if (t.kind != PJ_EOF)
            rc = pj_unexpected(&pd, &t);
    }
    pj_free(&pd);
    if (rc != 0) {
        protobuf_c_message_free_unpacked(m, NULL);
        return -1;
    }
    *out = m;
    return 0;
}

int pbjson_decode_body(const char *text, size_t len, const ProtobufCMessageDescriptor *d, ProtobufCMessage **out,
                       char *err, size_t errlen)
{
    size_t start = 0, end = 0;
    if (err && errlen)
        err[0] = '\0';
    if (!out || !d)
        return -1;
    *out = NULL;
    int r = text ? pbj_go_first_value(text, len, &start, &end, err, errlen) : 1;
    if (r < 0)
        return -1;
    if (r == 1) { /* io.EOF: no body, an empty request */
        ProtobufCMessage *m = malloc(d->sizeof_message);
        if (!m)
            return -1;
        protobuf_c_message_init(d, m);
        *out = m;
        return 0;
    }
    return pbjson_decode_text(text + start, end - start, d, out, err, errlen);
}

int pbjson_decode(const json_t *j, const ProtobufCMessageDescriptor *d, ProtobufCMessage **out, char *err,
                  size_t errlen)
{
    if (err && errlen)
        err[0] = '\0';
    if (out)
        *out = NULL;
    if (!j || !d || !out) {
        if (err && errlen)
            snprintf(err, errlen, "no input");
        return -1;
    }
    char *text = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY | JSON_PRESERVE_ORDER);
    if (!text) {
        if (err && errlen)
            snprintf(err, errlen, "out of memory");
        return -1;
    }
    int rc = pbjson_decode_text(text, strlen(text), d, out, err, errlen);
    free(text);
    return rc;
}
