/* test_update_source: configd's reading of PMM Server releases
 * (configd/update_source.c) against upstream's updater_test.go cases:
 * the choice of the next release, the list's order, the air-gapped file,
 * the image variable and the version order. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "configd/update_source.h"
#include "tests/lib/checkrun.h"

static char *vstr(const pmm_version *v)
{
    static char buf[100];
    pmm_version_string(v, buf, sizeof buf);
    return buf;
}

static pmm_version V(const char *s)
{
    pmm_version v;
    ck_assert_msg(pmm_version_parse(s, &v) == 0, "%s", s);
    return v;
}

START_TEST(version_parse_and_order)
{
    pmm_version v = V("3.1.0-rc757");
    ck_assert_int_eq(v.major, 3);
    ck_assert_int_eq(v.minor, 1);
    ck_assert_int_eq(v.patch, 0);
    ck_assert_str_eq(v.rest, "-rc757");
    ck_assert_int_eq(v.num, 30100);
    ck_assert_str_eq(vstr(&v), "3.1.0-rc757");
    pmm_version bad;
    ck_assert_int_eq(pmm_version_parse("3.1", &bad), -1);
    ck_assert_int_eq(pmm_version_parse("invalid", &bad), -1);
    ck_assert_int_eq(pmm_version_parse("v3.1.0", &bad), -1);
    ck_assert_int_eq(pmm_version_parse("", &bad), -1);
    ck_assert_int_eq(pmm_version_parse("3.0.0\n", &bad), -1);

    /* upstream's TestSortedVersionList order */
    pmm_version a = V("3.0.0-rc"), b = V("3.0.0"), c = V("3.0.1"), d = V("3.1.0");
    ck_assert(pmm_version_less(&a, &b) && pmm_version_less(&b, &c) && pmm_version_less(&c, &d));
    ck_assert(!pmm_version_less(&b, &a) && !pmm_version_less(&b, &b));
    pmm_version rc1 = V("3.1.0-rc"), rc2 = V("3.1.0-rc757");
    ck_assert(pmm_version_less(&rc1, &rc2) && pmm_version_less(&rc2, &d));
    ck_assert(pmm_version_equal(&b, &b) && !pmm_version_equal(&b, &a));
}
END_TEST

/* The version service's list for update_next. */
typedef struct {
    Internal__V1__UpdateMetadata md;
    Internal__V1__UpdateMetadataVersion v[8], *pv[8];
    Internal__V1__UpdateImageInfo ii[8];
    Google__Protobuf__Timestamp ts[8];
} listing;

static void listing_init(listing *l, const char *const *versions)
{
    memset(l, 0, sizeof *l);
    internal__v1__update_metadata__init(&l->md);
    for (size_t i = 0; versions[i]; i++) {
        internal__v1__update_metadata_version__init(&l->v[i]);
        l->v[i].version = (char *)versions[i];
        l->pv[i] = &l->v[i];
        l->md.n_versions = i + 1;
    }
    l->md.versions = l->pv;
}

static int notes_calls;
static char *notes(const pmm_version *v, void *ud)
{
    (void)ud;
    notes_calls++;
    ck_assert_str_eq(v->rest, ""); /* asked per release, rc label dropped */
    char *s = malloc(100);
    snprintf(s, 100, "notes of %d.%d.%d", v->major, v->minor, v->patch);
    return s;
}

/* update_next over versions; returns the offered version and image. */
static void next(const char *installed, const char *const *versions, const char *want_version,
                 const char *want_image)
{
    listing l;
    listing_init(&l, versions);
    pmm_version cur = V(installed);
    update_list updates;
    update_info latest;
    ck_assert_int_eq(update_next(&cur, &l.md, "percona/pmm-server", notes, NULL, &updates, &latest), 0);
    ck_assert_msg(strcmp(vstr(&latest.version), want_version) == 0, "%s: got %s want %s", installed,
                  vstr(&latest.version), want_version);
    ck_assert_str_eq(latest.docker_image, want_image);
    update_info_free(&latest);
    update_list_free(&updates);
}

