/* annotation: AddAnnotation. Upstream (managed/services/
 * management/annotation.go) checks the request, finds each named service
 * and the node, and then writes the annotation to Grafana with the
 * caller's Authorization, tags and the names added to the text. So does
 * this one next to a Grafana (--grafana-addr); without one, after the same
 * checks, with upstream's texts, it answers FailedPrecondition: an
 * annotation nobody would store is never acknowledged. */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "http/grafana.h"

#include "db/store/nodes.h"
#include "db/store/services.h"
#include "management/v1/annotation.pb-c.h"
#include "pbutil.h"
#include "validate.h"

/* models.FindServiceByName / FindNodeByName: InvalidArgument for an empty
 * name, NotFound for an unknown one. */
static int find_by_name(db *d, int (*find)(db *, const char *, char *, size_t, char *, size_t, rpc_status *),
                        const char *what, const char *empty_text, const char *name, rpc_status *st)
{
    if (!name || !*name)
        return rpc_fail(st, RPC_INVALID_ARGUMENT, "%s", empty_text);
    char id[256];
    if (find(d, name, id, sizeof id, NULL, 0, st))
        return st->code;
    if (*id)
        return RPC_OK;
    char q[RPC_MESSAGE_MAX];
    rpc_quote(q, sizeof q, name);
    return rpc_fail(st, RPC_NOT_FOUND, "%s with name %s not found.", what, q);
}

/* Upstream's tags (pmm_annotation when neither services nor a node are
 * named; then the services, then the node) and text suffix
 * (" (Service Name: a, b. Node Name: n)"). */
static int write_to_grafana(const char *grafana, const char *authz, const Management__V1__AddAnnotationRequest *req,
                            rpc_status *st)
{
    size_t n = 0, cap = req->n_tags + req->n_service_names + 2;
    const char **tags = calloc(cap, sizeof *tags);
    size_t text_cap = strlen(req->text) + strlen(req->node_name) + 64;
    for (size_t i = 0; i < req->n_service_names; i++)
        text_cap += strlen(req->service_names[i]) + 2;
    char *text = malloc(text_cap);
    if (!tags || !text) {
        free(tags);
        free(text);
        return rpc_fail(st, RPC_INTERNAL, "out of memory");
    }
    if (req->n_service_names == 0 && !*req->node_name)
        tags[n++] = "pmm_annotation";
    for (size_t i = 0; i < req->n_tags; i++)
        tags[n++] = req->tags[i];
    for (size_t i = 0; i < req->n_service_names; i++)
        tags[n++] = req->service_names[i];
    if (*req->node_name)
        tags[n++] = req->node_name;

    size_t len = (size_t)snprintf(text, text_cap, "%s", req->text);
    const char *sep = " (";
    if (req->n_service_names) {
        len += (size_t)snprintf(text + len, text_cap - len, "%sService Name: ", sep);
        for (size_t i = 0; i < req->n_service_names; i++)
            len += (size_t)snprintf(text + len, text_cap - len, "%s%s", i ? ", " : "", req->service_names[i]);
        sep = ". ";
    }
    if (*req->node_name) {
        len += (size_t)snprintf(text + len, text_cap - len, "%sNode Name: %s", sep, req->node_name);
        sep = ". ";
    }
    if (strcmp(sep, " (") != 0)
        snprintf(text + len, text_cap - len, ")");

    char err[RPC_MESSAGE_MAX - 64];
    grafana_result r = grafana_create_annotation(grafana, authz, tags, n, text, clock_wall_ms(), 10000, NULL, 0, err,
                                                 sizeof err);
    free(tags);
    free(text);
    if (r != GRAFANA_OK)
        return rpc_fail(st, RPC_UNKNOWN, "failed to create annotation: %s", err);
    return RPC_OK;
}

int mgmt_add_annotation(rpc_ctx *ctx, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    worker *w = ctx->worker;
    rpc_status *st = &ctx->status;
    if (validate_min_len(st, pb_get_str(in, "text"), 1, "AddAnnotationRequest", "Text"))
        return st->code;
    const Management__V1__AddAnnotationRequest *req = (const Management__V1__AddAnnotationRequest *)in;
    const char *grafana = APP(w)->grafana_addr ? APP(w)->grafana_addr : "";
    const char *authz = ctx->req && ctx->req->authz ? ctx->req->authz : "";
    if (*grafana && !*authz)
        return rpc_fail(st, RPC_UNAUTHENTICATED, "Authorization error.");
    for (size_t i = 0; i < req->n_service_names; i++)
        if (find_by_name(w->db, store_services_find_by_name, "Service", "Empty Service Name.",
                         req->service_names[i], st))
            return st->code;
    if (*req->node_name &&
        find_by_name(w->db, store_nodes_find_by_name, "Node", "Empty Node name.", req->node_name, st))
        return st->code;
    if (!*grafana)
        return rpc_fail(st, RPC_FAILED_PRECONDITION,
                        "Annotations are stored in Grafana, and this PMM Server runs without Grafana: the annotation "
                        "was not added.");
    if (write_to_grafana(grafana, authz, req, st))
        return st->code;
    if (!(*out = pb_new(&management__v1__add_annotation_response__descriptor)))
        return rpc_fail(st, RPC_INTERNAL, "out of memory");
    return RPC_OK;
}
