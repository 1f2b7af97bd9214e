/* test_backup_rules: backupd's pure rules: section 9's compatibility of
 * MySQL/xtrabackup and MongoDB/pbm versions with upstream's texts and
 * error codes, version order, artifact name and folder checks (Go's
 * path.Clean), PITR timeranges from pbm oplog chunk names (section 10),
 * artifact metadata between protobuf and upstream's stored JSON. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "backupd/compat.h"
#include "backupd/metadata.h"
#include "backupd/naming.h"
#include "backupd/pitr.h"
#include "tests/lib/checkrun.h"

static void mysql_ok(const char *mysqld, const char *xb)
{
    rpc_status st = { 0 };
    int code = -1;
    ck_assert_msg(compat_mysql(mysqld, xb, xb, &code, &st) == RPC_OK, "%s + %s: %s", mysqld, xb, st.message);
    ck_assert_int_eq(code, 0);
}

static void mysql_bad(const char *mysqld, const char *xb, const char *xbc, int want_code, const char *want)
{
    rpc_status st = { 0 };
    int code = -1;
    ck_assert_int_eq(compat_mysql(mysqld, xb, xbc, &code, &st), RPC_FAILED_PRECONDITION);
    ck_assert_int_eq(code, want_code);
    ck_assert_str_eq(st.message, want);
}

START_TEST(mysql_compatibility)
{
    mysql_ok("8.0.33", "8.0.33");
    mysql_ok("8.0.33-25", "8.0.33-27"); /* compared on x.y.z */
    mysql_ok("8.0.25", "8.0.35");
    mysql_ok("8.0.22", "8.0.22");
    mysql_ok("5.7.40", "2.4.28");
    mysql_ok("5.5.1", "2.4.18");
    mysql_ok("8.0.19", "8.0.6");
    mysql_ok("8.0.20", "8.0.12");
    mysql_ok("8.0.21", "8.0.14");
    mysql_bad("8.0.33", "8.0.30", "8.0.30", 3,
              "xtrabackup version \"8.0.30\" is not compatible with mysql version \"8.0.33\": incompatible xtrabackup");
    mysql_bad("8.0.33", "9.0.1", "9.0.1", 3,
              "xtrabackup version \"9.0.1\" is not compatible with mysql version \"8.0.33\": incompatible xtrabackup");
    mysql_bad("5.7.40", "2.4.17", "2.4.17", 3,
              "xtrabackup version \"2.4.17\" is not compatible with mysql version \"5.7.40\": incompatible xtrabackup");
    mysql_bad("5.7.40", "8.0.30", "8.0.30", 3,
              "xtrabackup version \"8.0.30\" is not compatible with mysql version \"5.7.40\": incompatible xtrabackup");
    mysql_bad("8.0.20", "8.0.11", "8.0.11", 3,
              "xtrabackup version \"8.0.11\" is not compatible with mysql version \"8.0.20\": incompatible xtrabackup");
    mysql_bad("8.0.33", "", "8.0.33", 1, "software \"xtrabackup\" is not installed: xtrabackup is not installed");
    mysql_bad("8.0.33", "8.0.33", "", 1, "software \"xbcloud\" is not installed: xtrabackup is not installed");
    mysql_bad("8.0.33", "8.0.33", "8.0.32", 2,
              "xtrabackup version \"8.0.33\" != xbcloud version \"8.0.32\": invalid installation of the xtrabackup");
    mysql_bad("", "8.0.33", "8.0.33", 0, "software \"mysqld\" is not installed: incompatible service");
}
END_TEST

START_TEST(mongodb_compatibility)
{
    rpc_status st = { 0 };
    int code = -1;
    ck_assert_int_eq(compat_mongodb("6.0.5", "2.0.1", &code, &st), RPC_OK);
    ck_assert_int_eq(compat_mongodb("6.0.5", "2.3.0", &code, &st), RPC_OK);
    ck_assert_int_eq(compat_mongodb("6.0.5", "2.0.0", &code, &st), RPC_FAILED_PRECONDITION);
    ck_assert_str_eq(st.message, "installed pbm version \"2.0.0\", min required pbm version \"2.0.1\": incompatible pbm");
    ck_assert_int_eq(compat_mongodb("6.0.5", "", &code, &st), RPC_FAILED_PRECONDITION);
    ck_assert_str_eq(st.message, "software \"pbm\" is not installed: incompatible service");
    ck_assert_int_eq(compat_mongodb("", "2.1.0", &code, &st), RPC_FAILED_PRECONDITION);
    ck_assert_str_eq(st.message, "software \"mongodb\" is not installed: incompatible service");
}
END_TEST

