/* dumps: DumpService handlers (see dumps.h). */
#include "dumps.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app.h"
#include "backup_api.h"
#include "clock.h"
#include "dump/v1beta1/dump.pb-c.h"
#include "dumper.h"
#include "enums.h"
#include "log.h"
#include "sftp.h"
#include "store/store.h"
#include "validate.h"

#define DEFAULT_RANGE_MS (12LL * 3600 * 1000)
#define UPLOAD_TIMEOUT_MS (10L * 60 * 1000)

static int start_dump(rpc_ctx *ctx, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    const Dump__V1beta1__StartDumpRequest *req = (const Dump__V1beta1__StartDumpRequest *)in;
    worker *w = ctx->worker;
    rpc_status *st = &ctx->status;
    int64_t end = req->end_time ? ts_to_ms(req->end_time) : clock_wall_ms();
    int64_t start = req->start_time ? ts_to_ms(req->start_time) : end - DEFAULT_RANGE_MS;
    if (start > end)
        return rpc_fail(st, RPC_INVALID_ARGUMENT, "Dump start time can't be greater than end time");
    if (req->enable_encryption) {
        if (strlen(req->encryption_password) < 8)
            return rpc_fail(st, RPC_INVALID_ARGUMENT, "Encryption password should be at least 8 characters long.");
        return rpc_fail(st, RPC_FAILED_PRECONDITION, "Encrypted dumps are not supported by this server.");
    }
    if (!dumper_reserve(APP(w)))
        return rpc_fail(st, RPC_FAILED_PRECONDITION, "Dump process is already running.");
    dump_row r = { 0 };
    r.status = strdup("in_progress");
    r.service_names = req->service_names;
    r.n_service_names = req->n_service_names;
    r.start_time = start;
    r.end_time = end;
    r.export_qan = req->export_qan;
    r.ignore_load = req->ignore_load;
    int rc = r.status ? store_dump_insert(w->db, &r, st) : rpc_fail(st, RPC_INTERNAL, "out of memory");
    if (rc == RPC_OK)
        rc = dumper_submit(APP(w), &r, st);
    r.service_names = NULL; /* the request's */
    r.n_service_names = 0;
    if (rc != RPC_OK) {
        if (r.id)
            store_dump_set_status(w->db, r.id, "error", &(rpc_status){ 0 });
        dumper_release(APP(w));
        dump_row_free(&r);
        return rc;
    }
    Dump__V1beta1__StartDumpResponse *resp = malloc(sizeof *resp);
    if (resp) {
        dump__v1beta1__start_dump_response__init(resp);
        resp->dump_id = r.id;
        r.id = NULL;
        *out = &resp->base;
    }
    dump_row_free(&r);
    return resp ? RPC_OK : rpc_fail(st, RPC_INTERNAL, "out of memory");
}

static int dump_status(const char *s)
{
    return strcmp(s, "in_progress") == 0 ? DUMP__V1BETA1__DUMP_STATUS__DUMP_STATUS_IN_PROGRESS
           : strcmp(s, "success") == 0   ? DUMP__V1BETA1__DUMP_STATUS__DUMP_STATUS_SUCCESS
           : strcmp(s, "error") == 0     ? DUMP__V1BETA1__DUMP_STATUS__DUMP_STATUS_ERROR
                                         : DUMP__V1BETA1__DUMP_STATUS__DUMP_STATUS_UNSPECIFIED;
}

static int list_dumps(rpc_ctx *ctx, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    (void)in;
    worker *w = ctx->worker;
    dump_row *d = NULL;
    size_t n = 0;
    if (store_dump_list(w->db, &d, &n, &ctx->status))
        return ctx->status.code;
    Dump__V1beta1__ListDumpsResponse *r = malloc(sizeof *r);
    if (r) {
        dump__v1beta1__list_dumps_response__init(r);
        r->dumps = calloc(n ? n : 1, sizeof *r->dumps);
    }
    for (size_t i = 0; r && r->dumps && i < n; i++) {
        Dump__V1beta1__Dump *m = malloc(sizeof *m);
        if (!m)
            break;
        dump__v1beta1__dump__init(m);
        m->dump_id = d[i].id;
        d[i].id = NULL;
        m->status = dump_status(d[i].status);
        m->service_names = d[i].service_names;
        m->n_service_names = d[i].n_service_names;
        d[i].service_names = NULL;
        d[i].n_service_names = 0;
        m->start_time = ts_from_ms(d[i].start_time);
        m->end_time = ts_from_ms(d[i].end_time);
        m->created_at = ts_from_ms(d[i].created_at);
        r->dumps[r->n_dumps++] = m;
    }
    dump_rows_free(d, n);
    if (!r || !r->dumps) {
        free(r);
        return rpc_fail(&ctx->status, RPC_INTERNAL, "out of memory");
    }
    *out = &r->base;
    return RPC_OK;
}

/* protoc-gen-validate's repeated rules: min_items 1, unique. */
static int check_ids(rpc_status *st, char **ids, size_t n, const char *msg)
{
    if (n < 1)
        return rpc_fail(st, RPC_INVALID_ARGUMENT, "invalid %s.DumpIds: value must contain at least 1 item(s)", msg);
    for (size_t i = 1; i < n; i++)
        for (size_t k = 0; k < i; k++)
            if (strcmp(ids[i], ids[k]) == 0)
                return rpc_fail(st, RPC_INVALID_ARGUMENT, "invalid %s.DumpIds[%zu]: repeated value must contain unique items",
                                msg, i);
    return RPC_OK;
}

