"""management.v1 as pmm-admin uses it (reference api.md §4.14), over REST
with basic auth and over gRPC: `pmm-admin config` (pmm-agent setup) =
RegisterNode, `pmm-admin add mysql` = AddService, `pmm-admin list` =
inventory ListServices(node_id) + ListAgents(), `pmm-admin remove mysql
NAME` = RemoveService by name with service_type; then UnregisterNode. Also
the management lists and the upstream error texts."""

import os
import time
import unittest

import grpc

from e2elib import UUID_RE, ApiTestCase, channel, http_call, quote, rest, unary, unique
from inventory.v1 import agents_pb2, services_pb2
from management.v1 import mysql_pb2, node_pb2, service_pb2, agent_pb2

M = "/management.v1.ManagementService/"
REGISTER_KEYS = {"generic_node", "container_node", "pmm_agent", "token", "warning"}


def register_body(name, **extra):
    """What `pmm-agent setup` sends (node type as an enum name)."""
    body = {
        "node_type": "NODE_TYPE_GENERIC_NODE",
        "node_name": name,
        "address": "10.9.0.1",
        "machine_id": "/machine_id/" + name,
        "distro": "linux",
        "custom_labels": {"env": "e2e"},
        "reregister": False,
        "metrics_mode": "METRICS_MODE_UNSPECIFIED",
        "disable_collectors": [],
    }
    body.update(extra)
    return body


def add_mysql_body(name, node_id, pmm_agent_id):
    """What `pmm-admin add mysql --query-source=perfschema` sends."""
    return {"mysql": {
        "node_id": node_id,
        "pmm_agent_id": pmm_agent_id,
        "service_name": name,
        "address": "127.0.0.1",
        "port": 3306,
        "username": "pmm",
        "password": "mysql-secret",
        "qan_mysql_perfschema": True,
        "qan_mysql_slowlog": False,
        "skip_connection_check": True,
        "disable_query_examples": False,
        "max_slowlog_file_size": "0",
        "tablestats_group_table_limit": 0,
        "metrics_mode": "METRICS_MODE_UNSPECIFIED",
        "custom_labels": {},
        "log_level": "LOG_LEVEL_UNSPECIFIED",
    }}


