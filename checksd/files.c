/* files: see files.h. */
#include "files.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "duration.h"
#include "log.h"
#include "yamldoc.h"

#define MAX_SUPPORTED_VERSION 2
/* Checks (or advisors) one file may declare. */
#define MAX_PER_FILE 1000

static const char *const check_fields[] = { "version", "name", "summary", "description", "advisor", "interval",
                                            "family", "queries", "type", "query", "category", "script", NULL };
static const char *const query_fields[] = { "type", "query", "parameters", NULL };
static const char *const advisor_fields[] = { "version", "name", "summary", "description", "category", "tiers",
                                              "checks", NULL };

static int fail(char *err, size_t errlen, const char *fmt, const char *arg)
{
    snprintf(err, errlen, fmt, arg);
    return -1;
}

/* Upstream's name rule for advisors and checks. */
static bool valid_name(const char *s)
{
    if (!*s || !(*s == '_' || (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z')))
        return false;
    for (; *s; s++)
        if (!(*s == '_' || (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9')))
            return false;
    return true;
}

/* ---- queries --------------------------------------------------------------------------- */

static bool query_required(query_type t)
{
    return t == Q_MYSQL_SHOW || t == Q_MYSQL_SELECT || t == Q_POSTGRESQL_SELECT || t == Q_METRICS_INSTANT ||
           t == Q_METRICS_RANGE || t == Q_CLICKHOUSE_SELECT;
}

static bool family_allows(check_family f, query_type t)
{
    if (t == Q_METRICS_INSTANT || t == Q_METRICS_RANGE || t == Q_CLICKHOUSE_SELECT)
        return true;
    switch (f) {
    case FAMILY_MYSQL: return t == Q_MYSQL_SHOW || t == Q_MYSQL_SELECT;
    case FAMILY_POSTGRESQL: return t == Q_POSTGRESQL_SHOW || t == Q_POSTGRESQL_SELECT;
    case FAMILY_MONGODB: return t >= Q_MONGODB_GETPARAMETER && t <= Q_MONGODB_GETDIAGNOSTICDATA;
    default: return false;
    }
}

/* The family a v1 check's single query type belongs to. */
static check_family family_of(query_type t)
{
    if (t == Q_MYSQL_SHOW || t == Q_MYSQL_SELECT)
        return FAMILY_MYSQL;
    if (t == Q_POSTGRESQL_SHOW || t == Q_POSTGRESQL_SELECT)
        return FAMILY_POSTGRESQL;
    if (t >= Q_MONGODB_GETPARAMETER && t <= Q_MONGODB_GETDIAGNOSTICDATA)
        return FAMILY_MONGODB;
    return FAMILY_NONE;
}

static int parse_bool(const char *s, bool *out)
{
    /* Go's strconv.ParseBool */
    static const char *const t[] = { "1", "t", "T", "true", "TRUE", "True" };
    static const char *const f[] = { "0", "f", "F", "false", "FALSE", "False" };
    for (size_t i = 0; i < 6; i++) {
        if (strcmp(s, t[i]) == 0)
            return *out = true, 0;
        if (strcmp(s, f[i]) == 0)
            return *out = false, 0;
    }
    return -1;
}

static int parse_params(yaml_document_t *d, const yaml_node_t *params, check_query *q, char *err, size_t errlen)
{
    if (!params || yd_is_null(params))
        return 0;
    if (params->type != YAML_MAPPING_NODE) {
        yd_type_error(params, "map[check.Parameter]string", err, errlen);
        return -1;
    }
    const char *type = query_type_name(q->type);
    for (yaml_node_pair_t *p = params->data.mapping.pairs.start; p < params->data.mapping.pairs.top; p++) {
        const char *k = yd_scalar(yamldoc_node(d, p->key));
        yaml_node_t *vn = yamldoc_node(d, p->value);
        const char *v = yd_scalar(vn);
        if (!k)
            return fail(err, errlen, "%s", "query parameter name must be a string");
        if (!v) {
            yd_type_error(vn, "string", err, errlen);
            return -1;
        }
        bool ok = (q->type == Q_POSTGRESQL_SELECT && strcmp(k, "all_dbs") == 0) ||
                  ((q->type == Q_METRICS_INSTANT || q->type == Q_METRICS_RANGE) && strcmp(k, "lookback") == 0) ||
                  (q->type == Q_METRICS_RANGE && (strcmp(k, "range") == 0 || strcmp(k, "step") == 0));
        if (!ok) {
            snprintf(err, errlen, "unexpected query parameter '%s' for '%s' type", k, type);
            return -1;
        }
        int rc = 0;
        if (strcmp(k, "all_dbs") == 0)
            rc = parse_bool(v, &q->all_dbs);
        else if (strcmp(k, "lookback") == 0)
            rc = duration_parse(v, &q->lookback_ns);
        else if (strcmp(k, "range") == 0)
            rc = duration_parse(v, &q->range_ns);
        else
            rc = duration_parse(v, &q->step_ns);
        if (rc != 0 || q->lookback_ns < 0 || q->range_ns < 0 || q->step_ns < 0) {
            snprintf(err, errlen, "invalid value '%s' of query parameter '%s'", v, k);
            return -1;
        }
    }
    return 0;
}

/* One query of a check: type, query text and parameters. *unsupported is
 * set (and 0 returned) for a known type this server cannot run. */
static int parse_query(yaml_document_t *d, const yaml_node_t *type_node, const yaml_node_t *query_node,
                       const yaml_node_t *params, check_query *q, bool *unsupported, char *err, size_t errlen)
{
    const char *type = yd_is_null(type_node) ? "" : yd_scalar(type_node);
    const char *query = yd_is_null(query_node) ? "" : yd_scalar(query_node);
    if (!type) {
        yd_type_error(type_node, "check.Type", err, errlen);
        return -1;
    }
    if (!query) {
        yd_type_error(query_node, "string", err, errlen);
        return -1;
    }
    if (!*type)
        return fail(err, errlen, "%s", "check type is empty");
    int t = query_type_parse(type);
    if (t < 0)
        return fail(err, errlen, "unknown check type: %s", type);
    q->type = (query_type)t;
    if (query_required(q->type) && !*query)
        return fail(err, errlen, "%s", "query is empty");
    if (!query_required(q->type) && *query)
        return fail(err, errlen, "query should be empty for '%s' type", type);
    if (!(q->query = strdup(query)))
        return fail(err, errlen, "%s", "out of memory");
    if (parse_params(d, params, q, err, errlen) != 0)
        return -1;
    if (q->type == Q_METRICS_RANGE && !q->range_ns)
        return fail(err, errlen, "%s", "query parameter 'range' is required for metrics range queries");
    if (q->type == Q_METRICS_RANGE && !q->step_ns)
        return fail(err, errlen, "%s", "query parameter 'step' is required for metrics range queries");
    if (q->type == Q_CLICKHOUSE_SELECT)
        *unsupported = true;
    return 0;
}

/* ---- checks ---------------------------------------------------------------------------- */

static int check_strings(yaml_document_t *d, const yaml_node_t *m, check_def *c, char *err, size_t errlen)
{
    char *interval = NULL;
    int rc = yd_string(d, m, "name", &c->name, err, errlen) || yd_string(d, m, "summary", &c->summary, err, errlen) ||
             yd_string(d, m, "description", &c->description, err, errlen) ||
             yd_string(d, m, "advisor", &c->advisor, err, errlen) ||
             yd_string(d, m, "script", &c->script, err, errlen) ||
             yd_string(d, m, "category", &c->category, err, errlen) ||
             yd_string(d, m, "interval", &interval, err, errlen);
    if (rc == 0) {
        int i = interval_parse(interval);
        if (i < 0)
            rc = fail(err, errlen, "unknown check interval: %s", interval);
        else
            c->interval = (check_interval)i;
    }
    free(interval);
    return rc ? -1 : 0;
}

static int check_common(const check_def *c, char *err, size_t errlen)
{
    if (!valid_name(c->name))
        return fail(err, errlen, "invalid check name: \"%s\"", c->name);
    if (!*c->summary)
        return fail(err, errlen, "%s", "summary is empty");
    if (!*c->description)
        return fail(err, errlen, "%s", "description is empty");
    if (!*c->advisor)
        return fail(err, errlen, "%s", "advisor name is missing");
    if (!*c->script)
        return fail(err, errlen, "%s", "check script is empty");
    if (strchr(c->script, '\t'))
        return fail(err, errlen, "%s", "script should use spaces for indentation, not tabs");
    return 0;
}

static int parse_v2_queries(yaml_document_t *d, const yaml_node_t *queries, check_def *c, bool *unsupported,
                            char *err, size_t errlen)
{
    if (!queries || yd_is_null(queries))
        return fail(err, errlen, "%s", "check should have at least one query");
    if (queries->type != YAML_SEQUENCE_NODE) {
        yd_type_error(queries, "[]check.Query", err, errlen);
        return -1;
    }
    size_t n = (size_t)(queries->data.sequence.items.top - queries->data.sequence.items.start);
    if (n == 0)
        return fail(err, errlen, "%s", "check should have at least one query");
    if (n > 64)
        return fail(err, errlen, "%s", "a check may have at most 64 queries");
    if (!(c->queries = calloc(n, sizeof *c->queries)))
        return fail(err, errlen, "%s", "out of memory");
    for (size_t i = 0; i < n; i++) {
        yaml_node_t *qn = yamldoc_node(d, queries->data.sequence.items.start[i]);
        if (!qn || qn->type != YAML_MAPPING_NODE) {
            yd_type_error(qn, "check.Query", err, errlen);
            return -1;
        }
        if (yd_known_keys(d, qn, query_fields, "check.Query", err, errlen) != 0)
            return -1;
        c->n_queries = i + 1;
        if (parse_query(d, yd_get(d, qn, "type"), yd_get(d, qn, "query"), yd_get(d, qn, "parameters"),
                        &c->queries[i], unsupported, err, errlen) != 0)
            return -1;
        if (!family_allows(c->family, c->queries[i].type)) {
            snprintf(err, errlen, "query type %s is not compatible with check family %s",
                     query_type_name(c->queries[i].type), family_name(c->family));
            return -1;
        }
    }
    return 0;
}

/* One check mapping. 0 (with *skip set for a check left out), or -1. */
static int parse_check(yaml_document_t *d, const yaml_node_t *m, check_def *c, bool *skip, char *err, size_t errlen)
{
    *skip = false;
    if (m->type != YAML_MAPPING_NODE) {
        yd_type_error(m, "check.Check", err, errlen);
        return -1;
    }
    long long version;
    if (yd_int(d, m, "version", &version, err, errlen) != 0)
        return -1;
    c->version = (int)version;
    if (c->version > MAX_SUPPORTED_VERSION) {
        char *name = NULL;
        (void)yd_string(d, m, "name", &name, err, errlen);
        log_warn("Unsupported checks version: %d, max supported version: %d (check %s).", c->version,
                 MAX_SUPPORTED_VERSION, name ? name : "?");
        free(name);
        *skip = true;
        return 0;
    }
    if (yd_known_keys(d, m, check_fields, "check.Check", err, errlen) != 0 ||
        check_strings(d, m, c, err, errlen) != 0)
        return -1;
    if (c->version < 1) {
        snprintf(err, errlen, "unexpected version %d", c->version);
        return -1;
    }
    if (check_common(c, err, errlen) != 0)
        return -1;
    yaml_node_t *family = yd_get(d, m, "family"), *queries = yd_get(d, m, "queries");
    yaml_node_t *type = yd_get(d, m, "type"), *query = yd_get(d, m, "query");
    bool unsupported = false;
    if (c->version == 1) {
        if (!yd_is_null(family))
            return fail(err, errlen, "%s", "family field is not supported in version 1");
        if (!yd_is_null(queries))
            return fail(err, errlen, "%s", "queries field is not supported in version 1");
        if (!(c->queries = calloc(1, sizeof *c->queries)))
            return fail(err, errlen, "%s", "out of memory");
        c->n_queries = 1;
        if (parse_query(d, type, query, NULL, &c->queries[0], &unsupported, err, errlen) != 0)
            return -1;
        c->family = family_of(c->queries[0].type);
    } else {
        if (!yd_is_null(type))
            return fail(err, errlen, "%s", "type field is not supported in version 2");
        if (!yd_is_null(query))
            return fail(err, errlen, "%s", "query field is not supported in version 2");
        const char *f = yd_is_null(family) ? "" : yd_scalar(family);
        if (!f) {
            yd_type_error(family, "check.Family", err, errlen);
            return -1;
        }
        if (!*f)
            return fail(err, errlen, "%s", "check family is empty");
        if (strcmp(f, "MYSQL") == 0)
            c->family = FAMILY_MYSQL;
        else if (strcmp(f, "POSTGRESQL") == 0)
            c->family = FAMILY_POSTGRESQL;
        else if (strcmp(f, "MONGODB") == 0)
            c->family = FAMILY_MONGODB;
        else
            return fail(err, errlen, "unknown check family: %s", f);
        if (parse_v2_queries(d, queries, c, &unsupported, err, errlen) != 0)
            return -1;
    }
    if (unsupported) {
        for (size_t i = 0; i < c->n_queries; i++)
            if (c->queries[i].type == Q_CLICKHOUSE_SELECT)
                log_warn("Unsupported query type: %s (check %s).", query_type_name(c->queries[i].type), c->name);
        *skip = true;
    }
    return 0;
}

/* The list under top-level key `key` of every document, each item handed
 * to fn. */
typedef int (*item_fn)(yaml_document_t *d, const yaml_node_t *item, void *arg, char *err, size_t errlen);

static int each_item(const char *text, size_t len, const char *key, const char *type_name, item_fn fn, void *arg,
                     char *err, size_t errlen)
{
    yamldoc y;
    if (yamldoc_load(&y, text, len, err, errlen) != 0)
        return -1;
    int rc = 0;
    for (size_t i = 0; i < y.n && rc == 0; i++) {
        yaml_document_t *d = &y.docs[i];
        yaml_node_t *root = yamldoc_root(&y, i);
        if (root->type != YAML_MAPPING_NODE) {
            yd_type_error(root, type_name, err, errlen);
            rc = -1;
            break;
        }
        const char *known[] = { key, NULL };
        if (yd_known_keys(d, root, known, type_name, err, errlen) != 0) {
            rc = -1;
            break;
        }
        yaml_node_t *list = yd_get(d, root, key);
        if (!list || yd_is_null(list))
            continue;
        if (list->type != YAML_SEQUENCE_NODE) {
            yd_type_error(list, "[]", err, errlen);
            rc = -1;
            break;
        }
        for (yaml_node_item_t *it = list->data.sequence.items.start; it < list->data.sequence.items.top && rc == 0;
             it++)
            rc = fn(d, yamldoc_node(d, *it), arg, err, errlen);
    }
    yamldoc_free(&y);
    return rc;
}

typedef struct {
    check_def *v;
    size_t n;
    size_t dropped;
} check_list;

static int add_check(yaml_document_t *d, const yaml_node_t *item, void *arg, char *err, size_t errlen)
{
    check_list *l = arg;
    if (l->n == MAX_PER_FILE)
        return fail(err, errlen, "more than %s checks in one file", "1000");
    check_def c = { 0 };
    bool skip = false;
    if (parse_check(d, item, &c, &skip, err, errlen) != 0) {
        check_def_clear(&c);
        return -1;
    }
    if (skip) {
        check_def_clear(&c);
        l->dropped++;
        return 0;
    }
    check_def *grown = realloc(l->v, (l->n + 1) * sizeof *grown);
    if (!grown) {
        check_def_clear(&c);
        return fail(err, errlen, "%s", "out of memory");
    }
    l->v = grown;
    l->v[l->n++] = c;
    return 0;
}

int files_parse_checks(const char *text, size_t len, check_def **out, size_t *n, size_t *dropped, char *err,
                       size_t errlen)
{
    check_list l = { 0 };
    int rc = each_item(text, len, "checks", "check.Checks", add_check, &l, err, errlen);
    if (rc != 0) {
        for (size_t i = 0; i < l.n; i++)
            check_def_clear(&l.v[i]);
        free(l.v);
        return -1;
    }
    *out = l.v;
    *n = l.n;
    if (dropped)
        *dropped = l.dropped;
    return 0;
}

/* ---- advisors -------------------------------------------------------------------------- */

typedef struct {
    advisor_def *v;
    size_t n;
} advisor_list;

static int parse_tiers(yaml_document_t *d, const yaml_node_t *tiers, advisor_def *a, char *err, size_t errlen)
{
    if (!tiers || yd_is_null(tiers))
        return 0;
    if (tiers->type != YAML_SEQUENCE_NODE) {
        yd_type_error(tiers, "[]common.Tier", err, errlen);
        return -1;
    }
    size_t n = (size_t)(tiers->data.sequence.items.top - tiers->data.sequence.items.start);
    if (n > 16)
        return fail(err, errlen, "%s", "too many tiers");
    if (n && !(a->tiers = calloc(n, sizeof *a->tiers)))
        return fail(err, errlen, "%s", "out of memory");
    for (size_t i = 0; i < n; i++) {
        yaml_node_t *t = yamldoc_node(d, tiers->data.sequence.items.start[i]);
        const char *s = yd_scalar(t);
        if (!s) {
            yd_type_error(t, "common.Tier", err, errlen);
            return -1;
        }
        if (strcmp(s, "anonymous") != 0 && strcmp(s, "registered") != 0 && strcmp(s, "paid") != 0)
            return fail(err, errlen, "unknown tier: %s", s);
        if (!(a->tiers[i] = strdup(s)))
            return fail(err, errlen, "%s", "out of memory");
        a->n_tiers = i + 1;
    }
    return 0;
}

static int parse_advisor(yaml_document_t *d, const yaml_node_t *m, advisor_def *a, char *err, size_t errlen)
{
    if (m->type != YAML_MAPPING_NODE) {
        yd_type_error(m, "check.Advisor", err, errlen);
        return -1;
    }
    long long version;
    if (yd_known_keys(d, m, advisor_fields, "check.Advisor", err, errlen) != 0 ||
        yd_int(d, m, "version", &version, err, errlen) != 0 || yd_string(d, m, "name", &a->name, err, errlen) != 0 ||
        yd_string(d, m, "summary", &a->summary, err, errlen) != 0 ||
        yd_string(d, m, "description", &a->description, err, errlen) != 0 ||
        yd_string(d, m, "category", &a->category, err, errlen) != 0 ||
        parse_tiers(d, yd_get(d, m, "tiers"), a, err, errlen) != 0)
        return -1;
    a->version = (int)version;
    if (a->version != 1) {
        snprintf(err, errlen, "unexpected version %d", a->version);
        return -1;
    }
    if (!valid_name(a->name))
        return fail(err, errlen, "invalid advisor name: \"%s\"", a->name);
    if (!*a->summary)
        return fail(err, errlen, "%s", "summary is empty");
    if (!*a->description)
        return fail(err, errlen, "%s", "description is empty");
    if (!*a->category)
        return fail(err, errlen, "%s", "category is empty");
    yaml_node_t *checks = yd_get(d, m, "checks");
    if (checks && !yd_is_null(checks))
        return fail(err, errlen, "%s", "advisor checks are linked from check files, not listed");
    return 0;
}

static int add_advisor(yaml_document_t *d, const yaml_node_t *item, void *arg, char *err, size_t errlen)
{
    advisor_list *l = arg;
    if (l->n == MAX_PER_FILE)
        return fail(err, errlen, "more than %s advisors in one file", "1000");
    advisor_def a = { 0 };
    if (parse_advisor(d, item, &a, err, errlen) != 0) {
        advisor_def_clear(&a);
        return -1;
    }
    advisor_def *grown = realloc(l->v, (l->n + 1) * sizeof *grown);
    if (!grown) {
        advisor_def_clear(&a);
        return fail(err, errlen, "%s", "out of memory");
    }
    l->v = grown;
    l->v[l->n++] = a;
    return 0;
}

int files_parse_advisors(const char *text, size_t len, advisor_def **out, size_t *n, char *err, size_t errlen)
{
    advisor_list l = { 0 };
    if (each_item(text, len, "advisors", "check.Advisors", add_advisor, &l, err, errlen) != 0) {
        for (size_t i = 0; i < l.n; i++)
            advisor_def_clear(&l.v[i]);
        free(l.v);
        return -1;
    }
    *out = l.v;
    *n = l.n;
    return 0;
}

/* ---- folders --------------------------------------------------------------------------- */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

char **files_list_yaml(const char *dir, size_t *n)
{
    *n = 0;
    if (!dir || !*dir)
        return NULL;
    DIR *dp = opendir(dir);
    if (!dp) {
        if (errno != ENOENT)
            log_warn("Failed to read folder %s: %s.", dir, strerror(errno));
        return NULL;
    }
    char **v = NULL;
    struct dirent *e;
    while ((e = readdir(dp))) {
        size_t l = strlen(e->d_name);
        bool yml = (l > 4 && strcmp(e->d_name + l - 4, ".yml") == 0) || (l > 5 && strcmp(e->d_name + l - 5, ".yaml") == 0);
        if (!yml || e->d_name[0] == '.')
            continue;
        char **grown = realloc(v, (*n + 1) * sizeof *grown);
        if (!grown)
            break;
        v = grown;
        if (asprintf(&v[*n], "%s/%s", dir, e->d_name) < 0)
            break;
        (*n)++;
    }
    closedir(dp);
    if (v)
        qsort(v, *n, sizeof *v, cmp_str);
    return v;
}

void files_free_list(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

char *files_read_text(const char *path, size_t *len, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "open %s: %s", path, strerror(errno));
        return NULL;
    }
    struct stat sb;
    char *buf = NULL;
    if (fstat(fileno(f), &sb) != 0 || !S_ISREG(sb.st_mode) || (size_t)sb.st_size > YAMLDOC_MAX_BYTES)
        snprintf(err, errlen, "%s: not a regular file of at most %u bytes", path, YAMLDOC_MAX_BYTES);
    else if ((buf = malloc((size_t)sb.st_size + 1))) {
        *len = fread(buf, 1, (size_t)sb.st_size, f);
        buf[*len] = '\0';
    }
    fclose(f);
    return buf;
}

/* The file's base name without its extension equals name. */
static bool base_matches(const char *path, const char *name)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    size_t n = strlen(name);
    return strncmp(base, name, n) == 0 && (strcmp(base + n, ".yml") == 0 || strcmp(base + n, ".yaml") == 0);
}

static int push_advisor(check_set *s, advisor_def *a)
{
    for (size_t i = 0; i < s->n_advisors; i++) {
        if (strcmp(s->advisors[i].name, a->name) != 0)
            continue;
        if (a->user && !s->advisors[i].user) {
            log_info("Advisor %s of %s replaces the built-in one.", a->name, a->path);
            advisor_def_clear(&s->advisors[i]);
            s->advisors[i] = *a;
            return 0;
        }
        log_error("Failed to load advisor file %s: duplicate advisor name %s.", a->path, a->name);
        advisor_def_clear(a);
        return -1;
    }
    advisor_def *grown = realloc(s->advisors, (s->n_advisors + 1) * sizeof *grown);
    if (!grown) {
        advisor_def_clear(a);
        return -1;
    }
    s->advisors = grown;
    s->advisors[s->n_advisors++] = *a;
    return 0;
}

static void load_advisors(check_set *s, const char *dir, bool user)
{
    size_t n;
    char **paths = files_list_yaml(dir, &n);
    for (size_t i = 0; i < n; i++) {
        char err[512] = "";
        size_t len = 0, count = 0;
        advisor_def *v = NULL;
        char *text = files_read_text(paths[i], &len, err, sizeof err);
        if (!text || files_parse_advisors(text, len, &v, &count, err, sizeof err) != 0) {
            log_error("Failed to load advisor file %s: %s", paths[i], err);
        } else if (count != 1 || !base_matches(paths[i], v[0].name)) {
            log_error("Failed to load advisor file %s: it must hold one advisor named as the file.", paths[i]);
            for (size_t j = 0; j < count; j++)
                advisor_def_clear(&v[j]);
        } else {
            v[0].user = user;
            v[0].path = strdup(paths[i]);
            push_advisor(s, &v[0]);
        }
        free(v);
        free(text);
    }
    files_free_list(paths, n);
}

static int push_check(check_set *s, check_def *c)
{
    if (!check_set_find_advisor(s, c->advisor)) {
        log_error("Failed to load check %s of %s: unknown advisor %s.", c->name, c->path, c->advisor);
        check_def_clear(c);
        return -1;
    }
    for (size_t i = 0; i < s->n_checks; i++) {
        if (strcmp(s->checks[i].name, c->name) != 0)
            continue;
        if (c->user && !s->checks[i].user) {
            log_info("Check %s of %s replaces the built-in one.", c->name, c->path);
            check_def_clear(&s->checks[i]);
            s->checks[i] = *c;
            return 0;
        }
        log_error("Failed to load check file %s: duplicate check name %s.", c->path, c->name);
        check_def_clear(c);
        return -1;
    }
    check_def *grown = realloc(s->checks, (s->n_checks + 1) * sizeof *grown);
    if (!grown) {
        check_def_clear(c);
        return -1;
    }
    s->checks = grown;
    s->checks[s->n_checks++] = *c;
    return 0;
}

/* one_per_file: the built-in and user folders hold one check per file
 * named as the check; the development file holds many of advisor dev. */
static void load_check_file(check_set *s, const char *path, bool user, bool dev)
{
    char err[512] = "";
    size_t len = 0, count = 0;
    check_def *v = NULL;
    char *text = files_read_text(path, &len, err, sizeof err);
    if (!text || files_parse_checks(text, len, &v, &count, NULL, err, sizeof err) != 0) {
        log_error("Failed to load check file %s: %s", path, err);
        free(text);
        return;
    }
    free(text);
    for (size_t j = 0; j < count; j++) {
        check_def *c = &v[j];
        const char *problem = NULL;
        if (dev && strcmp(c->advisor, "dev") != 0)
            problem = "checks of the development file must use advisor dev";
        else if (!dev && (count != 1 || !base_matches(path, c->name)))
            problem = "it must hold one check named as the file";
        if (problem || !(c->path = strdup(path))) {
            log_error("Failed to load check file %s: %s.", path, problem ? problem : "out of memory");
            check_def_clear(c);
            continue;
        }
        c->user = user;
        push_check(s, c);
    }
    free(v);
}

check_set *files_load(const files_dirs *d)
{
    check_set *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    load_advisors(s, d->advisors_dir, false);
    load_advisors(s, d->user_advisors_dir, true);
    if (d->dev_checks_file && *d->dev_checks_file) {
        advisor_def dev = { .version = 1 };
        dev.name = strdup("dev");
        dev.summary = strdup("Dev Advisor");
        dev.description = strdup("Advisor used for developing checks");
        dev.category = strdup("development");
        dev.path = strdup(d->dev_checks_file);
        if (dev.name && dev.summary && dev.description && dev.category && dev.path)
            push_advisor(s, &dev);
        else
            advisor_def_clear(&dev);
        load_check_file(s, d->dev_checks_file, true, true);
    }
    const char *dirs[2] = { d->checks_dir, d->user_checks_dir };
    for (int k = 0; k < 2; k++) {
        size_t n;
        char **paths = files_list_yaml(dirs[k], &n);
        for (size_t i = 0; i < n; i++)
            load_check_file(s, paths[i], k == 1, false);
        files_free_list(paths, n);
    }
    return s;
}
