/* envvars: the PMM_* environment parser (see envvars.h). The lists of
 * ignored names and prefixes are upstream's newest parser's, plus the
 * suite's own common flags (run dir, log level, DSN) so that they do not
 * read as unknown. URLs are checked with envvars_url.c, the VMAGENT_*
 * remote-write override in envvars_vmagent.c. */
#include "envvars.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "envvars_url.h"
#include "rpc.h"

static const char *const ignored[] = {
    /* shell and system */
    "_", "HOME", "HOSTNAME", "LANG", "PATH", "PWD", "SHLVL", "TERM", "LC_ALL", "SHELL", "LOGNAME", "USER", "PS1",
    "NO_PROXY", "HTTP_PROXY", "HTTPS_PROXY", "CONTAINER", "NSS_WRAPPER_GROUP", "NSS_WRAPPER_PASSWD", "LD_PRELOAD",
    "AWS_ACCESS_KEY", "AWS_SECRET_KEY",
    /* flags */
    "PMM_DEBUG", "PMM_TRACE",
    /* external ClickHouse */
    "PMM_CLICKHOUSE_DATABASE", "PMM_CLICKHOUSE_ADDR", "PMM_CLICKHOUSE_USER", "PMM_CLICKHOUSE_PASSWORD",
    "PMM_CLICKHOUSE_HOST", "PMM_CLICKHOUSE_PORT", "PMM_CLICKHOUSE_IS_CLUSTER", "PMM_CLICKHOUSE_CLUSTER_NAME",
    "PMM_CLICKHOUSE_NODES", "PMM_DISABLE_BUILTIN_CLICKHOUSE", "PMM_CLICKHOUSE_CONFIG",
    "PMM_CLICKHOUSE_DATASOURCE_USER", "PMM_CLICKHOUSE_DATASOURCE_PASSWORD",
    /* external PostgreSQL */
    "PMM_POSTGRES_ADDR", "PMM_POSTGRES_DBNAME", "PMM_POSTGRES_USERNAME", "PMM_POSTGRES_DBPASSWORD",
    "PMM_POSTGRES_SSL_MODE", "PMM_POSTGRES_SSL_CA_PATH", "PMM_POSTGRES_SSL_KEY_PATH", "PMM_POSTGRES_SSL_CERT_PATH",
    "PMM_DISABLE_BUILTIN_POSTGRES", "PMM_ENABLE_SEP", "PMM_SEP_POSTGRES_PASSWORD", "PMM_INTERNAL_NODE_NAME_PREFIXES",
    "PMM_ENCRYPTION_KEY_PATH", "PMM_ADMIN_PASSWORD",
    /* watchtower, telemetry, distribution, platform */
    "PMM_WATCHTOWER_TOKEN", "PMM_WATCHTOWER_HOST", "PERCONA_TELEMETRY_DISABLE", "PMM_INSTALL_METHOD",
    "PMM_DISTRIBUTION_METHOD", "PMM_PERCONA_PLATFORM_ADDRESS",
    /* this suite's common flags (common/config, db.h) */
    "PMM_RUN_DIR", "PMM_LOG_LEVEL", "PMM_POSTGRES_DSN", "PMM_POSTGRES_DBPASSWORD_FILE", "PMM_VM_ALERT_URL",
};

static const char *const ignored_prefixes[] = {
    "GF_",        "VM_",         "VMAGENT_",       "VMAUTH_",     "VMSELECT_", "VMINSERT_", "VMSTORAGE_",
    "SUPERVISOR_", "KUBERNETES_", "PMM_OPERATORS_", "MONITORING_", "PMM_DEV_",  "PMM_HA_",
};

/* ---- Go parsers ---------------------------------------------------------- */

int envvars_parse_bool(const char *s, bool *out)
{
    static const char *const t[] = { "1", "t", "T", "TRUE", "true", "True" };
    static const char *const f[] = { "0", "f", "F", "FALSE", "false", "False" };
    for (size_t i = 0; i < sizeof t / sizeof *t; i++) {
        if (strcmp(s, t[i]) == 0)
            return *out = true, 0;
        if (strcmp(s, f[i]) == 0)
            return *out = false, 0;
    }
    return -1;
}

