/* rds_discover: DiscoverRDS as upstream's (managed/services/
 * management/rds.go, aws-sdk-go v1): DescribeDBInstances with upstream's
 * engine filter in every region of the configured AWS partitions at once,
 * page after page, all within 7 seconds; instances still being created
 * (no endpoint) are left out; the list is sorted by region and instance.
 * Any instance found is an answer, whatever other regions said; with none,
 * the first region to fail says why: a key AWS does not know is
 * InvalidArgument with AWS's message, the deadline "Request timeout.", the
 * rest Unknown with the SDK's text. The keys are the request's, or the
 * SDK's default chain (aws.h). --aws-endpoint sends every region to one
 * URL instead (the e2e tests' stand-in); the region is still signed. */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "http/aws.h"
#include "log.h"
#include "management/v1/rds.pb-c.h"
#include "pbutil.h"
#include "rds_discovery.h"
#include "db/settings.h"

#define FORM_TYPE "Content-Type: application/x-www-form-urlencoded; charset=utf-8"

typedef struct {
    const rds_region *region;
    char *marker;  /* the next page's; NULL before the first page */
    int pages;
    bool done;
    httpc_call *call;
} region_walk;

typedef struct {
    const char *endpoint; /* the override, or NULL */
    const aws_credentials *cr;
    region_walk *walks;
    size_t n_walks;
    ProtobufCMessage **found; /* DiscoverRDSInstance */
    size_t n_found;
    /* the first failure: the earliest round, then the first to end in it */
    bool failed;
    int fail_round;
    unsigned fail_order;
    char code[128], message[2048], text[8192];
} discovery;

static httpc_call *page_call(discovery *d, region_walk *rw, long timeout_ms)
{
    char url[512];
    if (d->endpoint)
        snprintf(url, sizeof url, "%s%s", d->endpoint, d->endpoint[strlen(d->endpoint) - 1] == '/' ? "" : "/");
    else
        snprintf(url, sizeof url, "https://%s/", rw->region->host);
    char *form = rds_describe_form(rw->marker);
    const char *headers[] = { FORM_TYPE, NULL };
    httpc_request req = { .method = "POST", .url = url, .headers = headers, .body = form,
                          .body_len = form ? strlen(form) : 0, .timeout_ms = timeout_ms };
    httpc_call *c = form ? httpc_call_new(&req) : NULL;
    free(form);
    if (c && aws_sign(c, d->cr, rw->region->name, "rds", NULL) != 0) {
        httpc_call_free(c);
        c = NULL;
    }
    return c;
}

static void note_failure(discovery *d, const region_walk *rw, int round, const char *code, const char *message,
                         const char *text)
{
    log_debug("discover/rds: %s: %s", rw->region->name, text);
    unsigned order = httpc_end_order(rw->call);
    if (d->failed && (d->fail_round < round || (d->fail_round == round && d->fail_order <= order)))
        return;
    d->failed = true;
    d->fail_round = round;
    d->fail_order = order;
    snprintf(d->code, sizeof d->code, "%s", code);
    snprintf(d->message, sizeof d->message, "%s", message);
    snprintf(d->text, sizeof d->text, "%s", text);
}

static int keep_instance(discovery *d, const rds_region *r, const rds_instance *in)
{
    if (d->n_found >= RDS_MAX_INSTANCES)
        return 0;
    ProtobufCMessage *m = pb_new(&management__v1__discover_rdsinstance__descriptor);
    ProtobufCMessage **v = realloc(d->found, (d->n_found + 1) * sizeof *v);
    if (!m || !v || pb_set_str(m, "region", r->name) < 0 || pb_set_str(m, "az", in->az ? in->az : "") < 0 ||
        pb_set_str(m, "instance_id", in->instance_id ? in->instance_id : "") < 0 ||
        pb_set_str(m, "node_model", in->node_model ? in->node_model : "") < 0 ||
        pb_set_str(m, "address", in->address ? in->address : "") < 0 || pb_set_u32(m, "port", in->port) < 0 ||
        pb_set_i32(m, "engine", rds_engine_enum(in->engine)) < 0 ||
        pb_set_str(m, "engine_version", in->engine_version ? in->engine_version : "") < 0) {
        if (m)
            protobuf_c_message_free_unpacked(m, NULL);
        if (v)
            d->found = v;
        return -1;
    }
    d->found = v;
    d->found[d->n_found++] = m;
    return 0;
}

/* One finished page of a region: its instances, the next page or a failure. */
static int take_page(discovery *d, region_walk *rw, int round)
{
    char code[128], message[2048], text[8192];
    rw->pages++;
    if (rds_call_failed(rw->call, code, sizeof code, message, sizeof message, text, sizeof text)) {
        note_failure(d, rw, round, code, message, text);
        rw->done = true;
        return 0;
    }
    rds_page page;
    char err[1024];
    if (rds_page_parse(httpc_body(rw->call), httpc_body_len(rw->call), &page, err, sizeof err) != 0) {
        rds_serialization_text(rw->call, err, text, sizeof text);
        note_failure(d, rw, round, "SerializationError", "failed decoding Query response", text);
        rw->done = true;
        return 0;
    }
    int rc = 0;
    for (size_t i = 0; i < page.n && rc == 0; i++) {
        if (page.v[i].has_endpoint)
            rc = keep_instance(d, rw->region, &page.v[i]);
        else
            log_debug("discover/rds: instance %s not ready yet", page.v[i].instance_id ? page.v[i].instance_id : "");
    }
    free(rw->marker);
    rw->marker = page.marker;
    page.marker = NULL;
    rw->done = !rw->marker || rw->pages >= RDS_MAX_PAGES;
    rds_page_free(&page);
    return rc;
}

