/* hints: a thread subscribed to inventory.changed (inventoryd) and
 * settings.changed (configd); each hint is handed to the stream loop,
 * which finds the pmm-agents whose SetState changed (sched.h). */
#ifndef AGENTSD_HINTS_H
#define AGENTSD_HINTS_H

int hints_start(void *zmq_ctx, const char *run_dir);
void hints_stop(void);
/* An inventory change made through another HA node (db/changes.h): the
 * same as inventory.changed from this node's inventoryd. Any thread. */
void hints_inventory_changed(void);

#endif
