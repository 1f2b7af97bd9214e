/* service: internal.v1.ScrapeService/AgentConfig, the push-mode
 * scrape YAML of one pmm-agent's vmagent (vmagent.h), for
 * agentsd's SetState. */
#ifndef CONFIGD_SCRAPE_SERVICE_H
#define CONFIGD_SCRAPE_SERVICE_H

#include <stddef.h>

#include "bus/bus.h"
#include "state.h"

/* The server file's inputs (used for pmm-server); set once before
 * serving, cfg outlives the server. Until then the method is UNAVAILABLE. */
void scrape_service_init(const scrape_state_config *cfg);

extern const rpc_method scrape_methods[];
extern const size_t scrape_methods_count;

#endif
