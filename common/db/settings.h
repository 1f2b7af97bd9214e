/* settings: the PMM Server settings model shared by the daemons. The
 * settings live in the single row of table `settings` (column `settings
 * JSONB`) under upstream's key names (reference/schema.md section 6,
 * managed/models/settings.go), so a database written by upstream
 * pmm-managed reads the same and the other way round. Loading fills
 * upstream's defaults for missing keys; saving writes the known keys and
 * keeps every key this model does not know (nomad, otel, adre, ...).
 * Durations are nanoseconds, as Go's time.Duration stores them. */
#ifndef PMM_SETTINGS_H
#define PMM_SETTINGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "db/db.h"
#include "rpc.h"

#define SETTINGS_NS_PER_SEC INT64_C(1000000000)
#define SETTINGS_NS_PER_DAY (INT64_C(86400) * SETTINGS_NS_PER_SEC)

/* Upstream's defaults (models/settings.go fillDefaults). */
#define SETTINGS_DEFAULT_HR (5 * SETTINGS_NS_PER_SEC)
#define SETTINGS_DEFAULT_MR (10 * SETTINGS_NS_PER_SEC)
#define SETTINGS_DEFAULT_LR (60 * SETTINGS_NS_PER_SEC)
#define SETTINGS_DEFAULT_DATA_RETENTION (30 * SETTINGS_NS_PER_DAY)
#define SETTINGS_DEFAULT_STANDARD_INTERVAL (24 * 3600 * SETTINGS_NS_PER_SEC)
#define SETTINGS_DEFAULT_RARE_INTERVAL (78 * 3600 * SETTINGS_NS_PER_SEC)
#define SETTINGS_DEFAULT_FREQUENT_INTERVAL (4 * 3600 * SETTINGS_NS_PER_SEC)
#define SETTINGS_DEFAULT_SNOOZE_DURATION (7 * SETTINGS_NS_PER_DAY)

typedef struct {
    int64_t hr, mr, lr; /* scrape intervals, ns */
} settings_resolutions;

typedef struct {
    int64_t standard_interval, rare_interval, frequent_interval; /* ns */
} settings_advisor_intervals;

typedef struct {
    size_t n;
    char **v;
} settings_strings;

/* Every setting, defaults applied. Owned strings; settings_free. */
typedef struct {
    char *pmm_public_address;              /* "pmm_public_address" */
    bool updates_enabled;                  /* "updates": {"enabled", */
    int64_t updates_snooze_duration;       /*             "snooze_duration"} */
    bool telemetry_enabled;                /* "telemetry": {"enabled", */
    char *telemetry_uuid;                  /*               "uuid"} */
    settings_resolutions metrics_resolutions;
    int64_t data_retention;                /* ns, whole days */
    settings_strings aws_partitions;       /* default ["aws"] */
    bool aws_instance_checked;
    char *ssh_key;
    bool vm_cache_enabled;                 /* "victoria_metrics": {"cache_enabled"} */
    bool advisors_enabled;                 /* "sass": {"enabled", */
    settings_strings disabled_advisors;    /*          "disabled_advisors", */
    settings_advisor_intervals advisor_run_intervals; /* "advisor_run_intervals"} */
    bool alerting_enabled;                 /* "alerting": {"enabled"} */
    bool azure_discover_enabled;           /* "azure": {"enabled"} */
    bool backup_management_enabled;        /* "backup_management": {"enabled"} */
    char *pmm_server_id;                   /* "pmmServerID" */
    int64_t default_role_id;               /* "default_role_id" */
    bool access_control_enabled;           /* "access_control": {"enabled"} */
    settings_strings encrypted_items;      /* "encrypted_items" */
} settings;

/* A change: NULL pointers and zero durations mean "keep" (upstream's
 * ChangeSettingsParams). aws_partitions: NULL keeps, an empty list resets
 * to the default. Pointers are borrowed. */
typedef struct {
    const bool *enable_updates;
    int64_t update_snooze_duration;
    const bool *enable_telemetry;
    settings_resolutions metrics_resolutions;
    int64_t data_retention;
    const settings_strings *aws_partitions;
    const char *ssh_key;
    const bool *enable_advisors;
    settings_advisor_intervals advisor_run_intervals;
    const bool *enable_azure_discover;
    const bool *enable_alerting;
    const bool *enable_access_control;
    const bool *enable_vm_cache;
    const char *pmm_public_address;
    const bool *enable_backup_management;
    const bool *aws_instance_checked;   /* not an API setting: AWSInstanceCheck's result */
} settings_params;

void settings_strings_free(settings_strings *l);
/* Appends a copy of s; 0 or -1 on ENOMEM. */
int settings_strings_push(settings_strings *l, const char *s);

/* The defaults of an empty settings document. */
void settings_defaults(settings *s);
void settings_free(settings *s);

/* Parses a settings document (JSON text) and fills defaults for missing
 * keys. Returns 0, or -1 with err set (not a JSON object, wrong types). */
int settings_from_json(const char *json, settings *out, char *err, size_t errlen);
/* Writes the known keys of s over the document `base` (NULL or "" for
 * "{}"), keeping the other keys; malloc'd compact JSON, NULL on ENOMEM or
 * when base is not a JSON object. */
char *settings_to_json(const settings *s, const char *base);

/* Reads the settings row. Returns an RPC code (INTERNAL when the row is
 * missing or unreadable, UNAVAILABLE without PostgreSQL); *out is filled
 * only on RPC_OK. */
int settings_load(db *d, settings *out, rpc_status *st);
/* As settings_load, with the row locked (SELECT ... FOR UPDATE): call it
 * inside db_begin/db_commit before settings_save. */
int settings_load_for_update(db *d, settings *out, rpc_status *st);
/* Writes s into the row, keeping unknown keys; inside the caller's
 * transaction (after settings_load_for_update). Returns an RPC code. */
int settings_save(db *d, const settings *s, rpc_status *st);
/* Whether the row's nomad.enabled is true (nomad is not in the settings
 * model: an optional upstream feature whose key is kept in the row). */
int settings_nomad_enabled(db *d, bool *enabled, rpc_status *st);

/* Upstream's ValidateSettings: 0, or -1 with the message (no "Invalid
 * argument" prefix), e.g. "hr: minimal resolution is 1s". */
int settings_validate(const settings_params *p, char *err, size_t errlen);
/* Applies a validated change to s (upstream's UpdateSettings without the
 * database): disabling telemetry forgets its uuid, aws partitions are
 * deduplicated. Returns 0 or -1 on ENOMEM. */
int settings_apply(settings *s, const settings_params *p);

/* In one transaction: load for update, validate (INVALID_ARGUMENT
 * "Invalid argument: <msg>."), apply, save. *out (may be NULL) gets the
 * new settings on RPC_OK. */
int settings_update(db *d, const settings_params *p, settings *out, rpc_status *st);

/* Go's time.Duration String(): "5s", "1m0s", "1.5s", "500ms", "0s". */
void settings_duration_str(int64_t ns, char *out, size_t outlen);

#endif
