/* envelope: the msgpack request/reply maps that travel on the bus.
 *   request {v, id, method, deadline_ms, caller: {user, role, uid[, authz][, grafana]}, body}
 *   reply   {v, id, code, message, body}
 * body is the protobuf encoding of the gRPC request/response message.
 * Decoding never trusts its input: any malformed map is rejected with -1. */
#ifndef PMM_ENVELOPE_H
#define PMM_ENVELOPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ENVELOPE_VERSION 1

/* Limits enforced by both encode and decode. */
#define ENVELOPE_MAX_BODY    ((size_t)110 << 20) /* bytes of protobuf body */
#define ENVELOPE_MAX_METHOD  256                 /* bytes of method name */
#define ENVELOPE_MAX_NAME    1024                /* bytes of user / role */
#define ENVELOPE_MAX_AUTHZ   8192                /* bytes of the caller's Authorization */
#define ENVELOPE_MAX_MESSAGE 65536               /* bytes of reply message */
#define ENVELOPE_MAX_OBJECTS 4096                /* msgpack objects in one envelope */

typedef struct {
    uint64_t id;
    char *method;        /* "/inventory.v1.NodesService/GetNode" */
    int64_t deadline_ms; /* absolute, ms since the Unix epoch; 0 = none */
    char *user;          /* authenticated caller, "" when none */
    char *role;          /* "admin" | "editor" | "viewer" | "" */
    uint32_t user_id;    /* the caller's numeric user id (users.user_id, or
                            Grafana's when Grafana authenticated it); 0 for
                            none (a service token, an internal call).
                            user.v1 and the roles of access control key on
                            it. Absent from older senders: 0. */
    char *authz;         /* the caller's Authorization header, sent only when
                            the gateway runs next to a Grafana: handlers that
                            call Grafana on the caller's behalf (AddAnnotation,
                            RegisterNode) pass it on as upstream does. A
                            secret: never logged. NULL/"" when absent. */
    bool grafana;        /* Grafana (not inventoryd) admitted the caller */
    uint8_t *body;       /* may be NULL when body_len is 0 */
    size_t body_len;
} bus_request;

typedef struct {
    uint64_t id;
    int code;            /* gRPC status code */
    char *message;
    uint8_t *body;
    size_t body_len;
} bus_reply;

/* Encode into a malloc'd buffer (*out, *len; release with free()). Return 0,
 * or -1 on ENOMEM or when a field breaks the limits above (NULL or empty
 * method; NULL user/role/message are encoded as ""). */
int bus_request_encode(const bus_request *r, uint8_t **out, size_t *len);
int bus_reply_encode(const bus_reply *r, uint8_t **out, size_t *len);

/* Decode into owned copies (free with *_clear). Return 0, or -1 when the
 * bytes are not a well-formed envelope (nothing to free then). */
int bus_request_decode(const uint8_t *buf, size_t len, bus_request *out);
int bus_reply_decode(const uint8_t *buf, size_t len, bus_reply *out);

void bus_request_clear(bus_request *r);
void bus_reply_clear(bus_reply *r);


#endif
