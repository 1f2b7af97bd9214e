/* routegen: build-time generator of the gateway's REST route table. Reads
 * the FileDescriptorSet written by `protoc --include_imports
 * --descriptor_set_out` and prints C source with one route_entry (see
 * common/route.h) per google.api.http binding (additional_bindings too).
 *
 * protoc-c does not expose custom options at run time, so the http rule is
 * dug out of MethodOptions' unknown fields (extension field 72295728) and
 * unpacked as google.api.HttpRule. Anything the runtime matcher
 * (common/route.c) cannot serve fails the build with a message on stderr:
 * it is better to stop here than to silently drop a route.
 *
 * Supported path templates: literal segments, `{field}` / `{field.sub}`
 * (single segment), `{field=*}`, and a `:verb` suffix on the last segment.
 *
 * Usage: routegen api.desc > routes.c */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "google/protobuf/descriptor.pb-c.h"
#include "google/api/http.pb-c.h"

#define HTTP_RULE_EXTENSION 72295728u
#define MAX_PARAMS 8       /* ROUTE_MAX_PARAMS in common/route.h */
#define MAX_SEGMENTS 32    /* sanity bound; no real API path comes near it */
#define MAX_DESC_BYTES (64u * 1024 * 1024)

typedef Google__Protobuf__FileDescriptorSet FileSet;
typedef Google__Protobuf__FileDescriptorProto FileProto;
typedef Google__Protobuf__DescriptorProto MsgProto;
typedef Google__Protobuf__FieldDescriptorProto FieldProto;
typedef Google__Protobuf__ServiceDescriptorProto ServiceProto;
typedef Google__Protobuf__MethodDescriptorProto MethodProto;
typedef Google__Api__HttpRule HttpRule;

/* One message type known to the descriptor set. */
typedef struct {
    char *full_name;   /* "inventory.v1.GetNodeRequest" */
    char *c_symbol;    /* "inventory__v1__get_node_request__descriptor" */
    const char *file;  /* "inventory/v1/nodes.proto" */
    const MsgProto *msg;
    int used;          /* referenced by an emitted route */
} msg_info;

typedef struct {
    char *verb, *pattern, *body, *method;
    const msg_info *request, *response;
    char *key;         /* verb + pattern with params blanked, for duplicates */
} route_out;

typedef struct {
    msg_info *msgs;
    size_t n_msgs, cap_msgs;
    route_out *routes;
    size_t n_routes, cap_routes;
    int errors;
} gen_state;

static void fail(gen_state *st, const char *fmt, ...)
{
    va_list ap;
    fputs("routegen: error: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    st->errors++;
}

static void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q) {
        fputs("routegen: out of memory\n", stderr);
        exit(2);
    }
    return q;
}

static char *xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    return memcpy(xrealloc(NULL, n), s, n);
}

static char *xasprintf(const char *fmt, ...)
{
    va_list ap;
    char *s = NULL;
    va_start(ap, fmt);
    int n = vasprintf(&s, fmt, ap);
    va_end(ap);
    if (n < 0) {
        fputs("routegen: out of memory\n", stderr);
        exit(2);
    }
    return s;
}

static const char *str_or_empty(const char *s)
{
    return s ? s : "";
}

/* ---- protoc-c naming ------------------------------------------------------ */

/* protoc-c's CamelToLower: "_" before an uppercase letter that follows a
 * non-uppercase character, everything lowercased ("MySQLService" ->
 * "my_sqlservice"). */
static void camel_to_lower(const char *in, size_t len, char **out, size_t *pos)
{
    int was_upper = 1; /* no leading underscore */
    for (size_t i = 0; i < len; i++) {
        int is_upper = isupper((unsigned char)in[i]) != 0;
        if (is_upper && !was_upper)
            (*out)[(*pos)++] = '_';
        (*out)[(*pos)++] = (char)tolower((unsigned char)in[i]);
        was_upper = is_upper;
    }
}

/* "a.b.MyMsg.Inner" -> "a__b__my_msg__inner__descriptor" */
static char *descriptor_symbol(const char *full_name)
{
    size_t n = strlen(full_name);
    char *out = xrealloc(NULL, 3 * n + sizeof("__descriptor"));
    size_t pos = 0;
    const char *p = full_name;
    while (*p) {
        const char *dot = strchr(p, '.');
        size_t len = dot ? (size_t)(dot - p) : strlen(p);
        if (len > 0) {
            if (pos > 0) {
                out[pos++] = '_';
                out[pos++] = '_';
            }
            camel_to_lower(p, len, &out, &pos);
        }
        p += len;
        if (*p == '.')
            p++;
    }
    memcpy(out + pos, "__descriptor", sizeof("__descriptor"));
    return out;
}

