/* vm: VictoriaMetrics as configd drives it (config-rendering.md §5.1): a
 * scrape file is checked with the binary's own dry run, written atomically
 * (temporary file in the same directory, then rename), and VictoriaMetrics
 * is asked to reload it over HTTP; when the reload fails the previous file
 * is put back, so the configuration that worked keeps working. */
#ifndef CONFIGD_VM_H
#define CONFIGD_VM_H

#include <stddef.h>
#include <sys/uio.h>

#include "rpc.h"

typedef struct {
    const char *binary;       /* /usr/bin/victoria-metrics (Debian's path) */
    const char *config_path;  /* the scrape file VictoriaMetrics reads */
    const char *url;          /* base URL with the path prefix, "http://127.0.0.1:9090/prometheus/";
                                 NULL: no reload (benchmarks) */
    int check_timeout_ms;     /* the dry run; a 60 MB file takes ~10 s */
    int http_timeout_ms;
} vm_params;

/* libcurl: the process calls curl_global_init before any thread uses this. */

/* Dry run of the file at path. RPC_OK; ABORTED with upstream's text (what
 * follows "cannot unmarshal data: ") for a file VictoriaMetrics refuses;
 * INTERNAL when the binary cannot run or times out. */
int vm_check_file(const vm_params *p, const char *path, rpc_status *st);
/* Dry run of text (written to a temporary file next to the scrape file). */
int vm_check(const vm_params *p, const struct iovec *parts, int n, rpc_status *st);

/* The parts written to a new temporary file next to the scrape file, with
 * the scrape file's mode; its name into tmp. */
int vm_stage(const vm_params *p, const struct iovec *parts, int n, char *tmp, size_t tmplen, rpc_status *st);
/* A staged file checked (unless !check), renamed over the scrape file and
 * reloaded, the previous file restored when the reload fails; tmp is gone
 * afterwards whatever happens. */
int vm_install(const vm_params *p, const char *tmp, int check, rpc_status *st);

/* vm_stage + vm_install: writes the parts to the scrape file: checked first unless !check, then
 * renamed into place, then reloaded; on a failed reload the previous file
 * is restored and reloaded. The file keeps the previous file's mode (0644
 * for a new one). Returns an RPC code; on failure the previous file is in
 * place. */
int vm_apply(const vm_params *p, const struct iovec *parts, int n, int check, rpc_status *st);

/* GET <url>/-/reload (200 or 204 expected). */
int vm_reload(const vm_params *p, rpc_status *st);
/* GET <url>/health == 200. */
int vm_ready(const vm_params *p, rpc_status *st);

#endif
