/* envelope: encode and strictly decode the msgpack request/reply maps of the bus.
 *
 * Decoding first walks the raw bytes (shape_check) without allocating: every
 * length and element count must fit in what is left of the buffer, the whole
 * buffer must be exactly one object, and the object count is capped. Only then
 * does msgpack-c unpack it, so a 5-byte "array of 4 billion elements" can never
 * make msgpack-c reserve gigabytes, and its own depth limit (32) bounds
 * nesting. The unpacked map is then checked key by key. */
#include "bus/envelope.h"

#include <msgpack.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>
#include <time.h>

#include "rpc.h"

/* ---- encoding ----------------------------------------------------------- */

static const char *or_empty(const char *s)
{
    return s ? s : "";
}

static int pack_str(msgpack_packer *pk, const char *s)
{
    size_t n = strlen(s);
    if (msgpack_pack_str(pk, n) != 0)
        return -1;
    return msgpack_pack_str_body(pk, s, n);
}

static int pack_bin(msgpack_packer *pk, const uint8_t *b, size_t n)
{
    if (msgpack_pack_bin(pk, n) != 0)
        return -1;
    return n ? msgpack_pack_bin_body(pk, b, n) : 0;
}

/* An sbuffer sized up front so a large body is copied once, not regrown. */
static int sbuffer_reserve(msgpack_sbuffer *sb, size_t size)
{
    msgpack_sbuffer_init(sb);
    sb->data = malloc(size);
    if (!sb->data)
        return -1;
    sb->alloc = size;
    return 0;
}

static int sbuffer_finish(msgpack_sbuffer *sb, int rc, uint8_t **out, size_t *len)
{
    if (rc != 0) {
        msgpack_sbuffer_destroy(sb);
        return -1;
    }
    *out = (uint8_t *)sb->data;
    *len = sb->size;
    return 0;
}

static bool name_ok(const char *s, size_t max)
{
    return strlen(or_empty(s)) <= max;
}

int bus_request_encode(const bus_request *r, uint8_t **out, size_t *len)
{
    if (!r || !r->method || !r->method[0] || strlen(r->method) > ENVELOPE_MAX_METHOD ||
        !name_ok(r->user, ENVELOPE_MAX_NAME) || !name_ok(r->role, ENVELOPE_MAX_NAME) ||
        !name_ok(r->authz, ENVELOPE_MAX_AUTHZ) || r->body_len > ENVELOPE_MAX_BODY || (r->body_len && !r->body) || r->deadline_ms < 0)
        return -1;
    msgpack_sbuffer sb;
    if (sbuffer_reserve(&sb, r->body_len + strlen(r->method) + 2 * ENVELOPE_MAX_NAME + strlen(or_empty(r->authz)) + 160) != 0)
        return -1;
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    int rc = msgpack_pack_map(&pk, 6);
    rc |= pack_str(&pk, "v");
    rc |= msgpack_pack_uint32(&pk, ENVELOPE_VERSION);
    rc |= pack_str(&pk, "id");
    rc |= msgpack_pack_uint64(&pk, r->id);
    rc |= pack_str(&pk, "method");
    rc |= pack_str(&pk, r->method);
    rc |= pack_str(&pk, "deadline_ms");
    rc |= msgpack_pack_int64(&pk, r->deadline_ms);
    rc |= pack_str(&pk, "caller");
    bool authz = r->authz && r->authz[0];
    rc |= msgpack_pack_map(&pk, 3 + authz + r->grafana);
    rc |= pack_str(&pk, "user");
    rc |= pack_str(&pk, or_empty(r->user));
    rc |= pack_str(&pk, "role");
    rc |= pack_str(&pk, or_empty(r->role));
    rc |= pack_str(&pk, "uid");
    rc |= msgpack_pack_uint32(&pk, r->user_id);
    if (authz) {
        rc |= pack_str(&pk, "authz");
        rc |= pack_str(&pk, r->authz);
    }
    if (r->grafana) {
        rc |= pack_str(&pk, "grafana");
        rc |= msgpack_pack_uint32(&pk, 1);
    }
    rc |= pack_str(&pk, "body");
    rc |= pack_bin(&pk, r->body, r->body_len);
    return sbuffer_finish(&sb, rc, out, len);
}

