/* fuzz_route: the REST router and the query-string parser (common/route.h,
 * pbjson_set_text): a request line as the gateway sees it after
 * libmicrohttpd split it. Input: one byte chooses the verb, the rest is
 * "path?query" (up to the first NUL). A route that matches gets its query
 * parameters and then its path parameters set into the request's JSON,
 * which pbjson_decode then checks as for any REST call. */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "tests/fuzz/fuzz.h"
#include "pbjson.h"
#include "route.h"

static const char *const verbs[] = { "GET", "POST", "PUT", "DELETE", "PATCH" };

FUZZ_QUIET_INIT

/* Sets each k=v of query (split at '&' and the first '='). 0, or -1. */
static int set_query(json_t *obj, const ProtobufCMessageDescriptor *d, char *query)
{
    char err[PBJSON_ERR_MAX];
    for (char *save = NULL, *kv = strtok_r(query, "&", &save); kv; kv = strtok_r(NULL, "&", &save)) {
        char *eq = strchr(kv, '=');
        const char *v = "";
        if (eq) {
            *eq = '\0';
            v = eq + 1;
        }
        if (pbjson_set_text(obj, d, kv, v, err, sizeof err) != 0)
            return -1;
    }
    return 0;
}

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
    route_match m;
    if (route_find(route_table, route_table_len, verb, line, &m) == 0) {
        const ProtobufCMessageDescriptor *d = m.route->request;
        json_t *obj = json_object();
        char err[PBJSON_ERR_MAX];
        int ok = !query || set_query(obj, d, query) == 0;
        for (int i = 0; ok && i < m.n_params; i++)
            ok = pbjson_set_text(obj, d, m.params[i].name, m.params[i].value, err, sizeof err) == 0;
        ProtobufCMessage *msg = NULL;
        if (ok && pbjson_decode(obj, d, &msg, err, sizeof err) == 0) {
            size_t len;
            free(pbjson_write(msg, &len));
            protobuf_c_message_free_unpacked(msg, NULL);
        }
        json_decref(obj);
        route_match_clear(&m);
    }
    free(line);
    return 0;
}
