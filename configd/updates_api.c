/* updates_api: see updates_api.h. Upstream: managed/services/server/
 * server.go (CheckUpdates, ListChangeLogs, StartUpdate, UpdateStatus) and
 * updater.go (LastCheckUpdatesResult, StartUpdate). */
#include "updates_api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app.h"
#include "google/protobuf/timestamp.pb-c.h"
#include "pbutil.h"
#include "server.h"
#include "server/v1/server.pb-c.h"
#include "db/settings.h"
#include "updater.h"

static ProtobufCMessage *timestamp(int64_t sec, int32_t nanos)
{
    ProtobufCMessage *ts = pb_new(&google__protobuf__timestamp__descriptor);
    if (ts && (pb_set_i64(ts, "seconds", sec) || pb_set_i32(ts, "nanos", nanos))) {
        protobuf_c_message_free_unpacked(ts, NULL);
        return NULL;
    }
    return ts;
}

/* Go's t.UTC().Truncate(24 * time.Hour), for Go's whole range. */
static int64_t day_of(int64_t sec)
{
    int64_t r = sec % 86400;
    return sec - (r < 0 ? r + 86400 : r);
}

/* The settings' updates switch; RPC code. */
static int updates_enabled(daemon_worker *w, bool *enabled, rpc_status *st)
{
    settings s;
    if (settings_load(w->db, &s, st) != RPC_OK)
        return st->code;
    *enabled = s.updates_enabled;
    settings_free(&s);
    return RPC_OK;
}

/* PMM_ENABLE_UPDATES=false: updates are off whatever the settings say. */
static bool env_disables(daemon_worker *w)
{
    const bool *e = APP(w)->env.params.enable_updates;
    return e && !*e;
}

/* server.v1.DockerVersionInfo of u; with_time: its release day, which
 * CheckUpdates gives only for a release that names an image. */
static ProtobufCMessage *docker_version(const update_info *u, bool with_time)
{
    char version[100];
    pmm_version_string(&u->version, version, sizeof version);
    ProtobufCMessage *m = pb_new(&server__v1__docker_version_info__descriptor);
    if (m && (pb_set_str(m, "version", version) || pb_set_str(m, "tag", u->docker_image) ||
              pb_set_str(m, "release_notes_url", u->release_notes_url) ||
              pb_set_str(m, "release_notes_text", u->release_notes_text) ||
              (with_time && pb_set_msg(m, "timestamp", timestamp(day_of(u->build_time), 0))))) {
        protobuf_c_message_free_unpacked(m, NULL);
        return NULL;
    }
    return m;
}

static int check_updates(rpc_ctx *ctx, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    daemon_worker *w = ctx->worker;
    rpc_status *st = &ctx->status;
    ProtobufCMessage *resp = pb_new(&server__v1__check_updates_response__descriptor);
    if (!resp)
        return rpc_fail(st, RPC_INTERNAL, "out of memory");
    if (pb_get_bool(in, "only_installed_version")) {
        if (pb_set_msg(resp, "installed", server_installed_version(false))) {
            protobuf_c_message_free_unpacked(resp, NULL);
            return rpc_fail(st, RPC_INTERNAL, "out of memory");
        }
        *out = resp;
        return RPC_OK;
    }
    bool enabled = false;
    if (updates_enabled(w, &enabled, st) != RPC_OK ||
        (pb_get_bool(in, "force") && updater_check(APP(w)->updates, enabled, st) != RPC_OK)) {
        protobuf_c_message_free_unpacked(resp, NULL);
        return st->code;
    }
    update_info latest;
    bool have;
    int64_t last_ns;
    if (updater_result(APP(w)->updates, enabled, &latest, &have, &last_ns) != 0) {
        protobuf_c_message_free_unpacked(resp, NULL);
        return rpc_fail(st, RPC_INTERNAL, "out of memory");
    }
    /* No result yet: upstream's zero DockerVersionInfo ("0.0.0", no image)
     * and zero check time (0001-01-01). */
    update_info none = { .docker_image = "", .release_notes_url = "", .release_notes_text = "" };
    const update_info *l = have ? &latest : &none;
    char version[100], news[160];
    pmm_version_string(&l->version, version, sizeof version);
    snprintf(news, sizeof news, UPDATE_NEWS_URL "%s", version);
    bool available = l->docker_image[0] != '\0';
    int bad = pb_set_msg(resp, "installed", server_installed_version(true)) ||
              pb_set_msg(resp, "latest", docker_version(l, available)) ||
              pb_set_bool(resp, "update_available", available && !env_disables(w)) ||
              pb_set_str(resp, "latest_news_url", news) ||
              pb_set_msg(resp, "last_check", last_ns ? timestamp(last_ns / 1000000000, (int32_t)(last_ns % 1000000000))
                                                     : timestamp(UPDATE_ZERO_TIME, 0));
    if (have)
        update_info_free(&latest);
    if (bad) {
        protobuf_c_message_free_unpacked(resp, NULL);
        return rpc_fail(st, RPC_INTERNAL, "out of memory");
    }
    *out = resp;
    return RPC_OK;
}

