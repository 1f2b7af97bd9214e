"""supervisord programs and vmalert rules (config-rendering.md §6, §7; issue
3 items 4-5): configd renders the VictoriaMetrics and vmalert program files
into the directory the suite's supervisord includes and applies them (the
programs run; a data retention change restarts VictoriaMetrics with the new
-retentionPeriod); Readiness checks vmalert; the user's
rules file is checked with the real `vmalert -dryRun`: a valid one reaches
vmalert (reloaded over HTTP), an invalid one is refused and logged while
vmalert keeps running with the rules it had."""
import json
import os
import time
import unittest

from e2elib import ApiTestCase, ctl, ctl_status, http_call, rest

VAR = os.environ.get("PMM_VAR_DIR", "")
VMALERT = os.environ.get("E2E_VMALERT", "http://127.0.0.1:8880")
USER_RULES = os.path.join(VAR, "prometheus", "rules", "pmm.rules.yml")
APPLIED_RULES = os.path.join(VAR, "vmalert", "rules", "pmm.rules.yml")

VALID = """groups:
  - name: e2e-%s
    rules:
      - record: e2e:up:sum
        expr: sum(up)
"""
INVALID = """groups:
  - name: e2e-broken
    rules:
      - record: e2e:broken
        expr: sum(rate(up[5m]
"""


def wait_for(pred, timeout=30, step=0.2):
    deadline = time.time() + timeout
    while True:
        v = pred()
        if v or time.time() > deadline:
            return v
        time.sleep(step)


def read(path):
    try:
        with open(path) as f:
            return f.read()
    except FileNotFoundError:
        return None


def vmalert_groups():
    """The groups vmalert loaded from the user's rules (configd's copy of
    USER_RULES); other daemons' files (checksd's pmm_alerting.yml) aside."""
    try:
        r = http_call(VMALERT, "GET", "/api/v1/rules", auth=None, timeout=5)
    except OSError:
        return None
    if r.status != 200:
        return None
    return sorted(g["name"] for g in json.loads(r.body)["data"]["groups"]
                  if os.path.basename(g.get("file", "")) == os.path.basename(APPLIED_RULES))


def http_status(base, path):
    try:
        return http_call(base, "GET", path, auth=None, timeout=5).status
    except OSError:
        return None


def running(name):
    state = ctl_status().get(name)
    return state if state and state[0] == "RUNNING" else None


class VmalertProgram(ApiTestCase):
    def test_program_rendered_applied_and_running(self):
        state = wait_for(lambda: running("vmalert"))
        self.assertTrue(state, ctl_status())
        ini = read(os.path.join(VAR, "supervisord.d", "vmalert.ini"))
        self.assertTrue(ini.startswith("; Managed by pmm-managed. DO NOT EDIT.\n\n[program:vmalert]\n"), ini)
        vm = "http://127.0.0.1:%d/prometheus/" % (int(os.environ["PMM_PORT_BASE"]) + 5)
        for flag in ("--datasource.url=" + vm, "--remoteWrite.url=" + vm, "--remoteRead.url=" + vm,
                     "--rule=%s/*.yml" % os.path.join(VAR, "vmalert", "rules"),
                     "--httpListenAddr=127.0.0.1:%s" % VMALERT.rsplit(":", 1)[1]):
            self.assertIn("\t\t%s\n" % flag, ini)
        r = wait_for(lambda: http_status(VMALERT, "/health") == 200)
        self.assertTrue(r)

    def test_readiness_checks_vmalert(self):
        self.assertTrue(wait_for(lambda: running("vmalert")))
        # an earlier test's settings change may still be restarting VictoriaMetrics
        self.assertTrue(wait_for(lambda: rest("GET", "/v1/server/readyz", auth=None).status == 200))
        self.assertEqual(ctl("stop", "vmalert").returncode, 0)
        try:
            r = rest("GET", "/v1/server/readyz", auth=None)
            self.assertEqual(r.status, 503, r)
            self.assertIn("vmalert is not ready", r.json["message"])
        finally:
            ctl("start", "vmalert")
        self.assertTrue(wait_for(lambda: rest("GET", "/v1/server/readyz", auth=None).status == 200))


class VmalertRules(ApiTestCase):
    def tearDown(self):
        if os.path.exists(USER_RULES):
            os.remove(USER_RULES)
        # a removed user file removes configd's copy
        self.assertTrue(wait_for(lambda: read(APPLIED_RULES) is None))

    def test_valid_rules_applied_invalid_refused(self):
        name = "e2e-%d" % os.getpid()
        valid = VALID % os.getpid()
        with open(USER_RULES, "w") as f:
            f.write(valid)
        self.assertTrue(wait_for(lambda: read(APPLIED_RULES) == valid), read(APPLIED_RULES))
        self.assertTrue(wait_for(lambda: vmalert_groups() == [name]), vmalert_groups())
        pid = running("vmalert")[1]

        with open(USER_RULES, "w") as f:
            f.write(INVALID)
        log = os.path.join(VAR, "log", "configd.log")
        self.assertTrue(wait_for(lambda: "not applied: Invalid alerting rules." in (read(log) or "")),
                        "configd did not report the invalid rules")
        self.assertIn("bad prometheus expr", read(log))
        time.sleep(1)
        self.assertEqual(read(APPLIED_RULES), valid)   # not applied
        self.assertEqual(vmalert_groups(), [name])    # vmalert keeps its rules
        self.assertEqual(running("vmalert")[1], pid)  # and keeps running


def cmdline(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return f.read().split(b"\0")
    except OSError:
        return []


class VictoriaMetricsProgram(ApiTestCase):
    """The data retention setting reaches VictoriaMetrics' -retentionPeriod:
    ChangeSettings -> settings.changed -> configd re-renders the program file
    and supervisord restarts VictoriaMetrics with the new flag."""

    def set_retention(self, seconds):
        r = rest("PUT", "/v1/server/settings", {"data_retention": "%ds" % seconds})
        self.assertStatus(r, 200)

    def test_retention_change_restarts_victoriametrics(self):
        ini_path = os.path.join(VAR, "supervisord.d", "victoriametrics.ini")
        # other tests change settings too: wait until VictoriaMetrics runs with
        # the default retention (a restart may still be under way)
        def running_with(flag):
            state = running("victoriametrics")
            return state if state and flag in cmdline(state[1]) else None

        state = wait_for(lambda: running_with(b"--retentionPeriod=30d"))
        self.assertTrue(state, ctl_status())
        ini = read(ini_path)
        self.assertTrue(ini.startswith("; Managed by pmm-managed. DO NOT EDIT.\n\n[program:victoriametrics]\n"), ini)
        self.assertIn("\t\t--retentionPeriod=30d\n", ini)
        self.addCleanup(self.set_retention, 30 * 86400)
        self.set_retention(10 * 86400)
        self.assertTrue(wait_for(lambda: "\t\t--retentionPeriod=10d\n" in read(ini_path)), read(ini_path))
        new = wait_for(lambda: running_with(b"--retentionPeriod=10d"))
        self.assertTrue(new, ctl_status())
        self.assertNotEqual(new[1], state[1])
        # it serves again with the new flag
        vm = "http://127.0.0.1:%d" % (int(os.environ["PMM_PORT_BASE"]) + 5)
        self.assertTrue(wait_for(lambda: http_status(vm, "/prometheus/health") == 200))


if __name__ == "__main__":
    unittest.main()
