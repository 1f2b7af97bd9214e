/* pbjson: JSON <-> protobuf-c transcoding driven by protobuf-c descriptors,
 * the way PMM's grpc-gateway (v2, protojson) does it. Output: proto field
 * names, unpopulated fields emitted ("" 0 false [] {} null), unset oneof
 * members and proto3 optionals (one-member oneofs) omitted, enums as
 * names, 64-bit integers as strings, Duration "60s", Timestamp RFC 3339,
 * Empty {}, wrappers as their value, Struct/Value/ListValue as JSON, maps
 * as objects, bytes as base64. Input: request bodies as JSONPb decodes
 * them (encoding/json's first value, then protojson with DiscardUnknown:
 * unknown fields and unknown enum names dropped, protojson's error texts
 * and positions), URL query and path parameters as the runtime's query
 * parser sets them (its own rules and texts). Never crashes on any input. */
#ifndef PMM_PBJSON_H
#define PMM_PBJSON_H

#include <stddef.h>
#include <jansson.h>
#include <protobuf-c/protobuf-c.h>

#define PBJSON_ERR_MAX 512

/* m as JSON text with two-space indentation, as PMM prints it; malloc'd,
 * NUL-terminated, *len its length (len may be NULL). NULL on ENOMEM or
 * nesting deeper than any PMM message (Struct/Value can recurse). Written
 * directly, with no JSON tree in between. */
char *pbjson_write(const ProtobufCMessage *m, size_t *len);
/* pbjson_write into buf (malloc'd, cap bytes, or NULL), grown as needed:
 * a caller that keeps the buffer of its last large answer writes the next
 * one without growing and faulting in tens of megabytes again. buf is no
 * longer the caller's (freed on failure). */
char *pbjson_write_reuse(const ProtobufCMessage *m, char *buf, size_t cap, size_t *len);

/* A jansson value as text in the same layout (error bodies, tests). */
char *pbjson_dumps(const json_t *j);

/* A REST request body as the generated grpc-gateway handler decodes it:
 * encoding/json reads the first JSON value (what follows is ignored; an
 * empty or blank body is an empty request), then protojson.Unmarshal with
 * DiscardUnknown. 0 and *out (free with protobuf_c_message_free_unpacked),
 * or -1 with the error text grpc-gateway answers (InvalidArgument):
 * `invalid character 'x' looking for beginning of value`, `unexpected EOF`,
 * `proto: (line 1:14): invalid value for int32 field port: "abc"`, ... */
int pbjson_decode_body(const char *text, size_t len, const ProtobufCMessageDescriptor *d,
                       ProtobufCMessage **out, char *err, size_t errlen);
/* protojson.Unmarshal (DiscardUnknown) of exactly text. */
int pbjson_decode_text(const char *text, size_t len, const ProtobufCMessageDescriptor *d,
                       ProtobufCMessage **out, char *err, size_t errlen);
/* The same for a jansson value (its compact text). */
int pbjson_decode(const json_t *j, const ProtobufCMessageDescriptor *d,
                  ProtobufCMessage **out, char *err, size_t errlen);

/* runtime.PopulateFieldFromPath / the query parser's
 * populateFieldValueFromPath: sets the field at a dotted path ("node_type",
 * "a.b", proto or JSON names) of m from n textual values (n > 1 only for
 * repeated fields; a map takes key and value). Unknown names are ignored.
 * 0, or -1 with the runtime's text (`parsing field "port":
 * strconv.ParseInt: parsing "x": invalid syntax`). */
int pbjson_set_field(ProtobufCMessage *m, const char *path, const char *const *values, size_t n,
                     char *err, size_t errlen);

/* url.QueryUnescape of s[0..n): '+' is a space; malloc'd, NULL with Go's
 * text in err (an escaped NUL is refused: it cannot live in a C string). */
char *pbjson_query_unescape(const char *s, size_t n, char *err, size_t errlen);

/* url.ParseQuery + DefaultQueryParser.Parse on a raw query string (without
 * '?'): skips keys whose path starts with one of the `skip` field paths
 * (the path parameters), in the order given. 0 or -1 with err. */
int pbjson_set_query(ProtobufCMessage *m, const char *raw_query, const char *const *skip, size_t n_skip,
                     char *err, size_t errlen);

/* proto.Marshal's UTF-8 check of every string (a query or path value may
 * carry any bytes): 0, or -1 with "string field contains invalid UTF-8",
 * which grpc-go's codec reports as Internal "grpc: error while
 * marshaling: ...". */
int pbjson_check_utf8(const ProtobufCMessage *m, char *err, size_t errlen);

/* Makes a message type known to google.protobuf.Any rendering (output:
 * its fields next to "@type"; input: decoded and packed). Well-known types
 * are always known. Call at startup, before threads use pbjson. */
void pbjson_register_type(const ProtobufCMessageDescriptor *d);

#endif
