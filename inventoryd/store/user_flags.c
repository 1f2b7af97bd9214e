/* user_flags: statements on user_flags (see user_flags.h). */
#include "user_flags.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void id_text(uint32_t id, char out[16])
{
    snprintf(out, 16, "%u", id);
}

int store_user_flags_get(db *d, uint32_t user_id, store_user_flags_row *out, rpc_status *st)
{
    char u[16];
    id_text(user_id, u);
    PGresult *r = db_exec(d, st,
                          "SELECT tour_done, alerting_tour_done, snoozed_pmm_version, snooze_count "
                          "FROM user_flags WHERE id = $1::bigint",
                          1, (const char *[]){ u });
    if (!r)
        return st->code;
    int rc = RPC_NOT_FOUND;
    if (PQntuples(r) > 0) {
        memset(out, 0, sizeof *out);
        out->tour_done = PQgetvalue(r, 0, 0)[0] == 't';
        out->alerting_tour_done = PQgetvalue(r, 0, 1)[0] == 't';
        snprintf(out->snoozed_pmm_version, sizeof out->snoozed_pmm_version, "%s", PQgetvalue(r, 0, 2));
        out->snooze_count = atoi(PQgetvalue(r, 0, 3));
        rc = RPC_OK;
    }
    PQclear(r);
    return rc;
}

int store_user_flags_ensure(db *d, uint32_t user_id, rpc_status *st)
{
    char u[16];
    id_text(user_id, u);
    return store_write(d,
                       "INSERT INTO user_flags (id, created_at, updated_at) "
                       "VALUES ($1, NOW() AT TIME ZONE 'utc', NOW() AT TIME ZONE 'utc') ON CONFLICT (id) DO NOTHING",
                       1, (const char *[]){ u }, NULL, st);
}

int store_user_flags_update(db *d, uint32_t user_id, const bool *tour_done, const bool *alerting_tour_done,
                            const char *snoozed_pmm_version, rpc_status *st)
{
    char u[16];
    id_text(user_id, u);
    const char *tour = tour_done ? (*tour_done ? "true" : "false") : NULL;
    const char *alerting = alerting_tour_done ? (*alerting_tour_done ? "true" : "false") : NULL;
    return store_write(d,
                       "UPDATE user_flags SET tour_done = COALESCE($2::boolean, tour_done), "
                       "alerting_tour_done = COALESCE($3::boolean, alerting_tour_done), "
                       "snoozed_pmm_version = COALESCE($4, snoozed_pmm_version), "
                       "snoozed_at = CASE WHEN $4 IS NULL THEN snoozed_at ELSE NOW() AT TIME ZONE 'utc' END, "
                       "snooze_count = CASE WHEN $4 IS NULL THEN snooze_count ELSE 1 END, "
                       "updated_at = NOW() AT TIME ZONE 'utc' WHERE id = $1::bigint",
                       4, (const char *[]){ u, tour, alerting, snoozed_pmm_version }, NULL, st);
}
