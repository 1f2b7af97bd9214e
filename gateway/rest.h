/* rest: the REST/JSON listener (libmicrohttpd), grpc-gateway compatible:
 * routes from the protos' google.api.http options, JSON <-> protobuf
 * transcoding, PMM's error body, and the gRPC code -> HTTP status map. */
#ifndef GATEWAY_REST_H
#define GATEWAY_REST_H

#include <stddef.h>

typedef struct rest_server rest_server;

/* Binds addr:port. max_body: largest request body accepted (413 above). */
rest_server *rest_start(const char *addr, int port, size_t max_body, int timeout_ms);
void rest_stop(rest_server *s);

#endif
