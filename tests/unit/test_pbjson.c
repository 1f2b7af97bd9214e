/* test_pbjson: JSON <-> protobuf transcoding (common/pbjson*.c) against
 * protojson's rules as grpc-gateway applies them in PMM: exact output text,
 * input forms and errors, round trips, depth limits, query-text
 * conversion, and random mutations that must never crash or leak. */
#include <check.h>
#include <float.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json/pbjson.h"
#include "json/internal.h"
#include "google/protobuf/descriptor.pb-c.h"
#include "google/protobuf/struct.pb-c.h"
#include "pbjson_test.pb-c.h"

#if __has_include("inventory/v1/nodes.pb-c.h")
#include "inventory/v1/nodes.pb-c.h"
#include "tests/lib/checkrun.h"
#define HAVE_NODES_PROTO 1
#endif

/* ---- helpers ------------------------------------------------------------------ */

static char *render(const void *msg)
{
    size_t n = 0;
    char *s = pbjson_write((const ProtobufCMessage *)msg, &n);
    ck_assert_ptr_nonnull(s);
    ck_assert_uint_eq(n, strlen(s));
    return s;
}

#define ck_render(msg, expected)                                                                  \
    do {                                                                                          \
        char *got_ = render(msg);                                                                 \
        ck_assert_str_eq(got_, expected);                                                         \
        free(got_);                                                                               \
    } while (0)

static json_t *parse(const char *text)
{
    json_error_t e;
    json_t *j = json_loads(text, JSON_DECODE_ANY, &e);
    ck_assert_msg(j != NULL, "bad test JSON %s: %s", text, e.text);
    return j;
}

/* The rendering of msg read back as a tree, to look at single values. */
static json_t *encode_tree(const void *msg)
{
    char *text = render(msg);
    json_t *j = parse(text);
    free(text);
    return j;
}

static void *decode_ok(const char *text, const ProtobufCMessageDescriptor *d)
{
    json_t *j = parse(text);
    ProtobufCMessage *m = NULL;
    char err[PBJSON_ERR_MAX];
    int rc = pbjson_decode(j, d, &m, err, sizeof err);
    json_decref(j);
    ck_assert_msg(rc == 0, "decode of %s failed: %s", text, err);
    ck_assert_ptr_nonnull(m);
    return m;
}

/* Decoding j must fail with an error text containing want. */
static void decode_fails_j(json_t *j, const ProtobufCMessageDescriptor *d, const char *want)
{
    ProtobufCMessage *m = (ProtobufCMessage *)0x1;
    char err[PBJSON_ERR_MAX] = "";
    int rc = pbjson_decode(j, d, &m, err, sizeof err);
    ck_assert_msg(rc == -1, "decode unexpectedly succeeded (want error '%s')", want);
    ck_assert_ptr_null(m);
    ck_assert_msg(strstr(err, want) != NULL, "error '%s' does not contain '%s'", err, want);
}

static void decode_fails(const char *text, const ProtobufCMessageDescriptor *d, const char *want)
{
    json_t *j = parse(text);
    decode_fails_j(j, d, want);
    json_decref(j);
}

static void free_msg(void *m)
{
    protobuf_c_message_free_unpacked((ProtobufCMessage *)m, NULL);
}

/* msg -> JSON text -> msg: the wire bytes must be identical. */
/* Nested messages stop at a fixed depth with protojson's text (protojson
 * itself allows 10000; C recursion on 1 MiB threads cannot). */
static void decode_text_fails(const char *text, const ProtobufCMessageDescriptor *d, const char *want)
{
    ProtobufCMessage *m = NULL;
    char err[PBJSON_ERR_MAX] = "";
    ck_assert_int_eq(pbjson_decode_text(text, strlen(text), d, &m, err, sizeof err), -1);
    ck_assert_msg(strcmp(err, want) == 0, "got '%s', want '%s'", err, want);
}

static char *nested_text(const char *open, const char *middle, const char *close, int levels)
{
    size_t n = (strlen(open) + strlen(close)) * (size_t)levels + strlen(middle) + 1, o = 0;
    char *s = malloc(n);
    for (int i = 0; i < levels; i++)
        o += (size_t)sprintf(s + o, "%s", open);
    o += (size_t)sprintf(s + o, "%s", middle);
    for (int i = 0; i < levels; i++)
        o += (size_t)sprintf(s + o, "%s", close);
    return s;
}

static void assert_roundtrip(const void *msg)
{
    const ProtobufCMessage *m = msg;
    size_t n1 = protobuf_c_message_get_packed_size(m);
    uint8_t *b1 = malloc(n1 + 1);
    protobuf_c_message_pack(m, b1);

    char *text = render(m);
    ProtobufCMessage *back = decode_ok(text, m->descriptor);
    size_t n2 = protobuf_c_message_get_packed_size(back);
    uint8_t *b2 = malloc(n2 + 1);
    protobuf_c_message_pack(back, b2);
    ck_assert_msg(n1 == n2 && memcmp(b1, b2, n1) == 0, "round trip changed bytes (%zu vs %zu) for %s",
                  n1, n2, text);
    /* and the second rendering is the same text */
    char *text2 = render(back);
    ck_assert_str_eq(text, text2);
    free(text2);
    free(text);
    free(b1);
    free(b2);
    free_msg(back);
}

static char *dumps_value(json_t *j)
{
    json_t *arr = json_array();
    json_array_append_new(arr, j);
    char *s = pbjson_dumps(arr);
    json_decref(arr);
    /* strip "[\n  " and "\n]" */
    size_t n = strlen(s);
    ck_assert(n >= 6);
    memmove(s, s + 4, n - 4 - 2);
    s[n - 6] = '\0';
    return s;
}

/* ---- output: scalars ------------------------------------------------------------ */

START_TEST(test_encode_scalar_defaults)
{
    Pbjsontest__Scalars s = PBJSONTEST__SCALARS__INIT;
    ck_render(&s, "{\n"
                  "  \"i32\": 0,\n"
                  "  \"i64\": \"0\",\n"
                  "  \"u32\": 0,\n"
                  "  \"u64\": \"0\",\n"
                  "  \"s32\": 0,\n"
                  "  \"s64\": \"0\",\n"
                  "  \"f32\": 0,\n"
                  "  \"f64\": \"0\",\n"
                  "  \"sf32\": 0,\n"
                  "  \"sf64\": \"0\",\n"
                  "  \"fl\": 0,\n"
                  "  \"db\": 0,\n"
                  "  \"b\": false,\n"
                  "  \"s\": \"\",\n"
                  "  \"by\": \"\",\n"
                  "  \"color\": \"COLOR_UNSPECIFIED\"\n"
                  "}");
}
END_TEST

START_TEST(test_encode_scalar_values)
{
    uint8_t bytes[] = {0, 1, 2, 0xff, 0xfe};
    Pbjsontest__Scalars s = PBJSONTEST__SCALARS__INIT;
    s.i32 = INT32_MIN;
    s.i64 = INT64_MIN;
    s.u32 = UINT32_MAX;
    s.u64 = UINT64_MAX;
    s.s32 = -7;
    s.s64 = -9007199254740993LL; /* not representable as a double */
    s.f32 = 4000000000u;
    s.f64 = 1;
    s.sf32 = -1;
    s.sf64 = INT64_MAX;
    s.fl = 0.1f;
    s.db = 1.5;
    s.b = 1;
    s.s = "h\xc3\xa9llo \"q\" \\ /\n\t\x01\x1b <&>";
    s.by = (ProtobufCBinaryData){sizeof bytes, bytes};
    s.color = PBJSONTEST__COLOR__COLOR_BLUE;
    ck_render(&s, "{\n"
                  "  \"i32\": -2147483648,\n"
                  "  \"i64\": \"-9223372036854775808\",\n"
                  "  \"u32\": 4294967295,\n"
                  "  \"u64\": \"18446744073709551615\",\n"
                  "  \"s32\": -7,\n"
                  "  \"s64\": \"-9007199254740993\",\n"
                  "  \"f32\": 4000000000,\n"
                  "  \"f64\": \"1\",\n"
                  "  \"sf32\": -1,\n"
                  "  \"sf64\": \"9223372036854775807\",\n"
                  "  \"fl\": 0.1,\n"
                  "  \"db\": 1.5,\n"
                  "  \"b\": true,\n"
                  "  \"s\": \"h\xc3\xa9llo \\\"q\\\" \\\\ /\\n\\t\\u0001\\u001b <&>\",\n"
                  "  \"by\": \"AAEC//4=\",\n"
                  "  \"color\": \"COLOR_BLUE\"\n"
                  "}");
    assert_roundtrip(&s);
}
END_TEST

START_TEST(test_encode_unknown_enum_number)
{
    Pbjsontest__Scalars s = PBJSONTEST__SCALARS__INIT;
    s.color = 99;
    json_t *j = encode_tree(&s.base);
    ck_assert_int_eq(json_integer_value(json_object_get(j, "color")), 99);
    json_decref(j);
    assert_roundtrip(&s);
}
END_TEST

START_TEST(test_encode_nonfinite_floats)
{
    Pbjsontest__Scalars s = PBJSONTEST__SCALARS__INIT;
    s.fl = NAN;
    s.db = -INFINITY;
    json_t *j = encode_tree(&s.base);
    ck_assert_str_eq(json_string_value(json_object_get(j, "fl")), "NaN");
    ck_assert_str_eq(json_string_value(json_object_get(j, "db")), "-Infinity");
    json_decref(j);
    s.fl = INFINITY;
    j = encode_tree(&s.base);
    ck_assert_str_eq(json_string_value(json_object_get(j, "fl")), "Infinity");
    char *text = pbjson_dumps(j);
    json_decref(j);
    Pbjsontest__Scalars *back = decode_ok(text, &pbjsontest__scalars__descriptor);
    ck_assert(isinf(back->fl) && back->fl > 0);
    ck_assert(isinf(back->db) && back->db < 0);
    free(text);
    free_msg(back);
}
END_TEST

/* Go strconv 'f'/'e' shortest forms as protojson writes them. */
START_TEST(test_number_layout)
{
    static const struct {
        double v;
        const char *want;
    } dbl[] = {
        {1.0, "1"},
        {-2.0, "-2"},
        {0.1, "0.1"},
        {1.5, "1.5"},
        {0.30000000000000004, "0.30000000000000004"},
        {123456.789, "123456.789"},
        {1e20, "100000000000000000000"},
        {1e21, "1e+21"},
        {1.5e300, "1.5e+300"},
        {1e-6, "0.000001"},
        {1e-7, "1e-7"},
        {1.25e-9, "1.25e-9"},
        {1e-10, "1e-10"},
        {5e-324, "5e-324"},
        {2.2250738585072014e-308, "2.2250738585072014e-308"},
        {1.5e-320, "1.5e-320"},
        {1.7976931348623157e308, "1.7976931348623157e+308"},
        {-0.0, "-0"},
        {0.0, "0"},
        {9007199254740993.0, "9007199254740992"},
    };
    for (size_t i = 0; i < sizeof dbl / sizeof dbl[0]; i++) {
        char *s = dumps_value(json_real(dbl[i].v));
        ck_assert_msg(strcmp(s, dbl[i].want) == 0, "%.17g -> %s, want %s", dbl[i].v, s, dbl[i].want);
        free(s);
    }
    static const struct {
        float v;
        const char *want;
    } flt[] = {
        {0.1f, "0.1"},
        {1.0f / 3.0f, "0.33333334"},
        {3.4028235e38f, "3.4028235e+38"},
        {1e-7f, "1e-7"},
        {16777216.0f, "16777216"},
        {1.17549435e-38f, "1.1754944e-38"},
        {2.5f, "2.5"},
        {100.0f, "100"},
        {1e-45f, "1e-45"}, /* smallest subnormal */
    };
    for (size_t i = 0; i < sizeof flt / sizeof flt[0]; i++) {
        Pbjsontest__Scalars s = PBJSONTEST__SCALARS__INIT;
        s.fl = flt[i].v;
        json_t *j = encode_tree(&s.base);
        char *txt = dumps_value(json_incref(json_object_get(j, "fl")));
        ck_assert_msg(strcmp(txt, flt[i].want) == 0, "float %.9g -> %s, want %s", (double)flt[i].v, txt,
                      flt[i].want);
        free(txt);
        json_decref(j);
        assert_roundtrip(&s);
    }
}
END_TEST

/* Writing into a kept buffer gives the same text, grown from a tiny one
 * or written into a larger one in place. */
START_TEST(test_encode_reuse_buffer)
{
    Pbjsontest__Inner in1 = PBJSONTEST__INNER__INIT, in2 = PBJSONTEST__INNER__INIT;
    in1.name = "one";
    in1.count = 1;
    in2.child = &in1;
    size_t n0, n1, n2;
    char *want = pbjson_write(&in2.base, &n0);
    ck_assert_ptr_nonnull(want);
    char *tiny = malloc(4);
    char *grown = pbjson_write_reuse(&in2.base, tiny, 4, &n1);
    ck_assert_str_eq(grown, want);
    ck_assert_uint_eq(n1, n0);
    char *big = malloc(1 << 16);
    memset(big, 'x', 1 << 16);
    char *inplace = pbjson_write_reuse(&in2.base, big, 1 << 16, &n2);
    ck_assert_ptr_eq(inplace, big);
    ck_assert_str_eq(inplace, want);
    ck_assert_uint_eq(n2, n0);
    /* no message: the buffer is freed (ASan would see a leak) */
    ck_assert_ptr_null(pbjson_write_reuse(NULL, malloc(16), 16, NULL));
    free(want);
    free(grown);
    free(inplace);
}
END_TEST

/* ---- output: repeated, maps, oneofs, order -------------------------------------- */

