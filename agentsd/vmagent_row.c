/* vmagent_row: the vmagent agents row made at connect (vmagent.h). */
#include "vmagent.h"

#include <stdlib.h>
#include <string.h>

#include "uuid.h"

#define NOW "now() AT TIME ZONE 'UTC'"

int vmagent_row_ensure(db *d, const char *pmm_agent_id, const char *runs_on_node_id, char **created, rpc_status *st)
{
    *created = NULL;
    char url[8], user[8], pass[8];
    if (strcmp(runs_on_node_id, "pmm-server") == 0 &&
        !vmagent_vm_external(url, sizeof url, user, sizeof user, pass, sizeof pass))
        return RPC_OK;
    char id[UUID_STR_LEN];
    uuid_v4(id);
    const char *p[] = { id, pmm_agent_id, runs_on_node_id };
    /* one statement: nothing is made when the pmm-agent has a vmagent */
    PGresult *r = db_exec(d, st,
                          "INSERT INTO agents (agent_id, agent_type, pmm_agent_id, node_id, custom_labels, "
                          "exporter_options, created_at, updated_at, disabled, status, tls, tls_skip_verify) "
                          "SELECT $1::varchar, 'vmagent', $2::varchar, $3::varchar, '{}', '{\"push_metrics\": true}', " NOW ", " NOW
                          ", false, 'AGENT_STATUS_UNKNOWN', false, false "
                          "WHERE NOT EXISTS (SELECT 1 FROM agents WHERE pmm_agent_id = $2::varchar AND agent_type = 'vmagent')",
                          3, p);
    if (!r)
        return st->code;
    bool made = strcmp(PQcmdTuples(r), "1") == 0;
    PQclear(r);
    if (made && !(*created = strdup(id)))
        return rpc_fail(st, RPC_INTERNAL, "out of memory");
    return RPC_OK;
}
