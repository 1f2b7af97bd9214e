/* dumper: the dumps themselves, built natively instead of upstream's
 * pmm-dump: one thread with its own PostgreSQL connection exports the
 * selected services' metrics for the time range from VictoriaMetrics
 * (/api/v1/export, JSON lines, streamed to a file) and writes
 * <var-dir>/dumps/<id>.tar.gz holding meta.json, inventory.json (the
 * services, no credentials) and vm/export.jsonl; its progress goes to
 * dump_logs and its end to the dump's status. One dump runs at a time, as
 * upstream's. Dumps a killed backupd left in progress are set to error at
 * start. */
#ifndef BACKUPD_DUMPER_H
#define BACKUPD_DUMPER_H

#include <stdbool.h>
#include <stddef.h>

#include "app.h"
#include "rpc.h"
#include "store/store.h"

int dumper_start(app *a);
void dumper_stop(app *a);

/* Hands a dump (its row already committed) to the thread;
 * FAILED_PRECONDITION "Dump process is already running." when one runs. */
int dumper_submit(app *a, const dump_row *r, rpc_status *st);
/* Whether the dump is the one running. */
bool dumper_running(app *a, const char *dump_id);
/* Reserves the dumper before the row is written (StartDump): false when busy. */
bool dumper_reserve(app *a);
void dumper_release(app *a);
/* <var-dir>/dumps/<id>.tar.gz into out. */
void dumper_path(app *a, const char *dump_id, char *out, size_t len);

#endif
