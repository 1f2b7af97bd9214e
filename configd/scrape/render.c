/* render: renders the scrape configuration (see scrape.h). Job contents
 * follow upstream's scrape_configs.go and prometheus.go; the text follows
 * what yaml.v3 writes for promconfig's structs (field order, 4-space
 * indentation, sorted label keys), so the file matches pmm-managed's. */
#include "scrape.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "log.h"

#define HEADER "# Managed by pmm-managed. DO NOT EDIT.\n---\n"
#define MAX_COLLECT 32

typedef struct {
    const char *name, *value;
} label;

typedef struct {
    label *v;
    size_t n, cap;
    json_t *held[3];   /* parsed custom labels the values point into */
} label_set;

typedef struct {
    const char *name;
    bool honor_labels;
    const char *const *collect;
    size_t n_collect;
    int64_t interval;
    const char *path, *scheme;
    const char *target;
    const char *labels;   /* the "labels:" block as text (labels_text), or NULL */
    const char *user, *pass;
    bool tls_insecure;
    bool stream_parse;
} job;

/* ---- one job ------------------------------------------------------------- */

static void write_job(scrape_buf *b, const job *j)
{
    char iv[32], to[32];
    scrape_duration(iv, sizeof iv, j->interval);
    scrape_duration(to, sizeof to, scrape_timeout_ns(j->interval));
    sbuf_puts(b, "    - job_name: ");
    sbuf_scalar(b, j->name);
    sbuf_puts(b, "\n");
    if (j->honor_labels)
        sbuf_puts(b, "      honor_labels: true\n");
    sbuf_puts(b, "      honor_timestamps: false\n");
    if (j->n_collect) {
        sbuf_puts(b, "      params:\n        collect[]:\n");
        for (size_t i = 0; i < j->n_collect; i++) {
            sbuf_puts(b, "            - ");
            sbuf_scalar(b, j->collect[i]);
            sbuf_puts(b, "\n");
        }
    }
    sbuf_printf(b, "      scrape_interval: %s\n      scrape_timeout: %s\n", iv, to);
    if (j->path && *j->path)
        sbuf_kv(b, 6, "metrics_path", j->path);
    if (j->scheme && *j->scheme)
        sbuf_kv(b, 6, "scheme", j->scheme);
    sbuf_puts(b, "      static_configs:\n        - targets:\n            - ");
    sbuf_scalar(b, j->target);
    sbuf_puts(b, "\n");
    if (j->labels)
        sbuf_puts(b, j->labels);
    if (j->user) {
        sbuf_puts(b, "      basic_auth:\n");
        sbuf_kv(b, 8, "username", j->user);
        if (j->pass && *j->pass)
            sbuf_kv(b, 8, "password", j->pass);
    }
    if (j->tls_insecure)
        sbuf_puts(b, "      tls_config:\n        insecure_skip_verify: true\n");
    sbuf_puts(b, "      follow_redirects: false\n");
    if (j->stream_parse)
        sbuf_puts(b, "      stream_parse: true\n");
}

/* ---- URLs ---------------------------------------------------------------- */

/* host[:port] of url into out, and a pointer to its path ("" when none). */
static const char *url_split(const char *url, char *host, size_t hostlen)
{
    const char *p = strstr(url, "://");
    p = p ? p + 3 : url;
    size_t n = strcspn(p, "/?#");
    const char *at = memchr(p, '@', n);
    if (at) {
        n -= (size_t)(at + 1 - p);
        p = at + 1;
    }
    snprintf(host, hostlen, "%.*s", (int)n, p);
    return p + n;
}

/* The host name alone: no port, no IPv6 brackets. */
static void host_name(const char *hostport, char *out, size_t outlen)
{
    if (hostport[0] == '[') {
        size_t n = strcspn(hostport + 1, "]");
        snprintf(out, outlen, "%.*s", (int)n, hostport + 1);
        return;
    }
    const char *colon = strchr(hostport, ':');
    /* one colon: host:port; none or several (a bare IPv6 address): all of it */
    size_t n = colon && !strchr(colon + 1, ':') ? (size_t)(colon - hostport) : strlen(hostport);
    snprintf(out, outlen, "%.*s", (int)n, hostport);
}