class RestPmmAdmin(ApiTestCase):
    def register(self, name, **extra):
        r = rest("POST", "/v1/management/nodes", register_body(name, **extra))
        self.assertStatus(r, 200)
        self.addCleanup(rest, "DELETE", "/v1/management/nodes/%s?force=true" % quote(r.json["generic_node"]["node_id"]))
        return r.json

    def test_config_add_list_remove(self):
        name = unique("mgmt-node")
        reg = self.register(name)
        self.assertEqual(set(reg), REGISTER_KEYS)
        self.assertIsNone(reg["container_node"])
        self.assertEqual(reg["warning"], "")
        node = reg["generic_node"]
        self.assertRegex(node["node_id"], UUID_RE)
        self.assertEqual(node["node_name"], name)
        self.assertEqual(node["custom_labels"], {"env": "e2e"})
        agent = reg["pmm_agent"]
        self.assertRegex(agent["agent_id"], UUID_RE)
        self.assertEqual(agent["runs_on_node_id"], node["node_id"])
        self.assertTrue(reg["token"].startswith("pmmsa_"), reg["token"])

        # The token works as the pmm-agent's credentials.
        r = rest("GET", "/v1/inventory/nodes/%s" % node["node_id"], auth="Bearer " + reg["token"])
        self.assertStatus(r, 200)

        # pmm-admin add mysql
        svc_name = unique("mgmt-mysql")
        r = rest("POST", "/v1/management/services", add_mysql_body(svc_name, node["node_id"], agent["agent_id"]))
        self.assertStatus(r, 200)
        self.assertEqual(set(r.json), {"mysql"})
        res = r.json["mysql"]
        self.assertEqual(set(res), {"service", "mysqld_exporter", "qan_mysql_perfschema", "qan_mysql_slowlog",
                                    "table_count"})
        self.assertIsNone(res["qan_mysql_slowlog"])
        self.assertEqual(res["table_count"], 0)
        svc = res["service"]
        self.assertEqual(svc["service_name"], svc_name)
        self.assertEqual(svc["node_id"], node["node_id"])
        self.assertEqual(res["mysqld_exporter"]["service_id"], svc["service_id"])
        self.assertEqual(res["mysqld_exporter"]["pmm_agent_id"], agent["agent_id"])
        self.assertEqual(res["mysqld_exporter"]["tablestats_group_table_limit"], 1000)
        self.assertEqual(res["qan_mysql_perfschema"]["service_id"], svc["service_id"])
        self.assertNotIn("mysql-secret", r.body.decode())

        # pmm-admin list: inventory ListServices(node_id) + ListAgents()
        r = rest("GET", "/v1/inventory/services?node_id=%s" % node["node_id"])
        self.assertStatus(r, 200)
        self.assertEqual([s["service_id"] for s in r.json["mysql"]], [svc["service_id"]])
        r = rest("GET", "/v1/inventory/agents")
        self.assertStatus(r, 200)
        mine = [a for a in r.json["mysqld_exporter"] if a["service_id"] == svc["service_id"]]
        self.assertEqual(len(mine), 1)
        self.assertEqual([a["agent_id"] for a in r.json["pmm_agent"] if a["runs_on_node_id"] == node["node_id"]],
                         [agent["agent_id"]])
        self.assertEqual(len([a for a in r.json["node_exporter"] if a["pmm_agent_id"] == agent["agent_id"]]), 1)

        # management lists
        r = rest("GET", "/v1/management/services?node_id=%s" % node["node_id"])
        self.assertStatus(r, 200)
        [usvc] = r.json["services"]
        self.assertEqual(usvc["service_type"], "mysql")
        self.assertEqual(usvc["node_name"], name)
        self.assertEqual(usvc["status"], "STATUS_UNSPECIFIED")  # no mysql_up series: upstream's real answer
        self.assertEqual(sorted(a["agent_type"] for a in usvc["agents"]),
                         ["mysqld_exporter", "pmm-agent", "qan-mysql-perfschema-agent"])
        r = rest("GET", "/v1/management/agents?service_id=%s" % svc["service_id"])
        self.assertStatus(r, 200)
        [exp] = [a for a in r.json["agents"] if a["agent_type"] == "mysqld_exporter"]
        self.assertTrue(exp["is_password_set"])
        self.assertEqual(exp["username"], "pmm")
        self.assertNotIn("password", exp)
        self.assertNotIn("mysql-secret", r.body.decode())
        r = rest("GET", "/v1/management/nodes/%s" % node["node_id"])
        self.assertStatus(r, 200)
        self.assertEqual(r.json["node"]["status"], "STATUS_UNKNOWN")
        self.assertEqual(r.json["node"]["node_type"], "generic")
        r = rest("GET", "/v1/management/nodes?node_type=NODE_TYPE_GENERIC_NODE")
        self.assertStatus(r, 200)
        [un] = [n for n in r.json["nodes"] if n["node_id"] == node["node_id"]]
        self.assertEqual(sorted(s["service_name"] for s in un["services"]), [svc_name])

        # pmm-admin remove mysql NAME
        r = rest("DELETE", "/v1/management/services/%s?service_type=SERVICE_TYPE_POSTGRESQL_SERVICE" % quote(svc_name))
        self.assertErrorBody(r, 400, 3, "wrong service type")
        r = rest("DELETE", "/v1/management/services/%s?service_type=SERVICE_TYPE_MYSQL_SERVICE" % quote(svc_name))
        self.assertStatus(r, 200)
        self.assertEqual(r.json, {})
        r = rest("GET", "/v1/inventory/services?node_id=%s" % node["node_id"])
        self.assertEqual(r.json["mysql"], [])
        r = rest("GET", "/v1/inventory/agents?service_id=%s" % svc["service_id"])
        self.assertErrorBody(r, 404, 5, 'Service with ID "%s" not found.' % svc["service_id"])
        r = rest("DELETE", "/v1/management/services/%s?service_type=SERVICE_TYPE_MYSQL_SERVICE" % quote(svc_name))
        self.assertErrorBody(r, 404, 5, 'Service with name "%s" not found.' % svc_name)

        # unregister
        r = rest("DELETE", "/v1/management/nodes/%s" % node["node_id"])
        self.assertErrorBody(r, 400, 9, 'Node with ID "%s" has agents.' % node["node_id"])
        r = rest("DELETE", "/v1/management/nodes/%s?force=true" % node["node_id"])
        self.assertStatus(r, 200)
        self.assertEqual(r.json, {"warning": ""})
        r = rest("GET", "/v1/inventory/nodes/%s" % node["node_id"])
        self.assertErrorBody(r, 404, 5, 'Node with ID "%s" not found.' % node["node_id"])
        # The node's token went with it (once the gateway's 3 s auth cache has expired).
        time.sleep(3.5)
        r = rest("GET", "/v1/inventory/nodes", auth="Bearer " + reg["token"])
        self.assertStatus(r, 401)

    def test_register_errors(self):
        name = unique("mgmt-dup")
        self.register(name)
        r = rest("POST", "/v1/management/nodes", register_body(name))
        self.assertErrorBody(r, 409, 6, 'Node with name "%s" already exists.' % name)
        r = rest("POST", "/v1/management/nodes", register_body(unique("mgmt-rem"), node_type="NODE_TYPE_REMOTE_NODE"))
        self.assertErrorBody(r, 400, 3, 'Unsupported Node type "NODE_TYPE_REMOTE_NODE".')
        r = rest("POST", "/v1/management/nodes", register_body(""))
        self.assertErrorBody(r, 400, 3, "invalid RegisterNodeRequest.NodeName: value length must be at least 1 runes")
        # reregister replaces the node
        again = self.register(name, reregister=True)
        self.assertEqual(again["generic_node"]["node_name"], name)

    def test_add_service_errors_leave_nothing(self):
        reg = self.register(unique("mgmt-err"))
        node_id = reg["generic_node"]["node_id"]
        svc_name = unique("mgmt-bad")
        body = add_mysql_body(svc_name, node_id, "no-such-agent")
        r = rest("POST", "/v1/management/services", body)
        self.assertErrorBody(r, 404, 5, "Agent with ID no-such-agent not found.")
        r = rest("GET", "/v1/management/services?node_id=%s" % node_id)
        self.assertEqual(r.json["services"], [])
        body = add_mysql_body(svc_name, node_id, reg["pmm_agent"]["agent_id"])
        del body["mysql"]["username"]
        r = rest("POST", "/v1/management/services", body)
        self.assertErrorBody(r, 400, 3, "invalid AddServiceRequest.Mysql: embedded message failed validation | caused by: invalid AddMySQLServiceParams.Username: value length must be at least 1 runes")
        r = rest("GET", "/v1/management/agents")
        self.assertErrorBody(r, 400, 3, "Either service_id or node_id is expected.")