static long now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Every region, page by page, in rounds that share the time left. */
static int walk_regions(discovery *d, long budget_ms, rpc_status *st)
{
    long end = now_ms() + budget_ms;
    httpc_call **calls = calloc(d->n_walks, sizeof *calls);
    if (!calls)
        return rpc_fail(st, RPC_INTERNAL, "out of memory");
    int rc = RPC_OK;
    for (int round = 0; rc == RPC_OK; round++) {
        long left = end - now_ms();
        size_t k = 0;
        for (size_t i = 0; i < d->n_walks; i++) {
            region_walk *rw = &d->walks[i];
            if (rw->done)
                continue;
            if (!(rw->call = page_call(d, rw, left > 0 ? left : 1))) {
                rc = rpc_fail(st, RPC_INTERNAL, "out of memory");
                break;
            }
            calls[k++] = rw->call;
        }
        if (k == 0 || rc != RPC_OK)
            break;
        if (httpc_run_all(calls, k, left > 0 ? left : 1) != 0)
            rc = rpc_fail(st, RPC_INTERNAL, "libcurl failed");
        for (size_t i = 0; i < d->n_walks; i++) {
            region_walk *rw = &d->walks[i];
            if (!rw->call)
                continue;
            if (rc == RPC_OK && take_page(d, rw, round) != 0)
                rc = rpc_fail(st, RPC_INTERNAL, "out of memory");
            httpc_call_free(rw->call);
            rw->call = NULL;
        }
    }
    for (size_t i = 0; i < d->n_walks; i++) {
        httpc_call_free(d->walks[i].call);
        free(d->walks[i].marker);
    }
    free(calls);
    return rc;
}

static int instance_cmp(const void *a, const void *b)
{
    const ProtobufCMessage *x = *(ProtobufCMessage *const *)a, *y = *(ProtobufCMessage *const *)b;
    int c = strcmp(pb_get_str(x, "region"), pb_get_str(y, "region"));
    return c ? c : strcmp(pb_get_str(x, "instance_id"), pb_get_str(y, "instance_id"));
}

/* Upstream's answer: the instances, else the first failure. */
static int respond(discovery *d, rpc_status *st, ProtobufCMessage **out)
{
    if (d->n_found == 0 && d->failed) {
        if (strcmp(d->code, "InvalidClientTokenId") == 0)
            return rpc_fail(st, RPC_INVALID_ARGUMENT, "%s", d->message);
        if (strcmp(d->code, "RequestCanceled") == 0)
            return rpc_fail(st, RPC_DEADLINE_EXCEEDED, "Request timeout.");
        return rpc_fail(st, RPC_UNKNOWN, "%s", d->text);
    }
    ProtobufCMessage *resp = pb_new(&management__v1__discover_rdsresponse__descriptor);
    if (!resp)
        return rpc_fail(st, RPC_INTERNAL, "out of memory");
    if (d->n_found)
        qsort(d->found, d->n_found, sizeof *d->found, instance_cmp);
    for (size_t i = 0; i < d->n_found; i++) {
        ProtobufCMessage *m = d->found[i];
        d->found[i] = NULL;
        if (pb_append_msg(resp, "rds_instances", m) != 0) {
            protobuf_c_message_free_unpacked(resp, NULL);
            return rpc_fail(st, RPC_INTERNAL, "out of memory");
        }
    }
    *out = resp;
    return RPC_OK;
}

int mgmt_discover_rds(rpc_ctx *ctx, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    worker *w = ctx->worker;
    settings s;
    if (settings_load(w->db, &s, &ctx->status) != RPC_OK)
        return ctx->status.code;
    rds_region *regions = NULL;
    int n = rds_regions(&s.aws_partitions, &regions);
    settings_free(&s);
    if (n < 0)
        return rpc_fail(&ctx->status, RPC_INTERNAL, "out of memory");

    /* upstream's static credentials when either key is given, else the chain */
    const char *key = pb_get_str(in, "aws_access_key"), *secret = pb_get_str(in, "aws_secret_key");
    aws_credentials cr = { 0 };
    char err[RPC_MESSAGE_MAX];
    int bad = n == 0 ? 0
              : *key || *secret ? aws_credentials_static(&cr, key, secret, err, sizeof err)
                                : aws_credentials_default(&cr, err, sizeof err);
    if (bad) {
        free(regions);
        return rpc_fail(&ctx->status, RPC_UNKNOWN, "%s", err);
    }
    const char *endpoint = APP(w)->aws_endpoint;
    discovery d = { .endpoint = endpoint && *endpoint ? endpoint : NULL, .cr = &cr, .n_walks = (size_t)n };
    d.walks = calloc(n ? (size_t)n : 1, sizeof *d.walks);
    int rc = d.walks ? RPC_OK : rpc_fail(&ctx->status, RPC_INTERNAL, "out of memory");
    for (int i = 0; rc == RPC_OK && i < n; i++)
        d.walks[i].region = &regions[i];
    if (rc == RPC_OK)
        rc = walk_regions(&d, mgmt_time_left(ctx, RDS_DISCOVER_TIMEOUT_MS), &ctx->status);
    if (rc == RPC_OK)
        rc = respond(&d, &ctx->status, out);
    for (size_t i = 0; i < d.n_found; i++)
        if (d.found[i])
            protobuf_c_message_free_unpacked(d.found[i], NULL);
    free(d.found);
    free(d.walks);
    free(regions);
    aws_credentials_clear(&cr);
    return rc;
}
