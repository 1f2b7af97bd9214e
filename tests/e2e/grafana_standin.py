"""grafana_standin: a local stand-in for Grafana, NOT Grafana: only the HTTP
endpoints the suite calls, written from Grafana's HTTP API documentation
(grafana.com/docs/grafana/latest/developers/http_api/: user, org,
service accounts, annotations), plus the two that Percona's Grafana build
adds and upstream's pmm-managed asks (GET /api/auth/serviceaccount, GET
/api/auth/key):

- GET  /api/user                       the signed-in user (Basic or grafana_session cookie)
- GET  /api/user/orgs                  its organisations and roles
- GET  /api/auth/serviceaccount        a bearer token's service account (null for an API key)
- GET  /api/auth/key                   a bearer API key's role and organisation
- POST /api/serviceaccounts            create (name, role, Percona's "force")
- GET  /api/serviceaccounts/search     find by name (?query=)
- PATCH /api/serviceaccounts/:id       update (orgId)
- DELETE /api/serviceaccounts/:id      delete
- GET  /api/serviceaccounts/:id/tokens list tokens
- POST /api/serviceaccounts/:id/tokens create a token ("key" answered once)
- DELETE /api/serviceaccounts/:id/tokens/:tid
- POST /api/annotations                create an annotation (needs Editor)

Fixed users (password = login + "-pw"): gadmin (Grafana server admin),
geditor (Editor), gviewer (Viewer), gnone (in no organisation 1); session
cookies grafana_session=sess-<login>; the API key key-editor (Editor);
the service account token glsa_standin_admin (Admin).

Test hooks: GET /_standin/calls (calls per "METHOD /path-pattern"),
GET /_standin/annotations, GET /_standin/serviceaccounts,
POST /_standin/delay {"ms": N} (each API answer waits N ms: the
singleflight test makes concurrent misses overlap).

  /usr/bin/python3 tests/e2e/grafana_standin.py PORT

Binds 127.0.0.1:PORT only; runs until killed."""

import base64
import json
import re
import secrets
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

USERS = {
    "gadmin": {"id": 201, "admin": True, "role": "Admin"},
    "geditor": {"id": 202, "admin": False, "role": "Editor"},
    "gviewer": {"id": 203, "admin": False, "role": "Viewer"},
    "gnone": {"id": 204, "admin": False, "role": None},
}
API_KEYS = {"key-editor": {"id": 1, "role": "Editor", "orgId": 1}}

lock = threading.Lock()
calls = {}
annotations = []
accounts = {}  # id -> {"id", "name", "role", "orgId", "tokens": {tid: {"id", "name", "key"}}}
sa_tokens = {"glsa_standin_admin": {"role": "Admin", "orgId": 1, "sa": 0}}
delay_ms = [0]
next_id = [300]


