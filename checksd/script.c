/* script: see script.h. */
#include "script.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "starlark/pmm.h"
#include "starlark/starlark.h"

/* What print() may leave in an answer. */
#define PRINT_MAX 8192

static const char *const severities[] = { "unknown", "emergency", "alert", "critical", "error",
                                          "warning", "notice",    "info",  "debug" };

int severity_parse(const char *s, size_t len)
{
    for (int i = 1; i <= 8; i++)
        if (strlen(severities[i]) == len && strncasecmp(s, severities[i], len) == 0)
            return i;
    return 0;
}

const char *severity_name(int sev)
{
    return sev >= 1 && sev <= 8 ? severities[sev] : severities[0];
}

/* ---- msgpack helpers --------------------------------------------------------------------- */

static void pack_str(msgpack_packer *pk, const char *s, size_t n)
{
    msgpack_pack_str(pk, n);
    msgpack_pack_str_body(pk, s, n);
}

static void pack_cstr(msgpack_packer *pk, const char *s)
{
    pack_str(pk, s, strlen(s));
}

int script_request_pack(msgpack_sbuffer *out, int version, const char *name, const char *script,
                        const msgpack_sbuffer *const *results, size_t n_results)
{
    msgpack_packer pk;
    msgpack_packer_init(&pk, out, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 4);
    pack_cstr(&pk, "version");
    msgpack_pack_int(&pk, version);
    pack_cstr(&pk, "name");
    pack_cstr(&pk, name);
    pack_cstr(&pk, "script");
    pack_cstr(&pk, script);
    pack_cstr(&pk, "results");
    msgpack_pack_array(&pk, n_results);
    for (size_t i = 0; i < n_results; i++) {
        if (results[i] && results[i]->size)
            msgpack_sbuffer_write(out, results[i]->data, results[i]->size);
        else
            msgpack_pack_nil(&pk);
    }
    return out->data ? 0 : -1;
}

static bool key_is(const msgpack_object *k, const char *name)
{
    size_t n = strlen(name);
    return k->type == MSGPACK_OBJECT_STR && k->via.str.size == n && memcmp(k->via.str.ptr, name, n) == 0;
}

static const msgpack_object *map_get(const msgpack_object *m, const char *name)
{
    if (m->type != MSGPACK_OBJECT_MAP)
        return NULL;
    for (uint32_t i = 0; i < m->via.map.size; i++)
        if (key_is(&m->via.map.ptr[i].key, name))
            return &m->via.map.ptr[i].val;
    return NULL;
}

static char *dup_str(const msgpack_object *o)
{
    if (!o || (o->type != MSGPACK_OBJECT_STR && o->type != MSGPACK_OBJECT_BIN))
        return strdup("");
    const char *p = o->type == MSGPACK_OBJECT_STR ? o->via.str.ptr : o->via.bin.ptr;
    size_t n = o->type == MSGPACK_OBJECT_STR ? o->via.str.size : o->via.bin.size;
    char *s = malloc(n + 1);
    if (s) {
        memcpy(s, p, n);
        s[n] = '\0';
    }
    return s;
}

/* ---- query results -> Starlark --------------------------------------------------------- */

static sl_value to_starlark(sl_thread *t, const msgpack_object *o)
{
    switch (o->type) {
    case MSGPACK_OBJECT_NIL: return sl_none();
    case MSGPACK_OBJECT_BOOLEAN: return sl_bool(o->via.boolean);
    case MSGPACK_OBJECT_POSITIVE_INTEGER:
        /* ints are 64-bit here: a larger unsigned value becomes a float */
        return o->via.u64 > (uint64_t)INT64_MAX ? sl_float((double)o->via.u64) : sl_int((int64_t)o->via.u64);
    case MSGPACK_OBJECT_NEGATIVE_INTEGER: return sl_int(o->via.i64);
    case MSGPACK_OBJECT_FLOAT32:
    case MSGPACK_OBJECT_FLOAT64: return sl_float(o->via.f64);
    case MSGPACK_OBJECT_STR: return sl_strn(t, o->via.str.ptr, o->via.str.size);
    case MSGPACK_OBJECT_BIN: return sl_strn(t, o->via.bin.ptr, o->via.bin.size);
    case MSGPACK_OBJECT_ARRAY: {
        sl_value l = sl_list_new(t, o->via.array.size);
        for (uint32_t i = 0; i < o->via.array.size && !sl_is_error(l); i++) {
            sl_value v = to_starlark(t, &o->via.array.ptr[i]);
            if (sl_is_error(v) || sl_list_append(t, l, v) != 0)
                return (sl_value){ .kind = SL_INVALID };
        }
        return l;
    }
    case MSGPACK_OBJECT_MAP: {
        sl_value d = sl_dict_new(t);
        for (uint32_t i = 0; i < o->via.map.size && !sl_is_error(d); i++) {
            sl_value k = to_starlark(t, &o->via.map.ptr[i].key);
            sl_value v = sl_is_error(k) ? k : to_starlark(t, &o->via.map.ptr[i].val);
            if (sl_is_error(v) || sl_dict_set(t, d, k, v) != 0)
                return (sl_value){ .kind = SL_INVALID };
        }
        return d;
    }
    default: return sl_none();
    }
}