START_TEST(test_encode_repeated)
{
    Pbjsontest__Repeats r = PBJSONTEST__REPEATS__INIT;
    ck_render(&r, "{\n"
                  "  \"i32\": [],\n"
                  "  \"i64\": [],\n"
                  "  \"u64\": [],\n"
                  "  \"fl\": [],\n"
                  "  \"db\": [],\n"
                  "  \"b\": [],\n"
                  "  \"s\": [],\n"
                  "  \"by\": [],\n"
                  "  \"colors\": [],\n"
                  "  \"inners\": [],\n"
                  "  \"s32\": [],\n"
                  "  \"f64\": []\n"
                  "}");

    int32_t i32[] = {1, -2};
    int64_t i64[] = {INT64_MAX};
    uint64_t u64[] = {0, UINT64_MAX};
    float fl[] = {0.5f, 0.1f};
    double db[] = {2.25};
    protobuf_c_boolean b[] = {1, 0};
    char *s[] = {"a", ""};
    uint8_t raw[] = {'h', 'i'};
    ProtobufCBinaryData by[] = {{2, raw}, {0, NULL}};
    Pbjsontest__Color colors[] = {PBJSONTEST__COLOR__COLOR_RED, 42};
    Pbjsontest__Inner in1 = PBJSONTEST__INNER__INIT, in2 = PBJSONTEST__INNER__INIT;
    in1.name = "one";
    in1.count = 1;
    in2.child = &in1;
    Pbjsontest__Inner *inners[] = {&in1, &in2};
    int32_t s32[] = {-3};
    uint64_t f64[] = {5};
    r.n_i32 = 2, r.i32 = i32;
    r.n_i64 = 1, r.i64 = i64;
    r.n_u64 = 2, r.u64 = u64;
    r.n_fl = 2, r.fl = fl;
    r.n_db = 1, r.db = db;
    r.n_b = 2, r.b = b;
    r.n_s = 2, r.s = s;
    r.n_by = 2, r.by = by;
    r.n_colors = 2, r.colors = colors;
    r.n_inners = 2, r.inners = inners;
    r.n_s32 = 1, r.s32 = s32;
    r.n_f64 = 1, r.f64 = f64;
    ck_render(&r, "{\n"
                  "  \"i32\": [\n    1,\n    -2\n  ],\n"
                  "  \"i64\": [\n    \"9223372036854775807\"\n  ],\n"
                  "  \"u64\": [\n    \"0\",\n    \"18446744073709551615\"\n  ],\n"
                  "  \"fl\": [\n    0.5,\n    0.1\n  ],\n"
                  "  \"db\": [\n    2.25\n  ],\n"
                  "  \"b\": [\n    true,\n    false\n  ],\n"
                  "  \"s\": [\n    \"a\",\n    \"\"\n  ],\n"
                  "  \"by\": [\n    \"aGk=\",\n    \"\"\n  ],\n"
                  "  \"colors\": [\n    \"COLOR_RED\",\n    42\n  ],\n"
                  "  \"inners\": [\n"
                  "    {\n      \"name\": \"one\",\n      \"count\": 1,\n      \"child\": null\n    },\n"
                  "    {\n      \"name\": \"\",\n      \"count\": 0,\n      \"child\": {\n"
                  "        \"name\": \"one\",\n        \"count\": 1,\n        \"child\": null\n"
                  "      }\n    }\n"
                  "  ],\n"
                  "  \"s32\": [\n    -3\n  ],\n"
                  "  \"f64\": [\n    \"5\"\n  ]\n"
                  "}");
    assert_roundtrip(&r);
}
END_TEST

START_TEST(test_encode_maps)
{
    Pbjsontest__Maps m = PBJSONTEST__MAPS__INIT;
    ck_render(&m, "{\n"
                  "  \"labels\": {},\n"
                  "  \"inners\": {},\n"
                  "  \"by_id\": {},\n"
                  "  \"by_flag\": {},\n"
                  "  \"colors\": {},\n"
                  "  \"values\": {}\n"
                  "}");

    Pbjsontest__Maps__LabelsEntry l1 = PBJSONTEST__MAPS__LABELS_ENTRY__INIT, l2 = l1;
    l1.key = "zone", l1.value = "b";
    l2.key = "app", l2.value = "db";
    Pbjsontest__Maps__LabelsEntry *labels[] = {&l1, &l2};
    Pbjsontest__Inner in = PBJSONTEST__INNER__INIT;
    in.name = "x";
    Pbjsontest__Maps__InnersEntry i1 = PBJSONTEST__MAPS__INNERS_ENTRY__INIT, i2 = i1;
    i1.key = "set", i1.value = &in;
    i2.key = "unset"; /* NULL message value: rendered as the empty message */
    Pbjsontest__Maps__InnersEntry *inners[] = {&i1, &i2};
    Pbjsontest__Maps__ByIdEntry b1 = PBJSONTEST__MAPS__BY_ID_ENTRY__INIT, b2 = b1;
    b1.key = -5, b1.value = "neg";
    b2.key = 7, b2.value = "seven";
    Pbjsontest__Maps__ByIdEntry *by_id[] = {&b1, &b2};
    Pbjsontest__Maps__ByFlagEntry f1 = PBJSONTEST__MAPS__BY_FLAG_ENTRY__INIT, f2 = f1;
    f1.key = 1, f1.value = 10;
    f2.key = 0, f2.value = -10;
    Pbjsontest__Maps__ByFlagEntry *by_flag[] = {&f1, &f2};
    Pbjsontest__Maps__ColorsEntry c1 = PBJSONTEST__MAPS__COLORS_ENTRY__INIT;
    c1.key = UINT64_MAX, c1.value = PBJSONTEST__COLOR__COLOR_GREEN;
    Pbjsontest__Maps__ColorsEntry *colors[] = {&c1};
    Google__Protobuf__Value v1 = GOOGLE__PROTOBUF__VALUE__INIT;
    v1.kind_case = GOOGLE__PROTOBUF__VALUE__KIND_NUMBER_VALUE, v1.number_value = 2.5;
    Pbjsontest__Maps__ValuesEntry ve = PBJSONTEST__MAPS__VALUES_ENTRY__INIT;
    ve.key = "n", ve.value = &v1;
    Pbjsontest__Maps__ValuesEntry *values[] = {&ve};
    m.n_labels = 2, m.labels = labels;
    m.n_inners = 2, m.inners = inners;
    m.n_by_id = 2, m.by_id = by_id;
    m.n_by_flag = 2, m.by_flag = by_flag;
    m.n_colors = 1, m.colors = colors;
    m.n_values = 1, m.values = values;
    ck_render(&m, "{\n"
                  "  \"labels\": {\n    \"zone\": \"b\",\n    \"app\": \"db\"\n  },\n"
                  "  \"inners\": {\n"
                  "    \"set\": {\n      \"name\": \"x\",\n      \"count\": 0,\n      \"child\": null\n    },\n"
                  "    \"unset\": {\n      \"name\": \"\",\n      \"count\": 0,\n      \"child\": null\n    }\n"
                  "  },\n"
                  "  \"by_id\": {\n    \"-5\": \"neg\",\n    \"7\": \"seven\"\n  },\n"
                  "  \"by_flag\": {\n    \"true\": \"10\",\n    \"false\": \"-10\"\n  },\n"
                  "  \"colors\": {\n    \"18446744073709551615\": \"COLOR_GREEN\"\n  },\n"
                  "  \"values\": {\n    \"n\": 2.5\n  }\n"
                  "}");
    i2.value = &in; /* a NULL value would come back as an empty message */
    assert_roundtrip(&m);
}
END_TEST

START_TEST(test_encode_oneof_and_optional)
{
    Pbjsontest__Choice c = PBJSONTEST__CHOICE__INIT;
    ck_render(&c, "{\n  \"id\": \"\",\n  \"after\": 0\n}");

    c.kind_case = PBJSONTEST__CHOICE__KIND_TEXT;
    c.text = "";
    c._opt_case = PBJSONTEST__CHOICE___OPT_OPT;
    c.opt = ""; /* set to the zero value: still emitted */
    ck_render(&c, "{\n  \"id\": \"\",\n  \"text\": \"\",\n  \"opt\": \"\",\n  \"after\": 0\n}");
    assert_roundtrip(&c);

    Pbjsontest__Choice d = PBJSONTEST__CHOICE__INIT;
    d.kind_case = PBJSONTEST__CHOICE__KIND_NUMBER;
    d.number = -42;
    d._opt_count_case = PBJSONTEST__CHOICE___OPT_COUNT_OPT_COUNT;
    d.opt_count = 0;
    d.after = 3;
    ck_render(&d, "{\n  \"id\": \"\",\n  \"number\": \"-42\",\n  \"opt_count\": 0,\n  \"after\": 3\n}");
    assert_roundtrip(&d);

    Google__Protobuf__Duration w = GOOGLE__PROTOBUF__DURATION__INIT;
    w.seconds = 90;
    Pbjsontest__Choice e = PBJSONTEST__CHOICE__INIT;
    e.kind_case = PBJSONTEST__CHOICE__KIND_WAIT;
    e.wait = &w;
    ck_render(&e, "{\n  \"id\": \"\",\n  \"wait\": \"90s\",\n  \"after\": 0\n}");
    assert_roundtrip(&e);

    Pbjsontest__Choice f = PBJSONTEST__CHOICE__INIT;
    f.kind_case = PBJSONTEST__CHOICE__KIND_COLOR;
    f.color = PBJSONTEST__COLOR__COLOR_UNSPECIFIED;
    ck_render(&f, "{\n  \"id\": \"\",\n  \"color\": \"COLOR_UNSPECIFIED\",\n  \"after\": 0\n}");
    assert_roundtrip(&f);
}
END_TEST

START_TEST(test_encode_declaration_order)
{
    Pbjsontest__Ordered o = PBJSONTEST__ORDERED__INIT;
    ck_render(&o, "{\n  \"zeta\": \"\",\n  \"alpha\": \"\",\n  \"mid\": \"\",\n  \"last\": 0\n}");
    o._maybe_case = PBJSONTEST__ORDERED___MAYBE_MAYBE;
    o.maybe = "m";
    ck_render(&o, "{\n  \"zeta\": \"\",\n  \"alpha\": \"\",\n  \"mid\": \"\",\n  \"maybe\": \"m\",\n"
                  "  \"last\": 0\n}");
}
END_TEST

static void *encode_many(void *arg)
{
    (void)arg;
    for (int i = 0; i < 300; i++) {
        Pbjsontest__Ordered o = PBJSONTEST__ORDERED__INIT;
        Pbjsontest__Request r = PBJSONTEST__REQUEST__INIT;
        char *a = pbjson_write(&o.base, NULL), *b = pbjson_write(&r.base, NULL);
        bool ok = a && b && strncmp(a, "{\n  \"zeta\"", 10) == 0;
        free(a);
        free(b);
        if (!ok)
            return (void *)1;
    }
    return NULL;
}

/* The per-type field order cache is filled concurrently without locks. */
START_TEST(test_encode_concurrent)
{
    pthread_t t[6];
    for (int i = 0; i < 6; i++)
        ck_assert_int_eq(pthread_create(&t[i], NULL, encode_many, NULL), 0);
    for (int i = 0; i < 6; i++) {
        void *r;
        pthread_join(t[i], &r);
        ck_assert_ptr_null(r);
    }
}
END_TEST

START_TEST(test_encode_invalid_utf8)
{
    Pbjsontest__Scalars s = PBJSONTEST__SCALARS__INIT;
    s.s = "ok\xff\xc3(";
    json_t *j = encode_tree(&s.base);
    ck_assert_ptr_nonnull(j);
    ck_assert_str_eq(json_string_value(json_object_get(j, "s")), "ok\xef\xbf\xbd\xef\xbf\xbd(");
    json_decref(j);
    /* a sequence cut short, then an escape and a valid 4-byte one */
    s.s = "\xe2\x82\n\xf0\x9f\x98\x80\xed\xa0\x80";
    j = encode_tree(&s.base);
    ck_assert_str_eq(json_string_value(json_object_get(j, "s")),
                     "\xef\xbf\xbd\xef\xbf\xbd\n\xf0\x9f\x98\x80\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
    json_decref(j);

    Pbjsontest__Maps m = PBJSONTEST__MAPS__INIT;
    Pbjsontest__Maps__LabelsEntry l = PBJSONTEST__MAPS__LABELS_ENTRY__INIT;
    l.key = "k\x80";
    l.value = "v";
    Pbjsontest__Maps__LabelsEntry *labels[] = {&l};
    m.n_labels = 1, m.labels = labels;
    j = encode_tree(&m.base);
    ck_assert_ptr_nonnull(j);
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(j, "labels"), "k\xef\xbf\xbd")),
                     "v");
    json_decref(j);
}
END_TEST

/* Maps come as protobuf bytes and may repeat a key; a JSON object holds a
 * key once: the first place, the last value (as the jansson tree showed
 * it). Keys and values are escaped alike; entries without a value render
 * the empty message. */
START_TEST(test_write_map_edges)
{
    Pbjsontest__Maps m = PBJSONTEST__MAPS__INIT;
    Pbjsontest__Maps__LabelsEntry l1 = PBJSONTEST__MAPS__LABELS_ENTRY__INIT, l2 = l1, l3 = l1, l4 = l1, l5 = l1;
    l1.key = "a", l1.value = "first";
    l2.key = "q\"\n\\", l2.value = "tab\there";
    l3.key = "a", l3.value = "last";
    l4.key = "bad\xff", l4.value = "x";
    l5.key = "bad\xfe", l5.value = "y"; /* the same key once cleaned */
    Pbjsontest__Maps__LabelsEntry *labels[] = {&l1, &l2, &l3, &l4, &l5};
    Pbjsontest__Maps__ByIdEntry b1 = PBJSONTEST__MAPS__BY_ID_ENTRY__INIT, b2 = b1;
    b1.key = 3, b1.value = "one";
    b2.key = 3, b2.value = "two";
    Pbjsontest__Maps__ByIdEntry *by_id[] = {&b1, &b2};
    m.n_labels = 5, m.labels = labels;
    m.n_by_id = 2, m.by_id = by_id;
    ck_render(&m, "{\n"
                  "  \"labels\": {\n"
                  "    \"a\": \"last\",\n"
                  "    \"q\\\"\\n\\\\\": \"tab\\there\",\n"
                  "    \"bad\xef\xbf\xbd\": \"y\"\n"
                  "  },\n"
                  "  \"inners\": {},\n"
                  "  \"by_id\": {\n    \"3\": \"two\"\n  },\n"
                  "  \"by_flag\": {},\n"
                  "  \"colors\": {},\n"
                  "  \"values\": {}\n"
                  "}");
}
END_TEST

