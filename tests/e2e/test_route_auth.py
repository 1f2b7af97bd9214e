"""Every route of the generated route table (build/<kind>/gen/routes.c,
made from the protos' google.api.http options) walked anonymously and with
every role below its minimum: each non-public route answers upstream's 401
({code 16, "Unauthorized"} without credentials, {code 7, "Access denied."}
for a role too low), and so does each gRPC method without credentials. The
minimum roles are api.md §3.3's table, written out here on their own (not
read from the gateway), so a route added to a proto without a rule is
caught as needing admin, never left open."""
import os
import re

import grpc

from e2elib import ApiTestCase, GRPC, REST, http_call, unique
from test_auth import pmmctl

ROUTES_C = os.path.join(os.environ["PMM_BIN_DIR"], "..", "gen", "routes.c")
RANK = {"": 0, "viewer": 1, "editor": 2, "admin": 3}

# api.md §3.3 (and our lockout.v1: admin). Platform reads: every
# /v1/platform/ read is a viewer's, as upstream's auth server rules.
RULES = {
    "/v1/inventory/": "admin", "/v1/management/": "admin", "/v1/actions:startServiceAction": "viewer",
    "/v1/advisors": "editor", "/v1/server/updates": "viewer", "/v1/server/updates:start": "admin",
    "/v1/server/updates:getStatus": "", "/v1/server/settings": "admin", "/v1/server/settings/readonly": "viewer",
    "/v1/server/AWSInstance": "", "/v1/server/version": "viewer", "/v1/server/readyz": "",
    "/v1/server/leaderHealthCheck": "", "/v1/server/logs.zip": "admin", "/v1/backups": "admin",
    "/v1/dumps": "admin", "/v1/accesscontrol": "admin", "/v1/users": "viewer", "/v1/platform:connect": "admin",
    "/v1/platform:disconnect": "admin", "/v1/platform/": "viewer", "/v1/qan/": "viewer", "/v1/lockouts": "admin",
    # api.md §4.3: v2 paths kept as aliases of /v1/server/readyz and
    # /v1/server/version, so they carry those paths' rules
    "/v1/readyz": "", "/v1/version": "viewer",
}


def required_role(path):
    """The longest rule that is the path cut at '/', '.' or ':' (upstream's
    nextPrefix walk); admin when none."""
    best = None
    for prefix, role in RULES.items():
        if not path.startswith(prefix):
            continue
        cut = len(prefix) == len(path) or prefix[-1] in "/.:" or path[len(prefix)] in "/.:"
        if cut and (best is None or len(prefix) > len(best[0])):
            best = (prefix, role)
    return best[1] if best else "admin"


def routes():
    text = open(ROUTES_C).read()
    found = re.findall(r'\{"(GET|POST|PUT|DELETE|PATCH)", "([^"]*)", "[^"]*", "(/[^"]+)"', text)
    assert len(found) > 50, "route table not found in %s" % ROUTES_C
    return [(verb, re.sub(r"\{[^}]*\}", "x", pattern), method) for verb, pattern, method in found]


class RouteTableAuth(ApiTestCase):
    @classmethod
    def setUpClass(cls):
        cls.users = {}
        for role in ("viewer", "editor"):
            login = unique("walk-" + role)
            r = pmmctl("user", "add", login, "--role=" + role, password=login + "-pw")
            assert r.returncode == 0, r.stderr
            cls.users[role] = (login, login + "-pw")

    @classmethod
    def tearDownClass(cls):
        for login, _ in cls.users.values():
            pmmctl("user", "remove", login)

    def refusal(self, verb, path, auth, code, message):
        r = http_call(REST, verb, path, b"{}" if verb in ("POST", "PUT", "PATCH") else None, auth=auth)
        self.assertEqual(r.status, 401, "%s %s: %r" % (verb, path, r))
        self.assertEqual((r.json["code"], r.json["message"]), (code, message), "%s %s" % (verb, path))

    def test_every_route_refuses_anonymous_and_low_roles(self):
        table = routes()
        public = 0
        for verb, path, _ in table:
            need = required_role(path)
            with self.subTest(verb=verb, path=path, need=need):
                if need == "":
                    public += 1
                    r = http_call(REST, verb, path, b"{}" if verb in ("POST", "PUT") else None, auth=None)
                    self.assertNotEqual(r.status, 401, "%s %s is public: %r" % (verb, path, r))
                    continue
                self.refusal(verb, path, None, 16, "Unauthorized")
                for role, auth in self.users.items():
                    if RANK[role] < RANK[need]:
                        self.refusal(verb, path, auth, 7, "Access denied.")
        self.assertGreaterEqual(public, 3)

    def test_every_grpc_method_refuses_anonymous(self):
        ch = grpc.insecure_channel(GRPC)
        methods = sorted({m for _, _, m in routes()})
        for method in methods:
            paths = [p for _, p, m in routes() if m == method]
            if any(required_role(p) == "" for p in paths):
                continue
            with self.subTest(method=method):
                call = ch.unary_unary(method, request_serializer=lambda b: b, response_deserializer=lambda b: b)
                with self.assertRaises(grpc.RpcError) as e:
                    call(b"", timeout=10)
                self.assertEqual(e.exception.code(), grpc.StatusCode.UNAUTHENTICATED, method)
        ch.close()
