/* logs_service: internal.v1.LogsService/Zip (logs_service.h). */
#include "logs_service.h"

#include <stdio.h>
#include <stdlib.h>

#include "app.h"
#include "internal/v1/logs.pb-c.h"
#include "logs.h"

/* The reply envelope carries the archive: leave room for the protobuf
 * field header. */
#define LOGS_MAX_ZIP (ENVELOPE_MAX_BODY - 64)

static int zip_method(rpc_ctx *ctx, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    const Internal__V1__ZipRequest *req = (const Internal__V1__ZipRequest *)in;
    const app *a = APP((daemon_worker *)ctx->worker);
    char dir_ini[4096];
    snprintf(dir_ini, sizeof dir_ini, "%s/*.ini", a->supervisord_dir);
    /* the user's rules as written, when there are some (configd's checked
     * copy has the same name) */
    const char *const files[] = { a->supervisord_conf, NULL };
    const char *const globs[] = { a->supervisord_dir[0] ? dir_ini : "", a->vmalert_user_rules, NULL };
    const char *const status_c[] = { a->supervisorctl, "-c", a->supervisord_conf, "status", NULL };
    const char *const status[] = { a->supervisorctl, "status", NULL };
    /* upstream's member name for the scrape file, whatever its path here */
    const logs_named named[] = { { "victoriametrics-promscrape.yml", a->vm_config }, { NULL, NULL } };
    logs_sources src = {
        .named = named,
        .log_dir = a->log_dir,
        .files = files,
        .globs = globs,
        .status_argv = a->supervisord_conf[0] ? status_c : status,
        .version = PMM_VERSION,
    };
    uint8_t *zip;
    size_t len;
    if (logs_zip(&src, req->line_count, LOGS_MAX_ZIP, &zip, &len, &ctx->status) != RPC_OK)
        return ctx->status.code;
    Internal__V1__ZipResponse *resp = malloc(sizeof *resp);
    if (!resp) {
        free(zip);
        return rpc_fail(&ctx->status, RPC_INTERNAL, "out of memory");
    }
    internal__v1__zip_response__init(resp);
    resp->zip.data = zip;
    resp->zip.len = len;
    *out = &resp->base;
    return RPC_OK;
}

const rpc_method logs_methods[] = {
    { "/internal.v1.LogsService/Zip", &internal__v1__zip_request__descriptor, zip_method },
};
const size_t logs_methods_count = sizeof logs_methods / sizeof *logs_methods;
