/* azure_discovery: Azure AD token, Resource Graph query and its answer,
 * with the Azure SDK for Go's error texts (see azure_discovery.h). */
#include "azure_discovery.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <jansson.h>

#include "http/bytebuf.h"
#include "http/httpc.h"
#include "management/v1/azure.pb-c.h"
#include "pbutil.h"

#define SEPARATOR "--------------------------------------------------------------------------------"
#define CRED "ClientSecretCredential"
/* Resource Manager's audience + "/.default", as azcore's arm pipeline builds the scope */
#define ARM_SCOPE "https://management.core.windows.net//.default"
#define TEXT_MAX (256u << 10)

const char azure_resource_query[] = "\n\t\tResources\n"
                                    "\t\t\t| where type in~ (\n"
                                    "\t\t\t\t'Microsoft.DBforMySQL/servers',\n"
                                    "\t\t\t\t'Microsoft.DBforMySQL/flexibleServers',\n"
                                    "\t\t\t\t'Microsoft.DBforMariaDB/servers',\n"
                                    "\t\t\t\t'Microsoft.DBforPostgreSQL/servers',\n"
                                    "\t\t\t\t'Microsoft.DBforPostgreSQL/serversv2',\n"
                                    "\t\t\t\t'Microsoft.DBforPostgreSQL/flexibleServers'\n"
                                    "\t\t\t)\n"
                                    "\t\t\t| order by name asc\n"
                                    "\t\t\t| limit 1000\n"
                                    "\t";

const char azure_invalid_tenant[] = "invalid tenantID. You can locate your tenantID by following the instructions "
                                    "listed here: https://learn.microsoft.com/partner-center/find-ids-and-domain-names";

bool azure_tenant_valid(const char *t)
{
    if (!t || !*t)
        return false;
    for (; *t; t++)
        if (!isalnum((unsigned char)*t) && *t != '-' && *t != '.')
            return false;
    return true;
}

/* ---- Go's json.Indent ------------------------------------------------------ */

static int put(bytebuf *b, const char *s, size_t n)
{
    return bytebuf_append(b, s, n, TEXT_MAX);
}

static int newline(bytebuf *b, int depth)
{
    int rc = put(b, "\n", 1);
    for (int i = 0; i < depth && rc == 0; i++)
        rc = put(b, "  ", 2);
    return rc;
}

static bool json_space(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r';
}

char *azure_go_indent(const char *src, size_t len)
{
    json_error_t jerr;
    json_t *check = json_loadb(src, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
    if (!check)
        return NULL;
    json_decref(check);
    bytebuf b = { 0 };
    int depth = 0, rc = 0;
    size_t i = 0;
    while (i < len && json_space(src[i])) /* leading space is dropped */
        i++;
    size_t end = len;
    while (end > i && json_space(src[end - 1])) /* trailing space is kept */
        end--;
    for (; i < end && rc == 0; i++) {
        char ch = src[i];
        if (json_space(ch))
            continue;
        if (ch == '"') {
            size_t j = i + 1;
            while (j < end && src[j] != '"')
                j += src[j] == '\\' ? 2 : 1;
            rc = put(&b, src + i, j + 1 - i);
            i = j;
        } else if (ch == '{' || ch == '[') {
            size_t j = i + 1;
            while (j < end && json_space(src[j]))
                j++;
            if (j < end && (src[j] == '}' || src[j] == ']')) { /* empty: stays compact */
                char pair[2] = { ch, src[j] };
                rc = put(&b, pair, 2);
                i = j;
            } else {
                rc = put(&b, &ch, 1) || newline(&b, ++depth);
            }
        } else if (ch == '}' || ch == ']') {
            rc = newline(&b, --depth) || put(&b, &ch, 1);
        } else if (ch == ',') {
            rc = put(&b, ",", 1) || newline(&b, depth);
        } else if (ch == ':') {
            rc = put(&b, ": ", 2);
        } else {
            rc = put(&b, &ch, 1);
        }
    }
    if (rc == 0 && end < len)
        rc = put(&b, src + end, len - end);
    if (rc == 0 && !b.data)
        rc = put(&b, "", 0);
    if (rc != 0) {
        bytebuf_free(&b);
        return NULL;
    }
    return b.data;
}

/* ---- the SDK's error texts ------------------------------------------------- */

/* "POST https://host/path" of a call, as the SDK prints a request. */
static void request_line(const httpc_call *c, char *out, size_t outlen)
{
    CURLU *u = curl_url();
    char *scheme = NULL, *host = NULL, *port = NULL, *path = NULL;
    if (u && curl_url_set(u, CURLUPART_URL, httpc_url(c), 0) == CURLUE_OK) {
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0);
        curl_url_get(u, CURLUPART_HOST, &host, 0);
        curl_url_get(u, CURLUPART_PORT, &port, 0);
        curl_url_get(u, CURLUPART_PATH, &path, 0);
    }
    snprintf(out, outlen, "%s %s://%s%s%s%s", httpc_method(c), scheme ? scheme : "", host ? host : "", port ? ":" : "",
             port ? port : "", path ? path : "");
    curl_free(scheme), curl_free(host), curl_free(port), curl_free(path);
    curl_url_cleanup(u);
}

