"""Roles, service tokens, pmmctl and /auth_request (api.md §3.3, issue 4
items 4-5): users and tokens made with pmmctl against the suite's own
PostgreSQL, the longest-prefix role rules over REST and gRPC, and the
nginx auth_request contract (200 / 401 with {code, error, message} / 400)."""
import json
import os
import subprocess
import unittest

import grpc

from e2elib import ApiTestCase, GRPC, REST, basic, channel, http_call, rest, unary, unique
from inventory.v1 import nodes_pb2 as pb

BIN = os.environ["PMM_BIN_DIR"]
PG_ADDR = "127.0.0.1:%d" % (int(os.environ["PMM_PORT_BASE"]) + 4)


def pmmctl(*args, password=None):
    env = dict(os.environ, PMM_POSTGRES_ADDR=PG_ADDR)
    if password is not None:
        env["PMMCTL_PASSWORD"] = password
    return subprocess.run([os.path.join(BIN, "pmmctl")] + list(args), env=env,
                          capture_output=True, text=True, timeout=60)


def auth_request(uri, auth=None, method="GET", headers=None):
    hdrs = {"X-Original-Method": method, "X-Original-Uri": uri}
    hdrs.update(headers or {})
    return http_call(REST, "GET", "/auth_request", auth=auth, headers=hdrs)


class Roles(ApiTestCase):
    @classmethod
    def setUpClass(cls):
        cls.users = {}
        for role in ("viewer", "editor", "admin"):
            login = unique(role)
            r = pmmctl("user", "add", login, "--role=" + role, password=login + "-pw")
            assert r.returncode == 0, r.stderr
            cls.users[role] = (login, login + "-pw")
        cls.tokens = {}
        for role in ("viewer", "admin"):
            r = pmmctl("token", "create", unique("token-" + role), "--role=" + role)
            assert r.returncode == 0, r.stderr
            cls.tokens[role] = r.stdout.strip()

    def test_viewer_reads_version_but_not_inventory(self):
        self.assertStatus(rest("GET", "/v1/server/version", auth=self.users["viewer"]), 200)
        for role in ("viewer", "editor"):
            r = rest("GET", "/v1/inventory/nodes", auth=self.users[role])
            # upstream's auth server answers every refusal with 401
            self.assertErrorBody(r, 401, 7, "Access denied.")
        self.assertStatus(rest("GET", "/v1/inventory/nodes", auth=self.users["admin"]), 200)

    def test_wrong_password_and_duplicate_user(self):
        login, _ = self.users["viewer"]
        self.assertErrorBody(rest("GET", "/v1/server/version", auth=(login, "nope")), 401, 16, "Unauthorized")
        r = pmmctl("user", "add", login, "--role=viewer", password="x")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("already exists", r.stderr)

    def test_password_change_takes_effect(self):
        login = unique("changer")
        self.assertEqual(pmmctl("user", "add", login, "--role=admin", password="one").returncode, 0)
        self.assertStatus(rest("GET", "/v1/server/version", auth=(login, "one")), 200)
        self.assertEqual(pmmctl("user", "set", login, "--role=admin", password="two").returncode, 0)
        self.assertStatus(rest("GET", "/v1/server/version", auth=(login, "two")), 200)
        self.assertEqual(pmmctl("user", "remove", login).returncode, 0)

    def test_tokens_in_every_upstream_form(self):
        viewer, admin = self.tokens["viewer"], self.tokens["admin"]
        for header in ("Bearer " + viewer, basic("service_token", viewer), basic("api_key", viewer)):
            with self.subTest(header=header[:12]):
                self.assertStatus(rest("GET", "/v1/server/version", auth=header), 200)
                self.assertErrorBody(rest("GET", "/v1/inventory/nodes", auth=header), 401, 7, "Access denied.")
        self.assertStatus(rest("GET", "/v1/inventory/nodes", auth="Bearer " + admin), 200)
        self.assertErrorBody(rest("GET", "/v1/server/version", auth="Bearer " + viewer + "x"), 401, 16)

    def test_removed_token_stops_working(self):
        name = unique("short-lived")
        r = pmmctl("token", "create", name, "--role=admin")
        self.assertEqual(r.returncode, 0, r.stderr)
        token = r.stdout.strip()
        self.assertStatus(rest("GET", "/v1/inventory/nodes", auth="Bearer " + token), 200)
        self.assertEqual(pmmctl("token", "remove", name).returncode, 0)
        # the gateway may reuse its answer for its cache period (3 s)
        import time
        time.sleep(3.5)
        self.assertErrorBody(rest("GET", "/v1/inventory/nodes", auth="Bearer " + token), 401, 16)

    def test_grpc_roles(self):
        ch = channel()
        self.addCleanup(ch.close)
        md = (("authorization", "Bearer " + self.tokens["viewer"]),)
        with self.assertRaises(grpc.RpcError) as cm:
            unary(ch, "/inventory.v1.NodesService/ListNodes", pb.ListNodesRequest(), pb.ListNodesResponse, metadata=md)
        self.assertGrpcError(cm.exception, grpc.StatusCode.PERMISSION_DENIED)
        self.assertEqual(cm.exception.details(), "Access denied.")
        md = (("authorization", "Bearer " + self.tokens["admin"]),)
        unary(ch, "/inventory.v1.NodesService/ListNodes", pb.ListNodesRequest(), pb.ListNodesResponse, metadata=md)


