/* store: every SQL statement of backupd, one file per table it owns
 * (backup_locations.c, artifacts.c, jobs.c, job_logs.c,
 * restore_history.c, scheduled_tasks.c, service_software_versions.c,
 * dumps.c, dump_logs.c; util.c the helpers). The inventory tables it only
 * reads (services, agents) are read through their stores,
 * db/store/services.h and db/store/agents.h, which this header brings in.
 * Handlers call these typed functions and never write SQL.
 * Every function takes the caller's connection (and so its transaction)
 * and returns an RPC code with st filled; strings in the records are
 * malloc'd and freed by the record's _free. Times are Unix milliseconds
 * (0 = NULL), stored as UTC TIMESTAMPs as upstream does. */
#ifndef BACKUPD_STORE_H
#define BACKUPD_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "db/db.h"
#include "db/store/agents.h"
#include "db/store/services.h"
#include "rpc.h"

/* ---- backup_locations ------------------------------------------------------------ */

typedef struct {
    char *id, *name, *description, *type; /* type: "s3" | "filesystem" (v2's "pmm-client" reads as filesystem) */
    char *endpoint, *access_key, *secret_key, *bucket_name, *bucket_region; /* s3; secret_key in clear */
    char *path;                                                              /* filesystem */
} location;

void location_free(location *l);
/* NOT_FOUND `Backup location with ID "<id>" not found.` */
int store_location_get(db *d, const char *id, location *out, rpc_status *st);
int store_location_list(db *d, location **out, size_t *n, rpc_status *st);
void locations_free(location *l, size_t n);
/* Inserts (id generated into l->id when NULL); the secret key is sealed.
 * ALREADY_EXISTS `Location with name "<name>" already exists.` */
int store_location_insert(db *d, location *l, rpc_status *st);
int store_location_update(db *d, const location *l, rpc_status *st);
int store_location_delete(db *d, const char *id, rpc_status *st);
/* Whether some other location has this name. */
int store_location_name_taken(db *d, const char *name, const char *except_id, bool *taken, rpc_status *st);

/* ---- artifacts ------------------------------------------------------------------- */

typedef struct {
    char *id, *name, *vendor, *location_id, *service_id, *data_model, *status, *type, *schedule_id, *db_version,
        *mode, *folder;
    bool is_sharded_cluster;
    char *metadata_list; /* JSON text or NULL */
    int64_t created_at, updated_at;
} artifact;

void artifact_free(artifact *a);
void artifacts_free(artifact *a, size_t n);
/* NOT_FOUND `Artifact with ID "<id>" not found.` */
int store_artifact_get(db *d, const char *id, artifact *out, rpc_status *st);
/* The artifact named name, *found false when none. */
int store_artifact_by_name(db *d, const char *name, artifact *out, bool *found, rpc_status *st);
/* All artifacts, newest first (upstream sorts by created_at DESC). */
int store_artifact_list(db *d, artifact **out, size_t *n, rpc_status *st);
/* Artifacts filtered: any NULL filter is ignored. */
int store_artifact_find(db *d, const char *location_id, const char *service_id, const char *schedule_id,
                        const char *status, const char *folder, artifact **out, size_t *n, rpc_status *st);
/* The services (distinct ids, except except_id) with artifacts at a
 * location and folder, and one artifact id of each; JSON object text
 * {service_id: artifact_id}. */
int store_artifact_services_at(db *d, const char *location_id, const char *folder, const char *except_id,
                               char **json, rpc_status *st);
/* Inserts a (a->id generated when NULL; created_at now). */
int store_artifact_insert(db *d, artifact *a, rpc_status *st);
int store_artifact_set_status(db *d, const char *id, const char *status, rpc_status *st);
/* status to, only while it is from (*changed tells). */
int store_artifact_set_status_if(db *d, const char *id, const char *from, const char *to, bool *changed,
                                 rpc_status *st);
/* status success with the result's metadata (appended to metadata_list, as
 * upstream's PITR artifacts collect one entry per run) and is_sharded_cluster. */
int store_artifact_set_success(db *d, const char *id, bool sharded, const char *metadata_json, rpc_status *st);
int store_artifact_delete(db *d, const char *id, rpc_status *st);
/* Replaces metadata_list (JSON text). */
int store_artifact_set_metadata(db *d, const char *id, const char *metadata_json, rpc_status *st);
/* Clears schedule_id on the artifacts of a removed schedule. */
int store_artifact_unschedule(db *d, const char *schedule_id, rpc_status *st);
/* Deletes every artifact of a location (RemoveLocation with force; their
 * restore history first: store_restore_delete_by_location). */
int store_artifact_delete_by_location(db *d, const char *location_id, rpc_status *st);

