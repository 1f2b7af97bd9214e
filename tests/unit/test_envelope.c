/* test_envelope: msgpack request/reply envelopes round-trip, and every kind
 * of malformed input is rejected without crashing. */
#include <check.h>
#include <msgpack.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "bus/envelope.h"
#include "rpc.h"
#include "tests/lib/checkrun.h"

/* ---- helpers ------------------------------------------------------------- */

static void pstr(msgpack_packer *pk, const char *s)
{
    msgpack_pack_str(pk, strlen(s));
    msgpack_pack_str_body(pk, s, strlen(s));
}

static void pbin(msgpack_packer *pk, const void *b, size_t n)
{
    msgpack_pack_bin(pk, n);
    msgpack_pack_bin_body(pk, b, n);
}

/* Values of every msgpack type; W_POS is a positive integer. */
enum { W_NIL, W_TRUE, W_NEG, W_FLOAT, W_STR, W_BIN, W_ARRAY, W_MAP, W_POS, W_N };

static void pack_typed(msgpack_packer *pk, int t)
{
    switch (t) {
    case W_NIL: msgpack_pack_nil(pk); break;
    case W_TRUE: msgpack_pack_true(pk); break;
    case W_NEG: msgpack_pack_int64(pk, -5); break;
    case W_FLOAT: msgpack_pack_double(pk, 1.5); break;
    case W_STR: pstr(pk, "text"); break;
    case W_BIN: pbin(pk, "\x01\x02", 2); break;
    case W_ARRAY: msgpack_pack_array(pk, 1); msgpack_pack_int(pk, 1); break;
    case W_MAP: msgpack_pack_map(pk, 1); pstr(pk, "a"); msgpack_pack_int(pk, 1); break;
    default: msgpack_pack_uint64(pk, 9); break;
    }
}

/* A hand-built request map: key `omit` left out, key `bad` given a value of
 * type bad_type. Keys of the caller map are "caller.user"/"caller.role". */
static void build_request(msgpack_sbuffer *sb, const char *omit, const char *bad, int bad_type)
{
    static const char *keys[] = {"v", "id", "method", "deadline_ms", "caller", "body"};
    msgpack_packer pk;
    msgpack_sbuffer_init(sb);
    msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
    int n = 6 - (omit && strchr(omit, '.') == NULL);
    msgpack_pack_map(&pk, n);
    for (int i = 0; i < 6; i++) {
        const char *k = keys[i];
        if (omit && strcmp(omit, k) == 0)
            continue;
        pstr(&pk, k);
        if (bad && strcmp(bad, k) == 0) {
            pack_typed(&pk, bad_type);
            continue;
        }
        switch (i) {
        case 0: msgpack_pack_uint32(&pk, ENVELOPE_VERSION); break;
        case 1: msgpack_pack_uint64(&pk, 7); break;
        case 2: pstr(&pk, "/a.B/C"); break;
        case 3: msgpack_pack_int64(&pk, 123); break;
        case 4: {
            int has_user = !(omit && strcmp(omit, "caller.user") == 0);
            int has_role = !(omit && strcmp(omit, "caller.role") == 0);
            msgpack_pack_map(&pk, has_user + has_role);
            if (has_user) {
                pstr(&pk, "user");
                if (bad && strcmp(bad, "caller.user") == 0)
                    pack_typed(&pk, bad_type);
                else
                    pstr(&pk, "alice");
            }
            if (has_role) {
                pstr(&pk, "role");
                if (bad && strcmp(bad, "caller.role") == 0)
                    pack_typed(&pk, bad_type);
                else
                    pstr(&pk, "admin");
            }
            break;
        }
        default: pbin(&pk, "xyz", 3); break;
        }
    }
}

static void build_reply(msgpack_sbuffer *sb, const char *omit, const char *bad, int bad_type)
{
    static const char *keys[] = {"v", "id", "code", "message", "body"};
    msgpack_packer pk;
    msgpack_sbuffer_init(sb);
    msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 5 - (omit != NULL));
    for (int i = 0; i < 5; i++) {
        if (omit && strcmp(omit, keys[i]) == 0)
            continue;
        pstr(&pk, keys[i]);
        if (bad && strcmp(bad, keys[i]) == 0) {
            pack_typed(&pk, bad_type);
            continue;
        }
        switch (i) {
        case 0: msgpack_pack_uint32(&pk, ENVELOPE_VERSION); break;
        case 1: msgpack_pack_uint64(&pk, 7); break;
        case 2: msgpack_pack_uint32(&pk, 5); break;
        case 3: pstr(&pk, "not found"); break;
        default: pbin(&pk, "xyz", 3); break;
        }
    }
}