static int list_change_logs(rpc_ctx *ctx, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    (void)in;
    daemon_worker *w = ctx->worker;
    rpc_status *st = &ctx->status;
    bool enabled = false, have;
    if (updates_enabled(w, &enabled, st) != RPC_OK)
        return st->code;
    update_list updates;
    update_info latest;
    char err[1024];
    /* upstream asks the sources afresh, not the cached check */
    int rc = updater_latest(APP(w)->updates, enabled, &updates, &latest, &have, err, sizeof err);
    if (rc != UPDATER_OK)
        return rpc_fail(st, RPC_UNAVAILABLE, "failed to list available updates");
    if (have)
        update_info_free(&latest);
    ProtobufCMessage *resp = pb_new(&server__v1__list_change_logs_response__descriptor);
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    int bad = !resp || pb_set_msg(resp, "last_check", timestamp(now.tv_sec, (int32_t)now.tv_nsec));
    for (size_t i = 0; !bad && i < updates.n; i++) /* each without its time, as upstream */
        bad = pb_append_msg(resp, "updates", docker_version(&updates.v[i], false));
    update_list_free(&updates);
    if (bad) {
        if (resp)
            protobuf_c_message_free_unpacked(resp, NULL);
        return rpc_fail(st, RPC_INTERNAL, "out of memory");
    }
    *out = resp;
    return RPC_OK;
}

/* Upstream's refusals first (the environment, then the settings, worded
 * as its two paths word them); then, instead of asking watchtower to
 * replace the container, how this suite is updated. */
static int start_update(rpc_ctx *ctx, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    (void)out;
    daemon_worker *w = ctx->worker;
    rpc_status *st = &ctx->status;
    if (env_disables(w))
        return rpc_fail(st, RPC_FAILED_PRECONDITION,
                        "Updates are disabled via PMM_ENABLE_UPDATES environment variable.");
    bool enabled = false;
    if (updates_enabled(w, &enabled, st) != RPC_OK)
        return st->code;
    if (!enabled)
        return rpc_fail(st, RPC_FAILED_PRECONDITION, "%s",
                        pb_get_str(in, "new_image")[0] ? "updates are disabled" : "PMM updates are disabled");
    return rpc_fail(st, RPC_FAILED_PRECONDITION, UPDATES_HOW_TO_UPDATE);
}

/* Upstream answers done, with no lines, whatever the token, while no
 * update was ever started (no token file): here none ever is. */
static int update_status(rpc_ctx *ctx, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    (void)in;
    ProtobufCMessage *resp = pb_new(&server__v1__update_status_response__descriptor);
    if (!resp || pb_set_bool(resp, "done", true)) {
        if (resp)
            protobuf_c_message_free_unpacked(resp, NULL);
        return rpc_fail(&ctx->status, RPC_INTERNAL, "out of memory");
    }
    *out = resp;
    return RPC_OK;
}

const rpc_method updates_methods[] = {
    { "/server.v1.ServerService/CheckUpdates", &server__v1__check_updates_request__descriptor, check_updates },
    { "/server.v1.ServerService/ListChangeLogs", &server__v1__list_change_logs_request__descriptor,
      list_change_logs },
    { "/server.v1.ServerService/StartUpdate", &server__v1__start_update_request__descriptor, start_update },
    { "/server.v1.ServerService/UpdateStatus", &server__v1__update_status_request__descriptor, update_status },
};
const size_t updates_methods_count = sizeof updates_methods / sizeof *updates_methods;