int bus_reply_encode(const bus_reply *r, uint8_t **out, size_t *len)
{
    if (!r || r->code < 0 || r->code > RPC_UNAUTHENTICATED ||
        !name_ok(r->message, ENVELOPE_MAX_MESSAGE) || r->body_len > ENVELOPE_MAX_BODY ||
        (r->body_len && !r->body))
        return -1;
    msgpack_sbuffer sb;
    if (sbuffer_reserve(&sb, r->body_len + strlen(or_empty(r->message)) + 96) != 0)
        return -1;
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    int rc = msgpack_pack_map(&pk, 5);
    rc |= pack_str(&pk, "v");
    rc |= msgpack_pack_uint32(&pk, ENVELOPE_VERSION);
    rc |= pack_str(&pk, "id");
    rc |= msgpack_pack_uint64(&pk, r->id);
    rc |= pack_str(&pk, "code");
    rc |= msgpack_pack_uint32(&pk, (uint32_t)r->code);
    rc |= pack_str(&pk, "message");
    rc |= pack_str(&pk, or_empty(r->message));
    rc |= pack_str(&pk, "body");
    rc |= pack_bin(&pk, r->body, r->body_len);
    return sbuffer_finish(&sb, rc, out, len);
}

/* ---- raw shape check ---------------------------------------------------- */

static uint64_t read_be(const uint8_t *p, size_t n)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++)
        v = (v << 8) | p[i];
    return v;
}

/* What one msgpack type byte announces: header bytes holding a length
 * (hdr), bytes to skip outright (fixed), whether the length counts payload
 * bytes, array items or map pairs, and extra bytes after the header (ext's
 * type byte). Returns -1 for the never-used 0xc1. */
typedef enum { LEN_BYTES, LEN_ITEMS, LEN_PAIRS } len_kind;

static int type_layout(uint8_t t, size_t *hdr, uint64_t *fixed, len_kind *kind)
{
    *hdr = 0;
    *fixed = 0;
    *kind = LEN_BYTES;
    if (t <= 0x7f || t >= 0xe0 || t == 0xc0 || t == 0xc2 || t == 0xc3)
        return 0;
    if (t <= 0x8f) { *kind = LEN_PAIRS; *fixed = t & 0x0f; return 0; }
    if (t <= 0x9f) { *kind = LEN_ITEMS; *fixed = t & 0x0f; return 0; }
    if (t <= 0xbf) { *fixed = t & 0x1f; return 0; }
    switch (t) {
    case 0xc4: case 0xd9: *hdr = 1; return 0;             /* bin8, str8 */
    case 0xc5: case 0xda: *hdr = 2; return 0;             /* bin16, str16 */
    case 0xc6: case 0xdb: *hdr = 4; return 0;             /* bin32, str32 */
    case 0xc7: *hdr = 1; *fixed = 1; return 0;            /* ext8 + type */
    case 0xc8: *hdr = 2; *fixed = 1; return 0;            /* ext16 + type */
    case 0xc9: *hdr = 4; *fixed = 1; return 0;            /* ext32 + type */
    case 0xcc: case 0xd0: *fixed = 1; return 0;
    case 0xcd: case 0xd1: *fixed = 2; return 0;
    case 0xca: case 0xce: case 0xd2: *fixed = 4; return 0;
    case 0xcb: case 0xcf: case 0xd3: *fixed = 8; return 0;
    case 0xd4: *fixed = 2; return 0;                      /* fixext1 */
    case 0xd5: *fixed = 3; return 0;
    case 0xd6: *fixed = 5; return 0;
    case 0xd7: *fixed = 9; return 0;
    case 0xd8: *fixed = 17; return 0;
    case 0xdc: *kind = LEN_ITEMS; *hdr = 2; return 0;
    case 0xdd: *kind = LEN_ITEMS; *hdr = 4; return 0;
    case 0xde: *kind = LEN_PAIRS; *hdr = 2; return 0;
    case 0xdf: *kind = LEN_PAIRS; *hdr = 4; return 0;
    default: return -1;                                   /* 0xc1 */
    }
}

/* 0 when buf is exactly one msgpack object whose every length fits in the
 * buffer and which holds at most ENVELOPE_MAX_OBJECTS objects. Iterative:
 * it only counts objects still owed, each of which needs at least a byte. */
static int shape_check(const uint8_t *p, size_t len)
{
    size_t pos = 0;
    uint64_t owed = 1, seen = 0;
    while (owed > 0) {
        if (pos >= len || ++seen > ENVELOPE_MAX_OBJECTS)
            return -1;
        owed--;
        size_t hdr;
        uint64_t fixed;
        len_kind kind;
        if (type_layout(p[pos++], &hdr, &fixed, &kind) != 0 || hdr > len - pos)
            return -1;
        uint64_t n = read_be(p + pos, hdr);
        pos += hdr;
        if (hdr == 0 && kind != LEN_BYTES)
            n = fixed, fixed = 0;
        if (kind == LEN_BYTES) {
            if (fixed > len - pos || n > len - pos - fixed)
                return -1;
            pos += fixed + n;
        } else {
            owed += kind == LEN_PAIRS ? 2 * n : n;
            if (owed > len - pos)
                return -1;
        }
    }
    return pos == len ? 0 : -1;
}

