/* status: pmm-agent connection and child status SQL (see status.h). */
#include "status.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drift.h"
#include "vmagent.h"
#include "inventory/v1/agent_status.pb-c.h"

#define NOW "now() AT TIME ZONE 'UTC'"

/* The pmm-agent's children as SetState sees them. Status columns are left
 * out: StateChanged must not trigger a new SetState by itself. */
#define FINGERPRINT_EXPR                                                                              \
    "md5(string_agg(a.agent_id || ':' || a.updated_at::text || ':' || a.disabled::text || ':' || " \
    "coalesce(s.updated_at::text, ''), ',' ORDER BY a.agent_id))"

void status_admission_clear(status_admission *a)
{
    free(a->node_id);
    free(a->node_name);
    free(a->vmagent_id);
    memset(a, 0, sizeof *a);
}

static int fail_quoted(rpc_status *st, int code, const char *fmt, const char *id)
{
    char q[RPC_MESSAGE_MAX / 2];
    rpc_quote(q, sizeof q, id);
    return rpc_fail(st, code, fmt, q);
}

/* One row: the agent, locked (a second connection of the same pmm-agent
 * waits here rather than making a second vmagent), with its node. */
#define ADMIT_ROW                                                                                   \
    "SELECT a.agent_type, a.runs_on_node_id, n.node_id, n.node_name, a.version IS DISTINCT FROM $2 " \
    "FROM agents a LEFT JOIN nodes n ON n.node_id = a.runs_on_node_id WHERE a.agent_id = $1 FOR UPDATE OF a"

static int admit_tx(db *d, const char *agent_id, const char *version, status_admission *out, rpc_status *st)
{
    const char *p[] = { agent_id, version };
    PGresult *r = db_exec(d, st, ADMIT_ROW, 2, p);
    if (!r)
        return st->code;
    if (PQntuples(r) == 0) {
        PQclear(r);
        return fail_quoted(st, RPC_PERMISSION_DENIED, "No Agent with ID %s.", agent_id);
    }
    int is_pmm_agent = strcmp(PQgetvalue(r, 0, 0), "pmm-agent") == 0;
    const char *node = PQgetisnull(r, 0, 1) ? NULL : PQgetvalue(r, 0, 1);
    int code = RPC_OK;
    if (!is_pmm_agent)
        code = fail_quoted(st, RPC_PERMISSION_DENIED, "No pmm-agent with ID %s.", agent_id);
    else if (!node || !node[0])
        code = fail_quoted(st, RPC_PERMISSION_DENIED, "Can't get 'runs_on_node_id' for pmm-agent with ID %s.", agent_id);
    else if (!agent_version_valid(version))
        code = fail_quoted(st, RPC_INVALID_ARGUMENT, "Can't parse 'version' for pmm-agent with ID %s.", agent_id);
    /* a reconnect with the same version writes nothing */
    if (code == RPC_OK && PQgetvalue(r, 0, 4)[0] == 't') {
        PGresult *u = db_exec(d, st, "UPDATE agents SET version = $2 WHERE agent_id = $1", 2, p);
        code = u ? RPC_OK : st->code;
        PQclear(u);
    }
    if (code == RPC_OK)
        code = vmagent_row_ensure(d, agent_id, node, &out->vmagent_id, st);
    if (code == RPC_OK) {
        if (PQgetisnull(r, 0, 2)) {
            code = fail_quoted(st, RPC_INVALID_ARGUMENT, "Can't retrieve node ID for pmm-agent with ID %s.", agent_id);
        } else if (!(out->node_id = strdup(PQgetvalue(r, 0, 2))) || !(out->node_name = strdup(PQgetvalue(r, 0, 3)))) {
            code = rpc_fail(st, RPC_INTERNAL, "out of memory");
        }
    }
    PQclear(r);
    return code;
}

int status_admit(db *d, const char *agent_id, const char *version, status_admission *out, rpc_status *st)
{
    memset(out, 0, sizeof *out);
    if (!agent_id || !agent_id[0])
        return rpc_fail(st, RPC_PERMISSION_DENIED, "Empty Agent ID.");
    int code = db_begin(d, st);
    if (code != RPC_OK)
        return code;
    code = admit_tx(d, agent_id, version ? version : "", out, st);
    if (code == RPC_OK)
        code = db_commit(d, st);
    else
        db_rollback(d);
    if (code != RPC_OK)
        status_admission_clear(out);
    return code;
}

int status_set_connected(db *d, const char *const *on, size_t n_on, const char *const *off, size_t n_off,
                         rpc_status *st)
{
    char *a_on = status_text_array(on, n_on), *a_off = status_text_array(off, n_off);
    PGresult *r = NULL;
    if (!a_on || !a_off)
        rpc_fail(st, RPC_RESOURCE_EXHAUSTED, "out of memory");
    else
        r = db_exec(d, st,
                    "UPDATE agents SET is_connected = (agent_id = ANY($1::text[])) WHERE agent_type = 'pmm-agent' "
                    "AND (agent_id = ANY($1::text[]) OR agent_id = ANY($2::text[])) "
                    "AND is_connected <> (agent_id = ANY($1::text[]))",
                    2, (const char *[]){ a_on, a_off });
    free(a_on);
    free(a_off);
    if (!r)
        return st->code;
    PQclear(r);
    return RPC_OK;
}

char *status_text_array(const char *const *ids, size_t n)
{
    size_t cap = 3;
    for (size_t i = 0; i < n; i++)
        cap += 2 * strlen(ids[i]) + 3;
    char *out = malloc(cap), *p = out;
    if (!out)
        return NULL;
    *p++ = '{';
    for (size_t i = 0; i < n; i++) {
        if (i)
            *p++ = ',';
        *p++ = '"';
        for (const char *s = ids[i]; *s; s++) {
            if (*s == '"' || *s == '\\')
                *p++ = '\\';
            *p++ = *s;
        }
        *p++ = '"';
    }
    *p++ = '}';
    *p = '\0';
    return out;
}

