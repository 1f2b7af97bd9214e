/* templates: see templates.h. */
#include "templates.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checksd/duration.h"
#include "checksd/script.h"
#include "checksd/yamldoc.h"
#include "render.h"

#define MAX_TEMPLATES 1000
#define MAX_PARAMS 64
#define MAX_PAIRS 256

static const char *const template_fields[] = { "name", "version", "summary", "tiers", "expr", "params", "for",
                                               "severity", "labels", "annotations", "category", NULL };
static const char *const param_fields[] = { "name", "summary", "unit", "type", "range", "value", NULL };

static const char *const sources[] = { "", "built_in", "saas", "user_file", "user_api" };

const char *template_source_name(template_source s)
{
    return (unsigned)s < 5 ? sources[s] : "";
}

int template_source_parse(const char *s)
{
    for (int i = 1; i < 5; i++)
        if (strcmp(s, sources[i]) == 0)
            return i;
    return -1;
}

static int fail(char *err, size_t errlen, const char *fmt, const char *arg)
{
    snprintf(err, errlen, fmt, arg);
    return -1;
}

static void free_pairs(char **k, char **v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(k[i]);
        free(v[i]);
    }
    free(k);
    free(v);
}

void alert_template_clear(alert_template *t)
{
    free(t->name);
    free(t->summary);
    free(t->expr);
    free(t->category);
    free(t->yaml);
    for (size_t i = 0; i < t->n_params; i++) {
        free(t->params[i].name);
        free(t->params[i].summary);
        free(t->params[i].unit);
        free(t->params[i].value_text);
    }
    free(t->params);
    free_pairs(t->label_keys, t->label_values, t->n_labels);
    free_pairs(t->annotation_keys, t->annotation_values, t->n_annotations);
    memset(t, 0, sizeof *t);
}

void templates_free(alert_template *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        alert_template_clear(&v[i]);
    free(v);
}

static char *dup(const char *s)
{
    return s ? strdup(s) : NULL;
}

static int copy_pairs(char ***dk, char ***dv, char *const *sk, char *const *sv, size_t n)
{
    *dk = calloc(n + 1, sizeof **dk);
    *dv = calloc(n + 1, sizeof **dv);
    if (!*dk || !*dv)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (!((*dk)[i] = strdup(sk[i])) || !((*dv)[i] = strdup(sv[i])))
            return -1;
    return 0;
}

int alert_template_copy(alert_template *dst, const alert_template *src)
{
    *dst = *src;
    dst->name = dup(src->name);
    dst->summary = dup(src->summary);
    dst->expr = dup(src->expr);
    dst->category = dup(src->category);
    dst->yaml = dup(src->yaml);
    dst->params = calloc(src->n_params + 1, sizeof *dst->params);
    int rc = dst->name && dst->summary && dst->expr && dst->category && dst->yaml && dst->params ? 0 : -1;
    for (size_t i = 0; rc == 0 && i < src->n_params; i++) {
        dst->params[i] = src->params[i];
        dst->params[i].name = dup(src->params[i].name);
        dst->params[i].summary = dup(src->params[i].summary);
        dst->params[i].unit = dup(src->params[i].unit);
        dst->params[i].value_text = dup(src->params[i].value_text);
        if (!dst->params[i].name || !dst->params[i].summary || !dst->params[i].unit || !dst->params[i].value_text)
            rc = -1;
    }
    dst->label_keys = dst->label_values = dst->annotation_keys = dst->annotation_values = NULL;
    if (rc == 0)
        rc = copy_pairs(&dst->label_keys, &dst->label_values, src->label_keys, src->label_values, src->n_labels);
    if (rc == 0)
        rc = copy_pairs(&dst->annotation_keys, &dst->annotation_values, src->annotation_keys, src->annotation_values,
                        src->n_annotations);
    if (rc != 0) {
        /* what was copied is freed; counts that were not are zeroed */
        if (!dst->params)
            dst->n_params = 0;
        if (!dst->label_keys || !dst->label_values)
            dst->n_labels = 0;
        if (!dst->annotation_keys || !dst->annotation_values)
            dst->n_annotations = 0;
        alert_template_clear(dst);
    }
    return rc;
}

/* ---- parsing ----------------------------------------------------------------------------- */

