"""accesscontrol.v1beta1 and user.v1 (api.md §4.9, §4.10, §9.2; advisors.md
§11): every RPC over REST (one over gRPC), upstream's texts and codes, the
default role, the replacement role on delete; and label-based access control
through the suite's nginx, the gateway's vmproxy and VictoriaMetrics: a user
with a role sees only the series its filter selects, a change of role applies
to the next query, and an invalid X-Proxy-Filter is refused with 412."""
import base64
import json
import os
import time
import urllib.parse

import grpc

from e2elib import ApiTestCase, ADMIN, channel, http_call, rest, unary, unique
from test_auth import auth_request, pmmctl
from accesscontrol.v1beta1 import accesscontrol_pb2 as acpb

VM = os.environ["E2E_VM"]
NGINX = os.environ["E2E_NGINX_HTTP"]
VMPROXY = "http://127.0.0.1:%d" % (int(os.environ["PMM_PORT_BASE"]) + 19)


def new_user(test, role="viewer"):
    login = unique("ac-" + role)
    r = pmmctl("user", "add", login, "--role=" + role, password=login + "-pw")
    test.assertEqual(r.returncode, 0, r.stderr)
    test.addCleanup(pmmctl, "user", "remove", login)
    auth = (login, login + "-pw")
    me = rest("GET", "/v1/users/me", auth=auth)
    test.assertEqual(me.status, 200, me)
    return auth, me.json["user_id"]


def create_role(test, title=None, filter_="", description=""):
    r = rest("POST", "/v1/accesscontrol/roles",
             {"title": title or unique("role"), "filter": filter_, "description": description})
    test.assertEqual(r.status, 200, r)
    role_id = r.json["role_id"]
    test.addCleanup(rest, "DELETE", "/v1/accesscontrol/roles/%d" % role_id)
    return role_id


def default_role_id():
    return rest("GET", "/v1/server/settings").json["settings"]["default_role_id"]


