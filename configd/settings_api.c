/* settings_api: the server.v1 settings methods (see settings_api.h).
 * Upstream: managed/services/server/server.go (convertSettings,
 * validateChangeSettingsRequest, ChangeSettings). */
#include "settings_api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>


#include "app.h"
#include "db/store/agents.h"
#include "google/protobuf/duration.pb-c.h"
#include "db/changes.h"
#include "log.h"
#include "pbutil.h"
#include "server/v1/server.pb-c.h"
#include "settings_ssh.h"

/* ---- settings -> protobuf ------------------------------------------------- */

static ProtobufCMessage *duration_pb(int64_t ns)
{
    ProtobufCMessage *d = pb_new(&google__protobuf__duration__descriptor);
    if (d && (pb_set_i64(d, "seconds", ns / SETTINGS_NS_PER_SEC) ||
              pb_set_i32(d, "nanos", (int32_t)(ns % SETTINGS_NS_PER_SEC)))) {
        protobuf_c_message_free_unpacked(d, NULL);
        return NULL;
    }
    return d;
}

static ProtobufCMessage *resolutions_pb(const settings_resolutions *r)
{
    ProtobufCMessage *m = pb_new(&server__v1__metrics_resolutions__descriptor);
    if (m && (pb_set_msg(m, "hr", duration_pb(r->hr)) || pb_set_msg(m, "mr", duration_pb(r->mr)) ||
              pb_set_msg(m, "lr", duration_pb(r->lr)))) {
        protobuf_c_message_free_unpacked(m, NULL);
        return NULL;
    }
    return m;
}

static ProtobufCMessage *intervals_pb(const settings_advisor_intervals *a)
{
    ProtobufCMessage *m = pb_new(&server__v1__advisor_run_intervals__descriptor);
    if (m && (pb_set_msg(m, "standard_interval", duration_pb(a->standard_interval)) ||
              pb_set_msg(m, "rare_interval", duration_pb(a->rare_interval)) ||
              pb_set_msg(m, "frequent_interval", duration_pb(a->frequent_interval)))) {
        protobuf_c_message_free_unpacked(m, NULL);
        return NULL;
    }
    return m;
}

/* convertSettings. default_role_id outside uint32 reads as 0, as
 * upstream's convertDefaultRoleID. No Percona Platform and no telemetry
 * service here: connected_to_platform false, no summaries. */
static ProtobufCMessage *settings_pb(const settings *s, bool internal_pg_qan)
{
    ProtobufCMessage *m = pb_new(&server__v1__settings__descriptor);
    if (!m)
        return NULL;
    int rc = pb_set_bool(m, "updates_enabled", s->updates_enabled) ||
             pb_set_bool(m, "telemetry_enabled", s->telemetry_enabled) ||
             pb_set_msg(m, "metrics_resolutions", resolutions_pb(&s->metrics_resolutions)) ||
             pb_set_msg(m, "data_retention", duration_pb(s->data_retention)) ||
             pb_set_str(m, "ssh_key", s->ssh_key) || pb_set_bool(m, "advisor_enabled", s->advisors_enabled) ||
             pb_set_bool(m, "alerting_enabled", s->alerting_enabled) ||
             pb_set_str(m, "pmm_public_address", s->pmm_public_address) ||
             pb_set_msg(m, "advisor_run_intervals", intervals_pb(&s->advisor_run_intervals)) ||
             pb_set_bool(m, "backup_management_enabled", s->backup_management_enabled) ||
             pb_set_bool(m, "azurediscover_enabled", s->azure_discover_enabled) ||
             pb_set_bool(m, "enable_access_control", s->access_control_enabled) ||
             pb_set_u32(m, "default_role_id",
                        s->default_role_id < 0 || s->default_role_id > UINT32_MAX ? 0
                                                                                  : (uint32_t)s->default_role_id) ||
             pb_set_bool(m, "enable_internal_pg_qan", internal_pg_qan) ||
             pb_set_msg(m, "update_snooze_duration", duration_pb(s->updates_snooze_duration));
    for (size_t i = 0; rc == 0 && i < s->aws_partitions.n; i++)
        rc = pb_append_str(m, "aws_partitions", s->aws_partitions.v[i]);
    if (rc) {
        protobuf_c_message_free_unpacked(m, NULL);
        return NULL;
    }
    return m;
}

