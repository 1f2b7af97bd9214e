"""Every REST and gRPC route of server.v1, platform.v1, uievents.v1 and
advisors.v1 has a handler (none answers 501 or a daemon-missing 503); a
service that no daemon has answers Unimplemented at once in grpc-go's
words, and so does a method its daemon does not have (backupd's and
checksd's too, now that they run)."""

import time
import unittest

import grpc
from google.api import annotations_pb2
from google.protobuf import empty_pb2

from e2elib import ApiTestCase, channel, generated, rest, unary
from server.v1 import server_pb2
from uievents.v1 import server_pb2 as uievents_pb2
from advisors.v1 import advisors_pb2

platform_pb2 = generated("platform/v1/platform_pb2.py")  # `platform` is a standard module

# The one 503 a handler gives here: upstream's answer while the version
# service is out of reach (not a daemon missing).
OFFLINE = "failed to list available updates"

SERVICES = [
    (server_pb2, "ServerService"),
    (platform_pb2, "PlatformService"),
    (uievents_pb2, "UIEventsService"),
    (advisors_pb2, "AdvisorService"),
]


def routes():
    """(full method name, verb, path, has body) of every binding."""
    out = []
    for module, name in SERVICES:
        svc = module.DESCRIPTOR.services_by_name[name]
        for m in svc.methods:
            rule = m.GetOptions().Extensions[annotations_pb2.http]
            for r in [rule] + list(rule.additional_bindings):
                verb = r.WhichOneof("pattern")
                out.append(("/%s/%s" % (svc.full_name, m.name), verb.upper(), getattr(r, verb), bool(r.body)))
    return out


class Served(ApiTestCase):
    def test_every_rest_route_has_a_handler(self):
        seen = 0
        for method, verb, path, has_body in routes():
            if method.endswith("/ChangeSettings"):
                continue  # a PUT of {} is a no-op, but leaves nothing to check here
            with self.subTest(route="%s %s" % (verb, path)):
                r = rest(verb, path, {} if has_body else None)
                if r.status != 200:
                    self.assertNotEqual(r.json.get("code"), 12, r)
                    self.assertTrue(r.json.get("code") != 14 or r.json.get("message") == OFFLINE, r)
                seen += 1
        self.assertGreaterEqual(seen, 20)

    def test_every_grpc_method_has_a_handler(self):
        ch = channel()
        self.addCleanup(ch.close)
        for module, name in SERVICES:
            svc = module.DESCRIPTOR.services_by_name[name]
            for m in svc.methods:
                with self.subTest(method=m.full_name):
                    try:
                        unary(ch, "/%s/%s" % (svc.full_name, m.name), empty_pb2.Empty(), empty_pb2.Empty)
                    except grpc.RpcError as e:
                        self.assertNotEqual(e.code(), grpc.StatusCode.UNIMPLEMENTED, e.details())
                        self.assertTrue(e.code() != grpc.StatusCode.UNAVAILABLE or e.details() == OFFLINE,
                                        e.details())

    def test_services_of_no_daemon_are_unimplemented_at_once(self):
        ch = channel()
        self.addCleanup(ch.close)
        for method, service in (("/nosuch.v1.Service/Method", "nosuch.v1.Service"),
                                ("/inventory.v1.NoSuchService/Method", "inventory.v1.NoSuchService")):
            with self.subTest(method=method):
                t0 = time.monotonic()
                with self.assertRaises(grpc.RpcError) as e:
                    unary(ch, method, empty_pb2.Empty(), empty_pb2.Empty)
                self.assertGrpcError(e.exception, grpc.StatusCode.UNIMPLEMENTED, "unknown service " + service)
                self.assertLess(time.monotonic() - t0, 2.0)

    def test_unknown_method_of_a_served_service(self):
        ch = channel()
        self.addCleanup(ch.close)
        for method, text in (("/server.v1.ServerService/SnoozeUpdate",
                              "unknown method SnoozeUpdate for service server.v1.ServerService"),
                             ("/inventory.v1.NodesService/Nope",
                              "unknown method Nope for service inventory.v1.NodesService"),
                             ("/backup.v1.BackupService/Nope",
                              "unknown method Nope for service backup.v1.BackupService"),
                             ("/dump.v1beta1.DumpService/Nope",
                              "unknown method Nope for service dump.v1beta1.DumpService"),
                             ("/alerting.v1.AlertingService/Nope",
                              "unknown method Nope for service alerting.v1.AlertingService")):
            with self.subTest(method=method):
                with self.assertRaises(grpc.RpcError) as e:
                    unary(ch, method, empty_pb2.Empty(), empty_pb2.Empty)
                self.assertGrpcError(e.exception, grpc.StatusCode.UNIMPLEMENTED, text)


if __name__ == "__main__":
    unittest.main()
