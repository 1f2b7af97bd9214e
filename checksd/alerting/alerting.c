/* alerting: see alerting.h. The collected templates (built-in files,
 * the user's files, the API's rows) live in one sorted array behind a
 * read-write lock, replaced whole by each collection as upstream's
 * CollectTemplates replaces its map; later sources win a shared name. */
#include "alerting.h"

#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alerting/v1/alerting.pb-c.h"
#include "bus/peers.h"
#include "checksd/app.h"
#include "checksd/files.h"
#include "checksd/script.h"
#include "checksd/store/alert_rule_templates.h"
#include "checksd/store/alert_rules.h"
#include "db/settings.h"
#include "internal/v1/rules.pb-c.h"
#include "checksd/enabled.h"
#include "log.h"
#include "pbutil.h"
#include "grafana.h"
#include "render.h"
#include "rules.h"
#include "templates.h"
#include "uuid.h"
#include "validate.h"

#define S "/alerting.v1.AlertingService/"
#define APPLY_TIMEOUT_MS 30000
/* Go's zero time.Time as a Timestamp: files' templates have no creation time */
#define GO_ZERO_TIME_SECONDS INT64_C(-62135596800)

struct alerting {
    alerting_config cfg;
    pthread_rwlock_t lock;
    alert_template *v; /* sorted by name, names unique */
    size_t n;
};

/* ---- collecting --------------------------------------------------------------------------- */

typedef struct {
    alert_template *v;
    size_t n;
} tset;

/* Adds t (taken) to s, replacing a template of the same name. */
static int tset_put(tset *s, alert_template *t)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->v[i].name, t->name) == 0) {
            alert_template_clear(&s->v[i]);
            s->v[i] = *t;
            return 0;
        }
    alert_template *grown = realloc(s->v, (s->n + 1) * sizeof *grown);
    if (!grown) {
        alert_template_clear(t);
        return -1;
    }
    s->v = grown;
    s->v[s->n++] = *t;
    return 0;
}

static int fail_text(char *err, size_t errlen, const char *what, const char *path, const char *why)
{
    snprintf(err, errlen, "%s: %s: %s", what, path, why);
    return -1;
}

/* Built-in files: any error fails the whole set (upstream's walk stops). */
static int load_builtin(tset *s, const char *dir, char *err, size_t errlen)
{
    size_t np;
    char **paths = files_list_yaml(dir, &np);
    int rc = 0;
    for (size_t i = 0; i < np && rc == 0; i++) {
        size_t len = 0, n = 0;
        alert_template *v = NULL;
        char inner[1024] = "";
        char *text = files_read_text(paths[i], &len, inner, sizeof inner);
        if (!text)
            rc = fail_text(err, errlen, "failed to read rule template asset", paths[i], inner);
        else if (templates_parse(text, len, &v, &n, inner, sizeof inner) != 0)
            rc = fail_text(err, errlen, "failed to parse rule template asset", paths[i], inner);
        else if (templates_validate_builtin(paths[i], v, n, err, errlen) != 0)
            rc = -1;
        else {
            v[0].source = SOURCE_BUILT_IN;
            rc = tset_put(s, &v[0]);
            n = 0;
        }
        templates_free(v, n);
        free(text);
    }
    files_free_list(paths, np);
    return rc;
}

/* The user's files: a bad file or template is skipped with a warning. */
static void load_user_files(tset *s, const char *dir)
{
    size_t np;
    char **paths = files_list_yaml(dir, &np);
    for (size_t i = 0; i < np; i++) {
        size_t len = 0, n = 0;
        alert_template *v = NULL;
        char err[1024] = "";
        char *text = files_read_text(paths[i], &len, err, sizeof err);
        if (!text) {
            log_warn("Failed to load rule template file %s.", paths[i]);
            continue;
        }
        if (templates_parse(text, len, &v, &n, err, sizeof err) != 0) {
            log_warn("Failed to parse rule template file %s.", paths[i]);
            free(text);
            continue;
        }
        for (size_t k = 0; k < n; k++) {
            if (templates_validate_user(&v[k], err, sizeof err) != 0) {
                log_warn("%s %s", paths[i], err);
                alert_template_clear(&v[k]);
                continue;
            }
            v[k].source = SOURCE_USER_FILE;
            tset_put(s, &v[k]);
        }
        free(v);
        free(text);
    }
    files_free_list(paths, np);
}

