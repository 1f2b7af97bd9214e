/* ha_nodes: table ha_nodes (migration 0010), each HA node's id and raft
 * address as its hactl says every second, so that ListNodes can name the
 * members raft knows by address. */
#ifndef PMM_STORE_HA_NODES_H
#define PMM_STORE_HA_NODES_H

#include <stddef.h>
#include <stdint.h>

#include "db/db.h"
#include "rpc.h"

typedef struct {
    char node_id[128];
    char address[128];
    int64_t age_ms; /* since its last beat */
} ha_node_row;

/* This node is alive at address (upsert). RPC_OK or st's code. */
int ha_nodes_beat(db *d, const char *node_id, const char *address, rpc_status *st);
/* Every row, at most max into out; *n gets the count. */
int ha_nodes_list(db *d, ha_node_row *out, size_t max, size_t *n, rpc_status *st);

#endif
