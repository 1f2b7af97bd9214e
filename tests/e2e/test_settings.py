"""server.v1 settings over REST and gRPC (api.md §4.3, §8): GET/PUT
/v1/server/settings with upstream's JSON names and duration texts, an
error body, /v1/server/settings/readonly, and the internal PostgreSQL QAN
switch reaching the pmm-server agent. Every change is undone."""

import os
import subprocess
import tempfile
import unittest

import grpc
from google.protobuf import duration_pb2

from e2elib import ApiTestCase, channel, rest, unary, unique
from server.v1 import server_pb2 as pb

SVC = "/server.v1.ServerService/"

SETTINGS_KEYS = {
    "updates_enabled", "telemetry_enabled", "metrics_resolutions", "data_retention", "ssh_key",
    "aws_partitions", "advisor_enabled", "platform_email", "alerting_enabled", "pmm_public_address",
    "advisor_run_intervals", "backup_management_enabled", "azurediscover_enabled",
    "connected_to_platform", "telemetry_summaries", "enable_access_control", "default_role_id",
    "enable_internal_pg_qan", "update_snooze_duration",
}
READONLY_KEYS = {
    "updates_enabled", "telemetry_enabled", "advisor_enabled", "alerting_enabled", "pmm_public_address",
    "backup_management_enabled", "azurediscover_enabled", "enable_access_control",
}


class RestSettings(ApiTestCase):
    def put(self, body, status=200):
        r = rest("PUT", "/v1/server/settings", body)
        self.assertStatus(r, status)
        return r

    def test_get_shape_and_defaults(self):
        r = rest("GET", "/v1/server/settings")
        self.assertStatus(r, 200)
        self.assertEqual(set(r.json), {"settings"})
        s = r.json["settings"]
        self.assertEqual(set(s), SETTINGS_KEYS)
        self.assertEqual(s["metrics_resolutions"], {"hr": "5s", "mr": "10s", "lr": "60s"})
        self.assertEqual(s["data_retention"], "2592000s")
        self.assertEqual(s["advisor_run_intervals"], {
            "standard_interval": "86400s", "rare_interval": "280800s", "frequent_interval": "14400s"})
        self.assertEqual(s["update_snooze_duration"], "604800s")
        self.assertEqual(s["aws_partitions"], ["aws"])
        self.assertEqual(s["telemetry_summaries"], [])
        self.assertIs(s["updates_enabled"], True)
        self.assertIs(s["azurediscover_enabled"], False)
        self.assertIs(s["enable_internal_pg_qan"], False)
        self.assertIsInstance(s["default_role_id"], int)
        self.assertGreater(s["default_role_id"], 0)
        self.assertEqual(s["platform_email"], "")

    def test_change_persists_and_is_undone(self):
        self.addCleanup(self.put, {"metrics_resolutions": {"hr": "5s"}, "data_retention": "2592000s",
                                   "enable_telemetry": True, "pmm_public_address": "",
                                   "aws_partitions": {"values": []}})
        r = self.put({"metrics_resolutions": {"hr": "2s"}, "data_retention": "864000s",
                      "enable_telemetry": False, "pmm_public_address": "pmm.test:8443",
                      "aws_partitions": {"values": ["aws-cn", "aws"]}})
        s = r.json["settings"]
        self.assertEqual(s["metrics_resolutions"], {"hr": "2s", "mr": "10s", "lr": "60s"})
        self.assertEqual(s["data_retention"], "864000s")
        self.assertIs(s["telemetry_enabled"], False)
        self.assertEqual(s["aws_partitions"], ["aws", "aws-cn"])  # deduplicated and sorted
        got = rest("GET", "/v1/server/settings").json["settings"]
        self.assertEqual(got, s)
        ro = rest("GET", "/v1/server/settings/readonly")
        self.assertStatus(ro, 200)
        self.assertEqual(set(ro.json["settings"]), READONLY_KEYS)
        self.assertEqual(ro.json["settings"]["pmm_public_address"], "pmm.test:8443")
        self.assertIs(ro.json["settings"]["telemetry_enabled"], False)

    def test_errors(self):
        r = rest("PUT", "/v1/server/settings", {"data_retention": "129600s"})
        self.assertErrorBody(r, 400, 3, "Invalid argument: data_retention: should be a natural number of days.")
        r = rest("PUT", "/v1/server/settings", {"metrics_resolutions": {"lr": "0.5s"}})
        self.assertErrorBody(r, 400, 3, "Invalid argument: lr: minimal resolution is 1s.")
        r = rest("PUT", "/v1/server/settings", {"ssh_key": "nope"})
        self.assertErrorBody(r, 400, 3, "Invalid SSH key.")
        s = rest("GET", "/v1/server/settings").json["settings"]
        self.assertEqual(s["metrics_resolutions"]["lr"], "60s")

    def test_internal_pg_qan_switches_the_agent(self):
        def qan_disabled():
            r = rest("GET", "/v1/inventory/agents?pmm_agent_id=pmm-server")
            self.assertStatus(r, 200)
            agents = r.json["qan_postgresql_pgstatements_agent"]
            self.assertEqual(len(agents), 1)
            return agents[0]["disabled"]

        self.assertIs(qan_disabled(), True)
        self.addCleanup(self.put, {"enable_internal_pg_qan": False})
        r = self.put({"enable_internal_pg_qan": True})
        self.assertIs(r.json["settings"]["enable_internal_pg_qan"], True)
        self.assertIs(qan_disabled(), False)
        self.put({"enable_internal_pg_qan": False})
        self.assertIs(qan_disabled(), True)


