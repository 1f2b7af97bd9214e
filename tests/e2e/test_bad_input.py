"""Bad input gets a clear error, changes nothing and crashes nothing
(ARCHITECTURE.md rule 7): malformed and oversized REST bodies, hostile path
parameters, undecodable protobuf over gRPC. The last test checks that every
daemon still runs with the pid it had before."""

import os
import random
import unittest
import warnings

import grpc
from google.protobuf import empty_pb2
from google.protobuf.message import DecodeError

from e2elib import (ADMIN, REST, ApiTestCase, basic, channel, ctl_status, quote,
                    raw_http, rest, unary, unique, wait_running)
from inventory.v1 import nodes_pb2 as pb

NODES = "/v1/inventory/nodes"
REST_LIMIT = int(os.environ.get("E2E_REST_MAX_BODY", str(10 * 1024 * 1024)))
DAEMONS = ("inventoryd", "configd", "agentsd", "gateway")


def undecodable_messages():
    """Bytes that are structurally not protobuf: python's parser rejects them
    even as unknown fields of an empty message (so no UTF-8 or wire-type
    leniency of one parser or another can make them valid)."""
    rng = random.Random(1234)
    candidates = [
        b"\x0a\xff\xff\xff\x7f" + b"x" * 10,   # field 1, length far past the end
        b"\x00\x01",                          # field number 0
        b"\xff" * 11,                         # varint tag longer than 10 bytes
        b"\x0b\x08\x01",                      # unterminated group
    ]
    candidates += [bytes(rng.getrandbits(8) for _ in range(n)) for n in (64, 4096, 1 << 20)]
    garbage = []
    for data in candidates:
        with warnings.catch_warnings():
            # python merely warns about a stray end-group tag: garbage too
            warnings.simplefilter("error")
            try:
                empty_pb2.Empty.FromString(data)
            except (DecodeError, RuntimeWarning, SystemError):
                garbage.append(data)
    return garbage


class BadInput(ApiTestCase):
    @classmethod
    def setUpClass(cls):
        cls.before = wait_running()

    def post_nodes(self, body):
        return rest("POST", NODES, body)

    def test_malformed_json(self):
        for body in (b'{"generic": {', b"not json", b'{"generic": {"node_name": "a",}}', b"\x00\xff{}"):
            with self.subTest(body=body[:40]):
                self.assertErrorBody(self.post_nodes(body), 400, 3)

    def test_wrong_json_types(self):
        cases = [
            {"generic": {"node_name": 5, "address": "10.2.0.1"}},
            {"generic": {"node_name": ["x"], "address": "10.2.0.1"}},
            {"generic": {"node_name": unique(), "address": "10.2.0.1", "custom_labels": {"a": 1}}},
            {"generic": {"node_name": unique(), "address": "10.2.0.1", "custom_labels": []}},
            {"generic": "string instead of object"},
            [],
            "just a string",
        ]
        for body in cases:
            with self.subTest(body=body):
                self.assertErrorBody(self.post_nodes(body), 400, 3)

    def test_invalid_utf8(self):
        body = b'{"generic": {"node_name": "bad-\xc3\x28", "address": "10.2.0.1"}}'
        self.assertErrorBody(self.post_nodes(body), 400, 3)

    def test_deep_nesting(self):
        body = b'{"generic": ' + b"[" * 100000 + b"]" * 100000 + b"}"
        self.assertErrorBody(self.post_nodes(body), 400, 3)

    def test_random_megabyte(self):
        data = bytes(random.Random(99).getrandbits(8) for _ in range(1 << 20))
        self.assertErrorBody(self.post_nodes(data), 400, 3)

    def test_unknown_enum_name(self):
        self.assertErrorBody(rest("GET", NODES + "?node_type=NODE_TYPE_BOGUS"), 400, 3)

    def test_body_over_limit(self):
        body = b'{"generic": {"node_name": "' + b"a" * (REST_LIMIT + 1024) + b'", "address": "1"}}'
        head = ("POST %s HTTP/1.1\r\nHost: e2e\r\nAuthorization: %s\r\n"
                "Content-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n"
                % (NODES, basic(*ADMIN), len(body))).encode()
        resp = raw_http(REST, head, body)
        self.assertIsNotNone(resp, "no HTTP answer to an oversized body")
        self.assertIn(resp.status, (413, 400), resp)
        self.assertErrorBody(resp, resp.status)

    def test_sql_in_path(self):
        evil = "x'; DROP TABLE nodes; --"
        path = "%s/%s" % (NODES, quote(evil))
        message = 'Node with ID "%s" not found.' % evil
        self.assertErrorBody(rest("GET", path), 404, 5, message)
        self.assertErrorBody(rest("DELETE", path), 404, 5, message)
        self.assertErrorBody(rest("DELETE", path + "?force=true"), 404, 5, message)
        # the table is still there and works
        self.assertStatus(rest("GET", NODES), 200)
        node = self.add_node("generic", {"node_name": "o'brien; --" + unique(), "address": "10.2.0.2"})
        r = rest("GET", "%s/%s" % (NODES, node["node_id"]))
        self.assertStatus(r, 200)
        self.assertEqual(r.json["generic"]["node_name"], node["node_name"])

    def test_odd_ids(self):
        """Echoed Go-%q style: printable Unicode as is, a tab as \\t."""
        for node_id in ("\u00e9t\u00e9-\u2603", "%00", "a\tb"):
            with self.subTest(node_id=node_id):
                r = rest("GET", "%s/%s" % (NODES, quote(node_id)))
                self.assertErrorBody(r, 404, 5, 'Node with ID "%s" not found.' % node_id.replace("\t", "\\t"))

    def test_long_id(self):
        # upstream echoes the whole id, however long
        r = rest("GET", "%s/%s" % (NODES, "n" * 2000))
        self.assertErrorBody(r, 404, 5)
        self.assertEqual(r.json["message"], 'Node with ID "%s" not found.' % ("n" * 2000))

    def test_grpc_undecodable_request(self):
        garbage = undecodable_messages()
        self.assertGreaterEqual(len(garbage), 4)
        ch = channel()
        self.addCleanup(ch.close)
        for data in garbage:
            for method, resp_cls in (("AddNode", pb.AddNodeResponse), ("GetNode", pb.GetNodeResponse)):
                with self.subTest(size=len(data), method=method, head=data[:8]):
                    with self.assertRaises(grpc.RpcError) as cm:
                        unary(ch, "/inventory.v1.NodesService/" + method, data, resp_cls, raw=True)
                    self.assertGrpcError(cm.exception, grpc.StatusCode.INVALID_ARGUMENT)

    def test_zz_daemons_still_running(self):
        """Runs last in this class (names sort): nothing above crashed a daemon."""
        after = ctl_status()
        for name in DAEMONS:
            with self.subTest(daemon=name):
                self.assertEqual(after.get(name, ("MISSING", None))[0], "RUNNING", after)
                self.assertEqual(after[name][1], self.before[name][1],
                                 "%s was restarted (pid changed)" % name)


if __name__ == "__main__":
    unittest.main()