/* ---- message index -------------------------------------------------------- */

static void index_message(gen_state *st, const char *file, const char *scope,
                          const MsgProto *m, int depth)
{
    if (!m->name || depth > 32) {
        fail(st, "%s: malformed message in descriptor set", file);
        return;
    }
    char *full = *scope ? xasprintf("%s.%s", scope, m->name) : xstrdup(m->name);
    if (st->n_msgs == st->cap_msgs) {
        st->cap_msgs = st->cap_msgs ? 2 * st->cap_msgs : 256;
        st->msgs = xrealloc(st->msgs, st->cap_msgs * sizeof *st->msgs);
    }
    st->msgs[st->n_msgs++] = (msg_info){
        .full_name = full, .c_symbol = descriptor_symbol(full),
        .file = file, .msg = m, .used = 0,
    };
    for (size_t i = 0; i < m->n_nested_type; i++)
        index_message(st, file, full, m->nested_type[i], depth + 1);
}

/* type_name as found in descriptors: ".pkg.Msg" (leading dot = absolute). */
static msg_info *find_message(gen_state *st, const char *type_name)
{
    if (!type_name)
        return NULL;
    if (*type_name == '.')
        type_name++;
    for (size_t i = 0; i < st->n_msgs; i++)
        if (strcmp(st->msgs[i].full_name, type_name) == 0)
            return &st->msgs[i];
    return NULL;
}

static const FieldProto *find_field(const MsgProto *m, const char *name, size_t len)
{
    for (size_t i = 0; i < m->n_field; i++) {
        const char *fn = m->field[i]->name;
        if (fn && strlen(fn) == len && memcmp(fn, name, len) == 0)
            return m->field[i];
    }
    return NULL;
}

static int is_repeated(const FieldProto *f)
{
    return f->has_label && f->label == GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__LABEL__LABEL_REPEATED;
}

static int is_message(const FieldProto *f)
{
    return f->has_type && f->type == GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_MESSAGE;
}

/* Checks that the dotted field path names a singular scalar field of the
 * request, walking singular message fields for "a.b". */
static int check_field_path(gen_state *st, const msg_info *req, const char *path,
                            size_t len, const char *where)
{
    const MsgProto *m = req->msg;
    const char *p = path, *end = path + len;
    for (int depth = 0; depth < 8; depth++) {
        const char *dot = memchr(p, '.', (size_t)(end - p));
        size_t n = dot ? (size_t)(dot - p) : (size_t)(end - p);
        const FieldProto *f = find_field(m, p, n);
        if (!f) {
            fail(st, "%s: field \"%.*s\" is not in %s", where, (int)len, path, req->full_name);
            return -1;
        }
        if (is_repeated(f)) {
            fail(st, "%s: path field \"%.*s\" is repeated", where, (int)len, path);
            return -1;
        }
        if (!dot) {
            if (is_message(f)) {
                fail(st, "%s: path field \"%.*s\" is a message", where, (int)len, path);
                return -1;
            }
            return 0;
        }
        if (!is_message(f)) {
            fail(st, "%s: \"%.*s\" is not a message field", where, (int)n, p);
            return -1;
        }
        const msg_info *sub = find_message(st, f->type_name);
        if (!sub) {
            fail(st, "%s: unknown type %s", where, str_or_empty(f->type_name));
            return -1;
        }
        m = sub->msg;
        p = dot + 1;
    }
    fail(st, "%s: field path \"%.*s\" is too deep", where, (int)len, path);
    return -1;
}

/* ---- path templates ------------------------------------------------------- */

static int is_literal_char(char c)
{
    return isalnum((unsigned char)c) || c == '-' || c == '.' || c == '_' || c == '~';
}

static int is_ident(const char *s, size_t n)
{
    if (n == 0 || !(isalpha((unsigned char)s[0]) || s[0] == '_'))
        return 0;
    for (size_t i = 1; i < n; i++)
        if (!(isalnum((unsigned char)s[i]) || s[i] == '_'))
            return 0;
    return 1;
}

/* "a.b_c" : identifiers joined by single dots. */
static int is_field_path(const char *s, size_t n)
{
    size_t start = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i == n || s[i] == '.') {
            if (!is_ident(s + start, i - start))
                return 0;
            start = i + 1;
        }
    }
    return 1;
}

