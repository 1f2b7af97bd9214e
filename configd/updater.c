/* updater: see updater.h. Upstream: updater.go (latest, readFromFile,
 * latestAvailableFromVersionService, getReleaseNotesText, check,
 * checkResult). */
#include "updater.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "http/httpc.h"
#include "log.h"
#include "json/pbjson.h"

#define BODY_MAX (4u << 20)
#define FILE_MAX (1u << 20)

typedef struct {
    char version[100];
    char *text;
} notes_entry;

struct updater {
    char *version_file, *address, *dev_image, *repo;
    long timeout_ms;
    int64_t (*now_ns)(void);

    pthread_mutex_t check_mu;  /* held through a check, as upstream's checkRW */
    bool have_result;          /* a check succeeded: result and last_check are set */
    bool result_set;           /* and named a release (the service may list none) */
    update_info result;
    int64_t last_check_ns;

    pthread_mutex_t notes_mu;  /* release notes by version, kept once fetched */
    notes_entry *notes;
    size_t n_notes;
};

static int64_t real_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static char *dup_or(const char *s, const char *otherwise)
{
    return strdup(s && *s ? s : otherwise);
}

updater *updater_new(const updater_config *c)
{
    updater *u = calloc(1, sizeof *u);
    if (!u)
        return NULL;
    u->version_file = dup_or(c->version_file, "");
    u->address = dup_or(c->platform_address, "");
    u->dev_image = dup_or(c->dev_image, "");
    u->repo = dup_or(c->dev_repo, "percona/pmm-server");
    u->timeout_ms = c->timeout_ms > 0 ? c->timeout_ms : 5000;
    u->now_ns = c->now_ns ? c->now_ns : real_now_ns;
    pthread_mutex_init(&u->check_mu, NULL);
    pthread_mutex_init(&u->notes_mu, NULL);
    if (!u->version_file || !u->address || !u->dev_image || !u->repo) {
        updater_free(u);
        return NULL;
    }
    /* "https://check.percona.com/" + "/metadata/..." */
    size_t n = strlen(u->address);
    while (n > 0 && u->address[n - 1] == '/')
        u->address[--n] = '\0';
    return u;
}

void updater_free(updater *u)
{
    if (!u)
        return;
    free(u->version_file);
    free(u->address);
    free(u->dev_image);
    free(u->repo);
    update_info_free(&u->result);
    for (size_t i = 0; i < u->n_notes; i++)
        free(u->notes[i].text);
    free(u->notes);
    pthread_mutex_destroy(&u->check_mu);
    pthread_mutex_destroy(&u->notes_mu);
    free(u);
}

/* GET url into *r; -1 with err as Go's client words it
 * ("Get \"url\": dial tcp ..."). */
static int get(const updater *u, const char *url, httpc_response *r, char *err, size_t errlen)
{
    httpc_request req = { .url = url, .timeout_ms = u->timeout_ms, .max_body = BODY_MAX };
    return httpc_fetch(&req, r, err, errlen);
}

/* Decodes a JSON object into a new message of type d; -1 with err. */
static int decode(const char *text, const ProtobufCMessageDescriptor *d, ProtobufCMessage **out, char *err,
                  size_t errlen)
{
    json_error_t je;
    json_t *j = json_loads(text, JSON_DECODE_ANY, &je);
    if (!j) {
        snprintf(err, errlen, "%s", je.text);
        return -1;
    }
    int rc = json_is_object(j) ? pbjson_decode(j, d, out, err, errlen) : (snprintf(err, errlen, "not a JSON object"), -1);
    json_decref(j);
    return rc;
}

/* ---- release notes ----------------------------------------------------- */

static char *cached_notes(updater *u, const char *version)
{
    char *text = NULL;
    pthread_mutex_lock(&u->notes_mu);
    for (size_t i = 0; i < u->n_notes && !text; i++)
        if (strcmp(u->notes[i].version, version) == 0)
            text = strdup(u->notes[i].text);
    pthread_mutex_unlock(&u->notes_mu);
    return text;
}

static void keep_notes(updater *u, const char *version, const char *text)
{
    pthread_mutex_lock(&u->notes_mu);
    notes_entry *grown = realloc(u->notes, (u->n_notes + 1) * sizeof *u->notes);
    if (grown) {
        u->notes = grown;
        snprintf(u->notes[u->n_notes].version, sizeof u->notes[u->n_notes].version, "%s", version);
        if ((u->notes[u->n_notes].text = strdup(text)) != NULL)
            u->n_notes++;
    }
    pthread_mutex_unlock(&u->notes_mu);
}

/* getReleaseNotesText: "" (not kept) when the service does not answer 200
 * with {"releaseNote"}; upstream only logs why. */
static char *release_notes(const pmm_version *v, void *ud)
{
    updater *u = ud;
    char version[100];
    pmm_version_string(v, version, sizeof version);
    char *text = cached_notes(u, version);
    if (text)
        return text;
    char url[1200], err[512];
    snprintf(url, sizeof url, "%s/release-notes/v1/pmm/%s", u->address, version);
    httpc_response r;
    if (get(u, url, &r, err, sizeof err) != 0) {
        log_warn("failed to get release notes for version: %s: %s", version, err);
        return strdup("");
    }
    ProtobufCMessage *m = NULL;
    if (r.status != 200)
        log_warn("failed to get release notes for PMM %s, got HTTP %ld", version, r.status);
    else if (decode(r.body, &internal__v1__update_release_notes__descriptor, &m, err, sizeof err) != 0)
        log_warn("release notes of %s: failed to decode response: %s", version, err);
    httpc_response_free(&r);
    if (!m)
        return strdup("");
    text = strdup(((Internal__V1__UpdateReleaseNotes *)m)->release_note);
    protobuf_c_message_free_unpacked(m, NULL);
    if (text)
        keep_notes(u, version, text);
    return text;
}

