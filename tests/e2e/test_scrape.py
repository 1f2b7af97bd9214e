"""VictoriaMetrics scrape configuration end to end: a real node_exporter
(Debian's prometheus-node-exporter on a free port) registered as a node with
its node_exporter in pull mode gets scraped by the suite's VictoriaMetrics
(`up == 1`); ChangeSettings' and the agent's own resolutions change the
served scrape intervals; removing the agent removes its jobs; the user's base
configuration is merged in, and a broken one is refused while the previous
configuration keeps working.

The listen port is what a connected pmm-agent reports; until agentsd's
stream lands the test sets it (and the status) in the suite's PostgreSQL
with psql, then changes the agent's custom labels through the API so that
inventoryd publishes inventory.changed for it."""

import os
import socket
import subprocess
import time
import urllib.parse

from e2elib import ApiTestCase, quote, rest, unique, http_call

VM = os.environ.get("E2E_VM", "http://127.0.0.1:9090/prometheus")
VAR = os.environ.get("PMM_VAR_DIR", "var")
PG_PORT = os.environ.get("E2E_PG_PORT", "5433")
NODE_EXPORTER = "/usr/bin/prometheus-node-exporter"
BASE = os.path.join(VAR, "prometheus", "prometheus.base.yml")
SCRAPE_FILE = os.path.join(VAR, "victoriametrics", "promscrape.yml")

# Debian's node_exporter lacks Percona's textfile.<res> and standard.*
# collectors and does not enable buddyinfo, meminfo_numa and processes; a
# node_exporter asked for a collector it does not have answers 400.
DISABLED = ["textfile.hr", "textfile.mr", "textfile.lr", "standard.go", "standard.process",
            "buddyinfo", "meminfo_numa", "processes"]


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def vm_get(path):
    return http_call(VM, "GET", urllib.parse.urlsplit(VM).path + path, auth=None)


def reachable(url):
    try:
        return http_call(url, "GET", "/metrics", auth=None, timeout=2).status == 200
    except OSError:
        return False


def served_config():
    r = vm_get("/config")
    return r.body.decode() if r.status == 200 else ""


def up(job):
    r = vm_get("/api/v1/query?query=" + urllib.parse.quote('up{job="%s"}' % job))
    if r.status != 200 or not r.json:
        return None
    result = r.json["data"]["result"]
    return result[0]["value"][1] if result else None


def psql(sql):
    with open(os.environ["E2E_PG_PASSWORD_FILE"]) as f:
        env = dict(os.environ, PGPASSWORD=f.readline().strip())
    subprocess.run(["psql", "-h", "127.0.0.1", "-p", PG_PORT, "-U", "pmm-managed", "-d", "pmm-managed",
                    "-v", "ON_ERROR_STOP=1", "-qAt", "-c", sql], env=env, check=True, capture_output=True)


def wait_for(what, fn, timeout=30):
    deadline = time.time() + timeout
    while True:
        v = fn()
        if v:
            return v
        if time.time() > deadline:
            raise AssertionError("not within %ds: %s" % (timeout, what))
        time.sleep(0.5)


def job_block(config, job):
    """The text of one job in a scrape configuration (VictoriaMetrics'
    /config writes the list items at column 0)."""
    start = config.find("- job_name: %s\n" % job)
    if start < 0:
        return None
    end = config.find("\n- job_name:", start + 1)
    return config[start:end if end > 0 else len(config)]


