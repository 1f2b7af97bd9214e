"""The TLS front (issue 5 item 7): nginx as in PMM Server, on BASE+7 (TLS,
HTTP/2) and BASE+8 (plain HTTP). gRPC over TLS with the generated
certificate as root (pmm-agent's --server-insecure-tls does not verify at
all; trusting the certificate is the stricter equivalent), REST with
auth_request answering refusals as upstream's auth server does (401 with
{code, error, message}), a certificate made once and kept, and the
end-to-end pmm-agent stream (tests/e2e/fakeagent.py) dialled through it."""

import hashlib
import http.client
import os
import socket
import ssl
import subprocess
import tempfile
import time
import unittest

import grpc

from e2elib import (ADMIN, AUTH_MD, ApiTestCase, basic, channel, ctl, http_call, quote,
                    remove_node_quietly, rest, unary, unique)
from fakeagent import FakeAgent, process_types
from test_agent_stream import agent_of, register, wait_for
from agent.v1 import agent_pb2
from inventory.v1 import agent_status_pb2, nodes_pb2
from management.v1 import node_pb2 as mgmt_node_pb2
from server.v1 import server_pb2
from test_auth import pmmctl

TLS = os.environ["E2E_NGINX_TLS"]
HTTP = os.environ["E2E_NGINX_HTTP"]
CERT = os.environ["E2E_NGINX_CERT"]
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SUITE = os.path.join(ROOT, "deploy", "suite.sh")
TLS_HOST, TLS_PORT = TLS.rsplit(":", 1)
TLS_PORT = int(TLS_PORT)
CONNECT = "/agent.v1.AgentService/Connect"


def tls_channel(root=None):
    creds = grpc.ssl_channel_credentials(root_certificates=root if root is not None else read_cert())
    return grpc.secure_channel(TLS, creds, options=[("grpc.ssl_target_name_override", "pmm-server")])


def read_cert():
    with open(CERT, "rb") as f:
        return f.read()


def served_cert_der():
    """The certificate nginx presents on the TLS port, DER bytes."""
    ctx = ssl.create_default_context(cafile=CERT)
    with socket.create_connection((TLS_HOST, TLS_PORT), timeout=10) as s:
        with ctx.wrap_socket(s, server_hostname=TLS_HOST) as t:
            return t.getpeercert(binary_form=True)


def https_call(method, path, body=None, auth=ADMIN, headers=None):
    """One HTTP/1.1 request over TLS, the certificate verified (127.0.0.1 is
    one of its subject alternative names)."""
    ctx = ssl.create_default_context(cafile=CERT)
    conn = http.client.HTTPSConnection(TLS_HOST, TLS_PORT, context=ctx, timeout=30)
    return _request(conn, method, path, body, auth, headers)


def _request(conn, method, path, body, auth, headers):
    import json as _json
    from e2elib import Response
    hdrs = dict(headers or {})
    data = None
    if body is not None:
        data = _json.dumps(body).encode()
        hdrs["Content-Type"] = "application/json"
    if isinstance(auth, tuple):
        hdrs["Authorization"] = basic(*auth)
    elif isinstance(auth, str):
        hdrs["Authorization"] = auth
    try:
        conn.request(method, path, body=data, headers=hdrs)
        r = conn.getresponse()
        raw = r.read()
        return Response(r.status, {k.lower(): v for k, v in r.getheaders()}, raw)
    finally:
        conn.close()


def curl_h2(path, auth=None):
    """(status line, headers dict, body) of a GET over TLS with HTTP/2, by curl."""
    cmd = ["curl", "-sS", "--http2", "--cacert", CERT, "-D", "-", "https://%s%s" % (TLS, path)]
    if auth:
        cmd[1:1] = ["-u", "%s:%s" % auth]
    out = subprocess.run(cmd, capture_output=True, timeout=30)
    assert out.returncode == 0, out.stderr
    head, _, body = out.stdout.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    return lines[0].strip(), headers, body