/* The body as the SDK shows it: indented JSON, else verbatim. */
static char *shown_body(const httpc_call *c)
{
    char *s = azure_go_indent(httpc_body(c), httpc_body_len(c));
    return s ? s : strdup(httpc_body(c));
}

/* azidentity's AuthenticationFailedError of a client secret credential. */
static void auth_failed(const httpc_call *c, char *err, size_t errlen)
{
    if (httpc_state_of(c) != HTTPC_DONE) {
        snprintf(err, errlen, CRED ": %s", httpc_error(c));
        return;
    }
    char req[2048];
    request_line(c, req, sizeof req);
    char *body = httpc_body_len(c) ? shown_body(c) : NULL;
    snprintf(err, errlen,
             CRED " authentication failed. \n%s\n" SEPARATOR "\nRESPONSE %ld: %s\n" SEPARATOR "\n%s\n" SEPARATOR
                  "\nTo troubleshoot, visit https://aka.ms/azsdk/go/identity/troubleshoot#client-secret",
             req, httpc_status(c), httpc_status_text(c), body ? body : "Response contained no body");
    free(body);
}

static bool word_char(char ch)
{
    return isalnum((unsigned char)ch) || ch == '_';
}

/* azcore's extractErrorCodeXML: `<(?:\w+:)?[c|C]ode>\s*(\w+)\s*</(?:\w+:)?[c|C]ode>`. */
static bool xml_code(const char *s, char *out, size_t outlen)
{
    for (const char *p = strchr(s, '<'); p; p = strchr(p + 1, '<')) {
        const char *q = p + 1;
        const char *w = q;
        while (word_char(*w))
            w++;
        if (*w == ':' && w > q)
            q = w + 1;
        if (!(*q == 'c' || *q == 'C' || *q == '|') || strncmp(q + 1, "ode>", 4) != 0)
            continue;
        q += 5;
        while (isspace((unsigned char)*q))
            q++;
        const char *v = q;
        while (word_char(*q))
            q++;
        size_t n = (size_t)(q - v);
        while (isspace((unsigned char)*q))
            q++;
        if (n == 0 || strncmp(q, "</", 2) != 0)
            continue;
        q += 2;
        w = q;
        while (word_char(*w))
            w++;
        if (*w == ':' && w > q)
            q = w + 1;
        if ((*q == 'c' || *q == 'C' || *q == '|') && strncmp(q + 1, "ode>", 4) == 0) {
            snprintf(out, outlen, "%.*s", (int)n, v);
            return true;
        }
    }
    return false;
}

/* azcore's NewResponseError: x-ms-error-code, else the body's error code. */
static void error_code(const httpc_call *c, char *out, size_t outlen)
{
    const char *h = httpc_header(c, "x-ms-error-code");
    *out = '\0';
    if (h && *h) {
        snprintf(out, outlen, "%s", h);
        return;
    }
    json_t *root = json_loadb(httpc_body(c), httpc_body_len(c), 0, NULL);
    if (json_is_object(root)) {
        json_t *obj = root, *e = json_object_get(root, "error");
        if (!e)
            e = json_object_get(root, "odata.error");
        if (e)
            obj = json_is_object(e) ? e : NULL;
        const char *code = json_string_value(json_object_get(obj, "code"));
        if (code)
            snprintf(out, outlen, "%s", code);
    } else if (!root) {
        xml_code(httpc_body(c), out, outlen);
    }
    json_decref(root);
}