/* The API's rows: each row's YAML, the template of the row's name. */
static int load_rows(tset *s, db *d, rpc_status *st)
{
    PGresult *r = store_alert_rule_templates_list(d, st);
    if (!r)
        return -1;
    for (int i = 0; i < PQntuples(r); i++) {
        const char *name = PQgetvalue(r, i, 0), *yaml = PQgetvalue(r, i, 2);
        alert_template *v = NULL;
        size_t n = 0;
        char err[1024];
        if (templates_parse(yaml, strlen(yaml), &v, &n, err, sizeof err) != 0) {
            log_warn("Failed to parse stored rule template %s: %s.", name, err);
            continue;
        }
        for (size_t k = 0; k < n; k++) {
            if (strcmp(v[k].name, name) != 0) {
                alert_template_clear(&v[k]);
                continue;
            }
            int src = template_source_parse(PQgetvalue(r, i, 1));
            v[k].source = src > 0 ? (template_source)src : SOURCE_USER_API;
            v[k].created_at_us = strtoll(PQgetvalue(r, i, 3), NULL, 10);
            tset_put(s, &v[k]);
        }
        free(v);
    }
    PQclear(r);
    return 0;
}

static int cmp_template(const void *a, const void *b)
{
    return strcmp(((const alert_template *)a)->name, ((const alert_template *)b)->name);
}

/* CollectTemplates: the set is replaced only when every source loaded. */
static void collect(alerting *a, db *d)
{
    tset s = { 0 };
    char err[8192];
    rpc_status st = { 0 };
    if (load_builtin(&s, a->cfg.builtin_dir, err, sizeof err) != 0) {
        log_error("Failed to load built-in rule templates: %s.", err);
        templates_free(s.v, s.n);
        return;
    }
    load_user_files(&s, a->cfg.user_dir);
    if (d && load_rows(&s, d, &st) != 0) {
        log_error("Failed to load rule templates from DB: failed to load rule templates from DB: %s.", st.message);
        templates_free(s.v, s.n);
        return;
    }
    if (s.n)
        qsort(s.v, s.n, sizeof *s.v, cmp_template);
    pthread_rwlock_wrlock(&a->lock);
    alert_template *old = a->v;
    size_t old_n = a->n;
    a->v = s.v;
    a->n = s.n;
    pthread_rwlock_unlock(&a->lock);
    templates_free(old, old_n);
}

alerting *alerting_start(const alerting_config *cfg, db *d)
{
    alerting *a = calloc(1, sizeof *a);
    if (!a)
        return NULL;
    a->cfg = *cfg;
    pthread_rwlock_init(&a->lock, NULL);
    collect(a, d);
    log_info("%zu alerting rule templates loaded", a->n);
    return a;
}

void alerting_stop(alerting *a)
{
    if (!a)
        return;
    templates_free(a->v, a->n);
    pthread_rwlock_destroy(&a->lock);
    free(a);
}

/* A copy of the template named name; 0, or -1 when there is none. */
static int find_copy(alerting *a, const char *name, alert_template *out)
{
    int rc = -1;
    pthread_rwlock_rdlock(&a->lock);
    alert_template key = { .name = (char *)name };
    alert_template *t = a->n ? bsearch(&key, a->v, a->n, sizeof *a->v, cmp_template) : NULL;
    if (t)
        rc = alert_template_copy(out, t);
    pthread_rwlock_unlock(&a->lock);
    return rc;
}

/* ---- handlers ----------------------------------------------------------------------------- */

#define ALERTING(ctx) (APP(ctx)->alerting)

static json_t *pairs_json(char *const *k, char *const *v, size_t n)
{
    json_t *o = json_object();
    for (size_t i = 0; o && i < n; i++)
        json_object_set_new(o, k[i], json_string(v[i]));
    return o;
}

static int set_map(ProtobufCMessage *m, const char *field, char *const *k, char *const *v, size_t n)
{
    json_t *o = pairs_json(k, v, n);
    char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    int rc = text ? pb_set_map_json(m, field, text) : -1;
    free(text);
    return rc;
}

static ProtobufCMessage *duration_msg(int64_t ns)
{
    Google__Protobuf__Duration *d = (Google__Protobuf__Duration *)pb_new(&google__protobuf__duration__descriptor);
    if (d) {
        d->seconds = ns / 1000000000;
        d->nanos = (int32_t)(ns % 1000000000);
    }
    return (ProtobufCMessage *)d;
}

/* convertParamDefinitions: float parameters only (the others are skipped,
 * as upstream's API does). */
