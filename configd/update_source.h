/* update_source: what upstream's updater makes of its sources of PMM
 * Server releases (managed/services/server/updater.go), without any I/O:
 * the version numbers and their order, the air-gapped JSON file, the
 * PMM_DEV_UPDATE_DOCKER_IMAGE tag, and the choice of the next release
 * from the version service's list. configd/updater.c does the fetching
 * and the caching. */
#ifndef CONFIGD_UPDATE_SOURCE_H
#define CONFIGD_UPDATE_SOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "internal/v1/updates.pb-c.h"

/* Go's zero time.Time (0001-01-01T00:00:00Z): what upstream reports for a
 * release time it was never told. */
#define UPDATE_ZERO_TIME INT64_C(-62135596800)

#define UPDATE_NEWS_URL "https://per.co.na/pmm/"

/* upstream's version.Parsed: "3.1.0-rc757" = 3, 1, 0, "-rc757". */
typedef struct {
    int major, minor, patch;
    int num;          /* major*10000 + minor*100 + patch, upstream's order key */
    char rest[64];
} pmm_version;

/* ^(\d+)\.(\d+)\.(\d+)(.*)$; 0 or -1 (also for a rest over 63 bytes). */
int pmm_version_parse(const char *s, pmm_version *v);
/* Parsed.Less: by num, then a release above its pre-releases, then the
 * rests as strings. */
bool pmm_version_less(const pmm_version *a, const pmm_version *b);
bool pmm_version_equal(const pmm_version *a, const pmm_version *b);
/* "3.1.0-rc757"; out needs 64 + 36 bytes. */
void pmm_version_string(const pmm_version *v, char *out, size_t outlen);

/* upstream's version.DockerVersionInfo. Strings malloc'd (never NULL once
 * filled); build_time in seconds, UPDATE_ZERO_TIME when unknown. */
typedef struct {
    pmm_version version;
    char *docker_image;
    int64_t build_time;
    int32_t build_nanos;
    char *release_notes_url;
    char *release_notes_text;
} update_info;

typedef struct {
    update_info *v;
    size_t n;
} update_list;

void update_info_free(update_info *u);
/* A deep copy; 0 or -1 on ENOMEM. */
int update_info_copy(update_info *dst, const update_info *src);
void update_list_free(update_list *l);

/* The air-gapped file's JSON ({"version", "docker_image", "build_time",
 * "release_notes_url", "release_notes_text"}; absent keys are zero, as Go
 * unmarshals). 0, or -1 with err. */
int update_from_file(const char *json, update_info *out, char *err, size_t errlen);

/* PMM_DEV_UPDATE_DOCKER_IMAGE ("perconalab/pmm-server:3.1.0"): -1 with err
 * "invalid tag: <tag>" unless there is exactly one ':'; a tag that is not
 * a version gives only the image. */
int update_from_image(const char *tag, update_info *out, char *err, size_t errlen);

/* The release notes of a version (its rest already dropped): malloc'd
 * Markdown, or "" when unknown. */
typedef char *(*update_notes_fn)(const pmm_version *v, void *ud);

/* upstream's next(): from the version service's list, every newer release
 * without a pre-release label in ascending order (*updates), and the
 * release to offer (*latest): the newest of the installed major, else the
 * newest of the nearest newer major, else the installed version with no
 * image. repo names images the list does not ("percona/pmm-server").
 * 0 or -1 on ENOMEM. */
int update_next(const pmm_version *installed, const Internal__V1__UpdateMetadata *md, const char *repo,
                update_notes_fn notes, void *ud, update_list *updates, update_info *latest);

#endif