START_TEST(next_version_as_upstream)
{
    next("3.0.0", (const char *[]){ NULL }, "3.0.0", "");
    next("3.0.0", (const char *[]){ "3.0.0", NULL }, "3.0.0", "");
    next("3.0.0", (const char *[]){ "3.2.0", "3.1.0", "3.0.0", NULL }, "3.2.0", "percona/pmm-server:3.2.0");
    next("3.0.0", (const char *[]){ "3.0.0", "3.0.1", NULL }, "3.0.1", "percona/pmm-server:3.0.1");
    next("3.0.0", (const char *[]){ "4.0.0", "3.0.0", NULL }, "4.0.0", "percona/pmm-server:4.0.0");
    next("3.0.0", (const char *[]){ "4.0.0", "3.0.0", "4.0.0-rc", NULL }, "4.0.0", "percona/pmm-server:4.0.0");
    next("3.3.0", (const char *[]){ "4.1.0", "4.0.0", "3.0.0", "5.1.0", NULL }, "4.1.0", "percona/pmm-server:4.1.0");
    next("3.0.0", (const char *[]){ "4.1.0", "4.0.0", "3.0.0", "3.1.0", NULL }, "3.1.0", "percona/pmm-server:3.1.0");
    next("3.0.0", (const char *[]){ "3.0.0", "3.1.0", "invalid", NULL }, "3.1.0", "percona/pmm-server:3.1.0");
    next("3.0.0", (const char *[]){ "3.0.0", "3.1", NULL }, "3.0.0", "");
    next("3.0.0", (const char *[]){ "3.0.0", "3.1.0-rc", "3.1.0-rc757", NULL }, "3.1.0-rc757",
         "percona/pmm-server:3.1.0-rc757");
    next("3.0.0", (const char *[]){ "3.0.0", "3.1.0", "3.1.0-rc", "3.1.0-rc757", NULL }, "3.1.0",
         "percona/pmm-server:3.1.0");
}
END_TEST

START_TEST(listed_releases_sorted_with_details)
{
    listing l;
    listing_init(&l, (const char *[]){ "3.2.0", "3.0.1", "3.1.0-rc", "2.44.0", "3.1.0", NULL });
    /* one image named by the service, with its release time */
    internal__v1__update_image_info__init(&l.ii[1]);
    l.ii[1].image_path = "docker.io/percona/pmm-server:3.0.1";
    google__protobuf__timestamp__init(&l.ts[1]);
    l.ts[1].seconds = 1710949687; /* 2024-03-20T15:48:07.14562Z */
    l.ts[1].nanos = 145620000;
    l.ii[1].image_release_timestamp = &l.ts[1];
    l.v[1].image_info = &l.ii[1];
    pmm_version cur = V("3.0.0");
    update_list u;
    update_info latest;
    notes_calls = 0;
    ck_assert_int_eq(update_next(&cur, &l.md, "perconalab/pmm-server", notes, NULL, &u, &latest), 0);
    ck_assert_int_eq(notes_calls, 4); /* every newer one, the rc too */
    ck_assert_uint_eq(u.n, 3);        /* no pre-release, nothing older */
    ck_assert_str_eq(vstr(&u.v[0].version), "3.0.1");
    ck_assert_str_eq(vstr(&u.v[1].version), "3.1.0");
    ck_assert_str_eq(vstr(&u.v[2].version), "3.2.0");
    ck_assert_str_eq(u.v[0].docker_image, "docker.io/percona/pmm-server:3.0.1");
    ck_assert_int_eq(u.v[0].build_time, 1710949687);
    ck_assert_int_eq(u.v[0].build_nanos, 145620000);
    ck_assert_str_eq(u.v[1].docker_image, "perconalab/pmm-server:3.1.0");
    ck_assert_int_eq(u.v[1].build_time, UPDATE_ZERO_TIME);
    ck_assert_str_eq(u.v[2].release_notes_url, "https://per.co.na/pmm/3.2.0");
    ck_assert_str_eq(u.v[2].release_notes_text, "notes of 3.2.0");
    ck_assert_str_eq(vstr(&latest.version), "3.2.0");
    ck_assert_str_eq(latest.release_notes_text, "notes of 3.2.0");
    update_info_free(&latest);
    update_list_free(&u);
}
END_TEST

