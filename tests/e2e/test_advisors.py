"""e2e: advisors.v1 through the gateway (REST and gRPC) against checksd:
the shipped advisors and checks, a check of the user's folder run on a
PostgreSQL service with a connected (fake) pmm-agent, reading real data
from the suite's VictoriaMetrics; its result appears, then goes away when
the data changes; enabling, disabling and interval changes with upstream's
texts; the FailedPrecondition while advisors are off; paging; the
pmm_managed_advisor_* metrics on /debug/metrics."""

import os
import time
import unittest
import urllib.parse

import grpc

from e2elib import ApiTestCase, channel, debug, http_call, quote, rest, unary, unique
from fakeagent import FakeAgent
from advisors.v1 import advisors_pb2

VM = os.environ.get("E2E_VM", "http://127.0.0.1:9090/prometheus")
VAR = os.environ.get("PMM_VAR_DIR", "var")
ALERTMANAGER = os.environ.get("E2E_ALERTMANAGER", "http://127.0.0.1:9093")

USER_CHECK = """---
# a user's check: one METRICS_INSTANT query, family POSTGRESQL
checks:
  - version: 2
    name: %(name)s
    summary: E2E metric check
    description: Reports when pmm_e2e_value of the service is above 10.
    advisor: performance_generic
    interval: rare
    family: POSTGRESQL
    category: performance
    queries:
      - type: METRICS_INSTANT
        query: pmm_e2e_value{service_name="{{.ServiceName}}"}
        parameters:
          lookback: 0s
    script: |
      def check_context(docs, context):
          results = []
          for sample in docs[0]:
              value = float(sample["value"][1])
              if value > 10:
                  results.append({
                      "summary": "Value %%d is too high" %% int(value),
                      "description": "pmm_e2e_value is above 10",
                      "read_more_url": "https://example.com/e2e",
                      "severity": "critical",
                      "labels": {"value": str(int(value)), "service_name": "overridden by the target"},
                  })
          return results
"""


def vm_import(line):
    r = http_call(VM, "POST", urllib.parse.urlsplit(VM).path + "/api/v1/import/prometheus", line.encode(), auth=None)
    assert r.status in (200, 204), r


def register(name):
    r = rest("POST", "/v1/management/nodes", {
        "node_type": "NODE_TYPE_GENERIC_NODE", "node_name": name, "address": "10.9.3.1", "reregister": False})
    assert r.status == 200, r
    return r.json