static int add_params(Alerting__V1__Template *m, const alert_template *t)
{
    for (size_t i = 0; i < t->n_params; i++) {
        const template_param *p = &t->params[i];
        if (p->type != PARAM_FLOAT) {
            log_warn("Skipping unsupported parameter type \"%s\".", p->type == PARAM_BOOL ? "bool" : "string");
            continue;
        }
        Alerting__V1__ParamDefinition *pd = (Alerting__V1__ParamDefinition *)pb_new(&alerting__v1__param_definition__descriptor);
        Alerting__V1__FloatParamDefinition *f =
            (Alerting__V1__FloatParamDefinition *)pb_new(&alerting__v1__float_param_definition__descriptor);
        if (!pd || !f) {
            free(pd);
            free(f);
            return -1;
        }
        f->has_default = p->has_default;
        f->default_ = p->def;
        f->has_min = p->has_min;
        f->min = p->min;
        f->has_max = p->has_max;
        f->max = p->max;
        pd->unit = strcmp(p->unit, "%") == 0   ? ALERTING__V1__PARAM_UNIT__PARAM_UNIT_PERCENTAGE
                   : strcmp(p->unit, "s") == 0 ? ALERTING__V1__PARAM_UNIT__PARAM_UNIT_SECONDS
                                               : ALERTING__V1__PARAM_UNIT__PARAM_UNIT_UNSPECIFIED;
        pd->type = ALERTING__V1__PARAM_TYPE__PARAM_TYPE_FLOAT;
        if (pb_set_str(&pd->base, "name", p->name) || pb_set_str(&pd->base, "summary", p->summary) ||
            pb_set_msg(&pd->base, "float", &f->base) || pb_append_msg(&m->base, "params", &pd->base))
            return -1;
    }
    return 0;
}

static ProtobufCMessage *convert_template(const alert_template *t)
{
    Alerting__V1__Template *m = (Alerting__V1__Template *)pb_new(&alerting__v1__template__descriptor);
    if (!m)
        return NULL;
    m->severity = (Management__V1__Severity)t->severity;
    m->source = (Alerting__V1__TemplateSource)t->source;
    Google__Protobuf__Timestamp *ts = (Google__Protobuf__Timestamp *)pb_new(&google__protobuf__timestamp__descriptor);
    if (ts) {
        ts->seconds = t->created_at_us ? t->created_at_us / 1000000 : GO_ZERO_TIME_SECONDS;
        ts->nanos = t->created_at_us ? (int32_t)(t->created_at_us % 1000000) * 1000 : 0;
    }
    if (!ts || pb_set_msg(&m->base, "created_at", &ts->base) || pb_set_str(&m->base, "name", t->name) ||
        pb_set_str(&m->base, "summary", t->summary) || pb_set_str(&m->base, "expr", t->expr) ||
        pb_set_str(&m->base, "yaml", t->yaml) || pb_set_msg(&m->base, "for", duration_msg(t->for_ns)) ||
        set_map(&m->base, "labels", t->label_keys, t->label_values, t->n_labels) ||
        set_map(&m->base, "annotations", t->annotation_keys, t->annotation_values, t->n_annotations) ||
        add_params(m, t)) {
        protobuf_c_message_free_unpacked(&m->base, NULL);
        return NULL;
    }
    return &m->base;
}

static int list_templates(rpc_ctx *ctx, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    const Alerting__V1__ListTemplatesRequest *req = (const Alerting__V1__ListTemplatesRequest *)in;
    static const validate_int_rules gte1 = { .has = VALIDATE_GTE, .gte = 1 }, gte0 = { .has = VALIDATE_GTE, .gte = 0 };
    bool has_size = req->_page_size_case == ALERTING__V1__LIST_TEMPLATES_REQUEST___PAGE_SIZE_PAGE_SIZE;
    bool has_index = req->_page_index_case == ALERTING__V1__LIST_TEMPLATES_REQUEST___PAGE_INDEX_PAGE_INDEX;
    if ((has_size && validate_int(&ctx->status, req->page_size, &gte1, "ListTemplatesRequest", "PageSize") != RPC_OK) ||
        (has_index && validate_int(&ctx->status, req->page_index, &gte0, "ListTemplatesRequest", "PageIndex") != RPC_OK))
        return ctx->status.code;
    if (checksd_require(ctx, FEATURE_ALERTING) != RPC_OK)
        return ctx->status.code;
    alerting *a = ALERTING(ctx);
    if (req->reload)
        collect(a, WORKER_DB(ctx));
    Alerting__V1__ListTemplatesResponse *resp =
        (Alerting__V1__ListTemplatesResponse *)pb_new(&alerting__v1__list_templates_response__descriptor);
    if (!resp)
        return checksd_oom(ctx);
    size_t size = has_size ? (size_t)req->page_size : 0, index = has_index ? (size_t)req->page_index : 0;
    int rc = RPC_OK;
    pthread_rwlock_rdlock(&a->lock);
    resp->total_items = (int32_t)a->n;
    resp->total_pages = size ? (int32_t)(a->n / size + (a->n % size ? 1 : 0)) : 1;
    size_t from = index * size, to = (index + 1) * size;
    if (to > a->n || to == 0)
        to = a->n;
    if (from > a->n)
        from = a->n;
    for (size_t i = from; i < to && rc == RPC_OK; i++) {
        ProtobufCMessage *t = convert_template(&a->v[i]);
        if (!t || pb_append_msg(&resp->base, "templates", t))
            rc = RPC_INTERNAL;
    }
    pthread_rwlock_unlock(&a->lock);
    if (rc != RPC_OK) {
        protobuf_c_message_free_unpacked(&resp->base, NULL);
        return checksd_oom(ctx);
    }
    *out = &resp->base;
    return RPC_OK;
}

