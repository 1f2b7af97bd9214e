/* vmalert: the alerting rules vmalert evaluates (config-rendering.md §6).
 * The user's rules file (upstream's /srv/prometheus/rules/pmm.rules.yml)
 * is never loaded by vmalert directly: configd checks it with the real
 * `vmalert -dryRun -rule=...` and copies what passes into the directory
 * vmalert loads (`--rule=<dir>/NAME.yml`), then asks vmalert to reload over
 * HTTP (GET <url>/-/reload, 200 expected, as upstream). A file vmalert
 * refuses is logged with vmalert's reason and not applied: the rules that
 * worked keep working, and vmalert keeps running. */
#ifndef CONFIGD_VMALERT_H
#define CONFIGD_VMALERT_H

#include <stddef.h>

#include "rpc.h"

/* Upstream's name of the user's rules file, also the applied copy's. */
#define VMALERT_RULES_FILE "pmm.rules.yml"

typedef struct {
    const char *binary;      /* /usr/bin/vmalert */
    const char *user_rules;  /* the file the user edits */
    const char *rules_dir;   /* the directory vmalert loads */
    const char *url;         /* vmalert base URL, "http://127.0.0.1:8880/" */
    int timeout_ms;          /* dry run and HTTP calls (upstream: 3 s) */
} vmalert_params;

/* What the last sync saw, so an unchanged file is not checked (or its
 * refusal logged) again. Zero-initialise; vmalert_state_clear frees. */
typedef struct {
    char *seen;      /* the user file's content at the last sync, NULL: none */
    int seen_valid;  /* whether that content was applied */
    int checked;     /* a sync has run */
} vmalert_state;

void vmalert_state_clear(vmalert_state *s);

/* Runs `vmalert -loggerLevel WARN -dryRun -rule=<path>`. RPC_OK;
 * INVALID_ARGUMENT "Invalid alerting rules." (upstream's text) with
 * vmalert's own reason in detail; INTERNAL when vmalert cannot run. */
int vmalert_check_file(const vmalert_params *p, const char *path, char *detail, size_t detail_len,
                       rpc_status *st);

/* Brings <rules_dir>/pmm.rules.yml in line with the user's file: copied
 * when it passes the check, removed when the user's file is gone or empty,
 * left as it was when the check fails. Returns 1 when the applied file
 * changed (reload vmalert), 0 when nothing changed, -1 when the user's
 * file was refused or could not be applied (st says why). */
int vmalert_sync_rules(const vmalert_params *p, vmalert_state *state, rpc_status *st);

/* Puts content (a whole rules file another daemon rendered) at
 * <rules_dir>/<name>.yml once `vmalert -dryRun` accepts it; empty content
 * removes the file. RPC_OK; INVALID_ARGUMENT "Invalid alerting rules.
 * <vmalert's reason>"; INTERNAL. The caller reloads vmalert. */
int vmalert_apply_file(const vmalert_params *p, const char *name, const char *content, rpc_status *st);

/* GET <url>/-/reload; RPC_OK on 200 (or 204), an error code otherwise. */
int vmalert_reload(const vmalert_params *p, rpc_status *st);
/* GET <url>/health; RPC_OK on 200, UNAVAILABLE otherwise. */
int vmalert_ready(const vmalert_params *p, rpc_status *st);

#endif