static int decode_req(const void *buf, size_t len)
{
    bus_request r;
    int rc = bus_request_decode(buf, len, &r);
    if (rc == 0)
        bus_request_clear(&r);
    return rc;
}

static int decode_rep(const void *buf, size_t len)
{
    bus_reply r;
    int rc = bus_reply_decode(buf, len, &r);
    if (rc == 0)
        bus_reply_clear(&r);
    return rc;
}

static bus_request sample_request(void)
{
    static uint8_t body[] = {0, 1, 2, 0, 255, 0};
    bus_request r = {
        .id = UINT64_MAX,
        .method = "/inventory.v1.NodesService/GetNode",
        .deadline_ms = 1767225600123,
        .user = "j\xc3\xb6rg",
        .role = "viewer",
        .body = body,
        .body_len = sizeof body,
    };
    return r;
}

/* ---- round trips --------------------------------------------------------- */

START_TEST(test_request_roundtrip)
{
    bus_request in = sample_request(), out;
    uint8_t *buf;
    size_t len;
    ck_assert_int_eq(bus_request_encode(&in, &buf, &len), 0);
    ck_assert_int_eq(bus_request_decode(buf, len, &out), 0);
    ck_assert_uint_eq(out.id, UINT64_MAX);
    ck_assert_str_eq(out.method, in.method);
    ck_assert_int_eq(out.deadline_ms, in.deadline_ms);
    ck_assert_str_eq(out.user, in.user);
    ck_assert_str_eq(out.role, "viewer");
    ck_assert_uint_eq(out.body_len, in.body_len);
    ck_assert_mem_eq(out.body, in.body, in.body_len);
    bus_request_clear(&out);
    ck_assert_ptr_null(out.method);
    free(buf);
}
END_TEST

/* The caller's Authorization and the Grafana flag travel only when set,
 * and an oversized Authorization is refused on both sides. */
START_TEST(test_request_authz)
{
    bus_request in = sample_request(), out;
    in.user_id = 203;
    in.authz = "Basic Z3ZpZXdlcjpndmlld2VyLXB3";
    in.grafana = true;
    uint8_t *buf;
    size_t len;
    ck_assert_int_eq(bus_request_encode(&in, &buf, &len), 0);
    ck_assert_int_eq(bus_request_decode(buf, len, &out), 0);
    ck_assert_str_eq(out.authz, in.authz);
    ck_assert(out.grafana);
    ck_assert_uint_eq(out.user_id, 203);
    bus_request_clear(&out);
    free(buf);

    in.authz = NULL;
    in.grafana = false;
    ck_assert_int_eq(bus_request_encode(&in, &buf, &len), 0);
    ck_assert_ptr_null(memmem(buf, len, "authz", 5));
    ck_assert_ptr_null(memmem(buf, len, "grafana", 7));
    ck_assert_int_eq(bus_request_decode(buf, len, &out), 0);
    ck_assert_ptr_null(out.authz);
    ck_assert(!out.grafana);
    bus_request_clear(&out);
    free(buf);

    char *big = malloc(ENVELOPE_MAX_AUTHZ + 2);
    memset(big, 'a', ENVELOPE_MAX_AUTHZ + 1);
    big[ENVELOPE_MAX_AUTHZ + 1] = '\0';
    in.authz = big;
    ck_assert_int_eq(bus_request_encode(&in, &buf, &len), -1);
    free(big);
}
END_TEST

START_TEST(test_request_defaults)
{
    bus_request in = {.id = 0, .method = "/x.Y/Z"}, out;
    uint8_t *buf;
    size_t len;
    ck_assert_int_eq(bus_request_encode(&in, &buf, &len), 0);
    ck_assert_int_eq(bus_request_decode(buf, len, &out), 0);
    ck_assert_uint_eq(out.id, 0);
    ck_assert_int_eq(out.deadline_ms, 0);
    ck_assert_str_eq(out.user, "");
    ck_assert_str_eq(out.role, "");
    ck_assert_uint_eq(out.body_len, 0);
    bus_request_clear(&out);
    free(buf);
}
END_TEST

