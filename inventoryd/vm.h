/* vm: instant queries to VictoriaMetrics' Prometheus API for the
 * management lists' statuses: one query per request, the answer kept as a
 * hash of one label's values to the sample value, looked up per row. */
#ifndef INVENTORYD_VM_H
#define INVENTORYD_VM_H

#include <stdbool.h>

#include "rpc.h"

/* How long a query may take: the lists wait for it. */
#define VM_QUERY_TIMEOUT_MS 3000

typedef struct vm_values vm_values;

/* Which sample a label value keeps when several series carry it. */
typedef enum { VM_KEEP_FIRST, VM_KEEP_LAST } vm_keep;

/* POSTs query (instant, at now) to <base_url>api/v1/query, as upstream's
 * Prometheus client does, and fills *out with each series' `label` value ->
 * value ("" for a series without that label). Returns RPC_OK, or RPC_UNKNOWN
 * with upstream's text "failed to execute an instant VM query: ..." (the
 * plain Go error upstream returns) when VictoriaMetrics cannot be reached or
 * answers with an error or something that is not a vector. */
int vm_query(const char *base_url, const char *query, const char *label, vm_keep keep, vm_values **out,
             rpc_status *st);

/* The value kept for key; false when no series had it. */
bool vm_values_get(const vm_values *v, const char *key, double *value);

/* Number of distinct label values. */
size_t vm_values_count(const vm_values *v);

void vm_values_destroy(vm_values **v);

/* upstream's reading of an up-style value: Go's int(value) is 1 -> 1 (UP),
 * 0 -> 2 (DOWN), anything else -> 0 (left unspecified). The numbers are
 * both UniversalNode's and UniversalService's Status. */
int vm_up_status(double value);

#endif
