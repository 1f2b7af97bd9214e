"""REST inventory nodes, authentication and server endpoints against the
reference (api.md §2, §3, §4.1, §6.1)."""

import http.client
import json
import threading
import unittest
import urllib.parse

from e2elib import (ADMIN, NODE_LIST_KEYS, REST, UUID_RE, ApiTestCase, basic, quote,
                    rest, unique)

NODES = "/v1/inventory/nodes"


def generic_fields(node_id, name, address, labels):
    return {"node_id": node_id, "node_name": name, "address": address, "machine_id": "",
            "distro": "", "node_model": "", "region": "", "az": "", "custom_labels": labels}


class RestNodes(ApiTestCase):
    def test_add_get_list_generic(self):
        name = unique("generic")
        r = rest("POST", NODES, {"generic": {"node_name": name, "address": "10.0.0.1",
                                             "custom_labels": {"a": "b"}}})
        self.assertStatus(r, 200)
        self.assertEqual(set(r.json), {"generic"})
        node = r.json["generic"]
        self.addCleanup(rest, "DELETE", "%s/%s?force=true" % (NODES, node["node_id"]))
        self.assertRegex(node["node_id"], UUID_RE)
        self.assertEqual(node, generic_fields(node["node_id"], name, "10.0.0.1", {"a": "b"}))

        r = rest("GET", "%s/%s" % (NODES, node["node_id"]))
        self.assertStatus(r, 200)
        self.assertEqual(r.json, {"generic": node})

        r = rest("GET", NODES)
        self.assertStatus(r, 200)
        self.assertEqual(set(r.json), NODE_LIST_KEYS)
        for key in NODE_LIST_KEYS:
            self.assertIsInstance(r.json[key], list)
        self.assertIn(node, r.json["generic"])
        server = [n for n in r.json["generic"] if n["node_id"] == "pmm-server"]
        self.assertEqual(len(server), 1, r.json["generic"])
        self.assertEqual(server[0]["node_name"], "pmm-server")

    def test_rest_output_is_snake_case_and_pretty(self):
        node = self.add_node("generic", {"node_name": unique(), "address": "10.0.0.9"})
        r = rest("GET", "%s/%s" % (NODES, node["node_id"]))
        self.assertStatus(r, 200)
        self.assertIn(b'\n  "generic": {\n    "node_id": ', r.body)
        self.assertNotIn(b"nodeId", r.body)

    def test_all_five_kinds_and_filter(self):
        container = self.add_node("container", {
            "node_name": unique("container"), "address": "10.0.0.2",
            "container_id": "c0ffee", "container_name": "db1"})
        remote = self.add_node("remote", {"node_name": unique("remote"), "address": "10.0.0.3"})
        rds = self.add_node("remote_rds", {"node_name": unique("rds"), "address": "rds-db-1",
                                           "region": "us-east-1", "node_model": "db.t3.micro"})
        r = rest("POST", NODES, {"remote_azure": {"node_name": unique("azure"), "address": "az-db-1",
                                                  "region": "eastus"}})
        self.assertStatus(r, 200)
        self.assertEqual(set(r.json), {"remote_azure_database"})
        azure = r.json["remote_azure_database"]
        self.addCleanup(rest, "DELETE", "%s/%s?force=true" % (NODES, azure["node_id"]))

        self.assertEqual(container["container_id"], "c0ffee")
        self.assertEqual(container["container_name"], "db1")
        self.assertEqual(container["custom_labels"], {})
        self.assertEqual(set(remote), {"node_id", "node_name", "address", "node_model", "region",
                                       "az", "custom_labels"})
        self.assertEqual(rds["region"], "us-east-1")
        self.assertEqual(rds["node_model"], "db.t3.micro")
        self.assertIn("instance_id", rds)
        self.assertEqual(azure["region"], "eastus")
        for node in (container, remote, rds, azure):
            self.assertRegex(node["node_id"], UUID_RE)

        expect = {"container": container, "remote": remote, "remote_rds": rds,
                  "remote_azure_database": azure}
        for key, node in expect.items():
            r = rest("GET", "%s/%s" % (NODES, node["node_id"]))
            self.assertStatus(r, 200)
            self.assertEqual(r.json, {key: node})

        r = rest("GET", NODES)
        self.assertStatus(r, 200)
        for key, node in expect.items():
            self.assertIn(node, r.json[key])

        r = rest("GET", NODES + "?node_type=NODE_TYPE_CONTAINER_NODE")
        self.assertStatus(r, 200)
        self.assertEqual(set(r.json), NODE_LIST_KEYS)
        self.assertIn(container, r.json["container"])
        for key in NODE_LIST_KEYS - {"container"}:
            self.assertEqual(r.json[key], [], key)

        # enum numbers are accepted on input too (api.md §2)
        r = rest("GET", NODES + "?node_type=4")
        self.assertStatus(r, 200)
        self.assertIn(rds, r.json["remote_rds"])
        self.assertEqual(r.json["generic"], [])

    def test_duplicate_name(self):
        name = unique("dup")
        self.add_node("generic", {"node_name": name, "address": "10.0.0.1"})
        for kind in ("generic", "container", "remote"):
            r = rest("POST", NODES, {kind: {"node_name": name, "address": "10.0.0.4"}})
            self.assertErrorBody(r, 409, 6, 'Node with name "%s" already exists.' % name)

    def test_validation(self):
        cases = [
            ("generic", {"node_name": "", "address": "10.0.0.1"},
             "invalid AddNodeRequest.Generic: embedded message failed validation | caused by: invalid AddGenericNodeParams.NodeName: value length must be at least 1 runes"),
            ("generic", {"address": "10.0.0.1"},
             "invalid AddNodeRequest.Generic: embedded message failed validation | caused by: invalid AddGenericNodeParams.NodeName: value length must be at least 1 runes"),
            ("container", {"node_name": "", "address": "10.0.0.1"},
             "invalid AddNodeRequest.Container: embedded message failed validation | caused by: invalid AddContainerNodeParams.NodeName: value length must be at least 1 runes"),
            ("remote", {"node_name": "", "address": "10.0.0.1"},
             "invalid AddNodeRequest.Remote: embedded message failed validation | caused by: invalid AddRemoteNodeParams.NodeName: value length must be at least 1 runes"),
            ("generic", {"node_name": unique()},
             "invalid AddNodeRequest.Generic: embedded message failed validation | caused by: invalid AddGenericNodeParams.Address: value length must be at least 1 runes"),
            ("remote_rds", {"node_name": unique(), "address": "rds-1"},
             "invalid AddNodeRequest.RemoteRds: embedded message failed validation | caused by: invalid AddRemoteRDSNodeParams.Region: value length must be at least 1 runes"),
            ("remote_azure", {"node_name": unique(), "address": "az-1"},
             "invalid AddNodeRequest.RemoteAzure: embedded message failed validation | caused by: invalid AddRemoteAzureNodeParams.Region: value length must be at least 1 runes"),
        ]
        for kind, params, message in cases:
            with self.subTest(kind=kind, params=params):
                r = rest("POST", NODES, {kind: params})
                self.assertErrorBody(r, 400, 3, message)

    def test_get_unknown(self):
        r = rest("GET", NODES + "/pmm-not-found")
        self.assertErrorBody(r, 404, 5, 'Node with ID "pmm-not-found" not found.')

    def test_remove_pmm_server(self):
        r = rest("DELETE", NODES + "/pmm-server")
        self.assertErrorBody(r, 403, 7, "PMM Server node can't be removed.")
        r = rest("DELETE", NODES + "/pmm-server?force=true")
        self.assertErrorBody(r, 403, 7, "PMM Server node can't be removed.")
        self.assertStatus(rest("GET", NODES + "/pmm-server"), 200)

    def test_remove_fresh_node(self):
        node = self.add_node("generic", {"node_name": unique("rm"), "address": "10.0.0.5"})
        path = "%s/%s" % (NODES, node["node_id"])
        r = rest("DELETE", path)
        self.assertStatus(r, 200)
        self.assertEqual(r.json, {})
        missing = 'Node with ID "%s" not found.' % node["node_id"]
        self.assertErrorBody(rest("GET", path), 404, 5, missing)
        self.assertErrorBody(rest("DELETE", path), 404, 5, missing)
        r = rest("GET", NODES)
        self.assertNotIn(node["node_id"], [n["node_id"] for n in r.json["generic"]])

    def test_remove_node_with_services(self):
        """A node that carries a service needs force (§3.5 row 5). Uses the
        pmm-server-db node of the fixtures when present, else adds a service."""
        r = rest("GET", NODES)
        self.assertStatus(r, 200)
        db = [n for n in r.json["remote"] if n["node_name"] == "pmm-server-db"]
        if db:
            node_id = db[0]["node_id"]
        else:
            node_id = self.add_node("generic", {"node_name": unique("svc"), "address": "10.0.0.6"})["node_id"]
            r = rest("POST", "/v1/inventory/services", {"mysql": {
                "service_name": unique("mysql"), "node_id": node_id,
                "address": "10.0.0.6", "port": 3306}})
            if r.status in (404, 501):
                self.skipTest("AddService is not served yet (%r)" % (r,))
            self.assertStatus(r, 200)
        r = rest("DELETE", "%s/%s" % (NODES, node_id))
        self.assertErrorBody(r, 400, 9, 'Node with ID "%s" has services.' % node_id)
        self.assertStatus(rest("GET", "%s/%s" % (NODES, node_id)), 200)
        if not db:
            r = rest("DELETE", "%s/%s?force=true" % (NODES, node_id))
            self.assertStatus(r, 200)
            self.assertStatus(rest("GET", "%s/%s" % (NODES, node_id)), 404)

    def test_unknown_fields_ignored(self):
        """protojson DiscardUnknown (api.md §2)."""
        name = unique("unknown")
        r = rest("POST", NODES, {"bogus": 1, "generic": {"node_name": name, "address": "10.0.0.7",
                                                         "no_such_field": {"x": [1, 2]}}})
        self.assertStatus(r, 200)
        self.addCleanup(rest, "DELETE", "%s/%s?force=true" % (NODES, r.json["generic"]["node_id"]))
        self.assertEqual(r.json["generic"]["node_name"], name)

    def test_concurrent_duplicate_adds(self):
        """Racing adds of one name: exactly one wins, the rest get the 409."""
        name = unique("race")
        results = []

        def add():
            results.append(rest("POST", NODES, {"generic": {"node_name": name, "address": "10.0.0.8"}}))

        threads = [threading.Thread(target=add) for _ in range(16)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        ok = [r for r in results if r.status == 200]
        self.assertEqual(len(results), 16)
        self.assertEqual(len(ok), 1, results)
        self.addCleanup(rest, "DELETE", "%s/%s?force=true" % (NODES, ok[0].json["generic"]["node_id"]))
        for r in results:
            if r.status != 200:
                self.assertErrorBody(r, 409, 6, 'Node with name "%s" already exists.' % name)

    def test_chunked_body_and_keep_alive(self):
        """A chunked request body, then more requests on the same connection."""
        u = urllib.parse.urlsplit(REST)
        conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
        self.addCleanup(conn.close)
        hdrs = {"Authorization": basic(*ADMIN), "Content-Type": "application/json"}
        name = unique("chunked")
        body = json.dumps({"generic": {"node_name": name, "address": "10.0.0.9"}}).encode()
        conn.request("POST", NODES, body=iter([body[:10], body[10:]]), headers=hdrs,
                     encode_chunked=True)
        r = conn.getresponse()
        data = json.loads(r.read())
        self.assertEqual(r.status, 200, data)
        node_id = data["generic"]["node_id"]
        self.addCleanup(rest, "DELETE", "%s/%s?force=true" % (NODES, node_id))
        for _ in range(3):
            conn.request("GET", "%s/%s" % (NODES, node_id), headers=hdrs)
            r = conn.getresponse()
            self.assertEqual(r.status, 200)
            self.assertEqual(json.loads(r.read())["generic"]["node_name"], name)

    def test_path_parameter_is_decoded(self):
        r = rest("GET", "%s/%s" % (NODES, quote("pmm not found")))
        self.assertErrorBody(r, 404, 5, 'Node with ID "pmm not found" not found.')


class RestRouting(ApiTestCase):
    def test_unknown_route(self):
        r = rest("GET", "/v1/nope")
        self.assertErrorBody(r, 404, 5, "Endpoint not found: /v1/nope, http method: GET")

    def test_method_not_allowed(self):
        """grpc-gateway's default for a known path with another verb (api.md §3.1:
        routing errors other than 404 follow grpc-gateway): 405 becomes
        Unimplemented, HTTP 501, message "Method Not Allowed"."""
        r = rest("PUT", NODES, {})
        self.assertErrorBody(r, 501, 12, "Method Not Allowed")

    def test_no_auth(self):
        r = rest("GET", NODES, auth=None)
        self.assertErrorBody(r, 401, 16, "Unauthorized")
        self.assertIn("www-authenticate", r.headers)

    def test_wrong_password(self):
        r = rest("GET", NODES, auth=(ADMIN[0], ADMIN[1] + "-wrong"))
        self.assertErrorBody(r, 401, 16)
        r = rest("GET", NODES, auth=("nobody-" + unique(), "x"))
        self.assertErrorBody(r, 401, 16)

    def test_garbage_authorization(self):
        for value in ("Basic", "Basic !!!notbase64!!!", "Bearer ", "Digest abc", "Basic " + "A" * 8000):
            with self.subTest(value=value[:40]):
                r = rest("GET", NODES, auth=value)
                self.assertErrorBody(r, 401, 16)

    def test_readyz_without_auth(self):
        r = rest("GET", "/v1/server/readyz", auth=None)
        self.assertStatus(r, 200)
        self.assertEqual(r.json, {})

    def test_version(self):
        r = rest("GET", "/v1/server/version")
        self.assertStatus(r, 200)
        body = r.json
        self.assertTrue({"version", "server", "managed", "distribution_method"} <= set(body), body)
        self.assertIsInstance(body["version"], str)
        self.assertTrue(body["version"])
        self.assertTrue({"version", "full_version", "timestamp"} <= set(body["server"]), body)
        self.assertIsInstance(body["managed"], dict)
        self.assertTrue(body["distribution_method"].startswith("DISTRIBUTION_METHOD_"))

    def test_version_needs_auth(self):
        r = rest("GET", "/v1/server/version", auth=None)
        self.assertErrorBody(r, 401, 16, "Unauthorized")


if __name__ == "__main__":
    unittest.main()
