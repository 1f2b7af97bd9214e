/* backups: PerformBackup (see backups.h). */
#include "backups.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "compat.h"
#include "db/store/ha_fence.h"
#include "jobrun.h"
#include "log.h"
#include "metadata.h"
#include "preconditions.h"
#include "store/store.h"
#include "versions.h"

/* upstream retries its serializable transaction 30 times with rand(100)*i
 * ms of jitter; here the transaction takes advisory locks on what it
 * checks (backup_lock_keys), so only a deadlock (none expected: one lock
 * order) would need a retry */
#define TX_ATTEMPTS 30

/* The vendor rules that do not need the database. */
static int vendor_rules(const store_service_rec *svc, const location *l, const backup_params *p, rpc_status *st)
{
    if (strcmp(svc->service_type, "mysql") == 0) {
        if (strcmp(p->data_model, "physical") != 0)
            return rpc_fail(st, RPC_INVALID_ARGUMENT,
                            "the only supported data model for mySQL is physical: the specified backup model is not "
                            "compatible with other parameters");
        if (strcmp(l->type, "s3") != 0)
            return rpc_fail(st, RPC_FAILED_PRECONDITION,
                            "the only supported location type for mySQL is S3: the specified location type is not "
                            "compatible with other parameters");
        if (strcmp(p->mode, "snapshot") != 0)
            return rpc_fail(st, RPC_INVALID_ARGUMENT,
                            "the only supported backup mode for mySQL is snapshot: artifact backup mode is not "
                            "compatible with other parameters");
        return RPC_OK;
    }
    if (strcmp(svc->service_type, "mongodb") == 0) {
        if (strcmp(p->mode, "pitr") == 0 && strcmp(p->data_model, "logical") != 0)
            return rpc_fail(st, RPC_INVALID_ARGUMENT,
                            "PITR is only supported for logical backups: the specified backup model is not compatible "
                            "with other parameters");
        if (strcmp(p->mode, "snapshot") != 0 && strcmp(p->mode, "pitr") != 0)
            return rpc_fail(st, RPC_INVALID_ARGUMENT,
                            "unsupported backup mode for mongoDB: %s: artifact backup mode is not compatible with other "
                            "parameters",
                            p->mode);
        return RPC_OK;
    }
    return rpc_fail(st, RPC_UNIMPLEMENTED, "Unimplemented service: %s", svc->service_type);
}

/* The pmm-agent version a job of this kind needs (agents/jobs.go). */
static int agent_supports(const store_service_rec *svc, const location *l, const backup_params *p,
                          const store_pmm_agent_ref *agent, rpc_status *st)
{
    if (strcmp(svc->service_type, "mysql") == 0)
        return compat_agent_min("mysql backup", agent->id, agent->version, "2.23", st);
    if (strcmp(l->type, "filesystem") == 0 &&
        compat_agent_min("backup to client local storage", agent->id, agent->version, "2.32.0", st))
        return st->code;
    if (strcmp(p->data_model, "physical") == 0)
        return compat_agent_min("mongodb physical backup", agent->id, agent->version, "2.31.0-0", st);
    return compat_agent_min("mongodb backup", agent->id, agent->version, "2.19", st);
}

int backup_lock_keys(db *d, const char *location_id, const char *folder, const char *name,
                     const store_service_rec *svc, rpc_status *st)
{
    char k1[2048], k2[1024], k3[512];
    snprintf(k1, sizeof k1, "folder:%s/%s", location_id, folder ? folder : "");
    snprintf(k2, sizeof k2, "name:%s", name ? name : "");
    bool mongo = strcmp(svc->service_type, "mongodb") == 0;
    snprintf(k3, sizeof k3, "cluster:%s", *svc->cluster ? svc->cluster : svc->service_id);
    const char *keys[] = { k1, k2, k3 };
    return store_lock_keys(d, keys, mongo ? 3 : 2, st);
}

