"""e2e: management AddService without skip_connection_check asks the
service's pmm-agent (through inventoryd -> agentsd -> the stream) as
upstream's ConnectionChecker and ServiceInfoBroker do: the
CheckConnectionRequest and ServiceInfoRequest it receives (DSN with a 2 s
dial timeout, 3 s timeout, text files, delimiters), the table count and
version it reports stored with the service, and upstream's errors (check
failed, timeout, pmm-agent not connected) leaving nothing behind."""

import io
import unittest
import zipfile

from e2elib import ApiTestCase, rest, unique, quote
from fakeagent import FakeAgent
from agent.v1 import agent_pb2
from inventory.v1 import services_pb2

MYSQL = services_pb2.SERVICE_TYPE_MYSQL_SERVICE
POSTGRESQL = services_pb2.SERVICE_TYPE_POSTGRESQL_SERVICE
EXTERNAL = services_pb2.SERVICE_TYPE_EXTERNAL_SERVICE
HAPROXY = services_pb2.SERVICE_TYPE_HAPROXY_SERVICE
NOT_CONNECTED = 'pmm-agent with ID "%s" is not currently connected'


def daemon_logs():
    r = rest("GET", "/v1/server/logs.zip", timeout=60)
    assert r.status == 200, r
    zf = zipfile.ZipFile(io.BytesIO(r.body))
    return {n: zf.read(n) for n in ("agentsd.log", "inventoryd.log")}


def answers(check_error="", table_count=0, version=""):
    return {
        "check_connection": lambda m: agent_pb2.AgentMessage(
            check_connection=agent_pb2.CheckConnectionResponse(error=check_error)),
        "service_info": lambda m: agent_pb2.AgentMessage(
            service_info=agent_pb2.ServiceInfoResponse(table_count=table_count, version=version)),
    }