/* Validates one "{...}" variable (without braces): "field", "field.sub" or
 * "field=*". */
static int check_variable(gen_state *st, const msg_info *req, const char *v, size_t n,
                          const char *where)
{
    const char *eq = memchr(v, '=', n);
    size_t name_len = eq ? (size_t)(eq - v) : n;
    if (eq && !((size_t)(v + n - eq) == 2 && eq[1] == '*')) {
        fail(st, "%s: unsupported variable template \"{%.*s}\" (only {field} and {field=*})",
             where, (int)n, v);
        return -1;
    }
    if (!is_field_path(v, name_len)) {
        fail(st, "%s: bad field path in \"{%.*s}\"", where, (int)n, v);
        return -1;
    }
    return check_field_path(st, req, v, name_len, where);
}

/* Validates a path template against what common/route.c can match and the
 * request type's fields. Writes the duplicate-detection form (params -> "{}")
 * into *shape. */
static int check_template(gen_state *st, const char *tpl, const msg_info *req,
                          const char *where, char **shape)
{
    size_t n = strlen(tpl);
    *shape = NULL;
    if (n < 2 || tpl[0] != '/') {
        fail(st, "%s: path \"%s\" must start with '/' and not be empty", where, tpl);
        return -1;
    }
    char *out = xrealloc(NULL, n + 1);
    size_t o = 0;
    int n_params = 0, n_segments = 0;
    const char *p = tpl;
    while (*p == '/') {
        out[o++] = *p++;
        n_segments++;
        const char *seg = p;
        if (*p == '{') {
            const char *close = strchr(p, '}');
            if (!close) {
                fail(st, "%s: unterminated '{' in \"%s\"", where, tpl);
                goto bad;
            }
            if (check_variable(st, req, p + 1, (size_t)(close - p - 1), where) < 0)
                goto bad;
            if (++n_params > MAX_PARAMS) {
                fail(st, "%s: more than %d params in \"%s\"", where, MAX_PARAMS, tpl);
                goto bad;
            }
            out[o++] = '{';
            out[o++] = '}';
            p = close + 1;
        } else {
            while (is_literal_char(*p))
                out[o++] = *p++;
            if (p == seg && (*p == '/' || *p == '\0')) {
                fail(st, "%s: empty segment or trailing '/' in \"%s\"", where, tpl);
                goto bad;
            }
            if (p == seg) {
                fail(st, "%s: unsupported segment at \"%s\" in \"%s\" (only literals, "
                     "{field}, {field=*} and a final :verb)", where, seg, tpl);
                goto bad;
            }
        }
        if (*p == ':') {
            const char *verb = ++p;
            while (is_literal_char(*p))
                p++;
            if (p == verb || *p != '\0') {
                fail(st, "%s: ':verb' must be a literal at the end of \"%s\"", where, tpl);
                goto bad;
            }
            out[o++] = ':';
            memcpy(out + o, verb, (size_t)(p - verb));
            o += (size_t)(p - verb);
        }
        if (*p != '/' && *p != '\0') {
            fail(st, "%s: unsupported character '%c' in \"%s\"", where, *p, tpl);
            goto bad;
        }
    }
    if (*p != '\0' || o == 0 || out[o - 1] == '/') {
        fail(st, "%s: empty segment or trailing '/' in \"%s\"", where, tpl);
        goto bad;
    }
    if (n_segments > MAX_SEGMENTS) {
        fail(st, "%s: too many segments in \"%s\"", where, tpl);
        goto bad;
    }
    out[o] = '\0';
    *shape = out;
    return 0;
bad:
    free(out);
    return -1;
}

/* ---- http rules ----------------------------------------------------------- */

static int is_token(const char *s)
{
    if (!*s)
        return 0;
    for (; *s; s++)
        if (!isupper((unsigned char)*s))
            return 0;
    return 1;
}

static void add_route(gen_state *st, route_out r)
{
    if (st->n_routes == st->cap_routes) {
        st->cap_routes = st->cap_routes ? 2 * st->cap_routes : 256;
        st->routes = xrealloc(st->routes, st->cap_routes * sizeof *st->routes);
    }
    st->routes[st->n_routes++] = r;
}

