/* annotation: AddAnnotation. Upstream (managed/services/
 * management/annotation.go) checks the request, finds each named service
 * and the node, and then writes the annotation to Grafana. This server
 * runs without Grafana, so after the same checks, with upstream's texts,
 * it answers FailedPrecondition: an annotation nobody would store is
 * never acknowledged. */
#include "internal.h"

#include <stdio.h>

#include "management/v1/annotation.pb-c.h"
#include "pbutil.h"
#include "validate.h"

/* models.FindServiceByName / FindNodeByName: InvalidArgument for an empty
 * name, NotFound for an unknown one. */
static int find_by_name(db *d, const char *sql, const char *what, const char *empty_text, const char *name,
                        rpc_status *st)
{
    if (!name || !*name)
        return rpc_fail(st, RPC_INVALID_ARGUMENT, "%s", empty_text);
    PGresult *r = db_exec(d, st, sql, 1, (const char *[]){ name });
    if (!r)
        return st->code;
    int found = PQntuples(r) > 0;
    PQclear(r);
    if (found)
        return RPC_OK;
    char q[RPC_MESSAGE_MAX];
    rpc_quote(q, sizeof q, name);
    return rpc_fail(st, RPC_NOT_FOUND, "%s with name %s not found.", what, q);
}

int mgmt_add_annotation(rpc_ctx *ctx, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    (void)out;
    worker *w = ctx->worker;
    rpc_status *st = &ctx->status;
    if (validate_min_len(st, pb_get_str(in, "text"), 1, "AddAnnotationRequest", "Text"))
        return st->code;
    const Management__V1__AddAnnotationRequest *req = (const Management__V1__AddAnnotationRequest *)in;
    for (size_t i = 0; i < req->n_service_names; i++)
        if (find_by_name(w->db, "SELECT 1 FROM services WHERE service_name = $1", "Service", "Empty Service Name.",
                         req->service_names[i], st))
            return st->code;
    if (*req->node_name &&
        find_by_name(w->db, "SELECT 1 FROM nodes WHERE node_name = $1", "Node", "Empty Node name.", req->node_name, st))
        return st->code;
    return rpc_fail(st, RPC_FAILED_PRECONDITION,
                    "Annotations are stored in Grafana, and this PMM Server runs without Grafana: the annotation "
                    "was not added.");
}
