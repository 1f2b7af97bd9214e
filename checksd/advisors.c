/* advisors: advisors.v1.AdvisorService (advisors reference §8, upstream
 * managed/services/management/checks.go): the loaded advisors and checks,
 * the stored results, runs on request, enabling and disabling checks
 * (settings sass.disabled_advisors) and interval overrides
 * (check_settings). */
#include "advisors.h"

#include <stdlib.h>
#include <string.h>

#include "advisors/v1/advisors.pb-c.h"
#include "app.h"
#include "catalog.h"
#include "db/settings.h"
#include "checksd/enabled.h"
#include "log.h"
#include "results.h"
#include "store/check_settings.h"
#include "validate.h"

#define S "/advisors.v1.AdvisorService/"

static char *xs(const char *s)
{
    return strdup(s ? s : "");
}

/* ---- results ------------------------------------------------------------------------------ */

typedef struct {
    const char *service_id; /* "" or NULL: all */
    Advisors__V1__CheckResult **v;
    size_t n, cap;
    bool failed;
} collected;

static Advisors__V1__CheckResult *convert_result(const check_result *r)
{
    Advisors__V1__CheckResult *m = malloc(sizeof *m);
    if (!m)
        return NULL;
    advisors__v1__check_result__init(m);
    m->summary = xs(r->r.summary);
    m->description = xs(r->r.description);
    m->severity = (Management__V1__Severity)r->r.severity;
    m->read_more_url = xs(r->r.read_more_url);
    m->service_name = xs(r->service_name);
    m->service_id = xs(r->service_id);
    m->check_name = xs(r->check_name);
    /* the script's labels overlaid by the target's */
    size_t cap = r->r.n_labels + r->n_labels;
    m->labels = calloc(cap + 1, sizeof *m->labels);
    bool ok = m->summary && m->description && m->read_more_url && m->service_name && m->service_id &&
              m->check_name && m->labels;
    for (int pass = 0; ok && pass < 2; pass++) {
        char **keys = pass ? r->label_keys : r->r.label_keys, **vals = pass ? r->label_values : r->r.label_values;
        size_t n = pass ? r->n_labels : r->r.n_labels;
        for (size_t i = 0; ok && i < n; i++) {
            Advisors__V1__CheckResult__LabelsEntry *e = NULL;
            for (size_t k = 0; k < m->n_labels && !e; k++)
                if (strcmp(m->labels[k]->key, keys[i]) == 0)
                    e = m->labels[k];
            if (e) {
                free(e->value);
                ok = (e->value = xs(vals[i])) != NULL;
                continue;
            }
            if (!(e = malloc(sizeof *e))) {
                ok = false;
                break;
            }
            advisors__v1__check_result__labels_entry__init(e);
            e->key = xs(keys[i]);
            e->value = xs(vals[i]);
            m->labels[m->n_labels++] = e;
            ok = e->key && e->value;
        }
    }
    if (!ok) {
        protobuf_c_message_free_unpacked(&m->base, NULL);
        return NULL;
    }
    return m;
}

static void collect(const check_result *r, void *arg)
{
    collected *c = arg;
    if (c->failed || (c->service_id && *c->service_id && strcmp(c->service_id, r->service_id) != 0))
        return;
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 16;
        Advisors__V1__CheckResult **grown = realloc(c->v, cap * sizeof *grown);
        if (!grown) {
            c->failed = true;
            return;
        }
        c->v = grown;
        c->cap = cap;
    }
    if (!(c->v[c->n] = convert_result(r)))
        c->failed = true;
    else
        c->n++;
}

static int cmp_result(const void *a, const void *b)
{
    const Advisors__V1__CheckResult *x = *(Advisors__V1__CheckResult *const *)a;
    const Advisors__V1__CheckResult *y = *(Advisors__V1__CheckResult *const *)b;
    if (x->severity != y->severity)
        return x->severity < y->severity ? -1 : 1;
    int c = strcmp(x->check_name, y->check_name);
    if (c)
        return c;
    c = strcmp(x->service_name, y->service_name);
    return c ? c : strcmp(x->summary, y->summary);
}

static void free_collected(collected *c, size_t from)
{
    for (size_t i = from; i < c->n; i++)
        protobuf_c_message_free_unpacked(&c->v[i]->base, NULL);
    free(c->v);
}

