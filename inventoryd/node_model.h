/* node_model: nodes in PostgreSQL and their five API kinds. One row type
 * serves every kind: columns are copied into whichever message fields of
 * the same name the kind has. */
#ifndef INVENTORYD_NODE_MODEL_H
#define INVENTORYD_NODE_MODEL_H

#include <stdbool.h>
#include <protobuf-c/protobuf-c.h>

#include "db/db.h"
#include "rpc.h"

#define PMM_SERVER_NODE_ID "pmm-server"

typedef struct {
    const char *stored;        /* nodes.node_type: "generic" */
    int type_enum;             /* inventory.v1.NodeType value */
    const char *member;        /* response oneof / list field: "remote_azure_database" */
    const char *add_member;    /* AddNodeRequest oneof member: "remote_azure" */
    const char *add_params;    /* validation name: "AddRemoteAzureNodeParams" */
    const ProtobufCMessageDescriptor *desc;
    bool region_required;
} node_kind;

extern const node_kind node_kinds[];
extern const int node_kinds_count;

const node_kind *node_kind_by_stored(const char *stored);
const node_kind *node_kind_by_enum(int type_enum);
const node_kind *node_kind_by_add_member(const char *member);

/* Inserts a node from an Add*NodeParams message of kind k, inside the
 * caller's transaction, with upstream's uniqueness checks. On success
 * *out is the new node message (kind k's descriptor). Returns an RPC code. */
int node_create(db *d, const node_kind *k, const ProtobufCMessage *params, ProtobufCMessage **out,
                rpc_status *st);

/* Loads one node; NOT_FOUND with upstream's text when absent. *kind is set. */
int node_get(db *d, const char *id, const node_kind **kind, ProtobufCMessage **out, rpc_status *st);

/* Appends every node (of type_enum, or all when 0) to the list fields of
 * resp (ListNodesResponse layout: one repeated field per kind). */
int node_list(db *d, int type_enum, ProtobufCMessage *resp, rpc_status *st);

/* Removes a node; force removes what runs on it. Inside the caller's
 * transaction. */
int node_remove(db *d, const char *id, bool force, rpc_status *st);

#endif
