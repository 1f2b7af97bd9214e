/* state: the scrape file as configd keeps it between updates: the
 * rendered jobs of every agent, in file order, so that a change to a few
 * agents re-reads and re-renders only those, checks only their jobs with
 * VictoriaMetrics' dry run and writes the file from the parts. A full
 * update (start, settings, base configuration, nodes and services)
 * renders and checks everything. */
#ifndef CONFIGD_SCRAPE_STATE_H
#define CONFIGD_SCRAPE_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

#include "db/db.h"
#include "configd/vm.h"

typedef struct {
    vm_params vm;               /* vm.url NULL: no reload (benchmarks) */
    const char *base_path;      /* prometheus.base.yml; missing = empty */
    const char *vmalert_url;
    const char *managed_target;
} scrape_state_config;

typedef struct scrape_state scrape_state;

/* cfg's strings are borrowed and must outlive the state. */
scrape_state *scrape_state_new(const scrape_state_config *cfg);
void scrape_state_destroy(scrape_state *s);

/* Everything from the database; the file is checked, written and
 * reloaded. Returns an RPC code; on failure the previous file stays. */
int scrape_state_full(scrape_state *s, db *d, rpc_status *st);
/* Only the agents in ids and those of the pmm-agents in ids. Does a full
 * update when there has been none yet. */
int scrape_state_agents(scrape_state *s, db *d, const char *const *ids, size_t n, rpc_status *st);

/* Whether the base file changed (mtime, size, inode) since the last full
 * update. */
bool scrape_state_base_changed(const scrape_state *s);
/* The base file's text into *text (malloc'd; NULL when there is none)
 * and its stat into *sb. Returns an RPC code. */
int scrape_state_read_base(const char *path, char **text, struct stat *sb, rpc_status *st);
/* Jobs in the last file written, and its size. */
void scrape_state_stats(const scrape_state *s, size_t *agents, size_t *bytes);

#endif