/* ---- jobs ------------------------------------------------------------------------ */

typedef struct {
    char *id, *pmm_agent_id, *type; /* mysql_backup | mysql_restore_backup | mongodb_backup | mongodb_restore_backup */
    bool done;
    char *error;
    char *data;                     /* JSON text: {"<type>": {service_id, artifact_id | restore_id, mode, data_model}} */
    int retries;
    int64_t interval_ns, timeout_ns;
    int64_t created_at, updated_at;
} job;

void job_free(job *j);
void jobs_free(job *j, size_t n);
/* NOT_FOUND `Job with ID "<id>" not found.` */
int store_job_get(db *d, const char *id, job *out, rpc_status *st);
/* The same, row locked until the end of the caller's transaction. */
int store_job_get_for_update(db *d, const char *id, job *out, rpc_status *st);
int store_job_insert(db *d, job *j, rpc_status *st);
/* done = true with error ("" for none). */
int store_job_finish(db *d, const char *id, const char *error, rpc_status *st);
/* A retry: retries - 1, done false, error kept. */
int store_job_retry(db *d, const char *id, rpc_status *st);
int store_job_set_agent(db *d, const char *id, const char *pmm_agent_id, rpc_status *st);
/* Every job not done. */
int store_job_list_running(db *d, job **out, size_t *n, rpc_status *st);
/* The newest job whose data names artifact_id / restore_id (key). */
int store_job_by_data(db *d, const char *key, const char *value, job *out, bool *found, rpc_status *st);

/* ---- job_logs -------------------------------------------------------------------- */

typedef struct {
    uint32_t chunk_id;
    char *data;
    bool last_chunk;
} log_chunk;

void log_chunks_free(log_chunk *c, size_t n);
/* Rows (chunk_id, data, last_chunk) of a log table as chunks; clears r
 * (job_logs.c, shared by dump_logs.c). */
int store_log_rows(void *pgresult, log_chunk **out, size_t *n, rpc_status *st);
/* Inserts a chunk; one already stored (a resent progress) is kept. */
int store_job_log_add(db *d, const char *job_id, uint32_t chunk_id, const char *data, bool last, rpc_status *st);
/* Chunks from offset, at most limit (0: all), by chunk_id. */
int store_job_log_list(db *d, const char *job_id, uint32_t offset, uint32_t limit, log_chunk **out, size_t *n,
                       rpc_status *st);

/* ---- restore_history ------------------------------------------------------------- */

typedef struct {
    char *id, *artifact_id, *service_id, *status;
    int64_t started_at, finished_at, pitr_timestamp; /* ms; 0 = NULL */
} restore_item;

void restore_item_free(restore_item *r);
void restore_items_free(restore_item *r, size_t n);
/* NOT_FOUND `Restore history item with ID "<id>" not found.` */
int store_restore_get(db *d, const char *id, restore_item *out, rpc_status *st);
int store_restore_list(db *d, restore_item **out, size_t *n, rpc_status *st);
int store_restore_insert(db *d, restore_item *r, rpc_status *st);
/* status; finished_at = now for success and error. */
int store_restore_set_status(db *d, const char *id, const char *status, rpc_status *st);
/* Whether a restore of a service is in progress. */
int store_restore_running_for(db *d, const char *service_id, bool *running, rpc_status *st);
/* Whether a restore of an artifact is in progress. */
int store_restore_running_for_artifact(db *d, const char *artifact_id, bool *running, rpc_status *st);
int store_restore_delete_by_artifact(db *d, const char *artifact_id, rpc_status *st);
int store_restore_delete_by_location(db *d, const char *location_id, rpc_status *st);

/* ---- scheduled_tasks --------------------------------------------------------------- */

typedef struct {
    char *id, *cron_expression, *type; /* mysql_backup | mongodb_backup */
    int64_t start_at, last_run, next_run;
    char *data;                        /* JSON text: {"<type>": {...}} (backups.md 6.1) */
    bool disabled, running;
    char *error;
    int64_t created_at, updated_at;
} sched_task;

void sched_task_free(sched_task *t);
void sched_tasks_free(sched_task *t, size_t n);
/* NOT_FOUND `ScheduledTask with ID "<id>" not found.` */
int store_task_get(db *d, const char *id, sched_task *out, rpc_status *st);
int store_task_get_for_update(db *d, const char *id, sched_task *out, rpc_status *st);
int store_task_list(db *d, sched_task **out, size_t *n, rpc_status *st);
/* ALREADY_EXISTS on a taken name (scheduled_tasks_data_name_idx). */
int store_task_insert(db *d, sched_task *t, rpc_status *st);
/* The services (except except_id) of tasks storing into a location and
 * folder, with one task id each: JSON object text {service_id: task_id}. */
