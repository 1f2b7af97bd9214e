/* cloud: the exporters of cloud databases (upstream rds.go,
 * roster.go, azure_database.go): one rds_exporter process per AWS access
 * key serving all RDS instances of the pmm-agent that use it, with its
 * YAML configuration; azure_database_exporter with its configuration. */
#include "internal.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inventory/v1/agents.pb-c.h"

/* ---- YAML scalars as gopkg.in/yaml.v3 writes them -------------------------------- */

static bool looks_typed(const char *s)
{
    static const char *const words[] = { "true", "false", "yes", "no", "on", "off", "y", "n", "null", "~", NULL };
    for (const char *const *w = words; *w; w++)
        if (strcasecmp(s, *w) == 0)
            return true;
    char *end;
    strtod(s, &end);
    return *s && *end == '\0';
}

static bool plain_safe(const char *s)
{
    if (!*s || strchr("-?:,[]{}#&*!|>'\"%@` ", s[0]) || s[strlen(s) - 1] == ' ')
        return false;
    for (const char *p = s; *p; p++)
        if ((unsigned char)*p < 0x20 || (p[0] == ':' && (p[1] == ' ' || !p[1])) || (p[0] == ' ' && p[1] == '#'))
            return false;
    return true;
}

static void yaml_scalar(strv *out, const char *prefix, const char *key, const char *v)
{
    if (plain_safe(v) && !looks_typed(v)) {
        strv_addf(out, "%s%s: %s", prefix, key, v);
        return;
    }
    /* Double quotes, escaping what they must; yaml.v3 uses them for values
     * that would read as another type, single quotes otherwise. */
    bool dq = looks_typed(v) || strpbrk(v, "\n\t\\\"") != NULL;
    size_t n = strlen(v);
    char *q = malloc(2 * n + 3), *w = q;
    if (!q) {
        out->oom = true;
        return;
    }
    *w++ = dq ? '"' : '\'';
    for (const char *p = v; *p; p++) {
        if (dq && (*p == '"' || *p == '\\'))
            *w++ = '\\';
        else if (!dq && *p == '\'')
            *w++ = '\'';
        if (dq && *p == '\n') {
            *w++ = '\\';
            *w++ = 'n';
        } else if (dq && *p == '\t') {
            *w++ = '\\';
            *w++ = 't';
        } else {
            *w++ = *p;
        }
    }
    *w++ = dq ? '"' : '\'';
    *w = '\0';
    strv_addf(out, "%s%s: %s", prefix, key, q);
    free(q);
}

/* ---- labels (models.MergeLabels of the node and the agent) ------------------------ */

static void put_label(json_t *labels, const char *k, const char *v)
{
    if (v && *v)
        json_object_set_new(labels, k, json_string(v));
    else
        json_object_del(labels, k); /* empty labels are removed */
}

static void put_custom(json_t *labels, const char *text)
{
    json_t *custom = text && *text ? json_loads(text, 0, NULL) : NULL;
    const char *k;
    json_t *v;
    json_object_foreach(custom, k, v) put_label(labels, k, json_string_value(v));
    json_decref(custom);
}

static json_t *rds_labels(json_t *node, json_t *agent)
{
    json_t *l = json_object();
    static const char *const node_cols[][2] = {
        { "node_id", "node_id" }, { "node_name", "node_name" }, { "node_type", "node_type" },
        { "machine_id", "machine_id" }, { "container_id", "container_id" }, { "container_name", "container_name" },
        { "node_model", "node_model" }, { "region", "region" }, { "az", "az" },
    };
    for (size_t i = 0; l && i < sizeof node_cols / sizeof *node_cols; i++)
        put_label(l, node_cols[i][0], rec_s(node, node_cols[i][1], NULL));
    put_custom(l, rec_s(node, "custom_labels", NULL));
    put_label(l, "agent_id", rec_s(agent, "agent_id", NULL));
    put_label(l, "agent_type", rec_s(agent, "agent_type", NULL));
    put_custom(l, rec_s(agent, "custom_labels", NULL));
    json_object_del(l, "region"); /* rds_exporter adds it anyway */
    return l;
}

/* ---- rds_exporter ---------------------------------------------------------------------- */

typedef struct {
    json_t *agent, *node;
} rds_member;

