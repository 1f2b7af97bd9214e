/* supervisor_loop: configd's thread that keeps the bundled tools'
 * supervisord programs and vmalert's rules current: the program files are
 * rendered from the settings at start, on every settings.changed event
 * (configd's PUB endpoint) and every minute (events are hints, the
 * database is the truth); the user's rules file is checked every few
 * seconds and vmalert reloaded when what it loads changed. */
#ifndef CONFIGD_SUPERVISOR_LOOP_H
#define CONFIGD_SUPERVISOR_LOOP_H

#include <stdbool.h>

#include "db/db.h"
#include "supervisor.h"
#include "supervisor_programs.h"
#include "vmalert.h"
#include "alertmanager.h"

typedef struct {
    void *zmq_ctx;
    const char *run_dir;        /* configd's PUB endpoint is here */
    const db_params *db;
    supervisor sup;
    programs_params programs;
    bool victoriametrics;       /* render its program (false: external VictoriaMetrics) */
    vmalert_params vmalert;
    alertmanager_params alertmanager; /* url "" : none */
    int rules_interval_ms;      /* how often the user's rules file is looked at */
} supervisor_loop_config;

typedef struct supervisor_loop supervisor_loop;

/* Starts the thread; cfg and everything it points to must outlive it. */
supervisor_loop *supervisor_loop_start(const supervisor_loop_config *cfg);
/* Stops and joins the thread; NULL is fine. */
void supervisor_loop_stop(supervisor_loop *l);

#endif
