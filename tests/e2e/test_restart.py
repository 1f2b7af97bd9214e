"""Restarting inventoryd under load is a normal operation (ARCHITECTURE.md
rules 2, 3, 6): calls during the restart end with 503/UNAVAILABLE or succeed,
adds work again within 30 s, and every acknowledged add is kept."""

import threading
import time
import unittest

from e2elib import ApiTestCase, channel, ctl, ctl_status, rest, unary, unique, wait_running
from inventory.v1 import nodes_pb2 as pb

RECOVERY_SECONDS = 30


class Writer(threading.Thread):
    """Adds generic nodes over REST in a loop and records what happened."""

    def __init__(self, prefix):
        super().__init__(daemon=True)
        self.prefix = prefix
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.acked = []        # (time, name) of every add answered 200
        self.unavailable = 0   # 503 with code 14
        self.unexpected = []   # anything else

    def run(self):
        i = 0
        while not self.stop.is_set():
            i += 1
            name = "%s-%d" % (self.prefix, i)
            try:
                r = rest("POST", "/v1/inventory/nodes",
                         {"generic": {"node_name": name, "address": "10.3.0.1"}}, timeout=30)
            except OSError as e:
                with self.lock:
                    self.unexpected.append((name, "connection error: %r" % e))
                time.sleep(0.05)
                continue
            with self.lock:
                if r.status == 200:
                    self.acked.append((time.time(), name))
                elif r.status == 503 and isinstance(r.json, dict) and r.json.get("code") == 14:
                    self.unavailable += 1
                else:
                    self.unexpected.append((name, r))
            if r.status != 200:
                time.sleep(0.05)

    def acked_since(self, t):
        with self.lock:
            return [n for when, n in self.acked if when > t]

    def count(self):
        with self.lock:
            return len(self.acked)


class Restart(ApiTestCase):
    def test_restart_inventoryd_under_load(self):
        before = wait_running()
        self.assertEqual(before.get("inventoryd", (None,))[0], "RUNNING", before)
        writer = Writer(unique("restart"))
        writer.start()
        try:
            deadline = time.time() + 20
            while writer.count() < 3 and time.time() < deadline:
                time.sleep(0.05)
            self.assertGreaterEqual(writer.count(), 3, "adds do not succeed before the restart")

            r = ctl("restart", "inventoryd")
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            restarted = time.time()

            deadline = restarted + RECOVERY_SECONDS
            while not writer.acked_since(restarted) and time.time() < deadline:
                time.sleep(0.1)
            self.assertTrue(writer.acked_since(restarted),
                            "no add succeeded within %d s of the restart" % RECOVERY_SECONDS)
            time.sleep(1)  # a little more load after recovery
        finally:
            writer.stop.set()
            writer.join(60)

        after = ctl_status()
        self.assertEqual(after["inventoryd"][0], "RUNNING", after)
        self.assertNotEqual(after["inventoryd"][1], before["inventoryd"][1], "inventoryd pid unchanged")
        self.assertEqual(after["gateway"][1], before["gateway"][1], "gateway restarted too")
        self.assertEqual(writer.unexpected, [], "answers other than 200 or 503/code 14")

        ch = channel()
        self.addCleanup(ch.close)
        listed = unary(ch, "/inventory.v1.NodesService/ListNodes", pb.ListNodesRequest(),
                       pb.ListNodesResponse)
        names = {n.node_name for n in listed.generic}
        lost = [n for _, n in writer.acked if n not in names]
        self.assertEqual(lost, [], "acknowledged adds missing after the restart")
        print("(%d adds acknowledged, %d answered 503) " % (len(writer.acked), writer.unavailable),
              end="", flush=True)

    def test_restart_configd(self):
        """server.v1 lives in configd: Version answers 200 or 503/code 14 while
        it restarts, and 200 again within 30 s."""
        before = wait_running()
        self.assertEqual(before.get("configd", (None,))[0], "RUNNING", before)
        r = ctl("restart", "configd")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        restarted = time.time()
        answers = []
        while time.time() < restarted + RECOVERY_SECONDS:
            resp = rest("GET", "/v1/server/version")
            answers.append(resp)
            if resp.status == 200:
                break
            time.sleep(0.1)
        self.assertEqual(answers[-1].status, 200, answers[-5:])
        for resp in answers[:-1]:
            self.assertErrorBody(resp, 503, 14)
        after = ctl_status()
        self.assertNotEqual(after["configd"][1], before["configd"][1], "configd pid unchanged")
        self.assertEqual(after["inventoryd"][1], before["inventoryd"][1])

if __name__ == "__main__":
    unittest.main()