class AdvisorsTest(ApiTestCase):
    @classmethod
    def setUpClass(cls):
        cls.check_name = unique("e2e_metric").replace("-", "_")
        path = os.path.join(VAR, "checks", cls.check_name + ".yml")
        with open(path, "w") as f:
            f.write(USER_CHECK % {"name": cls.check_name})
        cls.paths = [path]
        reg = register(unique("advisors"))
        cls.node_id = reg["generic_node"]["node_id"]
        cls.pmm_agent_id = reg["pmm_agent"]["agent_id"]
        cls.service_name = unique("pg")
        r = rest("POST", "/v1/management/services", {"postgresql": {
            "node_id": cls.node_id, "pmm_agent_id": cls.pmm_agent_id, "service_name": cls.service_name,
            "address": "127.0.0.1", "port": 5432, "username": "pmm", "password": "secret",
            "skip_connection_check": True, "custom_labels": {"team": "e2e"}}})
        assert r.status == 200, r
        cls.service_id = r.json["postgresql"]["service"]["service_id"]
        # the pmm-agent reports its version (3.0.0) when it connects
        cls.agent = FakeAgent(cls.pmm_agent_id, auth="Bearer " + reg["token"])
        cls.agent.connect()
        cls.agent.wait_set_state()

    @classmethod
    def tearDownClass(cls):
        cls.agent.close()
        rest("DELETE", "/v1/management/nodes/%s?force=true" % quote(cls.node_id))
        for p in cls.paths:
            os.unlink(p)

    def failed_checks(self, **params):
        q = urllib.parse.urlencode(params)
        return rest("GET", "/v1/advisors/checks/failed" + ("?" + q if q else ""))

    def wait_results(self, predicate, timeout=40):
        deadline = time.time() + timeout
        while True:
            r = self.failed_checks(service_id=self.service_id)
            self.assertStatus(r, 200)
            mine = [x for x in r.json["results"] if x["check_name"] == self.check_name]
            if predicate(mine) or time.time() > deadline:
                return mine
            time.sleep(0.5)

    def start(self, names):
        r = rest("POST", "/v1/advisors/checks:start", {"names": names})
        self.assertStatus(r, 200)
        self.assertEqual(r.json, {})

    def test_list_advisors(self):
        r = rest("GET", "/v1/advisors")
        self.assertStatus(r, 200)
        names = [a["name"] for a in r.json["advisors"]]
        for name in ("configuration_generic", "configuration_version", "security_authentication",
                     "performance_vacuum", "query_index", "security_cve"):
            self.assertIn(name, names)
        self.assertEqual(names, sorted(names))
        by = {a["name"]: a for a in r.json["advisors"]}
        gen = by["configuration_generic"]
        self.assertEqual(set(gen), {"name", "description", "summary", "comment", "category", "checks"})
        self.assertEqual(gen["category"], "configuration")
        self.assertEqual(gen["comment"], "Partial support (PostgreSQL, MongoDB)")
        self.assertEqual(by["configuration_version"]["comment"], "All technologies supported")
        fsync = [c for c in gen["checks"] if c["name"] == "postgresql_fsync"][0]
        self.assertEqual(fsync, {"name": "postgresql_fsync", "enabled": True,
                                 "description": fsync["description"], "summary": fsync["summary"],
                                 "interval": "ADVISOR_CHECK_INTERVAL_STANDARD",
                                 "family": "ADVISOR_CHECK_FAMILY_POSTGRESQL"})
        self.assertEqual(by["query_index"]["comment"], "Partial support (PostgreSQL)")
        self.assertEqual(by["security_cve"]["checks"], [])

    def test_list_checks(self):
        r = rest("GET", "/v1/advisors/checks")
        self.assertStatus(r, 200)
        checks = {c["name"]: c for c in r.json["checks"]}
        self.assertGreaterEqual(len(checks), 25)
        self.assertEqual(list(checks), sorted(checks))
        self.assertEqual(checks["mongodb_auth"]["family"], "ADVISOR_CHECK_FAMILY_MONGODB")
        self.assertEqual(checks["mysql_version"]["family"], "ADVISOR_CHECK_FAMILY_MYSQL")
        # the user's file is loaded at the next run; a run of another check loads it
        self.start(["postgresql_fsync"])
        deadline = time.time() + 20
        while self.check_name not in checks and time.time() < deadline:
            time.sleep(0.3)
            checks = {c["name"]: c for c in rest("GET", "/v1/advisors/checks").json["checks"]}
        self.assertEqual(checks[self.check_name]["interval"], "ADVISOR_CHECK_INTERVAL_RARE")
        # and over gRPC
        ch = channel()
        self.addCleanup(ch.close)
        resp = unary(ch, "/advisors.v1.AdvisorService/ListAdvisorChecks", advisors_pb2.ListAdvisorChecksRequest(),
                     advisors_pb2.ListAdvisorChecksResponse)
        self.assertIn("postgresql_fsync", [c.name for c in resp.checks])

    def test_user_check_fails_then_passes(self):
        now = int(time.time())
        vm_import('pmm_e2e_value{service_name="%s"} 42 %d\n' % (self.service_name, (now - 30) * 1000))
        vm_import('pmm_e2e_value{service_name="other"} 99 %d\n' % ((now - 30) * 1000))
        time.sleep(1)
        self.start([self.check_name])
        mine = self.wait_results(lambda m: len(m) == 1)
        self.assertEqual(len(mine), 1, mine)
        res = mine[0]
        self.assertEqual(res["summary"], "Value 42 is too high")
        self.assertEqual(res["severity"], "SEVERITY_CRITICAL")
        self.assertEqual(res["service_id"], self.service_id)
        self.assertEqual(res["service_name"], self.service_name)
        self.assertEqual(res["read_more_url"], "https://example.com/e2e")
        self.assertFalse(res["silenced"])
        # the script's labels overlaid by the target's (node, service, agent)
        labels = res["labels"]
        self.assertEqual(labels["value"], "42")
        self.assertEqual(labels["service_name"], self.service_name)
        self.assertEqual(labels["service_type"], "postgresql")
        self.assertEqual(labels["team"], "e2e")
        self.assertEqual(labels["node_id"], self.node_id)
        self.assertEqual(labels["agent_type"], "postgres_exporter")
        # ListFailedServices counts it
        r = rest("GET", "/v1/advisors/failedServices")
        self.assertStatus(r, 200)
        mine_svc = [s for s in r.json["result"] if s["service_id"] == self.service_id]
        self.assertEqual(len(mine_svc), 1)
        self.assertEqual(mine_svc[0]["critical_count"], 1)
        self.assertEqual(mine_svc[0]["service_name"], self.service_name)
        # and it is an alert in the suite's Alertmanager, as PMM 2 sent failed checks
        deadline = time.time() + 15
        alerts = []
        while not alerts and time.time() < deadline:
            r = http_call(ALERTMANAGER, "GET", "/api/v2/alerts", auth=None)
            self.assertEqual(r.status, 200, r)
            alerts = [a for a in r.json if a["labels"].get("alertname") == self.check_name]
            if not alerts:
                time.sleep(0.5)
        self.assertEqual(len(alerts), 1, "no alert for %s in Alertmanager" % self.check_name)
        al = alerts[0]
        self.assertEqual(al["labels"]["stt_check"], "1")
        self.assertEqual(al["labels"]["severity"], "critical")
        self.assertEqual(al["labels"]["interval_group"], "rare")
        self.assertEqual(al["labels"]["service_id"], self.service_id)
        self.assertEqual(al["labels"]["value"], "42")
        self.assertTrue(al["labels"]["alert_id"].startswith("/stt/"))
        self.assertEqual(al["annotations"], {"summary": "Value 42 is too high",
                                             "description": "pmm_e2e_value is above 10",
                                             "read_more_url": "https://example.com/e2e"})
        # the data changes: the next run passes and replaces the result
        vm_import('pmm_e2e_value{service_name="%s"} 3 %d\n' % (self.service_name, (now - 10) * 1000))
        time.sleep(1)
        self.start([self.check_name])
        self.assertEqual(self.wait_results(lambda m: not m), [])
        # the counters on the gateway's /debug/metrics
        text = debug("/debug/metrics").body.decode()
        self.assertRegex(text, r'pmm_managed_advisor_checks_executed_total\{advisor="performance_generic",'
                               r'check_name="%s",service_type="postgresql",status="ok"\} [1-9]' % self.check_name)
        self.assertIn("pmm_managed_advisor_check_execution_time_seconds_count", text)
        self.assertIn('pmm_managed_advisor_checks_available{advisor="configuration_generic",'
                      'check_name="postgresql_fsync",service_type="postgresql"} 1', text)

    def test_paging_and_validation(self):
        r = self.failed_checks(page_size=0)
        self.assertErrorBody(r, 400, 3, "invalid GetFailedChecksRequest.PageSize: value must be greater than or "
                                        "equal to 1")
        r = self.failed_checks(page_index=-1)
        self.assertErrorBody(r, 400, 3, "invalid GetFailedChecksRequest.PageIndex: value must be greater than or "
                                        "equal to 0")
        r = self.failed_checks(service_id="no-such-service", page_size=5, page_index=3)
        self.assertStatus(r, 200)
        self.assertEqual(r.json, {"total_items": 0, "total_pages": 0, "results": []})
        r = self.failed_checks(service_id="no-such-service")
        self.assertEqual(r.json, {"total_items": 0, "total_pages": 1, "results": []})

    def test_change_checks(self):
        r = rest("POST", "/v1/advisors/checks:batchChange", {"params": [{"name": "nope_check", "enable": False}]})
        self.assertErrorBody(r, 500, 2, "failed to disable advisor checks: unknown check nope_check")
        r = rest("POST", "/v1/advisors/checks:batchChange",
                 {"params": [{"name": "nope_check", "interval": "ADVISOR_CHECK_INTERVAL_RARE"}]})
        self.assertErrorBody(r, 500, 2, "failed to change advisor check interval: check: nope_check not found")
        r = rest("POST", "/v1/advisors/checks:batchChange", {"params": [
            {"name": "mysql_config_general_log", "enable": False},
            {"name": "mongodb_journal", "interval": "ADVISOR_CHECK_INTERVAL_FREQUENT"}]})
        self.assertStatus(r, 200)
        self.assertEqual(r.json, {})
        checks = {c["name"]: c for c in rest("GET", "/v1/advisors/checks").json["checks"]}
        self.assertFalse(checks["mysql_config_general_log"]["enabled"])
        self.assertEqual(checks["mongodb_journal"]["interval"], "ADVISOR_CHECK_INTERVAL_FREQUENT")
        r = rest("POST", "/v1/advisors/checks:batchChange", {"params": [
            {"name": "mysql_config_general_log", "enable": True},
            {"name": "mongodb_journal", "interval": "ADVISOR_CHECK_INTERVAL_STANDARD"}]})
        self.assertStatus(r, 200)
        checks = {c["name"]: c for c in rest("GET", "/v1/advisors/checks").json["checks"]}
        self.assertTrue(checks["mysql_config_general_log"]["enabled"])
        self.assertEqual(checks["mongodb_journal"]["interval"], "ADVISOR_CHECK_INTERVAL_STANDARD")

    def test_disabled_advisors(self):
        r = rest("PUT", "/v1/server/settings", {"enable_advisor": False})
        self.assertStatus(r, 200)
        self.addCleanup(rest, "PUT", "/v1/server/settings", {"enable_advisor": True})
        for method, path, body in (("GET", "/v1/advisors/checks/failed", None),
                                   ("GET", "/v1/advisors/failedServices", None),
                                   ("POST", "/v1/advisors/checks:start", {})):
            with self.subTest(path=path):
                self.assertErrorBody(rest(method, path, body), 400, 9, "Advisor checks are disabled.")
        ch = channel()
        self.addCleanup(ch.close)
        with self.assertRaises(grpc.RpcError) as e:
            unary(ch, "/advisors.v1.AdvisorService/GetFailedChecks", advisors_pb2.GetFailedChecksRequest(),
                  advisors_pb2.GetFailedChecksResponse)
        self.assertGrpcError(e.exception, grpc.StatusCode.FAILED_PRECONDITION, "Advisor checks are disabled.")
        # the lists still answer
        self.assertStatus(rest("GET", "/v1/advisors"), 200)


if __name__ == "__main__":
    unittest.main()
