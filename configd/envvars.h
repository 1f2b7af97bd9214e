/* envvars: upstream's PMM_* environment parser (managed/utils/envvars
 * parser.go, reference config-rendering.md section 3) as a pure function:
 * an environment array in, the settings it applies plus error and warning
 * texts out. Names are upper-cased and values lower-cased before parsing;
 * booleans follow Go's ParseBool, durations Go's ParseDuration. Errors
 * are fatal at start (upstream exits); warnings are only logged. */
#ifndef CONFIGD_ENVVARS_H
#define CONFIGD_ENVVARS_H

#include <stdbool.h>
#include <stddef.h>

#include "db/settings.h"

typedef struct {
    /* What the environment sets; params points into the storage below. */
    settings_params params;
    bool updates, telemetry, vm_cache, alerting, azure_discover, backup_management, access_control;
    char *pmm_public_address;
    /* Not part of the settings document: the internal PostgreSQL QAN agent
     * and Nomad (an optional feature: validated, not applied). */
    bool has_internal_pg_qan, internal_pg_qan;
    bool has_nomad, nomad;
    settings_strings errors;
    settings_strings warnings;
} envvars;

/* env: NAME=value strings, NULL-terminated (like environ). Never fails
 * except on ENOMEM (-1); bad values end up in out->errors. */
int envvars_parse(const char *const *env, envvars *out);
void envvars_free(envvars *e);

/* The newer upstream checkVMAgentRemoteWriteOverride: the VMAGENT_*
 * variables (names case-sensitive, as vmagent reads them) PMM Server would
 * pass to every vmagent; empty ones, half a basic-auth pair and a custom
 * remote-write URL without credentials are warnings, an unparsable URL an
 * error. Appends to errors/warnings; -1 only on ENOMEM. */
int envvars_check_vmagent(const char *const *env, settings_strings *errors, settings_strings *warnings);

/* Go's strconv.ParseBool; 0 or -1. */
int envvars_parse_bool(const char *s, bool *out);
/* Go's time.ParseDuration; 0 or -1 (syntax, unknown unit, overflow). */
int envvars_parse_duration(const char *s, int64_t *out_ns);

#endif
