"""e2e fault injection (issue 16): under a mixed load, REST writers adding
MySQL services (service + mysqld_exporter + QAN agent in one transaction)
and a fleet of pmm-agents (bench/fleet, one gRPC stream and connection
each), every daemon is killed with SIGKILL in turn (supervisord restarts
it) and PostgreSQL is stopped for 10 s. Afterwards:
  - every acknowledged write is there, and every service is whole;
  - no agent stream was lost while agentsd was killed or PostgreSQL down
    (the gateway holds the streams; agentsd re-syncs them);
  - while a daemon was down, the routes of the others kept answering (those
    that need no credentials when inventoryd, which checks them, is down);
  - each daemon answered again within RECOVERY_S of its kill, and writes
    went through within RECOVERY_S of PostgreSQL's return.
The figures are printed. Loopback only, bounded in time (about 2 min)."""

import os
import re
import signal
import subprocess
import threading
import time
import unittest
import uuid

from e2elib import GRPC, ApiTestCase, build_path, ctl, psql, rest, unique, wait_running

AGENTS = int(os.environ.get("E2E_FAULT_AGENTS", "200"))
WRITERS = 2
RECOVERY_S = 5.0
PG_DOWN_S = 10


class Fleet:
    """bench/fleet: AGENTS pmm-agents as pmm-agent speaks; its marks
    (SIGUSR1) and events are read from its output."""

    def __init__(self, prefix):
        self.proc = subprocess.Popen(
            [build_path("bench/fleet"), "--target", GRPC, "--agents", str(AGENTS), "--id-prefix", prefix,
             "--user", "admin", "--password", "admin", "--no-state-changed", "--stats-interval", "0.5"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self.lock = threading.Condition()
        self.events = []   # (kind, {field: value})
        self.mark_no = 0
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.proc.stdout:
            m = re.match(r"fleet: (?:event=(\w+) )?(.*)", line.strip())
            if not m:
                continue
            fields = dict(kv.split("=", 1) for kv in m.group(2).split() if "=" in kv)
            with self.lock:
                self.events.append((m.group(1) or ("mark" if list(fields) == ["mark"] else "stats"), fields))
                self.lock.notify_all()

    def wait(self, kind, mark, timeout):
        """The fields of event kind for mark, or None after timeout."""
        def found():
            for k, f in self.events:
                if k == kind and f.get("mark") == str(mark):
                    return f
            return None
        with self.lock:
            self.lock.wait_for(lambda: found() is not None or self.proc.poll() is not None, timeout=timeout)
            return found()

    def mark(self):
        self.mark_no += 1
        self.proc.send_signal(signal.SIGUSR1)
        if self.wait("mark", self.mark_no, 10) is None:
            raise AssertionError("the fleet did not take mark %d" % self.mark_no)
        return self.mark_no

    def disconnects(self):
        with self.lock:
            stats = [f for k, f in self.events if k in ("stats",) and "disconnects" in f]
            return int(stats[-1]["disconnects"]) if stats else 0

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)


class Writers:
    """Management AddService (MySQL with its exporter and QAN agent) in a
    loop, on pmm-server; records what was acknowledged."""

    def __init__(self, prefix, n):
        self.prefix = prefix
        self.stop_event = threading.Event()
        self.lock = threading.Lock()
        self.acked = []       # (time, name)
        self.refused = 0      # 503/504 and connection errors while something was down
        self.unexpected = []
        self.threads = [threading.Thread(target=self._run, args=(i,), daemon=True) for i in range(n)]
        for t in self.threads:
            t.start()

    def _run(self, k):
        i = 0
        while not self.stop_event.is_set():
            i += 1
            name = "%s-%d-%d" % (self.prefix, k, i)
            body = {"mysql": {"node_id": "pmm-server", "pmm_agent_id": "pmm-server", "service_name": name,
                              "address": "10.8.%d.%d" % (k, i % 250), "port": 3306, "username": "pmm",
                              "password": "secret", "qan_mysql_perfschema": True, "skip_connection_check": True}}
            try:
                r = rest("POST", "/v1/management/services", body, timeout=15)
            except OSError:
                with self.lock:
                    self.refused += 1
                time.sleep(0.2)
                continue
            with self.lock:
                if r.status == 200:
                    self.acked.append((time.time(), name))
                elif r.status in (503, 504):
                    self.refused += 1
                else:
                    self.unexpected.append((name, r))
            if r.status != 200:
                time.sleep(0.2)

    def acked_since(self, t):
        with self.lock:
            return [n for when, n in self.acked if when > t]

    def stop(self):
        self.stop_event.set()
        for t in self.threads:
            t.join(60)


# One probe per daemon: a route it answers on its own (credentials checked
# by inventoryd, except configd's leader health check, which needs none;
# configd's readiness would ask every daemon).
PROBES = {
    "inventoryd": ("/v1/inventory/nodes?node_type=NODE_TYPE_REMOTE_NODE", (200,)),
    "configd": ("/v1/server/leaderHealthCheck", (200,)),
    "agentsd": ("/v1/actions/%s" % uuid.uuid4(), (404,)),
}
# Whose routes must keep answering while a daemon is down.
INDEPENDENT = {
    "inventoryd": ("configd",),
    "configd": ("inventoryd", "agentsd"),
    "agentsd": ("inventoryd", "configd"),
}


def probe(daemon):
    """None when it answered as it should, else what it answered."""
    path, ok = PROBES[daemon]
    try:
        r = rest("GET", path, timeout=5)
    except OSError as e:
        return repr(e)
    return None if r.status in ok else r


class Prober(threading.Thread):
    """Starts a probe of every daemon every 0.2 s, each in a thread of its
    own, so that one waiting for a daemon that is down delays no other;
    keeps (start, end, daemon, what went wrong or None)."""

    def __init__(self):
        super().__init__(daemon=True)
        self.stop_event = threading.Event()
        self.lock = threading.Lock()
        self.samples = []
        self.start()

    def one(self, daemon):
        t = time.time()
        bad = probe(daemon)
        with self.lock:
            self.samples.append((t, time.time(), daemon, bad))

    def run(self):
        while not self.stop_event.wait(0.2):
            for d in PROBES:
                threading.Thread(target=self.one, args=(d,), daemon=True).start()

    def failures(self, daemons, t0, t1):
        """What went wrong with the probes of daemons started in [t0, t1]."""
        with self.lock:
            return [(round(t - t0, 1), d, str(bad)[:120]) for t, _, d, bad in self.samples
                    if t0 <= t <= t1 and d in daemons and bad is not None]

    def back_after(self, daemon, t0, timeout=60):
        """Seconds from t0 to the end of the first good probe of daemon
        started after t0 (None after timeout)."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            with self.lock:
                ends = [e for t, e, d, bad in self.samples if d == daemon and t > t0 and bad is None]
            if ends:
                return min(ends) - t0
            time.sleep(0.1)
        return None

    def stop(self):
        self.stop_event.set()
        self.join(30)


def pid_of(daemon):
    out = ctl("pid", daemon).stdout.strip()
    return int(out) if out.isdigit() else 0


class FaultInjection(ApiTestCase):
    def setUp(self):
        self.prefix = unique("fault")
        n = AGENTS
        psql("INSERT INTO nodes (node_id, node_type, node_name, distro, node_model, az, custom_labels, address, "
             "created_at, updated_at) SELECT '%(p)s-n-' || i, 'generic', '%(p)s-node-' || i, 'linux', '', '', '{}', "
             "'10.7.' || i / 250 || '.' || i %% 250, now(), now() FROM generate_series(1, %(n)d) i; "
             "INSERT INTO agents (agent_id, agent_type, runs_on_node_id, custom_labels, created_at, updated_at, "
             "disabled, status, tls, tls_skip_verify) SELECT '%(p)s-pa-' || i, 'pmm-agent', '%(p)s-n-' || i, '{}', "
             "now(), now(), false, '', false, false FROM generate_series(1, %(n)d) i" % {"p": self.prefix, "n": n})
        self.addCleanup(psql, "DELETE FROM agents WHERE pmm_agent_id LIKE '%(p)s-pa-%%'; "
                              "DELETE FROM agents WHERE agent_id LIKE '%(p)s-pa-%%'; "
                              "DELETE FROM nodes WHERE node_id LIKE '%(p)s-n-%%'" % {"p": self.prefix})

    def expect_exit(self, daemon):
        with open(os.environ["E2E_EXPECTED_EXITS"], "a") as f:
            f.write("%s SIGKILL\n" % daemon)

    def test_kill_each_daemon_and_stop_postgresql(self):
        fleet = Fleet(self.prefix + "-pa-")
        self.addCleanup(fleet.stop)
        self.assertIsNotNone(fleet.wait("synced", 0, 120), "the fleet never had its state")
        writers = Writers(self.prefix, WRITERS)
        self.addCleanup(writers.stop)
        prober = Prober()
        self.addCleanup(prober.stop)
        deadline = time.time() + 30
        while len(writers.acked_since(0)) < 5 and time.time() < deadline:
            time.sleep(0.1)
        self.assertGreaterEqual(len(writers.acked_since(0)), 5, "the writers make no progress")

        figures = {}
        failures = {}
        for daemon in ("inventoryd", "configd", "agentsd", "gateway"):
            mark = fleet.mark()
            lost_before = fleet.disconnects()
            old = pid_of(daemon)
            self.assertGreater(old, 0, daemon)
            self.expect_exit(daemon)
            t_kill = time.time()
            os.kill(old, signal.SIGKILL)
            # back: the first probe sent after the kill that is answered (the
            # gateway: any daemon's route through it)
            back = prober.back_after(daemon if daemon != "gateway" else "configd", t_kill)
            self.assertIsNotNone(back, "%s did not come back" % daemon)
            fig = {"recovery_s": round(back, 1)}
            if daemon == "agentsd":
                ev = fleet.wait("synced", mark, 60)
                fig["fleet_resynced_s"] = float(ev["seconds"]) if ev else None
                fig["streams_lost"] = int(ev["disconnects"]) if ev else fleet.disconnects() - lost_before
            elif daemon == "gateway":
                ev = fleet.wait("all_connected", mark, 90)
                fig["fleet_reconnected_s"] = float(ev["seconds"]) if ev else None
            else:
                fig["streams_lost"] = fleet.disconnects() - lost_before
            if daemon in INDEPENDENT:
                failures[daemon] = prober.failures(INDEPENDENT[daemon], t_kill, t_kill + back)
            figures[daemon] = fig
            time.sleep(1)

        # PostgreSQL stopped for 10 s
        mark = fleet.mark()
        lost_before = fleet.disconnects()
        r = ctl("stop", "postgresql")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        time.sleep(PG_DOWN_S)
        r = ctl("start", "postgresql")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        t_up = time.time()
        while not writers.acked_since(t_up) and time.time() - t_up < 60:
            time.sleep(0.1)
        figures["postgresql"] = {"writes_back_s": round(time.time() - t_up, 1),
                                 "streams_lost": fleet.disconnects() - lost_before}
        time.sleep(1)
        writers.stop()
        prober.stop()
        fleet_lost_total = fleet.disconnects()
        fleet.stop()
        wait_running(("inventoryd", "configd", "agentsd", "gateway"))

        # every acknowledged write is there, every service whole
        acked = [n for _, n in writers.acked]
        rows = psql("SELECT s.service_name, count(a.agent_id), string_agg(a.agent_type, ',' ORDER BY a.agent_type) "
                    "FROM services s LEFT JOIN agents a ON a.service_id = s.service_id "
                    "WHERE s.service_name LIKE '%s-%%' GROUP BY s.service_name" % self.prefix)
        present = {}
        for line in rows.splitlines():
            name, count, types = line.split("|")
            present[name] = types
        lost = [n for n in acked if n not in present]
        half = {n: t for n, t in present.items() if t != "mysqld_exporter,qan-mysql-perfschema-agent"}
        print("(%d writes acknowledged, %d refused while down, %d services present; %s; streams lost overall %d "
              "(the gateway's kill ends them all, by design); other daemons' routes failing: %s) "
              % (len(acked), writers.refused, len(present), figures, fleet_lost_total,
                 failures), end="", flush=True)
        self.assertEqual(lost, [], "acknowledged but missing")
        self.assertEqual(half, {}, "half-written services")
        self.assertEqual(writers.unexpected, [], "answers other than 200, 503 or 504")
        for daemon, fails in failures.items():
            self.assertEqual(fails, [], "routes of others failed while %s was down" % daemon)
        for daemon in ("inventoryd", "configd", "agentsd", "gateway"):
            self.assertLessEqual(figures[daemon]["recovery_s"], RECOVERY_S, (daemon, figures[daemon]))
        self.assertEqual(figures["agentsd"]["streams_lost"], 0, figures["agentsd"])
        self.assertIsNotNone(figures["agentsd"]["fleet_resynced_s"], "the fleet was not re-synced")
        self.assertIsNotNone(figures["gateway"]["fleet_reconnected_s"], "the fleet did not reconnect")
        self.assertEqual(figures["postgresql"]["streams_lost"], 0, figures["postgresql"])
        self.assertLessEqual(figures["postgresql"]["writes_back_s"], RECOVERY_S, figures["postgresql"])


if __name__ == "__main__":
    unittest.main()