/* ---- typed field access ------------------------------------------------- */

static bool key_is(const msgpack_object *k, const char *name)
{
    size_t n = strlen(name);
    return k->type == MSGPACK_OBJECT_STR && k->via.str.size == n &&
           memcmp(k->via.str.ptr, name, n) == 0;
}

static int get_uint(const msgpack_object *o, uint64_t max, uint64_t *out)
{
    if (o->type != MSGPACK_OBJECT_POSITIVE_INTEGER || o->via.u64 > max)
        return -1;
    *out = o->via.u64;
    return 0;
}

/* A C string copy: no NUL inside, at most max bytes. */
static int get_str(const msgpack_object *o, size_t max, char **out)
{
    if (o->type != MSGPACK_OBJECT_STR || o->via.str.size > max ||
        memchr(o->via.str.ptr, '\0', o->via.str.size))
        return -1;
    char *s = malloc(o->via.str.size + 1);
    if (!s)
        return -1;
    memcpy(s, o->via.str.ptr, o->via.str.size);
    s[o->via.str.size] = '\0';
    free(*out);
    *out = s;
    return 0;
}

static int get_bin(const msgpack_object *o, uint8_t **out, size_t *out_len)
{
    if (o->type != MSGPACK_OBJECT_BIN || o->via.bin.size > ENVELOPE_MAX_BODY)
        return -1;
    uint8_t *b = NULL;
    if (o->via.bin.size) {
        b = malloc(o->via.bin.size);
        if (!b)
            return -1;
        memcpy(b, o->via.bin.ptr, o->via.bin.size);
    }
    *out = b;
    *out_len = o->via.bin.size;
    return 0;
}

static int get_version(const msgpack_object *o)
{
    uint64_t v;
    return get_uint(o, UINT64_MAX, &v) == 0 && v == ENVELOPE_VERSION ? 0 : -1;
}

/* Runs the unpacked top-level map through fn, which sees each pair and
 * marks keys it consumed in *seen (bit per key); a key seen twice fails. */
typedef int (*field_fn)(const msgpack_object *k, const msgpack_object *v, void *out, unsigned *seen);

static int walk_map(const msgpack_object *m, field_fn fn, void *out, unsigned *seen)
{
    if (m->type != MSGPACK_OBJECT_MAP)
        return -1;
    for (uint32_t i = 0; i < m->via.map.size; i++) {
        const msgpack_object_kv *kv = &m->via.map.ptr[i];
        if (kv->key.type != MSGPACK_OBJECT_STR)
            return -1;
        if (fn(&kv->key, &kv->val, out, seen) != 0)
            return -1;
    }
    return 0;
}

/* Marks bit in *seen; -1 when it was already set (duplicate key). */
static int mark(unsigned *seen, unsigned bit)
{
    if (*seen & bit)
        return -1;
    *seen |= bit;
    return 0;
}

enum {
    F_V = 1, F_ID = 2, F_METHOD = 4, F_DEADLINE = 8, F_CALLER = 16, F_BODY = 32,
    F_CODE = 64, F_MESSAGE = 128, F_USER = 256, F_ROLE = 512, F_UID = 1024, F_AUTHZ = 2048, F_GRAFANA = 4096
};

static int caller_field(const msgpack_object *k, const msgpack_object *v, void *out, unsigned *seen)
{
    bus_request *r = out;
    if (key_is(k, "user"))
        return mark(seen, F_USER) || get_str(v, ENVELOPE_MAX_NAME, &r->user) ? -1 : 0;
    if (key_is(k, "role"))
        return mark(seen, F_ROLE) || get_str(v, ENVELOPE_MAX_NAME, &r->role) ? -1 : 0;
    if (key_is(k, "uid")) {
        uint64_t u;
        if (mark(seen, F_UID) || get_uint(v, UINT32_MAX, &u))
            return -1;
        r->user_id = (uint32_t)u;
        return 0;
    }
    if (key_is(k, "authz"))
        return mark(seen, F_AUTHZ) || get_str(v, ENVELOPE_MAX_AUTHZ, &r->authz) ? -1 : 0;
    if (key_is(k, "grafana")) {
        uint64_t u;
        if (mark(seen, F_GRAFANA) || get_uint(v, 1, &u))
            return -1;
        r->grafana = u == 1;
        return 0;
    }
    return 0;
}

