"""gRPC inventory.v1.AgentsService through Debian's grpcio with the generated
*_pb2 modules and no stubs: the same results and error texts as REST."""

import unittest

import grpc

from e2elib import UUID_RE, ApiTestCase, channel, unary, unique
from common import common_pb2
from inventory.v1 import agent_status_pb2
from inventory.v1 import agents_pb2 as pb

SVC = "/inventory.v1.AgentsService/"


class GrpcAgents(ApiTestCase):
    @classmethod
    def setUpClass(cls):
        cls.ch = channel()

    @classmethod
    def tearDownClass(cls):
        cls.ch.close()

    def call(self, method, request, response_cls, **kw):
        return unary(self.ch, SVC + method, request, response_cls, **kw)

    def setUp(self):
        node = self.add_node("generic", {"node_name": unique("grpc-agents"), "address": "10.4.0.1"})
        self.node_id = node["node_id"]
        resp = self.call("AddAgent", pb.AddAgentRequest(pmm_agent=pb.AddPMMAgentParams(
            runs_on_node_id=self.node_id, custom_labels={"dc": "us"})), pb.AddAgentResponse)
        self.assertEqual(resp.WhichOneof("agent"), "pmm_agent")
        self.pmm_id = resp.pmm_agent.agent_id
        self.assertRegex(self.pmm_id, UUID_RE)

    def test_add_get_list_change(self):
        resp = self.call("AddAgent", pb.AddAgentRequest(node_exporter=pb.AddNodeExporterParams(
            pmm_agent_id=self.pmm_id, custom_labels={"a": "b"})), pb.AddAgentResponse)
        ne = resp.node_exporter
        self.assertEqual(ne.pmm_agent_id, self.pmm_id)
        self.assertEqual(ne.status, agent_status_pb2.AGENT_STATUS_UNKNOWN)
        self.assertEqual(dict(ne.custom_labels), {"a": "b"})

        got = self.call("GetAgent", pb.GetAgentRequest(agent_id=ne.agent_id), pb.GetAgentResponse)
        self.assertEqual(got.WhichOneof("agent"), "node_exporter")
        self.assertEqual(got.node_exporter, ne)

        lst = self.call("ListAgents", pb.ListAgentsRequest(pmm_agent_id=self.pmm_id), pb.ListAgentsResponse)
        self.assertEqual(list(lst.node_exporter), [ne])
        self.assertEqual(len(lst.pmm_agent), 0)

        changed = self.call("ChangeAgent", pb.ChangeAgentRequest(
            agent_id=ne.agent_id, node_exporter=pb.ChangeNodeExporterParams(
                enable=False, custom_labels=common_pb2.StringMap(values={"x": "y"}))),
            pb.ChangeAgentResponse).node_exporter
        self.assertTrue(changed.disabled)
        self.assertEqual(dict(changed.custom_labels), {"x": "y"})
        # Absent fields change nothing.
        again = self.call("ChangeAgent", pb.ChangeAgentRequest(
            agent_id=ne.agent_id, node_exporter=pb.ChangeNodeExporterParams()),
            pb.ChangeAgentResponse).node_exporter
        self.assertEqual(again, changed)

    def test_errors(self):
        with self.assertRaises(grpc.RpcError) as cm:
            self.call("ListAgents", pb.ListAgentsRequest(pmm_agent_id="a", service_id="b"), pb.ListAgentsResponse)
        self.assertGrpcError(cm.exception, grpc.StatusCode.INVALID_ARGUMENT,
                             "expected at most one param: pmm_agent_id, node_id or service_id")
        with self.assertRaises(grpc.RpcError) as cm:
            self.call("GetAgent", pb.GetAgentRequest(agent_id="x"), pb.GetAgentResponse)
        self.assertGrpcError(cm.exception, grpc.StatusCode.INVALID_ARGUMENT,
                             "invalid GetAgentRequest.AgentId: value length must be at least 36 runes")
        with self.assertRaises(grpc.RpcError) as cm:
            self.call("RemoveAgent", pb.RemoveAgentRequest(agent_id="pmm-server"), pb.RemoveAgentResponse)
        self.assertGrpcError(cm.exception, grpc.StatusCode.PERMISSION_DENIED,
                             "pmm-agent on PMM Server can't be removed.")
        self.call("AddAgent", pb.AddAgentRequest(node_exporter=pb.AddNodeExporterParams(
            pmm_agent_id=self.pmm_id)), pb.AddAgentResponse)
        with self.assertRaises(grpc.RpcError) as cm:
            self.call("RemoveAgent", pb.RemoveAgentRequest(agent_id=self.pmm_id), pb.RemoveAgentResponse)
        self.assertGrpcError(cm.exception, grpc.StatusCode.FAILED_PRECONDITION,
                             "pmm-agent with ID %s has agents." % self.pmm_id)
        self.call("RemoveAgent", pb.RemoveAgentRequest(agent_id=self.pmm_id, force=True), pb.RemoveAgentResponse)
        with self.assertRaises(grpc.RpcError) as cm:
            self.call("RemoveAgent", pb.RemoveAgentRequest(agent_id=self.pmm_id), pb.RemoveAgentResponse)
        self.assertGrpcError(cm.exception, grpc.StatusCode.NOT_FOUND, "Agent with ID %s not found." % self.pmm_id)


if __name__ == "__main__":
    unittest.main()
