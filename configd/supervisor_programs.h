/* supervisor_programs: the program files configd renders for the bundled
 * tools that Debian ships (config-rendering.md §7.2): victoriametrics and
 * vmalert, as upstream's templates with Debian's binaries and this
 * suite's paths. Upstream's other programs are not rendered: vmproxy and
 * qan-api2 are Percona binaries with no Debian package, Grafana is not in
 * Debian, nomad-server is optional and has no Debian 12 package, and
 * aichat-backend is experimental (§0: do not generate). */
#ifndef CONFIGD_SUPERVISOR_PROGRAMS_H
#define CONFIGD_SUPERVISOR_PROGRAMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    const char *bind;              /* PMM_INTERFACE_TO_BIND */
    const char *log_dir;           /* <log_dir>/<program>.log */
    /* VictoriaMetrics */
    const char *vm_binary;         /* /usr/bin/victoria-metrics */
    const char *vm_url;            /* base URL with /prometheus; its port is the listen port */
    const char *vm_config;         /* the scrape file (--promscrape.config) */
    const char *vm_data_dir;       /* --storageDataPath */
    /* vmalert */
    const char *vmalert_binary;    /* /usr/bin/vmalert */
    const char *vmalert_url;       /* its port is the listen port */
    const char *vmalert_rules_dir; /* --rule=<dir>/NAME.yml (configd's validated files) */
    /* Alertmanager (Debian's prometheus-alertmanager); url "" : not run */
    const char *alertmanager_binary;
    const char *alertmanager_url;      /* its port is the listen port; vmalert's --notifier.url */
    const char *alertmanager_config;   /* --config.file (alertmanager.h writes it) */
    const char *alertmanager_data_dir; /* --storage.path */
} programs_params;

/* What the settings decide (settings.h): retention in ns, VM cache. */
typedef struct {
    int64_t data_retention;
    bool vm_cache_enabled;
    const char *pmm_public_address; /* "" : Alertmanager's links use its own URL */
} programs_settings;

/* The port of an http URL ("http://127.0.0.1:9090/prometheus/" -> 9090;
 * 80 when none); -1 when it is not a URL. */
int programs_url_port(const char *url);

/* malloc'd file content (header line first), NULL on ENOMEM or a URL
 * without a port. getenv supplies upstream's VM_search_* overrides. */
char *programs_render_victoriametrics(const programs_params *p, const programs_settings *s);
char *programs_render_vmalert(const programs_params *p);
/* NULL also when no Alertmanager is configured. Its links (--web.external-url)
 * point at https://<PMM public address>/alertmanager/ when that is set. No
 * cluster: the gossip port would be one more listener for nothing. */
char *programs_render_alertmanager(const programs_params *p, const programs_settings *s);

#endif
