"""e2e: dump.v1beta1.DumpService built natively (no pmm-dump): StartDump
exports the selected services' series from the suite's VictoriaMetrics
(written by the test) with the services' inventory into a .tar.gz under
the var dir, with logs and a status; ListDumps, GetDumpLogs, DeleteDump;
UploadDump over SFTP to Debian's OpenSSH server started here on 127.0.0.1
(BASE+13) with a throwaway host key, its own sshd_config and a test user;
validation texts over REST and gRPC."""

import io
import json
import os
import shutil
import subprocess
import tarfile
import tempfile
import time

import grpc

from e2elib import ApiTestCase, rest, http_call, unique, quote, channel, unary
from backuplib import register_node, add_service, wait_for
from dump.v1beta1 import dump_pb2

VM = "http://127.0.0.1:%d" % (int(os.environ.get("PMM_PORT_BASE", "0")) + 5)
VAR = os.environ.get("PMM_VAR_DIR", "")
SFTP_PORT = int(os.environ.get("PMM_PORT_BASE", "0")) + 13
SFTP_USER = "pmmsftp"


def dump(dump_id):
    r = rest("GET", "/v1/dumps")
    assert r.status == 200, r
    return next((d for d in r.json.get("dumps", []) if d["dump_id"] == dump_id), None)


def iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


