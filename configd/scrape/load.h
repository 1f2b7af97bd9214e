/* load: the scrape renderer's inputs read from PostgreSQL: the
 * agents that may get jobs, each with its node, service and the address
 * of the node it runs on, in one query (one row per agent, strings
 * borrowed from the result), stored credentials decrypted; and the
 * settings the file depends on. */
#ifndef CONFIGD_SCRAPE_LOAD_H
#define CONFIGD_SCRAPE_LOAD_H

#include <libpq-fe.h>

#include "db/db.h"
#include "scrape.h"

typedef struct {
    PGresult *res;
    scrape_agent *agents;
    scrape_node *nodes;        /* one per agent: the rows are independent */
    scrape_service *services;
    char **plain;              /* decrypted credentials, freed with the rows */
    size_t n, n_plain;
} scrape_rows;

/* ids NULL: every agent that may get jobs (enabled, pull mode, with a
 * port, of a type with jobs); else only those whose agent_id or
 * pmm_agent_id is one of ids. Returns an RPC code. */
int scrape_load_agents(db *d, const char *const *ids, size_t n_ids, scrape_rows *out, rpc_status *st);
/* Push mode (upstream FindAgentsForScrapeConfig with pushMetrics true):
 * the enabled push_metrics agents with a port of pmm-agent pmm_agent_id.
 * Returns an RPC code. */
int scrape_load_push(db *d, const char *pmm_agent_id, scrape_rows *out, rpc_status *st);
void scrape_rows_free(scrape_rows *r);

/* metrics_resolutions (settings_load: upstream's defaults applied) and
 * nomad.enabled from the settings row. */
int scrape_load_settings(db *d, scrape_res *res, bool *nomad, rpc_status *st);

#endif