class AuthRequest(ApiTestCase):
    @classmethod
    def setUpClass(cls):
        login = unique("ar-viewer")
        r = pmmctl("user", "add", login, "--role=viewer", password="pw-" + login)
        assert r.returncode == 0, r.stderr
        cls.viewer = (login, "pw-" + login)

    def test_original_request_must_be_described(self):
        self.assertStatus(http_call(REST, "GET", "/auth_request", auth=None), 400)
        self.assertStatus(http_call(REST, "GET", "/auth_request", auth=None,
                                    headers={"X-Original-Method": "GET"}), 400)
        self.assertStatus(auth_request("no-slash"), 400)

    def test_public_paths_pass_without_credentials(self):
        for uri in ("/v1/server/readyz", "/v1/server/leaderHealthCheck", "/v1/readyz", "/ping"):
            with self.subTest(uri=uri):
                r = auth_request(uri)
                self.assertStatus(r, 200)
                self.assertEqual(r.body, b"")

    def test_refusals_are_401_with_upstream_body(self):
        r = auth_request("/v1/inventory/nodes")
        self.assertStatus(r, 401)
        self.assertEqual(r.json, {"code": 16, "error": "Unauthorized", "message": "Unauthorized"})
        r = auth_request("/v1/inventory/nodes?node_type=NODE_TYPE_GENERIC_NODE", auth=self.viewer)
        self.assertStatus(r, 401)
        self.assertEqual(r.json, {"code": 7, "error": "Access denied.", "message": "Access denied."})
        self.assertEqual(r.body, json.dumps(r.json, separators=(",", ":")).encode() + b"\n")

    def test_allowed(self):
        self.assertStatus(auth_request("/v1/server/version", auth=self.viewer), 200)
        self.assertStatus(auth_request("/v1/inventory/nodes"), 401)
        self.assertStatus(auth_request("/v1/inventory/nodes", auth=("admin", "admin")), 200)
        # the longest rule wins: updates needs viewer, updates:start admin
        self.assertStatus(auth_request("/v1/server/updates", auth=self.viewer), 200)
        self.assertStatus(auth_request("/v1/server/updates:start", auth=self.viewer), 401)
        self.assertStatus(auth_request("/v1/server/updates:getStatus"), 200)
        # gRPC paths through nginx
        self.assertStatus(auth_request("/inventory.v1.NodesService/ListNodes", auth=self.viewer), 401)

    def test_pmm_server_agent_from_localhost(self):
        r = auth_request("/agent.v1.AgentService/Connect", headers={"Pmm-Agent-Id": "pmm-server"})
        self.assertStatus(r, 200)
        r = auth_request("/agent.v1.AgentService/Connect", headers={"Pmm-Agent-Id": "someone-else"})
        self.assertStatus(r, 401)


if __name__ == "__main__":
    unittest.main()
