"""e2e: one agent cannot exhaust the server's memory (issue 16, defect 1).
Two authenticated pmm-agent streams send 1 MiB ActionResults as fast as
they can and never read; meanwhile a well-behaved agent pings. The
gateway and agentsd together may grow by at most 256 MiB, the flooding
streams are ended with RESOURCE_EXHAUSTED, and the good agent is answered
throughout and stays connected. A large legitimate result (an action's
output close to grpc's 100 MiB) and a QAN batch still pass."""

import base64
import hashlib
import os
import re
import subprocess
import threading
import time
import unittest

from e2elib import GRPC, ApiTestCase, build_path, ctl_status, psql, quote, rest, unique
from fakeagent import FakeAgent, register_pmm_agent
from agent.v1 import agent_pb2, collector_pb2

FLOOD_SECONDS = 15
MESSAGE_BYTES = 1 << 20
RSS_BOUND = 256 << 20
PROCESSES = ("gateway", "agentsd")


def rss_bytes(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


class RssWatch(threading.Thread):
    """Samples the summed RSS of the gateway and agentsd every 0.2 s."""

    def __init__(self):
        super().__init__(daemon=True)
        status = ctl_status()
        self.pids = [status[p][1] for p in PROCESSES]
        self.each_before = [rss_bytes(pid) for pid in self.pids]
        self.each_peak = list(self.each_before)
        self.before = self.sample()
        self.peak = self.before
        self.done = threading.Event()

    def sample(self):
        each = [rss_bytes(pid) for pid in self.pids]
        if hasattr(self, "each_peak"):
            self.each_peak = [max(a, b) for a, b in zip(self.each_peak, each)]
        return sum(each)

    def run(self):
        while not self.done.wait(0.2):
            self.peak = max(self.peak, self.sample())

    def stop(self):
        self.done.set()
        self.join(5)
        self.peak = max(self.peak, self.sample())
        return self.peak - self.before


class Flooder:
    """tests/tools/agentflood: a pmm-agent stream that sends ActionResults of
    `size` bytes as fast as grpc takes them and never reads (in C, so that
    the server, not the test, is the bottleneck)."""

    def __init__(self, reg, size=MESSAGE_BYTES, seconds=FLOOD_SECONDS + 10):
        self.proc = subprocess.Popen(
            [build_path("tests/tools/agentflood"), "--target", GRPC, "--agent-id", reg["pmm_agent"]["agent_id"],
             "--auth", "Bearer " + reg["token"], "--bytes", str(size), "--seconds", str(seconds)],
            stdout=subprocess.PIPE, text=True)
        self.result = None

    def ended(self):
        return self.proc.poll() is not None

    def outcome(self):
        """{sent, seconds, code, details} once it exited."""
        if self.result is None:
            out, _ = self.proc.communicate(timeout=30)
            m = re.search(r'agentflood: sent=(\d+) seconds=([\d.]+) code=(-?\d+) details="(.*)"', out)
            self.result = {"sent": int(m.group(1)), "seconds": float(m.group(2)), "code": int(m.group(3)),
                           "details": m.group(4)} if m else {"sent": 0, "seconds": 0, "code": None, "details": out}
        return self.result

    def close(self):
        if self.proc.poll() is None:
            self.proc.terminate()
        self.proc.wait(30)


class AgentMemoryTest(ApiTestCase):
    def setUp(self):
        self.regs = [register_pmm_agent(unique("flood")) for _ in range(3)]
        for reg in self.regs:
            node_id = reg["generic_node"]["node_id"]
            self.addCleanup(lambda n=node_id: rest("DELETE", "/v1/management/nodes/%s?force=true" % quote(n)))

    def good_agent(self, reg):
        a = FakeAgent(reg["pmm_agent"]["agent_id"], auth="Bearer " + reg["token"])
        self.addCleanup(a.close)
        a.connect()
        a.wait_set_state()
        return a

    def test_flood_is_bounded_and_cut_off_alone(self):
        good = self.good_agent(self.regs[0])
        before = ctl_status()
        watch = RssWatch()
        watch.start()
        flooders = [Flooder(reg) for reg in self.regs[1:]]
        for f in flooders:
            self.addCleanup(f.close)
        t0 = time.time()
        ping_ms = []
        while time.time() - t0 < FLOOD_SECONDS and not all(f.ended() for f in flooders):
            p0 = time.time()
            self.assertEqual(good.ping().WhichOneof("payload"), "pong")
            ping_ms.append((time.time() - p0) * 1000)
            time.sleep(0.2)
        growth = watch.stop()
        results = [f.outcome() for f in flooders]
        sent_mib = sum(r["sent"] for r in results) * MESSAGE_BYTES >> 20
        print("(flood %d s: %d MiB taken from the flooders, ended after %s s with %s; gateway+agentsd RSS %d MiB, "
              "peak +%d MiB (%s); good agent's pings max %.0f ms) " % (
                  FLOOD_SECONDS, sent_mib, [r["seconds"] for r in results], [r["code"] for r in results],
                  watch.before >> 20, growth >> 20,
                  ", ".join("%s %d -> %d MiB" % (n, b >> 20, p >> 20)
                            for n, b, p in zip(PROCESSES, watch.each_before, watch.each_peak)),
                  max(ping_ms)), end="", flush=True)
        self.assertLess(growth, RSS_BOUND, "gateway + agentsd grew by %d MiB" % (growth >> 20))
        for i, r in enumerate(results):
            with self.subTest(flooder=i):
                self.assertEqual(r["code"], 8, r)  # RESOURCE_EXHAUSTED
                self.assertLess(r["seconds"], FLOOD_SECONDS, r)
        # the good agent never noticed
        self.assertIsNone(good.ended)
        self.assertEqual(good.ping().WhichOneof("payload"), "pong")
        self.assertLess(max(ping_ms), 5000)
        after = ctl_status()
        for name in PROCESSES:
            self.assertEqual(after[name][1], before[name][1], "%s restarted" % name)


class LargeMessagesPass(ApiTestCase):
    """Flow control and the flood rule leave real traffic alone: an action
    output close to grpc's 100 MiB limit is stored whole, and a QAN batch of
    several MiB is answered."""

    def setUp(self):
        reg = register_pmm_agent(unique("large"))
        node_id = reg["generic_node"]["node_id"]
        self.addCleanup(lambda: rest("DELETE", "/v1/management/nodes/%s?force=true" % quote(node_id)))
        self.pmm_agent_id = reg["pmm_agent"]["agent_id"]
        r = rest("POST", "/v1/management/services", {"mysql": {
            "node_id": node_id, "pmm_agent_id": self.pmm_agent_id, "service_name": unique("mysql"),
            "address": "127.0.0.1", "port": 3306, "username": "pmm", "password": "secret",
            "skip_connection_check": True}})
        self.assertStatus(r, 200)
        self.service_id = r.json["mysql"]["service"]["service_id"]
        self.agent = FakeAgent(self.pmm_agent_id, auth="Bearer " + reg["token"], handlers={
            "start_action": lambda m: agent_pb2.AgentMessage(start_action=agent_pb2.StartActionResponse())})
        self.addCleanup(self.agent.close)
        self.agent.connect()
        self.agent.wait_set_state()

    def test_large_action_output_and_qan_batch(self):
        r = rest("POST", "/v1/actions:startServiceAction", {"mysql_show_create_table": {
            "service_id": self.service_id, "table_name": "city"}})
        self.assertStatus(r, 200)
        action_id = r.json["mysql_show_create_table"]["action_id"]
        # 96 MiB of text that PostgreSQL's compression gives up on at once
        output = base64.b64encode(os.urandom(72 << 20))
        t0 = time.time()
        resp = self.agent.request(timeout=180, action_result=agent_pb2.ActionResultRequest(
            action_id=action_id, output=output, done=True))
        stored_s = time.time() - t0
        self.assertEqual(resp.WhichOneof("payload"), "action_result")
        # stored whole (read back in SQL: GetAction's answer is not the agent path)
        self.assertEqual(psql("SELECT length(output), md5(output), done FROM action_results WHERE id = '%s'"
                              % action_id).strip(),
                         "%d|%s|t" % (len(output), hashlib.md5(output).hexdigest()))
        bucket = collector_pb2.MetricsBucket(common=collector_pb2.MetricsBucket.Common(
            queryid="q", fingerprint="SELECT " + "x" * 4096, example="SELECT 1"))
        batch = agent_pb2.QANCollectRequest(metrics_bucket=[bucket] * 2048)  # 8 MiB
        self.assertGreater(batch.ByteSize(), 8 << 20)
        self.assertEqual(self.agent.request(timeout=60, qan_collect=batch).WhichOneof("payload"), "qan_collect")
        self.assertEqual(self.agent.ping().WhichOneof("payload"), "pong")
        self.assertIsNone(self.agent.ended)
        print("(96 MiB action output stored in %.1f s) " % stored_s, end="", flush=True)


if __name__ == "__main__":
    unittest.main()