static ProtobufCMessage *readonly_pb(const settings *s)
{
    ProtobufCMessage *m = pb_new(&server__v1__read_only_settings__descriptor);
    if (m && (pb_set_bool(m, "updates_enabled", s->updates_enabled) ||
              pb_set_bool(m, "telemetry_enabled", s->telemetry_enabled) ||
              pb_set_bool(m, "advisor_enabled", s->advisors_enabled) ||
              pb_set_bool(m, "alerting_enabled", s->alerting_enabled) ||
              pb_set_str(m, "pmm_public_address", s->pmm_public_address) ||
              pb_set_bool(m, "backup_management_enabled", s->backup_management_enabled) ||
              pb_set_bool(m, "azurediscover_enabled", s->azure_discover_enabled) ||
              pb_set_bool(m, "enable_access_control", s->access_control_enabled))) {
        protobuf_c_message_free_unpacked(m, NULL);
        return NULL;
    }
    return m;
}

/* ---- the internal PostgreSQL QAN agent ---------------------------------- */

/* ---- events --------------------------------------------------------------- */

void settings_publish_changed(bus_pub *pub, const char *source)
{
    bus_pub_send_strings(pub, SETTINGS_CHANGED_TOPIC, 1, (const char *[]){ "source" }, (const char *[]){ source });
    changes_notify(SETTINGS_CHANGED_TOPIC); /* HA: the other nodes too */
}

/* ---- GetSettings / GetReadOnlySettings ------------------------------------ */

static int respond_settings(rpc_ctx *ctx, db *d, const settings *s, const ProtobufCMessageDescriptor *resp_desc,
                            ProtobufCMessage **out)
{
    bool qan;
    if (store_agents_internal_pg_qan(d, &qan, &ctx->status) != RPC_OK)
        return ctx->status.code;
    return pb_respond(&ctx->status, resp_desc, "settings", settings_pb(s, qan), out);
}

static int get_settings(rpc_ctx *ctx, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    (void)in;
    daemon_worker *w = ctx->worker;
    settings s;
    if (settings_load(w->db, &s, &ctx->status) != RPC_OK)
        return ctx->status.code;
    int rc = respond_settings(ctx, w->db, &s, &server__v1__get_settings_response__descriptor, out);
    settings_free(&s);
    return rc;
}

static int get_readonly_settings(rpc_ctx *ctx, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    (void)in;
    daemon_worker *w = ctx->worker;
    settings s;
    if (settings_load(w->db, &s, &ctx->status) != RPC_OK)
        return ctx->status.code;
    int rc = pb_respond(&ctx->status, &server__v1__get_read_only_settings_response__descriptor, "settings",
                        readonly_pb(&s), out);
    settings_free(&s);
    return rc;
}

/* ---- ChangeSettings -------------------------------------------------------- */

/* durationpb AsDuration: saturates beyond the int64 nanosecond range. */
static int64_t duration_ns(const Google__Protobuf__Duration *d)
{
    if (!d)
        return 0;
    if (d->seconds > INT64_MAX / SETTINGS_NS_PER_SEC)
        return INT64_MAX;
    if (d->seconds < INT64_MIN / SETTINGS_NS_PER_SEC)
        return INT64_MIN;
    return d->seconds * SETTINGS_NS_PER_SEC + d->nanos;
}

/* The request as a settings change; bools point into the request. */
typedef struct {
    settings_params p;
    settings_strings partitions;
    bool b[8];
} change;

