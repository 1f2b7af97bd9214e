/* stream_msg: StreamMessage frame codec (see stream_msg.h). */
#include "bus/stream_msg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void free_buf(void *data, void *hint)
{
    (void)hint;
    free(data);
}

void stream_msg_endpoint(char *out, size_t outlen, const char *run_dir)
{
    snprintf(out, outlen, "ipc://%s/agentsd.stream", run_dir);
}

int stream_msg_pack(const Internal__V1__StreamMessage *m, zmq_msg_t *out)
{
    size_t n = internal__v1__stream_message__get_packed_size(m);
    uint8_t *buf = malloc(n ? n : 1);
    if (!buf)
        return -1;
    internal__v1__stream_message__pack(m, buf);
    if (zmq_msg_init_data(out, buf, n, free_buf, NULL) != 0) {
        free(buf);
        return -1;
    }
    return 0;
}

Internal__V1__StreamMessage *stream_msg_unpack(const void *data, size_t len)
{
    static const uint8_t empty[1];
    Internal__V1__StreamMessage *m = internal__v1__stream_message__unpack(NULL, len, data ? data : empty);
    if (m && m->kind == INTERNAL__V1__STREAM_KIND__STREAM_KIND_UNSPECIFIED) {
        internal__v1__stream_message__free_unpacked(m, NULL);
        return NULL;
    }
    return m;
}

void stream_msg_free(Internal__V1__StreamMessage *m)
{
    if (m)
        internal__v1__stream_message__free_unpacked(m, NULL);
}

int stream_msg_make(zmq_msg_t *out, Internal__V1__StreamKind kind, uint64_t stream_id,
                    const void *payload, size_t payload_len, int code, const char *message)
{
    Internal__V1__StreamMessage m = INTERNAL__V1__STREAM_MESSAGE__INIT;
    m.kind = kind;
    m.stream_id = stream_id;
    m.payload.data = (uint8_t *)payload;
    m.payload.len = payload ? payload_len : 0;
    m.code = code;
    if (message)
        m.message = (char *)message;
    return stream_msg_pack(&m, out);
}

int stream_msg_credit(zmq_msg_t *out, uint64_t stream_id, uint64_t bytes)
{
    Internal__V1__StreamMessage m = INTERNAL__V1__STREAM_MESSAGE__INIT;
    m.kind = INTERNAL__V1__STREAM_KIND__STREAM_KIND_CREDIT;
    m.stream_id = stream_id;
    m.credit = bytes;
    return stream_msg_pack(&m, out);
}

static size_t put_varint(uint8_t *p, uint64_t v)
{
    size_t n = 0;
    while (v >= 0x80) {
        p[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    p[n++] = (uint8_t)v;
    return n;
}

/* Fields in number order, as protobuf-c packs them: kind = 1 (varint),
 * stream_id = 2 (varint, omitted when 0), payload = 3 (bytes, omitted
 * when empty). */
int stream_msg_frame(zmq_msg_t *out, uint64_t stream_id, size_t len, uint8_t **payload)
{
    uint8_t head[2 + 11 + 11];
    size_t h = 0;
    head[h++] = 0x08;
    head[h++] = INTERNAL__V1__STREAM_KIND__STREAM_KIND_FRAME;
    if (stream_id) {
        head[h++] = 0x10;
        h += put_varint(head + h, stream_id);
    }
    if (len) {
        head[h++] = 0x1a;
        h += put_varint(head + h, len);
    }
    uint8_t *buf = malloc(h + len);
    if (!buf)
        return -1;
    memcpy(buf, head, h);
    if (zmq_msg_init_data(out, buf, h + len, free_buf, NULL) != 0) {
        free(buf);
        return -1;
    }
    *payload = buf + h;
    return 0;
}