static int get_failed_checks(rpc_ctx *ctx, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    const Advisors__V1__GetFailedChecksRequest *req = (const Advisors__V1__GetFailedChecksRequest *)in;
    static const validate_int_rules gte1 = { .has = VALIDATE_GTE, .gte = 1 }, gte0 = { .has = VALIDATE_GTE, .gte = 0 };
    bool has_size = req->_page_size_case == ADVISORS__V1__GET_FAILED_CHECKS_REQUEST___PAGE_SIZE_PAGE_SIZE;
    bool has_index = req->_page_index_case == ADVISORS__V1__GET_FAILED_CHECKS_REQUEST___PAGE_INDEX_PAGE_INDEX;
    if ((has_size && validate_int(&ctx->status, req->page_size, &gte1, "GetFailedChecksRequest", "PageSize") != RPC_OK) ||
        (has_index &&
         validate_int(&ctx->status, req->page_index, &gte0, "GetFailedChecksRequest", "PageIndex") != RPC_OK))
        return ctx->status.code;
    if (checksd_require(ctx, FEATURE_ADVISORS) != RPC_OK)
        return ctx->status.code;
    collected c = { .service_id = req->service_id };
    results_foreach(collect, &c);
    if (c.failed) {
        free_collected(&c, 0);
        return checksd_oom(ctx);
    }
    if (c.n)
        qsort(c.v, c.n, sizeof *c.v, cmp_result);
    size_t size = has_size ? (size_t)req->page_size : 0, index = has_index ? (size_t)req->page_index : 0;
    size_t from = index * size, to = (index + 1) * size;
    if (to > c.n || to == 0)
        to = c.n;
    if (from > c.n)
        from = c.n;
    Advisors__V1__GetFailedChecksResponse *resp = malloc(sizeof *resp);
    if (!resp) {
        free_collected(&c, 0);
        return checksd_oom(ctx);
    }
    advisors__v1__get_failed_checks_response__init(resp);
    resp->total_items = (int32_t)c.n;
    resp->total_pages = 1;
    if (size)
        resp->total_pages = (int32_t)(c.n / size + (c.n % size ? 1 : 0));
    /* the page, in place; the rest freed */
    for (size_t i = 0; i < c.n; i++)
        if (i < from || i >= to)
            protobuf_c_message_free_unpacked(&c.v[i]->base, NULL);
    if (to > from)
        memmove(c.v, c.v + from, (to - from) * sizeof *c.v);
    resp->n_results = to - from;
    resp->results = c.v;
    if (!resp->n_results) {
        free(c.v);
        resp->results = NULL;
    }
    *out = &resp->base;
    return RPC_OK;
}

typedef struct {
    Advisors__V1__CheckResultSummary **v;
    size_t n;
    bool failed;
} summaries;

static void summarize(const check_result *r, void *arg)
{
    summaries *s = arg;
    if (s->failed || r->r.severity < 1 || r->r.severity > 8)
        return;
    Advisors__V1__CheckResultSummary *m = NULL;
    for (size_t i = 0; i < s->n && !m; i++)
        if (strcmp(s->v[i]->service_id, r->service_id) == 0)
            m = s->v[i];
    if (!m) {
        Advisors__V1__CheckResultSummary **grown = realloc(s->v, (s->n + 1) * sizeof *grown);
        if (!grown || !(m = malloc(sizeof *m))) {
            if (grown)
                s->v = grown;
            s->failed = true;
            return;
        }
        s->v = grown;
        advisors__v1__check_result_summary__init(m);
        m->service_id = xs(r->service_id);
        m->service_name = xs(r->service_name);
        s->v[s->n++] = m;
        if (!m->service_id || !m->service_name) {
            s->failed = true;
            return;
        }
    }
    uint32_t *counts[9] = { NULL,          &m->emergency_count, &m->alert_count,  &m->critical_count, &m->error_count,
                            &m->warning_count, &m->notice_count, &m->info_count, &m->debug_count };
    (*counts[r->r.severity])++;
}

static int cmp_summary(const void *a, const void *b)
{
    const Advisors__V1__CheckResultSummary *x = *(Advisors__V1__CheckResultSummary *const *)a;
    const Advisors__V1__CheckResultSummary *y = *(Advisors__V1__CheckResultSummary *const *)b;
    int c = strcmp(x->service_name, y->service_name);
    return c ? c : strcmp(x->service_id, y->service_id);
}

static int list_failed_services(rpc_ctx *ctx, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    (void)in;
    if (checksd_require(ctx, FEATURE_ADVISORS) != RPC_OK)
        return ctx->status.code;
    summaries s = { 0 };
    results_foreach(summarize, &s);
    Advisors__V1__ListFailedServicesResponse *resp = s.failed ? NULL : malloc(sizeof *resp);
    if (!resp) {
        for (size_t i = 0; i < s.n; i++)
            protobuf_c_message_free_unpacked(&s.v[i]->base, NULL);
        free(s.v);
        return checksd_oom(ctx);
    }
    if (s.n)
        qsort(s.v, s.n, sizeof *s.v, cmp_summary);
    advisors__v1__list_failed_services_response__init(resp);
    resp->n_result = s.n;
    resp->result = s.v;
    *out = &resp->base;
    return RPC_OK;
}

