/* s3: a minimal S3 client over httpc and SigV4 (see s3.h). */
#include "http/s3.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "http/aws.h"
#include "http/httpc.h"
#include "http/xmlwalk.h"

#define S3_DEFAULT_TIMEOUT_MS 30000

static int fail(s3_error *e, s3_err_kind kind, const char *fmt, const char *arg)
{
    memset(e, 0, sizeof *e);
    e->kind = kind;
    snprintf(e->message, sizeof e->message, fmt, arg ? arg : "");
    return -1;
}

/* Percent-encodes a key as S3's canonical URI wants: everything but
 * unreserved characters and '/'. malloc'd. */
static char *encode_key(const char *key)
{
    static const char hex[] = "0123456789ABCDEF";
    char *out = malloc(strlen(key) * 3 + 1), *o = out;
    if (!out)
        return NULL;
    for (const unsigned char *p = (const unsigned char *)key; *p; p++) {
        if (isalnum(*p) || strchr("-._~/", *p)) {
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

/* scheme://host[:port] of the endpoint, without a trailing slash, and
 * whether it is AWS's own (virtual-host style). */
static int base_of(const char *endpoint, char *out, size_t len, bool *aws)
{
    const char *e = endpoint ? endpoint : "";
    while (*e == ' ')
        e++;
    if (!*e)
        return -1;
    int n = strstr(e, "://") ? snprintf(out, len, "%s", e) : snprintf(out, len, "https://%s", e);
    if (n < 0 || (size_t)n >= len)
        return -1;
    size_t l = strlen(out);
    while (l && out[l - 1] == '/')
        out[--l] = '\0';
    const char *host = strstr(out, "://") + 3;
    const char *end = host + strcspn(host, ":/");
    *aws = end - host >= 13 && strncasecmp(end - 13, "amazonaws.com", 13) == 0;
    return 0;
}

/* The URL of key (NULL: the bucket itself) with an already canonical query. */
static char *url_of(const s3_config *c, const char *key, const char *query)
{
    char base[2048];
    bool aws = false;
    if (base_of(c->endpoint, base, sizeof base, &aws) != 0)
        return NULL;
    char *k = encode_key(key ? key : "");
    if (!k)
        return NULL;
    char *url = NULL;
    int rc;
    if (aws) {
        const char *host = strstr(base, "://") + 3;
        rc = asprintf(&url, "%.*s%s.%s/%s%s%s", (int)(host - base), base, c->bucket, host, k, query ? "?" : "",
                      query ? query : "");
    } else {
        rc = asprintf(&url, "%s/%s/%s%s%s", base, c->bucket, k, query ? "?" : "", query ? query : "");
    }
    free(k);
    return rc < 0 ? NULL : url;
}

/* One signed request; on success the call (caller frees) with a 2xx answer. */
static httpc_call *request(const s3_config *c, const char *method, const char *key, const char *query,
                           const void *body, size_t body_len, s3_error *err)
{
    memset(err, 0, sizeof *err);
    char *url = url_of(c, key, query);
    if (!url) {
        fail(err, S3_ERR_CONFIG, "Endpoint url cannot have fully qualified paths: %s", c->endpoint);
        return NULL;
    }
    httpc_request r = {
        .method = method,
        .url = url,
        .body = body,
        .body_len = body_len,
        .timeout_ms = c->timeout_ms > 0 ? c->timeout_ms : S3_DEFAULT_TIMEOUT_MS,
    };
    httpc_call *call = httpc_call_new(&r);
    free(url);
    aws_credentials cr = { .key_id = (char *)c->access_key, .secret = (char *)c->secret_key };
    const char *region = c->region && *c->region ? c->region : "us-east-1";
    /* S3 wants the payload's hash in x-amz-content-sha256 and libcurl 7.88
     * does not add it: it is computed here and signed with the other
     * headers (libcurl's own payload hash is the same); a body also needs
     * its Content-Type signed. */
    unsigned char digest[crypto_hash_sha256_BYTES];
    char hdr[40 + 2 * crypto_hash_sha256_BYTES];
    crypto_hash_sha256(digest, (const unsigned char *)(body ? body : ""), body ? body_len : 0);
    int off = snprintf(hdr, sizeof hdr, "x-amz-content-sha256: ");
    for (size_t i = 0; i < sizeof digest; i++)
        off += snprintf(hdr + off, sizeof hdr - (size_t)off, "%02x", digest[i]);
    if (!call || httpc_call_add_header(call, hdr) != 0 ||
        (body && httpc_call_add_header(call, "Content-Type: application/octet-stream") != 0) ||
        aws_sign(call, &cr, region, "s3", NULL) != 0) {
        httpc_call_free(call);
        fail(err, S3_ERR_CONFIG, "%s", "out of memory");
        return NULL;
    }
    if (strcmp(method, "HEAD") == 0)
        curl_easy_setopt(httpc_call_curl(call), CURLOPT_NOBODY, 1L);
    if (httpc_call_run(call) != HTTPC_DONE) {
        fail(err, S3_ERR_TRANSPORT, "%s", httpc_error(call));
        httpc_call_free(call);
        return NULL;
    }
    long st = httpc_status(call);
    if (st >= 200 && st < 300)
        return call;
    err->kind = S3_ERR_S3;
    err->status = st;
    aws_error ae;
    char perr[256];
    if (httpc_body_len(call) && aws_error_parse(httpc_body(call), httpc_body_len(call), &ae, perr, sizeof perr) == 0 &&
        *ae.code) {
        snprintf(err->code, sizeof err->code, "%s", ae.code);
        snprintf(err->message, sizeof err->message, "%s", ae.message);
    } else {
        /* no error document (HEAD, or a proxy's page): minio-go's names by status */
        const char *code = st == 404 ? (key && *key ? "NoSuchKey" : "NoSuchBucket")
                           : st == 403 ? "AccessDenied"
                           : st == 301 ? "PermanentRedirect"
                                       : httpc_status_text(call);
        snprintf(err->code, sizeof err->code, "%s", code);
        snprintf(err->message, sizeof err->message, "%s",
                 st == 404 ? (key && *key ? "The specified key does not exist." : "The specified bucket does not exist.")
                 : st == 403 ? "Access Denied."
                             : httpc_status_text(call));
    }
    httpc_call_free(call);
    return NULL;
}

/* ---- GetBucketLocation --------------------------------------------------------- */

typedef struct {
    char *out;
    size_t len;
} loc_ud;

static int on_location(void *ud, const char *const *path, int depth, const char *text)
{
    loc_ud *l = ud;
    if (text && depth == 1 && strcmp(path[0], "LocationConstraint") == 0)
        snprintf(l->out, l->len, "%s", text);
    return 0;
}

int s3_bucket_location(const s3_config *c, char *region, size_t len, s3_error *err)
{
    s3_config us = *c;
    us.region = "us-east-1"; /* asked before the region is known, as minio-go signs it */
    httpc_call *call = request(&us, "GET", NULL, "location=", NULL, 0, err);
    if (!call)
        return -1;
    char perr[256];
    *region = '\0';
    loc_ud l = { region, len };
    int rc = xmlwalk(httpc_body(call), httpc_body_len(call), on_location, &l, perr, sizeof perr);
    httpc_call_free(call);
    if (rc != 0)
        return fail(err, S3_ERR_TRANSPORT, "cannot read GetBucketLocation's answer: %s", perr);
    if (!*region)
        snprintf(region, len, "us-east-1");
    else if (strcmp(region, "EU") == 0)
        snprintf(region, len, "eu-west-1");
    return 0;
}

/* ---- ListObjectsV2 ------------------------------------------------------------- */

typedef struct {
    s3_object *objs;
    size_t n, cap;
    char *key;
    int64_t size;
    bool truncated;
    char token[1024];
    bool oom;
} list_ud;

static int on_list(void *ud, const char *const *path, int depth, const char *text)
{
    list_ud *l = ud;
    if (depth == 2 && strcmp(path[1], "Contents") == 0 && !text) {
        free(l->key);
        l->key = NULL;
        l->size = 0;
    } else if (depth == 3 && strcmp(path[1], "Contents") == 0 && text) {
        if (strcmp(path[2], "Key") == 0) {
            free(l->key);
            l->key = strdup(text);
            l->oom |= !l->key;
        } else if (strcmp(path[2], "Size") == 0) {
            l->size = strtoll(text, NULL, 10);
        }
    } else if (depth == 2 && strcmp(path[1], "Contents") == 0 && text && l->key) {
        if (l->n == l->cap) {
            size_t cap = l->cap ? l->cap * 2 : 64;
            s3_object *o = realloc(l->objs, cap * sizeof *o);
            if (!o) {
                l->oom = true;
                return 0;
            }
            l->objs = o;
            l->cap = cap;
        }
        l->objs[l->n++] = (s3_object){ l->key, l->size };
        l->key = NULL;
    } else if (depth == 2 && text && strcmp(path[1], "IsTruncated") == 0) {
        l->truncated = strcmp(text, "true") == 0;
    } else if (depth == 2 && text && strcmp(path[1], "NextContinuationToken") == 0) {
        snprintf(l->token, sizeof l->token, "%s", text);
    }
    return 0;
}

static int key_cmp(const void *a, const void *b)
{
    return strcmp(((const s3_object *)a)->key, ((const s3_object *)b)->key);
}

int s3_list(const s3_config *c, const char *prefix, s3_object **objs, size_t *n, s3_error *err)
{
    list_ud l = { 0 };
    *objs = NULL;
    *n = 0;
    for (int page = 0;; page++) {
        char q[4096];
        char *p = aws_uri_encode(prefix ? prefix : ""), *t = aws_uri_encode(l.token);
        if (!p || !t) {
            free(p);
            free(t);
            s3_objects_free(l.objs, l.n);
            return fail(err, S3_ERR_CONFIG, "%s", "out of memory");
        }
        /* already in SigV4's canonical order: names sorted */
        if (page == 0)
            snprintf(q, sizeof q, "list-type=2&prefix=%s", p);
        else
            snprintf(q, sizeof q, "continuation-token=%s&list-type=2&prefix=%s", t, p);
        free(p);
        free(t);
        httpc_call *call = request(c, "GET", NULL, q, NULL, 0, err);
        if (!call) {
            s3_objects_free(l.objs, l.n);
            return -1;
        }
        char perr[256];
        l.truncated = false;
        l.token[0] = '\0';
        int rc = xmlwalk(httpc_body(call), httpc_body_len(call), on_list, &l, perr, sizeof perr);
        httpc_call_free(call);
        free(l.key);
        l.key = NULL;
        if (rc != 0 || l.oom) {
            s3_objects_free(l.objs, l.n);
            return fail(err, S3_ERR_TRANSPORT, "cannot read ListObjectsV2's answer: %s", rc ? perr : "out of memory");
        }
        if (!l.truncated || !*l.token)
            break;
    }
    if (l.n)
        qsort(l.objs, l.n, sizeof *l.objs, key_cmp);
    *objs = l.objs;
    *n = l.n;
    return 0;
}

void s3_objects_free(s3_object *objs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(objs[i].key);
    free(objs);
}

/* ---- objects ------------------------------------------------------------------- */

int s3_put(const s3_config *c, const char *key, const void *data, size_t len, s3_error *err)
{
    httpc_call *call = request(c, "PUT", key, NULL, data ? data : "", len, err);
    httpc_call_free(call);
    return call ? 0 : -1;
}

int s3_get(const s3_config *c, const char *key, char **data, size_t *len, s3_error *err)
{
    *data = NULL;
    *len = 0;
    httpc_call *call = request(c, "GET", key, NULL, NULL, 0, err);
    if (!call)
        return -1;
    *len = httpc_body_len(call);
    *data = malloc(*len + 1);
    if (*data)
        memcpy(*data, httpc_body(call), *len + 1);
    httpc_call_free(call);
    return *data ? 0 : fail(err, S3_ERR_CONFIG, "%s", "out of memory");
}

int s3_delete(const s3_config *c, const char *key, s3_error *err)
{
    httpc_call *call = request(c, "DELETE", key, NULL, NULL, 0, err);
    httpc_call_free(call);
    return call ? 0 : -1;
}

int s3_delete_prefix(const s3_config *c, const char *prefix, size_t *deleted, s3_error *err)
{
    s3_object *objs;
    size_t n, done = 0;
    if (s3_list(c, prefix, &objs, &n, err) != 0)
        return -1;
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++)
        if ((rc = s3_delete(c, objs[i].key, err)) == 0)
            done++;
    s3_objects_free(objs, n);
    if (deleted)
        *deleted = done;
    return rc;
}

void s3_error_text(const s3_error *err, char *out, size_t len)
{
    if (err->kind == S3_ERR_S3)
        snprintf(out, len, "%s: %s.", err->code, err->message);
    else
        snprintf(out, len, "%s", err->message);
}