static int cmp_members(const void *a, const void *b)
{
    const rds_member *x = a, *y = b;
    int c = strcmp(rec_s(x->node, "region", NULL), rec_s(y->node, "region", NULL));
    return c ? c : strcmp(rec_s(x->node, "address", NULL), rec_s(y->node, "address", NULL));
}

static void rds_instance(strv *y, const rds_member *m)
{
    json_t *a = m->agent;
    yaml_scalar(y, "    - ", "region", rec_s(m->node, "region", NULL));
    yaml_scalar(y, "      ", "instance", rec_s(m->node, "address", NULL));
    if (*rec_s(a, "aws_options", "aws_access_key"))
        yaml_scalar(y, "      ", "aws_access_key", rec_s(a, "aws_options", "aws_access_key"));
    if (*rec_s(a, "aws_options", "aws_secret_key"))
        yaml_scalar(y, "      ", "aws_secret_key", rec_s(a, "aws_options", "aws_secret_key"));
    strv_addf(y, "      disable_basic_metrics: %s",
              rec_b(a, "aws_options", "rds_basic_metrics_disabled") ? "true" : "false");
    strv_addf(y, "      disable_enhanced_metrics: %s",
              rec_b(a, "aws_options", "rds_enhanced_metrics_disabled") ? "true" : "false");
    json_t *labels = rds_labels(m->node, a);
    if (json_object_size(labels)) {
        strv_add(y, "      labels:");
        strv keys = { 0 };
        const char *k;
        json_t *v;
        json_object_foreach(labels, k, v) strv_add(&keys, k);
        strv_sort(&keys);
        for (size_t i = 0; i < keys.n; i++)
            yaml_scalar(y, "        ", keys.v[i], json_string_value(json_object_get(labels, keys.v[i])));
        if (keys.oom)
            y->oom = true;
        strv_free(&keys);
    }
    json_decref(labels);
}

/* One log level when all members agree (toOneLogLevel), else none. */
static json_t *one_log_level(const rds_member *m, size_t n)
{
    for (size_t i = 1; i < n; i++)
        if (strcmp(rec_s(m[i].agent, "log_level", NULL), rec_s(m[0].agent, "log_level", NULL)) != 0)
            return NULL;
    return m[0].agent;
}

static char *join_lines(const strv *l)
{
    size_t len = 1;
    for (size_t i = 0; i < l->n; i++)
        len += strlen(l->v[i]) + 1;
    char *s = malloc(len), *w = s;
    for (size_t i = 0; s && i < l->n; i++)
        w += sprintf(w, "%s\n", l->v[i]);
    if (s)
        *w = '\0';
    return s;
}

int state_rds_exporter(json_t *const *agents, json_t *const *nodes, size_t n, const agent_ver *v,
                       Agent__V1__SetStateRequest__AgentProcess **out, rpc_status *st)
{
    rds_member *m = calloc(n ? n : 1, sizeof *m);
    if (!m)
        return rpc_fail(st, RPC_INTERNAL, "out of memory");
    for (size_t i = 0; i < n; i++)
        m[i] = (rds_member){ agents[i], nodes[i] };
    qsort(m, n, sizeof *m, cmp_members);

    strv yaml = { 0 }, words = { 0 }, args = { 0 };
    strv_add(&yaml, "---");
    strv_add(&yaml, "instances:");
    for (size_t i = 0; i < n; i++) {
        rds_instance(&yaml, &m[i]);
        strv w = { 0 };
        state_redact_words(&w, m[i].agent);
        for (size_t k = 0; k < w.n; k++)
            if (!strv_has(&words, w.v[k]))
                strv_add(&words, w.v[k]);
        strv_free(&w);
    }
    strv_sort(&words);
    delims d = delims_pick(NULL, 0);
    strv_addf(&args, "--web.listen-address=:%s .listen_port %s", d.l, d.r);
    strv_addf(&args, "--config.file=%s .TextFiles.config %s", d.l, d.r);
    json_t *lvl = one_log_level(m, n);
    if (lvl)
        state_with_log_level(&args, lvl, v, true);
    strv_sort(&args);
    free(m);

    char *config = yaml.oom ? NULL : join_lines(&yaml);
    json_t *files = json_object();
    if (config && files)
        json_object_set_new(files, "config", json_string(config));
    Agent__V1__SetStateRequest__AgentProcess *p = NULL;
    if (config && files && !args.oom && !words.oom)
        p = state_process(INVENTORY__V1__AGENT_TYPE__AGENT_TYPE_RDS_EXPORTER, d, &args, NULL, files, &words);
    free(config);
    json_decref(files);
    strv_free(&yaml);
    strv_free(&words);
    strv_free(&args);
    if (!p)
        return rpc_fail(st, RPC_INTERNAL, "out of memory");
    *out = p;
    return RPC_OK;
}