class GrpcOverTls(ApiTestCase):
    @classmethod
    def setUpClass(cls):
        login = unique("tls-viewer")
        r = pmmctl("user", "add", login, "--role=viewer", password="pw-" + login)
        assert r.returncode == 0, r.stderr
        cls.viewer_md = (("authorization", basic(login, "pw-" + login)),)

    def setUp(self):
        self.ch = tls_channel()
        self.addCleanup(self.ch.close)

    def test_server_version(self):
        r = unary(self.ch, "/server.v1.ServerService/Version", server_pb2.VersionRequest(),
                  server_pb2.VersionResponse)
        self.assertTrue(r.version)
        self.assertEqual(r.managed.version, r.version)

    def test_inventory_and_management_lists_match_the_gateway(self):
        direct = channel()
        self.addCleanup(direct.close)
        for method, req, resp in (
                ("/inventory.v1.NodesService/ListNodes", nodes_pb2.ListNodesRequest(), nodes_pb2.ListNodesResponse),
                ("/management.v1.ManagementService/ListNodes", mgmt_node_pb2.ListNodesRequest(),
                 mgmt_node_pb2.ListNodesResponse)):
            with self.subTest(method=method):
                via = unary(self.ch, method, req, resp)
                self.assertEqual(via, unary(direct, method, req, resp))
        via = unary(self.ch, "/inventory.v1.NodesService/ListNodes", nodes_pb2.ListNodesRequest(),
                    nodes_pb2.ListNodesResponse)
        self.assertIn("pmm-server", [n.node_id for n in via.generic])

    def test_refusals_come_from_auth_request(self):
        req, resp = nodes_pb2.ListNodesRequest(), nodes_pb2.ListNodesResponse
        # nginx refuses before the gateway: HTTP 401, which gRPC reads as UNAUTHENTICATED,
        # for no credentials and for a role too low alike (upstream's behaviour)
        for md in ((), self.viewer_md, (("authorization", basic("admin", "wrong")),)):
            with self.subTest(md=md[:1] and md[0][1][:10]):
                with self.assertRaises(grpc.RpcError) as cm:
                    unary(self.ch, "/inventory.v1.NodesService/ListNodes", req, resp, metadata=md)
                self.assertGrpcError(cm.exception, grpc.StatusCode.UNAUTHENTICATED)
                self.assertIn("401", cm.exception.details())
        # the viewer may read the version
        unary(self.ch, "/server.v1.ServerService/Version", server_pb2.VersionRequest(),
              server_pb2.VersionResponse, metadata=self.viewer_md)

    def test_errors_of_the_gateway_pass_through(self):
        direct = channel()
        self.addCleanup(direct.close)
        req = nodes_pb2.GetNodeRequest(node_id="no-such-node-" + unique())
        errs = []
        for ch in (self.ch, direct):
            with self.assertRaises(grpc.RpcError) as cm:
                unary(ch, "/inventory.v1.NodesService/GetNode", req, nodes_pb2.GetNodeResponse)
            errs.append((cm.exception.code(), cm.exception.details().replace(req.node_id, "ID")))
        self.assertEqual(errs[0], errs[1])
        self.assertEqual(errs[0][0], grpc.StatusCode.NOT_FOUND)

    def test_agent_stream_path_is_routed_to_the_gateway(self):
        """An authenticated Connect gets the gateway's own answer through nginx
        (no agent metadata here, so it ends at once), the same as directly."""
        direct = channel()
        self.addCleanup(direct.close)
        answers = []
        for ch in (self.ch, direct):
            call = ch.stream_stream(CONNECT, request_serializer=lambda b: b, response_deserializer=lambda b: b)
            it = call(iter(()), metadata=AUTH_MD, timeout=20)
            with self.assertRaises(grpc.RpcError) as cm:
                for _ in it:
                    pass
            answers.append((cm.exception.code(), cm.exception.details()))
        self.assertEqual(answers[0], answers[1])
        self.assertNotEqual(answers[0][0], grpc.StatusCode.UNAUTHENTICATED)
        # without credentials nginx's auth_request stops it
        call = self.ch.stream_stream(CONNECT, request_serializer=lambda b: b, response_deserializer=lambda b: b)
        with self.assertRaises(grpc.RpcError) as cm:
            for _ in call(iter(()), timeout=20):
                pass
        self.assertGrpcError(cm.exception, grpc.StatusCode.UNAUTHENTICATED)

    def test_untrusted_certificate_is_refused(self):
        # The system roots do not know the self-signed certificate: the TLS is real.
        ch = grpc.secure_channel(TLS, grpc.ssl_channel_credentials(),
                                 options=[("grpc.ssl_target_name_override", "pmm-server")])
        self.addCleanup(ch.close)
        with self.assertRaises(grpc.RpcError) as cm:
            unary(ch, "/server.v1.ServerService/Version", server_pb2.VersionRequest(),
                  server_pb2.VersionResponse, timeout=5)
        self.assertGrpcError(cm.exception, grpc.StatusCode.UNAVAILABLE)


