/* rds_discovery: regions, the DescribeDBInstances request and answer, and
 * aws-sdk-go v1's error texts (see rds_discovery.h). */
#include "rds_discovery.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/aws.h"
#include "management/v1/rds.pb-c.h"
#include "http/xmlwalk.h"

/* The RDS regions of each partition in aws-sdk-go v1's endpoint table
 * (endpoints.DefaultPartitions, service "rds"), and its DNS suffix. */
static const struct {
    const char *id, *suffix;
    const char *regions[32];
} partitions[] = {
    { "aws", "amazonaws.com",
      { "af-south-1", "ap-east-1", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3", "ap-south-1", "ap-south-2",
        "ap-southeast-1", "ap-southeast-2", "ap-southeast-3", "ap-southeast-4", "ca-central-1", "ca-west-1",
        "eu-central-1", "eu-central-2", "eu-north-1", "eu-south-1", "eu-south-2", "eu-west-1", "eu-west-2",
        "eu-west-3", "il-central-1", "me-central-1", "me-south-1", "sa-east-1", "us-east-1", "us-east-2",
        "us-west-1", "us-west-2", NULL } },
    { "aws-cn", "amazonaws.com.cn", { "cn-north-1", "cn-northwest-1", NULL } },
    { "aws-us-gov", "amazonaws.com", { "us-gov-east-1", "us-gov-west-1", NULL } },
    { "aws-iso", "c2s.ic.gov", { "us-iso-east-1", "us-iso-west-1", NULL } },
    { "aws-iso-b", "sc2s.sgov.gov", { "us-isob-east-1", NULL } },
};

static int region_cmp(const void *a, const void *b)
{
    return strcmp(((const rds_region *)a)->name, ((const rds_region *)b)->name);
}

int rds_regions(const settings_strings *want, rds_region **out)
{
    size_t n = 0, cap = 0;
    rds_region *v = NULL;
    for (size_t i = 0; i < want->n; i++) {
        for (size_t p = 0; p < sizeof partitions / sizeof *partitions; p++) {
            if (strcmp(want->v[i], partitions[p].id) != 0)
                continue;
            for (size_t r = 0; partitions[p].regions[r]; r++) {
                bool seen = false;
                for (size_t k = 0; k < n && !seen; k++)
                    seen = strcmp(v[k].name, partitions[p].regions[r]) == 0;
                if (seen)
                    continue;
                if (n == cap) {
                    cap = cap ? cap * 2 : 32;
                    rds_region *nv = realloc(v, cap * sizeof *nv);
                    if (!nv) {
                        free(v);
                        return -1;
                    }
                    v = nv;
                }
                snprintf(v[n].name, sizeof v[n].name, "%s", partitions[p].regions[r]);
                snprintf(v[n].host, sizeof v[n].host, "rds.%s.%s", partitions[p].regions[r], partitions[p].suffix);
                n++;
            }
        }
    }
    if (n)
        qsort(v, n, sizeof *v, region_cmp);
    *out = v;
    return (int)n;
}

/* Upstream's rdsEnginesKeys, in its order. */
static const char *const engines[] = { "aurora-mysql", "mariadb", "mysql", "aurora-postgresql", "postgres" };

int rds_engine_enum(const char *engine)
{
    for (size_t i = 0; i < sizeof engines / sizeof *engines; i++)
        if (engine && strcmp(engine, engines[i]) == 0)
            return i < 3 ? MANAGEMENT__V1__DISCOVER_RDSENGINE__DISCOVER_RDS_ENGINE_MYSQL
                         : MANAGEMENT__V1__DISCOVER_RDSENGINE__DISCOVER_RDS_ENGINE_POSTGRESQL;
    return MANAGEMENT__V1__DISCOVER_RDSENGINE__DISCOVER_RDS_ENGINE_UNSPECIFIED;
}