/* ---- the run ------------------------------------------------------------------------------ */

typedef struct {
    char print[PRINT_MAX];
    size_t print_len;
    char error[2048];
    msgpack_sbuffer results; /* packed result maps */
    size_t n_results;
} run_state;

static void on_print(void *ud, const char *msg, size_t len)
{
    run_state *r = ud;
    size_t room = sizeof r->print - 1 - r->print_len;
    size_t n = len < room ? len : room;
    memcpy(r->print + r->print_len, msg, n);
    r->print_len += n;
    if (r->print_len < sizeof r->print - 1)
        r->print[r->print_len++] = '\n';
    r->print[r->print_len] = '\0';
}

static int failf(run_state *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int failf(run_state *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->error, sizeof r->error, fmt, ap);
    va_end(ap);
    return -1;
}

static int starlark_error(run_state *r, sl_thread *t)
{
    const sl_error *e = sl_last_error(t);
    if (e->file && *e->file && e->line)
        return failf(r, "%s:%d:%d: %s", e->file, e->line, e->col, e->msg);
    return failf(r, "%s", e->msg ? e->msg : "starlark error");
}

/* url.ParseRequestURI's acceptance: an absolute path, or an absolute URI
 * (scheme ":" ...), with no spaces or control characters. */
static bool request_uri_ok(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] <= ' ' || s[i] == 0x7f)
            return false;
    if (s[0] == '/')
        return true;
    size_t i = 0;
    if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z')))
        return false;
    while (i < n && ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') ||
                     s[i] == '+' || s[i] == '-' || s[i] == '.'))
        i++;
    return i < n && s[i] == ':';
}

/* One returned dict into a packed result map, checked as upstream's
 * check.Result.Validate does. */
static int add_result(run_state *r, sl_thread *t, sl_value d, size_t idx)
{
    if (sl_kind_of(d) != SL_DICT)
        return failf(r, "result %zu: unexpected type %s, expected dict", idx, sl_type_name(d));
    const char *names[3] = { "summary", "description", "read_more_url" };
    const char *str[3] = { "", "", "" };
    size_t len[3] = { 0, 0, 0 };
    for (int i = 0; i < 3; i++) {
        sl_value v;
        if (!sl_dict_get_str(d, names[i], &v) || sl_kind_of(v) == SL_NONE)
            continue;
        if (!(str[i] = sl_str(v, &len[i])))
            return failf(r, "result %zu: %s must be a string, got %s", idx, names[i], sl_type_name(v));
    }
    if (!len[0])
        return failf(r, "result %zu: summary is empty", idx);
    if (len[2] && !request_uri_ok(str[2], len[2]))
        return failf(r, "result %zu: parse \"%.*s\": invalid URI for request", idx, (int)len[2], str[2]);
    sl_value sv;
    int sev = 0;
    if (sl_dict_get_str(d, "severity", &sv)) {
        size_t n;
        const char *s = sl_str(sv, &n);
        if (!s)
            return failf(r, "result %zu: severity must be a string, got %s", idx, sl_type_name(sv));
        if (!(sev = severity_parse(s, n)))
            return failf(r, "result %zu: unhandled result severity: %.*s", idx, (int)n, s);
    } else {
        return failf(r, "result %zu: unhandled result severity: unknown", idx);
    }
    sl_value labels;
    bool has_labels = sl_dict_get_str(d, "labels", &labels) && sl_kind_of(labels) != SL_NONE;
    if (has_labels && sl_kind_of(labels) != SL_DICT)
        return failf(r, "result %zu: labels must be a dict, got %s", idx, sl_type_name(labels));
    long nl = has_labels ? sl_len(labels) : 0;
    for (long i = 0; i < nl; i++) {
        sl_value k, v;
        sl_dict_entry(labels, (size_t)i, &k, &v);
        if (sl_kind_of(k) != SL_STRING || sl_kind_of(v) != SL_STRING)
            return failf(r, "result %zu: labels must map strings to strings", idx);
    }
    msgpack_packer pk;
    msgpack_packer_init(&pk, &r->results, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 5);
    for (int i = 0; i < 3; i++) {
        pack_cstr(&pk, names[i]);
        pack_str(&pk, str[i], len[i]);
    }
    pack_cstr(&pk, "severity");
    msgpack_pack_int(&pk, sev);
    pack_cstr(&pk, "labels");
    msgpack_pack_map(&pk, (size_t)nl);
    for (long i = 0; i < nl; i++) {
        sl_value k, v;
        size_t kn, vn;
        sl_dict_entry(labels, (size_t)i, &k, &v);
        const char *ks = sl_str(k, &kn), *vs = sl_str(v, &vn);
        pack_str(&pk, ks, kn);
        pack_str(&pk, vs, vn);
    }
    r->n_results++;
    (void)t;
    return 0;
}

