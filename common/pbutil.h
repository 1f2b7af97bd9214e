/* pbutil: build and read protoc-c messages by field name, through their
 * descriptors. Inventory objects come in many kinds (five node messages,
 * seven services, eighteen agents) that share most columns; setting fields
 * by name lets one row-to-message function serve all of them. Strings are
 * copied, so free the result with protobuf_c_message_free_unpacked. */
#ifndef PMM_PBUTIL_H
#define PMM_PBUTIL_H

#include <stdbool.h>
#include <stdint.h>
#include <protobuf-c/protobuf-c.h>

#include "rpc.h"

/* A new zero-initialised message of type d (NULL on ENOMEM). */
ProtobufCMessage *pb_new(const ProtobufCMessageDescriptor *d);

/* Setters return 0, 1 when the message has no such field (ignored), -1 on
 * ENOMEM or a type mismatch. Setting a oneof member selects it. */
int pb_set_str(ProtobufCMessage *m, const char *field, const char *value);
int pb_set_bool(ProtobufCMessage *m, const char *field, bool value);
int pb_set_u32(ProtobufCMessage *m, const char *field, uint32_t value);
int pb_set_i32(ProtobufCMessage *m, const char *field, int32_t value); /* int32 and enums */
int pb_set_i64(ProtobufCMessage *m, const char *field, int64_t value);
/* Takes ownership of child (freed on failure). */
int pb_set_msg(ProtobufCMessage *m, const char *field, ProtobufCMessage *child);
int pb_append_msg(ProtobufCMessage *m, const char *field, ProtobufCMessage *child);
/* A new message of type d with child set as field (a oneof member: the
 * usual response shape). Takes child; NULL on failure (child freed). */
ProtobufCMessage *pb_wrap(const ProtobufCMessageDescriptor *d, const char *field, ProtobufCMessage *child);
/* A handler's ending with pb_wrap: *out = the wrapped child, RPC_OK; or
 * INTERNAL in st. */
int pb_respond(rpc_status *st, const ProtobufCMessageDescriptor *d, const char *field, ProtobufCMessage *child,
               ProtobufCMessage **out);
int pb_append_str(ProtobufCMessage *m, const char *field, const char *value);
/* map<string,string> from a JSON object text ("{}" or NULL -> empty). */
int pb_set_map_json(ProtobufCMessage *m, const char *field, const char *json_text);

/* Getters: a missing field, or an unselected oneof member, reads as the
 * zero value. pb_has tells whether a oneof member / optional is present. */
const char *pb_get_str(const ProtobufCMessage *m, const char *field);
bool pb_get_bool(const ProtobufCMessage *m, const char *field);
uint32_t pb_get_u32(const ProtobufCMessage *m, const char *field);
int32_t pb_get_i32(const ProtobufCMessage *m, const char *field);
const ProtobufCMessage *pb_get_msg(const ProtobufCMessage *m, const char *field);
bool pb_has(const ProtobufCMessage *m, const char *field);
/* map<string,string> as a compact JSON object text with sorted keys; malloc'd. */
char *pb_map_to_json(const ProtobufCMessage *m, const char *field);

/* protobuf-c keeps no oneof names, so a oneof is named by any one of its
 * members: the name of the member that is set, or NULL when none is.
 * pb_oneof_selected(add_node_req, "generic") -> "remote_rds". */
const char *pb_oneof_selected(const ProtobufCMessage *m, const char *any_member);

#endif
