/* updater: where configd learns of newer PMM Server releases, and the
 * cached answer, as upstream's updater does (managed/services/server/
 * updater.go): the air-gapped JSON file if it exists, else the image named
 * by PMM_DEV_UPDATE_DOCKER_IMAGE, else Percona's version service
 * (<address>/metadata/v2/pmm-server and /release-notes/v1/pmm/<version>).
 * A successful check is kept for upstream's 24 h + 10 min and then made
 * again on demand; a failed one keeps the previous result and its time.
 * Upstream also checks once a day in the background: this one checks
 * only when asked, so a server that is never asked never goes online.
 * Thread-safe. */
#ifndef CONFIGD_UPDATER_H
#define CONFIGD_UPDATER_H

#include <stdbool.h>
#include <stdint.h>

#include "rpc.h"
#include "update_source.h"

/* upstream's updateCheckInterval + 10 minutes */
#define UPDATER_FRESH_NS ((INT64_C(86400) + 600) * 1000000000)

typedef struct {
    const char *version_file;      /* the air-gapped file; NULL or "" = none */
    const char *platform_address;  /* version service base URL, no trailing '/' */
    const char *dev_image;         /* PMM_DEV_UPDATE_DOCKER_IMAGE; NULL or "" = none */
    const char *dev_repo;          /* PMM_DEV_UPDATE_DOCKER_REPO; NULL or "" = percona/pmm-server */
    long timeout_ms;               /* each HTTP request */
    int64_t (*now_ns)(void);       /* wall clock in ns; NULL = the real one (tests move it) */
} updater_config;

typedef struct updater updater;

/* Copies the configuration; NULL on ENOMEM. */
updater *updater_new(const updater_config *c);
void updater_free(updater *u);

/* What latest() says. */
enum { UPDATER_OK = 0, UPDATER_DISABLED = 1, UPDATER_FAILED = -1 };

/* upstream's latest(): UPDATER_DISABLED when the settings turn updates off
 * (enabled false); UPDATER_FAILED with upstream's wrapped reason in err;
 * UPDATER_OK with *have_latest (false when the version service lists no
 * version) and, from the version service only, *updates. updates may be
 * NULL. */
int updater_latest(updater *u, bool enabled, update_list *updates, update_info *latest, bool *have_latest,
                   char *err, size_t errlen);

/* upstream's check(): latest() into the cache. RPC_OK; FAILED_PRECONDITION
 * "PMM updates are disabled"; UNKNOWN "failed to get latest version: ..." */
int updater_check(updater *u, bool enabled, rpc_status *st);

/* upstream's checkResult(): checks first when the kept result is older
 * than UPDATER_FRESH_NS (or there is none), then copies it: *have false
 * when there is none; *last_check_ns 0 when no check ever succeeded. */
int updater_result(updater *u, bool enabled, update_info *latest, bool *have, int64_t *last_check_ns);

#endif