static int parse_map(yaml_document_t *d, const yaml_node_t *m, char ***keys, char ***values, size_t *n, char *err,
                     size_t errlen)
{
    *n = 0;
    *keys = calloc(1, sizeof **keys);
    *values = calloc(1, sizeof **values);
    if (!*keys || !*values)
        return fail(err, errlen, "%s", "out of memory");
    if (!m || yd_is_null(m))
        return 0;
    if (m->type != YAML_MAPPING_NODE) {
        yd_type_error(m, "map[string]string", err, errlen);
        return -1;
    }
    size_t cnt = (size_t)(m->data.mapping.pairs.top - m->data.mapping.pairs.start);
    if (cnt > MAX_PAIRS)
        return fail(err, errlen, "%s", "too many labels or annotations");
    char **k = realloc(*keys, (cnt + 1) * sizeof *k);
    if (k)
        *keys = k;
    char **v = realloc(*values, (cnt + 1) * sizeof *v);
    if (v)
        *values = v;
    if (!k || !v)
        return fail(err, errlen, "%s", "out of memory");
    for (yaml_node_pair_t *p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++) {
        yaml_node_t *kn = yamldoc_node(d, p->key), *vn = yamldoc_node(d, p->value);
        const char *ks = yd_scalar(kn), *vs = yd_is_null(vn) ? "" : yd_scalar(vn);
        if (!ks || !vs) {
            yd_type_error(ks ? vn : kn, "string", err, errlen);
            return -1;
        }
        /* a repeated key: the last one wins, as in a Go map */
        size_t at = *n;
        for (size_t i = 0; i < *n; i++)
            if (strcmp((*keys)[i], ks) == 0)
                at = i;
        char *nk = strdup(ks), *nv = strdup(vs);
        if (!nk || !nv) {
            free(nk);
            free(nv);
            return fail(err, errlen, "%s", "out of memory");
        }
        if (at < *n) {
            free((*keys)[at]);
            free((*values)[at]);
        } else {
            (*n)++;
        }
        (*keys)[at] = nk;
        (*values)[at] = nv;
    }
    return 0;
}

static int parse_number(const yaml_node_t *n, double *out, char *err, size_t errlen)
{
    const char *s = yd_scalar(n);
    char *end;
    errno = 0;
    double v = s ? strtod(s, &end) : 0;
    if (!s || !*s || *end || errno || !isfinite(v)) {
        if (n)
            yd_type_error(n, "float64", err, errlen);
        else
            snprintf(err, errlen, "missing number");
        return -1;
    }
    *out = v;
    return 0;
}

static int parse_param(yaml_document_t *d, const yaml_node_t *m, template_param *p, char *err, size_t errlen)
{
    if (m->type != YAML_MAPPING_NODE) {
        yd_type_error(m, "alert.Parameter", err, errlen);
        return -1;
    }
    char *type = NULL;
    yaml_node_t *range = yd_get(d, m, "range"), *value = yd_get(d, m, "value");
    int rc = yd_known_keys(d, m, param_fields, "alert.Parameter", err, errlen) ||
                     yd_string(d, m, "name", &p->name, err, errlen) ||
                     yd_string(d, m, "summary", &p->summary, err, errlen) ||
                     yd_string(d, m, "unit", &p->unit, err, errlen) || yd_string(d, m, "type", &type, err, errlen)
                 ? -1
                 : 0;
    if (rc == 0 && !*p->name)
        rc = fail(err, errlen, "%s", "parameter name is empty");
    if (rc == 0 && !*p->summary)
        rc = fail(err, errlen, "parameter %s summary is empty", p->name);
    if (rc == 0 && *p->unit && strcmp(p->unit, "%") != 0 && strcmp(p->unit, "s") != 0)
        rc = fail(err, errlen, "unhandled parameter unit %s", p->unit);
    if (rc == 0) {
        if (strcmp(type, "float") == 0)
            p->type = PARAM_FLOAT;
        else if (strcmp(type, "bool") == 0)
            p->type = PARAM_BOOL;
        else if (strcmp(type, "string") == 0)
            p->type = PARAM_STRING;
        else
            rc = fail(err, errlen, "unhandled parameter type %s", *type ? type : "(empty)");
    }
    free(type);
    if (rc == 0 && !(p->value_text = strdup(value && !yd_is_null(value) && yd_scalar(value) ? yd_scalar(value) : "")))
        rc = fail(err, errlen, "%s", "out of memory");
    if (rc != 0)
        return -1;
    if (range && !yd_is_null(range)) {
        if (range->type != YAML_SEQUENCE_NODE) {
            yd_type_error(range, "[]interface {}", err, errlen);
            return -1;
        }
        size_t cnt = (size_t)(range->data.sequence.items.top - range->data.sequence.items.start);
        if (p->type != PARAM_FLOAT)
            return fail(err, errlen, "parameter %s: range is only supported for float parameters", p->name);
        if (cnt != 2)
            return fail(err, errlen, "parameter %s: range should have exactly two elements", p->name);
        if (parse_number(yamldoc_node(d, range->data.sequence.items.start[0]), &p->min, err, errlen) != 0 ||
            parse_number(yamldoc_node(d, range->data.sequence.items.start[1]), &p->max, err, errlen) != 0)
            return -1;
        if (p->min > p->max)
            return fail(err, errlen, "parameter %s: range minimum is greater than maximum", p->name);
        p->has_min = p->has_max = true;
    }
    if (value && !yd_is_null(value)) {
        if (p->type == PARAM_FLOAT) {
            if (parse_number(value, &p->def, err, errlen) != 0)
                return -1;
            p->has_default = true;
            if ((p->has_min && p->def < p->min) || (p->has_max && p->def > p->max))
                return fail(err, errlen, "parameter %s: value is outside of range", p->name);
        } else if (p->type == PARAM_BOOL) {
            const char *s = yd_scalar(value);
            if (!s || (strcmp(s, "true") != 0 && strcmp(s, "false") != 0)) {
                yd_type_error(value, "bool", err, errlen);
                return -1;
            }
            p->has_default = true;
        } else {
            p->has_default = true;
        }
    }
    return 0;
}

