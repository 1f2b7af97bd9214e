/* aws: credentials, SigV4 signing through libcurl, canonical queries and
 * AWS error documents (see aws.h). */
#include "http/aws.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hex.h"
#include "http/xmlwalk.h"

void aws_credentials_clear(aws_credentials *c)
{
    free(c->key_id);
    free(c->secret);
    free(c->session_token);
    c->key_id = c->secret = c->session_token = NULL;
}

static int set_credentials(aws_credentials *c, const char *id, const char *secret, const char *token)
{
    aws_credentials_clear(c);
    c->key_id = strdup(id);
    c->secret = strdup(secret);
    c->session_token = token && *token ? strdup(token) : NULL;
    if (!c->key_id || !c->secret || (token && *token && !c->session_token)) {
        aws_credentials_clear(c);
        return -1;
    }
    return 0;
}

int aws_credentials_static(aws_credentials *c, const char *key_id, const char *secret, char *err, size_t errlen)
{
    if (!key_id || !*key_id || !secret || !*secret) {
        snprintf(err, errlen, "EmptyStaticCreds: static credentials are empty");
        return -1;
    }
    if (set_credentials(c, key_id, secret, NULL) != 0) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

static const char *env_either(const char *a, const char *b)
{
    const char *v = getenv(a);
    if (v && *v)
        return v;
    v = getenv(b);
    return v && *v ? v : NULL;
}

/* aws-sdk-go's EnvProvider. */
static int from_env(aws_credentials *c, char *err, size_t errlen)
{
    const char *id = env_either("AWS_ACCESS_KEY_ID", "AWS_ACCESS_KEY");
    const char *secret = env_either("AWS_SECRET_ACCESS_KEY", "AWS_SECRET_KEY");
    if (!id) {
        snprintf(err, errlen, "EnvAccessKeyNotFound: AWS_ACCESS_KEY_ID or AWS_ACCESS_KEY not found in environment");
        return -1;
    }
    if (!secret) {
        snprintf(err, errlen, "EnvSecretNotFound: AWS_SECRET_ACCESS_KEY or AWS_SECRET_KEY not found in environment");
        return -1;
    }
    return set_credentials(c, id, secret, getenv("AWS_SESSION_TOKEN")) == 0 ? 0 : (snprintf(err, errlen, "out of memory"), -1);
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
    return s;
}

typedef struct {
    char *id, *secret, *token;
    bool found;
} profile;

/* One line of the INI file, inside or outside the wanted section. */
static int ini_line(char *line, const char *want, bool *in, profile *p)
{
    char *s = trim(line);
    if (!*s || *s == '#' || *s == ';')
        return 0;
    if (*s == '[') {
        char *end = strchr(s, ']');
        if (end)
            *end = '\0';
        *in = strcmp(trim(s + 1), want) == 0;
        p->found |= *in;
        return 0;
    }
    char *eq = strchr(s, '=');
    if (!*in || !eq)
        return 0;
    *eq = '\0';
    const char *k = trim(s);
    char **slot = strcmp(k, "aws_access_key_id") == 0       ? &p->id
                  : strcmp(k, "aws_secret_access_key") == 0 ? &p->secret
                  : strcmp(k, "aws_session_token") == 0     ? &p->token
                                                            : NULL;
    if (!slot)
        return 0;
    free(*slot);
    *slot = strdup(trim(eq + 1));
    return *slot ? 0 : -1;
}

/* aws-sdk-go's SharedCredentialsProvider. */
static int from_shared_file(aws_credentials *c, char *err, size_t errlen)
{
    char path[4096];
    const char *file = getenv("AWS_SHARED_CREDENTIALS_FILE");
    const char *home = getenv("HOME");
    if (file && *file)
        snprintf(path, sizeof path, "%s", file);
    else
        snprintf(path, sizeof path, "%s/.aws/credentials", home ? home : "");
    const char *name = getenv("AWS_PROFILE");
    if (!name || !*name)
        name = "default";
    FILE *f = fopen(path, "r");
    if (!f) {
        char why[128];
        snprintf(why, sizeof why, "%s", strerror(errno));
        why[0] = (char)tolower((unsigned char)why[0]); /* Go's syscall texts are lower case */
        snprintf(err, errlen,
                 "SharedCredsLoad: failed to load shared credentials file\ncaused by: FailedRead: unable to open "
                 "file\ncaused by: open %s: %s",
                 path, why);
        return -1;
    }
    profile p = { 0 };
    bool in = false;
    char line[4096];
    int rc = 0;
    while (rc == 0 && fgets(line, sizeof line, f))
        rc = ini_line(line, name, &in, &p);
    fclose(f);
    if (rc != 0)
        snprintf(err, errlen, "out of memory");
    else if (!p.found)
        rc = -1, snprintf(err, errlen, "SharedCredsLoad: failed to get profile");
    else if (!p.id || !*p.id)
        rc = -1, snprintf(err, errlen, "SharedCredsAccessKey: shared credentials %s in %s did not contain aws_access_key_id",
                          name, path);
    else if (!p.secret || !*p.secret)
        rc = -1, snprintf(err, errlen,
                          "SharedCredsSecret: shared credentials %s in %s did not contain aws_secret_access_key", name, path);
    else if (set_credentials(c, p.id, p.secret, p.token) != 0)
        rc = -1, snprintf(err, errlen, "out of memory");
    free(p.id);
    free(p.secret);
    free(p.token);
    return rc;
}

int aws_credentials_default(aws_credentials *c, char *err, size_t errlen)
{
    char env_err[512], file_err[16384];
    if (from_env(c, env_err, sizeof env_err) == 0 || from_shared_file(c, file_err, sizeof file_err) == 0)
        return 0;
    snprintf(err, errlen, "NoCredentialProviders: no valid providers in chain\ncaused by: %s\n%s", env_err, file_err);
    return -1;
}

int aws_sign(httpc_call *c, const aws_credentials *cr, const char *region, const char *service, const char *amz_date)
{
    char provider[256], hdr[4096];
    snprintf(provider, sizeof provider, "aws:amz:%s:%s", region, service);
    CURL *h = httpc_call_curl(c);
    if (curl_easy_setopt(h, CURLOPT_AWS_SIGV4, provider) != CURLE_OK ||
        curl_easy_setopt(h, CURLOPT_USERNAME, cr->key_id) != CURLE_OK ||
        curl_easy_setopt(h, CURLOPT_PASSWORD, cr->secret) != CURLE_OK)
        return -1;
    /* libcurl signs with the current time unless the request carries X-Amz-Date */
    if (amz_date) {
        snprintf(hdr, sizeof hdr, "X-Amz-Date: %s", amz_date);
        if (httpc_call_add_header(c, hdr) != 0)
            return -1;
    }
    if (cr->session_token) {
        char *t = NULL;
        if (asprintf(&t, "X-Amz-Security-Token: %s", cr->session_token) < 0)
            return -1;
        int rc = httpc_call_add_header(c, t);
        free(t);
        if (rc != 0)
            return -1;
    }
    return 0;
}

char *aws_uri_encode(const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t n = strlen(s);
    char *out = malloc(3 * n + 1), *o = out;
    if (!out)
        return NULL;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (isalnum(*p) || *p == '-' || *p == '.' || *p == '_' || *p == '~') {
            *o++ = (char)*p;
        } else {
            *o++ = '%';
            *o++ = hex[*p >> 4];
            *o++ = hex[*p & 15];
        }
    }
    *o = '\0';
    return out;
}