int status_reconcile(db *d, const char *const *live, size_t n, rpc_status *st)
{
    char *arr = status_text_array(live, n);
    if (!arr)
        return rpc_fail(st, RPC_RESOURCE_EXHAUSTED, "out of memory");
    const char *p[] = { arr };
    PGresult *r = db_exec(d, st,
                          "UPDATE agents SET is_connected = (agent_id = ANY($1::text[])) WHERE agent_type = 'pmm-agent' "
                          "AND is_connected <> (agent_id = ANY($1::text[]))",
                          1, p);
    free(arr);
    if (!r)
        return st->code;
    PQclear(r);
    return RPC_OK;
}

const char *status_name(int value, char *buf, size_t buflen)
{
    const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value(&inventory__v1__agent_status__descriptor, value);
    if (v)
        return v->name;
    snprintf(buf, buflen, "%d", value);   /* Go's String() of an unknown value */
    return buf;
}

/* "<pmm-agent>:rds/<access key>" names every rds_exporter of that key. */
static const char *rds_group_key(const char *pmm_agent_id, const char *id)
{
    size_t n = strlen(pmm_agent_id);
    if (strncmp(id, pmm_agent_id, n) == 0 && strncmp(id + n, ":rds/", 5) == 0)
        return id + n + 5;
    return NULL;
}

int status_apply(db *d, const char *pmm_agent_id, const Agent__V1__StateChangedRequest *req,
                 bool *port_changed, bool *has_vmagent, int *n_updated, rpc_status *st)
{
    char nbuf[32], port[16];
    const char *name = status_name(req->status, nbuf, sizeof nbuf);
    snprintf(port, sizeof port, "%u", req->listen_port);
    const char *id = req->agent_id ? req->agent_id : "";
    const char *key = rds_group_key(pmm_agent_id, id);
    const char *p[] = { pmm_agent_id, key ? key : id, name, port,
                        req->process_exec_path ? req->process_exec_path : "", req->version ? req->version : "",
                        key ? "rds" : "id" };
    *port_changed = false;
    *has_vmagent = false;
    *n_updated = 0;
    /* listen_port 0, an empty path and an empty version are stored as
     * NULL, as upstream's pointer.To*OrNil; a disabled agent is DONE. A
     * report that changes nothing (a reconnecting fleet repeats its last
     * state) writes nothing and counts as no update: no event follows. */
    PGresult *r = db_exec(d, st,
                          "WITH target AS (SELECT agent_id, listen_port AS old_port FROM agents WHERE pmm_agent_id = $1 "
                          "AND (($7 = 'id' AND agent_id = $2) OR ($7 = 'rds' AND agent_type = 'rds_exporter' "
                          "AND aws_options->>'aws_access_key' = $2)) "
                          "AND (status, listen_port, process_exec_path, version) IS DISTINCT FROM "
                          "(CASE WHEN disabled THEN 'AGENT_STATUS_DONE' ELSE $3 END, NULLIF($4::int, 0), NULLIF($5, ''), "
                          "NULLIF($6, '')) FOR UPDATE) "
                          "UPDATE agents a SET status = CASE WHEN a.disabled THEN 'AGENT_STATUS_DONE' ELSE $3 END, "
                          "listen_port = NULLIF($4::int, 0), process_exec_path = NULLIF($5, ''), version = NULLIF($6, '') "
                          "FROM target t WHERE a.agent_id = t.agent_id "
                          "RETURNING t.old_port IS DISTINCT FROM a.listen_port, EXISTS (SELECT 1 FROM agents v "
                          "WHERE v.pmm_agent_id = $1 AND v.agent_type = 'vmagent')",
                          7, p);
    if (!r)
        return st->code;
    *n_updated = PQntuples(r);
    for (int i = 0; i < PQntuples(r); i++)
        if (PQgetvalue(r, i, 0)[0] == 't')
            *port_changed = true;
    if (PQntuples(r) > 0)
        *has_vmagent = PQgetvalue(r, 0, 1)[0] == 't';
    PQclear(r);
    return RPC_OK;
}

int status_fingerprints(db *d, const char *ids, void (*fn)(const char *id, const char *digest, void *arg), void *arg,
                        rpc_status *st)
{
    PGresult *r = db_exec(d, st,
                          "SELECT a.pmm_agent_id, " FINGERPRINT_EXPR " FROM agents a "
                          "LEFT JOIN services s ON s.service_id = a.service_id "
                          "WHERE a.pmm_agent_id IS NOT NULL AND ($1::text[] IS NULL OR a.pmm_agent_id = ANY($1::text[])) "
                          "GROUP BY a.pmm_agent_id",
                          1, (const char *[]){ ids });
    if (!r)
        return st->code;
    for (int i = 0; i < PQntuples(r); i++)
        fn(PQgetvalue(r, i, 0), PQgetvalue(r, i, 1), arg);
    PQclear(r);
    return RPC_OK;
}

PGresult *status_existing_pmm_agents(db *d, const char *const *ids, size_t n, rpc_status *st)
{
    char *arr = status_text_array(ids, n);
    if (!arr) {
        rpc_fail(st, RPC_RESOURCE_EXHAUSTED, "out of memory");
        return NULL;
    }
    const char *p[] = { arr };
    PGresult *r = db_exec(d, st,
                          "SELECT agent_id FROM agents WHERE agent_id = ANY($1::text[]) AND agent_type = 'pmm-agent'", 1, p);
    free(arr);
    return r;
}