/* ---- templates through the API ------------------------------------------------------------ */

static char *params_json(const alert_template *t)
{
    static const char *const types[] = { "float", "bool", "string" };
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < t->n_params; i++) {
        const template_param *p = &t->params[i];
        json_t *o = json_pack("{s:s, s:s, s:s, s:s}", "name", p->name, "summary", p->summary, "unit", p->unit, "type",
                              types[p->type]);
        if (o && p->type == PARAM_FLOAT) {
            json_t *f = json_object();
            if (p->has_default)
                json_object_set_new(f, "default", json_real(p->def));
            if (p->has_min)
                json_object_set_new(f, "min", json_real(p->min));
            if (p->has_max)
                json_object_set_new(f, "max", json_real(p->max));
            json_object_set_new(o, "float", f);
        }
        json_array_append_new(arr, o);
    }
    char *s = arr ? json_dumps(arr, JSON_COMPACT) : NULL;
    json_decref(arr);
    return s;
}

/* A store row of t (strings owned by the caller through *j). */
typedef struct {
    char *params, *labels, *annotations;
} row_json;

static int row_of(const alert_template *t, template_row *r, row_json *j, const char *yaml)
{
    json_t *l = pairs_json(t->label_keys, t->label_values, t->n_labels);
    json_t *an = pairs_json(t->annotation_keys, t->annotation_values, t->n_annotations);
    j->params = params_json(t);
    j->labels = l ? json_dumps(l, JSON_COMPACT) : NULL;
    j->annotations = an ? json_dumps(an, JSON_COMPACT) : NULL;
    json_decref(l);
    json_decref(an);
    *r = (template_row){ .name = t->name, .summary = t->summary, .expr = t->expr, .params_json = j->params,
                         .severity = severity_name(t->severity), .labels_json = j->labels,
                         .annotations_json = j->annotations, .source = "user_api", .yaml = yaml,
                         .version = t->version, .for_ns = t->for_ns };
    return j->params && j->labels && j->annotations ? 0 : -1;
}

static void row_json_free(row_json *j)
{
    free(j->params);
    free(j->labels);
    free(j->annotations);
}

static int create_template(rpc_ctx *ctx, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    const Alerting__V1__CreateTemplateRequest *req = (const Alerting__V1__CreateTemplateRequest *)in;
    if (validate_min_len(&ctx->status, req->yaml, 1, "CreateTemplateRequest", "Yaml") != RPC_OK ||
        checksd_require(ctx, FEATURE_ALERTING) != RPC_OK)
        return ctx->status.code;
    alert_template *v = NULL;
    size_t n = 0;
    char err[1024];
    if (templates_parse(req->yaml, strlen(req->yaml), &v, &n, err, sizeof err) != 0) {
        log_error("failed to parse rule template form request: +%s", err);
        return rpc_fail(&ctx->status, RPC_INVALID_ARGUMENT, "Failed to parse rule template: %s.", err);
    }
    int rc = RPC_OK;
    for (size_t i = 0; i < n && rc == RPC_OK; i++) {
        for (size_t k = 0; k < i && rc == RPC_OK; k++)
            if (strcmp(v[k].name, v[i].name) == 0)
                rc = rpc_fail(&ctx->status, RPC_INVALID_ARGUMENT, "Template with name '%s' declared more that once.",
                              v[i].name);
        if (rc == RPC_OK && templates_validate_user(&v[i], err, sizeof err) != 0)
            rc = rpc_fail(&ctx->status, RPC_INVALID_ARGUMENT, "%s.", err);
    }
    db *d = WORKER_DB(ctx);
    if (rc == RPC_OK && db_begin(d, &ctx->status) != RPC_OK)
        rc = ctx->status.code;
    else if (rc == RPC_OK) {
        for (size_t i = 0; i < n && rc == RPC_OK; i++) {
            bool exists = false;
            template_row r;
            row_json j = { 0 };
            if (store_alert_rule_templates_exists(d, v[i].name, &exists, &ctx->status) != RPC_OK)
                rc = ctx->status.code;
            else if (exists)
                rc = rpc_fail(&ctx->status, RPC_ALREADY_EXISTS, "Template with name \"%s\" already exists.", v[i].name);
            else if (row_of(&v[i], &r, &j, req->yaml) != 0)
                rc = checksd_oom(ctx);
            else if (store_alert_rule_templates_insert(d, &r, &ctx->status) != RPC_OK)
                rc = ctx->status.code;
            row_json_free(&j);
        }
        if (rc == RPC_OK && db_commit(d, &ctx->status) != RPC_OK)
            rc = ctx->status.code;
        if (rc != RPC_OK)
            db_rollback(d);
    }
    templates_free(v, n);
    if (rc != RPC_OK)
        return rc;
    collect(ALERTING(ctx), d);
    return (*out = pb_new(&alerting__v1__create_template_response__descriptor)) ? RPC_OK : checksd_oom(ctx);
}