START_TEST(test_reply_roundtrip)
{
    for (int code = 0; code <= RPC_UNAUTHENTICATED; code++) {
        uint8_t body[] = {9, 0, 8};
        bus_reply in = {.id = 42 + (uint64_t)code, .code = code, .message = "Node with ID \"x\" not found.",
                        .body = body, .body_len = code % 2 ? 0 : sizeof body}, out;
        uint8_t *buf;
        size_t len;
        ck_assert_int_eq(bus_reply_encode(&in, &buf, &len), 0);
        ck_assert_int_eq(bus_reply_decode(buf, len, &out), 0);
        ck_assert_uint_eq(out.id, in.id);
        ck_assert_int_eq(out.code, code);
        ck_assert_str_eq(out.message, in.message);
        ck_assert_uint_eq(out.body_len, in.body_len);
        if (in.body_len)
            ck_assert_mem_eq(out.body, body, sizeof body);
        bus_reply_clear(&out);
        free(buf);
    }
    bus_reply none = {.id = 1, .code = 0, .message = NULL}, out;
    uint8_t *buf;
    size_t len;
    ck_assert_int_eq(bus_reply_encode(&none, &buf, &len), 0);
    ck_assert_int_eq(bus_reply_decode(buf, len, &out), 0);
    ck_assert_str_eq(out.message, "");
    bus_reply_clear(&out);
    free(buf);
}
END_TEST

START_TEST(test_encode_rejects_bad_fields)
{
    uint8_t *buf;
    size_t len;
    char long_method[ENVELOPE_MAX_METHOD + 2];
    memset(long_method, 'm', sizeof long_method - 1);
    long_method[sizeof long_method - 1] = '\0';
    bus_request r = sample_request();
    r.method = NULL;
    ck_assert_int_eq(bus_request_encode(&r, &buf, &len), -1);
    r.method = "";
    ck_assert_int_eq(bus_request_encode(&r, &buf, &len), -1);
    r.method = long_method;
    ck_assert_int_eq(bus_request_encode(&r, &buf, &len), -1);
    long_method[ENVELOPE_MAX_METHOD] = '\0'; /* exactly the limit */
    ck_assert_int_eq(bus_request_encode(&r, &buf, &len), 0);
    ck_assert_int_eq(decode_req(buf, len), 0);
    free(buf);
    r.body_len = ENVELOPE_MAX_BODY + 1; /* checked before body is read */
    ck_assert_int_eq(bus_request_encode(&r, &buf, &len), -1);

    bus_reply rep = {.code = RPC_UNAUTHENTICATED + 1};
    ck_assert_int_eq(bus_reply_encode(&rep, &buf, &len), -1);
    rep.code = -1;
    ck_assert_int_eq(bus_reply_encode(&rep, &buf, &len), -1);
}
END_TEST

/* ---- structure ----------------------------------------------------------- */

START_TEST(test_hand_built_valid)
{
    msgpack_sbuffer sb;
    build_request(&sb, NULL, NULL, 0);
    bus_request r;
    ck_assert_int_eq(bus_request_decode((uint8_t *)sb.data, sb.size, &r), 0);
    ck_assert_uint_eq(r.id, 7);
    ck_assert_str_eq(r.user, "alice");
    ck_assert_str_eq(r.role, "admin");
    ck_assert_mem_eq(r.body, "xyz", 3);
    bus_request_clear(&r);
    msgpack_sbuffer_destroy(&sb);

    build_reply(&sb, NULL, NULL, 0);
    bus_reply p;
    ck_assert_int_eq(bus_reply_decode((uint8_t *)sb.data, sb.size, &p), 0);
    ck_assert_int_eq(p.code, 5);
    ck_assert_str_eq(p.message, "not found");
    bus_reply_clear(&p);
    msgpack_sbuffer_destroy(&sb);
}
END_TEST

