"""The suite next to a Grafana: run.sh gives the gateway and inventoryd
--grafana-addr = 127.0.0.1:BASE+14, where these tests run
tests/e2e/grafana_standin.py (a stand-in for the Grafana HTTP API, not
Grafana). Logins inventoryd does not know are asked of Grafana as
upstream's auth server asks (Basic users, API keys, service account
tokens, the grafana_session cookie), with one question per credential for
a burst of callers and answers reused for 3 s; AddAnnotation writes
through Grafana with the caller's Authorization, upstream's tags and text;
RegisterNode makes the agent's service account and token in Grafana for a
caller Grafana admitted. With nothing on BASE+14, inventoryd's refusals
stand and AddAnnotation fails as upstream's Grafana client does."""

import base64
import json
import os
import threading
import time
import unittest
import urllib.request

import grpc

from e2elib import ADMIN, REST, ApiTestCase, StandIn, channel, http_call, quote, rest, unary, unique
from management.v1 import annotation_pb2
from test_auth import auth_request
from test_management import register_body

PORT = int(os.environ.get("E2E_GRAFANA_PORT", "0"))
BASE = "http://127.0.0.1:%d" % PORT
M = "/management.v1.ManagementService/"
GADMIN, GEDITOR, GVIEWER, GNONE = (("gadmin", "gadmin-pw"), ("geditor", "geditor-pw"), ("gviewer", "gviewer-pw"),
                                   ("gnone", "gnone-pw"))
SA_TOKEN = "glsa_standin_admin"
ANNOTATION_NO_GRAFANA = ("Annotations are stored in Grafana, and this PMM Server runs without Grafana: the "
                         "annotation was not added.")


def basic(user, password):
    return "Basic " + base64.b64encode(("%s:%s" % (user, password)).encode()).decode()