/* azcore's ResponseError text, or the transport's error. */
static void response_error(const httpc_call *c, char *err, size_t errlen)
{
    if (httpc_state_of(c) != HTTPC_DONE) {
        snprintf(err, errlen, "%s", httpc_error(c));
        return;
    }
    char req[2048], code[256];
    request_line(c, req, sizeof req);
    error_code(c, code, sizeof code);
    char *body = httpc_body_len(c) ? shown_body(c) : NULL;
    snprintf(err, errlen, "%s\n" SEPARATOR "\nRESPONSE %ld: %s\n%s%s%s\n" SEPARATOR "\n%s\n" SEPARATOR "\n", req,
             httpc_status(c), httpc_status_text(c), *code ? "ERROR CODE: " : "ERROR CODE UNAVAILABLE", code,
             "", body ? body : "Response contained no body");
    free(body);
}

/* ---- the calls ------------------------------------------------------------- */

static char *base_url(const char *url, const char *fallback)
{
    const char *u = url && *url ? url : fallback;
    char *out = NULL;
    return asprintf(&out, "%s%s", u, u[strlen(u) - 1] == '/' ? "" : "/") < 0 ? NULL : out;
}

int azure_token(const char *login_url, const char *tenant, const char *client_id, const char *secret, long timeout_ms,
                char **token, char *err, size_t errlen)
{
    *token = NULL;
    char *base = base_url(login_url, AZURE_LOGIN_URL), *url = NULL, *form = NULL;
    char *id = curl_easy_escape(NULL, client_id, 0), *sec = curl_easy_escape(NULL, secret, 0);
    char *scope = curl_easy_escape(NULL, ARM_SCOPE, 0);
    int rc = -1;
    if (!base || !id || !sec || !scope || asprintf(&url, "%s%s/oauth2/v2.0/token", base, tenant) < 0 ||
        asprintf(&form, "client_id=%s&client_secret=%s&grant_type=client_credentials&scope=%s", id, sec, scope) < 0) {
        snprintf(err, errlen, "out of memory");
        url = form = NULL;
        goto out;
    }
    const char *headers[] = { "Content-Type: application/x-www-form-urlencoded; charset=utf-8", NULL };
    httpc_request req = { .method = "POST", .url = url, .headers = headers, .body = form, .body_len = strlen(form),
                          .timeout_ms = timeout_ms, .max_body = 1u << 20 };
    httpc_call *c = httpc_call_new(&req);
    if (!c) {
        snprintf(err, errlen, CRED ": cannot make a request to %s", url);
        goto out;
    }
    if (httpc_call_run(c) != HTTPC_DONE || httpc_status(c) != 200) {
        auth_failed(c, err, errlen);
    } else {
        json_t *root = json_loadb(httpc_body(c), httpc_body_len(c), 0, NULL);
        const char *t = json_string_value(json_object_get(root, "access_token"));
        if (t && *t && (*token = strdup(t)))
            rc = 0;
        else
            snprintf(err, errlen, CRED ": the token endpoint's answer carries no access_token");
        json_decref(root);
    }
    httpc_call_free(c);
out:
    curl_free(id), curl_free(sec), curl_free(scope);
    free(base), free(url), free(form);
    return rc;
}