START_TEST(test_optional_keys_absent)
{
    msgpack_sbuffer sb;
    bus_request r;
    build_request(&sb, "caller", NULL, 0);
    ck_assert_int_eq(bus_request_decode((uint8_t *)sb.data, sb.size, &r), 0);
    ck_assert_str_eq(r.user, "");
    ck_assert_str_eq(r.role, "");
    bus_request_clear(&r);
    msgpack_sbuffer_destroy(&sb);

    build_request(&sb, "body", NULL, 0);
    ck_assert_int_eq(bus_request_decode((uint8_t *)sb.data, sb.size, &r), 0);
    ck_assert_uint_eq(r.body_len, 0);
    bus_request_clear(&r);
    msgpack_sbuffer_destroy(&sb);

    build_request(&sb, "caller.user", NULL, 0);
    ck_assert_int_eq(bus_request_decode((uint8_t *)sb.data, sb.size, &r), 0);
    ck_assert_str_eq(r.user, "");
    ck_assert_str_eq(r.role, "admin");
    bus_request_clear(&r);
    msgpack_sbuffer_destroy(&sb);

    build_reply(&sb, "body", NULL, 0);
    ck_assert_int_eq(decode_rep(sb.data, sb.size), 0);
    msgpack_sbuffer_destroy(&sb);
}
END_TEST

START_TEST(test_required_keys_missing)
{
    const char *req_keys[] = {"v", "id", "method", "deadline_ms"};
    const char *rep_keys[] = {"v", "id", "code", "message"};
    msgpack_sbuffer sb;
    for (size_t i = 0; i < 4; i++) {
        build_request(&sb, req_keys[i], NULL, 0);
        ck_assert_msg(decode_req(sb.data, sb.size) == -1, "request without %s accepted", req_keys[i]);
        msgpack_sbuffer_destroy(&sb);
        build_reply(&sb, rep_keys[i], NULL, 0);
        ck_assert_msg(decode_rep(sb.data, sb.size) == -1, "reply without %s accepted", rep_keys[i]);
        msgpack_sbuffer_destroy(&sb);
    }
}
END_TEST

/* Each key gets every type it must not have. */
START_TEST(test_wrong_types)
{
    struct {
        const char *key;
        unsigned ok_types; /* bit per W_* that is valid */
    } req[] = {
        {"v", 0}, /* W_POS is 9, not the version */
        {"id", 1u << W_POS},
        {"method", 1u << W_STR},
        {"deadline_ms", 1u << W_POS},
        {"caller", 1u << W_MAP},
        {"body", 1u << W_BIN},
        {"caller.user", 1u << W_STR},
        {"caller.role", 1u << W_STR},
    }, rep[] = {
        {"v", 0}, {"id", 1u << W_POS}, {"code", 1u << W_POS}, {"message", 1u << W_STR},
        {"body", 1u << W_BIN},
    };
    msgpack_sbuffer sb;
    for (size_t i = 0; i < sizeof req / sizeof req[0]; i++)
        for (int t = 0; t < W_N; t++) {
            build_request(&sb, NULL, req[i].key, t);
            int want = (req[i].ok_types >> t) & 1 ? 0 : -1;
            ck_assert_msg(decode_req(sb.data, sb.size) == want, "request %s as type %d", req[i].key, t);
            msgpack_sbuffer_destroy(&sb);
        }
    for (size_t i = 0; i < sizeof rep / sizeof rep[0]; i++)
        for (int t = 0; t < W_N; t++) {
            build_reply(&sb, NULL, rep[i].key, t);
            int want = (rep[i].ok_types >> t) & 1 ? 0 : -1;
            ck_assert_msg(decode_rep(sb.data, sb.size) == want, "reply %s as type %d", rep[i].key, t);
            msgpack_sbuffer_destroy(&sb);
        }
}
END_TEST

/* A valid request map in which key's value is packed by fn(arg); a base key
 * of the same name is left out (so this sets it), unless dup is set. */
static int decode_req_with_dup(const char *key, void (*fn)(msgpack_packer *, int), int arg, int dup)
{
    static const char *base[] = {"v", "id", "deadline_ms", "method"};
    msgpack_sbuffer sb;
    msgpack_packer pk;
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 5);
    for (int i = 0; i < 4; i++) {
        if (!dup && strcmp(key, base[i]) == 0) {
            pstr(&pk, "x-filler");
            msgpack_pack_nil(&pk);
            continue;
        }
        pstr(&pk, base[i]);
        if (i == 3)
            pstr(&pk, "/a.B/C");
        else
            msgpack_pack_uint32(&pk, i == 0 ? ENVELOPE_VERSION : 1);
    }
    pstr(&pk, key);
    fn(&pk, arg);
    int rc = decode_req(sb.data, sb.size);
    msgpack_sbuffer_destroy(&sb);
    return rc;
}

