"""After an ambiguous answer (503/504: the daemon may have committed before
it died), a retry gets the clean AlreadyExists or NotFound, never a second
copy (issue 16 item 7, README "What 503 means"): racing or repeated adds of
one service name, one user and one service token each make exactly one; a
repeated remove is NotFound. Nodes race in test_rest_nodes."""
import threading

from e2elib import ApiTestCase, rest, unique
from test_auth import pmmctl

SERVICES = "/v1/inventory/services"


def race(n, fn):
    """fn() from n threads at once; their results."""
    results = [None] * n
    barrier = threading.Barrier(n)

    def run(i):
        barrier.wait()
        results[i] = fn()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return results


class RetryAnswers(ApiTestCase):
    def test_racing_service_adds_make_one(self):
        node = self.add_node("generic", {"node_name": unique("retry-node"), "address": "10.5.0.1"})
        name = unique("retry-svc")
        body = {"mysql": {"service_name": name, "node_id": node["node_id"], "address": "10.5.0.1", "port": 3306}}
        results = race(8, lambda: rest("POST", SERVICES, body))
        ok = [r for r in results if r.status == 200]
        self.assertEqual(len(ok), 1, results)
        sid = ok[0].json["mysql"]["service_id"]
        for r in results:
            if r.status != 200:
                self.assertErrorBody(r, 409, 6, 'Service with name "%s" already exists.' % name)
        # the retry of an add that worked
        self.assertErrorBody(rest("POST", SERVICES, body), 409, 6)
        listed = rest("GET", SERVICES).json
        self.assertEqual(sum(1 for s in listed.get("mysql", []) if s["service_name"] == name), 1)
        # the retry of a remove that worked
        self.assertStatus(rest("DELETE", "%s/%s" % (SERVICES, sid)), 200)
        self.assertErrorBody(rest("DELETE", "%s/%s" % (SERVICES, sid)), 404, 5)

    def test_racing_token_creates_make_one(self):
        name = unique("retry-token")
        results = race(4, lambda: pmmctl("token", "create", name, "--role=viewer"))
        ok = [r for r in results if r.returncode == 0]
        self.assertEqual(len(ok), 1, [(r.returncode, r.stderr) for r in results])
        for r in results:
            if r.returncode != 0:
                self.assertIn("token %s already exists" % name, r.stderr)
        token = ok[0].stdout.strip()
        self.assertStatus(rest("GET", "/v1/server/version", auth="Bearer " + token), 200)
        self.assertEqual(pmmctl("token", "remove", name).returncode, 0)
        r = pmmctl("token", "remove", name)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("no token named " + name, r.stderr)

    def test_racing_user_adds_make_one(self):
        login = unique("retry-user")
        results = race(4, lambda: pmmctl("user", "add", login, "--role=viewer", password="pw-" + login))
        self.assertEqual(sum(1 for r in results if r.returncode == 0), 1,
                         [(r.returncode, r.stderr) for r in results])
        for r in results:
            if r.returncode != 0:
                self.assertIn("user %s already exists" % login, r.stderr)
        self.assertEqual(pmmctl("user", "remove", login).returncode, 0)
        r = pmmctl("user", "remove", login)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("no user " + login, r.stderr)
