/* service_model: services in PostgreSQL and their seven API kinds. One row
 * type serves every kind: columns are copied into whichever message fields
 * of the same name the kind has (external_group is read as "group"). */
#ifndef INVENTORYD_SERVICE_MODEL_H
#define INVENTORYD_SERVICE_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <protobuf-c/protobuf-c.h>

#include "db/db.h"
#include "rpc.h"

typedef struct {
    const char *stored;        /* services.service_type: "mysql" */
    int type_enum;             /* inventory.v1.ServiceType value */
    const char *member;        /* oneof / list member, the same in requests and responses */
    const char *add_params;    /* validation name: "AddMySQLServiceParams" */
    const ProtobufCMessageDescriptor *desc;
    bool has_address;          /* address / port / socket rules apply */
} service_kind;

extern const service_kind service_kinds[];
extern const int service_kinds_count;

const service_kind *service_kind_by_stored(const char *stored);
const service_kind *service_kind_by_enum(int type_enum);
const service_kind *service_kind_by_member(const char *member);

/* Inserts a service from an Add*ServiceParams message of kind k, inside the
 * caller's transaction, with upstream's checks in upstream's order (address
 * rules, unique name, node exists). On success *out is the new service
 * message (kind k's descriptor). Returns an RPC code. */
int service_create(db *d, const service_kind *k, const ProtobufCMessage *params, ProtobufCMessage **out,
                   rpc_status *st);

/* Loads one service; NOT_FOUND with upstream's text when absent. *kind is set. */
int service_get(db *d, const char *id, const service_kind **kind, ProtobufCMessage **out, rpc_status *st);

/* Appends the services matching every non-empty filter (type_enum 0 = any)
 * to the list fields of resp (ListServicesResponse layout). */
int service_list(db *d, const char *node_id, int type_enum, const char *external_group, ProtobufCMessage *resp,
                 rpc_status *st);

/* Appends to resp's service_types the type of every kind that has at least
 * one service, ordered by stored type name. */
int service_active_types(db *d, ProtobufCMessage *resp, rpc_status *st);

/* Removes a service inside the caller's transaction; force removes its
 * agents first. As upstream, a forced removal of the last service of a
 * remote RDS / Azure node (monitored by at most one pmm-agent) removes the
 * node too: then removed_node gets its id, else "". */
int service_remove(db *d, const char *id, bool force, char *removed_node, size_t removed_len, rpc_status *st);

/* Applies a ChangeServiceRequest (each optional field only when present;
 * custom_labels replaces all labels) inside the caller's transaction and
 * returns the changed service. */
int service_change(db *d, const ProtobufCMessage *req, const service_kind **kind, ProtobufCMessage **out,
                   rpc_status *st);

#endif