static void to_params(const Server__V1__ChangeSettingsRequest *r, change *c)
{
    settings_params *p = &c->p;
    memset(c, 0, sizeof *c);
#define OPT_BOOL(i, field, target)                                                                   \
    if (r->_##field##_case) {                                                                        \
        c->b[i] = r->field;                                                                          \
        p->target = &c->b[i];                                                                        \
    }
    OPT_BOOL(0, enable_updates, enable_updates)
    OPT_BOOL(1, enable_telemetry, enable_telemetry)
    OPT_BOOL(2, enable_advisor, enable_advisors)
    OPT_BOOL(3, enable_alerting, enable_alerting)
    OPT_BOOL(4, enable_azurediscover, enable_azure_discover)
    OPT_BOOL(5, enable_backup_management, enable_backup_management)
    OPT_BOOL(6, enable_access_control, enable_access_control)
#undef OPT_BOOL
    if (r->metrics_resolutions) {
        p->metrics_resolutions.hr = duration_ns(r->metrics_resolutions->hr);
        p->metrics_resolutions.mr = duration_ns(r->metrics_resolutions->mr);
        p->metrics_resolutions.lr = duration_ns(r->metrics_resolutions->lr);
    }
    if (r->advisor_run_intervals) {
        p->advisor_run_intervals.standard_interval = duration_ns(r->advisor_run_intervals->standard_interval);
        p->advisor_run_intervals.rare_interval = duration_ns(r->advisor_run_intervals->rare_interval);
        p->advisor_run_intervals.frequent_interval = duration_ns(r->advisor_run_intervals->frequent_interval);
    }
    p->data_retention = duration_ns(r->data_retention);
    p->update_snooze_duration = duration_ns(r->update_snooze_duration);
    if (r->_ssh_key_case)
        p->ssh_key = r->ssh_key ? r->ssh_key : "";
    if (r->_pmm_public_address_case)
        p->pmm_public_address = r->pmm_public_address ? r->pmm_public_address : "";
    /* Absent: keep; present (even empty): replace, an empty list resets. */
    if (r->_aws_partitions_case && r->aws_partitions) {
        c->partitions.n = r->aws_partitions->n_values;
        c->partitions.v = r->aws_partitions->values;
        p->aws_partitions = &c->partitions;
    } else if (r->_aws_partitions_case) {
        p->aws_partitions = &c->partitions;
    }
}

/* canUpdateDurationSetting */
static bool duration_free(int64_t req, int64_t env)
{
    return req == 0 || env == 0 || req == env;
}

static bool bool_locked(const bool *req, const bool *env)
{
    return req && env && *req != *env;
}

/* validateChangeSettingsRequest's checks against the environment. */
static int check_env(rpc_status *st, const settings_params *p, const envvars *e, const bool *req_qan)
{
    const settings_params *ep = &e->params;
    const char *msg = NULL;
    if (bool_locked(p->enable_updates, ep->enable_updates))
        msg = "Updates are configured via PMM_ENABLE_UPDATES environment variable.";
    else if (bool_locked(p->enable_telemetry, ep->enable_telemetry))
        msg = "Telemetry is configured via PMM_ENABLE_TELEMETRY environment variable.";
    else if (req_qan && e->has_internal_pg_qan && *req_qan != e->internal_pg_qan)
        msg = "QAN for internal PostgreSQL is already configured via an environment variable.";
    else if (bool_locked(p->enable_alerting, ep->enable_alerting))
        msg = "Alerting is configured via ENABLE_ALERTING environment variable.";
    else if (bool_locked(p->enable_azure_discover, ep->enable_azure_discover))
        msg = "Azure Discover is configured via PMM_ENABLE_AZURE_DISCOVER environment variable.";
    else if (!duration_free(p->metrics_resolutions.hr, ep->metrics_resolutions.hr))
        msg = "High resolution for metrics is set via PMM_METRICS_RESOLUTION_HR (or PMM_METRICS_RESOLUTION) "
              "environment variable.";
    else if (!duration_free(p->metrics_resolutions.mr, ep->metrics_resolutions.mr))
        msg = "Medium resolution for metrics is set via PMM_METRICS_RESOLUTION_MR environment variable.";
    else if (!duration_free(p->metrics_resolutions.lr, ep->metrics_resolutions.lr))
        msg = "Low resolution for metrics is set via PMM_METRICS_RESOLUTION_LR environment variable.";
    else if (!duration_free(p->data_retention, ep->data_retention))
        msg = "Data retention for queries is set via PMM_DATA_RETENTION environment variable.";
    return msg ? rpc_fail(st, RPC_FAILED_PRECONDITION, "%s", msg) : RPC_OK;
}

