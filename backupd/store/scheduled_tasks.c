/* scheduled_tasks: table scheduled_tasks (upstream's models.ScheduledTask). */
#include "store.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sql.h"
#include "uuid.h"

#define COLS                                                                                                     \
    "id, cron_expression, type, " SQL_MS("start_at") ", " SQL_MS("last_run") ", " SQL_MS("next_run")             \
    ", data::text, COALESCE(disabled, false), COALESCE(running, false), COALESCE(error, ''), " SQL_MS("created_at") \
    ", " SQL_MS("updated_at")

void sched_task_free(sched_task *t)
{
    char **f[] = { &t->id, &t->cron_expression, &t->type, &t->data, &t->error };
    store_free_strs(f, sizeof f / sizeof *f);
}

void sched_tasks_free(sched_task *t, size_t n)
{
    for (size_t i = 0; i < n; i++)
        sched_task_free(&t[i]);
    free(t);
}

static int from_row(PGresult *r, int i, sched_task *t, rpc_status *st)
{
    memset(t, 0, sizeof *t);
    t->id = store_col(r, i, 0);
    t->cron_expression = store_col(r, i, 1);
    t->type = store_col(r, i, 2);
    t->start_at = strtoll(PQgetvalue(r, i, 3), NULL, 10);
    t->last_run = strtoll(PQgetvalue(r, i, 4), NULL, 10);
    t->next_run = strtoll(PQgetvalue(r, i, 5), NULL, 10);
    t->data = store_col(r, i, 6);
    t->disabled = strcmp(PQgetvalue(r, i, 7), "t") == 0;
    t->running = strcmp(PQgetvalue(r, i, 8), "t") == 0;
    t->error = store_col(r, i, 9);
    t->created_at = strtoll(PQgetvalue(r, i, 10), NULL, 10);
    t->updated_at = strtoll(PQgetvalue(r, i, 11), NULL, 10);
    if (!t->id || !t->cron_expression || !t->type || !t->data || !t->error) {
        sched_task_free(t);
        return rpc_fail(st, RPC_INTERNAL, "out of memory");
    }
    return RPC_OK;
}

static int row_cb(void *r, int i, void *out, rpc_status *st)
{
    return from_row(r, i, out, st);
}

static void free_cb(void *x)
{
    sched_task_free((sched_task *)x);
}

int store_task_get(db *d, const char *id, sched_task *out, rpc_status *st)
{
    return store_get_one(d, "SELECT " COLS " FROM scheduled_tasks WHERE id = $1", id, "ScheduledTask", row_cb, out, st);
}

int store_task_get_for_update(db *d, const char *id, sched_task *out, rpc_status *st)
{
    return store_get_one(d, "SELECT " COLS " FROM scheduled_tasks WHERE id = $1 FOR UPDATE", id, "ScheduledTask", row_cb, out, st);
}

int store_task_list(db *d, sched_task **out, size_t *n, rpc_status *st)
{
    *out = NULL;
    *n = 0;
    PGresult *r = db_exec(d, st, "SELECT " COLS " FROM scheduled_tasks ORDER BY created_at, id", 0, NULL);
    if (!r)
        return st->code;
    return store_result_rows(r, sizeof **out, row_cb, free_cb, (void **)out, n, st);
}

int store_task_services_at(db *d, const char *location_id, const char *folder, const char *except_id, char **json,
                           rpc_status *st)
{
    PGresult *r = db_exec(d, st,
                          "SELECT COALESCE(json_object_agg(sid, id), '{}')::text FROM (SELECT DISTINCT ON (sid) sid, "
                          "id FROM (SELECT data -> type ->> 'service_id' AS sid, id, data -> type AS d FROM "
                          "scheduled_tasks) t WHERE d ->> 'location_id' = $1 AND COALESCE(d ->> 'folder', '') = $2 "
                          "AND sid <> $3) x",
                          3, (const char *[]){ location_id, folder, except_id });
    if (!r)
        return st->code;
    *json = strdup(PQgetvalue(r, 0, 0));
    PQclear(r);
    return *json ? RPC_OK : rpc_fail(st, RPC_INTERNAL, "out of memory");
}

int store_task_insert(db *d, sched_task *t, rpc_status *st)
{
    if (!t->id) {
        char id[UUID_STR_LEN];
        uuid_v4(id);
        if (!(t->id = strdup(id)))
            return rpc_fail(st, RPC_INTERNAL, "out of memory");
    }
    char start[32];
    store_ms_param(start, sizeof start, t->start_at);
    PGresult *r = db_exec(d, st,
                          "INSERT INTO scheduled_tasks (id, cron_expression, type, start_at, data, disabled, running, "
                          "error, created_at, updated_at) VALUES ($1, $2, $3, " SQL_TS("$4") ", $5::jsonb, $6, false, "
                          "'', " SQL_NOW ", " SQL_NOW ")",
                          6,
                          (const char *[]){ t->id, t->cron_expression, t->type, t->start_at ? start : NULL, t->data,
                                            t->disabled ? "t" : "f" });
    if (!r)
        return st->code;
    PQclear(r);
    return RPC_OK;
}

int store_task_update(db *d, const sched_task *t, rpc_status *st)
{
    char start[32];
    store_ms_param(start, sizeof start, t->start_at);
    return store_exec_one(d, st,
                    "UPDATE scheduled_tasks SET cron_expression = $2, start_at = " SQL_TS("$3") ", data = $4::jsonb, "
                    "disabled = $5, updated_at = " SQL_NOW " WHERE id = $1",
                    5,
                    (const char *[]){ t->id, t->cron_expression, t->start_at ? start : NULL, t->data,
                                      t->disabled ? "t" : "f" },
                    "ScheduledTask", t->id);
}

int store_task_delete(db *d, const char *id, rpc_status *st)
{
    return store_exec_one(d, st, "DELETE FROM scheduled_tasks WHERE id = $1", 1, (const char *[]){ id }, "ScheduledTask", id);
}

int store_task_claim_due(db *d, const char *id, int64_t due_ms, bool *claimed, rpc_status *st)
{
    char due[32];
    store_ms_param(due, sizeof due, due_ms);
    *claimed = false;
    PGresult *r = db_exec(d, st,
                          "UPDATE scheduled_tasks SET claimed_due = " SQL_TS("$2") ", running = true, updated_at = " SQL_NOW
                          " WHERE id = $1 AND (claimed_due IS NULL OR claimed_due < " SQL_TS("$2") ")",
                          2, (const char *[]){ id, due });
    if (!r)
        return st->code;
    *claimed = strcmp(PQcmdTuples(r), "1") == 0;
    PQclear(r);
    return RPC_OK;
}

int store_task_finish_run(db *d, const char *id, const char *error, int64_t last_run, int64_t next_run, rpc_status *st)
{
    char lr[32], nr[32];
    store_ms_param(lr, sizeof lr, last_run);
    store_ms_param(nr, sizeof nr, next_run);
    return store_exec_one(d, st,
                    "UPDATE scheduled_tasks SET running = false, error = $2, last_run = " SQL_TS("$3") ", next_run = "
                    SQL_TS("$4") ", updated_at = " SQL_NOW " WHERE id = $1",
                    4, (const char *[]){ id, error ? error : "", last_run ? lr : NULL, next_run ? nr : NULL }, "ScheduledTask", id);
}
