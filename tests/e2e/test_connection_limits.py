"""e2e: gRPC connections that would stay open forever are closed (issue 16,
defect 6; README "Connection limits"). A second gateway runs beside the
suite's, on the same bus, with short limits (keepalive 1 s + 1 s, idle 2 s),
on BASE+14..+16. Raw HTTP/2 connections that send only invalid stream ids,
or nothing, are closed (idle, or their PING unanswered); one that holds a call
open but never answers the server's PINGs is closed by keepalive; a real
client whose pmm-agent stream stays quiet longer than both limits is left
alone (its grpc answers the PINGs, and the stream is a call)."""

import os
import signal
import socket
import struct
import subprocess
import time
import unittest

from e2elib import ApiTestCase, rest, quote, unique
from fakeagent import FakeAgent, register_pmm_agent

PORT = int(os.environ.get("E2E_GATEWAY2_PORT", "0"))
VAR = os.environ.get("PMM_VAR_DIR", "var")
BIN = os.environ.get("PMM_BIN_DIR", "build/release/bin")
LIMIT_S = 2 + 2  # the slower of idle (2 s) and keepalive (1 s + 1 s), twice

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
DATA, HEADERS, SETTINGS, PING, GOAWAY = 0, 1, 4, 6, 7


def frame(kind, flags, stream, payload=b""):
    return struct.pack(">I", len(payload))[1:] + bytes([kind, flags]) + struct.pack(">I", stream) + payload


def literal(name, value):
    """An HPACK header field without indexing, new name, no Huffman."""
    n, v = name.encode(), value.encode()
    return b"\x00" + bytes([len(n)]) + n + bytes([len(v)]) + v


def call_headers(path):
    return (b"\x83\x86" + literal(":path", path) + literal(":authority", "pmm")
            + literal("content-type", "application/grpc") + literal("te", "trailers"))


class Raw:
    """An HTTP/2 connection by hand: it sends what it is told and answers
    nothing (no SETTINGS ack, no PING ack)."""

    def __init__(self, *frames):
        self.sock = socket.create_connection(("127.0.0.1", PORT), timeout=5)
        self.sock.sendall(PREFACE + frame(SETTINGS, 0, 0) + b"".join(frames))
        self.kinds = []

    def wait_closed(self, timeout):
        """Seconds until the server closed the connection, or None."""
        t0 = time.time()
        buf = b""
        self.sock.settimeout(0.2)
        while time.time() - t0 < timeout:
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                continue
            except OSError:
                return time.time() - t0
            if not data:
                return time.time() - t0
            buf += data
            while len(buf) >= 9 and len(buf) >= 9 + int.from_bytes(buf[:3], "big"):
                self.kinds.append(buf[3])
                buf = buf[9 + int.from_bytes(buf[:3], "big"):]
        return None

    def close(self):
        self.sock.close()


@unittest.skipUnless(PORT, "E2E_GATEWAY2_PORT is not set (tests/e2e/run.sh)")
class ConnectionLimits(ApiTestCase):
    @classmethod
    def setUpClass(cls):
        cls.log = open(os.path.join(VAR, "log", "gateway-limits.log"), "ab")
        cls.proc = subprocess.Popen(
            [os.path.join(BIN, "gateway"), "--interface-to-bind=127.0.0.1", "--grpc-port=%d" % PORT,
             "--http-port=%d" % (PORT + 1), "--debug-port=%d" % (PORT + 2), "--run-dir=%s" % os.path.join(VAR, "run"),
             "--grpc-keepalive-time-ms=1000", "--grpc-keepalive-timeout-ms=1000",
             "--grpc-max-connection-idle-ms=2000"],
            stdout=cls.log, stderr=cls.log)
        deadline = time.time() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", PORT), timeout=1).close()
                break
            except OSError:
                if time.time() > deadline or cls.proc.poll() is not None:
                    cls.tearDownClass()
                    raise AssertionError("the second gateway did not start")
                time.sleep(0.2)

    @classmethod
    def tearDownClass(cls):
        if cls.proc.poll() is None:
            cls.proc.send_signal(signal.SIGTERM)
        rc = cls.proc.wait(30)
        cls.log.close()
        assert rc == 0, "the second gateway exited with %r" % rc

    def test_invalid_stream_ids_closed_when_idle(self):
        for label, frames in (("even stream id", [frame(HEADERS, 4, 2, call_headers("/x.y/Z"))]),
                              ("data on an idle stream", [frame(DATA, 0, 5, b"abc")]),
                              ("nothing after the preface", [])):
            with self.subTest(label):
                c = Raw(*frames)
                self.addCleanup(c.close)
                closed = c.wait_closed(LIMIT_S + 3)
                # by idleness (GOAWAY) or by its unanswered PING, whichever comes first
                self.assertIsNotNone(closed, "still open after %d s" % (LIMIT_S + 3))
                self.assertTrue(GOAWAY in c.kinds or PING in c.kinds, c.kinds)

    def test_unanswered_pings_close_a_connection_with_a_call(self):
        # a call that never sends its message: not idle, so only keepalive ends it
        c = Raw(frame(HEADERS, 4, 1, call_headers("/inventory.v1.NodesService/ListNodes")))
        self.addCleanup(c.close)
        closed = c.wait_closed(LIMIT_S + 3)
        self.assertIsNotNone(closed, "still open after %d s" % (LIMIT_S + 3))
        self.assertIn(PING, c.kinds)

    def test_quiet_agent_stream_stays(self):
        reg = register_pmm_agent(unique("limits"))
        node_id = reg["generic_node"]["node_id"]
        self.addCleanup(lambda: rest("DELETE", "/v1/management/nodes/%s?force=true" % quote(node_id)))
        a = FakeAgent(reg["pmm_agent"]["agent_id"], auth="Bearer " + reg["token"], target="127.0.0.1:%d" % PORT)
        self.addCleanup(a.close)
        a.connect()
        a.wait_set_state()
        time.sleep(LIMIT_S + 2)
        self.assertIsNone(a.ended)
        self.assertEqual(a.ping().WhichOneof("payload"), "pong")


if __name__ == "__main__":
    unittest.main()
