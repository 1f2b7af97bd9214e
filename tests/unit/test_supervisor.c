/* Unit tests of configd's supervisord programs and vmalert rules: the
 * rendered program files against golden files (tests/golden/NAME.ini), the
 * write-if-changed + reread/update + restore cycle against a stand-in
 * supervisorctl that records its calls, upstream's status parsing, and
 * the rules check with Debian's real vmalert -dryRun. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "configd/supervisor.h"
#include "configd/supervisor_programs.h"
#include "configd/vmalert.h"
#include "tests/lib/checkrun.h"
#include "tests/lib/golden.h"
#include "configd/alertmanager.h"

#define NS_PER_DAY (INT64_C(86400) * 1000000000)

static char dir[64];
static char path_buf[8][512];

static const char *in_dir(int slot, const char *name)
{
    snprintf(path_buf[slot], sizeof path_buf[slot], "%s/%s", dir, name);
    return path_buf[slot];
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
}

static void setup(void)
{
    strcpy(dir, "/tmp/test-supervisor-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    ck_assert_int_eq(mkdir(in_dir(0, "conf.d"), 0755), 0);
    ck_assert_int_eq(mkdir(in_dir(0, "rules"), 0755), 0);
    /* A stand-in supervisorctl: appends its arguments to calls.log, says
     * ERROR on `update` while fail-update exists. */
    char script[2048];
    snprintf(script, sizeof script,
             "#!/bin/sh\n"
             "echo \"$*\" >> %s/calls.log\n"
             "case \"$*\" in *update*) [ -e %s/fail-update ] && { echo 'vmalert: ERROR (spawn error)'; exit 0; } ;; esac\n"
             "echo ok\n",
             dir, dir);
    write_text(in_dir(0, "supervisorctl"), script);
    ck_assert_int_eq(chmod(in_dir(0, "supervisorctl"), 0755), 0);
    unsetenv("VM_search_maxQueryLen");
}

static void teardown(void)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
}

static const programs_params params = {
    .bind = "127.0.0.1",
    .log_dir = "/srv/logs",
    .vm_binary = "/usr/bin/victoria-metrics",
    .vm_url = "http://127.0.0.1:9090/prometheus/",
    .vm_config = "/etc/victoriametrics-promscrape.yml",
    .vm_data_dir = "/srv/victoriametrics/data",
    .vmalert_binary = "/usr/bin/vmalert",
    .vmalert_url = "http://127.0.0.1:8880/",
    .vmalert_rules_dir = "/srv/vmalert/rules",
};

START_TEST(programs_match_golden_files)
{
    programs_settings s = { .data_retention = 30 * NS_PER_DAY, .vm_cache_enabled = false };
    char *vm = programs_render_victoriametrics(&params, &s);
    ck_assert_ptr_nonnull(vm);
    ck_assert(golden_matches("victoriametrics.ini", vm));
    free(vm);
    char *va = programs_render_vmalert(&params);
    ck_assert_ptr_nonnull(va);
    ck_assert(golden_matches("vmalert.ini", va));
    free(va);
}
END_TEST

START_TEST(programs_follow_settings_and_environment)
{
    programs_settings s = { .data_retention = 15 * NS_PER_DAY + 3600, .vm_cache_enabled = true };
    setenv("VM_search_maxQueryLen", "2MB", 1);
    programs_params p = params;
    p.vm_url = "http://127.0.0.1:20005/prometheus/";
    p.vm_data_dir = "/var/pmm 100%/data"; /* '%' is special to supervisord */
    char *vm = programs_render_victoriametrics(&p, &s);
    ck_assert_ptr_nonnull(strstr(vm, "\t\t--retentionPeriod=15d\n"));
    ck_assert_ptr_nonnull(strstr(vm, "\t\t--search.disableCache=false\n"));
    ck_assert_ptr_nonnull(strstr(vm, "\t\t--search.maxQueryLen=2MB\n"));
    ck_assert_ptr_nonnull(strstr(vm, "\t\t--httpListenAddr=127.0.0.1:20005\n"));
    ck_assert_ptr_nonnull(strstr(vm, "\t\t--storageDataPath=/var/pmm 100%%/data\n"));
    free(vm);
    p.vmalert_url = "not a url";
    ck_assert_ptr_null(programs_render_vmalert(&p));
}
END_TEST

