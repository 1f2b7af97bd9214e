/* fixtures: the rows a new PMM Server starts with (schema.md §5): the
 * pmm-server node, its pmm-agent and node_exporter, and the server's own
 * PostgreSQL service with its exporter and QAN agent. Created once. */
#ifndef INVENTORYD_FIXTURES_H
#define INVENTORYD_FIXTURES_H

#include <stdbool.h>

#include "db/db.h"

/* Idempotent; safe when several daemons start at once (advisory lock).
 * Returns 0, or -1 (logged). */
int fixtures_ensure(db *d, const db_params *p, bool internal_pg_qan);

#endif
