/* qan_explain: MySQL EXPLAIN's query from qan-api2 (see qan_explain.h). */
#include "qan_explain.h"

#include <stdlib.h>
#include <string.h>

#include "bus/peers.h"
#include "qan/v1/service.pb-c.h"

#define QAN_TIMEOUT_MS 10000

int qan_explain_query(const char *service_id, const char *query_id, const ProtobufCMessage *params, qan_query *out,
                      rpc_status *st)
{
    if (!*query_id)
        return rpc_fail(st, RPC_FAILED_PRECONDITION, "query or query_id is required");
    const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field_by_name(params->descriptor, "placeholders");
    if (f) {
        out->n_values = *(const size_t *)((const char *)params + f->quantifier_offset);
        out->values = *(char **const *)((const char *)params + f->offset);
    }
    Qan__V1__ExplainFingerprintByQueryIDRequest ef = QAN__V1__EXPLAIN_FINGERPRINT_BY_QUERY_IDREQUEST__INIT;
    ef.serviceid = (char *)service_id;
    ef.query_id = (char *)query_id;
    ProtobufCMessage *r = NULL;
    int rc = bus_peers_call("qanfwd", "/qan.v1.QANService/ExplainFingerprintByQueryID", &ef.base,
                            &qan__v1__explain_fingerprint_by_query_idresponse__descriptor, &r, QAN_TIMEOUT_MS, st);
    if (rc != RPC_OK)
        return rc;
    Qan__V1__ExplainFingerprintByQueryIDResponse *efr = (Qan__V1__ExplainFingerprintByQueryIDResponse *)r;
    if (efr->placeholders_count != out->n_values) {
        protobuf_c_message_free_unpacked(r, NULL);
        return rpc_fail(st, RPC_FAILED_PRECONDITION, "placeholders count is not correct");
    }
    out->query = strdup(efr->explain_fingerprint);
    protobuf_c_message_free_unpacked(r, NULL);
    if (!out->query)
        return rpc_fail(st, RPC_INTERNAL, "out of memory");

    Qan__V1__SchemaByQueryIDRequest sq = QAN__V1__SCHEMA_BY_QUERY_IDREQUEST__INIT;
    sq.service_id = (char *)service_id;
    sq.query_id = (char *)query_id;
    rc = bus_peers_call("qanfwd", "/qan.v1.QANService/SchemaByQueryID", &sq.base,
                        &qan__v1__schema_by_query_idresponse__descriptor, &r, QAN_TIMEOUT_MS, st);
    if (rc != RPC_OK)
        return rc;
    out->schema = strdup(((Qan__V1__SchemaByQueryIDResponse *)r)->schema);
    protobuf_c_message_free_unpacked(r, NULL);
    return out->schema ? RPC_OK : rpc_fail(st, RPC_INTERNAL, "out of memory");
}

void qan_query_clear(qan_query *q)
{
    free(q->query);
    free(q->schema);
    memset(q, 0, sizeof *q);
}
