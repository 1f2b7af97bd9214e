/* ha_fence: table ha_fence, the highest raft term a leader has claimed
 * (migration 0010). Leader-only writes are fenced with it: see leader.h. */
#ifndef PMM_STORE_HA_FENCE_H
#define PMM_STORE_HA_FENCE_H

#include <stddef.h>
#include <stdint.h>

#include "db/db.h"
#include "rpc.h"

/* Inside the caller's transaction: raises the fence to term (row-locked
 * until the transaction ends) and returns RPC_OK, or FAILED_PRECONDITION
 * "stale leader term T: term U has a leader" when a higher term is there,
 * so the caller rolls back. term 0 (HA off) is always accepted and
 * touches nothing. node (may be NULL) is recorded when the term rises. */
int leader_fence(db *d, int64_t term, const char *node, rpc_status *st);

/* The fence now: the highest term and the node that raised it to that.
 * RPC_OK or st's code. */
int leader_fence_read(db *d, int64_t *term, char *node, size_t node_len, rpc_status *st);

#endif
