/* vmagent: the scrape configuration of one pmm-agent's vmagent in
 * push mode (upstream BuildScrapeConfigForVMAgent, config-rendering.md
 * §5.8): only that pmm-agent's push_metrics agents, scraped on
 * 127.0.0.1, with no global settings and none of the server's own jobs;
 * for the server's own pmm-agent (pmm-server) the whole server file. */
#ifndef CONFIGD_SCRAPE_VMAGENT_H
#define CONFIGD_SCRAPE_VMAGENT_H

#include "db/db.h"
#include "scrape.h"
#include "state.h"

/* The push-mode file for in's agents (all of one pmm-agent, push_metrics
 * set), into out (reset first). Returns 0, or -1 (out of memory). */
int scrape_render_push(const scrape_input *in, scrape_buf *out);

/* The YAML for pmm_agent_id's vmagent read from d; cfg gives the server
 * file's inputs (used for pmm-server). Returns an RPC code. */
int scrape_vmagent_config(db *d, const scrape_state_config *cfg, const char *pmm_agent_id, scrape_buf *out,
                          rpc_status *st);

#endif
