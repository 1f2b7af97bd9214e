/* labels: where a bucket's agent runs (agent, service, node rows of the
 * inventory) as a qan_target, kept for a few seconds so a stream of
 * batches costs no statement per bucket. One thread (the forwarder). */
#ifndef QANFWD_LABELS_H
#define QANFWD_LABELS_H

#include "convert.h"
#include "db/db.h"

typedef struct labels_cache labels_cache;

labels_cache *labels_cache_new(int ttl_ms);
void labels_cache_free(labels_cache *lc);

/* The target of agent_id (valid until the next labels_get or
 * labels_cache_free): RPC_OK; RPC_NOT_FOUND (st says which row is
 * missing, as upstream's log line) when the inventory has no such
 * agent, service or node; another code when the database failed. */
int labels_get(labels_cache *lc, db *d, const char *agent_id, const qan_target **out, rpc_status *st);

/* models.MergeLabels: the unified labels of node, service and agent rows
 * and their custom labels, later ones winning, empty values dropped. New
 * reference. Exposed for the unit tests. */
json_t *labels_merge(json_t *node, json_t *service, json_t *agent);

#endif
