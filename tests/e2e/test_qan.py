"""e2e: QAN data from pmm-agents to qan-api2 through agentsd and qanfwd,
against tests/e2e/qan_standin.py (a stand-in for qan-api2, BASE+15 gRPC,
BASE+16 JSON): fake agents send streams of QANCollect batches while the
stand-in is killed and started again, and every bucket arrives once, in
order per agent, with the inventory's labels; a long outage keeps at most
--spool-max-files requests on disk (oldest dropped, counted); MySQL
EXPLAIN by query_id takes its query and schema from qan-api2; nginx sends
/v1/qan/ to qan-api2 behind auth_request with X-Proxy-Filter."""

import json
import os
import random
import re
import subprocess
import tempfile
import threading
import time
import unittest
import urllib.request

from e2elib import ApiTestCase, rest, debug, unique, quote, http_call, ctl, wait_running, stop_process
from fakeagent import FakeAgent
from agent.v1 import agent_pb2, collector_pb2
from inventory.v1 import agents_pb2

HERE = os.path.dirname(os.path.abspath(__file__))
GRPC_PORT = int(os.environ.get("E2E_QAN_GRPC_PORT", "0"))
JSON_PORT = int(os.environ.get("E2E_QAN_JSON_PORT", "0"))
NGINX = os.environ.get("E2E_NGINX_HTTP")