static int evaluate(run_state *r, const msgpack_object *req, const script_limits *lim)
{
    const msgpack_object *ver = map_get(req, "version"), *results = map_get(req, "results");
    char *name = dup_str(map_get(req, "name")), *src = dup_str(map_get(req, "script"));
    int rc = -1;
    sl_thread *t = NULL;
    if (!name || !src || !ver || ver->type != MSGPACK_OBJECT_POSITIVE_INTEGER || !results ||
        results->type != MSGPACK_OBJECT_ARRAY) {
        failf(r, "malformed script request");
        goto out;
    }
    sl_options o = { 0 };
    o.max_memory = lim ? lim->max_memory : 0;
    o.max_steps = lim ? lim->max_steps : 0;
    o.print = on_print;
    o.print_ud = r;
    if (!(t = sl_thread_new(&o)) || sl_pmm_predeclare(t) != 0) {
        failf(r, "cannot start the interpreter");
        goto out;
    }
    sl_module *m = sl_exec(t, name, src, strlen(src));
    if (!m) {
        starlark_error(r, t);
        goto out;
    }
    sl_value fn;
    if (!sl_module_get(m, "check_context", &fn)) {
        failf(r, "check_context function is not defined");
        goto out;
    }
    /* version 1 gets the first result alone, version 2 the list of all */
    sl_value docs;
    if (ver->via.u64 == 1) {
        docs = results->via.array.size ? to_starlark(t, &results->via.array.ptr[0]) : sl_list_new(t, 0);
    } else {
        docs = sl_list_new(t, results->via.array.size);
        for (uint32_t i = 0; i < results->via.array.size && !sl_is_error(docs); i++) {
            sl_value v = to_starlark(t, &results->via.array.ptr[i]);
            if (sl_is_error(v) || sl_list_append(t, docs, v) != 0)
                docs = (sl_value){ .kind = SL_INVALID };
        }
    }
    sl_value ctx = sl_is_error(docs) ? docs : sl_pmm_context(t);
    if (sl_is_error(ctx)) {
        starlark_error(r, t);
        goto out;
    }
    sl_freeze(t, docs);
    sl_value args[2] = { docs, ctx };
    sl_value ret = sl_call(t, fn, args, 2);
    if (sl_is_error(ret)) {
        starlark_error(r, t);
        goto out;
    }
    size_t n;
    const char *s = sl_str(ret, &n);
    if (s) {
        failf(r, "script returned error: %.*s", (int)n, s);
        goto out;
    }
    if (sl_kind_of(ret) != SL_LIST && sl_kind_of(ret) != SL_TUPLE) {
        failf(r, "unexpected return type: %s, expected list", sl_type_name(ret));
        goto out;
    }
    long count = sl_len(ret);
    rc = 0;
    for (long i = 0; i < count && rc == 0; i++)
        rc = add_result(r, t, sl_index(ret, (size_t)i), (size_t)i);
out:
    sl_thread_free(t);
    free(name);
    free(src);
    return rc;
}

