"""REST inventory agents against the reference (api.md §2, §3.5 rows 19-25,
30-31, §4.1, §6.3): JSON shapes, list keys, filters, ChangeAgent presence,
removal rules and credentials never returned."""

import unittest

from e2elib import UUID_RE, ApiTestCase, quote, rest, unique

AGENTS = "/v1/inventory/agents"
SERVICES = "/v1/inventory/services"
PASSWORD = "e2e-Pa55-never-shown"

LIST_KEYS = {
    "pmm_agent", "vm_agent", "node_exporter", "mysqld_exporter", "mongodb_exporter",
    "postgres_exporter", "proxysql_exporter", "qan_mysql_perfschema_agent",
    "qan_mysql_slowlog_agent", "qan_mongodb_profiler_agent",
    "qan_postgresql_pgstatements_agent", "qan_postgresql_pgstatmonitor_agent",
    "external_exporter", "rds_exporter", "azure_database_exporter", "nomad_agent",
    "valkey_exporter", "qan_mongodb_mongolog_agent",
}


class RestAgents(ApiTestCase):
    def setUp(self):
        node = self.add_node("generic", {"node_name": unique("agents-node"), "address": "10.3.0.1"})
        self.node_id = node["node_id"]
        self.pmm = self.add_agent("pmm_agent", {"runs_on_node_id": self.node_id,
                                                "custom_labels": {"dc": "eu"}})
        self.pmm_id = self.pmm["agent_id"]

    def add_agent(self, kind, params):
        r = rest("POST", AGENTS, {kind: params})
        self.assertStatus(r, 200)
        self.assertEqual(set(r.json), {kind}, r.json)
        self.assertNotIn(PASSWORD.encode(), r.body)
        return r.json[kind]

    def add_service(self, kind, params):
        r = rest("POST", SERVICES, {kind: dict(params, service_name=unique(kind), node_id=self.node_id)})
        self.assertStatus(r, 200)
        return r.json[kind]["service_id"]

    def test_pmm_agent_shape(self):
        self.assertRegex(self.pmm_id, UUID_RE)
        self.assertEqual(self.pmm, {"agent_id": self.pmm_id, "runs_on_node_id": self.node_id,
                                    "custom_labels": {"dc": "eu"}, "connected": False,
                                    "process_exec_path": ""})

    def test_node_exporter_shape_get_and_list(self):
        ne = self.add_agent("node_exporter", {"pmm_agent_id": self.pmm_id})
        self.assertRegex(ne["agent_id"], UUID_RE)
        self.assertEqual(ne, {
            "agent_id": ne["agent_id"], "pmm_agent_id": self.pmm_id, "disabled": False,
            "custom_labels": {}, "push_metrics_enabled": False, "disabled_collectors": [],
            "status": "AGENT_STATUS_UNKNOWN", "listen_port": 0, "process_exec_path": "",
            "log_level": "LOG_LEVEL_UNSPECIFIED", "expose_exporter": False,
            "metrics_resolutions": None})

        r = rest("GET", "%s/%s" % (AGENTS, ne["agent_id"]))
        self.assertStatus(r, 200)
        self.assertEqual(r.json, {"node_exporter": ne})

        r = rest("GET", AGENTS + "?pmm_agent_id=" + self.pmm_id)
        self.assertStatus(r, 200)
        self.assertEqual(set(r.json), LIST_KEYS)
        self.assertEqual(r.json["node_exporter"], [ne])
        for key in LIST_KEYS - {"node_exporter"}:
            self.assertEqual(r.json[key], [], key)

        r = rest("GET", AGENTS + "?agent_type=AGENT_TYPE_PMM_AGENT")
        self.assertStatus(r, 200)
        self.assertIn(self.pmm, r.json["pmm_agent"])
        self.assertEqual(r.json["node_exporter"], [])

        r = rest("GET", AGENTS)  # pmm-admin list: unfiltered, the server's own agents included
        self.assertStatus(r, 200)
        self.assertEqual(set(r.json), LIST_KEYS)
        self.assertIn("pmm-server", [a["agent_id"] for a in r.json["pmm_agent"]])
        for item in r.json["node_exporter"]:
            self.assertEqual(item["disabled_collectors"], [])
            self.assertIsInstance(item["custom_labels"], dict)
            self.assertIn(item["log_level"], ("LOG_LEVEL_UNSPECIFIED", "LOG_LEVEL_WARN"))

    def test_mysqld_exporter_and_qan(self):
        svc = self.add_service("mysql", {"address": "10.3.0.5", "port": 3306})
        me = self.add_agent("mysqld_exporter", {
            "pmm_agent_id": self.pmm_id, "service_id": svc, "username": "monitor",
            "password": PASSWORD, "agent_password": PASSWORD, "tablestats_group_table_limit": 1000,
            "skip_connection_check": True, "log_level": "LOG_LEVEL_WARN"})
        self.assertEqual(me["extra_dsn_params"], {})
        self.assertEqual(me["username"], "monitor")
        self.assertEqual(me["tablestats_group_table_limit"], 1000)
        self.assertEqual(me["status"], "AGENT_STATUS_UNKNOWN")
        self.assertEqual(me["log_level"], "LOG_LEVEL_WARN")
        self.assertNotIn("password", me)
        self.assertNotIn("agent_password", me)

        slow = self.add_agent("qan_mysql_slowlog_agent", {
            "pmm_agent_id": self.pmm_id, "service_id": svc, "username": "monitor",
            "password": PASSWORD, "max_slowlog_file_size": "1048576", "max_query_length": 512})
        self.assertEqual(slow["max_slowlog_file_size"], "1048576")  # int64 as a string
        self.assertEqual(slow["max_query_length"], 512)
        self.assertEqual(slow["extra_dsn_params"], {})

        r = rest("GET", AGENTS + "?service_id=" + svc)
        self.assertStatus(r, 200)
        self.assertNotIn(PASSWORD.encode(), r.body)
        self.assertEqual(r.json["mysqld_exporter"], [me])
        self.assertEqual(r.json["qan_mysql_slowlog_agent"], [slow])

        r = rest("POST", AGENTS, {"mongodb_exporter": {
            "pmm_agent_id": self.pmm_id, "service_id": svc, "username": "u"}})
        self.assertErrorBody(r, 400, 9, "invalid combination of service type mysql and agent type mongodb_exporter")

    def test_change_presence(self):
        ne = self.add_agent("node_exporter", {"pmm_agent_id": self.pmm_id, "custom_labels": {"a": "b"},
                                              "disable_collectors": ["textfile"]})
        path = "%s/%s" % (AGENTS, ne["agent_id"])
        r = rest("PUT", path, {"node_exporter": {"enable": False}})
        self.assertStatus(r, 200)
        changed = r.json["node_exporter"]
        self.assertTrue(changed["disabled"])
        self.assertEqual(changed["status"], "AGENT_STATUS_DONE")
        self.assertEqual(changed["custom_labels"], {"a": "b"})
        self.assertEqual(changed["disabled_collectors"], ["textfile"])

        r = rest("PUT", path, {"node_exporter": {"custom_labels": {"values": {}}, "enable": True,
                                                 "metrics_resolutions": {"hr": "10s"}}})
        self.assertStatus(r, 200)
        changed = r.json["node_exporter"]
        self.assertFalse(changed["disabled"])
        self.assertEqual(changed["custom_labels"], {})
        self.assertEqual(changed["metrics_resolutions"], {"hr": "10s", "mr": None, "lr": None})
        r = rest("GET", path)
        self.assertEqual(r.json, {"node_exporter": changed})

    def test_errors(self):
        r = rest("GET", AGENTS + "?pmm_agent_id=%s&node_id=%s" % (self.pmm_id, self.node_id))
        self.assertErrorBody(r, 400, 3, "expected at most one param: pmm_agent_id, node_id or service_id")
        r = rest("GET", AGENTS + "/short-id")
        self.assertErrorBody(r, 400, 3, "invalid GetAgentRequest.AgentId: value length must be at least 36 runes")
        missing = "00000000-0000-4000-8000-00000000e2e0"
        r = rest("GET", "%s/%s" % (AGENTS, missing))
        self.assertErrorBody(r, 404, 5, "Agent with ID %s not found." % missing)
        r = rest("DELETE", "%s/%s" % (AGENTS, missing))
        self.assertErrorBody(r, 404, 5, "Agent with ID %s not found." % missing)
        r = rest("DELETE", AGENTS + "/pmm-server?force=true")
        self.assertErrorBody(r, 403, 7, "pmm-agent on PMM Server can't be removed.")
        r = rest("POST", AGENTS, {"pmm_agent": {"runs_on_node_id": ""}})
        self.assertErrorBody(r, 400, 3, "invalid AddPMMAgentParams.RunsOnNodeId: value length must be at least 1 runes")
        r = rest("POST", AGENTS, {"node_exporter": {"pmm_agent_id": "pmm-not-found"}})
        self.assertErrorBody(r, 404, 5, "Agent with ID pmm-not-found not found.")
        r = rest("POST", AGENTS, {"mysqld_exporter": {"pmm_agent_id": self.pmm_id, "service_id": "pmm-not-found",
                                                     "username": "u"}})
        self.assertErrorBody(r, 404, 5, 'Service with ID "pmm-not-found" not found.')

    def test_remove_rules(self):
        ne = self.add_agent("node_exporter", {"pmm_agent_id": self.pmm_id})
        r = rest("DELETE", "%s/%s" % (AGENTS, self.pmm_id))
        self.assertErrorBody(r, 400, 9, "pmm-agent with ID %s has agents." % self.pmm_id)
        r = rest("DELETE", "%s/%s?force=true" % (AGENTS, quote(self.pmm_id)))
        self.assertStatus(r, 200)
        self.assertEqual(r.json, {})
        r = rest("GET", "%s/%s" % (AGENTS, ne["agent_id"]))
        self.assertErrorBody(r, 404, 5, "Agent with ID %s not found." % ne["agent_id"])


if __name__ == "__main__":
    unittest.main()
