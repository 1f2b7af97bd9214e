/* alertmanager: the configuration of the suite's Alertmanager (Debian's
 * prometheus-alertmanager, which vmalert notifies): the user's base file
 * (upstream PMM 2's /srv/alertmanager/alertmanager.base.yml) when there is
 * one, otherwise a default with one receiver that keeps the alerts for the
 * API and UI; checked with `amtool check-config` before it replaces the
 * file Alertmanager reads, then Alertmanager is reloaded. */
#ifndef CONFIGD_ALERTMANAGER_H
#define CONFIGD_ALERTMANAGER_H

#include "rpc.h"

typedef struct {
    const char *url;         /* Alertmanager's base URL; "" : not run */
    const char *config;      /* the file it reads (--config.file) */
    const char *base_config; /* the user's file */
    const char *amtool;      /* /usr/bin/amtool */
    int timeout_ms;
} alertmanager_params;

/* The content for the file: the base file's, or the default. malloc'd;
 * NULL with st on a read error. */
char *alertmanager_render_config(const alertmanager_params *p, rpc_status *st);

/* Writes the config when it changed and amtool accepts it, then POSTs
 * /-/reload (a failure to reload is logged: Alertmanager reads the file
 * when it starts). 1 written, 0 unchanged, -1 refused or failed (st). */
int alertmanager_sync(const alertmanager_params *p, rpc_status *st);

#endif