class Roles(ApiTestCase):
    def test_create_get_list_update(self):
        title = unique("role")
        role_id = create_role(self, title, '{service_type="mysql"}', "MySQL only")
        self.assertGreater(role_id, 0)
        r = rest("GET", "/v1/accesscontrol/roles/%d" % role_id)
        self.assertEqual(r.json, {"role_id": role_id, "title": title, "filter": '{service_type="mysql"}',
                                  "description": "MySQL only"})
        roles = rest("GET", "/v1/accesscontrol/roles").json["roles"]
        self.assertIn({"role_id": role_id, "title": title, "filter": '{service_type="mysql"}',
                       "description": "MySQL only"}, roles)
        self.assertIn("Full access", [x["title"] for x in roles])
        # only the fields given change
        self.assertStatus(rest("PUT", "/v1/accesscontrol/roles/%d" % role_id, {"description": "changed"}), 200)
        r = rest("GET", "/v1/accesscontrol/roles/%d" % role_id)
        self.assertEqual((r.json["title"], r.json["filter"], r.json["description"]),
                         (title, '{service_type="mysql"}', "changed"))
        self.assertStatus(rest("PUT", "/v1/accesscontrol/roles/%d" % role_id, {"filter": "", "title": title + "x"}), 200)
        r = rest("GET", "/v1/accesscontrol/roles/%d" % role_id)
        self.assertEqual((r.json["title"], r.json["filter"]), (title + "x", ""))

    def test_validation_and_not_found(self):
        self.assertErrorBody(rest("POST", "/v1/accesscontrol/roles", {"title": ""}), 400, 3,
                             "invalid CreateRoleRequest.Title: value length must be at least 1 runes")
        self.assertErrorBody(rest("GET", "/v1/accesscontrol/roles/0"), 400, 3,
                             "invalid GetRoleRequest.RoleId: value must be greater than 0")
        self.assertErrorBody(rest("PUT", "/v1/accesscontrol/roles/0", {}), 400, 3,
                             "invalid UpdateRoleRequest.RoleId: value must be greater than 0")
        role_id = create_role(self)
        self.assertErrorBody(rest("PUT", "/v1/accesscontrol/roles/%d" % role_id, {"title": ""}), 400, 3,
                             "invalid UpdateRoleRequest.Title: value length must be at least 1 runes")
        self.assertErrorBody(rest("DELETE", "/v1/accesscontrol/roles/0"), 400, 3,
                             "invalid DeleteRoleRequest.RoleId: value must be greater than 0")
        self.assertErrorBody(rest("POST", "/v1/accesscontrol/roles:assign", {"role_ids": [1]}), 400, 3,
                             "invalid AssignRolesRequest.UserId: value must be greater than 0")
        self.assertErrorBody(rest("POST", "/v1/accesscontrol/roles:setDefault", {}), 400, 3,
                             "invalid SetDefaultRoleRequest.RoleId: value must be greater than 0")
        missing = 4000000000
        for method, path, body in (("GET", "/v1/accesscontrol/roles/%d" % missing, None),
                                   ("PUT", "/v1/accesscontrol/roles/%d" % missing, {"title": "x"}),
                                   ("DELETE", "/v1/accesscontrol/roles/%d" % missing, None),
                                   ("POST", "/v1/accesscontrol/roles:assign", {"user_id": 1, "role_ids": [missing]})):
            with self.subTest(method=method, path=path):
                self.assertErrorBody(rest(method, path, body), 404, 5, "Role not found")
        # upstream passes these model errors through unmapped: gRPC Unknown
        self.assertErrorBody(rest("POST", "/v1/accesscontrol/roles:setDefault", {"role_id": missing}), 500, 2,
                             "RoleNotFound")
        self.assertErrorBody(rest("DELETE", "/v1/accesscontrol/roles/%d?replacement_role_id=%d" % (role_id, missing)),
                             404, 5, "Role not found")

    def test_titles_are_unique(self):
        title = unique("role")
        create_role(self, title)
        r = rest("POST", "/v1/accesscontrol/roles", {"title": title})
        self.assertErrorBody(r, 500, 2, 'pq: duplicate key value violates unique constraint "roles_title_key"')
        other = create_role(self)
        r = rest("PUT", "/v1/accesscontrol/roles/%d" % other, {"title": title})
        self.assertErrorBody(r, 500, 2, 'pq: duplicate key value violates unique constraint "roles_title_key"')

    def test_default_role(self):
        full = default_role_id()
        self.assertGreater(full, 0)
        self.assertEqual(rest("GET", "/v1/accesscontrol/roles/%d" % full).json["title"], "Full access")
        self.assertErrorBody(rest("DELETE", "/v1/accesscontrol/roles/%d" % full), 500, 2, "RoleIsDefaultRole")
        role_id = create_role(self)
        self.assertStatus(rest("POST", "/v1/accesscontrol/roles:setDefault", {"role_id": role_id}), 200)
        self.addCleanup(rest, "POST", "/v1/accesscontrol/roles:setDefault", {"role_id": full})
        self.assertEqual(default_role_id(), role_id)
        self.assertErrorBody(rest("DELETE", "/v1/accesscontrol/roles/%d" % role_id), 500, 2, "RoleIsDefaultRole")
        self.assertStatus(rest("POST", "/v1/accesscontrol/roles:setDefault", {"role_id": full}), 200)
        self.assertEqual(default_role_id(), full)

    def test_assign_list_users_and_replacement_on_delete(self):
        _, alice = new_user(self)
        _, bob = new_user(self)
        a, b, c = create_role(self), create_role(self), create_role(self)
        self.assertStatus(rest("POST", "/v1/accesscontrol/roles:assign", {"user_id": alice, "role_ids": [a]}), 200)
        self.assertStatus(rest("POST", "/v1/accesscontrol/roles:assign", {"user_id": bob, "role_ids": [a, b]}), 200)
        users = {u["user_id"]: u.get("role_ids", []) for u in rest("GET", "/v1/users").json["users"]}
        self.assertEqual(users[alice], [a])
        self.assertEqual(users[bob], [a, b])
        # a is alice's only role: she gets c; bob keeps b only
        self.assertStatus(rest("DELETE", "/v1/accesscontrol/roles/%d?replacement_role_id=%d" % (a, c)), 200)
        users = {u["user_id"]: u.get("role_ids", []) for u in rest("GET", "/v1/users").json["users"]}
        self.assertEqual(users[alice], [c])
        self.assertEqual(users[bob], [b])
        self.assertErrorBody(rest("GET", "/v1/accesscontrol/roles/%d" % a), 404, 5, "Role not found")
        # without a replacement every assignment goes
        self.assertStatus(rest("DELETE", "/v1/accesscontrol/roles/%d" % c), 200)
        users = {u["user_id"]: u.get("role_ids", []) for u in rest("GET", "/v1/users").json["users"]}
        self.assertEqual(users[alice], [])
        # assigning replaces; an unknown role undoes the whole call
        self.assertStatus(rest("POST", "/v1/accesscontrol/roles:assign", {"user_id": bob, "role_ids": []}), 200)
        self.assertErrorBody(rest("POST", "/v1/accesscontrol/roles:assign", {"user_id": bob, "role_ids": [b, 4000000000]}),
                             404, 5, "Role not found")
        users = {u["user_id"]: u.get("role_ids", []) for u in rest("GET", "/v1/users").json["users"]}
        self.assertEqual(users[bob], [])

    def test_grpc_and_admin_only(self):
        ch = channel()
        resp = unary(ch, "/accesscontrol.v1beta1.AccessControlService/ListRoles", acpb.ListRolesRequest(),
                     acpb.ListRolesResponse)
        self.assertIn("Full access", [r.title for r in resp.roles])
        with self.assertRaises(grpc.RpcError) as e:
            unary(ch, "/accesscontrol.v1beta1.AccessControlService/GetRole", acpb.GetRoleRequest(role_id=0),
                  acpb.GetRoleResponse)
        self.assertGrpcError(e.exception, grpc.StatusCode.INVALID_ARGUMENT,
                             "invalid GetRoleRequest.RoleId: value must be greater than 0")
        viewer, _ = new_user(self)
        self.assertErrorBody(rest("GET", "/v1/accesscontrol/roles", auth=viewer), 401, 7, "Access denied.")


