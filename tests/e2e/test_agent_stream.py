"""e2e: the pmm-agent stream (agent.v1.AgentService/Connect) through the
gateway relay and agentsd: admission with a RegisterNode token, response
headers, pings both ways, SetState on connect and after inventory changes,
StateChanged into the inventory, is_connected, refusals with upstream's
codes and texts."""

import os
import random
import threading
import time
import unittest

import grpc

from e2elib import ApiTestCase, ctl, ctl_status, debug, rest, unique, quote
from fakeagent import FakeAgent, LEGACY, process_types, register_pmm_agent
from agent.v1 import agent_pb2
from google.rpc import status_pb2
from inventory.v1 import agent_status_pb2, agents_pb2

RUNNING = agent_status_pb2.AGENT_STATUS_RUNNING
NODE_EXPORTER = agents_pb2.AGENT_TYPE_NODE_EXPORTER
MYSQLD_EXPORTER = agents_pb2.AGENT_TYPE_MYSQLD_EXPORTER


def register(name):
    return register_pmm_agent(name, address="10.9.1.1")


def agent_of(agent_id):
    r = rest("GET", "/v1/inventory/agents/%s" % quote(agent_id))
    assert r.status == 200, r
    return next(iter(r.json.values()))


def wait_for(fn, timeout=10, step=0.1):
    deadline = time.time() + timeout
    while True:
        v = fn()
        if v or time.time() > deadline:
            return v
        time.sleep(step)


