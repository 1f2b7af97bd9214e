"""Brute-force protection of password logins (issue 16 item 2): a user is
locked after 5 wrong passwords within 5 minutes (as Grafana's login
attempts), yet a session that already works keeps working from its address;
the lock is lifted by the local pmmctl or by an admin (a service token) over
POST /v1/lockouts:unlock; an address that keeps guessing waits longer and
longer before its passwords are checked at all. Callers' addresses are
given as the local nginx gives them (X-Forwarded-For from loopback)."""
import time
import uuid

from e2elib import ApiTestCase, rest, unique
from test_auth import pmmctl

VERSION = "/v1/server/version"  # a viewer's call


def from_(address):
    return {"X-Forwarded-For": address}


def address():
    """A fresh address of TEST-NET-2 for each test, so delays of one test
    never reach another."""
    n = uuid.uuid4().int
    return "198.51.%d.%d" % (100 + n % 50, 1 + (n >> 8) % 250)


class Lockout(ApiTestCase):
    @classmethod
    def setUpClass(cls):
        r = pmmctl("token", "create", unique("lockout-admin"), "--role=admin")
        assert r.returncode == 0, r.stderr
        cls.admin_token = "Bearer " + r.stdout.strip()
        r = pmmctl("token", "create", unique("lockout-viewer"), "--role=viewer")
        assert r.returncode == 0, r.stderr
        cls.viewer_token = "Bearer " + r.stdout.strip()

    def new_user(self):
        login = unique("lock")
        r = pmmctl("user", "add", login, "--role=viewer", password="right-" + login)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.addCleanup(pmmctl, "user", "remove", login)
        return login, "right-" + login

    def call(self, login, password, source):
        return rest("GET", VERSION, auth=(login, password), headers=from_(source))

    def lock(self, login):
        attacker = address()
        for i in range(5):
            self.assertErrorBody(self.call(login, "wrong-%d" % i, attacker), 401, 16, "Unauthorized")

    def lockouts(self):
        r = rest("GET", "/v1/lockouts", auth=self.admin_token)
        self.assertStatus(r, 200)
        return r.json

    def wait_status(self, fn, status, within):
        """fn() until it answers status, for at most `within` seconds."""
        deadline = time.monotonic() + within
        while True:
            r = fn()
            if r.status == status or time.monotonic() > deadline:
                return r
            time.sleep(0.1)

    def test_locked_user_then_pmmctl_unlock(self):
        login, pw = self.new_user()
        self.lock(login)
        # the right password, from an address that never proved it: refused
        elsewhere = address()
        self.assertErrorBody(self.call(login, pw, elsewhere), 401, 16, "Unauthorized")
        users = {u["login"]: u for u in self.lockouts().get("users", [])}
        self.assertIn(login, users)
        self.assertEqual(users[login]["failed_logins"], 5)
        self.assertIn("locked_until", users[login])
        r = pmmctl("user", "locks")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(login + "\t5 failed\tlocked until ", r.stdout)

        r = pmmctl("user", "unlock", login)
        self.assertEqual(r.returncode, 0, r.stderr)
        # the gateway forgets its refusals at once (credentials.changed)
        self.assertStatus(self.wait_status(lambda: self.call(login, pw, elsewhere), 200, 1.5), 200)
        self.assertNotIn(login, {u["login"] for u in self.lockouts().get("users", [])})
        r = pmmctl("user", "unlock", "no-such-" + login)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("no user", r.stderr)

    def test_working_session_survives_the_lock(self):
        login, pw = self.new_user()
        mine = address()
        self.assertStatus(self.call(login, pw, mine), 200)
        self.lock(login)
        # past the gateway's 3 s, so that inventoryd itself is asked again
        time.sleep(3.3)
        for _ in range(3):
            self.assertStatus(self.call(login, pw, mine), 200)
        self.assertErrorBody(self.call(login, pw, address()), 401, 16)

    def test_admin_token_lifts_the_lock_over_the_api(self):
        login, pw = self.new_user()
        self.lock(login)
        elsewhere = address()
        self.assertErrorBody(self.call(login, pw, elsewhere), 401, 16)
        # a viewer may not, an admin's service token may
        r = rest("POST", "/v1/lockouts:unlock", {"login": login}, auth=self.viewer_token)
        self.assertErrorBody(r, 401, 7, "Access denied.")
        self.assertErrorBody(rest("POST", "/v1/lockouts:unlock", {}, auth=self.admin_token), 400, 3)
        self.assertErrorBody(rest("POST", "/v1/lockouts:unlock", {"login": "no-such-" + login},
                                  auth=self.admin_token), 404, 5)
        self.assertStatus(rest("POST", "/v1/lockouts:unlock", {"login": login}, auth=self.admin_token), 200)
        self.assertStatus(self.wait_status(lambda: self.call(login, pw, elsewhere), 200, 1.5), 200)

    def test_guessing_address_waits_longer_and_longer(self):
        login, pw = self.new_user()
        guesser = address()
        # five free guesses (of logins that do not even exist), then waits
        for i in range(6):
            self.assertErrorBody(self.call("nobody-%s-%d" % (login, i), "x", guesser), 401, 16)
        sources = {s["address"]: s for s in self.lockouts().get("sources", [])}
        self.assertIn(guesser, sources)
        self.assertEqual(sources[guesser]["failures"], 6)
        self.assertIn("delayed_until", sources[guesser])
        # meanwhile not even the right password is checked from there
        self.assertErrorBody(self.call(login, pw, guesser), 401, 16)
        # another address is not concerned
        self.assertStatus(self.call(login, pw, address()), 200)
        # the next wrong guess after the first delay (1 s) waits 2 s
        time.sleep(1.2)
        self.assertErrorBody(self.call("nobody-%s-7" % login, "x", guesser), 401, 16)
        sources = {s["address"]: s for s in self.lockouts().get("sources", [])}
        self.assertEqual(sources[guesser]["failures"], 7)
        # an admin lifts the delays of an address
        r = rest("POST", "/v1/lockouts:unlock", {"address": guesser}, auth=self.admin_token)
        self.assertStatus(r, 200)
        self.assertNotIn(guesser, {s["address"] for s in self.lockouts().get("sources", [])})
        # (the gateway remembered the refusal of the right password for its 3 s)
        self.assertStatus(self.wait_status(lambda: self.call(login, pw, guesser), 200, 3.5), 200)
        # the user was never locked by guesses of other logins
        self.assertNotIn(login, {u["login"] for u in self.lockouts().get("users", [])})
