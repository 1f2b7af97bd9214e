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
    int bare_verb;        /* no match because the last segment was only ":verb" */
    int n_params;
    struct {
        char *name;       /* field path, malloc'd */
        char *value;      /* the segment, malloc'd */
    } params[ROUTE_MAX_PARAMS];
} route_match;

/* Finds the route for verb + path (without query string, already
 * percent-decoded as a whole, as Go's r.URL.Path). Literal segments win
 * over {params} when several match. Returns 0 with *m filled
 * (free with route_match_clear), -1 when no route matches. */
int route_find(const route_entry *table, size_t n, const char *verb,
               const char *path, route_match *m);
void route_match_clear(route_match *m);

/* Go's URL path unescaping (what net/http puts in r.URL.Path): "%XX" for
 * any byte, '+' kept. Returns a malloc'd string, or NULL when an escape is
 * malformed (Go's server answers "400 Bad Request") or decodes to NUL (a C
 * string cannot carry it). */
char *route_unescape_path(const char *raw);

/* net/http ServeMux's cleanPath: path.Clean ("//", ".", "..") keeping a
 * trailing '/'. malloc'd; NULL on ENOMEM. The mux redirects (301) any
 * request whose path differs from its clean form. */
char *route_clean_path(const char *path);

/* The path as url.URL.EscapedPath writes it (Location headers). malloc'd. */
char *route_escape_path(const char *path);

/* The owning daemon of a gRPC method by its service: "inventoryd",
 * "configd", ...; NULL when no daemon serves it. */
const char *route_daemon_for_method(const char *method);

#endif
