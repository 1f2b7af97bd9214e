/* dsn: the DSNs agents get (models.Agent.DSN): go-sql-driver's
 * FormatDSN for MySQL and ProxySQL, Go net/url URLs for MongoDB and
 * PostgreSQL, with Go's escaping rules so that the text is byte for byte
 * what upstream sends (pmm-agent compares states and restarts on change). */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- a growing string ---------------------------------------------------------- */

typedef struct {
    char *s;
    size_t n, cap;
    bool oom;
} sbuf;

static void sb_addn(sbuf *b, const char *s, size_t n)
{
    if (b->oom)
        return;
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 128;
        while (cap < b->n + n + 1)
            cap *= 2;
        char *t = realloc(b->s, cap);
        if (!t) {
            b->oom = true;
            return;
        }
        b->s = t;
        b->cap = cap;
    }
    memcpy(b->s + b->n, s, n);
    b->n += n;
    b->s[b->n] = '\0';
}

static void sb_add(sbuf *b, const char *s)
{
    sb_addn(b, s, strlen(s));
}

static char *sb_take(sbuf *b)
{
    if (b->oom || !b->s) {
        free(b->s);
        return b->oom ? NULL : strdup("");
    }
    return b->s;
}

/* ---- Go's net/url escaping ------------------------------------------------------ */

typedef enum { ESC_USERINFO, ESC_PATH, ESC_SEGMENT, ESC_QUERY, ESC_HOST } esc_mode;

static bool should_escape(unsigned char c, esc_mode m)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return false;
    if (m == ESC_HOST && strchr("!$&'()*+,;=:[]<>\"", c) && c)
        return false;
    switch (c) {
    case '-': case '_': case '.': case '~':
        return false;
    case '$': case '&': case '+': case ',': case '/': case ':': case ';': case '=': case '?': case '@':
        switch (m) {
        case ESC_PATH:
            return c == '?';
        case ESC_SEGMENT: /* url.PathEscape */
            return c == '/' || c == ';' || c == ',' || c == '?';
        case ESC_USERINFO:
            return c == '@' || c == '/' || c == '?' || c == ':';
        case ESC_QUERY:
            return true;
        default:
            return true;
        }
    }
    return true;
}

static void sb_escape(sbuf *b, const char *s, esc_mode m)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (m == ESC_QUERY && *p == ' ') {
            sb_add(b, "+");
        } else if (should_escape(*p, m)) {
            char e[3] = { '%', hex[*p >> 4], hex[*p & 15] };
            sb_addn(b, e, 3);
        } else {
            sb_addn(b, (const char *)p, 1);
        }
    }
}

/* url.Values: keys sorted on output, as Encode() does. */
typedef struct {
    const char *k[12];
    char *v[12];
    int n;
} query;

static void q_set(query *q, const char *k, const char *v)
{
    if (q->n < 12) {
        q->k[q->n] = k;
        q->v[q->n++] = strdup(v);
    }
}

static void q_encode(sbuf *b, query *q)
{
    bool used[12] = { 0 };
    for (int out = 0; out < q->n; out++) {
        int best = -1;
        for (int i = 0; i < q->n; i++)
            if (!used[i] && (best < 0 || strcmp(q->k[i], q->k[best]) < 0))
                best = i;
        used[best] = true;
        if (out)
            sb_add(b, "&");
        sb_escape(b, q->k[best], ESC_QUERY);
        sb_add(b, "=");
        sb_escape(b, q->v[best] ? q->v[best] : "", ESC_QUERY);
    }
    for (int i = 0; i < q->n; i++)
        free(q->v[i]);
}

/* net.JoinHostPort. */
static void sb_host_port(sbuf *b, const char *host, long long port)
{
    char p[24];
    snprintf(p, sizeof p, "%lld", port);
    bool v6 = strchr(host, ':') != NULL;
    if (v6)
        sb_add(b, "[");
    sb_add(b, host);
    sb_add(b, v6 ? "]:" : ":");
    sb_add(b, p);
}

/* url.UserPassword / url.User and the '@'. */
static void sb_userinfo(sbuf *b, json_t *agent)
{
    const char *user = rec_s(agent, "username", NULL), *pass = rec_s(agent, "password", NULL);
    if (!*user && !*pass)
        return;
    sb_escape(b, user, ESC_USERINFO);
    if (*pass) {
        sb_add(b, ":");
        sb_escape(b, pass, ESC_USERINFO);
    }
    sb_add(b, "@");
}

/* strings.ReplaceAll(dsn, url.QueryEscape(delim), delim) for both delimiters. */
static char *unescape_delims(char *dsn, delims d)
{
    if (!dsn)
        return NULL;
    const char *pair[2] = { d.l, d.r };
    for (int i = 0; i < 2; i++) {
        sbuf esc = { 0 };
        sb_escape(&esc, pair[i], ESC_QUERY);
        char *e = sb_take(&esc);
        if (!e) {
            free(dsn);
            return NULL;
        }
        size_t el = strlen(e), dl = strlen(pair[i]);
        if (el != dl) { /* escaping never shortens: rewrite in place */
            char *w = dsn;
            for (char *r = dsn; *r;) {
                if (strncmp(r, e, el) == 0) {
                    memcpy(w, pair[i], dl);
                    w += dl;
                    r += el;
                } else {
                    *w++ = *r++;
                }
            }
            *w = '\0';
        }
        free(e);
    }
    return dsn;
}

