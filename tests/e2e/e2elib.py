"""e2elib: shared helpers of the e2e tests: REST and gRPC clients for the
running suite, supervisorctl access and the reference's error-body checks.

Configured by tests/e2e/run.sh through E2E_REST, E2E_GRPC, E2E_DEBUG, E2E_CTL
and E2E_PYGEN (the generated *_pb2 modules)."""

import base64
import http.client
import json
import os
import re
import shlex
import socket
import subprocess
import sys
import time
import unittest
import urllib.parse
import uuid

PYGEN = os.environ.get("E2E_PYGEN", "build/release/gen/py")
sys.path.insert(0, PYGEN)

import grpc  # noqa: E402  (Debian's python3-grpcio)


def generated(path):
    """A generated *_pb2 module by its path under E2E_PYGEN
    ("platform/v1/platform_pb2.py"), for a proto package that a standard
    module's name hides (Python's own `platform`)."""
    import importlib.util
    name = path[:-3].replace("/", "_")
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, os.path.join(PYGEN, path))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    sys.modules[name] = module
    return module

def build_path(rel):
    """A file of the build under test ("tests/tools/agentflood",
    "bench/fleet"): tests/e2e/run.sh points PMM_BIN_DIR at <build>/bin."""
    return os.path.normpath(os.path.join(os.environ.get("PMM_BIN_DIR", "build/release/bin"), "..", rel))


REST = os.environ.get("E2E_REST", "http://127.0.0.1:7772")
GRPC = os.environ.get("E2E_GRPC", "127.0.0.1:7771")
DEBUG = os.environ.get("E2E_DEBUG", "http://127.0.0.1:7773")
CTL = os.environ.get("E2E_CTL", "sh deploy/suite.sh ctl")
ADMIN = ("admin", os.environ.get("E2E_ADMIN_PASSWORD", "admin"))

UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
ERROR_KEYS = {"error", "code", "message", "details"}
NODE_LIST_KEYS = {"generic", "container", "remote", "remote_rds", "remote_azure_database"}


def unique(prefix="e2e"):
    return "%s-%s" % (prefix, uuid.uuid4().hex[:12])


def basic(user, password):
    token = base64.b64encode(("%s:%s" % (user, password)).encode()).decode()
    return "Basic " + token


def quote(segment):
    """A path parameter as the URL carries it. Sub-delimiters stay literal (they
    are legal in a path segment), so no server-side unescaping rule for reserved
    characters comes into play."""
    return urllib.parse.quote(segment, safe="'();,=!$&*+:@")


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body
        try:
            self.json = json.loads(body) if body else None
        except ValueError:
            self.json = None

    def __repr__(self):
        return "HTTP %d %r" % (self.status, self.body[:500])


def http_call(base, method, path, body=None, auth=ADMIN, headers=None, timeout=30):
    """One HTTP request on a fresh connection. body: dict/list (JSON), bytes or None.
    auth: (user, password), a raw Authorization value, or None."""
    u = urllib.parse.urlsplit(base)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=timeout)
    hdrs = {}
    data = None
    if body is not None:
        data = body if isinstance(body, (bytes, bytearray)) else json.dumps(body).encode()
        hdrs["Content-Type"] = "application/json"
    if isinstance(auth, tuple):
        hdrs["Authorization"] = basic(*auth)
    elif isinstance(auth, str):
        hdrs["Authorization"] = auth
    hdrs.update(headers or {})
    try:
        conn.request(method, path, body=data, headers=hdrs)
        r = conn.getresponse()
        raw = r.read()
        return Response(r.status, {k.lower(): v for k, v in r.getheaders()}, raw)
    finally:
        conn.close()


def rest(method, path, body=None, **kw):
    return http_call(REST, method, path, body, **kw)


def debug(path, **kw):
    return http_call(DEBUG, "GET", path, None, auth=None, **kw)


def raw_http(base, head, body, timeout=60):
    """Sends a request head and then body while watching for an early answer
    (a server may refuse a large body before reading it). Returns
    (status, headers, body) or None when no answer came at all."""
    u = urllib.parse.urlsplit(base)
    s = socket.create_connection((u.hostname, u.port), timeout=timeout)
    received = b""
    try:
        s.sendall(head)
        s.setblocking(False)
        view = memoryview(body)
        deadline = time.time() + timeout
        while view and time.time() < deadline:
            try:
                chunk = s.recv(65536)
                if not chunk:
                    break
                received += chunk
                break  # the server answered early: stop sending
            except BlockingIOError:
                pass
            except OSError:
                break
            try:
                n = s.send(view[:65536])
                view = view[n:]
            except BlockingIOError:
                time.sleep(0.001)
            except OSError:
                break
        s.settimeout(timeout)
        while True:
            try:
                chunk = s.recv(65536)
            except OSError:
                break
            if not chunk:
                break
            received += chunk
            if _complete(received):
                break
    finally:
        s.close()
    return _parse_http(received)


def _complete(data):
    head, sep, rest_ = data.partition(b"\r\n\r\n")
    if not sep:
        return False
    m = re.search(rb"(?im)^content-length:\s*(\d+)", head)
    return bool(m) and len(rest_) >= int(m.group(1))


