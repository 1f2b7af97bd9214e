/* supervisor_programs: renders upstream's victoriametrics and vmalert
 * program templates (supervisor_programs.h). */
#include "supervisor_programs.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "supervisor.h"

#define NS_PER_DAY (INT64_C(86400) * 1000000000)

int programs_url_port(const char *url)
{
    const char *p = url ? strstr(url, "://") : NULL;
    if (!p)
        return -1;
    p += 3;
    const char *end = p + strcspn(p, "/?#");
    /* the last ':' of the host part, after any IPv6 literal */
    const char *close = memchr(p, ']', (size_t)(end - p));
    const char *colon = NULL;
    for (const char *q = close ? close : p; q < end; q++)
        if (*q == ':')
            colon = q;
    if (!colon)
        return strncmp(url, "https://", 8) == 0 ? 443 : 80;
    char *stop;
    long port = strtol(colon + 1, &stop, 10);
    return stop == end && port > 0 && port < 65536 ? (int)port : -1;
}

/* Upstream's envvars.GetEnv: the environment's value when set and not empty. */
static const char *env_or(const char *name, const char *def)
{
    const char *v = getenv(name);
    return v && *v ? v : def;
}

/* printf into a malloc'd string with every '%' doubled: supervisord
 * expands %(name)s in its files, and our values are literal. */
static char *format(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *format(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *out = NULL;
    if (vasprintf(&out, fmt, ap) < 0)
        out = NULL;
    va_end(ap);
    if (!out || !strchr(out, '%'))
        return out;
    size_t n = strlen(out), extra = 0;
    for (size_t i = 0; i < n; i++)
        extra += out[i] == '%';
    char *esc = malloc(n + extra + 1), *o = esc;
    for (size_t i = 0; esc && i <= n; i++) {
        if (out[i] == '%')
            *o++ = '%';
        *o++ = out[i];
    }
    free(out);
    return esc;
}

char *programs_render_victoriametrics(const programs_params *p, const programs_settings *s)
{
    int port = programs_url_port(p->vm_url);
    if (port < 0)
        return NULL;
    return format(SUPERVISOR_HEADER "\n"
                  "[program:victoriametrics]\n"
                  "priority = 7\n"
                  "command =\n"
                  "\t%s\n"
                  "\t\t--promscrape.config=%s\n"
                  "\t\t--retentionPeriod=%lldd\n"
                  "\t\t--storageDataPath=%s\n"
                  "\t\t--httpListenAddr=%s:%d\n"
                  "\t\t--search.disableCache=%s\n"
                  "\t\t--search.maxQueryLen=%s\n"
                  "\t\t--search.latencyOffset=%s\n"
                  "\t\t--search.maxUniqueTimeseries=%s\n"
                  "\t\t--search.maxSamplesPerQuery=%s\n"
                  "\t\t--search.maxQueueDuration=%s\n"
                  "\t\t--search.logSlowQueryDuration=%s\n"
                  "\t\t--search.maxQueryDuration=%s\n"
                  "\t\t--promscrape.streamParse=%s\n"
                  "\t\t--http.pathPrefix=/prometheus\n"
                  "\t\t--envflag.enable\n"
                  "\t\t--envflag.prefix=VM_\n"
                  "autorestart = true\n"
                  "autostart = true\n"
                  "startretries = 10\n"
                  "startsecs = 1\n"
                  "stopsignal = INT\n"
                  "stopwaitsecs = 300\n"
                  "stdout_logfile = %s/victoriametrics.log\n"
                  "stdout_logfile_maxbytes = 10MB\n"
                  "stdout_logfile_backups = 3\n"
                  "redirect_stderr = true\n",
                  p->vm_binary, p->vm_config, (long long)(s->data_retention / NS_PER_DAY), p->vm_data_dir, p->bind,
                  port, env_or("VM_search_disableCache", s->vm_cache_enabled ? "false" : "true"),
                  env_or("VM_search_maxQueryLen", "1MB"), env_or("VM_search_latencyOffset", "5s"),
                  env_or("VM_search_maxUniqueTimeseries", "100000000"),
                  env_or("VM_search_maxSamplesPerQuery", "1500000000"), env_or("VM_search_maxQueueDuration", "30s"),
                  env_or("VM_search_logSlowQueryDuration", "30s"), env_or("VM_search_maxQueryDuration", "90s"),
                  env_or("VM_promscrape_streamParse", "true"), p->log_dir);
}

char *programs_render_vmalert(const programs_params *p)
{
    int port = programs_url_port(p->vmalert_url);
    if (port < 0)
        return NULL;
    bool am = p->alertmanager_url && *p->alertmanager_url;
    return format(SUPERVISOR_HEADER "\n"
                  "[program:vmalert]\n"
                  "priority = 7\n"
                  "command =\n"
                  "\t%s\n"
                  "\t\t--external.url=%s\n"
                  "\t\t--datasource.url=%s\n"
                  "\t\t--remoteRead.url=%s\n"
                  "\t\t--remoteWrite.url=%s\n"
                  "\t\t--rule=%s/*.yml\n"
                  "\t\t--httpListenAddr=%s:%d\n"
                  "%s%s%s"
                  "autorestart = true\n"
                  "autostart = true\n"
                  "startretries = 10\n"
                  "startsecs = 1\n"
                  "stopsignal = INT\n"
                  "stopwaitsecs = 300\n"
                  "stdout_logfile = %s/vmalert.log\n"
                  "stdout_logfile_maxbytes = 10MB\n"
                  "stdout_logfile_backups = 3\n"
                  "redirect_stderr = true\n",
                  p->vmalert_binary, p->vm_url, p->vm_url, p->vm_url, p->vm_url, p->vmalert_rules_dir, p->bind, port,
                  am ? "\t\t--notifier.url=" : "", am ? p->alertmanager_url : "", am ? "\n" : "", p->log_dir);
}

char *programs_render_alertmanager(const programs_params *p, const programs_settings *s)
{
    int port = p->alertmanager_url && *p->alertmanager_url ? programs_url_port(p->alertmanager_url) : -1;
    if (port < 0)
        return NULL;
    char external[1200];
    if (s->pmm_public_address && *s->pmm_public_address)
        snprintf(external, sizeof external, "https://%s/alertmanager/", s->pmm_public_address);
    else
        snprintf(external, sizeof external, "%s", p->alertmanager_url);
    return format(SUPERVISOR_HEADER "\n"
                  "[program:alertmanager]\n"
                  "priority = 8\n"
                  "command =\n"
                  "\t%s\n"
                  "\t\t--config.file=%s\n"
                  "\t\t--storage.path=%s\n"
                  "\t\t--web.listen-address=%s:%d\n"
                  "\t\t--web.external-url=%s\n"
                  "\t\t--cluster.listen-address=\n"
                  "autorestart = true\n"
                  "autostart = true\n"
                  "startretries = 10\n"
                  "startsecs = 1\n"
                  "stopsignal = TERM\n"
                  "stopwaitsecs = 30\n"
                  "stdout_logfile = %s/alertmanager.log\n"
                  "stdout_logfile_maxbytes = 10MB\n"
                  "stdout_logfile_backups = 3\n"
                  "redirect_stderr = true\n",
                  p->alertmanager_binary, p->alertmanager_config, p->alertmanager_data_dir, p->bind, port, external,
                  p->log_dir);
}
