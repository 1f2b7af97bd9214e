"""e2e: the requests real PMM v3 clients send, replayed byte for byte.

`pmm-agent setup` (agent/commands/clients.go serverRegister) and `pmm-admin
add mysql|postgresql|mongodb|proxysql|haproxy|external`
(admin/commands/management/add_*.go) go through go-swagger clients: the body
is encoding/json of the generated *Body struct, compact, keys in the order of
the struct's fields (alphabetical), `omitempty` dropping empty strings, zero
numbers, false and empty maps, nil slices written as null, int64 fields as
strings, and enum flags spelled "METRICS_MODE_" + upper(flag): the default
--metrics-mode=auto sends "METRICS_MODE_AUTO", which is no name of
management.v1.MetricsMode and must be dropped as an unknown enum name, not
refused. One AddService goes through the connection check of a connected
(fake) pmm-agent; the others skip it, as upstream's api tests do."""

import json
import unittest

from e2elib import ApiTestCase, rest, unique, quote
from fakeagent import FakeAgent
from agent.v1 import agent_pb2


def go_json(obj):
    """encoding/json.Marshal of a go-swagger body: compact, keys sorted."""
    return json.dumps(obj, separators=(",", ":"), sort_keys=True).encode()


def setup_body(node_name, address):
    # RegisterNodeBody as `pmm-agent setup --force=false 10.11.0.1 generic <name>`
    # fills it; custom_labels empty and omitted, disable_collectors nil.
    return go_json({
        "address": address,
        "disable_collectors": None,
        "distro": "linux",
        "machine_id": "/machine_id/" + "ab" * 16,
        "metrics_mode": "METRICS_MODE_AUTO",
        "node_name": node_name,
        "node_type": "NODE_TYPE_GENERIC_NODE",
    })


