/* roles: the statements on roles, access control's label filters (see
 * inventoryd/accesscontrol.c and common/db/store/store.h). */
#ifndef INVENTORYD_STORE_ROLES_H
#define INVENTORYD_STORE_ROLES_H

#include <stdbool.h>
#include <stdint.h>

#include "db/store/store.h"

/* Inserts a role; *id gets its id. A taken title: ALREADY_EXISTS with
 * PostgreSQL's text (naming roles_title_key). */
int store_roles_insert(db *d, const char *title, const char *filter, const char *description, uint32_t *id,
                       rpc_status *st);
/* One role, columns (id, title, filter, description); no row when there
 * is none. for_update locks it (FOR UPDATE) until the transaction ends. */
PGresult *store_roles_get(db *d, uint32_t id, bool for_update, rpc_status *st);
/* Every role by id, the same columns. */
PGresult *store_roles_list(db *d, rpc_status *st);
/* Sets the given fields (NULL: kept). *changed: rows touched. */
int store_roles_update(db *d, uint32_t id, const char *title, const char *filter, const char *description,
                       long *changed, rpc_status *st);
int store_roles_delete(db *d, uint32_t id, long *changed, rpc_status *st);

#endif