START_TEST(alertmanager_program)
{
    programs_settings s = { .data_retention = 30 * NS_PER_DAY, .pmm_public_address = "" };
    programs_params p = params;
    ck_assert_ptr_null(programs_render_alertmanager(&p, &s)); /* none configured */
    p.alertmanager_binary = "/usr/bin/prometheus-alertmanager";
    p.alertmanager_url = "http://127.0.0.1:9093/";
    p.alertmanager_config = "/etc/alertmanager.yml";
    p.alertmanager_data_dir = "/srv/alertmanager/data";
    char *am = programs_render_alertmanager(&p, &s);
    ck_assert_ptr_nonnull(am);
    ck_assert_ptr_nonnull(strstr(am, "[program:alertmanager]\n"));
    ck_assert_ptr_nonnull(strstr(am, "\t/usr/bin/prometheus-alertmanager\n\t\t--config.file=/etc/alertmanager.yml\n"
                                     "\t\t--storage.path=/srv/alertmanager/data\n"
                                     "\t\t--web.listen-address=127.0.0.1:9093\n"
                                     "\t\t--web.external-url=http://127.0.0.1:9093/\n"
                                     "\t\t--cluster.listen-address=\n"));
    free(am);
    s.pmm_public_address = "pmm.example.com";
    am = programs_render_alertmanager(&p, &s);
    ck_assert_ptr_nonnull(strstr(am, "\t\t--web.external-url=https://pmm.example.com/alertmanager/\n"));
    free(am);
    /* vmalert notifies it */
    char *va = programs_render_vmalert(&p);
    ck_assert_ptr_nonnull(strstr(va, "\t\t--httpListenAddr=127.0.0.1:8880\n\t\t--notifier.url=http://127.0.0.1:9093/\n"));
    free(va);
}
END_TEST

START_TEST(alertmanager_config)
{
    /* the default, then the user's base file, each checked by the real amtool */
    alertmanager_params ap = { .url = "http://127.0.0.1:1/", .config = in_dir(0, "am.yml"),
                               .base_config = in_dir(1, "am.base.yml"), .amtool = "/usr/bin/amtool",
                               .timeout_ms = 20000 };
    rpc_status st = { 0 };
    ck_assert_int_eq(alertmanager_sync(&ap, &st), 1);
    FILE *f = fopen(ap.config, "r");
    ck_assert_ptr_nonnull(f);
    char buf[4096];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    ck_assert_ptr_nonnull(strstr(buf, "receiver: empty\n"));
    ck_assert_int_eq(alertmanager_sync(&ap, &st), 0); /* unchanged */
    write_text(ap.base_config, "route:\n  receiver: team\nreceivers:\n  - name: team\n");
    ck_assert_int_eq(alertmanager_sync(&ap, &st), 1);
    /* a broken base file is refused and the applied file stays */
    write_text(ap.base_config, "route:\n  receiver: nobody\nreceivers:\n  - name: team\n");
    ck_assert_int_eq(alertmanager_sync(&ap, &st), -1);
    ck_assert_int_eq(st.code, RPC_INVALID_ARGUMENT);
    ck_assert_msg(strstr(st.message, "Invalid Alertmanager configuration: ") == st.message, "%s", st.message);
    ck_assert_msg(strstr(st.message, "nobody") != NULL, "%s", st.message);
    f = fopen(ap.config, "r");
    n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    ck_assert_str_eq(buf, "route:\n  receiver: team\nreceivers:\n  - name: team\n");
}
END_TEST

START_TEST(url_ports)
{
    ck_assert_int_eq(programs_url_port("http://127.0.0.1:9090/prometheus/"), 9090);
    ck_assert_int_eq(programs_url_port("http://127.0.0.1:8880/"), 8880);
    ck_assert_int_eq(programs_url_port("http://127.0.0.1:8880"), 8880);
    ck_assert_int_eq(programs_url_port("http://[::1]:8881/x"), 8881);
    ck_assert_int_eq(programs_url_port("http://vm/prometheus"), 80);
    ck_assert_int_eq(programs_url_port("https://vm/"), 443);
    ck_assert_int_eq(programs_url_port("http://vm:0/"), -1);
    ck_assert_int_eq(programs_url_port("http://vm:99999/"), -1);
    ck_assert_int_eq(programs_url_port("http://vm:12x/"), -1);
    ck_assert_int_eq(programs_url_port("vm:9090"), -1);
    ck_assert_int_eq(programs_url_port(NULL), -1);
}
END_TEST

