/* envelope: the msgpack request/reply maps that travel on the bus.
 *   request {v, id, method, deadline_ms, caller: {user, role}, body}
 *   reply   {v, id, code, message, body}
 * body is the protobuf encoding of the gRPC request/response message.
 * Decoding never trusts its input: any malformed map is rejected with -1. */
#ifndef PMM_ENVELOPE_H
#define PMM_ENVELOPE_H

#include <stddef.h>
#include <stdint.h>

#define ENVELOPE_VERSION 1

typedef struct {
    uint64_t id;
    char *method;        /* "/inventory.v1.NodesService/GetNode" */
    int64_t deadline_ms; /* absolute, ms since the Unix epoch; 0 = none */
    char *user;          /* authenticated caller, "" when none */
    char *role;          /* "admin" | "editor" | "viewer" | "" */
    uint8_t *body;
    size_t body_len;
} bus_request;

typedef struct {
    uint64_t id;
    int code;            /* gRPC status code */
    char *message;
    uint8_t *body;
    size_t body_len;
} bus_reply;

/* Encode into a malloc'd buffer (*out, *len). Return 0, or -1 on ENOMEM. */
int bus_request_encode(const bus_request *r, uint8_t **out, size_t *len);
int bus_reply_encode(const bus_reply *r, uint8_t **out, size_t *len);

/* Decode into owned copies (free with *_clear). Return 0, or -1 when the
 * bytes are not a well-formed envelope (nothing to free then). */
int bus_request_decode(const uint8_t *buf, size_t len, bus_request *out);
int bus_reply_decode(const uint8_t *buf, size_t len, bus_reply *out);

void bus_request_clear(bus_request *r);
void bus_reply_clear(bus_reply *r);

/* Milliseconds since the epoch (CLOCK_REALTIME). */
int64_t bus_now_ms(void);

#endif
