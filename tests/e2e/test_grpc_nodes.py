"""gRPC inventory.v1.NodesService through Debian's grpcio with the generated
*_pb2 modules and no stubs: the same results and error texts as REST."""

import unittest

import grpc

from e2elib import ADMIN, AUTH_MD, UUID_RE, ApiTestCase, basic, channel, unary, unique
from inventory.v1 import nodes_pb2 as pb

SVC = "/inventory.v1.NodesService/"


class GrpcNodes(ApiTestCase):
    @classmethod
    def setUpClass(cls):
        cls.ch = channel()

    @classmethod
    def tearDownClass(cls):
        cls.ch.close()

    def call(self, method, request, response_cls, **kw):
        return unary(self.ch, SVC + method, request, response_cls, **kw)

    def add_generic(self, name, address="10.1.0.1", **labels):
        req = pb.AddNodeRequest(generic=pb.AddGenericNodeParams(
            node_name=name, address=address, custom_labels=labels))
        resp = self.call("AddNode", req, pb.AddNodeResponse)
        self.assertEqual(resp.WhichOneof("node"), "generic")
        self.addCleanup(self.remove_quietly, resp.generic.node_id)
        return resp.generic

    def remove_quietly(self, node_id):
        try:
            self.call("RemoveNode", pb.RemoveNodeRequest(node_id=node_id, force=True),
                      pb.RemoveNodeResponse)
        except grpc.RpcError:
            pass

    def test_add_get_list_remove(self):
        name = unique("grpc")
        node = self.add_generic(name, env="e2e")
        self.assertRegex(node.node_id, UUID_RE)
        self.assertEqual(node.node_name, name)
        self.assertEqual(node.address, "10.1.0.1")
        self.assertEqual(dict(node.custom_labels), {"env": "e2e"})

        got = self.call("GetNode", pb.GetNodeRequest(node_id=node.node_id), pb.GetNodeResponse)
        self.assertEqual(got.WhichOneof("node"), "generic")
        self.assertEqual(got.generic, node)

        listed = self.call("ListNodes", pb.ListNodesRequest(), pb.ListNodesResponse)
        self.assertIn(node, list(listed.generic))
        self.assertIn("pmm-server", [n.node_id for n in listed.generic])

        only_remote = self.call("ListNodes", pb.ListNodesRequest(node_type=pb.NODE_TYPE_REMOTE_NODE),
                                pb.ListNodesResponse)
        self.assertEqual(len(only_remote.generic), 0)

        self.call("RemoveNode", pb.RemoveNodeRequest(node_id=node.node_id), pb.RemoveNodeResponse)
        with self.assertRaises(grpc.RpcError) as cm:
            self.call("GetNode", pb.GetNodeRequest(node_id=node.node_id), pb.GetNodeResponse)
        self.assertGrpcError(cm.exception, grpc.StatusCode.NOT_FOUND,
                             'Node with ID "%s" not found.' % node.node_id)

    def test_remote_azure_response_member(self):
        req = pb.AddNodeRequest(remote_azure=pb.AddRemoteAzureNodeParams(
            node_name=unique("az"), address="az-2", region="westeurope"))
        resp = self.call("AddNode", req, pb.AddNodeResponse)
        self.assertEqual(resp.WhichOneof("node"), "remote_azure_database")
        self.addCleanup(self.remove_quietly, resp.remote_azure_database.node_id)
        self.assertEqual(resp.remote_azure_database.region, "westeurope")

    def test_duplicate(self):
        name = unique("grpcdup")
        self.add_generic(name)
        with self.assertRaises(grpc.RpcError) as cm:
            self.add_generic(name, address="10.1.0.2")
        self.assertGrpcError(cm.exception, grpc.StatusCode.ALREADY_EXISTS,
                             'Node with name "%s" already exists.' % name)

    def test_not_found(self):
        with self.assertRaises(grpc.RpcError) as cm:
            self.call("GetNode", pb.GetNodeRequest(node_id="pmm-not-found"), pb.GetNodeResponse)
        self.assertGrpcError(cm.exception, grpc.StatusCode.NOT_FOUND,
                             'Node with ID "pmm-not-found" not found.')

    def test_validation(self):
        cases = [
            ("GetNode", pb.GetNodeRequest(), pb.GetNodeResponse,
             "invalid GetNodeRequest.NodeId: value length must be at least 1 runes"),
            ("RemoveNode", pb.RemoveNodeRequest(), pb.RemoveNodeResponse,
             "invalid RemoveNodeRequest.NodeId: value length must be at least 1 runes"),
            ("AddNode", pb.AddNodeRequest(generic=pb.AddGenericNodeParams(address="10.1.0.3")),
             pb.AddNodeResponse,
             "invalid AddNodeRequest.Generic: embedded message failed validation | caused by: invalid AddGenericNodeParams.NodeName: value length must be at least 1 runes"),
        ]
        for method, req, resp_cls, details in cases:
            with self.subTest(method=method):
                with self.assertRaises(grpc.RpcError) as cm:
                    self.call(method, req, resp_cls)
                self.assertGrpcError(cm.exception, grpc.StatusCode.INVALID_ARGUMENT, details)

    def test_remove_pmm_server(self):
        with self.assertRaises(grpc.RpcError) as cm:
            self.call("RemoveNode", pb.RemoveNodeRequest(node_id="pmm-server"), pb.RemoveNodeResponse)
        self.assertGrpcError(cm.exception, grpc.StatusCode.PERMISSION_DENIED,
                             "PMM Server node can't be removed.")

    def test_missing_auth(self):
        with self.assertRaises(grpc.RpcError) as cm:
            self.call("ListNodes", pb.ListNodesRequest(), pb.ListNodesResponse, metadata=None)
        self.assertGrpcError(cm.exception, grpc.StatusCode.UNAUTHENTICATED, "Unauthorized")

    def test_wrong_password(self):
        md = (("authorization", basic(ADMIN[0], ADMIN[1] + "-wrong")),)
        with self.assertRaises(grpc.RpcError) as cm:
            self.call("ListNodes", pb.ListNodesRequest(), pb.ListNodesResponse, metadata=md)
        self.assertGrpcError(cm.exception, grpc.StatusCode.UNAUTHENTICATED)

    def test_concurrent_calls(self):
        fn = self.ch.unary_unary(SVC + "ListNodes", request_serializer=pb.ListNodesRequest.SerializeToString,
                                 response_deserializer=pb.ListNodesResponse.FromString)
        futures = [fn.future(pb.ListNodesRequest(), metadata=AUTH_MD, timeout=30) for _ in range(64)]
        for f in futures:
            self.assertIn("pmm-server", [n.node_id for n in f.result().generic])

    def test_large_request_accepted(self):
        """The gRPC receive limit is 100 MiB (api.md §1), not grpc's 4 MiB default."""
        with self.assertRaises(grpc.RpcError) as cm:
            self.call("GetNode", pb.GetNodeRequest(node_id="x" * (6 << 20)), pb.GetNodeResponse, timeout=60)
        self.assertGrpcError(cm.exception, grpc.StatusCode.NOT_FOUND)

    def test_unknown_method(self):
        with self.assertRaises(grpc.RpcError) as cm:
            unary(self.ch, "/inventory.v1.NodesService/NoSuchMethod", pb.ListNodesRequest(),
                  pb.ListNodesResponse)
        self.assertGrpcError(cm.exception, grpc.StatusCode.UNIMPLEMENTED)


if __name__ == "__main__":
    unittest.main()
