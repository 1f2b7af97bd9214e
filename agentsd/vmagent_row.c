/* vmagent_row: the vmagent agents row made at connect (vmagent.h). */
#include "vmagent.h"

#include <stdlib.h>
#include <string.h>

#include "db/store/agents.h"
#include "uuid.h"

int vmagent_row_ensure(db *d, const char *pmm_agent_id, const char *runs_on_node_id, char **created, rpc_status *st)
{
    *created = NULL;
    char url[8], user[8], pass[8];
    if (strcmp(runs_on_node_id, "pmm-server") == 0 &&
        !vmagent_vm_external(url, sizeof url, user, sizeof user, pass, sizeof pass))
        return RPC_OK;
    char id[UUID_STR_LEN];
    uuid_v4(id);
    bool made = false;
    int code = store_agents_add_vmagent(d, id, pmm_agent_id, runs_on_node_id, &made, st);
    if (code != RPC_OK)
        return code;
    if (made && !(*created = strdup(id)))
        return rpc_fail(st, RPC_INTERNAL, "out of memory");
    return RPC_OK;
}