/* The transaction: lock, apply, save, the QAN agent, the SSH key file. */
static int change_in_tx(rpc_ctx *ctx, const change *c, const bool *req_qan, settings *out)
{
    daemon_worker *w = ctx->worker;
    rpc_status *st = &ctx->status;
    if (db_begin(w->db, st) != RPC_OK)
        return st->code;
    int rc = settings_load_for_update(w->db, out, st);
    if (rc != RPC_OK) {
        db_rollback(w->db);
        return rc;
    }
    if (settings_apply(out, &c->p) != 0)
        rc = rpc_fail(st, RPC_INTERNAL, "out of memory");
    if (rc == RPC_OK)
        rc = settings_save(w->db, out, st);
    if (rc == RPC_OK && req_qan)
        rc = store_agents_set_internal_pg_qan(w->db, *req_qan, st);
    /* Written last: a failure (not an appliance build) rolls it all back. */
    if (rc == RPC_OK && c->p.ssh_key)
        rc = settings_ssh_write_key(APP(w)->distribution, c->p.ssh_key, st);
    if (rc == RPC_OK)
        rc = db_commit(w->db, st);
    else
        db_rollback(w->db);
    if (rc != RPC_OK)
        settings_free(out);
    return rc;
}

static int change_settings(rpc_ctx *ctx, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    const Server__V1__ChangeSettingsRequest *r = (const Server__V1__ChangeSettingsRequest *)in;
    daemon_worker *w = ctx->worker;
    app *a = APP(w);
    change c;
    to_params(r, &c);
    bool qan_b = r->enable_internal_pg_qan;
    const bool *req_qan = r->_enable_internal_pg_qan_case ? &qan_b : NULL;

    if (c.p.ssh_key && !settings_ssh_key_valid(c.p.ssh_key))
        return rpc_fail(&ctx->status, RPC_INVALID_ARGUMENT, "Invalid SSH key.");
    if (check_env(&ctx->status, &c.p, &a->env, req_qan) != RPC_OK)
        return ctx->status.code;
    char err[1024];
    if (settings_validate(&c.p, err, sizeof err) != 0)
        return rpc_fail(&ctx->status, RPC_INVALID_ARGUMENT, "Invalid argument: %s.", err);

    settings s;
    if (change_in_tx(ctx, &c, req_qan, &s) != RPC_OK)
        return ctx->status.code;
    settings_publish_changed(a->pub, "api");
    int rc = respond_settings(ctx, w->db, &s, &server__v1__change_settings_response__descriptor, out);
    settings_free(&s);
    return rc;
}

const rpc_method settings_methods[] = {
    { "/server.v1.ServerService/GetSettings", &server__v1__get_settings_request__descriptor, get_settings },
    { "/server.v1.ServerService/GetReadOnlySettings", &server__v1__get_read_only_settings_request__descriptor,
      get_readonly_settings },
    { "/server.v1.ServerService/ChangeSettings", &server__v1__change_settings_request__descriptor,
      change_settings },
};
const size_t settings_methods_count = sizeof settings_methods / sizeof *settings_methods;