/* Struct/Value nest without bound in a message built in code: past the
 * encoder's depth limit the whole rendering fails instead of overflowing
 * the stack; within it, the length reported is the text's. */
START_TEST(test_write_depth_and_length)
{
    enum { LEVELS = PBJ_MAX_ENCODE_DEPTH + 5 };
    Google__Protobuf__Value *vals = calloc(LEVELS, sizeof *vals);
    Google__Protobuf__ListValue *lists = calloc(LEVELS, sizeof *lists);
    Google__Protobuf__Value **items = calloc(LEVELS, sizeof *items);
    for (int i = 0; i < LEVELS; i++) {
        google__protobuf__value__init(&vals[i]);
        google__protobuf__list_value__init(&lists[i]);
        if (i + 1 < LEVELS) {
            vals[i].kind_case = GOOGLE__PROTOBUF__VALUE__KIND_LIST_VALUE;
            vals[i].list_value = &lists[i];
            items[i] = &vals[i + 1];
            lists[i].n_values = 1;
            lists[i].values = &items[i];
        }
    }
    size_t n = 7;
    ck_assert_ptr_null(pbjson_write(&vals[0].base, &n));
    char *s = pbjson_write(&vals[LEVELS - 3].base, &n);
    ck_assert_str_eq(s, "[\n  [\n    null\n  ]\n]");
    ck_assert_uint_eq(n, strlen(s));
    free(s);
    free(vals);
    free(lists);
    free(items);
}
END_TEST

/* Fields with explicit presence (proto2 here; protoc-c 1.4 has no proto3
 * `optional`) are left out while unset and carry has_ flags on input. */
START_TEST(test_explicit_presence)
{
    Google__Protobuf__FieldDescriptorProto f = GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__INIT;
    ck_render(&f, "{}");
    f.name = "port";
    f.has_number = 1;
    f.number = 0;
    f.has_label = 1;
    f.label = GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__LABEL__LABEL_REPEATED;
    ck_render(&f, "{\n  \"name\": \"port\",\n  \"number\": 0,\n  \"label\": \"LABEL_REPEATED\"\n}");
    assert_roundtrip(&f);
    Google__Protobuf__FieldDescriptorProto *d =
        decode_ok("{\"jsonName\": \"j\", \"oneofIndex\": 2, \"proto3Optional\": false}",
                  &google__protobuf__field_descriptor_proto__descriptor);
    ck_assert_str_eq(d->json_name, "j");
    ck_assert_int_eq(d->has_oneof_index, 1);
    ck_assert_int_eq(d->oneof_index, 2);
    ck_assert_int_eq(d->has_proto3_optional, 1);
    ck_assert_int_eq(d->has_number, 0);
    free_msg(d);
}
END_TEST

/* ---- output: well-known types ---------------------------------------------------- */

START_TEST(test_encode_wkt_unset)
{
    Pbjsontest__Wkt w = PBJSONTEST__WKT__INIT;
    ck_render(&w, "{\n"
                  "  \"ts\": null,\n"
                  "  \"dur\": null,\n"
                  "  \"empty\": null,\n"
                  "  \"str_val\": null,\n"
                  "  \"bool_val\": null,\n"
                  "  \"i64_val\": null,\n"
                  "  \"i32_val\": null,\n"
                  "  \"u64_val\": null,\n"
                  "  \"u32_val\": null,\n"
                  "  \"dbl_val\": null,\n"
                  "  \"flt_val\": null,\n"
                  "  \"bytes_val\": null,\n"
                  "  \"st\": null,\n"
                  "  \"val\": null,\n"
                  "  \"list\": null,\n"
                  "  \"any\": null,\n"
                  "  \"anys\": [],\n"
                  "  \"durs\": [],\n"
                  "  \"null_val\": null\n"
                  "}");
    /* JSON null reads back into a Value field as NullValue (protojson does
     * the same), so the round trip starts from that form */
    Google__Protobuf__Value null_value = GOOGLE__PROTOBUF__VALUE__INIT;
    null_value.kind_case = GOOGLE__PROTOBUF__VALUE__KIND_NULL_VALUE;
    w.val = &null_value;
    assert_roundtrip(&w);
}
END_TEST

START_TEST(test_encode_wkt_set)
{
    pbjson_register_type(&pbjsontest__inner__descriptor);

    Google__Protobuf__Timestamp ts = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
    ts.seconds = 1704067200; /* 2024-01-01 */
    Google__Protobuf__Duration dur = GOOGLE__PROTOBUF__DURATION__INIT;
    dur.seconds = 60;
    Google__Protobuf__Empty empty = GOOGLE__PROTOBUF__EMPTY__INIT;
    Google__Protobuf__StringValue sv = GOOGLE__PROTOBUF__STRING_VALUE__INIT;
    sv.value = "wrapped";
    Google__Protobuf__BoolValue bv = GOOGLE__PROTOBUF__BOOL_VALUE__INIT; /* false, but set */
    Google__Protobuf__Int64Value i64v = GOOGLE__PROTOBUF__INT64_VALUE__INIT;
    i64v.value = 1099511627776LL;
    Google__Protobuf__Int32Value i32v = GOOGLE__PROTOBUF__INT32_VALUE__INIT;
    i32v.value = -1;
    Google__Protobuf__UInt64Value u64v = GOOGLE__PROTOBUF__UINT64_VALUE__INIT;
    u64v.value = UINT64_MAX;
    Google__Protobuf__UInt32Value u32v = GOOGLE__PROTOBUF__UINT32_VALUE__INIT;
    u32v.value = 7;
    Google__Protobuf__DoubleValue dv = GOOGLE__PROTOBUF__DOUBLE_VALUE__INIT;
    dv.value = 0.25;
    Google__Protobuf__FloatValue fv = GOOGLE__PROTOBUF__FLOAT_VALUE__INIT;
    fv.value = 0.2f;
    uint8_t raw[] = {0xfb, 0xff};
    Google__Protobuf__BytesValue byv = GOOGLE__PROTOBUF__BYTES_VALUE__INIT;
    byv.value = (ProtobufCBinaryData){2, raw};

    /* Struct {"a": 1, "b": [true, null, "s"], "c": {}} */
    Google__Protobuf__Value va = GOOGLE__PROTOBUF__VALUE__INIT, vt = va, vn = va, vs = va, vl = va,
                            vc = va;
    va.kind_case = GOOGLE__PROTOBUF__VALUE__KIND_NUMBER_VALUE, va.number_value = 1;
    vt.kind_case = GOOGLE__PROTOBUF__VALUE__KIND_BOOL_VALUE, vt.bool_value = 1;
    vn.kind_case = GOOGLE__PROTOBUF__VALUE__KIND_NULL_VALUE;
    vs.kind_case = GOOGLE__PROTOBUF__VALUE__KIND_STRING_VALUE, vs.string_value = "s";
    Google__Protobuf__Value *items[] = {&vt, &vn, &vs};
    Google__Protobuf__ListValue lv = GOOGLE__PROTOBUF__LIST_VALUE__INIT;
    lv.n_values = 3, lv.values = items;
    vl.kind_case = GOOGLE__PROTOBUF__VALUE__KIND_LIST_VALUE, vl.list_value = &lv;
    Google__Protobuf__Struct inner_st = GOOGLE__PROTOBUF__STRUCT__INIT;
    vc.kind_case = GOOGLE__PROTOBUF__VALUE__KIND_STRUCT_VALUE, vc.struct_value = &inner_st;
    Google__Protobuf__Struct__FieldsEntry fa = GOOGLE__PROTOBUF__STRUCT__FIELDS_ENTRY__INIT, fb = fa,
                                          fc = fa;
    fa.key = "a", fa.value = &va;
    fb.key = "b", fb.value = &vl;
    fc.key = "c", fc.value = &vc;
    Google__Protobuf__Struct__FieldsEntry *fields[] = {&fa, &fb, &fc};
    Google__Protobuf__Struct st = GOOGLE__PROTOBUF__STRUCT__INIT;
    st.n_fields = 3, st.fields = fields;

    /* Any holding a registered Inner, a Duration and an unknown type */
    Pbjsontest__Inner in = PBJSONTEST__INNER__INIT;
    in.name = "packed";
    in.count = 2;
    uint8_t inbuf[64], durbuf[32];
    Google__Protobuf__Any any = GOOGLE__PROTOBUF__ANY__INIT, a2 = any, a3 = any;
    any.type_url = "type.googleapis.com/pbjsontest.Inner";
    any.value = (ProtobufCBinaryData){protobuf_c_message_pack(&in.base, inbuf), inbuf};
    Google__Protobuf__Duration d2 = GOOGLE__PROTOBUF__DURATION__INIT;
    d2.seconds = -1, d2.nanos = -500000000;
    a2.type_url = "type.googleapis.com/google.protobuf.Duration";
    a2.value = (ProtobufCBinaryData){protobuf_c_message_pack(&d2.base, durbuf), durbuf};
    uint8_t junk[] = {1, 2, 3};
    a3.type_url = "type.googleapis.com/other.Thing";
    a3.value = (ProtobufCBinaryData){3, junk};
    Google__Protobuf__Any *anys[] = {&a2, &a3};
    Google__Protobuf__Duration ms = GOOGLE__PROTOBUF__DURATION__INIT;
    ms.nanos = 10000000;
    Google__Protobuf__Duration *durs[] = {&ms, &dur};

    Pbjsontest__Wkt w = PBJSONTEST__WKT__INIT;
    w.ts = &ts, w.dur = &dur, w.empty = &empty, w.str_val = &sv, w.bool_val = &bv;
    w.i64_val = &i64v, w.i32_val = &i32v, w.u64_val = &u64v, w.u32_val = &u32v;
    w.dbl_val = &dv, w.flt_val = &fv, w.bytes_val = &byv, w.st = &st, w.val = &vs, w.list = &lv;
    w.any = &any, w.n_anys = 2, w.anys = anys, w.n_durs = 2, w.durs = durs;
    ck_render(&w, "{\n"
                  "  \"ts\": \"2024-01-01T00:00:00Z\",\n"
                  "  \"dur\": \"60s\",\n"
                  "  \"empty\": {},\n"
                  "  \"str_val\": \"wrapped\",\n"
                  "  \"bool_val\": false,\n"
                  "  \"i64_val\": \"1099511627776\",\n"
                  "  \"i32_val\": -1,\n"
                  "  \"u64_val\": \"18446744073709551615\",\n"
                  "  \"u32_val\": 7,\n"
                  "  \"dbl_val\": 0.25,\n"
                  "  \"flt_val\": 0.2,\n"
                  "  \"bytes_val\": \"+/8=\",\n"
                  "  \"st\": {\n"
                  "    \"a\": 1,\n"
                  "    \"b\": [\n      true,\n      null,\n      \"s\"\n    ],\n"
                  "    \"c\": {}\n"
                  "  },\n"
                  "  \"val\": \"s\",\n"
                  "  \"list\": [\n    true,\n    null,\n    \"s\"\n  ],\n"
                  "  \"any\": {\n"
                  "    \"@type\": \"type.googleapis.com/pbjsontest.Inner\",\n"
                  "    \"name\": \"packed\",\n"
                  "    \"count\": 2,\n"
                  "    \"child\": null\n"
                  "  },\n"
                  "  \"anys\": [\n"
                  "    {\n"
                  "      \"@type\": \"type.googleapis.com/google.protobuf.Duration\",\n"
                  "      \"value\": \"-1.500s\"\n"
                  "    },\n"
                  "    {\n"
                  "      \"@type\": \"type.googleapis.com/other.Thing\",\n"
                  "      \"value\": \"AQID\"\n"
                  "    }\n"
                  "  ],\n"
                  "  \"durs\": [\n    \"0.010s\",\n    \"60s\"\n  ],\n"
                  "  \"null_val\": null\n"
                  "}");
    /* protojson cannot read back an Any of a type it does not know */
    char *text = render(&w);
    decode_text_fails(text, w.base.descriptor, "proto: (line 41:16): unable to resolve "
                                               "\"type.googleapis.com/other.Thing\": \"proto: not found\"");
    free(text);
    w.n_anys = 1;
    assert_roundtrip(&w);

    /* An empty Any is {} and reads back as empty. */
    Google__Protobuf__Any none = GOOGLE__PROTOBUF__ANY__INIT;
    ck_render(&none, "{}");
    assert_roundtrip(&none);
}
END_TEST