/* ---- runs -------------------------------------------------------------------------------- */

static int start_advisor_checks(rpc_ctx *ctx, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    const Advisors__V1__StartAdvisorChecksRequest *req = (const Advisors__V1__StartAdvisorChecksRequest *)in;
    if (checksd_require(ctx, FEATURE_ADVISORS) != RPC_OK)
        return ctx->status.code;
    if (!APP(ctx)->runner || runner_request(APP(ctx)->runner, (const char *const *)req->names, req->n_names) != 0)
        return rpc_fail(&ctx->status, RPC_INTERNAL, "failed to start advisor checks");
    Advisors__V1__StartAdvisorChecksResponse *resp = malloc(sizeof *resp);
    if (!resp)
        return checksd_oom(ctx);
    advisors__v1__start_advisor_checks_response__init(resp);
    *out = &resp->base;
    return RPC_OK;
}

/* ---- lists ------------------------------------------------------------------------------- */

typedef struct {
    const check_set *set;
    json_t *overrides;
    settings s;
} view;

static int view_load(rpc_ctx *ctx, view *v)
{
    memset(v, 0, sizeof *v);
    if (settings_load(WORKER_DB(ctx), &v->s, &ctx->status) != RPC_OK)
        return ctx->status.code;
    if (!(v->overrides = store_check_settings_list(WORKER_DB(ctx), &ctx->status))) {
        settings_free(&v->s);
        return ctx->status.code;
    }
    v->set = catalog_acquire();
    return RPC_OK;
}

static void view_free(view *v)
{
    catalog_release(v->set);
    json_decref(v->overrides);
    settings_free(&v->s);
}

static check_interval view_interval(const view *v, const check_def *c)
{
    size_t i;
    json_t *o;
    json_array_foreach(v->overrides, i, o) {
        if (strcmp(json_string_value(json_object_get(o, "name")) ?: "", c->name) == 0) {
            int iv = interval_parse(json_string_value(json_object_get(o, "interval")) ?: "");
            if (iv > 0)
                return (check_interval)iv;
        }
    }
    return c->interval;
}

static bool disabled(const view *v, const char *name)
{
    for (size_t i = 0; i < v->s.disabled_advisors.n; i++)
        if (strcmp(v->s.disabled_advisors.v[i], name) == 0)
            return true;
    return false;
}

static Advisors__V1__AdvisorCheck *convert_check(const view *v, const check_def *c)
{
    Advisors__V1__AdvisorCheck *m = malloc(sizeof *m);
    if (!m)
        return NULL;
    advisors__v1__advisor_check__init(m);
    m->name = xs(c->name);
    m->enabled = !disabled(v, c->name);
    m->description = xs(c->description);
    m->summary = xs(c->summary);
    m->interval = (Advisors__V1__AdvisorCheckInterval)view_interval(v, c);
    m->family = (Advisors__V1__AdvisorCheckFamily)c->family;
    if (!m->name || !m->description || !m->summary) {
        protobuf_c_message_free_unpacked(&m->base, NULL);
        return NULL;
    }
    return m;
}

static int cmp_check_ptr(const void *a, const void *b)
{
    return strcmp((*(const check_def *const *)a)->name, (*(const check_def *const *)b)->name);
}

/* The checks of advisor (NULL: all) sorted by name. */
static const check_def **sorted_checks(const check_set *set, const char *advisor, size_t *n)
{
    const check_def **v = calloc(set->n_checks + 1, sizeof *v);
    *n = 0;
    for (size_t i = 0; v && i < set->n_checks; i++)
        if (!advisor || strcmp(set->checks[i].advisor, advisor) == 0)
            v[(*n)++] = &set->checks[i];
    if (v)
        qsort(v, *n, sizeof *v, cmp_check_ptr);
    return v;
}

static Advisors__V1__AdvisorCheck **convert_checks(const view *v, const char *advisor, size_t *n)
{
    const check_def **defs = sorted_checks(v->set, advisor, n);
    Advisors__V1__AdvisorCheck **out = defs ? calloc(*n + 1, sizeof *out) : NULL;
    for (size_t i = 0; out && i < *n; i++)
        if (!(out[i] = convert_check(v, defs[i]))) {
            for (size_t j = 0; j < i; j++)
                protobuf_c_message_free_unpacked(&out[j]->base, NULL);
            free(out);
            out = NULL;
        }
    free(defs);
    return out;
}