int script_run(const char *req, size_t len, const script_limits *lim, msgpack_sbuffer *out)
{
    run_state *r = calloc(1, sizeof *r);
    if (!r)
        return -1;
    msgpack_sbuffer_init(&r->results);
    msgpack_unpacked u;
    msgpack_unpacked_init(&u);
    size_t off = 0;
    int rc;
    if (msgpack_unpack_next(&u, req, len, &off) != MSGPACK_UNPACK_SUCCESS || u.data.type != MSGPACK_OBJECT_MAP)
        rc = failf(r, "malformed script request");
    else
        rc = evaluate(r, &u.data, lim);
    msgpack_packer pk;
    msgpack_packer_init(&pk, out, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 3);
    pack_cstr(&pk, "results");
    if (rc == 0) {
        msgpack_pack_array(&pk, r->n_results);
        if (r->results.size)
            msgpack_sbuffer_write(out, r->results.data, r->results.size);
    } else {
        msgpack_pack_array(&pk, 0);
    }
    pack_cstr(&pk, "error");
    if (rc == 0)
        msgpack_pack_nil(&pk);
    else
        pack_cstr(&pk, r->error);
    pack_cstr(&pk, "print");
    pack_str(&pk, r->print, r->print_len);
    msgpack_unpacked_destroy(&u);
    msgpack_sbuffer_destroy(&r->results);
    free(r);
    return out->data ? 0 : -1;
}

/* ---- answers ------------------------------------------------------------------------------ */

void script_result_clear(script_result *r)
{
    free(r->summary);
    free(r->description);
    free(r->read_more_url);
    for (size_t i = 0; i < r->n_labels; i++) {
        free(r->label_keys[i]);
        free(r->label_values[i]);
    }
    free(r->label_keys);
    free(r->label_values);
    memset(r, 0, sizeof *r);
}

void script_output_clear(script_output *o)
{
    for (size_t i = 0; i < o->n; i++)
        script_result_clear(&o->results[i]);
    free(o->results);
    free(o->error);
    free(o->print);
    memset(o, 0, sizeof *o);
}

static int parse_result(const msgpack_object *m, script_result *r)
{
    const msgpack_object *sev = map_get(m, "severity"), *labels = map_get(m, "labels");
    r->summary = dup_str(map_get(m, "summary"));
    r->description = dup_str(map_get(m, "description"));
    r->read_more_url = dup_str(map_get(m, "read_more_url"));
    if (!r->summary || !r->description || !r->read_more_url || !sev || sev->type != MSGPACK_OBJECT_POSITIVE_INTEGER ||
        !labels || labels->type != MSGPACK_OBJECT_MAP)
        return -1;
    r->severity = (int)sev->via.u64;
    uint32_t n = labels->via.map.size;
    r->label_keys = calloc(n + 1, sizeof *r->label_keys);
    r->label_values = calloc(n + 1, sizeof *r->label_values);
    if (!r->label_keys || !r->label_values)
        return -1;
    for (uint32_t i = 0; i < n; i++) {
        r->label_keys[i] = dup_str(&labels->via.map.ptr[i].key);
        r->label_values[i] = dup_str(&labels->via.map.ptr[i].val);
        r->n_labels = i + 1;
        if (!r->label_keys[i] || !r->label_values[i])
            return -1;
    }
    return 0;
}

int script_output_parse(const char *buf, size_t len, script_output *o)
{
    memset(o, 0, sizeof *o);
    msgpack_unpacked u;
    msgpack_unpacked_init(&u);
    size_t off = 0;
    int rc = -1;
    if (msgpack_unpack_next(&u, buf, len, &off) == MSGPACK_UNPACK_SUCCESS && u.data.type == MSGPACK_OBJECT_MAP) {
        const msgpack_object *res = map_get(&u.data, "results"), *err = map_get(&u.data, "error");
        o->print = dup_str(map_get(&u.data, "print"));
        if (err && err->type == MSGPACK_OBJECT_STR)
            o->error = dup_str(err);
        if (res && res->type == MSGPACK_OBJECT_ARRAY && o->print &&
            (o->results = calloc(res->via.array.size + 1, sizeof *o->results))) {
            rc = 0;
            for (uint32_t i = 0; i < res->via.array.size && rc == 0; i++) {
                o->n = i + 1;
                rc = parse_result(&res->via.array.ptr[i], &o->results[i]);
            }
        }
    }
    msgpack_unpacked_destroy(&u);
    if (rc != 0) {
        script_output_clear(o);
        o->error = strdup("the script process gave a malformed answer");
    }
    return rc;
}