/* Turns one binding into a route_out (validated), or reports why not. */
static void add_binding(gen_state *st, const HttpRule *rule, const char *method,
                        msg_info *req, msg_info *resp, int nested)
{
    const char *verb = NULL, *path = NULL;
    switch (rule->pattern_case) {
    case GOOGLE__API__HTTP_RULE__PATTERN_GET: verb = "GET"; path = rule->get; break;
    case GOOGLE__API__HTTP_RULE__PATTERN_PUT: verb = "PUT"; path = rule->put; break;
    case GOOGLE__API__HTTP_RULE__PATTERN_POST: verb = "POST"; path = rule->post; break;
    case GOOGLE__API__HTTP_RULE__PATTERN_DELETE: verb = "DELETE"; path = rule->delete_; break;
    case GOOGLE__API__HTTP_RULE__PATTERN_PATCH: verb = "PATCH"; path = rule->patch; break;
    case GOOGLE__API__HTTP_RULE__PATTERN_CUSTOM:
        if (!rule->custom || !is_token(str_or_empty(rule->custom->kind))) {
            fail(st, "%s: custom http pattern needs an uppercase kind", method);
            return;
        }
        verb = rule->custom->kind;
        path = rule->custom->path;
        break;
    default:
        fail(st, "%s: http rule without a verb/path", method);
        return;
    }
    path = str_or_empty(path);
    const char *body = str_or_empty(rule->body);
    char *where = xasprintf("%s (%s %s)", method, verb, path);

    if (nested && rule->n_additional_bindings > 0)
        fail(st, "%s: additional_bindings may not nest", where);
    if (*str_or_empty(rule->response_body))
        fail(st, "%s: response_body is not supported", where);
    if (strcmp(verb, "GET") == 0 && *body)
        fail(st, "%s: GET must not have a body", where);
    if (*body && strcmp(body, "*") != 0) {
        const FieldProto *f = find_field(req->msg, body, strlen(body));
        if (!f)
            fail(st, "%s: body field \"%s\" is not in %s", where, body, req->full_name);
    }

    char *shape = NULL;
    if (check_template(st, path, req, where, &shape) == 0) {
        req->used = resp->used = 1;
        add_route(st, (route_out){
            .verb = xstrdup(verb), .pattern = xstrdup(path), .body = xstrdup(body),
            .method = xstrdup(method), .request = req, .response = resp,
            .key = xasprintf("%s %s", verb, shape),
        });
    }
    free(shape);
    free(where);
}

/* protobuf-c keeps a length-delimited unknown field's data with its varint
 * length prefix; returns the prefix size after checking it covers the rest,
 * or 0 when malformed. */
static size_t length_prefix(const uint8_t *d, size_t len)
{
    uint64_t v = 0;
    for (size_t i = 0; i < len && i < 10; i++) {
        v |= (uint64_t)(d[i] & 0x7f) << (7 * i);
        if (!(d[i] & 0x80))
            return v == len - i - 1 ? i + 1 : 0;
    }
    return 0;
}

/* The google.api.http option of a method, or NULL when it has none.
 * Repeated occurrences of a message field merge, which for the wire format
 * means concatenating their payloads before unpacking. */
static HttpRule *method_http_rule(gen_state *st, const MethodProto *m, const char *method)
{
    if (!m->options)
        return NULL;
    const ProtobufCMessage *base = &m->options->base;
    size_t total = 0;
    int found = 0;
    for (unsigned i = 0; i < base->n_unknown_fields; i++) {
        const ProtobufCMessageUnknownField *u = &base->unknown_fields[i];
        if (u->tag != HTTP_RULE_EXTENSION)
            continue;
        if (u->wire_type != PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED) {
            fail(st, "%s: google.api.http option has wire type %d", method, (int)u->wire_type);
            return NULL;
        }
        size_t pre = length_prefix(u->data, u->len);
        if (pre == 0) {
            fail(st, "%s: malformed google.api.http option", method);
            return NULL;
        }
        total += u->len - pre;
        found = 1;
    }
    if (!found)
        return NULL;
    uint8_t *buf = xrealloc(NULL, total);
    size_t off = 0;
    for (unsigned i = 0; i < base->n_unknown_fields; i++) {
        const ProtobufCMessageUnknownField *u = &base->unknown_fields[i];
        if (u->tag == HTTP_RULE_EXTENSION) {
            size_t pre = length_prefix(u->data, u->len);
            memcpy(buf + off, u->data + pre, u->len - pre);
            off += u->len - pre;
        }
    }
    HttpRule *rule = google__api__http_rule__unpack(NULL, total, buf);
    free(buf);
    if (!rule)
        fail(st, "%s: cannot parse google.api.http option", method);
    return rule;
}