static int list_advisor_checks(rpc_ctx *ctx, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    (void)in;
    view v;
    if (view_load(ctx, &v) != RPC_OK)
        return ctx->status.code;
    Advisors__V1__ListAdvisorChecksResponse *resp = malloc(sizeof *resp);
    size_t n = 0;
    Advisors__V1__AdvisorCheck **checks = resp ? convert_checks(&v, NULL, &n) : NULL;
    view_free(&v);
    if (!checks) {
        free(resp);
        return checksd_oom(ctx);
    }
    advisors__v1__list_advisor_checks_response__init(resp);
    resp->n_checks = n;
    resp->checks = checks;
    *out = &resp->base;
    return RPC_OK;
}

/* upstream's createComment */
static char *comment(Advisors__V1__AdvisorCheck **checks, size_t n)
{
    bool f[4] = { false };
    for (size_t i = 0; i < n; i++)
        if (checks[i]->family >= 1 && checks[i]->family <= 3)
            f[checks[i]->family] = true;
    if (f[1] && f[2] && f[3])
        return xs("All technologies supported");
    char buf[128] = "Partial support (";
    const char *names[4] = { "", "MySQL", "PostgreSQL", "MongoDB" };
    bool first = true;
    for (int i = 1; i <= 3; i++)
        if (f[i]) {
            if (!first)
                strcat(buf, ", ");
            strcat(buf, names[i]);
            first = false;
        }
    strcat(buf, ")");
    return xs(buf);
}

static int cmp_advisor(const void *a, const void *b)
{
    return strcmp((*(Advisors__V1__Advisor *const *)a)->name, (*(Advisors__V1__Advisor *const *)b)->name);
}

static int list_advisors(rpc_ctx *ctx, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    (void)in;
    view v;
    if (view_load(ctx, &v) != RPC_OK)
        return ctx->status.code;
    Advisors__V1__ListAdvisorsResponse *resp = malloc(sizeof *resp);
    bool ok = resp != NULL;
    if (resp) {
        advisors__v1__list_advisors_response__init(resp);
        resp->advisors = calloc(v.set->n_advisors + 1, sizeof *resp->advisors);
        ok = resp->advisors != NULL;
    }
    for (size_t i = 0; ok && i < v.set->n_advisors; i++) {
        const advisor_def *a = &v.set->advisors[i];
        Advisors__V1__Advisor *m = malloc(sizeof *m);
        if (!m) {
            ok = false;
            break;
        }
        advisors__v1__advisor__init(m);
        resp->advisors[resp->n_advisors++] = m;
        m->name = xs(a->name);
        m->description = xs(a->description);
        m->summary = xs(a->summary);
        m->category = xs(a->category);
        m->checks = convert_checks(&v, a->name, &m->n_checks);
        m->comment = m->checks ? comment(m->checks, m->n_checks) : NULL;
        ok = m->name && m->description && m->summary && m->category && m->checks && m->comment;
        if (!m->checks)
            m->n_checks = 0;
    }
    view_free(&v);
    if (!ok) {
        if (resp)
            protobuf_c_message_free_unpacked(&resp->base, NULL);
        return checksd_oom(ctx);
    }
    qsort(resp->advisors, resp->n_advisors, sizeof *resp->advisors, cmp_advisor);
    *out = &resp->base;
    return RPC_OK;
}

/* ---- changes ------------------------------------------------------------------------------ */

/* Adds (disable) or removes (enable) names in sass.disabled_advisors, in
 * one transaction. */
static int change_disabled(rpc_ctx *ctx, char **names, size_t n, bool disable)
{
    if (!n)
        return RPC_OK;
    db *d = WORKER_DB(ctx);
    settings s;
    if (db_begin(d, &ctx->status) != RPC_OK)
        return ctx->status.code;
    if (settings_load_for_update(d, &s, &ctx->status) != RPC_OK) {
        db_rollback(d);
        return ctx->status.code;
    }
    int rc = RPC_OK;
    for (size_t i = 0; i < n && rc == RPC_OK; i++) {
        size_t at = s.disabled_advisors.n;
        for (size_t k = 0; k < s.disabled_advisors.n; k++)
            if (strcmp(s.disabled_advisors.v[k], names[i]) == 0)
                at = k;
        if (disable && at == s.disabled_advisors.n)
            rc = settings_strings_push(&s.disabled_advisors, names[i]) == 0 ? RPC_OK : checksd_oom(ctx);
        else if (!disable && at < s.disabled_advisors.n) {
            free(s.disabled_advisors.v[at]);
            memmove(&s.disabled_advisors.v[at], &s.disabled_advisors.v[at + 1],
                    (s.disabled_advisors.n - at - 1) * sizeof *s.disabled_advisors.v);
            s.disabled_advisors.n--;
        }
    }
    if (rc == RPC_OK && settings_save(d, &s, &ctx->status) == RPC_OK && db_commit(d, &ctx->status) == RPC_OK) {
        settings_free(&s);
        return RPC_OK;
    }
    settings_free(&s);
    db_rollback(d);
    return rc != RPC_OK ? rc : ctx->status.code;
}

