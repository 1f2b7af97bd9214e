/* agent_record: an agent row held as one JSON object (the row_to_json of
 * agents: columns as keys, JSONB option columns nested), with secrets in
 * plain text while in memory, for writing; and rows of a query result
 * read straight into API messages. The field map in agent_record.c says
 * which column or JSONB key holds each Add/Change parameter and response
 * field, so every kind shares the conversions below. Internal to
 * inventoryd. */
#ifndef INVENTORYD_AGENT_RECORD_H
#define INVENTORYD_AGENT_RECORD_H

#include <stdbool.h>
#include <jansson.h>
#include <libpq-fe.h>
#include <protobuf-c/protobuf-c.h>

#include "agent_model.h"
#include "db/agent_row.h"
#include "db/store/agents.h"

/* A new row of kind k: fresh UUID, type, initial status, '{}' options. */
json_t *agent_rec_new(const agent_kind *k);

/* Sets it, creating the JSONB object when needed; steals v. 0 or -1. */
int agent_rec_set(json_t *rec, const char *col, const char *key, json_t *v);


/* Copies the parameters of Add…Params (change false: every field the
 * message has) or Change…Params (change true: only fields present) into
 * the row. 0, or -1 on ENOMEM / a value JSON cannot hold. */
int agent_rec_apply(json_t *rec, const agent_kind *k, const ProtobufCMessage *p, bool change);
/* enable / disable; disabling reports DONE as upstream does. */
int agent_rec_set_enabled(json_t *rec, const agent_kind *k, bool enable);

/* Rows of agents (store_agents_shown's columns, with the pmm-agent's node
 * as PMM_NODE_KEY) turned into API messages; the column positions are
 * looked up by name once per result. r stays the caller's and must
 * outlive the agent_rows. */
typedef struct agent_rows agent_rows;
agent_rows *agent_rows_new(PGresult *r);
void agent_rows_free(agent_rows *rs);
/* Row `row` as its kind's message (*kind set). NULL with *kind NULL for a
 * type this server does not know; NULL with st set on failure (INTERNAL:
 * ENOMEM, or stored credentials that cannot be decrypted). Secrets
 * upstream's message lacks are never read. */
ProtobufCMessage *agent_rows_msg(agent_rows *rs, int row, const agent_kind **kind, rpc_status *st);

#endif
