/* user_roles: statements on user_roles (see user_roles.h). */
#include "user_roles.h"

#include <stdio.h>

static void id_text(uint32_t id, char out[16])
{
    snprintf(out, 16, "%u", id);
}

int store_user_roles_clear(db *d, uint32_t user_id, rpc_status *st)
{
    char u[16];
    id_text(user_id, u);
    return store_write(d, "DELETE FROM user_roles WHERE user_id = $1::bigint", 1, (const char *[]){ u }, NULL, st);
}

int store_user_roles_add(db *d, uint32_t user_id, uint32_t role_id, rpc_status *st)
{
    char u[16], r[16];
    id_text(user_id, u);
    id_text(role_id, r);
    return store_write(d,
                       "INSERT INTO user_roles (user_id, role_id, created_at, updated_at) "
                       "VALUES ($1, $2, NOW() AT TIME ZONE 'utc', NOW() AT TIME ZONE 'utc') "
                       "ON CONFLICT (user_id, role_id) DO NOTHING",
                       2, (const char *[]){ u, r }, NULL, st);
}

int store_user_roles_replace(db *d, uint32_t role_id, uint32_t new_role_id, rpc_status *st)
{
    char r[16], n[16];
    id_text(role_id, r);
    id_text(new_role_id, n);
    if (new_role_id != 0) {
        /* the users holding only this role: locked, then moved over */
        int rc = store_write(d,
                             "UPDATE user_roles SET role_id = $2, updated_at = NOW() AT TIME ZONE 'utc' "
                             "WHERE role_id = $1::bigint AND user_id IN ("
                             "  SELECT user_id FROM user_roles WHERE user_id IN "
                             "    (SELECT user_id FROM user_roles WHERE role_id = $1::bigint) "
                             "  GROUP BY user_id HAVING count(*) = 1)",
                             2, (const char *[]){ r, n }, NULL, st);
        if (rc != RPC_OK)
            return rc;
    }
    return store_write(d, "DELETE FROM user_roles WHERE role_id = $1::bigint", 1, (const char *[]){ r }, NULL, st);
}

PGresult *store_user_roles_by_user(db *d, rpc_status *st)
{
    return db_exec(d, st,
                   "SELECT u.user_id, ur.role_id FROM "
                   "(SELECT user_id FROM users UNION SELECT user_id FROM user_roles) u "
                   "LEFT JOIN user_roles ur ON ur.user_id = u.user_id ORDER BY u.user_id, ur.role_id",
                   0, NULL);
}

PGresult *store_user_roles_filters(db *d, uint32_t user_id, rpc_status *st)
{
    char u[16];
    id_text(user_id, u);
    return db_exec(d, st,
                   "SELECT r.filter FROM user_roles ur JOIN roles r ON r.id = ur.role_id "
                   "WHERE ur.user_id = $1::bigint ORDER BY r.id",
                   1, (const char *[]){ u });
}