static int64_t unit_ns(const char *u, size_t n)
{
    static const struct {
        const char *name;
        int64_t ns;
    } units[] = {
        { "ns", 1 },          { "us", 1000 },       { "\xc2\xb5s", 1000 }, /* U+00B5 */
        { "\xce\xbcs", 1000 }, /* U+03BC */          { "ms", 1000000 },      { "s", 1000000000 },
        { "m", 60000000000 }, { "h", 3600000000000 },
    };
    for (size_t i = 0; i < sizeof units / sizeof *units; i++)
        if (strlen(units[i].name) == n && memcmp(units[i].name, u, n) == 0)
            return units[i].ns;
    return 0;
}

/* Leading decimal digits of *s into *v (saturating flag on overflow);
 * returns how many digits were read. */
static size_t leading_int(const char **s, uint64_t *v, bool *overflow)
{
    size_t n = 0;
    *v = 0;
    for (; isdigit((unsigned char)**s); (*s)++, n++) {
        if (*v > (UINT64_C(1) << 63) / 10)
            *overflow = true;
        *v = *v * 10 + (uint64_t)(**s - '0');
        if (*v > (UINT64_C(1) << 63))
            *overflow = true;
    }
    return n;
}

int envvars_parse_duration(const char *s, int64_t *out_ns)
{
    bool neg = false;
    if (*s == '-' || *s == '+')
        neg = *s++ == '-';
    if (strcmp(s, "0") == 0)
        return *out_ns = 0, 0;
    if (!*s)
        return -1;
    uint64_t total = 0;
    bool overflow = false;
    while (*s) {
        if (!(*s == '.' || isdigit((unsigned char)*s)))
            return -1;
        uint64_t v, f = 0;
        double scale = 1;
        size_t pre = leading_int(&s, &v, &overflow), post = 0;
        if (*s == '.') {
            s++;
            for (; isdigit((unsigned char)*s); s++, post++)
                if (f <= (UINT64_C(1) << 63) / 10 / 10) { /* Go drops digits beyond what fits */
                    f = f * 10 + (uint64_t)(*s - '0');
                    scale *= 10;
                }
        }
        if (overflow || (!pre && !post))
            return -1;
        const char *u = s;
        while (*s && *s != '.' && !isdigit((unsigned char)*s))
            s++;
        int64_t unit = unit_ns(u, (size_t)(s - u));
        if (!unit)
            return -1;
        if (v > (UINT64_C(1) << 63) / (uint64_t)unit)
            return -1;
        v *= (uint64_t)unit;
        if (f)
            v += (uint64_t)((double)f * ((double)unit / scale));
        total += v;
        if (v > (UINT64_C(1) << 63) || total > (UINT64_C(1) << 63))
            return -1;
    }
    if (!neg && total > (uint64_t)INT64_MAX)
        return -1;
    *out_ns = neg ? (int64_t)(0 - total) : (int64_t)total;
    return 0;
}

/* ---- the parser ---------------------------------------------------------- */

