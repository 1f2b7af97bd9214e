/* connected: agents.is_connected of the pmm-agents, kept in PostgreSQL in
 * batches: one statement per batch and one batch at a time, so that
 * changes land in the order they happened and a fleet of 10,000
 * reconnecting costs a few statements, not 10,000. Stream loop thread
 * only. */
#ifndef AGENTSD_CONNECTED_H
#define AGENTSD_CONNECTED_H

/* pmm_agent_id went live (1) or away (0). */
void connected_store(const char *pmm_agent_id, int connected);
/* is_connected of every pmm-agent from what is live now (after a gateway
 * re-announced its streams, or when none did after a start): computed
 * when it is sent, so it replaces what is queued before it. */
void connected_reconcile(void);
/* At stop: what is queued is dropped (the streams stay with the gateway). */
void connected_free_all(void);

#endif