int azure_query(const char *mgmt_url, const char *token, const char *subscription, long timeout_ms, char **body,
                size_t *len, char *err, size_t errlen)
{
    *body = NULL;
    *len = 0;
    char *base = base_url(mgmt_url, AZURE_MANAGEMENT_URL), *url = NULL, *auth = NULL;
    json_t *q = json_pack("{s:s, s:{s:s}, s:[s]}", "query", azure_resource_query, "options", "resultFormat",
                          "objectArray", "subscriptions", subscription);
    char *payload = q ? json_dumps(q, JSON_COMPACT) : NULL;
    json_decref(q);
    int rc = -1;
    if (!base || !payload ||
        asprintf(&url, "%sproviders/Microsoft.ResourceGraph/resources?api-version=%s", base, AZURE_RESOURCE_GRAPH_API) < 0 ||
        asprintf(&auth, "Authorization: Bearer %s", token) < 0) {
        snprintf(err, errlen, "out of memory");
        url = auth = NULL;
        goto out;
    }
    const char *headers[] = { auth, "Content-Type: application/json", "Accept: application/json", NULL };
    httpc_request req = { .method = "POST", .url = url, .headers = headers, .body = payload,
                          .body_len = strlen(payload), .timeout_ms = timeout_ms };
    httpc_call *c = httpc_call_new(&req);
    if (!c) {
        snprintf(err, errlen, "cannot make a request to %s", url);
        goto out;
    }
    if (httpc_call_run(c) != HTTPC_DONE || httpc_status(c) != 200) {
        response_error(c, err, errlen);
    } else if (!(*body = malloc(httpc_body_len(c) + 1))) {
        snprintf(err, errlen, "out of memory");
    } else {
        memcpy(*body, httpc_body(c), httpc_body_len(c) + 1);
        *len = httpc_body_len(c);
        rc = 0;
    }
    httpc_call_free(c);
out:
    free(base), free(url), free(auth), free(payload);
    return rc;
}

/* ---- the answer, read as upstream's structs ------------------------------------ */

#define ROW "AzureDatabaseInstanceData"

/* Go's name of a JSON value's kind in UnmarshalTypeError. */
static const char *go_kind(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "object";
    case JSON_ARRAY:
        return "array";
    case JSON_STRING:
        return "string";
    case JSON_INTEGER:
    case JSON_REAL:
        return "number";
    default:
        return "bool";
    }
}

/* A field as encoding/json finds it: the exact key, else one equal
 * under case folding. */
static json_t *field(json_t *obj, const char *name)
{
    json_t *v = json_object_get(obj, name);
    if (v)
        return v;
    const char *k;
    json_t *val;
    json_object_foreach(obj, k, val) if (strcasecmp(k, name) == 0) return val;
    return NULL;
}

/* A string field of the row ("" for null or absent); -1 with Go's text
 * when it holds something else. */
static int row_string(json_t *row, const char *name, const char **out, char *err, size_t errlen)
{
    json_t *v = field(row, name);
    *out = "";
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_string(v)) {
        snprintf(err, errlen, "json: cannot unmarshal %s into Go struct field " ROW ".data.%s of type string", go_kind(v),
                 name);
        return -1;
    }
    *out = json_string_value(v);
    return 0;
}

/* An object field (properties, sku, tags); NULL for null or absent. */
static int row_object(json_t *row, const char *name, const char *go_type, json_t **out, char *err, size_t errlen)
{
    json_t *v = field(row, name);
    *out = NULL;
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_object(v)) {
        snprintf(err, errlen, "json: cannot unmarshal %s into Go struct field " ROW ".data.%s of type %s", go_kind(v),
                 name, go_type);
        return -1;
    }
    *out = v;
    return 0;
}

/* Upstream's switch on the lower-case resource type. */
static int type_enum(const char *type)
{
    static const char *const mysql[] = { "microsoft.dbformysql/servers", "microsoft.dbformysql/flexibleservers",
                                         "microsoft.dbformariadb/servers" };
    static const char *const pg[] = { "microsoft.dbforpostgresql/servers", "microsoft.dbforpostgresql/flexibleservers",
                                      "microsoft.dbforpostgresql/serversv2" };
    for (int i = 0; i < 3; i++) {
        if (strcmp(type, mysql[i]) == 0)
            return MANAGEMENT__V1__DISCOVER_AZURE_DATABASE_TYPE__DISCOVER_AZURE_DATABASE_TYPE_MYSQL;
        if (strcmp(type, pg[i]) == 0)
            return MANAGEMENT__V1__DISCOVER_AZURE_DATABASE_TYPE__DISCOVER_AZURE_DATABASE_TYPE_POSTGRESQL;
    }
    return MANAGEMENT__V1__DISCOVER_AZURE_DATABASE_TYPE__DISCOVER_AZURE_DATABASE_TYPE_UNSPECIFIED;
}