bool scrape_vm_external(const char *vm_url)
{
    char hp[256], name[256];
    url_split(vm_url, hp, sizeof hp);
    host_name(hp, name, sizeof name);
    return strcmp(name, "127.0.0.1") != 0;
}

/* net.JoinHostPort */
static void join_host_port(char *out, size_t outlen, const char *host, int port)
{
    if (strchr(host, ':'))
        snprintf(out, outlen, "[%s]:%d", host, port);
    else
        snprintf(out, outlen, "%s:%d", host, port);
}

/* ---- the server's own jobs ---------------------------------------------- */

static const char server_instance[] = "          labels:\n            instance: pmm-server\n";

static void fixed_job(scrape_buf *b, const char *name, int64_t interval, const char *path, const char *target)
{
    job j = { .name = name, .interval = interval, .path = path, .target = target, .labels = server_instance };
    write_job(b, &j);
}

static void server_jobs(const scrape_input *in, scrape_buf *b)
{
    char vm_host[256], vm_path[1024], alert_host[256];
    const char *path = url_split(in->vm_url, vm_host, sizeof vm_host);
    /* URLFor("metrics"): the reference resolved against the base URL. */
    const char *slash = strrchr(path, '/');
    size_t keep = slash ? (size_t)(slash - path) + 1 : 0;
    snprintf(vm_path, sizeof vm_path, "%s%.*smetrics", keep ? "" : "/", (int)keep, path);
    url_split(in->vmalert_url, alert_host, sizeof alert_host);

    fixed_job(b, "victoriametrics", in->res.hr, vm_path, vm_host);
    if (scrape_vm_external(in->vm_url))
        fixed_job(b, "vmagent", in->res.hr, "/metrics", vm_host);
    fixed_job(b, "vmalert", in->res.hr, "/metrics", alert_host);
    fixed_job(b, "grafana", in->res.mr, "/graph/metrics", "127.0.0.1:3000");
    fixed_job(b, "pmm-managed", in->res.mr, "/debug/metrics", in->managed_target);
    fixed_job(b, "qan-api2", in->res.mr, "/debug/metrics", "127.0.0.1:9933");
    fixed_job(b, "clickhouse", in->res.mr, "/metrics", "127.0.0.1:9363");
    if (in->nomad) {
        job j = { .name = "nomad", .interval = in->res.mr, .path = "/v1/metrics?format=prometheus",
                  .scheme = "https", .target = "127.0.0.1:4646", .labels = server_instance, .tls_insecure = true };
        write_job(b, &j);
    }
}

/* ---- labels -------------------------------------------------------------- */

/* For names known to be new in ls. */
static int labels_append(label_set *ls, const char *name, const char *value)
{
    if (ls->n == ls->cap) {
        size_t cap = ls->cap ? ls->cap * 2 : 32;
        label *v = realloc(ls->v, cap * sizeof *v);
        if (!v)
            return -1;
        ls->v = v;
        ls->cap = cap;
    }
    ls->v[ls->n++] = (label){ name, value };
    return 0;
}

static int labels_set(label_set *ls, const char *name, const char *value)
{
    for (size_t i = 0; i < ls->n; i++) {
        if (strcmp(ls->v[i].name, name) == 0) {
            ls->v[i].value = value;
            return 0;
        }
    }
    return labels_append(ls, name, value);
}

static void labels_free(label_set *ls)
{
    free(ls->v);
    for (size_t i = 0; i < 3; i++)
        json_decref(ls->held[i]);
    memset(ls, 0, sizeof *ls);
}

static bool label_name_ok(const char *s)
{
    if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_'))
        return false;
    if (s[0] == '_' && s[1] == '_')
        return false;
    for (s++; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '_'))
            return false;
    return true;
}

static bool blank_value(const char *v)
{
    if (!v)
        return true;
    for (; *v; v++)
        if (*v != ' ' && *v != '\t' && *v != '\n' && *v != '\r' && *v != '\v' && *v != '\f')
            return false;
    return true;
}

/* One entity's unified labels (standard, then its custom ones over them,
 * empty values dropped) merged into ls. std is name/value pairs. Returns
 * 0, or -1 with why set (bad JSON, bad label name). */
