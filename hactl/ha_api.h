/* ha_api: ha.v1beta1.HAService (config-rendering §8.5, upstream's
 * managed/services/ha/ha.go): Status ("Enabled" / "Disabled") and
 * ListNodes, the raft members named by their node ids (ha_nodes), each
 * LEADER or FOLLOWER and "alive" (its hactl said so within 5 s) or "dead";
 * with HA off no nodes, as upstream. Served on hactl's bus workers. */
#ifndef HACTL_HA_API_H
#define HACTL_HA_API_H

#include <stdbool.h>
#include <stddef.h>

#include "rpc.h"
#include "bus/bus.h"

typedef struct {
    bool enabled;
} ha_api_app;

extern const rpc_method ha_api_methods[];
extern const size_t ha_api_methods_count;

#endif