static void scan_method(gen_state *st, const FileProto *f, const ServiceProto *s,
                        const MethodProto *m)
{
    const char *pkg = str_or_empty(f->package);
    char *method = xasprintf("/%s%s%s/%s", pkg, *pkg ? "." : "", str_or_empty(s->name),
                             str_or_empty(m->name));
    HttpRule *rule = method_http_rule(st, m, method);
    if (!rule)
        goto out;
    if (m->client_streaming || m->server_streaming) {
        fail(st, "%s: streaming methods cannot have REST routes here", method);
        goto out;
    }
    msg_info *req = find_message(st, m->input_type);
    msg_info *resp = find_message(st, m->output_type);
    if (!req || !resp) {
        fail(st, "%s: unknown request/response type %s/%s", method,
             str_or_empty(m->input_type), str_or_empty(m->output_type));
        goto out;
    }
    add_binding(st, rule, method, req, resp, 0);
    for (size_t i = 0; i < rule->n_additional_bindings; i++)
        add_binding(st, rule->additional_bindings[i], method, req, resp, 1);
out:
    if (rule)
        google__api__http_rule__free_unpacked(rule, NULL);
    free(method);
}

/* ---- output --------------------------------------------------------------- */

static int cmp_routes(const void *a, const void *b)
{
    const route_out *x = a, *y = b;
    int c = strcmp(x->pattern, y->pattern);
    if (c == 0)
        c = strcmp(x->verb, y->verb);
    if (c == 0)
        c = strcmp(x->method, y->method);
    return c;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Route strings come from validated templates and proto identifiers, but
 * escape anyway so no descriptor content can break the C output. */
static void put_c_string(FILE *out, const char *s)
{
    fputc('"', out);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(out, "\\%c", c);
        else if (c < 0x20 || c >= 0x7f)
            fprintf(out, "\\%03o", c);
        else
            fputc(c, out);
    }
    fputc('"', out);
}

static void check_duplicates(gen_state *st)
{
    size_t n = st->n_routes;
    char **keys = xrealloc(NULL, n * sizeof *keys);
    for (size_t i = 0; i < n; i++)
        keys[i] = st->routes[i].key;
    qsort(keys, n, sizeof *keys, cmp_str);
    for (size_t i = 1; i < n; i++)
        if (strcmp(keys[i - 1], keys[i]) == 0)
            fail(st, "two methods share the route %s", keys[i]);
    free(keys);
}

/* Every field of a oneof with the oneof's name: protobuf-c keeps no oneof
 * names, and protojson / the query parser name the oneof in errors. */
static void emit_oneofs(gen_state *st, FILE *out)
{
    size_t n = 0;
    fputs("\nconst pbj_oneof_name pbj_oneof_table[] = {\n", out);
    for (size_t i = 0; i < st->n_msgs; i++) {
        const MsgProto *m = st->msgs[i].msg;
        for (size_t k = 0; k < m->n_field; k++) {
            const FieldProto *f = m->field[k];
            if (!f->has_oneof_index || f->oneof_index < 0 || (size_t)f->oneof_index >= m->n_oneof_decl ||
                !f->name || !m->oneof_decl[f->oneof_index]->name)
                continue;
            fputs("    {", out);
            put_c_string(out, st->msgs[i].full_name);
            fputs(", ", out);
            put_c_string(out, f->name);
            fputs(", ", out);
            put_c_string(out, m->oneof_decl[f->oneof_index]->name);
            fputs("},\n", out);
            n++;
        }
    }
    if (n == 0)
        fputs("    {0}\n", out);
    fprintf(out, "};\nconst size_t pbj_oneof_table_len = %zu;\n", n);
}

