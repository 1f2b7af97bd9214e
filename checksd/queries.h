/* queries: all the queries of one check on one target (advisors
 * reference §4), each into its packed docs (docs.h), run in parallel:
 * the agent-side ones go to agentsd in one internal.v1.AgentsService/
 * QueryActions call (it starts them all on the service's pmm-agent and
 * waits for their results), the METRICS_* ones to VictoriaMetrics at the
 * same time. POSTGRESQL_SELECT with all_dbs first lists the databases
 * the service's user may connect to, then runs the query in each; its
 * result is a map database -> rows. Any failure fails the whole. */
#ifndef CHECKSD_QUERIES_H
#define CHECKSD_QUERIES_H

#include <stddef.h>

#include <msgpack.h>

#include "model.h"
#include "targets.h"

typedef struct {
    const char *vm_url;     /* VictoriaMetrics' Prometheus API base (".../prometheus/") */
    int agent_timeout_ms;   /* one QueryActions round (agentsd waits 20 s per action) */
    int metrics_timeout_ms; /* one metrics query */
} queries_config;

/* results: c->n_queries buffers, initialised by the caller. 0, or -1 with
 * the reason in err. */
int queries_run(const queries_config *cfg, const check_def *c, const check_target *t, msgpack_sbuffer *results,
                char *err, size_t errlen);

/* The StartActionRequest params member of an agent-side query type. */
const char *queries_params_member(query_type t);

#endif