static int request_field(const msgpack_object *k, const msgpack_object *v, void *out, unsigned *seen)
{
    bus_request *r = out;
    uint64_t u;
    if (key_is(k, "v"))
        return mark(seen, F_V) || get_version(v) ? -1 : 0;
    if (key_is(k, "id"))
        return mark(seen, F_ID) || get_uint(v, UINT64_MAX, &r->id) ? -1 : 0;
    if (key_is(k, "method")) {
        if (mark(seen, F_METHOD) || get_str(v, ENVELOPE_MAX_METHOD, &r->method))
            return -1;
        return r->method[0] ? 0 : -1;
    }
    if (key_is(k, "deadline_ms")) {
        if (mark(seen, F_DEADLINE) || get_uint(v, INT64_MAX, &u))
            return -1;
        r->deadline_ms = (int64_t)u;
        return 0;
    }
    if (key_is(k, "caller")) {
        unsigned caller_seen = 0;
        return mark(seen, F_CALLER) || walk_map(v, caller_field, r, &caller_seen) ? -1 : 0;
    }
    if (key_is(k, "body"))
        return mark(seen, F_BODY) || get_bin(v, &r->body, &r->body_len) ? -1 : 0;
    return 0;
}

static int reply_field(const msgpack_object *k, const msgpack_object *v, void *out, unsigned *seen)
{
    bus_reply *r = out;
    uint64_t u;
    if (key_is(k, "v"))
        return mark(seen, F_V) || get_version(v) ? -1 : 0;
    if (key_is(k, "id"))
        return mark(seen, F_ID) || get_uint(v, UINT64_MAX, &r->id) ? -1 : 0;
    if (key_is(k, "code")) {
        if (mark(seen, F_CODE) || get_uint(v, RPC_UNAUTHENTICATED, &u))
            return -1;
        r->code = (int)u;
        return 0;
    }
    if (key_is(k, "message"))
        return mark(seen, F_MESSAGE) || get_str(v, ENVELOPE_MAX_MESSAGE, &r->message) ? -1 : 0;
    if (key_is(k, "body"))
        return mark(seen, F_BODY) || get_bin(v, &r->body, &r->body_len) ? -1 : 0;
    return 0;
}

/* Shape check, unpack, walk. The msgpack objects point into buf (bin/str
 * are not copied by msgpack_unpack_next), fn copies what it keeps. */
static int decode_map(const uint8_t *buf, size_t len, field_fn fn, void *out, unsigned *seen)
{
    if (!buf || shape_check(buf, len) != 0)
        return -1;
    msgpack_unpacked up;
    msgpack_unpacked_init(&up);
    size_t off = 0;
    int rc = -1;
    if (msgpack_unpack_next(&up, (const char *)buf, len, &off) == MSGPACK_UNPACK_SUCCESS &&
        off == len)
        rc = walk_map(&up.data, fn, out, seen);
    msgpack_unpacked_destroy(&up);
    return rc;
}

static char *empty_str(void)
{
    return calloc(1, 1);
}

int bus_request_decode(const uint8_t *buf, size_t len, bus_request *out)
{
    memset(out, 0, sizeof *out);
    unsigned seen = 0;
    const unsigned need = F_V | F_ID | F_METHOD | F_DEADLINE;
    if (decode_map(buf, len, request_field, out, &seen) != 0 || (seen & need) != need)
        goto fail;
    if (!out->user && !(out->user = empty_str()))
        goto fail;
    if (!out->role && !(out->role = empty_str()))
        goto fail;
    return 0;
fail:
    bus_request_clear(out);
    return -1;
}

int bus_reply_decode(const uint8_t *buf, size_t len, bus_reply *out)
{
    memset(out, 0, sizeof *out);
    unsigned seen = 0;
    const unsigned need = F_V | F_ID | F_CODE | F_MESSAGE;
    if (decode_map(buf, len, reply_field, out, &seen) != 0 || (seen & need) != need) {
        bus_reply_clear(out);
        return -1;
    }
    return 0;
}

void bus_request_clear(bus_request *r)
{
    if (!r)
        return;
    free(r->method);
    free(r->user);
    free(r->role);
    if (r->authz) {
        sodium_memzero(r->authz, strlen(r->authz));
        free(r->authz);
    }
    free(r->body);
    memset(r, 0, sizeof *r);
}

void bus_reply_clear(bus_reply *r)
{
    if (!r)
        return;
    free(r->message);
    free(r->body);
    memset(r, 0, sizeof *r);
}
