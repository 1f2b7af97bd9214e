/* pbjson: JSON <-> protobuf transcoding driven by protobuf-c descriptors,
 * following grpc-gateway's protojson settings in PMM: proto field names,
 * unpopulated fields emitted ("" 0 false [] {} null), unset oneof members
 * and proto3 optionals (one-member oneofs) omitted, enums as names,
 * 64-bit integers as strings, Duration "60s", Timestamp RFC 3339, Empty {},
 * wrappers as their value, Struct/Value/ListValue as JSON, maps as objects,
 * bytes as base64. Input: proto names and lowerCamel names accepted,
 * unknown fields ignored, enum names or numbers, unknown enum names and
 * wrong JSON types rejected. Never crashes on any input. */
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

/* Builds a new message of type d from j (an object). Returns 0 and *out
 * (free with protobuf_c_message_free_unpacked(*out, NULL)), or -1 with a
 * human message in err. */
int pbjson_decode(const json_t *j, const ProtobufCMessageDescriptor *d,
                  ProtobufCMessage **out, char *err, size_t errlen);

/* Sets the field named by a dotted path ("node_type", "a.b") in the JSON
 * object obj from a textual value (URL path or query parameter), converted
 * to the JSON type the field wants (bool, number, string, enum name);
 * repeated fields accumulate into an array. Returns 0, or -1 with err set
 * (unknown field names are ignored and return 0, as grpc-gateway does). */
int pbjson_set_text(json_t *obj, const ProtobufCMessageDescriptor *d,
                    const char *path, const char *value, char *err, size_t errlen);

/* Makes a message type known to google.protobuf.Any rendering (output:
 * its fields next to "@type"; input: decoded and packed). Well-known types
 * are always known. Call at startup, before threads use pbjson. */
void pbjson_register_type(const ProtobufCMessageDescriptor *d);

#endif