static int change_advisor_checks(rpc_ctx *ctx, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    const Advisors__V1__ChangeAdvisorChecksRequest *req = (const Advisors__V1__ChangeAdvisorChecksRequest *)in;
    char **enable = calloc(req->n_params + 1, sizeof *enable), **disable = calloc(req->n_params + 1, sizeof *disable);
    size_t n_en = 0, n_dis = 0;
    const check_set *set = catalog_acquire();
    int rc = enable && disable ? RPC_OK : checksd_oom(ctx);
    for (size_t i = 0; rc == RPC_OK && i < req->n_params; i++) {
        const Advisors__V1__ChangeAdvisorCheckParams *p = req->params[i];
        if (p->interval != ADVISORS__V1__ADVISOR_CHECK_INTERVAL__ADVISOR_CHECK_INTERVAL_UNSPECIFIED &&
            (p->interval < 1 || p->interval > 3))
            rc = rpc_fail(&ctx->status, RPC_UNKNOWN, "failed to change advisor check interval: unknown advisor check interval");
        if (p->_enable_case == ADVISORS__V1__CHANGE_ADVISOR_CHECK_PARAMS___ENABLE_ENABLE) {
            if (p->enable)
                enable[n_en++] = p->name;
            else
                disable[n_dis++] = p->name;
        }
    }
    /* intervals first, as upstream: each must name a loaded check */
    for (size_t i = 0; rc == RPC_OK && i < req->n_params; i++) {
        const Advisors__V1__ChangeAdvisorCheckParams *p = req->params[i];
        if (p->interval == ADVISORS__V1__ADVISOR_CHECK_INTERVAL__ADVISOR_CHECK_INTERVAL_UNSPECIFIED)
            continue;
        if (!check_set_find(set, p->name))
            rc = rpc_fail(&ctx->status, RPC_UNKNOWN, "failed to change advisor check interval: check: %s not found",
                          p->name);
        else if (store_check_settings_set(WORKER_DB(ctx), p->name, interval_name((check_interval)p->interval),
                                          &ctx->status) != RPC_OK)
            rc = ctx->status.code;
    }
    if (rc == RPC_OK)
        rc = change_disabled(ctx, enable, n_en, false);
    for (size_t i = 0; rc == RPC_OK && i < n_dis; i++)
        if (!check_set_find(set, disable[i]))
            rc = rpc_fail(&ctx->status, RPC_UNKNOWN, "failed to disable advisor checks: unknown check %s", disable[i]);
    if (rc == RPC_OK)
        rc = change_disabled(ctx, disable, n_dis, true);
    catalog_release(set);
    free(enable);
    free(disable);
    if (rc != RPC_OK)
        return rc;
    Advisors__V1__ChangeAdvisorChecksResponse *resp = malloc(sizeof *resp);
    if (!resp)
        return checksd_oom(ctx);
    advisors__v1__change_advisor_checks_response__init(resp);
    *out = &resp->base;
    return RPC_OK;
}

const rpc_method advisors_methods[] = {
    { S "ListFailedServices", &advisors__v1__list_failed_services_request__descriptor, list_failed_services },
    { S "GetFailedChecks", &advisors__v1__get_failed_checks_request__descriptor, get_failed_checks },
    { S "StartAdvisorChecks", &advisors__v1__start_advisor_checks_request__descriptor, start_advisor_checks },
    { S "ListAdvisorChecks", &advisors__v1__list_advisor_checks_request__descriptor, list_advisor_checks },
    { S "ListAdvisors", &advisors__v1__list_advisors_request__descriptor, list_advisors },
    { S "ChangeAdvisorChecks", &advisors__v1__change_advisor_checks_request__descriptor, change_advisor_checks },
};
const size_t advisors_methods_count = sizeof advisors_methods / sizeof *advisors_methods;