class RestThroughNginx(ApiTestCase):
    @classmethod
    def setUpClass(cls):
        login = unique("front-viewer")
        r = pmmctl("user", "add", login, "--role=viewer", password="pw-" + login)
        assert r.returncode == 0, r.stderr
        cls.viewer = (login, "pw-" + login)

    def both(self, method, path, body=None, **kw):
        """The same request over TLS (8443) and plain HTTP (8080)."""
        return [("https", https_call(method, path, body, **kw)),
                ("http", http_call(HTTP, method, path, body, **kw))]

    def test_http2_with_and_without_credentials(self):
        status, headers, body = curl_h2("/v1/server/version")
        self.assertEqual(status, "HTTP/2 401")
        self.assertEqual(headers.get("content-type"), "application/json")
        self.assertEqual(body, b'{"code":16,"error":"Unauthorized","message":"Unauthorized"}\n')
        status, headers, body = curl_h2("/v1/server/version", auth=ADMIN)
        self.assertEqual(status, "HTTP/2 200")
        self.assertEqual(headers.get("x-frame-options"), "DENY")
        self.assertEqual(body, rest("GET", "/v1/server/version").body)

    def test_no_or_bad_credentials(self):
        for auth in (None, ("admin", "wrong"), "Bearer not-a-token"):
            for scheme, r in self.both("GET", "/v1/inventory/nodes", auth=auth):
                with self.subTest(scheme=scheme, auth=auth):
                    self.assertStatus(r, 401)
                    self.assertEqual(r.headers.get("content-type"), "application/json")
                    self.assertEqual(r.json, {"code": 16, "error": "Unauthorized", "message": "Unauthorized"})
                    self.assertNotIn(b"<html>", r.body)

    def test_role_too_low(self):
        for path in ("/v1/inventory/nodes", "/v1/server/settings"):
            for scheme, r in self.both("GET", path, auth=self.viewer):
                with self.subTest(scheme=scheme, path=path):
                    self.assertStatus(r, 401)
                    self.assertEqual(r.json, {"code": 7, "error": "Access denied.", "message": "Access denied."})
        for scheme, r in self.both("GET", "/v1/server/version", auth=self.viewer):
            with self.subTest(scheme=scheme):
                self.assertStatus(r, 200)
                self.assertEqual(r.json, rest("GET", "/v1/server/version").json)

    def test_public_and_legacy_paths(self):
        for path in ("/v1/server/readyz", "/ping", "/v1/readyz"):
            for scheme, r in self.both("GET", path, auth=None):
                with self.subTest(scheme=scheme, path=path):
                    self.assertStatus(r, 200)
                    self.assertEqual(r.json, {})
        # /v1/version is the PMM 2 name of /v1/server/version: viewer and up
        for scheme, r in self.both("GET", "/v1/version", auth=None):
            self.assertStatus(r, 401)
        for scheme, r in self.both("GET", "/v1/version", auth=self.viewer):
            self.assertStatus(r, 200)
            self.assertIn("managed", r.json)

    def test_api_errors_pass_through_unchanged(self):
        path = "/v1/inventory/nodes/no-such-node-" + unique()
        want = rest("GET", path)
        self.assertStatus(want, 404)
        for scheme, r in self.both("GET", path):
            with self.subTest(scheme=scheme):
                self.assertStatus(r, 404)
                self.assertEqual(r.json, want.json)

    def test_large_bodies_both_ways(self):
        # A body larger than nginx's 16 KiB request buffer goes to a file in
        # the var dir, written by the workers (as www-data under root).
        labels = {"k%04d" % i: "v" * 100 for i in range(1500)}
        name = unique("front-big")
        r = https_call("POST", "/v1/inventory/nodes",
                       {"generic": {"node_name": name, "address": "10.9.0.1", "custom_labels": labels}})
        self.assertStatus(r, 200)
        node_id = r.json["generic"]["node_id"]
        self.addCleanup(remove_node_quietly, node_id)
        for scheme, got in self.both("GET", "/v1/inventory/nodes/" + node_id):
            with self.subTest(scheme=scheme):
                self.assertStatus(got, 200)
                self.assertGreater(len(got.body), 150000)
                self.assertEqual(got.json["generic"]["custom_labels"], labels)

    def test_auth_request_location_is_internal(self):
        for scheme, r in self.both("GET", "/auth_request", auth=None,
                                   headers={"X-Original-Method": "GET", "X-Original-Uri": "/v1/server/readyz"}):
            with self.subTest(scheme=scheme):
                self.assertStatus(r, 404)

    def test_server_agent_exception_only_for_local_clients(self):
        """Pmm-Agent-Id: pmm-server skips credentials on Connect only for a
        client on the loopback address itself: every auth subrequest comes
        from nginx, so nginx drops the header for anyone else (here a client
        from 127.0.0.2)."""
        hdrs = {"Pmm-Agent-Id": "pmm-server", "Content-Type": "application/grpc"}
        host, port = HTTP.rsplit("/", 1)[1].rsplit(":", 1)
        answers = {}
        for src in ("127.0.0.1", "127.0.0.2"):
            conn = http.client.HTTPConnection(host, int(port), timeout=30, source_address=(src, 0))
            answers[src] = _request(conn, "POST", CONNECT, None, None, hdrs)
        self.assertEqual(answers["127.0.0.2"].status, 401)
        self.assertEqual(answers["127.0.0.2"].json["code"], 16)
        # the local one passes auth_request and reaches the gateway's gRPC server
        self.assertEqual(answers["127.0.0.1"].status, 200)
        self.assertIn("grpc-status", answers["127.0.0.1"].headers)