/* ---- sources ------------------------------------------------------------- */

/* readFromFile: 1 when there is no file, 0 with *out, -1 with err. */
static int from_file(const updater *u, update_info *out, char *err, size_t errlen)
{
    if (!u->version_file[0])
        return 1;
    FILE *f = fopen(u->version_file, "r");
    if (!f && errno == ENOENT)
        return 1;
    char *text = f ? malloc(FILE_MAX + 1) : NULL;
    size_t n = text ? fread(text, 1, FILE_MAX + 1, f) : 0;
    int failed = !f || !text || ferror(f);
    if (f)
        fclose(f);
    if (failed || n > FILE_MAX) {
        snprintf(err, errlen, "failed to read from file: failed to read file: %s",
                 failed ? strerror(errno ? errno : EIO) : "larger than 1 MiB");
        free(text);
        return -1;
    }
    text[n] = '\0';
    char why[512];
    int rc = update_from_file(text, out, why, sizeof why);
    free(text);
    if (rc != 0)
        snprintf(err, errlen, "failed to read from file: failed to unmarshal file: %s", why);
    return rc;
}

/* latestAvailableFromVersionService. */
static int from_service(updater *u, update_list *updates, update_info *latest, bool *have, char *err, size_t errlen)
{
    char url[1100], why[512];
    snprintf(url, sizeof url, "%s/metadata/v2/pmm-server", u->address);
    httpc_response r;
    if (get(u, url, &r, why, sizeof why) != 0) {
        snprintf(err, errlen, "failed to get PMM server versions: %s", why);
        return UPDATER_FAILED;
    }
    ProtobufCMessage *m = NULL;
    int rc = decode(r.body, &internal__v1__update_metadata__descriptor, &m, why, sizeof why);
    httpc_response_free(&r);
    if (rc != 0) {
        snprintf(err, errlen, "failed to decode response: %s", why);
        return UPDATER_FAILED;
    }
    Internal__V1__UpdateMetadata *md = (Internal__V1__UpdateMetadata *)m;
    pmm_version installed;
    update_list none = { 0 };
    rc = UPDATER_OK;
    if (md->n_versions == 0) {
        *have = false; /* "No new PMM version available" */
    } else if (pmm_version_parse(PMM_VERSION, &installed) != 0 ||
               update_next(&installed, md, u->repo, release_notes, u, updates ? updates : &none, latest) != 0) {
        snprintf(err, errlen, "failed to choose the next version of %s", PMM_VERSION);
        rc = UPDATER_FAILED;
    } else {
        *have = true;
    }
    update_list_free(&none);
    protobuf_c_message_free_unpacked(m, NULL);
    return rc;
}

int updater_latest(updater *u, bool enabled, update_list *updates, update_info *latest, bool *have_latest,
                   char *err, size_t errlen)
{
    if (updates)
        memset(updates, 0, sizeof *updates);
    memset(latest, 0, sizeof *latest);
    *have_latest = false;
    if (!enabled)
        return UPDATER_DISABLED;
    int rc = from_file(u, latest, err, errlen);
    if (rc <= 0) {
        *have_latest = rc == 0;
        return rc == 0 ? UPDATER_OK : UPDATER_FAILED;
    }
    if (u->dev_image[0]) {
        if (update_from_image(u->dev_image, latest, err, errlen) != 0)
            return UPDATER_FAILED;
        *have_latest = true;
        return UPDATER_OK;
    }
    return from_service(u, updates, latest, have_latest, err, errlen);
}

/* ---- the cache ------------------------------------------------------------ */

/* check() with check_mu held. */
static int check_locked(updater *u, bool enabled, rpc_status *st)
{
    update_info latest;
    bool have;
    char err[1024];
    int rc = updater_latest(u, enabled, NULL, &latest, &have, err, sizeof err);
    if (rc == UPDATER_DISABLED) {
        log_info("PMM updates are disabled");
        return rpc_fail(st, RPC_FAILED_PRECONDITION, "PMM updates are disabled");
    }
    if (rc != UPDATER_OK) {
        log_warn("update check: %s", err);
        return rpc_fail(st, RPC_UNKNOWN, "failed to get latest version: %s", err);
    }
    update_info_free(&u->result);
    u->result = latest;
    u->result_set = have;
    u->have_result = true;
    u->last_check_ns = u->now_ns();
    return RPC_OK;
}

int updater_check(updater *u, bool enabled, rpc_status *st)
{
    pthread_mutex_lock(&u->check_mu);
    int rc = check_locked(u, enabled, st);
    pthread_mutex_unlock(&u->check_mu);
    return rc;
}

int updater_result(updater *u, bool enabled, update_info *latest, bool *have, int64_t *last_check_ns)
{
    rpc_status ignored;
    pthread_mutex_lock(&u->check_mu);
    if (!u->have_result || u->now_ns() - u->last_check_ns > UPDATER_FRESH_NS)
        check_locked(u, enabled, &ignored); /* on failure the old result stays, as upstream's */
    int rc = 0;
    *have = u->have_result && u->result_set;
    *last_check_ns = u->have_result ? u->last_check_ns : 0;
    if (*have)
        rc = update_info_copy(latest, &u->result);
    else
        memset(latest, 0, sizeof *latest);
    pthread_mutex_unlock(&u->check_mu);
    return rc;
}
