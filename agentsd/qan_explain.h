/* qan_explain: MySQL EXPLAIN by query_id, as upstream's
 * StartMySQLExplainAction: the query is not the caller's but the one QAN
 * stored (qan-api2's ExplainFingerprintByQueryID, whose placeholders count
 * must match the caller's values), and so is its schema (SchemaByQueryID).
 * qan-api2 is asked through qanfwd (qan.v1.QANService on the bus); its
 * errors come back as they are. Blocking: request workers only. */
#ifndef AGENTSD_QAN_EXPLAIN_H
#define AGENTSD_QAN_EXPLAIN_H

#include <protobuf-c/protobuf-c.h>

#include "rpc.h"

typedef struct {
    char *query, *schema;
    char **values; /* the caller's placeholders, borrowed */
    size_t n_values;
} qan_query;

/* params: the Start*ExplainActionParams (its repeated "placeholders"). */
int qan_explain_query(const char *service_id, const char *query_id, const ProtobufCMessage *params, qan_query *out,
                      rpc_status *st);
void qan_query_clear(qan_query *q);

#endif
