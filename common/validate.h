/* validate: the request checks protoc-gen-validate makes upstream, with
 * its exact texts ("invalid GetNodeRequest.NodeId: value length must be at
 * least 1 runes"). */
#ifndef PMM_VALIDATE_H
#define PMM_VALIDATE_H

#include <stddef.h>

#include "rpc.h"

/* min_len: value must have at least min runes (UTF-8 code points, not
 * bytes). msg is the request message name, field its Go name. */
int validate_min_len(rpc_status *st, const char *value, size_t min, const char *msg, const char *field);

/* Wraps the failure of an embedded message's check (st as left by it) as
 * protoc-gen-validate does: "invalid <msg>.<field>: embedded message
 * failed validation | caused by: <inner message>". Returns st->code. */
int validate_embedded(rpc_status *st, const char *msg, const char *field);

#endif