class AgentStreamTest(ApiTestCase):
    def setUp(self):
        self.reg = register(unique("stream"))
        self.node_id = self.reg["generic_node"]["node_id"]
        self.pmm_agent_id = self.reg["pmm_agent"]["agent_id"]
        self.token = self.reg["token"]
        self.addCleanup(lambda: rest("DELETE", "/v1/management/nodes/%s?force=true" % quote(self.node_id)))
        self.agents = []

    def tearDown(self):
        for a in self.agents:
            a.close()

    def agent(self, agent_id=None, **kw):
        kw.setdefault("auth", "Bearer " + self.token)
        a = FakeAgent(self.pmm_agent_id if agent_id is None else agent_id, **kw)
        self.agents.append(a)
        return a

    def exporter_id(self, agent_type):
        r = rest("GET", "/v1/inventory/agents?pmm_agent_id=%s" % quote(self.pmm_agent_id))
        self.assertStatus(r, 200)
        rows = r.json.get(agent_type, [])
        self.assertEqual(len(rows), 1, r.json)
        return rows[0]["agent_id"]

    def test_connect_headers_ping_and_state(self):
        a = self.agent()
        headers = a.connect()
        self.assertEqual(headers["pmm-agent-node-id"], self.node_id)
        self.assertEqual(headers["pmm-node-name"], self.reg["generic_node"]["node_name"])
        self.assertTrue(headers["pmm-server-version"])
        # the agent pings, the server answers with its time
        pong = a.ping()
        self.assertEqual(pong.WhichOneof("payload"), "pong")
        self.assertLess(abs(pong.pong.current_time.ToSeconds() - time.time()), 5)
        # SetState with node_exporter follows the connect
        ne_id = self.exporter_id("node_exporter")
        state = a.wait_set_state(lambda s: ne_id in process_types(s))
        self.assertEqual(process_types(state)[ne_id], NODE_EXPORTER)
        # connected in the inventory
        self.assertTrue(wait_for(lambda: agent_of(self.pmm_agent_id).get("connected")))
        # RUNNING reported -> status, port and path stored
        resp = a.state_changed(ne_id, RUNNING, 42001, "/usr/local/bin/node_exporter")
        self.assertEqual(resp.WhichOneof("payload"), "state_changed")
        ne = agent_of(ne_id)
        self.assertEqual(ne["status"], "AGENT_STATUS_RUNNING")
        self.assertEqual(ne["listen_port"], 42001)
        self.assertEqual(ne["process_exec_path"], "/usr/local/bin/node_exporter")
        # an agent id of another pmm-agent is not ours to change
        a.state_changed("pmm-server", RUNNING, 1)
        # disconnect: not connected any more, children keep their status
        a.close()
        self.assertTrue(wait_for(lambda: not agent_of(self.pmm_agent_id).get("connected")))
        self.assertEqual(agent_of(ne_id)["status"], "AGENT_STATUS_RUNNING")

    def test_mysql_added_reaches_the_agent(self):
        a = self.agent()
        a.connect()
        a.wait_set_state(lambda s: len(process_types(s)) >= 1)
        n = a.set_state_count()
        name = unique("mysql")
        t0 = time.time()
        r = rest("POST", "/v1/management/services", {"mysql": {
            "node_id": self.node_id, "pmm_agent_id": self.pmm_agent_id, "service_name": name,
            "address": "127.0.0.1", "port": 3306, "username": "pmm", "password": "secret",
            "skip_connection_check": True, "qan_mysql_perfschema": True}})
        self.assertStatus(r, 200)
        my_id = r.json["mysql"]["mysqld_exporter"]["agent_id"]
        state = a.wait_set_state(lambda s: my_id in process_types(s), timeout=5, after=n)
        self.assertLess(time.time() - t0, 5)
        self.assertEqual(process_types(state)[my_id], MYSQLD_EXPORTER)

    def test_agent_logs_come_from_the_agent(self):
        ne_id = self.exporter_id("node_exporter")
        path = "/v1/inventory/agents/%s/logs" % quote(ne_id)
        r = rest("GET", path)
        self.assertErrorBody(r, 400, 9, 'pmm-agent with ID "%s" is not currently connected' % self.pmm_agent_id)
        a = self.agent()
        a.connect()
        r = rest("GET", path + "?limit=2")
        self.assertStatus(r, 200)
        self.assertEqual(r.json, {"logs": ["%s log line 1" % ne_id, "%s log line 2" % ne_id],
                                  "agent_config_log_lines_count": 1})
        self.assertErrorBody(rest("GET", "/v1/inventory/agents/short/logs"), 400, 3,
                             "invalid GetAgentLogsRequest.AgentId: value length must be at least 36 runes")
        missing = "00000000-0000-4000-8000-000000000000"
        self.assertErrorBody(rest("GET", "/v1/inventory/agents/%s/logs" % missing), 404, 5,
                             'Agent with ID "%s" not found.' % missing)

    def test_settings_change_resends_state(self):
        a = self.agent()
        a.connect()
        a.wait_set_state()
        n = a.set_state_count()
        self.addCleanup(rest, "PUT", "/v1/server/settings", {"metrics_resolutions": {"mr": "10s"}})
        t0 = time.time()
        self.assertStatus(rest("PUT", "/v1/server/settings", {"metrics_resolutions": {"mr": "11s"}}), 200)
        a.wait_set_state(after=n, timeout=5)
        self.assertLess(time.time() - t0, 5)

    def test_legacy_path(self):
        a = self.agent(method=LEGACY)
        headers = a.connect()
        self.assertEqual(headers["pmm-agent-node-id"], self.node_id)
        self.assertEqual(a.ping().WhichOneof("payload"), "pong")

    def test_server_pings(self):
        a = self.agent()
        a.connect()
        self.assertTrue(a.wait_pings(1, timeout=15), "no Ping from the server within 15 s")

    def test_job_reports_are_not_answered(self):
        """JobResult and JobProgress go to the job's owner over the bus
        (published by agentsd as job.result / job.progress, seen here by a
        subscriber as backupd would be) and are never acknowledged (upstream
        handler.go); the stream goes on."""
        import zmq
        from internal.v1 import jobs_pb2
        ctx = zmq.Context()
        sub = ctx.socket(zmq.SUB)
        self.addCleanup(ctx.term)
        self.addCleanup(sub.close, 0)
        sub.setsockopt(zmq.SUBSCRIBE, b"job.")
        sub.connect("ipc://%s/run/agentsd.pub" % os.environ.get("PMM_VAR_DIR", "var"))
        time.sleep(0.5)  # a SUB socket gets only what is published after it joined
        a = self.agent()
        a.connect()
        a.send(agent_pb2.AgentMessage(id=9001, job_result=agent_pb2.JobResult(
            job_id="job-e2e", error=agent_pb2.JobResult.Error(message="no space left"))))
        a.send(agent_pb2.AgentMessage(id=9002, job_progress=agent_pb2.JobProgress(
            job_id="job-e2e", logs=agent_pb2.JobProgress.Logs(chunk_id=1, data="line", done=True))))
        self.assertEqual(a.ping().WhichOneof("payload"), "pong")
        events = {}
        deadline = time.time() + 10
        while len(events) < 2 and time.time() < deadline:
            if sub.poll(500):
                topic, payload = sub.recv_multipart()
                ev = jobs_pb2.JobEvent.FromString(payload)
                if ev.pmm_agent_id == self.pmm_agent_id:
                    events[topic.decode()] = ev
        self.assertEqual(sorted(events), ["job.progress", "job.result"], events)
        self.assertEqual(events["job.result"].result.job_id, "job-e2e")
        self.assertEqual(events["job.result"].result.error.message, "no space left")
        self.assertEqual(events["job.progress"].progress.logs.data, "line")
        self.assertTrue(events["job.progress"].progress.logs.done)
        with a.lock:
            self.assertNotIn(9001, a.responses)
            self.assertNotIn(9002, a.responses)
        self.assertIsNone(a.ended)

    def test_registry_metrics(self):
        """agentsd's registry counters on the gateway's /debug/metrics under
        upstream's names: a connect, the SetState sent, the disconnect."""
        def metrics():
            r = debug("/debug/metrics")
            self.assertEqual(r.status, 200, r)
            out = {}
            for line in r.body.decode().splitlines():
                if line.startswith("pmm_managed_agents_") or line.startswith("pmm_agentsd_"):
                    name, value = line.rsplit(" ", 1)
                    out[name] = float(value)
            return out

        before = metrics()
        for name in ("pmm_managed_agents_connects_total", "pmm_managed_agents_connected",
                     'pmm_managed_agents_disconnects_total{reason="done"}',
                     'pmm_managed_agents_disconnects_total{reason="unknown"}',
                     "pmm_managed_agents_round_trip_seconds_count", "pmm_agentsd_setstate_sent_total"):
            self.assertIn(name, before)
        a = self.agent()
        a.connect()
        a.wait_set_state(lambda s: True)
        during = metrics()
        self.assertGreaterEqual(during["pmm_managed_agents_connects_total"],
                                before["pmm_managed_agents_connects_total"] + 1)
        self.assertGreaterEqual(during["pmm_managed_agents_connected"], 1)
        self.assertGreater(during["pmm_agentsd_setstate_sent_total"], before["pmm_agentsd_setstate_sent_total"])
        a.close()
        done = 'pmm_managed_agents_disconnects_total{reason="done"}'
        self.assertTrue(wait_for(lambda: metrics()[done] >= before[done] + 1), metrics())

    def test_refusals(self):
        cases = [
            ("", grpc.StatusCode.PERMISSION_DENIED, "Empty Agent ID."),
            ("no-such-agent", grpc.StatusCode.PERMISSION_DENIED, 'No Agent with ID "no-such-agent".'),
        ]
        for agent_id, code, details in cases:
            with self.subTest(agent_id=agent_id):
                with self.assertRaises(grpc.RpcError) as cm:
                    self.agent(agent_id).connect()
                self.assertGrpcError(cm.exception, code, details)
        ne_id = self.exporter_id("node_exporter")
        with self.assertRaises(grpc.RpcError) as cm:
            self.agent(ne_id).connect()
        self.assertGrpcError(cm.exception, grpc.StatusCode.PERMISSION_DENIED, 'No pmm-agent with ID "%s".' % ne_id)
        with self.assertRaises(grpc.RpcError) as cm:
            self.agent(version="not-a-version").connect()
        self.assertGrpcError(cm.exception, grpc.StatusCode.INVALID_ARGUMENT,
                             "Can't parse 'version' for pmm-agent with ID \"%s\"." % self.pmm_agent_id)
        with self.assertRaises(grpc.RpcError) as cm:
            self.agent(auth=None).connect()
        self.assertGrpcError(cm.exception, grpc.StatusCode.UNAUTHENTICATED)
        with self.assertRaises(grpc.RpcError) as cm:
            self.agent(extra_metadata=(("pmm-agent-metrics-port", "70000"),)).connect()
        self.assertGrpcError(cm.exception, grpc.StatusCode.DATA_LOSS,
                             'ReceiveAgentConnectMetadata: pmm-agent-metrics-port: '
                             'strconv.ParseUint: parsing "70000": value out of range')

    def test_duplicate_and_replacement(self):
        first = self.agent()
        first.connect()
        with self.assertRaises(grpc.RpcError) as cm:
            self.agent().connect()
        self.assertGrpcError(cm.exception, grpc.StatusCode.ALREADY_EXISTS,
                             'pmm-agent with ID "%s" is already connected.' % self.pmm_agent_id)
        self.assertEqual(first.ping().WhichOneof("payload"), "pong")
        # an earlier connection that no longer answers pings is replaced
        first.answer_pings = False
        second = self.agent()
        second.connect()
        self.assertEqual(first.wait_ended(), (grpc.StatusCode.ABORTED, "Kicked."))
        self.assertEqual(second.ping().WhichOneof("payload"), "pong")
        second.wait_set_state()