static int decode_req_with(const char *key, void (*fn)(msgpack_packer *, int), int arg)
{
    return decode_req_with_dup(key, fn, arg, 0);
}

static void pack_uint(msgpack_packer *pk, int v) { msgpack_pack_uint32(pk, (uint32_t)v); }
static void pack_neg(msgpack_packer *pk, int v) { msgpack_pack_int32(pk, -v); }
static void pack_method_len(msgpack_packer *pk, int n)
{
    char *s = malloc((size_t)n + 1);
    memset(s, 'm', (size_t)n);
    s[0] = '/';
    msgpack_pack_str(pk, (size_t)n);
    msgpack_pack_str_body(pk, s, (size_t)n);
    free(s);
}
static void pack_nul_str(msgpack_packer *pk, int unused)
{
    (void)unused;
    msgpack_pack_str(pk, 3);
    msgpack_pack_str_body(pk, "a\0b", 3);
}
static void pack_nested(msgpack_packer *pk, int depth)
{
    for (int i = 0; i < depth; i++)
        msgpack_pack_array(pk, 1);
    msgpack_pack_nil(pk);
}
static void pack_nils(msgpack_packer *pk, int n)
{
    msgpack_pack_array(pk, (size_t)n);
    for (int i = 0; i < n; i++)
        msgpack_pack_nil(pk);
}

START_TEST(test_bad_values)
{
    ck_assert_int_eq(decode_req_with("v", pack_uint, 0), -1);
    ck_assert_int_eq(decode_req_with("v", pack_uint, 2), -1);
    ck_assert_int_eq(decode_req_with("v", pack_uint, 1), 0);
    ck_assert_int_eq(decode_req_with_dup("v", pack_uint, 1, 1), -1);
    ck_assert_int_eq(decode_req_with_dup("id", pack_uint, 1, 1), -1);
    ck_assert_int_eq(decode_req_with("id", pack_uint, 0), 0);
    ck_assert_int_eq(decode_req_with("method", pack_method_len, 0), -1);
    ck_assert_int_eq(decode_req_with("method", pack_method_len, ENVELOPE_MAX_METHOD), 0);
    ck_assert_int_eq(decode_req_with("method", pack_method_len, ENVELOPE_MAX_METHOD + 1), -1);
    ck_assert_int_eq(decode_req_with("method", pack_nul_str, 0), -1);
    ck_assert_int_eq(decode_req_with("x-unknown", pack_uint, 5), 0);
    ck_assert_int_eq(decode_req_with("x-unknown", pack_neg, 5), 0);
    ck_assert_int_eq(decode_req_with("x-unknown", pack_nested, 10), 0);
    ck_assert_int_eq(decode_req_with("x-unknown", pack_nested, 100), -1);
    ck_assert_int_eq(decode_req_with("x-unknown", pack_nils, 100), 0);
    ck_assert_int_eq(decode_req_with("x-unknown", pack_nils, ENVELOPE_MAX_OBJECTS), -1);

    msgpack_sbuffer sb;
    msgpack_packer pk;
    build_reply(&sb, NULL, NULL, 0);
    /* code 17 in place of 5: the sbuffer holds "code" then fixint 5 */
    char *p = memmem(sb.data, sb.size, "\xa4" "code" "\x05", 6);
    ck_assert_ptr_nonnull(p);
    p[5] = 17;
    ck_assert_int_eq(decode_rep(sb.data, sb.size), -1);
    p[5] = 16;
    ck_assert_int_eq(decode_rep(sb.data, sb.size), 0);
    msgpack_sbuffer_destroy(&sb);

    /* non-map top levels, a non-string key, a negative deadline */
    int tops[] = {W_NIL, W_TRUE, W_NEG, W_FLOAT, W_STR, W_BIN, W_ARRAY, W_POS};
    for (size_t i = 0; i < sizeof tops / sizeof tops[0]; i++) {
        msgpack_sbuffer_init(&sb);
        msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
        pack_typed(&pk, tops[i]);
        ck_assert_int_eq(decode_req(sb.data, sb.size), -1);
        ck_assert_int_eq(decode_rep(sb.data, sb.size), -1);
        msgpack_sbuffer_destroy(&sb);
    }
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 1);
    msgpack_pack_int(&pk, 1);
    msgpack_pack_int(&pk, 1);
    ck_assert_int_eq(decode_req(sb.data, sb.size), -1);
    msgpack_sbuffer_destroy(&sb);
    ck_assert_int_eq(decode_req_with("deadline_ms", pack_neg, 1), -1);
    ck_assert_int_eq(decode_req(NULL, 0), -1);
    ck_assert_int_eq(decode_req("", 0), -1);
    ck_assert_int_eq(decode_rep(NULL, 0), -1);
}
END_TEST