def new_id():
    next_id[0] += 1
    return next_id[0]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def answer(self, status, obj):
        body = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n) if n else b""
        return json.loads(raw) if raw else {}

    # ---- who is calling -----------------------------------------------------

    def user(self):
        """The user of Basic auth or the session cookie, or None."""
        authz = self.headers.get("Authorization", "")
        if authz.startswith("Basic "):
            try:
                login, _, password = base64.b64decode(authz[6:]).decode().partition(":")
            except (ValueError, UnicodeDecodeError):
                return None
            return login if login in USERS and password == login + "-pw" else None
        for part in self.headers.get("Cookie", "").split(";"):
            name, _, value = part.strip().partition("=")
            if name == "grafana_session" and value.startswith("sess-") and value[5:] in USERS:
                return value[5:]
        return None

    def bearer(self):
        authz = self.headers.get("Authorization", "")
        return authz[7:] if authz.startswith("Bearer ") else None

    def role(self):
        """Organisation 1 role of whoever calls (user, SA token, API key)."""
        login = self.user()
        if login:
            u = USERS[login]
            return "Admin" if u["admin"] else u["role"]
        token = self.bearer()
        if token in sa_tokens:
            return sa_tokens[token]["role"]
        if token in API_KEYS:
            return API_KEYS[token]["role"]
        return None

    def unauthorized(self):
        self.answer(401, {"message": "Unauthorized"})

    # ---- routing --------------------------------------------------------------

    def route(self, method):
        path = self.path.split("?", 1)[0]
        if path.startswith("/_standin/"):
            return self.hooks(method, path)
        pattern = re.sub(r"/\d+", "/:id", path)
        with lock:
            calls[method + " " + pattern] = calls.get(method + " " + pattern, 0) + 1
        if delay_ms[0]:
            time.sleep(delay_ms[0] / 1000)
        handler = getattr(self, "api_" + method + "_" + re.sub(r"[^a-z]+", "_", pattern.lower()).strip("_"), None)
        if not handler:
            return self.answer(404, {"message": "Not found"})
        ids = [int(x) for x in re.findall(r"/(\d+)", path)]
        with lock:
            handler(*ids)

    def hooks(self, method, path):
        with lock:
            if path == "/_standin/calls":
                return self.answer(200, calls)
            if path == "/_standin/annotations":
                return self.answer(200, annotations)
            if path == "/_standin/serviceaccounts":
                return self.answer(200, list(accounts.values()))
            if path == "/_standin/delay" and method == "POST":
                delay_ms[0] = int(self.body().get("ms", 0))
                return self.answer(200, {})
        self.answer(404, {"message": "Not found"})

    def do_GET(self):
        self.route("GET")

    def do_POST(self):
        self.route("POST")

    def do_PATCH(self):
        self.route("PATCH")

    def do_DELETE(self):
        self.route("DELETE")

    # ---- user and organisation --------------------------------------------

    def api_GET_api_user(self):
        login = self.user()
        if not login:
            return self.unauthorized()
        u = USERS[login]
        self.answer(200, {"id": u["id"], "email": login + "@example.invalid", "name": login, "login": login,
                          "orgId": 1, "isGrafanaAdmin": u["admin"]})

    def api_GET_api_user_orgs(self):
        login = self.user()
        if not login:
            return self.unauthorized()
        role = USERS[login]["role"]
        self.answer(200, [{"orgId": 1, "name": "Main Org.", "role": role}] if role else [])

    # ---- tokens (Percona's Grafana build) ----------------------------------

    def api_GET_api_auth_serviceaccount(self):
        token = self.bearer()
        if token in sa_tokens:
            t = sa_tokens[token]
            return self.answer(200, {"id": t["sa"], "orgId": t["orgId"], "role": t["role"]})
        if token in API_KEYS:
            return self.answer(200, None)  # not a service account: an API key
        self.unauthorized()

    def api_GET_api_auth_key(self):
        k = API_KEYS.get(self.bearer())
        if not k:
            return self.unauthorized()
        self.answer(200, {"id": k["id"], "orgId": k["orgId"], "name": "standin", "role": k["role"]})

    # ---- service accounts ---------------------------------------------------

    def admin_only(self):
        if self.role() != "Admin":
            self.answer(403 if self.role() else 401, {"message": "Permission denied"})
            return False
        return True

    def api_POST_api_serviceaccounts(self):
        if not self.admin_only():
            return
        b = self.body()
        for sa in accounts.values():
            if sa["name"] == b.get("name"):
                if b.get("force"):
                    return self.answer(201, {k: v for k, v in sa.items() if k != "tokens"})
                return self.answer(400, {"message": "service account already exists"})
        sa = {"id": new_id(), "name": b.get("name", ""), "login": "sa-" + b.get("name", ""), "orgId": -1,
              "role": b.get("role", "Viewer"), "tokens": {}}
        accounts[sa["id"]] = sa
        self.answer(201, {k: v for k, v in sa.items() if k != "tokens"})

    def account(self, sa_id):
        """The service account for an admin caller, else None (answered)."""
        if not self.admin_only():
            return None
        sa = accounts.get(sa_id)
        if not sa:
            self.answer(404, {"message": "service account not found"})
        return sa

    def api_PATCH_api_serviceaccounts_id(self, sa_id):
        sa = self.account(sa_id)
        if not sa:
            return
        b = self.body()
        for k in ("orgId", "role", "name"):
            if k in b:
                sa[k] = b[k]
        self.answer(200, {"message": "Service account updated", "id": sa_id,
                          "serviceaccount": {k: v for k, v in sa.items() if k != "tokens"}})

    def api_GET_api_serviceaccounts_search(self):
        if not self.admin_only():
            return
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query).get("query", [""])[0]
        found = [{k: v for k, v in sa.items() if k != "tokens"} for sa in accounts.values() if query in sa["name"]]
        self.answer(200, {"totalCount": len(found), "serviceAccounts": found, "page": 1, "perPage": 1000})

    def api_DELETE_api_serviceaccounts_id(self, sa_id):
        sa = self.account(sa_id)
        if not sa:
            return
        for t in sa["tokens"].values():
            sa_tokens.pop(t["key"], None)
        del accounts[sa_id]
        self.answer(200, {"message": "Service account deleted"})

    def api_GET_api_serviceaccounts_id_tokens(self, sa_id):
        sa = self.account(sa_id)
        if not sa:
            return
        self.answer(200, [{"id": t["id"], "name": t["name"]} for t in sa["tokens"].values()])

    def api_POST_api_serviceaccounts_id_tokens(self, sa_id):
        sa = self.account(sa_id)
        if not sa:
            return
        b = self.body()
        t = {"id": new_id(), "name": b.get("name", ""), "key": "glsa_" + secrets.token_hex(16)}
        sa["tokens"][t["id"]] = t
        sa_tokens[t["key"]] = {"role": sa["role"], "orgId": sa["orgId"], "sa": sa_id}
        self.answer(200, t)

    def api_DELETE_api_serviceaccounts_id_tokens_id(self, sa_id, token_id):
        if not self.admin_only():
            return
        sa = accounts.get(sa_id)
        t = sa["tokens"].pop(token_id, None) if sa else None
        if not t:
            return self.answer(404, {"message": "token not found"})
        sa_tokens.pop(t["key"], None)
        self.answer(200, {"message": "Service account token deleted"})

    # ---- annotations --------------------------------------------------------

    def api_POST_api_annotations(self):
        role = self.role()
        if role not in ("Admin", "Editor"):
            return self.answer(403 if role else 401, {"message": "Permission denied"} if role
                               else {"message": "Unauthorized"})
        b = self.body()
        a = {"id": new_id(), "tags": b.get("tags", []), "text": b.get("text", ""), "time": b.get("time", 0),
             "authorization": self.headers.get("Authorization", "")}
        annotations.append(a)
        self.answer(200, {"message": "Annotation added", "id": a["id"]})


def main():
    port = int(sys.argv[1])
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    print("grafana stand-in listening on 127.0.0.1:%d" % port, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