class Users(ApiTestCase):
    def test_flags(self):
        auth, uid = new_user(self)
        r = rest("GET", "/v1/users/me", auth=auth)
        self.assertEqual(r.json, {"user_id": uid, "product_tour_completed": False, "alerting_tour_completed": False,
                                  "snoozed_pmm_version": ""})
        r = rest("PUT", "/v1/users/me", {"product_tour_completed": True}, auth=auth)
        self.assertEqual(r.json, {"user_id": uid, "product_tour_completed": True, "alerting_tour_completed": False,
                                  "snoozed_pmm_version": ""})
        r = rest("PUT", "/v1/users/me", {"alerting_tour_completed": True, "snoozed_pmm_version": "3.1.0"}, auth=auth)
        self.assertEqual(r.json, {"user_id": uid, "product_tour_completed": True, "alerting_tour_completed": True,
                                  "snoozed_pmm_version": "3.1.0"})
        # nothing given: nothing changes; false is a value
        self.assertEqual(rest("PUT", "/v1/users/me", {}, auth=auth).json["snoozed_pmm_version"], "3.1.0")
        r = rest("PUT", "/v1/users/me", {"product_tour_completed": False}, auth=auth)
        self.assertEqual(r.json["product_tour_completed"], False)
        self.assertEqual(rest("GET", "/v1/users/me", auth=auth).json["alerting_tour_completed"], True)
        # each user its own flags
        other, _ = new_user(self)
        self.assertEqual(rest("GET", "/v1/users/me", auth=other).json["product_tour_completed"], False)

    def test_update_before_any_get_and_tokens(self):
        login = unique("ac-fresh")
        self.assertEqual(pmmctl("user", "add", login, "--role=viewer", password="pw-" + login).returncode, 0)
        self.addCleanup(pmmctl, "user", "remove", login)
        # upstream: FindUser -> Unavailable "User not found"
        self.assertErrorBody(rest("PUT", "/v1/users/me", {"product_tour_completed": True}, auth=(login, "pw-" + login)),
                             503, 14, "User not found")
        token = pmmctl("token", "create", unique("ac-token"), "--role=viewer").stdout.strip()
        self.assertErrorBody(rest("GET", "/v1/users/me", auth="Bearer " + token), 401, 16, "Unauthorized")
        self.assertErrorBody(rest("GET", "/v1/users/me", auth=None), 401, 16, "Unauthorized")

    def test_list_users(self):
        _, uid = new_user(self)
        users = rest("GET", "/v1/users").json["users"]
        self.assertIn(uid, [u["user_id"] for u in users])
        self.assertEqual(sorted(u["user_id"] for u in users), [u["user_id"] for u in users])


def set_access_control(on):
    r = rest("PUT", "/v1/server/settings", {"enable_access_control": on})
    assert r.status == 200, r