static int update_template(rpc_ctx *ctx, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    const Alerting__V1__UpdateTemplateRequest *req = (const Alerting__V1__UpdateTemplateRequest *)in;
    if (validate_min_len(&ctx->status, req->name, 1, "UpdateTemplateRequest", "Name") != RPC_OK ||
        validate_min_len(&ctx->status, req->yaml, 1, "UpdateTemplateRequest", "Yaml") != RPC_OK ||
        checksd_require(ctx, FEATURE_ALERTING) != RPC_OK)
        return ctx->status.code;
    alert_template *v = NULL;
    size_t n = 0;
    char err[1024];
    if (templates_parse(req->yaml, strlen(req->yaml), &v, &n, err, sizeof err) != 0) {
        log_error("failed to parse rule template form request: +%s", err);
        return rpc_fail(&ctx->status, RPC_INVALID_ARGUMENT, "Failed to parse rule template.");
    }
    int rc = RPC_OK;
    bool found = false;
    template_row r;
    row_json j = { 0 };
    if (n != 1)
        rc = rpc_fail(&ctx->status, RPC_INVALID_ARGUMENT, "Request should contain exactly one rule template.");
    else if (templates_validate_user(&v[0], err, sizeof err) != 0)
        rc = rpc_fail(&ctx->status, RPC_INVALID_ARGUMENT, "%s.", err);
    else if (row_of(&v[0], &r, &j, req->yaml) != 0)
        rc = checksd_oom(ctx);
    else if (store_alert_rule_templates_exists(WORKER_DB(ctx), req->name, &found, &ctx->status) != RPC_OK)
        rc = ctx->status.code;
    else if (!found)
        rc = rpc_fail(&ctx->status, RPC_NOT_FOUND, "Template with name \"%s\" not found.", req->name);
    else if (strcmp(req->name, v[0].name) != 0)
        rc = rpc_fail(&ctx->status, RPC_INVALID_ARGUMENT, "Mismatch names.");
    else if (store_alert_rule_templates_update(WORKER_DB(ctx), &r, &found, &ctx->status) != RPC_OK)
        rc = ctx->status.code;
    else if (!found)
        rc = rpc_fail(&ctx->status, RPC_NOT_FOUND, "Template with name \"%s\" not found.", req->name);
    row_json_free(&j);
    templates_free(v, n);
    if (rc != RPC_OK)
        return rc;
    collect(ALERTING(ctx), WORKER_DB(ctx));
    return (*out = pb_new(&alerting__v1__update_template_response__descriptor)) ? RPC_OK : checksd_oom(ctx);
}

static int delete_template(rpc_ctx *ctx, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    const Alerting__V1__DeleteTemplateRequest *req = (const Alerting__V1__DeleteTemplateRequest *)in;
    if (validate_min_len(&ctx->status, req->name, 1, "DeleteTemplateRequest", "Name") != RPC_OK ||
        checksd_require(ctx, FEATURE_ALERTING) != RPC_OK)
        return ctx->status.code;
    bool found = false;
    if (store_alert_rule_templates_delete(WORKER_DB(ctx), req->name, &found, &ctx->status) != RPC_OK)
        return ctx->status.code;
    if (!found)
        return rpc_fail(&ctx->status, RPC_NOT_FOUND, "Template with name \"%s\" not found.", req->name);
    collect(ALERTING(ctx), WORKER_DB(ctx));
    return (*out = pb_new(&alerting__v1__delete_template_response__descriptor)) ? RPC_OK : checksd_oom(ctx);
}

/* ---- rules -------------------------------------------------------------------------------- */

/* AlertExprParamsValues.AsStringMap over the request's values. */
typedef struct {
    const char **keys, **values;
    char (*texts)[64];
    size_t n;
} param_values;

static void param_values_free(param_values *p)
{
    free(p->keys);
    free(p->values);
    free(p->texts);
}

static const char *param_type_name(param_type t)
{
    return t == PARAM_FLOAT ? "float" : t == PARAM_BOOL ? "bool" : "string";
}

