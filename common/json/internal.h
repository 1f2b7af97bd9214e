/* internal: pieces shared by the pbjson encoder, decoder, dumper and
 * query-text converter: well-known-type detection, field lookup and order,
 * the text forms (numbers, base64, Timestamp, Duration) and the JSON text
 * writer both the encoder and the dumper print with. Not a public
 * interface; only common/pbjson*.c include it. */
#ifndef PMM_PBJSON_INTERNAL_H
#define PMM_PBJSON_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "pbjson.h"

/* Decoder nesting limit (objects, arrays, messages) against hostile input. */
#define PBJ_MAX_DEPTH 64
/* Encoder nesting limit: our own messages, but Struct/Value can recurse. */
#define PBJ_MAX_ENCODE_DEPTH 200

/* Message types whose JSON form is not a plain object of fields. */
typedef enum {
    PBJ_WKT_NONE = 0,
    PBJ_WKT_TIMESTAMP,
    PBJ_WKT_DURATION,
    PBJ_WKT_EMPTY,     /* {} like any message, but "value" inside Any */
    PBJ_WKT_WRAPPER,   /* DoubleValue ... BytesValue: the bare value */
    PBJ_WKT_STRUCT,
    PBJ_WKT_VALUE,
    PBJ_WKT_LIST,
    PBJ_WKT_ANY,
} pbj_wkt;

pbj_wkt pbj_wkt_kind(const ProtobufCMessageDescriptor *d);

/* protobuf-c has no map flag: a map<K,V> is a repeated "XxxEntry" message
 * with exactly key=1, value=2. */
bool pbj_is_map(const ProtobufCFieldDescriptor *f);

/* Enum field of type google.protobuf.NullValue (JSON null). */
bool pbj_is_null_enum(const ProtobufCFieldDescriptor *f);

/* Field for a JSON key: the proto name or the lowerCamel JSON name. */
const ProtobufCFieldDescriptor *pbj_field_by_key(const ProtobufCMessageDescriptor *d,
                                                 const char *key);

/* Writes the lowerCamel JSON name of a proto field name into out. */
void pbj_json_name(const char *proto_name, char *out, size_t outlen);

/* Descriptor for an Any type URL (".../pkg.Msg"): well-known types and
 * types given to pbjson_register_type; NULL if unknown. */
const ProtobufCMessageDescriptor *pbj_find_type(const char *type_url);

/* Bytes one element of a scalar/string/bytes/message field takes in a
 * protobuf-c struct or repeated array. */
size_t pbj_elem_size(ProtobufCType t);

/* One value of any field type; every member starts at offset 0, so
 * pbj_elem_size(type) bytes of it are what a struct member holds. */
typedef union {
    int32_t i32;
    int64_t i64;
    uint32_t u32;
    uint64_t u64;
    float f;
    double d;
    protobuf_c_boolean b;
    int e;
    char *s;
    ProtobufCBinaryData bytes;
    ProtobufCMessage *msg;
} pbj_value;

/* Proto type name for error texts ("int32", "string", "enum", ...). */
const char *pbj_type_name(const ProtobufCFieldDescriptor *f);

/* ---- numbers ---- */

/* Shortest decimal that reads back as v, in Go's JSON layout: plain
 * notation for 1e-6 <= |v| < 1e21, else "1e+21" / "1e-7". v finite.
 * out needs 32 bytes; returns the length. */
size_t pbj_fmt_double(double v, char *out);

/* The double nearest to the shortest decimal form of f, so that printing
 * it with pbj_fmt_double shows what Go shows for a float32. */
double pbj_float_shortest(float f);

/* Parses JSON number text (strict grammar; fraction and exponent allowed
 * if the value is integral) into sign and magnitude. 0 or -1. */
int pbj_parse_json_int(const char *s, size_t n, bool *neg, uint64_t *mag);

