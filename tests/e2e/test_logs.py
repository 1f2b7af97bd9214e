"""GET /v1/server/logs.zip (api.md §1.1, issue 3 item 3): an admin gets a
zip of the daemons' logs, the rendered configs and supervisorctl status,
with upstream's member names and headers; line-count limits each log's
lines as upstream (0 = 50000, -1 = whole); a bad line-count is upstream's
plain-text 400; no credentials or a lower role is refused."""
import io
import os
import re
import unittest
import zipfile

from e2elib import ApiTestCase, rest

VAR = os.environ.get("PMM_VAR_DIR", "")


def logs_zip(query="", **kw):
    return rest("GET", "/v1/server/logs.zip" + query, timeout=60, **kw)


def members(resp):
    zf = zipfile.ZipFile(io.BytesIO(resp.body))
    return {i.filename: zf.read(i) for i in zf.infolist()}, zf


class LogsZip(ApiTestCase):
    def test_archive_members_and_headers(self):
        r = logs_zip()
        self.assertStatus(r, 200)
        self.assertEqual(r.headers["content-type"], "application/zip")
        self.assertEqual(r.headers["access-control-allow-origin"], "*")
        self.assertRegex(r.headers["content-disposition"],
                         r'^attachment; filename="pmm-server_\d{4}-\d\d-\d\d_\d\d-\d\d\.zip"$')
        files, zf = members(r)
        self.assertIsNone(zf.testzip())
        for info in zf.infolist():
            self.assertEqual(info.compress_type, zipfile.ZIP_DEFLATED, info.filename)
        for name in ("configd.log", "gateway.log", "inventoryd.log", "agentsd.log", "supervisord.log",
                     "postgresql.log", "supervisord.conf", "supervisorctl_status.log", "pmm-version.txt",
                     "systemctl_status.log", "vmalert.ini", "vmalert.log", "victoriametrics.ini",
                     "victoriametrics.log", "victoriametrics-promscrape.yml"):
            self.assertIn(name, files)
        # upstream sorts the members by name
        self.assertEqual([i.filename for i in zf.infolist()], sorted(files))
        self.assertEqual(files["pmm-version.txt"], b"3.0.0\n")
        status = files["supervisorctl_status.log"].decode()
        for daemon in ("inventoryd", "configd", "agentsd", "gateway"):
            self.assertRegex(status, r"(?m)^%s\s+RUNNING" % daemon)
        with open(os.path.join(VAR, "supervisord.conf"), "rb") as f:
            self.assertEqual(files["supervisord.conf"], f.read())
        # the logs are the daemons' own files
        self.assertIn(b"level=", files["configd.log"])

    def test_line_count_limits_lines(self):
        # a log of our own in the suite's log directory: its lines are known
        path = os.path.join(VAR, "log", "e2e-lines.log")
        lines = [b"line #%03d\n" % i for i in range(10)]
        with open(path, "wb") as f:
            f.write(b"".join(lines))
        self.addCleanup(os.remove, path)
        files, _ = members(logs_zip("?line-count=3"))
        self.assertEqual(files["e2e-lines.log"], b"".join(lines[-3:]))
        for name in files:
            if name.endswith(".log") and name not in ("supervisorctl_status.log", "systemctl_status.log"):
                self.assertLessEqual(files[name].count(b"\n"), 3, name)
        files, _ = members(logs_zip())  # default: upstream's 50000 lines
        self.assertEqual(files["e2e-lines.log"], b"".join(lines))
        files, _ = members(logs_zip("?line-count=-1"))  # whole logs
        self.assertEqual(files["e2e-lines.log"], b"".join(lines))

    def test_bad_line_count_is_plain_400(self):
        r = logs_zip("?line-count=abc")
        self.assertStatus(r, 400)
        self.assertEqual(r.headers["content-type"], "text/plain; charset=utf-8")
        self.assertEqual(r.body, b'Unable to parse line-count parameter: strconv.ParseInt: '
                                 b'parsing "abc": invalid syntax\n')
        r = logs_zip("?line-count=3000000000")
        self.assertStatus(r, 400)
        self.assertIn(b"value out of range", r.body)
        r = logs_zip("?line-count=-5")
        self.assertErrorBody(r, 400, 3)

    def test_refused_without_admin(self):
        self.assertErrorBody(logs_zip(auth=None), 401, 16, "Unauthorized")
        self.assertErrorBody(logs_zip(auth=("admin", "wrong")), 401, 16, "Unauthorized")


if __name__ == "__main__":
    unittest.main()
