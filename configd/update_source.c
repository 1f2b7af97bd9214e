/* update_source: see update_source.h. Upstream: updater.go (next,
 * parseDockerTag, readFromFile) and version/parsed.go. */
#include "update_source.h"

#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "json/pbjson.h"

/* One run of decimal digits into *v (no overflow past INT_MAX). */
static const char *digits(const char *p, int *v)
{
    if (!isdigit((unsigned char)*p))
        return NULL;
    long n = 0;
    while (isdigit((unsigned char)*p)) {
        n = n * 10 + (*p++ - '0');
        if (n > INT_MAX)
            return NULL;
    }
    *v = (int)n;
    return p;
}

int pmm_version_parse(const char *s, pmm_version *v)
{
    memset(v, 0, sizeof *v);
    const char *p = s ? digits(s, &v->major) : NULL;
    if (!p || *p++ != '.' || !(p = digits(p, &v->minor)) || *p++ != '.' || !(p = digits(p, &v->patch)))
        return -1;
    /* Go's "." does not match a newline, so neither may the rest */
    if (strlen(p) >= sizeof v->rest || strchr(p, '\n'))
        return -1;
    strcpy(v->rest, p);
    v->num = v->major * 10000 + v->minor * 100 + v->patch;
    return 0;
}

bool pmm_version_less(const pmm_version *a, const pmm_version *b)
{
    if (a->num != b->num)
        return a->num < b->num;
    if (a->rest[0] == '\0')
        return false; /* equal, or a release above its pre-release */
    if (b->rest[0] == '\0')
        return true;
    return strcmp(a->rest, b->rest) < 0;
}

bool pmm_version_equal(const pmm_version *a, const pmm_version *b)
{
    return a->major == b->major && a->minor == b->minor && a->patch == b->patch && a->num == b->num &&
           strcmp(a->rest, b->rest) == 0;
}

void pmm_version_string(const pmm_version *v, char *out, size_t outlen)
{
    snprintf(out, outlen, "%d.%d.%d%s", v->major, v->minor, v->patch, v->rest);
}

void update_info_free(update_info *u)
{
    free(u->docker_image);
    free(u->release_notes_url);
    free(u->release_notes_text);
    memset(u, 0, sizeof *u);
}

/* Fills every string of u (copies; NULL reads as ""). 0 or -1, u freed. */
static int fill(update_info *u, const pmm_version *v, const char *image, int64_t sec, int32_t nanos,
                const char *notes_url, const char *notes_text)
{
    memset(u, 0, sizeof *u);
    if (v)
        u->version = *v;
    u->build_time = sec;
    u->build_nanos = nanos;
    u->docker_image = strdup(image ? image : "");
    u->release_notes_url = strdup(notes_url ? notes_url : "");
    u->release_notes_text = strdup(notes_text ? notes_text : "");
    if (!u->docker_image || !u->release_notes_url || !u->release_notes_text) {
        update_info_free(u);
        return -1;
    }
    return 0;
}

int update_info_copy(update_info *dst, const update_info *src)
{
    return fill(dst, &src->version, src->docker_image, src->build_time, src->build_nanos, src->release_notes_url,
                src->release_notes_text);
}

void update_list_free(update_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        update_info_free(&l->v[i]);
    free(l->v);
    l->v = NULL;
    l->n = 0;
}

int update_from_file(const char *json, update_info *out, char *err, size_t errlen)
{
    json_error_t je;
    json_t *j = json_loads(json, JSON_DECODE_ANY, &je);
    if (!j) {
        snprintf(err, errlen, "%s", je.text);
        return -1;
    }
    ProtobufCMessage *m = NULL;
    char perr[PBJSON_ERR_MAX];
    int rc = json_is_object(j) ? pbjson_decode(j, &internal__v1__update_version_file__descriptor, &m, perr, sizeof perr)
                               : (snprintf(perr, sizeof perr, "not a JSON object"), -1);
    json_decref(j);
    if (rc != 0) {
        snprintf(err, errlen, "%s", perr);
        return -1;
    }
    Internal__V1__UpdateVersionFile *f = (Internal__V1__UpdateVersionFile *)m;
    pmm_version v = { 0 };
    if (f->version[0] && pmm_version_parse(f->version, &v) != 0) {
        snprintf(err, errlen, "failed to parse \"%.100s\"", f->version);
        rc = -1;
    } else if (fill(out, &v, f->docker_image, f->build_time ? f->build_time->seconds : UPDATE_ZERO_TIME,
                    f->build_time ? f->build_time->nanos : 0, f->release_notes_url, f->release_notes_text) != 0) {
        snprintf(err, errlen, "out of memory");
        rc = -1;
    }
    protobuf_c_message_free_unpacked(m, NULL);
    return rc;
}