def write_series(lines):
    """Samples two minutes old (VictoriaMetrics hides the last 30 s from queries)."""
    ts = int(time.time() - 120) * 1000
    body = "".join("%s 1 %d\n" % (l, ts) for l in lines).encode()
    r = http_call(VM, "POST", "/prometheus/api/v1/import/prometheus", body, auth=None)
    assert r.status == 204, r
    return ts // 1000


def query(auth, expr, at, base=NGINX, extra=""):
    path = "/prometheus/api/v1/query?" + urllib.parse.urlencode({"query": expr, "time": at + 30, "nocache": "1"}) + extra
    return http_call(base, "GET", path, auth=auth)


def instances(resp):
    assert resp.status == 200, resp
    return sorted(r["metric"].get("instance", "") for r in resp.json["data"]["result"])


class LabelBasedAccess(ApiTestCase):
    @classmethod
    def setUpClass(cls):
        cls.metric = "lbac_e2e_" + unique("m").replace("-", "_")
        cls.at = write_series(['%s{instance="a",env="prod",service_type="mysql"}' % cls.metric,
                               '%s{instance="b",env="dev",service_type="mysql"}' % cls.metric,
                               '%s{instance="c",env="prod",service_type="postgresql"}' % cls.metric])
        set_access_control(True)
        deadline = time.time() + 30
        while time.time() < deadline and len(instances(query(ADMIN, cls.metric, cls.at))) < 3:
            time.sleep(0.5)

    @classmethod
    def tearDownClass(cls):
        set_access_control(False)

    def test_filters_apply_and_change_without_restart(self):
        # /prometheus/ needs admin (api.md §3.3): an admin restricted by roles
        auth, uid = new_user(self, "admin")
        prod = create_role(self, filter_='{env="prod"}')
        mysql_prod = create_role(self, filter_='{env="prod", service_type="mysql"}')
        dev = create_role(self, filter_='{env="dev"}')
        # first sight: the default role (Full access)
        self.assertEqual(instances(query(auth, self.metric, self.at)), ["a", "b", "c"])
        rest("POST", "/v1/accesscontrol/roles:assign", {"user_id": uid, "role_ids": [mysql_prod]})
        self.assertEqual(instances(query(auth, self.metric, self.at)), ["a"])   # matchers ANDed
        rest("POST", "/v1/accesscontrol/roles:assign", {"user_id": uid, "role_ids": [prod, dev]})
        self.assertEqual(instances(query(auth, self.metric, self.at)), ["a", "b", "c"])  # roles ORed
        rest("POST", "/v1/accesscontrol/roles:assign", {"user_id": uid, "role_ids": [dev]})
        self.assertEqual(instances(query(auth, self.metric, self.at)), ["b"])
        rest("PUT", "/v1/accesscontrol/roles/%d" % dev, {"filter": '{instance=~"c|z"}'})
        self.assertEqual(instances(query(auth, self.metric, self.at)), ["c"])
        # the client's own extra_filters[] cannot widen it, in the URL or a form body
        widen = "&" + urllib.parse.urlencode({"extra_filters[]": '{__name__=~".+"}'})
        self.assertEqual(instances(query(auth, self.metric, self.at, extra=widen)), ["c"])
        form = urllib.parse.urlencode({"query": self.metric, "time": self.at + 30, "nocache": "1",
                                       "extra_filters[]": '{instance="a"}', "extra_filters": '{instance="b"}'})
        r = http_call(NGINX, "POST", "/prometheus/api/v1/query", form.encode(), auth=auth,
                      headers={"Content-Type": "application/x-www-form-urlencoded"})
        self.assertEqual(instances(r), ["c"])
        # a role with an empty filter gives full access, whatever the others say
        full = default_role_id()
        rest("POST", "/v1/accesscontrol/roles:assign", {"user_id": uid, "role_ids": [dev, full]})
        self.assertEqual(instances(query(auth, self.metric, self.at)), ["a", "b", "c"])
        # the setting off: no filters at all
        rest("POST", "/v1/accesscontrol/roles:assign", {"user_id": uid, "role_ids": [dev]})
        set_access_control(False)
        try:
            self.assertEqual(instances(query(auth, self.metric, self.at)), ["a", "b", "c"])
        finally:
            set_access_control(True)
        self.assertEqual(instances(query(auth, self.metric, self.at)), ["c"])
        # series and label reads are filtered too
        r = http_call(NGINX, "GET", "/prometheus/api/v1/series?" + urllib.parse.urlencode(
            {"match[]": self.metric, "start": self.at - 60, "end": self.at + 60}), auth=auth)
        self.assertEqual(sorted(s["instance"] for s in r.json["data"]), ["c"])

    def test_auth_request_header_and_viewer(self):
        auth, uid = new_user(self, "admin")
        role = create_role(self, filter_='{env="prod"}')
        rest("POST", "/v1/accesscontrol/roles:assign", {"user_id": uid, "role_ids": [role]})
        r = auth_request("/prometheus/api/v1/query?query=up", auth=auth)
        self.assertEqual(r.status, 200)
        self.assertEqual(json.loads(base64.b64decode(r.headers["x-proxy-filter"])), ['{env="prod"}'])
        # only the reference's paths get it
        self.assertNotIn("x-proxy-filter", auth_request("/v1/server/version", auth=auth).headers)
        # a viewer never reaches /prometheus/ (admin, api.md §3.3)
        viewer, _ = new_user(self)
        r = query(viewer, self.metric, self.at)
        self.assertEqual((r.status, r.json), (401, {"code": 7, "error": "Access denied.", "message": "Access denied."}))

    def test_vmproxy_refuses_an_invalid_header(self):
        for bad in ("not base64!", base64.b64encode(b"{}").decode(), base64.b64encode(b'["up{"]').decode(),
                    base64.b64encode(b'[1]').decode(), base64.b64encode(b'[]').decode()):
            with self.subTest(header=bad):
                r = http_call(VMPROXY, "GET", "/prometheus/api/v1/query?query=up", auth=None,
                              headers={"X-Proxy-Filter": bad})
                self.assertEqual(r.status, 412, r)
        good = base64.b64encode(json.dumps(['{instance="b"}']).encode()).decode()
        r = query(None, self.metric, self.at, base=VMPROXY)
        self.assertEqual(instances(r), ["a", "b", "c"])  # no header: as it is
        path = "/prometheus/api/v1/query?" + urllib.parse.urlencode({"query": self.metric, "time": self.at + 30})
        r = http_call(VMPROXY, "GET", path, auth=None, headers={"X-Proxy-Filter": good})
        self.assertEqual(instances(r), ["b"])