class Roles(ApiTestCase):
    """api.md §3.3: settings need admin, the read-only subset viewer."""

    def test_viewer_reads_only_the_readonly_subset(self):
        login = unique("settings-viewer")
        r = subprocess.run([os.path.join(os.environ["PMM_BIN_DIR"], "pmmctl"), "user", "add", login, "--role=viewer"],
                           env=dict(os.environ, PMMCTL_PASSWORD=login + "-pw",
                                    PMM_POSTGRES_ADDR="127.0.0.1:%d" % (int(os.environ["PMM_PORT_BASE"]) + 4)),
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        viewer = (login, login + "-pw")
        self.assertStatus(rest("GET", "/v1/server/settings/readonly", auth=viewer), 200)
        self.assertErrorBody(rest("GET", "/v1/server/settings", auth=viewer), 401, 7, "Access denied.")
        self.assertErrorBody(rest("PUT", "/v1/server/settings", {}, auth=viewer), 401, 7, "Access denied.")
        self.assertErrorBody(rest("GET", "/v1/server/settings/readonly", auth=None), 401, 16, "Unauthorized")


class EnvironmentAtStart(ApiTestCase):
    """A bad PMM_* value stops configd before it serves (upstream exits)."""

    def run_configd(self, **env):
        with tempfile.TemporaryDirectory() as run_dir:
            full = dict(os.environ, PMM_RUN_DIR=run_dir, PMM_POSTGRES_ADDR="127.0.0.1:1", **env)
            return subprocess.run([os.path.join(os.environ["PMM_BIN_DIR"], "configd")], env=full,
                                  capture_output=True, text=True, timeout=30)

    def test_bad_values_refuse_to_start(self):
        r = self.run_configd(PMM_DATA_RETENTION="30")
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn('environment variable \\"PMM_DATA_RETENTION=30\\" has invalid duration 30', r.stderr)
        r = self.run_configd(PMM_METRICS_RESOLUTION="5ns")
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("invalid argument: hr: minimal resolution is 1s", r.stderr)


class GrpcSettings(ApiTestCase):
    @classmethod
    def setUpClass(cls):
        cls.ch = channel()

    @classmethod
    def tearDownClass(cls):
        cls.ch.close()

    def test_get_and_readonly(self):
        s = unary(self.ch, SVC + "GetSettings", pb.GetSettingsRequest(), pb.GetSettingsResponse).settings
        self.assertEqual(s.metrics_resolutions.mr.seconds, 10)
        self.assertEqual(list(s.aws_partitions), ["aws"])
        ro = unary(self.ch, SVC + "GetReadOnlySettings", pb.GetReadOnlySettingsRequest(),
                   pb.GetReadOnlySettingsResponse).settings
        self.assertEqual(ro.updates_enabled, s.updates_enabled)
        self.assertEqual(ro.alerting_enabled, s.alerting_enabled)

    def test_change_error(self):
        req = pb.ChangeSettingsRequest(
            advisor_run_intervals=pb.AdvisorRunIntervals(rare_interval=duration_pb2.Duration(seconds=1, nanos=5)))
        with self.assertRaises(grpc.RpcError) as ctx:
            unary(self.ch, SVC + "ChangeSettings", req, pb.ChangeSettingsResponse)
        self.assertGrpcError(ctx.exception, grpc.StatusCode.INVALID_ARGUMENT,
                             "Invalid argument: rare_interval: should be a natural number of seconds.")


if __name__ == "__main__":
    unittest.main()
