/* aws_instance: see aws_instance.h. */
#include "aws_instance.h"

#include <stdio.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "app.h"
#include "http/httpc.h"
#include "log.h"
#include "pbutil.h"
#include "server.h"
#include "server/v1/server.pb-c.h"
#include "db/settings.h"
#include "validate.h"

#define METADATA_TIMEOUT_MS 2000

/* IMDSv2 as AWS's SDK does it: a session token first; an instance that
 * only speaks IMDSv1 refuses the PUT and is asked without one. */
static int identity_document(const char *base, httpc_response *doc, char *err, size_t errlen)
{
    char url[1024], token_hdr[1200];
    snprintf(url, sizeof url, "%s/latest/api/token", base);
    const char *ttl[] = { "X-aws-ec2-metadata-token-ttl-seconds: 21600", NULL };
    httpc_request put = { .method = "PUT", .url = url, .headers = ttl, .body = "",
                          .timeout_ms = METADATA_TIMEOUT_MS, .max_body = 4096 };
    httpc_response tok;
    const char *hdrs[] = { NULL, NULL };
    if (httpc_fetch(&put, &tok, err, errlen) == 0) {
        if (tok.status == 200 && tok.len < 1024 && !strpbrk(tok.body, "\r\n")) {
            snprintf(token_hdr, sizeof token_hdr, "X-aws-ec2-metadata-token: %s", tok.body);
            hdrs[0] = token_hdr;
        }
        httpc_response_free(&tok);
    }
    snprintf(url, sizeof url, "%s/latest/dynamic/instance-identity/document", base);
    httpc_request get = { .url = url, .headers = hdrs, .timeout_ms = METADATA_TIMEOUT_MS, .max_body = 65536 };
    if (httpc_fetch(&get, doc, err, errlen) != 0)
        return -1;
    if (doc->status != 200) {
        snprintf(err, errlen, "GET %.400s: HTTP %ld", url, doc->status);
        httpc_response_free(doc);
        return -1;
    }
    return 0;
}

/* subtle.ConstantTimeCompare: different lengths never match. */
static bool same_id(const char *a, const char *b)
{
    size_t n = strlen(a);
    return n == strlen(b) && sodium_memcmp(a, b, n) == 0;
}

/* Checks id against the metadata. RPC code; the upstream texts. */
static int check_id(const char *base, const char *id, rpc_status *st)
{
    httpc_response doc;
    char err[512];
    if (identity_document(base, &doc, err, sizeof err) != 0) {
        log_error("AWS instance check: %s", err);
        return rpc_fail(st, RPC_UNAVAILABLE, "cannot get instance metadata");
    }
    json_t *j = json_loads(doc.body, 0, NULL);
    httpc_response_free(&doc);
    const char *got = json_string_value(json_object_get(j, "instanceId"));
    int rc = RPC_OK;
    if (!got) {
        log_error("AWS instance check: no instanceId in the identity document");
        rc = rpc_fail(st, RPC_UNAVAILABLE, "cannot get instance metadata");
    } else if (!same_id(id, got)) {
        rc = rpc_fail(st, RPC_INVALID_ARGUMENT, "invalid instance ID");
    }
    json_decref(j);
    return rc;
}

static int aws_instance_check(rpc_ctx *ctx, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    daemon_worker *w = ctx->worker;
    rpc_status *st = &ctx->status;
    const char *id = pb_get_str(in, "instance_id");
    if (validate_min_len(st, id, 1, "AWSInstanceCheckRequest", "InstanceId") != RPC_OK)
        return st->code;
    /* "MustCheck": only an AMI whose instance was not checked yet asks AWS */
    if (server_distribution_method(APP(w)->distribution) == SERVER__V1__DISTRIBUTION_METHOD__DISTRIBUTION_METHOD_AMI) {
        settings s;
        if (settings_load(w->db, &s, st) != RPC_OK)
            return st->code;
        bool checked = s.aws_instance_checked, yes = true;
        settings_free(&s);
        if (!checked && (check_id(APP(w)->aws_metadata_url, id, st) != RPC_OK ||
                         settings_update(w->db, &(settings_params){ .aws_instance_checked = &yes }, NULL, st) != RPC_OK))
            return st->code;
    }
    *out = pb_new(&server__v1__awsinstance_check_response__descriptor);
    return *out ? RPC_OK : rpc_fail(st, RPC_INTERNAL, "out of memory");
}

const rpc_method aws_instance_methods[] = {
    { "/server.v1.ServerService/AWSInstanceCheck", &server__v1__awsinstance_check_request__descriptor,
      aws_instance_check },
};
const size_t aws_instance_methods_count = sizeof aws_instance_methods / sizeof *aws_instance_methods;
