/* validate: the request checks protoc-gen-validate makes upstream, with
 * its exact texts ("invalid GetNodeRequest.NodeId: value length must be at
 * least 1 runes"), and its wrapping of a nested message's failure. */
#ifndef PMM_VALIDATE_H
#define PMM_VALIDATE_H

#include <stddef.h>
#include <stdint.h>

#include "rpc.h"

/* min_len: value must have at least min runes (UTF-8 code points, not
 * bytes). msg is the request message name, field its Go name. */
int validate_min_len(rpc_status *st, const char *value, size_t min, const char *msg, const char *field);

/* duration {gte: {seconds: 0}} on a set Duration (seconds, nanos):
 * "value must be greater than or equal to 0s". */
int validate_duration_gte0(rpc_status *st, int64_t seconds, int32_t nanos, const char *msg, const char *field);

/* An embedded message (oneof member or field proto_field of message
 * outer) failed with st's text: protoc-gen-validate reports it as
 * "invalid <outer>.<GoName>: embedded message failed validation | caused
 * by: <text>". Call it on the failure of the nested message's own checks
 * only. Returns st->code. */
int validate_embedded(rpc_status *st, const char *outer, const char *proto_field);

/* protoc-gen-go's Go name of a proto field: "remote_rds" -> "RemoteRds". */
void validate_go_name(const char *proto_name, char *out, size_t outlen);

#endif