START_TEST(status_as_upstream)
{
    ck_assert_int_eq(supervisor_parse_status("vmalert RUNNING pid 12, uptime 0:00:03"), 1);
    ck_assert_int_eq(supervisor_parse_status("vmalert STARTING"), 1);
    ck_assert_int_eq(supervisor_parse_status("vmalert BACKOFF Exited too quickly"), 1);
    ck_assert_int_eq(supervisor_parse_status("vmalert STOPPING"), 1);
    ck_assert_int_eq(supervisor_parse_status("vmalert FATAL Exited too quickly"), 0);
    ck_assert_int_eq(supervisor_parse_status("vmalert STOPPED Nov 24 05:00 PM"), 0);
    ck_assert_int_eq(supervisor_parse_status("vmalert EXITED Nov 24 05:00 PM"), -1);
    ck_assert_int_eq(supervisor_parse_status("vmalert: ERROR (no such process)"), -1);
    ck_assert_int_eq(supervisor_parse_status(""), -1);
}
END_TEST

static char *calls(void)
{
    char *c = golden_read(in_dir(1, "calls.log"));
    unlink(in_dir(1, "calls.log"));
    return c ? c : strdup("");
}

START_TEST(save_applies_only_changes_and_restores)
{
    char conf[512];
    snprintf(conf, sizeof conf, "%s/supervisord.conf", dir);
    supervisor s = { .ctl = in_dir(2, "supervisorctl"), .conf = conf, .dir = in_dir(3, "conf.d"), .timeout_ms = 5000 };
    rpc_status st = { 0 };
    const char *ini = in_dir(4, "conf.d/vmalert.ini");
    ck_assert_int_eq(supervisor_save_and_apply(&s, "vmalert", "v1\n", &st), 1);
    char *c = calls(), expect[4096];
    snprintf(expect, sizeof expect, "-c %s reread\n-c %s update vmalert\n", conf, conf);
    ck_assert_str_eq(c, expect);
    free(c);
    char *f = golden_read(ini);
    ck_assert_str_eq(f, "v1\n");
    free(f);
    /* same content: nothing written, supervisorctl not run */
    ck_assert_int_eq(supervisor_save_and_apply(&s, "vmalert", "v1\n", &st), 0);
    c = calls();
    ck_assert_str_eq(c, "");
    free(c);
    /* a failed update puts the previous file back and applies it again */
    write_text(in_dir(5, "fail-update"), "");
    ck_assert_int_eq(supervisor_save_and_apply(&s, "vmalert", "v2\n", &st), -1);
    ck_assert_ptr_nonnull(strstr(st.message, "update vmalert"));
    c = calls();
    snprintf(expect, sizeof expect, "-c %s reread\n-c %s update vmalert\n-c %s reread\n-c %s update vmalert\n", conf,
             conf, conf, conf);
    ck_assert_str_eq(c, expect);
    free(c);
    f = golden_read(ini);
    ck_assert_str_eq(f, "v1\n");
    free(f);
    unlink(in_dir(5, "fail-update"));
    /* removal */
    ck_assert_int_eq(supervisor_remove(&s, "vmalert", &st), 1);
    ck_assert_int_eq(access(ini, F_OK), -1);
    ck_assert_int_eq(supervisor_remove(&s, "vmalert", &st), 0);
    free(calls());
    /* without supervisorctl nothing is left half-done */
    s.ctl = "/nonexistent/supervisorctl";
    ck_assert_int_eq(supervisor_save_and_apply(&s, "vmalert", "v3\n", &st), -1);
    ck_assert_int_eq(access(ini, F_OK), -1);
}
END_TEST

static const char VALID[] = "groups:\n  - name: g\n    rules:\n      - record: r:up\n        expr: sum(up)\n";
static const char INVALID[] = "groups:\n  - name: g\n    rules:\n      - record: r:up\n        expr: sum(rate(up[5m]\n";