/* The rows, in the caller's transaction. */
static int create_rows(db *d, const backup_params *p, const store_service_rec *svc, const char *name,
                       const char *db_version, const char *pmm_agent_id, artifact *a, job *j, rpc_status *st)
{
    if (p->due_ms && p->schedule_id && *p->schedule_id) {
        bool claimed = false;
        if (leader_fence(d, p->term, NULL, st) ||
            store_task_claim_due(d, p->schedule_id, p->due_ms, &claimed, st)) {
            if (st->code == RPC_FAILED_PRECONDITION && p->skipped)
                *p->skipped = true;
            return st->code;
        }
        if (!claimed) {
            if (p->skipped)
                *p->skipped = true;
            return rpc_fail(st, RPC_ALREADY_EXISTS, "the run of task %s due at %lld ms was already made",
                            p->schedule_id, (long long)p->due_ms);
        }
    }
    if (backup_lock_keys(d, p->location_id, p->folder, name, svc, st) ||
        pre_check_overlap(d, svc, p->location_id, p->folder, st))
        return st->code;
    bool mongo = strcmp(svc->service_type, "mongodb") == 0;
    if (mongo && pre_check_mongodb(d, p->mode, svc->cluster, svc->service_id, p->schedule_id, st))
        return st->code;
    artifact existing;
    bool found = false;
    if (store_artifact_by_name(d, name, &existing, &found, st))
        return st->code;
    if (found && mongo && strcmp(p->mode, "pitr") == 0) {
        /* a PITR schedule keeps one artifact: it is reused, back to pending */
        a->id = existing.id;
        existing.id = NULL;
        artifact_free(&existing);
        if (store_artifact_set_status(d, a->id, "pending", st))
            return st->code;
    } else if (found) {
        artifact_free(&existing);
        char q[1024];
        rpc_quote(q, sizeof q, name);
        return rpc_fail(st, RPC_ALREADY_EXISTS, "Artifact with name %s already exists.", q);
    } else {
        a->name = strdup(name);
        a->vendor = strdup(svc->service_type);
        a->location_id = strdup(p->location_id);
        a->service_id = strdup(p->service_id);
        a->data_model = strdup(p->data_model);
        a->status = strdup("pending");
        a->type = strdup(p->schedule_id && *p->schedule_id ? "scheduled" : "on_demand");
        a->schedule_id = strdup(p->schedule_id ? p->schedule_id : "");
        a->db_version = strdup(db_version);
        a->mode = strdup(p->mode);
        a->folder = strdup(p->folder ? p->folder : "");
        if (!a->name || !a->vendor || !a->location_id || !a->service_id || !a->data_model || !a->status || !a->type ||
            !a->schedule_id || !a->db_version || !a->mode || !a->folder)
            return rpc_fail(st, RPC_INTERNAL, "out of memory");
        if (store_artifact_insert(d, a, st))
            return st->code;
    }
    job_target t = { 0 };
    snprintf(t.service_id, sizeof t.service_id, "%s", p->service_id);
    snprintf(t.artifact_id, sizeof t.artifact_id, "%s", a->id);
    if (mongo) {
        snprintf(t.mode, sizeof t.mode, "%s", p->mode);
        snprintf(t.data_model, sizeof t.data_model, "%s", p->data_model);
    }
    j->type = strdup(mongo ? "mongodb_backup" : "mysql_backup");
    j->pmm_agent_id = strdup(pmm_agent_id);
    j->data = jobrun_data(j->type, &t);
    j->retries = (int)p->retries;
    j->interval_ns = p->retry_interval_ns;
    if (!j->type || !j->pmm_agent_id || !j->data)
        return rpc_fail(st, RPC_INTERNAL, "out of memory");
    return store_job_insert(d, j, st);
}

int backup_perform(dbhold *h, const backup_params *p, char artifact_id[UUID_STR_LEN], int *err_code, rpc_status *st)
{
    db *d = dbhold_db(h);
    *err_code = 0;
    store_service_rec svc = { 0 };
    location l = { 0 };
    store_pmm_agent_ref *agents = NULL;
    size_t n_agents = 0;
    artifact a = { 0 };
    job j = { 0 };
    char db_version[128] = "", name[1024];
    if (store_services_get_rec(d, p->service_id, &svc, st) || store_location_get(d, p->location_id, &l, st) ||
        vendor_rules(&svc, &l, p, st) || store_agents_pmm_agent_refs_of_service(d, p->service_id, &agents, &n_agents, st))
        goto out;
    if (!n_agents) {
        rpc_fail(st, RPC_FAILED_PRECONDITION, "pmm-agent not found for service %s", p->service_id);
        goto out;
    }
    /* the agent's answer is awaited without holding a pooled connection */
    if (versions_check(h, &svc, agents[0].id, agents[0].version, db_version, sizeof db_version, err_code, st))
        goto out;
    d = dbhold_db(h);
    const char *base = p->name && *p->name ? p->name : svc.service_name;
    if (strcmp(p->mode, "snapshot") == 0) {
        char ts[64];
        metadata_format_rfc3339((long long)time(NULL), ts, sizeof ts);
        snprintf(name, sizeof name, "%s_%s", base, ts);
    } else {
        snprintf(name, sizeof name, "%s", base);
    }
    for (int attempt = 1; attempt <= TX_ATTEMPTS; attempt++) {
        artifact_free(&a);
        job_free(&j);
        st->code = RPC_OK;
        if (db_begin(d, st) == RPC_OK &&
            create_rows(d, p, &svc, name, db_version, agents[0].id, &a, &j, st) == RPC_OK &&
            db_commit(d, st) == RPC_OK)
            break;
        db_rollback(d);
        if (st->code != RPC_ABORTED || attempt == TX_ATTEMPTS)
            goto out;
        log_debug("backup of service %s: serialization conflict, attempt %d", p->service_id, attempt + 1);
        struct timespec ts = { 0, (long)(rand() % 100) * attempt * 1000000L };
        nanosleep(&ts, NULL);
    }
    snprintf(artifact_id, UUID_STR_LEN, "%s", a.id);
    rpc_status fst = { 0 };
    /* a reused PITR artifact was not read whole: jobrun_start reads it;
     * otherwise nothing is read, and a pooled connection goes back while
     * the agent answers */
    if (a.name)
        dbhold_release(h);
    if (agent_supports(&svc, &l, p, &agents[0], st) ||
        (a.name ? jobrun_start_with(&j, &a, &l, st) : jobrun_start(d, &j, st))) {
        /* never left pending: the artifact shows why it did not start */
        jobrun_fail(dbhold_db(h), j.id, st->message, &fst);
        goto out;
    }
    d = dbhold_db(h);
    bool changed;
    store_artifact_set_status_if(d, a.id, "pending", "in_progress", &changed, &fst);
    log_info("backup %s of service %s started (job %s on %s)", a.id, p->service_id, j.id, j.pmm_agent_id);
out:
    artifact_free(&a);
    job_free(&j);
    store_pmm_agent_refs_free(agents, n_agents);
    location_free(&l);
    store_service_rec_free(&svc);
    return st->code;
}