class AgentStreamRobustnessTest(ApiTestCase):
    """Misbehaving agents are cut off alone; agentsd restarts unnoticed."""

    def setUp(self):
        self.regs = [register(unique("robust")) for _ in range(3)]
        for reg in self.regs:
            node_id = reg["generic_node"]["node_id"]
            self.addCleanup(lambda n=node_id: rest("DELETE", "/v1/management/nodes/%s?force=true" % quote(n)))
        self.agents = []

    def tearDown(self):
        for a in self.agents:
            a.close()

    def connect_all(self):
        out = []
        for reg in self.regs:
            a = FakeAgent(reg["pmm_agent"]["agent_id"], auth="Bearer " + reg["token"])
            self.agents.append(a)
            a.connect()
            a.wait_set_state()
            out.append(a)
        return out

    def test_agentsd_restart_keeps_streams(self):
        agents = self.connect_all()
        counts = [a.set_state_count() for a in agents]
        r = ctl("restart", "agentsd")
        self.assertEqual(r.returncode, 0, r.stderr)
        for a, n in zip(agents, counts):
            a.wait_set_state(after=n, timeout=15)
            self.assertIsNone(a.ended)
            self.assertEqual(a.ping().WhichOneof("payload"), "pong")
        for reg in self.regs:
            self.assertTrue(wait_for(lambda: agent_of(reg["pmm_agent"]["agent_id"]).get("connected")))
        # the new agentsd knows them: a second connection is still refused
        with self.assertRaises(grpc.RpcError) as cm:
            dup = FakeAgent(self.regs[0]["pmm_agent"]["agent_id"], auth="Bearer " + self.regs[0]["token"])
            self.agents.append(dup)
            dup.connect()
        self.assertGrpcError(cm.exception, grpc.StatusCode.ALREADY_EXISTS)

    def test_garbage_and_flood_cut_off_alone(self):
        good, garbage, flood = self.connect_all()
        garbage.send_raw(b"\xff\xff\xff\xff")
        code, details = garbage.wait_ended()
        self.assertEqual(code, grpc.StatusCode.INTERNAL)
        for i in range(2500):
            flood.send(agent_pb2.AgentMessage(id=100000 + i, ping=agent_pb2.Ping()))
        code, details = flood.wait_ended()
        self.assertEqual(code, grpc.StatusCode.RESOURCE_EXHAUSTED)
        self.assertEqual(good.ping().WhichOneof("payload"), "pong")
        self.assertIsNone(good.ended)


