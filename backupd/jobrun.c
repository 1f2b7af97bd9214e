/* jobrun: starting a job on its agent and failing it (see jobrun.h). */
#include "jobrun.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backup/v1/common.pb-c.h"
#include "google/protobuf/duration.pb-c.h"
#include "google/protobuf/timestamp.pb-c.h"
#include "jobs_client.h"
#include "log.h"
#include "metadata.h"

int jobrun_target(const job *j, job_target *t)
{
    memset(t, 0, sizeof *t);
    json_t *root = json_loads(j->data ? j->data : "", 0, NULL);
    json_t *o = json_object_get(root, j->type);
    if (!json_is_object(o)) {
        json_decref(root);
        return -1;
    }
    struct {
        const char *key;
        char *out;
        size_t len;
    } f[] = { { "service_id", t->service_id, sizeof t->service_id },
              { "artifact_id", t->artifact_id, sizeof t->artifact_id },
              { "restore_id", t->restore_id, sizeof t->restore_id },
              { "mode", t->mode, sizeof t->mode },
              { "data_model", t->data_model, sizeof t->data_model } };
    for (size_t i = 0; i < sizeof f / sizeof *f; i++) {
        const char *v = json_string_value(json_object_get(o, f[i].key));
        snprintf(f[i].out, f[i].len, "%s", v ? v : "");
    }
    json_decref(root);
    return 0;
}

