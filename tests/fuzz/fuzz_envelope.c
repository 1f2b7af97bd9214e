/* fuzz_envelope: the bus envelope decoder (common/bus/envelope.h), which
 * every daemon runs on each request and the gateway on each reply. Input:
 * one msgpack buffer, decoded as a request and as a reply; whatever
 * decodes must encode again and decode to the same fields. */
#include <stdlib.h>
#include <string.h>

#include "bus/envelope.h"
#include "tests/fuzz/fuzz.h"

static int same(const char *a, const char *b)
{
    return strcmp(a ? a : "", b ? b : "") == 0;
}

static int same_bytes(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
    return alen == blen && (alen == 0 || memcmp(a, b, alen) == 0);
}

static void request(const uint8_t *data, size_t size)
{
    bus_request r;
    if (bus_request_decode(data, size, &r) != 0)
        return;
    uint8_t *buf;
    size_t len;
    FUZZ_CHECK(bus_request_encode(&r, &buf, &len) == 0);
    bus_request again;
    FUZZ_CHECK(bus_request_decode(buf, len, &again) == 0);
    FUZZ_CHECK(again.id == r.id && again.deadline_ms == r.deadline_ms);
    FUZZ_CHECK(same(again.method, r.method) && same(again.user, r.user) && same(again.role, r.role));
    FUZZ_CHECK(same_bytes(again.body, again.body_len, r.body, r.body_len));
    bus_request_clear(&again);
    bus_request_clear(&r);
    free(buf);
}

static void reply(const uint8_t *data, size_t size)
{
    bus_reply r;
    if (bus_reply_decode(data, size, &r) != 0)
        return;
    uint8_t *buf;
    size_t len;
    FUZZ_CHECK(bus_reply_encode(&r, &buf, &len) == 0);
    bus_reply again;
    FUZZ_CHECK(bus_reply_decode(buf, len, &again) == 0);
    FUZZ_CHECK(again.id == r.id && again.code == r.code && same(again.message, r.message));
    FUZZ_CHECK(same_bytes(again.body, again.body_len, r.body, r.body_len));
    bus_reply_clear(&again);
    bus_reply_clear(&r);
    free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    request(data, size);
    reply(data, size);
    return 0;
}