class Certificate(unittest.TestCase):
    def test_served_certificate_is_the_generated_one(self):
        pem = read_cert().decode()
        self.assertEqual(served_cert_der(), ssl.PEM_cert_to_DER_cert(pem))
        key = CERT[:-len(".crt")] + ".key"
        self.assertEqual(os.stat(key).st_mode & 0o777, 0o600)

    def test_kept_across_restart(self):
        before = hashlib.sha256(read_cert()).hexdigest()
        served = served_cert_der()
        # what `suite.sh start` does before supervisord runs, then nginx anew
        for step in ("init", "render"):
            r = subprocess.run(["sh", SUITE, step], capture_output=True, text=True, timeout=120)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertNotIn("certificate", r.stdout)
        r = ctl("restart", "nginx")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        deadline = time.time() + 20
        while True:
            try:
                now = served_cert_der()
                break
            except OSError:
                if time.time() > deadline:
                    raise
                time.sleep(0.2)
        self.assertEqual(hashlib.sha256(read_cert()).hexdigest(), before)
        self.assertEqual(now, served)

    def test_fresh_var_dir_gets_one_and_an_own_pair_is_kept(self):
        with tempfile.TemporaryDirectory(prefix="pmm-e2e-cert.") as var:
            os.chmod(var, 0o755)
            env = dict(os.environ, PMM_VAR_DIR=var, PMM_POSTGRES_ADDR="127.0.0.1:1")

            def init():
                r = subprocess.run(["sh", SUITE, "init"], env=env, capture_output=True, text=True, timeout=60)
                self.assertEqual(r.returncode, 0, r.stderr)
                return r.stdout

            crt, key = os.path.join(var, "nginx", "certificate.crt"), os.path.join(var, "nginx", "certificate.key")
            self.assertIn("self-signed TLS certificate", init())
            first = open(crt, "rb").read()
            text = subprocess.run(["openssl", "x509", "-noout", "-text", "-in", crt],
                                  capture_output=True, text=True, check=True).stdout
            for san in ("DNS:localhost", "IP Address:127.0.0.1"):
                self.assertIn(san, text)
            self.assertEqual(init(), "")
            self.assertEqual(open(crt, "rb").read(), first)
            # an operator's own pair replaces the generated one and stays
            os.remove(os.path.join(var, "nginx", "certificate.generated"))
            subprocess.run(["openssl", "req", "-x509", "-nodes", "-days", "2", "-newkey", "rsa:2048",
                            "-subj", "/CN=own", "-keyout", key, "-out", crt],
                           capture_output=True, check=True)
            own = open(crt, "rb").read()
            self.assertEqual(init(), "")
            self.assertEqual(open(crt, "rb").read(), own)
            # a generated one that expires within a day is renewed
            open(os.path.join(var, "nginx", "certificate.generated"), "w").close()
            subprocess.run(["openssl", "req", "-x509", "-nodes", "-days", "1", "-newkey", "rsa:2048",
                            "-subj", "/CN=old", "-keyout", key, "-out", crt],
                           capture_output=True, check=True)
            self.assertIn("expires within a day", init())
            self.assertNotIn(open(crt, "rb").read(), (own, first))
            r = subprocess.run(["openssl", "x509", "-checkend", str(300 * 86400), "-noout", "-in", crt],
                               capture_output=True)
            self.assertEqual(r.returncode, 0)