int update_from_image(const char *tag, update_info *out, char *err, size_t errlen)
{
    const char *colon = strchr(tag, ':');
    if (!colon || strchr(colon + 1, ':')) {
        snprintf(err, errlen, "invalid tag: %s", tag);
        return -1;
    }
    pmm_version v;
    bool parsed = pmm_version_parse(colon + 1, &v) == 0;
    if (fill(out, parsed ? &v : NULL, tag, UPDATE_ZERO_TIME, 0, NULL, NULL) != 0) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

static int by_version(const void *a, const void *b)
{
    const update_info *x = a, *y = b;
    return pmm_version_less(&x->version, &y->version) ? -1 : pmm_version_less(&y->version, &x->version);
}

/* The update_info of one listed release. 0 or -1. */
static int listed(update_info *u, const pmm_version *v, const Internal__V1__UpdateMetadataVersion *r,
                  const char *repo, const char *notes)
{
    char ver[100], url[160];
    pmm_version_string(v, ver, sizeof ver);
    snprintf(url, sizeof url, UPDATE_NEWS_URL "%s", ver);
    const Internal__V1__UpdateImageInfo *ii = r->image_info;
    char *image = NULL;
    if (ii && ii->image_path[0])
        image = strdup(ii->image_path);
    else if (asprintf(&image, "%s:%s", repo, r->version) < 0)
        image = NULL;
    const Google__Protobuf__Timestamp *ts = ii ? ii->image_release_timestamp : NULL;
    int rc = image ? fill(u, v, image, ts ? ts->seconds : UPDATE_ZERO_TIME, ts ? ts->nanos : 0, url, notes) : -1;
    free(image);
    return rc;
}

static int replace(update_info *dst, const update_info *src)
{
    update_info copy;
    if (update_info_copy(&copy, src) != 0)
        return -1;
    update_info_free(dst);
    *dst = copy;
    return 0;
}

int update_next(const pmm_version *installed, const Internal__V1__UpdateMetadata *md, const char *repo,
                update_notes_fn notes, void *ud, update_list *updates, update_info *latest)
{
    memset(updates, 0, sizeof *updates);
    update_info minor, major = { 0 };
    bool have_major = false, newer_minor = false;
    if (fill(&minor, installed, "", UPDATE_ZERO_TIME, 0, NULL, NULL) != 0)
        return -1;
    updates->v = calloc(md->n_versions ? md->n_versions : 1, sizeof *updates->v);
    if (!updates->v)
        goto fail;
    for (size_t i = 0; i < md->n_versions; i++) {
        const Internal__V1__UpdateMetadataVersion *r = md->versions[i];
        pmm_version v;
        if (pmm_version_parse(r->version, &v) != 0 || !pmm_version_less(installed, &v))
            continue;
        pmm_version bare = v; /* notes are per release, rc or not */
        bare.rest[0] = '\0';
        char *text = notes ? notes(&bare, ud) : NULL;
        update_info u;
        int rc = listed(&u, &v, r, repo, text);
        free(text);
        if (rc != 0)
            goto fail;
        bool keep = false;
        if (v.rest[0] == '\0') { /* pre-releases are offered, never listed */
            updates->v[updates->n++] = u;
            keep = true;
        }
        if (v.major == installed->major && pmm_version_less(&minor.version, &v)) {
            if (replace(&minor, &u) != 0)
                goto fail_u;
            newer_minor = true;
        }
        if (v.major > installed->major &&
            (!have_major || (pmm_version_less(&major.version, &v) && major.version.major == v.major) ||
             v.major < major.version.major)) {
            if (replace(&major, &u) != 0)
                goto fail_u;
            have_major = true;
        }
        if (!keep)
            update_info_free(&u);
        continue;
    fail_u:
        if (!keep)
            update_info_free(&u);
        goto fail;
    }
    qsort(updates->v, updates->n, sizeof *updates->v, by_version);
    if (!newer_minor && have_major) {
        *latest = major;
        update_info_free(&minor);
    } else {
        *latest = minor;
        update_info_free(&major);
    }
    return 0;
fail:
    update_info_free(&minor);
    update_info_free(&major);
    update_list_free(updates);
    return -1;
}