static int merge_entity(label_set *ls, int slot, const label *std, size_t n_std, const char *custom,
                        const char **why)
{
    label_set e = { 0 };
    int rc = -1;
    for (size_t i = 0; i < n_std; i++) /* distinct names */
        if (labels_append(&e, std[i].name, std[i].value ? std[i].value : "") != 0)
            goto out;
    if (custom && *custom) {
        json_t *obj = json_loads(custom, 0, NULL);
        ls->held[slot] = obj;
        if (!json_is_object(obj)) {
            *why = "custom labels are not a JSON object";
            goto out;
        }
        const char *k;
        json_t *v;
        json_object_foreach(obj, k, v) {
            if (!json_is_string(v)) {
                *why = "a custom label value is not a string";
                goto out;
            }
            if (labels_set(&e, k, json_string_value(v)) != 0)
                goto out;
        }
    }
    bool fresh = ls->n == 0; /* the first entity: its names are new */
    for (size_t i = 0; i < e.n; i++) {
        if (i >= n_std && !label_name_ok(e.v[i].name)) {
            *why = "invalid label name";
            goto out;
        }
        if (blank_value(e.v[i].value))
            continue;
        if ((fresh ? labels_append(ls, e.v[i].name, e.v[i].value) : labels_set(ls, e.v[i].name, e.v[i].value)) != 0)
            goto out;
    }
    rc = 0;
out:
    free(e.v);
    return rc;
}

static int label_cmp(const void *a, const void *b)
{
    return scrape_key_cmp(((const label *)a)->name, ((const label *)b)->name);
}

/* models.MergeLabels(node, service, agent) plus instance = agent id. */
static int agent_labels(const scrape_agent *a, label_set *ls, const char **why)
{
    if (a->node) {
        const scrape_node *n = a->node;
        label std[] = { { "node_id", n->id }, { "node_name", n->name }, { "node_type", n->type },
                        { "machine_id", n->machine_id }, { "container_id", n->container_id },
                        { "container_name", n->container_name }, { "node_model", n->model },
                        { "region", n->region }, { "az", n->az } };
        if (merge_entity(ls, 0, std, sizeof std / sizeof *std, n->custom_labels, why) != 0)
            return -1;
    }
    if (a->service) {
        const scrape_service *s = a->service;
        label std[] = { { "service_id", s->id }, { "service_name", s->name }, { "service_type", s->type },
                        { "environment", s->environment }, { "cluster", s->cluster },
                        { "replication_set", s->replication_set }, { "external_group", s->external_group } };
        if (merge_entity(ls, 1, std, sizeof std / sizeof *std, s->custom_labels, why) != 0)
            return -1;
    }
    label std[] = { { "agent_id", a->id }, { "agent_type", a->type } };
    if (merge_entity(ls, 2, std, 2, a->custom_labels, why) != 0 || labels_set(ls, "instance", a->id) != 0)
        return -1;
    qsort(ls->v, ls->n, sizeof *ls->v, label_cmp);
    return 0;
}

/* ---- collectors ---------------------------------------------------------- */

typedef struct {
    const char *v[MAX_COLLECT];
    size_t n;
} collect_list;

static int str_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static bool is_disabled(const json_t *disabled, const char *name)
{
    size_t i;
    json_t *v;
    json_array_foreach(disabled, i, v) {
        const char *s = json_string_value(v);
        if (s && strcmp(s, name) == 0)
            return true;
    }
    return false;
}

/* Appends the NULL-terminated names not disabled by the agent. */
static void collect_add(collect_list *c, const json_t *disabled, const char *const *names)
{
    for (; *names && c->n < MAX_COLLECT; names++)
        if (!is_disabled(disabled, *names))
            c->v[c->n++] = *names;
}

static void collect_sort(collect_list *c)
{
    qsort(c->v, c->n, sizeof *c->v, str_cmp);
}

/* ---- agents -------------------------------------------------------------- */

typedef struct {
    const scrape_agent *a;
    scrape_res res;
    char target[300];
    const char *labels;   /* rendered once, shared by the agent's jobs */
    bool stream_parse;
    scrape_buf *out;
} agent_ctx;

/* jobName(): type, id with '/', ':' and '.' mapped to '_', resolution. */
static void job_name(char *out, size_t outlen, const char *type, const char *id, const char *res)
{
    int n = snprintf(out, outlen, "%s_", type);
    size_t at = n > 0 ? (size_t)n : 0;
    for (const char *p = id; *p && at + 1 < outlen; p++)
        out[at++] = (*p == '/' || *p == ':' || *p == '.') ? '_' : *p;
    out[at < outlen ? at : outlen - 1] = '\0';
    snprintf(out + strlen(out), outlen - strlen(out), "_%s", res);
}