class DumpsTest(ApiTestCase):
    @classmethod
    def setUpClass(cls):
        cls.name = unique("dumpsvc")
        cls.other = unique("othersvc")
        ts = int(time.time() * 1000) - 60000
        lines = "".join('%s{service_name="%s",job="e2e"} %d %d\n' % (m, s, v, ts + k * 1000)
                        for s in (cls.name, cls.other) for m, v in (("mysql_up", 1), ("mysql_global_status_uptime", 42))
                        for k in range(3))
        r = http_call(VM, "POST", "/prometheus/api/v1/import/prometheus", lines.encode(), auth=None)
        assert r.status == 204, r
        sel = quote('{service_name="%s"}' % cls.name)
        wait_for(lambda: http_call(VM, "GET", "/prometheus/api/v1/export?match[]=%s" % sel, auth=None).body.strip(),
                 what="the series in VictoriaMetrics")

    def setUp(self):
        node_id, pmm_agent_id, _ = register_node(self, "dump")
        self.service_id = add_service(self, "mysql", node_id, pmm_agent_id, name=self.name)

    def start(self, **kw):
        body = {"service_names": [self.name], "start_time": iso(time.time() - 3600), "end_time": iso(time.time() + 60)}
        body.update(kw)
        return rest("POST", "/v1/dumps:start", body)

    def finished(self, dump_id):
        return wait_for(lambda: (lambda d: d if d and d["status"] != "DUMP_STATUS_IN_PROGRESS" else None)(dump(dump_id)),
                        timeout=60, what="dump %s" % dump_id)

    def test_dump_contents_logs_delete(self):
        r = self.start()
        self.assertStatus(r, 200)
        did = r.json["dump_id"]
        self.addCleanup(lambda: rest("POST", "/v1/dumps:batchDelete", {"dump_ids": [did]}))
        d = self.finished(did)
        self.assertEqual(d["status"], "DUMP_STATUS_SUCCESS")
        self.assertEqual(d["service_names"], [self.name])
        self.assertTrue(d["created_at"] and d["start_time"] and d["end_time"], d)
        path = os.path.join(VAR, "dumps", did + ".tar.gz")
        with tarfile.open(path, "r:gz") as t:
            self.assertEqual(sorted(t.getnames()), ["inventory.json", "meta.json", "vm/export.jsonl"])
            meta = json.load(t.extractfile("meta.json"))
            inventory = json.load(t.extractfile("inventory.json"))
            series = [json.loads(l) for l in t.extractfile("vm/export.jsonl").read().decode().splitlines() if l]
        self.assertEqual((meta["dump_id"], meta["service_names"], meta["series"]), (did, [self.name], 2))
        self.assertEqual([s["service_id"] for s in inventory], [self.service_id])
        self.assertNotIn("password", json.dumps(inventory))
        self.assertEqual(sorted(s["metric"]["__name__"] for s in series), ["mysql_global_status_uptime", "mysql_up"])
        self.assertTrue(all(s["metric"]["service_name"] == self.name for s in series), series)
        self.assertEqual([len(s["values"]) for s in series], [3, 3])
        r = rest("GET", "/v1/dumps/%s/logs" % quote(did))
        self.assertStatus(r, 200)
        self.assertTrue(r.json["end"])
        text = "".join(c["data"] for c in r.json["logs"])
        self.assertIn("exported 2 series of 1 service(s)", text)
        r = rest("GET", "/v1/dumps/%s/logs?offset=1&limit=1" % quote(did))
        self.assertEqual([c["chunk_id"] for c in r.json["logs"]], [1])
        r = rest("POST", "/v1/dumps:batchDelete", {"dump_ids": [did]})
        self.assertStatus(r, 200)
        self.assertFalse(os.path.exists(path))
        self.assertIsNone(dump(did))
        r = rest("POST", "/v1/dumps:batchDelete", {"dump_ids": [did]})
        self.assertErrorBody(r, 404, 5, 'Dump with ID "%s" not found.' % did)

    def test_validation(self):
        r = self.start(start_time=iso(time.time()), end_time=iso(time.time() - 60))
        self.assertErrorBody(r, 400, 3, "Dump start time can't be greater than end time")
        r = rest("POST", "/v1/dumps:batchDelete", {"dump_ids": []})
        self.assertErrorBody(r, 400, 3, "invalid DeleteDumpRequest.DumpIds: value must contain at least 1 item(s)")
        r = rest("POST", "/v1/dumps:batchDelete", {"dump_ids": ["a", "a"]})
        self.assertErrorBody(r, 400, 3, "invalid DeleteDumpRequest.DumpIds[1]: repeated value must contain unique items")
        r = rest("POST", "/v1/dumps:upload", {"dump_ids": ["a"]})
        self.assertErrorBody(r, 400, 3, "invalid UploadDumpRequest.SftpParameters: value is required")
        r = rest("POST", "/v1/dumps:upload", {"dump_ids": ["a"], "sftp_parameters": {"address": "x", "user": "u"}})
        self.assertErrorBody(r, 400, 3, "invalid UploadDumpRequest.SftpParameters: embedded message failed validation "
                                        "| caused by: invalid SFTPParameters.Password: value length must be at least 1 runes")
        r = self.start(enable_encryption=True, encryption_password="short")
        self.assertStatus(r, 400)
        with self.assertRaises(grpc.RpcError) as e:
            unary(channel(), "/dump.v1beta1.DumpService/GetDumpLogs", dump_pb2.GetDumpLogsRequest(),
                  dump_pb2.GetDumpLogsResponse)
        self.assertGrpcError(e.exception, grpc.StatusCode.INVALID_ARGUMENT,
                             "invalid GetDumpLogsRequest.DumpId: value length must be at least 1 runes")
        lst = unary(channel(), "/dump.v1beta1.DumpService/ListDumps", dump_pb2.ListDumpsRequest(),
                    dump_pb2.ListDumpsResponse)
        self.assertIsInstance(len(lst.dumps), int)

    def test_empty_time_range(self):
        # nothing in the range: a successful dump of no series
        r = self.start(start_time=iso(100000), end_time=iso(100060))
        self.assertStatus(r, 200)
        did = r.json["dump_id"]
        self.addCleanup(lambda: rest("POST", "/v1/dumps:batchDelete", {"dump_ids": [did]}))
        self.assertEqual(self.finished(did)["status"], "DUMP_STATUS_SUCCESS")
        r = rest("GET", "/v1/dumps/%s/logs" % quote(did))
        self.assertTrue(r.json["end"])
        self.assertIn("exported 0 series of 1 service(s)", "".join(c["data"] for c in r.json["logs"]))

    def test_upload_over_sftp(self):
        if os.geteuid() != 0 or not os.path.exists("/usr/sbin/sshd"):
            self.skipTest("needs root and Debian's openssh-server (deploy/install-deps.sh)")
        password = unique("pw")
        home = tempfile.mkdtemp(prefix="pmm-sftp-")
        os.chmod(home, 0o755)
        if subprocess.run(["id", SFTP_USER], capture_output=True).returncode != 0:
            subprocess.run(["useradd", "-M", "-d", home, "-s", "/bin/sh", SFTP_USER], check=True)
        subprocess.run(["usermod", "-d", home, SFTP_USER], check=True)
        subprocess.run(["chpasswd"], input="%s:%s" % (SFTP_USER, password), text=True, check=True)
        shutil.chown(home, SFTP_USER)
        conf_dir = tempfile.mkdtemp(prefix="pmm-sshd-")
        self.addCleanup(shutil.rmtree, conf_dir, True)
        self.addCleanup(shutil.rmtree, home, True)
        key = os.path.join(conf_dir, "host_key")
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key], check=True)
        conf = os.path.join(conf_dir, "sshd_config")
        with open(conf, "w") as f:
            f.write("ListenAddress 127.0.0.1\nPort %d\nHostKey %s\nPidFile %s/sshd.pid\nUsePAM no\n"
                    "PasswordAuthentication yes\nKbdInteractiveAuthentication no\nPermitRootLogin no\n"
                    "AllowUsers %s\nSubsystem sftp internal-sftp\nStrictModes no\n"
                    % (SFTP_PORT, key, conf_dir, SFTP_USER))
        os.makedirs("/run/sshd", exist_ok=True)
        sshd = subprocess.Popen(["/usr/sbin/sshd", "-D", "-e", "-f", conf], stdout=subprocess.DEVNULL,
                                stderr=open(os.path.join(conf_dir, "sshd.log"), "w"))
        self.addCleanup(lambda: (sshd.terminate(), sshd.wait()))
        time.sleep(1)
        self.assertIsNone(sshd.poll(), open(os.path.join(conf_dir, "sshd.log")).read())

        r = self.start()
        did = r.json["dump_id"]
        self.addCleanup(lambda: rest("POST", "/v1/dumps:batchDelete", {"dump_ids": [did]}))
        self.assertEqual(self.finished(did)["status"], "DUMP_STATUS_SUCCESS")
        params = {"address": "127.0.0.1:%d" % SFTP_PORT, "user": SFTP_USER, "password": password,
                  "directory": "incoming"}
        r = rest("POST", "/v1/dumps:upload", {"dump_ids": [did], "sftp_parameters": params})
        self.assertStatus(r, 200)
        uploaded = os.path.join(home, "incoming", did + ".tar.gz")
        with open(uploaded, "rb") as a, open(os.path.join(VAR, "dumps", did + ".tar.gz"), "rb") as b:
            self.assertEqual(a.read(), b.read())
        r = rest("POST", "/v1/dumps:upload", {"dump_ids": [did], "sftp_parameters": dict(params, password="wrong")})
        self.assertStatus(r, 500)
        self.assertIn("Failed to upload the dump %s" % did, r.json["message"])