def _parse_http(data):
    head, sep, body = data.partition(b"\r\n\r\n")
    if not sep:
        return None
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    if len(parts) < 2 or not parts[1].isdigit():
        return None
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    if "content-length" in headers:
        body = body[: int(headers["content-length"])]
    return Response(int(parts[1]), headers, body)


# ---- gRPC -------------------------------------------------------------------

AUTH_MD = (("authorization", basic(*ADMIN)),)


def channel():
    return grpc.insecure_channel(GRPC)


def unary(ch, method, request, response_cls, metadata=AUTH_MD, timeout=20, raw=False):
    """Calls a unary method by its full name, without generated stubs."""
    serializer = (lambda b: b) if raw else type(request).SerializeToString
    fn = ch.unary_unary(method, request_serializer=serializer,
                        response_deserializer=response_cls.FromString)
    return fn(request, metadata=metadata, timeout=timeout)


# ---- the suite's PostgreSQL ----------------------------------------------------

def psql(sql, timeout=60):
    """Runs sql in the suite's database as pmm-managed; its output (-At)."""
    with open(os.environ["E2E_PG_PASSWORD_FILE"]) as f:
        env = dict(os.environ, PGPASSWORD=f.readline().strip())
    r = subprocess.run(["psql", "-h", "127.0.0.1", "-p", os.environ.get("E2E_PG_PORT", "5433"), "-U", "pmm-managed",
                        "-d", "pmm-managed", "-v", "ON_ERROR_STOP=1", "-qAt", "-c", sql],
                       env=env, check=True, capture_output=True, text=True, timeout=timeout)
    return r.stdout


# ---- supervisorctl ----------------------------------------------------------

def stop_process(proc):
    """Stops a helper process a test started (SIGTERM, SIGKILL after 10 s)
    and closes its stdout pipe."""
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    if proc.stdout:
        proc.stdout.close()


def ctl(*args, timeout=120):
    cmd = shlex.split(CTL) + list(args)
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)


def ctl_status():
    """{program: (state, pid or None)} from `supervisorctl status`."""
    out = ctl("status").stdout
    status = {}
    for line in out.splitlines():
        f = line.split()
        if len(f) < 2:
            continue
        m = re.search(r"pid (\d+)", line)
        status[f[0]] = (f[1], int(m.group(1)) if m else None)
    return status


def wait_running(names=("inventoryd", "configd", "agentsd", "gateway"), timeout=30):
    """Status once every named program is RUNNING (readyz can answer while
    supervisord still counts startsecs), or the last status seen."""
    deadline = time.time() + timeout
    while True:
        status = ctl_status()
        if all(status.get(n, ("",))[0] == "RUNNING" for n in names) or time.time() > deadline:
            return status
        time.sleep(0.2)


# ---- assertions -------------------------------------------------------------

class ApiTestCase(unittest.TestCase):
    maxDiff = None

    def assertStatus(self, resp, status):
        self.assertEqual(resp.status, status, "unexpected answer: %r" % (resp,))

    def assertErrorBody(self, resp, status, code=None, message=None):
        """The reference §3.1 body: exactly error, code, message, details."""
        self.assertStatus(resp, status)
        body = resp.json
        self.assertIsInstance(body, dict, "error body is not a JSON object: %r" % (resp,))
        self.assertEqual(set(body), ERROR_KEYS, "error body keys: %r" % (body,))
        self.assertIsInstance(body["code"], int)
        self.assertEqual(body["details"], [])
        self.assertEqual(body["error"], body["message"])
        if code is not None:
            self.assertEqual(body["code"], code, body)
        if message is not None:
            self.assertEqual(body["message"], message)

    def assertGrpcError(self, err, code, details=None):
        self.assertEqual(err.code(), code, "details: %r" % (err.details(),))
        if details is not None:
            self.assertEqual(err.details(), details)

    def add_node(self, kind, params, cleanup=True):
        """POST /v1/inventory/nodes; returns the created node (response oneof member)."""
        r = rest("POST", "/v1/inventory/nodes", {kind: params})
        self.assertStatus(r, 200)
        self.assertEqual(len(r.json), 1, r.json)
        node = next(iter(r.json.values()))
        if cleanup:
            self.addCleanup(remove_node_quietly, node["node_id"])
        return node


def remove_node_quietly(node_id):
    try:
        rest("DELETE", "/v1/inventory/nodes/%s?force=true" % quote(node_id))
    except OSError:
        pass


class StandIn:
    """A test's stand-in process (tests/e2e/<script> PORT, which prints a
    line with "listening" once it serves), stopped by its pid."""

    def __init__(self, script, port):
        here = os.path.dirname(os.path.abspath(__file__))
        self.proc = subprocess.Popen(["/usr/bin/python3", os.path.join(here, script), str(port)],
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        line = self.proc.stdout.readline().decode()
        if "listening" not in line:
            self.stop()
            raise RuntimeError("%s did not start: %r" % (script, line))

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc.stdout.close()
