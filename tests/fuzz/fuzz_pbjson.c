/* fuzz_pbjson: the JSON transcoder's decoder (common/json/pbjson.h) on
 * REST bodies, as gateway/rest.c reads them (pbjson_decode_body:
 * encoding/json's first value, then protojson). Input:
 * two bytes choose a route of the REST table (its request type), the rest
 * is the body. What decodes is written back as JSON, and that text must
 * decode to a message that packs to the same bytes. */
#include <stdlib.h>
#include <string.h>

#include "tests/fuzz/fuzz.h"
#include "json/pbjson.h"
#include "json/route.h"

FUZZ_QUIET_INIT

static ProtobufCMessage *decode(const char *text, size_t len, const ProtobufCMessageDescriptor *d, int body)
{
    ProtobufCMessage *m = NULL;
    char err[PBJSON_ERR_MAX];
    int rc = body ? pbjson_decode_body(text, len, d, &m, err, sizeof err)
                  : pbjson_decode_text(text, len, d, &m, err, sizeof err);
    return rc == 0 ? m : NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2 || route_table_len == 0)
        return 0;
    const ProtobufCMessageDescriptor *d = route_table[(data[0] << 8 | data[1]) % route_table_len].request;
    ProtobufCMessage *m = decode((const char *)data + 2, size - 2, d, 1);
    if (!m)
        return 0;
    size_t text_len;
    char *text = pbjson_write(m, &text_len);
    FUZZ_CHECK(text);
    ProtobufCMessage *again = decode(text, text_len, d, 0);
    FUZZ_CHECK(again);
    size_t len1, len2;
    uint8_t *once = fuzz_pack(m, &len1), *twice = fuzz_pack(again, &len2);
    FUZZ_CHECK(len1 == len2 && memcmp(once, twice, len1) == 0);
    free(once);
    free(twice);
    free(text);
    protobuf_c_message_free_unpacked(again, NULL);
    protobuf_c_message_free_unpacked(m, NULL);
    return 0;
}
