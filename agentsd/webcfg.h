/* webcfg: the bcrypt hashes in the exporters' web-config files
 * (models.Agent.BuildWebConfigFile). bcrypt at upstream's cost 10 takes
 * tens of milliseconds of CPU, and every SetState of every pmm-agent needs
 * one per exporter: 10,000 agents reconnecting at once would spend minutes
 * hashing what was hashed before. So each hash is made once per (agent,
 * password), kept in memory by agent id and in PostgreSQL
 * (agent_web_hashes), and loaded again when agentsd starts. Thread-safe. */
#ifndef AGENTSD_WEBCFG_H
#define AGENTSD_WEBCFG_H

#include "db/db.h"

/* The "$2a$10$…" hash of password for the exporter agent_id (salt taken
 * from the id, so the file is the same on every build), malloc'd; NULL on
 * failure. A hash made here is queued for webcfg_persist. */
char *webcfg_hash(const char *agent_id, const char *password);

/* Reads the stored hashes into memory (at start). 0, or -1 (logged). */
int webcfg_load(db *d);

/* Stores the hashes made since the last call; a row whose agent is gone
 * meanwhile is dropped. Best effort: a hash not stored is made again
 * after the next restart. */
void webcfg_persist(db *d);

/* Hashes computed by this process (for metrics and tests). */
long webcfg_computed(void);

/* Forgets the hashes in memory (tests: as if agentsd restarted). */
void webcfg_reset(void);

#endif