static int parse_template(yaml_document_t *d, const yaml_node_t *m, alert_template *t, char *err, size_t errlen)
{
    if (m->type != YAML_MAPPING_NODE) {
        yd_type_error(m, "alert.Template", err, errlen);
        return -1;
    }
    long long version;
    char *forv = NULL, *sev = NULL;
    int rc = yd_known_keys(d, m, template_fields, "alert.Template", err, errlen) ||
                     yd_string(d, m, "name", &t->name, err, errlen) || yd_int(d, m, "version", &version, err, errlen) ||
                     yd_string(d, m, "summary", &t->summary, err, errlen) ||
                     yd_string(d, m, "expr", &t->expr, err, errlen) ||
                     yd_string(d, m, "category", &t->category, err, errlen) ||
                     yd_string(d, m, "for", &forv, err, errlen) || yd_string(d, m, "severity", &sev, err, errlen) ||
                     parse_map(d, yd_get(d, m, "labels"), &t->label_keys, &t->label_values, &t->n_labels, err,
                               errlen) ||
                     parse_map(d, yd_get(d, m, "annotations"), &t->annotation_keys, &t->annotation_values,
                               &t->n_annotations, err, errlen)
                 ? -1
                 : 0;
    t->version = rc == 0 ? (int)version : 0;
    if (rc == 0 && *forv && duration_parse(forv, &t->for_ns) != 0)
        rc = fail(err, errlen, "not a valid duration string: \"%s\"", forv);
    if (rc == 0 && *sev)
        t->severity = severity_parse(sev, strlen(sev));
    if (rc == 0 && *sev && !t->severity)
        rc = fail(err, errlen, "unhandled severity %s", sev);
    free(forv);
    free(sev);
    yaml_node_t *params = yd_get(d, m, "params");
    if (rc == 0 && params && !yd_is_null(params)) {
        if (params->type != YAML_SEQUENCE_NODE) {
            yd_type_error(params, "[]alert.Parameter", err, errlen);
            return -1;
        }
        size_t cnt = (size_t)(params->data.sequence.items.top - params->data.sequence.items.start);
        if (cnt > MAX_PARAMS)
            return fail(err, errlen, "%s", "too many parameters");
        if (!(t->params = calloc(cnt + 1, sizeof *t->params)))
            return fail(err, errlen, "%s", "out of memory");
        for (size_t i = 0; i < cnt && rc == 0; i++) {
            t->n_params = i + 1;
            rc = parse_param(d, yamldoc_node(d, params->data.sequence.items.start[i]), &t->params[i], err, errlen);
            for (size_t k = 0; rc == 0 && k < i; k++)
                if (strcmp(t->params[k].name, t->params[i].name) == 0)
                    rc = fail(err, errlen, "duplicate parameter name %s", t->params[i].name);
        }
    } else if (rc == 0 && !(t->params = calloc(1, sizeof *t->params))) {
        rc = fail(err, errlen, "%s", "out of memory");
    }
    if (rc != 0)
        return -1;
    /* alert.Template.Validate */
    if (!*t->name)
        return fail(err, errlen, "%s", "template name is empty");
    if (t->version != 1)
        return snprintf(err, errlen, "unexpected version %d", t->version), -1;
    if (!*t->summary)
        return fail(err, errlen, "%s", "template summary is empty");
    if (!*t->expr)
        return fail(err, errlen, "%s", "template expression is empty");
    if (!t->severity)
        return fail(err, errlen, "%s", "template severity is empty");
    if (t->for_ns < 0)
        return fail(err, errlen, "%s", "template duration is negative");
    return 0;
}