START_TEST(air_gapped_file)
{
    update_info u;
    char err[512];
    /* upstream's TestParseFile */
    ck_assert_int_eq(update_from_file("{ \"version\": \"2.41.1\" , \"docker_image\": \"2.41.1\" , "
                                      "\"build_time\": \"2024-03-20T15:48:07.14562Z\" }",
                                      &u, err, sizeof err),
                     0);
    ck_assert_str_eq(vstr(&u.version), "2.41.1");
    ck_assert_str_eq(u.docker_image, "2.41.1");
    ck_assert_int_eq(u.build_time, 1710949687);
    ck_assert_int_eq(u.build_nanos, 145620000);
    ck_assert_str_eq(u.release_notes_url, "");
    update_info_free(&u);

    ck_assert_int_eq(update_from_file("{\"docker_image\": \"percona/pmm-server:3.1.0\", \"release_notes_url\": \"u\","
                                      " \"release_notes_text\": \"t\", \"extra\": [1]}",
                                      &u, err, sizeof err),
                     0);
    ck_assert_str_eq(vstr(&u.version), "0.0.0"); /* absent: Go's zero */
    ck_assert_int_eq(u.build_time, UPDATE_ZERO_TIME);
    ck_assert_str_eq(u.release_notes_text, "t");
    update_info_free(&u);

    ck_assert_int_eq(update_from_file("{\"version\": \"3.x\"}", &u, err, sizeof err), -1);
    ck_assert_str_eq(err, "failed to parse \"3.x\"");
    ck_assert_int_eq(update_from_file("{\"version\": 3}", &u, err, sizeof err), -1);
    ck_assert_int_eq(update_from_file("{\"build_time\": \"yesterday\"}", &u, err, sizeof err), -1);
    ck_assert_int_eq(update_from_file("[1]", &u, err, sizeof err), -1);
    ck_assert_int_eq(update_from_file("{", &u, err, sizeof err), -1);
    ck_assert_int_eq(update_from_file("", &u, err, sizeof err), -1);
}
END_TEST

START_TEST(image_variable)
{
    update_info u;
    char err[512];
    ck_assert_int_eq(update_from_image("perconalab/pmm-server:3.1.0", &u, err, sizeof err), 0);
    ck_assert_str_eq(vstr(&u.version), "3.1.0");
    ck_assert_str_eq(u.docker_image, "perconalab/pmm-server:3.1.0");
    update_info_free(&u);
    ck_assert_int_eq(update_from_image("perconalab/pmm-server:3-dev-latest", &u, err, sizeof err), 0);
    ck_assert_str_eq(vstr(&u.version), "0.0.0");
    ck_assert_str_eq(u.docker_image, "perconalab/pmm-server:3-dev-latest");
    update_info_free(&u);
    ck_assert_int_eq(update_from_image("perconalab/pmm-server", &u, err, sizeof err), -1);
    ck_assert_str_eq(err, "invalid tag: perconalab/pmm-server");
    ck_assert_int_eq(update_from_image("localhost:5000/pmm-server:3.1.0", &u, err, sizeof err), -1);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("update_source");
    TCase *tc = tcase_create("all");
    tcase_add_test(tc, version_parse_and_order);
    tcase_add_test(tc, next_version_as_upstream);
    tcase_add_test(tc, listed_releases_sorted_with_details);
    tcase_add_test(tc, air_gapped_file);
    tcase_add_test(tc, image_variable);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return check_run(suite());
}