/* ---- MySQL (go-sql-driver/mysql Config.FormatDSN) ---------------------------------- */

static size_t files_count(json_t *agent)
{
    json_t *f = state_agent_files(agent);
    size_t n = json_object_size(f);
    json_decref(f);
    return n;
}

static const char *mysql_tls(const state_src *s, bool proxysql)
{
    json_t *a = s->agent;
    if (!rec_b(a, "tls", NULL))
        return NULL;
    bool skip = rec_b(a, "tls_skip_verify", NULL);
    if (proxysql)
        return skip ? "skip-verify" : "true";
    if (skip && agent_ver_less(s->ver, "2.42.0-0"))
        return "skip-verify"; /* older agents know no "custom" with skip-verify */
    if (files_count(a) != 0)
        return "custom";
    return skip ? "skip-verify" : "true";
}

char *dsn_mysql(const state_src *s, int timeout_s, const char *database, bool qan)
{
    json_t *a = s->agent, *svc = s->service;
    sbuf b = { 0 };
    const char *user = rec_s(a, "username", NULL), *pass = rec_s(a, "password", NULL);
    if (*user) {
        sb_add(&b, user);
        if (*pass) {
            sb_add(&b, ":");
            sb_add(&b, pass);
        }
        sb_add(&b, "@");
    }
    const char *socket = rec_s(svc, "socket", NULL);
    if (*socket) {
        sb_add(&b, "unix(");
        sb_add(&b, socket);
    } else {
        sb_add(&b, "tcp(");
        sb_host_port(&b, rec_s(svc, "address", NULL), rec_i(svc, "port", NULL));
    }
    sb_add(&b, ")/");
    sb_escape(&b, database, ESC_SEGMENT);
    const char *sep = "?";
    if (qan) {
        sb_add(&b, "?clientFoundRows=true&parseTime=true");
        sep = "&";
    }
    if (timeout_s) {
        char t[32];
        snprintf(t, sizeof t, "%stimeout=%ds", sep, timeout_s);
        sb_add(&b, t);
        sep = "&";
    }
    const char *tls = mysql_tls(s, strcmp(rec_s(a, "agent_type", NULL), "proxysql_exporter") == 0);
    if (tls) {
        sb_add(&b, sep);
        sb_add(&b, "tls=");
        sb_escape(&b, tls, ESC_QUERY);
    }
    return sb_take(&b);
}

/* ---- MongoDB ----------------------------------------------------------------------------- */

static char *tmpl(delims d, const char *name)
{
    char *s = NULL;
    return asprintf(&s, "%s.TextFiles.%s%s", d.l, name, d.r) < 0 ? NULL : s;
}

static void q_set_take(query *q, const char *k, char *v)
{
    if (v)
        q_set(q, k, v);
    free(v);
}

char *dsn_mongodb(const state_src *s, int timeout_s, const char *database, delims d)
{
    json_t *a = s->agent, *svc = s->service;
    query q = { 0 };
    if (timeout_s) {
        char ms[24];
        snprintf(ms, sizeof ms, "%d", timeout_s * 1000);
        q_set(&q, "connectTimeoutMS", ms);
        q_set(&q, "serverSelectionTimeoutMS", ms);
    }
    q_set(&q, "directConnection", "true");
    if (rec_b(a, "tls", NULL)) {
        q_set(&q, "ssl", "true");
        if (rec_b(a, "tls_skip_verify", NULL))
            q_set(&q, "tlsInsecure", "true");
    }
    if (*rec_s(a, "mongo_options", "tls_certificate_key"))
        q_set_take(&q, "tlsCertificateKeyFile", tmpl(d, "certificateKeyFilePlaceholder"));
    if (*rec_s(a, "mongo_options", "tls_certificate_key_file_password"))
        q_set(&q, "tlsCertificateKeyFilePassword", rec_s(a, "mongo_options", "tls_certificate_key_file_password"));
    if (*rec_s(a, "mongo_options", "tls_ca"))
        q_set_take(&q, "tlsCaFile", tmpl(d, "caFilePlaceholder"));
    if (*rec_s(a, "mongo_options", "authentication_mechanism"))
        q_set(&q, "authMechanism", rec_s(a, "mongo_options", "authentication_mechanism"));
    if (*rec_s(a, "mongo_options", "authentication_database"))
        q_set(&q, "authSource", rec_s(a, "mongo_options", "authentication_database"));

    sbuf b = { 0 };
    sb_add(&b, "mongodb://");
    sb_userinfo(&b, a);
    const char *socket = rec_s(svc, "socket", NULL);
    if (*socket) {
        sb_escape(&b, socket, ESC_HOST);
    } else {
        sbuf hp = { 0 };
        sb_host_port(&hp, rec_s(svc, "address", NULL), rec_i(svc, "port", NULL));
        char *h = sb_take(&hp);
        if (h)
            sb_escape(&b, h, ESC_HOST);
        else
            b.oom = true;
        free(h);
    }
    /* The path is the database, "/" when none (a slash must precede '?'). */
    if (*database && database[0] != '/')
        sb_add(&b, "/");
    sb_escape(&b, *database ? database : "/", ESC_PATH);
    sb_add(&b, "?");
    q_encode(&b, &q);
    return unescape_delims(sb_take(&b), d);
}

