/* fuzz_agent_stream: agentsd's side of the pmm-agent stream on fake
 * connections: internal.v1.StreamMessage frames as the stream loop
 * unpacks them (agentsd/loop.c) handed to the registry's handler, which
 * admits, relays to the protocol dispatch (agentsd/protocol.c), answers,
 * times out and ends streams. No socket, no database: the database pool
 * refuses every job at once (as while agentsd stops), answers go nowhere.
 *
 * Each input starts with one live stream (id 1, taken over as after an
 * agentsd restart) and is a series of records [op][len: 2 bytes LE][len
 * bytes]:
 *   op % 4 == 0  a raw StreamMessage from the gateway (any kind, any id)
 *   op % 4 == 1  an AgentMessage on stream 1 (wrapped in a FRAME)
 *   op % 4 == 2  a tick, (first byte + 1) x 100 ms later
 *   op % 4 == 3  another OPEN of the same pmm-agent (first byte odd: a
 *                resync), on stream 2 + second byte
 * At the end every stream is ended, as when agentsd stops. */
#include <stdlib.h>
#include <string.h>

#include "agentsd/dbpool.h"
#include "agentsd/registry.h"
#include "bus/stream_msg.h"
#include "clock.h"
#include "log.h"

#define AGENT "pmm-agent-fuzz"

static const loop_handler *H;
static const char GW[] = "gw-fuzz";

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    log_init("fuzz", LOG_FATAL);
    dbpool_stop();
    H = registry_init(NULL);
    return 0;
}

/* Through the bytes, as loop.c receives a frame. */
static void deliver(const uint8_t *frame, size_t len)
{
    Internal__V1__StreamMessage *m = stream_msg_unpack(frame, len);
    if (m)
        H->on_message(GW, sizeof GW - 1, m);
    stream_msg_free(m);
}

static void deliver_msg(const Internal__V1__StreamMessage *m)
{
    zmq_msg_t z;
    if (stream_msg_pack(m, &z) != 0)
        abort();
    deliver(zmq_msg_data(&z), zmq_msg_size(&z));
    zmq_msg_close(&z);
}

static void open_stream(uint64_t id, int resync)
{
    Internal__V1__StreamMeta meta = INTERNAL__V1__STREAM_META__INIT;
    meta.pmm_agent_id = AGENT;
    meta.agent_version = "3.0.0";
    meta.node_id = "node-fuzz";
    meta.node_name = "fuzz";
    meta.resync = resync;
    Internal__V1__StreamMessage m = INTERNAL__V1__STREAM_MESSAGE__INIT;
    m.kind = INTERNAL__V1__STREAM_KIND__STREAM_KIND_OPEN;
    m.stream_id = id;
    m.meta = &meta;
    deliver_msg(&m);
}

static void agent_message(const uint8_t *data, size_t len)
{
    Internal__V1__StreamMessage m = INTERNAL__V1__STREAM_MESSAGE__INIT;
    m.kind = INTERNAL__V1__STREAM_KIND__STREAM_KIND_FRAME;
    m.stream_id = 1;
    m.payload.data = (uint8_t *)data;
    m.payload.len = len;
    deliver_msg(&m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int64_t now = clock_mono_ms();
    open_stream(1, 1);
    while (size >= 3) {
        uint8_t op = data[0];
        size_t len = (size_t)data[1] | (size_t)data[2] << 8;
        data += 3;
        size -= 3;
        if (len > size)
            len = size;
        switch (op % 4) {
        case 0:
            deliver(data, len);
            break;
        case 1:
            agent_message(data, len);
            break;
        case 2:
            now += 100 * ((len ? data[0] : 0) + 1);
            H->on_tick(now);
            break;
        default:
            open_stream(2 + (len > 1 ? data[1] : 0), len > 0 && (data[0] & 1));
            break;
        }
        data += len;
        size -= len;
    }
    H->on_stop();
    return 0;
}
