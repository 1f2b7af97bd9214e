/* roles: statements on roles (see roles.h). */
#include "roles.h"

#include <stdio.h>
#include <stdlib.h>

static void id_text(uint32_t id, char out[16])
{
    snprintf(out, 16, "%u", id);
}

int store_roles_insert(db *d, const char *title, const char *filter, const char *description, uint32_t *id,
                       rpc_status *st)
{
    PGresult *r = db_exec(d, st,
                          "INSERT INTO roles (title, filter, description, created_at, updated_at) "
                          "VALUES ($1, $2, $3, NOW() AT TIME ZONE 'utc', NOW() AT TIME ZONE 'utc') RETURNING id",
                          3, (const char *[]){ title, filter, description });
    if (!r)
        return st->code;
    *id = (uint32_t)strtoul(PQgetvalue(r, 0, 0), NULL, 10);
    PQclear(r);
    return RPC_OK;
}

PGresult *store_roles_get(db *d, uint32_t id, bool for_update, rpc_status *st)
{
    char ids[16];
    id_text(id, ids);
    return db_exec(d, st,
                   for_update ? "SELECT id, title, filter, description FROM roles WHERE id = $1::bigint FOR UPDATE"
                              : "SELECT id, title, filter, description FROM roles WHERE id = $1::bigint",
                   1, (const char *[]){ ids });
}

PGresult *store_roles_list(db *d, rpc_status *st)
{
    return db_exec(d, st, "SELECT id, title, filter, description FROM roles ORDER BY id", 0, NULL);
}

int store_roles_update(db *d, uint32_t id, const char *title, const char *filter, const char *description,
                       long *changed, rpc_status *st)
{
    char ids[16];
    id_text(id, ids);
    /* $n IS NULL keeps the column: one statement whatever is set */
    return store_write(d,
                       "UPDATE roles SET title = COALESCE($2, title), filter = COALESCE($3, filter), "
                       "description = COALESCE($4, description), updated_at = NOW() AT TIME ZONE 'utc' "
                       "WHERE id = $1::bigint",
                       4, (const char *[]){ ids, title, filter, description }, changed, st);
}

int store_roles_delete(db *d, uint32_t id, long *changed, rpc_status *st)
{
    char ids[16];
    id_text(id, ids);
    return store_write(d, "DELETE FROM roles WHERE id = $1::bigint", 1, (const char *[]){ ids }, changed, st);
}
