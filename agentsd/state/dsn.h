/* dsn: what SetState, actions and connection checks share to speak of
 * one agent as upstream's models.Agent does: the pmm-agent version rules,
 * string lists, template delimiters, the agent/service/node records, and
 * the DSNs, exporter URLs and TLS files built from them. */
#ifndef AGENTSD_STATE_DSN_H
#define AGENTSD_STATE_DSN_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

#include "agent/v1/agent.pb-c.h"
#include "rpc.h"

/* ---- versions (upstream version.Parsed) ---------------------------------- */

typedef struct {
    int num;        /* major*10000 + minor*100 + patch */
    char rest[64];  /* what follows x.y.z, e.g. "-0" or "-beta1" */
} agent_ver;

/* 0, or -1 when s is not "x.y.z…". */
int agent_ver_parse(const char *s, agent_ver *out);
/* Whether v < min (min is a literal like "2.28.0-0"). */
bool agent_ver_less(const agent_ver *v, const char *min);

/* ---- string lists ----------------------------------------------------------- */

typedef struct {
    char **v;
    size_t n, cap;
    bool oom;  /* an append failed; checked once at the end */
} strv;

void strv_add(strv *l, const char *s);
void strv_addf(strv *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void strv_sort(strv *l);
bool strv_has(const strv *l, const char *s);
void strv_free(strv *l);
/* Removes args whose flag name (before '=') is prefix + a disabled
 * collector (upstream collectors.FilterOutCollectors). */
void strv_filter_collectors(strv *l, const char *prefix, json_t *disabled);
/* prefix + name for each default collector the user disabled
 * (collectors.DisableDefaultEnabledCollectors). */
void strv_disable_defaults(strv *l, const char *prefix, const char *const *defaults, json_t *disabled);

/* ---- template delimiters ---------------------------------------------------- */

typedef struct {
    const char *l, *r;
} delims;

/* The first pair of {{ }}, [[ ]], (( )), << >>, <% %> that occurs in none
 * of the n values (NULLs skipped); {{ }} when n is 0. */
delims delims_pick(const char *const *values, int n);

/* ---- what one builder gets -------------------------------------------------- */

typedef struct {
    json_t *agent;        /* the agent row, secrets decrypted */
    json_t *service;      /* its service row, or NULL */
    json_t *node;         /* node_exporter: its node; service agents: the pmm-agent's node */
    const agent_ver *ver; /* the pmm-agent's version */
} state_src;

/* Record accessors: NULL / 0 / false when absent or of another type. */
const char *rec_s(json_t *rec, const char *col, const char *key); /* "" when absent */
bool rec_b(json_t *rec, const char *col, const char *key);
long long rec_i(json_t *rec, const char *col, const char *key);
bool rec_has(json_t *rec, const char *col, const char *key); /* present and not null */

/* The delimiters of an agent with a service (models.Agent.TemplateDelimiters). */
delims state_agent_delims(const state_src *s);
/* getExporterListenAddress. */
const char *state_listen_address(json_t *agent);
/* pathsBase: "<l> .paths_base <r>" or the fixed path for old agents; malloc'd. */
char *state_paths_base(const agent_ver *v, delims d);
/* withLogLevel. */
void state_with_log_level(strv *args, json_t *agent, const agent_ver *v, bool fatal_ok);
/* GetAgentPassword: agent_password, else the agent id. */
const char *state_agent_password(json_t *agent);
/* redactWords. */
void state_redact_words(strv *words, json_t *agent);

/* Text files by name (JSON object of strings) for the agent's TLS
 * material (models.Agent.Files); NULL when the agent has none. New ref. */
json_t *state_agent_files(json_t *agent);

/* DSNs (models.Agent.DSN). timeout_s: dial timeout in seconds (0 none);
 * database: "" for none; d: the agent's delimiters. malloc'd, NULL on ENOMEM. */
char *dsn_mysql(const state_src *s, int timeout_s, const char *database, bool qan);
char *dsn_mongodb(const state_src *s, int timeout_s, const char *database, delims d);
char *dsn_postgres(const state_src *s, int timeout_s, const char *database, bool sslsni, delims d);
/* The DSN of s->agent by its type (as models.Agent.DSN dispatches), SNI
 * by the pmm-agent's version; NULL for a type without one. */
char *dsn_agent(const state_src *s, int timeout_s, const char *database, delims d);
/* models.Agent.ExporterURL of an external exporter: s->node is the node it
 * runs on (its address is the host unless it pushes: 127.0.0.1). */
char *dsn_exporter_url(const state_src *s);

/* ---- map fields of the messages sent to agents ----------------------------- */

/* Adds the JSON object files (name -> content) to a map field, sorted. */
int state_put_files(ProtobufCMessage *m, const char *field, json_t *files);
/* Adds key -> value to a map<string,string> field. 0 or -1. */
int state_map_put(ProtobufCMessage *m, const char *field, const char *key, const char *value);

#endif