/* scrapeConfigForStandardExporter */
static void standard_job(agent_ctx *c, const char *res_name, int64_t interval, collect_list *collect)
{
    char name[1024];
    job_name(name, sizeof name, c->a->type, c->a->id, res_name);
    const char *pass = c->a->agent_password && *c->a->agent_password ? c->a->agent_password : c->a->id;
    job j = { .name = name, .collect = collect ? collect->v : NULL, .n_collect = collect ? collect->n : 0,
              .interval = interval, .path = "/metrics", .target = c->target, .labels = c->labels, .user = "pmm",
              .pass = pass, .stream_parse = c->stream_parse };
    write_job(c->out, &j);
}

/* The collector lists below are upstream's (scrape_configs.go, in step
 * with the exporters' flags, agent-protocol.md §12), each written in the
 * file's order (byte order, as upstream sorts them), so that filtering out
 * an agent's disabled collectors keeps them sorted. */

static int node_exporter_jobs(agent_ctx *c, const json_t *dis)
{
    static const char *const hr_linux[] = { "buddyinfo", "cpu", "diskstats", "filefd", "filesystem", "loadavg",
                                            "meminfo", "meminfo_numa", "netdev", "netstat", "processes",
                                            "standard.go", "standard.process", "stat", "textfile.hr", "time",
                                            "vmstat", NULL };
    static const char *const hr_darwin[] = { "cpu", "diskstats", "filesystem", "loadavg", "meminfo", "netdev",
                                             "time", NULL };
    static const char *const mr[] = { "hwmon", "textfile.mr", NULL };
    static const char *const lr[] = { "bonding", "entropy", "os", "textfile.lr", "uname", NULL };
    bool darwin = c->a->node && c->a->node->distro && strcmp(c->a->node->distro, "darwin") == 0;
    collect_list h = { 0 }, m = { 0 }, l = { 0 };
    collect_add(&h, dis, darwin ? hr_darwin : hr_linux);
    standard_job(c, "hr", c->res.hr, &h);
    if (darwin)
        return 1;
    collect_add(&m, dis, mr);
    standard_job(c, "mr", c->res.mr, &m);
    collect_add(&l, dis, lr);
    standard_job(c, "lr", c->res.lr, &l);
    return 3;
}

/* IsMySQLTablestatsGroupEnabled */
static bool tablestats_on(const scrape_agent *a)
{
    if (a->tablestats_limit == 0)
        return true;
    if (a->tablestats_limit < 0)
        return false;
    return !a->has_table_count || a->table_count <= a->tablestats_limit;
}

static int mysqld_exporter_jobs(agent_ctx *c, const json_t *dis)
{
    static const char *const hr[] = { "custom_query.hr", "global_status", "info_schema.innodb_metrics",
                                      "standard.go", "standard.process", NULL };
    static const char *const mr[] = { "custom_query.mr", "engine_innodb_status", "info_schema.innodb_cmp",
                                      "info_schema.innodb_cmpmem", "info_schema.processlist",
                                      "info_schema.query_response_time", "perf_schema.eventswaits",
                                      "perf_schema.file_events", "slave_status", NULL };
    /* with the table-stats group: plus perf_schema.tablelocks */
    static const char *const mr_ts[] = { "custom_query.mr", "engine_innodb_status", "info_schema.innodb_cmp",
                                         "info_schema.innodb_cmpmem", "info_schema.processlist",
                                         "info_schema.query_response_time", "perf_schema.eventswaits",
                                         "perf_schema.file_events", "perf_schema.tablelocks", "slave_status", NULL };
    static const char *const lr[] = { "binlog_size", "custom_query.lr", "engine_tokudb_status", "global_variables",
                                      "heartbeat", "info_schema.clientstats", "info_schema.userstats",
                                      "perf_schema.eventsstatements", "perf_schema.file_instances", "plugins",
                                      NULL };
    /* plus auto_increment.columns, info_schema.tables, .tablestats,
     * .innodb_tablespaces, perf_schema.indexiowaits, .tableiowaits */
    static const char *const lr_ts[] = { "auto_increment.columns", "binlog_size", "custom_query.lr",
                                         "engine_tokudb_status", "global_variables", "heartbeat",
                                         "info_schema.clientstats", "info_schema.innodb_tablespaces",
                                         "info_schema.tables", "info_schema.tablestats", "info_schema.userstats",
                                         "perf_schema.eventsstatements", "perf_schema.file_instances",
                                         "perf_schema.indexiowaits", "perf_schema.tableiowaits", "plugins", NULL };
    bool ts = tablestats_on(c->a);
    collect_list h = { 0 }, m = { 0 }, l = { 0 };
    collect_add(&h, dis, hr);
    standard_job(c, "hr", c->res.hr, &h);
    collect_add(&m, dis, ts ? mr_ts : mr);
    standard_job(c, "mr", c->res.mr, &m);
    collect_add(&l, dis, ts ? lr_ts : lr);
    standard_job(c, "lr", c->res.lr, &l);
    return 3;
}

