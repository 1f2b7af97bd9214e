/* status: pmm-agent admission, connection and child status (see
 * status.h); the statements are the agents store's. */
#include "status.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/store/agents.h"
#include "drift.h"
#include "vmagent.h"
#include "inventory/v1/agent_status.pb-c.h"

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

static int admit_tx(db *d, const char *agent_id, const char *version, status_admission *out, rpc_status *st)
{
    PGresult *r = store_agents_lock_for_admission(d, agent_id, version, st);
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
    if (code == RPC_OK && PQgetvalue(r, 0, 4)[0] == 't')
        code = store_agents_set_version(d, agent_id, version, st);
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
    char *a_on = store_text_array(on, n_on), *a_off = store_text_array(off, n_off);
    int code = a_on && a_off ? store_agents_set_connected(d, a_on, a_off, st)
                             : rpc_fail(st, RPC_RESOURCE_EXHAUSTED, "out of memory");
    free(a_on);
    free(a_off);
    return code;
}

int status_reconcile(db *d, const char *const *live, size_t n, rpc_status *st)
{
    char *arr = store_text_array(live, n);
    if (!arr)
        return rpc_fail(st, RPC_RESOURCE_EXHAUSTED, "out of memory");
    int code = store_agents_reconcile_connected(d, arr, st);
    free(arr);
    return code;
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
    *port_changed = false;
    *has_vmagent = false;
    *n_updated = 0;
    PGresult *r = store_agents_apply_state(d, pmm_agent_id, key ? key : id, key != NULL, name, port,
                                           req->process_exec_path ? req->process_exec_path : "",
                                           req->version ? req->version : "", st);
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
    return store_agents_children_digests(d, ids, fn, arg, st);
}

PGresult *status_existing_pmm_agents(db *d, const char *const *ids, size_t n, rpc_status *st)
{
    char *arr = store_text_array(ids, n);
    if (!arr) {
        rpc_fail(st, RPC_RESOURCE_EXHAUSTED, "out of memory");
        return NULL;
    }
    PGresult *r = store_agents_existing_pmm_agents(d, arr, st);
    free(arr);
    return r;
}
