/* test_auth_rules: the minimum role of each server.v1, platform.v1 and
 * uievents.v1 route (gateway/auth.c) as upstream's auth server decides it
 * (managed/services/grafana/auth_server.go: the longest rule prefix, cut
 * at '/', '.' and ':'; no rule: admin), for REST paths and the gRPC
 * methods judged by their REST path. */
#include <check.h>
#include <string.h>

#include "gateway/auth.h"
#include "tests/lib/checkrun.h"

static void role(const char *path, const char *want)
{
    const char *got = auth_required_role(path);
    ck_assert_msg(strcmp(got, want) == 0, "%s: got \"%s\", want \"%s\"", path, got, want);
}

START_TEST(server_routes)
{
    role("/v1/server/updates", "viewer");
    role("/v1/server/updates/changelogs", "viewer");
    role("/v1/server/updates:start", "admin");
    role("/v1/server/updates:getStatus", "");
    role("/v1/server/AWSInstance", "");
    role("/v1/server/AWSInstance?instance_id=i-1", "");
    role("/server.v1.ServerService/CheckUpdates", "viewer");
    role("/server.v1.ServerService/ListChangeLogs", "viewer");
    role("/server.v1.ServerService/StartUpdate", "admin");
    role("/server.v1.ServerService/UpdateStatus", "");
    role("/server.v1.ServerService/AWSInstanceCheck", "");
}
END_TEST

START_TEST(platform_routes)
{
    role("/v1/platform:connect", "admin");
    role("/v1/platform:disconnect", "admin");
    role("/v1/platform/contact", "viewer");
    role("/v1/platform/user", "viewer");
    role("/v1/platform/server", "viewer");
    role("/v1/platform/organization/tickets", "viewer");
    role("/v1/platform/organization/entitlements", "viewer");
    role("/platform.v1.PlatformService/Connect", "admin");
    role("/platform.v1.PlatformService/Disconnect", "admin");
    role("/platform.v1.PlatformService/SearchOrganizationEntitlements", "viewer");
    role("/platform.v1.PlatformService/ServerInfo", "viewer");
    role("/platform.v1.PlatformService/UserStatus", "viewer");
    /* no rule for the bare prefix: admin, as upstream */
    role("/v1/platform", "admin");
}
END_TEST

START_TEST(colon_cut_keeps_other_rules)
{
    /* upstream has no ui-events rule: admin */
    role("/v1/ui-events/Store", "admin");
    role("/uievents.v1.UIEventsService/Store", "admin");
    role("/v1/management/services:discoverRDS", "admin");
    role("/v1/actions:startServiceAction", "viewer");
    role("/v1/server/settings/readonly", "viewer");
    role("/v1/server/readyz", "");
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("auth_rules");
    TCase *tc = tcase_create("all");
    tcase_add_test(tc, server_routes);
    tcase_add_test(tc, platform_routes);
    tcase_add_test(tc, colon_cut_keeps_other_rules);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return check_run(suite());
}