static int emit(gen_state *st, FILE *out)
{
    /* one #include per proto file that defines a used message */
    size_t n_inc = 0;
    char **incs = xrealloc(NULL, (st->n_msgs + 1) * sizeof *incs);
    for (size_t i = 0; i < st->n_msgs; i++) {
        if (!st->msgs[i].used)
            continue;
        const char *file = st->msgs[i].file;
        size_t len = strlen(file);
        if (len > 6 && strcmp(file + len - 6, ".proto") == 0)
            len -= 6;
        incs[n_inc++] = xasprintf("%.*s.pb-c.h", (int)len, file);
    }
    qsort(incs, n_inc, sizeof *incs, cmp_str);

    fputs("/* Generated by tools/routegen from the protos' google.api.http options.\n"
          " * Do not edit: change the .proto files instead. */\n"
          "#include \"json/internal.h\"\n"
          "#include \"json/route.h\"\n", out);
    for (size_t i = 0; i < n_inc; i++) {
        if (i == 0 || strcmp(incs[i], incs[i - 1]) != 0) {
            fputs("#include ", out);
            put_c_string(out, incs[i]);
            fputc('\n', out);
        }
    }
    for (size_t i = 0; i < n_inc; i++)
        free(incs[i]);
    free(incs);

    qsort(st->routes, st->n_routes, sizeof *st->routes, cmp_routes);
    fputs("\nconst route_entry route_table[] = {\n", out);
    for (size_t i = 0; i < st->n_routes; i++) {
        const route_out *r = &st->routes[i];
        fputs("    {", out);
        put_c_string(out, r->verb);
        fputs(", ", out);
        put_c_string(out, r->pattern);
        fputs(", ", out);
        put_c_string(out, r->body);
        fputs(", ", out);
        put_c_string(out, r->method);
        fprintf(out, ",\n     &%s,\n     &%s},\n", r->request->c_symbol, r->response->c_symbol);
    }
    if (st->n_routes == 0)
        fputs("    {0}\n", out);
    fprintf(out, "};\nconst size_t route_table_len = %zu;\n", st->n_routes);
    emit_oneofs(st, out);
    return ferror(out) ? -1 : 0;
}

/* ---- main ----------------------------------------------------------------- */

static uint8_t *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "routegen: %s: %s\n", path, strerror(errno));
        return NULL;
    }
    size_t cap = 1 << 16, n = 0;
    uint8_t *buf = xrealloc(NULL, cap);
    size_t got;
    while ((got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            if (cap >= MAX_DESC_BYTES) {
                fprintf(stderr, "routegen: %s: larger than %u bytes\n", path, MAX_DESC_BYTES);
                fclose(f);
                free(buf);
                return NULL;
            }
            cap *= 2;
            buf = xrealloc(buf, cap);
        }
    }
    int err = ferror(f);
    fclose(f);
    if (err) {
        fprintf(stderr, "routegen: %s: read error\n", path);
        free(buf);
        return NULL;
    }
    *len = n;
    return buf;
}

static void state_free(gen_state *st)
{
    for (size_t i = 0; i < st->n_msgs; i++) {
        free(st->msgs[i].full_name);
        free(st->msgs[i].c_symbol);
    }
    for (size_t i = 0; i < st->n_routes; i++) {
        route_out *r = &st->routes[i];
        free(r->verb);
        free(r->pattern);
        free(r->body);
        free(r->method);
        free(r->key);
    }
    free(st->msgs);
    free(st->routes);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fputs("usage: routegen api.desc > routes.c\n", stderr);
        return 2;
    }
    size_t len = 0;
    uint8_t *data = read_file(argv[1], &len);
    if (!data)
        return 1;
    FileSet *set = google__protobuf__file_descriptor_set__unpack(NULL, len, data);
    free(data);
    if (!set || set->n_file == 0) {
        fprintf(stderr, "routegen: %s: not a FileDescriptorSet\n", argv[1]);
        if (set)
            google__protobuf__file_descriptor_set__free_unpacked(set, NULL);
        return 1;
    }

    gen_state st = {0};
    for (size_t i = 0; i < set->n_file; i++) {
        const FileProto *f = set->file[i];
        if (!f->name) {
            fail(&st, "file without a name in descriptor set");
            continue;
        }
        for (size_t j = 0; j < f->n_message_type; j++)
            index_message(&st, f->name, str_or_empty(f->package), f->message_type[j], 0);
    }
    for (size_t i = 0; i < set->n_file; i++) {
        const FileProto *f = set->file[i];
        for (size_t j = 0; j < f->n_service; j++)
            for (size_t k = 0; k < f->service[j]->n_method; k++)
                scan_method(&st, f, f->service[j], f->service[j]->method[k]);
    }
    check_duplicates(&st);

    int rc = 1;
    if (st.errors == 0) {
        rc = emit(&st, stdout) == 0 && fflush(stdout) == 0 ? 0 : 1;
        if (rc != 0)
            fputs("routegen: write error\n", stderr);
        else
            fprintf(stderr, "routegen: %zu routes\n", st.n_routes);
    } else {
        fprintf(stderr, "routegen: %d error(s), no route table written\n", st.errors);
    }
    state_free(&st);
    google__protobuf__file_descriptor_set__free_unpacked(set, NULL);
    return rc;
}
