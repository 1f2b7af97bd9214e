/* lbac: see lbac.h. */
#include "lbac.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "dispatch.h"
#include "internal/v1/auth.pb-c.h"
#include "promsel.h"

/* api.md's list (advisors.md §11.2) and upstream's /graph/api/v1/labels. */
static const char *const prefixes[] = {
    "/graph/api/datasources/uid", "/graph/api/ds/query",  "/prometheus/api/v1/",
    "/v1/qan/",                   "/graph/api/datasources/proxy/1/api/v1/", "/graph/api/v1/labels",
};

bool lbac_path(const char *uri)
{
    for (size_t i = 0; i < sizeof prefixes / sizeof *prefixes; i++)
        if (strncmp(uri, prefixes[i], strlen(prefixes[i])) == 0)
            return true;
    return false;
}

static char *encode(Internal__V1__AccessFiltersResponse *r)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < r->n_filters; i++)
        json_array_append_new(a, json_string(r->filters[i]));
    char *text = a ? json_dumps(a, JSON_COMPACT) : NULL;
    json_decref(a);
    if (!text)
        return NULL;
    size_t n = strlen(text);
    size_t cap = sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_ORIGINAL);
    char *out = malloc(cap);
    if (out)
        sodium_bin2base64(out, cap, (const unsigned char *)text, n, sodium_base64_VARIANT_ORIGINAL);
    free(text);
    return out;
}

int lbac_header_for(const auth_identity *id, char **value, rpc_status *st)
{
    *value = NULL;
    Internal__V1__AccessFiltersRequest req = INTERNAL__V1__ACCESS_FILTERS_REQUEST__INIT;
    req.user_id = id->user_id;
    uint8_t buf[16];
    size_t len = internal__v1__access_filters_request__pack(&req, buf);
    bus_reply rep;
    int code = dispatch_call("/internal.v1.AuthService/AccessFilters", id->user, id->role, buf, len, 5000, &rep);
    if (code != RPC_OK) {
        rpc_fail(st, code, "%s", rep.message ? rep.message : "access filters unavailable");
        bus_reply_clear(&rep);
        return code;
    }
    Internal__V1__AccessFiltersResponse *r = internal__v1__access_filters_response__unpack(NULL, rep.body_len, rep.body);
    bus_reply_clear(&rep);
    if (!r)
        return rpc_fail(st, RPC_INTERNAL, "malformed access filters answer");
    code = RPC_OK;
    if (r->enabled && r->n_filters > 0 && !(*value = encode(r)))
        code = rpc_fail(st, RPC_INTERNAL, "out of memory");
    internal__v1__access_filters_response__free_unpacked(r, NULL);
    return code;
}

void lbac_filters_free(char **filters, size_t n)
{
    for (size_t i = 0; filters && i < n; i++)
        free(filters[i]);
    free(filters);
}

int lbac_decode(const char *value, char ***filters, size_t *n)
{
    *filters = NULL;
    *n = 0;
    size_t vlen = strlen(value);
    unsigned char *bin = malloc(vlen + 1);
    size_t blen = 0;
    if (!bin || sodium_base642bin(bin, vlen, value, vlen, NULL, &blen, NULL, sodium_base64_VARIANT_ORIGINAL) != 0) {
        free(bin);
        return -1;
    }
    json_t *a = json_loadb((const char *)bin, blen, JSON_REJECT_DUPLICATES, NULL);
    free(bin);
    if (!json_is_array(a) || json_array_size(a) == 0) {
        json_decref(a);
        return -1;
    }
    size_t count = json_array_size(a);
    char **out = calloc(count, sizeof *out);
    int rc = out ? 0 : -1;
    for (size_t i = 0; rc == 0 && i < count; i++) {
        json_t *s = json_array_get(a, i);
        promsel p;
        char err[128];
        if (!json_is_string(s) ||
            promsel_parse(json_string_value(s), json_string_length(s), &p, err, sizeof err) != 0) {
            rc = -1;
            break;
        }
        promsel_free(&p);
        if (!(out[i] = strdup(json_string_value(s))))
            rc = -1;
    }
    json_decref(a);
    if (rc != 0) {
        lbac_filters_free(out, count);
        return -1;
    }
    *filters = out;
    *n = count;
    return 0;
}