/* Go strconv.ParseInt/ParseUint(s, 10, bits)-style: optional sign (signed
 * only), decimal digits only. 0 or -1 (syntax or range). */
int pbj_parse_dec_int(const char *s, int bits, int64_t *out);
int pbj_parse_dec_uint(const char *s, int bits, uint64_t *out);

/* Range check of sign/magnitude for a signed or unsigned width. */
int pbj_mag_to_int(bool neg, uint64_t mag, int bits, int64_t *out);
int pbj_mag_to_uint(bool neg, uint64_t mag, int bits, uint64_t *out);

/* ---- text forms ---- */

/* Copy of s with invalid UTF-8 sequences replaced by U+FFFD; malloc'd. */
char *pbj_utf8_sanitize(const char *s, size_t n, size_t *outlen);

/* Standard padded base64; malloc'd, NUL-terminated. */
char *pbj_base64_encode(const uint8_t *data, size_t len, size_t *outlen);
/* Standard or URL-safe alphabet, padded or not. On success *out is
 * malloc'd (NULL when the result is empty). 0 or -1. */
int pbj_base64_decode(const char *s, size_t n, uint8_t **out, size_t *outlen);

/* Timestamp: RFC 3339 in UTC with 0/3/6/9 fraction digits. -1 when out of
 * the protobuf range (0001..9999, nanos 0..999999999). out needs 40. */
int pbj_fmt_timestamp(int64_t sec, int32_t nanos, char *out);
/* 0, -1 malformed, -2 well-formed but out of range. */
int pbj_parse_timestamp(const char *s, int64_t *sec, int32_t *nanos);
/* Duration "1.500s"; -1 when out of range or signs disagree. out needs 40. */
int pbj_fmt_duration(int64_t sec, int32_t nanos, char *out);
int pbj_parse_duration(const char *s, int64_t *sec, int32_t *nanos);

/* ---- JSON text writer (text.c) ----
 * protojson's layout with Indent "  ": a container's members each on their
 * own line, indented two spaces per level; "{}" and "[]" when empty; only
 * '"', '\\' and control characters escaped. A container's caller keeps its
 * `first` flag (true until a member is written), so no stack is needed.
 * Writes after a failure (ENOMEM) are ignored; pbj_buf_take reports it. */

typedef struct {
    char *p;
    size_t len, cap;
    bool failed;
} pbj_buf;

/* Appends n bytes; inline, as lists append a few bytes millions of times. */
void pbj_put_slow(pbj_buf *b, const char *s, size_t n);
static inline void pbj_put(pbj_buf *b, const char *s, size_t n)
{
    if (b->cap - b->len > n) {
        memcpy(b->p + b->len, s, n);
        b->len += n;
    } else {
        pbj_put_slow(b, s, n);
    }
}
void pbj_put_str(pbj_buf *b, const char *s);
/* A JSON string of the n bytes at s (valid UTF-8 expected). */
void pbj_put_quoted(pbj_buf *b, const char *s, size_t n);
/* A JSON string of the C string s in one pass, each byte that is not
 * part of valid UTF-8 shown as U+FFFD (pbj_utf8_sanitize's rule). */
void pbj_put_string(pbj_buf *b, const char *s);
void pbj_put_int(pbj_buf *b, int64_t v);
void pbj_put_uint(pbj_buf *b, uint64_t v);
/* A finite double in Go's layout (pbj_fmt_double). */
void pbj_put_double(pbj_buf *b, double v);
/* Before each array element of a container at nesting level `level`. */
void pbj_next(pbj_buf *b, int level, bool *first);
/* Before each object member: separator, indentation, quoted key, ": ". */
void pbj_key(pbj_buf *b, int level, bool *first, const char *key, size_t n);
/* The same with the key already written as pbj_key writes it ("\"k\": "). */
void pbj_key_rendered(pbj_buf *b, int level, bool *first, const char *rendered, size_t n);
/* Closes a container opened with pbj_put(b, "{", 1) / "[": `close` is
 * '}' or ']', `first` the container's flag. */
