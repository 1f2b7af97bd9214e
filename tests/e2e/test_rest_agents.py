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

    def test_every_kind_add_get_list(self):
        svc = {kind: self.add_service(kind, params) for kind, params in {
            "mysql": {"address": "10.3.0.6", "port": 3306},
            "mongodb": {"address": "10.3.0.7", "port": 27017},
            "postgresql": {"address": "10.3.0.8", "port": 5432},
            "proxysql": {"address": "10.3.0.9", "port": 6032},
            "external": {"group": "e2e"},
            "valkey": {"address": "10.3.0.10", "port": 6379},
        }.items()}
        rds = self.add_node("remote_rds", {"node_name": unique("rds"), "address": unique("rds-db"),
                                           "region": "us-east-1"})["node_id"]
        azure = self.add_node("remote_azure", {"node_name": unique("az"), "address": unique("az-db"),
                                               "region": "eastus"})["node_id"]
        creds = {"username": "monitor", "password": PASSWORD, "skip_connection_check": True}
        cases = [
            ("mysqld_exporter", dict(creds, service_id=svc["mysql"])),
            ("mongodb_exporter", dict(creds, service_id=svc["mongodb"], stats_collections=["db.c"],
                                      connection_timeout="5s")),
            ("postgres_exporter", dict(creds, service_id=svc["postgresql"], auto_discovery_limit=10,
                                       tls_key=PASSWORD)),
            ("proxysql_exporter", dict(creds, service_id=svc["proxysql"])),
            ("valkey_exporter", dict(creds, service_id=svc["valkey"], tls_key=PASSWORD)),
            ("qan_mysql_perfschema_agent", dict(creds, service_id=svc["mysql"], max_query_length=100)),
            ("qan_mysql_slowlog_agent", dict(creds, service_id=svc["mysql"])),
            ("qan_mongodb_profiler_agent", dict(creds, service_id=svc["mongodb"])),
            ("qan_mongodb_mongolog_agent", dict(creds, service_id=svc["mongodb"])),
            ("qan_postgresql_pgstatements_agent", dict(creds, service_id=svc["postgresql"])),
            ("qan_postgresql_pgstatmonitor_agent", dict(creds, service_id=svc["postgresql"],
                                                        disable_query_examples=True)),
            ("rds_exporter", {"node_id": rds, "aws_access_key": "AKIA", "aws_secret_key": PASSWORD}),
            ("azure_database_exporter", {"node_id": azure, "azure_client_secret": PASSWORD,
                                         "azure_database_resource_type": "mysql",
                                         "azure_subscription_id": "sub"}),
        ]
        for kind, params in cases:
            with self.subTest(kind=kind):
                agent = self.add_agent(kind, dict(params, pmm_agent_id=self.pmm_id))
                self.assertEqual(agent["status"], "AGENT_STATUS_UNKNOWN")
                self.assertEqual(agent["custom_labels"], {})
                self.assertFalse(any("password" in key or key.endswith("_key") and key != "aws_access_key"
                                     for key in agent if key != "tls_key"), agent)
                r = rest("GET", "%s/%s" % (AGENTS, agent["agent_id"]))
                self.assertStatus(r, 200)
                self.assertEqual(r.json, {kind: agent})
                self.assertNotIn(PASSWORD.encode(), r.body)
        ext = self.add_agent("external_exporter", {"runs_on_node_id": self.node_id, "service_id": svc["external"],
                                                   "listen_port": 9104, "password": PASSWORD})
        self.assertEqual((ext["scheme"], ext["metrics_path"], ext["status"]),
                         ("http", "/metrics", "AGENT_STATUS_UNSPECIFIED"))

        r = rest("GET", AGENTS + "?pmm_agent_id=" + self.pmm_id)
        self.assertStatus(r, 200)
        self.assertNotIn(PASSWORD.encode(), r.body)
        for kind, _ in cases:
            self.assertEqual(len(r.json[kind]), 1, kind)
        self.assertEqual(r.json["qan_mongodb_profiler_agent"][0]["max_query_length"], 0)
        mongo = r.json["mongodb_exporter"][0]
        self.assertEqual((mongo["stats_collections"], mongo["connection_timeout"],
                          mongo["environment_variable_names"]), (["db.c"], "5s", []))
        self.assertEqual(r.json["azure_database_exporter"][0]["azure_database_subscription_id"], "sub")
        self.assertEqual(r.json["rds_exporter"][0]["aws_access_key"], "AKIA")

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
        self.assertErrorBody(r, 400, 3, "invalid AddAgentRequest.PmmAgent: embedded message failed validation | caused by: invalid AddPMMAgentParams.RunsOnNodeId: value length must be at least 1 runes")
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