class StandIn:
    """qan_standin.py, started and stopped (or killed) by its pid."""

    def __init__(self, record, explain):
        self.record, self.explain, self.proc = record, explain, None
        self.start()

    def start(self):
        self.proc = subprocess.Popen(["/usr/bin/python3", os.path.join(HERE, "qan_standin.py"), str(GRPC_PORT),
                                      str(JSON_PORT), self.record, self.explain],
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        line = self.proc.stdout.readline().decode()
        if "listening" not in line:
            self.stop()
            raise RuntimeError("the qan-api2 stand-in did not start: %r" % line)

    def kill(self):
        """SIGKILL, between two Collect calls (see qan_standin.py)."""
        try:
            urllib.request.urlopen("http://127.0.0.1:%d/_standin/kill" % JSON_PORT, timeout=5)
        except OSError:
            pass  # the answer dies with the process
        self.proc.wait()
        self.proc.stdout.close()

    def stop(self):
        stop_process(self.proc)

    def records(self):
        try:
            with open(self.record) as f:
                return [json.loads(line) for line in f if line.strip()]
        except FileNotFoundError:
            return []


def metric(name):
    r = debug("/debug/metrics")
    m = re.search(r"^%s (\d+)" % re.escape(name), r.body.decode(), re.M)
    return int(m.group(1)) if m else None


def register(name, env):
    r = rest("POST", "/v1/management/nodes", {
        "node_type": "NODE_TYPE_GENERIC_NODE", "node_name": name,
        "address": "10.9.%d.%d" % (random.randrange(256), random.randrange(1, 255)),
        "distro": "linux", "reregister": False, "region": "eu-1"})
    assert r.status == 200, r
    reg = r.json
    r = rest("POST", "/v1/management/services", {"mysql": {
        "node_id": reg["generic_node"]["node_id"], "pmm_agent_id": reg["pmm_agent"]["agent_id"],
        "service_name": name + "-mysql", "address": "127.0.0.1", "port": 3306, "username": "pmm",
        "password": "secret", "skip_connection_check": True, "qan_mysql_perfschema": True,
        "environment": env, "cluster": "c-" + env, "replication_set": "rs-" + env,
        "custom_labels": {"team": "dbre"}}})
    assert r.status == 200, r
    return reg, r.json["mysql"]


def bucket(qan_agent_id, queryid, comments=None):
    return collector_pb2.MetricsBucket(
        common=collector_pb2.MetricsBucket.Common(
            queryid=queryid, fingerprint="SELECT ?", schema="shop", agent_id=qan_agent_id,
            agent_type=agents_pb2.AGENT_TYPE_QAN_MYSQL_PERFSCHEMA_AGENT, period_start_unix_secs=1700000000,
            period_length_secs=60, num_queries=2, m_query_time_cnt=2, m_query_time_sum=0.5,
            comments=comments or {}),
        mysql=collector_pb2.MetricsBucket.MySQL(m_rows_sent_cnt=2, m_rows_sent_sum=7))


@unittest.skipUnless(GRPC_PORT and JSON_PORT, "E2E_QAN_GRPC_PORT is not set (tests/e2e/run.sh sets it)")
class QANTest(ApiTestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="qan-standin.")
        cls.explain = os.path.join(cls.tmp, "explain.json")
        with open(cls.explain, "w") as f:
            json.dump({"QID1": {"fingerprint": "SELECT * FROM t WHERE id = ?", "placeholders_count": 1,
                                "schema": "shop"}}, f)
        cls.standin = StandIn(os.path.join(cls.tmp, "records.jsonl"), cls.explain)

    @classmethod
    def tearDownClass(cls):
        cls.standin.stop()

    def setUp(self):
        self.agents = []

    def tearDown(self):
        for a in self.agents:
            a.close()

    def fleet_member(self, env):
        reg, mysql = register(unique("qan"), env)
        node_id = reg["generic_node"]["node_id"]
        self.addCleanup(lambda: rest("DELETE", "/v1/management/nodes/%s?force=true" % quote(node_id)))
        agent = FakeAgent(reg["pmm_agent"]["agent_id"], auth="Bearer " + reg["token"], handlers={
            "start_action": lambda m: agent_pb2.AgentMessage(start_action=agent_pb2.StartActionResponse())})
        agent.connect()
        agent.wait_set_state()
        self.agents.append(agent)
        return reg, mysql, agent

    def wait_records(self, pred, timeout=60):
        deadline = time.time() + timeout
        while time.time() < deadline:
            recs = self.standin.records()
            if pred(recs):
                return recs
            time.sleep(0.2)
        return self.standin.records()

    def stream_with(self, members, disturb, n=60):
        """Each member's fake agent sends n QANCollect batches of 2 buckets
        while disturb() runs; returns (what each qan agent sent, the
        stand-in's records of this run), after every bucket arrived or 60 s."""
        tag = unique("run")
        sent = {}
        errors = []

        def stream(i, mysql, agent):
            qan_id = mysql["qan_mysql_perfschema"]["agent_id"]
            sent[qan_id] = []
            try:
                for seq in range(n):
                    qids = ["%s-%d-%04d-%d" % (tag, i, seq, k) for k in range(2)]
                    r = agent.request(qan_collect=agent_pb2.QANCollectRequest(metrics_bucket=[
                        bucket(qan_id, qids[0], {"app": "shop-api"}), bucket(qan_id, qids[1])]))
                    assert r.WhichOneof("payload") == "qan_collect", r
                    sent[qan_id].extend(qids)
                    time.sleep(0.03)
            except Exception as e:  # noqa: BLE001 (reported below)
                errors.append(e)

        threads = [threading.Thread(target=stream, args=(i, m[1], m[2])) for i, m in enumerate(members)]
        for t in threads:
            t.start()
        disturb()
        for t in threads:
            t.join(60)
        self.assertEqual(errors, [])
        expected = sum(len(v) for v in sent.values())
        self.assertEqual(expected, len(members) * n * 2)
        recs = self.wait_records(lambda rs: len([r for r in rs if r["queryid"].startswith(tag)]) >= expected)
        mine = [r for r in recs if r["queryid"].startswith(tag)]
        got = [r["queryid"] for r in mine]
        self.assertEqual(len(got), len(set(got)), "duplicates arrived")
        self.assertEqual(sorted(got), sorted(q for v in sent.values() for q in v), "buckets lost")
        for qan_id, qids in sent.items():
            self.assertEqual([r["queryid"] for r in mine if r["agent_id"] == qan_id], qids,
                             "order of agent %s" % qan_id)
        return sent, mine

    def test_every_batch_once_in_order_across_restarts(self):
        members = [self.fleet_member(env) for env in ("prod", "staging")]
        errors_before = metric("pmm_managed_qan_send_errors_total") or 0

        def kill_twice():
            # kill -9 twice while the agents send, each time down for a while
            # (between two calls: a call cut after qan-api2 stored it may be
            # sent twice, qan.v1 has no idempotency key)
            for _ in range(2):
                time.sleep(0.6)
                self.standin.kill()
                time.sleep(1.5)
                self.standin.start()

        sent, mine = self.stream_with(members, kill_twice)
        expected = sum(len(v) for v in sent.values())
        # the labels upstream adds, from the inventory
        reg, mysql, _ = members[0]
        svc = mysql["service"]
        first = next(r for r in mine if r["agent_id"] == mysql["qan_mysql_perfschema"]["agent_id"])
        self.assertEqual(first["service_id"], svc["service_id"])
        self.assertEqual(first["service_name"], svc["service_name"])
        self.assertEqual(first["service_type"], "mysql")
        self.assertEqual(first["node_id"], reg["generic_node"]["node_id"])
        self.assertEqual(first["node_name"], reg["generic_node"]["node_name"])
        self.assertEqual(first["node_type"], "generic")
        self.assertEqual(first["region"], "eu-1")
        self.assertEqual((first["environment"], first["cluster"], first["replication_set"]),
                         ("prod", "c-prod", "rs-prod"))
        self.assertEqual(first["labels"], {"team": "dbre", "app": "shop-api"})
        self.assertEqual(first["agent_type"], "AGENT_TYPE_QAN_MYSQL_PERFSCHEMA_AGENT")
        self.assertEqual((first["schema"], first["m_rows_sent_sum"], first["num_queries"]), ("shop", 7, 2))
        self.assertGreater(metric("pmm_managed_qan_send_errors_total"), errors_before)
        self.assertGreaterEqual(metric("pmm_managed_qan_buckets_sent_total"), expected)

    def test_qanfwd_restart_loses_nothing(self):
        members = [self.fleet_member("restart")]

        def restart():
            time.sleep(0.6)
            r = ctl("restart", "qanfwd")  # SIGTERM: what it holds in memory is spooled
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

        self.stream_with(members, restart)
        self.assertEqual(wait_running(("qanfwd",)).get("qanfwd", ("",))[0], "RUNNING")

    def test_spool_keeps_newest_within_bound(self):
        _, mysql, agent = self.fleet_member("bound")
        qan_id = mysql["qan_mysql_perfschema"]["agent_id"]
        tag = unique("spool")
        def dropped_total():
            return (metric('pmm_managed_qan_dropped_batches_total{where="spool"}') or 0) + \
                (metric('pmm_managed_qan_dropped_batches_total{where="memory"}') or 0)

        dropped_before = dropped_total()
        self.standin.stop()
        try:
            for seq in range(300):
                agent.request(qan_collect=agent_pb2.QANCollectRequest(
                    metrics_bucket=[bucket(qan_id, "%s-%04d" % (tag, seq))]))
            deadline = time.time() + 30
            while time.time() < deadline and dropped_total() - dropped_before < 100:
                time.sleep(0.2)
            spooled = metric("pmm_managed_qan_spool_requests")
            self.assertEqual(spooled, 200)  # --spool-max-files=200 (tests/e2e/run.sh)
            self.assertGreater(metric("pmm_managed_qan_spool_bytes"), 0)
        finally:
            self.standin.start()
        recs = self.wait_records(lambda rs: any(r["queryid"] == "%s-0299" % tag for r in rs))
        got = [int(r["queryid"].rsplit("-", 1)[1]) for r in recs if r["queryid"].startswith(tag)]
        dropped = dropped_total() - dropped_before
        # 300 batches, one request each (--request-max-batches=1), at most
        # 200 on disk: the 100 oldest are dropped and counted, the newest 200
        # arrive once and in order
        self.assertEqual(got, list(range(100, 300)))
        self.assertEqual(dropped, 100)

    def explain_start(self, service_id, query_id, placeholders):
        return rest("POST", "/v1/actions:startServiceAction", {"mysql_explain": {
            "service_id": service_id, "query_id": query_id, "placeholders": placeholders}})

    def test_mysql_explain_by_query_id(self):
        reg, mysql, agent = self.fleet_member("explain")
        svc = mysql["service"]["service_id"]
        r = self.explain_start(svc, "QID1", ["42"])
        self.assertStatus(r, 200)
        deadline = time.time() + 10
        req = None
        while req is None and time.time() < deadline:
            with agent.lock:
                req = next((m for m in agent.requests if m.WhichOneof("payload") == "start_action"), None)
            time.sleep(0.1)
        self.assertIsNotNone(req)
        p = req.start_action.mysql_explain_params
        self.assertEqual((p.query, list(p.values), p.schema), ("SELECT * FROM t WHERE id = ?", ["42"], "shop"))
        self.assertEqual(p.output_format, agent_pb2.MYSQL_EXPLAIN_OUTPUT_FORMAT_DEFAULT)
        # upstream's checks: the placeholders must match qan-api2's count; qan-api2's error as it is
        self.assertErrorBody(self.explain_start(svc, "QID1", []), 400, 9, "placeholders count is not correct")
        r = self.explain_start(svc, "NOPE", [])
        self.assertErrorBody(r, 404, 5, "error in checking query:query_id NOPE not found")
        self.assertErrorBody(self.explain_start(svc, "", []), 400, 9, "query or query_id is required")

    @unittest.skipUnless(NGINX, "E2E_NGINX_HTTP is not set")
    def test_nginx_routes_qan_to_qan_api2(self):
        # X-Proxy-Filter is auth_request's (none without access control),
        # never the client's own
        r = http_call(NGINX, "POST", "/v1/qan/metrics:getReport", {"limit": 10},
                      headers={"X-Proxy-Filter": "forged"})
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual((r.json["standin"], r.json["path"], r.json["body"]),
                         ("qan-api2", "/v1/qan/metrics:getReport", '{"limit": 10}'))
        self.assertIsNone(r.json["x_proxy_filter"])
        r = http_call(NGINX, "POST", "/v1/qan:getMetrics", {})
        self.assertEqual((r.status, r.json["path"]), (200, "/v1/qan:getMetrics"))
        # (no wrong password here: it would slow admin's logins for the tests after this one)
        r = http_call(NGINX, "POST", "/v1/qan/metrics:getReport", {}, auth=None)
        self.assertEqual(r.status, 401)


if __name__ == "__main__":
    unittest.main()
