/* labels: inventory labels of the buckets' agents (see labels.h). */
#include "labels.h"

#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "db/store/agents.h"
#include "db/store/nodes.h"
#include "db/store/services.h"
#include "strhash.h"

typedef struct entry {
    struct entry *next;
    char *agent_id;
    json_t *agent, *service, *node, *labels;
    qan_target t;
} entry;

#define NBUCKETS 1024

struct labels_cache {
    entry *table[NBUCKETS];
    int ttl_ms;
    int64_t filled_ms; /* when the oldest entry was made */
};

labels_cache *labels_cache_new(int ttl_ms)
{
    labels_cache *lc = calloc(1, sizeof *lc);
    if (lc)
        lc->ttl_ms = ttl_ms;
    return lc;
}

static void entry_free(entry *e)
{
    json_decref(e->agent);
    json_decref(e->service);
    json_decref(e->node);
    json_decref(e->labels);
    free(e->agent_id);
    free(e);
}

static void clear(labels_cache *lc)
{
    for (size_t i = 0; i < NBUCKETS; i++)
        while (lc->table[i]) {
            entry *e = lc->table[i];
            lc->table[i] = e->next;
            entry_free(e);
        }
}

void labels_cache_free(labels_cache *lc)
{
    if (!lc)
        return;
    clear(lc);
    free(lc);
}

static void put_str(json_t *out, json_t *row, const char *col)
{
    const char *v = json_string_value(json_object_get(row, col));
    json_object_set_new(out, col, json_string(v ? v : ""));
}

/* custom_labels: the JSONB column as the stores give it (its text), or
 * already an object. */
static void put_custom(json_t *out, json_t *row)
{
    json_t *cl = json_object_get(row, "custom_labels"), *parsed = NULL;
    if (json_is_string(cl))
        cl = parsed = json_loads(json_string_value(cl), 0, NULL);
    const char *k;
    json_t *v;
    json_object_foreach(cl, k, v) {
        if (json_is_string(v))
            json_object_set(out, k, v);
    }
    json_decref(parsed);
}

json_t *labels_merge(json_t *node, json_t *service, json_t *agent)
{
    json_t *out = json_object();
    static const char *const node_cols[] = { "node_id", "node_name", "node_type", "machine_id", "container_id",
                                             "container_name", "node_model", "region", "az", NULL };
    static const char *const service_cols[] = { "service_id", "service_type", "service_name", "environment",
                                                "cluster", "replication_set", NULL };
    static const char *const agent_cols[] = { "agent_id", "agent_type", NULL };
    for (size_t i = 0; node_cols[i]; i++)
        put_str(out, node, node_cols[i]);
    put_custom(out, node);
    for (size_t i = 0; service_cols[i]; i++)
        put_str(out, service, service_cols[i]);
    put_custom(out, service);
    for (size_t i = 0; agent_cols[i]; i++)
        put_str(out, agent, agent_cols[i]);
    put_custom(out, agent);
    const char *k;
    json_t *v;
    void *tmp;
    json_object_foreach_safe(out, tmp, k, v) {
        if (!*json_string_value(v))
            json_object_del(out, k);
    }
    return out;
}

static const char *col(json_t *row, const char *name)
{
    const char *v = json_string_value(json_object_get(row, name));
    return v ? v : "";
}

static int load(db *d, const char *agent_id, entry *e, rpc_status *st)
{
    rpc_status missing = { 0 };
    if (!(e->agent = store_agents_get_labels(d, agent_id, &missing)))
        return missing.code ? rpc_fail(st, missing.code, "%s", missing.message)
                            : rpc_fail(st, RPC_NOT_FOUND, "No Agent with ID \"%s\"", agent_id);
    const char *service_id = col(e->agent, "service_id");
    if (!(e->service = store_services_get(d, service_id, &missing)))
        return missing.code ? rpc_fail(st, missing.code, "%s", missing.message)
                            : rpc_fail(st, RPC_NOT_FOUND, "No Service with ID \"%s\"", service_id);
    const char *node_id = col(e->service, "node_id");
    if (!(e->node = store_nodes_get(d, node_id, &missing)))
        return missing.code ? rpc_fail(st, missing.code, "%s", missing.message)
                            : rpc_fail(st, RPC_NOT_FOUND, "No Node with ID \"%s\"", node_id);
    e->labels = labels_merge(e->node, e->service, e->agent);
    e->t = (qan_target){ .agent_id = col(e->agent, "agent_id"),
                         .service_id = col(e->service, "service_id"),
                         .service_name = col(e->service, "service_name"),
                         .service_type = col(e->service, "service_type"),
                         .node_id = col(e->node, "node_id"),
                         .node_name = col(e->node, "node_name"),
                         .node_type = col(e->node, "node_type"),
                         .labels = e->labels };
    return e->labels ? RPC_OK : rpc_fail(st, RPC_INTERNAL, "out of memory");
}

int labels_get(labels_cache *lc, db *d, const char *agent_id, const qan_target **out, rpc_status *st)
{
    int64_t now = clock_mono_ms();
    /* inventory changes (labels, removals) show within ttl_ms */
    if (now - lc->filled_ms > lc->ttl_ms) {
        clear(lc);
        lc->filled_ms = now;
    }
    size_t b = strhash(agent_id) % NBUCKETS;
    for (entry *e = lc->table[b]; e; e = e->next)
        if (strcmp(e->agent_id, agent_id) == 0) {
            if (!e->labels)
                return rpc_fail(st, RPC_NOT_FOUND, "No Agent with ID \"%s\"", agent_id);
            *out = &e->t;
            return RPC_OK;
        }
    entry *e = calloc(1, sizeof *e);
    if (!e || !(e->agent_id = strdup(agent_id))) {
        free(e);
        return rpc_fail(st, RPC_INTERNAL, "out of memory");
    }
    int rc = load(d, agent_id, e, st);
    if (rc != RPC_OK && rc != RPC_NOT_FOUND) {
        entry_free(e);
        return rc;
    }
    if (rc == RPC_NOT_FOUND) { /* remembered as missing too: no statement per bucket */
        json_decref(e->labels);
        e->labels = NULL;
    }
    e->next = lc->table[b];
    lc->table[b] = e;
    if (rc == RPC_OK)
        *out = &e->t;
    return rc;
}