/* pmm-agent version as major.minor.patch; false when it does not parse
 * (upstream: no version = an old agent). A pre-release of x.y.z counts
 * as x.y.z: the thresholds are "x.y.z-0", below every pre-release. */
static bool parse_version(const char *v, int out[3])
{
    if (!v || !*v)
        return false;
    if (*v == 'v')
        v++;
    char *end;
    for (int i = 0; i < 3; i++) {
        long n = strtol(v, &end, 10);
        if (end == v || n < 0)
            return false;
        out[i] = (int)n;
        v = end;
        if (i < 2 && *v++ != '.')
            return false;
    }
    return *v == '\0' || *v == '-' || *v == '+';
}

static bool version_at_least(const int v[3], int ma, int mi, int pa)
{
    if (v[0] != ma)
        return v[0] > ma;
    if (v[1] != mi)
        return v[1] > mi;
    return v[2] >= pa;
}

static int mongodb_exporter_jobs(agent_ctx *c, const json_t *dis)
{
    int v[3];
    if (!parse_version(c->a->pmm_agent_version, v) || !version_at_least(v, 2, 26, 0)) {
        standard_job(c, "hr", c->res.hr, NULL);
        return 1;
    }
    static const char *const hr[] = { "diagnosticdata", "replicasetstatus", "topmetrics", NULL };
    static const char *const fcv[] = { "fcv", NULL }, *const pbm[] = { "pbm", NULL };
    static const char *const all[] = { "dbstats", "indexstats", "collstats", NULL };
    static const char *const shards[] = { "shards", NULL }, *const curop[] = { "currentopmetrics", NULL };
    collect_list h = { 0 }, l = { 0 };
    collect_add(&h, dis, hr);
    standard_job(c, "hr", c->res.hr, &h);
    if (version_at_least(v, 2, 43, 0))
        collect_add(&l, dis, fcv);
    if (version_at_least(v, 2, 43, 2))
        collect_add(&l, dis, pbm);
    if (c->a->mongo_all_collectors) {
        collect_add(&l, dis, all);
        if (version_at_least(v, 2, 41, 1))
            collect_add(&l, dis, shards);
        if (version_at_least(v, 2, 42, 0))
            collect_add(&l, dis, curop);
    }
    collect_sort(&l); /* made of several groups */
    standard_job(c, "lr", c->res.lr, &l);
    return 2;
}

static int postgres_exporter_jobs(agent_ctx *c, const json_t *dis)
{
    static const char *const hr[] = { "custom_query.hr", "exporter", "postgres", "standard.go",
                                      "standard.process", NULL };
    static const char *const mr[] = { "custom_query.mr", NULL };
    static const char *const lr[] = { "custom_query.lr", NULL };
    collect_list h = { 0 }, m = { 0 }, l = { 0 };
    c->stream_parse = true;
    collect_add(&h, dis, hr);
    standard_job(c, "hr", c->res.hr, &h);
    collect_add(&m, dis, mr);
    standard_job(c, "mr", c->res.mr, &m);
    collect_add(&l, dis, lr);
    standard_job(c, "lr", c->res.lr, &l);
    return 3;
}

/* external-exporter and vmagent: one MR job with the agent's scheme and
 * path; basic auth only with a username. azure_database_exporter: the
 * same with /metrics and no auth. */