void pbj_close(pbj_buf *b, int level, bool first, char close);
/* The text written so far, NUL-terminated (caller frees), *len its length
 * (len may be NULL); NULL after a failure (the buffer is freed). */
char *pbj_buf_take(pbj_buf *b, size_t *len);

/* ---- Go's text forms (fmt.c) ---- */

/* strconv.Quote of n bytes: "..." with Go's escapes (\x.. for bytes that
 * are not UTF-8). Cut with "..." past outlen. */
void pbj_go_quote(const char *s, size_t n, char *out, size_t outlen);
/* strconv.QuoteRune ('\n', 'a', '\x01'). */
void pbj_go_quote_rune(unsigned r, char *out, size_t outlen);
/* protoreflect.Kind's name ("int32", "enum", "message", ...). */
const char *pbj_kind_name(ProtobufCType t);

/* ---- protojson's tokenizer (token.c) ---- */

enum {
    PJ_EOF = 1, PJ_NULL = 2, PJ_BOOL = 4, PJ_NUMBER = 8, PJ_STRING = 16, PJ_NAME = 32,
    PJ_OBJ_OPEN = 64, PJ_OBJ_CLOSE = 128, PJ_ARR_OPEN = 256, PJ_ARR_CLOSE = 512, PJ_COMMA = 1024,
};

typedef struct {
    unsigned kind;
    size_t pos, rawlen; /* the raw text is orig[pos .. pos+rawlen) */
    bool b;
    char *str;          /* decoded string or name (scratch, until the next token) */
    size_t slen;
} pj_token;

typedef struct {
    const char *orig;
    size_t n, in;          /* input and the offset of what is unread */
    unsigned char *stack;  /* open containers: 0 object, 1 array */
    size_t depth, cap;
    pj_token last;
    int lastcall, lasterr;
    char *sbuf;
    size_t scap;
    char *err;
    size_t errlen;
    bool failed;
} pj_dec;

void pj_init(pj_dec *d, const char *text, size_t n, char *err, size_t errlen);
void pj_free(pj_dec *d);
/* A copy that reads on from the same place (for Any's look-ahead). */
int pj_clone(const pj_dec *d, pj_dec *out);
int pj_read(pj_dec *d, pj_token *t);
int pj_peek(pj_dec *d, pj_token *t);
/* Skips one value (protojson's skipJSONValue). */
int pj_skip_value(pj_dec *d, int limit);
/* Line and column (runes, from 1) of byte offset pos. */
void pj_position(const pj_dec *d, size_t pos, int *line, int *col);
/* Error texts, all "proto: "-prefixed; each returns -1. */
int pj_fail(pj_dec *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int pj_error_at(pj_dec *d, size_t pos, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int pj_syntax_at(pj_dec *d, size_t pos, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int pj_unexpected(pj_dec *d, const pj_token *t);
/* Length of a JSON number at s (protojson's parseNumber); *ok false when
 * there is none. */
size_t pj_number_len(const char *s, size_t n, bool *ok);

/* encoding/json's Decoder.Decode into a json.RawMessage: finds the first
 * JSON value of text (gojson.c). 0 with [*start, *end), 1 when the
 * text is empty or blank (io.EOF), -1 with Go's error text in err. */
int pbj_go_first_value(const char *text, size_t n, size_t *start, size_t *end, char *err, size_t errlen);

/* Oneof names, generated by tools/routegen from the descriptor set:
 * protobuf-c keeps no oneof names at run time. */
typedef struct {
    const char *message; /* "inventory.v1.AddNodeRequest" */
    const char *field;   /* "generic" */
    const char *oneof;   /* "node" */
} pbj_oneof_name;
extern const pbj_oneof_name pbj_oneof_table[];
extern const size_t pbj_oneof_table_len;

#endif
