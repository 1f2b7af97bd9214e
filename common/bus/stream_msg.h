/* stream_msg: the internal.v1.StreamMessage frames of the pmm-agent stream
 * relay between the gateway and agentsd (proto/internal/v1/agentstream.proto).
 * One StreamMessage is one ZeroMQ frame; agentsd's ROUTER adds the routing
 * id frame in front. */
#ifndef PMM_STREAM_MSG_H
#define PMM_STREAM_MSG_H

#include <stddef.h>
#include <stdint.h>

#include <zmq.h>

#include "internal/v1/agentstream.pb-c.h"

/* ipc://<run_dir>/agentsd.stream */
void stream_msg_endpoint(char *out, size_t outlen, const char *run_dir);

/* Packs m into *out (initialised here). 0, or -1 on ENOMEM. */
int stream_msg_pack(const Internal__V1__StreamMessage *m, zmq_msg_t *out);
/* Unpacks one frame; NULL when it is not a StreamMessage or has no kind.
 * Free with stream_msg_free. */
Internal__V1__StreamMessage *stream_msg_unpack(const void *data, size_t len);
void stream_msg_free(Internal__V1__StreamMessage *m);

/* What a FRAME with a payload of len bytes counts for in the relay's flow
 * control (STREAM_KIND_CREDIT): its payload and a fixed overhead for the
 * bookkeeping around it (ZeroMQ message, queue entries), so that many tiny
 * frames count too. Gateway and agentsd must count the same. */
#define STREAM_MSG_FRAME_OVERHEAD 512
static inline uint64_t stream_msg_charge(size_t len)
{
    return (uint64_t)len + STREAM_MSG_FRAME_OVERHEAD;
}

/* Convenience for the common shapes (payload / meta / message may be NULL). */
int stream_msg_make(zmq_msg_t *out, Internal__V1__StreamKind kind, uint64_t stream_id,
                    const void *payload, size_t payload_len, int code, const char *message);
/* A FRAME of stream_id with a payload of len bytes that the caller writes
 * at *payload afterwards, the same bytes stream_msg_make packs: a large
 * agent message is copied once, straight from grpc's buffers. 0, or -1 on
 * ENOMEM. */
int stream_msg_frame(zmq_msg_t *out, uint64_t stream_id, size_t len, uint8_t **payload);
/* A CREDIT of bytes for stream_id. */
int stream_msg_credit(zmq_msg_t *out, uint64_t stream_id, uint64_t bytes);

#endif