class CheckConnectionTest(ApiTestCase):
    def setUp(self):
        r = rest("POST", "/v1/management/nodes", {
            "node_type": "NODE_TYPE_GENERIC_NODE", "node_name": unique("check"), "address": "10.9.2.1"})
        self.assertStatus(r, 200)
        self.node_id = r.json["generic_node"]["node_id"]
        self.pmm_agent_id = r.json["pmm_agent"]["agent_id"]
        self.token = r.json["token"]
        self.addCleanup(lambda: rest("DELETE", "/v1/management/nodes/%s?force=true" % quote(self.node_id)))
        self.agents = []

    def tearDown(self):
        for a in self.agents:
            a.close()

    def connect(self, **handlers):
        a = FakeAgent(self.pmm_agent_id, auth="Bearer " + self.token, handlers=answers(**handlers))
        self.agents.append(a)
        a.connect()
        a.wait_set_state()
        return a

    def add_mysql(self, name, **extra):
        body = {"node_id": self.node_id, "pmm_agent_id": self.pmm_agent_id, "service_name": name,
                "address": "10.9.2.5", "port": 3306, "username": "pmm", "password": "my-s3cret"}
        body.update(extra)
        return rest("POST", "/v1/management/services", {"mysql": body})

    def assertNoService(self, name):
        r = rest("GET", "/v1/management/services?node_id=%s" % quote(self.node_id))
        self.assertStatus(r, 200)
        self.assertEqual([s["service_name"] for s in r.json["services"]], [])
        r = rest("GET", "/v1/inventory/agents?pmm_agent_id=%s" % quote(self.pmm_agent_id))
        self.assertStatus(r, 200)
        self.assertEqual(r.json.get("mysqld_exporter", []), [])

    def test_mysql_check_and_service_info(self):
        a = self.connect(table_count=1234, version="8.0.36")
        name = unique("mysql")
        r = self.add_mysql(name)
        self.assertStatus(r, 200)
        check = a.wait_request("check_connection").check_connection
        self.assertEqual(check.type, MYSQL)
        self.assertEqual(check.dsn, "pmm:my-s3cret@tcp(10.9.2.5:3306)/?timeout=2s")
        self.assertEqual(check.timeout.seconds, 3)
        self.assertEqual(check.text_files.template_left_delim, "{{")
        self.assertEqual(check.text_files.template_right_delim, "}}")
        self.assertEqual(dict(check.text_files.files), {})
        self.assertFalse(check.tls_skip_verify)
        info = a.wait_request("service_info").service_info
        self.assertEqual((info.type, info.dsn, info.timeout.seconds), (MYSQL, check.dsn, 3))
        res = r.json["mysql"]
        self.assertEqual(res["table_count"], 1234)
        # above the default limit of 1000 tables: tablestats off
        self.assertTrue(res["mysqld_exporter"]["tablestats_group_disabled"])
        svc_id = res["service"]["service_id"]
        r = rest("GET", "/v1/inventory/services/%s" % quote(svc_id))
        self.assertStatus(r, 200)
        self.assertEqual(r.json["mysql"]["version"], "8.0.36")
        r = rest("GET", "/v1/inventory/agents/%s" % quote(res["mysqld_exporter"]["agent_id"]))
        self.assertStatus(r, 200)
        self.assertTrue(r.json["mysqld_exporter"]["tablestats_group_disabled"])
        logs = daemon_logs()
        self.assertIn(b"pmm:****@tcp(10.9.2.5:3306)/?timeout=2s", logs["agentsd.log"])
        for name, text in logs.items():
            self.assertNotIn(b"my-s3cret", text, name)

    def test_postgresql_dsn_with_tls_files(self):
        a = self.connect(version="16.2")
        r = rest("POST", "/v1/management/services", {"postgresql": {
            "node_id": self.node_id, "pmm_agent_id": self.pmm_agent_id, "service_name": unique("pg"),
            "address": "10.9.2.6", "port": 5432, "username": "pmm", "password": "pg-pw", "database": "app",
            "tls": True, "tls_ca": "CA-PEM"}})
        self.assertStatus(r, 200)
        check = a.wait_request("check_connection").check_connection
        self.assertEqual(check.type, POSTGRESQL)
        # url.Values.Encode order; sslsni=0 for pmm-agent >= 2.41 with TLS
        self.assertEqual(check.dsn, "postgres://pmm:pg-pw@10.9.2.6:5432/app?connect_timeout=2&sslmode=verify-ca"
                                    "&sslrootcert={{.TextFiles.caFilePlaceholder}}&sslsni=0")
        self.assertEqual(dict(check.text_files.files), {"caFilePlaceholder": "CA-PEM"})
        info = a.wait_request("service_info").service_info
        self.assertEqual(info.dsn, check.dsn)
        r = rest("GET", "/v1/inventory/services/%s" % quote(r.json["postgresql"]["service"]["service_id"]))
        self.assertEqual(r.json["postgresql"]["version"], "16.2")

    def test_check_failed(self):
        self.connect(check_error="Error 1045: Access denied for user 'pmm'")
        name = unique("mysql")
        r = self.add_mysql(name, qan_mysql_perfschema=True)
        self.assertErrorBody(r, 400, 9, "Connection check failed: Error 1045: Access denied for user 'pmm'.")
        self.assertNoService(name)

    def test_check_timeout(self):
        self.connect(check_error="context deadline exceeded")
        name = unique("mysql")
        r = self.add_mysql(name)
        self.assertErrorBody(r, 400, 9, "Connection check failed: timeout (context deadline exceeded).")
        self.assertNoService(name)

    def test_not_connected(self):
        name = unique("mysql")
        r = self.add_mysql(name)
        self.assertErrorBody(r, 400, 9, NOT_CONNECTED % self.pmm_agent_id)
        self.assertNoService(name)
        # skipping the check adds it all the same
        r = self.add_mysql(name, skip_connection_check=True)
        self.assertStatus(r, 200)
        self.assertEqual(r.json["mysql"].get("table_count", 0), 0)

    def test_external_push_checked_by_its_node_agent(self):
        a = self.connect()
        r = rest("POST", "/v1/management/services", {"external": {
            "node_id": self.node_id, "runs_on_node_id": self.node_id, "service_name": unique("ext"),
            "listen_port": 9999, "scheme": "https", "metrics_path": "/m?x=1", "username": "u", "password": "p w",
            "metrics_mode": "METRICS_MODE_PUSH", "tls_skip_verify": True}})
        self.assertStatus(r, 200)
        check = a.wait_request("check_connection").check_connection
        self.assertEqual((check.type, check.dsn, check.timeout.seconds), (EXTERNAL, "https://u:p%20w@127.0.0.1:9999/m?x=1", 3))
        self.assertTrue(check.tls_skip_verify)
        self.assertFalse(check.HasField("text_files"))
        self.assertEqual(a.requests_of("service_info"), [])
        r = rest("POST", "/v1/management/services", {"haproxy": {
            "node_id": self.node_id, "service_name": unique("ha"), "listen_port": 8404,
            "metrics_mode": "METRICS_MODE_PUSH"}})
        self.assertStatus(r, 200)
        checks = a.requests_of("check_connection")
        self.assertEqual(len(checks), 2)
        self.assertEqual((checks[1].check_connection.type, checks[1].check_connection.dsn),
                         (HAPROXY, "http://127.0.0.1:8404/metrics"))
        # the URLs are logged without their passwords, also escaped ones
        logs = daemon_logs()
        self.assertIn(b"https://u:*****@127.0.0.1:9999/m?x=1", logs["agentsd.log"])
        for name, text in logs.items():
            self.assertNotIn(b"p%20w", text, name)

    def test_pulled_exporters_and_rds_go_through_the_server_agent(self):
        # the server's own pmm-agent does not run in this suite
        name = unique("ext")
        r = rest("POST", "/v1/management/services", {"external": {
            "node_id": self.node_id, "runs_on_node_id": self.node_id, "service_name": name, "listen_port": 9999,
            "metrics_mode": "METRICS_MODE_PULL"}})
        self.assertErrorBody(r, 400, 9, NOT_CONNECTED % "pmm-server")
        instance = unique("rds")
        r = rest("POST", "/v1/management/services", {"rds": {
            "region": "us-east-1", "instance_id": instance, "address": "db.example.rds.amazonaws.com",
            "port": 3306, "engine": "DISCOVER_RDS_ENGINE_MYSQL", "username": "admin", "password": "pw",
            "rds_exporter": True}})
        self.assertErrorBody(r, 400, 9, NOT_CONNECTED % "pmm-server")
        r = rest("GET", "/v1/management/services")
        self.assertStatus(r, 200)
        self.assertEqual([s for s in r.json["services"] if s["service_name"] == name], [])
        r = rest("GET", "/v1/inventory/nodes")
        self.assertStatus(r, 200)
        self.assertEqual([n for n in r.json.get("remote_rds", []) if n["node_name"] == instance], [])


if __name__ == "__main__":
    unittest.main()
