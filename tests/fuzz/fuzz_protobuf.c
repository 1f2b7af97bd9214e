/* fuzz_protobuf: protobuf decoding of every public request type, as the
 * gateway's gRPC front hands a client's bytes to a daemon, which unpacks
 * them with protobuf-c. Input: two bytes choose a route of the REST table
 * (every public request type has one), the rest is the message. What
 * decodes is written as JSON (the REST answer path), packed and unpacked
 * again. No equality is asked of the round trip: protobuf-c keeps unknown
 * fields as they came and reads an overlong tag 0 (0x80 0x00), which it
 * then packs as the invalid tag 0 and refuses to read back. */
#include <stdlib.h>
#include <string.h>

#include "tests/fuzz/fuzz.h"
#include "json/pbjson.h"
#include "json/route.h"

FUZZ_QUIET_INIT

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2 || route_table_len == 0)
        return 0;
    const route_entry *r = &route_table[(data[0] << 8 | data[1]) % route_table_len];
    ProtobufCMessage *m = protobuf_c_message_unpack(r->request, NULL, size - 2, data + 2);
    if (!m)
        return 0;
    size_t text_len;
    free(pbjson_write(m, &text_len));
    size_t len;
    uint8_t *once = fuzz_pack(m, &len);
    ProtobufCMessage *again = protobuf_c_message_unpack(r->request, NULL, len, once);
    if (again) {
        free(pbjson_write(again, &text_len));
        protobuf_c_message_free_unpacked(again, NULL);
    }
    free(once);
    protobuf_c_message_free_unpacked(m, NULL);
    return 0;
}
