"""e2e: actions.v1 through the gateway, agentsd and a connected fake
pmm-agent: StartServiceAction sends StartActionRequest with the service's
DSN and the table, the agent answers and reports ActionResult, GetAction
returns it; CancelAction sends StopActionRequest; an agent that is not
connected gives upstream's error; validation texts over REST."""

import threading
import time
import unittest

from e2elib import ApiTestCase, rest, unique, quote
from fakeagent import FakeAgent, register_pmm_agent
from agent.v1 import agent_pb2


def register(name):
    return register_pmm_agent(name, address="10.9.2.1")


class ActionsTest(ApiTestCase):
    def setUp(self):
        reg = register(unique("actions"))
        self.node_id = reg["generic_node"]["node_id"]
        self.pmm_agent_id = reg["pmm_agent"]["agent_id"]
        self.token = reg["token"]
        self.addCleanup(lambda: rest("DELETE", "/v1/management/nodes/%s?force=true" % quote(self.node_id)))
        r = rest("POST", "/v1/management/services", {"mysql": {
            "node_id": self.node_id, "pmm_agent_id": self.pmm_agent_id, "service_name": unique("mysql"),
            "address": "127.0.0.1", "port": 3306, "username": "pmm", "password": "secret",
            "skip_connection_check": True}})
        self.assertStatus(r, 200)
        self.service_id = r.json["mysql"]["service"]["service_id"]
        self.agent = None

    def tearDown(self):
        if self.agent:
            self.agent.close()

    def connect(self):
        self.agent = FakeAgent(self.pmm_agent_id, auth="Bearer " + self.token)
        self.agent.connect()
        self.agent.wait_set_state()

    def wait_request(self, kind, timeout=10):
        """The first server request of kind the fake agent got."""
        deadline = time.time() + timeout
        with self.agent.lock:
            while True:
                for m in self.agent.requests:
                    if m.WhichOneof("payload") == kind:
                        self.agent.requests.remove(m)
                        return m
                left = deadline - time.time()
                if left <= 0:
                    raise AssertionError("no %s request within %s s" % (kind, timeout))
                self.agent.lock.wait(left)

    def start_show_create_table(self):
        """StartServiceAction in a thread (the server waits for the agent's
        answer); returns (request seen by the agent, thread, result box)."""
        box = {}

        def run():
            box["r"] = rest("POST", "/v1/actions:startServiceAction", {"mysql_show_create_table": {
                "service_id": self.service_id, "table_name": "city", "database": "world"}})
        t = threading.Thread(target=run)
        t.start()
        return t, box

    def test_show_create_table_round_trip(self):
        self.connect()
        t, box = self.start_show_create_table()
        msg = self.wait_request("start_action")
        start = msg.start_action
        self.assertEqual(start.WhichOneof("params"), "mysql_show_create_table_params")
        self.assertEqual(start.mysql_show_create_table_params.table, "city")
        self.assertEqual(start.mysql_show_create_table_params.dsn, "pmm:secret@tcp(127.0.0.1:3306)/world?timeout=1s")
        self.assertEqual(start.timeout.seconds, 10)
        self.agent.send(agent_pb2.AgentMessage(id=msg.id, start_action=agent_pb2.StartActionResponse()))
        t.join(15)
        r = box["r"]
        self.assertStatus(r, 200)
        action_id = r.json["mysql_show_create_table"]["action_id"]
        self.assertEqual(action_id, start.action_id)
        # not done yet
        g = rest("GET", "/v1/actions/%s" % action_id)
        self.assertStatus(g, 200)
        self.assertEqual(g.json, {"action_id": action_id, "pmm_agent_id": self.pmm_agent_id, "output": "",
                                  "done": False, "error": ""})
        # the agent reports the result
        resp = self.agent.request(action_result=agent_pb2.ActionResultRequest(
            action_id=action_id, output=b"CREATE TABLE `city` (id int)", done=True))
        self.assertEqual(resp.WhichOneof("payload"), "action_result")
        g = rest("GET", "/v1/actions/%s" % action_id)
        self.assertStatus(g, 200)
        self.assertEqual(g.json["output"], "CREATE TABLE `city` (id int)")
        self.assertTrue(g.json["done"])
        # CancelAction reaches the agent as StopActionRequest
        box = {}
        t = threading.Thread(target=lambda: box.update(r=rest("POST", "/v1/actions:cancelAction",
                                                             {"action_id": action_id})))
        t.start()
        stop = self.wait_request("stop_action")
        self.assertEqual(stop.stop_action.action_id, action_id)
        self.agent.send(agent_pb2.AgentMessage(id=stop.id, stop_action=agent_pb2.StopActionResponse()))
        t.join(15)
        self.assertStatus(box["r"], 200)
        self.assertEqual(box["r"].json, {})

    def test_not_connected(self):
        r = rest("POST", "/v1/actions:startServiceAction", {"mysql_show_index": {
            "service_id": self.service_id, "table_name": "city"}})
        self.assertErrorBody(r, 400, 9, 'pmm-agent with ID "%s" is not currently connected' % self.pmm_agent_id)

    def test_validation(self):
        r = rest("GET", "/v1/actions/not-a-uuid")
        self.assertErrorBody(r, 400, 3,
                            "invalid GetActionRequest.ActionId: value must be a valid UUID | caused by: invalid uuid format")
        r = rest("POST", "/v1/actions:startServiceAction", {"mysql_show_index": {"service_id": self.service_id}})
        self.assertErrorBody(r, 400, 3,
                            "invalid StartServiceActionRequest.MysqlShowIndex: embedded message failed validation | "
                            "caused by: invalid StartMySQLShowIndexActionParams.TableName: value length must be at "
                            "least 1 runes")
        r = rest("GET", "/v1/actions/1b1a2f6e-3c4d-4e5f-8a9b-0c1d2e3f4a5b")
        self.assertErrorBody(r, 404, 5, 'ActionResult with ID "1b1a2f6e-3c4d-4e5f-8a9b-0c1d2e3f4a5b" not found.')


if __name__ == "__main__":
    unittest.main()