static int single_mr_job(agent_ctx *c, bool azure)
{
    char name[1024];
    job_name(name, sizeof name, c->a->type, c->a->id, "mr");
    job j = { .name = name, .interval = c->res.mr, .target = c->target, .labels = c->labels };
    if (azure) {
        j.path = "/metrics";
    } else {
        j.path = c->a->metrics_path;
        j.scheme = c->a->scheme;
        if (c->a->username && *c->a->username) {
            j.user = c->a->username;
            j.pass = c->a->password;
        }
    }
    write_job(c->out, &j);
    return 1;
}

static bool type_in(const char *t, const char *const *list)
{
    for (; *list; list++)
        if (strcmp(t, *list) == 0)
            return true;
    return false;
}

bool scrape_agent_wanted(const scrape_agent *a)
{
    static const char *const with_jobs[] = { "node_exporter", "mysqld_exporter", "mongodb_exporter",
                                             "postgres_exporter", "proxysql_exporter", "rds_exporter",
                                             "external-exporter", "vmagent", "azure_database_exporter", NULL };
    return !a->disabled && !a->push_metrics && a->listen_port > 0 && type_in(a->type, with_jobs);
}

int scrape_agent_cmp(const scrape_agent *a, const scrape_agent *b)
{
    int c = strcmp(a->type, b->type);
    return c ? c : strcmp(a->id, b->id);
}

static void effective_res(const scrape_input *in, const scrape_agent *a, scrape_res *r)
{
    *r = in->res;
    if (a->res.hr > 0)
        r->hr = a->res.hr;
    if (a->res.mr > 0)
        r->mr = a->res.mr;
    if (a->res.lr > 0)
        r->lr = a->res.lr;
}

int scrape_render_agent(const scrape_input *in, const scrape_agent *a, scrape_buf *out)
{
    if (!scrape_agent_wanted(a) || strcmp(a->type, "rds_exporter") == 0)
        return 0;
    if (!a->host || !*a->host) {
        log_warn("It's not possible to get host, skipping scrape config for %s %s.", a->type, a->id);
        return 0;
    }
    agent_ctx c = { .a = a, .out = out };
    effective_res(in, a, &c.res);
    join_host_port(c.target, sizeof c.target, a->host, a->listen_port);
    label_set ls = { 0 };
    const char *why = "out of memory";
    if (agent_labels(a, &ls, &why) != 0) {
        log_warn("Failed to add %s %s, skipping: %s.", a->type, a->id, why);
        labels_free(&ls);
        return 0;
    }
    scrape_buf lt = { 0 };
    if (ls.n) {
        sbuf_puts(&lt, "          labels:\n");
        for (size_t i = 0; i < ls.n; i++)
            sbuf_kv(&lt, 12, ls.v[i].name, ls.v[i].value);
    }
    if (lt.failed) {
        out->failed = true;
        sbuf_free(&lt);
        labels_free(&ls);
        return 0;
    }
    c.labels = lt.data;
    json_t *dis = a->disabled_collectors && *a->disabled_collectors ? json_loads(a->disabled_collectors, 0, NULL)
                                                                      : NULL;
    int n = 0;
    const char *t = a->type;
    if (strcmp(t, "node_exporter") == 0)
        n = node_exporter_jobs(&c, dis);
    else if (strcmp(t, "mysqld_exporter") == 0)
        n = mysqld_exporter_jobs(&c, dis);
    else if (strcmp(t, "mongodb_exporter") == 0)
        n = mongodb_exporter_jobs(&c, dis);
    else if (strcmp(t, "postgres_exporter") == 0)
        n = postgres_exporter_jobs(&c, dis);
    else if (strcmp(t, "proxysql_exporter") == 0)
        standard_job(&c, "hr", c.res.hr, NULL), n = 1;
    else if (strcmp(t, "external-exporter") == 0 || strcmp(t, "vmagent") == 0)
        n = single_mr_job(&c, false);
    else if (strcmp(t, "azure_database_exporter") == 0)
        n = single_mr_job(&c, true);
    json_decref(dis);
    sbuf_free(&lt);
    labels_free(&ls);
    return n;
}

/* ---- rds_exporter -------------------------------------------------------- */

typedef struct {
    char hostport[300];
    scrape_res res;
} rds_target;