char *jobrun_data(const char *type, const job_target *t)
{
    json_t *o = json_object();
    const char *keys[] = { "service_id", "artifact_id", "restore_id", "mode", "data_model" };
    const char *vals[] = { t->service_id, t->artifact_id, t->restore_id, t->mode, t->data_model };
    for (size_t i = 0; i < 5; i++)
        if (*vals[i])
            json_object_set_new(o, keys[i], json_string(vals[i]));
    json_t *root = json_pack("{s:o}", type, o);
    char *s = root ? json_dumps(root, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(root);
    return s;
}

static int data_model_enum(const char *s)
{
    return strcmp(s, "physical") == 0  ? BACKUP__V1__DATA_MODEL__DATA_MODEL_PHYSICAL
           : strcmp(s, "logical") == 0 ? BACKUP__V1__DATA_MODEL__DATA_MODEL_LOGICAL
                                       : BACKUP__V1__DATA_MODEL__DATA_MODEL_UNSPECIFIED;
}

/* The agent's location config of l (S3 or filesystem). */
typedef struct {
    Agent__V1__S3LocationConfig s3;
    Agent__V1__FilesystemLocationConfig fs;
    bool is_s3;
} agent_location;

static void agent_location_of(const location *l, agent_location *al)
{
    agent__v1__s3_location_config__init(&al->s3);
    agent__v1__filesystem_location_config__init(&al->fs);
    al->is_s3 = strcmp(l->type, "s3") == 0;
    al->s3.endpoint = l->endpoint;
    al->s3.access_key = l->access_key;
    al->s3.secret_key = l->secret_key;
    al->s3.bucket_name = l->bucket_name;
    al->s3.bucket_region = l->bucket_region;
    al->fs.path = l->path;
}

/* Sends the job with everything loaded. */
static int send_job(const job *j, const job_target *t, const artifact *a, const location *l, const restore_item *r,
                    rpc_status *st)
{
    Agent__V1__StartJobRequest req = AGENT__V1__START_JOB_REQUEST__INIT;
    Google__Protobuf__Duration timeout = GOOGLE__PROTOBUF__DURATION__INIT;
    timeout.seconds = j->timeout_ns / 1000000000;
    req.job_id = j->id;
    req.timeout = &timeout;
    agent_location al;
    agent_location_of(l, &al);
    Agent__V1__StartJobRequest__MySQLBackup mb = AGENT__V1__START_JOB_REQUEST__MY_SQLBACKUP__INIT;
    Agent__V1__StartJobRequest__MySQLRestoreBackup mr = AGENT__V1__START_JOB_REQUEST__MY_SQLRESTORE_BACKUP__INIT;
    Agent__V1__StartJobRequest__MongoDBBackup gb = AGENT__V1__START_JOB_REQUEST__MONGO_DBBACKUP__INIT;
    Agent__V1__StartJobRequest__MongoDBRestoreBackup gr = AGENT__V1__START_JOB_REQUEST__MONGO_DBRESTORE_BACKUP__INIT;
    Backup__V1__PbmMetadata pbm = BACKUP__V1__PBM_METADATA__INIT;
    Google__Protobuf__Timestamp pitr = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
    char pbm_name[512];
    /* newer agents take the folder only when the artifact has metadata (backups.md 8.4) */
    bool has_meta = a->metadata_list && strcmp(a->metadata_list, "[]") != 0;
    if (strcmp(j->type, "mysql_backup") == 0) {
        if (!al.is_s3)
            return rpc_fail(st, RPC_FAILED_PRECONDITION, "the only supported location type for mySQL is S3");
        mb.name = a->name;
        mb.folder = a->folder;
        mb.location_config_case = AGENT__V1__START_JOB_REQUEST__MY_SQLBACKUP__LOCATION_CONFIG_S3_CONFIG;
        mb.s3_config = &al.s3;
        req.job_case = AGENT__V1__START_JOB_REQUEST__JOB_MYSQL_BACKUP;
        req.mysql_backup = &mb;
    } else if (strcmp(j->type, "mongodb_backup") == 0) {
        gb.name = a->name;
        gb.folder = a->folder;
        gb.enable_pitr = strcmp(a->mode, "pitr") == 0;
        gb.data_model = data_model_enum(a->data_model);
        if (al.is_s3)
            gb.location_config_case = AGENT__V1__START_JOB_REQUEST__MONGO_DBBACKUP__LOCATION_CONFIG_S3_CONFIG,
            gb.s3_config = &al.s3;
        else
            gb.location_config_case = AGENT__V1__START_JOB_REQUEST__MONGO_DBBACKUP__LOCATION_CONFIG_FILESYSTEM_CONFIG,
            gb.filesystem_config = &al.fs;
        req.job_case = AGENT__V1__START_JOB_REQUEST__JOB_MONGODB_BACKUP;
        req.mongodb_backup = &gb;
    } else if (strcmp(j->type, "mysql_restore_backup") == 0) {
        mr.service_id = (char *)t->service_id;
        mr.name = a->name;
        mr.folder = has_meta ? a->folder : "";
        mr.location_config_case = AGENT__V1__START_JOB_REQUEST__MY_SQLRESTORE_BACKUP__LOCATION_CONFIG_S3_CONFIG;
        mr.s3_config = &al.s3;
        req.job_case = AGENT__V1__START_JOB_REQUEST__JOB_MYSQL_RESTORE_BACKUP;
        req.mysql_restore_backup = &mr;
    } else if (strcmp(j->type, "mongodb_restore_backup") == 0) {
        gr.name = a->name;
        gr.folder = has_meta ? a->folder : "";
        metadata_pbm_name(a->metadata_list, pbm_name, sizeof pbm_name);
        if (*pbm_name) {
            pbm.name = pbm_name;
            gr.pbm_metadata = &pbm;
        }
        if (r && r->pitr_timestamp) {
            pitr.seconds = r->pitr_timestamp / 1000;
            gr.pitr_timestamp = &pitr;
        }
        if (al.is_s3)
            gr.location_config_case = AGENT__V1__START_JOB_REQUEST__MONGO_DBRESTORE_BACKUP__LOCATION_CONFIG_S3_CONFIG,
            gr.s3_config = &al.s3;
        else
            gr.location_config_case =
                AGENT__V1__START_JOB_REQUEST__MONGO_DBRESTORE_BACKUP__LOCATION_CONFIG_FILESYSTEM_CONFIG,
            gr.filesystem_config = &al.fs;
        req.job_case = AGENT__V1__START_JOB_REQUEST__JOB_MONGODB_RESTORE_BACKUP;
        req.mongodb_restore_backup = &gr;
    } else {
        return rpc_fail(st, RPC_INTERNAL, "unknown job type %s", j->type);
    }
    return jc_start_job(j->pmm_agent_id, t->service_id, &req, st);
}

int jobrun_start(db *d, const job *j, rpc_status *st)
{
    job_target t;
    if (jobrun_target(j, &t) != 0)
        return rpc_fail(st, RPC_INTERNAL, "job %s has no readable data", j->id);
    restore_item r = { 0 };
    artifact a = { 0 };
    location l = { 0 };
    bool restore = *t.restore_id != '\0';
    if (restore && store_restore_get(d, t.restore_id, &r, st))
        return st->code;
    const char *artifact_id = restore ? r.artifact_id : t.artifact_id;
    if (store_artifact_get(d, artifact_id, &a, st) == RPC_OK && store_location_get(d, a.location_id, &l, st) == RPC_OK)
        send_job(j, &t, &a, &l, restore ? &r : NULL, st);
    location_free(&l);
    artifact_free(&a);
    restore_item_free(&r);
    return st->code;
}

int jobrun_start_with(const job *j, const artifact *a, const location *l, rpc_status *st)
{
    job_target t;
    if (jobrun_target(j, &t) != 0)
        return rpc_fail(st, RPC_INTERNAL, "job %s has no readable data", j->id);
    return send_job(j, &t, a, l, NULL, st);
}

int jobrun_set_artifact_status(db *d, const job *j, const char *status, rpc_status *st)
{
    job_target t;
    if (jobrun_target(j, &t) != 0 || !*t.artifact_id)
        return RPC_OK;
    return store_artifact_set_status(d, t.artifact_id, status, st);
}

int jobrun_fail(db *d, const char *job_id, const char *reason, rpc_status *st)
{
    job j = { 0 };
    if (db_begin(d, st))
        return st->code;
    if (store_job_get_for_update(d, job_id, &j, st) == RPC_OK && !j.done) {
        job_target t;
        if (store_job_finish(d, job_id, reason, st) == RPC_OK && jobrun_target(&j, &t) == 0) {
            if (*t.artifact_id)
                store_artifact_set_status(d, t.artifact_id, "error", st);
            else if (*t.restore_id)
                store_restore_set_status(d, t.restore_id, "error", st);
        }
    }
    job_free(&j);
    if (st->code != RPC_OK || db_commit(d, st) != RPC_OK) {
        db_rollback(d);
        return st->code;
    }
    log_warn("job %s failed: %s", job_id, reason);
    return RPC_OK;
}