/* %XX decoded in place ('+' stays: SigV4 does not read it as a space). */
static void pct_decode(char *s)
{
    char *o = s;
    for (char *p = s; *p; p++) {
        if (*p == '%' && hex_value(p[1]) >= 0 && hex_value(p[2]) >= 0) {
            *o++ = (char)(hex_value(p[1]) * 16 + hex_value(p[2]));
            p += 2;
        } else {
            *o++ = *p;
        }
    }
    *o = '\0';
}

typedef struct {
    char *k, *v;
} param;

static int param_cmp(const void *a, const void *b)
{
    const param *x = a, *y = b;
    int c = strcmp(x->k, y->k);
    return c ? c : strcmp(x->v, y->v);
}

char *aws_canonical_query(const char *query)
{
    char *copy = strdup(query ? query : "");
    size_t n = 1;
    for (const char *p = copy ? copy : ""; *p; p++)
        n += *p == '&';
    param *ps = calloc(n, sizeof *ps);
    char *out = NULL;
    size_t count = 0, len = 1;
    bool ok = copy && ps;
    for (char *save = NULL, *tok = ok ? strtok_r(copy, "&", &save) : NULL; ok && tok; tok = strtok_r(NULL, "&", &save)) {
        char *eq = strchr(tok, '=');
        if (eq)
            *eq = '\0';
        pct_decode(tok);
        if (eq)
            pct_decode(eq + 1);
        ps[count].k = aws_uri_encode(tok);
        ps[count].v = aws_uri_encode(eq ? eq + 1 : "");
        ok = ps[count].k && ps[count].v;
        if (ok)
            len += strlen(ps[count].k) + strlen(ps[count].v) + 2;
        count++;
    }
    if (ok) {
        qsort(ps, count, sizeof *ps, param_cmp);
        out = malloc(len);
    }
    if (out) {
        char *o = out;
        *o = '\0';
        for (size_t i = 0; i < count; i++)
            o += sprintf(o, "%s%s=%s", i ? "&" : "", ps[i].k, ps[i].v);
    }
    for (size_t i = 0; ps && i < count; i++) {
        free(ps[i].k);
        free(ps[i].v);
    }
    free(ps);
    free(copy);
    return out;
}

/* Fields of an error document wherever its flavour puts them. */
static int error_field(void *ud, const char *const *path, int depth, const char *text)
{
    aws_error *e = ud;
    if (!text || depth < 2)
        return 0;
    const char *name = path[depth - 1], *parent = path[depth - 2];
    char *slot = NULL;
    size_t size = 0;
    if (strcmp(parent, "Error") == 0 && strcmp(name, "Code") == 0)
        slot = e->code, size = sizeof e->code;
    else if (strcmp(parent, "Error") == 0 && strcmp(name, "Message") == 0)
        slot = e->message, size = sizeof e->message;
    else if ((strcmp(name, "RequestId") == 0 || strcmp(name, "RequestID") == 0) && !*e->request_id)
        slot = e->request_id, size = sizeof e->request_id;
    if (slot && !*slot) {
        /* the SDKs trim what they read */
        while (isspace((unsigned char)*text))
            text++;
        size_t n = strlen(text);
        while (n && isspace((unsigned char)text[n - 1]))
            n--;
        snprintf(slot, size, "%.*s", (int)(n < size ? n : size - 1), text);
    }
    return 0;
}

int aws_error_parse(const char *body, size_t len, aws_error *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    /* S3's RequestId is a direct child of its root Error element */
    return xmlwalk(body, len, error_field, out, err, errlen);
}
