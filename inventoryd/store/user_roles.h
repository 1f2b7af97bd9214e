/* user_roles: the statements on user_roles, which roles each user has
 * (see inventoryd/accesscontrol.c and common/db/store/store.h). A user id
 * is users.user_id, or a Grafana user's id when Grafana authenticates. */
#ifndef INVENTORYD_STORE_USER_ROLES_H
#define INVENTORYD_STORE_USER_ROLES_H

#include <stdint.h>

#include "db/store/store.h"

/* Removes every role of the user. */
int store_user_roles_clear(db *d, uint32_t user_id, rpc_status *st);
/* Gives the user the role (already had: nothing changes). */
int store_user_roles_add(db *d, uint32_t user_id, uint32_t role_id, rpc_status *st);
/* Before role_id is deleted: upstream's replaceRole. With new_role_id 0
 * every assignment of role_id goes; otherwise users for whom it is the
 * only role get new_role_id instead, and the others just lose it. */
int store_user_roles_replace(db *d, uint32_t role_id, uint32_t new_role_id, rpc_status *st);
/* Every user (of table users, or with roles) and its roles: columns
 * (user_id, role_id or NULL), by user_id then role_id. */
PGresult *store_user_roles_by_user(db *d, rpc_status *st);
/* The filters of the user's roles: column (filter), one row per role. */
PGresult *store_user_roles_filters(db *d, uint32_t user_id, rpc_status *st);

#endif