/* ---- PostgreSQL --------------------------------------------------------------------------- */

char *dsn_postgres(const state_src *s, int timeout_s, const char *database, bool sslsni, delims d)
{
    json_t *a = s->agent, *svc = s->service;
    query q = { 0 };
    const char *sslmode = "disable";
    if (rec_b(a, "tls", NULL)) {
        sslmode = rec_b(a, "tls_skip_verify", NULL) ? "require" : "verify-ca";
        if (sslsni)
            q_set(&q, "sslsni", "0");
    }
    q_set(&q, "sslmode", sslmode);
    if (*rec_s(a, "postgresql_options", "ssl_ca"))
        q_set_take(&q, "sslrootcert", tmpl(d, "caFilePlaceholder"));
    if (*rec_s(a, "postgresql_options", "ssl_cert"))
        q_set_take(&q, "sslcert", tmpl(d, "certificateFilePlaceholder"));
    if (*rec_s(a, "postgresql_options", "ssl_key"))
        q_set_take(&q, "sslkey", tmpl(d, "certificateKeyFilePlaceholder"));
    if (timeout_s) {
        char t[24];
        snprintf(t, sizeof t, "%d", timeout_s);
        q_set(&q, "connect_timeout", t);
    }
    const char *socket = rec_s(svc, "socket", NULL);
    if (*socket)
        q_set(&q, "host", socket);

    sbuf b = { 0 };
    sb_add(&b, "postgres://");
    sb_userinfo(&b, a);
    if (!*socket) {
        sbuf hp = { 0 };
        sb_host_port(&hp, rec_s(svc, "address", NULL), rec_i(svc, "port", NULL));
        char *h = sb_take(&hp);
        if (h)
            sb_escape(&b, h, ESC_HOST);
        else
            b.oom = true;
        free(h);
    }
    if (*database || *socket)
        sb_add(&b, "/");
    sb_escape(&b, database, ESC_PATH);
    sb_add(&b, "?");
    q_encode(&b, &q);
    return unescape_delims(sb_take(&b), d);
}

char *dsn_agent(const state_src *s, int timeout_s, const char *database, delims d)
{
    const char *type = rec_s(s->agent, "agent_type", NULL);
    if (strcmp(type, "mysqld_exporter") == 0 || strcmp(type, "proxysql_exporter") == 0)
        return dsn_mysql(s, timeout_s, database, false);
    if (strncmp(type, "qan-mysql-", 10) == 0)
        return dsn_mysql(s, timeout_s, database, true);
    if (strcmp(type, "mongodb_exporter") == 0 || strncmp(type, "qan-mongodb-", 12) == 0)
        return dsn_mongodb(s, timeout_s, database, d);
    if (strcmp(type, "postgres_exporter") == 0 || strncmp(type, "qan-postgresql-", 15) == 0)
        return dsn_postgres(s, timeout_s, database, !agent_ver_less(s->ver, "2.41.0-0"), d);
    return NULL;
}

/* ---- external exporters --------------------------------------------------------------- */

char *dsn_exporter_url(const state_src *s)
{
    json_t *a = s->agent;
    const char *host = rec_b(a, "exporter_options", "push_metrics") ? "127.0.0.1" : rec_s(s->node, "address", NULL);
    const char *path = rec_s(a, "exporter_options", "metrics_path");
    const char *q = strchr(path, '?');
    char *p = strndup(path, q ? (size_t)(q - path) : strlen(path));
    sbuf b = { 0 };
    sb_add(&b, rec_s(a, "exporter_options", "metrics_scheme"));
    sb_add(&b, "://");
    sb_userinfo(&b, a);
    sbuf hp = { 0 };
    sb_host_port(&hp, host, rec_i(a, "listen_port", NULL));
    char *h = sb_take(&hp);
    if (h && p) {
        sb_escape(&b, h, ESC_HOST);
        if (*p && p[0] != '/')
            sb_add(&b, "/");
        sb_escape(&b, p, ESC_PATH);
    } else {
        b.oom = true;
    }
    free(h);
    free(p);
    if (q) {
        sb_add(&b, "?");
        sb_add(&b, q + 1);
    }
    return sb_take(&b);
}