char *rds_describe_form(const char *marker)
{
    char *m = aws_uri_encode(marker ? marker : "");
    char *form = NULL;
    char values[512] = "";
    for (size_t i = 0; i < sizeof engines / sizeof *engines; i++) {
        size_t at = strlen(values);
        snprintf(values + at, sizeof values - at, "&Filters.Filter.1.Values.Value.%zu=%s", i + 1, engines[i]);
    }
    if (m && asprintf(&form, "Action=DescribeDBInstances&Filters.Filter.1.Name=engine%s%s%s&Version=2014-10-31", values,
                      *m ? "&Marker=" : "", m) < 0)
        form = NULL;
    free(m);
    return form;
}

/* ---- the answer ------------------------------------------------------------ */

#define RESULT "DescribeDBInstancesResponse/DescribeDBInstancesResult"
#define INSTANCE RESULT "/DBInstances/DBInstance"

typedef struct {
    rds_page *page;
    char *err;
    size_t errlen;
} parse_ctx;

static int set_str(char **slot, const char *text)
{
    char *s = strdup(text);
    if (!s)
        return -1;
    free(*slot);
    *slot = s;
    return 0;
}

/* Go's encoding/xml into an *int64: strconv.ParseInt of the trimmed text. */
static int parse_port(const char *text, uint32_t *port, char *err, size_t errlen)
{
    while (isspace((unsigned char)*text))
        text++;
    size_t n = strlen(text);
    while (n && isspace((unsigned char)text[n - 1]))
        n--;
    char buf[64];
    snprintf(buf, sizeof buf, "%.*s", (int)(n < sizeof buf ? n : sizeof buf - 1), text);
    char *end;
    errno = 0;
    long long v = strtoll(buf, &end, 10);
    if (!*buf || *end || n >= sizeof buf || errno == ERANGE || isspace((unsigned char)*buf) || *buf == '+') {
        snprintf(err, errlen, "strconv.ParseInt: parsing \"%.*s\": %s", (int)(n < 200 ? n : 200), text,
                 errno == ERANGE ? "value out of range" : "invalid syntax");
        return -1;
    }
    *port = (uint32_t)v; /* upstream's uint32(*db.Endpoint.Port) */
    return 0;
}

static int on_element(void *ud, const char *const *path, int depth, const char *text)
{
    parse_ctx *c = ud;
    rds_page *p = c->page;
    if (!text) {
        if (xmlwalk_path_is(path, depth, INSTANCE)) {
            if (p->n >= RDS_MAX_INSTANCES) {
                snprintf(c->err, c->errlen, "more than %d instances in one answer", RDS_MAX_INSTANCES);
                return -1;
            }
            rds_instance *v = realloc(p->v, (p->n + 1) * sizeof *v);
            if (!v)
                return snprintf(c->err, c->errlen, "out of memory"), -1;
            p->v = v;
            memset(&p->v[p->n++], 0, sizeof *p->v);
        } else if (p->n && xmlwalk_path_is(path, depth, INSTANCE "/Endpoint")) {
            p->v[p->n - 1].has_endpoint = true;
        }
        return 0;
    }
    if (xmlwalk_path_is(path, depth, RESULT "/Marker"))
        return set_str(&p->marker, text) ? (snprintf(c->err, c->errlen, "out of memory"), -1) : 0;
    if (!p->n || depth < 5 || !xmlwalk_path_is(path, depth >= 6 ? 5 : 4, depth >= 6 ? INSTANCE "/Endpoint" : INSTANCE))
        return 0;
    rds_instance *in = &p->v[p->n - 1];
    const char *name = path[depth - 1];
    char **slot = NULL;
    if (depth == 5) {
        slot = strcmp(name, "DBInstanceIdentifier") == 0 ? &in->instance_id
               : strcmp(name, "AvailabilityZone") == 0   ? &in->az
               : strcmp(name, "DBInstanceClass") == 0    ? &in->node_model
               : strcmp(name, "Engine") == 0             ? &in->engine
               : strcmp(name, "EngineVersion") == 0      ? &in->engine_version
                                                         : NULL;
    } else if (depth == 6 && strcmp(name, "Address") == 0) {
        slot = &in->address;
    } else if (depth == 6 && strcmp(name, "Port") == 0) {
        return parse_port(text, &in->port, c->err, c->errlen);
    }
    if (slot && set_str(slot, text) != 0)
        return snprintf(c->err, c->errlen, "out of memory"), -1;
    return 0;
}