def standin(method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(BASE + path, data=data, method=method)
    with urllib.request.urlopen(req, timeout=5) as r:
        return json.loads(r.read())


def calls(key):
    return standin("GET", "/_standin/calls").get(key, 0)


@unittest.skipUnless(PORT, "E2E_GRAFANA_PORT is not set (tests/e2e/run.sh sets it)")
class WithGrafana(ApiTestCase):
    @classmethod
    def setUpClass(cls):
        cls.grafana = StandIn("grafana_standin.py", PORT)
        time.sleep(3.2)  # refusals cached while Grafana was away are used up to 3 s

    @classmethod
    def tearDownClass(cls):
        cls.grafana.stop()

    def wait_uncached(self):
        time.sleep(3.2)  # the gateway's answers are fresh for 3 s (--auth-cache-ms)

    def test_basic_users_and_roles(self):
        me = rest("GET", "/v1/users/me", auth=GVIEWER)
        self.assertStatus(me, 200)
        self.assertEqual(me.json["user_id"], 203)  # Grafana's id keys user.v1
        self.assertErrorBody(rest("GET", "/v1/server/settings", auth=GVIEWER), 401, 7, "Access denied.")
        self.assertStatus(rest("GET", "/v1/server/settings", auth=GADMIN), 200)  # a Grafana server admin
        self.assertErrorBody(rest("GET", "/v1/server/settings", auth=GEDITOR), 401, 7, "Access denied.")
        self.assertStatus(rest("GET", "/v1/server/version", auth=GEDITOR), 200)
        # no role in organisation 1: nothing but public routes
        self.assertErrorBody(rest("GET", "/v1/server/version", auth=GNONE), 401, 7, "Access denied.")
        self.assertErrorBody(rest("GET", "/v1/server/version", auth=("gviewer", "wrong")), 401, 16, "Unauthorized")
        # our own users still work, and gRPC takes Grafana's users too
        self.assertStatus(rest("GET", "/v1/server/settings", auth=ADMIN), 200)
        with channel() as ch:
            with self.assertRaises(grpc.RpcError) as e:
                unary(ch, M + "AddAnnotation", annotation_pb2.AddAnnotationRequest(text="x"),
                      annotation_pb2.AddAnnotationResponse, metadata=(("authorization", basic(*GVIEWER)),))
            self.assertGrpcError(e.exception, grpc.StatusCode.PERMISSION_DENIED, "Access denied.")

    def test_session_cookie(self):
        cookie = {"Cookie": "grafana_session_expiry=1; grafana_session=sess-gviewer"}
        r = http_call(REST, "GET", "/v1/users/me", auth=None, headers=cookie)
        self.assertEqual((r.status, r.json["user_id"]), (200, 203))
        self.assertErrorBody(http_call(REST, "GET", "/v1/server/settings", auth=None, headers=cookie), 401, 7,
                             "Access denied.")
        r = http_call(REST, "GET", "/v1/server/version", auth=None, headers={"Cookie": "grafana_session=sess-nobody"})
        self.assertErrorBody(r, 401, 16, "Unauthorized")
        # another cookie alone is no credential (Grafana is not even asked)
        before = calls("GET /api/user")
        r = http_call(REST, "GET", "/v1/server/version", auth=None, headers={"Cookie": "other=sess-gviewer"})
        self.assertErrorBody(r, 401, 16, "Unauthorized")
        self.assertEqual(calls("GET /api/user"), before)
        # nginx's auth_request passes the cookie on
        self.assertEqual(auth_request("/v1/server/version", headers={"Cookie": "grafana_session=sess-gadmin"}).status,
                         200)
        self.assertEqual(auth_request("/v1/server/settings", headers={"Cookie": "grafana_session=sess-gviewer"}).status,
                         401)

    def test_api_key_and_service_account_token(self):
        self.assertStatus(rest("GET", "/v1/server/settings", auth="Bearer " + SA_TOKEN), 200)
        self.assertStatus(rest("GET", "/v1/server/settings", auth=basic("service_token", SA_TOKEN)), 200)
        # an API key: /api/auth/serviceaccount says null, /api/auth/key tells the role
        before = calls("GET /api/auth/key")
        self.assertStatus(rest("GET", "/v1/server/version", auth="Bearer key-editor"), 200)
        self.assertErrorBody(rest("GET", "/v1/server/settings", auth="Bearer key-editor"), 401, 7, "Access denied.")
        self.assertEqual(calls("GET /api/auth/key"), before + 1)  # the second answer came from the cache
        self.assertErrorBody(rest("GET", "/v1/server/version", auth="Bearer glsa_nobody"), 401, 16, "Unauthorized")

    def test_one_question_per_credential_and_ttl(self):
        user = basic(*GEDITOR)
        self.wait_uncached()
        standin("POST", "/_standin/delay", {"ms": 400})
        try:
            before = calls("GET /api/user")
            results = []

            def one():
                results.append(http_call(REST, "GET", "/v1/server/version", auth=user).status)

            threads = [threading.Thread(target=one) for _ in range(12)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            self.assertEqual(results, [200] * 12)
            self.assertEqual(calls("GET /api/user"), before + 1)
        finally:
            standin("POST", "/_standin/delay", {"ms": 0})
        self.assertStatus(rest("GET", "/v1/server/version", auth=user), 200)
        self.assertEqual(calls("GET /api/user"), before + 1)  # within 3 s: cached
        self.wait_uncached()
        self.assertStatus(rest("GET", "/v1/server/version", auth=user), 200)
        self.assertEqual(calls("GET /api/user"), before + 2)

    def test_add_annotation_through_grafana(self):
        n = len(standin("GET", "/_standin/annotations"))
        t0 = int(time.time() * 1000)
        r = rest("POST", "/v1/management/annotations", {"text": "deploy", "tags": ["release"], "node_name": "pmm-server"},
                 auth=GADMIN)
        self.assertEqual((r.status, r.json), (200, {}))
        r = rest("POST", "/v1/management/annotations", {"text": "plain", "tags": ["t1"]}, auth=GEDITOR)
        self.assertStatus(r, 401)  # AddAnnotation is under /v1/management/: admin
        r = rest("POST", "/v1/management/annotations", {"text": "plain", "tags": ["t1"]}, auth="Bearer " + SA_TOKEN)
        self.assertStatus(r, 200)
        got = standin("GET", "/_standin/annotations")[n:]
        self.assertEqual(len(got), 2)
        self.assertEqual((got[0]["text"], got[0]["tags"]), ("deploy (Node Name: pmm-server)", ["release", "pmm-server"]))
        self.assertEqual(got[0]["authorization"], basic(*GADMIN))  # the caller's own
        self.assertTrue(t0 - 1000 <= got[0]["time"] <= int(time.time() * 1000) + 1000, got[0])
        self.assertEqual((got[1]["text"], got[1]["tags"]), ("plain", ["pmm_annotation", "t1"]))
        self.assertEqual(got[1]["authorization"], "Bearer " + SA_TOKEN)
        # one of our own admins: Grafana does not know the credentials
        r = rest("POST", "/v1/management/annotations", {"text": "ours"})
        self.assertEqual((r.status, r.json["code"]), (500, 2))
        self.assertEqual(r.json["message"], 'failed to create annotation: clientError: POST %s/api/annotations -> 401 '
                                            '{"message": "Unauthorized"}' % BASE)
        # a session cookie alone carries no Authorization to pass on
        r = http_call(REST, "POST", "/v1/management/annotations", {"text": "x"}, auth=None,
                      headers={"Cookie": "grafana_session=sess-gadmin"})
        self.assertErrorBody(r, 401, 16, "Authorization error.")
        # the checks before: upstream's texts
        r = rest("POST", "/v1/management/annotations", {"text": "x", "service_names": ["no-service"]}, auth=GADMIN)
        self.assertErrorBody(r, 404, 5, 'Service with name "no-service" not found.')

    def test_register_node_service_account(self):
        name = unique("gf-node")
        r = rest("POST", "/v1/management/nodes", register_body(name), auth=GADMIN)
        self.assertStatus(r, 200)
        self.addCleanup(rest, "DELETE", "/v1/management/nodes/%s?force=true" % quote(r.json["generic_node"]["node_id"]))
        token = r.json["token"]
        self.assertTrue(token.startswith("glsa_"), token)
        sa = [a for a in standin("GET", "/_standin/serviceaccounts") if a["name"] == "pmm-agent-sa-" + name]
        self.assertEqual(len(sa), 1)
        self.assertEqual((sa[0]["role"], sa[0]["orgId"]), ("Admin", 1))
        self.assertEqual([t["name"] for t in sa[0]["tokens"].values()], ["pmm-agent-st-" + name])
        # the agent's token works (Grafana says who it is)
        self.assertStatus(rest("GET", "/v1/server/settings", auth="Bearer " + token), 200)
        # re-registering replaces the agent's token
        r = rest("POST", "/v1/management/nodes", register_body(name, reregister=True), auth=GADMIN)
        self.assertStatus(r, 200)
        self.addCleanup(rest, "DELETE", "/v1/management/nodes/%s?force=true" % quote(r.json["generic_node"]["node_id"]))
        self.assertNotEqual(r.json["token"], token)
        sa = [a for a in standin("GET", "/_standin/serviceaccounts") if a["name"] == "pmm-agent-sa-" + name]
        self.assertEqual([t["key"] for t in sa[0]["tokens"].values()], [r.json["token"]])
        # a caller with a token: that token, as upstream
        other = unique("gf-node")
        r = rest("POST", "/v1/management/nodes", register_body(other), auth="Bearer " + SA_TOKEN)
        self.assertStatus(r, 200)
        self.addCleanup(rest, "DELETE", "/v1/management/nodes/%s?force=true" % quote(r.json["generic_node"]["node_id"]))
        self.assertEqual(r.json["token"], SA_TOKEN)
        # one of our own admins: our own service token, as without Grafana
        ours = unique("gf-node")
        r = rest("POST", "/v1/management/nodes", register_body(ours))
        self.assertStatus(r, 200)
        self.addCleanup(rest, "DELETE", "/v1/management/nodes/%s?force=true" % quote(r.json["generic_node"]["node_id"]))
        self.assertFalse(r.json["token"].startswith("glsa_"))
        self.assertStatus(rest("GET", "/v1/server/version", auth="Bearer " + r.json["token"]), 200)
        self.assertEqual([a for a in standin("GET", "/_standin/serviceaccounts") if a["name"].endswith(ours)], [])

    def test_unregister_node_deletes_service_account(self):
        name = unique("gf-unreg")
        r = rest("POST", "/v1/management/nodes", register_body(name), auth=GADMIN)
        self.assertStatus(r, 200)
        node_id = r.json["generic_node"]["node_id"]
        token = r.json["token"]
        r = rest("DELETE", "/v1/management/nodes/%s?force=true" % quote(node_id), auth=GADMIN)
        self.assertEqual((r.status, r.json), (200, {"warning": ""}))
        self.assertEqual([a for a in standin("GET", "/_standin/serviceaccounts") if a["name"].endswith(name)], [])
        self.assertErrorBody(rest("GET", "/v1/server/version", auth="Bearer " + token), 401, 16, "Unauthorized")
        # no account in Grafana (a node we registered ourselves): a warning, the node is gone all the same
        other = unique("gf-unreg")
        r = rest("POST", "/v1/management/nodes", register_body(other))
        self.assertStatus(r, 200)
        node_id = r.json["generic_node"]["node_id"]
        r = rest("DELETE", "/v1/management/nodes/%s?force=true" % quote(node_id), auth=GADMIN)
        self.assertEqual((r.status, r.json), (200, {"warning": "service account pmm-agent-sa-%s not found" % other}))
        self.assertErrorBody(rest("GET", "/v1/inventory/nodes/%s" % quote(node_id)), 404, 5)


@unittest.skipUnless(PORT, "E2E_GRAFANA_PORT is not set (tests/e2e/run.sh sets it)")
class GrafanaAway(ApiTestCase):
    """Nothing listens on BASE+14."""

    def test_refusals_stand_and_annotations_fail(self):
        self.assertErrorBody(rest("GET", "/v1/server/version", auth=GVIEWER), 401, 16, "Unauthorized")
        self.assertStatus(rest("GET", "/v1/server/version"), 200)  # our own admin
        r = rest("POST", "/v1/management/annotations", {"text": "deploy", "node_name": "pmm-server"})
        self.assertEqual((r.status, r.json["code"]), (500, 2))
        self.assertEqual(r.json["message"], 'failed to create annotation: Post "%s/api/annotations": dial tcp '
                                            '127.0.0.1:%d: connect: connection refused' % (BASE, PORT))
        # upstream's checks and texts come first
        r = rest("POST", "/v1/management/annotations", {"text": "", "tags": ["a"]})
        self.assertErrorBody(r, 400, 3, "invalid AddAnnotationRequest.Text: value length must be at least 1 runes")
        r = rest("POST", "/v1/management/annotations", {"text": "deploy", "node_name": "no-node"})
        self.assertErrorBody(r, 404, 5, "Node with name \"no-node\" not found.")


if __name__ == "__main__":
    unittest.main()
