/* agent_model: agents in PostgreSQL and their eighteen API kinds, table
 * driven. One descriptor per kind (agent_kinds.c) says how it is stored
 * and attached; one field map (agent_record.c) says, for every Add/Change
 * parameter and response field, which column or JSONB key holds it. A row
 * being written is handled as one JSON object (row_to_json of agents,
 * JSONB columns nested), secrets decrypted while in memory and encrypted
 * (common/secret.h) on the way to the database; answers are read back
 * from the stored row straight into messages. */
#ifndef INVENTORYD_AGENT_MODEL_H
#define INVENTORYD_AGENT_MODEL_H

#include <stdbool.h>
#include <jansson.h>
#include <protobuf-c/protobuf-c.h>

#include "db/db.h"
#include "rpc.h"

#define PMM_SERVER_AGENT_ID "pmm-server"

typedef enum {
    ATTACH_NODE_RUNS_ON, /* pmm-agent: runs_on_node_id */
    ATTACH_PMM_NODE,     /* node_exporter: node of its pmm-agent */
    ATTACH_SERVICE,      /* service_id under a pmm-agent */
    ATTACH_NODE,         /* node_id under a pmm-agent (RDS, Azure) */
    ATTACH_EXTERNAL,     /* external-exporter: runs_on_node_id + service_id */
} agent_attach;

/* Which JSONB column holds a kind's TLS material. */
enum { FAM_NONE = 0, FAM_MYSQL = 1, FAM_PG = 2, FAM_MONGO = 4, FAM_VALKEY = 8 };

typedef struct {
    int type_enum;             /* inventory.v1.AgentType */
    const char *stored;        /* agents.agent_type */
    const char *list_member;   /* ListAgentsResponse field */
    const char *get_member;    /* GetAgentResponse member (vmagent differs) */
    const char *add_member;    /* AddAgentRequest/Response member; NULL: not addable */
    const char *change_member; /* ChangeAgentRequest/Response member; NULL: none */
    const char *add_params;    /* message name for validation texts */
    const ProtobufCMessageDescriptor *desc;
    agent_attach attach;
    int family;
    const char *required[4];   /* "proto_name:GoName" of min_len 1 Add fields; ":uuid" after: {uuid: true} */
    const char *services[3];   /* compatible services.service_type values */
} agent_kind;

extern const agent_kind agent_kinds[];
extern const int agent_kinds_count;

const agent_kind *agent_kind_by_stored(const char *stored);
const agent_kind *agent_kind_by_enum(int type_enum);
const agent_kind *agent_kind_by_add_member(const char *member);
const agent_kind *agent_kind_by_change_member(const char *member);

/* Creates an agent of kind k from its Add…Params inside the caller's
 * transaction, with upstream's existence and compatibility checks. *out is
 * the agent's API message. Returns an RPC code. */
int agent_create(db *d, const agent_kind *k, const ProtobufCMessage *params, ProtobufCMessage **out,
                 rpc_status *st);

/* Loads one agent (NOT_FOUND "Agent with ID %s not found."). */
int agent_get(db *d, const char *id, const agent_kind **kind, ProtobufCMessage **out, rpc_status *st);

/* Applies the present fields of Change…Params (member of kind k) to agent
 * id, inside the caller's transaction; *out is the changed agent. */
int agent_change(db *d, const char *id, const char *member, const ProtobufCMessage *params,
                 ProtobufCMessage **out, rpc_status *st);

/* Appends matching agents to resp (ListAgentsResponse layout). At most one
 * of the ids is non-empty; type_enum 0 means any type. */
int agent_list(db *d, const char *pmm_agent_id, const char *node_id, const char *service_id, int type_enum,
               ProtobufCMessage *resp, rpc_status *st);

/* Encrypts credentials still stored in plain text (rows written by the
 * fixtures or before encryption existed), as upstream's fixtures do first.
 * In its own transaction; returns 0 or -1 (logged). */
int agent_seal_plaintext(db *d);

/* Removes an agent; force removes a pmm-agent's agents first. */
int agent_remove(db *d, const char *id, bool force, rpc_status *st);

#endif
