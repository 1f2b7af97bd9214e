/* internal: SQL fragments several store files share. For the store files
 * of common/db/store/ only. */
#ifndef PMM_STORE_INTERNAL_H
#define PMM_STORE_INTERNAL_H

/* created_at / updated_at as upstream writes them. */
#define NOW "now() AT TIME ZONE 'UTC'"

/* management.v1 ListServices' filters ($1 node_id, $2 service_type, $3
 * external_group; '' = any) on services s: its services (services.c) and
 * their agents (agents.c) are read with the same condition. */
#define SERVICE_FILTER \
    "($1 = '' OR s.node_id = $1) AND ($2 = '' OR s.service_type = $2) AND ($3 = '' OR s.external_group = $3)"

#endif
