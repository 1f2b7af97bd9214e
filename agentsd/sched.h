/* sched: when each connected pmm-agent gets its SetState. On connect, and
 * whenever an inventory.changed or settings.changed hint may touch its
 * desired state: the first SetState after a change leaves at once (built
 * on a database thread), changes that come while one is being built or
 * acknowledged collapse into one more, and a SetState that fails (build
 * error, refusal, 5 s without an answer) is retried with backoff. Which
 * pmm-agents an inventory change touches is found by comparing digests of
 * their children (status_fingerprints). Stream loop thread only. */
#ifndef AGENTSD_SCHED_H
#define AGENTSD_SCHED_H

#include <stdint.h>

#include "streams.h"

void sched_request(conn *c);
void sched_tick(conn *c, int64_t now_ms);
/* c is dead: its scheduling state goes (work in flight finds it gone). */
void sched_forget(conn *c);
/* At stop: the pmm-agents still waiting for a build are let go. */
void sched_drop_queue(void);
/* settings.changed: every connected pmm-agent. */
void sched_all(void);
/* inventory.changed: the pmm-agents whose children changed. */
void sched_inventory_changed(void);

#endif