static int delete_dump(rpc_ctx *ctx, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    const Dump__V1beta1__DeleteDumpRequest *req = (const Dump__V1beta1__DeleteDumpRequest *)in;
    worker *w = ctx->worker;
    rpc_status *st = &ctx->status;
    if (check_ids(st, req->dump_ids, req->n_dump_ids, "DeleteDumpRequest"))
        return st->code;
    for (size_t i = 0; i < req->n_dump_ids; i++) {
        dump_row r;
        if (store_dump_get(w->db, req->dump_ids[i], &r, st))
            return st->code;
        dump_row_free(&r);
        if (dumper_running(APP(w), req->dump_ids[i]))
            return rpc_fail(st, RPC_FAILED_PRECONDITION, "Dump %s is in progress.", req->dump_ids[i]);
    }
    for (size_t i = 0; i < req->n_dump_ids; i++) {
        char path[4096];
        dumper_path(APP(w), req->dump_ids[i], path, sizeof path);
        if (store_dump_delete(w->db, req->dump_ids[i], st))
            return st->code;
        unlink(path); /* a failed dump has no file */
    }
    Dump__V1beta1__DeleteDumpResponse *r = malloc(sizeof *r);
    if (!r)
        return rpc_fail(st, RPC_INTERNAL, "out of memory");
    dump__v1beta1__delete_dump_response__init(r);
    *out = &r->base;
    return RPC_OK;
}

static int get_dump_logs(rpc_ctx *ctx, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    const Dump__V1beta1__GetDumpLogsRequest *req = (const Dump__V1beta1__GetDumpLogsRequest *)in;
    worker *w = ctx->worker;
    if (validate_min_len(&ctx->status, req->dump_id, 1, "GetDumpLogsRequest", "DumpId"))
        return ctx->status.code;
    log_chunk *c = NULL;
    size_t n = 0;
    if (store_dump_log_list(w->db, req->dump_id, req->offset, req->limit, &c, &n, &ctx->status))
        return ctx->status.code;
    return logs_respond(&ctx->status, &dump__v1beta1__get_dump_logs_response__descriptor,
                        &dump__v1beta1__log_chunk__descriptor, c, n, out);
}

static int upload_dump(rpc_ctx *ctx, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    const Dump__V1beta1__UploadDumpRequest *req = (const Dump__V1beta1__UploadDumpRequest *)in;
    worker *w = ctx->worker;
    rpc_status *st = &ctx->status;
    const Dump__V1beta1__SFTPParameters *p = req->sftp_parameters;
    if (check_ids(st, req->dump_ids, req->n_dump_ids, "UploadDumpRequest"))
        return st->code;
    if (!p)
        return rpc_fail(st, RPC_INVALID_ARGUMENT, "invalid UploadDumpRequest.SftpParameters: value is required");
    if (validate_min_len(st, p->address, 1, "SFTPParameters", "Address") ||
        validate_min_len(st, p->user, 1, "SFTPParameters", "User") ||
        validate_min_len(st, p->password, 1, "SFTPParameters", "Password"))
        return validate_embedded(st, "UploadDumpRequest", "SftpParameters");
    for (size_t i = 0; i < req->n_dump_ids; i++) {
        dump_row r;
        if (store_dump_get(w->db, req->dump_ids[i], &r, st))
            return st->code;
        bool done = strcmp(r.status, "success") == 0;
        dump_row_free(&r);
        if (!done)
            return rpc_fail(st, RPC_FAILED_PRECONDITION, "Dump %s is not finished successfully.", req->dump_ids[i]);
    }
    for (size_t i = 0; i < req->n_dump_ids; i++) {
        char path[4096], name[128], err[2048];
        dumper_path(APP(w), req->dump_ids[i], path, sizeof path);
        snprintf(name, sizeof name, "%s.tar.gz", req->dump_ids[i]);
        if (sftp_upload(p->address, p->user, p->password, p->directory, name, path, UPLOAD_TIMEOUT_MS, err,
                        sizeof err) != 0)
            return rpc_fail(st, RPC_INTERNAL, "Failed to upload the dump %s: %s", req->dump_ids[i], err);
        log_info("dump %s uploaded to %s", req->dump_ids[i], p->address);
    }
    Dump__V1beta1__UploadDumpResponse *r = malloc(sizeof *r);
    if (!r)
        return rpc_fail(st, RPC_INTERNAL, "out of memory");
    dump__v1beta1__upload_dump_response__init(r);
    *out = &r->base;
    return RPC_OK;
}

const rpc_method dumps_methods[] = {
    { "/dump.v1beta1.DumpService/StartDump", &dump__v1beta1__start_dump_request__descriptor, start_dump },
    { "/dump.v1beta1.DumpService/ListDumps", &dump__v1beta1__list_dumps_request__descriptor, list_dumps },
    { "/dump.v1beta1.DumpService/DeleteDump", &dump__v1beta1__delete_dump_request__descriptor, delete_dump },
    { "/dump.v1beta1.DumpService/GetDumpLogs", &dump__v1beta1__get_dump_logs_request__descriptor, get_dump_logs },
    { "/dump.v1beta1.DumpService/UploadDump", &dump__v1beta1__upload_dump_request__descriptor, upload_dump },
};
const size_t dumps_methods_count = sizeof dumps_methods / sizeof *dumps_methods;
