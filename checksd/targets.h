/* targets: the services a check of a family runs on (advisors reference
 * §4, upstream findTargets): every service of the family's type not on
 * node pmm-server, through the first of its pmm-agents (by id) when that
 * one is 3.0.0 or newer, with the agent whose DSN the queries use and the
 * merged node, service and agent labels (models.MergeLabels: each one's
 * standard labels, its custom labels over them, empty values dropped). */
#ifndef CHECKSD_TARGETS_H
#define CHECKSD_TARGETS_H

#include <stddef.h>

#include "db/db.h"
#include "model.h"

typedef struct {
    char *service_id, *service_name, *service_type, *node_name;
    char *pmm_agent_id;
    char **label_keys, **label_values; /* sorted by name */
    size_t n_labels;
} check_target;

typedef struct {
    check_target *v;
    size_t n;
} target_list;

/* The targets of family f. RPC_OK, or the database's code in st. */
int targets_find(db *d, check_family f, target_list *out, rpc_status *st);
void target_list_clear(target_list *l);

/* Whether version (x.y.z[-pre]) is at least min (x.y.z). */
int targets_version_at_least(const char *version, int major, int minor, int patch);

#endif