START_TEST(version_order)
{
    ck_assert_int_lt(compat_ver_cmp("2.31.0-0", "2.31.0"), 0);
    ck_assert_int_gt(compat_ver_cmp("2.35.0", "2.35.0-0"), 0);
    ck_assert_int_lt(compat_ver_cmp("2.9.0", "2.19"), 0);
    ck_assert_int_eq(compat_ver_cmp("2.19", "2.19.0"), 0);
    ck_assert_int_lt(compat_ver_cmp("3.0.0-beta1", "3.0.0-beta2"), 0);
    ck_assert_int_lt(compat_ver_cmp("3.0.0-2", "3.0.0-10"), 0);
    ck_assert_int_eq(compat_core_cmp("8.0.33-25", "8.0.33"), 0);
    ck_assert(!compat_ver_valid("abc"));
    ck_assert(compat_ver_valid("v3.1.0"));
    rpc_status st = { 0 };
    ck_assert_int_eq(compat_agent_min("mysql backup", "a1", "2.22.0", "2.23", &st), RPC_FAILED_PRECONDITION);
    ck_assert_str_eq(st.message, "'mysql backup' functionality is not supported by pmm-agent \"a1\" version \"2.22.0\". "
                                 "Required minimum version is \"2.23\"");
    ck_assert_int_eq(compat_agent_min("mysql backup", "a1", "3.0.0", "2.23", &st), RPC_OK);
}
END_TEST

static void clean_is(const char *in, const char *want)
{
    char out[256];
    naming_clean(in, out, sizeof out);
    ck_assert_msg(strcmp(out, want) == 0, "Clean(%s) = %s, want %s", in, out, want);
}

START_TEST(go_path_clean)
{
    /* Go's path_test.go cleantests */
    clean_is("", ".");
    clean_is("abc", "abc");
    clean_is("abc/def", "abc/def");
    clean_is("a/b/c", "a/b/c");
    clean_is(".", ".");
    clean_is("..", "..");
    clean_is("../..", "../..");
    clean_is("../../abc", "../../abc");
    clean_is("/abc", "/abc");
    clean_is("/", "/");
    clean_is("abc/", "abc");
    clean_is("abc/def/", "abc/def");
    clean_is("/abc/", "/abc");
    clean_is("abc//def//ghi", "abc/def/ghi");
    clean_is("//abc", "/abc");
    clean_is("abc//", "abc");
    clean_is("abc/./def", "abc/def");
    clean_is("/./abc/def", "/abc/def");
    clean_is("abc/.", "abc");
    clean_is("abc/def/ghi/../jkl", "abc/def/jkl");
    clean_is("abc/def/../ghi/../jkl", "abc/jkl");
    clean_is("abc/def/..", "abc");
    clean_is("abc/def/../..", ".");
    clean_is("/abc/def/../..", "/");
    clean_is("abc/def/../../..", "..");
    clean_is("/abc/def/../../..", "/");
    clean_is("abc/def/../../../ghi/jkl/../../../mno", "../../mno");
    clean_is("abc/./../def", "def");
    clean_is("abc//./../def", "def");
    clean_is("abc/../../././../def", "../../def");
}
END_TEST

START_TEST(names_and_folders)
{
    rpc_status st = { 0 };
    ck_assert_int_eq(naming_check_folder("", &st), RPC_OK);
    ck_assert_int_eq(naming_check_folder("a/b.c:d-e_f", &st), RPC_OK);
    ck_assert_int_eq(naming_check_folder("a/./b", &st), RPC_INVALID_ARGUMENT);
    ck_assert_str_eq(st.message, "Specified folder in non-canonical format, canonical would be: \"a/b\".");
    ck_assert_int_eq(naming_check_folder("a/", &st), RPC_INVALID_ARGUMENT);
    ck_assert_str_eq(st.message, "Specified folder in non-canonical format, canonical would be: \"a\".");
    ck_assert_int_eq(naming_check_folder("/a", &st), RPC_INVALID_ARGUMENT);
    ck_assert_str_eq(st.message, "Folder should be a relative path (shouldn't contain leading slashes).");
    ck_assert_int_eq(naming_check_folder("..", &st), RPC_INVALID_ARGUMENT);
    ck_assert_str_eq(st.message, "Specified folder refers to a parent directory.");
    ck_assert_int_eq(naming_check_folder("../x", &st), RPC_INVALID_ARGUMENT);
    ck_assert_str_eq(st.message, "Specified folder refers to a parent directory.");
    ck_assert_int_eq(naming_check_folder("a b", &st), RPC_INVALID_ARGUMENT);
    ck_assert_int_eq(naming_check_name("nightly.2024-01-01T00:00:00Z_x", &st), RPC_OK);
    ck_assert_int_eq(naming_check_name("a/b", &st), RPC_INVALID_ARGUMENT);
    ck_assert_str_eq(st.message, "Backup name can contain only dots, colons, letters, digits, underscores and dashes.");
}
END_TEST

static void ranges_are(const char *const *keys, size_t n, const long long *want, size_t n_want)
{
    pitr_range *r;
    size_t got;
    ck_assert_int_eq(pitr_from_keys("f/pbmPitr/", keys, n, &r, &got), 0);
    ck_assert_uint_eq(got, n_want / 2);
    for (size_t i = 0; i < got; i++) {
        ck_assert_int_eq(r[i].start, want[2 * i]);
        ck_assert_int_eq(r[i].end, want[2 * i + 1]);
    }
    free(r);
}

#define TS_20240101_000000 1704067200LL