int store_task_services_at(db *d, const char *location_id, const char *folder, const char *except_id, char **json,
                           rpc_status *st);
/* Writes cron_expression, start_at, data, disabled. */
int store_task_update(db *d, const sched_task *t, rpc_status *st);
int store_task_delete(db *d, const char *id, rpc_status *st);
/* After a run: running false, error, last_run and next_run. */
/* Claims the run due at due_ms (and marks the task running): *claimed is
 * false when that run, or a later one, was claimed already. */
int store_task_claim_due(db *d, const char *id, int64_t due_ms, bool *claimed, rpc_status *st);
int store_task_finish_run(db *d, const char *id, const char *error, int64_t last_run, int64_t next_run, rpc_status *st);

/* ---- service_software_versions ------------------------------------------------------ */

/* software_versions as JSON text ([{name, version}]) into *json (NULL when
 * the service has no row); *next_check_at ms. */
int store_versions_get(db *d, const char *service_id, char **json, int64_t *next_check_at, rpc_status *st);
int store_versions_put(db *d, const char *service_id, const char *service_type, const char *json,
                       int64_t next_check_at, rpc_status *st);

/* ---- dumps and dump_logs ------------------------------------------------------------ */

typedef struct {
    char *id, *status; /* in_progress | success | error */
    char **service_names;
    size_t n_service_names;
    int64_t start_time, end_time;
    bool export_qan, ignore_load;
    int64_t created_at, updated_at;
} dump_row;

void dump_row_free(dump_row *r);
void dump_rows_free(dump_row *r, size_t n);
/* NOT_FOUND `Dump with ID "<id>" not found.` */
int store_dump_get(db *d, const char *id, dump_row *out, rpc_status *st);
int store_dump_list(db *d, dump_row **out, size_t *n, rpc_status *st);
int store_dump_insert(db *d, dump_row *r, rpc_status *st);
int store_dump_set_status(db *d, const char *id, const char *status, rpc_status *st);
int store_dump_delete(db *d, const char *id, rpc_status *st);
/* Dumps left in_progress by a backupd that stopped: set to error. */
int store_dump_fail_unfinished(db *d, rpc_status *st);
int store_dump_log_add(db *d, const char *dump_id, uint32_t chunk_id, const char *data, bool last, rpc_status *st);
int store_dump_log_list(db *d, const char *dump_id, uint32_t offset, uint32_t limit, log_chunk **out, size_t *n,
                        rpc_status *st);

/* ---- helpers the store files share (store/util.c) --------------------------------------- */

/* A malloc'd copy of a column ("" for NULL). */
char *store_col(void *pgresult, int row, int col);
/* Frees each of n malloc'd string fields given as pointers. */
void store_free_strs(char **const *fields, size_t n);
/* "<ms>" as text for a timestamp parameter read by to_timestamp($n / 1000.0). */
void store_ms_param(char *buf, size_t len, int64_t ms);
/* One row of a result into *out; RPC_OK or st set. */
typedef int (*store_row_fn)(void *pgresult, int row, void *out, rpc_status *st);
/* Every row of a result (cleared) read by from_row into a malloc'd array
 * of elements of size bytes; a failed row frees those already read. */
int store_result_rows(void *pgresult, size_t size, store_row_fn from_row, void (*free_one)(void *), void **out,
                      size_t *n, rpc_status *st);
/* The one row of sql ($1 = id) read by from_row, or NOT_FOUND
 * `<what> with ID "<id>" not found.` */
int store_get_one(db *d, const char *sql, const char *id, const char *what, store_row_fn from_row, void *out,
                  rpc_status *st);
/* A statement that must touch a row, else the same NOT_FOUND. */
int store_exec_one(db *d, rpc_status *st, const char *sql, int n, const char *const *params, const char *what,
                   const char *id);
/* BEGIN ISOLATION LEVEL SERIALIZABLE (upstream's InTransactionContext
 * with sql.LevelSerializable); conflicts end in ABORTED (40001). */
int store_begin_serializable(db *d, rpc_status *st);
/* Transaction-level advisory locks on the keys (at most 8), taken in one
 * order: what backup and schedule changes that must not interleave take
 * ("folder:<location>/<folder>", "name:<artifact name>", "cluster:<..>"),
 * so that unrelated ones run side by side instead of aborting each other
 * as serializable transactions over neighbouring index pages do. */
int store_lock_keys(db *d, const char *const *keys, size_t n, rpc_status *st);
/* NOT_FOUND with upstream's `<what> with ID "<id>" not found.` */
int store_not_found(rpc_status *st, const char *what, const char *id);

#endif