class AgentStreamBadInputTest(ApiTestCase):
    """Malformed agent-stream input (issue 16, defect 4): each misbehaving
    stream gets a clear end or answer, agentsd and the gateway keep running
    with the same pids, and a well-behaved agent connected meanwhile never
    notices. The e2e run checks the daemons' logs for sanitizer reports."""

    def setUp(self):
        self.before = ctl_status()
        self.regs = []
        self.agents = []
        self.good = self.agent(self.register())
        self.good.connect()
        self.good.wait_set_state()

    def tearDown(self):
        try:
            # the well-behaved agent saw nothing of it, and nobody restarted
            self.assertIsNone(self.good.ended)
            self.assertEqual(self.good.ping().WhichOneof("payload"), "pong")
            after = ctl_status()
            for name in ("gateway", "agentsd", "inventoryd"):
                self.assertEqual(after[name], self.before[name], "%s restarted" % name)
        finally:
            for a in self.agents:
                a.close()

    def register(self):
        reg = register(unique("badin"))
        node_id = reg["generic_node"]["node_id"]
        self.addCleanup(lambda: rest("DELETE", "/v1/management/nodes/%s?force=true" % quote(node_id)))
        self.regs.append(reg)
        return reg

    def agent(self, reg, **kw):
        kw.setdefault("auth", "Bearer " + reg["token"])
        a = FakeAgent(kw.pop("agent_id", reg["pmm_agent"]["agent_id"]), **kw)
        self.agents.append(a)
        return a

    def connected(self):
        a = self.agent(self.register())
        a.connect()
        return a

    def assertEndsWith(self, a, code):
        ended = a.wait_ended()
        self.assertIsNotNone(ended, "the stream was not ended")
        self.assertEqual(ended[0], code, ended)

    def test_undecodable_then_empty_messages(self):
        """The sequence that made agentsd memcpy from NULL: the stream is
        ended while empty frames are still on their way."""
        a = self.connected()
        a.send_raw(b"\xff\xff\xff")
        for _ in range(20):
            a.send_raw(b"")
        self.assertEndsWith(a, grpc.StatusCode.INTERNAL)

    def test_garbage_truncated_and_huge_lengths(self):
        cases = {
            "random bytes": bytes(random.Random(7).getrandbits(8) for _ in range(4096)),
            "truncated varint": b"\x08\xff\xff",
            "truncated tag": b"\x80",
            "huge declared length": b"\x12\xff\xff\xff\xff\x0f" + b"x" * 16,
            "length past the end": b"\x1a\x10abc",
            "field number 0": b"\x00\x01",
            "unterminated group": b"\x0b\x08\x01",
        }
        for label, data in cases.items():
            with self.subTest(label):
                a = self.connected()
                a.send_raw(data)
                self.assertEndsWith(a, grpc.StatusCode.INTERNAL)

    def test_unknown_payload_kind_answered(self):
        a = self.connected()
        # field 1000 (varint): a payload kind from a newer pmm-agent
        resp = a.request_raw(b"\xc0\x3e\x01")
        self.assertEqual(resp.status.code, grpc.StatusCode.UNIMPLEMENTED.value[0])
        self.assertEqual(resp.status.message, "can't handle message type sent, it is not implemented")
        # no payload at all, and an UNIMPLEMENTED answer of the agent's: not bounced back
        a.send(agent_pb2.AgentMessage(id=4242))
        a.send(agent_pb2.AgentMessage(id=4243, status=status_pb2.Status(code=12, message="unknown")))
        self.assertEqual(a.ping().WhichOneof("payload"), "pong")
        with a.lock:
            self.assertNotIn(4243, a.responses)
        self.assertIsNone(a.ended)

    def test_responses_to_ids_never_sent(self):
        a = self.connected()
        a.wait_set_state()
        for i, kind in enumerate(("pong", "set_state", "start_action", "stop_action", "check_connection",
                                  "start_job", "job_status", "agent_logs", "service_info")):
            msg = agent_pb2.AgentMessage(id=900000 + i)
            getattr(msg, kind).SetInParent()
            a.send(msg)
        a.send(agent_pb2.AgentMessage(id=0, pong=agent_pb2.Pong()))
        self.assertEqual(a.ping().WhichOneof("payload"), "pong")
        self.assertIsNone(a.ended)

    def test_duplicate_connects_at_once(self):
        reg = self.register()
        first = self.agent(reg)
        first.connect()
        dups = [self.agent(reg) for _ in range(8)]
        errors = []

        def dial(d):
            try:
                d.connect()
            except grpc.RpcError as e:
                errors.append(e.code())
        threads = [threading.Thread(target=dial, args=(d,)) for d in dups]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        self.assertEqual(errors, [grpc.StatusCode.ALREADY_EXISTS] * len(dups))
        self.assertEqual(first.ping().WhichOneof("payload"), "pong")

    def test_metadata_abuse(self):
        reg = self.register()
        agent_id = reg["pmm_agent"]["agent_id"]
        cases = [
            ("id too long", dict(agent_id="a" * 5000), None),
            # upstream's getValue: a key given twice counts as absent
            ("two ids", dict(extra_metadata=(("pmm-agent-id", agent_id),)), grpc.StatusCode.PERMISSION_DENIED),
            ("two versions", dict(extra_metadata=(("pmm-agent-version", "3.0.0"),)), grpc.StatusCode.INVALID_ARGUMENT),
            ("no version", dict(version=None), grpc.StatusCode.INVALID_ARGUMENT),
            ("authorization too long", dict(auth="Bearer " + "x" * 9000), None),
            ("authorization garbage", dict(auth="Basic !!!not-base64"), grpc.StatusCode.UNAUTHENTICATED),
            ("metrics port not a number", dict(extra_metadata=(("pmm-agent-metrics-port", "-1"),)),
             grpc.StatusCode.DATA_LOSS),
            ("many headers", dict(extra_metadata=tuple(("x-junk-%d" % i, "v" * 50) for i in range(150))), None),
        ]
        for label, kw, code in cases:
            with self.subTest(label):
                with self.assertRaises(grpc.RpcError) as cm:
                    self.agent(reg, **kw).connect()
                if code is not None:  # otherwise any refusal will do (grpc's own limits)
                    self.assertEqual(cm.exception.code(), code, cm.exception.details())
        # none of it left a trace: the real agent connects
        self.assertEqual(self.agent(reg).connect()["pmm-agent-node-id"], reg["generic_node"]["node_id"])


if __name__ == "__main__":
    unittest.main()