static int addf(settings_strings *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int addf(settings_strings *l, const char *fmt, ...)
{
    char buf[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    return settings_strings_push(l, buf);
}

static bool is_ignored(const char *k)
{
    for (size_t i = 0; i < sizeof ignored / sizeof *ignored; i++)
        if (strcmp(k, ignored[i]) == 0)
            return true;
    for (size_t i = 0; i < sizeof ignored_prefixes / sizeof *ignored_prefixes; i++)
        if (strncmp(k, ignored_prefixes[i], strlen(ignored_prefixes[i])) == 0)
            return true;
    return false;
}

/* Names whose values must not reach the log (upstream redacts these in
 * its vmagent override output; we do it for every warning). */
static bool secret_name(const char *k)
{
    return strstr(k, "PASSWORD") || strstr(k, "SECRET") || strstr(k, "TOKEN") || strstr(k, "KEY");
}

static int bad_bool(envvars *e, const char *k, const char *v)
{
    char qv[4096], qk[1024];
    rpc_quote(qv, sizeof qv, v);
    rpc_quote(qk, sizeof qk, k);
    return addf(&e->errors, "invalid value %s for environment variable %s", qv, qk);
}

/* A boolean variable: *dst and *present set, or an error. */
static int want_bool(envvars *e, const char *k, const char *v, bool *dst, const bool **present)
{
    if (envvars_parse_bool(v, dst) != 0)
        return bad_bool(e, k, v);
    if (present)
        *present = dst;
    return 0;
}

static int want_duration(envvars *e, const char *env, const char *v, int64_t *dst)
{
    int64_t d;
    if (envvars_parse_duration(v, &d) != 0) {
        char q[8192];
        rpc_quote(q, sizeof q, env);
        return addf(&e->errors, "environment variable %s has invalid duration %s", q, v);
    }
    *dst = d;
    return 0;
}

/* The newer upstream check (models.ParseVictoriaMetricsURL): an http(s)
 * URL with a host; empty is only a warning. */
static int check_vm_url(envvars *e, const char *v)
{
    if (!*v)
        return addf(&e->warnings,
                    "PMM_VM_URL is set but empty and is ignored: the built-in VictoriaMetrics address is used");
    char u[4096], err[256], shown[4096];
    size_t n = strlen(v);
    snprintf(u, sizeof u, "%s%s", v, n && v[n - 1] == '/' ? "" : "/");
    envvars_url url;
    if (envvars_url_parse(u, &url, err, sizeof err) != 0)
        return addf(&e->errors, "invalid value for environment variable PMM_VM_URL: invalid VictoriaMetrics URL: %s",
                    err);
    if ((strcmp(url.scheme, "http") != 0 && strcmp(url.scheme, "https") != 0) || !url.host[0] || url.opaque) {
        envvars_url_redact(u, shown, sizeof shown);
        return addf(&e->errors,
                    "invalid value for environment variable PMM_VM_URL: invalid VictoriaMetrics URL '%s': expected "
                    "http(s)://host[:port][/path]",
                    shown);
    }
    return 0;
}

static int apply_settings_var(envvars *e, const char *k, const char *v, const char *env, bool *known)
{
    settings_params *p = &e->params;
    *known = true;
    if (strcmp(k, "PMM_ENABLE_UPDATES") == 0)
        return want_bool(e, k, v, &e->updates, &p->enable_updates);
    if (strcmp(k, "PMM_UPDATE_SNOOZE_DURATION") == 0)
        return want_duration(e, env, v, &p->update_snooze_duration);
    if (strcmp(k, "PMM_ENABLE_TELEMETRY") == 0)
        return want_bool(e, k, v, &e->telemetry, &p->enable_telemetry);
    if (strcmp(k, "PMM_METRICS_RESOLUTION") == 0 || strcmp(k, "PMM_METRICS_RESOLUTION_HR") == 0)
        return want_duration(e, env, v, &p->metrics_resolutions.hr);
    if (strcmp(k, "PMM_METRICS_RESOLUTION_MR") == 0)
        return want_duration(e, env, v, &p->metrics_resolutions.mr);
    if (strcmp(k, "PMM_METRICS_RESOLUTION_LR") == 0)
        return want_duration(e, env, v, &p->metrics_resolutions.lr);
    if (strcmp(k, "PMM_DATA_RETENTION") == 0)
        return want_duration(e, env, v, &p->data_retention);
    if (strcmp(k, "PMM_ENABLE_VM_CACHE") == 0)
        return want_bool(e, k, v, &e->vm_cache, &p->enable_vm_cache);
    if (strcmp(k, "PMM_ENABLE_ALERTING") == 0)
        return want_bool(e, k, v, &e->alerting, &p->enable_alerting);
    if (strcmp(k, "PMM_ENABLE_AZURE_DISCOVER") == 0)
        return want_bool(e, k, v, &e->azure_discover, &p->enable_azure_discover);
    if (strcmp(k, "PMM_ENABLE_BACKUP_MANAGEMENT") == 0)
        return want_bool(e, k, v, &e->backup_management, &p->enable_backup_management);
    if (strcmp(k, "PMM_ENABLE_ACCESS_CONTROL") == 0)
        return want_bool(e, k, v, &e->access_control, &p->enable_access_control);
    *known = false;
    return 0;
}

static int apply_other_var(envvars *e, const char *k, const char *v, bool *known)
{
    *known = true;
    if (strcmp(k, "PMM_ENABLE_INTERNAL_PG_QAN") == 0) {
        if (envvars_parse_bool(v, &e->internal_pg_qan) != 0)
            return bad_bool(e, k, v);
        e->has_internal_pg_qan = true;
        return 0;
    }
    if (strcmp(k, "PMM_ENABLE_NOMAD") == 0) {
        if (envvars_parse_bool(v, &e->nomad) != 0)
            return bad_bool(e, k, v);
        e->has_nomad = true;
        return 0;
    }
    if (strcmp(k, "PMM_PUBLIC_ADDRESS") == 0) {
        free(e->pmm_public_address);
        if (!(e->pmm_public_address = strdup(v)))
            return -1;
        e->params.pmm_public_address = e->pmm_public_address;
        return 0;
    }
    if (strcmp(k, "PMM_VM_URL") == 0)
        return check_vm_url(e, v);
    *known = false;
    return 0;
}

static int warn_unknown(envvars *e, const char *k, const char *env)
{
    char shown[8192];
    if (secret_name(k))
        snprintf(shown, sizeof shown, "%s=<redacted>", k);
    else
        snprintf(shown, sizeof shown, "%s", env);
    if (strncmp(k, "PMM_TEST_", 9) == 0)
        return addf(&e->warnings, "environment variable %s may be removed or replaced in the future", shown);
    if (strncmp(k, "PERCONA_", 8) == 0)
        return addf(&e->warnings, "PERCONA_* env variables are NOT SUPPORTED, please use PMM_* env variables, for "
                                  "details please check our documentation");
    return addf(&e->warnings, "unknown environment variable %s", shown);
}

static int parse_one(envvars *e, const char *env)
{
    const char *eq = strchr(env, '=');
    if (!eq) {
        char q[8192];
        rpc_quote(q, sizeof q, env);
        return addf(&e->errors, "failed to parse environment variable %s", q);
    }
    size_t kn = (size_t)(eq - env);
    char *k = strndup(env, kn), *v = strdup(eq + 1);
    int rc = -1;
    if (k && v) {
        for (char *c = k; *c; c++)
            *c = (char)toupper((unsigned char)*c);
        for (char *c = v; *c; c++)
            *c = (char)tolower((unsigned char)*c);
        bool known;
        if (is_ignored(k))
            rc = 0;
        else if ((rc = apply_settings_var(e, k, v, env, &known)) != 0 || known)
            ;
        else if ((rc = apply_other_var(e, k, v, &known)) != 0 || known)
            ;
        else
            rc = warn_unknown(e, k, env);
    }
    free(k);
    free(v);
    return rc;
}

int envvars_parse(const char *const *env, envvars *out)
{
    memset(out, 0, sizeof *out);
    for (size_t i = 0; env && env[i]; i++)
        if (parse_one(out, env[i]) != 0) {
            envvars_free(out);
            return -1;
        }
    if (envvars_check_vmagent(env, &out->errors, &out->warnings) != 0) {
        envvars_free(out);
        return -1;
    }
    return 0;
}

void envvars_free(envvars *e)
{
    free(e->pmm_public_address);
    settings_strings_free(&e->errors);
    settings_strings_free(&e->warnings);
    memset(e, 0, sizeof *e);
}