class ClientReplay(ApiTestCase):
    def setUp(self):
        name = unique("replay-node")
        body = setup_body(name, "10.11.0.1")
        self.assertIn(b'"metrics_mode":"METRICS_MODE_AUTO"', body)
        r = rest("POST", "/v1/management/nodes", body)
        self.assertStatus(r, 200)
        self.node_id = r.json["generic_node"]["node_id"]
        self.assertEqual(r.json["generic_node"]["node_name"], name)
        self.assertEqual(r.json["generic_node"]["machine_id"], "/machine_id/" + "ab" * 16)
        self.assertEqual(r.json["generic_node"]["distro"], "linux")
        self.pmm_agent_id = r.json["pmm_agent"]["agent_id"]
        self.token = r.json["token"]
        self.assertTrue(self.token)
        self.addCleanup(lambda: rest("DELETE", "/v1/management/nodes/%s?force=true" % quote(self.node_id)))
        self.agents = []

    def tearDown(self):
        for a in self.agents:
            a.close()

    def common(self, name, **extra):
        """The fields every pmm-admin add command sets by default."""
        body = {
            "custom_labels": None,  # ParseCustomLabels of an empty flag: nil map (omitempty drops it)
            "metrics_mode": "METRICS_MODE_AUTO",
            "node_id": self.node_id,
            "service_name": name,
        }
        body.update(extra)
        return {k: v for k, v in body.items() if v is not None}

    def add(self, kind, params):
        r = rest("POST", "/v1/management/services", go_json({kind: params}))
        self.assertStatus(r, 200)
        return r.json[kind]

    def assertService(self, kind_key, service_id, name):
        r = rest("GET", "/v1/inventory/services/%s" % quote(service_id))
        self.assertStatus(r, 200)
        self.assertEqual(r.json[kind_key]["service_name"], name)
        self.assertEqual(r.json[kind_key]["node_id"], self.node_id)

    def agents_of(self, service_id):
        r = rest("GET", "/v1/inventory/agents?service_id=%s" % quote(service_id))
        self.assertStatus(r, 200)
        return {k for k, v in r.json.items() if v}

    def test_register_node_is_idempotent_with_reregister(self):
        # the same setup with --force: reregister true
        body = json.loads(setup_body(unique("replay-again"), "10.11.0.2"))
        body["reregister"] = True
        r = rest("POST", "/v1/management/nodes", go_json(body))
        self.assertStatus(r, 200)
        rest("DELETE", "/v1/management/nodes/%s?force=true" % quote(r.json["generic_node"]["node_id"]))

    def test_add_mysql_with_connection_check(self):
        a = FakeAgent(self.pmm_agent_id, auth="Bearer " + self.token, handlers={
            "check_connection": lambda m: agent_pb2.AgentMessage(
                check_connection=agent_pb2.CheckConnectionResponse()),
            "service_info": lambda m: agent_pb2.AgentMessage(
                service_info=agent_pb2.ServiceInfoResponse(table_count=42, version="8.0.36")),
        })
        self.agents.append(a)
        a.connect()
        a.wait_set_state()
        name = unique("replay-mysql")
        res = self.add("mysql", self.common(
            name, address="127.0.0.1", disable_collectors=None, disable_comments_parsing=True,
            log_level="LOG_LEVEL_WARN", max_slowlog_file_size="0", password="pass", pmm_agent_id=self.pmm_agent_id,
            port=3306, qan_mysql_slowlog=True, username="root"))
        svc = res["service"]
        self.assertService("mysql", svc["service_id"], name)
        self.assertEqual(res["table_count"], 42)
        self.assertEqual(res["mysqld_exporter"]["pmm_agent_id"], self.pmm_agent_id)
        self.assertEqual(res["qan_mysql_slowlog"]["service_id"], svc["service_id"])
        self.assertEqual(len(a.requests_of("check_connection")), 1)
        self.assertEqual(self.agents_of(svc["service_id"]), {"mysqld_exporter", "qan_mysql_slowlog_agent"})

    def test_add_postgresql(self):
        name = unique("replay-pg")
        res = self.add("postgresql", self.common(
            name, address="127.0.0.1", auto_discovery_limit=10, disable_collectors=None,
            disable_comments_parsing=True, log_level="LOG_LEVEL_WARN", password="pass",
            pmm_agent_id=self.pmm_agent_id, port=5432, qan_postgresql_pgstatements_agent=True,
            skip_connection_check=True, username="postgres"))
        svc = res["service"]
        self.assertService("postgresql", svc["service_id"], name)
        self.assertEqual(res["postgres_exporter"]["pmm_agent_id"], self.pmm_agent_id)
        self.assertEqual(self.agents_of(svc["service_id"]),
                         {"postgres_exporter", "qan_postgresql_pgstatements_agent"})

    def test_add_mongodb(self):
        name = unique("replay-mongo")
        res = self.add("mongodb", self.common(
            name, address="127.0.0.1", collections_limit=-1, disable_collectors=None, log_level="LOG_LEVEL_WARN",
            password="pass", pmm_agent_id=self.pmm_agent_id, port=27017, qan_mongodb_profiler=True,
            skip_connection_check=True, username="admin"))
        svc = res["service"]
        self.assertService("mongodb", svc["service_id"], name)
        self.assertEqual(res["mongodb_exporter"]["pmm_agent_id"], self.pmm_agent_id)
        self.assertEqual(self.agents_of(svc["service_id"]), {"mongodb_exporter", "qan_mongodb_profiler_agent"})

    def test_add_proxysql(self):
        name = unique("replay-proxysql")
        res = self.add("proxysql", self.common(
            name, address="127.0.0.1", disable_collectors=None, log_level="LOG_LEVEL_WARN", password="admin",
            pmm_agent_id=self.pmm_agent_id, port=6032, skip_connection_check=True, username="admin"))
        svc = res["service"]
        self.assertService("proxysql", svc["service_id"], name)
        self.assertEqual(self.agents_of(svc["service_id"]), {"proxysql_exporter"})

    def test_add_haproxy(self):
        name = unique("replay-haproxy")
        res = self.add("haproxy", self.common(
            name, listen_port=8404, metrics_path="/metrics", scheme="http", skip_connection_check=True))
        svc = res["service"]
        self.assertService("haproxy", svc["service_id"], name)
        self.assertEqual(res["external_exporter"]["listen_port"], 8404)
        self.assertEqual(self.agents_of(svc["service_id"]), {"external_exporter"})

    def test_add_external(self):
        name = unique("replay-external")
        res = self.add("external", self.common(
            name, group="external", listen_port=9104, metrics_path="/metrics", runs_on_node_id=self.node_id,
            scheme="http", skip_connection_check=True))
        svc = res["service"]
        self.assertService("external", svc["service_id"], name)
        self.assertEqual(res["service"]["group"], "external")
        self.assertEqual(res["external_exporter"]["listen_port"], 9104)
        self.assertEqual(self.agents_of(svc["service_id"]), {"external_exporter"})


if __name__ == "__main__":
    unittest.main()