/* convertParamsValuesToModel + validateParameters + AsStringMap. */
static int check_params(rpc_ctx *ctx, const alert_template *t, const Alerting__V1__CreateRuleRequest *req,
                        param_values *pv)
{
    size_t n = req->n_params;
    pv->keys = calloc(n + 1, sizeof *pv->keys);
    pv->values = calloc(n + 1, sizeof *pv->values);
    pv->texts = calloc(n + 1, sizeof *pv->texts);
    param_type *types = calloc(n + 1, sizeof *types);
    double *floats = calloc(n + 1, sizeof *floats);
    int rc = pv->keys && pv->values && pv->texts && types && floats ? RPC_OK : checksd_oom(ctx);
    for (size_t i = 0; i < n && rc == RPC_OK; i++) {
        const Alerting__V1__ParamValue *p = req->params[i];
        pv->keys[i] = p->name;
        pv->values[i] = pv->texts[i];
        switch (p->type) {
        case ALERTING__V1__PARAM_TYPE__PARAM_TYPE_BOOL:
            types[i] = PARAM_BOOL;
            snprintf(pv->texts[i], 64, "%s", p->value_case == ALERTING__V1__PARAM_VALUE__VALUE_BOOL && p->bool_ ? "true" : "false");
            break;
        case ALERTING__V1__PARAM_TYPE__PARAM_TYPE_FLOAT:
            types[i] = PARAM_FLOAT;
            floats[i] = p->value_case == ALERTING__V1__PARAM_VALUE__VALUE_FLOAT ? p->float_ : 0;
            render_float(floats[i], pv->texts[i], 64);
            break;
        case ALERTING__V1__PARAM_TYPE__PARAM_TYPE_STRING:
            /* upstream's quirk: a string value is kept as a float (zero) */
            types[i] = PARAM_FLOAT;
            render_float(0, pv->texts[i], 64);
            break;
        default:
            rc = rpc_fail(&ctx->status, RPC_UNKNOWN, "invalid model rule param value type");
        }
    }
    pv->n = n;
    if (rc == RPC_OK && t->n_params != n)
        rc = rpc_fail(&ctx->status, RPC_INVALID_ARGUMENT, "Expression requires %zu parameters, but got %zu.",
                      t->n_params, n);
    for (size_t d = 0; d < t->n_params && rc == RPC_OK; d++) {
        const template_param *def = &t->params[d];
        size_t k = n;
        for (size_t i = 0; i < n; i++) /* the last value of a name wins, as in upstream's map */
            if (strcmp(pv->keys[i], def->name) == 0)
                k = i;
        if (k == n)
            rc = rpc_fail(&ctx->status, RPC_INVALID_ARGUMENT, "Parameter %s is missing.", def->name);
        else if (types[k] != def->type)
            rc = rpc_fail(&ctx->status, RPC_INVALID_ARGUMENT, "Parameter %s has type %s instead of %s.", def->name,
                          param_type_name(types[k]), param_type_name(def->type));
        else if (def->type == PARAM_FLOAT && def->has_min && def->min > floats[k])
            rc = rpc_fail(&ctx->status, RPC_INVALID_ARGUMENT, "Parameter %s value is less than required minimum.",
                          def->name);
        else if (def->type == PARAM_FLOAT && def->has_max && def->max < floats[k])
            rc = rpc_fail(&ctx->status, RPC_INVALID_ARGUMENT, "Parameter %s value is greater than required maximum.",
                          def->name);
    }
    free(types);
    free(floats);
    return rc;
}

/* transformMaps: every value of the pairs rendered into dst. */
static int transform(rpc_ctx *ctx, json_t *dst, char *const *k, char *const *v, size_t n, const param_values *pv,
                     const char *what)
{
    for (size_t i = 0; i < n; i++) {
        char err[1024];
        char *s = render_params(v[i], pv->keys, pv->values, pv->n, err, sizeof err);
        if (!s)
            return rpc_fail(&ctx->status, RPC_UNKNOWN, "failed to fill %s placeholders: %s", what, err);
        json_object_set_new(dst, k[i], json_string(s));
        free(s);
    }
    return RPC_OK;
}

/* The expression with the filters around it (upstream's label_match /
 * label_mismatch, which MetricsQL evaluates). malloc'd or NULL (st). */
static char *rule_expr(rpc_ctx *ctx, const alert_template *t, const Alerting__V1__CreateRuleRequest *req,
                       const param_values *pv)
{
    char err[1024];
    char *expr = render_params(t->expr, pv->keys, pv->values, pv->n, err, sizeof err);
    if (!expr) {
        bool exec = strstr(err, "executing") != NULL;
        rpc_fail(&ctx->status, RPC_UNKNOWN, "failed to fill rule expression with parameters: %s: %s",
                 exec ? "failed to fill expression placeholders" : "failed to parse expression", err);
        return NULL;
    }
    for (size_t i = 0; i < req->n_filters; i++) {
        const Alerting__V1__Filter *f = req->filters[i];
        const char *fn = f->type == ALERTING__V1__FILTER_TYPE__FILTER_TYPE_MATCH      ? "label_match"
                         : f->type == ALERTING__V1__FILTER_TYPE__FILTER_TYPE_MISMATCH ? "label_mismatch"
                                                                                       : NULL;
        char *wrapped = NULL;
        if (!fn)
            rpc_fail(&ctx->status, RPC_UNKNOWN, "unknown filter type: *alertingv1.Filter");
        else if (asprintf(&wrapped, "%s(%s, \"%s\", \"%s\")", fn, expr, f->label, f->regexp) < 0)
            wrapped = NULL, checksd_oom(ctx);
        free(expr);
        if (!(expr = wrapped))
            return NULL;
    }
    return expr;
}

