/* route: the REST route table generated from the protos' google.api.http
 * options (tools/routegen -> build/gen/routes.c) and the matcher that maps
 * "GET /v1/inventory/nodes/abc" to a gRPC method with its path params. */
#ifndef PMM_ROUTE_H
#define PMM_ROUTE_H

#include <stddef.h>
#include <protobuf-c/protobuf-c.h>

typedef struct {
    const char *verb;     /* "GET", "POST", "PUT", "DELETE", "PATCH" */
    const char *pattern;  /* "/v1/inventory/nodes/{node_id}" */
    const char *body;     /* "" (none), "*" (whole message) or a field name */
    const char *method;   /* "/inventory.v1.NodesService/GetNode" */
    const ProtobufCMessageDescriptor *request;
    const ProtobufCMessageDescriptor *response;
} route_entry;

extern const route_entry route_table[];
extern const size_t route_table_len;

#define ROUTE_MAX_PARAMS 8

typedef struct {
    const route_entry *route;
    int n_params;
    struct {
        char *name;       /* field path, malloc'd */
        char *value;      /* percent-decoded segment, malloc'd */
    } params[ROUTE_MAX_PARAMS];
} route_match;

/* Finds the route for verb + path (path without query string). Literal
 * segments win over {params} when several match. Returns 0 with *m filled
 * (free with route_match_clear), -1 when no route matches. */
int route_find(const route_entry *table, size_t n, const char *verb,
               const char *path, route_match *m);
void route_match_clear(route_match *m);

/* The owning daemon of a gRPC method by its service: "inventoryd",
 * "configd", ...; NULL when no daemon serves it. */
const char *route_daemon_for_method(const char *method);

#endif