/* ---- garbage ------------------------------------------------------------- */

START_TEST(test_every_truncation)
{
    bus_request in = sample_request();
    bus_reply rin = {.id = 3, .code = 5, .message = "nope", .body = (uint8_t *)"abc", .body_len = 3};
    uint8_t *req, *rep;
    size_t req_len, rep_len;
    ck_assert_int_eq(bus_request_encode(&in, &req, &req_len), 0);
    ck_assert_int_eq(bus_reply_encode(&rin, &rep, &rep_len), 0);
    for (size_t n = 0; n < req_len; n++) {
        uint8_t *copy = malloc(n ? n : 1); /* exact size: ASan sees any overread */
        memcpy(copy, req, n);
        ck_assert_msg(decode_req(copy, n) == -1, "request truncated to %zu accepted", n);
        free(copy);
    }
    for (size_t n = 0; n < rep_len; n++) {
        uint8_t *copy = malloc(n ? n : 1);
        memcpy(copy, rep, n);
        ck_assert_msg(decode_rep(copy, n) == -1, "reply truncated to %zu accepted", n);
        free(copy);
    }
    /* one trailing byte */
    uint8_t *longer = malloc(req_len + 1);
    memcpy(longer, req, req_len);
    longer[req_len] = 0xc0;
    ck_assert_int_eq(decode_req(longer, req_len), 0);
    ck_assert_int_eq(decode_req(longer, req_len + 1), -1);
    free(longer);
    free(req);
    free(rep);
}
END_TEST

START_TEST(test_random_garbage)
{
    srand(12345);
    uint8_t buf[512];
    for (int i = 0; i < 20000; i++) {
        size_t n = (size_t)rand() % sizeof buf;
        for (size_t j = 0; j < n; j++)
            buf[j] = (uint8_t)rand();
        if (n && i % 3 == 0)
            buf[0] = (uint8_t)(0x80 | (rand() & 0x0f)); /* a fixmap, to get further in */
        uint8_t *copy = malloc(n ? n : 1);
        memcpy(copy, buf, n);
        decode_req(copy, n);
        decode_rep(copy, n);
        free(copy);
    }
}
END_TEST

/* Valid encodings with a few bytes changed: many still parse as msgpack,
 * so this reaches the field checks. */
START_TEST(test_mutated_encodings)
{
    bus_request in = sample_request();
    uint8_t *req;
    size_t len;
    ck_assert_int_eq(bus_request_encode(&in, &req, &len), 0);
    srand(777);
    int accepted = 0;
    for (int i = 0; i < 20000; i++) {
        uint8_t *copy = malloc(len);
        memcpy(copy, req, len);
        for (int k = 1 + rand() % 3; k > 0; k--)
            copy[(size_t)rand() % len] = (uint8_t)rand();
        bus_request out;
        if (bus_request_decode(copy, len, &out) == 0) {
            ck_assert_ptr_nonnull(out.method);
            ck_assert_ptr_nonnull(out.user);
            ck_assert_ptr_nonnull(out.role);
            ck_assert_uint_le(strlen(out.method), ENVELOPE_MAX_METHOD);
            bus_request_clear(&out);
            accepted++;
        }
        decode_rep(copy, len);
        free(copy);
    }
    ck_assert_int_lt(accepted, 20000);
    free(req);
}
END_TEST

START_TEST(test_deep_nesting)
{
    size_t depth = 100000;
    uint8_t *buf = malloc(depth + 1);
    memset(buf, 0x91, depth); /* array of one element, nested */
    buf[depth] = 0xc0;
    ck_assert_int_eq(decode_req(buf, depth + 1), -1);
    memset(buf, 0x81, depth); /* map of one pair, each key a map */
    ck_assert_int_eq(decode_req(buf, depth + 1), -1);
    free(buf);
}
END_TEST