/* configd checks the file with vmalert -dryRun, puts it in place and
 * reloads vmalert; its refusal is the caller's answer. */
static int apply_rules_file(rpc_ctx *ctx, const char *content)
{
    Internal__V1__ApplyRulesRequest req = INTERNAL__V1__APPLY_RULES_REQUEST__INIT;
    req.name = RULES_FILE_NAME;
    req.content = (char *)content;
    size_t len = internal__v1__apply_rules_request__get_packed_size(&req);
    uint8_t *buf = malloc(len ? len : 1);
    bus_client *c = bus_peers_get("configd");
    if (!buf || !c) {
        free(buf);
        return rpc_fail(&ctx->status, RPC_UNAVAILABLE, "configd is not reachable");
    }
    internal__v1__apply_rules_request__pack(&req, buf);
    bus_request br = { .method = "/internal.v1.RulesService/ApplyRules", .user = "", .role = "", .body = buf,
                       .body_len = len };
    bus_reply rep = { 0 };
    int code = bus_client_call(c, &br, APPLY_TIMEOUT_MS, &rep);
    if (code != RPC_OK)
        rpc_fail(&ctx->status, code, "%s", rep.message ? rep.message : "configd did not answer");
    bus_reply_clear(&rep);
    free(buf);
    return code;
}

/* Every stored rule rendered (the new one included: same transaction). */
static char *render_all(rpc_ctx *ctx)
{
    PGresult *r = store_alert_rules_list(WORKER_DB(ctx), &ctx->status);
    if (!r)
        return NULL;
    int n = PQntuples(r);
    rule_spec *v = calloc((size_t)n + 1, sizeof *v);
    json_t **js = calloc(2 * (size_t)n + 1, sizeof *js);
    char *file = NULL;
    if (v && js) {
        for (int i = 0; i < n; i++) {
            js[2 * i] = json_loads(PQgetvalue(r, i, 4), 0, NULL);
            js[2 * i + 1] = json_loads(PQgetvalue(r, i, 5), 0, NULL);
            v[i] = (rule_spec){ .name = PQgetvalue(r, i, 0), .group = PQgetvalue(r, i, 1),
                                .expr = PQgetvalue(r, i, 2), .for_ns = strtoll(PQgetvalue(r, i, 3), NULL, 10),
                                .labels = js[2 * i], .annotations = js[2 * i + 1] };
        }
        file = rules_render_file(v, (size_t)n, ALERTING(ctx)->cfg.rules_interval);
    }
    for (int i = 0; js && i < 2 * n; i++)
        json_decref(js[i]);
    free(js);
    free(v);
    PQclear(r);
    if (!file)
        checksd_oom(ctx);
    return file;
}

/* The rule stored and the rules file applied in one transaction: a file
 * vmalert refuses leaves no row behind. With a Grafana URL the Grafana
 * rule is made last; when Grafana refuses it, the row goes and the file
 * is applied again without the rule. */
static int store_and_apply(rpc_ctx *ctx, const rule_row *row, const grafana_rule *gr)
{
    db *d = WORKER_DB(ctx);
    const alerting_config *cfg = &ALERTING(ctx)->cfg;
    if (db_begin(d, &ctx->status) != RPC_OK)
        return ctx->status.code;
    char *file = NULL;
    bool applied = false;
    int rc = store_alert_rules_insert(d, row, &ctx->status);
    if (rc == RPC_OK && !(file = render_all(ctx)))
        rc = ctx->status.code;
    if (rc == RPC_OK)
        applied = (rc = apply_rules_file(ctx, file)) == RPC_OK;
    if (rc == RPC_OK && cfg->grafana_url && *cfg->grafana_url) {
        grafana_params g = { .url = cfg->grafana_url, .auth_header = cfg->grafana_auth, .timeout_ms = 10000 };
        rc = grafana_create_rule(&g, gr, &ctx->status);
    }
    if (rc == RPC_OK && db_commit(d, &ctx->status) != RPC_OK)
        rc = ctx->status.code;
    if (rc != RPC_OK)
        db_rollback(d);
    free(file);
    if (rc != RPC_OK && applied) {
        rpc_status saved = ctx->status;
        char *again = render_all(ctx);
        if (!again || apply_rules_file(ctx, again) != RPC_OK)
            log_error("vmalert rules %s.yml still hold rule %s: %s", RULES_FILE_NAME, row->name, ctx->status.message);
        free(again);
        ctx->status = saved;
    }
    return rc;
}