int templates_parse(const char *text, size_t len, alert_template **out, size_t *n, char *err, size_t errlen)
{
    yamldoc y;
    *out = NULL;
    *n = 0;
    if (yamldoc_load(&y, text, len, err, errlen) != 0)
        return -1;
    alert_template *v = NULL;
    size_t cnt = 0;
    int rc = 0;
    for (size_t i = 0; i < y.n && rc == 0; i++) {
        yaml_document_t *d = &y.docs[i];
        yaml_node_t *root = yamldoc_root(&y, i);
        static const char *const top[] = { "templates", NULL };
        if (root->type != YAML_MAPPING_NODE) {
            yd_type_error(root, "alert.Templates", err, errlen);
            rc = -1;
            break;
        }
        if (yd_known_keys(d, root, top, "alert.Templates", err, errlen) != 0) {
            rc = -1;
            break;
        }
        yaml_node_t *list = yd_get(d, root, "templates");
        if (!list || yd_is_null(list))
            continue;
        if (list->type != YAML_SEQUENCE_NODE) {
            yd_type_error(list, "[]alert.Template", err, errlen);
            rc = -1;
            break;
        }
        for (yaml_node_item_t *it = list->data.sequence.items.start; it < list->data.sequence.items.top && rc == 0;
             it++) {
            if (cnt == MAX_TEMPLATES) {
                rc = fail(err, errlen, "%s", "too many templates");
                break;
            }
            alert_template *grown = realloc(v, (cnt + 1) * sizeof *grown);
            if (!grown) {
                rc = fail(err, errlen, "%s", "out of memory");
                break;
            }
            v = grown;
            memset(&v[cnt], 0, sizeof v[cnt]);
            cnt++;
            rc = parse_template(d, yamldoc_node(d, *it), &v[cnt - 1], err, errlen);
            if (rc == 0 && !(v[cnt - 1].yaml = strndup(text, len)))
                rc = fail(err, errlen, "%s", "out of memory");
        }
    }
    yamldoc_free(&y);
    if (rc != 0) {
        templates_free(v, cnt);
        return -1;
    }
    *out = v;
    *n = cnt;
    return 0;
}

/* ---- source rules ------------------------------------------------------------------------- */

int templates_validate_user(const alert_template *t, char *err, size_t errlen)
{
    if (strncmp(t->name, "pmm_", 4) == 0 || strncmp(t->name, "saas_", 5) == 0)
        return fail(err, errlen, "%s: template name should not start with 'pmm_' or 'saas_' prefix", t->name);
    const char **keys = calloc(t->n_params + 1, sizeof *keys), **vals = calloc(t->n_params + 1, sizeof *vals);
    if (!keys || !vals) {
        free(keys);
        free(vals);
        return fail(err, errlen, "%s", "out of memory");
    }
    for (size_t i = 0; i < t->n_params; i++) {
        keys[i] = t->params[i].name;
        vals[i] = t->params[i].type == PARAM_FLOAT ? "0" : t->params[i].type == PARAM_BOOL ? "false" : "param_text";
    }
    char inner[1024];
    char *r = render_params(t->expr, keys, vals, t->n_params, inner, sizeof inner);
    free(keys);
    free(vals);
    if (!r) {
        bool exec = strstr(inner, "executing") != NULL;
        snprintf(err, errlen, "%s: %s", exec ? "failed to fill expression placeholders" : "failed to parse expression",
                 inner);
        return -1;
    }
    free(r);
    return 0;
}

int templates_validate_builtin(const char *path, const alert_template *v, size_t n, char *err, size_t errlen)
{
    if (n != 1) {
        snprintf(err, errlen, "\"%s\" should contain exactly one template, got %zu", path, n);
        return -1;
    }
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    const alert_template *t = &v[0];
    if (strncmp(base, "pmm_", 4) == 0) {
        snprintf(err, errlen, "\"%s\" file name should not start with 'pmm_' prefix", path);
        return -1;
    }
    if (strncmp(t->name, "pmm_", 4) != 0) {
        snprintf(err, errlen, "%s \"%s\": template name should start with 'pmm_' prefix", path, t->name);
        return -1;
    }
    char want[512];
    snprintf(want, sizeof want, "%s.yml", t->name + 4);
    if (strcmp(base, want) != 0) {
        snprintf(err, errlen, "template file name \"%s\" should be \"%s\"", base, want);
        return -1;
    }
    bool summary = false, description = false;
    for (size_t i = 0; i < t->n_annotations; i++) {
        summary |= strcmp(t->annotation_keys[i], "summary") == 0 && *t->annotation_values[i];
        description |= strcmp(t->annotation_keys[i], "description") == 0 && *t->annotation_values[i];
    }
    if (t->n_annotations != 2 || !summary || !description) {
        snprintf(err, errlen, "%s \"%s\": template should contain exactly two annotations: summary and description",
                 path, t->name);
        return -1;
    }
    return 0;
}
