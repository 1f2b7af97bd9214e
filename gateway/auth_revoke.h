/* auth_revoke: a thread subscribed to inventoryd's credentials.changed
 * (common/bus/credential_events.h) that makes the cache forget a changed
 * user or token at once: a removed credential stops working within the
 * hint's trip (milliseconds) rather than at the cache's expiry. Hints are
 * lost while inventoryd or this subscription is down; inventoryd then
 * says "all" when it listens again, and the cache's own bounds hold
 * meanwhile (auth_cache.h). */
#ifndef GATEWAY_AUTH_REVOKE_H
#define GATEWAY_AUTH_REVOKE_H

int auth_revoke_start(void *zmq_ctx, const char *run_dir);
void auth_revoke_stop(void);

#endif