static int rds_cmp(const void *a, const void *b)
{
    return strcmp(((const rds_target *)a)->hostport, ((const rds_target *)b)->hostport);
}

static void rds_job(scrape_buf *out, const rds_target *t, const char *res_name, int64_t interval, const char *path)
{
    char name[1024], gd[64];
    scrape_go_duration(gd, sizeof gd, interval);
    job_name(name, sizeof name, "rds_exporter", t->hostport, res_name);
    snprintf(name + strlen(name), sizeof name - strlen(name), "-%s", gd);
    job j = { .name = name, .honor_labels = true, .interval = interval, .path = path, .target = t->hostport };
    write_job(out, &j);
}

void scrape_render_rds(const scrape_input *in, const scrape_agent *const *rds, size_t n, scrape_buf *out)
{
    if (!n)
        return;
    rds_target *t = calloc(n, sizeof *t);
    if (!t) {
        out->failed = true;
        return;
    }
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (!rds[i]->host || !*rds[i]->host)
            continue;
        char hp[300];
        join_host_port(hp, sizeof hp, rds[i]->host, rds[i]->listen_port);
        size_t k = 0;
        while (k < m && strcmp(t[k].hostport, hp) != 0)
            k++;
        memcpy(t[k].hostport, hp, sizeof hp);
        effective_res(in, rds[i], &t[k].res); /* the last agent of a host:port wins, as upstream */
        if (k == m)
            m++;
    }
    qsort(t, m, sizeof *t, rds_cmp);
    for (size_t k = 0; k < m; k++) {
        rds_job(out, &t[k], "mr", t[k].res.mr, "/enhanced");
        rds_job(out, &t[k], "lr", t[k].res.lr, "/basic");
    }
    free(t);
}

/* ---- the whole file ------------------------------------------------------ */

int scrape_render_head(const scrape_input *in, scrape_buf *out, char *err, size_t errlen)
{
    scrape_base *base = scrape_base_parse(in->base, err, errlen);
    if (!base)
        return -1;
    char iv[32], to[32];
    scrape_duration(iv, sizeof iv, in->res.lr);
    scrape_duration(to, sizeof to, scrape_timeout_ns(in->res.lr));
    sbuf_puts(out, HEADER);
    scrape_base_global(base, iv, to, out);
    sbuf_puts(out, "scrape_configs:\n");
    scrape_base_jobs(base, out);
    server_jobs(in, out);
    scrape_base_free(base);
    return 0;
}

int scrape_render_tail(const scrape_input *in, scrape_buf *out, char *err, size_t errlen)
{
    scrape_base *base = scrape_base_parse(in->base, err, errlen);
    if (!base)
        return -1;
    scrape_base_rest(base, out);
    scrape_base_free(base);
    return 0;
}

static int agent_ptr_cmp(const void *a, const void *b)
{
    return scrape_agent_cmp(*(const scrape_agent *const *)a, *(const scrape_agent *const *)b);
}

int scrape_render(const scrape_input *in, scrape_buf *out, char *err, size_t errlen)
{
    sbuf_reset(out);
    const scrape_agent **order = malloc((in->n_agents ? in->n_agents : 1) * sizeof *order);
    const scrape_agent **rds = malloc((in->n_agents ? in->n_agents : 1) * sizeof *rds);
    size_t n = 0, n_rds = 0;
    int rc = -1;
    if (!order || !rds) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < in->n_agents; i++) {
        if (!scrape_agent_wanted(&in->agents[i]))
            continue;
        if (strcmp(in->agents[i].type, "rds_exporter") == 0)
            rds[n_rds++] = &in->agents[i];
        else
            order[n++] = &in->agents[i];
    }
    qsort(order, n, sizeof *order, agent_ptr_cmp);
    qsort(rds, n_rds, sizeof *rds, agent_ptr_cmp);
    sbuf_reserve(out, 8192 + n * 3600); /* about what three jobs with labels take */
    if (scrape_render_head(in, out, err, errlen) != 0)
        goto out;
    for (size_t i = 0; i < n; i++)
        scrape_render_agent(in, order[i], out);
    scrape_render_rds(in, rds, n_rds, out);
    if (scrape_render_tail(in, out, err, errlen) != 0)
        goto out;
    if (out->failed) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    rc = 0;
out:
    free(order);
    free(rds);
    return rc;
}