class Statuses(ApiTestCase):
    """The management lists' status fields come from the suite's
    VictoriaMetrics (BASE+5, /prometheus): samples imported there show as
    the enum names upstream renders."""

    def test_status_from_victoriametrics(self):
        r = rest("POST", "/v1/management/nodes", register_body(unique("st-node")))
        self.assertStatus(r, 200)
        node_id, agent_id = r.json["generic_node"]["node_id"], r.json["pmm_agent"]["agent_id"]
        self.addCleanup(rest, "DELETE", "/v1/management/nodes/%s?force=true" % quote(node_id))
        r = rest("POST", "/v1/management/services", add_mysql_body(unique("st-mysql"), node_id, agent_id))
        self.assertStatus(r, 200)
        svc_id = r.json["mysql"]["service"]["service_id"]

        r = rest("GET", "/v1/management/nodes/%s" % node_id)
        self.assertStatus(r, 200)
        self.assertEqual(r.json["node"]["status"], "STATUS_UNKNOWN")  # no up series yet

        vm = "http://127.0.0.1:%d/prometheus" % (int(os.environ["PMM_PORT_BASE"]) + 5)
        ts = int(time.time() * 1000) - 10000  # older than the suite's -search.latencyOffset
        lines = ('up{job="node_exporter_e2e_hr",node_id="%s"} 1 %d\n'
                 'mysql_up{job="mysqld_exporter_e2e_hr",service_id="%s"} 0 %d\n' % (node_id, ts, svc_id, ts))
        r = http_call(vm, "POST", "/prometheus/api/v1/import/prometheus", lines.encode(), auth=None)
        self.assertEqual(r.status, 204, r)

        deadline = time.time() + 20
        while True:
            nodes = rest("GET", "/v1/management/nodes")
            services = rest("GET", "/v1/management/services?node_id=%s" % node_id)
            self.assertStatus(nodes, 200)
            self.assertStatus(services, 200)
            [n] = [n for n in nodes.json["nodes"] if n["node_id"] == node_id]
            [s] = services.json["services"]
            if (n["status"], s["status"]) == ("STATUS_UP", "STATUS_DOWN") or time.time() > deadline:
                break
            time.sleep(0.3)
        self.assertEqual(n["status"], "STATUS_UP")
        self.assertEqual(s["status"], "STATUS_DOWN")
        r = rest("GET", "/v1/management/nodes/%s" % node_id)
        self.assertEqual(r.json["node"]["status"], "STATUS_UP")


