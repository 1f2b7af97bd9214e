"""e2e: push mode's vmagent. A pmm-agent registered in push mode gets a
vmagent agent when it connects, and its SetState carries the vmagent
process whose scrape file (from configd) has the node_exporter's jobs on
127.0.0.1 once the exporter's port is known."""

import time

from e2elib import ApiTestCase, rest, unique, quote
from fakeagent import FakeAgent
from inventory.v1 import agent_status_pb2, agents_pb2

RUNNING = agent_status_pb2.AGENT_STATUS_RUNNING
VM_AGENT = agents_pb2.AGENT_TYPE_VM_AGENT


def vmagent_process(state):
    for k, v in state.agent_processes.items():
        if v.type == VM_AGENT:
            return k, v
    return None, None


class VMAgentTest(ApiTestCase):
    def setUp(self):
        r = rest("POST", "/v1/management/nodes", {
            "node_type": "NODE_TYPE_GENERIC_NODE", "node_name": unique("vmagent"), "address": "10.9.2.1",
            "distro": "linux", "metrics_mode": "METRICS_MODE_PUSH"})
        self.assertStatus(r, 200)
        self.node_id = r.json["generic_node"]["node_id"]
        self.pmm_agent_id = r.json["pmm_agent"]["agent_id"]
        self.token = r.json["token"]
        self.addCleanup(lambda: rest("DELETE", "/v1/management/nodes/%s?force=true" % quote(self.node_id)))

    def children(self):
        r = rest("GET", "/v1/inventory/agents?pmm_agent_id=%s" % quote(self.pmm_agent_id))
        self.assertStatus(r, 200)
        return r.json

    def test_vmagent_made_at_connect_with_push_scrape_config(self):
        self.assertEqual(self.children().get("vm_agent", []), [])
        a = FakeAgent(self.pmm_agent_id, auth="Bearer " + self.token)
        self.addCleanup(a.close)
        a.connect()
        state = a.wait_set_state(lambda s: vmagent_process(s)[0] is not None)
        vm_id, p = vmagent_process(state)
        rows = self.children()
        self.assertEqual([x["agent_id"] for x in rows["vm_agent"]], [vm_id])
        self.assertEqual(rows["vm_agent"][0]["pmm_agent_id"], self.pmm_agent_id)
        self.assertIn("-promscrape.config={{.TextFiles.vmagentscrapecfg}}", p.args)
        self.assertIn("VMAGENT_remoteWrite_url={{.server_url}}/victoriametrics/api/v1/write", p.env)
        self.assertTrue(p.text_files["vmagentscrapecfg"].startswith("global: {}\n"))
        # the node_exporter gets its jobs once its port is known
        ne_id = rows["node_exporter"][0]["agent_id"]
        n = a.set_state_count()
        a.state_changed(ne_id, RUNNING, 42005, "/usr/local/bin/node_exporter")
        job = "- job_name: node_exporter_%s_hr\n" % ne_id.replace("/", "_").replace(":", "_").replace(".", "_")
        state = a.wait_set_state(lambda s: job in (vmagent_process(s)[1] or p).text_files["vmagentscrapecfg"],
                                 after=n)
        cfg = vmagent_process(state)[1].text_files["vmagentscrapecfg"]
        self.assertIn("- 127.0.0.1:42005\n", cfg)
        # a second connect makes no second vmagent
        a.close()
        b = FakeAgent(self.pmm_agent_id, auth="Bearer " + self.token)
        self.addCleanup(b.close)
        b.connect()
        b.wait_set_state(lambda s: vmagent_process(s)[0] is not None)
        self.assertEqual(len(self.children()["vm_agent"]), 1)


if __name__ == "__main__":
    import unittest
    unittest.main()