static int create_rule(rpc_ctx *ctx, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    const Alerting__V1__CreateRuleRequest *req = (const Alerting__V1__CreateRuleRequest *)in;
    for (size_t i = 0; i < req->n_params; i++) {
        char field[48], idx[24];
        snprintf(idx, sizeof idx, "%zu", i);
        validate_index(field, sizeof field, "params", idx);
        if (validate_min_len(&ctx->status, req->params[i]->name, 1, "ParamValue", "Name") != RPC_OK)
            return validate_embedded(&ctx->status, "CreateRuleRequest", field);
    }
    if (checksd_require(ctx, FEATURE_ALERTING) != RPC_OK)
        return ctx->status.code;
    if (!*req->template_name)
        return rpc_fail(&ctx->status, RPC_INVALID_ARGUMENT, "Template name should be specified.");
    if (!*req->folder_uid)
        return rpc_fail(&ctx->status, RPC_INVALID_ARGUMENT, "Folder UID should be specified.");
    if (!*req->group)
        return rpc_fail(&ctx->status, RPC_INVALID_ARGUMENT, "Rule group name should be specified.");
    alert_template t = { 0 };
    if (find_copy(ALERTING(ctx), req->template_name, &t) != 0)
        return rpc_fail(&ctx->status, RPC_NOT_FOUND, "Unknown template %s.", req->template_name);
    param_values pv = { 0 };
    json_t *labels = json_object(), *annotations = json_object();
    char *expr = NULL, *lj = NULL, *aj = NULL;
    int rc = labels && annotations ? check_params(ctx, &t, req, &pv) : checksd_oom(ctx);
    if (rc == RPC_OK && !(expr = rule_expr(ctx, &t, req, &pv)))
        rc = ctx->status.code;
    if (rc == RPC_OK)
        rc = transform(ctx, annotations, t.annotation_keys, t.annotation_values, t.n_annotations, &pv,
                       "template annotations");
    for (size_t i = 0; rc == RPC_OK && i < req->n_custom_labels; i++)
        rc = transform(ctx, labels, &req->custom_labels[i]->key, &req->custom_labels[i]->value, 1, &pv,
                       "rule labels");
    if (rc == RPC_OK)
        rc = transform(ctx, labels, t.label_keys, t.label_values, t.n_labels, &pv, "template labels");
    if (rc == RPC_OK && !*req->name)
        rc = rpc_fail(&ctx->status, RPC_INVALID_ARGUMENT, "Rule name should be specified.");
    if (rc == RPC_OK) {
        /* no volatile values in labels: they are the alert's identity */
        json_object_set_new(labels, "percona_alerting", json_string("1"));
        json_object_set_new(labels, "severity", json_string(severity_name((int)req->severity)));
        json_object_set_new(labels, "template_name", json_string(req->template_name));
        lj = json_dumps(labels, JSON_COMPACT | JSON_SORT_KEYS);
        aj = json_dumps(annotations, JSON_COMPACT | JSON_SORT_KEYS);
        char id[UUID_STR_LEN];
        uuid_v4(id);
        int64_t for_ns = req->for_ ? req->for_->seconds * 1000000000 + req->for_->nanos : t.for_ns;
        rule_row row = { .id = id, .name = req->name, .group = req->group, .folder_uid = req->folder_uid,
                         .template_name = req->template_name, .expr = expr, .labels_json = lj,
                         .annotations_json = aj, .for_ns = for_ns };
        grafana_rule gr = { .folder_uid = req->folder_uid, .group = req->group,
                            .interval = ALERTING(ctx)->cfg.rules_interval, .title = req->name, .expr = expr,
                            .for_ns = for_ns, .labels = labels, .annotations = annotations };
        rc = lj && aj ? store_and_apply(ctx, &row, &gr) : checksd_oom(ctx);
        if (rc == RPC_OK)
            log_info("alert rule %s (group %s, template %s) applied", req->name, req->group, req->template_name);
    }
    free(lj);
    free(aj);
    free(expr);
    json_decref(labels);
    json_decref(annotations);
    param_values_free(&pv);
    alert_template_clear(&t);
    if (rc != RPC_OK)
        return rc;
    return (*out = pb_new(&alerting__v1__create_rule_response__descriptor)) ? RPC_OK : checksd_oom(ctx);
}

const rpc_method alerting_methods[] = {
    { S "ListTemplates", &alerting__v1__list_templates_request__descriptor, list_templates },
    { S "CreateTemplate", &alerting__v1__create_template_request__descriptor, create_template },
    { S "UpdateTemplate", &alerting__v1__update_template_request__descriptor, update_template },
    { S "DeleteTemplate", &alerting__v1__delete_template_request__descriptor, delete_template },
    { S "CreateRule", &alerting__v1__create_rule_request__descriptor, create_rule },
};
const size_t alerting_methods_count = sizeof alerting_methods / sizeof *alerting_methods;