class GrpcPmmAdmin(ApiTestCase):
    @classmethod
    def setUpClass(cls):
        cls.ch = channel()

    @classmethod
    def tearDownClass(cls):
        cls.ch.close()

    def call(self, method, request, response_cls):
        return unary(self.ch, M + method, request, response_cls)

    def test_config_add_list_remove(self):
        name = unique("grpc-mgmt-node")
        reg = self.call("RegisterNode", node_pb2.RegisterNodeRequest(
            node_type=1, node_name=name, address="10.9.0.2", distro="linux"), node_pb2.RegisterNodeResponse)
        node_id = reg.generic_node.node_id
        self.addCleanup(self.unregister_quietly, node_id)
        self.assertFalse(reg.HasField("container_node"))
        self.assertRegex(reg.pmm_agent.agent_id, UUID_RE)
        self.assertTrue(reg.token.startswith("pmmsa_"))

        svc_name = unique("grpc-mgmt-mysql")
        resp = self.call("AddService", service_pb2.AddServiceRequest(mysql=mysql_pb2.AddMySQLServiceParams(
            node_id=node_id, pmm_agent_id=reg.pmm_agent.agent_id, service_name=svc_name, address="127.0.0.1",
            port=3306, username="pmm", password="pw", qan_mysql_slowlog=True, skip_connection_check=True)),
            service_pb2.AddServiceResponse)
        self.assertEqual(resp.WhichOneof("service"), "mysql")
        svc_id = resp.mysql.service.service_id
        self.assertEqual(resp.mysql.qan_mysql_slowlog.max_slowlog_file_size, 1 << 30)
        self.assertFalse(resp.mysql.HasField("qan_mysql_perfschema"))

        listed = unary(self.ch, "/inventory.v1.ServicesService/ListServices",
                       services_pb2.ListServicesRequest(node_id=node_id), services_pb2.ListServicesResponse)
        self.assertEqual([s.service_id for s in listed.mysql], [svc_id])
        agents = unary(self.ch, "/inventory.v1.AgentsService/ListAgents", agents_pb2.ListAgentsRequest(),
                       agents_pb2.ListAgentsResponse)
        self.assertEqual(len([a for a in agents.mysqld_exporter if a.service_id == svc_id]), 1)
        ua = self.call("ListAgents", agent_pb2.ListAgentsRequest(node_id=node_id), agent_pb2.ListAgentsResponse)
        self.assertEqual(sorted(a.agent_type for a in ua.agents), ["node_exporter", "pmm-agent"])

        with self.assertRaises(grpc.RpcError) as cm:
            self.call("RemoveService", service_pb2.RemoveServiceRequest(service_id=svc_name, service_type=2),
                      service_pb2.RemoveServiceResponse)
        self.assertGrpcError(cm.exception, grpc.StatusCode.INVALID_ARGUMENT, "wrong service type")
        self.call("RemoveService", service_pb2.RemoveServiceRequest(service_id=svc_name, service_type=1),
                  service_pb2.RemoveServiceResponse)
        listed = self.call("ListServices", service_pb2.ListServicesRequest(node_id=node_id),
                           service_pb2.ListServicesResponse)
        self.assertEqual(list(listed.services), [])

        out = self.call("UnregisterNode", node_pb2.UnregisterNodeRequest(node_id=node_id, force=True),
                        node_pb2.UnregisterNodeResponse)
        self.assertEqual(out.warning, "")
        with self.assertRaises(grpc.RpcError) as cm:
            self.call("GetNode", node_pb2.GetNodeRequest(node_id=node_id), node_pb2.GetNodeResponse)
        self.assertGrpcError(cm.exception, grpc.StatusCode.NOT_FOUND, 'Node with ID "%s" not found.' % node_id)

    def unregister_quietly(self, node_id):
        try:
            self.call("UnregisterNode", node_pb2.UnregisterNodeRequest(node_id=node_id, force=True),
                      node_pb2.UnregisterNodeResponse)
        except grpc.RpcError:
            pass


if __name__ == "__main__":
    unittest.main()