START_TEST(rules_checked_with_vmalert)
{
    vmalert_params p = { .binary = "/usr/bin/vmalert", .user_rules = in_dir(2, "pmm.rules.yml"),
                         .rules_dir = in_dir(3, "rules"), .url = "http://127.0.0.1:1/", .timeout_ms = 10000 };
    char detail[1024];
    rpc_status st = { 0 };
    write_text(p.user_rules, VALID);
    ck_assert_int_eq(vmalert_check_file(&p, p.user_rules, detail, sizeof detail, &st), RPC_OK);
    write_text(p.user_rules, INVALID);
    ck_assert_int_eq(vmalert_check_file(&p, p.user_rules, detail, sizeof detail, &st), RPC_INVALID_ARGUMENT);
    ck_assert_str_eq(st.message, "Invalid alerting rules.");
    ck_assert_msg(strstr(detail, "bad prometheus expr") != NULL, "detail: %s", detail);
    vmalert_params none = p;
    none.binary = "/nonexistent/vmalert";
    ck_assert_int_eq(vmalert_check_file(&none, p.user_rules, detail, sizeof detail, &st), RPC_INTERNAL);
}
END_TEST

START_TEST(rules_sync_applies_valid_keeps_last_good)
{
    vmalert_params p = { .binary = "/usr/bin/vmalert", .user_rules = in_dir(2, "pmm.rules.yml"),
                         .rules_dir = in_dir(3, "rules"), .url = "http://127.0.0.1:1/", .timeout_ms = 10000 };
    const char *applied = in_dir(4, "rules/pmm.rules.yml");
    vmalert_state state = { 0 };
    rpc_status st = { 0 };
    /* no user file, nothing applied */
    ck_assert_int_eq(vmalert_sync_rules(&p, &state, &st), 0);
    write_text(p.user_rules, VALID);
    ck_assert_int_eq(vmalert_sync_rules(&p, &state, &st), 1);
    char *a = golden_read(applied);
    ck_assert_str_eq(a, VALID);
    free(a);
    ck_assert_int_eq(vmalert_sync_rules(&p, &state, &st), 0); /* unchanged */
    write_text(p.user_rules, INVALID);
    ck_assert_int_eq(vmalert_sync_rules(&p, &state, &st), -1);
    ck_assert_int_eq(st.code, RPC_INVALID_ARGUMENT);
    ck_assert_ptr_nonnull(strstr(st.message, "Invalid alerting rules."));
    ck_assert_msg(strstr(st.message, p.user_rules) && !strstr(st.message, ".check"), "%s", st.message);
    a = golden_read(applied);
    ck_assert_str_eq(a, VALID); /* the last good rules stay */
    free(a);
    ck_assert_int_eq(vmalert_sync_rules(&p, &state, &st), 0); /* refused once, not again */
    /* no check file is left where vmalert could pick it up */
    char check[600];
    snprintf(check, sizeof check, "%s/.pmm.rules.yml.check", p.rules_dir);
    ck_assert_int_eq(access(check, F_OK), -1);
    write_text(p.user_rules, "\n  \n");
    ck_assert_int_eq(vmalert_sync_rules(&p, &state, &st), 1); /* empty: removed */
    ck_assert_int_eq(access(applied, F_OK), -1);
    write_text(p.user_rules, VALID);
    ck_assert_int_eq(vmalert_sync_rules(&p, &state, &st), 1);
    unlink(p.user_rules);
    ck_assert_int_eq(vmalert_sync_rules(&p, &state, &st), 1); /* gone: removed */
    ck_assert_int_eq(access(applied, F_OK), -1);
    vmalert_state_clear(&state);
    /* vmalert down: the reload is an error, not a hang */
    ck_assert_int_eq(vmalert_reload(&p, &st), RPC_UNAVAILABLE);
    ck_assert_int_eq(vmalert_ready(&p, &st), RPC_UNAVAILABLE);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("supervisor");
    TCase *tc = tcase_create("supervisor");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, programs_match_golden_files);
    tcase_add_test(tc, programs_follow_settings_and_environment);
    tcase_add_test(tc, url_ports);
    tcase_add_test(tc, alertmanager_program);
    tcase_add_test(tc, alertmanager_config);
    tcase_add_test(tc, status_as_upstream);
    tcase_add_test(tc, save_applies_only_changes_and_restores);
    tcase_add_test(tc, rules_checked_with_vmalert);
    tcase_add_test(tc, rules_sync_applies_valid_keeps_last_good);
    suite_add_tcase(s, tc);
    return check_run(s);
}
