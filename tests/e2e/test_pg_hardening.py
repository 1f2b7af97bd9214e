"""The private PostgreSQL trusts no local user (issue 16 item 5): as user
nobody, neither the socket nor TCP lets anyone in without a password (the
superuser has none, and only the cluster's OS owner reaches it by peer
through a 0700 socket directory); the daemons' role is no superuser and its
random password lives only in a 0600 file, never in a log or config."""
import glob
import os
import pwd
import stat
import subprocess
import unittest

from e2elib import ApiTestCase, ctl_status, rest

VAR = os.environ["PMM_VAR_DIR"]
PORT = os.environ["E2E_PG_PORT"]
SOCKDIR = os.environ["E2E_PG_SOCKDIR"]
PWFILE = os.environ["E2E_PG_PASSWORD_FILE"]
DAEMONS = ("inventoryd", "configd", "agentsd")


def psql(sql, host, user, password=None, as_user=None, db="postgres"):
    """psql -w (never prompts); returns the CompletedProcess."""
    cmd = ["psql", "-X", "-w", "-qAt", "-h", host, "-p", PORT, "-U", user, "-d", db, "-c", sql]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env["PGCONNECT_TIMEOUT"] = "5"
    if password is not None:
        env["PGPASSWORD"] = password
    if as_user:
        cmd = ["runuser", "-u", as_user, "--"] + cmd
    return subprocess.run(cmd, env=env, cwd="/", capture_output=True, text=True, timeout=30)


def password():
    with open(PWFILE) as f:
        return f.readline().strip()


class PrivatePostgres(ApiTestCase):
    def assertRefused(self, r, what):
        self.assertNotEqual(r.returncode, 0, "%s: connected: %r" % (what, r.stdout))
        self.assertNotIn("\n1\n", "\n" + r.stdout, what)

    @unittest.skipUnless(os.geteuid() == 0, "needs root to act as user nobody")
    def test_nobody_cannot_connect(self):
        pwd.getpwnam("nobody")
        for user in ("postgres", "pmm-managed", "nobody"):
            with self.subTest(via="socket", user=user):
                self.assertRefused(psql("SELECT 1", SOCKDIR, user, as_user="nobody"), "socket as " + user)
            with self.subTest(via="tcp", user=user):
                self.assertRefused(psql("SELECT 1", "127.0.0.1", user, as_user="nobody"), "tcp as " + user)
        # upstream's well-known default password is not this cluster's
        r = psql("SELECT 1", "127.0.0.1", "pmm-managed", password="pmm-managed", as_user="nobody", db="pmm-managed")
        self.assertRefused(r, "tcp with the default password")
        self.assertIn("password authentication failed", r.stderr)
        # the superuser has no password: TCP cannot reach it at all
        r = psql("SELECT 1", "127.0.0.1", "postgres", password="postgres", as_user="nobody")
        self.assertRefused(r, "tcp as postgres with a guessed password")

    def test_socket_directory_and_secrets_are_private(self):
        self.assertEqual(stat.S_IMODE(os.stat(SOCKDIR).st_mode) & 0o077, 0, SOCKDIR)
        for sock in glob.glob(os.path.join(SOCKDIR, ".s.PGSQL.*")):
            if not sock.endswith(".lock"):
                self.assertEqual(stat.S_IMODE(os.stat(sock).st_mode) & 0o077, 0, sock)
        self.assertEqual(stat.S_IMODE(os.stat(PWFILE).st_mode), 0o600)
        self.assertEqual(stat.S_IMODE(os.stat(os.path.dirname(PWFILE)).st_mode) & 0o077, 0)
        self.assertGreaterEqual(len(password()), 32)

    def test_daemons_role_is_not_superuser(self):
        pw = password()
        r = psql("SELECT rolsuper, rolcreaterole FROM pg_roles WHERE rolname = current_user",
                 "127.0.0.1", "pmm-managed", password=pw, db="pmm-managed")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.strip(), "f|f")
        # every daemon's session runs as a role without superuser rights
        # (inventoryd's workers connect at their first request)
        self.assertStatus(rest("GET", "/v1/inventory/nodes"), 200)
        r = psql("SELECT DISTINCT a.application_name || ':' || r.rolsuper FROM pg_stat_activity a "
                 "JOIN pg_roles r ON r.rolname = a.usename WHERE a.application_name IN ('inventoryd', 'configd', "
                 "'agentsd') ORDER BY 1", "127.0.0.1", "pmm-managed", password=pw, db="pmm-managed")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.split(), ["%s:false" % d for d in sorted(DAEMONS)])

    def test_password_is_never_written_elsewhere(self):
        pw = password().encode()
        files = glob.glob(os.path.join(VAR, "log", "*.log")) + [os.path.join(VAR, "supervisord.conf")]
        files += glob.glob(os.path.join(VAR, "supervisord.d", "*.ini"))
        for path in files:
            with open(path, "rb") as f:
                self.assertNotIn(pw, f.read(), path)
        status = ctl_status()
        for daemon in DAEMONS:
            pid = status.get(daemon, ("", None))[1]
            self.assertIsNotNone(pid, status)
            for what in ("cmdline", "environ"):
                with open("/proc/%d/%s" % (pid, what), "rb") as f:
                    self.assertNotIn(pw, f.read(), "%s %s" % (daemon, what))


if __name__ == "__main__":
    unittest.main()
