/* settings_env: configd's start-up settings step (upstream's setup():
 * UpdateSettingsFromEnv and SetPMMServerID): the PMM_* environment is
 * checked before anything else, then applied to the settings row in one
 * transaction together with upstream's defaults and the server id. While
 * PostgreSQL is not reachable the step is retried every 2 s in the
 * background, as upstream retries its setup. */
#ifndef CONFIGD_SETTINGS_ENV_H
#define CONFIGD_SETTINGS_ENV_H

#include <signal.h>

#include "bus/bus.h"
#include "db/db.h"
#include "envvars.h"

/* Parses env into *out, logs the warnings, and logs each error; returns
 * -1 when the process must not start (bad values, or values the settings
 * validation refuses: "invalid argument: hr: minimal resolution is 1s"). */
int settings_env_check(const char *const *env, envvars *out);

/* One application of *e to the database; 0, or an RPC code (st set). */
int settings_env_apply(db *d, const envvars *e, rpc_status *st);

typedef struct settings_env_job settings_env_job;
/* Applies *e now, or keeps retrying in a thread until it succeeds or
 * *stop; publishes settings.changed on success. NULL only on ENOMEM. */
settings_env_job *settings_env_start(const db_params *p, const envvars *e, bus_pub *pub,
                                     volatile sig_atomic_t *stop);
/* Waits for the retry thread (it ends on *stop) and frees the job. */
void settings_env_join(settings_env_job *j);

#endif