START_TEST(test_huge_length_prefixes)
{
    static const uint8_t cases[][8] = {
        {0xdd, 0xff, 0xff, 0xff, 0xff, 0xc0},       /* array32 of 4G */
        {0xdf, 0xff, 0xff, 0xff, 0xff, 0xc0, 0xc0}, /* map32 of 4G pairs */
        {0xc6, 0xff, 0xff, 0xff, 0xff, 0x00},       /* bin32 of 4G */
        {0xdb, 0xff, 0xff, 0xff, 0xff, 0x41},       /* str32 of 4G */
        {0xc9, 0xff, 0xff, 0xff, 0xff, 0x01, 0x00}, /* ext32 of 4G */
        {0xde, 0xff, 0xff, 0xc0, 0xc0},             /* map16 of 64K pairs */
        {0x81, 0xa4, 'b', 'o', 'd', 'y', 0xc5, 0xff},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ck_assert_int_eq(decode_req(cases[i], sizeof cases[i]), -1);
        ck_assert_int_eq(decode_rep(cases[i], sizeof cases[i]), -1);
    }
}
END_TEST

/* The 110 MiB body limit holds in both directions. */
START_TEST(test_body_limit)
{
    bus_request in = {.id = 1, .method = "/a.B/C"};
    in.body_len = ENVELOPE_MAX_BODY;
    in.body = calloc(1, in.body_len);
    ck_assert_ptr_nonnull(in.body);
    uint8_t *buf;
    size_t len;
    ck_assert_int_eq(bus_request_encode(&in, &buf, &len), 0);
    bus_request out;
    ck_assert_int_eq(bus_request_decode(buf, len, &out), 0);
    ck_assert_uint_eq(out.body_len, ENVELOPE_MAX_BODY);
    bus_request_clear(&out);

    /* rewrite the bin32 length to limit + 1 and supply that many bytes */
    uint8_t *big = malloc(len + 1);
    memcpy(big, buf, len);
    big[len] = 0;
    uint8_t want[5] = {0xc6, (uint8_t)(ENVELOPE_MAX_BODY >> 24), (uint8_t)(ENVELOPE_MAX_BODY >> 16),
                       (uint8_t)(ENVELOPE_MAX_BODY >> 8), (uint8_t)ENVELOPE_MAX_BODY};
    uint8_t *hdr = memmem(big, 128, want, sizeof want);
    ck_assert_ptr_nonnull(hdr);
    uint32_t more = (uint32_t)ENVELOPE_MAX_BODY + 1;
    hdr[1] = (uint8_t)(more >> 24), hdr[2] = (uint8_t)(more >> 16);
    hdr[3] = (uint8_t)(more >> 8), hdr[4] = (uint8_t)more;
    ck_assert_int_eq(decode_req(big, len + 1), -1);
    free(big);
    free(buf);
    free(in.body);
}
END_TEST

START_TEST(test_now_ms)
{
    int64_t now = clock_wall_ms();
    int64_t t = (int64_t)time(NULL) * 1000;
    ck_assert_int_ge(now, t - 1000);
    ck_assert_int_le(now, t + 2000);
}
END_TEST

static Suite *envelope_suite(void)
{
    Suite *s = suite_create("envelope");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_request_roundtrip);
    tcase_add_test(tc, test_request_authz);
    tcase_add_test(tc, test_request_defaults);
    tcase_add_test(tc, test_reply_roundtrip);
    tcase_add_test(tc, test_encode_rejects_bad_fields);
    tcase_add_test(tc, test_hand_built_valid);
    tcase_add_test(tc, test_optional_keys_absent);
    tcase_add_test(tc, test_required_keys_missing);
    tcase_add_test(tc, test_wrong_types);
    tcase_add_test(tc, test_bad_values);
    tcase_add_test(tc, test_every_truncation);
    tcase_add_test(tc, test_random_garbage);
    tcase_add_test(tc, test_mutated_encodings);
    tcase_add_test(tc, test_deep_nesting);
    tcase_add_test(tc, test_huge_length_prefixes);
    tcase_add_test(tc, test_body_limit);
    tcase_add_test(tc, test_now_ms);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return check_run(envelope_suite());
}
