"""Logins do not depend on inventoryd being up, and revocations still hold
(issue 16 item 3). While inventoryd is stopped, the gateway answers
credentials it has checked from its cache (up to 60 s after inventoryd last
confirmed them: the unit tests of gateway/auth_cache cover that end)
instead of 503 after its 3 s; a credential it does not know is still 503.
A removed token or a changed password stops working within a second:
pmmctl's change notifies PostgreSQL, inventoryd relays credentials.changed,
the gateway forgets; a change made while inventoryd is down takes effect
as soon as inventoryd is back (it says "all" when it listens again)."""
import time

from e2elib import ApiTestCase, ctl, rest, unique, wait_running
from test_auth import pmmctl

VERSION = "/v1/server/version"  # served by configd, asked of inventoryd only for the credentials
REVOCATION_BOUND_S = 1.0        # README, "Operations": hint-based revocation


def wait_status(fn, status, within):
    deadline = time.monotonic() + within
    while True:
        r = fn()
        if r.status == status or time.monotonic() > deadline:
            return r
        time.sleep(0.05)


def accepted_for(fn, within):
    """Calls fn until it refuses (401, for at most `within` s); returns the
    last response and how long after the start the last 200 was sent (a
    refusal may take a moment to compute: a password is hashed)."""
    start = time.monotonic()
    last_ok = 0.0
    while True:
        sent = time.monotonic()
        r = fn()
        if r.status == 200:
            last_ok = sent - start
        if r.status == 401 or sent - start > within:
            return r, last_ok
        time.sleep(0.05)


class CacheWhileInventorydAway(ApiTestCase):
    def setUp(self):
        self.login = unique("cached")
        self.password = "pw-" + self.login
        r = pmmctl("user", "add", self.login, "--role=viewer", password=self.password)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.addCleanup(pmmctl, "user", "remove", self.login)
        self.token_name = unique("cached-token")
        r = pmmctl("token", "create", self.token_name, "--role=viewer")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.token = "Bearer " + r.stdout.strip()
        self.addCleanup(pmmctl, "token", "remove", self.token_name)

    def stop_inventoryd(self):
        self.assertEqual(wait_running().get("inventoryd", ("",))[0], "RUNNING")
        r = ctl("stop", "inventoryd")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.addCleanup(self.start_inventoryd)

    def start_inventoryd(self):
        ctl("start", "inventoryd")
        status = wait_running()
        self.assertEqual(status.get("inventoryd", ("",))[0], "RUNNING", status)
        # its answers again: a fresh credential gets through
        r = wait_status(lambda: rest("GET", VERSION, auth=(self.login, self.password)), 200, 30)
        self.assertStatus(r, 200)

    def test_known_credentials_answered_while_inventoryd_stopped(self):
        self.assertStatus(rest("GET", VERSION, auth=(self.login, self.password)), 200)
        self.assertStatus(rest("GET", VERSION, auth=self.token), 200)
        self.stop_inventoryd()
        stopped = time.monotonic()
        # well past the gateway's 3 s: still answered from its cache
        while time.monotonic() - stopped < 8:
            self.assertStatus(rest("GET", VERSION, auth=(self.login, self.password)), 200)
            self.assertStatus(rest("GET", VERSION, auth=self.token), 200)
            time.sleep(0.5)
        # nothing is made up: an unknown password cannot be checked
        self.assertErrorBody(rest("GET", VERSION, auth=(self.login, "not-the-password")), 503, 14)
        # calls to inventoryd itself are 503 as ever
        self.assertErrorBody(rest("GET", "/v1/inventory/nodes"), 503, 14)

    def test_removed_token_and_changed_password_stop_at_once(self):
        self.assertStatus(rest("GET", VERSION, auth=self.token), 200)
        self.assertStatus(rest("GET", VERSION, auth=(self.login, self.password)), 200)
        self.assertEqual(pmmctl("token", "remove", self.token_name).returncode, 0)
        r, took = accepted_for(lambda: rest("GET", VERSION, auth=self.token), 5)
        self.assertErrorBody(r, 401, 16)
        self.assertLess(took, REVOCATION_BOUND_S, "token still accepted %.2f s after its removal" % took)

        self.assertEqual(pmmctl("user", "set", self.login, "--role=viewer", password="new-pw").returncode, 0)
        r, took = accepted_for(lambda: rest("GET", VERSION, auth=(self.login, self.password)), 5)
        self.assertErrorBody(r, 401, 16)
        self.assertLess(took, REVOCATION_BOUND_S, "old password still accepted %.2f s after the change" % took)
        self.assertStatus(rest("GET", VERSION, auth=(self.login, "new-pw")), 200)

    def test_removal_while_inventoryd_stopped_holds_once_it_is_back(self):
        self.assertStatus(rest("GET", VERSION, auth=self.token), 200)
        self.stop_inventoryd()
        # pmmctl works on the database; nobody relays the change yet
        self.assertEqual(pmmctl("token", "remove", self.token_name).returncode, 0)
        self.assertStatus(rest("GET", VERSION, auth=self.token), 200)
        ctl("start", "inventoryd")
        back = time.monotonic()
        r = wait_status(lambda: rest("GET", VERSION, auth=self.token), 401, 30)
        self.assertErrorBody(r, 401, 16)
        print("(refused %.1f s after inventoryd was started) " % (time.monotonic() - back), end="", flush=True)
        self.assertEqual(wait_running().get("inventoryd", ("",))[0], "RUNNING")
