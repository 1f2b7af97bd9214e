/* scrape: the VictoriaMetrics scrape configuration of the server
 * (config-rendering.md §5): the fixed jobs of the server's own programs
 * and, per pull-mode exporter, one job per resolution with its collectors,
 * labels and basic auth. A pure function of explicit inputs (no database,
 * no clock), so it is golden-tested and benchmarked as it is; scrape_load
 * fills the inputs from PostgreSQL, scrape_loop drives it. */
#ifndef CONFIGD_SCRAPE_H
#define CONFIGD_SCRAPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "out.h"

/* Metrics resolutions in nanoseconds (settings metrics_resolutions; per
 * agent: exporter_options.metrics_resolutions, 0 = the global value). */
typedef struct {
    int64_t hr, mr, lr;
} scrape_res;

/* Strings may be NULL (a NULL column) unless said otherwise. */
typedef struct {
    const char *id, *name, *type;   /* not NULL */
    const char *machine_id, *container_id, *container_name, *model, *region, *az, *distro;
    const char *custom_labels;      /* the column's JSON object text */
} scrape_node;

typedef struct {
    const char *id, *name, *type;   /* not NULL */
    const char *environment, *cluster, *replication_set, *external_group;
    const char *custom_labels;
} scrape_service;

typedef struct {
    const char *id, *type;          /* not NULL */
    const char *custom_labels;
    int listen_port;                /* 0: not known yet (no job) */
    bool disabled, push_metrics;
    const char *agent_password;     /* plain text; NULL/"": the agent id is the password */
    const char *username, *password;/* plain text: external-exporter and vmagent basic auth */
    const char *scheme, *metrics_path;       /* external-exporter, vmagent */
    const char *disabled_collectors;         /* JSON array text */
    scrape_res res;
    bool mongo_all_collectors;               /* mongo_options.enable_all_collectors */
    int tablestats_limit;                    /* mysql_options.table_count_tablestats_group_limit */
    bool has_table_count;
    int table_count;
    const char *pmm_agent_id;
    const char *pmm_agent_version;  /* version of its pmm-agent */
    const char *host;               /* address of the node it runs on (its pmm-agent's node, or
                                       runs_on_node for an external exporter); NULL: unknown */
    const scrape_node *node;        /* its node, or its service's node */
    const scrape_service *service;
} scrape_agent;

typedef struct {
    scrape_res res;                 /* settings; every value > 0 */
    const char *vm_url;             /* "http://127.0.0.1:9090/prometheus/" */
    const char *vmalert_url;        /* "http://127.0.0.1:8880/" */
    const char *managed_target;     /* pmm-managed's debug listener, "127.0.0.1:7773" */
    bool nomad;                     /* settings nomad.enabled */
    const char *base;               /* base configuration text; NULL or "": none */
    const scrape_agent *agents;
    size_t n_agents;
} scrape_input;

/* The whole file into out (reset first). Returns 0, or -1 with err filled
 * (the base configuration does not parse, out of memory). Agents that get
 * no job (push mode, disabled, no port, pmm-agent, QAN, RTA) are left out;
 * those that should but cannot (no host, bad labels) too, with a warning
 * as upstream logs it. */
int scrape_render(const scrape_input *in, scrape_buf *out, char *err, size_t errlen);

/* upstream's ExternalVM: the URL's host is not 127.0.0.1. */
bool scrape_vm_external(const char *vm_url);

/* ---- the parts, for scrape_loop's incremental path ---------------------- */

/* "# Managed by pmm-managed. DO NOT EDIT.\n---\n", the global section and
 * the base's and server's own jobs, up to and including the jobs of the
 * scrape_configs list that come before the agents' ones. */
int scrape_render_head(const scrape_input *in, scrape_buf *out, char *err, size_t errlen);
/* The jobs of one agent appended to out; returns how many (0: it gets
 * none, or it is an rds_exporter, whose jobs are grouped: see below). */
int scrape_render_agent(const scrape_input *in, const scrape_agent *a, scrape_buf *out);
/* rds_exporter jobs are one pair per host:port, whatever the number of
 * agents behind it. rds lists the rds_exporter agents that get jobs. */
void scrape_render_rds(const scrape_input *in, const scrape_agent *const *rds, size_t n, scrape_buf *out);
/* The base's top-level keys other than global and scrape_configs, which
 * come after the list. */
int scrape_render_tail(const scrape_input *in, scrape_buf *out, char *err, size_t errlen);
/* Whether a gets jobs at all (pull mode, enabled, port, type with jobs);
 * rds_exporter agents count. */
bool scrape_agent_wanted(const scrape_agent *a);
/* Agents in file order: by type, then id. */
int scrape_agent_cmp(const scrape_agent *a, const scrape_agent *b);

/* ---- base configuration (base.c) -------------------------------- */

typedef struct scrape_base scrape_base;
/* Parses text (NULL/"": an empty base). NULL with err on a YAML error or a
 * top level that is not a mapping. */
scrape_base *scrape_base_parse(const char *text, char *err, size_t errlen);
void scrape_base_free(scrape_base *b);
/* global: scrape_interval and scrape_timeout (the base's or the given
 * ones) then the base's other global keys. */
void scrape_base_global(const scrape_base *b, const char *interval, const char *timeout, scrape_buf *out);
/* The base's scrape_configs items, at list indentation. */
void scrape_base_jobs(const scrape_base *b, scrape_buf *out);
/* The base's other top-level keys. */
void scrape_base_rest(const scrape_base *b, scrape_buf *out);

#endif