int rds_page_parse(const char *xml, size_t len, rds_page *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    parse_ctx c = { .page = out, .err = err, .errlen = errlen };
    int rc = xmlwalk(xml, len, on_element, &c, err, errlen);
    if (rc != 0) {
        rds_page_free(out);
        return -1;
    }
    if (out->marker && !*out->marker) {
        free(out->marker);
        out->marker = NULL;
    }
    return 0;
}

void rds_page_free(rds_page *p)
{
    for (size_t i = 0; i < p->n; i++) {
        rds_instance *in = &p->v[i];
        free(in->instance_id), free(in->az), free(in->node_model);
        free(in->engine), free(in->engine_version), free(in->address);
    }
    free(p->v);
    free(p->marker);
    memset(p, 0, sizeof *p);
}

/* ---- errors ---------------------------------------------------------------- */

/* The request id the SDK reports: the header's, as r.RequestID. */
static const char *header_request_id(const httpc_call *c)
{
    const char *id = httpc_header(c, "X-Amzn-Requestid");
    return id ? id : "";
}

bool rds_call_failed(const httpc_call *c, char *code, size_t code_len, char *message, size_t msg_len, char *text,
                     size_t text_len)
{
    httpc_state s = httpc_state_of(c);
    if (s == HTTPC_DONE && httpc_status(c) / 100 == 2)
        return false;
    if (s == HTTPC_TIMED_OUT) {
        snprintf(code, code_len, "RequestCanceled");
        snprintf(message, msg_len, "request context canceled");
        snprintf(text, text_len, "RequestCanceled: request context canceled\ncaused by: context deadline exceeded");
    } else if (s == HTTPC_FAILED) {
        snprintf(code, code_len, "RequestError");
        snprintf(message, msg_len, "send request failed");
        snprintf(text, text_len, "RequestError: send request failed\ncaused by: %s", httpc_error(c));
    } else if (s == HTTPC_TOO_BIG) {
        snprintf(code, code_len, "SerializationError");
        snprintf(message, msg_len, "failed decoding Query response");
        snprintf(text, text_len, "SerializationError: failed decoding Query response\n\tstatus code: %ld, request id: %s\ncaused by: %s",
                 httpc_status(c), header_request_id(c), httpc_error(c));
    } else {
        /* the query protocol's UnmarshalError */
        aws_error e;
        char err[512] = "";
        long status = httpc_status(c);
        if (aws_error_parse(httpc_body(c), httpc_body_len(c), &e, err, sizeof err) != 0 &&
            strcmp(err, "EOF") != 0) {
            snprintf(code, code_len, "SerializationError");
            snprintf(message, msg_len, "failed to unmarshal error message");
            snprintf(text, text_len,
                     "SerializationError: failed to unmarshal error message\n\tstatus code: %ld, request id: %s\ncaused by: %s",
                     status, header_request_id(c), err);
        } else {
            if (strcmp(err, "EOF") == 0)
                memset(&e, 0, sizeof e);
            snprintf(code, code_len, "%s", e.code);
            snprintf(message, msg_len, "%s", e.message);
            snprintf(text, text_len, "%s: %s\n\tstatus code: %ld, request id: %s", e.code, e.message, status,
                     *e.request_id ? e.request_id : header_request_id(c));
        }
    }
    return true;
}

void rds_serialization_text(const httpc_call *c, const char *cause, char *text, size_t text_len)
{
    snprintf(text, text_len, "SerializationError: failed decoding Query response\n\tstatus code: %ld, request id: %s\ncaused by: %s",
             httpc_status(c), header_request_id(c), cause);
}
