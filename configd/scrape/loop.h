/* loop: keeps VictoriaMetrics' scrape file in step with the
 * inventory and the settings, in a thread of its own with its own
 * PostgreSQL connection: a full update at start, on settings.changed, on
 * node and service changes and when the base file changes; an update of
 * just the named agents on agent changes. Events that arrive while an
 * update runs are merged into the next one, so a burst costs a few
 * updates, not one per event; a single change is written at once (no
 * batching delay). A failed update is retried every second. */
#ifndef CONFIGD_SCRAPE_LOOP_H
#define CONFIGD_SCRAPE_LOOP_H

#include <signal.h>

#include "db/db.h"
#include "state.h"

typedef struct {
    void *zmq_ctx;
    const char *run_dir;        /* where inventoryd.pub, agentsd.pub and configd.pub are */
    const db_params *db;
    scrape_state_config scrape;
} scrape_loop_config;

typedef struct scrape_loop scrape_loop;

/* Starts the thread; cfg and its strings must outlive it. NULL on failure. */
scrape_loop *scrape_loop_start(const scrape_loop_config *cfg);
/* Asks the thread to finish and waits for it. */
void scrape_loop_stop(scrape_loop *l);

#endif