class AgentStreamOverTls(ApiTestCase):
    """The end-to-end agent test through the front: a pmm-agent dials nginx
    with TLS (as pmm-agent does against PMM Server's 443) and its stream is
    relayed by grpc_pass to the gateway and on to agentsd."""

    def setUp(self):
        reg = register(unique("tls-agent"))
        self.node_id = reg["generic_node"]["node_id"]
        self.pmm_agent_id = reg["pmm_agent"]["agent_id"]
        self.token = reg["token"]
        self.addCleanup(lambda: rest("DELETE", "/v1/management/nodes/%s?force=true" % quote(self.node_id)))

    def agent(self, **kw):
        a = FakeAgent(self.pmm_agent_id, target=TLS,
                      credentials=grpc.ssl_channel_credentials(root_certificates=read_cert()),
                      channel_options=(("grpc.ssl_target_name_override", "pmm-server"),), **kw)
        self.addCleanup(a.close)
        # pmm-agent's dial sends its Ping first; nginx passes the headers on after it
        self.first_ping = next(a.ids)
        a.send(agent_pb2.AgentMessage(id=self.first_ping, ping=agent_pb2.Ping()))
        return a

    def test_connect_state_and_status_through_tls(self):
        a = self.agent(auth="Bearer " + self.token)
        headers = a.connect()
        self.assertEqual(headers["pmm-agent-node-id"], self.node_id)
        self.assertTrue(headers["pmm-server-version"])
        self.assertTrue(wait_for(lambda: self.first_ping in a.responses))
        self.assertEqual(a.responses[self.first_ping].WhichOneof("payload"), "pong")
        self.assertEqual(a.ping().WhichOneof("payload"), "pong")
        r = rest("GET", "/v1/inventory/agents?pmm_agent_id=%s" % quote(self.pmm_agent_id))
        self.assertStatus(r, 200)
        ne_id = r.json["node_exporter"][0]["agent_id"]
        a.wait_set_state(lambda s: ne_id in process_types(s))
        resp = a.state_changed(ne_id, agent_status_pb2.AGENT_STATUS_RUNNING, 42002, "/usr/local/bin/node_exporter")
        self.assertEqual(resp.WhichOneof("payload"), "state_changed")
        self.assertEqual(agent_of(ne_id)["listen_port"], 42002)
        self.assertTrue(wait_for(lambda: agent_of(self.pmm_agent_id).get("connected")))
        a.close()
        self.assertTrue(wait_for(lambda: not agent_of(self.pmm_agent_id).get("connected")))

    def test_refused_by_auth_request(self):
        """nginx answers a refused stream (401, UNAUTHENTICATED) once the
        agent has closed its side: here right after its Ping. (A pmm-agent
        that keeps its side open gives up at its 5 s dial timeout.)"""
        a = self.agent(auth="Bearer " + self.token + "x")
        a.close_send()
        with self.assertRaises(grpc.RpcError) as cm:
            a.connect()
        self.assertGrpcError(cm.exception, grpc.StatusCode.UNAUTHENTICATED)
        self.assertIn("401", cm.exception.details())


if __name__ == "__main__":
    unittest.main()
