"""gRPC inventory.v1.ServicesService through Debian's grpcio with the
generated *_pb2 modules and no stubs: the same results and error texts as
REST, and proto3-optional presence in ChangeService."""

import unittest

import grpc

from e2elib import UUID_RE, ApiTestCase, channel, unary, unique
from common import common_pb2
from inventory.v1 import nodes_pb2
from inventory.v1 import services_pb2 as pb

SVC = "/inventory.v1.ServicesService/"


class GrpcServices(ApiTestCase):
    @classmethod
    def setUpClass(cls):
        cls.ch = channel()

    @classmethod
    def tearDownClass(cls):
        cls.ch.close()

    def call(self, method, request, response_cls, **kw):
        return unary(self.ch, SVC + method, request, response_cls, **kw)

    def setUp(self):
        req = nodes_pb2.AddNodeRequest(generic=nodes_pb2.AddGenericNodeParams(
            node_name=unique("grpc-svc-node"), address="10.3.0.1"))
        resp = unary(self.ch, "/inventory.v1.NodesService/AddNode", req, nodes_pb2.AddNodeResponse)
        self.node_id = resp.generic.node_id
        self.addCleanup(self.remove_node_quietly, self.node_id)

    def remove_node_quietly(self, node_id):
        try:
            unary(self.ch, "/inventory.v1.NodesService/RemoveNode",
                  nodes_pb2.RemoveNodeRequest(node_id=node_id, force=True), nodes_pb2.RemoveNodeResponse)
        except grpc.RpcError:
            pass

    def add(self, **kind_params):
        resp = self.call("AddService", pb.AddServiceRequest(**kind_params), pb.AddServiceResponse)
        kind = resp.WhichOneof("service")
        self.assertEqual(kind, next(iter(kind_params)))
        return getattr(resp, kind)

    def assertCode(self, code, details, method, request, response_cls):
        with self.assertRaises(grpc.RpcError) as cm:
            self.call(method, request, response_cls)
        self.assertGrpcError(cm.exception, code, details)

    def test_every_kind(self):
        cases = {
            "mysql": pb.AddMySQLServiceParams(address="10.3.0.5", port=3306),
            "mongodb": pb.AddMongoDBServiceParams(socket="/tmp/mongodb.sock"),
            "postgresql": pb.AddPostgreSQLServiceParams(address="10.3.0.6", port=5432),
            "proxysql": pb.AddProxySQLServiceParams(address="10.3.0.7", port=6032),
            "haproxy": pb.AddHAProxyServiceParams(),
            "external": pb.AddExternalServiceParams(group="redis"),
            "valkey": pb.AddValkeyServiceParams(address="10.3.0.8", port=6379),
        }
        for kind, params in cases.items():
            with self.subTest(kind=kind):
                name = unique(kind)
                params.service_name = name
                params.node_id = self.node_id
                params.custom_labels["k"] = "v"
                s = self.add(**{kind: params})
                self.assertRegex(s.service_id, UUID_RE)
                self.assertEqual(s.service_name, name)
                self.assertEqual(s.node_id, self.node_id)
                self.assertEqual(dict(s.custom_labels), {"k": "v"})
                got = self.call("GetService", pb.GetServiceRequest(service_id=s.service_id), pb.GetServiceResponse)
                self.assertEqual(got.WhichOneof("service"), kind)
                self.assertEqual(getattr(got, kind), s)
                if kind == "postgresql":
                    self.assertEqual(s.database_name, "postgres")
                if kind == "external":
                    self.assertEqual(s.group, "redis")
                if kind == "mysql":
                    self.assertEqual((s.address, s.port, s.socket), ("10.3.0.5", 3306, ""))

        listed = self.call("ListServices", pb.ListServicesRequest(node_id=self.node_id), pb.ListServicesResponse)
        for kind in cases:
            self.assertEqual(len(getattr(listed, kind)), 1, kind)
        only = self.call("ListServices", pb.ListServicesRequest(
            node_id=self.node_id, service_type=pb.SERVICE_TYPE_VALKEY_SERVICE), pb.ListServicesResponse)
        self.assertEqual(len(only.valkey), 1)
        self.assertEqual(len(only.mysql) + len(only.external), 0)
        grouped = self.call("ListServices", pb.ListServicesRequest(node_id=self.node_id, external_group="redis"),
                            pb.ListServicesResponse)
        self.assertEqual([s.group for s in grouped.external], ["redis"])
        self.assertEqual(len(grouped.mysql), 0)

        types = self.call("ListActiveServiceTypes", pb.ListActiveServiceTypesRequest(),
                          pb.ListActiveServiceTypesResponse)
        for t in (pb.SERVICE_TYPE_MYSQL_SERVICE, pb.SERVICE_TYPE_VALKEY_SERVICE, pb.SERVICE_TYPE_HAPROXY_SERVICE):
            self.assertIn(t, types.service_types)
        self.assertEqual(len(types.service_types), len(set(types.service_types)))

    def test_change_presence(self):
        s = self.add(mysql=pb.AddMySQLServiceParams(
            service_name=unique("chg"), node_id=self.node_id, address="h", port=3306, environment="e0",
            cluster="c0", custom_labels={"k": "v"}))
        req = pb.ChangeServiceRequest(service_id=s.service_id, cluster="")
        self.assertTrue(req.HasField("cluster"))
        self.assertFalse(req.HasField("environment"))
        resp = self.call("ChangeService", req, pb.ChangeServiceResponse)
        self.assertEqual(resp.WhichOneof("service"), "mysql")
        self.assertEqual((resp.mysql.environment, resp.mysql.cluster), ("e0", ""))
        self.assertEqual(dict(resp.mysql.custom_labels), {"k": "v"})

        req = pb.ChangeServiceRequest(service_id=s.service_id, replication_set="rs1",
                                      custom_labels=common_pb2.StringMap(values={"x": "y"}))
        resp = self.call("ChangeService", req, pb.ChangeServiceResponse)
        self.assertEqual(resp.mysql.replication_set, "rs1")
        self.assertEqual(resp.mysql.environment, "e0")
        self.assertEqual(dict(resp.mysql.custom_labels), {"x": "y"})

        req = pb.ChangeServiceRequest(service_id=s.service_id, custom_labels=common_pb2.StringMap())
        resp = self.call("ChangeService", req, pb.ChangeServiceResponse)
        self.assertEqual(dict(resp.mysql.custom_labels), {})
        got = self.call("GetService", pb.GetServiceRequest(service_id=s.service_id), pb.GetServiceResponse)
        self.assertEqual(got.mysql, resp.mysql)

    def test_errors(self):
        inval = grpc.StatusCode.INVALID_ARGUMENT
        self.assertCode(inval, "invalid GetServiceRequest.ServiceId: value length must be at least 1 runes",
                        "GetService", pb.GetServiceRequest(), pb.GetServiceResponse)
        self.assertCode(inval, "invalid RemoveServiceRequest.ServiceId: value length must be at least 1 runes",
                        "RemoveService", pb.RemoveServiceRequest(force=True), pb.RemoveServiceResponse)
        self.assertCode(inval, "invalid ChangeServiceRequest.ServiceId: value length must be at least 1 runes",
                        "ChangeService", pb.ChangeServiceRequest(environment="x"), pb.ChangeServiceResponse)
        self.assertCode(inval, "invalid AddServiceRequest.Mysql: embedded message failed validation | caused by: invalid AddMySQLServiceParams.ServiceName: value length must be at least 1 runes",
                        "AddService", pb.AddServiceRequest(mysql=pb.AddMySQLServiceParams(node_id=self.node_id)),
                        pb.AddServiceResponse)
        self.assertCode(inval, "invalid AddServiceRequest.Valkey: embedded message failed validation | caused by: invalid AddValkeyServiceParams.NodeId: value length must be at least 1 runes",
                        "AddService", pb.AddServiceRequest(valkey=pb.AddValkeyServiceParams(service_name="v")),
                        pb.AddServiceResponse)
        self.assertCode(inval, "Socket and address cannot be specified together.", "AddService",
                        pb.AddServiceRequest(proxysql=pb.AddProxySQLServiceParams(
                            service_name=unique(), node_id=self.node_id, address="h", port=1, socket="/s")),
                        pb.AddServiceResponse)
        self.assertCode(grpc.StatusCode.NOT_FOUND, 'Node with ID "pmm-not-found" not found.', "AddService",
                        pb.AddServiceRequest(haproxy=pb.AddHAProxyServiceParams(
                            service_name=unique(), node_id="pmm-not-found")), pb.AddServiceResponse)
        self.assertCode(grpc.StatusCode.NOT_FOUND, 'Service with ID "pmm-not-found" not found.', "GetService",
                        pb.GetServiceRequest(service_id="pmm-not-found"), pb.GetServiceResponse)

        name = unique("dup")
        self.add(external=pb.AddExternalServiceParams(service_name=name, node_id=self.node_id))
        self.assertCode(grpc.StatusCode.ALREADY_EXISTS, 'Service with name "%s" already exists.' % name,
                        "AddService", pb.AddServiceRequest(mongodb=pb.AddMongoDBServiceParams(
                            service_name=name, node_id=self.node_id, socket="/s")), pb.AddServiceResponse)

        listed = self.call("ListServices", pb.ListServicesRequest(service_type=pb.SERVICE_TYPE_POSTGRESQL_SERVICE),
                           pb.ListServicesResponse)
        sid = [s.service_id for s in listed.postgresql if s.service_name == "pmm-server-postgresql"][0]
        self.assertCode(grpc.StatusCode.FAILED_PRECONDITION, 'Service with ID "%s" has agents.' % sid,
                        "RemoveService", pb.RemoveServiceRequest(service_id=sid), pb.RemoveServiceResponse)

    def test_remove(self):
        s = self.add(haproxy=pb.AddHAProxyServiceParams(service_name=unique("rm"), node_id=self.node_id))
        self.call("RemoveService", pb.RemoveServiceRequest(service_id=s.service_id), pb.RemoveServiceResponse)
        self.assertCode(grpc.StatusCode.NOT_FOUND, 'Service with ID "%s" not found.' % s.service_id,
                        "RemoveService", pb.RemoveServiceRequest(service_id=s.service_id, force=True),
                        pb.RemoveServiceResponse)


if __name__ == "__main__":
    unittest.main()
