/* fuzz_route: the REST router and the query-string parser
 * (common/json/route.h, pbjson_set_field, pbjson_set_query): a request
 * line as the gateway sees it after libmicrohttpd split it. Input: one
 * byte chooses the verb, the rest is "path?query" (up to the first NUL).
 * The path is unescaped and cleaned as r.URL.Path; a route that matches
 * gets its path parameters and then its query set into an empty request
 * as gateway/rest.c does, which must then pass the UTF-8 check or be
 * refused, and render as JSON. */
#include <stdlib.h>
#include <string.h>

#include "tests/fuzz/fuzz.h"
#include "json/pbjson.h"
#include "json/route.h"

static const char *const verbs[] = { "GET", "POST", "PUT", "DELETE", "PATCH" };

FUZZ_QUIET_INIT

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const char *verb = verbs[data[0] % (sizeof verbs / sizeof *verbs)];
    char *line = strndup((const char *)data + 1, size - 1);
    if (!line)
        return 0;
    char *query = strchr(line, '?');
    if (query)
        *query++ = '\0';
    char *path = route_unescape_path(line);
    char *clean = path ? route_clean_path(path) : NULL;
    route_match m;
    if (clean && strcmp(clean, path) == 0 && route_find(route_table, route_table_len, verb, path, &m) == 0) {
        const ProtobufCMessageDescriptor *d = m.route->request;
        ProtobufCMessage *msg = malloc(d->sizeof_message);
        FUZZ_CHECK(msg != NULL);
        protobuf_c_message_init(d, msg);
        char err[PBJSON_ERR_MAX];
        const char *skip[ROUTE_MAX_PARAMS + 1];
        size_t n_skip = 0;
        int ok = 1;
        for (int i = 0; ok && i < m.n_params; i++) {
            const char *v = m.params[i].value;
            ok = pbjson_set_field(msg, m.params[i].name, &v, 1, err, sizeof err) == 0;
            skip[n_skip++] = m.params[i].name;
        }
        if (ok && query)
            ok = pbjson_set_query(msg, query, skip, n_skip, err, sizeof err) == 0;
        if (ok && pbjson_check_utf8(msg, err, sizeof err) == 0) {
            size_t len;
            char *json = pbjson_write(msg, &len);
            FUZZ_CHECK(json != NULL);
            free(json);
        }
        protobuf_c_message_free_unpacked(msg, NULL);
        route_match_clear(&m);
    }
    free(clean);
    free(path);
    free(line);
    return 0;
}