class ScrapeConfig(ApiTestCase):
    def start_node_exporter(self):
        port = free_port()
        log = open(os.path.join(VAR, "log", "e2e-node-exporter.log"), "ab")
        proc = subprocess.Popen([NODE_EXPORTER, "--web.listen-address=127.0.0.1:%d" % port],
                                stdout=log, stderr=log)
        log.close()

        def stop():
            proc.terminate()
            proc.wait(10)
        self.addCleanup(stop)
        wait_for("node_exporter listening", lambda: reachable("http://127.0.0.1:%d" % port), 10)
        return port

    def register(self):
        name = unique("scrape-node")
        r = rest("POST", "/v1/management/nodes", {
            "node_type": "NODE_TYPE_GENERIC_NODE", "node_name": name, "address": "127.0.0.1",
            "distro": "linux", "metrics_mode": "METRICS_MODE_PULL", "disable_collectors": DISABLED,
            "custom_labels": {"e2e": "scrape"}})
        self.assertStatus(r, 200)
        node = r.json["generic_node"]
        self.addCleanup(rest, "DELETE", "/v1/management/nodes/%s?force=true" % quote(node["node_id"]))
        pmm_agent = r.json["pmm_agent"]["agent_id"]
        r = rest("GET", "/v1/inventory/agents?pmm_agent_id=%s" % quote(pmm_agent))
        self.assertStatus(r, 200)
        [ne] = r.json["node_exporter"]
        self.assertFalse(ne["push_metrics_enabled"])
        return node, ne

    def report_port(self, agent_id, port):
        """What agentsd does when the pmm-agent reports the exporter running."""
        psql("UPDATE agents SET listen_port = %d, status = 'AGENT_STATUS_RUNNING' WHERE agent_id = '%s'"
             % (port, agent_id))
        # The inventory.changed hint for this agent (the database is the truth).
        r = rest("PUT", "/v1/inventory/agents/%s" % quote(agent_id),
                 {"node_exporter": {"custom_labels": {"values": {"reported": "yes"}}}})
        self.assertStatus(r, 200)

    def test_pull_agent_scraped_resolution_changed_removed(self):
        port = self.start_node_exporter()
        node, ne = self.register()
        aid = ne["agent_id"]
        hr, mr, lr = ("node_exporter_%s_%s" % (aid, res) for res in ("hr", "mr", "lr"))
        self.report_port(aid, port)

        config = wait_for("the agent's jobs served", lambda: hr in served_config() and served_config())
        block = job_block(config, hr)
        self.assertIn("127.0.0.1:%d" % port, block)
        self.assertIn("scrape_interval: 5s", block)
        self.assertIn("node_name: %s" % node["node_name"], block)
        self.assertIn("reported:", block)
        self.assertIn("username: pmm", block)
        self.assertNotIn("textfile.hr", block)
        self.assertIn("scrape_interval: 10s", job_block(config, mr))
        self.assertIn("scrape_interval: 1m", job_block(config, lr))
        # VictoriaMetrics spreads first scrapes over the interval: the 1m job
        # may take a minute, so only the HR and MR ones are waited for.
        for job in (hr, mr):
            self.assertEqual(wait_for("up == 1 for " + job, lambda: up(job) == "1" and "1"), "1")

        # ChangeSettings: the settings' resolutions change the served intervals.
        self.addCleanup(rest, "PUT", "/v1/server/settings", {"metrics_resolutions": {"hr": "5s", "mr": "10s"}})
        r = rest("PUT", "/v1/server/settings", {"metrics_resolutions": {"hr": "4s", "mr": "15s"}})
        self.assertStatus(r, 200)
        config = wait_for("settings' intervals served",
                          lambda: "scrape_interval: 4s" in (job_block(served_config(), hr) or "") and served_config())
        self.assertIn("scrape_interval: 15s", job_block(config, mr))
        self.assertIn("scrape_interval: 15s", job_block(config, "pmm-managed"))
        self.assertIn("scrape_interval: 4s", job_block(config, "victoriametrics"))

        # The agent's own resolutions override the settings'.
        r = rest("PUT", "/v1/inventory/agents/%s" % quote(aid), {"node_exporter": {
            "metrics_resolutions": {"hr": "3s", "mr": "20s", "lr": "120s"}}})
        self.assertStatus(r, 200)
        config = wait_for("new intervals served",
                          lambda: "scrape_interval: 3s" in (job_block(served_config(), hr) or "") and served_config())
        self.assertIn("scrape_interval: 20s", job_block(config, mr))
        self.assertIn("scrape_interval: 2m", job_block(config, lr))

        # Removed: its jobs go.
        r = rest("DELETE", "/v1/inventory/agents/%s" % quote(aid))
        self.assertStatus(r, 200)
        wait_for("jobs removed", lambda: hr not in served_config())
        with open(SCRAPE_FILE) as f:
            self.assertNotIn(aid, f.read())

    def test_base_config_merged_and_broken_one_refused(self):
        def cleanup():
            if os.path.exists(BASE):
                os.unlink(BASE)
        self.addCleanup(cleanup)
        job = unique("base-job")
        with open(BASE + ".tmp", "w") as f:
            f.write("scrape_configs:\n  - job_name: %s\n    static_configs:\n      - targets: ['127.0.0.1:1']\n" % job)
        os.rename(BASE + ".tmp", BASE)
        wait_for("the base job served", lambda: job in served_config())
        with open(SCRAPE_FILE) as f:
            good = f.read()
        self.assertTrue(good.startswith("# Managed by pmm-managed. DO NOT EDIT.\n---\n"))
        self.assertIn("job_name: victoriametrics", good)

        # Unknown field: VictoriaMetrics' dry run refuses the file.
        broken = unique("broken-job")
        with open(BASE + ".tmp", "w") as f:
            f.write("scrape_configs:\n  - job_name: %s\n    bogus_field: 1\n" % broken)
        os.rename(BASE + ".tmp", BASE)
        log = os.path.join(VAR, "log", "configd.log")
        wait_for("the refusal logged", lambda: "field bogus_field not found" in open(log).read())
        time.sleep(1)
        with open(SCRAPE_FILE) as f:
            self.assertEqual(f.read(), good)
        config = served_config()
        self.assertIn(job, config)
        self.assertNotIn(broken, config)
        self.assertEqual(vm_get("/health").status, 200)

        # Not YAML at all: refused too.
        with open(BASE + ".tmp", "w") as f:
            f.write("scrape_configs: [\n")
        os.rename(BASE + ".tmp", BASE)
        wait_for("the parse error logged", lambda: "base configuration: line" in open(log).read())
        with open(SCRAPE_FILE) as f:
            self.assertEqual(f.read(), good)

        # Gone: the server's own configuration again.
        os.unlink(BASE)
        wait_for("the base job gone", lambda: job not in served_config())


if __name__ == "__main__":
    import unittest
    unittest.main()
