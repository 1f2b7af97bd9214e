"""Nothing half-written (issue 4): inventoryd is killed with SIGKILL while a
writer adds MySQL services through management AddService (service +
mysqld_exporter + QAN perfschema agent in one transaction). Afterwards
every attempted service either exists with both of its agents or left no
trace (agents cannot outlive their service: foreign keys), and every
acknowledged one exists."""
import os
import signal
import threading
import time
import unittest

from e2elib import ApiTestCase, ctl, rest, unique, wait_running


def inventoryd_pid():
    r = ctl("pid", "inventoryd")
    return int(r.stdout.strip() or 0)


class KillDuringAddService(ApiTestCase):
    def test_sigkill_leaves_whole_calls_or_nothing(self):
        prefix = unique("kill")
        attempted, acknowledged = [], []
        stop = threading.Event()

        def writer():
            i = 0
            while not stop.is_set():
                name = "%s-%d" % (prefix, i)
                i += 1
                attempted.append(name)
                body = {"mysql": {"node_id": "pmm-server", "pmm_agent_id": "pmm-server", "service_name": name,
                                  "address": "10.9.%d.%d" % (i // 250, i % 250), "port": 3306,
                                  "username": "pmm", "password": "secret", "qan_mysql_perfschema": True,
                                  "skip_connection_check": True}}
                try:
                    r = rest("POST", "/v1/management/services", body, timeout=15)
                except OSError:
                    continue
                if r.status == 200:
                    acknowledged.append(name)
                else:
                    self.assertIn(r.status, (503, 504), r)

        t = threading.Thread(target=writer)
        t.start()
        try:
            deadline = time.time() + 20
            while len(acknowledged) < 20 and time.time() < deadline:
                time.sleep(0.05)
            self.assertGreaterEqual(len(acknowledged), 20, "the writer made no progress")
            pid = inventoryd_pid()
            self.assertGreater(pid, 0)
            with open(os.environ["E2E_EXPECTED_EXITS"], "a") as f:
                f.write("inventoryd SIGKILL\n")
            os.kill(pid, signal.SIGKILL)
            before = len(acknowledged)
            deadline = time.time() + 40
            while len(acknowledged) < before + 20 and time.time() < deadline:
                time.sleep(0.1)
            self.assertGreaterEqual(len(acknowledged), before + 20, "no progress after the restart")
        finally:
            stop.set()
            t.join(60)
        wait_running(("inventoryd",))

        r = rest("GET", "/v1/inventory/services?service_type=SERVICE_TYPE_MYSQL_SERVICE")
        self.assertStatus(r, 200)
        services = {s["service_name"]: s["service_id"] for s in r.json["mysql"] if s["service_name"].startswith(prefix)}
        r = rest("GET", "/v1/inventory/agents")
        self.assertStatus(r, 200)
        by_service = {}
        for kind, items in r.json.items():
            for a in items:
                if a.get("service_id"):
                    by_service.setdefault(a["service_id"], set()).add(kind)
        for name in acknowledged:
            self.assertIn(name, services, "acknowledged but missing: %s" % name)
        for name, sid in services.items():
            self.assertEqual(by_service.get(sid), {"mysqld_exporter", "qan_mysql_perfschema_agent"},
                             "service %s is not whole" % name)
        print("(%d attempted, %d acknowledged, %d present)" % (len(attempted), len(acknowledged), len(services)),
              end=" ")


if __name__ == "__main__":
    unittest.main()