static int row_to_instance(json_t *row, ProtobufCMessage *inst, char *err, size_t errlen)
{
    const char *id, *location, *name, *group, *type, *zones;
    json_t *props, *sku, *tags;
    if (row_string(row, "id", &id, err, errlen) || row_string(row, "location", &location, err, errlen) ||
        row_string(row, "name", &name, err, errlen) ||
        row_object(row, "properties", "map[string]interface {}", &props, err, errlen) ||
        row_object(row, "tags", "map[string]string", &tags, err, errlen) ||
        row_object(row, "sku", "map[string]interface {}", &sku, err, errlen) ||
        row_string(row, "resourceGroup", &group, err, errlen) || row_string(row, "type", &type, err, errlen) ||
        row_string(row, "zones", &zones, err, errlen))
        return -1;
    const char *k;
    json_t *v;
    json_object_foreach(tags, k, v) {
        if (!json_is_string(v) && !json_is_null(v)) {
            snprintf(err, errlen, "json: cannot unmarshal %s into Go struct field " ROW ".data.tags of type string",
                     go_kind(v));
            return -1;
        }
    }
    const char *env = json_string_value(json_object_get(tags, "environment"));
    const char *login = json_string_value(json_object_get(props, "administratorLogin"));
    const char *fqdn = json_string_value(json_object_get(props, "fullyQualifiedDomainName"));
    const char *sku_name = json_string_value(json_object_get(sku, "name"));
    char *user = NULL;
    if (login && asprintf(&user, "%s@%s", login, name) < 0)
        user = NULL;
    int rc = (login && !user) || pb_set_str(inst, "instance_id", id) < 0 || pb_set_str(inst, "region", location) < 0 ||
                     pb_set_str(inst, "service_name", name) < 0 || pb_set_str(inst, "azure_resource_group", group) < 0 ||
                     pb_set_str(inst, "environment", env ? env : "") < 0 || pb_set_str(inst, "az", zones) < 0 ||
                     pb_set_i32(inst, "type", type_enum(type)) < 0 || pb_set_str(inst, "username", user ? user : "") < 0 ||
                     pb_set_str(inst, "address", fqdn ? fqdn : "") < 0 ||
                     pb_set_str(inst, "node_model", sku_name ? sku_name : "") < 0
                 ? -1
                 : 0;
    free(user);
    if (rc)
        snprintf(err, errlen, "out of memory");
    return rc;
}

int azure_instances(const char *json, size_t len, ProtobufCMessage *resp, char *err, size_t errlen)
{
    json_error_t jerr;
    json_t *root = json_loadb(json, len, 0, &jerr);
    if (!root) {
        snprintf(err, errlen, "unmarshalling type *armresourcegraph.QueryResponse: %s", jerr.text);
        return -1;
    }
    json_t *data = field(root, "data");
    int rc = 0;
    if (data && !json_is_null(data) && !json_is_array(data)) {
        snprintf(err, errlen,
                 "json: cannot unmarshal %s into Go struct field .data of type []management." ROW, go_kind(data));
        rc = -1;
    }
    size_t i;
    json_t *row;
    json_array_foreach(data, i, row) {
        if (rc != 0)
            break;
        if (!json_is_object(row) && !json_is_null(row)) {
            snprintf(err, errlen, "json: cannot unmarshal %s into Go struct field .data of type management." ROW,
                     go_kind(row));
            rc = -1;
            break;
        }
        ProtobufCMessage *inst = pb_new(&management__v1__discover_azure_database_instance__descriptor);
        if (!inst) {
            snprintf(err, errlen, "out of memory");
            rc = -1;
        } else if (json_is_object(row) && row_to_instance(row, inst, err, errlen) != 0) {
            protobuf_c_message_free_unpacked(inst, NULL);
            rc = -1;
        } else if (pb_append_msg(resp, "azure_database_instance", inst) != 0) {
            snprintf(err, errlen, "out of memory");
            rc = -1;
        }
    }
    json_decref(root);
    return rc;
}