/* ---- azure_database_exporter ------------------------------------------------------------ */

static const char azure_template[] =
    "---\n"
    "active_directory_authority_url: \"https://login.microsoftonline.com/\"\n"
    "resource_manager_url: \"https://management.azure.com/\"\n"
    "credentials:\n"
    "  client_id: \"%s\"\n"
    "  client_secret: \"%s\"\n"
    "  tenant_id: \"%s\"\n"
    "  subscription_id: \"%s\"\n"
    "\n"
    "targets:\n"
    "resource_groups:\n"
    "  - resource_group: \"%s\"\n"
    "    aggregations:\n"
    "      - Average\n"
    "%s\n"
    "    metrics:\n"
    "      - name: \"cpu_percent\"\n"
    "      - name: \"memory_percent\"\n"
    "      - name: \"storage_percent\"\n"
    "      - name: \"storage_used\"\n"
    "      - name: \"storage_limit\"\n"
    "      - name: \"network_bytes_egress\"\n"
    "      - name: \"network_bytes_ingress\"\n";

/* The resource types as upstream spells them (its "felexibleServers" too:
 * the exporter has always been given that). */
static const char azure_mysql_types[] = "    resource_types:\n"
                                        "      - \"Microsoft.DBforMySQL/servers\"\n"
                                        "      - \"Microsoft.DBforMySQL/felexibleServers\"\n"
                                        "      - \"Microsoft.DBforMariaDB/servers\"";
static const char azure_pg_types[] = "    resource_types:\n"
                                     "      - \"Microsoft.DBforPostgreSQL/servers\"\n"
                                     "      - \"Microsoft.DBforPostgreSQL/flexibleServers\"\n"
                                     "      - \"Microsoft.DBforPostgreSQL/serversv2\"";

int state_azure_exporter(const state_src *s, Agent__V1__SetStateRequest__AgentProcess **out, rpc_status *st)
{
    json_t *a = s->agent;
    const char *type = rec_s(s->service, "service_type", NULL);
    const char *types = strcmp(type, "mysql") == 0 ? azure_mysql_types
                        : strcmp(type, "postgresql") == 0 ? azure_pg_types
                                                          : NULL;
    if (!types)
        return rpc_fail(st, RPC_INTERNAL, "unexpected service type %s", type);
    char *config = NULL;
    if (asprintf(&config, azure_template, rec_s(a, "azure_options", "client_id"),
                 rec_s(a, "azure_options", "client_secret"), rec_s(a, "azure_options", "tenant_id"),
                 rec_s(a, "azure_options", "subscription_id"), rec_s(a, "azure_options", "resource_group"), types) < 0)
        return rpc_fail(st, RPC_INTERNAL, "out of memory");
    delims d = delims_pick(NULL, 0);
    strv args = { 0 }, words = { 0 };
    strv_addf(&args, "--config.file=%s .TextFiles.config %s", d.l, d.r);
    strv_addf(&args, "--web.listen-address=:%s .listen_port %s", d.l, d.r);
    state_with_log_level(&args, a, s->ver, true);
    state_redact_words(&words, a);
    json_t *files = json_object();
    if (files)
        json_object_set_new(files, "config", json_string(config));
    Agent__V1__SetStateRequest__AgentProcess *p = NULL;
    if (files && !args.oom && !words.oom)
        p = state_process(INVENTORY__V1__AGENT_TYPE__AGENT_TYPE_AZURE_DATABASE_EXPORTER, d, &args, NULL, files, &words);
    free(config);
    json_decref(files);
    strv_free(&args);
    strv_free(&words);
    if (!p)
        return rpc_fail(st, RPC_INTERNAL, "out of memory");
    *out = p;
    return RPC_OK;
}