START_TEST(pitr_timelines)
{
    /* one replica set, contiguous chunks (one compressed): one timeline, start + 1 s */
    const char *one[] = { "f/pbmPitr/rs0/20240101/20240101001000.20240101002000.oplog.gz",
                          "f/pbmPitr/rs0/20240101/20240101000000.20240101001000.oplog.snappy",
                          "f/pbmPitr/rs0/20240101/notachunk.txt", "f/other/rs0/20240101000000.20240101003000.oplog" };
    const long long w1[] = { TS_20240101_000000 + 1, TS_20240101_000000 + 1200 };
    ranges_are(one, 4, w1, 2);
    /* a gap closes a timeline; ordinals order chunks of one second */
    const char *gap[] = { "f/pbmPitr/rs0/20240101/20240101000000.20240101001000.oplog",
                          "f/pbmPitr/rs0/20240101/20240101003000.20240101004000-2.oplog.zst",
                          "f/pbmPitr/rs0/20240101/20240101004000-2.20240101005000.oplog.lz4" };
    const long long w2[] = { TS_20240101_000000 + 1, TS_20240101_000000 + 600, TS_20240101_000000 + 1801,
                             TS_20240101_000000 + 3000 };
    ranges_are(gap, 3, w2, 4);
    /* two replica sets: their intersection */
    const char *two[] = { "f/pbmPitr/rs0/20240101/20240101000000.20240101003000.oplog",
                          "f/pbmPitr/rs1/20240101/20240101001000.20240101004000.oplog.s2" };
    const long long w3[] = { TS_20240101_000000 + 601, TS_20240101_000000 + 1800 };
    ranges_are(two, 2, w3, 2);
    /* nothing at all */
    ranges_are(NULL, 0, NULL, 0);
    ck_assert(pitr_contains((pitr_range[]){ { 10, 20 } }, 1, 10));
    ck_assert(pitr_contains((pitr_range[]){ { 10, 20 } }, 1, 20));
    ck_assert(!pitr_contains((pitr_range[]){ { 10, 20 } }, 1, 21));
}
END_TEST

START_TEST(metadata_json)
{
    Backup__V1__File f1 = BACKUP__V1__FILE__INIT, f2 = BACKUP__V1__FILE__INIT, *fl[] = { &f1, &f2 };
    f1.name = "2024-01-01T00:00:00Z.pbm.json";
    f2.name = "2024-01-01T00:00:00Z";
    f2.is_directory = 1;
    Google__Protobuf__Timestamp ts = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
    ts.seconds = 1704067200;
    Backup__V1__PbmMetadata pbm = BACKUP__V1__PBM_METADATA__INIT;
    pbm.name = "2024-01-01T00:00:00Z";
    Backup__V1__Metadata m = BACKUP__V1__METADATA__INIT;
    m.n_file_list = 2;
    m.file_list = fl;
    m.restore_to = &ts;
    m.backup_tool_metadata_case = BACKUP__V1__METADATA__BACKUP_TOOL_METADATA_PBM_METADATA;
    m.pbm_metadata = &pbm;
    char *json = metadata_to_json(&m);
    ck_assert_str_eq(json, "{\"file_list\":[{\"name\":\"2024-01-01T00:00:00Z.pbm.json\",\"is_directory\":false},"
                           "{\"name\":\"2024-01-01T00:00:00Z\",\"is_directory\":true}],\"restore_to\":"
                           "\"2024-01-01T00:00:00Z\",\"backup_tool_data\":{\"PbmMetadata\":{\"name\":"
                           "\"2024-01-01T00:00:00Z\"}}}");
    char list[2048], name[64];
    snprintf(list, sizeof list, "[%s]", json);
    free(json);
    size_t n;
    Backup__V1__Metadata **back = metadata_from_json(list, &n);
    ck_assert_uint_eq(n, 1);
    ck_assert_uint_eq(back[0]->n_file_list, 2);
    ck_assert(back[0]->file_list[1]->is_directory);
    ck_assert_int_eq(back[0]->restore_to->seconds, 1704067200);
    ck_assert_str_eq(back[0]->pbm_metadata->name, "2024-01-01T00:00:00Z");
    protobuf_c_message_free_unpacked(&back[0]->base, NULL);
    free(back);
    metadata_pbm_name(list, name, sizeof name);
    ck_assert_str_eq(name, "2024-01-01T00:00:00Z");
    ck_assert_int_eq(metadata_parse_rfc3339("2024-01-01T01:00:00+01:00"), 1704067200);
    ck_assert_int_eq(metadata_parse_rfc3339("2024-01-01T00:00:00.123Z"), 1704067200);
    ck_assert_int_eq(metadata_parse_rfc3339("junk"), -1);
    back = metadata_from_json("not json", &n);
    ck_assert_uint_eq(n, 0);
    free(back);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("backup_rules");
    TCase *tc = tcase_create("all");
    tcase_add_test(tc, mysql_compatibility);
    tcase_add_test(tc, mongodb_compatibility);
    tcase_add_test(tc, version_order);
    tcase_add_test(tc, go_path_clean);
    tcase_add_test(tc, names_and_folders);
    tcase_add_test(tc, pitr_timelines);
    tcase_add_test(tc, metadata_json);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return check_run(suite());
}