class SelectorGrammarAgainstVictoriaMetrics(ApiTestCase):
    """The gateway's selector parser (common/promsel.c) and VictoriaMetrics
    agree: each string goes as the only X-Proxy-Filter to the vmproxy, which
    refuses (412) what the parser refuses and forwards the rest as
    extra_filters[]; VictoriaMetrics must then accept every string the
    parser accepted, and refuse on its own every string the parser refused."""

    ACCEPTED = [
        '{service_type="mysql"}', "up", 'up{job!="x"}', "{a=~'prod|stage',}", "{a!~`raw\\d+`}",
        ' { a = "b" , c != "d" } ', '{a="x\\"y"}', "{a='it\\'s'}", '{a="\\x41\\101\\u00e9"}', "node_cpu:rate5m",
        '{__name__=~"node_.*", instance!=""}', '{a="\\n\\t\\\\"}',
    ]
    REFUSED = [
        '{a="b"', "{a=b}", '{a=="b"}', '{a="b"} or vector(1)', '{1a="b"}', '{a="b",,c="d"}', '{a="\\q"}',
        'up{a="b"}[5m]', "rate(up[5m])", '{a="b" c="d"}', "",
    ]

    def verdicts(self, selector):
        header = base64.b64encode(json.dumps([selector]).encode()).decode()
        ours = http_call(VMPROXY, "GET", "/prometheus/api/v1/series?match[]=up&start=0", auth=None,
                         headers={"X-Proxy-Filter": header})
        vm = http_call(VM, "GET", "/prometheus/api/v1/series?" + urllib.parse.urlencode(
            {"match[]": "up", "start": 0, "extra_filters[]": selector}), auth=None)
        return ours.status, vm.status

    def test_agreement(self):
        for s in self.ACCEPTED:
            with self.subTest(selector=s):
                self.assertEqual(self.verdicts(s), (200, 200))
        for s in self.REFUSED:
            with self.subTest(selector=s):
                ours, vm = self.verdicts(s)
                self.assertEqual(ours, 412)
                if s:  # VictoriaMetrics ignores an empty extra_filters[]
                    self.assertIn(vm, (400, 422), "VictoriaMetrics accepts %r" % s)
