/* settings_env: the start-up settings step (see settings_env.h). */
#include "settings_env.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db/store/agents.h"
#include "log.h"
#include "settings_api.h"
#include "uuid.h"

int settings_env_check(const char *const *env, envvars *out)
{
    if (envvars_parse(env, out) != 0) {
        log_error("out of memory parsing the environment");
        return -1;
    }
    for (size_t i = 0; i < out->warnings.n; i++)
        log_warn("%s", out->warnings.v[i]);
    for (size_t i = 0; i < out->errors.n; i++)
        log_error("%s", out->errors.v[i]);
    if (out->errors.n)
        return -1;
    char err[1024];
    if (settings_validate(&out->params, err, sizeof err) != 0) {
        log_error("invalid argument: %s", err);
        return -1;
    }
    return 0;
}

int settings_env_apply(db *d, const envvars *e, rpc_status *st)
{
    if (db_begin(d, st) != RPC_OK)
        return st->code;
    settings s;
    int rc = settings_load_for_update(d, &s, st);
    if (rc != RPC_OK) {
        db_rollback(d);
        return rc;
    }
    if (settings_apply(&s, &e->params) != 0)
        rc = rpc_fail(st, RPC_INTERNAL, "out of memory");
    if (rc == RPC_OK && s.pmm_server_id[0] == '\0') {
        char id[UUID_STR_LEN];
        uuid_v4(id);
        free(s.pmm_server_id);
        if (!(s.pmm_server_id = strdup(id)))
            rc = rpc_fail(st, RPC_INTERNAL, "out of memory");
    }
    /* Saved even without changes: the row gets upstream's defaults. */
    if (rc == RPC_OK)
        rc = settings_save(d, &s, st);
    if (rc == RPC_OK && e->has_internal_pg_qan)
        rc = store_agents_set_internal_pg_qan(d, e->internal_pg_qan, st);
    if (rc == RPC_OK)
        rc = db_commit(d, st);
    else
        db_rollback(d);
    settings_free(&s);
    return rc;
}

struct settings_env_job {
    db *d;
    const envvars *env;
    bus_pub *pub;
    volatile sig_atomic_t *stop;
    pthread_t thread;
    bool running;
};

/* 0 when applied (and published). */
static int attempt(settings_env_job *j, bool log_failure)
{
    rpc_status st;
    if (settings_env_apply(j->d, j->env, &st) != RPC_OK) {
        if (log_failure)
            log_warn("settings from the environment not applied yet (retrying every 2s): %s", st.message);
        return -1;
    }
    log_info("settings from the environment applied");
    settings_publish_changed(j->pub, "env");
    return 0;
}

static void *retry_loop(void *arg)
{
    settings_env_job *j = arg;
    int n = 0;
    while (!*j->stop) {
        for (int i = 0; i < 20 && !*j->stop; i++)
            nanosleep(&(struct timespec){ 0, 100 * 1000 * 1000 }, NULL);
        /* Another daemon may still be creating the schema. */
        if (*j->stop || (db_migrate(j->d) == 0 && attempt(j, ++n % 30 == 0) == 0))
            break;
    }
    return NULL;
}

settings_env_job *settings_env_start(const db_params *p, const envvars *e, bus_pub *pub,
                                     volatile sig_atomic_t *stop)
{
    settings_env_job *j = calloc(1, sizeof *j);
    if (!j || !(j->d = db_new(p))) {
        free(j);
        return NULL;
    }
    j->env = e;
    j->pub = pub;
    j->stop = stop;
    if (db_migrate(j->d) == 0 && attempt(j, true) == 0)
        return j;
    if (pthread_create(&j->thread, NULL, retry_loop, j) == 0)
        j->running = true;
    else
        log_error("cannot start the settings retry thread");
    return j;
}

void settings_env_join(settings_env_job *j)
{
    if (!j)
        return;
    if (j->running)
        pthread_join(j->thread, NULL);
    db_destroy(j->d);
    free(j);
}