START_TEST(test_timestamp_forms)
{
    static const struct {
        int64_t s;
        int32_t n;
        const char *want;
    } cases[] = {
        {0, 0, "1970-01-01T00:00:00Z"},
        {1704067200, 0, "2024-01-01T00:00:00Z"},
        {1704067200, 500000000, "2024-01-01T00:00:00.500Z"},
        {1704067200, 1000, "2024-01-01T00:00:00.000001Z"},
        {1704067200, 1, "2024-01-01T00:00:00.000000001Z"},
        {1709210096, 120000000, "2024-02-29T12:34:56.120Z"},
        {-1, 999999999, "1969-12-31T23:59:59.999999999Z"},
        {-62135596800LL, 0, "0001-01-01T00:00:00Z"},
        {253402300799LL, 999999999, "9999-12-31T23:59:59.999999999Z"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char out[40];
        ck_assert_int_eq(pbj_fmt_timestamp(cases[i].s, cases[i].n, out), 0);
        ck_assert_str_eq(out, cases[i].want);
        int64_t s;
        int32_t n;
        ck_assert_int_eq(pbj_parse_timestamp(cases[i].want, &s, &n), 0);
        ck_assert_int_eq(s, cases[i].s);
        ck_assert_int_eq(n, cases[i].n);
    }
    char out[40];
    ck_assert_int_eq(pbj_fmt_timestamp(-62135596801LL, 0, out), -1);
    ck_assert_int_eq(pbj_fmt_timestamp(253402300800LL, 0, out), -1);
    ck_assert_int_eq(pbj_fmt_timestamp(0, -1, out), -1);
    ck_assert_int_eq(pbj_fmt_timestamp(0, 1000000000, out), -1);

    /* offsets are converted to UTC; 1..9 fraction digits */
    int64_t s;
    int32_t n;
    ck_assert_int_eq(pbj_parse_timestamp("2024-01-01T02:30:00+02:30", &s, &n), 0);
    ck_assert_int_eq(s, 1704067200);
    ck_assert_int_eq(pbj_parse_timestamp("2023-12-31T23:00:00.5-01:00", &s, &n), 0);
    ck_assert_int_eq(s, 1704067200);
    ck_assert_int_eq(n, 500000000);

    static const char *bad[] = {
        "", "2024-01-01", "2024-01-01T00:00:00", "2024-01-01 00:00:00Z", "2024-13-01T00:00:00Z",
        "2023-02-29T00:00:00Z", "2024-01-32T00:00:00Z", "2024-01-01T24:00:00Z",
        "2024-01-01T00:60:00Z", "2024-01-01T00:00:60Z", "2024-01-01T00:00:00.Z",
        "2024-01-01T00:00:00.1234567890Z", "2024-01-01T00:00:00+2:00", "2024-01-01T00:00:00+24:00",
        "2024-01-01T00:00:00Zjunk", "2024-1-01T00:00:00Z",
        "2024-01-01t00:00:00z", "10000-01-01T00:00:00Z", " 2024-01-01T00:00:00Z",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg(pbj_parse_timestamp(bad[i], &s, &n) == -1, "accepted %s", bad[i]);
    /* well-formed but outside 0001..9999 */
    ck_assert_int_eq(pbj_parse_timestamp("0000-12-31T23:59:59Z", &s, &n), -2);
    ck_assert_int_eq(pbj_parse_timestamp("9999-12-31T23:59:59-00:01", &s, &n), -2);
}
END_TEST

START_TEST(test_duration_forms)
{
    static const struct {
        int64_t s;
        int32_t n;
        const char *want;
    } cases[] = {
        {0, 0, "0s"},
        {60, 0, "60s"},
        {1, 500000000, "1.500s"},
        {-1, -500000000, "-1.500s"},
        {0, 10000000, "0.010s"},
        {0, -1, "-0.000000001s"},
        {0, 1000, "0.000001s"},
        {315576000000LL, 999999999, "315576000000.999999999s"},
        {-315576000000LL, 0, "-315576000000s"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char out[40];
        ck_assert_int_eq(pbj_fmt_duration(cases[i].s, cases[i].n, out), 0);
        ck_assert_str_eq(out, cases[i].want);
        int64_t s;
        int32_t n;
        ck_assert_int_eq(pbj_parse_duration(cases[i].want, &s, &n), 0);
        ck_assert_int_eq(s, cases[i].s);
        ck_assert_int_eq(n, cases[i].n);
    }
    char out[40];
    ck_assert_int_eq(pbj_fmt_duration(1, -1, out), -1);
    ck_assert_int_eq(pbj_fmt_duration(-1, 1, out), -1);
    ck_assert_int_eq(pbj_fmt_duration(315576000001LL, 0, out), -1);
    ck_assert_int_eq(pbj_fmt_duration(0, 1000000000, out), -1);

    int64_t s;
    int32_t n;
    ck_assert_int_eq(pbj_parse_duration("1.5s", &s, &n), 0);
    ck_assert_int_eq(s, 1);
    ck_assert_int_eq(n, 500000000);
    ck_assert_int_eq(pbj_parse_duration(".25s", &s, &n), 0);
    ck_assert_int_eq(n, 250000000);
    ck_assert_int_eq(pbj_parse_duration("-0.5s", &s, &n), 0);
    ck_assert_int_eq(s, 0);
    ck_assert_int_eq(n, -500000000);
    ck_assert_int_eq(pbj_parse_duration("+3s", &s, &n), 0);
    ck_assert_int_eq(s, 3);
    static const char *bad[] = {
        "", "s", "5", "5m", "1h", "-s", "1.s", "01s", "1.0000000001s", "315576000001s",
        "1e3s", " 1s", "1s ", "--1s", "1..5s", "0x10s", "99999999999999999999999s", ".s",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg(pbj_parse_duration(bad[i], &s, &n) == -1, "accepted %s", bad[i]);
}
END_TEST

START_TEST(test_base64_forms)
{
    uint8_t *out;
    size_t n;
    static const char *forms[] = {"+/8=", "+/8", "-_8=", "-_8"};
    for (size_t i = 0; i < 4; i++) {
        ck_assert_int_eq(pbj_base64_decode(forms[i], strlen(forms[i]), &out, &n), 0);
        ck_assert_uint_eq(n, 2);
        ck_assert_uint_eq(out[0], 0xfb);
        ck_assert_uint_eq(out[1], 0xff);
        free(out);
    }
    ck_assert_int_eq(pbj_base64_decode("", 0, &out, &n), 0);
    ck_assert_uint_eq(n, 0);
    ck_assert_ptr_null(out);
    ck_assert_int_eq(pbj_base64_decode("aGVsbG8=", 8, &out, &n), 0);
    ck_assert_uint_eq(n, 5);
    ck_assert_int_eq(memcmp(out, "hello", 5), 0);
    free(out);
    static const char *bad[] = {"a", "abcde", "ab=c", "a===", "ab c", "+_8=", "ab\n=", "!!!!", "QQ="};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg(pbj_base64_decode(bad[i], strlen(bad[i]), &out, &n) == -1, "accepted %s", bad[i]);

    size_t len;
    char *s = pbj_base64_encode((const uint8_t *)"hello!", 6, &len);
    ck_assert_str_eq(s, "aGVsbG8h");
    free(s);
    s = pbj_base64_encode((const uint8_t *)"h", 1, &len);
    ck_assert_str_eq(s, "aA==");
    free(s);
}
END_TEST

START_TEST(test_dumps_layout)
{
    json_t *j = json_pack("{s:{}, s:[], s:[i, {s:s}], s:n, s:b, s:s#}", "o", "a", "list", 1, "k", "v",
                          "nil", "t", 1, "nul", "a\0b", (size_t)3);
    char *s = pbjson_dumps(j);
    ck_assert_str_eq(s, "{\n"
                        "  \"o\": {},\n"
                        "  \"a\": [],\n"
                        "  \"list\": [\n    1,\n    {\n      \"k\": \"v\"\n    }\n  ],\n"
                        "  \"nil\": null,\n"
                        "  \"t\": true,\n"
                        "  \"nul\": \"a\\u0000b\"\n"
                        "}");
    free(s);
    json_decref(j);
    ck_assert_ptr_null(pbjson_dumps(NULL));

    /* keys keep insertion order, not sorted */
    j = json_object();
    json_object_set_new(j, "b", json_integer(1));
    json_object_set_new(j, "a", json_integer(2));
    s = pbjson_dumps(j);
    ck_assert_str_eq(s, "{\n  \"b\": 1,\n  \"a\": 2\n}");
    free(s);
    json_decref(j);
}
END_TEST

/* ---- input ------------------------------------------------------------------------ */

START_TEST(test_decode_forms)
{
    Pbjsontest__Scalars *s = decode_ok("{\"i32\": \"-12\", \"i64\": -9007199254740993, "
                                       "\"u32\": 4294967295, \"u64\": \"18446744073709551615\", "
                                       "\"s32\": 1e2, \"s64\": \"-5\", \"f32\": \"1.0\", "
                                       "\"f64\": 7, \"sf32\": -3, \"sf64\": \"1e3\", "
                                       "\"fl\": \"0.5\", \"db\": 2, \"b\": true, \"s\": \"x\", "
                                       "\"by\": \"-_8\", \"color\": 2, \"extra\": {\"x\": [1]}}",
                                       &pbjsontest__scalars__descriptor);
    ck_assert_int_eq(s->i32, -12);
    ck_assert_int_eq(s->i64, -9007199254740993LL);
    ck_assert_uint_eq(s->u32, UINT32_MAX);
    ck_assert_uint_eq(s->u64, UINT64_MAX);
    ck_assert_int_eq(s->s32, 100);
    ck_assert_int_eq(s->s64, -5);
    ck_assert_uint_eq(s->f32, 1);
    ck_assert_uint_eq(s->f64, 7);
    ck_assert_int_eq(s->sf32, -3);
    ck_assert_int_eq(s->sf64, 1000);
    ck_assert(s->fl == 0.5f);
    ck_assert(s->db == 2.0);
    ck_assert_int_eq(s->b, 1);
    ck_assert_str_eq(s->s, "x");
    ck_assert_uint_eq(s->by.len, 2);
    ck_assert_uint_eq(s->by.data[0], 0xfb);
    ck_assert_int_eq(s->color, PBJSONTEST__COLOR__COLOR_GREEN);
    free_msg(s);

    s = decode_ok("{\"color\": \"COLOR_BLUE\", \"fl\": \"NaN\", \"db\": \"-Infinity\", \"i64\": \"-0\","
                  " \"s\": \"\", \"by\": \"\"}",
                  &pbjsontest__scalars__descriptor);
    ck_assert_int_eq(s->color, 5);
    ck_assert(isnan(s->fl));
    ck_assert(isinf(s->db) && s->db < 0);
    ck_assert_int_eq(s->i64, 0);
    ck_assert_str_eq(s->s, "");
    ck_assert_ptr_null(s->by.data);
    free_msg(s);

    /* enum numbers the enum does not define are kept (open enums) */
    s = decode_ok("{\"color\": 77}", &pbjsontest__scalars__descriptor);
    ck_assert_int_eq(s->color, 77);
    free_msg(s);
}
END_TEST

START_TEST(test_decode_names)
{
    Pbjsontest__Request *r =
        decode_ok("{\"nodeId\": \"n1\", \"node_type\": \"COLOR_RED\", \"maxSize\": \"10\", "
                  "\"customLabels\": {\"a\": \"b\"}, \"unknown_key\": 1, \"otherThing\": [1, 2]}",
                  &pbjsontest__request__descriptor);
    ck_assert_str_eq(r->node_id, "n1");
    ck_assert_int_eq(r->node_type, PBJSONTEST__COLOR__COLOR_RED);
    ck_assert_int_eq(r->max_size, 10);
    ck_assert_uint_eq(r->n_custom_labels, 1);
    ck_assert_str_eq(r->custom_labels[0]->key, "a");
    ck_assert_str_eq(r->custom_labels[0]->value, "b");
    free_msg(r);

    const ProtobufCMessageDescriptor *d = &pbjsontest__request__descriptor;
    ck_assert_str_eq(pbj_field_by_key(d, "node_id")->name, "node_id");
    ck_assert_str_eq(pbj_field_by_key(d, "nodeId")->name, "node_id");
    ck_assert_str_eq(pbj_field_by_key(d, "customLabels")->name, "custom_labels");
    ck_assert_ptr_null(pbj_field_by_key(d, "NodeId"));
    ck_assert_ptr_null(pbj_field_by_key(d, "node_Id"));
    ck_assert_ptr_null(pbj_field_by_key(d, "nodeid"));
    ck_assert_ptr_null(pbj_field_by_key(d, ""));
    char camel[64];
    pbj_json_name("max_query_log_size", camel, sizeof camel);
    ck_assert_str_eq(camel, "maxQueryLogSize");

    /* a key with an embedded NUL names no field */
    json_t *j = json_object();
    json_object_setn_new(j, "node_id\0x", 9, json_string("evil"));
    ProtobufCMessage *m;
    char err[PBJSON_ERR_MAX];
    ck_assert_int_eq(pbjson_decode(j, d, &m, err, sizeof err), 0);
    ck_assert_str_eq(((Pbjsontest__Request *)m)->node_id, "");
    free_msg(m);
    json_decref(j);
}
END_TEST

START_TEST(test_decode_nulls)
{
    Pbjsontest__Request *r = decode_ok("{\"node_id\": null, \"port\": null, \"inner\": null, "
                                       "\"tags\": null, \"custom_labels\": null, \"enabled\": null, "
                                       "\"interval\": null, \"node_type\": null, \"blob\": null}",
                                       &pbjsontest__request__descriptor);
    ck_assert_str_eq(r->node_id, "");
    ck_assert_ptr_null(r->inner);
    ck_assert_uint_eq(r->n_tags, 0);
    ck_assert_uint_eq(r->n_custom_labels, 0);
    ck_assert_ptr_null(r->enabled);
    ck_assert_ptr_null(r->interval);
    free_msg(r);

    /* google.protobuf.Value takes null as NullValue; NullValue fields too */
    Pbjsontest__Wkt *w = decode_ok("{\"val\": null, \"null_val\": null, \"st\": {\"k\": null}, "
                                   "\"list\": [null, 1]}",
                                   &pbjsontest__wkt__descriptor);
    ck_assert_ptr_nonnull(w->val);
    ck_assert_int_eq(w->val->kind_case, GOOGLE__PROTOBUF__VALUE__KIND_NULL_VALUE);
    ck_assert_uint_eq(w->st->n_fields, 1);
    ck_assert_int_eq(w->st->fields[0]->value->kind_case, GOOGLE__PROTOBUF__VALUE__KIND_NULL_VALUE);
    ck_assert_uint_eq(w->list->n_values, 2);
    ck_assert_int_eq(w->list->values[0]->kind_case, GOOGLE__PROTOBUF__VALUE__KIND_NULL_VALUE);
    ck_assert(w->list->values[1]->number_value == 1.0);
    free_msg(w);

    /* a null oneof member does not count as set */
    Pbjsontest__Choice *c = decode_ok("{\"text\": null, \"number\": \"5\", \"opt\": null}",
                                      &pbjsontest__choice__descriptor);
    ck_assert_int_eq(c->kind_case, PBJSONTEST__CHOICE__KIND_NUMBER);
    ck_assert_int_eq(c->number, 5);
    ck_assert_int_eq(c->_opt_case, PBJSONTEST__CHOICE___OPT__NOT_SET);
    free_msg(c);
}
END_TEST

START_TEST(test_decode_oneofs)
{
    Pbjsontest__Choice *c = decode_ok("{\"text\": \"\", \"opt\": \"\", \"optCount\": 0}",
                                      &pbjsontest__choice__descriptor);
    ck_assert_int_eq(c->kind_case, PBJSONTEST__CHOICE__KIND_TEXT);
    ck_assert_str_eq(c->text, "");
    ck_assert_int_eq(c->_opt_case, PBJSONTEST__CHOICE___OPT_OPT);
    ck_assert_int_eq(c->_opt_count_case, PBJSONTEST__CHOICE___OPT_COUNT_OPT_COUNT);
    char *text = render(c);
    ck_assert_str_eq(text, "{\n  \"id\": \"\",\n  \"text\": \"\",\n  \"opt\": \"\",\n  \"opt_count\": 0,\n"
                           "  \"after\": 0\n}");
    free(text);
    free_msg(c);

    c = decode_ok("{\"inner\": {\"name\": \"i\", \"child\": {\"count\": 3}}}", &pbjsontest__choice__descriptor);
    ck_assert_int_eq(c->kind_case, PBJSONTEST__CHOICE__KIND_INNER);
    ck_assert_str_eq(c->inner->name, "i");
    ck_assert_int_eq(c->inner->child->count, 3);
    free_msg(c);

    c = decode_ok("{\"wait\": \"0.5s\", \"opt\": \"x\"}", &pbjsontest__choice__descriptor);
    ck_assert_int_eq(c->kind_case, PBJSONTEST__CHOICE__KIND_WAIT);
    ck_assert_int_eq(c->wait->nanos, 500000000);
    ck_assert_str_eq(c->opt, "x");
    free_msg(c);

    /* each pair of members of the one oneof, in both orders */
    decode_fails("{\"text\": \"a\", \"number\": 1}", &pbjsontest__choice__descriptor,
                 "proto: (line 1:13): error parsing \"number\", oneof pbjsontest.Choice.number is already set");
    decode_fails("{\"inner\": {}, \"text\": \"a\"}", &pbjsontest__choice__descriptor,
                 "is already set");
    decode_fails("{\"color\": \"COLOR_RED\", \"wait\": \"1s\"}", &pbjsontest__choice__descriptor,
                 "is already set");
    decode_fails("{\"wait\": \"1s\", \"inner\": {\"name\": \"leak?\"}}", &pbjsontest__choice__descriptor,
                 "is already set");
}
END_TEST

START_TEST(test_decode_wkt)
{
    pbjson_register_type(&pbjsontest__inner__descriptor);
    Pbjsontest__Wkt *w = decode_ok(
        "{\"ts\": \"2024-01-01T00:00:00.250Z\", \"dur\": \"-1.5s\", \"empty\": {\"ignored\": 1},"
        " \"strVal\": \"s\", \"bool_val\": true, \"i64_val\": \"-9223372036854775808\","
        " \"i32_val\": 5, \"u64_val\": 18, \"u32_val\": \"9\", \"dbl_val\": \"Infinity\","
        " \"flt_val\": 1.5, \"bytes_val\": \"AQ==\", \"st\": {\"a\": {\"b\": [1, \"x\", false]}},"
        " \"val\": [{}], \"list\": [], \"any\": {\"@type\": \"type.googleapis.com/pbjsontest.Inner\","
        " \"name\": \"n\", \"count\": 4}, \"anys\": [{\"@type\": \"x/google.protobuf.Timestamp\","
        " \"value\": \"1970-01-01T00:00:01Z\"}, {\"@type\": \"x/google.protobuf.Duration\", \"value\": \"2s\"}, {}],"
        " \"durs\": [\"1s\", \"2s\"]}",
        &pbjsontest__wkt__descriptor);
    ck_assert_int_eq(w->ts->seconds, 1704067200);
    ck_assert_int_eq(w->ts->nanos, 250000000);
    ck_assert_int_eq(w->dur->seconds, -1);
    ck_assert_int_eq(w->dur->nanos, -500000000);
    ck_assert_ptr_nonnull(w->empty);
    ck_assert_str_eq(w->str_val->value, "s");
    ck_assert_int_eq(w->bool_val->value, 1);
    ck_assert_int_eq(w->i64_val->value, INT64_MIN);
    ck_assert_int_eq(w->i32_val->value, 5);
    ck_assert_uint_eq(w->u64_val->value, 18);
    ck_assert_uint_eq(w->u32_val->value, 9);
    ck_assert(isinf(w->dbl_val->value));
    ck_assert(w->flt_val->value == 1.5f);
    ck_assert_uint_eq(w->bytes_val->value.len, 1);
    ck_assert_uint_eq(w->st->n_fields, 1);
    Google__Protobuf__Value *a = w->st->fields[0]->value;
    ck_assert_int_eq(a->kind_case, GOOGLE__PROTOBUF__VALUE__KIND_STRUCT_VALUE);
    Google__Protobuf__ListValue *b = a->struct_value->fields[0]->value->list_value;
    ck_assert_uint_eq(b->n_values, 3);
    ck_assert_str_eq(b->values[1]->string_value, "x");
    ck_assert_int_eq(b->values[2]->kind_case, GOOGLE__PROTOBUF__VALUE__KIND_BOOL_VALUE);
    ck_assert_int_eq(w->val->kind_case, GOOGLE__PROTOBUF__VALUE__KIND_LIST_VALUE);
    ck_assert_ptr_nonnull(w->list);
    ck_assert_uint_eq(w->list->n_values, 0);
    ck_assert_str_eq(w->any->type_url, "type.googleapis.com/pbjsontest.Inner");
    Pbjsontest__Inner *in = pbjsontest__inner__unpack(NULL, w->any->value.len, w->any->value.data);
    ck_assert_ptr_nonnull(in);
    ck_assert_str_eq(in->name, "n");
    ck_assert_int_eq(in->count, 4);
    pbjsontest__inner__free_unpacked(in, NULL);
    ck_assert_uint_eq(w->n_anys, 3);
    Google__Protobuf__Timestamp *t =
        google__protobuf__timestamp__unpack(NULL, w->anys[0]->value.len, w->anys[0]->value.data);
    ck_assert_int_eq(t->seconds, 1);
    google__protobuf__timestamp__free_unpacked(t, NULL);
    ck_assert_str_eq(w->anys[1]->type_url, "x/google.protobuf.Duration");
    ck_assert_uint_eq(w->anys[1]->value.len, 2); /* seconds = 2 */
    ck_assert_str_eq(w->anys[2]->type_url, "");
    ck_assert_uint_eq(w->n_durs, 2);
    ck_assert_int_eq(w->durs[1]->seconds, 2);
    free_msg(w);

    /* top-level well-known types take their own JSON forms */
    json_t *j = json_string("90s");
    ProtobufCMessage *m;
    char err[PBJSON_ERR_MAX];
    ck_assert_int_eq(pbjson_decode(j, &google__protobuf__duration__descriptor, &m, err, sizeof err), 0);
    ck_assert_int_eq(((Google__Protobuf__Duration *)m)->seconds, 90);
    free_msg(m);
    json_decref(j);
    j = json_integer(3);
    ck_assert_int_eq(pbjson_decode(j, &google__protobuf__value__descriptor, &m, err, sizeof err), 0);
    ck_assert(((Google__Protobuf__Value *)m)->number_value == 3.0);
    free_msg(m);
    json_decref(j);
}
END_TEST

/* protojson.Unmarshal's texts, exactly, with their "(line L:C)" positions
 * (what grpc-gateway answers with code 3 for a bad body). */
START_TEST(test_decode_errors)
{
    const ProtobufCMessageDescriptor *ds[] = {
        &pbjsontest__request__descriptor, &pbjsontest__scalars__descriptor, &pbjsontest__wkt__descriptor,
        &pbjsontest__maps__descriptor,
#ifdef HAVE_NODES_PROTO
        &inventory__v1__add_node_request__descriptor,
#else
        NULL,
#endif
    };
    static const struct {
        int which;
        const char *json;
        const char *want;
    } cases[] = {
        {0, "{\"port\": \"abc\"}", "proto: (line 1:10): invalid value for int32 field port: \"abc\""},
        {0, "{\"node_type\": 1.5}", "proto: (line 1:15): invalid value for enum field nodeType: 1.5"},
        {0, "{\"node_type\": true}", "proto: (line 1:15): invalid value for enum field nodeType: true"},
        {0, "{\"node_id\": 5}", "proto: (line 1:13): invalid value for string field nodeId: 5"},
        {0, "{\"node_id\": [\"a\"]}", "proto: (line 1:13): invalid value for string field nodeId: ["},
        {0, "{\"force\": \"true\"}", "proto: (line 1:11): invalid value for bool field force: \"true\""},
        {0, "{\"force\": 1}", "proto: (line 1:11): invalid value for bool field force: 1"},
        {0, "{\"port\": 2147483648}", "proto: (line 1:10): invalid value for int32 field port: 2147483648"},
        {0, "{\"port\": -2147483649}", "proto: (line 1:10): invalid value for int32 field port: -2147483649"},
        {0, "{\"port\": 1.5}", "proto: (line 1:10): invalid value for int32 field port: 1.5"},
        {0, "{\"port\": \" 1\"}", "proto: (line 1:10): invalid value for int32 field port: \" 1\""},
        {0, "{\"port\": \"1 \"}", "proto: (line 1:10): invalid value for int32 field port: \"1 \""},
        {0, "{\"port\": \"0x10\"}", "proto: (line 1:10): invalid value for int32 field port: \"0x10\""},
        {0, "{\"port\": \"+1\"}", "proto: (line 1:10): invalid value for int32 field port: \"+1\""},
        {0, "{\"port\": \"01\"}", "proto: (line 1:10): invalid value for int32 field port: \"01\""},
        {0, "{\"port\": \"1e10\"}", "proto: (line 1:10): invalid value for int32 field port: \"1e10\""},
        {0, "{\"port\": 5e-1}", "proto: (line 1:10): invalid value for int32 field port: 5e-1"},
        {0, "{\"port\": {}}", "proto: (line 1:10): invalid value for int32 field port: {"},
        {0, "{\"max_size\": \"9223372036854775808\"}", "proto: (line 1:14): invalid value for int64 field maxSize: \"9223372036854775808\""},
        {0, "{\"max_size\": \"1e999999999\"}", "proto: (line 1:14): invalid value for int64 field maxSize: \"1e999999999\""},
        {0, "{\"max_size\": \"\"}", "proto: (line 1:14): invalid value for int64 field maxSize: \"\""},
        {0, "{\"big\": \"-1\"}", "proto: (line 1:9): invalid value for uint64 field big: \"-1\""},
        {0, "{\"big\": \"18446744073709551616\"}", "proto: (line 1:9): invalid value for uint64 field big: \"18446744073709551616\""},
        {0, "{\"ratio\": 1e39}", "proto: (line 1:11): invalid value for float field ratio: 1e39"},
        {0, "{\"ratio\": \"nan\"}", "proto: (line 1:11): invalid value for float field ratio: \"nan\""},
        {0, "{\"score\": \"1e400\"}", "proto: (line 1:11): invalid value for double field score: \"1e400\""},
        {0, "{\"score\": true}", "proto: (line 1:11): invalid value for double field score: true"},
        {0, "{\"blob\": \"!!!!\"}", "proto: (line 1:10): invalid value for bytes field blob: \"!!!!\""},
        {0, "{\"blob\": \"QQ=\"}", "proto: (line 1:10): invalid value for bytes field blob: \"QQ=\""},
        {0, "{\"interval\": \"5\"}", "proto: (line 1:14): invalid google.protobuf.Duration value \"5\""},
        {0, "{\"interval\": \"36h\"}", "proto: (line 1:14): invalid google.protobuf.Duration value \"36h\""},
        {0, "{\"interval\": \"1.0000000001s\"}", "proto: (line 1:14): invalid google.protobuf.Duration value \"1.0000000001s\""},
        {0, "{\"interval\": \"315576000001s\"}", "proto: (line 1:14): google.protobuf.Duration value out of range: \"315576000001s\""},
        {0, "{\"interval\": 5}", "proto: syntax error (line 1:14): unexpected token 5"},
        {0, "{\"since\": \"2024-13-01T00:00:00Z\"}", "proto: (line 1:11): invalid google.protobuf.Timestamp value \"2024-13-01T00:00:00Z\""},
        {0, "{\"since\": {}}", "proto: syntax error (line 1:11): unexpected token {"},
        {0, "{\"since\": \"0000-12-31T23:59:59Z\"}", "proto: (line 1:11): google.protobuf.Timestamp value out of range: \"0000-12-31T23:59:59Z\""},
        {0, "{\"tags\": \"x\"}", "proto: syntax error (line 1:10): unexpected token \"x\""},
        {0, "{\"tags\": [1]}", "proto: (line 1:11): invalid value for string field tags: 1"},
        {0, "{\"tags\": [\"a\", null]}", "proto: (line 1:16): invalid value for string field tags: null"},
        {0, "{\"custom_labels\": []}", "proto: syntax error (line 1:19): unexpected token ["},
        {0, "{\"custom_labels\": {\"a\": 1}}", "proto: (line 1:25): invalid value for string field value: 1"},
        {0, "{\"custom_labels\": {\"a\": null}}", "proto: (line 1:25): invalid value for string field value: null"},
        {0, "{\"inner\": 5}", "proto: syntax error (line 1:11): unexpected token 5"},
        {0, "{\"inner\": []}", "proto: syntax error (line 1:11): unexpected token ["},
        {0, "{\"inner\": {\"count\": \"x\"}}", "proto: (line 1:21): invalid value for int32 field count: \"x\""},
        {0, "{\"enabled\": \"yes\"}", "proto: (line 1:13): invalid value for bool field value: \"yes\""},
        {0, "{\"enabled\": {\"value\": true}}", "proto: (line 1:13): invalid value for bool field value: {"},
        {0, "{\"node_id\": \"a\", \"nodeId\": \"b\"}", "proto: (line 1:18): duplicate field \"nodeId\""},
        {0, "[]", "proto: syntax error (line 1:1): unexpected token ["},
        {0, "\"text\"", "proto: syntax error (line 1:1): unexpected token \"text\""},
        {0, "null", "proto: syntax error (line 1:1): unexpected token null"},
        {0, "{\"node_id\": \"\\ud800\"}", "proto: unexpected EOF"},
        {0, "{\"node_id\": \"\\ud800abcdef\"}", "proto: syntax error (line 1:13): invalid escape code \"abcdef\" in string"},
        {0, "{\"node_id\": \"\\ud800\\u0041\"}", "proto: syntax error (line 1:13): invalid escape code \"\\\\u0041\" in string"},
        {1, "{\"u32\": -1}", "proto: (line 1:9): invalid value for uint32 field u32: -1"},
        {1, "{\"u32\": 4294967296}", "proto: (line 1:9): invalid value for uint32 field u32: 4294967296"},
        {1, "{\"fl\": \"Infinity \"}", "proto: (line 1:8): invalid value for float field fl: \"Infinity \""},
        {2, "{\"any\": {\"@type\": \"x/unknown.T\", \"name\": \"n\"}}", "proto: (line 1:19): unable to resolve \"x/unknown.T\": \"proto: not found\""},
        {2, "{\"any\": {\"@type\": 5}}", "proto: (line 1:19): @type field value is not a string: 5"},
        {2, "{\"any\": {\"@type\": \"\"}}", "proto: (line 1:19): @type field contains empty value"},
        {2, "{\"any\": {\"@type\": \"x/google.protobuf.Duration\"}}", "proto: (line 1:47): missing \"value\" field"},
        {2, "{\"any\": {\"@type\": \"x/google.protobuf.Duration\", \"value\": \"x\"}}", "proto: (line 1:58): invalid google.protobuf.Duration value \"x\""},
        {2, "{\"st\": [1]}", "proto: syntax error (line 1:8): unexpected token ["},
        {2, "{\"list\": {}}", "proto: syntax error (line 1:10): unexpected token {"},
        {2, "{\"i64_val\": \"x\"}", "proto: (line 1:13): invalid value for int64 field value: \"x\""},
        {3, "{\"by_id\": {\"x\": \"a\"}}", "proto: (line 1:12): invalid value for int32 key: \"x\""},
        {3, "{\"by_id\": {\"1.0\": \"a\"}}", "proto: (line 1:12): invalid value for int32 key: \"1.0\""},
        {3, "{\"by_id\": {\"1\": \"a\", \"+1\": \"b\"}}", "proto: (line 1:22): duplicate map key \"+1\""},
        {3, "{\"by_flag\": {\"yes\": \"1\"}}", "proto: (line 1:14): invalid value for bool key: \"yes\""},
        {3, "{\"inners\": {\"a\": null}}", "proto: syntax error (line 1:18): unexpected token null"},
        {4, "{\"generic\": {}, \"container\": {}}", "proto: (line 1:17): error parsing \"container\", oneof inventory.v1.AddNodeRequest.node is already set"},

    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        if (!ds[cases[i].which])
            continue;
        ProtobufCMessage *m = (ProtobufCMessage *)0x1;
        char err[PBJSON_ERR_MAX] = "";
        int rc = pbjson_decode_text(cases[i].json, strlen(cases[i].json), ds[cases[i].which], &m, err, sizeof err);
        ck_assert_msg(rc == -1, "%s: accepted", cases[i].json);
        ck_assert_ptr_null(m);
        ck_assert_msg(strcmp(err, cases[i].want) == 0, "%s:\n got  %s\n want %s", cases[i].json, err, cases[i].want);
    }
}
END_TEST

/* What protojson with DiscardUnknown accepts that a strict decoder would
 * not: unknown fields and unknown enum names are dropped. */
START_TEST(test_decode_discards)
{
    Pbjsontest__Request *r = decode_ok("{\"node_type\": \"METRICS_MODE_AUTO\", \"colors\": [\"COLOR_RED\", \"NOPE\", 2],"
                                       " \"custom_labels\": {\"a\": \"b\"}, \"unknown\": {\"deep\": [1, {\"x\": null}]},"
                                       " \"port\": \"1e2\", \"max_size\": 10e-1, \"big\": \"-0\", \"inner\": null, \"tags\": null}",
                                       &pbjsontest__request__descriptor);
    ck_assert_int_eq(r->node_type, 0);
    ck_assert_uint_eq(r->n_colors, 2);
    ck_assert_int_eq(r->colors[0], PBJSONTEST__COLOR__COLOR_RED);
    ck_assert_int_eq(r->colors[1], PBJSONTEST__COLOR__COLOR_GREEN);
    ck_assert_int_eq(r->port, 100);
    ck_assert_int_eq(r->max_size, 1);
    ck_assert_uint_eq(r->big, 0);
    ck_assert_ptr_null(r->inner);
    free_msg(r);
    /* an unknown name in a map value drops that entry */
    Pbjsontest__Maps *mp = decode_ok("{\"colors\": {\"1\": \"NOPE\", \"2\": \"COLOR_RED\"}}", &pbjsontest__maps__descriptor);
    ck_assert_uint_eq(mp->n_colors, 1);
    free_msg(mp);
    /* an Any without "@type" is skipped whole */
    Pbjsontest__Wkt *w = decode_ok("{\"any\": {\"name\": \"n\"}, \"i32_val\": \"7\"}", &pbjsontest__wkt__descriptor);
    ck_assert_ptr_nonnull(w->any); /* set, and empty */
    ck_assert_str_eq(w->any->type_url, "");
    ck_assert_int_eq(w->i32_val->value, 7);
    free_msg(w);
}
END_TEST

/* The first step, encoding/json's Decoder: its texts for a malformed body,
 * only the first value read, a blank body as no body. */
START_TEST(test_decode_body)
{
    static const struct {
        const char *body, *want; /* want NULL: accepted */
    } cases[] = {
        {"", NULL},
        {" \n\t", NULL},
        {"{} trailing garbage", NULL},
        {"{\"node_id\": \"a\"}{\"node_id\"", NULL},
        {"{", "unexpected EOF"},
        {"{\"node_id\"", "unexpected EOF"},
        {"{\"node_id\": \"a", "unexpected EOF"},
        {"nul", "unexpected EOF"},
        {"-", "unexpected EOF"},
        {"{\"a\" 1}", "invalid character '1' after object key"},
        {"{,}", "invalid character ',' looking for beginning of object key string"},
        {"{\"a\":1,}", "invalid character '}' looking for beginning of object key string"},
        {"[1,]", "invalid character ']' looking for beginning of value"},
        {"{\"a\":1 \"b\":2}", "invalid character '\"' after object key:value pair"},
        {"[1 2]", "invalid character '2' after array element"},
        {"nulx", "invalid character 'x' in literal null (expecting 'l')"},
        {"{\"a\":tru}", "invalid character '}' in literal true (expecting 'e')"},
        {"{\"a\":fals}", "invalid character '}' in literal false (expecting 'e')"},
        {"\"\x01\"", "invalid character '\\x01' in string literal"},
        {"{\"a\":\"\\q\"}", "invalid character 'q' in string escape code"},
        {"{\"a\":\"\\u12x4\"}", "invalid character 'x' in \\u hexadecimal character escape"},
        {"-a", "invalid character 'a' in numeric literal"},
        {"1.x", "invalid character 'x' after decimal point in numeric literal"},
        {"1ex", "invalid character 'x' in exponent of numeric literal"},
        {"'a'", "invalid character '\\'' looking for beginning of value"},
        {"x", "invalid character 'x' looking for beginning of value"},
        {"\xc3\xa9", "invalid character '\xc3\x83' looking for beginning of value"},
        {"1", "proto: syntax error (line 1:1): unexpected token 1"},
        {"  [1] ", "proto: syntax error (line 1:1): unexpected token ["},
        {"\n\n  {\"port\": \"abc\"}", "proto: (line 1:10): invalid value for int32 field port: \"abc\""},
        {"{\n  \"port\": \"abc\"\n}", "proto: (line 2:11): invalid value for int32 field port: \"abc\""},
        {"{\"node_id\": \"\xff\"}", "proto: syntax error (line 1:13): invalid UTF-8 in string"},
        {"{\"node_id\": \"\xc3\xa9\", \"port\": \"x\"}", "proto: (line 1:26): invalid value for int32 field port: \"x\""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ProtobufCMessage *m = NULL;
        char err[PBJSON_ERR_MAX] = "";
        int rc = pbjson_decode_body(cases[i].body, strlen(cases[i].body), &pbjsontest__request__descriptor, &m, err,
                                    sizeof err);
        if (!cases[i].want) {
            ck_assert_msg(rc == 0, "%s: %s", cases[i].body, err);
            free_msg(m);
            continue;
        }
        ck_assert_msg(rc == -1, "%s: accepted", cases[i].body);
        ck_assert_msg(strcmp(err, cases[i].want) == 0, "%s:\n got  %s\n want %s", cases[i].body, err, cases[i].want);
    }
    /* deeper than encoding/json's 10000 levels */
    size_t n = 10001 * 2;
    char *deep = malloc(n + 1);
    memset(deep, '[', 10001);
    memset(deep + 10001, ']', 10001);
    deep[n] = '\0';
    char err[PBJSON_ERR_MAX];
    ProtobufCMessage *m;
    ck_assert_int_eq(pbjson_decode_body(deep, n, &pbjsontest__request__descriptor, &m, err, sizeof err), -1);
    ck_assert_str_eq(err, "exceeded max depth");
    free(deep);
}
END_TEST

/* Strings jansson's parser would never produce, built by hand. */
START_TEST(test_decode_bad_strings)
{
    const ProtobufCMessageDescriptor *d = &pbjsontest__request__descriptor;
    json_t *j = json_object();
    json_object_set_new(j, "node_id", json_stringn("a\0b", 3));
    decode_fails_j(j, d, "proto: (line 1:12): invalid value for string field nodeId: \"a\\u0000b\"");
    json_decref(j);
    /* invalid UTF-8 anywhere in a string or a key, as the tokenizer sees it */
    decode_text_fails("{\"node_id\": \"\xff\xfe\"}", d, "proto: syntax error (line 1:13): invalid UTF-8 in string");
    decode_text_fails("{\"tags\": [\"ok\", \"\xc0\xaf\"]}", d, "proto: syntax error (line 1:17): invalid UTF-8 in string");
    decode_text_fails("{\"custom_labels\": {\"\xed\xa0\x80\": \"x\"}}", d,
                      "proto: syntax error (line 1:20): invalid UTF-8 in string");
    j = json_object();
    json_decref(j);

    /* NULL arguments are refused, never dereferenced */
    char err[PBJSON_ERR_MAX];
    ProtobufCMessage *m = NULL;
    ck_assert_int_eq(pbjson_decode(NULL, d, &m, err, sizeof err), -1);
    ck_assert_ptr_null(m);
    j = json_object();
    ck_assert_int_eq(pbjson_decode(j, NULL, &m, err, sizeof err), -1);
    ck_assert_int_eq(pbjson_decode(j, d, NULL, err, sizeof err), -1);
    ck_assert_int_eq(pbjson_decode(j, d, &m, NULL, 0), 0);
    free_msg(m);
    json_decref(j);
    ck_assert_ptr_null(pbjson_write(NULL, NULL));
}
END_TEST


START_TEST(test_decode_depth_limit)
{
    static const char *want = "proto: exceeded max recursion depth";
    char err[PBJSON_ERR_MAX];
    ProtobufCMessage *m;
    /* Inner{child: Inner{...}}: 400 messages decode, 401 do not */
    char *t = nested_text("{\"child\": ", "{}", "}", 399);
    ck_assert_int_eq(pbjson_decode_text(t, strlen(t), &pbjsontest__inner__descriptor, &m, err, sizeof err), 0);
    free_msg(m);
    free(t);
    t = nested_text("{\"child\": ", "{}", "}", 400);
    decode_text_fails(t, &pbjsontest__inner__descriptor, want);
    free(t);
    /* Value / ListValue / Struct, and Any in Any */
    t = nested_text("[", "", "]", 300);
    char *w = nested_text("{\"val\": ", t, "}", 1);
    decode_text_fails(w, &pbjsontest__wkt__descriptor, want);
    free(w);
    free(t);
    t = nested_text("{\"k\": ", "1", "}", 300);
    w = nested_text("{\"st\": ", t, "}", 1);
    decode_text_fails(w, &pbjsontest__wkt__descriptor, want);
    free(w);
    free(t);
    t = nested_text("{\"@type\": \"x/google.protobuf.Any\", \"value\": ", "{}", "}", 500);
    w = nested_text("{\"any\": ", t, "}", 1);
    decode_text_fails(w, &pbjsontest__wkt__descriptor, want);
    free(w);
    free(t);
    /* unknown fields are skipped without recursion, however deep */
    t = nested_text("[", "", "]", 5000);
    w = nested_text("{\"unknown\": ", t, "}", 1);
    ck_assert_int_eq(pbjson_decode_text(w, strlen(w), &pbjsontest__inner__descriptor, &m, err, sizeof err), 0);
    free_msg(m);
    free(w);
    free(t);
}
END_TEST

START_TEST(test_roundtrip_request)
{
    uint8_t blob[] = {0, 0xff, 0x10, 'x'};
    Google__Protobuf__Duration iv = GOOGLE__PROTOBUF__DURATION__INIT;
    iv.seconds = 5, iv.nanos = 1;
    Google__Protobuf__Timestamp since = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
    since.seconds = -86400, since.nanos = 123000;
    char *tags[] = {"t1", "", "\xe2\x82\xac"};
    Pbjsontest__Inner child = PBJSONTEST__INNER__INIT, in = PBJSONTEST__INNER__INIT;
    child.count = INT32_MAX;
    in.name = "parent", in.child = &child;
    Pbjsontest__Request__CustomLabelsEntry e1 = PBJSONTEST__REQUEST__CUSTOM_LABELS_ENTRY__INIT, e2 = e1;
    e1.key = "b", e1.value = "2";
    e2.key = "a", e2.value = "";
    Pbjsontest__Request__CustomLabelsEntry *labels[] = {&e1, &e2};
    Google__Protobuf__BoolValue en = GOOGLE__PROTOBUF__BOOL_VALUE__INIT;
    en.value = 1;
    Pbjsontest__Color colors[] = {1, 2, 5, 0};
    Pbjsontest__Scalars sc = PBJSONTEST__SCALARS__INIT;
    sc.db = 1e-300, sc.fl = -3.4028235e38f, sc.u64 = 1ull << 63;
    Pbjsontest__Request r = PBJSONTEST__REQUEST__INIT;
    r.node_id = "node-1", r.node_type = PBJSONTEST__COLOR__COLOR_GREEN, r.force = 1;
    r.port = 42000, r.max_size = -1, r.big = UINT64_MAX - 1, r.ratio = 0.3f, r.score = 2.0 / 3.0;
    r.blob = (ProtobufCBinaryData){sizeof blob, blob};
    r.interval = &iv, r.since = &since, r.n_tags = 3, r.tags = tags, r.inner = &in;
    r.n_custom_labels = 2, r.custom_labels = labels, r.enabled = &en;
    r.n_colors = 4, r.colors = colors, r.scalars = &sc;
    assert_roundtrip(&r);
    Pbjsontest__Request empty = PBJSONTEST__REQUEST__INIT;
    assert_roundtrip(&empty);
}
END_TEST

/* ---- query / path text (runtime/query.go) ------------------------------------------- */

static int set1(ProtobufCMessage *m, const char *path, const char *value, char *err)
{
    return pbjson_set_field(m, path, &value, 1, err, PBJSON_ERR_MAX);
}

START_TEST(test_set_field)
{
    char err[PBJSON_ERR_MAX];
    Pbjsontest__Request *r = malloc(sizeof *r);
    pbjsontest__request__init(r);
    ProtobufCMessage *m = &r->base;
    ck_assert_int_eq(set1(m, "node_id", "n-1", err), 0);
    ck_assert_int_eq(set1(m, "nodeType", "COLOR_BLUE", err), 0);
    ck_assert_int_eq(set1(m, "force", "T", err), 0);
    ck_assert_int_eq(set1(m, "port", "-8080", err), 0);
    ck_assert_int_eq(set1(m, "max_size", "+123", err), 0);
    ck_assert_int_eq(set1(m, "big", "18446744073709551615", err), 0);
    ck_assert_int_eq(set1(m, "ratio", "0.1", err), 0);
    ck_assert_int_eq(set1(m, "score", "-inf", err), 0);
    ck_assert_int_eq(set1(m, "blob", "aGk=", err), 0);
    ck_assert_int_eq(set1(m, "interval", "1h30m", err), 0); /* time.ParseDuration */
    ck_assert_int_eq(set1(m, "since", "2024-01-01T00:00:00Z", err), 0);
    const char *tags[] = {"a", "b"};
    ck_assert_int_eq(pbjson_set_field(m, "tags", tags, 2, err, sizeof err), 0);
    ck_assert_int_eq(set1(m, "colors", "2", err), 0);
    ck_assert_int_eq(set1(m, "inner.name", "x", err), 0);
    ck_assert_int_eq(set1(m, "inner.child.count", "7", err), 0);
    ck_assert_int_eq(set1(m, "enabled", "0", err), 0);
    const char *kv[] = {"env", "prod"};
    ck_assert_int_eq(pbjson_set_field(m, "custom_labels", kv, 2, err, sizeof err), 0);
    ck_assert_int_eq(set1(m, "no_such_field", "x", err), 0); /* ignored */
    ck_assert_int_eq(set1(m, "", "x", err), 0);
    ck_assert_int_eq(set1(m, "node_id", "n-2", err), 0); /* Set replaces */
    ck_assert_str_eq(r->node_id, "n-2");
    ck_assert_int_eq(r->node_type, PBJSONTEST__COLOR__COLOR_BLUE);
    ck_assert(r->force);
    ck_assert_int_eq(r->port, -8080);
    ck_assert_int_eq(r->max_size, 123);
    ck_assert_uint_eq(r->big, UINT64_MAX);
    ck_assert(r->ratio == 0.1f);
    ck_assert(isinf(r->score) && r->score < 0);
    ck_assert_uint_eq(r->blob.len, 2);
    ck_assert_int_eq(r->interval->seconds, 5400);
    ck_assert_int_eq(r->since->seconds, 1704067200);
    ck_assert_uint_eq(r->n_tags, 2);
    ck_assert_uint_eq(r->n_colors, 1);
    ck_assert_int_eq(r->colors[0], PBJSONTEST__COLOR__COLOR_GREEN);
    ck_assert_str_eq(r->inner->name, "x");
    ck_assert_int_eq(r->inner->child->count, 7);
    ck_assert_int_eq(r->enabled->value, 0);
    ck_assert_uint_eq(r->n_custom_labels, 1);
    free_msg(m);
}
END_TEST

START_TEST(test_set_field_errors)
{
    /* each text as the runtime's populateFieldValueFromPath words it */
    static const struct {
        const char *path, *value, *want;
    } cases[] = {
        {"force", "yes", "parsing field \"force\": strconv.ParseBool: parsing \"yes\": invalid syntax"},
        {"force", "", "parsing field \"force\": strconv.ParseBool: parsing \"\": invalid syntax"},
        {"port", "abc", "parsing field \"port\": strconv.ParseInt: parsing \"abc\": invalid syntax"},
        {"port", "2147483648", "parsing field \"port\": strconv.ParseInt: parsing \"2147483648\": value out of range"},
        {"port", "1.0", "parsing field \"port\": strconv.ParseInt: parsing \"1.0\": invalid syntax"},
        {"max_size", "9223372036854775808",
         "parsing field \"max_size\": strconv.ParseInt: parsing \"9223372036854775808\": value out of range"},
        {"big", "-1", "parsing field \"big\": strconv.ParseUint: parsing \"-1\": invalid syntax"},
        {"big", "+1", "parsing field \"big\": strconv.ParseUint: parsing \"+1\": invalid syntax"},
        {"ratio", "1e39", "parsing field \"ratio\": strconv.ParseFloat: parsing \"1e39\": value out of range"},
        {"score", "x1", "parsing field \"score\": strconv.ParseFloat: parsing \"x1\": invalid syntax"},
        {"node_type", "FOO", "parsing field \"node_type\": \"FOO\" is not a valid value"},
        {"node_type", "3", "parsing field \"node_type\": \"3\" is not a valid value"},
        {"colors", "PINK", "parsing list \"colors\": \"PINK\" is not a valid value"},
        {"interval", "5", "parsing field \"interval\": time: missing unit in duration \"5\""},
        {"interval", "5d", "parsing field \"interval\": time: unknown unit \"d\" in duration \"5d\""},
        {"interval", "x", "parsing field \"interval\": time: invalid duration \"x\""},
        {"since", "yesterday",
         "parsing field \"since\": parsing time \"yesterday\" as \"2006-01-02T15:04:05.999999999Z07:00\": "
         "cannot parse \"yesterday\" as \"2006\""},
        {"enabled", "maybe", "parsing field \"enabled\": strconv.ParseBool: parsing \"maybe\": invalid syntax"},
        {"since", "0000-12-31T23:59:59Z", "parsing field \"since\": 0000-12-31T23:59:59Z before 0001-01-01"},
        {"inner", "x", "parsing field \"inner\": unsupported message type: \"pbjsontest.Inner\""},
        {"custom_labels", "x", "more than one value provided for key \"x\" in map \"pbjsontest.Request.custom_labels\""},
        {"port.x", "1", "invalid path: \"port\" is not a message"},
        {"tags.x", "1", "invalid path: \"tags\" is not a message"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char err[PBJSON_ERR_MAX] = "";
        Pbjsontest__Request *r = malloc(sizeof *r);
        pbjsontest__request__init(r);
        ck_assert_msg(set1(&r->base, cases[i].path, cases[i].value, err) == -1, "accepted %s=%s", cases[i].path,
                      cases[i].value);
        ck_assert_msg(strcmp(err, cases[i].want) == 0, "%s=%s: got '%s', want '%s'", cases[i].path, cases[i].value,
                      err, cases[i].want);
        free_msg(r);
    }
    char err[PBJSON_ERR_MAX];
    Pbjsontest__Request *r = malloc(sizeof *r);
    pbjsontest__request__init(r);
    const char *two[] = {"a", "b"};
    ck_assert_int_eq(pbjson_set_field(&r->base, "node_id", two, 2, err, sizeof err), -1);
    ck_assert_str_eq(err, "too many values for field \"node_id\": a, b");
    free_msg(r);
}
END_TEST

START_TEST(test_set_query)
{
    static const struct {
        const char *query, *want_err; /* NULL: accepted */
    } cases[] = {
        {"node_id=a&force=true&tags=x&tags=y", NULL},
        {"nodeId=a%20b&port=%2B5", NULL},
        {"node_id=a+b", NULL},
        {"custom_labels[env]=prod", NULL},
        {"unknown=1&inner.unknown=2", NULL},
        {"&&node_id=a&", NULL},
        {"node_id=%zz", "invalid URL escape \"%zz\""},
        {"node_id=%4", "invalid URL escape \"%4\""},
        {"node_id=a;b", "invalid semicolon separator in query"},
        {"force=yes", "parsing field \"force\": strconv.ParseBool: parsing \"yes\": invalid syntax"},
        {"node_id=a&node_id=b", "too many values for field \"node_id\": a, b"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char err[PBJSON_ERR_MAX] = "";
        Pbjsontest__Request *r = malloc(sizeof *r);
        pbjsontest__request__init(r);
        int rc = pbjson_set_query(&r->base, cases[i].query, NULL, 0, err, sizeof err);
        if (cases[i].want_err) {
            ck_assert_msg(rc == -1, "accepted %s", cases[i].query);
            ck_assert_msg(strcmp(err, cases[i].want_err) == 0, "%s: got '%s'", cases[i].query, err);
        } else {
            ck_assert_msg(rc == 0, "%s: %s", cases[i].query, err);
        }
        if (i == 0) {
            ck_assert_str_eq(r->node_id, "a");
            ck_assert(r->force);
            ck_assert_uint_eq(r->n_tags, 2);
        } else if (i == 1) {
            ck_assert_str_eq(r->node_id, "a b");
            ck_assert_int_eq(r->port, 5);
        } else if (i == 2) {
            ck_assert_str_eq(r->node_id, "a b");
        } else if (i == 3) {
            ck_assert_uint_eq(r->n_custom_labels, 1);
        }
        free_msg(r);
    }
    /* path parameters are skipped by the query parser (its filter) */
    char err[PBJSON_ERR_MAX];
    Pbjsontest__Request *r = malloc(sizeof *r);
    pbjsontest__request__init(r);
    const char *skip[] = {"node_id"};
    ck_assert_int_eq(pbjson_set_query(&r->base, "node_id=q&nodeId=q2&force=1", skip, 1, err, sizeof err), 0);
    ck_assert_str_eq(r->node_id, "");
    ck_assert(r->force);
    free_msg(r);
}
END_TEST

START_TEST(test_check_utf8)
{
    char err[PBJSON_ERR_MAX];
    Pbjsontest__Request *r = malloc(sizeof *r);
    pbjsontest__request__init(r);
    ck_assert_int_eq(pbjson_check_utf8(&r->base, err, sizeof err), 0);
    ck_assert_int_eq(set1(&r->base, "inner.name", "\xff", err), 0);
    ck_assert_int_eq(pbjson_check_utf8(&r->base, err, sizeof err), -1);
    ck_assert_str_eq(err, "string field contains invalid UTF-8");
    free_msg(r);
}
END_TEST

/* ---- robustness ----------------------------------------------------------------------- */

static uint32_t rng_state = 12345;
static uint32_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return rng_state;
}

static json_t *random_json(int depth);

static void try_all(const char *text)
{
    static const ProtobufCMessageDescriptor *ds[] = {
        &pbjsontest__request__descriptor, &pbjsontest__wkt__descriptor, &pbjsontest__maps__descriptor,
        &pbjsontest__choice__descriptor,  &pbjsontest__repeats__descriptor,
        &pbjsontest__scalars__descriptor,
    };
    json_t *j = json_loads(text, JSON_DECODE_ANY, NULL);
    if (!j)
        return;
    for (size_t d = 0; d < sizeof ds / sizeof ds[0]; d++) {
        ProtobufCMessage *m = NULL;
        char err[PBJSON_ERR_MAX];
        if (pbjson_decode(j, ds[d], &m, err, sizeof err) == 0) {
            char *s = pbjson_write(m, NULL);
            ck_assert_ptr_nonnull(s);
            free(s);
            free_msg(m);
        } else {
            ck_assert_ptr_null(m);
            ck_assert(err[0] != '\0');
        }
    }
    json_decref(j);
}

START_TEST(test_fuzz_mutations)
{
    static const char *seeds[] = {
        "{\"node_id\": \"n\", \"node_type\": \"COLOR_RED\", \"force\": true, \"port\": 5, "
        "\"max_size\": \"10\", \"big\": 7, \"ratio\": 0.5, \"score\": \"NaN\", \"blob\": \"AAE=\", "
        "\"interval\": \"1s\", \"since\": \"2024-01-01T00:00:00Z\", \"tags\": [\"a\"], "
        "\"inner\": {\"name\": \"i\", \"child\": {\"count\": 1}}, \"custom_labels\": {\"a\": \"b\"}, "
        "\"enabled\": true, \"colors\": [1, \"COLOR_BLUE\"], \"scalars\": {\"fl\": 1.5, \"by\": \"-_\"}}",
        "{\"ts\": \"2024-01-01T00:00:00.5Z\", \"val\": {\"a\": [1, null, {\"b\": \"c\"}]}, "
        "\"any\": {\"@type\": \"x/pbjsontest.Inner\", \"name\": \"q\"}, \"anys\": [{\"@type\": "
        "\"x/google.protobuf.Duration\", \"value\": \"2s\"}], \"st\": {\"k\": true}, \"list\": [[], {}], "
        "\"i64_val\": \"5\", \"bytes_val\": \"AA\"}",
        "{\"labels\": {\"a\": \"b\"}, \"by_id\": {\"1\": \"x\"}, \"by_flag\": {\"false\": \"3\"}, "
        "\"colors\": {\"9\": \"COLOR_RED\"}, \"inners\": {\"z\": {\"count\": 2}}, \"values\": {\"v\": []}, "
        "\"text\": \"t\", \"opt\": \"o\", \"wait\": \"3s\"}",
    };
    static const char *tokens[] = {"{", "}", "[", "]", ",", ":", "\"", "null", "true", "1e999",
                                   "-0", "\"\\u0000\"", "\"NaN\"", "{\"@type\":\"x/y\"}", "[[[[",
                                   "9223372036854775808", "\"COLOR_GREEN\"", "0.1", "\"\\ud800\""};
    pbjson_register_type(&pbjsontest__inner__descriptor);
    char buf[2048];
    for (int iter = 0; iter < 4000; iter++) {
        const char *seed = seeds[rnd() % 3];
        size_t n = strlen(seed);
        memcpy(buf, seed, n + 1);
        int muts = 1 + (int)(rnd() % 4);
        for (int k = 0; k < muts; k++) {
            size_t pos = n ? rnd() % n : 0;
            switch (rnd() % 4) {
            case 0: /* flip a byte */
                buf[pos] = (char)(rnd() & 0xff ? rnd() & 0xff : 'x');
                if (!buf[pos])
                    buf[pos] = '0';
                break;
            case 1: /* delete a span */
            {
                size_t len = 1 + rnd() % 8;
                if (pos + len > n)
                    len = n - pos;
                memmove(buf + pos, buf + pos + len, n - pos - len + 1);
                n -= len;
                break;
            }
            case 2: /* insert a token */
            {
                const char *t = tokens[rnd() % (sizeof tokens / sizeof tokens[0])];
                size_t tl = strlen(t);
                if (n + tl + 1 < sizeof buf) {
                    memmove(buf + pos + tl, buf + pos, n - pos + 1);
                    memcpy(buf + pos, t, tl);
                    n += tl;
                }
                break;
            }
            default: /* duplicate a span */
            {
                size_t len = 1 + rnd() % 16;
                if (pos + len > n)
                    len = n - pos;
                if (n + len + 1 < sizeof buf) {
                    memmove(buf + pos + len, buf + pos, n - pos + 1);
                    n += len;
                }
                break;
            }
            }
        }
        try_all(buf);
    }
    for (size_t i = 0; i < 3; i++)
        try_all(seeds[i]);

    /* Tree-level mutations keep the text parseable, so every round gets
     * past jansson: walk to a random member and replace, drop or wrap it. */
    for (int iter = 0; iter < 3000; iter++) {
        json_t *root = json_loads(seeds[rnd() % 3], 0, NULL);
        ck_assert_ptr_nonnull(root);
        for (int k = 1 + (int)(rnd() % 3); k > 0; k--) {
            json_t *cur = root;
            for (int hops = (int)(rnd() % 4); hops > 0; hops--) {
                json_t *next = NULL;
                if (json_is_object(cur) && json_object_size(cur)) {
                    void *it = json_object_iter(cur);
                    for (size_t skip = rnd() % json_object_size(cur); skip > 0; skip--)
                        it = json_object_iter_next(cur, it);
                    next = json_object_iter_value(it);
                } else if (json_is_array(cur) && json_array_size(cur)) {
                    next = json_array_get(cur, rnd() % json_array_size(cur));
                }
                if (!next || !(json_is_object(next) || json_is_array(next)))
                    break;
                cur = next;
            }
            if (json_is_object(cur) && json_object_size(cur)) {
                void *it = json_object_iter(cur);
                for (size_t skip = rnd() % json_object_size(cur); skip > 0; skip--)
                    it = json_object_iter_next(cur, it);
                switch (rnd() % 3) {
                case 0:
                    json_object_iter_set_new(cur, it, random_json(4));
                    break;
                case 1:
                    json_object_del(cur, json_object_iter_key(it));
                    break;
                default: {
                    json_t *wrap = json_array();
                    json_array_append(wrap, json_object_iter_value(it));
                    json_object_iter_set_new(cur, it, wrap);
                }
                }
            } else if (json_is_array(cur)) {
                json_array_append_new(cur, random_json(4));
            }
        }
        char *text = json_dumps(root, 0);
        try_all(text);
        free(text);
        json_decref(root);
    }
}
END_TEST

/* Random JSON trees whose keys are the messages' own field names, so most
 * of them reach the type checks rather than being ignored. */
static json_t *random_json(int depth)
{
    static const char *keys[] = {"node_id", "port", "inner", "child", "tags", "custom_labels", "name",
                                 "count", "ts", "val", "any", "@type", "value", "st", "list", "text",
                                 "number", "opt", "labels", "by_id", "colors", "fl", "by", "u64",
                                 "enabled", "interval", "scalars", "anys", "durs", "inners"};
    static const char *strs[] = {"", "x", "1", "-1", "1s", "COLOR_RED", "2024-01-01T00:00:00Z",
                                 "AAE=", "NaN", "x/pbjsontest.Inner", "x/google.protobuf.Duration",
                                 "1e3", "true", "18446744073709551615"};
    int kind = depth > 6 ? (int)(rnd() % 5) : (int)(rnd() % 7);
    switch (kind) {
    case 0:
        return json_null();
    case 1:
        return json_boolean(rnd() & 1);
    case 2:
        return json_integer((json_int_t)(int32_t)rnd() * (rnd() % 3 ? 1 : 0x100000001LL));
    case 3:
        return json_real((double)(int32_t)rnd() / 7.0);
    case 4:
        return json_string(strs[rnd() % (sizeof strs / sizeof strs[0])]);
    case 5: {
        json_t *a = json_array();
        for (int i = (int)(rnd() % 4); i > 0; i--)
            json_array_append_new(a, random_json(depth + 1));
        return a;
    }
    default: {
        json_t *o = json_object();
        for (int i = (int)(rnd() % 5); i > 0; i--)
            json_object_set_new(o, keys[rnd() % (sizeof keys / sizeof keys[0])], random_json(depth + 1));
        return o;
    }
    }
}

START_TEST(test_fuzz_random_trees)
{
    pbjson_register_type(&pbjsontest__inner__descriptor);
    for (int iter = 0; iter < 3000; iter++) {
        json_t *j = random_json(0);
        char *text = json_dumps(j, JSON_ENCODE_ANY);
        ck_assert_ptr_nonnull(text);
        try_all(text);
        free(text);
        json_decref(j);
    }
}
END_TEST

/* ---- real PMM protos ------------------------------------------------------------------ */

#ifdef HAVE_NODES_PROTO
START_TEST(test_pmm_get_node_response)
{
    Inventory__V1__GenericNode g = INVENTORY__V1__GENERIC_NODE__INIT;
    g.node_id = "pmm-server";
    g.node_name = "pmm-server";
    g.address = "127.0.0.1";
    Inventory__V1__GetNodeResponse r = INVENTORY__V1__GET_NODE_RESPONSE__INIT;
    r.node_case = INVENTORY__V1__GET_NODE_RESPONSE__NODE_GENERIC;
    r.generic = &g;
    ck_render(&r, "{\n"
                  "  \"generic\": {\n"
                  "    \"node_id\": \"pmm-server\",\n"
                  "    \"node_name\": \"pmm-server\",\n"
                  "    \"address\": \"127.0.0.1\",\n"
                  "    \"machine_id\": \"\",\n"
                  "    \"distro\": \"\",\n"
                  "    \"node_model\": \"\",\n"
                  "    \"region\": \"\",\n"
                  "    \"az\": \"\",\n"
                  "    \"custom_labels\": {}\n"
                  "  }\n"
                  "}");
    assert_roundtrip(&r);

    /* ListNodes with a filter: every list key present */
    Inventory__V1__ListNodesResponse l = INVENTORY__V1__LIST_NODES_RESPONSE__INIT;
    ck_render(&l, "{\n"
                  "  \"generic\": [],\n"
                  "  \"container\": [],\n"
                  "  \"remote\": [],\n"
                  "  \"remote_rds\": [],\n"
                  "  \"remote_azure_database\": []\n"
                  "}");

    /* request input: enum by name or number, from body or query */
    Inventory__V1__ListNodesRequest *q =
        decode_ok("{\"node_type\": \"NODE_TYPE_GENERIC_NODE\"}", &inventory__v1__list_nodes_request__descriptor);
    ck_assert_int_eq(q->node_type, INVENTORY__V1__NODE_TYPE__NODE_TYPE_GENERIC_NODE);
    free_msg(q);
    /* an unknown name is dropped (DiscardUnknown), the filter stays unset */
    q = decode_ok("{\"node_type\": \"GENERIC\"}", &inventory__v1__list_nodes_request__descriptor);
    ck_assert_int_eq(q->node_type, 0);
    free_msg(q);
    char err[PBJSON_ERR_MAX];
    q = malloc(sizeof *q);
    inventory__v1__list_nodes_request__init(q);
    ck_assert_int_eq(pbjson_set_query(&q->base, "node_type=NODE_TYPE_REMOTE_NODE", NULL, 0, err, sizeof err), 0);
    ck_assert_int_eq(q->node_type, INVENTORY__V1__NODE_TYPE__NODE_TYPE_REMOTE_NODE);
    free_msg(q);

    Inventory__V1__AddNodeRequest *add =
        decode_ok("{\"generic\": {\"node_name\": \"n1\", \"address\": \"10.0.0.1\", "
                  "\"customLabels\": {\"env\": \"prod\"}}}",
                  &inventory__v1__add_node_request__descriptor);
    ck_assert_int_eq(add->node_case, INVENTORY__V1__ADD_NODE_REQUEST__NODE_GENERIC);
    ck_assert_str_eq(add->generic->node_name, "n1");
    ck_assert_uint_eq(add->generic->n_custom_labels, 1);
    free_msg(add);
    decode_fails("{\"generic\": {}, \"container\": {}}", &inventory__v1__add_node_request__descriptor,
                 "error parsing \"container\", oneof inventory.v1.AddNodeRequest.node is already set");
}
END_TEST
#endif

static Suite *pbjson_suite(void)
{
    Suite *s = suite_create("pbjson");
    TCase *out = tcase_create("encode");
    tcase_add_test(out, test_encode_scalar_defaults);
    tcase_add_test(out, test_encode_scalar_values);
    tcase_add_test(out, test_encode_unknown_enum_number);
    tcase_add_test(out, test_encode_nonfinite_floats);
    tcase_add_test(out, test_write_map_edges);
    tcase_add_test(out, test_write_depth_and_length);
    tcase_add_test(out, test_number_layout);
    tcase_add_test(out, test_encode_repeated);
    tcase_add_test(out, test_encode_reuse_buffer);
    tcase_add_test(out, test_encode_maps);
    tcase_add_test(out, test_encode_oneof_and_optional);
    tcase_add_test(out, test_encode_declaration_order);
    tcase_add_test(out, test_encode_concurrent);
    tcase_add_test(out, test_encode_invalid_utf8);
    tcase_add_test(out, test_explicit_presence);
    tcase_add_test(out, test_encode_wkt_unset);
    tcase_add_test(out, test_encode_wkt_set);
    tcase_add_test(out, test_timestamp_forms);
    tcase_add_test(out, test_duration_forms);
    tcase_add_test(out, test_base64_forms);
    tcase_add_test(out, test_dumps_layout);
    suite_add_tcase(s, out);

    TCase *in = tcase_create("decode");
    tcase_add_test(in, test_decode_forms);
    tcase_add_test(in, test_decode_names);
    tcase_add_test(in, test_decode_nulls);
    tcase_add_test(in, test_decode_oneofs);
    tcase_add_test(in, test_decode_wkt);
    tcase_add_test(in, test_decode_errors);
    tcase_add_test(in, test_decode_discards);
    tcase_add_test(in, test_decode_body);
    tcase_add_test(in, test_decode_bad_strings);
    tcase_add_test(in, test_decode_depth_limit);
    tcase_add_test(in, test_roundtrip_request);
    suite_add_tcase(s, in);

    TCase *q = tcase_create("query");
    tcase_add_test(q, test_set_field);
    tcase_add_test(q, test_set_field_errors);
    tcase_add_test(q, test_set_query);
    tcase_add_test(q, test_check_utf8);
    suite_add_tcase(s, q);

    TCase *fz = tcase_create("fuzz");
    tcase_set_timeout(fz, 120);
    tcase_add_test(fz, test_fuzz_mutations);
    tcase_add_test(fz, test_fuzz_random_trees);
    suite_add_tcase(s, fz);

#ifdef HAVE_NODES_PROTO
    TCase *pmm = tcase_create("pmm");
    tcase_add_test(pmm, test_pmm_get_node_response);
    suite_add_tcase(s, pmm);
#endif
    return s;
}

int main(void)
{
    return check_run(pbjson_suite());
}
